// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the loader's hash table. Open addressing,
 * fixed 32-byte keys (zero-padded names or devices, small zeroed structs)
 * -> uint32_t (an index): the namespaces, the conflict checks and the
 * model's lookups by name.
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
