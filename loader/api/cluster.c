// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Cluster mode (polyportd --store etcd=URL --host NAME): the API objects live
 * in etcd, every host's polyportd programs its share of them.
 *
 * Keys under the prefix P (default /polyport/v1/):
 *   P<kind>/<name>               an API object, its JSON as in api.json but
 *                                without "revision" (its etcd mod revision)
 *   Prevision                    put by every object write: a write validated
 *                                at store revision R commits only while this
 *                                key's mod revision is <= R (one compare
 *                                covers every object, deletes included)
 *   Phosts/<host>                a host's record, on its lease
 *   Pstatus/<host>/<kind>/<name> its objects' statuses, on its lease
 *
 * a->store mirrors every object of the store (all hosts'); a->src is the
 * render of this host's share (place.c).  The mirror is filled by a list and
 * kept by a watch from the listed revision + 1, both over libcurl multi in
 * the daemon's loop (loader/etcd.h); a compacted revision or a broken stream
 * means a fresh list.  api.json stays, as a cache of the last applied store,
 * so a daemon that starts while etcd is away programs what it had.
 *
 * Writes are validated twice — the whole store as one configuration
 * ("global": references, MAC and VLAN clashes, with each host's device names
 * made unique) and this host's share with its binding files — and committed
 * by one etcd transaction (the only blocking call here: bounded by
 * PP_CLUSTER_TXN_MS), then applied at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/epoll.h>
#include "internal.h"
#include "etcd.h"
#include "log.h"
#include "reconcile.h"

#define PP_CLUSTER_TXN_MS	2000	/* an API write's transaction */
#define PP_CLUSTER_GRANT_MS	1000
#define TXN_OPS_MAX		128	/* etcd's default --max-txn-ops */
#define SAVE_DELAY		1.0	/* s: the cache follows the store this late at most */

struct cluster {
	struct pp_etcd *e;
	char host[PP_HOST_MAX + 1];
	char prefix[128];
	size_t plen;
	long ttl;
	char lease_path[600];
	char vhosts_path[600];	/* cl->vhosts, kept across restarts */
	/* the sync */
	bool listing, watching, connected;
	bool listed;		/* the store was listed since the start (the other hosts known) */
	int64_t rev;		/* the store's revision the mirror is at (list or watch) */
	int64_t objrev;		/* ... and at least this for the objects (our own writes) */
	bool dirty;		/* objects changed: a reload is due */
	unsigned long gen;	/* a->store's objects changed (the global check's cache) */
	json_object *gskip;	/* the global check of a->store at gen gskip_gen */
	unsigned long gskip_gen;
	double retry_at;	/* the next list (0: none due) */
	double backoff;
	double save_at;		/* the cache is saved then (0: not due) */
	char last_err[256];
	/* the placement of the configuration in force */
	json_object *skipped;	/* "kind/name" -> reason */
	json_object *incoming;	/* iport -> the host it comes from */
	json_object *committing;	/* iport -> revision: its host's commit is on its way */
	/* this host's share as last loaded, before the load's own drops: a store
	 * change that leaves it as it was (another host's) reloads nothing */
	char *share;
	size_t share_len;
	json_object *share_pre;	/* the placement's own skips then */
	/* share_changed()'s placement of a->store at gen next_gen, for the reload */
	struct placement next;
	char *next_text;
	size_t next_len;
	unsigned long next_gen;
	/* hosts and their statuses */
	json_object *hosts;	/* host -> its record, while it has one (its lease) */
	json_object *vtep_warned;	/* host -> the malformed vtep we said so of */
	/*
	 * host -> {"vtep": its VTEP}: the last one each other host published,
	 * kept when its record expires.  A record expires when the host's
	 * daemon dies as well as when the machine does, and its dataplane
	 * forwards without its daemon: its guests stay reachable.  (Frames to
	 * a dead machine are lost either way.)  Forgotten when the host
	 * publishes a record without one.  What the remotes are computed from.
	 */
	json_object *vhosts;
	bool vhosts_moved;	/* changed while the store was listed */
	char *rkey;		/* the remotes of the configuration in force (remotes_key()) */
	json_object *gone;	/* host -> {"at": mono seconds, "ttl": s}: its record expired */
	json_object *remote;	/* host -> {"kind/name": {"status", "reason", ...}} */
	/* ours */
	int64_t lease;
	double ka_at;		/* the next keepalive */
	bool ka_busy;
	json_object *desired;	/* key (after P) -> value text: what we report */
	json_object *published;	/* ... and what the store has of it */
	bool pub_busy;
	bool pub_due;		/* desired or published changed: publish() has work */
};

/* ---- keys ---------------------------------------------------------------------- */

static int kind_of(const char *path, size_t len)
{
	for (int k = 0; k < K_COUNT; k++)
		if (strlen(kinds[k].path) == len && !memcmp(kinds[k].path, path, len))
			return k;
	return -1;
}

static void obj_key(const struct cluster *cl, char *buf, size_t len, enum kind k,
		    const char *name)
{
	snprintf(buf, len, "%s%s/%s", cl->prefix, kinds[k].path, name);
}

/* "instance-ports" -> "instance-port", as events name kinds */
static void kind_word(enum kind k, char *buf, size_t len)
{
	size_t n = strlen(kinds[k].path);

	snprintf(buf, len, "%.*s", (int)(n - 1), kinds[k].path);
}


/* An object's value in the store: the object without its revision. */
static char *obj_value(json_object *obj)
{
	json_object *c = NULL;
	char *s;

	if (json_object_deep_copy(obj, &c, NULL))
		return NULL;
	json_object_object_del(c, "revision");
	s = strdup(json_plain(c));
	json_object_put(c);
	return s;
}

static bool cl_on(const struct pp_api *a)
{
	return a->cl != NULL;
}

/* ---- the mirror: list, watch ------------------------------------------------------- */

static void start_list(struct pp_api *a);

static void lost(struct pp_api *a, int err, const char *what)
{
	struct cluster *cl = a->cl;

	char was[sizeof(cl->last_err)];

	snprintf(was, sizeof(was), "%s", cl->last_err);
	snprintf(cl->last_err, sizeof(cl->last_err), "%s: %s%s%s", what, strerror(-err),
		 pp_etcd_strerror(cl->e)[0] ? ", " : "", pp_etcd_strerror(cl->e));
	/* said once, and again when the reason changes (not at every retry) */
	if (cl->connected || strcmp(was, cl->last_err))
		pr_warn("cluster: the store is unreachable (%s): the dataplane keeps the last "
			"applied state; API writes answer 503 until it is back\n", cl->last_err);
	if (cl->connected)
		pp_api_event(a, "cluster", cl->host, "disconnected", "DOWN", cl->last_err);
	cl->connected = false;
	/* a watch that outlived the failure (a write timed out): listed again, anew */
	if (cl->watching)
		pp_etcd_watch_cancel(cl->e);
	cl->backoff = cl->backoff ? (cl->backoff * 2 > 2 ? 2 : cl->backoff * 2) : 0.1;
	cl->retry_at = mono() + cl->backoff;
}

/* Parse a key of ours: an object's (kind, name), a host's record or a status. */
enum key_type { KEY_OTHER, KEY_OBJ, KEY_HOST, KEY_STATUS };

struct key_ref {
	enum key_type t;
	int kind;
	char host[PP_HOST_MAX + 1];
	char name[PP_NAME_MAX + 1];
};

static enum key_type parse_key(const struct cluster *cl, const char *key, size_t len,
			       struct key_ref *r)
{
	const char *p = key + cl->plen, *end = key + len, *s;

	memset(r, 0, sizeof(*r));
	r->kind = -1;
	if (len <= cl->plen || memcmp(key, cl->prefix, cl->plen) || memchr(key, 0, len))
		return KEY_OTHER;
	if (end - p > 6 && !memcmp(p, "hosts/", 6)) {
		if ((size_t)(end - p - 6) > PP_HOST_MAX)
			return KEY_OTHER;
		memcpy(r->host, p + 6, end - p - 6);
		return host_name_valid(r->host) ? (r->t = KEY_HOST) : KEY_OTHER;
	}
	if (end - p > 7 && !memcmp(p, "status/", 7)) {
		p += 7;
		s = memchr(p, '/', end - p);
		if (!s || (size_t)(s - p) > PP_HOST_MAX)
			return KEY_OTHER;
		memcpy(r->host, p, s - p);
		p = s + 1;
		r->t = KEY_STATUS;
	} else {
		r->t = KEY_OBJ;
	}
	s = memchr(p, '/', end - p);
	if (!s || (r->kind = kind_of(p, s - p)) < 0 || (size_t)(end - s - 1) > PP_NAME_MAX)
		return r->t = KEY_OTHER;
	memcpy(r->name, s + 1, end - s - 1);
	if (!pp_name_valid(r->name, strlen(r->name)) || (r->t == KEY_STATUS && !host_name_valid(r->host)))
		return r->t = KEY_OTHER;
	return r->t;
}

static json_object *parse_value(const char *v, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o = tok ? json_tokener_parse_ex(tok, v, (int)len) : NULL;

	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  (size_t)json_tokener_get_parse_end(tok) != len ||
		  !json_object_is_type(o, json_type_object) || json_text_has_nul(v, len))) {
		json_object_put(o);
		o = NULL;
	}
	if (tok)
		json_tokener_free(tok);
	return o;
}

