/*
 * polyport — binding files: parser and validator. See config.h.
 *
 * How it works:
 *  1. Each file is turned into a small tree of its own (struct ynode) from
 *     libyaml's events, so every key and value keeps its position. Aliases
 *     (never expanded) and nesting deeper than PP_YAML_DEPTH_MAX stop the
 *     file at their position; anchors and tags are ignored.
 *  2. The tree is walked with one table of keys per kind of mapping
 *     (struct keydef): unknown keys, duplicate keys and wrong value types
 *     are reported generically, then each present key's handler runs, in
 *     table order. Adding a key = one handler + one table row.
 *  3. Objects are checked against what was defined before them as they are
 *     read (names, taps, devices, matches), through open-addressing hash
 *     tables, so every conflict is reported at the later definition.
 *  4. The top-level service-ports of every file (kept as trees) are read
 *     once every file is: their instance-port may be defined anywhere.
 *     They are checked like nested ones, after all of them.
 *  5. A last pass over the service ports resolves bind.network and checks
 *     what needs every file read: the network exists, its MTU fits the
 *     instance port, its MACs are distinct. Then, when there are top-level
 *     service ports, the service ports are regrouped by instance port.
 *
 * Avoiding cascades: an object whose name is invalid or already taken is
 * dropped (its fields are still checked, but it takes part in no further
 * cross-object check); a value that failed its own check takes part in no
 * cross-object check; "unknown network" is not reported when some network
 * definition could not be read (unreadable file, YAML error, bad name);
 * the same for "unknown instance port" and instance port definitions.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <yaml.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ======================================================================== */
/* Errors */

void pp_errors_init(struct pp_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
}

void pp_errors_free(struct pp_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].msg);
	}
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

static int errors_vadd(struct pp_errors *errs, const char *file,
		       unsigned int line, unsigned int col, const char *fmt,
		       va_list ap)
{
	struct pp_error *e;
	char *msg, *f;

	if (errs->n == errs->cap) {
		size_t cap = errs->cap ? errs->cap * 2 : 16;
		struct pp_error *v = realloc(errs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		errs->v = v;
		errs->cap = cap;
	}
	if (vasprintf(&msg, fmt, ap) < 0)
		return -ENOMEM;
	f = strdup(file ? file : "");
	if (!f) {
		free(msg);
		return -ENOMEM;
	}
	e = &errs->v[errs->n++];
	e->file = f;
	e->line = line;
	e->col = line ? col : 0;
	e->msg = msg;
	return 0;
}

int pp_errors_add(struct pp_errors *errs, const char *file, unsigned int line,
		  unsigned int col, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = errors_vadd(errs, file, line, col, fmt, ap);
	va_end(ap);
	return ret;
}

int pp_error_format(const struct pp_error *e, char *buf, size_t len)
{
	if (e->line)
		return snprintf(buf, len, "%s:%u:%u: %s", e->file, e->line,
				e->col, e->msg);
	return snprintf(buf, len, "%s: %s", e->file, e->msg);
}

void pp_errors_print(const struct pp_errors *errs, FILE *f)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct pp_error *e = &errs->v[i];

		if (e->line)
			fprintf(f, "%s:%u:%u: %s\n", e->file, e->line, e->col,
				e->msg);
		else
			fprintf(f, "%s: %s\n", e->file, e->msg);
	}
}

/* ======================================================================== */
/* Small helpers */

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

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

/* A user string, quoted and escaped for a message, cut when long. */
struct qbuf {
	char s[100];
};

static const char *quote(struct qbuf *b, const char *s, size_t len)
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

/* ======================================================================== */
/* Open-addressing hash table: fixed 32-byte keys (zero-padded names,
 * devices, or small packed structs) -> uint32_t (an index). */

#define HKEY_LEN 32

struct hent {
	uint8_t key[HKEY_LEN];
	uint32_t val;
	uint32_t used;
};

struct htab {
	struct hent *e;
	size_t cap;	/* a power of two, or 0 */
	size_t n;
};

