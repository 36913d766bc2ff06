/*
 * Binding-file tests of the export (polyportctl apply -f): the objects of
 * a file as the API's bodies, scalars typed as read, the same errors as a
 * load, and the round trip through the API's rendering.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgtest.h"

static int export_buf(struct fx *f, struct pp_export **ex, const char *name, const char *text)
{
	struct pp_config_source src = { name, text, strlen(text) };

	pp_errors_free(&f->errs);
	f->ret = pp_config_export_buffers(&src, 1, ex, &f->errs);
	if (f->ret)
		assert_null(*ex);
	else
		assert_non_null(*ex);
	return f->ret;
}

/*
 * What the API does with the bodies: it keeps each object under its name
 * (without "name") and renders them all as one JSON document, which it
 * loads with pp_config_load after the daemon's files (loader/api/store.c render).
 */
static char *render_like_api(const struct pp_export *ex)
{
	static const char *const kinds[] = { "networks", "l3-domains", "instance-ports",
					     "service-ports", "chains" };
	char *doc = NULL;
	size_t len = 0, cap = 0;

	add_sport(&doc, &len, &cap, "{");
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		bool first = true;

		add_sport(&doc, &len, &cap, "%s\"%s\": {", k ? ", " : "", kinds[k]);
		for (size_t i = 0; i < ex->n; i++) {
			const struct pp_export_obj *o = &ex->objs[i];
			char head[64];
			const char *rest;

			if (strcmp(o->kind, kinds[k]))
				continue;
			snprintf(head, sizeof(head), "{\"name\": \"%s\"", o->name);
			assert_memory_equal(o->json, head, strlen(head));
			rest = o->json + strlen(head);
			add_sport(&doc, &len, &cap, "%s\"%s\": {%s", first ? "" : ", ", o->name,
				  !strncmp(rest, ", ", 2) ? rest + 2 : rest);
			first = false;
		}
		add_sport(&doc, &len, &cap, "}");
	}
	add_sport(&doc, &len, &cap, "}");
	return doc;
}

/* An object of a model as one line of text, indexes replaced by names. */
static void addr_str(char *buf, size_t len, const struct pp_cfg_addr *a)
{
	pp_addr_format(a, true, buf, len);
}

