/*
 * Binding-file tests of the L3 domains (issue 16): the model of a valid
 * configuration, field by field, and the limits of a domain's lists; the
 * error cases are in l3.cases.
 */
#include <stdlib.h>
#include <string.h>

#include "cfgtest.h"

static const char model_a[] =
	"networks:\n"
	"  na: {device: pa0}\n"
	"l3-domains:\n"
	"  red:\n"					/* 4 */
	"    table: 1001\n"
	"    mtu: 1400\n"
	"    mac: 02:00:00:00:10:01\n"
	"    subnets:\n"
	"      - {cidr: 10.1.0.0/24, gateway: 10.1.0.1}\n"	/* 9 */
	"      - {cidr: \"fd00:1::/64\", gateway: \"fd00:1::1\"}\n"
	"    uplinks:\n"
	"      - {device: up-red, addresses: [192.0.2.2/30, \"2001:db8:1::2/64\"]}\n"
	"      - {device: up-red2, addresses: [198.51.100.2/24]}\n"
	"    routes:\n"
	"      - {to: 0.0.0.0/0, via: 192.0.2.1}\n"		/* 15 */
	"      - {to: \"::/0\", via: \"2001:db8:1::1\"}\n"
	"      - {to: 203.0.113.0/24, via: 198.51.100.1}\n"
	"  blue: {table: 4294967295, subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.254}]}\n"
	"instance-ports:\n"
	"  sf1:\n"
	"    device: tap-sf1\n"
	"    mac: 52:54:00:00:00:01\n"
	"    service-ports:\n"
	"      sf1-red:\n"
	"        vlan: 500\n"
	"        addresses: [10.1.0.5/24, \"fd00:1::5/64\"]\n"
	"        bind:\n"
	"          l3: {domain: red, routes: [{to: 172.16.0.0/16}, {to: \"fd00:99::/48\"}]}\n"
	"          security: {}\n"
	"          responder: {}\n"
	"          dhcp: {}\n"
	"      sf1-na: {vlan: 100, bind: {network: na}}\n";

/* b.yaml: a top-level service port bound to a domain of a.yaml */
static const char model_b[] =
	"service-ports:\n"
	"  sf1-blue: {instance-port: sf1, vlan: 600, addresses: [10.1.0.5/24],\n"
	"             bind: {l3: {domain: blue}}}\n";

static void expect_addr(const struct pp_cfg_addr *a, const char *want)
{
	char s[64];

	pp_addr_format(a, true, s, sizeof(s));
	assert_string_equal(s, want);
}

