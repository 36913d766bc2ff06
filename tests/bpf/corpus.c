// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The hostile-frame corpus (issue 12, finding 4), differential.
 *
 * Frames are generated (structured and random; see gen_frame()) and each is
 * run with BPF_PROG_TEST_RUN through the TC and the XDP build of the program
 * of its direction: the tap program for frames a VM sends, the netdev
 * program for frames arriving on a network device.  For a share of the
 * frames whose outer tag is 0x8100 or 0x88a8, TC runs a second time with
 * that tag in skb metadata, where the kernel's receive path puts it.
 *
 * Every result is checked against an oracle written from DESIGN.md's frame
 * rules (oracle_vm(), oracle_net()), not from the programs: the verdict
 * (dropped, redirected, flooded), every output's target and bytes (tags
 * included, a tag in skb metadata put back where it goes on the wire), and
 * the drop counter (reason, instance port or network).  XDP must give TC's
 * result, or hand the frame to TC (XDP_PASS with the frame unchanged and no
 * counter moved; TC's result is then what counts).  Independently of the
 * oracle's outputs, every output frame is read back as its receiver reads
 * it (a network device: untagged or one 0x8100 tag; a tap: the service port
 * its tags name) and must land in the network the input frame names
 * (cross-network deliveries, which must be 0; a frame the rules drop names
 * no network, so any delivery of it counts).
 *
 * The topology (setup_topology()) is written through maps/ and the loader's
 * ordered writes, in a network namespace of the test's own (tests/bpf/
 * progs.h).  It has no services (security, responder, dhcp): their frames
 * are prog_test.c's and the services' own tests'.
 *
 * Not buildable here: frames shorter than 14 bytes (TEST_RUN refuses them
 * for both TC and XDP), GSO frames.  TC's TEST_RUN also refuses a frame whose
 * ethertype (in the frame, after a tag moved to metadata) is IPv4 with less
 * than an IPv4 header after it, or IPv6 with less than an IPv6 header: those
 * (about 1% of the frames, runts and cut frames) are checked in XDP only, and
 * counted ("refused").
 *
 *   corpus [--frames N] [--seed S] [--start I] [--show K]
 * Frame I of seed S is always the same frame: --start I --frames 1 replays it.
 */
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include "xdp.h"
#include "progs.h"

#define FRM		4096	/* frames here stay under a page (TC's TEST_RUN limit) */
#define MAXOUT		8
#define SHOW_DEFAULT	5

/* ---- topology --------------------------------------------------------------------
 * Instance port 1 (TAP1): VLAN ports, two QinQ ports, an untagged port, two
 * source-MAC ports.  Instance port 2 (TAP2): VLAN ports, an untagged port, a
 * QinQ port.  Instance port 3 (TAP3, TC mode: XDP hands frames toward it to
 * TC): VLAN ports and a source-MAC port, no untagged port.
 * Network devices: DEVU untagged only; DEVT a trunk with an untagged network
 * and two VLAN networks (one without local ports); DEVV VLAN networks only;
 * DEVA and DEVB untagged only, DEVA a device XDP may not transmit to (a
 * bridge).  NET_X has no device.
 */
enum { TAP1 = 11, TAP2 = 12, TAP3 = 13, DEVU = 21, DEVT = 22, DEVV = 23, DEVA = 24, DEVB = 25 };
enum { SLOT1 = 1, SLOT2, SLOT3 };
enum { NET_A = 1, NET_B, NET_C, NET_U, NET_T, NET_V1, NET_V2, NET_V3, NET_X };

static const uint32_t devices[] = { TAP1, TAP2, TAP3, DEVU, DEVT, DEVV, DEVA, DEVB };
/* What XDP may transmit to: not TAP3 (TC mode), not DEVA. */
static const uint32_t xdp_tx[] = { TAP1, TAP2, DEVU, DEVT, DEVV, DEVB };

#define TAP_MTU	1500

