// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The API over HTTP: libmicrohttpd on the Unix socket (and /metrics on TCP),
 * request limits, long polls and scrapes that wait, the loop's descriptors.
 * The only file calling libmicrohttpd (tests/fuzz/mhd-stub.sh stubs it).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <microhttpd.h>
#include "internal.h"
#include "util.h"

struct req {
	char *body;
	size_t len;
	int too_large;
	int responded;
	int suspended;
};

/* The long polls and scrapes waiting: answered at the next MHD_run. */
void api_wake(struct pp_api *a)
{
	for (int i = 0; i < a->nwaiters; i++)
		MHD_resume_connection(a->waiters[i].conn);
	if (a->nwaiters)
		a->resumed = 1;		/* may be inside an MHD callback: run later */
	a->nwaiters = 0;
}

static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return url_unescape(s);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct call *c = cls;

	(void)kind;
	if (c->nargs < ARGS_MAX && key) {
		c->argk[c->nargs] = key;
		c->argv[c->nargs++] = value ? value : "";
	}
	return MHD_YES;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct call *c)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!c->text)
		reply_err(c, 500, "internal", NULL, "no answer");
	r = MHD_create_response_from_buffer(c->text_len, c->text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(c->text);
		return MHD_NO;
	}
	c->text = NULL;
	MHD_add_response_header(r, "Content-Type", c->type);
	ret = MHD_queue_response(conn, c->status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * /metrics on TCP: anyone who reaches the port may scrape, and a scrape
 * costs a lookup per service port per counter on the daemon's one loop, and
 * then the sending of the text (2 MB at 2,000 service ports).  Every scrape
 * there within PP_API_METRICS_SNAP_MS of the last fresh one is served the
 * same response (MHD counts its references): at most one rendering a
 * second; and at most PP_API_METRICS_RATE scrapes a second are served (the
 * others wait for the next second), so a storm costs the loop a bounded
 * share.  The Unix socket's /metrics stays exact and unlimited.
 */
static enum MHD_Result metrics_snapshot(struct pp_api *a, struct MHD_Connection *conn)
{
	double now = mono();

	a->requests++;
	if (!a->msnap || now - a->msnap_t >= PP_API_METRICS_SNAP_MS / 1000.0) {
		char *text = metrics_text(a);
		struct MHD_Response *r = text ? MHD_create_response_from_buffer(strlen(text), text,
							MHD_RESPMEM_MUST_FREE) : NULL;

		if (!r) {
			free(text);
			return MHD_NO;
		}
		MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
		if (a->msnap)
			MHD_destroy_response(a->msnap);	/* freed once no scrape sends it */
		a->msnap = r;
		a->msnap_t = now;
	}
	return MHD_queue_response(conn, 200, a->msnap);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls, int metrics_only)
{
	struct pp_api *a = cls;
	struct req *rq = *con_cls;
	struct call c = { .a = a, .method = method, .url = url, .metrics_only = metrics_only };

	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		/* Refuse an oversized body before reading it. */
		if (cl && strtoull(cl, NULL, 10) > PP_API_BODY_MAX) {
			rq->responded = 1;
			reply_err(&c, 413, "too_large", NULL, "the body (%s bytes) exceeds %d bytes",
				  cl, PP_API_BODY_MAX);
			return send_reply(conn, &c);
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
	rq->responded = 1;
	if (rq->too_large) {
		reply_err(&c, 413, "too_large", NULL, "the body exceeds %d bytes", PP_API_BODY_MAX);
		return send_reply(conn, &c);
	}
	if (metrics_only && !strcmp(url, "/metrics") && !strcmp(method, "GET")) {
		double now = mono();

		if (now - a->mwin_t >= 1.0) {
			a->mwin_t = now;
			a->mwin_n = 0;
		}
		if (a->mwin_n < PP_API_METRICS_RATE)
			return a->mwin_n++, metrics_snapshot(a, conn);
		if (a->nwaiters == WAITERS_MAX) {
			reply_err(&c, 503, "busy", NULL, "too many scrapes: try again");
			return send_reply(conn, &c);
		}
		/* over this second's scrapes: it waits for the next second */
		a->waiters[a->nwaiters].conn = conn;
		a->waiters[a->nwaiters].deadline = a->mwin_t + 1.0;
		a->nwaiters++;
		rq->suspended = 1;
		rq->responded = 0;
		MHD_suspend_connection(conn);
		return MHD_YES;
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &c);
	c.body = rq->body ? rq->body : "";
	c.len = rq->len;
	if (rq->suspended) {	/* a long poll, resumed: answer what there is */
		c.resumed = true;
		serve_events(&c);
	} else {
		c.may_wait = true;
		route(&c);
	}
	if (c.wait) {
		a->waiters[a->nwaiters].conn = conn;
		a->waiters[a->nwaiters].deadline = c.deadline;
		a->nwaiters++;
		rq->suspended = 1;
		rq->responded = 0;
		MHD_suspend_connection(conn);
		return MHD_YES;
	}
	return send_reply(conn, &c);
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

/*
 * The socket's directory, made as pp_mkdir_parent makes it.  Its callers
 * always saw the error of that directory itself: the components above it
 * were tried with their errors ignored, so when pp_mkdir_parent stops at one
 * of them, the directory's own mkdir still decides.
 */
static int socket_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;

	if (!pp_mkdir_parent(path, 0755))
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	return mkdir(dir, 0755) && errno != EEXIST ? -errno : 0;
}

static int unix_listen(const char *path, const char *group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	err = socket_dir(path);
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
				  MHD_OPTION_NOTIFY_COMPLETED, on_done, a,
				  MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, a, MHD_OPTION_END);
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
		/*
		 * At most PP_API_METRICS_CONNS connections at once: at the limit
		 * MHD stops accepting, and the others wait in the listen backlog
		 * (up to the connection timeout of those being served).
		 */
		a->mhd_metrics = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
						  NULL, on_metrics, a, MHD_OPTION_SOCK_ADDR, &sin,
						  MHD_OPTION_CONNECTION_LIMIT,
						  (unsigned)PP_API_METRICS_CONNS,
						  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
						  MHD_OPTION_NOTIFY_COMPLETED, on_done, a,
						  MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, a,
						  MHD_OPTION_END);
		if (!a->mhd_metrics)
			return -EADDRINUSE;
	}
	a->ep = epoll_create1(EPOLL_CLOEXEC);
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->ep < 0 || a->tfd < 0)
		return -errno;
	for (int i = 0; i < 3; i++) {
		struct MHD_Daemon *m = i == 1 ? a->mhd : a->mhd_metrics;
		const union MHD_DaemonInfo *info = i && m ? MHD_get_daemon_info(m,
							MHD_DAEMON_INFO_EPOLL_FD) : NULL;
		struct epoll_event ev = { .events = EPOLLIN };

		ev.data.fd = i ? (info ? info->epoll_fd : -1) : a->tfd;
		if (ev.data.fd >= 0 && epoll_ctl(a->ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	return cluster_listen(a);
}

/* Stop serving: the MHD daemons, the loop's descriptors, the socket. */
void api_http_stop(struct pp_api *a)
{
	if (a->mhd)
		MHD_stop_daemon(a->mhd);
	if (a->mhd_metrics)
		MHD_stop_daemon(a->mhd_metrics);
	if (a->msnap)
		MHD_destroy_response(a->msnap);
	if (a->ep >= 0)
		close(a->ep);
	if (a->tfd >= 0)
		close(a->tfd);
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		unlink(a->o.socket_path);
	}
}

int pp_api_fds(struct pp_api *a, int *fds, int n)
{
	if (a->ep < 0 || n < 1)
		return 0;
	fds[0] = a->ep;
	return 1;
}

int pp_api_timeout_ms(struct pp_api *a)
{
	MHD_UNSIGNED_LONG_LONG t;
	long best = -1;
	double now = mono();
	struct itimerspec its = {};

	if (a->resumed) {
		best = 0;
		goto arm;
	}
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
	if (a->cl) {
		long t = cluster_timeout_ms(a);

		if (t >= 0 && (best < 0 || t < best))
			best = t;
	}
	if (best > 60000)
		best = 60000;
arm:
	if (a->tfd >= 0) {
		if (best >= 0) {	/* 0 would disarm it: 1 ns is "now" */
			its.it_value.tv_sec = best / 1000;
			its.it_value.tv_nsec = (best % 1000) * 1000000 + !best;
		}
		timerfd_settime(a->tfd, 0, &its, NULL);
	}
	return (int)best;
}

void pp_api_run(struct pp_api *a)
{
	double now = mono();
	__u64 exp;

	if (a->tfd >= 0 && read(a->tfd, &exp, sizeof(exp)) < 0) {
		/* not expired yet: nothing to read */
	}
	cluster_run(a);		/* the store: its answers, its changes */

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
	 * Likewise a daemon at its connection limit: MHD takes its listening
	 * socket out of its epoll set, frees a closed connection at the end of
	 * one MHD_run and puts the socket back at the start of the next, so a
	 * connection waiting in the backlog needs that second run (an empty
	 * epoll_wait when there is nothing).
	 */
	for (int pass = 0; pass < (a->resumed ? 3 : 2); pass++) {
		if (a->mhd)
			MHD_run(a->mhd);
		if (a->mhd_metrics)
			MHD_run(a->mhd_metrics);
	}
	a->resumed = 0;
}
