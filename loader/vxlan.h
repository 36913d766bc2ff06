/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * This host's VXLAN device (issue 20): the one device stretched networks
 * leave and arrive by.  polyportd creates it (or adopts it, after a
 * restart) from --vtep ADDR, --vxlan-device NAME and --vxlan-port N:
 * external (collect-metadata) mode, so that the programs set each frame's
 * VNI and remote VTEP themselves; learning off (the store says where each
 * MAC is); its MTU the underlay device's minus the encapsulation; IPv6 off
 * (the host sends nothing of its own through it); up; our TC network
 * program on its ingress, never XDP (the tunnel key is skb metadata).
 * pp_vxlan[0] names it with the VTEP, and its pp_devs entry is
 * {PP_DEV_NET | PP_DEV_VXLAN, net_id 0}: no network is "its untagged one".
 *
 * It is never deleted: at exit the dataplane keeps forwarding through it.
 * Gone while polyportd runs (deleted by hand): made again at the next
 * reconcile (the links watcher starts one).
 *
 * Functions return 0 or -errno; the reasons shown to operators go to why.
 */
#ifndef PP_LOADER_VXLAN_H
#define PP_LOADER_VXLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PP_VXLAN_DEV_DEFAULT	"ppvxlan"

struct pp_daemon;

struct pp_vxlan_host {
	/* from the command line (pp_vxlan_resolve); family 0: no --vtep */
	char dev[16];			/* the device's name */
	__u16 port;			/* UDP destination port */
	__u8 family;			/* PP_NEIGH_V4 / PP_NEIGH_V6, 0: none */
	__u8 local[16];			/* the VTEP; IPv4 in the first 4 bytes */
	char addr[48];			/* the VTEP as text */
	char underlay[16];		/* the device the VTEP is configured on */
	__u32 underlay_mtu;
	/* the device as the last pp_vxlan_sync() left it */
	__u32 ifindex;			/* 0: absent (err says why) */
	bool up;
	int err;
	char why[160];
};

/* The MTU of the VXLAN device over an underlay of MTU mtu (family PP_NEIGH_V4 / _V6). */
__u32 pp_vxlan_mtu(__u8 family, __u32 underlay_mtu);

/*
 * --vtep addr (IPv4 or IPv6, configured on a device of this namespace: the
 * underlay), --vxlan-device dev (NULL: PP_VXLAN_DEV_DEFAULT) and
 * --vxlan-port port into vx.  Touches nothing.
 */
int pp_vxlan_resolve(struct pp_vxlan_host *vx, const char *addr, const char *dev, unsigned port,
		     char *why, size_t len);

/*
 * d->vx made true: without a VTEP, pp_vxlan[0] names nothing (the device a
 * previous daemon had, if any, loses its pp_devs entry and our program).
 * With one, the device is created or adopted (start: at the daemon's
 * start, brought up even if an operator had set it down; else a device
 * present is left as it is), our TC program attached, then its pp_devs
 * entry and pp_vxlan[0] written, only where they differ.  A device of
 * that name that is not a VXLAN device in external mode is an error
 * (-EEXIST: the name is taken).  d->vx.ifindex, .up, .err and .why say
 * how it went.
 */
int pp_vxlan_sync(struct pp_daemon *d, bool start);

#endif /* PP_LOADER_VXLAN_H */
