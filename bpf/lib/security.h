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
 * - IPv6 from :: only for ICMPv6 and hop-by-hop (duplicate address
 *   detection, MLD); in NS / NA / RS / RA the link-layer address options
 *   must carry the frame's source MAC, and an NA's target must be an address
 *   it may use;
 * - DHCP client traffic always passes: UDP 0.0.0.0:68 -> 67 (renewals come
 *   from the port's own address, which passes anyway).
 * Other ethertypes pass.  A violation is dropped and counted as `spoofed`.
 *
 * Every read goes through ctx_load_bytes (bounds-checked by the helper);
 * the ND option walk is a constant-bounded loop (PP_ND_OPTS_MAX options).
 * pp_security() is a global function, verified once.
 */
#ifndef PP_SECURITY_H
#define PP_SECURITY_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include "maps.bpf.h"
#include "frame.h"

#define PP_ND_OPTS_MAX	4	/* link-layer options looked at in an ND message */

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
	__be16 ports[2];
	__u32 saddr, ihl;

	if (ctx_load_bytes(ctx, l3, &ip, sizeof(ip)))
		return -1;			/* cut: malformed, not trusted */
	__builtin_memcpy(&saddr, ip.saddr, 4);
	if (!saddr && ip.proto == IPPROTO_UDP) {	/* a DHCP client without an address */
		ihl = (ip.vihl & 0xf) * 4;
		if (ihl < 20 || ctx_load_bytes(ctx, l3 + ihl, ports, sizeof(ports)))
			return -1;
		return ports[0] == bpf_htons(68) && ports[1] == bpf_htons(67) ? 0 : -1;
	}
	return pp_sec_src_ok(id, mac, ip.saddr, 4) ? 0 : -1;
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
		return -1;
	if (a.htype != bpf_htons(1) || a.ptype != bpf_htons(ETH_P_IP) || a.hlen != 6 ||
	    a.plen != 4)
		return -1;
	if (!pp_mac_eq_b(a.sha, mac))
		return -1;			/* sender MAC is not the frame's */
	__builtin_memcpy(&spa, a.spa, 4);
	if (!spa)
		return 0;			/* ARP probe */
	return pp_sec_src_ok(id, mac, a.spa, 4) ? 0 : -1;
}

/* ND (RS 133, RA 134, NS 135, NA 136): link-layer options carry mac; an
 * NA's target is an address mac may use. */
static __always_inline int pp_sec_nd(struct __ctx_buff *ctx, __u32 id, const __u8 *mac,
				     __u32 icmp, __u32 plen, __u8 type)
{
	__u32 off, end = icmp + plen;
	__u8 target[16], opt[8];
	int i;

	off = icmp + (type == 133 ? 8 : type == 134 ? 16 : 24);
	if (type == 136) {
		if (ctx_load_bytes(ctx, icmp + 8, target, sizeof(target)) ||
		    !pp_sec_src_ok(id, mac, target, 16))
			return -1;
	}
	for (i = 0; i < PP_ND_OPTS_MAX; i++) {	/* bounded: the verifier walks 4 */
		if (off + 8 > end)
			break;
		if (ctx_load_bytes(ctx, off, opt, sizeof(opt)) || !opt[1])
			return -1;		/* cut, or a zero-length option */
		if ((opt[0] == 1 || opt[0] == 2) && !pp_mac_eq_b(opt + 2, mac))
			return -1;		/* a link-layer address that is not its own */
		off += (__u32)opt[1] * 8;
	}
	return 0;
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
	__u8 type;
	__u64 s0, s1;

	if (ctx_load_bytes(ctx, l3, &ip, sizeof(ip)))
		return -1;
	__builtin_memcpy(&s0, ip.saddr, 8);
	__builtin_memcpy(&s1, ip.saddr + 8, 8);
	if (!s0 && !s1) {
		/* unspecified: duplicate address detection and MLD only */
		if (ip.nexthdr != 58 && ip.nexthdr != 0)
			return -1;
	} else if (!pp_sec_src_ok(id, mac, ip.saddr, 16)) {
		return -1;
	}
	if (ip.nexthdr != 58)
		return 0;
	if (ctx_load_bytes(ctx, l3 + 40, &type, 1))
		return -1;
	if (type < 133 || type > 136)
		return 0;
	return pp_sec_nd(ctx, id, mac, l3 + 40, bpf_ntohs(ip.plen), type);
}

/*
 * Port security for a frame of service port id (tags as for pp_respond).
 * Returns 0 when it may pass, -1 when it is spoofed.
 */
__noinline int pp_security(struct __ctx_buff *ctx, __u32 id, __u32 tags)
{
	__u32 ntags = tags & 0xff, meta = (tags >> 8) & 1, l3;
	__u8 mac[ETH_ALEN];
	__be16 proto;

	if (!ctx || ntags > PP_TAGS_MAX || meta > ntags)
		return -1;
	l3 = ETH_HLEN + 4 * (ntags - meta);
	if (ctx_load_bytes(ctx, ETH_ALEN, mac, ETH_ALEN) ||
	    ctx_load_bytes(ctx, l3 - 2, &proto, sizeof(proto)))
		return -1;
	if (proto == bpf_htons(ETH_P_IP))
		return pp_sec_ip4(ctx, id, mac, l3);
	if (proto == bpf_htons(ETH_P_ARP))
		return pp_sec_arp(ctx, id, mac, l3);
	if (proto == bpf_htons(ETH_P_IPV6))
		return pp_sec_ip6(ctx, id, mac, l3);
	return 0;
}

#endif /* PP_SECURITY_H */
