/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * polyport ABI: everything the BPF programs and userspace share.
 *
 * One header, included by both sides; nothing here is re-declared anywhere
 * else.  Every struct has fixed-width fields, explicit padding and a size
 * assertion.  A layout change of a map key or value keeps the map's name
 * and ships with its migration (maps/layout.c, DEVELOPERS.md): a new
 * daemon migrates the pinned maps of the previous one while traffic flows.
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
#define PP_MAX_TRUNKS		64		/* network devices with VLAN networks, indexed */
#define PP_MAX_VTEPS		4096		/* other hosts' VTEPs (pp_vteps) */

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
	PP_DROP_TTL,			/* L3: TTL / hop limit <= 1 */
	PP_DROP_NO_ROUTE,		/* L3: no route, or one leaving the domain */
	PP_DROP_NO_NEIGH,		/* L3: the next hop's MAC is not known (yet) */
	PP_DROP_HOST_EGRESS,		/* L3: the host's own frame on an uplink */
	PP_DROP_CHAIN_CONTEXT,		/* chain: from a hop port, in no direction of its hop */
	PP_DROP_CHAIN_DOWN,		/* chain: a hop with no live instance, on-failure drop */
	PP_DROP_INACTIVE_TAP,		/* from a tap bound to an instance port but not its active one */
	PP_DROP_UNKNOWN_VTEP,		/* VXLAN: decapsulated from a VTEP that is no known host's */
	PP_DROP_MAX,
};

#define PP_DROP_NAMES {							\
	"unknown_port", "too_many_tags", "reserved_vid", "malformed",	\
	"spoofed", "unknown_dst", "tagged_on_untagged_net", "mtu",	\
	"no_target", "ttl", "no_route", "no_neigh", "host_egress",	\
	"chain_context", "chain_down", "inactive_tap", "unknown_vtep",	\
}

/* ---- devices: pp_devs[ifindex] ----------------------------------------- */

enum {
	PP_DEV_TAP	= 1u << 0,	/* an instance port's tap */
	PP_DEV_NET	= 1u << 1,	/* a network device */
	PP_DEV_NET_VLANS = 1u << 2,	/* networks with a vlan: look up pp_netvlans */
	PP_DEV_UPLINK	= 1u << 3,	/* an L3 domain's uplink: net_id is the domain */
	/*
	 * With PP_DEV_NET: the host's VXLAN device (external mode, pp_vxlan):
	 * the network of a frame is its VNI's (pp_vnis), net_id is 0.
	 */
	PP_DEV_VXLAN	= 1u << 4,
};

struct pp_dev {
	__u32 flags;		/* PP_DEV_* */
	/*
	 * PP_DEV_TAP: the instance port's slot.  PP_DEV_NET_VLANS: its trunk
	 * slot in pp_trunks (1..PP_MAX_TRUNKS-1), 0 if it has none (all taken):
	 * then pp_netvlans is used.
	 */
	__u32 slot;
	__u32 net_id;		/* PP_DEV_NET: the untagged network, 0 if none;
				 * PP_DEV_UPLINK: its L3 domain */
	__u32 ifindex;		/* the index this entry was written for */
};

/* ---- instance ports: pp_iports[slot] ------------------------------------ */

enum {
	PP_IPORT_HAS_SRCMAC = 1u << 0,	/* some service port matches by source MAC */
};

/*
 * Taps bound to an instance port (issue 18): ifindex is the active one, the
 * only tap frames for its service ports go to and the only one whose frames
 * are forwarded.  standby is a tap plugged for a move (a live migration's
 * destination, a guest restarted on another tap): nothing is sent to it,
 * and the first frame it brings makes it the active one (the program sets
 * ifindex = standby, one aligned 32-bit store: from that frame on, every
 * frame for the port goes to it and none to the old tap).  Both have a
 * pp_devs entry {PP_DEV_TAP, slot}, as have retired taps (a previous active
 * one still present): the frames of any tap that is neither are dropped as
 * inactive_tap.  polyportd is the only other writer; it writes ifindex by
 * compare-and-swap (loader/dataplane.c), never over an activation.
 */
struct pp_iport {
	__u32 ifindex;		/* the active tap; 0 while none is */
	__u32 flags;		/* PP_IPORT_* */
	__u32 untagged_sport;	/* the untagged service port, 0 if none */
	__u16 mtu;
	__u8  mac[6];
	__u32 standby;		/* a tap waiting for its first frame, 0 if none */
};

/* ---- service ports: pp_sports[id] -------------------------------------- */

