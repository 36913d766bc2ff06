/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Hot upgrade: a new polyportd over the pins of the previous one, while
 * traffic flows.
 *
 * Without a layout change there is nothing to do here: the daemon loads its
 * programs over the pinned maps and the reconcile replaces the programs on
 * every hook, each atomically (TC: BPF_TC_F_REPLACE on polyport's handle
 * and priority; XDP: XDP_FLAGS_REPLACE naming the old program).
 *
 * With one (maps/layout.h: a map whose recorded layout is not this
 * binary's), pp_upgrade_run() migrates before the daemon opens its
 * dataplane, in steps journaled in PIN_ROOT/next/journal (a symlink whose
 * target names the step and the maps; bpffs holds no regular files):
 *
 *   prepare  the new maps are created under PIN_ROOT/next/, the other maps
 *            are reused as they are; entries are copied by each map's
 *            migration (PP_MIG_COPY); the new programs are loaded on them
 *   swap     every hook of the devices in pp_devs gets the new program: TC
 *            first, then XDP; meanwhile old and new programs run side by
 *            side, each on its own maps, which hold the same configuration
 *   fold     once the last hook is swapped and every old program has
 *            returned (an RCU grace period), what the old programs counted
 *            in per-CPU maps is added into the new ones (PP_MIG_FOLD,
 *            exactly once: bpf/fold.bpf.c)
 *   rename   the new pins are renamed over the old ones, their layout
 *            records written, next/ removed
 *
 * A start that finds a journal completes or rolls back: at prepare, next/ is
 * removed (nothing used it yet) and the upgrade starts again; at swap, a
 * binary whose layouts are those of next/ goes forward, one whose layouts
 * are those of the pinned maps goes back (its programs on every hook, what
 * the new ones counted folded back, next/ removed); at fold and rename, any
 * binary finishes (no program is needed any more), then migrates again if
 * its own layouts differ.
 *
 * Functions return 0 or -errno.
 */
#ifndef PP_UPGRADE_H
#define PP_UPGRADE_H

#include <stddef.h>
#include "dataplane.h"

struct pp_upgrade_report {
	unsigned migrated;		/* maps migrated (0: nothing to do) */
	char maps[256];			/* their names */
	const char *recovered;		/* an interrupted upgrade: "completed" or
					 * "rolled back"; NULL: none */
	unsigned hooks;			/* hooks swapped */
	double prepare_ms;		/* new maps, copies, programs loaded */
	double side_by_side_ms;		/* first hook swapped -> last hook swapped */
	double fold_ms, total_ms;
};

/*
 * Bring the maps pinned under pin_root to this binary's layouts (see
 * above); call it with the pin root locked, before the daemon opens its
 * dataplane.  On a refusal (a layout without migration, an interrupted
 * upgrade of a third version) nothing is changed and why says why.
 */
int pp_upgrade_run(const char *pin_root, const struct pp_map_sizes *s,
		   struct pp_upgrade_report *r, char *why, size_t why_len);

/*
 * Record the layout of every map of the loaded dataplane dp in pp_layouts
 * (a map adopted by its sizes gets its first record).  Writes only what
 * differs.
 */
int pp_upgrade_record(struct pp_dataplane *dp);

#endif /* PP_UPGRADE_H */
