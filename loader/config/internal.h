/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * polyport — binding files: what the files of loader/config/ share. Private:
 * the daemon, the CLI, the tests and the fuzzers use config.h.
 *
 * How it works (the file that does each step):
 *  1. Each file is turned into a small tree of its own (struct ynode) from
 *     libyaml's events, so every key and value keeps its position. Aliases
 *     (never expanded) and nesting deeper than PP_YAML_DEPTH_MAX stop the
 *     file at their position; anchors and tags are ignored. (yaml.c)
 *  2. The tree is walked with one table of keys per kind of mapping
 *     (struct keydef): unknown keys, duplicate keys and wrong value types
 *     are reported generically, then each present key's handler runs, in
 *     table order. Adding a key = one handler + one table row. (walk.c; the
 *     tables: load.c for the top level, then one file per kind of object:
 *     networks.c, l3domains.c, iports.c, sports.c, and bind.c with one file
 *     per service: security.c, dhcp.c; bind.l3 is read by l3domains.c)
 *  3. Objects are checked against what was defined before them as they are
 *     read (names, taps, devices, matches), through open-addressing hash
 *     tables, so every conflict is reported at the later definition.
 *     (walk.c for names, checks.c, htab.c)
 *  4. The top-level service-ports of every file (kept as trees) are read
 *     once every file is: their instance-port may be defined anywhere.
 *     They are checked like nested ones, after all of them. (sports.c)
 *  5. A last pass over the service ports resolves bind.network and bind.l3
 *     and checks what needs every file read: the network exists, its MTU
 *     fits the instance port, its MACs are distinct; the L3 domain exists,
 *     the port's addresses are in its subnets; no network has a domain's
 *     name. (checks.c) Then, when there are
 *     top-level service ports, the service ports are regrouped by instance
 *     port. (load.c)
 * Errors are collected at their position and sorted (errors.c); values are
 * read by values.c; the model is returned whole or not at all (load.c), or
 * exported as the API's objects (export.c).
 *
 * Avoiding cascades: an object whose name is invalid or already taken is
 * dropped (its fields are still checked, but it takes part in no further
 * cross-object check); a value that failed its own check takes part in no
 * cross-object check; "unknown network" is not reported when some network
 * definition could not be read (unreadable file, YAML error, bad name);
 * the same for "unknown instance port" and instance port definitions.
 *
 * A new kind of object (as the L3 domains were): its record and array in
 * struct pp_config (config.h); its state in struct ld (below; freed in
 * ld_free, load.c); one schema file with its table of keys, its handlers
 * and its top-level entry (as networks.c); that entry as a row of top_keys
 * (load.c) and its collection in export_objects (export.c); its checks
 * against other objects in checks.c; the file in CFG_OBJS (Makefile).
 */
#ifndef PP_CONFIG_INTERNAL_H
#define PP_CONFIG_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "util.h"


/* The loader's arrays grow from 16 (util.h). */
#define GROW(a, n, cap) PP_GROW(a, n, cap, 16)
#define GROW2(a, b, n, cap) PP_GROW2(a, b, n, cap, 16)

/* A user string, quoted and escaped for a message, cut when long. */
struct qbuf {
	char s[100];
};

/* ======================================================================== */
/* htab.c */

/* Open-addressing hash table: fixed 32-byte keys (zero-padded names,
 * devices, or small packed structs) -> uint32_t (an index). */

#define HKEY_LEN 32

struct hent {
	uint8_t key[HKEY_LEN];
	uint32_t val;
	uint32_t used;
};

struct htab {
	struct hent *e;
	size_t cap;	/* a power of two, or 0 */
	size_t n;
};

/* 0: inserted; 1: already there (*old = its value); -ENOMEM */
int htab_put(struct htab *h, const uint8_t *key, uint32_t val, uint32_t *old);
bool htab_get(const struct htab *h, const uint8_t *key, uint32_t *val);
void htab_free(struct htab *h);
/* A name or a device as a key: zero-padded. */
void str_key(uint8_t k[HKEY_LEN], const char *s, size_t len);

struct pp_config;

/*
 * The instance ports by id: ids (up to PP_IPORT_ID_MAX) do not fit a
 * 32-byte key, so this table holds only indices of cfg->iports (+ 1; 0:
 * free) and compares against their id. An instance port is added once it
 * is stored in cfg->iports.
 */
