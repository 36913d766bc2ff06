/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Stretched networks (issue 20): a network with a VNI (pp_net.vni) reaches
 * the other hosts through this host's VXLAN device, one per host, in
 * external (collect-metadata) mode and owned by polyportd (pp_vxlan).
 *
 * Toward the network, a frame is encapsulated by its tunnel key (VNI,
 * remote VTEP, this host's VTEP as the source) and redirected to that
 * device: a unicast to the host its destination MAC is on (pp_remote; not
 * there: unknown_dst, never a flood), a broadcast or multicast to each other
 * host with ports on the network (pp_rflood), once.  Each copy is a clone
 * sent before the next key is set: the key lives in a per-CPU metadata dst
 * that bpf_clone_redirect hands to the device's transmit at once, and that
 * the next bpf_skb_set_tunnel_key overwrites.
 *
 * From the device, the frame's VNI names its network (pp_vnis, verified
 * against pp_nets) and its outer source must be a known host's VTEP
 * (pp_vteps, else unknown_vtep); then it is a frame of that network's
 * device like any other (untagged: a tag inside is tagged_on_untagged_net).
 *
 * TC only: the tunnel key is skb metadata, which XDP has not.  XDP hands
 * every frame toward a stretched network to TC (pp_to_net), and is never
 * attached to the VXLAN device.
 */
#ifndef PP_BPF_VXLAN_H
#define PP_BPF_VXLAN_H

#include "maps.bpf.h"
#include "frame.h"

/*
 * The VXLAN device a stretched network's frames leave by, or 0: the one
 * pp_vxlan names, which pp_devs must agree is the host's VXLAN device and
 * the network's entry must name.  *vx: pp_vxlan (the source VTEP).
 */
static __always_inline __u32 pp_vxlan_dev(const struct pp_net *net, struct pp_vxlan **vx)
{
	__u32 zero = 0, ifindex = net->ifindex;
	struct pp_vxlan *x = bpf_map_lookup_elem(&PP_MAP_VXLAN, &zero);
	struct pp_dev *dev = bpf_map_lookup_elem(&PP_MAP_DEVS, &ifindex);

	if (!x || !ifindex || x->ifindex != ifindex || !dev || dev->ifindex != ifindex ||
	    !(dev->flags & PP_DEV_VXLAN) || !(dev->flags & PP_DEV_NET))
		return 0;
	*vx = x;
	return ifindex;
}

#ifdef PP_CTX_SKB
/*
 * Set the tunnel key of what the program sends next: VNI vni, from this
 * host's VTEP (vx) to `to`.  0, or < 0: no key (a VTEP of the other family).
 */
static __always_inline int pp_tunnel_set(struct __sk_buff *ctx, __u32 vni, const struct pp_vtep *to,
					 const struct pp_vxlan *vx)
{
	struct bpf_tunnel_key k = { .tunnel_id = vni, .tunnel_ttl = 64 };
	__u64 flags = 0;
	__u32 a;
	int err;

	if (to->family != vx->family)
		return -1;
	if (to->family == PP_NEIGH_V4) {
		__builtin_memcpy(&a, to->addr, 4);
		k.remote_ipv4 = bpf_ntohl(a);
		__builtin_memcpy(&a, vx->local, 4);
		k.local_ipv4 = bpf_ntohl(a);
	} else {
		__builtin_memcpy(k.remote_ipv6, to->addr, 16);
		__builtin_memcpy(k.local_ipv6, vx->local, 16);
		flags = BPF_F_TUNINFO_IPV6;
	}
#ifdef PP_TEST
	pp_test_tun.present = 1;
	pp_test_tun.vni = vni;
	pp_test_tun.family = to->family;
	__builtin_memcpy(pp_test_tun.remote, to->addr, 16);
	__builtin_memcpy(pp_test_tun.local, vx->local, 16);
#endif
	err = bpf_skb_set_tunnel_key(ctx, &k, sizeof(k), flags);
	if (err)	/* a kernel before the source address (5.19): without it */
		err = bpf_skb_set_tunnel_key(ctx, &k, offsetof(struct bpf_tunnel_key, local_ipv4),
					     flags);
	return err;
}

/*
 * The tunnel key a decapsulated frame came with: its VNI and the VTEP it
 * came from (family and address, as pp_vteps keys them).  0, or < 0: none.
 */
static __always_inline int pp_tunnel_get(struct __sk_buff *ctx, __u32 *vni, struct pp_vtep *from)
{
	struct bpf_tunnel_key k = {};

#ifdef PP_TEST
	if (pp_test_tun_in.present) {
		*vni = pp_test_tun_in.vni;
		from->family = pp_test_tun_in.family;
		__builtin_memcpy(from->addr, pp_test_tun_in.remote, 16);
		return 0;
	}
#endif
	if (!bpf_skb_get_tunnel_key(ctx, &k, sizeof(k), 0)) {
		__u32 a = bpf_htonl(k.remote_ipv4);

		from->family = PP_NEIGH_V4;
		__builtin_memcpy(from->addr, &a, 4);
	} else if (!bpf_skb_get_tunnel_key(ctx, &k, sizeof(k), BPF_F_TUNINFO_IPV6)) {
		from->family = PP_NEIGH_V6;
		__builtin_memcpy(from->addr, k.remote_ipv6, 16);
	} else {
		return -1;
	}
	*vni = k.tunnel_id;
	return 0;
}

