// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <stdio.h>
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
