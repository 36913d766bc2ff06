// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Reconcile a binding configuration into the dataplane (see reconcile.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include "chains.h"
#include "l3.h"
#include "l3nh.h"
#include "links.h"
#include "log.h"
#include "reconcile.h"
#include "services.h"
#include "util.h"
#include "xdpmode.h"

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

/* ---- per-name memo of pp_link_state() (links.h), for one reconcile pass ----- */

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

/* pp_link_state(name), asked of the kernel once per name and pass. */
static __u32 link_state_memo(struct linkmemo *lm, const char *name, bool *up)
{
	size_t i = pp_name_hash(0, name) & (lm->cap - 1);

	while (lm->e[i].name && strcmp(lm->e[i].name, name))
		i = (i + 1) & (lm->cap - 1);
	if (!lm->e[i].name) {
		lm->e[i].name = name;
		lm->e[i].ifindex = pp_link_state(name, &lm->e[i].up);
	}
	*up = lm->e[i].up;
	return lm->e[i].ifindex;
}

/* ---- the host's own frames on taps ----------------------------------------- */

/*
 * A tap is the guest's wire: with IPv6 on, the host's own duplicate-address
 * detection, MLD reports and router solicitations leave on it at link-up
 * and reach the guest's untagged service ports.  Taps polyport manages get
 * addr_gen_mode 1 (no host link-local address) and disable_ipv6 1, before
 * polyportd brings them up (a tap already up stops sending from then on).
 * Both are per-device sysctls (netlink has IFLA_INET6_ADDR_GEN_MODE but no
 * disable_ipv6); a kernel without IPv6 has neither, and nothing to quiet.
 * Once per tap (ifindex) and daemon: an operator who turns IPv6 back on
 * keeps it.  A tap with L3 ports keeps IPv6 on, without any address (the
 * kernel takes no IPv6 route through a device whose IPv6 is off, and an
 * L3 port's host route goes through its tap): one that has an address is
 * flushed by turning IPv6 off and on again, addr_gen_mode 1 keeping it
 * without one; quiet all the same (no address: no DAD, no solicitation, no
 * MLD report but for groups it never joins).
 */
static bool has_ipv6_addr(const char *dev)
{
	char line[256], name[IF_NAMESIZE + 1];
	bool found = false;
	FILE *f = fopen("/proc/net/if_inet6", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %*s %16s", name) == 1 && !strcmp(name, dev);
	fclose(f);
	return found;
}

static void tap_quiet(struct pp_daemon *d, const char *dev, __u32 ifindex, bool l3)
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
	err = pp_link_ipv6_conf_set(dev, "addr_gen_mode", '1');
	if (!err && (!l3 || has_ipv6_addr(dev)))
		err = pp_link_ipv6_conf_set(dev, "disable_ipv6", '1');
	if (!err && l3)
		err = pp_link_ipv6_conf_set(dev, "disable_ipv6", '0');
	if (err && err != -ENOENT) {
		pr_warn("tap %s: host IPv6 not turned off (%s): the host's own frames may reach "
			"the guest\n", dev, strerror(-err));
		return;		/* tried again at the next pass */
	}
	d->quiet[i] = ifindex;
	d->quiet_n++;
}

/* Does instance port c have a service port bound to an L3 domain? */
static bool iport_has_l3(const struct pp_config *cfg, const struct pp_cfg_iport *c)
{
	for (__u32 s = c->sport_first; s < c->sport_first + c->sport_count; s++)
		if (pp_cfg_sport_on_l3(&cfg->sports[s]))
			return true;
	return false;
}

/* Attach our program of role to ifindex unless it (or its twin) is there. */
static int ensure_attached(struct pp_daemon *d, int ifindex, enum pp_role role)
{
	if (pp_daemon_attached(d, ifindex, role))
		return 0;
	return pp_dp_attach(&d->dp, ifindex, role);
}

/* ---- reconcile ------------------------------------------------------------- */

/* Does prefix p (its plen) hold address a (same family)? */
static bool prefix_holds(const struct pp_cfg_addr *p, const struct pp_cfg_addr *a)
{
	unsigned bits = p->plen, i;

	if (p->family != a->family)
		return false;
	for (i = 0; i < bits / 8; i++)
		if (p->addr[i] != a->addr[i])
			return false;
	return !(bits % 8) || !((p->addr[i] ^ a->addr[i]) & (0xff00 >> (bits % 8)) & 0xff);
}

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
	/* its rules' sets are written after this entry: until then the
	 * programs drop that direction's IP frames (bpf/lib/rules.h) */
	if (c->security && c->n_ingress)
		sp.flags |= PP_SPORT_RULES_IN;
	if (c->security && c->n_egress)
		sp.flags |= PP_SPORT_RULES_OUT;
	if (c->dhcp)
		sp.flags |= PP_SPORT_DHCP;
	/* on an L3 port, ARP/NS for the gateway is always answered */
	if (pp_cfg_sport_on_l3(c))
		sp.flags |= PP_SPORT_RESPONDER;
	return sp;
}

/*
 * st's id for name from the name table (a new one if the name has none).
 * Without a free id st is in ERROR (why), *first keeps -ENOSPC unless it
 * has an error already, and it is false.
 */
static bool status_id(struct pp_daemon *d, struct pp_obj_status *st, __u32 kind, const char *name,
		      const char *why, int *first)
{
	st->id = pp_daemon_name_assign(d, kind, name);
	if (st->id)
		return true;
	pp_status_set(st, PP_ST_ERROR, "%s", why);
	*first = *first ?: -ENOSPC;
	return false;
}

/* ---- stretched networks: the other hosts (issue 20) -------------------------- */

/* The pp_vtep of a configured address (every pad byte zero: a hash key). */
static void vtep_of(struct pp_vtep *v, const struct pp_cfg_addr *a)
{
	memset(v, 0, sizeof(*v));
	v->family = a->family == PP_AF_INET6 ? PP_NEIGH_V6 : PP_NEIGH_V4;
	memcpy(v->addr, a->addr, a->family == PP_AF_INET6 ? 16 : 4);
}

/* A stretched network (its index in cfg->networks) and a host with ports on it. */
struct rhost {
	__u32 net;
	struct pp_vtep vtep;
};

static int rhost_cmp(const void *a, const void *b)
{
	const struct rhost *x = a, *y = b;

	if (x->net != y->net)
		return x->net < y->net ? -1 : 1;
	return memcmp(&x->vtep, &y->vtep, sizeof(x->vtep));
}

/* Does remote r name a stretched network and a host with a VTEP? */
static bool remote_valid(const struct pp_config *cfg, const struct pp_cfg_remote *r)
{
	return r->network < cfg->n_networks && cfg->networks[r->network].vni &&
	       r->vtep < cfg->n_vteps && cfg->vteps[r->vtep].addr.family != PP_AF_NONE;
}

/*
 * The other hosts of each stretched network, each once (by VTEP address),
 * sorted by network then address (pp_rflood's order): *out, malloc'd (NULL
 * when there is none).  Returns how many, or -ENOMEM.
 */
