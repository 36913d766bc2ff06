// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The etcd client (loader/etcd.h) against a real etcd 3.4 with TLS and
 * client certificates.  tests/unit/test_etcd.sh starts etcd in a network
 * namespace and runs this binary there with
 *   PPTE_ENDPOINT  https://IP:PORT
 *   PPTE_CERTS     the directory of tests/etcd.sh's etcd_ca
 *   PPTE_ETCD_PID  etcd's pid (stopped and killed by the last tests)
 * Each test writes under a prefix of its own.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "etcd.h"

static const char *ep, *certs;
static pid_t etcd_pid;

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* A client of endpoints with client certificate NAME (NULL: none), CA ca. */
static struct pp_etcd *client_of(const char *endpoints, const char *ca, const char *name)
{
	char caf[256], crt[256], key[256];
	struct pp_etcd_opts o = { .endpoints = endpoints,
				  .ca = caf,
				  .connect_timeout_ms = 2000,
				  .request_timeout_ms = 3000 };
	struct pp_etcd *e = NULL;

	snprintf(caf, sizeof(caf), "%s/%s.crt", certs, ca);
	snprintf(crt, sizeof(crt), "%s/%s.crt", certs, name ? name : "");
	snprintf(key, sizeof(key), "%s/%s.key", certs, name ? name : "");
	if (name) {
		o.cert = crt;
		o.key = key;
	}
	assert_int_equal(pp_etcd_create(&e, &o), 0);
	return e;
}

static struct pp_etcd *client(void)
{
	return client_of(ep, "ca", "client");
}

/* Drive e until *done or ms pass; false: timed out. */
static bool run_until(struct pp_etcd *e, const bool *done, int ms)
{
	int64_t end = now_ms() + ms;

	while (!*done) {
		struct pollfd p = { .fd = pp_etcd_fd(e), .events = POLLIN };
		int64_t left = end - now_ms();

		if (left <= 0)
			return false;
		poll(&p, 1, left);
		pp_etcd_run(e);
	}
	return true;
}

static int64_t put_sync(struct pp_etcd *e, const char *key, const char *val)
{
	json_object *t = pp_etcd_txn_new();
	bool ok = false;
	int64_t rev = 0;

	pp_etcd_txn_put(t, key, val, strlen(val), 0);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, &rev, 3000), 0);
	json_object_put(t);
	assert_true(ok);
	return rev;
}

/* ---- range and txn callbacks into one result ------------------------- */

struct result {
	bool done, succeeded;
	int err;
	int64_t rev;
	size_t n;
	struct pp_etcd_kv *kvs; /* copies */
	long ttl;
};

static void result_free(struct result *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->kvs[i].key);
		free(r->kvs[i].value);
	}
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

static void kv_copy(struct pp_etcd_kv *d, const struct pp_etcd_kv *s)
{
	*d = *s;
	d->key = malloc(s->key_len + 1);
	d->value = malloc(s->value_len + 1);
	memcpy(d->key, s->key, s->key_len + 1);
	memcpy(d->value, s->value, s->value_len + 1);
}

static void range_cb(void *arg, int err, int64_t rev, const struct pp_etcd_kv *kvs, size_t n)
{
	struct result *r = arg;
	size_t i;

	r->done = true;
	r->err = err;
	r->rev = rev;
	r->n = n;
	r->kvs = calloc(n + 1, sizeof(*kvs));
	for (i = 0; i < n; i++)
		kv_copy(&r->kvs[i], &kvs[i]);
}

static void txn_cb(void *arg, int err, bool succeeded, int64_t rev)
{
	struct result *r = arg;

	r->done = true;
	r->err = err;
	r->succeeded = succeeded;
	r->rev = rev;
}

static void ka_cb(void *arg, int err, long ttl)
{
	struct result *r = arg;

	r->done = true;
	r->err = err;
	r->ttl = ttl;
}

static void range(struct pp_etcd *e, const char *prefix, struct result *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(pp_etcd_range_prefix(e, prefix, range_cb, r), 0);
	assert_true(run_until(e, &r->done, 10000));
}

