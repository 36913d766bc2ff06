// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The objects kept from a damaged api.json, as pinned: which they are,
 * what the reconcile must leave, what new objects may not take, their JSON;
 * and /v1/status with them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include "internal.h"
#include "util.h"
#include "log.h"

static int nview_add(const void *key, const void *val, void *arg)
{
	const struct pp_name_key *k = key;
	const struct pp_name_val *v = val;
	struct nview *nv = arg;

	if (k->kind < PP_NAME_NET || k->kind > PP_NAME_SPORT || !v->id)
		return 0;
	if (PP_GROW(nv->by_name, nv->n, nv->cap, 256))
		return -ENOMEM;
	nv->by_name[nv->n].kind = k->kind;
	nv->by_name[nv->n].id = v->id;
	memcpy(nv->by_name[nv->n].name, k->name, PP_NAME_LEN);
	nv->by_name[nv->n].name[PP_NAME_LEN - 1] = 0;
	/*
	 * A pinned name no binding file or API call could have written (a
	 * damaged pp_names entry) names no API object: it is not kept, and
	 * the record of what is kept (api.json) only ever holds names its
	 * reader accepts (fuzz: tests/fuzz/crashes/api/crash-2d0c...).
	 */
	if (!pp_name_valid(nv->by_name[nv->n].name, strlen(nv->by_name[nv->n].name)))
		return 0;
	nv->n++;
	return 0;
}

static int nament_by_name(const void *x, const void *y)
{
	const struct nament *a = x, *b = y;

	return a->kind != b->kind ? (a->kind < b->kind ? -1 : 1) : strcmp(a->name, b->name);
}

static int nament_by_id(const void *x, const void *y)
{
	const struct nament *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

void nview_free(struct nview *nv)
{
	free(nv->by_name);
	free(nv->by_id);
	memset(nv, 0, sizeof(*nv));
}

/* Every pinned name, looked up by name or by id. */
int nview_load(const struct pp_api *a, struct nview *nv)
{
	memset(nv, 0, sizeof(*nv));
	if (pp_map_iter(pp_daemon_maps(a->d), PPM_NAMES, nview_add, nv))
		goto fail;
	nv->by_id = malloc((nv->n + 1) * sizeof(*nv->by_id));
	if (!nv->by_id)
		goto fail;
	if (nv->n) {
		memcpy(nv->by_id, nv->by_name, nv->n * sizeof(*nv->by_id));
		qsort(nv->by_name, nv->n, sizeof(*nv->by_name), nament_by_name);
		qsort(nv->by_id, nv->n, sizeof(*nv->by_id), nament_by_id);
	}
	return 0;
fail:
	nview_free(nv);
	return -ENOMEM;
}

__u32 nview_id(const struct nview *nv, __u32 kind, const char *name)
{
	struct nament key = { .kind = kind };
	const struct nament *e;

	snprintf(key.name, sizeof(key.name), "%s", name);
	e = nv->n ? bsearch(&key, nv->by_name, nv->n, sizeof(key), nament_by_name) : NULL;
	return e ? e->id : 0;
}

const char *nview_name(const struct nview *nv, __u32 kind, __u32 id)
{
	struct nament key = { .kind = kind, .id = id };
	const struct nament *e = nv->n ? bsearch(&key, nv->by_id, nv->n, sizeof(key), nament_by_id)
				       : NULL;

	return e ? e->name : NULL;
}

static int kept_ent_cmp(const void *x, const void *y)
{
	return strcmp(((const struct kept_ent *)x)->name, ((const struct kept_ent *)y)->name);
}

static int u32_cmp(const void *x, const void *y)
{
	__u32 a = *(const __u32 *)x, b = *(const __u32 *)y;

	return a < b ? -1 : a > b;
}

const struct kept_ent *kept_find(const struct pp_api *a, enum kind k, const char *name)
{
	struct kept_ent key;

	if (!a->nkept[k] || strlen(name) >= sizeof(key.name))
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, a->kept[k], a->nkept[k], sizeof(key), kept_ent_cmp);
}

static bool kept_id(const struct pp_api *a, enum kind k, __u32 id)
{
	return id && a->nkept[k] && bsearch(&id, a->kept_ids[k], a->nkept[k], sizeof(id), u32_cmp);
}

