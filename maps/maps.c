// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Userspace accessors for the pinned polyport maps (see maps.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "maps.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const struct pp_map_desc pp_map_desc[PPM_COUNT] = {
	[PPM_DEVS]	  = { STR(PP_MAP_DEVS), PP_MK_ARRAY, 4, sizeof(struct pp_dev) },
	[PPM_IPORTS]	  = { STR(PP_MAP_IPORTS), PP_MK_ARRAY, 4, sizeof(struct pp_iport) },
	[PPM_VLANS]	  = { STR(PP_MAP_VLANS), PP_MK_ARRAY, 4, 4 },
	[PPM_QINQ]	  = { STR(PP_MAP_QINQ), PP_MK_HASH, sizeof(struct pp_qinq_key), 4 },
	[PPM_SRCMAC]	  = { STR(PP_MAP_SRCMAC), PP_MK_HASH, sizeof(struct pp_srcmac_key), 4 },
	[PPM_SPORTS]	  = { STR(PP_MAP_SPORTS), PP_MK_ARRAY, 4, sizeof(struct pp_sport) },
	[PPM_NETS]	  = { STR(PP_MAP_NETS), PP_MK_ARRAY, 4, sizeof(struct pp_net) },
	[PPM_NETVLANS]	  = { STR(PP_MAP_NETVLANS), PP_MK_HASH, sizeof(struct pp_netvlan_key), 4 },
	[PPM_FDB]	  = { STR(PP_MAP_FDB), PP_MK_HASH, sizeof(struct pp_fdb_key), 4 },
	[PPM_FLOOD]	  = { STR(PP_MAP_FLOOD), PP_MK_HASH, 4, sizeof(struct pp_flood) },
	[PPM_DST]	  = { STR(PP_MAP_DST), PP_MK_ARRAY, 4, sizeof(struct pp_dst_bucket) },
	[PPM_TRUNKS]	  = { STR(PP_MAP_TRUNKS), PP_MK_ARRAY, 4, 4 },
	[PPM_SPORT_STATS] = { STR(PP_MAP_SPORT_STATS), PP_MK_PERCPU_ARRAY, 4,
			      sizeof(struct pp_sport_stats) },
	[PPM_IPORT_DROPS] = { STR(PP_MAP_IPORT_DROPS), PP_MK_PERCPU_ARRAY, 4,
			      sizeof(struct pp_drops) },
	[PPM_NET_DROPS]	  = { STR(PP_MAP_NET_DROPS), PP_MK_PERCPU_ARRAY, 4,
			      sizeof(struct pp_drops) },
	[PPM_NAMES]	  = { STR(PP_MAP_NAMES), PP_MK_HASH, sizeof(struct pp_name_key),
			      sizeof(struct pp_name_val) },
	[PPM_XDP_TX]	  = { STR(PP_MAP_XDP_TX), PP_MK_HASH, 4, 4 },
	[PPM_NEIGH]	  = { STR(PP_MAP_NEIGH), PP_MK_HASH, sizeof(struct pp_neigh_key),
			      sizeof(struct pp_neigh) },
	[PPM_SEC_SRC]	  = { STR(PP_MAP_SEC_SRC), PP_MK_HASH, sizeof(struct pp_sec_key),
			      sizeof(struct pp_sec_src) },
	[PPM_SEC_MAC]	  = { STR(PP_MAP_SEC_MAC), PP_MK_HASH, sizeof(struct pp_sec_mac_key), 4 },
	[PPM_DHCP]	  = { STR(PP_MAP_DHCP), PP_MK_HASH, 4, sizeof(struct pp_dhcp) },
	[PPM_SCRATCH]	  = { STR(PP_MAP_SCRATCH), PP_MK_PERCPU_ARRAY, 4, sizeof(struct pp_scratch) },
	[PPM_SVC_STATS]	  = { STR(PP_MAP_SVC_STATS), PP_MK_PERCPU_ARRAY, 4,
			      sizeof(struct pp_svc_stats) },
	[PPM_RULE_ADDR]	  = { STR(PP_MAP_RULE_ADDR), PP_MK_HASH, sizeof(struct pp_rule_addr_key),
			      sizeof(struct pp_rule_bits) },
	[PPM_RULE_L4]	  = { STR(PP_MAP_RULE_L4), PP_MK_HASH, sizeof(struct pp_rule_l4_key),
			      sizeof(struct pp_rule_bits) },
	[PPM_RULE_SET]	  = { STR(PP_MAP_RULE_SET), PP_MK_HASH, sizeof(struct pp_rule_set_key),
			      sizeof(struct pp_rule_set) },
	[PPM_RULE_STATS]  = { STR(PP_MAP_RULE_STATS), PP_MK_HASH, sizeof(struct pp_rule_stat_key), 8 },
	[PPM_L3DOMS]	  = { STR(PP_MAP_L3DOMS), PP_MK_ARRAY, 4, sizeof(struct pp_l3dom) },
	[PPM_L3ADDRS]	  = { STR(PP_MAP_L3ADDRS), PP_MK_HASH, sizeof(struct pp_l3addr_key), 4 },
	[PPM_L3UPS]	  = { STR(PP_MAP_L3UPS), PP_MK_HASH, 4, sizeof(struct pp_l3up) },
	[PPM_L3NH]	  = { STR(PP_MAP_L3NH), PP_MK_HASH, sizeof(struct pp_l3nh_key),
			      sizeof(struct pp_l3nh) },
	[PPM_L3MISS]	  = { STR(PP_MAP_L3MISS), PP_MK_HASH, sizeof(struct pp_l3nh_key), 8 },
	[PPM_L3GW]	  = { STR(PP_MAP_L3GW), PP_MK_HASH, sizeof(struct pp_l3gw_key),
			      sizeof(struct pp_l3gw) },
	[PPM_L3ICMP]	  = { STR(PP_MAP_L3ICMP), PP_MK_PERCPU_ARRAY, 4, sizeof(struct pp_l3icmp) },
	[PPM_RULE_SP]	  = { STR(PP_MAP_RULE_SP), PP_MK_HASH, sizeof(struct pp_rule_l4_key),
			      sizeof(struct pp_rule_bits) },
	[PPM_CHAINS]	  = { STR(PP_MAP_CHAINS), PP_MK_ARRAY, 4, sizeof(struct pp_chain) },
	[PPM_CHAIN_SRC]	  = { STR(PP_MAP_CHAIN_SRC), PP_MK_HASH, sizeof(struct pp_chain_src_key), 4 },
	[PPM_CHAIN_HOPS]  = { STR(PP_MAP_CHAIN_HOPS), PP_MK_ARRAY, 4, sizeof(struct pp_chain_hop) },
	[PPM_CHAIN_PORTS] = { STR(PP_MAP_CHAIN_PORTS), PP_MK_HASH, 4, sizeof(struct pp_chain_port) },
	[PPM_VXLAN]	  = { STR(PP_MAP_VXLAN), PP_MK_ARRAY, 4, sizeof(struct pp_vxlan) },
	[PPM_VNIS]	  = { STR(PP_MAP_VNIS), PP_MK_HASH, 4, 4 },
	[PPM_VTEPS]	  = { STR(PP_MAP_VTEPS), PP_MK_HASH, sizeof(struct pp_vtep), 4 },
	[PPM_REMOTE]	  = { STR(PP_MAP_REMOTE), PP_MK_HASH, sizeof(struct pp_fdb_key),
			      sizeof(struct pp_vtep) },
	[PPM_RFLOOD]	  = { STR(PP_MAP_RFLOOD), PP_MK_HASH, 4, sizeof(struct pp_rflood) },
};