enum pp_match {
	PP_MATCH_NONE = 0,
	PP_MATCH_VLAN,		/* exactly one tag, VID outer_vid */
	PP_MATCH_QINQ,		/* exactly two tags, outer_vid / inner_vid */
	PP_MATCH_UNTAGGED,	/* no tag or a lone priority tag */
	PP_MATCH_SRCMAC,	/* untagged, source MAC == mac */
};

/* pp_sport.flags: the services bound to the service port besides its network */
enum {
	PP_SPORT_RESPONDER = 1u << 0,	/* answer ARP / IPv6 NS from pp_neigh */
	PP_SPORT_SECURITY = 1u << 1,	/* port security: pp_sec_src, pp_sec_mac */
	PP_SPORT_DHCP = 1u << 2,	/* DHCPv4 server: pp_dhcp */
	/* with PP_SPORT_SECURITY: what the port may send besides */
	PP_SPORT_ALLOW_DHCP_SERVER = 1u << 3,	/* DHCP(v6) server replies (67->68, 547->546) */
	PP_SPORT_ALLOW_RA = 1u << 4,	/* IPv6 router advertisements and redirects */
	/*
	 * A direction with rules (a pp_rule_set entry once they are written):
	 * until its set is there (a new service port id, whose entry the
	 * loader writes before its services), that direction's IP frames are
	 * dropped, not allowed.
	 */
	PP_SPORT_RULES_IN = 1u << 5,
	PP_SPORT_RULES_OUT = 1u << 6,
	/*
	 * Bound to an L3 domain, not a network: net_id is the domain's id
	 * (pp_l3doms).  Networks and domains share one id space, so a domain
	 * id is never a network's: a check "is port q on network n" fails for
	 * an L3 port without looking at this flag.
	 */
	PP_SPORT_L3 = 1u << 7,
};

struct pp_sport {
	__u32 slot;		/* its instance port */
	__u32 net_id;		/* the network bound to it */
	__u8  match;		/* enum pp_match */
	__u8  flags;		/* PP_SPORT_* */
#if defined(PP_UPGRADE_VARIANT) && PP_UPGRADE_VARIANT == 3
	/* test variant: a change of the same size, which no migration knows */
	__u16 inner_vid;
	__u16 outer_vid;
#else
	__u16 outer_vid;
	__u16 inner_vid;
#endif
	__u8  mac[6];		/* its MAC: source of its frames, destination toward it */
};

/* ---- networks: pp_nets[id] ------------------------------------------------ */

