// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The XDP fast path: attach, pp_xdp_tx, mode decisions (see xdp.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
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
#include <linux/if_tun.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdp.h"

#ifndef IFLA_TARGET_NETNSID
#define IFLA_TARGET_NETNSID 46
#endif

static const char *const pp_xdp_prog_names[] = { "pp_tap_xdp", "pp_net_xdp" };

static void say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- rtnetlink ------------------------------------------------------------------ */

struct pp_link {
	char name[IF_NAMESIZE];
	char kind[32];		/* IFLA_INFO_KIND, "" for none */
	int link;		/* IFLA_LINK: a veth's peer, 0 if none */
	int link_nsid;		/* IFLA_LINK_NETNSID, -1 if the peer is in our namespace */
	__u32 xdp_drv_prog;	/* native XDP program id, 0 if none */
	__u32 xdp_skb_prog;	/* generic XDP program id, 0 if none */
};

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct timeval tv = { .tv_sec = 2 };

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void nl_attr(struct nlmsghdr *n, int type, const void *data, int len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send n, receive the one answer into buf.  Returns its length or -errno. */
static int nl_talk(int fd, struct nlmsghdr *n, char *buf, size_t len)
{
	struct nlmsghdr *h;
	int got;

	n->nlmsg_seq = 1;
	if (send(fd, n, n->nlmsg_len, 0) < 0)
		return -errno;
	got = recv(fd, buf, len, 0);
	if (got < 0)
		return -errno;
	h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (unsigned)got))
		return -EPROTO;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);

		return e->error ? e->error : -ENODATA;
	}
	return got;
}

static void parse_xdp(struct rtattr *nest, struct pp_link *l)
{
	int len = RTA_PAYLOAD(nest);

	for (struct rtattr *a = RTA_DATA(nest); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_XDP_DRV_PROG_ID)
			l->xdp_drv_prog = *(__u32 *)RTA_DATA(a);
		else if (a->rta_type == IFLA_XDP_SKB_PROG_ID)
			l->xdp_skb_prog = *(__u32 *)RTA_DATA(a);
	}
}

/*
 * The link ifindex, in the namespace whose id (as seen from ours) is nsid,
 * or in ours if nsid < 0.
 */
static int pp_getlink(int ifindex, int nsid, struct pp_link *l)
{
	struct {
		struct nlmsghdr n;
		struct ifinfomsg i;
		char attrs[64];
	} req = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
		       .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST },
		.i = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	static char buf[32768];
	struct ifinfomsg *ifi;
	struct nlmsghdr *h;
	int fd, got, len;

	memset(l, 0, sizeof(*l));
	l->link_nsid = -1;
	if (nsid >= 0)
		nl_attr(&req.n, IFLA_TARGET_NETNSID, &nsid, sizeof(nsid));
	fd = nl_open();
	if (fd < 0)
		return fd;
	got = nl_talk(fd, &req.n, buf, sizeof(buf));
	close(fd);
	if (got < 0)
		return got;
	h = (struct nlmsghdr *)buf;
	if (h->nlmsg_type != RTM_NEWLINK)
		return -EPROTO;
	ifi = NLMSG_DATA(h);
	len = IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case IFLA_IFNAME:
			snprintf(l->name, sizeof(l->name), "%s", (char *)RTA_DATA(a));
			break;
		case IFLA_LINK:
			l->link = *(int *)RTA_DATA(a);
			break;
		case IFLA_LINK_NETNSID:
			l->link_nsid = *(int *)RTA_DATA(a);
			break;
		case IFLA_XDP:
			parse_xdp(a, l);
			break;
		case IFLA_LINKINFO: {
			int ilen = RTA_PAYLOAD(a);

			for (struct rtattr *b = RTA_DATA(a); RTA_OK(b, ilen); b = RTA_NEXT(b, ilen))
				if (b->rta_type == IFLA_INFO_KIND)
					snprintf(l->kind, sizeof(l->kind), "%s", (char *)RTA_DATA(b));
			break;
		}
		}
	}
	return 0;
}

