// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The next-hop resolver of L3 domains (see l3nh.h).
 *
 * Two AF_PACKET SOCK_RAW sockets bound to every device: one for ARP, one
 * for IPv6 with a classic BPF filter that lets only ICMPv6 neighbour
 * advertisements through (without it the socket would copy every IPv6
 * frame of the host).  The filter is attached before the socket is bound
 * to its protocol, so nothing unfiltered is ever queued.  One epoll fd over
 * both is what the daemon polls.  Requests are whole Ethernet frames sent
 * on the uplink by its ifindex, marked with PP_L3_MARK.
 *
 * The next hops are a small array searched linearly: a domain has a few
 * uplinks and each a few next hops.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include "l3nh.h"
#include "log.h"
#include "util.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* frames read per pp_l3nh_input call and socket */
#define INPUT_BUDGET	256

#define ARP_LEN		28	/* Ethernet/IPv4 ARP */
#define IP6_LEN		40
#define NS_LEN		(24 + 8)	/* NS with a source link-layer option */
#define NA_MIN		24
#define ICMP6_NS	135
#define ICMP6_NA	136
#define ND_OPT_SLLA	1
#define ND_OPT_TLLA	2

struct nh {
	__u32 ifindex;
	__u8 family;
	__u8 addr[16];
	__u8 src_addr[16];
	__u8 src_mac[6];
	__u8 mac[6];
	bool valid;		/* as PP_L3NH_VALID in the map */
	bool asked;		/* a request went out (at asked_ns) */
	__u64 confirmed_ns;	/* the last confirmation, if valid */
	__u64 asked_ns;
	bool missed;		/* wanted for the dataplane's misses only (not configured) */
	__u64 missed_ns;	/* the last miss reported, if missed */
};

struct pp_l3nh_res {
	struct pp_maps *maps;
	int arp_fd, ip6_fd, ep_fd;
	struct nh *nh;
	unsigned n, cap;
	struct pp_l3nh_stats st;
};

static unsigned addr_len(__u8 family)
{
	return family == PP_NEIGH_V4 ? 4 : 16;
}

__u64 pp_l3nh_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A MAC a next hop may have: unicast and not zero. */
static bool mac_ok(const __u8 *m)
{
	static const __u8 zero[6];

	return !(m[0] & 1) && memcmp(m, zero, 6);
}

static struct nh *find(struct pp_l3nh_res *res, __u32 ifindex, __u8 family, const void *addr)
{
	for (unsigned i = 0; i < res->n; i++) {
		struct nh *e = &res->nh[i];

		if (e->ifindex == ifindex && e->family == family &&
		    !memcmp(e->addr, addr, addr_len(family)))
			return e;
	}
	return NULL;
}

static bool dev_wanted(const struct pp_l3nh_res *res, __u32 ifindex)
{
	for (unsigned i = 0; i < res->n; i++)
		if (res->nh[i].ifindex == ifindex)
			return true;
	return false;
}

static struct pp_l3nh_key nh_key(const struct nh *e)
{
	struct pp_l3nh_key k;

	memset(&k, 0, sizeof(k));	/* hash keys compare their pad too */
	k.ifindex = e->ifindex;
	k.family = e->family;
	memcpy(k.addr, e->addr, addr_len(e->family));
	return k;
}

static void nh_write(struct pp_l3nh_res *res, const struct nh *e)
{
	struct pp_l3nh v;
	int err;

	memset(&v, 0, sizeof(v));
	v.updated_ns = e->confirmed_ns;
	memcpy(v.mac, e->mac, 6);
	v.flags = e->valid ? PP_L3NH_VALID : 0;
	err = pp_l3nh_put(res->maps, nh_key(e), &v);
	if (err) {
		res->st.map_errors++;
		pr_warn("l3nh: writing a next hop of ifindex %u: %s\n", e->ifindex,
			strerror(-err));
	}
}

/* ---- sockets ---------------------------------------------------------------------- */

/*
 * ICMPv6 neighbour advertisements only, as they come in a SOCK_RAW frame:
 * the IPv6 next header (offset 14 + 6) is ICMPv6, and the ICMPv6 type
 * (offset 14 + 40) is NA.  Extension headers before it are not followed:
 * an NA has none (RFC 4861 7.1.2 needs hop limit 255, from the link itself).
 */
static struct sock_filter na_filter[] = {
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN + 6),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN + IP6_LEN),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_NA, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

