// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The etcd v3 client (etcd.h) over the JSON gateway of etcd 3.4.
 *
 * The gateway's ways, as found on etcd 3.4.23:
 * - keys and values are base64; int64s are JSON strings; fields at their
 *   default value are omitted (a PUT event has no "type", a failed txn no
 *   "succeeded", an empty value no "value", a keepalive of a gone lease no
 *   "TTL").
 * - errors are an HTTP error status with {"error","message","code"} (a gRPC
 *   code); inside a watch stream {"error":{"grpc_code","http_code","message"}}.
 * - /v3/watch answers a stream of JSON messages {"result":{...}}, each ended
 *   by a newline; "created":true comes first, even for a compacted
 *   start revision, which then gets {"canceled":true,"compact_revision"} and
 *   the stream stays open: we end it.
 * - /v3/lease/keepalive answers one message per request body and ends.
 * - With --client-cert-auth a refused client certificate is only noticed by
 *   the client after a TLS 1.3 handshake, as a send or receive error like a
 *   dropped connection; TLS 1.2 refuses it inside the handshake.  We speak
 *   TLS 1.2 so that it is -EACCES, not a transport error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <curl/curl.h>
#include "etcd.h"

#define RANGE_PAGE 1000

enum req_kind { R_RANGE, R_TXN, R_WATCH, R_KEEPALIVE };

struct buf {
	char *p;
	size_t len, cap;
};

struct req {
	struct pp_etcd *e;
	struct req *next; /* e->reqs */
	enum req_kind kind;
	CURL *h;
	const char *path;
	char *body;
	struct buf out; /* the answer (a watch: bytes not parsed yet) */
	int ep, tries; /* endpoint used, how many tried */
	char err[CURL_ERROR_SIZE];
	void *arg;
	pp_etcd_range_cb range_cb;
	pp_etcd_txn_cb txn_cb;
	pp_etcd_keepalive_cb ka_cb;
	/* a range being paged */
	json_object *rq;
	struct pp_etcd_kv *kvs;
	size_t n, cap;
	int64_t rev;
};

struct pp_etcd {
	char **eps;
	int n_eps, cur;
	char *ca, *cert, *key;
	long conn_ms, req_ms;
	CURLM *m;
	CURL *sync;
	struct curl_slist *hdrs;
	int epfd, tfd;
	struct timespec deadline; /* curl's timeout; tv_sec < 0: none */
	struct req *reqs;
	char last_err[512];
	/* the watch */
	struct req *w;
	struct pp_etcd_watch_cb wcb;
	void *warg;
	json_tokener *tok;
	bool created;
};

/* ---- base64 (standard alphabet, padded: Go's encoding of []byte) ------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_object *b64_json(const char *s, size_t n)
{
	char *o = malloc((n + 2) / 3 * 4 + 1), *p = o;
	const unsigned char *u = (const unsigned char *)s;
	json_object *j;
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		*p++ = b64[u[i] >> 2];
		*p++ = b64[(u[i] & 3) << 4 | u[i + 1] >> 4];
		*p++ = b64[(u[i + 1] & 15) << 2 | u[i + 2] >> 6];
		*p++ = b64[u[i + 2] & 63];
	}
	if (i < n) {
		*p++ = b64[u[i] >> 2];
		if (i + 1 < n) {
			*p++ = b64[(u[i] & 3) << 4 | u[i + 1] >> 4];
			*p++ = b64[(u[i + 1] & 15) << 2];
		} else {
			*p++ = b64[(u[i] & 3) << 4];
			*p++ = '=';
		}
		*p++ = '=';
	}
	j = json_object_new_string_len(o, p - o);
	free(o);
	return j;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? p - b64 : -1;
}

/* Decode s (NULL: empty) into a new NUL-terminated buffer. */
static int b64_decode(const char *s, char **out, size_t *len)
{
	size_t n = s ? strlen(s) : 0, i, o = 0;
	unsigned int acc = 0, bits = 0;
	char *d;

	if (n % 4)
		return -EPROTO;
	d = malloc(n / 4 * 3 + 1);
	if (!d)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int v = b64_val(s[i]);

		if (v < 0) {
			/* '=' only as the last one or two characters */
			if (s[i] != '=' || i + 2 < n || (i + 2 == n && s[i + 1] != '=')) {
				free(d);
				return -EPROTO;
			}
			break;
		}
		acc = acc << 6 | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = acc >> bits & 0xff;
		}
	}
	d[o] = 0;
	*out = d;
	*len = o;
	return 0;
}

