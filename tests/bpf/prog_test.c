// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tables for the frame rules (DESIGN.md): each case is an
 * input frame, the expected verdict, every expected output (redirect or
 * clone: target and bytes) and the expected drop counter.
 *
 * One table, two contexts.  The programs are the PP_TEST builds of
 * bpf/tap.bpf.c and bpf/netdev.bpf.c, each compiled for TC and for XDP: the
 * same code, with redirects and clones recorded (bpf/test/test_log.h).
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "services.h"
#include "../../bpf/test/test_log.h"
#include "frames.h"
#include "xdpmode.h"
#include "progs.h"

/* ---- topology (ifindexes of bridges in the test's own namespace) ---------- */
enum { TAP1 = 11, TAP2 = 12, TAP3 = 13, DEVA = 21, DEVB = 22, DEVC = 23, DEVDE = 24,
       DEVF = 25, DEVG = 26, DEVH = 27, DEVI = 28, DEVJ = 29, NODEV = 99 };
/* Slot 2's second tap (its standby) and a retired one (check_standby_tap). */
enum { TAP4 = 14, TAP5 = 15 };
enum { NET_A = 1, NET_B, NET_C, NET_D, NET_E, NET_F, NET_G, NET_H, NET_I, NET_J };
enum { SLOT1 = 1, SLOT2, SLOT3 };

/* The host's VXLAN device (stretched networks, check_vxlan). */
enum { DEVVX = 35 };

static const uint32_t devices[] = { TAP1, TAP2, TAP3, DEVA, DEVB, DEVC, DEVDE, DEVF, DEVG,
				    DEVH, DEVI, DEVJ, NODEV, TAP4, TAP5, DEVVX };
/* What XDP may transmit to: not TAP3 (TC mode), not DEVH (no XDP transmit). */
static const uint32_t xdp_tx[] = { TAP1, TAP2, DEVA, DEVB, DEVC, DEVDE, DEVF, DEVG, DEVI, DEVJ,
				   TAP4 };

static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 0x01 };
static const uint8_t M2[6] = { 0x52, 0x54, 0, 0, 0, 0x02 };
static const uint8_t M3[6] = { 0x52, 0x54, 0, 0, 0, 0x03 };
static const uint8_t M4[6] = { 0x52, 0x54, 0, 0, 0, 0x04 };
static const uint8_t M9[6] = { 0x52, 0x54, 0, 0, 0, 0x09 };
static const uint8_t BAD[6] = { 0x52, 0x54, 0, 0, 0, 0x66 };
static const uint8_t EXT[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t BC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MC[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
/* Stretched networks: this host's VTEP, two other hosts', one unknown. */
static const uint8_t VX_LOCAL[4] = { 10, 99, 0, 1 }, VX_H2[4] = { 10, 99, 0, 2 },
		     VX_H3[4] = { 10, 99, 0, 3 }, VX_STRANGER[4] = { 10, 99, 0, 9 };
/* ... the same over an IPv6 underlay */
static const uint8_t VX6_LOCAL[16] = { 0xfd, 0, 0, 0x99, [15] = 1 },
		     VX6_H2[16] = { 0xfd, 0, 0, 0x99, [15] = 2 },
		     VX6_H3[16] = { 0xfd, 0, 0, 0x99, [15] = 3 },
		     VX6_STRANGER[16] = { 0xfd, 0, 0, 0x99, [15] = 9 };

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
	{ 12, SLOT1, NET_I, PP_MATCH_VLAN, 104, 0, M1 },	/* bind: security */
	{ 13, SLOT1, NET_I, PP_MATCH_VLAN, 105, 0, M3 },	/* bind: dhcp */
	{ 14, SLOT1, NET_J, PP_MATCH_VLAN, 106, 0, M1 },	/* bind: security with rules */
};

#define Q(v)	{ 0x8100, (v) }
#define AD(v)	{ 0x88a8, (v) }
#define QQ(v)	{ 0x9100, (v) }

/* ---- the responder's frames (built by build_service_frames) ---------------------- */
static const uint8_t GW[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };	/* net A's gateway */
static const uint8_t SN1[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x01 };	/* solicited-node */
static const uint8_t IP_GW[4] = { 10, 0, 0, 1 }, IP_P1[4] = { 10, 0, 0, 5 },
		     IP_P6[4] = { 10, 0, 0, 6 }, IP_P3[4] = { 10, 0, 0, 7 },
		     IP_UNK[4] = { 10, 0, 0, 99 };
static const uint8_t IP6_GW[16] = { 0xfd, 0, 0, 0x0a, [15] = 1 };
static const uint8_t IP6_P6[16] = { 0xfd, 0, 0, 0x0a, [15] = 6 };
static const uint8_t IP6_UNK[16] = { 0xfd, 0, 0, 0x0a, [15] = 0x99 };
static const uint8_t IP6_ANY[16] = { 0 };

/* fe80::5254:ff:fe00:xx, the link-local address of a 52:54:00:00:00:xx MAC */
static void ll_of(uint8_t ll[16], const uint8_t mac[6])
{
	memset(ll, 0, 16);
	ll[0] = 0xfe;
	ll[1] = 0x80;
	ll[8] = mac[0] ^ 2;
	ll[9] = mac[1];
	ll[10] = mac[2];
	ll[11] = 0xff;
	ll[12] = 0xfe;
	ll[13] = mac[3];
	ll[14] = mac[4];
	ll[15] = mac[5];
}

/* ARP after the tags: 0x0806 and the 28-byte body. */
static uint32_t arp_raw(uint8_t *b, int op, const uint8_t *sha, const uint8_t *spa,
			const uint8_t *tha, const uint8_t *tpa)
{
	static const uint8_t zero[6];
	uint8_t h[10] = { 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, (uint8_t)op };

	memcpy(b, h, 10);
	memcpy(b + 10, sha, 6);
	memcpy(b + 16, spa, 4);
	memcpy(b + 20, tha ? tha : zero, 6);
	memcpy(b + 26, tpa, 4);
	return 30;
}

/* The ones' complement checksum of ICMPv6 message m (len bytes) from s to d. */
static uint16_t icmp6_csum(const uint8_t *s, const uint8_t *d, const uint8_t *m, uint32_t len)
{
	uint32_t sum = 0;

	for (int i = 0; i < 16; i += 2)
		sum += (uint32_t)(s[i] << 8 | s[i + 1]) + (uint32_t)(d[i] << 8 | d[i + 1]);
	sum += len + 58;
	for (uint32_t i = 0; i < len; i += 2)
		sum += (uint32_t)(m[i] << 8 | (i + 1 < len ? m[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* After the tags: 0x86dd and an IPv6 header (payload plen, next header nh,
 * hop limit hlim), the payload zeroed.  Returns where the payload starts. */
static uint8_t *ip6_hdr(uint8_t *b, uint16_t plen, uint8_t nh, uint8_t hlim, const uint8_t *src,
			const uint8_t *dst)
{
	memset(b, 0, 2 + 40 + plen);
	b[0] = 0x86;
	b[1] = 0xdd;
	b[2] = 0x60;
	b[6] = plen >> 8;
	b[7] = plen & 0xff;
	b[8] = nh;
	b[9] = hlim;
	memcpy(b + 10, src, 16);
	memcpy(b + 26, dst, 16);
	return b + 42;
}

/* After the tags: 0x0800 and an IPv4 header (total length tot, protocol
 * proto, TTL 64, no checksum), the payload zeroed.  Returns the payload. */
static uint8_t *ip4_hdr(uint8_t *b, uint16_t tot, uint8_t proto, const uint8_t *src,
			const uint8_t *dst)
{
	memset(b, 0, 2 + tot);
	b[0] = 0x08;
	b[2] = 0x45;
	b[4] = tot >> 8;
	b[5] = tot & 0xff;
	b[10] = 64;
	b[11] = proto;
	memcpy(b + 14, src, 4);
	memcpy(b + 18, dst, 4);
	return b + 22;
}

/* The first two 16-bit words of an L4 header: ports, or ICMP type/code. */
static void l4_words(uint8_t *l4, uint16_t a, uint16_t b)
{
	l4[0] = a >> 8;
	l4[1] = a & 0xff;
	l4[2] = b >> 8;
	l4[3] = b & 0xff;
}

/* IPv6 + ICMPv6 ND after the tags: 0x86dd, the header, type, flags, target,
 * an optional link-layer option (opt_type 1 source, 2 target; 0 none). */
static uint32_t nd_raw(uint8_t *b, int type, uint32_t flags, const uint8_t *src,
		       const uint8_t *dst, uint8_t hlim, const uint8_t *target, int opt_type,
		       const uint8_t *opt_mac)
{
	uint32_t mlen = 24 + (opt_type ? 8 : 0);
	uint8_t *m = ip6_hdr(b, mlen, 58, hlim, src, dst);
	uint16_t c;

	m[0] = (uint8_t)type;
	m[4] = flags >> 24;
	memcpy(m + 8, target, 16);
	if (opt_type) {
		m[24] = (uint8_t)opt_type;
		m[25] = 1;
		memcpy(m + 26, opt_mac, 6);
	}
	c = icmp6_csum(src, dst, m, mlen);
	m[2] = c >> 8;
	m[3] = c & 0xff;
	return 2 + 40 + mlen;
}

/* Raw bytes after the tags: ARP (30), ND with a link-layer option (74), without (66). */
#define RAWA(n)		.raw = raw[n], .raw_len = 30
#define RAWN(n)		.raw = raw[n], .raw_len = 74
#define RAWN0(n)	.raw = raw[n], .raw_len = 66
enum { R_ARP_GW, R_ARP_GW_REP, R_ARP_P6_Q, R_ARP_P6_REP, R_ARP_UNK, R_ARP_OWN, R_GARP, R_ARP_REPLY,
       R_NS_GW, R_NA_GW, R_NS_P6, R_NA_P6, R_NS_GW_NOOPT, R_NS_DAD, R_NS_UNK, R_NS_HLIM,
       R_COUNT };
static uint8_t raw[R_COUNT][128];
static uint32_t raw_len[R_COUNT];

static void build_service_frames(void)
{
	uint8_t ll1[16], ll3[16], sn[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 1 };

	ll_of(ll1, M1);
	ll_of(ll3, M3);
	raw_len[R_ARP_GW] = arp_raw(raw[R_ARP_GW], 1, M1, IP_P1, NULL, IP_GW);
	raw_len[R_ARP_GW_REP] = arp_raw(raw[R_ARP_GW_REP], 2, GW, IP_GW, M1, IP_P1);
	raw_len[R_ARP_P6_Q] = arp_raw(raw[R_ARP_P6_Q], 1, M3, IP_P3, NULL, IP_P6);
	raw_len[R_ARP_P6_REP] = arp_raw(raw[R_ARP_P6_REP], 2, M2, IP_P6, M3, IP_P3);
	raw_len[R_ARP_UNK] = arp_raw(raw[R_ARP_UNK], 1, M1, IP_P1, NULL, IP_UNK);
	raw_len[R_ARP_OWN] = arp_raw(raw[R_ARP_OWN], 1, M1, IP_P1, NULL, IP_P1);
	raw_len[R_GARP] = arp_raw(raw[R_GARP], 1, M1, IP_GW, NULL, IP_GW);
	raw_len[R_ARP_REPLY] = arp_raw(raw[R_ARP_REPLY], 2, M1, IP_P1, GW, IP_GW);
	raw_len[R_NS_GW] = nd_raw(raw[R_NS_GW], 135, 0, ll1, sn, 255, IP6_GW, 1, M1);
	raw_len[R_NA_GW] = nd_raw(raw[R_NA_GW], 136, 0xe0000000, IP6_GW, ll1, 255, IP6_GW, 2, GW);
	raw_len[R_NS_P6] = nd_raw(raw[R_NS_P6], 135, 0, ll3, sn, 255, IP6_P6, 1, M3);
	raw_len[R_NA_P6] = nd_raw(raw[R_NA_P6], 136, 0x60000000, IP6_P6, ll3, 255, IP6_P6, 2, M2);
	raw_len[R_NS_GW_NOOPT] = nd_raw(raw[R_NS_GW_NOOPT], 135, 0, ll1, sn, 255, IP6_GW, 0, NULL);
	raw_len[R_NS_DAD] = nd_raw(raw[R_NS_DAD], 135, 0, IP6_ANY, sn, 255, IP6_GW, 0, NULL);
	raw_len[R_NS_UNK] = nd_raw(raw[R_NS_UNK], 135, 0, ll1, sn, 255, IP6_UNK, 1, M1);
	raw_len[R_NS_HLIM] = nd_raw(raw[R_NS_HLIM], 135, 0, ll1, sn, 64, IP6_GW, 1, M1);
}

/* The NA in a frame (tags skipped) has a valid ICMPv6 checksum. */
static int na_csum_ok(const uint8_t *fr, uint32_t len)
{
	uint32_t off = 12;

	while (off + 2 <= len && (fr[off] == 0x81 || fr[off] == 0x88) && fr[off + 1] != 0xdd)
		off += 4;
	if (off + 2 + 40 + 32 > len || fr[off] != 0x86 || fr[off + 1] != 0xdd)
		return 0;
	off += 2;
	return icmp6_csum(fr + off + 8, fr + off + 24, fr + off + 40, 32) == 0;
}

/* ---- port security's frames (port 12: vlan 104, net I) ----------------------------- */
static const uint8_t PAIR[6] = { 0x52, 0x54, 0, 0, 0, 0x77 };
static const uint8_t S_OWN[4] = { 10, 0, 5, 5 }, S_PEER[4] = { 10, 0, 5, 1 },
		     S_SPOOF[4] = { 10, 0, 5, 99 }, S_PAIRNET[4] = { 10, 0, 6, 77 },
		     S_PAIRIP[4] = { 10, 0, 5, 50 }, S_ZERO[4] = { 0 },
		     S_BCAST[4] = { 255, 255, 255, 255 };
static const uint8_t S6_OWN[16] = { 0xfd, 0, 0, 5, [15] = 5 };
static const uint8_t S6_PEER[16] = { 0xfd, 0, 0, 5, [15] = 1 };
static const uint8_t S6_SPOOF[16] = { 0xfd, 0, 0, 5, [15] = 0x99 };

/* IPv4 + UDP after the tags: 0x0800, 20 + 8 + 18 bytes (48). */
static uint32_t ip4_raw(uint8_t *b, const uint8_t *src, const uint8_t *dst, uint16_t sport,
			uint16_t dport)
{
	uint8_t *l4 = ip4_hdr(b, 46, 17, src, dst);

	l4_words(l4, sport, dport);
	l4[5] = 26;
	return 48;
}

/* IPv6 + UDP after the tags: 0x86dd, 40 + 8 + 8 bytes (58). */
static uint32_t ip6_raw(uint8_t *b, const uint8_t *src, const uint8_t *dst)
{
	uint8_t *l4 = ip6_hdr(b, 16, 17, 64, src, dst);

	l4_words(l4, 0x3000, 0x3000);
	l4[5] = 16;
	return 58;
}

#define RAW4(n)		.raw = sraw[n], .raw_len = 48
#define RAW6(n)		.raw = sraw[n], .raw_len = 58
#define SRAWA(n)	.raw = sraw[n], .raw_len = 30
#define SRAWN(n)	.raw = sraw[n], .raw_len = 74
#define SRAWN0(n)	.raw = sraw[n], .raw_len = 66
enum { S_IP4_OWN, S_IP4_SPOOF, S_IP4_PAIRNET, S_IP4_PAIRIP, S_IP4_PAIR_OWN, S_DHCP_DISC,
       S_UDP0_53, S_IP6_OWN, S_IP6_SPOOF, S_IP6_LL, S_IP6_LL_OTHER, S_ARP_OWN, S_ARP_SHA_BAD,
       S_ARP_SPA_BAD, S_ARP_PROBE, S_NS_OK, S_NS_BAD_SLLA, S_NA_BAD_TARGET, S_NS_DAD,
       S_IP4_ANY, S_ARP_RULES, S_COUNT };
static uint8_t sraw[S_COUNT][128];

static void build_security_frames(void)
{
	uint8_t ll1[16], ll_bad[16], sn[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 1 };
	static const uint8_t any[4] = { 10, 9, 9, 9 };

	ll_of(ll1, M1);
	ll_of(ll_bad, BAD);
	ip4_raw(sraw[S_IP4_OWN], S_OWN, S_PEER, 1000, 2000);
	ip4_raw(sraw[S_IP4_SPOOF], S_SPOOF, S_PEER, 1000, 2000);
	ip4_raw(sraw[S_IP4_PAIRNET], S_PAIRNET, S_PEER, 1000, 2000);
	ip4_raw(sraw[S_IP4_PAIRIP], S_PAIRIP, S_PEER, 1000, 2000);
	ip4_raw(sraw[S_IP4_PAIR_OWN], S_OWN, S_PEER, 1000, 2000);
	ip4_raw(sraw[S_DHCP_DISC], S_ZERO, S_BCAST, 68, 67);
	ip4_raw(sraw[S_UDP0_53], S_ZERO, S_BCAST, 68, 53);
	ip4_raw(sraw[S_IP4_ANY], any, S_PEER, 1000, 2000);
	ip6_raw(sraw[S_IP6_OWN], S6_OWN, S6_PEER);
	ip6_raw(sraw[S_IP6_SPOOF], S6_SPOOF, S6_PEER);
	ip6_raw(sraw[S_IP6_LL], ll1, S6_PEER);
	ip6_raw(sraw[S_IP6_LL_OTHER], ll_bad, S6_PEER);
	arp_raw(sraw[S_ARP_OWN], 1, M1, S_OWN, NULL, S_PEER);
	arp_raw(sraw[S_ARP_SHA_BAD], 1, BAD, S_OWN, NULL, S_PEER);
	arp_raw(sraw[S_ARP_SPA_BAD], 1, M1, S_SPOOF, NULL, S_PEER);
	arp_raw(sraw[S_ARP_PROBE], 1, M1, S_ZERO, NULL, S_OWN);
	arp_raw(sraw[S_ARP_RULES], 1, M1, (const uint8_t[4]){ 10, 0, 7, 5 }, NULL,
		(const uint8_t[4]){ 10, 0, 7, 1 });
	nd_raw(sraw[S_NS_OK], 135, 0, ll1, sn, 255, S6_PEER, 1, M1);
	nd_raw(sraw[S_NS_BAD_SLLA], 135, 0, ll1, sn, 255, S6_PEER, 1, BAD);
	nd_raw(sraw[S_NA_BAD_TARGET], 136, 0x60000000, ll1, S6_PEER, 255, S6_SPOOF, 2, M1);
	nd_raw(sraw[S_NS_DAD], 135, 0, IP6_ANY, sn, 255, S6_OWN, 0, NULL);
}

/* ---- stateless rules' frames (port 14: vlan 106, net J, security + rules) ------------ */
static const uint8_t R_OWN[4] = { 10, 0, 7, 5 }, R_IN[4] = { 10, 0, 7, 1 },
		     R_OUT[4] = { 10, 0, 8, 1 }, R_FROM_OK[4] = { 10, 0, 9, 9 },
		     R_FROM_BAD[4] = { 10, 0, 10, 9 };
static const uint8_t R6_OWN[16] = { 0xfd, 0, 0, 7, [15] = 5 };
static const uint8_t R6_PEER[16] = { 0xfd, 0, 0, 7, [15] = 1 };

/* IPv4 + a 20-byte L4 header whose first words are a, b (ports, or ICMP type/code). */
static uint32_t ip4_l4_raw(uint8_t *x, uint8_t proto, const uint8_t *src, const uint8_t *dst,
			   uint16_t a, uint16_t b)
{
	l4_words(ip4_hdr(x, 40, proto, src, dst), a, b);
	return 42;
}

static uint32_t ip6_tcp_raw(uint8_t *x, const uint8_t *src, const uint8_t *dst, uint16_t dport)
{
	l4_words(ip6_hdr(x, 20, 6, 64, src, dst), 0x9c00, dport);
	return 62;
}

#define RL4(n)		.raw = rraw[n], .raw_len = 42
#define RL6(n)		.raw = rraw[n], .raw_len = 62
enum { RR_TCP22_IN, RR_TCP22_OUT, RR_TCP1500, RR_TCP80, RR_UDP53, RR_ICMP8, RR_ICMP0,
       RR_TCP6_22, RR_IN_OK, RR_IN_BAD, RR_IN_UDP, RR_COUNT };
static uint8_t rraw[RR_COUNT][64];

static void build_rule_frames(void)
{
	ip4_l4_raw(rraw[RR_TCP22_IN], 6, R_OWN, R_IN, 40000, 22);
	ip4_l4_raw(rraw[RR_TCP22_OUT], 6, R_OWN, R_OUT, 40000, 22);
	ip4_l4_raw(rraw[RR_TCP1500], 6, R_OWN, R_IN, 40000, 1500);
	ip4_l4_raw(rraw[RR_TCP80], 6, R_OWN, R_IN, 40000, 80);
	ip4_l4_raw(rraw[RR_UDP53], 17, R_OWN, R_OUT, 40000, 53);
	ip4_l4_raw(rraw[RR_ICMP8], 1, R_OWN, R_OUT, 0x0800, 0);
	ip4_l4_raw(rraw[RR_ICMP0], 1, R_OWN, R_OUT, 0x0000, 0);
	ip6_tcp_raw(rraw[RR_TCP6_22], R6_OWN, R6_PEER, 22);
	ip4_l4_raw(rraw[RR_IN_OK], 6, R_FROM_OK, R_OWN, 40000, 22);
	ip4_l4_raw(rraw[RR_IN_BAD], 6, R_FROM_BAD, R_OWN, 40000, 22);
	ip4_l4_raw(rraw[RR_IN_UDP], 17, R_FROM_OK, R_OWN, 40000, 22);
}

/* Port 14's rules.  Egress: r0 tcp 22 to 10.0.7.0/24 allow, r1 tcp 1000-2000 drop,
 * r2 udp 53 allow, r3 icmp type 8 allow, r4 tcp 1500 allow (never reached: r1 first);
 * ingress: tcp 22 from 10.0.9.0/24 allow; default drop. */
static const struct pp_rule_in egress_rules[] = {
	{ .proto = 6, .allow = 1, .lo = 22, .hi = 22, .to_family = 4, .to_plen = 24,
	  .to = { 10, 0, 7, 0 } },
	{ .proto = 6, .allow = 0, .lo = 1000, .hi = 2000 },
	{ .proto = 17, .allow = 1, .lo = 53, .hi = 53 },
	{ .proto = 1, .allow = 1, .has_type = 1, .type = 8 },
	{ .proto = 6, .allow = 1, .lo = 1500, .hi = 1500 },
};
static const struct pp_rule_in ingress_rules[] = {
	{ .proto = 6, .allow = 1, .lo = 22, .hi = 22, .from_family = 4, .from_plen = 24,
	  .from = { 10, 0, 9, 0 } },
};

static int rule_put(void *arg, enum pp_map_id id, const void *key, const void *val)
{
	return pp_map_put(arg, id, key, val);
}

/* ---- cases -------------------------------------------------------------------- */
enum { P_TAP, P_NET };
enum { D_NONE, D_IPORT, D_NET };
enum { BOTH, ONLY_TC, ONLY_XDP };
enum { K_TC, K_XDP };

struct want {
	uint32_t kind, ifindex;
	struct fspec f;
	uint32_t vni;			/* a stretched network's: the tunnel key set, */
	const uint8_t *vtep;		/* to this VTEP, */
	uint8_t vfam;			/* IPv6 (PP_NEIGH_V6), else IPv4 */
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
	uint32_t tun_vni;		/* decapsulated: the tunnel key it came with, */
	const uint8_t *tun_from;	/* from this VTEP (NULL: no key), */
	uint8_t tun_fam;		/* IPv6 (PP_NEIGH_V6), else IPv4 */
	int only;			/* BOTH, ONLY_TC, ONLY_XDP */
	int xdp_tx;			/* XDP answers with XDP_TX (TC: a redirect) */
	int na;				/* the last output is an NA: check its checksum */
};

#define FR(d, s, ...)	{ .dst = (d), .src = (s), .tags = { __VA_ARGS__ } }
#define REDIR(ifi, ...)	{ .kind = PP_TEST_REDIRECT, .ifindex = (ifi), .f = __VA_ARGS__ }
#define CLONE(ifi, ...)	{ .kind = PP_TEST_CLONE, .ifindex = (ifi), .f = __VA_ARGS__ }
/* ... encapsulated: with the tunnel key (vni, remote VTEP) set when it left */
#define TREDIR(ifi, v, t, fr)	{ .kind = PP_TEST_REDIRECT, .ifindex = (ifi), .f = fr, .vni = (v), .vtep = (t) }
#define TCLONE(ifi, v, t, fr)	{ .kind = PP_TEST_CLONE, .ifindex = (ifi), .f = fr, .vni = (v), .vtep = (t) }
#define TREDIR6(ifi, v, t, fr)	{ .kind = PP_TEST_REDIRECT, .ifindex = (ifi), .f = fr, .vni = (v), \
				  .vtep = (t), .vfam = PP_NEIGH_V6 }
#define TCLONE6(ifi, v, t, fr)	{ .kind = PP_TEST_CLONE, .ifindex = (ifi), .f = fr, .vni = (v), \
				  .vtep = (t), .vfam = PP_NEIGH_V6 }
#define FWD		.verdict = TC_ACT_REDIRECT
#define DROP_IP(slot, r) .verdict = TC_ACT_SHOT, .drop = D_IPORT, .drop_idx = (slot), .reason = (r)
#define DROP_NET(n, r)	.verdict = TC_ACT_SHOT, .drop = D_NET, .drop_idx = (n), .reason = (r)
/* The documented hand-offs from XDP to TC. */
#define TO_TC(why)	.to_tc = (why)
#define FLOOD		TO_TC("a copy per local service port, each with its own tags: TC clones")
/* TEST_RUN builds TC frames within a page, and wants an IP header after 0x0800. */
#define XDP_ONLY	.only = ONLY_XDP
/* A responder's answer: back out of the tap (TC redirect, XDP_TX). */
#define XDP_TX_		.xdp_tx = 1
#define NA_		.na = 1

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

	/* --- from the VM: TPIDs (0x9100 never matches; inner tag 0x8100 only) -- */
	{ "vm: 9100/200 is no tag of the vlan 200 port (untagged port: one tag more)", P_TAP,
	  TAP1, FR(EXT, M1, QQ(200)), DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 9100/100 does not reach vlan 100's network (untagged port: one tag more)",
	  P_TAP, TAP1, FR(EXT, M1, QQ(100)), DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 9100/300 8100/10 matches no QinQ port", P_TAP, TAP1, FR(EXT, M3, QQ(300), Q(10)),
	  DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 9100/0 is no priority tag", P_TAP, TAP1, FR(EXT, M1, QQ(0)),
	  DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 9100/100 on a tap with src-mac and untagged ports", P_TAP, TAP2,
	  FR(EXT, M2, QQ(100)), DROP_IP(SLOT2, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 9100/100 on a tap with neither untagged nor src-mac port", P_TAP, TAP3,
	  FR(EXT, M4, QQ(100)), DROP_IP(SLOT3, PP_DROP_UNKNOWN_PORT) },
	{ "vm: 8100/300 88a8/10 matches no QinQ port (inner 0x8100 only)", P_TAP, TAP1,
	  FR(EXT, M3, Q(300), AD(10)), DROP_IP(SLOT1, PP_DROP_UNKNOWN_PORT) },
	{ "vm: 88a8/100 88a8/5: one tag more than vlan 100's port", P_TAP, TAP1,
	  FR(EXT, M1, AD(100), AD(5)), DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 8100/4095 then 9100", P_TAP, TAP1, FR(EXT, M1, Q(4095), QQ(5)),
	  DROP_IP(SLOT1, PP_DROP_RESERVED_VID) },
	{ "vm: priority tag over 9100", P_TAP, TAP1, FR(EXT, M1, Q(0), QQ(5)),
	  DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
	{ "vm: 88a8/300 8100/10 8100/5: three tags", P_TAP, TAP1,
	  FR(EXT, M3, AD(300), Q(10), QQ(5)), DROP_IP(SLOT1, PP_DROP_TOO_MANY_TAGS) },
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
	{ "net: 88a8/3001 is not vlan network 3001's tag", P_NET, DEVDE,
	  FR(M1, EXT, AD(3001)), DROP_NET(NET_D, PP_DROP_TAGGED_ON_UNTAGGED_NET) },
	{ "net: 9100/3001 is not vlan network 3001's tag", P_NET, DEVDE,
	  FR(M1, EXT, QQ(3001)), DROP_NET(NET_D, PP_DROP_TAGGED_ON_UNTAGGED_NET) },
	{ "net: 88a8/3001 8100/5 on a shared device", P_NET, DEVDE,
	  FR(M1, EXT, AD(3001), Q(5)), DROP_NET(NET_D, PP_DROP_TAGGED_ON_UNTAGGED_NET) },
	{ "net: 88a8/0 on an untagged network (no priority tag)", P_NET, DEVC,
	  FR(M1, EXT, AD(0)), DROP_NET(NET_C, PP_DROP_TAGGED_ON_UNTAGGED_NET) },
	{ "net: 9100/0 on an untagged network", P_NET, DEVC,
	  FR(M1, EXT, QQ(0)), DROP_NET(NET_C, PP_DROP_TAGGED_ON_UNTAGGED_NET) },
	{ "net: 88a8/3002 on a vlan-only device", P_NET, DEVF, FR(M1, EXT, AD(3002)),
	  DROP_NET(0, PP_DROP_UNKNOWN_PORT) },
	{ "net: 9100/3002 on a vlan-only device", P_NET, DEVF, FR(M1, EXT, QQ(3002)),
	  DROP_NET(0, PP_DROP_UNKNOWN_PORT) },
	{ "net: 8100/3001 then 9100 on a shared device", P_NET, DEVDE,
	  FR(M1, EXT, Q(3001), QQ(5)), DROP_NET(NET_D, PP_DROP_TOO_MANY_TAGS) },
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
	{ "net: two tags on an untagged network", P_NET, DEVA, FR(M1, EXT, Q(7), Q(5)),
	  DROP_NET(NET_A, PP_DROP_TOO_MANY_TAGS) },
	{ "net: 88a8/7 8100/5 on an untagged network", P_NET, DEVA, FR(M1, EXT, AD(7), Q(5)),
	  DROP_NET(NET_A, PP_DROP_TAGGED_ON_UNTAGGED_NET) },
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

	/* --- services: the ARP / NDP responder (ports 1 and 3 of net A) ------------ */
	{ "responder: ARP for the gateway on vlan 100 -> reply on vlan 100", P_TAP, TAP1,
	  { .dst = BC, .src = M1, .tags = { Q(100) }, RAWA(R_ARP_GW) }, FWD, XDP_TX_,
	  .out = { REDIR(TAP1, { .dst = M1, .src = GW, .tags = { Q(100) }, RAWA(R_ARP_GW_REP) }) } },
	{ "responder: ARP with PCP 5 -> reply tagged 8100/100, PCP 0", P_TAP, TAP1,
	  { .dst = BC, .src = M1, .tags = { Q(0xa000 | 100) }, RAWA(R_ARP_GW) }, FWD, XDP_TX_,
	  .out = { REDIR(TAP1, { .dst = M1, .src = GW, .tags = { Q(100) }, RAWA(R_ARP_GW_REP) }) } },
	{ "responder: ARP on QinQ for another port's address -> reply 88a8/300 8100/10", P_TAP,
	  TAP1, { .dst = BC, .src = M3, .tags = { AD(300), Q(10) }, RAWA(R_ARP_P6_Q) }, FWD,
	  XDP_TX_, .out = { REDIR(TAP1, { .dst = M3, .src = M2, .tags = { AD(300), Q(10) },
					RAWA(R_ARP_P6_REP) }) } },
	{ "responder: ARP for an unknown address floods as usual", P_TAP, TAP1,
	  { .dst = BC, .src = M1, .tags = { Q(100) }, RAWA(R_ARP_UNK) }, FWD,
	  .out = { CLONE(TAP1, { .dst = BC, .src = M1, .tags = { AD(300), Q(10) }, RAWA(R_ARP_UNK) }),
		   CLONE(TAP2, { .dst = BC, .src = M1, .tags = { Q(100) }, RAWA(R_ARP_UNK) }),
		   REDIR(DEVA, { .dst = BC, .src = M1, RAWA(R_ARP_UNK) }) }, FLOOD },
	{ "responder: ARP for the port's own address floods as usual", P_TAP, TAP1,
	  { .dst = BC, .src = M1, .tags = { Q(100) }, RAWA(R_ARP_OWN) }, FWD,
	  .out = { CLONE(TAP1, { .dst = BC, .src = M1, .tags = { AD(300), Q(10) }, RAWA(R_ARP_OWN) }),
		   CLONE(TAP2, { .dst = BC, .src = M1, .tags = { Q(100) }, RAWA(R_ARP_OWN) }),
		   REDIR(DEVA, { .dst = BC, .src = M1, RAWA(R_ARP_OWN) }) }, FLOOD },
	{ "responder: gratuitous ARP goes on", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, RAWA(R_GARP) }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, RAWA(R_GARP) }) } },
	{ "responder: ARP reply goes on", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, RAWA(R_ARP_REPLY) }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, RAWA(R_ARP_REPLY) }) } },
	{ "responder: not bound on vlan 200: ARP for the gateway goes to net B", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(200) }, RAWA(R_ARP_GW) }, FWD,
	  .out = { REDIR(DEVB, { .dst = EXT, .src = M1, RAWA(R_ARP_GW) }) } },
	{ "responder: runt ARP (cut in its body) goes on", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, RAWA(R_ARP_GW), .cut = 40 }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, RAWA(R_ARP_GW), .cut = 36 }) } },
	{ "responder: NS for the gateway -> NA (router, solicited, override; checksum)", P_TAP,
	  TAP1, { .dst = SN1, .src = M1, .tags = { Q(100) }, RAWN(R_NS_GW) }, FWD, XDP_TX_, NA_,
	  .out = { REDIR(TAP1, { .dst = M1, .src = GW, .tags = { Q(100) }, RAWN(R_NA_GW) }) } },
	{ "responder: NS on QinQ for another port's address -> NA (no router flag)", P_TAP, TAP1,
	  { .dst = SN1, .src = M3, .tags = { AD(300), Q(10) }, RAWN(R_NS_P6) }, FWD, XDP_TX_, NA_,
	  .out = { REDIR(TAP1, { .dst = M3, .src = M2, .tags = { AD(300), Q(10) },
				 RAWN(R_NA_P6) }) } },
	{ "responder: NS without a source link-layer option -> NA, 8 bytes longer", P_TAP, TAP1,
	  { .dst = SN1, .src = M1, .tags = { Q(100) }, RAWN0(R_NS_GW_NOOPT) }, FWD, NA_,
	  .out = { REDIR(TAP1, { .dst = M1, .src = GW, .tags = { Q(100) }, RAWN(R_NA_GW) }) },
	  TO_TC("the answer is longer than the question: XDP has no tailroom to count on") },
	{ "responder: duplicate address detection (NS from ::) goes on", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, RAWN0(R_NS_DAD) }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, RAWN0(R_NS_DAD) }) } },
	{ "responder: NS for an unknown target goes on", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, RAWN(R_NS_UNK) }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, RAWN(R_NS_UNK) }) } },
	{ "responder: NS with hop limit 64 goes on", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, RAWN(R_NS_HLIM) }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, RAWN(R_NS_HLIM) }) } },
	/* --- services: port security (port 12: vlan 104 -> net I, untagged there) ---------- */
