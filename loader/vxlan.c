// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * This host's VXLAN device (see vxlan.h).  Created, read and changed over
 * rtnetlink with libnl-route's VXLAN link type (rtnl_link_vxlan_*), on a
 * socket of its own: links.c's query socket takes no libnl link object.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include "daemon.h"
#include "links.h"
#include "log.h"
#include "vxlan.h"

__u32 pp_vxlan_mtu(__u8 family, __u32 underlay_mtu)
{
	__u32 over = family == PP_NEIGH_V6 ? PP_VXLAN_OVERHEAD6 : PP_VXLAN_OVERHEAD4;

	return underlay_mtu > over ? underlay_mtu - over : 0;
}

/* The MTU of device name in our namespace (an ioctl: sysfs may be another namespace's). */
static int dev_mtu(const char *name, __u32 *mtu)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFMTU, &ifr))
		err = -errno;
	else
		*mtu = (__u32)ifr.ifr_mtu;
	close(fd);
	return err;
}

int pp_vxlan_resolve(struct pp_vxlan_host *vx, const char *addr, const char *dev, unsigned port,
		     char *why, size_t len)
{
	struct ifaddrs *ifa = NULL, *i;
	int af, err;

	memset(vx, 0, sizeof(*vx));
	dev = dev ? dev : PP_VXLAN_DEV_DEFAULT;
	if (!dev[0] || strlen(dev) >= IF_NAMESIZE || strchr(dev, '/') || strchr(dev, ' ')) {
		snprintf(why, len, "--vxlan-device '%s': not a device name (1 to %d characters)", dev,
			 IF_NAMESIZE - 1);
		return -EINVAL;
	}
	if (port < 1 || port > 65535) {
		snprintf(why, len, "--vxlan-port %u: not a UDP port", port);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, addr, vx->local) == 1) {
		af = AF_INET;
		vx->family = PP_NEIGH_V4;
	} else if (inet_pton(AF_INET6, addr, vx->local) == 1) {
		af = AF_INET6;
		vx->family = PP_NEIGH_V6;
	} else {
		snprintf(why, len, "--vtep '%s': not an IPv4 or IPv6 address", addr);
		return -EINVAL;
	}
	snprintf(vx->dev, sizeof(vx->dev), "%s", dev);
	vx->port = (__u16)port;
	inet_ntop(af, vx->local, vx->addr, sizeof(vx->addr));
	if (getifaddrs(&ifa)) {
		err = -errno;
		snprintf(why, len, "--vtep %s: the host's addresses: %s", vx->addr, strerror(-err));
		return err;
	}
	for (i = ifa; i && !vx->underlay[0]; i = i->ifa_next) {
		const void *a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != af)
			continue;
		a = af == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr :
				    (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (!memcmp(a, vx->local, af == AF_INET ? 4 : 16))
			snprintf(vx->underlay, sizeof(vx->underlay), "%s", i->ifa_name);
	}
	freeifaddrs(ifa);
	if (!vx->underlay[0]) {
		snprintf(why, len, "--vtep %s: no device of this host has that address (the VTEP "
			 "must be an address of the underlay device)", vx->addr);
		return -EADDRNOTAVAIL;
	}
	if (!strcmp(vx->underlay, vx->dev)) {
		snprintf(why, len, "--vtep %s is an address of %s, the VXLAN device itself", vx->addr,
			 vx->dev);
		return -EINVAL;
	}
	err = dev_mtu(vx->underlay, &vx->underlay_mtu);
	if (err || !pp_vxlan_mtu(vx->family, vx->underlay_mtu)) {
		snprintf(why, len, "--vtep %s: the MTU of %s: %s", vx->addr, vx->underlay,
			 err ? strerror(-err) : "too small");
		return err ?: -EINVAL;
	}
	return 0;
}

/* ---- the device ----------------------------------------------------------------- */

static struct nl_addr *vtep_addr(const struct pp_vxlan_host *vx)
{
	return nl_addr_build(vx->family == PP_NEIGH_V6 ? AF_INET6 : AF_INET, vx->local,
			     vx->family == PP_NEIGH_V6 ? 16 : 4);
}

