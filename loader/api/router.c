// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * pp_api_request() and the router: the routes table (the fixed resources, and
 * kinds[], a row per kind of object), URL unescaping, and the answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "util.h"

int reply_text(struct call *k, unsigned code, const char *type, const char *text)
{
	free(k->text);
	k->text_len = strlen(text);
	k->text = strdup(text);
	k->status = k->text ? code : 500;
	k->type = type;
	if (!k->text)
		k->text_len = 0;
	return 0;
}

int reply_json(struct call *k, unsigned code, json_object *o)
{
	reply_text(k, code, "application/json",
		   json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return 0;
}

int reply_err(struct call *k, unsigned code, const char *ecode, const char *field,
	      const char *fmt, ...)
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
	return reply_json(k, code, root);
}

/*
 * Split path into at most max segments: "/" then segments separated by
 * exactly one "/", none empty (so no "//" and no "/" at the end).
 * Returns how many, or -1 when it is not such a path (or has more).
 */
static int split_path(char *path, char **parts, int max)
{
	char *p = path;
	int n = 0;

	if (*p != '/')
		return -1;
	while (*p == '/') {
		*p++ = 0;		/* ends the segment before */
		if (!*p || *p == '/' || n == max)
			return -1;	/* empty ("//", a "/" at the end), or one too many */
		parts[n++] = p;
		while (*p && *p != '/')
			p++;
	}
	return n;
}

/* GET /v1/status, /v1/stats, /v1/state-file */
static int serve_status(struct call *c)
{
	return reply_json(c, 200, status_json(c->a));
}

static int serve_stats(struct call *c)
{
	return reply_json(c, 200, stats_json(c->a));
}

static int serve_state_file(struct call *c)
{
	json_object *root = json_object_new_object();

	json_object_object_add(root, STATE_REC, sf_json(c->a));
	return reply_json(c, 200, root);
}

/* The routes table: /v1/<path> of the fixed resources ... */
static const struct {
	const char *path;
	int (*get)(struct call *c);
	int (*del)(struct call *c);	/* NULL: GET only */
} routes[] = {
	{ "events", serve_events, NULL },
	{ "status", serve_status, NULL },
	{ "stats", serve_stats, NULL },
	{ STATE_REC, serve_state_file, state_discard },
};

/* ... and of the kinds of objects (objects.c serves them): a row each. */
const struct api_kind kinds[K_COUNT] = {
	[K_NET] = { "networks", "network", NULL, net_count, net_find, net_json },
	[K_IPORT] = { "instance-ports", "instance port", NULL, iport_count, iport_find,
		      iport_json },
	[K_SPORT] = { "service-ports", "service port", "bind", sport_count, sport_find,
		      sport_json },
	[K_L3DOM] = { "l3-domains", "l3 domain", NULL, l3dom_count, l3dom_find, l3dom_json },
	[K_CHAIN] = { "chains", "chain", NULL, chain_count, chain_find, chain_json },
};

int route(struct call *c)
{
	struct pp_api *a = c->a;
	const char *url = c->url, *method = c->method;
	char path[PP_API_URL_MAX], *parts[6];
	int n, get = !strcmp(method, "GET");

	a->requests++;
	if (strlen(url) >= sizeof(path))
		return reply_err(c, 414, "uri_too_long", NULL,
				 "the URL path (%zu bytes) exceeds %d bytes", strlen(url),
				 PP_API_URL_MAX - 1);
	if (!strcmp(url, "/metrics")) {
		char *text;

		if (!get)
			return reply_err(c, 405, "method", NULL, "GET only");
		text = metrics_text(a);
		if (!text)
			return reply_err(c, 500, "internal", NULL, "out of memory");
		reply_text(c, 200, "text/plain; version=0.0.4", text);
		free(text);
		return 0;
	}
	if (c->metrics_only)
		return reply_err(c, 404, "not_found", NULL, "only /metrics is served here");
	strcpy(path, url);
	n = split_path(path, parts, 5);
	if (n < 2 || strcmp(parts[0], "v1"))
		return reply_err(c, 404, "not_found", NULL, "no such resource: %s", url);
	for (size_t r = 0; n == 2 && r < sizeof(routes) / sizeof(routes[0]); r++) {
		if (strcmp(parts[1], routes[r].path))
			continue;
		if (routes[r].del && !strcmp(method, "DELETE"))
			return routes[r].del(c);
		if (!get)
			return reply_err(c, 405, "method", NULL, "%s",
					 routes[r].del ? "GET or DELETE" : "GET only");
		return routes[r].get(c);
	}
	/* instance ports: by id, and the activation of a tap (iports.c) */
	if (!strcmp(parts[1], kinds[K_IPORT].path)) {
		if (n == 2 && get && arg(c, "id"))
			return iport_list_by_id(c, arg(c, "id"));
		if (n == 4 && !strcmp(parts[3], "activate"))
			return iport_activate(c, parts[2]);
	}
	for (int k = 0; k < K_COUNT; k++)
		if (!strcmp(parts[1], kinds[k].path))
			return serve_kind(c, k, parts, n);
	return reply_err(c, 404, "not_found", NULL, "no such resource: %s", url);
}

/* %XX decoded in place, except %00 (a NUL would cut the path: it stays as
 * it is, and names nothing).  Returns the new length. */
size_t url_unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		int hi, lo;

		if (r[0] == '%' && (hi = pp_hexval(r[1])) >= 0 && (lo = pp_hexval(r[2])) >= 0 &&
		    (hi || lo)) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
	return w - s;
}

int pp_api_request(struct pp_api *a, const char *method, const char *url, const char *body,
		   size_t len, struct pp_api_response *r)
{
	struct call c = { .a = a, .method = method, .body = body ? body : "", .len = len };
	char *u = strdup(url), *q;

	memset(r, 0, sizeof(*r));
	if (!u)
		return -ENOMEM;
	q = strchr(u, '?');
	if (q) {
		*q++ = 0;
		for (char *t = strtok(q, "&"); t && c.nargs < ARGS_MAX; t = strtok(NULL, "&")) {
			char *eq = strchr(t, '=');

			if (eq)
				*eq++ = 0;
			for (char *p = eq; p && *p; p++)
				if (*p == '+')
					*p = ' ';
			url_unescape(t);
			if (eq)
				url_unescape(eq);
			c.argk[c.nargs] = t;
			c.argv[c.nargs++] = eq ? eq : "";
		}
	}
	url_unescape(u);
	c.url = u;
	if (len > PP_API_BODY_MAX)
		reply_err(&c, 413, "too_large", NULL, "the body exceeds %d bytes", PP_API_BODY_MAX);
	else
		route(&c);
	free(u);
	r->status = c.status;
	r->content_type = c.type;
	r->body = c.text ? c.text : strdup("");
	r->len = c.text_len;
	return r->body ? 0 : -ENOMEM;
}
