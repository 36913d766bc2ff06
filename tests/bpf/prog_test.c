// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tables for the frame rules (DESIGN.md): each case is an
 * input frame, the expected verdict, every expected output (redirect or
 * clone: target and bytes) and the expected drop counter.
 *
 * One table, two contexts.  The programs are the PP_TEST builds of
 * bpf/tap.bpf.c and bpf/netdev.bpf.c, each compiled for TC and for XDP: the
 * same code, with redirects and clones recorded (tests/bpf/test_log.h).
 * - TC: every case with a tag runs twice: all tags in the frame, and the
 *   outermost tag in skb metadata, as the receive path of a tap leaves it
 *   (BPF_PROG_TEST_RUN refuses vlan_tci in ctx_in, so the shim injects it).
 * - XDP: every case runs once (XDP sees every tag in the frame) and must give
 *   TC's verdict (XDP_REDIRECT / XDP_DROP), the same output bytes to the
 *   same target, and move the same counters (drops, service-port rx/tx) by
 *   the same amounts as the TC run did.  The exceptions are the documented
 *   hand-offs (.to_tc, with the reason): there XDP must return XDP_PASS with
 *   the frame unchanged and no counter moved, so that TC, which runs next on
 *   the same device, handles and counts the frame once.
 * - A few cases only XDP can build (.only): 9,000-byte frames (TEST_RUN
 *   builds a TC frame within one page) and 14-byte IPv4 runts (TEST_RUN
 *   refuses them for TC: it wants an IP header after 0x0800 or 0x86dd; the
 *   same runts with ethertype ARP run in both).
 *
 * XDP's BPF_PROG_TEST_RUN needs a real device for ctx_in's ingress_ifindex,
 * and pp_xdp_tx (a devmap) only takes real devices.  So the test runs in a
 * network namespace of its own (unshare) where every ifindex of the table
 * is a bridge device created with exactly that index ("ppt<index>"): the
 * table's numbers are real there, and nothing outside is touched.  TAP3 and
 * DEVH are left out of pp_xdp_tx: an instance port in TC mode, and a device
 * XDP may not transmit to (a bridge, a VXLAN device, a veth whose peer has
 * no XDP program).
 *
 * Not buildable here, covered by the namespace tests instead: frames shorter
 * than 14 bytes (TEST_RUN refuses them for both), GSO frames, and delivery
 * itself (TEST_RUN does not perform redirects).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "test_log.h"
#include "frames.h"
#include "xdp.h"
#include "tap_test.skel.h"
#include "netdev_test.skel.h"
#include "tap_xdp_test.skel.h"
#include "netdev_xdp_test.skel.h"

/* ---- topology (ifindexes of bridges in the test's own namespace) ---------- */
enum { TAP1 = 11, TAP2 = 12, TAP3 = 13, DEVA = 21, DEVB = 22, DEVC = 23, DEVDE = 24,
       DEVF = 25, DEVG = 26, DEVH = 27, NODEV = 99 };
enum { NET_A = 1, NET_B, NET_C, NET_D, NET_E, NET_F, NET_G, NET_H };
enum { SLOT1 = 1, SLOT2, SLOT3 };

static const uint32_t devices[] = { TAP1, TAP2, TAP3, DEVA, DEVB, DEVC, DEVDE, DEVF, DEVG,
				    DEVH, NODEV };
/* What XDP may transmit to: not TAP3 (TC mode), not DEVH (no XDP transmit). */
static const uint32_t xdp_tx[] = { TAP1, TAP2, DEVA, DEVB, DEVC, DEVDE, DEVF, DEVG };

