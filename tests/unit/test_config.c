/*
 * Unit tests of the binding-file parser and validator (loader/config.c).
 *
 * Build and run from the repository root:
 *   gcc -Wall -Wextra -Werror -Iloader tests/unit/test_config.c \
 *       loader/config.c -lyaml -lcmocka && ./a.out
 *
 * Each test writes its files, with their exact content, into a fresh
 * temporary directory and loads it as "." so that errors name "a.yaml",
 * "b.yaml", ...; the expected line:column can be read off the strings.
 * Timing assertions are skipped under valgrind (or with PP_TEST_NO_TIMING).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static char examples_dir[PATH_MAX];

struct fx {
	char dir[64];
	char cwd[PATH_MAX];
	struct pp_errors errs;
	struct pp_config *cfg;
	int ret;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/pp-test-config-XXXXXX");
	if (!mkdtemp(f->dir) || !getcwd(f->cwd, sizeof(f->cwd))) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	pp_config_free(f->cfg);
	pp_errors_free(&f->errs);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static void write_file(struct fx *f, const char *name, const char *content)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(content, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Load the test directory (as ".", so files are named "a.yaml"). */
static int load_dir(struct fx *f)
{
	pp_config_free(f->cfg);
	f->cfg = NULL;
	pp_errors_free(&f->errs);
	assert_int_equal(chdir(f->dir), 0);
	f->ret = pp_config_load_dir(".", &f->cfg, &f->errs);
	assert_int_equal(chdir(f->cwd), 0);
	if (f->ret)
		assert_null(f->cfg);
	else
		assert_non_null(f->cfg);
	return f->ret;
}

/* Write name/content pairs (NULL-terminated) and load them. */
static int load(struct fx *f, ...)
{
	const char *name;
	va_list ap;

	va_start(ap, f);
	while ((name = va_arg(ap, const char *)))
		write_file(f, name, va_arg(ap, const char *));
	va_end(ap);
	return load_dir(f);
}

/* Load the test directory (as ".") and the in-memory sources src[n]
 * with pp_config_load. */
static int load_extra(struct fx *f, const struct pp_config_source *src,
		      size_t n)
{
	pp_config_free(f->cfg);
	f->cfg = NULL;
	pp_errors_free(&f->errs);
	assert_int_equal(chdir(f->dir), 0);
	f->ret = pp_config_load(".", src, n, &f->cfg, &f->errs);
	assert_int_equal(chdir(f->cwd), 0);
	if (f->ret)
		assert_null(f->cfg);
	else
		assert_non_null(f->cfg);
	return f->ret;
}

/* One in-memory source named "api" (e.g. JSON rendered by the API). */
static int load_api(struct fx *f, const char *text)
{
	struct pp_config_source src = { "api", text, strlen(text) };

	return load_extra(f, &src, 1);
}

static void dump_errors(const struct fx *f)
{
	for (size_t i = 0; i < f->errs.n; i++) {
		char buf[1024];

		pp_error_format(&f->errs.v[i], buf, sizeof(buf));
		print_message("  [%zu] %s\n", i, buf);
	}
}

/* There is an error at file:line:col whose message contains phrase. */
#define expect_err(f, file, line, col, phrase) \
	_expect_err(f, file, line, col, phrase, __FILE__, __LINE__)
static void _expect_err(const struct fx *f, const char *file, unsigned line,
			unsigned col, const char *phrase, const char *sf,
			int sl)
{
	for (size_t i = 0; i < f->errs.n; i++) {
		const struct pp_error *e = &f->errs.v[i];

		if (!strcmp(e->file, file) && e->line == line && e->col == col &&
		    strstr(e->msg, phrase))
			return;
	}
	print_error("no error %s:%u:%u containing \"%s\"; errors:\n", file,
		    line, col, phrase);
	dump_errors(f);
	_fail(sf, sl);
}

/* Exactly n errors (no cascades), and the load failed. */
#define expect_nerr(f, n) _expect_nerr(f, n, __FILE__, __LINE__)
static void _expect_nerr(const struct fx *f, size_t n, const char *sf, int sl)
{
	if (f->errs.n == n && (n == 0) == (f->ret == 0) &&
	    (n == 0 || f->cfg == NULL))
		return;
	print_error("expected %zu errors (ret %d), got %zu:\n", n, f->ret,
		    f->errs.n);
	dump_errors(f);
	_fail(sf, sl);
}

static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };

static bool timing_checked(void)
{
	const char *p = getenv("LD_PRELOAD");

	return !getenv("PP_TEST_NO_TIMING") && !(p && strstr(p, "vgpreload"));
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this process: what the time limits are checked against,
 * so that a busy shared machine does not make the tests flaky. */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A network and an instance port, to which tests append service ports. */
#define NETS_AB				\
	"networks:\n"			\
	"  na: {device: pa0}\n"		\
	"  nb: {device: pb0}\n"
#define IPORT_HEAD			\
	"instance-ports:\n"		\
	"  p:\n"			\
	"    device: tap-p\n"		\
	"    mac: 52:54:00:00:00:01\n"	\
	"    service-ports:\n"

/* ======================================================================== */
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

	s = pp_config_find_sport(f->cfg, "sf1-a");
	assert_ptr_equal(s, &f->cfg->sports[0]);
	assert_int_equal(s->iport, 0);
	assert_int_equal(s->match, PP_MATCH_VLAN);
	assert_int_equal(s->outer_vid, 100);
	assert_int_equal(s->inner_vid, 0);
	assert_memory_equal(s->mac, mac1, 6);	/* inherited */
	assert_false(s->mac_explicit);
	assert_int_equal(s->network, 0);
	assert_int_equal(s->loc.line, 10);
	assert_int_equal(s->loc.col, 7);

	s = pp_config_find_sport(f->cfg, "sf1-b");
	assert_int_equal(s->match, PP_MATCH_VLAN);
	assert_int_equal(s->outer_vid, 200);
	assert_memory_equal(s->mac, m2, 6);
	assert_true(s->mac_explicit);
	assert_int_equal(s->network, 1);

	s = pp_config_find_sport(f->cfg, "sf1-q");
	assert_int_equal(s->match, PP_MATCH_QINQ);
	assert_int_equal(s->outer_vid, 300);
	assert_int_equal(s->inner_vid, 10);
	assert_memory_equal(s->mac, m3, 6);
	assert_true(s->mac_explicit);
	assert_int_equal(s->network, 0);

	s = pp_config_find_sport(f->cfg, "sf1-native");
	assert_int_equal(s->match, PP_MATCH_UNTAGGED);
	assert_memory_equal(s->mac, mac1, 6);
	assert_false(s->mac_explicit);
	assert_int_equal(s->network, 2);

	s = pp_config_find_sport(f->cfg, "sf1-m");
	assert_ptr_equal(s, &f->cfg->sports[4]);
	assert_int_equal(s->match, PP_MATCH_SRCMAC);
	assert_memory_equal(s->mac, m9, 6);	/* the src-mac */
	assert_false(s->mac_explicit);
	assert_int_equal(s->network, 1);

	assert_null(pp_config_find_network(f->cfg, "tenant-z"));
	assert_null(pp_config_find_iport(f->cfg, "tenant-a"));
	assert_null(pp_config_find_sport(f->cfg, "sf1"));
	assert_null(pp_config_find_iport_by_device(f->cfg, "pa0"));
	assert_null(pp_config_find_network(f->cfg,
		"a-name-that-is-much-too-long-to-be-a-name"));
}

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

static void test_lexical_order_and_forward_reference(void **state)
{
	struct fx *f = *state;

	/* "10-..." sorts before "9-...": the later definition is in 9-b */
	load(f,
	     "9-b.yaml", "networks:\n  n: {device: d1}\n",
	     "10-a.yaml", "networks:\n  n: {device: d0}\n",
	     NULL);
	expect_nerr(f, 1);
	expect_err(f, "9-b.yaml", 2, 3,
		   "network \"n\" is already defined at 10-a.yaml:2:3");

	/* a service port may bind a network of a later file */
	unlink("/nonexistent");	/* keep going in the same directory */
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

/* ======================================================================== */
/* YAML-level errors */

static void test_yaml_syntax_error(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n1: {device: d0\n"
	     "  n2: {device: d1}\n",
	     "b.yaml",
	     "networks:\n"
	     "\tn3: {device: d3}\n",
	     NULL);
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 3, 5, "YAML syntax error: ");
	expect_err(f, "b.yaml", 2, 1, "YAML syntax error: ");
	expect_err(f, "b.yaml", 2, 1, "found character that cannot start any token");
	assert_int_equal(f->ret, -EINVAL);
}

static void test_yaml_syntax_error_no_cascade(void **state)
{
	struct fx *f = *state;

	/* the network may be in the unreadable file: no "unknown network" */
	load(f,
	     "a.yaml", "networks:\n  n: {device: d0\n",
	     "b.yaml", IPORT_HEAD "      s: {vlan: 1, bind: {network: n}}\n",
	     NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 3, 1, "YAML syntax error");
}

static void test_yaml_bad_encoding(void **state)
{
	struct fx *f = *state;

	load(f, "a.yaml", "networks:\n  n: {device: \"d\xff\"}\n", NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 2, 17, "YAML syntax error: invalid");
}

static void test_yaml_alias_and_documents(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n1: &common {device: d0}\n"
	     "  n2: *common\n",
	     "b.yaml",
	     "networks:\n"
	     "  n3: {device: d3}\n"
	     "---\n"
	     "networks:\n"
	     "  n4: {device: d4}\n",
	     NULL);
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 3, 7, "YAML aliases are not supported");
	expect_err(f, "b.yaml", 3, 1, "only one YAML document per file");
}

static void test_duplicate_yaml_keys(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n1:\n"
	     "    device: d0\n"
	     "    mtu: 1500\n"
	     "    mtu: 9000\n"
	     "networks:\n"
	     "  n2: {device: d2}\n"
	     "instance-ports:\n"
	     "  p: {device: t, mac: 02:00:00:00:00:01, mac: 02:00:00:00:00:02}\n",
	     NULL);
	expect_nerr(f, 3);
	expect_err(f, "a.yaml", 5, 5,
		   "duplicate key \"mtu\" in network \"n1\", first at a.yaml:4:5");
	expect_err(f, "a.yaml", 6, 1,
		   "duplicate key \"networks\" in the top level, first at a.yaml:1:1");
	expect_err(f, "a.yaml", 9, 42,
		   "duplicate key \"mac\" in instance port \"p\", first at a.yaml:9:18");
}

/* ======================================================================== */
/* Structure */

static void test_top_level(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks: {}\n"
	     "network: {}\n"
	     "service-ports: {}\n"	/* known: top-level service ports */
	     "instance-port: {}\n",
	     "b.yaml", "- networks\n",
	     "c.yaml", "just a string\n",
	     NULL);
	expect_nerr(f, 4);
	expect_err(f, "a.yaml", 2, 1,
		   "unknown key \"network\" in the top level (expected: networks, instance-ports, service-ports)");
	expect_err(f, "a.yaml", 4, 1, "unknown key \"instance-port\"");
	expect_err(f, "b.yaml", 1, 1,
		   "the top level must be a mapping (networks, instance-ports, service-ports), got a sequence");
	expect_err(f, "c.yaml", 1, 1, "the top level must be a mapping");
}

