// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * perf_test_run: the per-frame cost of polyport's programs, XDP and TC, in
 * both directions, through BPF_PROG_TEST_RUN, at 1, 4,094 and 100,000
 * service ports (make perf-test-run; not part of make test).
 *
 * Topology, in a network namespace of its own: service ports are single-tag
 * ports, 4,094 per instance port (VIDs 1..4094), spread over as many
 * instance ports as needed (25 for 100,000).  Port (slot s, VID v) is bound
 * to a network of its own that carries the same tag v on the network device
 * of slot s, so every hot table (classifier, service ports, networks,
 * network VLANs, forwarding table) holds as many entries as there are
 * service ports.  The tag is popped and pushed back on the way, so a frame
 * leaves as it came and can be run again (repeat=N).
 *
 * Two measures per cell:
 *  hot     one frame run repeat=N times (its entries stay in the caches);
 *          TC's runs after the first see the tag in skb metadata, as on a
 *          tap.
 *  random  20,000 frames, each to a random service port, each run once,
 *          minus the same measure of an empty program (the timer and call
 *          overhead of one TEST_RUN): the lookups miss the caches as they
 *          would with traffic spread over every port.
 * What is measured is the program: the redirect it asks for is not
 * performed by BPF_PROG_TEST_RUN (the transmit costs the same for any
 * number of service ports).
 *
 * Then live frames (BPF_F_TEST_XDP_LIVE_FRAMES), where XDP redirects are
 * performed, to a veth whose peer has an XDP_DROP program: a bare
 * bpf_redirect() against a bare bpf_redirect_map() through a devmap hash,
 * and polyport's XDP program from a VM (one frame repeated).  TC has no
 * live mode.
 *
 * Then the single-tag classifier alone (tests/bpf/lookup_bench.bpf.c):
 * 262,144 lookups of pseudo-random (slot, VID) keys in one run, through the
 * direct-indexed array polyport uses and through a hash keyed by (slot, VID),
 * at 1, 4,094, 100,000 and 1,000,000 keys.
 *
 * Usage: perf_test_run [-n REPEAT] [-k RANDOM_FRAMES] [PORTS...]
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "xdpmode.h"
#include "frames.h"
#include "lookup_bench.skel.h"

#define VIDS		4094
#define TAP_IF(s)	(100 + (s))	/* ifindexes of the bridges standing in */
#define NET_IF(s)	(200 + (s))
#define MAX_SLOTS	64
#define LIVE_PEER	1201		/* the far end of NET_IF(1), where frames are dropped */

static const uint8_t EXT[6] = { 0x02, 0, 0, 0, 0, 0xaa };

static void port_mac(uint32_t i, uint8_t mac[6])
{
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = i >> 24;
	mac[3] = i >> 16;
	mac[4] = i >> 8;
	mac[5] = i;
}

static int make_netns(unsigned slots)
{
	FILE *f;

	if (unshare(CLONE_NEWNET))
		return -errno;
	f = popen("ip -batch -", "w");
	if (!f)
		return -errno;
	for (unsigned s = 1; s <= slots; s++)
		fprintf(f, "link add name ppt%u index %u type bridge\n", TAP_IF(s), TAP_IF(s));
	/* Slot 1's network device is a veth: live runs redirect to it for real. */
	fprintf(f, "link add name ppt%u index %u type veth peer name ppt%u index %u\n"
		   "link set ppt%u up\nlink set ppt%u up\n",
		NET_IF(1), NET_IF(1), LIVE_PEER, LIVE_PEER, NET_IF(1), LIVE_PEER);
	for (unsigned s = 2; s <= slots; s++)
		fprintf(f, "link add name ppt%u index %u type bridge\n", NET_IF(s), NET_IF(s));
	return pclose(f) ? -EIO : 0;
}

#define CHECK(x) do { int e_ = (x); if (e_) { fprintf(stderr, "%s: %s\n", #x, strerror(-e_)); return e_; } } while (0)

