/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Map layouts, versioned.  Each map's layout identity is a hash of its
 * type, its flags and the BTF of its key and value types (names, kinds,
 * sizes, members and their offsets, recursively), plus a revision number
 * kept here and bumped by hand when the meaning of a field changes without
 * its type (a hash function, a flag bit).  The identity of every pinned map
 * is recorded beside it in pp_layouts (include/polyport.h struct
 * pp_layout).  A daemon adopts a pinned map only if its record is the
 * daemon's own identity (or, for pins of a version that kept no records,
 * if the sizes agree: once, then the record is written); any other map is
 * migrated into a new one by its entry in pp_map_layout[] (loader/upgrade.c
 * runs the migration while traffic flows), or, if it has none, refused.
 *
 * DEVELOPERS.md: every change of a pinned layout ships with its migration
 * here and a test upgrading from the previous main's pins.
 */
#ifndef PP_LAYOUT_H
#define PP_LAYOUT_H

#include <stdbool.h>
#include "maps.h"

struct bpf_object;
struct bpf_map;

#define PP_LAYOUTS_PIN	"pp_layouts"	/* PP_MAP_LAYOUTS, as a string */

/* How the data of a map whose layout changed is carried into the new map. */
enum pp_mig_kind {
	PP_MIG_NONE = 0,	/* none known: pins of another layout are refused */
	PP_MIG_COPY,		/* entry by entry through .copy, before any hook is swapped */
	PP_MIG_FOLD,		/* per-CPU __u64 counters, word i to word i (what does not
				 * fit is dropped), added once every hook runs the new
				 * programs: nothing the old programs counted is lost */
	PP_MIG_EMPTY,		/* nothing to carry (the programs' per-CPU scratch) */
};

/*
 * A PP_MIG_COPY migration: the new entry (nkey, nval: zeroed, of the new
 * sizes) of an old entry (okey, oval) of layout *from.  Returns 0, 1 to
 * leave the entry out, or -errno (-EOPNOTSUPP: a layout it does not know;
 * the upgrade is then refused before anything changed).
 */
typedef int (*pp_mig_copy_fn)(const struct pp_layout *from, const void *okey, const void *oval,
			      void *nkey, void *nval);

struct pp_map_layout {
	unsigned rev;		/* this build's revision of the map's layout */
	enum pp_mig_kind mig;
	pp_mig_copy_fn copy;	/* PP_MIG_COPY */
	/* PP_MIG_COPY: may it run from this old layout to this one?  NULL: yes. */
	bool (*from_ok)(const struct pp_layout *from, const struct pp_layout *to);
};

extern const struct pp_map_layout pp_map_layout[PPM_COUNT];

/*
 * The layout identity of map id as an opened (not necessarily loaded)
 * object defines it, from the object's BTF.  Returns 0 or -errno.
 */
int pp_layout_of(const struct bpf_object *obj, const struct bpf_map *map, enum pp_map_id id,
		 struct pp_layout *out);

/*
 * The hash of a layout: map type, flags, key and value sizes, and the BTF
 * types key_id and value_id of btf (0, 0: none, as a devmap has).
 */
struct btf;
__u64 pp_layout_hash(const struct btf *btf, __u32 key_id, __u32 value_id, __u32 type,
		     __u32 flags, __u32 key_size, __u32 value_size);

/* The same layout: type, sizes, hash and revision. */
bool pp_layout_same(const struct pp_layout *a, const struct pp_layout *b);

/*
 * Can the data of a map of layout *from be carried into one of layout *to
 * (map id)?  0, or -EOPNOTSUPP with why in buf.
 */
int pp_layout_migratable(enum pp_map_id id, const struct pp_layout *from,
			 const struct pp_layout *to, char *buf, size_t len);

/*
 * The record of map id in pp_layouts (fd): 0, or -ENOENT when there is
 * none (an empty slot, or one naming another map).
 */
int pp_layout_get(int fd, enum pp_map_id id, struct pp_layout *out);
/* Write the record of map id unless it already is *l.  0 or -errno. */
int pp_layout_put(int fd, enum pp_map_id id, const struct pp_layout *l);

/* "hash.rev" as text, and back (the upgrade journal). */
void pp_layout_fmt(const struct pp_layout *l, char *buf, size_t len);

#endif /* PP_LAYOUT_H */