static void model_line(const struct pp_config *c, int kind, uint32_t i, char *out, size_t len)
{
	char a[64], b[64], m[PP_MAC_STRLEN], m2[PP_MAC_STRLEN];
	size_t o = 0;

#define P(...) (o += (size_t)snprintf(out + o, o < len ? len - o : 0, __VA_ARGS__))
	if (kind == 0) {
		const struct pp_cfg_network *n = &c->networks[i];

		addr_str(a, sizeof(a), &n->gw4);
		addr_str(b, sizeof(b), &n->gw6);
		pp_mac_format(n->gw_mac, m);
		P("network %s dev %s mtu %u vlan %u gw %d %s %s %s %d", n->name, n->device, n->mtu,
		  n->vlan, n->has_gateway, a, b, m, n->gw_mac_explicit);
	} else if (kind == 3) {
		const struct pp_cfg_l3domain *d = &c->l3domains[i];

		pp_mac_format(d->gw_mac, m);
		P("l3 %s table %u mtu %u mac %s %d subnets", d->name, d->table, d->mtu, m,
		  d->gw_mac_explicit);
		for (uint32_t j = 0; j < d->n_subnets; j++) {
			addr_str(a, sizeof(a), &d->subnets[j].cidr);
			addr_str(b, sizeof(b), &d->subnets[j].gateway);
			P(" %s>%s", a, b);
		}
		P(" uplinks");
		for (uint32_t j = 0; j < d->n_uplinks; j++) {
			P(" %s", d->uplinks[j].device);
			for (uint32_t k = 0; k < d->uplinks[j].n_addrs; k++) {
				addr_str(a, sizeof(a), &d->uplinks[j].addrs[k]);
				P("/%s", a);
			}
		}
		P(" routes");
		for (uint32_t j = 0; j < d->n_routes; j++) {
			addr_str(a, sizeof(a), &d->routes[j].to);
			addr_str(b, sizeof(b), &d->routes[j].via);
			P(" %s>%s", a, b);
		}
	} else if (kind == 4) {
		const struct pp_cfg_chain *ch = &c->chains[i];

		P("chain %s net %s all %d dev %d sym %d bypass %d sources", ch->name,
		  c->networks[ch->network].name, ch->all_sources, ch->network_device, ch->symmetric,
		  ch->bypass);
		for (uint32_t j = 0; j < ch->n_sources; j++)
			P(" %s", c->sports[ch->sources[j]].name);
		P(" classifier");
		for (uint32_t j = 0; j < ch->n_rules; j++) {
			const struct pp_cfg_rule *r = &c->rules[ch->rule_first + j];

			addr_str(a, sizeof(a), &r->from);
			addr_str(b, sizeof(b), &r->to);
			P(" [%u %u %u/%u %u-%u sp %u-%u %s %s]", r->dir, r->proto, r->has_icmp_type,
			  r->icmp_type, r->port_lo, r->port_hi, r->sport_lo, r->sport_hi, a, b);
		}
		for (uint32_t h = 0; h < ch->n_hops; h++) {
			P(" hop");
			for (uint32_t j = 0; j < ch->hops[h].n_inst; j++)
				P(" %s>%s*%u", c->sports[ch->hops[h].inst[j].in].name,
				  c->sports[ch->hops[h].inst[j].out].name, ch->hops[h].inst[j].weight);
		}
	} else if (kind == 1) {
		const struct pp_cfg_iport *p = &c->iports[i];

		pp_mac_format(p->mac, m);
		P("iport %s dev %s id %s mac %s mtu %u mode %d sports %u", p->name, p->device, p->id,
		  m, p->mtu, p->mode, p->sport_count);
		for (uint32_t s = 0; s < p->sport_count; s++)
			P(" %s", c->sports[p->sport_first + s].name);
	} else {
		const struct pp_cfg_sport *s = &c->sports[i];

		pp_mac_format(s->mac, m);
		P("sport %s on %s match %d %u/%u mac %s %d net %s l3 %s", s->name,
		  c->iports[s->iport].name, s->match, s->outer_vid, s->inner_vid, m,
		  s->mac_explicit,
		  s->network == PP_NO_INDEX ? "-" : c->networks[s->network].name,
		  s->l3domain == PP_NO_INDEX ? "-" : c->l3domains[s->l3domain].name);
		for (uint32_t j = 0; j < s->n_l3_routes; j++) {
			addr_str(a, sizeof(a), &s->l3_routes[j].to);
			P(" %s", a);
		}
		P(" addrs");
		for (uint32_t j = 0; j < s->n_addrs; j++) {
			addr_str(a, sizeof(a), &s->addrs[j]);
			P(" %s", a);
		}
		P(" resp %d sec %d pairs", s->responder, s->security);
		for (uint32_t j = 0; j < s->n_pairs; j++) {
			pp_mac_format(s->pairs[j].mac, m2);
			addr_str(a, sizeof(a), &s->pairs[j].ip);
			P(" %s/%d/%s", m2, s->pairs[j].has_ip, a);
		}
		P(" rules %u+%u", s->n_ingress, s->n_egress);
		for (uint32_t j = 0; j < s->n_ingress + s->n_egress; j++) {
			const struct pp_cfg_rule *r = &c->rules[s->rule_first + j];

			addr_str(a, sizeof(a), &r->from);
			addr_str(b, sizeof(b), &r->to);
			P(" [%u %u %u %u/%u %u-%u sp %u-%u %s %s]", r->dir, r->proto, r->allow,
			  r->has_icmp_type, r->icmp_type, r->port_lo, r->port_hi, r->sport_lo,
			  r->sport_hi, a, b);
		}
		P(" chain %s %u/%u/%u", s->chain == PP_NO_INDEX ? "-" : c->chains[s->chain].name,
		  s->chain_hop, s->chain_inst, s->chain_role);
		P(" default %d srv %d ra %d dhcp %d dns", s->default_allow, s->allow_dhcp_server,
		  s->allow_ra, s->dhcp);
		for (uint32_t j = 0; j < s->n_dns; j++)
			P(" %u.%u.%u.%u", s->dns[j][0], s->dns[j][1], s->dns[j][2], s->dns[j][3]);
		P(" lease %u mtu %u routes", s->lease, s->dhcp_mtu);
		for (uint32_t j = 0; j < s->n_routes; j++) {
			addr_str(a, sizeof(a), &s->routes[j].to);
			P(" %s>%u.%u.%u.%u", a, s->routes[j].via[0], s->routes[j].via[1],
			  s->routes[j].via[2], s->routes[j].via[3]);
		}
	}
#undef P
}

