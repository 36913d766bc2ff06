/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The IPv6 extension-header chain, over the context shim: where a packet's
 * upper-layer header (TCP, UDP, ICMPv6, ...) starts.  Port security
 * (lib/security.h) and the rules (lib/rules.h) judge that header, never the
 * first next-header alone: an NA behind a hop-by-hop header is still an NA,
 * TCP behind a PadN destination-options header is still TCP.
 *
 * Walked: hop-by-hop (0), routing (43), destination options (60), fragment
 * (44) and authentication (51, whose length counts 4-byte words), at most
 * PP_IP6_EXT_MAX of them.  A longer chain, a second fragment header, or a
 * header cut by the end of the frame is malformed: the callers drop it.
 * After a fragment header with a non-zero offset the walk stops: the rest
 * is fragment data, with no upper-layer header to read (PP_IP6_LATER).
 *
 * Every read goes through ctx_load_bytes; the loop has a constant bound.
 */
#ifndef PP_BPF_IPV6_H
#define PP_BPF_IPV6_H

#define PP_IP6_HLEN	40
#define PP_IP6_EXT_MAX	6	/* extension headers walked; more is malformed */

#define PP_IP6_HOPOPTS	0
#define PP_IP6_ROUTING	43
#define PP_IP6_FRAGMENT	44
#define PP_IP6_AUTH	51
#define PP_IP6_DSTOPTS	60
#define PP_IP6_ICMP	58

/* pp_ip6_upper.frag */
enum {
	PP_IP6_WHOLE = 0,	/* no fragment header */
	PP_IP6_FIRST,		/* the first fragment (offset 0): the upper header is in it */
	PP_IP6_LATER,		/* a later fragment: no upper-layer header */
};

struct pp_ip6_upper {
	__u32 off;		/* where the upper-layer header (or the fragment data) starts */
	__u8 proto;		/* its protocol number */
	__u8 frag;		/* PP_IP6_* */
};

static __always_inline int pp_ip6_is_ext(__u8 h)
{
	return h == PP_IP6_HOPOPTS || h == PP_IP6_ROUTING || h == PP_IP6_DSTOPTS ||
	       h == PP_IP6_FRAGMENT || h == PP_IP6_AUTH;
}

/*
 * Find the upper-layer header of the IPv6 packet at l3 whose fixed header
 * names nexthdr.  Returns 0 with *u filled, or -1 if the chain is malformed
 * (longer than PP_IP6_EXT_MAX, two fragment headers, or cut).
 */
static __always_inline int pp_ip6_upper(struct __ctx_buff *ctx, __u32 l3, __u8 nexthdr,
					struct pp_ip6_upper *u)
{
	__u32 off = l3 + PP_IP6_HLEN;
	__u8 h[4];
	int i;

	u->frag = PP_IP6_WHOLE;
	for (i = 0; i <= PP_IP6_EXT_MAX; i++) {	/* bounded: the verifier walks 7 */
		if (!pp_ip6_is_ext(nexthdr)) {
			u->off = off;
			u->proto = nexthdr;
			return 0;
		}
		if (i == PP_IP6_EXT_MAX)
			break;
		/* next header, length; a fragment header: next, reserved, offset */
		if (ctx_load_bytes(ctx, off, h, sizeof(h)))
			return -1;
		if (nexthdr == PP_IP6_FRAGMENT) {
			if (u->frag != PP_IP6_WHOLE)
				return -1;
			off += 8;
			if (((__u32)h[2] << 8 | h[3]) & 0xfff8) {
				u->off = off;
				u->proto = h[0];
				u->frag = PP_IP6_LATER;
				return 0;
			}
			u->frag = PP_IP6_FIRST;
		} else if (nexthdr == PP_IP6_AUTH) {
			off += ((__u32)h[1] + 2) * 4;
		} else {
			off += ((__u32)h[1] + 1) * 8;
		}
		nexthdr = h[0];
	}
	return -1;
}

#endif /* PP_BPF_IPV6_H */