/* Is link l a VXLAN device in external mode with vx's port and local address? */
static bool vxlan_same(struct rtnl_link *l, const struct pp_vxlan_host *vx, bool *external)
{
	struct nl_addr *local = NULL, *want;
	uint32_t port = 0;
	bool same;

	*external = rtnl_link_is_vxlan(l) && rtnl_link_vxlan_get_collect_metadata(l) == 1;
	if (!*external)
		return false;
	if (rtnl_link_vxlan_get_port(l, &port) || port != vx->port ||
	    rtnl_link_vxlan_get_local(l, &local))
		return false;
	want = vtep_addr(vx);
	same = want && !nl_addr_cmp(local, want);
	nl_addr_put(want);
	nl_addr_put(local);
	return same;
}

static int vxlan_create(struct nl_sock *sk, const struct pp_vxlan_host *vx, char *why, size_t len)
{
	struct rtnl_link *l = rtnl_link_vxlan_alloc();
	struct nl_addr *local = vtep_addr(vx);
	int err = -ENOMEM;

	if (!l || !local)
		goto out;
	rtnl_link_set_name(l, vx->dev);
	rtnl_link_set_mtu(l, pp_vxlan_mtu(vx->family, vx->underlay_mtu));
	rtnl_link_vxlan_set_collect_metadata(l, 1);
	rtnl_link_vxlan_set_port(l, vx->port);
	rtnl_link_vxlan_set_local(l, local);
	rtnl_link_vxlan_set_learning(l, 0);
	err = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	if (err == -NLE_EXIST) {
		/* the kernel takes one external VXLAN device per port (its name is free) */
		snprintf(why, len, "creating it: another VXLAN device in external mode has port %u "
			 "(delete it, or choose another --vxlan-port)", vx->port);
		err = -EEXIST;
	} else if (err) {
		snprintf(why, len, "creating it: %s", nl_geterror(err));
		err = -EIO;
	}
out:
	nl_addr_put(local);
	rtnl_link_put(l);
	return err;
}

/* The device, made as vx says if it is not; *created: it was made now. */
static int vxlan_ensure(struct pp_vxlan_host *vx, bool start, bool *created, char *why, size_t len)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *l = NULL;
	__u32 mtu = pp_vxlan_mtu(vx->family, vx->underlay_mtu);
	bool external = false;
	int err;

	*created = false;
	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE)) {
		snprintf(why, len, "rtnetlink: %s", strerror(errno));
		nl_socket_free(sk);
		return -EIO;
	}
	err = rtnl_link_get_kernel(sk, 0, vx->dev, &l);
	if (!err && !vxlan_same(l, vx, &external)) {
		if (!external) {
			snprintf(why, len, "the name is taken by a device that is not a VXLAN device "
				 "in external mode (choose another with --vxlan-device)");
			err = -EEXIST;
			goto out;
		}
		/* ours from a run with another --vtep or --vxlan-port: made again */
		pr_info("VXLAN device %s: another port or local address than %s port %u: "
			"created again\n", vx->dev, vx->addr, vx->port);
		err = rtnl_link_delete(sk, l);
		rtnl_link_put(l);
		l = NULL;
		if (err) {
			snprintf(why, len, "deleting it: %s", nl_geterror(err));
			err = -EIO;
			goto out;
		}
		err = -NLE_OBJ_NOTFOUND;
	}
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) {
		err = vxlan_create(sk, vx, why, len);
		if (err)
			goto out;
		*created = true;
		pr_info("VXLAN device %s created: external, local %s, port %u, mtu %u (%s's minus "
			"%u)\n", vx->dev, vx->addr, vx->port, mtu, vx->underlay,
			vx->underlay_mtu - mtu);
	} else if (err) {
		snprintf(why, len, "%s", nl_geterror(err));
		err = -EIO;
		goto out;
	} else if (rtnl_link_get_mtu(l) != mtu) {
		struct rtnl_link *change = rtnl_link_alloc();

		err = -ENOMEM;
		if (change) {
			rtnl_link_set_mtu(change, mtu);
			err = rtnl_link_change(sk, l, change, 0);
			rtnl_link_put(change);
		}
		if (err) {
			snprintf(why, len, "setting its MTU to %u: %s", mtu,
				 err == -ENOMEM ? strerror(ENOMEM) : nl_geterror(err));
			err = -EIO;
			goto out;
		}
	}
	if (*created || start) {
		/* before it is up: the host's own IPv6 (DAD, MLD) never leaves by it */
		err = pp_link_ipv6_conf_set(vx->dev, "addr_gen_mode", '1');
		if (!err || err == -ENOENT)
			err = pp_link_ipv6_conf_set(vx->dev, "disable_ipv6", '1');
		if (err && err != -ENOENT)
			pr_warn("VXLAN device %s: host IPv6 not turned off (%s)\n", vx->dev,
				strerror(-err));
		err = pp_link_set_up(vx->dev);
		if (err) {
			snprintf(why, len, "bringing it up: %s", strerror(-err));
			goto out;
		}
	}
	err = 0;