/* ---- the watch's callbacks into a log --------------------------------- */

struct wlog {
	char seq[64]; /* C created, P put, D delete, B batch end */
	char keys[8][64];
	size_t val_len[8];
	int64_t rev[8];
	int n, err;
	int64_t compact, created_rev;
	bool created, ended;
};

static void w_add(struct wlog *w, char c)
{
	size_t n = strlen(w->seq);

	if (n + 1 < sizeof(w->seq))
		w->seq[n] = c;
}

static void w_created(void *arg, int64_t rev)
{
	struct wlog *w = arg;

	w->created = true;
	w->created_rev = rev;
	w_add(w, 'C');
}

static void w_event(void *arg, bool del, const struct pp_etcd_kv *kv, int64_t rev)
{
	struct wlog *w = arg;

	w_add(w, del ? 'D' : 'P');
	if (w->n < 8) {
		snprintf(w->keys[w->n], sizeof(w->keys[0]), "%s", kv->key);
		w->val_len[w->n] = kv->value_len;
		w->rev[w->n] = rev;
		w->n++;
	}
}

static void w_batch(void *arg, int64_t rev)
{
	(void)rev;
	w_add(arg, 'B');
}

static void w_end(void *arg, int err, int64_t compact_rev)
{
	struct wlog *w = arg;

	w->ended = true;
	w->err = err;
	w->compact = compact_rev;
}

/* Drive e until the watch has seen n events (or ended, or ms passed). */
static void wait_events(struct pp_etcd *e, struct wlog *w, int n, int ms)
{
	int64_t end = now_ms() + ms;

	while (w->n < n && !w->ended && now_ms() < end)
		run_until(e, &w->ended, 20);
}

static const struct pp_etcd_watch_cb wcb = { w_created, w_event, w_batch, w_end };

/* ---- the tests ------------------------------------------------------------ */

/* A put through an asynchronous txn is seen by a range of its prefix. */
static void test_put_range(void **state)
{
	struct pp_etcd *e = client();
	json_object *t = pp_etcd_txn_new();
	struct result r = { 0 }, l;

	(void)state;
	pp_etcd_txn_put(t, "/t1/a", "va", 2, 0);
	pp_etcd_txn_put(t, "/t1/b", "", 0, 0);
	pp_etcd_txn_put(t, "/t1x", "outside", 7, 0);
	assert_int_equal(pp_etcd_txn(e, t, txn_cb, &r), 0);
	assert_true(run_until(e, &r.done, 5000));
	assert_int_equal(r.err, 0);
	assert_true(r.succeeded);
	assert_true(r.rev > 0);

	range(e, "/t1/", &l);
	assert_int_equal(l.err, 0);
	assert_int_equal(l.n, 2);
	assert_true(l.rev >= r.rev);
	assert_string_equal(l.kvs[0].key, "/t1/a");
	assert_int_equal(l.kvs[0].value_len, 2);
	assert_memory_equal(l.kvs[0].value, "va", 2);
	assert_int_equal(l.kvs[0].mod_revision, r.rev);
	assert_int_equal(l.kvs[0].create_revision, r.rev);
	assert_string_equal(l.kvs[1].key, "/t1/b");
	assert_int_equal(l.kvs[1].value_len, 0); /* "value" omitted by the gateway */
	assert_int_equal(l.kvs[1].mod_revision, r.rev);
	result_free(&l);
	pp_etcd_destroy(e);
}

/* The keys of the paging test: /t2/NNNNN, 10,000 of them (batches of 128). */
#define T2_KEYS 10000

static void put_many(struct pp_etcd *e, const char *fmt, int from, int n)
{
	int i = from;

	while (i < from + n) {
		json_object *t = pp_etcd_txn_new();
		bool ok;
		int j;

		for (j = 0; j < 128 && i < from + n; j++, i++) {
			char k[64];

			snprintf(k, sizeof(k), fmt, i);
			pp_etcd_txn_put(t, k, k, strlen(k), 0);
		}
		assert_int_equal(pp_etcd_txn_sync(e, t, &ok, NULL, 5000), 0);
		assert_true(ok);
		json_object_put(t);
	}
}

