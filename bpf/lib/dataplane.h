/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The frame rules of DESIGN.md, written once against the context shim:
 * pp_from_vm() for frames a VM sends on its tap, pp_from_net() for frames
 * arriving on a network device toward VMs.
 *
 * Every table entry read on the way is checked against what it must belong
 * to (the device's ifindex, the instance port's slot, the service port's
 * match and network): an entry that is being rewritten, or a stale id, reads
 * as "no match" and the frame is dropped and counted.  Isolation never rests
 * on the order in which the loader writes maps.
 *
 * The same code runs as TC and as XDP (bpf/ctx/skb.h, bpf/ctx/xdp.h).  What
 * XDP cannot do, it hands to the TC program of the same device (verdict
 * CTX_ACT_TO_TC = XDP_PASS), always with the frame unchanged and nothing
 * counted, so that each frame is counted once, where it is finally handled:
 * - floods that need a copy per local service port, each with its own tags
 *   (no clones in XDP);
 * - a target XDP may not transmit to (ctx_redirect: not in pp_xdp_tx): a
 *   bridge or VXLAN device (no XDP transmit), a veth whose peer has no XDP
 *   program (the frame would be dropped), the tap of an instance port in TC
 *   mode (its guest may need the offload metadata an XDP redirect drops);
 * - a frame toward a VM longer than its tap's MTU + 18 once retagged (a
 *   full-size frame to a QinQ port: 1,522 bytes): an XDP redirect drops it
 *   (xdp_ok_fwd_dev), a TC redirect delivers it (ctx_tx_fits).
 * That is why a target is chosen (ctx_redirect) before tags are popped or
 * pushed, and why the rx/tx counters move only after that choice.
 *
 * XDP first tries a shorter way for the common frame (pp_fast_vm,
 * pp_fast_net): unicast, no tag or one, a port without services, read in
 * place instead of by pp_parse.  It makes the same lookups and owner checks
 * and ends in the same forwarding tail (pp_vm_forward, pp_net_forward);
 * what it does not take goes the full path, unchanged: among it, every
 * frame of a network a service chain steers (lib/chain.h), which only the
 * full path classifies.
 */
#ifndef PP_BPF_DATAPLANE_H
#define PP_BPF_DATAPLANE_H

#include "maps.bpf.h"
#include "frame.h"
#include "counters.h"
#include "security.h"
#include "responder.h"
#include "dhcp.h"
#include "rules.h"

/*
 * The test builds of make variant (-DPP_UPGRADE_VARIANT=N) run another
 * program, with the same rules: one more instruction, which gives it another
 * tag, so that an upgrade between them replaces the programs on every hook
 * (tests/e2e/upgrade.sh).  Nothing in other builds.
 */
#ifdef PP_UPGRADE_VARIANT
#define PP_VARIANT_MARK() do {						\
	__u32 _v = PP_UPGRADE_VARIANT;					\
	asm volatile("" : "+r"(_v));					\
} while (0)
#else
#define PP_VARIANT_MARK() do { } while (0)
#endif

/* Internal results: >= 0 a verdict, < 0 a drop reason. */
#define PP_ERR(reason)		(-1 - (int)(reason))
#define PP_ERR_REASON(err)	((__u32)(-1 - (err)))

/*
 * How many of a VM's frame's tags a service port can match: the outer one
 * if its TPID is 0x8100 or 0x88a8, then the inner one if its TPID is 0x8100.
 * A tag after them (0x9100 anywhere, 0x88a8 inside) is "one more tag".
 */
static __always_inline __u32 pp_vm_tags(const struct pp_frame *f)
{
	if (!f->ntags ||
	    (f->tpid0 != bpf_htons(ETH_P_8021Q) && f->tpid0 != bpf_htons(ETH_P_8021AD)))
		return 0;
	if (f->ntags == 1 || f->tpid1 != bpf_htons(ETH_P_8021Q))
		return 1;
	return 2;
}

/* Untagged from a VM: no tag, or a lone priority tag (VID 0) it can match. */
static __always_inline int pp_untagged(const struct pp_frame *f)
{
	return f->ntags == 0 || (f->ntags == 1 && !(f->tci0 & 0xfff) && pp_vm_tags(f));
}

/* Does service port sp, on instance port slot, match frame f exactly? */
static __always_inline int pp_sport_matches(const struct pp_sport *sp, __u32 slot,
					    const struct pp_frame *f)
{
	if (sp->slot != slot)
		return 0;
	switch (sp->match) {
	case PP_MATCH_VLAN:
		return f->ntags == 1 && (f->tci0 & 0xfff) == sp->outer_vid;
	case PP_MATCH_QINQ:
		return f->ntags == 2 && (f->tci0 & 0xfff) == sp->outer_vid &&
		       (f->tci1 & 0xfff) == sp->inner_vid;
	case PP_MATCH_UNTAGGED:
		return pp_untagged(f);
	case PP_MATCH_SRCMAC:
		return pp_untagged(f) && pp_mac_eq(f->src, sp->mac);
	}
	return 0;
}

/*
 * Find the service port of a frame from instance port (slot, ip).  Returns
 * its id, or 0 with *reason set.  No fallback on tag count: a frame with
 * more tags than the port its outer tag names is dropped, and so is one with
 * a tag after those a port can match (pp_vm_tags): too_many_tags where a
 * port would have matched without it, else unknown_port.
 */
