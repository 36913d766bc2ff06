/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * polyport ABI: everything the BPF programs and userspace share.
 *
 * One header, included by both sides; nothing here is re-declared anywhere
 * else.  Every struct has fixed-width fields, explicit padding and a size
 * assertion.  A layout change of a map value goes with a new map name
 * (PP_MAP_* below carry a version suffix where that happened).
 *
 * Identifiers: instance-port slots, service-port ids and network ids are
 * small integers chosen by the loader.  Id 0 is never a valid object: a 0 in
 * a table means "nothing", and counters at index 0 are unattributed (frames
 * from a device polyport does not know, or a network it cannot name).
 */
#ifndef POLYPORT_H
#define POLYPORT_H

#include <linux/types.h>

/* ---- limits ------------------------------------------------------------ */

#define PP_VID_RESERVED		4095	/* VID 4095 is never a service port's */
#define PP_VID_SLOTS		4096	/* classifier entries per instance port */
#define PP_FLOOD_MAX		256	/* local service ports of one network on one host */

/* Defaults for the map sizes; the loader overrides them at load time. */
#define PP_DEF_MAX_IFINDEX	(1u << 20)	/* devices are indexed by ifindex */
#define PP_DEF_MAX_IPORTS	1024		/* instance ports (slots 1..N-1) */
#define PP_DEF_MAX_SPORTS	131072		/* service ports (ids 1..N-1) */
#define PP_DEF_MAX_NETS		4096		/* networks (ids 1..N-1) */
#define PP_DEF_MAX_MACS		131072		/* forwarding entries (network, MAC) */
#define PP_DEF_MAX_MATCH	131072		/* QinQ and source-MAC matches */

/* ---- drop reasons (DESIGN.md "Frame rules") ---------------------------- */

enum pp_drop_reason {
	PP_DROP_UNKNOWN_PORT = 0,	/* no service port / network matches */
	PP_DROP_TOO_MANY_TAGS,		/* more tags than the matching port */
	PP_DROP_RESERVED_VID,		/* VID 4095 */
	PP_DROP_MALFORMED,		/* runt, cut inside a tag */
	PP_DROP_SPOOFED,		/* source MAC is not the port's */
	PP_DROP_UNKNOWN_DST,		/* unicast to no local service port */
	PP_DROP_TAGGED_ON_UNTAGGED_NET,	/* tag on a device of an untagged network */
	PP_DROP_MTU,			/* longer than the network's MTU */
	PP_DROP_NO_TARGET,		/* target device absent, redirect failed */
	PP_DROP_MAX,
};

#define PP_DROP_NAMES {							\
	"unknown_port", "too_many_tags", "reserved_vid", "malformed",	\
	"spoofed", "unknown_dst", "tagged_on_untagged_net", "mtu",	\
	"no_target",							\
}

/* ---- devices: pp_devs[ifindex] ----------------------------------------- */

enum {
	PP_DEV_TAP	= 1u << 0,	/* an instance port's tap */
	PP_DEV_NET	= 1u << 1,	/* a network device */
	PP_DEV_NET_VLANS = 1u << 2,	/* networks with a vlan: look up pp_netvlans */
};

struct pp_dev {
	__u32 flags;		/* PP_DEV_* */
	__u32 slot;		/* PP_DEV_TAP: the instance port's slot */
	__u32 net_id;		/* PP_DEV_NET: the untagged network, 0 if none */
	__u32 ifindex;		/* the index this entry was written for */
};

/* ---- instance ports: pp_iports[slot] ------------------------------------ */

enum {
	PP_IPORT_HAS_SRCMAC = 1u << 0,	/* some service port matches by source MAC */
};

struct pp_iport {
	__u32 ifindex;		/* the tap; 0 while it is absent */
	__u32 flags;		/* PP_IPORT_* */
	__u32 untagged_sport;	/* the untagged service port, 0 if none */
	__u16 mtu;
	__u8  mac[6];
};

/* ---- service ports: pp_sports[id] -------------------------------------- */

enum pp_match {
	PP_MATCH_NONE = 0,
	PP_MATCH_VLAN,		/* exactly one tag, VID outer_vid */
	PP_MATCH_QINQ,		/* exactly two tags, outer_vid / inner_vid */
	PP_MATCH_UNTAGGED,	/* no tag or a lone priority tag */
	PP_MATCH_SRCMAC,	/* untagged, source MAC == mac */
};

struct pp_sport {
	__u32 slot;		/* its instance port */
	__u32 net_id;		/* the network bound to it */
	__u8  match;		/* enum pp_match */
	__u8  flags;		/* reserved, 0 */
	__u16 outer_vid;
	__u16 inner_vid;
	__u8  mac[6];		/* its MAC: source of its frames, destination toward it */
};

/* ---- networks: pp_nets[id] ------------------------------------------------ */

