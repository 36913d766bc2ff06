/*
 * Binding-file tests of the scalar values read: their defaults, MACs in
 * either case, addresses. The error cases of the values are in
 * values.cases.
 */
#include <errno.h>
#include <string.h>

#include "cfgtest.h"

static void test_values_and_defaults(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_iport *ip;
	const struct pp_cfg_network *n;
	const uint8_t m[6] = { 0x02, 0xab, 0xcd, 0xef, 0x00, 0x10 };

	load(f, "a.yaml",
	     "networks:\n"
	     "  n1: {device: eth0.100, mtu: 9000, vlan: 4094}\n"
	     "  n2: {device: \"br-x\"}\n"
	     "instance-ports:\n"
	     "  a: {device: tap-a, mac: 02:AB:cd:EF:00:10, mtu: 9000, mode: xdp,\n"
	     "      service-ports: {a1: {vlan: 1, bind: {network: n1}}}}\n"
	     "  b: {device: tap-b, mac: 02:00:00:00:00:01, mode: tc}\n"
	     "  c:\n"
	     "    device: tap-c\n"
	     "    mac: 02:00:00:00:00:02\n"
	     "    service-ports:\n",
	     NULL);
	expect_nerr(f, 0);
	n = pp_config_find_network(f->cfg, "n1");
	assert_int_equal(n->mtu, 9000);
	assert_int_equal(n->vlan, 4094);
	assert_string_equal(n->device, "eth0.100");
	n = pp_config_find_network(f->cfg, "n2");
	assert_int_equal(n->mtu, 1500);
	assert_int_equal(n->vlan, 0);
	assert_string_equal(n->device, "br-x");
	ip = pp_config_find_iport(f->cfg, "a");
	assert_int_equal(ip->mode, PP_MODE_XDP);
	assert_int_equal(ip->mtu, 9000);
	assert_memory_equal(ip->mac, m, 6);	/* either case */
	assert_int_equal(ip->sport_count, 1);
	ip = pp_config_find_iport(f->cfg, "b");
	assert_int_equal(ip->mode, PP_MODE_TC);
	assert_int_equal(ip->mtu, 1500);
	assert_int_equal(ip->sport_first, 1);
	assert_int_equal(ip->sport_count, 0);
	ip = pp_config_find_iport(f->cfg, "c");	/* empty service-ports: */
	assert_int_equal(ip->mode, PP_MODE_AUTO);
	assert_int_equal(ip->sport_count, 0);
}

/* (the files of the case test_mac_values of values.cases, with only its
 * valid MAC) */
static void test_mac_values_upper_case(void **state)
{
	struct fx *f = *state;
	const uint8_t up[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

	/* upper case is fine */
	load(f,
	     "a.yaml",
	     "instance-ports:\n"
	     "  p8: {device: t8, mac: 02:AA:bb:Cc:DD:ee}\n",
	     "b.yaml", "networks: {x: {device: dx}}\n",
	     NULL);
	expect_nerr(f, 0);
	assert_memory_equal(f->cfg->iports[0].mac, up, 6);
}

static void test_addr_parse(void **state)
{
	struct pp_cfg_addr a;

	(void)state;
	assert_int_equal(pp_addr_parse("10.0.0.1", 8, &a, false), 0);
	assert_int_equal(a.plen, 32);
	assert_int_equal(pp_addr_parse("10.0.0.1", 8, &a, true), -EINVAL);
	assert_int_equal(pp_addr_parse("10.0.0.0/0", 10, &a, true), 0);
	assert_int_equal(a.plen, 0);
	assert_int_equal(pp_addr_parse("10.0.0.0/08", 11, &a, true), -EINVAL);
	assert_int_equal(pp_addr_parse("::/128", 6, &a, true), 0);
	assert_int_equal(a.family, PP_AF_INET6);
	assert_int_equal(pp_addr_parse("::/129", 6, &a, true), -EINVAL);
	assert_int_equal(pp_addr_parse("1.2.3.4/", 8, &a, false), -EINVAL);
	assert_int_equal(pp_addr_parse("1.2.3", 5, &a, false), -EINVAL);
}

CFG_TOPIC(values,
	  T(test_values_and_defaults),
	  T(test_mac_values_upper_case),
	  T(test_addr_parse));
