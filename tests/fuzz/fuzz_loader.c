// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Fuzz target: the binding-file loader (loader/config/), several files at
 * once, as polyportd reads a directory (one configuration from all of them).
 *
 * The input is 1 to 3 files separated by the line "--8<--" (the bytes
 * "\n--8<--\n"; a fourth separator and what follows it belong to the third
 * file), named a.yaml, b.yaml and c.yaml, loaded with
 * pp_config_load_buffers().
 *
 * The oracle, besides the sanitizers:
 * - a refused configuration comes with at least one error, each with a file
 *   and a message, and a position that is either none (0:0) or both a line
 *   and a column;
 * - a loaded one keeps what the dataplane relies on and the loader's
 *   comments promise: every index in range, names unique by kind (the
 *   lookups find each object itself), each tap one instance port's and no
 *   network's, each (device, vlan) one network's, the service ports of an
 *   instance port grouped and none two matching the same frames, no MAC
 *   twice on a network or on an instance port's untagged wire, no network
 *   wider (MTU) than the instance ports bound to it, every value within its
 *   documented range; a service port bound to a network or an L3 domain,
 *   never both; an L3 domain's table its own and not reserved, its uplinks'
 *   devices no tap's or network's, an L3 port's addresses host addresses of
 *   its domain's subnets, none twice in a domain;
 * - the same files read as API objects (pp_config_export_buffers(), what
 *   polyportctl apply -f sends) give one object per network, L3 domain,
 *   instance port and service port, in order, each a JSON object naming itself; and those
 *   objects loaded back (as the API loads its objects: one JSON source) give
 *   the same configuration, record by record (positions aside; a nested
 *   service port becomes a top-level one).
 */
#include <errno.h>
#include <string.h>
#include <json-c/json.h>
#include "config.h"
#include "fuzz.h"

#define SEP	"\n--8<--\n"
#define NFILES	3

static const char *const names[NFILES] = { "a.yaml", "b.yaml", "c.yaml" };

static int from_input(const char *file)
{
	for (int i = 0; i < NFILES; i++)
		if (file && !strcmp(file, names[i]))
			return 1;
	return 0;
}

static void check_errors(const struct pp_errors *errs, int err)
{
	char buf[512];

	FUZZ_CHECK(errs->n > 0 || err == -ENOMEM, "refused (%d) without an error", err);
	for (size_t i = 0; i < errs->n; i++) {
		const struct pp_error *e = &errs->v[i];

		FUZZ_CHECK(e->file && e->msg && e->msg[0], "error %zu: no file or message", i);
		FUZZ_CHECK(!e->line == !e->col, "error %zu: line %u, column %u", i, e->line,
			   e->col);
		pp_error_format(e, buf, sizeof(buf));
	}
}

static void check_loc(const struct pp_loc *l, const char *what, const char *name)
{
	FUZZ_CHECK(from_input(l->file) && l->line > 0 && l->col > 0,
		   "%s \"%s\" defined at %s:%u:%u", what, name, l->file ? l->file : "(null)",
		   l->line, l->col);
}

static void check_network(const struct pp_config *c, uint32_t i)
{
	const struct pp_cfg_network *n = &c->networks[i];

	FUZZ_CHECK(pp_name_valid(n->name, strlen(n->name)), "network name \"%s\"", n->name);
	FUZZ_CHECK(pp_config_find_network(c, n->name) == n, "network \"%s\" not found as itself",
		   n->name);
	FUZZ_CHECK(pp_ifname_valid(n->device, strlen(n->device)), "network \"%s\": device \"%s\"",
		   n->name, n->device);
	FUZZ_CHECK(n->mtu >= PP_MTU_MIN && n->mtu <= PP_MTU_MAX, "network \"%s\": MTU %u",
		   n->name, n->mtu);
	FUZZ_CHECK(n->vlan <= PP_VID_MAX, "network \"%s\": vlan %u", n->name, n->vlan);
	FUZZ_CHECK(!pp_config_find_iport_by_device(c, n->device),
		   "network \"%s\": device \"%s\" is a tap", n->name, n->device);
	check_loc(&n->loc, "network", n->name);
	for (uint32_t j = 0; j < i; j++)
		FUZZ_CHECK(strcmp(c->networks[j].device, n->device) || c->networks[j].vlan != n->vlan,
			   "networks \"%s\" and \"%s\" share device \"%s\" vlan %u",
			   c->networks[j].name, n->name, n->device, n->vlan);
}

