// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The next-hop resolver (loader/l3nh.c) on real maps and real devices: in a
 * network namespace of this process's own, a veth pair ppt-nh0 (the uplink,
 * no address) / ppt-nh1 (the "provider router": 192.0.2.1/30 and
 * fd00:99::1/64, so that its kernel answers ARP and NS).  Forged and
 * malformed frames are sent from ppt-nh1 through a packet socket.  The
 * namespace dies with the process.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <cmocka.h>
#include "dataplane.h"
#include "l3nh.h"
#include "../pins.h"

#define SEC_NS 1000000000ull

static char pin_root[128];
static const struct pp_map_sizes sizes = { .max_ifindex = 256, .max_iports = 8,
					   .max_sports = 64, .max_nets = 8, .max_macs = 64,
					   .max_match = 64 };
static __u32 if0, if1;
static __u8 mac0[6], mac1[6];
/* the sender of forged frames: one socket (closing a packet socket waits an RCU grace period) */
static int inject_fd = -1;

static const __u8 up4[4] = { 192, 0, 2, 2 }, gw4[4] = { 192, 0, 2, 1 };
static const __u8 none4[4] = { 198, 51, 100, 7 };
static __u8 up6[16], gw6[16], none6[16];

struct fx {
	struct pp_dataplane dp;
	struct pp_l3nh_res *res;
};

static int setup(void **state)
{
	static struct fx fx;

	pins_remove(pin_root);
	*state = &fx;
	if (pins_opened("pp_dp_open", pp_dp_open(&fx.dp, pin_root, &sizes)))
		return -1;
	fx.res = pp_l3nh_create(&fx.dp.maps);
	if (!fx.res) {
		fprintf(stderr, "pp_l3nh_create: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	pp_l3nh_destroy(fx->res);
	pp_dp_close(&fx->dp);
	pins_remove(pin_root);
	return 0;
}

static int get_mac(const char *dev, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	err = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return err;
}

/* The pp_l3nh entry of (ifindex, family, addr): 0 or -ENOENT. */
static int nh_get(struct fx *fx, __u32 ifindex, __u8 family, const void *addr, struct pp_l3nh *v)
{
	struct pp_l3nh_key k = { .ifindex = ifindex, .family = family };

	memcpy(k.addr, addr, family == PP_NEIGH_V4 ? 4 : 16);
	return pp_l3nh_get(&fx->dp.maps, k, v);
}

/* Read input until done(fx) or 2 s passed; whether it was done. */
static bool input_until(struct fx *fx, bool (*done)(struct fx *, const void *), const void *arg)
{
	struct pollfd p = { .fd = pp_l3nh_fd(fx->res), .events = POLLIN };
	__u64 end = pp_l3nh_now() + 2 * SEC_NS;

	while (!done(fx, arg)) {
		if (pp_l3nh_now() > end)
			return false;
		poll(&p, 1, 50);
		assert_true(pp_l3nh_input(fx->res) >= 0);
	}
	return true;
}

struct want_valid {
	__u8 family;
	const void *addr;
};

static bool is_valid(struct fx *fx, const void *arg)
{
	const struct want_valid *w = arg;
	struct pp_l3nh v;

	return !nh_get(fx, if0, w->family, w->addr, &v) && (v.flags & PP_L3NH_VALID);
}

static bool stat_reached(struct fx *fx, const void *arg)
{
	const __u64 *want = arg;	/* { offset in the stats, value } */
	const char *st = (const char *)pp_l3nh_stats(fx->res);

	return *(const __u64 *)(st + want[0]) >= want[1];
}

#define WAIT_STAT(fx, field, val)                                                            \
	assert_true(input_until(fx, stat_reached,                                            \
				(const __u64[]){ offsetof(struct pp_l3nh_stats, field), (val) }))

/* Resolve the peer's address of family; its entry in *v. */
static void resolve(struct fx *fx, __u8 family, struct pp_l3nh *v)
{
	bool v4 = family == PP_NEIGH_V4;
	const void *gw = v4 ? (const void *)gw4 : gw6;
	struct want_valid w = { family, gw };
	__u64 t = pp_l3nh_now();

	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, family, v4 ? (const void *)up4 : up6, gw),
			 0);
	assert_int_equal(pp_l3nh_tick(fx->res, t), 1);
	assert_true(input_until(fx, is_valid, &w));
	assert_int_equal(nh_get(fx, if0, family, gw, v), 0);
	assert_memory_equal(v->mac, mac1, 6);
	assert_true(v->updated_ns >= t && v->updated_ns <= pp_l3nh_now());
}

