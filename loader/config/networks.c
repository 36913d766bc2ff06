// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the schema of a network (networks: NAME:
 * {device | vxlan: {vni}, mtu, vlan, gateway: {ipv4, ipv6, mac}}), read
 * into the model.
 */
#include "internal.h"

#include <string.h>

static const struct xloc *net_prior(const struct ld *ld, uint32_t i)
{
	return &ld->net_aux[i].name;
}

struct net_parse {
	struct pp_cfg_network net;
	struct net_aux aux;
	const struct ynode *dev;	/* device value, when valid */
	const struct ynode *vlan;	/* vlan value, when present */
	bool vlan_ok;
	const struct ynode *vni;	/* vxlan.vni value, when valid */
	const struct ynode *name;	/* its name (key) */
};

static void h_net_device(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	if (parse_ifname_node(ld, v, "device", np->net.device))
		np->dev = v;
}

static void h_net_mtu(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	np->aux.mtu_ok = parse_uint_node(ld, v, "mtu", PP_MTU_MIN, PP_MTU_MAX,
					 &np->net.mtu);
}

static void h_net_vlan(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct net_parse *np = obj;
	uint32_t vid;

	(void)k;
	np->vlan = v;
	np->vlan_ok = parse_uint_node(ld, v, "vlan", PP_VID_MIN, PP_VID_MAX, &vid);
	if (np->vlan_ok)
		np->net.vlan = (uint16_t)vid;
}

static void h_gw_ipv4(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	parse_addr_node(ld, v, "gateway ipv4", true, false, PP_AF_INET, &np->net.gw4);
}

static void h_gw_ipv6(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	parse_addr_node(ld, v, "gateway ipv6", true, false, PP_AF_INET6, &np->net.gw6);
}

static void h_gw_mac(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	np->net.gw_mac_explicit = parse_mac_node(ld, v, "gateway mac", np->net.gw_mac);
}

static void h_vxlan_vni(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	if (parse_uint_node(ld, v, "vni", 1, PP_VNI_MAX, &np->net.vni))
		np->vni = v;
}

static const struct keydef vxlan_keys[] = {
	{ "vni", KT_SCALAR, "an integer 1-16777215", h_vxlan_vni },
};

/* vxlan: {vni: N}: stretched over polyportd's VXLAN device (issue 20) */
static void h_net_vxlan(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(vxlan_keys)];
	struct net_parse *np = obj;
	struct ctx ctx = { "vxlan of ", "network", np->name };
	struct ctxbuf cb;

	walk_keys(ld, v, vxlan_keys, ARRAY_SIZE(vxlan_keys), np, &ctx, found);
	if (!found[0])
		err_node(ld, k, "%s has no vni", ctx_str(&cb, &ctx));
}

static const struct keydef gw_keys[] = {
	{ "ipv4", KT_SCALAR, "an IPv4 address", h_gw_ipv4 },
	{ "ipv6", KT_SCALAR, "an IPv6 address", h_gw_ipv6 },
	{ "mac", KT_SCALAR, "a MAC address", h_gw_mac },
};

static void h_net_gateway(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(gw_keys)];
	struct net_parse *np = obj;
	struct ctx ctx = { "gateway of ", "network", np->name };
	struct ctxbuf cb;

	np->net.has_gateway = true;
	walk_keys(ld, v, gw_keys, ARRAY_SIZE(gw_keys), np, &ctx, found);
	if (!found[0] && !found[1])
		err_node(ld, k, "%s has neither ipv4 nor ipv6", ctx_str(&cb, &ctx));
}

static const struct keydef net_keys[] = {
#define NK_DEVICE 0
#define NK_VXLAN 1
#define NK_MTU 2
#define NK_VLAN 3
	{ "device", KT_SCALAR, "an interface name", h_net_device },
	{ "vxlan", KT_MAP, "a mapping (vni)", h_net_vxlan },
	{ "mtu", KT_SCALAR, "an integer 68-65535", h_net_mtu },
	{ "vlan", KT_SCALAR, "an integer 1-4094", h_net_vlan },
	{ "gateway", KT_MAP, "a mapping (ipv4, ipv6, mac)", h_net_gateway },
};

static const struct ynode *later(const struct ynode *a, const struct ynode *b)
{
	return a->line > b->line || (a->line == b->line && a->col > b->col) ? a : b;
}

/* A network is on a device (with its vlan) or stretched over VXLAN
 * (untagged in its VNI): exactly one of the two. */
static void check_net_kind(struct ld *ld, const struct ynode *const *found,
			   const struct ctx *ctx)
{
	const struct ynode *dev = found[NK_DEVICE], *vx = found[NK_VXLAN];
	struct ctxbuf cb;

	if (dev && vx)
		err_node(ld, later(dev, vx), "%s has both device and vxlan", ctx_str(&cb, ctx));
	else if (!dev && !vx)
		err_node(ld, ctx->name, "%s has neither device nor vxlan", ctx_str(&cb, ctx));
	if (vx && found[NK_VLAN])
		err_node(ld, found[NK_VLAN], "%s has both vlan and vxlan (a stretched network is untagged in its VNI)",
			 ctx_str(&cb, ctx));
}

_Static_assert(ARRAY_SIZE(net_keys) <= MAX_KEYS, "raise MAX_KEYS");

static void parse_network(struct ld *ld, void *parent, const struct ynode *k,
			  const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(net_keys)] = { 0 };
	struct net_parse np = { 0 };
	uint32_t idx = ld->cfg->n_networks;
	struct ctx ctx = { "", "network", k };
	bool keep, body_ok;

	(void)parent;
	np.net.mtu = PP_MTU_DEFAULT;
	np.aux.mtu_ok = true;
	np.name = k;
	np.aux.name = xloc_of(ld, k);
	np.net.loc = pp_loc_of(ld, k);
	keep = check_name(ld, k, "network");
	if (!keep)
		ld->nets_incomplete = true;
	keep = keep && register_name(ld, k, "network", &ld->net_by_name, idx,
				     net_prior);
	body_ok = check_body(ld, v, &ctx);
	if (body_ok) {
		walk_keys(ld, v, net_keys, ARRAY_SIZE(net_keys), &np, &ctx, found);
		check_net_kind(ld, found, &ctx);
	}
	if (!keep)
		return;
	memcpy(np.net.name, k->str, k->len);
	if (np.net.has_gateway && !np.net.gw_mac_explicit)
		pp_gateway_mac(np.net.name, np.net.gw_mac);

	if (np.dev && (!np.vlan || np.vlan_ok) &&
	    check_net_device(ld, &np.net, idx, np.dev, np.vlan))
		return oom(ld);
	if (np.vni && check_net_vxlan(ld, &np.net, idx, found[NK_VXLAN], np.vni,
				      found[NK_MTU], np.aux.mtu_ok))
		return oom(ld);

	if (idx == PP_MAX_NETWORKS && !ld->too_many_nets) {
		ld->too_many_nets = true;
		err_node(ld, k, "too many networks (limit %d)", PP_MAX_NETWORKS);
	}
	if (GROW2(ld->cfg->networks, ld->net_aux, idx, ld->cap_nets))
		return oom(ld);
	ld->cfg->networks[idx] = np.net;
	ld->net_aux[idx] = np.aux;
	ld->cfg->n_networks++;
}

/* networks: of a file (a row of top_keys, load.c) */
void h_networks(struct ld *ld, void *obj, const struct ynode *k,
		const struct ynode *v)
{
	(void)obj;
	(void)k;
	walk_named(ld, v, "networks", parse_network, NULL);
}
