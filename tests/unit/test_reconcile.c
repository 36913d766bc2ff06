// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The reconcile pipeline (loader/reconcile.h) on real pinned maps, under a
 * scratch pin root: a configuration applied, changed and applied again,
 * checked in the maps and the statuses, and the error of a failing step.
 * No device is needed: every device named here is absent, so networks and
 * instance ports are DOWN and nothing is attached anywhere.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "chains.h"
#include "dump.h"
#include "l3.h"
#include "reconcile.h"
#include "log.h"
#include "services.h"
#include "util.h"
#include "xdpmode.h"
#include "../pins.h"

static char pin_root[128];
/* Few network ids (1..3) and pp_neigh entries (16): the steps can fail. */
static const struct pp_map_sizes sizes = { .max_ifindex = 256, .max_iports = 8,
					   .max_sports = 64, .max_nets = 4, .max_macs = 16,
					   .max_match = 64 };
static struct pp_daemon D;

/*
 * What the configurations here share: network net-a and instance port vm1
 * (the head of its block; the service ports follow).  Every device here is
 * absent: nothing on the host is touched.
 */
#define NET_A								\
	"  net-a:\n"							\
	"    device: ppt-rc-absent0\n"					\
	"    gateway: {ipv4: 10.0.0.1, ipv6: \"fd00:a::1\"}\n"
#define VM1								\
	"instance-ports:\n"						\
	"  vm1:\n"							\
	"    device: ppt-rc-tap0\n"					\
	"    mac: 52:54:00:00:00:01\n"					\
	"    service-ports:\n"

static const char cfg_a[] =
	"networks:\n"
	NET_A
	"  net-b:\n"
	"    device: ppt-rc-absent1\n"
	"    vlan: 3001\n"
	VM1
	"      vm1-a:\n"
	"        vlan: 100\n"
	"        addresses: [10.0.0.5/24]\n"
	"        bind:\n"
	"          network: net-a\n"
	"          security: {allowed-pairs: [{mac: 52:54:00:00:00:10, ip: 10.0.0.50}]}\n"
	"          responder: {}\n"
	"          dhcp: {dns: [10.0.0.2]}\n"
	"      vm1-b:\n"
	"        vlan: 200\n"
	"        mac: 52:54:00:00:00:02\n"
	"        bind: {network: net-b}\n"
	"      vm1-c:\n"
	"        vlan: 300\n"
	"        mac: 52:54:00:00:00:03\n"
	"        bind: {network: net-a}\n";

/* cfg_a changed: net-b and vm1-b gone, vm1-c on another VLAN, vm1-a without services. */
static const char cfg_b[] =
	"networks:\n"
	NET_A
	VM1
	"      vm1-a:\n"
	"        vlan: 100\n"
	"        addresses: [10.0.0.5/24]\n"
	"        bind: {network: net-a}\n"
	"      vm1-c:\n"
	"        vlan: 301\n"
	"        mac: 52:54:00:00:00:03\n"
	"        bind: {network: net-a}\n";

static int setup(void **state)
{
	(void)state;
	int err;

	pins_remove(pin_root);
	err = pp_daemon_open(&D, pin_root, &sizes);
	if (err)
		pins_remove(pin_root);	/* cmocka runs no teardown after a failed setup */
	return pins_opened("pp_daemon_open", err);
}

/* The chains' test: room for its classifiers' entries (pp_rule_* are sized by max_macs). */
static const struct pp_map_sizes chain_sizes = { .max_ifindex = 256, .max_iports = 8,
						 .max_sports = 64, .max_nets = 4, .max_macs = 256,
						 .max_match = 64 };

static int setup_chain(void **state)
{
	(void)state;
	int err;

	pins_remove(pin_root);
	err = pp_daemon_open(&D, pin_root, &chain_sizes);
	if (err)
		pins_remove(pin_root);
	return pins_opened("pp_daemon_open", err);
}

static int teardown(void **state)
{
	(void)state;
	pp_daemon_close(&D);
	pins_remove(pin_root);
	return 0;
}

static struct pp_config *load(const char *text)
{
	struct pp_config_source src = { .name = "test.yaml", .data = text, .len = strlen(text) };
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	int err = pp_config_load_buffers(&src, 1, &cfg, &errs);

	if (err)
		pp_errors_print(&errs, stderr);
	pp_errors_free(&errs);
	assert_int_equal(err, 0);
	return cfg;
}

/* pp_reconcile of a fresh model of text (the daemon takes it). */
static int apply(const char *text)
{
	return pp_reconcile(&D, load(text), false);
}

static const struct pp_maps *maps(void)
{
	return pp_daemon_maps(&D);
}

static __u32 id_of(__u32 kind, const char *name)
{
	return pp_daemon_name_id(&D, kind, name);
}

/* The pinned name (kind, name): its id, 0 if it has none. */
static __u32 pinned_id(__u32 kind, const char *name)
{
	struct pp_name_key k = { .kind = kind };
	struct pp_name_val v = { 0 };

	snprintf(k.name, sizeof(k.name), "%s", name);
	return pp_name_get(maps(), k, &v) ? 0 : v.id;
}

static void assert_status(__u32 kind, const char *name, enum pp_status s, const char *reason)
{
	const struct pp_obj_status *st = pp_daemon_status_by_name(&D, kind, name);

	assert_non_null(st);
	assert_string_equal(pp_status_name(st->status), pp_status_name(s));
	if (reason)
		assert_string_equal(st->reason, reason);
}

static __u32 vlan_owner(__u32 slot, __u16 vid)
{
	__u32 sport = 0;

	return pp_vlan_get(maps(), slot, vid, &sport) ? 0 : sport;
}

static bool fdb_has(__u32 net, __u8 last, __u32 *sport)
{
	struct pp_fdb_key k = { .net_id = net, .mac = { 0x52, 0x54, 0, 0, 0, last } };

	return !pp_fdb_get(maps(), k, sport);
}

static bool neigh_has_v4(__u32 net, __u8 a, __u8 b, __u8 c, __u8 e, struct pp_neigh *v)
{
	struct pp_neigh_key k = { .net_id = net, .family = PP_NEIGH_V4,
				  .addr = { a, b, c, e } };

	return !pp_neigh_get(maps(), k, v);
}

static bool sec_mac_has(__u32 sport, __u8 last)
{
	struct pp_sec_mac_key k = { .sport = sport, .mac = { 0x52, 0x54, 0, 0, 0, last } };
	__u32 one = 0;

	return !pp_sec_mac_get(maps(), k, &one) && one;
}

/* The ids cfg_a's names get. */
struct cfg_a_ids {
	__u32 na, nb, slot, a, b, c;
};

/* cfg_a applied: the ids of its names. */
static struct cfg_a_ids apply_cfg_a(void)
{
	assert_int_equal(apply(cfg_a), 0);
	return (struct cfg_a_ids){ .na = id_of(PP_NAME_NET, "net-a"),
				   .nb = id_of(PP_NAME_NET, "net-b"),
				   .slot = id_of(PP_NAME_IPORT, "vm1"),
				   .a = id_of(PP_NAME_SPORT, "vm1-a"),
				   .b = id_of(PP_NAME_SPORT, "vm1-b"),
				   .c = id_of(PP_NAME_SPORT, "vm1-c") };
}

/* A configuration applied: names, entries and statuses. */
static void test_apply(void **state)
{
	struct cfg_a_ids id;
	__u32 owner = 0;
	struct pp_sport sp = { 0 };
	struct pp_iport ip = { 0 };
	struct pp_net n = { 0 };
	struct pp_dhcp dh;
	struct pp_neigh ne = { 0 };

	(void)state;
	id = apply_cfg_a();
	assert_true(id.na && id.nb && id.slot && id.a && id.b && id.c);
	/* pinned as remembered */
	assert_int_equal(pinned_id(PP_NAME_NET, "net-a"), id.na);
	assert_int_equal(pinned_id(PP_NAME_IPORT, "vm1"), id.slot);
	assert_int_equal(pinned_id(PP_NAME_SPORT, "vm1-c"), id.c);
	assert_int_equal(pp_daemon_named(&D), 6);

	assert_int_equal(pp_net_get(maps(), id.nb, &n), 0);
	assert_int_equal(n.vlan, 3001);
	assert_int_equal(n.mtu, 1500);
	assert_int_equal(n.ifindex, 0);
	assert_int_equal(pp_iport_get(maps(), id.slot, &ip), 0);
	assert_int_equal(ip.mac[5], 1);
	assert_int_equal(ip.ifindex, 0);
	assert_int_equal(pp_sport_get(maps(), id.a, &sp), 0);
	assert_int_equal(sp.match, PP_MATCH_VLAN);
	assert_int_equal(sp.outer_vid, 100);
	assert_int_equal(sp.slot, id.slot);
	assert_int_equal(sp.net_id, id.na);
	assert_int_equal(sp.flags & (PP_SPORT_RESPONDER | PP_SPORT_SECURITY | PP_SPORT_DHCP),
			 PP_SPORT_RESPONDER | PP_SPORT_SECURITY | PP_SPORT_DHCP);
	assert_int_equal(vlan_owner(id.slot, 100), id.a);
	assert_int_equal(vlan_owner(id.slot, 200), id.b);
	assert_int_equal(vlan_owner(id.slot, 300), id.c);
	assert_true(fdb_has(id.na, 1, &owner) && owner == id.a);

	/* the services: responder addresses, DHCP, security's allowed pair */
	assert_true(neigh_has_v4(id.na, 10, 0, 0, 5, &ne));
	assert_int_equal(ne.mac[5], 1);
	assert_int_equal(ne.flags, 0);
	assert_true(neigh_has_v4(id.na, 10, 0, 0, 1, &ne));
	assert_int_equal(ne.flags, PP_NEIGH_ROUTER);
	assert_int_equal(pp_dhcp_get(maps(), id.a, &dh), 0);
	assert_true(sec_mac_has(id.a, 0x10));
	assert_true(fdb_has(id.na, 0x10, &owner) && owner == id.a);

	/* absent devices: waiting, not errors; the ports follow their tap */
	assert_status(PP_NAME_NET, "net-a", PP_ST_DOWN, "device ppt-rc-absent0 is absent (waiting)");
	assert_status(PP_NAME_IPORT, "vm1", PP_ST_DOWN, "tap ppt-rc-tap0 is absent (waiting)");
	assert_status(PP_NAME_SPORT, "vm1-b", PP_ST_DOWN,
		      "instance port vm1: tap ppt-rc-tap0 is absent (waiting)");
	assert_int_equal(pp_daemon_status_by_name(&D, PP_NAME_SPORT, "vm1-b")->id, id.b);
	assert_null(pp_daemon_status_by_name(&D, PP_NAME_SPORT, "nope"));
	assert_int_equal(pp_daemon_reconciles(&D), 1);
}

