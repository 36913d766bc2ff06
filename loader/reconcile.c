// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Reconcile a binding configuration into the dataplane (see reconcile.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "log.h"
#include "reconcile.h"
#include "xdp.h"

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

static size_t name_hash(__u32 kind, const char *name)
{
	size_t h = 2166136261u ^ kind;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static struct name_ent *names_slot(struct pp_names *nm, __u32 kind, const char *name)
{
	size_t i = name_hash(kind, name) & (nm->cap - 1);

	for (;; i = (i + 1) & (nm->cap - 1)) {
		struct name_ent *e = &nm->tab[i];

		if (!e->kind || (e->kind == kind && !strcmp(e->name, name)))
			return e;
	}
}

static __u32 names_get(struct pp_names *nm, __u32 kind, const char *name)
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

/*
 * A free service-port id: free in pp_names, and without an entry in
 * pp_sports either.  An entry no name points to is what a kill -9 between
 * renaming a changed port and removing its old id leaves behind
 * (remove_orphans takes it away); handing its id out again would collide
 * with it, as pp_dp_sport_install never rewrites an id in place.
 */
static __u32 sport_alloc(struct pp_daemon *d)
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

/* Give (kind, name) an id, pinned first, then remembered. */
static __u32 name_assign(struct pp_daemon *d, __u32 kind, const char *name)
{
	struct pp_name_val v = {};
	__u32 id = names_get(d->names, kind, name);

	if (id)
		return id;
	v.id = kind == PP_NAME_SPORT ? sport_alloc(d) : names_alloc(d->names, kind);
	if (!v.id || pp_name_put(&d->dp.maps, name_key(kind, name), &v) ||
	    names_set(d->names, kind, name, v.id))
		return 0;
	return v.id;
}

static int name_release(struct pp_daemon *d, __u32 kind, const char *name)
{
	int err = pp_name_del(&d->dp.maps, name_key(kind, name));

	if (!err)
		names_del(d->names, kind, name);
	return err;
}

/*
 * Does the entry (key, val) of map stay although the configuration does not
 * name it?  Asked of d->keep (the API's objects kept from a damaged state
 * file) before a stale name or services entry is removed.
 */
static bool kept(const struct pp_daemon *d, enum pp_map_id map, const void *key, const void *val)
{
	return d->keep && d->keep(d->keep_arg, map, key, val);
}

static bool kept_name(const struct pp_daemon *d, __u32 kind, const char *name, __u32 id)
{
	struct pp_name_key k = name_key(kind, name);
	struct pp_name_val v = { .id = id };

	return kept(d, PPM_NAMES, &k, &v);
}

/* ---- crash points (tests/e2e/crash.sh) ------------------------------------ */

/*
 * PP_CRASH_AT=POINT[:N] in the environment: the daemon kills itself with
 * SIGKILL, as kill -9 would, the Nth time (default 1) it reaches POINT, so
 * that a test can stop it exactly between two writes that must survive
 * apart.  The points are named where they are.  Unset: nothing happens.
 */

/* ---- per-device memo: ifindex -> a value, for one reconcile pass ----------- */

struct devmemo {
	__u32 *key;		/* 0: empty */
	int *val;
	size_t cap;
};

/* Slots for n keys in an open-addressed memo: a power of two, at most half full. */
static size_t memo_cap(size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	return cap;
}

static int memo_init(struct devmemo *dm, size_t n)
{
	dm->cap = memo_cap(n);
	dm->key = calloc(dm->cap, sizeof(*dm->key));
	dm->val = calloc(dm->cap, sizeof(*dm->val));
	return dm->key && dm->val ? 0 : -ENOMEM;
}

static void memo_free(struct devmemo *dm)
{
	free(dm->key);
	free(dm->val);
}

/* The slot of ifindex; *fresh says it was not there before. */
static int *memo_slot(struct devmemo *dm, __u32 ifindex, bool *fresh)
{
	size_t i = (ifindex * 2654435761u) & (dm->cap - 1);

	while (dm->key[i] && dm->key[i] != ifindex)
		i = (i + 1) & (dm->cap - 1);
	*fresh = !dm->key[i];
	dm->key[i] = ifindex;
	return &dm->val[i];
}

/* ---- devices --------------------------------------------------------------- */

/* ifindex of name (0 if absent) and whether it is up. */
static __u32 link_state(const char *name, bool *up)
{
	static int fd = -1;	/* one socket for the daemon's life: two ioctls a query */
	struct ifreq ifr = {};
	__u32 ifindex = 0;

	*up = false;
	if (fd < 0)
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (!ioctl(fd, SIOCGIFINDEX, &ifr)) {
		ifindex = ifr.ifr_ifindex;
		if (!ioctl(fd, SIOCGIFFLAGS, &ifr))
			*up = ifr.ifr_flags & IFF_UP;
	}
	return ifindex;
}

/* ---- per-name memo of link_state(), for one reconcile pass ------------------ */

struct linkmemo {
	struct {
		const char *name;	/* NULL: empty (the configuration's strings) */
		__u32 ifindex;
		bool up;
	} *e;
	size_t cap;
};

static int linkmemo_init(struct linkmemo *lm, size_t n)
{
	lm->cap = memo_cap(n);
	lm->e = calloc(lm->cap, sizeof(*lm->e));
	return lm->e ? 0 : -ENOMEM;
}

static void linkmemo_free(struct linkmemo *lm)
{
	free(lm->e);
}

/* link_state(name), asked of the kernel once per name and pass. */
static __u32 link_state_memo(struct linkmemo *lm, const char *name, bool *up)
{
	size_t i = name_hash(0, name) & (lm->cap - 1);

	while (lm->e[i].name && strcmp(lm->e[i].name, name))
		i = (i + 1) & (lm->cap - 1);
	if (!lm->e[i].name) {
		lm->e[i].name = name;
		lm->e[i].ifindex = link_state(name, &lm->e[i].up);
	}
	*up = lm->e[i].up;
	return lm->e[i].ifindex;
}

/* ---- the host's own frames on taps ----------------------------------------- */

/* Set /proc/sys/net/ipv6/conf/DEV/KEY to val unless it is already.  0 or -errno. */
static int ipv6_conf_set(const char *dev, const char *key, char val)
{
	char path[128], cur[8] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", dev, key);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, cur, sizeof(cur) - 1);
	if (n > 0 && cur[0] == val && (cur[1] == '\n' || !cur[1])) {
		close(fd);
		return 0;
	}
	n = pwrite(fd, &val, 1, 0);
	close(fd);
	return n == 1 ? 0 : n < 0 ? -errno : -EIO;
}

/*
 * A tap is the guest's wire: with IPv6 on, the host's own duplicate-address
 * detection, MLD reports and router solicitations leave on it at link-up
 * and reach the guest's untagged service ports.  Taps polyport manages get
 * addr_gen_mode 1 (no host link-local address) and disable_ipv6 1, before
 * polyportd brings them up (a tap already up stops sending from then on).
 * Both are per-device sysctls (netlink has IFLA_INET6_ADDR_GEN_MODE but no
 * disable_ipv6); a kernel without IPv6 has neither, and nothing to quiet.
 * Once per tap (ifindex) and daemon: an operator who turns IPv6 back on
 * keeps it.
 */
static void tap_quiet(struct pp_daemon *d, const char *dev, __u32 ifindex)
{
	size_t i;
	int err;

	if (d->quiet_n + 1 > d->quiet_cap / 2) {
		size_t cap = d->quiet_cap ? d->quiet_cap * 2 : 64;
		__u32 *t = calloc(cap, sizeof(*t));

		if (!t)
			return;		/* quieted again next time */
		for (size_t k = 0; k < d->quiet_cap; k++) {
			if (!d->quiet[k])
				continue;
			i = (d->quiet[k] * 2654435761u) & (cap - 1);
			while (t[i])
				i = (i + 1) & (cap - 1);
			t[i] = d->quiet[k];
		}
		free(d->quiet);
		d->quiet = t;
		d->quiet_cap = cap;
	}
	for (i = (ifindex * 2654435761u) & (d->quiet_cap - 1); d->quiet[i];
	     i = (i + 1) & (d->quiet_cap - 1))
		if (d->quiet[i] == ifindex)
			return;
	err = ipv6_conf_set(dev, "addr_gen_mode", '1');
	if (!err)
		err = ipv6_conf_set(dev, "disable_ipv6", '1');
	if (err && err != -ENOENT) {
		pr_warn("tap %s: host IPv6 not turned off (%s): the host's own frames may reach "
			"the guest\n", dev, strerror(-err));
		return;		/* tried again at the next pass */
	}
	d->quiet[i] = ifindex;
	d->quiet_n++;
}

/* Bring a tap up, as a VIF plug does.  Returns 0 or -errno. */
static int link_set_up(const char *name)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		err = -errno;
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	}
	close(fd);
	return err;
}

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

