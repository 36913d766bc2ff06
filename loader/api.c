// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The northbound API (see api.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include "api.h"
#include "xdp.h"
#include "log.h"

enum kind { K_NET, K_IPORT, K_SPORT, K_COUNT };

static const struct {
	const char *path;	/* /v1/<path> and the key in the store and the source */
	const char *what;	/* in messages */
} kinds[K_COUNT] = {
	[K_NET] = { "networks", "network" },
	[K_IPORT] = { "instance-ports", "instance port" },
	[K_SPORT] = { "service-ports", "service port" },
};

#define EVENTS_MAX	4096
#define WAITERS_MAX	256

struct line_ref {		/* what a line of the rendered source holds */
	int kind;		/* -1: structure */
	char name[PP_NAME_MAX + 1];
	char field[24];
};

struct waiter {
	struct MHD_Connection *conn;
	double deadline;	/* monotonic seconds */
};

struct pp_api {
	struct pp_daemon *d;
	struct pp_api_opts o;
	char store_path[512];
	json_object *store;		/* {"networks": {NAME: {..., "revision": N}}, ...} */
	/* the store rendered as a binding source, and what each line holds */
	char *src;
	size_t src_len;
	struct line_ref *lines;
	size_t nlines;
	struct MHD_Daemon *mhd, *mhd_metrics;
	int listen_fd;
	/* events */
	json_object *events[EVENTS_MAX];	/* ring, by seq % EVENTS_MAX */
	unsigned long long seq;			/* last event's seq */
	json_object *last_status;		/* "kind/name" -> "STATUS reason" */
	struct waiter waiters[WAITERS_MAX];
	int nwaiters;
	int resumed;			/* connections resumed: MHD_run is due */
	unsigned long long requests;
};

struct req {
	char *body;
	size_t len;
	int too_large;
	int responded;
	int suspended;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the store and its rendering ---------------------------------------------- */

static json_object *store_kind(json_object *store, enum kind k)
{
	json_object *o;

	if (!json_object_object_get_ex(store, kinds[k].path, &o)) {
		o = json_object_new_object();
		json_object_object_add(store, kinds[k].path, o);
	}
	return o;
}

static json_object *store_get(json_object *store, enum kind k, const char *name)
{
	json_object *o;

	return json_object_object_get_ex(store_kind(store, k), name, &o) ? o : NULL;
}

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();	/* out of memory for a few KB of text */
	}
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	b->len += n;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

struct rbuf {
	struct sbuf text;
	struct line_ref *lines;
	size_t nlines, cap_lines;
};

static void rb_line(struct rbuf *r, int kind, const char *name, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* One line of rendered text, and what it holds. */
static void rb_line(struct rbuf *r, int kind, const char *name, const char *field,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&r->text, fmt, ap);
	va_end(ap);
	sb_printf(&r->text, "\n");
	if (r->nlines + 1 >= r->cap_lines) {
		r->cap_lines = (r->nlines + 1) * 2 + 16;
		r->lines = realloc(r->lines, r->cap_lines * sizeof(*r->lines));
		if (!r->lines)
			abort();
	}
	r->lines[r->nlines].kind = kind;
	snprintf(r->lines[r->nlines].name, sizeof(r->lines[0].name), "%s", name ? name : "");
	snprintf(r->lines[r->nlines].field, sizeof(r->lines[0].field), "%s", field ? field : "");
	r->nlines++;
}

