// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Service chains: the reconcile's steps, the instance tables, the statuses (see chains.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "chains.h"
#include "log.h"
#include "util.h"

/* ---- the instance table (pure) --------------------------------------------- */

/* The index among n of the largest need (ties: the lowest index), -1 if none is alive. */
static int need_max(const int *need, const bool *alive, unsigned n)
{
	int best = -1;

	for (unsigned i = 0; i < n; i++)
		if (alive[i] && (best < 0 || need[i] > need[best]))
			best = (int)i;
	return best;
}

static int need_min(const int *need, const bool *alive, unsigned n)
{
	int best = -1;

	for (unsigned i = 0; i < n; i++)
		if (alive[i] && (best < 0 || need[i] < need[best]))
			best = (int)i;
	return best;
}

unsigned pp_chain_slots_fill(__u8 slots[PP_CHAIN_SLOTS], const __u32 *weight, const bool *live,
			     unsigned n)
{
	__u32 cnt[PP_CHAIN_INST_MAX] = { 0 }, target[PP_CHAIN_INST_MAX] = { 0 };
	__u64 rem[PP_CHAIN_INST_MAX] = { 0 }, total = 0;
	bool alive[PP_CHAIN_INST_MAX] = { false }, extra[PP_CHAIN_INST_MAX] = { false };
	int need[PP_CHAIN_INST_MAX] = { 0 };
	unsigned n_live = 0, given = 0, cursor = 0;

	if (n > PP_CHAIN_INST_MAX)
		n = PP_CHAIN_INST_MAX;
	for (unsigned i = 0; i < n; i++) {
		alive[i] = live[i] && weight[i];
		if (alive[i]) {
			total += weight[i];
			n_live++;
		}
	}
	if (!n_live) {
		memset(slots, PP_CHAIN_NONE, PP_CHAIN_SLOTS);
		return 0;
	}
	/* what each live instance holds now; the rest is free */
	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++) {
		if (slots[s] < n && alive[slots[s]])
			cnt[slots[s]]++;
		else
			slots[s] = PP_CHAIN_NONE;
	}
	/* quotas: the floors, then one more each by largest remainder, to
	 * those holding that one already first (nothing moves for rounding) */
	for (unsigned i = 0; i < n; i++) {
		if (!alive[i])
			continue;
		target[i] = (__u32)(PP_CHAIN_SLOTS * (__u64)weight[i] / total);
		rem[i] = PP_CHAIN_SLOTS * (__u64)weight[i] % total;
		given += target[i];
	}
	for (int pass = 0; pass < 2; pass++) {
		while (given < PP_CHAIN_SLOTS) {
			int best = -1;

			for (unsigned i = 0; i < n; i++)
				if (alive[i] && !extra[i] && (pass || cnt[i] > target[i]) &&
				    (best < 0 || rem[i] > rem[best]))
					best = (int)i;
			if (best < 0)
				break;
			extra[best] = true;
			target[best]++;
			given++;
		}
	}
	for (unsigned i = 0; i < n; i++)
		need[i] = (int)target[i] - (int)cnt[i];
	/* free slots to the largest deficit */
	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++) {
		int j;

		if (slots[s] != PP_CHAIN_NONE)
			continue;
		j = need_max(need, alive, n);
		slots[s] = (__u8)j;
		need[j]--;
	}
	/* still short (the needs sum to 0 now): taken from the most over-quota */
	for (;;) {
		int j = need_max(need, alive, n), k = need_min(need, alive, n);

		if (need[j] <= 0 || need[k] >= 0)
			break;
		while (slots[cursor % PP_CHAIN_SLOTS] != k)
			cursor++;
		slots[cursor++ % PP_CHAIN_SLOTS] = (__u8)j;
		need[j]--;
		need[k]++;
	}
	return n_live;
}

/* ---- helpers ----------------------------------------------------------------- */