static void check_iport(const struct pp_config *c, uint32_t i, uint32_t *next)
{
	const struct pp_cfg_iport *ip = &c->iports[i];

	FUZZ_CHECK(pp_name_valid(ip->name, strlen(ip->name)), "instance port name \"%s\"",
		   ip->name);
	FUZZ_CHECK(pp_config_find_iport(c, ip->name) == ip, "instance port \"%s\" not found",
		   ip->name);
	/* a tap by name, by id (its alias), or both */
	FUZZ_CHECK(ip->device[0] || ip->id[0], "instance port \"%s\": neither device nor id",
		   ip->name);
	FUZZ_CHECK(!ip->device[0] || (pp_ifname_valid(ip->device, strlen(ip->device)) &&
				      pp_config_find_iport_by_device(c, ip->device) == ip),
		   "instance port \"%s\": tap \"%s\" not its own", ip->name, ip->device);
	FUZZ_CHECK(!ip->id[0] || (strlen(ip->id) <= PP_IPORT_ID_MAX &&
				  pp_config_find_iport_by_id(c, ip->id) == ip),
		   "instance port \"%s\": id \"%s\" not its own", ip->name, ip->id);
	FUZZ_CHECK(ip->mtu >= PP_MTU_MIN && ip->mtu <= PP_MTU_MAX && ip->mode <= PP_MODE_XDP,
		   "instance port \"%s\": MTU %u, mode %d", ip->name, ip->mtu, ip->mode);
	/* grouped: each instance port's service ports follow the previous one's */
	FUZZ_CHECK(ip->sport_first == *next && ip->sport_count <= c->n_sports - ip->sport_first,
		   "instance port \"%s\": service ports [%u, +%u) after %u of %u", ip->name,
		   ip->sport_first, ip->sport_count, *next, c->n_sports);
	*next = ip->sport_first + ip->sport_count;
	check_loc(&ip->loc, "instance port", ip->name);
}

/* Do service ports a and b of one instance port match the same frames? */
static int same_match(const struct pp_cfg_sport *a, const struct pp_cfg_sport *b)
{
	if (a->match != b->match)
		return 0;
	switch (a->match) {
	case PP_MATCH_VLAN:
		return a->outer_vid == b->outer_vid;
	case PP_MATCH_QINQ:
		return a->outer_vid == b->outer_vid && a->inner_vid == b->inner_vid;
	case PP_MATCH_UNTAGGED:
		return 1;
	case PP_MATCH_SRCMAC:
		return !memcmp(a->mac, b->mac, PP_ETH_ALEN);
	default:
		return 1;
	}
}

static int on_untagged_wire(const struct pp_cfg_sport *s)
{
	return s->match == PP_MATCH_UNTAGGED || s->match == PP_MATCH_SRCMAC;
}

/* The first plen bits of x and y are equal. */
static int bits_eq(const uint8_t *x, const uint8_t *y, unsigned int plen)
{
	for (unsigned int b = 0; b < plen; b++)
		if ((x[b / 8] ^ y[b / 8]) & (0x80 >> (b % 8)))
			return 0;
	return 1;
}