static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 0x01 };
static const uint8_t M2[6] = { 0x52, 0x54, 0, 0, 0, 0x02 };
static const uint8_t M3[6] = { 0x52, 0x54, 0, 0, 0, 0x03 };
static const uint8_t M4[6] = { 0x52, 0x54, 0, 0, 0, 0x04 };
static const uint8_t M9[6] = { 0x52, 0x54, 0, 0, 0, 0x09 };
static const uint8_t BAD[6] = { 0x52, 0x54, 0, 0, 0, 0x66 };
static const uint8_t EXT[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t BC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MC[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };

struct port { uint32_t id, slot, net; uint8_t match; uint16_t o, i; const uint8_t *mac; };
static const struct port ports[] = {
	{ 1, SLOT1, NET_A, PP_MATCH_VLAN, 100, 0, M1 },
	{ 2, SLOT1, NET_B, PP_MATCH_VLAN, 200, 0, M1 },
	{ 3, SLOT1, NET_A, PP_MATCH_QINQ, 300, 10, M3 },
	{ 4, SLOT1, NET_C, PP_MATCH_UNTAGGED, 0, 0, M1 },
	{ 5, SLOT1, NET_E, PP_MATCH_VLAN, 101, 0, M1 },
	{ 6, SLOT2, NET_A, PP_MATCH_VLAN, 100, 0, M2 },
	{ 7, SLOT2, NET_D, PP_MATCH_UNTAGGED, 0, 0, M2 },
	{ 8, SLOT2, NET_B, PP_MATCH_SRCMAC, 0, 0, M9 },
	{ 9, SLOT1, NET_G, PP_MATCH_VLAN, 102, 0, M1 },
	{ 10, SLOT3, NET_G, PP_MATCH_VLAN, 100, 0, M4 },
	{ 11, SLOT1, NET_H, PP_MATCH_VLAN, 103, 0, M1 },
};

#define Q(v)	{ 0x8100, (v) }
#define AD(v)	{ 0x88a8, (v) }
#define QQ(v)	{ 0x9100, (v) }

/* ---- cases -------------------------------------------------------------------- */
enum { P_TAP, P_NET };
enum { D_NONE, D_IPORT, D_NET };
enum { BOTH, ONLY_TC, ONLY_XDP };
enum { K_TC, K_XDP };

struct want {
	uint32_t kind, ifindex;
	struct fspec f;
};

struct tcase {
	const char *name;
	int prog;
	uint32_t ifindex;
	struct fspec in;
	int verdict;
	int drop;			/* D_* */
	uint32_t drop_idx, reason;
	struct want out[4];		/* in order; kind 0 ends */
	const char *to_tc;		/* XDP hands the frame to TC, for this reason */
	int only;			/* BOTH, ONLY_TC, ONLY_XDP */
};

#define FR(d, s, ...)	{ .dst = (d), .src = (s), .tags = { __VA_ARGS__ } }
#define REDIR(ifi, ...)	{ PP_TEST_REDIRECT, (ifi), __VA_ARGS__ }
#define CLONE(ifi, ...)	{ PP_TEST_CLONE, (ifi), __VA_ARGS__ }
#define FWD		.verdict = TC_ACT_REDIRECT
#define DROP_IP(slot, r) .verdict = TC_ACT_SHOT, .drop = D_IPORT, .drop_idx = (slot), .reason = (r)
#define DROP_NET(n, r)	.verdict = TC_ACT_SHOT, .drop = D_NET, .drop_idx = (n), .reason = (r)
/* The documented hand-offs from XDP to TC. */
#define TO_TC(why)	.to_tc = (why)
#define FLOOD		TO_TC("a copy per local service port, each with its own tags: TC clones")
/* TEST_RUN builds TC frames within a page, and wants an IP header after 0x0800. */
#define XDP_ONLY	.only = ONLY_XDP

static const struct tcase cases[] = {
	/* --- from the VM: classification ------------------------------------ */
	{ "vm: vlan 100 -> net A untagged", P_TAP, TAP1, FR(EXT, M1, Q(100)), FWD,
	  .out = { REDIR(DEVA, FR(EXT, M1)) } },
	{ "vm: vlan 200 -> net B", P_TAP, TAP1, FR(EXT, M1, Q(200)), FWD,
	  .out = { REDIR(DEVB, FR(EXT, M1)) } },
	{ "vm: vlan 100 with PCP 5 matches VID 100", P_TAP, TAP1, FR(EXT, M1, Q(0xa000 | 100)), FWD,
	  .out = { REDIR(DEVA, FR(EXT, M1)) } },
	{ "vm: vlan 100 with 88a8 TPID", P_TAP, TAP1, FR(EXT, M1, AD(100)), FWD,
	  .out = { REDIR(DEVA, FR(EXT, M1)) } },
	{ "vm: QinQ 88a8/300 8100/10 -> net A", P_TAP, TAP1, FR(EXT, M3, AD(300), Q(10)), FWD,
	  .out = { REDIR(DEVA, FR(EXT, M3)) } },
	{ "vm: QinQ 8100/300 8100/10 -> net A", P_TAP, TAP1, FR(EXT, M3, Q(300), Q(10)), FWD,
	  .out = { REDIR(DEVA, FR(EXT, M3)) } },
	{ "vm: untagged -> net C", P_TAP, TAP1, FR(EXT, M1), FWD,
	  .out = { REDIR(DEVC, FR(EXT, M1)) } },
	{ "vm: priority tag (VID 0) = untagged, tag removed", P_TAP, TAP1,
	  FR(EXT, M1, Q(0xa000)), FWD, .out = { REDIR(DEVC, FR(EXT, M1)) } },
	{ "vm: src-mac port M9 -> net B", P_TAP, TAP2, FR(EXT, M9), FWD,
	  .out = { REDIR(DEVB, FR(EXT, M9)) } },
	{ "vm: src-mac port, priority tagged", P_TAP, TAP2, FR(EXT, M9, Q(0)), FWD,
	  .out = { REDIR(DEVB, FR(EXT, M9)) } },
	{ "vm: untagged beside src-mac ports -> net D", P_TAP, TAP2, FR(EXT, M2), FWD,
	  .out = { REDIR(DEVDE, FR(EXT, M2)) } },
	{ "vm: vlan 101 -> net E, its own tag 3001 pushed", P_TAP, TAP1, FR(EXT, M1, Q(101)), FWD,
	  .out = { REDIR(DEVDE, FR(EXT, M1, Q(3001))) } },
	{ "vm: non-IP ethertype passes (ARP)", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, .proto = 0x0806, .payload = 28 }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, .proto = 0x0806, .payload = 28 }) } },

	/* --- from the VM: drops ------------------------------------------------- */
	{ "vm: unknown VID 999", P_TAP, TAP1, FR(EXT, M1, Q(999)),
	  DROP_IP(SLOT1, PP_DROP_UNKNOWN_PORT) },
	{ "vm: VLAN 300 alone (only a QinQ port has 300)", P_TAP, TAP1, FR(EXT, M3, Q(300)),
	  DROP_IP(SLOT1, PP_DROP_UNKNOWN_PORT) },
	{ "vm: QinQ pair with no port", P_TAP, TAP1, FR(EXT, M3, AD(300), Q(11)),
	  DROP_IP(SLOT1, PP_DROP_UNKNOWN_PORT) },
	{ "vm: VID 4095", P_TAP, TAP1, FR(EXT, M1, Q(4095)),
	  DROP_IP(SLOT1, PP_DROP_RESERVED_VID) },
	{ "vm: QinQ inner VID 4095", P_TAP, TAP1, FR(EXT, M3, AD(300), Q(4095)),
	  DROP_IP(SLOT1, PP_DROP_RESERVED_VID) },
	{ "vm: three tags", P_TAP, TAP1, FR(EXT, M3, AD(300), Q(10), Q(5)),
	  DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: two tags, only a single-tag port has the outer VID", P_TAP, TAP1,
	  FR(EXT, M1, Q(100), Q(5)), DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 8100/100 then 88a8 counts as a second tag", P_TAP, TAP1,
	  FR(EXT, M1, Q(100), AD(5)), DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 8100/100 then 9100 counts as a second tag", P_TAP, TAP1,
	  FR(EXT, M1, Q(100), QQ(5)), DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: priority tag over a tag", P_TAP, TAP1, FR(EXT, M1, Q(0), Q(100)),
	  DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: frame cut inside a tag", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100), Q(10) }, .cut = 20 },
	  DROP_IP(SLOT1, PP_DROP_MALFORMED) },
	{ "vm: spoofed source MAC on vlan 100", P_TAP, TAP1, FR(EXT, BAD, Q(100)),
	  DROP_IP(SLOT1, PP_DROP_SPOOFED) },
	{ "vm: default MAC on a port with its own MAC (QinQ)", P_TAP, TAP1,
	  FR(EXT, M1, AD(300), Q(10)), DROP_IP(SLOT1, PP_DROP_SPOOFED) },
	{ "vm: spoofed untagged source", P_TAP, TAP1, FR(EXT, BAD),
	  DROP_IP(SLOT1, PP_DROP_SPOOFED) },
	{ "vm: multicast source MAC", P_TAP, TAP1, FR(EXT, MC, Q(100)),
	  DROP_IP(SLOT1, PP_DROP_SPOOFED) },
	{ "vm: unknown untagged source where only src-mac matches", P_TAP, TAP2, FR(EXT, BAD),
	  DROP_IP(SLOT2, PP_DROP_SPOOFED) },
	{ "vm: frame on an unknown tap", P_TAP, NODEV, FR(EXT, M1, Q(100)),
	  DROP_IP(0, PP_DROP_UNKNOWN_PORT) },
	{ "vm: at the MTU (1500 + tag) passes", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, .payload = 1500 }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, .payload = 1500 }) } },
	{ "vm: 1 byte over the MTU", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, .payload = 1501 },
	  DROP_IP(SLOT1, PP_DROP_MTU) },
	{ "vm: QinQ at the MTU passes", P_TAP, TAP1,
	  { .dst = EXT, .src = M3, .tags = { AD(300), Q(10) }, .payload = 1500 }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M3, .payload = 1500 }) } },
	{ "vm: QinQ 1 byte over the MTU", P_TAP, TAP1,
	  { .dst = EXT, .src = M3, .tags = { AD(300), Q(10) }, .payload = 1501 },
	  DROP_IP(SLOT1, PP_DROP_MTU) },
	{ "vm: 3,000-byte frame", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, .payload = 2980 },
	  DROP_IP(SLOT1, PP_DROP_MTU) },

	/* --- from the VM: local switching and floods ---------------------------- */
	{ "vm: local switch vlan 100 -> other VM's vlan 100", P_TAP, TAP1, FR(M2, M1, Q(100)), FWD,
	  .out = { REDIR(TAP2, FR(M2, M1, Q(100))) } },
	{ "vm: local switch vlan 100 -> QinQ port on the same tap", P_TAP, TAP1,
	  FR(M3, M1, Q(100)), FWD, .out = { REDIR(TAP1, FR(M3, M1, AD(300), Q(10))) } },
	{ "vm: local switch QinQ -> vlan 100", P_TAP, TAP1, FR(M1, M3, AD(300), Q(10)), FWD,
	  .out = { REDIR(TAP1, FR(M1, M3, Q(100))) } },
	{ "vm: unicast to own MAC goes to the network", P_TAP, TAP1, FR(M1, M1, Q(100)), FWD,
	  .out = { REDIR(DEVA, FR(M1, M1)) } },
	{ "vm: unicast to a port of another network goes to the network", P_TAP, TAP1,
	  FR(M9, M1, Q(100)), FWD, .out = { REDIR(DEVA, FR(M9, M1)) } },
	{ "vm: broadcast from vlan 100 floods net A", P_TAP, TAP1, FR(BC, M1, Q(100)), FWD,
	  .out = { CLONE(TAP1, FR(BC, M1, AD(300), Q(10))), CLONE(TAP2, FR(BC, M1, Q(100))),
		   REDIR(DEVA, FR(BC, M1)) }, FLOOD },
	{ "vm: multicast from QinQ floods net A", P_TAP, TAP1, FR(MC, M3, AD(300), Q(10)), FWD,
	  .out = { CLONE(TAP1, FR(MC, M3, Q(100))), CLONE(TAP2, FR(MC, M3, Q(100))),
		   REDIR(DEVA, FR(MC, M3)) }, FLOOD },
	{ "vm: broadcast on a network with no other port", P_TAP, TAP1, FR(BC, M1), FWD,
	  .out = { REDIR(DEVC, FR(BC, M1)) } },
	{ "vm: broadcast from vlan 102 floods net G (a port on tap 3)", P_TAP, TAP1,
	  FR(BC, M1, Q(102)), FWD,
	  .out = { CLONE(TAP3, FR(BC, M1, Q(100))), REDIR(DEVG, FR(BC, M1)) }, FLOOD },

	/* --- from the VM: jumbo frames, runts, targets XDP may not send to ------- */
	{ "vm: vlan 102 -> net G (MTU 9000)", P_TAP, TAP1, FR(EXT, M1, Q(102)), FWD,
	  .out = { REDIR(DEVG, FR(EXT, M1)) } },
	{ "vm: 9,000-byte frame on vlan 102, net G's MTU is 9000", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(102) }, .payload = 8982 }, FWD,
	  .out = { REDIR(DEVG, { .dst = EXT, .src = M1, .payload = 8982 }) }, XDP_ONLY },
	{ "vm: 9,000-byte frame on vlan 100, net A's MTU is 1500", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, .payload = 8982 },
	  DROP_IP(SLOT1, PP_DROP_MTU), XDP_ONLY },
	{ "vm: 14-byte runt (a bare header, ARP) -> net C", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .proto = 0x0806, .cut = 14 }, FWD,
	  .out = { REDIR(DEVC, { .dst = EXT, .src = M1, .proto = 0x0806, .cut = 14 }) } },
	{ "vm: 14-byte runt (a bare header, IPv4) -> net C", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .cut = 14 }, FWD,
	  .out = { REDIR(DEVC, { .dst = EXT, .src = M1, .cut = 14 }) }, XDP_ONLY },
	{ "vm: 14-byte runt ending in a tag's TPID", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, .cut = 14 },
	  DROP_IP(SLOT1, PP_DROP_MALFORMED) },
	{ "vm: vlan 103 -> net H", P_TAP, TAP1, FR(EXT, M1, Q(103)), FWD,
	  .out = { REDIR(DEVH, FR(EXT, M1)) },
	  TO_TC("net H's device is not in pp_xdp_tx: no XDP transmit there") },
	{ "vm: broadcast from vlan 103, no other port on net H", P_TAP, TAP1, FR(BC, M1, Q(103)),
	  FWD, .out = { REDIR(DEVH, FR(BC, M1)) },
	  TO_TC("net H's device is not in pp_xdp_tx: no XDP transmit there") },
	{ "vm: local switch vlan 102 -> M4 on tap 3", P_TAP, TAP1, FR(M4, M1, Q(102)), FWD,
	  .out = { REDIR(TAP3, FR(M4, M1, Q(100))) },
	  TO_TC("instance port 3 is in TC mode: its tap is not in pp_xdp_tx") },
	{ "vm: broadcast from src-mac port: other net B port, tagged", P_TAP, TAP2, FR(BC, M9), FWD,
	  .out = { CLONE(TAP1, FR(BC, M9, Q(200))), REDIR(DEVB, FR(BC, M9)) }, FLOOD },

	/* --- from a network ---------------------------------------------------- */
	{ "net: unicast to M1 on net A -> vlan 100", P_NET, DEVA, FR(M1, EXT), FWD,
	  .out = { REDIR(TAP1, FR(M1, EXT, Q(100))) } },
	{ "net: unicast to M3 on net A -> QinQ 88a8/300 8100/10", P_NET, DEVA, FR(M3, EXT), FWD,
	  .out = { REDIR(TAP1, FR(M3, EXT, AD(300), Q(10))) } },
	{ "net: unicast to M2 on net A -> other tap", P_NET, DEVA, FR(M2, EXT), FWD,
	  .out = { REDIR(TAP2, FR(M2, EXT, Q(100))) } },
	{ "net: unicast to M1 on net C -> untagged", P_NET, DEVC, FR(M1, EXT), FWD,
	  .out = { REDIR(TAP1, FR(M1, EXT)) } },
	{ "net: priority-tagged on an untagged network", P_NET, DEVC, FR(M1, EXT, Q(0x6000)), FWD,
	  .out = { REDIR(TAP1, FR(M1, EXT)) } },
	{ "net: to src-mac port M9 on net B", P_NET, DEVB, FR(M9, EXT), FWD,
	  .out = { REDIR(TAP2, FR(M9, EXT)) } },
	{ "net: broadcast on net A -> every local port, own tags", P_NET, DEVA, FR(BC, EXT),
	  .verdict = TC_ACT_SHOT,
	  .out = { CLONE(TAP1, FR(BC, EXT, Q(100))), CLONE(TAP1, FR(BC, EXT, AD(300), Q(10))),
		   CLONE(TAP2, FR(BC, EXT, Q(100))) }, FLOOD },
	{ "net: broadcast on net B: vlan 200, src-mac port gets its MAC", P_NET, DEVB, FR(BC, EXT),
	  .verdict = TC_ACT_SHOT,
	  .out = { CLONE(TAP1, FR(BC, EXT, Q(200))), CLONE(TAP2, FR(M9, EXT)) }, FLOOD },
	{ "net: broadcast on net D: untagged wire with src-mac ports", P_NET, DEVDE, FR(BC, EXT),
	  .verdict = TC_ACT_SHOT, .out = { CLONE(TAP2, FR(M2, EXT)) }, FLOOD },
	{ "net: multicast on net C: no src-mac port, no rewrite", P_NET, DEVC, FR(MC, EXT),
	  .verdict = TC_ACT_SHOT, .out = { CLONE(TAP1, FR(MC, EXT)) }, FLOOD },
	{ "net: vlan network 3001 on a shared device -> vlan 101", P_NET, DEVDE,
	  FR(M1, EXT, Q(3001)), FWD, .out = { REDIR(TAP1, FR(M1, EXT, Q(101))) } },
	{ "net: vlan network tag with 88a8 TPID", P_NET, DEVDE,
	  FR(M1, EXT, AD(3001)), FWD, .out = { REDIR(TAP1, FR(M1, EXT, Q(101))) } },
	{ "net: unknown unicast", P_NET, DEVA, FR(BAD, EXT), DROP_NET(NET_A, PP_DROP_UNKNOWN_DST) },
	{ "net: M1 is on net A, not reachable from net D", P_NET, DEVDE, FR(M3, EXT),
	  DROP_NET(NET_D, PP_DROP_UNKNOWN_DST) },
	{ "net: tagged frame on an untagged network", P_NET, DEVA, FR(M1, EXT, Q(100)),
	  DROP_NET(NET_A, PP_DROP_TAGGED_ON_UNTAGGED_NET) },
	{ "net: unknown tag on a device with untagged + vlan networks", P_NET, DEVDE,
	  FR(M1, EXT, Q(3005)), DROP_NET(NET_D, PP_DROP_TAGGED_ON_UNTAGGED_NET) },
	{ "net: untagged frame on a vlan-only device", P_NET, DEVF, FR(M1, EXT),
	  DROP_NET(0, PP_DROP_UNKNOWN_PORT) },
	{ "net: vlan-only device, no local port", P_NET, DEVF, FR(M1, EXT, Q(3002)),
	  DROP_NET(NET_F, PP_DROP_UNKNOWN_DST) },
	{ "net: broadcast on a network without local ports", P_NET, DEVF, FR(BC, EXT, Q(3002)),
	  DROP_NET(NET_F, PP_DROP_NO_TARGET) },
	{ "net: two tags on a vlan network", P_NET, DEVDE, FR(M1, EXT, Q(3001), Q(5)),
	  DROP_NET(NET_D, PP_DROP_TOO_MANY_TAGS) },
	{ "net: two tags on an untagged network", P_NET, DEVA, FR(M1, EXT, AD(7), Q(5)),
	  DROP_NET(NET_A, PP_DROP_TOO_MANY_TAGS) },
	{ "net: VID 4095", P_NET, DEVA, FR(M1, EXT, Q(4095)), DROP_NET(NET_A, PP_DROP_RESERVED_VID) },
	{ "net: cut inside a tag", P_NET, DEVA,
	  { .dst = M1, .src = EXT, .tags = { Q(5) }, .cut = 16 }, DROP_NET(NET_A, PP_DROP_MALFORMED) },
	{ "net: 1 byte over the MTU", P_NET, DEVA, { .dst = M1, .src = EXT, .payload = 1501 },
	  DROP_NET(NET_A, PP_DROP_MTU) },
	{ "net: at the MTU passes", P_NET, DEVA, { .dst = M1, .src = EXT, .payload = 1500 }, FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = EXT, .tags = { Q(100) }, .payload = 1500 }) } },
	{ "net: unicast to M1 on net G -> vlan 102", P_NET, DEVG, FR(M1, EXT), FWD,
	  .out = { REDIR(TAP1, FR(M1, EXT, Q(102))) } },
	{ "net: 9,000-byte frame to M1 on net G -> vlan 102", P_NET, DEVG,
	  { .dst = M1, .src = EXT, .payload = 8986 }, FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = EXT, .tags = { Q(102) }, .payload = 8986 }) },
	  XDP_ONLY, TO_TC("9,004 bytes: more than tap 1's MTU (1500) + 18") },
	{ "net: 9,000-byte frame on net A (MTU 1500)", P_NET, DEVA,
	  { .dst = M1, .src = EXT, .payload = 8986 }, DROP_NET(NET_A, PP_DROP_MTU), XDP_ONLY },
	{ "net: 14-byte runt (ARP) to M1 on net C", P_NET, DEVC,
	  { .dst = M1, .src = EXT, .proto = 0x0806, .cut = 14 }, FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = EXT, .proto = 0x0806, .cut = 14 }) } },
	{ "net: 14-byte runt (IPv4) to M1 on net C", P_NET, DEVC,
	  { .dst = M1, .src = EXT, .cut = 14 }, FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = EXT, .cut = 14 }) }, XDP_ONLY },
	{ "net: 14-byte runt ending in a tag's TPID", P_NET, DEVA,
	  { .dst = M1, .src = EXT, .tags = { Q(5) }, .cut = 14 },
	  DROP_NET(NET_A, PP_DROP_MALFORMED) },
	{ "net: unicast to M4 on net G -> tap 3", P_NET, DEVG, FR(M4, EXT), FWD,
	  .out = { REDIR(TAP3, FR(M4, EXT, Q(100))) },
	  TO_TC("instance port 3 is in TC mode: its tap is not in pp_xdp_tx") },
	{ "net: broadcast on net G", P_NET, DEVG, FR(BC, EXT), .verdict = TC_ACT_SHOT,
	  .out = { CLONE(TAP1, FR(BC, EXT, Q(102))), CLONE(TAP3, FR(BC, EXT, Q(100))) }, FLOOD },
	{ "net: at the MTU to the QinQ port (1,522 bytes out)", P_NET, DEVA,
	  { .dst = M3, .src = EXT, .payload = 1500 }, FWD,
	  .out = { REDIR(TAP1, { .dst = M3, .src = EXT, .tags = { AD(300), Q(10) },
				 .payload = 1500 }) },
	  TO_TC("1,522 bytes: more than the tap's MTU + 18, which an XDP redirect drops") },
	{ "vm: local switch at the MTU, vlan 100 -> QinQ port (1,522 bytes out)", P_TAP, TAP1,
	  { .dst = M3, .src = M1, .tags = { Q(100) }, .payload = 1500 }, FWD,
	  .out = { REDIR(TAP1, { .dst = M3, .src = M1, .tags = { AD(300), Q(10) },
				 .payload = 1500 }) },
	  TO_TC("1,522 bytes: more than the tap's MTU + 18, which an XDP redirect drops") },
	{ "net: unknown device", P_NET, NODEV, FR(M1, EXT), DROP_NET(0, PP_DROP_UNKNOWN_PORT) },
	{ "net: frame on a tap is not a network's", P_NET, TAP1, FR(M1, EXT),
	  DROP_NET(0, PP_DROP_UNKNOWN_PORT) },
};

