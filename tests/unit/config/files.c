/*
 * Binding-file tests of the loading itself: the example directory, empty
 * and ignored files, the order of files, unreadable files and directories,
 * the buffer and file entry points, and the error list (collected without
 * cascades, sorted, printed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgtest.h"

/* Valid configurations */

static void test_example_dir(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_network *ta, *tb, *tc;
	const struct pp_cfg_iport *ip;
	const struct pp_cfg_sport *s;
	const uint8_t m2[6] = { 0x52, 0x54, 0, 0, 0, 0x02 };
	const uint8_t m3[6] = { 0x52, 0x54, 0, 0, 0, 0x03 };
	const uint8_t m9[6] = { 0x52, 0x54, 0, 0, 0, 0x09 };
	/* the service ports of sf1, in order */
	const struct want_sport want[] = {
		{ "sf1-a", 0, false, 0, PP_MATCH_VLAN, 100, 0, mac1, false, 0 },	/* inherited */
		{ "sf1-b", 1, false, 0, PP_MATCH_VLAN, 200, 0, m2, true, 1 },
		{ "sf1-q", 2, false, 0, PP_MATCH_QINQ, 300, 10, m3, true, 0 },
		{ "sf1-native", 3, false, 0, PP_MATCH_UNTAGGED, 0, 0, mac1, false, 2 },
		{ "sf1-m", 4, false, 0, PP_MATCH_SRCMAC, 0, 0, m9, false, 1 },	/* the src-mac */
	};

	f->ret = pp_config_load_dir(examples_dir, &f->cfg, &f->errs);
	if (f->ret)
		dump_errors(f);
	assert_int_equal(f->ret, 0);
	assert_int_equal(f->errs.n, 0);
	assert_int_equal(f->cfg->n_files, 2);
	assert_non_null(strstr(f->cfg->files[0], "10-networks.yaml"));
	assert_non_null(strstr(f->cfg->files[1], "20-sf1.yaml"));
	assert_int_equal(f->cfg->n_networks, 3);
	assert_int_equal(f->cfg->n_iports, 1);
	assert_int_equal(f->cfg->n_sports, 5);

	ta = pp_config_find_network(f->cfg, "tenant-a");
	tb = pp_config_find_network(f->cfg, "tenant-b");
	tc = pp_config_find_network(f->cfg, "tenant-c");
	assert_ptr_equal(ta, &f->cfg->networks[0]);
	assert_ptr_equal(tb, &f->cfg->networks[1]);
	assert_ptr_equal(tc, &f->cfg->networks[2]);
	assert_string_equal(ta->device, "pa0");
	assert_int_equal(ta->mtu, 1500);
	assert_int_equal(ta->vlan, 0);
	assert_string_equal(tb->device, "trunk0");
	assert_int_equal(tb->vlan, 3001);
	assert_int_equal(tb->mtu, PP_MTU_DEFAULT);	/* default */
	assert_string_equal(tc->device, "pc0");
	assert_int_equal(tc->mtu, PP_MTU_DEFAULT);
	assert_ptr_equal(ta->loc.file, f->cfg->files[0]);
	assert_int_equal(ta->loc.line, 3);
	assert_int_equal(ta->loc.col, 3);

	ip = pp_config_find_iport(f->cfg, "sf1");
	assert_ptr_equal(ip, &f->cfg->iports[0]);
	assert_ptr_equal(pp_config_find_iport_by_device(f->cfg, "tap-sf1"), ip);
	assert_string_equal(ip->device, "tap-sf1");
	assert_memory_equal(ip->mac, mac1, 6);
	assert_int_equal(ip->mtu, 1500);
	assert_int_equal(ip->mode, PP_MODE_AUTO);
	assert_int_equal(ip->sport_first, 0);
	assert_int_equal(ip->sport_count, 5);
	assert_ptr_equal(ip->loc.file, f->cfg->files[1]);
	assert_int_equal(ip->loc.line, 4);
	assert_int_equal(ip->loc.col, 3);

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		expect_sport(f, &want[i]);
	s = pp_config_find_sport(f->cfg, "sf1-a");
	assert_int_equal(s->loc.line, 10);
	assert_int_equal(s->loc.col, 7);

	assert_null(pp_config_find_network(f->cfg, "tenant-z"));
	assert_null(pp_config_find_iport(f->cfg, "tenant-a"));
	assert_null(pp_config_find_sport(f->cfg, "sf1"));
	assert_null(pp_config_find_iport_by_device(f->cfg, "pa0"));
	assert_null(pp_config_find_network(f->cfg,
		"a-name-that-is-much-too-long-to-be-a-name"));
}