static void check_l3domain(const struct pp_config *c, uint32_t i)
{
	const struct pp_cfg_l3domain *d = &c->l3domains[i];
	int v6 = 0;

	FUZZ_CHECK(pp_name_valid(d->name, strlen(d->name)) &&
		   pp_config_find_l3domain(c, d->name) == d && !pp_config_find_network(c, d->name),
		   "l3 domain \"%s\": not found as itself, or a network's name", d->name);
	FUZZ_CHECK(d->table && (d->table < 252 || d->table > 255) && d->mtu >= PP_MTU_MIN &&
		   d->mtu <= PP_MTU_MAX && !(d->gw_mac[0] & 1),
		   "l3 domain \"%s\": table %u, mtu %u", d->name, d->table, d->mtu);
	FUZZ_CHECK(d->n_subnets >= 1 && d->n_subnets <= PP_L3_SUBNETS_MAX &&
		   d->n_uplinks <= PP_L3_UPLINKS_MAX && d->n_routes <= PP_L3_ROUTES_MAX,
		   "l3 domain \"%s\": %u subnets, %u uplinks, %u routes", d->name, d->n_subnets,
		   d->n_uplinks, d->n_routes);
	for (uint32_t j = 0; j < d->n_subnets; j++) {
		const struct pp_cfg_l3subnet *sn = &d->subnets[j];

		v6 |= sn->cidr.family == PP_AF_INET6;
		FUZZ_CHECK(sn->gateway.family == sn->cidr.family &&
			   bits_eq(sn->gateway.addr, sn->cidr.addr, sn->cidr.plen),
			   "l3 domain \"%s\": subnet %u's gateway outside it", d->name, j);
		for (uint32_t k = 0; k < j; k++)
			FUZZ_CHECK(d->subnets[k].cidr.family != sn->cidr.family ||
				   !bits_eq(d->subnets[k].cidr.addr, sn->cidr.addr,
					    d->subnets[k].cidr.plen < sn->cidr.plen ?
					    d->subnets[k].cidr.plen : sn->cidr.plen),
				   "l3 domain \"%s\": subnets %u and %u overlap", d->name, k, j);
	}
	FUZZ_CHECK(!v6 || d->mtu >= 1280, "l3 domain \"%s\": IPv6 with mtu %u", d->name, d->mtu);
	for (uint32_t j = 0; j < d->n_uplinks; j++) {
		const char *dev = d->uplinks[j].device;

		FUZZ_CHECK(pp_ifname_valid(dev, strlen(dev)) && !pp_config_find_iport_by_device(c, dev) &&
			   d->uplinks[j].n_addrs >= 1 &&
			   d->uplinks[j].n_addrs <= PP_L3_UPLINK_ADDRS_MAX,
			   "l3 domain \"%s\": uplink \"%s\" is a tap, or without addresses", d->name,
			   dev);
		for (uint32_t n = 0; n < c->n_networks; n++)
			FUZZ_CHECK(strcmp(c->networks[n].device, dev),
				   "l3 domain \"%s\": uplink \"%s\" is network \"%s\"'s device",
				   d->name, dev, c->networks[n].name);
		for (uint32_t e = 0; e <= i; e++)
			for (uint32_t k = 0; k < (e == i ? j : c->l3domains[e].n_uplinks); k++)
				FUZZ_CHECK(strcmp(c->l3domains[e].uplinks[k].device, dev),
					   "uplink \"%s\" twice", dev);
	}
	for (uint32_t e = 0; e < i; e++)
		FUZZ_CHECK(c->l3domains[e].table != d->table, "table %u twice", d->table);
	check_loc(&d->loc, "l3 domain", d->name);
}

/* Service port i, bound to an L3 domain. */
static void check_l3_sport(const struct pp_config *c, uint32_t i)
{
	const struct pp_cfg_sport *s = &c->sports[i];
	const struct pp_cfg_l3domain *d = &c->l3domains[s->l3domain];

	FUZZ_CHECK(s->n_addrs >= 1 && s->n_l3_routes <= PP_L3_PORT_ROUTES_MAX,
		   "L3 service port \"%s\": %u addresses, %u routes", s->name, s->n_addrs,
		   s->n_l3_routes);
	for (uint32_t a = 0; a < s->n_addrs; a++) {
		const struct pp_cfg_addr *ad = &s->addrs[a];
		int in = 0;

		for (uint32_t j = 0; j < d->n_subnets; j++) {
			const struct pp_cfg_l3subnet *sn = &d->subnets[j];

			if (sn->cidr.family != ad->family || sn->cidr.plen != ad->plen ||
			    !bits_eq(sn->cidr.addr, ad->addr, ad->plen))
				continue;
			in = memcmp(sn->gateway.addr, ad->addr, 16) != 0;
		}
		FUZZ_CHECK(in, "L3 service port \"%s\": address %u in no subnet of \"%s\", or its gateway",
			   s->name, a, d->name);
		for (uint32_t j = 0; j < i; j++) {
			const struct pp_cfg_sport *o = &c->sports[j];

			if (o->l3domain != s->l3domain)
				continue;
			for (uint32_t b = 0; b < o->n_addrs; b++)
				FUZZ_CHECK(o->addrs[b].family != ad->family ||
					   memcmp(o->addrs[b].addr, ad->addr, 16),
					   "service ports \"%s\" and \"%s\": one address in l3 domain \"%s\"",
					   o->name, s->name, d->name);
		}
	}
}

