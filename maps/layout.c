// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Map layouts: identities, revisions, migrations (see layout.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "layout.h"

/* ---- migrations ------------------------------------------------------------------ */

/*
 * pp_nets: the 12-byte layout (before chains) gets chain 0 and the 16-byte
 * one (before VXLAN) vni 0, which is what they meant; revision 2 (test
 * variant) differs from revision 1 in meaning only.  The new value is
 * zeroed by the caller.
 */
#define NETS_V1_SIZE	12	/* ifindex, vlan, mtu, lone_sport */
#define NETS_V2_SIZE	16	/* ... chain */

static int mig_nets(const struct pp_layout *from, const void *okey, const void *oval, void *nkey,
		    void *nval)
{
	memcpy(nkey, okey, from->key_size);
	memcpy(nval, oval, from->value_size < sizeof(struct pp_net) ? from->value_size :
								       sizeof(struct pp_net));
	return 0;
}

static bool nets_from_ok(const struct pp_layout *from, const struct pp_layout *to)
{
	if (from->type != to->type || from->key_size != to->key_size || from->rev > 2)
		return false;
	if (from->value_size == NETS_V1_SIZE)	/* recorded (rev 1) or not (pins before records) */
		return true;
	if (from->value_size == NETS_V2_SIZE)	/* the previous main's (rev 1; rev 2: its variant) */
		return true;
	return from->hash == to->hash && from->value_size == to->value_size && from->rev >= 1;
}

/*
 * pp_iports: the 20-byte layout (before standby taps) gets standby 0, which
 * is what it meant: no tap waits.  The new value is zeroed by the caller.
 */
#define IPORTS_V1_SIZE	20	/* ifindex, flags, untagged_sport, mtu, mac */

static int mig_iports(const struct pp_layout *from, const void *okey, const void *oval,
		      void *nkey, void *nval)
{
	memcpy(nkey, okey, from->key_size);
	memcpy(nval, oval, from->value_size < sizeof(struct pp_iport) ? from->value_size :
									  sizeof(struct pp_iport));
	return 0;
}

/* Only the 20-byte layout: recorded (rev 1) or not (pins before records). */
static bool iports_from_ok(const struct pp_layout *from, const struct pp_layout *to)
{
	return from->type == to->type && from->key_size == to->key_size && from->rev <= 1 &&
	       from->value_size == IPORTS_V1_SIZE;
}

#if defined(PP_UPGRADE_VARIANT) && PP_UPGRADE_VARIANT == 1
#define NETS_REV	2
#else
#define NETS_REV	1
#endif

/*
 * Every map's revision and migration.  A revision goes up by one when the
 * meaning of a field changes without its type; a change of type shows in the
 * hash by itself.  Either way the map needs a migration here (DEVELOPERS.md).
 *
 * History:
 *  - pp_iport_drops, pp_net_drops: 9 reasons -> PP_DROP_SLOTS (32), room for
 *    later reasons (fold: the counters carry over, word by word).
 *  - pp_nets: 12 -> 16 bytes, the chain steering the network (issue 17);
 *    old entries get chain 0.
 *  - pp_nets revision 2: only in the test variant (-DPP_UPGRADE_VARIANT=1),
 *    whose meaning is revision 1's: the upgrade tests migrate an
 *    mmapable array entry by entry, both ways.
 *  - pp_nets: 16 -> 20 bytes, the VNI of a network stretched over VXLAN
 *    (issue 20); old entries get vni 0.  It cannot run back: the previous
 *    main's migration knows the 12-byte layout only and refuses these pins
 *    before it changes anything.
 *  - pp_iports: 20 -> 24 bytes, the standby tap the programs activate on
 *    its first frame (issue 18); old entries get standby 0.  It cannot run
 *    back: the previous main knows no migration of pp_iports and refuses
 *    these pins before it changes anything (a 20-byte copy would only
 *    leave the standby out: ifindex is the active tap either way).  Since
 *    this change the programs write ifindex: in a later migration of this
 *    map, an activation made after its entry was copied is lost with the
 *    old map and made again by the new programs on the standby's next
 *    frame (the standby is copied too).
 */
