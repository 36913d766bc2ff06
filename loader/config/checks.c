// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the checks between objects. Each object is
 * checked against what was defined before it as it is read (devices, taps,
 * matches, MACs on an instance port's untagged wire), so that a conflict
 * is reported at the later definition; then, once every file is read, what
 * a service port binds (its network exists and fits, MACs and addresses
 * are distinct on a network, what its services need of it).
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

void check_bindings(struct ld *ld)
{
	struct pp_config *cfg = ld->cfg;

	for (uint32_t i = 0; i < cfg->n_sports && !ld->fatal; i++) {
		struct pp_cfg_sport *sp = &cfg->sports[i];
		const struct sport_aux *ax = &ld->sp_aux[i];
		const struct pp_cfg_iport *ip = &cfg->iports[sp->iport];
		const struct pp_cfg_network *net;
		struct owner_mac_key nk = { 0 };
		uint8_t key[HKEY_LEN];
		uint32_t n, old;
		char m[PP_MAC_STRLEN], inh[96];
		int r;

		if (!ax->has_net)
			continue;	/* reported already */
		str_key(key, ax->net_name, strlen(ax->net_name));
		if (!htab_get(&ld->net_by_name, key, &n)) {
			if (!ld->nets_incomplete)
				err_x(ld, ax->net, "unknown network \"%s\"",
				      ax->net_name);
			continue;
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
			continue;
		nk.owner = n;
		memcpy(nk.mac, sp->mac, PP_ETH_ALEN);
		r = put_key(&ld->netmac, &nk, sizeof(nk), i, &old);
		if (r < 0)
			return oom(ld);
		if (r == 0)
			continue;
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
}