static const char *jtext(json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Render store as JSON (a YAML flow document), one field per line. */
static void render(json_object *store, struct rbuf *r)
{
	memset(r, 0, sizeof(*r));
	rb_line(r, -1, NULL, NULL, "{");
	for (int k = 0; k < K_COUNT; k++) {
		json_object *objs = store_kind(store, k);
		int nobj = json_object_object_length(objs), i = 0;

		rb_line(r, -1, NULL, NULL, "\"%s\": {", kinds[k].path);
		json_object_object_foreach(objs, name, obj) {
			int nf = 0, f = 0;
			json_object *nm = json_object_new_string(name);

			json_object_object_foreach(obj, key0, v0) {
				(void)v0;
				nf += strcmp(key0, "revision") != 0;
			}
			rb_line(r, k, name, NULL, "%s: {", jtext(nm));
			json_object_put(nm);
			json_object_object_foreach(obj, key, v) {
				json_object *kk;

				if (!strcmp(key, "revision"))
					continue;
				kk = json_object_new_string(key);
				rb_line(r, k, name, key, "%s: %s%s", jtext(kk), jtext(v),
					++f < nf ? "," : "");
				json_object_put(kk);
			}
			rb_line(r, k, name, NULL, "}%s", ++i < nobj ? "," : "");
		}
		rb_line(r, -1, NULL, NULL, "}%s", k + 1 < K_COUNT ? "," : "");
	}
	rb_line(r, -1, NULL, NULL, "}");
}

static void adopt_render(struct pp_api *a, struct rbuf *r)
{
	free(a->src);
	free(a->lines);
	a->src = r->text.s;
	a->src_len = r->text.len;
	a->lines = r->lines;
	a->nlines = r->nlines;
}

void pp_api_source(struct pp_api *a, struct pp_config_source *src)
{
	src->name = PP_API_SOURCE_NAME;
	src->data = a->src;
	src->len = a->src_len;
}

int pp_api_load_config(struct pp_api *a, struct pp_config **out, struct pp_errors *errs)
{
	struct pp_config_source src;

	pp_api_source(a, &src);
	return pp_config_load(a->o.config_dir, &src, 1, out, errs);
}

static int store_save(struct pp_api *a, json_object *store)
{
	char tmp[600];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", a->store_path);
	if (json_object_to_file_ext(tmp, store, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED))
		return -EIO;
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return rename(tmp, a->store_path) ? -errno : 0;
}

/* ---- responses -------------------------------------------------------------------- */

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned code, const char *type,
				    const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned code, json_object *o)
{
	enum MHD_Result ret = respond_text(c, code, "application/json",
					   json_object_to_json_string_ext(o,
						JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return ret;
}

static enum MHD_Result respond_err(struct MHD_Connection *c, unsigned code, const char *ecode,
				   const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static enum MHD_Result respond_err(struct MHD_Connection *c, unsigned code, const char *ecode,
				   const char *field, const char *fmt, ...)
{
	json_object *root = json_object_new_object(), *e = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(e, "code", json_object_new_string(ecode));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "field", field && *field ? json_object_new_string(field) : NULL);
	json_object_object_add(root, "error", e);
	return respond_json(c, code, root);
}

/* ---- objects as JSON ----------------------------------------------------------------- */

static void add_status(json_object *o, const struct pp_obj_status *st)
{
	json_object *s = json_object_new_object();

	json_object_object_add(s, "status", json_object_new_string(pp_status_name(st->status)));
	if (st->reason[0])
		json_object_object_add(s, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "status", s);
}

static void add_meta(struct pp_api *a, json_object *o, enum kind k, const char *name)
{
	json_object *so = store_get(a->store, k, name), *rev;

	json_object_object_add(o, "revision",
			       json_object_new_int64(so && json_object_object_get_ex(so, "revision", &rev)
						     ? json_object_get_int64(rev) : 0));
	json_object_object_add(o, "source", json_object_new_string(so ? "api" : "file"));
}

/* Addresses and MACs as the binding files write them. */
static json_object *json_addr(const struct pp_cfg_addr *ad, bool with_len)
{
	char buf[64];

	pp_addr_format(ad, with_len, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static json_object *json_mac(const uint8_t mac[PP_ETH_ALEN])
{
	char buf[PP_MAC_STRLEN];

	pp_mac_format(mac, buf);
	return json_object_new_string(buf);
}

static json_object *json_ip4(const uint8_t v[4])
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
	return json_object_new_string(buf);
}

static json_object *net_json(struct pp_api *a, uint32_t i)
{
	const struct pp_cfg_network *n = &a->d->cfg->networks[i];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "device", json_object_new_string(n->device));
	json_object_object_add(o, "mtu", json_object_new_int(n->mtu));
	if (n->vlan)
		json_object_object_add(o, "vlan", json_object_new_int(n->vlan));
	if (n->has_gateway) {
		json_object *g = json_object_new_object();

		if (n->gw4.family)
			json_object_object_add(g, "ipv4", json_addr(&n->gw4, false));
		if (n->gw6.family)
			json_object_object_add(g, "ipv6", json_addr(&n->gw6, false));
		json_object_object_add(g, "mac", json_mac(n->gw_mac));
		json_object_object_add(o, "gateway", g);
	}
	add_meta(a, o, K_NET, n->name);
	add_status(o, &a->d->net_st[i]);
	return o;
}

static json_object *rule_json(const struct pp_cfg_rule *r)
{
	static const char *const protos[] = { [0] = "any", [1] = "icmp", [6] = "tcp",
					       [17] = "udp", [58] = "icmpv6" };
	json_object *o = json_object_new_object();
	char buf[64];

	if (r->proto)
		json_object_object_add(o, "proto", json_object_new_string(protos[r->proto]));
	if (r->port_lo) {
		if (r->port_lo == r->port_hi)
			snprintf(buf, sizeof(buf), "%u", r->port_lo);
		else
			snprintf(buf, sizeof(buf), "%u-%u", r->port_lo, r->port_hi);
		json_object_object_add(o, "ports", json_object_new_string(buf));
	}
	if (r->has_icmp_type)
		json_object_object_add(o, "icmp-type", json_object_new_int(r->icmp_type));
	if (r->from.family)
		json_object_object_add(o, "from", json_addr(&r->from, true));
	if (r->to.family)
		json_object_object_add(o, "to", json_addr(&r->to, true));
	json_object_object_add(o, "action", json_object_new_string(r->allow ? "allow" : "drop"));
	return o;
}

/* bind.security, bind.responder, bind.dhcp of a service port, as configured. */
static void sport_services_json(const struct pp_config *cfg, const struct pp_cfg_sport *s,
				json_object *b)
{
	if (s->security) {
		json_object *sec = json_object_new_object(), *pairs = json_object_new_array();
		json_object *in = json_object_new_array(), *eg = json_object_new_array();

		for (uint32_t j = 0; j < s->n_pairs; j++) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "mac", json_mac(s->pairs[j].mac));
			if (s->pairs[j].has_ip)
				json_object_object_add(p, "ip", json_addr(&s->pairs[j].ip, true));
			json_object_array_add(pairs, p);
		}
		for (uint32_t j = 0; j < s->n_ingress + s->n_egress; j++)
			json_object_array_add(j < s->n_ingress ? in : eg,
					      rule_json(&cfg->rules[s->rule_first + j]));
		json_object_object_add(sec, "allowed-pairs", pairs);
		json_object_object_add(sec, "ingress", in);
		json_object_object_add(sec, "egress", eg);
		json_object_object_add(sec, "default",
				       json_object_new_string(s->default_allow ? "allow" : "drop"));
		json_object_object_add(sec, "allow-dhcp-server",
				       json_object_new_boolean(s->allow_dhcp_server));
		json_object_object_add(sec, "allow-ra", json_object_new_boolean(s->allow_ra));
		json_object_object_add(b, "security", sec);
	}
	if (s->responder)
		json_object_object_add(b, "responder", json_object_new_object());
	if (s->dhcp) {
		json_object *d = json_object_new_object(), *dns = json_object_new_array();
		json_object *rt = json_object_new_array();

		for (uint32_t j = 0; j < s->n_dns; j++)
			json_object_array_add(dns, json_ip4(s->dns[j]));
		for (uint32_t j = 0; j < s->n_routes; j++) {
			json_object *r = json_object_new_object();

			json_object_object_add(r, "to", json_addr(&s->routes[j].to, true));
			json_object_object_add(r, "via", json_ip4(s->routes[j].via));
			json_object_array_add(rt, r);
		}
		json_object_object_add(d, "dns", dns);
		json_object_object_add(d, "lease", json_object_new_int64(s->lease));
		if (s->dhcp_mtu)
			json_object_object_add(d, "mtu", json_object_new_int(s->dhcp_mtu));
		json_object_object_add(d, "routes", rt);
		json_object_object_add(b, "dhcp", d);
	}
}

static json_object *sport_json(struct pp_api *a, uint32_t i)
{
	const struct pp_config *cfg = a->d->cfg;
	const struct pp_cfg_sport *s = &cfg->sports[i];
	json_object *o = json_object_new_object(), *b = json_object_new_object();
	char mac[PP_MAC_STRLEN];

	pp_mac_format(s->mac, mac);
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "instance-port", json_object_new_string(cfg->iports[s->iport].name));
	if (s->match == PP_MATCH_VLAN) {
		json_object_object_add(o, "vlan", json_object_new_int(s->outer_vid));
	} else if (s->match == PP_MATCH_QINQ) {
		json_object *v = json_object_new_array();

		json_object_array_add(v, json_object_new_int(s->outer_vid));
		json_object_array_add(v, json_object_new_int(s->inner_vid));
		json_object_object_add(o, "vlan", v);
	} else if (s->match == PP_MATCH_UNTAGGED) {
		json_object_object_add(o, "untagged", json_object_new_boolean(1));
	} else if (s->match == PP_MATCH_SRCMAC) {
		json_object_object_add(o, "src-mac", json_object_new_string(mac));
	}
	if (s->mac_explicit)
		json_object_object_add(o, "mac", json_object_new_string(mac));
	if (s->n_addrs) {
		json_object *ad = json_object_new_array();

		for (uint32_t j = 0; j < s->n_addrs; j++)
			json_object_array_add(ad, json_addr(&s->addrs[j], true));
		json_object_object_add(o, "addresses", ad);
	}
	json_object_object_add(b, "network", json_object_new_string(cfg->networks[s->network].name));
	sport_services_json(cfg, s, b);
	json_object_object_add(o, "bind", b);
	add_meta(a, o, K_SPORT, s->name);
	add_status(o, &a->d->sport_st[i]);
	json_object_object_add(json_object_object_get(o, "status"), "mac",
			       json_object_new_string(mac));
	return o;
}