/* Two models hold the same objects (positions and file names aside). */
static void assert_same_model(const struct pp_config *x, const struct pp_config *y)
{
	const uint32_t nx[5] = { x->n_networks, x->n_iports, x->n_sports, x->n_l3domains,
				 x->n_chains };
	const uint32_t ny[5] = { y->n_networks, y->n_iports, y->n_sports, y->n_l3domains,
				 y->n_chains };

	for (int k = 0; k < 5; k++) {
		assert_int_equal(nx[k], ny[k]);
		for (uint32_t i = 0; i < nx[k]; i++) {
			char lx[4096], ly[4096];

			model_line(x, k, i, lx, sizeof(lx));
			model_line(y, k, i, ly, sizeof(ly));
			assert_string_equal(lx, ly);
		}
	}
}

/* A binding file that uses every key, scalars of every kind in every
 * spelling the loader takes, and objects defined in another file. */
static const char base_yaml[] =
	"networks:\n"
	"  base-net: {device: pb0}\n"
	"instance-ports:\n"
	"  base-vm:\n"
	"    device: tap-base\n"
	"    mac: 52:54:00:0b:00:01\n"
	"    service-ports:\n"
	"      base-s: {vlan: 5, bind: {network: base-net}}\n"
	"l3-domains:\n"
	"  blue: {table: 4294967295, subnets: [{cidr: 10.50.0.0/24, gateway: 10.50.0.1}]}\n";

static const char rich_yaml[] =
	"networks:\n"
	"  True: {device: pa0, mtu: 1400, vlan: 7,\n"
	"         gateway: {ipv4: 10.9.0.1, ipv6: 'fd00::1', mac: \"02:00:00:00:00:aa\"}}\n"
	"  \"123\": {device: 12345, mtu: 01400x}\n"
	"  NULL: {device: pn0}\n"
	"instance-ports:\n"
	"  vm1:\n"
	"    device: tap-vm1\n"
	"    mac: 52:54:00:0a:00:01\n"
	"    mtu: 9000\n"
	"    mode: tc\n"
	"    service-ports:\n"
	"      s1: {vlan: 100, bind: {network: True, responder: NULL}}\n"
	"      s2:\n"
	"        vlan: [300, 10]\n"
	"        mac: 52:54:00:0a:00:02\n"
	"        addresses: [10.9.0.5/24, \"fd00::5/64\"]\n"
	"        bind:\n"
	"          network: True\n"
	"          responder: ~\n"
	"          security:\n"
	"            allowed-pairs: [{mac: 52:54:00:0a:00:02, ip: 10.9.0.5}]\n"
	"            ingress:\n"
	"              - {proto: tcp, ports: 22, action: allow}\n"
	"              - {proto: icmp, icmp-type: 8, action: allow, from: 10.0.0.0/8}\n"
	"            egress: [{action: allow}]\n"
	"            default: drop\n"
	"            allow-dhcp-server: False\n"
	"            allow-ra: TRUE\n"
	"          dhcp: {dns: [10.9.0.1], lease: 3600, mtu: 1400,\n"
	"                 routes: [{to: 10.8.0.0/16, via: 10.9.0.1}]}\n"
	"      s3: {untagged: True, bind: {network: 'NULL'}}\n"
	"      s4:\n"
	"        src-mac: |-\n"
	"          52:54:00:0a:00:04\n"
	"        bind: {network: \"123\", responder: }\n"
	"      s8: {vlan: 103, addresses: [10.50.0.6/24], bind: {l3: {domain: blue}, security: {}}}\n"
	"service-ports:\n"
	"  s5: {instance-port: base-vm, vlan: 6, mac: 52:54:00:0b:00:05,\n"
	"       bind: {network: base-net, responder: Null}}\n"
	"  s6: {instance-port: vm1, vlan: 101, bind: {network: base-net}}\n"
	"  s7: {instance-port: vm1, vlan: 102, addresses: [10.50.0.5/24, 'fd00:50::5/64'],\n"
	"       bind: {l3: {domain: FALSE, routes: [{to: 172.16.0.0/12}]}, dhcp: {lease: 600}}}\n"
	"l3-domains:\n"
	"  FALSE:\n"
	"    table: 1001\n"
	"    mtu: 9000\n"
	"    mac: \"02:00:00:00:10:01\"\n"
	"    subnets:\n"
	"      - {cidr: 10.50.0.0/24, gateway: 10.50.0.1}\n"
	"      - {cidr: 'fd00:50::/64', gateway: \"fd00:50::1\"}\n"
	"    uplinks:\n"
	"      - device: 54321\n"
	"        addresses: [192.0.2.2/30, \"2001:db8:1::2/64\"]\n"
	"    routes:\n"
	"      - {to: 0.0.0.0/0, via: 192.0.2.1}\n"
	"      - {to: \"::/0\", via: \"2001:db8:1::1\"}\n";

