/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Every polyport map, described once, for the BPF side.
 *
 * All maps are pinned by name under the loader's pin root and shared by every
 * program object; sizes here are defaults the loader overrides at load time
 * (struct pp_map_sizes).  Keys and values come from include/polyport.h.
 *
 * Maps read on the hot path by a direct index are arrays (pp_devs, pp_iports,
 * pp_vlans, pp_sports, pp_nets): the programs verify every entry they read
 * (an entry names what it belongs to), so an entry caught mid-update reads as
 * "no match" and is dropped and counted, never misdelivered.  Maps whose
 * entries are replaced while in use are hashes, whose updates are atomic.
 */
#ifndef PP_MAPS_BPF_H
#define PP_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "polyport.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_IFINDEX);
	__type(key, __u32);			/* ifindex */
	__type(value, struct pp_dev);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_DEVS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_IPORTS);
	__type(key, __u32);			/* slot */
	__type(value, struct pp_iport);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_IPORTS SEC(".maps");

/* Single-tag classifier: PP_VLAN_IDX(slot, vid) -> service port id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_IPORTS * PP_VID_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_VLANS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_MATCH);
	__type(key, struct pp_qinq_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_QINQ SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_MATCH);
	__type(key, struct pp_srcmac_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_SRCMAC SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_SPORTS);
	__type(key, __u32);			/* service port id */
	__type(value, struct pp_sport);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_SPORTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* network id */
	__type(value, struct pp_net);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_NETS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, struct pp_netvlan_key);
	__type(value, __u32);			/* network id */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_NETVLANS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__type(key, struct pp_fdb_key);
	__type(value, __u32);			/* service port id */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_FDB SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* network id */
	__type(value, struct pp_flood);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_FLOOD SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PP_DEF_MAX_SPORTS);
	__type(key, __u32);			/* service port id */
	__type(value, struct pp_sport_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_SPORT_STATS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PP_DEF_MAX_IPORTS);
	__type(key, __u32);			/* slot, 0 = unattributed */
	__type(value, struct pp_drops);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_IPORT_DROPS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* network id, 0 = unattributed */
	__type(value, struct pp_drops);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_NET_DROPS SEC(".maps");

/*
 * The devices XDP may transmit to: ifindex -> ifindex.  A tap is in it while
 * its instance port is in XDP mode; a network device while it provably
 * accepts XDP redirects (a veth whose peer has an XDP program).  A device
 * that is not in it gets XDP_PASS from bpf_redirect_map(): the frame goes on
 * to TC (bpf/ctx/xdp.h).  A devmap takes no BTF for its key and value, and
 * the loader pins it itself (libbpf 1.1 cannot reuse a pinned devmap: see
 * pp_obj_devmap in loader/dataplane.c), under the same name.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, PP_DEF_MAX_IPORTS + PP_DEF_MAX_NETS);
	__uint(key_size, sizeof(__u32));	/* ifindex */
	__uint(value_size, sizeof(__u32));	/* the same ifindex */
} PP_MAP_XDP_TX SEC(".maps");

/* Control plane only: name -> id (see include/polyport.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_SPORTS + PP_DEF_MAX_IPORTS + PP_DEF_MAX_NETS);
	__type(key, struct pp_name_key);
	__type(value, struct pp_name_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_NAMES SEC(".maps");

#endif /* PP_MAPS_BPF_H */
