/*
 * The tables of error cases of the binding-file tests: reads the .cases
 * files of this directory and runs one case as one cmocka test.
 *
 * A .cases file is a list of blocks:
 *
 *   === NAME               a case: the test NAME
 *   # ...                  comments (also between cases, and among errors)
 *   --- a.yaml             a file written into the test's directory: the
 *   networks: ...          lines that follow, up to the next "--- ",
 *   ...                    ">>> " or "=== " line, each ending in a newline
 *   --- api                the in-memory source "api" (as the API renders
 *   {"networks": ...}      its objects), loaded after the files
 *   >>> 2 errors           exactly 2 errors; the load fails (-EINVAL), or
 *                          succeeds with ">>> 0 errors"
 *   a.yaml:3:5: PHRASE     an error at a.yaml:3:5 whose message contains
 *                          PHRASE (several lines may name one error)
 *
 * The text of a file is taken as written, except that a line ending in a
 * space or a tab is written with a final '$' (dropped), "\xHH" stands for
 * the byte HH (a tab, an invalid UTF-8 byte), and a last line
 * "\ no newline at end" drops the newline of the line before it. An
 * expected error's PHRASE is taken as written (its '$' rule aside). The
 * line numbers of a file are those of its text, so they can be counted
 * from its "---" line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgtest.h"
#include "util.h"

#define NO_FINAL_NEWLINE "\\ no newline at end"

/* Cut the line at s (up to its newline) and return the next one. */
static char *cut_line(char *s)
{
	char *nl = strchr(s, '\n');
	size_t n;

	if (nl)
		*nl++ = '\0';
	/* the '$' that keeps trailing blanks visible */
	n = strlen(s);
	if (n >= 2 && s[n - 1] == '$' && (s[n - 2] == ' ' || s[n - 2] == '\t'))
		s[n - 1] = '\0';
	return nl;
}

/* Append a content line, its \xHH decoded, and a newline. */
static void add_text(char **text, size_t *len, const char *line)
{
	*text = realloc(*text, *len + strlen(line) + 2);
	if (!*text)
		abort();
	for (const char *p = line; *p; p++) {
		if (p[0] == '\\' && p[1] == 'x' && pp_hexval(p[2]) >= 0 && pp_hexval(p[3]) >= 0) {
			(*text)[(*len)++] = (char)(pp_hexval(p[2]) << 4 | pp_hexval(p[3]));
			p += 3;
		} else {
			(*text)[(*len)++] = *p;
		}
	}
	(*text)[(*len)++] = '\n';
	(*text)[*len] = '\0';
}

/* "FILE:LINE:COL: PHRASE", cut in place */
static int parse_err(char *line, struct cfg_err *e)
{
	char *colon = strchr(line, ':'), *end;

	if (!colon || colon == line)
		return -1;
	*colon = '\0';
	e->file = line;
	e->line = (unsigned int)strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end != ':')
		return -1;
	colon = end;
	e->col = (unsigned int)strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || strncmp(end, ": ", 2) || !end[2])
		return -1;
	e->phrase = end + 2;
	return 0;
}

/* ">>> N errors" */
static int parse_count(const char *line, size_t *n)
{
	char *end;

	if (line[4] < '0' || line[4] > '9')
		return -1;
	*n = strtoul(line + 4, &end, 10);
	return strcmp(end, *n == 1 ? " error" : " errors") ? -1 : 0;
}

static bool is_marker(const char *line)
{
	return !strncmp(line, "=== ", 4) || !strncmp(line, "--- ", 4) || !strncmp(line, ">>> ", 4);
}

/* Where the reading of a .cases file is. */
struct parser {
	struct cfg_cases *out;
	struct cfg_case *c; /* the case being read */
	enum { BEFORE, HEAD, TEXT, ERRORS } st;
	char **text; /* the file or api text being read */
	size_t text_len;
	bool no_newline; /* "\ no newline at end" was read */
	unsigned int at; /* the line number */
	char *why;
	size_t len;
};

static int refuse(struct parser *p, const char *what)
{
	snprintf(p->why, p->len, "%s:%u: %s", p->out->path, p->at, what);
	return -1;
}

/* A line of a file's text. */
static int text_line(struct parser *p, const char *line)
{
	if (p->no_newline)
		return refuse(p, "text after \"" NO_FINAL_NEWLINE "\"");
	if (!strcmp(line, NO_FINAL_NEWLINE) && p->text_len) {
		(*p->text)[--p->text_len] = '\0';
		p->no_newline = true;
	} else {
		add_text(p->text, &p->text_len, line);
	}
	return 0;
}