/* ---- runner ------------------------------------------------------------------ */
struct progs {
	struct tap_test_bpf *tap;
	struct netdev_test_bpf *net;
	struct tap_xdp_test_bpf *tap_xdp;
	struct netdev_xdp_test_bpf *net_xdp;
	struct pp_maps maps;
};

static int passed, failed;

static void dump(const char *what, const uint8_t *p, uint32_t n)
{
	fprintf(stderr, "      %s (%u):", what, n);
	for (uint32_t i = 0; i < n && i < 48; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "%s\n", n > 48 ? " ..." : "");
}

/* The frame as it leaves: a tag in skb metadata goes back after the MACs. */
static uint32_t wire(const struct pp_test_out *o, const uint8_t *data, uint32_t len, uint8_t *out)
{
	if (!o->meta_present) {
		memcpy(out, data, len);
		return len;
	}
	memcpy(out, data, 12);
	out[12] = ntohs(o->meta_proto) >> 8;
	out[13] = ntohs(o->meta_proto) & 0xff;
	out[14] = o->meta_tci >> 8;
	out[15] = o->meta_tci & 0xff;
	memcpy(out + 16, data + 12, len - 12);
	return len + 4;
}

/* Every counter the table can move: service-port rx/tx, drops by reason. */
#define NSPORTS	16
#define NIDX	16
struct snap {
	uint64_t sport[NSPORTS][4];
	uint64_t drop[2][NIDX][PP_DROP_MAX];	/* [D_IPORT - 1 / D_NET - 1][index][reason] */
};

