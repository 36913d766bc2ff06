/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The API's insides, shared by the files of loader/api/ (the public API is
 * loader/api.h): struct pp_api, a request on its way (struct call), the
 * object kinds, and what each file offers the others.
 *
 *   router.c    pp_api_request(), the routes table, the answers (reply_*)
 *   http.c      libmicrohttpd and the Unix socket: the only MHD calls
 *   objects.c   the handlers common to every kind: GET, POST/PUT/PATCH/DELETE
 *   networks.c, l3domains.c, iports.c, sports.c, chains.c, bindings.c   one
 *               kind (or sub-resource) each
 *   store.c     api.json: read, shape-checked, written, rendered as a source
 *   state.c     a damaged api.json, the loads with it, create/destroy
 *   kept.c      the objects kept from a damaged api.json, and /v1/status
 *   events.c    /v1/events (long poll) and the status changes behind it
 *   metrics.c   /v1/stats and /metrics
 *
 * Adding a kind of object: an enum kind value, a file with its
 * count/find/JSON functions, and its row in kinds[] (router.c).
 */
#ifndef PP_API_INTERNAL_H
#define PP_API_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "api.h"

struct MHD_Connection;
struct MHD_Daemon;
struct MHD_Response;

enum kind { K_NET, K_IPORT, K_SPORT, K_L3DOM, K_CHAIN, K_COUNT };

/* A kind of object: its row in the routes table (kinds[], router.c). */
struct api_kind {
	const char *path;	/* /v1/<path> and the key in the store and the source */
	const char *what;	/* in messages */
	const char *sub;	/* /v1/<path>/NAME/<sub>/X (bindings.c), or NULL */
	uint32_t (*count)(const struct pp_config *cfg);
	/* index in cfg of the object named name, or -1 */
	long (*find)(const struct pp_config *cfg, const char *name);
	json_object *(*json)(struct pp_api *a, uint32_t i);
};

extern const struct api_kind kinds[K_COUNT];

/*
 * enum kind -> the kind of pp_daemon_status() (K_L3DOM: PP_NAME_L3DOM) and
 * the kind its names are pinned under in pp_names (L3 domains': the
 * networks', PP_NAME_NET, whose ids they share).
 */
#define NAME_KIND(k)	((__u32)(k) + PP_NAME_NET)
#define PIN_KIND(k)	((k) == K_L3DOM || (k) == K_CHAIN ? (__u32)PP_NAME_NET : NAME_KIND(k))
_Static_assert(NAME_KIND(K_L3DOM) == PP_NAME_L3DOM, "K_L3DOM's statuses");
_Static_assert(NAME_KIND(K_CHAIN) == PP_NAME_CHAIN, "K_CHAIN's statuses");

#define EVENTS_MAX	4096
#define WAITERS_MAX	256
#define ARGS_MAX	16
/* our record of a damaged state file, kept in api.json beside the objects */
#define STATE_REC	"state-file"
#define STORE_FILE_MAX	(512u << 20)
#define KEPT_FROM "kept from the damaged state file"

struct line_ref {		/* what a line of the rendered source holds */
	int kind;		/* -1: structure */
	char name[PP_NAME_MAX + 1];
	char field[24];
};

struct waiter {
	struct MHD_Connection *conn;
	double deadline;	/* monotonic seconds */
};

/* An object kept from a damaged state file, as pinned. */
struct kept_ent {
	char name[PP_NAME_LEN];
	__u32 id;		/* network id, slot or service port id */
	struct pp_sport sp;	/* service ports: the pinned entry */
};

struct pp_api {
	struct pp_daemon *d;
	struct pp_api_opts o;
	struct cluster *cl;		/* cluster mode (cluster.c), or NULL */
	char store_path[512];
	json_object *store;		/* {"networks": {NAME: {..., "revision": N}}, ...} */
	/* the store rendered as a binding source, and what each line holds */
	char *src;
	size_t src_len;
	struct line_ref *lines;
	size_t nlines;
	struct MHD_Daemon *mhd, *mhd_metrics;
	int listen_fd;
	/*
	 * What the daemon's loop watches: an epoll set of both MHD daemons' epoll
	 * sets and a timer for the nearest deadline (a long poll's, a scrape
	 * waiting for its second, MHD's own), so a deadline is met even when
	 * other descriptors of the loop never let its epoll_wait time out.
	 */
	int ep, tfd;
	/* events */
	json_object *events[EVENTS_MAX];	/* ring, by seq % EVENTS_MAX */
	unsigned long long seq;			/* last event's seq */
	json_object *last_status;		/* "kind/name" -> "STATUS reason" */
	json_object *last_taps;			/* instance port -> its taps as last told (events.c) */
	struct waiter waiters[WAITERS_MAX];
	int nwaiters;
	int resumed;			/* connections resumed: MHD_run is due */
	unsigned long long requests;
	/* /metrics on TCP: one response, shared by every scrape for a while,
	 * and the scrapes served in the current second */
	struct MHD_Response *msnap;
	double msnap_t;
	double mwin_t;
	unsigned mwin_n;
	/* the state file */
	struct {
		bool damaged;		/* moved aside; objects kept */
		bool pending;		/* which objects are kept: not known yet (no
					 * configuration loaded since the damage) */
		bool unverified;	/* read from disk, not loaded with the files yet */
		char reason[400];	/* what was wrong with it */
		char kept_as[700];	/* where it was moved */
		char since[32];		/* when (UTC) */
		char obj_reason[800];	/* the kept objects' status reason */
	} sf;
	struct kept_ent *kept[K_COUNT];	/* by name */
	__u32 *kept_ids[K_COUNT];	/* sorted */
	size_t nkept[K_COUNT];
	struct kept_mac *kept_macs;	/* the kept service ports' (network, MAC), sorted */
};

