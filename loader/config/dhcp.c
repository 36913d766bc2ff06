// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the schema of bind.dhcp (dns, lease, mtu,
 * routes). What DHCP needs of the network is checked in checks.c.
 */
#include "internal.h"

#include <string.h>

static void h_dhcp_dns(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct pp_cfg_addr a;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		if (!parse_addr_node(ld, e, "dns server", true, false, PP_AF_INET, &a))
			continue;
		if (p->sp.n_dns == PP_DHCP_DNS_MAX) {
			err_node(ld, e, "too many dns servers (limit %d)", PP_DHCP_DNS_MAX);
			return;
		}
		memcpy(p->sp.dns[p->sp.n_dns++], a.addr, 4);
	}
}

static void h_dhcp_lease(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_uint_node(ld, v, "lease", 60, 0x7fffffff, &p->sp.lease);
}

static void h_dhcp_mtu(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_uint_node(ld, v, "mtu", PP_MTU_MIN, PP_MTU_MAX, &p->sp.dhcp_mtu);
}

struct route_parse {
	struct pp_cfg_route r;
	bool to_ok, via_ok;
};

static void h_route_to(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct route_parse *rp = obj;

	(void)k;
	rp->to_ok = parse_addr_node(ld, v, "route to", false, true, PP_AF_INET, &rp->r.to);
}

static void h_route_via(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct route_parse *rp = obj;
	struct pp_cfg_addr a;

	(void)k;
	rp->via_ok = parse_addr_node(ld, v, "route via", true, false, PP_AF_INET, &a);
	memcpy(rp->r.via, a.addr, 4);
}

static const struct keydef route_keys[] = {
	{ "to", KT_SCALAR, "an IPv4 CIDR", h_route_to },
	{ "via", KT_SCALAR, "an IPv4 address", h_route_via },
};

static void h_dhcp_routes(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct ctx ctx = { "dhcp route of ", "service port", p->ctx.name };
	struct ctxbuf cb;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(route_keys)];
		struct route_parse rp = { 0 };

		if (!walk_entry(ld, e, "routes", route_keys, ARRAY_SIZE(route_keys), &rp, &ctx,
				found))
			continue;
		if (!found[0] || !found[1]) {
			err_node(ld, e, "%s needs to and via", ctx_str(&cb, &ctx));
			continue;
		}
		if (!rp.to_ok || !rp.via_ok)
			continue;
		if (p->sp.n_routes == PP_DHCP_ROUTES_MAX) {
			err_node(ld, e, "too many dhcp routes (limit %d)", PP_DHCP_ROUTES_MAX);
			return;
		}
		p->sp.routes[p->sp.n_routes++] = rp.r;
	}
}

static const struct keydef dhcp_keys[] = {
	{ "dns", KT_SEQ, "a list of IPv4 addresses", h_dhcp_dns },
	{ "lease", KT_SCALAR, "a number of seconds", h_dhcp_lease },
	{ "mtu", KT_SCALAR, "an integer 68-65535", h_dhcp_mtu },
	{ "routes", KT_SEQ, "a list of {to, via}", h_dhcp_routes },
};

void h_bind_dhcp(struct ld *ld, void *obj, const struct ynode *k,
		 const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(dhcp_keys)];
	struct sport_parse *p = obj;
	struct ctx ctx = { "dhcp of ", "service port", p->ctx.name };

	p->sp.dhcp = true;
	p->sp.lease = PP_LEASE_DEFAULT;
	p->aux.dhcp = xloc_of(ld, k);
	walk_keys(ld, v, dhcp_keys, ARRAY_SIZE(dhcp_keys), p, &ctx, found);
}
