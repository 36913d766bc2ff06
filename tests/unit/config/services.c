/*
 * Binding-file tests of the services (issue 6, issue 12): gateways,
 * addresses, security (allowed pairs, rules, allow-dhcp-server, allow-ra),
 * responder and dhcp, in files and through the API's JSON. Their error
 * cases are in services.cases.
 */
#include "cfgtest.h"

/* Networks with a gateway (na) and without (nb), for the services. */
#define NETS_GW							\
	"networks:\n"						\
	"  na:\n"						\
	"    device: pa0\n"					\
	"    gateway: {ipv4: 10.0.0.1, ipv6: \"fd00:a::1\"}\n"	\
	"  nb: {device: pb0}\n"

/* The two files of test_services_full up to the bind of their s2. */
#define SERVICES_FULL_HEAD						\
	NETS_GW								\
	"  nc:\n"							\
	"    device: pc0\n"						\
	"    gateway: {ipv4: 10.1.0.1, mac: 02:00:00:00:00:fe}\n"	\
	IPORT_HEAD							\
	"      s1:\n"							\
	"        vlan: 100\n"						\
	"        addresses: [10.0.0.5/24, \"fd00:a::5/64\"]\n"		\
	"        bind:\n"						\
	"          network: na\n"					\
	"          security:\n"						\
	"            allowed-pairs: [{mac: 52:54:00:00:00:10, ip: 10.0.0.50}, {mac: 52:54:00:00:00:11}]\n" \
	"            ingress: [{proto: tcp, ports: 22, from: 10.0.0.0/24}, {proto: icmp, icmp-type: 8}]\n" \
	"            egress: [{proto: udp, ports: 1000-2000, to: \"fd00::/8\", action: drop}, {action: allow}]\n" \
	"            default: allow\n"					\
	"          responder: {}\n"					\
	"          dhcp: {dns: [10.0.0.2, 10.0.0.3], lease: 3600, mtu: 1400, routes: [{to: 192.168.0.0/16, via: 10.0.0.1}]}\n" \
	"      s2:\n"							\
	"        vlan: 200\n"

/* A gateway network and one service port, beside which the API adds. */
#define GW_S1 NETS_GW IPORT_HEAD "      s1: {vlan: 1, bind: {network: na}}\n"