/* The id our namespace gives the namespace of fd, or -errno. */
static int nsid_of_fd(int nl, int nsfd)
{
	struct {
		struct nlmsghdr n;
		struct rtgenmsg g;
		char pad[3];
		char attrs[16];
	} req = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg)),
		       .nlmsg_type = RTM_GETNSID, .nlmsg_flags = NLM_F_REQUEST },
		.g = { .rtgen_family = AF_UNSPEC },
	};
	char buf[512];
	struct nlmsghdr *h;
	struct rtattr *a;
	int got, len;

	nl_attr(&req.n, NETNSA_FD, &nsfd, sizeof(nsfd));
	got = nl_talk(nl, &req.n, buf, sizeof(buf));
	if (got < 0)
		return got;
	h = (struct nlmsghdr *)buf;
	len = h->nlmsg_len - NLMSG_LENGTH(sizeof(struct rtgenmsg));
	a = (struct rtattr *)((char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct rtgenmsg)));
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == NETNSA_NSID)
			return *(int *)RTA_DATA(a);
	return -ENOENT;
}

/* Try one candidate namespace file; returns an fd of the namespace nsid, or -1. */
static int try_ns(int nl, const char *path, int nsid, ino_t *seen, int *nseen)
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
	if (nsid_of_fd(nl, fd) == nsid)
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
	static ino_t seen[4096];
	int nseen = 0, nl, fd = -1;
	char path[300];
	struct dirent *e;
	DIR *d;

	nl = nl_open();
	if (nl < 0)
		return nl;
	const char *dirs[] = { "/run/netns", "/proc" };
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
			fd = try_ns(nl, path, nsid, seen, &nseen);
		}
		closedir(d);
	}
	close(nl);
	return fd >= 0 ? fd : -ENOENT;
}

/* ---- offloads, read (and set) over the ethtool ioctl, in any namespace -------- */

/*
 * The features that decide whether a tag can reach XDP as metadata (the
 * kernel's names; `ethtool -k` shows the CTAG ones as tx-vlan-offload and
 * rx-vlan-offload, `ethtool -K` takes txvlan and rxvlan): a veth
 * peer transmitting with tx-vlan-hw-insert / tx-vlan-stag-hw-insert on
 * hands a tag it was given as metadata (by a bridge, a VLAN device, OVS,
 * bpf_skb_vlan_push) to the veth as metadata: XDP on our end sees the frame
 * without it.  With them off, the transmit path writes the tag into the
 * frame first (validate_xmit_vlan).  A NIC with rx-vlan-hw-parse /
 * rx-vlan-stag-hw-parse on strips the outer tag before XDP runs.
 */
enum { F_TXVLAN, F_TXVLAN_STAG, F_RXVLAN, F_RXVLAN_STAG, F_N };
static const char *const feat_names[F_N] = {
	"tx-vlan-hw-insert", "tx-vlan-stag-hw-insert", "rx-vlan-hw-parse", "rx-vlan-stag-hw-parse",
};

struct offl {
	int tx_csum;		/* tx-checksumming: 1 on, 0 off */
	int on[F_N];		/* 1 active, 0 off, -1 no such feature in this kernel */
	bool fixed[F_N];	/* not changeable (not in the device's hw_features) */
};

struct offl_job {
	int nsfd;		/* -1: our namespace */
	char name[IF_NAMESIZE];
	bool rx_vlan_off;	/* turn rx-vlan-hw-parse / rx-vlan-stag-hw-parse off first */
	struct offl o;
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
static int feat_bits(int s, const char *name, int bit[F_N], __u32 *nbits)
{
	struct {
		struct ethtool_sset_info i;
		__u32 n;
	} ss = { .i = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES } };
	struct ethtool_gstrings *gs;
	int err;

	for (int f = 0; f < F_N; f++)
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
		for (int f = 0; f < F_N; f++)
			if (!strncmp((char *)gs->data + i * ETH_GSTRING_LEN, feat_names[f],
				     ETH_GSTRING_LEN))
				bit[f] = i;
	*nbits = gs->len;
	free(gs);
	return err;
}

