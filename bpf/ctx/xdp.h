/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Context shim for XDP (struct xdp_md): the same names as bpf/ctx/skb.h, so
 * the frame rules in bpf/lib are compiled once per context from one source.
 *
 * Differences the rules see:
 * - Every tag is in the frame (no skb metadata): ctx_meta_tag() reports none.
 * - Tags are pushed and popped by moving the start of the frame
 *   (bpf_xdp_adjust_head) and rewriting the MACs: 4 bytes of headroom per
 *   pushed tag, of the 256 a tap, a veth and the generic path give.
 * - No GSO: a frame is checked against the MTU by its whole length (one
 *   buffer: the programs are not frags-aware, see ctx_wire_len()).
 * - No clones: CTX_CAN_CLONE is not defined, floods that need a copy per
 *   service port are handed to TC (CTX_ACT_TO_TC = XDP_PASS: the frame goes
 *   on, untouched, to the TC program on the same device).
 * - ctx_redirect() goes through pp_xdp_tx, the devmap of the devices XDP may
 *   transmit to (control plane: a tap whose instance port is in XDP mode; a
 *   veth whose peer has an XDP program).  A device that is not in it gets
 *   XDP_PASS back, and the frame is handed to TC before anything in it has
 *   changed.  That is how "XDP cannot send there" (bridges, VXLAN devices,
 *   veths without an XDP peer, instance ports in TC mode) turns into a
 *   hand-off rather than a lost frame.
 *
 * PP_TEST builds record redirects in pp_test_log, as the TC shim does.
 */
#ifndef PP_BPF_CTX_XDP_H
#define PP_BPF_CTX_XDP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "maps.bpf.h"

#define PP_CTX_XDP	1
#define __ctx_buff	xdp_md

#define CTX_ACT_OK		XDP_PASS
#define CTX_ACT_DROP		XDP_DROP
#define CTX_ACT_REDIRECT	XDP_REDIRECT
#define CTX_ACT_TO_TC		XDP_PASS	/* hand the frame, unchanged, to TC */
/* no CTX_CAN_CLONE: XDP cannot send one copy per service port with its own tags */

#ifdef PP_TEST
#include "../test/test_log.h"
#endif

