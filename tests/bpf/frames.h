/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Building test frames: Ethernet, up to three tags, an ethertype, a payload;
 * and the Internet checksum, to check the frames the programs write.
 */
#ifndef PP_TEST_FRAMES_H
#define PP_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>

#define FR_MAX 9200

struct tag {
	uint16_t tpid;		/* 0 ends the list */
	uint16_t tci;
};

struct fspec {
	const uint8_t *dst, *src;
	struct tag tags[3];
	uint16_t proto;		/* ethertype after the tags; 0 = 0x0800 */
	uint32_t payload;	/* bytes after the ethertype; 0 = 46 */
	uint32_t cut;		/* if non-zero, the frame is cut to this length */
	const uint8_t *raw;	/* if set: the bytes after the tags (ethertype */
	uint32_t raw_len;	/* included) instead of proto and payload */
};

static inline unsigned fr_ntags(const struct fspec *f)
{
	unsigned n = 0;

	while (n < 3 && f->tags[n].tpid)
		n++;
	return n;
}

/*
 * Would a receive path move f's outer tag into skb metadata (the TC runs'
 * second variant)?  Only an 0x8100 or 0x88a8 tag, in a frame that is whole.
 */
static inline int fr_meta_ok(const struct fspec *f)
{
	return fr_ntags(f) && !f->cut &&
	       (f->tags[0].tpid == 0x8100 || f->tags[0].tpid == 0x88a8);
}

/* Write the frame into buf; returns its length. */
static inline uint32_t fr_build(uint8_t *buf, const struct fspec *f)
{
	uint32_t off = 12, payload = f->payload ? f->payload : 46;
	uint16_t proto = f->proto ? f->proto : 0x0800;

	memcpy(buf, f->dst, 6);
	memcpy(buf + 6, f->src, 6);
	for (unsigned i = 0; i < fr_ntags(f); i++) {
		buf[off++] = f->tags[i].tpid >> 8;
		buf[off++] = f->tags[i].tpid & 0xff;
		buf[off++] = f->tags[i].tci >> 8;
		buf[off++] = f->tags[i].tci & 0xff;
	}
	if (f->raw) {
		memcpy(buf + off, f->raw, f->raw_len);
		off += f->raw_len;
		payload = 0;
	} else {
		buf[off++] = proto >> 8;
		buf[off++] = proto & 0xff;
	}
	for (uint32_t i = 0; i < payload && off < FR_MAX; i++)
		buf[off++] = (uint8_t)(0xa5 ^ i);
	if (f->cut && f->cut < off)
		off = f->cut;
	return off;
}

/*
 * The ones' complement sum of n bytes at p (big-endian 16-bit words, an odd
 * last byte padded with zero) added to sum, folded to 16 bits: 0xffff over
 * a header (or pseudo-header and datagram) whose checksum is right.
 */
static inline uint16_t fr_csum(const uint8_t *p, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Is the checksum of UDP datagram udp (len bytes) of IPv4 header ip right (RFC 768)? */
static inline int fr_udp4_csum_ok(const uint8_t *ip, const uint8_t *udp, uint16_t len)
{
	uint8_t pseudo[12];

	memcpy(pseudo, ip + 12, 8);	/* source and destination addresses */
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = len >> 8;
	pseudo[11] = len & 0xff;
	return fr_csum(udp, len, fr_csum(pseudo, 12, 0)) == 0xffff;
}

#endif
