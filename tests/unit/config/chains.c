/*
 * Binding-file tests of the service chains (issue 17): the model of a
 * valid configuration, field by field (what the daemon programs from:
 * the chain's network, classifier rules, sources, flags, hops, and the hop
 * ports' positions, after the service ports are regrouped by instance
 * port); the error cases are in chains.cases.
 */
#include <stdlib.h>
#include <string.h>

#include "cfgtest.h"

/* a.yaml: the chain before the ports its hops name (top-level, in b.yaml:
 * regrouped by instance port after loading) */
static const char model_a[] =
	"networks:\n"
	"  tenant-a: {device: pa0}\n"
	"  tenant-b: {device: pb0}\n"
	"chains:\n"
	"  web:\n"						/* 5 */
	"    network: tenant-a\n"
	"    classifier:\n"
	"      - {proto: tcp, ports: 80, to: 10.0.0.0/24}\n"
	"      - {proto: udp, ports: 53-54, source-ports: 1024-65535}\n"
	"    sources: {service-ports: [client-a], network-device: true}\n"
	"    symmetric: true\n"
	"    on-failure: bypass\n"
	"    hops:\n"
	"      - [{ingress: fw1-in, egress: fw1-out}, {ingress: fw2-in, egress: fw2-out, weight: 2}]\n"
	"      - [{ingress: dpi-io, egress: dpi-io}]\n"		/* 15 */
	"  other: {network: tenant-b, classifier: [{proto: any}], hops: [[{ingress: o1, egress: o1}]]}\n"
	"instance-ports:\n"
	"  client:\n"
	"    device: tap-c\n"
	"    mac: 52:54:00:00:00:01\n"
	"    service-ports:\n"
	"      client-a:\n"
	"        vlan: 10\n"
	"        bind:\n"
	"          network: tenant-a\n"
	"          security: {egress: [{proto: tcp, source-ports: 22, action: drop}]}\n"
	"  fw:\n"
	"    device: tap-fw\n"
	"    mac: 52:54:00:00:00:02\n"
	"    service-ports: {fw1-in: {vlan: 100}}\n"
	"  dpi:\n"
	"    device: tap-dpi\n"
	"    mac: 52:54:00:00:00:03\n";

static const char model_b[] =
	"service-ports:\n"
	"  dpi-io: {instance-port: dpi, vlan: [200, 7]}\n"
	"  fw2-out: {instance-port: fw, vlan: 201}\n"
	"  fw2-in: {instance-port: fw, vlan: 200}\n"
	"  o1: {instance-port: client, vlan: 999}\n"
	"  fw1-out: {instance-port: fw, vlan: 101}\n";

static const struct pp_cfg_sport *sport(const struct pp_config *cfg, uint32_t i)
{
	assert_true(i < cfg->n_sports);
	return &cfg->sports[i];
}

static void expect_hop_port(const struct pp_config *cfg, uint32_t idx, const char *name,
			    uint32_t chain, unsigned hop, unsigned inst, unsigned role)
{
	const struct pp_cfg_sport *sp = sport(cfg, idx);

	assert_string_equal(sp->name, name);
	assert_ptr_equal(pp_config_find_sport(cfg, name), sp);
	assert_true(pp_cfg_sport_on_chain(sp));
	assert_false(pp_cfg_sport_on_net(sp));
	assert_false(pp_cfg_sport_on_l3(sp));
	assert_int_equal(sp->chain, chain);
	assert_int_equal(sp->chain_hop, hop);
	assert_int_equal(sp->chain_inst, inst);
	assert_int_equal(sp->chain_role, role);
	assert_string_equal(pp_cfg_sport_bound(cfg, sp), cfg->chains[chain].name);
}