#define SEC_IN(s_, r_)		{ .dst = EXT, .src = (s_), .tags = { Q(104) }, r_ }
#define SEC_OUT(s_, r_)		REDIR(DEVI, { .dst = EXT, .src = (s_), r_ })
#define SEC_SPOOFED		DROP_IP(SLOT1, PP_DROP_SPOOFED)
	{ "security: IPv4 from its address passes", P_TAP, TAP1, SEC_IN(M1, RAW4(S_IP4_OWN)), FWD,
	  .out = { SEC_OUT(M1, RAW4(S_IP4_OWN)) } },
	{ "security: spoofed IPv4 source", P_TAP, TAP1, SEC_IN(M1, RAW4(S_IP4_SPOOF)), SEC_SPOOFED },
	{ "security: allowed pair (its MAC, 10.0.6.0/24) passes", P_TAP, TAP1,
	  SEC_IN(M1, RAW4(S_IP4_PAIRNET)), FWD, .out = { SEC_OUT(M1, RAW4(S_IP4_PAIRNET)) } },
	{ "security: allowed pair (another MAC, its address) passes", P_TAP, TAP1,
	  SEC_IN(PAIR, RAW4(S_IP4_PAIRIP)), FWD, .out = { SEC_OUT(PAIR, RAW4(S_IP4_PAIRIP)) } },
	{ "security: an allowed pair's MAC with the port's address is spoofed", P_TAP, TAP1,
	  SEC_IN(PAIR, RAW4(S_IP4_PAIR_OWN)), SEC_SPOOFED },
	{ "security: a MAC in no pair is spoofed", P_TAP, TAP1, SEC_IN(BAD, RAW4(S_IP4_OWN)),
	  SEC_SPOOFED },
	{ "security: DHCP DISCOVER from 0.0.0.0:68 to :67 passes", P_TAP, TAP1,
	  { .dst = BC, .src = M1, .tags = { Q(104) }, RAW4(S_DHCP_DISC) }, FWD,
	  .out = { CLONE(TAP1, { .dst = BC, .src = M1, .tags = { Q(105) }, RAW4(S_DHCP_DISC) }),
		   REDIR(DEVI, { .dst = BC, .src = M1, RAW4(S_DHCP_DISC) }) }, FLOOD },
	{ "security: UDP from 0.0.0.0 to another port is spoofed", P_TAP, TAP1,
	  { .dst = BC, .src = M1, .tags = { Q(104) }, RAW4(S_UDP0_53) }, SEC_SPOOFED },
	{ "security: IPv6 from its address passes", P_TAP, TAP1, SEC_IN(M1, RAW6(S_IP6_OWN)), FWD,
	  .out = { SEC_OUT(M1, RAW6(S_IP6_OWN)) } },
	{ "security: spoofed IPv6 source", P_TAP, TAP1, SEC_IN(M1, RAW6(S_IP6_SPOOF)), SEC_SPOOFED },
	{ "security: IPv6 link-local of its MAC passes", P_TAP, TAP1, SEC_IN(M1, RAW6(S_IP6_LL)),
	  FWD, .out = { SEC_OUT(M1, RAW6(S_IP6_LL)) } },
	{ "security: IPv6 link-local of another MAC is spoofed", P_TAP, TAP1,
	  SEC_IN(M1, RAW6(S_IP6_LL_OTHER)), SEC_SPOOFED },
	{ "security: ARP with its own sender passes", P_TAP, TAP1, SEC_IN(M1, SRAWA(S_ARP_OWN)), FWD,
	  .out = { SEC_OUT(M1, SRAWA(S_ARP_OWN)) } },
	{ "security: ARP sender MAC is not the frame's: spoofed", P_TAP, TAP1,
	  SEC_IN(M1, SRAWA(S_ARP_SHA_BAD)), SEC_SPOOFED },
	{ "security: ARP sender address spoofed", P_TAP, TAP1, SEC_IN(M1, SRAWA(S_ARP_SPA_BAD)),
	  SEC_SPOOFED },
	{ "security: ARP probe (sender 0.0.0.0) passes", P_TAP, TAP1,
	  SEC_IN(M1, SRAWA(S_ARP_PROBE)), FWD, .out = { SEC_OUT(M1, SRAWA(S_ARP_PROBE)) } },
	{ "security: NS with its own source link-layer option passes", P_TAP, TAP1,
	  SEC_IN(M1, SRAWN(S_NS_OK)), FWD, .out = { SEC_OUT(M1, SRAWN(S_NS_OK)) } },
	{ "security: NS with another source link-layer address is spoofed", P_TAP, TAP1,
	  SEC_IN(M1, SRAWN(S_NS_BAD_SLLA)), SEC_SPOOFED },
	{ "security: NA for a target that is not its own is spoofed", P_TAP, TAP1,
	  SEC_IN(M1, SRAWN(S_NA_BAD_TARGET)), SEC_SPOOFED },
	{ "security: duplicate address detection (NS from ::) passes", P_TAP, TAP1,
	  SEC_IN(M1, SRAWN0(S_NS_DAD)), FWD, .out = { SEC_OUT(M1, SRAWN0(S_NS_DAD)) } },
	{ "security: vlan 100 on the same tap (no security) is unaffected", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, RAW4(S_IP4_ANY) }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, RAW4(S_IP4_ANY) }) } },
	/* --- services: stateless rules (port 14: vlan 106 -> net J; default drop) ----------- */
#define RULE_IN(r_)		{ .dst = EXT, .src = M1, .tags = { Q(106) }, r_ }
#define RULE_OUT(r_)		REDIR(DEVJ, { .dst = EXT, .src = M1, r_ })
#define RULE_DROP		.verdict = TC_ACT_SHOT	/* counted as rule_drops, per rule */
	{ "rules: egress tcp 22 to 10.0.7.0/24 allowed (rule 0)", P_TAP, TAP1,
	  RULE_IN(RL4(RR_TCP22_IN)), FWD, .out = { RULE_OUT(RL4(RR_TCP22_IN)) } },
	{ "rules: egress tcp 22 elsewhere: no rule, default drop", P_TAP, TAP1,
	  RULE_IN(RL4(RR_TCP22_OUT)), RULE_DROP },
	{ "rules: egress tcp 1500: first match wins (rule 1 drop before rule 4 allow)", P_TAP, TAP1,
	  RULE_IN(RL4(RR_TCP1500)), RULE_DROP },
	{ "rules: egress tcp 80: default drop", P_TAP, TAP1, RULE_IN(RL4(RR_TCP80)), RULE_DROP },
	{ "rules: egress udp 53 allowed (rule 2)", P_TAP, TAP1, RULE_IN(RL4(RR_UDP53)), FWD,
	  .out = { RULE_OUT(RL4(RR_UDP53)) } },
	{ "rules: egress ICMP echo request allowed (rule 3, type 8)", P_TAP, TAP1,
	  RULE_IN(RL4(RR_ICMP8)), FWD, .out = { RULE_OUT(RL4(RR_ICMP8)) } },
	{ "rules: egress ICMP echo reply (type 0): default drop", P_TAP, TAP1,
	  RULE_IN(RL4(RR_ICMP0)), RULE_DROP },
	{ "rules: egress IPv6 tcp 22: rule 0 is IPv4 only: default drop", P_TAP, TAP1,
	  RULE_IN(RL6(RR_TCP6_22)), RULE_DROP },
	{ "rules: ARP is not judged by rules", P_TAP, TAP1,
	  RULE_IN(SRAWA(S_ARP_RULES)), FWD, .out = { RULE_OUT(SRAWA(S_ARP_RULES)) } },
	{ "rules: ingress tcp 22 from 10.0.9.0/24 delivered", P_NET, DEVJ,
	  { .dst = M1, .src = EXT, RL4(RR_IN_OK) }, FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = EXT, .tags = { Q(106) }, RL4(RR_IN_OK) }) } },
	{ "rules: ingress tcp 22 from elsewhere: default drop", P_NET, DEVJ,
	  { .dst = M1, .src = EXT, RL4(RR_IN_BAD) }, RULE_DROP },
	{ "rules: ingress udp 22: default drop", P_NET, DEVJ,
	  { .dst = M1, .src = EXT, RL4(RR_IN_UDP) }, RULE_DROP },
	{ "rules: vlan 100 on the same tap (no rules) is unaffected", P_TAP, TAP1,
	  { .dst = EXT, .src = M1, .tags = { Q(100) }, RL4(RR_TCP80) }, FWD,
	  .out = { REDIR(DEVA, { .dst = EXT, .src = M1, RL4(RR_TCP80) }) } },
};

/* ---- runner ------------------------------------------------------------------ */
static int passed, failed;

/* A test's result: "PASS name" or "FAIL name", counted (fmt names it). */
__attribute__((format(printf, 2, 3)))
static void result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	ok ? passed++ : failed++;
}

static void dump(const char *what, const uint8_t *p, uint32_t n)
{
	fprintf(stderr, "      %s (%u):", what, n);
	for (uint32_t i = 0; i < n && i < 48; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "%s\n", n > 48 ? " ..." : "");
}

/* Every counter the table can move: service-port rx/tx, drops by reason. */
#define NSPORTS	64
#define NIDX	32
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
				memcpy(s->drop[k][i], d.reason, sizeof(s->drop[k][i]));
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

/*
 * c's input frame through its program, TC or XDP (meta: TC with the outer tag
 * in skb metadata); r gets the run, *delta the counters it moved.  0 if
 * TEST_RUN failed.
 */
static int run_counted(struct progs *p, const struct tcase *c, int xdp, int meta,
		       struct prog_run *r, struct snap *delta)
{
	static uint8_t in[FR_MAX], out[FR_MAX];
	struct snap before, after;
	int err;

	*r = (struct prog_run){ .tap = c->prog == P_TAP, .xdp = xdp, .meta = meta,
				.ifindex = c->ifindex, .in = in, .len = fr_build(in, &c->in),
				.out = out, .out_size = sizeof(out) };
	snap_take(&p->maps, &before);
	/* the tunnel key: none set yet; presented to a decapsulated frame (TC) */
	memset(&p->tap->bss->pp_test_tun, 0, sizeof(p->tap->bss->pp_test_tun));
	memset(&p->net->bss->pp_test_tun, 0, sizeof(p->net->bss->pp_test_tun));
	memset(&p->net->bss->pp_test_tun_in, 0, sizeof(p->net->bss->pp_test_tun_in));
	if (c->tun_from) {
		p->net->bss->pp_test_tun_in.present = 1;
		p->net->bss->pp_test_tun_in.vni = c->tun_vni;
		p->net->bss->pp_test_tun_in.family = c->tun_fam ?: PP_NEIGH_V4;
		memcpy(p->net->bss->pp_test_tun_in.remote, c->tun_from,
		       c->tun_fam == PP_NEIGH_V6 ? 16 : 4);
	}
	err = progs_run(p, r);
	memset(&p->net->bss->pp_test_tun_in, 0, sizeof(p->net->bss->pp_test_tun_in));
	if (err) {
		fprintf(stderr, "    test_run: %s\n", strerror(-err));
		return 0;
	}
	snap_take(&p->maps, &after);
	snap_delta(&before, &after, delta);
	return 1;
}

/* The run gave verdict and nwant outputs. */
static int check_verdict(const struct prog_run *r, int verdict, int nwant)
{
	int ok = 1;

	if ((int)r->retval != verdict) {
		fprintf(stderr, "    verdict %d, want %d\n", (int)r->retval, verdict);
		ok = 0;
	}
	if ((int)r->nlog != nwant) {
		fprintf(stderr, "    %u outputs, want %d\n", r->nlog, nwant);
		ok = 0;
	}
	return ok;
}

