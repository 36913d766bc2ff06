// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the schema of bind.security (allowed-pairs,
 * ingress and egress rules, default, allow-dhcp-server, allow-ra).
 */
#include "internal.h"

struct pair_parse {
	struct pp_cfg_pair pair;
	bool mac_ok;
};

static void h_pair_mac(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct pair_parse *pp = obj;

	(void)k;
	pp->mac_ok = parse_mac_node(ld, v, "allowed pair mac", pp->pair.mac);
}

static void h_pair_ip(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct pair_parse *pp = obj;

	(void)k;
	pp->pair.has_ip = parse_addr_node(ld, v, "allowed pair ip", false, false, PP_AF_NONE,
					  &pp->pair.ip);
}

static const struct keydef pair_keys[] = {
	{ "mac", KT_SCALAR, "a MAC address", h_pair_mac },
	{ "ip", KT_SCALAR, "an IP address or CIDR", h_pair_ip },
};

static void h_sec_pairs(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct ctx ctx = { "allowed pair of ", "service port", p->ctx.name };
	struct ctxbuf cb;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(pair_keys)];
		struct pair_parse pp = { 0 };

		if (!walk_entry(ld, e, "allowed-pairs", pair_keys, ARRAY_SIZE(pair_keys), &pp, &ctx,
				found))
			continue;
		if (!found[0]) {
			err_node(ld, e, "%s has no mac", ctx_str(&cb, &ctx));
			continue;
		}
		if (!pp.mac_ok)
			continue;
		if (p->sp.n_pairs == PP_PAIRS_MAX) {
			err_node(ld, e, "too many allowed pairs (limit %d)", PP_PAIRS_MAX);
			return;
		}
		p->sp.pairs[p->sp.n_pairs++] = pp.pair;
	}
}

static void h_rule_proto(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} protos[] = {
		{ "any", 0 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 },
	};
	struct pp_cfg_rule *r = obj;
	struct qbuf qb;

	(void)k;
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (key_is(v, protos[i].name)) {
			r->proto = protos[i].proto;
			return;
		}
	err_node(ld, v, "proto must be one of any, icmp, tcp, udp, icmpv6, got %s",
		 node_desc(&qb, v));
}

static bool port_num(const char *s, size_t n, uint16_t *out)
{
	uint32_t val = 0;

	if (!n || n > 5 || (s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		val = val * 10 + (uint32_t)(s[i] - '0');
	}
	if (val < 1 || val > 65535)
		return false;
	*out = (uint16_t)val;
	return true;
}

/* N or "LOW-HIGH" into lo..hi (what: the key, for the message). */
static void parse_port_range(struct ld *ld, const struct ynode *v, const char *what,
			     uint16_t *lo, uint16_t *hi)
{
	const char *dash = memchr(v->str, '-', v->len);
	struct qbuf qb;
	bool ok;

	if (dash)
		ok = port_num(v->str, (size_t)(dash - v->str), lo) &&
		     port_num(dash + 1, v->len - (size_t)(dash - v->str) - 1, hi) &&
		     *lo <= *hi;
	else
		ok = port_num(v->str, v->len, lo) && (*hi = *lo);
	if (!ok) {
		*lo = *hi = 0;
		err_node(ld, v, "%s must be a port 1-65535 or a range \"LOW-HIGH\", got %s",
			 what, node_desc(&qb, v));
	}
}

static void h_rule_ports(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;

	(void)k;
	parse_port_range(ld, v, "ports", &r->port_lo, &r->port_hi);
}

static void h_rule_sports(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;

	(void)k;
	parse_port_range(ld, v, "source-ports", &r->sport_lo, &r->sport_hi);
}

static void h_rule_icmp_type(struct ld *ld, void *obj, const struct ynode *k,
			     const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;
	uint32_t t;

	(void)k;
	if (parse_uint_node(ld, v, "icmp-type", 0, 255, &t)) {
		r->has_icmp_type = 1;
		r->icmp_type = (uint8_t)t;
	}
}

static void h_rule_from(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;

	(void)k;
	parse_addr_node(ld, v, "from", false, false, PP_AF_NONE, &r->from);
}

static void h_rule_to(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;

	(void)k;
	parse_addr_node(ld, v, "to", false, false, PP_AF_NONE, &r->to);
}

/* allow (true) or drop (false): a rule's action, the default verdict */
static bool parse_verdict(struct ld *ld, const struct ynode *v, const char *what,
			  bool *allow)
{
	struct qbuf qb;

	if (key_is(v, "allow") || key_is(v, "drop")) {
		*allow = key_is(v, "allow");
		return true;
	}
	err_node(ld, v, "%s must be allow or drop, got %s", what, node_desc(&qb, v));
	return false;
}

static void h_rule_action(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;
	bool allow;

	(void)k;
	if (parse_verdict(ld, v, "action", &allow))
		r->allow = allow;
}

static const struct keydef rule_keys[] = {
#define RK_PROTO 0
	{ "proto", KT_SCALAR, "one of any, icmp, tcp, udp, icmpv6", h_rule_proto },
#define RK_PORTS 1
	{ "ports", KT_SCALAR, "a port or a range LOW-HIGH", h_rule_ports },
#define RK_SPORTS 2
	{ "source-ports", KT_SCALAR, "a port or a range LOW-HIGH", h_rule_sports },
#define RK_ICMP 3
	{ "icmp-type", KT_SCALAR, "an integer 0-255", h_rule_icmp_type },
	{ "from", KT_SCALAR, "a CIDR", h_rule_from },
	{ "to", KT_SCALAR, "a CIDR", h_rule_to },
#define RK_ACTION 6
	{ "action", KT_SCALAR, "allow or drop", h_rule_action },
};

_Static_assert(ARRAY_SIZE(rule_keys) <= MAX_KEYS, "raise MAX_KEYS");

/*
 * A list of rules (security ingress/egress, a chain's classifier: dir
 * PP_RULE_CHAIN, whose entries have no action), appended to cfg->rules;
 * *count counts them, up to max. what names the list, ctx an entry.
 */
void parse_rule_list(struct ld *ld, const struct ynode *v, uint8_t dir, const char *what,
		     const struct ctx *ctx, uint32_t *count, uint32_t max)
{
	for (const struct ynode *e = v->first; e && !ld->fatal; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(rule_keys)];
		struct pp_cfg_rule r = { .dir = dir, .allow = 1 };
		uint8_t fam = 0;

		r.loc = pp_loc_of(ld, e);
		if (!walk_entry(ld, e, what, rule_keys, ARRAY_SIZE(rule_keys), &r, ctx, found))
			continue;
		if (found[RK_PORTS] && r.proto != 6 && r.proto != 17)
			err_node(ld, found[RK_PORTS], "ports need proto tcp or udp");
		if (found[RK_SPORTS] && r.proto != 6 && r.proto != 17)
			err_node(ld, found[RK_SPORTS], "source-ports need proto tcp or udp");
		if (found[RK_ICMP] && r.proto != 1 && r.proto != 58)
			err_node(ld, found[RK_ICMP], "icmp-type needs proto icmp or icmpv6");
		/* a match steers the frame into the chain: there is nothing to decide */
		if (found[RK_ACTION] && dir == PP_RULE_CHAIN)
			err_node(ld, found[RK_ACTION], "a classifier entry has no action (a frame it matches enters the chain)");
		if (r.proto == 1)
			fam = PP_AF_INET;
		else if (r.proto == 58)
			fam = PP_AF_INET6;
		if ((r.from.family && r.to.family && r.from.family != r.to.family) ||
		    (fam && r.from.family && r.from.family != fam) ||
		    (fam && r.to.family && r.to.family != fam))
			err_node(ld, e, "%s %s mixes IPv4 and IPv6", what,
				 dir == PP_RULE_CHAIN ? "entry" : "rule");
		if (*count == max) {
			err_node(ld, e, "too many %s %s (limit %u)", what,
				 dir == PP_RULE_CHAIN ? "entries" : "rules", max);
			return;
		}
		if (GROW(ld->cfg->rules, ld->cfg->n_rules, ld->cap_rules))
			return oom(ld);
		ld->cfg->rules[ld->cfg->n_rules++] = r;
		(*count)++;
	}
}

