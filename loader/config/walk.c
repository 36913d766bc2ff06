// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: walking the tree with tables of keys. A
 * mapping is checked against its table (struct keydef): keys that are not
 * scalars, unknown keys, duplicate keys and values of the wrong type are
 * reported here, once for every kind of object; then each present key's
 * handler runs, in table order. Also the names of new objects: valid, and
 * new in their namespace.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char *ctx_str(struct ctxbuf *b, const struct ctx *c)
{
	struct qbuf qb;

	if (!c->name)
		snprintf(b->s, sizeof(b->s), "%s%s", c->prefix, c->kind);
	else
		snprintf(b->s, sizeof(b->s), "%s%s %s", c->prefix, c->kind,
			 quote(&qb, c->name->str, c->name->len));
	return b->s;
}

bool key_is(const struct ynode *k, const char *name)
{
	size_t l = strlen(name);

	return k->len == l && !memcmp(k->str, name, l);
}

static void key_list(char *buf, size_t len, const struct keydef *kd, size_t nkd)
{
	size_t o = 0;

	snprintf(buf, len, "%s", nkd ? "" : "no keys");
	for (size_t i = 0; i < nkd && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      kd[i].name);
}

/*
 * Check a mapping against a table of keys: report keys that are not
 * scalars, unknown keys, duplicate keys and values of the wrong type; then
 * call the handler of every present, well-typed key in table order.
 * found[i] is set to the key node of kd[i] (NULL when absent). map may be a
 * null scalar (an empty mapping). ctx names the mapping for messages.
 */
void walk_keys(struct ld *ld, const struct ynode *map,
	       const struct keydef *kd, size_t nkd, void *obj,
	       const struct ctx *ctx, const struct ynode **found)
{
	const struct ynode *vals[MAX_KEYS];
	struct qbuf qb, qb2;
	struct ctxbuf cb;

	for (size_t i = 0; i < nkd; i++)
		found[i] = vals[i] = NULL;
	if (map->type != Y_MAP)
		return;
	for (const struct ynode *k = map->first; k && k->next; k = k->next->next) {
		const struct ynode *v = k->next;
		size_t i;

		if (k->type == Y_BAD)
			continue;
		if (k->type != Y_SCALAR) {
			err_node(ld, k, "keys in %s must be scalars, got %s",
				 ctx_str(&cb, ctx), node_desc(&qb, k));
			continue;
		}
		for (i = 0; i < nkd && !key_is(k, kd[i].name); i++)
			;
		if (i == nkd) {
			char list[256];

			key_list(list, sizeof(list), kd, nkd);
			err_node(ld, k, "unknown key %s in %s (expected: %s)",
				 quote(&qb, k->str, k->len), ctx_str(&cb, ctx),
				 list);
		} else if (found[i]) {
			err_node(ld, k, "duplicate key \"%s\" in %s, first at " XF,
				 kd[i].name, ctx_str(&cb, ctx),
				 XA(ld, xloc_of(ld, found[i])));
		} else {
			found[i] = k;
			vals[i] = v;
		}
	}
	for (size_t i = 0; i < nkd; i++) {
		const struct ynode *v = vals[i];
		bool ok;

		if (!v || v->type == Y_BAD)
			continue;
		switch (v->type) {
		case Y_MAP:
			ok = kd[i].types & KT_MAP;
			break;
		case Y_SEQ:
			ok = kd[i].types & KT_SEQ;
			break;
		default:
			ok = is_null(v) ? (kd[i].types & KT_MAP) :
					  (kd[i].types & KT_SCALAR);
			break;
		}
		if (!ok) {
			err_node(ld, v, "%s must be %s, got %s", kd[i].name,
				 kd[i].what, node_desc(&qb2, v));
			continue;
		}
		kd[i].fn(ld, obj, found[i], v);
	}
}

/* A mapping of name -> object: call fn for every entry. */
void walk_named(struct ld *ld, const struct ynode *map, const char *ctx,
		entry_fn *fn, void *parent)
{
	struct qbuf qb;

	if (map->type != Y_MAP)
		return;
	for (const struct ynode *k = map->first; k && k->next; k = k->next->next) {
		if (ld->fatal)
			return;
		if (k->type == Y_BAD)
			continue;
		if (k->type != Y_SCALAR) {
			err_node(ld, k, "keys in %s must be names, got %s", ctx,
				 node_desc(&qb, k));
			continue;
		}
		fn(ld, parent, k, k->next);
	}
}

/* An object's body must be a mapping (or empty). */
bool check_body(struct ld *ld, const struct ynode *v,
		const struct ctx *ctx)
{
	struct ctxbuf cb;
	struct qbuf qb;

	if (v->type == Y_MAP || is_null(v))
		return true;
	if (v->type != Y_BAD)
		err_node(ld, v, "%s must be a mapping, got %s",
			 ctx_str(&cb, ctx), node_desc(&qb, v));
	return false;
}

/* Each entry of a sequence must be a mapping (or empty). */
static bool check_entry_map(struct ld *ld, const struct ynode *e, const char *what)
{
	struct qbuf qb;

	if (e->type == Y_MAP || is_null(e))
		return true;
	if (e->type != Y_BAD)
		err_node(ld, e, "each entry of %s must be a mapping, got %s", what,
			 node_desc(&qb, e));
	return false;
}

/*
 * An entry of a sequence of mappings (allowed pairs, rules, routes; what
 * names the sequence), walked against its keys as walk_keys does.  False
 * when it is no mapping (reported).
 */
bool walk_entry(struct ld *ld, const struct ynode *e, const char *what, const struct keydef *kd,
		size_t nkd, void *obj, const struct ctx *ctx, const struct ynode **found)
{
	if (!check_entry_map(ld, e, what))
		return false;
	walk_keys(ld, e, kd, nkd, obj, ctx, found);
	return true;
}

/* The name of a new object (a mapping key). */
bool check_name(struct ld *ld, const struct ynode *k, const char *kind)
{
	struct qbuf qb;

	if (pp_name_valid(k->str, k->len))
		return true;
	err_node(ld, k, "invalid %s name %s (1-%d characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)",
		 kind, quote(&qb, k->str, k->len), PP_NAME_MAX);
	return false;
}

/*
 * Register a valid name in a namespace. Returns true when it is new; when
 * it is taken, reports it at k naming the earlier definition.
 */
bool register_name(struct ld *ld, const struct ynode *k,
		   const char *kind, struct htab *h, uint32_t idx,
		   const struct xloc *(*prior)(const struct ld *, uint32_t))
{
	uint8_t key[HKEY_LEN];
	uint32_t old;
	int r;

	str_key(key, k->str, k->len);
	r = htab_put(h, key, idx, &old);
	if (r < 0) {
		oom(ld);
		return false;
	}
	if (r == 1) {
		err_node(ld, k, "%s \"%s\" is already defined at " XF, kind,
			 k->str, XA(ld, *prior(ld, old)));
		return false;
	}
	return true;
}
