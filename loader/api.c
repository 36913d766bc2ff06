// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The northbound API (see api.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include "api.h"
#include "reconcile.h"
#include "services.h"
#include "util.h"
#include "xdpmode.h"
#include "log.h"

enum kind { K_NET, K_IPORT, K_SPORT, K_COUNT };

static const struct {
	const char *path;	/* /v1/<path> and the key in the store and the source */
	const char *what;	/* in messages */
} kinds[K_COUNT] = {
	[K_NET] = { "networks", "network" },
	[K_IPORT] = { "instance-ports", "instance port" },
	[K_SPORT] = { "service-ports", "service port" },
};

/* enum kind -> enum pp_name_kind (pp_names) */
#define NAME_KIND(k)	((__u32)(k) + PP_NAME_NET)

#define EVENTS_MAX	4096
#define WAITERS_MAX	256
#define ARGS_MAX	16
/* our record of a damaged state file, kept in api.json beside the objects */
#define STATE_REC	"state-file"
#define STORE_FILE_MAX	(512u << 20)

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

struct req {
	char *body;
	size_t len;
	int too_large;
	int responded;
	int suspended;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *arg(const struct call *k, const char *key)
{
	for (int i = 0; i < k->nargs; i++)
		if (!strcmp(k->argk[i], key))
			return k->argv[i];
	return NULL;
}

/* ---- answers ---------------------------------------------------------------------- */

static int reply_text(struct call *k, unsigned code, const char *type, const char *text)
{
	free(k->text);
	k->text_len = strlen(text);
	k->text = strdup(text);
	k->status = k->text ? code : 500;
	k->type = type;
	if (!k->text)
		k->text_len = 0;
	return 0;
}

static int reply_json(struct call *k, unsigned code, json_object *o)
{
	reply_text(k, code, "application/json",
		   json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

static int reply_err(struct call *k, unsigned code, const char *ecode, const char *field,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int reply_err(struct call *k, unsigned code, const char *ecode, const char *field,
		     const char *fmt, ...)
{
	json_object *root = json_object_new_object(), *e = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(e, "code", json_object_new_string(ecode));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "field", field && *field ? json_object_new_string(field) : NULL);
	json_object_object_add(root, "error", e);
	return reply_json(k, code, root);
}

/* ---- the store and its rendering ---------------------------------------------- */

static json_object *store_kind(json_object *store, enum kind k)
{
	json_object *o;

	if (!json_object_object_get_ex(store, kinds[k].path, &o)) {
		o = json_object_new_object();
		json_object_object_add(store, kinds[k].path, o);
	}
	return o;
}

static json_object *store_get(json_object *store, enum kind k, const char *name)
{
	json_object *o;

	return json_object_object_get_ex(store_kind(store, k), name, &o) ? o : NULL;
}

static int store_count(json_object *store)
{
	int n = 0;

	for (int k = 0; k < K_COUNT; k++)
		n += json_object_object_length(store_kind(store, k));
	return n;
}

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();	/* out of memory for a few KB of text */
	}
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	b->len += n;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

struct rbuf {
	struct sbuf text;
	struct line_ref *lines;
	size_t nlines, cap_lines;
};

static void rb_line(struct rbuf *r, int kind, const char *name, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* One line of rendered text, and what it holds. */
static void rb_line(struct rbuf *r, int kind, const char *name, const char *field,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&r->text, fmt, ap);
	va_end(ap);
	sb_printf(&r->text, "\n");
	if (r->nlines + 1 >= r->cap_lines) {
		r->cap_lines = (r->nlines + 1) * 2 + 16;
		r->lines = realloc(r->lines, r->cap_lines * sizeof(*r->lines));
		if (!r->lines)
			abort();
	}
	r->lines[r->nlines].kind = kind;
	snprintf(r->lines[r->nlines].name, sizeof(r->lines[0].name), "%s", name ? name : "");
	snprintf(r->lines[r->nlines].field, sizeof(r->lines[0].field), "%s", field ? field : "");
	r->nlines++;
}

static const char *jtext(json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Render store as JSON (a YAML flow document), one field per line. */
static void render(json_object *store, struct rbuf *r)
{
	memset(r, 0, sizeof(*r));
	rb_line(r, -1, NULL, NULL, "{");
	for (int k = 0; k < K_COUNT; k++) {
		json_object *objs = store_kind(store, k);
		int nobj = json_object_object_length(objs), i = 0;

		rb_line(r, -1, NULL, NULL, "\"%s\": {", kinds[k].path);
		json_object_object_foreach(objs, name, obj) {
			int nf = 0, f = 0;
			json_object *nm = json_object_new_string(name);

			json_object_object_foreach(obj, key0, v0) {
				(void)v0;
				nf += strcmp(key0, "revision") != 0;
			}
			rb_line(r, k, name, NULL, "%s: {", jtext(nm));
			json_object_put(nm);
			json_object_object_foreach(obj, key, v) {
				json_object *kk;

				if (!strcmp(key, "revision"))
					continue;
				kk = json_object_new_string(key);
				rb_line(r, k, name, key, "%s: %s%s", jtext(kk), jtext(v),
					++f < nf ? "," : "");
				json_object_put(kk);
			}
			rb_line(r, k, name, NULL, "}%s", ++i < nobj ? "," : "");
		}
		rb_line(r, -1, NULL, NULL, "}%s", k + 1 < K_COUNT ? "," : "");
	}
	rb_line(r, -1, NULL, NULL, "}");
}

static void adopt_render(struct pp_api *a, struct rbuf *r)
{
	free(a->src);
	free(a->lines);
	a->src = r->text.s;
	a->src_len = r->text.len;
	a->lines = r->lines;
	a->nlines = r->nlines;
}

static void rbuf_free(struct rbuf *r)
{
	free(r->text.s);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

void pp_api_source(struct pp_api *a, struct pp_config_source *src)
{
	src->name = PP_API_SOURCE_NAME;
	src->data = a->src;
	src->len = a->src_len;
}

/* ---- NULs in strings --------------------------------------------------------------- */

/*
 * Does JSON text hold a "\u0000" escape inside a string?  json-c keeps it in
 * a value (the length says so) but cuts an object key there, and every C
 * string made of either would be cut: refused wherever it is.
 */
static bool json_text_has_nul(const char *s, size_t len)
{
	bool in = false;

	for (size_t i = 0; i < len; i++) {
		if (!in) {
			in = s[i] == '"';
		} else if (s[i] == '"') {
			in = false;
		} else if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && i + 5 < len && !memcmp(s + i + 2, "0000", 4))
				return true;
			i++;	/* the escaped character */
		} else if (!s[i]) {
			return true;
		}
	}
	return false;
}

/* The path (e.g. "addresses[0]") of the first string value under o holding a NUL. */
static bool json_nul_path(json_object *o, char *path, size_t len, size_t at)
{
	size_t n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return memchr(json_object_get_string(o), 0, json_object_get_string_len(o)) != NULL;
	case json_type_object: {
		json_object_object_foreach(o, key, v) {
			n = snprintf(path + at, len - at, "%s%s", at ? "." : "", key);
			if (json_nul_path(v, path, len, at + n < len ? at + n : len - 1))
				return true;
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			n = snprintf(path + at, len - at, "[%zu]", i);
			if (json_nul_path(json_object_array_get_idx(o, i), path, len,
					  at + n < len ? at + n : len - 1))
				return true;
		}
		break;
	default:
		break;
	}
	path[at] = 0;
	return false;
}

/* ---- the pinned names (pp_names), for what is kept ---------------------------------- */

struct nament {
	__u32 kind, id;
	char name[PP_NAME_LEN];
};

struct nview {
	struct nament *by_name, *by_id;
	size_t n, cap;
};

static int nview_add(const void *key, const void *val, void *arg)
{
	const struct pp_name_key *k = key;
	const struct pp_name_val *v = val;
	struct nview *nv = arg;

	if (k->kind < PP_NAME_NET || k->kind > PP_NAME_SPORT || !v->id)
		return 0;
	if (PP_GROW(nv->by_name, nv->n, nv->cap, 256))
		return -ENOMEM;
	nv->by_name[nv->n].kind = k->kind;
	nv->by_name[nv->n].id = v->id;
	memcpy(nv->by_name[nv->n].name, k->name, PP_NAME_LEN);
	nv->by_name[nv->n].name[PP_NAME_LEN - 1] = 0;
	nv->n++;
	return 0;
}

static int nament_by_name(const void *x, const void *y)
{
	const struct nament *a = x, *b = y;

	return a->kind != b->kind ? (a->kind < b->kind ? -1 : 1) : strcmp(a->name, b->name);
}

static int nament_by_id(const void *x, const void *y)
{
	const struct nament *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static void nview_free(struct nview *nv)
{
	free(nv->by_name);
	free(nv->by_id);
	memset(nv, 0, sizeof(*nv));
}

/* Every pinned name, looked up by name or by id. */
static int nview_load(const struct pp_api *a, struct nview *nv)
{
	memset(nv, 0, sizeof(*nv));
	if (pp_map_iter(pp_daemon_maps(a->d), PPM_NAMES, nview_add, nv))
		goto fail;
	nv->by_id = malloc((nv->n + 1) * sizeof(*nv->by_id));
	if (!nv->by_id)
		goto fail;
	if (nv->n) {
		memcpy(nv->by_id, nv->by_name, nv->n * sizeof(*nv->by_id));
		qsort(nv->by_name, nv->n, sizeof(*nv->by_name), nament_by_name);
		qsort(nv->by_id, nv->n, sizeof(*nv->by_id), nament_by_id);
	}
	return 0;
fail:
	nview_free(nv);
	return -ENOMEM;
}

static __u32 nview_id(const struct nview *nv, __u32 kind, const char *name)
{
	struct nament key = { .kind = kind };
	const struct nament *e;

	snprintf(key.name, sizeof(key.name), "%s", name);
	e = nv->n ? bsearch(&key, nv->by_name, nv->n, sizeof(key), nament_by_name) : NULL;
	return e ? e->id : 0;
}

static const char *nview_name(const struct nview *nv, __u32 kind, __u32 id)
{
	struct nament key = { .kind = kind, .id = id };
	const struct nament *e = nv->n ? bsearch(&key, nv->by_id, nv->n, sizeof(key), nament_by_id)
				       : NULL;

	return e ? e->name : NULL;
}

/* ---- the state file ------------------------------------------------------------------ */

static int kept_ent_cmp(const void *x, const void *y)
{
	return strcmp(((const struct kept_ent *)x)->name, ((const struct kept_ent *)y)->name);
}

static int u32_cmp(const void *x, const void *y)
{
	__u32 a = *(const __u32 *)x, b = *(const __u32 *)y;

	return a < b ? -1 : a > b;
}

static const struct kept_ent *kept_find(const struct pp_api *a, enum kind k, const char *name)
{
	struct kept_ent key;

	if (!a->nkept[k] || strlen(name) >= sizeof(key.name))
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, a->kept[k], a->nkept[k], sizeof(key), kept_ent_cmp);
}

static bool kept_id(const struct pp_api *a, enum kind k, __u32 id)
{
	return id && a->nkept[k] && bsearch(&id, a->kept_ids[k], a->nkept[k], sizeof(id), u32_cmp);
}

static int kept_mac_cmp(const void *x, const void *y)
{
	const struct kept_mac *a = x, *b = y;

	if (a->net_id != b->net_id)
		return a->net_id < b->net_id ? -1 : 1;
	return memcmp(a->mac, b->mac, 6);
}

static void kept_clear(struct pp_api *a)
{
	free(a->kept_macs);
	a->kept_macs = NULL;
	for (int k = 0; k < K_COUNT; k++) {
		free(a->kept[k]);
		free(a->kept_ids[k]);
		a->kept[k] = NULL;
		a->kept_ids[k] = NULL;
		a->nkept[k] = 0;
	}
}

static int kept_add(struct pp_api *a, enum kind k, const char *name, __u32 id)
{
	size_t n = a->nkept[k];
	struct kept_ent *t = a->kept[k];

	if (!(n & (n - 1))) {		/* 0, 1, 2, 4, ...: room for as many again */
		t = realloc(t, (n ? 2 * n : 1) * sizeof(*t));
		if (!t)
			return -ENOMEM;
	}
	a->kept[k] = t;
	memset(&t[a->nkept[k]], 0, sizeof(*t));
	snprintf(t[a->nkept[k]].name, sizeof(t->name), "%s", name);
	t[a->nkept[k]].id = id;
	if (k == K_SPORT)
		pp_sport_get(pp_daemon_maps(a->d), id, &t[a->nkept[k]].sp);
	a->nkept[k]++;
	return 0;
}

/* After adding: sorted by name, and the ids sorted beside. */
static int kept_index(struct pp_api *a)
{
	for (int k = 0; k < K_COUNT; k++) {
		free(a->kept_ids[k]);
		a->kept_ids[k] = malloc((a->nkept[k] + 1) * sizeof(__u32));
		if (!a->kept_ids[k])
			return -ENOMEM;
		for (size_t i = 0; i < a->nkept[k]; i++)
			a->kept_ids[k][i] = a->kept[k][i].id;
		if (a->nkept[k]) {
			qsort(a->kept[k], a->nkept[k], sizeof(*a->kept[k]), kept_ent_cmp);
			qsort(a->kept_ids[k], a->nkept[k], sizeof(__u32), u32_cmp);
		}
	}
	free(a->kept_macs);
	a->kept_macs = malloc((a->nkept[K_SPORT] + 1) * sizeof(*a->kept_macs));
	if (!a->kept_macs)
		return -ENOMEM;
	for (size_t i = 0; i < a->nkept[K_SPORT]; i++) {
		a->kept_macs[i].net_id = a->kept[K_SPORT][i].sp.net_id;
		memcpy(a->kept_macs[i].mac, a->kept[K_SPORT][i].sp.mac, 6);
	}
	if (a->nkept[K_SPORT])
		qsort(a->kept_macs, a->nkept[K_SPORT], sizeof(*a->kept_macs), kept_mac_cmp);
	return 0;
}

static size_t kept_total(const struct pp_api *a)
{
	return a->nkept[K_NET] + a->nkept[K_IPORT] + a->nkept[K_SPORT];
}

/*
 * The reconcile's question (struct pp_daemon.keep): does this stale entry
 * belong to a kept object?  Names by (kind, name); service ports and the
 * services' tables by the service port in their key (or, pp_neigh, by the
 * network and the MAC of a kept service port there); allowed pairs' pp_fdb
 * entries by the port they name.
 */
static bool keep_entry(void *arg, enum pp_map_id map, const void *key, const void *val)
{
	const struct pp_api *a = arg;
	__u32 id;

	if (!a->sf.damaged || !kept_total(a))
		return false;
	switch (map) {
	case PPM_NAMES: {
		const struct pp_name_key *k = key;
		char name[PP_NAME_LEN];

		if (k->kind < PP_NAME_NET || k->kind > PP_NAME_SPORT)
			return false;
		memcpy(name, k->name, sizeof(name));
		name[PP_NAME_LEN - 1] = 0;
		return kept_find(a, k->kind - PP_NAME_NET, name) != NULL;
	}
	case PPM_SEC_SRC:
	case PPM_RULE_ADDR:
	case PPM_RULE_L4:	/* (prefixlen, sport, ...) */
		memcpy(&id, (const char *)key + 4, sizeof(id));
		return kept_id(a, K_SPORT, id);
	case PPM_SPORTS:
	case PPM_SEC_MAC:
	case PPM_RULE_SET:
	case PPM_DHCP:		/* (sport, ...) */
		memcpy(&id, key, sizeof(id));
		return kept_id(a, K_SPORT, id);
	case PPM_FDB:		/* -> sport */
		memcpy(&id, val, sizeof(id));
		return kept_id(a, K_SPORT, id);
	case PPM_NEIGH: {
		const struct pp_neigh_key *k = key;
		const struct pp_neigh *v = val;
		struct kept_mac km = { .net_id = k->net_id };

		if (kept_id(a, K_NET, k->net_id))
			return true;
		memcpy(km.mac, v->mac, 6);
		return a->kept_macs && a->nkept[K_SPORT] &&
		       bsearch(&km, a->kept_macs, a->nkept[K_SPORT], sizeof(km), kept_mac_cmp);
	}
	default:
		return false;
	}
}

static void utc_stamp(char *buf, size_t len, const char *fmt)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, fmt, &tm);
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fsync(fd))
		pr_warn("api: fsync %s: %s\n", dir, strerror(errno));
	close(fd);
}

