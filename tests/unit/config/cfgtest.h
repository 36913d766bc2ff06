/*
 * The shared fixture of the binding-file tests (tests/unit/config/): a
 * fresh directory per test, loaders, error assertions, the timing helpers,
 * the common YAML pieces, and the tables of error cases (the .cases
 * files, read by cases.c: one cmocka test a case, named after it).
 *
 * Each test writes its files, with their exact content, into a fresh
 * temporary directory and loads it as "." so that errors name "a.yaml",
 * "b.yaml", ...; the expected line:column can be read off the strings.
 */
#ifndef PP_TEST_CFGTEST_H
#define PP_TEST_CFGTEST_H

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* examples/bindings.d, found (main.c) before the tests run */
extern char examples_dir[PATH_MAX];

struct cfg_case;

struct fx {
	char dir[64];
	char cwd[PATH_MAX];
	struct pp_errors errs;
	struct pp_config *cfg;
	int ret;
	const struct cfg_case *row;	/* the case run, or NULL */
};

/* cmocka setup/teardown: a fresh directory; *state may hold a case */
int setup(void **state);
int teardown(void **state);

void write_file(struct fx *f, const char *name, const char *content);
/* Load the test directory (as ".", so files are named "a.yaml"). */
int load_dir(struct fx *f);
/* Write name/content pairs (NULL-terminated) and load them. */
int load(struct fx *f, ...);
/* Load the test directory (as ".") and the in-memory sources src[n]
 * with pp_config_load. */
int load_extra(struct fx *f, const struct pp_config_source *src, size_t n);
/* One in-memory source named "api" (e.g. JSON rendered by the API). */
int load_api(struct fx *f, const char *text);
void dump_errors(const struct fx *f);

/* There is an error at file:line:col whose message contains phrase. */
#define expect_err(f, file, line, col, phrase) \
	_expect_err(f, file, line, col, phrase, __FILE__, __LINE__)
void _expect_err(const struct fx *f, const char *file, unsigned line,
		 unsigned col, const char *phrase, const char *sf, int sl);

/* Exactly n errors (no cascades), and the load failed. */
#define expect_nerr(f, n) _expect_nerr(f, n, __FILE__, __LINE__)
void _expect_nerr(const struct fx *f, size_t n, const char *sf, int sl);

/* What a service port holds, checked by expect_sport. */
struct want_sport {
	const char *name;
	uint32_t index;			/* in sports[] */
	bool top;			/* toplevel */
	uint32_t iport;
	enum pp_match match;
	unsigned int outer, inner;
	const uint8_t *mac;
	bool mac_explicit;
	uint32_t network;
};

/* The service port w->name is sports[w->index] and holds what w says. */
void expect_sport(const struct fx *f, const struct want_sport *w);

/* Instance port name holds sports[first .. first + count). */
void expect_iport_sports(const struct fx *f, const char *name, uint32_t first, uint32_t count);

extern const uint8_t mac1[6];	/* 52:54:00:00:00:01, IPORT_HEAD's */

/* Timing assertions are skipped under valgrind (or with PP_TEST_NO_TIMING). */
bool timing_checked(void);
double now_ms(void);
/* CPU time of this process: what the time limits are checked against,
 * so that a busy shared machine does not make the tests flaky. */
double cpu_ms(void);

/* Append printf output to a growing buffer (*buf, *len, *cap). */
void add_sport(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

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

/*
 * One case of a table (a block of a .cases file, see cases.c): the files
 * written in the fresh directory, an optional in-memory source "api"
 * loaded after them, and the errors: exactly nerr of them (no cascades;
 * the load fails with -EINVAL when nerr > 0, succeeds when 0), among which
 * each of errs[] (file:line:col and a phrase of the message; several
 * entries may name one error).
 */
struct cfg_file {
	const char *name;
	char *text;
};

struct cfg_err {
	const char *file;
	unsigned int line, col;
	const char *phrase;
	unsigned int at;		/* its line in the .cases file */
};

#define CASE_FILES_MAX	4
#define CASE_ERRS_MAX	32

struct cfg_case {
	const char *name;		/* the test's name */
	const char *path;		/* the .cases file */
	unsigned int at;		/* the line of its "===" */
	struct cfg_file files[CASE_FILES_MAX];
	size_t n_files;
	char *api;			/* or NULL */
	size_t nerr;
	struct cfg_err errs[CASE_ERRS_MAX];
	size_t n_errs;
};

struct cfg_cases {
	char *path;
	char *buf;			/* the file, cut into the cases' strings */
	struct cfg_case *v;
	size_t n;
};

/* Read the cases of a .cases file; on a format error returns -1 with why. */
int cfg_cases_read(const char *path, struct cfg_cases *out, char *why, size_t len);
void cfg_cases_free(struct cfg_cases *c);

/* The cmocka test of a case (the case is the test's initial state). */
void run_case(void **state);

/* The tests written as functions in one topic file. */
struct cfg_topic {
	const struct CMUnitTest *tests;
	size_t n;
};

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
/* CFG_TOPIC(name, T(test_a), T(test_b), ...) defines topic_<name>. */
#define CFG_TOPIC(name, ...)							\
	static const struct CMUnitTest name##_tests[] = { __VA_ARGS__ };	\
	const struct cfg_topic topic_##name = { name##_tests, ARRAY_SIZE(name##_tests) }

extern const struct cfg_topic topic_files, topic_yaml, topic_values, topic_ports,
	topic_toplevel, topic_services, topic_l3, topic_chains, topic_vxlan, topic_export,
	topic_perf;

#endif
