/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The oracle of the hostile-frame corpus (issue 12) and its runner, shared by
 * tests/bpf/corpus.c (generated frames) and tests/fuzz/fuzz_frames.c (frames
 * from libFuzzer): the topology, the oracle written from DESIGN.md's frame
 * rules (oracle_vm(), oracle_net()), a frame run with BPF_PROG_TEST_RUN
 * through TC, TC with the outer tag in skb metadata, and XDP (judge()), and
 * the checks of every run against the oracle, of XDP against TC, and of every
 * output against the network the frame names (cross_net()).  corpus.c's
 * header comment says what is checked and which choices the oracle makes.
 */
#ifndef PP_TEST_ORACLE_H
#define PP_TEST_ORACLE_H

#include <stddef.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include "xdpmode.h"
#include "progs.h"

#define FRM		4096	/* frames here stay under a page (TC's TEST_RUN limit) */
#define MAXOUT		8

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

/* ---- the topology as the oracle reads it ------------------------------------------ */
static inline const struct c_iport *iport_of_tap(uint32_t ifindex)
{
	for (unsigned i = 0; i < N_(iports); i++)
		if (iports[i].tap == ifindex)
			return &iports[i];
	return NULL;
}

static inline const struct c_iport *iport_of_slot(uint32_t slot)
{
	for (unsigned i = 0; i < N_(iports); i++)
		if (iports[i].slot == slot)
			return &iports[i];
	return NULL;
}

static inline const struct c_net *net_of(uint32_t id)
{
	for (unsigned i = 0; i < N_(nets); i++)
		if (nets[i].id == id)
			return &nets[i];
	return NULL;
}

static inline uint32_t dev_untagged_net(uint32_t dev)
{
	for (unsigned i = 0; i < N_(nets); i++)
		if (nets[i].dev == dev && !nets[i].vlan)
			return nets[i].id;
	return 0;
}

static inline uint32_t dev_vlan_net(uint32_t dev, uint16_t vid)
{
	for (unsigned i = 0; i < N_(nets); i++)
		if (nets[i].dev == dev && nets[i].vlan && nets[i].vlan == vid)
			return nets[i].id;
	return 0;
}

static inline int can_xdp_tx(uint32_t ifindex)
{
	for (unsigned i = 0; i < N_(xdp_tx); i++)
		if (xdp_tx[i] == ifindex)
			return 1;
	return 0;
}

static inline const struct c_port *port_find(uint32_t slot, uint8_t match, uint16_t o,
					     uint16_t i, const uint8_t *mac)
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

static inline int slot_has_srcmac(uint32_t slot)
{
	for (unsigned k = 0; k < NPORTS; k++)
		if (ports[k].slot == slot && ports[k].match == PP_MATCH_SRCMAC)
			return 1;
	return 0;
}

/* ---- frames ---------------------------------------------------------------------- */
static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline int is_tpid(uint16_t t)
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

static inline int tags_of(const uint8_t *b, uint32_t len, struct tags *t)
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
static inline unsigned port_tags(const struct c_port *q, uint16_t tp[2], uint16_t tci[2])
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
static inline uint32_t retag(const uint8_t *b, uint32_t len, unsigned k, unsigned n,
			     const uint16_t *tp, const uint16_t *tci, const uint8_t *dst,
			     uint8_t *out)
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

static inline void x_drop(struct expect *e, uint32_t reason)
{
	e->reason = reason;
	e->nout = 0;
}

static inline struct xout *x_out(struct expect *e, uint32_t kind, uint32_t ifindex)
{
	struct xout *x = &e->out[e->nout++];

	x->kind = kind;
	x->ifindex = ifindex;
	return x;
}

/* A copy (or the frame) toward service port q: q's tags; the untagged wire of an
 * instance port with source-MAC ports takes broadcast/multicast as q's MAC. */
static inline void x_to_port(struct expect *e, uint32_t kind, const struct c_port *q,
			     const uint8_t *b, uint32_t len, unsigned k, int flood)
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

