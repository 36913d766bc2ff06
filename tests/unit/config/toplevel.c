/*
 * Binding-file tests of the top-level service ports (service-ports: with
 * instance-port:) and of the in-memory sources the API adds (JSON): where
 * they join their instance port, their lookups. Their error cases are in
 * toplevel.cases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfgtest.h"

/* A file beside which the API's JSON sources are loaded. */
#define SF1_FILE						\
	"networks:\n"						\
	"  tenant-a: {device: pa0}\n"				\
	"instance-ports:\n"					\
	"  sf1:\n"						\
	"    device: tap-sf1\n"					\
	"    mac: 52:54:00:00:00:01\n"				\
	"    service-ports:\n"					\
	"      sf1-a: {vlan: 100, bind: {network: tenant-a}}\n"

/* A top-level service port on an instance port of a later file and of an
 * earlier file; they join their instance port's service ports. */
static void test_toplevel_other_files(void **state)
{
	static const char *const files[] = { "a.yaml", "b.yaml", "c.yaml" };
	const uint8_t m2[6] = { 0x52, 0x54, 0, 0, 0, 0x02 };
	/* sports[]: p's nested then top-level ones, then q's (MACs inherited) */
	const struct want_sport want[] = {
		{ "p-s1", 0, false, 0, PP_MATCH_VLAN, 10, 0, mac1, false, 0 },
		{ "p-t1", 1, true, 0, PP_MATCH_QINQ, 10, 20, mac1, false, 1 },
		{ "q-s1", 2, false, 1, PP_MATCH_VLAN, 11, 0, m2, false, 1 },
		{ "q-t1", 3, true, 1, PP_MATCH_VLAN, 10, 0, m2, false, 0 },
	};
	/* where each is defined: file (index), line, column */
	const unsigned int at[][3] = { { 1, 9, 7 }, { 2, 2, 3 }, { 1, 14, 7 }, { 0, 2, 3 } };
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "service-ports:\n"
	     "  q-t1:\n"
	     "    instance-port: q\n"	/* defined in a later file */
	     "    vlan: 10\n"
	     "    bind: {network: na}\n",
	     "b.yaml",
	     NETS_AB IPORT_HEAD
	     "      p-s1: {vlan: 10, bind: {network: na}}\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:02\n"
	     "    service-ports:\n"
	     "      q-s1: {vlan: 11, bind: {network: nb}}\n",
	     "c.yaml",
	     "service-ports:\n"		/* p: an earlier file */
	     "  p-t1: {instance-port: p, vlan: [10, 20], bind: {network: nb}}\n",
	     NULL);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_sports, 4);
	expect_iport_sports(f, "p", 0, 2);
	expect_iport_sports(f, "q", 2, 2);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct pp_cfg_sport *s = &f->cfg->sports[i];

		expect_sport(f, &want[i]);
		assert_string_equal(s->loc.file, files[at[i][0]]);
		assert_ptr_equal(s->loc.file, f->cfg->files[at[i][0]]);
		assert_int_equal(s->loc.line, at[i][1]);
		assert_int_equal(s->loc.col, at[i][2]);
	}
}