struct idtab {
	uint32_t *e;
	size_t cap;	/* a power of two, or 0 */
	size_t n;
};

/* 0: added; 1: that id is taken (*old = its instance port); -ENOMEM */
int idtab_put(struct idtab *t, const struct pp_config *cfg, uint32_t idx, uint32_t *old);
bool idtab_get(const struct idtab *t, const struct pp_config *cfg, const char *id,
	       uint32_t *idx);
void idtab_free(struct idtab *t);

/* ======================================================================== */
/* yaml.c: YAML -> a tree that keeps positions */

enum ytype { Y_SCALAR, Y_MAP, Y_SEQ, Y_BAD /* an alias, already reported */ };

/* How the loader read a scalar (set by the handler that took it): what
 * pp_config_export_buffers writes for it: the API then reads it the same. */
enum yread { YR_TEXT = 0, YR_INT, YR_BOOL };

struct ynode {
	struct ynode *next;	/* next sibling */
	struct ynode *first;	/* first child; a mapping's children are
				 * key, value, key, value, ... */
	const char *str;	/* SCALAR: NUL-terminated */
	size_t len;
	uint32_t count;		/* children */
	uint32_t line, col;	/* 1-based */
	uint8_t type;
	bool plain;		/* SCALAR: plain style (not quoted/block) */
	uint8_t read_as;	/* SCALAR: enum yread */
};

/*
 * Record that a handler took scalar n as an integer or a boolean. The tree
 * is the loader's own (arena memory); handlers only see it as const.
 */
static inline void read_as(const struct ynode *n, enum yread how)
{
	((struct ynode *)n)->read_as = (uint8_t)how;
}

struct achunk {
	struct achunk *next;
	size_t used, cap;
	_Alignas(16) char data[];
};

struct arena {
	struct achunk *head;
};

struct ld;

/* Move every chunk of from to to. */
void arena_move(struct arena *to, struct arena *from);
void arena_free(struct arena *a);
/* ~, null, Null, NULL or nothing, unquoted */
bool is_null(const struct ynode *n);
/* "a mapping", "an empty value", "\"foo\"" ... for type errors */
const char *node_desc(struct qbuf *b, const struct ynode *n);
int yaml_to_tree(struct ld *ld, const char *data, size_t len,
		 struct ynode **root);

/* ======================================================================== */
/* The loader's state (load.c creates it, every file adds to it) */

struct xloc {			/* a position, with the file as an index */
	uint32_t fidx, line, col;
};

struct net_aux {
	struct xloc name;
	bool mtu_ok;
};

struct l3_aux {
	struct xloc name;
	bool subnets_partial;	/* a subnet was refused: "in no subnet" is
				 * not reported (it may be in that one) */
};

struct iport_aux {
	struct xloc name;
	bool mtu_ok;
	bool mac_ok;
};

enum mac_from { MAC_UNKNOWN, MAC_EXPLICIT, MAC_SRCMAC, MAC_INHERITED };

struct sport_aux {
	struct xloc name;
	struct xloc mac;	/* where the effective MAC comes from */
	struct xloc net;	/* bind.network's value */
	char net_name[PP_NAME_MAX + 1];
	bool has_net;		/* bind.network holds a valid name */
	uint8_t mac_from;	/* enum mac_from */
	struct xloc addr[PP_SPORT_ADDRS_MAX];	/* its addresses */
	struct xloc dhcp;	/* bind.dhcp's key */
	/* bind.l3 */
	struct xloc l3;		/* its key */
	struct xloc l3_dom;	/* its domain's value */
	char l3_name[PP_NAME_MAX + 1];
	bool has_l3;		/* bind.l3.domain holds a valid name */
	struct xloc l3_route[PP_L3_PORT_ROUTES_MAX];	/* their to: values */
	/* bind: its key when present (a hop port has none); without one, the
	 * error waits for the chains (a chain's hops may name the port) */
	struct xloc bind;
	bool has_bind;
	bool no_bind;		/* no bind key: reported unless a chain names it */
};

/* A chain's references by name, resolved once every file is read (its
 * hops and sources may be service ports of any file). */
struct chain_ref {
	char name[PP_NAME_MAX + 1];
	struct xloc at;		/* the value */
	bool ok;		/* a valid name */
};