__u32 pp_chains_sport_net(const struct pp_daemon *d, const struct pp_cfg_sport *c)
{
	return d->chain_st[c->chain].id;
}

/* Chain i failed at what: ERROR (its own, kept until the next full reconcile). */
static void chain_error(struct pp_daemon *d, const struct pp_config *cfg, __u32 i, const char *what,
			int err)
{
	struct pp_obj_status *st = &d->chain_st[i];

	if (!st->own_error)
		pp_status_set(st, PP_ST_ERROR, "%s: %s", what, strerror(-err));
	st->own_error = true;
	pr_warn("chain %s: %s: %s\n", cfg->chains[i].name, what, strerror(-err));
}

/* The chain (index in cfg->chains) with id, -1 if none. */
static int chain_by_id(const struct pp_daemon *d, const struct pp_config *cfg, __u32 id)
{
	for (__u32 i = 0; id && i < cfg->n_chains; i++)
		if (d->chain_st[i].id == id)
			return (int)i;
	return -1;
}

/* The id of the chain that should steer network id net (0: none). */
static __u32 net_wants(const struct pp_daemon *d, const struct pp_config *cfg, __u32 net)
{
	for (__u32 i = 0; net && i < cfg->n_chains; i++)
		if (d->chain_st[i].id && d->net_st[cfg->chains[i].network].id == net)
			return d->chain_st[i].id;
	return 0;
}

/* ---- chain slots: pp_chain_hops[slot * PP_CHAIN_HOPS_MAX + hop] ---------------- */

struct slot_scan {
	__u32 owner[PP_DEF_MAX_CHAINS];	/* slot -> the chain of one of its hop entries */
	bool used[PP_DEF_MAX_CHAINS];	/* named by an entry of pp_chains or pp_chain_hops */
};

static int slot_hops_one(const void *key, const void *val, void *arg)
{
	const struct pp_chain_hop *h = val;
	struct slot_scan *ss = arg;
	__u32 slot = *(const __u32 *)key / PP_CHAIN_HOPS_MAX;

	if (slot < PP_DEF_MAX_CHAINS && h->chain) {
		ss->used[slot] = true;
		if (!ss->owner[slot])
			ss->owner[slot] = h->chain;
	}
	return 0;
}

static int slot_chains_one(const void *key, const void *val, void *arg)
{
	const struct pp_chain *c = val;
	struct slot_scan *ss = arg;

	(void)key;
	if (c->slot < PP_DEF_MAX_CHAINS)
		ss->used[c->slot] = true;
	return 0;
}

/*
 * Chain id's slot as pinned: its pp_chains entry's, else the one whose hop
 * entries are its (a daemon killed before pp_chains was written); 0: none.
 */
static __u32 slot_adopted(const struct pp_maps *m, const struct slot_scan *ss, __u32 id)
{
	struct pp_chain c = {};

	if (!pp_map_get(m, PPM_CHAINS, &id, &c) && c.net_id && c.slot &&
	    c.slot < PP_DEF_MAX_CHAINS)
		return c.slot;
	for (__u32 s = 1; ss && s < PP_DEF_MAX_CHAINS; s++)
		if (ss->owner[s] == id)
			return s;
	return 0;
}

/* The slot of chain id (0: none), one map read or a scan. */
static __u32 slot_of(const struct pp_maps *m, __u32 id)
{
	struct slot_scan *ss;
	__u32 slot = slot_adopted(m, NULL, id);

	if (slot || !(ss = calloc(1, sizeof(*ss))))
		return slot;
	if (!pp_map_iter(m, PPM_CHAIN_HOPS, slot_hops_one, ss))
		slot = slot_adopted(m, ss, id);
	free(ss);
	return slot;
}

/* ---- instances ------------------------------------------------------------------- */

/*
 * Is instance in live: both its service ports programmed and their
 * instance ports' taps present and up?  If not, why (into why).
 */