static uint64_t hkey_hash(const uint8_t *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull, w;

	for (int i = 0; i < HKEY_LEN; i += 8) {
		memcpy(&w, k + i, sizeof(w));
		h ^= w;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static int htab_grow(struct htab *h)
{
	size_t cap = h->cap ? h->cap * 2 : 64, mask = cap - 1;
	struct hent *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < h->cap; i++) {
		size_t j;

		if (!h->e[i].used)
			continue;
		j = hkey_hash(h->e[i].key) & mask;
		while (e[j].used)
			j = (j + 1) & mask;
		e[j] = h->e[i];
	}
	free(h->e);
	h->e = e;
	h->cap = cap;
	return 0;
}

/* 0: inserted; 1: already there (*old = its value); -ENOMEM */
static int htab_put(struct htab *h, const uint8_t *key, uint32_t val,
		    uint32_t *old)
{
	size_t mask, i;

	if ((h->n + 1) * 2 > h->cap && htab_grow(h))
		return -ENOMEM;
	mask = h->cap - 1;
	for (i = hkey_hash(key) & mask; h->e[i].used; i = (i + 1) & mask) {
		if (!memcmp(h->e[i].key, key, HKEY_LEN)) {
			if (old)
				*old = h->e[i].val;
			return 1;
		}
	}
	memcpy(h->e[i].key, key, HKEY_LEN);
	h->e[i].val = val;
	h->e[i].used = 1;
	h->n++;
	return 0;
}

static bool htab_get(const struct htab *h, const uint8_t *key, uint32_t *val)
{
	size_t mask, i;

	if (!h->cap)
		return false;
	mask = h->cap - 1;
	for (i = hkey_hash(key) & mask; h->e[i].used; i = (i + 1) & mask) {
		if (!memcmp(h->e[i].key, key, HKEY_LEN)) {
			*val = h->e[i].val;
			return true;
		}
	}
	return false;
}

static void htab_free(struct htab *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

/* Keys. Every struct is zeroed (padding included) before it is filled. */
static void str_key(uint8_t k[HKEY_LEN], const char *s, size_t len)
{
	memset(k, 0, HKEY_LEN);
	memcpy(k, s, len < HKEY_LEN - 1 ? len : HKEY_LEN - 1);
}

struct devvlan_key {
	char device[PP_IFNAME_MAX + 1];
	uint16_t vlan;
};

struct match_key {
	uint32_t iport;
	uint16_t kind;
	uint16_t outer;
	uint16_t inner;
	uint8_t mac[PP_ETH_ALEN];
};

struct owner_mac_key {		/* (instance port | network, MAC) */
	uint32_t owner;
	uint8_t mac[PP_ETH_ALEN];
};

_Static_assert(sizeof(struct devvlan_key) <= HKEY_LEN, "key too large");
_Static_assert(sizeof(struct match_key) <= HKEY_LEN, "key too large");
_Static_assert(sizeof(struct owner_mac_key) <= HKEY_LEN, "key too large");

#define MAKE_KEY(buf, s) do {						\
	memset(buf, 0, HKEY_LEN);					\
	memcpy(buf, &(s), sizeof(s));					\
} while (0)

/* ======================================================================== */
/* YAML -> a tree that keeps positions */

enum ytype { Y_SCALAR, Y_MAP, Y_SEQ, Y_BAD /* an alias, already reported */ };

/* How the loader read a scalar (set by the handler that took it): what
 * pp_config_export_buffers writes for it: the API then reads it the same. */
enum yread { YR_TEXT = 0, YR_INT, YR_BOOL };

struct ynode {
	struct ynode *next;	/* next sibling */
	struct ynode *first;	/* first child; a mapping's children are
				 * key, value, key, value, ... */
	const char *str;	/* SCALAR: NUL-terminated */
	size_t len;
	uint32_t count;		/* children */
	uint32_t line, col;	/* 1-based */
	uint8_t type;
	bool plain;		/* SCALAR: plain style (not quoted/block) */
	uint8_t read_as;	/* SCALAR: enum yread */
};

/*
 * Record that a handler took scalar n as an integer or a boolean. The tree
 * is the loader's own (arena memory); handlers only see it as const.
 */
static void read_as(const struct ynode *n, enum yread how)
{
	((struct ynode *)n)->read_as = (uint8_t)how;
}

struct achunk {
	struct achunk *next;
	size_t used, cap;
	_Alignas(16) char data[];
};

struct arena {
	struct achunk *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	struct achunk *c = a->head;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 60000 ? n : 60000;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

/* Move every chunk of from to to. */
static void arena_move(struct arena *to, struct arena *from)
{
	struct achunk *c = from->head;

	if (!c)
		return;
	while (c->next)
		c = c->next;
	c->next = to->head;
	to->head = from->head;
	from->head = NULL;
}

static void arena_free(struct arena *a)
{
	while (a->head) {
		struct achunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}

static bool is_null(const struct ynode *n)
{
	if (n->type != Y_SCALAR || !n->plain)
		return false;
	switch (n->len) {
	case 0:
		return true;
	case 1:
		return n->str[0] == '~';
	case 4:
		return !strcmp(n->str, "null") || !strcmp(n->str, "Null") ||
		       !strcmp(n->str, "NULL");
	}
	return false;
}

/* "a mapping", "an empty value", "\"foo\"" ... for type errors */
static const char *node_desc(struct qbuf *b, const struct ynode *n)
{
	switch (n->type) {
	case Y_MAP:
		return "a mapping";
	case Y_SEQ:
		return "a sequence";
	case Y_SCALAR:
		if (is_null(n))
			return "an empty value";
		return quote(b, n->str, n->len);
	}
	return "an alias";
}

/* ======================================================================== */
/* Loader state */

struct xloc {			/* a position, with the file as an index */
	uint32_t fidx, line, col;
};

struct net_aux {
	struct xloc name;
	bool mtu_ok;
};

struct iport_aux {
	struct xloc name;
	bool mtu_ok;
	bool mac_ok;
};

enum mac_from { MAC_UNKNOWN, MAC_EXPLICIT, MAC_SRCMAC, MAC_INHERITED };

struct sport_aux {
	struct xloc name;
	struct xloc mac;	/* where the effective MAC comes from */
	struct xloc net;	/* bind.network's value */
	char net_name[PP_NAME_MAX + 1];
	bool has_net;		/* bind.network holds a valid name */
	uint8_t mac_from;	/* enum mac_from */
	struct xloc addr[PP_SPORT_ADDRS_MAX];	/* its addresses */
	struct xloc dhcp;	/* bind.dhcp's key */
};

struct errkey {
	uint32_t fidx, line, col;
	size_t seq;
};

struct ld {
	struct pp_config *cfg;
	struct pp_errors *errs;
	size_t err_base;
	struct errkey *ekeys;	/* sort keys of errs->v[err_base ..] */
	size_t n_ekeys, cap_ekeys;
	int fatal;		/* -ENOMEM: stop */
	int io_err;		/* the first errno reading a file */
	uint32_t fidx;		/* the file being read */
	bool nets_incomplete;	/* a network may be missing: no "unknown
				 * network" errors */
	bool iports_incomplete;	/* the same for instance ports */
	bool too_many_nets, too_many_iports, too_many_sports;
	size_t cap_files, cap_nets, cap_iports, cap_sports, cap_rules;
	struct net_aux *net_aux;
	struct iport_aux *ip_aux;
	struct sport_aux *sp_aux;
	struct htab net_by_name, ip_by_name, sp_by_name;
	struct htab tap;		/* tap device -> instance port */
	struct htab netdev;		/* device -> first network on it */
	struct htab netdev_vlan;	/* (device, vlan) -> network */
	struct htab match;		/* (iport, match) -> service port */
	struct htab wire;		/* (iport, MAC on the untagged wire) -> sport */
	struct htab netmac;		/* (network, MAC) -> service port */
	struct htab netaddr;		/* (network, address) -> service port */
	struct arena arena;		/* the tree of the file being read */
	struct arena kept;		/* trees of files with top-level
					 * service-ports, read at the end */
	bool keep_tree;			/* keep this file's tree */
	struct deferred *defer;		/* top-level service-ports mappings */
	size_t n_defer, cap_defer;
	uint32_t n_toplevel;		/* top-level service ports kept */
	struct ynode **roots;		/* exporting: every file's tree (kept) */
};

struct deferred {
	uint32_t fidx;
	const struct ynode *map;
};

struct pp_config_index {
	struct htab net, ip, sp, tap;
};

#define XF "%s:%u:%u"
#define XA(ld, x) (ld)->cfg->files[(x).fidx], (x).line, (x).col

static struct xloc xloc_of(const struct ld *ld, const struct ynode *n)
{
	return (struct xloc){ ld->fidx, n->line, n->col };
}

static struct pp_loc pp_loc_of(const struct ld *ld, const struct ynode *n)
{
	return (struct pp_loc){ ld->cfg->files[ld->fidx], n->line, n->col };
}

static void oom(struct ld *ld)
{
	ld->fatal = -ENOMEM;
}

__attribute__((format(printf, 5, 0)))
static void err_v(struct ld *ld, uint32_t fidx, uint32_t line, uint32_t col,
		  const char *fmt, va_list ap)
{
	if (ld->fatal)
		return;
	if (ld->n_ekeys == ld->cap_ekeys) {
		size_t cap = ld->cap_ekeys ? ld->cap_ekeys * 2 : 16;
		struct errkey *k = realloc(ld->ekeys, cap * sizeof(*k));

		if (!k)
			return oom(ld);
		ld->ekeys = k;
		ld->cap_ekeys = cap;
	}
	if (errors_vadd(ld->errs, ld->cfg->files[fidx], line, col, fmt, ap))
		return oom(ld);
	ld->ekeys[ld->n_ekeys] = (struct errkey){ fidx, line, col, ld->n_ekeys };
	ld->n_ekeys++;
}

__attribute__((format(printf, 3, 4)))
static void err_node(struct ld *ld, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_v(ld, ld->fidx, n->line, n->col, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void err_x(struct ld *ld, struct xloc x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_v(ld, x.fidx, x.line, x.col, fmt, ap);
	va_end(ap);
}

/* An error about a whole file (no position). */
__attribute__((format(printf, 2, 3)))
static void err_file(struct ld *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_v(ld, ld->fidx, 0, 0, fmt, ap);
	va_end(ap);
}

/* Make room for element n of array a, and of its twin array b (which has
 * the same capacity). Evaluates to 0 or -ENOMEM. */
#define GROW(a, n, cap) ({						\
	int _r = 0;							\
	if ((n) >= (cap)) {						\
		size_t _c = (cap) ? (cap) * 2 : 16;			\
		__typeof__(a) _na = realloc((a), _c * sizeof(*(a)));	\
		if (_na) {						\
			(a) = _na;					\
			(cap) = _c;					\
		} else {						\
			_r = -ENOMEM;					\
		}							\
	}								\
	_r;								\
})

#define GROW2(a, b, n, cap) ({						\
	int _r = 0;							\
	if ((n) >= (cap)) {						\
		size_t _c = (cap) ? (cap) * 2 : 16;			\
		__typeof__(a) _na = realloc((a), _c * sizeof(*(a)));	\
		__typeof__(b) _nb = NULL;				\
		if (_na) {						\
			(a) = _na;					\
			_nb = realloc((b), _c * sizeof(*(b)));		\
		}							\
		if (_nb) {						\
			(b) = _nb;					\
			(cap) = _c;					\
		} else {						\
			_r = -ENOMEM;					\
		}							\
	}								\
	_r;								\
})

/* ======================================================================== */
/* Building the tree from libyaml's events */

struct ybuild {
	struct ynode **stack;	/* open collections */
	struct ynode **last;	/* their last child */
	size_t depth, cap;
	struct ynode *root;
};

static int yb_add(struct ybuild *b, struct ynode *n)
{
	struct ynode *p;

	if (!b->depth) {
		if (!b->root)
			b->root = n;
		return 0;
	}
	p = b->stack[b->depth - 1];
	if (b->last[b->depth - 1])
		b->last[b->depth - 1]->next = n;
	else
		p->first = n;
	b->last[b->depth - 1] = n;
	p->count++;
	return 0;
}

static int yb_push(struct ybuild *b, struct ynode *n)
{
	if (b->depth == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct ynode **s = realloc(b->stack, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		b->stack = s;
		s = realloc(b->last, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		b->last = s;
		b->cap = cap;
	}
	b->stack[b->depth] = n;
	b->last[b->depth] = NULL;
	b->depth++;
	return 0;
}

static void report_yaml_error(struct ld *ld, const yaml_parser_t *p,
			      const char *data, size_t len)
{
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_READER_ERROR) {
		/* reader errors (bad encoding) only have a byte offset */
		uint32_t line = 1, col = 1;
		size_t off = p->problem_offset < len ? p->problem_offset : len;

		for (size_t i = 0; i < off; i++) {
			if (data[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		{
			struct xloc x = { ld->fidx, line, col };

			if (p->problem_value != -1)
				err_x(ld, x, "YAML syntax error: %s (byte 0x%02x)",
				      problem, (unsigned int)p->problem_value);
			else
				err_x(ld, x, "YAML syntax error: %s", problem);
		}
		return;
	}
	{
		struct xloc x = { ld->fidx, (uint32_t)p->problem_mark.line + 1,
				  (uint32_t)p->problem_mark.column + 1 };

		if (p->context)
			err_x(ld, x, "YAML syntax error: %s (%s at line %zu, column %zu)",
			      problem, p->context, p->context_mark.line + 1,
			      p->context_mark.column + 1);
		else
			err_x(ld, x, "YAML syntax error: %s", problem);
	}
}

/*
 * Parse one file into a tree (nodes in ld->arena). *root is NULL for an
 * empty file. Returns 0, 1 when the file could not be read as YAML (the
 * error is reported), or -ENOMEM.
 */
static int yaml_to_tree(struct ld *ld, const char *data, size_t len,
			struct ynode **root)
{
	struct ybuild b = { 0 };
	yaml_parser_t p;
	yaml_event_t ev;
	int ndocs = 0, ret = 0;
	bool done = false;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	while (!done && !ret) {
		struct ynode *n = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR) {
				ret = -ENOMEM;
			} else {
				report_yaml_error(ld, &p, data, len);
				ret = 1;
			}
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (ndocs++) {
				struct xloc x = { ld->fidx,
					(uint32_t)ev.start_mark.line + 1,
					(uint32_t)ev.start_mark.column + 1 };

				err_x(ld, x, "only one YAML document per file is supported");
				ret = 1;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			/* Stop before libyaml goes deeper: its scanner costs
			 * O(depth) per token, so 400 KB of "[" took minutes. */
			if (b.depth >= PP_YAML_DEPTH_MAX) {
				struct xloc x = { ld->fidx,
					(uint32_t)ev.start_mark.line + 1,
					(uint32_t)ev.start_mark.column + 1 };

				err_x(ld, x, "YAML nesting deeper than %d levels; the file is not read further",
				      PP_YAML_DEPTH_MAX);
				ret = 1;
				break;
			}
			/* fall through */
		case YAML_ALIAS_EVENT:
		case YAML_SCALAR_EVENT:
			n = arena_alloc(&ld->arena, sizeof(*n));
			if (!n) {
				ret = -ENOMEM;
				break;
			}
			memset(n, 0, sizeof(*n));
			n->line = (uint32_t)ev.start_mark.line + 1;
			n->col = (uint32_t)ev.start_mark.column + 1;
			if (ev.type == YAML_ALIAS_EVENT) {
				/* Never expanded (so no "billion laughs"); one
				 * error, not one per alias of a file of them. */
				n->type = Y_BAD;
				err_node(ld, n, "YAML aliases are not supported; the file is not read further");
				ret = 1;
			} else if (ev.type == YAML_SCALAR_EVENT) {
				char *s = arena_alloc(&ld->arena,
						      ev.data.scalar.length + 1);

				if (!s) {
					ret = -ENOMEM;
					break;
				}
				memcpy(s, ev.data.scalar.value, ev.data.scalar.length);
				s[ev.data.scalar.length] = 0;
				n->type = Y_SCALAR;
				n->str = s;
				n->len = ev.data.scalar.length;
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
				/* "\0", "\x00", "\u0000" in a quoted scalar: every
				 * string here is a C string, which the NUL would cut */
				if (memchr(s, 0, n->len)) {
					n->type = Y_BAD;
					err_node(ld, n, "a NUL character (\\0) in a value is not allowed");
				}
			} else {
				n->type = ev.type == YAML_MAPPING_START_EVENT ? Y_MAP : Y_SEQ;
			}
			yb_add(&b, n);
			if ((n->type == Y_MAP || n->type == Y_SEQ) && yb_push(&b, n))
				ret = -ENOMEM;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (b.depth)
				b.depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	free(b.stack);
	free(b.last);
	if (!ret)
		*root = b.root;
	return ret;
}

/* ======================================================================== */
/* Walking mappings with tables of keys */

/* What a mapping is, for messages: "the top level", "network \"x\"",
 * "bind of service port \"s\"". Formatted only when there is an error. */
struct ctx {
	const char *prefix;		/* "" or e.g. "bind of " */
	const char *kind;		/* "network", "service port", ... */
	const struct ynode *name;	/* NULL: kind alone */
};

struct ctxbuf {
	char s[160];
};

static const char *ctx_str(struct ctxbuf *b, const struct ctx *c)
{
	struct qbuf qb;

	if (!c->name)
		snprintf(b->s, sizeof(b->s), "%s%s", c->prefix, c->kind);
	else
		snprintf(b->s, sizeof(b->s), "%s%s %s", c->prefix, c->kind,
			 quote(&qb, c->name->str, c->name->len));
	return b->s;
}

enum { KT_SCALAR = 1, KT_MAP = 2, KT_SEQ = 4 };

typedef void (*key_fn)(struct ld *ld, void *obj, const struct ynode *key,
		       const struct ynode *val);

struct keydef {
	const char *name;
	unsigned int types;	/* KT_*: accepted value types; KT_MAP also
				 * accepts an empty value (= empty mapping) */
	const char *what;	/* what the value must be, for type errors */
	key_fn fn;		/* called with a value of an accepted type */
};

#define MAX_KEYS 16

static bool key_is(const struct ynode *k, const char *name)
{
	size_t l = strlen(name);

	return k->len == l && !memcmp(k->str, name, l);
}

static void key_list(char *buf, size_t len, const struct keydef *kd, size_t nkd)
{
	size_t o = 0;

	snprintf(buf, len, "%s", nkd ? "" : "no keys");
	for (size_t i = 0; i < nkd && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      kd[i].name);
}

/*
 * Check a mapping against a table of keys: report keys that are not
 * scalars, unknown keys, duplicate keys and values of the wrong type; then
 * call the handler of every present, well-typed key in table order.
 * found[i] is set to the key node of kd[i] (NULL when absent). map may be a
 * null scalar (an empty mapping). ctx names the mapping for messages.
 */
static void walk_keys(struct ld *ld, const struct ynode *map,
		      const struct keydef *kd, size_t nkd, void *obj,
		      const struct ctx *ctx, const struct ynode **found)
{
	const struct ynode *vals[MAX_KEYS];
	struct qbuf qb, qb2;
	struct ctxbuf cb;

	for (size_t i = 0; i < nkd; i++)
		found[i] = vals[i] = NULL;
	if (map->type != Y_MAP)
		return;
	for (const struct ynode *k = map->first; k && k->next; k = k->next->next) {
		const struct ynode *v = k->next;
		size_t i;

		if (k->type == Y_BAD)
			continue;
		if (k->type != Y_SCALAR) {
			err_node(ld, k, "keys in %s must be scalars, got %s",
				 ctx_str(&cb, ctx), node_desc(&qb, k));
			continue;
		}
		for (i = 0; i < nkd && !key_is(k, kd[i].name); i++)
			;
		if (i == nkd) {
			char list[256];

			key_list(list, sizeof(list), kd, nkd);
			err_node(ld, k, "unknown key %s in %s (expected: %s)",
				 quote(&qb, k->str, k->len), ctx_str(&cb, ctx),
				 list);
		} else if (found[i]) {
			err_node(ld, k, "duplicate key \"%s\" in %s, first at " XF,
				 kd[i].name, ctx_str(&cb, ctx),
				 XA(ld, xloc_of(ld, found[i])));
		} else {
			found[i] = k;
			vals[i] = v;
		}
	}
	for (size_t i = 0; i < nkd; i++) {
		const struct ynode *v = vals[i];
		bool ok;

		if (!v || v->type == Y_BAD)
			continue;
		switch (v->type) {
		case Y_MAP:
			ok = kd[i].types & KT_MAP;
			break;
		case Y_SEQ:
			ok = kd[i].types & KT_SEQ;
			break;
		default:
			ok = is_null(v) ? (kd[i].types & KT_MAP) :
					  (kd[i].types & KT_SCALAR);
			break;
		}
		if (!ok) {
			err_node(ld, v, "%s must be %s, got %s", kd[i].name,
				 kd[i].what, node_desc(&qb2, v));
			continue;
		}
		kd[i].fn(ld, obj, found[i], v);
	}
}

typedef void (*entry_fn)(struct ld *ld, void *parent, const struct ynode *key,
			 const struct ynode *val);

/* A mapping of name -> object: call fn for every entry. */
static void walk_named(struct ld *ld, const struct ynode *map, const char *ctx,
		       entry_fn fn, void *parent)
{
	struct qbuf qb;

	if (map->type != Y_MAP)
		return;
	for (const struct ynode *k = map->first; k && k->next; k = k->next->next) {
		if (ld->fatal)
			return;
		if (k->type == Y_BAD)
			continue;
		if (k->type != Y_SCALAR) {
			err_node(ld, k, "keys in %s must be names, got %s", ctx,
				 node_desc(&qb, k));
			continue;
		}
		fn(ld, parent, k, k->next);
	}
}

/* An object's body must be a mapping (or empty). */
static bool check_body(struct ld *ld, const struct ynode *v,
		       const struct ctx *ctx)
{
	struct ctxbuf cb;
	struct qbuf qb;

	if (v->type == Y_MAP || is_null(v))
		return true;
	if (v->type != Y_BAD)
		err_node(ld, v, "%s must be a mapping, got %s",
			 ctx_str(&cb, ctx), node_desc(&qb, v));
	return false;
}

/* ======================================================================== */
/* Values */

/* A plain decimal integer in [lo, hi]: "0" or [1-9][0-9]*, no sign, no
 * quotes; a leading '-' is read so that negative numbers are reported as
 * out of range. */
static bool parse_uint(struct ld *ld, const struct ynode *v, const char *what,
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

static bool parse_mac_node(struct ld *ld, const struct ynode *v,
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

static bool parse_ifname_node(struct ld *ld, const struct ynode *v,
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
static bool parse_addr_node(struct ld *ld, const struct ynode *v, const char *what,
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

/* Each entry of a sequence must be a mapping (or empty). */
static bool check_entry_map(struct ld *ld, const struct ynode *e, const char *what)
{
	struct qbuf qb;

	if (e->type == Y_MAP || is_null(e))
		return true;
	if (e->type != Y_BAD)
		err_node(ld, e, "each entry of %s must be a mapping, got %s", what,
			 node_desc(&qb, e));
	return false;
}

/* The name of a new object (a mapping key). */
static bool check_name(struct ld *ld, const struct ynode *k, const char *kind)
{
	struct qbuf qb;

	if (pp_name_valid(k->str, k->len))
		return true;
	err_node(ld, k, "invalid %s name %s (1-%d characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)",
		 kind, quote(&qb, k->str, k->len), PP_NAME_MAX);
	return false;
}

/*
 * Register a valid name in a namespace. Returns true when it is new; when
 * it is taken, reports it at k naming the earlier definition.
 */
static bool register_name(struct ld *ld, const struct ynode *k,
			  const char *kind, struct htab *h, uint32_t idx,
			  const struct xloc *(*prior)(const struct ld *, uint32_t))
{
	uint8_t key[HKEY_LEN];
	uint32_t old;
	int r;

	str_key(key, k->str, k->len);
	r = htab_put(h, key, idx, &old);
	if (r < 0) {
		oom(ld);
		return false;
	}
	if (r == 1) {
		err_node(ld, k, "%s \"%s\" is already defined at " XF, kind,
			 k->str, XA(ld, *prior(ld, old)));
		return false;
	}
	return true;
}

static const struct xloc *net_prior(const struct ld *ld, uint32_t i)
{
	return &ld->net_aux[i].name;
}

static const struct xloc *iport_prior(const struct ld *ld, uint32_t i)
{
	return &ld->ip_aux[i].name;
}

static const struct xloc *sport_prior(const struct ld *ld, uint32_t i)
{
	return &ld->sp_aux[i].name;
}

/* ======================================================================== */
/* networks: */

struct net_parse {
	struct pp_cfg_network net;
	struct net_aux aux;
	const struct ynode *dev;	/* device value, when valid */
	const struct ynode *vlan;	/* vlan value, when present */
	bool vlan_ok;
	const struct ynode *name;	/* its name (key) */
};

static void h_net_device(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	if (parse_ifname_node(ld, v, "device", np->net.device))
		np->dev = v;
}

static void h_net_mtu(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	np->aux.mtu_ok = parse_uint(ld, v, "mtu", PP_MTU_MIN, PP_MTU_MAX,
				    &np->net.mtu);
}

static void h_net_vlan(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct net_parse *np = obj;
	uint32_t vid;

	(void)k;
	np->vlan = v;
	np->vlan_ok = parse_uint(ld, v, "vlan", PP_VID_MIN, PP_VID_MAX, &vid);
	if (np->vlan_ok)
		np->net.vlan = (uint16_t)vid;
}

static void h_gw_ipv4(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	parse_addr_node(ld, v, "gateway ipv4", true, false, PP_AF_INET, &np->net.gw4);
}

static void h_gw_ipv6(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	parse_addr_node(ld, v, "gateway ipv6", true, false, PP_AF_INET6, &np->net.gw6);
}

static void h_gw_mac(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct net_parse *np = obj;

	(void)k;
	np->net.gw_mac_explicit = parse_mac_node(ld, v, "gateway mac", np->net.gw_mac);
}

static const struct keydef gw_keys[] = {
	{ "ipv4", KT_SCALAR, "an IPv4 address", h_gw_ipv4 },
	{ "ipv6", KT_SCALAR, "an IPv6 address", h_gw_ipv6 },
	{ "mac", KT_SCALAR, "a MAC address", h_gw_mac },
};

static void h_net_gateway(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(gw_keys)];
	struct net_parse *np = obj;
	struct ctx ctx = { "gateway of ", "network", np->name };
	struct ctxbuf cb;

	np->net.has_gateway = true;
	walk_keys(ld, v, gw_keys, ARRAY_SIZE(gw_keys), np, &ctx, found);
	if (!found[0] && !found[1])
		err_node(ld, k, "%s has neither ipv4 nor ipv6", ctx_str(&cb, &ctx));
}

static const struct keydef net_keys[] = {
#define NK_DEVICE 0
	{ "device", KT_SCALAR, "an interface name", h_net_device },
	{ "mtu", KT_SCALAR, "an integer 68-65535", h_net_mtu },
	{ "vlan", KT_SCALAR, "an integer 1-4094", h_net_vlan },
	{ "gateway", KT_MAP, "a mapping (ipv4, ipv6, mac)", h_net_gateway },
};

_Static_assert(ARRAY_SIZE(net_keys) <= MAX_KEYS, "raise MAX_KEYS");

static void parse_network(struct ld *ld, void *parent, const struct ynode *k,
			  const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(net_keys)];
	struct net_parse np = { 0 };
	uint32_t idx = ld->cfg->n_networks;
	struct ctx ctx = { "", "network", k };
	bool keep, body_ok;
	struct ctxbuf cb;

	(void)parent;
	np.net.mtu = PP_MTU_DEFAULT;
	np.aux.mtu_ok = true;
	np.name = k;
	np.aux.name = xloc_of(ld, k);
	np.net.loc = pp_loc_of(ld, k);
	keep = check_name(ld, k, "network");
	if (!keep)
		ld->nets_incomplete = true;
	keep = keep && register_name(ld, k, "network", &ld->net_by_name, idx,
				     net_prior);
	body_ok = check_body(ld, v, &ctx);
	if (body_ok) {
		walk_keys(ld, v, net_keys, ARRAY_SIZE(net_keys), &np, &ctx, found);
		if (!found[NK_DEVICE])
			err_node(ld, k, "%s has no device", ctx_str(&cb, &ctx));
	}
	if (!keep)
		return;
	memcpy(np.net.name, k->str, k->len);
	if (np.net.has_gateway && !np.net.gw_mac_explicit)
		pp_gateway_mac(np.net.name, np.net.gw_mac);

	if (np.dev && (!np.vlan || np.vlan_ok)) {
		struct devvlan_key dk = { 0 };
		uint8_t key[HKEY_LEN];
		uint32_t old;
		int r;

		str_key(key, np.net.device, strlen(np.net.device));
		if (htab_get(&ld->tap, key, &old))
			err_node(ld, np.dev, "device \"%s\" of network \"%s\" is the tap of instance port \"%s\" at " XF,
				 np.net.device, np.net.name,
				 ld->cfg->iports[old].name,
				 XA(ld, ld->ip_aux[old].name));
		if (htab_put(&ld->netdev, key, idx, NULL) < 0)
			return oom(ld);

		memcpy(dk.device, np.net.device, sizeof(dk.device));
		dk.vlan = np.net.vlan;
		MAKE_KEY(key, dk);
		r = htab_put(&ld->netdev_vlan, key, idx, &old);
		if (r < 0)
			return oom(ld);
		if (r == 1 && np.vlan)
			err_node(ld, np.vlan, "device \"%s\" vlan %u is already used by network \"%s\" at " XF,
				 np.net.device, np.net.vlan,
				 ld->cfg->networks[old].name,
				 XA(ld, ld->net_aux[old].name));
		else if (r == 1)
			err_node(ld, np.dev, "device \"%s\" (untagged) is already used by network \"%s\" at " XF,
				 np.net.device, ld->cfg->networks[old].name,
				 XA(ld, ld->net_aux[old].name));
	}

	if (idx == PP_MAX_NETWORKS && !ld->too_many_nets) {
		ld->too_many_nets = true;
		err_node(ld, k, "too many networks (limit %d)", PP_MAX_NETWORKS);
	}
	if (GROW2(ld->cfg->networks, ld->net_aux, idx, ld->cap_nets))
		return oom(ld);
	ld->cfg->networks[idx] = np.net;
	ld->net_aux[idx] = np.aux;
	ld->cfg->n_networks++;
}

/* ======================================================================== */
/* instance-ports: */

struct iport_parse {
	struct pp_cfg_iport ip;
	struct iport_aux aux;
	uint32_t idx;
	bool keep;		/* registered: its service ports are kept */
	const struct ynode *dev;	/* device value, when valid */
	struct ctx ctx;
};

struct sport_parse {
	struct iport_parse *ipp;	/* NULL: a top-level service port whose
					 * instance port is unknown */
	struct iport_parse top_ipp;	/* top-level: the named instance port */
	struct pp_cfg_sport sp;
	struct sport_aux aux;
	struct ctx ctx;
	bool match_ok;		/* the match key's value is valid */
	const struct ynode *match_val;
	uint8_t srcmac[PP_ETH_ALEN];
	bool srcmac_ok;
	const struct ynode *srcmac_val;
	uint8_t mac[PP_ETH_ALEN];
	bool mac_ok;
	const struct ynode *mac_val;
	bool bind_walked;	/* bind was a mapping */
	bool net_given;		/* bind.network was present */
};

static void h_sp_vlan(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct sport_parse *p = obj;
	uint32_t o, i;

	(void)k;
	p->match_val = v;
	if (v->type == Y_SCALAR) {
		p->sp.match = PP_MATCH_VLAN;
		p->match_ok = parse_uint(ld, v, "vlan", PP_VID_MIN, PP_VID_MAX, &o);
		p->sp.outer_vid = (uint16_t)o;
		return;
	}
	if (v->count != 2) {
		err_node(ld, v, "vlan must be a VLAN ID or a list of exactly two VLAN IDs [outer, inner], got a list of %u",
			 v->count);
		return;
	}
	p->sp.match = PP_MATCH_QINQ;
	p->match_ok = parse_uint(ld, v->first, "outer vlan", PP_VID_MIN,
				 PP_VID_MAX, &o);
	p->match_ok &= parse_uint(ld, v->first->next, "inner vlan", PP_VID_MIN,
				  PP_VID_MAX, &i);
	if (p->match_ok) {
		p->sp.outer_vid = (uint16_t)o;
		p->sp.inner_vid = (uint16_t)i;
	}
}

static void h_sp_untagged(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct qbuf qb;

	(void)k;
	p->match_val = v;
	p->sp.match = PP_MATCH_UNTAGGED;
	if (v->plain && (!strcmp(v->str, "true") || !strcmp(v->str, "True") ||
			 !strcmp(v->str, "TRUE"))) {
		p->match_ok = true;
		read_as(v, YR_BOOL);
		return;
	}
	err_node(ld, v, "untagged must be true, got %s", node_desc(&qb, v));
}

static void h_sp_srcmac(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	p->match_val = v;
	p->sp.match = PP_MATCH_SRCMAC;
	p->srcmac_ok = p->match_ok = parse_mac_node(ld, v, "src-mac", p->srcmac);
	p->srcmac_val = v;
}

static void h_sp_mac(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	p->mac_ok = parse_mac_node(ld, v, "mac", p->mac);
	p->mac_val = v;
}

static void h_bind_network(struct ld *ld, void *obj, const struct ynode *k,
			   const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct qbuf qb;

	(void)k;
	p->net_given = true;
	p->aux.net = xloc_of(ld, v);
	if (!pp_name_valid(v->str, v->len)) {
		/* it cannot name a network */
		err_node(ld, v, "unknown network %s", quote(&qb, v->str, v->len));
		return;
	}
	memcpy(p->aux.net_name, v->str, v->len);
	p->aux.has_net = true;
}

/* addresses: [CIDR, ...] */
static void h_sp_addrs(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct pp_cfg_addr a;
	char s[64];

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		if (!parse_addr_node(ld, e, "address", false, false, PP_AF_NONE, &a))
			continue;
		if (p->sp.n_addrs == PP_SPORT_ADDRS_MAX) {
			err_node(ld, e, "too many addresses (limit %d)", PP_SPORT_ADDRS_MAX);
			return;
		}
		for (uint32_t i = 0; i < p->sp.n_addrs; i++)
			if (p->sp.addrs[i].family == a.family &&
			    !memcmp(p->sp.addrs[i].addr, a.addr, 16)) {
				pp_addr_format(&a, false, s, sizeof(s));
				err_node(ld, e, "address %s is listed twice", s);
				a.family = PP_AF_NONE;
				break;
			}
		if (a.family == PP_AF_NONE)
			continue;
		p->aux.addr[p->sp.n_addrs] = xloc_of(ld, e);
		p->sp.addrs[p->sp.n_addrs++] = a;
	}
}

/* bind.responder: {} (no keys yet) */
static const struct keydef responder_keys[1] = { { "", 0, "", NULL } };

static void h_bind_responder(struct ld *ld, void *obj, const struct ynode *k,
			     const struct ynode *v)
{
	const struct ynode *found[1];
	struct sport_parse *p = obj;
	struct ctx ctx = { "responder of ", "service port", p->ctx.name };

	(void)k;
	p->sp.responder = true;
	walk_keys(ld, v, responder_keys, 0, p, &ctx, found);
}

/* ---- bind.security -------------------------------------------------------- */

struct pair_parse {
	struct pp_cfg_pair pair;
	bool mac_ok;
};

static void h_pair_mac(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct pair_parse *pp = obj;

	(void)k;
	pp->mac_ok = parse_mac_node(ld, v, "allowed pair mac", pp->pair.mac);
}

static void h_pair_ip(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct pair_parse *pp = obj;

	(void)k;
	pp->pair.has_ip = parse_addr_node(ld, v, "allowed pair ip", false, false, PP_AF_NONE,
					  &pp->pair.ip);
}

static const struct keydef pair_keys[] = {
	{ "mac", KT_SCALAR, "a MAC address", h_pair_mac },
	{ "ip", KT_SCALAR, "an IP address or CIDR", h_pair_ip },
};

static void h_sec_pairs(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct ctx ctx = { "allowed pair of ", "service port", p->ctx.name };
	struct ctxbuf cb;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(pair_keys)];
		struct pair_parse pp = { 0 };

		if (!check_entry_map(ld, e, "allowed-pairs"))
			continue;
		walk_keys(ld, e, pair_keys, ARRAY_SIZE(pair_keys), &pp, &ctx, found);
		if (!found[0]) {
			err_node(ld, e, "%s has no mac", ctx_str(&cb, &ctx));
			continue;
		}
		if (!pp.mac_ok)
			continue;
		if (p->sp.n_pairs == PP_PAIRS_MAX) {
			err_node(ld, e, "too many allowed pairs (limit %d)", PP_PAIRS_MAX);
			return;
		}
		p->sp.pairs[p->sp.n_pairs++] = pp.pair;
	}
}

static void h_rule_proto(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} protos[] = {
		{ "any", 0 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 },
	};
	struct pp_cfg_rule *r = obj;
	struct qbuf qb;

	(void)k;
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (key_is(v, protos[i].name)) {
			r->proto = protos[i].proto;
			return;
		}
	err_node(ld, v, "proto must be one of any, icmp, tcp, udp, icmpv6, got %s",
		 node_desc(&qb, v));
}

static bool port_num(const char *s, size_t n, uint16_t *out)
{
	uint32_t val = 0;

	if (!n || n > 5 || (s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		val = val * 10 + (uint32_t)(s[i] - '0');
	}
	if (val < 1 || val > 65535)
		return false;
	*out = (uint16_t)val;
	return true;
}

static void h_rule_ports(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;
	const char *dash = memchr(v->str, '-', v->len);
	struct qbuf qb;
	bool ok;

	(void)k;
	if (dash)
		ok = port_num(v->str, (size_t)(dash - v->str), &r->port_lo) &&
		     port_num(dash + 1, v->len - (size_t)(dash - v->str) - 1, &r->port_hi) &&
		     r->port_lo <= r->port_hi;
	else
		ok = port_num(v->str, v->len, &r->port_lo) && (r->port_hi = r->port_lo);
	if (!ok) {
		r->port_lo = r->port_hi = 0;
		err_node(ld, v, "ports must be a port 1-65535 or a range \"LOW-HIGH\", got %s",
			 node_desc(&qb, v));
	}
}

static void h_rule_icmp_type(struct ld *ld, void *obj, const struct ynode *k,
			     const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;
	uint32_t t;

	(void)k;
	if (parse_uint(ld, v, "icmp-type", 0, 255, &t)) {
		r->has_icmp_type = 1;
		r->icmp_type = (uint8_t)t;
	}
}

static void h_rule_from(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;

	(void)k;
	parse_addr_node(ld, v, "from", false, false, PP_AF_NONE, &r->from);
}

static void h_rule_to(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;

	(void)k;
	parse_addr_node(ld, v, "to", false, false, PP_AF_NONE, &r->to);
}

static void h_rule_action(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct pp_cfg_rule *r = obj;
	struct qbuf qb;

	(void)k;
	if (key_is(v, "allow"))
		r->allow = 1;
	else if (key_is(v, "drop"))
		r->allow = 0;
	else
		err_node(ld, v, "action must be allow or drop, got %s", node_desc(&qb, v));
}

static const struct keydef rule_keys[] = {
#define RK_PROTO 0
	{ "proto", KT_SCALAR, "one of any, icmp, tcp, udp, icmpv6", h_rule_proto },
#define RK_PORTS 1
	{ "ports", KT_SCALAR, "a port or a range LOW-HIGH", h_rule_ports },
#define RK_ICMP 2
	{ "icmp-type", KT_SCALAR, "an integer 0-255", h_rule_icmp_type },
	{ "from", KT_SCALAR, "a CIDR", h_rule_from },
	{ "to", KT_SCALAR, "a CIDR", h_rule_to },
	{ "action", KT_SCALAR, "allow or drop", h_rule_action },
};

static void parse_rules(struct ld *ld, struct sport_parse *p, const struct ynode *v,
			uint8_t dir, uint32_t *count)
{
	const char *what = dir == PP_RULE_INGRESS ? "ingress" : "egress";
	struct ctx ctx = { dir == PP_RULE_INGRESS ? "ingress rule of " : "egress rule of ",
			   "service port", p->ctx.name };

	for (const struct ynode *e = v->first; e && !ld->fatal; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(rule_keys)];
		struct pp_cfg_rule r = { .dir = dir, .allow = 1 };
		uint8_t fam = 0;

		if (!check_entry_map(ld, e, what))
			continue;
		r.loc = pp_loc_of(ld, e);
		walk_keys(ld, e, rule_keys, ARRAY_SIZE(rule_keys), &r, &ctx, found);
		if (found[RK_PORTS] && r.proto != 6 && r.proto != 17)
			err_node(ld, found[RK_PORTS], "ports need proto tcp or udp");
		if (found[RK_ICMP] && r.proto != 1 && r.proto != 58)
			err_node(ld, found[RK_ICMP], "icmp-type needs proto icmp or icmpv6");
		if (r.proto == 1)
			fam = PP_AF_INET;
		else if (r.proto == 58)
			fam = PP_AF_INET6;
		if ((r.from.family && r.to.family && r.from.family != r.to.family) ||
		    (fam && r.from.family && r.from.family != fam) ||
		    (fam && r.to.family && r.to.family != fam))
			err_node(ld, e, "%s rule mixes IPv4 and IPv6", what);
		if (*count == PP_RULES_MAX) {
			err_node(ld, e, "too many %s rules (limit %d)", what, PP_RULES_MAX);
			return;
		}
		if (GROW(ld->cfg->rules, ld->cfg->n_rules, ld->cap_rules))
			return oom(ld);
		ld->cfg->rules[ld->cfg->n_rules++] = r;
		(*count)++;
	}
}

static void h_sec_ingress(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_rules(ld, p, v, PP_RULE_INGRESS, &p->sp.n_ingress);
}

static void h_sec_egress(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_rules(ld, p, v, PP_RULE_EGRESS, &p->sp.n_egress);
}

static void h_sec_default(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct qbuf qb;

	(void)k;
	if (key_is(v, "allow"))
		p->sp.default_allow = true;
	else if (!key_is(v, "drop"))
		err_node(ld, v, "default must be allow or drop, got %s", node_desc(&qb, v));
}

/* A plain true or false (YAML's spellings: true, True, TRUE, ...). */
static bool parse_bool_node(struct ld *ld, const struct ynode *v, const char *what,
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

static void h_sec_allow_dhcp(struct ld *ld, void *obj, const struct ynode *k,
			     const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_bool_node(ld, v, "allow-dhcp-server", &p->sp.allow_dhcp_server);
}

static void h_sec_allow_ra(struct ld *ld, void *obj, const struct ynode *k,
			   const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_bool_node(ld, v, "allow-ra", &p->sp.allow_ra);
}

/* Table order: the ingress rules are stored before the egress ones. */
static const struct keydef security_keys[] = {
	{ "allowed-pairs", KT_SEQ, "a list of {mac, ip}", h_sec_pairs },
	{ "ingress", KT_SEQ, "a list of rules", h_sec_ingress },
	{ "egress", KT_SEQ, "a list of rules", h_sec_egress },
	{ "default", KT_SCALAR, "allow or drop", h_sec_default },
	{ "allow-dhcp-server", KT_SCALAR, "true or false", h_sec_allow_dhcp },
	{ "allow-ra", KT_SCALAR, "true or false", h_sec_allow_ra },
};

static void h_bind_security(struct ld *ld, void *obj, const struct ynode *k,
			    const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(security_keys)];
	struct sport_parse *p = obj;
	struct ctx ctx = { "security of ", "service port", p->ctx.name };

	(void)k;
	p->sp.security = true;
	p->sp.rule_first = ld->cfg->n_rules;
	walk_keys(ld, v, security_keys, ARRAY_SIZE(security_keys), p, &ctx, found);
}

/* ---- bind.dhcp -------------------------------------------------------------- */

static void h_dhcp_dns(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct pp_cfg_addr a;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		if (!parse_addr_node(ld, e, "dns server", true, false, PP_AF_INET, &a))
			continue;
		if (p->sp.n_dns == PP_DHCP_DNS_MAX) {
			err_node(ld, e, "too many dns servers (limit %d)", PP_DHCP_DNS_MAX);
			return;
		}
		memcpy(p->sp.dns[p->sp.n_dns++], a.addr, 4);
	}
}

static void h_dhcp_lease(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_uint(ld, v, "lease", 60, 0x7fffffff, &p->sp.lease);
}

static void h_dhcp_mtu(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct sport_parse *p = obj;

	(void)k;
	parse_uint(ld, v, "mtu", PP_MTU_MIN, PP_MTU_MAX, &p->sp.dhcp_mtu);
}

struct route_parse {
	struct pp_cfg_route r;
	bool to_ok, via_ok;
};

static void h_route_to(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct route_parse *rp = obj;

	(void)k;
	rp->to_ok = parse_addr_node(ld, v, "route to", false, true, PP_AF_INET, &rp->r.to);
}

static void h_route_via(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct route_parse *rp = obj;
	struct pp_cfg_addr a;

	(void)k;
	rp->via_ok = parse_addr_node(ld, v, "route via", true, false, PP_AF_INET, &a);
	memcpy(rp->r.via, a.addr, 4);
}

static const struct keydef route_keys[] = {
	{ "to", KT_SCALAR, "an IPv4 CIDR", h_route_to },
	{ "via", KT_SCALAR, "an IPv4 address", h_route_via },
};

static void h_dhcp_routes(struct ld *ld, void *obj, const struct ynode *k,
			  const struct ynode *v)
{
	struct sport_parse *p = obj;
	struct ctx ctx = { "dhcp route of ", "service port", p->ctx.name };
	struct ctxbuf cb;

	(void)k;
	for (const struct ynode *e = v->first; e; e = e->next) {
		const struct ynode *found[ARRAY_SIZE(route_keys)];
		struct route_parse rp = { 0 };

		if (!check_entry_map(ld, e, "routes"))
			continue;
		walk_keys(ld, e, route_keys, ARRAY_SIZE(route_keys), &rp, &ctx, found);
		if (!found[0] || !found[1]) {
			err_node(ld, e, "%s needs to and via", ctx_str(&cb, &ctx));
			continue;
		}
		if (!rp.to_ok || !rp.via_ok)
			continue;
		if (p->sp.n_routes == PP_DHCP_ROUTES_MAX) {
			err_node(ld, e, "too many dhcp routes (limit %d)", PP_DHCP_ROUTES_MAX);
			return;
		}
		p->sp.routes[p->sp.n_routes++] = rp.r;
	}
}

static const struct keydef dhcp_keys[] = {
	{ "dns", KT_SEQ, "a list of IPv4 addresses", h_dhcp_dns },
	{ "lease", KT_SCALAR, "a number of seconds", h_dhcp_lease },
	{ "mtu", KT_SCALAR, "an integer 68-65535", h_dhcp_mtu },
	{ "routes", KT_SEQ, "a list of {to, via}", h_dhcp_routes },
};

static void h_bind_dhcp(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(dhcp_keys)];
	struct sport_parse *p = obj;
	struct ctx ctx = { "dhcp of ", "service port", p->ctx.name };

	p->sp.dhcp = true;
	p->sp.lease = PP_LEASE_DEFAULT;
	p->aux.dhcp = xloc_of(ld, k);
	walk_keys(ld, v, dhcp_keys, ARRAY_SIZE(dhcp_keys), p, &ctx, found);
}

/* Services that can be bound to a service port. */
static const struct keydef bind_keys[] = {
#define BK_NETWORK 0
	{ "network", KT_SCALAR, "a network name", h_bind_network },
	{ "security", KT_MAP,
	  "a mapping (allowed-pairs, ingress, egress, default, allow-dhcp-server, allow-ra)",
	  h_bind_security },
	{ "responder", KT_MAP, "a mapping (empty)", h_bind_responder },
	{ "dhcp", KT_MAP, "a mapping (dns, lease, mtu, routes)", h_bind_dhcp },
};

_Static_assert(ARRAY_SIZE(bind_keys) <= MAX_KEYS, "raise MAX_KEYS");

static void h_sp_bind(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(bind_keys)];
	struct sport_parse *p = obj;
	struct ctx ctx = { "bind of ", "service port", p->ctx.name };

	(void)k;
	p->bind_walked = true;
	walk_keys(ld, v, bind_keys, ARRAY_SIZE(bind_keys), p, &ctx, found);
	/* present, even with a value of the wrong type (reported) */
	if (found[BK_NETWORK])
		p->net_given = true;
}

/* instance-port: NAME (top-level service ports only) */
static void h_sp_iport(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	struct sport_parse *p = obj;
	uint8_t key[HKEY_LEN];
	struct qbuf qb;
	uint32_t i;

	(void)k;
	if (!pp_name_valid(v->str, v->len)) {
		/* it cannot name an instance port */
		err_node(ld, v, "unknown instance port %s",
			 quote(&qb, v->str, v->len));
		return;
	}
	str_key(key, v->str, v->len);
	if (!htab_get(&ld->ip_by_name, key, &i)) {
		if (!ld->iports_incomplete)
			err_node(ld, v, "unknown instance port \"%s\"", v->str);
		return;
	}
	p->top_ipp.ip = ld->cfg->iports[i];
	p->top_ipp.aux = ld->ip_aux[i];
	p->top_ipp.idx = i;
	p->top_ipp.keep = true;
	p->ipp = &p->top_ipp;
	p->sp.iport = i;
}

/*
 * The keys of a top-level service port; a nested one has the same but
 * instance-port (sport_keys). Table order is processing order: the
 * instance port is known before the MAC is inherited from it.
 */
static const struct keydef sport_keys_top[] = {
#define SK_IPORT 0
	{ "instance-port", KT_SCALAR, "an instance port name", h_sp_iport },
#define SK_VLAN 0
	{ "vlan", KT_SCALAR | KT_SEQ,
	  "a VLAN ID 1-4094 or a list of two [outer, inner]", h_sp_vlan },
#define SK_UNTAGGED 1
	{ "untagged", KT_SCALAR, "true", h_sp_untagged },
#define SK_SRCMAC 2
	{ "src-mac", KT_SCALAR, "a MAC address", h_sp_srcmac },
#define SK_MAC 3
	{ "mac", KT_SCALAR, "a MAC address", h_sp_mac },
#define SK_ADDRS 4
	{ "addresses", KT_SEQ, "a list of IP addresses with /len", h_sp_addrs },
#define SK_BIND 5
	{ "bind", KT_MAP, "a mapping of services", h_sp_bind },
};

/* SK_IPORT indexes sport_keys_top; SK_VLAN .. SK_BIND index sport_keys,
 * the keys of a nested service port: sport_keys_top without its first */
#define sport_keys (sport_keys_top + 1)
#define N_SPORT_KEYS (ARRAY_SIZE(sport_keys_top) - 1)

_Static_assert(ARRAY_SIZE(sport_keys_top) <= MAX_KEYS, "raise MAX_KEYS");

/* "vlan 100", "vlan [300, 10]", "untagged", "src-mac 52:54:00:00:00:09" */
static void match_desc(char *buf, size_t len, const struct pp_cfg_sport *sp)
{
	char m[PP_MAC_STRLEN];

	switch (sp->match) {
	case PP_MATCH_VLAN:
		snprintf(buf, len, "vlan %u", sp->outer_vid);
		break;
	case PP_MATCH_QINQ:
		snprintf(buf, len, "vlan [%u, %u]", sp->outer_vid, sp->inner_vid);
		break;
	case PP_MATCH_UNTAGGED:
		snprintf(buf, len, "untagged");
		break;
	case PP_MATCH_SRCMAC:
		pp_mac_format(sp->mac, m);
		snprintf(buf, len, "src-mac %s", m);
		break;
	case PP_MATCH_NONE:
		snprintf(buf, len, "nothing");
		break;
	}
}

/* Two service ports of one instance port may not match the same frames. */
static void check_match(struct ld *ld, struct sport_parse *p, uint32_t idx)
{
	const struct pp_cfg_sport *sp = &p->sp;
	struct match_key mk = { 0 };
	struct owner_mac_key wk = { 0 };
	uint8_t key[HKEY_LEN];
	char desc[64], m[PP_MAC_STRLEN];
	uint32_t old;
	int r;

	mk.iport = sp->iport;
	mk.kind = (uint16_t)sp->match;
	mk.outer = sp->outer_vid;
	mk.inner = sp->inner_vid;
	if (sp->match == PP_MATCH_SRCMAC)
		memcpy(mk.mac, sp->mac, PP_ETH_ALEN);
	MAKE_KEY(key, mk);
	r = htab_put(&ld->match, key, idx, &old);
	if (r < 0)
		return oom(ld);
	if (r == 1) {
		match_desc(desc, sizeof(desc), sp);
		err_node(ld, p->match_val, "%s is already matched by service port \"%s\" at " XF,
			 desc, ld->cfg->sports[old].name,
			 XA(ld, ld->sp_aux[old].name));
		return;
	}
	/* untagged and src-mac ports share the untagged wire: src-mac is
	 * tried first, so an untagged port whose MAC is another port's
	 * src-mac would never see its own frames */
	if ((sp->match != PP_MATCH_UNTAGGED && sp->match != PP_MATCH_SRCMAC) ||
	    p->aux.mac_from == MAC_UNKNOWN)
		return;
	wk.owner = sp->iport;
	memcpy(wk.mac, sp->mac, PP_ETH_ALEN);
	MAKE_KEY(key, wk);
	r = htab_put(&ld->wire, key, idx, &old);
	if (r < 0)
		return oom(ld);
	if (r == 1) {
		/* an inherited MAC: show the untagged port's match */
		struct xloc at = p->aux.mac_from == MAC_INHERITED ?
			xloc_of(ld, p->match_val) : p->aux.mac;

		pp_mac_format(sp->mac, m);
		err_x(ld, at, "MAC %s of service port \"%s\" is already used on the untagged wire of instance port \"%s\" by service port \"%s\" at " XF,
		      m, sp->name, p->ipp->ip.name, ld->cfg->sports[old].name,
		      XA(ld, ld->sp_aux[old].name));
	}
}

/* The fields of a service port whose body is a mapping: (top-level) its
 * instance port, its match, its effective MAC, its bindings. */
static void sport_fields(struct ld *ld, struct sport_parse *p,
			 const struct ynode *k, const struct ynode *v, bool top)
{
	const struct ynode *all[ARRAY_SIZE(sport_keys_top)];
	const struct ynode **found = top ? all + 1 : all;
	const struct ynode *mk[3];
	struct ctxbuf cb;
	int nm = 0;

	if (top) {
		walk_keys(ld, v, sport_keys_top, ARRAY_SIZE(sport_keys_top), p,
			  &p->ctx, all);
		/* present, even with a value of the wrong type (reported) */
		if (!all[SK_IPORT])
			err_node(ld, k, "%s has no instance-port",
				 ctx_str(&cb, &p->ctx));
	} else {
		walk_keys(ld, v, sport_keys, N_SPORT_KEYS, p, &p->ctx, all);
	}

	/* exactly one match key */
	for (int i = SK_VLAN; i <= SK_SRCMAC; i++)
		if (found[i])
			mk[nm++] = found[i];
	if (!nm) {
		err_node(ld, k, "%s has no match key (one of vlan, untagged, src-mac)",
			 ctx_str(&cb, &p->ctx));
	} else if (nm > 1) {
		/* report each extra key, in the order written */
		for (int i = 0; i < nm; i++)
			for (int j = i + 1; j < nm; j++)
				if (mk[j]->line < mk[i]->line ||
				    (mk[j]->line == mk[i]->line &&
				     mk[j]->col < mk[i]->col)) {
					const struct ynode *t = mk[i];

					mk[i] = mk[j];
					mk[j] = t;
				}
		for (int i = 1; i < nm; i++)
			err_node(ld, mk[i], "%s has more than one match key: \"%.*s\" and \"%.*s\" at " XF,
				 ctx_str(&cb, &p->ctx), (int)mk[i]->len, mk[i]->str,
				 (int)mk[0]->len, mk[0]->str,
				 XA(ld, xloc_of(ld, mk[0])));
		p->match_ok = false;
	}

	/* the effective MAC */
	p->sp.mac_explicit = found[SK_MAC] != NULL;
	if (found[SK_SRCMAC] && p->srcmac_ok) {
		if (p->mac_ok && memcmp(p->mac, p->srcmac, PP_ETH_ALEN)) {
			char a[PP_MAC_STRLEN], b[PP_MAC_STRLEN];

			pp_mac_format(p->mac, a);
			pp_mac_format(p->srcmac, b);
			err_node(ld, p->mac_val, "mac %s of %s differs from its src-mac %s (a src-mac service port's MAC is its src-mac)",
				 a, ctx_str(&cb, &p->ctx), b);
		}
		memcpy(p->sp.mac, p->srcmac, PP_ETH_ALEN);
		p->aux.mac_from = MAC_SRCMAC;
		p->aux.mac = xloc_of(ld, p->srcmac_val);
	} else if (found[SK_SRCMAC]) {
		p->aux.mac_from = MAC_UNKNOWN;
	} else if (found[SK_MAC]) {
		if (p->mac_ok) {
			memcpy(p->sp.mac, p->mac, PP_ETH_ALEN);
			p->aux.mac_from = MAC_EXPLICIT;
			p->aux.mac = xloc_of(ld, p->mac_val);
		}
	} else if (p->ipp && p->ipp->aux.mac_ok) {
		memcpy(p->sp.mac, p->ipp->ip.mac, PP_ETH_ALEN);
		p->aux.mac_from = MAC_INHERITED;
		p->aux.mac = p->aux.name;
	}
	/* every service port binds a network (for now) */
	if (!found[SK_BIND])
		err_node(ld, k, "%s has no bind.network", ctx_str(&cb, &p->ctx));
	else if (p->bind_walked && !p->net_given)
		err_node(ld, found[SK_BIND], "%s has no bind.network",
			 ctx_str(&cb, &p->ctx));
}

/* Keep a service port whose name is registered as idx. */
static void keep_sport(struct ld *ld, struct sport_parse *p,
		      const struct ynode *k, uint32_t idx)
{
	memcpy(p->sp.name, k->str, k->len);
	if (p->match_ok)
		check_match(ld, p, idx);

	if (idx == PP_MAX_SPORTS && !ld->too_many_sports) {
		ld->too_many_sports = true;
		err_node(ld, k, "too many service ports (limit %d)", PP_MAX_SPORTS);
	}
	if (GROW2(ld->cfg->sports, ld->sp_aux, idx, ld->cap_sports))
		return oom(ld);
	ld->cfg->sports[idx] = p->sp;
	ld->sp_aux[idx] = p->aux;
	ld->cfg->n_sports++;
}

static void parse_sport(struct ld *ld, void *parent, const struct ynode *k,
			const struct ynode *v)
{
	struct iport_parse *ipp = parent;
	struct sport_parse p = { .ipp = ipp,
				 .ctx = { "", "service port", k } };
	uint32_t idx = ld->cfg->n_sports;
	bool keep;

	p.aux.name = xloc_of(ld, k);
	p.sp.loc = pp_loc_of(ld, k);
	p.sp.iport = ipp->idx;
	p.sp.network = PP_NO_INDEX;

	keep = check_name(ld, k, "service port") && ipp->keep;
	keep = keep && register_name(ld, k, "service port", &ld->sp_by_name,
				     idx, sport_prior);
	/* a sport whose body is not a mapping is still kept (its name is
	 * registered), without a match, MAC or network */
	if (check_body(ld, v, &p.ctx))
		sport_fields(ld, &p, k, v, false);

	if (keep)
		keep_sport(ld, &p, k, idx);
}

/*
 * A top-level service port (read once every file is). It is kept when its
 * instance port is known: its name is then registered after its fields are
 * read; otherwise its fields are still checked.
 */
static void parse_top_sport(struct ld *ld, void *parent, const struct ynode *k,
			    const struct ynode *v)
{
	struct sport_parse sp = { .ctx = { "", "service port", k } };
	struct sport_parse *p = &sp;
	uint32_t idx = ld->cfg->n_sports;
	bool name_ok;

	(void)parent;
	p->aux.name = xloc_of(ld, k);
	p->sp.loc = pp_loc_of(ld, k);
	p->sp.iport = PP_NO_INDEX;
	p->sp.network = PP_NO_INDEX;
	p->sp.toplevel = true;

	name_ok = check_name(ld, k, "service port");
	if (check_body(ld, v, &p->ctx))
		sport_fields(ld, p, k, v, true);
	if (name_ok && p->ipp && !ld->fatal &&
	    register_name(ld, k, "service port", &ld->sp_by_name, idx,
			  sport_prior)) {
		keep_sport(ld, p, k, idx);
		if (!ld->fatal)
			ld->n_toplevel++;
	}
}

static void h_ip_device(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct iport_parse *ipp = obj;

	(void)k;
	if (parse_ifname_node(ld, v, "device", ipp->ip.device))
		ipp->dev = v;
}

static void h_ip_mac(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct iport_parse *ipp = obj;

	(void)k;
	ipp->aux.mac_ok = parse_mac_node(ld, v, "mac", ipp->ip.mac);
}

static void h_ip_mtu(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	struct iport_parse *ipp = obj;

	(void)k;
	ipp->aux.mtu_ok = parse_uint(ld, v, "mtu", PP_MTU_MIN, PP_MTU_MAX,
				     &ipp->ip.mtu);
}

static void h_ip_mode(struct ld *ld, void *obj, const struct ynode *k,
		      const struct ynode *v)
{
	static const struct {
		const char *name;
		enum pp_mode mode;
	} modes[] = {
		{ "auto", PP_MODE_AUTO },
		{ "tc", PP_MODE_TC },
		{ "xdp", PP_MODE_XDP },
	};
	struct iport_parse *ipp = obj;
	struct qbuf qb;

	(void)k;
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (key_is(v, modes[i].name)) {
			ipp->ip.mode = modes[i].mode;
			return;
		}
	}
	err_node(ld, v, "mode must be one of auto, tc, xdp, got %s",
		 node_desc(&qb, v));
}