/* ---- small helpers ---------------------------------------------------- */

static int buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *q;

		while (cap < b->len + n + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	/* int64s come as strings; json-c parses them either way */
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static json_object *jobj(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static json_object *jstr64(int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return json_object_new_string(s);
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* The first key after every key that starts with key[0..n) ("\0": none). */
static json_object *prefix_end(const char *key, size_t n)
{
	char *s = malloc(n + 1);
	json_object *j;

	if (!s)
		return NULL;
	memcpy(s, key, n);
	while (n && (unsigned char)s[n - 1] == 0xff)
		n--;
	if (n) {
		s[n - 1]++;
		j = b64_json(s, n);
	} else {
		j = b64_json("", 1);
	}
	free(s);
	return j;
}

static void kv_free(struct pp_etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
}

static int kv_decode(json_object *o, struct pp_etcd_kv *kv)
{
	json_object *k = jobj(o, "key"), *v = jobj(o, "value");
	int err;

	memset(kv, 0, sizeof(*kv));
	if (!k)
		return -EPROTO;
	err = b64_decode(json_object_get_string(k), &kv->key, &kv->key_len);
	if (!err)
		err = b64_decode(v ? json_object_get_string(v) : NULL, &kv->value, &kv->value_len);
	if (err) {
		kv_free(kv);
		return err;
	}
	kv->mod_revision = jint(o, "mod_revision");
	kv->create_revision = jint(o, "create_revision");
	kv->lease = jint(o, "lease");
	return 0;
}

static int grpc_errno(int64_t code)
{
	switch (code) {
	case 3:
		return -EINVAL; /* INVALID_ARGUMENT: too many operations, ... */
	case 4:
		return -ETIMEDOUT; /* DEADLINE_EXCEEDED */
	case 5:
		return -ENOENT; /* NOT_FOUND: the lease */
	case 7: /* PERMISSION_DENIED */
	case 16:
		return -EACCES; /* UNAUTHENTICATED */
	case 8:
		return -ENOSPC; /* RESOURCE_EXHAUSTED: the store is full */
	case 11:
		return -ESTALE; /* OUT_OF_RANGE: the revision is compacted */
	case 14:
		return -EAGAIN; /* UNAVAILABLE: no leader, ... */
	default:
		return -EPROTO;
	}
}

static int curl_errno(CURL *h, CURLcode c)
{
	long os = 0;

	switch (c) {
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os);
		return os == EHOSTUNREACH || os == ENETUNREACH ? -EHOSTUNREACH : -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR: /* a refused client certificate (TLS 1.2) */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return -EACCES;
	case CURLE_RECV_ERROR:
		return -ECONNRESET;
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
		return -EPIPE;
	default:
		return -EPROTO;
	}
}

/* Worth trying the next endpoint: nothing reached etcd, or it cannot serve. */
static bool retryable(CURL *h, CURLcode c, int err)
{
	curl_off_t sent = 0;

	if (c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST || err == -EAGAIN)
		return true;
	if (c == CURLE_OPERATION_TIMEDOUT) {
		/* timed out in the TCP or TLS handshake: the request was not sent */
		curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &sent);
		return sent == 0;
	}
	return false;
}

static void set_err(struct pp_etcd *e, int ep, const char *what)
{
	snprintf(e->last_err, sizeof(e->last_err), "%s: %s", e->eps[ep], what);
}

static int transfer_err(struct pp_etcd *e, int ep, CURL *h, CURLcode c, const char *errbuf)
{
	set_err(e, ep, errbuf && *errbuf ? errbuf : curl_easy_strerror(c));
	return curl_errno(h, c);
}

/* The answer of a request: *res (taken by the caller), or -errno. */
static int parse_answer(struct pp_etcd *e, int ep, CURL *h, const struct buf *b, json_object **res)
{
	json_tokener *tok = json_tokener_new();
	json_object *o, *r;
	long code = 0;
	int err;

	*res = NULL;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (!tok)
		return -ENOMEM;
	o = b->len ? json_tokener_parse_ex(tok, b->p, b->len) : NULL;
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object)) {
		set_err(e, ep, "an answer that is not a JSON object");
		json_object_put(o);
		return -EPROTO;
	}
	if (code != 200) {
		r = jobj(o, "message");
		set_err(e, ep, r ? json_object_get_string(r) : "an HTTP error");
		err = jobj(o, "code") ? grpc_errno(jint(o, "code")) : -EPROTO;
		json_object_put(o);
		return err;
	}
	/* the streaming calls (keepalive) wrap their message in "result" */
	r = jobj(o, "result");
	if (r) {
		json_object_get(r);
		json_object_put(o);
		o = r;
	}
	*res = o;
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
	return buf_add(arg, p, size * n) ? 0 : size * n;
}