/* ---- frames sent from ppt-nh1 -------------------------------------------------------- */

/* Send frame f out of ifindex dev (it arrives on the other end of the pair). */
static void inject_on(__u32 dev, const void *f, size_t len)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = dev };

	assert_int_equal(sendto(inject_fd, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)),
			 (int)len);
}

/* From ppt-nh1 to ppt-nh0, the uplink. */
static void inject(const void *f, size_t len)
{
	inject_on(if1, f, len);
}

/* An ARP reply from mac1 claiming sender ip; 42 bytes. */
static void arp_reply(__u8 *f, const __u8 ip[4])
{
	static const __u8 hdr[] = { 0, 1, 8, 0, 6, 4, 0, 2 };

	memcpy(f, mac0, 6);
	memcpy(f + 6, mac1, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, hdr, sizeof(hdr));
	memcpy(f + 22, mac1, 6);
	memcpy(f + 28, ip, 4);
	memcpy(f + 32, mac0, 6);
	memcpy(f + 38, up4, 4);
}

static void icmp6_sum(__u8 *f)
{
	__u8 *ip = f + 14, *icmp = ip + 40;
	unsigned len = (ip[4] << 8) | ip[5], sum = len + 58;

	icmp[2] = icmp[3] = 0;
	for (unsigned i = 8; i < 40; i += 2)
		sum += (ip[i] << 8) | ip[i + 1];
	for (unsigned i = 0; i < len; i += 2)
		sum += (icmp[i] << 8) | (i + 1 < len ? icmp[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	icmp[2] = ~sum >> 8;
	icmp[3] = ~sum;
}

/* The checksum of f's ICMPv6 message verifies. */
static void icmp6_sum_check(const __u8 *f)
{
	__u8 g[256];
	size_t len = 14 + 40 + ((f[18] << 8) | f[19]);

	assert_true(len <= sizeof(g));
	memcpy(g, f, len);
	icmp6_sum(g);
	assert_memory_equal(g + 56, f + 56, 2);
}

/* An NA (solicited, override) from mac1 for target, with its TLLA option; 86 bytes. */
static void na(__u8 *f, const __u8 target[16])
{
	__u8 *ip = f + 14, *icmp = ip + 40;

	memset(f, 0, 86);
	memcpy(f, mac0, 6);
	memcpy(f + 6, mac1, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = 0x60;
	ip[5] = 32;
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, target, 16);
	memcpy(ip + 24, up6, 16);
	icmp[0] = 136;
	icmp[4] = 0x60;
	memcpy(icmp + 8, target, 16);
	icmp[24] = 2;
	icmp[25] = 1;
	memcpy(icmp + 26, mac1, 6);
	icmp6_sum(f);
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_l3nh_arp_resolves(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	struct pp_l3nh v;
	__u64 t;

	resolve(fx, PP_NEIGH_V4, &v);
	assert_int_equal(st->arp_requests, 1);
	assert_true(st->replies >= 1);
	assert_int_equal(st->malformed, 0);
	/* resolved: nothing more within the second, nor until the refresh */
	t = v.updated_ns;
	assert_int_equal(pp_l3nh_tick(fx->res, t + SEC_NS / 2), 0);
	assert_int_equal(pp_l3nh_tick(fx->res, t + PP_L3NH_REFRESH_NS - 1), 0);
	assert_int_equal(st->arp_requests, 1);
	assert_int_equal(pp_l3nh_next_ns(fx->res), t + PP_L3NH_REFRESH_NS);
	/* the refresh, then once a second while it does not answer */
	assert_int_equal(pp_l3nh_tick(fx->res, t + PP_L3NH_REFRESH_NS), 1);
	assert_int_equal(pp_l3nh_tick(fx->res, t + PP_L3NH_REFRESH_NS + SEC_NS - 1), 0);
	assert_int_equal(pp_l3nh_tick(fx->res, t + PP_L3NH_REFRESH_NS + SEC_NS), 1);
	assert_int_equal(st->arp_requests, 3);
	assert_int_equal(st->ns_requests, 0);
	/* wanting it again changes nothing */
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, gw4), 0);
	assert_int_equal(pp_l3nh_count(fx->res), 1);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, gw4, &v), 0);
	assert_true(v.flags & PP_L3NH_VALID);
}