/* Attach our program of role to ifindex unless it (or its twin) is there. */
static int ensure_attached(struct pp_daemon *d, int ifindex, enum pp_role role)
{
	if (pp_daemon_attached(d, ifindex, role))
		return 0;
	return pp_dp_attach(&d->dp, ifindex, role);
}

/* ---- status ------------------------------------------------------------------ */

static void set_st(struct pp_obj_status *st, enum pp_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_st(struct pp_obj_status *st, enum pp_status s, const char *fmt, ...)
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

/* ---- reconcile ------------------------------------------------------------- */

static struct pp_sport sport_value(const struct pp_cfg_sport *c, __u32 slot, __u32 net_id)
{
	struct pp_sport sp = { .slot = slot, .net_id = net_id, .match = c->match,
			       .outer_vid = c->outer_vid, .inner_vid = c->inner_vid };

	memcpy(sp.mac, c->mac, 6);
	if (c->responder)
		sp.flags |= PP_SPORT_RESPONDER;
	if (c->security)
		sp.flags |= PP_SPORT_SECURITY;
	if (c->security && c->allow_dhcp_server)
		sp.flags |= PP_SPORT_ALLOW_DHCP_SERVER;
	if (c->security && c->allow_ra)
		sp.flags |= PP_SPORT_ALLOW_RA;
	if (c->dhcp)
		sp.flags |= PP_SPORT_DHCP;
	return sp;
}

/* only: NULL for every network, else those marked. */
static int reconcile_networks(struct pp_daemon *d, const struct pp_config *cfg, const bool *only)
{
	struct devmemo attached;	/* device -> its attach result, once per pass */
	struct linkmemo links;		/* device name -> its state, once per pass */

	if (memo_init(&attached, cfg->n_networks))
		return -ENOMEM;
	if (linkmemo_init(&links, cfg->n_networks)) {
		memo_free(&attached);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < cfg->n_networks; i++) {
		const struct pp_cfg_network *c = &cfg->networks[i];
		struct pp_obj_status *st = &d->net_st[i];
		struct pp_net v = { .vlan = c->vlan, .mtu = c->mtu };
		bool up;
		int err;

		if (only && !only[i])
			continue;

		v.ifindex = link_state_memo(&links, c->device, &up);
		st->ifindex = v.ifindex;
		st->id = name_assign(d, PP_NAME_NET, c->name);
		if (!st->id) {
			set_st(st, PP_ST_ERROR, "no free network id");
			continue;
		}
		err = pp_dp_net_install(&d->dp.maps, st->id, &v);
		if (!err && v.ifindex) {
			bool fresh;
			int *res = memo_slot(&attached, v.ifindex, &fresh);

			if (fresh)	/* networks sharing a device: one TC check */
				*res = ensure_attached(d, v.ifindex, PP_ROLE_NET);
			err = *res;
		}
		if (err)
			set_st(st, PP_ST_ERROR, "device %s: %s", c->device, strerror(-err));
		else if (!v.ifindex)
			set_st(st, PP_ST_DOWN, "device %s is absent (waiting)", c->device);
		else if (!up)
			set_st(st, PP_ST_DOWN, "device %s is down", c->device);
		else
			set_st(st, PP_ST_ACTIVE, "%s", "");
	}
	memo_free(&attached);
	linkmemo_free(&links);
	return 0;
}

/* only: NULL for every instance port, else those marked. */
static int reconcile_iports(struct pp_daemon *d, const struct pp_config *cfg, const bool *only)
{
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *c = &cfg->iports[i];
		struct pp_obj_status *st = &d->iport_st[i];
		struct pp_iport v = { .mtu = c->mtu };
		int err, up_err = 0;
		bool up;

		if (only && !only[i])
			continue;

		memcpy(v.mac, c->mac, 6);
		v.ifindex = link_state(c->device, &up);
		if (v.ifindex)
			tap_quiet(d, c->device, v.ifindex);	/* before it goes up */
		if (v.ifindex && !up && !(up_err = link_set_up(c->device)))
			up = true;
		st->ifindex = v.ifindex;
		st->id = name_assign(d, PP_NAME_IPORT, c->name);
		if (!st->id) {
			set_st(st, PP_ST_ERROR, "no free instance-port slot");
			continue;
		}
		err = pp_dp_iport_install(&d->dp.maps, st->id, &v);
		if (!err && v.ifindex)
			err = ensure_attached(d, v.ifindex, PP_ROLE_TAP);
		st->mode = PP_MODE_NONE;
		st->mode_reason[0] = 0;
		if (!err && v.ifindex) {
			/* TC is in place: XDP goes on top where the mode says so. */
			int xerr = pp_xdp_iport_apply(&d->dp, v.ifindex, c->device, c->mode, &st->mode,
						      st->mode_reason, sizeof(st->mode_reason));

			if (xerr) {
				st->mode = PP_MODE_TC;
				snprintf(st->mode_reason, sizeof(st->mode_reason),
					 "XDP could not be set up (%s): TC", strerror(-xerr));
			}
		}
		if (err)
			set_st(st, PP_ST_ERROR, "tap %s: %s", c->device, strerror(-err));
		else if (!v.ifindex)
			set_st(st, PP_ST_DOWN, "tap %s is absent (waiting)", c->device);
		else if (!up)
			set_st(st, PP_ST_DOWN, "tap %s is down and could not be brought up: %s",
			       c->device, strerror(-up_err));
		else
			set_st(st, PP_ST_ACTIVE, "%s", "");
	}
	return 0;
}

