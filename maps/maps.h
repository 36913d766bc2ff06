/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Typed userspace accessors for the pinned polyport maps, used by the daemon,
 * polyportctl and the tests.  Each map is described once in pp_map_desc[];
 * the typed functions below are thin wrappers over the generic ones.
 *
 * Arrays have no "delete": deleting an array entry writes zeros, which the
 * programs read as "nothing".  Per-CPU maps are summed over possible CPUs.
 * Every successful put/delete increments pp_maps.writes (the daemon reports
 * it so that an idle restart can be shown to write nothing).
 */
#ifndef PP_MAPS_H
#define PP_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include "polyport.h"

enum pp_map_id {
	PPM_DEVS,
	PPM_IPORTS,
	PPM_VLANS,
	PPM_QINQ,
	PPM_SRCMAC,
	PPM_SPORTS,
	PPM_NETS,
	PPM_NETVLANS,
	PPM_FDB,
	PPM_FLOOD,
	PPM_SPORT_STATS,
	PPM_IPORT_DROPS,
	PPM_NET_DROPS,
	PPM_NAMES,
	PPM_XDP_TX,		/* devmap: hash semantics (put, delete, iterate) */
	PPM_NEIGH,
	PPM_SEC_SRC,		/* LPM trie: hash semantics */
	PPM_SEC_MAC,
	PPM_DHCP,
	PPM_SCRATCH,		/* per-CPU scratch of the programs: not for userspace */
	PPM_SVC_STATS,
	PPM_RULE_ADDR,		/* LPM trie: hash semantics */
	PPM_RULE_L4,		/* LPM trie: hash semantics */
	PPM_RULE_SET,
	PPM_RULE_STATS,		/* per-CPU hash, written by the programs */
	PPM_DST,
	PPM_TRUNKS,
	PPM_L3DOMS,
	PPM_L3ADDRS,
	PPM_L3UPS,
	PPM_L3NH,
	PPM_L3MISS,		/* LRU hash, written by the programs */
	PPM_L3GW,		/* LPM trie: hash semantics */
	PPM_L3ICMP,		/* per-CPU, written by the programs */
	PPM_RULE_SP,		/* LPM trie: hash semantics */
	PPM_CHAINS,
	PPM_CHAIN_SRC,
	PPM_CHAIN_HOPS,
	PPM_CHAIN_PORTS,
	PPM_VXLAN,		/* stretched networks (issue 20) */
	PPM_VNIS,
	PPM_VTEPS,
	PPM_REMOTE,
	PPM_RFLOOD,
	PPM_COUNT,
};

enum pp_map_kind { PP_MK_ARRAY, PP_MK_HASH, PP_MK_PERCPU_ARRAY };

struct pp_map_desc {
	const char *name;	/* pinned as <pin root>/<name> */
	enum pp_map_kind kind;
	unsigned key_size;
	unsigned value_size;
};

extern const struct pp_map_desc pp_map_desc[PPM_COUNT];

/* Map sizes chosen at load time (see pp_map_sizes_default). */
struct pp_map_sizes {
	unsigned max_ifindex;
	unsigned max_iports;
	unsigned max_sports;
	unsigned max_nets;
	unsigned max_macs;
	unsigned max_match;
};

void pp_map_sizes_default(struct pp_map_sizes *s);
/* max_entries of map id for sizes s */
unsigned pp_map_max_entries(const struct pp_map_sizes *s, enum pp_map_id id);

struct pp_maps {
	int fd[PPM_COUNT];
	unsigned max_entries[PPM_COUNT];
	unsigned long writes;	/* successful puts and deletes */
	/* mmapable arrays: their entries, read and written in place */
	unsigned char *mem[PPM_COUNT];
	size_t mem_len[PPM_COUNT];
	/*
	 * The hashes the control plane writes most (pp_fdb, pp_flood,
	 * pp_netvlans): a copy in memory, read from the kernel once after each
	 * pp_maps_refresh() and kept with every put and delete, so that a read
	 * costs no bpf() call.  The owner of the maps (polyportd) is their
	 * only writer; pp_maps_refresh() takes in what anyone else changed.
	 */
	struct pp_shadow *shadow[PPM_COUNT];
	bool trunks_full;	/* every trunk slot was taken (loader/dataplane.c) */
};