static json_object *iport_json(struct pp_api *a, uint32_t i)
{
	const struct pp_cfg_iport *p = &a->d->cfg->iports[i];
	json_object *o = json_object_new_object(), *sps = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "device", json_object_new_string(p->device));
	json_object_object_add(o, "mac", json_mac(p->mac));
	json_object_object_add(o, "mtu", json_object_new_int(p->mtu));
	json_object_object_add(o, "mode", json_object_new_string(pp_mode_name(p->mode)));
	add_meta(a, o, K_IPORT, p->name);
	add_status(o, &a->d->iport_st[i]);
	{
		const struct pp_obj_status *st = &a->d->iport_st[i];
		json_object *so = json_object_object_get(o, "status");

		json_object_object_add(so, "effective-mode", json_object_new_string(
			st->mode == PP_XDP_MODE_XDP ? "xdp" : st->mode == PP_XDP_MODE_TC ? "tc" : "-"));
		if (st->mode_reason[0])
			json_object_object_add(so, "mode-reason",
					       json_object_new_string(st->mode_reason));
	}
	for (uint32_t s = p->sport_first; s < p->sport_first + p->sport_count; s++)
		json_object_array_add(sps, sport_json(a, s));
	json_object_object_add(o, "service-ports", sps);
	return o;
}

static long find_obj(struct pp_api *a, enum kind k, const char *name)
{
	const struct pp_config *cfg = a->d->cfg;
	const void *p;

	if (!cfg)
		return -1;
	switch (k) {
	case K_NET:
		p = pp_config_find_network(cfg, name);
		return p ? (const struct pp_cfg_network *)p - cfg->networks : -1;
	case K_IPORT:
		p = pp_config_find_iport(cfg, name);
		return p ? (const struct pp_cfg_iport *)p - cfg->iports : -1;
	default:
		p = pp_config_find_sport(cfg, name);
		return p ? (const struct pp_cfg_sport *)p - cfg->sports : -1;
	}
}

static json_object *obj_json(struct pp_api *a, enum kind k, uint32_t i)
{
	return k == K_NET ? net_json(a, i) : k == K_IPORT ? iport_json(a, i) : sport_json(a, i);
}

static json_object *list_json(struct pp_api *a, enum kind k)
{
	const struct pp_config *cfg = a->d->cfg;
	json_object *arr = json_object_new_array();
	uint32_t n = !cfg ? 0 : k == K_NET ? cfg->n_networks : k == K_IPORT ? cfg->n_iports :
		     cfg->n_sports;

	for (uint32_t i = 0; i < n; i++)
		json_object_array_add(arr, obj_json(a, k, i));
	return arr;
}

/* ---- events ------------------------------------------------------------------------ */

void pp_api_event(struct pp_api *a, const char *kind, const char *name, const char *change,
		  const char *status, const char *reason)
{
	json_object *e = json_object_new_object();
	struct timespec ts;
	unsigned long long seq = ++a->seq;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(e, "seq", json_object_new_int64(seq));
	json_object_object_add(e, "time", json_object_new_double(ts.tv_sec + ts.tv_nsec / 1e9));
	json_object_object_add(e, "kind", json_object_new_string(kind));
	json_object_object_add(e, "name", json_object_new_string(name));
	json_object_object_add(e, "change", json_object_new_string(change));
	if (status)
		json_object_object_add(e, "status", json_object_new_string(status));
	if (reason && *reason)
		json_object_object_add(e, "reason", json_object_new_string(reason));
	json_object_put(a->events[seq % EVENTS_MAX]);
	a->events[seq % EVENTS_MAX] = e;
}

static void status_diff(struct pp_api *a, json_object *now, const char *kind, const char *name,
			const struct pp_obj_status *st)
{
	char key[80], val[160];
	json_object *old;

	snprintf(key, sizeof(key), "%s/%s", kind, name);
	snprintf(val, sizeof(val), "%s %s", pp_status_name(st->status), st->reason);
	json_object_object_add(now, key, json_object_new_string(val));
	if (!a->last_status || !json_object_object_get_ex(a->last_status, key, &old) ||
	    strcmp(json_object_get_string(old), val))
		pp_api_event(a, kind, name, "status", pp_status_name(st->status), st->reason);
}

void pp_api_notify(struct pp_api *a)
{
	const struct pp_config *cfg = a->d->cfg;
	json_object *now = json_object_new_object();
	unsigned long long before = a->seq;

	for (uint32_t i = 0; cfg && i < cfg->n_networks; i++)
		status_diff(a, now, "network", cfg->networks[i].name, &a->d->net_st[i]);
	for (uint32_t i = 0; cfg && i < cfg->n_iports; i++)
		status_diff(a, now, "instance-port", cfg->iports[i].name, &a->d->iport_st[i]);
	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++)
		status_diff(a, now, "service-port", cfg->sports[i].name, &a->d->sport_st[i]);
	json_object_put(a->last_status);
	a->last_status = now;
	if (a->seq == before)
		return;
	for (int i = 0; i < a->nwaiters; i++)
		MHD_resume_connection(a->waiters[i].conn);
	if (a->nwaiters)
		a->resumed = 1;		/* may be inside an MHD callback: run later */
	a->nwaiters = 0;
}

