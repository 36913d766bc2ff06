// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The services' names and encoders (see services.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "services.h"
#include "util.h"

const char *const pp_service_names[PP_SERVICE_COUNT] = {
	[PP_SERVICE_NETWORK]	= PP_SERVICE_NAME_NETWORK,
	[PP_SERVICE_L3]		= PP_SERVICE_NAME_L3,
	[PP_SERVICE_SECURITY]	= PP_SERVICE_NAME_SECURITY,
	[PP_SERVICE_RESPONDER]	= PP_SERVICE_NAME_RESPONDER,
	[PP_SERVICE_DHCP]	= PP_SERVICE_NAME_DHCP,
};

int pp_service_find(const char *name)
{
	for (int i = 0; i < PP_SERVICE_COUNT; i++)
		if (!strcmp(name, pp_service_names[i]))
			return i;
	return -1;
}

/* ---- DHCP ---------------------------------------------------------------- */

int pp_dhcp_encode(struct pp_dhcp *d, const __u8 yiaddr[4], __u8 plen, const __u8 server[4],
		   const __u8 server_mac[6], __u32 lease, __u16 mtu, const __u8 (*dns)[4],
		   unsigned n_dns, const struct pp_dhcp_route_in *routes, unsigned n_routes)
{
	__u32 mask = plen ? ~0u << (32 - plen) : 0;
	__u8 *o = d->opts;
	unsigned n = 0, len_at;

#define PUT(b) do { if (n >= PP_DHCP_OPTS_BLOB) return -E2BIG; o[n++] = (__u8)(b); } while (0)
#define PUT4(a) do { PUT((a)[0]); PUT((a)[1]); PUT((a)[2]); PUT((a)[3]); } while (0)
	memset(d, 0, sizeof(*d));
	memcpy(d->yiaddr, yiaddr, 4);
	memcpy(d->server, server, 4);
	memcpy(d->server_mac, server_mac, 6);
	PUT(51); PUT(4); PUT(lease >> 24); PUT(lease >> 16); PUT(lease >> 8); PUT(lease);
	PUT(1); PUT(4); PUT(mask >> 24); PUT(mask >> 16); PUT(mask >> 8); PUT(mask);
	PUT(3); PUT(4); PUT4(server);
	if (n_dns) {
		PUT(6);
		PUT(4 * n_dns);
		for (unsigned i = 0; i < n_dns; i++)
			PUT4(dns[i]);
	}
	PUT(26); PUT(2); PUT(mtu >> 8); PUT(mtu);
	if (n_routes) {
		PUT(121);
		len_at = n;
		PUT(0);
		for (unsigned i = 0; i < n_routes; i++) {
			PUT(routes[i].plen);
			for (unsigned j = 0; j < (routes[i].plen + 7u) / 8; j++)
				PUT(routes[i].dst[j]);
			PUT4(routes[i].via);
		}
		PUT(0);		/* the default route, via the gateway */
		PUT4(server);
		o[len_at] = (__u8)(n - len_at - 1);
	}
	PUT(255);
#undef PUT
#undef PUT4
	d->opts_len = (__u8)n;
	return 0;
}

/* ---- responder ----------------------------------------------------------- */

void pp_neigh_encode(struct pp_neigh_key *k, struct pp_neigh *v, __u32 net_id,
		     const struct pp_cfg_addr *a, const __u8 mac[6], __u8 flags)
{
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->net_id = net_id;
	k->family = a->family == PP_AF_INET ? PP_NEIGH_V4 : PP_NEIGH_V6;
	memcpy(k->addr, a->addr, a->family == PP_AF_INET ? 4 : 16);
	v->flags = flags;
	memcpy(v->mac, mac, 6);
}

/* ---- security ------------------------------------------------------------ */

