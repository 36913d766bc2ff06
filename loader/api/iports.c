// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Instance ports in the API: /v1/instance-ports (?id=ID: the one with that
 * id), and POST /v1/instance-ports/NAME/activate {"tap": TAP}.
 */
#include <errno.h>
#include <stdio.h>
#include "internal.h"
#include "reconcile.h"

API_KIND_LOOKUP(iport, struct pp_cfg_iport, iports, n_iports, pp_config_find_iport)

/* The taps bound to it (issue 18): which one the VM's frames go to, the
 * one plugged for a move, the ones it left behind. */
static void add_taps(json_object *s, const struct pp_iport_taps *t)
{
	json_object *arr;

	if (t && t->active_name[0])
		json_object_object_add(s, "tap", json_object_new_string(t->active_name));
	if (t && t->standby_name[0])
		json_object_object_add(s, "standby-tap", json_object_new_string(t->standby_name));
	if (t && t->n_retired) {
		arr = json_object_new_array();
		for (__u32 r = 0; r < t->n_retired && r < PP_IPORT_RETIRED_MAX; r++)
			json_object_array_add(arr, json_object_new_string(t->retired_name[r]));
		json_object_object_add(s, "inactive-taps", arr);
	}
	json_object_object_add(s, "activations", json_object_new_int64(t ? (int64_t)t->activations
									    : 0));
}

json_object *iport_json(struct pp_api *a, uint32_t i)
{
	const struct pp_cfg_iport *p = &pp_daemon_config(a->d)->iports[i];
	const struct pp_obj_status *st = obj_st(a, K_IPORT, i);
	json_object *o = json_object_new_object(), *sps = json_object_new_array(), *so;
	struct nview nv;

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "id", json_object_new_string(p->id));
	json_object_object_add(o, "device", json_object_new_string(p->device));
	json_object_object_add(o, "mac", json_mac(p->mac));
	json_object_object_add(o, "mtu", json_object_new_int(p->mtu));
	json_object_object_add(o, "mode", json_object_new_string(pp_mode_name(p->mode)));
	add_meta(a, o, K_IPORT, p->name);
	add_status(o, st);
	so = json_object_object_get(o, "status");
	pp_status_json_mode(so, pp_mode_name(st->mode), st->mode_reason, false);
	add_taps(so, pp_daemon_iport_taps(a->d, i));
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

/* GET /v1/instance-ports?id=ID: the list of the one with that id (ids are
 * unique), empty if none.  Those kept from a damaged state file have no id. */
int iport_list_by_id(struct call *c, const char *id)
{
	const struct pp_config *cfg = pp_daemon_config(c->a->d);
	const struct pp_cfg_iport *p = cfg ? pp_config_find_iport_by_id(cfg, id) : NULL;
	json_object *arr = json_object_new_array();

	if (p) {
		json_object_array_add(arr, iport_json(c->a, p - cfg->iports));
	} else if (c->a->cl) {	/* in the store, on another host */
		json_object_object_foreach(store_kind(c->a->store, K_IPORT), name, so) {
			json_object *v, *o;

			if (!json_object_object_get_ex(so, "id", &v) ||
			    strcmp(json_object_get_string(v), id) || !(o = cluster_obj_json(c->a, K_IPORT, name)))
				continue;
			json_object_array_add(arr, o);
			break;
		}
	}
	return reply_json(c, 200, arr);
}

/*
 * POST /v1/instance-ports/NAME/activate {"tap": TAP}: make TAP (its standby,
 * or a tap it left) the active one now, as its first frame would (plug
 * --activate).  200 and the instance port; 404 no such instance port; 409
 * TAP is not bound to it.
 */
int iport_activate(struct call *c, const char *name)
{
	struct pp_api *a = c->a;
	json_object *body, *tv = NULL;
	char tap[PP_IFNAME_MAX + 1];
	const char *t;
	long i;
	int err;

	if (strcmp(c->method, "POST"))
		return reply_err(c, 405, "method", NULL, "POST only");
	i = find_obj(a, K_IPORT, name);
	if (i < 0)
		return reply_err(c, 404, "not_found", NULL, "no instance port \"%s\"", name);
	body = api_parse_body(c);
	if (!body)
		return 0;	/* answered */
	json_object_object_foreach(body, key, v) {
		(void)v;
		if (strcmp(key, "tap")) {
			json_object_put(body);
			return reply_err(c, 400, "malformed", key,
					 "unknown key \"%.40s\" (expected: tap)", key);
		}
	}
	if (!json_object_object_get_ex(body, "tap", &tv) || !json_object_is_type(tv, json_type_string) ||
	    !pp_ifname_valid(json_object_get_string(tv), json_object_get_string_len(tv))) {
		json_object_put(body);
		return reply_err(c, 400, "malformed", "tap",
				 "a \"tap\" (an interface name) is required");
	}
	t = json_object_get_string(tv);
	snprintf(tap, sizeof(tap), "%s", t);
	json_object_put(body);
	err = pp_reconcile_activate(a->d, (__u32)i, tap);
	/* whatever it did, status and events follow it */
	pp_api_notify(a);
	if (err == -ENODEV)
		return reply_err(c, 409, "not_bound", "tap",
				 "tap \"%s\" is not bound to instance port \"%s\"", tap, name);
	if (err == -ENOENT)
		return reply_err(c, 404, "not_found", NULL, "no instance port \"%s\"", name);
	if (err)
		return reply_err(c, 500, "internal", NULL, "activating tap \"%s\": %s", tap,
				 strerror(-err));
	i = find_obj(a, K_IPORT, name);
	if (i < 0)
		return reply_err(c, 500, "internal", NULL, "activated, but not found");
	return reply_json(c, 200, iport_json(a, i));
}
