/*
 * Binding-file tests of the service ports read; their error cases (match
 * keys, matches taken twice, the untagged wire, MACs on a network,
 * bindings, devices and taps claimed twice) are in ports.cases.
 */
#include "cfgtest.h"

/* (the case test_srcmac_with_other_mac of ports.cases without its s1) */
static void test_srcmac_with_equal_mac(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s2: {src-mac: 02:00:00:00:00:0b, mac: 02:00:00:00:00:0B, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 0);
	assert_true(f->cfg->sports[0].mac_explicit);
	assert_int_equal(f->cfg->sports[0].mac[5], 0x0b);
}

CFG_TOPIC(ports,
	  T(test_srcmac_with_equal_mac));