static void test_services_full(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_network *n;
	const struct pp_cfg_sport *s;
	const struct pp_cfg_rule *r;
	uint8_t gwmac[6];
	char buf[64];

	load(f,
	     "a.yaml",
	     SERVICES_FULL_HEAD
	     "        bind: {network: nb, security: {}, responder: , dhcp: }\n",
	     NULL);
	/* s2: dhcp without gateway ipv4 and without an IPv4 address */
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 28, 56,
		   "dhcp on service port \"s2\" needs a gateway ipv4 on network \"nb\"");
	expect_err(f, "a.yaml", 28, 56,
		   "dhcp on service port \"s2\" needs an IPv4 address in its addresses");

	load(f,
	     "a.yaml",
	     SERVICES_FULL_HEAD
	     "        bind: {network: nb, security: {}, responder: }\n"
	     "      s3:\n"
	     "        vlan: 300\n"
	     "        mac: 52:54:00:00:00:03\n"
	     "        addresses: [10.1.0.7/16]\n"
	     "        bind: {network: nc, dhcp: {}}\n",
	     NULL);
	expect_nerr(f, 0);

	n = pp_config_find_network(f->cfg, "na");
	assert_non_null(n);
	assert_true(n->has_gateway);
	assert_int_equal(n->gw4.family, PP_AF_INET);
	pp_addr_format(&n->gw4, false, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1");
	pp_addr_format(&n->gw6, false, buf, sizeof(buf));
	assert_string_equal(buf, "fd00:a::1");
	assert_false(n->gw_mac_explicit);
	pp_gateway_mac("na", gwmac);
	assert_memory_equal(n->gw_mac, gwmac, 6);
	assert_int_equal(n->gw_mac[0], 0x02);	/* locally administered, unicast */
	pp_gateway_mac("nb", gwmac);
	assert_memory_not_equal(n->gw_mac, gwmac, 6);
	n = pp_config_find_network(f->cfg, "nb");
	assert_false(n->has_gateway);
	n = pp_config_find_network(f->cfg, "nc");
	assert_true(n->gw_mac_explicit);
	assert_int_equal(n->gw_mac[5], 0xfe);
	assert_int_equal(n->gw6.family, PP_AF_NONE);

	s = pp_config_find_sport(f->cfg, "s1");
	assert_int_equal(s->n_addrs, 2);
	pp_addr_format(&s->addrs[0], true, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.5/24");
	pp_addr_format(&s->addrs[1], true, buf, sizeof(buf));
	assert_string_equal(buf, "fd00:a::5/64");
	assert_true(s->security && s->responder && s->dhcp);
	assert_int_equal(s->n_pairs, 2);
	assert_true(s->pairs[0].has_ip);
	assert_int_equal(s->pairs[0].ip.plen, 32);
	assert_false(s->pairs[1].has_ip);
	assert_int_equal(s->pairs[1].mac[5], 0x11);
	assert_int_equal(s->n_ingress, 2);
	assert_int_equal(s->n_egress, 2);
	assert_true(s->default_allow);
	r = &f->cfg->rules[s->rule_first];
	assert_int_equal(r[0].dir, PP_RULE_INGRESS);
	assert_int_equal(r[0].proto, 6);
	assert_int_equal(r[0].port_lo, 22);
	assert_int_equal(r[0].port_hi, 22);
	assert_int_equal(r[0].from.plen, 24);
	assert_int_equal(r[0].allow, 1);
	assert_int_equal(r[1].proto, 1);
	assert_true(r[1].has_icmp_type);
	assert_int_equal(r[1].icmp_type, 8);
	assert_int_equal(r[2].dir, PP_RULE_EGRESS);
	assert_int_equal(r[2].port_lo, 1000);
	assert_int_equal(r[2].port_hi, 2000);
	assert_int_equal(r[2].to.family, PP_AF_INET6);
	assert_int_equal(r[2].allow, 0);
	assert_int_equal(r[3].proto, 0);
	assert_int_equal(r[3].allow, 1);
	assert_int_equal(r[0].loc.line, 21);
	assert_int_equal(s->n_dns, 2);
	assert_int_equal(s->dns[1][3], 3);
	assert_int_equal(s->lease, 3600);
	assert_int_equal(s->dhcp_mtu, 1400);
	assert_int_equal(s->n_routes, 1);
	assert_int_equal(s->routes[0].to.plen, 16);
	assert_int_equal(s->routes[0].via[3], 1);

	s = pp_config_find_sport(f->cfg, "s2");
	assert_true(s->security && s->responder && !s->dhcp);
	assert_int_equal(s->n_ingress + s->n_egress + s->n_pairs + s->n_addrs, 0);
	assert_false(s->default_allow);		/* default: drop */
	s = pp_config_find_sport(f->cfg, "s3");
	assert_true(s->dhcp && !s->security && !s->responder);
	assert_int_equal(s->lease, PP_LEASE_DEFAULT);
	assert_int_equal(s->dhcp_mtu, 0);	/* the network's */
	assert_int_equal(s->n_dns + s->n_routes, 0);
}

static void test_services_api_json(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_sport *s;

	load(f, "a.yaml", GW_S1, NULL);
	expect_nerr(f, 0);
	load_api(f, "{\"service-ports\": {\"x\": {\"instance-port\": \"p\", \"vlan\": 7, "
		    "\"mac\": \"02:00:00:00:00:07\", \"addresses\": [\"10.0.0.7/24\"], "
		    "\"bind\": {\"network\": \"na\", \"responder\": {}, \"dhcp\": {\"lease\": 600}, "
		    "\"security\": {\"ingress\": [{\"proto\": \"tcp\", \"ports\": \"22\"}]}}}}}");
	expect_nerr(f, 0);
	s = pp_config_find_sport(f->cfg, "x");
	assert_non_null(s);
	assert_true(s->responder && s->dhcp && s->security);
	assert_int_equal(s->lease, 600);
	assert_int_equal(s->n_ingress, 1);
	assert_int_equal(f->cfg->rules[s->rule_first].port_lo, 22);
}

/* security: allow-dhcp-server and allow-ra (issue 12): booleans, off by default */
static void test_services_allow_servers(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_sport *s;

	load(f,
	     "a.yaml",
	     NETS_GW IPORT_HEAD
	     "      s1:\n"
	     "        vlan: 1\n"
	     "        bind:\n"
	     "          network: na\n"
	     "          security: {allow-dhcp-server: true, allow-ra: True}\n"
	     "      s2: {vlan: 2, mac: 02:00:00:00:00:02, bind: {network: na, security: {allow-ra: false}}}\n"
	     "      s3: {vlan: 3, mac: 02:00:00:00:00:03, bind: {network: na, security: {}}}\n",
	     NULL);
	expect_nerr(f, 0);
	s = pp_config_find_sport(f->cfg, "s1");
	assert_true(s->security && s->allow_dhcp_server && s->allow_ra);
	s = pp_config_find_sport(f->cfg, "s2");
	assert_true(s->security && !s->allow_dhcp_server && !s->allow_ra);
	s = pp_config_find_sport(f->cfg, "s3");
	assert_true(s->security && !s->allow_dhcp_server && !s->allow_ra);

	/* through the API: JSON booleans */
	load(f, "a.yaml", GW_S1, NULL);
	expect_nerr(f, 0);
	load_api(f, "{\"service-ports\": {\"x\": {\"instance-port\": \"p\", \"vlan\": 7, "
		    "\"mac\": \"02:00:00:00:00:07\", \"bind\": {\"network\": \"na\", "
		    "\"security\": {\"allow-dhcp-server\": false, \"allow-ra\": true}}}}}");
	expect_nerr(f, 0);
	s = pp_config_find_sport(f->cfg, "x");
	assert_true(s->security && !s->allow_dhcp_server && s->allow_ra);
}

CFG_TOPIC(services,
	  T(test_services_full),
	  T(test_services_api_json),
	  T(test_services_allow_servers));
