// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the loader's hash table. Open addressing,
 * fixed 32-byte keys (zero-padded names or devices, small zeroed structs)
 * -> uint32_t (an index): the namespaces, the conflict checks and the
 * model's lookups by name; and the instance ports by id (struct idtab).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hkey_hash(const uint8_t *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull, w;

	for (int i = 0; i < HKEY_LEN; i += 8) {
		memcpy(&w, k + i, sizeof(w));
		h ^= w;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static int htab_grow(struct htab *h)
{
	size_t cap = h->cap ? h->cap * 2 : 64, mask = cap - 1;
	struct hent *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < h->cap; i++) {
		size_t j;

		if (!h->e[i].used)
			continue;
		j = hkey_hash(h->e[i].key) & mask;
		while (e[j].used)
			j = (j + 1) & mask;
		e[j] = h->e[i];
	}
	free(h->e);
	h->e = e;
	h->cap = cap;
	return 0;
}

/* 0: inserted; 1: already there (*old = its value); -ENOMEM */
int htab_put(struct htab *h, const uint8_t *key, uint32_t val,
	     uint32_t *old)
{
	size_t mask, i;

	if ((h->n + 1) * 2 > h->cap && htab_grow(h))
		return -ENOMEM;
	mask = h->cap - 1;
	for (i = hkey_hash(key) & mask; h->e[i].used; i = (i + 1) & mask) {
		if (!memcmp(h->e[i].key, key, HKEY_LEN)) {
			if (old)
				*old = h->e[i].val;
			return 1;
		}
	}
	memcpy(h->e[i].key, key, HKEY_LEN);
	h->e[i].val = val;
	h->e[i].used = 1;
	h->n++;
	return 0;
}

bool htab_get(const struct htab *h, const uint8_t *key, uint32_t *val)
{
	size_t mask, i;

	if (!h->cap)
		return false;
	mask = h->cap - 1;
	for (i = hkey_hash(key) & mask; h->e[i].used; i = (i + 1) & mask) {
		if (!memcmp(h->e[i].key, key, HKEY_LEN)) {
			*val = h->e[i].val;
			return true;
		}
	}
	return false;
}

void htab_free(struct htab *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/* Keys. Every struct is zeroed (padding included) before it is filled. */
void str_key(uint8_t k[HKEY_LEN], const char *s, size_t len)
{
	memset(k, 0, HKEY_LEN);
	memcpy(k, s, len < HKEY_LEN - 1 ? len : HKEY_LEN - 1);
}

/* ---- instance ports by id (struct idtab) -------------------------------- */

static uint64_t id_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 32);
}

static int idtab_grow(struct idtab *t, const struct pp_config *cfg)
{
	size_t cap = t->cap ? t->cap * 2 : 64, mask = cap - 1;
	uint32_t *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->e[i])
			continue;
		j = id_hash(cfg->iports[t->e[i] - 1].id) & mask;
		while (e[j])
			j = (j + 1) & mask;
		e[j] = t->e[i];
	}
	free(t->e);
	t->e = e;
	t->cap = cap;
	return 0;
}

/* The slot of id: where it is, or the free one it would take. */
static size_t idtab_slot(const struct idtab *t, const struct pp_config *cfg, const char *id)
{
	size_t mask = t->cap - 1, i;

	for (i = id_hash(id) & mask; t->e[i]; i = (i + 1) & mask)
		if (!strcmp(cfg->iports[t->e[i] - 1].id, id))
			break;
	return i;
}

int idtab_put(struct idtab *t, const struct pp_config *cfg, uint32_t idx, uint32_t *old)
{
	const char *id = cfg->iports[idx].id;
	size_t i;

	if ((t->n + 1) * 2 > t->cap && idtab_grow(t, cfg))
		return -ENOMEM;
	i = idtab_slot(t, cfg, id);
	if (t->e[i]) {
		*old = t->e[i] - 1;
		return 1;
	}
	t->e[i] = idx + 1;
	t->n++;
	return 0;
}

bool idtab_get(const struct idtab *t, const struct pp_config *cfg, const char *id,
	       uint32_t *idx)
{
	size_t i;

	if (!t->cap)
		return false;
	i = idtab_slot(t, cfg, id);
	if (!t->e[i])
		return false;
	*idx = t->e[i] - 1;
	return true;
}

void idtab_free(struct idtab *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}