static __always_inline __u32 pp_classify(const struct pp_iport *ip, __u32 slot,
					 const struct pp_frame *f, __u32 *reason)
{
	__u16 vid0 = f->tci0 & 0xfff, vid1 = f->tci1 & 0xfff;
	__u32 m = pp_vm_tags(f), idx, *id;

	if (f->ntags > m) {
		*reason = PP_DROP_TOO_MANY_TAGS;
		if (m == 0) {		/* 0x9100 outermost: one tag over the untagged wire */
			if (!ip->untagged_sport && !(ip->flags & PP_IPORT_HAS_SRCMAC))
				*reason = PP_DROP_UNKNOWN_PORT;
		} else if (m == 1 && vid0 == PP_VID_RESERVED) {
			*reason = PP_DROP_RESERVED_VID;
		} else if (m == 1 && vid0) {	/* over a single tag: is there its port? */
			idx = PP_VLAN_IDX(slot, vid0);
			id = bpf_map_lookup_elem(&PP_MAP_VLANS, &idx);
			if (!id || !*id)
				*reason = PP_DROP_UNKNOWN_PORT;
		}
		return 0;
	}
	if (f->ntags == 2) {
		struct pp_qinq_key qk = { .slot = slot, .outer_vid = vid0, .inner_vid = vid1 };

		if (vid0 == 0) {		/* a priority tag over a tag */
			*reason = PP_DROP_TOO_MANY_TAGS;
			return 0;
		}
		if (vid0 == PP_VID_RESERVED || vid1 == PP_VID_RESERVED) {
			*reason = PP_DROP_RESERVED_VID;
			return 0;
		}
		id = bpf_map_lookup_elem(&PP_MAP_QINQ, &qk);
		if (id && *id)
			return *id;
		idx = PP_VLAN_IDX(slot, vid0);
		id = bpf_map_lookup_elem(&PP_MAP_VLANS, &idx);
		*reason = id && *id ? PP_DROP_TOO_MANY_TAGS : PP_DROP_UNKNOWN_PORT;
		return 0;
	}
	if (f->ntags == 1 && vid0) {
		if (vid0 == PP_VID_RESERVED) {
			*reason = PP_DROP_RESERVED_VID;
			return 0;
		}
		idx = PP_VLAN_IDX(slot, vid0);
		id = bpf_map_lookup_elem(&PP_MAP_VLANS, &idx);
		if (id && *id)
			return *id;
		*reason = PP_DROP_UNKNOWN_PORT;
		return 0;
	}
	/* Untagged wire: source-MAC ports first, then the untagged port. */
	if (ip->flags & PP_IPORT_HAS_SRCMAC) {
		struct pp_srcmac_key mk = { .slot = slot };

		__builtin_memcpy(mk.mac, f->src, ETH_ALEN);
		id = bpf_map_lookup_elem(&PP_MAP_SRCMAC, &mk);
		if (id && *id)
			return *id;
	}
	if (ip->untagged_sport)
		return ip->untagged_sport;
	*reason = PP_DROP_UNKNOWN_PORT;
	return 0;
}

/* Longer than the network's MTU plus its tags?  GSO frames by segment size. */
static __always_inline int pp_too_big(struct __ctx_buff *ctx, const struct pp_frame *f,
				      __u16 mtu)
{
	__u32 gso = ctx_gso_size(ctx);

	if (gso)
		return gso > mtu;
	return f->len > ETH_HLEN + 4 * (__u32)f->ntags + mtu;
}

/*
 * The tap of instance port slot, or 0.  The device table must agree that the
 * ifindex is that slot's tap: a stale or half-written ifindex is never used.
 */
static __always_inline __u32 pp_slot_tap(__u32 slot, const struct pp_iport *qi)
{
	__u32 ifindex = qi->ifindex;
	struct pp_dev *dev = bpf_map_lookup_elem(&PP_MAP_DEVS, &ifindex);

	if (!ifindex || !dev || dev->ifindex != ifindex || !(dev->flags & PP_DEV_TAP) ||
	    dev->slot != slot)
		return 0;
	return ifindex;
}

/*
 * The network of (device dev, VID) on a device with VLAN networks: its trunk
 * slot's direct index, or pp_netvlans for a device without one.
 */
static __always_inline __u32 *pp_netvlan(const struct pp_dev *dev,
					 const struct pp_netvlan_key *vk)
{
	__u32 idx;

	if (!dev->slot)
		return bpf_map_lookup_elem(&PP_MAP_NETVLANS, vk);
	idx = PP_VLAN_IDX(dev->slot, vk->vid);
	return bpf_map_lookup_elem(&PP_MAP_TRUNKS, &idx);
}

/* The device of network net_id, or 0, checked the same way. */
static __always_inline __u32 pp_net_dev(__u32 net_id, const struct pp_net *net)
{
	struct pp_netvlan_key vk = { .ifindex = net->ifindex, .vid = net->vlan };
	__u32 ifindex = net->ifindex, *id;
	struct pp_dev *dev = bpf_map_lookup_elem(&PP_MAP_DEVS, &ifindex);

	if (!ifindex || !dev || dev->ifindex != ifindex || !(dev->flags & PP_DEV_NET))
		return 0;
	if (!net->vlan)
		return dev->net_id == net_id ? ifindex : 0;
	id = pp_netvlan(dev, &vk);
	return id && *id == net_id ? ifindex : 0;
}