/*
 * A range of 10,000 keys is paged and each page is read at the first page's
 * revision: keys written by another client during the range are not in it.
 */
static void test_range_paging(void **state)
{
	struct pp_etcd *e = client();
	struct result l, after;
	int64_t t0, best = -1;
	size_t i, late = 0;
	pid_t child;
	int k;

	(void)state;
	put_many(e, "/t2/%05d", 0, T2_KEYS);
	for (k = 0; k < 3; k++) {
		t0 = now_ms();
		range(e, "/t2/", &l);
		if (best < 0 || now_ms() - t0 < best)
			best = now_ms() - t0;
		assert_int_equal(l.err, 0);
		assert_int_equal(l.n, T2_KEYS);
		result_free(&l);
	}
	printf("# range of %d keys: %lld ms (best of 3)\n", T2_KEYS, (long long)best);

	/* a writer of keys that sort after the others (the last pages) */
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		/* no cmocka asserts in the child: it writes until it is killed */
		struct pp_etcd *w = client();

		for (k = 0;; k++) {
			json_object *t = pp_etcd_txn_new();
			char key[32];

			snprintf(key, sizeof(key), "/t2/zz%06d", k);
			pp_etcd_txn_put(t, key, "z", 1, 0);
			if (pp_etcd_txn_sync(w, t, NULL, NULL, 3000))
				_exit(1);
			json_object_put(t);
		}
	}
	usleep(100 * 1000);
	range(e, "/t2/", &l);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(l.err, 0);
	assert_true(l.n > T2_KEYS);
	for (i = 0; i < l.n; i++) {
		assert_true(l.kvs[i].mod_revision <= l.rev);
		if (i)
			assert_true(strcmp(l.kvs[i - 1].key, l.kvs[i].key) < 0);
	}
	/* and the writer did write during the range: the check meant something */
	range(e, "/t2/zz", &after);
	for (i = 0; i < after.n; i++)
		late += after.kvs[i].mod_revision > l.rev;
	printf("# paging: %zu keys at revision %lld, %zu written during or after the range\n", l.n,
	       (long long)l.rev, late);
	assert_true(late > 0);
	assert_int_equal(after.n + T2_KEYS - late, l.n);
	result_free(&l);
	result_free(&after);
	pp_etcd_destroy(e);
}

/*
 * A watch from rev + 1 sees the puts and deletes after rev in order: created
 * first, a batch end after each message, then live events (one of 200 KB:
 * a message split over many reads).
 */
static void test_watch(void **state)
{
	struct pp_etcd *e = client();
	struct wlog w = { 0 };
	json_object *t;
	int64_t rev, r1, r2, r3, r4;
	char *big;
	bool ok;

	(void)state;
	rev = put_sync(e, "/t3", "before"); /* outside the prefix */
	r1 = put_sync(e, "/t3/a", "1");
	r2 = put_sync(e, "/t3/b", "2");
	t = pp_etcd_txn_new();
	pp_etcd_txn_del(t, "/t3/a", false);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, &r3, 3000), 0);
	json_object_put(t);

	assert_int_equal(pp_etcd_watch(e, "/t3/", rev + 1, &wcb, &w), 0);
	assert_int_equal(pp_etcd_watch(e, "/t3/", rev + 1, &wcb, &w), -EBUSY);
	assert_true(run_until(e, &w.created, 3000));
	wait_events(e, &w, 3, 3000);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.seq[0], 'C');
	assert_true(w.created_rev >= r3);
	assert_string_equal(w.keys[0], "/t3/a");
	assert_int_equal(w.rev[0], r1);
	assert_string_equal(w.keys[1], "/t3/b");
	assert_int_equal(w.rev[1], r2);
	assert_string_equal(w.keys[2], "/t3/a");
	assert_int_equal(w.rev[2], r3);
	/* history comes as one or more messages: P P D with B after each */
	assert_true(strcmp(w.seq, "CPPDB") == 0 || strcmp(w.seq, "CPBPBDB") == 0 ||
		    strcmp(w.seq, "CPPBDB") == 0 || strcmp(w.seq, "CPBPDB") == 0);

	big = malloc(200 * 1024);
	memset(big, 'x', 200 * 1024);
	t = pp_etcd_txn_new();
	pp_etcd_txn_put(t, "/t3/big", big, 200 * 1024, 0);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, &r4, 3000), 0);
	json_object_put(t);
	free(big);
	wait_events(e, &w, 4, 3000);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.keys[3], "/t3/big");
	assert_int_equal(w.val_len[3], 200 * 1024);
	assert_int_equal(w.rev[3], r4);
	assert_int_equal(w.seq[strlen(w.seq) - 1], 'B');
	assert_false(w.ended);

	pp_etcd_watch_cancel(e);
	assert_true(w.ended);
	assert_int_equal(w.err, -ECANCELED);
	pp_etcd_destroy(e);
}