/* What api.json says about a damage (the kept objects by name; null: not known yet). */
static json_object *state_record(const struct pp_api *a)
{
	json_object *r = json_object_new_object(), *kept = NULL;

	json_object_object_add(r, "status", json_object_new_string("damaged"));
	json_object_object_add(r, "reason", json_object_new_string(a->sf.reason));
	json_object_object_add(r, "kept-as", json_object_new_string(a->sf.kept_as));
	json_object_object_add(r, "since", json_object_new_string(a->sf.since));
	if (!a->sf.pending) {
		kept = json_object_new_object();
		for (int k = 0; k < K_COUNT; k++) {
			json_object *arr = json_object_new_array();

			for (size_t i = 0; i < a->nkept[k]; i++)
				json_object_array_add(arr, json_object_new_string(a->kept[k][i].name));
			json_object_object_add(kept, kinds[k].path, arr);
		}
	}
	json_object_object_add(r, "kept", kept);
	return r;
}

/*
 * Write store to api.json atomically: a temporary file, synced, renamed
 * over it, and the directory synced (the rename itself is durable only
 * then).  While the state file is damaged, the record of it goes along, so a
 * restart keeps what is kept.
 */
static int store_save(struct pp_api *a, json_object *store)
{
	char tmp[600];
	const char *text;
	size_t len, off = 0;
	int fd, err = 0;

	if (a->sf.damaged)
		json_object_object_add(store, STATE_REC, state_record(a));
	text = json_object_to_json_string_ext(store, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_SPACED);
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->store_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		err = -errno;
	while (!err && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n > 0)
			off += n;
	}
	if (!err && (write(fd, "\n", 1) != 1 || fsync(fd)))
		err = -errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, a->store_path))
		err = -errno;
	if (!err)
		fsync_dir(a->o.state_dir);
	else
		unlink(tmp);
	json_object_object_del(store, STATE_REC);
	return err;
}

static bool name_ok(const char *s)
{
	return pp_name_valid(s, strlen(s));
}

/* Is our record of a damage well formed? */
static bool record_ok(json_object *rec, char *why, size_t len)
{
	json_object *kept, *v;

	if (!json_object_is_type(rec, json_type_object)) {
		snprintf(why, len, "\"%s\" is not an object", STATE_REC);
		return false;
	}
	json_object_object_foreach(rec, key, val) {
		if (!strcmp(key, "kept"))
			continue;
		if (strcmp(key, "status") && strcmp(key, "reason") && strcmp(key, "kept-as") &&
		    strcmp(key, "since")) {
			snprintf(why, len, "unknown key \"%s\" in \"%s\"", key, STATE_REC);
			return false;
		}
		if (!json_object_is_type(val, json_type_string)) {
			snprintf(why, len, "\"%s.%s\" is not a string", STATE_REC, key);
			return false;
		}
	}
	if (!json_object_object_get_ex(rec, "kept", &kept) || !kept)
		return true;
	for (int k = 0; json_object_is_type(kept, json_type_object) && k < K_COUNT; k++) {
		if (!json_object_object_get_ex(kept, kinds[k].path, &v))
			continue;
		if (!json_object_is_type(v, json_type_array))
			goto bad;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			json_object *n = json_object_array_get_idx(v, i);

			if (!json_object_is_type(n, json_type_string) || !name_ok(json_object_get_string(n)))
				goto bad;
		}
	}
	if (json_object_is_type(kept, json_type_object))
		return true;
bad:
	snprintf(why, len, "\"%s.kept\" is not a list of names per kind", STATE_REC);
	return false;
}

/* Is a store read from disk of the shape the API writes? */
static bool store_shape_ok(json_object *o, char *why, size_t len)
{
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, len, "the top level is not an object");
		return false;
	}
	json_object_object_foreach(o, key, val) {
		int k;

		if (!strcmp(key, STATE_REC)) {
			if (!record_ok(val, why, len))
				return false;
			continue;
		}
		for (k = 0; k < K_COUNT && strcmp(key, kinds[k].path); k++)
			;
		if (k == K_COUNT) {
			snprintf(why, len, "unknown key \"%.40s\" at the top level", key);
			return false;
		}
		if (!json_object_is_type(val, json_type_object)) {
			snprintf(why, len, "\"%s\" is not an object", key);
			return false;
		}
		json_object_object_foreach(val, name, obj) {
			json_object *rev;

			if (!name_ok(name)) {
				snprintf(why, len, "invalid %s name \"%.40s\"", kinds[k].what, name);
				return false;
			}
			if (!json_object_is_type(obj, json_type_object)) {
				snprintf(why, len, "%s \"%s\" is not an object", kinds[k].what, name);
				return false;
			}
			if (json_object_object_get_ex(obj, "revision", &rev) &&
			    (!json_object_is_type(rev, json_type_int) || json_object_get_int64(rev) < 0)) {
				snprintf(why, len, "%s \"%s\": revision is not a count", kinds[k].what,
					 name);
				return false;
			}
		}
	}
	return true;
}

/*
 * Read api.json: 0 and *out (with *rec, our record of a damage, taken out
 * of it, or NULL); -ENOENT when there is none; any other -errno: it is
 * damaged, and why says how.
 */
static int store_read(const char *path, json_object **out, json_object **rec, char *why,
		      size_t len)
{
	struct json_tokener *tok = NULL;
	json_object *o = NULL;
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	int fd, err = 0;

	*out = *rec = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(why, len, "unreadable: %s", strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > STORE_FILE_MAX) {
		snprintf(why, len, "not a regular file of at most %u MiB", STORE_FILE_MAX >> 20);
		err = -EINVAL;
		goto out;
	}
	text = malloc(st.st_size + 1);
	if (!text) {
		err = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, len, "unreadable: %s", n ? strerror(errno) : "short read");
			err = -EIO;
			goto out;
		}
		got += n;
	}
	text[got] = 0;
	tok = json_tokener_new();
	o = tok ? json_tokener_parse_ex(tok, text, (int)got) : NULL;
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		snprintf(why, len, "not valid JSON (%s at offset %zu)",
			 !got ? "empty" : tok ? json_tokener_error_desc(json_tokener_get_error(tok))
					     : "out of memory",
			 tok ? (size_t)json_tokener_get_parse_end(tok) : 0);
		err = -EINVAL;
	} else if (strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
		   got - json_tokener_get_parse_end(tok)) {
		snprintf(why, len, "not valid JSON (trailing data at offset %zu)",
			 (size_t)json_tokener_get_parse_end(tok));
		err = -EINVAL;
	} else if (json_text_has_nul(text, got)) {
		snprintf(why, len, "a string holds a NUL character (\\u0000)");
		err = -EINVAL;
	} else if (!store_shape_ok(o, why, len)) {
		err = -EINVAL;
	}
out:
	if (tok)
		json_tokener_free(tok);
	free(text);
	close(fd);
	if (err) {
		json_object_put(o);
		return err;
	}
	if (json_object_object_get_ex(o, STATE_REC, rec)) {
		json_object_get(*rec);
		json_object_object_del(o, STATE_REC);
	}
	for (int k = 0; k < K_COUNT; k++)
		store_kind(o, k);
	*out = o;
	return 0;
}

/* The kept objects named by our record (null: not known yet), as pinned now. */
static void kept_from_record(struct pp_api *a, json_object *rec)
{
	json_object *kept, *v;
	struct nview nv;

	snprintf(a->sf.reason, sizeof(a->sf.reason), "%s",
		 json_object_get_string(json_object_object_get(rec, "reason")) ?: "");
	snprintf(a->sf.kept_as, sizeof(a->sf.kept_as), "%s",
		 json_object_get_string(json_object_object_get(rec, "kept-as")) ?: "");
	snprintf(a->sf.since, sizeof(a->sf.since), "%s",
		 json_object_get_string(json_object_object_get(rec, "since")) ?: "");
	a->sf.damaged = true;
	a->sf.pending = !json_object_object_get_ex(rec, "kept", &kept) || !kept;
	if (a->sf.pending || nview_load(a, &nv))
		return;
	for (int k = 0; k < K_COUNT; k++) {
		if (!json_object_object_get_ex(kept, kinds[k].path, &v))
			continue;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(v, i));
			__u32 id = nview_id(&nv, NAME_KIND(k), name);

			if (id)		/* no longer pinned: nothing to keep */
				kept_add(a, k, name, id);
		}
	}
	nview_free(&nv);
	kept_index(a);
}

static void sf_obj_reason(struct pp_api *a)
{
	snprintf(a->sf.obj_reason, sizeof(a->sf.obj_reason), "state file damaged, kept as %s",
		 a->sf.kept_as);
}

/*
 * api.json is damaged (why): move it aside as api.json.bad-<UTC time>, and
 * from now on keep what it held as it is pinned.  A first damage starts
 * from no API objects; a damage while damaged (a restored file that is no
 * better) keeps the objects made since and what was kept.
 */
