// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Networks in the API: /v1/networks.
 */
#include "internal.h"

API_KIND_LOOKUP(net, struct pp_cfg_network, networks, n_networks, pp_config_find_network)

json_object *net_json(struct pp_api *a, uint32_t i)
{
	const struct pp_cfg_network *n = &pp_daemon_config(a->d)->networks[i];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(n->name));
	if (n->vni) {		/* stretched (issue 20): no device of its own */
		json_object *v = json_object_new_object();

		json_object_object_add(v, "vni", json_object_new_int64(n->vni));
		json_object_object_add(o, "vxlan", v);
	} else {
		json_object_object_add(o, "device", json_object_new_string(n->device));
	}
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
