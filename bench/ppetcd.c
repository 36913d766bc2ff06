// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ppetcd: the cluster benchmark's hands (bench/cluster.sh, issue 19).  It
 * writes API objects straight into the store and times, on the hosts' own
 * pinned maps, when each host has programmed its share.
 *
 *   ppetcd COMMON put [--wait HOST=PINROOT]... [--timeout-ms N] [--ops N] < LINES
 *       LINES: "<kind>/<name> <JSON>" (the key after the prefix, the value
 *       as the API stores it).  Put in transactions of at most 128 (--ops)
 *       operations (127 objects and the prefix's "revision" key, as every
 *       write of the API does), one after the other; then wait until every
 *       service port of the input is programmed on its host (the host of its
 *       instance port: from the input, else from the store).
 *   ppetcd COMMON del PREFIX-REST [--wait HOST=PINROOT]... < LINES
 *       Delete every key under prefix + PREFIX-REST (one transaction), then
 *       wait until the input's service ports are gone from their hosts.
 *   ppetcd api --socket S --host-pins HOST=PINROOT --iport NAME --vlan V
 *              --network N [--reps R] [--name-prefix P]
 *       R times: POST /v1/service-ports (on NAME, VLAN V, bound to N) through
 *       the API socket S of one host; the time of the answer and of HOST's
 *       dataplane having it (both from the start of the request); DELETE,
 *       and wait until it is gone again.
 *   COMMON: --endpoints URL[,URL] --ca F --cert F --key F [--prefix P]
 *
 * "Programmed" is read from the host's pins, not from its API or log: the
 * VLAN classifier entry pp_vlans[slot * 4096 + vid] (the slot from pp_names)
 * is the last write of a service port's install (loader/dataplane.c,
 * pp_dp_sport_install), so once it is non-zero a frame with that VID is
 * classified to it; pp_vlans is an mmapped array, so a check costs no system
 * call and the poll (every 200 us) takes no CPU from the daemons to speak of.
 *
 * Output: "key value" lines on stdout (ms since the last acknowledged
 * transaction, or since the start of the API request), for the script.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include "polyport.h"
#include "maps.h"
#include "etcd.h"

#define TXN_OPS 128 /* etcd's default --max-txn-ops */
#define MAX_HOSTS 16
#define POLL_US 200

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ppetcd: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap(void)
{
	struct timespec ts = { 0, POLL_US * 1000 };

	nanosleep(&ts, NULL);
}

/* ---- the hosts' pins: what is programmed ------------------------------------------ */

struct want {
	unsigned ip; /* index into host.iports */
	unsigned vlan;
};

struct host {
	char name[64], pins[512];
	struct pp_maps m;
	bool open;
	char (*iports)[PP_NAME_LEN];
	__u32 *slot; /* per iport: 0 until found in pp_names */
	unsigned n_ip, cap_ip;
	struct want *w;
	unsigned n, cap, cursor;
	double done; /* ms (monotonic) it was complete; 0 not yet */
};

static struct host H[MAX_HOSTS];
static int NH;

static struct host *host_by_name(const char *name)
{
	for (int i = 0; i < NH; i++)
		if (!strcmp(H[i].name, name))
			return &H[i];
	return NULL;
}

static void host_add(const char *spec)
{
	const char *eq = strchr(spec, '=');
	struct host *h;

	if (!eq || eq == spec || NH == MAX_HOSTS)
		die("--wait %s: HOST=PINROOT", spec);
	h = &H[NH++];
	snprintf(h->name, sizeof(h->name), "%.*s", (int)(eq - spec), spec);
	snprintf(h->pins, sizeof(h->pins), "%s", eq + 1);
}

static void host_open(struct host *h)
{
	int err;

	if (h->open)
		return;
	err = pp_maps_open(&h->m, h->pins);
	if (err)
		die("%s: the maps under %s: %s", h->name, h->pins, strerror(-err));
	h->open = true;
}