static void test_unknown_keys(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  na:\n"
	     "    device: pa0\n"
	     "    vlans: 3\n"
	     "instance-ports:\n"
	     "  p:\n"
	     "    device: tap-p\n"
	     "    mac: 52:54:00:00:00:01\n"
	     "    service_ports: {}\n"
	     "    service-ports:\n"
	     "      s:\n"
	     "        vlan: 1\n"
	     "        network: na\n"
	     "        bind: {network: na, mirror: true}\n",
	     NULL);
	expect_nerr(f, 4);
	expect_err(f, "a.yaml", 4, 5,
		   "unknown key \"vlans\" in network \"na\" (expected: device, mtu, vlan, gateway)");
	expect_err(f, "a.yaml", 9, 5,
		   "unknown key \"service_ports\" in instance port \"p\" (expected: device, mac, mtu, mode, service-ports)");
	expect_err(f, "a.yaml", 13, 9,
		   "unknown key \"network\" in service port \"s\" (expected: vlan, untagged, src-mac, mac, addresses, bind)");
	expect_err(f, "a.yaml", 14, 29,
		   "unknown key \"mirror\" in bind of service port \"s\" (expected: network, security, responder, dhcp)");
}

static void test_wrong_types(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  na: pa0\n"
	     "  nb:\n"
	     "    device: {name: pb0}\n"
	     "  nc:\n"
	     "    device: pc0\n"
	     "    mtu: [1500]\n"
	     "instance-ports:\n"
	     "  p:\n"
	     "    device: tap-p\n"
	     "    mac: [52, 54]\n"
	     "    service-ports:\n"
	     "      - s1\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:01\n"
	     "    service-ports:\n"
	     "      s2: {vlan: {id: 1}, bind: {network: nc}}\n"
	     "      s3: {vlan: 2, bind: nc}\n"
	     "      s4: [vlan, 3]\n",
	     "b.yaml", "networks: [na, nb]\ninstance-ports: 3\n",
	     NULL);
	expect_nerr(f, 10);
	expect_err(f, "a.yaml", 2, 7,
		   "network \"na\" must be a mapping, got \"pa0\"");
	expect_err(f, "a.yaml", 4, 13,
		   "device must be an interface name, got a mapping");
	expect_err(f, "a.yaml", 7, 10,
		   "mtu must be an integer 68-65535, got a sequence");
	expect_err(f, "a.yaml", 11, 10,
		   "mac must be a MAC address, got a sequence");
	expect_err(f, "a.yaml", 13, 7,
		   "service-ports must be a mapping of service port names, got a sequence");
	expect_err(f, "a.yaml", 18, 18,
		   "vlan must be a VLAN ID 1-4094 or a list of two [outer, inner], got a mapping");
	expect_err(f, "a.yaml", 19, 27,
		   "bind must be a mapping of services, got \"nc\"");
	expect_err(f, "b.yaml", 1, 11,
		   "networks must be a mapping of network names, got a sequence");
	expect_err(f, "b.yaml", 2, 17,
		   "instance-ports must be a mapping of instance port names, got \"3\"");
	/* no "has no device"/"has no mac"/"has no bind.network" cascades;
	 * s4's body is wrong: nothing else is said about it */
	expect_err(f, "a.yaml", 20, 11,
		   "service port \"s4\" must be a mapping, got a sequence");
}

static void test_empty_values(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  na:\n"
	     "  nb:\n"
	     "    device: ~\n"
	     "    mtu: \n"
	     "instance-ports:\n"
	     "  p:\n"
	     "    device: tap-p\n"
	     "    mac: null\n",
	     NULL);
	expect_nerr(f, 4);
	expect_err(f, "a.yaml", 2, 3, "network \"na\" has no device");
	expect_err(f, "a.yaml", 4, 13,
		   "device must be an interface name, got an empty value");
	/* (an empty value is positioned just after its key) */
	expect_err(f, "a.yaml", 5, 9,
		   "mtu must be an integer 68-65535, got an empty value");
	expect_err(f, "a.yaml", 9, 10,
		   "mac must be a MAC address, got an empty value");
}

static void test_missing_required_keys(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  na: {mtu: 1500}\n"
	     "instance-ports:\n"
	     "  p: {mac: 52:54:00:00:00:01}\n"
	     "  q: {device: tap-q}\n"
	     "  r: {}\n",
	     NULL);
	expect_nerr(f, 5);
	expect_err(f, "a.yaml", 2, 3, "network \"na\" has no device");
	expect_err(f, "a.yaml", 4, 3, "instance port \"p\" has no device");
	expect_err(f, "a.yaml", 5, 3, "instance port \"q\" has no mac");
	expect_err(f, "a.yaml", 6, 3, "instance port \"r\" has no device");
	expect_err(f, "a.yaml", 6, 3, "instance port \"r\" has no mac");
}

/* A service port whose body is not a mapping keeps its name: a later
 * duplicate names it (regression: its index used to be reused). */
static void test_bad_body_keeps_name(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: [vlan, 1]\n"
	     "      s2: {vlan: 2, bind: {network: na}}\n"
	     "      s1: {vlan: 3, mac: 02:00:00:00:00:03, bind: {network: na}}\n"
	     "      s3: {vlan: 2, mac: 02:00:00:00:00:04, bind: {network: nb}}\n",
	     NULL);
	expect_nerr(f, 3);
	expect_err(f, "a.yaml", 9, 11,
		   "service port \"s1\" must be a mapping, got a sequence");
	expect_err(f, "a.yaml", 11, 7,
		   "service port \"s1\" is already defined at a.yaml:9:7");
	expect_err(f, "a.yaml", 12, 18,
		   "vlan 2 is already matched by service port \"s2\" at a.yaml:10:7");
}

/* ======================================================================== */
/* Names */

static void test_duplicate_names_in_one_file(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB
	     "  na: {device: pc0}\n"
	     IPORT_HEAD
	     "      s1: {vlan: 1, bind: {network: na}}\n"
	     "      s1: {vlan: 2, bind: {network: na}}\n"
	     "  p:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:02\n",
	     NULL);
	expect_nerr(f, 3);
	expect_err(f, "a.yaml", 4, 3,
		   "network \"na\" is already defined at a.yaml:2:3");
	expect_err(f, "a.yaml", 11, 7,
		   "service port \"s1\" is already defined at a.yaml:10:7");
	expect_err(f, "a.yaml", 12, 3,
		   "instance port \"p\" is already defined at a.yaml:6:3");
}

static void test_duplicate_names_across_files(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  tenant-a:\n"
	     "    device: pa0\n"
	     IPORT_HEAD
	     "      s1: {vlan: 1, bind: {network: tenant-a}}\n",
	     "b.yaml",
	     "# the same names again\n"
	     "networks:\n"
	     "  other: {device: po0}\n"
	     "  tenant-a:\n"
	     "    device: pa1\n"
	     "instance-ports:\n"
	     "  p:\n"
	     "    device: tap-x\n"
	     "    mac: 52:54:00:00:00:0a\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:0b\n"
	     "    service-ports:\n"
	     "      s1: {vlan: 1, bind: {network: tenant-a}}\n",
	     NULL);
	expect_nerr(f, 3);
	expect_err(f, "b.yaml", 4, 3,
		   "network \"tenant-a\" is already defined at a.yaml:2:3");
	expect_err(f, "b.yaml", 7, 3,
		   "instance port \"p\" is already defined at a.yaml:5:3");
	/* service port names are one namespace across instance ports */
	expect_err(f, "b.yaml", 14, 7,
		   "service port \"s1\" is already defined at a.yaml:9:7");
}

static void test_invalid_names(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  -bad: {device: d0}\n"
	     "  a-name-of-thirty-two-characters.: {device: d1}\n"
	     "  a-name-of-thirty-one-characters: {device: d2}\n"
	     "  \"with space\": {device: d3}\n"
	     "instance-ports:\n"
	     "  p/q: {device: t0, mac: 02:00:00:00:00:01}\n"
	     "  \"\": {device: t1, mac: 02:00:00:00:00:02}\n"
	     "  P.1_x-Y: {device: t2, mac: 02:00:00:00:00:03,\n"
	     "    service-ports: {\"sp:1\": {vlan: 1, bind: {network: d}}}}\n",
	     NULL);
	expect_nerr(f, 6);
	expect_err(f, "a.yaml", 2, 3, "invalid network name \"-bad\"");
	expect_err(f, "a.yaml", 3, 3,
		   "invalid network name \"a-name-of-thirty-two-characters.\" (1-31 characters");
	expect_err(f, "a.yaml", 5, 3, "invalid network name \"with space\"");
	expect_err(f, "a.yaml", 7, 3, "invalid instance port name \"p/q\"");
	expect_err(f, "a.yaml", 8, 3, "invalid instance port name \"\"");
	expect_err(f, "a.yaml", 10, 21, "invalid service port name \"sp:1\"");
}

/* ======================================================================== */
/* Values */

static void test_vlan_values(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n0: {device: d0, vlan: 0}\n"
	     "  n1: {device: d1, vlan: 4095}\n"
	     "  n2: {device: d2, vlan: [1, 2]}\n"
	     "  na: {device: pa0}\n"
	     IPORT_HEAD
	     "      s1: {vlan: 0, bind: {network: na}}\n"
	     "      s2: {vlan: 4095, mac: 02:00:00:00:00:02, bind: {network: na}}\n"
	     "      s3: {vlan: [5], mac: 02:00:00:00:00:03, bind: {network: na}}\n"
	     "      s4: {vlan: [1, 2, 3], mac: 02:00:00:00:00:04, bind: {network: na}}\n"
	     "      s5: {vlan: [0, 5], mac: 02:00:00:00:00:05, bind: {network: na}}\n"
	     "      s6: {vlan: [5, x], mac: 02:00:00:00:00:06, bind: {network: na}}\n"
	     "      s7: {vlan: [5, [6]], mac: 02:00:00:00:00:07, bind: {network: na}}\n"
	     "      s8: {vlan: 4094, mac: 02:00:00:00:00:08, bind: {network: na}}\n"
	     "      s9: {vlan: [4094, 1], mac: 02:00:00:00:00:09, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 10);
	expect_err(f, "a.yaml", 2, 26, "vlan 0 is out of range 1-4094");
	expect_err(f, "a.yaml", 3, 26, "vlan 4095 is out of range 1-4094");
	expect_err(f, "a.yaml", 4, 26, "vlan must be an integer 1-4094, got a sequence");
	expect_err(f, "a.yaml", 11, 18, "vlan 0 is out of range 1-4094");
	expect_err(f, "a.yaml", 12, 18, "vlan 4095 is out of range 1-4094");
	expect_err(f, "a.yaml", 13, 18,
		   "vlan must be a VLAN ID or a list of exactly two VLAN IDs [outer, inner], got a list of 1");
	expect_err(f, "a.yaml", 14, 18, "got a list of 3");
	expect_err(f, "a.yaml", 15, 19, "outer vlan 0 is out of range 1-4094");
	expect_err(f, "a.yaml", 16, 22,
		   "inner vlan must be a decimal integer 1-4094, got \"x\"");
	expect_err(f, "a.yaml", 17, 22,
		   "inner vlan must be an integer 1-4094, got a sequence");
}

