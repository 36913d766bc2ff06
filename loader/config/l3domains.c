// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the schema of an L3 domain (l3-domains: NAME:
 * {table, mtu, mac, subnets, uplinks, routes}) and of what a service port
 * binds of one (bind: {l3: {domain, routes}}), read into the model. What
 * one domain holds is checked here (its subnets, uplinks and routes among
 * themselves); what it shares with other objects (its table, its uplinks'
 * devices, its name) and what its ports need of it, in checks.c.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ---- prefixes ------------------------------------------------------------ */

static unsigned int fam_bits(uint8_t family)
{
	return family == PP_AF_INET ? 32 : 128;
}

static bool bit_of(const uint8_t *a, unsigned int b)
{
	return a[b / 8] & (0x80 >> (b % 8));
}

/* The bits of a past plen are all zero (ones: all one). */
static bool host_bits_are(const struct pp_cfg_addr *a, unsigned int plen, bool ones)
{
	for (unsigned int b = plen; b < fam_bits(a->family); b++)
		if (bit_of(a->addr, b) != ones)
			return false;
	return true;
}

/* The first plen bits of x and y are equal. */
static bool bits_eq(const uint8_t *x, const uint8_t *y, unsigned int plen)
{
	unsigned int n = plen / 8, r = plen % 8;

	if (memcmp(x, y, n))
		return false;
	return !r || !((x[n] ^ y[n]) & (uint8_t)(0xff << (8 - r)));
}

bool addr_in_prefix(const struct pp_cfg_addr *a, const struct pp_cfg_addr *p)
{
	return a->family == p->family && bits_eq(a->addr, p->addr, p->plen);
}

static bool prefixes_overlap(const struct pp_cfg_addr *x, const struct pp_cfg_addr *y)
{
	return x->family == y->family &&
	       bits_eq(x->addr, y->addr, x->plen < y->plen ? x->plen : y->plen);
}

static bool same_prefix(const struct pp_cfg_addr *x, const struct pp_cfg_addr *y)
{
	return x->family == y->family && x->plen == y->plen && !memcmp(x->addr, y->addr, 16);
}

/* A /31 or /32 (RFC 3021), a /127 or /128 (RFC 6164) has neither. */
const char *subnet_special(const struct pp_cfg_addr *a, const struct pp_cfg_addr *p)
{
	if (p->plen + 1 >= (int)fam_bits(p->family))
		return NULL;
	if (host_bits_are(a, p->plen, false))
		return "network address";
	if (a->family == PP_AF_INET && host_bits_are(a, p->plen, true))
		return "broadcast address";
	return NULL;
}

/* v: a prefix with /len whose host bits are zero ("to", "cidr"). */
static bool parse_prefix_node(struct ld *ld, const struct ynode *v, const char *what,
			      struct pp_cfg_addr *a)
{
	char s[64], m[64];
	struct pp_cfg_addr z;

	if (!parse_addr_node(ld, v, what, false, true, PP_AF_NONE, a))
		return false;
	if (host_bits_are(a, a->plen, false))
		return true;
	z = *a;
	for (unsigned int b = a->plen; b < fam_bits(a->family); b++)
		z.addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	pp_addr_format(a, true, s, sizeof(s));
	pp_addr_format(&z, true, m, sizeof(m));
	err_node(ld, v, "%s %s has host bits set (the prefix is %s)", what, s, m);
	return false;
}

static const char *af_name(uint8_t family)
{
	return family == PP_AF_INET ? "IPv4" : "IPv6";
}

/* ---- l3-domains: NAME ---------------------------------------------------- */

struct l3_parse {
	struct pp_cfg_l3domain d;
	struct l3_aux aux;
	const struct ynode *table;	/* its value, when valid */
	const struct ynode *mtu;	/* its value, when valid */
	const struct ynode *updev[PP_L3_UPLINKS_MAX];	/* uplinks' devices */
	/* an uplink was refused: a route's via is not judged against the
	 * rest (it may be in the refused one's prefix) */
	bool uplinks_partial;
	struct ctx ctx;
};

static const struct xloc *l3_prior(const struct ld *ld, uint32_t i)
{
	return &ld->l3_aux[i].name;
}

