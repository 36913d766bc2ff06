// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Instance-port taps.  Ingress on a tap is what the VM sends: classify each
 * frame into a service port and hand it to that port's network.
 *
 * Compiled once per context shim: TC (build/tap.bpf.o) and, with PP_XDP,
 * XDP (build/tap.xdp.bpf.o).  Both run the same rules (lib/dataplane.h).
 */
#ifdef PP_XDP
#include "ctx/xdp.h"
#else
#include "ctx/skb.h"
#endif
#include "lib/dataplane.h"

#ifdef PP_XDP
/*
 * XDP on a tap: frames leaving the VM, before the host builds an skb.  Only
 * on instance ports in XDP mode; what XDP cannot do goes on to TC below.
 */
SEC("xdp")
int pp_tap_xdp(struct xdp_md *ctx)
{
	PP_VARIANT_MARK();
	return pp_from_vm(ctx);
}
#else
/* TC ingress on a tap: frames leaving the VM (always attached). */
SEC("tc")
int pp_tap_ingress(struct __sk_buff *ctx)
{
	PP_VARIANT_MARK();
	return pp_from_vm(ctx);
}
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";