static int feat_read(int s, const char *name, const int bit[F_N], __u32 nbits, struct offl *o)
{
	__u32 blocks = (nbits + 31) / 32;
	struct ethtool_gfeatures *g = calloc(1, sizeof(*g) + blocks * sizeof(g->features[0]));
	int err;

	if (!g)
		return -ENOMEM;
	g->cmd = ETHTOOL_GFEATURES;
	g->size = blocks;
	err = ethtool(s, name, g);
	for (int f = 0; !err && f < F_N; f++) {
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
static int rx_vlan_clear(int s, const char *name, const int bit[F_N], __u32 nbits,
			 const struct offl *o)
{
	__u32 blocks = (nbits + 31) / 32;
	struct ethtool_sfeatures *sf = calloc(1, sizeof(*sf) + blocks * sizeof(sf->features[0]));
	bool any = false;
	int err = 0;

	if (!sf)
		return -ENOMEM;
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = blocks;
	for (int f = F_RXVLAN; f <= F_RXVLAN_STAG; f++) {
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
	int s, bit[F_N];
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

/*
 * The offloads of device name in the namespace our namespace calls nsid (-1:
 * ours); with rx_vlan_off, its rx-VLAN offloads are turned off first.
 * Returns 0 or -errno.
 */
static int dev_offloads(int nsid, const char *name, bool rx_vlan_off, struct offl *o)
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

/* Can a tag reach XDP as metadata through these offloads?  1/0 */
static bool tx_vlan_on(const struct offl *o)
{
	return o->on[F_TXVLAN] == 1 || o->on[F_TXVLAN_STAG] == 1;
}

static bool rx_vlan_on(const struct offl *o)
{
	return o->on[F_RXVLAN] == 1 || o->on[F_RXVLAN_STAG] == 1;
}

static bool rx_vlan_fixed_on(const struct offl *o)
{
	return (o->on[F_RXVLAN] == 1 && o->fixed[F_RXVLAN]) ||
	       (o->on[F_RXVLAN_STAG] == 1 && o->fixed[F_RXVLAN_STAG]);
}

/* ---- attach ------------------------------------------------------------------ */

/* Is program id one of polyport's XDP programs? */
static bool prog_is_ours(__u32 id)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours = false;

	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (unsigned i = 0; i < 2; i++)
			ours |= !strcmp(info.name, pp_xdp_prog_names[i]);
	close(fd);
	return ours;
}

/* The XDP program on ifindex: its id (0: none) and attach mode flag. */
/*
 * The XDP program on ifindex and its mode.  One RTM_GETLINK for that link:
 * libbpf 1.1's bpf_xdp_query() dumps every link of the namespace per call,
 * which made a reconcile over N devices cost O(N^2) (measured: seconds at
 * 1,000 taps).
 */
static int xdp_current(int ifindex, __u32 *id, __u32 *mode)
{
	struct pp_link l;
	int err = pp_getlink(ifindex, -1, &l);

	*id = 0;
	*mode = 0;
	if (err)
		return err;
	if (l.xdp_drv_prog) {
		*id = l.xdp_drv_prog;
		*mode = XDP_FLAGS_DRV_MODE;
	} else if (l.xdp_skb_prog) {
		*id = l.xdp_skb_prog;
		*mode = XDP_FLAGS_SKB_MODE;
	}
	return 0;
}

int pp_xdp_attach(struct pp_dataplane *dp, int ifindex, enum pp_role role)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	struct bpf_prog_info info = {};
	__u32 cur, mode, len = sizeof(info);
	int fd = dp->xdp_prog_fd[role], err, old = -1;

	err = xdp_current(ifindex, &cur, &mode);
	if (err)
		return err;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (cur == info.id)
		return 0;
	if (cur) {
		if (!prog_is_ours(cur))
			return -EBUSY;		/* another tool's XDP program */
		old = bpf_prog_get_fd_by_id(cur);
		if (old < 0)
			return -errno;
		o.old_prog_fd = old;
		err = bpf_xdp_attach(ifindex, fd, mode | XDP_FLAGS_REPLACE, &o);
		close(old);
		return err;
	}
	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err == -EOPNOTSUPP)		/* no native XDP in this driver */
		err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST,
				     NULL);
	return err;
}

int pp_xdp_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	__u32 cur, mode;
	int err, old;

	err = xdp_current(ifindex, &cur, &mode);
	if (err)
		return err == -ENODEV ? 0 : err;
	if (!cur || !prog_is_ours(cur))
		return 0;
	old = bpf_prog_get_fd_by_id(cur);
	if (old < 0)
		return errno == ENOENT ? 0 : -errno;
	o.old_prog_fd = old;	/* only if it is still that program */
	err = bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, &o);
	close(old);
	return err;
}

int pp_xdp_query(int ifindex, __u32 *prog_id)
{
	__u32 cur, mode;
	int err = xdp_current(ifindex, &cur, &mode);

	*prog_id = 0;
	if (err)
		return err == -ENODEV ? 0 : err;
	if (cur && prog_is_ours(cur))
		*prog_id = cur;
	return 0;
}

/* ---- pp_xdp_tx ------------------------------------------------------------------- */