static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 0x01 };
static const uint8_t M2[6] = { 0x52, 0x54, 0, 0, 0, 0x02 };
static const uint8_t M3[6] = { 0x52, 0x54, 0, 0, 0, 0x03 };
static const uint8_t M4[6] = { 0x52, 0x54, 0, 0, 0, 0x04 };
static const uint8_t M5[6] = { 0x52, 0x54, 0, 0, 0, 0x05 };
static const uint8_t M6[6] = { 0x52, 0x54, 0, 0, 0, 0x06 };
static const uint8_t M7[6] = { 0x52, 0x54, 0, 0, 0, 0x07 };
static const uint8_t EXT[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t BC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MC4[6] = { 0x01, 0x00, 0x5e, 0, 0, 0xfb };
static const uint8_t MC6[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };

struct c_iport { uint32_t slot, tap; const uint8_t *mac; int xdp; };
static const struct c_iport iports[] = {
	{ SLOT1, TAP1, M1, 1 }, { SLOT2, TAP2, M2, 1 }, { SLOT3, TAP3, M4, 0 },
};

struct c_net { uint32_t id, dev; uint16_t vlan, mtu; };
static const struct c_net nets[] = {
	{ NET_A, DEVA, 0, 1500 }, { NET_B, DEVB, 0, 1500 }, { NET_C, DEVV, 300, 1500 },
	{ NET_U, DEVU, 0, 1500 }, { NET_T, DEVT, 0, 1500 }, { NET_V1, DEVT, 3001, 1400 },
	{ NET_V2, DEVV, 10, 1500 }, { NET_V3, DEVT, 3002, 1500 }, { NET_X, 0, 0, 1500 },
};

struct c_port { uint32_t id, slot, net; uint8_t match; uint16_t o, i; const uint8_t *mac; };
static const struct c_port ports[] = {
	{ 1, SLOT1, NET_A, PP_MATCH_VLAN, 100, 0, M1 },
	{ 2, SLOT1, NET_B, PP_MATCH_VLAN, 200, 0, M1 },
	{ 3, SLOT1, NET_C, PP_MATCH_QINQ, 300, 10, M3 },
	{ 4, SLOT1, NET_V1, PP_MATCH_QINQ, 300, 20, M1 },
	{ 5, SLOT1, NET_U, PP_MATCH_UNTAGGED, 0, 0, M1 },
	{ 6, SLOT1, NET_B, PP_MATCH_SRCMAC, 0, 0, M5 },
	{ 7, SLOT1, NET_T, PP_MATCH_SRCMAC, 0, 0, M6 },
	{ 8, SLOT1, NET_X, PP_MATCH_VLAN, 400, 0, M1 },
	{ 9, SLOT1, NET_V2, PP_MATCH_VLAN, 10, 0, M1 },
	{ 10, SLOT2, NET_A, PP_MATCH_VLAN, 100, 0, M2 },
	{ 11, SLOT2, NET_T, PP_MATCH_UNTAGGED, 0, 0, M2 },
	{ 12, SLOT2, NET_V1, PP_MATCH_VLAN, 3001, 0, M2 },
	{ 13, SLOT2, NET_B, PP_MATCH_QINQ, 200, 100, M2 },
	{ 14, SLOT2, NET_X, PP_MATCH_VLAN, 400, 0, M2 },
	{ 15, SLOT3, NET_A, PP_MATCH_VLAN, 100, 0, M4 },
	{ 16, SLOT3, NET_U, PP_MATCH_SRCMAC, 0, 0, M7 },
	{ 17, SLOT3, NET_V2, PP_MATCH_VLAN, 1, 0, M4 },
};

#define N_(a)	(sizeof(a) / sizeof((a)[0]))
#define NPORTS	N_(ports)

/* VIDs worth trying: every VID of the topology, and some of none. */
static const uint16_t vids[] = { 1, 10, 20, 100, 200, 300, 400, 3001, 3002, 77, 2000, 4094 };

/* ---- the topology as the oracle reads it ------------------------------------------ */
static const struct c_iport *iport_of_tap(uint32_t ifindex)
{
	for (unsigned i = 0; i < N_(iports); i++)
		if (iports[i].tap == ifindex)
			return &iports[i];
	return NULL;
}

static const struct c_iport *iport_of_slot(uint32_t slot)
{
	for (unsigned i = 0; i < N_(iports); i++)
		if (iports[i].slot == slot)
			return &iports[i];
	return NULL;
}

static const struct c_net *net_of(uint32_t id)
{
	for (unsigned i = 0; i < N_(nets); i++)
		if (nets[i].id == id)
			return &nets[i];
	return NULL;
}

static uint32_t dev_untagged_net(uint32_t dev)
{
	for (unsigned i = 0; i < N_(nets); i++)
		if (nets[i].dev == dev && !nets[i].vlan)
			return nets[i].id;
	return 0;
}

static uint32_t dev_vlan_net(uint32_t dev, uint16_t vid)
{
	for (unsigned i = 0; i < N_(nets); i++)
		if (nets[i].dev == dev && nets[i].vlan && nets[i].vlan == vid)
			return nets[i].id;
	return 0;
}

static int can_xdp_tx(uint32_t ifindex)
{
	for (unsigned i = 0; i < N_(xdp_tx); i++)
		if (xdp_tx[i] == ifindex)
			return 1;
	return 0;
}

static const struct c_port *port_find(uint32_t slot, uint8_t match, uint16_t o, uint16_t i,
				      const uint8_t *mac)
{
	for (unsigned k = 0; k < NPORTS; k++) {
		const struct c_port *p = &ports[k];

		if (p->slot != slot || p->match != match)
			continue;
		if ((match == PP_MATCH_VLAN && p->o == o) ||
		    (match == PP_MATCH_QINQ && p->o == o && p->i == i) ||
		    match == PP_MATCH_UNTAGGED ||
		    (match == PP_MATCH_SRCMAC && !memcmp(p->mac, mac, 6)))
			return p;
	}
	return NULL;
}

static int slot_has_srcmac(uint32_t slot)
{
	for (unsigned k = 0; k < NPORTS; k++)
		if (ports[k].slot == slot && ports[k].match == PP_MATCH_SRCMAC)
			return 1;
	return 0;
}

/* ---- frames ---------------------------------------------------------------------- */
static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static int is_tpid(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

/*
 * The leading tag headers of a frame (DESIGN.md: TPIDs 0x8100, 0x88a8 and
 * 0x9100): at most three are read, the third only from its TPID.  The first
 * two must be whole: present with their TCI and the ethertype after them.
 * Returns -1 for a malformed frame (shorter than 14 bytes, or one of the
 * first two tag headers cut).
 */
struct tags {
	unsigned n;		/* 0..3, 3 meaning "three or more" */
	uint16_t tpid[3], tci[3];
};

static int tags_of(const uint8_t *b, uint32_t len, struct tags *t)
{
	uint32_t off = 12;

	memset(t, 0, sizeof(*t));
	if (len < 14)
		return -1;
	while (t->n < 3 && is_tpid(be16(b + off))) {
		t->tpid[t->n] = be16(b + off);
		if (t->n == 2) {
			t->n = 3;
			break;
		}
		if (off + 6 > len)
			return -1;
		t->tci[t->n++] = be16(b + off + 2);
		off += 4;
	}
	return 0;
}

/* The tags service port q's frames carry on its tap (DESIGN.md "Toward the VM"). */
static unsigned port_tags(const struct c_port *q, uint16_t tp[2], uint16_t tci[2])
{
	if (q->match == PP_MATCH_VLAN) {
		tp[0] = 0x8100;
		tci[0] = q->o;
		return 1;
	}
	if (q->match == PP_MATCH_QINQ) {
		tp[0] = 0x88a8;
		tci[0] = q->o;
		tp[1] = 0x8100;
		tci[1] = q->i;
		return 2;
	}
	return 0;
}

/*
 * Frame b (len bytes) with its first k tags replaced by n tags tp/tci, and
 * its destination by dst if not NULL, into out.  Returns the new length.
 */
static uint32_t retag(const uint8_t *b, uint32_t len, unsigned k, unsigned n,
		      const uint16_t *tp, const uint16_t *tci, const uint8_t *dst, uint8_t *out)
{
	uint32_t o = 12;

	memcpy(out, b, 12);
	if (dst)
		memcpy(out, dst, 6);
	for (unsigned i = 0; i < n; i++, o += 4) {
		put16(out + o, tp[i]);
		put16(out + o + 2, tci[i]);
	}
	memcpy(out + o, b + 12 + 4 * k, len - 12 - 4 * k);
	return o + len - 12 - 4 * k;
}

/* ---- the oracle (DESIGN.md "Frame rules") ------------------------------------------
 * Where DESIGN.md leaves a detail open, the oracle's choice:
 * - a tag header is whole when its TCI and the ethertype after it are there
 *   (tags_of());
 * - a drop on a network device is counted on the network the frame names, or,
 *   before one is named, on the device's untagged network (0: none);
 * - a service port whose network has no device (yet): the network's local
 *   ports still reach each other (unicast, and the copies of a flood); what
 *   would go to the device is no_target, unless copies went out (then the
 *   frame is done, nothing counted).  A network with no entry: no_target;
 * - XDP must hand to TC (to_tc) what needs copies, a target not in pp_xdp_tx,
 *   or a frame toward a tap longer than its MTU + 18.  A hand-off the oracle
 *   does not expect is allowed (TC's result counts) and counted.
 */
enum { D_NONE, D_IPORT, D_NET };
#define DELIVERED	PP_DROP_MAX

struct xout {
	uint32_t kind;		/* PP_TEST_REDIRECT / PP_TEST_CLONE */
	uint32_t ifindex;
	uint32_t len;		/* the whole frame's */
	uint32_t have;		/* bytes of it in data (a clone: the first PP_TEST_SNAP) */
	uint8_t data[FRM];
};

struct expect {
	uint32_t reason;	/* a drop reason, or DELIVERED */
	int dkind;		/* where the drop is counted: D_IPORT (slot) / D_NET (network) */
	uint32_t didx;
	uint32_t net;		/* the network the frame's port/tags name (0: none) */
	int to_tc;		/* XDP cannot do this itself: it hands the frame to TC */
	int nout;
	struct xout out[MAXOUT];
};

static void x_drop(struct expect *e, uint32_t reason)
{
	e->reason = reason;
	e->nout = 0;
}

static struct xout *x_out(struct expect *e, uint32_t kind, uint32_t ifindex)
{
	struct xout *x = &e->out[e->nout++];

	x->kind = kind;
	x->ifindex = ifindex;
	return x;
}

/* A copy (or the frame) toward service port q: q's tags; the untagged wire of an
 * instance port with source-MAC ports takes broadcast/multicast as q's MAC. */
static void x_to_port(struct expect *e, uint32_t kind, const struct c_port *q, const uint8_t *b,
		      uint32_t len, unsigned k, int flood)
{
	const struct c_iport *ip = iport_of_slot(q->slot);
	struct xout *x = x_out(e, kind, ip->tap);
	uint16_t tp[2], tci[2];
	unsigned n = port_tags(q, tp, tci);
	int rewrite = flood && n == 0 && slot_has_srcmac(q->slot);

	x->len = x->have = retag(b, len, k, n, tp, tci, rewrite ? q->mac : NULL, x->data);
	/* XDP redirects to a tap in XDP mode, up to its MTU + 18 (xdp_ok_fwd_dev) */
	if (!ip->xdp || x->len > TAP_MTU + ETH_HLEN + 4)
		e->to_tc = 1;
}

static void x_to_net(struct expect *e, const struct c_net *net, const uint8_t *b, uint32_t len,
		     unsigned k)
{
	struct xout *x = x_out(e, PP_TEST_REDIRECT, net->dev);
	uint16_t tp = 0x8100, tci = net->vlan;

	x->len = x->have = retag(b, len, k, net->vlan ? 1 : 0, &tp, &tci, NULL, x->data);
	if (!can_xdp_tx(net->dev))
		e->to_tc = 1;
}

/* A frame the VM on instance port slot sends (b: the wire frame, every tag in it). */
static void oracle_vm(uint32_t slot, const uint8_t *b, uint32_t len, struct expect *e)
{
	const struct c_port *p = NULL, *q;
	const struct c_net *net;
	uint32_t reason = PP_DROP_UNKNOWN_PORT;
	uint16_t vid0, vid1;
	unsigned m = 0, more;
	struct tags t;

	memset(e, 0, offsetof(struct expect, out));
	e->dkind = D_IPORT;
	e->didx = slot;
	if (tags_of(b, len, &t))
		return x_drop(e, PP_DROP_MALFORMED);
	/* the tags a port can match: 0x8100/0x88a8 outer, then 0x8100 inner */
	if (t.n >= 1 && (t.tpid[0] == 0x8100 || t.tpid[0] == 0x88a8)) {
		m = 1;
		if (t.n >= 2 && t.tpid[1] == 0x8100)
			m = 2;
	}
	more = t.n > m;
	vid0 = t.tci[0] & 0xfff;
	vid1 = t.tci[1] & 0xfff;
	if (m == 2) {
		if (more || vid0 == 0)
			reason = PP_DROP_TOO_MANY_TAGS;
		else if (vid0 == PP_VID_RESERVED || vid1 == PP_VID_RESERVED)
			reason = PP_DROP_RESERVED_VID;
		else if (!(p = port_find(slot, PP_MATCH_QINQ, vid0, vid1, NULL)))
			reason = port_find(slot, PP_MATCH_VLAN, vid0, 0, NULL) ?
					 PP_DROP_TOO_MANY_TAGS : PP_DROP_UNKNOWN_PORT;
	} else if (m == 1 && more) {
		reason = vid0 == 0 ? PP_DROP_TOO_MANY_TAGS :
			 vid0 == PP_VID_RESERVED ? PP_DROP_RESERVED_VID :
			 port_find(slot, PP_MATCH_VLAN, vid0, 0, NULL) ? PP_DROP_TOO_MANY_TAGS :
									 PP_DROP_UNKNOWN_PORT;
	} else if (m == 1 && vid0) {
		if (vid0 == PP_VID_RESERVED)
			reason = PP_DROP_RESERVED_VID;
		else
			p = port_find(slot, PP_MATCH_VLAN, vid0, 0, NULL);
	} else if (m == 0 && more) {
		reason = port_find(slot, PP_MATCH_UNTAGGED, 0, 0, NULL) || slot_has_srcmac(slot) ?
				 PP_DROP_TOO_MANY_TAGS : PP_DROP_UNKNOWN_PORT;
	} else {		/* untagged, or a lone priority tag */
		p = port_find(slot, PP_MATCH_SRCMAC, 0, 0, b + 6);
		if (!p)
			p = port_find(slot, PP_MATCH_UNTAGGED, 0, 0, NULL);
	}
	if (!p)
		return x_drop(e, reason);
	e->net = p->net;
	if (memcmp(b + 6, p->mac, 6))
		return x_drop(e, PP_DROP_SPOOFED);
	net = net_of(p->net);
	if (!net)
		return x_drop(e, PP_DROP_NO_TARGET);
	if (len > ETH_HLEN + 4 * m + net->mtu)
		return x_drop(e, PP_DROP_MTU);

	e->reason = DELIVERED;
	if (b[0] & 1) {		/* the network, and every other local port of it */
		if (net->dev)
			x_to_net(e, net, b, len, m);
		for (unsigned k = 0; k < NPORTS; k++) {
			q = &ports[k];
			if (q->net != p->net || q == p)
				continue;
			x_to_port(e, PP_TEST_CLONE, q, b, len, m, 1);
			e->to_tc = 1;	/* copies: TC clones */
		}
		if (!e->nout)
			x_drop(e, PP_DROP_NO_TARGET);
		return;
	}
	for (unsigned k = 0; k < NPORTS; k++) {
		q = &ports[k];
		if (q->net == p->net && q != p && !memcmp(q->mac, b, 6))
			return x_to_port(e, PP_TEST_REDIRECT, q, b, len, m, 0);
	}
	if (!net->dev)
		return x_drop(e, PP_DROP_NO_TARGET);
	x_to_net(e, net, b, len, m);
}

/* A frame arriving on network device dev, toward the VMs. */
static void oracle_net(uint32_t dev, const uint8_t *b, uint32_t len, struct expect *e)
{
	uint32_t un = dev_untagged_net(dev), id;
	const struct c_net *net;
	const struct c_port *q;
	uint16_t vid0;
	struct tags t;

	memset(e, 0, offsetof(struct expect, out));
	e->dkind = D_NET;
	e->didx = un;		/* a drop before a network is named: the device's untagged one */
	if (tags_of(b, len, &t))
		return x_drop(e, PP_DROP_MALFORMED);
	vid0 = t.tci[0] & 0xfff;
	if (t.n == 0)
		id = un;
	else if (t.tpid[0] != 0x8100)
		return x_drop(e, un ? PP_DROP_TAGGED_ON_UNTAGGED_NET : PP_DROP_UNKNOWN_PORT);
	else if (t.n > 1)
		return x_drop(e, PP_DROP_TOO_MANY_TAGS);
	else if (vid0 == PP_VID_RESERVED)
		return x_drop(e, PP_DROP_RESERVED_VID);
	else if (vid0 == 0)
		id = un;	/* a lone priority tag: untagged */
	else if (!(id = dev_vlan_net(dev, vid0)))
		return x_drop(e, un ? PP_DROP_TAGGED_ON_UNTAGGED_NET : PP_DROP_UNKNOWN_PORT);
	if (!id)
		return x_drop(e, PP_DROP_UNKNOWN_PORT);
	net = net_of(id);
	e->net = id;
	e->didx = id;
	if (len > ETH_HLEN + 4 * t.n + net->mtu)
		return x_drop(e, PP_DROP_MTU);

	e->reason = DELIVERED;
	if (b[0] & 1) {		/* every local port of the network */
		for (unsigned k = 0; k < NPORTS; k++)
			if (ports[k].net == id)
				x_to_port(e, PP_TEST_CLONE, &ports[k], b, len, t.n, 1);
		if (!e->nout)
			return x_drop(e, PP_DROP_NO_TARGET);
		e->to_tc = 1;
		return;
	}
	for (unsigned k = 0; k < NPORTS; k++) {
		q = &ports[k];
		if (q->net == id && !memcmp(q->mac, b, 6))
			return x_to_port(e, PP_TEST_REDIRECT, q, b, len, t.n, 0);
	}
	x_drop(e, PP_DROP_UNKNOWN_DST);
}

/*
 * The network an output frame lands in, read as its receiver reads it: on a
 * network device, untagged or with one 0x8100 tag; on a tap, the service port
 * its tags name (untagged: the source-MAC port with the destination's MAC,
 * else the untagged port).  0: none (a header no network owns).
 */
static uint32_t out_net(uint32_t ifindex, const uint8_t *b, uint32_t len)
{
	const struct c_iport *ip = iport_of_tap(ifindex);
	const struct c_port *q = NULL;
	struct tags t;

	if (tags_of(b, len, &t))
		return 0;
	if (!ip) {
		if (t.n == 0)
			return dev_untagged_net(ifindex);
		if (t.n == 1 && t.tpid[0] == 0x8100 && (t.tci[0] & 0xfff))
			return dev_vlan_net(ifindex, t.tci[0] & 0xfff);
		return 0;
	}
	if (t.n == 0) {
		q = port_find(ip->slot, PP_MATCH_SRCMAC, 0, 0, b);
		if (!q)
			q = port_find(ip->slot, PP_MATCH_UNTAGGED, 0, 0, NULL);
	} else if (t.n == 1 && t.tpid[0] == 0x8100) {
		q = port_find(ip->slot, PP_MATCH_VLAN, t.tci[0] & 0xfff, 0, NULL);
	} else if (t.n == 2 && t.tpid[0] == 0x88a8 && t.tpid[1] == 0x8100) {
		q = port_find(ip->slot, PP_MATCH_QINQ, t.tci[0] & 0xfff, t.tci[1] & 0xfff, NULL);
	}
	return q ? q->net : 0;
}

/* ---- counters -------------------------------------------------------------------- */
static const struct pp_map_sizes sizes = { .max_ifindex = 128, .max_iports = 8,
					   .max_sports = 32, .max_nets = 16, .max_macs = 1024,
					   .max_match = 64 };
#define N_SPORT		32
#define N_IPORT		8
#define N_NET		16
#define O_IPORT		(N_SPORT * 4)
#define O_NET		(O_IPORT + N_IPORT * PP_DROP_MAX)
#define NCOUNT		(O_NET + N_NET * PP_DROP_MAX)

struct snap {
	uint64_t c[NCOUNT];	/* service-port rx/tx, then drops by instance port, by network */
};

static int ncpus;

/* The per-CPU array of map id, n entries of words u64s each, summed into sum. */
static int read_percpu(struct pp_maps *m, enum pp_map_id id, uint32_t n, uint32_t words,
		       uint64_t *sum)
{
	static uint64_t vals[64 * 16 * 64];
	static uint32_t keys[64];
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t count = n, out;
	int err;

	if (n > 64 || (uint64_t)n * words * ncpus > N_(vals))
		return -E2BIG;
	err = bpf_map_lookup_batch(m->fd[id], NULL, &out, keys, vals, &count, &o);
	if (err && err != -ENOENT)
		return err;
	if (count != n)
		return -EIO;
	for (uint32_t k = 0; k < n; k++)
		for (uint32_t w = 0; w < words; w++) {
			uint64_t s = 0;

			for (int c = 0; c < ncpus; c++)
				s += vals[((uint64_t)k * ncpus + c) * words + w];
			sum[k * words + w] = s;
		}
	return 0;
}

static int snap_take(struct pp_maps *m, struct snap *s)
{
	int err;

	if ((err = read_percpu(m, PPM_SPORT_STATS, N_SPORT, 4, s->c)) ||
	    (err = read_percpu(m, PPM_IPORT_DROPS, N_IPORT, PP_DROP_MAX, s->c + O_IPORT)))
		return err;
	return read_percpu(m, PPM_NET_DROPS, N_NET, PP_DROP_MAX, s->c + O_NET);
}

/* ---- running a frame --------------------------------------------------------------- */
enum { R_TC, R_TC_META, R_XDP, NRUNS };
static const char *const run_names[NRUNS] = { "tc", "tc (outer tag in skb metadata)", "xdp" };

struct got {
	int ran;		/* 0: not run; -1: TEST_RUN refused the frame */
	uint32_t retval;
	uint32_t out_size;	/* the frame as the program left it */
	uint8_t data_out[FRM];
	int nout;
	struct xout out[PP_TEST_LOG_MAX];
	struct snap delta;
};

struct runner {
	struct progs p;
	struct snap last;	/* counters after the last run */
};

/* Run in (len bytes) on ifindex; meta: the outer tag (tpid, tci) is in skb metadata. */
static int run(struct runner *r, int xdp, uint32_t ifindex, const uint8_t *in, uint32_t len,
	       int meta, uint16_t tpid, uint16_t tci, struct got *g)
{
	struct __sk_buff skb = { .ingress_ifindex = ifindex };
	struct xdp_md md = { .ingress_ifindex = ifindex, .data_end = len };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len,
		    .data_out = g->data_out, .data_size_out = FRM);
	int tap = iport_of_tap(ifindex) != NULL, fd, err;
	struct pp_test_meta *tm = NULL;
	struct pp_test_out *log;
	struct snap now;
	uint32_t *nlog;

	if (xdp) {
		o.ctx_in = &md;
		o.ctx_size_in = sizeof(md);
		fd = bpf_program__fd(tap ? r->p.tap_xdp->progs.pp_tap_xdp :
					   r->p.net_xdp->progs.pp_net_xdp);
		log = tap ? r->p.tap_xdp->bss->pp_test_log : r->p.net_xdp->bss->pp_test_log;
		nlog = tap ? &r->p.tap_xdp->bss->pp_test_nlog : &r->p.net_xdp->bss->pp_test_nlog;
	} else {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
		fd = bpf_program__fd(tap ? r->p.tap->progs.pp_tap_ingress :
					   r->p.net->progs.pp_net_ingress);
		log = tap ? r->p.tap->bss->pp_test_log : r->p.net->bss->pp_test_log;
		nlog = tap ? &r->p.tap->bss->pp_test_nlog : &r->p.net->bss->pp_test_nlog;
		tm = tap ? &r->p.tap->bss->pp_test_meta : &r->p.net->bss->pp_test_meta;
		memset(tm, 0, sizeof(*tm));
		if (meta) {
			tm->present = 1;
			tm->tci = tci;
			tm->proto = htons(tpid);
		}
	}
	*nlog = 0;
	g->nout = 0;
	err = bpf_prog_test_run_opts(fd, &o);
	if (tm)
		memset(tm, 0, sizeof(*tm));
	if (err) {
		g->ran = -1;
		return 0;
	}
	g->ran = 1;
	g->retval = o.retval;
	g->out_size = o.data_size_out;
	err = snap_take(&r->p.maps, &now);
	if (err)
		return err;
	for (int i = 0; i < NCOUNT; i++)
		g->delta.c[i] = now.c[i] - r->last.c[i];
	r->last = now;
	for (uint32_t i = 0; i < *nlog && i < PP_TEST_LOG_MAX; i++) {
		const struct pp_test_out *l = &log[i];
		struct xout *x = &g->out[g->nout++];
		int last = i + 1 == *nlog && l->kind == PP_TEST_REDIRECT;

		x->kind = l->kind;
		x->ifindex = l->ifindex;
		if (last && o.data_size_out >= 12) {	/* the frame itself: all of it */
			x->len = x->have = wire(l, g->data_out, o.data_size_out, x->data);
		} else {
			uint32_t n = l->len < PP_TEST_SNAP ? l->len : PP_TEST_SNAP;

			x->have = n >= 12 ? wire(l, l->data, n, x->data) : 0;
			x->len = l->len + (l->meta_present ? 4 : 0);
		}
	}
	return 0;
}

/* ---- checking ---------------------------------------------------------------------- */
static int outs_equal(const struct xout *a, int na, const struct xout *b, int nb)
{
	int used[PP_TEST_LOG_MAX] = { 0 };

	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++) {
		int j;

		for (j = 0; j < nb; j++) {
			uint32_t n = a[i].have < b[j].have ? a[i].have : b[j].have;

			if (!used[j] && a[i].kind == b[j].kind && a[i].ifindex == b[j].ifindex &&
			    a[i].len == b[j].len && !memcmp(a[i].data, b[j].data, n))
				break;
		}
		if (j == nb)
			return 0;
		used[j] = 1;
	}
	return 1;
}

