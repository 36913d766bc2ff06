/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The DHCPv4 server (bind: dhcp), over the context shim.
 *
 * A DHCP client frame from the VM (IPv4, UDP 68 -> 67) on a service port
 * with PP_SPORT_DHCP is answered in place from pp_dhcp[port]:
 *   DISCOVER -> OFFER, REQUEST -> ACK for the port's address, NAK for any
 *   other (a REQUEST naming another server goes on untouched).
 * The reply speaks as the network's gateway: Ethernet source = the
 * gateway's MAC, IP source and server identifier (54) = the gateway's IPv4;
 * the other options (lease 51, mask 1, router 3 = the gateway, DNS 6, MTU
 * 26, classless static routes 121) come encoded from the loader
 * (pp_dhcp.opts): the program's cost does not depend on them.  It goes to
 * the client's MAC, IP broadcast (or its ciaddr for an ACK of a renewal),
 * on the service port's tags, back out of the tap.
 *
 * Malformed requests (not a BOOTREQUEST for Ethernet, bad magic cookie,
 * options running past the end or a huge length, no message type, more
 * than PP_DHCP_OPTS_MAX options) are dropped and counted (dhcp_malformed,
 * and `malformed` on the instance port), never answered.
 *
 * The reply (474 bytes untagged) is built in a per-CPU scratch buffer
 * (pp_scratch: more than the BPF stack holds) and needs more room than a
 * request usually has: TC resizes the frame (bpf_skb_change_tail); XDP
 * hands DHCP to TC before touching anything (CTX_ACT_TO_TC), as a tap in
 * native XDP mode has almost no tailroom.  Option parsing is a
 * constant-bounded loop; every read goes through ctx_load_bytes.
 *
 * Not handled here: an skb whose UDP checksum is left to offload
 * (CHECKSUM_PARTIAL, a renewal through a guest UDP socket with TX checksum
 * offload) keeps that state; the light guest and raw-socket clients
 * (udhcpc, dhclient) send complete checksums.
 */
#ifndef PP_BPF_DHCP_H
#define PP_BPF_DHCP_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include "maps.bpf.h"
#include "frame.h"
#include "counters.h"
#include "security.h"
#include "responder.h"

#define PP_RESP_MALFORMED	(-3)	/* malformed service request: drop, counted */

#define PP_DHCP_OPTS_MAX	64	/* options (pads included) read in a request */
#define PP_DHCP_COOKIE		0x63825363
#define PP_DHCP_OPT_LEN		192	/* option bytes of a reply: 9 + the loader's */
#define PP_DHCP_UDP_LEN		(8 + 240 + PP_DHCP_OPT_LEN)	/* 440 */
#define PP_DHCP_IP_LEN		(20 + PP_DHCP_UDP_LEN)		/* 460 */
#define PP_DHCP_REPLY_LEN	(ETH_HLEN + PP_DHCP_IP_LEN)	/* 474 */
#define PP_DHCP_O_IP		ETH_HLEN			/* offsets in the reply */
#define PP_DHCP_O_UDP		(PP_DHCP_O_IP + 20)
#define PP_DHCP_O_BOOTP		(PP_DHCP_O_UDP + 8)
#define PP_DHCP_O_OPTS		(PP_DHCP_O_BOOTP + 240)		/* 282 */

_Static_assert(9 + PP_DHCP_OPTS_BLOB <= PP_DHCP_OPT_LEN, "the options fit");
_Static_assert(PP_DHCP_REPLY_LEN <= PP_SCRATCH_LEN, "the reply fits the scratch");
_Static_assert(PP_DHCP_UDP_LEN % 4 == 0, "bpf_csum_diff works on 4-byte words");

enum { PP_DHCP_DISCOVER = 1, PP_DHCP_OFFER = 2, PP_DHCP_REQUEST = 3, PP_DHCP_ACK = 5,
       PP_DHCP_NAK = 6 };

struct pp_bootp_head {		/* op .. chaddr: 44 bytes */
	__u8   op;
	__u8   htype;
	__u8   hlen;
	__u8   hops;
	__be32 xid;
	__be16 secs;
	__be16 flags;
	__u8   ciaddr[4];
	__u8   yiaddr[4];
	__u8   siaddr[4];
	__u8   giaddr[4];
	__u8   chaddr[16];
};

struct pp_dhcp_req {
	__u8 type;
	__u8 has_req;
	__u8 has_sid;
	__u8 pad;
	__u8 req[4];		/* 50: requested address */
	__u8 sid[4];		/* 54: server identifier */
};

/* Read the options in [off, end).  Returns 0, or -1 if they are malformed. */
static __always_inline int pp_dhcp_opts(struct __ctx_buff *ctx, __u32 off, __u32 end,
					struct pp_dhcp_req *rq)
{
	__u8 h[2];
	int i;