static void test_l3nh_ndp_resolves(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	struct pp_l3nh v;

	resolve(fx, PP_NEIGH_V6, &v);
	assert_int_equal(st->ns_requests, 1);
	assert_int_equal(st->arp_requests, 0);
	assert_int_equal(st->malformed, 0);
	assert_int_equal(pp_l3nh_tick(fx->res, v.updated_ns + SEC_NS / 2), 0);
	assert_int_equal(st->ns_requests, 1);
}

/* Nobody answers: asked at most once a second, never in the map. */
static void test_l3nh_unanswered_once_a_second(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	__u64 t = pp_l3nh_now();
	struct pp_l3nh v;

	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4), 0);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V6, up6, none6), 0);
	assert_int_equal(pp_l3nh_next_ns(fx->res), 0);
	assert_int_equal(pp_l3nh_tick(fx->res, t), 2);
	assert_int_equal(pp_l3nh_next_ns(fx->res), t + SEC_NS);
	assert_int_equal(pp_l3nh_tick(fx->res, t + 1), 0);
	assert_int_equal(pp_l3nh_tick(fx->res, t + SEC_NS - 1), 0);
	assert_int_equal(pp_l3nh_tick(fx->res, t + SEC_NS), 2);
	assert_int_equal(pp_l3nh_tick(fx->res, t + SEC_NS + SEC_NS / 2), 0);
	assert_int_equal(pp_l3nh_tick(fx->res, t + 2 * SEC_NS), 2);
	assert_int_equal(st->arp_requests, 3);
	assert_int_equal(st->ns_requests, 3);
	usleep(200000);
	assert_true(pp_l3nh_input(fx->res) >= 0);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, none4, &v), -ENOENT);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V6, none6, &v), -ENOENT);
	assert_int_equal(st->replies, 0);
}

/* Not confirmed for 90 s: VALID cleared (the MAC stays), asked again. */
static void test_l3nh_aging(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	struct pp_l3nh v4, v6, v;
	__u64 last;

	resolve(fx, PP_NEIGH_V4, &v4);
	resolve(fx, PP_NEIGH_V6, &v6);
	last = v4.updated_ns > v6.updated_ns ? v4.updated_ns : v6.updated_ns;
	pp_l3nh_tick(fx->res, last + PP_L3NH_EXPIRE_NS - SEC_NS);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, gw4, &v), 0);
	assert_true(v.flags & PP_L3NH_VALID);
	assert_int_equal(st->expired, 0);
	assert_int_equal(pp_l3nh_tick(fx->res, last + PP_L3NH_EXPIRE_NS + SEC_NS), 2);
	assert_int_equal(st->expired, 2);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, gw4, &v), 0);
	assert_false(v.flags & PP_L3NH_VALID);
	assert_memory_equal(v.mac, mac1, 6);
	assert_int_equal(v.updated_ns, v4.updated_ns);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V6, gw6, &v), 0);
	assert_false(v.flags & PP_L3NH_VALID);
}

/* Well-formed replies for addresses nobody wanted (there) change nothing. */
static void test_l3nh_forged_unwanted(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	const __u8 x4[4] = { 198, 51, 100, 50 }, lo_mac[6] = { 2, 0, 0, 0, 0, 1 };
	__u8 x6[16], f[86];
	struct pp_l3nh v;

	memcpy(x6, gw6, 16);
	x6[15] = 0x50;
	/* ppt-nh0 is watched; x4/x6 are wanted, but on lo, not on ppt-nh0 */
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4), 0);
	assert_int_equal(pp_l3nh_want(fx->res, 1, lo_mac, PP_NEIGH_V4, up4, x4), 0);
	assert_int_equal(pp_l3nh_want(fx->res, 1, lo_mac, PP_NEIGH_V6, up6, x6), 0);
	arp_reply(f, x4);
	inject(f, 42);
	na(f, x6);
	inject(f, 86);
	WAIT_STAT(fx, unwanted, 2);
	/* on a device where nothing is wanted (ppt-nh1): not even read */
	arp_reply(f, x4);
	memcpy(f, mac1, 6);	/* to ppt-nh1's MAC: not PACKET_OTHERHOST there */
	inject_on(if0, f, 42);
	WAIT_STAT(fx, ignored, 1);
	assert_int_equal(st->unwanted, 2);
	assert_int_equal(st->replies, 0);
	assert_int_equal(st->malformed, 0);
	assert_int_equal(nh_get(fx, 1, PP_NEIGH_V4, x4, &v), -ENOENT);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, x4, &v), -ENOENT);
	assert_int_equal(nh_get(fx, 1, PP_NEIGH_V6, x6, &v), -ENOENT);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V6, x6, &v), -ENOENT);
}

