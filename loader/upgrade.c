// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Hot upgrade: layout migrations under traffic, journaled (see upgrade.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "upgrade.h"
#include "layout.h"
#include "log.h"
#include "util.h"
#include "xdpmode.h"
#include "tap.skel.h"
#include "fold.skel.h"

#define JOURNAL		"journal"
#define JOURNAL_NEW	"journal-new"	/* bpffs names take no dot */
#define FOLD_DONE	"pp_fold_done"	/* forward: old -> next/ */
#define FOLD_BACK	"pp_fold_back"	/* rolling back: next/ -> old */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * PP_CRASH_AT=POINT[:N] (as in loader/reconcile.c): SIGKILL ourselves the
 * Nth time POINT is reached, so that tests/e2e/upgrade.sh can stop an
 * upgrade at each journaled step.  The points: upgrade-prepare,
 * upgrade-swap, upgrade-hook (after each swapped hook), upgrade-fold,
 * upgrade-folded (after each folded entry), upgrade-rename, upgrade-back.
 */

/* pin_root/NAME, pin_root/next/NAME, or (name NULL) pin_root/next */
static void path_of(char *buf, size_t len, const char *root, bool next, const char *name)
{
	if (!name)
		snprintf(buf, len, "%s/" PP_NEXT_DIR, root);
	else
		snprintf(buf, len, "%s%s/%s", root, next ? "/" PP_NEXT_DIR : "", name);
}

/* ---- layouts: this binary's, and the pinned maps' ------------------------------- */

/* This binary's layout of every map, from a freshly opened object's BTF. */
static int layouts_want(struct pp_layout want[PPM_COUNT])
{
	struct tap_bpf *o = tap_bpf__open();
	int err = 0;

	if (!o)
		return -errno;
	for (int i = 0; i < PPM_COUNT && !err; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(o->obj, pp_map_desc[i].name);

		err = map ? pp_layout_of(o->obj, map, i, &want[i]) : -ENOENT;
	}
	tap_bpf__destroy(o);
	return err;
}

/*
 * The layout of the map pinned at path: its record in pp_layouts (lfd) if
 * there is one that agrees with the map, else what the kernel says (type
 * and sizes, hash 0: "unrecorded").  -ENOENT if nothing is pinned there.
 */
static int pinned_layout(const char *path, int lfd, enum pp_map_id id, struct pp_layout *out,
			 bool *recorded)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct pp_layout rec;
	int fd = bpf_obj_get(path), err = 0;

	*recorded = false;
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", pp_map_desc[id].name);
	out->type = info.type;
	out->key_size = info.key_size;
	out->value_size = info.value_size;
	if (lfd >= 0 && !pp_layout_get(lfd, id, &rec) && rec.type == info.type &&
	    rec.key_size == info.key_size && rec.value_size == info.value_size) {
		*out = rec;
		*recorded = true;
	}
	return 0;
}

/* Is the pinned layout *p this binary's (*w)?  Without a record: by its sizes. */
static bool layout_ours(const struct pp_layout *p, bool recorded, const struct pp_layout *w)
{
	if (recorded)
		return pp_layout_same(p, w);
	return p->type == w->type && p->key_size == w->key_size && p->value_size == w->value_size;
}

/* ---- the journal: PIN_ROOT/next/journal -> "step=S name=hash.rev.type.ks.vs ..." -- */

struct journal {
	char step[16];
	unsigned long long mask;
	struct pp_layout to[PPM_COUNT];	/* the layouts of the maps under next/ */
};

/*
 * The journal says step is next; once it is written, the crash point
 * upgrade-STEP (the upgrade tests kill the daemon there and restart it).
 */
