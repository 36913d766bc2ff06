/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* What the benchmark's generator (bench/gen.bpf.c) and its loader share. */
#ifndef PP_BENCH_GEN_H
#define PP_BENCH_GEN_H

#include <linux/types.h>

#define GEN_TO_NET	0	/* frames from instance ports toward the network */
#define GEN_TO_VM	1	/* frames from the network toward instance ports */

struct gen_cfg {
	__u32 mode;		/* GEN_TO_NET or GEN_TO_VM */
	__u32 ndev;		/* instance ports the frames walk over */
	__u32 per_dev;		/* service ports (VIDs 1..per_dev) per instance port */
	__u32 nnets;		/* GEN_TO_VM: networks (tags 1..nnets); 0 = untagged */
	__u8 base[6];		/* MAC(d) = base[0..3] . (d + 1) */
	__u8 ext[6];		/* the outside peer */
	__u8 untagged;		/* GEN_TO_NET: no tag (the routing ceiling's frames) */
	__u8 ip4;		/* IPv4 frames that get routed: TTL and checksum rewritten */
	__u8 ip_csum[2];	/* ip4: the IPv4 header checksum with TTL 64 */
};

/*
 * The routing ceiling (fib): the next hop's MACs by egress device, as a
 * router's neighbour entry would give them (two entries: one a direction).
 */
struct fib_nh {
	__u32 ifindex;
	__u8 src[6], dst[6];
};

#endif