/* Frame got (gl bytes) is want (wl bytes), its first n bytes compared; else say which (fmt). */
__attribute__((format(printf, 6, 7)))
static int same_frame(const uint8_t *got, uint32_t gl, const uint8_t *want, uint32_t wl,
		      uint32_t n, const char *fmt, ...)
{
	va_list ap;

	if (gl == wl && !memcmp(got, want, n))
		return 1;
	fprintf(stderr, "    ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	dump("got ", got, gl);
	dump("want", want, wl);
	return 0;
}

/* One TC run; *delta gets the counters it moved. */
/* Output i left with the tunnel key w wants (its VNI, to its VTEP, from this host's). */
static int tun_ok(int i, const struct pp_test_tun *t, const struct want *w)
{
	int fam = w->vfam ?: PP_NEIGH_V4, n = fam == PP_NEIGH_V6 ? 16 : 4;
	char got[INET6_ADDRSTRLEN] = "", from[INET6_ADDRSTRLEN] = "", want[INET6_ADDRSTRLEN] = "";
	int af = fam == PP_NEIGH_V6 ? AF_INET6 : AF_INET;

	if (t->present && t->vni == w->vni && t->family == fam && !memcmp(t->remote, w->vtep, n) &&
	    !memcmp(t->local, fam == PP_NEIGH_V6 ? VX6_LOCAL : VX_LOCAL, n))
		return 1;
	inet_ntop(t->family == PP_NEIGH_V6 ? AF_INET6 : AF_INET, t->remote, got, sizeof(got));
	inet_ntop(t->family == PP_NEIGH_V6 ? AF_INET6 : AF_INET, t->local, from, sizeof(from));
	inet_ntop(af, w->vtep, want, sizeof(want));
	fprintf(stderr, "    output %d: tunnel key %s vni %u to %s from %s, want vni %u to %s\n", i,
		t->present ? "set" : "NOT set", t->vni, got, from, w->vni, want);
	return 0;
}

static int run_tc(struct progs *p, const struct tcase *c, int meta, struct snap *delta)
{
	static uint8_t want[FR_MAX], got[FR_MAX + 8];
	int ok, nwant = nwant_of(c);
	struct prog_run r;
	uint32_t n, wl;

	if (!run_counted(p, c, 0, meta, &r, delta))
		return 0;
	ok = check_verdict(&r, c->verdict, nwant);
	for (int i = 0; i < nwant && i < (int)r.nlog; i++) {
		const struct want *w = &c->out[i];
		const struct pp_test_out *g = &r.log[i];

		n = fr_build(want, &w->f);
		if (g->kind != w->kind || g->ifindex != w->ifindex) {
			fprintf(stderr, "    output %d: kind %u -> %u, want kind %u -> %u\n", i,
				g->kind, g->ifindex, w->kind, w->ifindex);
			ok = 0;
		}
		if (g->kind == PP_TEST_REDIRECT && i == nwant - 1)
			wl = wire(g, r.out, r.size_out, got);	/* the whole frame */
		else
			wl = wire(g, g->data, g->len < PP_TEST_SNAP ? g->len : PP_TEST_SNAP, got) +
			     (g->len > PP_TEST_SNAP ? g->len - PP_TEST_SNAP : 0);
		if (!same_frame(got, wl, want, n, n < PP_TEST_SNAP || g->kind == PP_TEST_REDIRECT ?
						  n : PP_TEST_SNAP,
				"output %d to %u differs", i, w->ifindex))
			ok = 0;
		if (w->vni && !tun_ok(i, &g->tun, w))
			ok = 0;
		if (c->na && i == nwant - 1 && !na_csum_ok(got, wl)) {
			fprintf(stderr, "    output %d: the NA's ICMPv6 checksum is wrong\n", i);
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
	static uint8_t want[FR_MAX];
	struct snap delta, zero = {};
	int ok, nwant = nwant_of(c), verdict;
	struct prog_run r;
	uint32_t n;

	if (!run_counted(p, c, 1, 0, &r, &delta))
		return 0;
	if (c->to_tc) {		/* handed to TC (XDP_PASS): untouched, uncounted */
		ok = check_verdict(&r, XDP_PASS, 0);
		if (!same_frame(r.out, r.size_out, r.in, r.len, r.len,
				"the frame changed before the hand-off"))
			ok = 0;
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
	verdict = c->verdict != TC_ACT_REDIRECT ? XDP_DROP : c->xdp_tx ? XDP_TX : XDP_REDIRECT;
	ok = check_verdict(&r, verdict, nwant);
	if (nwant && r.nlog) {
		n = fr_build(want, &c->out[0].f);
		if (r.log[0].ifindex != c->out[0].ifindex) {
			fprintf(stderr, "    redirect to %u, want %u\n", r.log[0].ifindex,
				c->out[0].ifindex);
			ok = 0;
		}
		if (!same_frame(r.out, r.size_out, want, n, n, "output to %u differs",
				c->out[0].ifindex))
			ok = 0;
		if (c->na && !na_csum_ok(r.out, r.size_out)) {
			fprintf(stderr, "    the NA's ICMPv6 checksum is wrong\n");
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
 * Case c through TC (variants 2: again with its outer tag in skb metadata)
 * and XDP, as its .only allows; XDP's counters must move as TC's did.
 */
static void run_case(struct progs *p, const struct tcase *c, int variants)
{
	struct snap tc, d;
	int have_tc = 0;

	for (int meta = 0; c->only != ONLY_XDP && meta < variants; meta++) {
		result(run_tc(p, c, meta, meta ? &d : &tc), "tc %s%s", c->name,
		       meta ? " [outer tag in skb metadata]" : "");
		have_tc |= !meta;
	}
	if (c->only != ONLY_TC)
		result(run_xdp(p, c, have_tc ? &tc : NULL), "xdp %s%s%s%s", c->name,
		       c->to_tc ? " [to TC: " : "", c->to_tc ? c->to_tc : "", c->to_tc ? "]" : "");
}

/* ---- the DHCP server (port 13: vlan 105, net I, MAC M3) ------------------------------
 * Not a table: the replies are parsed back field by field (Ethernet, tag, IPv4
 * with its checksum, UDP with its checksum over the pseudo-header, BOOTP, every
 * option), for TC (both tag placements); XDP must hand every DHCP frame to TC
 * untouched and uncounted. */
static const uint8_t D_YI[4] = { 10, 0, 5, 5 }, D_GW[4] = { 10, 0, 5, 1 },
		     D_OTHER[4] = { 10, 0, 5, 9 }, D_OSRV[4] = { 10, 0, 5, 77 },
		     D_DNS[4] = { 10, 0, 5, 2 };
enum { DM_OK, DM_COOKIE, DM_PAST_END, DM_HUGE, DM_NO_END, DM_NO_TYPE, DM_OP };

/* A DHCP request from M3 on vlan 105 (untagged part after the tag): returns its length. */
static uint32_t dhcp_req(uint8_t *f, int type, const uint8_t *ciaddr, const uint8_t *req,
			 const uint8_t *sid, int bad)
{
	uint8_t *ip, *udp, *bp, *o;
	uint32_t n = 0, bootp_len, src_is_ci = ciaddr != NULL;

	memset(f, 0, 600);
	memcpy(f, src_is_ci ? GW : BC, 6);
	memcpy(f + 6, M3, 6);
	f[12] = 0x81;
	f[14] = 0;
	f[15] = 105;
	f[16] = 0x08;
	ip = f + 18;
	udp = ip + 20;
	bp = udp + 8;
	o = bp + 240;
	bp[0] = bad == DM_OP ? 2 : 1;
	bp[1] = 1;
	bp[2] = 6;
	bp[4] = 0x12; bp[5] = 0x34; bp[6] = 0x56; bp[7] = 0x78;
	bp[10] = 0x80;			/* broadcast flag */
	if (ciaddr)
		memcpy(bp + 12, ciaddr, 4);
	memcpy(bp + 28, M3, 6);
	bp[236] = 0x63; bp[237] = 0x82; bp[238] = 0x53; bp[239] = bad == DM_COOKIE ? 0x64 : 0x63;
	if (bad != DM_NO_TYPE) {
		o[n++] = 53; o[n++] = 1; o[n++] = (uint8_t)type;
	}
	o[n++] = 55; o[n++] = 3; o[n++] = 1; o[n++] = 3; o[n++] = 6;
	if (req) {
		o[n++] = 50; o[n++] = 4; memcpy(o + n, req, 4); n += 4;
	}
	if (sid) {
		o[n++] = 54; o[n++] = 4; memcpy(o + n, sid, 4); n += 4;
	}
	if (bad == DM_PAST_END) {
		o[n++] = 12; o[n++] = 20; o[n++] = 'v'; o[n++] = 'm';	/* 20 bytes said, 2 there */
		bootp_len = 240 + n;
	} else if (bad == DM_HUGE) {
		o[n++] = 12; o[n++] = 255; o[n++] = 'x';
		bootp_len = 300;
	} else if (bad == DM_NO_END) {
		bootp_len = 240 + n;
	} else {
		o[n++] = 255;
		bootp_len = 300;	/* padded to the BOOTP minimum, as clients do */
	}
	ip[0] = 0x45;
	ip[2] = (20 + 8 + bootp_len) >> 8;
	ip[3] = (20 + 8 + bootp_len) & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	if (ciaddr) {
		memcpy(ip + 12, ciaddr, 4);
		memcpy(ip + 16, D_GW, 4);
	} else {
		memset(ip + 16, 0xff, 4);
	}
	udp[1] = 68;
	udp[3] = 67;
	udp[4] = (8 + bootp_len) >> 8;
	udp[5] = (8 + bootp_len) & 0xff;
	return 18 + 20 + 8 + bootp_len;
}

#define DCHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "    " __VA_ARGS__); \
	fprintf(stderr, "\n"); ok = 0; } } while (0)

/* Parse the reply r (len bytes, tag in the frame) back, field by field. */
static int dhcp_check_reply(const uint8_t *r, uint32_t len, int type, const uint8_t *ipdst,
			    const uint8_t *ciaddr)
{
	const uint8_t *ip = r + 18, *udp = ip + 20, *bp = udp + 8, *o = bp + 240;
	static const uint8_t bc4[4] = { 255, 255, 255, 255 }, mask[4] = { 255, 255, 255, 0 };
	static const uint8_t rt[] = { 16, 192, 168, 10, 0, 5, 1, 0, 10, 0, 5, 1 };
	int ok = 1, seen = 0;
	uint32_t n, i;

	DCHECK(len == 18 + 460, "reply length %u, want 478 (474 + tag)", len);
	if (len < 18 + 460)
		return 0;
	DCHECK(!memcmp(r, M3, 6), "Ethernet destination is not the client");
	DCHECK(!memcmp(r + 6, GW, 6), "Ethernet source is not the gateway's MAC");
	DCHECK(r[12] == 0x81 && r[13] == 0 && r[14] == 0 && r[15] == 105, "not tagged 8100/105");
	DCHECK(r[16] == 0x08 && r[17] == 0, "ethertype not IPv4");
	DCHECK(ip[0] == 0x45 && (ip[2] << 8 | ip[3]) == 460 && ip[8] == 64 && ip[9] == 17,
	       "IPv4 header fields");
	DCHECK(fr_csum(ip, 20, 0) == 0xffff, "IPv4 header checksum");
	DCHECK(!memcmp(ip + 12, D_GW, 4), "IPv4 source is not the gateway");
	DCHECK(!memcmp(ip + 16, ipdst ? ipdst : bc4, 4), "IPv4 destination");
	DCHECK((udp[0] << 8 | udp[1]) == 67 && (udp[2] << 8 | udp[3]) == 68 &&
	       (udp[4] << 8 | udp[5]) == 440, "UDP ports/length");
	DCHECK(udp[6] | udp[7], "UDP checksum left out");
	DCHECK(fr_udp4_csum_ok(ip, udp, 440), "UDP checksum");
	DCHECK(bp[0] == 2 && bp[1] == 1 && bp[2] == 6, "BOOTREPLY header");
	DCHECK(bp[4] == 0x12 && bp[5] == 0x34 && bp[6] == 0x56 && bp[7] == 0x78, "xid");
	DCHECK(bp[10] == 0x80, "flags");
	DCHECK(!memcmp(bp + 12, ciaddr ? ciaddr : S_ZERO, 4), "ciaddr");
	DCHECK(!memcmp(bp + 16, type == 6 ? S_ZERO : D_YI, 4), "yiaddr");
	DCHECK(!memcmp(bp + 28, M3, 6), "chaddr");
	DCHECK(bp[236] == 0x63 && bp[237] == 0x82 && bp[238] == 0x53 && bp[239] == 0x63, "cookie");
	for (n = 0; n < 192 && o[n] != 255;) {
		uint8_t c = o[n], l = o[n + 1];
		const uint8_t *v = o + n + 2;

		DCHECK(c != 0 && n + 2 + l <= 192, "option %u at %u runs past the end", c, n);
		if (!ok)
			break;
		seen |= 1 << (c % 32);
		switch (c) {
		case 53: DCHECK(l == 1 && v[0] == type, "message type %u, want %d", v[0], type); break;
		case 54: DCHECK(l == 4 && !memcmp(v, D_GW, 4), "server identifier"); break;
		case 51: DCHECK(l == 4 && v[0] == 0 && v[1] == 0 && v[2] == 0x0e && v[3] == 0x10,
				"lease, want 3600"); break;
		case 1: DCHECK(l == 4 && !memcmp(v, mask, 4), "subnet mask"); break;
		case 3: DCHECK(l == 4 && !memcmp(v, D_GW, 4), "router"); break;
		case 6: DCHECK(l == 4 && !memcmp(v, D_DNS, 4), "DNS"); break;
		case 26: DCHECK(l == 2 && (v[0] << 8 | v[1]) == 1450, "MTU, want 1450"); break;
		case 121: DCHECK(l == sizeof(rt) && !memcmp(v, rt, sizeof(rt)), "classless routes"); break;
		default: DCHECK(0, "unexpected option %u", c);
		}
		n += 2 + l;
	}
	DCHECK(n < 192 && o[n] == 255, "no end option");
	for (i = n + 1; i < 192; i++)
		DCHECK(!o[i], "garbage after the end option");
	if (type == 6)
		DCHECK(seen == ((1 << 53 % 32) | (1 << 54 % 32)), "a NAK carries only 53 and 54");
	else
		DCHECK(seen == ((1 << 53 % 32) | (1 << 54 % 32) | (1 << 51 % 32) | (1 << 1) |
				(1 << 3) | (1 << 6) | (1 << 26) | (1 << 121 % 32)),
		       "options missing: %#x", seen);
	return ok;
}

struct dcase {
	const char *name;
	int type;			/* request's message type */
	const uint8_t *ciaddr, *req, *sid;
	int bad;			/* DM_* */
	int want;			/* reply type, 0: forwarded as usual, -1: dropped malformed */
	const uint8_t *ipdst;		/* the reply's IP destination, NULL: broadcast */
};

static const struct dcase dcases[] = {
	{ "dhcp: DISCOVER -> OFFER", 1, NULL, NULL, NULL, DM_OK, 2, NULL },
	{ "dhcp: REQUEST (selecting) -> ACK", 3, NULL, D_YI, D_GW, DM_OK, 5, NULL },
	{ "dhcp: REQUEST for another address -> NAK", 3, NULL, D_OTHER, D_GW, DM_OK, 6, NULL },
	{ "dhcp: REQUEST (renewing, from its address) -> ACK to it", 3, D_YI, NULL, NULL, DM_OK, 5,
	  D_YI },
	{ "dhcp: REQUEST naming another server goes on", 3, NULL, D_YI, D_OSRV, DM_OK, 0, NULL },
	{ "dhcp: malformed: bad magic cookie", 1, NULL, NULL, NULL, DM_COOKIE, -1, NULL },
	{ "dhcp: malformed: an option runs past the end", 1, NULL, NULL, NULL, DM_PAST_END, -1, NULL },
	{ "dhcp: malformed: a huge option length", 1, NULL, NULL, NULL, DM_HUGE, -1, NULL },
	{ "dhcp: malformed: no end option", 1, NULL, NULL, NULL, DM_NO_END, -1, NULL },
	{ "dhcp: malformed: no message type", 1, NULL, NULL, NULL, DM_NO_TYPE, -1, NULL },
	{ "dhcp: malformed: a BOOTREPLY from the VM", 1, NULL, NULL, NULL, DM_OP, -1, NULL },
};

static void svc_get(struct pp_maps *m, struct pp_svc_stats *s)
{
	memset(s, 0, sizeof(*s));
	pp_svc_stats_get(m, 13, s);
}

/* A request through TC (meta: its tag in skb metadata) or XDP, which must hand it to TC. */
static int run_dhcp(struct progs *p, const struct dcase *c, int xdp, int meta)
{
	static uint8_t in[FR_MAX], out[FR_MAX], got[FR_MAX + 8];
	struct prog_run r = { .tap = 1, .xdp = xdp, .meta = meta, .ifindex = TAP1, .in = in,
			      .out = out, .out_size = sizeof(out) };
	struct pp_svc_stats s0, s1;
	struct pp_drops d0 = {}, d1 = {};
	uint32_t wl;
	int ok = 1;

	r.len = dhcp_req(in, c->type, c->ciaddr, c->req, c->sid, c->bad);
	memset(p->tap->bss->pp_test_log, 0, sizeof(p->tap->bss->pp_test_log));
	svc_get(&p->maps, &s0);
	pp_iport_drops_get(&p->maps, SLOT1, &d0);
	if (progs_run(p, &r)) {
		fprintf(stderr, "    test_run failed\n");
		return 0;
	}
	svc_get(&p->maps, &s1);
	pp_iport_drops_get(&p->maps, SLOT1, &d1);
	if (xdp) {
		DCHECK(r.retval == XDP_PASS, "verdict %u, want XDP_PASS (to TC)", r.retval);
		DCHECK(r.size_out == r.len && !memcmp(in, out, r.len), "the frame changed");
		DCHECK(!memcmp(&s0, &s1, sizeof(s0)), "counters moved before the hand-off");
		return ok;
	}
	if (c->want < 0) {
		DCHECK(r.retval == TC_ACT_SHOT, "verdict %u, want drop", r.retval);
		DCHECK(r.nlog == 0, "answered a malformed request");
		DCHECK(s1.dhcp_malformed == s0.dhcp_malformed + 1, "dhcp_malformed not counted");
		DCHECK(d1.reason[PP_DROP_MALFORMED] == d0.reason[PP_DROP_MALFORMED] + 1,
		       "instance port's malformed drop not counted");
		return ok;
	}
	DCHECK(r.retval == TC_ACT_REDIRECT, "verdict %u, want redirect", r.retval);
	if (!c->want) {
		DCHECK(r.nlog >= 1 && r.log[r.nlog - 1].ifindex == DEVI,
		       "not forwarded to net I's device");
		DCHECK(!memcmp(&s0, &s1, sizeof(s0)), "service counters moved");
		return ok;
	}
	DCHECK(r.nlog == 1 && r.log[0].ifindex == TAP1, "not sent back to the tap");
	wl = wire(&r.log[0], out, r.size_out, got);
	ok &= dhcp_check_reply(got, wl, c->want, c->ipdst, c->want == 5 ? c->ciaddr : NULL);
	DCHECK(s1.dhcp_offers - s0.dhcp_offers == (c->want == 2) &&
	       s1.dhcp_acks - s0.dhcp_acks == (c->want == 5) &&
	       s1.dhcp_naks - s0.dhcp_naks == (c->want == 6), "offer/ack/nak counters");
	if (!ok)
		dump("reply", got, wl);
	return ok;
}

static void run_dhcp_cases(struct progs *p)
{
	for (unsigned i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];

		for (int meta = 0; meta < 2; meta++)
			result(run_dhcp(p, c, 0, meta), "tc %s%s", c->name,
			       meta ? " [outer tag in skb metadata]" : "");
		result(run_dhcp(p, c, 1, 0), "xdp %s [to TC: the reply is longer than the request]",
		       c->name);
	}
}

/* Per-rule counters moved as the table says (each case ran in TC twice and XDP once). */
/*
 * The lone-port hint of pp_nets: set by the loader for a network with exactly
 * one local service port, and verified by the programs.  A hint naming a
 * port of another network (a stale or forged entry) never delivers a frame.
 */
static const struct tcase lone_cases[] = {
	{ "lone hint: forged on net D (port 4 is net C's), frame to its MAC", P_NET, DEVDE,
	  FR(M1, EXT), DROP_NET(NET_D, PP_DROP_UNKNOWN_DST) },
	{ "lone hint: forged on net D, frame to net D's own port still delivered", P_NET, DEVDE,
	  FR(M2, EXT), FWD, .out = { REDIR(TAP2, FR(M2, EXT)) } },
};

static void check_lone_hint(struct progs *p)
{
	struct pp_net a = {}, b = {}, c = {}, d = {}, saved;

	pp_net_get(&p->maps, NET_A, &a);
	pp_net_get(&p->maps, NET_B, &b);
	pp_net_get(&p->maps, NET_C, &c);
	pp_net_get(&p->maps, NET_D, &d);
	result(c.lone_sport == 4, "lone hint: net C's only local port is 4");
	result(d.lone_sport == 7, "lone hint: net D's only local port is 7");
	result(!a.lone_sport && !b.lone_sport,
	       "lone hint: none on net A (3 local ports) or net B (2)");
	saved = d;
	d.lone_sport = 4;
	pp_net_put(&p->maps, NET_D, &d);
	for (unsigned i = 0; i < sizeof(lone_cases) / sizeof(lone_cases[0]); i++)
		run_case(p, &lone_cases[i], 1);
	pp_net_put(&p->maps, NET_D, &saved);
	/* a second local port clears it; the port leaving brings it back */
	struct pp_sport sp = { .slot = SLOT3, .net_id = NET_C, .match = PP_MATCH_VLAN,
			       .outer_vid = 900 };

	memcpy(sp.mac, M4, 6);
	result(!pp_dp_sport_install(&p->maps, 60, &sp),
	       "lone hint: a second local port on net C installed");
	pp_net_get(&p->maps, NET_C, &c);
	result(!c.lone_sport, "lone hint: cleared when net C gains a second local port");
	pp_dp_sport_remove(&p->maps, 60);
	pp_net_get(&p->maps, NET_C, &c);
	result(c.lone_sport == 4, "lone hint: back to port 4 when the second one leaves");
	c.mtu = 9000;
	c.lone_sport = 0;
	pp_dp_net_install(&p->maps, NET_C, &c);
	pp_net_get(&p->maps, NET_C, &c);
	result(c.lone_sport == 4 && c.mtu == 9000,
	       "lone hint: kept when the network itself is rewritten");
	c.mtu = 1500;
	pp_dp_net_install(&p->maps, NET_C, &c);
}

/*
 * pp_dst, the one-line buckets of local MACs: a way naming a port of another
 * network never delivers; a bucket without PP_DST_MORE is final (a MAC only
 * in pp_fdb is not used), with it pp_fdb is asked.
 */
static const struct tcase dst_cases[] = {
	{ "pp_dst: forged way on net D naming net C's port 4 (MAC M1)", P_NET, DEVDE,
	  FR(M1, EXT), DROP_NET(NET_D, PP_DROP_UNKNOWN_DST) },
	{ "pp_dst: a MAC only in pp_fdb, bucket without the mark: not local", P_NET, DEVA,
	  FR(BAD, EXT), DROP_NET(NET_A, PP_DROP_UNKNOWN_DST) },
	{ "pp_dst: the same, bucket marked: pp_fdb asked, delivered", P_NET, DEVA,
	  FR(BAD, EXT), FWD, .out = { REDIR(TAP2, FR(BAD, EXT, Q(100))) } },
};

/*
 * Trunk slots (pp_trunks): a device without one goes by pp_netvlans; an
 * entry naming a network of another device never delivers.
 */
static const struct tcase trunk_cases[] = {
	{ "trunk: device without a slot: VLAN 3001 by pp_netvlans -> vlan 101", P_NET, DEVDE,
	  FR(M1, EXT, Q(3001)), FWD, .out = { REDIR(TAP1, FR(M1, EXT, Q(101))) } },
	{ "trunk: device without a slot: vlan 101 -> net E, tag 3001 by pp_netvlans", P_TAP, TAP1,
	  FR(EXT, M1, Q(101)), FWD, .out = { REDIR(DEVDE, FR(EXT, M1, Q(3001))) } },
	{ "trunk: forged (slot, 3001) naming net F (another device's): dropped", P_NET, DEVDE,
	  FR(M1, EXT, Q(3001)), DROP_NET(0, PP_DROP_UNKNOWN_PORT) },
};

static void check_trunks(struct progs *p)
{
	__u32 ifi = DEVDE, idx;
	struct pp_dev dev, saved;
	__u32 f = NET_F, e;

	pp_dev_get(&p->maps, ifi, &saved);
	result(saved.slot != 0, "trunk: the device of VLAN network E has a slot");
	dev = saved;
	dev.slot = 0;
	pp_dev_put(&p->maps, ifi, &dev);
	run_case(p, &trunk_cases[0], 1);
	run_case(p, &trunk_cases[1], 1);
	pp_dev_put(&p->maps, ifi, &saved);
	idx = PP_VLAN_IDX(saved.slot, 3001);
	pp_map_get(&p->maps, PPM_TRUNKS, &idx, &e);
	pp_map_put(&p->maps, PPM_TRUNKS, &idx, &f);
	run_case(p, &trunk_cases[2], 1);
	pp_map_put(&p->maps, PPM_TRUNKS, &idx, &e);
}

/*
 * From the VM, the entries XDP's fast path reads (pp_vlans, an instance
 * port's untagged port, the service port, the network; ports 2, 4, 6 and 7
 * have no services, so their frames take it): each forged to name what
 * belongs to another instance port or network.  The frame is dropped,
 * as by the full path, never delivered.
 */
enum { FV_VLAN, FV_UNTAGGED, FV_MATCH, FV_VID, FV_NETDEV };
static const struct tcase vm_forged_cases[] = {
	[FV_VLAN] = { "vm forged: pp_vlans (slot 1, 100) naming slot 2's port 6, from its MAC",
		      P_TAP, TAP1, FR(EXT, M2, Q(100)), DROP_IP(SLOT1, PP_DROP_UNKNOWN_PORT) },
	[FV_UNTAGGED] = { "vm forged: slot 1's untagged port naming slot 2's port 7, from its MAC",
			  P_TAP, TAP1, FR(EXT, M2), DROP_IP(SLOT1, PP_DROP_UNKNOWN_PORT) },
	[FV_MATCH] = { "vm forged: port 2 (vlan 200) rewritten as untagged", P_TAP, TAP1,
		       FR(EXT, M1, Q(200)), DROP_IP(SLOT1, PP_DROP_UNKNOWN_PORT) },
	[FV_VID] = { "vm forged: port 2 rewritten to vlan 300", P_TAP, TAP1, FR(EXT, M1, Q(200)),
		     DROP_IP(SLOT1, PP_DROP_UNKNOWN_PORT) },
	[FV_NETDEV] = { "vm forged: net B's device rewritten to net A's", P_TAP, TAP1,
			FR(EXT, M1, Q(200)), DROP_IP(SLOT1, PP_DROP_NO_TARGET) },
};

static void check_vm_forged(struct progs *p)
{
	struct pp_sport sp, sp_saved;
	struct pp_iport ip, ip_saved;
	struct pp_net net, net_saved;
	__u32 id;

	pp_vlan_get(&p->maps, SLOT1, 100, &id);
	pp_vlan_put(&p->maps, SLOT1, 100, 6);
	run_case(p, &vm_forged_cases[FV_VLAN], 1);
	pp_vlan_put(&p->maps, SLOT1, 100, id);

	pp_iport_get(&p->maps, SLOT1, &ip_saved);
	ip = ip_saved;
	ip.untagged_sport = 7;
	pp_iport_put(&p->maps, SLOT1, &ip);
	run_case(p, &vm_forged_cases[FV_UNTAGGED], 1);
	pp_iport_put(&p->maps, SLOT1, &ip_saved);

	pp_sport_get(&p->maps, 2, &sp_saved);
	sp = sp_saved;
	sp.match = PP_MATCH_UNTAGGED;
	pp_sport_put(&p->maps, 2, &sp);
	run_case(p, &vm_forged_cases[FV_MATCH], 1);
	sp = sp_saved;
	sp.outer_vid = 300;
	pp_sport_put(&p->maps, 2, &sp);
	run_case(p, &vm_forged_cases[FV_VID], 1);
	pp_sport_put(&p->maps, 2, &sp_saved);

	pp_net_get(&p->maps, NET_B, &net_saved);
	net = net_saved;
	net.ifindex = DEVA;
	pp_net_put(&p->maps, NET_B, &net);
	run_case(p, &vm_forged_cases[FV_NETDEV], 1);
	pp_net_put(&p->maps, NET_B, &net_saved);
}

/*
 * A second tap per instance port (issue 18): slot 2 gets TAP4 as its standby
 * and TAP5 bound as a retired tap, for TC and then XDP each from the start
 * (the standby's first frame changes the entry).  Nothing goes to the
 * standby; its first frame (a migrated guest's RARP) makes it the active tap
 * and flows; from then on the old tap is the inactive one.
 */
enum { SB_TO_ACTIVE, SB_RETIRED, SB_STANDBY, SB_OLD, SB_TO_NEW, SB_UNINSTALLED, SB_IN_TO_VM,
       SB_IN_FIRST };
static const struct tcase standby_cases[] = {
	[SB_TO_ACTIVE] = { "standby tap: to the VM -> its active tap, not the standby", P_NET, DEVA,
			   FR(M2, EXT), FWD, .out = { REDIR(TAP2, FR(M2, EXT, Q(100))) } },
	[SB_RETIRED] = { "standby tap: a retired tap's frame", P_TAP, TAP5, FR(EXT, M2, Q(100)),
			 DROP_IP(SLOT2, PP_DROP_INACTIVE_TAP) },
	[SB_STANDBY] = { "standby tap: the standby's first frame (RARP) flows -> net A", P_TAP,
			 TAP4, { .dst = EXT, .src = M2, .tags = { Q(100) }, .proto = 0x8035 }, FWD,
			 .out = { REDIR(DEVA, { .dst = EXT, .src = M2, .proto = 0x8035 }) } },
	[SB_OLD] = { "standby tap: the previous active tap's frame after the move", P_TAP, TAP2,
		     FR(EXT, M2, Q(100)), DROP_IP(SLOT2, PP_DROP_INACTIVE_TAP) },
	[SB_TO_NEW] = { "standby tap: to the VM after the move -> the new active tap", P_NET, DEVA,
			FR(M2, EXT), FWD, .out = { REDIR(TAP4, FR(M2, EXT, Q(100))) } },
	[SB_UNINSTALLED] = { "standby tap: a tap bound to a slot never installed", P_TAP, TAP5,
			     FR(EXT, M2, Q(100)), DROP_IP(0, PP_DROP_UNKNOWN_PORT) },
	/* an incoming port (issue 19): no active tap (ifindex 0), TAP4 its standby */
	[SB_IN_TO_VM] = { "standby tap: incoming port, to the VM -> no tap has it yet", P_NET, DEVA,
			  FR(M2, EXT), DROP_NET(NET_A, PP_DROP_NO_TARGET) },
	[SB_IN_FIRST] = { "standby tap: incoming port, the standby's first frame (RARP) flows -> net A",
			  P_TAP, TAP4, { .dst = EXT, .src = M2, .tags = { Q(100) }, .proto = 0x8035 },
			  FWD, .out = { REDIR(DEVA, { .dst = EXT, .src = M2, .proto = 0x8035 }) } },
};

static void sb_run(struct progs *p, int xdp, int c)
{
	struct snap d;

	if (xdp)
		result(run_xdp(p, &standby_cases[c], NULL), "xdp %s", standby_cases[c].name);
	else
		result(run_tc(p, &standby_cases[c], 0, &d), "tc %s", standby_cases[c].name);
}

static void check_standby_tap(struct progs *p)
{
	for (int xdp = 0; xdp < 2; xdp++) {
		const char *mode = xdp ? "xdp" : "tc";
		struct pp_iport saved, ip, got;
		struct pp_dev d4, d5;
		__u32 seen = TAP2;

		pp_iport_get(&p->maps, SLOT2, &saved);
		ip = saved;
		ip.standby = TAP4;
		result(!pp_dp_iport_install(&p->maps, SLOT2, &ip, &seen) &&
		       !pp_dp_tap_bind(&p->maps, SLOT2, TAP5),
		       "%s standby tap: slot 2 gets TAP4 as its standby, TAP5 bound (retired)", mode);
		sb_run(p, xdp, SB_TO_ACTIVE);
		sb_run(p, xdp, SB_RETIRED);
		sb_run(p, xdp, SB_STANDBY);
		pp_iport_get(&p->maps, SLOT2, &got);
		result(got.ifindex == TAP4,
		       "%s standby tap: the standby's first frame made it slot 2's active tap", mode);
		sb_run(p, xdp, SB_OLD);
		sb_run(p, xdp, SB_TO_NEW);

		/* back as it was: TAP4 unbound by the install, TAP5 by hand */
		seen = TAP4;
		result(!pp_dp_iport_install(&p->maps, SLOT2, &saved, &seen) &&
		       !pp_dp_tap_unbind(&p->maps, SLOT2, TAP5) &&
		       !pp_iport_get(&p->maps, SLOT2, &got) && !memcmp(&got, &saved, sizeof(got)) &&
		       !pp_dev_get(&p->maps, TAP4, &d4) && !d4.flags &&
		       !pp_dev_get(&p->maps, TAP5, &d5) && !d5.flags,
		       "%s standby tap: slot 2 back to TAP2 alone, TAP4 and TAP5 unbound", mode);

		/* slot 5: nobody installed it (mtu 0), even if it names TAP5 its standby */
		struct pp_iport none = { .standby = TAP5 }, zero = {};

		pp_iport_put(&p->maps, 5, &none);
		pp_dp_tap_bind(&p->maps, 5, TAP5);
		sb_run(p, xdp, SB_UNINSTALLED);
		result(!pp_iport_get(&p->maps, 5, &got) && !got.ifindex,
		       "%s standby tap: a slot never installed activates nothing", mode);
		pp_dp_tap_unbind(&p->maps, 5, TAP5);
		pp_iport_put(&p->maps, 5, &zero);
	}
}

/*
 * An instance port migrating here (issue 19, loader/reconcile.c taps_decide):
 * slot 2 with no active tap and TAP4 its standby.  Nothing goes to the VM;
 * the standby's first frame flows and makes it the active tap from none.
 */
static void check_standby_incoming(struct progs *p)
{
	for (int xdp = 0; xdp < 2; xdp++) {
		const char *mode = xdp ? "xdp" : "tc";
		struct pp_iport saved, ip, got;
		__u32 seen = TAP2;

		pp_iport_get(&p->maps, SLOT2, &saved);
		ip = saved;
		ip.ifindex = 0;
		ip.standby = TAP4;
		result(!pp_dp_iport_install(&p->maps, SLOT2, &ip, &seen) &&
		       !pp_iport_get(&p->maps, SLOT2, &got) && !got.ifindex && got.standby == TAP4,
		       "%s standby tap: incoming port, slot 2 with no active tap, TAP4 its standby",
		       mode);
		sb_run(p, xdp, SB_IN_TO_VM);
		sb_run(p, xdp, SB_IN_FIRST);
		pp_iport_get(&p->maps, SLOT2, &got);
		result(got.ifindex == TAP4,
		       "%s standby tap: incoming port, the standby's first frame made it the active tap",
		       mode);
		sb_run(p, xdp, SB_TO_NEW);

		seen = TAP4;
		result(!pp_dp_iport_install(&p->maps, SLOT2, &saved, &seen) &&
		       !pp_iport_get(&p->maps, SLOT2, &got) && !memcmp(&got, &saved, sizeof(got)),
		       "%s standby tap: incoming port, slot 2 back to TAP2 alone", mode);
	}
}

static void check_dst_buckets(struct progs *p)
{
	__u32 di = pp_dst_idx(NET_D, M1), ai = pp_dst_idx(NET_A, BAD), six = 6;
	struct pp_dst_bucket d, a, saved_d, saved_a;
	struct pp_fdb_key fk = { .net_id = NET_A };

	pp_map_get(&p->maps, PPM_DST, &di, &saved_d);
	pp_map_get(&p->maps, PPM_DST, &ai, &saved_a);
	d = saved_d;
	d.flags = 0;
	d.way[PP_DST_WAYS - 1].sport = 4;
	memcpy(d.way[PP_DST_WAYS - 1].mac, M1, 6);
	pp_map_put(&p->maps, PPM_DST, &di, &d);
	run_case(p, &dst_cases[0], 1);
	pp_map_put(&p->maps, PPM_DST, &di, &saved_d);

	memcpy(fk.mac, BAD, 6);
	pp_fdb_put(&p->maps, fk, &six);
	a = saved_a;
	a.flags = 0;
	pp_map_put(&p->maps, PPM_DST, &ai, &a);
	run_case(p, &dst_cases[1], 1);
	a.flags = PP_DST_MORE;
	pp_map_put(&p->maps, PPM_DST, &ai, &a);
	run_case(p, &dst_cases[2], 1);
	pp_fdb_del(&p->maps, fk);
	pp_map_put(&p->maps, PPM_DST, &ai, &saved_a);
}

static void check_rule_counters(struct progs *p)
{
	struct pp_svc_stats sv = {};
	__u64 r0 = pp_rule_stat_get(&p->maps, 14, PP_DIR_EGRESS, 0),
	      r1 = pp_rule_stat_get(&p->maps, 14, PP_DIR_EGRESS, 1),
	      r4 = pp_rule_stat_get(&p->maps, 14, PP_DIR_EGRESS, 4),
	      i0 = pp_rule_stat_get(&p->maps, 14, PP_DIR_INGRESS, 0);
	int ok;

	pp_svc_stats_get(&p->maps, 14, &sv);
	/* egress cases: TC twice (tag in the frame, in metadata) and XDP; the
	 * ingress ones come untagged from the network: TC once and XDP */
	ok = r0 == 3 && r1 == 3 && r4 == 0 && i0 == 2 && sv.rule_drops == 5 * 3 + 2 * 2;
	result(ok, "rules: per-rule counters (egress r0 %llu, r1 %llu, r4 %llu, ingress r0 %llu; "
	       "%llu rule drops)", (unsigned long long)r0, (unsigned long long)r1,
	       (unsigned long long)r4, (unsigned long long)i0, (unsigned long long)sv.rule_drops);
}

/*
 * A port's rules never fail open while they are written: port 14 says it
 * has rules both ways (PP_SPORT_RULES_IN / _OUT, as the loader writes a new
 * service port's entry before its rules); with its rule sets not there, its
 * IP frames are dropped both ways, what rules never judge (ARP) passes, and
 * an entry without the marks is not judged (no rules in that direction).
 */
static const struct tcase rules_missing_cases[] = {
	{ "rules missing: egress udp 53 (its rules allow it) dropped until its rule set is there",
	  P_TAP, TAP1, RULE_IN(RL4(RR_UDP53)), RULE_DROP },
	{ "rules missing: egress tcp 22 to 10.0.7.0/24 (allowed) dropped until its rule set is there",
	  P_TAP, TAP1, RULE_IN(RL4(RR_TCP22_IN)), RULE_DROP },
	{ "rules missing: ingress tcp 22 from 10.0.9.0/24 (allowed) dropped until its rule set is there",
	  P_NET, DEVJ, { .dst = M1, .src = EXT, RL4(RR_IN_OK) }, RULE_DROP },
	{ "rules missing: ARP (never judged by rules) still passes", P_TAP, TAP1,
	  RULE_IN(SRAWA(S_ARP_RULES)), FWD, .out = { RULE_OUT(SRAWA(S_ARP_RULES)) } },
};

static const struct tcase rules_unmarked_cases[] = {
	{ "rules missing: a port not marked as having egress rules is not judged", P_TAP, TAP1,
	  RULE_IN(RL4(RR_TCP80)), FWD, .out = { RULE_OUT(RL4(RR_TCP80)) } },
};

static void check_rules_missing(struct progs *p)
{
	struct pp_rule_set_key in = { .sport = 14, .dir = PP_DIR_INGRESS },
			       out = { .sport = 14, .dir = PP_DIR_EGRESS };
	struct pp_rule_set set_in, set_out;
	struct pp_sport sp, unmarked;
	int ok;

	ok = !pp_rule_set_get(&p->maps, in, &set_in) && !pp_rule_set_get(&p->maps, out, &set_out) &&
	     !pp_sport_get(&p->maps, 14, &sp) && !pp_rule_set_del(&p->maps, in) &&
	     !pp_rule_set_del(&p->maps, out);
	result(ok, "rules missing: port 14's rule sets taken away");
	if (!ok)
		return;
	for (unsigned i = 0; i < sizeof(rules_missing_cases) / sizeof(rules_missing_cases[0]); i++)
		run_case(p, &rules_missing_cases[i], fr_meta_ok(&rules_missing_cases[i].in) ? 2 : 1);
	unmarked = sp;
	unmarked.flags &= ~(PP_SPORT_RULES_IN | PP_SPORT_RULES_OUT);
	pp_sport_put(&p->maps, 14, &unmarked);
	run_case(p, &rules_unmarked_cases[0], 2);
	ok = !pp_sport_put(&p->maps, 14, &sp) && !pp_rule_set_put(&p->maps, in, &set_in) &&
	     !pp_rule_set_put(&p->maps, out, &set_out);
	result(ok, "rules missing: port 14's entry and rule sets put back");
}

/* ---- IPv6 extension headers, ND options, rogue DHCP servers and routers -------------
 * (issue 12, findings 5 and 6; bpf/lib/ipv6.h, security.h, rules.h)
 * Port 12 (vlan 104, net I: security, nothing allowed), and two ports of
 * their own, installed here and removed afterwards:
 * - port 30: vlan 107, net I, MAC M5, security with allow-dhcp-server and
 *   allow-ra;
 * - port 31: vlan 108, net J, MAC M5, security with rules: egress r0 udp 53
 *   allow, r1 udp drop, r2 tcp 23 drop; ingress r0 tcp 23 drop; default allow.
 * Each frame runs in TC (tag in the frame, and in metadata) and XDP; a drop
 * by port security must also move the port's security_drops once per run. */
static const uint8_t M5[6] = { 0x52, 0x54, 0, 0, 0, 0x05 };
static const uint8_t X_OWN30[4] = { 10, 0, 5, 30 }, X_OWN31[4] = { 10, 0, 7, 31 },
		     X_CLIENT[4] = { 10, 0, 5, 77 };
static const uint8_t X6_OWN30[16] = { 0xfd, 0, 0, 5, [15] = 0x30 };
static const uint8_t X6_OWN31[16] = { 0xfd, 0, 0, 7, [15] = 0x31 };
static const uint8_t X6_ALLN[16] = { 0xff, 0x02, [15] = 1 };	/* ff02::1 */

enum { X_PASS, X_SPOOFED, X_MALFORMED, X_RULE_DROP };

/* An IPv6 packet after the tags: 0x86dd, the header, one 8-byte extension
 * header per entry of ext (n of them; fragment headers get offset frag_off,
 * authentication headers are 12 bytes), then upper-layer protocol upper
 * with l4 (len bytes; ICMPv6 gets its checksum).  Returns the length. */
static uint32_t x6_raw(uint8_t *b, const uint8_t *src, const uint8_t *dst, const uint8_t *ext,
		       int n, uint16_t frag_off, uint8_t upper, const uint8_t *l4, uint32_t len)
{
	uint32_t off = 42, plen;

	ip6_hdr(b, 0, n ? ext[0] : upper, 255, src, dst);
	for (int i = 0; i < n; i++) {
		uint8_t *h = b + off;

		memset(h, 0, 12);
		h[0] = i + 1 < n ? ext[i + 1] : upper;
		if (ext[i] == 44) {
			h[2] = frag_off >> 8;
			h[3] = frag_off & 0xf8;
			h[7] = 0x2a;		/* identification */
		} else if (ext[i] == 51) {
			h[1] = 1;		/* (1 + 2) * 4 = 12 bytes */
			h[7] = 1;		/* SPI */
			off += 4;
		} else if (ext[i] != 43) {
			h[2] = 1;		/* PadN, 4 bytes of padding */
			h[3] = 4;
		}
		off += 8;
	}
	memcpy(b + off, l4, len);
	if (upper == 58 && len >= 4) {
		uint16_t c = icmp6_csum(src, dst, b + off, len);

		b[off + 2] = c >> 8;
		b[off + 3] = c & 0xff;
	}
	plen = off + len - 42;
	b[6] = plen >> 8;
	b[7] = plen & 0xff;
	return off + len;
}

/* ICMPv6 type with a 16-byte target at 8 (NS/NA) or none, then opts. */
static uint32_t x_icmp6(uint8_t *m, uint8_t type, uint32_t flags, const uint8_t *target,
			const uint8_t *opts, uint32_t opts_len)
{
	uint32_t n = type == 134 ? 16 : type == 137 ? 40 : type == 135 || type == 136 ? 24 : 8;

	memset(m, 0, n);
	m[0] = type;
	m[4] = flags >> 24;
	if (target)
		memcpy(m + 8, target, 16);
	memcpy(m + n, opts, opts_len);
	return n + opts_len;
}

/* A link-layer address option (type 1 source, 2 target). */
static uint32_t x_lla(uint8_t *o, uint8_t type, const uint8_t *mac)
{
	o[0] = type;
	o[1] = 1;
	memcpy(o + 2, mac, 6);
	return 8;
}

/* 8 bytes of UDP or TCP ports (and the rest of an 8-byte header). */
static uint32_t x_ports(uint8_t *l4, uint16_t sport, uint16_t dport, uint32_t len)
{
	memset(l4, 0, len);
	l4_words(l4, sport, dport);
	return len;
}

/* IPv4 + UDP/TCP after the tags, fragment offset frag (8-byte units). */
static uint32_t x4_raw(uint8_t *b, uint8_t proto, const uint8_t *src, const uint8_t *dst,
		       uint16_t sport, uint16_t dport, uint16_t frag)
{
	uint32_t n = ip4_l4_raw(b, proto, src, dst, sport, dport);

	b[8] = frag >> 8;
	b[9] = frag & 0xff;
	return n;
}

struct xcase {
	const char *name;
	int prog;			/* P_TAP: from port vlan; P_NET: from DEVJ to port 31 */
	uint16_t vlan;
	const uint8_t *src;		/* source MAC (P_TAP) */
	uint32_t out;			/* X_PASS: the network device */
	int want;			/* X_* */
	uint32_t sport;			/* whose security_drops / rule_drops move */
	uint8_t raw[256];
	uint32_t len;
};

static void x_run(struct progs *p, const struct xcase *x)
{
	struct tcase c = { .name = x->name, .prog = x->prog };
	struct pp_svc_stats before = {}, after = {};
	int runs = x->prog == P_TAP ? 3 : 2;
	uint64_t moved, want_moved;

	if (x->prog == P_TAP) {
		c.ifindex = TAP1;
		c.in = (struct fspec){ .dst = EXT, .src = x->src, .tags = { Q(x->vlan) },
				       .raw = x->raw, .raw_len = x->len };
		c.out[0] = (struct want)REDIR(x->out, { .dst = EXT, .src = x->src, .raw = x->raw,
						       .raw_len = x->len });
	} else {
		c.ifindex = DEVJ;
		c.in = (struct fspec){ .dst = M5, .src = EXT, .raw = x->raw, .raw_len = x->len };
		c.out[0] = (struct want)REDIR(TAP1, { .dst = M5, .src = EXT, .tags = { Q(108) },
						     .raw = x->raw, .raw_len = x->len });
	}
	c.verdict = x->want == X_PASS ? TC_ACT_REDIRECT : TC_ACT_SHOT;
	if (x->want != X_PASS)
		memset(c.out, 0, sizeof(c.out));
	if (x->want == X_SPOOFED || x->want == X_MALFORMED) {
		c.drop = D_IPORT;
		c.drop_idx = SLOT1;
		c.reason = x->want == X_SPOOFED ? PP_DROP_SPOOFED : PP_DROP_MALFORMED;
	}
	pp_svc_stats_get(&p->maps, x->sport, &before);
	run_case(p, &c, runs - 1);
	/* the service counter: security_drops for port security, rule_drops for rules */
	pp_svc_stats_get(&p->maps, x->sport, &after);
	moved = x->want == X_RULE_DROP ? after.rule_drops - before.rule_drops :
					 after.security_drops - before.security_drops;
	want_moved = x->want == X_PASS ? 0 : (uint64_t)runs;
	if (x->want == X_PASS)
		moved += after.rule_drops - before.rule_drops;
	if (moved != want_moved)
		result(0, "%s: the service drop counter moved by %llu, want %llu", x->name,
		       (unsigned long long)moved, (unsigned long long)want_moved);
}

static struct xcase xcases[64];
static int nx;

/* Add a case from port vlan (source MAC src) whose raw bytes are built by the caller. */
static struct xcase *x_add(const char *name, int prog, uint16_t vlan, const uint8_t *src,
			   uint32_t out, int want, uint32_t sport)
{
	struct xcase *x = &xcases[nx++];

	*x = (struct xcase){ .name = name, .prog = prog, .vlan = vlan, .src = src, .out = out,
			     .want = want, .sport = sport };
	return x;
}

static void build_ext_cases(void)
{
	static const uint8_t hbh[] = { 0 }, dst[] = { 60 }, hbh_dst[] = { 0, 60 },
			     frag[] = { 44 }, three[] = { 0, 43, 60 }, auth[] = { 51 },
			     six[] = { 0, 60, 43, 60, 60, 60 }, seven[] = { 0, 60, 43, 60, 60, 60, 60 };
	uint8_t ll1[16], ll5[16], m[256], o[256], l4[64], sn[16] = { 0xff, 0x02, [11] = 1,
								     [12] = 0xff, [15] = 5 };
	uint32_t n, on;
	struct xcase *x;

	ll_of(ll1, M1);
	ll_of(ll5, M5);
	nx = 0;
	/* --- finding 5: the chain is walked; every ND option is checked (port 12) --- */
	x_lla(o, 2, M1);
	n = x_icmp6(m, 136, 0x20000000, S6_SPOOF, o, 8);
	x = x_add("ext: NA behind hop-by-hop for a foreign target is spoofed", P_TAP, 104, M1,
		  0, X_SPOOFED, 12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, hbh, 1, 0, 58, m, n);
	n = x_icmp6(m, 136, 0x20000000, S6_OWN, o, 8);
	x = x_add("ext: NA behind hop-by-hop for its own address passes", P_TAP, 104, M1,
		  DEVI, X_PASS, 12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, hbh, 1, 0, 58, m, n);
	for (on = 0; on < 32; on += 8) {	/* four nonce options (14), then the target's */
		o[on] = 14;
		o[on + 1] = 1;
		memset(o + on + 2, 0x11 * (on + 1), 6);
	}
	x_lla(o + 32, 2, BAD);
	n = x_icmp6(m, 136, 0x20000000, S6_OWN, o, 40);
	x = x_add("ext: NA whose fifth option is a foreign target link-layer address is spoofed",
		  P_TAP, 104, M1, 0, X_SPOOFED, 12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, NULL, 0, 0, 58, m, n);
	x_lla(o + 32, 2, M1);
	n = x_icmp6(m, 136, 0x20000000, S6_OWN, o, 40);
	x = x_add("ext: NA with five options, the fifth its own link-layer address, passes",
		  P_TAP, 104, M1, DEVI, X_PASS, 12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, NULL, 0, 0, 58, m, n);
	x_lla(o, 1, BAD);
	n = x_icmp6(m, 135, 0, S6_PEER, o, 8);
	x = x_add("ext: NS behind hop-by-hop and destination options, foreign source "
		  "link-layer address: spoofed", P_TAP, 104, M1, 0, X_SPOOFED, 12);
	x->len = x6_raw(x->raw, ll1, sn, hbh_dst, 2, 0, 58, m, n);
	x_lla(o, 2, M1);
	n = x_icmp6(m, 136, 0x20000000, S6_OWN, o, 8);
	x = x_add("ext: fragmented ND (an NA behind a fragment header) is malformed", P_TAP, 104,
		  M1, 0, X_MALFORMED, 12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, frag, 1, 0, 58, m, n);
	n = x_icmp6(m, 128, 0, NULL, NULL, 0);
	x = x_add("ext: an ICMPv6 echo request behind a fragment header passes", P_TAP, 104, M1,
		  DEVI, X_PASS, 12);
	x->len = x6_raw(x->raw, S6_OWN, S6_PEER, frag, 1, 0, 58, m, n);
	x = x_add("ext: a later IPv6 fragment (no upper-layer header) from its address passes",
		  P_TAP, 104, M1, DEVI, X_PASS, 12);
	x->len = x6_raw(x->raw, S6_OWN, S6_PEER, frag, 1, 1232, 58, m, n);
	n = x_icmp6(m, 136, 0x20000000, S6_OWN, o, 8);
	x = x_add("ext: seven extension headers are malformed", P_TAP, 104, M1, 0, X_MALFORMED,
		  12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, seven, 7, 0, 58, m, n);
	x = x_add("ext: six extension headers before an NA for its own address pass", P_TAP, 104,
		  M1, DEVI, X_PASS, 12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, six, 6, 0, 58, m, n);
	o[1] = 0;
	n = x_icmp6(m, 136, 0x20000000, S6_OWN, o, 8);
	x = x_add("ext: an ND option of length 0 is malformed", P_TAP, 104, M1, 0, X_MALFORMED,
		  12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, NULL, 0, 0, 58, m, n);
	o[1] = 2;
	x = x_add("ext: an ND option running past the message is malformed", P_TAP, 104, M1, 0,
		  X_MALFORMED, 12);
	x->len = x6_raw(x->raw, S6_OWN, X6_ALLN, NULL, 0, 0, 58, m, n);
	o[1] = 1;
	n = x_ports(l4, 546, 547, 8);
	x = x_add("ext: UDP from :: behind hop-by-hop is spoofed", P_TAP, 104, M1, 0, X_SPOOFED,
		  12);
	x->len = x6_raw(x->raw, IP6_ANY, X6_ALLN, hbh, 1, 0, 17, l4, n);
	n = x_icmp6(m, 143, 0, NULL, NULL, 0);	/* MLDv2 report, no records */
	x = x_add("ext: an MLD report from :: behind hop-by-hop passes", P_TAP, 104, M1, DEVI,
		  X_PASS, 12);
	x->len = x6_raw(x->raw, IP6_ANY, X6_ALLN, hbh, 1, 0, 58, m, n);

	/* --- finding 5: the rules (port 31) --- */
	n = x_ports(l4, 40000, 23, 20);
	x = x_add("ext: rules: TCP to 23 behind a PadN destination-options header: dropped",
		  P_TAP, 108, M5, 0, X_RULE_DROP, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, dst, 1, 0, 6, l4, n);
	x = x_add("ext: rules: TCP to 23 behind hop-by-hop, routing, destination options: "
		  "dropped", P_TAP, 108, M5, 0, X_RULE_DROP, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, three, 3, 0, 6, l4, n);
	x = x_add("ext: rules: TCP to 23 behind an authentication header: dropped", P_TAP, 108,
		  M5, 0, X_RULE_DROP, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, auth, 1, 0, 6, l4, n);
	x = x_add("ext: rules: first fragment of TCP to 23: dropped", P_TAP, 108, M5, 0,
		  X_RULE_DROP, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, frag, 1, 0, 6, l4, n);
	x = x_add("ext: rules: a later TCP fragment matches no port rule: default allow", P_TAP,
		  108, M5, DEVJ, X_PASS, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, frag, 1, 1232, 6, l4, n);
	x = x_add("ext: rules: a first fragment cut before its ports is dropped", P_TAP, 108, M5,
		  0, X_RULE_DROP, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, frag, 1, 0, 6, l4, 0);
	n = x_ports(l4, 40000, 22, 20);
	x = x_add("ext: rules: TCP to 22 behind a PadN destination-options header passes", P_TAP,
		  108, M5, DEVJ, X_PASS, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, dst, 1, 0, 6, l4, n);
	n = x_ports(l4, 40000, 53, 8);
	x = x_add("ext: rules: first fragment of UDP to 53: the port rule allows", P_TAP, 108, M5,
		  DEVJ, X_PASS, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, frag, 1, 0, 17, l4, n);
	x = x_add("ext: rules: a later UDP fragment matches the port-less udp rule: dropped",
		  P_TAP, 108, M5, 0, X_RULE_DROP, 31);
	x->len = x6_raw(x->raw, X6_OWN31, R6_PEER, frag, 1, 1232, 17, l4, n);
	x = x_add("ext: rules: a later IPv4 UDP fragment matches the port-less udp rule: dropped",
		  P_TAP, 108, M5, 0, X_RULE_DROP, 31);
	x->len = x4_raw(x->raw, 17, X_OWN31, R_IN, 40000, 53, 185);
	x = x_add("ext: rules: a later IPv4 TCP fragment matches no port rule: default allow",
		  P_TAP, 108, M5, DEVJ, X_PASS, 31);
	x->len = x4_raw(x->raw, 6, X_OWN31, R_IN, 40000, 23, 185);
	n = x_ports(l4, 40000, 23, 20);
	x = x_add("ext: rules: ingress TCP to 23 behind PadN: dropped", P_NET, 0, NULL, 0,
		  X_RULE_DROP, 31);
	x->len = x6_raw(x->raw, R6_PEER, X6_OWN31, dst, 1, 0, 6, l4, n);
	x = x_add("ext: rules: ingress, seven extension headers: dropped, not judged", P_NET, 0,
		  NULL, 0, X_RULE_DROP, 31);
	n = x_ports(l4, 40000, 22, 20);
	x->len = x6_raw(x->raw, R6_PEER, X6_OWN31, seven, 7, 0, 6, l4, n);
	x = x_add("ext: rules: ingress TCP to 22 behind six extension headers: delivered", P_NET,
		  0, NULL, TAP1, X_PASS, 31);
	x->len = x6_raw(x->raw, R6_PEER, X6_OWN31, six, 6, 0, 6, l4, n);

	/* --- finding 6: rogue DHCP servers and routers (port 12: nothing allowed) --- */
	x = x_add("rogue: DHCP OFFER (UDP 67 -> 68) is spoofed", P_TAP, 104, M1, 0, X_SPOOFED,
		  12);
	x->len = ip4_raw(x->raw, S_OWN, S_BCAST, 67, 68);
	x = x_add("rogue: a DHCP client from its own address (UDP 68 -> 67) passes", P_TAP, 104,
		  M1, DEVI, X_PASS, 12);
	x->len = ip4_raw(x->raw, S_OWN, S_PEER, 68, 67);
	n = x_ports(l4, 547, 546, 8);
	x = x_add("rogue: DHCPv6 ADVERTISE (UDP 547 -> 546) is spoofed", P_TAP, 104, M1, 0,
		  X_SPOOFED, 12);
	x->len = x6_raw(x->raw, ll1, S6_PEER, NULL, 0, 0, 17, l4, n);
	x = x_add("rogue: DHCPv6 ADVERTISE behind destination options is spoofed", P_TAP, 104,
		  M1, 0, X_SPOOFED, 12);
	x->len = x6_raw(x->raw, ll1, S6_PEER, dst, 1, 0, 17, l4, n);
	n = x_ports(l4, 546, 547, 8);
	x = x_add("rogue: DHCPv6 SOLICIT (UDP 546 -> 547) passes", P_TAP, 104, M1, DEVI, X_PASS,
		  12);
	x->len = x6_raw(x->raw, ll1, S6_PEER, NULL, 0, 0, 17, l4, n);
	x_lla(o, 1, M1);
	n = x_icmp6(m, 134, 0, NULL, o, 8);
	x = x_add("rogue: a router advertisement is spoofed", P_TAP, 104, M1, 0, X_SPOOFED, 12);
	x->len = x6_raw(x->raw, ll1, X6_ALLN, NULL, 0, 0, 58, m, n);
	x = x_add("rogue: a router advertisement behind hop-by-hop is spoofed", P_TAP, 104, M1, 0,
		  X_SPOOFED, 12);
	x->len = x6_raw(x->raw, ll1, X6_ALLN, hbh, 1, 0, 58, m, n);
	n = x_icmp6(m, 133, 0, NULL, o, 8);
	x = x_add("rogue: a router solicitation passes", P_TAP, 104, M1, DEVI, X_PASS, 12);
	x->len = x6_raw(x->raw, ll1, X6_ALLN, NULL, 0, 0, 58, m, n);
	n = x_icmp6(m, 137, 0, S6_PEER, NULL, 0);
	memcpy(m + 24, S6_PEER, 16);
	x = x_add("rogue: a redirect is spoofed", P_TAP, 104, M1, 0, X_SPOOFED, 12);
	x->len = x6_raw(x->raw, ll1, S6_PEER, NULL, 0, 0, 58, m, n);

	/* --- port 30: allow-dhcp-server, allow-ra --- */
	x = x_add("rogue: allow-dhcp-server: a DHCP OFFER passes", P_TAP, 107, M5, DEVI, X_PASS,
		  30);
	x->len = ip4_raw(x->raw, X_OWN30, X_CLIENT, 67, 68);
	n = x_ports(l4, 547, 546, 8);
	x = x_add("rogue: allow-dhcp-server: a DHCPv6 ADVERTISE passes", P_TAP, 107, M5, DEVI,
		  X_PASS, 30);
	x->len = x6_raw(x->raw, ll5, X6_OWN30, NULL, 0, 0, 17, l4, n);
	x_lla(o, 1, M5);
	n = x_icmp6(m, 134, 0, NULL, o, 8);
	x = x_add("rogue: allow-ra: a router advertisement passes", P_TAP, 107, M5, DEVI, X_PASS,
		  30);
	x->len = x6_raw(x->raw, ll5, X6_ALLN, NULL, 0, 0, 58, m, n);
	x_lla(o, 1, BAD);
	n = x_icmp6(m, 134, 0, NULL, o, 8);
	x = x_add("rogue: allow-ra: an RA with a foreign source link-layer address is spoofed",
		  P_TAP, 107, M5, 0, X_SPOOFED, 30);
	x->len = x6_raw(x->raw, ll5, X6_ALLN, NULL, 0, 0, 58, m, n);
	x_lla(o, 2, BAD);	/* a redirect's target option names the better hop */
	n = x_icmp6(m, 137, 0, S6_PEER, o, 8);
	memcpy(m + 24, X6_OWN30, 16);
	x = x_add("rogue: allow-ra: a redirect passes", P_TAP, 107, M5, DEVI, X_PASS, 30);
	x->len = x6_raw(x->raw, ll5, S6_PEER, NULL, 0, 0, 58, m, n);
}

static void check_ext_headers(struct progs *p)
{
	static const struct pp_rule_in egress31[] = {
		{ .proto = 17, .allow = 1, .lo = 53, .hi = 53 },
		{ .proto = 17, .allow = 0 },
		{ .proto = 6, .allow = 0, .lo = 23, .hi = 23 },
	};
	static const struct pp_rule_in ingress31[] = {
		{ .proto = 6, .allow = 0, .lo = 23, .hi = 23 },
	};
	struct pp_sport s30 = { .slot = SLOT1, .net_id = NET_I, .match = PP_MATCH_VLAN,
				.outer_vid = 107, .flags = PP_SPORT_SECURITY |
				PP_SPORT_ALLOW_DHCP_SERVER | PP_SPORT_ALLOW_RA };
	struct pp_sport s31 = { .slot = SLOT1, .net_id = NET_J, .match = PP_MATCH_VLAN,
				.outer_vid = 108, .flags = PP_SPORT_SECURITY };
	uint8_t ll5[16];
	struct { uint32_t sport; uint8_t fam; const uint8_t *addr; } src[] = {
		{ 30, PP_NEIGH_V4, X_OWN30 }, { 30, PP_NEIGH_V6, X6_OWN30 }, { 30, PP_NEIGH_V6, ll5 },
		{ 31, PP_NEIGH_V4, X_OWN31 }, { 31, PP_NEIGH_V6, X6_OWN31 }, { 31, PP_NEIGH_V6, ll5 },
	};
	int err;

	ll_of(ll5, M5);
	memcpy(s30.mac, M5, 6);
	memcpy(s31.mac, M5, 6);
	err = pp_dp_sport_install(&p->maps, 30, &s30) || pp_dp_sport_install(&p->maps, 31, &s31);
	for (unsigned i = 0; !err && i < sizeof(src) / sizeof(src[0]); i++) {
		struct pp_sec_key k = { .sport = src[i].sport, .family = src[i].fam,
					.prefixlen = PP_SEC_PREFIX(src[i].fam == PP_NEIGH_V4 ?
								   32 : 128) };
		struct pp_sec_src v = {};

		memcpy(k.addr, src[i].addr, src[i].fam == PP_NEIGH_V4 ? 4 : 16);
		memcpy(v.mac, M5, 6);
		err = pp_sec_src_put(&p->maps, k, &v);
	}
	if (!err)
		err = pp_rules_compile(31, PP_DIR_EGRESS, egress31, 3, 1, rule_put, &p->maps) ||
		      pp_rules_compile(31, PP_DIR_INGRESS, ingress31, 1, 1, rule_put, &p->maps);
	if (err) {
		result(0, "ext: setup of ports 30 and 31");
	} else {
		build_ext_cases();
		for (int i = 0; i < nx; i++)
			x_run(p, &xcases[i]);
	}
	pp_dp_sport_remove(&p->maps, 30);
	pp_dp_sport_remove(&p->maps, 31);
}

/*
 * The rules' per-packet cost: port 14's egress with 1, 100 and 1,000 rules
 * (n - 1 "tcp port 1000+i drop", then "tcp 22 allow", matched by the frame:
 * the last rule, the worst case for a linear scan), BPF_PROG_TEST_RUN
 * averaged over many runs, TC and XDP, against the same port without rules.
 */
static void measure_rules(struct progs *p)
{
	static const unsigned counts[] = { 0, 1, 100, 1000 };
	static struct pp_rule_in r[PP_RULES_MAX_BPF];
	static uint8_t in[128], out[FR_MAX];
	struct fspec fs = RULE_IN(RL4(RR_TCP22_OUT));
	uint32_t len = fr_build(in, &fs);
	int fd_tc = bpf_program__fd(p->tap->progs.pp_tap_ingress);
	int fd_xdp = bpf_program__fd(p->tap_xdp->progs.pp_tap_xdp);

	for (unsigned c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned n = counts[c];
		double ns[2] = { -1, -1 };

		/* drop every entry of port 14's egress, then install n rules;
		 * without rules the port is not marked as having them */
		struct pp_rule_set_key sk = { .sport = 14, .dir = PP_DIR_EGRESS };
		struct pp_sport sp;

		pp_map_del(&p->maps, PPM_RULE_SET, &sk);
		if (!pp_sport_get(&p->maps, 14, &sp)) {
			sp.flags = n ? sp.flags | PP_SPORT_RULES_OUT : sp.flags & ~PP_SPORT_RULES_OUT;
			pp_sport_put(&p->maps, 14, &sp);
		}
		for (unsigned i = 0; i + 1 < n; i++)
			r[i] = (struct pp_rule_in){ .proto = 6, .allow = 0, .lo = (__u16)(1000 + i),
						    .hi = (__u16)(1000 + i) };
		if (n)
			r[n - 1] = (struct pp_rule_in){ .proto = 6, .allow = 1, .lo = 22, .hi = 22 };
		if (n && pp_rules_compile(14, PP_DIR_EGRESS, r, n, 0, rule_put, &p->maps)) {
			result(0, "rules: cost: %u rules could not be installed", n);
			return;
		}
		memset(&p->tap->bss->pp_test_meta, 0, sizeof(p->tap->bss->pp_test_meta));
		for (int x = 0; x < 2; x++) {
			struct __sk_buff skb = { .ingress_ifindex = TAP1 };
			struct xdp_md md = { .ingress_ifindex = TAP1, .data_end = len };
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len,
				    .data_out = out, .data_size_out = sizeof(out), .repeat = 200000);

			if (x) {
				o.ctx_in = &md;
				o.ctx_size_in = sizeof(md);
			} else {
				o.ctx_in = &skb;
				o.ctx_size_in = sizeof(skb);
			}
			if (!bpf_prog_test_run_opts(x ? fd_xdp : fd_tc, &o) &&
			    o.retval == (x ? XDP_REDIRECT : TC_ACT_REDIRECT))
				ns[x] = o.duration;
		}
		printf("      rules: %4u egress rules%s: TC %.0f ns, XDP %.0f ns per frame "
		       "(BPF_PROG_TEST_RUN, 200,000 runs)\n", n,
		       n ? ", the last one matching" : " (none: the baseline)", ns[0], ns[1]);
		if (ns[0] < 0 || ns[1] < 0)
			result(0, "rules: cost: %u rules: the frame was not forwarded", n);
	}
	result(1, "rules: the per-frame cost measured at 1, 100 and 1,000 rules");
}

/* ---- L3 domains (issue 16) ---------------------------------------------------------
 * Two domains, red (table 1001) and blue (1002), with the same subnets, the
 * same addresses and the same default route, each by its own uplink (bridges
 * ppt31 and ppt32, which stand in for veths here); green (1003), whose table
 * has no default route.  L3 ports: 20 (slot 1, vlan 500, red, 10.1.0.5 and
 * fd00:1::5), 21 (slot 1, vlan 600, blue, the same addresses), 22 (slot 2,
 * vlan 501, red, 10.1.1.7 and fd00:2::7), 23 (slot 3, TAP3 in TC mode, vlan
 * 502, red, 10.1.2.9), 24 (slot 1, vlan 700, green).  The routes are real
 * kernel routes in the test's namespace: bpf_fib_lookup reads them.  The
 * maps are written directly (nothing in the daemon writes them yet).
 */
enum { UP_RED = 31, UP_BLUE = 32, DEVX = 33 };
enum { DOM_RED = 11, DOM_BLUE = 12, DOM_GREEN = 13 };
enum { L3P_RED = 20, L3P_BLUE, L3P_RED2, L3P_RED3, L3P_GREEN };
static const uint8_t GWR[6] = { 0x02, 0, 0, 0, 0x10, 0x01 }, GWB[6] = { 0x02, 0, 0, 0, 0x10, 0x02 },
		     GWG[6] = { 0x02, 0, 0, 0, 0x10, 0x03 };
static const uint8_t UMR[6] = { 0x02, 0, 0, 0, 0x20, 0x01 }, UMB[6] = { 0x02, 0, 0, 0, 0x20, 0x02 };
static const uint8_t NHR[6] = { 0x02, 0, 0, 0, 0x30, 0x01 }, NHB[6] = { 0x02, 0, 0, 0, 0x30, 0x02 };
static const uint8_t A_VM[4] = { 10, 1, 0, 5 }, A_RED2[4] = { 10, 1, 1, 7 },
		     A_RED3[4] = { 10, 1, 2, 9 }, A_FAR[4] = { 198, 51, 100, 10 },
		     A_UP[4] = { 192, 0, 2, 2 }, A_NH[4] = { 192, 0, 2, 1 },
		     A_UP_OTHER[4] = { 192, 0, 2, 3 }, A_UNREACH[4] = { 10, 1, 9, 9 },
		     A_NONEIGH[4] = { 203, 0, 113, 5 }, A_LEAK_BLUE[4] = { 203, 0, 114, 5 },
		     A_LEAK_X[4] = { 203, 0, 115, 5 }, A_LEAK_NET[4] = { 203, 0, 116, 5 },
		     A_NOPORT[4] = { 10, 1, 0, 77 }, A_OTHERDOM[4] = { 10, 1, 0, 88 },
		     A_OTHERTAP[4] = { 10, 1, 0, 99 };
static const uint8_t A6_VM[16] = { 0xfd, 0, 0, 1, [15] = 5 };
static const uint8_t A6_RED2[16] = { 0xfd, 0, 0, 2, [15] = 7 };
static const uint8_t A6_FAR[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };
static const uint8_t A6_NH[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 };
static const uint8_t A6_UP[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 };
static const uint8_t A6_UNREACH[16] = { 0xfd, 0, 0, 9, [15] = 9 };

/* The header checksum of the IPv4 header after ethertype b, computed afresh. */
static void l3_csum4(uint8_t *b)
{
	uint16_t c;

	b[12] = b[13] = 0;
	c = (uint16_t)~fr_csum(b + 2, 20, 0);
	b[12] = c >> 8;
	b[13] = c & 0xff;
}

/* IPv4 + UDP after the tags (48 bytes), TTL ttl, its header checksum right. */
static uint32_t l3_v4(uint8_t *b, const uint8_t *src, const uint8_t *dst, uint8_t ttl)
{
	ip4_raw(b, src, dst, 0x3000, 0x0035);
	b[10] = ttl;
	l3_csum4(b);
	return 48;
}

/* IPv6 + UDP after the tags (58 bytes), hop limit hlim. */
static uint32_t l3_v6(uint8_t *b, const uint8_t *src, const uint8_t *dst, uint8_t hlim)
{
	ip6_raw(b, src, dst);
	b[9] = hlim;
	return 58;
}

#define L4(n)	.raw = l3raw[n], .raw_len = 48
#define L6(n)	.raw = l3raw[n], .raw_len = 58
#define LA(n)	.raw = l3raw[n], .raw_len = 30
#define LN(n)	.raw = l3raw[n], .raw_len = 74
#define LN0(n)	.raw = l3raw[n], .raw_len = 66
/* the solicited-node group of 2001:db8:1::2 (the uplinks' address) */
static const uint8_t SN_UP[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x02 };
#define LBIG	.raw = l3big, .raw_len = sizeof(l3big)
/* in: as sent (TTL 64); out: as routed (TTL 63, checksum computed afresh) */
enum { L_OUT, L_OUT_R, L_LOCAL, L_LOCAL_R, L_TC3, L_TC3_R, L_IN, L_IN_R, L_TTL1, L_TTL0,
       L_UNREACH, L_NONEIGH, L_LEAK_BLUE, L_LEAK_X, L_LEAK_NET, L_NOPORT, L_OTHERDOM,
       L_OTHERTAP, L_BADIHL,
       L6_OUT, L6_OUT_R, L6_IN, L6_IN_R, L6_LOCAL, L6_LOCAL_R, L6_HLIM1, L6_UNREACH, L6_NONEIGH,
       LA_REQ, LA_REP_RED, LA_REP_BLUE, LA_REPLY, LA_OTHER, LN_NS, LN_NA_RED, LN_NA_BLUE,
       LN_NS_NOOPT, LN_NS_OTHER, LN_NS_DAD, LN_NA_NH, L_COUNT };
static uint8_t l3raw[L_COUNT][128];
static uint8_t l3big[2 + 1100];	/* IPv4, 1,100 bytes, to 203.0.117.5 (a route of MTU 1,000) */

static void build_l3_frames(void)
{
	static const uint8_t a6_noneigh[16] = { 0xfd, 0, 0, 8, [15] = 8 }, sn[16] = {
		0xff, 0x02, [11] = 1, [12] = 0xff, [13] = 0, [14] = 0, [15] = 2 };
	uint8_t ll_nh[16];

	l3_v4(l3raw[L_OUT], A_VM, A_FAR, 64);
	l3_v4(l3raw[L_OUT_R], A_VM, A_FAR, 63);
	l3_v4(l3raw[L_LOCAL], A_VM, A_RED2, 64);
	l3_v4(l3raw[L_LOCAL_R], A_VM, A_RED2, 63);
	l3_v4(l3raw[L_TC3], A_VM, A_RED3, 64);
	l3_v4(l3raw[L_TC3_R], A_VM, A_RED3, 63);
	l3_v4(l3raw[L_IN], A_FAR, A_VM, 64);
	l3_v4(l3raw[L_IN_R], A_FAR, A_VM, 63);
	l3_v4(l3raw[L_TTL1], A_VM, A_FAR, 1);
	l3_v4(l3raw[L_TTL0], A_FAR, A_VM, 0);
	l3_v4(l3raw[L_UNREACH], A_VM, A_UNREACH, 64);
	l3_v4(l3raw[L_NONEIGH], A_VM, A_NONEIGH, 64);
	l3_v4(l3raw[L_LEAK_BLUE], A_VM, A_LEAK_BLUE, 64);
	l3_v4(l3raw[L_LEAK_X], A_VM, A_LEAK_X, 64);
	l3_v4(l3raw[L_LEAK_NET], A_VM, A_LEAK_NET, 64);
	l3_v4(l3raw[L_NOPORT], A_FAR, A_NOPORT, 64);
	l3_v4(l3raw[L_OTHERDOM], A_FAR, A_OTHERDOM, 64);
	l3_v4(l3raw[L_OTHERTAP], A_FAR, A_OTHERTAP, 64);
	l3_v4(l3raw[L_BADIHL], A_VM, A_FAR, 64);
	l3raw[L_BADIHL][2] = 0x44;			/* a header length of 16 bytes */
	l3_v6(l3raw[L6_OUT], A6_VM, A6_FAR, 64);
	l3_v6(l3raw[L6_OUT_R], A6_VM, A6_FAR, 63);
	l3_v6(l3raw[L6_IN], A6_FAR, A6_VM, 64);
	l3_v6(l3raw[L6_IN_R], A6_FAR, A6_VM, 63);
	l3_v6(l3raw[L6_LOCAL], A6_VM, A6_RED2, 64);
	l3_v6(l3raw[L6_LOCAL_R], A6_VM, A6_RED2, 63);
	l3_v6(l3raw[L6_HLIM1], A6_VM, A6_FAR, 1);
	l3_v6(l3raw[L6_UNREACH], A6_VM, A6_UNREACH, 64);
	l3_v6(l3raw[L6_NONEIGH], A6_VM, a6_noneigh, 64);
	arp_raw(l3raw[LA_REQ], 1, NHR, A_NH, NULL, A_UP);
	arp_raw(l3raw[LA_REP_RED], 2, UMR, A_UP, NHR, A_NH);
	arp_raw(l3raw[LA_REP_BLUE], 2, UMB, A_UP, NHR, A_NH);
	arp_raw(l3raw[LA_REPLY], 2, NHR, A_NH, UMR, A_UP);
	arp_raw(l3raw[LA_OTHER], 1, NHR, A_NH, NULL, A_UP_OTHER);
	ip4_hdr(l3big, 1100, 17, A_VM, (const uint8_t[4]){ 203, 0, 117, 5 });
	l3_csum4(l3big);
	ll_of(ll_nh, NHR);
	nd_raw(l3raw[LN_NS], 135, 0, ll_nh, sn, 255, A6_UP, 1, NHR);
	nd_raw(l3raw[LN_NA_RED], 136, 0x60000000, A6_UP, ll_nh, 255, A6_UP, 2, UMR);
	nd_raw(l3raw[LN_NA_BLUE], 136, 0x60000000, A6_UP, ll_nh, 255, A6_UP, 2, UMB);
	nd_raw(l3raw[LN_NS_NOOPT], 135, 0, ll_nh, sn, 255, A6_UP, 0, NULL);
	nd_raw(l3raw[LN_NS_OTHER], 135, 0, ll_nh, sn, 255, A6_NH, 1, NHR);
	nd_raw(l3raw[LN_NS_DAD], 135, 0, IP6_ANY, sn, 255, A6_UP, 0, NULL);
	nd_raw(l3raw[LN_NA_NH], 136, 0x60000000, A6_NH, A6_UP, 255, A6_NH, 2, NHR);
}

#define FROM_RED(d_, n_)	{ .dst = (d_), .src = M1, .tags = { Q(500) }, n_ }
#define FROM_BLUE(d_, n_)	{ .dst = (d_), .src = M1, .tags = { Q(600) }, n_ }
#define ON_UP(d_, s_, n_)	{ .dst = (d_), .src = (s_), n_ }
#define DROP_RED(r)		DROP_NET(DOM_RED, r)

static const struct tcase l3_cases[] = {
	/* --- from an L3 port: routed in its domain's table ------------------ */
	{ "l3: red vm -> default route: out by red's uplink, MACs, TTL, checksum, tag removed",
	  P_TAP, TAP1, FROM_RED(GWR, L4(L_OUT)), FWD,
	  .out = { REDIR(UP_RED, ON_UP(NHR, UMR, L4(L_OUT_R))) } },
	{ "l3: blue vm, the same addresses -> out by blue's uplink", P_TAP, TAP1,
	  FROM_BLUE(GWB, L4(L_OUT)), FWD, .out = { REDIR(UP_BLUE, ON_UP(NHB, UMB, L4(L_OUT_R))) } },
	{ "l3: red vm -> local L3 port 22 (slot 2, vlan 501): gateway MAC to its MAC, its tag",
	  P_TAP, TAP1, FROM_RED(GWR, L4(L_LOCAL)), FWD,
	  .out = { REDIR(TAP2, { .dst = M2, .src = GWR, .tags = { Q(501) }, L4(L_LOCAL_R) }) } },
	{ "l3: red vm -> local L3 port 23 on an instance port in TC mode", P_TAP, TAP1,
	  FROM_RED(GWR, L4(L_TC3)), FWD,
	  .out = { REDIR(TAP3, { .dst = M4, .src = GWR, .tags = { Q(502) }, L4(L_TC3_R) }) },
	  TO_TC("an L3 port of an instance port in TC mode: XDP may not transmit to its tap") },
	{ "l3: red vm, TTL 1: dropped", P_TAP, TAP1, FROM_RED(GWR, L4(L_TTL1)),
	  DROP_IP(SLOT1, PP_DROP_TTL) },
	{ "l3: red vm, an unreachable route: no_route", P_TAP, TAP1, FROM_RED(GWR, L4(L_UNREACH)),
	  DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	{ "l3: green vm, no route at all in its table: no_route", P_TAP, TAP1,
	  { .dst = GWG, .src = M1, .tags = { Q(700) }, L4(L_OUT) },
	  DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	{ "l3: red vm, next hop not resolved: no_neigh", P_TAP, TAP1,
	  FROM_RED(GWR, L4(L_NONEIGH)), DROP_IP(SLOT1, PP_DROP_NO_NEIGH) },
	{ "l3: red vm, not to the gateway MAC: unknown_dst", P_TAP, TAP1, FROM_RED(EXT, L4(L_OUT)),
	  DROP_IP(SLOT1, PP_DROP_UNKNOWN_DST) },
	{ "l3: red vm, to blue's gateway MAC: unknown_dst", P_TAP, TAP1, FROM_RED(GWB, L4(L_OUT)),
	  DROP_IP(SLOT1, PP_DROP_UNKNOWN_DST) },
	{ "l3: red vm, broadcast: unknown_dst", P_TAP, TAP1, FROM_RED(BC, L4(L_OUT)),
	  DROP_IP(SLOT1, PP_DROP_UNKNOWN_DST) },
	{ "l3: red vm, ARP to the gateway (no responder): unknown_dst", P_TAP, TAP1,
	  FROM_RED(GWR, LA(LA_OTHER)), DROP_IP(SLOT1, PP_DROP_UNKNOWN_DST) },
	{ "l3: red vm, IPv4 header length 16: malformed", P_TAP, TAP1,
	  FROM_RED(GWR, L4(L_BADIHL)), DROP_IP(SLOT1, PP_DROP_MALFORMED) },
	{ "l3: red vm, 1,100 bytes to a route of locked MTU 1,000: FRAG_NEEDED, mtu", P_TAP, TAP1,
	  FROM_RED(GWR, LBIG), DROP_IP(SLOT1, PP_DROP_MTU) },
	{ "l3: red vm, spoofed source MAC", P_TAP, TAP1,
	  { .dst = GWR, .src = M2, .tags = { Q(500) }, L4(L_OUT) }, DROP_IP(SLOT1, PP_DROP_SPOOFED) },
	/* the leaks: red's table names what is not red's */
	{ "l3 leak: red's route via blue's uplink: nothing leaves, no_route", P_TAP, TAP1,
	  FROM_RED(GWR, L4(L_LEAK_BLUE)), DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	{ "l3 leak: red's route via an unrelated bridge: no_route", P_TAP, TAP1,
	  FROM_RED(GWR, L4(L_LEAK_X)), DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	{ "l3 leak: red's route via net A's device: no_route", P_TAP, TAP1,
	  FROM_RED(GWR, L4(L_LEAK_NET)), DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	/* --- from an uplink: toward the VMs ----------------------------------- */
	{ "l3: red uplink -> red vm: tag 500 pushed, gateway MAC, TTL, checksum", P_NET, UP_RED,
	  ON_UP(UMR, NHR, L4(L_IN)), FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = GWR, .tags = { Q(500) }, L4(L_IN_R) }) } },
	{ "l3: blue uplink, the same addresses -> blue vm: tag 600", P_NET, UP_BLUE,
	  ON_UP(UMB, NHB, L4(L_IN)), FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = GWB, .tags = { Q(600) }, L4(L_IN_R) }) } },
	{ "l3: red uplink, TTL 0: dropped", P_NET, UP_RED, ON_UP(UMR, NHR, L4(L_TTL0)),
	  DROP_RED(PP_DROP_TTL) },
	{ "l3: red uplink, to another MAC: unknown_dst", P_NET, UP_RED, ON_UP(EXT, NHR, L4(L_IN)),
	  DROP_RED(PP_DROP_UNKNOWN_DST) },
	{ "l3: red uplink, blue's uplink MAC: unknown_dst", P_NET, UP_RED,
	  ON_UP(UMB, NHR, L4(L_IN)), DROP_RED(PP_DROP_UNKNOWN_DST) },
	{ "l3: red uplink, tagged: unknown_port", P_NET, UP_RED,
	  { .dst = UMR, .src = NHR, .tags = { Q(500) }, L4(L_IN) }, DROP_RED(PP_DROP_UNKNOWN_PORT) },
	{ "l3: red uplink, a route to a tap where no L3 port holds the address: no_route",
	  P_NET, UP_RED, ON_UP(UMR, NHR, L4(L_NOPORT)), DROP_RED(PP_DROP_NO_ROUTE) },
	{ "l3: red uplink, an address red names as blue's port (forged): no_route", P_NET, UP_RED,
	  ON_UP(UMR, NHR, L4(L_OTHERDOM)), DROP_RED(PP_DROP_NO_ROUTE) },
	{ "l3: red uplink, a red port's address routed to another tap: no_route", P_NET, UP_RED,
	  ON_UP(UMR, NHR, L4(L_OTHERTAP)), DROP_RED(PP_DROP_NO_ROUTE) },
	{ "l3 leak: red uplink -> red's route via blue's uplink: no_route", P_NET, UP_RED,
	  ON_UP(UMR, NHR, L4(L_LEAK_BLUE)), DROP_RED(PP_DROP_NO_ROUTE) },
	/* --- IPv6 ------------------------------------------------------------- */
	{ "l3 v6: red vm -> default route: red's uplink, hop limit 63", P_TAP, TAP1,
	  FROM_RED(GWR, L6(L6_OUT)), FWD, .out = { REDIR(UP_RED, ON_UP(NHR, UMR, L6(L6_OUT_R))) } },
	{ "l3 v6: blue vm, the same addresses -> blue's uplink", P_TAP, TAP1,
	  FROM_BLUE(GWB, L6(L6_OUT)), FWD, .out = { REDIR(UP_BLUE, ON_UP(NHB, UMB, L6(L6_OUT_R))) } },
	{ "l3 v6: red vm -> local L3 port 22", P_TAP, TAP1, FROM_RED(GWR, L6(L6_LOCAL)), FWD,
	  .out = { REDIR(TAP2, { .dst = M2, .src = GWR, .tags = { Q(501) }, L6(L6_LOCAL_R) }) } },
	{ "l3 v6: red uplink -> red vm: tag 500", P_NET, UP_RED, ON_UP(UMR, NHR, L6(L6_IN)), FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = GWR, .tags = { Q(500) }, L6(L6_IN_R) }) } },
	{ "l3 v6: blue uplink -> blue vm: tag 600", P_NET, UP_BLUE, ON_UP(UMB, NHB, L6(L6_IN)), FWD,
	  .out = { REDIR(TAP1, { .dst = M1, .src = GWB, .tags = { Q(600) }, L6(L6_IN_R) }) } },
	{ "l3 v6: red vm, hop limit 1: dropped", P_TAP, TAP1, FROM_RED(GWR, L6(L6_HLIM1)),
	  DROP_IP(SLOT1, PP_DROP_TTL) },
	{ "l3 v6: red vm, an unreachable route: no_route", P_TAP, TAP1,
	  FROM_RED(GWR, L6(L6_UNREACH)), DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	{ "l3 v6: red vm, next hop not resolved: no_neigh", P_TAP, TAP1,
	  FROM_RED(GWR, L6(L6_NONEIGH)), DROP_IP(SLOT1, PP_DROP_NO_NEIGH) },
	{ "l3 v6: red vm, not to the gateway MAC: unknown_dst", P_TAP, TAP1,
	  FROM_RED(EXT, L6(L6_OUT)), DROP_IP(SLOT1, PP_DROP_UNKNOWN_DST) },
	/* --- ARP and ND on an uplink ------------------------------------------ */
	/* (answers leave by XDP through pp_xdp_tx, not XDP_TX: pp_l3_uplink_reply) */
	{ "l3 arp: red uplink, request for its address: answered from its MAC", P_NET, UP_RED,
	  ON_UP(BC, NHR, LA(LA_REQ)), FWD,
	  .out = { REDIR(UP_RED, ON_UP(NHR, UMR, LA(LA_REP_RED))) } },
	{ "l3 arp: blue uplink, the same address: answered from blue's MAC", P_NET, UP_BLUE,
	  ON_UP(BC, NHR, LA(LA_REQ)), FWD,
	  .out = { REDIR(UP_BLUE, ON_UP(NHR, UMB, LA(LA_REP_BLUE))) } },
	{ "l3 arp: red uplink, a reply: passed up (polyportd's socket)", P_NET, UP_RED,
	  ON_UP(UMR, NHR, LA(LA_REPLY)), .verdict = TC_ACT_OK,
	  TO_TC("ARP that is not a request for the uplink's address: up to the host via TC") },
	{ "l3 arp: red uplink, a request for another address: passed up", P_NET, UP_RED,
	  ON_UP(BC, NHR, LA(LA_OTHER)), .verdict = TC_ACT_OK,
	  TO_TC("ARP that is not a request for the uplink's address: up to the host via TC") },
	{ "l3 nd: red uplink, NS for its address (solicited-node) -> NA from its MAC, checksum",
	  P_NET, UP_RED, ON_UP(SN_UP, NHR, LN(LN_NS)), FWD, NA_,
	  .out = { REDIR(UP_RED, ON_UP(NHR, UMR, LN(LN_NA_RED))) } },
	{ "l3 nd: red uplink, NS for its address to its MAC (unicast probe) -> NA", P_NET, UP_RED,
	  ON_UP(UMR, NHR, LN(LN_NS)), FWD, NA_,
	  .out = { REDIR(UP_RED, ON_UP(NHR, UMR, LN(LN_NA_RED))) } },
	{ "l3 nd: blue uplink, the same address -> NA from blue's MAC", P_NET, UP_BLUE,
	  ON_UP(SN_UP, NHR, LN(LN_NS)), FWD, NA_,
	  .out = { REDIR(UP_BLUE, ON_UP(NHR, UMB, LN(LN_NA_BLUE))) } },
	{ "l3 nd: red uplink, NS without a source link-layer option -> NA, 8 bytes longer",
	  P_NET, UP_RED, ON_UP(SN_UP, NHR, LN0(LN_NS_NOOPT)), FWD, NA_,
	  .out = { REDIR(UP_RED, ON_UP(NHR, UMR, LN(LN_NA_RED))) },
	  TO_TC("the answer is longer than the question: XDP has no tailroom to count on") },
	{ "l3 nd: red uplink, NS to another MAC: passed up, not answered", P_NET, UP_RED,
	  ON_UP(EXT, NHR, LN(LN_NS)), .verdict = TC_ACT_OK,
	  TO_TC("IPv6 ND on an uplink that is not an NS for its address: up to the host via TC") },
	{ "l3 nd: red uplink, NS for another address: passed up", P_NET, UP_RED,
	  ON_UP(SN_UP, NHR, LN(LN_NS_OTHER)), .verdict = TC_ACT_OK,
	  TO_TC("IPv6 ND on an uplink that is not an NS for its address: up to the host via TC") },
	{ "l3 nd: red uplink, duplicate address detection for its address: passed up", P_NET,
	  UP_RED, ON_UP(SN_UP, NHR, LN0(LN_NS_DAD)), .verdict = TC_ACT_OK,
	  TO_TC("IPv6 ND on an uplink that is not an NS for its address: up to the host via TC") },
	{ "l3 nd: red uplink, the next hop's NA: passed up (polyportd's resolver)", P_NET, UP_RED,
	  ON_UP(UMR, NHR, LN(LN_NA_NH)), .verdict = TC_ACT_OK,
	  TO_TC("IPv6 ND on an uplink that is not an NS for its address: up to the host via TC") },
};