static long remote_hosts(const struct pp_config *cfg, struct rhost **out)
{
	struct rhost *h;
	size_t n = 0, u = 0;

	*out = NULL;
	if (!cfg->n_remotes)
		return 0;
	h = calloc(cfg->n_remotes, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (__u32 r = 0; r < cfg->n_remotes; r++) {
		if (!remote_valid(cfg, &cfg->remotes[r]))
			continue;
		h[n].net = cfg->remotes[r].network;
		vtep_of(&h[n++].vtep, &cfg->vteps[cfg->remotes[r].vtep].addr);
	}
	qsort(h, n, sizeof(*h), rhost_cmp);
	for (size_t i = 0; i < n; i++)
		if (!u || rhost_cmp(&h[u - 1], &h[i]))
			h[u++] = h[i];
	*out = h;
	return (long)u;
}

/*
 * How many other hosts each network has (by index, n_networks of them):
 * calloc'd, NULL when none has any or memory ran out (nothing to check).
 */
static __u32 *hosts_per_net(const struct pp_config *cfg)
{
	struct rhost *h;
	long n = remote_hosts(cfg, &h);
	__u32 *cnt = n > 0 ? calloc(cfg->n_networks + 1, sizeof(*cnt)) : NULL;

	for (long i = 0; cnt && i < n; i++)
		cnt[h[i].net]++;
	free(h);
	return cnt;
}

/*
 * only: NULL for every network, else those marked.  Returns 0 or the first
 * error met (a network in ERROR has it as its reason; the others go on).
 * A stretched network (vni) goes by the host's VXLAN device, made again
 * first if it is gone (pp_vxlan_sync).
 */
static int reconcile_networks(struct pp_daemon *d, const struct pp_config *cfg, const bool *only)
{
	struct devmemo attached = {};	/* device -> its attach result, once per pass */
	struct linkmemo links = {};	/* device name -> its state, once per pass */
	__u32 *hosts = NULL;		/* a stretched network's other hosts */
	int first = -ENOMEM;

	if (memo_init(&attached, cfg->n_networks))
		goto out;
	if (linkmemo_init(&links, cfg->n_networks))
		goto out;
	first = 0;
	if (d->vx.family)
		pp_vxlan_sync(d, false);	/* its failure: the stretched networks' */
	hosts = hosts_per_net(cfg);
	for (__u32 i = 0; i < cfg->n_networks; i++) {
		const struct pp_cfg_network *c = &cfg->networks[i];
		struct pp_obj_status *st = &d->net_st[i];
		struct pp_net v = { .vlan = c->vlan, .mtu = c->mtu };
		const char *dev = c->vni ? d->vx.dev : c->device;
		bool up = false, vxdev = false;
		int err;

		if (only && !only[i])
			continue;

		if (c->vni) {
			v.vlan = 0;
			v.vni = c->vni;
			v.ifindex = d->vx.ifindex;
			up = d->vx.up;
		} else if (d->vx.family && !strcmp(c->device, d->vx.dev)) {
			vxdev = true;	/* never bound as a network's own device */
		} else {
			v.ifindex = link_state_memo(&links, c->device, &up);
		}
		st->ifindex = v.ifindex;
		if (!status_id(d, st, PP_NAME_NET, c->name, "no free network id", &first))
			continue;
		{	/* the chain steering it is the chains' (loader/chains.c) */
			struct pp_net cur = {};

			if (!pp_net_get(&d->dp.maps, st->id, &cur))
				v.chain = cur.chain;
		}
		err = pp_dp_net_install(&d->dp.maps, st->id, &v);
		if (!err && v.ifindex) {
			bool fresh;
			int *res = memo_slot(&attached, v.ifindex, &fresh);

			if (fresh)	/* networks sharing a device: one TC check */
				*res = ensure_attached(d, v.ifindex, PP_ROLE_NET);
			err = *res;
		}
		if (!err && c->vni && d->vx.family && d->vx.err)
			err = d->vx.err;
		if (err && c->vni && d->vx.err)
			pp_status_set(st, PP_ST_ERROR, "VXLAN device %s: %s", dev, d->vx.why);
		else if (err)
			pp_status_set(st, PP_ST_ERROR, "%sdevice %s: %s", c->vni ? "VXLAN " : "", dev,
				      strerror(-err));
		else if (c->vni && !d->vx.family)
			pp_status_set(st, PP_ST_ERROR, "stretched over VXLAN (vni %u) but polyportd runs "
				      "without --vtep", c->vni);
		else if (vxdev)
			pp_status_set(st, PP_ST_ERROR, "device %s is polyport's VXLAN device "
				      "(--vxlan-device): a stretched network's way out", c->device);
		else if (!v.ifindex)
			pp_status_set(st, PP_ST_DOWN, "%sdevice %s is absent (waiting)",
				      c->vni ? "VXLAN " : "", dev);
		else if (!up)
			pp_status_set(st, PP_ST_DOWN, "%sdevice %s is down", c->vni ? "VXLAN " : "", dev);
		else if (c->vni && hosts && hosts[i] > PP_RFLOOD_MAX)
			pp_status_set(st, PP_ST_ERROR, "more than %d other hosts have ports on it "
				      "(%u): broadcasts cannot reach them all", PP_RFLOOD_MAX, hosts[i]);
		else
			pp_status_set(st, PP_ST_ACTIVE, "%s", "");
		first = first ?: err;
	}
out:
	free(hosts);
	memo_free(&attached);
	linkmemo_free(&links);
	return first;
}

/* ---- taps of instance ports (issue 18) -------------------------------------------- */

static void dev_release(struct pp_daemon *d, __u32 ifindex);

#define TAPS_MAX	(2 + PP_IPORT_RETIRED_MAX + 4)	/* bound taps looked at per port */

/* The present taps bound to an instance port: by its device, by alias. */
struct tapset {
	__u32 ifindex[TAPS_MAX];
	char name[TAPS_MAX][IF_NAMESIZE];
	bool up[TAPS_MAX];
	int n;
};

/* The links aliased "polyport:...", dumped once per pass when a port has an id. */
struct aliases {
	struct pp_link_alias *v;
	int n;
	bool loaded;
};

static int tapset_find(const struct tapset *ts, __u32 ifindex)
{
	for (int k = 0; ifindex && k < ts->n; k++)
		if (ts->ifindex[k] == ifindex)
			return k;
	return -1;
}

static void tapset_add(struct tapset *ts, __u32 ifindex, const char *name, bool up)
{
	if (!ifindex || tapset_find(ts, ifindex) >= 0 || ts->n == TAPS_MAX)
		return;
	ts->ifindex[ts->n] = ifindex;
	snprintf(ts->name[ts->n], IF_NAMESIZE, "%s", name);
	ts->up[ts->n++] = up;
}

static int iport_tapset(const struct pp_cfg_iport *c, struct aliases *al, struct tapset *ts)
{
	char want[sizeof(PP_IPORT_ALIAS_PREFIX) + PP_IPORT_ID_MAX];
	bool up;
	__u32 ifindex;

	ts->n = 0;
	if (c->device[0] && (ifindex = pp_link_state(c->device, &up)))
		tapset_add(ts, ifindex, c->device, up);
	if (!c->id[0])
		return 0;
	if (!al->loaded) {
		int n = pp_link_aliases(PP_IPORT_ALIAS_PREFIX, &al->v);

		if (n < 0)
			return n;
		al->n = n;
		al->loaded = true;
	}
	snprintf(want, sizeof(want), PP_IPORT_ALIAS_PREFIX "%s", c->id);
	for (int k = 0; k < al->n; k++)
		if (!strcmp(al->v[k].alias, want))
			tapset_add(ts, al->v[k].ifindex, al->v[k].name, al->v[k].up);
	return 0;
}

/*
 * The taps of the i-th instance port of the configuration being reconciled
 * (d->cfg may still be the previous one), NULL without a slot.
 */
static const struct pp_iport_taps *iport_taps(const struct pp_daemon *d, __u32 i)
{
	__u32 slot = d->iport_st[i].id;

	return slot && slot < d->dp.maps.max_entries[PPM_IPORTS] ? &d->taps[slot] : NULL;
}

static bool taps_retired(const struct pp_iport_taps *t, __u32 ifindex)
{
	for (__u32 r = 0; r < t->n_retired; r++)
		if (t->retired[r] == ifindex)
			return true;
	return false;
}

/*
 * Which of the bound taps ts is active, standby, retired (struct
 * pp_iport_taps), from what is pinned (cur: the dataplane may have made the
 * standby active) and what this daemon saw before (*t, updated).  The
 * active tap stays active while it is bound; else the oldest (lowest
 * ifindex) is.  A tap that was active before, or is older than the active
 * one, is retired; of the others the newest is the standby.
 *
 * An incoming port (migrating here, pp_cfg_iport.incoming; issue 19) gets
 * no active tap but the one pinned (its guest's first frame, or activate,
 * made it so): its guest still runs on the source host.  Without one, the
 * newest bound tap is the standby whatever this daemon saw before (so a
 * restarted one decides the same from the taps alone), the others are
 * retired, and the programs make the standby active on its first frame
 * (pp_vm_tap_active works from ifindex 0).  A port that becomes incoming
 * with an active tap keeps it (one migrating away and back: its running
 * guest is not cut).
 */
static void taps_decide(struct pp_iport_taps *t, const struct tapset *ts, const struct pp_iport *cur,
			bool incoming)
{
	struct pp_iport_taps old = *t;
	__u32 active = tapset_find(ts, cur->ifindex) >= 0 ? cur->ifindex : 0;

	if (!active && !incoming)
		for (int k = 0; k < ts->n; k++)
			if (!active || ts->ifindex[k] < active)
				active = ts->ifindex[k];
	memset(t, 0, offsetof(struct pp_iport_taps, activations));
	t->active = active;
	for (int k = 0; k < ts->n; k++) {
		__u32 x = ts->ifindex[k];

		if (x == active)
			snprintf(t->active_name, sizeof(t->active_name), "%s", ts->name[k]);
		else if (t->standby && t->standby > x)
			;
		else if (!active || !(x < active || x == old.active || taps_retired(&old, x)))
			t->standby = x;
	}
	for (int k = 0; k < ts->n; k++) {
		__u32 x = ts->ifindex[k];

		if (x == t->standby)
			snprintf(t->standby_name, sizeof(t->standby_name), "%s", ts->name[k]);
		else if (x != active && t->n_retired < PP_IPORT_RETIRED_MAX) {
			t->retired[t->n_retired] = x;
			snprintf(t->retired_name[t->n_retired++], sizeof(t->retired_name[0]), "%s",
				 ts->name[k]);
		}
	}
	/* (from no active tap, too: an incoming port's standby) */
	if (old.standby && active == old.standby)
		t->activations++;
}

/*
 * Taps bound before (old) and not now (t) lose their pp_devs entry, and our
 * programs unless another instance port has them now; so do the taps of ts
 * beyond what t holds (more retired taps than it keeps: a pp_devs entry a
 * previous daemon left).
 */
static void taps_unbind(struct pp_daemon *d, __u32 slot, const struct pp_iport_taps *old,
			const struct pp_iport_taps *t, const struct tapset *ts)
{
	__u32 x[2 + PP_IPORT_RETIRED_MAX + TAPS_MAX] = { old->active, old->standby };
	struct pp_dev dev;

	for (__u32 r = 0; r < old->n_retired; r++)
		x[2 + r] = old->retired[r];
	for (int k = 0; ts && k < ts->n; k++)
		x[2 + PP_IPORT_RETIRED_MAX + k] = ts->ifindex[k];
	for (size_t k = 0; k < ARRAY_SIZE(x); k++) {
		if (!x[k] || pp_iport_taps_has(t, x[k]))
			continue;
		/* its device entry, if it is still this slot's */
		if (pp_dev_get(&d->dp.maps, x[k], &dev) || !(dev.flags & PP_DEV_TAP) ||
		    dev.slot != slot || pp_dev_del(&d->dp.maps, x[k]))
			continue;
		dev_release(d, x[k]);
	}
}

/*
 * A bound tap other than the active one (standby, retired): our programs on
 * it (its first frame is the standby's activation), up, host IPv6 quiet.
 */
static int tap_prepare(struct pp_daemon *d, const struct pp_cfg_iport *c, bool l3, __u32 ifindex,
		       const char *name)
{
	enum pp_mode mode;
	char why[200];
	bool up;

	tap_quiet(d, name, ifindex, l3);
	if (pp_link_state(name, &up) == ifindex && !up)
		pp_link_set_up(name);
	if (ensure_attached(d, (int)ifindex, PP_ROLE_TAP))
		return -EIO;
	pp_xdp_iport_apply(&d->dp, ifindex, name, c->mode, &mode, why, sizeof(why));
	return 0;
}

static const char *taps_wanted(char *buf, size_t len, const struct pp_cfg_iport *c)
{
	if (c->device[0] && c->id[0])
		snprintf(buf, len, "tap %s is absent and no tap has alias " PP_IPORT_ALIAS_PREFIX "%s",
			 c->device, c->id);
	else if (c->device[0])
		snprintf(buf, len, "tap %s is absent", c->device);
	else
		snprintf(buf, len, "no tap has alias " PP_IPORT_ALIAS_PREFIX "%s", c->id);
	return buf;
}

/*
 * only: NULL for every instance port, else those marked.  Returns 0 or the
 * first error met (its instance port is in ERROR; the others go on).  A tap
 * that stays down is DOWN, and XDP that cannot be set up falls back to TC
 * (the mode's reason says why): neither is an error.
 */
static int reconcile_iports(struct pp_daemon *d, const struct pp_config *cfg, const bool *only)
{
	struct aliases al = {};
	int first = 0;

	d->standby_pending = false;
	d->alias_waiting = false;
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *c = &cfg->iports[i];
		struct pp_obj_status *st = &d->iport_st[i];
		struct pp_iport v = { .mtu = c->mtu }, cur = {};
		struct pp_iport_taps *t, old;
		bool l3 = iport_has_l3(cfg, c), up = false;
		int err, up_err = 0, k;
		struct tapset ts;
		char why[160];
		__u32 seen;

		if (only && !only[i]) {
			if (d->taps && st->id && d->taps[st->id].standby)
				d->standby_pending = true;
			if (d->taps && st->id && c->id[0] && !d->taps[st->id].active &&
			    !d->taps[st->id].standby)
				d->alias_waiting = true;
			continue;
		}
		memcpy(v.mac, c->mac, 6);
		st->ifindex = 0;
		if (!status_id(d, st, PP_NAME_IPORT, c->name, "no free instance-port slot", &first))
			continue;
		t = &d->taps[st->id];
		err = iport_tapset(c, &al, &ts);
		for (int tries = 0; !err && tries < 4; tries++) {
			old = *t;
			pp_iport_get(&d->dp.maps, st->id, &cur);
			taps_decide(t, &ts, &cur, c->incoming);
			v.ifindex = t->active;
			v.standby = t->standby;
			k = tapset_find(&ts, v.ifindex);
			up = k >= 0 && ts.up[k];
			if (v.ifindex)
				tap_quiet(d, t->active_name, v.ifindex, l3);	/* before it goes up */
			if (v.ifindex && !up && !(up_err = pp_link_set_up(t->active_name)))
				up = true;
			/* written by compare-and-swap: never over the dataplane's activation */
			seen = cur.ifindex;
			err = pp_dp_iport_install(&d->dp.maps, st->id, &v, &seen);
			if (err != -EAGAIN)
				break;
			*t = old;	/* the standby took over meanwhile: decide again */
		}
		if (err == -EAGAIN)
			err = -EBUSY;
		for (__u32 r = 0; !err && r < t->n_retired; r++)
			err = pp_dp_tap_bind(&d->dp.maps, st->id, t->retired[r]);
		if (!err)
			taps_unbind(d, st->id, &old, t, &ts);
		if (t->standby)
			d->standby_pending = true;
		/* (an incoming port's standby alone is a tap: no rescan for one) */
		if (c->id[0] && !t->active && !t->standby)
			d->alias_waiting = true;
		st->ifindex = t->active;
		if (!err && v.ifindex)
			err = ensure_attached(d, v.ifindex, PP_ROLE_TAP);
		for (__u32 r = 0; !err && r < t->n_retired; r++)
			err = tap_prepare(d, c, l3, t->retired[r], t->retired_name[r]);
		if (!err && t->standby)
			err = tap_prepare(d, c, l3, t->standby, t->standby_name);
		st->mode = PP_MODE_NONE;
		st->mode_reason[0] = 0;
		if (!err && v.ifindex) {
			/* TC is in place: XDP goes on top where the mode says so. */
			int xerr = pp_xdp_iport_apply(&d->dp, v.ifindex, t->active_name, c->mode,
						      &st->mode, st->mode_reason,
						      sizeof(st->mode_reason));

			if (xerr) {
				st->mode = PP_MODE_TC;
				snprintf(st->mode_reason, sizeof(st->mode_reason),
					 "XDP could not be set up (%s): TC", strerror(-xerr));
			}
		}
		if (err)
			pp_status_set(st, PP_ST_ERROR, "tap %s: %s",
				      t->active_name[0] ? t->active_name : c->device[0] ? c->device : c->id,
				      strerror(-err));
		else if (!v.ifindex && t->standby)	/* an incoming port (taps_decide) */
			pp_status_set(st, PP_ST_DOWN,
				      "incoming: tap %s is the standby, waiting for the guest's first frame",
				      t->standby_name);
		else if (!v.ifindex)
			pp_status_set(st, PP_ST_DOWN, "%s (waiting)", taps_wanted(why, sizeof(why), c));
		else if (!up)
			pp_status_set(st, PP_ST_DOWN, "tap %s is down and could not be brought up: %s",
				      t->active_name, strerror(-up_err));
		else
			pp_status_set(st, PP_ST_ACTIVE, "%s", "");
		first = first ?: err;
	}
	free(al.v);
	return first;
}