int pp_xdp_tx_set(struct pp_maps *m, int ifindex, bool on)
{
	__u32 k = ifindex, v = ifindex;

	if (ifindex <= 0)
		return -EINVAL;
	if (!on)
		return pp_map_del(m, PPM_XDP_TX, &k);
	if (pp_xdp_tx_get(m, ifindex) == 1)
		return 0;
	return pp_map_put(m, PPM_XDP_TX, &k, &v);
}

int pp_xdp_tx_get(const struct pp_maps *m, int ifindex)
{
	__u32 k = ifindex, v = 0;

	return !pp_map_get(m, PPM_XDP_TX, &k, &v) && v == (__u32)ifindex;
}

/* IFF_* flags of tap name from sysfs, or -errno (not a tun/tap device). */
static int tun_flags(const char *name, unsigned long *flags)
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	*flags = strtoul(buf, NULL, 0);
	return 0;
}

int pp_xdp_tx_ok(int ifindex, char *reason, size_t reason_len)
{
	struct pp_link l, peer;
	unsigned long fl;
	int err;

	err = pp_getlink(ifindex, -1, &l);
	if (err) {
		say(reason, reason_len, "device %d: %s", ifindex, strerror(-err));
		return err;
	}
	if (!strcmp(l.kind, "tun")) {
		if (!tun_flags(l.name, &fl) && (fl & IFF_TAP)) {
			say(reason, reason_len, "%s is a tap: it takes XDP redirects", l.name);
			return 1;
		}
		say(reason, reason_len, "%s is a tun device, not a tap", l.name);
		return 0;
	}
	if (!strcmp(l.kind, "veth")) {
		if (!l.link) {
			say(reason, reason_len, "veth %s has no peer", l.name);
			return 0;
		}
		err = pp_getlink(l.link, l.link_nsid, &peer);
		if (err) {
			say(reason, reason_len, "veth %s: its peer (ifindex %d, netns id %d): %s",
			    l.name, l.link, l.link_nsid, strerror(-err));
			return 0;
		}
		if (peer.xdp_drv_prog) {
			say(reason, reason_len,
			    "veth %s: its peer %s (netns id %d) has XDP program %u: it takes "
			    "XDP redirects", l.name, peer.name, l.link_nsid, peer.xdp_drv_prog);
			return 1;
		}
		say(reason, reason_len,
		    "veth %s: its peer %s (netns id %d) has no native XDP program: XDP "
		    "redirects to it would be dropped (GRO on the peer is not visible here)",
		    l.name, peer.name, l.link_nsid);
		return 0;
	}
	if (l.kind[0])
		say(reason, reason_len, "%s is a %s device: no XDP transmit", l.name, l.kind);
	else
		say(reason, reason_len, "%s: XDP transmit of its driver not probed", l.name);
	return 0;
}

int pp_xdp_tx_refresh(struct pp_maps *m, int ifindex, char *reason, size_t reason_len)
{
	int ok = pp_xdp_tx_ok(ifindex, reason, reason_len);
	int err = pp_xdp_tx_set(m, ifindex, ok == 1);

	return ok < 0 ? ok : err;
}

/* ---- modes ------------------------------------------------------------------------ */

int pp_mode_decide(const char *tap, int ifindex, enum pp_mode want, enum pp_mode *effective, char *reason,
		   size_t reason_len)
{
	unsigned long fl = 0;
	int err;

	*effective = PP_MODE_TC;
	if (want == PP_MODE_TC) {
		say(reason, reason_len, "mode tc configured");
		return 0;
	}
	if (!tap || !tap[0] || ifindex <= 0) {
		say(reason, reason_len, "the tap is absent");
		return 0;
	}
	err = tun_flags(tap, &fl);
	if (want == PP_MODE_XDP) {
		*effective = PP_MODE_XDP;
		if (!err && (fl & IFF_VNET_HDR))
			say(reason, reason_len, "mode xdp configured (the tap has a vnet header: "
			    "offloaded frames lose their checksum/GSO metadata)");
		else
			say(reason, reason_len, "mode xdp configured");
		return 0;
	}
	if (err || !(fl & IFF_TAP)) {
		say(reason, reason_len, "auto: %s is not a tap (%s)", tap,
		    err ? strerror(-err) : "tun_flags without IFF_TAP");
		return 0;
	}
	if (fl & IFF_VNET_HDR) {
		say(reason, reason_len, "auto: the tap has a vnet header (IFF_VNET_HDR): "
		    "offloaded frames (partial checksums, GSO) need TC");
		return 0;
	}
	*effective = PP_MODE_XDP;
	say(reason, reason_len, "auto: the tap has no vnet header: no offload metadata to lose");
	return 0;
}