static enum MHD_Result serve_events(struct pp_api *a, struct MHD_Connection *c, struct req *rq)
{
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "timeout");
	unsigned long long since = s ? strtoull(s, NULL, 10) : a->seq;
	double timeout = t ? atof(t) : 25;
	json_object *root, *arr;

	if (timeout < 0 || timeout > 300)
		timeout = 25;
	if (since + EVENTS_MAX < a->seq)
		since = a->seq - EVENTS_MAX;	/* older ones are gone */
	if (since >= a->seq && !rq->suspended && timeout > 0 && a->nwaiters < WAITERS_MAX) {
		a->waiters[a->nwaiters].conn = c;
		a->waiters[a->nwaiters].deadline = mono() + timeout;
		a->nwaiters++;
		rq->suspended = 1;
		MHD_suspend_connection(c);
		return MHD_YES;
	}
	root = json_object_new_object();
	arr = json_object_new_array();
	for (unsigned long long q = since + 1; q <= a->seq; q++)
		json_object_array_add(arr, json_object_get(a->events[q % EVENTS_MAX]));
	json_object_object_add(root, "events", arr);
	json_object_object_add(root, "next", json_object_new_int64(a->seq));
	return respond_json(c, 200, root);
}

/* ---- status, stats, metrics ------------------------------------------------------------ */

static json_object *stats_json(struct pp_api *a)
{
	const struct pp_config *cfg = a->d->cfg;
	const struct pp_maps *m = &a->d->dp.maps;
	json_object *root = json_object_new_object(), *sps = json_object_new_array(),
		    *drops = json_object_new_array();

	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *s = &cfg->sports[i];
		struct pp_sport_stats st = {};
		json_object *o = json_object_new_object();

		if (a->d->sport_st[i].id)
			pp_sport_stats_get(m, a->d->sport_st[i].id, &st);
		json_object_object_add(o, "instance-port", json_object_new_string(cfg->iports[s->iport].name));
		json_object_object_add(o, "service-port", json_object_new_string(s->name));
		json_object_object_add(o, "network", json_object_new_string(cfg->networks[s->network].name));
		json_object_object_add(o, "rx_packets", json_object_new_int64(st.rx_packets));
		json_object_object_add(o, "rx_bytes", json_object_new_int64(st.rx_bytes));
		json_object_object_add(o, "tx_packets", json_object_new_int64(st.tx_packets));
		json_object_object_add(o, "tx_bytes", json_object_new_int64(st.tx_bytes));
		{	/* what its services did (issue 6) */
			struct pp_svc_stats sv = {};
			json_object *so = json_object_new_object();
			const __u64 *v = (const __u64 *)&sv;

			if (a->d->sport_st[i].id)
				pp_svc_stats_get(m, a->d->sport_st[i].id, &sv);
			for (int x = 0; x < PP_SVC_STAT_COUNT; x++)
				json_object_object_add(so, pp_svc_stat_names[x],
						       json_object_new_int64((int64_t)v[x]));
			json_object_object_add(o, "services", so);
		}
		if (s->security && s->n_ingress + s->n_egress) {	/* packets per rule */
			json_object *ro = json_object_new_object();

			for (int dir = 0; dir < 2; dir++) {
				json_object *arr = json_object_new_array();
				uint32_t n = dir ? s->n_egress : s->n_ingress;

				for (uint32_t r = 0; r < n && r < PP_RULES_MAX_BPF; r++)
					json_object_array_add(arr, json_object_new_int64((int64_t)
						(a->d->sport_st[i].id ? pp_rule_stat_get(m,
						 a->d->sport_st[i].id, (__u8)(dir ? PP_DIR_EGRESS :
						 PP_DIR_INGRESS), (__u16)r) : 0)));
				json_object_object_add(ro, dir ? "egress" : "ingress", arr);
			}
			json_object_object_add(o, "rules", ro);
		}
		json_object_array_add(sps, o);
	}
	for (int k = 0; k < 2; k++) {
		uint32_t n = !cfg ? 0 : k ? cfg->n_networks : cfg->n_iports;

		for (uint32_t i = 0; i <= n; i++) {
			const char *name = i < n ? (k ? cfg->networks[i].name : cfg->iports[i].name) : "";
			__u32 idx = i < n ? (k ? a->d->net_st[i].id : a->d->iport_st[i].id) : 0;
			struct pp_drops d;
			json_object *o, *r;

			if ((i < n && !idx) || (k ? pp_net_drops_get : pp_iport_drops_get)(m, idx, &d))
				continue;
			o = json_object_new_object();
			r = json_object_new_object();
			json_object_object_add(o, k ? "network" : "instance-port",
					       json_object_new_string(name));
			for (int x = 0; x < PP_DROP_MAX; x++)
				json_object_object_add(r, pp_drop_names[x], json_object_new_int64(d.reason[x]));
			json_object_object_add(o, "reasons", r);
			json_object_array_add(drops, o);
		}
	}
	json_object_object_add(root, "service-ports", sps);
	json_object_object_add(root, "drops", drops);
	json_object_object_add(root, "map_writes", json_object_new_int64(m->writes));
	json_object_object_add(root, "reconciles", json_object_new_int64(a->d->reconciles));
	json_object_object_add(root, "requests", json_object_new_int64(a->requests));
	return root;
}

