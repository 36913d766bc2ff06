// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The daemon's state: names, statuses, their JSON, counters (see daemon.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "daemon.h"

/* ---- names: (kind, name) <-> id, mirrored from pp_names ------------------- */

#define NKINDS 4	/* index by enum pp_name_kind (1..3) */

struct name_ent {
	__u32 kind;	/* 0: empty slot */
	__u32 id;
	char name[PP_NAME_LEN];
};

struct pp_names {
	struct name_ent *tab;		/* open addressing */
	size_t cap, n;
	char (*by_id[NKINDS])[PP_NAME_LEN];	/* id -> name ("" = free) */
	__u32 max_id[NKINDS];		/* ids are 1 .. max_id-1 */
	__u32 cursor[NKINDS];		/* next id to try: freed ids rest a while */
};

size_t pp_name_hash(__u32 kind, const char *name)
{
	size_t h = 2166136261u ^ kind;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static struct name_ent *names_slot(const struct pp_names *nm, __u32 kind, const char *name)
{
	size_t i = pp_name_hash(kind, name) & (nm->cap - 1);

	for (;; i = (i + 1) & (nm->cap - 1)) {
		struct name_ent *e = &nm->tab[i];

		if (!e->kind || (e->kind == kind && !strcmp(e->name, name)))
			return e;
	}
}

static __u32 names_get(const struct pp_names *nm, __u32 kind, const char *name)
{
	struct name_ent *e = names_slot(nm, kind, name);

	return e->kind ? e->id : 0;
}

static int names_grow(struct pp_names *nm)
{
	struct name_ent *old = nm->tab;
	size_t ocap = nm->cap;

	nm->cap = ocap ? ocap * 2 : 1024;
	nm->tab = calloc(nm->cap, sizeof(*nm->tab));
	if (!nm->tab) {
		nm->tab = old;
		nm->cap = ocap;
		return -ENOMEM;
	}
	for (size_t i = 0; i < ocap; i++)
		if (old[i].kind)
			*names_slot(nm, old[i].kind, old[i].name) = old[i];
	free(old);
	return 0;
}

static int names_set(struct pp_names *nm, __u32 kind, const char *name, __u32 id)
{
	struct name_ent *e;

	if ((nm->n + 1) * 2 > nm->cap && names_grow(nm))
		return -ENOMEM;
	e = names_slot(nm, kind, name);
	if (!e->kind)
		nm->n++;
	else if (e->id != id)
		nm->by_id[kind][e->id][0] = 0;	/* the name moved to a new id */
	e->kind = kind;
	e->id = id;
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(nm->by_id[kind][id], PP_NAME_LEN, "%s", name);
	return 0;
}

/* Remove (kind, name), keeping the probe chains intact (backward shift). */
static void names_del(struct pp_names *nm, __u32 kind, const char *name)
{
	struct name_ent *e = names_slot(nm, kind, name);
	size_t i, j;

	if (!e->kind)
		return;
	nm->by_id[kind][e->id][0] = 0;
	i = e - nm->tab;
	memset(e, 0, sizeof(*e));
	nm->n--;
	for (j = (i + 1) & (nm->cap - 1); nm->tab[j].kind; j = (j + 1) & (nm->cap - 1)) {
		struct name_ent t = nm->tab[j];

		memset(&nm->tab[j], 0, sizeof(t));
		*names_slot(nm, t.kind, t.name) = t;
	}
}

/* A free id of kind: after the last one given, so a freed id rests a while. */
static __u32 names_alloc(struct pp_names *nm, __u32 kind)
{
	__u32 max = nm->max_id[kind];

	for (__u32 n = 1; n < max; n++) {
		__u32 id = nm->cursor[kind];

		nm->cursor[kind] = id + 1 >= max ? 1 : id + 1;
		if (id && !nm->by_id[kind][id][0])
			return id;
	}
	return 0;
}

static void names_free(struct pp_names *nm)
{
	if (!nm)
		return;
	for (int k = 0; k < NKINDS; k++)
		free(nm->by_id[k]);
	free(nm->tab);
	free(nm);
}

static int names_load_one(const void *key, const void *val, void *arg)
{
	const struct pp_name_key *k = key;
	const struct pp_name_val *v = val;
	struct pp_names *nm = arg;
	char name[PP_NAME_LEN];

	if (k->kind < PP_NAME_NET || k->kind > PP_NAME_SPORT || !v->id ||
	    v->id >= nm->max_id[k->kind])
		return 0;	/* not ours to understand: left alone */
	memcpy(name, k->name, sizeof(name));
	name[PP_NAME_LEN - 1] = 0;
	return names_set(nm, k->kind, name, v->id);
}

static struct pp_names *names_load(const struct pp_maps *m)
{
	struct pp_names *nm = calloc(1, sizeof(*nm));

	if (!nm)
		return NULL;
	nm->max_id[PP_NAME_NET] = m->max_entries[PPM_NETS];
	nm->max_id[PP_NAME_IPORT] = m->max_entries[PPM_IPORTS];
	nm->max_id[PP_NAME_SPORT] = m->max_entries[PPM_SPORTS];
	for (int k = PP_NAME_NET; k <= PP_NAME_SPORT; k++) {
		nm->by_id[k] = calloc(nm->max_id[k], PP_NAME_LEN);
		nm->cursor[k] = 1;
		if (!nm->by_id[k])
			goto fail;
	}
	if (names_grow(nm) || pp_map_iter(m, PPM_NAMES, names_load_one, nm))
		goto fail;
	for (int k = PP_NAME_NET; k <= PP_NAME_SPORT; k++)	/* continue after the last */
		for (__u32 id = nm->max_id[k] - 1; id > 0; id--)
			if (nm->by_id[k][id][0]) {
				nm->cursor[k] = id + 1 < nm->max_id[k] ? id + 1 : 1;
				break;
			}
	return nm;
fail:
	names_free(nm);
	return NULL;
}

static struct pp_name_key name_key(__u32 kind, const char *name)
{
	struct pp_name_key k = { .kind = kind };

	snprintf(k.name, sizeof(k.name), "%s", name);
	return k;
}

__u32 pp_daemon_name_id(const struct pp_daemon *d, __u32 kind, const char *name)
{
	return d->names ? names_get(d->names, kind, name) : 0;
}

const char *pp_daemon_id_name(const struct pp_daemon *d, __u32 kind, __u32 id)
{
	const struct pp_names *nm = d->names;

	if (!nm || kind < PP_NAME_NET || kind > PP_NAME_SPORT || !id || id >= nm->max_id[kind] ||
	    !nm->by_id[kind][id][0])
		return NULL;
	return nm->by_id[kind][id];
}

__u32 pp_daemon_id_end(const struct pp_daemon *d, __u32 kind)
{
	return d->names && kind >= PP_NAME_NET && kind <= PP_NAME_SPORT ? d->names->max_id[kind] : 0;
}

/*
 * A free service-port id: free in pp_names, and without an entry in
 * pp_sports either.  An entry no name points to is what a kill -9 between
 * renaming a changed port and removing its old id leaves behind
 * (remove_orphans takes it away); handing its id out again would collide
 * with it, as pp_dp_sport_install never rewrites an id in place.
 */
__u32 pp_daemon_sport_alloc(struct pp_daemon *d)
{
	__u32 first = 0, id;
	struct pp_sport sp;

	while ((id = names_alloc(d->names, PP_NAME_SPORT)) && id != first) {
		if (pp_sport_get(&d->dp.maps, id, &sp) || !sp.match)
			return id;
		if (!first)
			first = id;
	}
	return 0;
}

__u32 pp_daemon_name_assign(struct pp_daemon *d, __u32 kind, const char *name)
{
	struct pp_name_val v = {};
	__u32 id = names_get(d->names, kind, name);

	if (id)
		return id;
	v.id = kind == PP_NAME_SPORT ? pp_daemon_sport_alloc(d) : names_alloc(d->names, kind);
	if (!v.id || pp_name_put(&d->dp.maps, name_key(kind, name), &v) ||
	    names_set(d->names, kind, name, v.id))
		return 0;
	return v.id;
}

int pp_daemon_name_move(struct pp_daemon *d, __u32 kind, const char *name, __u32 id)
{
	struct pp_name_val v = { .id = id };
	int err = pp_name_put(&d->dp.maps, name_key(kind, name), &v);

	if (!err)
		names_set(d->names, kind, name, id);
	return err;
}

int pp_daemon_name_release(struct pp_daemon *d, __u32 kind, const char *name)
{
	int err = pp_name_del(&d->dp.maps, name_key(kind, name));

	if (!err)
		names_del(d->names, kind, name);
	return err;
}

/* ---- what is kept although not configured ---------------------------------- */

void pp_daemon_set_keep(struct pp_daemon *d, pp_keep_fn keep, void *arg)
{
	d->keep = keep;
	d->keep_arg = arg;
}

void pp_daemon_unset_keep(struct pp_daemon *d, const void *arg)
{
	if (d->keep_arg == arg)
		pp_daemon_set_keep(d, NULL, NULL);
}

/*
 * Asked of d->keep (the API's objects kept from a damaged state file)
 * before a stale name or services entry is removed.
 */
bool pp_daemon_kept(const struct pp_daemon *d, enum pp_map_id map, const void *key,
		    const void *val)
{
	return d->keep && d->keep(d->keep_arg, map, key, val);
}

bool pp_daemon_kept_name(const struct pp_daemon *d, __u32 kind, const char *name, __u32 id)
{
	struct pp_name_key k = name_key(kind, name);
	struct pp_name_val v = { .id = id };

	return pp_daemon_kept(d, PPM_NAMES, &k, &v);
}

/* ---- our programs on a device ------------------------------------------------- */

static int prog_tag_of_id(__u32 id, __u8 tag[8])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), err = 0;

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else
		memcpy(tag, info.tag, 8);
	close(fd);
	return err;
}