static bool inst_live(const struct pp_daemon *d, const struct pp_config *cfg,
		      const struct pp_cfg_chain_inst *in, char *why, size_t len)
{
	for (int p = 0; p < 2; p++) {
		__u32 s = p ? in->out : in->in;
		const struct pp_obj_status *sst = &d->sport_st[s];
		const struct pp_obj_status *ist = &d->iport_st[cfg->sports[s].iport];

		if (!sst->id || (sst->status == PP_ST_ERROR && sst->own_error)) {
			pp_say(why, len, "%s: not programmed", cfg->sports[s].name);
			return false;
		}
		/* DEGRADED: up, some of its service ports are not (maybe this hop's) */
		if (ist->status != PP_ST_ACTIVE && ist->status != PP_ST_DEGRADED) {
			pp_say(why, len, "%s", ist->reason);
			return false;
		}
	}
	return true;
}

/*
 * The table of hop h of chain i (id, slot) from what is pinned, with the
 * instances live now; written if it changed.  *n_live, and the hop's status.
 */
static int hop_table(struct pp_daemon *d, const struct pp_config *cfg, __u32 i, __u32 id,
		     __u32 slot, __u32 h)
{
	const struct pp_cfg_chain_hop *hop = &cfg->chains[i].hops[h];
	struct pp_obj_status *hst = &d->chain_hop_st[i][h];
	struct pp_chain_hop cur = {}, v = {};
	__u32 key = slot * PP_CHAIN_HOPS_MAX + h, weight[PP_CHAIN_INST_MAX];
	__u8 remap[PP_CHAIN_INST_MAX];
	bool live[PP_CHAIN_INST_MAX];
	char down[sizeof(hst->reason)] = "";
	size_t off = 0;
	unsigned n = hop->n_inst < PP_CHAIN_INST_MAX ? hop->n_inst : PP_CHAIN_INST_MAX;

	v.n_inst = (__u8)n;
	v.chain = id;
	for (unsigned k = 0; k < n; k++) {
		const struct pp_cfg_chain_inst *in = &hop->inst[k];
		char why[80];

		v.inst[k].in_sport = d->sport_st[in->in].id;
		v.inst[k].out_sport = d->sport_st[in->out].id;
		weight[k] = in->weight ? in->weight : 1;
		live[k] = inst_live(d, cfg, in, why, sizeof(why));
		if (!live[k] && off + 1 < sizeof(down)) {
			pp_say(down + off, sizeof(down) - off, "%s%s (%s)", off ? ", " : "",
			       cfg->sports[in->in].name, why);
			off = strlen(down);
		}
	}
	/* the pinned table, its instances renumbered as configured now */
	pp_map_get(&d->dp.maps, PPM_CHAIN_HOPS, &key, &cur);
	memset(remap, PP_CHAIN_NONE, sizeof(remap));
	for (unsigned o = 0; cur.chain == id && o < cur.n_inst && o < PP_CHAIN_INST_MAX; o++)
		for (unsigned k = 0; k < n; k++)
			if (cur.inst[o].in_sport && cur.inst[o].in_sport == v.inst[k].in_sport &&
			    cur.inst[o].out_sport == v.inst[k].out_sport)
				remap[o] = (__u8)k;
	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++)
		v.slots[s] = cur.chain == id && cur.slots[s] < PP_CHAIN_INST_MAX ?
			     remap[cur.slots[s]] : PP_CHAIN_NONE;
	v.n_live = (__u8)pp_chain_slots_fill(v.slots, weight, live, n);

	hst->id = key;
	if (!v.n_live)
		pp_status_set(hst, PP_ST_DOWN, "no live instance: %s", down);
	else if (v.n_live < n)
		pp_status_set(hst, PP_ST_DEGRADED, "%u of %u instances live; down: %s", v.n_live, n,
			      down);
	else
		pp_status_set(hst, PP_ST_ACTIVE, "%s", "");
	return pp_map_put_changed(&d->dp.maps, PPM_CHAIN_HOPS, &key, &v);
}

