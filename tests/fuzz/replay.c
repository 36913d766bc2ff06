// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libFuzzer's main for make test: feed every file of the given directories
 * (the seed corpus and the crashes of one target) to LLVMFuzzerTestOneInput
 * once, in name order, and say "PASS fuzz/<target>: ..." or which file
 * crashed.  Linked with one fuzz_<target>.c, built like every other test.
 *
 *   replay-<target> TARGET DIR-or-FILE...
 * In a directory, names starting with '.' and README files are not inputs.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fuzz.h"

#define REPLAY_TIMEOUT_S	60	/* one input; libFuzzer's -timeout is 25 */

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static char failmsg[1024];
static size_t failmsg_at;	/* where the file name goes */

/* A crash or a hang on the current input: name it, then go (async-signal-safe). */
static void on_fatal(int sig)
{
	static const char *const what[] = { [SIGABRT] = "aborted", [SIGSEGV] = "crashed (SIGSEGV)",
					    [SIGBUS] = "crashed (SIGBUS)", [SIGFPE] = "crashed (SIGFPE)",
					    [SIGILL] = "crashed (SIGILL)",
					    [SIGALRM] = "took too long" };
	(void)!write(STDOUT_FILENO, failmsg, strlen(failmsg));
	(void)!write(STDOUT_FILENO, what[sig], strlen(what[sig]));
	if (fuzz_why[0]) {	/* its first line */
		size_t n = 0;

		while (n < 200 && fuzz_why[n] && fuzz_why[n] != '\n')
			n++;
		(void)!write(STDOUT_FILENO, ": ", 2);
		(void)!write(STDOUT_FILENO, fuzz_why, n);
	}
	(void)!write(STDOUT_FILENO, "\n", 1);
	_exit(1);
}

static int is_input(const struct dirent *d)
{
	return d->d_name[0] != '.' && strncmp(d->d_name, "README", 6);
}

/* Feed the file at path to the target once. */
static void replay_file(const char *target, const char *path, const struct stat *st)
{
	uint8_t *buf = malloc(st->st_size ? st->st_size : 1);
	FILE *f = fopen(path, "rb");

	if (!buf || !f || fread(buf, 1, st->st_size, f) != (size_t)st->st_size) {
		printf("FAIL fuzz/%s: cannot read %s\n", target, path);
		exit(1);
	}
	fclose(f);
	snprintf(failmsg + failmsg_at, sizeof(failmsg) - failmsg_at, "%s: ", path);
	alarm(REPLAY_TIMEOUT_S);
	LLVMFuzzerTestOneInput(buf, st->st_size);
	alarm(0);
	free(buf);
}

/* Replay a file, or every input of a directory.  Returns how many, or -1 if it cannot be read. */
static int replay_path(const char *target, const char *dir)
{
	struct dirent **names;
	struct stat st;
	int n, count = 0;

	if (stat(dir, &st))
		return errno == ENOENT ? 0 : -1;
	if (S_ISREG(st.st_mode)) {
		replay_file(target, dir, &st);
		return 1;
	}
	n = scandir(dir, &names, is_input, alphasort);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		replay_file(target, path, &st);
		count++;
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGALRM };
	const char *target;
	char counts[1024] = "";
	int total = 0, w = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s TARGET DIR-or-FILE...\n", argv[0]);
		return 2;
	}
	target = argv[1];
	failmsg_at = snprintf(failmsg, sizeof(failmsg), "FAIL fuzz/%s: ", target);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_fatal);
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 2; i < argc; i++) {
		int n = replay_path(target, argv[i]);

		if (n < 0) {
			printf("FAIL fuzz/%s: cannot read %s: %s\n", target, argv[i], strerror(errno));
			return 1;
		}
		total += n;
		w += snprintf(counts + w, sizeof(counts) - w, "%s%s %d", i > 2 ? ", " : "",
			      argv[i], n);
		if (w >= (int)sizeof(counts))
			w = sizeof(counts) - 1;
	}
	if (!total) {
		printf("FAIL fuzz/%s: no input to replay (%s)\n", target, counts);
		return 1;
	}
	printf("PASS fuzz/%s: %d files replayed (%s)\n", target, total, counts);
	return 0;
}