static void snap_take(struct pp_maps *m, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	for (uint32_t id = 1; id < NSPORTS; id++) {
		struct pp_sport_stats st;

		if (!pp_sport_stats_get(m, id, &st)) {
			s->sport[id][0] = st.rx_packets;
			s->sport[id][1] = st.rx_bytes;
			s->sport[id][2] = st.tx_packets;
			s->sport[id][3] = st.tx_bytes;
		}
	}
	for (int k = 0; k < 2; k++)
		for (uint32_t i = 0; i < NIDX; i++) {
			struct pp_drops d;

			if (!pp_map_get_percpu_sum(m, k ? PPM_NET_DROPS : PPM_IPORT_DROPS, i, &d))
				memcpy(s->drop[k][i], d.reason, sizeof(d.reason));
		}
}

static void snap_delta(const struct snap *a, const struct snap *b, struct snap *d)
{
	const uint64_t *pa = (const uint64_t *)a, *pb = (const uint64_t *)b;
	uint64_t *pd = (uint64_t *)d;

	for (size_t i = 0; i < sizeof(*d) / 8; i++)
		pd[i] = pb[i] - pa[i];
}

static uint64_t snap_drops(const struct snap *d)
{
	uint64_t n = 0;

	for (int k = 0; k < 2; k++)
		for (int i = 0; i < NIDX; i++)
			for (int r = 0; r < PP_DROP_MAX; r++)
				n += d->drop[k][i][r];
	return n;
}

