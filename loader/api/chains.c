// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Service chains in the API: /v1/chains (issue 17).  The JSON is the
 * binding files' spelling, so what GET gives can be PUT back; the status
 * adds the chain's id (the networks' id space) and each hop's status (DOWN:
 * no live instance) with its instances.
 *
 * A chain names its hop ports, which have no bind: through the API such a
 * port is created before its chain and waits, not loaded, until a chain
 * names it (store.c render, objects.c); a port a chain names cannot be
 * deleted, nor the chain's network (409).
 */
#include "internal.h"

API_KIND_LOOKUP(chain, struct pp_cfg_chain, chains, n_chains, pp_config_find_chain)

static json_object *sport_name(const struct pp_config *cfg, uint32_t s)
{
	return json_object_new_string(s < cfg->n_sports ? cfg->sports[s].name : "");
}

json_object *chain_json(struct pp_api *a, uint32_t i)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_cfg_chain *c = &cfg->chains[i];
	const struct pp_obj_status *st = obj_st(a, K_CHAIN, i);
	json_object *o = json_object_new_object(), *cl = json_object_new_array();
	json_object *hops = json_object_new_array(), *hst = json_object_new_array(), *s;

	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "network", json_object_new_string(
		c->network < cfg->n_networks ? cfg->networks[c->network].name : ""));
	for (uint32_t j = 0; j < c->n_rules; j++)
		json_object_array_add(cl, rule_json(&cfg->rules[c->rule_first + j]));
	json_object_object_add(o, "classifier", cl);
	if (!c->all_sources) {
		json_object *src = json_object_new_object(), *sp = json_object_new_array();

		for (uint32_t j = 0; j < c->n_sources; j++)
			json_object_array_add(sp, sport_name(cfg, c->sources[j]));
		json_object_object_add(src, "service-ports", sp);
		json_object_object_add(src, "network-device",
				       json_object_new_boolean(c->network_device));
		json_object_object_add(o, "sources", src);
	}
	json_object_object_add(o, "symmetric", json_object_new_boolean(c->symmetric));
	json_object_object_add(o, "on-failure", json_object_new_string(c->bypass ? "bypass" : "drop"));
	for (uint32_t h = 0; h < c->n_hops; h++) {
		const struct pp_cfg_chain_hop *hop = &c->hops[h];
		json_object *grp = json_object_new_array(), *insts = json_object_new_array();
		json_object *ho = json_object_new_object();
		/* filled by the daemon (loader/chains.c); none yet: as if unknown */
		const struct pp_obj_status *hs = a->d->chain_hop_st ? &a->d->chain_hop_st[i][h] : NULL;

		for (uint32_t j = 0; j < hop->n_inst; j++) {
			const struct pp_cfg_chain_inst *in = &hop->inst[j];
			json_object *io = json_object_new_object(), *is = json_object_new_object();

			json_object_object_add(io, "ingress", sport_name(cfg, in->in));
			json_object_object_add(io, "egress", sport_name(cfg, in->out));
			json_object_object_add(io, "weight", json_object_new_int(in->weight));
			json_object_array_add(grp, io);
			/* an instance is its ports; their statuses say whether its tap is up */
			json_object_object_add(is, "ingress", sport_name(cfg, in->in));
			json_object_object_add(is, "egress", sport_name(cfg, in->out));
			json_object_object_add(is, "status", json_object_new_string(pp_status_name(
				obj_st(a, K_SPORT, in->in)->status)));
			json_object_array_add(insts, is);
		}
		json_object_array_add(hops, grp);
		json_object_object_add(ho, "status", json_object_new_string(
			pp_status_name(hs ? hs->status : PP_ST_DOWN)));
		if (hs && hs->reason[0])
			json_object_object_add(ho, "reason", json_object_new_string(hs->reason));
		json_object_object_add(ho, "instances", insts);
		json_object_array_add(hst, ho);
	}
	json_object_object_add(o, "hops", hops);
	add_meta(a, o, K_CHAIN, c->name);
	add_status(o, st);
	s = json_object_object_get(o, "status");
	/* its id (the networks' id space: pp_chains and pp_net_drops are indexed by it) */
	json_object_object_add(s, "id", json_object_new_int64(st->id));
	json_object_object_add(s, "hops", hst);
	return o;
}