static void h_l3_table(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct l3_parse *lp = obj;

	(void)k;
	if (!parse_uint_node(ld, v, "table", 1, UINT32_MAX, &lp->d.table))
		return;
	if (lp->d.table >= 252 && lp->d.table <= 255) {
		err_node(ld, v, "table %u is reserved (252-255 are the kernel's compat, default, main and local tables)",
			 lp->d.table);
		return;
	}
	lp->table = v;
}

static void h_l3_mtu(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct l3_parse *lp = obj;

	(void)k;
	if (parse_uint_node(ld, v, "mtu", PP_MTU_MIN, PP_MTU_MAX, &lp->d.mtu))
		lp->mtu = v;
}

static void h_l3_mac(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct l3_parse *lp = obj;

	(void)k;
	lp->d.gw_mac_explicit = parse_mac_node(ld, v, "mac", lp->d.gw_mac);
}

struct subnet_parse {
	struct pp_cfg_l3subnet s;
	const struct ynode *cidr, *gw;	/* their values, when valid */
};

static void h_subnet_cidr(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct subnet_parse *sp = obj;

	(void)k;
	if (parse_prefix_node(ld, v, "subnet cidr", &sp->s.cidr))
		sp->cidr = v;
}

static void h_subnet_gw(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct subnet_parse *sp = obj;

	(void)k;
	if (parse_addr_node(ld, v, "gateway", true, false, PP_AF_NONE, &sp->s.gateway))
		sp->gw = v;
}

static const struct keydef subnet_keys[] = {
	{ "cidr", KT_SCALAR, "an IP prefix with /len", h_subnet_cidr },
	{ "gateway", KT_SCALAR, "an IP address", h_subnet_gw },
};

/* The gateway of a subnet is one of its host addresses. */
static bool check_gateway(struct ld *ld, const struct subnet_parse *sp)
{
	const struct pp_cfg_addr *c = &sp->s.cidr, *g = &sp->s.gateway;
	char cs[64], gs[64];
	const char *special;

	pp_addr_format(c, true, cs, sizeof(cs));
	pp_addr_format(g, false, gs, sizeof(gs));
	if (g->family != c->family) {
		err_node(ld, sp->gw, "gateway %s is not an %s address as its subnet %s is",
			 gs, af_name(c->family), cs);
		return false;
	}
	if (!addr_in_prefix(g, c)) {
		err_node(ld, sp->gw, "gateway %s is not inside its subnet %s", gs, cs);
		return false;
	}
	special = subnet_special(g, c);
	if (special) {
		err_node(ld, sp->gw, "gateway %s is the %s of its subnet %s", gs, special, cs);
		return false;
	}
	return true;
}

static void h_l3_subnets(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct l3_parse *lp = obj;
	struct ctx ctx = { "subnet of ", "l3 domain", lp->ctx.name };
	struct ctxbuf cb;

	(void)k;
	if (!v->count)
		err_node(ld, v, "subnets of %s is empty (a domain needs at least one)",
			 ctx_str(&cb, &lp->ctx));
	for (const struct ynode *e = v->first; e; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(subnet_keys)];
		struct subnet_parse sp = { 0 };
		bool ok = true;

		sp.s.loc = pp_loc_of(ld, e);
		/* until it is kept */
		lp->aux.subnets_partial = true;
		if (!walk_entry(ld, e, "subnets", subnet_keys, ARRAY_SIZE(subnet_keys), &sp, &ctx,
				found))
			continue;
		if (!found[0] || !found[1]) {
			err_node(ld, e, "%s needs cidr and gateway", ctx_str(&cb, &ctx));
			continue;
		}
		if (!sp.cidr || !sp.gw || !check_gateway(ld, &sp))
			continue;
		for (uint32_t i = 0; i < lp->d.n_subnets && ok; i++) {
			const struct pp_cfg_l3subnet *o = &lp->d.subnets[i];
			char a[64], b[64];

			if (!prefixes_overlap(&o->cidr, &sp.s.cidr))
				continue;
			pp_addr_format(&sp.s.cidr, true, a, sizeof(a));
			pp_addr_format(&o->cidr, true, b, sizeof(b));
			err_node(ld, sp.cidr, "subnet %s overlaps subnet %s at %s:%u:%u", a, b,
				 o->loc.file, o->loc.line, o->loc.col);
			ok = false;
		}
		if (!ok)
			continue;
		if (lp->d.n_subnets == PP_L3_SUBNETS_MAX) {
			err_node(ld, e, "too many subnets (limit %d)", PP_L3_SUBNETS_MAX);
			return;
		}
		lp->d.subnets[lp->d.n_subnets++] = sp.s;
		lp->aux.subnets_partial = false;
	}
}