static void test_integer_junk(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n1: {device: d1, mtu: 100x}\n"
	     "  n2: {device: d2, mtu: 1e3}\n"
	     "  n3: {device: d3, mtu: 0x10}\n"
	     "  n4: {device: d4, mtu: -1500}\n"
	     "  n5: {device: d5, mtu: 99999999999999999999999}\n"
	     "  n6: {device: d6, mtu: \"1500\"}\n"
	     "  n7: {device: d7, mtu: 01500}\n"
	     "  n8: {device: d8, mtu: +1500}\n"
	     "  n9: {device: d9, mtu: 1_500}\n"
	     "  n10: {device: d10, mtu: 1500.0}\n"
	     "  n11: {device: d11, mtu: 4294968796}\n",
	     NULL);
	expect_nerr(f, 11);
	expect_err(f, "a.yaml", 2, 25, "mtu must be a decimal integer 68-65535, got \"100x\"");
	expect_err(f, "a.yaml", 3, 25, "mtu must be a decimal integer 68-65535, got \"1e3\"");
	expect_err(f, "a.yaml", 4, 25, "mtu must be a decimal integer 68-65535, got \"0x10\"");
	expect_err(f, "a.yaml", 5, 25, "mtu -1500 is out of range 68-65535");
	expect_err(f, "a.yaml", 6, 25,
		   "mtu 99999999999999999999999 is out of range 68-65535");
	expect_err(f, "a.yaml", 7, 25,
		   "mtu must be a decimal integer 68-65535, got \"1500\" (quoted)");
	expect_err(f, "a.yaml", 8, 25, "got \"01500\"");
	expect_err(f, "a.yaml", 9, 25, "got \"+1500\"");
	expect_err(f, "a.yaml", 10, 25, "got \"1_500\"");
	expect_err(f, "a.yaml", 11, 27, "got \"1500.0\"");
	/* 2^32 + 1500 must not wrap around to 1500 */
	expect_err(f, "a.yaml", 12, 27, "mtu 4294968796 is out of range");
}

static void test_mtu_range(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n1: {device: d1, mtu: 67}\n"
	     "  n2: {device: d2, mtu: 65536}\n"
	     "  n3: {device: d3, mtu: 68}\n"
	     "  n4: {device: d4, mtu: 65535}\n"
	     "instance-ports:\n"
	     "  p: {device: t, mac: 02:00:00:00:00:01, mtu: 0}\n",
	     NULL);
	expect_nerr(f, 3);
	expect_err(f, "a.yaml", 2, 25, "mtu 67 is out of range 68-65535");
	expect_err(f, "a.yaml", 3, 25, "mtu 65536 is out of range 68-65535");
	expect_err(f, "a.yaml", 7, 47, "mtu 0 is out of range 68-65535");
}

static void test_mtu_network_larger_than_iport(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  jumbo: {device: pj0, mtu: 9000}\n"
	     "  small: {device: ps0, mtu: 1400}\n"
	     "instance-ports:\n"
	     "  p:\n"
	     "    device: tap-p\n"
	     "    mac: 52:54:00:00:00:01\n"
	     "    service-ports:\n"
	     "      s1: {vlan: 1, bind: {network: jumbo}}\n"
	     "      s2: {vlan: 2, bind: {network: small}}\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:02\n"
	     "    mtu: 9000\n"
	     "    service-ports:\n"
	     "      s3: {vlan: 1, bind: {network: jumbo}}\n"
	     "  r:\n"	/* a bad MTU: no cascade */
	     "    device: tap-r\n"
	     "    mac: 52:54:00:00:00:03\n"
	     "    mtu: 70000\n"
	     "    service-ports:\n"
	     "      s4: {vlan: 1, bind: {network: jumbo}}\n",
	     NULL);
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 9, 37,
		   "network \"jumbo\" has MTU 9000, more than the MTU 1500 of instance port \"p\"");
	expect_err(f, "a.yaml", 20, 10, "mtu 70000 is out of range");
}

static void test_mac_values(void **state)
{
	struct fx *f = *state;
	const uint8_t up[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

	load(f,
	     "a.yaml",
	     "instance-ports:\n"
	     "  p1: {device: t1, mac: 52:54:00:00:00}\n"
	     "  p2: {device: t2, mac: 52-54-00-00-00-01}\n"
	     "  p3: {device: t3, mac: 52:54:00:00:00:1}\n"
	     "  p4: {device: t4, mac: 52:54:00:00:00:0g}\n"
	     "  p5: {device: t5, mac: 01:00:5e:00:00:01}\n"
	     "  p6: {device: t6, mac: ff:ff:ff:ff:ff:ff}\n"
	     "  p7: {device: t7, mac: 00:00:00:00:00:00}\n"
	     "  p8: {device: t8, mac: 02:AA:bb:Cc:DD:ee}\n"
	     "  p9: {device: t9, mac: 52:54:00:00:00:01:02}\n"
	     "  pa: {device: ta, mac: 525400000001}\n"
	     "  pb:\n"
	     "    device: tb\n"
	     "    mac: 02:00:00:00:00:01\n"
	     "    service-ports:\n"
	     "      s1: {src-mac: 03:00:00:00:00:01, bind: {network: x}}\n"
	     "      s2: {untagged: true, mac: 00:00:00:00:00:00, bind: {network: x}}\n",
	     "b.yaml", "networks: {x: {device: dx}}\n",
	     NULL);
	expect_nerr(f, 11);
	expect_err(f, "a.yaml", 2, 25,
		   "invalid MAC \"52:54:00:00:00\" for mac (expected aa:bb:cc:dd:ee:ff)");
	expect_err(f, "a.yaml", 3, 25, "invalid MAC \"52-54-00-00-00-01\"");
	expect_err(f, "a.yaml", 4, 25, "invalid MAC \"52:54:00:00:00:1\"");
	expect_err(f, "a.yaml", 5, 25, "invalid MAC \"52:54:00:00:00:0g\"");
	expect_err(f, "a.yaml", 6, 25,
		   "multicast MAC 01:00:5e:00:00:01 is not allowed for mac");
	expect_err(f, "a.yaml", 7, 25,
		   "multicast MAC ff:ff:ff:ff:ff:ff is not allowed");
	expect_err(f, "a.yaml", 8, 25, "all-zero MAC is not allowed for mac");
	expect_err(f, "a.yaml", 10, 25, "invalid MAC \"52:54:00:00:00:01:02\"");
	expect_err(f, "a.yaml", 11, 25, "invalid MAC \"525400000001\"");
	expect_err(f, "a.yaml", 16, 21,
		   "multicast MAC 03:00:00:00:00:01 is not allowed for src-mac");
	expect_err(f, "a.yaml", 17, 33, "all-zero MAC is not allowed for mac");

	/* upper case is fine */
	write_file(f, "a.yaml",
		   "instance-ports:\n"
		   "  p8: {device: t8, mac: 02:AA:bb:Cc:DD:ee}\n");
	load_dir(f);
	expect_nerr(f, 0);
	assert_memory_equal(f->cfg->iports[0].mac, up, 6);
}

static void test_device_names(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n1: {device: sixteen-chars-xx}\n"
	     "  n2: {device: fifteen-chars-x}\n"
	     "  n3: {device: a/b}\n"
	     "  n4: {device: \"a b\"}\n"
	     "  n5: {device: \".\"}\n"
	     "  n6: {device: \"..\"}\n"
	     "  n7: {device: \"eth0:1\"}\n"
	     "  n8: {device: \"\"}\n"
	     "  n9: {device: \"tab\\there\"}\n"
	     "instance-ports:\n"
	     "  p: {device: \"...\", mac: 02:00:00:00:00:01}\n"
	     "  q: {device: a-tap-name-too-long, mac: 02:00:00:00:00:02}\n",
	     NULL);
	expect_nerr(f, 9);
	expect_err(f, "a.yaml", 2, 16,
		   "invalid device name \"sixteen-chars-xx\" for device (1-15 bytes, no '/', ':' or whitespace, not \".\" or \"..\")");
	expect_err(f, "a.yaml", 4, 16, "invalid device name \"a/b\"");
	expect_err(f, "a.yaml", 5, 16, "invalid device name \"a b\"");
	expect_err(f, "a.yaml", 6, 16, "invalid device name \".\"");
	expect_err(f, "a.yaml", 7, 16, "invalid device name \"..\"");
	expect_err(f, "a.yaml", 8, 16, "invalid device name \"eth0:1\"");
	expect_err(f, "a.yaml", 9, 16, "invalid device name \"\"");
	expect_err(f, "a.yaml", 10, 16, "invalid device name \"tab\\x09here\"");
	/* "..." is a valid name; the long tap is not */
	expect_err(f, "a.yaml", 13, 15, "invalid device name \"a-tap-name-too-long\"");
}

static void test_mode(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "instance-ports:\n"
	     "  p: {device: t1, mac: 02:00:00:00:00:01, mode: skb}\n"
	     "  q: {device: t2, mac: 02:00:00:00:00:02, mode: XDP}\n"
	     "  r: {device: t3, mac: 02:00:00:00:00:03, mode: [tc]}\n",
	     NULL);
	expect_nerr(f, 3);
	expect_err(f, "a.yaml", 2, 49, "mode must be one of auto, tc, xdp, got \"skb\"");
	expect_err(f, "a.yaml", 3, 49, "mode must be one of auto, tc, xdp, got \"XDP\"");
	expect_err(f, "a.yaml", 4, 49, "mode must be one of auto, tc, xdp, got a sequence");
}

/* ======================================================================== */
/* Service ports: matches */

static void test_match_key_count(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1:\n"
	     "        bind: {network: na}\n"
	     "      s2:\n"
	     "        untagged: true\n"
	     "        vlan: 5\n"
	     "        bind: {network: nb}\n"
	     "      s3: {src-mac: 02:00:00:00:00:03, vlan: [1, 2], untagged: true,\n"
	     "           bind: {network: nb}}\n",
	     NULL);
	expect_nerr(f, 4);
	expect_err(f, "a.yaml", 9, 7,
		   "service port \"s1\" has no match key (one of vlan, untagged, src-mac)");
	expect_err(f, "a.yaml", 13, 9,
		   "service port \"s2\" has more than one match key: \"vlan\" and \"untagged\" at a.yaml:12:9");
	expect_err(f, "a.yaml", 15, 40,
		   "service port \"s3\" has more than one match key: \"vlan\" and \"src-mac\" at a.yaml:15:12");
	expect_err(f, "a.yaml", 15, 54,
		   "has more than one match key: \"untagged\" and \"src-mac\"");
	/* (s3 reports its vlan and its untagged) */
}

static void test_untagged_must_be_true(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {untagged: false, bind: {network: na}}\n"
	     "      s2: {untagged: yes, bind: {network: nb}}\n"
	     "      s3: {untagged: \"true\", mac: 02:00:00:00:00:03, bind: {network: na}}\n"
	     "      s4: {untagged: True, mac: 02:00:00:00:00:04, bind: {network: nb}}\n",
	     NULL);
	expect_nerr(f, 3);
	expect_err(f, "a.yaml", 9, 22, "untagged must be true, got \"false\"");
	expect_err(f, "a.yaml", 10, 22, "untagged must be true, got \"yes\"");
	expect_err(f, "a.yaml", 11, 22, "untagged must be true, got \"true\"");
}

