/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The attach mode of an instance port: what is configured (auto, tc, xdp)
 * and what is in force (tc, xdp, or none), one type from the binding file
 * to the status, the API and the CLI.
 */
#ifndef PP_MODE_H
#define PP_MODE_H

#include <string.h>

enum pp_mode {
	PP_MODE_NONE = -1,	/* in force: no program attached */
	PP_MODE_AUTO = 0,	/* XDP where it is safe, else TC */
	PP_MODE_TC,
	PP_MODE_XDP,
};

/* "auto", "tc", "xdp"; "-" for none (a status's effective mode). */
static inline const char *pp_mode_name(enum pp_mode mode)
{
	switch (mode) {
	case PP_MODE_AUTO:
		return "auto";
	case PP_MODE_TC:
		return "tc";
	case PP_MODE_XDP:
		return "xdp";
	case PP_MODE_NONE:
		break;
	}
	return "-";
}

/* The mode named s, or PP_MODE_NONE. */
static inline enum pp_mode pp_mode_parse(const char *s)
{
	return !strcmp(s, "auto") ? PP_MODE_AUTO : !strcmp(s, "tc") ? PP_MODE_TC :
	       !strcmp(s, "xdp") ? PP_MODE_XDP : PP_MODE_NONE;
}

#endif /* PP_MODE_H */
