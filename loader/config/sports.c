// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the schema of a service port, nested under its
 * instance port or top-level (service-ports: NAME: {instance-port, vlan |
 * untagged | src-mac, mac, addresses, bind}), read into the model: its
 * match, its effective MAC, its bindings (bind.c). Top-level ones are read
 * once every file is (their instance port may be defined anywhere).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const struct xloc *sport_prior(const struct ld *ld, uint32_t i)
{
	return &ld->sp_aux[i].name;
}

static void h_sp_vlan(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct sport_parse *p = obj;
	uint32_t o, i;

	(void)k;
	p->match_val = v;
	if (v->type == Y_SCALAR) {
		p->sp.match = PP_MATCH_VLAN;
		p->match_ok = parse_uint_node(ld, v, "vlan", PP_VID_MIN, PP_VID_MAX, &o);
		p->sp.outer_vid = (uint16_t)o;
		return;
	}
	if (v->count != 2) {
		err_node(ld, v, "vlan must be a VLAN ID or a list of exactly two VLAN IDs [outer, inner], got a list of %u",
			 v->count);
		return;
	}
	p->sp.match = PP_MATCH_QINQ;
	p->match_ok = parse_uint_node(ld, v->first, "outer vlan", PP_VID_MIN,
				      PP_VID_MAX, &o);
	p->match_ok &= parse_uint_node(ld, v->first->next, "inner vlan", PP_VID_MIN,
				       PP_VID_MAX, &i);
	if (p->match_ok) {
		p->sp.outer_vid = (uint16_t)o;
		p->sp.inner_vid = (uint16_t)i;
	}
}

static void h_sp_untagged(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct qbuf qb;

	(void)k;
	p->match_val = v;
	p->sp.match = PP_MATCH_UNTAGGED;
	if (v->plain && (!strcmp(v->str, "true") || !strcmp(v->str, "True") ||
			 !strcmp(v->str, "TRUE"))) {
		p->match_ok = true;
		read_as(v, YR_BOOL);
		return;
	}
	err_node(ld, v, "untagged must be true, got %s", node_desc(&qb, v));
}

static void h_sp_srcmac(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	p->match_val = v;
	p->sp.match = PP_MATCH_SRCMAC;
	p->srcmac_ok = p->match_ok = parse_mac_node(ld, v, "src-mac", p->srcmac);
	p->srcmac_val = v;
}

static void h_sp_mac(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	p->mac_ok = parse_mac_node(ld, v, "mac", p->mac);
	p->mac_val = v;
}

/* addresses: [CIDR, ...] */
static void h_sp_addrs(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct pp_cfg_addr a;
	char s[64];

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		if (!parse_addr_node(ld, e, "address", false, false, PP_AF_NONE, &a))
			continue;
		if (p->sp.n_addrs == PP_SPORT_ADDRS_MAX) {
			err_node(ld, e, "too many addresses (limit %d)", PP_SPORT_ADDRS_MAX);
			return;
		}
		for (uint32_t i = 0; i < p->sp.n_addrs; i++)
			if (p->sp.addrs[i].family == a.family &&
			    !memcmp(p->sp.addrs[i].addr, a.addr, 16)) {
				pp_addr_format(&a, false, s, sizeof(s));
				err_node(ld, e, "address %s is listed twice", s);
				a.family = PP_AF_NONE;
				break;
			}
		if (a.family == PP_AF_NONE)
			continue;
		p->aux.addr[p->sp.n_addrs] = xloc_of(ld, e);
		p->sp.addrs[p->sp.n_addrs++] = a;
	}
}

/* instance-port: NAME (top-level service ports only) */
static void h_sp_iport(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct sport_parse *p = obj;
	uint8_t key[HKEY_LEN];
	struct qbuf qb;
	uint32_t i;

	(void)k;
	if (!pp_name_valid(v->str, v->len)) {
		/* it cannot name an instance port */
		err_node(ld, v, "unknown instance port %s",
			 quote(&qb, v->str, v->len));
		return;
	}
	str_key(key, v->str, v->len);
	if (!htab_get(&ld->ip_by_name, key, &i)) {
		if (!ld->iports_incomplete)
			err_node(ld, v, "unknown instance port \"%s\"", v->str);
		return;
	}
	p->top_ipp.ip = ld->cfg->iports[i];
	p->top_ipp.aux = ld->ip_aux[i];
	p->top_ipp.idx = i;
	p->top_ipp.keep = true;
	p->ipp = &p->top_ipp;
	p->sp.iport = i;
}

/*
 * The keys of a top-level service port; a nested one has the same but
 * instance-port (sport_keys). Table order is processing order: the
 * instance port is known before the MAC is inherited from it.
 */
