// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * /v1/events: the event ring, status changes turned into events, and the
 * long poll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

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
	for (uint32_t i = 0; cfg && i < cfg->n_l3domains; i++)
		status_diff(a, now, "l3-domain", cfg->l3domains[i].name, obj_st(a, K_L3DOM, i));
	for (uint32_t i = 0; cfg && i < cfg->n_chains; i++)
		status_diff(a, now, "chain", cfg->chains[i].name, obj_st(a, K_CHAIN, i));
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