static void check_sport(const struct pp_config *c, uint32_t i)
{
	const struct pp_cfg_sport *s = &c->sports[i];
	const struct pp_cfg_iport *ip;
	const struct pp_cfg_network *n;
	int on_net = s->network != PP_NO_INDEX;

	FUZZ_CHECK(pp_name_valid(s->name, strlen(s->name)), "service port name \"%s\"", s->name);
	FUZZ_CHECK(pp_config_find_sport(c, s->name) == s, "service port \"%s\" not found",
		   s->name);
	FUZZ_CHECK(s->iport < c->n_iports &&
		   (on_net ? s->network < c->n_networks && s->l3domain == PP_NO_INDEX :
			     s->l3domain < c->n_l3domains),
		   "service port \"%s\": instance port %u of %u, network %u of %u, l3 domain %u of %u",
		   s->name, s->iport, c->n_iports, s->network, c->n_networks, s->l3domain,
		   c->n_l3domains);
	ip = &c->iports[s->iport];
	if (!on_net) {
		check_l3_sport(c, i);
		n = NULL;
	} else {
		n = &c->networks[s->network];
	}
	FUZZ_CHECK(i >= ip->sport_first && i - ip->sport_first < ip->sport_count,
		   "service port \"%s\" outside its instance port's range", s->name);
	switch (s->match) {
	case PP_MATCH_VLAN:
		FUZZ_CHECK(s->outer_vid >= PP_VID_MIN && s->outer_vid <= PP_VID_MAX &&
			   !s->inner_vid, "service port \"%s\": vlan %u/%u", s->name,
			   s->outer_vid, s->inner_vid);
		break;
	case PP_MATCH_QINQ:
		FUZZ_CHECK(s->outer_vid >= PP_VID_MIN && s->outer_vid <= PP_VID_MAX &&
			   s->inner_vid >= PP_VID_MIN && s->inner_vid <= PP_VID_MAX,
			   "service port \"%s\": vlan [%u, %u]", s->name, s->outer_vid,
			   s->inner_vid);
		break;
	case PP_MATCH_UNTAGGED:
	case PP_MATCH_SRCMAC:
		FUZZ_CHECK(!s->outer_vid && !s->inner_vid, "service port \"%s\": untagged with VIDs",
			   s->name);
		break;
	default:
		FUZZ_CHECK(0, "service port \"%s\": match %d", s->name, s->match);
	}
	FUZZ_CHECK(!n || n->mtu <= ip->mtu, "service port \"%s\": network MTU %u over tap MTU %u",
		   s->name, n ? n->mtu : 0, ip->mtu);
	FUZZ_CHECK(s->n_addrs <= PP_SPORT_ADDRS_MAX && s->n_pairs <= PP_PAIRS_MAX &&
		   s->n_dns <= PP_DHCP_DNS_MAX && s->n_routes <= PP_DHCP_ROUTES_MAX,
		   "service port \"%s\": %u addresses, %u pairs, %u DNS, %u routes", s->name,
		   s->n_addrs, s->n_pairs, s->n_dns, s->n_routes);
	for (uint32_t a = 0; a < s->n_addrs; a++)
		FUZZ_CHECK((s->addrs[a].family == PP_AF_INET && s->addrs[a].plen <= 32) ||
			   (s->addrs[a].family == PP_AF_INET6 && s->addrs[a].plen <= 128),
			   "service port \"%s\": address %u family %u /%u", s->name, a,
			   s->addrs[a].family, s->addrs[a].plen);
	for (uint32_t r = 0; r < s->n_routes; r++)
		FUZZ_CHECK(s->routes[r].to.family == PP_AF_INET && s->routes[r].to.plen <= 32,
			   "service port \"%s\": route %u family %u /%u", s->name, r,
			   s->routes[r].to.family, s->routes[r].to.plen);
	FUZZ_CHECK(s->rule_first <= c->n_rules &&
		   s->n_ingress + (uint64_t)s->n_egress <= c->n_rules - s->rule_first &&
		   s->n_ingress <= PP_RULES_MAX && s->n_egress <= PP_RULES_MAX,
		   "service port \"%s\": rules [%u, +%u+%u) of %u", s->name, s->rule_first,
		   s->n_ingress, s->n_egress, c->n_rules);
	for (uint32_t r = s->rule_first; r < s->rule_first + s->n_ingress + s->n_egress; r++) {
		const struct pp_cfg_rule *ru = &c->rules[r];

		FUZZ_CHECK(ru->dir == (r - s->rule_first < s->n_ingress ? PP_RULE_INGRESS :
				       PP_RULE_EGRESS) && ru->port_lo <= ru->port_hi,
			   "service port \"%s\": rule %u: direction %u, ports %u-%u", s->name, r,
			   ru->dir, ru->port_lo, ru->port_hi);
	}
	check_loc(&s->loc, "service port", s->name);
	for (uint32_t j = ip->sport_first; j < i; j++) {
		const struct pp_cfg_sport *o = &c->sports[j];

		FUZZ_CHECK(!same_match(s, o), "service ports \"%s\" and \"%s\" match the same frames",
			   o->name, s->name);
		FUZZ_CHECK(!on_untagged_wire(s) || !on_untagged_wire(o) ||
			   memcmp(s->mac, o->mac, PP_ETH_ALEN),
			   "service ports \"%s\" and \"%s\": one MAC on the untagged wire", o->name,
			   s->name);
	}
	for (uint32_t j = 0; n && j < i; j++)
		FUZZ_CHECK(c->sports[j].network != s->network ||
			   memcmp(c->sports[j].mac, s->mac, PP_ETH_ALEN),
			   "service ports \"%s\" and \"%s\": one MAC on network \"%s\"",
			   c->sports[j].name, s->name, n->name);
}