/* Set h up for a POST of body to path on endpoint ep. */
static void easy_setup(struct pp_etcd *e, CURL *h, int ep, const char *path, const char *body,
		       struct buf *out, char *errbuf, long timeout_ms)
{
	char url[512];

	snprintf(url, sizeof(url), "%s%s", e->eps[ep], path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->hdrs);
	/* HTTP/2 would pool the streams; 1.1 keeps a watch its own connection */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_SSLVERSION,
			 (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
	if (e->ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, e->ca);
	if (e->cert)
		curl_easy_setopt(h, CURLOPT_SSLCERT, e->cert);
	if (e->key)
		curl_easy_setopt(h, CURLOPT_SSLKEY, e->key);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (getenv("PP_ETCD_VERBOSE"))
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms && timeout_ms < e->conn_ms ? timeout_ms : e->conn_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* a host gone without a FIN ends a watch in ~11 s (2 s idle, 9 probes) */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = 0;
	out->len = 0;
}

/* ---- asynchronous requests ------------------------------------------- */

static void req_free(struct req *r)
{
	struct req **pp;
	size_t i;

	for (pp = &r->e->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (r->h) {
		curl_multi_remove_handle(r->e->m, r->h);
		curl_easy_cleanup(r->h);
	}
	for (i = 0; i < r->n; i++)
		kv_free(&r->kvs[i]);
	free(r->kvs);
	json_object_put(r->rq);
	free(r->body);
	free(r->out.p);
	free(r);
}

/* (Re)start r on its endpoint. */
static int req_submit(struct req *r)
{
	struct pp_etcd *e = r->e;

	if (r->h)
		curl_multi_remove_handle(e->m, r->h);
	else if (!(r->h = curl_easy_init()))
		return -ENOMEM;
	easy_setup(e, r->h, r->ep, r->path, r->body, &r->out, r->err,
		   r->kind == R_WATCH ? 0 : e->req_ms);
	curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
	return curl_multi_add_handle(e->m, r->h) == CURLM_OK ? 0 : -ENOMEM;
}

/* A new request of body (taken) on path. */
static int req_start(struct pp_etcd *e, enum req_kind kind, const char *path, json_object *body,
		     void *arg, struct req **out)
{
	struct req *r = calloc(1, sizeof(*r));
	int err;

	if (!r || !body) {
		free(r);
		json_object_put(body);
		return -ENOMEM;
	}
	r->e = e;
	r->kind = kind;
	r->path = path;
	r->arg = arg;
	r->ep = e->cur;
	r->body = strdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	json_object_put(body);
	r->next = e->reqs;
	e->reqs = r;
	err = r->body ? req_submit(r) : -ENOMEM;
	if (err) {
		req_free(r);
		return err;
	}
	if (out)
		*out = r;
	return 0;
}

static void range_done(struct req *r, int err, json_object *res)
{
	json_object *kvs = jobj(res, "kvs"), *hdr = jobj(res, "header");
	size_t i, n = kvs ? json_object_array_length(kvs) : 0;

	if (!err && !r->rev) {
		/* every further page at the first page's revision: one snapshot */
		r->rev = jint(hdr, "revision");
		json_object_object_add(r->rq, "revision", jstr64(r->rev));
	}
	if (!err && r->n + n > r->cap) {
		struct pp_etcd_kv *k = realloc(r->kvs, (r->n + n) * 2 * sizeof(*k));

		if (!k)
			err = -ENOMEM;
		else {
			r->kvs = k;
			r->cap = (r->n + n) * 2;
		}
	}
	for (i = 0; !err && i < n; i++) {
		err = kv_decode(json_object_array_get_idx(kvs, i), &r->kvs[r->n]);
		if (!err)
			r->n++;
	}
	if (!err && n && json_object_get_boolean(jobj(res, "more"))) {
		/* the next page: from just after the last key */
		struct pp_etcd_kv *last = &r->kvs[r->n - 1];

		json_object_object_add(r->rq, "key", b64_json(last->key, last->key_len + 1));
		free(r->body);
		r->body = strdup(json_object_to_json_string_ext(r->rq, JSON_C_TO_STRING_PLAIN));
		r->tries = 0;
		err = r->body ? req_submit(r) : -ENOMEM;
		if (!err)
			return;
	}
	r->range_cb(r->arg, err, err ? 0 : r->rev, r->kvs, err ? 0 : r->n);
	req_free(r);
}

static void watch_end(struct pp_etcd *e, int err, int64_t compact_rev)
{
	struct pp_etcd_watch_cb cb = e->wcb;
	void *arg = e->warg;

	if (!e->w)
		return;
	req_free(e->w);
	e->w = NULL;
	if (e->tok)
		json_tokener_free(e->tok); /* json-c 0.16 does not take NULL */
	e->tok = NULL;
	/* last: end() may start the next watch */
	if (cb.end)
		cb.end(arg, err, compact_rev);
}

/* One message of the watch stream; false: the watch ended. */
static bool watch_msg(struct pp_etcd *e, json_object *o)
{
	json_object *res = jobj(o, "result"), *evs, *err = jobj(o, "error");
	int64_t rev;
	size_t i, n;

	if (err || !res) {
		set_err(e, e->w->ep,
			err ? json_object_get_string(jobj(err, "message")) :
			      "a watch message without result");
		watch_end(e, err ? grpc_errno(jint(err, "grpc_code")) : -EPROTO, 0);
		return false;
	}
	rev = jint(jobj(res, "header"), "revision");
	if (json_object_get_boolean(jobj(res, "created")) && !e->created) {
		e->created = true;
		if (e->wcb.created)
			e->wcb.created(e->warg, rev);
		if (!e->w)
			return false;
	}
	if (json_object_get_boolean(jobj(res, "canceled"))) {
		int64_t compact = jint(res, "compact_revision");

		set_err(e, e->w->ep,
			compact ? "watch: revision compacted" : "watch cancelled by etcd");
		watch_end(e, compact ? -ESTALE : -ECONNRESET, compact);
		return false;
	}
	evs = jobj(res, "events");
	n = evs ? json_object_array_length(evs) : 0;
	for (i = 0; i < n; i++) {
		json_object *ev = json_object_array_get_idx(evs, i), *t = jobj(ev, "type");
		struct pp_etcd_kv kv;
		bool del = t && !strcmp(json_object_get_string(t), "DELETE");

		if (kv_decode(jobj(ev, "kv"), &kv)) {
			set_err(e, e->w->ep, "a watch event without a key");
			watch_end(e, -EPROTO, 0);
			return false;
		}
		if (e->wcb.event)
			e->wcb.event(e->warg, del, &kv, kv.mod_revision);
		kv_free(&kv);
		if (!e->w)
			return false;
	}
	if (n && e->wcb.batch_end)
		e->wcb.batch_end(e->warg, rev);
	return e->w != NULL;
}

/* Parse and deliver the complete messages the watch has received. */
static void watch_process(struct pp_etcd *e)
{
	struct req *w = e->w;
	size_t off = 0;
	long code = 0;

	if (!w || !w->out.len)
		return;
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200)
		return; /* an error answer: read when the transfer ends */
	while (off < w->out.len) {
		json_object *o = json_tokener_parse_ex(e->tok, w->out.p + off, w->out.len - off);
		bool more;

		if (!o) {
			if (json_tokener_get_error(e->tok) == json_tokener_continue)
				break; /* the rest of a message is still to come */
			set_err(e, w->ep, "a watch message that is not JSON");
			watch_end(e, -EPROTO, 0);
			return;
		}
		off += json_tokener_get_parse_end(e->tok);
		more = watch_msg(e, o);
		json_object_put(o);
		if (!more)
			return;
	}
	/* the tokener keeps what it consumed of a partial message */
	w->out.len = 0;
}

static void req_done(struct req *r, CURLcode c)
{
	struct pp_etcd *e = r->e;
	json_object *res = NULL;
	int err;

	if (r->kind == R_WATCH) {
		watch_process(e);
		if (e->w != r)
			return;
	}
	err = c != CURLE_OK ? transfer_err(e, r->ep, r->h, c, r->err) :
			      parse_answer(e, r->ep, r->h, &r->out, &res);
	if (err && retryable(r->h, c, err) && ++r->tries < e->n_eps &&
	    !(r->kind == R_WATCH && e->created)) {
		r->ep = e->cur = (r->ep + 1) % e->n_eps;
		if (!req_submit(r))
			return;
	}
	switch (r->kind) {
	case R_RANGE:
		range_done(r, err, res);
		break;
	case R_TXN:
		r->txn_cb(r->arg, err, !err && json_object_get_boolean(jobj(res, "succeeded")),
			  err ? 0 : jint(jobj(res, "header"), "revision"));
		req_free(r);
		break;
	case R_KEEPALIVE:
		r->ka_cb(r->arg, err, err ? 0 : jint(res, "TTL"));
		req_free(r);
		break;
	case R_WATCH:
		/* a stream only ends by an error: a clean end is a broken one */
		if (!err) {
			set_err(e, r->ep, "the watch stream ended");
			err = -EPIPE;
		}
		watch_end(e, err, 0);
		break;
	}
	json_object_put(res);
}

/* ---- the loop ---------------------------------------------------------- */

static int sock_cb(CURL *h, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct pp_etcd *e = arg;
	struct epoll_event ev = { .data.fd = s };

	(void)h;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, s, NULL); /* may be closed already */
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, s, &ev) && errno == ENOENT)
		epoll_ctl(e->epfd, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

static int timer_cb(CURLM *m, long ms, void *arg)
{
	struct pp_etcd *e = arg;
	struct itimerspec its = { 0 };

	(void)m;
	e->deadline.tv_sec = -1;
	if (ms >= 0) {
		/* 0 would disarm the timerfd: "now" is 1 ns */
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = ms ? (ms % 1000) * 1000000 : 1;
		clock_gettime(CLOCK_MONOTONIC, &e->deadline);
		e->deadline.tv_sec += ms / 1000;
		e->deadline.tv_nsec += (ms % 1000) * 1000000;
	}
	timerfd_settime(e->tfd, 0, &its, NULL);
	return 0;
}

void pp_etcd_run(struct pp_etcd *e)
{
	struct epoll_event evs[16];
	int i, n, running;
	CURLMsg *msg;

	n = epoll_wait(e->epfd, evs, 16, 0);
	for (i = 0; i < n; i++) {
		int fd = evs[i].data.fd, fl = 0;

		if (fd == e->tfd) {
			uint64_t x;

			if (read(e->tfd, &x, sizeof(x)) < 0)
				x = 0;
			/*
			 * The timer is spent: curl calls timer_cb again only if it
			 * wants another, and only when its value changes.  A
			 * deadline left in the past made pp_etcd_timeout_ms() say
			 * "now" forever, and the daemon's loop spin (seen: 0.4 to
			 * 1 s of CPU at each connection failure).
			 */
			e->deadline.tv_sec = -1;
			curl_multi_socket_action(e->m, CURL_SOCKET_TIMEOUT, 0, &running);
			continue;
		}
		if (evs[i].events & EPOLLIN)
			fl |= CURL_CSELECT_IN;
		if (evs[i].events & EPOLLOUT)
			fl |= CURL_CSELECT_OUT;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			fl |= CURL_CSELECT_ERR;
		curl_multi_socket_action(e->m, fd, fl, &running);
	}
	/* callbacks run here, outside curl's: they may start or cancel requests */
	watch_process(e);
	while ((msg = curl_multi_info_read(e->m, &n))) {
		struct req *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		req_done(r, msg->data.result);
	}
}

int pp_etcd_fd(struct pp_etcd *e)
{
	return e->epfd;
}

int pp_etcd_timeout_ms(struct pp_etcd *e)
{
	struct timespec t;
	int64_t ms;

	if (e->deadline.tv_sec < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	/* rounded up: less than a millisecond to go is not "now" (a busy wait) */
	ms = ((e->deadline.tv_sec - t.tv_sec) * 1000000000LL + (e->deadline.tv_nsec - t.tv_nsec) +
	      999999) / 1000000;
	return ms < 0 ? 0 : ms;
}

const char *pp_etcd_strerror(struct pp_etcd *e)
{
	return e->last_err;
}

/* ---- create / destroy -------------------------------------------------- */

int pp_etcd_create(struct pp_etcd **out, const struct pp_etcd_opts *o)
{
	struct pp_etcd *e = calloc(1, sizeof(*e));
	struct epoll_event ev = { .events = EPOLLIN };
	char *list, *tok, *save = NULL;
	int err = -ENOMEM;

	if (!e)
		return -ENOMEM;
	e->epfd = e->tfd = -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		free(e);
		return -ENOMEM;
	}
	e->conn_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 2000;
	e->req_ms = o->request_timeout_ms ? o->request_timeout_ms : 5000;
	e->deadline.tv_sec = -1;
	list = strdup(o->endpoints ? o->endpoints : "");
	if (!list)
		goto fail;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char **eps = realloc(e->eps, (e->n_eps + 1) * sizeof(*eps));
		size_t n = strlen(tok);

		if (!eps)
			break;
		e->eps = eps;
		while (n && tok[n - 1] == '/')
			tok[--n] = 0;
		if (!(e->eps[e->n_eps] = strdup(tok)))
			break;
		e->n_eps++;
	}
	free(list);
	if (tok)
		goto fail;
	err = -EINVAL;
	if (!e->n_eps)
		goto fail;
	err = -ENOMEM;
	if ((o->ca && !(e->ca = strdup(o->ca))) || (o->cert && !(e->cert = strdup(o->cert))) ||
	    (o->key && !(e->key = strdup(o->key))))
		goto fail;
	e->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	e->m = curl_multi_init();
	e->sync = curl_easy_init();
	if (!e->hdrs || !e->m || !e->sync)
		goto fail;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->epfd < 0 || e->tfd < 0) {
		err = -errno;
		goto fail;
	}
	ev.data.fd = e->tfd;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->tfd, &ev)) {
		err = -errno;
		goto fail;
	}
	curl_multi_setopt(e->m, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(e->m, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->m, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(e->m, CURLMOPT_TIMERDATA, e);
	*out = e;
	return 0;
fail:
	pp_etcd_destroy(e);
	return err;
}

void pp_etcd_destroy(struct pp_etcd *e)
{
	int i;

	if (!e)
		return;
	while (e->reqs)
		req_free(e->reqs);
	if (e->tok)
		json_tokener_free(e->tok);
	if (e->m)
		curl_multi_cleanup(e->m);
	if (e->sync)
		curl_easy_cleanup(e->sync);
	curl_slist_free_all(e->hdrs);
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->tfd >= 0)
		close(e->tfd);
	for (i = 0; i < e->n_eps; i++)
		free(e->eps[i]);
	free(e->eps);
	free(e->ca);
	free(e->cert);
	free(e->key);
	free(e);
	curl_global_cleanup();
}