/* ---- the steps ---------------------------------------------------------------------- */

struct net_scan {
	__u32 *id;
	struct pp_net *v;
	size_t n, cap;
};

static int nets_steered(const void *key, const void *val, void *arg)
{
	const struct pp_net *v = val;
	struct net_scan *ns = arg;

	if (!v->chain || v->chain == *(const __u32 *)key)	/* not steered, or a chain's own */
		return 0;
	if (PP_GROW2(ns->id, ns->v, ns->n, ns->cap, 8))
		return -ENOMEM;
	ns->id[ns->n] = *(const __u32 *)key;
	ns->v[ns->n++] = *v;
	return 0;
}

/*
 * Nothing of chains to look for: none configured, none left pinned since
 * the first pass (which looks: a restarted daemon adopts what is pinned).
 */
static bool chains_none(const struct pp_daemon *d, const struct pp_config *cfg)
{
	return !cfg->n_chains && !d->chains_pinned && d->reconciles;
}

int pp_chains_prepare(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_maps *m = &d->dp.maps;
	struct net_scan ns = {};
	int first = 0, err;

	if (chains_none(d, cfg))
		return 0;

	for (__u32 i = 0; i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];
		struct pp_obj_status *st = &d->chain_st[i];
		struct pp_net v = {};

		st->own_error = false;
		st->id = pp_daemon_name_assign(d, PP_NAME_NET, c->name);
		if (!st->id) {
			pp_status_set(st, PP_ST_ERROR, "no free network id");
			st->own_error = true;
			first = first ?: -ENOSPC;
			continue;
		}
		/* its own entry: what tells its hop ports (net_id = id) from a network's */
		v.chain = st->id;
		err = pp_map_put_changed(m, PPM_NETS, &st->id, &v);
		if (err)
			chain_error(d, cfg, i, "its network entry", err);
		first = first ?: err;
	}
	/* networks steered by a chain that is not (or no longer) theirs: not any more, first */
	err = pp_map_iter(m, PPM_NETS, nets_steered, &ns);
	for (size_t k = 0; !err && k < ns.n; k++) {
		__u32 want = net_wants(d, cfg, ns.id[k]);

		if (ns.v[k].chain == want)
			continue;
		ns.v[k].chain = 0;
		err = pp_map_put(m, PPM_NETS, &ns.id[k], &ns.v[k]);
	}
	free(ns.id);
	free(ns.v);
	return first ?: err;
}

int pp_chains_hops(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_maps *m = &d->dp.maps;
	struct slot_scan *ss = calloc(1, sizeof(*ss));
	__u32 *slot = calloc(cfg->n_chains + 1, sizeof(*slot));
	int first = 0, err;

	if (chains_none(d, cfg))
		goto out;
	if (!ss || !slot) {
		first = -ENOMEM;
		goto out;
	}
	first = pp_map_iter(m, PPM_CHAIN_HOPS, slot_hops_one, ss);
	first = first ?: pp_map_iter(m, PPM_CHAINS, slot_chains_one, ss);
	if (first)
		goto out;
	ss->used[0] = true;
	/* the slots pinned first, so that a new chain cannot take one */
	for (__u32 i = 0; i < cfg->n_chains; i++)
		if (d->chain_st[i].id && (slot[i] = slot_adopted(m, ss, d->chain_st[i].id)))
			ss->used[slot[i]] = true;
	for (__u32 i = 0; i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];
		__u32 id = d->chain_st[i].id;

		if (!id)
			continue;
		for (__u32 s = 1; !slot[i] && s < PP_DEF_MAX_CHAINS; s++)
			if (!ss->used[s]) {
				slot[i] = s;
				ss->used[s] = true;
			}
		if (!slot[i]) {
			chain_error(d, cfg, i, "chain slots", -ENOSPC);
			first = first ?: -ENOSPC;
			continue;
		}
		/* where a frame from each hop port comes back from, before a table names it */
		err = 0;
		for (__u32 h = 0; !err && h < c->n_hops; h++)
			for (__u32 k = 0; !err && k < c->hops[h].n_inst; k++) {
				const struct pp_cfg_chain_inst *in = &c->hops[h].inst[k];
				struct pp_chain_port p = { .chain = id, .hop = (__u8)h, .inst = (__u8)k };
				__u32 pin = d->sport_st[in->in].id, pout = d->sport_st[in->out].id;

				p.role = PP_CHAIN_ROLE_IN | (in->in == in->out ? PP_CHAIN_ROLE_OUT : 0);
				if (pin)
					err = pp_map_put_changed(m, PPM_CHAIN_PORTS, &pin, &p);
				p.role = PP_CHAIN_ROLE_OUT;
				if (!err && pout && in->in != in->out)
					err = pp_map_put_changed(m, PPM_CHAIN_PORTS, &pout, &p);
			}
		for (__u32 h = 0; !err && h < c->n_hops; h++)
			err = hop_table(d, cfg, i, id, slot[i], h);
		if (err)
			chain_error(d, cfg, i, "its hops", err);
		first = first ?: err;
	}