/*
 * A reply in an 802.1Q tag belongs to another VLAN, not to the uplink (the
 * kernel, with no VLAN device for the tag, strips it and marks the frame
 * PACKET_OTHERHOST), and one to another unicast MAC is not ours either.
 */
static void test_l3nh_tagged_or_otherhost_ignored(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	__u8 f[46], g[42];
	struct pp_l3nh v;

	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4), 0);
	arp_reply(g, none4);
	memcpy(f, g, 12);
	memcpy(f + 12, (const __u8[]){ 0x81, 0x00, 0x00, 0x07 }, 4);
	memcpy(f + 16, g + 12, 30);
	inject(f, 46);
	WAIT_STAT(fx, ignored, 1);
	memcpy(f, g, 42);
	f[5] ^= 0x80;		/* another unicast MAC */
	inject(f, 42);
	WAIT_STAT(fx, ignored, 2);
	assert_int_equal(st->replies, 0);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, none4, &v), -ENOENT);
	/* untagged, to the uplink's MAC, the same reply is taken */
	inject(g, 42);
	WAIT_STAT(fx, replies, 1);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, none4, &v), 0);
}

/* Each broken in one way, for next hops that are wanted: counted, never used. */
static void test_l3nh_malformed(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	__u8 f[128];
	struct pp_l3nh v;
	__u64 n = 0;

	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4), 0);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V6, up6, none6), 0);

#define BROKEN_ARP(what, len, ...)                                                     \
	do {                                                                           \
		arp_reply(f, none4);                                                   \
		__VA_ARGS__;                                                           \
		inject(f, len);                                                        \
		WAIT_STAT(fx, malformed, ++n);                                         \
		assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, none4, &v), -ENOENT);    \
		assert_int_equal(st->replies, 0);                                      \
		print_message("  malformed %s: ignored\n", what);                      \
	} while (0)
#define BROKEN_NA(what, len, ...)                                                      \
	do {                                                                           \
		na(f, none6);                                                          \
		__VA_ARGS__;                                                           \
		inject(f, len);                                                        \
		WAIT_STAT(fx, malformed, ++n);                                         \
		assert_int_equal(nh_get(fx, if0, PP_NEIGH_V6, none6, &v), -ENOENT);    \
		assert_int_equal(st->replies, 0);                                      \
		print_message("  malformed %s: ignored\n", what);                      \
	} while (0)

	BROKEN_ARP("arp short", 14 + 20, (void)0);
	BROKEN_ARP("arp hardware type", 42, f[15] = 6);
	BROKEN_ARP("arp protocol type", 42, f[16] = 0x86, f[17] = 0xdd);
	BROKEN_ARP("arp hardware length", 42, f[18] = 8);
	BROKEN_ARP("arp opcode", 42, f[21] = 3);
	BROKEN_ARP("arp multicast sender", 42, f[22] = 0x01);
	BROKEN_NA("na hop limit", 86, f[21] = 64, icmp6_sum(f));
	BROKEN_NA("na checksum", 86, f[56] ^= 1);
	BROKEN_NA("na payload length", 86, f[19] = 64, icmp6_sum(f));
	BROKEN_NA("na short", 14 + 40 + 20, f[19] = 20, icmp6_sum(f));
	BROKEN_NA("na payload length below an NA's", 86, f[19] = 20, icmp6_sum(f));
	BROKEN_NA("na payload length 65535", 86, f[18] = f[19] = 0xff);
	BROKEN_NA("na option length 0", 86, f[79] = 0, icmp6_sum(f));
	BROKEN_NA("na option too long", 86, f[79] = 2, icmp6_sum(f));
	BROKEN_NA("na multicast target mac", 86, f[80] = 0x33, icmp6_sum(f));
	BROKEN_NA("na multicast target", 86, f[62] = 0xff, icmp6_sum(f));
	BROKEN_NA("na code", 86, f[55] = 1, icmp6_sum(f));

	/* the same frames, unbroken, are taken: what was ignored was the break */
	arp_reply(f, none4);
	inject(f, 42);
	na(f, none6);
	inject(f, 86);
	WAIT_STAT(fx, replies, 2);
	assert_int_equal(st->malformed, n);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, none4, &v), 0);
	assert_true(v.flags & PP_L3NH_VALID);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V6, none6, &v), 0);
	assert_true(v.flags & PP_L3NH_VALID);
}