static void test_empty_and_comment_only_files(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml", "",
	     "b.yaml", "# only a comment\n\n   # and another\n",
	     "c.yaml", "---\n",
	     "d.yaml", "networks:\ninstance-ports: # nothing yet\n",
	     "e.yaml", "networks: {}\n",
	     NULL);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_files, 5);
	assert_int_equal(f->cfg->n_networks, 0);
	assert_int_equal(f->cfg->n_iports, 0);
	assert_int_equal(f->cfg->n_sports, 0);
}

static void test_empty_directory(void **state)
{
	struct fx *f = *state;

	load_dir(f);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_files, 0);
}

static void test_non_yaml_files_ignored(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/dir.yaml", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	load(f,
	     "README", "not: [yaml\n",
	     "b.yml", "bogus: 1\n",
	     "c.yaml.bak", "bogus: 1\n",
	     ".hidden.yaml", "bogus: 1\n",
	     "yaml", "bogus: 1\n",
	     "a.yaml", "networks: {n: {device: d0}}\n",
	     NULL);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_files, 1);
	assert_string_equal(f->cfg->files[0], "a.yaml");
	assert_int_equal(f->cfg->n_networks, 1);
}

/* Files are read in lexical order ("10-..." before "9-...", see also the
 * case test_lexical_order_later_definition of schema.cases), and a service
 * port may bind a network of a later file. */
static void test_lexical_order_and_forward_reference(void **state)
{
	struct fx *f = *state;

	write_file(f, "10-a.yaml", "networks:\n  n: {device: d0}\n");
	write_file(f, "9-b.yaml", "networks:\n  m: {device: d1}\n");
	write_file(f, "00-ip.yaml",
		   "instance-ports:\n"
		   "  p: {device: t0, mac: 02:00:00:00:00:01,\n"
		   "      service-ports: {s: {untagged: true, bind: {network: m}}}}\n");
	load_dir(f);
	expect_nerr(f, 0);
	assert_string_equal(f->cfg->files[0], "00-ip.yaml");
	assert_string_equal(f->cfg->files[1], "10-a.yaml");
	assert_string_equal(f->cfg->files[2], "9-b.yaml");
	assert_int_equal(f->cfg->sports[0].network, 1);
}

/* The whole */

static void test_errors_collected_without_cascade(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  na: {device: pa0, mtu: 9000}\n"
	     "  na: {device: pa0}\n"		/* dropped: no device conflict */
	     "  \"bad name\": {device: pz0}\n"	/* dropped */
	     "instance-ports:\n"
	     "  p:\n"
	     "    device: tap-p\n"
	     "    mac: 52:54:00:00:00:01\n"
	     "    mtu: 9000\n"
	     "    service-ports:\n"
	     "      s1: {vlan: 1, bind: {network: na}}\n"
	     "      s2: {vlan: 1, bind: {network: zz}}\n"
	     "  p:\n"			/* dropped, with its service ports */
	     "    device: tap-p\n"
	     "    mac: 52:54:00:00:00:01\n"
	     "    service-ports:\n"
	     "      s1: {vlan: 1, bind: {network: na}}\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: bad\n"		/* no MAC conflicts from q's ports */
	     "    mtu: 9000\n"
	     "    service-ports:\n"
	     "      s3: {vlan: 1, bind: {network: na}}\n"
	     "      s4: {vlan: 2, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 5);
	expect_err(f, "a.yaml", 3, 3, "network \"na\" is already defined at a.yaml:2:3");
	expect_err(f, "a.yaml", 4, 3, "invalid network name \"bad name\"");
	expect_err(f, "a.yaml", 12, 18, "vlan 1 is already matched by service port \"s1\"");
	expect_err(f, "a.yaml", 13, 3, "instance port \"p\" is already defined at a.yaml:6:3");
	expect_err(f, "a.yaml", 20, 10, "invalid MAC \"bad\"");
	/* (s2's unknown network "zz" is not reported: a network was dropped
	 * for its bad name, so "zz" might have been meant) */
	assert_int_equal(f->ret, -EINVAL);

	/* errors come sorted by file, line, column */
	for (size_t i = 1; i < f->errs.n; i++) {
		const struct pp_error *a = &f->errs.v[i - 1], *b = &f->errs.v[i];

		assert_true(a->line < b->line ||
			    (a->line == b->line && a->col <= b->col));
	}
}

