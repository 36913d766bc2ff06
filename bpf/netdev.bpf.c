// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Network devices.  Ingress on a network device is traffic toward the VMs:
 * find the network, then the local service port(s), tag and deliver.
 */
#include "ctx/skb.h"
#include "lib/dataplane.h"

/* TC ingress on a network device: frames toward the VMs. */
SEC("tc")
int pp_net_ingress(struct __sk_buff *ctx)
{
	return pp_from_net(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