	for (i = 0; i < PP_DHCP_OPTS_MAX; i++) {
		if (off >= end || ctx_load_bytes(ctx, off, h, 1))
			return -1;		/* no end option */
		if (h[0] == 255)
			return 0;
		if (h[0] == 0) {
			off++;
			continue;
		}
		if (off + 2 > end || ctx_load_bytes(ctx, off, h, 2) || off + 2 + h[1] > end)
			return -1;		/* runs past the end */
		if (h[0] == 53 && h[1] == 1) {
			if (ctx_load_bytes(ctx, off + 2, &rq->type, 1))
				return -1;
		} else if (h[0] == 50 && h[1] == 4) {
			if (ctx_load_bytes(ctx, off + 2, rq->req, 4))
				return -1;
			rq->has_req = 1;
		} else if (h[0] == 54 && h[1] == 4) {
			if (ctx_load_bytes(ctx, off + 2, rq->sid, 4))
				return -1;
			rq->has_sid = 1;
		}
		off += 2 + (__u32)h[1];
	}
	return -1;			/* too many options */
}

static __always_inline __u16 pp_csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * Answer the DHCP request of service port id (tags as for pp_respond).
 * Returns a verdict (answered, or CTX_ACT_TO_TC), PP_RESP_NONE (not a
 * request for this server: the frame goes on), PP_RESP_MALFORMED or
 * PP_RESP_BAD.
 */