static int sock_open(__u16 proto, bool filter)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(proto) };
	int fd, one = 1, mark = PP_L3_MARK;

	/* protocol 0: receives nothing until bound, after the filter is on */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (filter) {
		struct sock_fprog prog = { .len = sizeof(na_filter) / sizeof(na_filter[0]),
					   .filter = na_filter };

		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
			goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
		goto fail;
	/* our own requests would come back as PACKET_OUTGOING: not wanted (checked too) */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	return fd;
fail:
	one = -errno;
	close(fd);
	return one;
}

struct pp_l3nh_res *pp_l3nh_create(struct pp_maps *maps)
{
	struct pp_l3nh_res *res = calloc(1, sizeof(*res));
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	if (!res)
		return NULL;
	res->maps = maps;
	res->arp_fd = res->ip6_fd = res->ep_fd = -1;
	err = sock_open(ETH_P_ARP, false);
	if (err < 0)
		goto fail;
	res->arp_fd = err;
	err = sock_open(ETH_P_IPV6, true);
	if (err < 0)
		goto fail;
	res->ip6_fd = err;
	res->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (res->ep_fd < 0)
		goto fail_errno;
	ev.data.fd = res->arp_fd;
	if (epoll_ctl(res->ep_fd, EPOLL_CTL_ADD, res->arp_fd, &ev))
		goto fail_errno;
	ev.data.fd = res->ip6_fd;
	if (epoll_ctl(res->ep_fd, EPOLL_CTL_ADD, res->ip6_fd, &ev))
		goto fail_errno;
	return res;
fail_errno:
	err = -errno;
fail:
	pr_warn("l3nh: opening the resolver's sockets: %s\n", strerror(-err));
	pp_l3nh_destroy(res);
	errno = -err;
	return NULL;
}

void pp_l3nh_destroy(struct pp_l3nh_res *res)
{
	if (!res)
		return;
	if (res->ep_fd >= 0)
		close(res->ep_fd);
	if (res->arp_fd >= 0)
		close(res->arp_fd);
	if (res->ip6_fd >= 0)
		close(res->ip6_fd);
	free(res->nh);
	free(res);
}

int pp_l3nh_fd(const struct pp_l3nh_res *res)
{
	return res->ep_fd;
}

const struct pp_l3nh_stats *pp_l3nh_stats(const struct pp_l3nh_res *res)
{
	return &res->st;
}

unsigned pp_l3nh_count(const struct pp_l3nh_res *res)
{
	return res->n;
}

/* ---- what is wanted ----------------------------------------------------------------- */

int pp_l3nh_want(struct pp_l3nh_res *res, __u32 ifindex, const __u8 src_mac[6], __u8 family,
		 const void *src_addr, const void *nexthop)
{
	static const __u8 zero[16];
	const __u8 *a = nexthop;
	struct pp_l3nh_key k;
	struct pp_l3nh v;
	struct nh *e;

	if (!ifindex || (family != PP_NEIGH_V4 && family != PP_NEIGH_V6))
		return -EINVAL;
	if (!memcmp(a, zero, addr_len(family)) ||
	    (family == PP_NEIGH_V4 ? a[0] >= 224 : a[0] == 0xff))
		return -EINVAL;
	e = find(res, ifindex, family, nexthop);
	if (!e) {
		if (PP_GROW(res->nh, res->n, res->cap, 8))
			return -ENOMEM;
		e = &res->nh[res->n++];
		memset(e, 0, sizeof(*e));
		e->ifindex = ifindex;
		e->family = family;
		memcpy(e->addr, nexthop, addr_len(family));
		/* a restarted daemon: what the map holds still serves until it ages */
		k = nh_key(e);
		if (!pp_l3nh_get(res->maps, k, &v) && (v.flags & PP_L3NH_VALID) &&
		    mac_ok(v.mac)) {
			e->valid = true;
			e->confirmed_ns = v.updated_ns;
			memcpy(e->mac, v.mac, 6);
		}
	}
	memcpy(e->src_mac, src_mac, 6);
	memset(e->src_addr, 0, sizeof(e->src_addr));
	memcpy(e->src_addr, src_addr, addr_len(family));
	e->missed = false;	/* configured: kept for good */
	return 0;
}