void pp_sec_src_encode(struct pp_sec_key *k, struct pp_sec_src *v, __u32 sport,
		       const struct pp_cfg_addr *a, __u8 plen, const __u8 mac[6])
{
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->prefixlen = PP_SEC_PREFIX(plen);
	k->sport = sport;
	k->family = a->family == PP_AF_INET ? PP_NEIGH_V4 : PP_NEIGH_V6;
	/* the prefix only: an LPM trie keeps the bits it is given */
	for (unsigned b = 0; b < plen; b++)
		k->addr[b / 8] |= a->addr[b / 8] & (0x80 >> (b % 8));
	memcpy(v->mac, mac, 6);
}

void pp_link_local_of(struct pp_cfg_addr *ll, const __u8 mac[6])
{
	memset(ll, 0, sizeof(*ll));
	ll->family = PP_AF_INET6;
	ll->plen = 128;
	ll->addr[0] = 0xfe;
	ll->addr[1] = 0x80;
	ll->addr[8] = mac[0] ^ 2;
	ll->addr[9] = mac[1];
	ll->addr[10] = mac[2];
	ll->addr[11] = 0xff;
	ll->addr[12] = 0xfe;
	memcpy(ll->addr + 13, mac + 3, 3);
}

/* ---- stateless rules: the compiler --------------------------------------- */

void pp_rule_in_of(struct pp_rule_in *o, const struct pp_cfg_rule *c)
{
	memset(o, 0, sizeof(*o));
	o->proto = c->proto;
	o->allow = c->allow;
	o->has_type = c->has_icmp_type;
	o->type = c->icmp_type;
	o->lo = c->port_lo;
	o->hi = c->port_hi;
	o->slo = c->sport_lo;
	o->shi = c->sport_hi;
	o->from_family = c->from.family;
	o->from_plen = c->from.plen;
	memcpy(o->from, c->from.addr, 16);
	o->to_family = c->to.family;
	o->to_plen = c->to.plen;
	memcpy(o->to, c->to.addr, 16);
}

/* The ICMP type answering type t of protocol proto (1, 58), or t itself. */
static __u8 icmp_answer(__u8 proto, __u8 t)
{
	static const __u8 v4[][2] = { { 8, 0 }, { 13, 14 }, { 15, 16 }, { 17, 18 } };

	if (proto == 58)
		return t == 128 ? 129 : t == 129 ? 128 : t;
	for (unsigned i = 0; proto == 1 && i < sizeof(v4) / sizeof(v4[0]); i++) {
		if (t == v4[i][0])
			return v4[i][1];
		if (t == v4[i][1])
			return v4[i][0];
	}
	return t;
}

void pp_rule_in_reverse(struct pp_rule_in *o, const struct pp_rule_in *r)
{
	*o = *r;
	if (r->has_type)
		o->type = icmp_answer(r->proto, r->type);
	o->lo = r->slo;
	o->hi = r->shi;
	o->slo = r->lo;
	o->shi = r->hi;
	o->from_family = r->to_family;
	o->from_plen = r->to_plen;
	memcpy(o->from, r->to, 16);
	o->to_family = r->from_family;
	o->to_plen = r->from_plen;
	memcpy(o->to, r->from, 16);
}

struct rpfx {			/* a prefix of an address (16 bytes) or a port (2) */
	__u8 plen;
	__u8 b[16];
};

static int rpfx_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct rpfx));
}

/* Do the first plen bits of a and b agree? */
static int bits_eq(const __u8 *a, const __u8 *b, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, full))
		return 0;
	return !rest || !((a[full] ^ b[full]) & (0xff00 >> rest));
}

static void mask_bits(__u8 *b, unsigned len, unsigned plen)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned keep = plen > 8 * i ? plen - 8 * i : 0;

		b[i] &= keep >= 8 ? 0xff : (__u8)(0xff00 >> keep);
	}
}

static __u8 rule_family(const struct pp_rule_in *r)
{
	return r->from_family ? r->from_family : r->to_family ? r->to_family :
	       r->proto == 1 ? 4 : r->proto == 58 ? 6 : 0;
}

static int pfx_add(struct rpfx **v, unsigned *n, unsigned *cap, const struct rpfx *p)
{
	if (PP_GROW(*v, *n, *cap, 64))
		return -ENOMEM;
	(*v)[(*n)++] = *p;
	return 0;
}