static char *metrics_text(struct pp_api *a)
{
	static const char *const sp_metrics[4][2] = {
		{ "rx_packets", "Frames the VM sent on the service port." },
		{ "rx_bytes", "Bytes the VM sent on the service port, tags included." },
		{ "tx_packets", "Frames delivered to the VM on the service port." },
		{ "tx_bytes", "Bytes delivered to the VM on the service port, tags included." },
	};
	const struct pp_config *cfg = a->d->cfg;
	const struct pp_maps *m = &a->d->dp.maps;
	struct pp_sport_stats *st = calloc(cfg ? cfg->n_sports + 1 : 1, sizeof(*st));
	struct sbuf b = {};

	if (!st)
		return NULL;
	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++)
		if (a->d->sport_st[i].id)
			pp_sport_stats_get(m, a->d->sport_st[i].id, &st[i]);
	for (int x = 0; x < 4; x++) {
		sb_printf(&b, "# HELP polyport_service_port_%s_total %s\n", sp_metrics[x][0],
			  sp_metrics[x][1]);
		sb_printf(&b, "# TYPE polyport_service_port_%s_total counter\n", sp_metrics[x][0]);
		for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
			const struct pp_cfg_sport *s = &cfg->sports[i];
			__u64 v = x == 0 ? st[i].rx_packets : x == 1 ? st[i].rx_bytes :
				  x == 2 ? st[i].tx_packets : st[i].tx_bytes;

			sb_printf(&b, "polyport_service_port_%s_total{instance_port=\"%s\","
				  "service_port=\"%s\",network=\"%s\"} %llu\n", sp_metrics[x][0],
				  cfg->iports[s->iport].name, s->name, cfg->networks[s->network].name,
				  (unsigned long long)v);
		}
	}
	free(st);
	{	/* the services' counters (issue 6) */
		static const char *const help[PP_SVC_STAT_COUNT] = {
			"ARP requests and IPv6 neighbor solicitations answered by the responder.",
			"DHCP OFFERs sent.", "DHCP ACKs sent.", "DHCP NAKs sent.",
			"Malformed DHCP requests dropped.",
			"Frames dropped by port security (spoofed sources, rogue DHCP servers and "
			"routers, malformed IPv6).",
		};

		for (int x = 0; x < PP_SVC_STAT_COUNT; x++) {
			sb_printf(&b, "# HELP polyport_service_%s_total %s\n", pp_svc_stat_names[x],
				  help[x]);
			sb_printf(&b, "# TYPE polyport_service_%s_total counter\n",
				  pp_svc_stat_names[x]);
			for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
				const struct pp_cfg_sport *s = &cfg->sports[i];
				struct pp_svc_stats sv = {};

				if (a->d->sport_st[i].id)
					pp_svc_stats_get(m, a->d->sport_st[i].id, &sv);
				sb_printf(&b, "polyport_service_%s_total{instance_port=\"%s\","
					  "service_port=\"%s\"} %llu\n", pp_svc_stat_names[x],
					  cfg->iports[s->iport].name, s->name,
					  (unsigned long long)((const __u64 *)&sv)[x]);
			}
		}
	}
	sb_printf(&b, "# HELP polyport_rule_packets_total Packets matched by each security rule.\n");
	sb_printf(&b, "# TYPE polyport_rule_packets_total counter\n");
	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *s = &cfg->sports[i];

		for (int dir = 0; s->security && a->d->sport_st[i].id && dir < 2; dir++)
			for (uint32_t r = 0; r < (dir ? s->n_egress : s->n_ingress) &&
					     r < PP_RULES_MAX_BPF; r++)
				sb_printf(&b, "polyport_rule_packets_total{instance_port=\"%s\","
					  "service_port=\"%s\",direction=\"%s\",rule=\"%u\"} %llu\n",
					  cfg->iports[s->iport].name, s->name,
					  dir ? "egress" : "ingress", r,
					  (unsigned long long)pp_rule_stat_get(m, a->d->sport_st[i].id,
						(__u8)(dir ? PP_DIR_EGRESS : PP_DIR_INGRESS), (__u16)r));
	}
	sb_printf(&b, "# HELP polyport_drops_total Frames dropped, by reason.\n");
	sb_printf(&b, "# TYPE polyport_drops_total counter\n");
	for (int k = 0; k < 2; k++) {
		uint32_t n = !cfg ? 0 : k ? cfg->n_networks : cfg->n_iports;

		for (uint32_t i = 0; i <= n; i++) {
			const char *name = i < n ? (k ? cfg->networks[i].name : cfg->iports[i].name) : "";
			__u32 idx = i < n ? (k ? a->d->net_st[i].id : a->d->iport_st[i].id) : 0;
			struct pp_drops d;

			if ((i < n && !idx) || (k ? pp_net_drops_get : pp_iport_drops_get)(m, idx, &d))
				continue;
			for (int r = 0; r < PP_DROP_MAX; r++)
				sb_printf(&b, "polyport_drops_total{%s=\"%s\",reason=\"%s\"} %llu\n",
					  k ? "network" : "instance_port", name, pp_drop_names[r],
					  (unsigned long long)d.reason[r]);
		}
	}
	sb_printf(&b, "# HELP polyport_instance_port_status 1 for the instance port's current status.\n");
	sb_printf(&b, "# TYPE polyport_instance_port_status gauge\n");
	for (uint32_t i = 0; cfg && i < cfg->n_iports; i++)
		for (int s = PP_ST_ACTIVE; s <= PP_ST_ERROR; s++)
			sb_printf(&b, "polyport_instance_port_status{instance_port=\"%s\",status=\"%s\"} %d\n",
				  cfg->iports[i].name, pp_status_name(s),
				  a->d->iport_st[i].status == (enum pp_status)s);
	sb_printf(&b, "# HELP polyport_reconcile_total Reconciles done.\n");
	sb_printf(&b, "# TYPE polyport_reconcile_total counter\n");
	sb_printf(&b, "polyport_reconcile_total %lu\n", a->d->reconciles);
	sb_printf(&b, "# HELP polyport_reconcile_duration_seconds Time spent reconciling.\n");
	sb_printf(&b, "# TYPE polyport_reconcile_duration_seconds summary\n");
	sb_printf(&b, "polyport_reconcile_duration_seconds_sum %.6f\n", a->d->total_reconcile_ms / 1e3);
	sb_printf(&b, "polyport_reconcile_duration_seconds_count %lu\n", a->d->reconciles);
	sb_printf(&b, "# HELP polyport_map_writes_total BPF map entries written by the daemon.\n");
	sb_printf(&b, "# TYPE polyport_map_writes_total counter\n");
	sb_printf(&b, "polyport_map_writes_total %lu\n", m->writes);
	return b.s;
}

/* ---- changes ------------------------------------------------------------------------- */

static int is_meta(const char *key)
{
	return !strcmp(key, "name") || !strcmp(key, "revision") || !strcmp(key, "source") ||
	       !strcmp(key, "status");
}

/* A message with positions in the rendered API source replaced by words. */
static void api_positions(char *out, size_t len, const char *msg)
{
	static const char tag[] = " at " PP_API_SOURCE_NAME ":";
	size_t o = 0;

	while (*msg && o + 1 < len) {
		if (!strncmp(msg, tag, sizeof(tag) - 1)) {
			const char *p = msg + sizeof(tag) - 1;

			while ((*p >= '0' && *p <= '9') || *p == ':')
				p++;
			o += snprintf(out + o, len - o, " (created through the API)");
			if (o >= len)
				break;
			msg = p;
			continue;
		}
		out[o++] = *msg++;
	}
	out[o < len ? o : len - 1] = 0;
}

/*
 * Answer a rejected change: the error on the changed object if there is one
 * (else the first), with the field its line holds.  Conflicts with other
 * objects are 409, everything else that does not validate 422.
 */
