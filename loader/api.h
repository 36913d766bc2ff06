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
 *   /metrics                              GET (Prometheus text)
 *
 * Objects created through the API are validated together with the binding
 * files, exactly as the files are (all-or-nothing), persisted atomically in
 * the state directory, and survive restarts.  File-defined objects are
 * read-only here.
 */
#ifndef PP_API_H
#define PP_API_H

#include <stddef.h>
#include "config.h"
#include "reconcile.h"

#define PP_API_SOCKET_DEFAULT	"/run/polyport/api.sock"
#define PP_API_BODY_MAX		(64 * 1024)
#define PP_API_SOURCE_NAME	"api"

struct pp_api;

struct pp_api_opts {
	const char *socket_path;	/* Unix socket, mode 0660 */
	const char *group;		/* optional group owning the socket */
	const char *metrics_listen;	/* optional ADDR:PORT for /metrics */
	const char *state_dir;		/* api.json lives here */
	const char *config_dir;		/* the binding files */
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
/* Record that the configuration was (re)loaded, for events. */
void pp_api_event(struct pp_api *a, const char *kind, const char *name, const char *change,
		  const char *status, const char *reason);

/* Load files + API objects as one configuration (what every reload uses). */
int pp_api_load_config(struct pp_api *a, struct pp_config **out, struct pp_errors *errs);

#endif /* PP_API_H */