/* The prefixes covering port range [lo, hi] exactly. */
static int range_prefixes(unsigned lo, unsigned hi, struct rpfx **v, unsigned *n, unsigned *cap)
{
	while (lo <= hi) {
		unsigned k = 0;
		struct rpfx p = { 0 };
		int err;

		while (k < 16 && !(lo & ((2u << k) - 1)) && lo + (2u << k) - 1 <= hi)
			k++;
		p.plen = (__u8)(16 - k);
		p.b[0] = (__u8)(lo >> 8);
		p.b[1] = (__u8)lo;
		err = pfx_add(v, n, cap, &p);
		if (err)
			return err;
		lo += 1u << k;
	}
	return 0;
}

static void sort_unique(struct rpfx *v, unsigned *n)
{
	unsigned j = 0;

	if (!*n)
		return;
	qsort(v, *n, sizeof(*v), rpfx_cmp);
	for (unsigned i = 1; i < *n; i++)
		if (rpfx_cmp(&v[i], &v[j]))
			v[++j] = v[i];
	*n = j + 1;
}

static void bit_set(struct pp_rule_bits *b, unsigned i)
{
	b->w[i / 64] |= 1ull << (i % 64);
}

/*
 * The entries of protocol class cl of rules r[0..n) (sport, dir): by
 * destination port or ICMP type into pp_rule_l4, or with src (cl TCP or
 * UDP) by source port into pp_rule_sp.  Each prefix that starts or ends a
 * rule's range gets the bitmap of the rules of the class (or of any
 * protocol) whose range contains it or who have none.  *v, *cap: the
 * caller's scratch vector.
 */
static int rules_ports(__u32 sport, __u8 dir, __u8 cl, int src, const struct pp_rule_in *r,
		       unsigned n, struct rpfx **v, unsigned *cap, pp_rule_emit_fn emit, void *arg)
{
	int ports = cl == 6 || cl == 17, icmp = !src && (cl == 1 || cl == 58);
	struct rpfx root = { 0 };
	unsigned nv = 0;
	int err;

	err = pfx_add(v, &nv, cap, &root);
	for (unsigned i = 0; i < n && !err; i++) {
		unsigned lo = src ? r[i].slo : r[i].lo, hi = src ? r[i].shi : r[i].hi;

		if (r[i].proto != cl)
			continue;
		if (ports && (src ? lo || hi : lo))
			err = range_prefixes(lo, hi, v, &nv, cap);
		if (icmp && r[i].has_type) {
			struct rpfx p = { .plen = 8, .b = { r[i].type } };

			err = pfx_add(v, &nv, cap, &p);
		}
	}
	sort_unique(*v, &nv);
	for (unsigned j = 0; j < nv && !err; j++) {
		struct pp_rule_l4_key k = { .prefixlen = PP_RULE_L4_PREFIX((*v)[j].plen),
					    .sport = sport, .dir = dir, .proto = cl,
					    .port = { (*v)[j].b[0], (*v)[j].b[1] } };
		unsigned plo = (unsigned)(*v)[j].b[0] << 8 | (*v)[j].b[1];
		unsigned phi = plo + (1u << (16 - (*v)[j].plen)) - 1;
		struct pp_rule_bits b = { { 0 } };

		if (icmp)
			phi = plo;	/* types are /8 or /0: compared by byte */
		for (unsigned i = 0; i < n; i++) {
			unsigned lo = src ? r[i].slo : r[i].lo, hi = src ? r[i].shi : r[i].hi;

			if (r[i].proto && r[i].proto != cl)
				continue;
			if (ports && (src ? lo || hi : lo) && !(lo <= plo && phi <= hi))
				continue;
			if (icmp && r[i].has_type && !((*v)[j].plen == 8 && (*v)[j].b[0] == r[i].type))
				continue;
			bit_set(&b, i);
		}
		err = emit(arg, src ? PPM_RULE_SP : PPM_RULE_L4, &k, &b);
	}
	return err;
}

