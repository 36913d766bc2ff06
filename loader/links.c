// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Links: state, changes and events of network devices, in any namespace
 * (see links.h).
 *
 * rtnetlink goes through libnl-3 (3.7 on Debian 12): its sockets, its
 * requests (rtnl_link_build_get_request, rtnl_link_build_change_request),
 * its link objects (nl_msg_parse, rtnl_link_get_*) and its receive loop.
 * A request is sent and answered by nl_ask() rather than by
 * rtnl_link_get_kernel()/rtnl_link_change(), which turn the kernel's errno
 * into libnl's NLE_* codes: the reasons operators read name the errno ("No
 * such device").  What libnl 3.7 has no call for is written here by hand,
 * each on libnl's messages and sockets:
 *   - IFLA_TARGET_NETNSID on RTM_GETLINK (a link in the namespace our
 *     namespace calls nsid): no setter in 3.7 (rtnl_link_set_ns_fd/pid are
 *     IFLA_NET_NS_FD/PID, for moving a link): one attribute added to the
 *     request libnl builds;
 *   - IFLA_XDP (the XDP program on a link, and its mode): 3.7's link object
 *     does not parse it: read from the same answer (nla_parse_nested);
 *   - RTM_GETNSID (the id our namespace gives a namespace fd): 3.7 has no
 *     netns id object: the request is built with nlmsg_alloc_simple/nla_put;
 *   - link events of the other namespaces: NETLINK_LISTEN_ALL_NSID is a
 *     setsockopt 3.7 has no call for, and its nl_recv() keeps no control
 *     message but credentials, where each event's netns id arrives: recvmsg()
 *     by hand on a libnl socket.
 * Not rtnetlink, and not in libnl 3.7: offloads (SIOCETHTOOL ioctl), a tap's
 * tun flags (sysfs; the kernel's IFLA_TUN_* link info has no parser in 3.7),
 * and the IPv6 sysctls (disable_ipv6 has no netlink attribute).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/netconf.h>
#include <linux/sockios.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include "links.h"

#ifndef IFLA_TARGET_NETNSID
#define IFLA_TARGET_NETNSID 46
#endif

/* ---- one request, its answer ------------------------------------------------------ */

/*
 * The process's query socket, opened at the first query.  Dropped after a
 * failure of the socket itself (a timeout, say): an answer arriving late
 * would otherwise be taken for the next request's.
 */
static struct nl_sock *query_sk;

static int query_open(void)
{
	struct timeval tv = { .tv_sec = 2 };
	int err;

	if (query_sk)
		return 0;
	query_sk = nl_socket_alloc();
	if (!query_sk)
		return -ENOMEM;
	err = nl_connect(query_sk, NETLINK_ROUTE);
	if (err) {
		err = errno ? -errno : -EIO;
		nl_socket_free(query_sk);
		query_sk = NULL;
		return err;
	}
	setsockopt(nl_socket_get_fd(query_sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

struct answer {
	int (*parse)(struct nl_msg *msg, void *arg);	/* the answer, or NULL (an ack) */
	void *arg;
	int err;		/* the kernel's -errno, or parse's */
	bool got, done;
};

static int answer_valid(struct nl_msg *msg, void *p)
{
	struct answer *a = p;

	if (a->got)
		return NL_SKIP;
	a->got = true;
	if (a->parse)
		a->err = a->parse(msg, a->arg);
	return NL_OK;
}

static int answer_ack(struct nl_msg *msg, void *p)
{
	(void)msg;
	((struct answer *)p)->done = true;
	return NL_STOP;
}

static int answer_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *p)
{
	struct answer *a = p;

	(void)who;
	a->err = e->error;
	a->done = true;
	return NL_STOP;
}

/*
 * Send req, receive its answer (parse, if not NULL, sees it) and the ack.
 * Returns 0, the kernel's -errno, parse's error, or -errno of the socket.
 */
static int nl_ask(struct nl_msg *req, int (*parse)(struct nl_msg *, void *), void *arg)
{
	struct answer a = { .parse = parse, .arg = arg };
	struct nl_cb *cb;
	int err, i;

	err = query_open();
	if (err)
		return err;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, answer_valid, &a);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, answer_ack, &a);
	nl_cb_err(cb, NL_CB_CUSTOM, answer_error, &a);
	err = nl_send_auto(query_sk, req);
	/* The answer, then the ack: one receive each (a few, at the most). */
	for (i = 0; err >= 0 && !a.done && i < 8; i++)
		err = nl_recvmsgs(query_sk, cb);
	nl_cb_put(cb);
	if (a.done && a.err)
		return a.err;
	if (!a.done) {
		nl_socket_free(query_sk);
		query_sk = NULL;
		return err == -NLE_AGAIN ? -EAGAIN : err == -NLE_NOMEM ? -ENOMEM : -EIO;
	}
	if (parse && !a.got)
		return -ENODATA;
	return 0;
}

/* ---- state ------------------------------------------------------------------------ */

static void link_of_obj(struct nl_object *obj, void *arg)
{
	struct rtnl_link *rl = (struct rtnl_link *)obj;
	struct pp_link *l = arg;
	const char *s;
	int32_t nsid;

	l->ifindex = rtnl_link_get_ifindex(rl);
	l->up = rtnl_link_get_flags(rl) & IFF_UP;
	s = rtnl_link_get_name(rl);
	snprintf(l->name, sizeof(l->name), "%s", s ? s : "");
	s = rtnl_link_get_type(rl);
	snprintf(l->kind, sizeof(l->kind), "%s", s ? s : "");
	l->link = rtnl_link_get_link(rl);
	if (!rtnl_link_get_link_netnsid(rl, &nsid))
		l->link_nsid = nsid;
}

/* An RTM_NEWLINK answer: libnl's link object, and IFLA_XDP by hand. */
static int link_answer(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *a, *x[IFLA_XDP_MAX + 1];
	struct pp_link *l = arg;

	if (h->nlmsg_type != RTM_NEWLINK || nl_msg_parse(msg, link_of_obj, l) < 0)
		return -EPROTO;
	a = nlmsg_find_attr(h, sizeof(struct ifinfomsg), IFLA_XDP);
	if (a && !nla_parse_nested(x, IFLA_XDP_MAX, a, NULL)) {
		if (x[IFLA_XDP_DRV_PROG_ID])
			l->xdp_drv_prog = nla_get_u32(x[IFLA_XDP_DRV_PROG_ID]);
		if (x[IFLA_XDP_SKB_PROG_ID])
			l->xdp_skb_prog = nla_get_u32(x[IFLA_XDP_SKB_PROG_ID]);
	}
	return 0;
}

/* The link ifindex or name, in the namespace our namespace calls nsid (-1: ours). */
static int link_query(int ifindex, const char *name, int nsid, struct pp_link *l)
{
	struct nl_msg *req;
	int err;

	memset(l, 0, sizeof(*l));
	l->link_nsid = -1;
	if (rtnl_link_build_get_request(ifindex, name, &req) < 0)
		return -ENOMEM;
	if (nsid >= 0 && nla_put_s32(req, IFLA_TARGET_NETNSID, nsid) < 0)
		err = -ENOMEM;
	else
		err = nl_ask(req, link_answer, l);
	nlmsg_free(req);
	return err;
}

int pp_link_get(const char *name, struct pp_link *l)
{
	return link_query(0, name, -1, l);
}

int pp_link_get_index(int ifindex, int nsid, struct pp_link *l)
{
	return link_query(ifindex, NULL, nsid, l);
}

struct alias_dump {
	const char *prefix;
	struct pp_link_alias *v;
	int n, cap, err;
};

static void alias_of_obj(struct nl_object *obj, void *arg)
{
	struct rtnl_link *rl = (struct rtnl_link *)obj;
	const char *al = rtnl_link_get_ifalias(rl), *nm = rtnl_link_get_name(rl);
	struct alias_dump *ad = arg;
	struct pp_link_alias *v;

	if (ad->err || !al || !nm || strncmp(al, ad->prefix, strlen(ad->prefix)))
		return;
	if (ad->n == ad->cap) {
		int cap = ad->cap ? 2 * ad->cap : 8;

		v = realloc(ad->v, cap * sizeof(*v));
		if (!v) {
			ad->err = -ENOMEM;
			return;
		}
		ad->v = v;
		ad->cap = cap;
	}
	v = &ad->v[ad->n++];
	v->ifindex = rtnl_link_get_ifindex(rl);
	v->up = rtnl_link_get_flags(rl) & IFF_UP;
	snprintf(v->name, sizeof(v->name), "%s", nm);
	snprintf(v->alias, sizeof(v->alias), "%s", al);
}

int pp_link_aliases(const char *prefix, struct pp_link_alias **out)
{
	struct alias_dump ad = { .prefix = prefix };
	struct nl_cache *cache = NULL;
	struct nl_sock *sk;
	int err;

	*out = NULL;
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err) {
		nl_socket_free(sk);
		return err == -NLE_NOMEM ? -ENOMEM : -EIO;
	}
	nl_cache_foreach(cache, alias_of_obj, &ad);
	nl_cache_free(cache);
	nl_socket_free(sk);
	if (ad.err) {
		free(ad.v);
		return ad.err;
	}
	*out = ad.v;
	return ad.n;
}