/*
 * A port with rules is marked as having them, per direction, in its own
 * entry: the programs then drop that direction's IP frames while its rule
 * set is not there (its entry is written before its rules), not allow them.
 */
static void test_rules_marked(void **state)
{
	struct pp_rule_set_key in = { .dir = PP_DIR_INGRESS }, out = { .dir = PP_DIR_EGRESS };
	struct pp_rule_set set;
	struct pp_sport sp = { 0 };
	__u32 a, b;

	(void)state;
	assert_int_equal(apply("networks:\n" NET_A VM1
			       "      vm1-a:\n"
			       "        vlan: 100\n"
			       "        bind:\n"
			       "          network: net-a\n"
			       "          security: {ingress: [{proto: tcp, ports: 22}]}\n"
			       "      vm1-b:\n"
			       "        vlan: 200\n"
			       "        mac: 52:54:00:00:00:02\n"
			       "        bind: {network: net-a, security: {}}\n"), 0);
	a = id_of(PP_NAME_SPORT, "vm1-a");
	b = id_of(PP_NAME_SPORT, "vm1-b");
	assert_true(a && b);
	assert_int_equal(pp_sport_get(maps(), a, &sp), 0);
	assert_int_equal(sp.flags & (PP_SPORT_SECURITY | PP_SPORT_RULES_IN | PP_SPORT_RULES_OUT),
			 PP_SPORT_SECURITY | PP_SPORT_RULES_IN);
	in.sport = out.sport = a;
	assert_int_equal(pp_rule_set_get(maps(), in, &set), 0);
	assert_int_equal(set.n, 1);
	assert_int_not_equal(pp_rule_set_get(maps(), out, &set), 0);
	/* security without rules: no mark, no set */
	assert_int_equal(pp_sport_get(maps(), b, &sp), 0);
	assert_int_equal(sp.flags & (PP_SPORT_SECURITY | PP_SPORT_RULES_IN | PP_SPORT_RULES_OUT),
			 PP_SPORT_SECURITY);
	in.sport = b;
	assert_int_not_equal(pp_rule_set_get(maps(), in, &set), 0);
}

/* A changed configuration: the difference written, what went removed. */
static void test_change_removes_stale(void **state)
{
	struct cfg_a_ids id;
	__u32 a2, c2, owner = 0;
	struct pp_sport sp = { 0 };
	struct pp_net n = { 0 };
	struct pp_dhcp dh;
	struct pp_neigh ne;

	(void)state;
	id = apply_cfg_a();

	assert_int_equal(apply(cfg_b), 0);
	/* kept: same ids */
	assert_int_equal(id_of(PP_NAME_NET, "net-a"), id.na);
	assert_int_equal(id_of(PP_NAME_IPORT, "vm1"), id.slot);
	/* net-b and vm1-b: no name, no entry */
	assert_int_equal(id_of(PP_NAME_NET, "net-b"), 0);
	assert_int_equal(pinned_id(PP_NAME_NET, "net-b"), 0);
	assert_int_equal(pinned_id(PP_NAME_SPORT, "vm1-b"), 0);
	assert_int_equal(pp_net_get(maps(), id.nb, &n), 0);
	assert_int_equal(n.mtu, 0);
	assert_int_equal(pp_sport_get(maps(), id.b, &sp), 0);
	assert_int_equal(sp.match, 0);
	assert_int_equal(vlan_owner(id.slot, 200), 0);
	/* vm1-c changed: a new id in, the old one out */
	c2 = id_of(PP_NAME_SPORT, "vm1-c");
	assert_true(c2 && c2 != id.c);
	assert_int_equal(pinned_id(PP_NAME_SPORT, "vm1-c"), c2);
	assert_int_equal(vlan_owner(id.slot, 301), c2);
	assert_int_equal(vlan_owner(id.slot, 300), 0);
	assert_int_equal(pp_sport_get(maps(), id.c, &sp), 0);
	assert_int_equal(sp.match, 0);
	/* vm1-a without its services: another entry (its flags), so a new id */
	a2 = id_of(PP_NAME_SPORT, "vm1-a");
	assert_true(a2 && a2 != id.a);
	assert_int_equal(vlan_owner(id.slot, 100), a2);
	assert_int_equal(pp_sport_get(maps(), a2, &sp), 0);
	assert_int_equal(sp.flags, 0);
	assert_true(fdb_has(id.na, 1, &owner) && owner == a2);
	/* and its services' entries went with the old id */
	assert_int_not_equal(pp_dhcp_get(maps(), id.a, &dh), 0);
	assert_int_not_equal(pp_dhcp_get(maps(), a2, &dh), 0);
	assert_false(sec_mac_has(id.a, 0x10));
	assert_false(fdb_has(id.na, 0x10, &owner));
	assert_true(neigh_has_v4(id.na, 10, 0, 0, 5, &ne));	/* the network's addresses stay */
	assert_true(neigh_has_v4(id.na, 10, 0, 0, 1, &ne));
	assert_int_equal(pp_daemon_named(&D), 4);
	assert_null(pp_daemon_status_by_name(&D, PP_NAME_NET, "net-b"));
	assert_status(PP_NAME_SPORT, "vm1-c", PP_ST_DOWN, NULL);
}

/* The same configuration again writes nothing, nor does a new daemon adopting it. */
static void test_same_config_writes_nothing(void **state)
{
	unsigned long w;

	(void)state;
	assert_int_equal(apply(cfg_a), 0);
	w = maps()->writes;
	assert_true(w > 0);
	assert_int_equal(apply(cfg_a), 0);
	assert_int_equal(maps()->writes, w);
	assert_int_equal(pp_daemon_reconciles(&D), 2);

	/* a restarted daemon over the same pins: names adopted, nothing written */
	pp_daemon_close(&D);
	assert_int_equal(pp_daemon_open(&D, pin_root, &sizes), 0);
	assert_int_equal(pp_daemon_named(&D), 6);
	assert_int_equal(apply(cfg_a), 0);
	assert_int_equal(maps()->writes, 0);
	/* and the counter counts: a change writes */
	assert_int_equal(apply(cfg_b), 0);
	assert_true(maps()->writes > 0);
}

/*
 * A device a killed daemon left in pp_xdp_tx (networks removed from the
 * maps, their names not yet released: the device is named by nothing any
 * more) is released at the first full reconcile of the next one.
 */
static void test_xdp_tx_orphan(void **state)
{
	__u32 lo = if_nametoindex("lo");

	(void)state;
	assert_true(lo > 0);
	assert_int_equal(pp_xdp_tx_set(&D.dp.maps, (int)lo, true), 0);
	assert_int_equal(pp_xdp_tx_get(maps(), (int)lo), 1);
	pp_daemon_close(&D);
	assert_int_equal(pp_daemon_open(&D, pin_root, &sizes), 0);
	assert_int_equal(apply(cfg_a), 0);
	assert_int_equal(pp_xdp_tx_get(maps(), (int)lo), 0);
}

/*
 * A step that fails returns its error, and the steps after it still run:
 * one network more than there are ids (ERROR, -ENOSPC), the others and
 * their service ports programmed all the same.
 */
static void test_failing_step_networks(void **state)
{
	static const char text[] =
		"networks:\n"
		"  n1: {device: ppt-rc-absent1}\n"
		"  n2: {device: ppt-rc-absent2}\n"
		"  n3: {device: ppt-rc-absent3}\n"
		"  n4: {device: ppt-rc-absent4}\n"
		VM1
		"      p1: {vlan: 10, bind: {network: n1}}\n"
		"      p4: {vlan: 40, mac: 52:54:00:00:00:04, bind: {network: n4}}\n";
	struct pp_sport sp = { 0 };
	__u32 p1;

	(void)state;
	assert_int_equal(apply(text), -ENOSPC);
	assert_status(PP_NAME_NET, "n4", PP_ST_ERROR, "no free network id");
	assert_status(PP_NAME_NET, "n3", PP_ST_DOWN, NULL);
	assert_status(PP_NAME_SPORT, "p4", PP_ST_ERROR, NULL);
	/* later steps ran: p1 is programmed, the configuration is in force */
	p1 = id_of(PP_NAME_SPORT, "p1");
	assert_true(p1 != 0);
	assert_int_equal(pp_sport_get(maps(), p1, &sp), 0);
	assert_int_equal(sp.outer_vid, 10);
	assert_int_equal(id_of(PP_NAME_SPORT, "p4"), 0);
	assert_non_null(pp_daemon_config(&D));
	assert_int_equal(pp_daemon_config(&D)->n_networks, 4);
	assert_int_equal(pp_daemon_reconciles(&D), 1);
}

/*
 * A services step that fails (pp_neigh full: 18 addresses, 16 entries)
 * returns the map's error; DHCP, after it, is written all the same.
 */
static void test_failing_step_services(void **state)
{
	static const char text[] =
		"networks:\n"
		NET_A
		VM1
		"      p1:\n"
		"        vlan: 10\n"
		"        addresses: [10.0.0.11/24, 10.0.0.12/24, 10.0.0.13/24, 10.0.0.14/24,\n"
		"                    10.0.0.15/24, 10.0.0.16/24, 10.0.0.17/24, 10.0.0.18/24]\n"
		"        bind: {network: net-a, responder: {}, dhcp: {}}\n"
		"      p2:\n"
		"        vlan: 20\n"
		"        mac: 52:54:00:00:00:02\n"
		"        addresses: [10.0.0.21/24, 10.0.0.22/24, 10.0.0.23/24, 10.0.0.24/24,\n"
		"                    10.0.0.25/24, 10.0.0.26/24, 10.0.0.27/24, 10.0.0.28/24]\n"
		"        bind: {network: net-a, responder: {}}\n";
	struct pp_dhcp dh;

	(void)state;
	assert_int_equal(apply(text), -E2BIG);
	assert_int_equal(pp_dhcp_get(maps(), id_of(PP_NAME_SPORT, "p1"), &dh), 0);
	assert_status(PP_NAME_SPORT, "p2", PP_ST_DOWN, NULL);
}

