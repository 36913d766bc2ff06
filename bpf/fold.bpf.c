// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The counter fold of an upgrade (loader/upgrade.c): add what an old
 * per-CPU map counted into the new map, which the new programs are counting
 * into at the same time.
 *
 * Run by BPF_PROG_TEST_RUN, once per old (entry, CPU).  It adds into the
 * slot of the CPU it runs on: the dataplane's programs increment that slot
 * without atomics, but with bottom halves off, so they never run in the
 * middle of this program's atomic adds on the same CPU, nor this program in
 * the middle of theirs.  The (map, old CPU, key) it folds is recorded in
 * pp_fold_done in the same run, and a run whose record exists adds
 * nothing: a loader killed at any moment folds each entry exactly once.
 *
 * The loader points dst and done at the real maps (bpf_map__reuse_fd) and
 * sets nwords, the new map's value in __u64 words, before loading.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "polyport.h"

const volatile __u32 nwords = 1;

/* The entry and what to add: written by the loader before each run. */
__u8 key[PP_FOLD_KEY_LEN];
struct pp_fold_key done_key;
__u64 add[PP_FOLD_WORDS];

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, struct pp_fold_key);
	__type(value, __u32);
} done SEC(".maps");

/*
 * 0: added; 1: added before (nothing done); 2: the new map has no such
 * entry; 3: pp_fold_done is full (nothing done).
 */
SEC("tc")
int pp_fold(struct __sk_buff *ctx)
{
	__u32 one = 1, i;
	__u64 *v;
	long err;

	(void)ctx;
	v = bpf_map_lookup_elem(&dst, key);
	if (!v)
		return 2;
	err = bpf_map_update_elem(&done, &done_key, &one, BPF_NOEXIST);
	if (err == -17)		/* -EEXIST */
		return 1;
	if (err)
		return 3;
	for (i = 0; i < PP_FOLD_WORDS && i < nwords; i++)
		if (add[i])
			__sync_fetch_and_add(&v[i], add[i]);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