struct alias_buf {
	char *s;
	size_t len;
};

static void one_alias(struct nl_object *obj, void *arg)
{
	const char *al = rtnl_link_get_ifalias((struct rtnl_link *)obj);
	struct alias_buf *b = arg;

	snprintf(b->s, b->len, "%s", al ? al : "");
}

static int alias_answer(struct nl_msg *msg, void *arg)
{
	return nlmsg_hdr(msg)->nlmsg_type != RTM_NEWLINK ||
	       nl_msg_parse(msg, one_alias, arg) < 0 ? -EPROTO : 0;
}

int pp_link_alias(const char *name, char *alias, size_t len)
{
	struct alias_buf b = { alias, len };
	struct nl_msg *req;
	int err;

	alias[0] = 0;
	if (rtnl_link_build_get_request(0, name, &req) < 0)
		return -ENOMEM;
	err = nl_ask(req, alias_answer, &b);
	nlmsg_free(req);
	return err;
}

__u32 pp_link_state(const char *name, bool *up)
{
	struct pp_link l;

	*up = false;
	if (link_query(0, name, -1, &l))
		return 0;
	*up = l.up;
	return l.ifindex;
}

/*
 * One RTM_GETLINK for that link: libbpf 1.1's bpf_xdp_query() dumps every
 * link of the namespace per call, which made a reconcile over N devices
 * cost O(N^2) (measured: seconds at 1,000 taps).
 */
