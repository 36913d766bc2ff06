/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The daemon's state: its dataplane, the configuration in force, the name
 * -> id table mirrored from the pinned map pp_names, the status of every
 * object and its JSON, and the counters the API and the status file show.
 * The reconcile (reconcile.h) changes it; the API, polyportd and the tests
 * read it through the accessors below.
 *
 * Statuses are derived from the kernel (link present and up, program
 * attached) and from what was written, never from what was intended.
 */
#ifndef PP_DAEMON_H
#define PP_DAEMON_H

#include <stdbool.h>
#include "config.h"
#include "dataplane.h"
#include "vxlan.h"

struct pp_l3nh_res;

enum pp_status { PP_ST_ACTIVE, PP_ST_DOWN, PP_ST_DEGRADED, PP_ST_ERROR };

/*
 * The keys of an object's mode in a status, one spelling in the status
 * file, /v1/status, the API's objects and polyportctl.  The status file
 * (and /v1/status) also carries the spellings it had before, deprecated
 * (README, "polyportd and polyportctl"): readers of the old names keep
 * working for now.
 */
#define PP_KEY_EFFECTIVE_MODE		"effective-mode"
#define PP_KEY_MODE_REASON		"mode-reason"
#define PP_KEY_EFFECTIVE_MODE_OLD	"effective_mode"
#define PP_KEY_MODE_REASON_OLD		"mode_reason"

struct pp_obj_status {
	enum pp_status status;
	char reason[96];	/* empty when ACTIVE */
	__u32 id;		/* network id, slot or service port id; 0 if none */
	__u32 ifindex;		/* network device or tap; 0 if absent */
	enum pp_mode mode;	/* in force: PP_MODE_TC, _XDP or _NONE */
	char mode_reason[200];	/* why that mode */
	/* A network device's veth peer, whose offloads decide its XDP: its
	 * ifindex (0: none) and namespace id (-1: ours), watched for changes. */
	__u32 peer_ifindex;
	int peer_nsid;
	/*
	 * A service port's ERROR of its own (programming it failed), kept
	 * until the next full reconcile; an ERROR taken from its network is
	 * derived again at every pass.
	 */
	bool own_error;
};

struct pp_names;

/*
 * The taps bound to an instance port (issue 18), by its slot: those named
 * by its device or by their alias (PP_IPORT_ALIAS_PREFIX id).  active and
 * standby are what pp_iports[slot] holds; a retired tap is one that was
 * active before the standby took over (or was passed over by plug
 * --activate) and is still present: bound (pp_devs), so its frames are
 * counted as inactive_tap, and never made the standby again while this
 * daemon runs.  Names are "" when the ifindex is 0.
 */
#define PP_IPORT_RETIRED_MAX	4
struct pp_iport_taps {
	__u32 active, standby;
	char active_name[16], standby_name[16];
	__u32 retired[PP_IPORT_RETIRED_MAX];
	char retired_name[PP_IPORT_RETIRED_MAX][16];
	__u32 n_retired;
	__u64 activations;		/* standby -> active moves seen by this daemon */
};

/*
 * What a full reconcile leaves in place although the configuration does not
 * name it (see pp_daemon.keep).
 */
typedef bool (*pp_keep_fn)(void *arg, enum pp_map_id map, const void *key, const void *val);