static void test_export_scalars_typed_as_read(void **state)
{
	struct fx *f = *state;
	struct pp_export *ex = NULL;
	static const char *const want[][3] = {
		{ "networks", "True", "{\"name\": \"True\", \"device\": \"pa0\", \"mtu\": 1400, "
		  "\"vlan\": 7, \"gateway\": {\"ipv4\": \"10.9.0.1\", \"ipv6\": \"fd00::1\", "
		  "\"mac\": \"02:00:00:00:00:aa\"}}" },
		{ "networks", "123", "{\"name\": \"123\", \"device\": \"12345\"}" },
		{ "networks", "NULL", "{\"name\": \"NULL\", \"device\": \"pn0\"}" },
		{ "l3-domains", "FALSE", "{\"name\": \"FALSE\", \"table\": 1001, \"mtu\": 9000, "
		  "\"mac\": \"02:00:00:00:10:01\", \"subnets\": [{\"cidr\": \"10.50.0.0/24\", "
		  "\"gateway\": \"10.50.0.1\"}, {\"cidr\": \"fd00:50::/64\", \"gateway\": "
		  "\"fd00:50::1\"}], \"uplinks\": [{\"device\": \"54321\", \"addresses\": "
		  "[\"192.0.2.2/30\", \"2001:db8:1::2/64\"]}], \"routes\": [{\"to\": \"0.0.0.0/0\", "
		  "\"via\": \"192.0.2.1\"}, {\"to\": \"::/0\", \"via\": \"2001:db8:1::1\"}]}" },
		{ "instance-ports", "vm1", "{\"name\": \"vm1\", \"device\": \"tap-vm1\", "
		  "\"mac\": \"52:54:00:0a:00:01\", \"mtu\": 9000, \"mode\": \"tc\"}" },
		{ "service-ports", "s1", "{\"name\": \"s1\", \"instance-port\": \"vm1\", "
		  "\"vlan\": 100, \"bind\": {\"network\": \"True\", \"responder\": null}}" },
		{ "service-ports", "s2", "{\"name\": \"s2\", \"instance-port\": \"vm1\", "
		  "\"vlan\": [300, 10], \"mac\": \"52:54:00:0a:00:02\", "
		  "\"addresses\": [\"10.9.0.5/24\", \"fd00::5/64\"], \"bind\": {\"network\": \"True\", "
		  "\"responder\": null, \"security\": {\"allowed-pairs\": [{\"mac\": "
		  "\"52:54:00:0a:00:02\", \"ip\": \"10.9.0.5\"}], \"ingress\": [{\"proto\": \"tcp\", "
		  "\"ports\": \"22\", \"action\": \"allow\"}, {\"proto\": \"icmp\", \"icmp-type\": 8, "
		  "\"action\": \"allow\", \"from\": \"10.0.0.0/8\"}], \"egress\": [{\"action\": "
		  "\"allow\"}], \"default\": \"drop\", \"allow-dhcp-server\": false, "
		  "\"allow-ra\": true}, \"dhcp\": {\"dns\": [\"10.9.0.1\"], \"lease\": 3600, "
		  "\"mtu\": 1400, \"routes\": [{\"to\": \"10.8.0.0/16\", \"via\": \"10.9.0.1\"}]}}}" },
		{ "service-ports", "s3", "{\"name\": \"s3\", \"instance-port\": \"vm1\", "
		  "\"untagged\": true, \"bind\": {\"network\": \"NULL\"}}" },
		{ "service-ports", "s4", "{\"name\": \"s4\", \"instance-port\": \"vm1\", "
		  "\"src-mac\": \"52:54:00:0a:00:04\", \"bind\": {\"network\": \"123\", "
		  "\"responder\": null}}" },
		{ "service-ports", "s8", "{\"name\": \"s8\", \"instance-port\": \"vm1\", "
		  "\"vlan\": 103, \"addresses\": [\"10.50.0.6/24\"], \"bind\": {\"l3\": "
		  "{\"domain\": \"blue\"}, \"security\": {}}}" },
		{ "service-ports", "s5", "{\"name\": \"s5\", \"instance-port\": \"base-vm\", "
		  "\"vlan\": 6, \"mac\": \"52:54:00:0b:00:05\", \"bind\": {\"network\": \"base-net\", \"responder\": null}}" },
		{ "service-ports", "s6", "{\"name\": \"s6\", \"instance-port\": \"vm1\", "
		  "\"vlan\": 101, \"bind\": {\"network\": \"base-net\"}}" },
		{ "service-ports", "s7", "{\"name\": \"s7\", \"instance-port\": \"vm1\", "
		  "\"vlan\": 102, \"addresses\": [\"10.50.0.5/24\", \"fd00:50::5/64\"], "
		  "\"bind\": {\"l3\": {\"domain\": \"FALSE\", \"routes\": [{\"to\": "
		  "\"172.16.0.0/12\"}]}, \"dhcp\": {\"lease\": 600}}}" },
	};
	char *text = strdup(rich_yaml), *junk;

	/* mtu: 01400x is not an integer: refused as the loader refuses it */
	assert_non_null(text);
	assert_int_equal(export_buf(f, &ex, "rich.yaml", text), -EINVAL);
	expect_nerr(f, 1);
	expect_err(f, "rich.yaml", 4, 31, "mtu must be a decimal integer 68-65535, got \"01400x\"");
	junk = strstr(text, ", mtu: 01400x");
	memmove(junk, junk + strlen(", mtu: 01400x"), strlen(junk + strlen(", mtu: 01400x")) + 1);

	/* base-vm, base-net and blue are not in the file: not an error here */
	assert_int_equal(export_buf(f, &ex, "rich.yaml", text), 0);
	assert_int_equal(ex->n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ex->n; i++) {
		assert_string_equal(ex->objs[i].kind, want[i][0]);
		assert_string_equal(ex->objs[i].name, want[i][1]);
		assert_string_equal(ex->objs[i].json, want[i][2]);
		assert_string_equal(ex->objs[i].loc.file, "rich.yaml");
	}
	assert_int_equal(ex->objs[5].loc.line, 13);	/* s1 */
	assert_int_equal(ex->objs[5].loc.col, 7);
	pp_export_free(ex);
	free(text);
}