static void test_duplicate_match_vlan(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {vlan: 100, bind: {network: na}}\n"
	     "      s2: {vlan: 100, bind: {network: nb}}\n"
	     "  q:\n"	/* the same VID on another instance port is fine */
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:02\n"
	     "    service-ports:\n"
	     "      s3: {vlan: 100, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 10, 18,
		   "vlan 100 is already matched by service port \"s1\" at a.yaml:9:7");
}

static void test_duplicate_match_qinq(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {vlan: [300, 10], bind: {network: na}}\n"
	     "      s2: {vlan: [300, 11], mac: 02:00:00:00:00:02, bind: {network: na}}\n"
	     "      s3: {vlan: 300, mac: 02:00:00:00:00:03, bind: {network: na}}\n"
	     "      s4: {vlan: [10, 300], mac: 02:00:00:00:00:04, bind: {network: na}}\n"
	     "      s5:\n"
	     "        vlan:\n"
	     "          - 300\n"
	     "          - 10\n"
	     "        bind: {network: nb}\n",
	     NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 15, 11,
		   "vlan [300, 10] is already matched by service port \"s1\" at a.yaml:9:7");
}

static void test_duplicate_match_untagged(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {untagged: true, bind: {network: na}}\n"
	     "      s2: {untagged: true, mac: 02:00:00:00:00:02, bind: {network: nb}}\n",
	     NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 10, 22,
		   "untagged is already matched by service port \"s1\" at a.yaml:9:7");
}

static void test_duplicate_match_srcmac(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {src-mac: 02:00:00:00:00:09, bind: {network: na}}\n"
	     "      s2: {src-mac: 02:00:00:00:00:0A, bind: {network: nb}}\n"
	     "      s3: {src-mac: 02:00:00:00:00:0a, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 11, 21,
		   "src-mac 02:00:00:00:00:0a is already matched by service port \"s2\" at a.yaml:10:7");
}

static void test_untagged_wire(void **state)
{
	struct fx *f = *state;

	/* a src-mac equal to the untagged port's MAC would shadow it */
	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {untagged: true, bind: {network: na}}\n"
	     "      s2: {src-mac: 52:54:00:00:00:01, bind: {network: nb}}\n"
	     "      s3: {src-mac: 02:00:00:00:00:03, bind: {network: nb}}\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:02\n"
	     "    service-ports:\n"
	     "      s4: {src-mac: 02:00:00:00:00:04, bind: {network: na}}\n"
	     "      s5: {untagged: true, mac: 02:00:00:00:00:04, bind: {network: nb}}\n",
	     NULL);
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 10, 21,
		   "MAC 52:54:00:00:00:01 of service port \"s2\" is already used on the untagged wire of instance port \"p\" by service port \"s1\" at a.yaml:9:7");
	expect_err(f, "a.yaml", 17, 33,
		   "is already used on the untagged wire of instance port \"q\" by service port \"s4\" at a.yaml:16:7");
}

/* ======================================================================== */
/* Service ports: MACs and bindings */

static void test_duplicate_mac_on_network(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {vlan: 1, bind: {network: na}}\n"
	     "      s2: {vlan: 2, bind: {network: na}}\n"
	     "      s3: {vlan: 3, mac: 02:00:00:00:00:03, bind: {network: nb}}\n"
	     "      s4: {vlan: 4, mac: 02:00:00:00:00:03, bind: {network: nb}}\n"
	     "      s5: {src-mac: 02:00:00:00:00:03, bind: {network: nb}}\n"
	     "      s6: {vlan: 6, bind: {network: nb}}\n"	/* fine: other net */
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:01\n"	/* same MAC, other iport */
	     "    service-ports:\n"
	     "      s7: {vlan: 7, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 4);
	expect_err(f, "a.yaml", 10, 7,
		   "MAC 52:54:00:00:00:01 of service port \"s2\" (inherited from instance port \"p\") is already used on network \"na\" by service port \"s1\" at a.yaml:9:7");
	expect_err(f, "a.yaml", 12, 26,
		   "MAC 02:00:00:00:00:03 of service port \"s4\" is already used on network \"nb\" by service port \"s3\" at a.yaml:11:7");
	expect_err(f, "a.yaml", 13, 21,
		   "of service port \"s5\" is already used on network \"nb\" by service port \"s3\"");
	expect_err(f, "a.yaml", 19, 7,
		   "service port \"s7\" (inherited from instance port \"q\") is already used on network \"na\" by service port \"s1\" at a.yaml:9:7");
}

static void test_srcmac_with_other_mac(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {src-mac: 02:00:00:00:00:09, mac: 02:00:00:00:00:0a, bind: {network: na}}\n"
	     "      s2: {src-mac: 02:00:00:00:00:0b, mac: 02:00:00:00:00:0B, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 9, 45,
		   "mac 02:00:00:00:00:0a of service port \"s1\" differs from its src-mac 02:00:00:00:00:09");
	write_file(f, "a.yaml",
		   NETS_AB IPORT_HEAD
		   "      s2: {src-mac: 02:00:00:00:00:0b, mac: 02:00:00:00:00:0B, bind: {network: na}}\n");
	load_dir(f);
	expect_nerr(f, 0);
	assert_true(f->cfg->sports[0].mac_explicit);
	assert_int_equal(f->cfg->sports[0].mac[5], 0x0b);
}

static void test_unknown_network(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {vlan: 1, bind: {network: nc}}\n"
	     "      s2: {vlan: 2, bind: {network: \"no such/name\"}}\n",
	     NULL);
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 9, 37, "unknown network \"nc\"");
	expect_err(f, "a.yaml", 10, 37, "unknown network \"no such/name\"");
}

static void test_missing_bind_network(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {vlan: 1}\n"
	     "      s2:\n"
	     "        vlan: 2\n"
	     "        bind: {}\n"
	     "      s3:\n"
	     "        vlan: 3\n"
	     "        bind:\n"
	     "      s4: {vlan: 4, mac: 02:00:00:00:00:04, bind: {network: [na]}}\n",
	     NULL);
	/* s4: only the type error, not "has no bind.network" as well */
	expect_nerr(f, 4);
	expect_err(f, "a.yaml", 16, 61,
		   "network must be a network name, got a sequence");
	expect_err(f, "a.yaml", 9, 7, "service port \"s1\" has no bind.network");
	expect_err(f, "a.yaml", 12, 9, "service port \"s2\" has no bind.network");
	expect_err(f, "a.yaml", 15, 9, "service port \"s3\" has no bind.network");
}

/* ======================================================================== */
/* Devices */

static void test_network_device_and_vlan(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n1: {device: trunk0, vlan: 3001}\n"
	     "  n2: {device: trunk0, vlan: 3002}\n"	/* fine */
	     "  n3: {device: trunk0}\n"			/* fine: untagged */
	     "  n4: {device: pa0}\n",
	     "b.yaml",
	     "networks:\n"
	     "  n5: {device: trunk0, vlan: 3001}\n"
	     "  n6: {device: trunk0}\n"
	     "  n7: {device: pa0}\n"
	     "  n8: {device: pa0, vlan: 5000}\n",	/* no cascade */
	     NULL);
	expect_nerr(f, 4);
	expect_err(f, "b.yaml", 2, 30,
		   "device \"trunk0\" vlan 3001 is already used by network \"n1\" at a.yaml:2:3");
	expect_err(f, "b.yaml", 3, 16,
		   "device \"trunk0\" (untagged) is already used by network \"n3\" at a.yaml:4:3");
	expect_err(f, "b.yaml", 4, 16,
		   "device \"pa0\" (untagged) is already used by network \"n4\" at a.yaml:5:3");
	expect_err(f, "b.yaml", 5, 27, "vlan 5000 is out of range");
}

static void test_tap_claimed_twice(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "instance-ports:\n"
	     "  p: {device: tap0, mac: 02:00:00:00:00:01}\n",
	     "b.yaml",
	     "instance-ports:\n"
	     "  q:\n"
	     "    device: tap0\n"
	     "    mac: 02:00:00:00:00:02\n",
	     NULL);
	expect_nerr(f, 1);
	expect_err(f, "b.yaml", 3, 13,
		   "tap \"tap0\" is already claimed by instance port \"p\" at a.yaml:2:3");
}

static void test_tap_is_network_device(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  n1: {device: pa0, vlan: 5}\n"
	     "instance-ports:\n"
	     "  p: {device: pa0, mac: 02:00:00:00:00:01}\n"
	     "  q: {device: tap-q, mac: 02:00:00:00:00:02}\n",
	     "b.yaml",
	     "networks:\n"
	     "  n2: {device: tap-q}\n",
	     NULL);
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 4, 15,
		   "tap \"pa0\" is the device of network \"n1\" at a.yaml:2:3");
	expect_err(f, "b.yaml", 2, 16,
		   "device \"tap-q\" of network \"n2\" is the tap of instance port \"q\" at a.yaml:5:3");
}

static void test_nonexistent_devices_are_fine(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks: {n: {device: surely-absent}}\n"
	     "instance-ports:\n"
	     "  p: {device: tap-absent0, mac: 02:00:00:00:00:01,\n"
	     "      service-ports: {s: {vlan: 1, bind: {network: n}}}}\n",
	     NULL);
	expect_nerr(f, 0);
}

/* ======================================================================== */
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

/* ======================================================================== */
/* Top-level service ports (service-ports: with instance-port) */

/* A top-level service port on an instance port of a later file and of an
 * earlier file; they join their instance port's service ports. */
static void test_toplevel_other_files(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_iport *p, *q;
	const struct pp_cfg_sport *s;

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
	p = pp_config_find_iport(f->cfg, "p");
	q = pp_config_find_iport(f->cfg, "q");
	assert_int_equal(p->sport_first, 0);
	assert_int_equal(p->sport_count, 2);
	assert_int_equal(q->sport_first, 2);
	assert_int_equal(q->sport_count, 2);

	s = &f->cfg->sports[0];
	assert_string_equal(s->name, "p-s1");
	assert_false(s->toplevel);
	s = &f->cfg->sports[1];
	assert_ptr_equal(pp_config_find_sport(f->cfg, "p-t1"), s);
	assert_true(s->toplevel);
	assert_int_equal(s->iport, 0);
	assert_int_equal(s->match, PP_MATCH_QINQ);
	assert_int_equal(s->outer_vid, 10);
	assert_int_equal(s->inner_vid, 20);
	assert_memory_equal(s->mac, mac1, 6);	/* inherited from p */
	assert_false(s->mac_explicit);
	assert_int_equal(s->network, 1);
	assert_string_equal(s->loc.file, "c.yaml");
	assert_ptr_equal(s->loc.file, f->cfg->files[2]);
	assert_int_equal(s->loc.line, 2);
	assert_int_equal(s->loc.col, 3);
	s = &f->cfg->sports[2];
	assert_string_equal(s->name, "q-s1");
	assert_false(s->toplevel);
	s = &f->cfg->sports[3];
	assert_ptr_equal(pp_config_find_sport(f->cfg, "q-t1"), s);
	assert_true(s->toplevel);
	assert_int_equal(s->iport, 1);
	assert_int_equal(s->match, PP_MATCH_VLAN);
	assert_int_equal(s->outer_vid, 10);
	assert_int_equal(s->mac[5], 0x02);	/* inherited from q */
	assert_int_equal(s->network, 0);
	assert_string_equal(s->loc.file, "a.yaml");
	assert_int_equal(s->loc.line, 2);
	assert_int_equal(s->loc.col, 3);
}