int pp_link_xdp(int ifindex, __u32 *prog_id, __u32 *mode)
{
	struct pp_link l;
	int err = link_query(ifindex, NULL, -1, &l);

	*prog_id = 0;
	*mode = 0;
	if (err)
		return err;
	if (l.xdp_drv_prog) {
		*prog_id = l.xdp_drv_prog;
		*mode = XDP_FLAGS_DRV_MODE;
	} else if (l.xdp_skb_prog) {
		*prog_id = l.xdp_skb_prog;
		*mode = XDP_FLAGS_SKB_MODE;
	}
	return 0;
}

int pp_link_set_up(const char *name)
{
	struct rtnl_link *orig = NULL, *change = NULL;
	struct nl_msg *req = NULL;
	struct pp_link l;
	int err;

	err = link_query(0, name, -1, &l);
	if (err || l.up)
		return err;
	orig = rtnl_link_alloc();
	change = rtnl_link_alloc();
	err = -ENOMEM;
	if (!orig || !change)
		goto out;
	rtnl_link_set_ifindex(orig, l.ifindex);
	rtnl_link_set_flags(change, IFF_UP);
	if (rtnl_link_build_change_request(orig, change, 0, &req) < 0)
		goto out;
	err = nl_ask(req, NULL, NULL);
out:
	nlmsg_free(req);
	rtnl_link_put(change);
	rtnl_link_put(orig);
	return err;
}

