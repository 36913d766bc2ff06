/*
 * Binding-file tests of stretched networks (issue 20): vxlan: {vni} in the
 * model, its export, and the host checks (pp_config_set_host: a VTEP, the
 * underlay's MTU minus the VXLAN overhead). Their error cases without a
 * host are in vxlan.cases.
 */
#include <errno.h>
#include <string.h>

#include "cfgtest.h"

/* The host is process-wide: every test that sets it unsets it, even when
 * an assertion fails (teardown). */
static int host_teardown(void **state)
{
	struct pp_config_host none = { 0 };

	pp_config_set_host(&none);
	return teardown(state);
}

#define TH(fn) cmocka_unit_test_setup_teardown(fn, setup, host_teardown)

static void set_host(uint8_t family, uint32_t underlay_mtu)
{
	struct pp_config_host h = { true, family, underlay_mtu }, got;

	pp_config_set_host(&h);
	pp_config_get_host(&got);
	assert_true(got.set);
	assert_int_equal(got.vtep_family, family);
	assert_int_equal(got.underlay_mtu, underlay_mtu);
}

static void test_vxlan_network(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_network *n;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  na: {vxlan: {vni: 16777215}, mtu: 1450, gateway: {ipv4: 10.0.0.1}}\n"
	     "  nb: {device: pb0, vlan: 7}\n"
	     IPORT_HEAD
	     "      s1: {vlan: 1, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 0);
	n = pp_config_find_network(f->cfg, "na");
	assert_non_null(n);
	assert_int_equal(n->vni, 16777215);
	assert_string_equal(n->device, "");
	assert_int_equal(n->vlan, 0);
	assert_int_equal(n->mtu, 1450);
	assert_int_equal(n->gw4.family, PP_AF_INET);
	n = pp_config_find_network(f->cfg, "nb");
	assert_int_equal(n->vni, 0);
	assert_string_equal(n->device, "pb0");
	assert_int_equal(f->cfg->sports[0].network, 0);

	/* the same through the API's JSON */
	load_api(f, "{\"networks\": {\"nc\": {\"vxlan\": {\"vni\": 1}}}}");
	expect_nerr(f, 0);
	assert_int_equal(pp_config_find_network(f->cfg, "nc")->vni, 1);
	assert_int_equal(pp_config_find_network(f->cfg, "na")->vni, 16777215);
}

/* polyportctl apply -f carries vxlan like any other key, vni a number */
static void test_vxlan_export(void **state)
{
	struct fx *f = *state;
	static const char text[] = "networks:\n  na: {vxlan: {vni: 42}, mtu: 1400}\n";
	struct pp_config_source src = { "a.yaml", text, strlen(text) };
	struct pp_export *ex = NULL;

	f->ret = pp_config_export_buffers(&src, 1, &ex, &f->errs);
	expect_nerr(f, 0);
	assert_non_null(ex);
	assert_int_equal(ex->n, 1);
	assert_string_equal(ex->objs[0].json,
			    "{\"name\": \"na\", \"vxlan\": {\"vni\": 42}, \"mtu\": 1400}");
	pp_export_free(ex);
}

/* Networks for the host checks: two stretched ones (one with the default
 * MTU), a device one whose MTU no underlay limits. */
#define HOST_NETS(mtu_a, mtu_b)						\
	"networks:\n"							\
	"  na: {vxlan: {vni: 1}, mtu: " mtu_a "}\n"			\
	"  nb:\n"							\
	"    vxlan: {vni: 2}\n"						\
	"    mtu: " mtu_b "\n"						\
	"  nc: {vxlan: {vni: 3}}\n"					\
	"  nd: {device: pd0, mtu: 9000}\n"

static void test_vxlan_host_no_vtep(void **state)
{
	struct fx *f = *state;

	set_host(PP_AF_NONE, 0);
	load(f, "a.yaml", HOST_NETS("1400", "1400"), NULL);
	/* at each stretched network's vxlan key; the device network is fine */
	expect_nerr(f, 3);
	expect_err(f, "a.yaml", 2, 8,
		   "network \"na\" is stretched over VXLAN (vni 1) but polyportd runs without --vtep");
	expect_err(f, "a.yaml", 4, 5,
		   "network \"nb\" is stretched over VXLAN (vni 2) but polyportd runs without --vtep");
	expect_err(f, "a.yaml", 6, 8,
		   "network \"nc\" is stretched over VXLAN (vni 3) but polyportd runs without --vtep");

	/* without stretched networks, no VTEP is needed */
	load(f, "a.yaml", "networks:\n  nd: {device: pd0, mtu: 9000}\n", NULL);
	expect_nerr(f, 0);
}

static void test_vxlan_host_mtu_ipv4(void **state)
{
	struct fx *f = *state;

	set_host(PP_AF_INET, 1500);
	load(f, "a.yaml", HOST_NETS("1450", "1451"), NULL);
	/* nb at its mtu key, nc (default 1500) at its vxlan key */
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 5, 5,
		   "network \"nb\": mtu 1451 does not fit the VXLAN underlay (its device's mtu 1500 minus 50 bytes over IPv4: at most 1450)");
	expect_err(f, "a.yaml", 6, 8,
		   "network \"nc\": mtu 1500 does not fit the VXLAN underlay (its device's mtu 1500 minus 50 bytes over IPv4: at most 1450)");

	/* a jumbo underlay carries the default MTU */
	set_host(PP_AF_INET, 9000);
	load(f, "a.yaml", HOST_NETS("8950", "1451"), NULL);
	expect_nerr(f, 0);
}

static void test_vxlan_host_mtu_ipv6(void **state)
{
	struct fx *f = *state;

	set_host(PP_AF_INET6, 1500);
	load(f, "a.yaml", HOST_NETS("1430", "1431"), NULL);
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 5, 5,
		   "network \"nb\": mtu 1431 does not fit the VXLAN underlay (its device's mtu 1500 minus 70 bytes over IPv6: at most 1430)");
	expect_err(f, "a.yaml", 6, 8,
		   "network \"nc\": mtu 1500 does not fit the VXLAN underlay (its device's mtu 1500 minus 70 bytes over IPv6: at most 1430)");
}

/* Unset (polyportctl, the cluster's global check): no host check fires. */
static void test_vxlan_host_unset(void **state)
{
	struct fx *f = *state;
	struct pp_config_host h = { false, PP_AF_NONE, 0 }, got;

	set_host(PP_AF_INET6, 1280);
	pp_config_set_host(&h);
	pp_config_get_host(&got);
	assert_false(got.set);
	load(f, "a.yaml", HOST_NETS("9000", "1500"), NULL);
	expect_nerr(f, 0);
	/* set but with no VTEP family: only the VTEP error, no MTU error */
	set_host(PP_AF_NONE, 1280);
	load(f, "a.yaml", "networks:\n  na: {vxlan: {vni: 1}, mtu: 9000}\n", NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 2, 8, "polyportd runs without --vtep");
}

CFG_TOPIC(vxlan,
	  T(test_vxlan_network),
	  T(test_vxlan_export),
	  TH(test_vxlan_host_no_vtep),
	  TH(test_vxlan_host_mtu_ipv4),
	  TH(test_vxlan_host_mtu_ipv6),
	  TH(test_vxlan_host_unset));