static void h_ip_sports(struct ld *ld, void *obj, const struct ynode *k,
			const struct ynode *v)
{
	struct iport_parse *ipp = obj;

	(void)k;
	ipp->ip.sport_first = ld->cfg->n_sports;
	walk_named(ld, v, "service-ports", parse_sport, ipp);
	ipp->ip.sport_count = ld->cfg->n_sports - ipp->ip.sport_first;
}

/* Table order is processing order: service ports come after what they
 * inherit (mac). */
static const struct keydef iport_keys[] = {
#define IK_DEVICE 0
	{ "device", KT_SCALAR, "an interface name", h_ip_device },
#define IK_MAC 1
	{ "mac", KT_SCALAR, "a MAC address", h_ip_mac },
	{ "mtu", KT_SCALAR, "an integer 68-65535", h_ip_mtu },
	{ "mode", KT_SCALAR, "one of auto, tc, xdp", h_ip_mode },
	{ "service-ports", KT_MAP, "a mapping of service port names",
	  h_ip_sports },
};

_Static_assert(ARRAY_SIZE(iport_keys) <= MAX_KEYS, "raise MAX_KEYS");

static void parse_iport(struct ld *ld, void *parent, const struct ynode *k,
			const struct ynode *v)
{
	const struct ynode *found[ARRAY_SIZE(iport_keys)];
	struct iport_parse ipp = { .ctx = { "", "instance port", k } };
	struct ctxbuf cb;

	(void)parent;
	ipp.idx = ld->cfg->n_iports;
	ipp.ip.mtu = PP_MTU_DEFAULT;
	ipp.ip.mode = PP_MODE_AUTO;
	ipp.ip.sport_first = ld->cfg->n_sports;
	ipp.aux.mtu_ok = true;
	ipp.aux.name = xloc_of(ld, k);
	ipp.ip.loc = pp_loc_of(ld, k);

	ipp.keep = check_name(ld, k, "instance port");
	if (!ipp.keep)
		ld->iports_incomplete = true;
	ipp.keep = ipp.keep &&
		   register_name(ld, k, "instance port", &ld->ip_by_name,
				 ipp.idx, iport_prior);
	if (ipp.keep)
		memcpy(ipp.ip.name, k->str, k->len);
	if (check_body(ld, v, &ipp.ctx)) {
		walk_keys(ld, v, iport_keys, ARRAY_SIZE(iport_keys), &ipp,
			  &ipp.ctx, found);
		if (!found[IK_DEVICE])
			err_node(ld, k, "%s has no device", ctx_str(&cb, &ipp.ctx));
		if (!found[IK_MAC])
			err_node(ld, k, "%s has no mac", ctx_str(&cb, &ipp.ctx));
	}
	if (!ipp.keep || ld->fatal)
		return;

	if (ipp.dev) {
		uint8_t key[HKEY_LEN];
		uint32_t old;
		int r;

		str_key(key, ipp.ip.device, strlen(ipp.ip.device));
		r = htab_put(&ld->tap, key, ipp.idx, &old);
		if (r < 0)
			return oom(ld);
		if (r == 1)
			err_node(ld, ipp.dev, "tap \"%s\" is already claimed by instance port \"%s\" at " XF,
				 ipp.ip.device, ld->cfg->iports[old].name,
				 XA(ld, ld->ip_aux[old].name));
		else if (htab_get(&ld->netdev, key, &old))
			err_node(ld, ipp.dev, "tap \"%s\" is the device of network \"%s\" at " XF,
				 ipp.ip.device, ld->cfg->networks[old].name,
				 XA(ld, ld->net_aux[old].name));
	}

	if (ipp.idx == PP_MAX_IPORTS && !ld->too_many_iports) {
		ld->too_many_iports = true;
		err_node(ld, k, "too many instance ports (limit %d)",
			 PP_MAX_IPORTS);
	}
	if (GROW2(ld->cfg->iports, ld->ip_aux, ipp.idx, ld->cap_iports))
		return oom(ld);
	ld->cfg->iports[ipp.idx] = ipp.ip;
	ld->ip_aux[ipp.idx] = ipp.aux;
	ld->cfg->n_iports++;
}