int pp_rules_compile(__u32 sport, __u8 dir, const struct pp_rule_in *r, unsigned n,
		     int default_allow, pp_rule_emit_fn emit, void *arg)
{
	static const __u8 classes[] = { 0, 1, 6, 17, 58 };
	struct pp_rule_set_key sk = { .sport = sport, .dir = dir };
	struct pp_rule_set set = { .n = n, .default_allow = !!default_allow };
	struct rpfx *v = NULL, root = { 0 };
	unsigned nv = 0, cap = 0;
	int err = 0, any_sp = 0;

	if (!n)
		return 0;
	if (n > PP_RULES_MAX_BPF)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++)
		if (r[i].allow)
			bit_set(&set.allow, i);
	err = emit(arg, PPM_RULE_SET, &sk, &set);

	/* source and destination CIDRs, per family */
	for (int field = 0; field < 2 && !err; field++) {
		for (__u8 fam = 4; fam <= 6 && !err; fam += 2) {
			unsigned alen = fam == 4 ? 4 : 16;

			nv = 0;
			err = pfx_add(&v, &nv, &cap, &root);
			for (unsigned i = 0; i < n && !err; i++) {
				__u8 f = field ? r[i].to_family : r[i].from_family;
				struct rpfx p = { .plen = field ? r[i].to_plen : r[i].from_plen };

				if (f != fam)
					continue;
				memcpy(p.b, field ? r[i].to : r[i].from, alen);
				mask_bits(p.b, 16, p.plen);
				err = pfx_add(&v, &nv, &cap, &p);
			}
			sort_unique(v, &nv);
			for (unsigned j = 0; j < nv && !err; j++) {
				struct pp_rule_addr_key k = { .prefixlen = PP_RULE_ADDR_PREFIX(v[j].plen),
							      .sport = sport, .dir = dir,
							      .field = (__u8)field,
							      .family = fam == 4 ? PP_NEIGH_V4 : PP_NEIGH_V6 };
				struct pp_rule_bits b = { { 0 } };

				for (unsigned i = 0; i < n; i++) {
					__u8 rf = rule_family(&r[i]);
					__u8 f = field ? r[i].to_family : r[i].from_family;
					__u8 pl = field ? r[i].to_plen : r[i].from_plen;

					if (rf && rf != fam)
						continue;
					if (!f || (f == fam && pl <= v[j].plen &&
						   bits_eq(field ? r[i].to : r[i].from, v[j].b, pl)))
						bit_set(&b, i);
				}
				memcpy(k.addr, v[j].b, alen);
				err = emit(arg, PPM_RULE_ADDR, &k, &b);
			}
		}
	}

	/* protocol class, destination port or ICMP type */
	for (unsigned c = 0; c < sizeof(classes) && !err; c++)
		err = rules_ports(sport, dir, classes[c], 0, r, n, &v, &cap, emit, arg);

	/* source ports: only for a set that has some (TCP and UDP) */
	for (unsigned i = 0; i < n && !any_sp; i++)
		any_sp = (r[i].proto == 6 || r[i].proto == 17) && (r[i].slo || r[i].shi);
	if (any_sp) {
		err = err ?: rules_ports(sport, dir, 6, 1, r, n, &v, &cap, emit, arg);
		err = err ?: rules_ports(sport, dir, 17, 1, r, n, &v, &cap, emit, arg);
	}

	/* a chain's classifier: the fragments' entries, ports as wildcards */
	for (unsigned c = 0; dir >= PP_DIR_CHAIN_FWD && c < sizeof(classes) && !err; c++) {
		struct pp_rule_l4_key k = { .prefixlen = PP_RULE_L4_PREFIX(0), .sport = sport,
					    .dir = dir | PP_DIR_CHAIN_FRAG, .proto = classes[c] };
		struct pp_rule_bits b = { { 0 } };

		for (unsigned i = 0; i < n; i++)
			if (!r[i].proto || r[i].proto == classes[c])
				bit_set(&b, i);
		err = emit(arg, PPM_RULE_L4, &k, &b);
	}
	free(v);
	return err;
}