/*
 * An L3 domain and a port bound to it: the domain takes an id of the
 * networks' kind, its entry, its gateway answered (pp_neigh) on its ports,
 * which are marked L3 with the domain as net_id, their addresses in
 * pp_l3addrs and nothing of theirs in the L2 tables; its table gets its
 * unreachable subnet (the test runs in a network namespace of its own).
 * Rebound to a network, the port leaves every L3 table; the domain leaves
 * with the configuration, its routes too.
 */
static const char cfg_l3[] =
	"networks:\n"
	NET_A
	"l3-domains:\n"
	"  red:\n"
	"    table: 4001\n"
	"    mac: 02:00:00:00:10:01\n"
	"    subnets: [{cidr: 10.9.0.0/24, gateway: 10.9.0.1}]\n"
	"    uplinks: [{device: ppt-rc-absent9, addresses: [192.0.2.2/30]}]\n"
	"    routes: [{to: 0.0.0.0/0, via: 192.0.2.1}]\n"
	VM1
	"      vm1-r:\n"
	"        vlan: 500\n"
	"        addresses: [10.9.0.5/24]\n"
	"        bind: {l3: {domain: red, routes: [{to: 172.16.0.0/16}]}, security: {}}\n";

static bool table_has(const char *table, const char *what)
{
	char cmd[128], line[256];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip route show table %s 2>/dev/null", table);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		found = found || strstr(line, what);
	pclose(f);
	return found;
}

static void test_l3(void **state)
{
	struct pp_l3addr_key ak = { .family = PP_NEIGH_V4, .addr = { 10, 9, 0, 5 } };
	struct pp_l3dom dom = { 0 };
	struct pp_sport sp = { 0 };
	struct pp_neigh ne = { 0 };
	__u32 red, r, owner = 0, na;

	(void)state;
	assert_int_equal(apply(cfg_l3), 0);
	red = id_of(PP_NAME_NET, "red");
	na = id_of(PP_NAME_NET, "net-a");
	r = id_of(PP_NAME_SPORT, "vm1-r");
	assert_true(red && r && red != na);
	assert_int_equal(pp_l3dom_get(maps(), red, &dom), 0);
	assert_int_equal(dom.table, 4001);
	assert_int_equal(dom.mtu, 1500);
	assert_int_equal(dom.gw_mac[5], 1);
	assert_int_equal(pp_sport_get(maps(), r, &sp), 0);
	assert_int_equal(sp.net_id, red);
	assert_int_equal(sp.flags & (PP_SPORT_L3 | PP_SPORT_RESPONDER), PP_SPORT_L3 | PP_SPORT_RESPONDER);
	assert_int_equal(vlan_owner(sp.slot, 500), r);
	ak.dom = red;
	assert_int_equal(pp_l3addr_get(maps(), ak, &owner), 0);
	assert_int_equal(owner, r);
	assert_false(fdb_has(red, 1, &owner));		/* reached by routing, not by MAC */
	assert_true(neigh_has_v4(red, 10, 9, 0, 1, &ne));
	assert_int_equal(ne.flags, PP_NEIGH_ROUTER);
	assert_int_equal(ne.mac[5], 1);
	assert_true(neigh_has_v4(red, 10, 9, 0, 5, &ne));	/* proxy: the gateway's MAC */
	assert_int_equal(ne.mac[0], 0x02);
	assert_true(table_has("4001", "unreachable 10.9.0.0/24 proto 112"));
	/* port security lets it send for the prefix behind it too */
	{
		struct pp_sec_key k;
		struct pp_sec_src v, got;
		struct pp_cfg_addr pfx = { .family = PP_AF_INET, .plen = 16, .addr = { 172, 16 } };

		pp_sec_src_encode(&k, &v, r, &pfx, 16, sp.mac);
		assert_int_equal(pp_sec_src_get(maps(), k, &got), 0);
	}
	assert_status(PP_NAME_SPORT, "vm1-r", PP_ST_DOWN, NULL);	/* its tap is absent */
	{
		unsigned long w = maps()->writes;

		assert_int_equal(apply(cfg_l3), 0);
		assert_int_equal(maps()->writes, w);	/* the same again: nothing written */
	}

	/* rebound to a network: out of every L3 table, into the L2 ones */
	assert_int_equal(apply("networks:\n" NET_A VM1
			       "      vm1-r:\n"
			       "        vlan: 500\n"
			       "        addresses: [10.9.0.5/24]\n"
			       "        bind: {network: net-a}\n"), 0);
	r = id_of(PP_NAME_SPORT, "vm1-r");
	assert_int_equal(pp_sport_get(maps(), r, &sp), 0);
	assert_int_equal(sp.net_id, na);
	assert_int_equal(sp.flags & PP_SPORT_L3, 0);
	assert_int_not_equal(pp_l3addr_get(maps(), ak, &owner), 0);
	assert_true(fdb_has(na, 1, &owner) && owner == r);
	/* the domain is gone: its entry, its name, its routes */
	assert_int_equal(pp_l3dom_get(maps(), red, &dom), 0);
	assert_int_equal(dom.table, 0);
	assert_int_equal(id_of(PP_NAME_NET, "red"), 0);
	assert_false(neigh_has_v4(red, 10, 9, 0, 1, &ne));
	assert_false(table_has("4001", "10.9.0.0/24"));
}

/*
 * A sync that finds our routes as wanted writes nothing: no route is
 * deleted and written again (a default route once was, at every sync: its
 * destination comes without bytes, and its traffic was dropped in the
 * gap).  Watched on the kernel's route notifications, in the test's own
 * network namespace.
 */
static int route_events(int fd)
{
	char buf[8192];
	int n = 0;
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len))
			n += h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE;
	return n;
}

static void test_l3_routes_quiet(void **state)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE };
	struct pp_l3_route want[3] = {
		{ .table = 4002, .family = AF_INET, .plen = 0, .type = RTN_UNICAST, .onlink = true,
		  .gw = { 192, 0, 2, 1 }, .has_gw = true },
		{ .table = 4002, .family = AF_INET6, .plen = 0, .type = RTN_UNICAST, .onlink = true,
		  .gw = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, .has_gw = true },
		{ .table = 4002, .family = AF_INET, .plen = 24, .type = RTN_UNREACHABLE,
		  .dst = { 10, 9, 0 } },
	};
	int fd;

	(void)state;
	assert_int_equal(system("ip link set lo up && ip link add ppt-rq0 type veth peer name ppt-rq1 && "
				"ip link set ppt-rq0 up && ip link set ppt-rq1 up"), 0);
	want[0].oif = want[1].oif = if_nametoindex("ppt-rq0");
	assert_int_not_equal(want[0].oif, 0);
	assert_int_equal(pp_l3_routes_sync(want, 3), 0);
	assert_true(table_has("4002", "default via 192.0.2.1 dev ppt-rq0 proto 112 onlink"));
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(pp_l3_routes_sync(want, 3), 0);
	assert_int_equal(pp_l3_routes_sync(want, 3), 0);
	assert_int_equal(route_events(fd), 0);		/* nothing deleted, nothing written */
	assert_int_equal(pp_l3_routes_sync(want, 2), 0);	/* one goes: one event */
	usleep(10000);
	assert_int_equal(route_events(fd), 1);
	assert_int_equal(pp_l3_routes_sync(NULL, 0), 0);
	assert_false(table_has("4002", "default"));
	close(fd);
	assert_int_equal(system("ip link del ppt-rq0"), 0);
}

/* ---- service chains (issue 17) ------------------------------------------------- */

/* Slots of table t held by instance i. */
static unsigned slots_of(const __u8 *t, __u8 i)
{
	unsigned n = 0;

	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++)
		n += t[s] == i;
	return n;
}

/*
 * A symmetric chain's reversed classifier entry (pp_rule_in_reverse): the
 * ends swapped, ports and source ports swapped, an ICMP request's type its
 * reply's and back (an echo reply must match the reversed "icmp-type: 8").
 */
static void test_rule_reverse(void **state)
{
	struct pp_rule_in r = { .proto = 6, .lo = 80, .hi = 80, .slo = 1024, .shi = 65535,
				.from_family = 4, .from_plen = 24, .from = { 10, 0, 1 },
				.to_family = 4, .to_plen = 32, .to = { 10, 0, 0, 7 } }, o;
	static const __u8 types[][3] = {	/* proto, type, its reversed */
		{ 1, 8, 0 }, { 1, 0, 8 }, { 1, 13, 14 }, { 1, 3, 3 },
		{ 58, 128, 129 }, { 58, 129, 128 }, { 58, 135, 135 },
	};

	(void)state;
	pp_rule_in_reverse(&o, &r);
	assert_int_equal(o.lo, 1024);
	assert_int_equal(o.hi, 65535);
	assert_int_equal(o.slo, 80);
	assert_int_equal(o.shi, 80);
	assert_int_equal(o.from_plen, 32);
	assert_int_equal(o.from[3], 7);
	assert_int_equal(o.to_plen, 24);
	assert_int_equal(o.to[2], 1);
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		r = (struct pp_rule_in){ .proto = types[i][0], .has_type = 1, .type = types[i][1] };
		pp_rule_in_reverse(&o, &r);
		assert_int_equal(o.type, types[i][2]);
	}
}

/*
 * The instance table alone (pp_chain_slots_fill): proportions by weight,
 * and only what must move moves when an instance goes or comes.
 */