/* Forget the in-memory copies: the next read of each map reloads it. */
void pp_maps_refresh(struct pp_maps *m);

/* Open every pinned map under pin_root.  Returns 0 or -errno. */
int pp_maps_open(struct pp_maps *m, const char *pin_root);
/* Take the fds of already-open maps (the loader hands them over; dup'ed). */
int pp_maps_adopt(struct pp_maps *m, const int fds[PPM_COUNT]);
void pp_maps_close(struct pp_maps *m);

int pp_map_put(struct pp_maps *m, enum pp_map_id id, const void *key, const void *val);
/* The same, unless the entry holds exactly val already (then 0, no write). */
int pp_map_put_changed(struct pp_maps *m, enum pp_map_id id, const void *key, const void *val);
int pp_map_get(const struct pp_maps *m, enum pp_map_id id, const void *key, void *val);
int pp_map_del(struct pp_maps *m, enum pp_map_id id, const void *key);
/*
 * Call fn for each entry (hash maps: every key; arrays: every non-zero
 * value; per-CPU: every entry, summed).  fn returns non-zero to stop.
 */
int pp_map_iter(const struct pp_maps *m, enum pp_map_id id,
		int (*fn)(const void *key, const void *val, void *arg), void *arg);
/* Whether n bytes are all zero: an array entry nobody has set (pp_map_iter skips those). */
bool pp_all_zero(const void *p, size_t n);

/*
 * Entry key of mmapped array id, in place (shared with the programs, which
 * may write it: read and write it with atomics where they do), or NULL: not
 * mmapped, or out of range.  Writing through it counts no write.
 */
void *pp_map_elem(const struct pp_maps *m, enum pp_map_id id, __u32 key);

/* Sum a per-CPU counter struct made of __u64 fields. */
int pp_map_get_percpu_sum(const struct pp_maps *m, enum pp_map_id id, __u32 key, void *sum);

/* ---- typed accessors ----------------------------------------------------- */

#define PP_ACCESSORS(what, id, ktype, vtype)					\
static inline int pp_##what##_put(struct pp_maps *m, ktype k, const vtype *v)	\
{ return pp_map_put(m, id, &k, v); }						\
static inline int pp_##what##_get(const struct pp_maps *m, ktype k, vtype *v)	\
{ return pp_map_get(m, id, &k, v); }						\
static inline int pp_##what##_del(struct pp_maps *m, ktype k)			\
{ return pp_map_del(m, id, &k); }