const char *const pp_drop_names[PP_DROP_MAX] = PP_DROP_NAMES;
const char *const pp_svc_stat_names[PP_SVC_STAT_COUNT] = PP_SVC_STAT_NAMES;

void pp_map_sizes_default(struct pp_map_sizes *s)
{
	s->max_ifindex = PP_DEF_MAX_IFINDEX;
	s->max_iports = PP_DEF_MAX_IPORTS;
	s->max_sports = PP_DEF_MAX_SPORTS;
	s->max_nets = PP_DEF_MAX_NETS;
	s->max_macs = PP_DEF_MAX_MACS;
	s->max_match = PP_DEF_MAX_MATCH;
}

unsigned pp_map_max_entries(const struct pp_map_sizes *s, enum pp_map_id id)
{
	switch (id) {
	case PPM_DEVS:		return s->max_ifindex;
	case PPM_IPORTS:
	case PPM_IPORT_DROPS:	return s->max_iports;
	case PPM_VLANS:		return s->max_iports * PP_VID_SLOTS;
	case PPM_QINQ:
	case PPM_SRCMAC:	return s->max_match;
	case PPM_SPORTS:
	case PPM_SPORT_STATS:
	case PPM_DHCP:
	case PPM_SVC_STATS:	return s->max_sports;
	case PPM_SCRATCH:	return 1;
	case PPM_NETS:
	case PPM_NETVLANS:
	case PPM_FLOOD:
	case PPM_NET_DROPS:
	case PPM_L3DOMS:
	case PPM_L3UPS:
	case PPM_L3MISS:	return s->max_nets;	/* read out each second */
	case PPM_L3ICMP:
	case PPM_CHAINS:	return s->max_nets;
	case PPM_CHAIN_HOPS:	return PP_DEF_MAX_CHAINS * PP_CHAIN_HOPS_MAX;
	case PPM_CHAIN_SRC:
	case PPM_CHAIN_PORTS:	return s->max_sports;
	case PPM_L3GW:		return s->max_macs;	/* subnets */
	case PPM_DST:		return s->max_nets * PP_DST_BUCKETS;
	case PPM_TRUNKS:	return PP_MAX_TRUNKS * PP_VID_SLOTS;
	case PPM_FDB:
	case PPM_NEIGH:
	case PPM_SEC_SRC:
	case PPM_SEC_MAC:
	case PPM_RULE_ADDR:
	case PPM_RULE_L4:
	case PPM_RULE_SP:
	case PPM_RULE_STATS:
	case PPM_L3ADDRS:
	case PPM_L3NH:		return s->max_macs;	/* one address per MAC, about */
	case PPM_RULE_SET:	return s->max_sports;
	case PPM_NAMES:		return s->max_sports + s->max_iports + s->max_nets;
	case PPM_XDP_TX:	return s->max_iports + s->max_nets;	/* taps + network devices */
	case PPM_VXLAN:		return 1;
	case PPM_VNIS:
	case PPM_RFLOOD:	return s->max_nets;
	case PPM_VTEPS:		return PP_MAX_VTEPS;
	case PPM_REMOTE:	return s->max_macs;
	case PPM_COUNT:		break;
	}
	return 0;
}

