// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Taps for a compute service: see tap.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "links.h"
#include "tap.h"

static int sysfs_put(const char *name, const char *attr, const char *val)
{
	char path[128];
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : (size_t)n == len ? 0 : -EIO;
}

static long sysfs_long(const char *name, const char *attr, long dflt)
{
	char buf[32];

	return pp_link_sysfs(name, attr, buf, sizeof(buf)) > 0 ? strtol(buf, NULL, 0) : dflt;
}

static int ifreq_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	if (ioctl(s, req, ifr))
		err = -errno;
	close(s);
	return err;
}

int pp_tap_inspect(const char *name, struct pp_tap_state *st)
{
	char buf[32];
	struct ifreq ifr = {};
	int n;

	memset(st, 0, sizeof(*st));
	st->owner = st->group = -1;
	n = ifreq_ioctl(name, SIOCGIFFLAGS, &ifr);
	if (n == -ENODEV)
		return 0;
	if (n)
		return n;
	st->exists = true;
	st->up = ifr.ifr_flags & IFF_UP;
	st->mtu = sysfs_long(name, "mtu", 0);
	n = pp_link_sysfs(name, "ifalias", st->alias, sizeof(st->alias));
	if (n < 0)
		st->alias[0] = 0;
	if (pp_link_sysfs(name, "tun_flags", buf, sizeof(buf)) > 0) {
		st->is_tun = true;
		st->flags = strtoul(buf, NULL, 0);
		st->is_tap = st->flags & IFF_TAP;
		st->owner = sysfs_long(name, "owner", -1);
		st->group = sysfs_long(name, "group", -1);
	}
	return 0;
}

static void add(char *buf, size_t len, int *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, int *n, const char *fmt, ...)
{
	size_t off = strlen(buf);
	va_list ap;

	if (*n && off < len)
		off += snprintf(buf + off, len - off, "; ");
	if (off < len) {
		va_start(ap, fmt);
		vsnprintf(buf + off, len - off, fmt, ap);
		va_end(ap);
	}
	(*n)++;
}

int pp_tap_conflicts(const struct pp_tap_state *st, const struct pp_tap_want *w, char *buf,
		     size_t len)
{
	bool mq = st->flags & IFF_MULTI_QUEUE;
	int n = 0;

	buf[0] = 0;
	if (!st->exists)
		return 0;
	if (!st->is_tap) {
		add(buf, len, &n, "%s is not a tap device (%s)", w->name,
		    st->is_tun ? "a tun device" : "not tun/tap");
		return n;	/* nothing else of it can be compared */
	}
	if (!(st->flags & IFF_VNET_HDR))
		add(buf, len, &n, "tun_flags 0x%lx without vnet_hdr (IFF_VNET_HDR)", st->flags);
	/* the kernel refuses a TUNSETIFF whose IFF_MULTI_QUEUE differs: QEMU could not open it */
	if (mq != (w->queues > 1))
		add(buf, len, &n, "%s (tun_flags 0x%lx) against %d queue%s", mq ? "multi_queue" :
		    "single queue", st->flags, w->queues, w->queues > 1 ? "s" : "");
	if (w->owner >= 0 && st->owner != w->owner)
		add(buf, len, &n, "owner %ld, not %ld", st->owner, w->owner);
	if (w->group >= 0 && st->group != w->group)
		add(buf, len, &n, "group %ld, not %ld", st->group, w->group);
	if (w->mtu > 0 && st->mtu != w->mtu)
		add(buf, len, &n, "mtu %d, not %d", st->mtu, w->mtu);
	if (st->alias[0] && strcmp(st->alias, w->alias))
		add(buf, len, &n, "alias \"%s\", not \"%s\"", st->alias, w->alias);
	return n;
}

/*
 * Have the kernel announce name (RTM_NEWLINK, with its alias): a change of
 * alias alone is announced only while the device is up (netdev_state_change
 * says nothing of a down device), and polyportd learns of aliases from these
 * messages.  An MTU change always is: on a down device, which carries no
 * frame, the MTU is moved by one and back (up rather than down: below 1280
 * the kernel would turn IPv6 off on it).
 */
