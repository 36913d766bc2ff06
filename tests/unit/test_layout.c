// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Map layout identities (maps/layout.h): a change of a key or value type
 * shows in the hash even when the sizes stay; the migrations accept what
 * they can carry and nothing else; the records round-trip through a map.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "layout.h"
#include "tap.skel.h"

/* A BTF with struct NAME { __u16 F1; __u16 F2; __u8 mac[6]; } (offsets as given). */
static struct btf *mk_btf(const char *f1, const char *f2, int mac_len, __u32 *id)
{
	struct btf *b = btf__new_empty();
	int u16, u8, arr, u32;

	assert_non_null(b);
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	u16 = btf__add_int(b, "unsigned short", 2, 0);
	u8 = btf__add_int(b, "unsigned char", 1, 0);
	arr = btf__add_array(b, u32, u8, mac_len);
	*id = btf__add_struct(b, "pp_thing", 4 + mac_len);
	assert_int_equal(btf__add_field(b, f1, u16, 0, 0), 0);
	assert_int_equal(btf__add_field(b, f2, u16, 16, 0), 0);
	assert_int_equal(btf__add_field(b, "mac", arr, 32, 0), 0);
	return b;
}

static __u64 hash_of(struct btf *b, __u32 vid, __u32 size)
{
	return pp_layout_hash(b, 0, vid, BPF_MAP_TYPE_ARRAY, 0, 4, size);
}

static void test_same_size_changes_show(void **state)
{
	__u32 a_id, b_id, c_id, d_id;
	struct btf *a = mk_btf("outer_vid", "inner_vid", 6, &a_id);
	struct btf *b = mk_btf("outer_vid", "inner_vid", 6, &b_id);
	struct btf *c = mk_btf("inner_vid", "outer_vid", 6, &c_id);	/* swapped: same size */
	struct btf *d = mk_btf("outer_vid", "inner_vid", 8, &d_id);

	(void)state;
	assert_true(hash_of(a, a_id, 10) == hash_of(b, b_id, 10));
	assert_true(hash_of(a, a_id, 10) != hash_of(c, c_id, 10));
	assert_true(hash_of(a, a_id, 10) != hash_of(d, d_id, 12));
	/* the map type and flags are part of the layout */
	assert_true(hash_of(a, a_id, 10) !=
		    pp_layout_hash(a, 0, a_id, BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, 4, 10));
	btf__free(a);
	btf__free(b);
	btf__free(c);
	btf__free(d);
}

/* The real objects: maps whose values have the same size have other identities. */
static void test_real_maps(void **state)
{
	struct tap_bpf *o = tap_bpf__open();
	struct pp_layout l[PPM_COUNT];

	(void)state;
	assert_non_null(o);
	for (int i = 0; i < PPM_COUNT; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(o->obj, pp_map_desc[i].name);

		assert_non_null(m);
		assert_int_equal(pp_layout_of(o->obj, m, i, &l[i]), 0);
		assert_string_equal(l[i].name, pp_map_desc[i].name);
		assert_int_equal(l[i].value_size, pp_map_desc[i].value_size);
		assert_int_equal(l[i].rev, pp_map_layout[i].rev);
	}
	/* pp_nets and pp_remote's value, pp_vtep: both 20 bytes */
	assert_int_equal(l[PPM_NETS].value_size, l[PPM_REMOTE].value_size);
	assert_true(l[PPM_NETS].hash != l[PPM_REMOTE].hash);
	/* pp_devs and pp_l3doms: both arrays of 16-byte values under a 4-byte key */
	assert_int_equal(l[PPM_DEVS].value_size, l[PPM_L3DOMS].value_size);
	assert_int_equal(l[PPM_DEVS].type, l[PPM_L3DOMS].type);
	assert_true(l[PPM_DEVS].hash != l[PPM_L3DOMS].hash);
	/* pp_iport_drops and pp_net_drops: the same layout */
	assert_true(pp_layout_same(&l[PPM_IPORT_DROPS], &l[PPM_NET_DROPS]));
	assert_int_equal(l[PPM_IPORT_DROPS].value_size, 8 * PP_DROP_SLOTS);
	tap_bpf__destroy(o);
}

