/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Reconcile: make the dataplane what a binding configuration says, writing
 * only the difference, in an order that never exposes a half-configured
 * port.  The ids given to networks, instance ports and service ports live in
 * the pinned map pp_names, so a restarted daemon adopts the dataplane as it
 * is: with unchanged files it writes nothing.  The daemon's state (names,
 * statuses, counters) is daemon.h's; this is the pipeline that changes it.
 */
#ifndef PP_RECONCILE_H
#define PP_RECONCILE_H

#include <stdbool.h>
#include "daemon.h"

/*
 * Apply cfg (which the daemon then owns; the previous one is freed).
 * links_only: the configuration is unchanged and only devices came or went:
 * networks and instance ports are revisited, service ports are not.
 *
 * The steps, in order: networks (and L3 domains, chains' ids: chains.h),
 * instance ports, XDP on network devices, service ports (then the chains'
 * hops), the services' tables (responder, security, dhcp, rules with the
 * chains' classifiers, the chains' activation), removals of what is no
 * longer configured, allowed pairs; then the statuses.  Every step runs whatever the ones before it returned; each
 * failed step is logged.  Returns 0 or the first step's error: cfg is in
 * force all the same (what could not be programmed is in ERROR, with the
 * reason), so a caller must not treat it as a rejected configuration.
 * Only statuses that cannot be allocated stop it before any step (-ENOMEM;
 * cfg is not taken then).
 */
int pp_reconcile(struct pp_daemon *d, struct pp_config *cfg, bool links_only);

/*
 * Only devices names[0..n) came, went or changed: revisit the networks and
 * instance ports on them (and the XDP decisions they affect, the chains'
 * instance tables: pp_chains_links), not the rest.
 * Returns 0 or the first step's error, as pp_reconcile.
 */
int pp_reconcile_devices(struct pp_daemon *d, const char *const *names, size_t n);

/*
 * Next hops the dataplane missed (pp_l3miss, at most a few dozen a call):
 * each one on a configured domain's uplink is handed to the resolver
 * (pp_l3nh_want_missed, from that uplink's address and MAC); every miss
 * taken is deleted.  adopt (the first call of a started daemon): the VALID
 * pp_l3nh entries the resolver does not know are taken over as missed too,
 * so that they are refreshed or, unanswered, forgotten.  Called at each
 * resolver tick.  Returns how many were handed over, or -errno.
 */
int pp_reconcile_l3_misses(struct pp_daemon *d, __u64 now_ns, bool adopt);

#endif /* PP_RECONCILE_H */
