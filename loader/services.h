/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The services a service port can have bound, and their encoders: what the
 * binding files and the API say about a service turned into the entries of
 * its maps (include/polyport.h).  Pure functions, no map or kernel access:
 * the daemon writes what they produce (loader/reconcile.c), the tests and
 * the fuzz targets check it.
 *
 * Functions return 0 or -errno.
 */
#ifndef PP_SERVICES_H
#define PP_SERVICES_H

#include "maps.h"
#include "config.h"

/* ---- names --------------------------------------------------------------- */

/*
 * The one table of service names: the keys of a service port's bind in a
 * binding file (loader/config.c), the API's /bind/NAME (loader/api/bindings.c), in
 * this order.  The names are macros so that static tables can use them.
 */
enum pp_service {
	PP_SERVICE_NETWORK,	/* the L2 network it is on */
	PP_SERVICE_L3,		/* or the L3 domain it routes in (never both) */
	PP_SERVICE_SECURITY,	/* port security and stateless rules */
	PP_SERVICE_RESPONDER,	/* ARP and NDP answered for its addresses */
	PP_SERVICE_DHCP,	/* a DHCPv4 server for it */
	PP_SERVICE_COUNT
};

#define PP_SERVICE_NAME_NETWORK		"network"
#define PP_SERVICE_NAME_L3		"l3"
#define PP_SERVICE_NAME_SECURITY	"security"
#define PP_SERVICE_NAME_RESPONDER	"responder"
#define PP_SERVICE_NAME_DHCP		"dhcp"
/* All of them, for messages: "network, l3, security, responder, dhcp". */
#define PP_SERVICE_NAMES_LIST		PP_SERVICE_NAME_NETWORK ", " PP_SERVICE_NAME_L3 ", " \
					PP_SERVICE_NAME_SECURITY ", " \
					PP_SERVICE_NAME_RESPONDER ", " PP_SERVICE_NAME_DHCP

extern const char *const pp_service_names[PP_SERVICE_COUNT];	/* by enum pp_service */

/* The enum pp_service of name, or -1 if no service has that name. */
int pp_service_find(const char *name);

/* ---- DHCP ---------------------------------------------------------------- */

/* A classless static route handed out by DHCP (option 121). */
struct pp_dhcp_route_in {
	__u8 dst[4];
	__u8 plen;
	__u8 via[4];
};

/*
 * Fill a pp_dhcp entry: the port's address, the gateway (server id, router,
 * source), and the options of an OFFER/ACK past type and server id, encoded:
 * lease (51), mask (1, from plen), router (3), DNS (6, if any), MTU (26),
 * classless static routes (121, if any, with 0.0.0.0/0 via the gateway
 * appended), end (255).  Returns 0, or -E2BIG if they do not fit.
 */
int pp_dhcp_encode(struct pp_dhcp *d, const __u8 yiaddr[4], __u8 plen, const __u8 server[4],
		   const __u8 server_mac[6], __u32 lease, __u16 mtu, const __u8 (*dns)[4],
		   unsigned n_dns, const struct pp_dhcp_route_in *routes, unsigned n_routes);

/* ---- responder ----------------------------------------------------------- */

/*
 * The responder's entry for address a on network net_id: answered with mac
 * (flags: PP_NEIGH_ROUTER for a gateway's address).
 */
void pp_neigh_encode(struct pp_neigh_key *k, struct pp_neigh *v, __u32 net_id,
		     const struct pp_cfg_addr *a, const __u8 mac[6], __u8 flags);

/* ---- security ------------------------------------------------------------ */

/*
 * The port security entry letting service port sport send from the first
 * plen bits of a (the rest of the key's address zero), with source mac.
 */
void pp_sec_src_encode(struct pp_sec_key *k, struct pp_sec_src *v, __u32 sport,
		       const struct pp_cfg_addr *a, __u8 plen, const __u8 mac[6]);

/* fe80::/64 with the modified EUI-64 of mac: the link-local address of a MAC, a /128. */
void pp_link_local_of(struct pp_cfg_addr *ll, const __u8 mac[6]);

/* ---- stateless rules ----------------------------------------------------- */

/* A stateless rule as the compiler takes it (first match wins, in order). */
struct pp_rule_in {
	__u8  proto;		/* 0 any, 1 icmp, 6 tcp, 17 udp, 58 icmpv6 */
	__u8  allow;
	__u8  has_type;		/* ICMP type */
	__u8  type;
	__u16 lo, hi;		/* destination port range; 0-0: any */
	__u16 slo, shi;		/* source port range (TCP, UDP); 0-0: any */
	__u8  from_family;	/* 0: any source, 4, 6 */
	__u8  from_plen;
	__u8  to_family;	/* 0: any destination, 4, 6 */
	__u8  to_plen;
	__u8  from[16];
	__u8  to[16];
};

/* A rule of a binding file (or the API) as the compiler takes it. */
void pp_rule_in_of(struct pp_rule_in *o, const struct pp_cfg_rule *c);

/*
 * Rule r seen from the other end, for a symmetric chain's reversed
 * classifier (PP_DIR_CHAIN_REV): source and destination CIDRs swapped,
 * destination and source ports swapped, an ICMP request's type its reply's
 * (echo, timestamp, information, address mask; ICMPv6 echo) and back; the
 * protocol, other ICMP types and the action as they are.
 */
void pp_rule_in_reverse(struct pp_rule_in *o, const struct pp_rule_in *r);

typedef int (*pp_rule_emit_fn)(void *arg, enum pp_map_id id, const void *key, const void *val);

/*
 * Compile the n rules of direction dir of service port sport into the
 * entries of pp_rule_set, pp_rule_addr and pp_rule_l4 (include/polyport.h),
 * handed to emit one by one.  No rules: no entries (the direction allows
 * everything).  When a rule has source ports, pp_rule_sp entries for TCP
 * and UDP too (a prefix-0 one among them: the rules without source ports);
 * else none.  A chain's classifier (sport: the chain's id, dir
 * PP_DIR_CHAIN_FWD or _REV, default_allow unused) also gets, per protocol
 * class, the pp_rule_l4 entry of dir | PP_DIR_CHAIN_FRAG that fragments are
 * matched by: every rule of that protocol, whatever its ports, source ports
 * or ICMP type.  Returns 0, -E2BIG (more than PP_RULES_MAX_BPF rules),
 * -ENOMEM or what emit returns.
 */
int pp_rules_compile(__u32 sport, __u8 dir, const struct pp_rule_in *r, unsigned n,
		     int default_allow, pp_rule_emit_fn emit, void *arg);

#endif /* PP_SERVICES_H */