/* The drop the case expects, and nothing else, was counted. */
static int check_drops(const struct tcase *c, const struct snap *d)
{
	int ok = 1;

	if (c->drop && d->drop[c->drop - 1][c->drop_idx][c->reason] != 1) {
		fprintf(stderr, "    drop %s not counted on %s %u\n", pp_drop_names[c->reason],
			c->drop == D_IPORT ? "instance port" : "network", c->drop_idx);
		ok = 0;
	}
	if (snap_drops(d) != (c->drop ? 1u : 0u)) {
		fprintf(stderr, "    drop counters moved by %llu, want %d\n",
			(unsigned long long)snap_drops(d), c->drop ? 1 : 0);
		ok = 0;
	}
	return ok;
}

static int nwant_of(const struct tcase *c)
{
	int n = 0;

	while (n < 4 && c->out[n].kind)
		n++;
	return n;
}

/* One TC run; *delta gets the counters it moved. */
static int run_tc(struct progs *p, const struct tcase *c, int meta, struct snap *delta)
{
	static uint8_t in[FR_MAX], out[FR_MAX], want[FR_MAX], got[FR_MAX + 8];
	struct __sk_buff skb = { .ingress_ifindex = c->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &skb, .ctx_size_in = sizeof(skb));
	struct pp_test_out *log;
	struct pp_test_meta *tm;
	struct snap before, after;
	uint32_t *nlog, len, n, wl;
	int fd, err, ok = 1, nwant = nwant_of(c);

	if (c->prog == P_TAP) {
		fd = bpf_program__fd(p->tap->progs.pp_tap_ingress);
		log = p->tap->bss->pp_test_log;
		nlog = &p->tap->bss->pp_test_nlog;
		tm = &p->tap->bss->pp_test_meta;
	} else {
		fd = bpf_program__fd(p->net->progs.pp_net_ingress);
		log = p->net->bss->pp_test_log;
		nlog = &p->net->bss->pp_test_nlog;
		tm = &p->net->bss->pp_test_meta;
	}

	len = fr_build(in, &c->in);
	memset(tm, 0, sizeof(*tm));
	if (meta) {		/* move the outermost tag into (emulated) metadata */
		tm->present = 1;
		tm->tci = (in[14] << 8) | in[15];
		memmove(in + 12, in + 16, len - 16);
		len -= 4;
	}
	o.data_size_in = len;
	*nlog = 0;
	snap_take(&p->maps, &before);

	err = bpf_prog_test_run_opts(fd, &o);
	if (err) {
		fprintf(stderr, "    test_run: %s\n", strerror(-err));
		return 0;
	}
	snap_take(&p->maps, &after);
	snap_delta(&before, &after, delta);
	if ((int)o.retval != c->verdict) {
		fprintf(stderr, "    verdict %d, want %d\n", o.retval, c->verdict);
		ok = 0;
	}
	if ((int)*nlog != nwant) {
		fprintf(stderr, "    %u outputs, want %d\n", *nlog, nwant);
		ok = 0;
	}
	for (int i = 0; i < nwant && i < (int)*nlog; i++) {
		const struct want *w = &c->out[i];
		const struct pp_test_out *g = &log[i];

		n = fr_build(want, &w->f);
		if (g->kind != w->kind || g->ifindex != w->ifindex) {
			fprintf(stderr, "    output %d: kind %u -> %u, want kind %u -> %u\n", i,
				g->kind, g->ifindex, w->kind, w->ifindex);
			ok = 0;
		}
		if (g->kind == PP_TEST_REDIRECT && i == nwant - 1)
			wl = wire(g, out, o.data_size_out, got);	/* the whole frame */
		else
			wl = wire(g, g->data, g->len < PP_TEST_SNAP ? g->len : PP_TEST_SNAP, got) +
			     (g->len > PP_TEST_SNAP ? g->len - PP_TEST_SNAP : 0);
		if (wl != n || memcmp(got, want, n < PP_TEST_SNAP || g->kind == PP_TEST_REDIRECT ?
					  n : PP_TEST_SNAP)) {
			fprintf(stderr, "    output %d to %u differs\n", i, w->ifindex);
			dump("got ", got, wl);
			dump("want", want, n);
			ok = 0;
		}
	}
	return check_drops(c, delta) && ok;
}