/* One shell command of the L3 setup; its failure is a failed test. */
static int l3_sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "    l3 setup: '%s' failed (%d)\n", cmd, rc);
	return rc ? -1 : 0;
}

static int l3_nh_put(struct progs *p, uint32_t up, uint8_t fam, const uint8_t *addr,
		     const uint8_t *mac)
{
	struct pp_l3nh_key k = { .ifindex = up, .family = fam };
	struct pp_l3nh v = { .flags = PP_L3NH_VALID };

	memcpy(k.addr, addr, fam == PP_NEIGH_V4 ? 4 : 16);
	memcpy(v.mac, mac, 6);
	return pp_l3nh_put(&p->maps, k, &v);
}

static int l3_addr_put(struct progs *p, uint32_t dom, uint8_t fam, const uint8_t *addr,
		       uint32_t sport)
{
	struct pp_l3addr_key k = { .dom = dom, .family = fam };

	memcpy(k.addr, addr, fam == PP_NEIGH_V4 ? 4 : 16);
	return pp_l3addr_put(&p->maps, k, &sport);
}

static int setup_l3(struct progs *p)
{
	static const char *const cmds[] = {
		"ip link add name ppt31 index 31 type bridge",
		"ip link add name ppt32 index 32 type bridge",
		"ip link add name ppt33 index 33 type bridge",
		/* lo down (a new namespace): an onlink route's gateway is "invalid" */
		"ip link set lo up",
		"for d in 11 12 13 21 31 32 33; do ip link set ppt$d up || exit 1; done",
		/* the lookup's ingress devices: forwarding on (else FWD_DISABLED) */
		"for d in 11 12 13 31 32; do sysctl -qw net.ipv4.conf.ppt$d.forwarding=1 "
		"net.ipv6.conf.ppt$d.forwarding=1 || exit 1; done",
		"ip route add default via 192.0.2.1 dev ppt31 onlink table 1001",
		"ip route add 10.1.0.5/32 dev ppt11 table 1001",
		"ip route add 10.1.1.7/32 dev ppt12 table 1001",
		"ip route add 10.1.2.9/32 dev ppt13 table 1001",
		"ip route add unreachable 10.1.9.0/24 table 1001",
		"ip route add 203.0.113.0/24 via 192.0.2.9 dev ppt31 onlink table 1001",
		"ip route add 203.0.114.0/24 via 192.0.2.1 dev ppt32 onlink table 1001",
		"ip route add 203.0.115.0/24 via 192.0.2.1 dev ppt33 onlink table 1001",
		"ip route add 203.0.116.0/24 dev ppt21 table 1001",
		/* the lookup uses a route's MTU only when locked (ip_mtu_from_fib_result) */
		"ip route add 203.0.117.0/24 via 192.0.2.1 dev ppt31 onlink mtu lock 1000 table 1001",
		"ip route add 10.1.0.77/32 dev ppt11 table 1001",
		"ip route add 10.1.0.88/32 dev ppt11 table 1001",
		"ip route add 10.1.0.99/32 dev ppt12 table 1001",
		"ip route add default via 192.0.2.1 dev ppt32 onlink table 1002",
		"ip route add 10.1.0.5/32 dev ppt11 table 1002",
		"ip route add unreachable 10.9.9.0/24 table 1003",
		"ip -6 route add default via 2001:db8:1::1 dev ppt31 onlink table 1001",
		"ip -6 route add fd00:1::5/128 dev ppt11 table 1001",
		"ip -6 route add fd00:2::7/128 dev ppt12 table 1001",
		"ip -6 route add unreachable fd00:9::/64 table 1001",
		"ip -6 route add fd00:8::/64 via 2001:db8:1::8 dev ppt31 onlink table 1001",
		"ip -6 route add default via 2001:db8:1::1 dev ppt32 onlink table 1002",
		"ip -6 route add fd00:1::5/128 dev ppt11 table 1002",
	};
	struct { uint32_t dom, table; const uint8_t *gw; } doms[] = {
		{ DOM_RED, 1001, GWR }, { DOM_BLUE, 1002, GWB }, { DOM_GREEN, 1003, GWG },
	};
	struct { uint32_t id, slot, dom; uint16_t vid; const uint8_t *mac; } l3p[] = {
		{ L3P_RED, SLOT1, DOM_RED, 500, M1 }, { L3P_BLUE, SLOT1, DOM_BLUE, 600, M1 },
		{ L3P_RED2, SLOT2, DOM_RED, 501, M2 }, { L3P_RED3, SLOT3, DOM_RED, 502, M4 },
		{ L3P_GREEN, SLOT1, DOM_GREEN, 700, M1 },
	};
	struct { uint32_t ifindex, dom; const uint8_t *mac; } ups[] = {
		{ UP_RED, DOM_RED, UMR }, { UP_BLUE, DOM_BLUE, UMB },
	};
	int err = 0;

	for (unsigned i = 0; !err && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		err = l3_sh(cmds[i]);
	for (unsigned i = 0; !err && i < sizeof(doms) / sizeof(doms[0]); i++) {
		struct pp_l3dom d = { .table = doms[i].table, .mtu = 1500 };

		memcpy(d.gw_mac, doms[i].gw, 6);
		err = pp_l3dom_put(&p->maps, doms[i].dom, &d);
	}
	for (unsigned i = 0; !err && i < sizeof(l3p) / sizeof(l3p[0]); i++) {
		struct pp_sport sp = { .slot = l3p[i].slot, .net_id = l3p[i].dom,
				       .match = PP_MATCH_VLAN, .outer_vid = l3p[i].vid,
				       .flags = PP_SPORT_L3 };

		memcpy(sp.mac, l3p[i].mac, 6);
		err = pp_sport_put(&p->maps, l3p[i].id, &sp) ||
		      pp_vlan_put(&p->maps, l3p[i].slot, l3p[i].vid, l3p[i].id);
	}
	for (unsigned i = 0; !err && i < sizeof(ups) / sizeof(ups[0]); i++) {
		struct pp_dev dev = { .flags = PP_DEV_UPLINK, .net_id = ups[i].dom,
				      .ifindex = ups[i].ifindex };
		struct pp_l3up up = { .dom = ups[i].dom, .flags = PP_L3UP_V4 | PP_L3UP_V6 };

		memcpy(up.mac, ups[i].mac, 6);
		memcpy(up.ip4, A_UP, 4);
		memcpy(up.ip6, A6_UP, 16);
		err = pp_dev_put(&p->maps, ups[i].ifindex, &dev) ||
		      pp_l3up_put(&p->maps, ups[i].ifindex, &up) ||
		      pp_xdp_tx_set(&p->maps, ups[i].ifindex, true);
	}
	if (!err)	/* DEVX: an unrelated device polyport knows nothing of */
		err = l3_nh_put(p, UP_RED, PP_NEIGH_V4, A_NH, NHR) ||
		      l3_nh_put(p, UP_BLUE, PP_NEIGH_V4, A_NH, NHB) ||
		      l3_nh_put(p, DEVX, PP_NEIGH_V4, A_NH, NHB) ||
		      l3_nh_put(p, UP_RED, PP_NEIGH_V6, A6_NH, NHR) ||
		      l3_nh_put(p, UP_BLUE, PP_NEIGH_V6, A6_NH, NHB) ||
		      l3_addr_put(p, DOM_RED, PP_NEIGH_V4, A_VM, L3P_RED) ||
		      l3_addr_put(p, DOM_BLUE, PP_NEIGH_V4, A_VM, L3P_BLUE) ||
		      l3_addr_put(p, DOM_RED, PP_NEIGH_V4, A_RED2, L3P_RED2) ||
		      l3_addr_put(p, DOM_RED, PP_NEIGH_V4, A_RED3, L3P_RED3) ||
		      l3_addr_put(p, DOM_RED, PP_NEIGH_V4, A_OTHERDOM, L3P_BLUE) ||
		      l3_addr_put(p, DOM_RED, PP_NEIGH_V4, A_OTHERTAP, L3P_RED) ||
		      l3_addr_put(p, DOM_RED, PP_NEIGH_V6, A6_VM, L3P_RED) ||
		      l3_addr_put(p, DOM_BLUE, PP_NEIGH_V6, A6_VM, L3P_BLUE) ||
		      l3_addr_put(p, DOM_RED, PP_NEIGH_V6, A6_RED2, L3P_RED2);
	return err;
}

/*
 * Entries of the L2 world forged to name an L3 port (port 23, MAC M4, red):
 * pp_dst, pp_fdb and the lone-port hint of net D, pp_dst of net A.  An L2
 * frame is never delivered to it (its net_id is a domain's, never net D's
 * or net A's).  And pp_nets[red] forged to name net A's device: an L3
 * port's frames are still routed (pp_nets is never read for an L3 port,
 * neither by the full path nor by XDP's fast one, pp_fast_l3_vm).  Then
 * forwarding off on
 * the lookup's ingress device: FWD_DISABLED, counted as no_route.
 */
enum { LF_DST, LF_FDB, LF_LONE, LF_VM, LF_NETS, LF_FWD_TAP, LF_FWD_UP6 };
static const struct tcase l3_forged_cases[] = {
	[LF_DST] = { "l3 forged: net D's pp_dst way naming L3 port 23: not delivered", P_NET, DEVDE,
		     FR(M4, EXT), DROP_NET(NET_D, PP_DROP_UNKNOWN_DST) },
	[LF_FDB] = { "l3 forged: net D's pp_fdb entry naming L3 port 23: not delivered", P_NET,
		     DEVDE, FR(M4, EXT), DROP_NET(NET_D, PP_DROP_UNKNOWN_DST) },
	[LF_LONE] = { "l3 forged: net D's lone-port hint naming L3 port 23: not delivered", P_NET,
		      DEVDE, FR(M4, EXT), DROP_NET(NET_D, PP_DROP_UNKNOWN_DST) },
	[LF_VM] = { "l3 forged: net A's pp_dst way naming L3 port 23: vm frame goes to net A only",
		    P_TAP, TAP1, FR(M4, M1, Q(100)), FWD, .out = { REDIR(DEVA, FR(M4, M1)) } },
	[LF_NETS] = { "l3 forged: pp_nets[red] naming net A's device: red vm still routed", P_TAP,
		      TAP1, FROM_RED(GWR, L4(L_OUT)), FWD,
		      .out = { REDIR(UP_RED, ON_UP(NHR, UMR, L4(L_OUT_R))) } },
	[LF_FWD_TAP] = { "l3: forwarding off on the tap: FWD_DISABLED, no_route", P_TAP, TAP1,
			 FROM_RED(GWR, L4(L_OUT)), DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	[LF_FWD_UP6] = { "l3 v6: IPv6 forwarding off on the uplink: FWD_DISABLED, no_route", P_NET,
			 UP_RED, ON_UP(UMR, NHR, L6(L6_IN)), DROP_RED(PP_DROP_NO_ROUTE) },
};

static void check_l3_forged(struct progs *p)
{
	__u32 di = pp_dst_idx(NET_D, M4), ai = pp_dst_idx(NET_A, M4), q = L3P_RED3;
	struct pp_dst_bucket b, saved_d, saved_a;
	struct pp_fdb_key fk = { .net_id = NET_D };
	struct pp_net d, saved_n, red = { .ifindex = DEVA, .mtu = 1500 };

	pp_map_get(&p->maps, PPM_DST, &di, &saved_d);
	b = saved_d;
	b.way[PP_DST_WAYS - 1].sport = L3P_RED3;
	memcpy(b.way[PP_DST_WAYS - 1].mac, M4, 6);
	pp_map_put(&p->maps, PPM_DST, &di, &b);
	run_case(p, &l3_forged_cases[LF_DST], 1);
	b.flags |= PP_DST_MORE;
	pp_map_put(&p->maps, PPM_DST, &di, &b);
	memcpy(fk.mac, M4, 6);
	pp_fdb_put(&p->maps, fk, &q);
	run_case(p, &l3_forged_cases[LF_FDB], 1);
	pp_fdb_del(&p->maps, fk);
	pp_map_put(&p->maps, PPM_DST, &di, &saved_d);
	pp_net_get(&p->maps, NET_D, &saved_n);
	d = saved_n;
	d.lone_sport = L3P_RED3;
	pp_net_put(&p->maps, NET_D, &d);
	run_case(p, &l3_forged_cases[LF_LONE], 1);
	pp_net_put(&p->maps, NET_D, &saved_n);

	pp_map_get(&p->maps, PPM_DST, &ai, &saved_a);
	b = saved_a;
	b.way[PP_DST_WAYS - 1].sport = L3P_RED3;
	memcpy(b.way[PP_DST_WAYS - 1].mac, M4, 6);
	pp_map_put(&p->maps, PPM_DST, &ai, &b);
	run_case(p, &l3_forged_cases[LF_VM], 2);
	pp_map_put(&p->maps, PPM_DST, &ai, &saved_a);

	pp_net_put(&p->maps, DOM_RED, &red);
	run_case(p, &l3_forged_cases[LF_NETS], 2);
	memset(&red, 0, sizeof(red));
	pp_net_put(&p->maps, DOM_RED, &red);

	if (!l3_sh("sysctl -qw net.ipv4.conf.ppt11.forwarding=0"))
		run_case(p, &l3_forged_cases[LF_FWD_TAP], 2);
	l3_sh("sysctl -qw net.ipv4.conf.ppt11.forwarding=1");
	if (!l3_sh("sysctl -qw net.ipv6.conf.ppt31.forwarding=0"))
		run_case(p, &l3_forged_cases[LF_FWD_UP6], 1);
	l3_sh("sysctl -qw net.ipv6.conf.ppt31.forwarding=1");
}

/* ---- L3: XDP's fast path of routed frames (pp_l3_fast, lib/l3.h) ----------------------
 * Entries forged so that only one of the checks the routed path makes
 * fails: the fast path must give the frame to the full path (which drops it
 * as no_route), not send it.  Each names the check it proves.  Port 20 has
 * the responder flag here, as every L3 port polyportd writes: its frames
 * take the fast path.  And the neighbour discovery the fast path never
 * takes: an NS (hop limit 64) to an uplink's MAC goes up to the host, an NS
 * from a VM to the gateway MAC is answered by the responder; routed, both
 * would reach a VM / an uplink.
 */
enum { LFF_UP_L3UPS, LFF_UP_DEVS, LFF_NOT_L3, LFF_SECURITY, LFF_DEV_SLOT, LFF_IPORT_TAP,
       LFF_NOT_TAP, LFF_NS_UP, LFF_NS_GW, LFF_ROUTED, LFF_VM_SECURITY };
static uint8_t lff_ns_up[128], lff_ns_gw[128], lff_na_gw[128];
static const uint8_t A6_GWR[16] = { 0xfd, 0, 0, 1, [15] = 1 };
static const struct tcase l3_fast_cases[] = {
	[LFF_UP_L3UPS] = { "l3 fast: pp_devs names blue's uplink red's, pp_l3ups blue's: no_route",
			   P_TAP, TAP1, FROM_RED(GWR, L4(L_LEAK_BLUE)),
			   DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	[LFF_UP_DEVS] = { "l3 fast: pp_l3ups names blue's uplink red's, pp_devs blue's: no_route",
			  P_TAP, TAP1, FROM_RED(GWR, L4(L_LEAK_BLUE)),
			  DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	[LFF_NOT_L3] = { "l3 fast: pp_l3addrs names port 22, its entry is not an L3 port's: no_route",
			 P_TAP, TAP1, FROM_RED(GWR, L4(L_LOCAL)),
			 DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	[LFF_SECURITY] = { "l3 fast: port 22 with security, its ingress rules not written: "
			   "dropped by them, not delivered", P_TAP, TAP1,
			   FROM_RED(GWR, L4(L_LOCAL)), .verdict = TC_ACT_SHOT },
	[LFF_DEV_SLOT] = { "l3 fast: pp_devs names port 22's tap slot 1's: no_route", P_TAP, TAP1,
			   FROM_RED(GWR, L4(L_LOCAL)), DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	[LFF_IPORT_TAP] = { "l3 fast: pp_iports names another tap for port 22's slot: no_route",
			    P_TAP, TAP1, FROM_RED(GWR, L4(L_LOCAL)),
			    DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	[LFF_NOT_TAP] = { "l3 fast: pp_devs says port 22's tap is a network's device: no_route",
			  P_TAP, TAP1, FROM_RED(GWR, L4(L_LOCAL)),
			  DROP_IP(SLOT1, PP_DROP_NO_ROUTE) },
	[LFF_NS_UP] = { "l3 fast: red uplink, an NS (hop limit 64) to its MAC for a red vm's "
			"address: passed up, not routed", P_NET, UP_RED,
			{ .dst = UMR, .src = NHR, .raw = lff_ns_up, .raw_len = 74 }, .verdict = TC_ACT_OK,
			TO_TC("IPv6 ND on an uplink that is not an NS for its address: up to the "
			      "host via TC") },
	[LFF_NS_GW] = { "l3 fast: red vm, an NS to the gateway MAC for its address: answered by "
			"the responder, not routed", P_TAP, TAP1,
			{ .dst = GWR, .src = M1, .tags = { Q(500) }, .raw = lff_ns_gw,
			  .raw_len = 74 }, FWD, XDP_TX_, NA_,
			.out = { REDIR(TAP1, { .dst = M1, .src = GWR, .tags = { Q(500) },
					       .raw = lff_na_gw, .raw_len = 74 }) } },
	[LFF_ROUTED] = { "l3 fast: red vm with the responder (as every L3 port) -> local L3 port 22",
			 P_TAP, TAP1, FROM_RED(GWR, L4(L_LOCAL)), FWD,
			 .out = { REDIR(TAP2, { .dst = M2, .src = GWR, .tags = { Q(501) },
						L4(L_LOCAL_R) }) } },
	[LFF_VM_SECURITY] = { "l3 fast: red vm's port with security, no source address allowed: "
			      "spoofed, not routed", P_TAP, TAP1, FROM_RED(GWR, L4(L_OUT)),
			      DROP_IP(SLOT1, PP_DROP_SPOOFED) },
};

static void l3_fast_run(struct progs *p, unsigned i)
{
	const struct tcase *c = &l3_fast_cases[i];

	run_case(p, c, fr_meta_ok(&c->in) ? 2 : 1);
}

static void check_l3_fast(struct progs *p)
{
	struct pp_neigh_key nk = { .net_id = DOM_RED, .family = PP_NEIGH_V6 };
	struct pp_neigh nv = { .flags = PP_NEIGH_ROUTER };
	struct pp_sport sp20, sp22, s;
	struct pp_dev dev, saved_dev;
	struct pp_iport ip, saved_ip;
	struct pp_l3up up, saved_up;

	nd_raw(lff_ns_up, 135, 0, A6_NH, A6_VM, 64, A6_VM, 1, NHR);
	nd_raw(lff_ns_gw, 135, 0, A6_VM, A6_GWR, 255, A6_GWR, 1, M1);
	nd_raw(lff_na_gw, 136, 0xe0000000, A6_GWR, A6_VM, 255, A6_GWR, 2, GWR);
	pp_sport_get(&p->maps, L3P_RED, &sp20);
	s = sp20;
	s.flags |= PP_SPORT_RESPONDER;
	pp_sport_put(&p->maps, L3P_RED, &s);
	l3_fast_run(p, LFF_ROUTED);
	s.flags |= PP_SPORT_SECURITY;
	pp_sport_put(&p->maps, L3P_RED, &s);
	l3_fast_run(p, LFF_VM_SECURITY);
	s.flags &= ~PP_SPORT_SECURITY;
	pp_sport_put(&p->maps, L3P_RED, &s);

	/* the uplink: pp_devs and pp_l3ups, each alone naming blue's uplink red's */
	pp_dev_get(&p->maps, UP_BLUE, &saved_dev);
	dev = saved_dev;
	dev.net_id = DOM_RED;
	pp_dev_put(&p->maps, UP_BLUE, &dev);
	l3_fast_run(p, LFF_UP_L3UPS);
	pp_dev_put(&p->maps, UP_BLUE, &saved_dev);
	pp_l3up_get(&p->maps, UP_BLUE, &saved_up);
	up = saved_up;
	up.dom = DOM_RED;
	pp_l3up_put(&p->maps, UP_BLUE, &up);
	l3_fast_run(p, LFF_UP_DEVS);
	pp_l3up_put(&p->maps, UP_BLUE, &saved_up);

	/* the local port: its entry, then its tap by each of the two tables */
	pp_sport_get(&p->maps, L3P_RED2, &sp22);
	s = sp22;
	s.flags &= ~PP_SPORT_L3;
	pp_sport_put(&p->maps, L3P_RED2, &s);
	l3_fast_run(p, LFF_NOT_L3);
	s = sp22;
	s.flags |= PP_SPORT_SECURITY | PP_SPORT_RULES_IN;
	pp_sport_put(&p->maps, L3P_RED2, &s);
	l3_fast_run(p, LFF_SECURITY);
	pp_sport_put(&p->maps, L3P_RED2, &sp22);
	pp_dev_get(&p->maps, TAP2, &saved_dev);
	dev = saved_dev;
	dev.slot = SLOT1;
	pp_dev_put(&p->maps, TAP2, &dev);
	l3_fast_run(p, LFF_DEV_SLOT);
	dev = saved_dev;
	dev.flags = PP_DEV_NET;
	pp_dev_put(&p->maps, TAP2, &dev);
	l3_fast_run(p, LFF_NOT_TAP);
	pp_dev_put(&p->maps, TAP2, &saved_dev);
	pp_iport_get(&p->maps, SLOT2, &saved_ip);
	ip = saved_ip;
	ip.ifindex = TAP3;
	pp_iport_put(&p->maps, SLOT2, &ip);
	l3_fast_run(p, LFF_IPORT_TAP);
	pp_iport_put(&p->maps, SLOT2, &saved_ip);

	/* neighbour discovery: never routed */
	l3_fast_run(p, LFF_NS_UP);
	memcpy(nk.addr, A6_GWR, 16);
	memcpy(nv.mac, GWR, 6);
	pp_neigh_put(&p->maps, nk, &nv);
	l3_fast_run(p, LFF_NS_GW);
	pp_neigh_del(&p->maps, nk);
	pp_sport_put(&p->maps, L3P_RED, &sp20);
}

/* ---- L3: the uplinks' TC egress (pp_uplink_egress_tc) -----------------------------------
 * Nothing the host sends leaves by an uplink: a frame without PP_L3_MARK is
 * dropped as host_egress on the uplink's domain; polyport's own (the routed
 * frames and ARP answers its TC programs redirect there, polyportd's ARP/NS
 * by SO_MARK) carry the mark, which the egress clears.  A device that is not
 * an uplink is not touched (TC_ACT_UNSPEC, the mark left as it is).  The TC
 * runs below hand their output, with the skb mark they left (ctx_out), to
 * the egress program on the device they redirect to.
 */
struct l3e_run {
	uint32_t retval, mark, size;
	uint32_t redir;		/* the last redirect's ifindex (0: none) */
};

/* One TC run of prog (fd) on frame in (len bytes) at ifindex, skb mark mark. */
static int l3e_run(struct progs *p, int fd, uint32_t ifindex, int egress, uint32_t mark,
		   const uint8_t *in, uint32_t len, uint8_t *out, struct l3e_run *r)
{
	struct __sk_buff skb = { .mark = mark }, so = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = FR_MAX, .ctx_in = &skb, .ctx_size_in = sizeof(skb),
		    .ctx_out = &so, .ctx_size_out = sizeof(so));
	int err;

	if (egress)
		skb.ifindex = ifindex;		/* skb->dev: the egress device */
	else
		skb.ingress_ifindex = ifindex;
	p->tap->bss->pp_test_nlog = 0;
	p->net->bss->pp_test_nlog = 0;
	memset(&p->tap->bss->pp_test_meta, 0, sizeof(p->tap->bss->pp_test_meta));
	memset(&p->net->bss->pp_test_meta, 0, sizeof(p->net->bss->pp_test_meta));
	err = bpf_prog_test_run_opts(fd, &o);
	if (err) {
		fprintf(stderr, "    TEST_RUN: %s\n", strerror(-err));
		return 0;
	}
	r->retval = o.retval;
	r->mark = so.mark;
	r->size = o.data_size_out;
	r->redir = 0;
	if (fd == bpf_program__fd(p->tap->progs.pp_tap_ingress) && p->tap->bss->pp_test_nlog)
		r->redir = p->tap->bss->pp_test_log[p->tap->bss->pp_test_nlog - 1].ifindex;
	if (fd != bpf_program__fd(p->tap->progs.pp_tap_ingress) && p->net->bss->pp_test_nlog)
		r->redir = p->net->bss->pp_test_log[p->net->bss->pp_test_nlog - 1].ifindex;
	return 1;
}

/* The egress program on ifindex, frame in with mark: verdict want, mark after, drops. */
static int l3e_egress(struct progs *p, uint32_t ifindex, uint32_t mark, const uint8_t *in,
		      uint32_t len, int want, uint32_t want_mark, uint32_t drop_dom)
{
	static uint8_t out[FR_MAX];
	struct snap a, b, d;
	struct l3e_run r;
	int ok;

	snap_take(&p->maps, &a);
	if (!l3e_run(p, bpf_program__fd(p->net->progs.pp_uplink_egress_tc), ifindex, 1, mark, in,
		     len, out, &r))
		return 0;
	snap_take(&p->maps, &b);
	snap_delta(&a, &b, &d);
	ok = (int)r.retval == want && r.mark == want_mark && r.size == len &&
	     !memcmp(out, in, len);
	if (!ok)
		fprintf(stderr, "    egress on %u: verdict %d mark %#x (%u bytes), want %d mark %#x\n",
			ifindex, (int)r.retval, r.mark, r.size, want, want_mark);
	if (drop_dom && d.drop[D_NET - 1][drop_dom][PP_DROP_HOST_EGRESS] != 1) {
		fprintf(stderr, "    host_egress not counted on domain %u\n", drop_dom);
		ok = 0;
	}
	if (snap_drops(&d) != (drop_dom ? 1u : 0u)) {
		fprintf(stderr, "    drop counters moved by %llu\n",
			(unsigned long long)snap_drops(&d));
		ok = 0;
	}
	return ok;
}

/*
 * A routed or answered frame: the TC program (tap or uplink ingress) sends
 * it to uplink up with PP_L3_MARK, and the egress there passes it, the mark
 * cleared.
 */
static void l3e_through(struct progs *p, const char *name, int tap, uint32_t ifindex,
			const struct fspec *f, uint32_t up)
{
	static uint8_t in[FR_MAX], out[FR_MAX];
	uint32_t n = fr_build(in, f);
	struct l3e_run r;
	int ok, fd = tap ? bpf_program__fd(p->tap->progs.pp_tap_ingress)
			 : bpf_program__fd(p->net->progs.pp_net_ingress);

	ok = l3e_run(p, fd, ifindex, 0, 0, in, n, out, &r);
	if (ok && (r.retval != TC_ACT_REDIRECT || r.redir != up || r.mark != PP_L3_MARK)) {
		fprintf(stderr, "    verdict %d to %u mark %#x, want a redirect to %u, mark %#x\n",
			(int)r.retval, r.redir, r.mark, up, PP_L3_MARK);
		ok = 0;
	}
	result(ok, "tc l3 egress: %s: leaves for uplink %u with polyport's mark", name, up);
	if (ok)
		ok = l3e_egress(p, up, r.mark, out, r.size, TC_ACT_OK, 0, 0);
	result(ok, "tc l3 egress: %s: passes uplink %u's egress, the mark cleared", name, up);
}

static void check_l3_egress(struct progs *p)
{
	static const struct fspec out4 = FROM_RED(GWR, L4(L_OUT)), out6 = FROM_RED(GWR, L6(L6_OUT)),
				  outb = FROM_BLUE(GWB, L4(L_OUT)),
				  arp = ON_UP(BC, NHR, LA(LA_REQ)),
				  ns = ON_UP(SN_UP, NHR, LN(LN_NS)),
				  host4 = ON_UP(NHR, UMR, L4(L_OUT_R)),
				  host6 = ON_UP(NHR, UMR, L6(L6_OUT_R)),
				  harp = ON_UP(BC, UMR, LA(LA_REQ));
	static uint8_t f[FR_MAX];
	uint32_t n;

	l3e_through(p, "red vm -> default route (IPv4)", 1, TAP1, &out4, UP_RED);
	l3e_through(p, "red vm -> default route (IPv6)", 1, TAP1, &out6, UP_RED);
	l3e_through(p, "blue vm -> default route", 1, TAP1, &outb, UP_BLUE);
	l3e_through(p, "red uplink ARP request for its address, the answer", 0, UP_RED, &arp,
		    UP_RED);
	l3e_through(p, "red uplink NS for its address, the NA", 0, UP_RED, &ns, UP_RED);

	n = fr_build(f, &host4);
	result(l3e_egress(p, UP_RED, 0, f, n, TC_ACT_SHOT, 0, DOM_RED),
	       "tc l3 egress: the host's IPv4 frame on red's uplink: dropped, host_egress on red");
	result(l3e_egress(p, UP_BLUE, 0, f, n, TC_ACT_SHOT, 0, DOM_BLUE),
	       "tc l3 egress: the host's frame on blue's uplink: host_egress on blue");
	result(l3e_egress(p, UP_RED, 1, f, n, TC_ACT_SHOT, 1, DOM_RED),
	       "tc l3 egress: a frame with another mark (1) on red's uplink: host_egress");
	result(l3e_egress(p, UP_RED, PP_L3_MARK, f, n, TC_ACT_OK, 0, 0),
	       "tc l3 egress: a frame with polyport's mark on red's uplink: passes, mark cleared");
	n = fr_build(f, &host6);
	result(l3e_egress(p, UP_RED, 0, f, n, TC_ACT_SHOT, 0, DOM_RED),
	       "tc l3 egress: the host's IPv6 frame on red's uplink: host_egress on red");
	n = fr_build(f, &harp);
	result(l3e_egress(p, UP_RED, 0, f, n, TC_ACT_SHOT, 0, DOM_RED),
	       "tc l3 egress: the host's own ARP on red's uplink: host_egress on red");
	result(l3e_egress(p, UP_RED, PP_L3_MARK, f, n, TC_ACT_OK, 0, 0),
	       "tc l3 egress: polyportd's ARP (SO_MARK) on red's uplink: passes, mark cleared");
	/* not uplinks: untouched, whatever the mark */
	n = fr_build(f, &host4);
	result(l3e_egress(p, DEVX, 0, f, n, TC_ACT_UNSPEC, 0, 0) &&
	       l3e_egress(p, DEVX, PP_L3_MARK, f, n, TC_ACT_UNSPEC, PP_L3_MARK, 0),
	       "tc l3 egress: a device polyport does not know: untouched (no verdict, mark kept)");
	result(l3e_egress(p, DEVA, 0, f, n, TC_ACT_UNSPEC, 0, 0) &&
	       l3e_egress(p, DEVA, PP_L3_MARK, f, n, TC_ACT_UNSPEC, PP_L3_MARK, 0),
	       "tc l3 egress: net A's device: untouched");
	result(l3e_egress(p, TAP1, 0, f, n, TC_ACT_UNSPEC, 0, 0),
	       "tc l3 egress: a tap: untouched");
}

/* ---- L3: the misses polyportd resolves (pp_l3miss) ---------------------------------------
 * A frame dropped as no_neigh leaves (its uplink, its next hop) in pp_l3miss,
 * TC and XDP; a routed one leaves nothing. */
static const struct tcase l3_miss_cases[] = {
	{ "l3 miss: red vm, next hop 192.0.2.9 not resolved: no_neigh", P_TAP, TAP1,
	  FROM_RED(GWR, L4(L_NONEIGH)), DROP_IP(SLOT1, PP_DROP_NO_NEIGH) },
	{ "l3 miss: red vm, next hop 192.0.2.1 resolved: routed", P_TAP, TAP1,
	  FROM_RED(GWR, L4(L_OUT)), FWD,
	  .out = { REDIR(UP_RED, ON_UP(NHR, UMR, L4(L_OUT_R))) } },
	{ "l3 miss: red vm, v6 next hop 2001:db8:1::8 not resolved: no_neigh", P_TAP, TAP1,
	  FROM_RED(GWR, L6(L6_NONEIGH)), DROP_IP(SLOT1, PP_DROP_NO_NEIGH) },
};

/* How many pp_l3miss entries there are; *found set if (UP_RED, fam, nh) is one of them. */
static unsigned l3_miss_count(struct progs *p, uint8_t fam, const uint8_t *nh, int *found)
{
	struct pp_l3nh_key k, next, want = { .ifindex = UP_RED, .family = fam };
	unsigned n = 0;
	void *prev = NULL;
	__u64 v;

	memcpy(want.addr, nh, fam == PP_NEIGH_V4 ? 4 : 16);
	*found = 0;
	while (!bpf_map_get_next_key(p->maps.fd[PPM_L3MISS], prev, &next)) {
		k = next;
		prev = &k;
		n++;
		if (!memcmp(&k, &want, sizeof(k)) &&
		    !bpf_map_lookup_elem(p->maps.fd[PPM_L3MISS], &k, &v) && v)
			*found = 1;
	}
	return n;
}

static void l3_miss_clear(struct progs *p)
{
	struct pp_l3nh_key k;

	while (!bpf_map_get_next_key(p->maps.fd[PPM_L3MISS], NULL, &k))
		bpf_map_delete_elem(p->maps.fd[PPM_L3MISS], &k);
}

static void check_l3_miss(struct progs *p)
{
	static const uint8_t nh4[4] = { 192, 0, 2, 9 }, nh6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1,
								    [15] = 8 };
	const struct tcase *c;
	struct snap tc;
	int found;

	for (int xdp = 0; xdp < 2; xdp++) {
		const char *hook = xdp ? "xdp" : "tc";

		c = &l3_miss_cases[0];
		l3_miss_clear(p);
		result((xdp ? run_xdp(p, c, NULL) : run_tc(p, c, 0, &tc)) &&
		       l3_miss_count(p, PP_NEIGH_V4, nh4, &found) == 1 && found,
		       "%s %s: pp_l3miss holds (red uplink, 192.0.2.9)", hook, c->name);
		c = &l3_miss_cases[2];
		l3_miss_clear(p);
		result((xdp ? run_xdp(p, c, NULL) : run_tc(p, c, 0, &tc)) &&
		       l3_miss_count(p, PP_NEIGH_V6, nh6, &found) == 1 && found,
		       "%s %s: pp_l3miss holds (red uplink, 2001:db8:1::8)", hook, c->name);
		c = &l3_miss_cases[1];
		l3_miss_clear(p);
		result((xdp ? run_xdp(p, c, NULL) : run_tc(p, c, 0, &tc)) &&
		       l3_miss_count(p, PP_NEIGH_V4, nh4, &found) == 0,
		       "%s %s: pp_l3miss stays empty", hook, c->name);
	}
	l3_miss_clear(p);
}

/* ---- L3: ICMP errors from the gateway (bpf/lib/l3icmp.h) ------------------------------
 * With pp_l3gw naming red's gateways (10.1.0.0/24 -> 10.1.0.1, fd00:1::/64 ->
 * fd00:1::1), a routed frame dropped as ttl or mtu is answered back on the
 * port (tag 500, from the gateway MAC), the drop counted all the same; XDP
 * hands such a frame to TC unchanged.  The expected errors are built here
 * byte by byte, their checksums computed afresh (fr_csum, icmp6_csum).
 */
static const uint8_t A_GW[4] = { 10, 1, 0, 1 };
static const uint8_t A6_GW[16] = { 0xfd, 0, 0, 1, [15] = 1 };
static const uint8_t A6_BIG[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0x01, [15] = 5 };
enum { LI_BIG4, LI_BIG4_R, LI_BIG4_NODF, LI_BIG6, LI_BIG6_R, LI_TTL1_R, LI_HLIM1_R,
       LI_ERR_TTL1, LI_COUNT };
static uint8_t l3icmp[LI_COUNT][2 + 1400];
static uint32_t l3icmp_len[LI_COUNT];

/* The gateway's error (after the tags) about IP packet pkt (len bytes). */
static uint32_t l3_icmp_err(uint8_t *b, int v6, uint8_t type, uint8_t code, uint32_t mtu,
			    const uint8_t *pkt, uint32_t len)
{
	uint32_t q = len < (v6 ? 1232u : 548u) ? len : (v6 ? 1232u : 548u);
	uint8_t *m;
	uint16_t c;

	if (v6) {
		m = ip6_hdr(b, 8 + q, 58, 64, A6_GW, pkt + 8);
		m[4] = mtu >> 24;
		m[5] = (mtu >> 16) & 0xff;
	} else {
		m = ip4_hdr(b, 28 + q, 1, A_GW, pkt + 12);
		b[3] = 0xc0;
		l3_csum4(b);
	}
	m[0] = type;
	m[1] = code;
	m[6] = (mtu >> 8) & 0xff;
	m[7] = mtu & 0xff;
	memcpy(m + 8, pkt, q);
	c = v6 ? icmp6_csum(A6_GW, pkt + 8, m, 8 + q) : (uint16_t)~fr_csum(m, 8 + q, 0);
	m[2] = c >> 8;
	m[3] = c & 0xff;
	return (uint32_t)(m - b) + 8 + q;
}

static void build_l3_icmp_frames(void)
{
	uint8_t *b;

	/* IPv4, 1,100 bytes, DF, to a route of locked MTU 1,000 (203.0.117.0/24) */
	memcpy(l3icmp[LI_BIG4], l3big, sizeof(l3big));
	l3icmp[LI_BIG4][8] = 0x40;
	l3_csum4(l3icmp[LI_BIG4]);
	l3icmp_len[LI_BIG4] = sizeof(l3big);
	l3icmp_len[LI_BIG4_R] = l3_icmp_err(l3icmp[LI_BIG4_R], 0, 3, 4, 1000,
					    l3icmp[LI_BIG4] + 2, 1100);
	memcpy(l3icmp[LI_BIG4_NODF], l3big, sizeof(l3big));
	l3icmp_len[LI_BIG4_NODF] = sizeof(l3big);
	/* IPv6, 1,400 bytes, to a route of MTU 1,280 (2001:db8:ff01::/64) */
	b = ip6_hdr(l3icmp[LI_BIG6], 1360, 17, 64, A6_VM, A6_BIG);
	l4_words(b, 0x3000, 0x3000);
	l3icmp_len[LI_BIG6] = 2 + 1400;
	l3icmp_len[LI_BIG6_R] = l3_icmp_err(l3icmp[LI_BIG6_R], 1, 2, 0, 1280,
					    l3icmp[LI_BIG6] + 2, 1400);
	l3icmp_len[LI_TTL1_R] = l3_icmp_err(l3icmp[LI_TTL1_R], 0, 11, 0, 0, l3raw[L_TTL1] + 2, 46);
	l3icmp_len[LI_HLIM1_R] = l3_icmp_err(l3icmp[LI_HLIM1_R], 1, 3, 0, 0,
					     l3raw[L6_HLIM1] + 2, 56);
	/* an ICMP error itself (port unreachable), TTL 1 */
	b = ip4_hdr(l3icmp[LI_ERR_TTL1], 56, 1, A_VM, A_FAR);
	l3icmp[LI_ERR_TTL1][10] = 1;
	b[0] = 3;
	b[1] = 3;
	l3_csum4(l3icmp[LI_ERR_TTL1]);
	l3icmp_len[LI_ERR_TTL1] = 2 + 56;
}

#define LI(n)	.raw = l3icmp[n], .raw_len = 0 /* set at run time */
#define TO_RED(n) { .dst = M1, .src = GWR, .tags = { Q(500) }, .raw = l3icmp[n] }
#define ICMP_TO_TC TO_TC("an ICMP error to send: TC builds it (the frame grows)")
#define ANSWERED(r) .verdict = TC_ACT_REDIRECT, .drop = D_IPORT, .drop_idx = SLOT1, .reason = (r)
enum { LIC_BIG4, LIC_BIG4_NODF, LIC_BIG6, LIC_TTL1, LIC_HLIM1, LIC_ERR_TTL1, LIC_RATE_LAST,
       LIC_RATE_OVER };
static struct tcase l3_icmp_cases[] = {
	[LIC_BIG4] = { "l3 icmp: red vm, 1,100 bytes with DF to a route of MTU 1,000: "
		       "frag needed (mtu 1000) from 10.1.0.1, 548 bytes quoted, dropped as mtu",
		       P_TAP, TAP1, FROM_RED(GWR, LI(LI_BIG4)), ANSWERED(PP_DROP_MTU),
		       .out = { REDIR(TAP1, TO_RED(LI_BIG4_R)) }, ICMP_TO_TC },
	[LIC_BIG4_NODF] = { "l3 icmp: red vm, 1,100 bytes without DF: dropped as mtu, no answer",
			    P_TAP, TAP1, FROM_RED(GWR, LI(LI_BIG4_NODF)),
			    DROP_IP(SLOT1, PP_DROP_MTU) },
	[LIC_BIG6] = { "l3 icmp v6: red vm, 1,400 bytes to a route of MTU 1,280: packet too big "
		       "(1280) from fd00:1::1, 1,232 bytes quoted", P_TAP, TAP1,
		       FROM_RED(GWR, LI(LI_BIG6)), ANSWERED(PP_DROP_MTU),
		       .out = { REDIR(TAP1, TO_RED(LI_BIG6_R)) }, ICMP_TO_TC },
	[LIC_TTL1] = { "l3 icmp: red vm, TTL 1: time exceeded from 10.1.0.1, dropped as ttl", P_TAP,
		       TAP1, FROM_RED(GWR, L4(L_TTL1)), ANSWERED(PP_DROP_TTL),
		       .out = { REDIR(TAP1, TO_RED(LI_TTL1_R)) }, ICMP_TO_TC },
	[LIC_HLIM1] = { "l3 icmp v6: red vm, hop limit 1: time exceeded from fd00:1::1", P_TAP, TAP1,
			FROM_RED(GWR, L6(L6_HLIM1)), ANSWERED(PP_DROP_TTL),
			.out = { REDIR(TAP1, TO_RED(LI_HLIM1_R)) }, ICMP_TO_TC },
	[LIC_ERR_TTL1] = { "l3 icmp: red vm, an ICMP error with TTL 1: dropped as ttl, no answer",
			   P_TAP, TAP1, FROM_RED(GWR, LI(LI_ERR_TTL1)),
			   DROP_IP(SLOT1, PP_DROP_TTL) },
	[LIC_RATE_LAST] = { "l3 icmp rate: the 100th error of the second is sent", P_TAP, TAP1,
			    FROM_RED(GWR, L4(L_TTL1)), ANSWERED(PP_DROP_TTL),
			    .out = { REDIR(TAP1, TO_RED(LI_TTL1_R)) }, .only = ONLY_TC },
	[LIC_RATE_OVER] = { "l3 icmp rate: the 101st is not, the frame still dropped as ttl",
			    P_TAP, TAP1, FROM_RED(GWR, L4(L_TTL1)), DROP_IP(SLOT1, PP_DROP_TTL),
			    .only = ONLY_TC },
};

static int l3_gw_put(struct progs *p, uint8_t fam, const uint8_t *net, uint8_t plen,
		     const uint8_t *gw, int del)
{
	struct pp_l3gw_key k = { .prefixlen = 64 + plen, .dom = DOM_RED, .family = fam };
	struct pp_l3gw v = {};

	memcpy(k.addr, net, fam == PP_NEIGH_V4 ? 4 : 16);
	memcpy(v.addr, gw, fam == PP_NEIGH_V4 ? 4 : 16);
	return del ? pp_l3gw_del(&p->maps, k) : pp_l3gw_put(&p->maps, k, &v);
}

/* Every CPU's rate state of red: n errors sent in an interval that starts now. */
static int l3_icmp_rate_set(struct progs *p, uint32_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pp_l3icmp v[ncpu > 0 ? ncpu : 1];
	struct timespec ts;
	__u32 k = DOM_RED;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	memset(v, 0, sizeof(v));
	for (int i = 0; i < ncpu; i++) {
		v[i].start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		v[i].n = n;
	}
	return bpf_map_update_elem(p->maps.fd[PPM_L3ICMP], &k, v, BPF_ANY);
}

static void check_l3_icmp(struct progs *p)
{
	static const uint8_t net4[4] = { 10, 1, 0, 0 }, net6[16] = { 0xfd, 0, 0, 1 };
	struct pp_l3icmp sum = {};
	int ok;

	build_l3_icmp_frames();
	for (unsigned i = 0; i < sizeof(l3_icmp_cases) / sizeof(l3_icmp_cases[0]); i++) {
		struct tcase *c = &l3_icmp_cases[i];

		for (unsigned n = 0; n < LI_COUNT; n++) {
			if (c->in.raw == l3icmp[n])
				c->in.raw_len = l3icmp_len[n];
			if (c->out[0].f.raw == l3icmp[n])
				c->out[0].f.raw_len = l3icmp_len[n];
		}
	}
	ok = !l3_sh("ip -6 route add 2001:db8:ff01::/64 via 2001:db8:1::1 dev ppt31 onlink "
		    "mtu lock 1280 table 1001") &&
	     !l3_gw_put(p, PP_NEIGH_V4, net4, 24, A_GW, 0) &&
	     !l3_gw_put(p, PP_NEIGH_V6, net6, 64, A6_GW, 0) && !l3_icmp_rate_set(p, 0);
	result(ok, "l3 icmp: setup (pp_l3gw, a route of MTU 1,280)");
	if (!ok)
		return;
	for (unsigned i = LIC_BIG4; i <= LIC_ERR_TTL1; i++)
		run_case(p, &l3_icmp_cases[i], fr_meta_ok(&l3_icmp_cases[i].in) ? 2 : 1);
	ok = !pp_map_get_percpu_sum(&p->maps, PPM_L3ICMP, DOM_RED, &sum) && sum.limited == 0 &&
	     sum.sent == 8;
	result(ok, "l3 icmp: pp_l3icmp counts %llu sent, %llu limited (want 8: 4 cases, 2 TC runs "
	       "each; 0)", (unsigned long long)sum.sent, (unsigned long long)sum.limited);
	/* the rate: 99 sent in this interval, on every CPU */
	if (!l3_icmp_rate_set(p, PP_L3ICMP_RATE - 1)) {
		run_case(p, &l3_icmp_cases[LIC_RATE_LAST], 1);
		run_case(p, &l3_icmp_cases[LIC_RATE_OVER], 1);
	}
	ok = !pp_map_get_percpu_sum(&p->maps, PPM_L3ICMP, DOM_RED, &sum) && sum.limited == 1 &&
	     sum.sent == 1;
	result(ok, "l3 icmp rate: pp_l3icmp counts %llu sent, %llu limited (want 1, 1)",
	       (unsigned long long)sum.sent, (unsigned long long)sum.limited);
	l3_sh("ip -6 route del 2001:db8:ff01::/64 table 1001");
	l3_gw_put(p, PP_NEIGH_V4, net4, 24, A_GW, 1);
	l3_gw_put(p, PP_NEIGH_V6, net6, 64, A6_GW, 1);
	l3_icmp_rate_set(p, 0);
}

static void check_l3(struct progs *p)
{
	int ok = !setup_l3(p);

	result(ok, "l3: setup (two uplinks, three domains, their tables, five L3 ports)");
	if (!ok)
		return;
	build_l3_frames();
	for (unsigned i = 0; i < sizeof(l3_cases) / sizeof(l3_cases[0]); i++)
		run_case(p, &l3_cases[i], fr_meta_ok(&l3_cases[i].in) ? 2 : 1);
	check_l3_forged(p);
	check_l3_fast(p);
	check_l3_egress(p);
	check_l3_miss(p);
	check_l3_icmp(p);
}

/* ---- service chains (issue 17) ---------------------------------------------------
 * Network K (16, device DEVK = ppt34): a client port 40 (slot 1, vlan 800,
 * 10.20.0.5, fd20::5) and a server port 41 (slot 2, vlan 800, 10.20.0.9,
 * fd20::9); the host behind DEVK is 10.20.0.100 (MAC EXT).  Chain A (17,
 * symmetric) steers it: classifier tcp 80 to 10.20.0.0/24 or to fd20::/64;
 * sources the client and the device (not the server).  Hop 0: fw1 (ingress
 * port 42: slot 2 vlan 810; egress 43: vlan 811) and fw2 (ingress 44: slot
 * 2 QinQ 820/5; egress 45: vlan 821); hop 1: dpi, one port both ways (46:
 * slot 1 vlan 830, the client's MAC).  Chain B (18): only a hop port (47:
 * slot 1 vlan 850), for the forged entries.  Port 48 (slot 2 vlan 841, net
 * J, 10.0.7.6): security rules with source ports.  The maps are written by
 * hand, as polyportd's chains step writes them; the classifiers by
 * pp_rules_compile (FWD, and REV from pp_rule_in_reverse).
 */
enum { DEVK = 34 };
enum { NET_K = 16, CH_A = 17, CH_B = 18 };
enum { CP_CL = 40, CP_SV, CP_FW1I, CP_FW1O, CP_FW2I, CP_FW2O, CP_DPI, CP_B, CP_SEC, CP_DPI3 };
enum { CH_SLOT_A = 1, CH_SLOT_B = 2 };
static const uint8_t K_CL[4] = { 10, 20, 0, 5 }, K_SV[4] = { 10, 20, 0, 9 },
		     K_X[4] = { 10, 20, 0, 100 }, K_SEC[4] = { 10, 0, 7, 6 };
static const uint8_t K6_CL[16] = { 0xfd, 0x20, [15] = 5 }, K6_SV[16] = { 0xfd, 0x20, [15] = 9 };

/* Chain A's classifier, forward: tcp 80 to 10.20.0.0/24, tcp 80 to fd20::/64. */
static const struct pp_rule_in ch_rules[] = {
	{ .proto = 6, .allow = 1, .lo = 80, .hi = 80, .to_family = 4, .to_plen = 24,
	  .to = { 10, 20, 0, 0 } },
	{ .proto = 6, .allow = 1, .lo = 80, .hi = 80, .to_family = 6, .to_plen = 64,
	  .to = { 0xfd, 0x20 } },
};

/* Port 48's egress rules: source ports.  Default drop. */
static const struct pp_rule_in sp_rules[] = {
	{ .proto = 6, .allow = 1, .slo = 1000, .shi = 1999 },		/* r0 */
	{ .proto = 17, .allow = 1, .lo = 53, .hi = 53, .slo = 5353, .shi = 5353 },	/* r1 */
	{ .proto = 6, .allow = 0, .lo = 22, .hi = 22 },			/* r2 */
	{ .proto = 6, .allow = 1 },					/* r3 */
};

/* IPv6 + TCP after the tags (62 bytes): ports sp -> dp. */
static uint32_t k6_tcp(uint8_t *x, const uint8_t *src, const uint8_t *dst, uint16_t sp,
		       uint16_t dp)
{
	l4_words(ip6_hdr(x, 20, 6, 64, src, dst), sp, dp);
	return 62;
}

/* IPv6 + a fragment header (offset off, more) + 20 bytes of TCP (70 bytes). */
static uint32_t k6_frag(uint8_t *x, const uint8_t *src, const uint8_t *dst, uint16_t off,
			int more, uint16_t sp, uint16_t dp)
{
	uint8_t *fh = ip6_hdr(x, 28, 44, 64, src, dst);

	fh[0] = 6;
	fh[2] = (uint8_t)(off >> 5);
	fh[3] = (uint8_t)((off << 3) | (more ? 1 : 0));
	fh[7] = 0x42;				/* identification */
	l4_words(fh + 8, sp, dp);
	return 70;
}

/* IPv4 + 20 bytes of L4 (42 bytes), a fragment: offset off (8-byte units), MF more. */
static uint32_t k4_frag(uint8_t *x, uint8_t proto, const uint8_t *src, const uint8_t *dst,
			uint16_t off, int more, uint16_t a, uint16_t b)
{
	ip4_l4_raw(x, proto, src, dst, a, b);
	x[8] = (uint8_t)((more ? 0x20 : 0) | (off >> 8));
	x[9] = (uint8_t)off;
	return 42;
}

#define KR4(n)	.raw = kraw[n], .raw_len = 42
#define KR6(n)	.raw = kraw[n], .raw_len = 62
#define KR6F(n)	.raw = kraw[n], .raw_len = 70
#define KB4(b)	.raw = (b), .raw_len = 42
enum { K_C2S, K_S2C, K_C2S22, K_C2SUDP, K_X2S, K_S2X, K_C2X, K_S2C80, K_F1, K_F2, K_UF2,
       K6_C2S, K6_S2C, K6_F2, KS_1500_22, KS_3000_22, KS_3000_80, KS_U5353, KS_U5354,
       KS_F2, K_COUNT };
static uint8_t kraw[K_COUNT][80];

static void build_chain_frames(void)
{
	ip4_l4_raw(kraw[K_C2S], 6, K_CL, K_SV, 40000, 80);
	ip4_l4_raw(kraw[K_S2C], 6, K_SV, K_CL, 80, 40000);
	ip4_l4_raw(kraw[K_C2S22], 6, K_CL, K_SV, 40000, 22);
	ip4_l4_raw(kraw[K_C2SUDP], 17, K_CL, K_SV, 40000, 80);
	ip4_l4_raw(kraw[K_X2S], 6, K_X, K_SV, 40001, 80);
	ip4_l4_raw(kraw[K_S2X], 6, K_SV, K_X, 80, 40001);
	ip4_l4_raw(kraw[K_C2X], 6, K_CL, K_X, 40002, 80);
	ip4_l4_raw(kraw[K_S2C80], 6, K_SV, K_CL, 40003, 80);
	k4_frag(kraw[K_F1], 6, K_CL, K_SV, 0, 1, 40004, 80);
	k4_frag(kraw[K_F2], 6, K_CL, K_SV, 3, 0, 0x1234, 0x5678);	/* no ports: data */
	k4_frag(kraw[K_UF2], 17, K_CL, K_SV, 3, 0, 0x1234, 0x5678);
	k6_tcp(kraw[K6_C2S], K6_CL, K6_SV, 40000, 80);
	k6_tcp(kraw[K6_S2C], K6_SV, K6_CL, 80, 40000);
	k6_frag(kraw[K6_F2], K6_CL, K6_SV, 3, 0, 0x1234, 0x5678);
	ip4_l4_raw(kraw[KS_1500_22], 6, K_SEC, R_IN, 1500, 22);
	ip4_l4_raw(kraw[KS_3000_22], 6, K_SEC, R_IN, 3000, 22);
	ip4_l4_raw(kraw[KS_3000_80], 6, K_SEC, R_IN, 3000, 80);
	ip4_l4_raw(kraw[KS_U5353], 17, K_SEC, R_IN, 5353, 53);
	ip4_l4_raw(kraw[KS_U5354], 17, K_SEC, R_IN, 5354, 53);
	k4_frag(kraw[KS_F2], 6, K_SEC, R_IN, 3, 0, 3000, 22);
}

/* A frame on vlan vid from src to dst, and the same as sent to a hop or port. */
#define KF(vid, d_, s_, ...)	{ .dst = (d_), .src = (s_), .tags = { Q(vid) }, __VA_ARGS__ }
#define KFQ(o, i, d_, s_, ...)	{ .dst = (d_), .src = (s_), .tags = { AD(o), Q(i) }, __VA_ARGS__ }
#define DROP_CH(ch, r)		DROP_NET(ch, r)

static const struct tcase chain_cases[] = {
	/* --- classification ---------------------------------------------------- */
	{ "chain: client tcp 80 -> hop 0 (fw1's ingress, vlan 810), its MACs unchanged", P_TAP,
	  TAP1, KF(800, M2, M1, KR4(K_C2S)), FWD,
	  .out = { REDIR(TAP2, KF(810, M2, M1, KR4(K_C2S))) } },
	{ "chain: client tcp 22 (not classified) -> the server as before", P_TAP, TAP1,
	  KF(800, M2, M1, KR4(K_C2S22)), FWD, .out = { REDIR(TAP2, KF(800, M2, M1, KR4(K_C2S22))) } },
	{ "chain: client udp 80 (not classified) -> the server as before", P_TAP, TAP1,
	  KF(800, M2, M1, KR4(K_C2SUDP)), FWD,
	  .out = { REDIR(TAP2, KF(800, M2, M1, KR4(K_C2SUDP))) } },
	{ "chain: client, ARP (never classified) -> the server as before", P_TAP, TAP1,
	  { .dst = M2, .src = M1, .tags = { Q(800) }, .proto = 0x0806, .payload = 28 }, FWD,
	  .out = { REDIR(TAP2, { .dst = M2, .src = M1, .tags = { Q(800) }, .proto = 0x0806,
				 .payload = 28 }) } },
	{ "chain: server (not a source) tcp to the client's port 80: not classified", P_TAP, TAP2,
	  KF(800, M1, M2, KR4(K_S2C80)), FWD, .out = { REDIR(TAP1, KF(800, M1, M2, KR4(K_S2C80))) } },
	{ "chain: device (a source) tcp 80 to the server -> hop 0", P_NET, DEVK,
	  { .dst = M2, .src = EXT, KR4(K_X2S) }, FWD,
	  .out = { REDIR(TAP2, KF(810, M2, EXT, KR4(K_X2S))) } },
	{ "chain v6: client tcp 80 -> hop 0 (fw1's ingress)", P_TAP, TAP1,
	  KF(800, M2, M1, KR6(K6_C2S)), FWD, .out = { REDIR(TAP2, KF(810, M2, M1, KR6(K6_C2S))) } },
	{ "chain: a normal port's frame from another MAC is still spoofed", P_TAP, TAP1,
	  KF(800, M2, BAD, KR4(K_C2S)), DROP_IP(SLOT1, PP_DROP_SPOOFED) },
	/* --- the hops' returns --------------------------------------------------- */
	{ "chain: fw1's egress returns it -> hop 1 (dpi, one port, vlan 830)", P_TAP, TAP2,
	  KF(811, M2, M1, KR4(K_C2S)), FWD, .out = { REDIR(TAP1, KF(830, M2, M1, KR4(K_C2S))) } },
	{ "chain: dpi returns it (forward, its own MAC as source) -> the server, vlan 800", P_TAP,
	  TAP1, KF(830, M2, M1, KR4(K_C2S)), FWD,
	  .out = { REDIR(TAP2, KF(800, M2, M1, KR4(K_C2S))) } },
	{ "chain: dpi returns a frame to the device's host -> net K's device, untagged", P_TAP,
	  TAP1, KF(830, EXT, M1, KR4(K_C2X)), FWD, .out = { REDIR(DEVK, { .dst = EXT, .src = M1,
								   KR4(K_C2X) }) } },
	{ "chain v6: dpi returns it -> the server", P_TAP, TAP1, KF(830, M2, M1, KR6(K6_C2S)), FWD,
	  .out = { REDIR(TAP2, KF(800, M2, M1, KR6(K6_C2S))) } },
	/* --- symmetric: the reverse path ------------------------------------------ */
	{ "chain: server's reply (reversed classifier) -> the last hop (dpi), reverse",
	  P_TAP, TAP2, KF(800, M1, M2, KR4(K_S2C)), FWD,
	  .out = { REDIR(TAP1, KF(830, M1, M2, KR4(K_S2C))) } },
	{ "chain: dpi returns the reply (reverse) -> hop 0 entered at fw1's egress (vlan 811)",
	  P_TAP, TAP1, KF(830, M1, M2, KR4(K_S2C)), FWD,
	  .out = { REDIR(TAP2, KF(811, M1, M2, KR4(K_S2C))) } },
	{ "chain: fw1's ingress returns the reply -> delivered to the client, vlan 800", P_TAP,
	  TAP2, KF(810, M1, M2, KR4(K_S2C)), FWD,
	  .out = { REDIR(TAP1, KF(800, M1, M2, KR4(K_S2C))) } },
	{ "chain: server's reply to the device's host (the device a source) -> dpi, reverse",
	  P_TAP, TAP2, KF(800, EXT, M2, KR4(K_S2X)), FWD,
	  .out = { REDIR(TAP1, KF(830, EXT, M2, KR4(K_S2X))) } },
	{ "chain v6: server's reply -> dpi, reverse", P_TAP, TAP2, KF(800, M1, M2, KR6(K6_S2C)),
	  FWD, .out = { REDIR(TAP1, KF(830, M1, M2, KR6(K6_S2C))) } },
	/* --- context -------------------------------------------------------------- */
	{ "chain: fw1's egress sends udp (neither direction): chain_context", P_TAP, TAP2,
	  KF(811, M2, M1, KR4(K_C2SUDP)), DROP_CH(CH_A, PP_DROP_CHAIN_CONTEXT) },
	{ "chain: fw1's ingress sends a forward frame back (a loop): chain_context", P_TAP, TAP2,
	  KF(810, M2, M1, KR4(K_C2S)), DROP_CH(CH_A, PP_DROP_CHAIN_CONTEXT) },
	{ "chain: fw1's egress sends the reply (reverse from an egress port): chain_context",
	  P_TAP, TAP2, KF(811, M1, M2, KR4(K_S2C)), DROP_CH(CH_A, PP_DROP_CHAIN_CONTEXT) },
	{ "chain: a hop port's broadcast: chain_context", P_TAP, TAP2,
	  KF(811, BC, M1, KR4(K_C2S)), DROP_CH(CH_A, PP_DROP_CHAIN_CONTEXT) },
	{ "chain: a hop port's ARP: chain_context", P_TAP, TAP1,
	  { .dst = M2, .src = M1, .tags = { Q(830) }, .proto = 0x0806, .payload = 28 },
	  DROP_CH(CH_A, PP_DROP_CHAIN_CONTEXT) },
	/* --- fragments: ports as wildcards -------------------------------------- */
	{ "chain: a later tcp fragment to the server (no ports) -> hop 0", P_TAP, TAP1,
	  KF(800, M2, M1, KR4(K_F2)), FWD, .out = { REDIR(TAP2, KF(810, M2, M1, KR4(K_F2))) } },
	{ "chain: a first tcp fragment -> hop 0", P_TAP, TAP1, KF(800, M2, M1, KR4(K_F1)), FWD,
	  .out = { REDIR(TAP2, KF(810, M2, M1, KR4(K_F1))) } },
	{ "chain: a later udp fragment (no udp rule): the server as before", P_TAP, TAP1,
	  KF(800, M2, M1, KR4(K_UF2)), FWD, .out = { REDIR(TAP2, KF(800, M2, M1, KR4(K_UF2))) } },
	{ "chain v6: a later tcp fragment -> hop 0", P_TAP, TAP1, KF(800, M2, M1, KR6F(K6_F2)), FWD,
	  .out = { REDIR(TAP2, KF(810, M2, M1, KR6F(K6_F2))) } },
};

/* fw2 takes every flow (hop 0's slots all 1): its QinQ ingress, its egress. */
static const struct tcase chain_fw2_cases[] = {
	{ "chain: hop 0's slots on fw2: client tcp 80 -> fw2's QinQ ingress 88a8/820 8100/5",
	  P_TAP, TAP1, KF(800, M2, M1, KR4(K_C2S)), FWD,
	  .out = { REDIR(TAP2, KFQ(820, 5, M2, M1, KR4(K_C2S))) } },
	{ "chain: fw2's egress (vlan 821) returns it -> dpi", P_TAP, TAP2,
	  KF(821, M2, M1, KR4(K_C2S)), FWD, .out = { REDIR(TAP1, KF(830, M2, M1, KR4(K_C2S))) } },
	{ "chain: dpi returns the reply -> hop 0 entered at fw2's egress (vlan 821)", P_TAP, TAP1,
	  KF(830, M1, M2, KR4(K_S2C)), FWD, .out = { REDIR(TAP2, KF(821, M1, M2, KR4(K_S2C))) } },
	{ "chain: fw2's QinQ ingress returns the reply -> the client", P_TAP, TAP2,
	  KFQ(820, 5, M1, M2, KR4(K_S2C)), FWD, .out = { REDIR(TAP1, KF(800, M1, M2, KR4(K_S2C))) } },
	{ "chain: fw1's egress (not the flow's instance, still hop 0's egress) -> dpi", P_TAP, TAP2,
	  KF(811, M2, M1, KR4(K_C2S)), FWD, .out = { REDIR(TAP1, KF(830, M2, M1, KR4(K_C2S))) } },
};

/* Hop 1's instance on TAP3, an instance port in TC mode: XDP hands to TC. */
static const struct tcase chain_tc_case = {
	"chain: hop 1's instance on an instance port in TC mode (slot 3, vlan 832)", P_TAP, TAP2,
	KF(811, M2, M1, KR4(K_C2S)), FWD, .out = { REDIR(TAP3, KF(832, M2, M1, KR4(K_C2S))) },
	TO_TC("a hop's instance port in TC mode: XDP may not transmit to its tap") };

/* A hop down: on-failure drop (chain_down), then bypass. */
enum { CD_DROP0, CD_DROP1_RET, CD_BYP0, CD_BYP01, CD_BYP1_RET, CD_BYP1_REV, CD_COUNT };
static const struct tcase chain_down_cases[] = {
	[CD_DROP0] = { "chain down: hop 0 without a live instance, on-failure drop: chain_down",
		       P_TAP, TAP1, KF(800, M2, M1, KR4(K_C2S)),
		       DROP_CH(CH_A, PP_DROP_CHAIN_DOWN) },
	[CD_DROP1_RET] = { "chain down: hop 1 down, drop: fw1's return dropped as chain_down",
			   P_TAP, TAP2, KF(811, M2, M1, KR4(K_C2S)),
			   DROP_CH(CH_A, PP_DROP_CHAIN_DOWN) },
	[CD_BYP0] = { "chain down: hop 0 down, bypass: client tcp 80 -> hop 1 (dpi)", P_TAP, TAP1,
		      KF(800, M2, M1, KR4(K_C2S)), FWD,
		      .out = { REDIR(TAP1, KF(830, M2, M1, KR4(K_C2S))) } },
	[CD_BYP01] = { "chain down: both hops down, bypass: client tcp 80 -> the server", P_TAP,
		       TAP1, KF(800, M2, M1, KR4(K_C2S)), FWD,
		       .out = { REDIR(TAP2, KF(800, M2, M1, KR4(K_C2S))) } },
	[CD_BYP1_RET] = { "chain down: hop 1 down, bypass: fw1's return -> the server", P_TAP,
			  TAP2, KF(811, M2, M1, KR4(K_C2S)), FWD,
			  .out = { REDIR(TAP2, KF(800, M2, M1, KR4(K_C2S))) } },
	[CD_BYP1_REV] = { "chain down: hop 1 down, bypass: the server's reply -> fw1's egress",
			  P_TAP, TAP2, KF(800, M1, M2, KR4(K_S2C)), FWD,
			  .out = { REDIR(TAP2, KF(811, M1, M2, KR4(K_S2C))) } },
};

/* Forged entries: a chain's frame is never delivered anywhere else. */
enum { CF_HOP_B, CF_HOP_NET, CF_HOP_NETC, CF_HOP_CHAIN, CF_PORT_B, CF_PORT_B2, CF_CHAIN_NET,
       CF_CHAIN_NET_RET, CF_NET_NET, CF_COUNT };
static const struct tcase chain_forged_cases[] = {
	[CF_HOP_B] = { "chain forged: hop 0's instance naming chain B's hop port: no_target",
		       P_TAP, TAP1, KF(800, M2, M1, KR4(K_C2S)),
		       DROP_IP(SLOT1, PP_DROP_NO_TARGET) },
	[CF_HOP_NET] = { "chain forged: hop 0's instance naming the server's port (net K): "
			 "no_target", P_TAP, TAP1, KF(800, M2, M1, KR4(K_C2S)),
			 DROP_IP(SLOT1, PP_DROP_NO_TARGET) },
	[CF_HOP_NETC] = { "chain forged: hop 0's instance naming net C's port 4: no_target",
			  P_NET, DEVK, { .dst = M2, .src = EXT, KR4(K_X2S) },
			  DROP_NET(NET_K, PP_DROP_NO_TARGET) },
	[CF_HOP_CHAIN] = { "chain forged: hop 0's entry naming chain B: counted as down",
			   P_TAP, TAP1, KF(800, M2, M1, KR4(K_C2S)),
			   DROP_CH(CH_A, PP_DROP_CHAIN_DOWN) },
	[CF_PORT_B] = { "chain forged: fw1 egress's position naming chain B: chain_context",
			P_TAP, TAP2, KF(811, M2, M1, KR4(K_C2S)),
			DROP_CH(CH_A, PP_DROP_CHAIN_CONTEXT) },
	[CF_PORT_B2] = { "chain forged: chain B's hop port's position naming chain A: "
			 "chain_context (on B)", P_TAP, TAP1, KF(850, M2, M1, KR4(K_C2S)),
			 DROP_CH(CH_B, PP_DROP_CHAIN_CONTEXT) },
	[CF_CHAIN_NET] = { "chain forged: pp_chains[A] naming net A: net K's frames not steered",
			   P_TAP, TAP1, KF(800, M2, M1, KR4(K_C2S)), FWD,
			   .out = { REDIR(TAP2, KF(800, M2, M1, KR4(K_C2S))) } },
	[CF_CHAIN_NET_RET] = { "chain forged: pp_chains[A] naming net A: fw1's return dropped, "
			       "chain_context", P_TAP, TAP2, KF(811, M2, M1, KR4(K_C2S)),
			       DROP_CH(CH_A, PP_DROP_CHAIN_CONTEXT) },
	[CF_NET_NET] = { "chain forged: pp_nets[K].chain naming net A, a chain entry and hop of "
			 "id A naming A's port 6: not steered",
			 P_TAP, TAP1, KF(800, M2, M1, KR4(K_C2S)), FWD,
			 .out = { REDIR(TAP2, KF(800, M2, M1, KR4(K_C2S))) } },
};

/* Security rules with source ports (port 48, net J). */
#define SP_IN(...)	KF(841, EXT, M2, __VA_ARGS__)
#define SP_OUT(...)	REDIR(DEVJ, { .dst = EXT, .src = M2, __VA_ARGS__ })
static const struct tcase chain_sp_cases[] = {
	{ "rules source-ports: tcp from 1500 to 22: allowed (r0, before r2's drop)", P_TAP, TAP2,
	  SP_IN(KR4(KS_1500_22)), FWD, .out = { SP_OUT(KR4(KS_1500_22)) } },
	{ "rules source-ports: tcp from 3000 to 22: dropped (r2)", P_TAP, TAP2,
	  SP_IN(KR4(KS_3000_22)), RULE_DROP },
	{ "rules source-ports: tcp from 3000 to 80: allowed (r3)", P_TAP, TAP2,
	  SP_IN(KR4(KS_3000_80)), FWD, .out = { SP_OUT(KR4(KS_3000_80)) } },
	{ "rules source-ports: udp from 5353 to 53: allowed (r1)", P_TAP, TAP2,
	  SP_IN(KR4(KS_U5353)), FWD, .out = { SP_OUT(KR4(KS_U5353)) } },
	{ "rules source-ports: udp from 5354 to 53: default drop", P_TAP, TAP2,
	  SP_IN(KR4(KS_U5354)), RULE_DROP },
	{ "rules source-ports: a later tcp fragment: rules without ports (r3) allow it", P_TAP,
	  TAP2, SP_IN(KR4(KS_F2)), FWD, .out = { SP_OUT(KR4(KS_F2)) } },
	{ "rules source-ports: port 14 (no source-port rules) unaffected: tcp 22 allowed",
	  P_TAP, TAP1, RULE_IN(RL4(RR_TCP22_IN)), FWD, .out = { RULE_OUT(RL4(RR_TCP22_IN)) } },
	{ "rules source-ports: port 14 unaffected: tcp 1000-2000 dropped (its r1)", P_TAP, TAP1,
	  RULE_IN(RL4(RR_TCP1500)), RULE_DROP },
};

static int ch_emit(void *arg, enum pp_map_id id, const void *key, const void *val)
{
	return pp_map_put(arg, id, key, val);
}

/* Hop h of chain A: n instances of fw1/fw2 (or dpi), live or not, slots by slot_of. */
static int ch_hop_put(struct progs *p, uint32_t slot, uint32_t chain, uint32_t h, uint8_t n,
		      uint8_t live, const uint32_t (*inst)[2], int pattern)
{
	struct pp_chain_hop hop = { .n_inst = n, .n_live = live, .chain = chain };
	uint32_t key = slot * PP_CHAIN_HOPS_MAX + h;

	for (unsigned i = 0; i < n; i++) {
		hop.inst[i].in_sport = inst[i][0];
		hop.inst[i].out_sport = inst[i][1];
	}
	for (unsigned s = 0; s < PP_CHAIN_SLOTS; s++)	/* 0, 1: that instance; 2: alternate */
		hop.slots[s] = !live ? PP_CHAIN_NONE : pattern == 2 ? (uint8_t)(s & 1) :
			       (uint8_t)pattern;
	return pp_map_put(&p->maps, PPM_CHAIN_HOPS, &key, &hop);
}

static const uint32_t fws[2][2] = { { CP_FW1I, CP_FW1O }, { CP_FW2I, CP_FW2O } };
static const uint32_t dpi[1][2] = { { CP_DPI, CP_DPI } }, dpi3[1][2] = { { CP_DPI3, CP_DPI3 } };

static int ch_chain_put(struct progs *p, uint32_t id, uint32_t net, uint16_t slot, uint8_t n_hops,
			uint8_t flags)
{
	struct pp_chain c = { .net_id = net, .slot = slot, .n_hops = n_hops, .flags = flags };

	return pp_map_put(&p->maps, PPM_CHAINS, &id, &c);
}

static int setup_chains(struct progs *p)
{
	struct { uint32_t id, slot, net; uint8_t match; uint16_t o, i; const uint8_t *mac;
		 uint8_t flags; } kp[] = {
		{ CP_CL, SLOT1, NET_K, PP_MATCH_VLAN, 800, 0, M1, 0 },
		{ CP_SV, SLOT2, NET_K, PP_MATCH_VLAN, 800, 0, M2, 0 },
		{ CP_FW1I, SLOT2, CH_A, PP_MATCH_VLAN, 810, 0, M2, 0 },
		{ CP_FW1O, SLOT2, CH_A, PP_MATCH_VLAN, 811, 0, M2, 0 },
		{ CP_FW2I, SLOT2, CH_A, PP_MATCH_QINQ, 820, 5, M2, 0 },
		{ CP_FW2O, SLOT2, CH_A, PP_MATCH_VLAN, 821, 0, M2, 0 },
		{ CP_DPI, SLOT1, CH_A, PP_MATCH_VLAN, 830, 0, M1, 0 },
		{ CP_B, SLOT1, CH_B, PP_MATCH_VLAN, 850, 0, M1, 0 },
		{ CP_DPI3, SLOT3, CH_A, PP_MATCH_VLAN, 832, 0, M4, 0 },
		{ CP_SEC, SLOT2, NET_J, PP_MATCH_VLAN, 841, 0, M2,
		  PP_SPORT_SECURITY | PP_SPORT_RULES_OUT },
	};
	struct { uint32_t id, chain; uint8_t hop, inst, role; } cps[] = {
		{ CP_FW1I, CH_A, 0, 0, PP_CHAIN_ROLE_IN }, { CP_FW1O, CH_A, 0, 0, PP_CHAIN_ROLE_OUT },
		{ CP_FW2I, CH_A, 0, 1, PP_CHAIN_ROLE_IN }, { CP_FW2O, CH_A, 0, 1, PP_CHAIN_ROLE_OUT },
		{ CP_DPI, CH_A, 1, 0, PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT },
		{ CP_B, CH_B, 0, 0, PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT },
		{ CP_DPI3, CH_A, 1, 0, PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT },
	};
	struct pp_net k = { .ifindex = DEVK, .mtu = 1500 }, ca = { .chain = CH_A },
		      cb = { .chain = CH_B };
	struct pp_rule_in rev[2];
	struct pp_sec_key sk = { .prefixlen = PP_SEC_PREFIX(32), .sport = CP_SEC,
				 .family = PP_NEIGH_V4 };
	struct pp_sec_src sv = {};
	__u32 one = 1, ch = CH_A, chb = CH_B;
	int err;

	err = l3_sh("ip link add name ppt34 index 34 type bridge && ip link set ppt34 up") ||
	      pp_xdp_tx_set(&p->maps, DEVK, true) ||
	      pp_dp_net_install(&p->maps, NET_K, &k) ||
	      pp_map_put(&p->maps, PPM_NETS, &ch, &ca) ||
	      pp_map_put(&p->maps, PPM_NETS, &chb, &cb);
	for (unsigned i = 0; !err && i < sizeof(kp) / sizeof(kp[0]); i++) {
		struct pp_sport sp = { .slot = kp[i].slot, .net_id = kp[i].net, .match = kp[i].match,
				       .outer_vid = kp[i].o, .inner_vid = kp[i].i,
				       .flags = kp[i].flags };

		memcpy(sp.mac, kp[i].mac, 6);
		err = pp_dp_sport_install(&p->maps, kp[i].id, &sp);
	}
	for (unsigned i = 0; !err && i < sizeof(cps) / sizeof(cps[0]); i++) {
		struct pp_chain_port cp = { .chain = cps[i].chain, .hop = cps[i].hop,
					    .inst = cps[i].inst, .role = cps[i].role };

		err = pp_map_put(&p->maps, PPM_CHAIN_PORTS, &cps[i].id, &cp);
	}
	for (unsigned i = 0; i < 2; i++)
		pp_rule_in_reverse(&rev[i], &ch_rules[i]);
	if (!err)	/* sources: the client and the device, not the server */
		err = pp_rules_compile(CH_A, PP_DIR_CHAIN_FWD, ch_rules, 2, 0, ch_emit, &p->maps) ||
		      pp_rules_compile(CH_A, PP_DIR_CHAIN_REV, rev, 2, 0, ch_emit, &p->maps) ||
		      pp_map_put(&p->maps, PPM_CHAIN_SRC,
				 &(struct pp_chain_src_key){ .chain = CH_A, .sport = CP_CL }, &one) ||
		      pp_map_put(&p->maps, PPM_CHAIN_SRC,
				 &(struct pp_chain_src_key){ .chain = CH_A, .sport = 0 }, &one) ||
		      ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, fws, 0) ||
		      ch_hop_put(p, CH_SLOT_A, CH_A, 1, 1, 1, dpi, 0) ||
		      ch_chain_put(p, CH_A, NET_K, CH_SLOT_A, 2, PP_CHAIN_SYMMETRIC);
	if (!err) {		/* last, as polyportd: the network names its chain */
		k.chain = CH_A;
		err = pp_dp_net_install(&p->maps, NET_K, &k);
	}
	if (!err) {
		memcpy(sk.addr, K_SEC, 4);
		memcpy(sv.mac, M2, 6);
		err = pp_sec_src_put(&p->maps, sk, &sv) ||
		      pp_rules_compile(CP_SEC, PP_DIR_EGRESS, sp_rules, 4, 0, ch_emit, &p->maps);
	}
	return err;
}

/*
 * One run of frame in (program prog on ifindex; XDP or TC without metadata):
 * the outer VID of what it sent (0: untagged), *to where; -1 if it sent
 * not exactly one frame.
 */
static int ch_vid(struct progs *p, int xdp, int prog, uint32_t ifindex, const struct fspec *in,
		  uint32_t *to)
{
	static uint8_t ib[FR_MAX], ob[FR_MAX], w[FR_MAX + 8];
	struct prog_run r = { .tap = prog == P_TAP, .xdp = xdp, .ifindex = ifindex, .in = ib,
			      .len = fr_build(ib, in), .out = ob, .out_size = sizeof(ob) };
	uint32_t n;

	if (progs_run(p, &r) || r.nlog != 1)
		return -1;
	*to = r.log[0].ifindex;
	n = wire(&r.log[0], r.out, r.size_out, w);
	if (n < 16 || !((w[12] == 0x81 || w[12] == 0x88) && w[13] == (w[12] == 0x81 ? 0 : 0xa8)))
		return 0;
	return (w[14] << 8 | w[15]) & 0xfff;
}

/*
 * Hop 0's slots alternate between fw1 and fw2.  For 64 flows (client ports
 * 41000..41063): the forward frame goes to one instance's ingress, again to
 * the same, and the reply (from dpi, going reverse) enters the same
 * instance's egress; both instances get flows.  For 32 datagrams (sources
 * 10.20.1.0..31), the first fragment and a later one go to the same
 * instance.  TC and XDP alike.
 */
static void check_chain_groups(struct progs *p)
{
	static uint8_t fwd[80], rep[80], f1[80], f2[80];
	int stable = 1, same = 1, frags = 1, n[2][2] = { { 0 } }, nf[2] = { 0 };

	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, fws, 2);
	for (int xdp = 0; xdp < 2; xdp++) {
		for (uint16_t k = 0; k < 64; k++) {
			struct fspec a = KF(800, M2, M1, KB4(fwd)),
				     b = KF(830, M1, M2, KB4(rep));
			uint32_t t1 = 0, t2 = 0, t3 = 0;
			int v1, v2, v3;

			ip4_l4_raw(fwd, 6, K_CL, K_SV, 41000 + k, 80);
			ip4_l4_raw(rep, 6, K_SV, K_CL, 80, 41000 + k);
			v1 = ch_vid(p, xdp, P_TAP, TAP1, &a, &t1);
			v2 = ch_vid(p, xdp, P_TAP, TAP1, &a, &t2);
			v3 = ch_vid(p, xdp, P_TAP, TAP1, &b, &t3);
			if (v1 != v2 || t1 != TAP2 || t2 != TAP2 || (v1 != 810 && v1 != 820))
				stable = 0;
			if (t3 != TAP2 || v3 != (v1 == 810 ? 811 : 821))
				same = 0;
			n[xdp][v1 == 820]++;
		}
		for (uint8_t d = 0; d < 32; d++) {
			const uint8_t src[4] = { 10, 20, 1, d };
			struct fspec a = KF(800, M2, M1, KB4(f1)),
				     b = KF(800, M2, M1, KB4(f2));
			uint32_t t1 = 0, t2 = 0;

			k4_frag(f1, 6, src, K_SV, 0, 1, 42000 + d, 80);
			k4_frag(f2, 6, src, K_SV, 3, 0, 0x1234, 0x5678);
			int v1 = ch_vid(p, xdp, P_TAP, TAP1, &a, &t1);

			if (v1 != ch_vid(p, xdp, P_TAP, TAP1, &b, &t2) || t1 != TAP2 || t2 != TAP2)
				frags = 0;
			nf[v1 == 820]++;
		}
	}
	result(stable && n[0][0] && n[0][1] && n[0][0] == n[1][0],
	       "chain groups: 64 flows, each to one instance, again the same (fw1 %d, fw2 %d; "
	       "XDP %d, %d)", n[0][0], n[0][1], n[1][0], n[1][1]);
	result(same, "chain groups: each flow's reply (reverse) enters the same instance's egress");
	result(frags && nf[0] && nf[1], "chain groups: 32 datagrams, a later fragment takes its "
	       "first fragment's instance (fw1 %d, fw2 %d, TC and XDP)", nf[0], nf[1]);
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, fws, 0);
}

static void run_cases(struct progs *p, const struct tcase *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		run_case(p, &c[i], fr_meta_ok(&c[i].in) ? 2 : 1);
}

static void check_chain_down(struct progs *p)
{
	const struct tcase *c = chain_down_cases;

	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 0, fws, 0);
	run_case(p, &c[CD_DROP0], 2);
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, fws, 0);
	ch_hop_put(p, CH_SLOT_A, CH_A, 1, 1, 0, dpi, 0);
	run_case(p, &c[CD_DROP1_RET], 2);
	ch_chain_put(p, CH_A, NET_K, CH_SLOT_A, 2, PP_CHAIN_SYMMETRIC | PP_CHAIN_BYPASS);
	run_case(p, &c[CD_BYP1_RET], 2);
	run_case(p, &c[CD_BYP1_REV], 2);
	ch_hop_put(p, CH_SLOT_A, CH_A, 1, 1, 1, dpi, 0);
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 0, fws, 0);
	run_case(p, &c[CD_BYP0], 2);
	ch_hop_put(p, CH_SLOT_A, CH_A, 1, 1, 0, dpi, 0);
	run_case(p, &c[CD_BYP01], 2);
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, fws, 0);
	ch_hop_put(p, CH_SLOT_A, CH_A, 1, 1, 1, dpi, 0);
	ch_chain_put(p, CH_A, NET_K, CH_SLOT_A, 2, PP_CHAIN_SYMMETRIC);
}