out:
	free(ss);
	free(slot);
	return first;
}

int pp_chains_rules(struct pp_daemon *d, const struct pp_config *cfg, struct pp_rule_in *in,
		    pp_rule_emit_fn emit, void *arg)
{
	int first = 0, err;

	for (__u32 i = 0; i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];
		__u32 id = d->chain_st[i].id, n = c->n_rules < PP_RULES_MAX ? c->n_rules : PP_RULES_MAX;

		if (!id)
			continue;
		for (__u32 j = 0; j < n; j++) {
			pp_rule_in_of(&in[j], &cfg->rules[c->rule_first + j]);
			in[j].allow = 1;	/* unused: a match steers */
		}
		err = pp_rules_compile(id, PP_DIR_CHAIN_FWD, in, n, 0, emit, arg);
		/* the replies: from and to, ports and source ports swapped */
		for (__u32 j = 0; !err && c->symmetric && j < n; j++) {
			struct pp_rule_in r = in[j];

			pp_rule_in_reverse(&in[j], &r);
		}
		if (!err && c->symmetric)
			err = pp_rules_compile(id, PP_DIR_CHAIN_REV, in, n, 0, emit, arg);
		if (err)
			chain_error(d, cfg, i, "classifier", err);
		first = first ?: err;
	}
	return first;
}

/* ---- activation, and what went ---------------------------------------------------- */

struct stale_scan {
	const struct pp_daemon *d;
	const struct pp_config *cfg;
	const __u32 *slot;		/* of each configured chain */
	enum pp_map_id id;
	unsigned char *key;		/* keys to delete (or zero) */
	size_t n, cap, ksz;
};

static bool src_wanted(const struct stale_scan *sc, const struct pp_chain_src_key *k)
{
	int i = chain_by_id(sc->d, sc->cfg, k->chain);
	const struct pp_cfg_chain *c;

	if (i < 0 || !sc->slot[i])
		return false;
	c = &sc->cfg->chains[i];
	if (c->all_sources)
		return false;
	if (!k->sport)
		return c->network_device;
	for (__u32 s = 0; s < c->n_sources; s++)
		if (sc->d->sport_st[c->sources[s]].id == k->sport)
			return true;
	return false;
}

static bool port_wanted(const struct stale_scan *sc, __u32 sport, const struct pp_chain_port *p)
{
	int i = chain_by_id(sc->d, sc->cfg, p->chain);
	const struct pp_cfg_chain *c;
	const struct pp_cfg_chain_inst *in;

	if (i < 0 || !sc->slot[i])
		return false;
	c = &sc->cfg->chains[i];
	if (p->hop >= c->n_hops || p->inst >= c->hops[p->hop].n_inst)
		return false;
	in = &c->hops[p->hop].inst[p->inst];
	return sc->d->sport_st[in->in].id == sport || sc->d->sport_st[in->out].id == sport;
}