/* ---- the calls ---------------------------------------------------------- */

int pp_etcd_range_prefix(struct pp_etcd *e, const char *prefix, pp_etcd_range_cb cb, void *arg)
{
	json_object *rq = json_object_new_object();
	size_t n = strlen(prefix);
	struct req *r;
	int err;

	if (!rq)
		return -ENOMEM;
	/* "" : every key, from "\0" to the end ("\0") */
	json_object_object_add(rq, "key", n ? b64_json(prefix, n) : b64_json("", 1));
	json_object_object_add(rq, "range_end", prefix_end(prefix, n));
	json_object_object_add(rq, "limit", jstr64(RANGE_PAGE));
	err = req_start(e, R_RANGE, "/v3/kv/range", json_object_get(rq), arg, &r);
	if (err) {
		json_object_put(rq);
		return err;
	}
	r->rq = rq;
	r->range_cb = cb;
	return 0;
}

int pp_etcd_watch(struct pp_etcd *e, const char *prefix, int64_t start_rev,
		  const struct pp_etcd_watch_cb *cb, void *arg)
{
	json_object *b = json_object_new_object(), *c = json_object_new_object();
	size_t n = strlen(prefix);
	int err;

	if (e->w) {
		json_object_put(b);
		json_object_put(c);
		return -EBUSY;
	}
	if (!b || !c || !(e->tok = json_tokener_new())) {
		json_object_put(b);
		json_object_put(c);
		return -ENOMEM;
	}
	json_object_object_add(c, "key", n ? b64_json(prefix, n) : b64_json("", 1));
	json_object_object_add(c, "range_end", prefix_end(prefix, n));
	if (start_rev)
		json_object_object_add(c, "start_revision", jstr64(start_rev));
	json_object_object_add(b, "create_request", c);
	e->wcb = *cb;
	e->warg = arg;
	e->created = false;
	err = req_start(e, R_WATCH, "/v3/watch", b, arg, &e->w);
	if (err) {
		e->w = NULL;
		json_tokener_free(e->tok); /* not NULL here */
		e->tok = NULL;
	}
	return err;
}

