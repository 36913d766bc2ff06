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
 *   fib   the routing ceiling (issue 16): what a router must do and no
 *         more: Ethernet + IPv4, bpf_fib_lookup in one kernel table (the
 *         flags polyport's routing uses), TTL - 1 with the checksum updated
 *         incrementally, the MACs from a two-entry array, redirect.
 *   sink  XDP_DROP, counting (per-CPU) and stamping the first frame's time.
 *   hop_sink  the same with its own counter: the chained paths' function.
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
 * MAC(d) is base with d + 1 in its last two bytes.  Routed frames (cfg.ip4):
 * the IPv4 header's TTL and checksum are written again too, as routing
 * decremented them in the recycled page.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

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

	if (p + 34 > end)	/* 64-byte frames: room for a tag and an IPv4 header */
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
		tag = cfg.untagged ? 0 : vid;
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
	if (cfg.ip4) {		/* TTL 64 at l3 + 8, the checksum at l3 + 10 */
		__u8 *ip = tag ? p + 18 : p + 14;

		if (ip + 12 > end)
			return XDP_ABORTED;
		ip[8] = 64;
		ip[10] = cfg.ip_csum[0];
		ip[11] = cfg.ip_csum[1];
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

/*
 * The routing ceiling.  fib_table: the kernel table (set by the loader);
 * fib_nh: the MACs by egress device; fib_tx: a devmap egress ifindex ->
 * itself.  What it cannot route is dropped and counted (fib_miss): a row
 * that measured misses measured nothing.
 */
__u32 fib_table;
struct fib_nh fib_nh[2];
__u64 fib_miss;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 65536);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} fib_tx SEC(".maps");

#define FIB_FLAGS (BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID | BPF_FIB_LOOKUP_SKIP_NEIGH)

SEC("xdp")
int fib(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct bpf_fib_lookup p = {};
	const struct fib_nh *nh;
	__u32 c;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->ttl <= 1)
		goto miss;
	p.family = 2;	/* AF_INET */
	p.tos = ip->tos;
	p.l4_protocol = ip->protocol;
	p.tot_len = bpf_ntohs(ip->tot_len);
	p.ipv4_src = ip->saddr;
	p.ipv4_dst = ip->daddr;
	p.ifindex = ctx->ingress_ifindex;
	p.tbid = fib_table;
	if (bpf_fib_lookup(ctx, &p, sizeof(p), FIB_FLAGS) != BPF_FIB_LKUP_RET_SUCCESS)
		goto miss;
	nh = &fib_nh[p.ifindex == fib_nh[1].ifindex];
	if (p.ifindex != nh->ifindex)
		goto miss;
	/* TTL - 1, the checksum as ip_decrease_ttl() updates it (RFC 1624) */
	c = ip->check;
	c += bpf_htons(0x0100);
	ip->check = (__u16)(c + (c >= 0xffff));
	ip->ttl--;
	__builtin_memcpy(eth->h_dest, nh->dst, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->src, ETH_ALEN);
	return bpf_redirect_map(&fib_tx, p.ifindex, 0);
miss:
	__sync_fetch_and_add(&fib_miss, 1);
	return XDP_DROP;
}

/*
 * The chained paths' function side (issue 17): the same sink with a counter
 * of its own, so that a frame is counted where it arrived (at the function,
 * or past it at the network), not only that it arrived somewhere.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hop_cnt SEC(".maps");

static __always_inline int count_drop(void *cnt)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(cnt, &k);

	if (c)
		(*c)++;
	if (!first_ns)
		first_ns = bpf_ktime_get_ns();
	return XDP_DROP;
}

SEC("xdp")
int sink(struct xdp_md *ctx)
{
	(void)ctx;
	return count_drop(&sink_cnt);
}

SEC("xdp")
int hop_sink(struct xdp_md *ctx)
{
	(void)ctx;
	return count_drop(&hop_cnt);
}

SEC("xdp")
int pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