/* ======================================================================== */
/* The top level of a file */

static void h_networks(struct ld *ld, void *obj, const struct ynode *k,
		       const struct ynode *v)
{
	(void)obj;
	(void)k;
	walk_named(ld, v, "networks", parse_network, NULL);
}

static void h_iports(struct ld *ld, void *obj, const struct ynode *k,
		     const struct ynode *v)
{
	(void)obj;
	(void)k;
	walk_named(ld, v, "instance-ports", parse_iport, NULL);
}

/* Top-level service ports are read once every file is (their instance
 * port may come later): keep this file's tree until then. */
static void h_top_sports(struct ld *ld, void *obj, const struct ynode *k,
			 const struct ynode *v)
{
	(void)obj;
	(void)k;
	if (v->type != Y_MAP || !v->count)
		return;
	if (GROW(ld->defer, ld->n_defer, ld->cap_defer))
		return oom(ld);
	ld->defer[ld->n_defer++] = (struct deferred){ ld->fidx, v };
	ld->keep_tree = true;
}

static const struct keydef top_keys[] = {
	{ "networks", KT_MAP, "a mapping of network names", h_networks },
	{ "instance-ports", KT_MAP, "a mapping of instance port names",
	  h_iports },
	{ "service-ports", KT_MAP, "a mapping of service port names",
	  h_top_sports },
};

