// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * /v1/events: the event ring, status changes turned into events, and the
 * long poll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

json_object *pp_api_event(struct pp_api *a, const char *kind, const char *name,
			  const char *change, const char *status, const char *reason)
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
	return e;
}

/* ---- an instance port's taps: plugged, activated, unplugged (issue 18) ------------ */


static bool in_list(json_object *arr, const char *name)
{
	for (size_t k = 0; name[0] && k < json_object_array_length(arr); k++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, k)), name))
			return true;
	return false;
}

static void tap_event(struct pp_api *a, const char *port, const char *id, const char *change,
		      const char *tap, int active, const char *previous)
{
	json_object *e = pp_api_event(a, "instance-port", port, change, NULL, NULL);

	json_object_object_add(e, "id", json_object_new_string(id));
	json_object_object_add(e, "tap", json_object_new_string(tap));
	if (active >= 0)
		json_object_object_add(e, "active", json_object_new_boolean(active));
	if (previous && previous[0])
		json_object_object_add(e, "previous", json_object_new_string(previous));
}

/* What is told of a port's taps: "active" (programmed and ACTIVE), "standby", "bound" (all). */
static json_object *taps_now(const struct pp_cfg_iport *c, const struct pp_obj_status *st,
			     const struct pp_iport_taps *t)
{
	json_object *o = json_object_new_object(), *bound = json_object_new_array();

	json_object_object_add(o, "id", json_object_new_string(c->id));
	if (t && t->active_name[0] && st->status == PP_ST_ACTIVE)
		json_object_object_add(o, "active", json_object_new_string(t->active_name));
	if (t && t->standby_name[0])
		json_object_object_add(o, "standby", json_object_new_string(t->standby_name));
	if (t && t->active_name[0])
		json_object_array_add(bound, json_object_new_string(t->active_name));
	if (t && t->standby_name[0])
		json_object_array_add(bound, json_object_new_string(t->standby_name));
	for (__u32 r = 0; t && r < t->n_retired; r++)
		json_object_array_add(bound, json_object_new_string(t->retired_name[r]));
	json_object_object_add(o, "bound", bound);
	return o;
}

/* The taps gone from prev (of port) and not in now: unplugged. */
static void taps_gone(struct pp_api *a, const char *port, json_object *prev, json_object *now)
{
	json_object *pb = json_object_object_get(prev, "bound");
	json_object *nb = now ? json_object_object_get(now, "bound") : NULL;

	for (size_t k = 0; pb && k < json_object_array_length(pb); k++) {
		const char *tap = json_object_get_string(json_object_array_get_idx(pb, k));

		if (!nb || !in_list(nb, tap))
			tap_event(a, port, json_str(prev, "id", ""), "unplugged", tap, -1, NULL);
	}
}

static void taps_diff(struct pp_api *a, json_object *all, const struct pp_cfg_iport *c,
		      const struct pp_obj_status *st, const struct pp_iport_taps *t)
{
	json_object *now = taps_now(c, st, t), *prev = NULL;
	const char *act = json_str(now, "active", ""), *sb = json_str(now, "standby", "");

	if (a->last_taps)
		json_object_object_get_ex(a->last_taps, c->name, &prev);
	if (prev)
		taps_gone(a, c->name, prev, now);
	if (act[0] && strcmp(act, prev ? json_str(prev, "active", "") : "")) {
		if (prev && !strcmp(act, json_str(prev, "standby", "")))
			tap_event(a, c->name, c->id, "activated", act, 1, json_str(prev, "active", ""));
		else
			tap_event(a, c->name, c->id, "plugged", act, 1, NULL);
	}
	if (sb[0] && strcmp(sb, prev ? json_str(prev, "standby", "") : ""))
		tap_event(a, c->name, c->id, "plugged", sb, 0, NULL);
	json_object_object_add(all, c->name, now);
}

static void taps_notify(struct pp_api *a, const struct pp_config *cfg)
{
	json_object *all = json_object_new_object();

	for (uint32_t i = 0; cfg && i < cfg->n_iports; i++)
		taps_diff(a, all, &cfg->iports[i], obj_st(a, K_IPORT, i),
			  pp_daemon_iport_taps(a->d, i));
	/* instance ports gone: their taps with them */
	if (a->last_taps) {
		json_object_object_foreach(a->last_taps, port, prev) {
			if (!json_object_object_get_ex(all, port, NULL))
				taps_gone(a, port, prev, NULL);
		}
	}
	json_object_put(a->last_taps);
	a->last_taps = all;
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
	for (uint32_t i = 0; cfg && i < cfg->n_l3domains; i++)
		status_diff(a, now, "l3-domain", cfg->l3domains[i].name, obj_st(a, K_L3DOM, i));
	for (uint32_t i = 0; cfg && i < cfg->n_chains; i++)
		status_diff(a, now, "chain", cfg->chains[i].name, obj_st(a, K_CHAIN, i));
	taps_notify(a, cfg);
	cluster_notify(a);	/* our statuses to the store, a move here committed */
	json_object_put(a->last_status);
	a->last_status = now;
	if (a->seq == before)
		return;
	api_wake(a);
}

int serve_events(struct call *k)
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
