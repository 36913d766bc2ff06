/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Ethernet and VLAN-tag parsing, and tag push/pop, over the context shim.
 *
 * A frame's tags are counted "logically": a tag the receive path moved into
 * skb metadata is the outermost tag, followed by the tags still in the frame.
 * The parser counts every header with TPID 0x8100, 0x88a8 or 0x9100 as a tag
 * and records the TPIDs of the first two; which of them may match is each
 * direction's rule (lib/dataplane.h): from a VM, 0x8100 or 0x88a8 outer and
 * 0x8100 inner; on a network device, 0x8100 only.  A TPID is never part of a
 * match beyond that.  Parsing stops after three tags: no service port has
 * more than two, so a third one only needs to be seen, not read.
 */
#ifndef PP_BPF_FRAME_H
#define PP_BPF_FRAME_H

#include <linux/if_ether.h>
#include "polyport.h"

#ifndef ETH_P_QINQ1
#define ETH_P_QINQ1	0x9100
#endif

#define PP_TAGS_MAX	2		/* tags a service port can match */
#define PP_HDR_MAX	(ETH_HLEN + 3 * 4)	/* enough to see a third tag */

struct pp_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct pp_frame {
	__u32 len;		/* on the wire, every tag included */
	__u16 tci0;		/* outermost tag */
	__u16 tci1;		/* second tag */
	__be16 tpid0;		/* their TPIDs (network order) */
	__be16 tpid1;
	__u8  ntags;		/* 0..2, or 3 for "more than two" */
	__u8  meta;		/* the outermost tag is in skb metadata */
	__u8  dst[ETH_ALEN];
	__u8  src[ETH_ALEN];
};

static __always_inline int pp_is_tag(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD) ||
	       proto == bpf_htons(ETH_P_QINQ1);
}

static __always_inline int pp_mac_eq(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

/* The same, byte by byte: for MACs at any alignment (packed headers on the stack). */
static __always_inline int pp_mac_eq_b(const __u8 *a, const __u8 *b)
{
	return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		 (a[4] ^ b[4]) | (a[5] ^ b[5]));
}

static __always_inline int pp_mac_is_mcast(const __u8 *mac)
{
	return mac[0] & 1;
}

/*
 * Fill f from the frame.  Returns 0, or -1 for a malformed frame (shorter
 * than an Ethernet header, or cut inside a tag).
 */
static __always_inline int pp_parse(struct __ctx_buff *ctx, struct pp_frame *f)
{
	struct pp_vlan_hdr *vh;
	void *data, *data_end;
	struct ethhdr *eth;
	__be16 proto, tpid;
	__u16 tci;
	int i;

	ctx_pull(ctx, PP_HDR_MAX);
	data = ctx_data(ctx);
	data_end = ctx_data_end(ctx);
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;

	__builtin_memcpy(f->dst, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(f->src, eth->h_source, ETH_ALEN);
	f->ntags = 0;
	f->tci0 = 0;
	f->tci1 = 0;
	f->tpid0 = 0;
	f->tpid1 = 0;
	f->meta = ctx_meta_tag(ctx, &tci, &tpid);
	if (f->meta) {
		f->tci0 = tci;
		f->tpid0 = tpid;
		f->ntags = 1;
	}
	f->len = ctx_wire_len(ctx, f->meta);

	proto = eth->h_proto;
	vh = (void *)(eth + 1);
#pragma unroll
	for (i = 0; i < 3; i++) {
		if (!pp_is_tag(proto))
			break;
		if (f->ntags == PP_TAGS_MAX) {
			f->ntags = PP_TAGS_MAX + 1;
			break;
		}
		if ((void *)(vh + 1) > data_end)
			return -1;
		if (f->ntags == 0) {
			f->tci0 = bpf_ntohs(vh->tci);
			f->tpid0 = proto;
		} else {
			f->tci1 = bpf_ntohs(vh->tci);
			f->tpid1 = proto;
		}
		f->ntags++;
		proto = vh->proto;
		vh++;
	}
	return 0;
}

/* Remove every tag the frame carries (n = its logical tag count, <= 2). */
static __always_inline int pp_tags_pop(struct __ctx_buff *ctx, __u32 n)
{
	if (n > 0 && ctx_tag_pop(ctx))
		return -1;
	if (n > 1 && ctx_tag_pop(ctx))
		return -1;
	return 0;
}

/* The tags a service port's frames carry on the tap. */
static __always_inline __u32 pp_sport_ntags(const struct pp_sport *sp)
{
	return sp->match == PP_MATCH_QINQ ? 2 : sp->match == PP_MATCH_VLAN ? 1 : 0;
}

/*
 * Tag an untagged frame the way the frame rules say for delivery toward a
 * VM: single tag 0x8100/VID; QinQ 0x88a8/outer then 0x8100/inner; PCP 0.
 */
static __always_inline int pp_tags_push_sport(struct __ctx_buff *ctx,
					      const struct pp_sport *sp)
{
	if (sp->match == PP_MATCH_VLAN)
		return ctx_tag_push(ctx, bpf_htons(ETH_P_8021Q), sp->outer_vid);
	if (sp->match == PP_MATCH_QINQ) {
		if (ctx_tag_push(ctx, bpf_htons(ETH_P_8021Q), sp->inner_vid))
			return -1;
		return ctx_tag_push(ctx, bpf_htons(ETH_P_8021AD), sp->outer_vid);
	}
	return 0;
}

/*
 * Replace the frame's ntags tags (logical count) by service port sp's own:
 * pp_tags_pop() then pp_tags_push_sport(), in place where the shim can.
 */
static __always_inline int pp_retag_sport(struct __ctx_buff *ctx, __u32 ntags,
					  const struct pp_sport *sp)
{
#ifdef CTX_CAN_RETAG
	struct ctx_tag t[2] = {
		{ bpf_htons(sp->match == PP_MATCH_QINQ ? ETH_P_8021AD : ETH_P_8021Q),
		  bpf_htons(sp->outer_vid) },
		{ bpf_htons(ETH_P_8021Q), bpf_htons(sp->inner_vid) },
	};

	return ctx_retag(ctx, ntags, pp_sport_ntags(sp), t);
#else
	if (pp_tags_pop(ctx, ntags))
		return -1;
	return pp_tags_push_sport(ctx, sp);
#endif
}

/* Replace the frame's ntags tags by a network's own: none, or 0x8100/vlan. */
static __always_inline int pp_retag_net(struct __ctx_buff *ctx, __u32 ntags, __u16 vlan)
{
#ifdef CTX_CAN_RETAG
	struct ctx_tag t[1] = { { bpf_htons(ETH_P_8021Q), bpf_htons(vlan) } };

	return ctx_retag(ctx, ntags, vlan ? 1 : 0, t);
#else
	if (pp_tags_pop(ctx, ntags))
		return -1;
	return vlan ? ctx_tag_push(ctx, bpf_htons(ETH_P_8021Q), vlan) : 0;
#endif
}

static __always_inline int pp_tags_pop_sport(struct __ctx_buff *ctx,
					     const struct pp_sport *sp)
{
	if (sp->match == PP_MATCH_VLAN)
		return pp_tags_pop(ctx, 1);
	if (sp->match == PP_MATCH_QINQ)
		return pp_tags_pop(ctx, 2);
	return 0;
}

#endif /* PP_BPF_FRAME_H */