/*
 * Returns 0 or the first error met programming a service port (it is in
 * ERROR; the others go on).  A port whose instance port or network has no
 * id is in ERROR too, but the error is theirs, reported by their step.
 */
static int reconcile_sports(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_maps *m = &d->dp.maps;
	int first = 0;

	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		struct pp_obj_status *st = &d->sport_st[i];
		__u32 slot = d->iport_st[c->iport].id, net, old = 0, id;
		struct pp_sport want, cur;
		int err;

		/* a network's id, an L3 domain's or a chain's (a hop port): one id space */
		net = pp_cfg_sport_on_net(c) ? d->net_st[c->network].id :
		      pp_cfg_sport_on_l3(c) ? d->l3dom_st[c->l3domain].id : pp_chains_sport_net(d, c);
		want = sport_value(c, slot, net);
		if (pp_cfg_sport_on_l3(c))
			want.flags |= PP_SPORT_L3;
		id = pp_daemon_name_id(d, PP_NAME_SPORT, c->name);
		if (!slot || !net) {
			pp_status_set(st, PP_ST_ERROR, "its %s has no id",
				      !slot ? "instance port" : pp_cfg_sport_on_net(c) ? "network" :
				      pp_cfg_sport_on_l3(c) ? "L3 domain" : "chain");
			continue;
		}
		if (id && (pp_sport_get(m, id, &cur) || memcmp(&cur, &want, sizeof(cur)))) {
			/* Changed: a new id; the old one goes once the new one is in. */
			old = id;
			id = pp_daemon_sport_alloc(d);
			if (!id || (err = pp_daemon_name_move(d, PP_NAME_SPORT, c->name, id))) {
				pp_status_set(st, PP_ST_ERROR, "no free service port id");
				first = first ?: id ? err : -ENOSPC;
				continue;
			}
			pp_crash_point("sport-renamed");	/* the name names the new id, still empty */
		} else if (!id) {
			id = pp_daemon_name_assign(d, PP_NAME_SPORT, c->name);
			pp_crash_point("sport-named");	/* a new name, its id still empty */
		}
		st->id = id;
		err = id ? pp_dp_sport_install(m, id, &want) : -ENOSPC;
		if (err && old) {
			/* The new id did not take: the name stays with the old one. */
			pp_dp_sport_remove(m, id);
			pp_daemon_name_move(d, PP_NAME_SPORT, c->name, old);
			st->id = old;
		} else if (!err && old) {
			pp_crash_point("sport-replaced");	/* the new id in, the old one too */
			err = pp_dp_sport_remove(m, old);
		}
		if (err)
			pp_status_set(st, PP_ST_ERROR, "programming failed: %s", strerror(-err));
		else
			pp_status_set(st, PP_ST_ACTIVE, "%s", "");
		first = first ?: err;
	}
	for (__u32 i = 0; i < cfg->n_sports; i++)
		d->sport_st[i].own_error = d->sport_st[i].status == PP_ST_ERROR;
	return first;
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
	int err;	/* the first want_add that failed: the set is incomplete */
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
			return w->err = w->err ?: -ENOMEM;
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
	if (pp_daemon_kept(st->d, w->id, key, val))
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

/*
 * Returns 0 or the first error.  A set that is incomplete (a want_add ran
 * out of memory) is written, but nothing is deleted: an entry that could
 * not be added would look stale.
 */
static int want_sync(struct pp_daemon *d, struct want_set *w)
{
	struct pp_maps *m = &d->dp.maps;
	size_t rs = w->ksz + w->vsz;
	struct stale st = { .d = d, .w = w };
	/* room for the largest value synced (a stretched network's flood list) */
	unsigned char cur[sizeof(struct pp_rflood) + sizeof(struct pp_dhcp)];
	int err = w->err, e;

	if (w->vsz > sizeof(cur)) {
		err = -EINVAL;
		goto out;
	}
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
	if (w->err)
		goto out;
	e = pp_map_iter(m, w->id, collect_stale, &st);
	if (e && !err)
		err = e;
	for (size_t i = 0; i < st.n; i++) {
		e = pp_map_del(m, w->id, st.del + i * w->ksz);
		if (e && !err)
			err = e;
	}
out:
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
	struct pp_neigh_key k;
	struct pp_neigh v;

	pp_neigh_encode(&k, &v, net, a, mac, flags);
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
	/* an L3 domain's gateways; its ports' addresses answered with the
	 * gateway MAC too: between them, the gateway routes (proxy ARP) */
	for (__u32 i = 0; i < cfg->n_l3domains; i++) {
		const struct pp_cfg_l3domain *c = &cfg->l3domains[i];
		__u32 dom = d->l3dom_st[i].id;

		for (__u32 k = 0; dom && k < c->n_subnets; k++)
			neigh_add(&w, dom, &c->subnets[k].gateway, c->gw_mac, PP_NEIGH_ROUTER);
	}
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		bool l3 = pp_cfg_sport_on_l3(c);
		__u32 net = l3 ? d->l3dom_st[c->l3domain].id :
			    pp_cfg_sport_on_net(c) ? d->net_st[c->network].id : 0;	/* a hop port: none */

		for (__u32 a = 0; net && a < c->n_addrs; a++)
			neigh_add(&w, net, &c->addrs[a], l3 ? cfg->l3domains[c->l3domain].gw_mac : c->mac,
				  0);
	}
	return want_sync(d, &w);
}

static void sec_src_add(struct want_set *w, __u32 sport, const struct pp_cfg_addr *a,
			__u8 plen, const __u8 mac[6])
{
	struct pp_sec_key k;
	struct pp_sec_src v;

	pp_sec_src_encode(&k, &v, sport, a, plen, mac);
	want_add(w, &k, &v);
}

/* the link-local address of a MAC (fe80::/64 with its modified EUI-64) */
static void sec_ll_add(struct want_set *w, __u32 sport, const __u8 mac[6])
{
	struct pp_cfg_addr ll;

	pp_link_local_of(&ll, mac);
	sec_src_add(w, sport, &ll, 128, mac);
}

/* Port security: the sources each service port with security may use. */
static int reconcile_security(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct want_set src = want_init(PPM_SEC_SRC), mac = want_init(PPM_SEC_MAC);
	int err, e;

	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 id = d->sport_st[i].id, one = 1;

		if (!c->security || !id)
			continue;
		sec_ll_add(&src, id, c->mac);
		for (__u32 a = 0; a < c->n_addrs; a++)	/* the /len gives the subnet only */
			sec_src_add(&src, id, &c->addrs[a], c->addrs[a].family == PP_AF_INET ? 32 : 128,
				    c->mac);
		/* an L3 port also sends for the prefixes behind it (bind.l3.routes) */
		for (__u32 r = 0; r < c->n_l3_routes; r++)
			sec_src_add(&src, id, &c->l3_routes[r].to, c->l3_routes[r].to.plen, c->mac);
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
	e = want_sync(d, &mac);
	return err ?: e;
}

