// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Fuzz target: the DHCP server (bpf/lib/dhcp.h: the request's BOOTP header
 * and options, the reply) through BPF_PROG_TEST_RUN of the tap program's TC
 * and XDP builds, and the loader's encoding of the server's options
 * (pp_dhcp_encode(), loader/services.c).
 *
 * The topology: one instance port (TAP1) with three service ports bound to
 * dhcp, each on a network of its own: VLAN 105, untagged, QinQ 300/10.
 *
 * The input: a 16-byte header, then (when the header asks for it) the
 * server's DNS servers and routes, then the UDP payload of a DHCP request
 * (BOOTP and options; at most PAYLOAD_MAX bytes).  The harness wraps the
 * payload into a well-formed frame from the port's MAC on the port's tags:
 * Ethernet to broadcast, IPv4 0.0.0.0 -> 255.255.255.255, UDP 68 -> 67.
 *   h[0]  bits 0-1: the port (0, 3: VLAN 105; 1: untagged; 2: QinQ)
 *         bit 2: TC runs the frame with its outer tag in skb metadata
 *         bit 3: the UDP length is h[1..2] (else the payload's, exact)
 *         bit 4: the server comes from h[3..14] (else the default one)
 *   h[3]  the client's address (10.0.5.h[3]), h[4] its prefix length
 *   h[5..8] the lease, h[9..10] the MTU option, h[11] the DNS servers
 *         (mod 5), h[12] the routes (mod 9), h[13] the server's address
 *         (10.0.5.h[13]), h[14] the last byte of the server's MAC
 *   then 4 bytes per DNS server, 9 per route (prefix length mod 33, 4 bytes
 *   of destination, 4 of gateway)
 *
 * The oracle (written from dhcp.h's header comment), besides the sanitizers:
 * - the encoded options decode back to what was encoded (RFC 2132, RFC 3442
 *   for option 121), end with 255, are zero after it and fit the blob;
 * - a reference reading of the request (lengths, BOOTREQUEST for Ethernet,
 *   the magic cookie, the options as the program walks them, at most
 *   PP_DHCP_OPTS_MAX of them) says: malformed (TC drops it, counts
 *   dhcp_malformed and a malformed drop on the instance port), not for this
 *   server (nothing answered, no service counter moves), or an OFFER, ACK
 *   or NAK (TC sends exactly one reply back out of the tap, and counts it);
 * - a reply is checked field by field: Ethernet and tags, IPv4 and UDP with
 *   valid checksums, BOOTREPLY copying the request's xid, flags, giaddr and
 *   chaddr, ciaddr (ACK) and yiaddr (not NAK), the options 53 and 54 then
 *   the encoded ones (or 255 for a NAK), zeros after;
 * - XDP hands every such frame to TC (XDP_PASS) unchanged, moving no counter.
 *
 * Needs root and BPF, as fuzz_frames.c.
 */
#include <sys/mount.h>
#include <linux/pkt_cls.h>
#include "xdpmode.h"
#include "services.h"
#include "progs.h"
#include "frames.h"
#include "fuzz.h"

#define HDR		16
#define PAYLOAD_MAX	1472	/* IPv4 + UDP + payload within the networks' MTU 1500 */
#define PIN_ROOT	"/sys/fs/bpf/pp-fuzz"
#define FR		2048
#define OPTS_MAX	64	/* PP_DHCP_OPTS_MAX of bpf/lib/dhcp.h: options read, pads included */

enum { TAP1 = 11, DEV1 = 21, DEV2, DEV3 };
enum { SLOT1 = 1 };
enum { O_MALFORMED = -1, O_NONE = 0, O_OFFER = 2, O_ACK = 5, O_NAK = 6 };

static const uint32_t devices[] = { TAP1, DEV1, DEV2, DEV3 };
static const uint8_t M1[6] = { 0x52, 0x54, 0, 0, 0, 0x01 };
static const uint8_t M3[6] = { 0x52, 0x54, 0, 0, 0, 0x03 };
static const uint8_t M5[6] = { 0x52, 0x54, 0, 0, 0, 0x05 };
static const uint8_t GW[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t COOKIE[4] = { 0x63, 0x82, 0x53, 0x63 };

struct port {
	uint32_t id, net, dev;
	uint8_t match;
	uint16_t o, i;
	const uint8_t *mac;
	unsigned ntags;
	uint8_t tags[8];	/* on the wire */
};

static const struct port ports[] = {
	{ 1, 1, DEV1, PP_MATCH_VLAN, 105, 0, M3, 1, { 0x81, 0, 0, 105 } },
	{ 2, 2, DEV2, PP_MATCH_UNTAGGED, 0, 0, M1, 0, { 0 } },
	{ 3, 3, DEV3, PP_MATCH_QINQ, 300, 10, M5, 2,
	  { 0x88, 0xa8, 300 >> 8, 300 & 0xff, 0x81, 0, 0, 10 } },
};

static const struct pp_map_sizes sizes = { .max_ifindex = 64, .max_iports = 4, .max_sports = 8,
					   .max_nets = 8, .max_macs = 64, .max_match = 16 };
static struct progs p;

/* What TC did: by the reference's outcome, port, tag placement and verdict. */
FUZZ_FEATURES(outcomes, 8 * 3 * 2 * 8);

static void fail(const char *why, int err)
{
	fprintf(stderr, "fuzz_dhcp: %s: %s\n", why, strerror(-err));
	exit(1);
}

/* The server by default: 10.0.5.5/24 from 10.0.5.1, DNS 10.0.5.2, one route. */
static void server_default(struct pp_dhcp *d)
{
	static const uint8_t yi[4] = { 10, 0, 5, 5 }, gw[4] = { 10, 0, 5, 1 },
			     dns[1][4] = { { 10, 0, 5, 2 } };
	static const struct pp_dhcp_route_in rt = { .dst = { 192, 168, 0, 0 }, .plen = 16,
						    .via = { 10, 0, 5, 1 } };
	int err = pp_dhcp_encode(d, yi, 24, gw, GW, 3600, 1450, dns, 1, &rt, 1);

	if (err)
		fail("encoding the default server", err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pp_iport ip = { .ifindex = TAP1, .mtu = 1500 };
	struct pp_dhcp d;
	int err;

	(void)argc;
	(void)argv;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		fail("a bpffs of our own (needs root)", -errno);
	for (int i = 0; i < PPM_COUNT; i++)
		p.maps.fd[i] = -1;
	if ((err = progs_netns(devices, sizeof(devices) / sizeof(devices[0]))) ||
	    (err = progs_load(&p, PIN_ROOT, &sizes)))
		fail("loading the programs (needs root and BPF)", err);
	memcpy(ip.mac, M1, 6);
	server_default(&d);
	if ((err = pp_dp_iport_install(&p.maps, SLOT1, &ip, NULL)))
		fail("the instance port", err);
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		const struct port *q = &ports[i];
		struct pp_net n = { .ifindex = q->dev, .mtu = 1500 };
		struct pp_sport sp = { .slot = SLOT1, .net_id = q->net, .match = q->match,
				       .outer_vid = q->o, .inner_vid = q->i, .flags = PP_SPORT_DHCP };

		memcpy(sp.mac, q->mac, 6);
		if ((err = pp_dp_net_install(&p.maps, q->net, &n)) ||
		    (err = pp_dp_sport_install(&p.maps, q->id, &sp)) ||
		    (err = pp_dhcp_put(&p.maps, q->id, &d)))
			fail("a service port", err);
	}
	for (unsigned i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if ((err = pp_xdp_tx_set(&p.maps, devices[i], true)))
			fail("pp_xdp_tx", err);
	return 0;
}

/* ---- the server's options ------------------------------------------------------------ */
static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

/* Does the encoded blob say exactly what was encoded? */
static void check_encoding(const struct pp_dhcp *d, uint8_t plen, uint32_t lease, uint16_t mtu,
			   const uint8_t (*dns)[4], unsigned n_dns,
			   const struct pp_dhcp_route_in *rt, unsigned n_rt)
{
	const uint8_t *o = d->opts;
	uint32_t mask = plen ? ~0u << (32 - plen) : 0, n = 0;

	FUZZ_CHECK(d->opts_len >= 1 && d->opts_len <= PP_DHCP_OPTS_BLOB, "opts_len %u",
		   d->opts_len);
	FUZZ_CHECK(o[0] == 51 && o[1] == 4 && get32(o + 2) == lease, "lease");
	FUZZ_CHECK(o[6] == 1 && o[7] == 4 && get32(o + 8) == mask, "mask /%u", plen);
	FUZZ_CHECK(o[12] == 3 && o[13] == 4 && !memcmp(o + 14, d->server, 4), "router");
	n = 18;
	if (n_dns) {
		FUZZ_CHECK(o[n] == 6 && o[n + 1] == 4 * n_dns, "DNS option");
		for (unsigned i = 0; i < n_dns; i++)
			FUZZ_CHECK(!memcmp(o + n + 2 + 4 * i, dns[i], 4), "DNS server %u", i);
		n += 2 + 4 * n_dns;
	}
	FUZZ_CHECK(o[n] == 26 && o[n + 1] == 2 && (o[n + 2] << 8 | o[n + 3]) == mtu, "MTU option");
	n += 4;
	if (n_rt) {
		uint32_t end, at;

		FUZZ_CHECK(o[n] == 121, "option 121 missing");
		end = n + 2 + o[n + 1];
		at = n + 2;
		for (unsigned i = 0; i <= n_rt; i++) {	/* the routes, then the default one */
			uint8_t want_plen = i < n_rt ? rt[i].plen : 0;
			unsigned sig = (want_plen + 7u) / 8;

			FUZZ_CHECK(at + 1 + sig + 4 <= end && o[at] == want_plen,
				   "route %u: prefix length", i);
			FUZZ_CHECK(i == n_rt || !memcmp(o + at + 1, rt[i].dst, sig),
				   "route %u: destination", i);
			FUZZ_CHECK(!memcmp(o + at + 1 + sig, i < n_rt ? rt[i].via : d->server, 4),
				   "route %u: gateway", i);
			at += 1 + sig + 4;
		}
		FUZZ_CHECK(at == end, "option 121: %u bytes left", end - at);
		n = end;
	}
	FUZZ_CHECK(o[n] == 255 && d->opts_len == n + 1, "end option at %u, opts_len %u", n,
		   d->opts_len);
	for (n++; n < PP_DHCP_OPTS_BLOB; n++)
		FUZZ_CHECK(!o[n], "byte %u after the end option", n);
}

/* The server h asks for (the default one without bit 4); moves *in past its DNS/routes. */
static int server_of(const uint8_t *h, const uint8_t **in, size_t *left, struct pp_dhcp *d)
{
	uint8_t yi[4] = { 10, 0, 5, h[3] }, sv[4] = { 10, 0, 5, h[13] }, mac[6], dns[4][4];
	struct pp_dhcp_route_in rt[8];
	unsigned n_dns = h[11] % 5, n_rt = h[12] % 9;
	uint8_t plen = h[4] % 33;
	uint32_t lease = get32(h + 5);
	uint16_t mtu = h[9] << 8 | h[10];
	int err;

	if (!(h[0] & 0x10)) {
		server_default(d);
		return 0;
	}
	if (*left < 4 * n_dns + 9 * n_rt)
		return -1;
	for (unsigned i = 0; i < n_dns; i++, *in += 4)
		memcpy(dns[i], *in, 4);
	for (unsigned i = 0; i < n_rt; i++, *in += 9) {
		rt[i].plen = (*in)[0] % 33;
		memcpy(rt[i].dst, *in + 1, 4);
		memcpy(rt[i].via, *in + 5, 4);
	}
	*left -= 4 * n_dns + 9 * n_rt;
	memcpy(mac, GW, 6);
	mac[5] = h[14];
	err = pp_dhcp_encode(d, yi, plen, sv, mac, lease, mtu, (const uint8_t (*)[4])dns, n_dns,
			     rt, n_rt);
	FUZZ_CHECK(!err, "pp_dhcp_encode: %s (the options of a valid configuration fit)",
		   strerror(-err));
	check_encoding(d, plen, lease, mtu, (const uint8_t (*)[4])dns, n_dns, rt, n_rt);
	return 0;
}

/* ---- the request, as dhcp.h reads it --------------------------------------------------- */
static int reference(const uint8_t *b, uint32_t len, uint32_t udp_len, const struct pp_dhcp *c)
{
	uint8_t type = 0, req[4], sid[4];
	int has_req = 0, has_sid = 0;
	uint32_t off = 240, end, i;

	if (udp_len < 8 + 240 || udp_len > 8 + len)
		return O_MALFORMED;
	if (b[0] != 1 || b[1] != 1 || b[2] != 6 || memcmp(b + 236, COOKIE, 4))
		return O_MALFORMED;
	end = udp_len - 8;
	for (i = 0; i < OPTS_MAX; i++) {
		if (off >= end)
			return O_MALFORMED;	/* no end option */
		if (b[off] == 255)
			break;
		if (b[off] == 0) {
			off++;
			continue;
		}
		if (off + 2 > end || off + 2 + b[off + 1] > end)
			return O_MALFORMED;	/* runs past the end */
		if (b[off] == 53 && b[off + 1] == 1) {
			type = b[off + 2];
		} else if (b[off] == 50 && b[off + 1] == 4) {
			memcpy(req, b + off + 2, 4);
			has_req = 1;
		} else if (b[off] == 54 && b[off + 1] == 4) {
			memcpy(sid, b + off + 2, 4);
			has_sid = 1;
		}
		off += 2 + b[off + 1];
	}
	if (i == OPTS_MAX || !type)
		return O_MALFORMED;		/* too many options, no message type */
	if (type == 1)
		return O_OFFER;
	if (type != 3 || (has_sid && memcmp(sid, c->server, 4)))
		return O_NONE;			/* not a DISCOVER/REQUEST, another server */
	if (!has_req)
		memcpy(req, b + 12, 4);		/* ciaddr: a renewal */
	return memcmp(req, c->yiaddr, 4) ? O_NAK : O_ACK;
}

static int zero(const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* The reply r (len bytes as it leaves, tags in the frame) to request b. */
static void check_reply(const uint8_t *r, uint32_t len, const struct port *q, const uint8_t *b,
			const struct pp_dhcp *c, int type)
{
	static const uint8_t bc[4] = { 255, 255, 255, 255 };
	const uint8_t *ip = r + 14 + 4 * q->ntags, *udp = ip + 20, *bp = udp + 8, *o = bp + 240;
	const uint8_t *dst = type == O_ACK && !zero(b + 12, 4) ? b + 12 : bc;

	FUZZ_CHECK(len == 474 + 4 * q->ntags, "reply of %u bytes", len);
	FUZZ_CHECK(!memcmp(r, q->mac, 6) && !memcmp(r + 6, c->server_mac, 6), "reply's MACs");
	FUZZ_CHECK(!memcmp(r + 12, q->tags, 4 * q->ntags), "reply's tags");
	FUZZ_CHECK(ip[-2] == 0x08 && ip[-1] == 0, "reply's ethertype");
	FUZZ_CHECK(ip[0] == 0x45 && (ip[2] << 8 | ip[3]) == 460 && ip[8] == 64 && ip[9] == 17 &&
		   !(ip[6] & 0x3f) && !ip[7], "reply's IPv4 header");
	FUZZ_CHECK(fr_csum(ip, 20, 0) == 0xffff, "reply's IPv4 checksum");
	FUZZ_CHECK(!memcmp(ip + 12, c->server, 4) && !memcmp(ip + 16, dst, 4),
		   "reply's IPv4 addresses");
	FUZZ_CHECK((udp[0] << 8 | udp[1]) == 67 && (udp[2] << 8 | udp[3]) == 68 &&
		   (udp[4] << 8 | udp[5]) == 440, "reply's UDP ports and length");
	FUZZ_CHECK((udp[6] | udp[7]) && fr_udp4_csum_ok(ip, udp, 440), "reply's UDP checksum");
	FUZZ_CHECK(bp[0] == 2 && bp[1] == 1 && bp[2] == 6 && !bp[3], "BOOTREPLY header");
	FUZZ_CHECK(!memcmp(bp + 4, b + 4, 4) && zero(bp + 8, 2) && !memcmp(bp + 10, b + 10, 2),
		   "xid, secs, flags");
	FUZZ_CHECK(type == O_ACK ? !memcmp(bp + 12, b + 12, 4) : zero(bp + 12, 4), "ciaddr");
	FUZZ_CHECK(type == O_NAK ? zero(bp + 16, 4) : !memcmp(bp + 16, c->yiaddr, 4), "yiaddr");
	FUZZ_CHECK(zero(bp + 20, 4) && !memcmp(bp + 24, b + 24, 4) && !memcmp(bp + 28, b + 28, 16),
		   "siaddr, giaddr, chaddr");
	FUZZ_CHECK(zero(bp + 44, 192) && !memcmp(bp + 236, COOKIE, 4), "sname, file, cookie");
	FUZZ_CHECK(o[0] == 53 && o[1] == 1 && o[2] == type && o[3] == 54 && o[4] == 4 &&
		   !memcmp(o + 5, c->server, 4), "options 53 and 54");
	if (type == O_NAK)
		FUZZ_CHECK(o[9] == 255 && zero(o + 10, 192 - 10), "a NAK's options");
	else
		FUZZ_CHECK(!memcmp(o + 9, c->opts, c->opts_len) &&
			   zero(o + 9 + c->opts_len, 192 - 9 - c->opts_len), "the server's options");
}

/* ---- running ---------------------------------------------------------------------------- */
struct counts {
	struct pp_svc_stats s;
	struct pp_drops d;
};

static void counts_get(const struct port *q, struct counts *c)
{
	memset(c, 0, sizeof(*c));
	FUZZ_CHECK(!pp_svc_stats_get(&p.maps, q->id, &c->s) &&
		   !pp_iport_drops_get(&p.maps, SLOT1, &c->d), "reading the counters");
}

/* Between a and b: exactly the outcome's service counter moved, and a malformed drop for one. */
static void check_moved(const struct counts *a, const struct counts *b, int outcome)
{
	struct pp_svc_stats want = a->s;

	want.dhcp_offers += outcome == O_OFFER;
	want.dhcp_acks += outcome == O_ACK;
	want.dhcp_naks += outcome == O_NAK;
	want.dhcp_malformed += outcome == O_MALFORMED;
	FUZZ_CHECK(!memcmp(&want, &b->s, sizeof(want)),
		   "service counters: offers %llu acks %llu naks %llu malformed %llu, outcome %d",
		   (unsigned long long)(b->s.dhcp_offers - a->s.dhcp_offers),
		   (unsigned long long)(b->s.dhcp_acks - a->s.dhcp_acks),
		   (unsigned long long)(b->s.dhcp_naks - a->s.dhcp_naks),
		   (unsigned long long)(b->s.dhcp_malformed - a->s.dhcp_malformed), outcome);
	if (outcome == O_MALFORMED)
		FUZZ_CHECK(b->d.reason[PP_DROP_MALFORMED] == a->d.reason[PP_DROP_MALFORMED] + 1,
			   "the malformed drop not counted");
	else if (outcome != O_NONE)
		FUZZ_CHECK(!memcmp(&a->d, &b->d, sizeof(a->d)), "a drop counted for a reply");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t f[FR], out[FR], got[FR + 8];
	const struct port *q;
	const uint8_t *in = data + HDR, *bootp;
	size_t left;
	struct prog_run r = { .tap = 1, .ifindex = TAP1, .in = f, .out = out,
			      .out_size = sizeof(out) };
	struct counts c0, c1;
	struct pp_dhcp d;
	uint32_t plen, udp_len, l3, wl, nlog;
	int meta, outcome, err;

	if (size < HDR)
		return 0;
	left = size - HDR;
	q = &ports[(data[0] & 3) == 3 ? 0 : data[0] & 3];
	meta = (data[0] & 4) && q->ntags;
	if (server_of(data, &in, &left, &d))
		return 0;
	FUZZ_CHECK(!(err = pp_dhcp_put(&p.maps, q->id, &d)), "pp_dhcp: %s", strerror(-err));

	/* the frame: Ethernet, the port's tags, IPv4, UDP, the payload */
	plen = left > PAYLOAD_MAX ? PAYLOAD_MAX : (uint32_t)left;
	udp_len = data[0] & 8 ? (uint32_t)(data[1] << 8 | data[2]) : 8 + plen;
	memset(f, 0xff, 6);
	memcpy(f + 6, q->mac, 6);
	memcpy(f + 12, q->tags, 4 * q->ntags);
	l3 = 14 + 4 * q->ntags;
	f[l3 - 2] = 0x08;
	f[l3 - 1] = 0;
	memset(f + l3, 0, 28);
	f[l3] = 0x45;
	f[l3 + 2] = (20 + 8 + plen) >> 8;
	f[l3 + 3] = (20 + 8 + plen) & 0xff;
	f[l3 + 8] = 64;
	f[l3 + 9] = 17;
	memset(f + l3 + 16, 0xff, 4);
	f[l3 + 21] = 68;
	f[l3 + 23] = 67;
	f[l3 + 24] = udp_len >> 8;
	f[l3 + 25] = udp_len & 0xff;
	bootp = f + l3 + 28;
	memcpy(f + l3 + 28, in, plen);
	r.len = l3 + 28 + plen;
	outcome = reference(bootp, plen, udp_len, &d);

	/* XDP: hands it to TC as it is, counting nothing */
	counts_get(q, &c0);
	r.xdp = 1;
	err = progs_run(&p, &r);
	FUZZ_CHECK(!err, "XDP test run: %s", strerror(-err));
	counts_get(q, &c1);
	FUZZ_CHECK(r.retval == XDP_PASS && r.size_out == r.len && !memcmp(out, f, r.len) && !r.nlog,
		   "XDP: verdict %u, not handed to TC unchanged", r.retval);
	FUZZ_CHECK(!memcmp(&c0, &c1, sizeof(c0)), "XDP moved a counter");

	/* TC: the outer tag in the frame, or in skb metadata */
	r.xdp = 0;
	r.meta = meta;
	err = progs_run(&p, &r);
	FUZZ_CHECK(!err, "TC test run: %s", strerror(-err));
	counts_get(q, &c0);
	if (getenv("PP_FUZZ_LOG"))	/* what each input did, to see what a corpus reaches */
		fprintf(stderr, "dhcp: port %u%s, udp length %u of %u, outcome %d, verdict %u\n",
			q->id, meta ? " (tag in metadata)" : "", udp_len, 8 + plen, outcome,
			r.retval);
	FUZZ_FEATURE(outcomes, (((outcome + 1) * 3 + (q - ports)) * 2 + meta) * 8 + r.retval % 8);
	check_moved(&c1, &c0, outcome);
	nlog = r.nlog;
	switch (outcome) {
	case O_MALFORMED:
		FUZZ_CHECK(r.retval == TC_ACT_SHOT && !nlog, "malformed: verdict %u, %u outputs",
			   r.retval, nlog);
		break;
	case O_NONE:	/* goes on into its network, never back to the VM */
		for (uint32_t i = 0; i < nlog && i < PP_TEST_LOG_MAX; i++)
			FUZZ_CHECK(r.log[i].ifindex == q->dev,
				   "not for this server, yet output %u to %u", i, r.log[i].ifindex);
		break;
	default:
		FUZZ_CHECK(r.retval == TC_ACT_REDIRECT && nlog == 1 &&
			   r.log[0].kind == PP_TEST_REDIRECT && r.log[0].ifindex == TAP1,
			   "reply %d: verdict %u, %u outputs", outcome, r.retval, nlog);
		wl = wire(&r.log[0], out, r.size_out, got);
		check_reply(got, wl, q, in, &d, outcome);
	}
	return 0;
}