int pp_link_ipv6_conf_set(const char *dev, const char *key, char val)
{
	return pp_link_conf_set("ipv6", dev, key, val);
}

int pp_link_conf_set(const char *family, const char *dev, const char *key, char val)
{
	char path[128], cur[8] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, dev, key);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0 && cur[0] == val && (cur[1] == '\n' || !cur[1])) {
		close(fd);
		return 0;
	}
	n = pwrite(fd, &val, 1, 0);
	close(fd);
	return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

int pp_link_sysfs(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", dev, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return (int)n;
}

int pp_link_tun_flags(const char *name, unsigned long *flags)
{
	char buf[32];
	int n = pp_link_sysfs(name, "tun_flags", buf, sizeof(buf));

	if (n < 0)
		return n;
	*flags = strtoul(buf, NULL, 0);
	return 0;
}

int pp_link_mac(const char *name, __u8 mac[6])
{
	char buf[32];
	unsigned v[6];
	int n = pp_link_sysfs(name, "address", buf, sizeof(buf));

	if (n < 0)
		return n;
	if (sscanf(buf, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)v[i];
	return 0;
}

/* ---- namespaces by id ------------------------------------------------------------- */

static int nsid_answer(struct nl_msg *msg, void *arg)
{
	struct nlattr *a = nlmsg_find_attr(nlmsg_hdr(msg), sizeof(struct rtgenmsg), NETNSA_NSID);

	if (!a)
		return -ENOENT;
	*(int *)arg = nla_get_s32(a);
	return 0;
}

/* The id our namespace gives the namespace of fd, or -errno. */
static int nsid_of_fd(int nsfd)
{
	struct rtgenmsg g = { .rtgen_family = AF_UNSPEC };
	struct nl_msg *req = nlmsg_alloc_simple(RTM_GETNSID, 0);
	int nsid = -1, err;

	if (!req)
		return -ENOMEM;
	if (nlmsg_append(req, &g, sizeof(g), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(req, NETNSA_FD, nsfd) < 0)
		err = -ENOMEM;
	else
		err = nl_ask(req, nsid_answer, &nsid);
	nlmsg_free(req);
	return err ? err : nsid;
}

/* Try one candidate namespace file; returns an fd of the namespace nsid, or -1. */
static int try_ns(const char *path, int nsid, ino_t *seen, int *nseen)
{
	struct stat st;
	int fd;

	if (stat(path, &st))
		return -1;
	for (int i = 0; i < *nseen; i++)
		if (seen[i] == st.st_ino)
			return -1;
	if (*nseen < 4096)
		seen[(*nseen)++] = st.st_ino;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (nsid_of_fd(fd) == nsid)
		return fd;
	close(fd);
	return -1;
}

/*
 * An fd of the network namespace our namespace calls nsid: one of the
 * named ones (/run/netns), else one a process lives in (/proc/<pid>/ns/net).
 */
static int netns_open_nsid(int nsid)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };
	static ino_t seen[4096];
	int nseen = 0, fd = -1;
	char path[300];
	struct dirent *e;
	DIR *d;

	for (int k = 0; k < 2 && fd < 0; k++) {
		d = opendir(dirs[k]);
		if (!d)
			continue;
		while (fd < 0 && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (k == 0)
				snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
			else if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
				snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
			else
				continue;
			fd = try_ns(path, nsid, seen, &nseen);
		}
		closedir(d);
	}
	return fd >= 0 ? fd : -ENOENT;
}

/* ---- offloads, read (and set) over the ethtool ioctl, in any namespace -------- */

static const char *const feat_names[PP_F_N] = {
	"tx-vlan-hw-insert", "tx-vlan-stag-hw-insert", "rx-vlan-hw-parse", "rx-vlan-stag-hw-parse",
};

struct offl_job {
	int nsfd;		/* -1: our namespace */
	char name[IF_NAMESIZE];
	bool rx_vlan_off;	/* turn rx-vlan-hw-parse / rx-vlan-stag-hw-parse off first */
	struct pp_link_offloads o;
	int err;
};