void pp_etcd_watch_cancel(struct pp_etcd *e)
{
	set_err(e, e->w ? e->w->ep : e->cur, "watch cancelled");
	watch_end(e, -ECANCELED, 0);
}

/* ---- txns ---------------------------------------------------------------- */

json_object *pp_etcd_txn_new(void)
{
	json_object *t = json_object_new_object();

	if (t) {
		json_object_object_add(t, "compare", json_object_new_array());
		json_object_object_add(t, "success", json_object_new_array());
	}
	return t;
}

static json_object *cmp_new(json_object *t, const char *key, const char *op, const char *target)
{
	static const char *const ops[][2] = {
		{ "<", "LESS" },
		{ "=", "EQUAL" },
		{ ">", "GREATER" },
		{ "!=", "NOT_EQUAL" },
	};
	json_object *c = json_object_new_object();
	const char *res = "EQUAL";
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i][0]))
			res = ops[i][1];
	json_object_object_add(c, "key", b64_json(key, strlen(key)));
	json_object_object_add(c, "target", json_object_new_string(target));
	json_object_object_add(c, "result", json_object_new_string(res));
	json_object_array_add(jobj(t, "compare"), c);
	return c;
}

void pp_etcd_txn_cmp_mod(json_object *t, const char *key, const char *op, int64_t rev)
{
	json_object_object_add(cmp_new(t, key, op, "MOD"), "mod_revision", jstr64(rev));
}