const struct pp_map_layout pp_map_layout[PPM_COUNT] = {
	[PPM_DEVS]	  = { 1 },
	[PPM_IPORTS]	  = { 1, PP_MIG_COPY, mig_iports, iports_from_ok },
	[PPM_VLANS]	  = { 1 },
	[PPM_QINQ]	  = { 1 },
	[PPM_SRCMAC]	  = { 1 },
	[PPM_SPORTS]	  = { 1 },
	[PPM_NETS]	  = { NETS_REV, PP_MIG_COPY, mig_nets, nets_from_ok },
	[PPM_NETVLANS]	  = { 1 },
	[PPM_FDB]	  = { 1 },
	[PPM_FLOOD]	  = { 1 },
	[PPM_SPORT_STATS] = { 1, PP_MIG_FOLD },
	[PPM_IPORT_DROPS] = { 1, PP_MIG_FOLD },
	[PPM_NET_DROPS]	  = { 1, PP_MIG_FOLD },
	[PPM_NAMES]	  = { 1 },
	[PPM_XDP_TX]	  = { 1 },
	[PPM_NEIGH]	  = { 1 },
	[PPM_SEC_SRC]	  = { 1 },
	[PPM_SEC_MAC]	  = { 1 },
	[PPM_DHCP]	  = { 1 },
	[PPM_SCRATCH]	  = { 1, PP_MIG_EMPTY },
	[PPM_SVC_STATS]	  = { 1, PP_MIG_FOLD },
	[PPM_RULE_ADDR]	  = { 1 },
	[PPM_RULE_L4]	  = { 1 },
	[PPM_RULE_SET]	  = { 1 },
	[PPM_RULE_STATS]  = { 1, PP_MIG_FOLD },
	[PPM_DST]	  = { 1 },
	[PPM_TRUNKS]	  = { 1 },
	[PPM_L3DOMS]	  = { 1 },
	[PPM_L3ADDRS]	  = { 1 },
	[PPM_L3UPS]	  = { 1 },
	[PPM_L3NH]	  = { 1 },
	[PPM_L3MISS]	  = { 1, PP_MIG_EMPTY },
	[PPM_L3GW]	  = { 1 },
	[PPM_L3ICMP]	  = { 1, PP_MIG_EMPTY },
	[PPM_RULE_SP]	  = { 1 },
	[PPM_CHAINS]	  = { 1 },
	[PPM_CHAIN_SRC]	  = { 1 },
	[PPM_CHAIN_HOPS]  = { 1 },
	[PPM_CHAIN_PORTS] = { 1 },
	[PPM_VXLAN]	  = { 1 },
	[PPM_VNIS]	  = { 1 },
	[PPM_VTEPS]	  = { 1 },
	[PPM_REMOTE]	  = { 1 },
	[PPM_RFLOOD]	  = { 1 },
};

int pp_layout_migratable(enum pp_map_id id, const struct pp_layout *from,
			 const struct pp_layout *to, char *buf, size_t len)
{
	const struct pp_map_layout *ml = &pp_map_layout[id];
	const char *why = NULL;

	switch (ml->mig) {
	case PP_MIG_NONE:
		why = "no migration is known for this map";
		break;
	case PP_MIG_EMPTY:
		break;
	case PP_MIG_COPY:
		if (ml->from_ok && !ml->from_ok(from, to))
			why = "its migration does not know that layout";
		break;
	case PP_MIG_FOLD:
		if (from->type != to->type ||
		    (to->type != BPF_MAP_TYPE_PERCPU_ARRAY && to->type != BPF_MAP_TYPE_PERCPU_HASH))
			why = "counters fold only between per-CPU maps of one type";
		else if (from->key_size != to->key_size || from->key_size > 16)
			why = "counters fold only under the same key";
		else if (from->value_size % 8 || to->value_size % 8 || to->value_size > 8 * 64)
			why = "counters fold only as __u64 words";
		break;
	}
	if (why && buf && len)
		snprintf(buf, len, "%s", why);
	return why ? -EOPNOTSUPP : 0;
}

/* ---- identity ---------------------------------------------------------------------- */

struct fnv {
	__u64 h;
};

static void fnv_bytes(struct fnv *f, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		f->h = (f->h ^ *c++) * 0x100000001b3ull;
}

static void fnv_u32(struct fnv *f, __u32 v)
{
	fnv_bytes(f, &v, sizeof(v));
}

static void fnv_str(struct fnv *f, const char *s)
{
	fnv_bytes(f, s ? s : "", strlen(s ? s : "") + 1);
}

/*
 * Hash type id of btf: its kind, name and size, and what it is made of
 * (members with their names, bit offsets and types; an array's element type
 * and length; an int's encoding; an enum's values), recursively.
 */