/*
 * Network devices.  Two things decide, in this order:
 *
 * Isolation (whatever the mode): XDP must never see a frame whose tag was
 * moved into metadata, or it classifies the frame as untagged and delivers
 * it into the device's untagged network (measured on this kernel: a tag
 * that bpf_skb_vlan_push puts on a veth peer's egress reaches XDP on our end
 * as metadata, native and generic XDP alike; rx-vlan offload settings of our
 * end change nothing).  TC sees such a tag (vlan_present).  So XDP runs only
 * where that provably cannot happen:
 *   - a veth whose peer has tx-vlan-hw-insert and tx-vlan-stag-hw-insert
 *     off (read inside the peer's namespace): its transmit path then writes
 *     any metadata tag into the frame before the veth takes it
 *     (validate_xmit_vlan).  The peer is not ours to configure: polyportd
 *     only reads it, and follows its changes (polyportd listens to link
 *     events of every namespace with an id, NETLINK_LISTEN_ALL_NSID);
 *   - a NIC whose rx-vlan-hw-parse and rx-vlan-stag-hw-parse are off:
 *     polyportd turns them off before it attaches XDP, and leaves them off
 *     (TC needs no offload: the stack takes the tag out in software, and a
 *     network device is polyport's alone).  A NIC where they are fixed on
 *     stays on TC;
 *   - a tap or tun device (mode xdp only): what userspace writes keeps its
 *     tags in the frame until XDP has run (measured).
 *   Anything else (bridge, VXLAN, bond...) stays on TC.
 * Offload metadata (auto only): see pp_net_mode_decide() in xdp.h.
 *
 * nic: set to the NIC's name when XDP is decided for a NIC whose rx-VLAN
 * offloads must be turned off before XDP is attached, else "".
 */
static int net_decide(int ifindex, enum pp_mode want, enum pp_mode *effective, char *reason, size_t reason_len,
		      char nic[IF_NAMESIZE])
{
	const char *why = want == PP_MODE_XDP ? "an instance port on it is configured xdp;"
						  : "auto:";
	struct pp_link l, peer;
	struct offl o;
	int err;

	*effective = PP_MODE_TC;
	nic[0] = 0;
	if (want == PP_MODE_TC) {
		say(reason, reason_len, "no instance port on it wants XDP");
		return 0;
	}
	err = pp_getlink(ifindex, -1, &l);
	if (err) {
		say(reason, reason_len, "%s device %d: %s", why, ifindex, strerror(-err));
		return 0;
	}
	if (!l.kind[0]) {
		err = dev_offloads(-1, l.name, false, &o);
		if (err) {
			say(reason, reason_len, "%s NIC %s: cannot read its offloads (%s)", why,
			    l.name, strerror(-err));
			return 0;
		}
		if (rx_vlan_fixed_on(&o)) {
			say(reason, reason_len, "%s NIC %s: its rx-vlan offload is fixed on: a tag "
			    "it strips would look untagged to XDP", why, l.name);
			return 0;
		}
		*effective = PP_MODE_XDP;
		snprintf(nic, IF_NAMESIZE, "%s", l.name);
		say(reason, reason_len, "%s %s is a NIC: its frames carry complete checksums; "
		    "rx-vlan offloads off%s", why, l.name,
		    rx_vlan_on(&o) ? " (turned off by polyportd)" : "");
		return 0;
	}
	if (!strcmp(l.kind, "veth")) {
		err = l.link ? pp_getlink(l.link, l.link_nsid, &peer) : -ENOENT;
		if (!err)
			err = dev_offloads(l.link_nsid, peer.name, false, &o);
		if (err) {
			say(reason, reason_len, "%s veth %s: cannot read its peer's offloads (%s)",
			    why, l.name, strerror(-err));
			return 0;
		}
		if (tx_vlan_on(&o)) {
			say(reason, reason_len, "%s veth %s: its peer %s has tx-vlan-offload on (a "
			    "tag may reach XDP as metadata)", why, l.name, peer.name);
			return 0;
		}
		if (want == PP_MODE_AUTO && o.tx_csum) {
			say(reason, reason_len, "auto: veth %s: its peer %s has tx-checksumming on: "
			    "its frames may carry partial checksums, which need TC", l.name, peer.name);
			return 0;
		}
		*effective = PP_MODE_XDP;
		if (want == PP_MODE_AUTO)
			say(reason, reason_len, "auto: veth %s: its peer %s has tx-checksumming off, "
			    "tx-vlan-offload off", l.name, peer.name);
		else
			say(reason, reason_len, "%s veth %s: its peer %s has tx-vlan-offload off", why,
			    l.name, peer.name);
		return 0;
	}
	if (want == PP_MODE_XDP && !strcmp(l.kind, "tun")) {
		*effective = PP_MODE_XDP;
		say(reason, reason_len, "%s %s is a tun/tap device: tags stay in its frames", why,
		    l.name);
		return 0;
	}
	if (want == PP_MODE_AUTO)
		say(reason, reason_len, "auto: %s is a %s device: XDP gains nothing there", l.name,
		    l.kind);
	else
		say(reason, reason_len, "%s %s is a %s device: whether tags reach it as metadata "
		    "cannot be told", why, l.name, l.kind);
	return 0;
}