/* An array entry's stride: its value rounded up to 8 bytes, as the kernel lays it out. */
static size_t pp_elem_size(enum pp_map_id id)
{
	return (pp_map_desc[id].value_size + 7) & ~(size_t)7;
}

/* Entry key of mmapped array id, or NULL (no mapping, or out of range). */
static unsigned char *pp_elem(const struct pp_maps *m, enum pp_map_id id, const void *key)
{
	__u32 k;

	if (!m->mem[id])
		return NULL;
	memcpy(&k, key, sizeof(k));
	return k < m->max_entries[id] ? m->mem[id] + (size_t)k * pp_elem_size(id) : NULL;
}

void *pp_map_elem(const struct pp_maps *m, enum pp_map_id id, __u32 key)
{
	return pp_map_desc[id].kind == PP_MK_ARRAY ? pp_elem(m, id, &key) : NULL;
}

/* ---- in-memory copies of hash maps (struct pp_maps.shadow) ------------------ */

struct pp_shadow {
	size_t cap, n, rsz;	/* slots (a power of two), used, bytes per record */
	unsigned char *rec;	/* per slot: a used byte, the key, the value */
};

static bool pp_shadowed(enum pp_map_id id)
{
	return id == PPM_FDB || id == PPM_FLOOD || id == PPM_NETVLANS;
}

static size_t shadow_hash(const unsigned char *k, size_t n)
{
	size_t h = 2166136261u;

	while (n--)
		h = (h ^ *k++) * 16777619u;
	return h;
}

/* The slot of key: its record, or the empty slot where it would go. */
static unsigned char *shadow_slot(const struct pp_shadow *sh, enum pp_map_id id, const void *key)
{
	size_t ks = pp_map_desc[id].key_size, i = shadow_hash(key, ks) & (sh->cap - 1);

	for (;; i = (i + 1) & (sh->cap - 1)) {
		unsigned char *r = sh->rec + i * sh->rsz;

		if (!r[0] || !memcmp(r + 1, key, ks))
			return r;
	}
}

static int shadow_set(struct pp_shadow *sh, enum pp_map_id id, const void *key, const void *val)
{
	const struct pp_map_desc *d = &pp_map_desc[id];
	unsigned char *r;

	if (2 * (sh->n + 1) > sh->cap) {
		struct pp_shadow big = { .cap = 2 * sh->cap, .rsz = sh->rsz };

		big.rec = calloc(big.cap, big.rsz);
		if (!big.rec)
			return -ENOMEM;
		for (size_t i = 0; i < sh->cap; i++) {
			unsigned char *o = sh->rec + i * sh->rsz;

			if (o[0]) {
				memcpy(shadow_slot(&big, id, o + 1), o, sh->rsz);
				big.n++;
			}
		}
		free(sh->rec);
		*sh = big;
	}
	r = shadow_slot(sh, id, key);
	if (!r[0]) {
		r[0] = 1;
		memcpy(r + 1, key, d->key_size);
		sh->n++;
	}
	memcpy(r + 1 + d->key_size, val, d->value_size);
	return 0;
}

