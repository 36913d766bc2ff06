// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The map accessors and the loader's ordered writes, on real pinned BPF maps
 * (the production objects, loaded under a private pin root).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "../pins.h"

static char pin_root[128];
static const struct pp_map_sizes sizes = { .max_ifindex = 256, .max_iports = 8,
					   .max_sports = 64, .max_nets = 8, .max_macs = 64,
					   .max_match = 64 };

static int setup(void **state)
{
	static struct pp_dataplane dp;

	pins_remove(pin_root);
	*state = &dp;
	return pins_opened("pp_dp_open", pp_dp_open(&dp, pin_root, &sizes));
}

static int teardown(void **state)
{
	pp_dp_close(*state);
	pins_remove(pin_root);
	return 0;
}

static struct pp_sport mk_sport(__u32 slot, __u32 net, __u8 match, __u16 o, __u16 i, __u8 last)
{
	struct pp_sport sp = { .slot = slot, .net_id = net, .match = match,
			       .outer_vid = o, .inner_vid = i,
			       .mac = { 0x52, 0x54, 0, 0, 0, last } };
	return sp;
}

static void base(struct pp_maps *m)
{
	struct pp_net n = { .ifindex = 40, .mtu = 1500 };
	struct pp_iport ip = { .ifindex = 30, .mtu = 1500, .mac = { 0x52, 0x54, 0, 0, 0, 1 } };

	assert_int_equal(pp_dp_net_install(m, 1, &n), 0);
	assert_int_equal(pp_dp_iport_install(m, 1, &ip, NULL), 0);
}

static void test_pins_and_reopen(void **state)
{
	struct pp_dataplane *dp = *state, dp2;
	struct bpf_map_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	struct pp_maps m;
	char path[512];
	struct pp_map_sizes other = sizes;

	for (int i = 0; i < PPM_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_root, pp_map_desc[i].name);
		assert_int_equal(access(path, F_OK), 0);
	}
	assert_int_equal(pp_maps_open(&m, pin_root), 0);
	assert_int_equal(m.max_entries[PPM_VLANS], 8 * PP_VID_SLOTS);
	pp_maps_close(&m);

	/* A second load reuses the pinned maps: same map ids. */
	assert_int_equal(pp_dp_open(&dp2, pin_root, &sizes), 0);
	assert_int_equal(bpf_obj_get_info_by_fd(dp->maps.fd[PPM_SPORTS], &a, &la), 0);
	assert_int_equal(bpf_obj_get_info_by_fd(dp2.maps.fd[PPM_SPORTS], &b, &lb), 0);
	assert_int_equal(a.id, b.id);
	pp_dp_close(&dp2);

	/* Other sizes over existing pins: refused, not silently mixed. */
	other.max_sports = 128;
	libbpf_set_print(NULL);
	assert_true(pp_dp_open(&dp2, pin_root, &other) < 0);
}

