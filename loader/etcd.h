/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * A small etcd v3 client over etcd's JSON gateway (/v3/kv/range, /v3/kv/txn,
 * /v3/watch, /v3/lease/...): libcurl multi + json-c, single-threaded.  It
 * knows nothing of polyport: keys and values are byte strings.
 *
 * The client owns an epoll fd (curl's sockets and a timerfd for curl's
 * timeout): when it is readable the caller calls pp_etcd_run(), which drives
 * the transfers and calls the callbacks (never from inside the calls that
 * start a request).  The *_sync calls block the caller up to their timeout on
 * a handle of their own.
 *
 * Errors are -errno: -ECONNREFUSED/-EHOSTUNREACH/-ETIMEDOUT for transport
 * (the endpoints are then tried in turn), -EACCES for a TLS failure (wrong
 * CA, refused client certificate), -ESTALE for a compacted revision, -ENOENT
 * for an unknown lease, -EINVAL for a request etcd refuses (too many
 * operations in a txn), -EPROTO for an answer that is not what the gateway
 * sends.  pp_etcd_strerror() says more about the last one, for logs.
 * PP_ETCD_VERBOSE set in the environment: curl's trace of every transfer on
 * stderr (debugging).
 */
#ifndef PP_ETCD_H
#define PP_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct pp_etcd;

struct pp_etcd_opts {
	const char *endpoints; /* comma-separated URLs: https://10.0.0.1:2379,... */
	const char *ca, *cert, *key; /* PEM files; NULL: system CAs, no client cert */
	long connect_timeout_ms; /* TCP + TLS handshakes; 0: 2000 */
	long request_timeout_ms; /* of ranges, txns, keepalives (not watches); 0: 5000 */
};

int pp_etcd_create(struct pp_etcd **out, const struct pp_etcd_opts *o);
/* Pending requests are dropped without their callbacks being called. */
void pp_etcd_destroy(struct pp_etcd *e);
int pp_etcd_fd(struct pp_etcd *e); /* readable: call pp_etcd_run */
void pp_etcd_run(struct pp_etcd *e); /* drive transfers, call callbacks */
int pp_etcd_timeout_ms(struct pp_etcd *e); /* curl's next timeout (the fd covers it); -1 none */
const char *pp_etcd_strerror(struct pp_etcd *e); /* the last transport/TLS/etcd error */

/* key/value are NUL-terminated too (the NUL not counted), may hold NULs. */
struct pp_etcd_kv {
	char *key;
	char *value;
	size_t key_len, value_len;
	int64_t mod_revision, create_revision, lease;
};

/* List a prefix ("" : everything), paged internally (1000 keys a page, every
 * page at the revision of the first): all kvs in key order, header revision.
 * kvs are valid during the callback only. */
typedef void (*pp_etcd_range_cb)(void *arg, int err, int64_t rev, const struct pp_etcd_kv *kvs,
				 size_t n);
int pp_etcd_range_prefix(struct pp_etcd *e, const char *prefix, pp_etcd_range_cb cb, void *arg);

/*
 * One watch stream at a time over prefix from start_rev: created() once the
 * stream is established (rev: the store's revision then), event() for each
 * event of a message then batch_end(), end(err) once: -ESTALE the revision is
 * compacted (compact_rev set), -EPIPE/-ECONNRESET/-ETIMEDOUT the stream broke,
 * -ECANCELED cancelled (from pp_etcd_watch_cancel), or a connect/TLS error.
 * A watch stream is never retried here: the caller lists again.
 */
struct pp_etcd_watch_cb {
	void (*created)(void *arg, int64_t rev);
	void (*event)(void *arg, bool del, const struct pp_etcd_kv *kv, int64_t rev);
	void (*batch_end)(void *arg, int64_t rev); /* after each message's events */
	void (*end)(void *arg, int err, int64_t compact_rev);
};
/* -EBUSY: a watch is open. */
int pp_etcd_watch(struct pp_etcd *e, const char *prefix, int64_t start_rev,
		  const struct pp_etcd_watch_cb *cb, void *arg);
/* Calls end(-ECANCELED) now if a watch is open. */
void pp_etcd_watch_cancel(struct pp_etcd *e);

/* The txn builder: compares, then the operations done if they all hold. */
json_object *pp_etcd_txn_new(void);
void pp_etcd_txn_cmp_mod(json_object *t, const char *key, const char *op /* "<" "=" ">" "!=" */,
			 int64_t rev);
void pp_etcd_txn_cmp_value(json_object *t, const char *key, const char *op, const char *val,
			   size_t len);
void pp_etcd_txn_put(json_object *t, const char *key, const char *val, size_t len, int64_t lease);
void pp_etcd_txn_del(json_object *t, const char *key, bool prefix);
/* The same with keys of key_len bytes (may hold NULs). */
void pp_etcd_txn_put_n(json_object *t, const char *key, size_t key_len, const char *val, size_t len,
		       int64_t lease);
void pp_etcd_txn_del_n(json_object *t, const char *key, size_t key_len, bool prefix);

/* rev: the store's revision after the txn (the revision of its writes if it
 * wrote). */
typedef void (*pp_etcd_txn_cb)(void *arg, int err, bool succeeded, int64_t rev);
int pp_etcd_txn(struct pp_etcd *e, json_object *t /* taken */, pp_etcd_txn_cb cb, void *arg);

/* Blocking, bounded by timeout_ms (over every endpoint tried); t is not taken. */
int pp_etcd_txn_sync(struct pp_etcd *e, json_object *t, bool *succeeded, int64_t *rev,
		     long timeout_ms);
int pp_etcd_lease_grant_sync(struct pp_etcd *e, long ttl_s, int64_t *id, long timeout_ms);
int pp_etcd_lease_revoke_sync(struct pp_etcd *e, int64_t id, long timeout_ms);
/* Compact the store's history up to rev (tests, maintenance). */
int pp_etcd_compact_sync(struct pp_etcd *e, int64_t rev, long timeout_ms);

/* One keepalive of lease id (call it every ttl/3): cb(0, ttl) with the
 * lease's new TTL, ttl 0: the lease is gone (expired or revoked). */
typedef void (*pp_etcd_keepalive_cb)(void *arg, int err, long ttl);
int pp_etcd_lease_keepalive(struct pp_etcd *e, int64_t id, pp_etcd_keepalive_cb cb, void *arg);

#endif