/* Stateless rules: compiled per service port and direction (pp_rules_compile). */
struct rule_sets {
	struct want_set addr, l4, sp, set;
};

static int rule_emit(void *arg, enum pp_map_id id, const void *key, const void *val)
{
	struct rule_sets *rs = arg;

	return want_add(id == PPM_RULE_ADDR ? &rs->addr : id == PPM_RULE_L4 ? &rs->l4 :
			id == PPM_RULE_SP ? &rs->sp : &rs->set, key, val);
}

/* Returns 0 or the first error (a port whose rules do not compile, a map). */
static int reconcile_rules(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct rule_sets rs = { want_init(PPM_RULE_ADDR), want_init(PPM_RULE_L4),
				want_init(PPM_RULE_SP), want_init(PPM_RULE_SET) };
	struct pp_rule_in *in = calloc(PP_RULES_MAX, sizeof(*in));
	int err, e, ret = 0;

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
				pp_rule_in_of(&in[j], &cfg->rules[first + j]);
			err = pp_rules_compile(id, dir ? PP_DIR_EGRESS : PP_DIR_INGRESS, in, n,
					       c->default_allow, rule_emit, &rs);
			if (err)
				pr_warn("service port %s: %s rules: %s\n", c->name,
					dir ? "egress" : "ingress", strerror(-err));
			ret = ret ?: err;
		}
	}
	/* the chains' classifiers: rule sets of the chains' ids (loader/chains.c) */
	err = pp_chains_rules(d, cfg, in, rule_emit, &rs);
	ret = ret ?: err;
	free(in);
	err = want_sync(d, &rs.addr);
	e = want_sync(d, &rs.l4);
	err = err ?: e;
	e = want_sync(d, &rs.sp);	/* source ports (pp_rule_sp) */
	err = err ?: e;
	/* the sets last: a direction's rules are complete before they apply */
	e = want_sync(d, &rs.set);
	return ret ?: err ?: e;
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
	if ((w && w->id == id) || pp_daemon_kept(ps->d, PPM_FDB, key, val))
		return 0;
	if (PP_GROW(ps->del, ps->n_del, ps->cap_del, 16))
		return -ENOMEM;
	ps->del[ps->n_del++] = *k;
	return 0;
}

/*
 * Returns 0 or the first error: a pair MAC that is another service port's
 * own (-EEXIST: not installed), a map.
 */
static int reconcile_pair_fdb(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pair_fdb_scan ps = { .d = d, .m = &d->dp.maps };
	struct pair_fdb_ent *want;
	size_t n = 0, max = 0;
	int err = 0, e;

	for (__u32 i = 0; i < cfg->n_sports; i++)
		max += cfg->sports[i].security ? cfg->sports[i].n_pairs : 0;
	want = calloc(max + 1, sizeof(*want));
	if (!want)
		return -ENOMEM;
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 id = d->sport_st[i].id;
		__u32 net = pp_cfg_sport_on_net(c) ? d->net_st[c->network].id : 0;

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
				err = err ?: -EEXIST;
				continue;
			}
			want[n].k = k;
			want[n++].id = id;
			/* its bucket sends lookups on to pp_fdb, then the entry */
			e = pp_dp_dst_more(&d->dp.maps, net, k.mac);
			if (!e && cur != id)
				e = pp_fdb_put(&d->dp.maps, k, &id);
			err = err ?: e;
		}
	}
	qsort(want, n, sizeof(*want), pair_fdb_cmp);
	ps.want = want;
	ps.n_want = n;
	e = pp_map_iter(&d->dp.maps, PPM_FDB, pair_fdb_collect, &ps);
	err = err ?: e;
	for (size_t i = 0; i < ps.n_del; i++) {
		e = pp_fdb_del(&d->dp.maps, ps.del[i]);
		err = err ?: e;
	}
	free(ps.del);
	free(want);
	return err;
}

/*
 * The DHCP server of each service port with dhcp: what it hands out.
 * Returns 0 or the first error (options that do not fit, a map).
 */
static int reconcile_dhcp(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct want_set w = want_init(PPM_DHCP);
	int first = 0, err;

	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		struct pp_dhcp_route_in rt[PP_DHCP_ROUTES_MAX];
		const struct pp_cfg_addr *a = NULL, *gw = NULL;
		__u32 id = d->sport_st[i].id, mtu;
		const __u8 *gw_mac;
		struct pp_dhcp v;

		if (!c->dhcp || !id)
			continue;
		for (__u32 j = 0; j < c->n_addrs && !a; j++)
			if (c->addrs[j].family == PP_AF_INET)
				a = &c->addrs[j];
		if (!a)
			continue;
		if (pp_cfg_sport_on_net(c)) {
			const struct pp_cfg_network *net = &cfg->networks[c->network];

			gw = net->gw4.family ? &net->gw4 : NULL;
			gw_mac = net->gw_mac;
			mtu = net->mtu;
		} else if (pp_cfg_sport_on_l3(c)) {
			/* an L3 port: the router is its subnet's gateway */
			const struct pp_cfg_l3domain *dom = &cfg->l3domains[c->l3domain];

			for (__u32 k = 0; k < dom->n_subnets && !gw; k++)
				if (dom->subnets[k].cidr.family == PP_AF_INET &&
				    dom->subnets[k].cidr.plen == a->plen &&
				    prefix_holds(&dom->subnets[k].cidr, a))
					gw = &dom->subnets[k].gateway;
			gw_mac = dom->gw_mac;
			mtu = dom->mtu;
		}
		if (!gw)
			continue;
		for (__u32 j = 0; j < c->n_routes; j++) {
			memcpy(rt[j].dst, c->routes[j].to.addr, 4);
			rt[j].plen = c->routes[j].to.plen;
			memcpy(rt[j].via, c->routes[j].via, 4);
		}
		err = pp_dhcp_encode(&v, a->addr, a->plen, gw->addr, gw_mac, c->lease,
				     (__u16)(c->dhcp_mtu ? c->dhcp_mtu : mtu), c->dns, c->n_dns,
				     rt, c->n_routes);
		if (err) {
			pr_warn("service port %s: DHCP options do not fit\n", c->name);
			first = first ?: err;
			continue;
		}
		want_add(&w, &id, &v);
	}
	err = want_sync(d, &w);
	return first ?: err;
}

/* A MAC of a stretched network on another host (cfg->remotes). */
struct rmac {
	struct pp_fdb_key k;
	__u32 order;		/* its place in cfg->remotes: the first one counts */
	struct pp_vtep vtep;
};

