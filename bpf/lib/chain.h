/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Service chains (issue 17): a network's unicast steered through hops of
 * service functions, each reached on its own service ports, over the
 * context shim.  The tables are in include/polyport.h ("service chains").
 *
 * - Classification (pp_chain_steer), at the forwarding tails once the
 *   destination is known (pp_vm_forward, pp_net_forward: the full paths;
 *   XDP's fast paths leave a chained network's frames to them): a unicast
 *   frame of network N from an allowed source (a service port, or 0 for
 *   N's device) that N's chain's forward classifier matches enters hop 0;
 *   on a symmetric chain, one toward an allowed source that the reversed
 *   classifier matches enters the last hop, going backwards.  Anything
 *   else is delivered as before.  The sending port's services have run;
 *   the destination's run when the frame is finally delivered.
 * - Entering a hop (pp_chain_go): the flow's hash (lib/rules.h read the
 *   frame; the ends sorted on symmetric chains, so that both directions of
 *   a flow hash the same; fragments by their 3-tuple, so that every
 *   fragment of a datagram takes the same path) mixed with the hop's index
 *   picks a slot of the hop's table, the slot an instance; the frame goes
 *   unchanged (its MACs; its tags replaced by the target port's) to the
 *   instance's ingress port (forward) or egress port (reverse), counted as
 *   that port's tx.  A hop without a live instance is skipped (on-failure
 *   bypass) or the frame is dropped (chain_down, counted on the chain).
 * - Frames from a hop port (pp_chain_from_hop): a service port whose
 *   net_id is a chain's id (pp_nets[id].chain == id).  Its function is a
 *   bump in the wire: no source-MAC check.  The port's position
 *   (pp_chain_ports) and the frame's match tell the direction: forward
 *   from an egress port if the forward classifier matches, else reverse
 *   from an ingress port (symmetric chains) if the reversed one does, else
 *   chain_context (counted on the chain).  Forward goes to the next hop,
 *   reverse to the previous one; past either end, the frame is delivered
 *   in N by its destination MAC (a local port, with its ingress services),
 *   else to N's device (pp_vm_forward without chains: a frame from a hop
 *   is never classified again).
 *
 * Isolation: every entry read is checked against what it must belong to.
 * A chain is used only when pp_nets says so at both ends (N's entry names
 * the chain, the chain's own entry names itself) and pp_chains[chain] names
 * N; a hop entry only when it names the chain; a target port only when its
 * net_id is the chain's id, so a forged entry naming a port of another
 * chain or of a network delivers nowhere.  A hop port's pp_chain_ports
 * entry must name the port's own chain, its chain the network that names
 * it.
 *
 * The classifier (pp_chain_match, pp_chain_classify) and the hops
 * (pp_chain_go) are global functions, each verified once; the glue that
 * calls them (pp_chain_steer, pp_chain_from_hop) is inlined in the
 * forwarding tails, and the delivery after the last hop is theirs
 * (pp_to_sport, with the destination's pp_rules()).  The calls nest within
 * the verifier's 512 bytes of stack: a program's frame (224 bytes, rounded)
 * + pp_chain_classify's (64) + pp_chain_match's (160); pp_chain_go calls
 * nothing (hop ports are sent to without pp_rules(): they have no
 * services).  Included by lib/dataplane.h after pp_sport_target_r() and
 * pp_sport_send().
 */
#ifndef PP_BPF_CHAIN_H
#define PP_BPF_CHAIN_H

#include "maps.bpf.h"
#include "frame.h"
#include "counters.h"
#include "rules.h"

/* Not steered, or out of the chain: the caller delivers the frame (not a verdict). */
#define PP_CHAIN_PASS		1001

/* Services no hop port has: a port with any is never taken for one. */
#define PP_CHAIN_NOT_HOP_FLAGS	(PP_SPORT_RESPONDER | PP_SPORT_SECURITY | PP_SPORT_DHCP | \
				 PP_SPORT_L3)

/* In pp_chain_match()'s dir_tags: hash the flow's ends sorted (symmetric chains). */
#define PP_CHAIN_SYM_HASH	(1u << 20)
/* ... and count the matching classifier entry (a frame entering the chain). */
#define PP_CHAIN_COUNT		(1u << 21)

static __always_inline __u32 pp_mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* One end of a flow: its address (IPv4 in the first 4 of 16 bytes) and port. */
static __always_inline __u32 pp_flow_end(const __u8 *addr, const __u8 *port)
{
	__u32 w[4], h;

	__builtin_memcpy(w, addr, 16);
	h = pp_mix32(((__u32)port[0] << 8 | port[1]) ^ w[0]);
	h = pp_mix32(h ^ w[1]);
	h = pp_mix32(h ^ w[2]);
	return pp_mix32(h ^ w[3]);
}

/*
 * The flow hash of what pp_rules_find() read: addresses, protocol and, for
 * TCP / UDP, ports (a fragment's read as 0: the 3-tuple); with sym, its two
 * ends in order, so that both directions hash the same.  24 bits: what
 * pp_chain_classify() returns beside its flag.
 */
static __always_inline __u32 pp_flow_hash(const struct pp_rules_pkt *pk, int sym)
{
	__u32 a = pp_flow_end(pk->saddr, pk->ports), b = pp_flow_end(pk->daddr, pk->ports + 2), t;

	if (sym && a > b) {
		t = a;
		a = b;
		b = t;
	}
	return pp_mix32(a ^ pp_mix32(b ^ pk->proto)) & 0xffffff;
}

/*
 * Does chain's classifier of direction dir (dir_tags: ntags | meta << 8 |
 * dir << 16 | PP_CHAIN_SYM_HASH) match the frame?  Returns -1 if not, else
 * the flow's hash (24 bits).
 */
__noinline int pp_chain_match(struct __ctx_buff *ctx, __u32 chain, __u32 dir_tags)
{
	__u32 ntags = dir_tags & 0xff, meta = (dir_tags >> 8) & 1, dir = (dir_tags >> 16) & 3;
	struct pp_rules_pkt pk = {};

	if (!ctx || ntags > PP_TAGS_MAX || meta > ntags)
		return -1;
	if (!pp_rules_classify(ctx, chain, dir, ETH_HLEN + 4 * (ntags - meta), &pk,
			       dir_tags & PP_CHAIN_COUNT))
		return -1;
	return (int)pp_flow_hash(&pk, !!(dir_tags & PP_CHAIN_SYM_HASH));
}

/* dir_tags for pp_chain_match(): tags, direction dir, the chain's hash. */
static __always_inline __u32 pp_chain_dir(const struct pp_chain *c, __u32 tags, __u32 dir)
{
	return tags | dir << 16 | (c->flags & PP_CHAIN_SYMMETRIC ? PP_CHAIN_SYM_HASH : 0);
}

/* A chain's entry if it is one: 1..PP_CHAIN_HOPS_MAX hops, else NULL. */
static __always_inline struct pp_chain *pp_chain_get(__u32 chain)
{
	struct pp_chain *c = bpf_map_lookup_elem(&PP_MAP_CHAINS, &chain);

	return c && c->n_hops && c->n_hops <= PP_CHAIN_HOPS_MAX ? c : NULL;
}

/*
 * Chain chain, steering network net_id: its entry, or NULL unless pp_nets
 * marks chain as a chain (its own entry names itself: never a network's
 * id) and pp_chains[chain] names net_id.  The caller read chain from
 * net_id's entry.
 */
static __always_inline struct pp_chain *pp_chain_of(__u32 chain, __u32 net_id)
{
	struct pp_net *cn;
	struct pp_chain *c;

	if (!chain || chain == net_id)
		return NULL;
	cn = bpf_map_lookup_elem(&PP_MAP_NETS, &chain);
	if (!cn || cn->chain != chain)
		return NULL;
	c = pp_chain_get(chain);
	return c && c->net_id == net_id ? c : NULL;
}

/* Is sport (0: the network's device) a source chain classifies? */
static __always_inline int pp_chain_source(const struct pp_chain *c, __u32 chain, __u32 sport)
{
	struct pp_chain_src_key k = { .chain = chain, .sport = sport };
	__u32 *v;

	if (c->flags & PP_CHAIN_ALL_SOURCES)
		return 1;
	v = bpf_map_lookup_elem(&PP_MAP_CHAIN_SRC, &k);
	return v && *v;
}

/* pp_chain_go()'s hop_dir: hop h (0xff: before hop 0; PP_CHAIN_LAST), reverse or not. */
#define PP_CHAIN_LAST		0xfe
#define PP_CHAIN_REV		(1u << 8)
#define PP_CHAIN_HOP_DIR(h, rev)	(((h) & 0xff) | ((rev) ? PP_CHAIN_REV : 0))

/*
 * Send the frame (tags: ntags | meta << 8) into hop h of chain, going
 * forward (to the chosen instance's ingress port) or in reverse (its
 * egress port): hop_dir is PP_CHAIN_HOP_DIR(h, rev).  A hop without a live
 * instance for the flow (hash) is skipped (bypass: the next one in that
 * direction) or the frame dropped (chain_down, counted on the chain).
 * Returns PP_CHAIN_PASS past either end (the caller delivers the frame in
 * the chain's network), else the verdict or PP_ERR for the caller to count.
 *
 * A global function, verified once; it calls no other (the nested calls
 * stay within the verifier's 512 bytes of stack: the callers' frames are
 * large), which is why hop ports, which have no services, are sent to
 * without pp_rules().
 */
__noinline int pp_chain_go(struct __ctx_buff *ctx, __u32 chain, __u32 hop_dir, __u32 hash,
			   __u32 tags)
{
	__u32 h = hop_dir & 0xff, rev = hop_dir & PP_CHAIN_REV, i, key, s, t = 0, tap = 0, len = 0;
	struct pp_frame f = {};
	struct pp_chain_hop *hp;
	struct pp_chain *c;
	struct pp_sport *ts;
	struct pp_net *cn;
	int found = 0, act;

	if (!ctx || (tags & 0xff) > PP_TAGS_MAX || ((tags >> 8) & 1) > (tags & 0xff))
		return PP_ERR(PP_DROP_MALFORMED);
	cn = bpf_map_lookup_elem(&PP_MAP_NETS, &chain);
	c = pp_chain_get(chain);
	if (!cn || cn->chain != chain || !c)
		return PP_ERR(PP_DROP_NO_TARGET);	/* not a chain (its pp_nets entry says so) */
	if (h == PP_CHAIN_LAST)
		h = c->n_hops - 1;
	for (i = 0; i < PP_CHAIN_HOPS_MAX; i++) {
		if (h >= c->n_hops)
			break;		/* past either end (hop 0 - 1 wraps) */
		key = (__u32)c->slot * PP_CHAIN_HOPS_MAX + h;
		hp = bpf_map_lookup_elem(&PP_MAP_CHAIN_HOPS, &key);
		/* a hop entry of another chain (a slot being reused) counts as down */
		if (hp && hp->chain == chain && hp->n_live) {
			s = hp->slots[pp_mix32(hash ^ (h + 1) * 0x9e3779b9u) & (PP_CHAIN_SLOTS - 1)];
			if (s < hp->n_inst && s < PP_CHAIN_INST_MAX) {
				t = rev ? hp->inst[s].out_sport : hp->inst[s].in_sport;
				found = 1;
				break;
			}
		}
		if (!(c->flags & PP_CHAIN_BYPASS))
			return pp_drop_net(chain, PP_DROP_CHAIN_DOWN);
		h = rev ? h - 1 : h + 1;
	}
	if (!found)
		return PP_CHAIN_PASS;
	/* the instance's port: a hop port of this chain, never another's or a network's */
	ts = t ? bpf_map_lookup_elem(&PP_MAP_SPORTS, &t) : NULL;
	if (!ts || ts->net_id != chain || (ts->flags & PP_CHAIN_NOT_HOP_FLAGS))
		return PP_ERR(PP_DROP_NO_TARGET);
	f.ntags = tags & 0xff;
	f.meta = (tags >> 8) & 1;
	f.len = ctx_wire_len(ctx, f.meta);
	asm volatile("" : "+r"(f.len));	/* XDP: or clang rewrites the arithmetic on pkt_end */
	act = pp_sport_target_r(ctx, t, ts, chain, &f, &tap, &len, 0);
	if (act != CTX_ACT_REDIRECT)
		return act;
	return pp_sport_send(ctx, t, ts, &f, tap, len, act);
}

/* pp_chain_classify(): the flow's hash (24 bits), | this when it enters from the end */
#define PP_CHAIN_FROM_END	(1 << 24)
#define PP_CHAIN_HASH_MASK	0xffffff

/*
 * Classification at a forwarding tail: a unicast frame (tags ntags | meta
 * << 8) of network net_id from src (a service port; 0: the network's
 * device) to dst (a local service port; 0: the device).  Returns -1 if the
 * network's chain does not take it, else its flow hash, | PP_CHAIN_FROM_END
 * for the reverse direction.  A global function whose frame is small: it
 * calls pp_chain_match() one level deeper than the programs' own frame.
 */
__noinline int pp_chain_classify(struct __ctx_buff *ctx, __u32 net_id, __u32 src, __u32 dst,
				 __u32 tags)
{
	struct pp_chain *c;
	struct pp_net *net;
	__u32 chain;
	int hash;

	if (!ctx)
		return -1;
	tags &= 0x1ff;
	net = bpf_map_lookup_elem(&PP_MAP_NETS, &net_id);
	if (!net)
		return -1;
	chain = net->chain;
	c = pp_chain_of(chain, net_id);
	if (!c)
		return -1;
	if (pp_chain_source(c, chain, src)) {
		hash = pp_chain_match(ctx, chain,
				      pp_chain_dir(c, tags, PP_DIR_CHAIN_FWD) | PP_CHAIN_COUNT);
		if (hash >= 0)
			return hash & PP_CHAIN_HASH_MASK;
	}
	if ((c->flags & PP_CHAIN_SYMMETRIC) && pp_chain_source(c, chain, dst)) {
		hash = pp_chain_match(ctx, chain,
				      pp_chain_dir(c, tags, PP_DIR_CHAIN_REV) | PP_CHAIN_COUNT);
		if (hash >= 0)
			return (hash & PP_CHAIN_HASH_MASK) | PP_CHAIN_FROM_END;
	}
	return -1;
}

/*
 * The forwarding tails' hook: a unicast frame f of network net_id (entry
 * net, whose chain is set) from src to dst (as for pp_chain_classify()).
 * Returns PP_CHAIN_PASS (not steered, or every hop skipped: delivered as
 * before), else the verdict or PP_ERR for the caller to count.  One call,
 * one branch inline: what follows is verified for few states.
 */
static __always_inline int pp_chain_steer(struct __ctx_buff *ctx, __u32 net_id,
					  const struct pp_net *net, __u32 src, __u32 dst,
					  const struct pp_frame *f)
{
	__u32 tags = f->ntags | (__u32)f->meta << 8;
	int hd = pp_chain_classify(ctx, net_id, src, dst, tags);

	if (hd < 0)
		return PP_CHAIN_PASS;
	/* pp_chain_go() verifies the chain again: net->chain may have changed */
	return pp_chain_go(ctx, net->chain, hd & PP_CHAIN_FROM_END ?
			   PP_CHAIN_HOP_DIR(PP_CHAIN_LAST, 1) : PP_CHAIN_HOP_DIR(0, 0),
			   hd & PP_CHAIN_HASH_MASK, tags);
}

/*
 * Is service port entry sp a hop port: no services, on an id pp_nets marks
 * as a chain's?  (Only asked of a frame whose source MAC is not the port's.)
 */
static __always_inline int pp_chain_hop_port(const struct pp_sport *sp)
{
	__u32 chain = sp->net_id;
	struct pp_net *cn;

	if (!chain || (sp->flags & PP_CHAIN_NOT_HOP_FLAGS))
		return 0;
	cn = bpf_map_lookup_elem(&PP_MAP_NETS, &chain);
	return cn && cn->chain == chain;
}

/*
 * A frame f from hop port id (entry sp; pp_nets[sp->net_id].chain names
 * itself): forward, reverse, or chain_context.  Returns PP_CHAIN_PASS when
 * it leaves the chain, with *n_id and *net the network the caller then
 * delivers it in; else the verdict or PP_ERR for the caller to count
 * (chain_context: CTX_ACT_DROP, counted on the chain).
 */
static __always_inline int pp_chain_from_hop(struct __ctx_buff *ctx, __u32 id,
					     const struct pp_sport *sp, const struct pp_frame *f,
					     __u32 *n_id, struct pp_net **net)
{
	__u32 chain = sp->net_id, tags = f->ntags | (__u32)f->meta << 8, h;
	struct pp_chain_port *cp;
	struct pp_chain *c;
	int hash;

	if (sp->flags & PP_CHAIN_NOT_HOP_FLAGS)
		return PP_ERR(PP_DROP_NO_TARGET);	/* not a hop port: a forged entry */
	/* its position must name its own chain, the chain its network */
	cp = bpf_map_lookup_elem(&PP_MAP_CHAIN_PORTS, &id);
	c = pp_chain_get(chain);
	if (!cp || cp->chain != chain || !c || cp->hop >= c->n_hops)
		goto context;
	*n_id = c->net_id;
	*net = bpf_map_lookup_elem(&PP_MAP_NETS, n_id);
	if (!*n_id || *n_id == chain || !*net || (*net)->chain != chain)
		goto context;
	if (pp_mac_is_mcast(f->dst))
		goto context;		/* only unicast enters a chain */
	if (pp_too_big(ctx, f, (*net)->mtu))
		return PP_ERR(PP_DROP_MTU);
	h = cp->hop;
	if (cp->role & PP_CHAIN_ROLE_OUT) {
		hash = pp_chain_match(ctx, chain, pp_chain_dir(c, tags, PP_DIR_CHAIN_FWD));
		if (hash >= 0)
			return pp_chain_go(ctx, chain, PP_CHAIN_HOP_DIR(h + 1, 0), hash, tags);
	}
	if ((c->flags & PP_CHAIN_SYMMETRIC) && (cp->role & PP_CHAIN_ROLE_IN)) {
		hash = pp_chain_match(ctx, chain, pp_chain_dir(c, tags, PP_DIR_CHAIN_REV));
		if (hash >= 0)
			return pp_chain_go(ctx, chain, PP_CHAIN_HOP_DIR(h - 1, 1), hash, tags);
	}
context:
	return pp_drop_net(chain, PP_DROP_CHAIN_CONTEXT);
}

#endif /* PP_BPF_CHAIN_H */