static void test_chain_model(void **state)
{
	struct fx *f = *state;
	const struct pp_config *cfg;
	const struct pp_cfg_chain *c, *o;
	const struct pp_cfg_rule *r;
	const struct pp_cfg_sport *ca;

	load(f, "a.yaml", model_a, "b.yaml", model_b, NULL);
	expect_nerr(f, 0);
	cfg = f->cfg;
	assert_int_equal(cfg->n_chains, 2);

	c = pp_config_find_chain(cfg, "web");
	assert_ptr_equal(c, &cfg->chains[0]);
	assert_null(pp_config_find_chain(cfg, "tenant-a"));
	assert_null(pp_config_find_chain(cfg, "nope"));
	assert_string_equal(c->name, "web");
	assert_string_equal(c->loc.file, "a.yaml");
	assert_int_equal(c->loc.line, 5);
	assert_int_equal(c->loc.col, 3);
	assert_ptr_equal(&cfg->networks[c->network], pp_config_find_network(cfg, "tenant-a"));
	assert_true(c->symmetric);
	assert_true(c->bypass);
	assert_false(c->all_sources);
	assert_true(c->network_device);
	assert_int_equal(c->n_sources, 1);
	assert_ptr_equal(sport(cfg, c->sources[0]), pp_config_find_sport(cfg, "client-a"));

	/* the classifier: rules of dir PP_RULE_CHAIN, with their source ports */
	assert_int_equal(c->n_rules, 2);
	r = &cfg->rules[c->rule_first];
	assert_int_equal(r->dir, PP_RULE_CHAIN);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->port_lo, 80);
	assert_int_equal(r->port_hi, 80);
	assert_int_equal(r->sport_lo, 0);
	assert_int_equal(r->sport_hi, 0);
	assert_int_equal(r->to.family, PP_AF_INET);
	assert_int_equal(r->loc.line, 8);
	r++;
	assert_int_equal(r->dir, PP_RULE_CHAIN);
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->port_lo, 53);
	assert_int_equal(r->port_hi, 54);
	assert_int_equal(r->sport_lo, 1024);
	assert_int_equal(r->sport_hi, 65535);

	/* a security rule's source ports */
	ca = pp_config_find_sport(cfg, "client-a");
	assert_int_equal(ca->n_egress, 1);
	r = &cfg->rules[ca->rule_first];
	assert_int_equal(r->dir, PP_RULE_EGRESS);
	assert_int_equal(r->sport_lo, 22);
	assert_int_equal(r->sport_hi, 22);
	assert_int_equal(ca->chain, PP_NO_INDEX);

	/* the hops, their instances' ports (indexes after regrouping) */
	assert_int_equal(c->n_hops, 2);
	assert_int_equal(c->hops[0].n_inst, 2);
	assert_int_equal(c->hops[0].loc.line, 14);
	expect_hop_port(cfg, c->hops[0].inst[0].in, "fw1-in", 0, 0, 0, PP_CHAIN_ROLE_IN);
	expect_hop_port(cfg, c->hops[0].inst[0].out, "fw1-out", 0, 0, 0, PP_CHAIN_ROLE_OUT);
	assert_int_equal(c->hops[0].inst[0].weight, 1);
	expect_hop_port(cfg, c->hops[0].inst[1].in, "fw2-in", 0, 0, 1, PP_CHAIN_ROLE_IN);
	expect_hop_port(cfg, c->hops[0].inst[1].out, "fw2-out", 0, 0, 1, PP_CHAIN_ROLE_OUT);
	assert_int_equal(c->hops[0].inst[1].weight, 2);
	assert_int_equal(c->hops[1].n_inst, 1);
	assert_int_equal(c->hops[1].inst[0].in, c->hops[1].inst[0].out);
	expect_hop_port(cfg, c->hops[1].inst[0].in, "dpi-io", 0, 1, 0,
			PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT);

	/* the defaults: every source, drop, not symmetric */
	o = pp_config_find_chain(cfg, "other");
	assert_ptr_equal(o, &cfg->chains[1]);
	assert_ptr_equal(&cfg->networks[o->network], pp_config_find_network(cfg, "tenant-b"));
	assert_true(o->all_sources);
	assert_false(o->network_device);
	assert_int_equal(o->n_sources, 0);
	assert_false(o->symmetric);
	assert_false(o->bypass);
	assert_int_equal(o->n_rules, 1);
	assert_int_equal(cfg->rules[o->rule_first].dir, PP_RULE_CHAIN);
	expect_hop_port(cfg, o->hops[0].inst[0].in, "o1", 1, 0, 0,
			PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT);
}

CFG_TOPIC(chains,
	  T(test_chain_model));