static int rmac_cmp(const void *a, const void *b)
{
	const struct rmac *x = a, *y = b;
	int c = memcmp(&x->k, &y->k, sizeof(x->k));

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

struct vni_scan {
	struct pp_maps *m;
	__u32 del[64];
	size_t n;
};

/* A pp_vnis entry whose network's entry has another VNI (a change a kill -9 cut short). */
static int vni_stale(const void *key, const void *val, void *arg)
{
	struct vni_scan *vs = arg;
	__u32 vni = *(const __u32 *)key, id = *(const __u32 *)val;
	struct pp_net net = {};

	if (vs->n < ARRAY_SIZE(vs->del) && (pp_net_get(vs->m, id, &net) || net.vni != vni))
		vs->del[vs->n++] = vni;
	return 0;
}

/*
 * The other hosts (cluster mode, issue 20), from cfg->vteps and
 * cfg->remotes: pp_vteps, every other host's VTEP (a decapsulated frame
 * from any other source is dropped); pp_remote, each (stretched network,
 * MAC) there -> its host's VTEP (a MAC named twice: the first one); and
 * pp_rflood, each stretched network's hosts with ports on it, each once,
 * sorted, at most PP_RFLOOD_MAX (more: the network is in ERROR and floods
 * nowhere).  A host with no port on a network is in none of its entries.
 * Written where they differ, what nobody wants any more deleted (a flood
 * list replaced whole); pp_vnis entries that no network's entry agrees
 * with go too.  Returns 0 or the first error.
 */
static int reconcile_remotes(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct want_set vteps = want_init(PPM_VTEPS), remote = want_init(PPM_REMOTE);
	struct want_set flood = want_init(PPM_RFLOOD);
	struct vni_scan vs = { .m = &d->dp.maps };
	struct pp_rflood *fl;
	struct rmac *rm;
	struct rhost *h = NULL;
	long nh;
	size_t n = 0;
	__u32 one = 1;
	int err = 0, e;

	if (cfg->remotes_unknown)	/* the other hosts are not known yet: as pinned */
		return 0;
	fl = calloc(1, sizeof(*fl));
	rm = calloc(cfg->n_remotes + 1, sizeof(*rm));
	nh = remote_hosts(cfg, &h);
	if (!fl || !rm || nh < 0) {
		err = -ENOMEM;
		vteps.err = remote.err = flood.err = err;	/* written, nothing deleted */
	}
	for (__u32 i = 0; i < cfg->n_vteps; i++) {
		struct pp_vtep k;

		if (!cfg->vteps[i].addr.family)
			continue;
		vtep_of(&k, &cfg->vteps[i].addr);
		want_add(&vteps, &k, &one);
	}
	for (__u32 r = 0; rm && r < cfg->n_remotes; r++) {
		const struct pp_cfg_remote *c = &cfg->remotes[r];
		__u32 id = remote_valid(cfg, c) ? d->net_st[c->network].id : 0;

		if (!id)
			continue;
		rm[n].k.net_id = id;
		memcpy(rm[n].k.mac, c->mac, 6);
		rm[n].order = r;
		vtep_of(&rm[n++].vtep, &cfg->vteps[c->vtep].addr);
	}
	if (n)
		qsort(rm, n, sizeof(*rm), rmac_cmp);
	for (size_t i = 0; i < n; i++)
		if (!i || memcmp(&rm[i - 1].k, &rm[i].k, sizeof(rm[i].k)))
			want_add(&remote, &rm[i].k, &rm[i].vtep);
	for (long i = 0, j; fl && i < nh; i = j) {
		__u32 net = h[i].net, id = d->net_st[net].id;

		for (j = i; j < nh && h[j].net == net; j++)
			;
		if (!id)
			continue;
		if (j - i > PP_RFLOOD_MAX) {	/* in ERROR (reconcile_networks): floods nowhere */
			err = err ?: -E2BIG;
			continue;
		}
		memset(fl, 0, sizeof(*fl));
		fl->count = (__u32)(j - i);
		for (long k = i; k < j; k++)
			fl->vtep[k - i] = h[k].vtep;
		want_add(&flood, &id, fl);
	}
	/* the hosts first: what comes from them is taken before anything goes to them */
	e = want_sync(d, &vteps);
	err = err ?: e;
	e = want_sync(d, &remote);
	err = err ?: e;
	e = want_sync(d, &flood);
	err = err ?: e;
	e = pp_map_iter(&d->dp.maps, PPM_VNIS, vni_stale, &vs);
	for (size_t i = 0; !e && i < vs.n; i++)
		e = pp_vni_del(&d->dp.maps, vs.del[i]);
	err = err ?: e;
	free(h);
	free(rm);
	free(fl);
	return err;
}

/* XDP where safe on device st->ifindex if want, else TC; its veth peer recorded. */
static void xdp_dev_apply(struct pp_daemon *d, struct pp_obj_status *st, bool want)
{
	int err;

	st->peer_ifindex = pp_xdp_net_peer(st->ifindex, &st->peer_nsid);
	err = pp_xdp_net_apply(&d->dp, st->ifindex, want ? PP_MODE_AUTO : PP_MODE_TC, &st->mode,
			       st->mode_reason, sizeof(st->mode_reason));
	if (err) {
		st->mode = PP_MODE_TC;
		snprintf(st->mode_reason, sizeof(st->mode_reason),
			 "XDP could not be set up (%s): TC", strerror(-err));
	}
}

/*
 * An L3 domain's uplinks, by the same rule as a network's device: XDP where
 * safe when an instance port with an L3 port of the domain runs XDP (the
 * uplink's frames toward it then need no TC).  All of them at each pass:
 * a domain has at most PP_L3_UPLINKS_MAX.  An uplink that leaves loses its
 * XDP with its TC (reconcile_l3domains, dev_release).
 */
static void reconcile_xdp_uplinks(struct pp_daemon *d, const struct pp_config *cfg)
{
	for (__u32 i = 0; i < cfg->n_l3domains; i++) {
		const struct pp_cfg_l3domain *c = &cfg->l3domains[i];
		bool want = false;

		for (__u32 s = 0; s < cfg->n_sports && !want; s++)
			want = pp_cfg_sport_on_l3(&cfg->sports[s]) && cfg->sports[s].l3domain == i &&
			       d->iport_st[cfg->sports[s].iport].mode == PP_MODE_XDP;
		for (__u32 u = 0; u < c->n_uplinks; u++) {
			struct pp_obj_status *st = &d->l3up_st[i][u];

			st->mode = PP_MODE_NONE;
			st->mode_reason[0] = 0;
			st->peer_ifindex = 0;
			st->peer_nsid = -1;
			if (st->ifindex)	/* installed (reconcile_l3domains) */
				xdp_dev_apply(d, st, want);
		}
	}
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
 * and black-hole its TCP.  XDP that cannot be set up falls back to TC (the
 * mode's reason says why): not an error.  The L3 domains' uplinks follow
 * (reconcile_xdp_uplinks).  Returns 0 or -ENOMEM.
 */
static int reconcile_xdp_nets(struct pp_daemon *d, const struct pp_config *cfg, const bool *only)
{
	struct devmemo want = {}, first = {};	/* device -> wants XDP; -> its first network */
	int ret = -ENOMEM;

	if (memo_init(&want, cfg->n_networks) || memo_init(&first, cfg->n_networks))
		goto out;
	ret = 0;
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *s = &cfg->sports[i];
		__u32 ifindex = pp_cfg_sport_on_net(s) && !cfg->networks[s->network].vni ?
				d->net_st[s->network].ifindex : 0;
		bool fresh;

		if (ifindex && d->iport_st[s->iport].mode == PP_MODE_XDP)
			*memo_slot(&want, ifindex, &fresh) = 1;	/* XDP where safe */
	}
	for (__u32 i = 0; i < cfg->n_networks; i++) {
		struct pp_obj_status *st = &d->net_st[i];
		bool fresh;
		int *f;

		if (only && !only[i])
			continue;
		st->mode = PP_MODE_NONE;
		st->mode_reason[0] = 0;
		st->peer_ifindex = 0;
		st->peer_nsid = -1;
		if (!st->ifindex || st->status == PP_ST_ERROR)
			continue;
		if (cfg->networks[i].vni) {	/* the VXLAN device: never XDP */
			st->mode = PP_MODE_TC;
			snprintf(st->mode_reason, sizeof(st->mode_reason),
				 "the VXLAN device: TC only (the tunnel key is skb metadata)");
			continue;
		}
		f = memo_slot(&first, st->ifindex, &fresh);
		if (!fresh) {		/* a device shared with an earlier network */
			st->mode = d->net_st[*f].mode;
			memcpy(st->mode_reason, d->net_st[*f].mode_reason, sizeof(st->mode_reason));
			st->peer_ifindex = d->net_st[*f].peer_ifindex;
			st->peer_nsid = d->net_st[*f].peer_nsid;
			continue;
		}
		*f = i;
		xdp_dev_apply(d, st, *memo_slot(&want, st->ifindex, &fresh));
	}
	reconcile_xdp_uplinks(d, cfg);
out:
	memo_free(&want);
	memo_free(&first);
	return ret;
}

/* Derive service-port and instance-port statuses from their links. */
static void derive_statuses(struct pp_daemon *d, const struct pp_config *cfg)
{
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		struct pp_obj_status *st = &d->sport_st[i];
		const struct pp_obj_status *ist = &d->iport_st[c->iport], *nst;

		if (st->status == PP_ST_ERROR && st->own_error)
			continue;	/* its own: until the next full reconcile */
		/* a hop port has no network: it is as its instance port */
		nst = pp_cfg_sport_on_net(c) ? &d->net_st[c->network] :
		      pp_cfg_sport_on_l3(c) ? &d->l3dom_st[c->l3domain] : NULL;
		if (ist->status == PP_ST_DOWN || ist->status == PP_ST_ERROR)
			pp_status_set(st, PP_ST_DOWN, "instance port %s: %s", cfg->iports[c->iport].name,
				      ist->reason);
		else if (nst && nst->status != PP_ST_ACTIVE)
			pp_status_set(st, nst->status == PP_ST_ERROR ? PP_ST_ERROR : PP_ST_DOWN, "%s %s: %s",
				      pp_cfg_sport_on_net(c) ? "network" : "L3 domain",
				      pp_cfg_sport_bound(cfg, c), nst->reason);
		else
			pp_status_set(st, PP_ST_ACTIVE, "%s", "");
	}
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *c = &cfg->iports[i];
		struct pp_obj_status *st = &d->iport_st[i];
		__u32 bad = 0, first = 0;

		if (st->status == PP_ST_DEGRADED)	/* derived below, from its base ACTIVE */
			pp_status_set(st, PP_ST_ACTIVE, "%s", "");
		if (st->status != PP_ST_ACTIVE)
			continue;
		for (__u32 s = c->sport_first; s < c->sport_first + c->sport_count; s++)
			if (d->sport_st[s].status != PP_ST_ACTIVE && !bad++)
				first = s;
		if (bad)
			pp_status_set(st, PP_ST_DEGRADED, "%u of %u service ports not active (%s: %s)",
				      bad, c->sport_count, cfg->sports[first].name,
				      d->sport_st[first].reason);
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
	__u32 id = *(const __u32 *)key;

	if (!sp->match || pp_daemon_id_name(o->d, PP_NAME_SPORT, id) ||
	    pp_daemon_kept(o->d, PPM_SPORTS, key, val))
		return 0;
	if (PP_GROW(o->id, o->n, o->cap, 16))
		return -ENOMEM;
	o->id[o->n++] = id;
	return 0;
}


/* A device XDP may send to (pp_xdp_tx) that nothing binds in pp_devs. */
static int xdp_tx_orphan(const void *key, const void *val, void *arg)
{
	__u32 ifindex = *(const __u32 *)key;
	struct orphans *o = arg;
	struct pp_dev dev = {};

	(void)val;
	if (!pp_dev_get(&o->d->dp.maps, ifindex, &dev) && dev.flags && dev.ifindex == ifindex)
		return 0;
	if (PP_GROW(o->id, o->n, o->cap, 16))
		return -ENOMEM;
	o->id[o->n++] = ifindex;
	return 0;
}

/*
 * Devices a killed daemon left in pp_xdp_tx: networks whose entries it had
 * removed (the device with them) but whose names it had not released yet.
 * Their names bring the networks back to remove_stale(), not the device,
 * which no entry names any more.  At the first full reconcile, once every
 * device in use is bound: released.
 */
static int remove_orphan_devs(struct pp_daemon *d)
{
	struct orphans o = { .d = d };
	int err = pp_map_iter(&d->dp.maps, PPM_XDP_TX, xdp_tx_orphan, &o);

	for (size_t i = 0; !err && i < o.n; i++) {
		dev_release(d, o.id[i]);
		pr_info("device %u: in pp_xdp_tx, bound to nothing: released\n", o.id[i]);
	}
	free(o.id);
	return err;
}

/* Returns 0 or the first error (the scan, a removal). */
static int remove_orphans(struct pp_daemon *d)
{
	struct orphans o = { .d = d };
	int err, first, dev_err;

	if (d->orphans_swept)
		return 0;
	dev_err = remove_orphan_devs(d);
	if (dev_err)
		pr_warn("devices in pp_xdp_tx bound to nothing: scan failed: %s\n",
			strerror(-dev_err));
	first = err = pp_map_iter(&d->dp.maps, PPM_SPORTS, orphan_collect, &o);
	if (err)
		pr_warn("service ports without a name: scan failed: %s\n", strerror(-err));
	else
		d->orphans_swept = !dev_err;
	first = first ?: dev_err;
	for (size_t i = 0; i < o.n; i++) {
		err = pp_dp_sport_remove(&d->dp.maps, o.id[i]);
		if (err)
			pr_warn("service port id %u (no name): removal failed: %s\n", o.id[i],
				strerror(-err));
		else
			pr_info("service port id %u, named by nothing, removed\n", o.id[i]);
		first = first ?: err;
	}
	free(o.id);
	return first;
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

/*
 * The name pinned under id (of kind) when the configuration no longer has
 * it and it is not kept: what remove_stale() removes.  NULL otherwise.
 */
static const char *stale_name(struct pp_daemon *d, const struct pp_config *cfg, __u32 kind,
			      __u32 id)
{
	const char *nm = pp_daemon_id_name(d, kind, id);
	bool wanted;

	if (!nm)
		return NULL;
	/* L3 domains and chains have names (and ids) of the networks' kind */
	wanted = kind == PP_NAME_NET ? pp_config_find_network(cfg, nm) || pp_config_find_l3domain(cfg, nm) ||
				       pp_config_find_chain(cfg, nm) :
		 kind == PP_NAME_IPORT ? pp_config_find_iport(cfg, nm) != NULL :
					 pp_config_find_sport(cfg, nm) != NULL;
	return wanted || pp_daemon_kept_name(d, kind, nm, id) ? NULL : nm;
}

/*
 * Remove what is pinned under a name the configuration no longer has, or
 * under none.  Returns 0 or the first error (every removal is tried).
 */
static int remove_stale(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_maps *m = &d->dp.maps;
	__u32 sport_end = pp_daemon_id_end(d, PP_NAME_SPORT);
	__u32 iport_end = pp_daemon_id_end(d, PP_NAME_IPORT);
	__u32 net_end = pp_daemon_id_end(d, PP_NAME_NET);
	struct devmemo detached = {};	/* a device shared by many: detached once */
	__u32 *gone = NULL, *devs = NULL;
	bool *l3 = NULL;
	char name[PP_NAME_LEN];
	const char *nm;
	size_t n = 0;
	bool memo;
	int err = remove_orphans(d), e;

	for (__u32 id = 1; id < sport_end; id++) {
		nm = stale_name(d, cfg, PP_NAME_SPORT, id);
		if (!nm)
			continue;
		memcpy(name, nm, sizeof(name));	/* the removal releases the name */
		e = pp_dp_sport_remove(m, id);
		if (!e) {
			pp_crash_point("sport-removed");
			e = pp_daemon_name_release(d, PP_NAME_SPORT, name);
		}
		if (e)
			pr_warn("service port %s (id %u): removal failed\n", name, id);
		else
			pr_info("service port %s removed\n", name);
		err = err ?: e;
	}
	for (__u32 slot = 1; slot < iport_end; slot++) {
		struct pp_iport ip = {};
		struct pp_dev dev = {};

		nm = stale_name(d, cfg, PP_NAME_IPORT, slot);
		if (!nm)
			continue;
		memcpy(name, nm, sizeof(name));
		pp_iport_get(m, slot, &ip);
		e = pp_dp_iport_remove(m, slot);
		if (!e)
			e = pp_daemon_name_release(d, PP_NAME_IPORT, name);
		if (e) {
			pr_warn("instance port %s: removal failed\n", name);
			err = err ?: e;
			continue;
		}
		/* its taps, unless another instance port has them now */
		if (ip.ifindex && !pp_dev_get(m, ip.ifindex, &dev) && !dev.flags)
			dev_release(d, ip.ifindex);
		if (d->taps) {
			struct pp_iport_taps none = {}, t = d->taps[slot];

			t.standby = t.standby ?: ip.standby;
			taps_unbind(d, slot, &t, &none, NULL);
			d->taps[slot] = none;
		}
		pr_info("instance port %s removed\n", name);
	}
	/* Networks together: each device they leave is re-derived once. */
	gone = calloc(net_end + 1, sizeof(*gone));
	devs = calloc(net_end + 1, sizeof(*devs));
	if (!gone || !devs) {
		err = err ?: -ENOMEM;
		goto out;
	}
	for (__u32 id = 1; id < net_end; id++) {
		struct pp_net net = {};

		if (!stale_name(d, cfg, PP_NAME_NET, id))
			continue;
		pp_net_get(m, id, &net);
		devs[n] = net.ifindex;
		gone[n++] = id;
	}
	if (n && (e = pp_dp_nets_remove(m, gone, n))) {
		pr_warn("networks: removal failed\n");
		err = err ?: e;
	}
	/* an L3 domain among them: its entry goes (its ports went above, its
	 * uplinks with reconcile_l3domains) */
	l3 = calloc(n + 1, sizeof(*l3));
	for (size_t i = 0; l3 && i < n; i++) {
		struct pp_l3dom dom = {}, zero = {};

		l3[i] = !pp_l3dom_get(m, gone[i], &dom) && dom.table;
		if (l3[i] && (e = pp_l3dom_put(m, gone[i], &zero)))
			err = err ?: e;
	}
	memo = !memo_init(&detached, n);
	for (size_t i = 0; i < n; i++) {
		struct pp_net net = {};
		struct pp_dev dev = {};
		bool fresh = false;

		memcpy(name, pp_daemon_id_name(d, PP_NAME_NET, gone[i]), sizeof(name));
		e = !pp_net_get(m, gone[i], &net) && net.mtu ? -EBUSY :
		    pp_daemon_name_release(d, PP_NAME_NET, name);
		if (e) {
			pr_warn("network %s: removal failed\n", name);
			err = err ?: e;
			continue;
		}
		/* The device keeps our program only while a network uses it. */
		if (devs[i] && !pp_dev_get(m, devs[i], &dev) && !dev.flags &&
		    (!memo || (memo_slot(&detached, devs[i], &fresh), fresh)))
			dev_release(d, devs[i]);
		pr_info("%s %s removed\n", l3 && l3[i] ? "L3 domain" : "network", name);
	}
out:
	memo_free(&detached);		/* also what a failed memo_init allocated */
	free(l3);
	free(gone);
	free(devs);
	return err;
}

/* ---- L3 domains (loader/l3.c; DEVELOPERS.md "L3 domains") --------------------- */

/* The uplink of domain c whose prefix holds address a, or NULL. */
static const struct pp_cfg_l3uplink *uplink_of(const struct pp_cfg_l3domain *c,
					      const struct pp_cfg_addr *a)
{
	for (__u32 u = 0; u < c->n_uplinks; u++)
		for (__u32 k = 0; k < c->uplinks[u].n_addrs; k++)
			if (prefix_holds(&c->uplinks[u].addrs[k], a))
				return &c->uplinks[u];
	return NULL;
}

struct uplink_scan {
	const struct pp_daemon *d;
	__u32 ifindex[256], dom[256];
	size_t n;
};

static int uplink_collect(const void *key, const void *val, void *arg)
{
	const struct pp_l3up *up = val;
	struct uplink_scan *us = arg;

	if (us->n < 256) {
		us->ifindex[us->n] = *(const __u32 *)key;
		us->dom[us->n++] = up->dom;
	}
	return 0;
}

/*
 * Every L3 domain: its id (of the networks' kind), its pp_l3doms entry, its
 * uplinks (pp_l3ups, pp_devs, our TC program, their sysctls); uplinks that
 * are no longer a domain's leave.  Returns 0 or the first error (a domain
 * in ERROR has it as its reason; the others go on).
 */
static int reconcile_l3domains(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_maps *m = &d->dp.maps;
	struct uplink_scan us = { .d = d };
	struct want_set gws = want_init(PPM_L3GW);	/* ICMP errors' sources */
	int first = 0;

	for (__u32 i = 0; i < cfg->n_l3domains; i++) {
		const struct pp_cfg_l3domain *c = &cfg->l3domains[i];
		struct pp_obj_status *st = &d->l3dom_st[i];
		struct pp_l3dom v = { .table = c->table, .mtu = (__u16)c->mtu };
		const char *down = NULL;
		int err;

		for (__u32 u = 0; u < c->n_uplinks; u++)
			d->l3up_st[i][u].ifindex = 0;	/* until installed below */
		if (!status_id(d, st, PP_NAME_NET, c->name, "no free network id", &first))
			continue;
		memcpy(v.gw_mac, c->gw_mac, 6);
		{
			struct pp_l3dom cur = {};

			err = !pp_l3dom_get(m, st->id, &cur) && !memcmp(&cur, &v, sizeof(v)) ? 0 :
			      pp_l3dom_put(m, st->id, &v);
		}
		for (__u32 k = 0; k < c->n_subnets; k++) {	/* pp_l3gw: subnet -> gateway */
			const struct pp_cfg_l3subnet *sn = &c->subnets[k];
			struct pp_l3gw_key gk = { .prefixlen = 64 + sn->cidr.plen, .dom = st->id };
			struct pp_l3gw gv = {};

			gk.family = sn->cidr.family == PP_AF_INET ? PP_NEIGH_V4 : PP_NEIGH_V6;
			memcpy(gk.addr, sn->cidr.addr, 16);
			memcpy(gv.addr, sn->gateway.addr, 16);
			want_add(&gws, &gk, &gv);
		}
		for (__u32 u = 0; !err && u < c->n_uplinks; u++) {
			const struct pp_cfg_l3uplink *ul = &c->uplinks[u];
			struct pp_l3up up = { .dom = st->id };
			bool is_up;
			__u32 ifindex = pp_link_state(ul->device, &is_up);

			if (!ifindex) {
				down = down ?: ul->device;
				continue;
			}
			for (__u32 k = 0; k < ul->n_addrs; k++) {
				if (ul->addrs[k].family == PP_AF_INET) {
					memcpy(up.ip4, ul->addrs[k].addr, 4);
					up.flags |= PP_L3UP_V4;
				} else {
					memcpy(up.ip6, ul->addrs[k].addr, 16);
					up.flags |= PP_L3UP_V6;
				}
			}
			err = pp_link_mac(ul->device, up.mac);
			if (!err)
				err = pp_l3_dev_conf(ul->device, true);
			if (!err)
				err = pp_l3_uplink_install(m, st->id, ifindex, &up);
			if (!err)
				err = ensure_attached(d, (int)ifindex, PP_ROLE_NET);
			if (!err)	/* only polyport's frames leave by it */
				err = pp_dp_attach_egress(&d->dp, (int)ifindex);
			if (!err)	/* its XDP: reconcile_xdp_uplinks() */
				d->l3up_st[i][u].ifindex = ifindex;
			if (err)
				pp_status_set(st, PP_ST_ERROR, "uplink %s: %s", ul->device, strerror(-err));
			else if (!is_up)
				down = down ?: ul->device;
			if (!st->ifindex)
				st->ifindex = ifindex;
		}
		/* the next hops of its routes, resolved by polyportd (loader/l3nh.c) */
		for (__u32 r = 0; !err && d->l3nh && r < c->n_routes; r++) {
			const struct pp_cfg_l3route *cr = &c->routes[r];
			const struct pp_cfg_l3uplink *ul = uplink_of(c, &cr->via);
			const struct pp_cfg_addr *src = NULL;
			__u8 mac[6];
			bool is_up;
			__u32 ifindex = ul ? pp_link_state(ul->device, &is_up) : 0;

			for (__u32 k = 0; ul && k < ul->n_addrs && !src; k++)
				if (ul->addrs[k].family == cr->via.family)
					src = &ul->addrs[k];
			if (!ifindex || !src || pp_link_mac(ul->device, mac))
				continue;
			pp_l3nh_want(d->l3nh, ifindex, mac,
				     cr->via.family == PP_AF_INET ? PP_NEIGH_V4 : PP_NEIGH_V6,
				     src->addr, cr->via.addr);
		}
		if (err && st->status != PP_ST_ERROR)
			pp_status_set(st, PP_ST_ERROR, "%s", strerror(-err));
		else if (!err && down)
			pp_status_set(st, PP_ST_DOWN, "uplink %s is absent or down (waiting)", down);
		else if (!err)
			pp_status_set(st, PP_ST_ACTIVE, "%s", "");
		first = first ?: err;
	}
	first = first ?: want_sync(d, &gws);
	/* uplinks no domain has any more */
	if (pp_map_iter(m, PPM_L3UPS, uplink_collect, &us))
		return first ?: -EIO;
	for (size_t k = 0; k < us.n; k++) {
		struct pp_l3up up = { .dom = us.dom[k] };
		/* an uplink of a domain kept from a damaged API state file stays */
		bool wanted = pp_daemon_kept(d, PPM_L3UPS, &us.ifindex[k], &up);

		for (__u32 i = 0; i < cfg->n_l3domains && !wanted; i++) {
			const struct pp_cfg_l3domain *c = &cfg->l3domains[i];

			if (d->l3dom_st[i].id != us.dom[k])
				continue;
			for (__u32 u = 0; u < c->n_uplinks && !wanted; u++) {
				bool up;

				wanted = pp_link_state(c->uplinks[u].device, &up) == us.ifindex[k];
			}
		}
		if (wanted)
			continue;
		if (!pp_l3_uplink_remove(m, us.dom[k], us.ifindex[k])) {
			dev_release(d, us.ifindex[k]);
			if (d->l3nh)
				pp_l3nh_forget_dev(d->l3nh, us.ifindex[k]);
		}
	}
	return first;
}

/* ---- next hops the dataplane missed (pp_l3miss) ---------------------------------- */

#define L3MISS_BUDGET	64	/* misses taken per call: a flood cannot stall the loop */

struct l3miss_scan {
	struct pp_l3nh_key k[L3MISS_BUDGET];
	size_t n;
	struct pp_l3nh_key *more;	/* adopt: every VALID pp_l3nh key, grown as needed */
	size_t cap;
};

static int l3miss_collect(const void *key, const void *val, void *arg)
{
	struct l3miss_scan *ms = arg;

	(void)val;
	if (ms->n >= L3MISS_BUDGET)
		return 1;	/* the rest at the next tick */
	memcpy(&ms->k[ms->n++], key, sizeof(struct pp_l3nh_key));
	return 0;
}

static int l3nh_collect_valid(const void *key, const void *val, void *arg)
{
	const struct pp_l3nh *v = val;
	struct l3miss_scan *ms = arg;

	if (!(v->flags & PP_L3NH_VALID))
		return 0;
	if (PP_GROW(ms->more, ms->n, ms->cap, 16))
		return -ENOMEM;
	memcpy(&ms->more[ms->n++], key, sizeof(struct pp_l3nh_key));
	return 0;
}

/*
 * Next hop k (an uplink, an address) wanted by a miss: resolved from the
 * uplink's address of its family, if the uplink is a configured domain's
 * (pp_l3ups gives the domain; the device is matched by its ifindex).
 */
static int l3_missed_want(struct pp_daemon *d, const struct pp_l3nh_key *k, __u64 now_ns)
{
	const struct pp_config *cfg = d->cfg;
	__u8 fam = k->family == PP_NEIGH_V4 ? PP_AF_INET : PP_AF_INET6;
	struct pp_l3up up;

	if (!cfg || pp_l3up_get(&d->dp.maps, k->ifindex, &up))
		return -ENOENT;
	for (__u32 i = 0; i < cfg->n_l3domains; i++) {
		const struct pp_cfg_l3domain *c = &cfg->l3domains[i];

		if (!d->l3dom_st[i].id || d->l3dom_st[i].id != up.dom)
			continue;
		for (__u32 u = 0; u < c->n_uplinks; u++) {
			const struct pp_cfg_l3uplink *ul = &c->uplinks[u];
			const struct pp_cfg_addr *src = NULL;
			__u8 mac[6];
			bool is_up;

			if (pp_link_state(ul->device, &is_up) != k->ifindex)
				continue;
			for (__u32 a = 0; a < ul->n_addrs && !src; a++)
				if (ul->addrs[a].family == fam)
					src = &ul->addrs[a];
			if (!src || pp_link_mac(ul->device, mac))
				return -ENOENT;
			return pp_l3nh_want_missed(d->l3nh, k->ifindex, mac, k->family, src->addr,
						   k->addr, now_ns);
		}
	}
	return -ENOENT;
}

int pp_reconcile_l3_misses(struct pp_daemon *d, __u64 now_ns, bool adopt)
{
	struct l3miss_scan ms = { .n = 0 };
	int err, wanted = 0;

	if (!d->l3nh)
		return 0;
	if (adopt) {
		/* a restarted daemon: the VALID entries it no longer knows are aged like misses */
		err = pp_map_iter(&d->dp.maps, PPM_L3NH, l3nh_collect_valid, &ms);
		for (size_t i = 0; !err && i < ms.n; i++)
			l3_missed_want(d, &ms.more[i], now_ns);
		free(ms.more);
		if (err)
			return err;
		ms.n = 0;
	}
	err = pp_map_iter(&d->dp.maps, PPM_L3MISS, l3miss_collect, &ms);
	if (err < 0)
		return err;
	for (size_t i = 0; i < ms.n; i++) {
		/* taken: a miss the configuration does not know is dropped as well */
		pp_l3miss_del(&d->dp.maps, ms.k[i]);
		if (!l3_missed_want(d, &ms.k[i], now_ns))
			wanted++;
	}
	return wanted;
}

/* pp_l3addrs: (domain, address) -> its L3 port, for every L3 port with an id. */
static int reconcile_l3addrs(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct want_set w = want_init(PPM_L3ADDRS);

	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 id = d->sport_st[i].id, dom;

		if (!pp_cfg_sport_on_l3(c) || !id || !(dom = d->l3dom_st[c->l3domain].id))
			continue;
		for (__u32 a = 0; a < c->n_addrs; a++) {
			struct pp_l3addr_key k = { .dom = dom };

			k.family = c->addrs[a].family == PP_AF_INET ? PP_NEIGH_V4 : PP_NEIGH_V6;
			memcpy(k.addr, c->addrs[a].addr, 16);
			want_add(&w, &k, &id);
		}
	}
	return want_sync(d, &w);
}

static void route_prefix(struct pp_l3_route *r, const struct pp_cfg_addr *a, bool host)
{
	r->family = a->family == PP_AF_INET ? AF_INET : AF_INET6;
	r->plen = host ? (a->family == PP_AF_INET ? 32 : 128) : a->plen;
	memcpy(r->dst, a->addr, 16);
}

/*
 * The kernel side of every domain: its table's routes of ours (unreachable
 * subnets, static routes through uplinks, each L3 port's addresses and the
 * prefixes behind it through its tap) and forwarding on its L3 ports' taps.
 * A route through an absent device waits for the next pass.
 */
static int reconcile_l3kernel(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_l3_route *want = NULL;
	size_t n = 0, cap = 0;
	int first = 0, err;

	if (!cfg->n_l3domains && !d->l3_routes && d->reconciles)
		return 0;	/* none since the first pass: nothing of ours to look for */
	for (int pass = 0; pass < 2; pass++) {
		for (__u32 i = 0; i < cfg->n_l3domains; i++) {
			const struct pp_cfg_l3domain *c = &cfg->l3domains[i];

			for (__u32 s = 0; s < c->n_subnets; s++, n++)
				if (pass) {
					want[n] = (struct pp_l3_route){ .table = c->table,
									.type = RTN_UNREACHABLE };
					route_prefix(&want[n], &c->subnets[s].cidr, false);
				}
			for (__u32 r = 0; r < c->n_routes; r++) {
				const struct pp_cfg_l3route *cr = &c->routes[r];
				const struct pp_cfg_l3uplink *ul = uplink_of(c, &cr->via);
				bool up;
				__u32 oif = ul ? pp_link_state(ul->device, &up) : 0;

				if (!oif)
					continue;
				if (pass) {
					want[n] = (struct pp_l3_route){ .table = c->table, .type = RTN_UNICAST,
									.onlink = true, .has_gw = true,
									.oif = oif };
					route_prefix(&want[n], &cr->to, false);
					memcpy(want[n].gw, cr->via.addr, 16);
				}
				n++;
			}
		}
		for (__u32 i = 0; i < cfg->n_sports; i++) {
			const struct pp_cfg_sport *c = &cfg->sports[i];
			const struct pp_iport_taps *tp = iport_taps(d, c->iport);
			__u32 oif = d->iport_st[c->iport].ifindex;

			if (!pp_cfg_sport_on_l3(c) || !d->sport_st[i].id || !oif || !tp)
				continue;
			if (!pass && (err = pp_l3_dev_conf(tp->active_name, false)))
				first = first ?: err;
			/* quieted as an L2 tap before: IPv6 on again, still without an address */
			if (!pass && (err = pp_link_ipv6_conf_set(tp->active_name, "disable_ipv6", '0')) &&
			    err != -ENOENT)
				first = first ?: err;
			for (__u32 a = 0; a < c->n_addrs; a++, n++)
				if (pass) {
					want[n] = (struct pp_l3_route){
						.table = cfg->l3domains[c->l3domain].table,
						.type = RTN_UNICAST, .oif = oif };
					route_prefix(&want[n], &c->addrs[a], true);
				}
			for (__u32 r = 0; r < c->n_l3_routes; r++) {
				const struct pp_cfg_addr *via = NULL;

				for (__u32 a = 0; a < c->n_addrs && !via; a++)
					if (c->addrs[a].family == c->l3_routes[r].to.family)
						via = &c->addrs[a];
				if (!via)
					continue;
				if (pass) {
					want[n] = (struct pp_l3_route){
						.table = cfg->l3domains[c->l3domain].table,
						.type = RTN_UNICAST, .oif = oif, .has_gw = true,
						.onlink = true };
					route_prefix(&want[n], &c->l3_routes[r].to, false);
					memcpy(want[n].gw, via->addr, 16);
				}
				n++;
			}
		}
		if (!pass) {
			cap = n;
			n = 0;
			want = calloc(cap + 1, sizeof(*want));
			if (!want)
				return -ENOMEM;
		}
	}
	err = pp_l3_routes_sync(want, n);
	d->l3_routes = n > 0;
	free(want);
	return first ?: err;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A step's result: a failure is logged, and the first one kept for the caller. */
static void step_result(int *first, const char *step, int err)
{
	if (!err)
		return;
	pr_warn("reconcile: %s: %s\n", step, strerror(-err));
	if (!*first)
		*first = err;
}

int pp_reconcile(struct pp_daemon *d, struct pp_config *cfg, bool links_only)
{
	double t0 = now_ms(), t[4] = { 0 };
	unsigned long w0 = d->dp.maps.writes;
	int err;

	if (!links_only) {
		err = pp_daemon_status_alloc(d, cfg);
		if (err)
			return err;
		/* A full pass starts from the kernel's tables, whoever wrote them. */
		pp_maps_refresh(&d->dp.maps);
	}
	/*
	 * Every step runs whatever the steps before it returned: each one
	 * does what it can (an object it cannot program is in ERROR, with
	 * the reason), and a later step skips only the objects without an id.
	 */
	err = 0;
	/* Networks and instance ports first: service ports refer to their ids. */
	step_result(&err, "networks", reconcile_networks(d, cfg, NULL));
	if (!links_only || cfg->n_l3domains)
		step_result(&err, "L3 domains", reconcile_l3domains(d, cfg));
	/* chains: their ids before their hop ports (loader/chains.h, the order) */
	if (!links_only)
		step_result(&err, "chains", pp_chains_prepare(d, cfg));
	t[0] = now_ms();
	step_result(&err, "instance ports", reconcile_iports(d, cfg, NULL));
	step_result(&err, "XDP on network devices", reconcile_xdp_nets(d, cfg, NULL));
	t[1] = now_ms();
	if (!links_only) {
		step_result(&err, "service ports", reconcile_sports(d, cfg));
		step_result(&err, "other hosts", reconcile_remotes(d, cfg));
		step_result(&err, "L3 addresses", reconcile_l3addrs(d, cfg));
		step_result(&err, "chain hops", pp_chains_hops(d, cfg));
	} else if (cfg->n_chains) {
		step_result(&err, "chain hops", pp_chains_links(d, cfg));	/* the tables only */
	}
	if (!links_only || cfg->n_l3domains)
		step_result(&err, "L3 routes", reconcile_l3kernel(d, cfg));
	if (!links_only) {
		t[2] = now_ms();
		step_result(&err, "responder", reconcile_neigh(d, cfg));
		step_result(&err, "security", reconcile_security(d, cfg));
		step_result(&err, "dhcp", reconcile_dhcp(d, cfg));
		step_result(&err, "rules", reconcile_rules(d, cfg));
		step_result(&err, "chains' activation", pp_chains_activate(d, cfg));
		t[3] = now_ms();
		step_result(&err, "removals", remove_stale(d, cfg));
		step_result(&err, "allowed pairs", reconcile_pair_fdb(d, cfg));
		pp_daemon_set_config(d, cfg);
	}
	derive_statuses(d, cfg);
	pp_daemon_reconciled(d, now_ms() - t0);
	pr_debug("reconcile%s: %.2f ms, %lu map writes (networks %.2f, instance ports %.2f, "
		 "service ports %.2f, services %.2f, removals %.2f ms)\n",
		 links_only ? " (links)" : "", d->last_reconcile_ms, d->dp.maps.writes - w0,
		 t[0] - t0, t[1] - t[0], t[2] ? t[2] - t[1] : 0, t[3] ? t[3] - t[2] : 0,
		 t[3] ? t0 + d->last_reconcile_ms - t[3] : 0);
	return err;
}

/*
 * The instance ports link name concerns (marked in ip): the one it is the
 * device of, the one whose id its alias names, those it is bound to now (by
 * name or ifindex: a tap renamed, deleted, its alias cleared).
 */
static void iports_of_link(const struct pp_daemon *d, const struct pp_config *cfg,
			   const char *name, bool *ip)
{
	const size_t plen = strlen(PP_IPORT_ALIAS_PREFIX);
	const struct pp_cfg_iport *c = pp_config_find_iport_by_device(cfg, name);
	char alias[80];
	__u32 ifindex = if_nametoindex(name);

	if (c)
		ip[c - cfg->iports] = true;
	if (!pp_link_alias(name, alias, sizeof(alias)) &&
	    !strncmp(alias, PP_IPORT_ALIAS_PREFIX, plen) &&
	    (c = pp_config_find_iport_by_id(cfg, alias + plen)))
		ip[c - cfg->iports] = true;
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_iport_taps *t = pp_daemon_iport_taps(d, i);

		if (!t || ip[i])
			continue;
		if (pp_iport_taps_has(t, ifindex) || !strcmp(t->active_name, name) ||
		    !strcmp(t->standby_name, name))
			ip[i] = true;
		for (__u32 r = 0; r < t->n_retired; r++)
			if (!strcmp(t->retired_name[r], name))
				ip[i] = true;
	}
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
			if (!strcmp(cfg->networks[i].vni ? d->vx.dev : cfg->networks[i].device,
				    names[k]))
				net[i] = xnet[i] = true;
	for (size_t k = 0; k < n; k++)
		iports_of_link(d, cfg, names[k], ip);
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *c = &cfg->iports[i];

		if (!ip[i])
			continue;
		/* its tap's mode may change what the networks it reaches want */
		for (__u32 s = c->sport_first; s < c->sport_first + c->sport_count; s++)
			if (pp_cfg_sport_on_net(&cfg->sports[s]))
				xnet[cfg->sports[s].network] = true;
	}
	err = 0;
	step_result(&err, "networks", reconcile_networks(d, cfg, net));
	if (cfg->n_l3domains)	/* an uplink may be among them */
		step_result(&err, "L3 domains", reconcile_l3domains(d, cfg));
	step_result(&err, "instance ports", reconcile_iports(d, cfg, ip));
	/* routes through a device that came back (or went) */
	if (cfg->n_l3domains)
		step_result(&err, "L3 routes", reconcile_l3kernel(d, cfg));
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
	step_result(&err, "XDP on network devices", reconcile_xdp_nets(d, cfg, xnet));
	/* a hop's instances follow their taps: its table only (loader/chains.c) */
	if (cfg->n_chains)
		step_result(&err, "chain hops", pp_chains_links(d, cfg));
	derive_statuses(d, cfg);
	pp_daemon_reconciled(d, now_ms() - t0);
out:
	memo_free(&devs);
	free(net);
	free(xnet);
	free(ip);
	return err;
}