struct pp_daemon {
	struct pp_dataplane dp;
	struct pp_config *cfg;		/* the configuration in force (NULL: none yet) */
	struct pp_names *names;		/* in-memory copy of pp_names */
	/* parallel to cfg->networks / iports / sports */
	struct pp_obj_status *net_st, *iport_st, *sport_st;
	struct pp_obj_status *l3dom_st;	/* parallel to cfg->l3domains */
	/* each domain's uplinks (as cfg->l3domains[i].uplinks): ifindex, XDP
	 * mode and its reason, veth peer; the rest unused */
	struct pp_obj_status (*l3up_st)[PP_L3_UPLINKS_MAX];
	bool l3_routes;			/* routes of ours may be in the kernel */
	/* chains (issue 17): parallel to cfg->chains, and each one's hops
	 * (as cfg->chains[i].hops; status DOWN when no instance is live, the
	 * reason says which are not); id: the chain's id (networks' id space) */
	struct pp_obj_status *chain_st;
	struct pp_obj_status (*chain_hop_st)[PP_CHAIN_HOPS_MAX];
	bool chains_pinned;		/* entries of chains may be pinned (loader/chains.c) */
	/* taps of instance ports, by slot (max_entries of pp_iports); see pp_iport_taps */
	struct pp_iport_taps *taps;
	bool standby_pending;		/* a slot has a standby: watch for its activation */
	bool alias_waiting;		/* an instance port with an id has no tap (alias rescan) */
	struct pp_l3nh_res *l3nh;	/* the next-hop resolver (loader/l3nh.h); NULL: none */
	__u32 prog_id[2];		/* our programs, by enum pp_role */
	__u8 prog_tag[2][8];
	unsigned long reconciles;	/* completed reconciles */
	double last_reconcile_ms;
	double total_reconcile_ms;
	unsigned long reload_failures;
	char *last_errors;		/* the last rejected configuration's errors */
	/* taps whose host IPv6 polyportd has turned off (by ifindex: a tap
	 * created again gets a new one), open addressing, at most half full */
	__u32 *quiet;
	size_t quiet_cap, quiet_n;
	/* service ports a killed daemon left without a name: removed at the
	 * first full reconcile (loader/reconcile.c, remove_orphans) */
	bool orphans_swept;
	/*
	 * What a full reconcile leaves in place although the configuration
	 * does not name it: the API's objects kept from a damaged state file
	 * (loader/api/kept.c).  Asked before a stale name goes (map PPM_NAMES, a
	 * pp_name_key and pp_name_val) and before a stale entry of a services
	 * table or an allowed pair's pp_fdb entry goes.  NULL: nothing kept.
	 */
	pp_keep_fn keep;
	void *keep_arg;
	/* this host's VXLAN device (issue 20, loader/vxlan.h): set by polyportd
	 * after pp_daemon_open() (family 0: no --vtep), kept by pp_vxlan_sync() */
	struct pp_vxlan_host vx;
};

/* ---- life ------------------------------------------------------------------ */

/* Load the programs, adopt what is pinned.  Returns 0 or -errno. */
int pp_daemon_open(struct pp_daemon *d, const char *pin_root, const struct pp_map_sizes *s);
void pp_daemon_close(struct pp_daemon *d);
/* How many named objects the daemon knows (adopted or created). */
size_t pp_daemon_named(const struct pp_daemon *d);

/*
 * The network devices whose XDP decision depends on link (nsid, ifindex):
 * their names (at most max), for a link event of another namespace.
 * Returns how many.
 */
size_t pp_daemon_peer_devices(const struct pp_daemon *d, int nsid, __u32 ifindex,
			      const char **names, size_t max);

/* Does ifindex carry a polyport TC filter running our program (or one with
 * the same tag)? */
bool pp_daemon_attached(const struct pp_daemon *d, int ifindex, enum pp_role role);

/* ---- names: (kind, name) <-> id, pinned in pp_names -------------------------- */

/* kind: enum pp_name_kind (PP_NAME_NET, PP_NAME_IPORT, PP_NAME_SPORT). */

/* FNV-1a of (kind, name): the table's hash (kind 0: any string, for other memos). */
size_t pp_name_hash(__u32 kind, const char *name);
/* The id of (kind, name), 0 if it has none. */
__u32 pp_daemon_name_id(const struct pp_daemon *d, __u32 kind, const char *name);
/* The name of id of kind, NULL if none has it. */
const char *pp_daemon_id_name(const struct pp_daemon *d, __u32 kind, __u32 id);
/* Ids of kind are 1 .. pp_daemon_id_end() - 1. */
__u32 pp_daemon_id_end(const struct pp_daemon *d, __u32 kind);
/* Give (kind, name) an id unless it has one, pinned first, then remembered.
 * Returns the id, 0 if none is free or pinning failed. */
__u32 pp_daemon_name_assign(struct pp_daemon *d, __u32 kind, const char *name);
/* Point (kind, name) at id, pinned first, then remembered.  0 or -errno. */
int pp_daemon_name_move(struct pp_daemon *d, __u32 kind, const char *name, __u32 id);
/* (kind, name) has no id any more, unpinned first.  0 or -errno. */
int pp_daemon_name_release(struct pp_daemon *d, __u32 kind, const char *name);
/* A free service-port id (free in pp_names and in pp_sports), 0 if none. */
__u32 pp_daemon_sport_alloc(struct pp_daemon *d);

/* ---- what is kept although not configured (pp_daemon.keep) ------------------ */