static int kept_mac_cmp(const void *x, const void *y)
{
	const struct kept_mac *a = x, *b = y;

	if (a->net_id != b->net_id)
		return a->net_id < b->net_id ? -1 : 1;
	return memcmp(a->mac, b->mac, 6);
}

void kept_clear(struct pp_api *a)
{
	free(a->kept_macs);
	a->kept_macs = NULL;
	for (int k = 0; k < K_COUNT; k++) {
		free(a->kept[k]);
		free(a->kept_ids[k]);
		a->kept[k] = NULL;
		a->kept_ids[k] = NULL;
		a->nkept[k] = 0;
	}
}

static int kept_add(struct pp_api *a, enum kind k, const char *name, __u32 id)
{
	size_t n = a->nkept[k];
	struct kept_ent *t = a->kept[k];

	if (!(n & (n - 1))) {		/* 0, 1, 2, 4, ...: room for as many again */
		t = realloc(t, (n ? 2 * n : 1) * sizeof(*t));
		if (!t)
			return -ENOMEM;
	}
	a->kept[k] = t;
	memset(&t[a->nkept[k]], 0, sizeof(*t));
	snprintf(t[a->nkept[k]].name, sizeof(t->name), "%s", name);
	t[a->nkept[k]].id = id;
	if (k == K_SPORT)
		pp_sport_get(pp_daemon_maps(a->d), id, &t[a->nkept[k]].sp);
	a->nkept[k]++;
	return 0;
}

/* After adding: sorted by name, and the ids sorted beside. */
static int kept_index(struct pp_api *a)
{
	for (int k = 0; k < K_COUNT; k++) {
		free(a->kept_ids[k]);
		a->kept_ids[k] = malloc((a->nkept[k] + 1) * sizeof(__u32));
		if (!a->kept_ids[k])
			return -ENOMEM;
		for (size_t i = 0; i < a->nkept[k]; i++)
			a->kept_ids[k][i] = a->kept[k][i].id;
		if (a->nkept[k]) {
			qsort(a->kept[k], a->nkept[k], sizeof(*a->kept[k]), kept_ent_cmp);
			qsort(a->kept_ids[k], a->nkept[k], sizeof(__u32), u32_cmp);
		}
	}
	free(a->kept_macs);
	a->kept_macs = malloc((a->nkept[K_SPORT] + 1) * sizeof(*a->kept_macs));
	if (!a->kept_macs)
		return -ENOMEM;
	for (size_t i = 0; i < a->nkept[K_SPORT]; i++) {
		a->kept_macs[i].net_id = a->kept[K_SPORT][i].sp.net_id;
		memcpy(a->kept_macs[i].mac, a->kept[K_SPORT][i].sp.mac, 6);
	}
	if (a->nkept[K_SPORT])
		qsort(a->kept_macs, a->nkept[K_SPORT], sizeof(*a->kept_macs), kept_mac_cmp);
	return 0;
}

size_t kept_total(const struct pp_api *a)
{
	return a->nkept[K_NET] + a->nkept[K_IPORT] + a->nkept[K_SPORT] + a->nkept[K_L3DOM] +
	       a->nkept[K_CHAIN];
}

/* Is a name pinned of the networks' kind a kept network's, L3 domain's or chain's? */
static bool kept_net_name(const struct pp_api *a, const char *name)
{
	return kept_find(a, K_NET, name) || kept_find(a, K_L3DOM, name) ||
	       kept_find(a, K_CHAIN, name);
}

/*
 * The reconcile's question (struct pp_daemon.keep): does this stale entry
 * belong to a kept object?  Names by (kind, name); service ports and the
 * services' tables by the service port in their key (or, pp_neigh, by the
 * network and the MAC of a kept service port there); allowed pairs' pp_fdb
 * entries by the port they name; pp_l3addrs entries by their domain or the
 * L3 port they name (an L3 domain's name is of the networks' kind: kept as
 * a network or as a domain).
 */
