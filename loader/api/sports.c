// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Service ports in the API: /v1/service-ports, with their services.
 */
#include <stdio.h>
#include "internal.h"

API_KIND_LOOKUP(sport, struct pp_cfg_sport, sports, n_sports, pp_config_find_sport)

/* A rule (security's; a chain's classifier entry: no action) as written. */
json_object *rule_json(const struct pp_cfg_rule *r)
{
	static const char *const protos[] = { [0] = "any", [1] = "icmp", [6] = "tcp",
					       [17] = "udp", [58] = "icmpv6" };
	json_object *o = json_object_new_object();
	char buf[64];

	if (r->proto)
		json_object_object_add(o, "proto", json_object_new_string(protos[r->proto]));
	if (r->port_lo) {
		if (r->port_lo == r->port_hi)
			snprintf(buf, sizeof(buf), "%u", r->port_lo);
		else
			snprintf(buf, sizeof(buf), "%u-%u", r->port_lo, r->port_hi);
		json_object_object_add(o, "ports", json_object_new_string(buf));
	}
	if (r->sport_lo) {
		if (r->sport_lo == r->sport_hi)
			snprintf(buf, sizeof(buf), "%u", r->sport_lo);
		else
			snprintf(buf, sizeof(buf), "%u-%u", r->sport_lo, r->sport_hi);
		json_object_object_add(o, "source-ports", json_object_new_string(buf));
	}
	if (r->has_icmp_type)
		json_object_object_add(o, "icmp-type", json_object_new_int(r->icmp_type));
	if (r->from.family)
		json_object_object_add(o, "from", json_addr(&r->from, true));
	if (r->to.family)
		json_object_object_add(o, "to", json_addr(&r->to, true));
	if (r->dir != PP_RULE_CHAIN)
		json_object_object_add(o, "action",
				       json_object_new_string(r->allow ? "allow" : "drop"));
	return o;
}

/* bind.security, bind.responder, bind.dhcp of a service port, as configured. */
static void sport_services_json(const struct pp_config *cfg, const struct pp_cfg_sport *s,
				json_object *b)
{
	if (s->security) {
		json_object *sec = json_object_new_object(), *pairs = json_object_new_array();
		json_object *in = json_object_new_array(), *eg = json_object_new_array();

		for (uint32_t j = 0; j < s->n_pairs; j++) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "mac", json_mac(s->pairs[j].mac));
			if (s->pairs[j].has_ip)
				json_object_object_add(p, "ip", json_addr(&s->pairs[j].ip, true));
			json_object_array_add(pairs, p);
		}
		for (uint32_t j = 0; j < s->n_ingress + s->n_egress; j++)
			json_object_array_add(j < s->n_ingress ? in : eg,
					      rule_json(&cfg->rules[s->rule_first + j]));
		json_object_object_add(sec, "allowed-pairs", pairs);
		json_object_object_add(sec, "ingress", in);
		json_object_object_add(sec, "egress", eg);
		json_object_object_add(sec, "default",
				       json_object_new_string(s->default_allow ? "allow" : "drop"));
		json_object_object_add(sec, "allow-dhcp-server",
				       json_object_new_boolean(s->allow_dhcp_server));
		json_object_object_add(sec, "allow-ra", json_object_new_boolean(s->allow_ra));
		json_object_object_add(b, "security", sec);
	}
	if (s->responder)
		json_object_object_add(b, "responder", json_object_new_object());
	if (s->dhcp) {
		json_object *d = json_object_new_object(), *dns = json_object_new_array();
		json_object *rt = json_object_new_array();

		for (uint32_t j = 0; j < s->n_dns; j++)
			json_object_array_add(dns, json_ip4(s->dns[j]));
		for (uint32_t j = 0; j < s->n_routes; j++) {
			json_object *r = json_object_new_object();

			json_object_object_add(r, "to", json_addr(&s->routes[j].to, true));
			json_object_object_add(r, "via", json_ip4(s->routes[j].via));
			json_object_array_add(rt, r);
		}
		json_object_object_add(d, "dns", dns);
		json_object_object_add(d, "lease", json_object_new_int64(s->lease));
		if (s->dhcp_mtu)
			json_object_object_add(d, "mtu", json_object_new_int(s->dhcp_mtu));
		json_object_object_add(d, "routes", rt);
		json_object_object_add(b, "dhcp", d);
	}
}