static int ethtool(int s, const char *name, void *data)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = data;
	return ioctl(s, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* Bit of each of feat_names in the kernel's feature string set (-1: absent). */
static int feat_bits(int s, const char *name, int bit[PP_F_N], __u32 *nbits)
{
	struct {
		struct ethtool_sset_info i;
		__u32 n;
	} ss = { .i = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES } };
	struct ethtool_gstrings *gs;
	int err;

	for (int f = 0; f < PP_F_N; f++)
		bit[f] = -1;
	err = ethtool(s, name, &ss);
	if (err)
		return err;
	if (!ss.i.sset_mask || !ss.n)
		return -EOPNOTSUPP;
	gs = calloc(1, sizeof(*gs) + (size_t)ss.n * ETH_GSTRING_LEN);
	if (!gs)
		return -ENOMEM;
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = ss.n;
	err = ethtool(s, name, gs);
	for (__u32 i = 0; !err && i < gs->len; i++)
		for (int f = 0; f < PP_F_N; f++)
			if (!strncmp((char *)gs->data + i * ETH_GSTRING_LEN, feat_names[f],
				     ETH_GSTRING_LEN))
				bit[f] = i;
	*nbits = gs->len;
	free(gs);
	return err;
}

static int feat_read(int s, const char *name, const int bit[PP_F_N], __u32 nbits,
		     struct pp_link_offloads *o)
{
	__u32 blocks = (nbits + 31) / 32;
	struct ethtool_gfeatures *g = calloc(1, sizeof(*g) + blocks * sizeof(g->features[0]));
	int err;

	if (!g)
		return -ENOMEM;
	g->cmd = ETHTOOL_GFEATURES;
	g->size = blocks;
	err = ethtool(s, name, g);
	for (int f = 0; !err && f < PP_F_N; f++) {
		const struct ethtool_get_features_block *b;
		__u32 m;

		if (bit[f] < 0) {
			o->on[f] = -1;
			o->fixed[f] = true;
			continue;
		}
		b = &g->features[bit[f] / 32];
		m = 1u << (bit[f] % 32);
		o->on[f] = !!(b->active & m);
		o->fixed[f] = !(b->available & m);
	}
	free(g);
	return err;
}

/* Turn the rx-VLAN offloads off (those that are on and changeable). */
static int rx_vlan_clear(int s, const char *name, const int bit[PP_F_N], __u32 nbits,
			 const struct pp_link_offloads *o)
{
	__u32 blocks = (nbits + 31) / 32;
	struct ethtool_sfeatures *sf = calloc(1, sizeof(*sf) + blocks * sizeof(sf->features[0]));
	bool any = false;
	int err = 0;

	if (!sf)
		return -ENOMEM;
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = blocks;
	for (int f = PP_F_RXVLAN; f <= PP_F_RXVLAN_STAG; f++) {
		if (o->on[f] != 1 || o->fixed[f])
			continue;
		sf->features[bit[f] / 32].valid |= 1u << (bit[f] % 32);	/* requested: 0 */
		any = true;
	}
	if (any)
		err = ethtool(s, name, sf);	/* > 0 flags are read back below */
	free(sf);
	return err;
}

/* Runs on its own thread: setns() changes only the calling thread's namespace. */
static void *offl_thread(void *arg)
{
	struct offl_job *j = arg;
	struct ethtool_value ev = { .cmd = ETHTOOL_GTXCSUM };
	int s, bit[PP_F_N];
	__u32 nbits = 0;

	if (j->nsfd >= 0 && setns(j->nsfd, CLONE_NEWNET)) {
		j->err = -errno;
		return NULL;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		j->err = -errno;
		return NULL;
	}
	j->err = ethtool(s, j->name, &ev);
	j->o.tx_csum = !!ev.data;
	if (!j->err)
		j->err = feat_bits(s, j->name, bit, &nbits);
	if (!j->err)
		j->err = feat_read(s, j->name, bit, nbits, &j->o);
	if (!j->err && j->rx_vlan_off) {
		j->err = rx_vlan_clear(s, j->name, bit, nbits, &j->o);
		if (!j->err)
			j->err = feat_read(s, j->name, bit, nbits, &j->o);
	}
	close(s);
	return NULL;
}