static void parse_rules(struct ld *ld, struct sport_parse *p, const struct ynode *v,
			uint8_t dir, uint32_t *count)
{
	struct ctx ctx = { dir == PP_RULE_INGRESS ? "ingress rule of " : "egress rule of ",
			   "service port", p->ctx.name };

	parse_rule_list(ld, v, dir, dir == PP_RULE_INGRESS ? "ingress" : "egress", &ctx, count,
			PP_RULES_MAX);
}

static void h_sec_ingress(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_rules(ld, p, v, PP_RULE_INGRESS, &p->sp.n_ingress);
}

static void h_sec_egress(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_rules(ld, p, v, PP_RULE_EGRESS, &p->sp.n_egress);
}

static void h_sec_default(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_verdict(ld, v, "default", &p->sp.default_allow);
}

static void h_sec_allow_dhcp(struct ld *ld, void *obj, const struct ynode *k,
			     const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_bool_node(ld, v, "allow-dhcp-server", &p->sp.allow_dhcp_server);
}

static void h_sec_allow_ra(struct ld *ld, void *obj, const struct ynode *k,
			   const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_bool_node(ld, v, "allow-ra", &p->sp.allow_ra);
}

/* Table order: the ingress rules are stored before the egress ones. */
static const struct keydef security_keys[] = {
	{ "allowed-pairs", KT_SEQ, "a list of {mac, ip}", h_sec_pairs },
	{ "ingress", KT_SEQ, "a list of rules", h_sec_ingress },
	{ "egress", KT_SEQ, "a list of rules", h_sec_egress },
	{ "default", KT_SCALAR, "allow or drop", h_sec_default },
	{ "allow-dhcp-server", KT_SCALAR, "true or false", h_sec_allow_dhcp },
	{ "allow-ra", KT_SCALAR, "true or false", h_sec_allow_ra },
};

void h_bind_security(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(security_keys)];
	struct sport_parse *p = obj;
	struct ctx ctx = { "security of ", "service port", p->ctx.name };

	(void)k;
	p->sp.security = true;
	p->sp.rule_first = ld->cfg->n_rules;
	walk_keys(ld, v, security_keys, ARRAY_SIZE(security_keys), p, &ctx, found);
}