/* A txn whose compare fails reports succeeded=false and writes nothing. */
static void test_txn_compare_fails(void **state)
{
	struct pp_etcd *e = client();
	json_object *t = pp_etcd_txn_new();
	struct result l;
	int64_t rev, r2;
	bool ok = true;

	(void)state;
	rev = put_sync(e, "/t4/rev", "x");
	pp_etcd_txn_cmp_mod(t, "/t4/rev", "<", rev); /* it is rev: fails */
	pp_etcd_txn_put(t, "/t4/obj", "y", 1, 0);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, &r2, 3000), 0);
	json_object_put(t);
	assert_false(ok);
	assert_int_equal(r2, rev);

	t = pp_etcd_txn_new();
	pp_etcd_txn_cmp_value(t, "/t4/rev", "=", "x", 1);
	pp_etcd_txn_cmp_mod(t, "/t4/rev", "<", rev + 1);
	pp_etcd_txn_put(t, "/t4/obj", "z", 1, 0);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, &r2, 3000), 0);
	json_object_put(t);
	assert_true(ok);
	assert_int_equal(r2, rev + 1);

	range(e, "/t4/obj", &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.kvs[0].value, "z");
	result_free(&l);
	pp_etcd_destroy(e);
}

/* A watch from a compacted revision ends with -ESTALE and the compact rev. */
static void test_compacted(void **state)
{
	struct pp_etcd *e = client();
	struct wlog w = { 0 };
	int64_t r1, r2;

	(void)state;
	r1 = put_sync(e, "/t5/a", "1");
	r2 = put_sync(e, "/t5/a", "2");
	assert_int_equal(pp_etcd_compact_sync(e, r2, 3000), 0);
	assert_int_equal(pp_etcd_watch(e, "/t5/", r1, &wcb, &w), 0);
	assert_true(run_until(e, &w.ended, 3000));
	assert_int_equal(w.err, -ESTALE);
	assert_int_equal(w.compact, r2);
	assert_int_equal(w.n, 0);
	/* the stream stays open on etcd's side: it must be ended here */
	assert_int_equal(pp_etcd_watch(e, "/t5/", r2 + 1, &wcb, &w), 0);
	pp_etcd_destroy(e);
}

/* Two endpoints, the first refusing connections: the calls use the second. */
static void test_second_endpoint(void **state)
{
	char eps[512];
	struct pp_etcd *e;
	struct wlog w = { 0 };
	struct result l;

	(void)state;
	snprintf(eps, sizeof(eps), "https://127.0.0.1:1,%s", ep);
	e = client_of(eps, "ca", "client");
	put_sync(e, "/t6/a", "1");
	range(e, "/t6/", &l);
	assert_int_equal(l.err, 0);
	assert_int_equal(l.n, 1);
	result_free(&l);
	pp_etcd_destroy(e);

	/* asynchronous calls too, from a fresh client (first endpoint first) */
	e = client_of(eps, "ca", "client");
	range(e, "/t6/", &l);
	assert_int_equal(l.err, 0);
	assert_int_equal(l.n, 1);
	result_free(&l);
	pp_etcd_destroy(e);
	e = client_of(eps, "ca", "client");
	assert_int_equal(pp_etcd_watch(e, "/t6/", 0, &wcb, &w), 0);
	assert_true(run_until(e, &w.created, 3000));
	assert_false(w.ended);
	pp_etcd_destroy(e);

	/* and every endpoint dead: a transport error */
	e = client_of("https://127.0.0.1:1,https://127.0.0.1:2", "ca", "client");
	range(e, "/t6/", &l);
	assert_int_equal(l.err, -ECONNREFUSED);
	result_free(&l);
	pp_etcd_destroy(e);
}