static const struct keydef sport_keys_top[] = {
#define SK_IPORT 0
	{ "instance-port", KT_SCALAR, "an instance port name", h_sp_iport },
#define SK_VLAN 0
	{ "vlan", KT_SCALAR | KT_SEQ,
	  "a VLAN ID 1-4094 or a list of two [outer, inner]", h_sp_vlan },
#define SK_UNTAGGED 1
	{ "untagged", KT_SCALAR, "true", h_sp_untagged },
#define SK_SRCMAC 2
	{ "src-mac", KT_SCALAR, "a MAC address", h_sp_srcmac },
#define SK_MAC 3
	{ "mac", KT_SCALAR, "a MAC address", h_sp_mac },
#define SK_ADDRS 4
	{ "addresses", KT_SEQ, "a list of IP addresses with /len", h_sp_addrs },
#define SK_BIND 5
	{ "bind", KT_MAP, "a mapping of services", h_sp_bind },
};

/* SK_IPORT indexes sport_keys_top; SK_VLAN .. SK_BIND index sport_keys,
 * the keys of a nested service port: sport_keys_top without its first */
#define sport_keys (sport_keys_top + 1)
#define N_SPORT_KEYS (ARRAY_SIZE(sport_keys_top) - 1)

_Static_assert(ARRAY_SIZE(sport_keys_top) <= MAX_KEYS, "raise MAX_KEYS");

/* The fields of a service port whose body is a mapping: (top-level) its
 * instance port, its match, its effective MAC, its bindings. */
static void sport_fields(struct ld *ld, struct sport_parse *p,
			 const struct ynode *k, const struct ynode *v, bool top)
{
	const struct ynode *all[ARRAY_SIZE(sport_keys_top)];
	const struct ynode **found = top ? all + 1 : all;
	const struct ynode *mk[3];
	struct ctxbuf cb;
	int nm = 0;

	if (top) {
		walk_keys(ld, v, sport_keys_top, ARRAY_SIZE(sport_keys_top), p,
			  &p->ctx, all);
		/* present, even with a value of the wrong type (reported) */
		if (!all[SK_IPORT])
			err_node(ld, k, "%s has no instance-port",
				 ctx_str(&cb, &p->ctx));
	} else {
		walk_keys(ld, v, sport_keys, N_SPORT_KEYS, p, &p->ctx, all);
	}

	/* exactly one match key */
	for (int i = SK_VLAN; i <= SK_SRCMAC; i++)
		if (found[i])
			mk[nm++] = found[i];
	if (!nm) {
		err_node(ld, k, "%s has no match key (one of vlan, untagged, src-mac)",
			 ctx_str(&cb, &p->ctx));
	} else if (nm > 1) {
		/* report each extra key, in the order written */
		for (int i = 0; i < nm; i++)
			for (int j = i + 1; j < nm; j++)
				if (mk[j]->line < mk[i]->line ||
				    (mk[j]->line == mk[i]->line &&
				     mk[j]->col < mk[i]->col)) {
					const struct ynode *t = mk[i];

					mk[i] = mk[j];
					mk[j] = t;
				}
		for (int i = 1; i < nm; i++)
			err_node(ld, mk[i], "%s has more than one match key: \"%.*s\" and \"%.*s\" at " XF,
				 ctx_str(&cb, &p->ctx), (int)mk[i]->len, mk[i]->str,
				 (int)mk[0]->len, mk[0]->str,
				 XA(ld, xloc_of(ld, mk[0])));
		p->match_ok = false;
	}

	/* the effective MAC */
	p->sp.mac_explicit = found[SK_MAC] != NULL;
	if (found[SK_SRCMAC] && p->srcmac_ok) {
		if (p->mac_ok && memcmp(p->mac, p->srcmac, PP_ETH_ALEN)) {
			char a[PP_MAC_STRLEN], b[PP_MAC_STRLEN];

			pp_mac_format(p->mac, a);
			pp_mac_format(p->srcmac, b);
			err_node(ld, p->mac_val, "mac %s of %s differs from its src-mac %s (a src-mac service port's MAC is its src-mac)",
				 a, ctx_str(&cb, &p->ctx), b);
		}
		memcpy(p->sp.mac, p->srcmac, PP_ETH_ALEN);
		p->aux.mac_from = MAC_SRCMAC;
		p->aux.mac = xloc_of(ld, p->srcmac_val);
	} else if (found[SK_SRCMAC]) {
		p->aux.mac_from = MAC_UNKNOWN;
	} else if (found[SK_MAC]) {
		if (p->mac_ok) {
			memcpy(p->sp.mac, p->mac, PP_ETH_ALEN);
			p->aux.mac_from = MAC_EXPLICIT;
			p->aux.mac = xloc_of(ld, p->mac_val);
		}
	} else if (p->ipp && p->ipp->aux.mac_ok) {
		memcpy(p->sp.mac, p->ipp->ip.mac, PP_ETH_ALEN);
		p->aux.mac_from = MAC_INHERITED;
		p->aux.mac = p->aux.name;
	}
	/* every service port binds a network or an L3 domain, but a hop
	 * port, which has no bind at all: that is known once the chains are
	 * (check_chains, chains.c; nb_report for a port that is not kept) */
	if (!found[SK_BIND]) {
		p->aux.no_bind = true;
	} else {
		p->aux.has_bind = true;
		p->aux.bind = xloc_of(ld, found[SK_BIND]);
		if (p->bind_walked && !p->net_given && !p->l3_given)
			err_node(ld, found[SK_BIND], "%s has no bind.network or bind.l3",
				 ctx_str(&cb, &p->ctx));
	}
}

