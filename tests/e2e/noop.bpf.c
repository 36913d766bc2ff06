// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Another tool's TC program: teardown must leave it alone. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int other_tool(struct __sk_buff *ctx)
{
	(void)ctx;
	return TC_ACT_UNSPEC;	/* carry on with the next filter */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