/* A lease: granted, kept alive, revoked with its keys. */
static void test_lease(void **state)
{
	struct pp_etcd *e = client();
	json_object *t = pp_etcd_txn_new();
	struct result r = { 0 }, l;
	int64_t id = 0;
	bool ok;

	(void)state;
	assert_int_equal(pp_etcd_lease_grant_sync(e, 5, &id, 3000), 0);
	assert_true(id != 0);
	pp_etcd_txn_put(t, "/t7/host", "h1", 2, id);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, NULL, 3000), 0);
	json_object_put(t);
	range(e, "/t7/", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.kvs[0].lease, id);
	result_free(&l);

	assert_int_equal(pp_etcd_lease_keepalive(e, id, ka_cb, &r), 0);
	assert_true(run_until(e, &r.done, 3000));
	assert_int_equal(r.err, 0);
	assert_int_equal(r.ttl, 5);

	assert_int_equal(pp_etcd_lease_revoke_sync(e, id, 3000), 0);
	range(e, "/t7/", &l);
	assert_int_equal(l.err, 0);
	assert_int_equal(l.n, 0);
	result_free(&l);
	memset(&r, 0, sizeof(r));
	assert_int_equal(pp_etcd_lease_keepalive(e, id, ka_cb, &r), 0);
	assert_true(run_until(e, &r.done, 3000));
	assert_int_equal(r.err, 0);
	assert_int_equal(r.ttl, 0); /* gone */
	assert_int_equal(pp_etcd_lease_revoke_sync(e, id, 3000), -ENOENT);
	pp_etcd_destroy(e);
}

/* TLS refusals are -EACCES, for sync and asynchronous calls. */
static void tls_refused(const char *ca, const char *cert)
{
	struct pp_etcd *e = client_of(ep, ca, cert);
	json_object *t = pp_etcd_txn_new();
	struct wlog w = { 0 };
	struct result l;
	bool ok;

	pp_etcd_txn_put(t, "/t8/a", "1", 1, 0);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, NULL, 3000), -EACCES);
	json_object_put(t);
	range(e, "/t8/", &l);
	assert_int_equal(l.err, -EACCES);
	result_free(&l);
	assert_int_equal(pp_etcd_watch(e, "/t8/", 0, &wcb, &w), 0);
	assert_true(run_until(e, &w.ended, 3000));
	assert_int_equal(w.err, -EACCES);
	assert_false(w.created);
	printf("# refused (ca %s, cert %s): %s\n", ca, cert ? cert : "none", pp_etcd_strerror(e));
	pp_etcd_destroy(e);
}

static void test_wrong_client_cert(void **state)
{
	(void)state;
	tls_refused("ca", "other");
}

static void test_no_client_cert(void **state)
{
	(void)state;
	tls_refused("ca", NULL);
}

static void test_wrong_server_ca(void **state)
{
	(void)state;
	tls_refused("other-ca", "client");
}

/* Keys and values with NUL and 0xff bytes round-trip (base64). */
static void test_binary(void **state)
{
	static const char key[] = "/t9/\0\xff\x01k", val[] = "\0v\xff\0";
	struct pp_etcd *e = client();
	json_object *t = pp_etcd_txn_new();
	struct result l;
	bool ok;

	(void)state;
	pp_etcd_txn_put_n(t, key, sizeof(key) - 1, val, sizeof(val) - 1, 0);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, NULL, 3000), 0);
	json_object_put(t);
	range(e, "/t9/", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.kvs[0].key_len, sizeof(key) - 1);
	assert_memory_equal(l.kvs[0].key, key, sizeof(key) - 1);
	assert_int_equal(l.kvs[0].value_len, sizeof(val) - 1);
	assert_memory_equal(l.kvs[0].value, val, sizeof(val) - 1);
	result_free(&l);

	/* a prefix ending in 0xff: the range end carries over */
	t = pp_etcd_txn_new();
	pp_etcd_txn_del_n(t, "/t9/\0\xff", 6, true);
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, NULL, 3000), 0);
	json_object_put(t);
	range(e, "/t9/", &l);
	assert_int_equal(l.n, 0);
	result_free(&l);
	pp_etcd_destroy(e);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The round trip of a txn_sync (what an API write waits for). */