bool keep_entry(void *arg, enum pp_map_id map, const void *key, const void *val)
{
	const struct pp_api *a = arg;
	__u32 id;

	if (!a->sf.damaged || !kept_total(a))
		return false;
	switch (map) {
	case PPM_NAMES: {
		const struct pp_name_key *k = key;
		char name[PP_NAME_LEN];

		if (k->kind < PP_NAME_NET || k->kind > PP_NAME_SPORT)
			return false;
		memcpy(name, k->name, sizeof(name));
		name[PP_NAME_LEN - 1] = 0;
		if (k->kind == PP_NAME_NET)
			return kept_net_name(a, name);
		return kept_find(a, k->kind - PP_NAME_NET, name) != NULL;
	}
	case PPM_L3UPS:		/* uplink -> its domain */
		return kept_id(a, K_L3DOM, ((const struct pp_l3up *)val)->dom);
	case PPM_L3ADDRS:	/* (domain, address) -> L3 port */
		memcpy(&id, val, sizeof(id));
		return kept_id(a, K_L3DOM, ((const struct pp_l3addr_key *)key)->dom) ||
		       kept_id(a, K_SPORT, id);
	case PPM_RULE_ADDR:
	case PPM_RULE_L4:
	case PPM_RULE_SP:	/* (prefixlen, sport or chain, ...): a chain's classifier too */
		memcpy(&id, (const char *)key + 4, sizeof(id));
		return kept_id(a, K_SPORT, id) || kept_id(a, K_CHAIN, id);
	case PPM_SEC_SRC:	/* (prefixlen, sport, ...) */
		memcpy(&id, (const char *)key + 4, sizeof(id));
		return kept_id(a, K_SPORT, id);
	case PPM_RULE_SET:	/* (sport or chain, ...) */
		memcpy(&id, key, sizeof(id));
		return kept_id(a, K_SPORT, id) || kept_id(a, K_CHAIN, id);
	case PPM_SPORTS:
	case PPM_SEC_MAC:
	case PPM_DHCP:		/* (sport, ...) */
		memcpy(&id, key, sizeof(id));
		return kept_id(a, K_SPORT, id);
	case PPM_CHAINS:	/* chain -> */
	case PPM_CHAIN_SRC:	/* (chain, source) */
		memcpy(&id, key, sizeof(id));
		return kept_id(a, K_CHAIN, id);
	case PPM_CHAIN_HOPS:	/* -> its chain */
		return kept_id(a, K_CHAIN, ((const struct pp_chain_hop *)val)->chain);
	case PPM_CHAIN_PORTS:	/* hop port -> its chain */
		memcpy(&id, key, sizeof(id));
		return kept_id(a, K_SPORT, id) ||
		       kept_id(a, K_CHAIN, ((const struct pp_chain_port *)val)->chain);
	case PPM_FDB:		/* -> sport */
		memcpy(&id, val, sizeof(id));
		return kept_id(a, K_SPORT, id);
	case PPM_NEIGH: {
		const struct pp_neigh_key *k = key;
		const struct pp_neigh *v = val;
		struct kept_mac km = { .net_id = k->net_id };

		if (kept_id(a, K_NET, k->net_id))
			return true;
		memcpy(km.mac, v->mac, 6);
		return a->kept_macs && a->nkept[K_SPORT] &&
		       bsearch(&km, a->kept_macs, a->nkept[K_SPORT], sizeof(km), kept_mac_cmp);
	}
	default:
		return false;
	}
}

/* The kept objects named by our record (null: not known yet), as pinned now. */
void kept_from_record(struct pp_api *a, json_object *rec)
{
	json_object *kept, *v;
	struct nview nv;

	snprintf(a->sf.reason, sizeof(a->sf.reason), "%s",
		 json_object_get_string(json_object_object_get(rec, "reason")) ?: "");
	snprintf(a->sf.kept_as, sizeof(a->sf.kept_as), "%s",
		 json_object_get_string(json_object_object_get(rec, "kept-as")) ?: "");
	snprintf(a->sf.since, sizeof(a->sf.since), "%s",
		 json_object_get_string(json_object_object_get(rec, "since")) ?: "");
	a->sf.damaged = true;
	a->sf.pending = !json_object_object_get_ex(rec, "kept", &kept) || !kept;
	if (a->sf.pending || nview_load(a, &nv))
		return;
	for (int k = 0; k < K_COUNT; k++) {
		if (!json_object_object_get_ex(kept, kinds[k].path, &v))
			continue;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(v, i));
			__u32 id = nview_id(&nv, PIN_KIND(k), name);

			if (id)		/* no longer pinned: nothing to keep */
				kept_add(a, k, name, id);
		}
	}
	nview_free(&nv);
	kept_index(a);
}