#define SF1_FILE						\
	"networks:\n"						\
	"  tenant-a: {device: pa0}\n"				\
	"instance-ports:\n"					\
	"  sf1:\n"						\
	"    device: tap-sf1\n"					\
	"    mac: 52:54:00:00:00:01\n"				\
	"    service-ports:\n"					\
	"      sf1-a: {vlan: 100, bind: {network: tenant-a}}\n"

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

	s = pp_config_find_sport(f->cfg, "sf1-z");
	assert_ptr_equal(s, &f->cfg->sports[1]);
	assert_true(s->toplevel);
	assert_int_equal(s->iport, 0);
	assert_int_equal(s->match, PP_MATCH_QINQ);
	assert_int_equal(s->outer_vid, 700);
	assert_int_equal(s->inner_vid, 7);
	assert_memory_equal(s->mac, m77, 6);
	assert_true(s->mac_explicit);
	assert_int_equal(s->network, 0);
	assert_string_equal(s->loc.file, "api");
	assert_int_equal(s->loc.line, 6);
	assert_int_equal(s->loc.col, 5);

	s = pp_config_find_sport(f->cfg, "vm9-a");
	assert_ptr_equal(s, &f->cfg->sports[2]);
	assert_true(s->toplevel);
	assert_int_equal(s->iport, 1);
	assert_int_equal(s->match, PP_MATCH_VLAN);
	assert_int_equal(s->outer_vid, 100);
	assert_memory_equal(s->mac, m91, 6);	/* inherited */
	assert_false(s->mac_explicit);
	assert_int_equal(s->network, 1);
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

static void test_toplevel_json_errors(void **state)
{
	struct fx *f = *state;

	write_file(f, "a.yaml", SF1_FILE);
	load_api(f,
		 "{\"service-ports\": {\n"
		 "  \"e1\": {\"instance-port\": \"vm7\", \"vlan\": 1, \"bind\": {\"network\": \"tenant-a\"}},\n"
		 "  \"e2\": {\"instance-port\": \"sf1\", \"vlan\": \"101\", \"mac\": \"52:54:00:00:00:7a\", \"bind\": {\"network\": \"tenant-a\"}},\n"
		 "  \"e3\": {\"instance-port\": \"sf1\", \"vlan\": [700, 5000], \"mac\": \"52:54:00:00:00:78\", \"bind\": {\"network\": \"tenant-a\"}},\n"
		 "  \"e4\": {\"instance-port\": \"sf1\", \"untagged\": true, \"bind\": {\"network\": \"tenant-a\"}},\n"
		 "  \"e5\": {\"instance-port\": \"sf1\", \"vlan\": 100, \"mac\": \"52:54:00:00:00:79\", \"bind\": {\"network\": \"tenant-a\"}},\n"
		 "  \"e6\": {\"vlan\": 5, \"bind\": {\"network\": \"tenant-a\"}}\n"
		 "}}\n");
	expect_nerr(f, 6);
	expect_err(f, "api", 2, 27, "unknown instance port \"vm7\"");
	expect_err(f, "api", 3, 42,
		   "vlan must be a decimal integer 1-4094, got \"101\" (quoted)");
	expect_err(f, "api", 4, 48, "inner vlan 5000 is out of range 1-4094");
	expect_err(f, "api", 5, 3,
		   "MAC 52:54:00:00:00:01 of service port \"e4\" (inherited from instance port \"sf1\") is already used on network \"tenant-a\" by service port \"sf1-a\" at a.yaml:8:7");
	expect_err(f, "api", 6, 42,
		   "vlan 100 is already matched by service port \"sf1-a\" at a.yaml:8:7");
	expect_err(f, "api", 7, 3, "service port \"e6\" has no instance-port");

	/* JSON syntax errors are positioned too */
	load_api(f, "{\"service-ports\": {\n  \"e1\": {\"vlan\": [1, 2}}}");
	expect_nerr(f, 1);
	expect_err(f, "api", 2, 23,
		   "YAML syntax error: did not find expected ',' or ']'");
}

static void test_toplevel_missing_and_unknown_iport(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {vlan: 1, bind: {network: na}}\n",
	     "b.yaml",
	     "service-ports:\n"
	     "  t1: {vlan: 2, bind: {network: na}}\n"
	     "  t2: {instance-port: zz, vlan: 3, bind: {network: na}}\n"
	     "  t3: {instance-port: \"p q\", vlan: 4, bind: {network: na}}\n"
	     "  t4: {instance-port: [p], vlan: 5, bind: {network: na}}\n"
	     "  t5:\n"
	     "    instance-port: p\n"
	     "    vlan: 6\n"
	     "    mac: 02:00:00:00:00:06\n"
	     "    bind: {network: na}\n"
	     "  t6:\n",
	     NULL);
	/* t1-t4 and t6 are dropped: no MAC conflict with s1 */
	expect_nerr(f, 7);
	expect_err(f, "b.yaml", 2, 3, "service port \"t1\" has no instance-port");
	expect_err(f, "b.yaml", 3, 23, "unknown instance port \"zz\"");
	expect_err(f, "b.yaml", 4, 23, "unknown instance port \"p q\"");
	expect_err(f, "b.yaml", 5, 23,
		   "instance-port must be an instance port name, got a sequence");
	expect_err(f, "b.yaml", 11, 3, "service port \"t6\" has no instance-port");
	expect_err(f, "b.yaml", 11, 3, "service port \"t6\" has no match key");
	expect_err(f, "b.yaml", 11, 3, "service port \"t6\" has no bind.network");

	/* an instance port may be in an unreadable file: no "unknown" */
	write_file(f, "b.yaml",
		   "service-ports:\n"
		   "  t2: {instance-port: zz, vlan: 3, bind: {network: na}}\n");
	write_file(f, "c.yaml", "instance-ports:\n  zz: {device: t\n");
	load_dir(f);
	expect_nerr(f, 1);
	expect_err(f, "c.yaml", 3, 1, "YAML syntax error");
}

static void test_toplevel_duplicate_names(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {vlan: 1, bind: {network: na}}\n"
	     "service-ports:\n"
	     "  t1: {instance-port: p, vlan: 2, mac: 02:00:00:00:00:02, bind: {network: na}}\n"
	     "  t2: {instance-port: p, vlan: 6, mac: 02:00:00:00:00:06, bind: {network: na}}\n",
	     "b.yaml",
	     "instance-ports:\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:02\n"
	     "    service-ports:\n"
	     "      t2: {vlan: 5, bind: {network: nb}}\n"
	     "service-ports:\n"
	     "  s1: {instance-port: q, vlan: 3, mac: 02:00:00:00:00:03, bind: {network: na}}\n"
	     "  t1: {instance-port: q, vlan: 4, mac: 02:00:00:00:00:04, bind: {network: na}}\n"
	     "  t3: {instance-port: q, vlan: 7, mac: 02:00:00:00:00:07, bind: {network: na}}\n"
	     "  t3: {instance-port: q, vlan: 8, mac: 02:00:00:00:00:08, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 4);
	/* nested first, then top-level */
	expect_err(f, "b.yaml", 8, 3,
		   "service port \"s1\" is already defined at a.yaml:9:7");
	expect_err(f, "b.yaml", 9, 3,
		   "service port \"t1\" is already defined at a.yaml:11:3");
	expect_err(f, "b.yaml", 11, 3,
		   "service port \"t3\" is already defined at b.yaml:10:3");
	/* top-level service ports are read after every nested one: the
	 * top-level one is the later definition */
	expect_err(f, "a.yaml", 12, 3,
		   "service port \"t2\" is already defined at b.yaml:6:7");
}

static void test_toplevel_duplicate_match(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {vlan: 100, bind: {network: na}}\n"
	     "      s2: {untagged: true, bind: {network: nb}}\n"
	     "service-ports:\n"
	     "  t1: {instance-port: p, vlan: 100, mac: 02:00:00:00:00:11, bind: {network: na}}\n"
	     "  t2: {instance-port: p, src-mac: 52:54:00:00:00:01, bind: {network: na}}\n"
	     "  t3: {instance-port: p, vlan: [100, 1], mac: 02:00:00:00:00:13, bind: {network: na}}\n"
	     "  t4: {instance-port: q, vlan: 200, bind: {network: na}}\n",
	     "b.yaml",
	     "instance-ports:\n"
	     "  q:\n"
	     "    device: tap-q\n"
	     "    mac: 52:54:00:00:00:02\n"
	     "    service-ports:\n"
	     "      q1: {vlan: 200, mac: 02:00:00:00:00:21, bind: {network: nb}}\n"
	     "      q2: {vlan: 100, bind: {network: nb}}\n",	/* other iport */
	     NULL);
	expect_nerr(f, 4);
	expect_err(f, "a.yaml", 12, 32,
		   "vlan 100 is already matched by service port \"s1\" at a.yaml:9:7");
	expect_err(f, "a.yaml", 13, 35,
		   "MAC 52:54:00:00:00:01 of service port \"t2\" is already used on the untagged wire of instance port \"p\" by service port \"s2\" at a.yaml:10:7");
	expect_err(f, "a.yaml", 13, 35,
		   "MAC 52:54:00:00:00:01 of service port \"t2\" is already used on network \"na\" by service port \"s1\" at a.yaml:9:7");
	/* the nested port of a later file came first */
	expect_err(f, "a.yaml", 15, 32,
		   "vlan 200 is already matched by service port \"q1\" at b.yaml:6:7");
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

static void test_toplevel_instance_port_key(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_AB IPORT_HEAD
	     "      s1: {instance-port: p, vlan: 1, bind: {network: na}}\n"
	     "service-ports:\n"
	     "  t1: {instance-port: p, vlan: 2, mac: 02:00:00:00:00:02, bind: {network: na}, device: x}\n"
	     "  t2: [instance-port, p]\n"
	     "  t3: {instance-port: p, instance-port: p, vlan: 3, mac: 02:00:00:00:00:03, bind: {network: na}}\n",
	     NULL);
	expect_nerr(f, 4);
	/* refused in a nested service port */
	expect_err(f, "a.yaml", 9, 12,
		   "unknown key \"instance-port\" in service port \"s1\" (expected: vlan, untagged, src-mac, mac, addresses, bind)");
	expect_err(f, "a.yaml", 11, 80,
		   "unknown key \"device\" in service port \"t1\" (expected: instance-port, vlan, untagged, src-mac, mac, addresses, bind)");
	expect_err(f, "a.yaml", 12, 7,
		   "service port \"t2\" must be a mapping, got a sequence");
	expect_err(f, "a.yaml", 13, 26,
		   "duplicate key \"instance-port\" in service port \"t3\", first at a.yaml:13:8");
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