bool pp_daemon_attached(const struct pp_daemon *d, int ifindex, enum pp_role role)
{
	__u32 id;
	__u8 tag[8];

	if (pp_tc_query(ifindex, &id) || !id)
		return false;
	if (id == d->prog_id[role])
		return true;
	/* Left by an earlier daemon: adopt it if it is the same program. */
	return !prog_tag_of_id(id, tag) && !memcmp(tag, d->prog_tag[role], 8);
}

/* ---- the configuration in force and its statuses ------------------------------ */

void pp_status_set(struct pp_obj_status *st, enum pp_status s, const char *fmt, ...)
{
	va_list ap;

	st->status = s;
	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	va_end(ap);
}

const char *pp_status_name(enum pp_status s)
{
	static const char *const n[] = { "ACTIVE", "DOWN", "DEGRADED", "ERROR" };

	return s <= PP_ST_ERROR ? n[s] : "?";
}

const struct pp_config *pp_daemon_config(const struct pp_daemon *d)
{
	return d->cfg;
}

void pp_daemon_set_config(struct pp_daemon *d, struct pp_config *cfg)
{
	if (d->cfg != cfg)
		pp_config_free(d->cfg);
	d->cfg = cfg;
}

int pp_daemon_status_alloc(struct pp_daemon *d, const struct pp_config *cfg)
{
	free(d->net_st);
	free(d->iport_st);
	free(d->sport_st);
	free(d->l3dom_st);
	free(d->l3up_st);
	free(d->chain_st);
	free(d->chain_hop_st);
	d->net_st = calloc(cfg->n_networks + 1, sizeof(*d->net_st));
	d->iport_st = calloc(cfg->n_iports + 1, sizeof(*d->iport_st));
	d->sport_st = calloc(cfg->n_sports + 1, sizeof(*d->sport_st));
	d->l3dom_st = calloc(cfg->n_l3domains + 1, sizeof(*d->l3dom_st));
	d->l3up_st = calloc(cfg->n_l3domains + 1, sizeof(*d->l3up_st));
	d->chain_st = calloc(cfg->n_chains + 1, sizeof(*d->chain_st));
	d->chain_hop_st = calloc(cfg->n_chains + 1, sizeof(*d->chain_hop_st));
	return d->net_st && d->iport_st && d->sport_st && d->l3dom_st && d->l3up_st &&
	       d->chain_st && d->chain_hop_st ? 0 : -ENOMEM;
}

