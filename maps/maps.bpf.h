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
 * "no match" and is dropped and counted, never misdelivered.  They are
 * mmapable: polyportd reads and writes them in place, without a bpf() call
 * per entry (maps/maps.c), with what an update gives (a plain copy, no
 * lock).  Maps whose entries are replaced while in use are hashes, whose
 * updates are atomic.
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
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_DEVS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_IPORTS);
	__type(key, __u32);			/* slot */
	__type(value, struct pp_iport);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_IPORTS SEC(".maps");

/* Single-tag classifier: PP_VLAN_IDX(slot, vid) -> service port id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_IPORTS * PP_VID_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(map_flags, BPF_F_MMAPABLE);
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
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_SPORTS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* network id */
	__type(value, struct pp_net);
	__uint(map_flags, BPF_F_MMAPABLE);
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

/* Networks by (trunk slot, VID): PP_VLAN_IDX(dev->slot, vid) -> network id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_MAX_TRUNKS * PP_VID_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_TRUNKS SEC(".maps");

/* Local ports by destination MAC, a cache line per bucket: pp_dst_idx(). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_NETS * PP_DST_BUCKETS);
	__type(key, __u32);
	__type(value, struct pp_dst_bucket);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_DST SEC(".maps");

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

/* The responder's addresses: (network, address) -> MAC. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__type(key, struct pp_neigh_key);
	__type(value, struct pp_neigh);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_NEIGH SEC(".maps");

/* Port security: the sources each service port may send from. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_sec_key);
	__type(value, struct pp_sec_src);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_SEC_SRC SEC(".maps");

/* Port security: the other MACs a service port may send from (allowed pairs). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__type(key, struct pp_sec_mac_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_SEC_MAC SEC(".maps");

/* The DHCP server of each service port with bind: dhcp. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_SPORTS);
	__type(key, __u32);			/* service port id */
	__type(value, struct pp_dhcp);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_DHCP SEC(".maps");

/* One reply being built, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pp_scratch);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_SCRATCH SEC(".maps");

/* What the services of each service port did. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PP_DEF_MAX_SPORTS);
	__type(key, __u32);			/* service port id */
	__type(value, struct pp_svc_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_SVC_STATS SEC(".maps");

/* Stateless rules (include/polyport.h): per-field bitmaps and each direction's set. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_rule_addr_key);
	__type(value, struct pp_rule_bits);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_RULE_ADDR SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_rule_l4_key);
	__type(value, struct pp_rule_bits);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_RULE_L4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_SPORTS);
	__type(key, struct pp_rule_set_key);
	__type(value, struct pp_rule_set);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_RULE_SET SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__type(key, struct pp_rule_stat_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_RULE_STATS SEC(".maps");

/* L3 domains (include/polyport.h): by id, as networks */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);
	__type(value, struct pp_l3dom);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_L3DOMS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__type(key, struct pp_l3addr_key);
	__type(value, __u32);			/* service port id */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_L3ADDRS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* the uplink's ifindex */
	__type(value, struct pp_l3up);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_L3UPS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__type(key, struct pp_l3nh_key);
	__type(value, struct pp_l3nh);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_L3NH SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, struct pp_l3nh_key);	/* a next hop without a VALID pp_l3nh */
	__type(value, __u64);			/* ns of its last no_neigh drop */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_L3MISS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_l3gw_key);
	__type(value, struct pp_l3gw);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_L3GW SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* domain id */
	__type(value, struct pp_l3icmp);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_L3ICMP SEC(".maps");

/* Rules' source ports (include/polyport.h pp_rule_sp): as PP_MAP_RULE_L4. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_rule_l4_key);
	__type(value, struct pp_rule_bits);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_RULE_SP SEC(".maps");

/* Service chains (include/polyport.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* chain id (the networks' id space) */
	__type(value, struct pp_chain);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_CHAINS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_SPORTS);
	__type(key, struct pp_chain_src_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_CHAIN_SRC SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_DEF_MAX_CHAINS * PP_CHAIN_HOPS_MAX);
	__type(key, __u32);			/* chain slot * PP_CHAIN_HOPS_MAX + hop */
	__type(value, struct pp_chain_hop);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_CHAIN_HOPS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_SPORTS);
	__type(key, __u32);			/* a hop port's service port id */
	__type(value, struct pp_chain_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_CHAIN_PORTS SEC(".maps");

/* Stretched networks over VXLAN (include/polyport.h, issue 20). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pp_vxlan);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_VXLAN SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* VNI */
	__type(value, __u32);			/* network id */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_VNIS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_MAX_VTEPS);
	__type(key, struct pp_vtep);
	__type(value, __u32);			/* 1: a known host's */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_VTEPS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_MACS);
	__type(key, struct pp_fdb_key);		/* (network, MAC) of another host */
	__type(value, struct pp_vtep);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_REMOTE SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_NETS);
	__type(key, __u32);			/* network id */
	__type(value, struct pp_rflood);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_RFLOOD SEC(".maps");

/* Control plane only: name -> id (see include/polyport.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PP_DEF_MAX_SPORTS + PP_DEF_MAX_IPORTS + PP_DEF_MAX_NETS);
	__type(key, struct pp_name_key);
	__type(value, struct pp_name_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_NAMES SEC(".maps");

/*
 * Control plane only: the layout identity of every map pinned here
 * (include/polyport.h struct pp_layout, maps/layout.h).  Not read by the
 * programs; in every object so that it is pinned with the maps it describes.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PP_LAYOUTS_MAX);
	__type(key, __u32);			/* enum pp_map_id */
	__type(value, struct pp_layout);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} PP_MAP_LAYOUTS SEC(".maps");

#endif /* PP_MAPS_BPF_H */