struct uplink_parse {
	struct pp_cfg_l3uplink u;
	const struct l3_parse *lp;
	const struct ynode *dev;	/* its value, when valid */
	const struct ynode *addrs;	/* the addresses value */
};

static void h_uplink_device(struct ld *ld, void *obj, const struct ynode *k,
			    const struct ynode *v)
{
	struct uplink_parse *up = obj;

	(void)k;
	if (parse_ifname_node(ld, v, "uplink device", up->u.device))
		up->dev = v;
}

_Static_assert(PP_L3_UPLINK_ADDRS_MAX >= 2, "one address per family");

/* addresses: [ADDRESS/LEN, ...]: one per family, none in the domain's
 * subnets (they are the domain's own addresses on the outside) */
static void h_uplink_addrs(struct ld *ld, void *obj, const struct ynode *k,
			   const struct ynode *v)
{
	struct uplink_parse *up = obj;
	const struct pp_cfg_l3domain *d = &up->lp->d;
	const struct ynode *at[PP_L3_UPLINK_ADDRS_MAX];

	(void)k;
	up->addrs = v;
	for (const struct ynode *e = v->first; e; e = e->next) {
		struct pp_cfg_addr a;
		char s[64], c[64];
		bool ok = true;

		if (!parse_addr_node(ld, e, "uplink address", false, true, PP_AF_NONE, &a))
			continue;
		pp_addr_format(&a, true, s, sizeof(s));
		for (uint32_t i = 0; i < up->u.n_addrs && ok; i++) {
			if (up->u.addrs[i].family != a.family)
				continue;
			err_node(ld, e, "uplink address %s: a second %s address (one per family), the first at " XF,
				 s, af_name(a.family), XA(ld, xloc_of(ld, at[i])));
			ok = false;
		}
		for (uint32_t i = 0; i < d->n_subnets && ok; i++) {
			const struct pp_cfg_l3subnet *sn = &d->subnets[i];

			if (!addr_in_prefix(&a, &sn->cidr))
				continue;
			pp_addr_format(&sn->cidr, true, c, sizeof(c));
			err_node(ld, e, "uplink address %s is inside subnet %s of l3 domain \"%.*s\" at %s:%u:%u",
				 s, c, (int)up->lp->ctx.name->len, up->lp->ctx.name->str,
				 sn->loc.file, sn->loc.line, sn->loc.col);
			ok = false;
		}
		if (!ok)
			continue;
		at[up->u.n_addrs] = e;
		up->u.addrs[up->u.n_addrs++] = a;
	}
}

static const struct keydef uplink_keys[] = {
	{ "device", KT_SCALAR, "an interface name", h_uplink_device },
	{ "addresses", KT_SEQ, "a list of IP addresses with /len", h_uplink_addrs },
};

static void h_l3_uplinks(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct l3_parse *lp = obj;
	struct ctx ctx = { "uplink of ", "l3 domain", lp->ctx.name };
	struct ctxbuf cb;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(uplink_keys)];
		struct uplink_parse up = { .lp = lp };

		up.u.loc = pp_loc_of(ld, e);
		lp->uplinks_partial = true;	/* until it is kept */
		if (!walk_entry(ld, e, "uplinks", uplink_keys, ARRAY_SIZE(uplink_keys), &up, &ctx,
				found))
			continue;
		if (!found[0]) {
			err_node(ld, e, "%s has no device", ctx_str(&cb, &ctx));
			continue;
		}
		if (!found[1]) {
			err_node(ld, e, "%s has no addresses", ctx_str(&cb, &ctx));
			continue;
		}
		if (up.addrs && !up.addrs->count) {
			err_node(ld, up.addrs, "addresses of %s is empty (it needs at least one)",
				 ctx_str(&cb, &ctx));
			continue;
		}
		if (!up.dev || !up.u.n_addrs)
			continue;
		if (lp->d.n_uplinks == PP_L3_UPLINKS_MAX) {
			err_node(ld, e, "too many uplinks (limit %d)", PP_L3_UPLINKS_MAX);
			return;
		}
		lp->updev[lp->d.n_uplinks] = up.dev;
		lp->d.uplinks[lp->d.n_uplinks++] = up.u;
		lp->uplinks_partial = false;
	}
}