static void store_damaged(struct pp_api *a, const char *why)
{
	char bad[700], stamp[32];
	struct rbuf r;
	int err = 0;

	utc_stamp(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ");
	snprintf(bad, sizeof(bad), "%s.bad-%s", a->store_path, stamp);
	for (int i = 2; !access(bad, F_OK) && i < 1000; i++)
		snprintf(bad, sizeof(bad), "%s.bad-%s-%d", a->store_path, stamp, i);
	if (rename(a->store_path, bad)) {
		err = -errno;
		pr_warn("api: %s is damaged (%s) and could not be moved aside: %s\n", a->store_path,
			why, strerror(errno));
	} else {
		fsync_dir(a->o.state_dir);
		pr_warn("api: %s is damaged (%s): moved aside as %s; the objects it held stay as "
			"they are pinned (DEGRADED) until it is restored (then SIGHUP) or "
			"'polyportctl state discard'\n", a->store_path, why, bad);
	}
	if (!a->sf.damaged) {
		a->sf.damaged = true;
		a->sf.pending = true;
		snprintf(a->sf.reason, sizeof(a->sf.reason), "%s", why);
		snprintf(a->sf.kept_as, sizeof(a->sf.kept_as), "%s", err ? a->store_path : bad);
		utc_stamp(a->sf.since, sizeof(a->sf.since), "%Y-%m-%dT%H:%M:%SZ");
		sf_obj_reason(a);
		json_object_put(a->store);
		a->store = json_object_new_object();
		for (int k = 0; k < K_COUNT; k++)
			store_kind(a->store, k);
		render(a->store, &r);
		adopt_render(a, &r);
	}
	a->sf.unverified = false;
	/* our own file, with the record; a file that could not be moved stays */
	if (!err && (err = store_save(a, a->store)))
		pr_warn("api: saving %s: %s\n", a->store_path, strerror(-err));
	pp_api_event(a, "state-file", "api.json", "damaged", "DEGRADED", why);
}

/*
 * Which objects are kept: what pp_names holds that the first configuration
 * loaded since the damage does not name.  Their entries stay as they are;
 * nothing tells an API object from a file object removed while the daemon
 * was down, so both are kept (the safe side).
 */
static int kept_settle(struct pp_api *a, const struct pp_config *cfg)
{
	struct nview nv;
	int err;

	if (!a->sf.damaged || !a->sf.pending)
		return 0;
	err = nview_load(a, &nv);
	if (err)
		return err;
	kept_clear(a);
	for (size_t i = 0; i < nv.n && !err; i++) {
		const struct nament *e = &nv.by_name[i];
		enum kind k = e->kind - PP_NAME_NET;
		bool in = k == K_NET ? !!pp_config_find_network(cfg, e->name) :
			  k == K_IPORT ? !!pp_config_find_iport(cfg, e->name) :
			  !!pp_config_find_sport(cfg, e->name);

		if (!in)
			err = kept_add(a, k, e->name, e->id);
	}
	nview_free(&nv);
	if (!err)
		err = kept_index(a);
	if (err)
		return err;
	a->sf.pending = false;
	pr_info("api: kept from the damaged state file, as pinned: %zu networks, %zu instance "
		"ports, %zu service ports\n", a->nkept[K_NET], a->nkept[K_IPORT], a->nkept[K_SPORT]);
	err = store_save(a, a->store);
	if (err)
		pr_warn("api: saving %s: %s\n", a->store_path, strerror(-err));
	return 0;
}

/* What kept_check reads once and reports into. */
struct kview {
	struct pp_api *a;
	struct pp_errors *errs;
	const struct line_ref *lines;	/* the rendered source, to point at a field */
	size_t nlines;
	struct pp_iport *kip;		/* the kept instance ports' pinned entries */
	struct pp_net *knet;		/* the kept networks' */
	int n;				/* conflicts so far */
};

static void kept_err(struct kview *kv, const struct pp_loc *loc, enum kind k, const char *name,
		     const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A conflict with what is kept, at the object (at its field, in the API's source): counted. */
static void kept_err(struct kview *kv, const struct pp_loc *loc, enum kind k, const char *name,
		     const char *field, const char *fmt, ...)
{
	unsigned line = loc ? loc->line : 0, col = loc ? loc->col : 0;
	char msg[600];
	va_list ap;

	kv->n++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (loc && loc->file && !strcmp(loc->file, PP_API_SOURCE_NAME) && kv->lines && field)
		for (size_t i = line ? line - 1 : 0; i < kv->nlines; i++)
			if (kv->lines[i].kind == (int)k && !strcmp(kv->lines[i].name, name) &&
			    !strcmp(kv->lines[i].field, field)) {
				line = i + 1;
				col = 1;
				break;
			}
	pp_errors_add(kv->errs, loc && loc->file ? loc->file : PP_API_SOURCE_NAME, line, col, "%s",
		      msg);
}

#define KEPT_FROM "kept from the damaged state file"

/* A new object of kind k under a kept one's name. */
static void kept_name_check(struct kview *kv, enum kind k, const struct pp_loc *loc,
			    const char *name)
{
	if (kept_find(kv->a, k, name))
		kept_err(kv, loc, k, name, NULL, "%s \"%s\" already exists, " KEPT_FROM,
			 kinds[k].what, name);
}

/*
 * The device of a new network (on vlan) or the tap of a new instance port
 * (kind k): no kept instance port's tap, and no kept network's device (a
 * network's: on the same VLAN).
 */
static void kept_dev_check(struct kview *kv, enum kind k, const struct pp_loc *loc,
			   const char *name, const char *device, unsigned vlan)
{
	const char *dev = k == K_NET ? "device" : "tap";
	unsigned ifx = if_nametoindex(device);

	for (size_t j = 0; ifx && j < kv->a->nkept[K_IPORT]; j++)
		if (kv->kip[j].ifindex == ifx)
			kept_err(kv, loc, k, name, "device",
				 "%s \"%s\": %s %s is already the tap of instance port \"%s\", "
				 KEPT_FROM, kinds[k].what, name, dev, device,
				 kv->a->kept[K_IPORT][j].name);
	for (size_t j = 0; ifx && j < kv->a->nkept[K_NET]; j++) {
		const char *other = kv->a->kept[K_NET][j].name;

		if (kv->knet[j].ifindex != ifx)
			continue;
		if (k == K_IPORT)
			kept_err(kv, loc, k, name, "device",
				 "instance port \"%s\": tap %s is already the device of network "
				 "\"%s\", " KEPT_FROM, name, device, other);
		else if (kv->knet[j].vlan == vlan)
			kept_err(kv, loc, k, name, "device",
				 "network \"%s\": device %s (vlan %u) is already network \"%s\"'s, "
				 KEPT_FROM, name, device, vlan, other);
	}
}

/*
 * New objects against the kept ones' pinned entries: no name, tap or
 * network device (with its VLAN), classifier entry (the VLAN, QinQ pair,
 * untagged or source MAC of an instance port) or MAC on a network of
 * theirs may be taken; and what a kept service port stands on (its
 * instance port, its network) may not go.  Returns how many conflicts.
 */
static int kept_check(struct pp_api *a, const struct pp_config *cfg, struct pp_errors *errs,
		      const struct line_ref *lines, size_t nlines)
{
	const struct pp_maps *m = pp_daemon_maps(a->d);
	size_t ni = a->nkept[K_IPORT], nn = a->nkept[K_NET];
	struct kview kv = { .a = a, .errs = errs, .lines = lines, .nlines = nlines };
	struct nview nv = {};

	if (!a->sf.damaged || a->sf.pending || !kept_total(a))
		return 0;
	kv.kip = calloc(ni + 1, sizeof(*kv.kip));
	kv.knet = calloc(nn + 1, sizeof(*kv.knet));
	if (!kv.kip || !kv.knet || nview_load(a, &nv)) {
		pp_errors_add(errs, PP_API_SOURCE_NAME, 0, 0, "out of memory");
		kv.n = 1;
		goto out;
	}
	for (size_t i = 0; i < ni; i++)
		if (pp_iport_get(m, a->kept[K_IPORT][i].id, &kv.kip[i]))
			memset(&kv.kip[i], 0, sizeof(kv.kip[i]));
	for (size_t i = 0; i < nn; i++)
		if (pp_net_get(m, a->kept[K_NET][i].id, &kv.knet[i]))
			memset(&kv.knet[i], 0, sizeof(kv.knet[i]));

	for (__u32 i = 0; i < cfg->n_networks; i++) {
		const struct pp_cfg_network *c = &cfg->networks[i];

		kept_name_check(&kv, K_NET, &c->loc, c->name);
		kept_dev_check(&kv, K_NET, &c->loc, c->name, c->device, c->vlan);
	}
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *c = &cfg->iports[i];

		kept_name_check(&kv, K_IPORT, &c->loc, c->name);
		kept_dev_check(&kv, K_IPORT, &c->loc, c->name, c->device, 0);
	}
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 slot = nview_id(&nv, PP_NAME_IPORT, cfg->iports[c->iport].name);
		__u32 net = nview_id(&nv, PP_NAME_NET, cfg->networks[c->network].name);
		__u32 owner = 0;
		const char *field = "vlan";
		char mac[PP_MAC_STRLEN];

		kept_name_check(&kv, K_SPORT, &c->loc, c->name);
		if (slot) {
			struct pp_qinq_key qk = { slot, c->outer_vid, c->inner_vid };
			struct pp_srcmac_key sk = { .slot = slot };
			struct pp_iport ip;

			memcpy(sk.mac, c->mac, 6);
			if (c->match == PP_MATCH_VLAN) {
				pp_vlan_get(m, slot, c->outer_vid, &owner);
			} else if (c->match == PP_MATCH_QINQ) {
				pp_qinq_get(m, qk, &owner);
			} else if (c->match == PP_MATCH_SRCMAC) {
				field = "src-mac";
				pp_srcmac_get(m, sk, &owner);
			} else if (!pp_iport_get(m, slot, &ip)) {
				field = "untagged";
				owner = ip.untagged_sport;
			}
			if (kept_id(a, K_SPORT, owner))
				kept_err(&kv, &c->loc, K_SPORT, c->name, field,
					 "service port \"%s\": its match on instance port \"%s\" is "
					 "already service port \"%s\"'s, " KEPT_FROM, c->name,
					 cfg->iports[c->iport].name,
					 nview_name(&nv, PP_NAME_SPORT, owner) ?: "?");
		}
		for (__u32 p = 0; net && p <= (c->security ? c->n_pairs : 0); p++) {
			/* its MAC, then its allowed pairs' */
			struct pp_fdb_key fk = { .net_id = net };

			memcpy(fk.mac, p ? c->pairs[p - 1].mac : c->mac, 6);
			owner = 0;
			if (pp_fdb_get(m, fk, &owner) || !kept_id(a, K_SPORT, owner))
				continue;
			pp_mac_format(fk.mac, mac);
			kept_err(&kv, &c->loc, K_SPORT, c->name, p ? "bind" : "mac",
				 "service port \"%s\": MAC %s on network \"%s\" is already service "
				 "port \"%s\"'s, " KEPT_FROM, c->name, mac,
				 cfg->networks[c->network].name,
				 nview_name(&nv, PP_NAME_SPORT, owner) ?: "?");
		}
	}
	for (size_t i = 0; i < a->nkept[K_SPORT]; i++) {
		const struct kept_ent *e = &a->kept[K_SPORT][i];
		const char *ip = nview_name(&nv, PP_NAME_IPORT, e->sp.slot);
		const char *nt = nview_name(&nv, PP_NAME_NET, e->sp.net_id);

		if (ip && !kept_find(a, K_IPORT, ip) && !pp_config_find_iport(cfg, ip))
			kept_err(&kv, NULL, K_IPORT, ip, NULL,
				 "instance port \"%s\" is still used by service port \"%s\", " KEPT_FROM,
				 ip, e->name);
		if (nt && !kept_find(a, K_NET, nt) && !pp_config_find_network(cfg, nt))
			kept_err(&kv, NULL, K_NET, nt, NULL,
				 "network \"%s\" is still used by service port \"%s\", " KEPT_FROM,
				 nt, e->name);
	}
out:
	nview_free(&nv);
	free(kv.kip);
	free(kv.knet);
	return kv.n;
}

/* The state file for /v1/status and /v1/state-file. */
static json_object *sf_json(const struct pp_api *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(a->sf.damaged ? "damaged" : "ok"));
	json_object_object_add(o, "path", json_object_new_string(a->store_path));
	if (a->sf.damaged) {
		json_object *n = json_object_new_object();

		json_object_object_add(o, "reason", json_object_new_string(a->sf.reason));
		json_object_object_add(o, "kept-as", json_object_new_string(a->sf.kept_as));
		json_object_object_add(o, "since", json_object_new_string(a->sf.since));
		for (int k = 0; k < K_COUNT; k++)
			json_object_object_add(n, kinds[k].path, json_object_new_int64(a->nkept[k]));
		json_object_object_add(o, "kept", a->sf.pending ? NULL : n);
		if (a->sf.pending)
			json_object_put(n);
	}
	return o;
}
/* ---- objects as JSON ----------------------------------------------------------------- */

/* The status of the i-th object of kind k of the configuration in force. */
static const struct pp_obj_status *obj_st(const struct pp_api *a, enum kind k, uint32_t i)
{
	return pp_daemon_status(a->d, NAME_KIND(k), i);
}

static void add_status(json_object *o, const struct pp_obj_status *st)
{
	json_object *s = json_object_new_object();

	json_object_object_add(s, "status", json_object_new_string(pp_status_name(st->status)));
	if (st->reason[0])
		json_object_object_add(s, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "status", s);
}

static void add_meta(struct pp_api *a, json_object *o, enum kind k, const char *name)
{
	json_object *so = store_get(a->store, k, name), *rev;

	json_object_object_add(o, "revision",
			       json_object_new_int64(so && json_object_object_get_ex(so, "revision", &rev)
						     ? json_object_get_int64(rev) : 0));
	json_object_object_add(o, "source", json_object_new_string(so ? "api" : "file"));
}

/* Addresses and MACs as the binding files write them. */
static json_object *json_addr(const struct pp_cfg_addr *ad, bool with_len)
{
	char buf[64];

	pp_addr_format(ad, with_len, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static json_object *json_mac(const uint8_t mac[PP_ETH_ALEN])
{
	char buf[PP_MAC_STRLEN];

	pp_mac_format(mac, buf);
	return json_object_new_string(buf);
}

static json_object *json_ip4(const uint8_t v[4])
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
	return json_object_new_string(buf);
}

static json_object *net_json(struct pp_api *a, uint32_t i)
{
	const struct pp_cfg_network *n = &pp_daemon_config(a->d)->networks[i];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "device", json_object_new_string(n->device));
	json_object_object_add(o, "mtu", json_object_new_int(n->mtu));
	if (n->vlan)
		json_object_object_add(o, "vlan", json_object_new_int(n->vlan));
	if (n->has_gateway) {
		json_object *g = json_object_new_object();

		if (n->gw4.family)
			json_object_object_add(g, "ipv4", json_addr(&n->gw4, false));
		if (n->gw6.family)
			json_object_object_add(g, "ipv6", json_addr(&n->gw6, false));
		json_object_object_add(g, "mac", json_mac(n->gw_mac));
		json_object_object_add(o, "gateway", g);
	}
	add_meta(a, o, K_NET, n->name);
	add_status(o, obj_st(a, K_NET, i));
	return o;
}