static json_object *sub(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		v = json_object_new_object();
		json_object_object_add(o, key, v);
	}
	return v;
}

static void remote_event(struct pp_api *a, const struct key_ref *r, json_object *val)
{
	char kw[32], key[80];
	json_object *e, *old = NULL, *h = sub(a->cl->remote, r->host);

	snprintf(key, sizeof(key), "%s/%s", kinds[r->kind].path, r->name);
	json_object_object_get_ex(h, key, &old);
	if (!val)
		return;		/* a status gone: its host's record says why */
	if (old && !strcmp(json_str(old, "status", ""), json_str(val, "status", "")) &&
	    !strcmp(json_str(old, "reason", ""), json_str(val, "reason", "")))
		return;		/* the same told again */
	kind_word(r->kind, kw, sizeof(kw));
	e = pp_api_event(a, kw, r->name, "status", json_str(val, "status", "?"),
			 json_str(val, "reason", NULL));
	json_object_object_add(e, "host", json_object_new_string(r->host));
}

static void host_gone_events(struct pp_api *a, const char *host, long ttl)
{
	char reason[160];

	snprintf(reason, sizeof(reason), "host %s has not reported for %ld s", host, ttl);
	json_object_object_foreach(store_kind(a->store, K_IPORT), name, obj) {
		const char *h = json_str(obj, "host", NULL);
		json_object *e;

		if (!h || strcmp(h, host))
			continue;
		e = pp_api_event(a, "instance-port", name, "status", "UNKNOWN", reason);
		json_object_object_add(e, "host", json_object_new_string(host));
	}
}

/* Say once (per value) that a host's VTEP is malformed or of the other family. */
static void vtep_check(struct pp_api *a, const char *host, json_object *rec)
{
	struct cluster *cl = a->cl;
	struct pp_cfg_addr vt, mine;
	const char *s = json_plain(json_object_object_get(rec, "vtep"));
	const char *said = json_str(cl->vtep_warned, host, NULL);
	int ok = rec ? host_vtep(rec, &vt) : 0;

	if (ok > 0 && a->o.vtep && !pp_addr_parse(a->o.vtep, strlen(a->o.vtep), &mine, false) &&
	    mine.family != vt.family)
		ok = -EAFNOSUPPORT;
	if (ok >= 0) {
		json_object_object_del(cl->vtep_warned, host);
		return;
	}
	if (said && !strcmp(said, s))
		return;
	if (ok == -EINVAL)
		pr_warn("cluster: host %s's record has vtep %s, not an IPv4 or IPv6 address: its "
			"service ports on stretched networks are not reached from here\n", host, s);
	else
		pr_warn("cluster: host %s's VTEP %s is not of the family of ours (%s): frames to its "
			"service ports on stretched networks are dropped\n", host, s, a->o.vtep);
	json_object_object_add(cl->vtep_warned, host, json_object_new_string(s));
}

/*
 * cl->vhosts in the state directory (written atomically when it changes):
 * a daemon restarted while another host's daemon is dead lists the store
 * without that host's record, and would forget the VTEP its guests are
 * still reached by.
 */
static void vhosts_save(struct cluster *cl)
{
	char tmp[620];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", cl->vhosts_path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", json_plain(cl->vhosts)) < 0 || fflush(f) ||
	    fsync(fileno(f))) {
		pr_warn("cluster: saving the hosts' VTEPs in %s: %s\n", tmp, strerror(errno));
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	if (rename(tmp, cl->vhosts_path))
		pr_warn("cluster: saving the hosts' VTEPs in %s: %s\n", cl->vhosts_path,
			strerror(errno));
}

/* The VTEPs a previous daemon kept (only well-formed host -> {"vtep": ...} entries). */
static void vhosts_load(struct cluster *cl)
{
	json_object *o = json_object_from_file(cl->vhosts_path);

	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, h, rec) {
			json_object *v;

			if (host_name_valid(h) && strcmp(h, cl->host) &&
			    json_object_is_type(rec, json_type_object) &&
			    json_object_object_get_ex(rec, "vtep", &v) &&
			    json_object_is_type(v, json_type_string))
				json_object_object_add(cl->vhosts, h, json_object_get(rec));
		}
	}
	json_object_put(o);
}

/*
 * Remember the VTEP of host's record rec (cl->vhosts), or forget it: none.
 * Whether that changed it (the remotes are due, and the VTEP is checked).
 */
static bool vhost_keep(struct pp_api *a, const char *host, json_object *rec)
{
	struct cluster *cl = a->cl;
	json_object *v = rec ? json_object_object_get(rec, "vtep") : NULL, *h, *was;
	bool had = json_object_object_get_ex(cl->vhosts, host, &was);

	if (!v || json_object_is_type(v, json_type_null)) {
		if (!had)
			return false;
		json_object_object_del(cl->vhosts, host);
	} else if (had && json_object_equal(json_object_object_get(was, "vtep"), v)) {
		return false;
	} else {
		h = json_object_new_object();
		json_object_object_add(h, "vtep", json_object_get(v));
		json_object_object_add(cl->vhosts, host, h);
	}
	vhosts_save(cl);
	vtep_check(a, host, rec);
	return true;
}

