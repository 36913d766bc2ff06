// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Network devices.  Ingress on a network device is traffic toward the VMs:
 * find the network, then the local service port(s), tag and deliver.
 *
 * Compiled once per context shim: TC (build/netdev.bpf.o) and, with PP_XDP,
 * XDP (build/netdev.xdp.bpf.o).  Both run the same rules (lib/dataplane.h).
 */
#ifdef PP_XDP
#include "ctx/xdp.h"
#else
#include "ctx/skb.h"
#endif
#include "lib/dataplane.h"

#ifdef PP_XDP
/*
 * XDP on a network device: frames toward the VMs, before the host builds an
 * skb.  Only where the device's frames carry no offload metadata; what XDP
 * cannot do goes on to TC below.
 */
SEC("xdp")
int pp_net_xdp(struct xdp_md *ctx)
{
	PP_VARIANT_MARK();
	return pp_from_net(ctx);
}
#else
/* TC ingress on a network device: frames toward the VMs (always attached). */
SEC("tc")
int pp_net_ingress(struct __sk_buff *ctx)
{
	PP_VARIANT_MARK();
	return pp_from_net(ctx);
}

/*
 * TC egress on an L3 domain's uplink: only what polyport sends leaves
 * (pp_uplink_egress, lib/l3.h).
 */
SEC("tc")
int pp_uplink_egress_tc(struct __sk_buff *ctx)
{
	PP_VARIANT_MARK();
	return pp_uplink_egress(ctx);
}
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";
