/*
 * polyport — binding files: the configuration model, its parser and its
 * validator.
 *
 * Every "*.yaml" file of a directory (lexical order of name) is read as part
 * of ONE configuration:
 *
 *   networks:
 *     <name>: {device: IFNAME, mtu: N, vlan: VID}
 *     <name>: {vxlan: {vni: N}, mtu: N}  stretched over VXLAN (issue 20):
 *                                        instead of device (exactly one of
 *                                        the two), no vlan; vni 1-16777215,
 *                                        unique among networks
 *   instance-ports:
 *     <name>:
 *       device: TAP
 *       mac: MAC
 *       mtu: N
 *       mode: auto | tc | xdp
 *       service-ports:
 *         <name>:
 *           vlan: VID | [OUTER, INNER]    exactly one of vlan,
 *           untagged: true                   untagged,
 *           src-mac: MAC                     src-mac
 *           mac: MAC
 *           addresses: [CIDR, ...]
 *           bind: {network: NAME} | {l3: {domain: NAME, routes: [{to: CIDR}]}}
 *                 (and the services: security, responder, dhcp)
 *   l3-domains:
 *     <name>:                            a network's name rules, and no
 *       table: N                         network has the same name
 *       mtu: N
 *       mac: MAC
 *       subnets: [{cidr: CIDR, gateway: ADDRESS}, ...]
 *       uplinks: [{device: IFNAME, addresses: [CIDR, ...]}, ...]
 *       routes: [{to: CIDR, via: ADDRESS}, ...]
 *   chains:                              (issue 17) a network's names rule,
 *     <name>:                            and no network or domain has the
 *       network: NAME                    same name
 *       classifier: [{proto, ports, source-ports, icmp-type, from, to}, ...]
 *       sources: {service-ports: [NAME, ...], network-device: BOOL}
 *       symmetric: BOOL
 *       on-failure: drop | bypass
 *       hops: [[{ingress: SPORT, egress: SPORT, weight: N}, ...], ...]
 *                                        a port named in hops is a hop port:
 *                                        it binds nothing else
 *   service-ports:                       service ports of an instance port
 *     <name>:                            defined anywhere in the
 *       instance-port: NAME              configuration (any file or source,
 *       vlan: ... | untagged: ... | ...  earlier or later): the same keys as
 *                                        a nested service port, plus the
 *                                        required instance-port
 *
 * A top-level service port is one more service port of its instance port:
 * the same name namespace, MAC inheritance, match/MAC/MTU checks. Nested
 * service ports are processed as their file is read; top-level ones after
 * every file (in the order of files, then position), so a conflict between
 * a nested and a top-level service port is reported at the top-level one.
 *
 * In-memory sources (pp_config_load, pp_config_load_buffers) may be JSON:
 * JSON is YAML flow syntax, and positions are line:column in that text.
 *
 * Loading is all-or-nothing: either a complete, valid model is returned, or
 * NULL and a list of errors, each "file:line:column: reason" (1-based, at the
 * offending key or value). Nothing here touches the host: devices that do not
 * exist are not an error.
 *
 * The model is plain arrays of fixed-size records (names are NUL-padded
 * char arrays), so two models can be compared record by record.
 *
 * The implementation is in loader/config/, one file per job; its
 * internal.h says which file does what.
 */
#ifndef POLYPORT_LOADER_CONFIG_H
#define POLYPORT_LOADER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "polyport.h"
#include "mode.h"

/* Names of networks, instance ports and service ports: 1-31 characters of
 * [A-Za-z0-9._-], the first one a letter or digit. */
#define PP_NAME_MAX	31
/* Linux interface names: 1-15 bytes (IFNAMSIZ - 1). */
#define PP_IFNAME_MAX	15

#define PP_VID_MIN	1
#define PP_VID_MAX	4094
#define PP_MTU_MIN	68
#define PP_MTU_MAX	65535
#define PP_MTU_DEFAULT	1500

/* Limits of one configuration (all files together). */
#define PP_MAX_SPORTS	131071	/* the service port ids of the maps (PP_DEF_MAX_SPORTS - 1) */
#define PP_MAX_IPORTS	65536
#define PP_MAX_NETWORKS	65536