static void want_add(struct host *h, const char *iport, unsigned vlan)
{
	unsigned i;

	for (i = 0; i < h->n_ip; i++) /* few instance ports: a scan */
		if (!strcmp(h->iports[i], iport))
			break;
	if (i == h->n_ip) {
		if (h->n_ip == h->cap_ip) {
			h->cap_ip = h->cap_ip ? 2 * h->cap_ip : 64;
			h->iports = realloc(h->iports, h->cap_ip * sizeof(*h->iports));
			h->slot = realloc(h->slot, h->cap_ip * sizeof(*h->slot));
			if (!h->iports || !h->slot)
				die("out of memory");
		}
		snprintf(h->iports[i], PP_NAME_LEN, "%s", iport);
		h->slot[i] = 0;
		h->n_ip++;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->w = realloc(h->w, h->cap * sizeof(*h->w));
		if (!h->w)
			die("out of memory");
	}
	h->w[h->n++] = (struct want){ .ip = i, .vlan = vlan };
}

/* Is want w of h in its dataplane (gone: is it out of it)? */
static bool programmed(struct host *h, const struct want *w, bool gone)
{
	struct pp_name_key k = { .kind = PP_NAME_IPORT };
	struct pp_name_val v;
	__u32 idx, id = 0;

	if (!h->slot[w->ip]) {
		snprintf(k.name, sizeof(k.name), "%s", h->iports[w->ip]);
		if (pp_name_get(&h->m, k, &v) || !v.id)
			return gone;
		h->slot[w->ip] = v.id;
	}
	idx = PP_VLAN_IDX(h->slot[w->ip], w->vlan);
	if (pp_map_get(&h->m, PPM_VLANS, &idx, &id))
		id = 0;
	return gone ? id == 0 : id != 0;
}

/*
 * Poll every host until its wants are all programmed (or all gone), at most
 * timeout_ms; the wants are checked in order from the first one not seen
 * yet, so a poll costs little once most are in.  Returns the hosts not done.
 */
static int wait_hosts(bool gone, double timeout_ms)
{
	double end = now_ms() + timeout_ms;
	int left;

	for (int i = 0; i < NH; i++) {
		H[i].cursor = 0;
		H[i].done = 0;
		if (H[i].n)
			host_open(&H[i]);
	}
	for (;;) {
		left = 0;
		for (int i = 0; i < NH; i++) {
			struct host *h = &H[i];

			if (h->done || !h->n)
				continue;
			while (h->cursor < h->n && programmed(h, &h->w[h->cursor], gone))
				h->cursor++;
			if (h->cursor == h->n)
				h->done = now_ms();
			else
				left++;
		}
		if (!left || now_ms() > end)
			return left;
		nap();
	}
}

/* ---- the store ------------------------------------------------------------------- */

static struct pp_etcd *E;
static unsigned OPS = TXN_OPS; /* operations a transaction */
static const char *PREFIX = "/polyport/v1/";

static void etcd_open(const char *ep, const char *ca, const char *cert, const char *key)
{
	struct pp_etcd_opts o = { .endpoints = ep,
				  .ca = ca,
				  .cert = cert,
				  .key = key,
				  .connect_timeout_ms = 2000,
				  .request_timeout_ms = 30000 };
	int err;

	if (!ep)
		die("--endpoints URL");
	err = pp_etcd_create(&E, &o);
	if (err)
		die("etcd %s: %s", ep, strerror(-err));
}

/* Drive the client until *done. */
static void etcd_until(const bool *done)
{
	while (!*done) {
		struct pollfd p = { .fd = pp_etcd_fd(E), .events = POLLIN };
		int t = pp_etcd_timeout_ms(E);

		poll(&p, 1, t < 0 || t > 100 ? 100 : t);
		pp_etcd_run(E);
	}
}

static json_object *IPHOST; /* instance port -> its host */

struct listing {
	bool done;
	int err;
};

static void on_iports(void *arg, int err, int64_t rev, const struct pp_etcd_kv *kvs, size_t n)
{
	struct listing *l = arg;
	size_t plen = strlen(PREFIX) + strlen("instance-ports/");

	(void)rev;
	l->done = true;
	l->err = err;
	for (size_t i = 0; !err && i < n; i++) {
		json_object *o = json_tokener_parse(kvs[i].value), *h;

		if (o && kvs[i].key_len > plen && json_object_object_get_ex(o, "host", &h))
			json_object_object_add(IPHOST, kvs[i].key + plen,
					       json_object_new_string(json_object_get_string(h)));
		json_object_put(o);
	}
}