/* The drop counters moved: exactly the expected one, by one; or none. */
static int drops_ok(const struct expect *e, const struct snap *d)
{
	uint64_t total = 0;

	for (int i = O_IPORT; i < NCOUNT; i++)
		total += d->c[i];
	if (e->reason == DELIVERED)
		return total == 0;
	if (e->dkind == D_IPORT)
		return total == 1 && d->c[O_IPORT + e->didx * PP_DROP_MAX + e->reason] == 1;
	return total == 1 && d->c[O_NET + e->didx * PP_DROP_MAX + e->reason] == 1;
}

static int has_redirect(const struct expect *e)
{
	for (int i = 0; i < e->nout; i++)
		if (e->out[i].kind == PP_TEST_REDIRECT)
			return 1;
	return 0;
}

/* A TC run gives the oracle's result. */
static int tc_ok(const struct expect *e, const struct got *g)
{
	int verdict = has_redirect(e) ? TC_ACT_REDIRECT : TC_ACT_SHOT;

	return (int)g->retval == verdict && outs_equal(e->out, e->nout, g->out, g->nout) &&
	       drops_ok(e, &g->delta);
}

/* An XDP run that did not hand the frame to TC gives the oracle's result. */
static int xdp_ok(const struct expect *e, const struct got *g)
{
	if (e->reason != DELIVERED)
		return g->retval == XDP_DROP && g->nout == 0 && drops_ok(e, &g->delta);
	if (e->nout != 1 || e->out[0].kind != PP_TEST_REDIRECT)
		return 0;	/* copies: XDP cannot make them */
	return g->retval == XDP_REDIRECT && outs_equal(e->out, e->nout, g->out, g->nout) &&
	       drops_ok(e, &g->delta);
}