static int reconcile_sports(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_maps *m = &d->dp.maps;

	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		struct pp_obj_status *st = &d->sport_st[i];
		__u32 slot = d->iport_st[c->iport].id, net = d->net_st[c->network].id;
		struct pp_sport want = sport_value(c, slot, net), cur;
		__u32 id = names_get(d->names, PP_NAME_SPORT, c->name), old = 0;
		int err;

		if (!slot || !net) {
			set_st(st, PP_ST_ERROR, "its %s has no id", slot ? "network" : "instance port");
			continue;
		}
		if (id && (pp_sport_get(m, id, &cur) || memcmp(&cur, &want, sizeof(cur)))) {
			/* Changed: a new id; the old one goes once the new one is in. */
			struct pp_name_val v = { .id = sport_alloc(d) };

			old = id;
			id = v.id;
			if (!id || (err = pp_name_put(m, name_key(PP_NAME_SPORT, c->name), &v))) {
				set_st(st, PP_ST_ERROR, "no free service port id");
				continue;
			}
			names_set(d->names, PP_NAME_SPORT, c->name, id);
			pp_crash_point("sport-renamed");	/* the name names the new id, still empty */
		} else if (!id) {
			id = name_assign(d, PP_NAME_SPORT, c->name);
			pp_crash_point("sport-named");	/* a new name, its id still empty */
		}
		st->id = id;
		err = id ? pp_dp_sport_install(m, id, &want) : -ENOSPC;
		if (err && old) {
			/* The new id did not take: the name stays with the old one. */
			struct pp_name_val v = { .id = old };

			pp_dp_sport_remove(m, id);
			if (!pp_name_put(m, name_key(PP_NAME_SPORT, c->name), &v))
				names_set(d->names, PP_NAME_SPORT, c->name, old);
			st->id = old;
		} else if (!err && old) {
			pp_crash_point("sport-replaced");	/* the new id in, the old one too */
			err = pp_dp_sport_remove(m, old);
		}
		if (err)
			set_st(st, PP_ST_ERROR, "programming failed: %s", strerror(-err));
		else
			set_st(st, PP_ST_ACTIVE, "%s", "");
	}
	for (__u32 i = 0; i < cfg->n_sports; i++)
		d->sport_st[i].own_error = d->sport_st[i].status == PP_ST_ERROR;
	return 0;
}

/* ---- the services' tables (pp_neigh, pp_sec_src, pp_sec_mac) ------------------ */

/*
 * A desired set of entries of one hash-like map: records of key then value
 * (the map's sizes), appended, then synced: only the entries that differ are
 * written, and the entries nobody wants any more are deleted.
 */
struct want_set {
	enum pp_map_id id;
	size_t ksz, vsz, n, cap;
	unsigned char *rec;
};

static struct want_set want_init(enum pp_map_id id)
{
	return (struct want_set){ .id = id, .ksz = pp_map_desc[id].key_size,
				  .vsz = pp_map_desc[id].value_size };
}

static int want_add(struct want_set *w, const void *key, const void *val)
{
	size_t rs = w->ksz + w->vsz;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		unsigned char *r = realloc(w->rec, cap * rs);

		if (!r)
			return -ENOMEM;
		w->rec = r;
		w->cap = cap;
	}
	memcpy(w->rec + w->n * rs, key, w->ksz);
	memcpy(w->rec + w->n * rs + w->ksz, val, w->vsz);
	w->n++;
	return 0;
}

static size_t cmp_ksz;

static int want_cmp(const void *a, const void *b)
{
	return memcmp(a, b, cmp_ksz);
}

struct stale {
	const struct pp_daemon *d;
	const struct want_set *w;
	unsigned char *del;
	size_t n, cap;
};

static int collect_stale(const void *key, const void *val, void *arg)
{
	struct stale *st = arg;
	const struct want_set *w = st->w;

	cmp_ksz = w->ksz;
	if (w->n && bsearch(key, w->rec, w->n, w->ksz + w->vsz, want_cmp))
		return 0;
	if (kept(st->d, w->id, key, val))
		return 0;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		unsigned char *d = realloc(st->del, cap * w->ksz);

		if (!d)
			return -ENOMEM;
		st->del = d;
		st->cap = cap;
	}
	memcpy(st->del + st->n++ * w->ksz, key, w->ksz);
	return 0;
}

