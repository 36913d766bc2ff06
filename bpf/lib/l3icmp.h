/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * L3 domains (issue 16): the ICMP errors the gateway sends back to a VM.
 *
 * A routed frame from an L3 port that is dropped as ttl (TTL / hop limit
 * <= 1) or mtu (longer than the domain's MTU, or the lookup's FRAG_NEEDED)
 * is answered, besides being counted as that drop:
 * - ttl: ICMP time exceeded (type 11 code 0) / ICMPv6 time exceeded (3, 0);
 * - mtu: IPv4 with DF set: destination unreachable, fragmentation needed
 *   (3, 4) with the next-hop MTU; IPv6: Packet Too Big (2, 0) with the MTU;
 *   IPv4 without DF: nothing (a router would fragment; polyport drops).
 * The error goes back on the same service port (its tags), from the
 * gateway MAC to the frame's source MAC, from the gateway address of the
 * subnet that holds the packet's source (pp_l3gw), and quotes as much of
 * the packet as fits in 576 (IPv4) / 1280 (IPv6) bytes.
 *
 * Never about an ICMP error, a non-first fragment, a multicast or broadcast
 * destination, an unspecified or multicast source, or a source outside the
 * domain's subnets (no pp_l3gw entry: a prefix behind the VM).  At most
 * PP_L3ICMP_RATE errors per PP_L3ICMP_NS per domain and CPU (pp_l3icmp):
 * the rest are not sent (the drop is counted all the same).
 *
 * TC builds the error (the frame grows at its head: bpf_skb_change_head).
 * XDP hands a frame that would be answered to TC unchanged; what would not
 * be answered it drops itself.  The rate limit is TC's alone.
 */
#ifndef PP_BPF_L3ICMP_H
#define PP_BPF_L3ICMP_H

#include <linux/if_ether.h>
#include "maps.bpf.h"
#include "frame.h"
#include "counters.h"
#include "responder.h"	/* struct pp_ip6_hdr */
#include "security.h"	/* struct pp_ip4_hdr */

/* pp_l3_icmp_error()'s what: the reason, and for mtu the MTU to announce */
#define PP_L3ICMP_TTL		0
#define PP_L3ICMP_MTU		1
#define PP_L3ICMP_WHAT(mtu)	(PP_L3ICMP_MTU | (__u32)(mtu) << 8)

#define PP_L3ICMP_MAX4		576	/* an error's IP packet at most (RFC 1812 4.3.2.3) */
#define PP_L3ICMP_MAX6		1280	/* (RFC 4443 2.4 c) */

struct pp_icmp4_err {
	__u8   dst[6];
	__u8   src[6];
	__be16 proto;
	struct pp_ip4_hdr ip;
	__u8   type;
	__u8   code;
	__be16 csum;
	__be16 unused;
	__be16 mtu;		/* next-hop MTU (fragmentation needed), else 0 */
} __attribute__((packed, aligned(4)));

struct pp_icmp6_err {
	__u8   dst[6];
	__u8   src[6];
	__be16 proto;
	struct pp_ip6_hdr ip6;
	__u8   type;
	__u8   code;
	__be16 csum;
	__be32 mtu;		/* Packet Too Big, else 0 */
} __attribute__((packed, aligned(4)));

#define PP_ICMP4_ERR_LEN	(ETH_HLEN + 20 + 8)	/* 42 */
#define PP_ICMP6_ERR_LEN	(ETH_HLEN + 40 + 8)	/* 62 */