const struct pp_obj_status *pp_daemon_status(const struct pp_daemon *d, __u32 kind, __u32 i)
{
	const struct pp_config *cfg = d->cfg;

	if (!cfg)
		return NULL;
	switch (kind) {
	case PP_NAME_NET:
		return i < cfg->n_networks ? &d->net_st[i] : NULL;
	case PP_NAME_IPORT:
		return i < cfg->n_iports ? &d->iport_st[i] : NULL;
	case PP_NAME_SPORT:
		return i < cfg->n_sports ? &d->sport_st[i] : NULL;
	case PP_NAME_L3DOM:
		return i < cfg->n_l3domains ? &d->l3dom_st[i] : NULL;
	case PP_NAME_CHAIN:
		return i < cfg->n_chains ? &d->chain_st[i] : NULL;
	}
	return NULL;
}

const struct pp_iport_taps *pp_daemon_iport_taps(const struct pp_daemon *d, __u32 i)
{
	const struct pp_config *cfg = d->cfg;
	__u32 slot;

	if (!cfg || i >= cfg->n_iports || !d->taps)
		return NULL;
	slot = d->iport_st[i].id;
	return slot && slot < d->dp.maps.max_entries[PPM_IPORTS] ? &d->taps[slot] : NULL;
}

bool pp_iport_taps_has(const struct pp_iport_taps *t, __u32 ifindex)
{
	if (!ifindex)
		return false;
	if (ifindex == t->active || ifindex == t->standby)
		return true;
	for (__u32 r = 0; r < t->n_retired; r++)
		if (t->retired[r] == ifindex)
			return true;
	return false;
}