/* ======================================================================== */
/* Size and speed */

static void add_sport(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_sport(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*cap - *len < 256) {
		*cap = *cap ? *cap * 2 : 1 << 20;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
	}
	va_start(ap, fmt);
	n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
	va_end(ap);
	*len += (size_t)n;
}

static void test_perf_8188_ports(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_iport *ip;
	const struct pp_cfg_sport *s;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	double t0, c0, ms, cpu;

	add_sport(&buf, &len, &cap,
		  "networks:\n  net0: {device: pn0}\n"
		  "instance-ports:\n  big:\n    device: tap-big\n"
		  "    mac: 52:54:00:00:00:01\n    service-ports:\n");
	for (int i = 1; i <= 4094; i++)
		add_sport(&buf, &len, &cap,
			  "      s%d:\n        vlan: %d\n"
			  "        mac: 02:00:00:00:%02x:%02x\n"
			  "        bind: {network: net0}\n",
			  i, i, i >> 8, i & 0xff);
	for (int i = 1; i <= 4094; i++)
		add_sport(&buf, &len, &cap,
			  "      q%d:\n        vlan: [%d, 100]\n"
			  "        mac: 02:00:00:01:%02x:%02x\n"
			  "        bind: {network: net0}\n",
			  i, i, i >> 8, i & 0xff);
	write_file(f, "big.yaml", buf);
	free(buf);

	t0 = now_ms();
	c0 = cpu_ms();
	load_dir(f);
	cpu = cpu_ms() - c0;
	ms = now_ms() - t0;
	print_message("      8,188 service ports on one instance port: %.1f ms (%.1f ms CPU)\n",
		      ms, cpu);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_sports, 8188);
	ip = pp_config_find_iport(f->cfg, "big");
	assert_int_equal(ip->sport_count, 8188);
	s = pp_config_find_sport(f->cfg, "q4094");
	assert_int_equal(s->match, PP_MATCH_QINQ);
	assert_int_equal(s->outer_vid, 4094);
	assert_int_equal(s->inner_vid, 100);
	if (timing_checked())
		assert_true(cpu < 1000.0);
}

/* nfiles x 4,000 service ports; over: past PP_MAX_SPORTS, one error expected */
static void big_config(void **state, int nfiles, int over)
{
	struct fx *f = *state;
	unsigned int over_line = 0;
	char over_file[32] = "";
	char name[32], limit[64];
	double t0, c0, ms, cpu;
	int k = 0;

	for (int fi = 0; fi < nfiles; fi++) {
		char *buf = NULL;
		size_t len = 0, cap = 0;
		unsigned int line = 9;

		add_sport(&buf, &len, &cap,
			  "networks:\n  n%d: {device: pn%d}\n"
			  "instance-ports:\n  ip%d:\n    device: tap%d\n"
			  "    mac: 52:54:00:00:%02x:01\n    mtu: 1500\n"
			  "    service-ports:\n",
			  fi, fi, fi, fi, fi);
		for (int i = 1; i <= 4000; i++, line += 2) {
			add_sport(&buf, &len, &cap,
				  "      s%d-%d:\n"
				  "        {vlan: %d, mac: 02:00:%02x:00:%02x:%02x, bind: {network: n%d}}\n",
				  fi, i, i, fi, i >> 8, i & 0xff, fi);
			if (++k == PP_MAX_SPORTS + 1) {
				over_line = line;
				snprintf(over_file, sizeof(over_file),
					 "f%02d.yaml", fi);
			}
		}
		snprintf(name, sizeof(name), "f%02d.yaml", fi);
		write_file(f, name, buf);
		free(buf);
	}

	t0 = now_ms();
	c0 = cpu_ms();
	load_dir(f);
	cpu = cpu_ms() - c0;
	ms = now_ms() - t0;
	print_message("      %d service ports in %d files: %.1f ms (%.1f ms CPU)\n",
		      k, nfiles, ms, cpu);
	if (over) {
		snprintf(limit, sizeof(limit), "too many service ports (limit %d)", PP_MAX_SPORTS);
		expect_nerr(f, 1);
		expect_err(f, over_file, over_line, 7, limit);
		return;
	}
	expect_nerr(f, 0);
	if (timing_checked())
		assert_true(cpu < 1000.0);
}

static void test_perf_100k_ports(void **state)
{
	big_config(state, 25, 0);
}

/* 33 files x 4,000 = 132,000 service ports: over the limit of the maps. */
static void test_perf_over_limit(void **state)
{
	big_config(state, 33, 1);
}

/* 4,000 top-level service ports in an in-memory JSON source, on two
 * instance ports of a file (2,000 nested ones each): regrouped quickly. */
static void test_perf_toplevel_json(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_iport *a, *b;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	double c0, cpu;

	add_sport(&buf, &len, &cap,
		  "networks:\n  net0: {device: pn0}\n"
		  "instance-ports:\n  a:\n    device: tap-a\n"
		  "    mac: 52:54:00:00:00:01\n    service-ports:\n");
	for (int i = 1; i <= 2000; i++)
		add_sport(&buf, &len, &cap,
			  "      a%d: {vlan: %d, mac: 02:00:00:0a:%02x:%02x, bind: {network: net0}}\n",
			  i, i, i >> 8, i & 0xff);
	add_sport(&buf, &len, &cap,
		  "  b:\n    device: tap-b\n"
		  "    mac: 52:54:00:00:00:02\n    service-ports:\n");
	for (int i = 1; i <= 2000; i++)
		add_sport(&buf, &len, &cap,
			  "      b%d: {vlan: %d, mac: 02:00:00:0b:%02x:%02x, bind: {network: net0}}\n",
			  i, i, i >> 8, i & 0xff);
	write_file(f, "big.yaml", buf);
	len = 0;
	add_sport(&buf, &len, &cap, "{\"service-ports\": {\n");
	for (int i = 2001; i <= 4000; i++)
		for (int ab = 0; ab < 2; ab++)
			add_sport(&buf, &len, &cap,
				  "%s\"t%c%d\": {\"instance-port\": \"%c\", \"vlan\": %d, \"mac\": \"02:00:00:1%c:%02x:%02x\", \"bind\": {\"network\": \"net0\"}}\n",
				  i == 2001 && !ab ? "" : ",", "ab"[ab], i,
				  "ab"[ab], i, "ab"[ab], i >> 8, i & 0xff);
	add_sport(&buf, &len, &cap, "}}\n");

	c0 = cpu_ms();
	load_api(f, buf);
	cpu = cpu_ms() - c0;
	free(buf);
	print_message("      4,000 nested + 4,000 top-level service ports (JSON): %.1f ms CPU\n",
		      cpu);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_sports, 8000);
	a = pp_config_find_iport(f->cfg, "a");
	b = pp_config_find_iport(f->cfg, "b");
	assert_int_equal(a->sport_first, 0);
	assert_int_equal(a->sport_count, 4000);
	assert_int_equal(b->sport_first, 4000);
	assert_int_equal(b->sport_count, 4000);
	for (uint32_t i = 0; i < 8000; i++) {
		const struct pp_cfg_sport *s = &f->cfg->sports[i];

		assert_int_equal(s->iport, i < 4000 ? 0 : 1);
		assert_int_equal(s->outer_vid, i % 4000 + 1);
		assert_int_equal(s->toplevel, i % 4000 >= 2000);
		assert_ptr_equal(pp_config_find_sport(f->cfg, s->name), s);
	}
	if (timing_checked())
		assert_true(cpu < 1000.0);
}

/* ======================================================================== */

/* ======================================================================== */
/* Services (issue 6): gateway, addresses, security, responder, dhcp */

#define NETS_GW							\
	"networks:\n"						\
	"  na:\n"						\
	"    device: pa0\n"					\
	"    gateway: {ipv4: 10.0.0.1, ipv6: \"fd00:a::1\"}\n"	\
	"  nb: {device: pb0}\n"

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
	     NETS_GW
	     "  nc:\n"
	     "    device: pc0\n"
	     "    gateway: {ipv4: 10.1.0.1, mac: 02:00:00:00:00:fe}\n"
	     IPORT_HEAD
	     "      s1:\n"
	     "        vlan: 100\n"
	     "        addresses: [10.0.0.5/24, \"fd00:a::5/64\"]\n"
	     "        bind:\n"
	     "          network: na\n"
	     "          security:\n"
	     "            allowed-pairs: [{mac: 52:54:00:00:00:10, ip: 10.0.0.50}, {mac: 52:54:00:00:00:11}]\n"
	     "            ingress: [{proto: tcp, ports: 22, from: 10.0.0.0/24}, {proto: icmp, icmp-type: 8}]\n"
	     "            egress: [{proto: udp, ports: 1000-2000, to: \"fd00::/8\", action: drop}, {action: allow}]\n"
	     "            default: allow\n"
	     "          responder: {}\n"
	     "          dhcp: {dns: [10.0.0.2, 10.0.0.3], lease: 3600, mtu: 1400, routes: [{to: 192.168.0.0/16, via: 10.0.0.1}]}\n"
	     "      s2:\n"
	     "        vlan: 200\n"
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
	     NETS_GW
	     "  nc:\n"
	     "    device: pc0\n"
	     "    gateway: {ipv4: 10.1.0.1, mac: 02:00:00:00:00:fe}\n"
	     IPORT_HEAD
	     "      s1:\n"
	     "        vlan: 100\n"
	     "        addresses: [10.0.0.5/24, \"fd00:a::5/64\"]\n"
	     "        bind:\n"
	     "          network: na\n"
	     "          security:\n"
	     "            allowed-pairs: [{mac: 52:54:00:00:00:10, ip: 10.0.0.50}, {mac: 52:54:00:00:00:11}]\n"
	     "            ingress: [{proto: tcp, ports: 22, from: 10.0.0.0/24}, {proto: icmp, icmp-type: 8}]\n"
	     "            egress: [{proto: udp, ports: 1000-2000, to: \"fd00::/8\", action: drop}, {action: allow}]\n"
	     "            default: allow\n"
	     "          responder: {}\n"
	     "          dhcp: {dns: [10.0.0.2, 10.0.0.3], lease: 3600, mtu: 1400, routes: [{to: 192.168.0.0/16, via: 10.0.0.1}]}\n"
	     "      s2:\n"
	     "        vlan: 200\n"
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

