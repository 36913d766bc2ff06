// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the list of errors (config.h), and how the
 * loader reports into it: every error at file:line:column, then the errors
 * of one load sorted by position.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pp_errors_init(struct pp_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
}

void pp_errors_free(struct pp_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].msg);
	}
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

static int errors_vadd(struct pp_errors *errs, const char *file,
		       unsigned int line, unsigned int col, const char *fmt,
		       va_list ap)
{
	struct pp_error *e;
	char *msg, *f;

	if (GROW(errs->v, errs->n, errs->cap))
		return -ENOMEM;
	if (vasprintf(&msg, fmt, ap) < 0)
		return -ENOMEM;
	f = strdup(file ? file : "");
	if (!f) {
		free(msg);
		return -ENOMEM;
	}
	e = &errs->v[errs->n++];
	e->file = f;
	e->line = line;
	e->col = line ? col : 0;
	e->msg = msg;
	return 0;
}

int pp_errors_add(struct pp_errors *errs, const char *file, unsigned int line,
		  unsigned int col, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = errors_vadd(errs, file, line, col, fmt, ap);
	va_end(ap);
	return ret;
}

int pp_error_format(const struct pp_error *e, char *buf, size_t len)
{
	if (e->line)
		return snprintf(buf, len, "%s:%u:%u: %s", e->file, e->line,
				e->col, e->msg);
	return snprintf(buf, len, "%s: %s", e->file, e->msg);
}

void pp_errors_print(const struct pp_errors *errs, FILE *f)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct pp_error *e = &errs->v[i];

		if (e->line)
			fprintf(f, "%s:%u:%u: %s\n", e->file, e->line, e->col,
				e->msg);
		else
			fprintf(f, "%s: %s\n", e->file, e->msg);
	}
}

/* ---- the loader's errors ------------------------------------------------ */

__attribute__((format(printf, 5, 0)))
static void err_v(struct ld *ld, uint32_t fidx, uint32_t line, uint32_t col,
		  const char *fmt, va_list ap)
{
	if (ld->fatal)
		return;
	if (GROW(ld->ekeys, ld->n_ekeys, ld->cap_ekeys))
		return oom(ld);
	if (errors_vadd(ld->errs, ld->cfg->files[fidx], line, col, fmt, ap))
		return oom(ld);
	ld->ekeys[ld->n_ekeys] = (struct errkey){ fidx, line, col, ld->n_ekeys };
	ld->n_ekeys++;
}

__attribute__((format(printf, 3, 4)))
void err_node(struct ld *ld, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_v(ld, ld->fidx, n->line, n->col, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
void err_x(struct ld *ld, struct xloc x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_v(ld, x.fidx, x.line, x.col, fmt, ap);
	va_end(ap);
}

/* An error about a whole file (no position). */
__attribute__((format(printf, 2, 3)))
void err_file(struct ld *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_v(ld, ld->fidx, 0, 0, fmt, ap);
	va_end(ap);
}

static int cmp_errkey(const void *a, const void *b)
{
	const struct errkey *x = a, *y = b;

	if (x->fidx != y->fidx)
		return x->fidx < y->fidx ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Order the errors of this load by file, line, column. */
int sort_errors(struct ld *ld)
{
	struct pp_error *tmp, *v = ld->errs->v + ld->err_base;
	size_t n = ld->n_ekeys;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	qsort(ld->ekeys, n, sizeof(*ld->ekeys), cmp_errkey);
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[ld->ekeys[i].seq];
	memcpy(v, tmp, n * sizeof(*tmp));
	free(tmp);
	return 0;
}