const struct pp_obj_status *pp_daemon_status_by_name(const struct pp_daemon *d, __u32 kind,
						     const char *name)
{
	const struct pp_config *cfg = d->cfg;
	const void *p;

	if (!cfg)
		return NULL;
	switch (kind) {
	case PP_NAME_NET:
		p = pp_config_find_network(cfg, name);
		return p ? &d->net_st[(const struct pp_cfg_network *)p - cfg->networks] : NULL;
	case PP_NAME_IPORT:
		p = pp_config_find_iport(cfg, name);
		return p ? &d->iport_st[(const struct pp_cfg_iport *)p - cfg->iports] : NULL;
	case PP_NAME_SPORT:
		p = pp_config_find_sport(cfg, name);
		return p ? &d->sport_st[(const struct pp_cfg_sport *)p - cfg->sports] : NULL;
	case PP_NAME_L3DOM:
		p = pp_config_find_l3domain(cfg, name);
		return p ? &d->l3dom_st[(const struct pp_cfg_l3domain *)p - cfg->l3domains] : NULL;
	case PP_NAME_CHAIN:
		for (__u32 i = 0; i < cfg->n_chains; i++)
			if (!strcmp(cfg->chains[i].name, name))
				return &d->chain_st[i];
		return NULL;
	}
	return NULL;
}

/* ---- counters ---------------------------------------------------------------- */

const struct pp_maps *pp_daemon_maps(const struct pp_daemon *d)
{
	return &d->dp.maps;
}

unsigned long pp_daemon_reconciles(const struct pp_daemon *d)
{
	return d->reconciles;
}

double pp_daemon_last_reconcile_ms(const struct pp_daemon *d)
{
	return d->last_reconcile_ms;
}

double pp_daemon_total_reconcile_ms(const struct pp_daemon *d)
{
	return d->total_reconcile_ms;
}

void pp_daemon_reconciled(struct pp_daemon *d, double ms)
{
	d->reconciles++;
	d->last_reconcile_ms = ms;
	d->total_reconcile_ms += ms;
}

void pp_daemon_reload_failed(struct pp_daemon *d, char *errors)
{
	free(d->last_errors);
	d->last_errors = errors;
	d->reload_failures++;
}

