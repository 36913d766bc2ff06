/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The ARP / NDP responder (bind: responder), over the context shim.
 *
 * An ARP request or an IPv6 Neighbor Solicitation from the VM, on a service
 * port with PP_SPORT_RESPONDER, whose target is an address known on the
 * port's network (pp_neigh: the gateway's, other service ports'), is
 * answered in place: the frame is rewritten into the reply, retagged with
 * the service port's tags (the frame rules' tags toward the VM) and sent
 * back out of the tap (TC: bpf_redirect to the tap's own egress; XDP:
 * XDP_TX).  Nothing reaches the network.  Everything else goes on as usual:
 * unknown targets, the port's own addresses (a VM probing its own address
 * must not hear itself), gratuitous ARP, duplicate address detection (NS
 * from ::), ARP replies and malformed requests.
 *
 * Replies, to the byte:
 * - ARP: Ethernet (to the requester, from the target's MAC, 0x0806), then
 *   htype 1, ptype 0x0800, 6, 4, op 2, sha/spa = the target's MAC/address,
 *   tha/tpa = the requester's sha/spa.  The frame keeps the request's length
 *   (a padded request gives a padded reply).
 * - NA: Ethernet (to the requester, from the target's MAC, 0x86dd), IPv6
 *   (version 6, traffic class and flow label 0, payload 32, next header 58,
 *   hop limit 255, from the target address to the solicitation's source),
 *   ICMPv6 type 136 code 0, flags R (the gateway) S O, the target, and a
 *   target link-layer address option (type 2, length 1, the MAC); the
 *   checksum over the pseudo-header.  86 bytes untagged.  A solicitation
 *   shorter than that (no source link-layer option) needs a longer frame:
 *   TC grows it (bpf_skb_change_tail), XDP hands it to TC unchanged.
 *
 * pp_respond() is a global function: the verifier checks it once, apart
 * from the classifier's paths.
 */
#ifndef PP_BPF_RESPONDER_H
#define PP_BPF_RESPONDER_H

#include <linux/if_ether.h>
#include "maps.bpf.h"
#include "frame.h"
#include "counters.h"

#define PP_RESP_NONE	(-1)	/* not answered: the frame goes on as usual */
#define PP_RESP_BAD	(-2)	/* the frame broke while being answered: drop */

struct pp_arp_body {
	__be16 htype;
	__be16 ptype;
	__u8   hlen;
	__u8   plen;
	__be16 op;
	__u8   sha[6];
	__u8   spa[4];
	__u8   tha[6];
	__u8   tpa[4];
} __attribute__((packed));

struct pp_arp_frame {
	__u8   dst[6];
	__u8   src[6];
	__be16 proto;
	struct pp_arp_body arp;
} __attribute__((packed, aligned(4)));

/* Is a an Ethernet/IPv4 ARP request? */
static __always_inline int pp_arp_is_request(const struct pp_arp_body *a)
{
	return a->htype == bpf_htons(1) && a->ptype == bpf_htons(ETH_P_IP) && a->hlen == 6 &&
	       a->plen == 4 && a->op == bpf_htons(1);
}

/* r: the reply to request a, from mac (who has a->tpa), to Ethernet dst. */
static __always_inline void pp_arp_reply(struct pp_arp_frame *r, const __u8 *dst,
					 const __u8 *mac, const struct pp_arp_body *a)
{
	__builtin_memcpy(r->dst, dst, ETH_ALEN);
	__builtin_memcpy(r->src, mac, ETH_ALEN);
	r->proto = bpf_htons(ETH_P_ARP);
	r->arp.htype = bpf_htons(1);
	r->arp.ptype = bpf_htons(ETH_P_IP);
	r->arp.hlen = 6;
	r->arp.plen = 4;
	r->arp.op = bpf_htons(2);
	__builtin_memcpy(r->arp.sha, mac, ETH_ALEN);
	__builtin_memcpy(r->arp.spa, a->tpa, 4);
	__builtin_memcpy(r->arp.tha, a->sha, ETH_ALEN);
	__builtin_memcpy(r->arp.tpa, a->spa, 4);
}

struct pp_ip6_hdr {
	__be32 vtcfl;		/* version, traffic class, flow label */
	__be16 plen;
	__u8   nexthdr;
	__u8   hlim;
	__u8   saddr[16];
	__u8   daddr[16];
} __attribute__((packed));

struct pp_ns_body {		/* ICMPv6 NS, options excluded */
	__u8   type;
	__u8   code;
	__be16 csum;
	__be32 reserved;
	__u8   target[16];
} __attribute__((packed));

struct pp_na_frame {
	__u8   dst[6];
	__u8   src[6];
	__be16 proto;
	struct pp_ip6_hdr ip6;
	__u8   type;
	__u8   code;
	__be16 csum;
	__be32 flags;
	__u8   target[16];
	__u8   opt_type;
	__u8   opt_len;
	__u8   opt_mac[6];
} __attribute__((packed, aligned(4)));

_Static_assert(sizeof(struct pp_arp_body) == 28, "ARP body");
_Static_assert(sizeof(struct pp_arp_frame) == 44, "ARP frame (42 + alignment)");
_Static_assert(sizeof(struct pp_na_frame) == 88, "NA frame (86 + alignment)");

#define PP_ARP_LEN	(ETH_HLEN + 28)		/* 42 */
#define PP_NA_LEN	(ETH_HLEN + 40 + 32)	/* 86 */
#define PP_ICMP6_NS	135
#define PP_ICMP6_NA	136
#define PP_NA_ROUTER	0x80000000u
#define PP_NA_SOLICITED	0x40000000u
#define PP_NA_OVERRIDE	0x20000000u

/*
 * Send the reply buf (len bytes, untagged) back to the VM on service port id:
 * the frame (cur bytes once its ntags tags are gone) becomes new_len bytes,
 * buf over its start, the port's tags pushed.
 */
static __always_inline int pp_reply_send(struct __ctx_buff *ctx, const struct pp_sport *sp,
					 __u32 id, __u32 ntags, __u32 cur, __u32 new_len,
					 const void *buf, __u32 len)
{
	int act;

#ifndef CTX_CAN_GROW
	if (new_len > cur)
		return CTX_ACT_TO_TC;	/* XDP: no tailroom to count on: TC answers */
#endif
	act = ctx_reply(ctx);
	if (pp_tags_pop(ctx, ntags) || ctx_set_len(ctx, cur, new_len) ||
	    ctx_store_bytes(ctx, 0, buf, len) || pp_tags_push_sport(ctx, sp))
		return PP_RESP_BAD;
	pp_count_tx(id, new_len + 4 * pp_sport_ntags(sp));
	return ctx_redirect_done(ctx, ctx_ifindex(ctx), act);
}

/* The same, for the responder: counted as an answer. */
static __always_inline int pp_answer_send(struct __ctx_buff *ctx, const struct pp_sport *sp,
					  __u32 id, __u32 ntags, __u32 cur, __u32 new_len,
					  const void *buf, __u32 len)
{
	int ret = pp_reply_send(ctx, sp, id, ntags, cur, new_len, buf, len);

	if (ret >= 0 && !ctx_handed_to_tc(ret))
		pp_count_svc(id, responder_answers);
	return ret;
}

/* The known MAC of address addr on the port's network, not the port's own. */
static __always_inline struct pp_neigh *pp_neigh_of(const struct pp_sport *sp, __u8 family,
						    const __u8 *addr, __u32 alen)
{
	struct pp_neigh_key k = { .net_id = sp->net_id, .family = family };
	struct pp_neigh *n;

	if (alen == 4)
		__builtin_memcpy(k.addr, addr, 4);
	else
		__builtin_memcpy(k.addr, addr, 16);
	n = bpf_map_lookup_elem(&PP_MAP_NEIGH, &k);
	if (!n || pp_mac_eq(n->mac, sp->mac))
		return 0;
	return n;
}

static __always_inline int pp_answer_arp(struct __ctx_buff *ctx, const struct pp_sport *sp,
					 __u32 id, __u32 ntags, __u32 l3, __u32 len)
{
	struct pp_arp_frame r = {};
	struct pp_arp_body a;
	struct pp_neigh *n;
	__u32 spa, tpa;

	if (ctx_load_bytes(ctx, l3, &a, sizeof(a)))
		return PP_RESP_NONE;
	if (!pp_arp_is_request(&a))
		return PP_RESP_NONE;
	__builtin_memcpy(&spa, a.spa, 4);
	__builtin_memcpy(&tpa, a.tpa, 4);
	if (spa == tpa)
		return PP_RESP_NONE;	/* gratuitous ARP: an announcement */
	n = pp_neigh_of(sp, PP_NEIGH_V4, a.tpa, 4);
	if (!n)
		return PP_RESP_NONE;

	pp_arp_reply(&r, sp->mac, n->mac, &a);	/* to the requester (checked) */
	return pp_answer_send(ctx, sp, id, ntags, len, len, &r, PP_ARP_LEN);
}

/* The ICMPv6 checksum of the NA in r (its csum field 0). */
static __always_inline __u16 pp_na_csum(const struct pp_na_frame *r)
{
	const __u16 *w = (const __u16 *)r->ip6.saddr;	/* saddr, daddr */
	const __u16 *m = (const __u16 *)&r->type;	/* the 32-byte message */
	__u32 sum = bpf_htons(32) + bpf_htons(58);
	int i;

#pragma unroll
	for (i = 0; i < 16; i++)
		sum += w[i];
#pragma unroll
	for (i = 0; i < 16; i++)
		sum += m[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline int pp_answer_ns(struct __ctx_buff *ctx, const struct pp_sport *sp,
					__u32 id, __u32 ntags, __u32 l3, __u32 len)
{
	struct pp_na_frame r = {};
	struct pp_ip6_hdr ip;
	struct pp_ns_body ns;
	struct pp_neigh *n;
	__u64 s0, s1;

	if (ctx_load_bytes(ctx, l3, &ip, sizeof(ip)) ||
	    ctx_load_bytes(ctx, l3 + sizeof(ip), &ns, sizeof(ns)))
		return PP_RESP_NONE;
	if ((ip.vtcfl & bpf_htonl(0xf0000000)) != bpf_htonl(0x60000000) || ip.nexthdr != 58 ||
	    ip.hlim != 255 || bpf_ntohs(ip.plen) < sizeof(ns) || ns.type != PP_ICMP6_NS ||
	    ns.code != 0)
		return PP_RESP_NONE;
	__builtin_memcpy(&s0, ip.saddr, 8);
	__builtin_memcpy(&s1, ip.saddr + 8, 8);
	if (!s0 && !s1)
		return PP_RESP_NONE;	/* duplicate address detection */
	n = pp_neigh_of(sp, PP_NEIGH_V6, ns.target, 16);
	if (!n)
		return PP_RESP_NONE;

	__builtin_memcpy(r.dst, sp->mac, ETH_ALEN);
	__builtin_memcpy(r.src, n->mac, ETH_ALEN);
	r.proto = bpf_htons(ETH_P_IPV6);
	r.ip6.vtcfl = bpf_htonl(0x60000000);
	r.ip6.plen = bpf_htons(32);
	r.ip6.nexthdr = 58;
	r.ip6.hlim = 255;
	__builtin_memcpy(r.ip6.saddr, ns.target, 16);
	__builtin_memcpy(r.ip6.daddr, ip.saddr, 16);
	r.type = PP_ICMP6_NA;
	r.flags = bpf_htonl(PP_NA_SOLICITED | PP_NA_OVERRIDE |
			    (n->flags & PP_NEIGH_ROUTER ? PP_NA_ROUTER : 0));
	__builtin_memcpy(r.target, ns.target, 16);
	r.opt_type = 2;			/* target link-layer address */
	r.opt_len = 1;
	__builtin_memcpy(r.opt_mac, n->mac, ETH_ALEN);
	r.csum = pp_na_csum(&r);
	return pp_answer_send(ctx, sp, id, ntags, len, PP_NA_LEN, &r, PP_NA_LEN);
}

/*
 * Answer the frame of service port id (tags: its logical tag count, | 0x100
 * when the outermost one is in skb metadata) if it is a question the
 * responder answers.  Returns a verdict (answered, or CTX_ACT_TO_TC),
 * PP_RESP_NONE, or PP_RESP_BAD.
 */
__noinline int pp_respond(struct __ctx_buff *ctx, __u32 id, __u32 tags)
{
	__u32 ntags = tags & 0xff, meta = (tags >> 8) & 1, l3, len;
	struct pp_sport *sp;
	__be16 proto;

	if (!ctx || ntags > PP_TAGS_MAX || meta > ntags)
		return PP_RESP_NONE;
	sp = bpf_map_lookup_elem(&PP_MAP_SPORTS, &id);
	if (!sp || !(sp->flags & PP_SPORT_RESPONDER))
		return PP_RESP_NONE;
	l3 = ETH_HLEN + 4 * (ntags - meta);	/* tags still in the frame */
	len = ctx_wire_len(ctx, meta) - 4 * ntags;	/* once untagged */
	if (ctx_load_bytes(ctx, l3 - 2, &proto, sizeof(proto)))
		return PP_RESP_NONE;
	if (proto == bpf_htons(ETH_P_ARP))
		return pp_answer_arp(ctx, sp, id, ntags, l3, len);
	if (proto == bpf_htons(ETH_P_IPV6))
		return pp_answer_ns(ctx, sp, id, ntags, l3, len);
	return PP_RESP_NONE;
}

#endif /* PP_BPF_RESPONDER_H */