static enum MHD_Result respond_invalid(struct MHD_Connection *c, const struct pp_errors *errs,
				       const struct line_ref *lines, size_t nlines, enum kind k,
				       const char *name, int deleting, int err)
{
	const struct pp_error *best = NULL;
	const struct line_ref *ref = NULL;
	char where[300] = "", msg[600];
	int conflict, rank = -1;

	for (size_t i = 0; i < errs->n; i++) {
		const struct pp_error *e = &errs->v[i];
		const struct line_ref *l;
		int mine;

		if (strcmp(e->file, PP_API_SOURCE_NAME) || !e->line || e->line > nlines)
			continue;
		l = &lines[e->line - 1];
		/* the changed object's own errors first, those naming a field first */
		mine = (l->kind == (int)k && !strcmp(l->name, name)) * 2 + !!l->field[0];
		if (!best || mine > rank) {
			best = e;
			ref = l;
			rank = mine;
		}
	}
	if (!best && errs->n)
		best = &errs->v[0];
	if (!best)
		return respond_err(c, 500, "internal", NULL, "validation failed: %s", strerror(-err));
	conflict = deleting || strstr(best->msg, "already") || strstr(best->msg, "is the device of") ||
		   strstr(best->msg, "is the tap of");
	if (strcmp(best->file, PP_API_SOURCE_NAME))
		snprintf(where, sizeof(where), " (%s:%u:%u)", best->file, best->line, best->col);
	api_positions(msg, sizeof(msg), best->msg);
	return respond_err(c, conflict ? 409 : 422,
			   conflict ? (deleting ? "in_use" : "conflict") : "invalid",
			   ref && ref->field[0] ? ref->field : NULL, "%s%s%s%s",
			   deleting ? "still referenced: " : "", msg, where,
			   errs->n > 1 ? " (and more)" : "");
}

static int apply(struct pp_api *a, struct MHD_Connection *c, json_object *candidate,
		 enum kind k, const char *name, int deleting, enum MHD_Result *ret)
{
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config_source src = { .name = PP_API_SOURCE_NAME };
	struct pp_config *cfg = NULL;
	struct rbuf r;
	int err;

	render(candidate, &r);
	src.data = r.text.s;
	src.len = r.text.len;
	err = pp_config_load(a->o.config_dir, &src, 1, &cfg, &errs);
	if (err) {
		*ret = respond_invalid(c, &errs, r.lines, r.nlines, k, name, deleting, err);
		pp_errors_free(&errs);
		free(r.text.s);
		free(r.lines);
		return -1;
	}
	err = store_save(a, candidate);
	if (err) {
		pp_config_free(cfg);
		free(r.text.s);
		free(r.lines);
		*ret = respond_err(c, 500, "persist", NULL, "saving %s: %s", a->store_path,
				   strerror(-err));
		return -1;
	}
	json_object_put(a->store);
	a->store = candidate;
	adopt_render(a, &r);
	pp_reconcile(a->d, cfg, false);
	pp_api_event(a, kinds[k].what, name, deleting ? "deleted" : "updated", NULL, NULL);
	pp_api_notify(a);
	return 0;
}

