// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A damaged api.json (moved aside, its objects kept), loading the
 * configuration with the API objects, /v1/state-file, create and destroy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "reconcile.h"
#include "log.h"

void sf_obj_reason(struct pp_api *a)
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
void store_damaged(struct pp_api *a, const char *why)
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

/* The state file for /v1/status and /v1/state-file. */
json_object *sf_json(const struct pp_api *a)
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

/* A message with positions in the rendered API source replaced by words. */
void api_positions(char *out, size_t len, const char *msg)
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
const struct pp_error *pick_error(const struct pp_errors *errs,
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
int load_with(struct pp_api *a, const char *src, size_t len, const struct line_ref *lines,
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
	json_object *cand;
	char why[500];
	int err;

	if (a->cl)		/* this host's share of the store */
		return cluster_load_config(a, out, errs);
	cand = a->sf.damaged ? store_restored(a) : NULL;
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

/* DELETE /v1/state-file: what was kept from a damaged state file goes. */
int state_discard(struct call *c)
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
			"service ports, %zu l3 domains kept from it go%s\n", a->nkept[K_NET],
			a->nkept[K_IPORT], a->nkept[K_SPORT], a->nkept[K_L3DOM],
			pending ? " (with what else is pinned and not configured)" : "");
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
	err = cluster_create(a);
	if (err) {
		pp_api_destroy(a);
		return err;
	}
	*out = a;
	return 0;
}

void pp_api_destroy(struct pp_api *a)
{
	if (!a)
		return;
	cluster_destroy(a);
	api_http_stop(a);
	pp_daemon_unset_keep(a->d, a);
	kept_clear(a);
	for (int i = 0; i < EVENTS_MAX; i++)
		json_object_put(a->events[i]);
	json_object_put(a->last_status);
	json_object_put(a->last_taps);
	json_object_put(a->store);
	free(a->src);
	free(a->lines);
	free(a);
}
