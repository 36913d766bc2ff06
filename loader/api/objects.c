// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The handlers every kind of object shares: the JSON common to all,
 * lists and lookups through kinds[], and changes (POST/PUT/PATCH/DELETE)
 * validated with the binding files and saved before they apply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "reconcile.h"

/* The status of the i-th object of kind k of the configuration in force. */
const struct pp_obj_status *obj_st(const struct pp_api *a, enum kind k, uint32_t i)
{
	return pp_daemon_status(a->d, NAME_KIND(k), i);
}

void add_status(json_object *o, const struct pp_obj_status *st)
{
	json_object *s = json_object_new_object();

	json_object_object_add(s, "status", json_object_new_string(pp_status_name(st->status)));
	if (st->reason[0])
		json_object_object_add(s, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "status", s);
}

void add_meta(struct pp_api *a, json_object *o, enum kind k, const char *name)
{
	json_object *so = store_get(a->store, k, name), *rev;

	json_object_object_add(o, "revision",
			       json_object_new_int64(so && json_object_object_get_ex(so, "revision", &rev)
						     ? json_object_get_int64(rev) : 0));
	json_object_object_add(o, "source", json_object_new_string(so ? "api" : "file"));
	cluster_add_fields(a, o, k, name);
}

/* Addresses and MACs as the binding files write them. */
json_object *json_addr(const struct pp_cfg_addr *ad, bool with_len)
{
	char buf[64];

	pp_addr_format(ad, with_len, buf, sizeof(buf));
	return json_object_new_string(buf);
}

json_object *json_mac(const uint8_t mac[PP_ETH_ALEN])
{
	char buf[PP_MAC_STRLEN];

	pp_mac_format(mac, buf);
	return json_object_new_string(buf);
}

json_object *json_ip4(const uint8_t v[4])
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
	return json_object_new_string(buf);
}

long find_obj(struct pp_api *a, enum kind k, const char *name)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);

	return cfg ? kinds[k].find(cfg, name) : -1;
}

json_object *obj_json(struct pp_api *a, enum kind k, uint32_t i)
{
	return kinds[k].json(a, i);
}

json_object *store_obj_json(struct pp_api *a, enum kind k, const char *name)
{
	json_object *so = store_get(a->store, k, name), *o = NULL, *rev;

	if (!so || json_object_deep_copy(so, &o, NULL))
		return NULL;
	rev = json_object_object_get(o, "revision");
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "revision", json_object_new_int64(rev ? json_object_get_int64(rev)
								      : 0));
	json_object_object_add(o, "source", json_object_new_string("api"));
	return o;
}

/* A pending service port (sport_pending, store.c): as saved, DOWN. */
static json_object *pending_json(struct pp_api *a, const char *name)
{
	json_object *o, *st;

	if (!sport_pending(a->store, name, store_get(a->store, K_SPORT, name)) ||
	    !(o = store_obj_json(a, K_SPORT, name)))
		return NULL;
	st = json_object_new_object();
	json_object_object_add(st, "status", json_object_new_string(pp_status_name(PP_ST_DOWN)));
	json_object_object_add(st, "reason", json_object_new_string(
		"pending: no bind and no chain names it in its hops (a hop port waits for its "
		"chain; it is not loaded until then)"));
	json_object_object_add(o, "status", st);
	return o;
}

json_object *list_json(struct pp_api *a, enum kind k)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	json_object *arr = json_object_new_array();
	uint32_t n = cfg ? kinds[k].count(cfg) : 0;
	struct nview nv;

	for (uint32_t i = 0; i < n; i++)
		json_object_array_add(arr, obj_json(a, k, i));
	if (k == K_SPORT) {
		json_object_object_foreach(store_kind(a->store, K_SPORT), name, so) {
			json_object *p = sport_pending(a->store, name, so) ? pending_json(a, name) : NULL;

			if (p)
				json_object_array_add(arr, p);
		}
	}
	cluster_list_more(a, k, arr);	/* the store's objects on other hosts */
	if (a->sf.damaged && a->nkept[k] && !nview_load(a, &nv)) {
		for (size_t i = 0; i < a->nkept[k]; i++)
			json_object_array_add(arr, kept_json(a, k, &a->kept[k][i], &nv));
		nview_free(&nv);
	}
	return arr;
}

static int is_meta(const char *key)
{
	return !strcmp(key, "name") || !strcmp(key, "revision") || !strcmp(key, "source") ||
	       !strcmp(key, "status");
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
		   strstr(best->msg, "is the tap of") || strstr(best->msg, KEPT_FROM) ||
		   strstr(best->msg, "has the name of");	/* networks and l3 domains */
	if (strcmp(best->file, PP_API_SOURCE_NAME))
		snprintf(where, sizeof(where), " (%s:%u:%u)", best->file, best->line, best->col);
	api_positions(msg, sizeof(msg), best->msg);
	return reply_err(c, conflict ? 409 : 422,
			 conflict ? (deleting ? "in_use" : "conflict") : "invalid",
			 ref && ref->field[0] ? ref->field : NULL, "%s%s%s%s",
			 deleting ? "still referenced: " : "", msg, where,
			 errs->n > 1 ? " (and more)" : "");
}

/*
 * The pending service ports of a candidate (sport_pending) are not loaded,
 * but each is checked as it would load: the candidate with them, whose
 * only errors may be their own "no bind".  0, or -1 answered.
 */
