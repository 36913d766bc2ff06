/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Stateless rules (bind: security, ingress / egress), over the context shim.
 *
 * First match wins, at a bounded per-packet cost that does not grow with the
 * number of rules: three longest-prefix-match lookups (source CIDR,
 * destination CIDR, protocol + destination port or ICMP type), each giving
 * the bitmap of the rules that field matches (computed by the loader), an
 * AND of the three 1,024-bit bitmaps (16 words) and the first set bit: the
 * first rule all fields match.  Its action applies and its counter moves;
 * no rule matching means the direction's default.  A direction without
 * rules (no pp_rule_set entry) allows everything, as do frames that are
 * neither IPv4 nor IPv6 (ARP, ...): port security judges those.  But a
 * direction whose port says it has rules (PP_SPORT_RULES_IN / _OUT: the
 * caller passes PP_RULES_REQUIRED) and whose set is not (yet) there drops
 * its IP frames: a port's rules never fail open while they are written.
 *
 * IPv6 is judged by its upper-layer header, found behind the extension
 * headers (lib/ipv6.h); a chain that cannot be walked (cut, longer than
 * PP_IP6_EXT_MAX) is dropped, as a cut IP header is: not judged, not
 * trusted.  Fragments after the first (IPv4 or IPv6) have no transport
 * header: they match only rules without ports or ICMP type (their
 * protocol's rules of any port, and rules of any protocol).  A first
 * fragment or whole packet too short for its ports or type is dropped
 * (otherwise a "tiny fragment" would carry them past the rules).
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
	struct pp_rule_addr_key ak = { .sport = id, .dir = dir };
	struct pp_rule_l4_key lk = { .sport = id, .dir = dir };
	struct pp_rule_bits *from, *to, *l4;
	struct pp_rule_stat_key rk = {};
	struct pp_ip6_upper u;
	struct pp_rule_set *rs;
	__u8 saddr[16] = {}, daddr[16] = {}, proto, hdr[40];
	__u32 l3, l4off = 0, i, idx = PP_RULES_MAX_BPF, alen;
	__u64 w, one = 1, *cnt;
	__be16 eth;
	int allow, later = 0;

	if (!ctx || ntags > PP_TAGS_MAX || meta > ntags)
		return 0;
	rs = bpf_map_lookup_elem(&PP_MAP_RULE_SET, &sk);
	if (!rs && !required)
		return 0;			/* no rules in this direction */
	l3 = ETH_HLEN + 4 * (ntags - meta);
	if (ctx_load_bytes(ctx, l3 - 2, &eth, sizeof(eth)))
		return 0;
	if (eth == bpf_htons(ETH_P_IP)) {
		if (ctx_load_bytes(ctx, l3, hdr, 20))
			goto drop;		/* cut: not judged, not trusted */
		ak.family = PP_NEIGH_V4;
		alen = 4;
		__builtin_memcpy(saddr, hdr + 12, 4);
		__builtin_memcpy(daddr, hdr + 16, 4);
		proto = hdr[9];
		if (!((hdr[6] & 0x1f) | hdr[7]))	/* the first (or only) fragment */
			l4off = l3 + (hdr[0] & 0xf) * 4;
		else
			later = 1;
	} else if (eth == bpf_htons(ETH_P_IPV6)) {
		if (ctx_load_bytes(ctx, l3, hdr, 40))
			goto drop;
		ak.family = PP_NEIGH_V6;
		alen = 16;
		__builtin_memcpy(saddr, hdr + 8, 16);
		__builtin_memcpy(daddr, hdr + 24, 16);
		if (pp_ip6_upper(ctx, l3, hdr[6], &u))
			goto drop;		/* malformed chain: not judged, not trusted */
		proto = u.proto;
		if (u.frag == PP_IP6_LATER)
			later = 1;
		else
			l4off = u.off;
	} else {
		return 0;
	}
	if (!rs)
		goto drop;			/* its rules are not all there yet */

	/* protocol class and port / type; a later fragment: the class alone */
	lk.prefixlen = PP_RULE_L4_PREFIX(later ? 0 : 16);
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		lk.proto = proto;
		if (l4off && ctx_load_bytes(ctx, l4off + 2, lk.port, 2))
			goto drop;		/* no ports to judge: not trusted */
	} else if ((proto == IPPROTO_ICMP && alen == 4) || (proto == 58 && alen == 16)) {
		lk.proto = proto;
		if (l4off && ctx_load_bytes(ctx, l4off, lk.port, 1))
			goto drop;
	}
	if (!lk.proto || later)
		lk.port[0] = lk.port[1] = 0;

	ak.prefixlen = PP_RULE_ADDR_PREFIX(alen * 8);
	ak.field = PP_RULE_FROM;
	__builtin_memcpy(ak.addr, saddr, 16);
	from = bpf_map_lookup_elem(&PP_MAP_RULE_ADDR, &ak);
	ak.field = PP_RULE_TO;
	__builtin_memcpy(ak.addr, daddr, 16);
	to = bpf_map_lookup_elem(&PP_MAP_RULE_ADDR, &ak);
	l4 = bpf_map_lookup_elem(&PP_MAP_RULE_L4, &lk);
	if (from && to && l4) {
		for (i = 0; i < PP_RULE_WORDS; i++) {
			w = from->w[i] & to->w[i] & l4->w[i];
			if (w) {
				idx = i * 64 + pp_ctz64(w);
				break;
			}
		}
	}
	if (idx >= PP_RULES_MAX_BPF || idx >= rs->n) {
		allow = rs->default_allow;
	} else {
		allow = (rs->allow.w[(idx / 64) & (PP_RULE_WORDS - 1)] >> (idx % 64)) & 1;
		rk.sport = id;
		rk.idx = (__u16)idx;
		rk.dir = (__u8)dir;
		cnt = bpf_map_lookup_elem(&PP_MAP_RULE_STATS, &rk);
		if (cnt)
			(*cnt)++;
		else
			bpf_map_update_elem(&PP_MAP_RULE_STATS, &rk, &one, BPF_NOEXIST);
	}
	if (allow)
		return 0;
drop:
	pp_count_svc(id, rule_drops);
	return -1;
}

#endif /* PP_BPF_RULES_H */