/* Collections nested deeper in one file are refused (before libyaml reads
 * further: its scanner is quadratic in the depth). The schema needs 9. */
#define PP_YAML_DEPTH_MAX	64

#define PP_ETH_ALEN	6
/* "aa:bb:cc:dd:ee:ff" plus NUL */
#define PP_MAC_STRLEN	18

/* No index (e.g. the network of a service port whose network is unknown;
 * never seen in a model that loaded successfully). */
#define PP_NO_INDEX	UINT32_MAX

/* ------------------------------------------------------------------------ */
/* Errors */

struct pp_error {
	char *file;		/* file as opened (or the directory); never NULL */
	unsigned int line;	/* 1-based; 0 when the error has no position
				 * (e.g. a file that cannot be read) */
	unsigned int col;	/* 1-based; 0 when line is 0 */
	char *msg;		/* the reason, without the position */
};

/* A growable list of errors. Zero-initialised is empty and valid. */
struct pp_errors {
	struct pp_error *v;
	size_t n;
	size_t cap;
};

#define PP_ERRORS_INIT { NULL, 0, 0 }

void pp_errors_init(struct pp_errors *errs);
/* Free every error; the list is empty (and reusable) afterwards. */
void pp_errors_free(struct pp_errors *errs);
/* Append an error. line 0 means "no position". Returns 0 or -ENOMEM. */
int pp_errors_add(struct pp_errors *errs, const char *file, unsigned int line,
		  unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Format one error as "file:line:col: msg" (or "file: msg" without a
 * position). Returns what snprintf returns. */
int pp_error_format(const struct pp_error *e, char *buf, size_t len);
/* Print every error, one per line. */
void pp_errors_print(const struct pp_errors *errs, FILE *f);

/* ------------------------------------------------------------------------ */
/* The model */

/* Where an object is defined: the position of its name (the mapping key).
 * file points into pp_config.files. */
struct pp_loc {
	const char *file;
	uint32_t line;		/* 1-based */
	uint32_t col;		/* 1-based */
};


/* Match kinds: enum pp_match of include/polyport.h (the ABI). */

/* An IPv4 or IPv6 address with a prefix length (a CIDR). */
enum { PP_AF_NONE = 0, PP_AF_INET = 4, PP_AF_INET6 = 6 };

struct pp_cfg_addr {
	uint8_t family;			/* PP_AF_*; PP_AF_NONE: no address */
	uint8_t plen;			/* prefix length (32 / 128 for a host) */
	uint8_t addr[16];		/* IPv4 in the first 4 bytes, rest zero */
};

/* Parse "10.0.0.5", "10.0.0.5/24", "fd00::5/64".  need_len: the /len is
 * required; host: the address must not be the zero or all-ones ... (not
 * judged); a missing /len means a host prefix.  Returns 0 or -EINVAL. */
int pp_addr_parse(const char *s, size_t len, struct pp_cfg_addr *a, bool need_len);
/* "10.0.0.5/24" (with_len) or "10.0.0.5" */
void pp_addr_format(const struct pp_cfg_addr *a, bool with_len, char *buf, size_t len);
/* The fixed locally administered MAC of a network's gateway by default. */
void pp_gateway_mac(const char *net_name, uint8_t mac[PP_ETH_ALEN]);

struct pp_cfg_network {
	char name[PP_NAME_MAX + 1];
	char device[PP_IFNAME_MAX + 1];	/* the per-network device on this host;
					 * "" for a stretched network (vni) */
	/* vxlan: {vni: N} (issue 20): stretched over VXLAN to the other hosts
	 * with ports on it, through polyportd's VXLAN device; 0: not (device) */
	uint32_t vni;
	uint32_t mtu;			/* default PP_MTU_DEFAULT */
	uint16_t vlan;			/* the network's own tag on its device;
					 * 0 = untagged */
	/* gateway: {ipv4, ipv6, mac}: the services' identity on the network */
	bool has_gateway;		/* gateway: was given */
	struct pp_cfg_addr gw4, gw6;	/* family PP_AF_NONE when absent */
	uint8_t gw_mac[PP_ETH_ALEN];	/* `mac:`, else pp_gateway_mac(name) */
	bool gw_mac_explicit;
	struct pp_loc loc;
};

/*
 * l3-domains: NAME: {table, mtu, mac, subnets, uplinks, routes} (issue 16).
 * A routing domain: its own kernel table (IPv4 and IPv6), a gateway per
 * subnet (one gateway MAC for all), uplinks toward the outside.
 */
#define PP_L3_SUBNETS_MAX	16	/* subnets of one domain */
#define PP_L3_UPLINKS_MAX	4	/* uplinks of one domain */
#define PP_L3_UPLINK_ADDRS_MAX	2	/* addresses of one uplink (one per family) */
#define PP_L3_ROUTES_MAX	64	/* static routes of one domain */
#define PP_L3_PORT_ROUTES_MAX	8	/* prefixes behind one L3 port */

struct pp_cfg_l3subnet {
	struct pp_cfg_addr cidr;	/* the subnet (host bits zero) */
	struct pp_cfg_addr gateway;	/* in it, a host address (plen 32/128) */
	struct pp_loc loc;
};

struct pp_cfg_l3uplink {
	char device[PP_IFNAME_MAX + 1];
	struct pp_cfg_addr addrs[PP_L3_UPLINK_ADDRS_MAX];	/* with /len */
	uint32_t n_addrs;
	struct pp_loc loc;
};

struct pp_cfg_l3route {
	struct pp_cfg_addr to;		/* the prefix (host bits zero) */
	struct pp_cfg_addr via;		/* family PP_AF_NONE: none (L3 port routes) */
	struct pp_loc loc;
};

struct pp_cfg_l3domain {
	char name[PP_NAME_MAX + 1];
	uint32_t table;			/* required, unique; not 0, 252..255 */
	uint32_t mtu;			/* default PP_MTU_DEFAULT */
	uint8_t gw_mac[PP_ETH_ALEN];	/* `mac:`, else pp_gateway_mac(name) */
	bool gw_mac_explicit;
	struct pp_cfg_l3subnet subnets[PP_L3_SUBNETS_MAX];
	uint32_t n_subnets;
	struct pp_cfg_l3uplink uplinks[PP_L3_UPLINKS_MAX];
	uint32_t n_uplinks;
	struct pp_cfg_l3route routes[PP_L3_ROUTES_MAX];
	uint32_t n_routes;
	struct pp_loc loc;
};

/*
 * chains: NAME: {network, classifier, sources, symmetric, on-failure, hops}
 * (issue 17).  Steers the classified unicast of one network (at most one
 * chain per network) through hops of service functions' service ports.
 */
#define PP_CHAIN_CLASSIFIER_MAX	256	/* classifier entries of one chain */
#define PP_CHAIN_SOURCES_MAX	64	/* sources.service-ports of one chain */
#define PP_CHAIN_WEIGHT_MAX	100

struct pp_cfg_chain_inst {
	uint32_t in, out;		/* ingress / egress service port (pp_config.sports) */
	uint32_t weight;		/* 1..PP_CHAIN_WEIGHT_MAX, default 1 */
	struct pp_loc loc;
};

struct pp_cfg_chain_hop {		/* a group of equivalent instances */
	struct pp_cfg_chain_inst inst[PP_CHAIN_INST_MAX];
	uint32_t n_inst;
	struct pp_loc loc;
};

struct pp_cfg_chain {
	char name[PP_NAME_MAX + 1];
	uint32_t network;		/* index in pp_config.networks */
	/* the classifier: pp_config.rules[rule_first .. + n_rules), dir PP_RULE_CHAIN */
	uint32_t rule_first, n_rules;
	bool all_sources;		/* no `sources`: every port of the network and its device */
	uint32_t sources[PP_CHAIN_SOURCES_MAX];	/* service ports (pp_config.sports) */
	uint32_t n_sources;
	bool network_device;		/* sources.network-device */
	bool symmetric;
	bool bypass;			/* on-failure: bypass (else drop) */
	struct pp_cfg_chain_hop hops[PP_CHAIN_HOPS_MAX];
	uint32_t n_hops;
	struct pp_loc loc;
};

#define PP_IPORT_ID_MAX		64	/* an instance port's id: [A-Za-z0-9._:-], 1..64 */
#define PP_IPORT_ALIAS_PREFIX	"polyport:"	/* a tap's IFLA_IFALIAS naming an id */

struct pp_cfg_iport {
	char name[PP_NAME_MAX + 1];
	/*
	 * The VM's tap: the device called device, and (issue 18) every tap
	 * whose alias is PP_IPORT_ALIAS_PREFIX id, whatever its name.  At
	 * least one of the two is set; "" when not.
	 */
	char device[PP_IFNAME_MAX + 1];
	char id[PP_IPORT_ID_MAX + 1];	/* unique among instance ports (a Neutron port UUID fits) */
	uint8_t mac[PP_ETH_ALEN];
	uint32_t mtu;			/* default PP_MTU_DEFAULT */
	enum pp_mode mode;	/* default PP_MODE_AUTO */
	/*
	 * Migrating to this host from another (issue 19): programmed with no
	 * active tap unless its first frame (or activate) made one so, the
	 * newest bound tap its standby (loader/reconcile.c, taps_decide).
	 * Never set by the loader: the API sets it after a load.
	 */
	bool incoming;
	/* its service ports: sports[sport_first .. sport_first + sport_count),
	 * the nested ones first (in order of definition), then the top-level
	 * ones naming it (in order of definition) */
	uint32_t sport_first;
	uint32_t sport_count;
	struct pp_loc loc;
};

#define PP_SPORT_ADDRS_MAX	8	/* addresses of one service port */
#define PP_PAIRS_MAX		8	/* security allowed-pairs of one port */
#define PP_DHCP_DNS_MAX		4
#define PP_DHCP_ROUTES_MAX	8
#define PP_RULES_MAX		1024	/* rules of one direction of one port */
#define PP_LEASE_DEFAULT	86400

/* A security rule (pp_config.rules): first match wins, per direction. */
enum { PP_RULE_INGRESS = 0, PP_RULE_EGRESS = 1,
       PP_RULE_CHAIN = 2 };		/* a chain's classifier entry (no action) */

struct pp_cfg_rule {
	uint8_t dir;			/* PP_RULE_* */
	uint8_t proto;			/* 0 any, 1 icmp, 6 tcp, 17 udp, 58 icmpv6 */
	uint8_t allow;			/* action: allow (1) or drop (0) */
	uint8_t has_icmp_type;
	uint8_t icmp_type;
	uint16_t port_lo, port_hi;	/* destination port range; 0-0 = any */
	uint16_t sport_lo, sport_hi;	/* source-ports range (TCP, UDP); 0-0 = any */
	struct pp_cfg_addr from, to;	/* source / destination CIDR, or none */
	struct pp_loc loc;
};

struct pp_cfg_pair {			/* security allowed pair */
	uint8_t mac[PP_ETH_ALEN];
	bool has_ip;
	struct pp_cfg_addr ip;		/* an address or a CIDR */
};

struct pp_cfg_route {			/* dhcp classless static route */
	struct pp_cfg_addr to;
	uint8_t via[4];
};

struct pp_cfg_sport {
	char name[PP_NAME_MAX + 1];
	uint32_t iport;			/* index in pp_config.iports */
	enum pp_match match;
	uint16_t outer_vid;		/* VLAN: the VID; QINQ: S; else 0 */
	uint16_t inner_vid;		/* QINQ: C; else 0 */
	/* The effective MAC: `mac`, else (src-mac port) the src-mac, else the
	 * instance port's MAC. For PP_MATCH_SRCMAC it is also the matched
	 * source MAC. */
	uint8_t mac[PP_ETH_ALEN];
	bool mac_explicit;		/* `mac:` was given */
	bool toplevel;			/* defined under the top-level
					 * service-ports key (with
					 * instance-port), not nested */
	uint32_t network;		/* bind.network: index in pp_config.networks,
					 * PP_NO_INDEX when bound to an L3 domain */
	/* bind.l3: {domain, routes}: index in pp_config.l3domains, else
	 * PP_NO_INDEX (a port binds a network or a domain, never both) */
	uint32_t l3domain;
	/* named in a chain's hops: index in pp_config.chains, else PP_NO_INDEX
	 * (then network and l3domain are PP_NO_INDEX: a hop port binds nothing
	 * else); where: chain_hop, chain_inst and PP_CHAIN_ROLE_* in chain_role */
	uint32_t chain;
	uint8_t chain_hop, chain_inst, chain_role;
	struct pp_cfg_l3route l3_routes[PP_L3_PORT_ROUTES_MAX];	/* `to` only */
	uint32_t n_l3_routes;
	/* addresses: [CIDR, ...] (the /len gives the subnet) */
	struct pp_cfg_addr addrs[PP_SPORT_ADDRS_MAX];
	uint32_t n_addrs;
	/* bind.responder: {} */
	bool responder;
	/* bind.security: {allowed-pairs, ingress, egress, default,
	 * allow-dhcp-server, allow-ra} */
	bool security;
	struct pp_cfg_pair pairs[PP_PAIRS_MAX];
	uint32_t n_pairs;
	uint32_t rule_first;		/* pp_config.rules[rule_first ..]: */
	uint32_t n_ingress, n_egress;	/* the ingress rules, then the egress */
	bool default_allow;		/* default: allow (else drop) */
	bool allow_dhcp_server;		/* may send DHCP(v6) server replies */
	bool allow_ra;			/* may send router advertisements, redirects */
	/* bind.dhcp: {dns, lease, mtu, routes} */
	bool dhcp;
	uint8_t dns[PP_DHCP_DNS_MAX][4];
	uint32_t n_dns;
	uint32_t lease;			/* default PP_LEASE_DEFAULT */
	uint32_t dhcp_mtu;		/* 0: the network's MTU */
	struct pp_cfg_route routes[PP_DHCP_ROUTES_MAX];
	uint32_t n_routes;
	struct pp_loc loc;
};

/*
 * Cluster mode (issue 20): the other hosts' VTEPs and the MACs of the
 * stretched networks' service ports on them, from the store.  Never set by
 * the loader: the API sets them after a load (loader/api/cluster.c).
 */
#define PP_HOST_NAME_MAX	63

struct pp_cfg_vtep {
	char host[PP_HOST_NAME_MAX + 1];
	struct pp_cfg_addr addr;	/* its VTEP (a host address) */
};

struct pp_cfg_remote {
	uint32_t network;		/* index in pp_config.networks (a stretched one) */
	uint32_t vtep;			/* index in pp_config.vteps: the host it is on */
	uint8_t mac[PP_ETH_ALEN];	/* a service port's MAC there (or an allowed pair's) */
};

struct pp_config_index;

struct pp_config {
	/* networks and iports are in order of definition (files in the order
	 * read, then position in the file); sports are grouped by instance
	 * port, in the order of iports (see pp_cfg_iport.sport_first). */
	struct pp_cfg_network *networks;
	uint32_t n_networks;
	struct pp_cfg_iport *iports;
	uint32_t n_iports;
	struct pp_cfg_sport *sports;
	uint32_t n_sports;
	/* l3-domains, in order of definition */
	struct pp_cfg_l3domain *l3domains;
	uint32_t n_l3domains;
	/* chains, in order of definition */
	struct pp_cfg_chain *chains;
	uint32_t n_chains;
	/* security rules of every service port (pp_cfg_sport.rule_first) */
	struct pp_cfg_rule *rules;
	uint32_t n_rules;
	/* other hosts (cluster mode, issue 20): their VTEPs, the stretched
	 * networks' MACs there; set after a load, freed with the model */
	struct pp_cfg_vtep *vteps;
	uint32_t n_vteps;
	struct pp_cfg_remote *remotes;
	uint32_t n_remotes;
	/* the other hosts are not known yet (cluster mode, before the store's
	 * first list since the daemon started): the remote tables stay as
	 * pinned, a restart while etcd is away keeps forwarding to them */
	bool remotes_unknown;
	/* the files read, in order; pp_loc.file points at these strings */
	char **files;
	uint32_t n_files;
	struct pp_config_index *index;	/* private: lookups by name */
};

/* Bound to a network (bind.network), not to an L3 domain (bind.l3) or a chain. */
static inline bool pp_cfg_sport_on_net(const struct pp_cfg_sport *s)
{
	return s->network != PP_NO_INDEX;
}

/* Bound to an L3 domain (bind.l3). */
static inline bool pp_cfg_sport_on_l3(const struct pp_cfg_sport *s)
{
	return s->l3domain != PP_NO_INDEX;
}

/* A hop port: named in a chain's hops. */
static inline bool pp_cfg_sport_on_chain(const struct pp_cfg_sport *s)
{
	return s->chain != PP_NO_INDEX;
}

/* The name of what service port s is bound to: its network, L3 domain or chain. */
static inline const char *pp_cfg_sport_bound(const struct pp_config *cfg,
					     const struct pp_cfg_sport *s)
{
	if (pp_cfg_sport_on_net(s))
		return cfg->networks[s->network].name;
	if (pp_cfg_sport_on_l3(s))
		return cfg->l3domains[s->l3domain].name;
	return pp_cfg_sport_on_chain(s) ? cfg->chains[s->chain].name : "";
}

/* ------------------------------------------------------------------------ */
/* Loading */

/* One binding file held in memory. data need not be NUL-terminated. */
struct pp_config_source {
	const char *name;	/* used in errors and pp_loc.file */
	const char *data;
	size_t len;
};

/*
 * Load every "*.yaml" regular file of dir (symlinks followed), in lexical
 * (strcmp) order of name, as one configuration. Names starting with '.' and
 * names not ending in ".yaml" are ignored. Files are named "dir/name" in
 * errors ("name" when dir is ".").
 *
 * On success returns 0 and sets *out (free it with pp_config_free). On
 * failure returns a negative errno and sets *out to NULL:
 *   -EINVAL  the configuration is invalid (errors appended to errs)
 *   -ENOENT, -EACCES, ... the directory or a file could not be read (errors
 *            appended to errs as well; the other files are still checked)
 *   -ENOMEM  out of memory
 * errs may be NULL (errors are then discarded).
 */
int pp_config_load_dir(const char *dir, struct pp_config **out,
		       struct pp_errors *errs);

/* The same for a list of paths, read in the order given. */
int pp_config_load_files(const char *const *paths, size_t n,
			 struct pp_config **out, struct pp_errors *errs);

/* The same for files held in memory, read in the order given. */
int pp_config_load_buffers(const struct pp_config_source *src, size_t n,
			   struct pp_config **out, struct pp_errors *errs);

/*
 * The files of dir (as pp_config_load_dir), then the n_extra in-memory
 * sources extra[] (e.g. what the API created, rendered as JSON), all as ONE
 * configuration: the extra sources come last, in the order given, named by
 * their name. dir may be NULL (only the extra sources). Returns as
 * pp_config_load_dir; when dir cannot be opened nothing else is read.
 */
int pp_config_load(const char *dir, const struct pp_config_source *extra,
		   size_t n_extra, struct pp_config **out,
		   struct pp_errors *errs);

void pp_config_free(struct pp_config *cfg);

/*
 * The host configurations are loaded for (polyportd, issue 20): whether it
 * has a VTEP (--vtep) and the MTU of the underlay device its address is on.
 * Set once by the daemon before its first load; until then (polyportctl,
 * tests) loads make no host checks.  With it set, a stretched network on a
 * host without a VTEP, or whose MTU does not fit the underlay's minus the
 * VXLAN overhead (50 bytes over IPv4, 70 over IPv6), is a validation error.
 * pp_config_get_host() gives the current one (the cluster's global check
 * clears it around its load: another host's VTEP is not this one's).
 */
struct pp_config_host {
	bool set;			/* false: no host checks */
	uint8_t vtep_family;		/* PP_AF_INET / PP_AF_INET6; PP_AF_NONE: no VTEP */
	uint32_t underlay_mtu;		/* the VTEP's device's MTU */
};

void pp_config_set_host(const struct pp_config_host *h);
void pp_config_get_host(struct pp_config_host *h);

/* ------------------------------------------------------------------------ */
/* Binding files as API objects (polyportctl apply -f) */

/* One object of a binding file, as the API takes it. */
struct pp_export_obj {
	const char *kind;		/* the API's collection: "networks",
					 * "l3-domains", "instance-ports",
					 * "service-ports" */
	char name[PP_NAME_MAX + 1];
	char *json;			/* the body: one JSON object, NUL-ended */
	struct pp_loc loc;		/* its name in the file */
};

struct pp_export {
	struct pp_export_obj *objs;	/* networks, L3 domains, then
					 * instance ports each
					 * followed by its nested service ports,
					 * then top-level service ports (files
					 * in order, then position) */
	size_t n;
	char **files;			/* pp_loc.file points at these */
	uint32_t n_files;
};

/*
 * Read the sources with this loader, as ONE configuration that may refer to
 * networks and instance ports defined elsewhere (the daemon's files, the
 * API's objects): a reference to one not among the sources is not an error;
 * everything else is checked as pp_config_load_buffers does, with the same
 * errors. On success each object becomes a JSON body that the loader reads
 * back exactly as it read the file (the API renders its objects as JSON and
 * loads them with pp_config_load):
 *   - "name" first; a nested service port gets "instance-port" next and
 *     becomes a top-level one (the same service port, config.h); an instance
 *     port's body leaves out its "service-ports";
 *   - every other key and value as written, in order, with the scalars typed
 *     as the loader took them: a value it read as an integer is a JSON
 *     number, one it read as true/false (True, TRUE, ...) a JSON boolean, an
 *     empty value (~, null, Null, nothing) null, anything else a JSON string
 *     holding its text (so a network named True stays "True").
 * Returns as pp_config_load_buffers; *out is NULL on failure.
 */
int pp_config_export_buffers(const struct pp_config_source *src, size_t n,
			     struct pp_export **out, struct pp_errors *errs);
/* The same for files, read in the order given. */
int pp_config_export_files(const char *const *paths, size_t n,
			   struct pp_export **out, struct pp_errors *errs);
void pp_export_free(struct pp_export *ex);

/* ------------------------------------------------------------------------ */
/* Lookups (O(1)); NULL when there is no such object */

const struct pp_cfg_network *
pp_config_find_network(const struct pp_config *cfg, const char *name);
const struct pp_cfg_l3domain *
pp_config_find_l3domain(const struct pp_config *cfg, const char *name);
const struct pp_cfg_iport *
pp_config_find_iport(const struct pp_config *cfg, const char *name);
const struct pp_cfg_sport *
pp_config_find_sport(const struct pp_config *cfg, const char *name);
const struct pp_cfg_chain *
pp_config_find_chain(const struct pp_config *cfg, const char *name);
/* the instance port whose tap is ifname */
const struct pp_cfg_iport *
pp_config_find_iport_by_device(const struct pp_config *cfg, const char *ifname);
/* The instance port with id id, NULL if none. */
const struct pp_cfg_iport *
pp_config_find_iport_by_id(const struct pp_config *cfg, const char *id);

/* ------------------------------------------------------------------------ */
/* Helpers shared with the CLI and the API */

/* "vlan", "qinq", "untagged", "src-mac" */
const char *pp_match_name(enum pp_match kind);
/* lower-case "aa:bb:cc:dd:ee:ff" */
void pp_mac_format(const uint8_t mac[PP_ETH_ALEN], char buf[PP_MAC_STRLEN]);
/* Parse "aa:bb:cc:dd:ee:ff" (hex digits in either case, exactly two per
 * octet). Returns 0, or -EINVAL when malformed. Does not judge the value. */
int pp_mac_parse(const char *s, size_t len, uint8_t mac[PP_ETH_ALEN]);
/* A valid network/instance port/service port name? */
bool pp_name_valid(const char *s, size_t len);
/* A valid Linux interface name? (1-15 bytes; no '/', ':' or whitespace;
 * not "." or "..") */
bool pp_ifname_valid(const char *s, size_t len);

#endif /* POLYPORT_LOADER_CONFIG_H */
