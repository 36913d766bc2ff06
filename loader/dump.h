/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The canonical dump of a pin root: every map of pp_map_desc[] as sorted
 * text lines, in a form that two dataplanes programmed with the same
 * configuration share whatever ids they were given and in whatever order
 * they were written.  Ids are replaced by names (pp_names: networks,
 * instance ports, service ports), ifindexes by device names, a trunk slot
 * by its device; pp_dst buckets are printed as the set of their ways and
 * flood lists as sets, without the buckets' overflow marks (PP_DST_MORE:
 * a hint that stays once set); per-CPU maps (counters, scratch) are left
 * out; a service chain's slot (an allocation) by its chain, a hop's
 * instance table as each instance's share of its slots (which slots is
 * history), the stretched networks' tables (pp_vxlan, pp_vnis, pp_vteps,
 * pp_remote, pp_rflood) with their VTEPs as addresses and a flood list's
 * hosts as a set.  An id no name points to is printed as KIND#ID: in a dataplane
 * that matches its configuration there is none.  Maps this file does not
 * know (added later) are printed as hex key => value.
 *
 * Used by `polyportctl dump --canonical` and tests/e2e/crash.sh, which
 * compares the dump of a dataplane that survived kill -9 with that of a
 * fresh apply of the same configuration.
 */
#ifndef PP_DUMP_H
#define PP_DUMP_H

#include <stdio.h>

/* Write the canonical dump of the maps pinned under pin_root.  0 or -errno. */
int pp_dump_canonical(const char *pin_root, FILE *out);

#endif /* PP_DUMP_H */