void pp_etcd_txn_cmp_value(json_object *t, const char *key, const char *op, const char *val,
			   size_t len)
{
	json_object_object_add(cmp_new(t, key, op, "VALUE"), "value", b64_json(val, len));
}

void pp_etcd_txn_put_n(json_object *t, const char *key, size_t key_len, const char *val, size_t len,
		       int64_t lease)
{
	json_object *op = json_object_new_object(), *p = json_object_new_object();

	json_object_object_add(p, "key", b64_json(key, key_len));
	json_object_object_add(p, "value", b64_json(val, len));
	if (lease)
		json_object_object_add(p, "lease", jstr64(lease));
	json_object_object_add(op, "request_put", p);
	json_object_array_add(jobj(t, "success"), op);
}

void pp_etcd_txn_put(json_object *t, const char *key, const char *val, size_t len, int64_t lease)
{
	pp_etcd_txn_put_n(t, key, strlen(key), val, len, lease);
}

void pp_etcd_txn_del_n(json_object *t, const char *key, size_t key_len, bool prefix)
{
	json_object *op = json_object_new_object(), *d = json_object_new_object();

	json_object_object_add(d, "key", b64_json(key, key_len));
	if (prefix)
		json_object_object_add(d, "range_end", prefix_end(key, key_len));
	json_object_object_add(op, "request_delete_range", d);
	json_object_array_add(jobj(t, "success"), op);
}