static void iports_from_store(void)
{
	char p[256];
	struct listing l = {};
	int err;

	snprintf(p, sizeof(p), "%sinstance-ports/", PREFIX);
	err = pp_etcd_range_prefix(E, p, on_iports, &l);
	if (err)
		die("range %s: %s", p, strerror(-err));
	etcd_until(&l.done);
	if (l.err)
		die("range %s: %s (%s)", p, strerror(-l.err), pp_etcd_strerror(E));
}

struct line {
	char *key, *val;
};

static struct line *L;
static size_t NL;

static void read_lines(void)
{
	char *buf = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t n;

	while ((n = getline(&buf, &cap, stdin)) > 0) {
		char *sp;

		if (buf[n - 1] == '\n')
			buf[--n] = 0;
		if (!n || buf[0] == '#')
			continue;
		sp = strchr(buf, ' ');
		if (!sp)
			die("input: \"%s\": expected \"<kind>/<name> <JSON>\"", buf);
		*sp = 0;
		if (NL == lcap) {
			lcap = lcap ? 2 * lcap : 4096;
			L = realloc(L, lcap * sizeof(*L));
			if (!L)
				die("out of memory");
		}
		L[NL].key = strdup(buf);
		L[NL].val = strdup(sp + 1);
		if (!L[NL].key || !L[NL].val)
			die("out of memory");
		NL++;
	}
	free(buf);
}

/* The input's service ports, as wants of their hosts (those given by --wait). */
static void wants_from_lines(void)
{
	for (size_t i = 0; i < NL; i++) {
		json_object *o;

		if (strncmp(L[i].key, "instance-ports/", 15))
			continue;
		o = json_tokener_parse(L[i].val);
		if (o && json_object_object_get(o, "host"))
			json_object_object_add(IPHOST, L[i].key + 15,
					       json_object_new_string(json_object_get_string(
						       json_object_object_get(o, "host"))));
		json_object_put(o);
	}
	for (size_t i = 0; i < NL; i++) {
		json_object *o, *ip, *vl, *hn;
		struct host *h;

		if (strncmp(L[i].key, "service-ports/", 14))
			continue;
		o = json_tokener_parse(L[i].val);
		if (!o || !json_object_object_get_ex(o, "instance-port", &ip) ||
		    !json_object_object_get_ex(o, "vlan", &vl))
			die("%s: no instance-port or vlan (only VLAN service ports are timed)",
			    L[i].key);
		if (json_object_object_get_ex(IPHOST, json_object_get_string(ip), &hn) &&
		    (h = host_by_name(json_object_get_string(hn))))
			want_add(h, json_object_get_string(ip), json_object_get_int(vl));
		json_object_put(o);
	}
}

static void txn_commit(json_object *t, unsigned ops)
{
	bool ok = false;
	int64_t rev = 0;
	int err = pp_etcd_txn_sync(E, t, &ok, &rev, 30000);

	if (err || !ok)
		die("a transaction of %u operations: %s (%s)", ops, err ? strerror(-err) : "failed",
		    pp_etcd_strerror(E));
	json_object_put(t);
}

static void report(const char *what, double t0, int left)
{
	double last = 0;
	unsigned total = 0;

	for (int i = 0; i < NH; i++) {
		struct host *h = &H[i];

		if (!h->n)
			continue;
		total += h->n;
		if (h->done) {
			printf("host %s %s %u ms %.2f\n", h->name, what, h->n, h->done - t0);
			if (h->done - t0 > last)
				last = h->done - t0;
		} else {
			printf("host %s %s %u ms -1 missing %u\n", h->name, what, h->n,
			       h->n - h->cursor);
		}
	}
	if (left)
		printf("all %s %u ms -1\n", what, total);
	else
		printf("all %s %u ms %.2f\n", what, total, last);
}

/* The objects of stdin, what each host must have of them, its pins open
 * (before any clock starts). */
static void wants_open(void)
{
	read_lines();
	IPHOST = json_object_new_object();
	if (NH)
		iports_from_store();
	wants_from_lines();
	for (int i = 0; i < NH; i++)
		if (H[i].n)
			host_open(&H[i]);
}