static int handed_to_tc(const struct got *g)
{
	return g->retval == XDP_PASS;
}

/* A clean hand-off: the frame unchanged, nothing sent, no counter moved. */
static int handoff_clean(const struct got *g, const uint8_t *in, uint32_t len)
{
	for (int i = 0; i < NCOUNT; i++)
		if (g->delta.c[i])
			return 0;
	return g->nout == 0 && g->out_size == len && !memcmp(g->data_out, in, len);
}

/* XDP (not handed off) and TC did the same: verdict, outputs, every counter. */
static int tc_xdp_agree(const struct got *tc, const struct got *x)
{
	int tv = tc->retval == TC_ACT_REDIRECT ? XDP_REDIRECT :
		 tc->retval == TC_ACT_SHOT ? XDP_DROP : -1;

	return (int)x->retval == tv && outs_equal(tc->out, tc->nout, x->out, x->nout) &&
	       !memcmp(&tc->delta, &x->delta, sizeof(tc->delta));
}

/* Outputs that land in another network than the one the frame names. */
static int cross_net(const struct expect *e, const struct got *g)
{
	int n = 0;

	for (int i = 0; i < g->nout; i++)
		if (out_net(g->out[i].ifindex, g->out[i].data, g->out[i].have) != e->net || !e->net)
			n++;
	return n;
}