_Static_assert(ARRAY_SIZE(top_keys) <= MAX_KEYS, "raise MAX_KEYS");

static void walk_file(struct ld *ld, const struct ynode *root)
{
	const struct ynode *found[ARRAY_SIZE(top_keys)];
	struct ctx ctx = { "", "the top level", NULL };
	struct qbuf qb;

	if (!root || is_null(root) || root->type == Y_BAD)
		return;
	if (root->type != Y_MAP) {
		err_node(ld, root, "the top level must be a mapping (networks, instance-ports, service-ports), got %s",
			 node_desc(&qb, root));
		return;
	}
	walk_keys(ld, root, top_keys, ARRAY_SIZE(top_keys), NULL, &ctx, found);
}

/* ======================================================================== */
/* What needs every file: top-level service ports, bound networks */

static void read_top_sports(struct ld *ld)
{
	for (size_t i = 0; i < ld->n_defer && !ld->fatal; i++) {
		ld->fidx = ld->defer[i].fidx;
		walk_named(ld, ld->defer[i].map, "service-ports",
			   parse_top_sport, NULL);
	}
}

struct netaddr_key {		/* (network, address) */
	uint32_t net;
	uint8_t family;
	uint8_t addr[16];
};

_Static_assert(sizeof(struct netaddr_key) <= HKEY_LEN, "key too large");

