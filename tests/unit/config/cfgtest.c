/*
 * The shared fixture of the binding-file tests (see cfgtest.h): the
 * temporary directory, the loaders, the error assertions, the timers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfgtest.h"

const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };

int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/pp-test-config-XXXXXX");
	if (!mkdtemp(f->dir) || !getcwd(f->cwd, sizeof(f->cwd))) {
		free(f);
		return -1;
	}
	f->row = *state;	/* a case of a .cases file: cmocka's initial state */
	*state = f;
	return 0;
}

int teardown(void **state)
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

void write_file(struct fx *f, const char *name, const char *content)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(content, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Load the test directory (as ".") with pp_config_load_dir, or with
 * pp_config_load and the sources src[n] when extra. */
static int load_here(struct fx *f, bool extra, const struct pp_config_source *src, size_t n)
{
	pp_config_free(f->cfg);
	f->cfg = NULL;
	pp_errors_free(&f->errs);
	assert_int_equal(chdir(f->dir), 0);
	if (extra)
		f->ret = pp_config_load(".", src, n, &f->cfg, &f->errs);
	else
		f->ret = pp_config_load_dir(".", &f->cfg, &f->errs);
	assert_int_equal(chdir(f->cwd), 0);
	if (f->ret)
		assert_null(f->cfg);
	else
		assert_non_null(f->cfg);
	return f->ret;
}

int load_dir(struct fx *f)
{
	return load_here(f, false, NULL, 0);
}

int load(struct fx *f, ...)
{
	const char *name;
	va_list ap;

	va_start(ap, f);
	while ((name = va_arg(ap, const char *)))
		write_file(f, name, va_arg(ap, const char *));
	va_end(ap);
	return load_dir(f);
}

int load_extra(struct fx *f, const struct pp_config_source *src, size_t n)
{
	return load_here(f, true, src, n);
}

int load_api(struct fx *f, const char *text)
{
	struct pp_config_source src = { "api", text, strlen(text) };

	return load_extra(f, &src, 1);
}

void dump_errors(const struct fx *f)
{
	for (size_t i = 0; i < f->errs.n; i++) {
		char buf[1024];

		pp_error_format(&f->errs.v[i], buf, sizeof(buf));
		print_message("  [%zu] %s\n", i, buf);
	}
}

void _expect_err(const struct fx *f, const char *file, unsigned line,
		 unsigned col, const char *phrase, const char *sf, int sl)
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

void _expect_nerr(const struct fx *f, size_t n, const char *sf, int sl)
{
	if (f->errs.n == n && (n == 0) == (f->ret == 0) &&
	    (n == 0 || f->cfg == NULL))
		return;
	print_error("expected %zu errors (ret %d), got %zu:\n", n, f->ret,
		    f->errs.n);
	dump_errors(f);
	_fail(sf, sl);
}

void expect_sport(const struct fx *f, const struct want_sport *w)
{
	const struct pp_cfg_sport *s = pp_config_find_sport(f->cfg, w->name);

	assert_ptr_equal(s, &f->cfg->sports[w->index]);
	assert_string_equal(s->name, w->name);
	assert_int_equal(s->toplevel, w->top);
	assert_int_equal(s->iport, w->iport);
	assert_int_equal(s->match, w->match);
	assert_int_equal(s->outer_vid, w->outer);
	assert_int_equal(s->inner_vid, w->inner);
	assert_memory_equal(s->mac, w->mac, 6);
	assert_int_equal(s->mac_explicit, w->mac_explicit);
	assert_int_equal(s->network, w->network);
}

void expect_iport_sports(const struct fx *f, const char *name, uint32_t first, uint32_t count)
{
	const struct pp_cfg_iport *ip = pp_config_find_iport(f->cfg, name);

	assert_non_null(ip);
	assert_int_equal(ip->sport_first, first);
	assert_int_equal(ip->sport_count, count);
}

bool timing_checked(void)
{
	const char *p = getenv("LD_PRELOAD");

	return !getenv("PP_TEST_NO_TIMING") && !(p && strstr(p, "vgpreload"));
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void add_sport(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
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
