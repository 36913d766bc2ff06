// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * An XDP program that lets every frame on: attached to the far end of a
 * network's veth, it makes that veth accept XDP-redirected frames.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
