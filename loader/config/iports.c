// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: the schema of an instance port
 * (instance-ports: NAME: {device, id, mac, mtu, mode, service-ports}), read
 * into the model; its nested service ports are read by sports.c.
 */
#include "internal.h"

#include <string.h>

static const struct xloc *iport_prior(const struct ld *ld, uint32_t i)
{
	return &ld->ip_aux[i].name;
}

/* A quoted "": how the API writes a device or an id that is not set. */
static bool empty_string(const struct ynode *v)
{
	return v->type == Y_SCALAR && !v->len && !v->plain;
}

static void h_ip_device(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct iport_parse *ipp = obj;

	(void)k;
	if (empty_string(v))
		ipp->dev_none = true;
	else if (parse_ifname_node(ld, v, "device", ipp->ip.device))
		ipp->dev = v;
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

/* id: what a compute service calls the port (a Neutron port UUID fits);
 * it also names the taps whose alias is PP_IPORT_ALIAS_PREFIX id. */
static void h_ip_id(struct ld *ld, void *obj, const struct ynode *k,
		    const struct ynode *v)
{
	struct iport_parse *ipp = obj;
	struct qbuf qb;
	size_t i;

	(void)k;
	if (empty_string(v)) {
		ipp->id_none = true;
		return;
	}
	for (i = 0; i < v->len && id_char(v->str[i]); i++)
		;
	if (i < v->len || v->len > PP_IPORT_ID_MAX) {
		err_node(ld, v, "invalid instance port id %s (1-%d of A-Z a-z 0-9 . _ : -)",
			 quote(&qb, v->str, v->len), PP_IPORT_ID_MAX);
		return;
	}
	memcpy(ipp->ip.id, v->str, v->len);
	ipp->ip.id[v->len] = 0;
	ipp->idv = v;
}

static void h_ip_mac(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct iport_parse *ipp = obj;

	(void)k;
	ipp->aux.mac_ok = parse_mac_node(ld, v, "mac", ipp->ip.mac);
}

static void h_ip_mtu(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct iport_parse *ipp = obj;

	(void)k;
	ipp->aux.mtu_ok = parse_uint_node(ld, v, "mtu", PP_MTU_MIN, PP_MTU_MAX,
					  &ipp->ip.mtu);
}

static void h_ip_mode(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct iport_parse *ipp = obj;
	struct qbuf qb;

	(void)k;
	for (enum pp_mode m = PP_MODE_AUTO; m <= PP_MODE_XDP; m++) {
		if (key_is(v, pp_mode_name(m))) {	/* the names of loader/mode.h */
			ipp->ip.mode = m;
			return;
		}
	}
	err_node(ld, v, "mode must be one of auto, tc, xdp, got %s",
		 node_desc(&qb, v));
}

static void h_ip_sports(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct iport_parse *ipp = obj;

	(void)k;
	ipp->ip.sport_first = ld->cfg->n_sports;
	walk_named(ld, v, "service-ports", parse_sport, ipp);
	ipp->ip.sport_count = ld->cfg->n_sports - ipp->ip.sport_first;
}

/* Table order is processing order: service ports come after what they
 * inherit (mac). */
static const struct keydef iport_keys[] = {
#define IK_DEVICE 0
	{ "device", KT_SCALAR, "an interface name", h_ip_device },
#define IK_ID 1
	{ "id", KT_SCALAR, "a string of 1-64 A-Z a-z 0-9 . _ : -", h_ip_id },
#define IK_MAC 2
	{ "mac", KT_SCALAR, "a MAC address", h_ip_mac },
	{ "mtu", KT_SCALAR, "an integer 68-65535", h_ip_mtu },
	{ "mode", KT_SCALAR, "one of auto, tc, xdp", h_ip_mode },
	{ "service-ports", KT_MAP, "a mapping of service port names",
	  h_ip_sports },
};

_Static_assert(ARRAY_SIZE(iport_keys) <= MAX_KEYS, "raise MAX_KEYS");
_Static_assert(PP_IPORT_ID_MAX == 64, "the id's description in iport_keys");

static void parse_iport(struct ld *ld, void *parent, const struct ynode *k,
			const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(iport_keys)];
	struct iport_parse ipp = { .ctx = { "", "instance port", k } };
	struct ctxbuf cb;

	(void)parent;
	ipp.idx = ld->cfg->n_iports;
	ipp.ip.mtu = PP_MTU_DEFAULT;
	ipp.ip.mode = PP_MODE_AUTO;
	ipp.ip.sport_first = ld->cfg->n_sports;
	ipp.aux.mtu_ok = true;
	ipp.aux.name = xloc_of(ld, k);
	ipp.ip.loc = pp_loc_of(ld, k);

	ipp.keep = check_name(ld, k, "instance port");
	if (!ipp.keep)
		ld->iports_incomplete = true;
	ipp.keep = ipp.keep &&
		   register_name(ld, k, "instance port", &ld->ip_by_name,
				 ipp.idx, iport_prior);
	if (ipp.keep)
		memcpy(ipp.ip.name, k->str, k->len);
	if (check_body(ld, v, &ipp.ctx)) {
		walk_keys(ld, v, iport_keys, ARRAY_SIZE(iport_keys), &ipp,
			  &ipp.ctx, found);
		/* a device, an id, or both (an invalid one was reported) */
		if ((!found[IK_DEVICE] || ipp.dev_none) && (!found[IK_ID] || ipp.id_none))
			err_node(ld, k, "%s has neither device nor id", ctx_str(&cb, &ipp.ctx));
		if (!found[IK_MAC])
			err_node(ld, k, "%s has no mac", ctx_str(&cb, &ipp.ctx));
	}
	if (!ipp.keep || ld->fatal)
		return;

	if (ipp.dev && check_iport_tap(ld, &ipp.ip, ipp.idx, ipp.dev))
		return oom(ld);

	if (ipp.idx == PP_MAX_IPORTS && !ld->too_many_iports) {
		ld->too_many_iports = true;
		err_node(ld, k, "too many instance ports (limit %d)",
			 PP_MAX_IPORTS);
	}
	if (GROW2(ld->cfg->iports, ld->ip_aux, ipp.idx, ld->cap_iports))
		return oom(ld);
	ld->cfg->iports[ipp.idx] = ipp.ip;
	ld->ip_aux[ipp.idx] = ipp.aux;
	ld->cfg->n_iports++;
	/* stored first: the table of ids reads it there */
	if (ipp.idv && check_iport_id(ld, ipp.idx, ipp.idv))
		oom(ld);
}

/* instance-ports: of a file (a row of top_keys, load.c) */
void h_iports(struct ld *ld, void *obj, const struct ynode *k,
	      const struct ynode *v)
{
	(void)obj;
	(void)k;
	walk_named(ld, v, "instance-ports", parse_iport, NULL);
}