static int cmd_put(double timeout_ms)
{
	char rkey[256], key[512];
	json_object *t = NULL;
	unsigned ops = 0, txns = 0;
	double t0, ack;
	int left;

	wants_open();
	snprintf(rkey, sizeof(rkey), "%srevision", PREFIX);
	t0 = now_ms();
	for (size_t i = 0; i < NL; i++) {
		if (!t)
			t = pp_etcd_txn_new();
		snprintf(key, sizeof(key), "%s%s", PREFIX, L[i].key);
		pp_etcd_txn_put(t, key, L[i].val, strlen(L[i].val), 0);
		if (++ops == OPS - 1 || i + 1 == NL) {
			pp_etcd_txn_put(t, rkey, "ppetcd", 6, 0);
			txn_commit(t, ops + 1);
			t = NULL;
			ops = 0;
			txns++;
		}
	}
	ack = now_ms();
	printf("put %zu objects in %u transactions (%.2f ms each): %.1f ms\n", NL, txns,
	       txns ? (ack - t0) / txns : 0, ack - t0);
	fflush(stdout);
	if (!NH)
		return 0;
	left = wait_hosts(false, timeout_ms);
	report("programmed", ack, left);
	return left ? 1 : 0;
}

static int cmd_del(const char *rest, double timeout_ms)
{
	char p[512], rkey[256];
	json_object *t = pp_etcd_txn_new();
	double ack;
	int left;

	wants_open();
	snprintf(p, sizeof(p), "%s%s", PREFIX, rest);
	snprintf(rkey, sizeof(rkey), "%srevision", PREFIX);
	pp_etcd_txn_del(t, p, true);
	pp_etcd_txn_put(t, rkey, "ppetcd", 6, 0);
	txn_commit(t, 2);
	ack = now_ms();
	if (!NH)
		return 0;
	left = wait_hosts(true, timeout_ms);
	report("removed", ack, left);
	return left ? 1 : 0;
}

/* ---- one change through a host's API ------------------------------------------------ */

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Start method on path (body or NULL) over the unix socket; poll the
 * transfer and host h every POLL_US until both the answer is in and h has
 * the want (gone: no longer has it).  *answer, *prog: ms from the start.
 */
static long api_call(const char *sock, const char *method, const char *path, const char *body,
		     struct host *h, bool gone, double *answer, double *prog)
{
	CURL *c = curl_easy_init();
	CURLM *mh = curl_multi_init();
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	char url[256];
	long code = 0;
	double t0, end;
	int running = 1;

	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	*answer = *prog = -1;
	t0 = now_ms();
	end = t0 + 10000;
	curl_multi_add_handle(mh, c);
	while (now_ms() < end) {
		int q;
		CURLMsg *msg;

		if (running) {
			curl_multi_perform(mh, &running);
			while ((msg = curl_multi_info_read(mh, &q)))
				if (msg->msg == CURLMSG_DONE) {
					*answer = now_ms() - t0;
					curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
				}
		}
		if (*prog < 0) {
			h->cursor = 0;
			if (programmed(h, &h->w[0], gone))
				*prog = now_ms() - t0;
		}
		if (!running && *prog >= 0)
			break;
		if (running)
			curl_multi_poll(mh, NULL, 0, POLL_US / 1000 ? POLL_US / 1000 : 1, NULL);
		else
			nap();
	}
	curl_multi_remove_handle(mh, c);
	curl_multi_cleanup(mh);
	curl_easy_cleanup(c);
	curl_slist_free_all(hd);
	return code;
}