/* Fold a 64-bit sum of 32-bit words into a 16-bit ones' complement sum. */
static __always_inline __u16 pp_csum_fold64(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* May the error be sent under domain dom's rate limit?  Counts it either way. */
static __always_inline int pp_l3_icmp_allowed(__u32 dom)
{
	struct pp_l3icmp *r = bpf_map_lookup_elem(&PP_MAP_L3ICMP, &dom);
	__u64 now = bpf_ktime_get_ns();

	if (!r)
		return 0;
	if (now - r->start_ns >= PP_L3ICMP_NS) {
		r->start_ns = now;
		r->n = 0;
	}
	if (r->n >= PP_L3ICMP_RATE) {
		r->limited++;
		return 0;
	}
	r->n++;
	r->sent++;
	return 1;
}

#ifdef PP_CTX_SKB
/*
 * The ones' complement sum (memory order) of the frame from off to its end,
 * at most max bytes: direct packet access after a pull.
 */
static __always_inline __u64 pp_l3_icmp_sum(struct __sk_buff *ctx, __u32 off, __u32 max)
{
	__u8 *p, *end;
	__u64 s = 0;
	__u32 i;

	if (bpf_skb_pull_data(ctx, ctx->len))
		return 0;
	p = ctx_data(ctx);
	end = ctx_data_end(ctx);
	if (off > 64)
		return 0;
	p += off;
	for (i = 0; i < max / 4; i++) {
		if (p + 4 > end)
			break;
		s += *(__u32 *)p;
		p += 4;
	}
	if (p + 2 <= end) {
		s += *(__u16 *)p;
		p += 2;
	}
	if (p + 1 <= end)
		s += *p;	/* the last byte, padded with a zero (memory order) */
	return s;
}
#endif

/*
 * The ICMP error for the frame of L3 port id of domain dom (tags: as
 * pp_l3_route's; what: PP_L3ICMP_TTL or PP_L3ICMP_WHAT(mtu)), still as the
 * VM sent it.  Returns a verdict (the error sent back on the port, or XDP's
 * CTX_ACT_TO_TC) or -1: nothing sent, the frame unchanged.
 *
 * A global function: the verifier checks it once, and its headers stay off
 * the classifier's stack.
 */
__noinline int pp_l3_icmp_error(struct __ctx_buff *ctx, __u32 id, __u32 dom, __u32 tags,
				__u32 what)
{
	__u32 ntags = tags & 0xff, meta = (tags >> 8) & 1, l3, room, tot;
	__u32 mtu = what >> 8, reason = what & 0xff;
	struct pp_l3gw_key gk = { .dom = dom };
	struct pp_l3dom *d;
	struct pp_sport *sp;
	struct pp_l3gw *gw;
	__u8 smac[6], l4[4];
	__be16 proto;

#ifndef CTX_CAN_GROW
	(void)mtu;
#endif
	if (!ctx || ntags > PP_TAGS_MAX || meta > ntags)
		return -1;
	sp = bpf_map_lookup_elem(&PP_MAP_SPORTS, &id);
	d = bpf_map_lookup_elem(&PP_MAP_L3DOMS, &dom);
	if (!sp || !(sp->flags & PP_SPORT_L3) || sp->net_id != dom || !d || !d->table)
		return -1;
	l3 = ETH_HLEN + 4 * (ntags - meta);	/* tags still in the frame */
	room = ctx_wire_len(ctx, meta);
	asm volatile("" : "+r"(room));	/* a number, not pkt_end arithmetic (XDP) */
	room -= 4 * ntags + ETH_HLEN;
	if (ctx_load_bytes(ctx, ETH_ALEN, smac, ETH_ALEN) ||
	    ctx_load_bytes(ctx, l3 - 2, &proto, sizeof(proto)) || pp_mac_is_mcast(smac))
		return -1;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct pp_ip4_hdr ip;
		__u32 hl;

		if (room < sizeof(ip) || ctx_load_bytes(ctx, l3, &ip, sizeof(ip)))
			return -1;
		hl = (ip.vihl & 0xf) * 4;
		tot = bpf_ntohs(ip.len);
		if ((ip.vihl >> 4) != 4 || hl < sizeof(ip) || tot < hl)
			return -1;
		if (ip.frag & bpf_htons(0x1fff))
			return -1;	/* not the first fragment */
		if (reason == PP_L3ICMP_MTU && !(ip.frag & bpf_htons(0x4000)))
			return -1;	/* no DF: not answered */
		if (ip.daddr[0] >= 224 || ip.saddr[0] >= 224 || !(ip.saddr[0] | ip.saddr[1] |
		    ip.saddr[2] | ip.saddr[3]))
			return -1;	/* multicast, broadcast, class E, unspecified */
		if (ip.proto == 1 && (ctx_load_bytes(ctx, l3 + hl, l4, 1) || l4[0] == 3 ||
				      l4[0] == 4 || l4[0] == 5 || l4[0] == 11 || l4[0] == 12))
			return -1;	/* an ICMP error (or none readable) */
		gk.prefixlen = 64 + 32;
		gk.family = PP_NEIGH_V4;
		__builtin_memcpy(gk.addr, ip.saddr, 4);
		gw = bpf_map_lookup_elem(&PP_MAP_L3GW, &gk);
		if (!gw)
			return -1;
#ifndef CTX_CAN_GROW
		return CTX_ACT_TO_TC;	/* XDP: TC builds the error */
#else
		struct pp_icmp4_err h = {};
		__u32 q, i, s = 0;
		__u16 *w;

		if (!pp_l3_icmp_allowed(dom))
			return -1;
		q = tot < room ? tot : room;
		if (q > PP_L3ICMP_MAX4 - 28)
			q = PP_L3ICMP_MAX4 - 28;
		__builtin_memcpy(h.dst, smac, ETH_ALEN);
		__builtin_memcpy(h.src, d->gw_mac, ETH_ALEN);
		h.proto = bpf_htons(ETH_P_IP);
		h.ip.vihl = 0x45;
		h.ip.tos = 0xc0;		/* internetwork control, as routers send */
		h.ip.len = bpf_htons(28 + q);
		h.ip.ttl = 64;
		h.ip.proto = 1;
		__builtin_memcpy(h.ip.saddr, gw->addr, 4);
		__builtin_memcpy(h.ip.daddr, ip.saddr, 4);
		w = (__u16 *)&h.ip;
#pragma unroll
		for (i = 0; i < 10; i++)
			s += w[i];
		h.ip.csum = (__u16)~pp_csum_fold64(s);
		if (reason == PP_L3ICMP_MTU) {
			h.type = 3;
			h.code = 4;
			h.mtu = bpf_htons(mtu);
		} else {
			h.type = 11;
		}
		{
			int act = ctx_reply(ctx);
			__u64 sum;

			if (pp_tags_pop(ctx, ntags) ||
			    ctx_set_len(ctx, ctx_wire_len(ctx, 0), ETH_HLEN + q) ||
			    bpf_skb_change_head(ctx, 28, 0) ||
			    ctx_store_bytes(ctx, 0, &h, PP_ICMP4_ERR_LEN))
				return CTX_ACT_DROP;
			sum = pp_l3_icmp_sum(ctx, ETH_HLEN + 20, 8 + PP_L3ICMP_MAX4);
			h.csum = (__u16)~pp_csum_fold64(sum);
			if (ctx_store_bytes(ctx, ETH_HLEN + 22, &h.csum, 2) ||
			    pp_tags_push_sport(ctx, sp))
				return CTX_ACT_DROP;
			pp_count_tx(id, ETH_HLEN + 28 + q + 4 * pp_sport_ntags(sp));
			return ctx_redirect_done(ctx, ctx_ifindex(ctx), act);
		}
#endif
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct pp_ip6_hdr ip;

		if (room < sizeof(ip) || ctx_load_bytes(ctx, l3, &ip, sizeof(ip)))
			return -1;
		tot = sizeof(ip) + bpf_ntohs(ip.plen);
		if ((ip.vtcfl & bpf_htonl(0xf0000000)) != bpf_htonl(0x60000000))
			return -1;
		if (ip.daddr[0] == 0xff || ip.saddr[0] == 0xff)
			return -1;	/* multicast */
		{
			__u64 a0, a1;

			__builtin_memcpy(&a0, ip.saddr, 8);
			__builtin_memcpy(&a1, ip.saddr + 8, 8);
			if (!a0 && !a1)
				return -1;	/* unspecified */
		}
		if (ip.nexthdr == 58 && (ctx_load_bytes(ctx, l3 + sizeof(ip), l4, 1) ||
					 l4[0] < 128))
			return -1;	/* an ICMPv6 error */
		if (ip.nexthdr == 44 && (ctx_load_bytes(ctx, l3 + sizeof(ip) + 2, l4, 2) ||
					 (l4[0] | (l4[1] & 0xf8))))
			return -1;	/* not the first fragment */
		gk.prefixlen = 64 + 128;
		gk.family = PP_NEIGH_V6;
		__builtin_memcpy(gk.addr, ip.saddr, 16);
		gw = bpf_map_lookup_elem(&PP_MAP_L3GW, &gk);
		if (!gw)
			return -1;
#ifndef CTX_CAN_GROW
		return CTX_ACT_TO_TC;	/* XDP: TC builds the error */
#else
		struct pp_icmp6_err h = {};
		__u32 q;

		if (!pp_l3_icmp_allowed(dom))
			return -1;
		q = tot < room ? tot : room;
		if (q > PP_L3ICMP_MAX6 - 48)
			q = PP_L3ICMP_MAX6 - 48;
		__builtin_memcpy(h.dst, smac, ETH_ALEN);
		__builtin_memcpy(h.src, d->gw_mac, ETH_ALEN);
		h.proto = bpf_htons(ETH_P_IPV6);
		h.ip6.vtcfl = bpf_htonl(0x60000000);
		h.ip6.plen = bpf_htons(8 + q);
		h.ip6.nexthdr = 58;
		h.ip6.hlim = 64;
		__builtin_memcpy(h.ip6.saddr, gw->addr, 16);
		__builtin_memcpy(h.ip6.daddr, ip.saddr, 16);
		if (reason == PP_L3ICMP_MTU) {
			h.type = 2;
			h.mtu = bpf_htonl(mtu);
		} else {
			h.type = 3;
		}
		{
			int act = ctx_reply(ctx);
			__u64 sum = (__u64)bpf_htonl(8 + q) + bpf_htonl(58);	/* no u32 wrap */
			__u32 w[8], i;	/* aligned: the stack takes no misaligned words */

			if (pp_tags_pop(ctx, ntags) ||
			    ctx_set_len(ctx, ctx_wire_len(ctx, 0), ETH_HLEN + q) ||
			    bpf_skb_change_head(ctx, 48, 0) ||
			    ctx_store_bytes(ctx, 0, &h, PP_ICMP6_ERR_LEN))
				return CTX_ACT_DROP;
			__builtin_memcpy(w, h.ip6.saddr, 32);
#pragma unroll
			for (i = 0; i < 8; i++)		/* the pseudo-header's addresses */
				sum += w[i];
			sum += pp_l3_icmp_sum(ctx, ETH_HLEN + 40, 8 + PP_L3ICMP_MAX6);
			h.csum = (__u16)~pp_csum_fold64(sum);
			if (ctx_store_bytes(ctx, ETH_HLEN + 42, &h.csum, 2) ||
			    pp_tags_push_sport(ctx, sp))
				return CTX_ACT_DROP;
			pp_count_tx(id, ETH_HLEN + 48 + q + 4 * pp_sport_ntags(sp));
			return ctx_redirect_done(ctx, ctx_ifindex(ctx), act);
		}
#endif
	}
	return -1;
}

#endif /* PP_BPF_L3ICMP_H */
