/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The next-hop resolver of L3 domains (issue 16): polyportd resolves the
 * MACs of its uplinks' next hops itself, by ARP (IPv4) and NDP (IPv6), from
 * the domain's address on the uplink (the host has none there), and writes
 * them into pp_l3nh, where the dataplane reads them.
 *
 * The daemon says which next hops it needs (pp_l3nh_want, for every `via`
 * of a domain's routes; pp_l3nh_want_missed, for the misses the dataplane
 * reports in pp_l3miss), polls
 * pp_l3nh_fd() and calls pp_l3nh_input() when it is readable, and calls
 * pp_l3nh_tick() about once a second.  Timing is driven by the caller's
 * now_ns (CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns): no jitter, no
 * clock read inside but in pp_l3nh_now(), so that tests drive it.
 *
 *   - an unresolved next hop is asked at most once per PP_L3NH_RETRY_NS;
 *   - a resolved one is asked again PP_L3NH_REFRESH_NS after its last
 *     confirmation (then once per PP_L3NH_RETRY_NS until it answers);
 *   - one not confirmed for PP_L3NH_EXPIRE_NS loses PP_L3NH_VALID in the map
 *     (the entry stays, so the MAC is still shown, but is no longer used).
 *
 * What it sends carries SO_MARK = PP_L3_MARK: the uplink's TC egress lets
 * only marked frames of the host out.  Every frame it reads is hostile
 * input: checked, and a malformed one counted and ignored.
 *
 * Functions return 0 (or a documented value) or -errno.  Not thread-safe:
 * the daemon's one event loop calls it.
 */
#ifndef PP_L3NH_H
#define PP_L3NH_H

#include <stdint.h>
#include <linux/types.h>
#include "maps.h"

/* PP_L3_MARK, the mark of what polyportd sends on an uplink: include/polyport.h */

#define PP_L3NH_RETRY_NS	1000000000ull	/* at most one request a second */
#define PP_L3NH_REFRESH_NS	30000000000ull	/* re-ask a resolved next hop */
#define PP_L3NH_EXPIRE_NS	90000000000ull	/* unconfirmed this long: invalid */
#define PP_L3NH_MISS_KEEP_NS	10000000000ull	/* a missed one, unresolved, unmissed: forgotten */
#define PP_L3NH_MISSED_MAX	1024		/* next hops wanted by misses, at most */

struct pp_l3nh_stats {
	__u64 arp_requests;	/* ARP requests sent */
	__u64 ns_requests;	/* neighbour solicitations sent */
	__u64 send_errors;	/* requests the kernel refused */
	__u64 replies;		/* frames that confirmed a wanted next hop */
	__u64 unwanted;		/* well-formed, but for no next hop wanted there */
	__u64 malformed;	/* ignored: not a well-formed ARP / NA */
	__u64 ignored;		/* not ours: other devices', to other MACs, tagged */
	__u64 expired;		/* next hops that lost PP_L3NH_VALID */
	__u64 forgotten;	/* next hops wanted by misses only, forgotten */
	__u64 map_errors;	/* pp_l3nh writes that failed */
};

struct pp_l3nh_res;

/*
 * A resolver writing into maps (kept, not owned).  Opens its packet
 * sockets (needs CAP_NET_RAW and CAP_NET_ADMIN for SO_MARK).  NULL with
 * errno set on failure.
 */
struct pp_l3nh_res *pp_l3nh_create(struct pp_maps *maps);
/* Close its sockets; the map entries stay (the dataplane keeps using them). */
void pp_l3nh_destroy(struct pp_l3nh_res *res);

/*
 * Keep nexthop (family PP_NEIGH_V4: 4 bytes, PP_NEIGH_V6: 16 bytes) on
 * uplink ifindex resolved, asked from src_mac and src_addr (the domain's
 * address on the uplink, of the same family).  src_mac must be the
 * device's own MAC: replies to any other arrive as PACKET_OTHERHOST and are
 * not read (nor are tagged frames, which the kernel marks so).  The uplink
 * is a device of the caller's network namespace (the sockets see only it).
 * Idempotent: wanting it again updates src_mac/src_addr and keeps what is
 * known.  An entry already VALID
 * in pp_l3nh (a restarted daemon) is taken over as it is.  The first request
 * goes out at the next tick.  -EINVAL for a bad family, a zero ifindex or a
 * multicast/unspecified next hop; -ENOMEM.
 */
int pp_l3nh_want(struct pp_l3nh_res *res, __u32 ifindex, const __u8 src_mac[6], __u8 family,
		 const void *src_addr, const void *nexthop);
/*
 * The same for a next hop the dataplane missed (pp_l3miss) at now_ns: wanted
 * by the miss only, unless it is (or becomes) wanted by pp_l3nh_want, which
 * then keeps it as configured.  A next hop wanted by misses only is
 * forgotten (its pp_l3nh entry deleted) once it is not VALID and was not
 * missed for PP_L3NH_MISS_KEEP_NS: a VM sending to every address of a
 * connected prefix leaves nothing behind.  One that answers stays (it is
 * refreshed like any other) until it stops answering.  -ENOSPC when
 * PP_L3NH_MISSED_MAX next hops are wanted by misses already; else as
 * pp_l3nh_want.
 */
int pp_l3nh_want_missed(struct pp_l3nh_res *res, __u32 ifindex, const __u8 src_mac[6],
			__u8 family, const void *src_addr, const void *nexthop, __u64 now_ns);
/* Stop resolving nexthop on ifindex and delete its pp_l3nh entry.  -ENOENT if not wanted. */
int pp_l3nh_forget(struct pp_l3nh_res *res, __u32 ifindex, __u8 family, const void *nexthop);
/* The same for every next hop of ifindex (an uplink removed): how many were forgotten. */
int pp_l3nh_forget_dev(struct pp_l3nh_res *res, __u32 ifindex);
/* How many next hops are wanted. */
unsigned pp_l3nh_count(const struct pp_l3nh_res *res);

/* One fd (an epoll fd over its sockets) for the daemon's poll loop: POLLIN. */
int pp_l3nh_fd(const struct pp_l3nh_res *res);
/*
 * Read what is waiting on its sockets (a bounded number of frames, so that a
 * flood cannot starve the loop: call again while the fd stays readable).
 * Confirmations are written with updated_ns = now_ns.  Returns the number
 * of next hops confirmed, or -errno of the sockets.
 */
int pp_l3nh_input_at(struct pp_l3nh_res *res, __u64 now_ns);
/* pp_l3nh_input_at(res, pp_l3nh_now()). */
int pp_l3nh_input(struct pp_l3nh_res *res);
/*
 * At now_ns: expire what was not confirmed for PP_L3NH_EXPIRE_NS, forget
 * the missed ones that are due (pp_l3nh_want_missed), then send the
 * requests that are due.  Returns the number of requests sent.
 */
int pp_l3nh_tick(struct pp_l3nh_res *res, __u64 now_ns);
/* The earliest now_ns at which pp_l3nh_tick has something to do (UINT64_MAX: nothing). */
__u64 pp_l3nh_next_ns(const struct pp_l3nh_res *res);

/* CLOCK_MONOTONIC in ns, as bpf_ktime_get_ns() reads it. */
__u64 pp_l3nh_now(void);

const struct pp_l3nh_stats *pp_l3nh_stats(const struct pp_l3nh_res *res);

#endif /* PP_L3NH_H */
