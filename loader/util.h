/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Small helpers the daemon, the CLI and the loader each needed: one copy,
 * header-only so that every binary (and every fuzz build) has it without
 * another object to link.
 */
#ifndef PP_UTIL_H
#define PP_UTIL_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* mkdir -p path (every component, mode for those created).  0 or -errno. */
static inline int pp_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* mkdir -p of path's directory (path up to its last '/').  0 or -errno. */
static inline int pp_mkdir_parent(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *slash;
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = 0;
	return pp_mkdir_p(buf, mode);
}

/* The value of one hex digit, -1 if c is none. */
static inline int pp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A decimal unsigned integer in [min, max], the whole string.  0 or -EINVAL. */
static inline int pp_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* printf into buf (len bytes, truncated), if there is a buf: the reasons shown to operators. */
static inline void pp_say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void pp_say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/*
 * Make room for element n of array a, whose capacity is cap: doubled, from
 * first when empty.  Evaluates to 0, or -ENOMEM with a and cap as they were.
 */
#define PP_GROW(a, n, cap, first)                                            \
	({                                                                   \
		int _r = 0;                                                  \
		if ((n) >= (cap)) {                                          \
			__typeof__(cap) _c = (cap) ? (cap)*2 : (first);      \
			__typeof__(a) _na = realloc((a), _c * sizeof(*(a))); \
			if (_na) {                                           \
				(a) = _na;                                   \
				(cap) = _c;                                  \
			} else {                                             \
				_r = -ENOMEM;                                \
			}                                                    \
		}                                                            \
		_r;                                                          \
	})

/* The same for array a and its twin array b (one n, one capacity): cap
 * grows once both have. */
#define PP_GROW2(a, b, n, cap, first)                                               \
	({                                                                          \
		__typeof__(cap) _cap_a = (cap);                                     \
		PP_GROW(a, n, _cap_a, first) ? -ENOMEM : PP_GROW(b, n, cap, first); \
	})

#endif /* PP_UTIL_H */