/*
 * Choose the tap of local service port q (its entry qs, as pp_fdb_find()
 * read it) of network net_id as the target of a frame carrying ntags tags,
 * the frame unchanged: CTX_ACT_REDIRECT with *tap and *len (its length once
 * retagged for q), else the verdict or error to return.  pp_sport_send()
 * then sends it; an L3 domain's routing (lib/l3.h) rewrites it in between.
 * rules (a constant): run q's ingress rules; 0 only for a chain's hop ports,
 * which have none (lib/chain.h: no call to pp_rules() there, so that the
 * calls nest within the verifier's stack limit).
 */
static __always_inline int pp_sport_target_r(struct __ctx_buff *ctx, __u32 q,
					     const struct pp_sport *qs, __u32 net_id,
					     const struct pp_frame *f, __u32 *tap, __u32 *len,
					     const int rules)
{
	struct pp_iport *qi;
	__u32 slot;

	if (!qs || qs->net_id != net_id)
		return PP_ERR(PP_DROP_UNKNOWN_DST);
	slot = qs->slot;
	qi = bpf_map_lookup_elem(&PP_MAP_IPORTS, &slot);
	*tap = qi ? pp_slot_tap(slot, qi) : 0;
	if (!qi || !*tap)
		return PP_ERR(PP_DROP_NO_TARGET);
	/* q's ingress rules (bpf/lib/rules.h): counted there */
	if (rules && (qs->flags & PP_SPORT_SECURITY) &&
	    pp_rules(ctx, q, f->ntags | (__u32)f->meta << 8 | pp_rules_dir(qs, PP_DIR_INGRESS)))
		return CTX_ACT_DROP;
	*len = f->len - 4 * (__u32)f->ntags + 4 * pp_sport_ntags(qs);
	if (!ctx_tx_fits(*len, qi->mtu))
		return CTX_ACT_TO_TC;	/* XDP: longer than the tap takes by XDP */
	/* XDP: an instance port in TC mode: hand to TC */
	return ctx_redirect(ctx, *tap);
}

static __always_inline int pp_sport_target(struct __ctx_buff *ctx, __u32 q,
					   const struct pp_sport *qs, __u32 net_id,
					   const struct pp_frame *f, __u32 *tap, __u32 *len)
{
	return pp_sport_target_r(ctx, q, qs, net_id, f, tap, len, 1);
}

/* Send the frame to q's tap, chosen by pp_sport_target(): retagged for q. */
static __always_inline int pp_sport_send(struct __ctx_buff *ctx, __u32 q,
					 const struct pp_sport *qs, const struct pp_frame *f,
					 __u32 tap, __u32 len, int act)
{
	if (pp_retag_sport(ctx, f->ntags, qs))
		return PP_ERR(PP_DROP_MALFORMED);
	pp_count_tx(q, len);
	return ctx_redirect_done(ctx, tap, act);
}

/*
 * Deliver a frame carrying ntags tags to local service port q (its entry
 * qs, as pp_fdb_find() read it) of network net_id: retag it for q and send
 * it to q's tap.
 */
static __always_inline int pp_to_sport(struct __ctx_buff *ctx, __u32 q,
				       const struct pp_sport *qs, __u32 net_id,
				       const struct pp_frame *f)
{
	__u32 tap = 0, len = 0;
	int act = pp_sport_target(ctx, q, qs, net_id, f, &tap, &len);

	if (act != CTX_ACT_REDIRECT)
		return act;
	return pp_sport_send(ctx, q, qs, f, tap, len, act);
}

/* Stretched networks: the VXLAN device's way (TC only). */
#include "vxlan.h"

/*
 * Send a frame carrying ntags tags to network net's device: every tag
 * removed, the network's own tag pushed.  A stretched network's frame is
 * encapsulated toward the host(s) it goes to (lib/vxlan.h): in TC, which
 * XDP hands it to.
 */
static __always_inline int pp_to_net(struct __ctx_buff *ctx, __u32 net_id,
				     const struct pp_net *net, __u32 ntags)
{
	__u32 ifindex;
	int act;

	if (net->vni)
#ifdef PP_CTX_SKB
		return pp_to_vxlan(ctx, net_id, ntags);
#else
		return CTX_ACT_TO_TC;	/* XDP sets no tunnel key */
#endif
	ifindex = pp_net_dev(net_id, net);
	if (!ifindex)
		return PP_ERR(PP_DROP_NO_TARGET);
	act = ctx_redirect(ctx, ifindex);
	if (act != CTX_ACT_REDIRECT)
		return act;	/* XDP: no XDP transmit to this device: hand to TC */
	if (pp_retag_net(ctx, ntags, net->vlan))
		return PP_ERR(PP_DROP_MALFORMED);
	return ctx_redirect_done(ctx, ifindex, act);
}

#ifdef CTX_CAN_CLONE
/*
 * Send one copy of an untagged broadcast/multicast frame to local service
 * port q of network net_id, with q's tags.  On an instance port that has
 * source-MAC ports, a copy toward one of its untagged-wire ports carries that
 * port's MAC as destination, so each guest interface sees only its own
 * network's floods.  The frame is restored afterwards.  Returns 0, or -1 if
 * it could not be restored.
 *
 * A global function: the verifier checks it once, not once per flood-loop
 * iteration (a 256-iteration loop over this body exceeds its budget).
 */