/* ---- taps of instance ports (issue 18) ---------------------------------------------- */

int pp_reconcile_activate(struct pp_daemon *d, __u32 i, const char *tap)
{
	const struct pp_config *cfg = d->cfg;
	struct pp_iport_taps *t;
	struct pp_iport cur;
	__u32 ifindex, slot;
	bool *only;
	int err;

	if (!cfg || i >= cfg->n_iports || !(slot = d->iport_st[i].id) || !d->taps)
		return -ENOENT;
	t = &d->taps[slot];
	ifindex = if_nametoindex(tap);
	if (!ifindex || !pp_iport_taps_has(t, ifindex))
		return -ENODEV;
	if (ifindex == t->active)
		return 0;
	if (pp_iport_get(&d->dp.maps, slot, &cur))
		return -EIO;
	/* as the tap's first frame would: one compare-and-swap of the active tap */
	{
		struct pp_iport v = cur;
		__u32 seen = cur.ifindex;

		v.ifindex = ifindex;
		v.standby = 0;
		err = pp_dp_iport_install(&d->dp.maps, slot, &v, &seen);
		if (err)
			return err == -EAGAIN ? -EBUSY : err;
	}
	/* the previous active tap is retired, whatever its age (an incoming
	 * port may have none: the pinned one stays active, taps_decide) */
	if (t->active && t->n_retired < PP_IPORT_RETIRED_MAX && !taps_retired(t, t->active))
		t->retired[t->n_retired++] = t->active;
	t->standby = ifindex;	/* counted as a move, as the dataplane's */
	only = calloc(cfg->n_iports + 1, sizeof(*only));
	if (!only)
		return -ENOMEM;
	only[i] = true;
	err = reconcile_iports(d, cfg, only);
	free(only);
	pr_info("instance port %s: tap %s made active\n", cfg->iports[i].name, tap);
	return err;
}