int pp_link_offloads(int nsid, const char *name, bool rx_vlan_off, struct pp_link_offloads *o)
{
	struct offl_job j = { .nsfd = -1, .rx_vlan_off = rx_vlan_off };
	pthread_t t;
	int err;

	snprintf(j.name, sizeof(j.name), "%s", name);
	if (nsid >= 0) {
		j.nsfd = netns_open_nsid(nsid);
		if (j.nsfd < 0)
			return j.nsfd;
	}
	err = pthread_create(&t, NULL, offl_thread, &j);
	if (!err)
		pthread_join(t, NULL);
	if (j.nsfd >= 0)
		close(j.nsfd);
	if (err)
		return -err;
	*o = j.o;
	return j.err;
}

/* ---- events ----------------------------------------------------------------------- */

struct pp_link_events {
	struct nl_sock *sk;	/* our namespace */
	struct nl_sock *all;	/* every namespace with an id in ours, or NULL */
	int all_err;		/* why all is NULL */
	pp_link_event_fn *fn;
	void *arg;
};

static int on_link(struct nl_msg *msg, void *arg)
{
	struct pp_link_events *ev = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct pp_link_event e = { .nsid = -1 };
	struct nlattr *a;

	if (nlh->nlmsg_type == RTM_NEWNETCONF) {
		/*
		 * A device's IPv4/IPv6 configuration changed (forwarding: the
		 * fib lookups of L3 domains need it on): reported as a change of
		 * the device; of all of them when "all" or "default" changed.
		 */
		struct nlattr *ia;
		char name[IF_NAMESIZE];
		int ifindex;

		if (nlmsg_datalen(nlh) < (int)sizeof(struct netconfmsg))
			return NL_OK;
		ia = nlmsg_find_attr(nlh, sizeof(struct netconfmsg), NETCONFA_IFINDEX);
		if (!ia || nla_len(ia) < (int)sizeof(int))
			return NL_OK;
		ifindex = nla_get_s32(ia);
		if (ifindex < 0) {
			e.lost = true;
			e.why = "a namespace-wide IP setting changed";
		} else if (if_indextoname((unsigned)ifindex, name)) {
			e.ifindex = ifindex;
			e.name = name;
		} else {
			return NL_OK;
		}
		ev->fn(&e, ev->arg);
		return NL_OK;
	}
	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return NL_OK;
	if (nlmsg_datalen(nlh) < (int)sizeof(struct ifinfomsg))
		return NL_OK;
	a = nlmsg_find_attr(nlh, sizeof(struct ifinfomsg), IFLA_IFNAME);
	e.ifindex = ((struct ifinfomsg *)nlmsg_data(nlh))->ifi_index;
	e.name = a ? nla_get_string(a) : NULL;
	a = nlmsg_find_attr(nlh, sizeof(struct ifinfomsg), IFLA_IFALIAS);
	e.alias = a && nla_len(a) > 0 ? nla_get_string(a) : NULL;
	e.deleted = nlh->nlmsg_type == RTM_DELLINK;
	ev->fn(&e, ev->arg);
	return NL_OK;
}

/*
 * A network device's XDP depends on its veth peer's offloads (xdpmode.c),
 * and the peer usually lives in another namespace, whose link events the
 * socket of our namespace does not get.  This one gets the link events of
 * every namespace that has an id in ours (NETLINK_LISTEN_ALL_NSID), each
 * with that id (a peer's namespace has one: the kernel gives it one when it
 * reports the peer).  An offload change (ethtool -K) is such an event.
 * 0 or -errno.
 */
static int peers_open(struct pp_link_events *ev)
{
	int on = 1, err;

	ev->all = nl_socket_alloc();
	if (!ev->all)
		return -ENOMEM;
	errno = 0;
	if (nl_connect(ev->all, NETLINK_ROUTE) || nl_socket_add_membership(ev->all, RTNLGRP_LINK) ||
	    setsockopt(nl_socket_get_fd(ev->all), SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &on,
		       sizeof(on)) ||
	    nl_socket_set_nonblocking(ev->all)) {
		err = errno ? -errno : -EIO;
		nl_socket_free(ev->all);
		ev->all = NULL;
		return err;
	}
	nl_socket_set_buffer_size(ev->all, 4 << 20, 0);
	return 0;
}