static json_object *rule_json(const struct pp_cfg_rule *r)
{
	static const char *const protos[] = { [0] = "any", [1] = "icmp", [6] = "tcp",
					       [17] = "udp", [58] = "icmpv6" };
	json_object *o = json_object_new_object();
	char buf[64];

	if (r->proto)
		json_object_object_add(o, "proto", json_object_new_string(protos[r->proto]));
	if (r->port_lo) {
		if (r->port_lo == r->port_hi)
			snprintf(buf, sizeof(buf), "%u", r->port_lo);
		else
			snprintf(buf, sizeof(buf), "%u-%u", r->port_lo, r->port_hi);
		json_object_object_add(o, "ports", json_object_new_string(buf));
	}
	if (r->has_icmp_type)
		json_object_object_add(o, "icmp-type", json_object_new_int(r->icmp_type));
	if (r->from.family)
		json_object_object_add(o, "from", json_addr(&r->from, true));
	if (r->to.family)
		json_object_object_add(o, "to", json_addr(&r->to, true));
	json_object_object_add(o, "action", json_object_new_string(r->allow ? "allow" : "drop"));
	return o;
}

/* bind.security, bind.responder, bind.dhcp of a service port, as configured. */
static void sport_services_json(const struct pp_config *cfg, const struct pp_cfg_sport *s,
				json_object *b)
{
	if (s->security) {
		json_object *sec = json_object_new_object(), *pairs = json_object_new_array();
		json_object *in = json_object_new_array(), *eg = json_object_new_array();

		for (uint32_t j = 0; j < s->n_pairs; j++) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "mac", json_mac(s->pairs[j].mac));
			if (s->pairs[j].has_ip)
				json_object_object_add(p, "ip", json_addr(&s->pairs[j].ip, true));
			json_object_array_add(pairs, p);
		}
		for (uint32_t j = 0; j < s->n_ingress + s->n_egress; j++)
			json_object_array_add(j < s->n_ingress ? in : eg,
					      rule_json(&cfg->rules[s->rule_first + j]));
		json_object_object_add(sec, "allowed-pairs", pairs);
		json_object_object_add(sec, "ingress", in);
		json_object_object_add(sec, "egress", eg);
		json_object_object_add(sec, "default",
				       json_object_new_string(s->default_allow ? "allow" : "drop"));
		json_object_object_add(sec, "allow-dhcp-server",
				       json_object_new_boolean(s->allow_dhcp_server));
		json_object_object_add(sec, "allow-ra", json_object_new_boolean(s->allow_ra));
		json_object_object_add(b, "security", sec);
	}
	if (s->responder)
		json_object_object_add(b, "responder", json_object_new_object());
	if (s->dhcp) {
		json_object *d = json_object_new_object(), *dns = json_object_new_array();
		json_object *rt = json_object_new_array();

		for (uint32_t j = 0; j < s->n_dns; j++)
			json_object_array_add(dns, json_ip4(s->dns[j]));
		for (uint32_t j = 0; j < s->n_routes; j++) {
			json_object *r = json_object_new_object();

			json_object_object_add(r, "to", json_addr(&s->routes[j].to, true));
			json_object_object_add(r, "via", json_ip4(s->routes[j].via));
			json_object_array_add(rt, r);
		}
		json_object_object_add(d, "dns", dns);
		json_object_object_add(d, "lease", json_object_new_int64(s->lease));
		if (s->dhcp_mtu)
			json_object_object_add(d, "mtu", json_object_new_int(s->dhcp_mtu));
		json_object_object_add(d, "routes", rt);
		json_object_object_add(b, "dhcp", d);
	}
}

/*
 * A service port's match as the API writes it: "vlan" (a number, or
 * [outer, inner] for QinQ), "untagged": true or "src-mac"; the same for a
 * configured and a kept one.
 */
static void add_match(json_object *o, unsigned match, unsigned outer, unsigned inner,
		      const char *mac)
{
	if (match == PP_MATCH_VLAN) {
		json_object_object_add(o, "vlan", json_object_new_int(outer));
	} else if (match == PP_MATCH_QINQ) {
		json_object *v = json_object_new_array();

		json_object_array_add(v, json_object_new_int(outer));
		json_object_array_add(v, json_object_new_int(inner));
		json_object_object_add(o, "vlan", v);
	} else if (match == PP_MATCH_UNTAGGED) {
		json_object_object_add(o, "untagged", json_object_new_boolean(1));
	} else if (match == PP_MATCH_SRCMAC) {
		json_object_object_add(o, "src-mac", json_object_new_string(mac));
	}
}

static json_object *sport_json(struct pp_api *a, uint32_t i)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_cfg_sport *s = &cfg->sports[i];
	json_object *o = json_object_new_object(), *b = json_object_new_object();
	char mac[PP_MAC_STRLEN];

	pp_mac_format(s->mac, mac);
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "instance-port", json_object_new_string(cfg->iports[s->iport].name));
	add_match(o, s->match, s->outer_vid, s->inner_vid, mac);
	if (s->mac_explicit)
		json_object_object_add(o, "mac", json_object_new_string(mac));
	if (s->n_addrs) {
		json_object *ad = json_object_new_array();

		for (uint32_t j = 0; j < s->n_addrs; j++)
			json_object_array_add(ad, json_addr(&s->addrs[j], true));
		json_object_object_add(o, "addresses", ad);
	}
	json_object_object_add(b, "network", json_object_new_string(cfg->networks[s->network].name));
	sport_services_json(cfg, s, b);
	json_object_object_add(o, "bind", b);
	add_meta(a, o, K_SPORT, s->name);
	add_status(o, obj_st(a, K_SPORT, i));
	json_object_object_add(json_object_object_get(o, "status"), "mac",
			       json_object_new_string(mac));
	return o;
}

static json_object *kept_json(struct pp_api *a, enum kind k, const struct kept_ent *e,
			      const struct nview *nv);

static json_object *iport_json(struct pp_api *a, uint32_t i)
{
	const struct pp_cfg_iport *p = &pp_daemon_config(a->d)->iports[i];
	const struct pp_obj_status *st = obj_st(a, K_IPORT, i);
	json_object *o = json_object_new_object(), *sps = json_object_new_array();
	struct nview nv;

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "device", json_object_new_string(p->device));
	json_object_object_add(o, "mac", json_mac(p->mac));
	json_object_object_add(o, "mtu", json_object_new_int(p->mtu));
	json_object_object_add(o, "mode", json_object_new_string(pp_mode_name(p->mode)));
	add_meta(a, o, K_IPORT, p->name);
	add_status(o, st);
	pp_status_json_mode(json_object_object_get(o, "status"), pp_mode_name(st->mode),
			    st->mode_reason, false);
	for (uint32_t s = p->sport_first; s < p->sport_first + p->sport_count; s++)
		json_object_array_add(sps, sport_json(a, s));
	/* its service ports kept from a damaged state file, too */
	if (a->sf.damaged && a->nkept[K_SPORT] && st->id && !nview_load(a, &nv)) {
		for (size_t s = 0; s < a->nkept[K_SPORT]; s++)
			if (a->kept[K_SPORT][s].sp.slot == st->id)
				json_object_array_add(sps, kept_json(a, K_SPORT, &a->kept[K_SPORT][s],
								     &nv));
		nview_free(&nv);
	}
	json_object_object_add(o, "service-ports", sps);
	return o;
}

static long find_obj(struct pp_api *a, enum kind k, const char *name)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const void *p;

	if (!cfg)
		return -1;
	switch (k) {
	case K_NET:
		p = pp_config_find_network(cfg, name);
		return p ? (const struct pp_cfg_network *)p - cfg->networks : -1;
	case K_IPORT:
		p = pp_config_find_iport(cfg, name);
		return p ? (const struct pp_cfg_iport *)p - cfg->iports : -1;
	default:
		p = pp_config_find_sport(cfg, name);
		return p ? (const struct pp_cfg_sport *)p - cfg->sports : -1;
	}
}

static json_object *obj_json(struct pp_api *a, enum kind k, uint32_t i)
{
	return k == K_NET ? net_json(a, i) : k == K_IPORT ? iport_json(a, i) : sport_json(a, i);
}

/* "device": the name of a pinned ifindex ("" for none, or one gone). */
static void add_device(json_object *o, unsigned ifindex)
{
	char dev[IF_NAMESIZE] = "";

	if (ifindex)
		if_indextoname(ifindex, dev);
	json_object_object_add(o, "device", json_object_new_string(dev));
}

/* A kept object, as it is pinned: read-only, DEGRADED. */
static json_object *kept_json(struct pp_api *a, enum kind k, const struct kept_ent *e,
			      const struct nview *nv)
{
	const struct pp_maps *m = pp_daemon_maps(a->d);
	json_object *o = json_object_new_object(), *st = json_object_new_object();
	char mac[PP_MAC_STRLEN];

	json_object_object_add(o, "name", json_object_new_string(e->name));
	if (k == K_NET) {
		struct pp_net n = {};

		pp_net_get(m, e->id, &n);
		add_device(o, n.ifindex);
		json_object_object_add(o, "mtu", json_object_new_int(n.mtu));
		if (n.vlan)
			json_object_object_add(o, "vlan", json_object_new_int(n.vlan));
	} else if (k == K_IPORT) {
		struct pp_iport ip = {};

		pp_iport_get(m, e->id, &ip);
		add_device(o, ip.ifindex);
		json_object_object_add(o, "mac", json_mac(ip.mac));
		json_object_object_add(o, "mtu", json_object_new_int(ip.mtu));
	} else {
		const struct pp_sport *sp = &e->sp;
		json_object *b = json_object_new_object();
		const char *ip = nview_name(nv, PP_NAME_IPORT, sp->slot);
		const char *net = nview_name(nv, PP_NAME_NET, sp->net_id);

		pp_mac_format(sp->mac, mac);
		json_object_object_add(o, "instance-port", json_object_new_string(ip ?: ""));
		add_match(o, sp->match, sp->outer_vid, sp->inner_vid, mac);
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(b, "network", json_object_new_string(net ?: ""));
		json_object_object_add(o, "bind", b);
	}
	json_object_object_add(o, "revision", json_object_new_int64(0));
	json_object_object_add(o, "source", json_object_new_string("kept"));
	json_object_object_add(st, "status", json_object_new_string(pp_status_name(PP_ST_DEGRADED)));
	json_object_object_add(st, "reason", json_object_new_string(a->sf.obj_reason));
	json_object_object_add(st, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "status", st);
	return o;
}

static json_object *list_json(struct pp_api *a, enum kind k)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	json_object *arr = json_object_new_array();
	uint32_t n = !cfg ? 0 : k == K_NET ? cfg->n_networks : k == K_IPORT ? cfg->n_iports :
		     cfg->n_sports;
	struct nview nv;

	for (uint32_t i = 0; i < n; i++)
		json_object_array_add(arr, obj_json(a, k, i));
	if (a->sf.damaged && a->nkept[k] && !nview_load(a, &nv)) {
		for (size_t i = 0; i < a->nkept[k]; i++)
			json_object_array_add(arr, kept_json(a, k, &a->kept[k][i], &nv));
		nview_free(&nv);
	}
	return arr;
}

/* /v1/status: the daemon's, with the kept objects and the state file. */
static json_object *status_json(struct pp_api *a)
{
	json_object *root = pp_status_json(a->d), *nets, *ips;
	struct nview nv;

	json_object_object_add(root, STATE_REC, sf_json(a));
	if (!a->sf.damaged || !kept_total(a) || nview_load(a, &nv))
		return root;
	nets = json_object_object_get(root, "networks");
	ips = json_object_object_get(root, "instance_ports");
	for (int k = 0; k < K_COUNT; k++) {
		for (size_t i = 0; i < a->nkept[k]; i++) {
			const struct kept_ent *e = &a->kept[k][i];
			json_object *v = kept_json(a, k, e, &nv), *o = json_object_new_object();
			json_object *sps = NULL;

			/* the shape pp_status_json gives its objects */
			json_object_object_add(o, "status", json_object_new_string(
				pp_status_name(PP_ST_DEGRADED)));
			json_object_object_add(o, "reason", json_object_new_string(a->sf.obj_reason));
			json_object_object_add(o, "id", json_object_new_int64(e->id));
			pp_status_json_mode(o, "-", "", true);
			json_object_object_add(o, "name", json_object_new_string(e->name));
			json_object_object_add(o, "kept", json_object_new_boolean(1));
			if (k == K_NET) {
				json_object_object_add(o, "device", json_object_get(
					json_object_object_get(v, "device")));
				json_object_object_add(o, "vlan", json_object_new_int(json_object_get_int(
					json_object_object_get(v, "vlan"))));
				json_object_object_add(o, "mtu", json_object_get(
					json_object_object_get(v, "mtu")));
				json_object_array_add(nets, o);
			} else if (k == K_IPORT) {
				json_object_object_add(o, "device", json_object_get(
					json_object_object_get(v, "device")));
				json_object_object_add(o, "mac", json_object_get(
					json_object_object_get(v, "mac")));
				json_object_object_add(o, "mode", json_object_new_string("-"));
				json_object_object_add(o, "service_ports", json_object_new_array());
				json_object_array_add(ips, o);
			} else {
				const char *ip = nview_name(&nv, PP_NAME_IPORT, e->sp.slot);
				char match[48];

				if (e->sp.match == PP_MATCH_VLAN)
					snprintf(match, sizeof(match), "vlan %u", e->sp.outer_vid);
				else if (e->sp.match == PP_MATCH_QINQ)
					snprintf(match, sizeof(match), "vlan [%u, %u]", e->sp.outer_vid,
						 e->sp.inner_vid);
				else
					snprintf(match, sizeof(match), "%s",
						 pp_match_name(e->sp.match));
				json_object_object_add(o, "match", json_object_new_string(match));
				json_object_object_add(o, "mac", json_object_get(
					json_object_object_get(v, "mac")));
				json_object_object_add(o, "network", json_object_get(json_object_object_get(
					json_object_object_get(v, "bind"), "network")));
				/* under its instance port, kept or not */
				for (size_t j = 0; ip && !sps && j < json_object_array_length(ips); j++) {
					json_object *io = json_object_array_get_idx(ips, j);

					if (!strcmp(json_object_get_string(json_object_object_get(io,
						"name")) ?: "", ip))
						sps = json_object_object_get(io, "service_ports");
				}
				if (sps)
					json_object_array_add(sps, o);
				else
					json_object_put(o);
			}
			json_object_put(v);
		}
	}
	nview_free(&nv);
	return root;
}