/*
 * Which objects are kept: what pp_names holds that the first configuration
 * loaded since the damage does not name.  Their entries stay as they are;
 * nothing tells an API object from a file object removed while the daemon
 * was down, so both are kept (the safe side).
 */
int kept_settle(struct pp_api *a, const struct pp_config *cfg)
{
	struct nview nv;
	int err;

	if (!a->sf.damaged || !a->sf.pending)
		return 0;
	err = nview_load(a, &nv);
	if (err)
		return err;
	kept_clear(a);
	for (size_t i = 0; i < nv.n && !err; i++) {
		const struct nament *e = &nv.by_name[i];
		enum kind k = e->kind - PP_NAME_NET;
		struct pp_l3dom ld = {};
		struct pp_chain ch = {};
		bool in = kinds[k].find(cfg, e->name) >= 0;

		/* the networks' names are the L3 domains' and chains' too: which is it? */
		if (k == K_NET && !in)
			in = l3dom_find(cfg, e->name) >= 0 || chain_find(cfg, e->name) >= 0;
		if (k == K_NET && !in && !pp_l3dom_get(pp_daemon_maps(a->d), e->id, &ld) && ld.table)
			k = K_L3DOM;
		else if (k == K_NET && !in && !pp_chain_get(pp_daemon_maps(a->d), e->id, &ch) &&
			 ch.net_id)
			k = K_CHAIN;
		if (!in)
			err = kept_add(a, k, e->name, e->id);
	}
	nview_free(&nv);
	if (!err)
		err = kept_index(a);
	if (err)
		return err;
	a->sf.pending = false;
	pr_info("api: kept from the damaged state file, as pinned: %zu networks, %zu instance "
		"ports, %zu service ports, %zu l3 domains, %zu chains\n", a->nkept[K_NET],
		a->nkept[K_IPORT], a->nkept[K_SPORT], a->nkept[K_L3DOM], a->nkept[K_CHAIN]);
	err = store_save(a, a->store);
	if (err)
		pr_warn("api: saving %s: %s\n", a->store_path, strerror(-err));
	return 0;
}

/* What kept_check reads once and reports into. */
struct kview {
	struct pp_api *a;
	struct pp_errors *errs;
	const struct line_ref *lines;	/* the rendered source, to point at a field */
	size_t nlines;
	struct pp_iport *kip;		/* the kept instance ports' pinned entries */
	struct pp_net *knet;		/* the kept networks' */
	int n;				/* conflicts so far */
};