static int cmd_api(int argc, char **argv)
{
	const char *sock = NULL, *iport = NULL, *net = NULL, *pfx = "ppbc-api";
	unsigned vlan = 0;
	int reps = 20, n = 0;
	double ans[64], prog[64], dans[64], dprog[64];
	struct host *h;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "--host-pins") && i + 1 < argc)
			host_add(argv[++i]);
		else if (!strcmp(argv[i], "--iport") && i + 1 < argc)
			iport = argv[++i];
		else if (!strcmp(argv[i], "--vlan") && i + 1 < argc)
			vlan = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--network") && i + 1 < argc)
			net = argv[++i];
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--name-prefix") && i + 1 < argc)
			pfx = argv[++i];
		else
			die("api: unknown argument %s", argv[i]);
	}
	if (!sock || NH != 1 || !iport || !vlan || !net || reps < 1 || reps > 64)
		die("api: --socket S --host-pins HOST=PINROOT --iport NAME --vlan V --network N "
		    "[--reps 1..64]");
	h = &H[0];
	want_add(h, iport, vlan);
	host_open(h);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (int r = 0; r < reps; r++) {
		char body[512], path[256];
		long code;

		snprintf(body, sizeof(body),
			 "{\"name\": \"%s%d\", \"instance-port\": \"%s\", "
			 "\"vlan\": %u, \"bind\": {\"network\": \"%s\"}}",
			 pfx, r, iport, vlan, net);
		code = api_call(sock, "POST", "/v1/service-ports", body, h, false, &ans[n],
				&prog[n]);
		if (code != 201 || prog[n] < 0)
			die("api: POST %s%d: HTTP %ld, answer %.1f ms, on %s: %s", pfx, r, code,
			    ans[n], h->name, prog[n] < 0 ? "not within 10 s" : "yes");
		snprintf(path, sizeof(path), "/v1/service-ports/%s%d", pfx, r);
		code = api_call(sock, "DELETE", path, NULL, h, true, &dans[n], &dprog[n]);
		if (code != 200 && code != 204)
			die("api: DELETE %s: HTTP %ld", path, code);
		if (dprog[n] < 0)
			die("api: DELETE %s: still on %s after 10 s", path, h->name);
		printf("rep %d post_answer_ms %.2f programmed_ms %.2f delete_answer_ms %.2f "
		       "removed_ms %.2f\n",
		       r, ans[n], prog[n], dans[n], dprog[n]);
		n++;
		usleep(20000);
	}
	printf("samples programmed_ms");
	for (int i = 0; i < n; i++)
		printf("%s%.2f", i ? "," : " ", prog[i]);
	printf("\nsamples answer_ms");
	for (int i = 0; i < n; i++)
		printf("%s%.2f", i ? "," : " ", ans[i]);
	printf("\nsamples removed_ms");
	for (int i = 0; i < n; i++)
		printf("%s%.2f", i ? "," : " ", dprog[i]);
	printf("\n");
	qsort(prog, n, sizeof(double), cmp_d);
	qsort(ans, n, sizeof(double), cmp_d);
	printf("median programmed_ms %.2f answer_ms %.2f\n", prog[n / 2], ans[n / 2]);
	curl_global_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	const char *ep = NULL, *ca = NULL, *cert = NULL, *key = NULL, *cmd = NULL, *rest = NULL;
	double timeout_ms = 60000;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "api"))
		return cmd_api(argc - 2, argv + 2);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--endpoints") && i + 1 < argc)
			ep = argv[++i];
		else if (!strcmp(argv[i], "--ca") && i + 1 < argc)
			ca = argv[++i];
		else if (!strcmp(argv[i], "--cert") && i + 1 < argc)
			cert = argv[++i];
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
			PREFIX = argv[++i];
		else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
			host_add(argv[++i]);
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			timeout_ms = atof(argv[++i]);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			OPS = atoi(argv[++i]);
		else if (!cmd && (!strcmp(argv[i], "put") || !strcmp(argv[i], "del")))
			cmd = argv[i];
		else if (cmd && !strcmp(cmd, "del") && !rest)
			rest = argv[i];
		else
			die("unknown argument %s (see bench/ppetcd.c)", argv[i]);
	}
	if (!cmd || (!strcmp(cmd, "del") && !rest) || OPS < 2 || OPS > TXN_OPS)
		die("usage: ppetcd --endpoints URL --ca F --cert F --key F [--prefix P] "
		    "put|del PREFIX-REST [--wait HOST=PINROOT]... [--timeout-ms N] [--ops 2..128] < LINES; "
		    "ppetcd api ...");
	etcd_open(ep, ca, cert, key);
	return !strcmp(cmd, "put") ? cmd_put(timeout_ms) : cmd_del(rest, timeout_ms);
}