bool pp_reconcile_standby_check(struct pp_daemon *d)
{
	const struct pp_config *cfg = d->cfg;
	const char *names[64];
	size_t n = 0;

	if (!cfg || !d->taps)
		return false;
	for (__u32 i = 0; i < cfg->n_iports && n < ARRAY_SIZE(names); i++) {
		const struct pp_iport_taps *t = pp_daemon_iport_taps(d, i);
		struct pp_iport cur;

		/* (another value than the standby: a store that raced a change of it) */
		if (t && t->standby && !pp_iport_get(&d->dp.maps, d->iport_st[i].id, &cur) &&
		    cur.ifindex != t->active) {
			pr_info("instance port %s: tap %s took over from %s (its first frame)\n",
				cfg->iports[i].name, t->standby_name,
				t->active_name[0] ? t->active_name : "none");
			names[n++] = t->standby_name;
		}
	}
	if (n)
		pp_reconcile_devices(d, names, n);
	return n > 0;
}

bool pp_reconcile_alias_check(struct pp_daemon *d)
{
	const size_t plen = strlen(PP_IPORT_ALIAS_PREFIX);
	const struct pp_config *cfg = d->cfg;
	struct pp_link_alias *al = NULL;
	const char *names[64];
	size_t n = 0;
	int nal;

	if (!cfg || !d->taps || !d->alias_waiting)
		return false;
	nal = pp_link_aliases(PP_IPORT_ALIAS_PREFIX, &al);
	for (int k = 0; k < nal && n < ARRAY_SIZE(names); k++) {
		const struct pp_cfg_iport *c = pp_config_find_iport_by_id(cfg, al[k].alias + plen);
		const struct pp_iport_taps *t = c ? pp_daemon_iport_taps(d, c - cfg->iports) : NULL;

		if (t && !t->active && !t->standby)
			names[n++] = al[k].name;
	}
	if (n)
		pp_reconcile_devices(d, names, n);
	free(al);
	return n > 0;
}