static int want_sync(struct pp_daemon *d, struct want_set *w)
{
	struct pp_maps *m = &d->dp.maps;
	size_t rs = w->ksz + w->vsz;
	struct stale st = { .d = d, .w = w };
	unsigned char cur[sizeof(struct pp_dhcp) + sizeof(struct pp_sec_key)];
	int err = 0, e;

	if (w->vsz > sizeof(cur))
		return -EINVAL;
	cmp_ksz = w->ksz;
	if (w->n)
		qsort(w->rec, w->n, rs, want_cmp);
	for (size_t i = 0; i < w->n; i++) {
		const unsigned char *k = w->rec + i * rs, *v = k + w->ksz;

		if (!pp_map_get(m, w->id, k, cur) && !memcmp(cur, v, w->vsz))
			continue;
		e = pp_map_put(m, w->id, k, v);
		if (e && !err)
			err = e;
	}
	e = pp_map_iter(m, w->id, collect_stale, &st);
	if (e && !err)
		err = e;
	for (size_t i = 0; i < st.n; i++)
		pp_map_del(m, w->id, st.del + i * w->ksz);
	free(st.del);
	free(w->rec);
	w->rec = NULL;
	if (err)
		pr_warn("map %s: %s\n", pp_map_desc[w->id].name, strerror(-err));
	return err;
}

static void neigh_add(struct want_set *w, __u32 net, const struct pp_cfg_addr *a,
		      const __u8 mac[6], __u8 flags)
{
	struct pp_neigh_key k = { .net_id = net };
	struct pp_neigh v = { .flags = flags };

	k.family = a->family == PP_AF_INET ? PP_NEIGH_V4 : PP_NEIGH_V6;
	memcpy(k.addr, a->addr, a->family == PP_AF_INET ? 4 : 16);
	memcpy(v.mac, mac, 6);
	want_add(w, &k, &v);
}

/*
 * The responder's addresses: every address known on each network, its
 * gateway's (with the gateway's MAC, as a router) and its service ports'
 * (with their MACs).
 */
static int reconcile_neigh(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct want_set w = want_init(PPM_NEIGH);

	for (__u32 i = 0; i < cfg->n_networks; i++) {
		const struct pp_cfg_network *c = &cfg->networks[i];
		__u32 net = d->net_st[i].id;

		if (net && c->gw4.family)
			neigh_add(&w, net, &c->gw4, c->gw_mac, PP_NEIGH_ROUTER);
		if (net && c->gw6.family)
			neigh_add(&w, net, &c->gw6, c->gw_mac, PP_NEIGH_ROUTER);
	}
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 net = d->net_st[c->network].id;

		for (__u32 a = 0; net && a < c->n_addrs; a++)
			neigh_add(&w, net, &c->addrs[a], c->mac, 0);
	}
	return want_sync(d, &w);
}

static void sec_src_add(struct want_set *w, __u32 sport, const struct pp_cfg_addr *a,
			__u8 plen, const __u8 mac[6])
{
	struct pp_sec_key k = { .prefixlen = PP_SEC_PREFIX(plen), .sport = sport };
	struct pp_sec_src v = { 0 };

	k.family = a->family == PP_AF_INET ? PP_NEIGH_V4 : PP_NEIGH_V6;
	/* the prefix only: an LPM trie keeps the bits it is given */
	for (unsigned b = 0; b < plen; b++)
		k.addr[b / 8] |= a->addr[b / 8] & (0x80 >> (b % 8));
	memcpy(v.mac, mac, 6);
	want_add(w, &k, &v);
}

/* fe80::/64 with the modified EUI-64 of mac: the link-local address of a MAC */
static void sec_ll_add(struct want_set *w, __u32 sport, const __u8 mac[6])
{
	struct pp_cfg_addr ll = { .family = PP_AF_INET6, .plen = 128 };

	ll.addr[0] = 0xfe;
	ll.addr[1] = 0x80;
	ll.addr[8] = mac[0] ^ 2;
	ll.addr[9] = mac[1];
	ll.addr[10] = mac[2];
	ll.addr[11] = 0xff;
	ll.addr[12] = 0xfe;
	memcpy(ll.addr + 13, mac + 3, 3);
	sec_src_add(w, sport, &ll, 128, mac);
}

/* Port security: the sources each service port with security may use. */
static int reconcile_security(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct want_set src = want_init(PPM_SEC_SRC), mac = want_init(PPM_SEC_MAC);
	int err;

	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 id = d->sport_st[i].id, one = 1;

		if (!c->security || !id)
			continue;
		sec_ll_add(&src, id, c->mac);
		for (__u32 a = 0; a < c->n_addrs; a++)	/* the /len gives the subnet only */
			sec_src_add(&src, id, &c->addrs[a], c->addrs[a].family == PP_AF_INET ? 32 : 128,
				    c->mac);
		for (__u32 p = 0; p < c->n_pairs; p++) {
			const struct pp_cfg_pair *pr = &c->pairs[p];

			if (pr->has_ip)
				sec_src_add(&src, id, &pr->ip, pr->ip.plen, pr->mac);
			if (memcmp(pr->mac, c->mac, 6)) {
				struct pp_sec_mac_key k = { .sport = id };

				memcpy(k.mac, pr->mac, 6);
				want_add(&mac, &k, &one);
				sec_ll_add(&src, id, pr->mac);
			}
		}
	}
	err = want_sync(d, &src);
	return want_sync(d, &mac) ?: err;
}

/* Stateless rules: compiled per service port and direction (pp_rules_compile). */
struct rule_sets {
	struct want_set addr, l4, set;
};

static int rule_emit(void *arg, enum pp_map_id id, const void *key, const void *val)
{
	struct rule_sets *rs = arg;

	return want_add(id == PPM_RULE_ADDR ? &rs->addr : id == PPM_RULE_L4 ? &rs->l4 : &rs->set,
			key, val);
}

