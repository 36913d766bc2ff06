/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Reconcile: make the dataplane what a binding configuration says, writing
 * only the difference, in an order that never exposes a half-configured
 * port.  The ids given to networks, instance ports and service ports live in
 * the pinned map pp_names, so a restarted daemon adopts the dataplane as it
 * is: with unchanged files it writes nothing.
 *
 * Statuses are derived from the kernel (link present and up, program
 * attached) and from what was written, never from what was intended.
 */
#ifndef PP_RECONCILE_H
#define PP_RECONCILE_H

#include <stdbool.h>
#include "config.h"
#include "dataplane.h"

enum pp_status { PP_ST_ACTIVE, PP_ST_DOWN, PP_ST_DEGRADED, PP_ST_ERROR };

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

struct pp_daemon {
	struct pp_dataplane dp;
	struct pp_config *cfg;		/* the configuration in force (NULL: none yet) */
	struct pp_names *names;		/* in-memory copy of pp_names */
	/* parallel to cfg->networks / iports / sports */
	struct pp_obj_status *net_st, *iport_st, *sport_st;
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
	 * (loader/api.c).  Asked before a stale name goes (map PPM_NAMES, a
	 * pp_name_key and pp_name_val) and before a stale entry of a services
	 * table or an allowed pair's pp_fdb entry goes.  NULL: nothing kept.
	 */
	bool (*keep)(void *arg, enum pp_map_id map, const void *key, const void *val);
	void *keep_arg;
};

/* Load the programs, adopt what is pinned.  Returns 0 or -errno. */
int pp_daemon_open(struct pp_daemon *d, const char *pin_root, const struct pp_map_sizes *s);
void pp_daemon_close(struct pp_daemon *d);
/* How many named objects the daemon knows (adopted or created). */
size_t pp_daemon_named(const struct pp_daemon *d);

/*
 * Apply cfg (which the daemon then owns; the previous one is freed).
 * links_only: the configuration is unchanged and only devices came or went:
 * networks and instance ports are revisited, service ports are not.
 */
int pp_reconcile(struct pp_daemon *d, struct pp_config *cfg, bool links_only);

/*
 * Only devices names[0..n) came, went or changed: revisit the networks and
 * instance ports on them (and the XDP decisions they affect), not the rest.
 */
int pp_reconcile_devices(struct pp_daemon *d, const char *const *names, size_t n);

/*
 * The network devices whose XDP decision depends on link (nsid, ifindex):
 * their names (at most max), for a link event of another namespace.
 * Returns how many.
 */
size_t pp_daemon_peer_devices(const struct pp_daemon *d, int nsid, __u32 ifindex,
			      const char **names, size_t max);

const char *pp_status_name(enum pp_status s);

struct json_object;
/* The daemon's status as JSON (instance ports, service ports, networks). */
struct json_object *pp_status_json(const struct pp_daemon *d);
/* Write the daemon's status as JSON (atomically) to path. */
int pp_status_write(const struct pp_daemon *d, const char *path);

/* Does ifindex carry a polyport TC filter running our program (or one with
 * the same tag)? */
bool pp_daemon_attached(const struct pp_daemon *d, int ifindex, enum pp_role role);

#endif /* PP_RECONCILE_H */