static bool all_read(struct fx *fx, const void *arg)
{
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);

	return st->malformed + st->unwanted + st->replies >= *(const __u64 *)arg;
}

/*
 * Random frames (a fixed seed) of random lengths, shaped only as far as
 * the sockets need to see them: read, counted, never trusted, no crash
 * (run it under ASan: see the report of issue 16).
 */
static void test_l3nh_random_frames(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	struct pp_l3nh v;
	__u64 n = 0;
	__u8 f[200];

	srandom(16);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4), 0);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V6, up6, none6), 0);
	for (int i = 0; i < 2000; i++) {
		size_t len = 14 + random() % (sizeof(f) - 14);

		for (size_t j = 0; j < sizeof(f); j++)
			f[j] = random();
		memcpy(f, mac0, 6);
		if (i & 1) {
			if (len < 55)
				len = 55;	/* what the socket's filter reads */
			f[12] = 0x86, f[13] = 0xdd, f[20] = 58, f[54] = 136;
			f[21] = random() % 4 ? 255 : f[21];
		} else {
			f[12] = 0x08, f[13] = 0x06;
			if (random() % 2)	/* a plausible header: the rest random */
				memcpy(f + 14, (const __u8[]){ 0, 1, 8, 0, 6, 4, 0, 2 }, 8);
		}
		inject(f, len);
		n++;
		if (i % 64 == 63)
			assert_true(input_until(fx, all_read, &n));
	}
	assert_true(input_until(fx, all_read, &n));
	assert_int_equal(st->replies, 0);
	assert_true(st->malformed > 0 && st->unwanted > 0);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, none4, &v), -ENOENT);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V6, none6, &v), -ENOENT);
}

/* An NA without a target link-layer option: the frame's source MAC. */
static void test_l3nh_na_without_tlla(void **state)
{
	struct fx *fx = *state;
	__u8 f[86];
	struct pp_l3nh v;

	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V6, up6, none6), 0);
	na(f, none6);
	f[14 + 5] = 24;
	icmp6_sum(f);
	inject(f, 14 + 40 + 24);
	WAIT_STAT(fx, replies, 1);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V6, none6, &v), 0);
	assert_memory_equal(v.mac, mac1, 6);
}

static void test_l3nh_forget(void **state)
{
	struct fx *fx = *state;
	struct pp_l3nh v;
	const __u8 mc4[4] = { 224, 0, 0, 1 }, zero[16] = { 0 };

	resolve(fx, PP_NEIGH_V4, &v);
	assert_int_equal(pp_l3nh_forget(fx->res, if0, PP_NEIGH_V4, gw4), 0);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, gw4, &v), -ENOENT);
	assert_int_equal(pp_l3nh_forget(fx->res, if0, PP_NEIGH_V4, gw4), -ENOENT);
	assert_int_equal(pp_l3nh_tick(fx->res, pp_l3nh_now()), 0);
	assert_int_equal(pp_l3nh_next_ns(fx->res), UINT64_MAX);

	resolve(fx, PP_NEIGH_V6, &v);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4), 0);
	assert_int_equal(pp_l3nh_want(fx->res, 1, mac0, PP_NEIGH_V4, up4, none4), 0);
	assert_int_equal(pp_l3nh_forget_dev(fx->res, if0), 2);
	assert_int_equal(pp_l3nh_count(fx->res), 1);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V6, gw6, &v), -ENOENT);

	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, 5, up4, gw4), -EINVAL);
	assert_int_equal(pp_l3nh_want(fx->res, 0, mac0, PP_NEIGH_V4, up4, gw4), -EINVAL);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, mc4), -EINVAL);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V6, up6, zero), -EINVAL);
}

