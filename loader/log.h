/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Logging: pr_warn / pr_info / pr_debug, to stderr or syslog. */
#ifndef PP_LOG_H
#define PP_LOG_H

#include <stdarg.h>

enum pp_log_level { PP_LOG_WARN, PP_LOG_INFO, PP_LOG_DEBUG };

extern int pp_log_verbosity;	/* messages up to this level are printed */
extern int pp_log_syslog;	/* 1: syslog, 0: stderr with a timestamp */

void pp_log(enum pp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...)	pp_log(PP_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	pp_log(PP_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	pp_log(PP_LOG_DEBUG, __VA_ARGS__)

/* Tests only: die by SIGKILL here when PP_CRASH_AT names this point (log.c). */
void pp_crash_point(const char *point);

#endif