/* The API's JSON, as one more source, referencing objects of the files. */
static void test_toplevel_json_source(void **state)
{
	struct fx *f = *state;
	const uint8_t m77[6] = { 0x52, 0x54, 0, 0, 0, 0x77 };
	const uint8_t m91[6] = { 0x52, 0x54, 0, 0, 0x09, 0x01 };
	const struct pp_cfg_network *tx;
	const struct pp_cfg_iport *sf1, *vm9;
	const struct pp_cfg_sport *s;

	write_file(f, "a.yaml", SF1_FILE);
	load_api(f,
		 "{\n"
		 "  \"networks\": {\"tenant-x\": {\"device\": \"px0\", \"mtu\": 1500}},\n"
		 "  \"instance-ports\": {\"vm9\": {\"device\": \"tap9\", \"mac\": \"52:54:00:00:09:01\"}},\n"
		 "  \"service-ports\": {\n"
		 "    \"vm9-a\": {\"instance-port\": \"vm9\", \"vlan\": 100, \"bind\": {\"network\": \"tenant-x\"}},\n"
		 "    \"sf1-z\": {\"instance-port\": \"sf1\", \"vlan\": [700, 7], \"mac\": \"52:54:00:00:00:77\", \"bind\": {\"network\": \"tenant-a\"}}\n"
		 "  }\n"
		 "}\n");
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_files, 2);
	assert_string_equal(f->cfg->files[0], "a.yaml");
	assert_string_equal(f->cfg->files[1], "api");
	assert_int_equal(f->cfg->n_networks, 2);
	assert_int_equal(f->cfg->n_iports, 2);
	assert_int_equal(f->cfg->n_sports, 3);

	tx = pp_config_find_network(f->cfg, "tenant-x");
	assert_ptr_equal(tx, &f->cfg->networks[1]);
	assert_string_equal(tx->device, "px0");
	assert_int_equal(tx->mtu, 1500);
	assert_string_equal(tx->loc.file, "api");
	assert_int_equal(tx->loc.line, 2);
	assert_int_equal(tx->loc.col, 16);

	sf1 = pp_config_find_iport(f->cfg, "sf1");
	vm9 = pp_config_find_iport_by_device(f->cfg, "tap9");
	assert_ptr_equal(vm9, &f->cfg->iports[1]);
	assert_memory_equal(vm9->mac, m91, 6);
	assert_int_equal(sf1->sport_first, 0);
	assert_int_equal(sf1->sport_count, 2);
	assert_int_equal(vm9->sport_first, 2);
	assert_int_equal(vm9->sport_count, 1);

	expect_sport(f, &(struct want_sport){ "sf1-z", 1, true, 0, PP_MATCH_QINQ, 700, 7,
					      m77, true, 0 });
	s = &f->cfg->sports[1];
	assert_string_equal(s->loc.file, "api");
	assert_int_equal(s->loc.line, 6);
	assert_int_equal(s->loc.col, 5);

	/* its MAC inherited */
	expect_sport(f, &(struct want_sport){ "vm9-a", 2, true, 1, PP_MATCH_VLAN, 100, 0,
					      m91, false, 1 });
	s = &f->cfg->sports[2];
	assert_int_equal(s->loc.line, 5);
	assert_int_equal(s->loc.col, 5);

	s = pp_config_find_sport(f->cfg, "sf1-a");
	assert_ptr_equal(s, &f->cfg->sports[0]);
	assert_false(s->toplevel);

	/* compact JSON (no spaces) reads the same */
	load_api(f,
		 "{\"service-ports\":{\"sf1-z\":{\"instance-port\":\"sf1\","
		 "\"vlan\":[700,7],\"mac\":\"52:54:00:00:00:77\","
		 "\"bind\":{\"network\":\"tenant-a\"}}}}");
	expect_nerr(f, 0);
	s = pp_config_find_sport(f->cfg, "sf1-z");
	assert_ptr_equal(s, &f->cfg->sports[1]);
	assert_int_equal(s->inner_vid, 7);
	assert_int_equal(s->loc.line, 1);
	assert_int_equal(s->loc.col, 19);
}