/* "=== NAME" */
static void start_case(struct parser *p, const char *name)
{
	struct cfg_cases *out = p->out;

	out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
	if (!out->v)
		abort();
	p->c = memset(&out->v[out->n++], 0, sizeof(*p->c));
	p->c->name = name;
	p->c->path = out->path;
	p->c->at = p->at;
	p->st = HEAD;
}

/* "--- FILE" or "--- api" */
static int start_text(struct parser *p, const char *name)
{
	struct cfg_case *c = p->c;

	if (!strcmp(name, "api")) {
		if (c->api)
			return refuse(p, "a second api");
		p->text = &c->api;
	} else {
		if (c->n_files == CASE_FILES_MAX)
			return refuse(p, "too many files (CASE_FILES_MAX)");
		c->files[c->n_files].name = name;
		p->text = &c->files[c->n_files++].text;
	}
	p->text_len = 0;
	p->no_newline = false;
	p->st = TEXT;
	return 0;
}

/* "FILE:LINE:COL: PHRASE" after ">>>" */
static int error_line(struct parser *p, char *line)
{
	struct cfg_case *c = p->c;

	if (c->n_errs == CASE_ERRS_MAX)
		return refuse(p, "too many errors (CASE_ERRS_MAX)");
	c->errs[c->n_errs].at = p->at;
	if (parse_err(line, &c->errs[c->n_errs++]))
		return refuse(p, "not \"FILE:LINE:COL: PHRASE\"");
	return 0;
}

/* One line, cut. */
static int parse_line(struct parser *p, char *line)
{
	bool head = p->st == HEAD || p->st == TEXT;

	if (p->st == TEXT && !is_marker(line))
		return text_line(p, line);
	if (p->st == TEXT && !p->text_len)
		return refuse(p, "an empty file");
	if (!strncmp(line, "=== ", 4) && (p->st == BEFORE || p->st == ERRORS)) {
		start_case(p, line + 4);
		return 0;
	}
	if (!strncmp(line, "--- ", 4) && head)
		return start_text(p, line + 4);
	if (!strncmp(line, ">>> ", 4) && head) {
		p->st = ERRORS;
		return parse_count(line, &p->c->nerr) ? refuse(p, "not \">>> N errors\"") : 0;
	}
	if (is_marker(line))
		return refuse(p, "unexpected line");
	if (!line[0] || line[0] == '#')
		return 0;
	return p->st == ERRORS ? error_line(p, line) : refuse(p, "unexpected line");
}

/* The lines of the file in buf, cases cut in place. */
static int parse(struct cfg_cases *out, char *buf, char *why, size_t len)
{
	struct parser p = { .out = out, .st = BEFORE, .why = why, .len = len };
	char *end = buf + strlen(buf);

	for (char *line = buf, *next; line < end; line = next) {
		next = cut_line(line);
		if (!next)
			next = end;
		p.at++;
		if (parse_line(&p, line))
			return -1;
	}
	if (p.st != ERRORS) {
		snprintf(why, len, "%s: %s", out->path,
			 p.st == BEFORE ? "no case" : "the last case has no \">>>\"");
		return -1;
	}
	return 0;
}

int cfg_cases_read(const char *path, struct cfg_cases *out, char *why, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t size = 0;

	memset(out, 0, sizeof(*out));
	out->path = strdup(path);
	if (!fp || !out->path) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	/* the whole file: names and expected errors point into it */
	if (getdelim(&out->buf, &size, '\0', fp) < 0) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return parse(out, out->buf, why, len);
}

void cfg_cases_free(struct cfg_cases *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		struct cfg_case *c = &cs->v[i];

		for (size_t j = 0; j < c->n_files; j++)
			free(c->files[j].text);
		free(c->api);
	}
	free(cs->v);
	free(cs->buf);
	free(cs->path);
	memset(cs, 0, sizeof(*cs));
}

void run_case(void **state)
{
	struct fx *f = *state;
	const struct cfg_case *c = f->row;

	assert_non_null(c);
	for (size_t i = 0; i < c->n_files; i++)
		write_file(f, c->files[i].name, c->files[i].text);
	if (c->api)
		load_api(f, c->api);
	else
		load_dir(f);
	/* a failure names the line of the .cases file */
	_expect_nerr(f, c->nerr, c->path, (int)c->at);
	if (c->nerr)
		assert_int_equal(f->ret, -EINVAL);
	for (size_t i = 0; i < c->n_errs; i++) {
		const struct cfg_err *e = &c->errs[i];

		_expect_err(f, e->file, e->line, e->col, e->phrase, c->path, (int)e->at);
	}
}