static void rule_in(struct pp_rule_in *o, const struct pp_cfg_rule *c)
{
	memset(o, 0, sizeof(*o));
	o->proto = c->proto;
	o->allow = c->allow;
	o->has_type = c->has_icmp_type;
	o->type = c->icmp_type;
	o->lo = c->port_lo;
	o->hi = c->port_hi;
	o->from_family = c->from.family;
	o->from_plen = c->from.plen;
	memcpy(o->from, c->from.addr, 16);
	o->to_family = c->to.family;
	o->to_plen = c->to.plen;
	memcpy(o->to, c->to.addr, 16);
}

static int reconcile_rules(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct rule_sets rs = { want_init(PPM_RULE_ADDR), want_init(PPM_RULE_L4),
				want_init(PPM_RULE_SET) };
	struct pp_rule_in *in = calloc(PP_RULES_MAX, sizeof(*in));
	int err;

	if (!in)
		return -ENOMEM;
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 id = d->sport_st[i].id;

		if (!c->security || !id)
			continue;
		for (int dir = 0; dir < 2; dir++) {
			__u32 first = c->rule_first + (dir ? c->n_ingress : 0);
			__u32 n = dir ? c->n_egress : c->n_ingress;

			for (__u32 j = 0; j < n; j++)
				rule_in(&in[j], &cfg->rules[first + j]);
			err = pp_rules_compile(id, dir ? PP_DIR_EGRESS : PP_DIR_INGRESS, in, n,
					       c->default_allow, rule_emit, &rs);
			if (err)
				pr_warn("service port %s: %s rules: %s\n", c->name,
					dir ? "egress" : "ingress", strerror(-err));
		}
	}
	free(in);
	err = want_sync(d, &rs.addr);
	err = want_sync(d, &rs.l4) ?: err;
	/* the sets last: a direction's rules are complete before they apply */
	return want_sync(d, &rs.set) ?: err;
}

/*
 * The allowed pairs' other MACs are reachable too: a forwarding entry
 * (network, pair MAC) -> the service port, unless that MAC is already a
 * service port's own there.  Entries of the core (a service port's own MAC)
 * are never touched; pair entries nobody wants any more are deleted.
 */
struct pair_fdb_ent {
	struct pp_fdb_key k;
	__u32 id;
};

static int pair_fdb_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pp_fdb_key));
}

struct pair_fdb_scan {
	const struct pp_daemon *d;
	struct pp_maps *m;
	const struct pair_fdb_ent *want;
	size_t n_want;
	struct pp_fdb_key *del;
	size_t n_del, cap_del;
};

static int pair_fdb_collect(const void *key, const void *val, void *arg)
{
	struct pair_fdb_scan *ps = arg;
	const struct pp_fdb_key *k = key;
	__u32 id = *(const __u32 *)val;
	struct pair_fdb_ent probe = { .k = *k };
	const struct pair_fdb_ent *w;
	struct pp_sport sp = { 0 };

	if (!pp_sport_get(ps->m, id, &sp) && sp.match && !memcmp(sp.mac, k->mac, 6))
		return 0;			/* the core's: a service port's own MAC */
	w = ps->n_want ? bsearch(&probe, ps->want, ps->n_want, sizeof(*w), pair_fdb_cmp) : NULL;
	if ((w && w->id == id) || kept(ps->d, PPM_FDB, key, val))
		return 0;
	if (ps->n_del == ps->cap_del) {
		size_t cap = ps->cap_del ? ps->cap_del * 2 : 16;
		struct pp_fdb_key *d = realloc(ps->del, cap * sizeof(*d));

		if (!d)
			return -ENOMEM;
		ps->del = d;
		ps->cap_del = cap;
	}
	ps->del[ps->n_del++] = *k;
	return 0;
}

static int reconcile_pair_fdb(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pair_fdb_scan ps = { .d = d, .m = &d->dp.maps };
	struct pair_fdb_ent *want;
	size_t n = 0, max = 0;
	int err;

	for (__u32 i = 0; i < cfg->n_sports; i++)
		max += cfg->sports[i].security ? cfg->sports[i].n_pairs : 0;
	want = calloc(max + 1, sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 id = d->sport_st[i].id, net = d->net_st[c->network].id;

		for (__u32 p = 0; c->security && id && net && p < c->n_pairs; p++) {
			struct pp_fdb_key k = { .net_id = net };
			struct pp_sport owner = { 0 };
			__u32 cur = 0;

			if (!memcmp(c->pairs[p].mac, c->mac, 6))
				continue;
			memcpy(k.mac, c->pairs[p].mac, 6);
			if (!pp_fdb_get(&d->dp.maps, k, &cur) && cur != id &&
			    !pp_sport_get(&d->dp.maps, cur, &owner) && owner.match &&
			    !memcmp(owner.mac, k.mac, 6)) {
				pr_warn("service port %s: allowed pair MAC is service port id %u's own\n",
					c->name, cur);
				continue;
			}
			want[n].k = k;
			want[n++].id = id;
			/* its bucket sends lookups on to pp_fdb, then the entry */
			if (!pp_dp_dst_more(&d->dp.maps, net, k.mac) && cur != id)
				pp_fdb_put(&d->dp.maps, k, &id);
		}
	}
	qsort(want, n, sizeof(*want), pair_fdb_cmp);
	ps.want = want;
	ps.n_want = n;
	err = pp_map_iter(&d->dp.maps, PPM_FDB, pair_fdb_collect, &ps);
	for (size_t i = 0; i < ps.n_del; i++)
		pp_fdb_del(&d->dp.maps, ps.del[i]);
	free(ps.del);
	free(want);
	return err;
}