static void test_toplevel_mac_inheritance_and_mtu(void **state)
{
	struct fx *f = *state;
	const uint8_t m2[6] = { 0x52, 0x54, 0, 0, 0, 0x02 };
	const struct pp_cfg_sport *s;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  na: {device: pa0}\n"
	     "  jumbo: {device: pj0, mtu: 9000}\n"
	     "instance-ports:\n"
	     "  p: {device: tap-p, mac: 52:54:00:00:00:01}\n"
	     "  q: {device: tap-q, mac: 52:54:00:00:00:02, mtu: 9000}\n"
	     "service-ports:\n"
	     "  t1: {instance-port: p, vlan: 1, bind: {network: na}}\n"
	     "  t2: {instance-port: q, vlan: 1, bind: {network: na}}\n"
	     "  t3: {instance-port: p, vlan: 3, mac: 02:00:00:00:00:03, bind: {network: na}}\n"
	     "  t4: {instance-port: p, src-mac: 02:00:00:00:00:04, bind: {network: na}}\n"
	     "  t5: {instance-port: q, vlan: 5, mac: 02:00:00:00:00:05, bind: {network: jumbo}}\n",
	     NULL);
	expect_nerr(f, 0);
	s = pp_config_find_sport(f->cfg, "t1");
	assert_memory_equal(s->mac, mac1, 6);
	assert_false(s->mac_explicit);
	s = pp_config_find_sport(f->cfg, "t2");
	assert_memory_equal(s->mac, m2, 6);
	assert_false(s->mac_explicit);
	s = pp_config_find_sport(f->cfg, "t3");
	assert_int_equal(s->mac[5], 0x03);
	assert_true(s->mac_explicit);
	s = pp_config_find_sport(f->cfg, "t4");
	assert_int_equal(s->match, PP_MATCH_SRCMAC);
	assert_int_equal(s->mac[5], 0x04);
	assert_false(s->mac_explicit);
	s = pp_config_find_sport(f->cfg, "t5");
	assert_int_equal(s->network, 1);

	write_file(f, "b.yaml",
		   "service-ports:\n"
		   "  t6: {instance-port: p, vlan: 6, bind: {network: na}}\n"
		   "  t7: {instance-port: p, vlan: 7, mac: 02:00:00:00:00:07, bind: {network: jumbo}}\n");
	load_dir(f);
	expect_nerr(f, 2);
	expect_err(f, "b.yaml", 2, 3,
		   "MAC 52:54:00:00:00:01 of service port \"t6\" (inherited from instance port \"p\") is already used on network \"na\" by service port \"t1\" at a.yaml:8:3");
	expect_err(f, "b.yaml", 3, 75,
		   "network \"jumbo\" has MTU 9000, more than the MTU 1500 of instance port \"p\"");
}

/* sports[] is grouped by instance port (nested ones, then top-level ones,
 * each in order of definition); every record keeps its fields and loc, and
 * every lookup finds the moved record. */
static void test_toplevel_grouping_and_lookups(void **state)
{
	static const struct {
		const char *name, *iport, *file;
		bool top;
		unsigned int line, col, vid;
	} want[] = {
		{ "p1", "p", "a.yaml", false, 8, 7, 1 },
		{ "p2", "p", "a.yaml", false, 9, 7, 2 },
		{ "tp1", "p", "b.yaml", true, 3, 3, 3 },
		{ "tp2", "p", "b.yaml", true, 5, 3, 4 },
		{ "tp3", "p", "c.yaml", true, 8, 3, 5 },
		{ "q1", "q", "a.yaml", false, 14, 7, 1 },
		{ "tq1", "q", "b.yaml", true, 4, 3, 2 },
		{ "tr1", "r", "b.yaml", true, 2, 3, 1 },
		{ "s1", "s", "c.yaml", false, 6, 7, 1 },
		{ "ts1", "s", "c.yaml", true, 9, 3, 2 },
	};
	static const struct {
		const char *name;
		uint32_t first, count;
	} ips[] = { { "p", 0, 5 }, { "q", 5, 2 }, { "r", 7, 1 }, { "s", 8, 2 } };
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n: {device: pn0}\n"
	     "instance-ports:\n"
	     "  p:\n"
	     "    device: tap-p\n"
	     "    mac: 02:00:00:00:00:01\n"
	     "    service-ports:\n"
	     "      p1: {vlan: 1, bind: {network: n}}\n"
	     "      p2: {vlan: 2, mac: 02:00:00:00:01:02, bind: {network: n}}\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 02:00:00:00:00:02\n"
	     "    service-ports:\n"
	     "      q1: {vlan: 1, bind: {network: n}}\n"
	     "  r: {device: tap-r, mac: 02:00:00:00:00:03}\n",
	     "b.yaml",
	     "service-ports:\n"
	     "  tr1: {instance-port: r, vlan: 1, bind: {network: n}}\n"
	     "  tp1: {instance-port: p, vlan: 3, mac: 02:00:00:00:01:03, bind: {network: n}}\n"
	     "  tq1: {instance-port: q, vlan: 2, mac: 02:00:00:00:02:02, bind: {network: n}}\n"
	     "  tp2: {instance-port: p, vlan: 4, mac: 02:00:00:00:01:04, bind: {network: n}}\n",
	     "c.yaml",
	     "instance-ports:\n"
	     "  s:\n"
	     "    device: tap-s\n"
	     "    mac: 02:00:00:00:00:04\n"
	     "    service-ports:\n"
	     "      s1: {vlan: 1, bind: {network: n}}\n"
	     "service-ports:\n"
	     "  tp3: {instance-port: p, vlan: 5, mac: 02:00:00:00:01:05, bind: {network: n}}\n"
	     "  ts1: {instance-port: s, vlan: 2, mac: 02:00:00:00:04:02, bind: {network: n}}\n",
	     NULL);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_sports, 10);
	assert_int_equal(f->cfg->n_iports, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct pp_cfg_iport *ip = &f->cfg->iports[i];

		assert_string_equal(ip->name, ips[i].name);
		assert_ptr_equal(pp_config_find_iport(f->cfg, ips[i].name), ip);
		assert_int_equal(ip->sport_first, ips[i].first);
		assert_int_equal(ip->sport_count, ips[i].count);
		for (uint32_t j = 0; j < ip->sport_count; j++)
			assert_int_equal(f->cfg->sports[ip->sport_first + j].iport, i);
	}
	for (size_t i = 0; i < 10; i++) {
		const struct pp_cfg_sport *s = &f->cfg->sports[i];

		assert_string_equal(s->name, want[i].name);
		assert_ptr_equal(pp_config_find_sport(f->cfg, want[i].name), s);
		assert_string_equal(f->cfg->iports[s->iport].name, want[i].iport);
		assert_int_equal(s->toplevel, want[i].top);
		assert_string_equal(s->loc.file, want[i].file);
		assert_int_equal(s->loc.line, want[i].line);
		assert_int_equal(s->loc.col, want[i].col);
		assert_int_equal(s->outer_vid, want[i].vid);
		assert_int_equal(s->network, 0);
	}
	assert_null(pp_config_find_sport(f->cfg, "p"));
}