__noinline int pp_flood_one(struct __ctx_buff *ctx, __u32 q, __u32 net_id, __u32 len)
{
	struct pp_sport *qs = bpf_map_lookup_elem(&PP_MAP_SPORTS, &q);
	__u8 dst[ETH_ALEN];
	struct pp_iport *qi;
	__u32 slot, tap;
	int rewrite;

	if (!ctx || !qs || qs->net_id != net_id)
		return 0;
	slot = qs->slot;
	qi = bpf_map_lookup_elem(&PP_MAP_IPORTS, &slot);
	tap = qi ? pp_slot_tap(slot, qi) : 0;
	if (!tap)
		return 0;
	if ((qs->flags & PP_SPORT_SECURITY) && pp_rules(ctx, q, pp_rules_dir(qs, PP_DIR_INGRESS)))
		return 0;	/* q's ingress rules drop this copy (counted there) */
	rewrite = (qi->flags & PP_IPORT_HAS_SRCMAC) &&
		  (qs->match == PP_MATCH_UNTAGGED || qs->match == PP_MATCH_SRCMAC);
	if (rewrite && (ctx_load_bytes(ctx, 0, dst, ETH_ALEN) ||
			ctx_store_bytes(ctx, 0, qs->mac, ETH_ALEN)))
		return -1;
	if (pp_tags_push_sport(ctx, qs))
		return -1;
	if (!ctx_clone_redirect(ctx, tap))
		pp_count_tx(q, len + 4 * pp_sport_ntags(qs));
	if (pp_tags_pop_sport(ctx, qs))
		return -1;
	if (rewrite && ctx_store_bytes(ctx, 0, dst, ETH_ALEN))
		return -1;
	return 0;
}

/*
 * Flood an untagged frame of len bytes to every local service port of
 * net_id but except.  Returns 0, or -1 if the frame is no longer usable.
 */
static __always_inline int pp_flood_copies(struct __ctx_buff *ctx, __u32 net_id, __u32 except,
					   __u32 len)
{
	struct pp_flood *fl = bpf_map_lookup_elem(&PP_MAP_FLOOD, &net_id);
	__u32 i, q;

	if (!fl)
		return 0;
	for (i = 0; i < PP_FLOOD_MAX; i++) {
		if (i >= fl->count)
			break;
		q = fl->sport[i];
		if (q && q != except && pp_flood_one(ctx, q, net_id, len))
			return -1;
	}
	return 0;
}
#endif

/* Service port q's entry if it has MAC mac (NULL: any), else NULL. */
static __always_inline struct pp_sport *pp_sport_with(__u32 q, const __u8 *mac)
{
	struct pp_sport *sp = bpf_map_lookup_elem(&PP_MAP_SPORTS, &q);

	return sp && (!mac || pp_mac_eq(sp->mac, mac)) ? sp : NULL;
}

/*
 * The local service port of network net_id that MAC dst belongs to, or 0,
 * and in *qs its entry (read once, for pp_to_sport(), which checks its
 * network): the network's lone port when dst is its MAC, else the port its
 * pp_dst bucket names (both verified: on net_id, with MAC dst), else pp_fdb
 * when the bucket says it does not hold everything.  One cache line for
 * most destinations, local or not.
 */
static __always_inline __u32 pp_fdb_find(__u32 net_id, const struct pp_net *net,
					 const __u8 *dst, struct pp_sport **qs)
{
	struct pp_fdb_key fk = { .net_id = net_id };
	__u32 lone = net->lone_sport, idx = pp_dst_idx(net_id, dst), i, *q;
	struct pp_dst_bucket *b;

	if (lone && (*qs = pp_sport_with(lone, dst)) && (*qs)->net_id == net_id)
		return lone;
	b = bpf_map_lookup_elem(&PP_MAP_DST, &idx);
	if (b) {
#pragma unroll
		for (i = 0; i < PP_DST_WAYS; i++) {
			__u32 w = b->way[i].sport;

			if (w && pp_mac_eq(b->way[i].mac, dst) && (*qs = pp_sport_with(w, dst)) &&
			    (*qs)->net_id == net_id)
				return w;
		}
		if (!(b->flags & PP_DST_MORE))
			return 0;	/* not a local destination */
	}
	__builtin_memcpy(fk.mac, dst, ETH_ALEN);
	q = bpf_map_lookup_elem(&PP_MAP_FDB, &fk);
	if (!q || !*q)
		return 0;
	*qs = pp_sport_with(*q, NULL);
	return *q;
}

/* Does net_id have a local service port other than except? */
static __always_inline int pp_flood_any(__u32 net_id, __u32 except)
{
	struct pp_flood *fl = bpf_map_lookup_elem(&PP_MAP_FLOOD, &net_id);

	if (!fl || !fl->count)
		return 0;
	return fl->count > 1 || fl->sport[0] != except;
}

/* Service chains (lib/chain.h): steered frames, frames from hop ports. */
#include "chain.h"