/* Remove key, moving back the records after it (linear probing, no tombstones). */
static void shadow_del(struct pp_shadow *sh, enum pp_map_id id, const void *key)
{
	size_t ks = pp_map_desc[id].key_size, i, j;
	unsigned char *r;

	if (!sh->cap || !(r = shadow_slot(sh, id, key))[0])
		return;
	i = (size_t)(r - sh->rec) / sh->rsz;
	r[0] = 0;
	sh->n--;
	for (j = (i + 1) & (sh->cap - 1); sh->rec[j * sh->rsz]; j = (j + 1) & (sh->cap - 1)) {
		unsigned char *q = sh->rec + j * sh->rsz;
		size_t home = shadow_hash(q + 1, ks) & (sh->cap - 1);

		/* q may move to the hole at i if its home is not in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			memcpy(sh->rec + i * sh->rsz, q, sh->rsz);
			q[0] = 0;
			i = j;
		}
	}
}

static void shadow_free(struct pp_maps *m, enum pp_map_id id)
{
	if (m->shadow[id])
		free(m->shadow[id]->rec);
	free(m->shadow[id]);
	m->shadow[id] = NULL;
}

void pp_maps_refresh(struct pp_maps *m)
{
	for (int i = 0; i < PPM_COUNT; i++)
		shadow_free(m, i);
}

static int shadow_load_one(const void *key, const void *val, void *arg)
{
	struct { struct pp_shadow *sh; enum pp_map_id id; } *a = arg;

	return shadow_set(a->sh, a->id, key, val);
}

/* The in-memory copy of map id, read from the kernel if there is none; NULL on failure. */
static struct pp_shadow *shadow_of(const struct pp_maps *cm, enum pp_map_id id)
{
	struct pp_maps *m = (struct pp_maps *)cm;	/* a cache: reads fill it */
	struct { struct pp_shadow *sh; enum pp_map_id id; } a = { .id = id };

	if (!pp_shadowed(id) || m->fd[id] < 0)
		return NULL;
	if (m->shadow[id])
		return m->shadow[id];
	a.sh = calloc(1, sizeof(*a.sh));
	if (!a.sh)
		return NULL;
	a.sh->rsz = 1 + pp_map_desc[id].key_size + pp_map_desc[id].value_size;
	a.sh->cap = 1024;
	a.sh->rec = calloc(a.sh->cap, a.sh->rsz);
	m->shadow[id] = a.sh;
	if (!a.sh->rec || pp_map_iter(m, id, shadow_load_one, &a)) {
		shadow_free(m, id);
		return NULL;
	}
	return a.sh;
}

static void pp_maps_init(struct pp_maps *m)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < PPM_COUNT; i++)
		m->fd[i] = -1;
}

static int pp_map_check(struct pp_maps *m, enum pp_map_id id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const struct pp_map_desc *d = &pp_map_desc[id];

	if (bpf_obj_get_info_by_fd(m->fd[id], &info, &len))
		return -errno;
	if (info.key_size != d->key_size || info.value_size != d->value_size)
		return -EPROTO;		/* a map of another layout under our name */
	m->max_entries[id] = info.max_entries;
	if (d->kind == PP_MK_ARRAY && (info.map_flags & BPF_F_MMAPABLE) && info.max_entries) {
		size_t page = sysconf(_SC_PAGESIZE);
		size_t len = (size_t)info.max_entries * pp_elem_size(id);
		void *p;

		len = (len + page - 1) / page * page;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd[id], 0);
		if (p == MAP_FAILED)
			return -errno;
		m->mem[id] = p;
		m->mem_len[id] = len;
	}
	return 0;
}

