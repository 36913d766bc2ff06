/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Stateless rules (bind: security, ingress / egress), over the context shim.
 *
 * First match wins, at a bounded per-packet cost that does not grow with the
 * number of rules: three longest-prefix-match lookups (source CIDR,
 * destination CIDR, protocol + destination port or ICMP type), and for TCP
 * and UDP a fourth (the source port, pp_rule_sp), each giving the bitmap of
 * the rules that field matches (computed by the loader), an AND of the
 * 1,024-bit bitmaps (16 words) and the first set bit: the first rule all
 * fields match.  A set without source-port rules has no pp_rule_sp entry:
 * the fourth lookup misses and changes nothing.  The rule's action applies
 * and its counter moves; no rule matching means the direction's default.
 * A direction without rules (no pp_rule_set entry) allows everything, as
 * do frames that are neither IPv4 nor IPv6 (ARP, ...): port security judges
 * those.  But a direction whose port says it has rules (PP_SPORT_RULES_IN /
 * _OUT: the caller passes PP_RULES_REQUIRED) and whose set is not (yet)
 * there drops its IP frames: a port's rules never fail open while they are
 * written.
 *
 * IPv6 is judged by its upper-layer header, found behind the extension
 * headers (lib/ipv6.h); a chain that cannot be walked (cut, longer than
 * PP_IP6_EXT_MAX) is dropped, as a cut IP header is: not judged, not
 * trusted.  Fragments after the first (IPv4 or IPv6) have no transport
 * header: they match only rules without ports or ICMP type (their
 * protocol's rules of any port, and rules of any protocol).  A first
 * fragment or whole packet too short for its ports or type is dropped
 * (otherwise a "tiny fragment" would carry them past the rules).
 *
 * The same matcher (pp_rules_find) classifies frames into service chains
 * (pp_rules_classify, lib/chain.h): the set of a chain's id and a
 * PP_DIR_CHAIN_* direction, where a match steers and fragments, the first
 * one included, match their protocol's rules whatever their ports.
 */
#ifndef PP_BPF_RULES_H
#define PP_BPF_RULES_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include "maps.bpf.h"
#include "frame.h"
#include "counters.h"
#include "ipv6.h"

/* Index of the lowest set bit of a non-zero word (no ctz instruction in BPF). */
static __always_inline __u32 pp_ctz64(__u64 w)
{
	__u32 n = 0;

	if (!(w & 0xffffffffull)) { n += 32; w >>= 32; }
	if (!(w & 0xffff)) { n += 16; w >>= 16; }
	if (!(w & 0xff)) { n += 8; w >>= 8; }
	if (!(w & 0xf)) { n += 4; w >>= 4; }
	if (!(w & 0x3)) { n += 2; w >>= 2; }
	if (!(w & 0x1))
		n += 1;
	return n;
}

/* In pp_rules()'s dir_tags: the port has rules in that direction. */
#define PP_RULES_REQUIRED	(1u << 17)

/* dir_tags for service port sport's rules in direction dir (a PP_DIR_*). */
static __always_inline __u32 pp_rules_dir(const struct pp_sport *sp, __u32 dir)
{
	__u8 has = dir == PP_DIR_INGRESS ? PP_SPORT_RULES_IN : PP_SPORT_RULES_OUT;

	return dir << 16 | (sp->flags & has ? PP_RULES_REQUIRED : 0);
}

/* What pp_rules_find() read of an IP frame (the chains' flow hash, lib/chain.h). */
struct pp_rules_pkt {
	/*
	 * The IP header is read into hdr and on (IPv6: its 40 bytes land on
	 * hdr, saddr, daddr): no buffer of its own on the stack, whose 512
	 * bytes the callers' frames share (lib/chain.h).
	 */
	__u8  hdr[8];
	__u8  saddr[16];	/* IPv4: the first 4 bytes, the rest 0 */
	__u8  daddr[16];
	__u8  ports[4];		/* TCP/UDP source, destination port as in the frame, else 0 */
	__u8  proto;
	__u8  frag;		/* a fragment, the first or a later one */
	__u8  pad[2];
};

/* pp_rules_find(): no rule matches / not IP / an IP frame not to be judged. */
#define PP_RULES_NONE		PP_RULES_MAX_BPF
#define PP_RULES_NOT_IP		(PP_RULES_MAX_BPF + 1)
#define PP_RULES_BAD		(PP_RULES_MAX_BPF + 2)
/*
 * In pp_rules_find()'s how: every fragment, the first one included, is
 * matched by the l4 entries of dir | PP_DIR_CHAIN_FRAG (ports and source
 * ports as wildcards) without reading its ports: the chains' classifiers.
 */
#define PP_RULES_FRAG_WILD	1u

/*
 * The matcher, shared by the stateless rules (pp_rules) and the chains'
 * classifiers (pp_rules_classify): the first rule of set (id, dir) all of
 * whose fields match the frame whose IP header is at l3, in *pk what it
 * read.  Returns the rule's index, PP_RULES_NONE, PP_RULES_NOT_IP (neither
 * IPv4 nor IPv6) or PP_RULES_BAD (cut, a malformed IPv6 chain, no ports to
 * read).  Four lookups at most: source, destination, protocol with port or
 * ICMP type, and for TCP / UDP the source port (pp_rule_sp: a set without
 * source-port rules has no entry there, and a miss leaves the bitmaps as
 * they are).
 */
static __always_inline __u32 pp_rules_find(struct __ctx_buff *ctx, __u32 id, __u32 dir, __u32 l3,
					   __u32 how, struct pp_rules_pkt *pk)
{
	struct pp_rule_addr_key ak = { .sport = id, .dir = (__u8)dir };
	struct pp_rule_l4_key lk = { .sport = id, .dir = (__u8)dir };
	struct pp_rule_bits *from, *to, *l4, *sp = NULL;
	__u8 *hdr = pk->hdr, f6, f7, ihl;
	struct pp_ip6_upper u;
	__u32 l4off = 0, i, alen;
	__be16 eth;
	__u64 w;
	int later = 0, ports;

	if (ctx_load_bytes(ctx, l3 - 2, &eth, sizeof(eth)))
		return PP_RULES_NOT_IP;
	if (eth == bpf_htons(ETH_P_IP)) {
		if (ctx_load_bytes(ctx, l3, hdr, 20))
			return PP_RULES_BAD;	/* cut: not judged, not trusted */
		ak.family = PP_NEIGH_V4;
		alen = 4;
		ihl = hdr[0];
		f6 = hdr[6];
		f7 = hdr[7];
		pk->proto = hdr[9];
		/* the header's bytes 12..19 lie on saddr[4..11]: move them */
		__builtin_memcpy(pk->daddr, hdr + 16, 4);
		__builtin_memcpy(pk->saddr, hdr + 12, 4);
		__builtin_memset(pk->saddr + 4, 0, 12);
		pk->frag = !!((f6 & 0x3f) | f7);	/* MF or an offset */
		if (!((f6 & 0x1f) | f7))	/* the first (or only) fragment */
			l4off = l3 + (ihl & 0xf) * 4;
		else
			later = 1;
	} else if (eth == bpf_htons(ETH_P_IPV6)) {
		if (ctx_load_bytes(ctx, l3, hdr, 40))	/* hdr, saddr, daddr */
			return PP_RULES_BAD;
		ak.family = PP_NEIGH_V6;
		alen = 16;
		if (pp_ip6_upper(ctx, l3, hdr[6], &u))
			return PP_RULES_BAD;	/* malformed chain: not judged, not trusted */
		pk->proto = u.proto;
		pk->frag = u.frag != PP_IP6_WHOLE;
		if (u.frag == PP_IP6_LATER)
			later = 1;
		else
			l4off = u.off;
	} else {
		return PP_RULES_NOT_IP;
	}
	if ((how & PP_RULES_FRAG_WILD) && pk->frag) {
		lk.dir |= PP_DIR_CHAIN_FRAG;	/* its protocol's rules, whatever their ports */
		later = 1;
		l4off = 0;
	}

	/* protocol class and port / type; a later fragment: the class alone */
	lk.prefixlen = PP_RULE_L4_PREFIX(later ? 0 : 16);
	ports = pk->proto == IPPROTO_TCP || pk->proto == IPPROTO_UDP;
	if (ports) {
		lk.proto = pk->proto;
		if (l4off && ctx_load_bytes(ctx, l4off, pk->ports, 4))
			return PP_RULES_BAD;	/* no ports to judge: not trusted */
		lk.port[0] = pk->ports[2];
		lk.port[1] = pk->ports[3];
	} else if ((pk->proto == IPPROTO_ICMP && alen == 4) ||
		   (pk->proto == 58 && alen == 16)) {
		lk.proto = pk->proto;
		if (l4off && ctx_load_bytes(ctx, l4off, lk.port, 1))
			return PP_RULES_BAD;
	}
	if (!lk.proto || later)
		lk.port[0] = lk.port[1] = 0;

	ak.prefixlen = PP_RULE_ADDR_PREFIX(alen * 8);
	ak.field = PP_RULE_FROM;
	__builtin_memcpy(ak.addr, pk->saddr, 16);
	from = bpf_map_lookup_elem(&PP_MAP_RULE_ADDR, &ak);
	ak.field = PP_RULE_TO;
	__builtin_memcpy(ak.addr, pk->daddr, 16);
	to = bpf_map_lookup_elem(&PP_MAP_RULE_ADDR, &ak);
	l4 = bpf_map_lookup_elem(&PP_MAP_RULE_L4, &lk);
	if (ports && !(lk.dir & PP_DIR_CHAIN_FRAG)) {
		/* the source port (a later fragment: the rules without source-ports) */
		lk.port[0] = later ? 0 : pk->ports[0];
		lk.port[1] = later ? 0 : pk->ports[1];
		sp = bpf_map_lookup_elem(&PP_MAP_RULE_SP, &lk);
	}
	if (!sp)
		sp = l4;		/* no source-port entries: nothing more to AND */
	if (!from || !to || !l4 || !sp)
		return PP_RULES_NONE;
	for (i = 0; i < PP_RULE_WORDS; i++) {
		w = from->w[i] & to->w[i] & l4->w[i] & sp->w[i];
		if (w)
			return i * 64 + pp_ctz64(w);
	}
	return PP_RULES_NONE;
}

/* Rule idx of set (id, dir) matched a packet: its counter (pp_rule_stats). */
static __always_inline void pp_rule_count(__u32 id, __u32 dir, __u32 idx)
{
	struct pp_rule_stat_key rk = { .sport = id, .idx = (__u16)idx, .dir = (__u8)dir };
	__u64 one = 1, *cnt = bpf_map_lookup_elem(&PP_MAP_RULE_STATS, &rk);

	if (cnt)
		(*cnt)++;		/* per CPU */
	else
		bpf_map_update_elem(&PP_MAP_RULE_STATS, &rk, &one, BPF_NOEXIST);
}

/*
 * Judge the frame of service port id in direction dir (tags as for
 * pp_respond, | dir << 16, | PP_RULES_REQUIRED if the port has rules
 * there).  Returns 0 to let it pass, -1 to drop it (counted).
 */
__noinline int pp_rules(struct __ctx_buff *ctx, __u32 id, __u32 dir_tags)
{
	__u32 ntags = dir_tags & 0xff, meta = (dir_tags >> 8) & 1, dir = (dir_tags >> 16) & 1;
	__u32 required = dir_tags & PP_RULES_REQUIRED;
	struct pp_rule_set_key sk = { .sport = id, .dir = dir };
	struct pp_rules_pkt pk = {};
	struct pp_rule_set *rs;
	__u32 idx;
	int allow;

	if (!ctx || ntags > PP_TAGS_MAX || meta > ntags)
		return 0;
	rs = bpf_map_lookup_elem(&PP_MAP_RULE_SET, &sk);
	if (!rs && !required)
		return 0;			/* no rules in this direction */
	idx = pp_rules_find(ctx, id, dir, ETH_HLEN + 4 * (ntags - meta), 0, &pk);
	if (idx == PP_RULES_NOT_IP)
		return 0;
	if (idx == PP_RULES_BAD || !rs)
		goto drop;			/* not judged, or its rules are not all there yet */
	if (idx >= PP_RULES_MAX_BPF || idx >= rs->n) {
		allow = rs->default_allow;
	} else {
		allow = (rs->allow.w[(idx / 64) & (PP_RULE_WORDS - 1)] >> (idx % 64)) & 1;
		pp_rule_count(id, dir, idx);
	}
	if (allow)
		return 0;
drop:
	pp_count_svc(id, rule_drops);
	return -1;
}

/*
 * A chain's classifier (include/polyport.h, service chains): does the set
 * (chain, dir), dir PP_DIR_CHAIN_FWD or _REV, match the frame whose IP
 * header is at l3?  Any rule matching is a match (a set's allow bits are
 * unused); fragments, the first one too, by the l4 entries of the FRAG
 * dirs; frames that are not IP, or not to be judged, never match, and
 * neither does a set that is not there.  *pk: what was read.  count: the
 * matching rule's counter moves (a frame entering the chain).
 */
static __always_inline int pp_rules_classify(struct __ctx_buff *ctx, __u32 chain, __u32 dir,
					     __u32 l3, struct pp_rules_pkt *pk, int count)
{
	struct pp_rule_set_key sk = { .sport = chain, .dir = dir };
	struct pp_rule_set *rs = bpf_map_lookup_elem(&PP_MAP_RULE_SET, &sk);
	__u32 idx;

	if (!rs)
		return 0;
	idx = pp_rules_find(ctx, chain, dir, l3, PP_RULES_FRAG_WILD, pk);
	if (idx >= PP_RULES_MAX_BPF || idx >= rs->n)
		return 0;
	if (count)
		pp_rule_count(chain, dir, idx);
	return 1;
}

#endif /* PP_BPF_RULES_H */
