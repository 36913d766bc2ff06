// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the schema of a service chain (chains: NAME:
 * {network, classifier, sources, symmetric, on-failure, hops}, issue 17),
 * read into the model, and its checks against the other objects once every
 * file is read: its network exists and is an L2 network with no other
 * chain; its hops and sources name service ports of any file. A port named
 * in a chain's hops is a hop port: it binds nothing else (no bind at all),
 * is a VLAN or QinQ port (a function's frames keep their original source
 * MAC, so a source-MAC match cannot tell them), and holds one position of
 * one chain (ingress = egress: a one-port hop, role IN|OUT).
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

struct chain_parse {
	struct pp_cfg_chain c;
	struct chain_aux *aux;
	struct ctx ctx;
	bool sources_names;		/* sources named something */
};

static const struct xloc *chain_prior(const struct ld *ld, uint32_t i)
{
	return &ld->ch_aux[i].name;
}

/* A reference by name: kept when it can be a name (else reported as
 * unknown: it cannot name a kind). */
static void take_ref(struct ld *ld, const struct ynode *v, const char *kind,
		     struct chain_ref *r)
{
	struct qbuf qb;

	r->at = xloc_of(ld, v);
	if (v->type != Y_SCALAR || !pp_name_valid(v->str, v->len)) {
		if (v->type == Y_SCALAR)
			err_node(ld, v, "unknown %s %s", kind, quote(&qb, v->str, v->len));
		else if (v->type != Y_BAD)
			err_node(ld, v, "a %s name is needed here, got %s", kind, node_desc(&qb, v));
		return;
	}
	memcpy(r->name, v->str, v->len);
	r->name[v->len] = 0;
	r->ok = true;
}

static void h_ch_network(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct chain_parse *cp = obj;

	(void)k;
	take_ref(ld, v, "network", &cp->aux->net);
}

static void h_ch_classifier(struct ld *ld, void *obj, const struct ynode *k,
			    const struct ynode *v)
{
	struct chain_parse *cp = obj;
	struct ctx ctx = { "classifier entry of ", "chain", cp->ctx.name };
	struct ctxbuf cb;

	(void)k;
	if (!v->count)
		err_node(ld, v, "classifier of %s is empty (a chain needs at least one entry)",
			 ctx_str(&cb, &cp->ctx));
	cp->c.rule_first = ld->cfg->n_rules;
	parse_rule_list(ld, v, PP_RULE_CHAIN, "classifier", &ctx, &cp->c.n_rules,
			PP_CHAIN_CLASSIFIER_MAX);
}

static void h_src_sports(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct chain_parse *cp = obj;
	struct chain_aux *ax = cp->aux;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		struct chain_ref r = { 0 };
		bool dup = false;

		take_ref(ld, e, "service port", &r);
		if (!r.ok)
			continue;
		cp->sources_names = true;
		for (uint32_t i = 0; i < cp->c.n_sources && !dup; i++)
			if (!strcmp(ax->src[i].name, r.name)) {
				err_node(ld, e, "service port \"%s\" is listed twice in sources, first at " XF,
					 r.name, XA(ld, ax->src[i].at));
				dup = true;
			}
		if (dup)
			continue;
		if (cp->c.n_sources == PP_CHAIN_SOURCES_MAX) {
			err_node(ld, e, "too many sources (limit %d)", PP_CHAIN_SOURCES_MAX);
			return;
		}
		ax->src[cp->c.n_sources++] = r;
	}
}

static void h_src_netdev(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct chain_parse *cp = obj;

	(void)k;
	if (parse_bool_node(ld, v, "network-device", &cp->c.network_device) &&
	    cp->c.network_device)
		cp->sources_names = true;
}

static const struct keydef source_keys[] = {
	{ "service-ports", KT_SEQ, "a list of service port names", h_src_sports },
	{ "network-device", KT_SCALAR, "true or false", h_src_netdev },
};