/*
 * One copy of a broadcast/multicast frame (untagged) to the i-th other host
 * with ports on network net_id, through the VXLAN device ifindex: its key
 * set, then (clone) a clone sent.  Without clone only the key is set: the
 * caller redirects the frame itself (the last copy).  0, or -1: no copy.
 *
 * A global function: the verifier checks it once, not once per iteration
 * of the loop over the hosts.
 */
__noinline int pp_vxlan_one(struct __sk_buff *ctx, __u32 net_id, __u32 i, __u32 ifindex, int clone)
{
	struct pp_rflood *fl = bpf_map_lookup_elem(&PP_MAP_RFLOOD, &net_id);
	struct pp_net *net = bpf_map_lookup_elem(&PP_MAP_NETS, &net_id);
	struct pp_vxlan *vx = NULL;

	if (!ctx || !fl || !net || i >= PP_RFLOOD_MAX || pp_vxlan_dev(net, &vx) != ifindex || !vx)
		return -1;
	/* bounded where it is used (the check above is on a copy) */
	asm volatile("" : "+r"(i));
	i &= PP_RFLOOD_MAX - 1;
	if (pp_tunnel_set(ctx, net->vni, &fl->vtep[i], vx))
		return -1;
	return clone ? ctx_clone_redirect(ctx, ifindex) : 0;
}

/*
 * A frame toward stretched network net_id with ntags tags: unicast to the
 * host of its destination, broadcast/multicast (untagged by then) to every
 * other host with ports on the network.  A verdict, or PP_ERR():
 * unknown_dst (no host has that MAC), no_target (no device, no other host).
 *
 * A global function, verified once: its callers (every way to a network)
 * are inlined many times over.
 */
__noinline int pp_to_vxlan(struct __sk_buff *ctx, __u32 net_id, __u32 ntags)
{
	struct pp_fdb_key k = { .net_id = net_id };
	struct pp_net *net = bpf_map_lookup_elem(&PP_MAP_NETS, &net_id);
	struct pp_vxlan *vx = NULL;
	struct pp_rflood *fl;
	struct pp_vtep *to;
	__u32 ifindex, i, n;
	int act;

	if (!ctx || !net || !net->vni)
		return PP_ERR(PP_DROP_NO_TARGET);
	ifindex = pp_vxlan_dev(net, &vx);
	if (!ifindex || !vx)
		return PP_ERR(PP_DROP_NO_TARGET);
	if (ctx_load_bytes(ctx, 0, k.mac, ETH_ALEN))
		return PP_ERR(PP_DROP_MALFORMED);
	if (!pp_mac_is_mcast(k.mac)) {
		to = bpf_map_lookup_elem(&PP_MAP_REMOTE, &k);
		if (!to)
			return PP_ERR(PP_DROP_UNKNOWN_DST);
		if (pp_retag_net(ctx, ntags, 0))
			return PP_ERR(PP_DROP_MALFORMED);
		if (pp_tunnel_set(ctx, net->vni, to, vx))
			return PP_ERR(PP_DROP_NO_TARGET);
		act = bpf_redirect(ifindex, 0);
		return ctx_redirect_done(ctx, ifindex, act);
	}
	fl = bpf_map_lookup_elem(&PP_MAP_RFLOOD, &net_id);
	n = fl ? fl->count : 0;
	if (!n)
		return PP_ERR(PP_DROP_NO_TARGET);
	if (n > PP_RFLOOD_MAX)
		n = PP_RFLOOD_MAX;
	if (pp_retag_net(ctx, ntags, 0))
		return PP_ERR(PP_DROP_MALFORMED);
	for (i = 0; i + 1 < PP_RFLOOD_MAX; i++) {
		if (i + 1 >= n)
			break;
		pp_vxlan_one(ctx, net_id, i, ifindex, 1);
	}
	/* the last host gets the frame itself */
	if (pp_vxlan_one(ctx, net_id, n - 1, ifindex, 0))
		return CTX_ACT_DROP;	/* the copies before it were the delivery */
	act = bpf_redirect(ifindex, 0);
	return ctx_redirect_done(ctx, ifindex, act);
}

/*
 * The network of a frame decapsulated by the VXLAN device ifindex: its
 * VNI's, if the VNI is a stretched network's here and the frame comes from
 * a known host's VTEP.  Returns its id, or 0 with *reason and *blame (the
 * network to count the drop on) set.
 */
static __always_inline __u32 pp_vxlan_net(struct __sk_buff *ctx, __u32 ifindex, __u32 *reason,
					  __u32 *blame)
{
	struct pp_vtep from = {};
	struct pp_net *net;
	__u32 vni = 0, net_id, *id;

	*blame = 0;
	if (pp_tunnel_get(ctx, &vni, &from)) {
		*reason = PP_DROP_UNKNOWN_VTEP;	/* no tunnel key: not from the tunnel */
		return 0;
	}
	id = bpf_map_lookup_elem(&PP_MAP_VNIS, &vni);
	net_id = id ? *id : 0;
	net = net_id ? bpf_map_lookup_elem(&PP_MAP_NETS, &net_id) : NULL;
	if (!net || net->vni != vni || net->ifindex != ifindex) {
		*reason = PP_DROP_UNKNOWN_PORT;
		return 0;
	}
	*blame = net_id;
	if (!bpf_map_lookup_elem(&PP_MAP_VTEPS, &from)) {
		*reason = PP_DROP_UNKNOWN_VTEP;
		return 0;
	}
	return net_id;
}
#endif /* PP_CTX_SKB */

#endif /* PP_BPF_VXLAN_H */