static void test_chain_slots(void **state)
{
	__u32 w3[3] = { 1, 1, 1 }, w2[2] = { 1, 2 };
	bool live[3] = { true, true, true };
	__u8 t[PP_CHAIN_SLOTS], before[PP_CHAIN_SLOTS];

	(void)state;
	/* fresh (every slot free): 86/85/85, interleaved */
	memset(t, PP_CHAIN_NONE, sizeof(t));
	assert_int_equal(pp_chain_slots_fill(t, w3, live, 3), 3);
	assert_int_equal(slots_of(t, 0), 86);
	assert_int_equal(slots_of(t, 1), 85);
	assert_int_equal(slots_of(t, 2), 85);
	/* one of three goes: only its slots move, half to each of the others */
	memcpy(before, t, sizeof(t));
	live[1] = false;
	assert_int_equal(pp_chain_slots_fill(t, w3, live, 3), 2);
	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++)
		if (before[s] != 1)
			assert_int_equal(t[s], before[s]);
	assert_int_equal(slots_of(t, 1), 0);
	assert_int_equal(slots_of(t, 0), 128);
	assert_int_equal(slots_of(t, 2), 128);
	/* it comes back: its share again, taken from the others (theirs stay theirs) */
	memcpy(before, t, sizeof(t));
	live[1] = true;
	assert_int_equal(pp_chain_slots_fill(t, w3, live, 3), 3);
	assert_int_equal(slots_of(t, 0), 86);
	assert_int_equal(slots_of(t, 1), 85);
	assert_int_equal(slots_of(t, 2), 85);
	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++)
		if (t[s] != 1)
			assert_int_equal(t[s], before[s]);

	/* weights 1:2 -> 85/171 (+-1), from scratch and from a stale table */
	memset(t, PP_CHAIN_NONE, sizeof(t));
	live[0] = live[1] = true;
	assert_int_equal(pp_chain_slots_fill(t, w2, live, 2), 2);
	assert_in_range(slots_of(t, 0), 84, 86);
	assert_in_range(slots_of(t, 1), 170, 172);
	memset(t, 7, sizeof(t));	/* an instance that is not configured any more */
	assert_int_equal(pp_chain_slots_fill(t, w2, live, 2), 2);
	assert_in_range(slots_of(t, 0), 84, 86);
	/* instance 0 goes and comes: proportions restored, instance 1 kept what it had */
	live[0] = false;
	assert_int_equal(pp_chain_slots_fill(t, w2, live, 2), 1);
	assert_int_equal(slots_of(t, 1), PP_CHAIN_SLOTS);
	live[0] = true;
	memcpy(before, t, sizeof(t));
	assert_int_equal(pp_chain_slots_fill(t, w2, live, 2), 2);
	assert_in_range(slots_of(t, 0), 84, 86);
	assert_in_range(slots_of(t, 1), 170, 172);
	/* the same again: nothing moves */
	memcpy(before, t, sizeof(t));
	assert_int_equal(pp_chain_slots_fill(t, w2, live, 2), 2);
	assert_memory_equal(t, before, sizeof(t));

	/* no live instance: every slot none */
	live[0] = live[1] = false;
	assert_int_equal(pp_chain_slots_fill(t, w2, live, 2), 0);
	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++)
		assert_int_equal(t[s], PP_CHAIN_NONE);
}

/*
 * A chain on net-a: two firewall instances (weights 1:2) on taps that are
 * up, and a one-port DPI hop on a tap that is absent.  The test's own
 * network namespace holds the devices it creates (dummy, taps).
 */
#define CHAIN_NET							\
	"networks:\n"							\
	"  net-a: {device: ppt-rc-n0}\n"				\
	"instance-ports:\n"						\
	"  vm1:\n"							\
	"    device: ppt-rc-tap0\n"					\
	"    mac: 52:54:00:00:00:01\n"					\
	"    service-ports:\n"						\
	"      vm1-a: {vlan: 100, bind: {network: net-a}}\n"
#define CHAIN_BASE							\
	CHAIN_NET							\
	"  fw1:\n"							\
	"    device: ppt-rc-fw1\n"					\
	"    mac: 52:54:00:00:01:01\n"					\
	"    service-ports:\n"						\
	"      fw1-in: {vlan: 10}\n"					\
	"      fw1-out: {vlan: 11}\n"					\
	"  fw2:\n"							\
	"    device: ppt-rc-fw2\n"					\
	"    mac: 52:54:00:00:01:02\n"					\
	"    service-ports:\n"						\
	"      fw2-in: {vlan: 10}\n"					\
	"      fw2-out: {vlan: 11}\n"					\
	"  dpi:\n"							\
	"    device: ppt-rc-dpi\n"					\
	"    mac: 52:54:00:00:01:03\n"					\
	"    service-ports:\n"						\
	"      dpi-io: {vlan: [20, 21]}\n"

static const char cfg_chain[] =
	CHAIN_BASE
	"chains:\n"
	"  web:\n"
	"    network: net-a\n"
	"    classifier: [{proto: tcp, ports: 80}, {proto: tcp, ports: 443, to: 10.0.0.0/24}]\n"
	"    sources: {service-ports: [vm1-a], network-device: true}\n"
	"    symmetric: true\n"
	"    on-failure: bypass\n"
	"    hops:\n"
	"      - [{ingress: fw1-in, egress: fw1-out}, {ingress: fw2-in, egress: fw2-out, weight: 2}]\n"
	"      - [{ingress: dpi-io, egress: dpi-io}]\n";

static void sh(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static int count_one(const void *key, const void *val, void *arg)
{
	(void)key;
	(void)val;
	(*(unsigned *)arg)++;
	return 0;
}

static struct pp_chain_hop chain_hop(__u32 slot, __u32 h)
{
	struct pp_chain_hop v = { 0 };
	__u32 k = slot * PP_CHAIN_HOPS_MAX + h;

	assert_int_equal(pp_map_get(maps(), PPM_CHAIN_HOPS, &k, &v), 0);
	return v;
}

static struct pp_chain_port chain_port(const char *sport)
{
	struct pp_chain_port p = { 0 };
	__u32 id = id_of(PP_NAME_SPORT, sport);

	assert_int_equal(pp_map_get(maps(), PPM_CHAIN_PORTS, &id, &p), 0);
	return p;
}

static const struct pp_obj_status *hop_status(unsigned h)
{
	const struct pp_obj_status *st = pp_daemon_status_by_name(&D, PP_NAME_CHAIN, "web");

	assert_non_null(st);
	return &D.chain_hop_st[st - D.chain_st][h];
}

static void test_chain(void **state)
{
	const char *fw1[] = { "ppt-rc-fw1" };
	struct pp_rule_set_key rk = { 0 };
	struct pp_chain_src_key sk = { 0 };
	struct pp_rule_set set;
	struct pp_chain ch = { 0 }, zch = { 0 };
	struct pp_chain_hop h0, h1, before;
	struct pp_chain_port p;
	struct pp_sport sp = { 0 };
	struct pp_net n = { 0 };
	__u32 web, na, fw1in, owner, one = 0, slot;
	unsigned long w;

	(void)state;
	sh("ip link add ppt-rc-n0 type veth peer name ppt-rc-n0p && ip link set ppt-rc-n0 up && "
	   "ip link set ppt-rc-n0p up && "
	   "ip tuntap add ppt-rc-tap0 mode tap && ip tuntap add ppt-rc-fw1 mode tap && "
	   "ip tuntap add ppt-rc-fw2 mode tap");
	assert_int_equal(apply(cfg_chain), 0);
	web = id_of(PP_NAME_NET, "web");
	na = id_of(PP_NAME_NET, "net-a");
	assert_true(web && na && web != na);
	assert_int_equal(pinned_id(PP_NAME_NET, "web"), web);
	/* its own entry marks it; the network is steered by it */
	assert_int_equal(pp_net_get(maps(), web, &n), 0);
	assert_int_equal(n.chain, web);
	assert_int_equal(n.ifindex, 0);
	assert_int_equal(pp_net_get(maps(), na, &n), 0);
	assert_int_equal(n.chain, web);
	/* hop ports: on the chain, no service, in no network table */
	fw1in = id_of(PP_NAME_SPORT, "fw1-in");
	assert_int_equal(pp_sport_get(maps(), fw1in, &sp), 0);
	assert_int_equal(sp.net_id, web);
	assert_int_equal(sp.flags, 0);
	assert_int_equal(vlan_owner(sp.slot, 10), fw1in);
	{	/* fw1-in and fw1-out share fw1's MAC: reached by the chain's tables only */
		struct pp_fdb_key fk = { .net_id = web, .mac = { 0x52, 0x54, 0, 0, 1, 1 } };
		struct pp_flood fl;
		char fwd[8] = "";
		FILE *f = fopen("/proc/sys/net/ipv4/conf/ppt-rc-fw1/forwarding", "r");

		assert_int_not_equal(pp_fdb_get(maps(), fk, &owner), 0);
		assert_int_not_equal(pp_flood_get(maps(), web, &fl), 0);
		/* and its tap is not made an L3 port's (no forwarding turned on) */
		assert_non_null(f);
		assert_non_null(fgets(fwd, sizeof(fwd), f));
		fclose(f);
		assert_string_equal(fwd, "0\n");
	}
	/* where frames come back from */
	p = chain_port("fw1-in");
	assert_int_equal(p.chain, web);
	assert_int_equal(p.hop, 0);
	assert_int_equal(p.inst, 0);
	assert_int_equal(p.role, PP_CHAIN_ROLE_IN);
	p = chain_port("fw2-out");
	assert_int_equal(p.inst, 1);
	assert_int_equal(p.role, PP_CHAIN_ROLE_OUT);
	p = chain_port("dpi-io");
	assert_int_equal(p.hop, 1);
	assert_int_equal(p.role, PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT);
	/* the chain, its hops: 1:2 over the live firewalls, the DPI's tap absent */
	assert_int_equal(pp_map_get(maps(), PPM_CHAINS, &web, &ch), 0);
	assert_int_equal(ch.net_id, na);
	assert_int_equal(ch.n_hops, 2);
	assert_int_equal(ch.flags, PP_CHAIN_SYMMETRIC | PP_CHAIN_BYPASS);
	slot = ch.slot;
	assert_true(slot >= 1 && slot < PP_DEF_MAX_CHAINS);
	h0 = chain_hop(slot, 0);
	assert_int_equal(h0.chain, web);
	assert_int_equal(h0.n_inst, 2);
	assert_int_equal(h0.n_live, 2);
	assert_int_equal(h0.inst[0].in_sport, fw1in);
	assert_int_equal(h0.inst[1].out_sport, id_of(PP_NAME_SPORT, "fw2-out"));
	assert_in_range(slots_of(h0.slots, 0), 84, 86);
	assert_in_range(slots_of(h0.slots, 1), 170, 172);
	h1 = chain_hop(slot, 1);
	assert_int_equal(h1.n_live, 0);
	assert_int_equal(slots_of(h1.slots, PP_CHAIN_NONE), PP_CHAIN_SLOTS);
	/* the classifier, both ways; the allowed sources */
	rk.sport = web;
	rk.dir = PP_DIR_CHAIN_FWD;
	assert_int_equal(pp_rule_set_get(maps(), rk, &set), 0);
	assert_int_equal(set.n, 2);
	rk.dir = PP_DIR_CHAIN_REV;
	assert_int_equal(pp_rule_set_get(maps(), rk, &set), 0);
	{	/* reversed: port 80 is the replies' source port (pp_rule_sp); the only sets */
		struct pp_rule_l4_key k = { .prefixlen = PP_RULE_L4_PREFIX(16), .sport = web,
					    .dir = PP_DIR_CHAIN_REV, .proto = 6, .port = { 0, 80 } };
		struct pp_rule_bits b;
		unsigned sets = 0;

		assert_int_equal(pp_map_get(maps(), PPM_RULE_SP, &k, &b), 0);
		assert_int_equal(b.w[0] & 3, 1);	/* rule 0 (ports 80), not rule 1 (443) */
		k.dir = PP_DIR_CHAIN_FWD;
		assert_int_not_equal(pp_map_get(maps(), PPM_RULE_SP, &k, &b), 0);
		assert_int_equal(pp_map_iter(maps(), PPM_RULE_SET, count_one, &sets), 0);
		assert_int_equal(sets, 2);
	}
	sk.chain = web;
	sk.sport = id_of(PP_NAME_SPORT, "vm1-a");
	assert_int_equal(pp_map_get(maps(), PPM_CHAIN_SRC, &sk, &one), 0);
	sk.sport = 0;
	assert_int_equal(pp_map_get(maps(), PPM_CHAIN_SRC, &sk, &one), 0);
	/* statuses: the DPI hop down, bypassed; a hop port is as its instance port */
	assert_string_equal(pp_status_name(hop_status(0)->status), "ACTIVE");
	assert_string_equal(pp_status_name(hop_status(1)->status), "DOWN");
	assert_non_null(strstr(hop_status(1)->reason, "dpi-io (tap ppt-rc-dpi is absent"));
	assert_status(PP_NAME_CHAIN, "web", PP_ST_DEGRADED, "hop 2 has no live instance (bypassed)");
	assert_status(PP_NAME_SPORT, "fw1-in", PP_ST_ACTIVE, NULL);
	assert_status(PP_NAME_SPORT, "dpi-io", PP_ST_DOWN, NULL);
	/* the same again writes nothing */
	w = maps()->writes;
	assert_int_equal(apply(cfg_chain), 0);
	assert_int_equal(maps()->writes, w);

	/* fw1's tap goes: a links pass moves only fw1's slots, all to fw2 */
	sh("ip link del ppt-rc-fw1");
	before = chain_hop(slot, 0);
	assert_int_equal(pp_reconcile_devices(&D, fw1, 1), 0);
	h0 = chain_hop(slot, 0);
	assert_int_equal(h0.n_live, 1);
	assert_int_equal(slots_of(h0.slots, 1), PP_CHAIN_SLOTS);
	assert_string_equal(pp_status_name(hop_status(0)->status), "DEGRADED");
	assert_non_null(strstr(hop_status(0)->reason, "fw1-in (tap ppt-rc-fw1 is absent"));
	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++)	/* fw2's flows kept fw2 */
		if (before.slots[s] == 1)
			assert_int_equal(h0.slots[s], 1);
	/* it comes back: its share again */
	sh("ip tuntap add ppt-rc-fw1 mode tap");
	assert_int_equal(pp_reconcile_devices(&D, fw1, 1), 0);
	h0 = chain_hop(slot, 0);
	assert_int_equal(h0.n_live, 2);
	assert_in_range(slots_of(h0.slots, 0), 84, 86);
	assert_string_equal(pp_status_name(hop_status(0)->status), "ACTIVE");

	/* a restarted daemon adopts the chain: same id, slot and table, nothing written */
	before = h0;
	pp_daemon_close(&D);
	assert_int_equal(pp_daemon_open(&D, pin_root, &chain_sizes), 0);
	assert_int_equal(apply(cfg_chain), 0);
	assert_int_equal(id_of(PP_NAME_NET, "web"), web);
	assert_int_equal(maps()->writes, 0);
	h0 = chain_hop(slot, 0);
	assert_memory_equal(&h0, &before, sizeof(h0));

	/* the chain goes: the network first, then every entry of it, its name */
	assert_int_equal(apply(CHAIN_NET), 0);
	assert_int_equal(pp_net_get(maps(), na, &n), 0);
	assert_int_equal(n.chain, 0);
	assert_int_equal(pp_net_get(maps(), web, &n), 0);
	assert_int_equal(n.chain, 0);
	assert_int_equal(id_of(PP_NAME_NET, "web"), 0);
	assert_int_equal(pinned_id(PP_NAME_NET, "web"), 0);
	assert_int_equal(pp_map_get(maps(), PPM_CHAINS, &web, &ch), 0);
	assert_memory_equal(&ch, &zch, sizeof(ch));
	h0 = chain_hop(slot, 0);
	assert_int_equal(h0.chain, 0);
	assert_int_not_equal(pp_map_get(maps(), PPM_CHAIN_PORTS, &fw1in, &p), 0);
	sk.chain = web;
	sk.sport = 0;
	assert_int_not_equal(pp_map_get(maps(), PPM_CHAIN_SRC, &sk, &one), 0);
	rk.dir = PP_DIR_CHAIN_FWD;
	assert_int_not_equal(pp_rule_set_get(maps(), rk, &set), 0);
	sh("ip link del ppt-rc-n0; ip link del ppt-rc-tap0; ip link del ppt-rc-fw1; "
	   "ip link del ppt-rc-fw2");
}