/* Every map from its pin under pin_root or, without one, from a dup of fds[i]; each checked. */
static int pp_maps_get(struct pp_maps *m, const char *pin_root, const int *fds)
{
	char path[512];
	int err;

	pp_maps_init(m);
	for (int i = 0; i < PPM_COUNT; i++) {
		if (pin_root) {
			snprintf(path, sizeof(path), "%s/%s", pin_root, pp_map_desc[i].name);
			m->fd[i] = bpf_obj_get(path);
		} else {
			m->fd[i] = dup(fds[i]);
		}
		if (m->fd[i] < 0) {
			err = -errno;
			goto fail;
		}
		err = pp_map_check(m, i);
		if (err)
			goto fail;
	}
	return 0;
fail:
	pp_maps_close(m);
	return err;
}

int pp_maps_open(struct pp_maps *m, const char *pin_root)
{
	return pp_maps_get(m, pin_root, NULL);
}

int pp_maps_adopt(struct pp_maps *m, const int fds[PPM_COUNT])
{
	return pp_maps_get(m, NULL, fds);
}

void pp_maps_close(struct pp_maps *m)
{
	for (int i = 0; i < PPM_COUNT; i++) {
		shadow_free(m, i);
		if (m->mem[i])
			munmap(m->mem[i], m->mem_len[i]);
		m->mem[i] = NULL;
		if (m->fd[i] >= 0)
			close(m->fd[i]);
		m->fd[i] = -1;
	}
}

/*
 * An mmapped entry is written as an update writes it (a plain copy); the
 * fence keeps writes in program order for the programs, as the bpf() calls
 * between them did: what a write makes reachable is written first.
 */
static void pp_elem_write(unsigned char *e, const void *val, size_t len)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(e, val, len);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

int pp_map_put(struct pp_maps *m, enum pp_map_id id, const void *key, const void *val)
{
	unsigned char *e = pp_elem(m, id, key);

	if (e)
		pp_elem_write(e, val, pp_map_desc[id].value_size);
	else if (m->mem[id])
		return -E2BIG;
	else if (bpf_map_update_elem(m->fd[id], key, val, BPF_ANY))
		return -errno;
	if (m->shadow[id] && shadow_set(m->shadow[id], id, key, val))
		shadow_free(m, id);	/* no memory: read from the kernel again */
	m->writes++;
	return 0;
}

int pp_map_put_changed(struct pp_maps *m, enum pp_map_id id, const void *key, const void *val)
{
	unsigned char cur[2048];

	_Static_assert(sizeof(struct pp_rflood) <= sizeof(cur) &&
		       sizeof(struct pp_flood) <= sizeof(cur), "pp_map_put_changed: the widest values");
	if (pp_map_desc[id].value_size <= sizeof(cur) && !pp_map_get(m, id, key, cur) &&
	    !memcmp(cur, val, pp_map_desc[id].value_size))
		return 0;
	return pp_map_put(m, id, key, val);
}

int pp_map_get(const struct pp_maps *m, enum pp_map_id id, const void *key, void *val)
{
	const unsigned char *e = pp_elem(m, id, key);

	if (e) {
		memcpy(val, e, pp_map_desc[id].value_size);
		return 0;
	}
	if (m->mem[id])
		return -ENOENT;
	if (pp_shadowed(id)) {
		const struct pp_shadow *sh = shadow_of(m, id);
		const unsigned char *r = sh ? shadow_slot(sh, id, key) : NULL;

		if (r && !r[0])
			return -ENOENT;
		if (r) {
			memcpy(val, r + 1 + pp_map_desc[id].key_size, pp_map_desc[id].value_size);
			return 0;
		}
	}
	return bpf_map_lookup_elem(m->fd[id], key, val) ? -errno : 0;
}

int pp_map_del(struct pp_maps *m, enum pp_map_id id, const void *key)
{
	unsigned char zero[sizeof(struct pp_flood)] = {};

	if (pp_map_desc[id].kind == PP_MK_HASH) {
		int gone = bpf_map_delete_elem(m->fd[id], key) ? -errno : 0;

		if (gone && gone != -ENOENT)
			return gone;
		if (m->shadow[id])
			shadow_del(m->shadow[id], id, key);
		if (gone)
			return 0;
	} else if (pp_map_desc[id].kind == PP_MK_ARRAY) {
		int err = pp_map_put(m, id, key, zero);

		if (err)
			return err;
		m->writes--;		/* counted once, below */
	} else {
		return -EINVAL;
	}
	m->writes++;
	return 0;
}

static int pp_ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

int pp_map_get_percpu_sum(const struct pp_maps *m, enum pp_map_id id, __u32 key, void *sum)
{
	unsigned vsize = pp_map_desc[id].value_size, nwords = vsize / 8;
	int ncpus = pp_ncpus();
	__u64 *vals, *out = sum;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	vals = calloc(ncpus, vsize);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->fd[id], &key, vals)) {
		int err = -errno;
		free(vals);
		return err;
	}
	memset(sum, 0, vsize);
	for (int c = 0; c < ncpus; c++)
		for (unsigned w = 0; w < nwords; w++)
			out[w] += vals[c * nwords + w];
	free(vals);
	return 0;
}