/*
 * One XDP run: TC's verdict, output and counters (tc: the counters the TC
 * run moved, NULL for an XDP-only case), or a clean hand-off to TC.
 */
static int run_xdp(struct progs *p, const struct tcase *c, const struct snap *tc)
{
	static uint8_t in[FR_MAX], out[FR_MAX], want[FR_MAX];
	struct xdp_md md = { .ingress_ifindex = c->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &md, .ctx_size_in = sizeof(md));
	struct snap before, after, delta, zero = {};
	struct pp_test_out *log;
	uint32_t *nlog, len, n;
	int fd, err, ok = 1, nwant = nwant_of(c), verdict;

	if (c->prog == P_TAP) {
		fd = bpf_program__fd(p->tap_xdp->progs.pp_tap_xdp);
		log = p->tap_xdp->bss->pp_test_log;
		nlog = &p->tap_xdp->bss->pp_test_nlog;
	} else {
		fd = bpf_program__fd(p->net_xdp->progs.pp_net_xdp);
		log = p->net_xdp->bss->pp_test_log;
		nlog = &p->net_xdp->bss->pp_test_nlog;
	}
	len = fr_build(in, &c->in);
	md.data_end = len;
	o.data_size_in = len;
	*nlog = 0;
	snap_take(&p->maps, &before);

	err = bpf_prog_test_run_opts(fd, &o);
	if (err) {
		fprintf(stderr, "    test_run: %s\n", strerror(-err));
		return 0;
	}
	snap_take(&p->maps, &after);
	snap_delta(&before, &after, &delta);

	if (c->to_tc) {		/* handed to TC: untouched, uncounted */
		if (o.retval != XDP_PASS) {
			fprintf(stderr, "    verdict %u, want XDP_PASS (to TC)\n", o.retval);
			ok = 0;
		}
		if (*nlog) {
			fprintf(stderr, "    %u outputs, want none\n", *nlog);
			ok = 0;
		}
		if (o.data_size_out != len || memcmp(out, in, len)) {
			fprintf(stderr, "    the frame changed before the hand-off\n");
			dump("got ", out, o.data_size_out);
			dump("want", in, len);
			ok = 0;
		}
		if (memcmp(&delta, &zero, sizeof(delta))) {
			fprintf(stderr, "    counters moved before the hand-off\n");
			ok = 0;
		}
		return ok;
	}

	if (nwant > 1 || (nwant == 1 && c->out[0].kind != PP_TEST_REDIRECT)) {
		fprintf(stderr, "    table: copies in XDP need .to_tc\n");
		return 0;
	}
	verdict = c->verdict == TC_ACT_REDIRECT ? XDP_REDIRECT : XDP_DROP;
	if ((int)o.retval != verdict) {
		fprintf(stderr, "    verdict %u, want %d\n", o.retval, verdict);
		ok = 0;
	}
	if ((int)*nlog != nwant) {
		fprintf(stderr, "    %u outputs, want %d\n", *nlog, nwant);
		ok = 0;
	}
	if (nwant && *nlog) {
		n = fr_build(want, &c->out[0].f);
		if (log[0].ifindex != c->out[0].ifindex) {
			fprintf(stderr, "    redirect to %u, want %u\n", log[0].ifindex,
				c->out[0].ifindex);
			ok = 0;
		}
		if (o.data_size_out != n || memcmp(out, want, n)) {
			fprintf(stderr, "    output to %u differs\n", c->out[0].ifindex);
			dump("got ", out, o.data_size_out);
			dump("want", want, n);
			ok = 0;
		}
	}
	if (!check_drops(c, &delta))
		ok = 0;
	if (tc && memcmp(&delta, tc, sizeof(delta))) {
		fprintf(stderr, "    counters moved unlike TC's\n");
		ok = 0;
	}
	return ok;
}