struct pp_net {
	__u32 ifindex;		/* its device; 0 while absent */
	__u16 vlan;		/* its own 0x8100 tag on the device, 0 = untagged */
	__u16 mtu;
	/*
	 * Its one local service port, when it has exactly one (0: none, or
	 * several).  A hint the programs verify: toward the VMs, a frame to
	 * that port's MAC needs no pp_fdb lookup; from that port, no other
	 * local port can be the destination.
	 */
	__u32 lone_sport;
	/*
	 * The service chain steering this network's unicast (pp_chains), 0 if
	 * none.  At a chain's own id (the networks' id space, ifindex 0):
	 * the chain's id itself, which is how a hop port (net_id = its
	 * chain) is told from a network's port.  Added with a migration
	 * (maps/layout.c): entries of the 12-byte layout get 0.
	 */
	__u32 chain;
	/*
	 * A network stretched over VXLAN (issue 20): its VNI (1..2^24-1), 0
	 * if it is not.  Then ifindex is the host's VXLAN device (pp_vxlan),
	 * vlan is 0, and what leaves toward the network is encapsulated to
	 * the host of its destination (pp_remote) or to every other host with
	 * ports on it (pp_rflood).  Added with a migration (maps/layout.c):
	 * entries of the 16-byte layout get 0.
	 */
	__u32 vni;
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

/*
 * pp_dst: the local service ports of each network by destination MAC, in
 * buckets of one cache line: network n's bucket for MAC m is
 * PP_DST_IDX(n, m).  A way names a port and its MAC (port 0: free); the
 * programs check the port's entry (its network, its MAC) before using it.
 * PP_DST_MORE: the bucket does not hold every MAC of pp_fdb that falls in it
 * (more ports than ways, or allowed-pair MACs): a miss there asks pp_fdb.
 * Without it, a miss is final: the destination is not local.
 */
#define PP_DST_BUCKETS		64	/* per network */
#define PP_DST_WAYS		5
#define PP_DST_MORE		0x1

struct pp_dst_way {
	__u32 sport;
	__u8  mac[6];
	__u16 pad;
};

struct pp_dst_bucket {
	__u32 flags;		/* PP_DST_* */
	struct pp_dst_way way[PP_DST_WAYS];
};

/* The bucket of (network, MAC): the MAC's last four bytes, multiplied and folded. */
static inline __u32 pp_dst_idx(__u32 net_id, const __u8 *mac)
{
	__u32 x = (__u32)mac[2] << 24 | (__u32)mac[3] << 16 | (__u32)mac[4] << 8 | mac[5];

	return net_id * PP_DST_BUCKETS + ((x * 2654435761u) >> 26);
}

/* pp_flood: network -> its local service ports, replaced whole on change */
struct pp_flood {
	__u32 count;
	__u32 sport[PP_FLOOD_MAX];
};

/* ---- stretched networks: VXLAN (issue 20) -------------------------------- */

/*
 * pp_vxlan[0]: this host's VXLAN device (external, collect-metadata mode,
 * owned by polyportd) and its VTEP, the source of what it encapsulates.
 * ifindex 0: the host has none (no VXLAN network can be reached).
 */
struct pp_vxlan {
	__u32 ifindex;
	__u8  family;		/* PP_NEIGH_V4 / PP_NEIGH_V6 */
	__u8  pad[3];
	__u8  local[16];	/* IPv4: the first 4 bytes, the rest zero */
};

/*
 * A VTEP: another host's tunnel endpoint.  The value of pp_remote and of
 * pp_rflood's entries (where to encapsulate to), and the key of pp_vteps
 * (the hosts a decapsulated frame may come from).
 */
struct pp_vtep {
	__u8  family;		/* PP_NEIGH_V4 / PP_NEIGH_V6 */
	__u8  pad[3];
	__u8  addr[16];		/* IPv4: the first 4 bytes, the rest zero */
};

/* pp_vnis: VNI -> network id (verified: pp_nets[id].vni is that VNI) */
/* pp_vteps: struct pp_vtep -> 1: a known host's VTEP (else unknown_vtep) */
/* pp_remote: (network, MAC), struct pp_fdb_key -> the struct pp_vtep of the
 * host that MAC's service port is on */

/* pp_rflood: network -> the other hosts with ports on it, replaced whole */
#define PP_RFLOOD_MAX		64	/* a power of 2 (lib/vxlan.h) */

struct pp_rflood {
	__u32 count;
	struct pp_vtep vtep[PP_RFLOOD_MAX];
};

/* The UDP port of VXLAN (IANA) and its overhead on an IPv4 / IPv6 underlay. */
#define PP_VXLAN_PORT		4789
#define PP_VXLAN_OVERHEAD4	50
#define PP_VXLAN_OVERHEAD6	70
#define PP_VNI_MAX		0xffffff

/* ---- services: pp_neigh ---------------------------------------------------- */

/*
 * pp_neigh: (network, IPv4/IPv6 address) -> MAC, every address known on a
 * network (its gateway's, its service ports'), for the ARP/NDP responder.
 */
enum { PP_NEIGH_V4 = 4, PP_NEIGH_V6 = 6 };

struct pp_neigh_key {
	__u32 net_id;
	__u8  family;		/* PP_NEIGH_V4 / PP_NEIGH_V6 */
	__u8  pad[3];
	__u8  addr[16];		/* IPv4: the first 4 bytes, the rest zero */
};

enum {
	PP_NEIGH_ROUTER = 1u << 0,	/* the gateway: NA with the router flag */
};

struct pp_neigh {
	__u8  mac[6];
	__u8  flags;		/* PP_NEIGH_* */
	__u8  pad;
};

/*
 * pp_sec_src (LPM trie): (service port, family, source prefix) -> the MAC
 * that may send from it: the port's addresses (host prefixes) and the
 * link-local address of each of its MACs with its MAC, the allowed pairs
 * with theirs.  prefixlen counts from sport: 64 + the address's length.
 */
struct pp_sec_key {
	__u32 prefixlen;
	__u32 sport;
	__u8  family;		/* PP_NEIGH_V4 / PP_NEIGH_V6 */
	__u8  pad[3];
	__u8  addr[16];
};

#define PP_SEC_PREFIX(plen)	(64 + (plen))

struct pp_sec_src {
	__u8  mac[6];
	__u16 pad;
};

/* pp_sec_mac: (service port, MAC) -> 1: the allowed pairs' other MACs */
struct pp_sec_mac_key {
	__u32 sport;
	__u8  mac[6];
	__u16 pad;
};

/*
 * pp_dhcp: service port id -> what its DHCP server hands out.  The options
 * of an OFFER/ACK past the message type and server identifier (lease 51,
 * mask 1, router 3, DNS 6, MTU 26, routes 121, then end 255) are encoded by
 * the loader (pp_dhcp_encode) into opts, zero-padded: the program copies
 * them as they are, so its cost does not depend on them.
 */
#define PP_DHCP_OPTS_BLOB	176

struct pp_dhcp {
	__u8  yiaddr[4];	/* the service port's IPv4 address */
	__u8  server[4];	/* the gateway: server id, source address */
	__u8  server_mac[6];	/* the gateway's MAC: source of the replies */
	__u8  opts_len;		/* bytes of opts used, end option included */
	__u8  pad;
	__u8  opts[PP_DHCP_OPTS_BLOB];
};

/* Per-CPU scratch for building a reply larger than the BPF stack allows. */
#define PP_SCRATCH_LEN	512

struct pp_scratch {
	__u8  buf[PP_SCRATCH_LEN];
};

/* pp_svc_stats: service port id -> what its services did (per CPU) */
struct pp_svc_stats {
	__u64 responder_answers;
	__u64 dhcp_offers;
	__u64 dhcp_acks;
	__u64 dhcp_naks;
	__u64 dhcp_malformed;
	__u64 security_drops;
	__u64 rule_drops;	/* dropped by a rule or a direction's default */
};

#define PP_SVC_STAT_NAMES {						\
	"responder_answers", "dhcp_offers", "dhcp_acks", "dhcp_naks",	\
	"dhcp_malformed", "security_drops", "rule_drops",		\
}
#define PP_SVC_STAT_COUNT	7