struct pp_net {
	__u32 ifindex;		/* its device; 0 while absent */
	__u16 vlan;		/* its own 0x8100 tag on the device, 0 = untagged */
	__u16 mtu;
};

/* pp_netvlans: (device, VID) -> network id, for networks with a vlan */
struct pp_netvlan_key {
	__u32 ifindex;
	__u16 vid;
	__u16 pad;
};

/* ---- matches that are not direct-indexed --------------------------------- */

/* pp_qinq: (slot, outer, inner) -> service port id */
struct pp_qinq_key {
	__u32 slot;
	__u16 outer_vid;
	__u16 inner_vid;
};

/* pp_srcmac: (slot, source MAC) -> service port id */
struct pp_srcmac_key {
	__u32 slot;
	__u8  mac[6];
	__u16 pad;
};

/* pp_fdb: (network, destination MAC) -> local service port id */
struct pp_fdb_key {
	__u32 net_id;
	__u8  mac[6];
	__u16 pad;
};

/* pp_flood: network -> its local service ports, replaced whole on change */
struct pp_flood {
	__u32 count;
	__u32 sport[PP_FLOOD_MAX];
};

/* ---- the control plane's names (pp_names) ------------------------------- */

/*
 * Which id the loader gave each named object.  Not read by the programs:
 * it lives with the pins so that a restarted daemon adopts the dataplane as
 * it is instead of renumbering it.
 */
enum pp_name_kind {
	PP_NAME_NET = 1,
	PP_NAME_IPORT,
	PP_NAME_SPORT,
};

#define PP_NAME_LEN	32	/* names are 1..31 characters */

struct pp_name_key {
	__u32 kind;		/* enum pp_name_kind */
	char  name[PP_NAME_LEN];	/* NUL-padded */
};

struct pp_name_val {
	__u32 id;		/* network id, slot or service port id */
	__u32 flags;		/* reserved, 0 */
};

/* ---- counters (per CPU; the accessors sum them) -------------------------- */

/* rx: frames the VM sent on the port; tx: frames delivered to the VM */
struct pp_sport_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
};

struct pp_drops {
	__u64 reason[PP_DROP_MAX];
};

/* ---- map names, pinned under the pin root (default /sys/fs/bpf/polyport) -- */

#define PP_PIN_ROOT_DEFAULT	"/sys/fs/bpf/polyport"

#define PP_MAP_DEVS		pp_devs
#define PP_MAP_IPORTS		pp_iports
#define PP_MAP_VLANS		pp_vlans
#define PP_MAP_QINQ		pp_qinq
#define PP_MAP_SRCMAC		pp_srcmac
#define PP_MAP_SPORTS		pp_sports
#define PP_MAP_NETS		pp_nets
#define PP_MAP_NETVLANS		pp_netvlans
#define PP_MAP_FDB		pp_fdb
#define PP_MAP_FLOOD		pp_flood
#define PP_MAP_SPORT_STATS	pp_sport_stats
#define PP_MAP_IPORT_DROPS	pp_iport_drops
#define PP_MAP_NET_DROPS	pp_net_drops
#define PP_MAP_NAMES		pp_names
#define PP_MAP_XDP_TX		pp_xdp_tx	/* devmap: devices XDP may transmit to */

/* The classifier index of (slot, VID) in pp_vlans. */
#define PP_VLAN_IDX(slot, vid)	((slot) * PP_VID_SLOTS + ((vid) & 0xfff))

/* ---- sizes -------------------------------------------------------------- */

#ifndef __cplusplus
_Static_assert(sizeof(struct pp_dev) == 16, "pp_dev layout");
_Static_assert(sizeof(struct pp_iport) == 20, "pp_iport layout");
_Static_assert(sizeof(struct pp_sport) == 20, "pp_sport layout");
_Static_assert(sizeof(struct pp_net) == 8, "pp_net layout");
_Static_assert(sizeof(struct pp_netvlan_key) == 8, "pp_netvlan_key layout");
_Static_assert(sizeof(struct pp_qinq_key) == 8, "pp_qinq_key layout");
_Static_assert(sizeof(struct pp_srcmac_key) == 12, "pp_srcmac_key layout");
_Static_assert(sizeof(struct pp_fdb_key) == 12, "pp_fdb_key layout");
_Static_assert(sizeof(struct pp_flood) == 4 + 4 * PP_FLOOD_MAX, "pp_flood layout");
_Static_assert(sizeof(struct pp_sport_stats) == 32, "pp_sport_stats layout");
_Static_assert(sizeof(struct pp_drops) == 8 * PP_DROP_MAX, "pp_drops layout");
_Static_assert(sizeof(struct pp_name_key) == 36, "pp_name_key layout");
_Static_assert(sizeof(struct pp_name_val) == 8, "pp_name_val layout");
#endif

#endif /* POLYPORT_H */