/* The DHCP server of each service port with dhcp: what it hands out. */
static int reconcile_dhcp(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct want_set w = want_init(PPM_DHCP);

	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		const struct pp_cfg_network *net = &cfg->networks[c->network];
		struct pp_dhcp_route_in rt[PP_DHCP_ROUTES_MAX];
		const struct pp_cfg_addr *a = NULL;
		__u32 id = d->sport_st[i].id;
		struct pp_dhcp v;

		if (!c->dhcp || !id || !net->gw4.family)
			continue;
		for (__u32 j = 0; j < c->n_addrs && !a; j++)
			if (c->addrs[j].family == PP_AF_INET)
				a = &c->addrs[j];
		if (!a)
			continue;
		for (__u32 j = 0; j < c->n_routes; j++) {
			memcpy(rt[j].dst, c->routes[j].to.addr, 4);
			rt[j].plen = c->routes[j].to.plen;
			memcpy(rt[j].via, c->routes[j].via, 4);
		}
		if (pp_dhcp_encode(&v, a->addr, a->plen, net->gw4.addr, net->gw_mac, c->lease,
				   (__u16)(c->dhcp_mtu ? c->dhcp_mtu : net->mtu), c->dns, c->n_dns,
				   rt, c->n_routes)) {
			pr_warn("service port %s: DHCP options do not fit\n", c->name);
			continue;
		}
		want_add(&w, &id, &v);
	}
	return want_sync(d, &w);
}

/*
 * XDP on network devices follows the instance ports behind them: a device
 * carrying a network of an instance port running XDP gets XDP where that is
 * safe (no tag can reach XDP as metadata, and the auto rule: its frames
 * provably carry complete checksums), else stays TC.  A veth's peer decides
 * both: it is recorded (peer_ifindex, peer_nsid) so that polyportd revisits
 * the device when the peer changes, in whatever namespace.  `mode: xdp` on
 * an instance port is about its tap; forcing XDP on a network device whose
 * peer sends partial checksums would deliver them unfinished to the guest
 * and black-hole its TCP.
 */
static void reconcile_xdp_nets(struct pp_daemon *d, const struct pp_config *cfg, const bool *only)
{
	struct devmemo want = {}, first = {};	/* device -> wants XDP; -> its first network */

	if (memo_init(&want, cfg->n_networks) || memo_init(&first, cfg->n_networks))
		goto out;
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *s = &cfg->sports[i];
		__u32 ifindex = d->net_st[s->network].ifindex;
		bool fresh;

		if (ifindex && d->iport_st[s->iport].mode == PP_MODE_XDP)
			*memo_slot(&want, ifindex, &fresh) = 1;	/* XDP where safe */
	}
	for (__u32 i = 0; i < cfg->n_networks; i++) {
		struct pp_obj_status *st = &d->net_st[i];
		bool fresh;
		int *f, err;

		if (only && !only[i])
			continue;
		st->mode = PP_MODE_NONE;
		st->mode_reason[0] = 0;
		st->peer_ifindex = 0;
		st->peer_nsid = -1;
		if (!st->ifindex || st->status == PP_ST_ERROR)
			continue;
		f = memo_slot(&first, st->ifindex, &fresh);
		if (!fresh) {		/* a device shared with an earlier network */
			st->mode = d->net_st[*f].mode;
			memcpy(st->mode_reason, d->net_st[*f].mode_reason, sizeof(st->mode_reason));
			st->peer_ifindex = d->net_st[*f].peer_ifindex;
			st->peer_nsid = d->net_st[*f].peer_nsid;
			continue;
		}
		*f = i;
		st->peer_ifindex = pp_xdp_net_peer(st->ifindex, &st->peer_nsid);
		err = pp_xdp_net_apply(&d->dp, st->ifindex,
				       *memo_slot(&want, st->ifindex, &fresh) ? PP_MODE_AUTO :
										PP_MODE_TC,
				       &st->mode, st->mode_reason, sizeof(st->mode_reason));
		if (err) {
			st->mode = PP_MODE_TC;
			snprintf(st->mode_reason, sizeof(st->mode_reason),
				 "XDP could not be set up (%s): TC", strerror(-err));
		}
	}
out:
	memo_free(&want);
	memo_free(&first);
}

/* Derive service-port and instance-port statuses from their links. */
static void derive_statuses(struct pp_daemon *d, const struct pp_config *cfg)
{
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		struct pp_obj_status *st = &d->sport_st[i];
		const struct pp_obj_status *ist = &d->iport_st[c->iport], *nst = &d->net_st[c->network];

		if (st->status == PP_ST_ERROR && st->own_error)
			continue;	/* its own: until the next full reconcile */
		if (ist->status == PP_ST_DOWN || ist->status == PP_ST_ERROR)
			set_st(st, PP_ST_DOWN, "instance port %s: %s", cfg->iports[c->iport].name,
			       ist->reason);
		else if (nst->status != PP_ST_ACTIVE)
			set_st(st, nst->status == PP_ST_ERROR ? PP_ST_ERROR : PP_ST_DOWN,
			       "network %s: %s", cfg->networks[c->network].name, nst->reason);
		else
			set_st(st, PP_ST_ACTIVE, "%s", "");
	}
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *c = &cfg->iports[i];
		struct pp_obj_status *st = &d->iport_st[i];
		__u32 bad = 0, first = 0;

		if (st->status == PP_ST_DEGRADED)	/* derived below, from its base ACTIVE */
			set_st(st, PP_ST_ACTIVE, "%s", "");
		if (st->status != PP_ST_ACTIVE)
			continue;
		for (__u32 s = c->sport_first; s < c->sport_first + c->sport_count; s++)
			if (d->sport_st[s].status != PP_ST_ACTIVE && !bad++)
				first = s;
		if (bad)
			set_st(st, PP_ST_DEGRADED, "%u of %u service ports not active (%s: %s)", bad,
			       c->sport_count, cfg->sports[first].name, d->sport_st[first].reason);
	}
}

/*
 * Service ports pinned under no name.  A changed port's name is given its
 * new id before the old id is removed (make before break), so a kill -9 in
 * between leaves the old id installed, still reachable (its classifier
 * entry, its place in a flood list) and named by nothing.  One daemon
 * writes a pin root, so every such entry is a previous daemon's leftover:
 * removed once, at the first full reconcile, after the configured ports
 * are in (a scan of pp_sports: about 1 ms at 131,072 ids).
 */
struct orphans {
	const struct pp_daemon *d;
	__u32 *id;
	size_t n, cap;
};