static inline void x_to_net(struct expect *e, const struct c_net *net, const uint8_t *b,
			    uint32_t len, unsigned k)
{
	struct xout *x = x_out(e, PP_TEST_REDIRECT, net->dev);
	uint16_t tp = 0x8100, tci = net->vlan;

	x->len = x->have = retag(b, len, k, net->vlan ? 1 : 0, &tp, &tci, NULL, x->data);
	if (!can_xdp_tx(net->dev))
		e->to_tc = 1;
}

/* A frame the VM on instance port slot sends (b: the wire frame, every tag in it). */
static inline void oracle_vm(uint32_t slot, const uint8_t *b, uint32_t len, struct expect *e)
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
static inline void oracle_net(uint32_t dev, const uint8_t *b, uint32_t len, struct expect *e)
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
static inline uint32_t out_net(uint32_t ifindex, const uint8_t *b, uint32_t len)
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
/* Counters in a pp_drops value: the reasons, and room for later ones. */
#define DROP_W		((int)(sizeof(struct pp_drops) / sizeof(__u64)))
#define O_IPORT		(N_SPORT * 4)
#define O_NET		(O_IPORT + N_IPORT * DROP_W)
#define NCOUNT		(O_NET + N_NET * DROP_W)

struct snap {
	uint64_t c[NCOUNT];	/* service-port rx/tx, then drops by instance port, by network */
};

static int ncpus;