struct chain_aux {
	struct xloc name;
	struct chain_ref net;
	struct chain_ref in[PP_CHAIN_HOPS_MAX][PP_CHAIN_INST_MAX];
	struct chain_ref out[PP_CHAIN_HOPS_MAX][PP_CHAIN_INST_MAX];
	struct chain_ref src[PP_CHAIN_SOURCES_MAX];
};

struct errkey {
	uint32_t fidx, line, col;
	size_t seq;
};

struct ld {
	struct pp_config *cfg;
	struct pp_errors *errs;
	size_t err_base;
	struct errkey *ekeys;	/* sort keys of errs->v[err_base ..] */
	size_t n_ekeys, cap_ekeys;
	int fatal;		/* -ENOMEM: stop */
	int io_err;		/* the first errno reading a file */
	uint32_t fidx;		/* the file being read */
	bool nets_incomplete;	/* a network may be missing: no "unknown
				 * network" errors */
	bool iports_incomplete;	/* the same for instance ports */
	bool l3_incomplete;	/* the same for L3 domains */
	bool sports_incomplete;	/* the same for service ports (a chain's hops) */
	bool chains_incomplete;	/* a chain may be missing: no "has no bind"
				 * errors (it may name the port) */
	bool too_many_nets, too_many_iports, too_many_sports, too_many_l3, too_many_chains;
	size_t cap_files, cap_nets, cap_iports, cap_sports, cap_rules, cap_l3, cap_chains;
	struct net_aux *net_aux;
	struct l3_aux *l3_aux;
	struct iport_aux *ip_aux;
	struct sport_aux *sp_aux;
	struct chain_aux *ch_aux;
	struct htab net_by_name, ip_by_name, sp_by_name;
	struct htab tap;		/* tap device -> instance port */
	struct idtab ip_by_id;		/* instance ports by id */
	struct htab netdev;		/* device -> first network on it */
	struct htab netdev_vlan;	/* (device, vlan) -> network */
	struct htab netvni;		/* VNI -> stretched network */
	struct htab match;		/* (iport, match) -> service port */
	struct htab wire;		/* (iport, MAC on the untagged wire) -> sport */
	struct htab netmac;		/* (network, MAC) -> service port */
	struct htab netaddr;		/* (network, address) -> service port */
	struct htab l3_by_name;		/* L3 domains by name */
	struct htab l3table;		/* kernel table -> L3 domain */
	struct htab l3updev;		/* uplink device -> (domain, uplink) */
	struct htab l3addr;		/* (domain, address) -> L3 port */
	struct htab l3route;		/* (domain, port route) -> (port, route) */
	struct htab ch_by_name;		/* chains by name */
	struct arena arena;		/* the tree of the file being read */
	struct arena kept;		/* trees of files with top-level
					 * service-ports, read at the end */
	bool keep_tree;			/* keep this file's tree */
	struct deferred *defer;		/* top-level service-ports mappings */
	size_t n_defer, cap_defer;
	uint32_t n_toplevel;		/* top-level service ports kept */
	struct ynode **roots;		/* exporting: every file's tree (kept) */
};

struct deferred {
	uint32_t fidx;
	const struct ynode *map;
};

struct pp_config_index {
	struct htab net, ip, sp, tap, l3, chain;
	struct idtab ip_id;
};

#define XF "%s:%u:%u"
#define XA(ld, x) (ld)->cfg->files[(x).fidx], (x).line, (x).col

static inline struct xloc xloc_of(const struct ld *ld, const struct ynode *n)
{
	return (struct xloc){ ld->fidx, n->line, n->col };
}

static inline struct pp_loc pp_loc_of(const struct ld *ld, const struct ynode *n)
{
	return (struct pp_loc){ ld->cfg->files[ld->fidx], n->line, n->col };
}

static inline void oom(struct ld *ld)
{
	ld->fatal = -ENOMEM;
}

/* ======================================================================== */
/* errors.c: errors at a position (nothing once ld->fatal is set) */