/* What the services of service port i, bound to network n, need of it. */
static void check_services(struct ld *ld, uint32_t i, uint32_t n)
{
	struct pp_config *cfg = ld->cfg;
	const struct pp_cfg_sport *sp = &cfg->sports[i];
	const struct sport_aux *ax = &ld->sp_aux[i];
	const struct pp_cfg_network *net = &cfg->networks[n];
	bool has4 = false;
	char s[64];

	/* an address names one port (or the gateway) of a network */
	for (uint32_t a = 0; a < sp->n_addrs; a++) {
		const struct pp_cfg_addr *ad = &sp->addrs[a];
		const struct pp_cfg_addr *gw = ad->family == PP_AF_INET ? &net->gw4 : &net->gw6;
		struct netaddr_key nk = { 0 };
		uint8_t key[HKEY_LEN];
		uint32_t old;
		int r;

		has4 |= ad->family == PP_AF_INET;
		pp_addr_format(ad, false, s, sizeof(s));
		if (gw->family && !memcmp(gw->addr, ad->addr, 16)) {
			err_x(ld, ax->addr[a], "address %s of service port \"%s\" is the gateway of network \"%s\"",
			      s, sp->name, net->name);
			continue;
		}
		nk.net = n;
		nk.family = ad->family;
		memcpy(nk.addr, ad->addr, 16);
		MAKE_KEY(key, nk);
		r = htab_put(&ld->netaddr, key, i, &old);
		if (r < 0)
			return oom(ld);
		if (r == 1)
			err_x(ld, ax->addr[a], "address %s of service port \"%s\" is already used on network \"%s\" by service port \"%s\" at " XF,
			      s, sp->name, net->name, cfg->sports[old].name,
			      XA(ld, ld->sp_aux[old].name));
	}
	if (!sp->dhcp)
		return;
	if (!net->gw4.family)
		err_x(ld, ax->dhcp, "dhcp on service port \"%s\" needs a gateway ipv4 on network \"%s\"",
		      sp->name, net->name);
	if (!has4)
		err_x(ld, ax->dhcp, "dhcp on service port \"%s\" needs an IPv4 address in its addresses",
		      sp->name);
}