static void test_sport_install_order_and_idempotence(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	struct pp_sport sp = mk_sport(1, 1, PP_MATCH_VLAN, 100, 0, 1), got;
	struct pp_fdb_key fk = { .net_id = 1, .mac = { 0x52, 0x54, 0, 0, 0, 1 } };
	struct pp_flood fl;
	unsigned long w;
	__u32 id;

	base(m);
	assert_int_equal(pp_dp_sport_install(m, 5, &sp), 0);
	assert_int_equal(pp_vlan_get(m, 1, 100, &id), 0);
	assert_int_equal(id, 5);
	assert_int_equal(pp_fdb_get(m, fk, &id), 0);
	assert_int_equal(id, 5);
	assert_int_equal(pp_flood_get(m, 1, &fl), 0);
	assert_int_equal(fl.count, 1);
	assert_int_equal(fl.sport[0], 5);
	assert_int_equal(pp_sport_get(m, 5, &got), 0);
	assert_memory_equal(&got, &sp, sizeof(sp));

	/* The same again writes nothing. */
	w = m->writes;
	assert_int_equal(pp_dp_sport_install(m, 5, &sp), 0);
	assert_int_equal(m->writes, w);

	/* An id is never rewritten in place. */
	sp.outer_vid = 101;
	assert_int_equal(pp_dp_sport_install(m, 5, &sp), -EEXIST);

	/* Removal: classifier, flood, fdb, entry. */
	assert_int_equal(pp_dp_sport_remove(m, 5), 0);
	assert_int_equal(pp_vlan_get(m, 1, 100, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(pp_fdb_get(m, fk, &id), -ENOENT);
	assert_int_equal(pp_flood_get(m, 1, &fl), -ENOENT);
	assert_int_equal(pp_sport_get(m, 5, &got), 0);
	assert_int_equal(got.match, PP_MATCH_NONE);
	/* Removing again is harmless and writes nothing. */
	w = m->writes;
	assert_int_equal(pp_dp_sport_remove(m, 5), 0);
	assert_int_equal(m->writes, w);
}

static void test_sport_needs_iport_and_range(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	struct pp_sport sp = mk_sport(3, 1, PP_MATCH_VLAN, 100, 0, 1);

	assert_int_equal(pp_dp_sport_install(m, 7, &sp), -ENOENT);
	base(m);
	sp.slot = 1;
	sp.outer_vid = 4095;
	assert_int_equal(pp_dp_sport_install(m, 7, &sp), -EINVAL);
	sp.outer_vid = 100;
	sp.net_id = 0;
	assert_int_equal(pp_dp_sport_install(m, 7, &sp), -ERANGE);
	sp.net_id = 1;
	sp.mac[0] = 1;		/* multicast */
	assert_int_equal(pp_dp_sport_install(m, 7, &sp), -EINVAL);
	sp.slot = 3;
	sp.mac[0] = 0x52;
	assert_int_equal(pp_dp_sport_install(m, 0, &sp), -ERANGE);
	assert_int_equal(pp_dp_sport_install(m, 64, &sp), -ERANGE);
}

static void test_untagged_and_srcmac_classifier(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	struct pp_sport u = mk_sport(1, 1, PP_MATCH_UNTAGGED, 0, 0, 1);
	struct pp_sport s1 = mk_sport(1, 1, PP_MATCH_SRCMAC, 0, 0, 8);
	struct pp_sport s2 = mk_sport(1, 1, PP_MATCH_SRCMAC, 0, 0, 9);
	struct pp_iport ip;

	base(m);
	assert_int_equal(pp_dp_sport_install(m, 1, &u), 0);
	assert_int_equal(pp_dp_sport_install(m, 2, &s1), 0);
	assert_int_equal(pp_dp_sport_install(m, 3, &s2), 0);
	assert_int_equal(pp_iport_get(m, 1, &ip), 0);
	assert_int_equal(ip.untagged_sport, 1);
	assert_true(ip.flags & PP_IPORT_HAS_SRCMAC);

	/* The tap comes back with a new ifindex: the classifier stays. */
	struct pp_iport again = { .ifindex = 31, .mtu = 1500, .mac = { 0x52, 0x54, 0, 0, 0, 1 } };
	assert_int_equal(pp_dp_iport_install(m, 1, &again, NULL), 0);
	assert_int_equal(pp_iport_get(m, 1, &ip), 0);
	assert_int_equal(ip.ifindex, 31);
	assert_int_equal(ip.untagged_sport, 1);
	assert_true(ip.flags & PP_IPORT_HAS_SRCMAC);

	assert_int_equal(pp_dp_sport_remove(m, 2), 0);
	assert_int_equal(pp_iport_get(m, 1, &ip), 0);
	assert_true(ip.flags & PP_IPORT_HAS_SRCMAC);	/* s2 still there */
	assert_int_equal(pp_dp_sport_remove(m, 3), 0);
	assert_int_equal(pp_iport_get(m, 1, &ip), 0);
	assert_false(ip.flags & PP_IPORT_HAS_SRCMAC);
	assert_int_equal(ip.untagged_sport, 1);
	assert_int_equal(pp_dp_sport_remove(m, 1), 0);
	assert_int_equal(pp_iport_get(m, 1, &ip), 0);
	assert_int_equal(ip.untagged_sport, 0);
}

static void test_net_devices(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	struct pp_net a = { .ifindex = 50, .mtu = 1500 }, b = { .ifindex = 50, .vlan = 3001, .mtu = 1500 };
	struct pp_netvlan_key k = { .ifindex = 50, .vid = 3001 };
	struct pp_dev dev;
	__u32 id;

	assert_int_equal(pp_dp_net_install(m, 2, &a), 0);
	assert_int_equal(pp_dp_net_install(m, 3, &b), 0);
	assert_int_equal(pp_dev_get(m, 50, &dev), 0);
	assert_int_equal(dev.flags, PP_DEV_NET | PP_DEV_NET_VLANS);
	assert_int_equal(dev.net_id, 2);
	assert_int_equal(dev.ifindex, 50);
	assert_int_equal(pp_netvlan_get(m, k, &id), 0);
	assert_int_equal(id, 3);

	/* The device disappears from network 3: only 2 stays. */
	b.ifindex = 0;
	assert_int_equal(pp_dp_net_install(m, 3, &b), 0);
	assert_int_equal(pp_netvlan_get(m, k, &id), -ENOENT);
	assert_int_equal(pp_dev_get(m, 50, &dev), 0);
	assert_int_equal(dev.flags, PP_DEV_NET);
	assert_int_equal(pp_dp_net_remove(m, 2), 0);
	assert_int_equal(pp_dev_get(m, 50, &dev), 0);
	assert_int_equal(dev.flags, 0);

	/* A device that is a tap cannot also be a network device. */
	struct pp_iport ip = { .ifindex = 51, .mtu = 1500 };
	struct pp_net c = { .ifindex = 51, .mtu = 1500 };
	assert_int_equal(pp_dp_iport_install(m, 2, &ip, NULL), 0);
	assert_int_equal(pp_dp_net_install(m, 4, &c), -EBUSY);
}

/*
 * Trunk slots: a device with VLAN networks gets one (its networks written
 * at (slot, VID) first); two devices, two slots; the last VLAN network
 * leaving gives the slot back, emptied; with every slot taken a device goes
 * without one (the programs then use pp_netvlans, which is always kept).
 */
static __u32 trunk_get(struct pp_maps *m, __u32 slot, __u16 vid)
{
	__u32 idx = PP_VLAN_IDX(slot, vid), v = 0;

	assert_int_equal(pp_map_get(m, PPM_TRUNKS, &idx, &v), 0);
	return v;
}

static void test_trunk_slots(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	struct pp_net a = { .ifindex = 60, .vlan = 10, .mtu = 1500 };
	struct pp_net b = { .ifindex = 60, .vlan = 20, .mtu = 1500 };
	struct pp_net c = { .ifindex = 61, .vlan = 10, .mtu = 1500 };
	struct pp_netvlan_key k = { .ifindex = 61, .vid = 10 };
	struct pp_dev d60, d61;
	__u32 id, s60;

	assert_int_equal(pp_dp_net_install(m, 1, &a), 0);
	assert_int_equal(pp_dp_net_install(m, 2, &b), 0);
	assert_int_equal(pp_dp_net_install(m, 3, &c), 0);
	assert_int_equal(pp_dev_get(m, 60, &d60), 0);
	assert_int_equal(pp_dev_get(m, 61, &d61), 0);
	s60 = d60.slot;
	assert_true(s60 >= 1 && d61.slot >= 1 && s60 != d61.slot);
	assert_int_equal(trunk_get(m, s60, 10), 1);
	assert_int_equal(trunk_get(m, s60, 20), 2);
	assert_int_equal(trunk_get(m, d61.slot, 10), 3);
	assert_int_equal(pp_netvlan_get(m, k, &id), 0);	/* the hash is kept too */
	assert_int_equal(id, 3);

	/* network 2 moves to VLAN 30: its old entry goes */
	b.vlan = 30;
	assert_int_equal(pp_dp_net_install(m, 2, &b), 0);
	assert_int_equal(trunk_get(m, s60, 20), 0);
	assert_int_equal(trunk_get(m, s60, 30), 2);

	/* the device's last VLAN networks leave: the slot is given back, empty */
	assert_int_equal(pp_dp_net_remove(m, 1), 0);
	assert_int_equal(pp_dp_net_remove(m, 2), 0);
	assert_int_equal(pp_dev_get(m, 60, &d60), 0);
	assert_int_equal(d60.slot, 0);
	assert_int_equal(trunk_get(m, s60, 10), 0);
	assert_int_equal(trunk_get(m, s60, 30), 0);

	/* every slot taken: the next device has none, and still works by the hash */
	__u32 n = 4;
	for (__u32 dev = 100; dev < 100 + PP_MAX_TRUNKS; dev++) {
		struct pp_net x = { .ifindex = dev, .vlan = 5, .mtu = 1500 };

		if (n >= 8)
			break;			/* the unit maps have 8 network ids */
		assert_int_equal(pp_dp_net_install(m, n++, &x), 0);
	}
	struct pp_net y = { .ifindex = 200, .vlan = 7, .mtu = 1500 };
	struct pp_netvlan_key ky = { .ifindex = 200, .vid = 7 };
	struct pp_dev d200;

	assert_int_equal(pp_dp_net_remove(m, 7), 0);	/* gives a slot back... */
	m->trunks_full = true;			/* ...but as if the others were all taken */
	assert_int_equal(pp_dp_net_install(m, 7, &y), 0);
	assert_int_equal(pp_dev_get(m, 200, &d200), 0);
	assert_int_equal(d200.slot, 0);
	assert_true(d200.flags & PP_DEV_NET_VLANS);
	assert_int_equal(pp_netvlan_get(m, ky, &id), 0);
	assert_int_equal(id, 7);
}

static void test_iport_tap_recreated(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	struct pp_iport ip = { .ifindex = 60, .mtu = 1500 };
	struct pp_dev dev;

	assert_int_equal(pp_dp_iport_install(m, 3, &ip, NULL), 0);
	assert_int_equal(pp_dev_get(m, 60, &dev), 0);
	assert_int_equal(dev.flags, PP_DEV_TAP);
	assert_int_equal(dev.slot, 3);
	ip.ifindex = 61;		/* the tap came back with a new ifindex */
	assert_int_equal(pp_dp_iport_install(m, 3, &ip, NULL), 0);
	assert_int_equal(pp_dev_get(m, 60, &dev), 0);
	assert_int_equal(dev.flags, 0);
	assert_int_equal(pp_dev_get(m, 61, &dev), 0);
	assert_int_equal(dev.slot, 3);
	ip.ifindex = 300;		/* beyond max_ifindex */
	assert_int_equal(pp_dp_iport_install(m, 3, &ip, NULL), -E2BIG);
	assert_int_equal(pp_dp_iport_remove(m, 3), 0);
	assert_int_equal(pp_dev_get(m, 61, &dev), 0);
	assert_int_equal(dev.flags, 0);
}

/*
 * A second tap (issue 18): both taps bound; with seen, ifindex is written by
 * compare-and-swap, so that the programs' activation of the standby
 * (simulated: one store into the mmapped entry, as pp_vm_tap_active does)
 * is never written over: -EAGAIN with *seen = what was found, ifindex kept,
 * no tap unbound; from the right seen, written, and the tap it swapped out
 * unbound.  Nothing written when
 * nothing changes.  A network device is no standby; a retired tap is bound
 * by pp_dp_tap_bind.
 */
static void test_iport_standby_cas(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	struct pp_iport ip = { .ifindex = 70, .standby = 71, .mtu = 1500 }, got;
	struct pp_iport mv = { .ifindex = 72, .mtu = 1500 };
	struct pp_net n = { .ifindex = 80, .mtu = 1500 };
	struct pp_dev dev;
	unsigned long w;
	__u32 seen = 0, *e;

	assert_int_equal(pp_dp_iport_install(m, 4, &ip, &seen), 0);
	assert_int_equal(pp_iport_get(m, 4, &got), 0);
	assert_int_equal(got.ifindex, 70);
	assert_int_equal(got.standby, 71);
	for (__u32 t = 70; t <= 71; t++) {
		assert_int_equal(pp_dev_get(m, t, &dev), 0);
		assert_int_equal(dev.flags, PP_DEV_TAP);
		assert_int_equal(dev.slot, 4);
		assert_int_equal(dev.ifindex, t);
	}

	w = m->writes;			/* again: no write, with seen or without */
	seen = 70;
	assert_int_equal(pp_dp_iport_install(m, 4, &ip, &seen), 0);
	assert_int_equal(pp_dp_iport_install(m, 4, &ip, NULL), 0);
	assert_int_equal(m->writes, w);

	e = pp_map_elem(m, PPM_IPORTS, 4);	/* the programs activate the standby */
	assert_non_null(e);
	__atomic_store_n(e, 71, __ATOMIC_RELEASE);
	seen = 70;			/* polyportd, from what it read before, moves to 72 */
	assert_int_equal(pp_dp_iport_install(m, 4, &mv, &seen), -EAGAIN);
	assert_int_equal(seen, 71);
	assert_int_equal(pp_iport_get(m, 4, &got), 0);
	assert_int_equal(got.ifindex, 71);
	for (__u32 t = 70; t <= 72; t++) {	/* nothing unbound yet */
		assert_int_equal(pp_dev_get(m, t, &dev), 0);
		assert_int_equal(dev.flags, PP_DEV_TAP);
	}
	assert_int_equal(pp_dp_iport_install(m, 4, &mv, &seen), 0);
	assert_int_equal(pp_iport_get(m, 4, &got), 0);
	assert_int_equal(got.ifindex, 72);
	assert_int_equal(got.standby, 0);
	assert_int_equal(got.mtu, 1500);
	assert_int_equal(pp_dev_get(m, 71, &dev), 0);	/* the active it swapped: unbound */
	assert_int_equal(dev.flags, 0);
	assert_int_equal(pp_dev_get(m, 72, &dev), 0);
	assert_int_equal(dev.slot, 4);
	/* 70, retired by the activation, no longer in the entry: the caller's to unbind */
	assert_int_equal(pp_dev_get(m, 70, &dev), 0);
	assert_int_equal(dev.flags, PP_DEV_TAP);
	assert_int_equal(pp_dp_tap_unbind(m, 4, 70), 0);
	assert_int_equal(pp_dev_get(m, 70, &dev), 0);
	assert_int_equal(dev.flags, 0);

	assert_int_equal(pp_dp_net_install(m, 1, &n), 0);
	ip = (struct pp_iport){ .ifindex = 72, .standby = 80, .mtu = 1500 };
	assert_int_equal(pp_dp_iport_install(m, 4, &ip, &seen), -EBUSY);
	assert_int_equal(pp_iport_get(m, 4, &got), 0);
	assert_int_equal(got.standby, 0);
	assert_int_equal(pp_dp_tap_bind(m, 4, 80), -EBUSY);

	assert_int_equal(pp_dp_tap_bind(m, 4, 73), 0);
	assert_int_equal(pp_dev_get(m, 73, &dev), 0);
	assert_int_equal(dev.flags, PP_DEV_TAP);
	assert_int_equal(dev.slot, 4);
	w = m->writes;
	assert_int_equal(pp_dp_tap_bind(m, 4, 73), 0);
	assert_int_equal(m->writes, w);
	assert_int_equal(pp_dp_tap_unbind(m, 4, 73), 0);
	assert_int_equal(pp_dev_get(m, 73, &dev), 0);
	assert_int_equal(dev.flags, 0);
}

static int count_cb(const void *key, const void *val, void *arg)
{
	(void)key;
	(void)val;
	(*(int *)arg)++;
	return 0;
}

static void test_flood_list_and_iter(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	struct pp_flood fl;
	int n = 0;

	base(m);
	for (int i = 1; i <= 5; i++) {
		struct pp_sport sp = mk_sport(1, 1, PP_MATCH_VLAN, 100 + i, 0, 10 + i);

		assert_int_equal(pp_dp_sport_install(m, i, &sp), 0);
	}
	assert_int_equal(pp_dp_sport_remove(m, 2), 0);
	assert_int_equal(pp_flood_get(m, 1, &fl), 0);
	assert_int_equal(fl.count, 4);
	for (unsigned i = 0; i < fl.count; i++)
		assert_int_not_equal(fl.sport[i], 2);
	assert_int_equal(pp_map_iter(m, PPM_FDB, count_cb, &n), 0);
	assert_int_equal(n, 4);
	n = 0;
	assert_int_equal(pp_map_iter(m, PPM_SPORTS, count_cb, &n), 0);
	assert_int_equal(n, 4);

	struct pp_sport_stats st;
	assert_int_equal(pp_sport_stats_get(m, 1, &st), 0);
	assert_int_equal(st.rx_packets, 0);
}

/*
 * pp_dst: a port's MAC is in its bucket while the port is installed; a
 * sixth MAC in a bucket of five ways marks it PP_DST_MORE (and stays in
 * pp_fdb), and the mark stays when ports leave.
 */
static void test_dst_buckets(void **state)
{
	struct pp_maps *m = &((struct pp_dataplane *)*state)->maps;
	__u8 macs[6][6];
	int n = 0;

	base(m);
	/* six MACs that fall in one bucket of network 1 */
	for (unsigned x = 1; n < 6; x++) {
		__u8 mac[6] = { 0x52, 0x54, 0, (x >> 16) & 0xff, (x >> 8) & 0xff, x & 0xff };

		if (pp_dst_idx(1, mac) == pp_dst_idx(1, (const __u8[]){ 0x52, 0x54, 0, 0, 0, 1 }))
			memcpy(macs[n++], mac, 6);
	}
	__u32 idx = pp_dst_idx(1, macs[0]);
	struct pp_dst_bucket b;

	for (int i = 0; i < 6; i++) {
		struct pp_sport sp = mk_sport(1, 1, PP_MATCH_VLAN, 100 + i, 0, 1);

		memcpy(sp.mac, macs[i], 6);
		assert_int_equal(pp_dp_sport_install(m, i + 1, &sp), 0);
		assert_int_equal(pp_map_get(m, PPM_DST, &idx, &b), 0);
		assert_int_equal(!!(b.flags & PP_DST_MORE), i == 5);
	}
	for (int i = 0; i < 5; i++) {
		assert_int_equal(b.way[i].sport, (__u32)i + 1);
		assert_memory_equal(b.way[i].mac, macs[i], 6);
	}
	/* the sixth is in pp_fdb only */
	struct pp_fdb_key fk = { .net_id = 1 };
	__u32 id;

	memcpy(fk.mac, macs[5], 6);
	assert_int_equal(pp_fdb_get(m, fk, &id), 0);
	assert_int_equal(id, 6);
	/* a port leaving frees its way; the mark stays */
	assert_int_equal(pp_dp_sport_remove(m, 2), 0);
	assert_int_equal(pp_map_get(m, PPM_DST, &idx, &b), 0);
	assert_int_equal(b.way[1].sport, 0);
	assert_true(b.flags & PP_DST_MORE);
	/* an allowed pair's MAC marks its bucket */
	__u8 pair[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	__u32 pidx = pp_dst_idx(1, pair);

	assert_int_equal(pp_dp_dst_more(m, 1, pair), 0);
	assert_int_equal(pp_map_get(m, PPM_DST, &pidx, &b), 0);
	assert_true(b.flags & PP_DST_MORE);
}

/*
 * The in-memory copies of pp_fdb, pp_flood and pp_netvlans answer as the
 * kernel does through thousands of puts and deletes (collisions, removals
 * in the middle of probe runs, growth), and a refresh takes in what another
 * writer changed.
 */
static void test_shadow_matches_kernel(void **state)
{
	struct pp_maps mm, *m = &mm;
	unsigned seed = 12345, present = 0;
	__u32 v, kv;

	(void)state;
	/* a pp_fdb of its own, large enough for every key below */
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < PPM_COUNT; i++)
		m->fd[i] = -1;
	m->fd[PPM_FDB] = bpf_map_create(BPF_MAP_TYPE_HASH, "pp_fdb_t", sizeof(struct pp_fdb_key),
					sizeof(__u32), 16384, NULL);
	assert_true(m->fd[PPM_FDB] >= 0);
	m->max_entries[PPM_FDB] = 16384;
	for (int op = 0; op < 40000; op++) {
		struct pp_fdb_key k = { .net_id = 1 + (seed % 7), .mac = { 2, 0, 0, 0 } };
		int kerr, serr;

		seed = seed * 1103515245 + 12345;
		k.mac[4] = (seed >> 8) & 0x7;
		k.mac[5] = (seed >> 16) & 0xff;
		v = seed | 1;
		if ((seed >> 24) % 3 == 0)
			assert_int_equal(pp_fdb_del(m, k), 0);
		else if ((seed >> 24) % 3 == 1)
			assert_int_equal(pp_fdb_put(m, k, &v), 0);
		serr = pp_fdb_get(m, k, &v);
		kerr = bpf_map_lookup_elem(m->fd[PPM_FDB], &k, &kv) ? -errno : 0;
		assert_int_equal(serr, kerr);
		if (!serr)
			assert_int_equal(v, kv);
	}
	/* every key the kernel has, the copy has, with its value */
	{
		struct pp_fdb_key k, *prev = NULL;

		while (!bpf_map_get_next_key(m->fd[PPM_FDB], prev, &k)) {
			assert_int_equal(bpf_map_lookup_elem(m->fd[PPM_FDB], &k, &kv), 0);
			assert_int_equal(pp_fdb_get(m, k, &v), 0);
			assert_int_equal(v, kv);
			present++;
			prev = &k;
		}
		assert_true(present > 4000);	/* the copy grew past its first 1,024 slots */
	}
	/* another writer: seen after a refresh */
	{
		struct pp_fdb_key k = { .net_id = 99, .mac = { 2, 9, 9, 9, 9, 9 } };

		kv = 4242;
		assert_int_equal(bpf_map_update_elem(m->fd[PPM_FDB], &k, &kv, BPF_ANY), 0);
		assert_int_equal(pp_fdb_get(m, k, &v), -ENOENT);	/* the copy is the daemon's */
		pp_maps_refresh(m);
		assert_int_equal(pp_fdb_get(m, k, &v), 0);
		assert_int_equal(v, 4242);
	}
	pp_maps_close(m);
}

/*
 * pp_tc_query only looks: a device it queries gets no clsact qdisc (lo of a
 * fresh network namespace, which has none), and it still finds our filter
 * once attached, and -ENODEV for a device that is not there.
 */
static void test_tc_query_creates_nothing(void **state)
{
	struct pp_dataplane *dp = *state;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = 1, .attach_point = BPF_TC_INGRESS);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), id = 1;
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	libbpf_set_print(NULL);
	assert_true(home >= 0);
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	assert_int_equal(pp_tc_query(1, &id), 0);
	assert_int_equal(id, 0);
	/* nothing was created: creating the clsact qdisc now is not -EEXIST */
	assert_int_equal(bpf_tc_hook_create(&hook), 0);
	assert_int_equal(pp_tc_query(1, &id), 0);	/* a qdisc without our filter */
	assert_int_equal(id, 0);
	assert_int_equal(pp_dp_attach(dp, 1, PP_ROLE_TAP), 0);
	assert_int_equal(bpf_obj_get_info_by_fd(dp->prog_fd[PP_ROLE_TAP], &info, &len), 0);
	assert_int_equal(pp_tc_query(1, &id), 0);
	assert_int_equal(id, info.id);
	assert_int_equal(pp_tc_detach(1), 0);
	assert_int_equal(pp_tc_query(1, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(pp_tc_query(4242, &id), -ENODEV);
	assert_int_equal(setns(home, CLONE_NEWNET), 0);
	close(home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pins_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sport_install_order_and_idempotence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sport_needs_iport_and_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untagged_and_srcmac_classifier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_net_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iport_tap_recreated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iport_standby_cas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_list_and_iter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shadow_matches_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dst_buckets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trunk_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc_query_creates_nothing, setup, teardown),
	};

	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/pp-unit-%d", getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