__attribute__((format(printf, 3, 4)))
void err_node(struct ld *ld, const struct ynode *n, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void err_x(struct ld *ld, struct xloc x, const char *fmt, ...);
__attribute__((format(printf, 2, 3)))
void err_file(struct ld *ld, const char *fmt, ...);
int sort_errors(struct ld *ld);

/* ======================================================================== */
/* values.c: values of nodes; each reports its error and returns false */

const char *quote(struct qbuf *b, const char *s, size_t len);
bool parse_uint_node(struct ld *ld, const struct ynode *v, const char *what,
		     uint32_t lo, uint32_t hi, uint32_t *out);
bool parse_mac_node(struct ld *ld, const struct ynode *v, const char *what,
		    uint8_t mac[PP_ETH_ALEN]);
bool parse_ifname_node(struct ld *ld, const struct ynode *v, const char *what,
		       char out[PP_IFNAME_MAX + 1]);
bool parse_addr_node(struct ld *ld, const struct ynode *v, const char *what,
		     bool host, bool need_len, uint8_t fam, struct pp_cfg_addr *a);
bool parse_bool_node(struct ld *ld, const struct ynode *v, const char *what,
		     bool *out);

/* ======================================================================== */
/* walk.c: walking mappings with tables of keys */

/* What a mapping is, for messages: "the top level", "network \"x\"",
 * "bind of service port \"s\"". Formatted only when there is an error. */
struct ctx {
	const char *prefix;		/* "" or e.g. "bind of " */
	const char *kind;		/* "network", "service port", ... */
	const struct ynode *name;	/* NULL: kind alone */
};

struct ctxbuf {
	char s[160];
};

enum { KT_SCALAR = 1, KT_MAP = 2, KT_SEQ = 4 };

/* A key's handler (a function type: a handler is declared "key_fn name;"). */
typedef void key_fn(struct ld *ld, void *obj, const struct ynode *key,
		    const struct ynode *val);

struct keydef {
	const char *name;
	unsigned int types;	/* KT_*: accepted value types; KT_MAP also
				 * accepts an empty value (= empty mapping) */
	const char *what;	/* what the value must be, for type errors */
	key_fn *fn;		/* called with a value of an accepted type */
};

#define MAX_KEYS 16

/* What reads one entry of a mapping of names (walk_named). */
typedef void entry_fn(struct ld *ld, void *parent, const struct ynode *key,
		      const struct ynode *val);

const char *ctx_str(struct ctxbuf *b, const struct ctx *c);
bool key_is(const struct ynode *k, const char *name);
void walk_keys(struct ld *ld, const struct ynode *map,
	       const struct keydef *kd, size_t nkd, void *obj,
	       const struct ctx *ctx, const struct ynode **found);
void walk_named(struct ld *ld, const struct ynode *map, const char *ctx,
		entry_fn *fn, void *parent);
bool check_body(struct ld *ld, const struct ynode *v, const struct ctx *ctx);
bool walk_entry(struct ld *ld, const struct ynode *e, const char *what, const struct keydef *kd,
		size_t nkd, void *obj, const struct ctx *ctx, const struct ynode **found);
bool check_name(struct ld *ld, const struct ynode *k, const char *kind);
bool register_name(struct ld *ld, const struct ynode *k,
		   const char *kind, struct htab *h, uint32_t idx,
		   const struct xloc *(*prior)(const struct ld *, uint32_t));

/* ======================================================================== */
/* The schema: one file per kind of object, one per service */

struct iport_parse {
	struct pp_cfg_iport ip;
	struct iport_aux aux;
	uint32_t idx;
	bool keep;		/* registered: its service ports are kept */
	const struct ynode *dev;	/* device value, when valid */
	const struct ynode *idv;	/* id value, when valid */
	bool dev_none;		/* device: "" (the API's "none") */
	bool id_none;		/* id: "" */
	struct ctx ctx;
};

struct sport_parse {
	struct iport_parse *ipp;	/* NULL: a top-level service port whose
					 * instance port is unknown */
	struct iport_parse top_ipp;	/* top-level: the named instance port */
	struct pp_cfg_sport sp;
	struct sport_aux aux;
	struct ctx ctx;
	bool match_ok;		/* the match key's value is valid */
	const struct ynode *match_val;
	uint8_t srcmac[PP_ETH_ALEN];
	bool srcmac_ok;
	const struct ynode *srcmac_val;
	uint8_t mac[PP_ETH_ALEN];
	bool mac_ok;
	const struct ynode *mac_val;
	bool bind_walked;	/* bind was a mapping */
	bool net_given;		/* bind.network was present */
	bool l3_given;		/* bind.l3 was present */
};

/* networks.c, l3domains.c, iports.c, sports.c, chains.c: the rows of top_keys (load.c) */
key_fn h_networks, h_l3domains, h_iports, h_top_sports, h_chains;
/* sports.c: a nested service port (parent: its instance port's iport_parse) */
entry_fn parse_sport;
/* sports.c: the top-level service ports kept by h_top_sports */
void read_top_sports(struct ld *ld);
/* bind.c: bind of a service port (obj: its sport_parse) */
key_fn h_sp_bind;
/* security.c, dhcp.c: services of bind_keys (obj: a sport_parse) */
key_fn h_bind_security, h_bind_dhcp;
/* security.c: a list of rules (security's, or a chain's classifier with
 * dir PP_RULE_CHAIN) appended to cfg->rules; *count counts them up to max */
void parse_rule_list(struct ld *ld, const struct ynode *v, uint8_t dir, const char *what,
		     const struct ctx *ctx, uint32_t *count, uint32_t max);
/* l3domains.c: bind.l3 of a service port (obj: a sport_parse) */
key_fn h_bind_l3;

/* l3domains.c: prefixes. a lies in prefix p (same family, p's first
 * p->plen bits equal) */
bool addr_in_prefix(const struct pp_cfg_addr *a, const struct pp_cfg_addr *p);
/* "network address" or "broadcast address" when host address a of subnet
 * p is one of those (IPv4 up to /30, IPv6 up to /126), else NULL */
const char *subnet_special(const struct pp_cfg_addr *a, const struct pp_cfg_addr *p);

/* ======================================================================== */
/* checks.c: the checks between objects. The int ones return 0 or -ENOMEM;
 * the others set ld->fatal. */

int check_net_device(struct ld *ld, const struct pp_cfg_network *net,
		     uint32_t idx, const struct ynode *dev,
		     const struct ynode *vlan);
/* A stretched network (issue 20): its VNI is no other network's, and, when
 * the host is set (pp_config_set_host), the host can carry it: it has a
 * VTEP and the network's MTU fits the underlay's minus the VXLAN overhead.
 * vx: its vxlan key; vni: its vni value; mtu: its mtu key (NULL: the
 * default MTU), mtu_ok: its MTU is valid. Returns 0 or -ENOMEM. */
int check_net_vxlan(struct ld *ld, const struct pp_cfg_network *net, uint32_t idx,
		    const struct ynode *vx, const struct ynode *vni,
		    const struct ynode *mtu, bool mtu_ok);
int check_iport_tap(struct ld *ld, const struct pp_cfg_iport *ip, uint32_t idx,
		    const struct ynode *dev);
/* Instance port idx (stored) has an id no other one has. idv: its value. */
int check_iport_id(struct ld *ld, uint32_t idx, const struct ynode *idv);
void check_match(struct ld *ld, struct sport_parse *p, uint32_t idx);
/* L3 domain idx (stored): its table is its own, its uplinks' devices are
 * no other uplink's, network's or tap. table: its value when valid, or
 * NULL; updev[u]: uplink u's device value. Returns 0 or -ENOMEM. */
int check_l3domain(struct ld *ld, uint32_t idx, const struct ynode *table,
		   const struct ynode *const *updev);
void check_bindings(struct ld *ld);
/* chains.c: resolve the chains' network, hops and sources (marking the hop
 * ports), once every file is read; called by check_bindings after the
 * service ports' networks are resolved */
void check_chains(struct ld *ld);
/* chains.c: no chain has the name of a network or an L3 domain */
void check_chain_names(struct ld *ld);

/* ======================================================================== */
/* load.c, export.c */

struct src {
	const char *name;
	const char *data;
	size_t len;
	int err;		/* errno when the file could not be read */
};

int load_sources(const struct src *src, size_t n, struct pp_config **out,
		 struct pp_errors *errs_in, struct pp_export *ex);
int load_files_and_buffers(const char *const *paths, size_t n,
			   const struct pp_config_source *extra,
			   size_t n_extra, struct pp_config **out,
			   struct pp_errors *errs, struct pp_export *ex);
int export_objects(struct ld *ld, struct pp_export *ex);

#endif /* PP_CONFIG_INTERNAL_H */