static json_object *parse_body(struct MHD_Connection *c, struct req *rq, enum MHD_Result *ret)
{
	struct json_tokener *tok;
	json_object *o;
	enum json_tokener_error jerr;

	if (!rq->len) {
		*ret = respond_err(c, 400, "malformed", NULL, "a JSON object body is required");
		return NULL;
	}
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, rq->body, rq->len);
	jerr = json_tokener_get_error(tok);
	if (!o || jerr != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != rq->len) {
		size_t off = json_tokener_get_parse_end(tok), line = 1, col = 1;

		for (size_t i = 0; i < off && i < rq->len; i++) {
			if (rq->body[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		*ret = respond_err(c, 400, "malformed", NULL,
				   "malformed JSON at line %zu, column %zu (offset %zu): %s", line,
				   col, off, jerr == json_tokener_success ? "trailing data" :
				   json_tokener_error_desc(jerr));
		json_object_put(o);
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*ret = respond_err(c, 400, "malformed", NULL, "the body must be a JSON object");
		return NULL;
	}
	return o;
}

/* A revision in the body (or ?revision=) must match the object's. */
static int revision_ok(struct MHD_Connection *c, json_object *body, json_object *cur,
		       enum MHD_Result *ret)
{
	const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "revision");
	json_object *rv, *cv;
	long long want, have;

	if (body && json_object_object_get_ex(body, "revision", &rv) && rv) {
		if (!json_object_is_type(rv, json_type_int)) {
			*ret = respond_err(c, 422, "invalid", "revision", "revision must be an integer");
			return 0;
		}
		want = json_object_get_int64(rv);
	} else if (q) {
		want = atoll(q);
	} else {
		return 1;	/* unconditional */
	}
	have = json_object_object_get_ex(cur, "revision", &cv) ? json_object_get_int64(cv) : 0;
	if (want != have) {
		*ret = respond_err(c, 409, "stale_revision", "revision",
				   "revision %lld is not the current one (%lld): read the object again",
				   want, have);
		return 0;
	}
	return 1;
}

static int copy_fields(struct MHD_Connection *c, enum kind k, json_object *from, json_object *to,
		       int patch, enum MHD_Result *ret)
{
	json_object_object_foreach(from, key, v) {
		if (is_meta(key))
			continue;
		if (k == K_IPORT && !strcmp(key, "service-ports")) {
			*ret = respond_err(c, 422, "invalid", "service-ports",
					   "create service ports with POST /v1/service-ports "
					   "(with \"instance-port\")");
			return -1;
		}
		if (patch && !v) {
			json_object_object_del(to, key);
			continue;
		}
		/* Unknown keys go through to validation, which names them. */
		json_object_object_add(to, key, json_object_get(v));
	}
	return 0;
}

static enum MHD_Result handle_change(struct pp_api *a, struct MHD_Connection *c, const char *method,
				     enum kind k, const char *name, const char *sub,
				     struct req *rq)
{
	json_object *body = NULL, *cand = NULL, *objs, *cur, *nobj;
	enum MHD_Result ret = MHD_YES;
	int post = !strcmp(method, "POST"), del = !strcmp(method, "DELETE"),
	    patch = !strcmp(method, "PATCH"), put = !strcmp(method, "PUT");
	char namebuf[PP_NAME_MAX + 1];
	long long rev;

	if (!post && !del && !patch && !put)
		return respond_err(c, 405, "method", NULL, "%s is not allowed here", method);
	if ((post && name) || (!post && !name))
		return respond_err(c, 405, "method", NULL, "%s %s is not allowed here", method,
				   name ? "on an object" : "on a collection");
	if (!del || rq->len) {
		body = parse_body(c, rq, &ret);
		if (!body)
			return ret;
	}
	if (post) {
		json_object *nv;

		if (!json_object_object_get_ex(body, "name", &nv) ||
		    !json_object_is_type(nv, json_type_string)) {
			json_object_put(body);
			return respond_err(c, 422, "invalid", "name", "a \"name\" (string) is required");
		}
		snprintf(namebuf, sizeof(namebuf), "%s", json_object_get_string(nv));
		if (strlen(json_object_get_string(nv)) > PP_NAME_MAX ||
		    !pp_name_valid(namebuf, strlen(namebuf))) {
			json_object_put(body);
			return respond_err(c, 422, "invalid", "name",
					   "invalid %s name (1-31 of A-Z a-z 0-9 . _ -, starting "
					   "with a letter or digit)", kinds[k].what);
		}
		name = namebuf;
	}
	cur = store_get(a->store, k, name);
	if (!cur && find_obj(a, k, name) >= 0) {
		json_object_put(body);
		return respond_err(c, 409, "read_only", NULL,
				   "%s \"%s\" is defined in the binding files; change it there",
				   kinds[k].what, name);
	}
	if (post && cur) {
		json_object_put(body);
		return respond_err(c, 409, "exists", "name", "%s \"%s\" already exists",
				   kinds[k].what, name);
	}
	if (!post && !cur) {
		json_object_put(body);
		return respond_err(c, 404, "not_found", NULL, "no %s \"%s\"", kinds[k].what, name);
	}
	if (cur && !revision_ok(c, body, cur, &ret)) {
		json_object_put(body);
		return ret;
	}
	if (json_object_deep_copy(a->store, &cand, NULL)) {
		json_object_put(body);
		return respond_err(c, 500, "internal", NULL, "out of memory");
	}
	objs = store_kind(cand, k);
	rev = 0;
	if (cur) {
		json_object *rv;

		rev = json_object_object_get_ex(cur, "revision", &rv) ? json_object_get_int64(rv) : 0;
	}
	if (del && !sub) {
		json_object_object_del(objs, name);
	} else {
		nobj = NULL;
		if (cur && (patch || sub) && json_object_deep_copy(store_get(cand, k, name), &nobj, NULL))
			nobj = NULL;
		if (!nobj)
			nobj = json_object_new_object();
		if (sub) {	/* /bind/SERVICE */
			json_object *bind;

			if (strcmp(sub, "network") && strcmp(sub, "security") &&
			    strcmp(sub, "responder") && strcmp(sub, "dhcp")) {
				json_object_put(body);
				json_object_put(nobj);
				json_object_put(cand);
				return respond_err(c, 422, "invalid", "bind",
						   "unknown service \"%s\" (known: network, security, "
						   "responder, dhcp)", sub);
			}
			if (!json_object_object_get_ex(nobj, "bind", &bind) ||
			    !json_object_is_type(bind, json_type_object)) {
				bind = json_object_new_object();
				json_object_object_add(nobj, "bind", bind);
			}
			if (del) {
				json_object_object_del(bind, sub);
			} else {
				json_object *v;

				if (!json_object_object_get_ex(body, sub, &v)) {
					json_object_put(body);
					json_object_put(nobj);
					json_object_put(cand);
					return respond_err(c, 422, "invalid", sub,
							   "the body must be {\"%s\": ...}", sub);
				}
				json_object_object_add(bind, sub, json_object_get(v));
			}
		} else if (copy_fields(c, k, body, nobj, patch, &ret)) {
			json_object_put(body);
			json_object_put(nobj);
			json_object_put(cand);
			return ret;
		}
		json_object_object_add(nobj, "revision", json_object_new_int64(rev + 1));
		json_object_object_add(objs, name, nobj);
	}
	json_object_put(body);
	if (apply(a, c, cand, k, name, del && !sub, &ret)) {
		json_object_put(cand);
		return ret;
	}
	if (del && !sub)
		return respond_text(c, 204, "application/json", "");
	{
		long i = find_obj(a, k, name);

		if (i < 0)
			return respond_err(c, 500, "internal", NULL, "applied, but not found");
		return respond_json(c, post ? 201 : 200, obj_json(a, k, i));
	}
}

/* ---- routing ----------------------------------------------------------------------- */

static enum MHD_Result route(struct pp_api *a, struct MHD_Connection *c, const char *url,
			     const char *method, struct req *rq, int metrics_only)
{
	char path[512], *parts[6];
	int n = 0, get = !strcmp(method, "GET");

	a->requests++;
	if (!strcmp(url, "/metrics")) {
		char *text;
		enum MHD_Result ret;

		if (!get)
			return respond_err(c, 405, "method", NULL, "GET only");
		text = metrics_text(a);
		if (!text)
			return respond_err(c, 500, "internal", NULL, "out of memory");
		ret = respond_text(c, 200, "text/plain; version=0.0.4", text);
		free(text);
		return ret;
	}
	if (metrics_only)
		return respond_err(c, 404, "not_found", NULL, "only /metrics is served here");
	snprintf(path, sizeof(path), "%s", url);
	for (char *t = strtok(path, "/"); t && n < 6; t = strtok(NULL, "/"))
		parts[n++] = t;
	if (n < 2 || strcmp(parts[0], "v1"))
		return respond_err(c, 404, "not_found", NULL, "no such resource: %s", url);
	if (n == 2 && !strcmp(parts[1], "events"))
		return get ? serve_events(a, c, rq) : respond_err(c, 405, "method", NULL, "GET only");
	if (n == 2 && !strcmp(parts[1], "status")) {
		if (!get)
			return respond_err(c, 405, "method", NULL, "GET only");
		return respond_json(c, 200, pp_status_json(a->d));
	}
	if (n == 2 && !strcmp(parts[1], "stats"))
		return get ? respond_json(c, 200, stats_json(a)) :
			     respond_err(c, 405, "method", NULL, "GET only");
	for (int k = 0; k < K_COUNT; k++) {
		if (strcmp(parts[1], kinds[k].path))
			continue;
		if (n > 3 && !(k == K_SPORT && n == 5 && !strcmp(parts[3], "bind")))
			break;
		if (get && n == 2)
			return respond_json(c, 200, list_json(a, k));
		if (get && n == 3) {
			long i = find_obj(a, k, parts[2]);

			return i < 0 ? respond_err(c, 404, "not_found", NULL, "no %s \"%s\"",
						   kinds[k].what, parts[2])
				     : respond_json(c, 200, obj_json(a, k, i));
		}
		if (get)
			break;
		if (n == 5 && strcmp(method, "PUT") && strcmp(method, "DELETE"))
			return respond_err(c, 405, "method", NULL, "PUT or DELETE a binding");
		return handle_change(a, c, method, k, n >= 3 ? parts[2] : NULL,
				     n == 5 ? parts[4] : NULL, rq);
	}
	return respond_err(c, 404, "not_found", NULL, "no such resource: %s", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls, int metrics_only)
{
	struct pp_api *a = cls;
	struct req *rq = *con_cls;

	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		/* Refuse an oversized body before reading it. */
		if (cl && strtoull(cl, NULL, 10) > PP_API_BODY_MAX) {
			rq->responded = 1;
			return respond_err(c, 413, "too_large", NULL,
					   "the body (%s bytes) exceeds %d bytes", cl, PP_API_BODY_MAX);
		}
		return MHD_YES;
	}
	if (*size) {
		if (!rq->too_large && rq->len + *size <= PP_API_BODY_MAX) {
			char *b = realloc(rq->body, rq->len + *size + 1);

			if (!b)
				return MHD_NO;
			rq->body = b;
			memcpy(rq->body + rq->len, data, *size);
			rq->len += *size;
			rq->body[rq->len] = 0;
		} else {
			rq->too_large = 1;
		}
		*size = 0;
		return MHD_YES;
	}
	if (rq->responded)
		return MHD_YES;
	if (rq->too_large) {
		rq->responded = 1;
		return respond_err(c, 413, "too_large", NULL, "the body exceeds %d bytes",
				   PP_API_BODY_MAX);
	}
	if (rq->suspended) {	/* resumed long poll */
		rq->responded = 1;
		return serve_events(a, c, rq);
	}
	{
		enum MHD_Result r = route(a, c, url, method, rq, metrics_only);

		if (!rq->suspended)
			rq->responded = 1;
		return r;
	}
}

static enum MHD_Result on_api(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **con_cls)
{
	return on_request(cls, c, url, method, version, data, size, con_cls, 0);
}

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	return on_request(cls, c, url, method, version, data, size, con_cls, 1);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct pp_api *a = cls;
	struct req *rq = *con_cls;

	(void)toe;
	for (int i = 0; i < a->nwaiters; i++)	/* a waiter that went away */
		if (a->waiters[i].conn == c)
			a->waiters[i] = a->waiters[--a->nwaiters];
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

/* ---- lifecycle --------------------------------------------------------------------- */

static int mkdir_parent(const char *path)
{
	char buf[512], *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = 0;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(buf, 0755);
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

static int unix_listen(const char *path, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	err = mkdir_parent(path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file nobody answers on is a leftover; one that answers is not ours. */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -EADDRINUSE;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    listen(fd, 256)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (group) {
		struct group *g = getgrnam(group);

		if (!g || chown(path, 0, g->gr_gid)) {
			close(fd);
			return -EINVAL;
		}
	}
	return fd;
}

int pp_api_create(struct pp_api **out, struct pp_daemon *d, const struct pp_api_opts *o)
{
	struct pp_api *a = calloc(1, sizeof(*a));
	struct rbuf r;

	if (!a)
		return -ENOMEM;
	a->d = d;
	a->o = *o;
	a->listen_fd = -1;
	snprintf(a->store_path, sizeof(a->store_path), "%s/api.json", o->state_dir);
	a->store = json_object_from_file(a->store_path);
	if (!a->store) {
		if (access(a->store_path, F_OK) == 0) {
			pr_warn("api: %s is unreadable (%s); starting without API objects\n",
				a->store_path, json_util_get_last_err());
		}
		a->store = json_object_new_object();
	}
	for (int k = 0; k < K_COUNT; k++)
		store_kind(a->store, k);
	render(a->store, &r);
	adopt_render(a, &r);
	*out = a;
	return 0;
}

int pp_api_listen(struct pp_api *a)
{
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;

	a->listen_fd = unix_listen(a->o.socket_path, a->o.group);
	if (a->listen_fd < 0)
		return a->listen_fd;
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_api, a,
				  MHD_OPTION_LISTEN_SOCKET, a->listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
				  MHD_OPTION_NOTIFY_COMPLETED, on_done, a, MHD_OPTION_END);
	if (!a->mhd)
		return -EIO;
	if (a->o.metrics_listen) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		char host[64];
		unsigned port;

		if (sscanf(a->o.metrics_listen, "%63[^:]:%u", host, &port) != 2 || port > 65535 ||
		    inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return -EINVAL;
		sin.sin_port = htons(port);
		a->mhd_metrics = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
						  NULL, on_metrics, a, MHD_OPTION_SOCK_ADDR, &sin,
						  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
						  MHD_OPTION_NOTIFY_COMPLETED, on_done, a,
						  MHD_OPTION_END);
		if (!a->mhd_metrics)
			return -EADDRINUSE;
	}
	return 0;
}

void pp_api_destroy(struct pp_api *a)
{
	if (!a)
		return;
	if (a->mhd)
		MHD_stop_daemon(a->mhd);
	if (a->mhd_metrics)
		MHD_stop_daemon(a->mhd_metrics);
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		unlink(a->o.socket_path);
	}
	for (int i = 0; i < EVENTS_MAX; i++)
		json_object_put(a->events[i]);
	json_object_put(a->last_status);
	json_object_put(a->store);
	free(a->src);
	free(a->lines);
	free(a);
}