int pp_net_mode_decide(int ifindex, enum pp_mode want, enum pp_mode *effective, char *reason, size_t reason_len)
{
	char nic[IF_NAMESIZE];

	return net_decide(ifindex, want, effective, reason, reason_len, nic);
}

int pp_xdp_net_peer(int ifindex, int *nsid)
{
	struct pp_link l;

	*nsid = -1;
	if (pp_getlink(ifindex, -1, &l) || strcmp(l.kind, "veth") || !l.link)
		return 0;
	*nsid = l.link_nsid;
	return l.link;
}

int pp_xdp_iport_apply(struct pp_dataplane *dp, int ifindex, const char *tap, enum pp_mode want,
		       enum pp_mode *effective, char *reason, size_t reason_len)
{
	size_t n;
	int err;

	err = pp_mode_decide(tap, ifindex, want, effective, reason, reason_len);
	if (err)
		return err;
	if (*effective == PP_MODE_XDP) {
		/* Deliveries toward it by XDP first, then its own frames. */
		err = pp_xdp_tx_set(&dp->maps, ifindex, true);
		if (!err)
			err = pp_xdp_attach(dp, ifindex, PP_ROLE_TAP);
		if (!err)
			return 0;
		*effective = PP_MODE_TC;
		n = reason ? strlen(reason) : 0;
		if (n < reason_len)
			say(reason + n, reason_len - n, "; XDP not attached (%s): TC",
			    strerror(-err));
	}
	err = pp_xdp_detach(ifindex);
	if (!err)
		err = pp_xdp_tx_set(&dp->maps, ifindex, false);
	return err;
}

int pp_xdp_net_apply(struct pp_dataplane *dp, int ifindex, enum pp_mode want, enum pp_mode *effective,
		     char *reason, size_t reason_len)
{
	char tx[200], nic[IF_NAMESIZE];
	struct offl o;
	size_t n;
	int err;

	err = pp_xdp_tx_refresh(&dp->maps, ifindex, tx, sizeof(tx));
	if (err < 0 && err != -ENODEV)
		return err;
	err = net_decide(ifindex, want, effective, reason, reason_len, nic);
	if (err)
		return err;
	if (*effective == PP_MODE_XDP && nic[0]) {
		/* Before XDP sees a frame: no tag may be stripped into metadata. */
		err = dev_offloads(-1, nic, true, &o);
		if (err || rx_vlan_on(&o)) {
			*effective = PP_MODE_TC;
			n = reason ? strlen(reason) : 0;
			if (n < reason_len)
				say(reason + n, reason_len - n, "; its rx-vlan offloads could not be "
				    "turned off (%s): TC", err ? strerror(-err) : "still on");
		}
	}
	if (*effective == PP_MODE_XDP) {
		err = pp_xdp_attach(dp, ifindex, PP_ROLE_NET);
		if (err) {
			*effective = PP_MODE_TC;
			n = reason ? strlen(reason) : 0;
			if (n < reason_len)
				say(reason + n, reason_len - n, "; XDP not attached (%s): TC",
				    strerror(-err));
		}
	}
	if (*effective != PP_MODE_XDP) {
		err = pp_xdp_detach(ifindex);
		if (err)
			return err;
	}
	n = reason ? strlen(reason) : 0;
	if (n < reason_len)
		say(reason + n, reason_len - n, "; as a target: %s", tx);
	return 0;
}
