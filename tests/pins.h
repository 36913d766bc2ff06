/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Removing a test's private pin root (/sys/fs/bpf/pp-*-<pid>): every map's
 * pin, the layouts record beside them, then the directory; and a cmocka
 * fixture's report of opening the maps there.  Shared by the tests that
 * load the maps under one (tests/unit/, tests/bpf/progs.h).
 */
#ifndef PP_TEST_PINS_H
#define PP_TEST_PINS_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "maps.h"
#include "layout.h"

static inline void pins_remove(const char *pin_root)
{
	char path[512];

	for (int i = 0; i <= PPM_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_root,
			 i < PPM_COUNT ? pp_map_desc[i].name : PP_LAYOUTS_PIN);
		unlink(path);
	}
	rmdir(pin_root);
}

/* A fixture that opened the maps under a pin root: err of the call named what, said. */
static inline int pins_opened(const char *what, int err)
{
	if (!err)
		return 0;
	fprintf(stderr, "%s: %s\n", what, strerror(-err));
	return -1;
}

#endif /* PP_TEST_PINS_H */