static void kept_err(struct kview *kv, const struct pp_loc *loc, enum kind k, const char *name,
		     const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A conflict with what is kept, at the object (at its field, in the API's source): counted. */
static void kept_err(struct kview *kv, const struct pp_loc *loc, enum kind k, const char *name,
		     const char *field, const char *fmt, ...)
{
	unsigned line = loc ? loc->line : 0, col = loc ? loc->col : 0;
	char msg[600];
	va_list ap;

	kv->n++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (loc && loc->file && !strcmp(loc->file, PP_API_SOURCE_NAME) && kv->lines && field)
		for (size_t i = line ? line - 1 : 0; i < kv->nlines; i++)
			if (kv->lines[i].kind == (int)k && !strcmp(kv->lines[i].name, name) &&
			    !strcmp(kv->lines[i].field, field)) {
				line = i + 1;
				col = 1;
				break;
			}
	pp_errors_add(kv->errs, loc && loc->file ? loc->file : PP_API_SOURCE_NAME, line, col, "%s",
		      msg);
}

/* A new object of kind k under a kept one's name. */
static void kept_name_check(struct kview *kv, enum kind k, const struct pp_loc *loc,
			    const char *name)
{
	if (kept_find(kv->a, k, name))
		kept_err(kv, loc, k, name, NULL, "%s \"%s\" already exists, " KEPT_FROM,
			 kinds[k].what, name);
}

/*
 * The device of a new network (on vlan) or the tap of a new instance port
 * (kind k): no kept instance port's tap, and no kept network's device (a
 * network's: on the same VLAN).
 */
static void kept_dev_check(struct kview *kv, enum kind k, const struct pp_loc *loc,
			   const char *name, const char *device, unsigned vlan)
{
	const char *dev = k == K_NET ? "device" : "tap";
	unsigned ifx = if_nametoindex(device);

	for (size_t j = 0; ifx && j < kv->a->nkept[K_IPORT]; j++)
		if (kv->kip[j].ifindex == ifx)
			kept_err(kv, loc, k, name, "device",
				 "%s \"%s\": %s %s is already the tap of instance port \"%s\", "
				 KEPT_FROM, kinds[k].what, name, dev, device,
				 kv->a->kept[K_IPORT][j].name);
	for (size_t j = 0; ifx && j < kv->a->nkept[K_NET]; j++) {
		const char *other = kv->a->kept[K_NET][j].name;

		if (kv->knet[j].ifindex != ifx)
			continue;
		if (k == K_IPORT)
			kept_err(kv, loc, k, name, "device",
				 "instance port \"%s\": tap %s is already the device of network "
				 "\"%s\", " KEPT_FROM, name, device, other);
		else if (kv->knet[j].vlan == vlan)
			kept_err(kv, loc, k, name, "device",
				 "network \"%s\": device %s (vlan %u) is already network \"%s\"'s, "
				 KEPT_FROM, name, device, vlan, other);
	}
}

/*
 * New objects against the kept ones' pinned entries: no name, tap or
 * network device (with its VLAN), classifier entry (the VLAN, QinQ pair,
 * untagged or source MAC of an instance port) or MAC on a network of
 * theirs may be taken; and what a kept service port stands on (its
 * instance port, its network) may not go.  Returns how many conflicts.
 */
int kept_check(struct pp_api *a, const struct pp_config *cfg, struct pp_errors *errs,
	       const struct line_ref *lines, size_t nlines)
{
	const struct pp_maps *m = pp_daemon_maps(a->d);
	size_t ni = a->nkept[K_IPORT], nn = a->nkept[K_NET];
	struct kview kv = { .a = a, .errs = errs, .lines = lines, .nlines = nlines };
	struct nview nv = {};

	if (!a->sf.damaged || a->sf.pending || !kept_total(a))
		return 0;
	kv.kip = calloc(ni + 1, sizeof(*kv.kip));
	kv.knet = calloc(nn + 1, sizeof(*kv.knet));
	if (!kv.kip || !kv.knet || nview_load(a, &nv)) {
		pp_errors_add(errs, PP_API_SOURCE_NAME, 0, 0, "out of memory");
		kv.n = 1;
		goto out;
	}
	for (size_t i = 0; i < ni; i++)
		if (pp_iport_get(m, a->kept[K_IPORT][i].id, &kv.kip[i]))
			memset(&kv.kip[i], 0, sizeof(kv.kip[i]));
	for (size_t i = 0; i < nn; i++)
		if (pp_net_get(m, a->kept[K_NET][i].id, &kv.knet[i]))
			memset(&kv.knet[i], 0, sizeof(kv.knet[i]));

	for (__u32 i = 0; i < cfg->n_networks; i++) {
		const struct pp_cfg_network *c = &cfg->networks[i];

		kept_name_check(&kv, K_NET, &c->loc, c->name);
		kept_name_check(&kv, K_L3DOM, &c->loc, c->name);	/* one name space */
		kept_name_check(&kv, K_CHAIN, &c->loc, c->name);
		kept_dev_check(&kv, K_NET, &c->loc, c->name, c->device, c->vlan);
	}
	for (__u32 i = 0; i < cfg->n_l3domains; i++) {
		const struct pp_cfg_l3domain *c = &cfg->l3domains[i];

		kept_name_check(&kv, K_L3DOM, &c->loc, c->name);
		kept_name_check(&kv, K_NET, &c->loc, c->name);
		kept_name_check(&kv, K_CHAIN, &c->loc, c->name);
	}
	for (__u32 i = 0; i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];

		kept_name_check(&kv, K_CHAIN, &c->loc, c->name);
		kept_name_check(&kv, K_NET, &c->loc, c->name);
		kept_name_check(&kv, K_L3DOM, &c->loc, c->name);
	}
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_cfg_iport *c = &cfg->iports[i];

		kept_name_check(&kv, K_IPORT, &c->loc, c->name);
		kept_dev_check(&kv, K_IPORT, &c->loc, c->name, c->device, 0);
	}
	for (__u32 i = 0; i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *c = &cfg->sports[i];
		__u32 slot, net;

		slot = nview_id(&nv, PP_NAME_IPORT, cfg->iports[c->iport].name);
		/* an L3 port has no MAC table entry (pp_fdb) to take */
		net = pp_cfg_sport_on_net(c) ? nview_id(&nv, PP_NAME_NET,
							cfg->networks[c->network].name) : 0;
		__u32 owner = 0;
		const char *field = "vlan";
		char mac[PP_MAC_STRLEN];

		kept_name_check(&kv, K_SPORT, &c->loc, c->name);
		if (slot) {
			struct pp_qinq_key qk = { slot, c->outer_vid, c->inner_vid };
			struct pp_srcmac_key sk = { .slot = slot };
			struct pp_iport ip;

			memcpy(sk.mac, c->mac, 6);
			if (c->match == PP_MATCH_VLAN) {
				pp_vlan_get(m, slot, c->outer_vid, &owner);
			} else if (c->match == PP_MATCH_QINQ) {
				pp_qinq_get(m, qk, &owner);
			} else if (c->match == PP_MATCH_SRCMAC) {
				field = "src-mac";
				pp_srcmac_get(m, sk, &owner);
			} else if (!pp_iport_get(m, slot, &ip)) {
				field = "untagged";
				owner = ip.untagged_sport;
			}
			if (kept_id(a, K_SPORT, owner))
				kept_err(&kv, &c->loc, K_SPORT, c->name, field,
					 "service port \"%s\": its match on instance port \"%s\" is "
					 "already service port \"%s\"'s, " KEPT_FROM, c->name,
					 cfg->iports[c->iport].name,
					 nview_name(&nv, PP_NAME_SPORT, owner) ?: "?");
		}
		for (__u32 p = 0; net && p <= (c->security ? c->n_pairs : 0); p++) {
			/* its MAC, then its allowed pairs' */
			struct pp_fdb_key fk = { .net_id = net };

			memcpy(fk.mac, p ? c->pairs[p - 1].mac : c->mac, 6);
			owner = 0;
			if (pp_fdb_get(m, fk, &owner) || !kept_id(a, K_SPORT, owner))
				continue;
			pp_mac_format(fk.mac, mac);
			kept_err(&kv, &c->loc, K_SPORT, c->name, p ? "bind" : "mac",
				 "service port \"%s\": MAC %s on network \"%s\" is already service "
				 "port \"%s\"'s, " KEPT_FROM, c->name, mac,
				 cfg->networks[c->network].name,
				 nview_name(&nv, PP_NAME_SPORT, owner) ?: "?");
		}
	}
	for (size_t i = 0; i < a->nkept[K_SPORT]; i++) {
		const struct kept_ent *e = &a->kept[K_SPORT][i];
		const char *ip = nview_name(&nv, PP_NAME_IPORT, e->sp.slot);
		const char *nt = nview_name(&nv, PP_NAME_NET, e->sp.net_id);

		if (ip && !kept_find(a, K_IPORT, ip) && !pp_config_find_iport(cfg, ip))
			kept_err(&kv, NULL, K_IPORT, ip, NULL,
				 "instance port \"%s\" is still used by service port \"%s\", " KEPT_FROM,
				 ip, e->name);
		if (e->sp.flags & PP_SPORT_L3) {
			if (nt && !kept_find(a, K_L3DOM, nt) && !pp_config_find_l3domain(cfg, nt))
				kept_err(&kv, NULL, K_L3DOM, nt, NULL,
					 "l3 domain \"%s\" is still used by service port \"%s\", "
					 KEPT_FROM, nt, e->name);
		} else if (nt && !kept_find(a, K_NET, nt) && !pp_config_find_network(cfg, nt)) {
			kept_err(&kv, NULL, K_NET, nt, NULL,
				 "network \"%s\" is still used by service port \"%s\", " KEPT_FROM,
				 nt, e->name);
		}
	}
out:
	nview_free(&nv);
	free(kv.kip);
	free(kv.knet);
	return kv.n;
}