__noinline int pp_dhcp_serve(struct __ctx_buff *ctx, __u32 id, __u32 tags)
{
	__u32 ntags = tags & 0xff, meta = (tags >> 8) & 1, l3, l4, cur, inbuf, udp_len, zero = 0;
	__u32 cookie, dst, i;
	struct pp_dhcp_req rq = {};
	struct pp_bootp_head bh;
	struct pp_ip4_hdr ip;
	struct pp_scratch *sc;
	struct pp_sport *sp;
	struct pp_dhcp *c;
	__be16 proto, udp[4];
	__u8 type, *b;
	__u64 sum;

	if (!ctx || ntags > PP_TAGS_MAX || meta > ntags)
		return PP_RESP_NONE;
	l3 = ETH_HLEN + 4 * (ntags - meta);
	if (ctx_load_bytes(ctx, l3 - 2, &proto, sizeof(proto)) || proto != bpf_htons(ETH_P_IP) ||
	    ctx_load_bytes(ctx, l3, &ip, sizeof(ip)) || ip.vihl != 0x45 ||
	    ip.proto != IPPROTO_UDP || (ip.frag & bpf_htons(0x3fff)) ||
	    ctx_load_bytes(ctx, l3 + 20, udp, sizeof(udp)) || udp[0] != bpf_htons(68) ||
	    udp[1] != bpf_htons(67))
		return PP_RESP_NONE;
	sp = bpf_map_lookup_elem(&PP_MAP_SPORTS, &id);
	c = bpf_map_lookup_elem(&PP_MAP_DHCP, &id);
	if (!sp || !c || !(sp->flags & PP_SPORT_DHCP))
		return PP_RESP_NONE;
#ifndef CTX_CAN_GROW
	return CTX_ACT_TO_TC;		/* XDP: the reply is longer: TC answers */
#endif
	l4 = l3 + 20;
	cur = ctx_wire_len(ctx, meta) - 4 * ntags;
	inbuf = cur + 4 * (ntags - meta);
	udp_len = bpf_ntohs(udp[2]);
	if (udp_len < 8 + 240 || l4 + udp_len > inbuf ||
	    ctx_load_bytes(ctx, l4 + 8, &bh, sizeof(bh)) ||
	    ctx_load_bytes(ctx, l4 + 8 + 236, &cookie, 4) ||
	    bh.op != 1 || bh.htype != 1 || bh.hlen != 6 || cookie != bpf_htonl(PP_DHCP_COOKIE) ||
	    pp_dhcp_opts(ctx, l4 + 8 + 240, l4 + udp_len, &rq) || !rq.type)
		goto malformed;

	if (rq.type == PP_DHCP_DISCOVER) {
		type = PP_DHCP_OFFER;
	} else if (rq.type == PP_DHCP_REQUEST) {
		if (rq.has_sid && __builtin_memcmp(rq.sid, c->server, 4))
			return PP_RESP_NONE;	/* the client chose another server */
		if (!rq.has_req)
			__builtin_memcpy(rq.req, bh.ciaddr, 4);
		type = __builtin_memcmp(rq.req, c->yiaddr, 4) ? PP_DHCP_NAK : PP_DHCP_ACK;
	} else {
		return PP_RESP_NONE;		/* release, decline, inform: go on */
	}

	sc = bpf_map_lookup_elem(&PP_MAP_SCRATCH, &zero);
	if (!sc)
		return PP_RESP_NONE;
	b = sc->buf;
	__builtin_memset(b, 0, PP_DHCP_REPLY_LEN);
	/* Ethernet: to the client, from the gateway */
	if (ctx_load_bytes(ctx, ETH_ALEN, b, ETH_ALEN))
		return PP_RESP_NONE;
	__builtin_memcpy(b + 6, c->server_mac, ETH_ALEN);
	b[12] = 0x08;
	/* IPv4: from the gateway to the client */
	b[14] = 0x45;
	b[16] = PP_DHCP_IP_LEN >> 8;
	b[17] = PP_DHCP_IP_LEN & 0xff;
	b[22] = 64;
	b[23] = IPPROTO_UDP;
	__builtin_memcpy(b + 26, c->server, 4);
	if (type == PP_DHCP_ACK && (bh.ciaddr[0] | bh.ciaddr[1] | bh.ciaddr[2] | bh.ciaddr[3]))
		__builtin_memcpy(b + 30, bh.ciaddr, 4);		/* a renewal */
	else
		__builtin_memset(b + 30, 0xff, 4);
	/* UDP 67 -> 68 */
	b[35] = 67;
	b[37] = 68;
	b[38] = PP_DHCP_UDP_LEN >> 8;
	b[39] = PP_DHCP_UDP_LEN & 0xff;
	/* BOOTREPLY */
	b[42] = 2;
	b[43] = 1;
	b[44] = 6;
	__builtin_memcpy(b + 46, &bh.xid, 4);
	__builtin_memcpy(b + 52, &bh.flags, 2);
	if (type == PP_DHCP_ACK)
		__builtin_memcpy(b + 54, bh.ciaddr, 4);
	if (type != PP_DHCP_NAK)
		__builtin_memcpy(b + 58, c->yiaddr, 4);
	__builtin_memcpy(b + 66, bh.giaddr, 4);
	__builtin_memcpy(b + 70, bh.chaddr, 16);
	b[PP_DHCP_O_BOOTP + 236] = 0x63;
	b[PP_DHCP_O_BOOTP + 237] = 0x82;
	b[PP_DHCP_O_BOOTP + 238] = 0x53;
	b[PP_DHCP_O_BOOTP + 239] = 0x63;
	/* options: message type, server identifier, then the loader's (or end) */
	b[PP_DHCP_O_OPTS + 0] = 53;
	b[PP_DHCP_O_OPTS + 1] = 1;
	b[PP_DHCP_O_OPTS + 2] = type;
	b[PP_DHCP_O_OPTS + 3] = 54;
	b[PP_DHCP_O_OPTS + 4] = 4;
	__builtin_memcpy(b + PP_DHCP_O_OPTS + 5, c->server, 4);
	if (type == PP_DHCP_NAK)
		b[PP_DHCP_O_OPTS + 9] = 255;
	else
		__builtin_memcpy(b + PP_DHCP_O_OPTS + 9, c->opts, PP_DHCP_OPTS_BLOB);

	/* checksums: the IP header, then UDP over its pseudo-header */
	sum = 0;
	for (i = 0; i < 10; i++)
		sum += ((__u16)b[PP_DHCP_O_IP + 2 * i] << 8) | b[PP_DHCP_O_IP + 2 * i + 1];
	sum = pp_csum_fold(sum);
	b[24] = sum >> 8;
	b[25] = sum & 0xff;
	__builtin_memcpy(&dst, b + 30, 4);
	sum = bpf_csum_diff(0, 0, (void *)(b + PP_DHCP_O_UDP), PP_DHCP_UDP_LEN, 0);
	sum += (__u64)(*(__u32 *)c->server) + dst + bpf_htons(IPPROTO_UDP) +
	       bpf_htons(PP_DHCP_UDP_LEN);
	sum = pp_csum_fold(sum);
	if (!sum)
		sum = 0xffff;
	__builtin_memcpy(b + 40, &sum, 2);	/* already in network order */

	i = pp_reply_send(ctx, sp, id, ntags, cur, PP_DHCP_REPLY_LEN, b, PP_DHCP_REPLY_LEN);
	if ((int)i >= 0) {
		if (type == PP_DHCP_OFFER)
			pp_count_svc(id, dhcp_offers);
		else if (type == PP_DHCP_ACK)
			pp_count_svc(id, dhcp_acks);
		else
			pp_count_svc(id, dhcp_naks);
	}
	return (int)i;
malformed:
	pp_count_svc(id, dhcp_malformed);
	return PP_RESP_MALFORMED;
}

#endif /* PP_BPF_DHCP_H */