static int orphan_collect(const void *key, const void *val, void *arg)
{
	const struct pp_sport *sp = val;
	struct orphans *o = arg;
	const struct pp_names *nm = o->d->names;
	__u32 id = *(const __u32 *)key;

	if (!sp->match || (id < nm->max_id[PP_NAME_SPORT] && nm->by_id[PP_NAME_SPORT][id][0]) ||
	    kept(o->d, PPM_SPORTS, key, val))
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 16;
		__u32 *t = realloc(o->id, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		o->id = t;
		o->cap = cap;
	}
	o->id[o->n++] = id;
	return 0;
}

static void remove_orphans(struct pp_daemon *d)
{
	struct orphans o = { .d = d };
	int err;

	if (d->orphans_swept)
		return;
	err = pp_map_iter(&d->dp.maps, PPM_SPORTS, orphan_collect, &o);
	if (err)
		pr_warn("service ports without a name: scan failed: %s\n", strerror(-err));
	else
		d->orphans_swept = true;
	for (size_t i = 0; i < o.n; i++) {
		err = pp_dp_sport_remove(&d->dp.maps, o.id[i]);
		if (err)
			pr_warn("service port id %u (no name): removal failed: %s\n", o.id[i],
				strerror(-err));
		else
			pr_info("service port id %u, named by nothing, removed\n", o.id[i]);
	}
	free(o.id);
}

/*
 * A device no instance port or network uses any more: XDP stops sending to
 * it (pp_xdp_tx), then our XDP program and TC filter leave it.
 */
static void dev_release(struct pp_daemon *d, __u32 ifindex)
{
	pp_xdp_tx_set(&d->dp.maps, ifindex, false);
	pp_xdp_detach(ifindex);
	pp_tc_detach(ifindex);
}

