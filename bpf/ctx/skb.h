/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Context shim for TC (struct __sk_buff).  The frame logic in bpf/lib is
 * written against these names only; bpf/ctx/xdp.h provides the same for XDP,
 * and each entry file is compiled once per shim (build/<name>.bpf.o and
 * build/<name>.xdp.bpf.o).
 *
 * On a TC ingress hook the receive path has usually moved the frame's first
 * 802.1Q/802.1ad tag into skb metadata (vlan_present, vlan_proto, vlan_tci):
 * ctx_meta_tag() reports it, and the parser counts it as the outermost tag.
 * bpf_skb_vlan_pop() removes the outermost tag wherever it is and moves the
 * next one into metadata; bpf_skb_vlan_push() puts the new tag in metadata
 * (moving an existing metadata tag into the frame), so a push/pop sequence
 * means the same here as on XDP, where every tag is in the frame.
 *
 * PP_TEST builds (the BPF_PROG_TEST_RUN tables) record redirects and clones
 * in pp_test_log instead of sending clones, and can inject a metadata tag
 * (pp_test_meta), which BPF_PROG_TEST_RUN refuses in ctx_in.
 */
#ifndef PP_BPF_CTX_SKB_H
#define PP_BPF_CTX_SKB_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PP_CTX_SKB	1
#define __ctx_buff	__sk_buff

#define CTX_ACT_OK		TC_ACT_OK
#define CTX_ACT_DROP		TC_ACT_SHOT
#define CTX_ACT_REDIRECT	TC_ACT_REDIRECT
#define CTX_CAN_CLONE		1	/* bpf_clone_redirect: floods are done here */
/* Never returned here: TC is where XDP hands frames to (ctx_tx_fits and
 * ctx_redirect always let TC send), so the hand-off branches are dead code. */
#define CTX_ACT_TO_TC		TC_ACT_OK

#ifdef PP_TEST
#include "../test/test_log.h"
#endif

static __always_inline void *ctx_data(const struct __sk_buff *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *ctx_data_end(const struct __sk_buff *ctx)
{
	return (void *)(long)ctx->data_end;
}

static __always_inline __u32 ctx_ifindex(const struct __sk_buff *ctx)
{
	return ctx->ingress_ifindex;
}

/* Make the first len bytes (or the whole frame, if shorter) direct-readable. */
static __always_inline void ctx_pull(struct __sk_buff *ctx, __u32 len)
{
	if (ctx_data(ctx) + len > ctx_data_end(ctx))
		bpf_skb_pull_data(ctx, len < ctx->len ? len : ctx->len);
}

/*
 * The tag the receive path moved into metadata, if any: its TCI and TPID
 * (network order; the kernel moves only 0x8100 and 0x88a8 there).
 */
static __always_inline int ctx_meta_tag(const struct __sk_buff *ctx, __u16 *tci, __be16 *tpid)
{
#ifdef PP_TEST
	if (pp_test_meta.present) {
		*tci = pp_test_meta.tci;
		*tpid = pp_test_meta.proto;
		return 1;
	}
#endif
	if (!ctx->vlan_present)
		return 0;
	*tci = ctx->vlan_tci;
	*tpid = ctx->vlan_proto;
	return 1;
}

/* Frame length on the wire, every tag included. */
static __always_inline __u32 ctx_wire_len(const struct __sk_buff *ctx, int meta)
{
	return ctx->len + (meta ? 4 : 0);
}

/* A GSO frame is checked by its segment size, not by its length. */
static __always_inline __u32 ctx_gso_size(const struct __sk_buff *ctx)
{
	return ctx->gso_size;
}

/* Remove the outermost tag. */
static __always_inline int ctx_tag_pop(struct __sk_buff *ctx)
{
#ifdef PP_TEST
	if (pp_test_meta.present) {
		pp_test_meta.present = 0;
		return 0;
	}
#endif
	return bpf_skb_vlan_pop(ctx);
}

/* Add a new outermost tag (TPID in network order, TCI in host order). */
static __always_inline int ctx_tag_push(struct __sk_buff *ctx, __be16 tpid, __u16 tci)
{
	return bpf_skb_vlan_push(ctx, tpid, tci);
}

static __always_inline int ctx_load_bytes(const struct __sk_buff *ctx, __u32 off,
					  void *to, __u32 len)
{
	return bpf_skb_load_bytes(ctx, off, to, len);
}

static __always_inline int ctx_store_bytes(struct __sk_buff *ctx, __u32 off,
					   const void *from, __u32 len)
{
	return bpf_skb_store_bytes(ctx, off, from, len, 0);
}

/*
 * Choose ifindex as the frame's target (before the frame is changed for it,
 * as the XDP shim needs).  TC reaches every device: CTX_ACT_REDIRECT.
 */
static __always_inline int ctx_redirect(struct __sk_buff *ctx, __u32 ifindex)
{
	(void)ctx;
	return bpf_redirect(ifindex, 0);
}

/* The frame, as it is now, leaves by the redirect chosen above. */
static __always_inline int ctx_redirect_done(struct __sk_buff *ctx, __u32 ifindex, int verdict)
{
#ifdef PP_TEST
	pp_test_record(ctx, ifindex, PP_TEST_REDIRECT);
#else
	(void)ctx;
	(void)ifindex;
#endif
	return verdict;
}

/* A TC redirect sends a frame of any length. */
static __always_inline int ctx_tx_fits(__u32 len, __u32 mtu)
{
	(void)len;
	(void)mtu;
	return 1;
}

/* TC is where frames end up: it never hands one on. */
static __always_inline int ctx_handed_to_tc(int verdict)
{
	(void)verdict;
	return 0;
}

/*
 * Answer a frame in place (the responders): send it back out of the device it
 * came in on.  On a tap's TC ingress, a redirect to the same device's egress
 * delivers it to the VM.  Chosen before the frame changes, like ctx_redirect.
 */
static __always_inline int ctx_reply(struct __sk_buff *ctx)
{
	return bpf_redirect(ctx_ifindex(ctx), 0);
}

/* A TC answer may be longer than the question (bpf_skb_change_tail). */
#define CTX_CAN_GROW	1

/* Make the frame len bytes long (cut or zero-extended at its end). */
static __always_inline int ctx_set_len(struct __sk_buff *ctx, __u32 cur, __u32 len)
{
	if (cur == len)
		return 0;
	return bpf_skb_change_tail(ctx, len, 0);
}

/* Send a copy of the frame, as it is now, out of ifindex; 0 on success. */
static __always_inline int ctx_clone_redirect(struct __sk_buff *ctx, __u32 ifindex)
{
#ifdef PP_TEST
	pp_test_record(ctx, ifindex, PP_TEST_CLONE);
	return 0;
#else
	return bpf_clone_redirect(ctx, ifindex, 0);
#endif
}

#endif /* PP_BPF_CTX_SKB_H */