struct route_parse {
	struct pp_cfg_l3route r;
	const struct ynode *to, *via;	/* their values, when valid */
};

static void h_route_to(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct route_parse *rp = obj;

	(void)k;
	if (parse_prefix_node(ld, v, "route to", &rp->r.to))
		rp->to = v;
}

static void h_route_via(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct route_parse *rp = obj;

	(void)k;
	if (parse_addr_node(ld, v, "route via", true, false, PP_AF_NONE, &rp->r.via))
		rp->via = v;
}

static const struct keydef route_keys[] = {
	{ "to", KT_SCALAR, "an IP prefix with /len", h_route_to },
	{ "via", KT_SCALAR, "an IP address", h_route_via },
};

/* A route's via is a next hop on one of the domain's uplinks. */
static bool check_via(struct ld *ld, const struct l3_parse *lp, const struct route_parse *rp)
{
	const struct pp_cfg_l3route *r = &rp->r;
	char t[64], s[64];

	pp_addr_format(&r->to, true, t, sizeof(t));
	pp_addr_format(&r->via, false, s, sizeof(s));
	if (r->via.family != r->to.family) {
		err_node(ld, rp->via, "route to %s via %s mixes IPv4 and IPv6", t, s);
		return false;
	}
	for (uint32_t u = 0; u < lp->d.n_uplinks; u++) {
		const struct pp_cfg_l3uplink *up = &lp->d.uplinks[u];

		for (uint32_t i = 0; i < up->n_addrs; i++) {
			if (!addr_in_prefix(&r->via, &up->addrs[i]))
				continue;
			if (!memcmp(r->via.addr, up->addrs[i].addr, 16)) {
				err_node(ld, rp->via, "route via %s is the address of uplink \"%s\" itself",
					 s, up->device);
				return false;
			}
			return true;
		}
	}
	err_node(ld, rp->via, "route via %s is inside no uplink's prefix of l3 domain \"%.*s\"",
		 s, (int)lp->ctx.name->len, lp->ctx.name->str);
	return false;
}

/* A prefix is in the domain's table once: as a subnet (its unreachable
 * route) or as one static route. */
static bool check_route_new(struct ld *ld, const struct l3_parse *lp,
			    const struct route_parse *rp)
{
	const struct pp_cfg_l3domain *d = &lp->d;
	char t[64];

	pp_addr_format(&rp->r.to, true, t, sizeof(t));
	for (uint32_t i = 0; i < d->n_subnets; i++)
		if (same_prefix(&d->subnets[i].cidr, &rp->r.to)) {
			err_node(ld, rp->to, "route to %s is the domain's subnet at %s:%u:%u", t,
				 d->subnets[i].loc.file, d->subnets[i].loc.line,
				 d->subnets[i].loc.col);
			return false;
		}
	for (uint32_t i = 0; i < d->n_routes; i++)
		if (same_prefix(&d->routes[i].to, &rp->r.to)) {
			err_node(ld, rp->to, "route to %s is listed twice, first at %s:%u:%u", t,
				 d->routes[i].loc.file, d->routes[i].loc.line,
				 d->routes[i].loc.col);
			return false;
		}
	return true;
}

static void h_l3_routes(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct l3_parse *lp = obj;
	struct ctx ctx = { "route of ", "l3 domain", lp->ctx.name };
	struct ctxbuf cb;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(route_keys)];
		struct route_parse rp = { 0 };

		rp.r.loc = pp_loc_of(ld, e);
		if (!walk_entry(ld, e, "routes", route_keys, ARRAY_SIZE(route_keys), &rp, &ctx,
				found))
			continue;
		if (!found[0] || !found[1]) {
			err_node(ld, e, "%s needs to and via", ctx_str(&cb, &ctx));
			continue;
		}
		if (!rp.to || !rp.via || lp->uplinks_partial || !check_via(ld, lp, &rp) ||
		    !check_route_new(ld, lp, &rp))
			continue;
		if (lp->d.n_routes == PP_L3_ROUTES_MAX) {
			err_node(ld, e, "too many routes (limit %d)", PP_L3_ROUTES_MAX);
			return;
		}
		lp->d.routes[lp->d.n_routes++] = rp.r;
	}
}