int pp_link_events_open(struct pp_link_events **evp, pp_link_event_fn *fn, void *arg)
{
	struct pp_link_events *ev = calloc(1, sizeof(*ev));
	int err;

	*evp = NULL;
	if (!ev)
		return -ENOMEM;
	ev->fn = fn;
	ev->arg = arg;
	ev->sk = nl_socket_alloc();
	if (!ev->sk) {
		free(ev);
		return -ENOMEM;
	}
	nl_socket_disable_seq_check(ev->sk);
	nl_socket_modify_cb(ev->sk, NL_CB_VALID, NL_CB_CUSTOM, on_link, ev);
	errno = 0;
	if (nl_connect(ev->sk, NETLINK_ROUTE) || nl_socket_add_membership(ev->sk, RTNLGRP_LINK) ||
	    nl_socket_set_nonblocking(ev->sk)) {
		err = errno ? -errno : -EIO;
		nl_socket_free(ev->sk);
		free(ev);
		return err;
	}
	nl_socket_set_buffer_size(ev->sk, 4 << 20, 0);
	/* per-device forwarding, which L3 domains need (no IPv6: none to hear) */
	nl_socket_add_membership(ev->sk, RTNLGRP_IPV4_NETCONF);
	nl_socket_add_membership(ev->sk, RTNLGRP_IPV6_NETCONF);
	ev->all_err = peers_open(ev);
	*evp = ev;
	return 0;
}

int pp_link_events_peers_err(const struct pp_link_events *ev)
{
	return ev->all_err;
}

int pp_link_events_fds(const struct pp_link_events *ev, int fds[2])
{
	int n = 0;

	fds[n++] = nl_socket_get_fd(ev->sk);
	if (ev->all)
		fds[n++] = nl_socket_get_fd(ev->all);
	return n;
}

static void sk_read(struct pp_link_events *ev)
{
	int err;

	while ((err = nl_recvmsgs_default(ev->sk)) >= 0)
		;
	if (err != -NLE_AGAIN) {
		/* Lost events (buffer overrun): every device again. */
		struct pp_link_event e = { .nsid = -1, .lost = true, .why = nl_geterror(err) };

		ev->fn(&e, ev->arg);
	}
}

/* The events of the other namespaces, each with its netns id in a control message. */
static void all_read(struct pp_link_events *ev)
{
	static char buf[32768];
	char cbuf[CMSG_SPACE(sizeof(int)) * 4];
	int fd = nl_socket_get_fd(ev->all);

	for (;;) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t got = recvmsg(fd, &mh, 0);
		int nsid = -1, len;

		if (got < 0) {
			struct pp_link_event e = { .nsid = -1, .lost = true };

			if (errno != ENOBUFS)
				break;
			ev->fn(&e, ev->arg);	/* lost events: every device again */
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID)
				memcpy(&nsid, CMSG_DATA(c), sizeof(nsid));
		if (nsid < 0)
			continue;	/* our namespace: the other socket has it */
		len = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)len);
		     h = NLMSG_NEXT(h, len)) {
			struct pp_link_event e = { .nsid = nsid };

			if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				continue;
			e.ifindex = ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
			e.deleted = h->nlmsg_type == RTM_DELLINK;
			ev->fn(&e, ev->arg);
		}
	}
}

void pp_link_events_read(struct pp_link_events *ev, int fd)
{
	if (fd == nl_socket_get_fd(ev->sk))
		sk_read(ev);
	else if (ev->all && fd == nl_socket_get_fd(ev->all))
		all_read(ev);
}

void pp_link_events_close(struct pp_link_events *ev)
{
	if (!ev)
		return;
	nl_socket_free(ev->sk);
	if (ev->all)
		nl_socket_free(ev->all);
	free(ev);
}