/* ---- events ------------------------------------------------------------------------ */

void pp_api_event(struct pp_api *a, const char *kind, const char *name, const char *change,
		  const char *status, const char *reason)
{
	json_object *e = json_object_new_object();
	struct timespec ts;
	unsigned long long seq = ++a->seq;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(e, "seq", json_object_new_int64(seq));
	json_object_object_add(e, "time", json_object_new_double(ts.tv_sec + ts.tv_nsec / 1e9));
	json_object_object_add(e, "kind", json_object_new_string(kind));
	json_object_object_add(e, "name", json_object_new_string(name));
	json_object_object_add(e, "change", json_object_new_string(change));
	if (status)
		json_object_object_add(e, "status", json_object_new_string(status));
	if (reason && *reason)
		json_object_object_add(e, "reason", json_object_new_string(reason));
	json_object_put(a->events[seq % EVENTS_MAX]);
	a->events[seq % EVENTS_MAX] = e;
}

static void status_diff(struct pp_api *a, json_object *now, const char *kind, const char *name,
			const struct pp_obj_status *st)
{
	char key[80], val[160];
	json_object *old;

	snprintf(key, sizeof(key), "%s/%s", kind, name);
	snprintf(val, sizeof(val), "%s %s", pp_status_name(st->status), st->reason);
	json_object_object_add(now, key, json_object_new_string(val));
	if (!a->last_status || !json_object_object_get_ex(a->last_status, key, &old) ||
	    strcmp(json_object_get_string(old), val))
		pp_api_event(a, kind, name, "status", pp_status_name(st->status), st->reason);
}

void pp_api_notify(struct pp_api *a)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	json_object *now = json_object_new_object();
	unsigned long long before = a->seq;

	for (uint32_t i = 0; cfg && i < cfg->n_networks; i++)
		status_diff(a, now, "network", cfg->networks[i].name, obj_st(a, K_NET, i));
	for (uint32_t i = 0; cfg && i < cfg->n_iports; i++)
		status_diff(a, now, "instance-port", cfg->iports[i].name, obj_st(a, K_IPORT, i));
	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++)
		status_diff(a, now, "service-port", cfg->sports[i].name, obj_st(a, K_SPORT, i));
	json_object_put(a->last_status);
	a->last_status = now;
	if (a->seq == before)
		return;
	for (int i = 0; i < a->nwaiters; i++)
		MHD_resume_connection(a->waiters[i].conn);
	if (a->nwaiters)
		a->resumed = 1;		/* may be inside an MHD callback: run later */
	a->nwaiters = 0;
}

static int serve_events(struct call *k)
{
	struct pp_api *a = k->a;
	const char *s = arg(k, "since"), *t = arg(k, "timeout");
	unsigned long long since = s ? strtoull(s, NULL, 10) : a->seq;
	double timeout = t ? atof(t) : 25;
	json_object *root, *arr;

	if (!(timeout >= 0 && timeout <= 300))	/* NaN too */
		timeout = 25;
	if (since + EVENTS_MAX < a->seq)
		since = a->seq - EVENTS_MAX;	/* older ones are gone */
	if (since >= a->seq && !k->resumed && k->may_wait && timeout > 0 &&
	    a->nwaiters < WAITERS_MAX) {
		k->wait = true;
		k->deadline = mono() + timeout;
		return 0;
	}
	root = json_object_new_object();
	arr = json_object_new_array();
	for (unsigned long long q = since + 1; q <= a->seq; q++)
		json_object_array_add(arr, json_object_get(a->events[q % EVENTS_MAX]));
	json_object_object_add(root, "events", arr);
	json_object_object_add(root, "next", json_object_new_int64(a->seq));
	return reply_json(k, 200, root);
}

/* ---- status, stats, metrics ------------------------------------------------------------ */

/*
 * Row i of the drops of the instance ports (k 0) or of the networks (k 1),
 * for /v1/stats and /metrics: one per configured object with an id, then
 * one named "" for id 0 (frames none of them owns).  1 with *name and *d; 0
 * for a row left out (no id yet, no entry); -1 past the last.
 */
static int drops_row(struct pp_api *a, int k, uint32_t i, const char **name, struct pp_drops *d)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	uint32_t n = !cfg ? 0 : k ? cfg->n_networks : cfg->n_iports;
	__u32 idx = i < n ? obj_st(a, k ? K_NET : K_IPORT, i)->id : 0;

	if (i > n)
		return -1;
	*name = i < n ? (k ? cfg->networks[i].name : cfg->iports[i].name) : "";
	if ((i < n && !idx) ||
	    (k ? pp_net_drops_get : pp_iport_drops_get)(pp_daemon_maps(a->d), idx, d))
		return 0;
	return 1;
}

static json_object *stats_json(struct pp_api *a)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_maps *m = pp_daemon_maps(a->d);
	json_object *root = json_object_new_object(), *sps = json_object_new_array(),
		    *drops = json_object_new_array();

	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *s = &cfg->sports[i];
		__u32 id = obj_st(a, K_SPORT, i)->id;
		struct pp_sport_stats st = {};
		json_object *o = json_object_new_object();

		if (id)
			pp_sport_stats_get(m, id, &st);
		json_object_object_add(o, "instance-port", json_object_new_string(cfg->iports[s->iport].name));
		json_object_object_add(o, "service-port", json_object_new_string(s->name));
		json_object_object_add(o, "network", json_object_new_string(cfg->networks[s->network].name));
		json_object_object_add(o, "rx_packets", json_object_new_int64(st.rx_packets));
		json_object_object_add(o, "rx_bytes", json_object_new_int64(st.rx_bytes));
		json_object_object_add(o, "tx_packets", json_object_new_int64(st.tx_packets));
		json_object_object_add(o, "tx_bytes", json_object_new_int64(st.tx_bytes));
		{	/* what its services did (issue 6) */
			struct pp_svc_stats sv = {};
			json_object *so = json_object_new_object();
			const __u64 *v = (const __u64 *)&sv;

			if (id)
				pp_svc_stats_get(m, id, &sv);
			for (int x = 0; x < PP_SVC_STAT_COUNT; x++)
				json_object_object_add(so, pp_svc_stat_names[x],
						       json_object_new_int64((int64_t)v[x]));
			json_object_object_add(o, "services", so);
		}
		if (s->security && s->n_ingress + s->n_egress) {	/* packets per rule */
			json_object *ro = json_object_new_object();

			for (int dir = 0; dir < 2; dir++) {
				json_object *arr = json_object_new_array();
				uint32_t n = dir ? s->n_egress : s->n_ingress;

				for (uint32_t r = 0; r < n && r < PP_RULES_MAX_BPF; r++)
					json_object_array_add(arr, json_object_new_int64((int64_t)
						(id ? pp_rule_stat_get(m, id, (__u8)(dir ? PP_DIR_EGRESS :
						 PP_DIR_INGRESS), (__u16)r) : 0)));
				json_object_object_add(ro, dir ? "egress" : "ingress", arr);
			}
			json_object_object_add(o, "rules", ro);
		}
		json_object_array_add(sps, o);
	}
	for (int k = 0; k < 2; k++) {
		const char *name;
		struct pp_drops d;
		int row;

		for (uint32_t i = 0; (row = drops_row(a, k, i, &name, &d)) >= 0; i++) {
			json_object *o, *r;

			if (!row)
				continue;
			o = json_object_new_object();
			r = json_object_new_object();
			json_object_object_add(o, k ? "network" : "instance-port",
					       json_object_new_string(name));
			for (int x = 0; x < PP_DROP_MAX; x++)
				json_object_object_add(r, pp_drop_names[x], json_object_new_int64(d.reason[x]));
			json_object_object_add(o, "reasons", r);
			json_object_array_add(drops, o);
		}
	}
	json_object_object_add(root, "service-ports", sps);
	json_object_object_add(root, "drops", drops);
	json_object_object_add(root, "map_writes", json_object_new_int64(m->writes));
	json_object_object_add(root, "reconciles", json_object_new_int64(pp_daemon_reconciles(a->d)));
	json_object_object_add(root, "requests", json_object_new_int64(a->requests));
	return root;
}

static char *metrics_text(struct pp_api *a)
{
	static const char *const sp_metrics[4][2] = {
		{ "rx_packets", "Frames the VM sent on the service port." },
		{ "rx_bytes", "Bytes the VM sent on the service port, tags included." },
		{ "tx_packets", "Frames delivered to the VM on the service port." },
		{ "tx_bytes", "Bytes delivered to the VM on the service port, tags included." },
	};
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_maps *m = pp_daemon_maps(a->d);
	struct pp_sport_stats *st = calloc(cfg ? cfg->n_sports + 1 : 1, sizeof(*st));
	struct sbuf b = {};

	if (!st)
		return NULL;
	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++)
		if (obj_st(a, K_SPORT, i)->id)
			pp_sport_stats_get(m, obj_st(a, K_SPORT, i)->id, &st[i]);
	for (int x = 0; x < 4; x++) {
		sb_printf(&b, "# HELP polyport_service_port_%s_total %s\n", sp_metrics[x][0],
			  sp_metrics[x][1]);
		sb_printf(&b, "# TYPE polyport_service_port_%s_total counter\n", sp_metrics[x][0]);
		for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
			const struct pp_cfg_sport *s = &cfg->sports[i];
			__u64 v = x == 0 ? st[i].rx_packets : x == 1 ? st[i].rx_bytes :
				  x == 2 ? st[i].tx_packets : st[i].tx_bytes;

			sb_printf(&b, "polyport_service_port_%s_total{instance_port=\"%s\","
				  "service_port=\"%s\",network=\"%s\"} %llu\n", sp_metrics[x][0],
				  cfg->iports[s->iport].name, s->name, cfg->networks[s->network].name,
				  (unsigned long long)v);
		}
	}
	free(st);
	{	/* the services' counters (issue 6) */
		static const char *const help[PP_SVC_STAT_COUNT] = {
			"ARP requests and IPv6 neighbor solicitations answered by the responder.",
			"DHCP OFFERs sent.", "DHCP ACKs sent.", "DHCP NAKs sent.",
			"Malformed DHCP requests dropped.",
			"Frames dropped by port security (spoofed sources, rogue DHCP servers and "
			"routers, malformed IPv6).",
			"Frames dropped by the service port's stateless rules.",
		};

		for (int x = 0; x < PP_SVC_STAT_COUNT; x++) {
			sb_printf(&b, "# HELP polyport_service_%s_total %s\n", pp_svc_stat_names[x],
				  help[x]);
			sb_printf(&b, "# TYPE polyport_service_%s_total counter\n",
				  pp_svc_stat_names[x]);
			for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
				const struct pp_cfg_sport *s = &cfg->sports[i];
				__u32 id = obj_st(a, K_SPORT, i)->id;
				struct pp_svc_stats sv = {};

				if (id)
					pp_svc_stats_get(m, id, &sv);
				sb_printf(&b, "polyport_service_%s_total{instance_port=\"%s\","
					  "service_port=\"%s\"} %llu\n", pp_svc_stat_names[x],
					  cfg->iports[s->iport].name, s->name,
					  (unsigned long long)((const __u64 *)&sv)[x]);
			}
		}
	}
	sb_printf(&b, "# HELP polyport_rule_packets_total Packets matched by each security rule.\n");
	sb_printf(&b, "# TYPE polyport_rule_packets_total counter\n");
	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *s = &cfg->sports[i];
		__u32 id = obj_st(a, K_SPORT, i)->id;

		for (int dir = 0; s->security && id && dir < 2; dir++)
			for (uint32_t r = 0; r < (dir ? s->n_egress : s->n_ingress) &&
					     r < PP_RULES_MAX_BPF; r++)
				sb_printf(&b, "polyport_rule_packets_total{instance_port=\"%s\","
					  "service_port=\"%s\",direction=\"%s\",rule=\"%u\"} %llu\n",
					  cfg->iports[s->iport].name, s->name,
					  dir ? "egress" : "ingress", r,
					  (unsigned long long)pp_rule_stat_get(m, id,
						(__u8)(dir ? PP_DIR_EGRESS : PP_DIR_INGRESS), (__u16)r));
	}
	sb_printf(&b, "# HELP polyport_drops_total Frames dropped, by reason.\n");
	sb_printf(&b, "# TYPE polyport_drops_total counter\n");
	for (int k = 0; k < 2; k++) {
		const char *name;
		struct pp_drops d;
		int row;

		for (uint32_t i = 0; (row = drops_row(a, k, i, &name, &d)) >= 0; i++)
			for (int r = 0; row && r < PP_DROP_MAX; r++)
				sb_printf(&b, "polyport_drops_total{%s=\"%s\",reason=\"%s\"} %llu\n",
					  k ? "network" : "instance_port", name, pp_drop_names[r],
					  (unsigned long long)d.reason[r]);
	}
	sb_printf(&b, "# HELP polyport_instance_port_status 1 for the instance port's current status.\n");
	sb_printf(&b, "# TYPE polyport_instance_port_status gauge\n");
	for (uint32_t i = 0; cfg && i < cfg->n_iports; i++)
		for (int s = PP_ST_ACTIVE; s <= PP_ST_ERROR; s++)
			sb_printf(&b, "polyport_instance_port_status{instance_port=\"%s\",status=\"%s\"} %d\n",
				  cfg->iports[i].name, pp_status_name(s),
				  obj_st(a, K_IPORT, i)->status == (enum pp_status)s);
	sb_printf(&b, "# HELP polyport_reconcile_total Reconciles done.\n");
	sb_printf(&b, "# TYPE polyport_reconcile_total counter\n");
	sb_printf(&b, "polyport_reconcile_total %lu\n", pp_daemon_reconciles(a->d));
	sb_printf(&b, "# HELP polyport_reconcile_duration_seconds Time spent reconciling.\n");
	sb_printf(&b, "# TYPE polyport_reconcile_duration_seconds summary\n");
	sb_printf(&b, "polyport_reconcile_duration_seconds_sum %.6f\n",
		  pp_daemon_total_reconcile_ms(a->d) / 1e3);
	sb_printf(&b, "polyport_reconcile_duration_seconds_count %lu\n", pp_daemon_reconciles(a->d));
	sb_printf(&b, "# HELP polyport_map_writes_total BPF map entries written by the daemon.\n");
	sb_printf(&b, "# TYPE polyport_map_writes_total counter\n");
	sb_printf(&b, "polyport_map_writes_total %lu\n", m->writes);
	sb_printf(&b, "# HELP polyport_state_file_damaged 1 while the API's state file is damaged "
		  "and its objects are kept as pinned.\n");
	sb_printf(&b, "# TYPE polyport_state_file_damaged gauge\n");
	sb_printf(&b, "polyport_state_file_damaged %d\n", a->sf.damaged);
	return b.s;
}