static void check_bindings(struct ld *ld)
{
	struct pp_config *cfg = ld->cfg;

	for (uint32_t i = 0; i < cfg->n_sports && !ld->fatal; i++) {
		struct pp_cfg_sport *sp = &cfg->sports[i];
		const struct sport_aux *ax = &ld->sp_aux[i];
		const struct pp_cfg_iport *ip = &cfg->iports[sp->iport];
		const struct pp_cfg_network *net;
		struct owner_mac_key nk = { 0 };
		uint8_t key[HKEY_LEN];
		uint32_t n, old;
		char m[PP_MAC_STRLEN], inh[96];
		int r;

		if (!ax->has_net)
			continue;	/* reported already */
		str_key(key, ax->net_name, strlen(ax->net_name));
		if (!htab_get(&ld->net_by_name, key, &n)) {
			if (!ld->nets_incomplete)
				err_x(ld, ax->net, "unknown network \"%s\"",
				      ax->net_name);
			continue;
		}
		sp->network = n;
		net = &cfg->networks[n];

		if (ld->net_aux[n].mtu_ok && ld->ip_aux[sp->iport].mtu_ok &&
		    net->mtu > ip->mtu)
			err_x(ld, ax->net, "network \"%s\" has MTU %u, more than the MTU %u of instance port \"%s\"",
			      net->name, net->mtu, ip->mtu, ip->name);

		check_services(ld, i, n);

		/* the destination MAC names one port of a network */
		if (ax->mac_from == MAC_UNKNOWN)
			continue;
		nk.owner = n;
		memcpy(nk.mac, sp->mac, PP_ETH_ALEN);
		MAKE_KEY(key, nk);
		r = htab_put(&ld->netmac, key, i, &old);
		if (r < 0)
			return oom(ld);
		if (r == 0)
			continue;
		pp_mac_format(sp->mac, m);
		inh[0] = 0;
		if (ax->mac_from == MAC_INHERITED)
			snprintf(inh, sizeof(inh),
				 " (inherited from instance port \"%s\")",
				 ip->name);
		err_x(ld, ax->mac, "MAC %s of service port \"%s\"%s is already used on network \"%s\" by service port \"%s\" at " XF,
		      m, sp->name, inh, net->name, cfg->sports[old].name,
		      XA(ld, ld->sp_aux[old].name));
	}
}

/*
 * Group the service ports by instance port (a stable counting sort: an
 * instance port's nested service ports, then its top-level ones, each in
 * order of definition), set every sport_first/sport_count, and remap the
 * index by name. Only needed when there are top-level service ports.
 */
static int group_sports(struct ld *ld)
{
	struct pp_config *cfg = ld->cfg;
	struct pp_cfg_sport *sorted;
	uint32_t *newidx, first = 0;
	struct htab *h = &ld->sp_by_name;

	if (!ld->n_toplevel)
		return 0;
	sorted = malloc(cfg->n_sports * sizeof(*sorted));
	newidx = malloc(cfg->n_sports * sizeof(*newidx));
	if (!sorted || !newidx) {
		free(sorted);
		free(newidx);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->n_iports; i++)
		cfg->iports[i].sport_count = 0;
	for (uint32_t i = 0; i < cfg->n_sports; i++)
		cfg->iports[cfg->sports[i].iport].sport_count++;
	for (uint32_t i = 0; i < cfg->n_iports; i++) {
		cfg->iports[i].sport_first = first;
		first += cfg->iports[i].sport_count;
		cfg->iports[i].sport_count = 0;
	}
	for (uint32_t i = 0; i < cfg->n_sports; i++) {
		struct pp_cfg_iport *ip = &cfg->iports[cfg->sports[i].iport];
		uint32_t j = ip->sport_first + ip->sport_count++;

		sorted[j] = cfg->sports[i];
		newidx[i] = j;
	}
	for (size_t i = 0; i < h->cap; i++)
		if (h->e[i].used)
			h->e[i].val = newidx[h->e[i].val];
	free(cfg->sports);
	cfg->sports = sorted;
	/* cfg->sports now holds n_sports; sp_aux keeps the order of
	 * processing (only errors use it, and there are none) */
	ld->cap_sports = cfg->n_sports;
	free(newidx);
	return 0;
}

/* ======================================================================== */
/* Loading */

struct src {
	const char *name;
	const char *data;
	size_t len;
	int err;		/* errno when the file could not be read */
};

static int cmp_errkey(const void *a, const void *b)
{
	const struct errkey *x = a, *y = b;

	if (x->fidx != y->fidx)
		return x->fidx < y->fidx ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Order the errors of this load by file, line, column. */
static int sort_errors(struct ld *ld)
{
	struct pp_error *tmp, *v = ld->errs->v + ld->err_base;
	size_t n = ld->n_ekeys;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	qsort(ld->ekeys, n, sizeof(*ld->ekeys), cmp_errkey);
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[ld->ekeys[i].seq];
	memcpy(v, tmp, n * sizeof(*tmp));
	free(tmp);
	return 0;
}

static void ld_free(struct ld *ld)
{
	free(ld->ekeys);
	free(ld->net_aux);
	free(ld->ip_aux);
	free(ld->sp_aux);
	free(ld->defer);
	free(ld->roots);
	htab_free(&ld->net_by_name);
	htab_free(&ld->ip_by_name);
	htab_free(&ld->sp_by_name);
	htab_free(&ld->tap);
	htab_free(&ld->netdev);
	htab_free(&ld->netdev_vlan);
	htab_free(&ld->match);
	htab_free(&ld->wire);
	htab_free(&ld->netmac);
	htab_free(&ld->netaddr);
	arena_free(&ld->arena);
	arena_free(&ld->kept);
}

void pp_config_free(struct pp_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->networks);
	free(cfg->iports);
	free(cfg->sports);
	free(cfg->rules);
	for (uint32_t i = 0; i < cfg->n_files; i++)
		free(cfg->files[i]);
	free(cfg->files);
	if (cfg->index) {
		htab_free(&cfg->index->net);
		htab_free(&cfg->index->ip);
		htab_free(&cfg->index->sp);
		htab_free(&cfg->index->tap);
		free(cfg->index);
	}
	free(cfg);
}

/* Add the names of the files to cfg->files first: every error and loc
 * points at them. */
static int add_files(struct ld *ld, const struct src *src, size_t n)
{
	struct pp_config *cfg = ld->cfg;

	cfg->files = calloc(n ? n : 1, sizeof(*cfg->files));
	if (!cfg->files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cfg->files[i] = strdup(src[i].name);
		if (!cfg->files[i])
			return -ENOMEM;
		cfg->n_files++;
	}
	return 0;
}

static int export_objects(struct ld *ld, struct pp_export *ex);

/*
 * Load the sources into *out; or, with ex, export them into ex (references
 * outside the sources allowed, every tree kept until the objects are
 * written; no model is returned).
 */
static int load_sources(const struct src *src, size_t n, struct pp_config **out,
			struct pp_errors *errs_in, struct pp_export *ex)
{
	struct pp_errors local = PP_ERRORS_INIT;
	struct pp_errors *errs = errs_in ? errs_in : &local;
	struct ld ld = { 0 };
	int ret;

	if (out)
		*out = NULL;
	ld.errs = errs;
	ld.err_base = errs->n;
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (!ld.cfg)
		return -ENOMEM;
	ret = add_files(&ld, src, n);
	if (ret)
		goto out;
	if (ex) {
		/* what the sources name may be defined where they go */
		ld.nets_incomplete = true;
		ld.iports_incomplete = true;
		ld.roots = calloc(n ? n : 1, sizeof(*ld.roots));
		if (!ld.roots) {
			ret = -ENOMEM;
			goto out;
		}
	}

	for (size_t i = 0; i < n && !ld.fatal; i++) {
		struct ynode *root;
		int r;

		ld.fidx = (uint32_t)i;
		if (src[i].err) {
			err_file(&ld, "cannot read: %s", strerror(src[i].err));
			if (!ld.io_err)
				ld.io_err = -src[i].err;
			ld.nets_incomplete = true;
			ld.iports_incomplete = true;
			continue;
		}
		r = yaml_to_tree(&ld, src[i].data, src[i].len, &root);
		if (r < 0) {
			oom(&ld);
		} else if (r > 0) {
			ld.nets_incomplete = true;
			ld.iports_incomplete = true;
		} else {
			walk_file(&ld, root);
			if (ex)
				ld.roots[i] = root;
		}
		if (ld.keep_tree || ex)
			arena_move(&ld.kept, &ld.arena);
		else
			arena_free(&ld.arena);
		ld.keep_tree = false;
	}
	if (!ld.fatal)
		read_top_sports(&ld);
	if (!ld.fatal)
		check_bindings(&ld);

	if (ld.fatal) {
		ret = ld.fatal;
	} else if (ld.n_ekeys) {
		ret = sort_errors(&ld);
		if (!ret)
			ret = ld.io_err ? ld.io_err : -EINVAL;
	} else {
		struct pp_config_index *ix;

		ret = group_sports(&ld);
		if (ret)
			goto out;
		if (ex) {
			ret = export_objects(&ld, ex);
			goto out;
		}
		ix = calloc(1, sizeof(*ix));
		if (!ix) {
			ret = -ENOMEM;
			goto out;
		}
		ix->net = ld.net_by_name;
		ix->ip = ld.ip_by_name;
		ix->sp = ld.sp_by_name;
		ix->tap = ld.tap;
		memset(&ld.net_by_name, 0, sizeof(ld.net_by_name));
		memset(&ld.ip_by_name, 0, sizeof(ld.ip_by_name));
		memset(&ld.sp_by_name, 0, sizeof(ld.sp_by_name));
		memset(&ld.tap, 0, sizeof(ld.tap));
		ld.cfg->index = ix;
		*out = ld.cfg;
		ld.cfg = NULL;
		ret = 0;
	}
out:
	pp_config_free(ld.cfg);
	ld_free(&ld);
	pp_errors_free(&local);
	return ret;
}