static int journal_write(const char *root, const char *step, unsigned long long mask,
			 const struct pp_layout *to)
{
	char text[2048], p[PATH_MAX], q[PATH_MAX], point[32];
	size_t n = snprintf(text, sizeof(text), "step=%s", step);

	for (int i = 0; i < PPM_COUNT; i++)
		if (mask & 1ull << i)
			n += snprintf(text + n, sizeof(text) - n, " %s=%016llx.%u.%u.%u.%u",
				      pp_map_desc[i].name, (unsigned long long)to[i].hash, to[i].rev,
				      to[i].type, to[i].key_size, to[i].value_size);
	if (n >= sizeof(text))
		return -E2BIG;
	path_of(p, sizeof(p), root, true, JOURNAL_NEW);
	path_of(q, sizeof(q), root, true, JOURNAL);
	unlink(p);
	/* bpffs keeps the step across a crash of the process (not a reboot: nor the pins) */
	if (symlink(text, p) || rename(p, q))
		return -errno;
	pr_debug("upgrade: journal: %s\n", text);
	snprintf(point, sizeof(point), "upgrade-%s", step);
	pp_crash_point(point);
	return 0;
}

static int journal_read(const char *root, struct journal *j)
{
	char text[2048], p[PATH_MAX], *save = NULL;
	ssize_t n;

	memset(j, 0, sizeof(*j));
	path_of(p, sizeof(p), root, true, JOURNAL);
	n = readlink(p, text, sizeof(text) - 1);
	if (n < 0)
		return -errno;
	text[n] = 0;
	for (char *t = strtok_r(text, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		unsigned long long h;
		unsigned rev, type, ks, vs;

		if (!eq)
			return -EINVAL;
		*eq++ = 0;
		if (!strcmp(t, "step")) {
			snprintf(j->step, sizeof(j->step), "%s", eq);
			continue;
		}
		if (sscanf(eq, "%llx.%u.%u.%u.%u", &h, &rev, &type, &ks, &vs) != 5)
			return -EINVAL;
		for (int i = 0; i < PPM_COUNT; i++) {
			if (strcmp(t, pp_map_desc[i].name))
				continue;
			j->mask |= 1ull << i;
			snprintf(j->to[i].name, sizeof(j->to[i].name), "%s", t);
			j->to[i].hash = h;
			j->to[i].rev = rev;
			j->to[i].type = type;
			j->to[i].key_size = ks;
			j->to[i].value_size = vs;
		}
	}
	return j->step[0] ? 0 : -EINVAL;
}

/* Remove everything under next/, then next/ itself. */
static int next_remove(const char *root)
{
	char dir[PATH_MAX], p[PATH_MAX + 256];
	struct dirent *e;
	DIR *d;
	int err = 0;

	path_of(dir, sizeof(dir), root, true, NULL);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* the journal goes last: until then a crash finds it and finishes this */
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, JOURNAL))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) && errno != ENOENT)
			err = -errno;
	}
	closedir(d);
	snprintf(p, sizeof(p), "%s/%s", dir, JOURNAL);
	if (!err && unlink(p) && errno != ENOENT)
		err = -errno;
	if (!err && rmdir(dir) && errno != ENOENT)
		err = -errno;
	return err;
}

/* ---- reading any map, whatever its layout ------------------------------------------- */

struct raw_map {
	int fd;
	__u32 type, ks, vs, max;
	size_t stride;		/* bytes of one key's value as bpf() hands it over */
	int ncpus;		/* 1 unless per-CPU */
};

static int raw_open(int fd, struct raw_map *m)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	m->fd = fd;
	m->type = info.type;
	m->ks = info.key_size;
	m->vs = info.value_size;
	m->max = info.max_entries;
	m->ncpus = 1;
	m->stride = info.value_size;
	if (m->type == BPF_MAP_TYPE_PERCPU_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_HASH ||
	    m->type == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
		m->ncpus = libbpf_num_possible_cpus();
		if (m->ncpus <= 0)
			return -EINVAL;
		m->stride = (size_t)((m->vs + 7) / 8 * 8) * m->ncpus;
	}
	return 0;
}