/*
 * Taps of an instance port (issue 18): by device and by alias, the second
 * one a standby; the dataplane's activation (its first frame: simulated by
 * the store the program makes) seen by the watch, the old tap retired and
 * still bound; plug --activate back; an alias cleared and a tap deleted
 * unbind them.  Real taps, in this test's own namespace.
 */
static const char cfg_taps[] =
	"networks:\n"
	NET_A
	"instance-ports:\n"
	"  vm1:\n"
	"    id: port-1\n"
	"    device: ppt-rc-tap0\n"
	"    mac: 52:54:00:00:00:01\n"
	"  vm2:\n"
	"    id: port-2\n"
	"    mac: 52:54:00:00:00:02\n";

static bool tap_bound(__u32 ifindex, __u32 slot)
{
	struct pp_dev dev = { 0 };

	return !pp_dev_get(maps(), ifindex, &dev) && (dev.flags & PP_DEV_TAP) &&
	       dev.slot == slot && dev.ifindex == ifindex;
}

static void test_taps(void **state)
{
	const char *tapb[] = { "ppt-rc-tapb" }, *tap0[] = { "ppt-rc-tap0" };
	const char *tapc[] = { "ppt-rc-tapc" };
	const struct pp_iport_taps *t;
	const struct pp_obj_status *st;
	struct pp_iport ip = { 0 };
	__u32 slot, slot2, a, b, c;
	unsigned long w;

	(void)state;
	sh("ip tuntap add ppt-rc-tap0 mode tap");
	assert_int_equal(apply(cfg_taps), 0);
	slot = id_of(PP_NAME_IPORT, "vm1");
	slot2 = id_of(PP_NAME_IPORT, "vm2");
	a = if_nametoindex("ppt-rc-tap0");
	assert_true(slot && slot2 && a);
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, a);
	assert_int_equal(ip.standby, 0);
	st = pp_daemon_status(&D, PP_NAME_IPORT, 0);
	assert_int_equal(st->status, PP_ST_ACTIVE);
	/* vm2 has an id only: waiting for a tap aliased to it */
	st = pp_daemon_status(&D, PP_NAME_IPORT, 1);
	assert_int_equal(st->status, PP_ST_DOWN);
	assert_non_null(strstr(st->reason, "alias polyport:port-2"));
	assert_false(D.standby_pending);
	assert_true(D.alias_waiting);
	/* an alias set on a down tap, which the kernel announces to nobody: the rescan */
	assert_false(pp_reconcile_alias_check(&D));
	sh("ip tuntap add ppt-rc-tapd mode tap && ip link set ppt-rc-tapd alias polyport:port-2");
	assert_true(pp_reconcile_alias_check(&D));
	assert_int_equal(pp_iport_get(maps(), slot2, &ip), 0);
	assert_int_equal(ip.ifindex, if_nametoindex("ppt-rc-tapd"));
	assert_false(D.alias_waiting);
	sh("ip link del ppt-rc-tapd");
	assert_int_equal(apply(cfg_taps), 0);
	assert_true(D.alias_waiting);

	/* a second tap by alias: the standby, bound, nothing else changes */
	sh("ip tuntap add ppt-rc-tapb mode tap && ip link set ppt-rc-tapb alias polyport:port-1");
	b = if_nametoindex("ppt-rc-tapb");
	assert_int_equal(pp_reconcile_devices(&D, tapb, 1), 0);
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, a);
	assert_int_equal(ip.standby, b);
	assert_true(tap_bound(b, slot));
	assert_true(D.standby_pending);
	t = pp_daemon_iport_taps(&D, 0);
	assert_string_equal(t->active_name, "ppt-rc-tap0");
	assert_string_equal(t->standby_name, "ppt-rc-tapb");
	assert_false(pp_reconcile_standby_check(&D));	/* not active yet */

	/* its first frame: the program's store; the watch retires the old tap */
	ip.ifindex = b;
	assert_int_equal(pp_iport_put(&D.dp.maps, slot, &ip), 0);
	assert_true(pp_reconcile_standby_check(&D));
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, b);
	assert_int_equal(ip.standby, 0);
	t = pp_daemon_iport_taps(&D, 0);
	assert_string_equal(t->active_name, "ppt-rc-tapb");
	assert_int_equal(t->n_retired, 1);
	assert_string_equal(t->retired_name[0], "ppt-rc-tap0");
	assert_int_equal(t->activations, 1);
	assert_true(tap_bound(a, slot));	/* its frames: inactive_tap */
	assert_false(D.standby_pending);
	/* the same configuration again: the retired tap stays retired, nothing written */
	w = maps()->writes;
	assert_int_equal(apply(cfg_taps), 0);
	assert_int_equal(maps()->writes, w);
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, b);
	assert_int_equal(ip.standby, 0);

	/* plug --activate of the old one: back, and the other retired */
	assert_int_equal(pp_reconcile_activate(&D, 0, "ppt-rc-nosuch"), -ENODEV);
	assert_int_equal(pp_reconcile_activate(&D, 0, "ppt-rc-tap0"), 0);
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, a);
	assert_int_equal(ip.standby, 0);
	t = pp_daemon_iport_taps(&D, 0);
	assert_int_equal(t->n_retired, 1);
	assert_string_equal(t->retired_name[0], "ppt-rc-tapb");
	assert_int_equal(t->activations, 2);
	assert_true(tap_bound(b, slot));

	/* a third tap, newer: the standby (the retired one is not) */
	sh("ip tuntap add ppt-rc-tapc mode tap && ip link set ppt-rc-tapc alias polyport:port-1");
	c = if_nametoindex("ppt-rc-tapc");
	assert_int_equal(pp_reconcile_devices(&D, tapc, 1), 0);
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, a);
	assert_int_equal(ip.standby, c);

	/* an alias cleared unbinds; the active tap deleted leaves the newest */
	sh("ip link set ppt-rc-tapb alias ''");
	assert_int_equal(pp_reconcile_devices(&D, tapb, 1), 0);
	assert_false(tap_bound(b, slot));
	sh("ip link del ppt-rc-tap0");
	assert_int_equal(pp_reconcile_devices(&D, tap0, 1), 0);
	assert_false(tap_bound(a, slot));
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, c);
	assert_int_equal(ip.standby, 0);
	st = pp_daemon_status(&D, PP_NAME_IPORT, 0);
	assert_int_equal(st->status, PP_ST_ACTIVE);

	/* the instance port removed: every tap of it unbound */
	assert_int_equal(apply("networks:\n" NET_A), 0);
	assert_false(tap_bound(c, slot));
	sh("ip link del ppt-rc-tapb; ip link del ppt-rc-tapc");
}