/*
 * Stateless rules (bind: security, ingress / egress), first match wins, at a
 * cost that does not depend on the number of rules: each field is looked up
 * once and gives the bitmap of the rules it matches, the bitmaps are ANDed
 * and the first set bit is the first matching rule.
 *   pp_rule_addr (LPM): (sport, dir, field from/to, family, prefix) -> the
 *     rules whose CIDR contains that prefix (or that have none);
 *   pp_rule_l4 (LPM): (sport, dir, protocol class, port / ICMP type prefix)
 *     -> the rules whose protocol, port range / type match;
 *   pp_rule_set: (sport, dir) -> the number of rules, which allow, the
 *     direction's default; no entry: the direction has no rules (allow).
 * The loader computes the bitmaps (a prefix's bitmap holds every rule whose
 * CIDR or port range contains the prefix: the longest stored prefix that
 * matches a packet then names exactly the rules matching it).
 */
#define PP_RULES_MAX_BPF	1024	/* rules of one direction of a service port */
#define PP_RULE_WORDS		(PP_RULES_MAX_BPF / 64)

enum { PP_DIR_INGRESS = 0, PP_DIR_EGRESS = 1 };	/* toward the VM / from it */
enum { PP_RULE_FROM = 0, PP_RULE_TO = 1 };

struct pp_rule_bits {
	__u64 w[PP_RULE_WORDS];
};

struct pp_rule_addr_key {
	__u32 prefixlen;	/* 64 + the address prefix length */
	__u32 sport;
	__u8  dir;		/* PP_DIR_* */
	__u8  field;		/* PP_RULE_FROM (source) / PP_RULE_TO (destination) */
	__u8  family;		/* PP_NEIGH_V4 / PP_NEIGH_V6 */
	__u8  pad;
	__u8  addr[16];
};

#define PP_RULE_ADDR_PREFIX(plen)	(64 + (plen))

struct pp_rule_l4_key {
	__u32 prefixlen;	/* 48 + the port (or ICMP type) prefix length */
	__u32 sport;
	__u8  dir;
	__u8  proto;		/* 6, 17, 1, 58, or 0: any other protocol */
	__u8  port[2];		/* destination port; ICMP: type, 0 */
};

#define PP_RULE_L4_PREFIX(plen)		(48 + (plen))

/*
 * pp_rule_sp (LPM): the same key as pp_rule_l4 with the source port: (sport,
 * dir, TCP or UDP, source port prefix) -> the rules whose source-ports
 * contain it (and those without source-ports).  A set none of whose rules
 * has source-ports has no entries here, and a lookup that finds none leaves
 * the other fields' bitmaps as they are: sets written before source-ports
 * existed keep their meaning.  A set with some has, for TCP and UDP, a
 * prefix-0 entry (the rules without source-ports), so that any lookup of
 * it finds one.  Fragments after the first have no ports: the prefix-0
 * entry applies.
 */

struct pp_rule_set_key {
	__u32 sport;
	__u32 dir;
};

struct pp_rule_set {
	__u32 n;		/* rules, 1..PP_RULES_MAX_BPF */
	__u32 default_allow;	/* no rule matches: allow (1) or drop (0) */
	struct pp_rule_bits allow;	/* rule i allows */
};