/* ---- generating frames ------------------------------------------------------------------ */
enum { C_TAGS, C_TRUNC, C_RUNT, C_SIZE, C_SPOOF, C_MCAST, C_UCAST, C_RANDOM, NCATS };
static const char *const cat_names[NCATS] = {
	"tags", "truncated", "runts", "oversize", "spoofed", "multicast", "unicast", "random",
};
/* Out of every 100 frames: how many of each category, in this order. */
static const unsigned cat_share[NCATS] = { 44, 10, 4, 8, 8, 8, 10, 8 };

static const uint32_t sources[] = { TAP1, TAP2, TAP3, DEVU, DEVT, DEVV, DEVA, DEVB };
#define NSOURCES	N_(sources)

struct frame {
	uint64_t idx;
	int cat;
	uint32_t ifindex;	/* where it arrives: a tap or a network device */
	uint32_t len;
	uint8_t b[FRM];		/* on the wire, every tag in the frame */
	int meta;		/* TC also runs it with the outer tag in skb metadata */
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rn(uint64_t *s, uint32_t n)
{
	return (uint32_t)(splitmix(s) % n);
}

static void rand_bytes(uint64_t *s, uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)splitmix(s);
}

/* A MAC of every kind: the topology's, outside hosts, broadcast, multicast, random. */
static void pick_mac(uint64_t *s, uint8_t *mac)
{
	static const uint8_t *const pool[] = { M1, M2, M3, M4, M5, M6, M7, EXT, BC, MC4, MC6 };
	uint32_t k = rn(s, N_(pool) + 3);

	if (k < N_(pool)) {
		memcpy(mac, pool[k], 6);
		return;
	}
	rand_bytes(s, mac, 6);
	if (k == N_(pool))
		mac[0] = (mac[0] & ~1) | 2;	/* a random unicast */
	else if (k == N_(pool) + 1)
		mac[0] |= 1;			/* a random multicast */
}

/* An ethertype after the tags: IPv4, IPv6, ARP, LLDP, an 802.3 length, anything. */
static uint16_t pick_etype(uint64_t *s)
{
	static const uint16_t et[] = { 0x0800, 0x0800, 0x86dd, 0x0806, 0x88cc, 0x0040, 0x05dc,
				       0x88e5, 0x8847 };
	uint32_t k = rn(s, N_(et) + 1);
	uint16_t v;

	if (k < N_(et))
		return et[k];
	do
		v = (uint16_t)splitmix(s);
	while (is_tpid(v));
	return v;
}

/* Addresses a hostile guest would claim: its own, a neighbour's, none, broadcast, loopback. */
static void pick_ip4(uint64_t *s, uint8_t *a)
{
	static const uint8_t pool[][4] = { { 10, 0, 0, 5 }, { 10, 0, 0, 1 }, { 0, 0, 0, 0 },
					   { 255, 255, 255, 255 }, { 127, 0, 0, 1 },
					   { 224, 0, 0, 1 }, { 192, 168, 1, 1 } };
	uint32_t k = rn(s, N_(pool) + 1);

	if (k < N_(pool))
		memcpy(a, pool[k], 4);
	else
		rand_bytes(s, a, 4);
}

/* The payload after the ethertype: an IPv4/IPv6/ARP header with spoofable addresses, then bytes. */
static void fill_payload(uint64_t *s, uint16_t etype, uint8_t *p, uint32_t n)
{
	uint8_t h[64] = { 0 };
	uint32_t hl = 0;

	rand_bytes(s, p, n);
	if (etype == 0x0800) {
		h[0] = 0x45;
		put16(h + 2, (uint16_t)n);
		h[8] = 64;
		h[9] = rn(s, 2) ? 17 : 6;
		pick_ip4(s, h + 12);
		pick_ip4(s, h + 16);
		hl = 20;
	} else if (etype == 0x86dd) {
		h[0] = 0x60;
		put16(h + 4, (uint16_t)(n > 40 ? n - 40 : 0));
		h[6] = rn(s, 2) ? 17 : 58;
		h[7] = 255;
		rand_bytes(s, h + 8, 32);
		h[8] = rn(s, 2) ? 0xfe : 0xfd;
		h[9] = h[8] == 0xfe ? 0x80 : 0;
		hl = 40;
	} else if (etype == 0x0806) {
		static const uint8_t arp[8] = { 0, 1, 0x08, 0, 6, 4, 0, 1 };

		memcpy(h, arp, 8);
		h[7] = 1 + rn(s, 2);
		pick_mac(s, h + 8);
		pick_ip4(s, h + 14);
		pick_ip4(s, h + 24);
		hl = 28;
	}
	memcpy(p, h, hl < n ? hl : n);
}

/* A frame from its parts: MACs, tags, ethertype, payload of plen bytes. */
struct parts {
	uint8_t dst[6], src[6];
	unsigned ntags;
	uint16_t tpid[4], tci[4];
	uint16_t etype;
	uint32_t plen;
};

static uint32_t assemble(uint64_t *s, const struct parts *pa, uint8_t *b)
{
	uint32_t off = 12;

	memcpy(b, pa->dst, 6);
	memcpy(b + 6, pa->src, 6);
	for (unsigned i = 0; i < pa->ntags; i++, off += 4) {
		put16(b + off, pa->tpid[i]);
		put16(b + off + 2, pa->tci[i]);
	}
	put16(b + off, pa->etype);
	off += 2;
	fill_payload(s, pa->etype, b + off, pa->plen);
	return off + pa->plen;
}

/* A VID to try at tag position pos on ifindex: mostly one that names something there. */
static uint16_t pick_vid(uint64_t *s, uint32_t ifindex, unsigned pos, uint16_t outer)
{
	const struct c_iport *ip = iport_of_tap(ifindex);
	uint16_t cand[NPORTS + N_(nets)];
	unsigned n = 0;

	if (rn(s, 5) == 0)
		return vids[rn(s, N_(vids))];
	if (ip) {
		for (unsigned k = 0; k < NPORTS; k++) {
			const struct c_port *p = &ports[k];

			if (p->slot != ip->slot)
				continue;
			if (pos == 0 && (p->match == PP_MATCH_VLAN || p->match == PP_MATCH_QINQ))
				cand[n++] = p->o;
			if (pos == 1 && p->match == PP_MATCH_QINQ && p->o == outer)
				cand[n++] = p->i;
		}
	} else {
		for (unsigned k = 0; k < N_(nets); k++)
			if (nets[k].dev == ifindex && nets[k].vlan)
				cand[n++] = nets[k].vlan;
	}
	return n ? cand[rn(s, n)] : vids[rn(s, N_(vids))];
}

/* A random priority (PCP, DEI) now and then: the TPID and VID are what matter. */
static uint16_t with_pcp(uint64_t *s, uint16_t vid)
{
	return rn(s, 4) ? vid : (uint16_t)(vid | (splitmix(s) & 0xf000));
}

static uint16_t pick_tpid(uint64_t *s, unsigned w8100, unsigned w88a8, unsigned w9100)
{
	uint32_t k = rn(s, w8100 + w88a8 + w9100);

	return k < w8100 ? 0x8100 : k < w8100 + w88a8 ? 0x88a8 : 0x9100;
}

/*
 * Tags and MACs a plausible sender on ifindex would use, so that frames get
 * past classification: a service port's (VM) or a network's (device) tags,
 * mostly with the right TPIDs, sometimes another one, a priority tag or one
 * tag more; the port's MAC as source most of the time.
 */