/*
 * An incoming instance port (issue 19: migrating here from another host,
 * pp_cfg_iport.incoming): no active tap, its tap the standby (bound, our
 * programs on it) until its first frame, which the programs make the active
 * one; a restarted daemon decides the same; incoming cleared, or set again
 * on a port with an active tap: nothing written.  Then activate (what POST
 * /v1/instance-ports/NAME/activate calls) on one with two taps: the newest is
 * the standby, the other retired, and activate makes either active.
 */
static const char cfg_incoming[] =
	"networks:\n"
	NET_A
	"instance-ports:\n"
	"  vm1:\n"
	"    id: port-1\n"
	"    device: ppt-rc-tap0\n"
	"    mac: 52:54:00:00:00:01\n"
	"    mode: xdp\n"
	"  vm2:\n"
	"    id: port-2\n"
	"    mac: 52:54:00:00:00:02\n";

/* cfg_incoming with the instance ports of bits in incoming (bit i: the i-th) incoming. */
static int apply_incoming_more(const char *more, unsigned incoming)
{
	char text[sizeof(cfg_incoming) + 200];
	struct pp_config *cfg;

	snprintf(text, sizeof(text), "%s%s", cfg_incoming, more);
	cfg = load(text);

	for (__u32 i = 0; i < cfg->n_iports; i++)
		cfg->iports[i].incoming = incoming & (1u << i);
	return pp_reconcile(&D, cfg, false);
}

static int apply_incoming(unsigned incoming)
{
	return apply_incoming_more("", incoming);
}

static void test_incoming(void **state)
{
	const struct pp_iport_taps *t;
	struct pp_iport ip = { 0 };
	__u32 slot, slot2, a, d, e, xdp = 0;
	unsigned long w;

	(void)state;
	sh("ip tuntap add ppt-rc-tap0 mode tap");
	a = if_nametoindex("ppt-rc-tap0");
	assert_int_equal(apply_incoming(3), 0);
	slot = id_of(PP_NAME_IPORT, "vm1");
	slot2 = id_of(PP_NAME_IPORT, "vm2");
	assert_true(slot && slot2 && a);
	/* no active tap, its tap the standby: bound, up, our programs on it */
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, 0);
	assert_int_equal(ip.standby, a);
	assert_true(tap_bound(a, slot));
	assert_true(pp_daemon_attached(&D, (int)a, PP_ROLE_TAP));
	assert_int_equal(bpf_xdp_query_id((int)a, 0, &xdp), 0);
	assert_int_not_equal(xdp, 0);
	assert_status(PP_NAME_IPORT, "vm1", PP_ST_DOWN,
		      "incoming: tap ppt-rc-tap0 is the standby, waiting for the guest's first frame");
	t = pp_daemon_iport_taps(&D, 0);
	assert_string_equal(t->active_name, "");
	assert_string_equal(t->standby_name, "ppt-rc-tap0");
	assert_int_equal(t->n_retired, 0);
	/* vm2 has no tap yet: waiting as any port */
	assert_status(PP_NAME_IPORT, "vm2", PP_ST_DOWN, "no tap has alias polyport:port-2 (waiting)");
	assert_true(D.standby_pending);
	assert_true(D.alias_waiting);
	assert_false(pp_reconcile_standby_check(&D));	/* not active yet */
	/* the same again, and a restarted daemon adopting the pins: the same, nothing written */
	w = maps()->writes;
	assert_int_equal(apply_incoming(3), 0);
	assert_int_equal(maps()->writes, w);
	pp_daemon_close(&D);
	assert_int_equal(pp_daemon_open(&D, pin_root, &sizes), 0);
	w = maps()->writes;
	assert_int_equal(apply_incoming(3), 0);
	assert_int_equal(maps()->writes, w);
	assert_int_equal(id_of(PP_NAME_IPORT, "vm1"), slot);
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, 0);
	assert_int_equal(ip.standby, a);
	assert_status(PP_NAME_IPORT, "vm1", PP_ST_DOWN,
		      "incoming: tap ppt-rc-tap0 is the standby, waiting for the guest's first frame");
	assert_true(D.standby_pending);

	/* the guest's first frame: the program's store; the watch sees it */
	ip.ifindex = a;
	assert_int_equal(pp_iport_put(&D.dp.maps, slot, &ip), 0);
	assert_true(pp_reconcile_standby_check(&D));
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, a);
	assert_int_equal(ip.standby, 0);
	assert_status(PP_NAME_IPORT, "vm1", PP_ST_ACTIVE, "");
	t = pp_daemon_iport_taps(&D, 0);
	assert_string_equal(t->active_name, "ppt-rc-tap0");
	assert_string_equal(t->standby_name, "");
	assert_int_equal(t->activations, 1);
	assert_false(D.standby_pending);
	/* still incoming (its host not committed yet): kept; then no more incoming */
	w = maps()->writes;
	assert_int_equal(apply_incoming(3), 0);
	assert_int_equal(maps()->writes, w);
	assert_int_equal(apply_incoming(2), 0);
	assert_int_equal(maps()->writes, w);
	assert_int_equal(pp_iport_get(maps(), slot, &ip), 0);
	assert_int_equal(ip.ifindex, a);
	assert_status(PP_NAME_IPORT, "vm1", PP_ST_ACTIVE, "");
	/* incoming again with its tap active (away and back): the guest keeps it */
	assert_int_equal(apply_incoming(3), 0);
	assert_int_equal(maps()->writes, w);
	assert_status(PP_NAME_IPORT, "vm1", PP_ST_ACTIVE, "");

	/* vm2, incoming, gets two taps: the newest the standby, the other retired */
	sh("ip tuntap add ppt-rc-tapd mode tap && ip link set ppt-rc-tapd alias polyport:port-2 && "
	   "ip tuntap add ppt-rc-tape mode tap && ip link set ppt-rc-tape alias polyport:port-2 && "
	   "ip link set ppt-rc-tapd up && ip link set ppt-rc-tape up");
	d = if_nametoindex("ppt-rc-tapd");
	e = if_nametoindex("ppt-rc-tape");
	assert_true(d && e && d < e);
	assert_true(pp_reconcile_alias_check(&D));
	assert_int_equal(pp_iport_get(maps(), slot2, &ip), 0);
	assert_int_equal(ip.ifindex, 0);
	assert_int_equal(ip.standby, e);
	assert_true(tap_bound(d, slot2) && tap_bound(e, slot2));
	assert_true(pp_daemon_attached(&D, (int)d, PP_ROLE_TAP));
	assert_true(pp_daemon_attached(&D, (int)e, PP_ROLE_TAP));
	t = pp_daemon_iport_taps(&D, 1);
	assert_int_equal(t->n_retired, 1);
	assert_string_equal(t->retired_name[0], "ppt-rc-tapd");
	assert_status(PP_NAME_IPORT, "vm2", PP_ST_DOWN,
		      "incoming: tap ppt-rc-tape is the standby, waiting for the guest's first frame");
	/* its standby alone is a tap: no alias rescan for it (nor while another waits) */
	assert_false(D.alias_waiting);
	assert_int_equal(apply_incoming_more("  vm3:\n    id: port-3\n"
					     "    mac: 52:54:00:00:00:03\n", 3), 0);
	assert_true(D.alias_waiting);
	assert_false(pp_reconcile_alias_check(&D));
	assert_int_equal(apply_incoming(3), 0);
	/* plug --activate of the older one */
	assert_int_equal(pp_reconcile_activate(&D, 1, "ppt-rc-nosuch"), -ENODEV);
	assert_int_equal(pp_reconcile_activate(&D, 1, "ppt-rc-tapd"), 0);
	assert_int_equal(pp_iport_get(maps(), slot2, &ip), 0);
	assert_int_equal(ip.ifindex, d);
	assert_status(PP_NAME_IPORT, "vm2", PP_ST_ACTIVE, "");
	t = pp_daemon_iport_taps(&D, 1);
	assert_string_equal(t->active_name, "ppt-rc-tapd");
	assert_int_equal(t->activations, 1);
	/* no more incoming: nothing written */
	w = maps()->writes;
	assert_int_equal(apply_incoming(0), 0);
	assert_int_equal(maps()->writes, w);
	assert_int_equal(pp_iport_get(maps(), slot2, &ip), 0);
	assert_int_equal(ip.ifindex, d);
	sh("ip link del ppt-rc-tap0; ip link del ppt-rc-tapd; ip link del ppt-rc-tape");
}


/* ---- stretched networks over VXLAN (issue 20) --------------------------------------- */

/*
 * The host's VXLAN device as polyportd makes it (loader/vxlan.h), in the
 * test's namespace: VTEP 10.99.0.1 on a veth (the underlay, MTU 1500),
 * device ppt-rc-vx on port 4789.  Returns its ifindex.
 */
static __u32 vx_start(void)
{
	char why[200] = "";

	if (!if_nametoindex("ppt-rc-ul0"))
		sh("ip link add ppt-rc-ul0 type veth peer name ppt-rc-ul1 && "
		   "ip addr add 10.99.0.1/24 dev ppt-rc-ul0 && ip link set ppt-rc-ul0 up");
	if (pp_vxlan_resolve(&D.vx, "10.99.0.1", "ppt-rc-vx", 4789, why, sizeof(why)))
		fail_msg("pp_vxlan_resolve: %s", why);
	assert_string_equal(D.vx.underlay, "ppt-rc-ul0");
	assert_int_equal(D.vx.underlay_mtu, 1500);
	assert_int_equal(pp_vxlan_sync(&D, true), 0);
	assert_int_not_equal(D.vx.ifindex, 0);
	assert_int_equal(D.vx.ifindex, if_nametoindex("ppt-rc-vx"));
	return D.vx.ifindex;
}