/* One key of the store, put (val) or deleted (!val), into the mirror. */
static void mirror_kv(struct pp_api *a, const struct pp_etcd_kv *kv, bool del, bool events)
{
	struct cluster *cl = a->cl;
	struct key_ref r;
	json_object *o = NULL, *cur;
	char key[80];

	switch (parse_key(cl, kv->key, kv->key_len, &r)) {
	case KEY_OBJ:
		cur = store_get(a->store, r.kind, r.name);
		if (del) {
			if (cur) {
				json_object_object_del(store_kind(a->store, r.kind), r.name);
				cl->dirty = true;
				cl->gen++;
				if (events)
					pp_api_event(a, kinds[r.kind].what, r.name, "deleted", NULL, NULL);
			}
			return;
		}
		o = parse_value(kv->value, kv->value_len);
		if (!o) {
			pr_warn("cluster: %.*s is not a JSON object: ignored\n", (int)kv->key_len,
				kv->key);
			return;
		}
		if (cur && same_object(cur, o)) {
			json_object_object_add(cur, "revision", json_object_new_int64(kv->mod_revision));
			json_object_put(o);
			return;
		}
		json_object_object_del(o, "revision");
		json_object_object_add(o, "revision", json_object_new_int64(kv->mod_revision));
		json_object_object_add(store_kind(a->store, r.kind), r.name, o);
		cl->dirty = true;
		cl->gen++;
		/* a change made elsewhere (ours come back unchanged: no event twice) */
		if (events)
			pp_api_event(a, kinds[r.kind].what, r.name, "updated", NULL, NULL);
		return;
	case KEY_HOST:
		if (!strcmp(r.host, cl->host))
			return;		/* ours: we know */
		o = del ? NULL : parse_value(kv->value, kv->value_len);
		if (del) {	/* its VTEP stays known (cl->vhosts) */
			json_object *rec = json_object_object_get(cl->hosts, r.host);
			json_object *g = json_object_new_object();
			json_object *t = rec ? json_object_object_get(rec, "ttl") : NULL;
			long ttl = t ? json_object_get_int64(t) : cl->ttl;

			json_object_object_add(g, "at", json_object_new_double(mono()));
			json_object_object_add(g, "ttl", json_object_new_int64(ttl));
			json_object_object_add(cl->gone, r.host, g);
			json_object_object_del(cl->hosts, r.host);
			if (events)
				host_gone_events(a, r.host, ttl);
			return;
		}
		json_object_object_add(cl->hosts, r.host, o ? o : json_object_new_object());
		json_object_object_del(cl->gone, r.host);
		if (vhost_keep(a, r.host, o))
			cl->dirty = cl->vhosts_moved = true;	/* its MACs: here or moved */
		return;
	case KEY_STATUS:
		if (!strcmp(r.host, cl->host))
			return;
		snprintf(key, sizeof(key), "%s/%s", kinds[r.kind].path, r.name);
		o = del ? NULL : parse_value(kv->value, kv->value_len);
		if (events)
			remote_event(a, &r, o);
		if (o)
			json_object_object_add(sub(cl->remote, r.host), key, o);
		else
			json_object_object_del(sub(cl->remote, r.host), key);
		return;
	default:
		return;
	}
}

static const struct pp_etcd_watch_cb watch_cb;

static void on_list(void *arg, int err, int64_t rev, const struct pp_etcd_kv *kvs, size_t n)
{
	struct pp_api *a = arg;
	struct cluster *cl = a->cl;
	json_object *old = a->store, *oldhosts;
	int nobj = 0;

	cl->listing = false;
	if (err) {
		lost(a, err, "list");
		return;
	}
	/* the mirror anew: objects, hosts, statuses */
	a->store = json_object_new_object();
	cl->gen++;
	for (int k = 0; k < K_COUNT; k++)
		store_kind(a->store, k);
	oldhosts = cl->hosts;
	json_object_put(cl->remote);
	cl->hosts = json_object_new_object();
	cl->remote = json_object_new_object();
	cl->vhosts_moved = false;
	for (size_t i = 0; i < n; i++)
		mirror_kv(a, &kvs[i], false, false);
	/* hosts we knew that have no record now: gone (at the latest) now */
	json_object_object_foreach(oldhosts, hn, rec) {
		json_object *g, *t;

		if (json_object_object_get_ex(cl->hosts, hn, NULL))
			continue;
		g = json_object_new_object();
		t = json_object_object_get(rec, "ttl");
		json_object_object_add(g, "at", json_object_new_double(mono()));
		json_object_object_add(g, "ttl", json_object_new_int64(t ? json_object_get_int64(t)
									 : cl->ttl));
		json_object_object_add(cl->gone, hn, g);
		host_gone_events(a, hn, t ? json_object_get_int64(t) : cl->ttl);
	}
	json_object_put(oldhosts);
	for (int k = 0; k < K_COUNT; k++)
		nobj += json_object_object_length(store_kind(a->store, k));
	/* a reload only if the objects (or the hosts' VTEPs: the remotes) differ (so
	 * a restart writes no map) */
	cl->dirty = cl->vhosts_moved;
	for (int k = 0; k < K_COUNT && !cl->dirty; k++) {
		json_object *x = store_kind(old, k), *y = store_kind(a->store, k);

		if (json_object_object_length(x) != json_object_object_length(y)) {
			cl->dirty = true;
			break;
		}
		json_object_object_foreach(y, name, obj) {
			json_object *o2 = store_get(old, k, name);

			if (!o2 || !same_object(o2, obj)) {
				cl->dirty = true;
				break;
			}
		}
	}
	json_object_put(old);
	cl->rev = rev;
	if (rev > cl->objrev)
		cl->objrev = rev;
	if (!cl->listed)		/* the other hosts known: their tables may be due */
		cl->dirty = cl->listed = true;
	cl->save_at = mono() + SAVE_DELAY;
	pr_info("cluster: listed %d objects at revision %lld%s\n", nobj, (long long)rev,
		cl->dirty ? "" : " (as applied)");
	err = pp_etcd_watch(cl->e, cl->prefix, rev + 1, &watch_cb, a);
	if (err) {
		lost(a, err, "watch");
		return;
	}
	cl->watching = true;
}

static void on_created(void *arg, int64_t rev)
{
	struct pp_api *a = arg;
	struct cluster *cl = a->cl;

	(void)rev;
	if (!cl->connected) {
		pr_info("cluster: connected to the store at revision %lld\n", (long long)cl->rev);
		pp_api_event(a, "cluster", cl->host, "connected", "ACTIVE", NULL);
	}
	cl->connected = true;
	cl->backoff = 0;
	cl->last_err[0] = 0;
	json_object_put(cl->published);		/* what the store has of ours: tell it all again */
	cl->published = json_object_new_object();
	cl->pub_due = true;
	cl->ka_at = 0;				/* the lease: now */
}

static void on_event(void *arg, bool del, const struct pp_etcd_kv *kv, int64_t rev)
{
	struct pp_api *a = arg;

	(void)rev;
	mirror_kv(a, kv, del, true);
	if (kv->mod_revision > a->cl->rev)
		a->cl->rev = kv->mod_revision;
}

static void on_batch_end(void *arg, int64_t rev)
{
	struct pp_api *a = arg;
	struct cluster *cl = a->cl;

	if (rev > cl->rev)
		cl->rev = rev;
	if (cl->rev > cl->objrev)
		cl->objrev = cl->rev;
	if (cl->dirty)
		cl->save_at = cl->save_at ? cl->save_at : mono() + SAVE_DELAY;
}

static void on_watch_end(void *arg, int err, int64_t compact_rev)
{
	struct pp_api *a = arg;
	struct cluster *cl = a->cl;

	cl->watching = false;
	if (err == -ECANCELED)
		return;
	if (err == -ESTALE) {
		pr_info("cluster: revision %lld was compacted (at %lld): listing again\n",
			(long long)cl->rev + 1, (long long)compact_rev);
		cl->retry_at = mono();
		return;
	}
	lost(a, err, "watch");
}

static const struct pp_etcd_watch_cb watch_cb = {
	.created = on_created, .event = on_event, .batch_end = on_batch_end, .end = on_watch_end,
};

static void start_list(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	int err;

	cl->retry_at = 0;
	if (cl->watching)
		pp_etcd_watch_cancel(cl->e);
	cl->watching = false;
	err = pp_etcd_range_prefix(cl->e, cl->prefix, on_list, a);
	if (err) {
		lost(a, err, "list");
		return;
	}
	cl->listing = true;
}

/* ---- what we report: our record and our objects' statuses, on our lease ------------ */

static void lease_save(struct cluster *cl)
{
	FILE *f = fopen(cl->lease_path, "w");

	if (f) {
		fprintf(f, "%lld\n", (long long)cl->lease);
		fclose(f);
	}
}