bool pp_all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

/*
 * A map's entries, 4,096 per bpf() call (an array's non-zero ones).
 * Returns -EOPNOTSUPP, before calling fn, for a map without batch lookups
 * (LPM tries, devmaps).
 */
static int iter_batch(const struct pp_maps *m, enum pp_map_id id,
		      int (*fn)(const void *key, const void *val, void *arg), void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	const struct pp_map_desc *d = &pp_map_desc[id];
	const unsigned chunk = 4096, ksize = d->key_size, vsize = d->value_size;
	unsigned char *keys = calloc(chunk, ksize), *vals = calloc(chunk, vsize);
	__u64 in_batch = 0, out_batch = 0;	/* a bucket or an index: a u32 */
	__u32 count;
	void *in = NULL;
	int err = 0, ret;

	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = chunk;
		ret = bpf_map_lookup_batch(m->fd[id], in, &out_batch, keys, vals, &count, &o);
		if (ret && errno != ENOENT) {
			err = -errno;
			/* the kernel's ENOTSUPP (524) reaches userspace as is */
			if (!in && (err == -EINVAL || err == -524 || err == -EOPNOTSUPP))
				err = -EOPNOTSUPP;
			break;
		}
		for (__u32 i = 0; i < count && !err; i++) {
			const unsigned char *v = vals + (size_t)i * vsize;

			if (d->kind != PP_MK_ARRAY || !pp_all_zero(v, vsize))
				err = fn(keys + (size_t)i * ksize, v, arg);
		}
		if (ret || err)		/* ENOENT: that was the last batch */
			break;
		in_batch = out_batch;
		in = &in_batch;
	}
out:
	free(keys);
	free(vals);
	return err;
}

int pp_map_iter(const struct pp_maps *m, enum pp_map_id id,
		int (*fn)(const void *key, const void *val, void *arg), void *arg)
{
	const struct pp_map_desc *d = &pp_map_desc[id];
	unsigned char key[64], next[64], val[sizeof(struct pp_flood)];
	int err;

	if (d->kind == PP_MK_HASH && (err = iter_batch(m, id, fn, arg)) != -EOPNOTSUPP)
		return err;
	if (d->kind == PP_MK_HASH) {
		void *prev = NULL;

		while (!bpf_map_get_next_key(m->fd[id], prev, next)) {
			memcpy(key, next, d->key_size);
			prev = key;
			if (bpf_map_lookup_elem(m->fd[id], key, val))
				continue;	/* deleted meanwhile */
			err = fn(key, val, arg);
			if (err)
				return err;
		}
		return errno == ENOENT ? 0 : -errno;
	}
	if (d->kind == PP_MK_ARRAY && m->mem[id]) {
		for (__u32 k = 0; k < m->max_entries[id]; k++) {
			memcpy(val, m->mem[id] + (size_t)k * pp_elem_size(id), d->value_size);
			if (!pp_all_zero(val, d->value_size) && (err = fn(&k, val, arg)))
				return err;
		}
		return 0;
	}
	if (d->kind == PP_MK_ARRAY)
		return iter_batch(m, id, fn, arg);
	for (__u32 k = 0; k < m->max_entries[id]; k++) {
		if (d->kind == PP_MK_PERCPU_ARRAY)
			err = pp_map_get_percpu_sum(m, id, k, val);
		else
			err = pp_map_get(m, id, &k, val);
		if (err)
			return err;
		if (pp_all_zero(val, d->value_size))
			continue;
		err = fn(&k, val, arg);
		if (err)
			return err;
	}
	return 0;
}

__u64 pp_rule_stat_get(const struct pp_maps *m, __u32 sport, __u8 dir, __u16 idx)
{
	struct pp_rule_stat_key k = { .sport = sport, .idx = idx, .dir = dir };
	int ncpus = pp_ncpus();
	__u64 *v, sum = 0;

	if (ncpus <= 0)
		return 0;
	v = calloc(ncpus, sizeof(*v));
	if (v && !bpf_map_lookup_elem(m->fd[PPM_RULE_STATS], &k, v))
		for (int i = 0; i < ncpus; i++)
			sum += v[i];
	free(v);
	return sum;
}
