// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyport — binding files: values. The public parsers and formatters of
 * names, interface names, MACs and addresses (config.h), and the same read
 * from a YAML node with the loader's errors (integers, MACs, interface
 * names, addresses, booleans).
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "util.h"

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

bool pp_name_valid(const char *s, size_t len)
{
	if (len < 1 || len > PP_NAME_MAX || !is_alnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = s[i];

		if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

bool pp_ifname_valid(const char *s, size_t len)
{
	if (len < 1 || len > PP_IFNAME_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		/* the kernel's dev_valid_name(): no '/', ':' or isspace() */
		if (c == 0 || c == '/' || c == ':' || c == ' ' ||
		    (c >= '\t' && c <= '\r'))
			return false;
	}
	return true;
}

int pp_mac_parse(const char *s, size_t len, uint8_t mac[PP_ETH_ALEN])
{
	if (len != PP_MAC_STRLEN - 1)
		return -EINVAL;
	for (int i = 0; i < PP_ETH_ALEN; i++) {
		int hi = pp_hexval(s[3 * i]), lo = pp_hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < PP_ETH_ALEN - 1 && s[3 * i + 2] != ':')
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void pp_mac_format(const uint8_t mac[PP_ETH_ALEN], char buf[PP_MAC_STRLEN])
{
	snprintf(buf, PP_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* ---- addresses ---------------------------------------------------------- */

int pp_addr_parse(const char *s, size_t len, struct pp_cfg_addr *a, bool need_len)
{
	unsigned int plen = 0, max;
	char buf[64], *slash;

	memset(a, 0, sizeof(*a));
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	slash = strchr(buf, '/');
	if (need_len && !slash)
		return -EINVAL;
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->family = PP_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = PP_AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		const char *p = slash + 1;
		size_t n = strlen(p);

		if (!n || n > 3 || (p[0] == '0' && n > 1))
			goto bad;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				goto bad;
			plen = plen * 10 + (unsigned int)(*p - '0');
		}
		if (plen > max)
			goto bad;
	} else {
		plen = max;
	}
	a->plen = (uint8_t)plen;
	return 0;
bad:
	memset(a, 0, sizeof(*a));
	return -EINVAL;
}

void pp_addr_format(const struct pp_cfg_addr *a, bool with_len, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->family == PP_AF_INET ? AF_INET : AF_INET6, a->addr, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	if (with_len)
		snprintf(buf, len, "%s/%u", s, a->plen);
	else
		snprintf(buf, len, "%s", s);
}

/* 02:xx:xx:xx:xx:xx, xx from the FNV-1a hash of the network's name. */
void pp_gateway_mac(const char *net_name, uint8_t mac[PP_ETH_ALEN])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)net_name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	mac[0] = 0x02;
	for (int i = 1; i < PP_ETH_ALEN; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
}

const char *pp_match_name(enum pp_match kind)
{
	switch (kind) {
	case PP_MATCH_VLAN:
		return "vlan";
	case PP_MATCH_QINQ:
		return "qinq";
	case PP_MATCH_UNTAGGED:
		return "untagged";
	case PP_MATCH_SRCMAC:
		return "src-mac";
	case PP_MATCH_NONE:
		break;
	}
	return "?";
}

/* s (len bytes) in b as "..." for a message (see struct qbuf) */
const char *quote(struct qbuf *b, const char *s, size_t len)
{
	size_t o = 0;

	b->s[o++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (o > 80) {
			memcpy(b->s + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			b->s[o++] = '\\';
			b->s[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(b->s + o, sizeof(b->s) - o,
					      "\\x%02x", c);
		} else {
			b->s[o++] = (char)c;
		}
	}
	b->s[o++] = '"';
	b->s[o] = 0;
	return b->s;
}

/* ---- values of YAML nodes ------------------------------------------------ */

/* A plain decimal integer in [lo, hi]: "0" or [1-9][0-9]*, no sign, no
 * quotes; a leading '-' is read so that negative numbers are reported as
 * out of range. */
bool parse_uint_node(struct ld *ld, const struct ynode *v, const char *what,
		     uint32_t lo, uint32_t hi, uint32_t *out)
{
	const char *s = v->str;
	size_t len = v->len, i = 0;
	uint64_t val = 0;
	bool neg = false, ok;
	struct qbuf qb;

	if (v->type == Y_BAD)
		return false;
	if (v->type != Y_SCALAR || is_null(v)) {
		err_node(ld, v, "%s must be an integer %u-%u, got %s", what, lo,
			 hi, node_desc(&qb, v));
		return false;
	}
	if (v->plain && len && s[0] == '-') {
		neg = true;
		i = 1;
	}
	ok = v->plain && i < len && (s[i] != '0' || len - i == 1);
	for (; ok && i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			ok = false;
		else if (val <= UINT32_MAX)
			val = val * 10 + (uint64_t)(s[i] - '0');
	}
	if (!ok) {
		err_node(ld, v, "%s must be a decimal integer %u-%u, got %s%s",
			 what, lo, hi, quote(&qb, s, len),
			 v->plain ? "" : " (quoted)");
		return false;
	}
	if (neg || val < lo || val > hi) {
		err_node(ld, v, "%s %.*s is out of range %u-%u", what,
			 (int)(len > 40 ? 40 : len), s, lo, hi);
		return false;
	}
	*out = (uint32_t)val;
	read_as(v, YR_INT);
	return true;
}

bool parse_mac_node(struct ld *ld, const struct ynode *v,
		    const char *what, uint8_t mac[PP_ETH_ALEN])
{
	static const uint8_t zero[PP_ETH_ALEN];
	char s[PP_MAC_STRLEN];
	struct qbuf qb;

	if (is_null(v)) {
		err_node(ld, v, "%s must be a MAC address, got an empty value",
			 what);
		return false;
	}
	if (pp_mac_parse(v->str, v->len, mac)) {
		err_node(ld, v, "invalid MAC %s for %s (expected aa:bb:cc:dd:ee:ff)",
			 quote(&qb, v->str, v->len), what);
		return false;
	}
	if (mac[0] & 1) {
		pp_mac_format(mac, s);
		err_node(ld, v, "multicast MAC %s is not allowed for %s", s, what);
		return false;
	}
	if (!memcmp(mac, zero, PP_ETH_ALEN)) {
		err_node(ld, v, "all-zero MAC is not allowed for %s", what);
		return false;
	}
	return true;
}

bool parse_ifname_node(struct ld *ld, const struct ynode *v,
		       const char *what, char out[PP_IFNAME_MAX + 1])
{
	struct qbuf qb;

	if (is_null(v)) {
		err_node(ld, v, "%s must be an interface name, got an empty value",
			 what);
		return false;
	}
	if (!pp_ifname_valid(v->str, v->len)) {
		err_node(ld, v, "invalid device name %s for %s (1-15 bytes, no '/', ':' or whitespace, not \".\" or \"..\")",
			 quote(&qb, v->str, v->len), what);
		return false;
	}
	memset(out, 0, PP_IFNAME_MAX + 1);
	memcpy(out, v->str, v->len);
	return true;
}

/* An address (host: no /len; else an optional or, need_len, required /len)
 * of family fam (PP_AF_NONE: either). */
bool parse_addr_node(struct ld *ld, const struct ynode *v, const char *what,
		     bool host, bool need_len, uint8_t fam, struct pp_cfg_addr *a)
{
	struct qbuf qb;

	if (v->type == Y_BAD)
		return false;
	if (v->type != Y_SCALAR || is_null(v)) {
		err_node(ld, v, "%s must be an IP address, got %s", what, node_desc(&qb, v));
		return false;
	}
	if (pp_addr_parse(v->str, v->len, a, need_len) ||
	    (host && memchr(v->str, '/', v->len))) {
		err_node(ld, v, "invalid %s %s (expected %s)", what, quote(&qb, v->str, v->len),
			 host ? "an IPv4 or IPv6 address" :
			 need_len ? "an IPv4 or IPv6 address/len" :
				    "an IPv4 or IPv6 address, optionally /len");
		return false;
	}
	if (fam && a->family != fam) {
		err_node(ld, v, "%s must be an IPv%u address, got %s", what, fam,
			 quote(&qb, v->str, v->len));
		return false;
	}
	return true;
}

/* A plain true or false (YAML's spellings: true, True, TRUE, ...). */
bool parse_bool_node(struct ld *ld, const struct ynode *v, const char *what,
		     bool *out)
{
	static const char *const t[] = { "true", "True", "TRUE" };
	static const char *const f[] = { "false", "False", "FALSE" };
	struct qbuf qb;

	for (size_t i = 0; v->plain && i < ARRAY_SIZE(t); i++) {
		if (!strcmp(v->str, t[i]) || !strcmp(v->str, f[i])) {
			*out = !strcmp(v->str, t[i]);
			read_as(v, YR_BOOL);
			return true;
		}
	}
	err_node(ld, v, "%s must be true or false, got %s", what, node_desc(&qb, v));
	return false;
}
