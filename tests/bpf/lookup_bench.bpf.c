// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The single-tag classifier, alone: NLOOKUPS lookups of pseudo-random
 * (slot, VID) keys among n_keys installed, in one program run (bpf_loop),
 * through a direct-indexed array (what polyport uses: pp_vlans) and through
 * a hash keyed by (slot, VID) (the alternative).  bench_none computes the
 * keys and looks nothing up: the difference is the lookup.
 * Also plain XDP redirects, by ifindex and through a devmap, for live-frame
 * runs.  Used by tests/bpf/perf_test_run.c.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NLOOKUPS	(1 << 18)
#define VIDS		4094

struct hkey {
	__u32 slot;
	__u16 vid;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* set by the loader */
	__type(key, __u32);
	__type(value, __u32);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);		/* set by the loader */
	__type(key, struct hkey);
	__type(value, __u32);
} hsh SEC(".maps");

__u32 n_keys;		/* set by the loader */
__u64 found;

/* The i-th key: a pseudo-random one of the n_keys installed. */
static __always_inline void key_of(__u32 i, __u32 *slot, __u16 *vid)
{
	__u32 r = (i * 2654435761u) % (n_keys ? n_keys : 1);

	*slot = r / VIDS + 1;
	*vid = r % VIDS + 1;
}

static long step_none(__u32 i, void *ctx)
{
	__u32 slot;
	__u16 vid;

	(void)ctx;
	key_of(i, &slot, &vid);
	found += slot + vid;
	return 0;
}

static long step_array(__u32 i, void *ctx)
{
	__u32 slot, idx, *v;
	__u16 vid;

	(void)ctx;
	key_of(i, &slot, &vid);
	idx = slot * 4096 + vid;
	v = bpf_map_lookup_elem(&arr, &idx);
	if (v && *v)
		found++;
	return 0;
}

static long step_hash(__u32 i, void *ctx)
{
	struct hkey k = {};
	__u32 *v;

	(void)ctx;
	key_of(i, &k.slot, &k.vid);
	v = bpf_map_lookup_elem(&hsh, &k);
	if (v && *v)
		found++;
	return 0;
}

SEC("xdp")
int bench_none(struct xdp_md *ctx)
{
	(void)ctx;
	bpf_loop(NLOOKUPS, step_none, NULL, 0);
	return XDP_DROP;
}

SEC("xdp")
int bench_array(struct xdp_md *ctx)
{
	(void)ctx;
	bpf_loop(NLOOKUPS, step_array, NULL, 0);
	return XDP_DROP;
}

SEC("xdp")
int bench_hash(struct xdp_md *ctx)
{
	(void)ctx;
	bpf_loop(NLOOKUPS, step_hash, NULL, 0);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * XDP redirect, by ifindex or through a devmap, for live-frame runs
 * (BPF_F_TEST_XDP_LIVE_FRAMES: the redirect is performed).
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} txmap SEC(".maps");

__u32 tx_ifindex;

SEC("xdp")
int redir_ifindex(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_redirect(tx_ifindex, 0);
}

SEC("xdp")
int redir_devmap(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_redirect_map(&txmap, tx_ifindex, XDP_PASS);
}

SEC("xdp")
int drop_all(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}