/* pp_vxlan[0] and the device's pp_devs entry name ifindex, as the programs need them. */
static void assert_vx_entries(__u32 ifindex)
{
	struct pp_vxlan vx = { 0 };
	struct pp_dev dev = { 0 };
	const __u8 local[16] = { 10, 99, 0, 1 };

	assert_int_equal(pp_vxlan_get(maps(), 0, &vx), 0);
	assert_int_equal(vx.ifindex, ifindex);
	assert_int_equal(vx.family, PP_NEIGH_V4);
	assert_memory_equal(vx.local, local, 16);
	assert_int_equal(pp_dev_get(maps(), ifindex, &dev), 0);
	assert_int_equal(dev.flags, PP_DEV_NET | PP_DEV_VXLAN);
	assert_int_equal(dev.slot, 0);
	assert_int_equal(dev.net_id, 0);
	assert_int_equal(dev.ifindex, ifindex);
}

/* A device's MTU in our namespace (the sysfs mounted may be another namespace's). */
static int link_mtu(const char *name)
{
	char cmd[128], out[32] = "";
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip -o link show %s | sed 's/.* mtu \\([0-9]*\\).*/\\1/'", name);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, sizeof(out), f));
	pclose(f);
	return atoi(out);
}

/*
 * The VXLAN device: created external, learning off, MTU the underlay's
 * minus 50, up, IPv6 off, our TC program on it; adopted by a restarted
 * daemon with nothing written; made again when it is deleted (the links
 * watcher's reconcile), its old entry gone; a name taken by another kind
 * of device refused; without --vtep pp_vxlan names nothing.
 */
static void test_vxlan_device(void **state)
{
	const char *vxname[] = { "ppt-rc-vx" };
	struct pp_vxlan_host saved;
	struct pp_dev dev = { 0 };
	struct pp_vxlan vx = { 0 };
	unsigned long w;
	char why[200] = "";
	__u32 a, b, xdp = 0;

	(void)state;
	a = vx_start();
	assert_vx_entries(a);
	assert_int_equal(link_mtu("ppt-rc-vx"), 1450);
	sh("ip -d link show ppt-rc-vx | grep -q 'vxlan external .*dstport 4789 .*nolearning'");
	sh("ip link show ppt-rc-vx | grep -q '[<,]UP[,>]'");
	sh("test \"$(cat /proc/sys/net/ipv6/conf/ppt-rc-vx/disable_ipv6)\" = 1");
	assert_true(pp_daemon_attached(&D, (int)a, PP_ROLE_NET));
	/* a restarted daemon adopts it as it is: nothing written */
	saved = D.vx;
	pp_daemon_close(&D);
	assert_int_equal(pp_daemon_open(&D, pin_root, &chain_sizes), 0);
	D.vx = saved;
	w = maps()->writes;
	assert_int_equal(pp_vxlan_sync(&D, true), 0);
	assert_int_equal(D.vx.ifindex, a);
	assert_int_equal(maps()->writes, w);
	/* deleted while no network is on it: made again, up, the old ifindex's entry gone */
	sh("ip link del ppt-rc-vx");
	assert_int_equal(pp_vxlan_sync(&D, false), 0);
	b = if_nametoindex("ppt-rc-vx");
	assert_true(b && b != a && D.vx.ifindex == b && D.vx.up);
	assert_vx_entries(b);
	assert_int_equal(pp_dev_get(maps(), a, &dev), 0);
	assert_int_equal(dev.flags, 0);
	a = b;
	/* a stretched network on it: TC only, never XDP (even for an instance port in XDP) */
	sh("ip tuntap add ppt-rc-tap0 mode tap");
	assert_int_equal(apply("networks:\n  str-1:\n    vxlan: {vni: 5001}\n"
			       "instance-ports:\n  vm1:\n    device: ppt-rc-tap0\n"
			       "    mac: 52:54:00:00:00:01\n    mode: xdp\n    service-ports:\n"
			       "      vm1-a:\n        vlan: 100\n        bind: {network: str-1}\n"), 0);
	assert_int_equal(bpf_xdp_query_id((int)if_nametoindex("ppt-rc-tap0"), 0, &xdp), 0);
	assert_int_not_equal(xdp, 0);	/* the tap's */
	xdp = 0;
	assert_status(PP_NAME_NET, "str-1", PP_ST_ACTIVE, "");
	assert_int_equal(pp_daemon_status(&D, PP_NAME_NET, 0)->mode, PP_MODE_TC);
	/* decided as the VXLAN device, not by the XDP rules of other devices */
	assert_string_equal(pp_daemon_status(&D, PP_NAME_NET, 0)->mode_reason,
			    "the VXLAN device: TC only (the tunnel key is skb metadata)");
	assert_int_equal(bpf_xdp_query_id((int)a, 0, &xdp), 0);
	assert_int_equal(xdp, 0);
	assert_status(PP_NAME_SPORT, "vm1-a", PP_ST_ACTIVE, "");
	/* set down by hand: DOWN, left down by a reconcile */
	sh("ip link set ppt-rc-vx down");
	assert_int_equal(pp_reconcile_devices(&D, vxname, 1), 0);
	assert_status(PP_NAME_NET, "str-1", PP_ST_DOWN, "VXLAN device ppt-rc-vx is down");
	sh("ip link set ppt-rc-vx up");
	assert_int_equal(pp_reconcile_devices(&D, vxname, 1), 0);
	assert_status(PP_NAME_NET, "str-1", PP_ST_ACTIVE, "");
	/* deleted: made again at the next reconcile, the old ifindex's entry gone */
	sh("ip link del ppt-rc-vx");
	assert_int_equal(pp_reconcile_devices(&D, vxname, 1), 0);
	b = if_nametoindex("ppt-rc-vx");
	assert_true(b && b != a);
	assert_vx_entries(b);
	assert_int_equal(pp_dev_get(maps(), a, &dev), 0);
	assert_int_equal(dev.flags, 0);
	assert_true(pp_daemon_attached(&D, (int)b, PP_ROLE_NET));
	assert_int_equal(link_mtu("ppt-rc-vx"), 1450);
	assert_status(PP_NAME_NET, "str-1", PP_ST_ACTIVE, "");
	{
		struct pp_net net = { 0 };

		assert_int_equal(pp_net_get(maps(), id_of(PP_NAME_NET, "str-1"), &net), 0);
		assert_int_equal(net.ifindex, b);
	}
	/* without --vtep: pp_vxlan names nothing, the device loses its entry (not deleted) */
	D.vx.family = 0;
	assert_int_equal(pp_vxlan_sync(&D, true), 0);
	assert_int_equal(pp_vxlan_get(maps(), 0, &vx), 0);
	assert_int_equal(vx.ifindex, 0);
	assert_int_equal(pp_dev_get(maps(), b, &dev), 0);
	assert_int_equal(dev.flags, 0);
	assert_int_equal(if_nametoindex("ppt-rc-vx"), b);
	assert_int_equal(apply("networks:\n  str-1:\n    vxlan: {vni: 5001}\n"), 0);
	assert_status(PP_NAME_NET, "str-1", PP_ST_ERROR,
		      "stretched over VXLAN (vni 5001) but polyportd runs without --vtep");
	/* a name taken by a device of another kind: refused, untouched */
	sh("ip link del ppt-rc-tap0; ip link del ppt-rc-vx; "
	   "ip link add ppt-rc-vx type veth peer name ppt-rc-vy");
	b = if_nametoindex("ppt-rc-vx");
	D.vx = saved;
	assert_int_equal(pp_vxlan_sync(&D, true), -EEXIST);
	assert_non_null(strstr(D.vx.why, "name is taken"));
	assert_int_equal(if_nametoindex("ppt-rc-vx"), b);
	/* and an address that is no device's */
	assert_int_equal(pp_vxlan_resolve(&D.vx, "10.99.0.9", NULL, 4789, why, sizeof(why)),
			 -EADDRNOTAVAIL);
	sh("ip link del ppt-rc-vx");
}

/* The other hosts (cfg->vteps: 192.0.2.N) and their MACs 52:54:00:00:01:LAST. */
struct vx_remote {
	const char *net;
	unsigned host;		/* an index in hosts */
	__u8 last;
};

static bool vx_unknown;		/* vx_apply: the other hosts not known yet */

static int vx_apply(const char *text, const __u8 *hosts, size_t nh, const struct vx_remote *r,
		    size_t nr)
{
	struct pp_config *cfg = load(text);

	cfg->remotes_unknown = vx_unknown;

	cfg->vteps = calloc(nh + 1, sizeof(*cfg->vteps));
	cfg->remotes = calloc(nr + 1, sizeof(*cfg->remotes));
	assert_true(cfg->vteps && cfg->remotes);
	for (size_t i = 0; i < nh; i++) {
		snprintf(cfg->vteps[i].host, sizeof(cfg->vteps[i].host), "h%u", hosts[i]);
		cfg->vteps[i].addr = (struct pp_cfg_addr){ .family = PP_AF_INET, .plen = 32,
							   .addr = { 192, 0, 2, hosts[i] } };
	}
	cfg->n_vteps = nh;
	for (size_t i = 0; i < nr; i++) {
		const struct pp_cfg_network *n = pp_config_find_network(cfg, r[i].net);

		assert_non_null(n);
		cfg->remotes[i] = (struct pp_cfg_remote){ .network = n - cfg->networks,
							   .vtep = r[i].host,
							   .mac = { 0x52, 0x54, 0, 0, 1, r[i].last } };
	}
	cfg->n_remotes = nr;
	return pp_reconcile(&D, cfg, false);
}

/* pp_remote (net, 52:54:00:00:01:last): the last byte of its host's VTEP, 0 if none. */
static __u8 remote_host(__u32 net, __u8 last)
{
	struct pp_fdb_key k = { .net_id = net, .mac = { 0x52, 0x54, 0, 0, 1, last } };
	struct pp_vtep v = { 0 };

	if (pp_remote_get(maps(), k, &v))
		return 0;
	assert_int_equal(v.family, PP_NEIGH_V4);
	assert_int_equal(v.addr[0], 192);
	return v.addr[3];
}