/* The daemon reading file F beside its own files reads the same objects as
 * the daemon given F's exported objects through its API. */
static void test_export_round_trip(void **state)
{
	struct fx *f = *state;
	struct pp_config_source src[2] = { { "base.yaml", base_yaml, sizeof(base_yaml) - 1 } };
	struct pp_config *direct = NULL, *api = NULL;
	struct pp_export *ex = NULL;
	char *text = strdup(rich_yaml), *junk, *doc;

	assert_non_null(text);
	junk = strstr(text, ", mtu: 01400x");
	memmove(junk, junk + strlen(", mtu: 01400x"), strlen(junk + strlen(", mtu: 01400x")) + 1);

	src[1] = (struct pp_config_source){ "rich.yaml", text, strlen(text) };
	f->ret = pp_config_load_buffers(src, 2, &direct, &f->errs);
	expect_nerr(f, 0);

	assert_int_equal(export_buf(f, &ex, "rich.yaml", text), 0);
	doc = render_like_api(ex);
	src[1] = (struct pp_config_source){ "api", doc, strlen(doc) };
	f->ret = pp_config_load_buffers(src, 2, &api, &f->errs);
	if (f->ret)
		print_message("%s\n", doc);
	expect_nerr(f, 0);

	assert_same_model(direct, api);
	/* and the spellings were read as the loader reads them */
	assert_non_null(pp_config_find_network(api, "True"));
	assert_int_equal(pp_config_find_sport(api, "s1")->network,
			 pp_config_find_network(api, "True") - api->networks);
	assert_int_equal(pp_config_find_sport(api, "s3")->match, PP_MATCH_UNTAGGED);
	assert_true(pp_config_find_sport(api, "s1")->responder);
	assert_true(pp_config_find_sport(api, "s2")->allow_ra);
	assert_false(pp_config_find_sport(api, "s2")->allow_dhcp_server);
	assert_string_equal(pp_config_find_network(api, "123")->device, "12345");
	/* the L3 domains and their ports (the model is compared above) */
	assert_int_equal(api->n_l3domains, 2);
	assert_int_equal(pp_config_find_l3domain(api, "FALSE")->table, 1001);
	assert_string_equal(pp_config_find_l3domain(api, "FALSE")->uplinks[0].device, "54321");
	assert_int_equal(pp_config_find_sport(api, "s7")->l3domain,
			 pp_config_find_l3domain(api, "FALSE") - api->l3domains);
	assert_int_equal(pp_config_find_sport(api, "s7")->network, PP_NO_INDEX);
	assert_int_equal(pp_config_find_sport(api, "s7")->n_l3_routes, 1);
	assert_int_equal(pp_config_find_sport(api, "s8")->l3domain,
			 pp_config_find_l3domain(api, "blue") - api->l3domains);

	pp_config_free(direct);
	pp_config_free(api);
	pp_export_free(ex);
	free(doc);
	free(text);
}

