// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files as API objects (polyportctl apply -f): each
 * object of sources that loaded, as the JSON body the API takes, typed as
 * the loader read it (see pp_config_export_buffers in config.h).
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void jb_lit(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

/* A JSON string: the bytes of s (UTF-8 as libyaml gives it), escaped. */
static void jb_str(struct jbuf *b, const char *s, size_t len)
{
	size_t run = 0;

	jb_put(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jb_put(b, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		jb_lit(b, esc);
	}
	jb_put(b, s + run, len - run);
	jb_put(b, "\"", 1);
}

/*
 * A value as JSON, typed as the loader took it (see pp_config_export_buffers).
 * Only called on a tree that loaded without an error: no aliases, scalar
 * keys, a depth the loader bounds.
 */
static void jb_node(struct jbuf *b, const struct ynode *n)
{
	bool first = true;

	switch (n->type) {
	case Y_MAP:
		jb_put(b, "{", 1);
		for (const struct ynode *k = n->first; k && k->next; k = k->next->next) {
			jb_lit(b, first ? "" : ", ");
			first = false;
			jb_str(b, k->str, k->len);
			jb_put(b, ": ", 2);
			jb_node(b, k->next);
		}
		jb_put(b, "}", 1);
		return;
	case Y_SEQ:
		jb_put(b, "[", 1);
		for (const struct ynode *e = n->first; e; e = e->next) {
			jb_lit(b, first ? "" : ", ");
			first = false;
			jb_node(b, e);
		}
		jb_put(b, "]", 1);
		return;
	case Y_SCALAR:
		if (n->read_as == YR_INT)	/* plain decimal digits */
			jb_put(b, n->str, n->len);
		else if (n->read_as == YR_BOOL)
			jb_lit(b, n->str[0] == 't' || n->str[0] == 'T' ? "true" : "false");
		else if (is_null(n))		/* only ever taken as "empty" */
			jb_lit(b, "null");
		else
			jb_str(b, n->str, n->len);
		return;
	}
	b->oom = true;	/* Y_BAD: never in a tree that loaded */
}

/* The value of key name in mapping m, or NULL. */
static const struct ynode *map_get(const struct ynode *m, const char *name)
{
	if (!m || m->type != Y_MAP)
		return NULL;
	for (const struct ynode *k = m->first; k && k->next; k = k->next->next)
		if (k->type == Y_SCALAR && key_is(k, name))
			return k->next;
	return NULL;
}

/* One object: {"name": k, ["instance-port": iport,] the keys of body but
 * skip, in order}. */
static int export_one(struct ld *ld, struct pp_export *ex, size_t *cap,
		      uint32_t fidx, const char *kind, const struct ynode *k,
		      const struct ynode *body, const struct ynode *iport,
		      const char *skip)
{
	struct pp_export_obj *o;
	struct jbuf b = { 0 };

	if (GROW(ex->objs, ex->n, *cap))
		return -ENOMEM;
	jb_lit(&b, "{\"name\": ");
	jb_str(&b, k->str, k->len);
	if (iport) {
		jb_lit(&b, ", \"instance-port\": ");
		jb_str(&b, iport->str, iport->len);
	}
	for (const struct ynode *f = body && body->type == Y_MAP ? body->first : NULL;
	     f && f->next; f = f->next->next) {
		if (skip && key_is(f, skip))
			continue;
		/* an instance port's device: "" or id: "" is none: left out */
		if (!strcmp(kind, "instance-ports") && (key_is(f, "device") || key_is(f, "id")) &&
		    f->next->type == Y_SCALAR && !f->next->len && !f->next->plain)
			continue;
		jb_lit(&b, ", ");
		jb_str(&b, f->str, f->len);
		jb_put(&b, ": ", 2);
		jb_node(&b, f->next);
	}
	jb_put(&b, "}", 1);
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	o = &ex->objs[ex->n++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	memcpy(o->name, k->str, k->len);	/* a valid name: it loaded */
	o->json = b.s;
	o->loc = (struct pp_loc){ ld->cfg->files[fidx], k->line, k->col };
	return 0;
}

/* Every object of the sources that loaded (ld->roots), in the order of
 * pp_export.objs: what each needs comes before it. */
int export_objects(struct ld *ld, struct pp_export *ex)
{
	enum { K_NETS, K_L3, K_IPORTS, K_SPORTS, K_CHAINS };
	static const char *const kinds[] = {
		[K_NETS] = "networks", [K_L3] = "l3-domains",
		[K_IPORTS] = "instance-ports", [K_SPORTS] = "service-ports",
		[K_CHAINS] = "chains",	/* after the ports their hops name */
	};
	size_t cap = 0;
	int ret = 0;

	for (size_t kind = 0; kind < ARRAY_SIZE(kinds) && !ret; kind++) {
		for (uint32_t f = 0; f < ld->cfg->n_files && !ret; f++) {
			const struct ynode *sec = map_get(ld->roots[f], kinds[kind]);

			for (const struct ynode *k = sec && sec->type == Y_MAP ? sec->first : NULL;
			     k && k->next && !ret; k = k->next->next) {
				const struct ynode *sps;

				ret = export_one(ld, ex, &cap, f, kinds[kind], k, k->next, NULL,
						 kind == K_IPORTS ? "service-ports" : NULL);
				if (ret || kind != K_IPORTS)
					continue;
				/* nested service ports: top-level ones naming it */
				sps = map_get(k->next, "service-ports");
				for (const struct ynode *s = sps && sps->type == Y_MAP ? sps->first : NULL;
				     s && s->next && !ret; s = s->next->next)
					ret = export_one(ld, ex, &cap, f, kinds[K_SPORTS], s, s->next, k,
							 NULL);
			}
		}
	}
	if (ret)
		return ret;
	/* the file names move to ex (every loc points at them) */
	ex->files = ld->cfg->files;
	ex->n_files = ld->cfg->n_files;
	ld->cfg->files = NULL;
	ld->cfg->n_files = 0;
	return 0;
}

int pp_config_export_buffers(const struct pp_config_source *s, size_t n,
			     struct pp_export **out, struct pp_errors *errs)
{
	struct pp_export *ex = calloc(1, sizeof(*ex));
	struct src *src = calloc(n ? n : 1, sizeof(*src));
	int ret = -ENOMEM;

	*out = NULL;
	if (ex && src) {
		for (size_t i = 0; i < n; i++)
			src[i] = (struct src){ s[i].name, s[i].data, s[i].len, 0 };
		ret = load_sources(src, n, NULL, errs, ex);
	}
	free(src);
	if (ret)
		pp_export_free(ex);
	else
		*out = ex;
	return ret;
}

int pp_config_export_files(const char *const *paths, size_t n,
			   struct pp_export **out, struct pp_errors *errs)
{
	struct pp_export *ex = calloc(1, sizeof(*ex));
	int ret = -ENOMEM;

	*out = NULL;
	if (ex)
		ret = load_files_and_buffers(paths, n, NULL, 0, NULL, errs, ex);
	if (ret)
		pp_export_free(ex);
	else
		*out = ex;
	return ret;
}

void pp_export_free(struct pp_export *ex)
{
	if (!ex)
		return;
	for (size_t i = 0; i < ex->n; i++)
		free(ex->objs[i].json);
	free(ex->objs);
	for (uint32_t i = 0; i < ex->n_files; i++)
		free(ex->files[i]);
	free(ex->files);
	free(ex);
}