/* pp_rule_stats (per CPU, created by the programs): rule -> packets matched */
struct pp_rule_stat_key {
	__u32 sport;
	__u16 idx;		/* rule index in its direction */
	__u8  dir;
	__u8  pad;
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

/* ---- L3 domains (routing in the dataplane) ------------------------------- */

/*
 * pp_l3doms[id]: an L3 domain, by an id of the networks' id space (pp_nets
 * has nothing at that index, pp_net_drops counts the domain's drops).
 * Its frames are routed by bpf_fib_lookup in its own kernel table.
 */
struct pp_l3dom {
	__u32 table;		/* kernel routing table (fib lookup tbid); 0: absent */
	__u16 mtu;		/* of its L3 ports and uplinks */
	__u8  gw_mac[6];	/* the gateway MAC on every subnet */
	__u32 flags;		/* reserved, 0 */
};

/* pp_l3addrs: (domain, address) -> the local L3 port that holds it */
struct pp_l3addr_key {
	__u32 dom;
	__u8  family;		/* PP_NEIGH_V4 / PP_NEIGH_V6 */
	__u8  pad[3];
	__u8  addr[16];		/* IPv4: the first 4 bytes, the rest zero */
};

/* pp_l3ups: uplink ifindex -> what the programs need of it */
struct pp_l3up {
	__u32 dom;		/* its domain (as pp_devs says: both are checked) */
	__u8  mac[6];		/* the source MAC of what leaves by it */
	__u16 flags;		/* PP_L3UP_* */
	__u8  ip4[4];		/* its address (answered for, ARP and NS) */
	__u8  ip6[16];
};

enum {
	PP_L3UP_V4 = 1u << 0,	/* ip4 is set */
	PP_L3UP_V6 = 1u << 1,	/* ip6 is set */
};

/*
 * The skb mark of what polyport itself sends out of an uplink ("pop1"):
 * its TC redirects there and polyportd's ARP/NS (SO_MARK).  The uplink's
 * TC egress passes a frame with it (and clears it), drops any other.
 */
#define PP_L3_MARK		0x706f7031

/* pp_l3nh: (uplink, next hop) -> its MAC, resolved by polyport */
struct pp_l3nh_key {
	__u32 ifindex;
	__u8  family;		/* PP_NEIGH_V4 / PP_NEIGH_V6 */
	__u8  pad[3];
	__u8  addr[16];
};

enum {
	PP_L3NH_VALID = 1u << 0,	/* mac is the next hop's */
};

struct pp_l3nh {
	__u64 updated_ns;	/* bpf_ktime_get_ns() of the last confirmation */
	__u8  mac[6];
	__u16 flags;		/* PP_L3NH_* */
};

/*
 * pp_l3miss: (uplink, next hop) -> bpf_ktime_get_ns() of the last frame
 * dropped as no_neigh toward it (an LRU hash the programs write, polyportd
 * reads and empties each second: it resolves those next hops too, not only
 * the `via` of the routes it was told about).  Value: __u64.
 */

/*
 * pp_l3gw: LPM trie (domain, family, subnet) -> the subnet's gateway
 * address: the source of the ICMP errors the gateway sends to a VM of that
 * subnet (bpf/lib/l3icmp.h), looked up by the packet's source address.
 */
struct pp_l3gw_key {
	__u32 prefixlen;	/* 64 (dom, family, pad) + the subnet's prefix length */
	__u32 dom;
	__u8  family;		/* PP_NEIGH_V4 / PP_NEIGH_V6 */
	__u8  pad[3];
	__u8  addr[16];		/* IPv4: the first 4 bytes, the rest zero */
};

struct pp_l3gw {
	__u8  addr[16];		/* the gateway (IPv4: the first 4 bytes) */
};

/*
 * pp_l3icmp[domain], per CPU: the ICMP errors' rate limit (at most
 * PP_L3ICMP_RATE sent per PP_L3ICMP_NS interval, per domain and CPU) and
 * what was sent or suppressed.
 */
struct pp_l3icmp {
	__u64 start_ns;		/* bpf_ktime_get_ns() at the current interval's start */
	__u32 n;		/* errors sent in it */
	__u32 pad;
	__u64 sent;		/* errors sent */
	__u64 limited;		/* errors not sent: over the rate */
};

#define PP_L3ICMP_RATE		100
#define PP_L3ICMP_NS		1000000000ull

/* ---- service chains (issue 17) -------------------------------------------- */

/*
 * A chain steers the unicast of one network through hops of service
 * functions.  Its id is of the networks' id space (pp_nets[id].chain = id,
 * ifindex 0, so every L2 check "is port q on network n" fails for a hop
 * port by itself); pp_nets[net].chain names the network's chain.
 *
 * Classifiers are rule sets of the rules engine (lib/rules.h) keyed by the
 * chain's id as the "sport" and a PP_DIR_CHAIN_* direction: the forward
 * classifier, the reversed one (symmetric chains), and for IP fragments the
 * same two with ports as wildcards (pp_rule_l4 entries of the FRAG dirs:
 * every rule of the protocol, whatever its ports).  A match steers; the
 * sets' allow bits are unused.
 */
enum {
	PP_DIR_CHAIN_FWD = 2,
	PP_DIR_CHAIN_REV = 3,
	PP_DIR_CHAIN_FRAG = 4,		/* | FWD or REV: pp_rule_l4 of fragments */
};

#define PP_DEF_MAX_CHAINS	256	/* chain slots (1..N-1): pp_chain_hops */
#define PP_CHAIN_HOPS_MAX	8	/* hops of one chain */
#define PP_CHAIN_INST_MAX	16	/* instances of one hop (a group) */
#define PP_CHAIN_SLOTS		256	/* flow-hash slots of a hop's instance table */
#define PP_CHAIN_NONE		0xff	/* a slot without a live instance */

enum {
	PP_CHAIN_SYMMETRIC = 1u << 0,	/* replies: the reversed classifier, hops backwards */
	PP_CHAIN_BYPASS = 1u << 1,	/* on-failure bypass: a hop without instance is skipped */
	PP_CHAIN_ALL_SOURCES = 1u << 2,	/* every port and the device: no pp_chain_src lookup */
};

/* pp_chains[chain id] */
struct pp_chain {
	__u32 net_id;		/* the network it steers; 0: absent */
	__u16 slot;		/* its hops: pp_chain_hops[slot * PP_CHAIN_HOPS_MAX + hop] */
	__u8  n_hops;		/* 1..PP_CHAIN_HOPS_MAX */
	__u8  flags;		/* PP_CHAIN_* */
};

/*
 * pp_chain_src: (chain, source) -> 1: a source whose frames the forward
 * classifier sees (sport 0: the network's device); a reply is classified
 * (reversed) when its destination is such a source.  Unused with
 * PP_CHAIN_ALL_SOURCES.
 */
struct pp_chain_src_key {
	__u32 chain;
	__u32 sport;
};

/* One instance of a hop: its service ports on the function's vNIC. */
struct pp_chain_inst {
	__u32 in_sport;		/* forward frames enter here, reverse ones leave */
	__u32 out_sport;	/* forward frames leave here, reverse ones enter */
};

/*
 * pp_chain_hops[slot * PP_CHAIN_HOPS_MAX + hop]: a hop's instances and its
 * flow table.  A flow (its hash, symmetric for symmetric chains; the
 * 3-tuple for fragments) takes slot[hash % PP_CHAIN_SLOTS], an instance
 * index.  The daemon fills the slots in proportion to the weights of the
 * live instances and, when one goes or comes, moves only the slots it
 * must (flows on surviving instances keep them).
 */
struct pp_chain_hop {
	__u8  n_inst;		/* instances configured */
	__u8  n_live;		/* of which live (0: the hop is down) */
	__u16 pad;
	__u32 chain;		/* the chain it belongs to (verified) */
	struct pp_chain_inst inst[PP_CHAIN_INST_MAX];
	__u8  slots[PP_CHAIN_SLOTS];	/* instance index, PP_CHAIN_NONE: none */
};

enum {
	PP_CHAIN_ROLE_IN = 1u << 0,	/* the instance's ingress port */
	PP_CHAIN_ROLE_OUT = 1u << 1,	/* its egress port (both: a one-port hop) */
};

/* pp_chain_ports[hop port's sport id]: where a frame from it comes back from */
struct pp_chain_port {
	__u32 chain;		/* = the port's net_id (verified) */
	__u8  hop;		/* 0..n_hops-1 */
	__u8  inst;		/* index in the hop's inst[] */
	__u8  role;		/* PP_CHAIN_ROLE_* */
	__u8  pad;
};

/* ---- counters (per CPU; the accessors sum them) -------------------------- */

/* rx: frames the VM sent on the port; tx: frames delivered to the VM */
struct pp_sport_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
};

