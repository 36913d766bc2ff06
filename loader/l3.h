/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * L3 domains, the daemon's part that is not the pipeline itself (issue 16;
 * DEVELOPERS.md "L3 domains"): an uplink's entries in the pinned maps, the
 * per-device sysctls routing needs, and the routes polyportd owns in each
 * domain's kernel table.  loader/reconcile.c decides what is wanted; this
 * file writes it.
 */
#ifndef PP_LOADER_L3_H
#define PP_LOADER_L3_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "maps.h"

/* The routing protocol number of the routes polyportd writes (ip route ... proto 112). */
#define PP_RTPROT	112

/*
 * Uplink ifindex joins domain dom: pp_l3ups first, then its pp_devs entry
 * (which the programs check against pp_l3ups).  -EBUSY if the device is a
 * tap or a network device.
 */
int pp_l3_uplink_install(struct pp_maps *m, __u32 dom, __u32 ifindex, const struct pp_l3up *up);

/* The uplink leaves (its pp_devs entry first), if it is domain dom's. */
int pp_l3_uplink_remove(struct pp_maps *m, __u32 dom, __u32 ifindex);

/*
 * What routing needs of a device: forwarding on for IPv4 and IPv6 (the
 * fib lookup answers FWD_DISABLED without it; nothing reaches the host's
 * stack from these devices to be forwarded), and for an uplink no IPv6
 * address of the host's own (addr_gen_mode 1).  Returns 0 or the first
 * -errno.
 */
int pp_l3_dev_conf(const char *dev, bool uplink);

/* A route polyportd wants in a domain's table. */
struct pp_l3_route {
	__u32 table;
	__u8 family;		/* AF_INET, AF_INET6 */
	__u8 plen;
	__u8 type;		/* RTN_UNICAST, RTN_UNREACHABLE */
	bool onlink;		/* via a gateway outside any prefix of the device */
	__u8 dst[16];
	__u8 gw[16];		/* unicast with a gateway: has_gw */
	bool has_gw;
	__u32 oif;		/* unicast: the device */
};

/*
 * Make the routes of protocol PP_RTPROT in the kernel exactly want[0..n):
 * every other route of ours (in any table) goes, every wanted one is
 * written (created or replaced).  Routes of other protocols are never
 * touched.  Returns 0 or the first error (every route is tried).
 */
int pp_l3_routes_sync(const struct pp_l3_route *want, size_t n);

#endif /* PP_LOADER_L3_H */