void pp_daemon_reload_loaded(struct pp_daemon *d)
{
	free(d->last_errors);
	d->last_errors = NULL;
}

const char *pp_daemon_last_errors(const struct pp_daemon *d)
{
	return d->last_errors;
}

/* ---- life ------------------------------------------------------------------ */

int pp_daemon_open(struct pp_daemon *d, const char *pin_root, const struct pp_map_sizes *s)
{
	int err;

	memset(d, 0, sizeof(*d));
	err = pp_dp_open(&d->dp, pin_root, s);
	if (err)
		return err;
	for (int r = 0; r < 2; r++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(d->dp.prog_fd[r], &info, &len)) {
			err = -errno;
			goto fail;
		}
		d->prog_id[r] = info.id;
		memcpy(d->prog_tag[r], info.tag, 8);
	}
	d->names = names_load(&d->dp.maps);
	d->taps = calloc(d->dp.maps.max_entries[PPM_IPORTS] + 1, sizeof(*d->taps));
	if (!d->names || !d->taps) {
		err = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	names_free(d->names);
	free(d->taps);
	pp_dp_close(&d->dp);
	return err;
}

size_t pp_daemon_named(const struct pp_daemon *d)
{
	return d->names ? d->names->n : 0;
}

void pp_daemon_close(struct pp_daemon *d)
{
	pp_dp_close(&d->dp);
	names_free(d->names);
	pp_config_free(d->cfg);
	free(d->net_st);
	free(d->iport_st);
	free(d->sport_st);
	free(d->l3dom_st);
	free(d->l3up_st);
	free(d->chain_st);
	free(d->chain_hop_st);
	free(d->last_errors);
	free(d->quiet);
	free(d->taps);
	memset(d, 0, sizeof(*d));
}

size_t pp_daemon_peer_devices(const struct pp_daemon *d, int nsid, __u32 ifindex,
			      const char **names, size_t max)
{
	size_t n = 0;

	for (__u32 i = 0; d->cfg && ifindex && i < d->cfg->n_networks && n < max; i++)
		if (d->net_st[i].peer_ifindex == ifindex && d->net_st[i].peer_nsid == nsid)
			names[n++] = d->cfg->networks[i].device;
	/* an L3 domain's uplinks: their XDP is decided as a network device's */
	for (__u32 i = 0; d->cfg && ifindex && i < d->cfg->n_l3domains; i++)
		for (__u32 u = 0; u < d->cfg->l3domains[i].n_uplinks && n < max; u++)
			if (d->l3up_st[i][u].peer_ifindex == ifindex &&
			    d->l3up_st[i][u].peer_nsid == nsid)
				names[n++] = d->cfg->l3domains[i].uplinks[u].device;
	return n;
}

/* ---- status file ------------------------------------------------------------ */

void pp_status_json_mode(json_object *o, const char *mode, const char *reason, bool old_keys)
{
	json_object_object_add(o, PP_KEY_EFFECTIVE_MODE, json_object_new_string(mode));
	if (old_keys)
		json_object_object_add(o, PP_KEY_EFFECTIVE_MODE_OLD, json_object_new_string(mode));
	if (!reason[0])
		return;
	json_object_object_add(o, PP_KEY_MODE_REASON, json_object_new_string(reason));
	if (old_keys)
		json_object_object_add(o, PP_KEY_MODE_REASON_OLD, json_object_new_string(reason));
}

static json_object *st_json(const struct pp_obj_status *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(pp_status_name(st->status)));
	if (st->reason[0])
		json_object_object_add(o, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "id", json_object_new_int64(st->id));
	json_object_object_add(o, "ifindex", json_object_new_int64(st->ifindex));
	pp_status_json_mode(o, pp_mode_name(st->mode), st->mode_reason, true);
	return o;
}