PP_ACCESSORS(dev, PPM_DEVS, __u32, struct pp_dev)
PP_ACCESSORS(iport, PPM_IPORTS, __u32, struct pp_iport)
PP_ACCESSORS(sport, PPM_SPORTS, __u32, struct pp_sport)
PP_ACCESSORS(net, PPM_NETS, __u32, struct pp_net)
PP_ACCESSORS(netvlan, PPM_NETVLANS, struct pp_netvlan_key, __u32)
PP_ACCESSORS(qinq, PPM_QINQ, struct pp_qinq_key, __u32)
PP_ACCESSORS(srcmac, PPM_SRCMAC, struct pp_srcmac_key, __u32)
PP_ACCESSORS(fdb, PPM_FDB, struct pp_fdb_key, __u32)
PP_ACCESSORS(flood, PPM_FLOOD, __u32, struct pp_flood)
PP_ACCESSORS(name, PPM_NAMES, struct pp_name_key, struct pp_name_val)
PP_ACCESSORS(neigh, PPM_NEIGH, struct pp_neigh_key, struct pp_neigh)
PP_ACCESSORS(sec_src, PPM_SEC_SRC, struct pp_sec_key, struct pp_sec_src)
PP_ACCESSORS(sec_mac, PPM_SEC_MAC, struct pp_sec_mac_key, __u32)
PP_ACCESSORS(dhcp, PPM_DHCP, __u32, struct pp_dhcp)
PP_ACCESSORS(rule_addr, PPM_RULE_ADDR, struct pp_rule_addr_key, struct pp_rule_bits)
PP_ACCESSORS(rule_l4, PPM_RULE_L4, struct pp_rule_l4_key, struct pp_rule_bits)
PP_ACCESSORS(rule_set, PPM_RULE_SET, struct pp_rule_set_key, struct pp_rule_set)
PP_ACCESSORS(l3dom, PPM_L3DOMS, __u32, struct pp_l3dom)
PP_ACCESSORS(l3addr, PPM_L3ADDRS, struct pp_l3addr_key, __u32)
PP_ACCESSORS(l3up, PPM_L3UPS, __u32, struct pp_l3up)
PP_ACCESSORS(l3nh, PPM_L3NH, struct pp_l3nh_key, struct pp_l3nh)
PP_ACCESSORS(l3miss, PPM_L3MISS, struct pp_l3nh_key, __u64)
PP_ACCESSORS(l3gw, PPM_L3GW, struct pp_l3gw_key, struct pp_l3gw)
PP_ACCESSORS(rule_sp, PPM_RULE_SP, struct pp_rule_l4_key, struct pp_rule_bits)
PP_ACCESSORS(chain, PPM_CHAINS, __u32, struct pp_chain)
PP_ACCESSORS(chain_src, PPM_CHAIN_SRC, struct pp_chain_src_key, __u32)
PP_ACCESSORS(chain_hop, PPM_CHAIN_HOPS, __u32, struct pp_chain_hop)
PP_ACCESSORS(chain_port, PPM_CHAIN_PORTS, __u32, struct pp_chain_port)
PP_ACCESSORS(vxlan, PPM_VXLAN, __u32, struct pp_vxlan)
PP_ACCESSORS(vni, PPM_VNIS, __u32, __u32)
PP_ACCESSORS(vtep, PPM_VTEPS, struct pp_vtep, __u32)
PP_ACCESSORS(remote, PPM_REMOTE, struct pp_fdb_key, struct pp_vtep)
PP_ACCESSORS(rflood, PPM_RFLOOD, __u32, struct pp_rflood)

/* Packets matched by rule (sport, dir, idx), summed over CPUs (0 if none yet). */
__u64 pp_rule_stat_get(const struct pp_maps *m, __u32 sport, __u8 dir, __u16 idx);

static inline int pp_svc_stats_get(const struct pp_maps *m, __u32 sport, struct pp_svc_stats *sum)
{
	return pp_map_get_percpu_sum(m, PPM_SVC_STATS, sport, sum);
}

extern const char *const pp_svc_stat_names[PP_SVC_STAT_COUNT];

static inline int pp_vlan_put(struct pp_maps *m, __u32 slot, __u16 vid, __u32 sport)
{
	__u32 k = PP_VLAN_IDX(slot, vid);
	return pp_map_put(m, PPM_VLANS, &k, &sport);
}

static inline int pp_vlan_get(const struct pp_maps *m, __u32 slot, __u16 vid, __u32 *sport)
{
	__u32 k = PP_VLAN_IDX(slot, vid);
	return pp_map_get(m, PPM_VLANS, &k, sport);
}

static inline int pp_vlan_del(struct pp_maps *m, __u32 slot, __u16 vid)
{
	__u32 k = PP_VLAN_IDX(slot, vid);
	return pp_map_del(m, PPM_VLANS, &k);
}

static inline int pp_sport_stats_get(const struct pp_maps *m, __u32 sport,
				     struct pp_sport_stats *sum)
{
	return pp_map_get_percpu_sum(m, PPM_SPORT_STATS, sport, sum);
}

static inline int pp_iport_drops_get(const struct pp_maps *m, __u32 slot, struct pp_drops *sum)
{
	return pp_map_get_percpu_sum(m, PPM_IPORT_DROPS, slot, sum);
}

static inline int pp_net_drops_get(const struct pp_maps *m, __u32 net, struct pp_drops *sum)
{
	return pp_map_get_percpu_sum(m, PPM_NET_DROPS, net, sum);
}

/* An L3 domain's ICMP errors, summed over CPUs: sent and limited are what counts. */
static inline int pp_l3icmp_get(const struct pp_maps *m, __u32 dom, struct pp_l3icmp *sum)
{
	return pp_map_get_percpu_sum(m, PPM_L3ICMP, dom, sum);
}

extern const char *const pp_drop_names[PP_DROP_MAX];

#endif /* PP_MAPS_H */
