// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* L3 domains: uplinks in the maps, devices' sysctls, our routes (see l3.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include "l3.h"
#include "links.h"
#include "log.h"
#include "util.h"

int pp_l3_uplink_install(struct pp_maps *m, __u32 dom, __u32 ifindex, const struct pp_l3up *up)
{
	struct pp_dev dev = {}, want = { .flags = PP_DEV_UPLINK, .net_id = dom, .ifindex = ifindex };
	struct pp_l3up cur = {};
	int err;

	if (!dom || !ifindex)
		return -EINVAL;
	if (!pp_dev_get(m, ifindex, &dev) && dev.ifindex == ifindex &&
	    (dev.flags & (PP_DEV_TAP | PP_DEV_NET)))
		return -EBUSY;		/* a tap's or a network's device: never both */
	if (pp_l3up_get(m, ifindex, &cur) || memcmp(&cur, up, sizeof(cur))) {
		err = pp_l3up_put(m, ifindex, up);
		if (err)
			return err;
	}
	if (!memcmp(&dev, &want, sizeof(dev)))
		return 0;
	return pp_dev_put(m, ifindex, &want);
}

int pp_l3_uplink_remove(struct pp_maps *m, __u32 dom, __u32 ifindex)
{
	struct pp_dev dev = {};
	struct pp_l3up up = {};
	int err;

	if (!pp_dev_get(m, ifindex, &dev) && (dev.flags & PP_DEV_UPLINK) && dev.net_id == dom) {
		err = pp_dev_del(m, ifindex);
		if (err)
			return err;
	}
	if (!pp_l3up_get(m, ifindex, &up) && up.dom == dom) {
		err = pp_l3up_del(m, ifindex);
		if (err && err != -ENOENT)
			return err;
	}
	return 0;
}

int pp_l3_dev_conf(const char *dev, bool uplink)
{
	int err = pp_link_conf_set("ipv4", dev, "forwarding", '1'), e;

	e = pp_link_ipv6_conf_set(dev, "forwarding", '1');
	err = err ?: e;
	if (uplink) {
		e = pp_link_ipv6_conf_set(dev, "addr_gen_mode", '1');
		err = err ?: e;
	}
	return err;
}

/* ---- our routes ------------------------------------------------------------------ */

static struct nl_sock *route_sock(void)
{
	static struct nl_sock *sk;

	if (sk)
		return sk;
	sk = nl_socket_alloc();
	if (sk && nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		sk = NULL;
	}
	return sk;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static struct rtnl_route *route_build(const struct pp_l3_route *w)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct nl_addr *dst = nl_addr_build(w->family, w->dst, addr_len(w->family));
	struct rtnl_nexthop *nh = NULL;

	if (!r || !dst)
		goto fail;
	nl_addr_set_prefixlen(dst, w->plen);
	rtnl_route_set_family(r, w->family);
	rtnl_route_set_table(r, w->table);
	rtnl_route_set_protocol(r, PP_RTPROT);
	rtnl_route_set_type(r, w->type);
	if (rtnl_route_set_dst(r, dst))
		goto fail;
	nl_addr_put(dst);
	dst = NULL;
	if (w->type == RTN_UNICAST) {
		rtnl_route_set_scope(r, w->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
		nh = rtnl_route_nh_alloc();
		if (!nh)
			goto fail;
		rtnl_route_nh_set_ifindex(nh, (int)w->oif);
		if (w->has_gw) {
			struct nl_addr *gw = nl_addr_build(w->family, w->gw, addr_len(w->family));

			if (!gw)
				goto fail;
			rtnl_route_nh_set_gateway(nh, gw);
			nl_addr_put(gw);
		}
		if (w->onlink)
			rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL;
	} else {
		rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	}
	return r;
fail:
	if (nh)
		rtnl_route_nh_free(nh);
	if (dst)
		nl_addr_put(dst);
	if (r)
		rtnl_route_put(r);
	return NULL;
}

/* Is our route r exactly w (its one next hop: device, gateway, onlink)? */
static bool route_same(struct rtnl_route *r, const struct pp_l3_route *w)
{
	struct rtnl_nexthop *nh;
	struct nl_addr *gw;

	if (w->type != RTN_UNICAST)
		return rtnl_route_get_nnexthops(r) == 0 || w->type == rtnl_route_get_type(r);
	if (rtnl_route_get_nnexthops(r) != 1 || !(nh = rtnl_route_nexthop_n(r, 0)))
		return false;
	gw = rtnl_route_nh_get_gateway(nh);
	if ((__u32)rtnl_route_nh_get_ifindex(nh) != w->oif || !!gw != w->has_gw ||
	    !!(rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) != w->onlink)
		return false;
	return !gw || (nl_addr_get_len(gw) == addr_len(w->family) &&
		       !memcmp(nl_addr_get_binary_addr(gw), w->gw, addr_len(w->family)));
}

/*
 * Is dst (a route's destination) the address a of family?  A default
 * route's comes without bytes (libnl gives it length 0): it is the zero
 * address.  Taken for a different route, a default route of ours would be
 * deleted and written again at every sync, its traffic dropped in between.
 */
static bool dst_is(struct nl_addr *dst, int family, const __u8 *a)
{
	static const __u8 zero[16];
	size_t len = nl_addr_get_len(dst);

	if (!len)
		return !memcmp(a, zero, addr_len(family));
	return len == addr_len(family) && !memcmp(nl_addr_get_binary_addr(dst), a, len);
}

/*
 * Is route r (of ours) among want[0..n)?  By table, family, type and
 * destination; present[i] is set when it is want[i] exactly (nothing to
 * write then).
 */
static bool route_wanted(struct rtnl_route *r, const struct pp_l3_route *want, size_t n,
			 bool *present)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);
	int family = rtnl_route_get_family(r);

	for (size_t i = 0; dst && i < n; i++) {
		const struct pp_l3_route *w = &want[i];

		if (w->family == family && w->table == rtnl_route_get_table(r) &&
		    w->type == rtnl_route_get_type(r) && w->plen == nl_addr_get_prefixlen(dst) &&
		    dst_is(dst, family, w->dst)) {
			present[i] = present[i] || route_same(r, w);
			return true;
		}
	}
	return false;
}