void pp_daemon_set_keep(struct pp_daemon *d, pp_keep_fn keep, void *arg);
/* Nothing is kept any more, if arg's callback is still the one asked. */
void pp_daemon_unset_keep(struct pp_daemon *d, const void *arg);
/* Does the entry (key, val) of map stay although the configuration does not name it? */
bool pp_daemon_kept(const struct pp_daemon *d, enum pp_map_id map, const void *key,
		    const void *val);
bool pp_daemon_kept_name(const struct pp_daemon *d, __u32 kind, const char *name, __u32 id);

/* ---- the configuration in force and its statuses ------------------------------ */

/* The configuration in force, NULL before the first reconcile. */
const struct pp_config *pp_daemon_config(const struct pp_daemon *d);
/* cfg is in force now (the daemon owns it; the previous one is freed). */
void pp_daemon_set_config(struct pp_daemon *d, struct pp_config *cfg);
/* Fresh statuses (all ACTIVE, no id) for the objects of cfg.  0 or -ENOMEM. */
int pp_daemon_status_alloc(struct pp_daemon *d, const struct pp_config *cfg);
/* L3 domains' statuses (pp_daemon.l3dom_st): a kind of the two accessors
 * below only; their names and ids are pinned under PP_NAME_NET (the
 * networks' ids), never under this one. */
#define PP_NAME_L3DOM	(PP_NAME_SPORT + 1)
/* Chains' statuses (pp_daemon.chain_st): the same, names under PP_NAME_NET. */
#define PP_NAME_CHAIN	(PP_NAME_SPORT + 2)
/*
 * The status of the i-th object of kind (PP_NAME_NET, _IPORT, _SPORT,
 * PP_NAME_L3DOM or PP_NAME_CHAIN) of the configuration in force, or of the one named name;
 * NULL if none.
 */
const struct pp_obj_status *pp_daemon_status(const struct pp_daemon *d, __u32 kind, __u32 i);
const struct pp_obj_status *pp_daemon_status_by_name(const struct pp_daemon *d, __u32 kind,
						     const char *name);

/* The taps of the i-th instance port of the configuration in force, NULL if none. */
const struct pp_iport_taps *pp_daemon_iport_taps(const struct pp_daemon *d, __u32 i);
/* Is ifindex one of t's taps (active, standby or retired)? */
bool pp_iport_taps_has(const struct pp_iport_taps *t, __u32 ifindex);

void pp_status_set(struct pp_obj_status *st, enum pp_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *pp_status_name(enum pp_status s);

/* ---- counters ---------------------------------------------------------------- */

/* The maps, to read (the reconcile is their writer); maps->writes counts writes. */
const struct pp_maps *pp_daemon_maps(const struct pp_daemon *d);
unsigned long pp_daemon_reconciles(const struct pp_daemon *d);
double pp_daemon_last_reconcile_ms(const struct pp_daemon *d);
double pp_daemon_total_reconcile_ms(const struct pp_daemon *d);
/* A reconcile done, in ms. */
void pp_daemon_reconciled(struct pp_daemon *d, double ms);
/* The binding files were rejected with errors (text, which the daemon owns
 * now; NULL if there was no memory for it): the status file says so. */
void pp_daemon_reload_failed(struct pp_daemon *d, char *errors);
/* The binding files loaded: the last rejection's errors go. */
void pp_daemon_reload_loaded(struct pp_daemon *d);
/* The last rejected configuration's errors, NULL if the last reload loaded. */
const char *pp_daemon_last_errors(const struct pp_daemon *d);

/* ---- JSON ---------------------------------------------------------------------- */

struct json_object;
/* The daemon's status as JSON (instance ports, service ports, networks). */
struct json_object *pp_status_json(const struct pp_daemon *d);
/* Write the daemon's status as JSON (atomically) to path. */
int pp_status_write(const struct pp_daemon *d, const char *path);
/*
 * An object's mode in force (pp_mode_name(), or "-") and why (left out when
 * empty) into the status object o; with old_keys, each under its deprecated
 * spelling too (the status file and /v1/status).
 */
/* An instance port's taps into its status o: "tap", "standby-tap", "inactive-taps",
 * "activations" (nothing when t is NULL). */
void pp_status_json_taps(struct json_object *o, const struct pp_iport_taps *t);
void pp_status_json_mode(struct json_object *o, const char *mode, const char *reason,
			 bool old_keys);

#endif /* PP_DAEMON_H */