/*
 * Drops by reason: PP_DROP_SLOTS counters, of which the first PP_DROP_MAX
 * are used; the rest is room for the reasons of later versions, which then
 * need no layout change.  Widened from 9 to 32 with a migration
 * (maps/layout.c); the test variant (-DPP_UPGRADE_VARIANT=1) has another
 * width, so that the upgrade tests migrate it both ways.
 */
#if defined(PP_UPGRADE_VARIANT) && PP_UPGRADE_VARIANT == 1
#define PP_DROP_SLOTS		40
#else
#define PP_DROP_SLOTS		32
#endif

struct pp_drops {
	__u64 reason[PP_DROP_SLOTS];
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
#define PP_MAP_TRUNKS		pp_trunks
#define PP_MAP_FDB		pp_fdb
#define PP_MAP_FLOOD		pp_flood
#define PP_MAP_DST		pp_dst
#define PP_MAP_SPORT_STATS	pp_sport_stats
#define PP_MAP_IPORT_DROPS	pp_iport_drops
#define PP_MAP_NET_DROPS	pp_net_drops
#define PP_MAP_NAMES		pp_names
#define PP_MAP_XDP_TX		pp_xdp_tx	/* devmap: devices XDP may transmit to */
#define PP_MAP_NEIGH		pp_neigh
#define PP_MAP_SEC_SRC		pp_sec_src
#define PP_MAP_SEC_MAC		pp_sec_mac
#define PP_MAP_DHCP		pp_dhcp
#define PP_MAP_SCRATCH		pp_scratch
#define PP_MAP_SVC_STATS	pp_svc_stats
#define PP_MAP_RULE_ADDR	pp_rule_addr
#define PP_MAP_RULE_L4		pp_rule_l4
#define PP_MAP_RULE_SET		pp_rule_set
#define PP_MAP_RULE_STATS	pp_rule_stats
#define PP_MAP_L3DOMS		pp_l3doms
#define PP_MAP_L3ADDRS		pp_l3addrs
#define PP_MAP_L3UPS		pp_l3ups
#define PP_MAP_L3NH		pp_l3nh
#define PP_MAP_L3MISS		pp_l3miss
#define PP_MAP_L3GW		pp_l3gw
#define PP_MAP_L3ICMP		pp_l3icmp
#define PP_MAP_RULE_SP		pp_rule_sp	/* LPM: rules' source ports (below) */
#define PP_MAP_CHAINS		pp_chains
#define PP_MAP_CHAIN_SRC	pp_chain_src
#define PP_MAP_CHAIN_HOPS	pp_chain_hops
#define PP_MAP_CHAIN_PORTS	pp_chain_ports
#define PP_MAP_LAYOUTS		pp_layouts	/* each map's layout identity (below) */
#define PP_MAP_VXLAN		pp_vxlan	/* stretched networks (issue 20) */
#define PP_MAP_VNIS		pp_vnis
#define PP_MAP_VTEPS		pp_vteps
#define PP_MAP_REMOTE		pp_remote
#define PP_MAP_RFLOOD		pp_rflood

/*
 * pp_layouts: the layout identity of each map pinned beside it, so that a
 * daemon adopts only maps whose layout it knows and migrates the others
 * (maps/layout.h, loader/upgrade.c).  Keyed by the map's index in
 * enum pp_map_id (maps/maps.h); records are matched by name.  Its own
 * layout never changes (a new one would take a new name).
 */
#define PP_LAYOUTS_MAX		64
#define PP_LAYOUT_NAME_LEN	32

struct pp_layout {
	char  name[PP_LAYOUT_NAME_LEN];	/* the map's pin name, NUL-padded; "" = no record */
	__u64 hash;		/* FNV-1a of the map's type, flags and key/value BTF */
	__u32 rev;		/* revision, bumped by hand when a meaning changes */
	__u32 type;		/* BPF_MAP_TYPE_* */
	__u32 key_size;
	__u32 value_size;
};

/*
 * The counter fold of an upgrade (bpf/fold.bpf.c, loader/upgrade.c): the
 * (map, CPU, key) entries of an old per-CPU map already added into the new
 * one, recorded by the program that adds them, in the same run: each is
 * added exactly once, whenever the loader is killed.
 */
#define PP_FOLD_KEY_LEN		16	/* the longest key of a per-CPU map */
#define PP_FOLD_WORDS		64	/* the widest per-CPU value, in __u64 */

struct pp_fold_key {
	__u32 map;		/* enum pp_map_id */
	__u32 cpu;		/* the old map's CPU */
	__u8  key[PP_FOLD_KEY_LEN];	/* the entry's key, zero-padded */
};

/* The classifier index of (slot, VID) in pp_vlans. */
#define PP_VLAN_IDX(slot, vid)	((slot) * PP_VID_SLOTS + ((vid) & 0xfff))

/* ---- sizes -------------------------------------------------------------- */

#ifndef __cplusplus
_Static_assert(sizeof(struct pp_dev) == 16, "pp_dev layout");
_Static_assert(sizeof(struct pp_iport) == 24, "pp_iport layout");
_Static_assert(sizeof(struct pp_sport) == 20, "pp_sport layout");
_Static_assert(sizeof(struct pp_net) == 20, "pp_net layout");
_Static_assert(sizeof(struct pp_vxlan) == 24, "pp_vxlan layout");
_Static_assert(sizeof(struct pp_vtep) == 20, "pp_vtep layout");
_Static_assert(sizeof(struct pp_rflood) == 4 + 20 * PP_RFLOOD_MAX, "pp_rflood layout");
_Static_assert(sizeof(struct pp_netvlan_key) == 8, "pp_netvlan_key layout");
_Static_assert(sizeof(struct pp_qinq_key) == 8, "pp_qinq_key layout");
_Static_assert(sizeof(struct pp_srcmac_key) == 12, "pp_srcmac_key layout");
_Static_assert(sizeof(struct pp_fdb_key) == 12, "pp_fdb_key layout");
_Static_assert(sizeof(struct pp_dst_bucket) == 64, "pp_dst_bucket: one cache line");
_Static_assert(1u << (32 - 26) == PP_DST_BUCKETS, "pp_dst_idx folds to PP_DST_BUCKETS");
_Static_assert(sizeof(struct pp_flood) == 4 + 4 * PP_FLOOD_MAX, "pp_flood layout");
_Static_assert(sizeof(struct pp_sport_stats) == 32, "pp_sport_stats layout");
_Static_assert(sizeof(struct pp_drops) == 8 * PP_DROP_SLOTS, "pp_drops layout");
_Static_assert(PP_DROP_MAX <= PP_DROP_SLOTS, "pp_drops: every reason has its counter");
_Static_assert(sizeof(struct pp_layout) == 56, "pp_layout layout");
_Static_assert(sizeof(struct pp_fold_key) == 24, "pp_fold_key layout");
_Static_assert(sizeof(struct pp_name_key) == 36, "pp_name_key layout");
_Static_assert(sizeof(struct pp_neigh_key) == 24, "pp_neigh_key layout");
_Static_assert(sizeof(struct pp_neigh) == 8, "pp_neigh layout");
_Static_assert(sizeof(struct pp_sec_key) == 28, "pp_sec_key layout");
_Static_assert(sizeof(struct pp_sec_src) == 8, "pp_sec_src layout");
_Static_assert(sizeof(struct pp_sec_mac_key) == 12, "pp_sec_mac_key layout");
_Static_assert(sizeof(struct pp_dhcp) == 192, "pp_dhcp layout");
_Static_assert(sizeof(struct pp_svc_stats) == 8 * PP_SVC_STAT_COUNT, "pp_svc_stats layout");
_Static_assert(sizeof(struct pp_rule_bits) == 128, "pp_rule_bits layout");
_Static_assert(sizeof(struct pp_rule_addr_key) == 28, "pp_rule_addr_key layout");
_Static_assert(sizeof(struct pp_rule_l4_key) == 12, "pp_rule_l4_key layout");
_Static_assert(sizeof(struct pp_rule_set_key) == 8, "pp_rule_set_key layout");
_Static_assert(sizeof(struct pp_rule_set) == 136, "pp_rule_set layout");
_Static_assert(sizeof(struct pp_rule_stat_key) == 8, "pp_rule_stat_key layout");
_Static_assert(sizeof(struct pp_name_val) == 8, "pp_name_val layout");
_Static_assert(sizeof(struct pp_l3dom) == 16, "pp_l3dom layout");
_Static_assert(sizeof(struct pp_l3addr_key) == 24, "pp_l3addr_key layout");
_Static_assert(sizeof(struct pp_l3up) == 32, "pp_l3up layout");
_Static_assert(sizeof(struct pp_l3nh_key) == 24, "pp_l3nh_key layout");
_Static_assert(sizeof(struct pp_l3nh) == 16, "pp_l3nh layout");
_Static_assert(sizeof(struct pp_chain) == 8, "pp_chain layout");
_Static_assert(sizeof(struct pp_chain_src_key) == 8, "pp_chain_src_key layout");
_Static_assert(sizeof(struct pp_chain_hop) == 8 + 8 * PP_CHAIN_INST_MAX + PP_CHAIN_SLOTS,
	       "pp_chain_hop layout");
_Static_assert(sizeof(struct pp_chain_port) == 8, "pp_chain_port layout");
_Static_assert(PP_CHAIN_INST_MAX < PP_CHAIN_NONE, "an instance index is never PP_CHAIN_NONE");
#endif

#endif /* POLYPORT_H */