static void h_ch_sources(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(source_keys)];
	struct chain_parse *cp = obj;
	struct ctx ctx = { "sources of ", "chain", cp->ctx.name };
	struct ctxbuf cb;
	uint32_t nerr = (uint32_t)ld->n_ekeys;

	cp->c.all_sources = false;
	walk_keys(ld, v, source_keys, ARRAY_SIZE(source_keys), cp, &ctx, found);
	/* nothing named (and nothing refused): no frame would enter */
	if (!cp->sources_names && nerr == ld->n_ekeys)
		err_node(ld, k, "%s names no source (without sources: every port of the network and its device)",
			 ctx_str(&cb, &ctx));
}

static void h_ch_symmetric(struct ld *ld, void *obj, const struct ynode *k,
			   const struct ynode *v)
{
	struct chain_parse *cp = obj;

	(void)k;
	parse_bool_node(ld, v, "symmetric", &cp->c.symmetric);
}

static void h_ch_on_failure(struct ld *ld, void *obj, const struct ynode *k,
			    const struct ynode *v)
{
	struct chain_parse *cp = obj;
	struct qbuf qb;

	(void)k;
	if (key_is(v, "drop") || key_is(v, "bypass"))
		cp->c.bypass = key_is(v, "bypass");
	else
		err_node(ld, v, "on-failure must be drop or bypass, got %s", node_desc(&qb, v));
}

struct inst_parse {
	struct pp_cfg_chain_inst i;
	struct chain_ref in, out;
	struct chain_aux *aux;
};

static void h_inst_in(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct inst_parse *ip = obj;

	(void)k;
	take_ref(ld, v, "service port", &ip->in);
}

static void h_inst_out(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct inst_parse *ip = obj;

	(void)k;
	take_ref(ld, v, "service port", &ip->out);
}

static void h_inst_weight(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct inst_parse *ip = obj;

	(void)k;
	parse_uint_node(ld, v, "weight", 1, PP_CHAIN_WEIGHT_MAX, &ip->i.weight);
}

static const struct keydef inst_keys[] = {
#define IK_IN 0
	{ "ingress", KT_SCALAR, "a service port name", h_inst_in },
#define IK_OUT 1
	{ "egress", KT_SCALAR, "a service port name", h_inst_out },
	{ "weight", KT_SCALAR, "an integer 1-100", h_inst_weight },
};

/* hops: [[{ingress, egress, weight}, ...], ...]: each hop a group of
 * equivalent instances */
static void h_ch_hops(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct chain_parse *cp = obj;
	struct ctx ctx = { "instance of ", "chain", cp->ctx.name };
	struct ctxbuf cb;
	struct qbuf qb;

	(void)k;
	if (!v->count)
		err_node(ld, v, "hops of %s is empty (a chain needs at least one hop)",
			 ctx_str(&cb, &cp->ctx));
	for (const struct ynode *e = v->first; e; e = e->next) {
		struct pp_cfg_chain_hop *hop;
		uint32_t h = cp->c.n_hops;

		if (e->type != Y_SEQ) {
			if (e->type != Y_BAD)
				err_node(ld, e, "each hop of %s must be a list of instances {ingress, egress, weight}, got %s",
					 ctx_str(&cb, &cp->ctx), node_desc(&qb, e));
			continue;
		}
		if (!e->count) {
			err_node(ld, e, "hop %u of %s has no instance", h + 1, ctx_str(&cb, &cp->ctx));
			continue;
		}
		if (h == PP_CHAIN_HOPS_MAX) {
			err_node(ld, e, "too many hops (limit %d)", PP_CHAIN_HOPS_MAX);
			return;
		}
		hop = &cp->c.hops[h];
		hop->loc = pp_loc_of(ld, e);
		for (const struct ynode *f = e->first; f; f = f->next) {
			const struct ynode *found[ARRAY_SIZE(inst_keys)];
			struct inst_parse ip = { .i.weight = 1 };

			ip.i.loc = pp_loc_of(ld, f);
			ip.i.in = ip.i.out = PP_NO_INDEX;
			if (!walk_entry(ld, f, "a hop", inst_keys, ARRAY_SIZE(inst_keys), &ip, &ctx,
					found))
				continue;
			if (!found[IK_IN] || !found[IK_OUT]) {
				err_node(ld, f, "%s needs ingress and egress (the same port for a one-port function)",
					 ctx_str(&cb, &ctx));
				continue;
			}
			if (hop->n_inst == PP_CHAIN_INST_MAX) {
				err_node(ld, f, "too many instances in a hop (limit %d)",
					 PP_CHAIN_INST_MAX);
				break;
			}
			cp->aux->in[h][hop->n_inst] = ip.in;
			cp->aux->out[h][hop->n_inst] = ip.out;
			hop->inst[hop->n_inst++] = ip.i;
		}
		cp->c.n_hops++;
	}
}