/* An instance port's taps (struct pp_iport_taps), as the API shows them. */
void pp_status_json_taps(json_object *o, const struct pp_iport_taps *t)
{
	json_object *arr;

	if (!t)
		return;
	if (t->active_name[0])
		json_object_object_add(o, "tap", json_object_new_string(t->active_name));
	if (t->standby_name[0])
		json_object_object_add(o, "standby-tap", json_object_new_string(t->standby_name));
	if (t->n_retired) {
		arr = json_object_new_array();
		for (__u32 r = 0; r < t->n_retired; r++)
			json_object_array_add(arr, json_object_new_string(t->retired_name[r]));
		json_object_object_add(o, "inactive-taps", arr);
	}
	json_object_object_add(o, "activations", json_object_new_int64((int64_t)t->activations));
}

json_object *pp_status_json(const struct pp_daemon *d)
{
	const struct pp_config *cfg = d->cfg;
	json_object *root = json_object_new_object(), *nets, *ips;
	char mac[PP_MAC_STRLEN];

	json_object_object_add(root, "pid", json_object_new_int(getpid()));
	json_object_object_add(root, "pin_root", json_object_new_string(d->dp.pin_root));
	json_object_object_add(root, "map_writes", json_object_new_int64(d->dp.maps.writes));
	json_object_object_add(root, "reconciles", json_object_new_int64(d->reconciles));
	json_object_object_add(root, "last_reconcile_ms",
			       json_object_new_double(d->last_reconcile_ms));
	json_object_object_add(root, "reload_failures", json_object_new_int64(d->reload_failures));
	if (d->last_errors)
		json_object_object_add(root, "last_errors", json_object_new_string(d->last_errors));
	if (d->vx.family) {	/* --vtep: the VXLAN device */
		json_object *vx = json_object_new_object();

		json_object_object_add(vx, "device", json_object_new_string(d->vx.dev));
		json_object_object_add(vx, "vtep", json_object_new_string(d->vx.addr));
		json_object_object_add(vx, "port", json_object_new_int(d->vx.port));
		json_object_object_add(vx, "underlay", json_object_new_string(d->vx.underlay));
		json_object_object_add(vx, "ifindex", json_object_new_int64(d->vx.ifindex));
		if (d->vx.err)
			json_object_object_add(vx, "error", json_object_new_string(d->vx.why));
		json_object_object_add(root, "vxlan", vx);
	}
	nets = json_object_new_array();
	ips = json_object_new_array();
	json_object_object_add(root, "networks", nets);
	json_object_object_add(root, "instance_ports", ips);
	for (__u32 i = 0; cfg && i < cfg->n_networks; i++) {
		const struct pp_cfg_network *c = &cfg->networks[i];
		json_object *o = st_json(&d->net_st[i]);

		json_object_object_add(o, "name", json_object_new_string(c->name));
		/* a stretched network's device: the host's VXLAN device */
		json_object_object_add(o, "device", json_object_new_string(c->vni ? d->vx.dev :
									     c->device));
		json_object_object_add(o, "vlan", json_object_new_int(c->vlan));
		if (c->vni)
			json_object_object_add(o, "vni", json_object_new_int64(c->vni));
		json_object_object_add(o, "mtu", json_object_new_int(c->mtu));
		json_object_array_add(nets, o);
	}
	for (__u32 i = 0; cfg && i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *c = &cfg->iports[i];
		json_object *o = st_json(&d->iport_st[i]), *sps = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(c->name));
		json_object_object_add(o, "device", json_object_new_string(c->device));
		pp_mac_format(c->mac, mac);
		json_object_object_add(o, "mac", json_object_new_string(mac));
		json_object_object_add(o, "mode", json_object_new_string(pp_mode_name(c->mode)));
		if (c->id[0])
			json_object_object_add(o, "id", json_object_new_string(c->id));
		pp_status_json_taps(o, pp_daemon_iport_taps(d, i));
		json_object_object_add(o, "service_ports", sps);
		for (__u32 s = c->sport_first; s < c->sport_first + c->sport_count; s++) {
			const struct pp_cfg_sport *sp = &cfg->sports[s];
			json_object *so = st_json(&d->sport_st[s]);
			char match[48];

			if (sp->match == PP_MATCH_VLAN)
				snprintf(match, sizeof(match), "vlan %u", sp->outer_vid);
			else if (sp->match == PP_MATCH_QINQ)
				snprintf(match, sizeof(match), "vlan [%u, %u]", sp->outer_vid,
					 sp->inner_vid);
			else
				snprintf(match, sizeof(match), "%s", pp_match_name(sp->match));
			pp_mac_format(sp->mac, mac);
			json_object_object_add(so, "name", json_object_new_string(sp->name));
			json_object_object_add(so, "match", json_object_new_string(match));
			json_object_object_add(so, "mac", json_object_new_string(mac));
			json_object_object_add(so, pp_cfg_sport_on_net(sp) ? "network" :
						   pp_cfg_sport_on_l3(sp) ? "l3-domain" : "chain",
					       json_object_new_string(pp_cfg_sport_bound(cfg, sp)));
			json_object_array_add(sps, so);
		}
		json_object_array_add(ips, o);
	}
	if (cfg && cfg->n_l3domains) {
		json_object *doms = json_object_new_array();

		json_object_object_add(root, "l3_domains", doms);
		for (__u32 i = 0; i < cfg->n_l3domains; i++) {
			const struct pp_cfg_l3domain *c = &cfg->l3domains[i];
			json_object *o = st_json(&d->l3dom_st[i]), *ups = json_object_new_array();
			json_object *modes = json_object_new_array();

			json_object_object_add(o, "name", json_object_new_string(c->name));
			json_object_object_add(o, "table", json_object_new_int64(c->table));
			json_object_object_add(o, "mtu", json_object_new_int(c->mtu));

			for (__u32 u = 0; u < c->n_uplinks; u++) {
				json_object *m = json_object_new_object();

				json_object_array_add(ups, json_object_new_string(c->uplinks[u].device));
				/* XDP or TC on it, and why (as a network's device) */
				json_object_object_add(m, "device",
						       json_object_new_string(c->uplinks[u].device));
				pp_status_json_mode(m, pp_mode_name(d->l3up_st[i][u].mode),
						    d->l3up_st[i][u].mode_reason, false);
				json_object_array_add(modes, m);
			}
			json_object_object_add(o, "uplinks", ups);
			json_object_object_add(o, "uplink_modes", modes);
			json_object_array_add(doms, o);
		}
	}
	if (cfg && cfg->n_chains) {	/* issue 17: each chain, each hop */
		json_object *chains = json_object_new_array();

		json_object_object_add(root, "chains", chains);
		for (__u32 i = 0; i < cfg->n_chains; i++) {
			const struct pp_cfg_chain *c = &cfg->chains[i];
			json_object *o = st_json(&d->chain_st[i]), *hops = json_object_new_array();

			json_object_object_add(o, "name", json_object_new_string(c->name));
			json_object_object_add(o, "network",
					       json_object_new_string(cfg->networks[c->network].name));
			for (__u32 h = 0; h < c->n_hops; h++) {
				const struct pp_obj_status *hs = &d->chain_hop_st[i][h];
				json_object *ho = json_object_new_object(), *insts = json_object_new_array();

				json_object_object_add(ho, "hop", json_object_new_int(h + 1));
				json_object_object_add(ho, "status",
						       json_object_new_string(pp_status_name(hs->status)));
				if (hs->reason[0])
					json_object_object_add(ho, "reason", json_object_new_string(hs->reason));
				for (__u32 k = 0; k < c->hops[h].n_inst; k++)
					json_object_array_add(insts, json_object_new_string(
						cfg->sports[c->hops[h].inst[k].in].name));
				json_object_object_add(ho, "instances", insts);
				json_object_array_add(hops, ho);
			}
			json_object_object_add(o, "hops", hops);
			json_object_array_add(chains, o);
		}
	}
	return root;
}

int pp_status_write(const struct pp_daemon *d, const char *path)
{
	json_object *root = pp_status_json(d);
	char tmp[512];
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_object_to_file_ext(tmp, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED) || rename(tmp, path))
		err = -errno ? -errno : -EIO;
	json_object_put(root);
	return err;
}