/* Write n service ports straight into the maps (no ordered writes: fast). */
static int fill(struct pp_dataplane *dp, uint32_t n)
{
	struct pp_maps *m = &dp->maps;
	uint32_t slots = (n + VIDS - 1) / VIDS;

	for (uint32_t s = 1; s <= slots; s++) {
		struct pp_iport ip = { .ifindex = TAP_IF(s), .mtu = 1500 };
		struct pp_dev tap = { .flags = PP_DEV_TAP, .slot = s, .ifindex = TAP_IF(s) };
		struct pp_dev net = { .flags = PP_DEV_NET | PP_DEV_NET_VLANS, .ifindex = NET_IF(s) };

		port_mac(0xffff0000 + s, ip.mac);
		CHECK(pp_iport_put(m, s, &ip));
		CHECK(pp_dev_put(m, TAP_IF(s), &tap));
		CHECK(pp_dev_put(m, NET_IF(s), &net));
		CHECK(pp_xdp_tx_set(m, TAP_IF(s), true));
		CHECK(pp_xdp_tx_set(m, NET_IF(s), true));
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = i + 1, s = i / VIDS + 1, vid = i % VIDS + 1;
		/* one local port per network: the loader names it (pp_net.lone_sport) */
		struct pp_net net = { .ifindex = NET_IF(s), .vlan = vid, .mtu = 1500,
				      .lone_sport = id };
		struct pp_netvlan_key vk = { .ifindex = NET_IF(s), .vid = vid };
		struct pp_sport sp = { .slot = s, .net_id = id, .match = PP_MATCH_VLAN,
				       .outer_vid = vid };
		struct pp_fdb_key fk = { .net_id = id };
		struct pp_flood fl = { .count = 1, .sport = { id } };

		port_mac(i, sp.mac);
		memcpy(fk.mac, sp.mac, 6);
		CHECK(pp_net_put(m, id, &net));
		CHECK(pp_map_put(m, PPM_NETVLANS, &vk, &id));
		CHECK(pp_sport_put(m, id, &sp));
		CHECK(pp_map_put(m, PPM_FDB, &fk, &id));
		CHECK(pp_flood_put(m, id, &fl));
		CHECK(pp_vlan_put(m, s, vid, id));
	}
	return 0;
}

enum { XDP, TC };
enum { TO_NET, TO_VM };

/* The frame of port i in direction dir: 64 bytes with its tag. */
static uint32_t frame(uint32_t i, int dir, uint8_t *buf, uint32_t *ifindex)
{
	uint8_t mac[6];
	struct fspec f = { .tags = { { 0x8100, i % VIDS + 1 } } };

	port_mac(i, mac);
	f.dst = dir == TO_NET ? EXT : mac;
	f.src = dir == TO_NET ? mac : EXT;
	*ifindex = dir == TO_NET ? TAP_IF(i / VIDS + 1) : NET_IF(i / VIDS + 1);
	return fr_build(buf, &f);
}

/* One TEST_RUN of fd on a frame; its duration (ns per run) or -1. */
static long run(int fd, int kind, const uint8_t *in, uint32_t len, uint32_t ifindex, int repeat,
		int want)
{
	static uint8_t out[FR_MAX];
	struct __sk_buff skb = { .ingress_ifindex = ifindex };
	struct xdp_md md = { .ingress_ifindex = ifindex, .data_end = len };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = repeat);

	if (kind == XDP) {
		o.ctx_in = &md;
		o.ctx_size_in = sizeof(md);
	} else {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
	}
	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	if (want >= 0 && (int)o.retval != want) {
		fprintf(stderr, "perf_test_run: verdict %u, want %d\n", o.retval, want);
		return -1;
	}
	return o.duration;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

struct result { double hot, rnd; };

/* hot: median of 3 runs of repeat; random: median of k single runs, minus base. */
static int measure(int fd, int kind, int dir, uint32_t nports, int repeat, int k, long base,
		   struct result *r)
{
	static uint8_t in[FR_MAX];
	long hot[3], *d = calloc(k, sizeof(long));
	int want = kind == XDP ? XDP_REDIRECT : TC_ACT_REDIRECT;
	uint32_t len, ifindex;

	if (!d)
		return -ENOMEM;
	len = frame(nports / 2, dir, in, &ifindex);
	for (int t = 0; t < 3; t++)
		if ((hot[t] = run(fd, kind, in, len, ifindex, repeat, want)) < 0)
			return -EIO;
	qsort(hot, 3, sizeof(long), cmp_long);
	for (int t = 0; t < k; t++) {
		len = frame((uint32_t)random() % nports, dir, in, &ifindex);
		if ((d[t] = run(fd, kind, in, len, ifindex, 1, want)) < 0)
			return -EIO;
	}
	qsort(d, k, sizeof(long), cmp_long);
	r->hot = hot[1];
	r->rnd = d[k / 2] - base;
	free(d);
	return 0;
}

/* The cost of one TEST_RUN of an empty program, repeat=1 (median). */
static long baseline(int kind, int k)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static uint8_t in[FR_MAX];
	uint32_t len, ifindex;
	long *d = calloc(k, sizeof(long)), med;
	int fd = bpf_prog_load(kind == XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS, "pp_empty",
			       "GPL", insns, 2, NULL);

	if (fd < 0 || !d)
		return 0;
	len = frame(0, TO_NET, in, &ifindex);
	for (int t = 0; t < k; t++)
		d[t] = run(fd, kind, in, len, ifindex, 1, -1);
	qsort(d, k, sizeof(long), cmp_long);
	med = d[k / 2];
	free(d);
	close(fd);
	return med;
}