static bool is_array(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

typedef int (*raw_fn)(const struct raw_map *m, const void *key, const void *val, void *arg);

/* Every entry of m (an array's non-zero ones): batches where the map has them. */
static int raw_iter(const struct raw_map *m, raw_fn fn, void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	const __u32 chunk = 1024;
	unsigned char *keys = calloc(chunk, m->ks), *vals = calloc(chunk, m->stride);
	unsigned char key[256], next[256];
	__u64 in_b = 0, out_b = 0;
	void *in = NULL;
	int err = 0, ret;

	if (!keys || !vals || m->ks > sizeof(key)) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = chunk;

		ret = bpf_map_lookup_batch(m->fd, in, &out_b, keys, vals, &count, &o);
		if (ret && errno != ENOENT) {
			if (!in && (errno == EINVAL || errno == 524 || errno == EOPNOTSUPP))
				break;	/* no batches: one key at a time below */
			err = -errno;
			goto out;
		}
		for (__u32 i = 0; i < count && !err; i++) {
			const unsigned char *v = vals + (size_t)i * m->stride;

			if (!is_array(m->type) || !pp_all_zero(v, m->stride))
				err = fn(m, keys + (size_t)i * m->ks, v, arg);
		}
		if (ret || err)
			goto out;
		in_b = out_b;
		in = &in_b;
	}
	/* LPM tries, devmaps */
	for (void *prev = NULL; !bpf_map_get_next_key(m->fd, prev, next) && !err; prev = key) {
		memcpy(key, next, m->ks);
		if (bpf_map_lookup_elem(m->fd, key, vals))
			continue;
		if (!is_array(m->type) || !pp_all_zero(vals, m->stride))
			err = fn(m, key, vals, arg);
	}
out:
	free(keys);
	free(vals);
	return err;
}

/* ---- prepare: copies ------------------------------------------------------------------ */

struct copy_ctx {
	enum pp_map_id id;
	const struct pp_layout *from;
	int nfd;
	unsigned n;
};

static int copy_one(const struct raw_map *m, const void *key, const void *val, void *arg)
{
	struct copy_ctx *c = arg;
	static unsigned char nkey[256], nval[65536];
	int err;

	(void)m;
	memset(nkey, 0, sizeof(nkey));
	memset(nval, 0, sizeof(nval));
	err = pp_map_layout[c->id].copy(c->from, key, val, nkey, nval);
	if (!err) {
		err = bpf_map_update_elem(c->nfd, nkey, nval, BPF_ANY) ? -errno : 0;
		c->n++;
	}
	return err < 0 ? err : 0;
}

static int copy_map(const char *root, enum pp_map_id id, const struct pp_layout *from, int nfd)
{
	struct copy_ctx c = { .id = id, .from = from, .nfd = nfd };
	struct raw_map m;
	char p[PATH_MAX];
	int fd, err;

	path_of(p, sizeof(p), root, false, pp_map_desc[id].name);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return -errno;
	err = raw_open(fd, &m);
	if (!err && (m.ks > 256 || m.stride > 65536 || m.ncpus > 1))
		err = -EOPNOTSUPP;	/* a copy is for plain maps; counters fold */
	if (!err)
		err = raw_iter(&m, copy_one, &c);
	close(fd);
	pr_info("upgrade: %s: %u entries copied into the new layout\n", pp_map_desc[id].name, c.n);
	return err;
}

/* ---- swap ------------------------------------------------------------------------------ */

struct hooks {
	__u32 *ifindex;
	__u8 *role;
	unsigned n, cap;
};

static int hook_collect(const void *key, const void *val, void *arg)
{
	const struct pp_dev *d = val;
	struct hooks *h = arg;

	/* an L3 uplink's ingress is the network devices' program */
	if (!(d->flags & (PP_DEV_TAP | PP_DEV_NET | PP_DEV_UPLINK)) || d->ifindex != *(const __u32 *)key)
		return 0;
	if (PP_GROW2(h->ifindex, h->role, h->n, h->cap, 256))
		return -ENOMEM;
	h->ifindex[h->n] = d->ifindex;
	h->role[h->n++] = d->flags & PP_DEV_TAP ? PP_ROLE_TAP : PP_ROLE_NET;
	return 0;
}