static void test_error_print_format(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;

	load(f,
	     "a.yaml", "networks:\n  tenant-a:\n    device: pa0\n",
	     "b.yaml", "# b\nnetworks:\n  x: {device: px}\n  tenant-a: {device: pb}\n",
	     NULL);
	expect_nerr(f, 1);
	mf = open_memstream(&buf, &len);
	assert_non_null(mf);
	pp_errors_print(&f->errs, mf);
	fclose(mf);
	assert_string_equal(buf,
		"b.yaml:4:3: network \"tenant-a\" is already defined at a.yaml:2:3\n");
	free(buf);
}

static void test_unreadable_file_and_missing_dir(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/b.yaml", f->dir);
	assert_int_equal(symlink("/nonexistent/target.yaml", path), 0);
	load(f, "a.yaml", "networks: {n: {device: d0}}\n", NULL);
	assert_int_equal(f->ret, -ENOENT);
	assert_int_equal(f->errs.n, 1);
	assert_string_equal(f->errs.v[0].file, "b.yaml");
	assert_int_equal(f->errs.v[0].line, 0);
	assert_non_null(strstr(f->errs.v[0].msg, "cannot read: "));

	pp_errors_free(&f->errs);
	f->ret = pp_config_load_dir("/nonexistent/bindings.d", &f->cfg, &f->errs);
	assert_int_equal(f->ret, -ENOENT);
	assert_null(f->cfg);
	assert_int_equal(f->errs.n, 1);
	assert_string_equal(f->errs.v[0].file, "/nonexistent/bindings.d");
	assert_non_null(strstr(f->errs.v[0].msg, "cannot open directory"));
}

static void test_buffers_and_files_api(void **state)
{
	struct fx *f = *state;
	const char *a = "networks:\n  n: {device: d0}\n";
	const char *b = "instance-ports:\n"
			"  p: {device: t0, mac: 02:00:00:00:00:01,\n"
			"      service-ports: {s: {vlan: 7, bind: {network: n}}}}\n";
	struct pp_config_source src[] = {
		{ "mem-a", a, strlen(a) },
		{ "mem-b", b, strlen(b) },
	};
	char pa[PATH_MAX], pb[PATH_MAX];
	const char *paths[] = { pa, pb };

	f->ret = pp_config_load_buffers(src, 2, &f->cfg, &f->errs);
	expect_nerr(f, 0);
	assert_string_equal(f->cfg->sports[0].loc.file, "mem-b");
	assert_int_equal(f->cfg->sports[0].outer_vid, 7);
	pp_config_free(f->cfg);
	f->cfg = NULL;

	/* errors may be discarded */
	src[1].len = 25;	/* cut inside the flow mapping */
	assert_int_equal(pp_config_load_buffers(src, 2, &f->cfg, NULL), -EINVAL);
	assert_null(f->cfg);

	/* existing errors are kept: new ones are appended */
	assert_int_equal(pp_errors_add(&f->errs, "x", 1, 2, "earlier %d", 1), 0);
	assert_int_equal(pp_config_load_buffers(src, 2, &f->cfg, &f->errs), -EINVAL);
	assert_int_equal(f->errs.n, 2);
	assert_string_equal(f->errs.v[0].msg, "earlier 1");
	assert_string_equal(f->errs.v[1].file, "mem-b");
	pp_errors_free(&f->errs);

	write_file(f, "x.txt", a);
	write_file(f, "y.txt", b);
	snprintf(pa, sizeof(pa), "%s/x.txt", f->dir);
	snprintf(pb, sizeof(pb), "%s/y.txt", f->dir);
	f->ret = pp_config_load_files(paths, 2, &f->cfg, &f->errs);
	expect_nerr(f, 0);
	assert_string_equal(f->cfg->files[1], pb);
	assert_int_equal(f->cfg->n_sports, 1);
}

CFG_TOPIC(files,
	  T(test_example_dir),
	  T(test_empty_and_comment_only_files),
	  T(test_empty_directory),
	  T(test_non_yaml_files_ignored),
	  T(test_lexical_order_and_forward_reference),
	  T(test_errors_collected_without_cascade),
	  T(test_error_print_format),
	  T(test_unreadable_file_and_missing_dir),
	  T(test_buffers_and_files_api));