/* Table order is processing order: subnets before the uplinks' addresses
 * (not inside them), uplinks before the routes (via one of them). */
static const struct keydef l3_keys[] = {
#define LK_TABLE 0
	{ "table", KT_SCALAR, "an integer 1-4294967295", h_l3_table },
	{ "mtu", KT_SCALAR, "an integer 68-65535", h_l3_mtu },
	{ "mac", KT_SCALAR, "a MAC address", h_l3_mac },
#define LK_SUBNETS 3
	{ "subnets", KT_SEQ, "a list of {cidr, gateway}", h_l3_subnets },
	{ "uplinks", KT_SEQ, "a list of {device, addresses}", h_l3_uplinks },
	{ "routes", KT_SEQ, "a list of {to, via}", h_l3_routes },
};

_Static_assert(ARRAY_SIZE(l3_keys) <= MAX_KEYS, "raise MAX_KEYS");

/* IPv6 needs links of 1280 bytes or more (RFC 8200). */
static void check_l3_mtu(struct ld *ld, const struct l3_parse *lp)
{
	const struct pp_cfg_l3domain *d = &lp->d;
	struct ctxbuf cb;
	char s[64];

	if (!lp->mtu || d->mtu >= 1280)
		return;
	for (uint32_t i = 0; i < d->n_subnets; i++) {
		const struct pp_cfg_l3subnet *sn = &d->subnets[i];

		if (sn->cidr.family != PP_AF_INET6)
			continue;
		pp_addr_format(&sn->cidr, true, s, sizeof(s));
		err_node(ld, lp->mtu, "mtu %u of %s is below 1280, the minimum of IPv6 (subnet %s at %s:%u:%u)",
			 d->mtu, ctx_str(&cb, &lp->ctx), s, sn->loc.file, sn->loc.line,
			 sn->loc.col);
		return;
	}
}

static void parse_l3domain(struct ld *ld, void *parent, const struct ynode *k,
			   const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(l3_keys)];
	/* large (its lists are fixed arrays): not on the stack */
	struct l3_parse *lp = calloc(1, sizeof(*lp));
	uint32_t idx = ld->cfg->n_l3domains;
	struct ctxbuf cb;
	bool keep;

	(void)parent;
	if (!lp)
		return oom(ld);
	lp->ctx = (struct ctx){ "", "l3 domain", k };
	lp->d.mtu = PP_MTU_DEFAULT;
	lp->aux.name = xloc_of(ld, k);
	lp->d.loc = pp_loc_of(ld, k);
	keep = check_name(ld, k, "l3 domain");
	if (!keep)
		ld->l3_incomplete = true;
	keep = keep && register_name(ld, k, "l3 domain", &ld->l3_by_name, idx, l3_prior);
	if (check_body(ld, v, &lp->ctx)) {
		/* a list of the wrong type (reported by walk_keys) was
		 * refused whole */
		for (const struct ynode *f = v->type == Y_MAP ? v->first : NULL; f && f->next;
		     f = f->next->next) {
			if (f->next->type == Y_SEQ)
				continue;
			if (key_is(f, "subnets"))
				lp->aux.subnets_partial = true;
			if (key_is(f, "uplinks"))
				lp->uplinks_partial = true;
		}
		walk_keys(ld, v, l3_keys, ARRAY_SIZE(l3_keys), lp, &lp->ctx, found);
		if (!found[LK_TABLE])
			err_node(ld, k, "%s has no table", ctx_str(&cb, &lp->ctx));
		if (!found[LK_SUBNETS])
			err_node(ld, k, "%s has no subnets", ctx_str(&cb, &lp->ctx));
		check_l3_mtu(ld, lp);
	}
	if (!lp->d.n_subnets)
		lp->aux.subnets_partial = true;	/* reported */
	if (!keep || ld->fatal)
		goto out;
	memcpy(lp->d.name, k->str, k->len);
	if (!lp->d.gw_mac_explicit)
		pp_gateway_mac(lp->d.name, lp->d.gw_mac);

	if (idx == PP_MAX_NETWORKS && !ld->too_many_l3) {
		ld->too_many_l3 = true;
		err_node(ld, k, "too many l3 domains (limit %d)", PP_MAX_NETWORKS);
	}
	if (GROW2(ld->cfg->l3domains, ld->l3_aux, idx, ld->cap_l3)) {
		oom(ld);
		goto out;
	}
	ld->cfg->l3domains[idx] = lp->d;
	ld->l3_aux[idx] = lp->aux;
	ld->cfg->n_l3domains++;
	if (check_l3domain(ld, idx, lp->table, lp->updev))
		oom(ld);