/*
 * Every hook polyport has on the devices of pp_devs gets dp's program: all
 * TC filters first (each replaced in place, BPF_TC_F_REPLACE), then every
 * XDP program (XDP_FLAGS_REPLACE with the expected old program).  XDP hands
 * to TC what it cannot do: once TC is new everywhere, nothing depends on
 * an old TC program being there.
 */
static int swap_hooks(struct pp_dataplane *dp, struct pp_upgrade_report *r)
{
	struct hooks hk = { 0 }, *h = &hk;
	double t0 = 0, t1 = 0;
	int err;

	err = pp_map_iter(&dp->maps, PPM_DEVS, hook_collect, h);
	for (int pass = 0; pass < 2 && !err; pass++) {
		for (unsigned i = 0; i < h->n && !err; i++) {
			__u32 id = 0;
			int qerr = pass ? pp_xdp_query(h->ifindex[i], &id)
					: pp_tc_query(h->ifindex[i], &id);

			if (qerr == -ENODEV || (!qerr && !id))
				continue;	/* gone, or nothing of ours there */
			if (qerr) {
				err = qerr;
				break;
			}
			if (!t0)
				t0 = now_ms();
			err = pass ? pp_xdp_attach(dp, h->ifindex[i], h->role[i])
				   : pp_dp_attach(dp, h->ifindex[i], h->role[i]);
			if (err == -ENODEV)
				err = 0;
			if (err)
				pr_warn("upgrade: ifindex %u: %s: %s\n", h->ifindex[i],
					pass ? "XDP" : "TC", strerror(-err));
			t1 = now_ms();
			r->hooks++;
			pp_crash_point("upgrade-hook");
		}
	}
	r->side_by_side_ms = t1 - t0;
	free(h->ifindex);
	free(h->role);
	return err;
}

/*
 * Wait until no program that started before this call is still running:
 * an update of a map-in-map waits for an RCU grace period
 * (maybe_wait_bpf_programs in the kernel), and TC and XDP programs run
 * inside RCU read-side sections.
 */
static int bpf_sync(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	int inner, outer, err = 0;
	__u32 k = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pp_sync_in", 4, 4, 1, NULL);
	if (inner < 0)
		return -errno;
	o.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "pp_sync", 4, 4, 1, &o);
	if (outer < 0 || bpf_map_update_elem(outer, &k, &inner, BPF_ANY))
		err = -errno;
	if (outer >= 0)
		close(outer);
	close(inner);
	return err;
}

/* ---- fold ------------------------------------------------------------------------------- */

struct fold_ctx {
	enum pp_map_id id;
	struct fold_bpf *sk;
	struct raw_map dst;
	unsigned long n, skipped;
};

static int count_nonzero(const struct raw_map *m, const void *key, const void *val, void *arg)
{
	const unsigned char *v = val;
	size_t per = m->stride / m->ncpus;

	(void)key;
	for (int c = 0; c < m->ncpus; c++)
		*(unsigned long *)arg += !pp_all_zero(v + c * per, per);
	return 0;
}

static int fold_run(struct fold_ctx *f, int *ret)
{
	unsigned char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(f->sk->progs.pp_fold), &t))
		return -errno;
	*ret = t.retval;
	return 0;
}