/*
 * Next hops wanted by the dataplane's misses (pp_l3nh_want_missed): asked
 * as any other; unresolved and not missed for PP_L3NH_MISS_KEEP_NS,
 * forgotten; resolved, kept until they expire; configured ones never.
 */
static void test_l3nh_missed(void **state)
{
	struct fx *fx = *state;
	const struct pp_l3nh_stats *st = pp_l3nh_stats(fx->res);
	const __u64 keep = PP_L3NH_MISS_KEEP_NS;
	__u64 t = pp_l3nh_now();
	struct pp_l3nh v;
	__u8 a[4] = { 10, 0, 0, 0 };
	unsigned i;

	/* unanswered: asked, kept while missed, forgotten after */
	assert_int_equal(pp_l3nh_want_missed(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4, t), 0);
	assert_int_equal(pp_l3nh_tick(fx->res, t), 1);
	assert_int_equal(pp_l3nh_want_missed(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4,
					     t + 5 * SEC_NS), 0);
	pp_l3nh_tick(fx->res, t + keep + SEC_NS);
	assert_int_equal(pp_l3nh_count(fx->res), 1);
	assert_int_equal(pp_l3nh_next_ns(fx->res), t + keep + 2 * SEC_NS);
	assert_int_equal(pp_l3nh_tick(fx->res, t + 5 * SEC_NS + keep), 0);
	assert_int_equal(pp_l3nh_count(fx->res), 0);
	assert_int_equal(st->forgotten, 1);

	/* configured (before or after the miss): never forgotten */
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V6, up6, none6), 0);
	assert_int_equal(pp_l3nh_want_missed(fx->res, if0, mac0, PP_NEIGH_V6, up6, none6, t), 0);
	assert_int_equal(pp_l3nh_want_missed(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4, t), 0);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4), 0);
	pp_l3nh_tick(fx->res, t + 10 * keep);
	assert_int_equal(pp_l3nh_count(fx->res), 2);
	assert_int_equal(st->forgotten, 1);
	pp_l3nh_forget_dev(fx->res, if0);

	/* resolved: kept while valid, forgotten once expired */
	t = pp_l3nh_now();
	assert_int_equal(pp_l3nh_want_missed(fx->res, if0, mac0, PP_NEIGH_V4, up4, gw4, t), 0);
	pp_l3nh_tick(fx->res, t);
	assert_true(input_until(fx, is_valid, &(struct want_valid){ PP_NEIGH_V4, gw4 }));
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, gw4, &v), 0);
	pp_l3nh_tick(fx->res, v.updated_ns + 2 * keep);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, gw4, &v), 0);
	assert_true(v.flags & PP_L3NH_VALID);
	pp_l3nh_tick(fx->res, v.updated_ns + PP_L3NH_EXPIRE_NS);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, gw4, &v), -ENOENT);
	assert_int_equal(pp_l3nh_count(fx->res), 0);
	assert_int_equal(st->forgotten, 2);

	/* at most PP_L3NH_MISSED_MAX */
	for (i = 0; i < PP_L3NH_MISSED_MAX; i++) {
		a[1] = (__u8)(i >> 8) + 1;
		a[2] = i & 0xff;
		a[3] = 7;
		assert_int_equal(pp_l3nh_want_missed(fx->res, 1, mac0, PP_NEIGH_V4, up4, a, t), 0);
	}
	a[1] = 100;
	assert_int_equal(pp_l3nh_want_missed(fx->res, 1, mac0, PP_NEIGH_V4, up4, a, t), -ENOSPC);
	assert_int_equal(pp_l3nh_want(fx->res, 1, mac0, PP_NEIGH_V4, up4, a), 0);
	assert_int_equal(pp_l3nh_count(fx->res), PP_L3NH_MISSED_MAX + 1);
}

/* A restarted daemon takes over what the map holds, and ages it from its time. */
static void test_l3nh_takeover(void **state)
{
	struct fx *fx = *state;
	struct pp_l3nh v, w;
	struct pp_l3nh_res *res2;

	resolve(fx, PP_NEIGH_V4, &v);
	res2 = pp_l3nh_create(&fx->dp.maps);
	assert_non_null(res2);
	assert_int_equal(pp_l3nh_want(res2, if0, mac0, PP_NEIGH_V4, up4, gw4), 0);
	assert_int_equal(pp_l3nh_tick(res2, v.updated_ns + SEC_NS), 0);
	assert_int_equal(pp_l3nh_next_ns(res2), v.updated_ns + PP_L3NH_REFRESH_NS);
	assert_int_equal(nh_get(fx, if0, PP_NEIGH_V4, gw4, &w), 0);
	assert_memory_equal(&v, &w, sizeof(v));
	pp_l3nh_destroy(res2);
}

