// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The canonical dump of a pin root (see dump.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include "dump.h"
#include "maps.h"
#include "util.h"

#define NKINDS	(PP_NAME_SPORT + 1)	/* indexed by enum pp_name_kind */

struct dump {
	struct pp_maps m;
	char (*name[NKINDS])[PP_NAME_LEN];	/* id -> name ("": none) */
	bool *dup[NKINDS];			/* id named twice */
	__u32 max[NKINDS];
	__u32 trunk_dev[PP_MAX_TRUNKS];		/* trunk slot -> its device */
	enum pp_map_id id;			/* the map being dumped */
	char **line;
	size_t n, cap;
	int err;
};

static const char *const kind_name[NKINDS] = { "?", "net", "iport", "sport" };

static void emit(struct dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line of the current map: "MAP text". */
static void emit(struct dump *d, const char *fmt, ...)
{
	char *body = NULL, *line = NULL;
	va_list ap;
	int n;

	if (d->err)
		return;
	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0 || asprintf(&line, "%s %s", pp_map_desc[d->id].name, body) < 0) {
		free(body);
		d->err = -ENOMEM;
		return;
	}
	free(body);
	if (PP_GROW(d->line, d->n, d->cap, 1024)) {
		free(line);
		d->err = -ENOMEM;
		return;
	}
	d->line[d->n++] = line;
}

/* ---- names ------------------------------------------------------------------ */

/* The name of id of kind, "-" for 0, KIND#ID when no name (or two) points to it. */
static const char *id_name(struct dump *d, __u32 kind, __u32 id, char buf[48])
{
	if (!id)
		return "-";
	if (id < d->max[kind] && d->name[kind][id][0] && !d->dup[kind][id])
		return d->name[kind][id];
	snprintf(buf, 48, "%s#%u", kind_name[kind], id);
	return buf;
}

#define NET(id, b)	id_name(d, PP_NAME_NET, id, b)
#define IPORT(id, b)	id_name(d, PP_NAME_IPORT, id, b)
#define SPORT(id, b)	id_name(d, PP_NAME_SPORT, id, b)

static const char *dev_name(__u32 ifindex, char buf[48])
{
	char name[IF_NAMESIZE];

	if (!ifindex)
		return "-";
	if (if_indextoname(ifindex, name))
		snprintf(buf, 48, "%s", name);
	else
		snprintf(buf, 48, "ifindex#%u", ifindex);
	return buf;
}

