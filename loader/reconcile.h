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
 * Make tap (a tap bound to the i-th instance port of the configuration in
 * force: its standby, or a retired one) the active one now, as its first
 * frame would (plug --activate); the previous active tap is retired.
 * Returns 0 (also when it is active already), -ENOENT if no such instance
 * port, -ENODEV if tap is not bound to it, or -errno.
 */
int pp_reconcile_activate(struct pp_daemon *d, __u32 i, const char *tap);

/*
 * The instance ports with a standby tap: has the dataplane made it the
 * active one (its first frame)?  Those that moved are reconciled (retiring
 * the old tap) and true returned.  Called often while d->standby_pending.
 */
bool pp_reconcile_standby_check(struct pp_daemon *d);

/*
 * Instance ports with an id and no tap (d->alias_waiting): is a tap aliased
 * to one of them now?  The kernel announces an alias set on a down device
 * to nobody, so polyportd looks (a dump of the links) every second while
 * one waits.  Those found are reconciled (their taps bound, brought up) and
 * true returned.
 */
bool pp_reconcile_alias_check(struct pp_daemon *d);

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