static void check_model(const struct pp_config *c)
{
	uint32_t next = 0;

	FUZZ_CHECK(c->n_files >= 1 && c->n_files <= NFILES, "%u files", c->n_files);
	for (uint32_t i = 0; i < c->n_networks; i++)
		check_network(c, i);
	for (uint32_t i = 0; i < c->n_l3domains; i++)
		check_l3domain(c, i);
	for (uint32_t i = 0; i < c->n_iports; i++)
		check_iport(c, i, &next);
	FUZZ_CHECK(next == c->n_sports, "%u of %u service ports grouped", next, c->n_sports);
	for (uint32_t i = 0; i < c->n_sports; i++)
		check_sport(c, i);
}

/* ---- the files as API objects, and back ------------------------------------------------ */
static int addr_eq(const struct pp_cfg_addr *a, const struct pp_cfg_addr *b)
{
	return a->family == b->family && a->plen == b->plen && !memcmp(a->addr, b->addr, 16);
}

static int rule_eq(const struct pp_cfg_rule *a, const struct pp_cfg_rule *b)
{
	return a->dir == b->dir && a->proto == b->proto && a->allow == b->allow &&
	       a->has_icmp_type == b->has_icmp_type && a->icmp_type == b->icmp_type &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       addr_eq(&a->from, &b->from) && addr_eq(&a->to, &b->to);
}