static int stale_one(const void *key, const void *val, void *arg)
{
	struct stale_scan *sc = arg;
	bool want;

	switch (sc->id) {
	case PPM_CHAIN_SRC:
		want = src_wanted(sc, key);
		break;
	case PPM_CHAIN_PORTS:
		want = port_wanted(sc, *(const __u32 *)key, val);
		break;
	case PPM_CHAIN_HOPS: {
		const struct pp_chain_hop *h = val;
		__u32 k = *(const __u32 *)key;
		int i = chain_by_id(sc->d, sc->cfg, h->chain);

		want = i >= 0 && sc->slot[i] == k / PP_CHAIN_HOPS_MAX &&
		       k % PP_CHAIN_HOPS_MAX < sc->cfg->chains[i].n_hops;
		break;
	}
	default:	/* PPM_CHAINS */
		want = chain_by_id(sc->d, sc->cfg, *(const __u32 *)key) >= 0;
		break;
	}
	if (want || pp_daemon_kept(sc->d, sc->id, key, val))
		return 0;
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? 2 * sc->cap : 16;
		unsigned char *k = realloc(sc->key, cap * sc->ksz);

		if (!k)
			return -ENOMEM;
		sc->key = k;
		sc->cap = cap;
	}
	memcpy(sc->key + sc->n++ * sc->ksz, key, sc->ksz);
	return 0;
}

/* Entries of map id nobody wants any more: deleted (arrays: zeroed). */
static int remove_unwanted(struct pp_daemon *d, const struct pp_config *cfg, const __u32 *slot,
			   enum pp_map_id id)
{
	struct stale_scan sc = { .d = d, .cfg = cfg, .slot = slot, .id = id,
				 .ksz = pp_map_desc[id].key_size };
	static const struct pp_chain_hop zero;
	int err = pp_map_iter(&d->dp.maps, id, stale_one, &sc), e;

	for (size_t k = 0; !err && k < sc.n; k++) {
		void *key = sc.key + k * sc.ksz;

		e = id == PPM_CHAINS || id == PPM_CHAIN_HOPS ? pp_map_put(&d->dp.maps, id, key, &zero) :
							       pp_map_del(&d->dp.maps, id, key);
		err = err ?: e;
	}
	free(sc.key);
	return err;
}

