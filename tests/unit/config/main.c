/*
 * Unit tests of the binding-file parser and validator (loader/config*):
 * the runner. It gathers the tests of every topic of this directory, the
 * functions of its .c file then one test per case of its .cases file, into
 * one cmocka group.
 *
 * Build and run from the repository root:
 *   make build/tests/test_config && build/tests/test_config
 * Timing assertions are skipped under valgrind (or with PP_TEST_NO_TIMING).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgtest.h"

char examples_dir[PATH_MAX];

/* The topics, in the order they run: the functions of a topic's .c file
 * (its CFG_TOPIC, declared in cfgtest.h), then a test per case of its
 * .cases file. A new topic is a line here. */
static const struct {
	const struct cfg_topic *fns;
	const char *cases;
} topics[] = {
	{ &topic_files, NULL },
	{ &topic_yaml, "yaml.cases" },
	{ NULL, "schema.cases" },
	{ &topic_values, "values.cases" },
	{ &topic_ports, "ports.cases" },
	{ &topic_toplevel, "toplevel.cases" },
	{ &topic_services, "services.cases" },
	{ &topic_l3, "l3.cases" },
	{ &topic_chains, "chains.cases" },
	{ &topic_vxlan, "vxlan.cases" },
	{ &topic_export, NULL },
	{ &topic_perf, NULL },
};

/* Run from the repository root, from this directory, from tests/unit or
 * build/tests, or from anywhere with the source tree's path compiled in. */
static const char *const src_dirs[] = { "tests/unit/config", ".", "config",
					"../../tests/unit/config" };

static void find_examples(void)
{
	const char *cands[] = { "examples/bindings.d", "../../examples/bindings.d",
				"../../../examples/bindings.d" };
	char from_src[PATH_MAX];
	const char *slash = strrchr(__FILE__, '/');

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (realpath(cands[i], examples_dir))
			return;
	snprintf(from_src, sizeof(from_src), "%.*s/../../../examples/bindings.d",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	if (!realpath(from_src, examples_dir))
		snprintf(examples_dir, sizeof(examples_dir), "examples/bindings.d");
}

static void find_cases(const char *name, char *path, size_t len)
{
	const char *slash = strrchr(__FILE__, '/');

	for (size_t i = 0; i < ARRAY_SIZE(src_dirs); i++) {
		snprintf(path, len, "%s/%s", src_dirs[i], name);
		if (!access(path, R_OK))
			return;
	}
	snprintf(path, len, "%.*s/%s", slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".",
		 name);
}

int main(void)
{
	struct cfg_cases cases[ARRAY_SIZE(topics)] = { 0 };
	struct CMUnitTest *tests = NULL;
	size_t n = 0;
	int ret = 0;

	for (size_t t = 0; t < ARRAY_SIZE(topics); t++) {
		const struct cfg_topic *fns = topics[t].fns;
		char path[PATH_MAX], why[PATH_MAX + 128];

		if (topics[t].cases) {
			find_cases(topics[t].cases, path, sizeof(path));
			if (cfg_cases_read(path, &cases[t], why, sizeof(why))) {
				/* a case file that cannot be read is a failure,
				 * and none of its cases runs */
				printf("FAIL %s: %s\n", topics[t].cases, why);
				cfg_cases_free(&cases[t]);
				ret = 1;
			}
		}
		tests = realloc(tests, (n + (fns ? fns->n : 0) + cases[t].n) * sizeof(*tests));
		if (!tests)
			return 1;
		for (size_t i = 0; fns && i < fns->n; i++)
			tests[n++] = fns->tests[i];
		for (size_t i = 0; i < cases[t].n; i++)
			tests[n++] = (struct CMUnitTest){
				.name = cases[t].v[i].name,
				.test_func = run_case,
				.setup_func = setup,
				.teardown_func = teardown,
				.initial_state = &cases[t].v[i],
			};
	}
	find_examples();
	fflush(stdout);
	if (_cmocka_run_group_tests("tests", tests, n, NULL, NULL))
		ret = 1;
	for (size_t t = 0; t < ARRAY_SIZE(topics); t++)
		cfg_cases_free(&cases[t]);
	free(tests);
	return ret;
}