/* Chains (issue 17): exported after the service ports their hops name; a
 * hop port exported without bind loads beside its chain through the API;
 * source-ports of the classifier and of security rules as written. */
static const char chain_yaml[] =
	"networks:\n"
	"  tenant-a: {device: pa0}\n"
	"chains:\n"
	"  web:\n"
	"    network: tenant-a\n"
	"    classifier:\n"
	"      - {proto: tcp, ports: 80, source-ports: 1024-65535, to: 10.0.0.0/24}\n"
	"      - {proto: udp, source-ports: 53}\n"
	"    sources: {service-ports: [c-a], network-device: TRUE}\n"
	"    symmetric: yes_not\n"
	"    on-failure: bypass\n"
	"    hops:\n"
	"      - [{ingress: fw1-in, egress: fw1-out}, {ingress: fw2-in, egress: fw2-out, weight: 2}]\n"
	"      - [{ingress: dpi-io, egress: dpi-io, weight: 100}]\n"
	"instance-ports:\n"
	"  fw:\n"
	"    device: tap-fw\n"
	"    mac: 52:54:00:0c:00:01\n"
	"    service-ports:\n"
	"      fw1-in: {vlan: 100}\n"
	"      fw1-out: {vlan: 101}\n"
	"      c-a: {vlan: 5, bind: {network: tenant-a, security: {ingress: [{proto: tcp, source-ports: 22}]}}}\n"
	"service-ports:\n"
	"  fw2-in: {instance-port: fw, vlan: 200}\n"
	"  fw2-out: {instance-port: fw, vlan: 201}\n"
	"  dpi-io: {instance-port: fw, vlan: [300, 3]}\n";

static void test_export_chains_round_trip(void **state)
{
	struct fx *f = *state;
	struct pp_config_source src;
	struct pp_config *direct = NULL, *api = NULL;
	struct pp_export *ex = NULL;
	char *text = strdup(chain_yaml), *doc, *junk;
	const char *want = "{\"name\": \"web\", \"network\": \"tenant-a\", \"classifier\": "
		"[{\"proto\": \"tcp\", \"ports\": \"80\", \"source-ports\": \"1024-65535\", "
		"\"to\": \"10.0.0.0/24\"}, {\"proto\": \"udp\", \"source-ports\": \"53\"}], "
		"\"sources\": {\"service-ports\": [\"c-a\"], \"network-device\": true}, "
		"\"symmetric\": true, \"on-failure\": \"bypass\", \"hops\": [[{\"ingress\": "
		"\"fw1-in\", \"egress\": \"fw1-out\"}, {\"ingress\": \"fw2-in\", \"egress\": "
		"\"fw2-out\", \"weight\": 2}], [{\"ingress\": \"dpi-io\", \"egress\": \"dpi-io\", "
		"\"weight\": 100}]]}";

	/* symmetric: yes_not is refused as the loader refuses it */
	assert_non_null(text);
	assert_int_equal(export_buf(f, &ex, "chain.yaml", text), -EINVAL);
	expect_nerr(f, 1);
	expect_err(f, "chain.yaml", 10, 16, "symmetric must be true or false");
	junk = strstr(text, "yes_not");
	memcpy(junk, "true   ", 7);

	src = (struct pp_config_source){ "chain.yaml", text, strlen(text) };
	pp_errors_free(&f->errs);
	f->ret = pp_config_load_buffers(&src, 1, &direct, &f->errs);
	expect_nerr(f, 0);

	assert_int_equal(export_buf(f, &ex, "chain.yaml", text), 0);
	/* the chain comes last, after the ports its hops name */
	assert_string_equal(ex->objs[ex->n - 1].kind, "chains");
	assert_string_equal(ex->objs[ex->n - 1].json, want);
	assert_int_equal(ex->objs[ex->n - 1].loc.line, 4);
	doc = render_like_api(ex);
	src = (struct pp_config_source){ "api", doc, strlen(doc) };
	pp_errors_free(&f->errs);
	f->ret = pp_config_load_buffers(&src, 1, &api, &f->errs);
	if (f->ret)
		print_message("%s\n", doc);
	expect_nerr(f, 0);
	assert_same_model(direct, api);
	assert_int_equal(api->n_chains, 1);
	assert_int_equal(pp_config_find_chain(api, "web")->hops[1].inst[0].weight, 100);
	assert_int_equal(pp_config_find_sport(api, "dpi-io")->chain_role,
			 PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT);

	pp_config_free(direct);
	pp_config_free(api);
	pp_export_free(ex);
	free(doc);
	free(text);
}