/* pp_rflood[net] as the last bytes of its hosts, "2,3" ("" if none). */
static const char *rflood_of(__u32 net, char *buf, size_t len)
{
	struct pp_rflood fl;
	size_t n = 0;

	buf[0] = 0;
	if (pp_rflood_get(maps(), net, &fl))
		return buf;
	for (__u32 i = 0; i < fl.count; i++)
		n += snprintf(buf + n, len - n, "%s%u", i ? "," : "", fl.vtep[i].addr[3]);
	for (__u32 i = fl.count; i < PP_RFLOOD_MAX; i++)	/* the rest zero: compared whole */
		assert_true(pp_all_zero(&fl.vtep[i], sizeof(fl.vtep[i])));
	return buf;
}

static bool vtep_known(__u8 host)
{
	struct pp_vtep k = { .family = PP_NEIGH_V4, .addr = { 192, 0, 2, host } };
	__u32 one = 0;

	return !pp_vtep_get(maps(), k, &one) && one == 1;
}

static __u32 vni_net(__u32 vni)
{
	__u32 id = 0;

	return pp_vni_get(maps(), vni, &id) ? 0 : id;
}

#define CFG_STR(vni2)							\
	"networks:\n"							\
	"  str-1:\n"							\
	"    vxlan: {vni: 5001}\n"					\
	"  str-2:\n"							\
	"    vxlan: {vni: " #vni2 "}\n"					\
	"    mtu: 1400\n"

/*
 * Stretched networks: their entries (the VXLAN device, VLAN 0, the VNI),
 * pp_vnis; the other hosts' tables from cfg->vteps / cfg->remotes, sorted
 * and deduplicated, nothing written again for the same configuration; a
 * MAC, a host, a network gone or a VNI changed: what was theirs goes, a
 * flood list lists exactly the hosts with ports on the network.
 */
static void test_vxlan_remotes(void **state)
{
	static const __u8 h23[] = { 3, 2 }, h3[] = { 3 };
	/* host indexes into h23: 0 = 192.0.2.3, 1 = 192.0.2.2 */
	static const struct vx_remote r[] = {
		{ "str-1", 0, 0x31 }, { "str-1", 1, 0x21 }, { "str-2", 1, 0x22 },
		{ "str-1", 0, 0x21 },	/* named again on another host: the first one counts */
		{ "str-1", 1, 0x23 },	/* a second MAC on 192.0.2.2: one host in the flood */
	};
	struct vx_remote many[PP_RFLOOD_MAX + 1];
	__u8 hmany[PP_RFLOOD_MAX + 1];
	struct pp_net net = { 0 };
	struct pp_dev dev = { 0 };
	__u32 ifx, s1, s2;
	unsigned long w;
	char fl[256];

	(void)state;
	ifx = vx_start();
	assert_int_equal(vx_apply(CFG_STR(5002), h23, 2, r, ARRAY_SIZE(r)), 0);
	s1 = id_of(PP_NAME_NET, "str-1");
	s2 = id_of(PP_NAME_NET, "str-2");
	assert_true(s1 && s2);
	assert_int_equal(pp_net_get(maps(), s2, &net), 0);
	assert_int_equal(net.ifindex, ifx);
	assert_int_equal(net.vlan, 0);
	assert_int_equal(net.mtu, 1400);
	assert_int_equal(net.vni, 5002);
	assert_int_equal(vni_net(5001), s1);
	assert_int_equal(vni_net(5002), s2);
	assert_vx_entries(ifx);		/* no network is the device's own */
	assert_status(PP_NAME_NET, "str-1", PP_ST_ACTIVE, "");
	assert_true(vtep_known(2) && vtep_known(3));
	assert_int_equal(remote_host(s1, 0x31), 3);
	assert_int_equal(remote_host(s1, 0x21), 2);	/* r[1], before r[3] */
	assert_int_equal(remote_host(s1, 0x23), 2);
	assert_int_equal(remote_host(s2, 0x22), 2);
	assert_int_equal(remote_host(s2, 0x31), 0);
	assert_string_equal(rflood_of(s1, fl, sizeof(fl)), "2,3");
	assert_string_equal(rflood_of(s2, fl, sizeof(fl)), "2");
	/* polyportctl dump --canonical: the new maps readable */
	{
		static const char *const want[] = {
			"pp_vxlan 0 ifindex=ppt-rc-vx family=4 local=10.99.0.1\n",
			"pp_vnis 5002 => str-2\n",
			"pp_vteps 192.0.2.3 pad=0.0.0 => 1\n",
			"pp_remote str-1 52:54:00:00:01:21 pad=0 => 192.0.2.2\n",
			"pp_rflood str-1 count=2\npp_rflood str-1 host 192.0.2.2\n"
			"pp_rflood str-1 host 192.0.2.3\n",
			"pp_nets str-2 ifindex=ppt-rc-vx vlan=0 mtu=1400 lone=- chain=- vni=5002\n",
			"pp_devs ppt-rc-vx flags=0x12 slot=0 net=- ifindex=ppt-rc-vx\n",
		};
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_non_null(f);
		assert_int_equal(pp_dump_canonical(pin_root, f), 0);
		fclose(f);
		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			if (!strstr(text, want[i]))
				fail_msg("dump: no %s in:\n%s", want[i], text);
		free(text);
	}
	/* the same again: nothing written */
	w = maps()->writes;
	assert_int_equal(vx_apply(CFG_STR(5002), h23, 2, r, ARRAY_SIZE(r)), 0);
	assert_int_equal(maps()->writes, w);
	/* the other hosts not known yet (a start before the store's first list):
	 * the tables stay as pinned, nothing written or deleted */
	vx_unknown = true;
	assert_int_equal(vx_apply(CFG_STR(5002), NULL, 0, NULL, 0), 0);
	vx_unknown = false;
	assert_int_equal(maps()->writes, w);
	assert_int_equal(remote_host(s1, 0x31), 3);
	assert_string_equal(rflood_of(s1, fl, sizeof(fl)), "2,3");
	assert_true(vtep_known(2) && vtep_known(3));

	/* str-1's MACs on 192.0.2.3 gone: that host leaves its flood list */
	assert_int_equal(vx_apply(CFG_STR(5002), h23, 2, r + 1, 2), 0);
	assert_int_equal(remote_host(s1, 0x31), 0);
	assert_int_equal(remote_host(s1, 0x21), 2);
	assert_int_equal(remote_host(s1, 0x23), 0);
	assert_string_equal(rflood_of(s1, fl, sizeof(fl)), "2");
	assert_string_equal(rflood_of(s2, fl, sizeof(fl)), "2");
	assert_true(vtep_known(3));	/* still a host (of the store) */

	/* host 192.0.2.2 gone: its VTEP, its MACs, its place in the flood lists */
	assert_int_equal(vx_apply(CFG_STR(5002), h3, 1, r, 1), 0);
	assert_false(vtep_known(2));
	assert_true(vtep_known(3));
	assert_int_equal(remote_host(s1, 0x21), 0);
	assert_int_equal(remote_host(s2, 0x22), 0);
	assert_int_equal(remote_host(s1, 0x31), 3);
	assert_string_equal(rflood_of(s1, fl, sizeof(fl)), "3");
	assert_string_equal(rflood_of(s2, fl, sizeof(fl)), "");

	/* str-2's VNI changed: the old one names nothing */
	assert_int_equal(vx_apply(CFG_STR(5003), h3, 1, r, 1), 0);
	assert_int_equal(vni_net(5002), 0);
	assert_int_equal(vni_net(5003), s2);
	assert_int_equal(pp_net_get(maps(), s2, &net), 0);
	assert_int_equal(net.vni, 5003);

	/* more than PP_RFLOOD_MAX hosts on str-1: ERROR, no flood list */
	for (int i = 0; i <= PP_RFLOOD_MAX; i++) {
		hmany[i] = (__u8)(10 + i);
		many[i] = (struct vx_remote){ "str-1", (unsigned)i, 0x40 + i };
	}
	assert_int_equal(vx_apply(CFG_STR(5003), hmany, ARRAY_SIZE(hmany), many, ARRAY_SIZE(many)),
			 -E2BIG);
	assert_status(PP_NAME_NET, "str-1", PP_ST_ERROR, NULL);
	assert_non_null(strstr(pp_daemon_status_by_name(&D, PP_NAME_NET, "str-1")->reason,
			       "more than 64 other hosts"));
	assert_string_equal(rflood_of(s1, fl, sizeof(fl)), "");
	assert_int_equal(vx_apply(CFG_STR(5003), hmany, PP_RFLOOD_MAX, many, PP_RFLOOD_MAX), 0);
	assert_status(PP_NAME_NET, "str-1", PP_ST_ACTIVE, "");
	assert_int_equal(strlen(rflood_of(s1, fl, sizeof(fl))), 64 * 2 + 63);	/* 10,11,..,73 */

	/* a network gone: its VNI, MACs and flood list with it; the device's entry stays */
	assert_int_equal(vx_apply("networks:\n  str-2:\n    vxlan: {vni: 5003}\n", h3, 1, NULL, 0),
			 0);
	assert_int_equal(id_of(PP_NAME_NET, "str-1"), 0);
	assert_int_equal(vni_net(5001), 0);
	assert_int_equal(remote_host(s1, 0x31), 0);
	assert_string_equal(rflood_of(s1, fl, sizeof(fl)), "");
	assert_vx_entries(ifx);
	assert_true(pp_daemon_attached(&D, (int)ifx, PP_ROLE_NET));
	/* every network gone: the same */
	assert_int_equal(vx_apply("networks: {}\n", NULL, 0, NULL, 0), 0);
	assert_int_equal(vni_net(5003), 0);
	assert_false(vtep_known(3));
	assert_int_equal(pp_dev_get(maps(), ifx, &dev), 0);
	assert_int_equal(dev.flags, PP_DEV_NET | PP_DEV_VXLAN);
	sh("ip link del ppt-rc-vx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_removes_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_config_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_step_networks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_step_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3, setup, teardown),
		cmocka_unit_test(test_l3_routes_quiet),
		cmocka_unit_test(test_rule_reverse),
		cmocka_unit_test(test_chain_slots),
		cmocka_unit_test_setup_teardown(test_chain, setup_chain, teardown),
		cmocka_unit_test_setup_teardown(test_taps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incoming, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xdp_tx_orphan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vxlan_device, setup_chain, teardown),
		cmocka_unit_test_setup_teardown(test_vxlan_remotes, setup_chain, teardown),
	};

	libbpf_set_print(NULL);
	/* the L3 test writes routes: into a network namespace of our own */
	if (unshare(CLONE_NEWNET)) {
		perror("test_reconcile: unshare(CLONE_NEWNET)");
		return 1;
	}
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/pp-test-reconcile-%d", getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
