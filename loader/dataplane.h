/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The loader library: load the BPF programs with their maps pinned (or
 * reused) under a pin root, attach them to taps and network devices with TC,
 * and write instance ports, networks and service ports into the maps in an
 * order that never exposes a half-configured port.
 *
 * Functions return 0 or -errno.
 */
#ifndef PP_LOADER_DATAPLANE_H
#define PP_LOADER_DATAPLANE_H

#include "maps.h"

struct bpf_object;

enum pp_role { PP_ROLE_TAP, PP_ROLE_NET };

struct pp_dataplane {
	struct tap_bpf *tap;
	struct netdev_bpf *netdev;
	struct tap_xdp_bpf *tap_xdp;		/* the same rules as XDP (loader/xdpmode.h) */
	struct netdev_xdp_bpf *netdev_xdp;
	int prog_fd[2];		/* by enum pp_role */
	int xdp_prog_fd[2];	/* by enum pp_role */
	int egress_prog_fd;	/* TC egress of L3 uplinks (pp_uplink_egress_tc) */
	struct pp_maps maps;
	char pin_root[256];
};

/* TC filter identity of polyport's programs (one per device and direction). */
#define PP_TC_HANDLE	0x5050
#define PP_TC_PRIO	1

/* Mount bpffs on /sys/fs/bpf if it is missing, and create pin_root. */
int pp_bpffs_prepare(const char *pin_root);

/*
 * Load the programs.  Maps already pinned under pin_root are reused (they
 * must have the same layout); missing ones are created with sizes s and
 * pinned.  s may be NULL for the defaults.
 */
int pp_dp_open(struct pp_dataplane *dp, const char *pin_root, const struct pp_map_sizes *s);
/*
 * The same, with the maps of next (a bit per enum pp_map_id) pinned under
 * pin_root/next/ instead (created there if missing): the new maps of an
 * upgrade that changes their layout (loader/upgrade.h).
 */
#define PP_NEXT_DIR	"next"	/* bpffs refuses names with a dot, such as ".next" */
int pp_dp_open_ex(struct pp_dataplane *dp, const char *pin_root, const struct pp_map_sizes *s,
		  unsigned long long next);
void pp_dp_close(struct pp_dataplane *dp);
/* Give every polyport map of an (opened, not loaded) object its size. */
int pp_obj_set_sizes(struct bpf_object *obj, const struct pp_map_sizes *s);

/* Attach the program of role to the TC ingress of ifindex (replacing ours). */
int pp_dp_attach(struct pp_dataplane *dp, int ifindex, enum pp_role role);
/*
 * Attach the uplinks' egress program to the TC egress of ifindex, unless
 * this very program (by id) is there already.  An earlier daemon's is
 * replaced in place (BPF_TC_F_REPLACE, no gap), not adopted by its tag: a
 * program's tag does not say which maps it uses (an upgrade may move them).
 */
int pp_dp_attach_egress(struct pp_dataplane *dp, int ifindex);
/*
 * Remove polyport's TC filters (ingress, and egress on an uplink) from
 * ifindex; other filters are left alone.
 */
int pp_tc_detach(int ifindex);
/* The program id polyport attached to the TC egress of ifindex (0 if none). */
int pp_tc_query_egress(int ifindex, __u32 *prog_id);
/* The program id attached by polyport on ifindex (0 if none); creates nothing. */
int pp_tc_query(int ifindex, __u32 *prog_id);

/* ---- ordered writes ------------------------------------------------------ */

/*
 * A network: its table entry, then its device's entries.  A stretched one
 * (vni): its device is the host's VXLAN device (pp_vxlan[0]), whose entry
 * stays {NET | VXLAN, net_id 0}; then pp_vnis[vni] names it (an old VNI of
 * it goes).  Removal takes its VNI away first.
 */
int pp_dp_net_install(struct pp_maps *m, __u32 net_id, const struct pp_net *net);
int pp_dp_net_remove(struct pp_maps *m, __u32 net_id);
/* The same for n networks, each device they leave re-derived once. */
int pp_dp_nets_remove(struct pp_maps *m, const __u32 *ids, size_t n);
/*
 * The entry of the host's VXLAN device: always {NET | VXLAN}, net_id 0,
 * whatever networks use it (stretched ones have no "untagged network" of
 * the device: pp_vnis names them).
 */
int pp_dp_vxlan_dev_put(struct pp_maps *m, __u32 ifindex);
/* A MAC of network net_id in pp_fdb that is not a service port's own (an allowed pair). */
int pp_dp_dst_more(struct pp_maps *m, __u32 net_id, const __u8 mac[6]);

/*
 * An instance port: the device entries of its taps (ip->ifindex the active
 * one, ip->standby the one the programs make active on its first frame;
 * -EBUSY if one is a network device), then its slot entry, then a tap it
 * named before and names no more is unbound (its pp_devs entry removed).
 * Re-installing (the tap came back with a new ifindex, or is gone: ifindex
 * 0) keeps the classifier state its service ports installed.  Nothing is
 * written when nothing changes.
 * seen NULL: the entry is written whole.  Else ifindex is written by
 * compare-and-swap from *seen (the active tap the caller last read), after
 * every other field: if the programs activated the standby meanwhile,
 * ifindex stays as they left it, *seen is set to it and the result is
 * -EAGAIN (the taps stay bound: decide again from *seen).
 */
int pp_dp_iport_install(struct pp_maps *m, __u32 slot, const struct pp_iport *ip, __u32 *seen);
/* Unbinds every tap the entry names, then clears it. */
int pp_dp_iport_remove(struct pp_maps *m, __u32 slot);
/*
 * Tap ifindex bound to instance port slot but neither its active nor its
 * standby tap (a retired one): pp_devs {TAP, slot}, so that the programs
 * drop its frames as inactive_tap, counted on the port.  -EBUSY if it is a
 * network device.  pp_dp_tap_unbind() removes it (only if bound to slot).
 */
int pp_dp_tap_bind(struct pp_maps *m, __u32 slot, __u32 ifindex);
int pp_dp_tap_unbind(struct pp_maps *m, __u32 slot, __u32 ifindex);

/*
 * A service port: its entry, its forwarding entry, its place in the flood
 * list, and only then its classifier entry, which makes it reachable from
 * the VM.  Removal goes the other way.  The instance port and network must
 * be installed first.
 */
int pp_dp_sport_install(struct pp_maps *m, __u32 id, const struct pp_sport *sp);
int pp_dp_sport_remove(struct pp_maps *m, __u32 id);

#endif /* PP_LOADER_DATAPLANE_H */
