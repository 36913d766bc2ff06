/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Port security (bind: security), over the context shim: what a VM may send
 * from a service port with PP_SPORT_SECURITY.  The core already drops a
 * source MAC that is not the port's; here:
 * - the allowed pairs' other MACs are accepted as sources (pp_sec_mac);
 * - an IPv4 / IPv6 source must be one the sending MAC may use (pp_sec_src, a
 *   longest-prefix match keyed by service port: the port's addresses and the
 *   link-local address of each of its MACs with its MAC, allowed pairs with
 *   theirs);
 * - ARP: the sender MAC must be the frame's source MAC, and the sender
 *   address one it may use (0.0.0.0: an ARP probe, allowed);
 * - IPv6 is judged by its upper-layer header, found behind the extension
 *   headers (lib/ipv6.h); from :: only ICMPv6 (duplicate address detection,
 *   MLD); in NS / NA / RS / RA every link-layer address option must carry
 *   the frame's source MAC, and an NA's target must be an address it may
 *   use; ND is never fragmented (RFC 6980);
 * - no rogue servers or routers: DHCP server replies (UDP 67 -> 68), DHCPv6
 *   server replies (547 -> 546), router advertisements (134) and redirects
 *   (137) only from a port with allow-dhcp-server / allow-ra
 *   (PP_SPORT_ALLOW_*);
 * - DHCP client traffic always passes: UDP 0.0.0.0:68 -> 67 (renewals come
 *   from the port's own address, which passes anyway), as do DHCPv6 clients
 *   (546 -> 547) and router solicitations.
 * Other ethertypes pass.  A violation is dropped and counted as `spoofed`; a
 * frame that cannot be judged (cut, an extension-header chain longer than
 * PP_IP6_EXT_MAX, a fragmented ND message, a bad ND option) as `malformed`.
 *
 * Every read goes through ctx_load_bytes (bounds-checked by the helper);
 * the loops have constant bounds.  pp_security() is a global function,
 * verified once.
 */
#ifndef PP_BPF_SECURITY_H
#define PP_BPF_SECURITY_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include "maps.bpf.h"
#include "frame.h"
#include "ipv6.h"

/*
 * ND options walked in one message: every option of any ND message that fits
 * a 9,000-byte MTU (at most (9000 - 40 - 8) / 8 = 1119 options of 8 bytes);
 * a message with more is dropped as malformed.  The verifier walks the loop
 * that many times: about 175,000 instructions of its 1,000,000 budget.
 */
#define PP_ND_OPTS_MAX	1120

/* pp_security() results; pp_sec_reason() gives the drop reason of each. */
#define PP_SEC_OK		0
#define PP_SEC_SPOOFED		(-1)
#define PP_SEC_MALFORMED	(-2)

static __always_inline __u32 pp_sec_reason(int ret)
{
	return ret == PP_SEC_MALFORMED ? PP_DROP_MALFORMED : PP_DROP_SPOOFED;
}

/* May MAC mac send on service port id (its own MAC is checked by the core)? */
static __always_inline int pp_sec_mac_ok(__u32 id, const __u8 *mac)
{
	struct pp_sec_mac_key k = { .sport = id };

	__builtin_memcpy(k.mac, mac, ETH_ALEN);
	return bpf_map_lookup_elem(&PP_MAP_SEC_MAC, &k) != 0;
}

/* May mac send from address addr (alen 4 or 16) on service port id? */
static __always_inline int pp_sec_src_ok(__u32 id, const __u8 *mac, const __u8 *addr,
					 __u32 alen)
{
	struct pp_sec_key k = { .sport = id };
	struct pp_sec_src *v;

	if (alen == 4) {
		k.prefixlen = PP_SEC_PREFIX(32);
		k.family = PP_NEIGH_V4;
		__builtin_memcpy(k.addr, addr, 4);
	} else {
		k.prefixlen = PP_SEC_PREFIX(128);
		k.family = PP_NEIGH_V6;
		__builtin_memcpy(k.addr, addr, 16);
	}
	v = bpf_map_lookup_elem(&PP_MAP_SEC_SRC, &k);
	return v && pp_mac_eq_b(v->mac, mac);
}

/* Does service port id allow what flag (PP_SPORT_ALLOW_*) stands for?  Read
 * only for the rare frames that need it. */
static __always_inline int pp_sec_allows(__u32 id, __u8 flag)
{
	struct pp_sport *sp = bpf_map_lookup_elem(&PP_MAP_SPORTS, &id);

	return sp && (sp->flags & flag);
}

struct pp_ip4_hdr {
	__u8   vihl;
	__u8   tos;
	__be16 len;
	__be16 id;
	__be16 frag;
	__u8   ttl;
	__u8   proto;
	__be16 csum;
	__u8   saddr[4];
	__u8   daddr[4];
};

static __always_inline int pp_sec_ip4(struct __ctx_buff *ctx, __u32 id, const __u8 *mac,
				      __u32 l3)
{
	struct pp_ip4_hdr ip;
	__be16 ports[2] = {};
	__u32 saddr, ihl;
	int udp;

	if (ctx_load_bytes(ctx, l3, &ip, sizeof(ip)))
		return PP_SEC_MALFORMED;	/* cut: not trusted */
	ihl = (ip.vihl & 0xf) * 4;
	if (ihl < 20)
		return PP_SEC_MALFORMED;
	/* UDP with its header: unfragmented, or the first fragment */
	udp = ip.proto == IPPROTO_UDP && !(ip.frag & bpf_htons(0x1fff));
	if (udp && ctx_load_bytes(ctx, l3 + ihl, ports, sizeof(ports)))
		return PP_SEC_MALFORMED;
	__builtin_memcpy(&saddr, ip.saddr, 4);
	if (!saddr)			/* a DHCP client without an address, only */
		return udp && ports[0] == bpf_htons(68) && ports[1] == bpf_htons(67) ?
		       PP_SEC_OK : PP_SEC_SPOOFED;
	if (!pp_sec_src_ok(id, mac, ip.saddr, 4))
		return PP_SEC_SPOOFED;
	if (udp && ports[0] == bpf_htons(67) && ports[1] == bpf_htons(68) &&
	    !pp_sec_allows(id, PP_SPORT_ALLOW_DHCP_SERVER))
		return PP_SEC_SPOOFED;	/* a rogue DHCP server */
	return PP_SEC_OK;
}

static __always_inline int pp_sec_arp(struct __ctx_buff *ctx, __u32 id, const __u8 *mac,
				      __u32 l3)
{
	struct {
		__be16 htype, ptype;
		__u8 hlen, plen;
		__be16 op;
		__u8 sha[6];
		__u8 spa[4];
	} __attribute__((packed)) a;
	__u32 spa;

	if (ctx_load_bytes(ctx, l3, &a, sizeof(a)))
		return PP_SEC_MALFORMED;
	if (a.htype != bpf_htons(1) || a.ptype != bpf_htons(ETH_P_IP) || a.hlen != 6 ||
	    a.plen != 4)
		return PP_SEC_SPOOFED;
	if (!pp_mac_eq_b(a.sha, mac))
		return PP_SEC_SPOOFED;		/* sender MAC is not the frame's */
	__builtin_memcpy(&spa, a.spa, 4);
	if (!spa)
		return PP_SEC_OK;		/* ARP probe */
	return pp_sec_src_ok(id, mac, a.spa, 4) ? PP_SEC_OK : PP_SEC_SPOOFED;
}

/* An ND option's first 8 bytes; a link-layer address option is exactly that. */
struct pp_nd_opt {
	__u8 type;
	__u8 len;		/* in units of 8 bytes */
	__u16 mac_hi;		/* the link-layer address, at the offsets it has in */
	__u32 mac_lo;		/* the frame's bytes 4..11 (the source MAC's) */
};

/*
 * ND (RS 133, RA 134, NS 135, NA 136) at icmp, ending at end, from service
 * port id: every link-layer address option carries the frame's source MAC;
 * an NA's target is an address that MAC may use.  An option of length 0,
 * or one running past the message, is malformed (RFC 4861 7.1.1: such a
 * message is discarded).
 *
 * A global function: its long option walk is verified once, not once per
 * path that reaches it; the walk's body has no branch it can avoid (the
 * verifier goes through it PP_ND_OPTS_MAX times).
 */
__noinline int pp_sec_nd(struct __ctx_buff *ctx, __u32 id, __u32 icmp, __u32 end, __u32 type)
{
	struct pp_nd_opt own, opt;	/* own: bytes 4..11, the source MAC at 6 */
	__u8 target[16];
	__u32 off, len;
	int i;

	if (!ctx || ctx_load_bytes(ctx, 4, &own, sizeof(own)))
		return PP_SEC_MALFORMED;
	off = icmp + (type == 133 ? 8 : type == 134 ? 16 : 24);
	if (off > end)
		return PP_SEC_MALFORMED;
	if (type == 136) {
		if (ctx_load_bytes(ctx, icmp + 8, target, sizeof(target)))
			return PP_SEC_MALFORMED;
		if (!pp_sec_src_ok(id, (const __u8 *)&own + 2, target, 16))
			return PP_SEC_SPOOFED;
	}
	for (i = 0; i < PP_ND_OPTS_MAX; i++) {	/* bounded: see PP_ND_OPTS_MAX */
		if (off >= end)
			return PP_SEC_OK;
		if (ctx_load_bytes(ctx, off, &opt, sizeof(opt)))
			return PP_SEC_MALFORMED;
		len = (__u32)opt.len * 8;
		if (!len || len > end - off)
			return PP_SEC_MALFORMED;
		/* source (1) or target (2) link-layer address: its own */
		if ((__u8)(opt.type - 1) < 2 &&
		    ((opt.mac_hi ^ own.mac_hi) | (opt.mac_lo ^ own.mac_lo)))
			return PP_SEC_SPOOFED;
		off += len;
	}
	return off >= end ? PP_SEC_OK : PP_SEC_MALFORMED;	/* more options than walked */
}

/* ICMPv6 at u (behind the extension headers) of a packet ending at end. */
static __always_inline int pp_sec_icmp6(struct __ctx_buff *ctx, __u32 id,
					const struct pp_ip6_upper *u, __u32 end)
{
	__u8 type;

	if (u->frag == PP_IP6_LATER)
		return PP_SEC_OK;		/* its type was judged in the first fragment */
	if (ctx_load_bytes(ctx, u->off, &type, 1))
		return PP_SEC_MALFORMED;
	if (type < 133 || type > 137)
		return PP_SEC_OK;
	if (u->frag != PP_IP6_WHOLE)
		return PP_SEC_MALFORMED;	/* fragmented ND: never legitimate */
	if ((type == 134 || type == 137) && !pp_sec_allows(id, PP_SPORT_ALLOW_RA))
		return PP_SEC_SPOOFED;		/* a rogue router */
	if (type == 137)
		return PP_SEC_OK;	/* a redirect's target option names the better hop */
	return pp_sec_nd(ctx, id, u->off, end, type);
}

static __always_inline int pp_sec_ip6(struct __ctx_buff *ctx, __u32 id, const __u8 *mac,
				      __u32 l3)
{
	struct {
		__be32 vtcfl;
		__be16 plen;
		__u8 nexthdr, hlim;
		__u8 saddr[16];
	} __attribute__((packed)) ip;
	struct pp_ip6_upper u;
	__be16 ports[2];
	__u64 s0, s1;

	if (ctx_load_bytes(ctx, l3, &ip, sizeof(ip)))
		return PP_SEC_MALFORMED;
	if (pp_ip6_upper(ctx, l3, ip.nexthdr, &u))
		return PP_SEC_MALFORMED;
	__builtin_memcpy(&s0, ip.saddr, 8);
	__builtin_memcpy(&s1, ip.saddr + 8, 8);
	if (!s0 && !s1) {
		/* unspecified: duplicate address detection and MLD only */
		if (u.proto != PP_IP6_ICMP || u.frag != PP_IP6_WHOLE)
			return PP_SEC_SPOOFED;
	} else if (!pp_sec_src_ok(id, mac, ip.saddr, 16)) {
		return PP_SEC_SPOOFED;
	}
	if (u.proto == PP_IP6_ICMP)
		return pp_sec_icmp6(ctx, id, &u, l3 + PP_IP6_HLEN + bpf_ntohs(ip.plen));
	if (u.proto != IPPROTO_UDP || u.frag == PP_IP6_LATER)
		return PP_SEC_OK;
	if (ctx_load_bytes(ctx, u.off, ports, sizeof(ports)))
		return PP_SEC_MALFORMED;
	if (ports[0] == bpf_htons(547) && ports[1] == bpf_htons(546) &&
	    !pp_sec_allows(id, PP_SPORT_ALLOW_DHCP_SERVER))
		return PP_SEC_SPOOFED;		/* a rogue DHCPv6 server */
	return PP_SEC_OK;
}

/*
 * Port security for a frame of service port id (tags as for pp_respond).
 * Returns PP_SEC_OK when it may pass, else PP_SEC_SPOOFED or
 * PP_SEC_MALFORMED (the drop reason: pp_sec_reason()).
 */
__noinline int pp_security(struct __ctx_buff *ctx, __u32 id, __u32 tags)
{
	__u32 ntags = tags & 0xff, meta = (tags >> 8) & 1, l3;
	__u8 mac[ETH_ALEN];
	__be16 proto;

	if (!ctx || ntags > PP_TAGS_MAX || meta > ntags)
		return PP_SEC_MALFORMED;
	l3 = ETH_HLEN + 4 * (ntags - meta);
	if (ctx_load_bytes(ctx, ETH_ALEN, mac, ETH_ALEN) ||
	    ctx_load_bytes(ctx, l3 - 2, &proto, sizeof(proto)))
		return PP_SEC_MALFORMED;
	if (proto == bpf_htons(ETH_P_IP))
		return pp_sec_ip4(ctx, id, mac, l3);
	if (proto == bpf_htons(ETH_P_ARP))
		return pp_sec_arp(ctx, id, mac, l3);
	if (proto == bpf_htons(ETH_P_IPV6))
		return pp_sec_ip6(ctx, id, mac, l3);
	return PP_SEC_OK;
}

#endif /* PP_BPF_SECURITY_H */
