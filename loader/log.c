// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "log.h"

int pp_log_verbosity = PP_LOG_INFO;
int pp_log_syslog;

void pp_log(enum pp_log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	if ((int)level > pp_log_verbosity)
		return;
	va_start(ap, fmt);
	if (pp_log_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else {
		struct timespec ts;
		struct tm tm;
		char buf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld ", buf, ts.tv_nsec / 1000000);
		vfprintf(stderr, fmt, ap);
	}
	va_end(ap);
}

/*
 * Tests only: PP_CRASH_AT=POINT[:N] kills the daemon with SIGKILL the Nth
 * time (default 1) it passes the named point (reconcile.c, upgrade.c name
 * theirs).  Unset: nothing happens.
 */
void pp_crash_point(const char *point)
{
	static const char *at;
	static size_t len;
	static long left = -1;		/* -1: PP_CRASH_AT not read yet */

	if (left < 0) {
		const char *n;

		at = getenv("PP_CRASH_AT");
		n = at ? strchr(at, ':') : NULL;
		len = at ? (n ? (size_t)(n - at) : strlen(at)) : 0;
		left = !at || !*at ? 0 : n ? strtol(n + 1, NULL, 10) : 1;
		if (left < 0)
			left = 0;
	}
	if (left > 0 && strlen(point) == len && !strncmp(point, at, len) && !--left)
		raise(SIGKILL);
}