/* The per-CPU array of map id, n entries of words u64s each, summed into sum. */
static inline int read_percpu(struct pp_maps *m, enum pp_map_id id, uint32_t n, uint32_t words,
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

static inline int snap_take(struct pp_maps *m, struct snap *s)
{
	int err;

	if ((err = read_percpu(m, PPM_SPORT_STATS, N_SPORT, 4, s->c)) ||
	    (err = read_percpu(m, PPM_IPORT_DROPS, N_IPORT, DROP_W, s->c + O_IPORT)))
		return err;
	return read_percpu(m, PPM_NET_DROPS, N_NET, DROP_W, s->c + O_NET);
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

/* Run in (len bytes) on ifindex; meta: TC finds its outer tag in skb metadata (in loses it). */
static inline int run(struct runner *r, int xdp, uint32_t ifindex, uint8_t *in, uint32_t len,
		      int meta, struct got *g)
{
	struct prog_run pr = { .tap = iport_of_tap(ifindex) != NULL, .xdp = xdp, .meta = meta,
			       .ifindex = ifindex, .in = in, .len = len, .out = g->data_out,
			       .out_size = FRM };
	struct snap now;
	int err;

	g->nout = 0;
	if (progs_run(&r->p, &pr)) {
		g->ran = -1;
		return 0;
	}
	g->ran = 1;
	g->retval = pr.retval;
	g->out_size = pr.size_out;
	err = snap_take(&r->p.maps, &now);
	if (err)
		return err;
	for (int i = 0; i < NCOUNT; i++)
		g->delta.c[i] = now.c[i] - r->last.c[i];
	r->last = now;
	for (uint32_t i = 0; i < pr.nlog && i < PP_TEST_LOG_MAX; i++) {
		const struct pp_test_out *l = &pr.log[i];
		struct xout *x = &g->out[g->nout++];
		int last = i + 1 == pr.nlog && l->kind == PP_TEST_REDIRECT;

		x->kind = l->kind;
		x->ifindex = l->ifindex;
		if (last && pr.size_out >= 12) {	/* the frame itself: all of it */
			x->len = x->have = wire(l, g->data_out, pr.size_out, x->data);
		} else {
			uint32_t n = l->len < PP_TEST_SNAP ? l->len : PP_TEST_SNAP;

			x->have = n >= 12 ? wire(l, l->data, n, x->data) : 0;
			x->len = l->len + (l->meta_present ? 4 : 0);
		}
	}
	return 0;
}

/* ---- checking ---------------------------------------------------------------------- */
static inline int outs_equal(const struct xout *a, int na, const struct xout *b, int nb)
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
static inline int drops_ok(const struct expect *e, const struct snap *d)
{
	uint64_t total = 0;

	for (int i = O_IPORT; i < NCOUNT; i++)
		total += d->c[i];
	if (e->reason == DELIVERED)
		return total == 0;
	if (e->dkind == D_IPORT)
		return total == 1 && d->c[O_IPORT + e->didx * DROP_W + e->reason] == 1;
	return total == 1 && d->c[O_NET + e->didx * DROP_W + e->reason] == 1;
}

static inline int has_redirect(const struct expect *e)
{
	for (int i = 0; i < e->nout; i++)
		if (e->out[i].kind == PP_TEST_REDIRECT)
			return 1;
	return 0;
}

/* A TC run gives the oracle's result. */
static inline int tc_ok(const struct expect *e, const struct got *g)
{
	int verdict = has_redirect(e) ? TC_ACT_REDIRECT : TC_ACT_SHOT;

	return (int)g->retval == verdict && outs_equal(e->out, e->nout, g->out, g->nout) &&
	       drops_ok(e, &g->delta);
}

/* An XDP run that did not hand the frame to TC gives the oracle's result. */
static inline int xdp_ok(const struct expect *e, const struct got *g)
{
	if (e->reason != DELIVERED)
		return g->retval == XDP_DROP && g->nout == 0 && drops_ok(e, &g->delta);
	if (e->nout != 1 || e->out[0].kind != PP_TEST_REDIRECT)
		return 0;	/* copies: XDP cannot make them */
	return g->retval == XDP_REDIRECT && outs_equal(e->out, e->nout, g->out, g->nout) &&
	       drops_ok(e, &g->delta);
}

static inline int handed_to_tc(const struct got *g)
{
	return g->retval == XDP_PASS;
}

/* A clean hand-off: the frame unchanged, nothing sent, no counter moved. */
static inline int handoff_clean(const struct got *g, const uint8_t *in, uint32_t len)
{
	for (int i = 0; i < NCOUNT; i++)
		if (g->delta.c[i])
			return 0;
	return g->nout == 0 && g->out_size == len && !memcmp(g->data_out, in, len);
}

/* XDP (not handed off) and TC did the same: verdict, outputs, every counter. */
static inline int tc_xdp_agree(const struct got *tc, const struct got *x)
{
	int tv = tc->retval == TC_ACT_REDIRECT ? XDP_REDIRECT :
		 tc->retval == TC_ACT_SHOT ? XDP_DROP : -1;

	return (int)x->retval == tv && outs_equal(tc->out, tc->nout, x->out, x->nout) &&
	       !memcmp(&tc->delta, &x->delta, sizeof(tc->delta));
}

/* Outputs that land in another network than the one the frame names. */
static inline int cross_net(const struct expect *e, const struct got *g)
{
	int n = 0;

	for (int i = 0; i < g->nout; i++)
		if (out_net(g->out[i].ifindex, g->out[i].data, g->out[i].have) != e->net || !e->net)
			n++;
	return n;
}

/* Where frames arrive: the taps (from a VM), then the network devices. */
static const uint32_t sources[] = { TAP1, TAP2, TAP3, DEVU, DEVT, DEVV, DEVA, DEVB };
#define NSOURCES	N_(sources)

/* ---- showing what happened ------------------------------------------------------- */
static inline void hex(const char *what, const uint8_t *p, uint32_t have, uint32_t len)
{
	printf("      %s (%u):", what, len);
	for (uint32_t i = 0; i < have && i < 64; i++)
		printf(" %02x", p[i]);
	printf("%s\n", len > 64 && have >= 64 ? " ..." : "");
}

static inline const char *dev_name(uint32_t ifindex)
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

static inline void show_outs(const struct xout *o, int n)
{
	char what[48];

	for (int i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%s -> %s", o[i].kind == PP_TEST_CLONE ? "copy" : "redirect",
			 dev_name(o[i].ifindex));
		hex(what, o[i].data, o[i].have, o[i].len);
	}
}

static inline void show_drops(const struct snap *d)
{
	for (int i = O_IPORT; i < NCOUNT; i++) {
		int net = i >= O_NET, k = i - (net ? O_NET : O_IPORT);

		if (d->c[i])
			printf("      drop %s on %s %d (x%llu)\n", k % DROP_W < PP_DROP_MAX ?
			       pp_drop_names[k % DROP_W] : "(no such reason)",
			       net ? "network" : "instance port", k / DROP_W,
			       (unsigned long long)d->c[i]);
	}
}

/* What the oracle expects of a frame. */
static inline void show_expect(const struct expect *e)
{
	if (e->reason == DELIVERED) {
		printf("      expected: delivered into network %u%s\n", e->net,
		       e->to_tc ? " (XDP: handed to TC)" : "");
		show_outs(e->out, e->nout);
	} else {
		printf("      expected: drop %s on %s %u\n", pp_drop_names[e->reason],
		       e->dkind == D_IPORT ? "instance port" : "network", e->didx);
	}
}

/* What run k (a name of run_names) gave; note follows its name. */
static inline void show_got(const struct got *g, int k, const char *note)
{
	printf("      got (%s)%s: verdict %u, %d outputs\n", run_names[k], note, g->retval,
	       g->nout);
	show_outs(g->out, g->nout);
	show_drops(&g->delta);
}

/* ---- setup ------------------------------------------------------------------------- */
static inline int setup_topology(struct pp_maps *m)
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
		if ((err = pp_dp_iport_install(m, iports[i].slot, &ip, NULL)))
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

/* ---- one frame, every run, judged -------------------------------------------------- */
/* The oracle's result for frame b (len bytes) arriving on ifindex (a tap or a device). */
static inline void oracle(uint32_t ifindex, const uint8_t *b, uint32_t len, struct expect *e)
{
	const struct c_iport *ip = iport_of_tap(ifindex);

	if (ip)
		oracle_vm(ip->slot, b, len, e);
	else
		oracle_net(ifindex, b, len, e);
}

/* Can TC also run b with its outer tag in skb metadata (where the kernel puts 0x8100/0x88a8)? */
static inline int meta_ok(const uint8_t *b, uint32_t len)
{
	return len >= 18 && (be16(b + 12) == 0x8100 || be16(b + 12) == 0x88a8);
}

struct verdict {
	int bad[NRUNS];		/* the run did not give the oracle's result */
	int disagree;		/* XDP did not do what TC did, or handed off unclean */
	int cross;		/* outputs that land in another network than the frame names */
	int handoff;		/* XDP handed the frame to TC */
};

/*
 * Run frame b (len bytes) arriving on ifindex through TC, through TC again
 * with its outer tag in skb metadata if meta (meta_ok() must hold), and
 * through XDP; judge every run against e, the oracle's result.  g: NRUNS
 * results (ran -1: TEST_RUN refused the frame).  Returns 0, or -errno if the
 * counters could not be read.
 */
static inline int judge(struct runner *r, uint32_t ifindex, const uint8_t *b, uint32_t len,
			int meta, const struct expect *e, struct got *g, struct verdict *v)
{
	static uint8_t in[FRM];
	int err;

	memset(v, 0, sizeof(*v));
	for (int k = 0; k < NRUNS; k++)
		g[k].ran = 0;
	memcpy(in, b, len);
	err = run(r, 0, ifindex, in, len, 0, &g[R_TC]);
	if (!err && meta)
		err = run(r, 0, ifindex, in, len, 1, &g[R_TC_META]);
	if (!err) {
		memcpy(in, b, len);	/* the metadata run took the tag out */
		err = run(r, 1, ifindex, in, len, 0, &g[R_XDP]);
	}
	if (err)
		return err;
	for (int k = R_TC; k <= R_TC_META; k++) {
		if (g[k].ran == 1) {
			v->bad[k] = !tc_ok(e, &g[k]);
			v->cross += cross_net(e, &g[k]);
		}
	}
	if (g[R_XDP].ran == 1) {
		if (handed_to_tc(&g[R_XDP])) {
			v->handoff = 1;
			v->disagree = !handoff_clean(&g[R_XDP], b, len);
		} else {
			v->bad[R_XDP] = !xdp_ok(e, &g[R_XDP]);
			v->disagree = g[R_TC].ran == 1 && !tc_xdp_agree(&g[R_TC], &g[R_XDP]);
			v->cross += cross_net(e, &g[R_XDP]);
		}
	}
	return 0;
}

#endif /* PP_TEST_ORACLE_H */