/* Remove what is pinned under a name the configuration no longer has, or under none. */
static int remove_stale(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_maps *m = &d->dp.maps;
	struct pp_names *nm = d->names;
	char name[PP_NAME_LEN];

	remove_orphans(d);
	for (__u32 id = 1; id < nm->max_id[PP_NAME_SPORT]; id++) {
		if (!nm->by_id[PP_NAME_SPORT][id][0])
			continue;
		memcpy(name, nm->by_id[PP_NAME_SPORT][id], sizeof(name));
		if (pp_config_find_sport(cfg, name) || kept_name(d, PP_NAME_SPORT, name, id))
			continue;
		if (pp_dp_sport_remove(m, id) ||
		    (pp_crash_point("sport-removed"), name_release(d, PP_NAME_SPORT, name)))
			pr_warn("service port %s (id %u): removal failed\n", name, id);
		else
			pr_info("service port %s removed\n", name);
	}
	for (__u32 slot = 1; slot < nm->max_id[PP_NAME_IPORT]; slot++) {
		struct pp_iport ip = {};
		struct pp_dev dev = {};

		if (!nm->by_id[PP_NAME_IPORT][slot][0])
			continue;
		memcpy(name, nm->by_id[PP_NAME_IPORT][slot], sizeof(name));
		if (pp_config_find_iport(cfg, name) || kept_name(d, PP_NAME_IPORT, name, slot))
			continue;
		pp_iport_get(m, slot, &ip);
		if (pp_dp_iport_remove(m, slot) || name_release(d, PP_NAME_IPORT, name)) {
			pr_warn("instance port %s: removal failed\n", name);
			continue;
		}
		/* its tap, unless another instance port has it now */
		if (ip.ifindex && !pp_dev_get(m, ip.ifindex, &dev) && !dev.flags)
			dev_release(d, ip.ifindex);
		pr_info("instance port %s removed\n", name);
	}
	/* Networks together: each device they leave is re-derived once. */
	__u32 *gone = calloc(nm->max_id[PP_NAME_NET] + 1, sizeof(*gone));
	__u32 *devs = calloc(nm->max_id[PP_NAME_NET] + 1, sizeof(*devs));
	size_t n = 0;

	if (!gone || !devs) {
		free(gone);
		free(devs);
		return -ENOMEM;
	}
	for (__u32 id = 1; id < nm->max_id[PP_NAME_NET]; id++) {
		struct pp_net net = {};

		if (!nm->by_id[PP_NAME_NET][id][0] ||
		    pp_config_find_network(cfg, nm->by_id[PP_NAME_NET][id]) ||
		    kept_name(d, PP_NAME_NET, nm->by_id[PP_NAME_NET][id], id))
			continue;
		pp_net_get(m, id, &net);
		devs[n] = net.ifindex;
		gone[n++] = id;
	}
	if (n && pp_dp_nets_remove(m, gone, n))
		pr_warn("networks: removal failed\n");
	struct devmemo detached;	/* a device shared by many: detached once */
	bool memo = !memo_init(&detached, n);

	for (size_t i = 0; i < n; i++) {
		struct pp_net net = {};
		struct pp_dev dev = {};
		bool fresh = false;

		memcpy(name, nm->by_id[PP_NAME_NET][gone[i]], sizeof(name));
		if ((!pp_net_get(m, gone[i], &net) && net.mtu) ||
		    name_release(d, PP_NAME_NET, name)) {
			pr_warn("network %s: removal failed\n", name);
			continue;
		}
		/* The device keeps our program only while a network uses it. */
		if (devs[i] && !pp_dev_get(m, devs[i], &dev) && !dev.flags &&
		    (!memo || (memo_slot(&detached, devs[i], &fresh), fresh)))
			dev_release(d, devs[i]);
		pr_info("network %s removed\n", name);
	}
	memo_free(&detached);		/* also what a failed memo_init allocated */
	free(gone);
	free(devs);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int status_alloc(struct pp_daemon *d, const struct pp_config *cfg)
{
	free(d->net_st);
	free(d->iport_st);
	free(d->sport_st);
	d->net_st = calloc(cfg->n_networks + 1, sizeof(*d->net_st));
	d->iport_st = calloc(cfg->n_iports + 1, sizeof(*d->iport_st));
	d->sport_st = calloc(cfg->n_sports + 1, sizeof(*d->sport_st));
	return d->net_st && d->iport_st && d->sport_st ? 0 : -ENOMEM;
}

int pp_reconcile(struct pp_daemon *d, struct pp_config *cfg, bool links_only)
{
	double t0 = now_ms(), t[4] = { 0 };
	unsigned long w0 = d->dp.maps.writes;
	int err;

	if (!links_only) {
		err = status_alloc(d, cfg);
		if (err)
			return err;
		/* A full pass starts from the kernel's tables, whoever wrote them. */
		pp_maps_refresh(&d->dp.maps);
	}
	/* Networks and instance ports first: service ports refer to their ids. */
	reconcile_networks(d, cfg, NULL);
	t[0] = now_ms();
	reconcile_iports(d, cfg, NULL);
	reconcile_xdp_nets(d, cfg, NULL);
	t[1] = now_ms();
	if (!links_only) {
		reconcile_sports(d, cfg);
		t[2] = now_ms();
		reconcile_neigh(d, cfg);
		reconcile_security(d, cfg);
		reconcile_dhcp(d, cfg);
		reconcile_rules(d, cfg);
		t[3] = now_ms();
		remove_stale(d, cfg);
		reconcile_pair_fdb(d, cfg);
		if (d->cfg != cfg)
			pp_config_free(d->cfg);
		d->cfg = cfg;
	}
	derive_statuses(d, cfg);
	d->reconciles++;
	d->last_reconcile_ms = now_ms() - t0;
	d->total_reconcile_ms += d->last_reconcile_ms;
	pr_debug("reconcile%s: %.2f ms, %lu map writes (networks %.2f, instance ports %.2f, "
		 "service ports %.2f, services %.2f, removals %.2f ms)\n",
		 links_only ? " (links)" : "", d->last_reconcile_ms, d->dp.maps.writes - w0,
		 t[0] - t0, t[1] - t[0], t[2] ? t[2] - t[1] : 0, t[3] ? t[3] - t[2] : 0,
		 t[3] ? t0 + d->last_reconcile_ms - t[3] : 0);
	return 0;
}

int pp_reconcile_devices(struct pp_daemon *d, const char *const *names, size_t n)
{
	const struct pp_config *cfg = d->cfg;
	bool *net = NULL, *ip = NULL, *xnet = NULL;
	struct devmemo devs = {};
	double t0 = now_ms();
	int err = -ENOMEM;

	if (!cfg)
		return 0;
	net = calloc(cfg->n_networks + 1, sizeof(*net));
	xnet = calloc(cfg->n_networks + 1, sizeof(*xnet));
	ip = calloc(cfg->n_iports + 1, sizeof(*ip));
	if (!net || !xnet || !ip || memo_init(&devs, cfg->n_networks))
		goto out;
	for (__u32 i = 0; i < cfg->n_networks; i++)
		for (size_t k = 0; k < n; k++)
			if (!strcmp(cfg->networks[i].device, names[k]))
				net[i] = xnet[i] = true;
	for (size_t k = 0; k < n; k++) {
		const struct pp_cfg_iport *c = pp_config_find_iport_by_device(cfg, names[k]);

		if (!c)
			continue;
		ip[c - cfg->iports] = true;
		/* its tap's mode may change what the networks it reaches want */
		for (__u32 s = c->sport_first; s < c->sport_first + c->sport_count; s++)
			xnet[cfg->sports[s].network] = true;
	}
	reconcile_networks(d, cfg, net);
	reconcile_iports(d, cfg, ip);
	/* every network on a device whose XDP decision is revisited, too */
	for (__u32 i = 0; i < cfg->n_networks; i++) {
		bool fresh;

		if (xnet[i] && d->net_st[i].ifindex)
			*memo_slot(&devs, d->net_st[i].ifindex, &fresh) = 1;
	}
	for (__u32 i = 0; i < cfg->n_networks; i++) {
		bool fresh;

		if (!xnet[i] && d->net_st[i].ifindex && *memo_slot(&devs, d->net_st[i].ifindex, &fresh))
			xnet[i] = true;
	}
	reconcile_xdp_nets(d, cfg, xnet);
	derive_statuses(d, cfg);
	d->reconciles++;
	d->last_reconcile_ms = now_ms() - t0;
	d->total_reconcile_ms += d->last_reconcile_ms;
	err = 0;
out:
	memo_free(&devs);
	free(net);
	free(xnet);
	free(ip);
	return err;
}

/* ---- open/close ------------------------------------------------------------ */

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
	if (!d->names) {
		err = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
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
	free(d->last_errors);
	free(d->quiet);
	memset(d, 0, sizeof(*d));
}

size_t pp_daemon_peer_devices(const struct pp_daemon *d, int nsid, __u32 ifindex,
			      const char **names, size_t max)
{
	size_t n = 0;

	for (__u32 i = 0; d->cfg && ifindex && i < d->cfg->n_networks && n < max; i++)
		if (d->net_st[i].peer_ifindex == ifindex && d->net_st[i].peer_nsid == nsid)
			names[n++] = d->cfg->networks[i].device;
	return n;
}

/* ---- status file ------------------------------------------------------------ */

static json_object *st_json(const struct pp_obj_status *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(pp_status_name(st->status)));
	if (st->reason[0])
		json_object_object_add(o, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "id", json_object_new_int64(st->id));
	json_object_object_add(o, "ifindex", json_object_new_int64(st->ifindex));
	json_object_object_add(o, "effective_mode", json_object_new_string(pp_mode_name(st->mode)));
	if (st->mode_reason[0])
		json_object_object_add(o, "mode_reason", json_object_new_string(st->mode_reason));
	return o;
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
	nets = json_object_new_array();
	ips = json_object_new_array();
	json_object_object_add(root, "networks", nets);
	json_object_object_add(root, "instance_ports", ips);
	for (__u32 i = 0; cfg && i < cfg->n_networks; i++) {
		const struct pp_cfg_network *c = &cfg->networks[i];
		json_object *o = st_json(&d->net_st[i]);

		json_object_object_add(o, "name", json_object_new_string(c->name));
		json_object_object_add(o, "device", json_object_new_string(c->device));
		json_object_object_add(o, "vlan", json_object_new_int(c->vlan));
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
			json_object_object_add(so, "network",
					       json_object_new_string(cfg->networks[sp->network].name));
			json_object_array_add(sps, so);
		}
		json_object_array_add(ips, o);
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