/* "device": the name of a pinned ifindex ("" for none, or one gone). */
static void add_device(json_object *o, unsigned ifindex)
{
	char dev[IF_NAMESIZE] = "";

	if (ifindex)
		if_indextoname(ifindex, dev);
	json_object_object_add(o, "device", json_object_new_string(dev));
}

/* A kept object, as it is pinned: read-only, DEGRADED. */
json_object *kept_json(struct pp_api *a, enum kind k, const struct kept_ent *e,
		       const struct nview *nv)
{
	const struct pp_maps *m = pp_daemon_maps(a->d);
	json_object *o = json_object_new_object(), *st = json_object_new_object();
	char mac[PP_MAC_STRLEN];

	json_object_object_add(o, "name", json_object_new_string(e->name));
	if (k == K_NET) {
		struct pp_net n = {};

		pp_net_get(m, e->id, &n);
		if (n.vni) {	/* stretched (issue 20): on the VXLAN device */
			json_object *v = json_object_new_object();

			json_object_object_add(v, "vni", json_object_new_int64(n.vni));
			json_object_object_add(o, "vxlan", v);
		} else {
			add_device(o, n.ifindex);
		}
		json_object_object_add(o, "mtu", json_object_new_int(n.mtu));
		if (n.vlan)
			json_object_object_add(o, "vlan", json_object_new_int(n.vlan));
	} else if (k == K_IPORT) {
		struct pp_iport ip = {};

		pp_iport_get(m, e->id, &ip);
		add_device(o, ip.ifindex);
		json_object_object_add(o, "mac", json_mac(ip.mac));
		json_object_object_add(o, "mtu", json_object_new_int(ip.mtu));
	} else if (k == K_L3DOM) {
		struct pp_l3dom ld = {};

		pp_l3dom_get(m, e->id, &ld);
		json_object_object_add(o, "table", json_object_new_int64(ld.table));
		json_object_object_add(o, "mtu", json_object_new_int(ld.mtu));
		json_object_object_add(o, "mac", json_mac(ld.gw_mac));
	} else if (k == K_CHAIN) {
		struct pp_chain ch = {};

		pp_chain_get(m, e->id, &ch);
		json_object_object_add(o, "network", json_object_new_string(
			nview_name(nv, PP_NAME_NET, ch.net_id) ?: ""));
	} else {
		const struct pp_sport *sp = &e->sp;
		json_object *b = json_object_new_object();
		const char *ip = nview_name(nv, PP_NAME_IPORT, sp->slot);
		const char *net = nview_name(nv, PP_NAME_NET, sp->net_id);

		pp_mac_format(sp->mac, mac);
		json_object_object_add(o, "instance-port", json_object_new_string(ip ?: ""));
		add_match(o, sp->match, sp->outer_vid, sp->inner_vid, mac);
		json_object_object_add(o, "mac", json_object_new_string(mac));
		if (sp->flags & PP_SPORT_L3) {
			json_object *l3 = json_object_new_object();

			json_object_object_add(l3, "domain", json_object_new_string(net ?: ""));
			json_object_object_add(b, "l3", l3);
		} else {
			json_object_object_add(b, "network", json_object_new_string(net ?: ""));
		}
		json_object_object_add(o, "bind", b);
	}
	json_object_object_add(o, "revision", json_object_new_int64(0));
	json_object_object_add(o, "source", json_object_new_string("kept"));
	json_object_object_add(st, "status", json_object_new_string(pp_status_name(PP_ST_DEGRADED)));
	json_object_object_add(st, "reason", json_object_new_string(a->sf.obj_reason));
	json_object_object_add(st, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "status", st);
	return o;
}

