// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * L3 domains in the API: /v1/l3-domains (issue 16).  The JSON is the
 * binding files' spelling, so what GET gives can be PUT back.
 */
#include "internal.h"

API_KIND_LOOKUP(l3dom, struct pp_cfg_l3domain, l3domains, n_l3domains, pp_config_find_l3domain)

json_object *l3dom_json(struct pp_api *a, uint32_t i)
{
	const struct pp_cfg_l3domain *c = &pp_daemon_config(a->d)->l3domains[i];
	json_object *o = json_object_new_object(), *subs = json_object_new_array();
	json_object *ups = json_object_new_array(), *rts = json_object_new_array();
	const struct pp_obj_status *st = obj_st(a, K_L3DOM, i);

	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "table", json_object_new_int64(c->table));
	json_object_object_add(o, "mtu", json_object_new_int(c->mtu));
	json_object_object_add(o, "mac", json_mac(c->gw_mac));
	for (uint32_t j = 0; j < c->n_subnets; j++) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "cidr", json_addr(&c->subnets[j].cidr, true));
		json_object_object_add(s, "gateway", json_addr(&c->subnets[j].gateway, false));
		json_object_array_add(subs, s);
	}
	for (uint32_t j = 0; j < c->n_uplinks; j++) {
		json_object *u = json_object_new_object(), *ad = json_object_new_array();

		json_object_object_add(u, "device", json_object_new_string(c->uplinks[j].device));
		for (uint32_t x = 0; x < c->uplinks[j].n_addrs; x++)
			json_object_array_add(ad, json_addr(&c->uplinks[j].addrs[x], true));
		json_object_object_add(u, "addresses", ad);
		json_object_array_add(ups, u);
	}
	for (uint32_t j = 0; j < c->n_routes; j++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "to", json_addr(&c->routes[j].to, true));
		json_object_object_add(r, "via", json_addr(&c->routes[j].via, false));
		json_object_array_add(rts, r);
	}
	json_object_object_add(o, "subnets", subs);
	json_object_object_add(o, "uplinks", ups);
	json_object_object_add(o, "routes", rts);
	add_meta(a, o, K_L3DOM, c->name);
	add_status(o, st);
	/* its id (the networks' id space: pp_l3doms and pp_net_drops are indexed by it) */
	json_object_object_add(json_object_object_get(o, "status"), "id",
			       json_object_new_int64(st->id));
	/* each uplink's XDP or TC, and why (as a network's device) */
	ups = json_object_new_array();
	for (uint32_t j = 0; a->d->l3up_st && j < c->n_uplinks; j++) {
		const struct pp_obj_status *us = &a->d->l3up_st[i][j];
		json_object *u = json_object_new_object();

		json_object_object_add(u, "device", json_object_new_string(c->uplinks[j].device));
		pp_status_json_mode(u, pp_mode_name(us->mode), us->mode_reason, false);
		json_object_array_add(ups, u);
	}
	json_object_object_add(json_object_object_get(o, "status"), "uplinks", ups);
	return o;
}
