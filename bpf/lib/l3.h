/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * L3 domains (issue 16): routing in the dataplane, over the context shim.
 *
 * A service port with PP_SPORT_L3 is bound to the domain pp_sports[id].net_id
 * (pp_l3doms: its kernel table, MTU, gateway MAC); an uplink is a device with
 * PP_DEV_UPLINK whose net_id is its domain (pp_l3ups: its MAC and address).
 * A routed frame (from an L3 port to the gateway MAC, or from an uplink to
 * the uplink's MAC) is looked up with bpf_fib_lookup in the domain's table
 * (BPF_FIB_LOOKUP_DIRECT | TBID | SKIP_NEIGH; the ingress device needs
 * per-device forwarding on, else the lookup answers FWD_DISABLED).  The
 * result is used only when it stays in the domain:
 * - an uplink of this domain (pp_devs and pp_l3ups both say so): the next
 *   hop's MAC from pp_l3nh (else no_neigh), source MAC the uplink's, every
 *   tag removed;
 * - the tap of a local L3 port of this domain that holds the next hop
 *   (pp_l3addrs, its tap verified as pp_slot_tap does): source MAC the
 *   gateway's, destination the port's, the port's tags, as pp_to_sport()
 *   delivers (its ingress rules, the XDP hand-offs, its tx counter);
 * - anything else the table may name (another domain's uplink, a network's
 *   device, a tap without such a port): no_route, and so is every other
 *   result of the lookup (FRAG_NEEDED: mtu).
 * TTL / hop limit <= 1 is dropped (ttl), else decremented (the IPv4 header
 * checksum updated incrementally), after the target is chosen, as every
 * rewrite here: XDP hands a frame it cannot send to TC unchanged.
 *
 * On an uplink, ARP requests for the uplink's address are answered in place
 * (back out of the uplink; XDP only through pp_xdp_tx, pp_l3_uplink_reply);
 * other ARP and IPv6 neighbour solicitations / advertisements go up to the
 * host unchanged (polyportd's packet socket resolves next hops from them;
 * the uplink has no kernel address, so the host itself ignores them).  An
 * NS for the uplink's IPv6 address is answered in place, as ARP is
 * (pp_l3_uplink_ns).  Nothing else from an uplink is ever passed up.
 *
 * Included by lib/dataplane.h after pp_to_sport(): it delivers with the
 * same pieces (pp_sport_target(), pp_sport_send()).
 */
#ifndef PP_BPF_L3_H
#define PP_BPF_L3_H

#include <linux/if_ether.h>
#include "maps.bpf.h"
#include "frame.h"
#include "counters.h"
#include "responder.h"
#include "ipv6.h"
#include "security.h"	/* struct pp_ip4_hdr */
#include "l3icmp.h"

#ifndef AF_INET
#define AF_INET		2
#endif
#ifndef AF_INET6
#define AF_INET6	10
#endif

#define PP_L3_FIB_FLAGS	(BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID | BPF_FIB_LOOKUP_SKIP_NEIGH)

/*
 * Read the IP packet at l3 (room bytes of frame from there) into fib lookup
 * parameters p, *family set (PP_NEIGH_V4 / V6).  Returns 0, or PP_ERR of:
 * unknown_dst (neither IPv4 nor IPv6), malformed (a header that is not
 * sane), ttl (TTL / hop limit <= 1).
 */
static __always_inline int pp_l3_params(struct __ctx_buff *ctx, __u32 l3, __u32 room,
					struct bpf_fib_lookup *p, __u8 *family)
{
	__be16 proto;
	__u32 tot;

	if (ctx_load_bytes(ctx, l3 - 2, &proto, sizeof(proto)))
		return PP_ERR(PP_DROP_MALFORMED);
	if (proto == bpf_htons(ETH_P_IP)) {
		struct pp_ip4_hdr ip;
		__u32 hl;

		if (room < sizeof(ip) || ctx_load_bytes(ctx, l3, &ip, sizeof(ip)))
			return PP_ERR(PP_DROP_MALFORMED);
		hl = (ip.vihl & 0xf) * 4;
		tot = bpf_ntohs(ip.len);
		if ((ip.vihl >> 4) != 4 || hl < sizeof(ip) || tot < hl || tot > room)
			return PP_ERR(PP_DROP_MALFORMED);
		if (ip.ttl <= 1)
			return PP_ERR(PP_DROP_TTL);
		p->family = AF_INET;
		p->tos = ip.tos;
		p->l4_protocol = ip.proto;
		__builtin_memcpy(&p->ipv4_src, ip.saddr, 4);
		__builtin_memcpy(&p->ipv4_dst, ip.daddr, 4);
		/* ports, for a multipath hash: a TCP/UDP header that is there */
		if ((ip.proto == 6 || ip.proto == 17) && !(ip.frag & bpf_htons(0x1fff)) &&
		    tot >= hl + 4)
			ctx_load_bytes(ctx, l3 + hl, &p->sport, 4);
		*family = PP_NEIGH_V4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct {		/* the fixed header up to the addresses */
			__be32 vtcfl;
			__be16 plen;
			__u8   nexthdr;
			__u8   hlim;
		} ip;

		/* the addresses straight into p: ipv6_src and ipv6_dst follow each other */
		if (room < PP_IP6_HLEN || ctx_load_bytes(ctx, l3, &ip, sizeof(ip)) ||
		    ctx_load_bytes(ctx, l3 + sizeof(ip), p->ipv6_src, 32))
			return PP_ERR(PP_DROP_MALFORMED);
		tot = PP_IP6_HLEN + bpf_ntohs(ip.plen);
		if ((ip.vtcfl & bpf_htonl(0xf0000000)) != bpf_htonl(0x60000000) || tot > room)
			return PP_ERR(PP_DROP_MALFORMED);
		if (ip.hlim <= 1)
			return PP_ERR(PP_DROP_TTL);
		p->family = AF_INET6;
		p->flowinfo = ip.vtcfl & bpf_htonl(0x0fffffff);
		p->l4_protocol = ip.nexthdr;
		if ((ip.nexthdr == 6 || ip.nexthdr == 17) && tot >= PP_IP6_HLEN + 4)
			ctx_load_bytes(ctx, l3 + PP_IP6_HLEN, &p->sport, 4);
		*family = PP_NEIGH_V6;
	} else {
		return PP_ERR(PP_DROP_UNKNOWN_DST);
	}
	/*
	 * The length the lookup checks against the route's MTU (FRAG_NEEDED).
	 * A GSO frame (TC) is within the MTU by its segment size (pp_too_big):
	 * 0 lets the helper judge the skb as the stack would.
	 */
	p->tot_len = ctx_gso_size(ctx) ? 0 : tot;
	return 0;
}

/*
 * Rewrite a routed frame (the IP header at l3, tags still in it) for its
 * next hop: TTL / hop limit - 1 (the IPv4 checksum updated incrementally,
 * RFC 1624, as ip_decrease_ttl), then the MACs.  0, or -1 if it broke.
 */
static __always_inline int pp_l3_rewrite(struct __ctx_buff *ctx, __u32 l3, __u8 family,
					 const __u8 *smac, const __u8 *dmac)
{
	__u8 macs[2 * ETH_ALEN], h[4];
	__u32 c;

	if (family == PP_NEIGH_V4) {
		if (ctx_load_bytes(ctx, l3 + 8, h, 4))	/* TTL, protocol, checksum */
			return -1;
		c = ((__u32)h[2] << 8 | h[3]) + 0x0100;
		c = (c + (c >= 0xffff)) & 0xffff;
		h[0]--;
		h[2] = c >> 8;
		h[3] = c & 0xff;
		if (ctx_store_bytes(ctx, l3 + 8, h, 4))
			return -1;
	} else {
		if (ctx_load_bytes(ctx, l3 + 7, h, 1))	/* hop limit */
			return -1;
		h[0]--;
		if (ctx_store_bytes(ctx, l3 + 7, h, 1))
			return -1;
	}
	__builtin_memcpy(macs, dmac, ETH_ALEN);
	__builtin_memcpy(macs + ETH_ALEN, smac, ETH_ALEN);
	return ctx_store_bytes(ctx, 0, macs, sizeof(macs)) ? -1 : 0;
}

/*
 * A frame polyport sends out of an uplink carries PP_L3_MARK: the uplink's
 * TC egress (pp_uplink_egress) drops every frame without it, the host's
 * own.  TC only: what XDP redirects or transmits never runs TC egress.
 */
static __always_inline void pp_l3_mark(struct __ctx_buff *ctx)
{
#ifdef PP_CTX_SKB
	ctx->mark = PP_L3_MARK;
#else
	(void)ctx;
#endif
}

/*
 * An answer back out of uplink ifindex (ARP, NA), chosen before the frame
 * changes.  TC: as ctx_reply.  XDP: through pp_xdp_tx as every XDP transmit,
 * not XDP_TX: a veth uplink whose peer takes no XDP frames would drop it
 * (no native XDP on the peer); an uplink not in pp_xdp_tx gets XDP_PASS
 * back, and TC answers.
 */
static __always_inline int pp_l3_uplink_reply(struct __ctx_buff *ctx, __u32 ifindex)
{
	return ctx_redirect(ctx, ifindex);
}

/* Uplink r's entry if it is an uplink of domain dom (pp_devs and pp_l3ups agree), else NULL. */
static __always_inline struct pp_l3up *pp_l3_uplink(__u32 dom, __u32 r)
{
	struct pp_dev *dev = bpf_map_lookup_elem(&PP_MAP_DEVS, &r);
	struct pp_l3up *up;

	if (!dev || dev->ifindex != r || !(dev->flags & PP_DEV_UPLINK) || dev->net_id != dom)
		return NULL;
	up = bpf_map_lookup_elem(&PP_MAP_L3UPS, &r);
	return up && up->dom == dom ? up : NULL;
}

/* Out by uplink r (entry up) toward next hop nh: its MAC, every tag removed. */
static __always_inline int pp_l3_to_uplink(struct __ctx_buff *ctx, const struct pp_frame *f,
					   __u32 l3, __u8 family, const struct pp_l3up *up,
					   __u32 r, const __u8 *nh)
{
	struct pp_l3nh_key k = { .ifindex = r, .family = family };
	struct pp_l3nh *n;
	int act;

	__builtin_memcpy(k.addr, nh, 16);
	n = bpf_map_lookup_elem(&PP_MAP_L3NH, &k);
	if (!n || !(n->flags & PP_L3NH_VALID)) {
		/*
		 * Tell polyportd (pp_l3miss): the table may name next hops it
		 * was not told about (an operator's or a routing daemon's
		 * routes); it resolves them.  Only here: r is this domain's
		 * uplink, and the frame is dropped anyway.
		 */
		__u64 now = bpf_ktime_get_ns();

		bpf_map_update_elem(&PP_MAP_L3MISS, &k, &now, BPF_ANY);
		return PP_ERR(PP_DROP_NO_NEIGH);
	}
	act = ctx_redirect(ctx, r);
	if (act != CTX_ACT_REDIRECT)
		return act;	/* XDP: no XDP transmit to this uplink: hand to TC */
	if (pp_l3_rewrite(ctx, l3, family, up->mac, n->mac) || pp_retag_net(ctx, f->ntags, 0))
		return PP_ERR(PP_DROP_MALFORMED);
	pp_l3_mark(ctx);
	return ctx_redirect_done(ctx, r, act);
}

/*
 * pp_l3_route()'s answer "deliver to local L3 port q" (a verdict is < 256):
 * the port's id and the packet's family, for pp_l3_deliver().
 */
#define PP_L3_DELIVER		(1 << 24)
#define PP_L3_DELIVER_V6	(1 << 23)
#define PP_L3_DELIVER_ID	((1 << 23) - 1)
/* pp_l3_route()'s answer "too big for the route" (FRAG_NEEDED): | its MTU */
#define PP_L3_TOO_BIG		(1 << 25)

/*
 * The local L3 port of domain dom that holds next hop nh, on tap r (its
 * instance port's tap, verified as pp_slot_tap() does): PP_L3_DELIVER, or
 * no_route.
 */
static __always_inline int pp_l3_port_of(__u32 dom, __u32 r, __u8 family, const __u8 *nh)
{
	struct pp_l3addr_key k = { .dom = dom, .family = family };
	struct pp_sport *qs;
	struct pp_iport *qi;
	__u32 q, slot, *id;

	__builtin_memcpy(k.addr, nh, 16);
	id = bpf_map_lookup_elem(&PP_MAP_L3ADDRS, &k);
	q = id ? *id : 0;
	qs = q && q <= PP_L3_DELIVER_ID ? bpf_map_lookup_elem(&PP_MAP_SPORTS, &q) : NULL;
	if (!qs || !(qs->flags & PP_SPORT_L3) || qs->net_id != dom)
		return PP_ERR(PP_DROP_NO_ROUTE);
	slot = qs->slot;
	qi = bpf_map_lookup_elem(&PP_MAP_IPORTS, &slot);
	if (!qi || pp_slot_tap(slot, qi) != r)
		return PP_ERR(PP_DROP_NO_ROUTE);	/* the route names another tap */
	return PP_L3_DELIVER | (family == PP_NEIGH_V6 ? PP_L3_DELIVER_V6 : 0) | q;
}

/*
 * Route a frame of domain dom arriving on this device (tags: its logical
 * tag count, | 0x100 when the outermost one is in skb metadata; len: its
 * length on the wire), addressed to the gateway or the uplink: the lookup
 * in the domain's table, then an uplink or a local L3 port of the domain.
 * Returns a verdict (sent, or XDP's CTX_ACT_TO_TC), PP_L3_DELIVER (to a
 * local L3 port: pp_l3_deliver()) or PP_ERR(reason).
 *
 * A global function: the verifier checks it once, apart from the
 * classifier's paths.
 */
__noinline int pp_l3_route(struct __ctx_buff *ctx, __u32 dom, __u32 tags, __u32 len)
{
	struct pp_frame f = { .len = len, .ntags = tags & 0xff, .meta = (tags >> 8) & 1 };
	struct bpf_fib_lookup p = {};
	__u8 nh[16] = {}, family = 0;
	struct pp_l3dom *d;
	struct pp_l3up *up;
	__u32 l3, r;
	long rc;
	int ret;

	if (!ctx || f.ntags > PP_TAGS_MAX || f.meta > f.ntags ||
	    len < ETH_HLEN + 4 * (__u32)f.ntags)
		return PP_ERR(PP_DROP_MALFORMED);
	d = bpf_map_lookup_elem(&PP_MAP_L3DOMS, &dom);
	if (!d || !d->table)
		return PP_ERR(PP_DROP_NO_ROUTE);
	l3 = ETH_HLEN + 4 * (f.ntags - f.meta);		/* tags still in the frame */
	ret = pp_l3_params(ctx, l3, len - ETH_HLEN - 4 * (__u32)f.ntags, &p, &family);
	if (ret)
		return ret;
	p.ifindex = ctx_ifindex(ctx);
	p.tbid = d->table;
	rc = bpf_fib_lookup(ctx, &p, sizeof(p), PP_L3_FIB_FLAGS);
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return PP_L3_TOO_BIG | p.mtu_result;	/* mtu, with the MTU to announce */
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return PP_ERR(PP_DROP_NO_ROUTE);
	r = p.ifindex;
	if (family == PP_NEIGH_V4)
		__builtin_memcpy(nh, &p.ipv4_dst, 4);
	else
		__builtin_memcpy(nh, p.ipv6_dst, 16);
	up = pp_l3_uplink(dom, r);
	if (up)
		return pp_l3_to_uplink(ctx, &f, l3, family, up, r, nh);
	return pp_l3_port_of(dom, r, family, nh);
}

/*
 * Deliver a frame pp_l3_route() routed to a local L3 port (its answer ret)
 * of domain dom (entry d): the gateway's MAC to the port's, the port's
 * tags, as pp_to_sport() delivers (its ingress rules, XDP's hand-offs).
 * Here, not in pp_l3_route(): the rules are a global function of their own,
 * and three frames of calls would not fit the BPF stack.
 */
static __always_inline int pp_l3_deliver(struct __ctx_buff *ctx, __u32 dom,
					 const struct pp_l3dom *d, const struct pp_frame *f,
					 int ret)
{
	__u32 q = ret & PP_L3_DELIVER_ID, tap = 0, len = 0;
	__u8 family = ret & PP_L3_DELIVER_V6 ? PP_NEIGH_V6 : PP_NEIGH_V4;
	struct pp_sport *qs = bpf_map_lookup_elem(&PP_MAP_SPORTS, &q);
	int act;

	if (!qs || !(qs->flags & PP_SPORT_L3))
		return PP_ERR(PP_DROP_NO_ROUTE);
	act = pp_sport_target(ctx, q, qs, dom, f, &tap, &len);
	if (act != CTX_ACT_REDIRECT)
		return act;
	if (pp_l3_rewrite(ctx, ETH_HLEN + 4 * ((__u32)f->ntags - f->meta), family, d->gw_mac,
			  qs->mac))
		return PP_ERR(PP_DROP_MALFORMED);
	return pp_sport_send(ctx, q, qs, f, tap, len, act);
}

/*
 * Route a frame of domain dom (entry d), then deliver it if it is for a
 * local L3 port.  Dropped as mtu by the route's MTU: *mtu set to it.
 */
static __always_inline int pp_l3_forward(struct __ctx_buff *ctx, __u32 dom,
					 const struct pp_l3dom *d, const struct pp_frame *f,
					 __u32 *mtu)
{
	int ret = pp_l3_route(ctx, dom, f->ntags | (__u32)f->meta << 8, f->len);

	if (ret >= 0 && (ret & PP_L3_TOO_BIG)) {
		*mtu = ret & 0xffff;
		return PP_ERR(PP_DROP_MTU);
	}
	if (ret >= 0 && (ret & PP_L3_DELIVER))
		return pp_l3_deliver(ctx, dom, d, f, ret);
	return ret;
}

/*
 * A frame of L3 port id (instance port slot) of domain dom dropped as err
 * (ttl or mtu; mtu: the MTU to announce): answered with an ICMP error
 * (lib/l3icmp.h), the drop counted all the same.  The verdict, or err if
 * nothing was sent.
 */
static __always_inline int pp_l3_icmp_answer(struct __ctx_buff *ctx, __u32 id, __u32 slot,
					     __u32 dom, const struct pp_frame *f, int err,
					     __u32 mtu)
{
	int act = pp_l3_icmp_error(ctx, id, dom, f->ntags | (__u32)f->meta << 8,
				   err == PP_ERR(PP_DROP_TTL) ? PP_L3ICMP_TTL : PP_L3ICMP_WHAT(mtu));

	if (act < 0)
		return err;
	if (!ctx_handed_to_tc(act))
		pp_count_drop(&PP_MAP_IPORT_DROPS, slot, PP_ERR_REASON(err));
	return act;
}

/*
 * A frame of L3 port id longer than its domain's MTU (entry d): dropped as
 * mtu, answered if it was to be routed (to the gateway MAC).
 */
static __always_inline int pp_l3_too_big(struct __ctx_buff *ctx, __u32 id, __u32 slot,
					 __u32 dom, const struct pp_l3dom *d,
					 const struct pp_frame *f)
{
	int ret = PP_ERR(PP_DROP_MTU);

	if (pp_mac_eq_b(f->dst, d->gw_mac))
		ret = pp_l3_icmp_answer(ctx, id, slot, dom, f, ret, d->mtu);
	return ret < 0 ? pp_drop_iport(slot, PP_DROP_MTU) : ret;
}

/*
 * The end of a frame's way from L3 port id (instance port slot) of domain
 * dom (entry d), its checks and services done: routed if it is addressed to
 * the gateway.  Counted as pp_vm_forward() counts.
 */
static __always_inline int pp_l3_from_vm(struct __ctx_buff *ctx, __u32 id, __u32 slot,
					 __u32 dom, const struct pp_l3dom *d,
					 const struct pp_frame *f)
{
	int ret = PP_ERR(PP_DROP_UNKNOWN_DST);
	__u32 mtu = d->mtu;

	if (pp_mac_eq_b(f->dst, d->gw_mac))
		ret = pp_l3_forward(ctx, dom, d, f, &mtu);
	if (ret == PP_ERR(PP_DROP_TTL) || ret == PP_ERR(PP_DROP_MTU))
		ret = pp_l3_icmp_answer(ctx, id, slot, dom, f, ret, mtu);
	if (ctx_handed_to_tc(ret))
		return ret;		/* counted by TC */
	pp_count_rx(id, f->len);
	return ret < 0 ? pp_drop_iport(slot, PP_ERR_REASON(ret)) : ret;
}

/*
 * ARP on uplink ifindex (entry up): a request for its address is answered
 * in place, from its MAC; any other ARP goes up to the host, unchanged.
 */
static __always_inline int pp_l3_uplink_arp(struct __ctx_buff *ctx, const struct pp_l3up *up,
					    __u32 ifindex, const struct pp_frame *f)
{
	struct pp_arp_frame r = {};
	struct pp_arp_body a;
	__u32 spa, tpa, own;
	int act;

	if (!(up->flags & PP_L3UP_V4) || ctx_load_bytes(ctx, ETH_HLEN, &a, sizeof(a)))
		return CTX_ACT_OK;
	if (!pp_arp_is_request(&a))
		return CTX_ACT_OK;
	__builtin_memcpy(&spa, a.spa, 4);
	__builtin_memcpy(&tpa, a.tpa, 4);
	__builtin_memcpy(&own, up->ip4, 4);
	if (tpa != own || spa == tpa || (!pp_mac_is_mcast(f->dst) && !pp_mac_eq(f->dst, up->mac)))
		return CTX_ACT_OK;	/* not ours to answer, or an announcement */

	act = pp_l3_uplink_reply(ctx, ifindex);
	if (act != CTX_ACT_REDIRECT)
		return act;	/* XDP: no XDP transmit there: TC answers */
	pp_arp_reply(&r, a.sha, up->mac, &a);
	if (ctx_store_bytes(ctx, 0, &r, PP_ARP_LEN))
		return pp_drop_net(up->dom, PP_DROP_MALFORMED);
	pp_l3_mark(ctx);
	return ctx_redirect_done(ctx, ifindex, act);
}

/* Is the IPv6 packet after the Ethernet header a neighbour solicitation or advertisement? */
static __always_inline int pp_l3_is_nd(struct __ctx_buff *ctx)
{
	__u8 nexthdr, type;

	return !ctx_load_bytes(ctx, ETH_HLEN + 6, &nexthdr, 1) && nexthdr == PP_IP6_ICMP &&
	       !ctx_load_bytes(ctx, ETH_HLEN + 40, &type, 1) &&
	       (type == PP_ICMP6_NS || type == PP_ICMP6_NA);
}

/*
 * IPv6 ND on uplink ifindex (entry up): a solicitation for its address is
 * answered in place, as ARP is (back out of the uplink: pp_l3_uplink_reply),
 * with an NA built as the responder builds it (struct pp_na_frame,
 * pp_na_csum: solicited and override, no router flag: the uplink's address
 * is a host's to its provider), to the solicitation's Ethernet and IPv6
 * source.  Without this the provider never resolves the uplink's address:
 * the uplink has no kernel address, nobody else answers.  Any other ND goes
 * up to the host unchanged (polyportd's resolver reads the advertisements),
 * and so does duplicate address detection (NS from ::: the provider's
 * conflict, not a question).  An NS shorter than the NA (no source
 * link-layer option): TC grows it, XDP hands it to TC unchanged.
 *
 * A global function: its reply on the stack would not fit beside the
 * routing path's frames (the BPF stack's 512 bytes).
 */
__noinline int pp_l3_uplink_ns(struct __ctx_buff *ctx, __u32 ifindex)
{
	struct pp_na_frame r = {};
	struct pp_ip6_hdr ip;
	struct pp_ns_body ns;
	struct pp_l3up *up;
	__u64 s0, s1, t0, t1, o0, o1;
	__u8 macs[2 * ETH_ALEN];
	__u32 cur;
	int act;

	if (!ctx)
		return CTX_ACT_OK;
	up = bpf_map_lookup_elem(&PP_MAP_L3UPS, &ifindex);
	cur = ctx_wire_len(ctx, 0);
	if (!up || !(up->flags & PP_L3UP_V6) || ctx_load_bytes(ctx, 0, macs, sizeof(macs)) ||
	    ctx_load_bytes(ctx, ETH_HLEN, &ip, sizeof(ip)) ||
	    ctx_load_bytes(ctx, ETH_HLEN + sizeof(ip), &ns, sizeof(ns)))
		return CTX_ACT_OK;
	if (ip.hlim != 255 || bpf_ntohs(ip.plen) < sizeof(ns) || ns.type != PP_ICMP6_NS ||
	    ns.code != 0)
		return CTX_ACT_OK;
	__builtin_memcpy(&s0, ip.saddr, 8);
	__builtin_memcpy(&s1, ip.saddr + 8, 8);
	__builtin_memcpy(&t0, ns.target, 8);
	__builtin_memcpy(&t1, ns.target + 8, 8);
	__builtin_memcpy(&o0, up->ip6, 8);
	__builtin_memcpy(&o1, up->ip6 + 8, 8);
	if ((!s0 && !s1) || t0 != o0 || t1 != o1 ||
	    (!pp_mac_is_mcast(macs) && !pp_mac_eq(macs, up->mac)))
		return CTX_ACT_OK;	/* DAD, or not ours to answer */
#ifndef CTX_CAN_GROW
	if (cur < PP_NA_LEN)
		return CTX_ACT_TO_TC;	/* XDP: no tailroom to count on: TC answers */
#endif

	__builtin_memcpy(r.dst, macs + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(r.src, up->mac, ETH_ALEN);
	r.proto = bpf_htons(ETH_P_IPV6);
	r.ip6.vtcfl = bpf_htonl(0x60000000);
	r.ip6.plen = bpf_htons(32);
	r.ip6.nexthdr = PP_IP6_ICMP;
	r.ip6.hlim = 255;
	__builtin_memcpy(r.ip6.saddr, up->ip6, 16);
	__builtin_memcpy(r.ip6.daddr, ip.saddr, 16);
	r.type = PP_ICMP6_NA;
	r.flags = bpf_htonl(PP_NA_SOLICITED | PP_NA_OVERRIDE);
	__builtin_memcpy(r.target, up->ip6, 16);
	r.opt_type = 2;			/* target link-layer address */
	r.opt_len = 1;
	__builtin_memcpy(r.opt_mac, up->mac, ETH_ALEN);
	r.csum = pp_na_csum(&r);
	act = pp_l3_uplink_reply(ctx, ifindex);
	if (act != CTX_ACT_REDIRECT)
		return act;	/* XDP: no XDP transmit there: TC answers */
	if (ctx_set_len(ctx, cur, PP_NA_LEN) || ctx_store_bytes(ctx, 0, &r, PP_NA_LEN))
		return pp_drop_net(up->dom, PP_DROP_MALFORMED);
	pp_l3_mark(ctx);
	return ctx_redirect_done(ctx, ifindex, act);
}

#ifdef PP_CTX_XDP
/*
 * XDP's fast path of a routed frame (as pp_fast_vm / pp_fast_net are the
 * L2 one, lib/dataplane.h): from an L3 port without services but the
 * gateway's responder (pp_fast_l3_vm), or from an uplink (pp_fast_uplink),
 * an IPv4 packet without options and not a fragment, or an IPv6 packet of
 * TCP, UDP or ICMPv6 that is not neighbour discovery, TTL / hop limit > 1,
 * read in place.  The lookup's parameters are those pp_l3_params() gives
 * (the same multipath hash), its result is verified as pp_l3_route() and
 * pp_l3_deliver() verify it, each entry read once.  Anything else, and
 * anything it would not send (a failed lookup, a check that fails, a next
 * hop not resolved), is PP_FULL_PATH with the frame unchanged: the full
 * path then counts the drop, records the miss or answers with an ICMP
 * error as it always does.  So the fast path can only send less than the
 * full path, never elsewhere.
 */

/*
 * The lookup's parameters p of the IP packet at l3 (ethertype at eth, the
 * frame ending at end), as pp_l3_params() fills them.  0, or -1: not the
 * fast path's packet.
 */
static __always_inline int pp_l3_fast_params(__u8 *eth, __u8 *l3, __u8 *end,
					     struct bpf_fib_lookup *p, __u8 *family)
{
	__be16 proto = *(__be16 *)eth;
	__u32 tot;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct pp_ip4_hdr *ip = (void *)l3;

		if ((void *)(ip + 1) > (void *)end)
			return -1;
		/* options, fragments, TTL 1 (an ICMP error): the full path */
		if (ip->vihl != 0x45 || (ip->frag & bpf_htons(0x3fff)) || ip->ttl <= 1)
			return -1;
		tot = bpf_ntohs(ip->len);
		if (tot < sizeof(*ip) || tot > (__u32)(end - l3))
			return -1;	/* malformed: counted by the full path */
		p->family = AF_INET;
		p->tos = ip->tos;
		p->l4_protocol = ip->proto;
		__builtin_memcpy(&p->ipv4_src, ip->saddr, 4);
		__builtin_memcpy(&p->ipv4_dst, ip->daddr, 4);
		if ((ip->proto == 6 || ip->proto == 17) && tot >= sizeof(*ip) + 4) {
			if (l3 + sizeof(*ip) + 4 > end)
				return -1;
			__builtin_memcpy(&p->sport, l3 + sizeof(*ip), 4);
		}
		*family = PP_NEIGH_V4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct pp_ip6_hdr *ip = (void *)l3;
		__u8 nh;

		if ((void *)(ip + 1) > (void *)end)
			return -1;
		if ((ip->vtcfl & bpf_htonl(0xf0000000)) != bpf_htonl(0x60000000) || ip->hlim <= 1)
			return -1;
		tot = PP_IP6_HLEN + bpf_ntohs(ip->plen);
		if (tot > (__u32)(end - l3))
			return -1;
		nh = ip->nexthdr;
		if (nh == PP_IP6_ICMP) {
			/*
			 * Neighbour discovery (types 133-137): the uplink's or
			 * polyportd's (pp_l3_is_nd: NS / NA by type alone, any
			 * hop limit), or an L3 port's responder's (the NS for
			 * the gateway, to its MAC): the full path.
			 */
			if (l3 + PP_IP6_HLEN + 1 > end ||
			    (l3[PP_IP6_HLEN] >= 133 && l3[PP_IP6_HLEN] <= 137))
				return -1;
		} else if (nh != 6 && nh != 17) {
			return -1;	/* extension headers, anything else */
		}
		p->family = AF_INET6;
		p->flowinfo = ip->vtcfl & bpf_htonl(0x0fffffff);
		p->l4_protocol = nh;
		__builtin_memcpy(p->ipv6_src, ip->saddr, 16);
		__builtin_memcpy(p->ipv6_dst, ip->daddr, 16);
		if (nh != PP_IP6_ICMP && tot >= PP_IP6_HLEN + 4) {
			if (l3 + PP_IP6_HLEN + 4 > end)
				return -1;
			__builtin_memcpy(&p->sport, l3 + PP_IP6_HLEN, 4);
		}
		*family = PP_NEIGH_V6;
	} else {
		return -1;
	}
	p->tot_len = tot;	/* no GSO in XDP */
	return 0;
}

/* TTL / hop limit - 1 in place, as pp_l3_rewrite (the IPv4 checksum: RFC 1624). */
static __always_inline void pp_l3_fast_ttl(__u8 *l3, __u8 family)
{
	__u32 c;

	if (family == PP_NEIGH_V4) {
		c = ((__u32)l3[10] << 8 | l3[11]) + 0x0100;
		c = (c + (c >= 0xffff)) & 0xffff;
		l3[8]--;
		l3[10] = c >> 8;
		l3[11] = c & 0xff;
	} else {
		l3[7]--;
	}
}

/*
 * Route the fast path's frame of domain dom (entry d: its table, its
 * gateway MAC) arriving on this device, ntags (0 or 1) tags in the frame,
 * addressed to the gateway or the uplink.  Returns the verdict (sent, or
 * handed to TC unchanged where pp_l3_route() would hand it), PP_FULL_PATH
 * (the frame unchanged), or PP_ERR(malformed) if the frame broke after it
 * was rewritten, as the full path's.
 *
 * The result is used as pp_l3_route() uses it, each map read once:
 * pp_devs[r] is read once and its kind chooses the branch (pp_l3_uplink()
 * takes an uplink only if pp_devs says so, pp_slot_tap() a tap only if it
 * says so), then
 * - an uplink: pp_devs says it is this domain's and pp_l3ups agrees (both:
 *   either alone may be stale while the loader rewrites them), the next
 *   hop resolved in pp_l3nh (else the full path records the miss);
 * - a tap: the L3 port pp_l3addrs names for (dom, next hop), whose
 *   pp_sports entry says L3 and this domain (pp_l3addrs alone may name a
 *   port of another domain) and no security (its ingress rules: the full
 *   path), whose instance port's tap is r by both pp_iports and pp_devs (as
 *   pp_slot_tap() checks it).  pp_l3_deliver() re-reads the port and its
 *   tap (pp_sport_target) only because it runs in another frame; here they
 *   are read once.
 * A subprogram of its own: inlined, its frame (the lookup's parameters,
 * the keys) would add to pp_from_vm's, which with the rules' calls would
 * no longer fit the BPF stack (528 of 512 bytes).
 */
static __noinline int pp_l3_fast(struct __ctx_buff *ctx, __u32 dom, const struct pp_l3dom *d,
				 __u32 ntags)
{
	__u8 *p = ctx_data(ctx), *end = ctx_data_end(ctx), *eth, *l3, family = 0;
	struct bpf_fib_lookup fp = {};
	struct pp_sport *qs;
	struct pp_iport *qi;
	struct pp_dev *dev;
	__u32 r, q, slot, len, *id;
	int act;

	if (!d || ntags > 1 || p + ETH_HLEN > end)
		return PP_FULL_PATH;
	eth = p + 12 + 4 * ntags;
	l3 = eth + 2;
	if (l3 > end || pp_l3_fast_params(eth, l3, end, &fp, &family))
		return PP_FULL_PATH;
	fp.ifindex = ctx_ifindex(ctx);
	fp.tbid = d->table;
	if (bpf_fib_lookup(ctx, &fp, sizeof(fp), PP_L3_FIB_FLAGS) != BPF_FIB_LKUP_RET_SUCCESS)
		return PP_FULL_PATH;	/* no_route, or mtu (an ICMP error) */
	r = fp.ifindex;
	dev = bpf_map_lookup_elem(&PP_MAP_DEVS, &r);
	if (!r || !dev || dev->ifindex != r)
		return PP_FULL_PATH;

	if (dev->flags & PP_DEV_UPLINK) {
		struct pp_l3nh_key nk = { .ifindex = r, .family = family };
		struct pp_l3up *up;
		struct pp_l3nh *n;

		if (dev->net_id != dom)
			return PP_FULL_PATH;	/* another domain's uplink: no_route */
		up = bpf_map_lookup_elem(&PP_MAP_L3UPS, &r);
		if (!up || up->dom != dom)
			return PP_FULL_PATH;
		if (family == PP_NEIGH_V4)
			__builtin_memcpy(nk.addr, &fp.ipv4_dst, 4);
		else
			__builtin_memcpy(nk.addr, fp.ipv6_dst, 16);
		n = bpf_map_lookup_elem(&PP_MAP_L3NH, &nk);
		if (!n || !(n->flags & PP_L3NH_VALID))
			return PP_FULL_PATH;	/* no_neigh: the miss recorded there */
		act = ctx_redirect(ctx, r);
		if (act != CTX_ACT_REDIRECT)
			return act;	/* no XDP transmit to this uplink: hand to TC */
		pp_l3_fast_ttl(l3, family);
		__builtin_memcpy(p, n->mac, ETH_ALEN);
		__builtin_memcpy(p + ETH_ALEN, up->mac, ETH_ALEN);
		if (ntags && pp_retag_net(ctx, ntags, 0))
			return PP_ERR(PP_DROP_MALFORMED);
		return ctx_redirect_done(ctx, r, act);
	}

	if (!(dev->flags & PP_DEV_TAP))
		return PP_FULL_PATH;	/* a network's device, a bridge...: no_route */
	{
		struct pp_l3addr_key ak = { .dom = dom, .family = family };

		if (family == PP_NEIGH_V4)
			__builtin_memcpy(ak.addr, &fp.ipv4_dst, 4);
		else
			__builtin_memcpy(ak.addr, fp.ipv6_dst, 16);
		id = bpf_map_lookup_elem(&PP_MAP_L3ADDRS, &ak);
	}
	q = id ? *id : 0;
	qs = q && q <= PP_L3_DELIVER_ID ? bpf_map_lookup_elem(&PP_MAP_SPORTS, &q) : NULL;
	if (!qs || (qs->flags & (PP_SPORT_L3 | PP_SPORT_SECURITY)) != PP_SPORT_L3 ||
	    qs->net_id != dom)
		return PP_FULL_PATH;
	slot = qs->slot;
	qi = dev->slot == slot ? bpf_map_lookup_elem(&PP_MAP_IPORTS, &slot) : NULL;
	if (!qi || qi->ifindex != r)
		return PP_FULL_PATH;	/* the route names another tap */
	len = (__u32)(end - p) - 4 * ntags + 4 * pp_sport_ntags(qs);
	if (!ctx_tx_fits(len, qi->mtu))
		return CTX_ACT_TO_TC;	/* longer than the tap takes by XDP */
	act = ctx_redirect(ctx, r);
	if (act != CTX_ACT_REDIRECT)
		return act;	/* an instance port in TC mode: hand to TC */
	pp_l3_fast_ttl(l3, family);
	__builtin_memcpy(p, qs->mac, ETH_ALEN);
	__builtin_memcpy(p + ETH_ALEN, d->gw_mac, ETH_ALEN);
	if (pp_retag_sport(ctx, ntags, qs))
		return PP_ERR(PP_DROP_MALFORMED);
	pp_count_tx(q, len);
	return ctx_redirect_done(ctx, r, act);
}

/*
 * The fast path of a frame from L3 port id (entry sp, instance port slot;
 * f as pp_peek() read it, the port's match and source MAC checked by
 * pp_fast_vm): routed if it is to the gateway MAC and within the domain's
 * MTU, counted as pp_l3_from_vm() counts.  PP_FULL_PATH otherwise.
 */
static __always_inline int pp_fast_l3_vm(struct __ctx_buff *ctx, __u32 id, __u32 slot,
					 const struct pp_sport *sp, const struct pp_frame *f)
{
	__u8 *p = ctx_data(ctx), *end = ctx_data_end(ctx);
	__u32 dom = sp->net_id;
	struct pp_l3dom *d;
	int ret;

	/*
	 * Services: none but the responder every L3 port has (the gateway's
	 * ARP and ND, which pp_l3_fast_params never takes).  Security, DHCP,
	 * rules, a flag added later: the full path.
	 */
	if ((sp->flags & ~PP_SPORT_RESPONDER) != PP_SPORT_L3)
		return PP_FULL_PATH;
	d = bpf_map_lookup_elem(&PP_MAP_L3DOMS, &dom);
	if (!d || !d->table || f->len > ETH_HLEN + 4 * (__u32)f->ntags + d->mtu ||
	    p + ETH_HLEN > end || !pp_mac_eq_b(p, d->gw_mac))
		return PP_FULL_PATH;	/* no_route, mtu (answered), unknown_dst */
	ret = pp_l3_fast(ctx, dom, d, f->ntags);
	if (ret == PP_FULL_PATH || ctx_handed_to_tc(ret))
		return ret;		/* TC counts it */
	pp_count_rx(id, f->len);
	return ret < 0 ? pp_drop_iport(slot, PP_ERR_REASON(ret)) : ret;
}

/*
 * The fast path of a frame on uplink ifindex (entry up) of domain dom
 * (entry d), both checked by pp_from_uplink: untagged, to the uplink's MAC,
 * within the domain's MTU.  The verdict, PP_FULL_PATH otherwise (ARP and
 * ND among it), or PP_ERR as pp_l3_fast().
 */
static __always_inline int pp_fast_uplink(struct __ctx_buff *ctx, __u32 dom,
					  const struct pp_l3up *up, const struct pp_l3dom *d)
{
	__u8 *p = ctx_data(ctx), *end = ctx_data_end(ctx);

	if (p + ETH_HLEN > end || pp_is_tag(*(__be16 *)(p + 12)) || !pp_mac_eq(p, up->mac) ||
	    (__u32)(end - p) > ETH_HLEN + d->mtu)
		return PP_FULL_PATH;
	return pp_l3_fast(ctx, dom, d, 0);
}
#endif

/*
 * Frames arriving on an uplink (device entry dev): toward the domain's L3
 * ports or its other uplinks.  Drops count on the domain.
 */
static __always_inline int pp_from_uplink(struct __ctx_buff *ctx, const struct pp_dev *dev,
					  __u32 ifindex)
{
	__u32 dom = dev->net_id;
	struct pp_l3up *up = bpf_map_lookup_elem(&PP_MAP_L3UPS, &ifindex);
	struct pp_l3dom *d = bpf_map_lookup_elem(&PP_MAP_L3DOMS, &dom);
	struct pp_frame f;
	__u32 mtu = 0;
	__be16 proto;
	int ret;

	if (!up || up->dom != dom)
		return pp_drop_net(dom, PP_DROP_UNKNOWN_PORT);
	if (!d || !d->table)
		return pp_drop_net(dom, PP_DROP_NO_ROUTE);
#ifdef PP_CTX_XDP
	ret = pp_fast_uplink(ctx, dom, up, d);
	if (ret != PP_FULL_PATH)
		return ret < 0 ? pp_drop_net(dom, PP_ERR_REASON(ret)) : ret;
#endif
	if (pp_parse(ctx, &f))
		return pp_drop_net(dom, PP_DROP_MALFORMED);
	if (f.ntags)
		return pp_drop_net(dom, PP_DROP_UNKNOWN_PORT);
	if (ctx_load_bytes(ctx, ETH_HLEN - 2, &proto, sizeof(proto)))
		return pp_drop_net(dom, PP_DROP_MALFORMED);
	if (proto == bpf_htons(ETH_P_ARP))
		return pp_l3_uplink_arp(ctx, up, ifindex, &f);
	if (proto == bpf_htons(ETH_P_IPV6) && pp_l3_is_nd(ctx))
		return pp_l3_uplink_ns(ctx, ifindex);	/* else up to polyportd */
	if (!pp_mac_eq(f.dst, up->mac))
		return pp_drop_net(dom, PP_DROP_UNKNOWN_DST);
	if (pp_too_big(ctx, &f, d->mtu))
		return pp_drop_net(dom, PP_DROP_MTU);
	ret = pp_l3_forward(ctx, dom, d, &f, &mtu);
	return ret < 0 ? pp_drop_net(dom, PP_ERR_REASON(ret)) : ret;
}

#ifdef PP_CTX_SKB
/*
 * TC egress on an uplink: nothing the host sends leaves by it.  A frame
 * with PP_L3_MARK is polyport's (a redirect above, polyportd's ARP/NS by
 * SO_MARK): it passes, the mark cleared.  Any other frame (the host's
 * IPv6 RS/MLD/DAD, a ping from the host) is dropped as host_egress on the
 * domain.  A device that is not an uplink is left alone (TC_ACT_UNSPEC:
 * as if no filter were there), should this ever be attached to one.
 */
static __always_inline int pp_uplink_egress(struct __sk_buff *ctx)
{
	__u32 ifindex = ctx->ifindex;
	struct pp_dev *dev = bpf_map_lookup_elem(&PP_MAP_DEVS, &ifindex);

	if (!dev || dev->ifindex != ifindex || !(dev->flags & PP_DEV_UPLINK))
		return TC_ACT_UNSPEC;
	if (ctx->mark == PP_L3_MARK) {
		ctx->mark = 0;
		return TC_ACT_OK;
	}
	return pp_drop_net(dev->net_id, PP_DROP_HOST_EGRESS);
}
#endif

#endif /* PP_BPF_L3_H */
