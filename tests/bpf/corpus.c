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
 * The topology, the oracle, the runs and the checks live in tests/bpf/
 * oracle.h, shared with the frame fuzzer (tests/fuzz/fuzz_frames.c); this
 * file generates the frames and reports.
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
#include <time.h>
#include "oracle.h"	/* the topology, the oracle, running and judging a frame */

#define SHOW_DEFAULT	5

/* VIDs worth trying: every VID of the topology, and some of none. */
static const uint16_t vids[] = { 1, 10, 20, 100, 200, 300, 400, 3001, 3002, 77, 2000, 4094 };

/* ---- generating frames ------------------------------------------------------------------ */
enum { C_TAGS, C_TRUNC, C_RUNT, C_SIZE, C_SPOOF, C_MCAST, C_UCAST, C_RANDOM, NCATS };
static const char *const cat_names[NCATS] = {
	"tags", "truncated", "runts", "oversize", "spoofed", "multicast", "unicast", "random",
};
/* Out of every 100 frames: how many of each category, in this order. */
static const unsigned cat_share[NCATS] = { 44, 10, 4, 8, 8, 8, 10, 8 };

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

/* One more tag on pa: a TPID drawn by the weights, VID vid with a PCP now and then. */
static void push_tag(uint64_t *s, struct parts *pa, unsigned w8100, unsigned w88a8,
		     unsigned w9100, uint16_t vid)
{
	pa->tpid[pa->ntags] = pick_tpid(s, w8100, w88a8, w9100);
	pa->tci[pa->ntags++] = with_pcp(s, vid);
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
			push_tag(s, pa, 6, 3, 1, q->o);
		} else if (q->match == PP_MATCH_QINQ) {
			push_tag(s, pa, 4, 5, 1, q->o);
			push_tag(s, pa, 7, 2, 1, q->i);
		} else if (rn(s, 5) == 0) {
			push_tag(s, pa, 3, 1, 1, 0);	/* a priority tag */
		}
	} else {
		const struct c_net *cand[N_(nets)];
		unsigned n = 0;

		for (unsigned k = 0; k < N_(nets); k++)
			if (nets[k].dev == ifindex)
				cand[n++] = &nets[k];
		const struct c_net *net = cand[rn(s, n)];

		if (net->vlan)
			push_tag(s, pa, 7, 2, 1, net->vlan);
		else if (rn(s, 5) == 0)
			push_tag(s, pa, 3, 1, 1, 0);	/* a priority tag */
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
	if (meta_ok(f->b, f->len))
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

static void show_failure(const struct frame *f, const struct expect *e, const struct got *g,
			 const int *bad, int disagree, int cross)
{
	char sig[48];

	signature(f, sig, sizeof(sig));
	printf("    frame #%llu (%s, %s, from %s)%s%s\n", (unsigned long long)f->idx,
	       cat_names[f->cat], sig, dev_name(f->ifindex), disagree ? " [TC/XDP disagree]" : "",
	       cross ? " [cross-network delivery]" : "");
	hex("in ", f->b, f->len, f->len);
	show_expect(e);
	for (int r = 0; r < NRUNS; r++)
		if (g[r].ran == 1 && (bad[r] || (r == R_XDP && disagree)))
			show_got(&g[r], r, "");
}

static void usage(void)
{
	fprintf(stderr, "usage: corpus [--frames N] [--seed S] [--start I] [--show K]\n");
	exit(2);
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
		struct verdict v;
		int *bad = v.bad, disagree, cross, any;
		struct tally *tc;

		gen_frame(seed, i, &f);
		tc = &t[f.cat];
		oracle(f.ifindex, f.b, f.len, &e);
		outcome[e.reason]++;
		if (e.reason == DELIVERED)
			delivered[e.nout > 1 || e.out[0].kind == PP_TEST_CLONE ? 2 :
				  iport_of_tap(e.out[0].ifindex) ? 1 : 0]++;

		meta_runs += f.meta;
		err = judge(&r, f.ifindex, f.b, f.len, f.meta, &e, g, &v);
		if (err) {
			fprintf(stderr, "corpus: frame %llu: %s\n", (unsigned long long)i,
				strerror(-err));
			printf("FAIL corpus: reading the counters\n");
			progs_cleanup(&r.p, pin_root);
			return 1;
		}
		for (int k = 0; k < NRUNS; k++)
			tc->refused[k] += g[k].ran < 0;
		tc->handoffs += v.handoff;
		tc->handoffs_other += v.handoff && !e.to_tc;
		disagree = v.disagree;
		cross = v.cross;
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