/*
 * A namespace of our own with a bridge for every ifindex of the table, so
 * that XDP's TEST_RUN and pp_xdp_tx find real devices of those indexes.
 */
static int make_netns(void)
{
	char cmd[128];

	if (unshare(CLONE_NEWNET))
		return -errno;
	for (unsigned i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		snprintf(cmd, sizeof(cmd), "ip link add name ppt%u index %u type bridge", devices[i],
			 devices[i]);
		if (system(cmd))
			return -EIO;
	}
	return 0;
}

static int setup(struct progs *p, const char *pin_root)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	struct pp_map_sizes s = { .max_ifindex = 128, .max_iports = 8, .max_sports = 64,
				  .max_nets = 16, .max_macs = 64, .max_match = 64 };
	int fds[PPM_COUNT], err;

	err = pp_bpffs_prepare(pin_root);
	if (err)
		return err;
	p->tap = tap_test_bpf__open_opts(&opts);
	p->net = netdev_test_bpf__open_opts(&opts);
	p->tap_xdp = tap_xdp_test_bpf__open_opts(&opts);
	p->net_xdp = netdev_xdp_test_bpf__open_opts(&opts);
	if (!p->tap || !p->net || !p->tap_xdp || !p->net_xdp)
		return -errno;
	if ((err = pp_obj_set_sizes(p->tap->obj, &s)) || (err = pp_obj_set_sizes(p->net->obj, &s)) ||
	    (err = pp_obj_set_sizes(p->tap_xdp->obj, &s)) ||
	    (err = pp_obj_set_sizes(p->net_xdp->obj, &s)) ||
	    (err = tap_test_bpf__load(p->tap)) || (err = netdev_test_bpf__load(p->net)) ||
	    (err = tap_xdp_test_bpf__load(p->tap_xdp)) ||
	    (err = netdev_xdp_test_bpf__load(p->net_xdp)))
		return err;
	for (int i = 0; i < PPM_COUNT; i++)
		fds[i] = bpf_map__fd(bpf_object__find_map_by_name(p->tap->obj, pp_map_desc[i].name));
	err = pp_maps_adopt(&p->maps, fds);
	if (err)
		return err;

	struct { uint32_t id, ifindex; uint16_t vlan, mtu; } nets[] = {
		{ NET_A, DEVA, 0, 1500 }, { NET_B, DEVB, 0, 1500 }, { NET_C, DEVC, 0, 1500 },
		{ NET_D, DEVDE, 0, 1500 }, { NET_E, DEVDE, 3001, 1500 }, { NET_F, DEVF, 3002, 1500 },
		{ NET_G, DEVG, 0, 9000 }, { NET_H, DEVH, 0, 1500 },
	};
	for (unsigned i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct pp_net n = { .ifindex = nets[i].ifindex, .vlan = nets[i].vlan,
				    .mtu = nets[i].mtu };

		if ((err = pp_dp_net_install(&p->maps, nets[i].id, &n)))
			return err;
	}
	struct pp_iport ip1 = { .ifindex = TAP1, .mtu = 1500 }, ip2 = { .ifindex = TAP2, .mtu = 1500 },
			ip3 = { .ifindex = TAP3, .mtu = 1500 };
	memcpy(ip1.mac, M1, 6);
	memcpy(ip2.mac, M2, 6);
	memcpy(ip3.mac, M4, 6);
	if ((err = pp_dp_iport_install(&p->maps, SLOT1, &ip1)) ||
	    (err = pp_dp_iport_install(&p->maps, SLOT2, &ip2)) ||
	    (err = pp_dp_iport_install(&p->maps, SLOT3, &ip3)))
		return err;
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		const struct port *q = &ports[i];
		struct pp_sport sp = { .slot = q->slot, .net_id = q->net, .match = q->match,
				       .outer_vid = q->o, .inner_vid = q->i };

		memcpy(sp.mac, q->mac, 6);
		if ((err = pp_dp_sport_install(&p->maps, q->id, &sp)))
			return err;
	}
	for (unsigned i = 0; i < sizeof(xdp_tx) / sizeof(xdp_tx[0]); i++)
		if ((err = pp_xdp_tx_set(&p->maps, xdp_tx[i], true)))
			return err;
	return 0;
}