/* A service port that is not kept: a chain naming it is not told it is
 * unknown, and without bind it is reported now (no chain can name it). */
static void nb_report(struct ld *ld, const struct sport_parse *p, const struct ynode *k)
{
	struct ctxbuf cb;

	ld->sports_incomplete = true;
	if (p->aux.no_bind && !ld->chains_incomplete)
		err_node(ld, k, "%s has no bind.network or bind.l3", ctx_str(&cb, &p->ctx));
}

/* Keep a service port whose name is registered as idx. */
static void keep_sport(struct ld *ld, struct sport_parse *p,
		      const struct ynode *k, uint32_t idx)
{
	memcpy(p->sp.name, k->str, k->len);
	if (p->match_ok)
		check_match(ld, p, idx);

	if (idx == PP_MAX_SPORTS && !ld->too_many_sports) {
		ld->too_many_sports = true;
		err_node(ld, k, "too many service ports (limit %d)", PP_MAX_SPORTS);
	}
	if (GROW2(ld->cfg->sports, ld->sp_aux, idx, ld->cap_sports))
		return oom(ld);
	ld->cfg->sports[idx] = p->sp;
	ld->sp_aux[idx] = p->aux;
	ld->cfg->n_sports++;
}

void parse_sport(struct ld *ld, void *parent, const struct ynode *k,
		 const struct ynode *v)
{
	struct iport_parse *ipp = parent;
	struct sport_parse p = { .ipp = ipp,
				 .ctx = { "", "service port", k } };
	uint32_t idx = ld->cfg->n_sports;
	bool keep;

	p.aux.name = xloc_of(ld, k);
	p.sp.loc = pp_loc_of(ld, k);
	p.sp.iport = ipp->idx;
	p.sp.network = PP_NO_INDEX;
	p.sp.l3domain = PP_NO_INDEX;
	p.sp.chain = PP_NO_INDEX;

	keep = check_name(ld, k, "service port") && ipp->keep;
	keep = keep && register_name(ld, k, "service port", &ld->sp_by_name,
				     idx, sport_prior);
	/* a sport whose body is not a mapping is still kept (its name is
	 * registered), without a match, MAC or network */
	if (check_body(ld, v, &p.ctx))
		sport_fields(ld, &p, k, v, false);

	if (keep)
		keep_sport(ld, &p, k, idx);
	else
		nb_report(ld, &p, k);
}

/*
 * A top-level service port (read once every file is). It is kept when its
 * instance port is known: its name is then registered after its fields are
 * read; otherwise its fields are still checked.
 */
static void parse_top_sport(struct ld *ld, void *parent, const struct ynode *k,
			    const struct ynode *v)
{
	struct sport_parse sp = { .ctx = { "", "service port", k } };
	struct sport_parse *p = &sp;
	uint32_t idx = ld->cfg->n_sports;
	bool name_ok;

	(void)parent;
	p->aux.name = xloc_of(ld, k);
	p->sp.loc = pp_loc_of(ld, k);
	p->sp.iport = PP_NO_INDEX;
	p->sp.network = PP_NO_INDEX;
	p->sp.l3domain = PP_NO_INDEX;
	p->sp.chain = PP_NO_INDEX;
	p->sp.toplevel = true;

	name_ok = check_name(ld, k, "service port");
	if (check_body(ld, v, &p->ctx))
		sport_fields(ld, p, k, v, true);
	if (name_ok && p->ipp && !ld->fatal &&
	    register_name(ld, k, "service port", &ld->sp_by_name, idx,
			  sport_prior)) {
		keep_sport(ld, p, k, idx);
		if (!ld->fatal)
			ld->n_toplevel++;
	} else {
		nb_report(ld, p, k);
	}
}

/* service-ports: of a file (a row of top_keys, load.c). Top-level service
 * ports are read once every file is (their instance port may come later):
 * keep this file's tree until then. */
void h_top_sports(struct ld *ld, void *obj, const struct ynode *k,
		  const struct ynode *v)
{
	(void)obj;
	(void)k;
	if (v->type != Y_MAP || !v->count)
		return;
	if (GROW(ld->defer, ld->n_defer, ld->cap_defer))
		return oom(ld);
	ld->defer[ld->n_defer++] = (struct deferred){ ld->fidx, v };
	ld->keep_tree = true;
}

/* The service-ports: of every file (kept by h_top_sports), once every file
 * is read. */
void read_top_sports(struct ld *ld)
{
	for (size_t i = 0; i < ld->n_defer && !ld->fatal; i++) {
		ld->fidx = ld->defer[i].fidx;
		walk_named(ld, ld->defer[i].map, "service-ports",
			   parse_top_sport, NULL);
	}
}
