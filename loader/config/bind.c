// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: what a service port binds (bind: {network | l3,
 * security, responder, dhcp}). bind_keys is the loader's one list of the
 * services; each service's own keys are in its file (security.c, dhcp.c,
 * l3domains.c for l3; the responder has none yet).
 */
#include "internal.h"
#include "services.h"

#include <string.h>

static void h_bind_network(struct ld *ld, void *obj, const struct ynode *k,
			   const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct qbuf qb;

	(void)k;
	p->net_given = true;
	p->aux.net = xloc_of(ld, v);
	if (!pp_name_valid(v->str, v->len)) {
		/* it cannot name a network */
		err_node(ld, v, "unknown network %s", quote(&qb, v->str, v->len));
		return;
	}
	memcpy(p->aux.net_name, v->str, v->len);
	p->aux.has_net = true;
}

/* bind.responder: {} (no keys yet) */
static const struct keydef responder_keys[1] = { { "", 0, "", NULL } };

static void h_bind_responder(struct ld *ld, void *obj, const struct ynode *k,
			     const struct ynode *v)
{
	const struct ynode *found[1];
	struct sport_parse *p = obj;
	struct ctx ctx = { "responder of ", "service port", p->ctx.name };

	(void)k;
	p->sp.responder = true;
	walk_keys(ld, v, responder_keys, 0, p, &ctx, found);
}

/* l3 is not yet in loader/services.h's table of services: until it is,
 * bind_keys has one row more than it (then the names agree again). */
#ifdef PP_SERVICE_NAME_L3
#define BK_NOT_A_SERVICE 0
#else
#define PP_SERVICE_NAME_L3 "l3"
#define BK_NOT_A_SERVICE 1
#endif

/* Services that can be bound to a service port (their names: loader/services.h). */
static const struct keydef bind_keys[] = {
#define BK_NETWORK 0
	{ PP_SERVICE_NAME_NETWORK, KT_SCALAR, "a network name", h_bind_network },
#define BK_L3 1
	{ PP_SERVICE_NAME_L3, KT_MAP, "a mapping (domain, routes)", h_bind_l3 },
	{ PP_SERVICE_NAME_SECURITY, KT_MAP,
	  "a mapping (allowed-pairs, ingress, egress, default, allow-dhcp-server, allow-ra)",
	  h_bind_security },
	{ PP_SERVICE_NAME_RESPONDER, KT_MAP, "a mapping (empty)", h_bind_responder },
	{ PP_SERVICE_NAME_DHCP, KT_MAP, "a mapping (dns, lease, mtu, routes)", h_bind_dhcp },
};

_Static_assert(ARRAY_SIZE(bind_keys) <= MAX_KEYS, "raise MAX_KEYS");
_Static_assert(ARRAY_SIZE(bind_keys) == PP_SERVICE_COUNT + BK_NOT_A_SERVICE,
	       "a key for every service");

static bool before(const struct ynode *a, const struct ynode *b)
{
	return a->line < b->line || (a->line == b->line && a->col < b->col);
}

void h_sp_bind(struct ld *ld, void *obj, const struct ynode *k,
	       const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(bind_keys)];
	struct sport_parse *p = obj;
	struct ctx ctx = { "bind of ", "service port", p->ctx.name };

	(void)k;
	p->bind_walked = true;
	walk_keys(ld, v, bind_keys, ARRAY_SIZE(bind_keys), p, &ctx, found);
	/* present, even with a value of the wrong type (reported) */
	if (found[BK_NETWORK])
		p->net_given = true;
	if (found[BK_L3])
		p->l3_given = true;
	if (found[BK_NETWORK] && found[BK_L3]) {
		/* the second one is the error, and is not checked further */
		bool l3_second = before(found[BK_NETWORK], found[BK_L3]);
		const struct ynode *first = found[l3_second ? BK_NETWORK : BK_L3];
		struct ctxbuf cb;

		err_node(ld, found[l3_second ? BK_L3 : BK_NETWORK],
			 "%s binds both network and l3 (the other at " XF "): a service port binds a network or an l3 domain, not both",
			 ctx_str(&cb, &ctx), XA(ld, xloc_of(ld, first)));
		if (l3_second)
			p->aux.has_l3 = false;
		else
			p->aux.has_net = false;
	}
}