static void check_chain_forged(struct progs *p)
{
	const struct tcase *c = chain_forged_cases;
	static const uint32_t to_b[2][2] = { { CP_B, CP_B }, { CP_FW2I, CP_FW2O } },
			      to_sv[2][2] = { { CP_SV, CP_SV }, { CP_FW2I, CP_FW2O } },
			      to_4[2][2] = { { 4, 4 }, { CP_FW2I, CP_FW2O } },
			      to_a6[1][2] = { { 6, 6 } };
	struct pp_chain_port cp, saved, saved_b;
	struct pp_net k, saved_k;
	__u32 id = CP_FW1O, idb = CP_B;

	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, to_b, 0);
	run_case(p, &c[CF_HOP_B], 2);
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, to_sv, 0);
	run_case(p, &c[CF_HOP_NET], 2);
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, to_4, 0);
	run_case(p, &c[CF_HOP_NETC], 1);
	ch_hop_put(p, CH_SLOT_A, CH_B, 0, 2, 2, fws, 0);
	run_case(p, &c[CF_HOP_CHAIN], 2);
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, fws, 0);

	pp_map_get(&p->maps, PPM_CHAIN_PORTS, &id, &saved);
	cp = saved;
	cp.chain = CH_B;
	pp_map_put(&p->maps, PPM_CHAIN_PORTS, &id, &cp);
	run_case(p, &c[CF_PORT_B], 2);
	pp_map_put(&p->maps, PPM_CHAIN_PORTS, &id, &saved);
	pp_map_get(&p->maps, PPM_CHAIN_PORTS, &idb, &saved_b);
	cp = saved;			/* fw1's egress position, on B's port */
	pp_map_put(&p->maps, PPM_CHAIN_PORTS, &idb, &cp);
	run_case(p, &c[CF_PORT_B2], 2);
	pp_map_put(&p->maps, PPM_CHAIN_PORTS, &idb, &saved_b);

	ch_chain_put(p, CH_A, NET_A, CH_SLOT_A, 2, PP_CHAIN_SYMMETRIC);
	run_case(p, &c[CF_CHAIN_NET], 2);
	run_case(p, &c[CF_CHAIN_NET_RET], 2);
	ch_chain_put(p, CH_A, NET_K, CH_SLOT_A, 2, PP_CHAIN_SYMMETRIC);

	/* net A's id used as a chain's: everything but pp_nets[A] says so */
	pp_net_get(&p->maps, NET_K, &saved_k);
	k = saved_k;
	k.chain = NET_A;
	ch_chain_put(p, NET_A, NET_K, 3, 1, PP_CHAIN_ALL_SOURCES);
	ch_hop_put(p, 3, NET_A, 0, 1, 1, to_a6, 0);
	pp_rules_compile(NET_A, PP_DIR_CHAIN_FWD, ch_rules, 2, 0, ch_emit, &p->maps);
	pp_net_put(&p->maps, NET_K, &k);
	run_case(p, &c[CF_NET_NET], 2);
	pp_net_put(&p->maps, NET_K, &saved_k);
	pp_rule_set_del(&p->maps, (struct pp_rule_set_key){ .sport = NET_A,
							      .dir = PP_DIR_CHAIN_FWD });
	ch_chain_put(p, NET_A, 0, 0, 0, 0);
	ch_hop_put(p, 3, 0, 0, 0, 0, to_a6, 0);
}

