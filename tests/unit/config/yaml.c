/*
 * Binding-file tests of hostile YAML (a billion laughs, many aliases, deep
 * nesting) loaded in a child process bounded in CPU and memory, and of the
 * nesting limit. The YAML-level error cases are in yaml.cases.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfgtest.h"

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

/* Load a network n1 of depth lists nested in one another (up to 64). */
static void load_nested(struct fx *f, int depth)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "networks:\n  n1: %.*s%.*s\n", depth,
		     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		     depth,
		     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	load(f, "a.yaml", buf, NULL);
}

/* 64 levels are read (the schema then says what it thinks), 65 are not. */
static void test_yaml_depth_64_read_65_refused(void **state)
{
	struct fx *f = *state;

	/* the top level, networks, and 62 more: 64 */
	load_nested(f, 62);
	expect_nerr(f, 1);
	expect_err(f, "a.yaml", 2, 7, "network \"n1\" must be a mapping, got a sequence");

	/* 65: refused at the 65th opening */
	load_nested(f, 63);
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

CFG_TOPIC(yaml,
	  T(test_yaml_billion_laughs),
	  T(test_yaml_many_aliases),
	  T(test_yaml_deep_nesting_fast),
	  T(test_yaml_depth_64_read_65_refused));