void pp_etcd_txn_del(json_object *t, const char *key, bool prefix)
{
	pp_etcd_txn_del_n(t, key, strlen(key), prefix);
}

int pp_etcd_txn(struct pp_etcd *e, json_object *t, pp_etcd_txn_cb cb, void *arg)
{
	struct req *r;
	int err = req_start(e, R_TXN, "/v3/kv/txn", t, arg, &r);

	if (!err)
		r->txn_cb = cb;
	return err;
}

int pp_etcd_lease_keepalive(struct pp_etcd *e, int64_t id, pp_etcd_keepalive_cb cb, void *arg)
{
	json_object *b = json_object_new_object();
	struct req *r;
	int err;

	if (b)
		json_object_object_add(b, "ID", jstr64(id));
	err = req_start(e, R_KEEPALIVE, "/v3/lease/keepalive", b, arg, &r);
	if (!err)
		r->ka_cb = cb;
	return err;
}

/* ---- blocking calls -------------------------------------------------------- */

/* POST body to path, trying the endpoints in turn within timeout_ms. */
static int sync_call(struct pp_etcd *e, const char *path, json_object *body, long timeout_ms,
		     json_object **res)
{
	const char *s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	int64_t end = now_ms() + timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
	struct buf out = { 0 };
	int tries, err = -ETIMEDOUT;

	*res = NULL;
	for (tries = 0; tries < e->n_eps; tries++) {
		int64_t left = end - now_ms();
		int ep = e->cur;
		CURLcode c;

		if (left <= 0)
			break;
		curl_easy_reset(e->sync);
		easy_setup(e, e->sync, ep, path, s, &out, errbuf, left);
		c = curl_easy_perform(e->sync);
		err = c != CURLE_OK ? transfer_err(e, ep, e->sync, c, errbuf) :
				      parse_answer(e, ep, e->sync, &out, res);
		if (!err || !retryable(e->sync, c, err))
			break;
		e->cur = (ep + 1) % e->n_eps;
	}
	free(out.p);
	return err;
}