static int announce(const char *name)
{
	struct ifreq ifr = {};
	int err = ifreq_ioctl(name, SIOCGIFFLAGS, &ifr), mtu;

	if (err || (ifr.ifr_flags & IFF_UP))
		return err;
	err = ifreq_ioctl(name, SIOCGIFMTU, &ifr);
	if (err)
		return err;
	mtu = ifr.ifr_mtu;
	ifr.ifr_mtu = mtu + 1;
	if (ifreq_ioctl(name, SIOCSIFMTU, &ifr)) {
		ifr.ifr_mtu = mtu - 1;
		err = ifreq_ioctl(name, SIOCSIFMTU, &ifr);
		if (err)
			return err;
	}
	ifr.ifr_mtu = mtu;
	return ifreq_ioctl(name, SIOCSIFMTU, &ifr);
}

int pp_tap_set_alias(const char *name, const char *alias)
{
	/* a lone newline is cut by the kernel: an empty alias, which removes it */
	int err = sysfs_put(name, "ifalias", *alias ? alias : "\n");

	return err ? err : announce(name);
}

int pp_tap_create(const struct pp_tap_want *w)
{
	struct pp_tap_state st;
	struct ifreq ifr = {};
	int fd, err;

	err = pp_tap_inspect(w->name, &st);
	if (err)
		return err;
	if (st.exists)
		return -EEXIST;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", w->name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (w->queues > 1 ? IFF_MULTI_QUEUE : 0);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = -errno;
		close(fd);
		return err;
	}
	if ((w->owner >= 0 && ioctl(fd, TUNSETOWNER, (unsigned long)w->owner)) ||
	    (w->group >= 0 && ioctl(fd, TUNSETGROUP, (unsigned long)w->group)) ||
	    ioctl(fd, TUNSETPERSIST, 1UL)) {
		err = -errno;
		close(fd);	/* not persistent yet: it goes with the fd */
		return err;
	}
	close(fd);
	if (w->mtu > 0) {
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_mtu = w->mtu;
		err = ifreq_ioctl(w->name, SIOCSIFMTU, &ifr);
	}
	if (!err && w->alias && *w->alias)
		err = pp_tap_set_alias(w->name, w->alias);
	if (err)
		pp_tap_delete(w->name);
	return err;
}

int pp_tap_set_up(const char *name, bool up)
{
	struct ifreq ifr = {};
	int err = ifreq_ioctl(name, SIOCGIFFLAGS, &ifr);

	if (err || !!(ifr.ifr_flags & IFF_UP) == up)
		return err;
	ifr.ifr_flags = up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP;
	return ifreq_ioctl(name, SIOCSIFFLAGS, &ifr);
}

int pp_tap_delete(const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	struct nl_sock *sk = nl_socket_alloc();
	int err = -ENOMEM;

	if (!l || !sk)
		goto out;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err) {
		err = -EIO;
		goto out;
	}
	rtnl_link_set_name(l, name);
	err = rtnl_link_delete(sk, l);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
		err = -ENODEV;
	else if (err == -NLE_PERM)
		err = -EPERM;
	else if (err)
		err = -EIO;
out:
	if (sk)
		nl_socket_free(sk);
	rtnl_link_put(l);
	return err;
}

static long id_of(const char *s)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return !*end && !errno && v >= 0 ? v : -2;
}

long pp_tap_uid(const char *user)
{
	struct passwd *pw = getpwnam(user);
	long v;

	if (pw)
		return pw->pw_uid;
	v = id_of(user);
	return v >= 0 ? v : -1;
}

long pp_tap_gid(const char *group)
{
	struct group *gr = getgrnam(group);
	long v;

	if (gr)
		return gr->gr_gid;
	v = id_of(group);
	return v >= 0 ? v : -1;
}