/* Count a frame from service port id (instance port slot) that ended as ret. */
static __always_inline int pp_vm_done(__u32 id, __u32 slot, const struct pp_frame *f, int ret)
{
	if (ctx_handed_to_tc(ret))
		return ret;		/* counted by TC */
	pp_count_rx(id, f->len);
	return ret < 0 ? pp_drop_iport(slot, PP_ERR_REASON(ret)) : ret;
}

/*
 * The end of a unicast frame's way from service port id (instance port
 * slot) of network net_id, its checks and services done: another local port
 * of the network (MAC dst, as read by the caller), or the network's device;
 * or, with chains (the full path: a constant), the network's service chain
 * when its classifier says so.
 */
static __always_inline int pp_vm_forward(struct __ctx_buff *ctx, __u32 id, __u32 slot,
					 __u32 net_id, const struct pp_net *net,
					 const struct pp_frame *f, const __u8 *dst, const int chains)
{
	struct pp_sport *qs = NULL;
	int ret = PP_CHAIN_PASS;
	__u32 q;

	q = net->lone_sport == id ? 0 : pp_fdb_find(net_id, net, dst, &qs);
	if (q == id)
		q = 0;			/* its own MAC: to the network */
	if (chains && net->chain && !pp_mac_is_mcast(dst))	/* XDP: multicast comes here */
		ret = pp_chain_steer(ctx, net_id, net, id, q, f);
	if (ret != PP_CHAIN_PASS)
		;			/* steered (or dropped) by the chain */
	else if (q)
		ret = pp_to_sport(ctx, q, qs, net_id, f);
	else
		ret = pp_to_net(ctx, net_id, net, f->ntags);
	return pp_vm_done(id, slot, f, ret);
}

/* XDP's fast paths' "not mine": the full path takes the frame, unchanged. */
#define PP_FULL_PATH	(-1000)

/* L3 domains: routed frames (delivered to L3 ports with the pieces above). */
#include "l3.h"

#ifdef PP_CTX_XDP

/* Services a port's frames need the full path for. */
#define PP_SPORT_SERVICES	(PP_SPORT_RESPONDER | PP_SPORT_SECURITY | PP_SPORT_DHCP)

/*
 * XDP's first look at the common frame, read in place (pp_parse copies the
 * MACs and walks up to three tags): unicast, at least 18 bytes, no tag or
 * one tag of TPID tpid_a or tpid_b with a VID that can match (not 0, not
 * 4095) and no tag after it.  Fills f->len, f->ntags, f->meta (what the
 * forwarding tails read) and *vid.  Returns 0, or -1: the full path's frame.
 */
static __always_inline int pp_peek(struct __ctx_buff *ctx, __be16 tpid_a, __be16 tpid_b,
				   struct pp_frame *f, __u16 *vid)
{
	__u8 *p = ctx_data(ctx), *end = ctx_data_end(ctx);
	__be16 t;

	if (p + ETH_HLEN + 4 > end || pp_mac_is_mcast(p))
		return -1;
	f->len = end - p;
	f->meta = 0;
	f->ntags = 0;
	*vid = 0;
	t = *(__be16 *)(p + 12);
	if (!pp_is_tag(t))
		return 0;
	if ((t != tpid_a && t != tpid_b) || pp_is_tag(*(__be16 *)(p + 16)))
		return -1;
	*vid = bpf_ntohs(*(__be16 *)(p + 14)) & 0xfff;
	f->ntags = 1;
	return *vid && *vid != PP_VID_RESERVED ? 0 : -1;
}

/*
 * The fast path of a frame from a VM (instance port slot, entry ip): a
 * unicast frame of a VLAN or untagged service port without services, from
 * the port's own MAC.  The same lookups and checks as the full path, minus
 * what such a frame cannot need; anything else is PP_FULL_PATH.
 */
static __always_inline int pp_fast_vm(struct __ctx_buff *ctx, const struct pp_iport *ip,
				      __u32 slot)
{
	__u32 id, idx, net_id, *cid;
	struct pp_sport *sp;
	struct pp_frame f;
	struct pp_net *net;
	__u8 *p;
	__u16 vid;

	if (pp_peek(ctx, bpf_htons(ETH_P_8021Q), bpf_htons(ETH_P_8021AD), &f, &vid))
		return PP_FULL_PATH;
	if (f.ntags) {
		idx = PP_VLAN_IDX(slot, vid);
		cid = bpf_map_lookup_elem(&PP_MAP_VLANS, &idx);
		id = cid ? *cid : 0;
	} else {
		id = ip->flags & PP_IPORT_HAS_SRCMAC ? 0 : ip->untagged_sport;
	}
	sp = id ? bpf_map_lookup_elem(&PP_MAP_SPORTS, &id) : NULL;
	p = ctx_data(ctx);
	if (!sp || sp->slot != slot ||
	    p + ETH_HLEN > (__u8 *)ctx_data_end(ctx) || !pp_mac_eq(p + ETH_ALEN, sp->mac) ||
	    (f.ntags ? sp->match != PP_MATCH_VLAN || sp->outer_vid != vid :
		       sp->match != PP_MATCH_UNTAGGED))
		return PP_FULL_PATH;
	if (sp->flags & PP_SPORT_L3)	/* routed: lib/l3.h */
		return pp_fast_l3_vm(ctx, id, slot, sp, &f);
	if (sp->flags & PP_SPORT_SERVICES)
		return PP_FULL_PATH;
	net_id = sp->net_id;
	net = net_id ? bpf_map_lookup_elem(&PP_MAP_NETS, &net_id) : NULL;
	/* a chained network (or a hop port's own frame): the full path */
	if (!net || net->chain || f.len > ETH_HLEN + 4 * (__u32)f.ntags + net->mtu)
		return PP_FULL_PATH;
	return pp_vm_forward(ctx, id, slot, net_id, net, &f, p, 0);
}
#endif