static void check_chains(struct progs *p)
{
	int ok = !setup_chains(p);

	result(ok, "chain: setup (net K, chains A and B, seven hop ports, classifiers, port 48)");
	if (!ok)
		return;
	build_chain_frames();
	run_cases(p, chain_cases, sizeof(chain_cases) / sizeof(chain_cases[0]));
	{	/* frames entering the chain count on its classifier's entries */
		__u64 fwd = 0, rev = 0;

		for (__u16 r = 0; r < 8; r++) {
			fwd += pp_rule_stat_get(&p->maps, CH_A, PP_DIR_CHAIN_FWD, r);
			rev += pp_rule_stat_get(&p->maps, CH_A, PP_DIR_CHAIN_REV, r);
		}
		result(fwd > 0 && rev > 0, "chain: classified frames counted per classifier entry "
		       "(pp_rule_stats, chain A: forward %llu, reverse %llu)",
		       (unsigned long long)fwd, (unsigned long long)rev);
	}
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, fws, 1);
	run_cases(p, chain_fw2_cases, sizeof(chain_fw2_cases) / sizeof(chain_fw2_cases[0]));
	ch_hop_put(p, CH_SLOT_A, CH_A, 0, 2, 2, fws, 0);
	check_chain_groups(p);
	ch_hop_put(p, CH_SLOT_A, CH_A, 1, 1, 1, dpi3, 0);
	run_case(p, &chain_tc_case, 2);
	ch_hop_put(p, CH_SLOT_A, CH_A, 1, 1, 1, dpi, 0);
	check_chain_down(p);
	check_chain_forged(p);
	run_cases(p, chain_sp_cases, sizeof(chain_sp_cases) / sizeof(chain_sp_cases[0]));
}

