/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Service chains in the dataplane (issue 17; include/polyport.h "service
 * chains"): the steps of the reconcile (loader/reconcile.c) that program a
 * configuration's chains, the instance tables that follow the instances'
 * taps, and the chains' statuses.
 *
 * A chain is programmed make before break, in this order (each step is a
 * function below, called by the reconcile at its place):
 *   pp_chains_prepare   its id (networks' id space, pinned under
 *                       PP_NAME_NET) and pp_nets[id] = {chain = id}; a
 *                       network whose chain went (or is another now) stops
 *                       being steered first (pp_nets[net].chain = 0);
 *   (service ports)     the hop ports, net_id = the chain's id;
 *   pp_chains_hops      pp_chain_ports, then pp_chain_hops with the tables;
 *   pp_chains_rules     the classifier sets (part of the rules' step);
 *   pp_chains_activate  pp_chain_src, pp_chains[id], and last
 *                       pp_nets[net].chain = id; what went is removed.
 * A removed chain's name and pp_nets entry go with the other stale names
 * (reconcile.c remove_stale), its hop ports with the service ports.
 *
 * Functions return 0 or the first -errno met (a chain that could not be
 * programmed is in ERROR, with the reason; the others go on).
 */
#ifndef PP_CHAINS_H
#define PP_CHAINS_H

#include "daemon.h"
#include "services.h"

/*
 * A hop's instance table (struct pp_chain_hop.slots): PP_CHAIN_SLOTS slots,
 * each an instance index or PP_CHAIN_NONE.  slots holds the table as it is
 * (the pinned one, its indexes already those of instances 0..n-1; anything
 * else counts as free) and is changed in place: the live instances (live[i]
 * and weight[i] > 0) get slots in proportion to their weights (largest
 * remainder; an instance already holding the extra slot of a remainder
 * keeps it), moving only what must move: a slot keeps its instance while
 * that one is live and not over its quota; free slots (of dead instances)
 * go to the live ones with the largest deficit; an instance still short
 * (new, returning, weight raised) takes slots from the most over-quota
 * ones.  No live instance: every slot PP_CHAIN_NONE.  Pure (no map, no
 * kernel).  Returns the number of live instances.
 */
unsigned pp_chain_slots_fill(__u8 slots[PP_CHAIN_SLOTS], const __u32 *weight, const bool *live,
			     unsigned n);

/* The reconcile's steps, in the order above (the header's comment). */
int pp_chains_prepare(struct pp_daemon *d, const struct pp_config *cfg);
int pp_chains_hops(struct pp_daemon *d, const struct pp_config *cfg);
/*
 * The classifiers' rule sets (sport = the chain's id; PP_DIR_CHAIN_FWD and,
 * symmetric chains, PP_DIR_CHAIN_REV with each rule reversed), handed to
 * emit as pp_rules_compile does; in: room for PP_RULES_MAX rules.
 */
int pp_chains_rules(struct pp_daemon *d, const struct pp_config *cfg, struct pp_rule_in *in,
		    pp_rule_emit_fn emit, void *arg);
int pp_chains_activate(struct pp_daemon *d, const struct pp_config *cfg);

/*
 * Taps came or went: the hop tables again (only they: which instances are
 * live, whose slots move) and the chains' statuses.  Also the last part
 * of a full reconcile.
 */
int pp_chains_links(struct pp_daemon *d, const struct pp_config *cfg);

/* The id of hop port c's chain (0: none yet); c must be a hop port. */
__u32 pp_chains_sport_net(const struct pp_daemon *d, const struct pp_cfg_sport *c);

#endif /* PP_CHAINS_H */