/*
 * A service port's match as the API writes it: "vlan" (a number, or
 * [outer, inner] for QinQ), "untagged": true or "src-mac"; the same for a
 * configured and a kept one.
 */
void add_match(json_object *o, unsigned match, unsigned outer, unsigned inner,
	       const char *mac)
{
	if (match == PP_MATCH_VLAN) {
		json_object_object_add(o, "vlan", json_object_new_int(outer));
	} else if (match == PP_MATCH_QINQ) {
		json_object *v = json_object_new_array();

		json_object_array_add(v, json_object_new_int(outer));
		json_object_array_add(v, json_object_new_int(inner));
		json_object_object_add(o, "vlan", v);
	} else if (match == PP_MATCH_UNTAGGED) {
		json_object_object_add(o, "untagged", json_object_new_boolean(1));
	} else if (match == PP_MATCH_SRCMAC) {
		json_object_object_add(o, "src-mac", json_object_new_string(mac));
	}
}

json_object *sport_json(struct pp_api *a, uint32_t i)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_cfg_sport *s = &cfg->sports[i];
	json_object *o = json_object_new_object(), *b = json_object_new_object();
	char mac[PP_MAC_STRLEN];

	pp_mac_format(s->mac, mac);
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "instance-port", json_object_new_string(cfg->iports[s->iport].name));
	add_match(o, s->match, s->outer_vid, s->inner_vid, mac);
	if (s->mac_explicit)
		json_object_object_add(o, "mac", json_object_new_string(mac));
	if (s->n_addrs) {
		json_object *ad = json_object_new_array();

		for (uint32_t j = 0; j < s->n_addrs; j++)
			json_object_array_add(ad, json_addr(&s->addrs[j], true));
		json_object_object_add(o, "addresses", ad);
	}
	if (pp_cfg_sport_on_chain(s)) {
		/* a hop port binds nothing: its position is read-only, in status */
		json_object_put(b);
		b = NULL;
	} else if (pp_cfg_sport_on_net(s)) {
		json_object_object_add(b, "network", json_object_new_string(cfg->networks[s->network].name));
	} else {
		json_object *l3 = json_object_new_object(), *rs = json_object_new_array();

		json_object_object_add(l3, "domain", json_object_new_string(pp_cfg_sport_bound(cfg, s)));
		for (uint32_t j = 0; j < s->n_l3_routes; j++) {
			json_object *r = json_object_new_object();

			json_object_object_add(r, "to", json_addr(&s->l3_routes[j].to, true));
			json_object_array_add(rs, r);
		}
		if (s->n_l3_routes)
			json_object_object_add(l3, "routes", rs);
		else
			json_object_put(rs);
		json_object_object_add(b, "l3", l3);
	}
	if (b) {
		sport_services_json(cfg, s, b);
		json_object_object_add(o, "bind", b);
	}
	add_meta(a, o, K_SPORT, s->name);
	add_status(o, obj_st(a, K_SPORT, i));
	json_object_object_add(json_object_object_get(o, "status"), "mac",
			       json_object_new_string(mac));
	if (pp_cfg_sport_on_chain(s)) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "name",
				       json_object_new_string(cfg->chains[s->chain].name));
		json_object_object_add(c, "hop", json_object_new_int(s->chain_hop + 1));
		json_object_object_add(c, "instance", json_object_new_int(s->chain_inst + 1));
		json_object_object_add(c, "role", json_object_new_string(
			s->chain_role == (PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT) ? "ingress+egress" :
			s->chain_role & PP_CHAIN_ROLE_IN ? "ingress" : "egress"));
		json_object_object_add(json_object_object_get(o, "status"), "chain", c);
	}
	return o;
}