/*
 * Whether a frame from tap ifindex, bound (pp_devs) to the instance port of
 * entry ip, comes from the port's active tap.  A tap bound but not active
 * is the standby (plugged for a move: nothing is sent to it) or a retired
 * one.  The standby's first frame makes it the active tap here, before
 * polyportd hears of it: a migrated guest announces itself (RARP,
 * gratuitous ARP) with that frame, which must flow, and everything to the
 * VM follows ip->ifindex from then on (pp_slot_tap).  The switch is one
 * aligned 32-bit store, never torn: a reader sees the old tap or the new
 * one, both bound in pp_devs.  polyportd moves ifindex by compare-and-swap
 * from what it last read (pp_dp_iport_install), so it never writes an
 * activation back.  (So pp_iports is not BPF_F_RDONLY_PROG: this is the
 * programs' only write to it.)  A slot nobody installed (mtu 0) activates
 * nothing.
 */
static __always_inline int pp_vm_tap_active(struct pp_iport *ip, __u32 ifindex)
{
	if (ip->ifindex == ifindex)
		return 1;
	if (!ip->mtu || ip->standby != ifindex)
		return 0;
	*(volatile __u32 *)&ip->ifindex = ifindex;	/* WRITE_ONCE */
	return 1;
}

/* Frames a VM sends: classify, check, then local port, flood or network. */
static __always_inline int pp_from_vm(struct __ctx_buff *ctx)
{
	__u32 ifindex = ctx_ifindex(ctx), slot, id, net_id, reason = 0;
	struct pp_l3dom *d = NULL;
	struct pp_iport *ip;
	struct pp_sport *sp;
	struct pp_dev *dev;
	struct pp_net *net;
	struct pp_frame f;
	int ret;

	dev = bpf_map_lookup_elem(&PP_MAP_DEVS, &ifindex);
	if (!dev || !(dev->flags & PP_DEV_TAP) || dev->ifindex != ifindex)
		return pp_drop_iport(0, PP_DROP_UNKNOWN_PORT);
	slot = dev->slot;
	ip = bpf_map_lookup_elem(&PP_MAP_IPORTS, &slot);
	if (!ip)
		return pp_drop_iport(0, PP_DROP_UNKNOWN_PORT);
	/* a retired tap's frames are counted on its port; a slot never installed is unknown */
	if (!pp_vm_tap_active(ip, ifindex))
		return ip->mtu ? pp_drop_iport(slot, PP_DROP_INACTIVE_TAP) :
				 pp_drop_iport(0, PP_DROP_UNKNOWN_PORT);
#ifdef PP_CTX_XDP
	ret = pp_fast_vm(ctx, ip, slot);
	if (ret != PP_FULL_PATH)
		return ret;
#endif

	if (pp_parse(ctx, &f))
		return pp_drop_iport(slot, PP_DROP_MALFORMED);
	id = pp_classify(ip, slot, &f, &reason);
	if (!id)
		return pp_drop_iport(slot, reason);
	sp = bpf_map_lookup_elem(&PP_MAP_SPORTS, &id);
	if (!sp || !pp_sport_matches(sp, slot, &f))
		return pp_drop_iport(slot, PP_DROP_UNKNOWN_PORT);
	/* (a chain's hop port: its function forwards others' frames, lib/chain.h) */
	if (!pp_mac_eq(f.src, sp->mac) &&
	    !((sp->flags & PP_SPORT_SECURITY) && pp_sec_mac_ok(id, f.src)) &&
	    !pp_chain_hop_port(sp))
		return pp_drop_iport(slot, PP_DROP_SPOOFED);
	/* Port security (bpf/lib/security.h): L3 sources, ARP, ND. */
	if (sp->flags & PP_SPORT_SECURITY) {
		ret = pp_security(ctx, id, f.ntags | (__u32)f.meta << 8);
		if (ret) {
			pp_count_svc(id, security_drops);
			return pp_drop_iport(slot, pp_sec_reason(ret));
		}
	}
	net_id = sp->net_id;
	if (sp->flags & PP_SPORT_L3) {	/* bound to an L3 domain: no pp_nets entry */
		net = NULL;
		d = bpf_map_lookup_elem(&PP_MAP_L3DOMS, &net_id);
		if (!d || !d->table)
			return pp_drop_iport(slot, PP_DROP_NO_ROUTE);
		if (pp_too_big(ctx, &f, d->mtu))	/* answered: lib/l3icmp.h */
			return pp_l3_too_big(ctx, id, slot, net_id, d, &f);
	} else {
		net = bpf_map_lookup_elem(&PP_MAP_NETS, &net_id);
		if (!net_id || !net)
			return pp_drop_iport(slot, PP_DROP_NO_TARGET);
		if (net->chain == net_id) {	/* a hop port (lib/chain.h) */
			ret = pp_chain_from_hop(ctx, id, sp, &f, &net_id, &net);
			if (ret != PP_CHAIN_PASS)
				return pp_vm_done(id, slot, &f, ret);
			/* out of the chain: delivered in its network, never classified again */
			return pp_vm_forward(ctx, id, slot, net_id, net, &f, f.dst, 0);
		}
		if (pp_too_big(ctx, &f, net->mtu))
			return pp_drop_iport(slot, PP_DROP_MTU);
	}

	/* Services answering in place (bpf/lib/dhcp.h, bpf/lib/responder.h). */
	if (sp->flags & PP_SPORT_DHCP) {
		ret = pp_dhcp_serve(ctx, id, f.ntags | (__u32)f.meta << 8);
		if (ret == PP_RESP_BAD || ret == PP_RESP_MALFORMED)
			return pp_drop_iport(slot, PP_DROP_MALFORMED);
		if (ret != PP_RESP_NONE) {
			if (!ctx_handed_to_tc(ret))
				pp_count_rx(id, f.len);
			return ret;
		}
	}
	if (sp->flags & PP_SPORT_RESPONDER) {
		ret = pp_respond(ctx, id, f.ntags | (__u32)f.meta << 8);
		if (ret == PP_RESP_BAD)
			return pp_drop_iport(slot, PP_DROP_MALFORMED);
		if (ret != PP_RESP_NONE) {
			if (!ctx_handed_to_tc(ret))
				pp_count_rx(id, f.len);
			return ret;
		}
	}

	/* its egress rules (bpf/lib/rules.h): counted there */
	if ((sp->flags & PP_SPORT_SECURITY) &&
	    pp_rules(ctx, id, f.ntags | (__u32)f.meta << 8 | pp_rules_dir(sp, PP_DIR_EGRESS)))
		return CTX_ACT_DROP;

	if (d)				/* routed, not forwarded (lib/l3.h) */
		return pp_l3_from_vm(ctx, id, slot, net_id, d, &f);

	if (pp_mac_is_mcast(f.dst)) {
#ifdef CTX_CAN_CLONE
		pp_count_rx(id, f.len);
		if (pp_tags_pop(ctx, f.ntags) ||
		    pp_flood_copies(ctx, net_id, id, f.len - 4 * (__u32)f.ntags))
			return pp_drop_iport(slot, PP_DROP_MALFORMED);
		ret = pp_to_net(ctx, net_id, net, 0);
		/* no device (yet): the copies were the delivery, if there were any */
		if (ret == PP_ERR(PP_DROP_NO_TARGET) && pp_flood_any(net_id, id))
			return CTX_ACT_DROP;
		return ret < 0 ? pp_drop_iport(slot, PP_ERR_REASON(ret)) : ret;
#else
		/*
		 * XDP: copies for other local ports of the network need clones:
		 * hand to TC.  Without any, the frame only goes to the network
		 * (the forwarding table has no multicast MAC), as unicast does.
		 */
		if (pp_flood_any(net_id, id))
			return CTX_ACT_TO_TC;
#endif
	}

	return pp_vm_forward(ctx, id, slot, net_id, net, &f, f.dst, 1);
}