static void plausible(uint64_t *s, uint32_t ifindex, struct parts *pa)
{
	const struct c_iport *ip = iport_of_tap(ifindex);

	memset(pa, 0, sizeof(*pa));
	pick_mac(s, pa->dst);
	pick_mac(s, pa->src);
	pa->etype = pick_etype(s);
	pa->plen = 46 + rn(s, 120);
	if (ip) {
		const struct c_port *cand[NPORTS];
		unsigned n = 0;

		for (unsigned k = 0; k < NPORTS; k++)
			if (ports[k].slot == ip->slot)
				cand[n++] = &ports[k];
		const struct c_port *q = cand[rn(s, n)];

		if (rn(s, 8))
			memcpy(pa->src, q->mac, 6);
		if (q->match == PP_MATCH_VLAN) {
			pa->tpid[0] = pick_tpid(s, 6, 3, 1);
			pa->tci[0] = with_pcp(s, q->o);
			pa->ntags = 1;
		} else if (q->match == PP_MATCH_QINQ) {
			pa->tpid[0] = pick_tpid(s, 4, 5, 1);
			pa->tci[0] = with_pcp(s, q->o);
			pa->tpid[1] = pick_tpid(s, 7, 2, 1);
			pa->tci[1] = with_pcp(s, q->i);
			pa->ntags = 2;
		} else if (rn(s, 5) == 0) {
			pa->tpid[0] = pick_tpid(s, 3, 1, 1);
			pa->tci[0] = with_pcp(s, 0);
			pa->ntags = 1;
		}
	} else {
		const struct c_net *cand[N_(nets)];
		unsigned n = 0;

		for (unsigned k = 0; k < N_(nets); k++)
			if (nets[k].dev == ifindex)
				cand[n++] = &nets[k];
		const struct c_net *net = cand[rn(s, n)];

		if (net->vlan) {
			pa->tpid[0] = pick_tpid(s, 7, 2, 1);
			pa->tci[0] = with_pcp(s, net->vlan);
			pa->ntags = 1;
		} else if (rn(s, 5) == 0) {
			pa->tpid[0] = pick_tpid(s, 3, 1, 1);
			pa->tci[0] = with_pcp(s, 0);
			pa->ntags = 1;
		}
	}
	if (rn(s, 10) == 0 && pa->ntags < 4) {
		pa->tpid[pa->ntags] = pick_tpid(s, 1, 1, 1);
		pa->tci[pa->ntags++] = pick_vid(s, ifindex, 1, 0);
	}
}

/*
 * The structured tag sequences: every sequence of up to four TPIDs among
 * 0x8100, 0x88a8, 0x9100 and "other" (a non-tag ethertype: the tags end
 * there, and what follows it only looks like tags), the first two with each
 * VID of 0, 1, N (one of the topology's) and 4095, on every source.
 * combos[] holds (sequence, VID choices); frame j of the category is
 * combination j % (ncombos * NSOURCES): 43,144 frames.
 */
enum { TP_OTHER = 3 };
struct combo {
	uint8_t k;
	uint8_t tp[4];		/* 0 0x8100, 1 0x88a8, 2 0x9100, 3 other */
	uint8_t vc[2];		/* 0 VID 0, 1 VID 1, 2 N, 3 VID 4095 */
};
static struct combo combos[8192];
static unsigned ncombos;

static void build_combos(void)
{
	for (unsigned k = 0; k <= 4; k++) {
		unsigned nseq = 1, nvid = k == 0 ? 1 : k == 1 ? 4 : 16;

		for (unsigned i = 0; i < k; i++)
			nseq *= 4;
		for (unsigned sq = 0; sq < nseq; sq++)
			for (unsigned v = 0; v < nvid; v++) {
				struct combo *c = &combos[ncombos++];
				unsigned x = sq;

				c->k = k;
				for (unsigned i = 0; i < k; i++, x /= 4)
					c->tp[i] = x % 4;
				c->vc[0] = v % 4;
				c->vc[1] = v / 4;
			}
	}
}

static uint16_t vid_choice(uint64_t *s, unsigned c, uint32_t ifindex, unsigned pos, uint16_t outer)
{
	return c == 0 ? 0 : c == 1 ? 1 : c == 3 ? PP_VID_RESERVED : pick_vid(s, ifindex, pos, outer);
}

/* Frame idx of seed: its category by idx % 100, the rest from a generator seeded by both. */
static void gen_frame(uint64_t seed, uint64_t idx, struct frame *f)
{
	static const uint16_t tpids[3] = { 0x8100, 0x88a8, 0x9100 };
	uint64_t s = seed * 0x100000001b3ull ^ idx, j;
	unsigned r = idx % 100, start = 0, c;
	struct parts pa;

	splitmix(&s);
	for (c = 0; c < NCATS && r >= start + cat_share[c]; c++)
		start += cat_share[c];
	j = idx / 100 * cat_share[c] + (r - start);	/* the frame's number in its category */
	f->idx = idx;
	f->cat = c;
	f->ifindex = sources[rn(&s, NSOURCES)];
	f->meta = 0;

	switch (c) {
	case C_TAGS: {
		uint64_t x = j % (ncombos * NSOURCES);
		const struct combo *cb = &combos[x / NSOURCES];
		uint16_t tci[4] = { 0 };
		uint32_t off;
		unsigned nt;

		f->ifindex = sources[x % NSOURCES];
		plausible(&s, f->ifindex, &pa);
		for (unsigned i = 0; i < cb->k; i++)
			tci[i] = with_pcp(&s, vid_choice(&s, i < 2 ? cb->vc[i] : rn(&s, 4),
							 f->ifindex, i, tci[0] & 0xfff));
		for (nt = 0; nt < cb->k && cb->tp[nt] != TP_OTHER; nt++) {
			pa.tpid[nt] = tpids[cb->tp[nt]];
			pa.tci[nt] = tci[nt];
		}
		pa.ntags = nt;
		f->len = assemble(&s, &pa, f->b);
		/* after an "other" ethertype, the rest of the sequence as payload */
		off = 12 + 4 * nt + 2;
		for (unsigned i = nt + 1; i < cb->k; i++, off += 4) {
			put16(f->b + off, cb->tp[i] == TP_OTHER ? pick_etype(&s) : tpids[cb->tp[i]]);
			put16(f->b + off + 2, tci[i]);
		}
		break;
	}
	case C_TRUNC:		/* cut at every length 14..64 in turn */
		plausible(&s, f->ifindex, &pa);
		if (rn(&s, 3) == 0 && pa.ntags < 3) {
			pa.tpid[pa.ntags] = pick_tpid(&s, 1, 1, 1);
			pa.tci[pa.ntags++] = pick_vid(&s, f->ifindex, 1, 0);
		}
		f->len = assemble(&s, &pa, f->b);
		if (f->len > 14 + j % 51)
			f->len = 14 + j % 51;
		break;
	case C_RUNT:		/* whole headers, then at most a few bytes: under 60 */
		plausible(&s, f->ifindex, &pa);
		pa.plen = rn(&s, 60 - 14 - 4 * pa.ntags);
		f->len = assemble(&s, &pa, f->b);
		break;
	case C_SIZE: {		/* around each MTU boundary, and far over */
		static const int32_t d[] = { -1, 0, 1, 4, 8 };
		uint32_t want, base = rn(&s, 2) ? 1500 : 1400;

		plausible(&s, f->ifindex, &pa);
		want = base + 14 + 4 * (pa.ntags < 2 ? pa.ntags : 2) + d[rn(&s, N_(d))];
		if (rn(&s, 6) == 0)
			want = 1518 + rn(&s, 8);	/* what a tap takes by XDP */
		if (rn(&s, 8) == 0)
			want = 1600 + rn(&s, 1800);
		pa.plen = want - 14 - 4 * pa.ntags;
		f->len = assemble(&s, &pa, f->b);
		break;
	}
	case C_SPOOF: {		/* someone else's MAC, none, a multicast one; claimed addresses */
		static const uint8_t *const other[] = { M1, M2, M3, M4, M5, M6, M7, EXT, BC, MC6 };

		plausible(&s, f->ifindex, &pa);
		if (rn(&s, 4))
			memcpy(pa.src, other[rn(&s, N_(other))], 6);
		else if (rn(&s, 2))
			memset(pa.src, 0, 6);
		else
			rand_bytes(&s, pa.src, 6);
		pa.etype = rn(&s, 3) == 0 ? 0x0806 : rn(&s, 2) ? 0x0800 : 0x86dd;
		f->len = assemble(&s, &pa, f->b);
		break;
	}
	case C_MCAST: {
		static const uint8_t *const mc[] = { BC, MC4, MC6 };

		plausible(&s, f->ifindex, &pa);
		if (rn(&s, 4))
			memcpy(pa.dst, mc[rn(&s, N_(mc))], 6);
		else {
			rand_bytes(&s, pa.dst, 6);
			pa.dst[0] |= 1;
		}
		f->len = assemble(&s, &pa, f->b);
		break;
	}
	case C_UCAST: {		/* to every local port, the iport MACs, the outside, nobody */
		static const uint8_t *const uc[] = { M1, M2, M3, M4, M5, M6, M7, EXT };

		plausible(&s, f->ifindex, &pa);
		if (rn(&s, 6))
			memcpy(pa.dst, uc[rn(&s, N_(uc))], 6);
		else {
			rand_bytes(&s, pa.dst, 6);
			pa.dst[0] &= ~1;
		}
		f->len = assemble(&s, &pa, f->b);
		break;
	}
	default:		/* C_RANDOM: bytes, with tag-like ethertypes */
		f->len = 14 + rn(&s, 300);
		rand_bytes(&s, f->b, f->len);
		if (rn(&s, 2))
			pick_mac(&s, f->b);
		if (rn(&s, 2))
			pick_mac(&s, f->b + 6);
		for (uint32_t off = 12; off + 2 <= f->len && off <= 24 && rn(&s, 2); off += 4)
			put16(f->b + off, tpids[rn(&s, 3)]);
		break;
	}
	/* TC again with the outer tag in metadata, where the kernel puts 0x8100/0x88a8 */
	if (f->len >= 18 && (be16(f->b + 12) == 0x8100 || be16(f->b + 12) == 0x88a8))
		f->meta = rn(&s, 2);
}