struct kept_mac {
	__u32 net_id;
	__u8 mac[6];
};

/* A request on its way through the router, with its answer: no HTTP here. */
struct call {
	struct pp_api *a;
	const char *method;
	const char *url;		/* the path, unescaped */
	const char *argk[ARGS_MAX], *argv[ARGS_MAX];	/* the query */
	int nargs;
	const char *body;
	size_t len;
	bool metrics_only;		/* the TCP listener */
	bool may_wait;			/* a long poll may wait (HTTP) */
	bool resumed;			/* a long poll that waited */
	/* the answer */
	unsigned status;
	const char *type;
	char *text;			/* malloc'd */
	size_t text_len;
	bool wait;			/* wait for an event until deadline */
	double deadline;
};

static inline double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline const char *arg(const struct call *k, const char *key)
{
	for (int i = 0; i < k->nargs; i++)
		if (!strcmp(k->argk[i], key))
			return k->argv[i];
	return NULL;
}

/* router.c: the answers, and the request path */
int reply_text(struct call *k, unsigned code, const char *type, const char *text);
int reply_json(struct call *k, unsigned code, json_object *o);
int reply_err(struct call *k, unsigned code, const char *ecode, const char *field,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int route(struct call *c);
size_t url_unescape(char *s);

/* http.c */
void api_wake(struct pp_api *a);
void api_http_stop(struct pp_api *a);

/* store.c: api.json, and the store rendered as a binding source */
struct sbuf {
	char *s;
	size_t len, cap;
};

struct rbuf {
	struct sbuf text;
	struct line_ref *lines;
	size_t nlines, cap_lines;
};

json_object *store_kind(json_object *store, enum kind k);
/* JSON text on one line, as the store and the rendered source hold it */
const char *json_plain(json_object *v);
/* The string at key of o, or dflt (absent, not a string, o NULL) */
const char *json_str(json_object *o, const char *key, const char *dflt);
json_object *store_get(json_object *store, enum kind k, const char *name);
int store_count(json_object *store);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void render(json_object *store, struct rbuf *r);
void render_with(json_object *store, struct rbuf *r, bool with_pending);
/*
 * A service port of the store (obj, NULL: none) that waits: it has no bind
 * and no chain of the store names it in its hops (a hop port binds
 * nothing, and is created before its chain).  It is saved but not
 * rendered, so not loaded, until a chain names it; GET shows it DOWN.
 */
bool sport_pending(json_object *store, const char *name, json_object *obj);
void adopt_render(struct pp_api *a, struct rbuf *r);
void rbuf_free(struct rbuf *r);
bool json_text_has_nul(const char *s, size_t len);
bool json_nul_path(json_object *o, char *path, size_t len, size_t at);
void utc_stamp(char *buf, size_t len, const char *fmt);
void fsync_dir(const char *dir);
int store_save(struct pp_api *a, json_object *store);
int store_read(const char *path, json_object **out, json_object **rec, char *why, size_t len);

/* state.c: a damaged api.json, and loading with the API objects */
void sf_obj_reason(struct pp_api *a);
void store_damaged(struct pp_api *a, const char *why);
json_object *sf_json(const struct pp_api *a);
void api_positions(char *out, size_t len, const char *msg);
const struct pp_error *pick_error(const struct pp_errors *errs, const struct line_ref *lines,
				  size_t nlines, int k, const char *name,
				  const struct line_ref **ref);
int load_with(struct pp_api *a, const char *src, size_t len, const struct line_ref *lines,
	      size_t nlines, struct pp_config **out, struct pp_errors *errs);
int state_discard(struct call *c);

/*
 * place.c: cluster mode (issue 19), which objects of the store a host
 * programs.  place(store, host, p) fills p with copies (store is not
 * changed):
 *  - placed: a store (a->store's shape) for render(): with host, the
 *    instance ports whose host (or migrating-to) is host, their service
 *    ports, the networks with a device there (devices[host], else device)
 *    and the stretched ones (vxlan, never a device) a service port there binds,
 *    the L3 domains those service ports bind, the chains naming one of them
 *    (hop instances and sources filtered to those here); host NULL: the
 *    global check, every object, each instance port's device and each
 *    network's device replaced by a synthetic name ("pp-t<n>"; "pp-g<n>",
 *    one per device name: networks sharing a device still clash).  No
 *    host, migrating-to or devices is left; revision is kept.
 *  - skipped: {"<kind path>/<name>": reason}: what host would program but
 *    cannot (no device for its network here, a hop with no instance here, a
 *    cluster field of a wrong shape), and their dependants (a network's
 *    service ports and chains, an instance port's or L3 domain's service
 *    ports; a skipped service port leaves its chains' hops and sources, a
 *    chain left with an empty hop is skipped).  Empty for NULL.
 *  - incoming: {"<iport>": "<its host>" or ""}: migrating to host.
 *  - errors: {"<kind path>/<name>": "<field>: reason"}: cluster fields of a
 *    wrong shape (host names: host_name_valid; devices: {HOST: IFNAME}); the
 *    global check refuses them, a host skips the object.
 * place_load() loads p->placed (with the binding files of the API's
 * config_dir if with_files, else alone): errors on API objects drop them and
 * their dependants (skipped, the error as reason; a file's error naming an
 * API object's position drops that object) and it retries, at most
 * 16 loads; any other error fails as a load does (errs).  On
 * success *out, *r the render loaded (to adopt), p->placed and p->skipped
 * updated; on failure p is unchanged.
 */
struct placement {
	json_object *placed;
	json_object *skipped;
	json_object *incoming;
	json_object *errors;
};

bool host_name_valid(const char *s);
int place(json_object *store, const char *host, struct placement *p);
void placement_free(struct placement *p);
int place_load(struct pp_api *a, struct placement *p, bool with_files,
	       struct pp_config **out, struct pp_errors *errs, struct rbuf *r);

/*
 * Stretched networks (issue 20), from the store.  host_vtep(): the VTEP of
 * a host's record (hosts/<host>): 1 and *addr, 0 none ("vtep" absent or
 * null), -EINVAL malformed (not a string holding one IPv4/IPv6 address).
 * cluster_remotes(): cfg->vteps and cfg->remotes (malloc'd; replaced) of
 * host me: for each service port of store bound to a network stretched in
 * cfg (vni), whose instance port's host is another host with a VTEP in
 * hosts (host -> record; its migrating-to does not count until committed,
 * and a port migrating to me is mine), (network, MAC) -> that host, the
 * MAC its `mac`, else `src-mac`, else its instance port's `mac` (malformed:
 * none), and each MAC of its bind.security.allowed-pairs.  vteps sorted by
 * host name, remotes by (network, MAC), each (network, MAC) once (a MAC on
 * two hosts: the first host by name's).  0 or -ENOMEM (then none).
 * remotes_key(): the same from the placed share's stretched networks (by
 * name, before the load), as sorted text: equal texts, equal remotes for
 * the same share (share_changed()).  NULL: out of memory.
 */
int host_vtep(json_object *rec, struct pp_cfg_addr *addr);
int cluster_remotes(json_object *store, json_object *hosts, const char *me, struct pp_config *cfg);
char *remotes_key(json_object *store, json_object *hosts, const char *me, json_object *placed);

/*
 * cluster.c: cluster mode (--store etcd=...): a->store mirrors the store's
 * objects (all hosts'), a->src renders this host's share.  Each is a no-op
 * (or NULL, or -1) without a store.
 */
#define PP_HOST_MAX		63
#define PP_CLUSTER_PREFIX	"/polyport/v1/"
#define PP_CLUSTER_TTL		10	/* s: a host's lease */
#ifndef PP_VERSION_STRING
#define PP_VERSION_STRING	"0.19"
#endif
struct cluster;
int cluster_create(struct pp_api *a);
int cluster_listen(struct pp_api *a);
void cluster_destroy(struct pp_api *a);
void cluster_run(struct pp_api *a);
long cluster_timeout_ms(struct pp_api *a);
int cluster_load_config(struct pp_api *a, struct pp_config **out, struct pp_errors *errs);
/* A change validated for the whole store and this host, committed, applied: 0, or -1 answered. */
int cluster_commit(struct call *c, json_object *cand, enum kind k, const char *name,
		   bool deleting);
void cluster_notify(struct pp_api *a);
void cluster_add_fields(struct pp_api *a, json_object *o, enum kind k, const char *name);
json_object *cluster_obj_json(struct pp_api *a, enum kind k, const char *name);
void cluster_list_more(struct pp_api *a, enum kind k, json_object *arr);
const char *cluster_iport_status(struct pp_api *a, const char *name);
json_object *cluster_status_json(struct pp_api *a);

/* kept.c: the pinned names, and what is kept from a damaged api.json */
struct nament {
	__u32 kind, id;
	char name[PP_NAME_LEN];
};

struct nview {
	struct nament *by_name, *by_id;
	size_t n, cap;
};

int nview_load(const struct pp_api *a, struct nview *nv);
void nview_free(struct nview *nv);
__u32 nview_id(const struct nview *nv, __u32 kind, const char *name);
const char *nview_name(const struct nview *nv, __u32 kind, __u32 id);
const struct kept_ent *kept_find(const struct pp_api *a, enum kind k, const char *name);
void kept_clear(struct pp_api *a);
size_t kept_total(const struct pp_api *a);
bool keep_entry(void *arg, enum pp_map_id map, const void *key, const void *val);
void kept_from_record(struct pp_api *a, json_object *rec);
int kept_settle(struct pp_api *a, const struct pp_config *cfg);
int kept_check(struct pp_api *a, const struct pp_config *cfg, struct pp_errors *errs,
	       const struct line_ref *lines, size_t nlines);
json_object *kept_json(struct pp_api *a, enum kind k, const struct kept_ent *e,
		       const struct nview *nv);
json_object *status_json(struct pp_api *a);

/* objects.c: what every kind shares */
const struct pp_obj_status *obj_st(const struct pp_api *a, enum kind k, uint32_t i);
void add_status(json_object *o, const struct pp_obj_status *st);
void add_meta(struct pp_api *a, json_object *o, enum kind k, const char *name);
json_object *json_addr(const struct pp_cfg_addr *ad, bool with_len);
json_object *json_mac(const uint8_t mac[PP_ETH_ALEN]);
json_object *json_ip4(const uint8_t v[4]);
long find_obj(struct pp_api *a, enum kind k, const char *name);
json_object *obj_json(struct pp_api *a, enum kind k, uint32_t i);
json_object *list_json(struct pp_api *a, enum kind k);
int serve_kind(struct call *c, enum kind k, char **parts, int n);
/* Do two objects of the store hold the same fields (their revisions aside)? */
bool same_object(json_object *x, json_object *y);
/* An object of the store as the API shows it (its fields, name, revision,
 * source; no status yet): a new object, or NULL when there is none. */
json_object *store_obj_json(struct pp_api *a, enum kind k, const char *name);
/* The request's body: a JSON object, or NULL answered (400, or 422 for a NUL) */
json_object *api_parse_body(struct call *c);

/* networks.c, l3domains.c, iports.c, sports.c: one kind each */
/* A kind's count and find (kinds[]) over its array in struct pp_config. */
#define API_KIND_LOOKUP(kind, type, arr, n, find_fn)				\
	uint32_t kind##_count(const struct pp_config *cfg)			\
	{									\
		return cfg->n;							\
	}									\
	long kind##_find(const struct pp_config *cfg, const char *name)		\
	{									\
		const type *p = find_fn(cfg, name);				\
										\
		return p ? p - cfg->arr : -1;					\
	}
uint32_t net_count(const struct pp_config *cfg);
long net_find(const struct pp_config *cfg, const char *name);
json_object *net_json(struct pp_api *a, uint32_t i);
uint32_t l3dom_count(const struct pp_config *cfg);
long l3dom_find(const struct pp_config *cfg, const char *name);
json_object *l3dom_json(struct pp_api *a, uint32_t i);
uint32_t chain_count(const struct pp_config *cfg);
long chain_find(const struct pp_config *cfg, const char *name);
json_object *chain_json(struct pp_api *a, uint32_t i);
json_object *rule_json(const struct pp_cfg_rule *r);
uint32_t iport_count(const struct pp_config *cfg);
long iport_find(const struct pp_config *cfg, const char *name);
json_object *iport_json(struct pp_api *a, uint32_t i);
/* GET /v1/instance-ports?id=ID; POST /v1/instance-ports/NAME/activate */
int iport_list_by_id(struct call *c, const char *id);
int iport_activate(struct call *c, const char *name);
uint32_t sport_count(const struct pp_config *cfg);
long sport_find(const struct pp_config *cfg, const char *name);
json_object *sport_json(struct pp_api *a, uint32_t i);
void add_match(json_object *o, unsigned match, unsigned outer, unsigned inner, const char *mac);

/* bindings.c: PUT/DELETE /v1/service-ports/NAME/bind/SERVICE on obj (-1: answered) */
int bind_change(struct call *c, json_object *body, json_object *obj, const char *service,
		bool del);

/* events.c */
int serve_events(struct call *k);

/* metrics.c */
json_object *stats_json(struct pp_api *a);
char *metrics_text(struct pp_api *a);

#endif /* PP_API_INTERNAL_H */