/* ---- stretched networks over VXLAN (issue 20) -----------------------------------------
 * Red (vni 100) and blue (vni 200) on the host's VXLAN device DEVVX: red has
 * local ports 30 (slot 1, vlan 110, M1) and 31 (slot 2, vlan 110, M2) and
 * MACs on hosts h2 (RM2) and h3 (RM3); blue has local port 32 (slot 1, vlan
 * 120, M1) and a MAC on h2 only (RB2).  The flood lists: red -> h2, h3;
 * blue -> h2.  Decapsulated frames present their key through the test shim.
 */
enum { VX_RED = 25, VX_BLUE = 26 };
enum { VXP_R1 = 30, VXP_R2, VXP_B1 };
static const uint8_t RM2[6] = { 0x52, 0x54, 0, 0, 1, 2 }, RM3[6] = { 0x52, 0x54, 0, 0, 1, 3 },
		     RB2[6] = { 0x52, 0x54, 0, 0, 2, 2 };
#define VXLAN_TC	TO_TC("a stretched network: the tunnel key is TC's")
#define TUN(v, from)	.tun_vni = (v), .tun_from = (from)

static const struct tcase vxlan_cases[] = {
	{ "vxlan: red unicast to a MAC on h2 -> encapsulated to h2 only (vni 100), tag removed",
	  P_TAP, TAP1, FR(RM2, M1, Q(110)), FWD,
	  .out = { TREDIR(DEVVX, 100, VX_H2, FR(RM2, M1)) }, VXLAN_TC },
	{ "vxlan: red unicast to a MAC on h3 -> h3", P_TAP, TAP1, FR(RM3, M1, Q(110)), FWD,
	  .out = { TREDIR(DEVVX, 100, VX_H3, FR(RM3, M1)) }, VXLAN_TC },
	{ "vxlan: red unicast to a MAC no host has -> unknown_dst, never flooded", P_TAP, TAP1,
	  FR(EXT, M1, Q(110)), DROP_IP(SLOT1, PP_DROP_UNKNOWN_DST), VXLAN_TC },
	{ "vxlan: red unicast to a local port -> its tap, not the tunnel", P_TAP, TAP1,
	  FR(M2, M1, Q(110)), FWD, .out = { REDIR(TAP2, FR(M2, M1, Q(110))) } },
	{ "vxlan: red broadcast -> the local port and each other host once (h2, h3)", P_TAP, TAP1,
	  FR(BC, M1, Q(110)), FWD,
	  .out = { CLONE(TAP2, FR(BC, M1, Q(110))), TCLONE(DEVVX, 100, VX_H2, FR(BC, M1)),
		   TREDIR(DEVVX, 100, VX_H3, FR(BC, M1)) }, FLOOD },
	{ "vxlan: blue broadcast -> h2 only (h3 has no blue port)", P_TAP, TAP1,
	  FR(BC, M1, Q(120)), FWD, .out = { TREDIR(DEVVX, 200, VX_H2, FR(BC, M1)) }, VXLAN_TC },
	{ "vxlan: blue multicast -> h2 only", P_TAP, TAP1,
	  FR(MC, M1, Q(120)), FWD, .out = { TREDIR(DEVVX, 200, VX_H2, FR(MC, M1)) }, VXLAN_TC },
	{ "vxlan: blue unicast to red's MAC on h2 -> unknown_dst (no way across networks)", P_TAP,
	  TAP1, FR(RM2, M1, Q(120)), DROP_IP(SLOT1, PP_DROP_UNKNOWN_DST), VXLAN_TC },
	{ "vxlan: red frame longer than red's MTU (1450) -> mtu", P_TAP, TAP1,
	  { .dst = RM2, .src = M1, .tags = { Q(110) }, .payload = 1451 },
	  DROP_IP(SLOT1, PP_DROP_MTU) },
	/* decapsulated, on the VXLAN device */
	{ "vxlan in: vni 100 from h2 to M2 -> slot 2's tap, vlan 110", P_NET, DEVVX, FR(M2, RM2),
	  FWD, .out = { REDIR(TAP2, FR(M2, RM2, Q(110))) }, VXLAN_TC, TUN(100, VX_H2) },
	{ "vxlan in: vni 200 from h2 to M1 -> slot 1's tap, vlan 120 (blue's)", P_NET, DEVVX,
	  FR(M1, RB2), FWD, .out = { REDIR(TAP1, FR(M1, RB2, Q(120))) }, VXLAN_TC, TUN(200, VX_H2) },
	{ "vxlan in: vni 200 to M2 (red only) -> unknown_dst on blue: no way across", P_NET, DEVVX,
	  FR(M2, RB2), DROP_NET(VX_BLUE, PP_DROP_UNKNOWN_DST), VXLAN_TC, TUN(200, VX_H2) },
	{ "vxlan in: from a VTEP that is no known host's -> unknown_vtep", P_NET, DEVVX,
	  FR(M2, RM2), DROP_NET(VX_RED, PP_DROP_UNKNOWN_VTEP), VXLAN_TC, TUN(100, VX_STRANGER) },
	{ "vxlan in: a VNI no network has -> unknown_port", P_NET, DEVVX, FR(M2, RM2),
	  DROP_NET(0, PP_DROP_UNKNOWN_PORT), VXLAN_TC, TUN(300, VX_H2) },
	{ "vxlan in: no tunnel key at all -> unknown_vtep", P_NET, DEVVX, FR(M2, RM2),
	  DROP_NET(0, PP_DROP_UNKNOWN_VTEP), VXLAN_TC },
	{ "vxlan in: a tag inside the tunnel -> tagged_on_untagged_net", P_NET, DEVVX,
	  FR(M2, RM2, Q(110)), DROP_NET(VX_RED, PP_DROP_TAGGED_ON_UNTAGGED_NET), VXLAN_TC,
	  TUN(100, VX_H2) },
	{ "vxlan in: red broadcast -> every local red port, never back into the tunnel", P_NET,
	  DEVVX, FR(BC, RM2), .verdict = TC_ACT_SHOT,
	  .out = { CLONE(TAP1, FR(BC, RM2, Q(110))), CLONE(TAP2, FR(BC, RM2, Q(110))) }, VXLAN_TC,
	  TUN(100, VX_H2) },
};