/* Table order is processing order: the classifier's rules are stored as
 * they are read. */
static const struct keydef chain_keys[] = {
#define CK_NETWORK 0
	{ "network", KT_SCALAR, "a network name", h_ch_network },
#define CK_CLASSIFIER 1
	{ "classifier", KT_SEQ, "a list of {proto, ports, source-ports, icmp-type, from, to}",
	  h_ch_classifier },
	{ "sources", KT_MAP, "a mapping (service-ports, network-device)", h_ch_sources },
	{ "symmetric", KT_SCALAR, "true or false", h_ch_symmetric },
	{ "on-failure", KT_SCALAR, "drop or bypass", h_ch_on_failure },
#define CK_HOPS 5
	{ "hops", KT_SEQ, "a list of hops, each a list of {ingress, egress, weight}", h_ch_hops },
};

_Static_assert(ARRAY_SIZE(chain_keys) <= MAX_KEYS, "raise MAX_KEYS");

static void parse_chain(struct ld *ld, void *parent, const struct ynode *k,
			const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(chain_keys)];
	/* large (its hops are fixed arrays): not on the stack */
	struct chain_parse *cp = calloc(1, sizeof(*cp));
	uint32_t idx = ld->cfg->n_chains;
	struct ctxbuf cb;
	bool keep;

	(void)parent;
	if (cp)
		cp->aux = calloc(1, sizeof(*cp->aux));
	if (!cp || !cp->aux) {
		if (cp)
			free(cp);
		return oom(ld);
	}
	cp->ctx = (struct ctx){ "", "chain", k };
	cp->c.all_sources = true;
	cp->c.network = PP_NO_INDEX;
	cp->c.loc = pp_loc_of(ld, k);
	cp->aux->name = xloc_of(ld, k);
	keep = check_name(ld, k, "chain");
	if (!keep)
		ld->chains_incomplete = true;
	keep = keep && register_name(ld, k, "chain", &ld->ch_by_name, idx, chain_prior);
	if (check_body(ld, v, &cp->ctx)) {
		walk_keys(ld, v, chain_keys, ARRAY_SIZE(chain_keys), cp, &cp->ctx, found);
		if (!found[CK_NETWORK])
			err_node(ld, k, "%s has no network", ctx_str(&cb, &cp->ctx));
		if (!found[CK_CLASSIFIER])
			err_node(ld, k, "%s has no classifier", ctx_str(&cb, &cp->ctx));
		if (!found[CK_HOPS])
			err_node(ld, k, "%s has no hops", ctx_str(&cb, &cp->ctx));
	}
	if (!keep || ld->fatal)
		goto out;
	memcpy(cp->c.name, k->str, k->len);
	/* chains take ids of the networks' space, and a slot of pp_chain_hops each */
	if (idx == PP_DEF_MAX_CHAINS - 1 && !ld->too_many_chains) {
		ld->too_many_chains = true;
		err_node(ld, k, "too many chains (limit %d)", PP_DEF_MAX_CHAINS - 1);
	}
	if (GROW2(ld->cfg->chains, ld->ch_aux, idx, ld->cap_chains)) {
		oom(ld);
		goto out;
	}
	ld->cfg->chains[idx] = cp->c;
	ld->ch_aux[idx] = *cp->aux;
	ld->cfg->n_chains++;
out:
	free(cp->aux);
	free(cp);
}

/* chains: of a file (a row of top_keys, load.c) */
void h_chains(struct ld *ld, void *obj, const struct ynode *k, const struct ynode *v)
{
	(void)obj;
	(void)k;
	walk_named(ld, v, "chains", parse_chain, NULL);
}

/* ---- once every file is read ---------------------------------------------- */