/* What the loader refuses, export refuses with the same errors. */
static void test_export_same_errors(void **state)
{
	static const char *const files[] = {
		"networks: &a [*a]\n",
		"networks:\n  n1: {device: d1}\n  n1: {device: d2}\n",
		"networks:\n  n1: {device: d1, device: d2}\n",
		"networks: {x: {device: dx}}\n" IPORT_HEAD "      s: {untagged: yes, bind: {network: x}}\n",
		"networks: {x: {device: dx}}\n" IPORT_HEAD "      s: {vlan: 0x10, bind: {network: x}}\n",
		"networks: {x: {device: dx}}\n" IPORT_HEAD "      s: {vlan: \"100\", bind: {network: x}}\n",
		"networks: {x: {device: dx}}\n" IPORT_HEAD "      s: {vlan: 1e2, bind: {network: x}}\n",
		"networks: {x: {device: dx}}\n" IPORT_HEAD "      s: {vlan: +100, bind: {network: x}}\n",
		"networks:\n  n1: {device: d1, mtu: 9000.0}\n",
		"networks:\n  n1: {device: ~}\n",
		"l3-domains:\n  d: {table: 252, subnets: []}\n",
		"l3-domains:\n  d: {table: 1, subnets: [{cidr: 10.0.0.0/8, gateway: 10.0.0.1}]}\n"
		IPORT_HEAD "      s: {vlan: 1, addresses: [10.0.0.1/8], bind: {l3: {domain: d}, network: x}}\n",
		"networks:\n  n1: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
	};
	struct fx *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct pp_config_source src = { "a.yaml", files[i], strlen(files[i]) };
		struct pp_errors le = PP_ERRORS_INIT;
		struct pp_config *cfg = NULL;
		struct pp_export *ex = NULL;
		int lr;

		lr = pp_config_load_buffers(&src, 1, &cfg, &le);
		assert_int_equal(export_buf(f, &ex, "a.yaml", files[i]), lr);
		assert_int_equal(lr, -EINVAL);
		assert_int_equal(f->errs.n, le.n);
		for (size_t e = 0; e < le.n; e++) {
			char a[512], b[512];

			pp_error_format(&le.v[e], a, sizeof(a));
			pp_error_format(&f->errs.v[e], b, sizeof(b));
			print_message("      %s\n", b);
			assert_string_equal(a, b);
		}
		pp_errors_free(&le);
	}
}

/* Several files at once (the fuzzer's way in): networks of every file
 * first, then instance ports with their service ports, then the rest. */