/*
 * The same over an IPv6 underlay (pp_vxlan's family 6, check_vxlan): red's
 * MAC on h2 and its flood list on IPv6 VTEPs, RM3 left on an IPv4 one.
 */
#define TUN6(v, from)	.tun_vni = (v), .tun_from = (from), .tun_fam = PP_NEIGH_V6
static const struct tcase vxlan6_cases[] = {
	{ "vxlan v6: red unicast to a MAC on h2 -> encapsulated over IPv6 to h2", P_TAP, TAP1,
	  FR(RM2, M1, Q(110)), FWD, .out = { TREDIR6(DEVVX, 100, VX6_H2, FR(RM2, M1)) }, VXLAN_TC },
	{ "vxlan v6: red broadcast -> the local port, h2 and h3 over IPv6", P_TAP, TAP1,
	  FR(BC, M1, Q(110)), FWD,
	  .out = { CLONE(TAP2, FR(BC, M1, Q(110))), TCLONE6(DEVVX, 100, VX6_H2, FR(BC, M1)),
		   TREDIR6(DEVVX, 100, VX6_H3, FR(BC, M1)) }, FLOOD },
	{ "vxlan v6: a MAC behind an IPv4 VTEP on an IPv6 underlay -> no_target", P_TAP, TAP1,
	  FR(RM3, M1, Q(110)), DROP_IP(SLOT1, PP_DROP_NO_TARGET), VXLAN_TC },
	{ "vxlan v6 in: vni 100 from h2's IPv6 VTEP to M2 -> slot 2's tap, vlan 110", P_NET, DEVVX,
	  FR(M2, RM2), FWD, .out = { REDIR(TAP2, FR(M2, RM2, Q(110))) }, VXLAN_TC, TUN6(100, VX6_H2) },
	{ "vxlan v6 in: from an IPv6 VTEP that is no known host's -> unknown_vtep", P_NET, DEVVX,
	  FR(M2, RM2), DROP_NET(VX_RED, PP_DROP_UNKNOWN_VTEP), VXLAN_TC, TUN6(100, VX6_STRANGER) },
};

enum { VXF_VNI, VXF_DEV, VXF_VXLAN };
static const struct tcase vxlan_forged_cases[] = {
	[VXF_VNI] = { "vxlan in forged: vni 300 naming net A (a device's network) -> unknown_port",
		      P_NET, DEVVX, FR(M1, RM2), DROP_NET(0, PP_DROP_UNKNOWN_PORT), VXLAN_TC,
		      TUN(300, VX_H2) },
	[VXF_DEV] = { "vxlan forged: DEVVX's pp_devs entry without the VXLAN flag -> no_target",
		      P_TAP, TAP1, FR(RM2, M1, Q(110)), DROP_IP(SLOT1, PP_DROP_NO_TARGET),
		      VXLAN_TC },
	[VXF_VXLAN] = { "vxlan: no VXLAN device (pp_vxlan empty) -> no_target", P_TAP, TAP1,
			FR(RM2, M1, Q(110)), DROP_IP(SLOT1, PP_DROP_NO_TARGET), VXLAN_TC },
};

static int vx_vtep(struct pp_vtep *v, const uint8_t *a)
{
	memset(v, 0, sizeof(*v));
	v->family = PP_NEIGH_V4;
	memcpy(v->addr, a, 4);
	return 0;
}

static void vx_vtep6(struct pp_vtep *v, const uint8_t *a)
{
	memset(v, 0, sizeof(*v));
	v->family = PP_NEIGH_V6;
	memcpy(v->addr, a, 16);
}

/* The IPv6 underlay's cases: pp_vxlan, red's entries and h2's VTEP on IPv6, then back. */
static void check_vxlan6(struct progs *p)
{
	struct pp_vxlan vx, vx6 = { .ifindex = DEVVX, .family = PP_NEIGH_V6 };
	struct pp_fdb_key k = { .net_id = VX_RED };
	struct pp_rflood fl, fl6 = { .count = 2 };
	struct pp_vtep v, saved;
	__u32 red = VX_RED, one = 1;

	memcpy(vx6.local, VX6_LOCAL, 16);
	memcpy(k.mac, RM2, 6);
	pp_vxlan_get(&p->maps, 0, &vx);
	pp_rflood_get(&p->maps, red, &fl);
	pp_remote_get(&p->maps, k, &saved);
	vx_vtep6(&fl6.vtep[0], VX6_H2);
	vx_vtep6(&fl6.vtep[1], VX6_H3);
	vx_vtep6(&v, VX6_H2);
	if (pp_vxlan_put(&p->maps, 0, &vx6) || pp_rflood_put(&p->maps, red, &fl6) ||
	    pp_remote_put(&p->maps, k, &v) || pp_vtep_put(&p->maps, v, &one)) {
		result(0, "vxlan v6: setup");
		return;
	}
	for (unsigned i = 0; i < sizeof(vxlan6_cases) / sizeof(vxlan6_cases[0]); i++)
		run_case(p, &vxlan6_cases[i], 1);
	pp_vtep_del(&p->maps, v);
	pp_remote_put(&p->maps, k, &saved);
	pp_rflood_put(&p->maps, red, &fl);
	pp_vxlan_put(&p->maps, 0, &vx);
}

static int setup_vxlan(struct progs *p)
{
	struct pp_vxlan vx = { .ifindex = DEVVX, .family = PP_NEIGH_V4 };
	struct pp_dev dev = { .flags = PP_DEV_NET | PP_DEV_VXLAN, .ifindex = DEVVX };
	struct pp_net red = { .ifindex = DEVVX, .mtu = 1450, .vni = 100 };
	struct pp_net blue = { .ifindex = DEVVX, .mtu = 1450, .vni = 200 };
	struct pp_rflood fr = { .count = 2 }, fb = { .count = 1 };
	__u32 one = 1, id, vni;
	struct pp_vtep v;
	int err = 0;
	const struct port vp[] = {
		{ VXP_R1, SLOT1, VX_RED, PP_MATCH_VLAN, 110, 0, M1 },
		{ VXP_R2, SLOT2, VX_RED, PP_MATCH_VLAN, 110, 0, M2 },
		{ VXP_B1, SLOT1, VX_BLUE, PP_MATCH_VLAN, 120, 0, M1 },
	};
	const struct { uint32_t net; const uint8_t *mac, *vtep; } rem[] = {
		{ VX_RED, RM2, VX_H2 }, { VX_RED, RM3, VX_H3 }, { VX_BLUE, RB2, VX_H2 },
	};

	memcpy(vx.local, VX_LOCAL, 4);
	err = pp_dev_put(&p->maps, DEVVX, &dev) || pp_vxlan_put(&p->maps, 0, &vx) ||
	      pp_net_put(&p->maps, VX_RED, &red) || pp_net_put(&p->maps, VX_BLUE, &blue);
	vni = 100, id = VX_RED;
	err = err || pp_vni_put(&p->maps, vni, &id);
	vni = 200, id = VX_BLUE;
	err = err || pp_vni_put(&p->maps, vni, &id);
	for (unsigned i = 0; !err && i < sizeof(vp) / sizeof(vp[0]); i++) {
		struct pp_sport sp = { .slot = vp[i].slot, .net_id = vp[i].net, .match = vp[i].match,
				       .outer_vid = vp[i].o };

		memcpy(sp.mac, vp[i].mac, 6);
		err = pp_dp_sport_install(&p->maps, vp[i].id, &sp);
	}
	for (unsigned i = 0; !err && i < sizeof(rem) / sizeof(rem[0]); i++) {
		struct pp_fdb_key k = { .net_id = rem[i].net };

		memcpy(k.mac, rem[i].mac, 6);
		vx_vtep(&v, rem[i].vtep);
		err = pp_remote_put(&p->maps, k, &v);
	}
	vx_vtep(&fr.vtep[0], VX_H2);
	vx_vtep(&fr.vtep[1], VX_H3);
	vx_vtep(&fb.vtep[0], VX_H2);
	id = VX_RED;
	err = err || pp_rflood_put(&p->maps, id, &fr);
	id = VX_BLUE;
	err = err || pp_rflood_put(&p->maps, id, &fb);
	vx_vtep(&v, VX_H2);
	err = err || pp_vtep_put(&p->maps, v, &one);
	vx_vtep(&v, VX_H3);
	err = err || pp_vtep_put(&p->maps, v, &one);
	return err ? -1 : 0;
}

static void check_vxlan(struct progs *p)
{
	struct pp_dev dev, saved;
	struct pp_vxlan vx, zero = {};
	__u32 vni = 300, id = NET_A;

	if (setup_vxlan(p)) {
		result(0, "vxlan: setup");
		return;
	}
	for (unsigned i = 0; i < sizeof(vxlan_cases) / sizeof(vxlan_cases[0]); i++)
		run_case(p, &vxlan_cases[i], vxlan_cases[i].prog == P_TAP ? 2 : 1);
	check_vxlan6(p);
	/* forged entries: never delivered */
	pp_vni_put(&p->maps, vni, &id);
	run_case(p, &vxlan_forged_cases[VXF_VNI], 1);
	pp_vni_del(&p->maps, vni);
	pp_dev_get(&p->maps, DEVVX, &saved);
	dev = saved;
	dev.flags = PP_DEV_NET;
	pp_dev_put(&p->maps, DEVVX, &dev);
	run_case(p, &vxlan_forged_cases[VXF_DEV], 1);
	pp_dev_put(&p->maps, DEVVX, &saved);
	pp_vxlan_get(&p->maps, 0, &vx);
	pp_vxlan_put(&p->maps, 0, &zero);
	run_case(p, &vxlan_forged_cases[VXF_VXLAN], 1);
	pp_vxlan_put(&p->maps, 0, &vx);
}

static int setup(struct progs *p, const char *pin_root)
{
	struct pp_map_sizes s = { .max_ifindex = 128, .max_iports = 8, .max_sports = 64,
				  .max_nets = 32, .max_macs = 4096, .max_match = 64 };
	int err;

	err = progs_load(p, pin_root, &s);
	if (err)
		return err;

	struct { uint32_t id, ifindex; uint16_t vlan, mtu; } nets[] = {
		{ NET_A, DEVA, 0, 1500 }, { NET_B, DEVB, 0, 1500 }, { NET_C, DEVC, 0, 1500 },
		{ NET_D, DEVDE, 0, 1500 }, { NET_E, DEVDE, 3001, 1500 }, { NET_F, DEVF, 3002, 1500 },
		{ NET_G, DEVG, 0, 9000 }, { NET_H, DEVH, 0, 1500 }, { NET_I, DEVI, 0, 1500 },
		{ NET_J, DEVJ, 0, 1500 },
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
	if ((err = pp_dp_iport_install(&p->maps, SLOT1, &ip1, NULL)) ||
	    (err = pp_dp_iport_install(&p->maps, SLOT2, &ip2, NULL)) ||
	    (err = pp_dp_iport_install(&p->maps, SLOT3, &ip3, NULL)))
		return err;
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		const struct port *q = &ports[i];
		struct pp_sport sp = { .slot = q->slot, .net_id = q->net, .match = q->match,
				       .outer_vid = q->o, .inner_vid = q->i };

		memcpy(sp.mac, q->mac, 6);
		if (q->id == 1 || q->id == 3)
			sp.flags = PP_SPORT_RESPONDER;
		if (q->id == 12)
			sp.flags = PP_SPORT_SECURITY;
		if (q->id == 13)
			sp.flags = PP_SPORT_DHCP;
		if (q->id == 14)	/* rules both ways, as the loader marks them */
			sp.flags = PP_SPORT_SECURITY | PP_SPORT_RULES_IN | PP_SPORT_RULES_OUT;
		if ((err = pp_dp_sport_install(&p->maps, q->id, &sp)))
			return err;
	}
	/* what net A's responder knows: its gateway, ports 1 and 6 */
	struct { uint8_t fam; const uint8_t *addr; const uint8_t *mac; uint8_t flags; } nb[] = {
		{ PP_NEIGH_V4, IP_GW, GW, PP_NEIGH_ROUTER }, { PP_NEIGH_V6, IP6_GW, GW, PP_NEIGH_ROUTER },
		{ PP_NEIGH_V4, IP_P1, M1, 0 }, { PP_NEIGH_V4, IP_P6, M2, 0 },
		{ PP_NEIGH_V6, IP6_P6, M2, 0 },
	};
	/* port 12's security: its addresses and link-local, two allowed pairs */
	uint8_t ll1[16];
	ll_of(ll1, M1);
	struct { uint8_t fam, plen; const uint8_t *addr, *mac; } sec[] = {
		{ PP_NEIGH_V4, 32, S_OWN, M1 }, { PP_NEIGH_V6, 128, S6_OWN, M1 },
		{ PP_NEIGH_V6, 128, ll1, M1 }, { PP_NEIGH_V4, 24, S_PAIRNET, M1 },
		{ PP_NEIGH_V4, 32, S_PAIRIP, PAIR },
	};
	for (unsigned i = 0; i < sizeof(sec) / sizeof(sec[0]); i++) {
		struct pp_sec_key k = { .prefixlen = PP_SEC_PREFIX(sec[i].plen), .sport = 12,
					.family = sec[i].fam };
		struct pp_sec_src v = {};

		memcpy(k.addr, sec[i].addr, sec[i].fam == PP_NEIGH_V4 ? 4 : 16);
		if (sec[i].plen == 24)
			k.addr[3] = 0;
		memcpy(v.mac, sec[i].mac, 6);
		if ((err = pp_sec_src_put(&p->maps, k, &v)))
			return err;
	}
	/* port 13's DHCP server */
	struct pp_dhcp dh;
	struct pp_dhcp_route_in rt = { .dst = { 192, 168, 0, 0 }, .plen = 16, .via = { 10, 0, 5, 1 } };
	if ((err = pp_dhcp_encode(&dh, D_YI, 24, D_GW, GW, 3600, 1450, &D_DNS, 1, &rt, 1)) ||
	    (err = pp_dhcp_put(&p->maps, 13, &dh)))
		return err;
	/* port 14: its addresses, its rules */
	struct { uint8_t fam, plen; const uint8_t *addr; } sec14[] = {
		{ PP_NEIGH_V4, 32, R_OWN }, { PP_NEIGH_V6, 128, R6_OWN },
	};
	for (unsigned i = 0; i < 2; i++) {
		struct pp_sec_key k = { .prefixlen = PP_SEC_PREFIX(sec14[i].plen), .sport = 14,
					.family = sec14[i].fam };
		struct pp_sec_src v = {};

		memcpy(k.addr, sec14[i].addr, sec14[i].fam == PP_NEIGH_V4 ? 4 : 16);
		memcpy(v.mac, M1, 6);
		if ((err = pp_sec_src_put(&p->maps, k, &v)))
			return err;
	}
	if ((err = pp_rules_compile(14, PP_DIR_EGRESS, egress_rules, 5, 0, rule_put, &p->maps)) ||
	    (err = pp_rules_compile(14, PP_DIR_INGRESS, ingress_rules, 1, 0, rule_put, &p->maps)))
		return err;
	struct pp_sec_mac_key smk = { .sport = 12 };
	__u32 one = 1;
	memcpy(smk.mac, PAIR, 6);
	if ((err = pp_sec_mac_put(&p->maps, smk, &one)))
		return err;
	for (unsigned i = 0; i < sizeof(nb) / sizeof(nb[0]); i++) {
		struct pp_neigh_key k = { .net_id = NET_A, .family = nb[i].fam };
		struct pp_neigh v = { .flags = nb[i].flags };

		memcpy(k.addr, nb[i].addr, nb[i].fam == PP_NEIGH_V4 ? 4 : 16);
		memcpy(v.mac, nb[i].mac, 6);
		if ((err = pp_neigh_put(&p->maps, k, &v)))
			return err;
	}
	for (unsigned i = 0; i < sizeof(xdp_tx) / sizeof(xdp_tx[0]); i++)
		if ((err = pp_xdp_tx_set(&p->maps, xdp_tx[i], true)))
			return err;
	return 0;
}

int main(void)
{
	struct progs p = {};
	char pin_root[128];
	int err, handoffs = 0;

	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/pp-test-%d", getpid());
	build_service_frames();
	build_security_frames();
	build_rule_frames();
	err = progs_netns(devices, sizeof(devices) / sizeof(devices[0]));
	if (!err)
		err = setup(&p, pin_root);
	if (err) {
		fprintf(stderr, "prog_test: setup: %s\n", strerror(-err));
		progs_cleanup(&p, pin_root);
		printf("FAIL prog_test: setup\n");
		return 1;
	}
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&p, &cases[i], fr_meta_ok(&cases[i].in) ? 2 : 1);
		handoffs += cases[i].only != ONLY_TC && cases[i].to_tc;
	}
	check_lone_hint(&p);
	check_dst_buckets(&p);
	check_trunks(&p);
	check_vm_forged(&p);
	check_standby_tap(&p);
	check_standby_incoming(&p);
	run_dhcp_cases(&p);
	check_rule_counters(&p);
	check_rules_missing(&p);
	check_ext_headers(&p);
	check_l3(&p);
	check_chains(&p);
	check_vxlan(&p);
	measure_rules(&p);
	progs_cleanup(&p, pin_root);
	printf("prog_test: %d passed, %d failed (%d XDP hand-offs to TC)\n", passed, failed,
	       handoffs);
	return failed ? 1 : 0;
}