static void test_migratable(void **state)
{
	struct pp_layout from = { .type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4,
				  .value_size = 72 };	/* the 9 reasons of earlier versions */
	struct pp_layout to = { .type = BPF_MAP_TYPE_PERCPU_ARRAY, .key_size = 4,
				.value_size = 8 * PP_DROP_SLOTS, .rev = 1 };
	char why[128];

	(void)state;
	assert_int_equal(pp_layout_migratable(PPM_IPORT_DROPS, &from, &to, why, sizeof(why)), 0);
	assert_int_equal(pp_layout_migratable(PPM_NET_DROPS, &to, &from, why, sizeof(why)), 0);
	from.key_size = 8;
	assert_int_equal(pp_layout_migratable(PPM_IPORT_DROPS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
	from.key_size = 4;
	from.type = BPF_MAP_TYPE_ARRAY;
	assert_int_equal(pp_layout_migratable(PPM_IPORT_DROPS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
	/* a map without migration: refused, and why */
	assert_int_equal(pp_layout_migratable(PPM_SPORTS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(why, "no migration"));
	/* pp_nets: revisions 1 and 2 of one type, and the 12-byte layout before chains */
	to = (struct pp_layout){ .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				 .value_size = sizeof(struct pp_net), .hash = 42, .rev = 1 };
	from = to;
	from.rev = 2;
	assert_int_equal(pp_layout_migratable(PPM_NETS, &from, &to, why, sizeof(why)), 0);
	from.hash = 43;
	assert_int_equal(pp_layout_migratable(PPM_NETS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
	from = (struct pp_layout){ .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 12,
				   .hash = 7, .rev = 1 };	/* recorded, before chains */
	assert_int_equal(pp_layout_migratable(PPM_NETS, &from, &to, why, sizeof(why)), 0);
	from.hash = 0;
	from.rev = 0;					/* pins without records */
	assert_int_equal(pp_layout_migratable(PPM_NETS, &from, &to, why, sizeof(why)), 0);
	from.value_size = 16;				/* the previous main's, before VXLAN */
	from.rev = 1;
	from.hash = 8;
	assert_int_equal(pp_layout_migratable(PPM_NETS, &from, &to, why, sizeof(why)), 0);
	from.value_size = 24;
	assert_int_equal(pp_layout_migratable(PPM_NETS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
	from.value_size = 12;
	from.type = BPF_MAP_TYPE_HASH;
	assert_int_equal(pp_layout_migratable(PPM_NETS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
}

/*
 * pp_nets of the 12-byte layout (before chains) and of the 16-byte one
 * (before VXLAN, issue 20): every field carried over, chain 0 (or as it
 * was), vni 0.
 */
static void test_nets_migration(void **state)
{
	static const unsigned char old[16] = { 7, 0, 0, 0, 100, 0, 0xdc, 0x05, 9, 0, 0, 0,
						4, 0, 0, 0 };
	static const struct { __u32 size, rev, chain; } from_v[] = { { 12, 0, 0 }, { 16, 1, 4 } };

	(void)state;
	for (size_t i = 0; i < sizeof(from_v) / sizeof(from_v[0]); i++) {
		const struct pp_layout from = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
						.value_size = from_v[i].size, .rev = from_v[i].rev };
		struct pp_net n;
		__u32 ok = 3, nk = 0;

		memset(&n, 0, sizeof(n));		/* as the caller does */
		assert_int_equal(pp_map_layout[PPM_NETS].copy(&from, &ok, old, &nk, &n), 0);
		assert_int_equal(nk, 3);
		assert_int_equal(n.ifindex, 7);
		assert_int_equal(n.vlan, 100);
		assert_int_equal(n.mtu, 1500);
		assert_int_equal(n.lone_sport, 9);
		assert_int_equal(n.chain, from_v[i].chain);
		assert_int_equal(n.vni, 0);
	}
}

/*
 * pp_iports (issue 18): the 20-byte layout before standby taps migrates
 * (recorded or not), every field carried over, standby 0; no other layout.
 */
static void test_iports_migration(void **state)
{
	struct pp_layout from = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 20,
				  .hash = 7, .rev = 1 };
	const struct pp_layout to = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
				      .value_size = sizeof(struct pp_iport), .hash = 42, .rev = 1 };
	const unsigned char old[20] = { 9, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0xdc, 0x05,
					0x52, 0x54, 0, 0, 0, 1 };
	struct pp_iport ip;
	__u32 ok = 3, nk = 0;
	char why[128];

	(void)state;
	assert_int_equal(pp_layout_migratable(PPM_IPORTS, &from, &to, why, sizeof(why)), 0);
	from.hash = 0;
	from.rev = 0;					/* pins without records */
	assert_int_equal(pp_layout_migratable(PPM_IPORTS, &from, &to, why, sizeof(why)), 0);
	from.value_size = 16;
	assert_int_equal(pp_layout_migratable(PPM_IPORTS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
	from.value_size = 20;
	from.type = BPF_MAP_TYPE_HASH;
	assert_int_equal(pp_layout_migratable(PPM_IPORTS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
	from.type = BPF_MAP_TYPE_ARRAY;
	from.rev = 2;					/* a meaning it does not know */
	assert_int_equal(pp_layout_migratable(PPM_IPORTS, &from, &to, why, sizeof(why)),
			 -EOPNOTSUPP);
	from.rev = 1;

	memset(&ip, 0, sizeof(ip));			/* as the caller does */
	assert_int_equal(pp_map_layout[PPM_IPORTS].copy(&from, &ok, old, &nk, &ip), 0);
	assert_int_equal(nk, 3);
	assert_int_equal(ip.ifindex, 9);
	assert_int_equal(ip.flags, 2);
	assert_int_equal(ip.untagged_sport, 5);
	assert_int_equal(ip.mtu, 1500);
	assert_memory_equal(ip.mac, old + 14, 6);
	assert_int_equal(ip.standby, 0);
}

static void test_records(void **state)
{
	struct pp_layout w = { .name = "pp_fdb", .hash = 0x1234, .rev = 3, .type = 1,
			       .key_size = 12, .value_size = 4 }, r;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pp_layouts", 4, sizeof(struct pp_layout),
				PP_LAYOUTS_MAX, NULL);

	(void)state;
	if (fd < 0) {
		skip();		/* needs CAP_BPF */
		return;
	}
	assert_int_equal(pp_layout_get(fd, PPM_FDB, &r), -ENOENT);	/* an empty slot */
	assert_int_equal(pp_layout_put(fd, PPM_FDB, &w), 0);
	assert_int_equal(pp_layout_get(fd, PPM_FDB, &r), 0);
	assert_memory_equal(&r, &w, sizeof(w));
	assert_true(pp_layout_same(&r, &w));
	/* a slot naming another map is no record of this one */
	assert_int_equal(pp_layout_put(fd, PPM_NETS, &w), 0);
	assert_int_equal(pp_layout_get(fd, PPM_NETS, &r), -ENOENT);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_size_changes_show),
		cmocka_unit_test(test_real_maps),
		cmocka_unit_test(test_migratable),
		cmocka_unit_test(test_nets_migration),
		cmocka_unit_test(test_iports_migration),
		cmocka_unit_test(test_records),
	};

	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