int pp_l3nh_want_missed(struct pp_l3nh_res *res, __u32 ifindex, const __u8 src_mac[6],
			__u8 family, const void *src_addr, const void *nexthop, __u64 now_ns)
{
	struct nh *e = (family == PP_NEIGH_V4 || family == PP_NEIGH_V6) ?
		       find(res, ifindex, family, nexthop) : NULL;
	unsigned missed = 0;
	int err;

	if (e && !e->missed)
		return 0;	/* configured: it stays as it is */
	if (!e) {
		for (unsigned i = 0; i < res->n; i++)
			missed += res->nh[i].missed;
		if (missed >= PP_L3NH_MISSED_MAX)
			return -ENOSPC;
	}
	err = pp_l3nh_want(res, ifindex, src_mac, family, src_addr, nexthop);
	if (err)
		return err;
	e = find(res, ifindex, family, nexthop);
	e->missed = true;
	e->missed_ns = now_ns;
	return 0;
}

static void nh_remove(struct pp_l3nh_res *res, struct nh *e)
{
	int err = pp_l3nh_del(res->maps, nh_key(e));

	if (err && err != -ENOENT)
		res->st.map_errors++;
	*e = res->nh[--res->n];
}

int pp_l3nh_forget(struct pp_l3nh_res *res, __u32 ifindex, __u8 family, const void *nexthop)
{
	struct nh *e;

	if (family != PP_NEIGH_V4 && family != PP_NEIGH_V6)
		return -EINVAL;
	e = find(res, ifindex, family, nexthop);
	if (!e)
		return -ENOENT;
	nh_remove(res, e);
	return 0;
}

int pp_l3nh_forget_dev(struct pp_l3nh_res *res, __u32 ifindex)
{
	int n = 0;

	for (unsigned i = 0; i < res->n;) {
		if (res->nh[i].ifindex == ifindex) {
			nh_remove(res, &res->nh[i]);	/* the last one moved to i */
			n++;
		} else {
			i++;
		}
	}
	return n;
}

/* ---- requests ---------------------------------------------------------------------- */

static __u32 csum_add(__u32 sum, const void *p, size_t len)
{
	const __u8 *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* The ICMPv6 checksum of msg (len bytes) from src to dst, host order; 0 when it verifies. */
static __u16 icmp6_csum(const __u8 *src, const __u8 *dst, const __u8 *msg, size_t len)
{
	__u8 ph[8] = { 0 };
	__u32 sum = 0;

	ph[0] = len >> 24;
	ph[1] = len >> 16;
	ph[2] = len >> 8;
	ph[3] = len;
	ph[7] = 58;
	sum = csum_add(sum, src, 16);
	sum = csum_add(sum, dst, 16);
	sum = csum_add(sum, ph, sizeof(ph));
	sum = csum_add(sum, msg, len);
	return csum_fold(sum);
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static __u16 get16(const __u8 *p)
{
	return (p[0] << 8) | p[1];
}

/* An ARP request for e->addr (Ethernet broadcast) into f: its length. */
static size_t build_arp(const struct nh *e, __u8 *f)
{
	__u8 *a = f + ETH_HLEN;

	memset(f, 0xff, 6);
	memcpy(f + 6, e->src_mac, 6);
	put16(f + 12, ETH_P_ARP);
	put16(a, 1);			/* Ethernet */
	put16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);		/* request */
	memcpy(a + 8, e->src_mac, 6);
	memcpy(a + 14, e->src_addr, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, e->addr, 4);
	return ETH_HLEN + ARP_LEN;
}

/* A neighbour solicitation for e->addr to its solicited-node group into f: its length. */
static size_t build_ns(const struct nh *e, __u8 *f)
{
	__u8 *ip = f + ETH_HLEN, *icmp = ip + IP6_LEN;
	__u8 dst[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	memcpy(dst + 13, e->addr + 13, 3);
	f[0] = 0x33;
	f[1] = 0x33;
	memcpy(f + 2, dst + 12, 4);
	memcpy(f + 6, e->src_mac, 6);
	put16(f + 12, ETH_P_IPV6);
	memset(ip, 0, IP6_LEN);
	ip[0] = 0x60;
	put16(ip + 4, NS_LEN);
	ip[6] = 58;
	ip[7] = 255;			/* RFC 4861: from the link itself */
	memcpy(ip + 8, e->src_addr, 16);
	memcpy(ip + 24, dst, 16);
	memset(icmp, 0, NS_LEN);
	icmp[0] = ICMP6_NS;
	memcpy(icmp + 8, e->addr, 16);
	icmp[24] = ND_OPT_SLLA;
	icmp[25] = 1;			/* in units of 8 bytes */
	memcpy(icmp + 26, e->src_mac, 6);
	put16(icmp + 2, icmp6_csum(ip + 8, dst, icmp, NS_LEN));
	return ETH_HLEN + IP6_LEN + NS_LEN;
}

static int send_request(struct pp_l3nh_res *res, const struct nh *e)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = e->ifindex,
				   .sll_halen = 6 };
	__u8 f[ETH_HLEN + IP6_LEN + NS_LEN];
	bool v4 = e->family == PP_NEIGH_V4;
	size_t len = v4 ? build_arp(e, f) : build_ns(e, f);
	int fd = v4 ? res->arp_fd : res->ip6_fd;

	sll.sll_protocol = htons(v4 ? ETH_P_ARP : ETH_P_IPV6);
	memcpy(sll.sll_addr, f, 6);
	if (sendto(fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)len) {
		int err = errno;

		res->st.send_errors++;
		pr_debug("l3nh: request on ifindex %u: %s\n", e->ifindex, strerror(err));
		return -err;
	}
	if (v4)
		res->st.arp_requests++;
	else
		res->st.ns_requests++;
	return 0;
}