out:
	free(lp);
}

/* l3-domains: of a file (a row of top_keys, load.c) */
void h_l3domains(struct ld *ld, void *obj, const struct ynode *k,
		 const struct ynode *v)
{
	(void)obj;
	(void)k;
	walk_named(ld, v, "l3-domains", parse_l3domain, NULL);
}

/* ---- bind: {l3: {domain, routes}} of a service port ---------------------- */

static void h_l3b_domain(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct qbuf qb;

	(void)k;
	p->aux.l3_dom = xloc_of(ld, v);
	if (!pp_name_valid(v->str, v->len)) {
		/* it cannot name a domain */
		err_node(ld, v, "unknown l3 domain %s", quote(&qb, v->str, v->len));
		return;
	}
	memcpy(p->aux.l3_name, v->str, v->len);
	p->aux.has_l3 = true;
}

struct port_route_parse {
	struct pp_cfg_l3route r;
	const struct ynode *to;		/* its value, when valid */
};

static void h_l3b_route_to(struct ld *ld, void *obj, const struct ynode *k,
			   const struct ynode *v)
{
	struct port_route_parse *rp = obj;

	(void)k;
	if (parse_prefix_node(ld, v, "route to", &rp->r.to))
		rp->to = v;
}

static const struct keydef port_route_keys[] = {
	{ "to", KT_SCALAR, "an IP prefix with /len", h_l3b_route_to },
};

/* routes: [{to: PREFIX}, ...]: prefixes behind the VM, via its address */
static void h_l3b_routes(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct ctx ctx = { "l3 route of ", "service port", p->ctx.name };
	struct ctxbuf cb;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(port_route_keys)];
		struct port_route_parse rp = { 0 };
		bool ok = true;
		char t[64];

		rp.r.loc = pp_loc_of(ld, e);
		if (!walk_entry(ld, e, "routes", port_route_keys, ARRAY_SIZE(port_route_keys),
				&rp, &ctx, found))
			continue;
		if (!found[0]) {
			err_node(ld, e, "%s has no to", ctx_str(&cb, &ctx));
			continue;
		}
		if (!rp.to)
			continue;
		pp_addr_format(&rp.r.to, true, t, sizeof(t));
		for (uint32_t i = 0; i < p->sp.n_l3_routes && ok; i++)
			if (same_prefix(&p->sp.l3_routes[i].to, &rp.r.to)) {
				err_node(ld, rp.to, "route to %s is listed twice, first at " XF, t,
					 XA(ld, p->aux.l3_route[i]));
				ok = false;
			}
		if (!ok)
			continue;
		if (p->sp.n_l3_routes == PP_L3_PORT_ROUTES_MAX) {
			err_node(ld, e, "too many l3 routes (limit %d)", PP_L3_PORT_ROUTES_MAX);
			return;
		}
		p->aux.l3_route[p->sp.n_l3_routes] = xloc_of(ld, rp.to);
		p->sp.l3_routes[p->sp.n_l3_routes++] = rp.r;
	}
}

static const struct keydef l3_bind_keys[] = {
	{ "domain", KT_SCALAR, "an l3 domain name", h_l3b_domain },
	{ "routes", KT_SEQ, "a list of {to}", h_l3b_routes },
};

void h_bind_l3(struct ld *ld, void *obj, const struct ynode *k,
	       const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(l3_bind_keys)];
	struct sport_parse *p = obj;
	struct ctx ctx = { "l3 of ", "service port", p->ctx.name };
	struct ctxbuf cb;

	p->l3_given = true;
	p->aux.l3 = xloc_of(ld, k);
	walk_keys(ld, v, l3_bind_keys, ARRAY_SIZE(l3_bind_keys), p, &ctx, found);
	if (!found[0])
		err_node(ld, k, "%s has no domain", ctx_str(&cb, &ctx));
}