static bool xloc_before(struct xloc a, struct xloc b)
{
	if (a.fidx != b.fidx)
		return a.fidx < b.fidx;
	return a.line < b.line || (a.line == b.line && a.col < b.col);
}

/* No chain has the name of a network or an L3 domain (they share the
 * networks' ids and names): reported at the later of the two. */
void check_chain_names(struct ld *ld)
{
	const struct pp_config *cfg = ld->cfg;

	for (uint32_t i = 0; i < cfg->n_chains; i++) {
		const char *name = cfg->chains[i].name;
		struct xloc cl = ld->ch_aux[i].name, ol;
		uint8_t key[HKEY_LEN];
		const char *kind;
		uint32_t n;

		str_key(key, name, strlen(name));
		if (htab_get(&ld->net_by_name, key, &n)) {
			kind = "network";
			ol = ld->net_aux[n].name;
		} else if (htab_get(&ld->l3_by_name, key, &n)) {
			kind = "l3 domain";
			ol = ld->l3_aux[n].name;
		} else {
			continue;
		}
		if (xloc_before(ol, cl))
			err_x(ld, cl, "chain \"%s\" has the name of %s \"%s\" at " XF " (networks, l3 domains and chains share one namespace)",
			      name, kind, name, XA(ld, ol));
		else
			err_x(ld, ol, "%s \"%s\" has the name of chain \"%s\" at " XF " (networks, l3 domains and chains share one namespace)",
			      kind, name, name, XA(ld, cl));
	}
}

/* The service port a reference names, or PP_NO_INDEX (reported unless
 * some service port could not be read). */
static uint32_t ref_sport(struct ld *ld, const struct chain_ref *r)
{
	uint8_t key[HKEY_LEN];
	uint32_t s;

	if (!r->ok)
		return PP_NO_INDEX;
	str_key(key, r->name, strlen(r->name));
	if (htab_get(&ld->sp_by_name, key, &s))
		return s;
	if (!ld->sports_incomplete)
		err_x(ld, r->at, "unknown service port \"%s\"", r->name);
	return PP_NO_INDEX;
}

/* Where hop port s was named first (its chain position). */
static struct xloc hop_at(const struct ld *ld, const struct pp_cfg_sport *sp)
{
	const struct chain_aux *ax = &ld->ch_aux[sp->chain];

	return sp->chain_role & PP_CHAIN_ROLE_IN ? ax->in[sp->chain_hop][sp->chain_inst].at :
						   ax->out[sp->chain_hop][sp->chain_inst].at;
}

/* Port s named at r as ingress (IN) or egress (OUT) of instance j of hop h
 * of chain i: make it a hop port. */
static void take_hop_port(struct ld *ld, uint32_t i, uint32_t h, uint32_t j, uint32_t s,
			  uint8_t role, const struct chain_ref *r)
{
	struct pp_config *cfg = ld->cfg;
	struct pp_cfg_sport *sp = &cfg->sports[s];
	const struct sport_aux *sx = &ld->sp_aux[s];
	const char *chain = cfg->chains[i].name;

	if (sp->chain != PP_NO_INDEX) {
		/* ingress = egress of one instance: a one-port hop */
		if (sp->chain == i && sp->chain_hop == h && sp->chain_inst == j) {
			sp->chain_role |= role;
			return;
		}
		err_x(ld, r->at, "service port \"%s\" is already a hop port of chain \"%s\" (hop %u) at " XF " (a port holds one position of one chain)",
		      sp->name, cfg->chains[sp->chain].name, sp->chain_hop + 1,
		      XA(ld, hop_at(ld, sp)));
		return;
	}
	/* still taken as the chain's (not reported as bound to nothing) */
	if (sp->match == PP_MATCH_UNTAGGED || sp->match == PP_MATCH_SRCMAC)
		err_x(ld, r->at, "service port \"%s\" is %s: a hop port must be a vlan or qinq port (frames from a function keep their original source MAC)",
		      sp->name, sp->match == PP_MATCH_UNTAGGED ? "untagged" : "a src-mac port");
	if (sx->has_bind)
		err_x(ld, sx->bind, "service port \"%s\" is a hop port of chain \"%s\" at " XF " and has a bind (a hop port binds nothing else)",
		      sp->name, chain, XA(ld, r->at));
	sp->chain = i;
	sp->chain_hop = (uint8_t)h;
	sp->chain_inst = (uint8_t)j;
	sp->chain_role = role;
}

