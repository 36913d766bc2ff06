/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The northbound API: REST/JSON over HTTP/1.1 on a Unix socket (and
 * optionally /metrics on TCP), served by polyportd's own event loop.
 *
 *   /v1/networks[/NAME]            GET POST PUT PATCH DELETE
 *   /v1/instance-ports[/NAME]      GET POST PUT PATCH DELETE
 *   /v1/service-ports[/NAME]       GET POST PUT PATCH DELETE
 *   /v1/service-ports/NAME/bind/SERVICE   PUT DELETE
 *   /v1/events?since=SEQ&timeout=S        GET (long poll)
 *   /v1/status, /v1/stats                 GET
 *   /v1/state-file                        GET, DELETE (discard what was kept)
 *   /metrics                              GET (Prometheus text)
 *
 * Objects created through the API are validated together with the binding
 * files, exactly as the files are (all-or-nothing), persisted atomically in
 * the state directory, and survive restarts.  File-defined objects are
 * read-only here.
 *
 * A damaged state file (not JSON, the wrong shape, or objects that do not
 * validate with the binding files while the files alone do) never stops
 * the daemon: it is moved aside as api.json.bad-<UTC time>, and the objects
 * it held stay in the dataplane as they are pinned ("kept": named in
 * pp_names, not in the configuration), read-only, DEGRADED, until the file
 * is restored (then SIGHUP) or DELETE /v1/state-file lets them go.  New
 * objects may not take their names, classifier entries, MACs or devices.
 */
#ifndef PP_API_H
#define PP_API_H

#include <stddef.h>
#include "config.h"
#include "daemon.h"

#define PP_API_SOCKET_DEFAULT	"/run/polyport/api.sock"
#define PP_API_BODY_MAX		(64 * 1024)
#define PP_API_SOURCE_NAME	"api"
/* The router holds a path of up to this many bytes whole; longer: 414. */
#define PP_API_URL_MAX		512
/* /metrics on TCP: connections served at once (more wait in the backlog),
 * the age of the snapshot every scrape there is served from, and the
 * scrapes served a second (more wait for the next second). */
#define PP_API_METRICS_CONNS	16
#define PP_API_METRICS_SNAP_MS	1000
#define PP_API_METRICS_RATE	16

struct pp_api;

struct pp_api_opts {
	const char *socket_path;	/* Unix socket, mode 0660 */
	const char *group;		/* optional group owning the socket */
	const char *metrics_listen;	/* optional ADDR:PORT for /metrics */
	const char *state_dir;		/* api.json lives here */
	const char *config_dir;		/* the binding files */
	/* cluster mode (issue 19): store "etcd=URL[,URL]", or NULL */
	const char *store;
	const char *host;		/* this host's name in the store */
	const char *etcd_ca, *etcd_cert, *etcd_key, *etcd_prefix;
	long lease_ttl;			/* s; 0: 10 */
	/* this host's VTEP (polyportd --vtep ADDR, issue 20), published in its
	 * record hosts/<host>; NULL: none */
	const char *vtep;
	/* reload the configuration (the daemon's, as SIGHUP does): the store changed */
	void (*reload)(void *arg, const char *why);
	void *reload_arg;
};

/* Load the persisted API objects (no server yet).  Returns 0 or -errno. */
int pp_api_create(struct pp_api **out, struct pp_daemon *d, const struct pp_api_opts *o);
/* Start serving.  Returns 0 or -errno. */
int pp_api_listen(struct pp_api *a);
void pp_api_destroy(struct pp_api *a);

/* The API objects as one more binding source (valid until the next change). */
void pp_api_source(struct pp_api *a, struct pp_config_source *src);

/* File descriptors to watch for input (returns how many, at most n). */
int pp_api_fds(struct pp_api *a, int *fds, int n);
/* Milliseconds until pp_api_run must run again (-1: no deadline). */
int pp_api_timeout_ms(struct pp_api *a);
/* Serve what is ready. */
void pp_api_run(struct pp_api *a);
/* After a reconcile: turn status changes into events and wake waiters. */
void pp_api_notify(struct pp_api *a);
/* Record an event (that the configuration was (re)loaded, ...); returns it
 * (the ring owns it) for the caller to add its own keys. */
struct json_object *pp_api_event(struct pp_api *a, const char *kind, const char *name,
				 const char *change, const char *status, const char *reason);

/*
 * Load files + API objects as one configuration (what every reload uses).
 * While the state file is damaged it also looks whether api.json was
 * restored (SIGHUP), and checks the configuration against what is kept.
 */
int pp_api_load_config(struct pp_api *a, struct pp_config **out, struct pp_errors *errs);

/* An answer of pp_api_request. */
struct pp_api_response {
	unsigned status;		/* HTTP status */
	const char *content_type;	/* static */
	char *body;			/* malloc'd, NUL-terminated (free it) */
	size_t len;
};

/*
 * One request through the API's request path without HTTP (no
 * libmicrohttpd): method, URL as on the wire (the path %-escaped, optionally
 * "?query") and body, answered as the Unix socket answers it; a long poll
 * answers at once.  Returns 0 and fills *r, or -ENOMEM.
 */
int pp_api_request(struct pp_api *a, const char *method, const char *url, const char *body,
		   size_t len, struct pp_api_response *r);

#endif /* PP_API_H */