static void on_keepalive(void *arg, int err, long ttl)
{
	struct pp_api *a = arg;
	struct cluster *cl = a->cl;

	cl->ka_busy = false;
	if (err) {
		cl->ka_at = mono() + 1;
		/* etcd gone without closing the stream (a partition): as lost */
		if (cl->connected)
			lost(a, err, "keepalive");
		return;
	}
	if (ttl <= 0) {			/* expired: a new one, and everything again */
		pr_warn("cluster: our lease %llx expired: reporting again on a new one\n",
			(unsigned long long)cl->lease);
		cl->lease = 0;
		cl->ka_at = 0;
		json_object_put(cl->published);
		cl->published = json_object_new_object();
		cl->pub_due = true;
		return;
	}
	cl->ka_at = mono() + (cl->ttl / 3.0 > 0.5 ? cl->ttl / 3.0 : 0.5);
}

static void lease_tick(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	int err;

	if (!cl->connected || cl->ka_busy || mono() < cl->ka_at)
		return;
	if (!cl->lease) {
		err = pp_etcd_lease_grant_sync(cl->e, cl->ttl, &cl->lease, PP_CLUSTER_GRANT_MS);
		if (err) {
			pr_warn("cluster: lease: %s\n", strerror(-err));
			cl->ka_at = mono() + 1;
			return;
		}
		lease_save(cl);
		json_object_put(cl->published);
		cl->published = json_object_new_object();
		cl->pub_due = true;
	}
	if (!pp_etcd_lease_keepalive(cl->e, cl->lease, on_keepalive, a))
		cl->ka_busy = true;
	else
		cl->ka_at = mono() + 1;
}

static void publish(struct pp_api *a);

static void on_published(void *arg, int err, bool ok, int64_t rev)
{
	struct pp_api *a = arg;
	struct cluster *cl = a->cl;

	(void)rev;
	cl->pub_busy = false;
	if (err || !ok) {
		/* whatever it was (the lease gone, etcd away): all of it again */
		json_object_put(cl->published);
		cl->published = json_object_new_object();
		cl->pub_due = true;
		if (!err)
			cl->lease = 0, cl->ka_at = 0;
		return;
	}
	publish(a);		/* the next batch, if any */
}

/* What the store has of ours, brought to cl->desired: one transaction of at
 * most TXN_OPS_MAX operations in flight at a time (so they land in order). */
static void publish(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	json_object *t, *done;
	char key[600];
	int ops = 0;

	if (!cl->connected || !cl->lease || cl->pub_busy || !cl->desired)
		return;
	cl->pub_due = false;
	t = pp_etcd_txn_new();
	done = json_object_new_object();
	json_object_object_foreach(cl->desired, k1, v1) {
		json_object *p;
		const char *val = json_object_get_string(v1);

		if (ops == TXN_OPS_MAX)
			break;
		if (json_object_object_get_ex(cl->published, k1, &p) &&
		    !strcmp(json_object_get_string(p), val))
			continue;
		snprintf(key, sizeof(key), "%s%s", cl->prefix, k1);
		pp_etcd_txn_put(t, key, val, strlen(val), cl->lease);
		json_object_object_add(done, k1, json_object_get(v1));
		ops++;
	}
	json_object_object_foreach(cl->published, k2, v2) {
		(void)v2;
		if (ops == TXN_OPS_MAX)
			break;
		if (json_object_object_get_ex(cl->desired, k2, NULL))
			continue;
		snprintf(key, sizeof(key), "%s%s", cl->prefix, k2);
		pp_etcd_txn_del(t, key, false);
		json_object_object_add(done, k2, NULL);
		ops++;
	}
	if (!ops) {
		json_object_put(t);
		json_object_put(done);
		return;
	}
	if (pp_etcd_txn(cl->e, t, on_published, a)) {	/* t is taken, whatever it returns */
		json_object_put(done);
		cl->pub_due = true;
		return;
	}
	cl->pub_busy = true;
	json_object_object_foreach(done, k3, v3) {
		if (v3)
			json_object_object_add(cl->published, k3, json_object_get(v3));
		else
			json_object_object_del(cl->published, k3);
	}
	json_object_put(done);
}

static json_object *st_obj(const char *status, const char *reason)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(status));
	if (reason && reason[0])
		json_object_object_add(o, "reason", json_object_new_string(reason));
	return o;
}

static void want(json_object *desired, enum kind k, const char *host, const char *name,
		 json_object *val)
{
	char key[200];

	snprintf(key, sizeof(key), "status/%s/%s/%s", host, kinds[k].path, name);
	json_object_object_add(desired, key, json_object_new_string(json_plain(val)));
	json_object_put(val);
}

/* The status of the i-th object of kind k in force, if it is the store's. */
static void want_st(struct pp_api *a, json_object *d, enum kind k, uint32_t i, const char *name)
{
	const struct pp_obj_status *st = obj_st(a, k, i);

	if (store_get(a->store, k, name))
		want(d, k, a->cl->host, name, st_obj(pp_status_name(st->status), st->reason));
}

/* What we report now: our record, the statuses of the store's objects we have. */
static void report(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	const struct pp_config *cfg = pp_daemon_config(a->d);
	json_object *d = json_object_new_object(), *rec = json_object_new_object();
	json_object *skip_sps = json_object_new_object();
	char key[200];

	json_object_object_add(rec, "name", json_object_new_string(cl->host));
	json_object_object_add(rec, "version", json_object_new_string(PP_VERSION_STRING));
	json_object_object_add(rec, "ttl", json_object_new_int64(cl->ttl));
	json_object_object_add(rec, "vtep", a->o.vtep ? json_object_new_string(a->o.vtep) : NULL);
	snprintf(key, sizeof(key), "hosts/%s", cl->host);
	json_object_object_add(d, key, json_object_new_string(json_plain(rec)));
	json_object_put(rec);
	for (uint32_t i = 0; cfg && i < cfg->n_networks; i++)
		want_st(a, d, K_NET, i, cfg->networks[i].name);
	for (uint32_t i = 0; cfg && i < cfg->n_l3domains; i++)
		want_st(a, d, K_L3DOM, i, cfg->l3domains[i].name);
	for (uint32_t i = 0; cfg && i < cfg->n_chains; i++)
		want_st(a, d, K_CHAIN, i, cfg->chains[i].name);
	/* the service ports skipped here, by instance port: ERROR, with the reason */
	json_object_object_foreach(cl->skipped, sk, sr) {
		const char *slash = strchr(sk, '/'), *ipn;

		if (!slash || kind_of(sk, slash - sk) != K_SPORT)
			continue;
		ipn = json_str(store_get(a->store, K_SPORT, slash + 1), "instance-port", NULL);
		if (ipn)
			json_object_object_add(sub(skip_sps, ipn), slash + 1,
					       st_obj("ERROR", json_object_get_string(sr)));
	}
	for (uint32_t i = 0; cfg && i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *p = &cfg->iports[i];
		const struct pp_obj_status *st = obj_st(a, K_IPORT, i);
		json_object *o, *sps = json_object_new_object(), *skipped;
		int active = 0;

		if (!store_get(a->store, K_IPORT, p->name)) {
			json_object_put(sps);
			continue;
		}
		o = st_obj(pp_status_name(st->status), st->reason);
		for (uint32_t s = p->sport_first; s < p->sport_first + p->sport_count; s++) {
			const struct pp_obj_status *ss = obj_st(a, K_SPORT, s);

			if (ss->status == PP_ST_ACTIVE)
				active++;
			else
				json_object_object_add(sps, cfg->sports[s].name,
						       st_obj(pp_status_name(ss->status), ss->reason));
		}
		if (json_object_object_get_ex(skip_sps, p->name, &skipped)) {
			json_object_object_foreach(skipped, sn, ss)
				json_object_object_add(sps, sn, json_object_get(ss));
		}
		json_object_object_add(o, "active", json_object_new_int(active));
		json_object_object_add(o, "service-ports", sps);
		if (p->incoming)
			json_object_object_add(o, "incoming", json_object_new_boolean(1));
		want(d, K_IPORT, cl->host, p->name, o);
	}
	/* what is ours and could not be programmed: ERROR, with the reason */
	json_object_object_foreach(cl->skipped, sk2, sr2) {
		const char *slash = strchr(sk2, '/');
		int k = slash ? kind_of(sk2, slash - sk2) : -1;

		if (k < 0 || k == K_SPORT)
			continue;
		want(d, k, cl->host, slash + 1, st_obj("ERROR", json_object_get_string(sr2)));
	}
	json_object_put(skip_sps);
	json_object_put(cl->desired);
	cl->desired = d;
	cl->pub_due = true;
	publish(a);
}

