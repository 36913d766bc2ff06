// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The benchmark's own XDP programs (make bench; bench/ppbench.c loads them):
 *
 *   gen   the traffic generator, run by BPF_PROG_TEST_RUN in live-frames
 *         mode (BPF_F_TEST_XDP_LIVE_FRAMES): rewrites the whole header of
 *         every frame (pages are recycled, and a pop or push downstream
 *         changes them in place), walks round-robin over the configured
 *         service ports, and redirects the frame through gen_tx into one end
 *         of a veth pair; the path under test runs on the other end.
 *   fwd   the forwarding ceiling: a fixed redirect, no lookup.  fwd_tx is a
 *         plain devmap indexed by the ingress ifindex, so the same program
 *         serves every device (an array index, as cheap as entry 0).
 *   fan   the same toward many devices: the destination MAC names the
 *         devmap entry (the ceiling of frames spread over 1,000 taps).
 *   sink  XDP_DROP, counting (per-CPU) and stamping the first frame's time.
 *   pass  XDP_PASS: a veth only takes XDP-redirected frames when its peer
 *         has an XDP program; paths that run in the stack (TC, bridge, OVS
 *         with AF_PACKET ports) get this one.
 *
 * The generator walks without divisions (its cost is part of every row,
 * ceiling included, so it is kept small and the same for every path):
 *   toward the network (GEN_TO_NET): instance port d (0..ndev-1) sends on
 *     VIDs 1..per_dev from MAC(d) to ext; the frame goes to gen_tx[d];
 *   toward the VM (GEN_TO_VM): a frame to the service port s of instance
 *     port d carries the tag of s's network (s % nnets + 1, none when nnets
 *     is 0), from ext to MAC(d); it goes to gen_tx[0].
 * MAC(d) is base with d + 1 in its last two bytes.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "gen.h"

/* Set by the loader between runs; the walk state is the generator's own. */
struct gen_cfg cfg;
__u32 cur_dev, cur_vid, cur_net;

/*
 * The generator's clock: every 16,384th frame stamps the time, so that
 * the rate is measured over the frames themselves, without the setup and
 * teardown of a BPF_PROG_TEST_RUN call (about 25 ms here) and without the
 * rounding of its per-frame duration.  The loader takes the median of the
 * 16,384-frame segments: a segment in which another task took the CPU (this
 * is a shared machine) does not count.
 */
__u64 seq, seq_first, seq_last, t_first, t_last;
__u64 stamps[4096];		/* the time of every 16,384th frame (a ring) */
__u32 nstamps;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} gen_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 65536);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} fwd_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_cnt SEC(".maps");

__u64 first_ns;

static __always_inline void put_mac(__u8 *p, const __u8 *base, __u32 d)
{
	p[0] = base[0];
	p[1] = base[1];
	p[2] = base[2];
	p[3] = base[3];
	p[4] = (d + 1) >> 8;
	p[5] = d + 1;
}

SEC("xdp")
int gen(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 dev = cur_dev, vid = cur_vid, key = 0, tag;

	if (p + 18 > end)
		return XDP_ABORTED;
	if (!(seq++ & 0x3fff)) {
		__u64 t = bpf_ktime_get_ns();

		if (!t_first) {
			t_first = t;
			seq_first = seq;
		}
		t_last = t;
		seq_last = seq;
		stamps[nstamps++ & 4095] = t;
	}
	/* Next service port: VIDs 1..per_dev on one instance port, then the next. */
	if (++vid > cfg.per_dev) {
		vid = 1;
		if (++dev >= cfg.ndev)
			dev = 0;
		cur_dev = dev;
	}
	cur_vid = vid;
	if (cfg.mode == GEN_TO_NET) {
		__builtin_memcpy(p, cfg.ext, 6);
		put_mac(p + 6, cfg.base, dev);
		tag = vid;
		key = dev;
	} else {
		put_mac(p, cfg.base, dev);
		__builtin_memcpy(p + 6, cfg.ext, 6);
		tag = 0;
		if (cfg.nnets) {
			tag = cur_net + 1;
			cur_net = tag >= cfg.nnets ? 0 : tag;
		}
	}
	if (tag) {
		p[12] = 0x81;
		p[13] = 0x00;
		p[14] = tag >> 8;
		p[15] = tag;
		p[16] = 0x08;
		p[17] = 0x00;
	} else {
		p[12] = 0x08;
		p[13] = 0x00;
	}
	return bpf_redirect_map(&gen_tx, key, 0);
}

SEC("xdp")
int fwd(struct xdp_md *ctx)
{
	return bpf_redirect_map(&fwd_tx, ctx->ingress_ifindex, 0);
}

/*
 * The forwarding ceiling toward 1,000 devices: the destination MAC's last
 * two bytes (d + 1, as the generator writes them) index fan_tx.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} fan_tx SEC(".maps");

SEC("xdp")
int fan(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (p + 6 > end)
		return XDP_ABORTED;
	return bpf_redirect_map(&fan_tx, ((__u32)p[4] << 8 | p[5]) - 1, 0);
}

SEC("xdp")
int sink(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&sink_cnt, &k);

	(void)ctx;
	if (c)
		(*c)++;
	if (!first_ns)
		first_ns = bpf_ktime_get_ns();
	return XDP_DROP;
}

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