static void test_l3_model(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_l3domain *red, *blue;
	const struct pp_cfg_sport *sp;
	uint8_t mac[6];
	static const uint8_t red_mac[6] = { 0x02, 0, 0, 0, 0x10, 0x01 };

	load(f, "a.yaml", model_a, "b.yaml", model_b, NULL);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_l3domains, 2);
	assert_int_equal(f->cfg->n_networks, 1);

	red = pp_config_find_l3domain(f->cfg, "red");
	assert_ptr_equal(red, &f->cfg->l3domains[0]);
	assert_string_equal(red->name, "red");
	assert_int_equal(red->table, 1001);
	assert_int_equal(red->mtu, 1400);
	assert_memory_equal(red->gw_mac, red_mac, 6);
	assert_true(red->gw_mac_explicit);
	assert_string_equal(red->loc.file, "a.yaml");
	assert_int_equal(red->loc.line, 4);
	assert_int_equal(red->loc.col, 3);

	assert_int_equal(red->n_subnets, 2);
	assert_int_equal(red->subnets[0].cidr.family, PP_AF_INET);
	expect_addr(&red->subnets[0].cidr, "10.1.0.0/24");
	expect_addr(&red->subnets[0].gateway, "10.1.0.1/32");
	assert_int_equal(red->subnets[0].loc.line, 9);
	assert_int_equal(red->subnets[0].loc.col, 9);
	assert_int_equal(red->subnets[1].cidr.family, PP_AF_INET6);
	expect_addr(&red->subnets[1].cidr, "fd00:1::/64");
	expect_addr(&red->subnets[1].gateway, "fd00:1::1/128");

	assert_int_equal(red->n_uplinks, 2);
	assert_string_equal(red->uplinks[0].device, "up-red");
	assert_int_equal(red->uplinks[0].n_addrs, 2);
	expect_addr(&red->uplinks[0].addrs[0], "192.0.2.2/30");
	expect_addr(&red->uplinks[0].addrs[1], "2001:db8:1::2/64");
	assert_string_equal(red->uplinks[1].device, "up-red2");
	assert_int_equal(red->uplinks[1].n_addrs, 1);
	expect_addr(&red->uplinks[1].addrs[0], "198.51.100.2/24");

	assert_int_equal(red->n_routes, 3);
	expect_addr(&red->routes[0].to, "0.0.0.0/0");
	expect_addr(&red->routes[0].via, "192.0.2.1/32");
	assert_int_equal(red->routes[0].loc.line, 15);
	expect_addr(&red->routes[1].to, "::/0");
	expect_addr(&red->routes[1].via, "2001:db8:1::1/128");
	expect_addr(&red->routes[2].to, "203.0.113.0/24");
	expect_addr(&red->routes[2].via, "198.51.100.1/32");

	/* the defaults: mtu, the gateway MAC derived from the name */
	blue = pp_config_find_l3domain(f->cfg, "blue");
	assert_ptr_equal(blue, &f->cfg->l3domains[1]);
	assert_int_equal(blue->table, 4294967295u);
	assert_int_equal(blue->mtu, PP_MTU_DEFAULT);
	pp_gateway_mac("blue", mac);
	assert_memory_equal(blue->gw_mac, mac, 6);
	assert_false(blue->gw_mac_explicit);
	assert_int_equal(blue->n_subnets, 1);
	expect_addr(&blue->subnets[0].gateway, "10.1.0.254/32");
	assert_int_equal(blue->n_uplinks, 0);
	assert_int_equal(blue->n_routes, 0);

	/* one namespace of names, two lookups */
	assert_null(pp_config_find_l3domain(f->cfg, "na"));
	assert_null(pp_config_find_network(f->cfg, "red"));
	assert_null(pp_config_find_l3domain(f->cfg, "nope"));

	sp = pp_config_find_sport(f->cfg, "sf1-red");
	assert_non_null(sp);
	assert_int_equal(sp->l3domain, 0);
	assert_int_equal(sp->network, PP_NO_INDEX);
	assert_int_equal(sp->n_addrs, 2);
	expect_addr(&sp->addrs[0], "10.1.0.5/24");
	expect_addr(&sp->addrs[1], "fd00:1::5/64");
	assert_int_equal(sp->n_l3_routes, 2);
	expect_addr(&sp->l3_routes[0].to, "172.16.0.0/16");
	assert_int_equal(sp->l3_routes[0].via.family, PP_AF_NONE);
	expect_addr(&sp->l3_routes[1].to, "fd00:99::/48");
	assert_true(sp->security);
	assert_true(sp->responder);
	assert_true(sp->dhcp);
	assert_int_equal(sp->match, PP_MATCH_VLAN);
	assert_int_equal(sp->outer_vid, 500);

	/* a top-level service port of another file, in the other domain */
	sp = pp_config_find_sport(f->cfg, "sf1-blue");
	assert_non_null(sp);
	assert_true(sp->toplevel);
	assert_int_equal(sp->l3domain, 1);
	assert_int_equal(sp->network, PP_NO_INDEX);
	assert_int_equal(sp->n_l3_routes, 0);

	/* a network's port binds no domain */
	sp = pp_config_find_sport(f->cfg, "sf1-na");
	assert_non_null(sp);
	assert_int_equal(sp->network, 0);
	assert_int_equal(sp->l3domain, PP_NO_INDEX);
}