static void test_export_several_buffers(void **state)
{
	static const char a[] =
		"service-ports:\n  t1: {instance-port: p, vlan: 9, bind: {network: nb}}\n"
		"networks:\n  na: {device: pa0}\n";
	static const char b[] =
		IPORT_HEAD "      s1: {vlan: 1, bind: {network: na}}\n"
		"networks:\n  nb: {device: pb0}\n";
	struct pp_config_source src[2] = { { "a.yaml", a, sizeof(a) - 1 },
					   { "b.yaml", b, sizeof(b) - 1 } };
	static const char *const order[] = { "na", "nb", "p", "s1", "t1" };
	struct fx *f = *state;
	struct pp_export *ex = NULL;

	f->ret = pp_config_export_buffers(src, 2, &ex, &f->errs);
	expect_nerr(f, 0);
	assert_int_equal(ex->n, ARRAY_SIZE(order));
	for (size_t i = 0; i < ex->n; i++)
		assert_string_equal(ex->objs[i].name, order[i]);
	assert_string_equal(ex->objs[0].loc.file, "a.yaml");
	assert_string_equal(ex->objs[1].loc.file, "b.yaml");
	assert_int_equal(ex->objs[4].loc.line, 2);
	pp_export_free(ex);

	/* an empty file exports nothing, and is no error */
	src[0].len = 0;
	src[1] = (struct pp_config_source){ "c.yaml", "# nothing\n", 10 };
	f->ret = pp_config_export_buffers(src, 2, &ex, &f->errs);
	expect_nerr(f, 0);
	assert_int_equal(ex->n, 0);
	pp_export_free(ex);
}

/*
 * Instance ports with an id (issue 18): exported with it, a device "" (the
 * API's "none") left out; the same model through the API; found by id, and
 * one without a device is no tap's.
 */
static void test_export_iport_id(void **state)
{
	static const char text[] =
		"instance-ports:\n"
		"  vm-a: {id: 8a1c5f2e-1b2d-4e5f-9a0b-0c1d2e3f4a5b, mac: 52:54:00:0d:00:01}\n"
		"  vm-b: {device: tap-b, id: \"42\", mac: 52:54:00:0d:00:02}\n"
		"  vm-c: {device: \"\", id: port.c_1:x, mac: 52:54:00:0d:00:03}\n";
	static const char *const want[] = {
		"{\"name\": \"vm-a\", \"id\": \"8a1c5f2e-1b2d-4e5f-9a0b-0c1d2e3f4a5b\", "
		"\"mac\": \"52:54:00:0d:00:01\"}",
		"{\"name\": \"vm-b\", \"device\": \"tap-b\", \"id\": \"42\", "
		"\"mac\": \"52:54:00:0d:00:02\"}",
		"{\"name\": \"vm-c\", \"id\": \"port.c_1:x\", \"mac\": \"52:54:00:0d:00:03\"}",
	};
	struct pp_config_source src = { "ids.yaml", text, sizeof(text) - 1 };
	struct pp_config *direct = NULL, *api = NULL;
	struct pp_export *ex = NULL;
	char *doc;

	struct fx *f = *state;

	f->ret = pp_config_load_buffers(&src, 1, &direct, &f->errs);
	expect_nerr(f, 0);
	assert_int_equal(export_buf(f, &ex, "ids.yaml", text), 0);
	assert_int_equal(ex->n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ex->n; i++)
		assert_string_equal(ex->objs[i].json, want[i]);
	doc = render_like_api(ex);
	src = (struct pp_config_source){ "api", doc, strlen(doc) };
	f->ret = pp_config_load_buffers(&src, 1, &api, &f->errs);
	expect_nerr(f, 0);
	assert_same_model(direct, api);

	assert_string_equal(api->iports[0].device, "");
	assert_string_equal(api->iports[2].device, "");
	assert_ptr_equal(pp_config_find_iport_by_id(api, "8a1c5f2e-1b2d-4e5f-9a0b-0c1d2e3f4a5b"),
			 &api->iports[0]);
	assert_ptr_equal(pp_config_find_iport_by_id(api, "42"), &api->iports[1]);
	assert_ptr_equal(pp_config_find_iport_by_id(api, "port.c_1:x"), &api->iports[2]);
	assert_null(pp_config_find_iport_by_id(api, "port.c_1"));
	assert_null(pp_config_find_iport_by_id(api, ""));
	assert_null(pp_config_find_iport_by_id(api, "vm-a"));
	assert_ptr_equal(pp_config_find_iport_by_device(api, "tap-b"), &api->iports[1]);
	assert_null(pp_config_find_iport_by_device(api, ""));

	pp_config_free(direct);
	pp_config_free(api);
	pp_export_free(ex);
	free(doc);
}

CFG_TOPIC(export,
	  T(test_export_scalars_typed_as_read),
	  T(test_export_round_trip),
	  T(test_export_same_errors),
	  T(test_export_several_buffers),
	  T(test_export_chains_round_trip),
	  T(test_export_iport_id));