int pp_config_load_buffers(const struct pp_config_source *s, size_t n,
			   struct pp_config **out, struct pp_errors *errs)
{
	struct src *src = calloc(n ? n : 1, sizeof(*src));
	int ret;

	if (!src) {
		*out = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		src[i] = (struct src){ s[i].name, s[i].data, s[i].len, 0 };
	ret = load_sources(src, n, out, errs, NULL);
	free(src);
	return ret;
}

/* Read a whole file. Returns 0 or a negative errno. */
static int read_file(const char *path, char **data, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (!buf || n == cap) {
			char *nb;

			if (buf)
				cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* The files paths[] (read here), then the in-memory sources extra[]. */
static int load_files_and_buffers(const char *const *paths, size_t n,
				  const struct pp_config_source *extra,
				  size_t n_extra, struct pp_config **out,
				  struct pp_errors *errs, struct pp_export *ex)
{
	struct src *src = calloc(n + n_extra ? n + n_extra : 1, sizeof(*src));
	int ret = 0;

	if (out)
		*out = NULL;
	if (!src)
		return -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		char *data = NULL;
		int r = read_file(paths[i], &data, &src[i].len);

		src[i].name = paths[i];
		src[i].data = data;
		if (r == -ENOMEM)
			ret = r;
		else if (r)
			src[i].err = -r;
	}
	for (size_t i = 0; i < n_extra; i++)
		src[n + i] = (struct src){ extra[i].name, extra[i].data,
					   extra[i].len, 0 };
	if (!ret)
		ret = load_sources(src, n + n_extra, out, errs, ex);
	for (size_t i = 0; i < n; i++)
		free((char *)src[i].data);
	free(src);
	return ret;
}

int pp_config_load_files(const char *const *paths, size_t n,
			 struct pp_config **out, struct pp_errors *errs)
{
	return load_files_and_buffers(paths, n, NULL, 0, out, errs, NULL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *name)
{
	size_t l = strlen(name);

	return name[0] != '.' && l > 5 && !strcmp(name + l - 5, ".yaml");
}

int pp_config_load(const char *dir, const struct pp_config_source *extra,
		   size_t n_extra, struct pp_config **out,
		   struct pp_errors *errs)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*out = NULL;
	if (!dir)
		return load_files_and_buffers(NULL, 0, extra, n_extra, out, errs, NULL);
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		if (errs && pp_errors_add(errs, dir, 0, 0,
					  "cannot open directory: %s",
					  strerror(-ret)))
			ret = -ENOMEM;
		return ret;
	}
	while ((de = readdir(d))) {
		bool here = !strcmp(dir, ".");
		size_t dl = strlen(dir);
		struct stat st;
		char *path;

		if (!yaml_name(de->d_name))
			continue;
		if (asprintf(&path, "%s%s%s", here ? "" : dir,
			     here || (dl && dir[dl - 1] == '/') ? "" : "/",
			     de->d_name) < 0) {
			ret = -ENOMEM;
			break;
		}
		/* skip directories and the like; a dangling link is kept
		 * so that it is reported */
		if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (GROW(names, n, cap)) {
			free(path);
			ret = -ENOMEM;
			break;
		}
		names[n++] = path;
	}
	closedir(d);
	if (!ret) {
		qsort(names, n, sizeof(*names), cmp_str);
		ret = load_files_and_buffers((const char *const *)names, n,
					     extra, n_extra, out, errs, NULL);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int pp_config_load_dir(const char *dir, struct pp_config **out,
		       struct pp_errors *errs)
{
	return pp_config_load(dir, NULL, 0, out, errs);
}

/* ======================================================================== */
/* Export: each object of the sources as the API's JSON body */

struct jbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		ns = realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void jb_lit(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

/* A JSON string: the bytes of s (UTF-8 as libyaml gives it), escaped. */
static void jb_str(struct jbuf *b, const char *s, size_t len)
{
	size_t run = 0;

	jb_put(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jb_put(b, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		jb_lit(b, esc);
	}
	jb_put(b, s + run, len - run);
	jb_put(b, "\"", 1);
}

/*
 * A value as JSON, typed as the loader took it (see pp_config_export_buffers).
 * Only called on a tree that loaded without an error: no aliases, scalar
 * keys, a depth the loader bounds.
 */
static void jb_node(struct jbuf *b, const struct ynode *n)
{
	bool first = true;

	switch (n->type) {
	case Y_MAP:
		jb_put(b, "{", 1);
		for (const struct ynode *k = n->first; k && k->next; k = k->next->next) {
			jb_lit(b, first ? "" : ", ");
			first = false;
			jb_str(b, k->str, k->len);
			jb_put(b, ": ", 2);
			jb_node(b, k->next);
		}
		jb_put(b, "}", 1);
		return;
	case Y_SEQ:
		jb_put(b, "[", 1);
		for (const struct ynode *e = n->first; e; e = e->next) {
			jb_lit(b, first ? "" : ", ");
			first = false;
			jb_node(b, e);
		}
		jb_put(b, "]", 1);
		return;
	case Y_SCALAR:
		if (n->read_as == YR_INT)	/* plain decimal digits */
			jb_put(b, n->str, n->len);
		else if (n->read_as == YR_BOOL)
			jb_lit(b, n->str[0] == 't' || n->str[0] == 'T' ? "true" : "false");
		else if (is_null(n))		/* only ever taken as "empty" */
			jb_lit(b, "null");
		else
			jb_str(b, n->str, n->len);
		return;
	}
	b->oom = true;	/* Y_BAD: never in a tree that loaded */
}

/* The value of key name in mapping m, or NULL. */
static const struct ynode *map_get(const struct ynode *m, const char *name)
{
	if (!m || m->type != Y_MAP)
		return NULL;
	for (const struct ynode *k = m->first; k && k->next; k = k->next->next)
		if (k->type == Y_SCALAR && key_is(k, name))
			return k->next;
	return NULL;
}

/* One object: {"name": k, ["instance-port": iport,] the keys of body but
 * skip, in order}. */
static int export_one(struct ld *ld, struct pp_export *ex, size_t *cap,
		      uint32_t fidx, const char *kind, const struct ynode *k,
		      const struct ynode *body, const struct ynode *iport,
		      const char *skip)
{
	struct pp_export_obj *o;
	struct jbuf b = { 0 };

	if (GROW(ex->objs, ex->n, *cap))
		return -ENOMEM;
	jb_lit(&b, "{\"name\": ");
	jb_str(&b, k->str, k->len);
	if (iport) {
		jb_lit(&b, ", \"instance-port\": ");
		jb_str(&b, iport->str, iport->len);
	}
	for (const struct ynode *f = body && body->type == Y_MAP ? body->first : NULL;
	     f && f->next; f = f->next->next) {
		if (skip && key_is(f, skip))
			continue;
		jb_lit(&b, ", ");
		jb_str(&b, f->str, f->len);
		jb_put(&b, ": ", 2);
		jb_node(&b, f->next);
	}
	jb_put(&b, "}", 1);
	if (b.oom) {
		free(b.s);
		return -ENOMEM;
	}
	o = &ex->objs[ex->n++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	memcpy(o->name, k->str, k->len);	/* a valid name: it loaded */
	o->json = b.s;
	o->loc = (struct pp_loc){ ld->cfg->files[fidx], k->line, k->col };
	return 0;
}

/* Every object of the sources that loaded (ld->roots), in the order of
 * pp_export.objs: what each needs comes before it. */
static int export_objects(struct ld *ld, struct pp_export *ex)
{
	static const char *const kinds[] = { "networks", "instance-ports", "service-ports" };
	size_t cap = 0;
	int ret = 0;

	for (size_t kind = 0; kind < ARRAY_SIZE(kinds) && !ret; kind++) {
		for (uint32_t f = 0; f < ld->cfg->n_files && !ret; f++) {
			const struct ynode *sec = map_get(ld->roots[f], kinds[kind]);

			for (const struct ynode *k = sec && sec->type == Y_MAP ? sec->first : NULL;
			     k && k->next && !ret; k = k->next->next) {
				const struct ynode *sps;

				ret = export_one(ld, ex, &cap, f, kinds[kind], k, k->next, NULL,
						 kind == 1 ? "service-ports" : NULL);
				if (ret || kind != 1)
					continue;
				/* nested service ports: top-level ones naming it */
				sps = map_get(k->next, "service-ports");
				for (const struct ynode *s = sps && sps->type == Y_MAP ? sps->first : NULL;
				     s && s->next && !ret; s = s->next->next)
					ret = export_one(ld, ex, &cap, f, kinds[2], s, s->next, k, NULL);
			}
		}
	}
	if (ret)
		return ret;
	/* the file names move to ex (every loc points at them) */
	ex->files = ld->cfg->files;
	ex->n_files = ld->cfg->n_files;
	ld->cfg->files = NULL;
	ld->cfg->n_files = 0;
	return 0;
}

int pp_config_export_buffers(const struct pp_config_source *s, size_t n,
			     struct pp_export **out, struct pp_errors *errs)
{
	struct pp_export *ex = calloc(1, sizeof(*ex));
	struct src *src = calloc(n ? n : 1, sizeof(*src));
	int ret = -ENOMEM;

	*out = NULL;
	if (ex && src) {
		for (size_t i = 0; i < n; i++)
			src[i] = (struct src){ s[i].name, s[i].data, s[i].len, 0 };
		ret = load_sources(src, n, NULL, errs, ex);
	}
	free(src);
	if (ret)
		pp_export_free(ex);
	else
		*out = ex;
	return ret;
}

int pp_config_export_files(const char *const *paths, size_t n,
			   struct pp_export **out, struct pp_errors *errs)
{
	struct pp_export *ex = calloc(1, sizeof(*ex));
	int ret = -ENOMEM;

	*out = NULL;
	if (ex)
		ret = load_files_and_buffers(paths, n, NULL, 0, NULL, errs, ex);
	if (ret)
		pp_export_free(ex);
	else
		*out = ex;
	return ret;
}

void pp_export_free(struct pp_export *ex)
{
	if (!ex)
		return;
	for (size_t i = 0; i < ex->n; i++)
		free(ex->objs[i].json);
	free(ex->objs);
	for (uint32_t i = 0; i < ex->n_files; i++)
		free(ex->files[i]);
	free(ex->files);
	free(ex);
}

/* ======================================================================== */
/* Lookups */

static bool lookup(const struct htab *h, const char *name, uint32_t *idx)
{
	uint8_t key[HKEY_LEN];
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	if (len > PP_NAME_MAX)
		return false;
	str_key(key, name, len);
	return htab_get(h, key, idx);
}

const struct pp_cfg_network *
pp_config_find_network(const struct pp_config *cfg, const char *name)
{
	uint32_t i;

	return cfg->index && lookup(&cfg->index->net, name, &i) ?
		       &cfg->networks[i] : NULL;
}

const struct pp_cfg_iport *
pp_config_find_iport(const struct pp_config *cfg, const char *name)
{
	uint32_t i;

	return cfg->index && lookup(&cfg->index->ip, name, &i) ?
		       &cfg->iports[i] : NULL;
}

const struct pp_cfg_sport *
pp_config_find_sport(const struct pp_config *cfg, const char *name)
{
	uint32_t i;

	return cfg->index && lookup(&cfg->index->sp, name, &i) ?
		       &cfg->sports[i] : NULL;
}

const struct pp_cfg_iport *
pp_config_find_iport_by_device(const struct pp_config *cfg, const char *ifname)
{
	uint32_t i;

	return cfg->index && ifname && strlen(ifname) <= PP_IFNAME_MAX &&
		       lookup(&cfg->index->tap, ifname, &i) ?
		       &cfg->iports[i] : NULL;
}