/* ---- reporting ----------------------------------------------------------------------- */
struct tally {
	uint64_t frames, bad, bad_run[NRUNS], disagree, cross, refused[NRUNS], handoffs,
		 handoffs_other;
};

/* Failures by direction and TPID sequence: what the breakdown names. */
struct sigcount {
	char sig[48];
	uint64_t n;
};
static struct sigcount sigs[256];
static unsigned nsigs;

static void signature(const struct frame *f, char *out, size_t n)
{
	uint32_t off = 12;
	int k = 0, w;

	w = snprintf(out, n, "%s", iport_of_tap(f->ifindex) ? "vm" : "net");
	while (off + 2 <= f->len && is_tpid(be16(f->b + off)) && k < 4 && w < (int)n) {
		w += snprintf(out + w, n - w, "%s%04x", k ? "," : " ", be16(f->b + off));
		off += 4;
		k++;
	}
	if (!k && w < (int)n)
		snprintf(out + w, n - w, " untagged");
}

static void sig_count(const struct frame *f)
{
	char s[48];
	unsigned i;

	signature(f, s, sizeof(s));
	for (i = 0; i < nsigs && strcmp(sigs[i].sig, s); i++)
		;
	if (i == nsigs) {
		if (nsigs == N_(sigs))
			return;
		snprintf(sigs[nsigs++].sig, sizeof(sigs[0].sig), "%s", s);
	}
	sigs[i].n++;
}

static int sig_cmp(const void *a, const void *b)
{
	const struct sigcount *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->sig, y->sig);
}

static void hex(const char *what, const uint8_t *p, uint32_t have, uint32_t len)
{
	printf("      %s (%u):", what, len);
	for (uint32_t i = 0; i < have && i < 64; i++)
		printf(" %02x", p[i]);
	printf("%s\n", len > 64 && have >= 64 ? " ..." : "");
}

static const char *dev_name(uint32_t ifindex)
{
	static char b[16];

	switch (ifindex) {
	case TAP1: return "TAP1";
	case TAP2: return "TAP2";
	case TAP3: return "TAP3";
	case DEVU: return "DEVU";
	case DEVT: return "DEVT";
	case DEVV: return "DEVV";
	case DEVA: return "DEVA";
	case DEVB: return "DEVB";
	}
	snprintf(b, sizeof(b), "if%u", ifindex);
	return b;
}

static void show_outs(const struct xout *o, int n)
{
	char what[48];

	for (int i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%s -> %s", o[i].kind == PP_TEST_CLONE ? "copy" : "redirect",
			 dev_name(o[i].ifindex));
		hex(what, o[i].data, o[i].have, o[i].len);
	}
}

static void show_drops(const struct snap *d)
{
	for (int i = O_IPORT; i < NCOUNT; i++) {
		int net = i >= O_NET, k = i - (net ? O_NET : O_IPORT);

		if (d->c[i])
			printf("      drop %s on %s %d (x%llu)\n", pp_drop_names[k % PP_DROP_MAX],
			       net ? "network" : "instance port", k / PP_DROP_MAX,
			       (unsigned long long)d->c[i]);
	}
}