static const char *mac_str(const __u8 *m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* An address of family PP_NEIGH_V4 / _V6 (else hex). */
static const char *addr_str(__u8 family, const __u8 *a, char buf[48])
{
	if (family == PP_NEIGH_V4 && inet_ntop(AF_INET, a, buf, 48))
		return buf;
	if (family == PP_NEIGH_V6 && inet_ntop(AF_INET6, a, buf, 48))
		return buf;
	for (int i = 0; i < 16; i++)
		snprintf(buf + 2 * i, 3, "%02x", a[i]);
	return buf;
}

/* Bytes as hex, trailing zero bytes left out ("00" if all are zero). */
static char *hex(const void *p, size_t n)
{
	const __u8 *b = p;
	char *s;

	while (n > 1 && !b[n - 1])
		n--;
	s = malloc(2 * n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	return s;
}

static int names_one(const void *key, const void *val, void *arg)
{
	const struct pp_name_key *k = key;
	const struct pp_name_val *v = val;
	struct dump *d = arg;

	if (k->kind < PP_NAME_NET || k->kind > PP_NAME_SPORT || v->id >= d->max[k->kind])
		return 0;
	if (d->name[k->kind][v->id][0])
		d->dup[k->kind][v->id] = true;
	memcpy(d->name[k->kind][v->id], k->name, PP_NAME_LEN);
	d->name[k->kind][v->id][PP_NAME_LEN - 1] = 0;
	return 0;
}

static int trunks_one(const void *key, const void *val, void *arg)
{
	const struct pp_dev *dev = val;
	struct dump *d = arg;

	if ((dev->flags & PP_DEV_NET_VLANS) && dev->slot && dev->slot < PP_MAX_TRUNKS)
		d->trunk_dev[dev->slot] = *(const __u32 *)key;
	return 0;
}

/* ---- one entry ---------------------------------------------------------------- */

static int entry(const void *key, const void *val, void *arg)
{
	struct dump *d = arg;
	char a[48], b[48], c[48], e[48], m[18], *x, *y;
	__u32 k32, v32;

	memcpy(&k32, key, sizeof(k32));
	memcpy(&v32, val, sizeof(v32));
	switch (d->id) {
	case PPM_DEVS: {
		const struct pp_dev *v = val;
		const char *slot = a;

		if (v->flags & PP_DEV_TAP)
			slot = IPORT(v->slot, a);
		else if (v->flags & PP_DEV_NET_VLANS)
			slot = v->slot ? "trunk" : "none";	/* which slot is an allocation */
		else
			snprintf(a, sizeof(a), "%u", v->slot);
		emit(d, "%s flags=%#x slot=%s net=%s ifindex=%s", dev_name(k32, b), v->flags, slot,
		     NET(v->net_id, c), dev_name(v->ifindex, e));
		break;
	}
	case PPM_IPORTS: {
		const struct pp_iport *v = val;

		emit(d, "%s ifindex=%s flags=%#x untagged=%s mtu=%u mac=%s", IPORT(k32, a),
		     dev_name(v->ifindex, b), v->flags, SPORT(v->untagged_sport, c), v->mtu,
		     mac_str(v->mac, m));
		break;
	}
	case PPM_VLANS:
		emit(d, "%s %u => %s", IPORT(k32 / PP_VID_SLOTS, a), k32 % PP_VID_SLOTS,
		     SPORT(v32, b));
		break;
	case PPM_QINQ: {
		const struct pp_qinq_key *k = key;

		emit(d, "%s %u.%u => %s", IPORT(k->slot, a), k->outer_vid, k->inner_vid,
		     SPORT(v32, b));
		break;
	}
	case PPM_SRCMAC: {
		const struct pp_srcmac_key *k = key;

		emit(d, "%s %s pad=%u => %s", IPORT(k->slot, a), mac_str(k->mac, m), k->pad,
		     SPORT(v32, b));
		break;
	}
	case PPM_SPORTS: {
		const struct pp_sport *v = val;

		emit(d, "%s iport=%s net=%s match=%u flags=%#x vid=%u.%u mac=%s", SPORT(k32, a),
		     IPORT(v->slot, b), NET(v->net_id, c), v->match, v->flags, v->outer_vid,
		     v->inner_vid, mac_str(v->mac, m));
		break;
	}
	case PPM_NETS: {
		const struct pp_net *v = val;

		/* a stretched network's VNI only (the lines of the others as before) */
		if (v->vni)
			snprintf(m, sizeof(m), " vni=%u", v->vni);
		emit(d, "%s ifindex=%s vlan=%u mtu=%u lone=%s chain=%s%s", NET(k32, a),
		     dev_name(v->ifindex, b), v->vlan, v->mtu, SPORT(v->lone_sport, c),
		     NET(v->chain, e), v->vni ? m : "");
		break;
	}
	case PPM_NETVLANS: {
		const struct pp_netvlan_key *k = key;

		emit(d, "%s %u pad=%u => %s", dev_name(k->ifindex, a), k->vid, k->pad, NET(v32, b));
		break;
	}
	case PPM_TRUNKS: {
		__u32 slot = k32 / PP_VID_SLOTS;

		if (slot < PP_MAX_TRUNKS && d->trunk_dev[slot])
			dev_name(d->trunk_dev[slot], a);
		else
			snprintf(a, sizeof(a), "trunk#%u", slot);	/* no device has it */
		emit(d, "%s %u => %s", a, k32 % PP_VID_SLOTS, NET(v32, b));
		break;
	}
	case PPM_FDB: {
		const struct pp_fdb_key *k = key;

		emit(d, "%s %s pad=%u => %s", NET(k->net_id, a), mac_str(k->mac, m), k->pad,
		     SPORT(v32, b));
		break;
	}
	case PPM_FLOOD: {
		const struct pp_flood *v = val;

		/* a set: the order of the list does not matter */
		emit(d, "%s count=%u", NET(k32, a), v->count);
		for (__u32 i = 0; i < v->count && i < PP_FLOOD_MAX; i++)
			emit(d, "%s member %s", NET(k32, a), SPORT(v->sport[i], b));
		break;
	}
	case PPM_DST: {
		const struct pp_dst_bucket *v = val;

		/* the ways as a set; the overflow mark left out */
		for (int i = 0; i < PP_DST_WAYS; i++)
			if (v->way[i].sport || v->way[i].pad)
				emit(d, "%s/%u %s pad=%u => %s", NET(k32 / PP_DST_BUCKETS, a),
				     k32 % PP_DST_BUCKETS, mac_str(v->way[i].mac, m), v->way[i].pad,
				     SPORT(v->way[i].sport, b));
		break;
	}
	case PPM_NAMES: {
		const struct pp_name_key *k = key;
		const struct pp_name_val *v = val;
		char name[PP_NAME_LEN];

		memcpy(name, k->name, sizeof(name));
		name[PP_NAME_LEN - 1] = 0;
		/* the id is an allocation; what it names is in the other maps */
		emit(d, "%s %s flags=%#x", k->kind < NKINDS ? kind_name[k->kind] : "?", name,
		     v->flags);
		break;
	}
	case PPM_XDP_TX:
		emit(d, "%s => %s", dev_name(k32, a), dev_name(v32, b));
		break;
	case PPM_NEIGH: {
		const struct pp_neigh_key *k = key;
		const struct pp_neigh *v = val;

		emit(d, "%s %s => %s flags=%#x", NET(k->net_id, a), addr_str(k->family, k->addr, b),
		     mac_str(v->mac, m), v->flags);
		break;
	}
	case PPM_SEC_SRC: {
		const struct pp_sec_key *k = key;
		const struct pp_sec_src *v = val;

		emit(d, "%s %s/%d => %s", SPORT(k->sport, a), addr_str(k->family, k->addr, b),
		     (int)k->prefixlen - 64, mac_str(v->mac, m));
		break;
	}
	case PPM_SEC_MAC: {
		const struct pp_sec_mac_key *k = key;

		emit(d, "%s %s => %u", SPORT(k->sport, a), mac_str(k->mac, m), v32);
		break;
	}
	case PPM_DHCP:
		x = hex(val, pp_map_desc[d->id].value_size);
		emit(d, "%s => %s", SPORT(k32, a), x ?: "?");
		free(x);
		break;
	case PPM_RULE_ADDR: {
		const struct pp_rule_addr_key *k = key;

		x = hex(val, pp_map_desc[d->id].value_size);
		emit(d, "%s dir=%u field=%u %s/%d => %s", SPORT(k->sport, a), k->dir, k->field,
		     addr_str(k->family, k->addr, b), (int)k->prefixlen - 64, x ?: "?");
		free(x);
		break;
	}
	case PPM_RULE_L4: {
		const struct pp_rule_l4_key *k = key;

		x = hex(val, pp_map_desc[d->id].value_size);
		emit(d, "%s dir=%u proto=%u port=%u/%d => %s", SPORT(k->sport, a), k->dir, k->proto,
		     k->port[0] << 8 | k->port[1], (int)k->prefixlen - 48, x ?: "?");
		free(x);
		break;
	}
	case PPM_RULE_SET: {
		const struct pp_rule_set_key *k = key;
		const struct pp_rule_set *v = val;

		x = hex(&v->allow, sizeof(v->allow));
		emit(d, "%s dir=%u => n=%u default_allow=%u allow=%s", SPORT(k->sport, a), k->dir,
		     v->n, v->default_allow, x ?: "?");
		free(x);
		break;
	}
	/* service chains (issue 17): a chain's slot is an allocation, printed by its chain */
	case PPM_CHAINS: {
		const struct pp_chain *v = val;

		emit(d, "%s net=%s n_hops=%u flags=%#x", NET(k32, a), NET(v->net_id, b), v->n_hops,
		     v->flags);
		break;
	}
	case PPM_CHAIN_SRC: {
		const struct pp_chain_src_key *k = key;

		emit(d, "%s %s => %u", NET(k->chain, a), k->sport ? SPORT(k->sport, b) : "device",
		     v32);
		break;
	}
	case PPM_CHAIN_PORTS: {
		const struct pp_chain_port *v = val;

		emit(d, "%s => %s hop=%u inst=%u role=%#x pad=%u", SPORT(k32, a), NET(v->chain, b),
		     v->hop, v->inst, v->role, v->pad);
		break;
	}
	case PPM_CHAIN_HOPS: {
		const struct pp_chain_hop *v = val;
		unsigned cnt[PP_CHAIN_INST_MAX + 1] = { 0 };

		/* the table as each instance's share: which slots is history */
		for (int s = 0; s < PP_CHAIN_SLOTS; s++)
			cnt[v->slots[s] < PP_CHAIN_INST_MAX ? v->slots[s] : PP_CHAIN_INST_MAX]++;
		emit(d, "%s hop=%u n_inst=%u n_live=%u pad=%u none=%u", NET(v->chain, a),
		     k32 % PP_CHAIN_HOPS_MAX, v->n_inst, v->n_live, v->pad, cnt[PP_CHAIN_INST_MAX]);
		for (int i = 0; i < v->n_inst && i < PP_CHAIN_INST_MAX; i++)
			emit(d, "%s hop=%u inst=%d %s/%s slots=%u", NET(v->chain, a),
			     k32 % PP_CHAIN_HOPS_MAX, i, SPORT(v->inst[i].in_sport, b),
			     SPORT(v->inst[i].out_sport, c), cnt[i]);
		break;
	}
	/* stretched networks (issue 20): VTEPs as addresses, networks by name */
	case PPM_VXLAN: {
		const struct pp_vxlan *v = val;

		emit(d, "%u ifindex=%s family=%u local=%s", k32, dev_name(v->ifindex, a), v->family,
		     addr_str(v->family, v->local, b));
		break;
	}
	case PPM_VNIS:
		emit(d, "%u => %s", k32, NET(v32, a));
		break;
	case PPM_VTEPS: {
		const struct pp_vtep *k = key;

		emit(d, "%s pad=%u.%u.%u => %u", addr_str(k->family, k->addr, a), k->pad[0], k->pad[1],
		     k->pad[2], v32);
		break;
	}
	case PPM_REMOTE: {
		const struct pp_fdb_key *k = key;
		const struct pp_vtep *v = val;

		emit(d, "%s %s pad=%u => %s", NET(k->net_id, a), mac_str(k->mac, m), k->pad,
		     addr_str(v->family, v->addr, b));
		break;
	}
	case PPM_RFLOOD: {
		const struct pp_rflood *v = val;

		/* a set, as pp_flood's: the hosts' order is the reconcile's */
		emit(d, "%s count=%u", NET(k32, a), v->count);
		for (__u32 i = 0; i < v->count && i < PP_RFLOOD_MAX; i++)
			emit(d, "%s host %s", NET(k32, a), addr_str(v->vtep[i].family, v->vtep[i].addr, b));
		break;
	}
	default:
		/* a map added after this file: as it is */
		x = hex(key, pp_map_desc[d->id].key_size);
		y = hex(val, pp_map_desc[d->id].value_size);
		emit(d, "%s => %s", x ?: "?", y ?: "?");
		free(x);
		free(y);
		break;
	}
	return d->err;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A map of per-CPU values: counters or the programs' scratch, left out. */
static bool per_cpu(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH ||
	       info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

int pp_dump_canonical(const char *pin_root, FILE *out)
{
	struct dump *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	err = pp_maps_open(&d->m, pin_root);
	if (err)
		goto out;
	d->max[PP_NAME_NET] = d->m.max_entries[PPM_NETS];
	d->max[PP_NAME_IPORT] = d->m.max_entries[PPM_IPORTS];
	d->max[PP_NAME_SPORT] = d->m.max_entries[PPM_SPORTS];
	for (int k = PP_NAME_NET; k < NKINDS; k++) {
		d->name[k] = calloc(d->max[k] + 1, PP_NAME_LEN);
		d->dup[k] = calloc(d->max[k] + 1, sizeof(bool));
		if (!d->name[k] || !d->dup[k])
			err = -ENOMEM;
	}
	if (!err)
		err = pp_map_iter(&d->m, PPM_NAMES, names_one, d);
	if (!err)
		err = pp_map_iter(&d->m, PPM_DEVS, trunks_one, d);
	for (int i = 0; i < PPM_COUNT && !err; i++) {
		d->id = i;
		if (per_cpu(d->m.fd[i])) {
			fprintf(out, "# %s: per-CPU (counters or scratch), left out\n",
				pp_map_desc[i].name);
			continue;
		}
		err = pp_map_iter(&d->m, i, entry, d) ?: d->err;
		if (d->n)
			qsort(d->line, d->n, sizeof(*d->line), line_cmp);
		for (size_t l = 0; l < d->n; l++) {
			if (!err)
				fprintf(out, "%s\n", d->line[l]);
			free(d->line[l]);
		}
		d->n = 0;
	}
	for (int k = PP_NAME_NET; k < NKINDS; k++) {
		free(d->name[k]);
		free(d->dup[k]);
	}
	free(d->line);
	pp_maps_close(&d->m);
out:
	free(d);
	return err;
}