/* /v1/status: the daemon's, with the kept objects and the state file. */
json_object *status_json(struct pp_api *a)
{
	json_object *root = pp_status_json(a->d), *nets, *ips, *doms;
	struct nview nv;

	json_object_object_add(root, STATE_REC, sf_json(a));
	if (a->cl)
		json_object_object_add(root, "cluster", cluster_status_json(a));
	if (!a->sf.damaged || !kept_total(a) || nview_load(a, &nv))
		return root;
	nets = json_object_object_get(root, "networks");
	ips = json_object_object_get(root, "instance_ports");
	doms = json_object_object_get(root, "l3_domains");
	if (!doms && a->nkept[K_L3DOM]) {
		doms = json_object_new_array();
		json_object_object_add(root, "l3_domains", doms);
	}
	for (int k = 0; k < K_COUNT; k++) {
		/* kept chains: in /v1/chains only (the status lists no chains yet) */
		for (size_t i = 0; k != K_CHAIN && i < a->nkept[k]; i++) {
			const struct kept_ent *e = &a->kept[k][i];
			json_object *v = kept_json(a, k, e, &nv), *o = json_object_new_object();
			json_object *sps = NULL;

			/* the shape pp_status_json gives its objects */
			json_object_object_add(o, "status", json_object_new_string(
				pp_status_name(PP_ST_DEGRADED)));
			json_object_object_add(o, "reason", json_object_new_string(a->sf.obj_reason));
			json_object_object_add(o, "id", json_object_new_int64(e->id));
			pp_status_json_mode(o, "-", "", true);
			json_object_object_add(o, "name", json_object_new_string(e->name));
			json_object_object_add(o, "kept", json_object_new_boolean(1));
			if (k == K_NET) {
				json_object *vx = json_object_object_get(v, "vxlan");

				json_object_object_add(o, "device", json_object_get(
					json_object_object_get(v, "device")));
				if (vx)		/* stretched: its VNI, as the daemon's */
					json_object_object_add(o, "vni", json_object_get(
						json_object_object_get(vx, "vni")));
				json_object_object_add(o, "vlan", json_object_new_int(json_object_get_int(
					json_object_object_get(v, "vlan"))));
				json_object_object_add(o, "mtu", json_object_get(
					json_object_object_get(v, "mtu")));
				json_object_array_add(nets, o);
			} else if (k == K_L3DOM) {
				json_object_object_add(o, "table", json_object_get(
					json_object_object_get(v, "table")));
				json_object_object_add(o, "mtu", json_object_get(
					json_object_object_get(v, "mtu")));
				json_object_object_add(o, "uplinks", json_object_new_array());
				json_object_array_add(doms, o);
			} else if (k == K_IPORT) {
				json_object_object_add(o, "device", json_object_get(
					json_object_object_get(v, "device")));
				json_object_object_add(o, "mac", json_object_get(
					json_object_object_get(v, "mac")));
				json_object_object_add(o, "mode", json_object_new_string("-"));
				json_object_object_add(o, "service_ports", json_object_new_array());
				json_object_array_add(ips, o);
			} else {
				const char *ip = nview_name(&nv, PP_NAME_IPORT, e->sp.slot);
				char match[48];

				if (e->sp.match == PP_MATCH_VLAN)
					snprintf(match, sizeof(match), "vlan %u", e->sp.outer_vid);
				else if (e->sp.match == PP_MATCH_QINQ)
					snprintf(match, sizeof(match), "vlan [%u, %u]", e->sp.outer_vid,
						 e->sp.inner_vid);
				else
					snprintf(match, sizeof(match), "%s",
						 pp_match_name(e->sp.match));
				json_object_object_add(o, "match", json_object_new_string(match));
				json_object_object_add(o, "mac", json_object_get(
					json_object_object_get(v, "mac")));
				if (e->sp.flags & PP_SPORT_L3)
					json_object_object_add(o, "l3-domain", json_object_new_string(
						nview_name(&nv, PP_NAME_NET, e->sp.net_id) ?: ""));
				else
					json_object_object_add(o, "network", json_object_get(
						json_object_object_get(json_object_object_get(v, "bind"),
								       "network")));
				/* under its instance port, kept or not */
				for (size_t j = 0; ip && !sps && j < json_object_array_length(ips); j++) {
					json_object *io = json_object_array_get_idx(ips, j);

					if (!strcmp(json_object_get_string(json_object_object_get(io,
						"name")) ?: "", ip))
						sps = json_object_object_get(io, "service_ports");
				}
				if (sps)
					json_object_array_add(sps, o);
				else
					json_object_put(o);
			}
			json_object_put(v);
		}
	}
	nview_free(&nv);
	return root;
}