static void test_toplevel_empty_and_wrong_type(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml", "service-ports:\n",
	     "b.yaml", "service-ports: {}\n",
	     NULL);
	expect_nerr(f, 0);
	load_api(f, "{\"networks\": {}, \"instance-ports\": {}, \"service-ports\": {}}\n");
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_files, 3);
	assert_string_equal(f->cfg->files[2], "api");
	assert_int_equal(f->cfg->n_sports, 0);
	load_api(f, "{}");
	expect_nerr(f, 0);

	/* only in-memory sources */
	{
		const char *j = "{\"networks\": {\"n\": {\"device\": \"d0\"}}}";
		struct pp_config_source src = { "api", j, strlen(j) };

		pp_config_free(f->cfg);
		f->cfg = NULL;
		f->ret = pp_config_load(NULL, &src, 1, &f->cfg, &f->errs);
		expect_nerr(f, 0);
		assert_int_equal(f->cfg->n_files, 1);
		assert_int_equal(f->cfg->n_networks, 1);
	}

	write_file(f, "c.yaml", "service-ports: [t1]\n");
	load_api(f, "{\"service-ports\": \"x\"}");
	expect_nerr(f, 2);
	expect_err(f, "c.yaml", 1, 16,
		   "service-ports must be a mapping of service port names, got a sequence");
	expect_err(f, "api", 1, 19,
		   "service-ports must be a mapping of service port names, got \"x\"");

	/* a directory that cannot be opened */
	pp_errors_free(&f->errs);
	f->ret = pp_config_load("/nonexistent/bindings.d", NULL, 0, &f->cfg,
				&f->errs);
	assert_int_equal(f->ret, -ENOENT);
	assert_null(f->cfg);
	assert_int_equal(f->errs.n, 1);
}

CFG_TOPIC(toplevel,
	  T(test_toplevel_other_files),
	  T(test_toplevel_json_source),
	  T(test_toplevel_mac_inheritance_and_mtu),
	  T(test_toplevel_grouping_and_lookups),
	  T(test_toplevel_empty_and_wrong_type));