/* ---- an incoming instance port's first frame: it is ours now ----------------------- */

static void on_committed(void *arg, int err, bool ok, int64_t rev)
{
	struct pp_api *a = arg;

	(void)rev;
	if (err || !ok)
		pr_warn("cluster: committing an instance port's move here: %s\n",
			err ? strerror(-err) : "it changed meanwhile (its new state decides)");
	/* the watch brings the result (then it is not incoming any more: load_config
	 * forgets it); a failed one is tried again at the next notify */
	if (err || !ok) {
		json_object_put(a->cl->committing);
		a->cl->committing = json_object_new_object();
	}
}

static void commit_incoming(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	const struct pp_config *cfg = pp_daemon_config(a->d);
	char key[200], rkey[200];

	for (uint32_t i = 0; cfg && cl->connected && i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *p = &cfg->iports[i];
		const struct pp_iport_taps *t = pp_daemon_iport_taps(a->d, i);
		json_object *so = store_get(a->store, K_IPORT, p->name), *c = NULL, *rv, *txn;
		int64_t orev;
		char *val;

		if (!p->incoming || !t || !t->active || !so ||
		    json_object_object_get_ex(cl->committing, p->name, NULL))
			continue;
		orev = json_object_object_get_ex(so, "revision", &rv) ? json_object_get_int64(rv) : 0;
		if (json_object_deep_copy(so, &c, NULL))
			continue;
		json_object_object_add(c, "host", json_object_new_string(cl->host));
		json_object_object_del(c, "migrating-to");
		val = obj_value(c);
		json_object_put(c);
		if (!val)
			continue;
		obj_key(cl, key, sizeof(key), K_IPORT, p->name);
		snprintf(rkey, sizeof(rkey), "%srevision", cl->prefix);
		txn = pp_etcd_txn_new();
		/* conditioned on the port as we placed it (its host, its migrating-to) */
		pp_etcd_txn_cmp_mod(txn, key, "=", orev);
		pp_etcd_txn_put(txn, key, val, strlen(val), 0);
		pp_etcd_txn_put(txn, rkey, cl->host, strlen(cl->host), 0);
		free(val);
		if (pp_etcd_txn(cl->e, txn, on_committed, a))	/* txn is taken */
			continue;
		pr_info("cluster: instance port %s: its tap %s is active here: committing host %s\n",
			p->name, t->active_name, cl->host);
		json_object_object_add(cl->committing, p->name, json_object_new_int64(orev));
	}
}

void cluster_notify(struct pp_api *a)
{
	if (!cl_on(a))
		return;
	commit_incoming(a);
	report(a);
}

/* ---- the configuration: this host's share ------------------------------------------ */

/* The placement of the configuration cfg (about to be in force): its incoming
 * instance ports marked in it, the other hosts' MACs of its stretched
 * networks (a->store's, as it is now), what is skipped and incoming
 * remembered. */
static void take_placement(struct pp_api *a, const struct placement *p, struct pp_config *cfg)
{
	struct cluster *cl = a->cl;

	if (cluster_remotes(a->store, cl->vhosts, cl->host, cfg))
		pr_warn("cluster: the other hosts' MACs of the stretched networks: out of memory\n");
	/* before the first list (etcd away at the start) the hosts are not known:
	 * the pinned tables stay, not emptied */
	cfg->remotes_unknown = !cl->listed;
	for (uint32_t i = 0; i < cfg->n_iports; i++)
		cfg->iports[i].incoming =
			json_object_object_get_ex(p->incoming, cfg->iports[i].name, NULL);
	json_object_put(cl->skipped);
	json_object_put(cl->incoming);
	cl->skipped = json_object_get(p->skipped);
	cl->incoming = json_object_get(p->incoming);
}

/*
 * The share placement p of store stands for, as place() made it: its render
 * and skips, and the other hosts' MACs on its stretched networks (these
 * change with other hosts' ports and records, the share's text does not).
 */
static struct share {
	char *text;
	size_t len;
	char *rkey;
} share_of(struct cluster *cl, json_object *store, const struct placement *p)
{
	struct rbuf r;
	struct share sh;

	render(p->placed, &r);
	sh.text = r.text.s;
	sh.len = r.text.len;
	free(r.lines);
	sh.rkey = remotes_key(store, cl->vhosts, cl->host, p->placed);
	return sh;
}

static void share_free(struct share *sh)
{
	free(sh->text);
	free(sh->rkey);
	sh->text = sh->rkey = NULL;
}

/* Remember the share of the configuration now in force (sh is taken). */
static void share_keep(struct cluster *cl, struct share sh, const struct placement *p)
{
	free(cl->share);
	cl->share = sh.text;
	cl->share_len = sh.len;
	free(cl->rkey);
	cl->rkey = sh.rkey;
	json_object_put(cl->share_pre);
	cl->share_pre = NULL;
	json_object_deep_copy(p->skipped, &cl->share_pre, NULL);
}

/*
 * Does the store as it is now change this host's share (what it programs,
 * what it skips, what comes in, where the other hosts' MACs of its
 * stretched networks are)?  A change for other hosts only does not: no
 * reload, no reconcile.
 */
/* The configuration in force kept the remote tables as pinned (loaded before
 * the first list), and the hosts are known now: they are due. */
static bool remotes_were_unknown(const struct pp_api *a)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);

	return a->cl->listed && cfg && cfg->remotes_unknown;
}

static bool share_changed(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	struct placement p = {};
	struct share sh;
	bool changed;

	if (!cl->share || place(a->store, cl->host, &p)) {
		placement_free(&p);
		return true;
	}
	sh = share_of(cl, a->store, &p);
	changed = !sh.text || sh.len != cl->share_len || memcmp(sh.text, cl->share, sh.len) ||
		  !json_object_equal(p.skipped, cl->share_pre) ||
		  !json_object_equal(p.incoming, cl->incoming) ||
		  !sh.rkey || !cl->rkey || strcmp(sh.rkey, cl->rkey) ||
		  remotes_were_unknown(a);
	free(sh.rkey);		/* (the reload makes it again: the hosts may move meanwhile) */
	if (!changed) {
		free(sh.text);
		placement_free(&p);
		return false;
	}
	/* the reload it leads to loads this placement (the store has not moved) */
	placement_free(&cl->next);
	free(cl->next_text);
	cl->next = p;
	cl->next_text = sh.text;
	cl->next_len = sh.len;
	cl->next_gen = cl->gen;
	return true;
}

/* Moves committed and seen: the ports not incoming any more. */
static void forget_committed(struct cluster *cl)
{
	json_object *keep = json_object_new_object();

	json_object_object_foreach(cl->committing, name, rev)
		if (json_object_object_get_ex(cl->incoming, name, NULL))
			json_object_object_add(keep, name, json_object_get(rev));
	json_object_put(cl->committing);
	cl->committing = keep;
}

