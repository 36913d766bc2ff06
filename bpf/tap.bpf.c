// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Instance-port taps.  Ingress on a tap is what the VM sends: classify each
 * frame into a service port and hand it to that port's network.
 */
#include "ctx/skb.h"
#include "lib/dataplane.h"

/* TC ingress on a tap: frames leaving the VM. */
SEC("tc")
int pp_tap_ingress(struct __sk_buff *ctx)
{
	return pp_from_vm(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