/* A domain with n entries of one list (what: "subnets", "uplinks",
 * "routes") or a port with n routes ("port-routes"), each entry on a line
 * of its own: entry i is on line first + i. */
static char *l3_list(const char *what, unsigned int n, unsigned int *first)
{
	char *b = NULL;
	size_t len = 0, cap = 0;

	add_sport(&b, &len, &cap,
		  "l3-domains:\n"
		  "  red:\n"
		  "    table: 7\n"
		  "    subnets:\n");
	if (!strcmp(what, "subnets")) {
		*first = 5;
		for (unsigned int i = 0; i < n; i++)
			add_sport(&b, &len, &cap, "      - {cidr: 10.%u.0.0/16, gateway: 10.%u.0.1}\n",
				  i, i);
		return b;
	}
	add_sport(&b, &len, &cap, "      - {cidr: 10.0.0.0/16, gateway: 10.0.0.1}\n"
				  "    uplinks:\n");
	if (!strcmp(what, "uplinks")) {
		*first = 7;
		for (unsigned int i = 0; i < n; i++)
			add_sport(&b, &len, &cap, "      - {device: up%u, addresses: [192.0.%u.2/24]}\n",
				  i, i);
		return b;
	}
	add_sport(&b, &len, &cap, "      - {device: up0, addresses: [192.0.2.2/24]}\n");
	if (!strcmp(what, "routes")) {
		add_sport(&b, &len, &cap, "    routes:\n");
		*first = 9;
		for (unsigned int i = 0; i < n; i++)
			add_sport(&b, &len, &cap, "      - {to: 172.%u.%u.0/24, via: 192.0.2.1}\n",
				  16 + i / 256, i % 256);
		return b;
	}
	add_sport(&b, &len, &cap,
		  "instance-ports:\n"
		  "  p:\n"
		  "    device: tap-p\n"
		  "    mac: 52:54:00:00:00:01\n"
		  "    service-ports:\n"
		  "      s:\n"
		  "        vlan: 1\n"
		  "        addresses: [10.0.0.5/16]\n"
		  "        bind:\n"
		  "          l3:\n"
		  "            domain: red\n"
		  "            routes:\n");
	*first = 20;
	for (unsigned int i = 0; i < n; i++)
		add_sport(&b, &len, &cap, "              - {to: 172.16.%u.0/24}\n", i);
	return b;
}

static void test_l3_limits(void **state)
{
	static const struct {
		const char *what;
		unsigned int max;
		unsigned int col;
		const char *msg;
	} lists[] = {
		{ "subnets", PP_L3_SUBNETS_MAX, 9, "too many subnets (limit 16)" },
		{ "uplinks", PP_L3_UPLINKS_MAX, 9, "too many uplinks (limit 4)" },
		{ "routes", PP_L3_ROUTES_MAX, 9, "too many routes (limit 64)" },
		{ "port-routes", PP_L3_PORT_ROUTES_MAX, 17, "too many l3 routes (limit 8)" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		unsigned int first;
		char *text = l3_list(lists[i].what, lists[i].max, &first);

		/* the limit itself is fine */
		print_message("      %s: %u\n", lists[i].what, lists[i].max);
		load(f, "a.yaml", text, NULL);
		expect_nerr(f, 0);
		free(text);

		/* one more is refused at the entry past it, once */
		text = l3_list(lists[i].what, lists[i].max + 2, &first);
		print_message("      %s: %u\n", lists[i].what, lists[i].max + 2);
		load(f, "a.yaml", text, NULL);
		expect_nerr(f, 1);
		expect_err(f, "a.yaml", first + lists[i].max, lists[i].col, lists[i].msg);
		free(text);
	}
}

CFG_TOPIC(l3,
	  T(test_l3_model),
	  T(test_l3_limits));