int cluster_load_config(struct pp_api *a, struct pp_config **out, struct pp_errors *errs)
{
	struct cluster *cl = a->cl;
	struct share sh = {};
	struct placement p = {};
	struct rbuf r = {};
	int err;

	*out = NULL;
	if (cl->next.placed && cl->next_gen == cl->gen) {	/* share_changed()'s */
		p = cl->next;
		sh.text = cl->next_text;
		sh.len = cl->next_len;
		sh.rkey = remotes_key(a->store, cl->vhosts, cl->host, p.placed);
		memset(&cl->next, 0, sizeof(cl->next));
		cl->next_text = NULL;
		err = place_load(a, &p, true, out, errs, &r);
	} else {
		err = place(a->store, cl->host, &p);
		if (!err) {
			sh = share_of(cl, a->store, &p);
			err = place_load(a, &p, true, out, errs, &r);
		}
	}
	if (err) {
		share_free(&sh);
		placement_free(&p);
		return err;
	}
	share_keep(cl, sh, &p);
	adopt_render(a, &r);
	take_placement(a, &p, *out);
	placement_free(&p);
	forget_committed(cl);
	return 0;
}

/* ---- writes ------------------------------------------------------------------------ */

static bool is_conflict(const char *msg, bool deleting)
{
	return deleting || strstr(msg, "already") || strstr(msg, "is the device of") ||
	       strstr(msg, "is the tap of") || strstr(msg, "has the name of") ||
	       strstr(msg, "binding files");
}

/* An object skipped in now that was not in before: the first such, or NULL. */
static const char *newly_skipped(json_object *before, json_object *now, const char **reason)
{
	json_object_object_foreach(now, key, why) {
		if (before && json_object_object_get_ex(before, key, NULL))
			continue;
		*reason = json_object_get_string(why);
		return key;
	}
	return NULL;
}

/* The global check of store: its skipped objects (a new object), or NULL and errs. */
static json_object *global_skipped(struct pp_api *a, json_object *store, struct pp_errors *errs)
{
	struct pp_config_host host, off = { .set = false };
	struct placement p = {};
	struct pp_config *cfg = NULL;
	struct rbuf r = {};
	json_object *sk = NULL;
	int err;

	/* every host's objects at once: this host's VTEP and underlay are none of
	 * the others' (each host checks its share with its own) */
	pp_config_get_host(&host);
	pp_config_set_host(&off);
	err = place(store, NULL, &p) || place_load(a, &p, false, &cfg, errs, &r);
	pp_config_set_host(&host);
	if (!err) {
		sk = json_object_get(p.skipped);
		json_object_object_foreach(p.errors, ek, ev)
			json_object_object_add(sk, ek, json_object_get(ev));
	}
	pp_config_free(cfg);
	rbuf_free(&r);
	placement_free(&p);
	return sk;
}

static int reply_skip(struct call *c, enum kind k, const char *name, const char *key,
		      const char *why, bool deleting, const char *where)
{
	char self[80];

	snprintf(self, sizeof(self), "%s/%s", kinds[k].path, name);
	if (deleting)
		return reply_err(c, 409, "in_use", NULL, "still referenced: %s %s%s", key, why, where);
	return reply_err(c, is_conflict(why, false) ? 409 : 422,
			 is_conflict(why, false) ? "conflict" : "invalid", NULL, "%s%s%s%s",
			 strcmp(key, self) ? key : "", strcmp(key, self) ? ": " : "", why, where);
}

int cluster_commit(struct call *c, json_object *cand, enum kind k, const char *name,
		   bool deleting)
{
	struct pp_api *a = c->a;
	struct cluster *cl = a->cl;
	struct pp_errors errs = PP_ERRORS_INIT;
	struct placement p = {};
	struct pp_config *cfg = NULL;
	struct rbuf r = {};
	json_object *gb = NULL, *gn = NULL, *txn, *obj;
	const char *key, *why;
	char okey[200], rkey[200], msg[600];
	bool ok = false, same;
	struct share sh = {};
	int64_t rev = 0;
	char *val = NULL;
	int err;

	if (!cl->connected)
		return reply_err(c, 503, "store_unavailable", NULL,
				 "the store is unreachable (%s): the dataplane keeps the last "
				 "applied state; try again when it is back",
				 cl->last_err[0] ? cl->last_err : "not connected yet"), -1;
	/* 1. the whole store, as one configuration (the current one's: cached) */
	if (cl->gskip && cl->gskip_gen == cl->gen) {
		gb = json_object_get(cl->gskip);
	} else {
		gb = global_skipped(a, a->store, &errs);
		pp_errors_free(&errs);
		json_object_put(cl->gskip);
		cl->gskip = json_object_get(gb);
		cl->gskip_gen = cl->gen;
	}
	gn = global_skipped(a, cand, &errs);
	if (!gn) {
		api_positions(msg, sizeof(msg), errs.n ? errs.v[0].msg : "does not validate");
		reply_err(c, 422, "invalid", NULL, "%s", msg);
		goto fail;
	}
	if ((key = newly_skipped(gb, gn, &why))) {
		reply_skip(c, k, name, key, why, deleting, "");
		goto fail;
	}
	/* 2. this host's share, with its binding files */
	err = place(cand, cl->host, &p);
	if (!err) {
		sh = share_of(cl, cand, &p);
		err = place_load(a, &p, true, &cfg, &errs, &r);
	}
	if (err) {
		api_positions(msg, sizeof(msg), errs.n ? errs.v[0].msg : strerror(-err));
		reply_err(c, 422, "invalid", NULL, "on this host (%s): %s%s%s", cl->host, msg,
			  errs.n && errs.v[0].line ? "" : "", "");
		goto fail;
	}
	if ((key = newly_skipped(cl->skipped, p.skipped, &why))) {
		char where[120];

		snprintf(where, sizeof(where), " (on host %s)", cl->host);
		reply_skip(c, k, name, key, why, deleting, where);
		goto fail;
	}
	/* 3. committed while nothing was written since the revision it was checked at */
	obj_key(cl, okey, sizeof(okey), k, name);
	snprintf(rkey, sizeof(rkey), "%srevision", cl->prefix);
	txn = pp_etcd_txn_new();
	pp_etcd_txn_cmp_mod(txn, rkey, "<", cl->objrev + 1);
	obj = store_get(cand, k, name);
	if (obj) {
		val = obj_value(obj);
		if (!val) {
			json_object_put(txn);
			reply_err(c, 500, "internal", NULL, "out of memory");
			goto fail;
		}
		pp_etcd_txn_put(txn, okey, val, strlen(val), 0);
	} else {
		pp_etcd_txn_del(txn, okey, false);
	}
	pp_etcd_txn_put(txn, rkey, cl->host, strlen(cl->host), 0);
	err = pp_etcd_txn_sync(cl->e, txn, &ok, &rev, PP_CLUSTER_TXN_MS);
	json_object_put(txn);	/* (not taken by the sync call) */
	free(val);
	if (err) {
		lost(a, err, "write");
		reply_err(c, 503, "store_unavailable", NULL, "the store did not take the write: %s%s%s",
			  strerror(-err), pp_etcd_strerror(cl->e)[0] ? ", " : "",
			  pp_etcd_strerror(cl->e));
		goto fail;
	}
	if (!ok) {
		reply_err(c, 409, "conflict", NULL,
			  "the store changed since revision %lld (a concurrent write): read and "
			  "try again", (long long)cl->objrev);
		goto fail;
	}
	/* 4. in force here at once (the watch brings the same again: no change then) */
	if (obj)
		json_object_object_add(obj, "revision", json_object_new_int64(rev));
	cl->objrev = rev;
	json_object_put(a->store);
	a->store = cand;
	json_object_put(cl->gskip);	/* the new store's global check: the one just done */
	cl->gskip = json_object_get(gn);
	cl->gskip_gen = ++cl->gen;
	/* this host's share as it was (a change for another host): nothing to program */
	same = a->src && a->src_len == r.text.len && !memcmp(a->src, r.text.s, r.text.len) &&
	       json_object_equal(cl->incoming, p.incoming) &&
	       sh.rkey && cl->rkey && !strcmp(sh.rkey, cl->rkey);
	adopt_render(a, &r);
	share_keep(cl, sh, &p);
	sh.text = sh.rkey = NULL;
	take_placement(a, &p, cfg);
	cl->save_at = mono() + SAVE_DELAY;
	placement_free(&p);
	json_object_put(gb);
	json_object_put(gn);
	pp_errors_free(&errs);
	if (same)
		pp_config_free(cfg);
	else
		pp_reconcile(a->d, cfg, false);
	pp_api_event(a, kinds[k].what, name, deleting ? "deleted" : "updated", NULL, NULL);
	pp_api_notify(a);
	return 0;
fail:
	share_free(&sh);
	pp_config_free(cfg);
	rbuf_free(&r);
	placement_free(&p);
	json_object_put(gb);
	json_object_put(gn);
	pp_errors_free(&errs);
	return -1;
}