static void cleanup(struct progs *p, const char *pin_root)
{
	char path[512];

	pp_maps_close(&p->maps);
	tap_test_bpf__destroy(p->tap);
	netdev_test_bpf__destroy(p->net);
	tap_xdp_test_bpf__destroy(p->tap_xdp);
	netdev_xdp_test_bpf__destroy(p->net_xdp);
	for (int i = 0; i < PPM_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_root, pp_map_desc[i].name);
		unlink(path);
	}
	rmdir(pin_root);
}

int main(void)
{
	struct progs p = {};
	char pin_root[128];
	int err, handoffs = 0;

	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/pp-test-%d", getpid());
	err = make_netns();
	if (!err)
		err = setup(&p, pin_root);
	if (err) {
		fprintf(stderr, "prog_test: setup: %s\n", strerror(-err));
		cleanup(&p, pin_root);
		printf("FAIL prog_test: setup\n");
		return 1;
	}
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		int variants = fr_ntags(&c->in) && !c->in.cut ? 2 : 1, have_tc = 0, ok;
		struct snap tc, d;

		for (int meta = 0; c->only != ONLY_XDP && meta < variants; meta++) {
			ok = run_tc(&p, c, meta, meta ? &d : &tc);
			have_tc |= !meta;
			printf("%s tc %s%s\n", ok ? "PASS" : "FAIL", c->name,
			       meta ? " [outer tag in skb metadata]" : "");
			ok ? passed++ : failed++;
		}
		if (c->only == ONLY_TC)
			continue;
		ok = run_xdp(&p, c, have_tc ? &tc : NULL);
		printf("%s xdp %s%s%s%s\n", ok ? "PASS" : "FAIL", c->name,
		       c->to_tc ? " [to TC: " : "", c->to_tc ? c->to_tc : "", c->to_tc ? "]" : "");
		ok ? passed++ : failed++;
		handoffs += !!c->to_tc;
	}
	cleanup(&p, pin_root);
	printf("prog_test: %d passed, %d failed (%d XDP hand-offs to TC)\n", passed, failed,
	       handoffs);
	return failed ? 1 : 0;
}