/* ---- changes ------------------------------------------------------------------------- */

static int is_meta(const char *key)
{
	return !strcmp(key, "name") || !strcmp(key, "revision") || !strcmp(key, "source") ||
	       !strcmp(key, "status");
}

/* A message with positions in the rendered API source replaced by words. */
static void api_positions(char *out, size_t len, const char *msg)
{
	static const char tag[] = " at " PP_API_SOURCE_NAME ":";
	size_t o = 0;

	while (*msg && o + 1 < len) {
		if (!strncmp(msg, tag, sizeof(tag) - 1)) {
			const char *p = msg + sizeof(tag) - 1;

			while ((*p >= '0' && *p <= '9') || *p == ':')
				p++;
			o += snprintf(out + o, len - o, " (created through the API)");
			if (o >= len)
				break;
			msg = p;
			continue;
		}
		out[o++] = *msg++;
	}
	out[o < len ? o : len - 1] = 0;
}

/*
 * The error to report of a rejected configuration: one on the changed
 * object if there is one (else the first), and the line ref of its field.
 */
static const struct pp_error *pick_error(const struct pp_errors *errs,
					 const struct line_ref *lines, size_t nlines, int k,
					 const char *name, const struct line_ref **ref)
{
	const struct pp_error *best = NULL;
	int rank = -1;

	*ref = NULL;
	for (size_t i = 0; i < errs->n; i++) {
		const struct pp_error *e = &errs->v[i];
		const struct line_ref *l;
		int mine;

		if (strcmp(e->file, PP_API_SOURCE_NAME) || !e->line || e->line > nlines)
			continue;
		l = &lines[e->line - 1];
		/* the changed object's own errors first, those naming a field first */
		mine = (l->kind == k && name && !strcmp(l->name, name)) * 2 + !!l->field[0];
		if (!best || mine > rank) {
			best = e;
			*ref = l;
			rank = mine;
		}
	}
	return best ? best : errs->n ? &errs->v[0] : NULL;
}

/*
 * Answer a rejected change: the error on the changed object if there is one
 * (else the first), with the field its line holds.  Conflicts with other
 * objects (and with what is kept from a damaged state file) are 409,
 * everything else that does not validate 422.
 */
static int reply_invalid(struct call *c, const struct pp_errors *errs,
			 const struct line_ref *lines, size_t nlines, enum kind k,
			 const char *name, int deleting, int err)
{
	const struct line_ref *ref;
	const struct pp_error *best = pick_error(errs, lines, nlines, k, name, &ref);
	char where[300] = "", msg[600];
	int conflict;

	if (!best)
		return reply_err(c, 500, "internal", NULL, "validation failed: %s", strerror(-err));
	conflict = deleting || strstr(best->msg, "already") || strstr(best->msg, "is the device of") ||
		   strstr(best->msg, "is the tap of") || strstr(best->msg, KEPT_FROM);
	if (strcmp(best->file, PP_API_SOURCE_NAME))
		snprintf(where, sizeof(where), " (%s:%u:%u)", best->file, best->line, best->col);
	api_positions(msg, sizeof(msg), best->msg);
	return reply_err(c, conflict ? 409 : 422,
			 conflict ? (deleting ? "in_use" : "conflict") : "invalid",
			 ref && ref->field[0] ? ref->field : NULL, "%s%s%s%s",
			 deleting ? "still referenced: " : "", msg, where,
			 errs->n > 1 ? " (and more)" : "");
}

/* Is a validation error about another object (a conflict, a reference)? */
static bool err_is_relation(const char *msg)
{
	return strstr(msg, "already") || strstr(msg, "is the device of") ||
	       strstr(msg, "is the tap of") || strstr(msg, "unknown network") ||
	       strstr(msg, "unknown instance port") || strstr(msg, KEPT_FROM);
}

/*
 * Are the API objects as read invalid in themselves: errors in their source,
 * none of them a conflict with or a reference to another object (a binding
 * file that took one of their names, or dropped what they stand on, is the
 * files' change, reported as a rejected reload as ever)?
 */
static bool store_invalid(const struct pp_errors *errs)
{
	size_t mine = 0;

	for (size_t i = 0; i < errs->n; i++) {
		if (strcmp(errs->v[i].file, PP_API_SOURCE_NAME))
			continue;
		if (err_is_relation(errs->v[i].msg))
			return false;
		mine++;
	}
	return mine > 0;
}

/* The binding files alone: do they load?  (Whose fault is an error.) */
static bool files_load(struct pp_api *a)
{
	struct pp_config *cfg = NULL;
	int err = pp_config_load_dir(a->o.config_dir, &cfg, NULL);

	pp_config_free(cfg);
	return !err;
}

/* The first error of errs, for a reason: an API object's named by the object. */
static void first_error(const struct pp_errors *errs, const struct line_ref *lines, size_t nlines,
			char *out, size_t len)
{
	const struct line_ref *ref;
	const struct pp_error *e = pick_error(errs, lines, nlines, -1, NULL, &ref);
	char msg[400];

	if (!e) {
		snprintf(out, len, "its objects do not validate");
		return;
	}
	api_positions(msg, sizeof(msg), e->msg);
	if (ref && ref->kind >= 0)
		snprintf(out, len, "%s \"%s\"%s%s: %s", kinds[ref->kind].what, ref->name,
			 ref->field[0] ? ", field " : "", ref->field, msg);
	else
		snprintf(out, len, "%s", msg);
}

/*
 * Files + the rendered API objects (src, lines), then what is kept from a
 * damaged state file: settled on the first configuration that loads, and
 * every configuration checked against it.
 */
static int load_with(struct pp_api *a, const char *src, size_t len, const struct line_ref *lines,
		     size_t nlines, struct pp_config **out, struct pp_errors *errs)
{
	struct pp_config_source s = { .name = PP_API_SOURCE_NAME, .data = src, .len = len };
	int err = pp_config_load(a->o.config_dir, &s, 1, out, errs);

	if (err)
		return err;
	err = kept_settle(a, *out);
	if (!err && kept_check(a, *out, errs, lines, nlines))
		err = -EINVAL;
	if (err) {
		pp_config_free(*out);
		*out = NULL;
	}
	return err;
}

/*
 * api.json while it is damaged: our own file (with the record), or one an
 * operator put back.  Returns that one with the objects made since added
 * (what it names wins), or NULL.  Damaged again: moved aside again.
 */
static json_object *store_restored(struct pp_api *a)
{
	json_object *st, *rec;
	char why[400];
	int err = store_read(a->store_path, &st, &rec, why, sizeof(why));

	if (err == -ENOENT) {		/* ours went: put it back */
		err = store_save(a, a->store);
		if (err)
			pr_warn("api: saving %s: %s\n", a->store_path, strerror(-err));
		return NULL;
	}
	if (err) {
		store_damaged(a, why);
		return NULL;
	}
	if (rec) {			/* ours: nothing restored */
		json_object_put(rec);
		json_object_put(st);
		return NULL;
	}
	for (int k = 0; k < K_COUNT; k++) {
		json_object *objs = store_kind(st, k);

		json_object_object_foreach(store_kind(a->store, k), name, obj)
			if (!json_object_object_get_ex(objs, name, NULL))
				json_object_object_add(objs, name, json_object_get(obj));
	}
	return st;
}

int pp_api_load_config(struct pp_api *a, struct pp_config **out, struct pp_errors *errs)
{
	json_object *cand = a->sf.damaged ? store_restored(a) : NULL;
	char why[500];
	int err;

	*out = NULL;
	if (cand) {
		struct rbuf r;
		bool was_pending = a->sf.pending;

		render(cand, &r);
		/* restored: nothing is kept any more, the file says it all */
		a->sf.pending = false;
		a->sf.damaged = false;
		err = load_with(a, r.text.s, r.text.len, r.lines, r.nlines, out, errs);
		if (!err) {
			pr_info("api: %s restored (%d objects); nothing is kept aside any more\n",
				a->store_path, store_count(cand));
			kept_clear(a);
			json_object_put(a->store);
			a->store = cand;
			adopt_render(a, &r);
			err = store_save(a, a->store);
			if (err)
				pr_warn("api: saving %s: %s\n", a->store_path, strerror(-err));
			pp_api_event(a, "state-file", "api.json", "restored", NULL, NULL);
			return 0;
		}
		a->sf.damaged = true;
		a->sf.pending = was_pending;
		/*
		 * Whatever is wrong (its objects, or with the binding files), it
		 * goes aside too: never overwritten by the next save, and what is
		 * kept stays kept until a file that loads is put back.
		 */
		snprintf(why, sizeof(why), "restored, but it does not load: ");
		first_error(errs, r.lines, r.nlines, why + strlen(why), sizeof(why) - strlen(why));
		rbuf_free(&r);
		json_object_put(cand);
		pp_errors_free(errs);
		store_damaged(a, why);
	}
	err = load_with(a, a->src, a->src_len, a->lines, a->nlines, out, errs);
	if (err == -EINVAL && a->sf.unverified && store_count(a->store) && store_invalid(errs) &&
	    files_load(a)) {
		/* api.json as read does not validate, the files alone do: damaged */
		first_error(errs, a->lines, a->nlines, why, sizeof(why));
		pp_errors_free(errs);
		store_damaged(a, why);
		err = load_with(a, a->src, a->src_len, a->lines, a->nlines, out, errs);
	}
	if (!err)
		a->sf.unverified = false;
	return err;
}

static int apply(struct call *c, json_object *candidate, enum kind k, const char *name,
		 int deleting)
{
	struct pp_api *a = c->a;
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	struct rbuf r = {};
	int err;

	if (a->sf.damaged && a->sf.pending) {
		/* what is kept is settled with what is in force, not the change */
		if (!load_with(a, a->src, a->src_len, a->lines, a->nlines, &cfg, &errs))
			pp_config_free(cfg);
		pp_errors_free(&errs);
		cfg = NULL;
		if (a->sf.pending) {
			reply_err(c, 503, "state_file", NULL,
				  "the state file is damaged and the configuration does not load: "
				  "what is kept is not known yet; fix the binding files first");
			return -1;	/* answered: not applied */
		}
	}
	render(candidate, &r);
	err = load_with(a, r.text.s, r.text.len, r.lines, r.nlines, &cfg, &errs);
	if (err) {
		reply_invalid(c, &errs, r.lines, r.nlines, k, name, deleting, err);
		goto fail;
	}
	err = store_save(a, candidate);
	if (err) {
		reply_err(c, 500, "persist", NULL, "saving %s: %s", a->store_path, strerror(-err));
		goto fail;
	}
	json_object_put(a->store);
	a->store = candidate;
	adopt_render(a, &r);
	/*
	 * Its error is not a refusal: cfg is in force (validated and saved),
	 * what could not be programmed is in ERROR with the reason, which the
	 * answer shows, and the reconcile logged it.
	 */
	pp_reconcile(a->d, cfg, false);
	pp_api_event(a, kinds[k].what, name, deleting ? "deleted" : "updated", NULL, NULL);
	pp_api_notify(a);
	return 0;
fail:
	pp_config_free(cfg);
	pp_errors_free(&errs);
	rbuf_free(&r);
	return -1;
}