static void test_services_values(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     "networks:\n"
	     "  na:\n"
	     "    device: pa0\n"
	     "    gateway: {ipv4: \"fd00::1\", ipv6: 10.0.0.1, mac: 01:00:00:00:00:01}\n"
	     "  nb:\n"
	     "    device: pb0\n"
	     "    gateway: {mac: 02:00:00:00:00:01, bogus: 1}\n"
	     "  nc:\n"
	     "    device: pc0\n"
	     "    gateway: {ipv4: 10.0.0.1/24}\n"
	     IPORT_HEAD
	     "      s1:\n"
	     "        vlan: 1\n"
	     "        addresses: [10.0.0.5/33, foo, 10.0.0.6, 10.0.0.6/24, [x]]\n"
	     "        bind: {network: nc}\n"
	     "      s2:\n"
	     "        vlan: 2\n"
	     "        mac: 02:00:00:00:00:02\n"
	     "        bind:\n"
	     "          network: nc\n"
	     "          security:\n"
	     "            allowed-pairs: [{ip: 10.0.0.9}, 5, {mac: xx}]\n"
	     "            ingress: [{proto: sctp}, {proto: icmp, ports: 22}, {proto: tcp, ports: 0}, {proto: tcp, ports: 9-8}, {proto: tcp, icmp-type: 3}, {proto: icmp, from: \"fd00::/8\"}, {action: reject}, {bogus: 1}]\n"
	     "            default: maybe\n"
	     "          responder: {answer: yes}\n"
	     "          dhcp: {dns: [\"fd00::53\"], lease: 10, mtu: 20, routes: [{to: 10.9.0.0}, {via: 10.0.0.1}]}\n",
	     NULL);
	expect_nerr(f, 30);
	expect_err(f, "a.yaml", 4, 21, "gateway ipv4 must be an IPv4 address, got \"fd00::1\"");
	expect_err(f, "a.yaml", 4, 38, "gateway ipv6 must be an IPv6 address, got \"10.0.0.1\"");
	expect_err(f, "a.yaml", 4, 53, "multicast MAC 01:00:00:00:00:01 is not allowed for gateway mac");
	expect_err(f, "a.yaml", 7, 5, "gateway of network \"nb\" has neither ipv4 nor ipv6");
	expect_err(f, "a.yaml", 7, 39, "unknown key \"bogus\" in gateway of network \"nb\" (expected: ipv4, ipv6, mac)");
	expect_err(f, "a.yaml", 10, 21, "invalid gateway ipv4 \"10.0.0.1/24\" (expected an IPv4 or IPv6 address)");
	expect_err(f, "a.yaml", 18, 21, "invalid address \"10.0.0.5/33\" (expected an IPv4 or IPv6 address, optionally /len)");
	expect_err(f, "a.yaml", 18, 34, "invalid address \"foo\"");
	expect_err(f, "a.yaml", 18, 49, "address 10.0.0.6 is listed twice");
	expect_err(f, "a.yaml", 18, 62, "address must be an IP address, got a sequence");
	expect_err(f, "a.yaml", 26, 29, "allowed pair of service port \"s2\" has no mac");
	expect_err(f, "a.yaml", 26, 45, "each entry of allowed-pairs must be a mapping, got \"5\"");
	expect_err(f, "a.yaml", 26, 54, "invalid MAC \"xx\" for allowed pair mac");
	expect_err(f, "a.yaml", 27, 31, "proto must be one of any, icmp, tcp, udp, icmpv6, got \"sctp\"");
	expect_err(f, "a.yaml", 27, 52, "ports need proto tcp or udp");
	expect_err(f, "a.yaml", 27, 84, "ports must be a port 1-65535 or a range \"LOW-HIGH\", got \"0\"");
	expect_err(f, "a.yaml", 27, 108, "ports must be a port 1-65535 or a range \"LOW-HIGH\", got \"9-8\"");
	expect_err(f, "a.yaml", 27, 127, "icmp-type needs proto icmp or icmpv6");
	expect_err(f, "a.yaml", 27, 142, "ingress rule mixes IPv4 and IPv6");
	expect_err(f, "a.yaml", 27, 184, "action must be allow or drop, got \"reject\"");
	expect_err(f, "a.yaml", 27, 194, "unknown key \"bogus\" in ingress rule of service port \"s2\"");
	expect_err(f, "a.yaml", 28, 22, "default must be allow or drop, got \"maybe\"");
	expect_err(f, "a.yaml", 29, 23, "unknown key \"answer\" in responder of service port \"s2\" (expected: no keys)");
	expect_err(f, "a.yaml", 30, 11, "dhcp on service port \"s2\" needs an IPv4 address in its addresses");
	expect_err(f, "a.yaml", 30, 24, "dns server must be an IPv4 address, got \"fd00::53\"");
	expect_err(f, "a.yaml", 30, 44, "lease 10 is out of range 60-2147483647");
	expect_err(f, "a.yaml", 30, 53, "mtu 20 is out of range 68-65535");
	expect_err(f, "a.yaml", 30, 66, "dhcp route of service port \"s2\" needs to and via");
	expect_err(f, "a.yaml", 30, 71, "invalid route to \"10.9.0.0\" (expected an IPv4 or IPv6 address/len)");
	expect_err(f, "a.yaml", 30, 82, "dhcp route of service port \"s2\" needs to and via");
}

static void test_services_addresses_on_network(void **state)
{
	struct fx *f = *state;

	load(f,
	     "a.yaml",
	     NETS_GW IPORT_HEAD
	     "      s1: {vlan: 1, addresses: [10.0.0.5/24], bind: {network: na}}\n"
	     "      s2: {vlan: 2, mac: 02:00:00:00:00:02, addresses: [10.0.0.1/24], bind: {network: na}}\n"
	     "      s3: {vlan: 3, mac: 02:00:00:00:00:03, addresses: [\"10.0.0.5/16\"], bind: {network: na}}\n"
	     "      s4: {vlan: 4, addresses: [10.0.0.5/24, \"fd00:a::1/64\"], bind: {network: nb}}\n",
	     NULL);
	expect_nerr(f, 2);
	expect_err(f, "a.yaml", 12, 57,
		   "address 10.0.0.1 of service port \"s2\" is the gateway of network \"na\"");
	expect_err(f, "a.yaml", 13, 57,
		   "address 10.0.0.5 of service port \"s3\" is already used on network \"na\" by service port \"s1\" at a.yaml:11:7");
}