/* When e's next request is due (it is when now >= this). */
static __u64 due_ns(const struct nh *e)
{
	__u64 due = e->valid ? e->confirmed_ns + PP_L3NH_REFRESH_NS : 0;

	/* never more than one a second, also while refreshing */
	if (e->asked && e->asked_ns + PP_L3NH_RETRY_NS > due)
		due = e->asked_ns + PP_L3NH_RETRY_NS;
	return due;
}

int pp_l3nh_tick(struct pp_l3nh_res *res, __u64 now_ns)
{
	int sent = 0;

	for (unsigned i = 0; i < res->n; i++) {
		struct nh *e = &res->nh[i];

		if (e->valid && now_ns >= e->confirmed_ns + PP_L3NH_EXPIRE_NS) {
			e->valid = false;
			res->st.expired++;
			nh_write(res, e);
		}
		if (e->missed && !e->valid && now_ns >= e->missed_ns + PP_L3NH_MISS_KEEP_NS) {
			/* nobody answers it, and nobody sends to it any more */
			res->st.forgotten++;
			nh_remove(res, e);	/* the last one moved to i */
			i--;
			continue;
		}
		if (now_ns < due_ns(e))
			continue;
		/* asked even if the send failed: a failing device is not hammered */
		e->asked = true;
		e->asked_ns = now_ns;
		if (!send_request(res, e))
			sent++;
	}
	return sent;
}

__u64 pp_l3nh_next_ns(const struct pp_l3nh_res *res)
{
	__u64 next = UINT64_MAX;

	for (unsigned i = 0; i < res->n; i++) {
		const struct nh *e = &res->nh[i];
		__u64 t = due_ns(e);

		if (e->valid && e->confirmed_ns + PP_L3NH_EXPIRE_NS < t)
			t = e->confirmed_ns + PP_L3NH_EXPIRE_NS;
		if (e->missed && !e->valid && e->missed_ns + PP_L3NH_MISS_KEEP_NS < t)
			t = e->missed_ns + PP_L3NH_MISS_KEEP_NS;
		if (t < next)
			next = t;
	}
	return next;
}

/* ---- replies ----------------------------------------------------------------------- */

enum verdict { V_OK, V_MALFORMED, V_UNWANTED };

static void confirm(struct pp_l3nh_res *res, struct nh *e, const __u8 *mac, __u64 now_ns)
{
	e->valid = true;
	e->confirmed_ns = now_ns;
	memcpy(e->mac, mac, 6);
	res->st.replies++;
	nh_write(res, e);
}

/*
 * An ARP frame of len bytes on ifindex.  A reply, and a request too (the
 * next hop asking for our address tells its MAC as well), confirms the
 * sender's address if it is wanted there.
 */
static enum verdict arp_input(struct pp_l3nh_res *res, __u32 ifindex, const __u8 *f, size_t len,
			      __u64 now_ns)
{
	const __u8 *a = f + ETH_HLEN;
	struct nh *e;
	__u16 op;

	if (len < ETH_HLEN + ARP_LEN || get16(f + 12) != ETH_P_ARP)
		return V_MALFORMED;
	op = get16(a + 6);
	if (get16(a) != 1 || get16(a + 2) != ETH_P_IP || a[4] != 6 || a[5] != 4 ||
	    (op != 1 && op != 2) || !mac_ok(a + 8))
		return V_MALFORMED;
	e = find(res, ifindex, PP_NEIGH_V4, a + 14);
	if (!e)
		return V_UNWANTED;
	confirm(res, e, a + 8, now_ns);
	return V_OK;
}