/* Fold one old entry: each CPU's words, into the slot of the CPU the program runs on. */
static int fold_one(const struct raw_map *m, const void *key, const void *val, void *arg)
{
	struct fold_ctx *f = arg;
	size_t per = m->stride / m->ncpus, words = m->vs / 8;
	const unsigned char *v = val;
	int err, ret;

	if (is_array(m->type) && *(const __u32 *)key >= f->dst.max) {
		f->skipped++;		/* the new map is smaller */
		return 0;
	}
	for (int c = 0; c < m->ncpus; c++) {
		const __u64 *w = (const __u64 *)(v + c * per);

		if (pp_all_zero(w, per))
			continue;
		memset(f->sk->bss->key, 0, sizeof(f->sk->bss->key));
		memcpy(f->sk->bss->key, key, m->ks);
		memset(&f->sk->bss->done_key, 0, sizeof(f->sk->bss->done_key));
		f->sk->bss->done_key.map = f->id;
		f->sk->bss->done_key.cpu = c;
		memcpy(f->sk->bss->done_key.key, key, m->ks);
		memset(f->sk->bss->add, 0, sizeof(f->sk->bss->add));
		for (size_t i = 0; i < words && i < f->dst.vs / 8; i++)
			f->sk->bss->add[i] = w[i];
		err = fold_run(f, &ret);
		if (!err && ret == 2 && !is_array(f->dst.type)) {
			/* a per-CPU hash: the new map has no such entry yet */
			void *zero = calloc(1, f->dst.stride);

			if (!zero)
				return -ENOMEM;
			if (bpf_map_update_elem(f->dst.fd, key, zero, BPF_NOEXIST) && errno != EEXIST)
				err = -errno;
			free(zero);
			if (!err)
				err = fold_run(f, &ret);
		}
		if (err)
			return err;
		if (ret == 3)
			return -ENOSPC;
		if (ret == 2)
			f->skipped++;
		else if (ret == 0)
			f->n++;
		pp_crash_point("upgrade-folded");
	}
	return 0;
}

static int fold_map(enum pp_map_id id, int sfd, int dfd, int donefd)
{
	struct fold_ctx f = { .id = id };
	struct raw_map src;
	int err;

	err = raw_open(sfd, &src);
	if (!err)
		err = raw_open(dfd, &f.dst);
	if (err)
		return err;
	if (src.ks != f.dst.ks || src.ks > PP_FOLD_KEY_LEN || f.dst.vs % 8 ||
	    f.dst.vs / 8 > PP_FOLD_WORDS)
		return -EOPNOTSUPP;
	f.sk = fold_bpf__open();
	if (!f.sk)
		return -errno;
	f.sk->rodata->nwords = f.dst.vs / 8;
	err = bpf_map__reuse_fd(f.sk->maps.dst, dfd);
	if (!err)
		err = bpf_map__reuse_fd(f.sk->maps.done, donefd);
	if (!err)
		err = fold_bpf__load(f.sk);
	if (!err)
		err = raw_iter(&src, fold_one, &f);
	fold_bpf__destroy(f.sk);
	pr_info("upgrade: %s: %lu counter entries folded into the new map%s\n",
		pp_map_desc[id].name, f.n, f.skipped ? " (some beyond its size left out)" : "");
	return err;
}

/*
 * Fold the per-CPU counters of the maps of mask: from the pinned maps into
 * next/ (back == false), or from next/ into the pinned ones (rolling back).
 * Exactly once per (map, CPU, entry), across crashes: the record of what is
 * done (next/pp_fold_done or next/pp_fold_back) is pinned.
 */
static int fold_all(const char *root, unsigned long long mask, bool back)
{
	char sp[PATH_MAX], dp[PATH_MAX], donep[PATH_MAX];
	unsigned long entries = 1;
	int done, err = 0;

	path_of(donep, sizeof(donep), root, true, back ? FOLD_BACK : FOLD_DONE);
	done = bpf_obj_get(donep);
	if (done < 0) {
		/* sized for every non-zero (entry, CPU) of the source maps: nothing writes them now */
		for (int i = 0; i < PPM_COUNT && !err; i++) {
			struct raw_map m;
			int fd;

			if (!(mask & 1ull << i) || pp_map_layout[i].mig != PP_MIG_FOLD)
				continue;
			path_of(sp, sizeof(sp), root, back, pp_map_desc[i].name);
			fd = bpf_obj_get(sp);
			if (fd < 0)
				continue;
			err = raw_open(fd, &m);
			if (!err)
				err = raw_iter(&m, count_nonzero, &entries);
			close(fd);
		}
		if (err)
			return err;
		done = bpf_map_create(BPF_MAP_TYPE_HASH, back ? FOLD_BACK : FOLD_DONE,
				      sizeof(struct pp_fold_key), 4, entries, NULL);
		if (done < 0)
			return -errno;
		if (bpf_obj_pin(done, donep)) {
			err = -errno;
			close(done);
			return err;
		}
	}
	for (int i = 0; i < PPM_COUNT && !err; i++) {
		int sfd, dfd;

		if (!(mask & 1ull << i) || pp_map_layout[i].mig != PP_MIG_FOLD)
			continue;
		path_of(sp, sizeof(sp), root, back, pp_map_desc[i].name);
		path_of(dp, sizeof(dp), root, !back, pp_map_desc[i].name);
		sfd = bpf_obj_get(sp);
		dfd = bpf_obj_get(dp);
		if (sfd >= 0 && dfd >= 0)
			err = fold_map(i, sfd, dfd, done);
		if (sfd >= 0)
			close(sfd);
		if (dfd >= 0)
			close(dfd);
	}
	close(done);
	return err;
}