/*
 * A live-frame run (the redirect is performed; BPF_F_TEST_XDP_LIVE_FRAMES):
 * ns per frame, median of 3, or -1.
 */
static long live(int fd, uint32_t ifindex, const uint8_t *in, uint32_t len, int repeat)
{
	long d[3];

	for (int t = 0; t < 3; t++) {
		struct xdp_md md = { .ingress_ifindex = ifindex, .data_end = len };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len, .ctx_in = &md,
			    .ctx_size_in = sizeof(md), .repeat = repeat,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		if (bpf_prog_test_run_opts(fd, &o))
			return -1;
		d[t] = o.duration;
	}
	qsort(d, 3, sizeof(long), cmp_long);
	return d[1];
}

/* ns per lookup of the array and of the hash with n keys, or -errno. */
static int classifier(uint32_t n, double *arr_ns, double *hash_ns)
{
	struct lookup_bench_bpf *sk = lookup_bench_bpf__open();
	uint32_t slots = n / VIDS + 2, one = 1;
	long d[3][3];
	int err, fds[3];

	if (!sk)
		return -errno;
	err = bpf_map__set_max_entries(sk->maps.arr, slots * 4096);
	if (!err)
		err = bpf_map__set_max_entries(sk->maps.hsh, n);
	if (!err)
		err = lookup_bench_bpf__load(sk);
	for (uint32_t i = 0; !err && i < n; i++) {
		struct { uint32_t slot; uint16_t vid, pad; } hk = { i / VIDS + 1, i % VIDS + 1, 0 };
		uint32_t idx = hk.slot * 4096 + hk.vid;

		if (bpf_map_update_elem(bpf_map__fd(sk->maps.arr), &idx, &one, 0) ||
		    bpf_map_update_elem(bpf_map__fd(sk->maps.hsh), &hk, &one, 0))
			err = -errno;
	}
	if (err) {
		lookup_bench_bpf__destroy(sk);
		return err;
	}
	sk->bss->n_keys = n;
	fds[0] = bpf_program__fd(sk->progs.bench_none);
	fds[1] = bpf_program__fd(sk->progs.bench_array);
	fds[2] = bpf_program__fd(sk->progs.bench_hash);
	for (int t = 0; t < 3; t++)
		for (int p = 0; p < 3; p++) {
			static uint8_t in[64];

			d[p][t] = run(fds[p], XDP, in, sizeof(in), 0, 1, XDP_DROP);
		}
	for (int p = 0; p < 3; p++)
		qsort(d[p], 3, sizeof(long), cmp_long);
	*arr_ns = (double)(d[1][1] - d[0][1]) / (1 << 18);
	*hash_ns = (double)(d[2][1] - d[0][1]) / (1 << 18);
	lookup_bench_bpf__destroy(sk);
	return 0;
}

static void unpin(const char *root)
{
	char path[512];

	for (int i = 0; i < PPM_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, pp_map_desc[i].name);
		unlink(path);
	}
	rmdir(root);
}

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, f, a) : 0;
}

