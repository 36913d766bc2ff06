/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What a PP_TEST build of the programs records, shared by the BPF side (the
 * context shims, TC and XDP) and the table runner (tests/bpf/prog_test.c).
 * It lives beside the programs so that their build needs no test include
 * path: only a PP_TEST build includes it (bpf/ctx/skb.h, bpf/ctx/xdp.h).
 *
 * BPF_PROG_TEST_RUN returns the verdict and the frame as the program left it,
 * but not where a redirect goes, not the copies bpf_clone_redirect sends, and
 * not a tag bpf_skb_vlan_push put in skb metadata.  The shims record those
 * here: one entry per redirect or clone, with the target, the metadata tag
 * and the start of the frame at that moment.
 */
#ifndef PP_BPF_TEST_LOG_H
#define PP_BPF_TEST_LOG_H

#include <linux/types.h>

#define PP_TEST_LOG_MAX	16
#define PP_TEST_SNAP	128

enum { PP_TEST_REDIRECT = 1, PP_TEST_CLONE = 2 };

/*
 * A tunnel key (stretched networks, lib/vxlan.h): the one the program set
 * last (recorded with each redirect and clone), or the one to present as the
 * key a decapsulated frame came with (pp_test_tun_in).
 */
struct pp_test_tun {
	__u32 present;		/* set (out) / to present (in) */
	__u32 vni;
	__u8  family;		/* 4 / 6 (PP_NEIGH_V4 / _V6) */
	__u8  pad[3];
	__u8  remote[16];	/* IPv4: the first 4 bytes */
	__u8  local[16];
};

struct pp_test_out {
	__u32 kind;		/* PP_TEST_REDIRECT or PP_TEST_CLONE */
	__u32 ifindex;		/* target */
	__u32 len;		/* frame length, without a metadata tag */
	__u32 meta_present;	/* a tag in skb metadata (TC only) */
	__u16 meta_proto;	/* its TPID, network order */
	__u16 meta_tci;
	struct pp_test_tun tun;	/* the tunnel key set when it left (TC only) */
	__u8  data[PP_TEST_SNAP];
};

/* A tag to present as "already in skb metadata" to the next run. */
struct pp_test_meta {
	__u32 present;
	__u16 tci;
	__be16 proto;		/* its TPID, network order: 0x8100 or 0x88a8 */
};

#ifdef __bpf__
struct pp_test_out pp_test_log[PP_TEST_LOG_MAX];
__u32 pp_test_nlog;
struct pp_test_meta pp_test_meta;
struct pp_test_tun pp_test_tun;		/* the key the program set last */
struct pp_test_tun pp_test_tun_in;	/* the key a decapsulated frame presents */

static __always_inline struct pp_test_out *pp_test_slot(__u32 ifindex, __u32 kind)
{
	__u32 n = pp_test_nlog;
	struct pp_test_out *o;

	if (n >= PP_TEST_LOG_MAX)
		return 0;
	o = &pp_test_log[n];
	o->kind = kind;
	o->ifindex = ifindex;
	pp_test_nlog = n + 1;
	return o;
}

#ifdef PP_CTX_SKB
static __always_inline void pp_test_record(struct __sk_buff *ctx, __u32 ifindex, __u32 kind)
{
	struct pp_test_out *o = pp_test_slot(ifindex, kind);
	__u32 len = ctx->len;

	if (!o)
		return;
	o->len = len;
	o->meta_present = ctx->vlan_present;
	o->meta_proto = ctx->vlan_proto;
	o->meta_tci = ctx->vlan_tci;
	o->tun = pp_test_tun;
	if (len > PP_TEST_SNAP)
		len = PP_TEST_SNAP;
	if (len < 1)
		return;
	bpf_skb_load_bytes(ctx, 0, o->data, len);
}
#endif

#ifdef PP_CTX_XDP
static __always_inline void pp_test_record(struct xdp_md *ctx, __u32 ifindex, __u32 kind)
{
	struct pp_test_out *o = pp_test_slot(ifindex, kind);
	__u64 len = bpf_xdp_get_buff_len(ctx), n;

	if (!o)
		return;
	o->len = len;
	o->meta_present = 0;
	/* Barriers: the register that is bound-checked is the one passed. */
	n = len;
	asm volatile("" : "+r"(n));
	if (n > PP_TEST_SNAP)
		n = PP_TEST_SNAP;
	asm volatile("" : "+r"(n));
	if (n)
		bpf_xdp_load_bytes(ctx, 0, o->data, n);
}
#endif
#endif /* __bpf__ */

#endif /* PP_BPF_TEST_LOG_H */