/* ---- rename, records ------------------------------------------------------------------- */

static int rename_all(const char *root, unsigned long long mask)
{
	char p[PATH_MAX], q[PATH_MAX];

	for (int i = 0; i < PPM_COUNT; i++) {
		if (!(mask & 1ull << i))
			continue;
		path_of(p, sizeof(p), root, true, pp_map_desc[i].name);
		path_of(q, sizeof(q), root, false, pp_map_desc[i].name);
		/* atomic: the old pin goes as the new one takes its name */
		if (rename(p, q) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

static int records_write(const char *root, unsigned long long mask, const struct pp_layout *l)
{
	char p[PATH_MAX];
	int fd, err = 0;

	path_of(p, sizeof(p), root, false, PP_LAYOUTS_PIN);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return -errno;
	for (int i = 0; i < PPM_COUNT && !err; i++)
		if (mask & 1ull << i)
			err = pp_layout_put(fd, i, &l[i]);
	close(fd);
	return err;
}

/* ---- the steps -------------------------------------------------------------------------- */

static void names_of(unsigned long long mask, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < PPM_COUNT && n < len; i++)
		if (mask & 1ull << i)
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", pp_map_desc[i].name);
}

/*
 * From step (swap, fold or rename) to the end, forward: dp (loaded on the
 * maps of next/) is needed only for swap.
 */
static int forward(const char *root, struct pp_dataplane *dp, const char *step,
		   unsigned long long mask, const struct pp_layout *to, struct pp_upgrade_report *r)
{
	double t;
	int err = 0;

	if (!strcmp(step, "swap")) {
		err = swap_hooks(dp, r);
		if (!err)
			err = bpf_sync();
		if (!err)
			err = journal_write(root, "fold", mask, to);
		if (err)
			return err;
		step = "fold";
	}
	if (!strcmp(step, "fold")) {
		t = now_ms();
		err = fold_all(root, mask, false);
		r->fold_ms = now_ms() - t;
		if (!err)
			err = journal_write(root, "rename", mask, to);
		if (err)
			return err;
		step = "rename";
	}
	if (strcmp(step, "rename"))
		return -EINVAL;
	err = rename_all(root, mask);
	if (!err)
		err = records_write(root, mask, to);
	if (!err)
		err = next_remove(root);
	return err;
}

/*
 * Going back from swap: this binary's programs (on the pinned maps, whose
 * layouts are its own) on every hook, then what the new programs counted
 * folded back, then next/ removed.
 */
static int backward(const char *root, const struct pp_map_sizes *s, const char *step,
		    const struct journal *j, struct pp_upgrade_report *r)
{
	int err = 0;

	if (!strcmp(step, "swap")) {
		struct pp_dataplane dp;

		err = pp_dp_open_ex(&dp, root, s, 0);
		if (err)
			return err;
		err = swap_hooks(&dp, r);
		pp_dp_close(&dp);
		if (!err)
			err = bpf_sync();
		if (!err)
			err = journal_write(root, "back", j->mask, j->to);
		if (err)
			return err;
	}
	err = fold_all(root, j->mask, true);
	return err ? err : next_remove(root);
}

/* An upgrade interrupted: complete it or roll it back (upgrade.h). */
static int recover(const char *root, const struct pp_map_sizes *s,
		   const struct pp_layout *want, struct pp_upgrade_report *r, char *why,
		   size_t why_len)
{
	struct journal j;
	char p[PATH_MAX];
	bool to_ours = true, root_ours = true;
	int err = journal_read(root, &j), lfd;

	if (err) {
		pp_say(why, why_len, "%s/%s/%s: unreadable upgrade journal (%s)", root, PP_NEXT_DIR,
		    JOURNAL, strerror(-err));
		return err;
	}
	pr_warn("upgrade: an upgrade was interrupted at step '%s'\n", j.step);
	if (!strcmp(j.step, "prepare")) {
		/* nothing runs on next/ yet */
		r->recovered = "rolled back";
		return next_remove(root);
	}
	if (!strcmp(j.step, "fold") || !strcmp(j.step, "rename")) {
		r->recovered = "completed";
		return forward(root, NULL, j.step, j.mask, j.to, r);
	}
	if (!strcmp(j.step, "back")) {
		r->recovered = "rolled back";
		return backward(root, s, j.step, &j, r);
	}
	if (strcmp(j.step, "swap")) {
		pp_say(why, why_len, "upgrade journal: unknown step '%s'", j.step);
		return -EINVAL;
	}
	path_of(p, sizeof(p), root, false, PP_LAYOUTS_PIN);
	lfd = bpf_obj_get(p);
	for (int i = 0; i < PPM_COUNT; i++) {
		struct pp_layout pin;
		bool rec;

		if (!(j.mask & 1ull << i))
			continue;
		to_ours &= pp_layout_same(&j.to[i], &want[i]);
		path_of(p, sizeof(p), root, false, pp_map_desc[i].name);
		root_ours &= !pinned_layout(p, lfd, i, &pin, &rec) && layout_ours(&pin, rec, &want[i]);
	}
	if (lfd >= 0)
		close(lfd);
	if (to_ours) {
		struct pp_dataplane dp;

		r->recovered = "completed";
		err = pp_dp_open_ex(&dp, root, s, j.mask);
		if (err) {
			pp_say(why, why_len, "completing the interrupted upgrade: loading: %s",
			    strerror(-err));
			return err;
		}
		err = forward(root, &dp, "swap", j.mask, j.to, r);
		pp_dp_close(&dp);
		return err;
	}
	if (root_ours) {
		r->recovered = "rolled back";
		return backward(root, s, "swap", &j, r);
	}
	pp_say(why, why_len, "an upgrade to another version was interrupted while swapping programs "
	    "(%s/%s/%s): start that version to complete it", root, PP_NEXT_DIR, JOURNAL);
	return -EBUSY;
}

int pp_upgrade_run(const char *pin_root, const struct pp_map_sizes *s,
		   struct pp_upgrade_report *r, char *why, size_t why_len)
{
	struct pp_layout want[PPM_COUNT], from[PPM_COUNT];
	unsigned long long mask = 0;
	struct pp_dataplane dp;
	double t0 = now_ms();
	char p[PATH_MAX];
	struct stat st;
	int err, lfd;

	memset(r, 0, sizeof(*r));
	err = layouts_want(want);
	if (err) {
		pp_say(why, why_len, "this binary's map layouts: %s", strerror(-err));
		return err;
	}
	path_of(p, sizeof(p), pin_root, true, JOURNAL);
	if (!lstat(p, &st)) {
		why[0] = 0;
		err = recover(pin_root, s, want, r, why, why_len);
		if (err) {
			if (!why[0])
				pp_say(why, why_len, "the interrupted upgrade: %s", strerror(-err));
			return err;
		}
		pr_warn("upgrade: the interrupted upgrade is %s\n", r->recovered);
	} else {
		next_remove(pin_root);	/* a next/ without journal: an upgrade that never began */
	}

	/* What is pinned, and in which layout. */
	path_of(p, sizeof(p), pin_root, false, PP_LAYOUTS_PIN);
	lfd = bpf_obj_get(p);
	for (int i = 0; i < PPM_COUNT; i++) {
		char a[40], b[40], how[96];
		bool rec;

		path_of(p, sizeof(p), pin_root, false, pp_map_desc[i].name);
		err = pinned_layout(p, lfd, i, &from[i], &rec);
		if (err == -ENOENT)
			continue;	/* created at load */
		if (err) {
			pp_say(why, why_len, "%s: %s", p, strerror(-err));
			goto out;
		}
		if (layout_ours(&from[i], rec, &want[i]))
			continue;	/* adopted as it is (by its sizes, once, without a record) */
		err = pp_layout_migratable(i, &from[i], &want[i], how, sizeof(how));
		if (err) {
			pp_layout_fmt(&from[i], a, sizeof(a));
			pp_layout_fmt(&want[i], b, sizeof(b));
			pp_say(why, why_len, "map %s is pinned with layout %s (%u-byte key, %u-byte value%s), "
			    "this polyportd's is %s (%u, %u): %s; start the polyportd that pinned it, "
			    "or 'polyportctl teardown'", pp_map_desc[i].name, rec ? a : "unrecorded",
			    from[i].key_size, from[i].value_size, rec ? "" : ", no record", b,
			    want[i].key_size, want[i].value_size, how);
			goto out;
		}
		mask |= 1ull << i;
	}
	if (lfd >= 0)
		close(lfd);
	lfd = -1;
	if (!mask)
		return 0;

	/* prepare */
	names_of(mask, r->maps, sizeof(r->maps));
	r->migrated = __builtin_popcountll(mask);
	pr_info("upgrade: migrating %s to this polyportd's layout while traffic flows\n", r->maps);
	path_of(p, sizeof(p), pin_root, true, NULL);
	if (mkdir(p, 0700) && errno != EEXIST) {
		err = -errno;
		pp_say(why, why_len, "%s: %s", p, strerror(-err));
		return err;
	}
	err = journal_write(pin_root, "prepare", mask, want);
	if (err) {
		pp_say(why, why_len, "upgrade journal: %s", strerror(-err));
		return err;
	}
	err = pp_dp_open_ex(&dp, pin_root, s, mask);
	if (err) {
		pp_say(why, why_len, "loading this polyportd's programs on new maps: %s", strerror(-err));
		next_remove(pin_root);
		return err;
	}
	for (int i = 0; i < PPM_COUNT && !err; i++)
		if ((mask & 1ull << i) && pp_map_layout[i].mig == PP_MIG_COPY)
			err = copy_map(pin_root, i, &from[i], dp.maps.fd[i]);
	if (err) {
		pp_say(why, why_len, "copying into the new maps: %s", strerror(-err));
		pp_dp_close(&dp);
		next_remove(pin_root);
		return err;
	}
	r->prepare_ms = now_ms() - t0;
	err = journal_write(pin_root, "swap", mask, want);
	if (!err)
		err = forward(pin_root, &dp, "swap", mask, want, r);
	pp_dp_close(&dp);
	r->total_ms = now_ms() - t0;
	if (err)
		pp_say(why, why_len, "upgrading (%s): %s; a restart completes it", r->maps,
		    strerror(-err));
	return err;
out:
	if (lfd >= 0)
		close(lfd);
	return err;
}

int pp_upgrade_record(struct pp_dataplane *dp)
{
	struct pp_layout want[PPM_COUNT];
	struct bpf_map *lm = bpf_object__find_map_by_name(dp->tap->obj, PP_LAYOUTS_PIN);
	int err = layouts_want(want), fd = lm ? bpf_map__fd(lm) : -1;

	if (err)
		return err;
	if (fd < 0)
		return -ENOENT;
	for (int i = 0; i < PPM_COUNT && !err; i++)
		err = pp_layout_put(fd, i, &want[i]);
	return err;
}