static int check_pending(struct call *c, json_object *candidate, enum kind k, const char *name)
{
	struct pp_errors errs = PP_ERRORS_INIT, left = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	struct rbuf r = {};
	bool any = false;
	int err;

	json_object_object_foreach(store_kind(candidate, K_SPORT), pn, po)
		any |= sport_pending(candidate, pn, po);
	if (!any)
		return 0;
	render_with(candidate, &r, true);
	err = load_with(c->a, r.text.s, r.text.len, r.lines, r.nlines, &cfg, &errs);
	pp_config_free(cfg);
	for (size_t i = 0; err && i < errs.n; i++) {
		const struct pp_error *e = &errs.v[i];
		const char *q = strchr(e->msg, '"'), *q2 = q ? strchr(q + 1, '"') : NULL;
		char pn[PP_NAME_MAX + 1] = "";

		if (q && q2 && q2 - q - 1 <= PP_NAME_MAX)
			memcpy(pn, q + 1, q2 - q - 1);
		if (strstr(e->msg, "has no bind.network or bind.l3") &&
		    sport_pending(candidate, pn, store_get(candidate, K_SPORT, pn)))
			continue;
		pp_errors_add(&left, e->file, e->line, e->col, "%s", e->msg);
	}
	if (err && left.n)
		reply_invalid(c, &left, r.lines, r.nlines, k, name, 0, -EINVAL);
	else if (err && err != -EINVAL)
		reply_err(c, 500, "internal", NULL, "validation failed: %s", strerror(-err));
	err = err && (left.n || err != -EINVAL) ? -1 : 0;
	pp_errors_free(&errs);
	pp_errors_free(&left);
	rbuf_free(&r);
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

	if (a->cl)		/* the store: validated for it and this host, committed there */
		return cluster_commit(c, candidate, k, name, deleting);
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
	if (check_pending(c, candidate, k, name))
		return -1;	/* answered */
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

json_object *api_parse_body(struct call *c)
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

/* Do two objects of the store hold the same fields (their revisions aside)? */
bool same_object(json_object *x, json_object *y)
{
	int nx = 0, ny = 0;

	json_object_object_foreach(x, kx, vx) {
		json_object *vy;

		if (!strcmp(kx, "revision"))
			continue;
		nx++;
		if (!json_object_object_get_ex(y, kx, &vy) || !json_object_equal(vx, vy))
			return false;
	}
	json_object_object_foreach(y, ky, vy) {
		(void)vy;
		ny += strcmp(ky, "revision") != 0;
	}
	return nx == ny;
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
		body = api_parse_body(c);
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
			if (bind_change(c, body, nobj, sub, del))
				goto out;	/* answered */
		} else if (copy_fields(c, k, body, nobj, patch)) {
			goto out;	/* answered */
		}
		/*
		 * The object as it is (a PUT of what was read, a plug run
		 * again): nothing to save, no new revision, no event, and no
		 * reconcile, so not one map write.
		 */
		if (cur && same_object(cur, nobj))
			goto answer;
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
answer:
	json_object_put(nobj);
	nobj = NULL;
	i = find_obj(a, k, name);
	if (i < 0 && k == K_SPORT && (nobj = pending_json(a, name))) {
		/* saved, waiting for a chain: not loaded */
		ret = reply_json(c, post ? 201 : 200, nobj);
		nobj = NULL;
	} else if (i < 0 && (nobj = cluster_obj_json(a, k, name))) {
		/* in the store, programmed on another host (or not here) */
		ret = reply_json(c, post ? 201 : 200, nobj);
		nobj = NULL;
	} else if (i < 0) {
		ret = reply_err(c, 500, "internal", NULL, "applied, but not found");
	} else {
		ret = reply_json(c, post ? 201 : 200, obj_json(a, k, i));
	}
out:
	json_object_put(nobj);
	json_object_put(cand);
	json_object_put(body);
	return ret;
}

/*
 * /v1/<kind>[/NAME[/<sub>/X]]: the list, an object (configured or kept),
 * and changes.  Anything else is not a resource.
 */
int serve_kind(struct call *c, enum kind k, char **parts, int n)
{
	struct pp_api *a = c->a;
	const char *method = c->method;
	int get = !strcmp(method, "GET");

	if (n > 3 && !(kinds[k].sub && n == 5 && !strcmp(parts[3], kinds[k].sub)))
		return reply_err(c, 404, "not_found", NULL, "no such resource: %s", c->url);
	if (get && n == 2)
		return reply_json(c, 200, list_json(a, k));
	if (get && n == 3) {
		long i = find_obj(a, k, parts[2]);
		const struct kept_ent *e = i < 0 && a->sf.damaged ? kept_find(a, k, parts[2]) : NULL;
		struct nview nv;

		json_object *p;

		if (e && !nview_load(a, &nv)) {
			json_object *o = kept_json(a, k, e, &nv);

			nview_free(&nv);
			return reply_json(c, 200, o);
		}
		if (i < 0 && k == K_SPORT && (p = pending_json(a, parts[2])))
			return reply_json(c, 200, p);
		if (i < 0 && (p = cluster_obj_json(a, k, parts[2])))
			return reply_json(c, 200, p);
		return i < 0 ? reply_err(c, 404, "not_found", NULL, "no %s \"%s\"",
					 kinds[k].what, parts[2])
			     : reply_json(c, 200, obj_json(a, k, i));
	}
	if (get)
		return reply_err(c, 404, "not_found", NULL, "no such resource: %s", c->url);
	if (n == 5 && strcmp(method, "PUT") && strcmp(method, "DELETE"))
		return reply_err(c, 405, "method", NULL, "PUT or DELETE a binding");
	return handle_change(c, k, n >= 3 ? parts[2] : NULL, n == 5 ? parts[4] : NULL);
}
