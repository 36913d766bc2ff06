/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * XDP or TC, per device: decide, per instance port and per network device,
 * whether XDP is safe there, attach, detach and query polyport's XDP
 * programs, and keep the table of devices XDP may transmit to (pp_xdp_tx).
 * (bpf/ctx/xdp.h is another thing: the BPF programs' XDP context shim.)
 * What the kernel says about a device (kind, veth peer, offloads, the XDP
 * program on it) is read through links.h.
 *
 * TC stays attached on every device: it is the path that is always correct.
 * XDP is attached in addition where it is safe, runs the same rules, and
 * hands to TC (XDP_PASS, frame unchanged, nothing counted) what it cannot do:
 * floods that need a copy per service port, and targets that are not in
 * pp_xdp_tx.  Switching a device between modes is therefore only attaching
 * or detaching XDP (and adding or removing a pp_xdp_tx entry): no frame is
 * lost on the way.
 *
 * Functions return 0 (or a documented value) or -errno.  Reasons are short
 * sentences for operators, written into caller-provided buffers.
 */
#ifndef PP_XDPMODE_H
#define PP_XDPMODE_H

#include <stdbool.h>
#include <stddef.h>
#include "dataplane.h"
#include "mode.h"


/* ---- attach ------------------------------------------------------------------ */

/*
 * Attach the XDP program of role to ifindex: native (driver) mode, generic
 * if the driver has none.  Replaces a polyport XDP program already there
 * (atomically); refuses (-EBUSY) to replace another tool's.
 */
int pp_xdp_attach(struct pp_dataplane *dp, int ifindex, enum pp_role role);
/* Remove polyport's XDP program from ifindex; another tool's stays.  */
int pp_xdp_detach(int ifindex);
/* The id of polyport's XDP program on ifindex (0 if none, or not ours). */
int pp_xdp_query(int ifindex, __u32 *prog_id);

/* ---- devices XDP may transmit to (pp_xdp_tx) ---------------------------------- */

int pp_xdp_tx_set(struct pp_maps *m, int ifindex, bool on);
/* 1 if ifindex is in pp_xdp_tx, else 0 */
int pp_xdp_tx_get(const struct pp_maps *m, int ifindex);

/*
 * Does ifindex accept XDP-redirected frames?  Returns 1 or 0 (the reason
 * says why), or -errno.  A tap: yes.  A veth: only when its peer provably
 * has a native XDP program (read over rtnetlink, in the peer's namespace by
 * its netns id); a peer with only GRO on would take them too, but GRO of a
 * device in another namespace cannot be read over rtnetlink.  Anything else
 * (bridge, VXLAN, a NIC whose driver is not probed): no.
 */
int pp_xdp_tx_ok(int ifindex, char *reason, size_t reason_len);

/* Set the pp_xdp_tx entry of a network device from pp_xdp_tx_ok().  Call it
 * again when the device or its peer changes: a veth whose peer loses its XDP
 * program drops XDP-redirected frames until then. */
int pp_xdp_tx_refresh(struct pp_maps *m, int ifindex, char *reason, size_t reason_len);

/* ---- modes ---------------------------------------------------------------------- */

/*
 * The effective mode (PP_MODE_TC or PP_MODE_XDP) of the instance
 * port whose tap is tap (ifindex), for the configured mode want, and why.
 * auto picks XDP only when the tap was opened without a vnet header
 * (/sys/class/net/<tap>/tun_flags, IFF_VNET_HDR): with one, the guest's
 * frames may carry partial checksums and GSO, which an XDP redirect drops.
 */
int pp_mode_decide(const char *tap, int ifindex, enum pp_mode want, enum pp_mode *effective, char *reason,
		   size_t reason_len);

/*
 * Whether XDP may run on network device ifindex (frames toward the VMs),
 * for want.  First, in every mode, isolation: XDP runs only where no tag can
 * reach it moved into metadata (XDP would take the frame for untagged and
 * deliver it into the device's untagged network): a veth whose peer has
 * tx-vlan-hw-insert and tx-vlan-stag-hw-insert off, a NIC whose rx-vlan
 * offloads are off or can be turned off (pp_xdp_net_apply turns them off),
 * in mode xdp also a tap; nothing else (see xdpmode.c).  Then, in auto, offload
 * metadata: XDP only where the device's frames provably carry none: a veth
 * whose peer has tx-checksumming off (read inside the peer's namespace), or
 * a NIC (received frames carry complete checksums).  A veth peer with
 * tx-checksumming on sends partial checksums, which an XDP redirect would
 * deliver unfinished.
 */
int pp_net_mode_decide(int ifindex, enum pp_mode want, enum pp_mode *effective, char *reason, size_t reason_len);

/*
 * The peer of network device ifindex if it is a veth (0 otherwise), and the
 * id our namespace gives the peer's namespace (-1: ours): the device whose
 * offloads decide XDP on ifindex, to be watched for changes.
 */
int pp_xdp_net_peer(int ifindex, int *nsid);

/*
 * Put an instance port into mode want: decide, then (XDP) add its tap to
 * pp_xdp_tx and attach XDP, or (TC) detach XDP and remove the entry.  If
 * XDP cannot be attached the port stays on TC and the reason says so.
 * *effective and reason are what operators are shown.
 */
int pp_xdp_iport_apply(struct pp_dataplane *dp, int ifindex, const char *tap, enum pp_mode want,
		       enum pp_mode *effective, char *reason, size_t reason_len);

/*
 * The same for a network device: its pp_xdp_tx entry (pp_xdp_tx_refresh)
 * and XDP on its ingress (pp_net_mode_decide; on a NIC, its rx-vlan
 * offloads are turned off before XDP is attached, and left off).  want is what the instance
 * ports reached through it ask for: PP_MODE_XDP if one of them is
 * configured xdp, PP_MODE_AUTO if one is in XDP mode by auto,
 * PP_MODE_TC otherwise.
 */
int pp_xdp_net_apply(struct pp_dataplane *dp, int ifindex, enum pp_mode want, enum pp_mode *effective,
		     char *reason, size_t reason_len);

#endif /* PP_XDPMODE_H */