out:
	rtnl_link_put(l);
	nl_socket_free(sk);
	return err;
}

/* ---- its entries ------------------------------------------------------------------ */

/* ifindex was the VXLAN device and is no more: its entry and our program go. */
static void vxlan_release(struct pp_maps *m, __u32 ifindex)
{
	struct pp_dev dev = {};

	if (!ifindex || pp_dev_get(m, ifindex, &dev) || !(dev.flags & PP_DEV_VXLAN) ||
	    dev.ifindex != ifindex)
		return;
	pp_dev_del(m, ifindex);
	pp_tc_detach((int)ifindex);	/* if it is still there (not made again) */
}

int pp_vxlan_sync(struct pp_daemon *d, bool start)
{
	struct pp_maps *m = &d->dp.maps;
	struct pp_vxlan_host *vx = &d->vx;
	struct pp_vxlan cur = {}, want = {};
	struct pp_dev dev = {};
	bool created = false, up = false;
	__u32 ifindex = 0, zero = 0;
	int err;

	pp_vxlan_get(m, zero, &cur);
	vx->why[0] = 0;
	if (!vx->family) {
		vx->ifindex = 0;
		vx->err = 0;
		if (pp_all_zero(&cur, sizeof(cur)))
			return 0;
		err = pp_vxlan_put(m, zero, &want);
		if (!err)
			vxlan_release(m, cur.ifindex);
		return err;
	}
	err = vxlan_ensure(vx, start, &created, vx->why, sizeof(vx->why));
	if (!err) {
		ifindex = pp_link_state(vx->dev, &up);
		if (!ifindex) {
			snprintf(vx->why, sizeof(vx->why), "absent right after it was made");
			err = -ENODEV;
		}
	}
	if (!err && !pp_dev_get(m, ifindex, &dev) && (dev.flags & PP_DEV_TAP) &&
	    dev.ifindex == ifindex) {
		snprintf(vx->why, sizeof(vx->why), "its ifindex is an instance port's tap");
		err = -EBUSY;
	}
	/* its program first, then the entries that make it the way out */
	if (!err && !pp_daemon_attached(d, (int)ifindex, PP_ROLE_NET) &&
	    (err = pp_dp_attach(&d->dp, (int)ifindex, PP_ROLE_NET)))
		snprintf(vx->why, sizeof(vx->why), "attaching our TC program: %s", strerror(-err));
	if (!err) {
		want.ifindex = ifindex;
		want.family = vx->family;
		memcpy(want.local, vx->local, sizeof(want.local));
		err = pp_dp_vxlan_dev_put(m, ifindex);
		if (!err)
			err = pp_map_put_changed(m, PPM_VXLAN, &zero, &want);
		if (err)
			snprintf(vx->why, sizeof(vx->why), "its map entries: %s", strerror(-err));
	}
	if (!err && cur.ifindex != ifindex)
		vxlan_release(m, cur.ifindex);	/* made again, or another name */
	vx->ifindex = err ? 0 : ifindex;
	vx->up = up;
	vx->err = err;
	if (err)
		pr_warn("VXLAN device %s: %s\n", vx->dev, vx->why);
	return err;
}