/*
 * What it sends, as ppt-nh1 receives it: only frames with PP_L3_MARK pass
 * the capture's filter (veth keeps the mark within a namespace), and they
 * are an ARP request and an NS as the protocols want them.
 */
static void test_l3nh_requests_marked(void **state)
{
	struct fx *fx = *state;
	struct sock_filter marked[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_MARK),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PP_L3_MARK, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = 4, .filter = marked };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = if1 };
	const __u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const __u8 snm[6] = { 0x33, 0x33, 0xff, 0, 0, 7 };
	const __u8 arp[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	__u8 f[256], dst6[16];
	bool seen4 = false, seen6 = false;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	inet_pton(AF_INET6, "ff02::1:ff00:7", dst6);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V4, up4, none4), 0);
	assert_int_equal(pp_l3nh_want(fx->res, if0, mac0, PP_NEIGH_V6, up6, none6), 0);
	assert_int_equal(pp_l3nh_tick(fx->res, pp_l3nh_now()), 2);
	for (int i = 0; i < 20 && !(seen4 && seen6); i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, f, sizeof(f), 0);
		assert_true(n >= 14);
		assert_memory_equal(f + 6, mac0, 6);
		if (f[12] == 0x08 && f[13] == 0x06) {
			assert_int_equal(n, 42);
			assert_memory_equal(f, bcast, 6);
			assert_memory_equal(f + 14, arp, 8);
			assert_memory_equal(f + 22, mac0, 6);
			assert_memory_equal(f + 28, up4, 4);
			assert_memory_equal(f + 38, none4, 4);
			seen4 = true;
		} else if (f[12] == 0x86 && f[13] == 0xdd && f[20] == 58 && f[54] == 135) {
			assert_int_equal(n, 14 + 40 + 32);
			assert_memory_equal(f, snm, 6);
			assert_int_equal(f[21], 255);
			assert_memory_equal(f + 22, up6, 16);
			assert_memory_equal(f + 38, dst6, 16);
			assert_memory_equal(f + 62, none6, 16);
			assert_int_equal(f[78], 1);	/* source link-layer address */
			assert_int_equal(f[79], 1);
			assert_memory_equal(f + 80, mac0, 6);
			icmp6_sum_check(f);
			seen6 = true;
		}
	}
	close(fd);
	assert_true(seen4);
	assert_true(seen6);
}

static int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "failed (%d): %s\n", rc, cmd);
	return rc;
}

/* Our own namespace and its veth pair: gone with the process. */
static int netns_setup(void)
{
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	if (sh("ip link set lo up") ||
	    sh("ip link add ppt-nh0 type veth peer name ppt-nh1") ||
	    sh("ip addr add 192.0.2.1/30 dev ppt-nh1") ||
	    sh("ip addr add fd00:99::1/64 dev ppt-nh1 nodad") ||
	    sh("ip link set ppt-nh0 up") || sh("ip link set ppt-nh1 up"))
		return -1;
	if0 = if_nametoindex("ppt-nh0");
	if1 = if_nametoindex("ppt-nh1");
	if (!if0 || !if1 || get_mac("ppt-nh0", mac0) || get_mac("ppt-nh1", mac1))
		return -1;
	inject_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);	/* protocol 0: sends only */
	if (inject_fd < 0)
		return -1;
	inet_pton(AF_INET6, "fd00:99::2", up6);
	inet_pton(AF_INET6, "fd00:99::1", gw6);
	inet_pton(AF_INET6, "fd00:99::7", none6);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_l3nh_arp_resolves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_ndp_resolves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_unanswered_once_a_second, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_aging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_forged_unwanted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_tagged_or_otherhost_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_na_without_tlla, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_random_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_takeover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_missed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l3nh_requests_marked, setup, teardown),
	};

	/* a resolver stuck on a frame (a loop over its options) fails the suite, not hangs it */
	alarm(60);
	if (netns_setup())
		return 1;
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/pp-l3nh-%d", getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