static void test_txn_latency(void **state)
{
	struct pp_etcd *e = client();
	int64_t us[100];
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		put_sync(e, "/t10/k", "v");
		clock_gettime(CLOCK_MONOTONIC, &b);
		us[i] = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
	}
	qsort(us, 100, sizeof(us[0]), cmp64);
	printf("# txn_sync round trip: median %lld us, p90 %lld us (100 txns)\n", (long long)us[50],
	       (long long)us[90]);
	pp_etcd_destroy(e);
}

/* etcd stopped (SIGSTOP): the sync calls return -ETIMEDOUT within their bound. */
static void test_sync_timeout(void **state)
{
	struct pp_etcd *e = client();
	json_object *t = pp_etcd_txn_new();
	int64_t t0, id, el;
	bool ok;

	(void)state;
	put_sync(e, "/t11/a", "1"); /* a connection open already */
	assert_int_equal(kill(etcd_pid, SIGSTOP), 0);
	pp_etcd_txn_put(t, "/t11/a", "2", 1, 0);
	t0 = now_ms();
	assert_int_equal(pp_etcd_txn_sync(e, t, &ok, NULL, 500), -ETIMEDOUT);
	el = now_ms() - t0;
	json_object_put(t);
	assert_true(el >= 450 && el < 800);
	pp_etcd_destroy(e);

	e = client(); /* a new connection: TLS never done */
	t0 = now_ms();
	assert_int_equal(pp_etcd_lease_grant_sync(e, 5, &id, 300), -ETIMEDOUT);
	el = now_ms() - t0;
	kill(etcd_pid, SIGCONT);
	assert_true(el >= 250 && el < 600);
	pp_etcd_destroy(e);
}

/* etcd killed under an open watch: end() with an error within 2 s. */
static void test_watch_etcd_killed(void **state)
{
	struct pp_etcd *e = client();
	struct wlog w = { 0 };
	int64_t t0;

	(void)state;
	assert_int_equal(pp_etcd_watch(e, "/t12/", 0, &wcb, &w), 0);
	assert_true(run_until(e, &w.created, 3000));
	assert_int_equal(kill(etcd_pid, SIGKILL), 0);
	t0 = now_ms();
	assert_true(run_until(e, &w.ended, 2000));
	printf("# watch ended %lld ms after etcd was killed: %s (%s)\n", (long long)(now_ms() - t0),
	       strerror(-w.err), pp_etcd_strerror(e));
	assert_true(w.err == -EPIPE || w.err == -ECONNRESET);
	pp_etcd_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_range),
		cmocka_unit_test(test_range_paging),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_txn_compare_fails),
		cmocka_unit_test(test_compacted),
		cmocka_unit_test(test_second_endpoint),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_wrong_client_cert),
		cmocka_unit_test(test_no_client_cert),
		cmocka_unit_test(test_wrong_server_ca),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_txn_latency),
		/* these two stop and kill etcd: last */
		cmocka_unit_test(test_sync_timeout),
		cmocka_unit_test(test_watch_etcd_killed),
	};
	const char *pid = getenv("PPTE_ETCD_PID");

	ep = getenv("PPTE_ENDPOINT");
	certs = getenv("PPTE_CERTS");
	if (!ep || !certs || !pid) {
		fprintf(stderr, "test_etcd: run by tests/unit/test_etcd.sh (PPTE_* unset)\n");
		return 1;
	}
	etcd_pid = atoi(pid);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