/*
 * The network a frame on device dev belongs to: the device's untagged
 * network, or the one with the frame's single 0x8100 tag.  A frame whose
 * outer TPID is 0x88a8 or 0x9100 belongs to none (delivered untagged, the
 * guest could read that header as the tag of another of its ports).
 * Returns its id, or 0 with *reason and *blame (the network to count the
 * drop on) set.
 */
static __always_inline __u32 pp_net_of(const struct pp_dev *dev, __u32 ifindex,
				       const struct pp_frame *f, __u32 *reason, __u32 *blame)
{
	struct pp_netvlan_key vk = { .ifindex = ifindex };
	__u16 vid = f->ntags ? f->tci0 & 0xfff : 0;
	__u32 *id;

	*blame = dev->net_id;
	if (f->ntags && f->tpid0 != bpf_htons(ETH_P_8021Q)) {
		*reason = dev->net_id ? PP_DROP_TAGGED_ON_UNTAGGED_NET : PP_DROP_UNKNOWN_PORT;
		return 0;
	}
	if (f->ntags > 1) {
		*reason = PP_DROP_TOO_MANY_TAGS;
		return 0;
	}
	if (vid == PP_VID_RESERVED) {
		*reason = PP_DROP_RESERVED_VID;
		return 0;
	}
	if (!vid) {			/* untagged, or a lone priority tag */
		*reason = PP_DROP_UNKNOWN_PORT;
		return dev->net_id;
	}
	vk.vid = vid;
	id = dev->flags & PP_DEV_NET_VLANS ? pp_netvlan(dev, &vk) : 0;
	if (id && *id)
		return *id;
	*reason = dev->net_id ? PP_DROP_TAGGED_ON_UNTAGGED_NET : PP_DROP_UNKNOWN_PORT;
	return 0;
}

/*
 * The end of a unicast frame's way from network net_id's device: the local
 * service port with MAC dst (as read by the caller); or, with chains (the
 * full path: a constant), the network's service chain when its classifier
 * says so.
 */