int pp_chains_activate(struct pp_daemon *d, const struct pp_config *cfg)
{
	struct pp_maps *m = &d->dp.maps;
	__u32 *slot = calloc(cfg->n_chains + 1, sizeof(*slot));
	int first = 0, err;

	if (!slot || chains_none(d, cfg)) {
		err = slot ? 0 : -ENOMEM;
		free(slot);
		return err;
	}
	for (__u32 i = 0; i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];
		__u32 id = d->chain_st[i].id, net = d->net_st[c->network].id, one = 1;
		struct pp_chain v = { .net_id = net, .n_hops = (__u8)c->n_hops };
		struct pp_net nv = {};

		if (!id)
			continue;
		/* a chain in ERROR keeps what it has (its entries are not stale) */
		slot[i] = slot_of(m, id);
		if (d->chain_st[i].own_error)
			continue;
		if (!net || !slot[i]) {
			pp_status_set(&d->chain_st[i], PP_ST_ERROR, "%s",
				      net ? "no chain slot" : "its network has no id");
			d->chain_st[i].own_error = true;
			slot[i] = 0;
			continue;
		}
		v.slot = (__u16)slot[i];
		v.flags = (c->symmetric ? PP_CHAIN_SYMMETRIC : 0) | (c->bypass ? PP_CHAIN_BYPASS : 0) |
			  (c->all_sources ? PP_CHAIN_ALL_SOURCES : 0);
		err = 0;
		for (__u32 s = 0; !err && !c->all_sources && s <= c->n_sources; s++) {
			struct pp_chain_src_key k = { .chain = id };

			if (s == c->n_sources && !c->network_device)
				break;
			k.sport = s < c->n_sources ? d->sport_st[c->sources[s]].id : 0;
			if (s < c->n_sources && !k.sport)
				continue;	/* a source without an id: its own ERROR */
			err = pp_map_put_changed(m, PPM_CHAIN_SRC, &k, &one);
		}
		if (!err)
			err = pp_map_put_changed(m, PPM_CHAINS, &id, &v);
		/* last: the network's frames are classified into it from now on */
		if (!err)
			err = pp_net_get(m, net, &nv);
		if (!err && nv.chain != id) {
			nv.chain = id;
			err = pp_net_put(m, net, &nv);
		}
		if (err)
			chain_error(d, cfg, i, "activation", err);
		first = first ?: err;
	}
	/* what no chain has any more (the networks steered by none stopped first) */
	err = remove_unwanted(d, cfg, slot, PPM_CHAINS);
	first = first ?: err;
	err = remove_unwanted(d, cfg, slot, PPM_CHAIN_SRC);
	first = first ?: err;
	err = remove_unwanted(d, cfg, slot, PPM_CHAIN_HOPS);
	first = first ?: err;
	err = remove_unwanted(d, cfg, slot, PPM_CHAIN_PORTS);
	first = first ?: err;
	free(slot);
	/* a removal that failed is tried again at the next pass */
	d->chains_pinned = cfg->n_chains || first;
	err = pp_chains_links(d, cfg);
	return first ?: err;
}

/* ---- links: the tables again, and the statuses ---------------------------------------- */

int pp_chains_links(struct pp_daemon *d, const struct pp_config *cfg)
{
	const struct pp_maps *m = &d->dp.maps;
	int first = 0, err;

	for (__u32 i = 0; i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];
		struct pp_obj_status *st = &d->chain_st[i];
		const struct pp_obj_status *nst = &d->net_st[c->network];
		__u32 id = st->id, slot = id ? slot_of(m, id) : 0, hop_down = 0, inst_down = 0;

		for (__u32 h = 0; h < c->n_hops; h++) {
			if (!slot) {
				pp_status_set(&d->chain_hop_st[i][h], PP_ST_ERROR, "%s",
					      "the chain is not programmed");
				continue;
			}
			err = hop_table(d, cfg, i, id, slot, h);
			if (err)
				chain_error(d, cfg, i, "its hops", err);
			first = first ?: err;
			if (d->chain_hop_st[i][h].status == PP_ST_DOWN && !hop_down)
				hop_down = h + 1;	/* the first, from 1 */
			else if (d->chain_hop_st[i][h].status == PP_ST_DEGRADED && !inst_down)
				inst_down = h + 1;
		}
		if (st->own_error)
			continue;	/* until the next full reconcile */
		if (nst->status != PP_ST_ACTIVE && nst->status != PP_ST_DEGRADED)
			pp_status_set(st, nst->status == PP_ST_ERROR ? PP_ST_ERROR : PP_ST_DOWN,
				      "network %s: %s", cfg->networks[c->network].name, nst->reason);
		else if (hop_down)
			pp_status_set(st, c->bypass ? PP_ST_DEGRADED : PP_ST_DOWN,
				      "hop %u has no live instance (%s)", hop_down,
				      c->bypass ? "bypassed" : "its frames are dropped");
		else if (inst_down)
			pp_status_set(st, PP_ST_DEGRADED, "hop %u: %s", inst_down,
				      d->chain_hop_st[i][inst_down - 1].reason);
		else
			pp_status_set(st, PP_ST_ACTIVE, "%s", "");
	}
	return first;
}