/* Networks, instance ports and service ports of a and b the same, positions aside. */
static void check_same(const struct pp_config *a, const struct pp_config *b)
{
	FUZZ_CHECK(a->n_networks == b->n_networks && a->n_iports == b->n_iports &&
		   a->n_sports == b->n_sports && a->n_rules == b->n_rules &&
		   a->n_l3domains == b->n_l3domains,
		   "read back: %u/%u/%u/%u objects, was %u/%u/%u/%u", b->n_networks, b->n_iports,
		   b->n_sports, b->n_rules, a->n_networks, a->n_iports, a->n_sports, a->n_rules);
	for (uint32_t i = 0; i < a->n_networks; i++) {
		const struct pp_cfg_network *x = &a->networks[i], *y = &b->networks[i];

		FUZZ_CHECK(!strcmp(x->name, y->name) && !strcmp(x->device, y->device) &&
			   x->mtu == y->mtu && x->vlan == y->vlan &&
			   x->has_gateway == y->has_gateway && addr_eq(&x->gw4, &y->gw4) &&
			   addr_eq(&x->gw6, &y->gw6) && !memcmp(x->gw_mac, y->gw_mac, PP_ETH_ALEN) &&
			   x->gw_mac_explicit == y->gw_mac_explicit,
			   "network \"%s\" read back differs", x->name);
	}
	for (uint32_t i = 0; i < a->n_l3domains; i++) {
		const struct pp_cfg_l3domain *x = &a->l3domains[i], *y = &b->l3domains[i];
		int same = !strcmp(x->name, y->name) && x->table == y->table && x->mtu == y->mtu &&
			   !memcmp(x->gw_mac, y->gw_mac, PP_ETH_ALEN) &&
			   x->gw_mac_explicit == y->gw_mac_explicit &&
			   x->n_subnets == y->n_subnets && x->n_uplinks == y->n_uplinks &&
			   x->n_routes == y->n_routes;

		for (uint32_t k = 0; same && k < x->n_subnets; k++)
			same = addr_eq(&x->subnets[k].cidr, &y->subnets[k].cidr) &&
			       addr_eq(&x->subnets[k].gateway, &y->subnets[k].gateway);
		for (uint32_t k = 0; same && k < x->n_uplinks; k++) {
			same = !strcmp(x->uplinks[k].device, y->uplinks[k].device) &&
			       x->uplinks[k].n_addrs == y->uplinks[k].n_addrs;
			for (uint32_t j = 0; same && j < x->uplinks[k].n_addrs; j++)
				same = addr_eq(&x->uplinks[k].addrs[j], &y->uplinks[k].addrs[j]);
		}
		for (uint32_t k = 0; same && k < x->n_routes; k++)
			same = addr_eq(&x->routes[k].to, &y->routes[k].to) &&
			       addr_eq(&x->routes[k].via, &y->routes[k].via);
		FUZZ_CHECK(same, "l3 domain \"%s\" read back differs", x->name);
	}
	for (uint32_t i = 0; i < a->n_iports; i++) {
		const struct pp_cfg_iport *x = &a->iports[i], *y = &b->iports[i];

		FUZZ_CHECK(!strcmp(x->name, y->name) && !strcmp(x->device, y->device) &&
			   !strcmp(x->id, y->id) &&
			   !memcmp(x->mac, y->mac, PP_ETH_ALEN) && x->mtu == y->mtu &&
			   x->mode == y->mode && x->sport_first == y->sport_first &&
			   x->sport_count == y->sport_count,
			   "instance port \"%s\" read back differs", x->name);
	}
	for (uint32_t i = 0; i < a->n_sports; i++) {
		const struct pp_cfg_sport *x = &a->sports[i], *y = &b->sports[i];
		int same = !strcmp(x->name, y->name) && x->iport == y->iport &&
			   x->match == y->match && x->outer_vid == y->outer_vid &&
			   x->inner_vid == y->inner_vid && !memcmp(x->mac, y->mac, PP_ETH_ALEN) &&
			   x->mac_explicit == y->mac_explicit && x->network == y->network &&
			   x->n_addrs == y->n_addrs && x->responder == y->responder &&
			   x->security == y->security && x->n_pairs == y->n_pairs &&
			   x->n_ingress == y->n_ingress && x->n_egress == y->n_egress &&
			   x->default_allow == y->default_allow &&
			   x->allow_dhcp_server == y->allow_dhcp_server &&
			   x->allow_ra == y->allow_ra && x->dhcp == y->dhcp && x->n_dns == y->n_dns &&
			   !memcmp(x->dns, y->dns, sizeof(x->dns)) && x->lease == y->lease &&
			   x->dhcp_mtu == y->dhcp_mtu && x->n_routes == y->n_routes &&
			   x->l3domain == y->l3domain && x->n_l3_routes == y->n_l3_routes;

		for (uint32_t k = 0; same && k < x->n_addrs; k++)
			same = addr_eq(&x->addrs[k], &y->addrs[k]);
		for (uint32_t k = 0; same && k < x->n_pairs; k++)
			same = !memcmp(x->pairs[k].mac, y->pairs[k].mac, PP_ETH_ALEN) &&
			       x->pairs[k].has_ip == y->pairs[k].has_ip &&
			       (!x->pairs[k].has_ip || addr_eq(&x->pairs[k].ip, &y->pairs[k].ip));
		for (uint32_t k = 0; same && k < x->n_routes; k++)
			same = addr_eq(&x->routes[k].to, &y->routes[k].to) &&
			       !memcmp(x->routes[k].via, y->routes[k].via, 4);
		for (uint32_t k = 0; same && k < x->n_l3_routes; k++)
			same = addr_eq(&x->l3_routes[k].to, &y->l3_routes[k].to);
		for (uint32_t k = 0; same && k < x->n_ingress + x->n_egress; k++)
			same = rule_eq(&a->rules[x->rule_first + k], &b->rules[y->rule_first + k]);
		FUZZ_CHECK(same, "service port \"%s\" read back differs", x->name);
	}
}