static __always_inline int pp_net_forward(struct __ctx_buff *ctx, __u32 net_id,
					  const struct pp_net *net, const struct pp_frame *f,
					  const __u8 *dst, const int chains)
{
	struct pp_sport *qs = NULL;
	int ret = PP_CHAIN_PASS;
	__u32 q;

	q = pp_fdb_find(net_id, net, dst, &qs);
	if (!q)
		return pp_drop_net(net_id, PP_DROP_UNKNOWN_DST);
	if (chains && net->chain)
		ret = pp_chain_steer(ctx, net_id, net, 0, q, f);
	if (ret == PP_CHAIN_PASS)
		ret = pp_to_sport(ctx, q, qs, net_id, f);
	return ret < 0 ? pp_drop_net(net_id, PP_ERR_REASON(ret)) : ret;
}

#ifdef PP_CTX_XDP
/*
 * The fast path of a frame on network device dev (ifindex): a unicast frame
 * of its untagged network or of one of its VLAN networks.  The same lookups
 * and checks as the full path, minus the parse; anything else is
 * PP_FULL_PATH.
 */
static __always_inline int pp_fast_net(struct __ctx_buff *ctx, const struct pp_dev *dev,
				       __u32 ifindex)
{
	struct pp_netvlan_key vk = { .ifindex = ifindex };
	__u32 net_id, *id;
	struct pp_frame f;
	struct pp_net *net;
	__u8 *p;

	if (pp_peek(ctx, bpf_htons(ETH_P_8021Q), bpf_htons(ETH_P_8021Q), &f, &vk.vid))
		return PP_FULL_PATH;
	if (f.ntags) {
		id = dev->flags & PP_DEV_NET_VLANS ? pp_netvlan(dev, &vk) : NULL;
		net_id = id ? *id : 0;
	} else {
		net_id = dev->net_id;
	}
	net = net_id ? bpf_map_lookup_elem(&PP_MAP_NETS, &net_id) : NULL;
	p = ctx_data(ctx);
	if (!net || net->ifindex != ifindex || net->vlan != vk.vid || net->chain ||
	    f.len > ETH_HLEN + 4 * (__u32)f.ntags + net->mtu || p + ETH_HLEN > (__u8 *)ctx_data_end(ctx))
		return PP_FULL_PATH;
	return pp_net_forward(ctx, net_id, net, &f, p, 0);
}
#endif

/* Frames arriving on a network device: toward the local service ports. */
static __always_inline int pp_from_net(struct __ctx_buff *ctx)
{
	__u32 ifindex = ctx_ifindex(ctx), net_id, reason = 0, blame = 0;
#ifdef PP_CTX_SKB
	struct pp_dev vxdev = { .flags = PP_DEV_NET | PP_DEV_VXLAN, .ifindex = ifindex };
#endif
	struct pp_net *net;
	struct pp_dev *dev;
	struct pp_frame f;

	dev = bpf_map_lookup_elem(&PP_MAP_DEVS, &ifindex);
	if (dev && (dev->flags & PP_DEV_UPLINK) && dev->ifindex == ifindex)
		return pp_from_uplink(ctx, dev, ifindex);	/* an L3 domain's (lib/l3.h) */
	if (!dev || !(dev->flags & PP_DEV_NET) || dev->ifindex != ifindex)
		return pp_drop_net(0, PP_DROP_UNKNOWN_PORT);
	if (dev->flags & PP_DEV_VXLAN) {
#ifdef PP_CTX_SKB
		/* decapsulated: the VNI's network is the device's untagged one */
		vxdev.net_id = pp_vxlan_net(ctx, ifindex, &reason, &blame);
		if (!vxdev.net_id)
			return pp_drop_net(blame, reason);
		dev = &vxdev;
#else
		return CTX_ACT_TO_TC;	/* the tunnel key is TC's */
#endif
	}
#ifdef PP_CTX_XDP
	{
		int ret = pp_fast_net(ctx, dev, ifindex);

		if (ret != PP_FULL_PATH)
			return ret;
	}
#endif
	if (pp_parse(ctx, &f))
		return pp_drop_net(dev->net_id, PP_DROP_MALFORMED);
	net_id = pp_net_of(dev, ifindex, &f, &reason, &blame);
	if (!net_id)
		return pp_drop_net(blame, reason);
	net = bpf_map_lookup_elem(&PP_MAP_NETS, &net_id);
	if (!net || net->ifindex != ifindex || net->vlan != (f.ntags ? (f.tci0 & 0xfff) : 0) ||
	    (net->vni != 0) != ((dev->flags & PP_DEV_VXLAN) != 0))
		return pp_drop_net(0, PP_DROP_UNKNOWN_PORT);
	if (pp_too_big(ctx, &f, net->mtu))
		return pp_drop_net(net_id, PP_DROP_MTU);

	if (pp_mac_is_mcast(f.dst)) {
		if (!pp_flood_any(net_id, 0))
			return pp_drop_net(net_id, PP_DROP_NO_TARGET);
#ifdef CTX_CAN_CLONE
		if (pp_tags_pop(ctx, f.ntags) ||
		    pp_flood_copies(ctx, net_id, 0, f.len - 4 * (__u32)f.ntags))
			return pp_drop_net(net_id, PP_DROP_MALFORMED);
		return CTX_ACT_DROP;	/* the copies are out; the original is done */
#else
		return CTX_ACT_TO_TC;	/* XDP: one copy per local port, own tags: TC */
#endif
	}

	return pp_net_forward(ctx, net_id, net, &f, f.dst, 1);
}

#endif /* PP_BPF_DATAPLANE_H */