static __always_inline void *ctx_data(const struct xdp_md *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *ctx_data_end(const struct xdp_md *ctx)
{
	return (void *)(long)ctx->data_end;
}

static __always_inline __u32 ctx_ifindex(const struct xdp_md *ctx)
{
	return ctx->ingress_ifindex;
}

/* The headers are always in the linear part of an XDP buffer. */
static __always_inline void ctx_pull(struct xdp_md *ctx, __u32 len)
{
	(void)ctx;
	(void)len;
}

static __always_inline int ctx_meta_tag(const struct xdp_md *ctx, __u16 *tci, __be16 *tpid)
{
	(void)ctx;
	(void)tci;
	(void)tpid;
	return 0;
}

/*
 * The programs are not frags-aware (SEC("xdp"), not "xdp.frags"): the kernel
 * never hands them a multi-buffer frame (veth and tun refuse an MTU that
 * would need one; generic XDP linearizes), so the frame is data..data_end,
 * with no helper call.
 */
static __always_inline __u32 ctx_wire_len(struct xdp_md *ctx, int meta)
{
	(void)meta;
	return ctx->data_end - ctx->data;
}

static __always_inline __u32 ctx_gso_size(const struct xdp_md *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * Move the start of the frame by delta bytes (> 0: shorter, < 0: longer),
 * its two MACs moving with it; what lies between is the caller's.
 */
static __always_inline int ctx_move_macs(struct xdp_md *ctx, int delta)
{
	void *data = ctx_data(ctx);
	__u32 m0, m1, m2;

	if (data + 12 > ctx_data_end(ctx))
		return -1;
	m0 = ((__u32 *)data)[0];
	m1 = ((__u32 *)data)[1];
	m2 = ((__u32 *)data)[2];
	if (bpf_xdp_adjust_head(ctx, delta))
		return -1;		/* no headroom left */
	data = ctx_data(ctx);
	if (data + 12 > ctx_data_end(ctx))
		return -1;
	((__u32 *)data)[0] = m0;
	((__u32 *)data)[1] = m1;
	((__u32 *)data)[2] = m2;
	return 0;
}

/* Remove the outermost tag: move the MACs 4 bytes on, start there. */
static __always_inline int ctx_tag_pop(struct xdp_md *ctx)
{
	if (ctx_data(ctx) + ETH_HLEN + 4 > ctx_data_end(ctx))
		return -1;
	return ctx_move_macs(ctx, 4);
}

/* Add a new outermost tag (TPID in network order, TCI in host order). */
static __always_inline int ctx_tag_push(struct xdp_md *ctx, __be16 tpid, __u16 tci)
{
	void *data;

	if (ctx_move_macs(ctx, -4))
		return -1;
	data = ctx_data(ctx);
	if (data + 16 > ctx_data_end(ctx))
		return -1;
	((__be16 *)data)[6] = tpid;
	((__be16 *)data)[7] = bpf_htons(tci);
	return 0;
}

/*
 * Replace the frame's have (<= 2) outermost tags by want (<= 2) new ones,
 * t[0] outermost, each a TPID and a TCI in network order: what popping them
 * all and pushing the new ones gives, with the frame start moved once (not
 * at all when the counts match) and each byte written once.
 */
#define CTX_CAN_RETAG	1

struct ctx_tag {
	__be16 tpid;
	__be16 tci;
};

static __always_inline int ctx_retag(struct xdp_md *ctx, __u32 have, __u32 want,
				     const struct ctx_tag *t)
{
	struct ctx_tag *to;

	if (have > 2 || want > 2 || ctx_data(ctx) + ETH_HLEN + 4 * have > ctx_data_end(ctx))
		return -1;
	if (have != want && ctx_move_macs(ctx, 4 * ((int)have - (int)want)))
		return -1;
	to = ctx_data(ctx) + 12;
	if (want > 0) {
		if ((void *)(to + 1) > ctx_data_end(ctx))
			return -1;
		to[0] = t[0];
	}
	if (want > 1) {
		if ((void *)(to + 2) > ctx_data_end(ctx))
			return -1;
		to[1] = t[1];
	}
	return 0;
}

static __always_inline int ctx_load_bytes(struct xdp_md *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_xdp_load_bytes(ctx, off, to, len);
}

static __always_inline int ctx_store_bytes(struct xdp_md *ctx, __u32 off, const void *from,
					   __u32 len)
{
	return bpf_xdp_store_bytes(ctx, off, (void *)from, len);
}

/*
 * Choose ifindex as the frame's target, before anything in the frame has
 * changed.  Returns CTX_ACT_REDIRECT, or CTX_ACT_TO_TC when XDP may not
 * transmit to ifindex (it is not in pp_xdp_tx): the caller then returns that
 * verdict with the frame as it came.
 */
static __always_inline int ctx_redirect(struct xdp_md *ctx, __u32 ifindex)
{
	(void)ctx;
	return bpf_redirect_map(&PP_MAP_XDP_TX, ifindex, XDP_PASS);
}

/* The frame, as it is now, leaves by the redirect chosen above. */
static __always_inline int ctx_redirect_done(struct xdp_md *ctx, __u32 ifindex, int verdict)
{
#ifdef PP_TEST
	pp_test_record(ctx, ifindex, PP_TEST_REDIRECT);
#else
	(void)ctx;
	(void)ifindex;
#endif
	return verdict;
}

/*
 * Answer a frame in place (the responders): XDP_TX sends it back out of the
 * device it came in on (a tap: to the VM).
 */
static __always_inline int ctx_reply(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

/*
 * No CTX_CAN_GROW: a tap in native XDP mode has almost no tailroom, so an
 * answer longer than its question is handed to TC; shrinking is fine.
 */
static __always_inline int ctx_set_len(struct xdp_md *ctx, __u32 cur, __u32 len)
{
	if (len > cur)
		return -1;
	if (len == cur)
		return 0;
	return bpf_xdp_adjust_tail(ctx, (int)len - (int)cur);
}

/*
 * Can a frame of len bytes go to a device of MTU mtu by XDP?  An XDP
 * redirect drops what is longer than the MTU + 14 + one 4-byte tag
 * (xdp_ok_fwd_dev); TC sends it.  mtu is the one polyport was given for the
 * device (a tap's: its instance port's).
 */
static __always_inline int ctx_tx_fits(__u32 len, __u32 mtu)
{
	return len <= mtu + ETH_HLEN + 4;
}

/* Was the frame handed to TC (verdict of the rules)? */
static __always_inline int ctx_handed_to_tc(int verdict)
{
	return verdict == CTX_ACT_TO_TC;
}

#endif /* PP_BPF_CTX_XDP_H */