/* cfg loaded from src: export src, check the objects, load them back as one JSON source. */
static void check_export(const struct pp_config *cfg, const struct pp_config_source *src,
			 size_t n)
{
	static const char *const kinds[] = { "networks", "l3-domains", "instance-ports",
					     "service-ports" };
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config_source back = { .name = "api" };
	struct pp_config *again = NULL;
	struct pp_export *ex = NULL;
	json_object *root, *coll[4];
	uint32_t want[4] = { cfg->n_networks, cfg->n_l3domains, cfg->n_iports, cfg->n_sports };
	uint32_t got[4] = { 0 };
	int err = pp_config_export_buffers(src, n, &ex, &errs);

	FUZZ_CHECK(!err && ex, "loads, but export fails (%d): %s", err,
		   errs.n ? errs.v[0].msg : "no error");
	root = json_object_new_object();
	for (int k = 0; k < 4; k++) {
		coll[k] = json_object_new_object();
		json_object_object_add(root, kinds[k], coll[k]);
	}
	for (size_t i = 0; i < ex->n; i++) {
		const struct pp_export_obj *o = &ex->objs[i];
		json_object *body = json_tokener_parse(o->json), *nm;
		int k;

		for (k = 0; k < 4 && strcmp(o->kind, kinds[k]); k++)
			;
		FUZZ_CHECK(k < 4, "export: object %zu of kind \"%s\"", i, o->kind);
		FUZZ_CHECK(body && json_object_is_type(body, json_type_object) &&
			   json_object_object_get_ex(body, "name", &nm) &&
			   !strcmp(json_object_get_string(nm), o->name),
			   "export: %s \"%s\": body %.200s", o->kind, o->name, o->json);
		json_object_object_del(body, "name");
		FUZZ_CHECK(!json_object_object_get_ex(coll[k], o->name, NULL),
			   "export: %s \"%s\" twice", o->kind, o->name);
		json_object_object_add(coll[k], o->name, body);
		got[k]++;
	}
	FUZZ_CHECK(!memcmp(want, got, sizeof(want)),
		   "export: %u/%u/%u/%u objects, loaded %u/%u/%u/%u", got[0], got[1], got[2],
		   got[3], want[0], want[1], want[2], want[3]);
	back.data = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	back.len = strlen(back.data);
	pp_errors_free(&errs);
	err = pp_config_load_buffers(&back, 1, &again, &errs);
	FUZZ_CHECK(!err, "exported objects do not load back: %s:%u:%u: %s", back.name,
		   errs.n ? errs.v[0].line : 0, errs.n ? errs.v[0].col : 0,
		   errs.n ? errs.v[0].msg : "no error");
	check_same(cfg, again);
	pp_config_free(again);
	pp_errors_free(&errs);
	json_object_put(root);
	pp_export_free(ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_config_source src[NFILES];
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	const char *p = (const char *)data, *end = p + size;
	size_t n = 0;
	int err;

	while (n < NFILES) {
		const char *s = n + 1 < NFILES ? memmem(p, end - p, SEP, strlen(SEP)) : NULL;

		src[n].name = names[n];
		src[n].data = p;
		src[n].len = s ? (size_t)(s - p) : (size_t)(end - p);
		n++;
		if (!s)
			break;
		p = s + strlen(SEP);
	}
	err = pp_config_load_buffers(src, n, &cfg, &errs);
	if (err) {
		FUZZ_CHECK(!cfg, "refused (%d) with a model", err);
		check_errors(&errs, err);
	} else {
		FUZZ_CHECK(cfg && !errs.n, "loaded with %zu errors", errs.n);
		check_model(cfg);
		check_export(cfg, src, n);
	}
	pp_config_free(cfg);
	pp_errors_free(&errs);
	return 0;
}