int pp_etcd_txn_sync(struct pp_etcd *e, json_object *t, bool *succeeded, int64_t *rev,
		     long timeout_ms)
{
	json_object *res;
	int err = sync_call(e, "/v3/kv/txn", t, timeout_ms, &res);

	if (succeeded)
		*succeeded = !err && json_object_get_boolean(jobj(res, "succeeded"));
	if (rev)
		*rev = err ? 0 : jint(jobj(res, "header"), "revision");
	json_object_put(res);
	return err;
}

int pp_etcd_lease_grant_sync(struct pp_etcd *e, long ttl_s, int64_t *id, long timeout_ms)
{
	json_object *b = json_object_new_object(), *res;
	int err;

	if (!b)
		return -ENOMEM;
	json_object_object_add(b, "TTL", jstr64(ttl_s));
	err = sync_call(e, "/v3/lease/grant", b, timeout_ms, &res);
	json_object_put(b);
	if (!err && !(*id = jint(res, "ID")))
		err = -EPROTO;
	json_object_put(res);
	return err;
}

int pp_etcd_lease_revoke_sync(struct pp_etcd *e, int64_t id, long timeout_ms)
{
	json_object *b = json_object_new_object(), *res;
	int err;

	if (!b)
		return -ENOMEM;
	json_object_object_add(b, "ID", jstr64(id));
	err = sync_call(e, "/v3/lease/revoke", b, timeout_ms, &res);
	json_object_put(b);
	json_object_put(res);
	return err;
}

int pp_etcd_compact_sync(struct pp_etcd *e, int64_t rev, long timeout_ms)
{
	json_object *b = json_object_new_object(), *res;
	int err;

	if (!b)
		return -ENOMEM;
	json_object_object_add(b, "revision", jstr64(rev));
	err = sync_call(e, "/v3/kv/compaction", b, timeout_ms, &res);
	json_object_put(b);
	json_object_put(res);
	return err;
}