static void show_failure(const struct frame *f, const struct expect *e, const struct got *g,
			 const int *bad, int disagree, int cross)
{
	char sig[48];

	signature(f, sig, sizeof(sig));
	printf("    frame #%llu (%s, %s, from %s)%s%s\n", (unsigned long long)f->idx,
	       cat_names[f->cat], sig, dev_name(f->ifindex), disagree ? " [TC/XDP disagree]" : "",
	       cross ? " [cross-network delivery]" : "");
	hex("in ", f->b, f->len, f->len);
	if (e->reason == DELIVERED) {
		printf("      expected: delivered into network %u%s\n", e->net,
		       e->to_tc ? " (XDP: handed to TC)" : "");
		show_outs(e->out, e->nout);
	} else {
		printf("      expected: drop %s on %s %u\n", pp_drop_names[e->reason],
		       e->dkind == D_IPORT ? "instance port" : "network", e->didx);
	}
	for (int r = 0; r < NRUNS; r++) {
		if (g[r].ran != 1 || (!bad[r] && !(r == R_XDP && disagree)))
			continue;
		printf("      got (%s): verdict %u, %d outputs\n", run_names[r], g[r].retval,
		       g[r].nout);
		show_outs(g[r].out, g[r].nout);
		show_drops(&g[r].delta);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: corpus [--frames N] [--seed S] [--start I] [--show K]\n");
	exit(2);
}

/* ---- setup ------------------------------------------------------------------------- */
static int setup_topology(struct pp_maps *m)
{
	int err;

	for (unsigned i = 0; i < N_(nets); i++) {
		struct pp_net n = { .ifindex = nets[i].dev, .vlan = nets[i].vlan,
				    .mtu = nets[i].mtu };

		if ((err = pp_dp_net_install(m, nets[i].id, &n)))
			return err;
	}
	for (unsigned i = 0; i < N_(iports); i++) {
		struct pp_iport ip = { .ifindex = iports[i].tap, .mtu = TAP_MTU };

		memcpy(ip.mac, iports[i].mac, 6);
		if ((err = pp_dp_iport_install(m, iports[i].slot, &ip)))
			return err;
	}
	for (unsigned i = 0; i < NPORTS; i++) {
		const struct c_port *q = &ports[i];
		struct pp_sport sp = { .slot = q->slot, .net_id = q->net, .match = q->match,
				       .outer_vid = q->o, .inner_vid = q->i };

		memcpy(sp.mac, q->mac, 6);
		if ((err = pp_dp_sport_install(m, q->id, &sp)))
			return err;
	}
	for (unsigned i = 0; i < N_(xdp_tx); i++)
		if ((err = pp_xdp_tx_set(m, xdp_tx[i], true)))
			return err;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, 'n' }, { "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'i' }, { "show", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	static struct frame f;
	static struct expect e;
	static struct got g[NRUNS];
	struct tally t[NCATS] = {}, all = {};
	uint64_t nframes = 100000, seed = 12, start = 0;
	unsigned show = SHOW_DEFAULT, shown = 0, shown_cross = 0;
	uint64_t outcome[PP_DROP_MAX + 1] = { 0 }, delivered[3] = { 0 }, meta_runs = 0;
	static struct runner r;
	struct timespec t0, t1;
	char pin_root[128];
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		uint64_t v = strtoull(optarg ? optarg : "", &end, 0);

		if (!optarg || *end)
			usage();
		if (opt == 'n')
			nframes = v;
		else if (opt == 's')
			seed = v;
		else if (opt == 'i')
			start = v;
		else if (opt == 'k')
			show = (unsigned)v;
		else
			usage();
	}
	signal(SIGPIPE, SIG_IGN);	/* output into "| head": still remove the pins */
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > 64) {
		printf("FAIL corpus: %d possible CPUs\n", ncpus);
		return 1;
	}
	build_combos();
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/pp-corpus-%d", getpid());
	for (int i = 0; i < PPM_COUNT; i++)
		r.p.maps.fd[i] = -1;
	err = progs_netns(devices, N_(devices));
	if (!err)
		err = progs_load(&r.p, pin_root, &sizes);
	if (!err)
		err = setup_topology(&r.p.maps);
	if (!err)
		err = snap_take(&r.p.maps, &r.last);
	if (err) {
		fprintf(stderr, "corpus: setup: %s\n", strerror(-err));
		progs_cleanup(&r.p, pin_root);
		printf("FAIL corpus: setup\n");
		return 1;
	}
	printf("corpus: seed %llu, frames %llu..%llu (replay one: --seed %llu --start I --frames 1)\n",
	       (unsigned long long)seed, (unsigned long long)start,
	       (unsigned long long)(start + nframes - 1), (unsigned long long)seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (uint64_t i = start; i < start + nframes; i++) {
		static uint8_t in[FRM];
		int bad[NRUNS] = { 0 }, disagree = 0, cross = 0, any;
		struct tally *tc;
		uint32_t slot;

		gen_frame(seed, i, &f);
		tc = &t[f.cat];
		slot = iport_of_tap(f.ifindex) ? iport_of_tap(f.ifindex)->slot : 0;
		if (slot)
			oracle_vm(slot, f.b, f.len, &e);
		else
			oracle_net(f.ifindex, f.b, f.len, &e);
		outcome[e.reason]++;
		if (e.reason == DELIVERED)
			delivered[e.nout > 1 || e.out[0].kind == PP_TEST_CLONE ? 2 :
				  iport_of_tap(e.out[0].ifindex) ? 1 : 0]++;

		for (int k = 0; k < NRUNS; k++)
			g[k].ran = 0;
		err = run(&r, 0, f.ifindex, f.b, f.len, 0, 0, 0, &g[R_TC]);
		meta_runs += f.meta;
		if (!err && f.meta) {
			memcpy(in, f.b, 12);
			memcpy(in + 12, f.b + 16, f.len - 16);
			err = run(&r, 0, f.ifindex, in, f.len - 4, 1, be16(f.b + 12),
				  be16(f.b + 14), &g[R_TC_META]);
		}
		if (!err)
			err = run(&r, 1, f.ifindex, f.b, f.len, 0, 0, 0, &g[R_XDP]);
		if (err) {
			fprintf(stderr, "corpus: frame %llu: %s\n", (unsigned long long)i,
				strerror(-err));
			printf("FAIL corpus: reading the counters\n");
			progs_cleanup(&r.p, pin_root);
			return 1;
		}

		for (int k = R_TC; k <= R_TC_META; k++) {
			if (g[k].ran < 0)
				tc->refused[k]++;
			if (g[k].ran == 1) {
				bad[k] = !tc_ok(&e, &g[k]);
				cross += cross_net(&e, &g[k]);
			}
		}
		if (g[R_XDP].ran < 0)
			tc->refused[R_XDP]++;
		if (g[R_XDP].ran == 1) {
			if (handed_to_tc(&g[R_XDP])) {
				tc->handoffs++;
				tc->handoffs_other += !e.to_tc;
				disagree = !handoff_clean(&g[R_XDP], f.b, f.len);
			} else {
				bad[R_XDP] = !xdp_ok(&e, &g[R_XDP]);
				disagree = g[R_TC].ran == 1 && !tc_xdp_agree(&g[R_TC], &g[R_XDP]);
				cross += cross_net(&e, &g[R_XDP]);
			}
		}
		any = bad[R_TC] || bad[R_TC_META] || bad[R_XDP];
		tc->frames++;
		for (int k = 0; k < NRUNS; k++)
			tc->bad_run[k] += bad[k];
		tc->bad += any;
		tc->disagree += disagree;
		tc->cross += cross > 0;
		if (any || disagree || cross) {
			sig_count(&f);
			/* the first few failures, and the first few cross-network ones */
			if (shown < show || (cross && shown_cross < show)) {
				if (!shown)
					printf("  failing frames (the first %u, and the first %u "
					       "cross-network deliveries):\n", show, show);
				show_failure(&f, &e, g, bad, disagree, cross);
				shown++;
				shown_cross += cross > 0;
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("  %-10s %8s %7s %7s %7s %7s %7s %7s %8s %7s\n", "category", "frames", "bad",
	       "tc", "tc-meta", "xdp", "tc/xdp", "cross", "to-tc", "refused");
	for (int c = 0; c < NCATS; c++) {
		struct tally *x = &t[c];

		printf("  %-10s %8llu %7llu %7llu %7llu %7llu %7llu %7llu %8llu %7llu\n", cat_names[c],
		       (unsigned long long)x->frames, (unsigned long long)x->bad,
		       (unsigned long long)x->bad_run[R_TC], (unsigned long long)x->bad_run[R_TC_META],
		       (unsigned long long)x->bad_run[R_XDP], (unsigned long long)x->disagree,
		       (unsigned long long)x->cross, (unsigned long long)x->handoffs,
		       (unsigned long long)(x->refused[R_TC] + x->refused[R_TC_META] +
					    x->refused[R_XDP]));
		all.frames += x->frames;
		all.bad += x->bad;
		all.disagree += x->disagree;
		all.cross += x->cross;
		all.handoffs += x->handoffs;
		all.handoffs_other += x->handoffs_other;
		for (int k = 0; k < NRUNS; k++) {
			all.bad_run[k] += x->bad_run[k];
			all.refused[k] += x->refused[k];
		}
	}
	if (nsigs) {
		qsort(sigs, nsigs, sizeof(sigs[0]), sig_cmp);
		printf("  failing frames by direction and leading TPIDs (the %u most):\n",
		       nsigs < 20 ? nsigs : 20);
		for (unsigned i = 0; i < nsigs && i < 20; i++)
			printf("    %-32s %8llu\n", sigs[i].sig, (unsigned long long)sigs[i].n);
	}
	printf("  the oracle's outcomes: delivered %llu (to a network device %llu, to a local port "
	       "%llu, flooded %llu); dropped",
	       (unsigned long long)outcome[DELIVERED], (unsigned long long)delivered[0],
	       (unsigned long long)delivered[1], (unsigned long long)delivered[2]);
	for (int k = 0; k < PP_DROP_MAX; k++)
		printf(" %s %llu%s", pp_drop_names[k], (unsigned long long)outcome[k],
		       k + 1 < PP_DROP_MAX ? "," : "\n");
	printf("  TC ran %llu frames a second time with the outer tag in skb metadata\n",
	       (unsigned long long)meta_runs);
	printf("  XDP handed %llu frames to TC (%llu where the oracle has XDP do it itself); "
	       "TEST_RUN refused %llu TC, %llu TC-metadata, %llu XDP runs\n",
	       (unsigned long long)all.handoffs, (unsigned long long)all.handoffs_other,
	       (unsigned long long)all.refused[R_TC], (unsigned long long)all.refused[R_TC_META],
	       (unsigned long long)all.refused[R_XDP]);
	printf("  %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);

	for (int c = 0; c < NCATS; c++) {
		struct tally *x = &t[c];
		int ok = !x->bad && !x->disagree && !x->cross;

		if (!x->frames)
			continue;
		printf("%s corpus/%s: %llu frames, %llu disagreements (tc %llu, tc-meta %llu, "
		       "xdp %llu), %llu TC/XDP disagreements, %llu cross-network deliveries\n",
		       ok ? "PASS" : "FAIL", cat_names[c], (unsigned long long)x->frames,
		       (unsigned long long)x->bad, (unsigned long long)x->bad_run[R_TC],
		       (unsigned long long)x->bad_run[R_TC_META], (unsigned long long)x->bad_run[R_XDP],
		       (unsigned long long)x->disagree, (unsigned long long)x->cross);
	}
	err = all.bad || all.disagree || all.cross || !all.frames;
	if (!err)
		printf("PASS corpus: %llu frames, 0 disagreements, 0 cross-network deliveries "
		       "(0 with the oracle, 0 TC/XDP; seed %llu)\n",
		       (unsigned long long)all.frames, (unsigned long long)seed);
	else
		printf("FAIL corpus: %llu frames, %llu disagreements with the oracle, %llu TC/XDP "
		       "disagreements, %llu cross-network deliveries (seed %llu)\n",
		       (unsigned long long)all.frames, (unsigned long long)all.bad,
		       (unsigned long long)all.disagree, (unsigned long long)all.cross,
		       (unsigned long long)seed);
	progs_cleanup(&r.p, pin_root);
	return err;
}
