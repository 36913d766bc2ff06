/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What the fuzz targets of tests/fuzz/ share.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerTestOneInput() (and, when it needs
 * one-time setup, LLVMFuzzerInitialize()) and is linked two ways:
 * - make fuzz: with libFuzzer, ASan and UBSan (clang -fsanitize=fuzzer,
 *   address,undefined), run for FUZZ_S seconds (tests/fuzz/fuzz.sh);
 * - make test: with replay.c instead of libFuzzer's main, built like every
 *   other test, feeding each file of the seed corpus (corpus/<target>/) and
 *   of the crashes found (crashes/<target>/) once (tests/fuzz/replay.sh).
 * A finding is a crash: a sanitizer's report, or FUZZ_CHECK() failing where
 * a target's own oracle disagrees with what the code did.
 */
#ifndef PP_FUZZ_H
#define PP_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* What the last failed check said (replay.c names it beside the input). */
__attribute__((weak)) char fuzz_why[512];

static inline void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

static inline void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fuzz_why, sizeof(fuzz_why), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "fuzz: %s:%d: %s: %s\n", file, line, cond, fuzz_why);
	abort();
}

/* An oracle's finding: say what, then crash so that libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)							\
	do {									\
		if (!(cond))							\
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);	\
	} while (0)

/*
 * Features libFuzzer cannot see by itself: what a BPF program did (it runs in
 * the kernel, out of reach of the coverage instrumentation).  Each target
 * declares one FUZZ_FEATURES array and counts outcomes into it; libFuzzer
 * keeps an input that reaches a new one.  Without libFuzzer (the replay) the
 * array is only written.
 */
#define FUZZ_FEATURES(name, n)							\
	static uint8_t name[n] __attribute__((used, section("__libfuzzer_extra_counters")))
#define FUZZ_FEATURE(name, i)							\
	do {									\
		size_t i_ = (size_t)(i) % sizeof(name);				\
		if (name[i_] < 255)						\
			name[i_]++;						\
	} while (0)

#endif /* PP_FUZZ_H */
