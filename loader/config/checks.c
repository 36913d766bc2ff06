// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the checks between objects. Each object is
 * checked against what was defined before it as it is read (devices, taps,
 * VNIs, matches, MACs on an instance port's untagged wire, L3 domains'
 * tables and uplinks), so that a conflict is reported at the later
 * definition, and a stretched network against the host (its VTEP, the
 * underlay's MTU: pp_config_set_host); then,
 * once every file is read, what a service port binds (its network exists
 * and fits, MACs and addresses are distinct on a network, what its
 * services need of it; its L3 domain exists, its addresses are in the
 * domain's subnets and distinct in it) and that no network has the name of
 * an L3 domain.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Keys of the tables of struct ld (htab.c). Every struct is zeroed (padding
 * included) before it is filled: put_key copies it whole. */
struct devvlan_key {
	char device[PP_IFNAME_MAX + 1];
	uint16_t vlan;
};

struct match_key {
	uint32_t iport;
	uint16_t kind;
	uint16_t outer;
	uint16_t inner;
	uint8_t mac[PP_ETH_ALEN];
};

struct owner_mac_key {		/* (instance port | network, MAC) */
	uint32_t owner;
	uint8_t mac[PP_ETH_ALEN];
};

_Static_assert(sizeof(struct devvlan_key) <= HKEY_LEN, "key too large");
_Static_assert(sizeof(struct match_key) <= HKEY_LEN, "key too large");
_Static_assert(sizeof(struct owner_mac_key) <= HKEY_LEN, "key too large");

/* Put key struct s (len bytes) in table h for idx: htab_put's 0, or 1 with
 * *old the index that has it already, or -ENOMEM. */
static int put_key(struct htab *h, const void *s, size_t len, uint32_t idx, uint32_t *old)
{
	uint8_t key[HKEY_LEN] = { 0 };

	memcpy(key, s, len);
	return htab_put(h, key, idx, old);
}

/* An uplink as the value of ld->l3updev: (domain, uplink) */
#define UPLINK_VAL(d, u)	((d) * PP_L3_UPLINKS_MAX + (u))

/* "WHAT "DEV" OF "NAME" is the uplink of l3 domain "D" at FILE:L:C" */
static void err_uplink(struct ld *ld, const struct ynode *at, const char *what,
		       const char *dev, const char *of, const char *name, uint32_t val)
{
	const struct pp_cfg_l3domain *d = &ld->cfg->l3domains[val / PP_L3_UPLINKS_MAX];
	const struct pp_loc *l = &d->uplinks[val % PP_L3_UPLINKS_MAX].loc;

	err_node(ld, at, "%s \"%s\" %s \"%s\" is an uplink of l3 domain \"%s\" at %s:%u:%u",
		 what, dev, of, name, d->name, l->file, l->line, l->col);
}

/* A network's device is no instance port's tap, and one network per
 * (device, vlan). dev: its device's value; vlan: its vlan's, or NULL.
 * Returns 0 or -ENOMEM. */
int check_net_device(struct ld *ld, const struct pp_cfg_network *net,
		     uint32_t idx, const struct ynode *dev,
		     const struct ynode *vlan)
{
	struct devvlan_key dk = { 0 };
	uint8_t key[HKEY_LEN];
	uint32_t old;
	int r;

	str_key(key, net->device, strlen(net->device));
	if (htab_get(&ld->tap, key, &old))
		err_node(ld, dev, "device \"%s\" of network \"%s\" is the tap of instance port \"%s\" at " XF,
			 net->device, net->name,
			 ld->cfg->iports[old].name,
			 XA(ld, ld->ip_aux[old].name));
	else if (htab_get(&ld->l3updev, key, &old))
		err_uplink(ld, dev, "device", net->device, "of network", net->name, old);
	if (htab_put(&ld->netdev, key, idx, NULL) < 0)
		return -ENOMEM;

	memcpy(dk.device, net->device, sizeof(dk.device));
	dk.vlan = net->vlan;
	r = put_key(&ld->netdev_vlan, &dk, sizeof(dk), idx, &old);
	if (r < 0)
		return -ENOMEM;
	if (r == 1 && vlan)
		err_node(ld, vlan, "device \"%s\" vlan %u is already used by network \"%s\" at " XF,
			 net->device, net->vlan,
			 ld->cfg->networks[old].name,
			 XA(ld, ld->net_aux[old].name));
	else if (r == 1)
		err_node(ld, dev, "device \"%s\" (untagged) is already used by network \"%s\" at " XF,
			 net->device, ld->cfg->networks[old].name,
			 XA(ld, ld->net_aux[old].name));
	return 0;
}

/* The host configurations are loaded for (config.h): set by polyportd
 * before its first load; unset, no host checks. */
static struct pp_config_host host;

void pp_config_set_host(const struct pp_config_host *h)
{
	host = *h;
}

void pp_config_get_host(struct pp_config_host *h)
{
	*h = host;
}

int check_net_vxlan(struct ld *ld, const struct pp_cfg_network *net, uint32_t idx,
		    const struct ynode *vx, const struct ynode *vni,
		    const struct ynode *mtu, bool mtu_ok)
{
	bool v6 = host.vtep_family == PP_AF_INET6;
	uint32_t over = v6 ? PP_VXLAN_OVERHEAD6 : PP_VXLAN_OVERHEAD4;
	uint32_t old;
	int r;

	r = put_key(&ld->netvni, &net->vni, sizeof(net->vni), idx, &old);
	if (r < 0)
		return -ENOMEM;
	if (r == 1)
		err_node(ld, vni, "vni %u is already used by network \"%s\" at " XF,
			 net->vni, ld->cfg->networks[old].name,
			 XA(ld, ld->net_aux[old].name));
	if (!host.set)
		return 0;
	if (host.vtep_family == PP_AF_NONE) {
		err_node(ld, vx, "network \"%s\" is stretched over VXLAN (vni %u) but polyportd runs without --vtep",
			 net->name, net->vni);
		return 0;
	}
	/* the underlay's MTU unknown (0): no check */
	if (mtu_ok && host.underlay_mtu && net->mtu + over > host.underlay_mtu)
		err_node(ld, mtu ? mtu : vx, "network \"%s\": mtu %u does not fit the VXLAN underlay (its device's mtu %u minus %u bytes over %s: at most %u)",
			 net->name, net->mtu, host.underlay_mtu, over, v6 ? "IPv6" : "IPv4",
			 host.underlay_mtu > over ? host.underlay_mtu - over : 0);
	return 0;
}

/* An instance port's tap belongs to it alone, and is no network's device.
 * dev: its device's value. Returns 0 or -ENOMEM. */
int check_iport_tap(struct ld *ld, const struct pp_cfg_iport *ip, uint32_t idx,
		    const struct ynode *dev)
{
	uint8_t key[HKEY_LEN];
	uint32_t old;
	int r;

	str_key(key, ip->device, strlen(ip->device));
	r = htab_put(&ld->tap, key, idx, &old);
	if (r < 0)
		return -ENOMEM;
	if (r == 1)
		err_node(ld, dev, "tap \"%s\" is already claimed by instance port \"%s\" at " XF,
			 ip->device, ld->cfg->iports[old].name,
			 XA(ld, ld->ip_aux[old].name));
	else if (htab_get(&ld->netdev, key, &old))
		err_node(ld, dev, "tap \"%s\" is the device of network \"%s\" at " XF,
			 ip->device, ld->cfg->networks[old].name,
			 XA(ld, ld->net_aux[old].name));
	else if (htab_get(&ld->l3updev, key, &old))
		err_uplink(ld, dev, "tap", ip->device, "of instance port", ip->name, old);
	return 0;
}

int check_iport_id(struct ld *ld, uint32_t idx, const struct ynode *idv)
{
	uint32_t old;
	int r = idtab_put(&ld->ip_by_id, ld->cfg, idx, &old);

	if (r < 0)
		return -ENOMEM;
	if (r == 1)
		err_node(ld, idv, "id \"%s\" is already the id of instance port \"%s\" at " XF,
			 ld->cfg->iports[idx].id, ld->cfg->iports[old].name,
			 XA(ld, ld->ip_aux[old].name));
	return 0;
}

_Static_assert((uint64_t)PP_MAX_NETWORKS * PP_L3_UPLINKS_MAX <= UINT32_MAX,
	       "UPLINK_VAL fits");

int check_l3domain(struct ld *ld, uint32_t idx, const struct ynode *table,
		   const struct ynode *const *updev)
{
	const struct pp_cfg_l3domain *d = &ld->cfg->l3domains[idx];
	uint32_t old;
	int r;

	if (table) {
		r = put_key(&ld->l3table, &d->table, sizeof(d->table), idx, &old);
		if (r < 0)
			return -ENOMEM;
		if (r == 1)
			err_node(ld, table, "table %u is already the table of l3 domain \"%s\" at " XF,
				 d->table, ld->cfg->l3domains[old].name,
				 XA(ld, ld->l3_aux[old].name));
	}
	for (uint32_t u = 0; u < d->n_uplinks; u++) {
		const char *dev = d->uplinks[u].device;
		uint8_t key[HKEY_LEN];

		str_key(key, dev, strlen(dev));
		r = htab_put(&ld->l3updev, key, UPLINK_VAL(idx, u), &old);
		if (r < 0)
			return -ENOMEM;
		if (r == 1)
			err_uplink(ld, updev[u], "uplink device", dev, "of l3 domain", d->name, old);
		else if (htab_get(&ld->netdev, key, &old))
			err_node(ld, updev[u], "uplink device \"%s\" of l3 domain \"%s\" is the device of network \"%s\" at " XF,
				 dev, d->name, ld->cfg->networks[old].name,
				 XA(ld, ld->net_aux[old].name));
		else if (htab_get(&ld->tap, key, &old))
			err_node(ld, updev[u], "uplink device \"%s\" of l3 domain \"%s\" is the tap of instance port \"%s\" at " XF,
				 dev, d->name, ld->cfg->iports[old].name,
				 XA(ld, ld->ip_aux[old].name));
	}
	return 0;
}

/* "vlan 100", "vlan [300, 10]", "untagged", "src-mac 52:54:00:00:00:09" */
static void match_desc(char *buf, size_t len, const struct pp_cfg_sport *sp)
{
	char m[PP_MAC_STRLEN];

	switch (sp->match) {
	case PP_MATCH_VLAN:
		snprintf(buf, len, "vlan %u", sp->outer_vid);
		break;
	case PP_MATCH_QINQ:
		snprintf(buf, len, "vlan [%u, %u]", sp->outer_vid, sp->inner_vid);
		break;
	case PP_MATCH_UNTAGGED:
		snprintf(buf, len, "untagged");
		break;
	case PP_MATCH_SRCMAC:
		pp_mac_format(sp->mac, m);
		snprintf(buf, len, "src-mac %s", m);
		break;
	case PP_MATCH_NONE:
		snprintf(buf, len, "nothing");
		break;
	}
}

/* Two service ports of one instance port may not match the same frames. */
void check_match(struct ld *ld, struct sport_parse *p, uint32_t idx)
{
	const struct pp_cfg_sport *sp = &p->sp;
	struct match_key mk = { 0 };
	struct owner_mac_key wk = { 0 };
	char desc[64], m[PP_MAC_STRLEN];
	uint32_t old;
	int r;

	mk.iport = sp->iport;
	mk.kind = (uint16_t)sp->match;
	mk.outer = sp->outer_vid;
	mk.inner = sp->inner_vid;
	if (sp->match == PP_MATCH_SRCMAC)
		memcpy(mk.mac, sp->mac, PP_ETH_ALEN);
	r = put_key(&ld->match, &mk, sizeof(mk), idx, &old);
	if (r < 0)
		return oom(ld);
	if (r == 1) {
		match_desc(desc, sizeof(desc), sp);
		err_node(ld, p->match_val, "%s is already matched by service port \"%s\" at " XF,
			 desc, ld->cfg->sports[old].name,
			 XA(ld, ld->sp_aux[old].name));
		return;
	}
	/* untagged and src-mac ports share the untagged wire: src-mac is
	 * tried first, so an untagged port whose MAC is another port's
	 * src-mac would never see its own frames */
	if ((sp->match != PP_MATCH_UNTAGGED && sp->match != PP_MATCH_SRCMAC) ||
	    p->aux.mac_from == MAC_UNKNOWN)
		return;
	wk.owner = sp->iport;
	memcpy(wk.mac, sp->mac, PP_ETH_ALEN);
	r = put_key(&ld->wire, &wk, sizeof(wk), idx, &old);
	if (r < 0)
		return oom(ld);
	if (r == 1) {
		/* an inherited MAC: show the untagged port's match */
		struct xloc at = p->aux.mac_from == MAC_INHERITED ?
			xloc_of(ld, p->match_val) : p->aux.mac;

		pp_mac_format(sp->mac, m);
		err_x(ld, at, "MAC %s of service port \"%s\" is already used on the untagged wire of instance port \"%s\" by service port \"%s\" at " XF,
		      m, sp->name, p->ipp->ip.name, ld->cfg->sports[old].name,
		      XA(ld, ld->sp_aux[old].name));
	}
}

struct netaddr_key {		/* (network, address) */
	uint32_t net;
	uint8_t family;
	uint8_t addr[16];
};

_Static_assert(sizeof(struct netaddr_key) <= HKEY_LEN, "key too large");

/* What the services of service port i, bound to network n, need of it. */
static void check_services(struct ld *ld, uint32_t i, uint32_t n)
{
	struct pp_config *cfg = ld->cfg;
	const struct pp_cfg_sport *sp = &cfg->sports[i];
	const struct sport_aux *ax = &ld->sp_aux[i];
	const struct pp_cfg_network *net = &cfg->networks[n];
	bool has4 = false;
	char s[64];

	/* an address names one port (or the gateway) of a network */
	for (uint32_t a = 0; a < sp->n_addrs; a++) {
		const struct pp_cfg_addr *ad = &sp->addrs[a];
		const struct pp_cfg_addr *gw = ad->family == PP_AF_INET ? &net->gw4 : &net->gw6;
		struct netaddr_key nk = { 0 };
		uint32_t old;
		int r;

		has4 |= ad->family == PP_AF_INET;
		pp_addr_format(ad, false, s, sizeof(s));
		if (gw->family && !memcmp(gw->addr, ad->addr, 16)) {
			err_x(ld, ax->addr[a], "address %s of service port \"%s\" is the gateway of network \"%s\"",
			      s, sp->name, net->name);
			continue;
		}
		nk.net = n;
		nk.family = ad->family;
		memcpy(nk.addr, ad->addr, 16);
		r = put_key(&ld->netaddr, &nk, sizeof(nk), i, &old);
		if (r < 0)
			return oom(ld);
		if (r == 1)
			err_x(ld, ax->addr[a], "address %s of service port \"%s\" is already used on network \"%s\" by service port \"%s\" at " XF,
			      s, sp->name, net->name, cfg->sports[old].name,
			      XA(ld, ld->sp_aux[old].name));
	}
	if (!sp->dhcp)
		return;
	if (!net->gw4.family)
		err_x(ld, ax->dhcp, "dhcp on service port \"%s\" needs a gateway ipv4 on network \"%s\"",
		      sp->name, net->name);
	if (!has4)
		err_x(ld, ax->dhcp, "dhcp on service port \"%s\" needs an IPv4 address in its addresses",
		      sp->name);
}

/* Service port i, bound to a network (ax->net_name). */
static void check_net_binding(struct ld *ld, uint32_t i)
{
	struct pp_config *cfg = ld->cfg;
	struct pp_cfg_sport *sp = &cfg->sports[i];
	const struct sport_aux *ax = &ld->sp_aux[i];
	const struct pp_cfg_iport *ip = &cfg->iports[sp->iport];
	const struct pp_cfg_network *net;
	struct owner_mac_key nk = { 0 };
	uint8_t key[HKEY_LEN];
	uint32_t n, old;
	char m[PP_MAC_STRLEN], inh[96];
	int r;

	str_key(key, ax->net_name, strlen(ax->net_name));
	if (!htab_get(&ld->net_by_name, key, &n)) {
		if (!ld->nets_incomplete)
			err_x(ld, ax->net, "unknown network \"%s\"%s", ax->net_name,
			      htab_get(&ld->l3_by_name, key, &old) ?
			      " (an l3 domain has that name: bind it with l3: {domain: NAME})" : "");
		return;
	}
	sp->network = n;
	net = &cfg->networks[n];

	if (ld->net_aux[n].mtu_ok && ld->ip_aux[sp->iport].mtu_ok &&
	    net->mtu > ip->mtu)
		err_x(ld, ax->net, "network \"%s\" has MTU %u, more than the MTU %u of instance port \"%s\"",
		      net->name, net->mtu, ip->mtu, ip->name);

	check_services(ld, i, n);

	/* the destination MAC names one port of a network */
	if (ax->mac_from == MAC_UNKNOWN)
		return;
	nk.owner = n;
	memcpy(nk.mac, sp->mac, PP_ETH_ALEN);
	r = put_key(&ld->netmac, &nk, sizeof(nk), i, &old);
	if (r < 0)
		return oom(ld);
	if (r == 0)
		return;
	pp_mac_format(sp->mac, m);
	inh[0] = 0;
	if (ax->mac_from == MAC_INHERITED)
		snprintf(inh, sizeof(inh),
			 " (inherited from instance port \"%s\")",
			 ip->name);
	err_x(ld, ax->mac, "MAC %s of service port \"%s\"%s is already used on network \"%s\" by service port \"%s\" at " XF,
	      m, sp->name, inh, net->name, cfg->sports[old].name,
	      XA(ld, ld->sp_aux[old].name));
}

struct l3route_key {		/* (domain, prefix) */
	uint32_t dom;
	uint8_t family;
	uint8_t plen;
	uint8_t addr[16];
};

_Static_assert(sizeof(struct l3route_key) <= HKEY_LEN, "key too large");
_Static_assert((uint64_t)PP_MAX_SPORTS * PP_L3_PORT_ROUTES_MAX <= UINT32_MAX,
	       "(port, route) fits");

/* Address a (index ai) of L3 port i of domain dn: a host address of one
 * of the domain's subnets, with its /len, not the gateway, held by no
 * other port of the domain. (Uplink addresses are outside the subnets, so
 * a port's address is never one of them.) */
static void check_l3_addr(struct ld *ld, uint32_t i, uint32_t dn, uint32_t ai)
{
	struct pp_config *cfg = ld->cfg;
	const struct pp_cfg_sport *sp = &cfg->sports[i];
	const struct pp_cfg_l3domain *d = &cfg->l3domains[dn];
	const struct pp_cfg_addr *a = &sp->addrs[ai];
	struct xloc at = ld->sp_aux[i].addr[ai];
	const struct pp_cfg_l3subnet *sn = NULL;
	struct netaddr_key nk = { 0 };
	char s[64], c[64];
	const char *special;
	uint32_t old;
	int r;

	pp_addr_format(a, true, s, sizeof(s));
	/* the subnet of its host address, whatever its /len */
	for (uint32_t j = 0; j < d->n_subnets && !sn; j++)
		if (addr_in_prefix(a, &d->subnets[j].cidr))
			sn = &d->subnets[j];
	if (!sn) {
		if (!ld->l3_aux[dn].subnets_partial)
			err_x(ld, at, "address %s of service port \"%s\" is in no subnet of l3 domain \"%s\"",
			      s, sp->name, d->name);
		return;
	}
	pp_addr_format(&sn->cidr, true, c, sizeof(c));
	if (a->plen != sn->cidr.plen) {
		err_x(ld, at, "address %s of service port \"%s\" must have the /len of its subnet %s of l3 domain \"%s\"",
		      s, sp->name, c, d->name);
		return;
	}
	if (!memcmp(a->addr, sn->gateway.addr, 16)) {
		err_x(ld, at, "address %s of service port \"%s\" is the gateway of subnet %s of l3 domain \"%s\"",
		      s, sp->name, c, d->name);
		return;
	}
	special = subnet_special(a, &sn->cidr);
	if (special) {
		err_x(ld, at, "address %s of service port \"%s\" is the %s of subnet %s of l3 domain \"%s\"",
		      s, sp->name, special, c, d->name);
		return;
	}
	nk.net = dn;
	nk.family = a->family;
	memcpy(nk.addr, a->addr, 16);
	r = put_key(&ld->l3addr, &nk, sizeof(nk), i, &old);
	if (r < 0)
		return oom(ld);
	if (r == 1)
		err_x(ld, at, "address %s of service port \"%s\" is already used in l3 domain \"%s\" by service port \"%s\" at " XF,
		      s, sp->name, d->name, cfg->sports[old].name,
		      XA(ld, ld->sp_aux[old].name));
}

/* Route j of L3 port i of domain dn: a prefix of a family the port has an
 * address of, in the domain's table once (not a subnet, a static route of
 * the domain or another port's route). */
static void check_l3_port_route(struct ld *ld, uint32_t i, uint32_t dn, uint32_t j)
{
	struct pp_config *cfg = ld->cfg;
	const struct pp_cfg_sport *sp = &cfg->sports[i];
	const struct pp_cfg_l3domain *d = &cfg->l3domains[dn];
	const struct pp_cfg_addr *to = &sp->l3_routes[j].to;
	struct xloc at = ld->sp_aux[i].l3_route[j];
	struct l3route_key rk = { 0 };
	bool fam = false;
	uint32_t old;
	char t[64];
	int r;

	pp_addr_format(to, true, t, sizeof(t));
	for (uint32_t a = 0; a < sp->n_addrs; a++)
		fam |= sp->addrs[a].family == to->family;
	if (!fam) {
		err_x(ld, at, "route to %s of service port \"%s\" is %s, and the port has no %s address",
		      t, sp->name, to->family == PP_AF_INET ? "IPv4" : "IPv6",
		      to->family == PP_AF_INET ? "IPv4" : "IPv6");
		return;
	}
	for (uint32_t k = 0; k < d->n_subnets; k++) {
		const struct pp_cfg_addr *c = &d->subnets[k].cidr;
		const struct pp_loc *l = &d->subnets[k].loc;

		if (c->family == to->family && c->plen == to->plen &&
		    !memcmp(c->addr, to->addr, 16)) {
			err_x(ld, at, "route to %s of service port \"%s\" is a subnet of l3 domain \"%s\" at %s:%u:%u",
			      t, sp->name, d->name, l->file, l->line, l->col);
			return;
		}
	}
	for (uint32_t k = 0; k < d->n_routes; k++) {
		const struct pp_cfg_addr *c = &d->routes[k].to;
		const struct pp_loc *l = &d->routes[k].loc;

		if (c->family == to->family && c->plen == to->plen &&
		    !memcmp(c->addr, to->addr, 16)) {
			err_x(ld, at, "route to %s of service port \"%s\" is already a route of l3 domain \"%s\" at %s:%u:%u",
			      t, sp->name, d->name, l->file, l->line, l->col);
			return;
		}
	}
	rk.dom = dn;
	rk.family = to->family;
	rk.plen = to->plen;
	memcpy(rk.addr, to->addr, 16);
	r = put_key(&ld->l3route, &rk, sizeof(rk), i * PP_L3_PORT_ROUTES_MAX + j, &old);
	if (r < 0)
		return oom(ld);
	if (r == 1)
		err_x(ld, at, "route to %s of service port \"%s\" is already routed to service port \"%s\" at " XF,
		      t, sp->name, cfg->sports[old / PP_L3_PORT_ROUTES_MAX].name,
		      XA(ld, ld->sp_aux[old / PP_L3_PORT_ROUTES_MAX].l3_route[old % PP_L3_PORT_ROUTES_MAX]));
}

/* Service port i, bound to an L3 domain (ax->l3_name). */
static void check_l3_binding(struct ld *ld, uint32_t i)
{
	struct pp_config *cfg = ld->cfg;
	struct pp_cfg_sport *sp = &cfg->sports[i];
	const struct sport_aux *ax = &ld->sp_aux[i];
	uint8_t key[HKEY_LEN];
	bool has4 = false;
	uint32_t dn, old;

	str_key(key, ax->l3_name, strlen(ax->l3_name));
	if (!htab_get(&ld->l3_by_name, key, &dn)) {
		if (!ld->l3_incomplete)
			err_x(ld, ax->l3_dom, "unknown l3 domain \"%s\"%s", ax->l3_name,
			      htab_get(&ld->net_by_name, key, &old) ?
			      " (a network has that name: bind it with network: NAME)" : "");
		return;
	}
	sp->l3domain = dn;
	if (!sp->n_addrs) {
		err_x(ld, ax->l3, "service port \"%s\" is bound to l3 domain \"%s\" and has no addresses (it needs one in a subnet of the domain)",
		      sp->name, cfg->l3domains[dn].name);
		return;
	}
	for (uint32_t a = 0; a < sp->n_addrs && !ld->fatal; a++) {
		has4 |= sp->addrs[a].family == PP_AF_INET;
		check_l3_addr(ld, i, dn, a);
	}
	for (uint32_t j = 0; j < sp->n_l3_routes && !ld->fatal; j++)
		check_l3_port_route(ld, i, dn, j);
	/* the router option is the subnet's gateway: there is always one */
	if (sp->dhcp && !has4)
		err_x(ld, ax->dhcp, "dhcp on service port \"%s\" needs an IPv4 address in its addresses",
		      sp->name);
}

static bool xloc_before(struct xloc a, struct xloc b)
{
	if (a.fidx != b.fidx)
		return a.fidx < b.fidx;
	return a.line < b.line || (a.line == b.line && a.col < b.col);
}

/* Networks and L3 domains share the dataplane's ids, and one namespace of
 * names: reported at the later of the two names. */
static void check_l3_names(struct ld *ld)
{
	const struct pp_config *cfg = ld->cfg;

	for (uint32_t i = 0; i < cfg->n_l3domains; i++) {
		const char *name = cfg->l3domains[i].name;
		struct xloc dl = ld->l3_aux[i].name, nl;
		uint8_t key[HKEY_LEN];
		uint32_t n;

		str_key(key, name, strlen(name));
		if (!htab_get(&ld->net_by_name, key, &n))
			continue;
		nl = ld->net_aux[n].name;
		if (xloc_before(nl, dl))
			err_x(ld, dl, "l3 domain \"%s\" has the name of network \"%s\" at " XF " (networks and l3 domains share one namespace)",
			      name, name, XA(ld, nl));
		else
			err_x(ld, nl, "network \"%s\" has the name of l3 domain \"%s\" at " XF " (networks and l3 domains share one namespace)",
			      name, name, XA(ld, dl));
	}
}

void check_bindings(struct ld *ld)
{
	check_l3_names(ld);
	check_chain_names(ld);
	for (uint32_t i = 0; i < ld->cfg->n_sports && !ld->fatal; i++) {
		const struct sport_aux *ax = &ld->sp_aux[i];

		/* neither: reported already, or a hop port (check_chains) */
		if (ax->has_net)
			check_net_binding(ld, i);
		else if (ax->has_l3)
			check_l3_binding(ld, i);
	}
	/* after the networks: a chain's sources are ports of its network */
	if (!ld->fatal)
		check_chains(ld);
}