static json_object *parse_body(struct call *c)
{
	struct json_tokener *tok;
	json_object *o = NULL;
	enum json_tokener_error jerr;
	char path[200] = "";

	if (!c->len) {
		reply_err(c, 400, "malformed", NULL, "a JSON object body is required");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		reply_err(c, 500, "internal", NULL, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, c->body, (int)c->len);
	jerr = json_tokener_get_error(tok);
	if (!o || jerr != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != c->len) {
		size_t off = json_tokener_get_parse_end(tok), line = 1, col = 1;

		for (size_t i = 0; i < off && i < c->len; i++) {
			if (c->body[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		reply_err(c, 400, "malformed", NULL,
			  "malformed JSON at line %zu, column %zu (offset %zu): %s", line,
			  col, off, jerr == json_tokener_success ? "trailing data" :
			  json_tokener_error_desc(jerr));
		goto fail;
	}
	if (!json_object_is_type(o, json_type_object)) {
		reply_err(c, 400, "malformed", NULL, "the body must be a JSON object");
		goto fail;
	}
	/* A NUL cuts every C string made of it: never taken in, wherever it is. */
	if (json_nul_path(o, path, sizeof(path), 0) || json_text_has_nul(c->body, c->len)) {
		reply_err(c, 422, "invalid", path[0] ? path : NULL,
			  "%s%s%s holds a NUL character (\\u0000), which no name, address or other "
			  "value may hold", path[0] ? "\"" : "", path[0] ? path : "an object key",
			  path[0] ? "\"" : "");
		goto fail;
	}
	json_tokener_free(tok);
	return o;
fail:
	json_object_put(o);
	json_tokener_free(tok);
	return NULL;
}

/* A revision in the body (or ?revision=) must match the object's. */
static int revision_ok(struct call *c, json_object *body, json_object *cur)
{
	const char *q = arg(c, "revision");
	json_object *rv, *cv;
	long long want, have;

	if (body && json_object_object_get_ex(body, "revision", &rv) && rv) {
		if (!json_object_is_type(rv, json_type_int)) {
			reply_err(c, 422, "invalid", "revision", "revision must be an integer");
			return 0;
		}
		want = json_object_get_int64(rv);
	} else if (q) {
		want = atoll(q);
	} else {
		return 1;	/* unconditional */
	}
	have = json_object_object_get_ex(cur, "revision", &cv) ? json_object_get_int64(cv) : 0;
	if (want != have) {
		reply_err(c, 409, "stale_revision", "revision",
			  "revision %lld is not the current one (%lld): read the object again",
			  want, have);
		return 0;
	}
	return 1;
}

static int copy_fields(struct call *c, enum kind k, json_object *from, json_object *to,
		       int patch)
{
	json_object_object_foreach(from, key, v) {
		if (is_meta(key))
			continue;
		if (k == K_IPORT && !strcmp(key, "service-ports")) {
			reply_err(c, 422, "invalid", "service-ports",
				  "create service ports with POST /v1/service-ports "
				  "(with \"instance-port\")");
			return -1;
		}
		if (patch && !v) {
			json_object_object_del(to, key);
			continue;
		}
		/* Unknown keys go through to validation, which names them. */
		json_object_object_add(to, key, json_object_get(v));
	}
	return 0;
}

static int handle_change(struct call *c, enum kind k, const char *name, const char *sub)
{
	struct pp_api *a = c->a;
	const char *method = c->method;
	json_object *body = NULL, *cand = NULL, *nobj = NULL, *objs, *cur;
	int post = !strcmp(method, "POST"), del = !strcmp(method, "DELETE"),
	    patch = !strcmp(method, "PATCH"), put = !strcmp(method, "PUT");
	char namebuf[PP_NAME_MAX + 1];
	long long rev;
	long i;
	int ret = 0;	/* every answer is in c: reply_*() return 0 */

	if (!post && !del && !patch && !put)
		return reply_err(c, 405, "method", NULL, "%s is not allowed here", method);
	if ((post && name) || (!post && !name))
		return reply_err(c, 405, "method", NULL, "%s %s is not allowed here", method,
				 name ? "on an object" : "on a collection");
	if (!del || c->len) {
		body = parse_body(c);
		if (!body)
			return 0;
	}
	if (post) {
		json_object *nv;
		const char *s;

		if (!json_object_object_get_ex(body, "name", &nv) ||
		    !json_object_is_type(nv, json_type_string)) {
			ret = reply_err(c, 422, "invalid", "name", "a \"name\" (string) is required");
			goto out;
		}
		s = json_object_get_string(nv);
		if (strlen(s) > PP_NAME_MAX || !pp_name_valid(s, strlen(s))) {
			ret = reply_err(c, 422, "invalid", "name",
					"invalid %s name (1-31 of A-Z a-z 0-9 . _ -, starting "
					"with a letter or digit)", kinds[k].what);
			goto out;
		}
		snprintf(namebuf, sizeof(namebuf), "%s", s);
		name = namebuf;
	}
	if (a->sf.damaged && kept_find(a, k, name)) {
		ret = reply_err(c, 409, post ? "exists" : "kept", post ? "name" : NULL,
				"%s \"%s\" %s, " KEPT_FROM " (%s): it stays as it is pinned, "
				"read-only, until the file is restored (then SIGHUP) or 'polyportctl "
				"state discard' lets it go", kinds[k].what, name,
				post ? "already exists" : "is", a->sf.kept_as);
		goto out;
	}
	cur = store_get(a->store, k, name);
	if (!cur && find_obj(a, k, name) >= 0) {
		ret = reply_err(c, 409, "read_only", NULL,
				"%s \"%s\" is defined in the binding files; change it there",
				kinds[k].what, name);
		goto out;
	}
	if (post && cur) {
		ret = reply_err(c, 409, "exists", "name", "%s \"%s\" already exists",
				kinds[k].what, name);
		goto out;
	}
	if (!post && !cur) {
		ret = reply_err(c, 404, "not_found", NULL, "no %s \"%s\"", kinds[k].what, name);
		goto out;
	}
	if (cur && !revision_ok(c, body, cur))
		goto out;
	if (json_object_deep_copy(a->store, &cand, NULL)) {
		ret = reply_err(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	objs = store_kind(cand, k);
	rev = 0;
	if (cur) {
		json_object *rv;

		rev = json_object_object_get_ex(cur, "revision", &rv) ? json_object_get_int64(rv) : 0;
	}
	if (del && !sub) {
		json_object_object_del(objs, name);
	} else {
		if (cur && (patch || sub) && json_object_deep_copy(store_get(cand, k, name), &nobj, NULL))
			nobj = NULL;
		if (!nobj)
			nobj = json_object_new_object();
		if (sub) {	/* /bind/SERVICE */
			json_object *bind;

			if (pp_service_find(sub) < 0) {
				ret = reply_err(c, 422, "invalid", "bind",
						"unknown service \"%s\" (known: "
						PP_SERVICE_NAMES_LIST ")", sub);
				goto out;
			}
			if (!json_object_object_get_ex(nobj, "bind", &bind) ||
			    !json_object_is_type(bind, json_type_object)) {
				bind = json_object_new_object();
				json_object_object_add(nobj, "bind", bind);
			}
			if (del) {
				json_object_object_del(bind, sub);
			} else {
				json_object *v;

				if (!json_object_object_get_ex(body, sub, &v)) {
					ret = reply_err(c, 422, "invalid", sub,
							"the body must be {\"%s\": ...}", sub);
					goto out;
				}
				json_object_object_add(bind, sub, json_object_get(v));
			}
		} else if (copy_fields(c, k, body, nobj, patch)) {
			goto out;	/* answered */
		}
		json_object_object_add(nobj, "revision", json_object_new_int64(rev + 1));
		json_object_object_add(objs, name, nobj);
		nobj = NULL;	/* cand's */
	}
	json_object_put(body);
	body = NULL;
	if (apply(c, cand, k, name, del && !sub))
		goto out;	/* answered, not applied */
	cand = NULL;		/* the store now */
	if (del && !sub) {
		ret = reply_text(c, 204, "application/json", "");
		goto out;
	}
	i = find_obj(a, k, name);
	if (i < 0)
		ret = reply_err(c, 500, "internal", NULL, "applied, but not found");
	else
		ret = reply_json(c, post ? 201 : 200, obj_json(a, k, i));
out:
	json_object_put(nobj);
	json_object_put(cand);
	json_object_put(body);
	return ret;
}

/* ---- the state file as a resource ---------------------------------------------------- */

/* DELETE /v1/state-file: what was kept from a damaged state file goes. */
static int state_discard(struct call *c)
{
	struct pp_api *a = c->a;
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	json_object *root, *rel = json_object_new_object();
	bool pending = a->sf.pending;
	int err;

	for (int k = 0; k < K_COUNT; k++)
		json_object_object_add(rel, kinds[k].path, json_object_new_int64(a->nkept[k]));
	if (a->sf.damaged) {
		a->sf.damaged = false;		/* saved without the record */
		err = store_save(a, a->store);
		if (err) {
			a->sf.damaged = true;
			json_object_put(rel);
			return reply_err(c, 500, "persist", NULL, "saving %s: %s", a->store_path,
					 strerror(-err));
		}
		pr_info("api: state file damage discarded: %zu networks, %zu instance ports, %zu "
			"service ports kept from it go%s\n", a->nkept[K_NET], a->nkept[K_IPORT],
			a->nkept[K_SPORT], pending ? " (with what else is pinned and not configured)" : "");
		kept_clear(a);
		a->sf.pending = false;
		pp_api_event(a, "state-file", "api.json", "discarded", NULL, NULL);
		/* they go now if the configuration loads, else at the next reload that does */
		if (!pp_api_load_config(a, &cfg, &errs)) {
			pp_reconcile(a->d, cfg, false);		/* in force, errors or not (apply) */
			pp_api_notify(a);
		}
		pp_errors_free(&errs);
	}
	root = json_object_new_object();
	json_object_object_add(root, STATE_REC, sf_json(a));
	json_object_object_add(root, "released", rel);
	return reply_json(c, 200, root);
}

/* ---- routing ----------------------------------------------------------------------- */

/*
 * Split path into at most max segments: "/" then segments separated by
 * exactly one "/", none empty (so no "//" and no "/" at the end).
 * Returns how many, or -1 when it is not such a path (or has more).
 */
static int split_path(char *path, char **parts, int max)
{
	char *p = path;
	int n = 0;

	if (*p != '/')
		return -1;
	while (*p == '/') {
		*p++ = 0;		/* ends the segment before */
		if (!*p || *p == '/' || n == max)
			return -1;	/* empty ("//", a "/" at the end), or one too many */
		parts[n++] = p;
		while (*p && *p != '/')
			p++;
	}
	return n;
}

static int route(struct call *c)
{
	struct pp_api *a = c->a;
	const char *url = c->url, *method = c->method;
	char path[PP_API_URL_MAX], *parts[6];
	int n, get = !strcmp(method, "GET");

	a->requests++;
	if (strlen(url) >= sizeof(path))
		return reply_err(c, 414, "uri_too_long", NULL,
				 "the URL path (%zu bytes) exceeds %d bytes", strlen(url),
				 PP_API_URL_MAX - 1);
	if (!strcmp(url, "/metrics")) {
		char *text;

		if (!get)
			return reply_err(c, 405, "method", NULL, "GET only");
		text = metrics_text(a);
		if (!text)
			return reply_err(c, 500, "internal", NULL, "out of memory");
		reply_text(c, 200, "text/plain; version=0.0.4", text);
		free(text);
		return 0;
	}
	if (c->metrics_only)
		return reply_err(c, 404, "not_found", NULL, "only /metrics is served here");
	strcpy(path, url);
	n = split_path(path, parts, 5);
	if (n < 2 || strcmp(parts[0], "v1"))
		return reply_err(c, 404, "not_found", NULL, "no such resource: %s", url);
	if (n == 2 && !strcmp(parts[1], "events"))
		return get ? serve_events(c) : reply_err(c, 405, "method", NULL, "GET only");
	if (n == 2 && !strcmp(parts[1], "status"))
		return get ? reply_json(c, 200, status_json(a)) :
			     reply_err(c, 405, "method", NULL, "GET only");
	if (n == 2 && !strcmp(parts[1], "stats"))
		return get ? reply_json(c, 200, stats_json(a)) :
			     reply_err(c, 405, "method", NULL, "GET only");
	if (n == 2 && !strcmp(parts[1], STATE_REC)) {
		json_object *root;

		if (!strcmp(method, "DELETE"))
			return state_discard(c);
		if (!get)
			return reply_err(c, 405, "method", NULL, "GET or DELETE");
		root = json_object_new_object();
		json_object_object_add(root, STATE_REC, sf_json(a));
		return reply_json(c, 200, root);
	}
	for (int k = 0; k < K_COUNT; k++) {
		if (strcmp(parts[1], kinds[k].path))
			continue;
		if (n > 3 && !(k == K_SPORT && n == 5 && !strcmp(parts[3], "bind")))
			break;
		if (get && n == 2)
			return reply_json(c, 200, list_json(a, k));
		if (get && n == 3) {
			long i = find_obj(a, k, parts[2]);
			const struct kept_ent *e = i < 0 && a->sf.damaged ? kept_find(a, k, parts[2]) : NULL;
			struct nview nv;

			if (e && !nview_load(a, &nv)) {
				json_object *o = kept_json(a, k, e, &nv);

				nview_free(&nv);
				return reply_json(c, 200, o);
			}
			return i < 0 ? reply_err(c, 404, "not_found", NULL, "no %s \"%s\"",
						 kinds[k].what, parts[2])
				     : reply_json(c, 200, obj_json(a, k, i));
		}
		if (get)
			break;
		if (n == 5 && strcmp(method, "PUT") && strcmp(method, "DELETE"))
			return reply_err(c, 405, "method", NULL, "PUT or DELETE a binding");
		return handle_change(c, k, n >= 3 ? parts[2] : NULL, n == 5 ? parts[4] : NULL);
	}
	return reply_err(c, 404, "not_found", NULL, "no such resource: %s", url);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX decoded in place, except %00 (a NUL would cut the path: it stays as
 * it is, and names nothing).  Returns the new length. */
static size_t url_unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		int hi, lo;

		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 &&
		    (hi || lo)) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return w - s;
}

int pp_api_request(struct pp_api *a, const char *method, const char *url, const char *body,
		   size_t len, struct pp_api_response *r)
{
	struct call c = { .a = a, .method = method, .body = body ? body : "", .len = len };
	char *u = strdup(url), *q;

	memset(r, 0, sizeof(*r));
	if (!u)
		return -ENOMEM;
	q = strchr(u, '?');
	if (q) {
		*q++ = 0;
		for (char *t = strtok(q, "&"); t && c.nargs < ARGS_MAX; t = strtok(NULL, "&")) {
			char *eq = strchr(t, '=');

			if (eq)
				*eq++ = 0;
			for (char *p = eq; p && *p; p++)
				if (*p == '+')
					*p = ' ';
			url_unescape(t);
			if (eq)
				url_unescape(eq);
			c.argk[c.nargs] = t;
			c.argv[c.nargs++] = eq ? eq : "";
		}
	}
	url_unescape(u);
	c.url = u;
	if (len > PP_API_BODY_MAX)
		reply_err(&c, 413, "too_large", NULL, "the body exceeds %d bytes", PP_API_BODY_MAX);
	else
		route(&c);
	free(u);
	r->status = c.status;
	r->content_type = c.type;
	r->body = c.text ? c.text : strdup("");
	r->len = c.text_len;
	return r->body ? 0 : -ENOMEM;
}

/* ---- HTTP (libmicrohttpd) ---------------------------------------------------------- */

static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return url_unescape(s);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct call *c = cls;

	(void)kind;
	if (c->nargs < ARGS_MAX && key) {
		c->argk[c->nargs] = key;
		c->argv[c->nargs++] = value ? value : "";
	}
	return MHD_YES;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct call *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!c->text)
		reply_err(c, 500, "internal", NULL, "no answer");
	r = MHD_create_response_from_buffer(c->text_len, c->text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(c->text);
		return MHD_NO;
	}
	c->text = NULL;
	MHD_add_response_header(r, "Content-Type", c->type);
	ret = MHD_queue_response(conn, c->status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * /metrics on TCP: anyone who reaches the port may scrape, and a scrape
 * costs a lookup per service port per counter on the daemon's one loop, and
 * then the sending of the text (2 MB at 2,000 service ports).  Every scrape
 * there within PP_API_METRICS_SNAP_MS of the last fresh one is served the
 * same response (MHD counts its references): at most one rendering a
 * second; and at most PP_API_METRICS_RATE scrapes a second are served (the
 * others wait for the next second), so a storm costs the loop a bounded
 * share.  The Unix socket's /metrics stays exact and unlimited.
 */
static enum MHD_Result metrics_snapshot(struct pp_api *a, struct MHD_Connection *conn)
{
	double now = mono();

	a->requests++;
	if (!a->msnap || now - a->msnap_t >= PP_API_METRICS_SNAP_MS / 1000.0) {
		char *text = metrics_text(a);
		struct MHD_Response *r = text ? MHD_create_response_from_buffer(strlen(text), text,
							MHD_RESPMEM_MUST_FREE) : NULL;

		if (!r) {
			free(text);
			return MHD_NO;
		}
		MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
		if (a->msnap)
			MHD_destroy_response(a->msnap);	/* freed once no scrape sends it */
		a->msnap = r;
		a->msnap_t = now;
	}
	return MHD_queue_response(conn, 200, a->msnap);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls, int metrics_only)
{
	struct pp_api *a = cls;
	struct req *rq = *con_cls;
	struct call c = { .a = a, .method = method, .url = url, .metrics_only = metrics_only };

	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		/* Refuse an oversized body before reading it. */
		if (cl && strtoull(cl, NULL, 10) > PP_API_BODY_MAX) {
			rq->responded = 1;
			reply_err(&c, 413, "too_large", NULL, "the body (%s bytes) exceeds %d bytes",
				  cl, PP_API_BODY_MAX);
			return send_reply(conn, &c);
		}
		return MHD_YES;
	}
	if (*size) {
		if (!rq->too_large && rq->len + *size <= PP_API_BODY_MAX) {
			char *b = realloc(rq->body, rq->len + *size + 1);

			if (!b)
				return MHD_NO;
			rq->body = b;
			memcpy(rq->body + rq->len, data, *size);
			rq->len += *size;
			rq->body[rq->len] = 0;
		} else {
			rq->too_large = 1;
		}
		*size = 0;
		return MHD_YES;
	}
	if (rq->responded)
		return MHD_YES;
	rq->responded = 1;
	if (rq->too_large) {
		reply_err(&c, 413, "too_large", NULL, "the body exceeds %d bytes", PP_API_BODY_MAX);
		return send_reply(conn, &c);
	}
	if (metrics_only && !strcmp(url, "/metrics") && !strcmp(method, "GET")) {
		double now = mono();

		if (now - a->mwin_t >= 1.0) {
			a->mwin_t = now;
			a->mwin_n = 0;
		}
		if (a->mwin_n < PP_API_METRICS_RATE)
			return a->mwin_n++, metrics_snapshot(a, conn);
		if (a->nwaiters == WAITERS_MAX) {
			reply_err(&c, 503, "busy", NULL, "too many scrapes: try again");
			return send_reply(conn, &c);
		}
		/* over this second's scrapes: it waits for the next second */
		a->waiters[a->nwaiters].conn = conn;
		a->waiters[a->nwaiters].deadline = a->mwin_t + 1.0;
		a->nwaiters++;
		rq->suspended = 1;
		rq->responded = 0;
		MHD_suspend_connection(conn);
		return MHD_YES;
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &c);
	c.body = rq->body ? rq->body : "";
	c.len = rq->len;
	if (rq->suspended) {	/* a long poll, resumed: answer what there is */
		c.resumed = true;
		serve_events(&c);
	} else {
		c.may_wait = true;
		route(&c);
	}
	if (c.wait) {
		a->waiters[a->nwaiters].conn = conn;
		a->waiters[a->nwaiters].deadline = c.deadline;
		a->nwaiters++;
		rq->suspended = 1;
		rq->responded = 0;
		MHD_suspend_connection(conn);
		return MHD_YES;
	}
	return send_reply(conn, &c);
}

static enum MHD_Result on_api(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **con_cls)
{
	return on_request(cls, c, url, method, version, data, size, con_cls, 0);
}

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	return on_request(cls, c, url, method, version, data, size, con_cls, 1);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct pp_api *a = cls;
	struct req *rq = *con_cls;

	(void)toe;
	for (int i = 0; i < a->nwaiters; i++)	/* a waiter that went away */
		if (a->waiters[i].conn == c)
			a->waiters[i] = a->waiters[--a->nwaiters];
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}
/* ---- lifecycle --------------------------------------------------------------------- */

/*
 * The socket's directory, made as pp_mkdir_parent makes it.  Its callers
 * always saw the error of that directory itself: the components above it
 * were tried with their errors ignored, so when pp_mkdir_parent stops at one
 * of them, the directory's own mkdir still decides.
 */
static int socket_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;

	if (!pp_mkdir_parent(path, 0755))
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	return mkdir(dir, 0755) && errno != EEXIST ? -errno : 0;
}

static int unix_listen(const char *path, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	err = socket_dir(path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file nobody answers on is a leftover; one that answers is not ours. */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    listen(fd, 256)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (group) {
		struct group *g = getgrnam(group);

		if (!g || chown(path, 0, g->gr_gid)) {
			close(fd);
			return -EINVAL;
		}
	}
	return fd;
}

int pp_api_create(struct pp_api **out, struct pp_daemon *d, const struct pp_api_opts *o)
{
	struct pp_api *a = calloc(1, sizeof(*a));
	json_object *rec = NULL;
	char why[400];
	struct rbuf r;
	int err;

	if (!a)
		return -ENOMEM;
	a->d = d;
	a->o = *o;
	a->listen_fd = -1;
	a->ep = a->tfd = -1;
	snprintf(a->store_path, sizeof(a->store_path), "%s/api.json", o->state_dir);
	pp_daemon_set_keep(d, keep_entry, a);
	err = store_read(a->store_path, &a->store, &rec, why, sizeof(why));
	if (!err && rec) {		/* damaged before: keep on keeping */
		kept_from_record(a, rec);
		sf_obj_reason(a);
		pr_warn("api: the state file was damaged (%s), kept as %s: %zu objects still kept%s\n",
			a->sf.reason, a->sf.kept_as, kept_total(a),
			a->sf.pending ? " (which: decided at the first configuration that loads)" : "");
	}
	json_object_put(rec);
	a->sf.unverified = !err && !a->sf.damaged;
	if (!a->store) {
		a->store = json_object_new_object();
		for (int k = 0; k < K_COUNT; k++)
			store_kind(a->store, k);
	}
	render(a->store, &r);
	adopt_render(a, &r);
	if (err && err != -ENOENT)
		store_damaged(a, why);
	*out = a;
	return 0;
}

int pp_api_listen(struct pp_api *a)
{
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;

	a->listen_fd = unix_listen(a->o.socket_path, a->o.group);
	if (a->listen_fd < 0)
		return a->listen_fd;
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_api, a,
				  MHD_OPTION_LISTEN_SOCKET, a->listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
				  MHD_OPTION_NOTIFY_COMPLETED, on_done, a,
				  MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, a, MHD_OPTION_END);
	if (!a->mhd)
		return -EIO;
	if (a->o.metrics_listen) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		char host[64];
		unsigned port;

		if (sscanf(a->o.metrics_listen, "%63[^:]:%u", host, &port) != 2 || port > 65535 ||
		    inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return -EINVAL;
		sin.sin_port = htons(port);
		/*
		 * At most PP_API_METRICS_CONNS connections at once: at the limit
		 * MHD stops accepting, and the others wait in the listen backlog
		 * (up to the connection timeout of those being served).
		 */
		a->mhd_metrics = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
						  NULL, on_metrics, a, MHD_OPTION_SOCK_ADDR, &sin,
						  MHD_OPTION_CONNECTION_LIMIT,
						  (unsigned)PP_API_METRICS_CONNS,
						  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
						  MHD_OPTION_NOTIFY_COMPLETED, on_done, a,
						  MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, a,
						  MHD_OPTION_END);
		if (!a->mhd_metrics)
			return -EADDRINUSE;
	}
	a->ep = epoll_create1(EPOLL_CLOEXEC);
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->ep < 0 || a->tfd < 0)
		return -errno;
	for (int i = 0; i < 3; i++) {
		struct MHD_Daemon *m = i == 1 ? a->mhd : a->mhd_metrics;
		const union MHD_DaemonInfo *info = i && m ? MHD_get_daemon_info(m,
							MHD_DAEMON_INFO_EPOLL_FD) : NULL;
		struct epoll_event ev = { .events = EPOLLIN };

		ev.data.fd = i ? (info ? info->epoll_fd : -1) : a->tfd;
		if (ev.data.fd >= 0 && epoll_ctl(a->ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	return 0;
}

void pp_api_destroy(struct pp_api *a)
{
	if (!a)
		return;
	if (a->mhd)
		MHD_stop_daemon(a->mhd);
	if (a->mhd_metrics)
		MHD_stop_daemon(a->mhd_metrics);
	if (a->msnap)
		MHD_destroy_response(a->msnap);
	if (a->ep >= 0)
		close(a->ep);
	if (a->tfd >= 0)
		close(a->tfd);
	pp_daemon_unset_keep(a->d, a);
	kept_clear(a);
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		unlink(a->o.socket_path);
	}
	for (int i = 0; i < EVENTS_MAX; i++)
		json_object_put(a->events[i]);
	json_object_put(a->last_status);
	json_object_put(a->store);
	free(a->src);
	free(a->lines);
	free(a);
}

int pp_api_fds(struct pp_api *a, int *fds, int n)
{
	if (a->ep < 0 || n < 1)
		return 0;
	fds[0] = a->ep;
	return 1;
}

int pp_api_timeout_ms(struct pp_api *a)
{
	MHD_UNSIGNED_LONG_LONG t;
	long best = -1;
	double now = mono();
	struct itimerspec its = {};

	if (a->resumed) {
		best = 0;
		goto arm;
	}
	for (int i = 0; i < 2; i++) {
		struct MHD_Daemon *m = i ? a->mhd_metrics : a->mhd;

		if (m && MHD_get_timeout(m, &t) == MHD_YES && (best < 0 || (long)t < best))
			best = t;
	}
	for (int i = 0; i < a->nwaiters; i++) {
		long ms = (long)((a->waiters[i].deadline - now) * 1000) + 1;

		if (ms < 0)
			ms = 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	if (best > 60000)
		best = 60000;
arm:
	if (a->tfd >= 0) {
		if (best >= 0) {	/* 0 would disarm it: 1 ns is "now" */
			its.it_value.tv_sec = best / 1000;
			its.it_value.tv_nsec = (best % 1000) * 1000000 + !best;
		}
		timerfd_settime(a->tfd, 0, &its, NULL);
	}
	return (int)best;
}

void pp_api_run(struct pp_api *a)
{
	double now = mono();
	__u64 exp;

	if (a->tfd >= 0 && read(a->tfd, &exp, sizeof(exp)) < 0) {
		/* not expired yet: nothing to read */
	}

	for (int i = 0; i < a->nwaiters;) {	/* long polls that timed out */
		if (a->waiters[i].deadline <= now) {
			MHD_resume_connection(a->waiters[i].conn);
			a->waiters[i] = a->waiters[--a->nwaiters];
			a->resumed = 1;
		} else {
			i++;
		}
	}
	/*
	 * A resumed connection is picked up by one MHD_run and answered by the
	 * next: its socket has nothing new to say, so epoll would not wake us.
	 * Likewise a daemon at its connection limit: MHD takes its listening
	 * socket out of its epoll set, frees a closed connection at the end of
	 * one MHD_run and puts the socket back at the start of the next, so a
	 * connection waiting in the backlog needs that second run (an empty
	 * epoll_wait when there is nothing).
	 */
	for (int pass = 0; pass < (a->resumed ? 3 : 2); pass++) {
		if (a->mhd)
			MHD_run(a->mhd);
		if (a->mhd_metrics)
			MHD_run(a->mhd_metrics);
	}
	a->resumed = 0;
}