int pp_api_fds(struct pp_api *a, int *fds, int n)
{
	int k = 0;

	for (int i = 0; i < 2 && k < n; i++) {
		struct MHD_Daemon *m = i ? a->mhd_metrics : a->mhd;
		const union MHD_DaemonInfo *info;

		if (!m)
			continue;
		info = MHD_get_daemon_info(m, MHD_DAEMON_INFO_EPOLL_FD);
		if (info)
			fds[k++] = info->epoll_fd;
	}
	return k;
}

int pp_api_timeout_ms(struct pp_api *a)
{
	MHD_UNSIGNED_LONG_LONG t;
	long best = -1;
	double now = mono();

	if (a->resumed)
		return 0;

	for (int i = 0; i < 2; i++) {
		struct MHD_Daemon *m = i ? a->mhd_metrics : a->mhd;

		if (m && MHD_get_timeout(m, &t) == MHD_YES && (best < 0 || (long)t < best))
			best = t;
	}
	for (int i = 0; i < a->nwaiters; i++) {
		long ms = (long)((a->waiters[i].deadline - now) * 1000) + 1;

		if (ms < 0)
			ms = 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	return best > 60000 ? 60000 : (int)best;
}

void pp_api_run(struct pp_api *a)
{
	double now = mono();

	for (int i = 0; i < a->nwaiters;) {	/* long polls that timed out */
		if (a->waiters[i].deadline <= now) {
			MHD_resume_connection(a->waiters[i].conn);
			a->waiters[i] = a->waiters[--a->nwaiters];
			a->resumed = 1;
		} else {
			i++;
		}
	}
	/*
	 * A resumed connection is picked up by one MHD_run and answered by the
	 * next: its socket has nothing new to say, so epoll would not wake us.
	 */
	for (int pass = 0; pass < (a->resumed ? 3 : 1); pass++) {
		if (a->mhd)
			MHD_run(a->mhd);
		if (a->mhd_metrics)
			MHD_run(a->mhd_metrics);
	}
	a->resumed = 0;
}
