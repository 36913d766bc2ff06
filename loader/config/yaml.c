// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: YAML -> a tree of struct ynode that keeps every
 * position, built from libyaml's events into an arena. Aliases (never
 * expanded) and nesting deeper than PP_YAML_DEPTH_MAX stop the file at
 * their position; anchors and tags are ignored.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static void *arena_alloc(struct arena *a, size_t n)
{
	struct achunk *c = a->head;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 60000 ? n : 60000;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

/* Move every chunk of from to to. */
void arena_move(struct arena *to, struct arena *from)
{
	struct achunk *c = from->head;

	if (!c)
		return;
	while (c->next)
		c = c->next;
	c->next = to->head;
	to->head = from->head;
	from->head = NULL;
}

void arena_free(struct arena *a)
{
	while (a->head) {
		struct achunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}

bool is_null(const struct ynode *n)
{
	if (n->type != Y_SCALAR || !n->plain)
		return false;
	switch (n->len) {
	case 0:
		return true;
	case 1:
		return n->str[0] == '~';
	case 4:
		return !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
		       !strcmp(n->str, "NULL");
	}
	return false;
}

/* "a mapping", "an empty value", "\"foo\"" ... for type errors */
const char *node_desc(struct qbuf *b, const struct ynode *n)
{
	switch (n->type) {
	case Y_MAP:
		return "a mapping";
	case Y_SEQ:
		return "a sequence";
	case Y_SCALAR:
		if (is_null(n))
			return "an empty value";
		return quote(b, n->str, n->len);
	}
	return "an alias";
}

struct ybuild {
	struct ynode **stack;	/* open collections */
	struct ynode **last;	/* their last child */
	size_t depth, cap;
	struct ynode *root;
};

static int yb_add(struct ybuild *b, struct ynode *n)
{
	struct ynode *p;

	if (!b->depth) {
		if (!b->root)
			b->root = n;
		return 0;
	}
	p = b->stack[b->depth - 1];
	if (b->last[b->depth - 1])
		b->last[b->depth - 1]->next = n;
	else
		p->first = n;
	b->last[b->depth - 1] = n;
	p->count++;
	return 0;
}

static int yb_push(struct ybuild *b, struct ynode *n)
{
	if (GROW2(b->stack, b->last, b->depth, b->cap))
		return -ENOMEM;
	b->stack[b->depth] = n;
	b->last[b->depth] = NULL;
	b->depth++;
	return 0;
}

static void report_yaml_error(struct ld *ld, const yaml_parser_t *p,
			      const char *data, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_READER_ERROR) {
		/* reader errors (bad encoding) only have a byte offset */
		uint32_t line = 1, col = 1;
		size_t off = p->problem_offset < len ? p->problem_offset : len;

		for (size_t i = 0; i < off; i++) {
			if (data[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		{
			struct xloc x = { ld->fidx, line, col };

			if (p->problem_value != -1)
				err_x(ld, x, "YAML syntax error: %s (byte 0x%02x)",
				      problem, (unsigned int)p->problem_value);
			else
				err_x(ld, x, "YAML syntax error: %s", problem);
		}
		return;
	}
	{
		struct xloc x = { ld->fidx, (uint32_t)p->problem_mark.line + 1,
				  (uint32_t)p->problem_mark.column + 1 };

		if (p->context)
			err_x(ld, x, "YAML syntax error: %s (%s at line %zu, column %zu)",
			      problem, p->context, p->context_mark.line + 1,
			      p->context_mark.column + 1);
		else
			err_x(ld, x, "YAML syntax error: %s", problem);
	}
}

/*
 * Parse one file into a tree (nodes in ld->arena). *root is NULL for an
 * empty file. Returns 0, 1 when the file could not be read as YAML (the
 * error is reported), or -ENOMEM.
 */
int yaml_to_tree(struct ld *ld, const char *data, size_t len,
		 struct ynode **root)
{
	struct ybuild b = { 0 };
	yaml_parser_t p;
	yaml_event_t ev;
	int ndocs = 0, ret = 0;
	bool done = false;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	while (!done && !ret) {
		struct ynode *n = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR) {
				ret = -ENOMEM;
			} else {
				report_yaml_error(ld, &p, data, len);
				ret = 1;
			}
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (ndocs++) {
				struct xloc x = { ld->fidx,
					(uint32_t)ev.start_mark.line + 1,
					(uint32_t)ev.start_mark.column + 1 };

				err_x(ld, x, "only one YAML document per file is supported");
				ret = 1;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			/* Stop before libyaml goes deeper: its scanner costs
			 * O(depth) per token, so 400 KB of "[" took minutes. */
			if (b.depth >= PP_YAML_DEPTH_MAX) {
				struct xloc x = { ld->fidx,
					(uint32_t)ev.start_mark.line + 1,
					(uint32_t)ev.start_mark.column + 1 };

				err_x(ld, x, "YAML nesting deeper than %d levels; the file is not read further",
				      PP_YAML_DEPTH_MAX);
				ret = 1;
				break;
			}
			/* fall through */
		case YAML_ALIAS_EVENT:
		case YAML_SCALAR_EVENT:
			n = arena_alloc(&ld->arena, sizeof(*n));
			if (!n) {
				ret = -ENOMEM;
				break;
			}
			memset(n, 0, sizeof(*n));
			n->line = (uint32_t)ev.start_mark.line + 1;
			n->col = (uint32_t)ev.start_mark.column + 1;
			if (ev.type == YAML_ALIAS_EVENT) {
				/* Never expanded (so no "billion laughs"); one
				 * error, not one per alias of a file of them. */
				n->type = Y_BAD;
				err_node(ld, n, "YAML aliases are not supported; the file is not read further");
				ret = 1;
			} else if (ev.type == YAML_SCALAR_EVENT) {
				char *s = arena_alloc(&ld->arena,
						      ev.data.scalar.length + 1);

				if (!s) {
					ret = -ENOMEM;
					break;
				}
				memcpy(s, ev.data.scalar.value, ev.data.scalar.length);
				s[ev.data.scalar.length] = 0;
				n->type = Y_SCALAR;
				n->str = s;
				n->len = ev.data.scalar.length;
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				/* "\0", "\x00", "\u0000" in a quoted scalar: every
				 * string here is a C string, which the NUL would cut */
				if (memchr(s, 0, n->len)) {
					n->type = Y_BAD;
					err_node(ld, n, "a NUL character (\\0) in a value is not allowed");
				}
			} else {
				n->type = ev.type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ;
			}
			yb_add(&b, n);
			if ((n->type == Y_MAP || n->type == Y_SEQ) && yb_push(&b, n))
				ret = -ENOMEM;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (b.depth)
				b.depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	free(b.stack);
	free(b.last);
	if (!ret)
		*root = b.root;
	return ret;
}