/*
 * An IPv6 frame of len bytes on ifindex that the filter says is an NA: an
 * NA from the link (hop limit 255), checksum right, whose target is wanted
 * there, confirms it with its target link-layer option's MAC, or else the
 * frame's source MAC.
 */
static enum verdict na_input(struct pp_l3nh_res *res, __u32 ifindex, const __u8 *f, size_t len,
			     __u64 now_ns)
{
	const __u8 *ip = f + ETH_HLEN, *icmp = ip + IP6_LEN, *mac = f + 6;
	size_t plen;
	struct nh *e;

	if (len < ETH_HLEN + IP6_LEN + NA_MIN || get16(f + 12) != ETH_P_IPV6)
		return V_MALFORMED;
	plen = get16(ip + 4);
	if ((ip[0] >> 4) != 6 || ip[6] != 58 || ip[7] != 255 || plen < NA_MIN ||
	    plen > len - ETH_HLEN - IP6_LEN || icmp[0] != ICMP6_NA || icmp[1] != 0 ||
	    icmp6_csum(ip + 8, ip + 24, icmp, plen))
		return V_MALFORMED;
	if (icmp[8] == 0xff)		/* RFC 4861 7.1.2: the target is not multicast */
		return V_MALFORMED;
	/* options: type, length in units of 8 bytes (0 is invalid), within plen */
	for (size_t o = NA_MIN; o < plen;) {
		size_t olen;

		if (plen - o < 2 || icmp[o + 1] == 0)
			return V_MALFORMED;
		olen = icmp[o + 1] * 8u;
		if (olen > plen - o)
			return V_MALFORMED;
		if (icmp[o] == ND_OPT_TLLA && olen == 8)
			mac = icmp + o + 2;
		o += olen;
	}
	if (!mac_ok(mac))
		return V_MALFORMED;
	e = find(res, ifindex, PP_NEIGH_V6, icmp + 8);
	if (!e)
		return V_UNWANTED;
	confirm(res, e, mac, now_ns);
	return V_OK;
}

/* Read up to INPUT_BUDGET frames of fd.  Confirmations, or -errno of the socket. */
static int sock_input(struct pp_l3nh_res *res, int fd, bool v4, __u64 now_ns)
{
	int ok = 0;

	for (int i = 0; i < INPUT_BUDGET; i++) {
		__u8 f[2048];
		struct sockaddr_ll sll;
		struct iovec iov = { .iov_base = f, .iov_len = sizeof(f) };
		struct msghdr msg = { .msg_name = &sll, .msg_namelen = sizeof(sll),
				      .msg_iov = &iov, .msg_iovlen = 1 };
		enum verdict v;
		ssize_t n;

		n = recvmsg(fd, &msg, MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		/*
		 * Not ours to read: what we send, another device's, and what is
		 * PACKET_OTHERHOST: unicast to another MAC, or 802.1Q-tagged
		 * with no VLAN device of the tag (the kernel strips the tag and
		 * marks the frame so): another VLAN's, not the uplink's.
		 */
		if (msg.msg_namelen < offsetof(struct sockaddr_ll, sll_addr) ||
		    sll.sll_pkttype == PACKET_OUTGOING || sll.sll_pkttype == PACKET_OTHERHOST ||
		    sll.sll_ifindex <= 0 || !dev_wanted(res, sll.sll_ifindex)) {
			res->st.ignored++;
			continue;
		}
		if ((size_t)n > sizeof(f)) {	/* truncated: no ARP or NA is this long */
			res->st.malformed++;
			continue;
		}
		v = v4 ? arp_input(res, sll.sll_ifindex, f, n, now_ns) :
			 na_input(res, sll.sll_ifindex, f, n, now_ns);
		if (v == V_MALFORMED)
			res->st.malformed++;
		else if (v == V_UNWANTED)
			res->st.unwanted++;
		else
			ok++;
	}
	return ok;
}

int pp_l3nh_input_at(struct pp_l3nh_res *res, __u64 now_ns)
{
	int a, b;

	a = sock_input(res, res->arp_fd, true, now_ns);
	b = sock_input(res, res->ip6_fd, false, now_ns);
	if (a < 0)
		return a;
	if (b < 0)
		return b;
	return a + b;
}

int pp_l3nh_input(struct pp_l3nh_res *res)
{
	return pp_l3nh_input_at(res, pp_l3nh_now());
}