/* Chain i: its network, its hops (their ports become hop ports), its
 * sources; chain_of[n]: the chain of network n so far. */
static void check_chain(struct ld *ld, uint32_t i, uint32_t *chain_of)
{
	struct pp_config *cfg = ld->cfg;
	struct pp_cfg_chain *c = &cfg->chains[i];
	const struct chain_aux *ax = &ld->ch_aux[i];
	uint8_t key[HKEY_LEN];
	uint32_t n;

	c->network = PP_NO_INDEX;
	if (ax->net.ok) {
		str_key(key, ax->net.name, strlen(ax->net.name));
		if (htab_get(&ld->net_by_name, key, &n)) {
			if (chain_of[n] != PP_NO_INDEX)
				err_x(ld, ax->net.at, "network \"%s\" already has chain \"%s\" at " XF " (a network has at most one chain)",
				      ax->net.name, cfg->chains[chain_of[n]].name,
				      XA(ld, ld->ch_aux[chain_of[n]].name));
			else
				chain_of[n] = i;
			c->network = n;
		} else if (htab_get(&ld->l3_by_name, key, &n)) {
			err_x(ld, ax->net.at, "network \"%s\" of chain \"%s\" is an l3 domain (a chain steers an L2 network)",
			      ax->net.name, c->name);
		} else if (!ld->nets_incomplete) {
			err_x(ld, ax->net.at, "unknown network \"%s\"", ax->net.name);
		}
	}
	for (uint32_t h = 0; h < c->n_hops && !ld->fatal; h++) {
		struct pp_cfg_chain_hop *hop = &c->hops[h];

		for (uint32_t j = 0; j < hop->n_inst; j++) {
			struct pp_cfg_chain_inst *in = &hop->inst[j];

			in->in = ref_sport(ld, &ax->in[h][j]);
			in->out = ref_sport(ld, &ax->out[h][j]);
			if (in->in != PP_NO_INDEX)
				take_hop_port(ld, i, h, j, in->in, PP_CHAIN_ROLE_IN, &ax->in[h][j]);
			if (in->out != PP_NO_INDEX)
				take_hop_port(ld, i, h, j, in->out, PP_CHAIN_ROLE_OUT,
					      &ax->out[h][j]);
		}
	}
	for (uint32_t k = 0; k < c->n_sources; k++) {
		uint32_t s = ref_sport(ld, &ax->src[k]);
		const struct pp_cfg_sport *sp;

		c->sources[k] = s;
		if (s == PP_NO_INDEX || c->network == PP_NO_INDEX)
			continue;
		sp = &cfg->sports[s];
		if (sp->network == c->network)
			continue;
		if (sp->network == PP_NO_INDEX && ld->sp_aux[s].has_net)
			continue;	/* its network is unknown (reported) */
		err_x(ld, ax->src[k].at, "source service port \"%s\" of chain \"%s\" is not a port of network \"%s\"",
		      sp->name, c->name, cfg->networks[c->network].name);
	}
}

void check_chains(struct ld *ld)
{
	struct pp_config *cfg = ld->cfg;
	uint32_t *chain_of = malloc((cfg->n_networks + 1) * sizeof(*chain_of));

	if (!chain_of)
		return oom(ld);
	for (uint32_t n = 0; n < cfg->n_networks; n++)
		chain_of[n] = PP_NO_INDEX;
	for (uint32_t i = 0; i < cfg->n_chains && !ld->fatal; i++)
		check_chain(ld, i, chain_of);
	free(chain_of);
	/* every other service port binds a network or an L3 domain */
	for (uint32_t s = 0; s < cfg->n_sports && !ld->chains_incomplete; s++)
		if (ld->sp_aux[s].no_bind && cfg->sports[s].chain == PP_NO_INDEX)
			err_x(ld, ld->sp_aux[s].name, "service port \"%s\" has no bind.network or bind.l3",
			      cfg->sports[s].name);
}