int main(int argc, char **argv)
{
	struct pp_map_sizes sz = { .max_ifindex = 4096, .max_iports = MAX_SLOTS,
				   .max_sports = 131072, .max_nets = 131072, .max_macs = 131072,
				   .max_match = 1024 };
	uint32_t ports[8] = { 1, 4094, 100000 }, nports = 3;
	long live_pp[8];
	int repeat = 1000000, k = 20000, opt;
	long base[2];
	struct utsname u;
	char root[128];

	while ((opt = getopt(argc, argv, "n:k:")) != -1) {
		if (opt == 'n')
			repeat = atoi(optarg);
		else if (opt == 'k')
			k = atoi(optarg);
		else
			return 2;
	}
	if (optind < argc) {
		nports = 0;
		for (int i = optind; i < argc && nports < 8; i++)
			ports[nports++] = strtoul(argv[i], NULL, 0);
	}
	for (uint32_t i = 0; i < nports; i++)
		if (!ports[i] || ports[i] > (MAX_SLOTS - 1) * VIDS || ports[i] >= sz.max_sports) {
			fprintf(stderr, "perf_test_run: 1..%u service ports\n", sz.max_sports - 1);
			return 2;
		}
	libbpf_set_print(quiet);
	srandom(1);
	if (make_netns(MAX_SLOTS - 1)) {
		fprintf(stderr, "perf_test_run: a network namespace with test devices: %s\n",
			strerror(errno));
		return 1;
	}
	snprintf(root, sizeof(root), "/sys/fs/bpf/pp-perf-%d", getpid());
	uname(&u);
	base[XDP] = baseline(XDP, k);
	base[TC] = baseline(TC, k);
	printf("per-frame cost through BPF_PROG_TEST_RUN, ns (kernel %s; 64-byte frames, one tag)\n",
	       u.release);
	printf("hot: one frame, repeat=%d (median of 3); random: %d frames to random service "
	       "ports, one run each, median, minus an empty program's run (XDP %ld ns, TC %ld ns)\n\n",
	       repeat, k, base[XDP], base[TC]);
	printf("%-14s | %-23s | %-23s | %-23s | %-23s\n", "", "from VM: XDP", "from VM: TC",
	       "toward VM: XDP", "toward VM: TC");
	printf("%-14s | %-10s %-12s | %-10s %-12s | %-10s %-12s | %-10s %-12s\n", "service ports",
	       "hot", "random", "hot", "random", "hot", "random", "hot", "random");
	for (uint32_t c = 0; c < nports; c++) {
		struct pp_dataplane dp;
		struct result r[2][2];
		long lv = -1;
		int err;

		err = pp_dp_open(&dp, root, &sz);
		if (!err)
			err = fill(&dp, ports[c]);
		for (int dir = 0; !err && dir < 2; dir++)
			for (int kind = 0; !err && kind < 2; kind++) {
				enum pp_role role = dir == TO_NET ? PP_ROLE_TAP : PP_ROLE_NET;
				int fd = kind == XDP ? dp.xdp_prog_fd[role] : dp.prog_fd[role];

				err = measure(fd, kind, dir, ports[c], repeat, k, base[kind],
					      &r[dir][kind]);
			}
		if (!err) {	/* port 0 is on slot 1, whose network device is the veth */
			static uint8_t lin[FR_MAX];
			uint32_t llen, lif;

			llen = frame(0, TO_NET, lin, &lif);
			lv = live(dp.xdp_prog_fd[PP_ROLE_TAP], lif, lin, llen, repeat);
		}
		pp_dp_close(&dp);
		unpin(root);
		if (err) {
			fprintf(stderr, "perf_test_run: %u service ports: %s\n", ports[c],
				strerror(-err));
			return 1;
		}
		printf("%-14u |", ports[c]);
		for (int dir = 0; dir < 2; dir++)
			for (int kind = 0; kind < 2; kind++)
				printf(" %-10.1f %-12.1f |", r[dir][kind].hot, r[dir][kind].rnd);
		printf("\n");
		live_pp[c] = lv;
	}

	/* Live frames: the redirect is performed, to a veth whose peer drops. */
	struct lookup_bench_bpf *lb = lookup_bench_bpf__open_and_load();
	uint32_t tx = NET_IF(1), len, ifindex;
	static uint8_t in[FR_MAX];
	long l_if = -1, l_dm = -1;

	if (lb && !bpf_xdp_attach(LIVE_PEER, bpf_program__fd(lb->progs.drop_all),
				  XDP_FLAGS_DRV_MODE, NULL) &&
	    !bpf_map_update_elem(bpf_map__fd(lb->maps.txmap), &tx, &tx, 0)) {
		lb->bss->tx_ifindex = tx;
		len = frame(0, TO_NET, in, &ifindex);
		l_if = live(bpf_program__fd(lb->progs.redir_ifindex), ifindex, in, len, repeat);
		l_dm = live(bpf_program__fd(lb->progs.redir_devmap), ifindex, in, len, repeat);
	}
	printf("\nlive frames (BPF_F_TEST_XDP_LIVE_FRAMES, repeat=%d): the XDP redirect is "
	       "performed, to a veth whose peer drops; ns per frame (Mpps)\n", repeat);
	printf("  bpf_redirect(ifindex), nothing else     %6ld (%.1f)\n", l_if, 1000.0 / l_if);
	printf("  bpf_redirect_map(devmap hash), nothing  %6ld (%.1f)\n", l_dm, 1000.0 / l_dm);
	for (uint32_t c = 0; c < nports; c++)
		printf("  polyport from VM, %6u service ports  %6ld (%.1f)\n", ports[c], live_pp[c],
		       1000.0 / live_pp[c]);
	lookup_bench_bpf__destroy(lb);

	printf("\nthe single-tag classifier alone: ns per lookup of a pseudo-random (slot, VID) key\n");
	printf("%-10s | %-22s | %-22s\n", "keys", "array (polyport)", "hash (slot, VID)");
	uint32_t keys[] = { 1, 4094, 100000, 1000000 };
	for (unsigned c = 0; c < 4; c++) {
		double a = 0, h = 0;
		int err = classifier(keys[c], &a, &h);

		if (err) {
			fprintf(stderr, "perf_test_run: classifier, %u keys: %s\n", keys[c],
				strerror(-err));
			return 1;
		}
		printf("%-10u | %-22.1f | %-22.1f\n", keys[c], a, h);
	}
	return 0;
}
