// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Instance ports in the API: /v1/instance-ports.
 */
#include "internal.h"

API_KIND_LOOKUP(iport, struct pp_cfg_iport, iports, n_iports, pp_config_find_iport)

json_object *iport_json(struct pp_api *a, uint32_t i)
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