static void test_services_api_json(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_sport *s;

	load(f, "a.yaml", NETS_GW IPORT_HEAD "      s1: {vlan: 1, bind: {network: na}}\n", NULL);
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

	load(f,
	     "a.yaml",
	     NETS_GW IPORT_HEAD
	     "      s1:\n"
	     "        vlan: 1\n"
	     "        bind:\n"
	     "          network: na\n"
	     "          security:\n"
	     "            allow-dhcp-server: yes\n"
	     "            allow-ra: \"true\"\n"
	     "      s2: {vlan: 2, mac: 02:00:00:00:00:02, bind: {network: na, security: {allow-ra: 1, allow-dhcp-server: [true]}}}\n",
	     NULL);
	expect_nerr(f, 4);
	expect_err(f, "a.yaml", 16, 32, "allow-dhcp-server must be true or false, got \"yes\"");
	expect_err(f, "a.yaml", 17, 23, "allow-ra must be true or false, got \"true\"");
	expect_err(f, "a.yaml", 18, 86, "allow-ra must be true or false, got \"1\"");
	expect_err(f, "a.yaml", 18, 108, "allow-dhcp-server must be true or false, got a sequence");

	/* through the API: JSON booleans, and the same errors with positions */
	load(f, "a.yaml", NETS_GW IPORT_HEAD "      s1: {vlan: 1, bind: {network: na}}\n", NULL);
	expect_nerr(f, 0);
	load_api(f, "{\"service-ports\": {\"x\": {\"instance-port\": \"p\", \"vlan\": 7, "
		    "\"mac\": \"02:00:00:00:00:07\", \"bind\": {\"network\": \"na\", "
		    "\"security\": {\"allow-dhcp-server\": false, \"allow-ra\": true}}}}}");
	expect_nerr(f, 0);
	s = pp_config_find_sport(f->cfg, "x");
	assert_true(s->security && !s->allow_dhcp_server && s->allow_ra);
	load_api(f, "{\"service-ports\": {\"x\": {\"instance-port\": \"p\", \"vlan\": 7, "
		    "\"mac\": \"02:00:00:00:00:07\", \"bind\": {\"network\": \"na\", "
		    "\"security\": {\"allow-ra\": \"true\"}}}}}");
	expect_nerr(f, 1);
	expect_err(f, "api", 1, 138, "allow-ra must be true or false, got \"true\"");
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

static void find_examples(void)
{
	/* run from the repository root, or from anywhere with the source
	 * tree's path compiled in */
	const char *cands[] = { "examples/bindings.d",
				"../../examples/bindings.d" };
	char from_src[PATH_MAX];
	const char *slash = strrchr(__FILE__, '/');

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (realpath(cands[i], examples_dir))
			return;
	snprintf(from_src, sizeof(from_src), "%.*s/../../examples/bindings.d",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	if (!realpath(from_src, examples_dir))
		snprintf(examples_dir, sizeof(examples_dir), "examples/bindings.d");
}

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* ======================================================================== */
/* Hostile YAML (issue 13, items 5 and 6): aliases, bombs, deep nesting */

/* What a load in a child process gave (see load_bounded). */
struct bounded_res {
	int ret;
	size_t n_errs;
	double cpu_ms;
	char first[512];	/* the first error, formatted */
};

/*
 * Load (or, export, export) the sources in a child process limited to
 * cpu_s seconds of CPU and as_mb MB of address space, so that a regression
 * (an expansion, a parse quadratic in the input) fails the test in seconds
 * instead of hanging or swapping the machine. Returns false when the child
 * did not finish (killed by a limit).
 */
static bool load_bounded(const struct pp_config_source *src, size_t n, bool export,
			 unsigned int cpu_s, size_t as_mb, struct bounded_res *r)
{
	int fd[2], status;
	pid_t pid;
	ssize_t got;

	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit cpu = { cpu_s, cpu_s };
		struct rlimit as = { as_mb << 20, as_mb << 20 };
		struct pp_errors errs = PP_ERRORS_INIT;
		struct bounded_res res = { 0 };
		struct pp_config *cfg = NULL;
		struct pp_export *ex = NULL;
		double c0;

		close(fd[0]);
		if (setrlimit(RLIMIT_CPU, &cpu) || setrlimit(RLIMIT_AS, &as))
			_exit(2);
		c0 = cpu_ms();
		res.ret = export ? pp_config_export_buffers(src, n, &ex, &errs) :
				   pp_config_load_buffers(src, n, &cfg, &errs);
		res.cpu_ms = cpu_ms() - c0;
		res.n_errs = errs.n;
		if (errs.n)
			pp_error_format(&errs.v[0], res.first, sizeof(res.first));
		if (write(fd[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	got = read(fd[0], r, sizeof(*r));
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		print_message("      the load was killed by signal %d (limits: %u s CPU, %zu MB)\n",
			      WTERMSIG(status), cpu_s, as_mb);
	return got == (ssize_t)sizeof(*r) && WIFEXITED(status) && !WEXITSTATUS(status);
}

static void test_yaml_alias_loop(void **state)
{
	struct fx *f = *state;

	/* polyportctl's own reader followed this alias until it crashed */
	load(f, "a.yaml", "networks: &a [*a]\n", NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 1, 15, "YAML aliases are not supported");
}

/* The "billion laughs": 9 aliases of 9 aliases ... of a 9-element list. */
static const char laughs[] =
	"networks:\n"
	"  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	"  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	"  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	"  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	"  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	"  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	"  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	"  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	"  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
	"  j: &j [*i, *i, *i, *i, *i, *i, *i, *i, *i]\n";

static void test_yaml_billion_laughs(void **state)
{
	struct pp_config_source src = { "laughs.yaml", laughs, sizeof(laughs) - 1 };
	struct bounded_res r;

	(void)state;
	for (int export = 0; export <= 1; export++) {
		/* 256 MB: an expansion (9^9 nodes) cannot fit */
		assert_true(load_bounded(&src, 1, export, 5, 256, &r));
		print_message("      %zu-byte billion laughs (%s): refused in %.2f ms CPU: %s\n",
			      sizeof(laughs) - 1, export ? "export" : "load", r.cpu_ms, r.first);
		assert_int_equal(r.ret, -EINVAL);
		assert_int_equal(r.n_errs, 1);
		assert_string_equal(r.first, "laughs.yaml:3:10: YAML aliases are not supported; "
					     "the file is not read further");
		if (timing_checked())
			assert_true(r.cpu_ms < 100.0);
	}
}

/* A file of nothing but aliases: one error, not one per alias. */
static void test_yaml_many_aliases(void **state)
{
	size_t n = 250000, len;
	char *buf = malloc(16 + 4 * n);
	struct pp_config_source src = { "many.yaml", buf, 0 };
	struct bounded_res r;

	(void)state;
	assert_non_null(buf);
	len = (size_t)sprintf(buf, "x: &a [1]\ny: [");
	for (size_t i = 0; i < n; i++, len += 4)
		memcpy(buf + len, "*a, ", 4);
	buf[len++] = ']';
	src.len = len;
	assert_true(load_bounded(&src, 1, false, 5, 256, &r));
	print_message("      %zu aliases (%zu KB): refused in %.2f ms CPU\n", n, len >> 10, r.cpu_ms);
	assert_int_equal(r.n_errs, 1);
	assert_string_equal(r.first, "many.yaml:2:5: YAML aliases are not supported; "
				     "the file is not read further");
	if (timing_checked())
		assert_true(r.cpu_ms < 1000.0);
	free(buf);
}

/* 400 KB of "[" (and of "{", and one per line): libyaml alone took minutes. */
static void test_yaml_deep_nesting_fast(void **state)
{
	static const struct {
		const char *unit, *desc, *where;
	} shapes[] = {
		{ "[", "[[[[...", "deep.yaml:1:65:" },
		{ "{", "{{{{...", "deep.yaml:1:65:" },
		{ "[\n", "one [ per line", "deep.yaml:65:1:" },
		{ "- ", "- - - - ... (block)", "deep.yaml:1:129:" },
	};
	size_t size = 400 * 1024;
	char *buf = malloc(size);
	struct bounded_res r;

	(void)state;
	assert_non_null(buf);
	for (size_t s = 0; s < ARRAY_SIZE(shapes); s++) {
		size_t ul = strlen(shapes[s].unit);
		struct pp_config_source src = { "deep.yaml", buf, size / ul * ul };

		for (size_t i = 0; i < src.len; i += ul)
			memcpy(buf + i, shapes[s].unit, ul);
		/* 10 s of CPU: a regression fails here instead of taking minutes */
		assert_true(load_bounded(&src, 1, s == 0, 10, 512, &r));
		print_message("      400 KB of %s: refused in %.2f ms CPU: %s\n", shapes[s].desc,
			      r.cpu_ms, r.first);
		assert_int_equal(r.n_errs, 1);
		assert_non_null(strstr(r.first, shapes[s].where));
		assert_non_null(strstr(r.first, "YAML nesting deeper than 64 levels"));
		if (timing_checked())
			assert_true(r.cpu_ms < 1000.0);
	}
	free(buf);
}

/* 64 levels are read (the schema then says what it thinks), 65 are not. */
static void test_yaml_depth_64_read_65_refused(void **state)
{
	struct fx *f = *state;
	char buf[512];
	int n;

	/* the top level, networks, and 62 more: 64 */
	n = snprintf(buf, sizeof(buf), "networks:\n  n1: %.62s%.62s\n",
		     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	load(f, "a.yaml", buf, NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 2, 7, "network \"n1\" must be a mapping, got a sequence");

	/* 65: refused at the 65th opening */
	n = snprintf(buf, sizeof(buf), "networks:\n  n1: %.63s%.63s\n",
		     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	load(f, "a.yaml", buf, NULL);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 2, 7 + 62, "YAML nesting deeper than 64 levels");

	/* the deepest the schema goes (9) is far from the limit */
	load(f, "a.yaml",
	     "networks: {na: {device: pa0}}\n"
	     "instance-ports:\n"
	     "  p:\n"
	     "    device: tap-p\n"
	     "    mac: 52:54:00:00:00:01\n"
	     "    service-ports:\n"
	     "      s1:\n"
	     "        vlan: 1\n"
	     "        bind:\n"
	     "          network: na\n"
	     "          security: {ingress: [{proto: tcp, action: allow}]}\n",
	     NULL);
	expect_nerr(f, 0);
}

/* ======================================================================== */
/* Export (polyportctl apply -f): the objects of a file as the API's bodies */

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
 * loads with pp_config_load after the daemon's files (loader/api.c render).
 */
static char *render_like_api(const struct pp_export *ex)
{
	static const char *const kinds[] = { "networks", "instance-ports", "service-ports" };
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
	} else if (kind == 1) {
		const struct pp_cfg_iport *p = &c->iports[i];

		pp_mac_format(p->mac, m);
		P("iport %s dev %s mac %s mtu %u mode %d sports %u", p->name, p->device, m, p->mtu,
		  p->mode, p->sport_count);
		for (uint32_t s = 0; s < p->sport_count; s++)
			P(" %s", c->sports[p->sport_first + s].name);
	} else {
		const struct pp_cfg_sport *s = &c->sports[i];

		pp_mac_format(s->mac, m);
		P("sport %s on %s match %d %u/%u mac %s %d net %s addrs", s->name,
		  c->iports[s->iport].name, s->match, s->outer_vid, s->inner_vid, m,
		  s->mac_explicit, c->networks[s->network].name);
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
			P(" [%u %u %u %u/%u %u-%u %s %s]", r->dir, r->proto, r->allow,
			  r->has_icmp_type, r->icmp_type, r->port_lo, r->port_hi, a, b);
		}
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
	const uint32_t nx[3] = { x->n_networks, x->n_iports, x->n_sports };
	const uint32_t ny[3] = { y->n_networks, y->n_iports, y->n_sports };

	for (int k = 0; k < 3; k++) {
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
	"      base-s: {vlan: 5, bind: {network: base-net}}\n";

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
	"service-ports:\n"
	"  s5: {instance-port: base-vm, vlan: 6, mac: 52:54:00:0b:00:05,\n"
	"       bind: {network: base-net, responder: Null}}\n"
	"  s6: {instance-port: vm1, vlan: 101, bind: {network: base-net}}\n";

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
		{ "service-ports", "s5", "{\"name\": \"s5\", \"instance-port\": \"base-vm\", "
		  "\"vlan\": 6, \"mac\": \"52:54:00:0b:00:05\", \"bind\": {\"network\": \"base-net\", \"responder\": null}}" },
		{ "service-ports", "s6", "{\"name\": \"s6\", \"instance-port\": \"vm1\", "
		  "\"vlan\": 101, \"bind\": {\"network\": \"base-net\"}}" },
	};
	char *text = strdup(rich_yaml), *junk;

	/* mtu: 01400x is not an integer: refused as the loader refuses it */
	assert_non_null(text);
	assert_int_equal(export_buf(f, &ex, "rich.yaml", text), -EINVAL);
	expect_nerr(f, 1);
	expect_err(f, "rich.yaml", 4, 31, "mtu must be a decimal integer 68-65535, got \"01400x\"");
	junk = strstr(text, ", mtu: 01400x");
	memmove(junk, junk + strlen(", mtu: 01400x"), strlen(junk + strlen(", mtu: 01400x")) + 1);

	/* base-vm and base-net are not in the file: not an error here */
	assert_int_equal(export_buf(f, &ex, "rich.yaml", text), 0);
	assert_int_equal(ex->n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ex->n; i++) {
		assert_string_equal(ex->objs[i].kind, want[i][0]);
		assert_string_equal(ex->objs[i].name, want[i][1]);
		assert_string_equal(ex->objs[i].json, want[i][2]);
		assert_string_equal(ex->objs[i].loc.file, "rich.yaml");
	}
	assert_int_equal(ex->objs[4].loc.line, 13);	/* s1 */
	assert_int_equal(ex->objs[4].loc.col, 7);
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_example_dir),
		T(test_values_and_defaults),
		T(test_empty_and_comment_only_files),
		T(test_empty_directory),
		T(test_non_yaml_files_ignored),
		T(test_lexical_order_and_forward_reference),
		T(test_yaml_syntax_error),
		T(test_yaml_syntax_error_no_cascade),
		T(test_yaml_bad_encoding),
		T(test_yaml_alias_and_documents),
		T(test_duplicate_yaml_keys),
		T(test_top_level),
		T(test_unknown_keys),
		T(test_wrong_types),
		T(test_empty_values),
		T(test_missing_required_keys),
		T(test_bad_body_keeps_name),
		T(test_duplicate_names_in_one_file),
		T(test_duplicate_names_across_files),
		T(test_invalid_names),
		T(test_vlan_values),
		T(test_integer_junk),
		T(test_mtu_range),
		T(test_mtu_network_larger_than_iport),
		T(test_mac_values),
		T(test_device_names),
		T(test_mode),
		T(test_match_key_count),
		T(test_untagged_must_be_true),
		T(test_duplicate_match_vlan),
		T(test_duplicate_match_qinq),
		T(test_duplicate_match_untagged),
		T(test_duplicate_match_srcmac),
		T(test_untagged_wire),
		T(test_duplicate_mac_on_network),
		T(test_srcmac_with_other_mac),
		T(test_unknown_network),
		T(test_missing_bind_network),
		T(test_network_device_and_vlan),
		T(test_tap_claimed_twice),
		T(test_tap_is_network_device),
		T(test_nonexistent_devices_are_fine),
		T(test_errors_collected_without_cascade),
		T(test_error_print_format),
		T(test_unreadable_file_and_missing_dir),
		T(test_buffers_and_files_api),
		T(test_toplevel_other_files),
		T(test_toplevel_json_source),
		T(test_toplevel_json_errors),
		T(test_toplevel_missing_and_unknown_iport),
		T(test_toplevel_duplicate_names),
		T(test_toplevel_duplicate_match),
		T(test_toplevel_mac_inheritance_and_mtu),
		T(test_toplevel_grouping_and_lookups),
		T(test_toplevel_instance_port_key),
		T(test_toplevel_empty_and_wrong_type),
		T(test_perf_8188_ports),
		T(test_perf_100k_ports),
		T(test_perf_over_limit),
		T(test_perf_toplevel_json),
		T(test_services_full),
		T(test_services_values),
		T(test_services_addresses_on_network),
		T(test_services_api_json),
		T(test_services_allow_servers),
		T(test_addr_parse),
		T(test_yaml_alias_loop),
		T(test_yaml_billion_laughs),
		T(test_yaml_many_aliases),
		T(test_yaml_deep_nesting_fast),
		T(test_yaml_depth_64_read_65_refused),
		T(test_export_scalars_typed_as_read),
		T(test_export_round_trip),
		T(test_export_same_errors),
		T(test_export_several_buffers),
	};

	find_examples();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