/* ---- what the API shows of objects this host does not program ---------------------- */

static bool host_alive(const struct cluster *cl, const char *h)
{
	return !strcmp(h, cl->host) || json_object_object_get_ex(cl->hosts, h, NULL);
}

static void unknown_reason(const struct cluster *cl, const char *h, char *buf, size_t len)
{
	json_object *g = json_object_object_get(cl->gone, h);

	if (g) {
		long ttl = json_object_get_int64(json_object_object_get(g, "ttl"));
		double at = json_object_get_double(json_object_object_get(g, "at"));

		snprintf(buf, len, "host %s has not reported for %ld s", h, ttl + (long)(mono() - at));
	} else {
		snprintf(buf, len, "host %s has not reported (no record in the store)", h);
	}
}

/* The status of a store object this host does not program, as we know it. */
static json_object *far_status(struct pp_api *a, enum kind k, const char *name, json_object *so)
{
	struct cluster *cl = a->cl;
	char key[80], reason[300];
	json_object *rec = NULL, *hosts;
	const char *h, *ipn;

	snprintf(key, sizeof(key), "%s/%s", kinds[k].path, name);
	if (json_object_object_get_ex(cl->skipped, key, &rec))
		return st_obj("ERROR", json_object_get_string(rec));
	if (k == K_IPORT || k == K_SPORT) {
		json_object *ip = so;

		ipn = name;
		if (k == K_SPORT) {
			ipn = json_str(so, "instance-port", NULL);
			ip = ipn ? store_get(a->store, K_IPORT, ipn) : NULL;
			if (!ip)
				return st_obj("DOWN", "its instance port is not in the store");
		}
		h = json_str(ip, "host", NULL);
		if (!h)
			return st_obj("DOWN", k == K_SPORT ? "its instance port has no host"
							  : "not placed: it has no host");
		if (!strcmp(h, cl->host))
			return st_obj("DOWN", "not programmed on this host yet");
		if (!host_alive(cl, h)) {
			unknown_reason(cl, h, reason, sizeof(reason));
			return st_obj("UNKNOWN", reason);
		}
		snprintf(key, sizeof(key), "%s/%s", kinds[K_IPORT].path, ipn);
		if (!json_object_object_get_ex(sub(cl->remote, h), key, &rec)) {
			snprintf(reason, sizeof(reason), "host %s has not reported it yet", h);
			return st_obj("DOWN", reason);
		}
		if (k == K_SPORT) {
			json_object *sps = json_object_object_get(rec, "service-ports"), *sr;

			if (sps && json_object_object_get_ex(sps, name, &sr))
				return st_obj(json_str(sr, "status", "?"),
					      json_str(sr, "reason", NULL));
			if (strcmp(json_str(rec, "status", "ACTIVE"), "ACTIVE")) {
				snprintf(reason, sizeof(reason), "its instance port is %s on host %s",
					 json_str(rec, "status", ""), h);
				return st_obj("DOWN", reason);
			}
			return st_obj("ACTIVE", NULL);
		}
		return st_obj(json_str(rec, "status", "?"), json_str(rec, "reason", NULL));
	}
	/* networks, domains, chains: on no device here; what the hosts that have it say */
	snprintf(reason, sizeof(reason), "not on this host (%s)", cl->host);
	rec = st_obj("DOWN", reason);
	hosts = json_object_new_object();
	json_object_object_foreach(cl->remote, hn, hs) {
		json_object *r2;

		if (json_object_object_get_ex(hs, key, &r2) && host_alive(cl, hn))
			json_object_object_add(hosts, hn, json_object_get(r2));
	}
	json_object_object_add(rec, "hosts", hosts);
	return rec;
}

/* The store's own fields of an object shown from the configuration (host, ...). */
void cluster_add_fields(struct pp_api *a, json_object *o, enum kind k, const char *name)
{
	json_object *so = store_get(a->store, k, name), *v;
	static const char *const keys[] = { "host", "migrating-to", "devices" };

	if (!so)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(so, keys[i], &v))
			json_object_object_add(o, keys[i], json_object_get(v));
}

json_object *cluster_obj_json(struct pp_api *a, enum kind k, const char *name)
{
	json_object *o = cl_on(a) ? store_obj_json(a, k, name) : NULL;

	if (!o)
		return NULL;
	json_object_object_add(o, "status", far_status(a, k, name, store_get(a->store, k, name)));
	if (k == K_IPORT) {	/* its service ports, as the API shows them */
		json_object *sps = json_object_new_array();

		json_object_object_foreach(store_kind(a->store, K_SPORT), sn, sp) {
			const char *ip = json_str(sp, "instance-port", NULL);

			if (ip && !strcmp(ip, name)) {
				json_object *x = find_obj(a, K_SPORT, sn) >= 0
						 ? obj_json(a, K_SPORT, find_obj(a, K_SPORT, sn))
						 : cluster_obj_json(a, K_SPORT, sn);

				if (x)
					json_object_array_add(sps, x);
			}
		}
		json_object_object_add(o, "service-ports", sps);
	}
	return o;
}

void cluster_list_more(struct pp_api *a, enum kind k, json_object *arr)
{
	if (!cl_on(a))
		return;
	json_object_object_foreach(store_kind(a->store, k), name, so) {
		json_object *o;

		(void)so;
		if (find_obj(a, k, name) >= 0 || (k == K_SPORT && sport_pending(a->store, name, so)))
			continue;
		o = cluster_obj_json(a, k, name);
		if (o)
			json_object_array_add(arr, o);
	}
}

/* An instance port's status, for /metrics: "" when it is not the store's or is ours. */
const char *cluster_iport_status(struct pp_api *a, const char *name)
{
	static char st[16];
	json_object *so = cl_on(a) ? store_get(a->store, K_IPORT, name) : NULL, *s;

	if (!so)
		return "";
	s = far_status(a, K_IPORT, name, so);
	snprintf(st, sizeof(st), "%s", json_str(s, "status", ""));
	json_object_put(s);
	return st;
}

json_object *cluster_status_json(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	json_object *o = json_object_new_object(), *hosts = json_object_new_object(), *me;

	json_object_object_add(o, "host", json_object_new_string(cl->host));
	json_object_object_add(o, "store", json_object_new_string("etcd"));
	json_object_object_add(o, "prefix", json_object_new_string(cl->prefix));
	json_object_object_add(o, "connected", json_object_new_boolean(cl->connected));
	json_object_object_add(o, "revision", json_object_new_int64(cl->rev));
	if (cl->last_err[0])
		json_object_object_add(o, "error", json_object_new_string(cl->last_err));
	json_object_object_add(o, "lease-ttl", json_object_new_int64(cl->ttl));
	me = json_object_new_object();
	json_object_object_add(me, "vtep", a->o.vtep ? json_object_new_string(a->o.vtep) : NULL);
	json_object_object_add(me, "alive", json_object_new_boolean(cl->lease != 0));
	json_object_object_add(hosts, cl->host, me);
	json_object_object_foreach(cl->hosts, hn, rec) {
		json_object *h = NULL;

		if (json_object_deep_copy(rec, &h, NULL))
			continue;
		json_object_object_add(h, "alive", json_object_new_boolean(1));
		json_object_object_add(hosts, hn, h);
	}
	json_object_object_foreach(cl->gone, gn, g) {
		json_object *h = json_object_new_object();
		char reason[200];

		(void)g;
		unknown_reason(cl, gn, reason, sizeof(reason));
		json_object_object_add(h, "alive", json_object_new_boolean(0));
		json_object_object_add(h, "reason", json_object_new_string(reason));
		json_object_object_add(hosts, gn, h);
	}
	json_object_object_add(o, "hosts", hosts);
	json_object_object_add(o, "skipped", json_object_get(cl->skipped));
	return o;
}