static void hash_type(struct fnv *f, const struct btf *btf, __u32 id, int depth)
{
	const struct btf_type *t;

	if (depth > 32) {
		fnv_str(f, "deep");
		return;
	}
	if (!id) {
		fnv_str(f, "void");
		return;
	}
	t = btf__type_by_id(btf, id);
	if (!t) {
		fnv_str(f, "?");
		return;
	}
	fnv_u32(f, btf_kind(t));
	fnv_str(f, btf__name_by_offset(btf, t->name_off));
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		fnv_u32(f, t->size);
		fnv_u32(f, btf_int_encoding(t));
		fnv_u32(f, btf_int_offset(t));
		fnv_u32(f, btf_int_bits(t));
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);

		fnv_u32(f, a->nelems);
		hash_type(f, btf, a->type, depth + 1);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = btf_members(t);

		fnv_u32(f, t->size);
		fnv_u32(f, btf_vlen(t));
		for (int i = 0; i < btf_vlen(t); i++, m++) {
			fnv_str(f, btf__name_by_offset(btf, m->name_off));
			fnv_u32(f, btf_member_bit_offset(t, i));
			fnv_u32(f, btf_member_bitfield_size(t, i));
			hash_type(f, btf, m->type, depth + 1);
		}
		break;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = btf_enum(t);

		fnv_u32(f, t->size);
		for (int i = 0; i < btf_vlen(t); i++, e++) {
			fnv_str(f, btf__name_by_offset(btf, e->name_off));
			fnv_u32(f, (__u32)e->val);
		}
		break;
	}
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_PTR:
		hash_type(f, btf, t->type, depth + 1);
		break;
	default:		/* FWD, FUNC, ...: not in a map's key or value */
		fnv_u32(f, t->size);
		break;
	}
}

__u64 pp_layout_hash(const struct btf *btf, __u32 key_id, __u32 value_id, __u32 type,
		     __u32 flags, __u32 key_size, __u32 value_size)
{
	struct fnv f = { 0xcbf29ce484222325ull };

	fnv_u32(&f, type);
	fnv_u32(&f, flags);
	fnv_u32(&f, key_size);
	fnv_u32(&f, value_size);
	if (btf && (key_id || value_id)) {
		fnv_str(&f, "key");
		hash_type(&f, btf, key_id, 0);
		fnv_str(&f, "value");
		hash_type(&f, btf, value_id, 0);
	}			/* else (a devmap): its sizes are all there is */
	return f.h;
}

int pp_layout_of(const struct bpf_object *obj, const struct bpf_map *map, enum pp_map_id id,
		 struct pp_layout *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", bpf_map__name(map));
	out->rev = pp_map_layout[id].rev;
	out->type = bpf_map__type(map);
	out->key_size = bpf_map__key_size(map);
	out->value_size = bpf_map__value_size(map);
	out->hash = pp_layout_hash(bpf_object__btf(obj), bpf_map__btf_key_type_id(map),
				   bpf_map__btf_value_type_id(map), out->type,
				   bpf_map__map_flags(map), out->key_size, out->value_size);
	return 0;
}

bool pp_layout_same(const struct pp_layout *a, const struct pp_layout *b)
{
	return a->hash == b->hash && a->rev == b->rev && a->type == b->type &&
	       a->key_size == b->key_size && a->value_size == b->value_size;
}

void pp_layout_fmt(const struct pp_layout *l, char *buf, size_t len)
{
	snprintf(buf, len, "%016llx.%u", (unsigned long long)l->hash, l->rev);
}

/* ---- records ------------------------------------------------------------------------ */

int pp_layout_get(int fd, enum pp_map_id id, struct pp_layout *out)
{
	__u32 k = id;

	if (bpf_map_lookup_elem(fd, &k, out))
		return -errno;
	out->name[sizeof(out->name) - 1] = 0;
	return strcmp(out->name, pp_map_desc[id].name) ? -ENOENT : 0;
}

int pp_layout_put(int fd, enum pp_map_id id, const struct pp_layout *l)
{
	struct pp_layout cur;
	__u32 k = id;

	if (!bpf_map_lookup_elem(fd, &k, &cur) && !memcmp(&cur, l, sizeof(cur)))
		return 0;
	return bpf_map_update_elem(fd, &k, l, BPF_ANY) ? -errno : 0;
}