struct route_scan {
	const struct pp_l3_route *want;
	size_t n;
	bool *present;		/* want[i] is in the kernel as it is */
	struct rtnl_route *stale[256];
	size_t nstale;
};


static int route_scan_one(struct nl_msg *msg, void *arg)
{
	struct route_scan *rs = arg;
	struct rtnl_route *r = NULL;

	if (rtnl_route_parse(nlmsg_hdr(msg), &r) || !r)
		return NL_OK;
	if (rtnl_route_get_protocol(r) != PP_RTPROT || route_wanted(r, rs->want, rs->n, rs->present) ||
	    rs->nstale == sizeof(rs->stale) / sizeof(rs->stale[0]))
		rtnl_route_put(r);
	else
		rs->stale[rs->nstale++] = r;
	return NL_OK;
}

/*
 * The routes of protocol PP_RTPROT of family into rs, in every table.  The
 * dump asks the kernel to filter by protocol (strict checking, Linux 5.3):
 * a domain fed a full BGP table costs the kernel's walk, not a parse of
 * every route here.  A kernel that ignores the filter still gives a right
 * answer (route_scan_one checks the protocol).  Returns 0 or -EIO.
 */
static int route_scan(int family, struct route_scan *rs)
{
	static struct nl_sock *sk;
	struct rtmsg rtm = { .rtm_family = family, .rtm_protocol = PP_RTPROT };
	int one = 1;

	if (!sk) {
		sk = nl_socket_alloc();
		if (!sk || nl_connect(sk, NETLINK_ROUTE)) {
			nl_socket_free(sk);
			sk = NULL;
			return -EIO;
		}
		setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one,
			   sizeof(one));
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, route_scan_one, rs);
	if (nl_send_simple(sk, RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm)) < 0 ||
	    nl_recvmsgs_default(sk) < 0)
		return -EIO;
	return 0;
}

int pp_l3_routes_sync(const struct pp_l3_route *want, size_t n)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct nl_sock *sk = route_sock();
	bool *present = calloc(n + 1, sizeof(*present));
	int first = 0, err;

	if (!sk || !present) {
		free(present);
		return -ENOMEM;
	}
	/* what is ours and no longer wanted goes first (up to 256 a pass) */
	for (size_t f = 0; f < 2; f++) {
		struct route_scan rs = { .want = want, .n = n, .present = present };

		err = route_scan(families[f], &rs);
		if (err) {
			/* present[] may be partial: writing those again is harmless */
			first = first ?: err;
			for (size_t i = 0; i < rs.nstale; i++)
				rtnl_route_put(rs.stale[i]);
			continue;
		}
		for (size_t i = 0; i < rs.nstale; i++) {
			err = rtnl_route_delete(sk, rs.stale[i], 0);
			if (err && err != -NLE_OBJ_NOTFOUND)
				first = first ?: -EIO;
			rtnl_route_put(rs.stale[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct rtnl_route *r;

		if (present[i])
			continue;	/* there as wanted: no change, no notification */
		r = route_build(&want[i]);
		if (!r) {
			first = first ?: -ENOMEM;
			continue;
		}
		err = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_REPLACE);
		if (err) {
			char a[INET6_ADDRSTRLEN] = "";

			inet_ntop(want[i].family, want[i].dst, a, sizeof(a));
			pr_warn("route %s/%u table %u: %s\n", a, want[i].plen, want[i].table,
				nl_geterror(err));
			first = first ?: -EIO;
		}
		rtnl_route_put(r);
	}
	free(present);
	return first;
}