/* ---- the loop ------------------------------------------------------------------------ */

/*
 * What the watch has already sent, applied before a reload: a burst of writes
 * (a compute service's batch, a bench's 100,000) then costs one reload, not
 * one per fragment the socket happened to hold.  Until the stream is quiet
 * for 2 ms, at most DRAIN_MAX s.
 */
#define DRAIN_MAX	0.2
static void drain(struct cluster *cl)
{
	double until = mono() + DRAIN_MAX;
	struct pollfd pf = { .fd = pp_etcd_fd(cl->e), .events = POLLIN };

	while (mono() < until && poll(&pf, 1, 2) > 0)
		pp_etcd_run(cl->e);
}

void cluster_run(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	unsigned long long seq = a->seq;
	double now;
	int err;

	if (!cl_on(a))
		return;
	pp_etcd_run(cl->e);
	now = mono();
	if (!cl->listing && !cl->watching && cl->retry_at && now >= cl->retry_at)
		start_list(a);
	lease_tick(a);
	if (cl->dirty) {
		drain(cl);
		cl->dirty = false;
		if (a->o.reload && share_changed(a))
			a->o.reload(a->o.reload_arg, "store changed");
	}
	if (cl->save_at && now >= cl->save_at) {
		cl->save_at = 0;
		err = store_save(a, a->store);
		if (err)
			pr_warn("cluster: saving the cache %s: %s\n", a->store_path, strerror(-err));
	}
	if (cl->pub_due)
		publish(a);
	/* events of other hosts, of the store: to whoever follows /v1/events */
	if (a->seq != seq)
		api_wake(a);
}

long cluster_timeout_ms(struct pp_api *a)
{
	struct cluster *cl = a->cl;
	double now = mono(), next = -1;
	long t;

	if (!cl_on(a))
		return -1;
	if (cl->dirty)
		return 0;
	if (cl->retry_at && !cl->listing && !cl->watching)
		next = cl->retry_at;
	if (cl->connected && !cl->ka_busy && (next < 0 || cl->ka_at < next))
		next = cl->ka_at;
	if (cl->save_at && (next < 0 || cl->save_at < next))
		next = cl->save_at;
	t = pp_etcd_timeout_ms(cl->e);
	if (next >= 0) {
		long ms = next <= now ? 0 : (long)((next - now) * 1000) + 1;

		if (t < 0 || ms < t)
			t = ms;
	}
	return t;
}

int cluster_create(struct pp_api *a)
{
	const struct pp_api_opts *o = &a->o;
	struct pp_etcd_opts eo = { .ca = o->etcd_ca, .cert = o->etcd_cert, .key = o->etcd_key,
				   .connect_timeout_ms = 1000, .request_timeout_ms = 3000 };
	struct cluster *cl;
	FILE *f;
	int err;

	if (!o->store)
		return 0;
	if (strncmp(o->store, "etcd=", 5) || !o->store[5]) {
		pr_warn("--store %s: expected etcd=URL[,URL...]\n", o->store);
		return -EINVAL;
	}
	if (!o->host || !host_name_valid(o->host)) {
		pr_warn("--store needs --host NAME (1-%d of A-Z a-z 0-9 . _ -, starting with a letter "
			"or digit)\n", PP_HOST_MAX);
		return -EINVAL;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	snprintf(cl->host, sizeof(cl->host), "%s", o->host);
	snprintf(cl->prefix, sizeof(cl->prefix), "%s", o->etcd_prefix ? o->etcd_prefix
										: PP_CLUSTER_PREFIX);
	cl->plen = strlen(cl->prefix);
	if (!cl->plen || cl->prefix[cl->plen - 1] != '/') {
		pr_warn("--etcd-prefix %s: must end with /\n", cl->prefix);
		free(cl);
		return -EINVAL;
	}
	cl->ttl = o->lease_ttl > 0 ? o->lease_ttl : PP_CLUSTER_TTL;
	eo.endpoints = o->store + 5;
	err = pp_etcd_create(&cl->e, &eo);
	if (err) {
		pr_warn("--store %s: %s\n", o->store, strerror(-err));
		free(cl);
		return err;
	}
	cl->skipped = json_object_new_object();
	cl->incoming = json_object_new_object();
	cl->committing = json_object_new_object();
	cl->hosts = json_object_new_object();
	cl->vtep_warned = json_object_new_object();
	cl->vhosts = json_object_new_object();
	cl->gone = json_object_new_object();
	cl->remote = json_object_new_object();
	cl->published = json_object_new_object();
	/* the lease a previous daemon kept alive: ours again if it still is */
	snprintf(cl->lease_path, sizeof(cl->lease_path), "%s/etcd-lease", o->state_dir);
	f = fopen(cl->lease_path, "r");
	if (f) {
		long long id;

		if (fscanf(f, "%lld", &id) == 1)
			cl->lease = id;
		fclose(f);
	}
	snprintf(cl->vhosts_path, sizeof(cl->vhosts_path), "%s/etcd-vteps.json", o->state_dir);
	vhosts_load(cl);
	cl->retry_at = mono();
	a->cl = cl;
	pr_info("cluster: host %s, store %s, prefix %s, lease TTL %ld s\n", cl->host, eo.endpoints,
		cl->prefix, cl->ttl);
	return 0;
}

#define START_LIST_MAX	1.5	/* s */
int cluster_listen(struct pp_api *a)
{
	struct epoll_event ev = { .events = EPOLLIN };
	double t0 = mono();

	if (!cl_on(a))
		return 0;
	ev.data.fd = pp_etcd_fd(a->cl->e);
	if (epoll_ctl(a->ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	start_list(a);
	/*
	 * The first configuration from the store as it is now, if it answers
	 * soon: the cache may miss the last second before a crash (a port that
	 * moved away), and programming it again for a moment would put it on two
	 * hosts.  etcd away: the cache, and the list follows when it is back.
	 */
	while (a->cl->listing && mono() < t0 + START_LIST_MAX) {
		struct pollfd pf = { .fd = ev.data.fd, .events = POLLIN };

		if (poll(&pf, 1, 20) > 0 || !a->cl->listing)
			pp_etcd_run(a->cl->e);
	}
	a->cl->dirty = false;	/* the first reload loads what the list brought */
	return 0;
}

void cluster_destroy(struct pp_api *a)
{
	struct cluster *cl = a->cl;

	if (!cl)
		return;
	/* the lease stays: a daemon started again keeps it (no UNKNOWN for a restart) */
	if (cl->save_at && store_save(a, a->store))
		pr_warn("cluster: saving the cache %s failed\n", a->store_path);
	pp_etcd_destroy(cl->e);
	json_object_put(cl->skipped);
	json_object_put(cl->incoming);
	json_object_put(cl->committing);
	json_object_put(cl->hosts);
	json_object_put(cl->vtep_warned);
	json_object_put(cl->vhosts);
	free(cl->rkey);
	json_object_put(cl->gone);
	json_object_put(cl->remote);
	json_object_put(cl->desired);
	json_object_put(cl->published);
	json_object_put(cl->gskip);
	json_object_put(cl->share_pre);
	free(cl->share);
	placement_free(&cl->next);
	free(cl->next_text);
	free(cl);
	a->cl = NULL;
}
