// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ppbench: the driver of make bench and make bench-smoke (bench/bench.sh
 * builds the topology and calls it).
 *
 *   ppbench dataplane [--quick] [--reps N] [--ms MS] [--cpu N] [--ovs] [--only KEY,...]
 *                     [--baseline PPBENCH [--baseline-name NAME] [--baseline-only KEY,...]]
 *                     --out FILE
 *       In the benchmark's network namespace (bench/bench.sh made the
 *       devices): load polyport through the loader library (one private pin
 *       root per configuration), program its maps, attach the programs, and
 *       measure every path several times in alternation (A B C ... A B C ...).
 *       Writes one line per path: its description and every sample (Mpps).
 *       --baseline: PPBENCH (built from another commit) install loads that
 *       commit's programs for the same configurations; each polyport path
 *       (or those of --baseline-only) then also runs with them, back to back
 *       with ours, as the path "KEY@base".
 *   ppbench install --suffix S [--quick] [--only KEY,...]
 *       The baseline's side of --baseline (see cmd_install).
 *   ppbench control --polyportd PATH --polyportctl PATH --work DIR
 *                   [--quick] [--reps N] --out FILE
 *       In the control-plane namespace: time polyportd applying 4,094 and
 *       100,000 service ports from binding files (SIGHUP after the binding
 *       directory is switched), the first frame forwarded after a configured
 *       tap appears, and the daemon's memory.
 *   ppbench lineprof --prog-id ID < offsets
 *       Samples per BPF source line of a loaded program (bench/profile.sh).
 *   ppbench report --dir DIR [--check]
 *       Medians, min-max and ratios; the table and every target of issue 8;
 *       DIR/results.json and the plot's data files.  --check prints
 *       PASS/FAIL lines for the smoke run (the numbers are sane: non-zero,
 *       the generator faster than the paths), not speed.
 *
 * Traffic: the generator (bench/gen.bpf.c) runs in BPF_PROG_TEST_RUN's
 * live-frames mode and redirects into one end of a veth pair; the path
 * under test runs on the other end (XDP in the veth's NAPI, or the stack);
 * the frames end in an XDP_DROP sink on the last veth peer, which counts
 * them.  Generator, forwarder and sink run on one CPU: the generator's
 * batch ends with local_bh_enable(), which runs the veth NAPIs on the spot.
 * Mpps = frames counted at the sink / elapsed time.  Tap paths: a userspace
 * writer on a non-blocking tap fd (as QEMU opens it), or the generator and a
 * reader taking turns (256 frames, then read() until EAGAIN).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include "dataplane.h"
#include "services.h"
#include "xdpmode.h"
#include "frames.h"
#include "gen.h"
#include "bench/gen.skel.h"
/*
 * The routed path (issue 16) needs the loader's L3 part.  --baseline builds
 * this file against another commit's loader library: one without L3
 * domains (no l3.h), or whose Makefile does not link loader/l3.o into
 * ppbench (the functions are weak: NULL), has no routed configuration, and
 * its rows run with ours only.
 */
#if __has_include("l3.h")
#include "l3.h"
#pragma weak pp_l3_uplink_install
#pragma weak pp_l3_dev_conf
#define PPB_L3		1
#else
#define PPB_L3		0
#endif

/*
 * The chained paths (issue 17) need the chain tables (include/polyport.h,
 * "service chains"): a --baseline commit without them has no chained
 * configuration, and those rows run with ours only.
 */
#ifdef PP_CHAIN_HOPS_MAX
#define PPB_CHAIN	1
#else
#define PPB_CHAIN	0
#endif

#define MAXREP		32
#define EXT_MAC		{ 0x02, 0, 0, 0, 0, 0xaa }

static const __u8 BASE_MAC[6] = { 0x52, 0x54, 0x00, 0x00, 0, 0 };

/*
 * The routed configuration (R): L3 domain L3_DOM with kernel table
 * L3_TABLE in the benchmark's namespace (gone with it): L3_ROUTES /24s
 * (10.128.0.0/24, 10.128.1.0/24, ...) and the default via the uplink's
 * next hop L3_NH (onlink), and the L3 port's subnet 10.1.0.0/24 on its tap.
 * The VM's frames go to L3_DST, in the middle of those routes; the
 * uplink's, from L3_OUT to the L3 port's address L3_VM.  The uplink's MAC
 * is UP_MAC (MAC(0) of the generator's base UP_BASE); the next hop's is
 * EXT_MAC.
 */
#define L3_DOM		1
#define L3_TABLE	1801
#define L3_ROUTES	10000
#define L3_ROUTE_DST	5000	/* the route the VM's frames take */
static const __u8 GW_MAC[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const __u8 UP_BASE[6] = { 0x02, 0, 0, 0x01, 0, 0 };
static const __u8 UP_MAC[6] = { 0x02, 0, 0, 0x01, 0, 0x01 };
static const __u8 L3_VM[4] = { 10, 1, 0, 2 }, L3_NH[4] = { 192, 0, 2, 1 };
static const __u8 L3_UP[4] = { 192, 0, 2, 2 }, L3_OUT[4] = { 198, 51, 100, 7 };
static const __u8 L3_DST[4] = { 10, 128 + (L3_ROUTE_DST >> 8), L3_ROUTE_DST & 0xff, 9 };

/*
 * The chained configuration (Z): network 1 (untagged on Z's device, as U's)
 * steered by chain CHAIN_ID (the networks' id space, table slot
 * CHAIN_SLOT): one hop, one instance, a one-port hop (ingress = egress) on
 * the function's veth (instance port 2, VLAN 1); its classifier one entry,
 * UDP to SEC_DPORT (the IPv4 frames' port); every source (a chain without
 * `sources`), not symmetric, on-failure drop.  The client is service port
 * 1 (instance port 1, VLAN 1), as U's.
 */
#define CHAIN_ID	2
#define CHAIN_SLOT	1
#define CHAIN_HOP_PORT	2	/* the hop port's service port id */

static int quick;
static struct gen_bpf *G;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ppbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

#define TRY(x) do { int e_ = (x); if (e_ < 0) die("%s:%d: %s: %s", __FILE__, __LINE__, #x, strerror(-e_)); } while (0)

static int ifx(const char *name)
{
	int i = (int)if_nametoindex(name);

	if (!i)
		die("device %s: %s", name, strerror(errno));
	return i;
}

/* MAC of instance port d (0-based): the generator writes the same. */
static void mac_of(unsigned d, __u8 mac[6])
{
	memcpy(mac, BASE_MAC, 6);
	mac[4] = (d + 1) >> 8;
	mac[5] = (d + 1) & 0xff;
}

/* Put prog_fd (-1: nothing) on ifindex as its XDP program, native mode. */
static int xdp_set(int ifindex, int prog_fd)
{
	if (prog_fd < 0)
		return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	return bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL);
}

static int pfd(struct bpf_program *p)
{
	return bpf_program__fd(p);
}

static int map_set(struct bpf_map *m, __u32 k, __u32 v)
{
	return bpf_map_update_elem(bpf_map__fd(m), &k, &v, 0) ? -errno : 0;
}

/* Frames a sink counted (sink_cnt: every sink but the chained paths' function, hop_cnt). */
static __u64 cnt_sum(struct bpf_map *m)
{
	static __u64 *v;
	static int ncpu;
	__u32 k = 0;
	__u64 s = 0;

	if (!v) {
		ncpu = libbpf_num_possible_cpus();
		v = calloc(ncpu, sizeof(*v));
		if (!v)
			die("out of memory");
	}
	if (bpf_map_lookup_elem(bpf_map__fd(m), &k, v))
		die("sink counter: %s", strerror(errno));
	for (int i = 0; i < ncpu; i++)
		s += v[i];
	return s;
}

static __u64 sink_sum(void)
{
	return cnt_sum(G->maps.sink_cnt);
}

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, f, a) : 0;
}

static void open_gen(void)
{
	G = gen_bpf__open_and_load();
	if (!G)
		die("loading bench/gen.bpf.c: %s", strerror(errno));
}

/* ==== the topology ======================================================== */

/*
 * One polyport configuration: its own loader instance (pin root), instance
 * ports d = 0..ndev-1 on veths b[d] (the generator sends into their peers
 * a[d]; the peers a[d] sink what polyport sends toward the VM), per_dev
 * single-tag service ports each (VIDs 1..per_dev), bound to networks on one
 * network device n (peer s: the sink toward the network; the generator
 * sends into s toward the VM).  nnets == 0: one untagged network (a pop
 * toward the network, a push toward the VM); else networks 1..nnets with
 * their own VLAN on n (service port k of the configuration, 0-based, is
 * bound to network k % nnets + 1: a pop and a push each way).
 */
struct inst {
	const char *name;
	const char *a, *b, *n, *s;	/* device names; a, b: printf formats with ndev > 1 */
	unsigned ndev, per_dev, nnets;
	int tc;				/* TC mode (XDP_PASS in front) instead of XDP */
	int quick;			/* part of the smoke run */
	int both;			/* XDP with polyport's TC behind it (what XDP hands over) */
	int sec;			/* its service ports have port security and rules */
	int l3;				/* one L3 port routed to an uplink n (L3 domain L3_DOM) */
	int chain;			/* instance port 2 is a chain's hop (CHAIN_ID); a: see Z */
	int open;
	int *ia, *ib, in, is;		/* ifindexes */
	struct pp_dataplane dp;
	/*
	 * --baseline: another commit's programs (and maps) for the same
	 * devices (ppbench install, built from that commit), pinned by the
	 * child that loaded them; side 1 runs them, side 0 ours.
	 */
	int has_base, side;
	int base_xdp[2], base_tc[2];	/* by enum pp_role */
};

enum { I_U, I_V, I_K, I_M, I_T, I_W, I_L, I_E, I_R, I_Z, I_COUNT };

#define INST_(nm, A, B, N, S, nd, per, nn, t, q, bo, se) { .name = nm, .a = A, .b = B,	\
	.n = N, .s = S, .ndev = nd, .per_dev = per, .nnets = nn, .tc = t, .quick = q, .both = bo,	\
	.sec = se }

/*
 * L (flood): three instance ports, one service port each, all on one
 * untagged network: a broadcast from the first goes to the network and to
 * the two others, a copy each with its own tag: polyport's XDP hands it to
 * its TC (clones).  E (security): one service port with port security (its
 * address) and a few stateless rules its frames pass.  R (routed): one L3
 * port (VLAN 1, address L3_VM) on tap b, routed by the domain's table to
 * the uplink n (polyport's XDP netdev program on it); s sinks what leaves
 * by the uplink and takes the generator's frames toward the VM.  Z
 * (chained, see CHAIN_ID): b1 the client's tap, b2 the function's; the
 * generator sends into a1 (the client's frames) or a2 (the function's
 * returns); a2 sinks what the chain sends to the function (hop_sink, a
 * counter of its own), s what reaches the network.
 */
static struct inst INST[I_COUNT] = {
	[I_U] = INST_("u", "pptbua", "pptbub", "pptbun", "pptbus", 1, 1, 0, 0, 1, 0, 0),
	[I_V] = INST_("v", "pptbva", "pptbvb", "pptbvn", "pptbvs", 1, 1, 1, 0, 0, 0, 0),
	[I_K] = INST_("k", "pptbka", "pptbkb", "pptbkn", "pptbks", 1, 4094, 4094, 0, 0, 0, 0),
	[I_M] = INST_("m", "pptbma%u", "pptbmb%u", "pptbmn", "pptbms", 1000, 100, 400, 0, 0, 0, 0),
	[I_T] = INST_("t", "pptbta", "pptbtb", "pptbtn", "pptbts", 1, 1, 0, 1, 1, 0, 0),
	/* W: b is the benchmark's tap (written and read by ppbench) */
	[I_W] = INST_("w", NULL, "pptbtap", "pptbwn", "pptbws", 1, 1, 0, 0, 1, 1, 0),
	[I_L] = INST_("l", "pptbla%u", "pptblb%u", "pptbln", "pptbls", 3, 1, 0, 0, 1, 1, 0),
	[I_E] = INST_("e", "pptbea", "pptbeb", "pptben", "pptbes", 1, 1, 0, 0, 1, 0, 1),
	[I_R] = { .name = "r", .a = "pptbya", .b = "pptbyb", .n = "pptbyn", .s = "pptbys", .ndev = 1,
		  .per_dev = 1, .quick = 1, .l3 = 1 },
	[I_Z] = { .name = "z", .a = "pptbza%u", .b = "pptbzb%u", .n = "pptbzn", .s = "pptbzs",
		  .ndev = 2, .per_dev = 1, .quick = 1, .chain = 1 },
};

/* Can this build program the routed configuration? (see PPB_L3) */
static int l3_supported(void)
{
#if PPB_L3
	return pp_l3_uplink_install && pp_l3_dev_conf;
#else
	return 0;
#endif
}

/* The security path's addresses: the VM's (allowed by port security) and its peer's. */
static const __u8 SEC_SRC[4] = { 10, 1, 0, 2 }, SEC_DST[4] = { 10, 1, 0, 9 };
#define SEC_DPORT	5001		/* allowed by the fourth egress rule */

static void devname(char *buf, const char *fmt, unsigned d, unsigned ndev)
{
	if (ndev > 1)
		snprintf(buf, IFNAMSIZ, fmt, d + 1);
	else
		snprintf(buf, IFNAMSIZ, "%s", fmt);
}

static int tap_fd = -1;

/* The benchmark's tap, opened as QEMU opens it: IFF_TAP|IFF_NO_PI, non-blocking. */
static int tap_open(const char *name)
{
	struct ifreq ifr = {};
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), s;

	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -errno;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		ifr.ifr_qlen = 1024;	/* tun's ring toward the reader */
		ioctl(s, SIOCSIFTXQLEN, &ifr);
		ioctl(s, SIOCGIFFLAGS, &ifr);
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
		close(s);
	}
	return fd;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* pp_rules_compile's entries, written as they come (no frame runs yet). */
static int rule_put(void *arg, enum pp_map_id id, const void *key, const void *val)
{
	return pp_map_put(arg, id, key, val);
}

/*
 * Port security for service port id with MAC mac, as polyportd writes it:
 * its address SEC_SRC and its MAC's link-local address may send; and a few
 * stateless rules each way (first match wins, default deny).  The bench's
 * frames (UDP to SEC_DST:SEC_DPORT) pass the security checks and match the
 * fourth egress rule.
 */
static void sec_install(struct pp_maps *m, __u32 id, const __u8 mac[6])
{
	struct pp_rule_in eg[] = {
		{ .proto = IPPROTO_TCP, .lo = 22, .hi = 22 },
		{ .proto = IPPROTO_UDP, .allow = 1, .lo = 53, .hi = 53, .to_family = 4, .to_plen = 8,
		  .to = { 10 } },
		{ .proto = IPPROTO_ICMP, .allow = 1 },
		{ .proto = IPPROTO_UDP, .allow = 1, .lo = 5000, .hi = 5999, .to_family = 4,
		  .to_plen = 24, .to = { SEC_DST[0], SEC_DST[1], SEC_DST[2] } },
	};
	struct pp_rule_in ig[] = {
		{ .proto = IPPROTO_TCP, .allow = 1, .lo = 80, .hi = 80 },
		{ .proto = IPPROTO_ICMP, .allow = 1 },
	};
	struct pp_cfg_addr a = { .family = PP_AF_INET, .plen = 32 };
	struct pp_sec_key k;
	struct pp_sec_src v;

	memcpy(a.addr, SEC_SRC, 4);
	pp_sec_src_encode(&k, &v, id, &a, 32, mac);
	TRY(pp_sec_src_put(m, k, &v));
	pp_link_local_of(&a, mac);
	pp_sec_src_encode(&k, &v, id, &a, 128, mac);
	TRY(pp_sec_src_put(m, k, &v));
	TRY(pp_rules_compile(id, PP_DIR_EGRESS, eg, sizeof(eg) / sizeof(eg[0]), 0, rule_put, m));
	TRY(pp_rules_compile(id, PP_DIR_INGRESS, ig, sizeof(ig) / sizeof(ig[0]), 0, rule_put, m));
}

#if PPB_L3
/*
 * The routed configuration's L3 entries, as polyportd writes them
 * (loader/reconcile.c: reconcile_l3domains, reconcile_sports,
 * reconcile_l3addrs; loader/l3nh.c for the next hop): the domain, then
 * (after its L3 port) the port's address, the uplink and its next hop's MAC,
 * as the resolver would have found it.  The kernel side (table, sysctls):
 * l3_kernel_setup().
 */
static void l3_domain(struct pp_maps *m)
{
	struct pp_l3dom d = { .table = L3_TABLE, .mtu = 1500 };

	memcpy(d.gw_mac, GW_MAC, 6);
	TRY(pp_l3dom_put(m, L3_DOM, &d));
}

static void l3_rest(struct inst *in, __u32 sport)
{
	struct pp_maps *m = &in->dp.maps;
	struct pp_l3addr_key ak = { .dom = L3_DOM, .family = PP_NEIGH_V4 };
	struct pp_l3up up = { .dom = L3_DOM, .flags = PP_L3UP_V4 };
	struct pp_l3nh_key nk = { .ifindex = in->in, .family = PP_NEIGH_V4 };
	struct pp_l3nh nh = { .updated_ns = now_ns(), .flags = PP_L3NH_VALID };
	static const __u8 ext[6] = EXT_MAC;

	memcpy(ak.addr, L3_VM, 4);
	TRY(pp_l3addr_put(m, ak, &sport));
	memcpy(up.mac, UP_MAC, 6);
	memcpy(up.ip4, L3_UP, 4);
	TRY(pp_l3_uplink_install(m, L3_DOM, in->in, &up));
	memcpy(nk.addr, L3_NH, 4);
	memcpy(nh.mac, ext, 6);
	TRY(pp_l3nh_put(m, nk, &nh));
}

/*
 * The kernel's side of the routed configuration, in the benchmark's
 * namespace: the uplink's MAC, forwarding on its devices (as polyportd's
 * pp_l3_dev_conf: the fib lookup answers FWD_DISABLED without it), and
 * table L3_TABLE with its L3_ROUTES routes, through one ip -batch.
 */
static void l3_kernel_setup(const struct inst *in)
{
	double t0 = now_ms();
	FILE *ip = popen("ip -batch -", "w");

	if (!ip)
		die("ip -batch: %s", strerror(errno));
	/* an onlink gateway is checked against the local table: lo's address makes it */
	fprintf(ip, "link set lo up\n");
	fprintf(ip, "link set %s address %02x:%02x:%02x:%02x:%02x:%02x\n", in->n, UP_MAC[0],
		UP_MAC[1], UP_MAC[2], UP_MAC[3], UP_MAC[4], UP_MAC[5]);
	fprintf(ip, "route replace %u.%u.%u.0/24 dev %s table %u\n", L3_VM[0], L3_VM[1], L3_VM[2],
		in->b, L3_TABLE);
	fprintf(ip, "route replace default via %u.%u.%u.%u dev %s onlink table %u\n", L3_NH[0],
		L3_NH[1], L3_NH[2], L3_NH[3], in->n, L3_TABLE);
	for (unsigned i = 0; i < L3_ROUTES; i++)
		fprintf(ip, "route replace 10.%u.%u.0/24 via %u.%u.%u.%u dev %s onlink table %u\n",
			128 + (i >> 8), i & 0xff, L3_NH[0], L3_NH[1], L3_NH[2], L3_NH[3], in->n,
			L3_TABLE);
	if (pclose(ip))
		die("ip -batch: the routed configuration's routes failed");
	TRY(pp_l3_dev_conf(in->b, false));
	TRY(pp_l3_dev_conf(in->n, true));
	fprintf(stderr, "ppbench: table %u: %u routes + the default + the L3 port's subnet in %.0f ms\n",
		L3_TABLE, L3_ROUTES, now_ms() - t0);
}

/* Its routes go (the namespace's deletion would take them too). */
static void l3_kernel_cleanup(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "ip route flush table %u", L3_TABLE);
	if (system(cmd))
		fprintf(stderr, "ppbench: %s failed\n", cmd);
}
#endif

#if PPB_CHAIN
/*
 * The chained configuration's entries, as polyportd writes them
 * (loader/chains.c): first the chain's own network entry (chain_prepare:
 * pp_nets[CHAIN_ID] = {chain = CHAIN_ID}, before the hop port, whose
 * net_id it is); then (chain_activate, after the service ports) where a
 * frame from the hop port comes back from, the hop's instance table (every
 * slot instance 0, live), the classifier's rule set, the chain, and last
 * the network's pp_nets entry naming it.
 */
static void chain_prepare(struct pp_maps *m)
{
	struct pp_net v = { .chain = CHAIN_ID };

	TRY(pp_net_put(m, CHAIN_ID, &v));
}

static void chain_activate(struct pp_maps *m)
{
	struct pp_chain_port cp = { .chain = CHAIN_ID, .role = PP_CHAIN_ROLE_IN | PP_CHAIN_ROLE_OUT };
	struct pp_chain_hop hop = { .n_inst = 1, .n_live = 1, .chain = CHAIN_ID,
				    .inst = { { CHAIN_HOP_PORT, CHAIN_HOP_PORT } } };
	struct pp_chain c = { .net_id = 1, .slot = CHAIN_SLOT, .n_hops = 1,
			      .flags = PP_CHAIN_ALL_SOURCES };
	struct pp_rule_in cl = { .proto = IPPROTO_UDP, .lo = SEC_DPORT, .hi = SEC_DPORT };
	struct pp_net net;

	TRY(pp_chain_port_put(m, CHAIN_HOP_PORT, &cp));
	memset(hop.slots, 0, sizeof(hop.slots));	/* every flow: instance 0 */
	TRY(pp_chain_hop_put(m, CHAIN_SLOT * PP_CHAIN_HOPS_MAX + 0, &hop));
	TRY(pp_rules_compile(CHAIN_ID, PP_DIR_CHAIN_FWD, &cl, 1, 0, rule_put, m));
	TRY(pp_chain_put(m, CHAIN_ID, &c));
	TRY(pp_net_get(m, 1, &net));
	net.chain = CHAIN_ID;
	TRY(pp_net_put(m, 1, &net));
}
#endif

/*
 * Load polyport for a configuration with its maps pinned under pin, and
 * write them: networks, instance ports, service ports, the devices XDP may
 * transmit to.  Attaches nothing (inst_attach), so that ppbench install
 * (another commit's programs, --baseline) can do the same.
 */
static void inst_config(struct inst *in, const char *pin)
{
	struct pp_map_sizes sz;
	struct pp_maps *m = &in->dp.maps;
	char name[IFNAMSIZ];
	unsigned nports = in->ndev * in->per_dev;

	pp_map_sizes_default(&sz);
	sz.max_ifindex = 65536;		/* a direct index: its size costs nothing per frame */
	TRY(pp_dp_open(&in->dp, pin, &sz));
	in->open = 1;
	in->ia = calloc(in->ndev, sizeof(int));
	in->ib = calloc(in->ndev, sizeof(int));
	if (!in->ia || !in->ib)
		die("out of memory");
	for (unsigned d = 0; d < in->ndev; d++) {
		if (in->a) {
			devname(name, in->a, d, in->ndev);
			in->ia[d] = ifx(name);
		}
		devname(name, in->b, d, in->ndev);
		in->ib[d] = ifx(name);
	}
	in->in = ifx(in->n);
	in->is = ifx(in->s);

#if PPB_L3
	if (in->l3)
		l3_domain(m);
#endif
#if PPB_CHAIN
	if (in->chain)
		chain_prepare(m);
#endif
	if (!in->nnets && !in->l3) {
		struct pp_net net = { .ifindex = in->in, .mtu = 1500 };

		TRY(pp_dp_net_install(m, 1, &net));
	}
	for (unsigned id = 1; id <= in->nnets; id++) {
		struct pp_net net = { .ifindex = in->in, .vlan = id, .mtu = 1500 };

		TRY(pp_dp_net_install(m, id, &net));
	}
	for (unsigned d = 0; d < in->ndev; d++) {
		struct pp_iport ip = { .ifindex = in->ib[d], .mtu = 1500 };

		mac_of(d, ip.mac);
		TRY(pp_dp_iport_install(m, d + 1, &ip, NULL));
	}
	for (unsigned k = 0; k < nports; k++) {
		unsigned d = k / in->per_dev, vid = k % in->per_dev + 1;
		struct pp_sport sp = { .slot = d + 1, .match = PP_MATCH_VLAN, .outer_vid = vid,
				       .net_id = in->nnets ? k % in->nnets + 1 : 1 };

		mac_of(d, sp.mac);
		if (in->sec) {
			sp.flags |= PP_SPORT_SECURITY;
			sec_install(m, k + 1, sp.mac);
		}
#if PPB_L3
		/* an L3 port: the domain's id; ARP for the gateway always answered */
		if (in->l3)
			sp.flags |= PP_SPORT_L3 | PP_SPORT_RESPONDER;
#endif
		/* the function's port: the chain's hop (no services, no network) */
		if (in->chain && k + 1 == CHAIN_HOP_PORT)
			sp.net_id = CHAIN_ID;
		TRY(pp_dp_sport_install(m, k + 1, &sp));
	}
#if PPB_L3
	if (in->l3)
		l3_rest(in, 1);
#endif
#if PPB_CHAIN
	if (in->chain)
		chain_activate(m);
#endif
	if (!in->tc) {
		for (unsigned d = 0; d < in->ndev; d++)
			TRY(pp_xdp_tx_set(m, in->ib[d], true));
		TRY(pp_xdp_tx_set(m, in->in, true));
	}
}

/* The programs of a configuration on the side it runs (0: ours, 1: the baseline's). */
static int xdp_fd(const struct inst *in, enum pp_role r)
{
	return in->side ? in->base_xdp[r] : in->dp.xdp_prog_fd[r];
}

static int tc_fd(const struct inst *in, enum pp_role r)
{
	return in->side ? in->base_tc[r] : in->dp.prog_fd[r];
}

/*
 * Put prog_fd on the TC ingress of ifindex as polyport's filter (replacing
 * it); create: the clsact qdisc first (once: again, the kernel complains).
 */
static int tc_set(int ifindex, int prog_fd, int create)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = PP_TC_HANDLE, .priority = PP_TC_PRIO,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int err = create ? bpf_tc_hook_create(&hook) : 0;

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &o);
}

/* Its TC programs (TC mode, or TC behind XDP) on its devices. */
static void inst_tc(struct inst *in, int create)
{
	if (!in->tc && !in->both)
		return;
	for (unsigned d = 0; d < in->ndev; d++)
		TRY(tc_set(in->ib[d], tc_fd(in, PP_ROLE_TAP), create));
	TRY(tc_set(in->in, tc_fd(in, PP_ROLE_NET), create));
}

/* Attach a configuration: XDP (the fast path) or TC behind an XDP_PASS; the sinks. */
static void inst_attach(struct inst *in)
{
	inst_tc(in, 1);
	for (unsigned d = 0; d < in->ndev; d++) {
		TRY(xdp_set(in->ib[d], in->tc ? pfd(G->progs.pass) : xdp_fd(in, PP_ROLE_TAP)));
		if (in->a)	/* Z: the function's frames counted apart */
			TRY(xdp_set(in->ia[d], pfd(in->chain && d + 1 == CHAIN_HOP_PORT ?
						   G->progs.hop_sink : G->progs.sink)));
	}
	TRY(xdp_set(in->in, in->tc ? pfd(G->progs.pass) : xdp_fd(in, PP_ROLE_NET)));
	TRY(xdp_set(in->is, pfd(G->progs.sink)));
}

static void inst_install(struct inst *in)
{
	char pin[64];
	double t0 = now_ms();

	snprintf(pin, sizeof(pin), "/sys/fs/bpf/pptb-%s", in->name);
	inst_config(in, pin);
	inst_attach(in);
	fprintf(stderr, "ppbench: configuration %s: %u instance ports x %u service ports, %u networks"
		" (%s), installed and attached in %.0f ms (%lu map writes); programs: tap_xdp %u"
		" net_xdp %u tap_tc %u net_tc %u\n", in->name, in->ndev, in->per_dev,
		in->nnets ? in->nnets : 1, in->tc ? "TC" : "XDP", now_ms() - t0, in->dp.maps.writes,
		prog_id(in->dp.xdp_prog_fd[PP_ROLE_TAP]), prog_id(in->dp.xdp_prog_fd[PP_ROLE_NET]),
		prog_id(in->dp.prog_fd[PP_ROLE_TAP]), prog_id(in->dp.prog_fd[PP_ROLE_NET]));
}

/* Sum of polyport's drop counters of a configuration (sanity: should stay 0). */
static __u64 inst_drops(struct inst *in)
{
	__u64 sum = 0;

	if (!in->open)
		return 0;
	for (unsigned i = 0; i <= in->ndev; i++) {
		struct pp_drops d;

		if (!pp_iport_drops_get(&in->dp.maps, i, &d))
			for (int r = 0; r < PP_DROP_MAX; r++)
				sum += d.reason[r];
	}
	/* (the chain's drops are counted at its id: chain_context, chain_down) */
	for (unsigned i = 0; i <= (in->chain ? CHAIN_ID : in->nnets ? in->nnets : 1); i++) {
		struct pp_drops d;

		if (!pp_net_drops_get(&in->dp.maps, i, &d))
			for (int r = 0; r < PP_DROP_MAX; r++)
				sum += d.reason[r];
	}
	return sum;
}

/* ---- program swaps between rows ------------------------------------------ */

enum need {
	N_NONE,
	N_M_PP, N_M_FWD,			/* the 1,000 instance ports of M: polyport / fixed redirect */
	N_TAP_SINK, N_TAP_FWD, N_TAP_PP, N_TAP_TC,	/* XDP on the tap */
	N_WN_FWD, N_WN_PP,			/* XDP on the tap's network device */
	N_MN_FAN, N_MN_PP,			/* XDP on M's network device */
	N_RB_FIB, N_RB_PP,			/* XDP on R's tap: the routing ceiling / polyport */
	N_RN_FIB, N_RN_PP,			/* XDP on R's uplink */
};

static int m_state = N_M_PP, tap_state = -1, wn_state = N_WN_PP, mn_state = N_MN_PP;
static int rb_state = N_RB_PP, rn_state = N_RN_PP;

static void need(int n)
{
	struct inst *m = &INST[I_M], *w = &INST[I_W], *rt = &INST[I_R];

	switch (n) {
	case N_M_PP:
	case N_M_FWD:
		if (m_state == n || !m->open)
			return;
		for (unsigned d = 0; d < m->ndev; d++) {
			if (n == N_M_FWD)
				TRY(map_set(G->maps.fwd_tx, m->ib[d], m->in));
			TRY(xdp_set(m->ib[d], n == N_M_FWD ? pfd(G->progs.fwd) :
					      xdp_fd(m, PP_ROLE_TAP)));
		}
		m_state = n;
		return;
	case N_MN_FAN:
	case N_MN_PP:
		if (mn_state == n || !m->open)
			return;
		for (unsigned d = 0; n == N_MN_FAN && d < m->ndev; d++)
			TRY(map_set(G->maps.fan_tx, d, m->ib[d]));
		TRY(xdp_set(m->in, n == N_MN_FAN ? pfd(G->progs.fan) : xdp_fd(m, PP_ROLE_NET)));
		mn_state = n;
		return;
	case N_TAP_SINK:
	case N_TAP_FWD:
	case N_TAP_PP:
	case N_TAP_TC:
		if (tap_state == n)
			return;
		TRY(map_set(G->maps.fwd_tx, w->ib[0], w->in));
		TRY(xdp_set(w->ib[0], n == N_TAP_SINK ? pfd(G->progs.sink) :
				      n == N_TAP_FWD ? pfd(G->progs.fwd) :
				      n == N_TAP_PP ? xdp_fd(w, PP_ROLE_TAP) : -1));
		tap_state = n;
		return;
	case N_WN_FWD:
	case N_WN_PP:
		if (wn_state == n)
			return;
		TRY(map_set(G->maps.fwd_tx, w->in, w->ib[0]));
		TRY(xdp_set(w->in, n == N_WN_FWD ? pfd(G->progs.fwd) : xdp_fd(w, PP_ROLE_NET)));
		wn_state = n;
		return;
	case N_RB_FIB:
	case N_RB_PP:
		if (rb_state == n || !rt->open)
			return;
		TRY(xdp_set(rt->ib[0], n == N_RB_FIB ? pfd(G->progs.fib) : xdp_fd(rt, PP_ROLE_TAP)));
		rb_state = n;
		return;
	case N_RN_FIB:
	case N_RN_PP:
		if (rn_state == n || !rt->open)
			return;
		TRY(xdp_set(rt->in, n == N_RN_FIB ? pfd(G->progs.fib) : xdp_fd(rt, PP_ROLE_NET)));
		rn_state = n;
		return;
	}
}

/*
 * Run a configuration's own programs (side 0) or the baseline's (side 1) on
 * its devices.  The 1,000 taps of M and the tap of W change programs by
 * row (need()): their state is forgotten, so that need() attaches the
 * side's.
 */
static void inst_side(struct inst *in, int side)
{
	if (in->side == side)
		return;
	in->side = side;
	inst_tc(in, 0);
	if (in == &INST[I_M]) {
		m_state = mn_state = -1;
		return;
	}
	if (in == &INST[I_W]) {
		tap_state = wn_state = -1;
		return;
	}
	if (in == &INST[I_R]) {
		rb_state = rn_state = -1;
		return;
	}
	if (in->tc)
		return;
	for (unsigned d = 0; d < in->ndev; d++)
		TRY(xdp_set(in->ib[d], xdp_fd(in, PP_ROLE_TAP)));
	TRY(xdp_set(in->in, xdp_fd(in, PP_ROLE_NET)));
}

/* ==== the paths ============================================================ */

enum how { GEN, TAPW, TAPR };

enum {
	F_QUICK = 1,	/* part of the smoke run */
	F_OVS = 2,	/* needs OVS (bench.sh started it) */
	F_ASYNC = 4,	/* a userspace forwarder: let it drain before counting */
	F_BCAST = 8,	/* broadcast frames: the sinks count a copy per instance port */
	F_IP4 = 16,	/* IPv4/UDP frames (the security path's), not a bare payload */
	F_L3 = 32,	/* routed IPv4/UDP frames (R): to the gateway MAC / the uplink's */
	F_UNTAG = 64,	/* F_L3 toward the network: untagged (the routing ceiling's) */
	F_CHAIN = 128,	/* a chained path (Z): verified to take the chain (chain_check) */
	F_HOP = 256,	/* F_CHAIN: counted at the function (hop_sink), not at the network */
};

struct row {
	const char *key, *system, *variant, *dir;
	unsigned sports, iports;
	enum how how;
	int inst;			/* the polyport configuration, or -1 */
	int mode;			/* generator direction */
	unsigned ndev, per_dev, nnets;	/* the generator's walk */
	const char *target;		/* where the generator sends (printf format if ndev > 1) */
	int need;
	unsigned flags;
	const char *ceil, *gceil;	/* ratio against; the generator's own ceiling */
	const char *over;		/* ns added over (per round); NULL: none */
	double v[MAXREP];
	unsigned n;
	__u64 drops;
	double note;			/* TAPR: share of generated frames read */
	__u64 sent;			/* frames generated while measuring */
	double gen_s;			/* and the time it took */
};

#define V2N "vm-to-net"
#define N2V "net-to-vm"
#define TV2N "tap-vm-to-net"
#define TN2V "tap-net-to-vm"

#define ROW_(k, sy, va, di, sp, ip, hw, in_, mo, nd, per, nn, tg, ne, fl, ce, gc, ov) {	\
	.key = k, .system = sy, .variant = va, .dir = di, .sports = sp, .iports = ip,	\
	.how = hw, .inst = in_, .mode = mo, .ndev = nd, .per_dev = per, .nnets = nn,	\
	.target = tg, .need = ne, .flags = fl, .ceil = ce, .gceil = gc, .over = ov }

/*
 * "over" is what a path's added ns a frame are counted against: the fixed
 * redirect of its direction; at 1,000 x 100 the same-scale ceiling (the
 * fixed redirect over 1,000 devices); on the tap, the fixed tap redirect.
 */
static struct row ROWS[] = {
	/* VM -> network: 64-byte single-tag frames */
	ROW_("v2n-rx", "ceiling", "receive: generator -> XDP_DROP", V2N, 1, 1, GEN, -1, GEN_TO_NET,
	  1, 1, 0, "pptbra", 0, F_QUICK, "v2n-fwd", "v2n-rx", NULL),
	ROW_("v2n-fwd", "ceiling", "forward: fixed devmap redirect", V2N, 1, 1, GEN, -1, GEN_TO_NET,
	  1, 1, 0, "pptbca", 0, F_QUICK, "v2n-fwd", "v2n-rx", NULL),
	ROW_("v2n-pp-1u", "polyport-xdp", "classify + pop, untagged network", V2N, 1, 1, GEN, I_U,
	  GEN_TO_NET, 1, 1, 0, "pptbua", 0, F_QUICK, "v2n-fwd", "v2n-rx", "v2n-fwd"),
	ROW_("v2n-pp-1", "polyport-xdp", "classify + pop + push, VLAN network", V2N, 1, 1, GEN, I_V,
	  GEN_TO_NET, 1, 1, 0, "pptbva", 0, 0, "v2n-fwd", "v2n-rx", "v2n-fwd"),
	ROW_("v2n-pp-4094", "polyport-xdp", "classify + pop + push, VLAN networks", V2N, 4094, 1, GEN,
	  I_K, GEN_TO_NET, 1, 4094, 0, "pptbka", 0, 0, "v2n-fwd", "v2n-rx", "v2n-fwd"),
	ROW_("v2n-pp-100k", "polyport-xdp", "classify + pop + push, VLAN networks", V2N, 100000, 1000,
	  GEN, I_M, GEN_TO_NET, 1000, 100, 0, "pptbma%u", N_M_PP, 0, "v2n-fwd", "v2n-rx",
	  "v2n-fwd-1000"),
	ROW_("v2n-fwd-1000", "ceiling", "forward over 1,000 devices (M topology)", V2N, 100000, 1000,
	  GEN, I_M, GEN_TO_NET, 1000, 100, 0, "pptbma%u", N_M_FWD, 0, "v2n-fwd", "v2n-rx", "v2n-fwd"),
	ROW_("v2n-flood", "polyport-xdp", "broadcast: XDP -> TC flood, 3 copies", V2N,
	  3, 3, GEN, I_L, GEN_TO_NET, 1, 1, 0, "pptbla1", 0, F_QUICK | F_BCAST, "v2n-fwd", "v2n-rx",
	  "v2n-fwd"),
	ROW_("v2n-sec", "polyport-xdp", "classify + security + 6 rules + pop, IPv4/UDP", V2N, 1,
	  1, GEN, I_E, GEN_TO_NET, 1, 1, 0, "pptbea", 0, F_QUICK | F_IP4, "v2n-fwd", "v2n-rx",
	  "v2n-fwd"),
	ROW_("v2n-tc", "polyport-tc", "TC: classify + pop (XDP_PASS in front)", V2N, 1, 1, GEN, I_T,
	  GEN_TO_NET, 1, 1, 0, "pptbta", 0, F_QUICK, "v2n-fwd", "v2n-rx", "v2n-fwd"),
	ROW_("v2n-bridge", "bridge", "Linux bridge, static fdb (no VLAN handling)", V2N, 1, 1, GEN, -1,
	  GEN_TO_NET, 1, 1, 0, "pptbba", 0, F_QUICK, "v2n-fwd", "v2n-rx", "v2n-fwd"),
	ROW_("v2n-ovsx", "ovs-afxdp", "OVS netdev datapath, AF_XDP ports, trunk -> access", V2N, 1, 1,
	  GEN, -1, GEN_TO_NET, 1, 1, 0, "pptboa", 0, F_OVS | F_ASYNC, "v2n-fwd", "v2n-rx", "v2n-fwd"),
	ROW_("v2n-ovsp", "ovs-afpacket", "OVS netdev datapath, AF_PACKET ports, trunk -> access", V2N,
	  1, 1, GEN, -1, GEN_TO_NET, 1, 1, 0, "pptbpa", 0, F_OVS | F_ASYNC, "v2n-fwd", "v2n-rx",
	  "v2n-fwd"),

	/* network -> VM: untagged 60-byte frames (untagged network) or 64-byte tagged */
	ROW_("n2v-rx", "ceiling", "receive: generator -> XDP_DROP", N2V, 1, 1, GEN, -1, GEN_TO_VM,
	  1, 1, 0, "pptbra", 0, F_QUICK, "n2v-fwd", "n2v-rx", NULL),
	ROW_("n2v-fwd", "ceiling", "forward: fixed devmap redirect", N2V, 1, 1, GEN, -1, GEN_TO_VM,
	  1, 1, 0, "pptbcs", 0, F_QUICK, "n2v-fwd", "n2v-rx", NULL),
	ROW_("n2v-pp-1u", "polyport-xdp", "lookup + push, untagged network", N2V, 1, 1, GEN, I_U,
	  GEN_TO_VM, 1, 1, 0, "pptbus", 0, F_QUICK, "n2v-fwd", "n2v-rx", "n2v-fwd"),
	ROW_("n2v-pp-1", "polyport-xdp", "lookup + pop + push, VLAN network", N2V, 1, 1, GEN, I_V,
	  GEN_TO_VM, 1, 1, 1, "pptbvs", 0, 0, "n2v-fwd", "n2v-rx", "n2v-fwd"),
	ROW_("n2v-pp-4094", "polyport-xdp", "lookup + pop + push, VLAN networks", N2V, 4094, 1, GEN,
	  I_K, GEN_TO_VM, 1, 4094, 4094, "pptbks", 0, 0, "n2v-fwd", "n2v-rx", "n2v-fwd"),
	ROW_("n2v-pp-100k", "polyport-xdp", "lookup + pop + push, VLAN networks", N2V, 100000, 1000,
	  GEN, I_M, GEN_TO_VM, 1000, 100, 400, "pptbms", N_MN_PP, 0, "n2v-fwd", "n2v-rx",
	  "n2v-fwd-1000"),
	ROW_("n2v-fwd-1000", "ceiling", "forward to 1,000 devices by dst MAC (M topology)", N2V,
	  100000, 1000, GEN, I_M, GEN_TO_VM, 1000, 100, 400, "pptbms", N_MN_FAN, 0, "n2v-fwd",
	  "n2v-rx", "n2v-fwd"),
	ROW_("n2v-tc", "polyport-tc", "TC: lookup + push (XDP_PASS in front)", N2V, 1, 1, GEN, I_T,
	  GEN_TO_VM, 1, 1, 0, "pptbts", 0, F_QUICK, "n2v-fwd", "n2v-rx", "n2v-fwd"),

	/*
	 * routed (issue 16): the VM's tap -> an uplink and back, by the fib
	 * lookup in a table of 10,002 routes; the routing ceiling (fib:
	 * untagged IPv4 in, the minimum a router does) and polyport (a tagged
	 * L3 port: classify, pop / push too) alternate on the same devices.
	 * "+ns": over the routing ceiling; the report gives the fixed
	 * redirect's too.
	 */
	ROW_("v2n-fib", "ceiling", "routing: IPv4 fib lookup, TTL, MACs, redirect", V2N, 1, 1, GEN,
	  I_R, GEN_TO_NET, 1, 1, 0, "pptbya", N_RB_FIB, F_QUICK | F_L3 | F_UNTAG, "v2n-fwd",
	  "v2n-rx", "v2n-fwd"),
	ROW_("v2n-pp-l3", "polyport-xdp", "routed: L3 port (VLAN) -> fib -> uplink, pop", V2N, 1, 1,
	  GEN, I_R, GEN_TO_NET, 1, 1, 0, "pptbya", N_RB_PP, F_QUICK | F_L3, "v2n-fib", "v2n-rx",
	  "v2n-fib"),
	ROW_("n2v-fib", "ceiling", "routing: IPv4 fib lookup, TTL, MACs, redirect", N2V, 1, 1, GEN,
	  I_R, GEN_TO_VM, 1, 1, 0, "pptbys", N_RN_FIB, F_QUICK | F_L3, "n2v-fwd", "n2v-rx",
	  "n2v-fwd"),
	ROW_("n2v-pp-l3", "polyport-xdp", "routed: uplink -> fib -> L3 port (VLAN), push", N2V, 1, 1,
	  GEN, I_R, GEN_TO_VM, 1, 1, 0, "pptbys", N_RN_PP, F_QUICK | F_L3, "n2v-fib", "n2v-rx",
	  "n2v-fib"),

	/*
	 * chained (issue 17): Z's network steered by a chain of one hop (a
	 * one-port hop on the function's veth), IPv4/UDP frames its
	 * classifier matches.  VM -> hop: the client's frame classified and
	 * sent to the function's port (pop, push); hop -> network: the
	 * function's return (the original MACs, the hop port's VLAN) past the
	 * last hop to the network's device (pop).  Ratio and "+ns": over the
	 * plain L2 path v2n-pp-1u (the same frames' way without a chain);
	 * the two added together are the cost of a hop.
	 */
	ROW_("v2h-pp-chain", "polyport-xdp", "chain: VM -> classify -> hop port (pop + push)", V2N, 1,
	  1, GEN, I_Z, GEN_TO_NET, 1, 1, 0, "pptbza1", 0, F_QUICK | F_IP4 | F_CHAIN | F_HOP,
	  "v2n-pp-1u", "v2n-rx", "v2n-pp-1u"),
	ROW_("h2n-pp-chain", "polyport-xdp", "chain: hop port -> past the last hop -> network, pop",
	  V2N, 1, 1, GEN, I_Z, GEN_TO_NET, 1, 1, 0, "pptbza2", 0, F_QUICK | F_IP4 | F_CHAIN,
	  "v2n-pp-1u", "v2n-rx", "v2n-pp-1u"),

	/* tap: a userspace writer (as QEMU is) / reader on the tap */
	ROW_("tv2n-rx", "ceiling", "receive: write() -> XDP_DROP on the tap", TV2N, 1, 1, TAPW, I_W, 0,
	  1, 1, 0, NULL, N_TAP_SINK, F_QUICK, "tv2n-rx", "tv2n-rx", NULL),
	ROW_("tv2n-fwd", "ceiling", "forward: write() -> fixed redirect -> veth", TV2N, 1, 1, TAPW, I_W,
	  0, 1, 1, 0, NULL, N_TAP_FWD, 0, "tv2n-rx", "tv2n-rx", NULL),
	ROW_("tv2n-pp", "polyport-xdp", "write() -> classify + pop -> veth", TV2N, 1, 1, TAPW, I_W, 0,
	  1, 1, 0, NULL, N_TAP_PP, F_QUICK, "tv2n-rx", "tv2n-rx", "tv2n-fwd"),
	ROW_("tv2n-tc", "polyport-tc", "write() -> TC classify + pop -> veth", TV2N, 1, 1, TAPW, I_W, 0,
	  1, 1, 0, NULL, N_TAP_TC, 0, "tv2n-rx", "tv2n-rx", "tv2n-fwd"),
	ROW_("tn2v-fwd", "ceiling", "forward: fixed redirect -> tap -> read()", TN2V, 1, 1, TAPR, I_W,
	  GEN_TO_VM, 1, 1, 0, "pptbws", N_WN_FWD, F_QUICK, "tn2v-fwd", "n2v-rx", NULL),
	ROW_("tn2v-pp", "polyport-xdp", "lookup + push -> tap -> read()", TN2V, 1, 1, TAPR, I_W,
	  GEN_TO_VM, 1, 1, 0, "pptbws", N_WN_PP, F_QUICK, "tn2v-fwd", "n2v-rx", "tn2v-fwd"),
};

#define NROWS (sizeof(ROWS) / sizeof(ROWS[0]))

static __u8 FR_TAG[FR_MAX], FR_UNTAG[FR_MAX], FR_IP4[FR_MAX];
static unsigned LEN_TAG, LEN_UNTAG, LEN_IP4;
/* routed (R): the L3 port's (tagged) and the routing ceiling's (untagged) to L3_DST; the uplink's */
static __u8 FR_L3V[FR_MAX], FR_L3U[FR_MAX], FR_L3N[FR_MAX], CSUM_L3V[2], CSUM_L3N[2];
static unsigned LEN_L3V, LEN_L3U, LEN_L3N;

/* The IPv4 header checksum (RFC 791) of the 20 bytes at h. */
static __u16 ip4_csum(const __u8 *h)
{
	__u32 sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += (__u32)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/*
 * An IPv4/UDP frame (UDP without checksum, TTL 64) from src to dst:dport,
 * 64 bytes with a tag (VLAN 1), 60 without; its IPv4 checksum into csum.
 */
static unsigned build_ip4(__u8 *fr, const __u8 *dmac, const __u8 *smac, int tagged,
			  const __u8 *src, const __u8 *dst, __u16 dport, __u8 csum[2])
{
	__u8 l3[48] = { 0x08, 0x00 }, *ip = l3 + 2, *udp = ip + 20;
	struct fspec s = { .dst = dmac, .src = smac, .tags = { { 0x8100, 1 } }, .raw = l3,
			   .raw_len = sizeof(l3) };
	__u16 c;

	if (!tagged)
		s.tags[0].tpid = 0;
	/* IPv4 (20) + UDP (8) + 18 bytes */
	ip[0] = 0x45;
	ip[3] = sizeof(l3) - 2;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	c = ip4_csum(ip);
	ip[10] = csum[0] = c >> 8;
	ip[11] = csum[1] = c & 0xff;
	udp[0] = 40000 >> 8;
	udp[1] = 40000 & 0xff;
	udp[2] = dport >> 8;
	udp[3] = dport & 0xff;
	udp[5] = sizeof(l3) - 22;
	return fr_build(fr, &s);
}

static void build_frames(void)
{
	static const __u8 ext[6] = EXT_MAC;
	__u8 mac[6], c[2];
	struct fspec t = { .dst = ext, .src = mac, .tags = { { 0x8100, 1 } }, .payload = 46 };
	struct fspec u = { .dst = mac, .src = ext, .payload = 46 };

	mac_of(0, mac);
	LEN_TAG = fr_build(FR_TAG, &t);		/* 64 bytes */
	LEN_UNTAG = fr_build(FR_UNTAG, &u);	/* 60 bytes */
	/* 64 bytes too, to SEC_DST:SEC_DPORT */
	LEN_IP4 = build_ip4(FR_IP4, ext, mac, 1, SEC_SRC, SEC_DST, SEC_DPORT, c);
	LEN_L3V = build_ip4(FR_L3V, GW_MAC, mac, 1, L3_VM, L3_DST, 5001, CSUM_L3V);
	LEN_L3U = build_ip4(FR_L3U, GW_MAC, mac, 0, L3_VM, L3_DST, 5001, c);
	LEN_L3N = build_ip4(FR_L3N, UP_MAC, ext, 0, L3_OUT, L3_VM, 5001, CSUM_L3N);
}

/* One live-frames run of repeat frames; returns the kernel's ns per frame, or -errno. */
static int gen_run(const void *data, unsigned len, unsigned repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len, .repeat = repeat,
		    .batch_size = 64, .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(pfd(G->progs.gen), &o) ? -errno : (int)o.duration;
}

static void gen_clock_reset(void)
{
	G->bss->seq = G->bss->seq_first = G->bss->seq_last = 0;
	G->bss->t_first = G->bss->t_last = 0;
	G->bss->nstamps = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median ns of n segment durations (sorted in place); 0 if none. */
static double median_u64(__u64 *d, unsigned n)
{
	if (!n)
		return 0;
	qsort(d, n, sizeof(*d), cmp_u64);
	return n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2.0;
}

/*
 * Frames per ns of the generator's median 16,384-frame segment since
 * gen_clock_reset() (a segment in which the CPU was taken by another task
 * does not count), or over the whole run if it had too few segments.
 */
static double gen_clock_rate(void)
{
	unsigned n = G->bss->nstamps < 4096 ? G->bss->nstamps : 4096, k = 0;
	static __u64 d[4096];
	__u64 dt = G->bss->t_last - G->bss->t_first;

	for (unsigned i = 1; i < n; i++)
		d[k++] = G->bss->stamps[i] - G->bss->stamps[i - 1];
	if (k >= 8)
		return 16384.0 / median_u64(d, k);
	return dt ? (double)(G->bss->seq_last - G->bss->seq_first) / dt : 0;
}

/* How many frames make a run of about ms, from a warm-up's ns per frame. */
static unsigned frames_for(double ms, int ns)
{
	double n = ms * 1e6 / (ns > 0 ? ns : 100);

	if (n < 1 << 16)
		n = 1 << 16;
	if (n > 1 << 26)
		n = 1 << 26;
	return (unsigned)n & ~63u;
}

/* Point the generator at a row: its walk, its targets; returns the frame length. */
static const __u8 *gen_prepare(const struct row *r, unsigned *len)
{
	static const __u8 ext[6] = EXT_MAC;
	char name[IFNAMSIZ];

	G->bss->cfg.mode = r->mode;
	G->bss->cfg.ndev = r->ndev;
	G->bss->cfg.per_dev = r->per_dev;
	G->bss->cfg.nnets = r->nnets;
	memcpy(G->bss->cfg.base, BASE_MAC, 6);
	if (r->flags & F_BCAST)
		memset(G->bss->cfg.ext, 0xff, 6);	/* toward the network: the destination */
	else
		memcpy(G->bss->cfg.ext, ext, 6);
	/* routed: to the gateway (MAC(0) the L3 port's); from the next hop to the uplink */
	G->bss->cfg.ip4 = !!(r->flags & F_L3);
	G->bss->cfg.untagged = !!(r->flags & F_UNTAG);
	if ((r->flags & F_L3) && r->mode == GEN_TO_NET) {
		memcpy(G->bss->cfg.ext, GW_MAC, 6);
		memcpy(G->bss->cfg.ip_csum, CSUM_L3V, 2);	/* the same with or without a tag */
	} else if (r->flags & F_L3) {
		memcpy(G->bss->cfg.base, UP_BASE, 6);
		memcpy(G->bss->cfg.ip_csum, CSUM_L3N, 2);
	}
	G->bss->cur_dev = 0;
	G->bss->cur_vid = 0;
	G->bss->cur_net = 0;
	for (unsigned d = 0; d < (r->mode == GEN_TO_NET ? r->ndev : 1); d++) {
		devname(name, r->target, d, r->mode == GEN_TO_NET ? r->ndev : 1);
		TRY(map_set(G->maps.gen_tx, d, ifx(name)));
	}
	if (r->flags & F_L3) {
		*len = r->mode == GEN_TO_VM ? LEN_L3N : r->flags & F_UNTAG ? LEN_L3U : LEN_L3V;
		return r->mode == GEN_TO_VM ? FR_L3N : r->flags & F_UNTAG ? FR_L3U : FR_L3V;
	}
	if (r->mode == GEN_TO_VM && !r->nnets) {
		*len = LEN_UNTAG;
		return FR_UNTAG;
	}
	if (r->flags & F_IP4) {
		*len = LEN_IP4;
		return FR_IP4;
	}
	*len = LEN_TAG;
	return FR_TAG;
}

/*
 * A path driven by the generator.  Synchronous paths (everything runs in
 * the generator's softirqs): one run of about ms, the rate taken by the
 * generator's own clock, times the share of frames the sink counted.
 * A userspace forwarder (OVS, F_ASYNC) shares the CPU with the generator:
 * frames at the sink over wall-clock time, several runs.
 */
static double measure_gen(struct row *r, double ms)
{
	unsigned len, n;
	const __u8 *fr = gen_prepare(r, &len);
	__u64 c0, c1;
	double t0, t1, rate;
	/* a flood: the sinks see the network's copy and one per other instance port */
	unsigned outs = r->flags & F_BCAST && r->inst >= 0 ? INST[r->inst].ndev : 1;
	int ns;

	ns = gen_run(fr, len, r->flags & F_ASYNC ? 1u << 20 : 1u << 16);	/* warm up */
	TRY(ns);
	if (r->flags & F_ASYNC) {
		usleep(100000);
		c0 = sink_sum();
		t0 = now_ms();
		do {
			TRY(gen_run(fr, len, 1u << 20));
			r->sent += 1u << 20;
		} while (now_ms() - t0 < ms);
		t1 = now_ms();
		usleep(20000);		/* what the forwarder still holds */
		c1 = sink_sum();
		r->gen_s += (t1 - t0) / 1e3;
		return (double)(c1 - c0) / ((t1 - t0) * 1e3);
	}
	n = frames_for(ms, ns);
	gen_clock_reset();
	c0 = cnt_sum(r->flags & F_HOP ? G->maps.hop_cnt : G->maps.sink_cnt);
	TRY(gen_run(fr, len, n));
	c1 = cnt_sum(r->flags & F_HOP ? G->maps.hop_cnt : G->maps.sink_cnt);
	rate = gen_clock_rate() * 1e3;		/* Mpps */
	r->sent += n;
	r->gen_s += n / (rate * 1e6);
	return rate * (double)(c1 - c0) / ((double)n * outs);
}

static void tap_drain(void)
{
	static char buf[2048];

	while (read(tap_fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * From a tap: write() on the non-blocking tap fd, in chunks of 4,096 frames
 * timed one by one; the median chunk, times the share of written frames the
 * sink counted.
 */
static double measure_tapw(struct row *r, double ms)
{
	static __u64 d[8192];
	__u64 c0, c1, bad = 0, sent = 0;
	unsigned k = 0;
	double t0;

	tap_drain();
	for (int i = 0; i < 20000; i++)
		if (write(tap_fd, FR_TAG, LEN_TAG) != (ssize_t)LEN_TAG)
			bad++;
	c0 = sink_sum();
	t0 = now_ms();
	do {
		__u64 a = now_ns();

		for (int i = 0; i < 4096; i++)
			if (write(tap_fd, FR_TAG, LEN_TAG) != (ssize_t)LEN_TAG)
				bad++;
		d[k++] = now_ns() - a;
		sent += 4096;
	} while (now_ms() - t0 < ms && k < 8192);
	c1 = sink_sum();
	if (bad)
		fprintf(stderr, "ppbench: %s: %llu writes failed\n", r->key, (unsigned long long)bad);
	r->sent += sent;
	r->gen_s += sent * median_u64(d, k) / 4096 / 1e9;
	return 4096e3 / median_u64(d, k) * (double)(c1 - c0) / sent;
}

/*
 * Toward a tap: the generator (and the path) on the benchmark's CPU, a
 * reader thread on the other CPU, as a VM's vCPU or QEMU's I/O thread would
 * be; frames the reader got over the time it was getting them.
 */
struct reader {
	volatile int stop;
	int cpu;
	__u64 got;
	__u64 t_first, t_last, n_first, n_last;
	__u64 mark, t_mark;	/* every 4,096 frames: a segment */
	__u64 seg[8192];
	unsigned nseg;
};

static void *reader_main(void *arg)
{
	static char buf[2048];
	struct reader *rd = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(rd->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!rd->stop) {
		int k = 0;

		/* the clock every 64 frames: a ring that never empties is read in one go */
		while (k < 64 && read(tap_fd, buf, sizeof(buf)) > 0)
			k++;
		if (k) {
			__u64 t = now_ns();

			rd->got += k;
			if (!rd->t_first) {
				rd->t_first = t;
				rd->n_first = rd->got;
			}
			rd->t_last = t;
			rd->n_last = rd->got;
			if (rd->got - rd->mark >= 4096) {
				if (rd->mark && rd->nseg < 8192)
					rd->seg[rd->nseg++] = (t - rd->t_mark) * 4096 / (rd->got - rd->mark);
				rd->mark = rd->got;
				rd->t_mark = t;
			}
		}
	}
	return NULL;
}

static int other_cpu = 0;

static double measure_tapr(struct row *r, double ms)
{
	static struct reader rd;
	unsigned len, n;
	const __u8 *fr = gen_prepare(r, &len);
	pthread_t th;
	int ns;

	memset(&rd, 0, sizeof(rd));
	rd.cpu = other_cpu;
	tap_drain();
	ns = gen_run(fr, len, 1u << 16);
	TRY(ns);
	n = frames_for(ms, ns);
	tap_drain();
	if (pthread_create(&th, NULL, reader_main, &rd))
		die("reader thread: %s", strerror(errno));
	usleep(10000);
	gen_clock_reset();
	TRY(gen_run(fr, len, n));
	usleep(10000);
	rd.stop = 1;
	pthread_join(th, NULL);
	r->sent += n;
	r->gen_s += n / (gen_clock_rate() * 1e9);
	r->note = (double)rd.got / n;
	if (rd.nseg >= 8)
		return 4096e3 / median_u64(rd.seg, rd.nseg);
	if (rd.t_last <= rd.t_first)
		return 0;
	return (double)(rd.n_last - rd.n_first) / ((rd.t_last - rd.t_first) / 1e3);
}

/*
 * --bpf-stats (profiling only: the kernel's per-program run time, which
 * costs two clock reads per program run): ns per run of every program a
 * row runs, from the difference of run_time_ns / run_cnt.
 */
struct pstat {
	const char *name;
	int fd;
	__u64 t, n;
};

static int pstats_collect(const struct row *r, struct pstat *ps)
{
	int k = 0;

	ps[k++] = (struct pstat){ .name = "gen", .fd = pfd(G->progs.gen) };
	ps[k++] = (struct pstat){ .name = "fwd", .fd = pfd(G->progs.fwd) };
	ps[k++] = (struct pstat){ .name = "fan", .fd = pfd(G->progs.fan) };
	ps[k++] = (struct pstat){ .name = "fib", .fd = pfd(G->progs.fib) };
	ps[k++] = (struct pstat){ .name = "pass", .fd = pfd(G->progs.pass) };
	ps[k++] = (struct pstat){ .name = "sink", .fd = pfd(G->progs.sink) };
	ps[k++] = (struct pstat){ .name = "hop_sink", .fd = pfd(G->progs.hop_sink) };
	if (r->inst >= 0) {
		const struct inst *in = &INST[r->inst];

		ps[k++] = (struct pstat){ .name = "pp_tap_xdp", .fd = xdp_fd(in, PP_ROLE_TAP) };
		ps[k++] = (struct pstat){ .name = "pp_net_xdp", .fd = xdp_fd(in, PP_ROLE_NET) };
		ps[k++] = (struct pstat){ .name = "pp_tap_tc", .fd = tc_fd(in, PP_ROLE_TAP) };
		ps[k++] = (struct pstat){ .name = "pp_net_tc", .fd = tc_fd(in, PP_ROLE_NET) };
	}
	for (int i = 0; i < k; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_obj_get_info_by_fd(ps[i].fd, &info, &len)) {
			ps[i].t = info.run_time_ns;
			ps[i].n = info.run_cnt;
		}
	}
	return k;
}

static void pstats_print(const struct row *r, const struct pstat *a, int k)
{
	struct pstat b[16];

	pstats_collect(r, b);
	fprintf(stderr, "    bpf-stats %-13s", r->key);
	for (int i = 0; i < k; i++) {
		__u64 n = b[i].n - a[i].n;

		if (n > 1000)
			fprintf(stderr, " %s %.1f ns (%.2f/frame)", a[i].name,
				(double)(b[i].t - a[i].t) / n, (double)n / (r->sent ? r->sent : 1));
	}
	fprintf(stderr, "\n");
}

/* Is key one of the comma-separated list? */
static int in_list(const char *list, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, key, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

static int row_enabled(const struct row *r, int ovs)
{
	if (quick && !(r->flags & F_QUICK))
		return 0;
	if ((r->flags & F_OVS) && !ovs)
		return 0;
	if (r->inst >= 0 && !INST[r->inst].open)
		return 0;
	return 1;
}

/* Does a row this run measures (--quick, --only) use configuration i? */
static int inst_wanted(int i, const char *only)
{
	if (quick && !INST[i].quick)
		return 0;
	if (INST[i].l3 && !l3_supported())
		return 0;
	if (INST[i].chain && !PPB_CHAIN)
		return 0;
	for (unsigned k = 0; k < NROWS; k++)
		if (ROWS[k].inst == i && (!quick || ROWS[k].flags & F_QUICK) &&
		    (!only || in_list(only, ROWS[k].key)))
			return 1;
	return 0;
}

/* ---- --baseline: another commit's programs, in the same run ---------------- */

/* What ppbench install pins under a configuration's pin root, by role. */
static const char *const BASE_PIN[2][2] = {	/* [tc][role] */
	{ "bench_tap_xdp", "bench_net_xdp" },
	{ "bench_tap_tc", "bench_net_tc" },
};

static void base_pin_path(char *buf, size_t len, const struct inst *in, const char *suffix,
			  const char *what)
{
	snprintf(buf, len, "/sys/fs/bpf/pptb-%s-%s/%s", in->name, suffix, what);
}

/*
 * ppbench install --suffix S [--quick] [--only KEY,...]
 *
 * Run by ppbench dataplane --baseline (the ppbench built from another
 * commit: this file, with that commit's loader library and programs), in its
 * network and mount namespace: write every configuration the run needs into
 * maps of its own (pin root /sys/fs/bpf/pptb-NAME-S), pin its four programs
 * there and exit, attaching nothing.  The pins live as long as the mount
 * namespace (ip netns exec's bpffs).
 */
static int cmd_install(int argc, char **argv)
{
	const char *suffix = NULL, *only = NULL;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--suffix") && i + 1 < argc)
			suffix = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else
			die("install: unknown argument %s", argv[i]);
	}
	if (!suffix)
		die("install: --suffix S");
	for (int i = 0; i < I_COUNT; i++) {
		struct inst *in = &INST[i];
		char pin[64], path[128];
		double t0 = now_ms();

		if (!inst_wanted(i, only))
			continue;
		snprintf(pin, sizeof(pin), "/sys/fs/bpf/pptb-%s-%s", in->name, suffix);
		inst_config(in, pin);
		for (int tc = 0; tc < 2; tc++)
			for (int role = 0; role < 2; role++) {
				int fd = tc ? in->dp.prog_fd[role] : in->dp.xdp_prog_fd[role];

				base_pin_path(path, sizeof(path), in, suffix, BASE_PIN[tc][role]);
				unlink(path);
				if (bpf_obj_pin(fd, path))
					die("pinning %s: %s", path, strerror(errno));
			}
		fprintf(stderr, "ppbench install: configuration %s under %s in %.0f ms (%lu map writes);"
			" programs: tap_xdp %u net_xdp %u tap_tc %u net_tc %u\n", in->name, pin,
			now_ms() - t0, in->dp.maps.writes, prog_id(in->dp.xdp_prog_fd[PP_ROLE_TAP]),
			prog_id(in->dp.xdp_prog_fd[PP_ROLE_NET]), prog_id(in->dp.prog_fd[PP_ROLE_TAP]),
			prog_id(in->dp.prog_fd[PP_ROLE_NET]));
	}
	return 0;
}

/*
 * Run bin install (the baseline's ppbench) here, in our namespaces, for the
 * configurations of the paths in only (NULL: all this run measures), and
 * take the programs it pinned.
 */
static void base_load(const char *bin, const char *only)
{
	char *argv[8];
	int k = 0, st;
	pid_t p;

	argv[k++] = (char *)bin;
	argv[k++] = "install";
	argv[k++] = "--suffix";
	argv[k++] = "base";
	if (quick)
		argv[k++] = "--quick";
	if (only) {
		argv[k++] = "--only";
		argv[k++] = (char *)only;
	}
	argv[k] = NULL;
	p = fork();
	if (p == 0) {
		execv(bin, argv);
		fprintf(stderr, "ppbench: %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		die("%s install: %s", bin, strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("the baseline's %s install failed", bin);
	for (int i = 0; i < I_COUNT; i++) {
		struct inst *in = &INST[i];
		char path[128];

		if (!in->open || !inst_wanted(i, only))
			continue;
		for (int tc = 0; tc < 2; tc++)
			for (int role = 0; role < 2; role++) {
				int fd;

				base_pin_path(path, sizeof(path), in, "base", BASE_PIN[tc][role]);
				fd = bpf_obj_get(path);
				if (fd < 0 && errno == ENOENT && (in->l3 || in->chain))
					break;	/* see PPB_L3, PPB_CHAIN */
				if (fd < 0)
					die("the baseline's program %s: %s", path, strerror(errno));
				*(tc ? &in->base_tc[role] : &in->base_xdp[role]) = fd;
			}
		if ((in->l3 || in->chain) && !in->base_xdp[PP_ROLE_NET]) {
			fprintf(stderr, "ppbench: the baseline cannot program configuration %s (its"
				" ppbench has no %s: see %s): its paths run with ours only\n", in->name,
				in->l3 ? "L3 part" : "chains", in->l3 ? "PPB_L3" : "PPB_CHAIN");
			continue;
		}
		in->has_base = 1;
		fprintf(stderr, "ppbench: configuration %s: the baseline's programs tap_xdp %u net_xdp %u"
			" tap_tc %u net_tc %u\n", in->name, prog_id(in->base_xdp[PP_ROLE_TAP]),
			prog_id(in->base_xdp[PP_ROLE_NET]), prog_id(in->base_tc[PP_ROLE_TAP]),
			prog_id(in->base_tc[PP_ROLE_NET]));
	}
}

/* The baseline's twin of every polyport row: the same frames, the baseline's programs. */
static struct row BASE[NROWS];
static const char *base_only;		/* --baseline-only: these paths (NULL: every polyport path) */

static int has_twin(const struct row *r)
{
	return r->inst >= 0 && INST[r->inst].has_base && !strncmp(r->system, "polyport", 8) &&
	       (!base_only || in_list(base_only, r->key));
}

static void twins_make(const char *name)
{
	static char keys[NROWS][40];

	for (unsigned i = 0; i < NROWS; i++) {
		BASE[i] = ROWS[i];
		snprintf(keys[i], sizeof(keys[i]), "%s@base", ROWS[i].key);
		BASE[i].key = keys[i];
		BASE[i].system = "baseline";
		BASE[i].variant = name;
	}
}

/* Append the non-zero reasons of d to why (n of len used) as " WHAT reason count". */
static size_t why_drops(char *why, size_t len, size_t n, const char *what, const struct pp_drops *d)
{
	for (int k = 0; k < PP_DROP_MAX && n + 48 < len; k++)
		if (d->reason[k])
			n += snprintf(why + n, len - n, " %s %s %llu", what, pp_drop_names[k],
				      (unsigned long long)d->reason[k]);
	return n;
}

/*
 * A routed row that did not route (drops, or frames that never reached the
 * sink): said loudly, with polyport's drop reasons; the row keeps its drops
 * (the report and the smoke check fail it) or its near-zero rate.
 */
static void l3_check(const struct row *r, __u64 drops, __u64 fib_miss, double v)
{
	char why[256] = "";
	size_t n = 0;
	struct pp_drops d;
	struct inst *in = &INST[I_R];

	if (!drops && v > 0.01)
		return;
	for (unsigned i = 0; i <= 1 && in->open; i++) {
		if (!pp_iport_drops_get(&in->dp.maps, i, &d))
			n = why_drops(why, sizeof(why), n, "port", &d);
		if (!pp_net_drops_get(&in->dp.maps, i, &d))
			n = why_drops(why, sizeof(why), n, "domain", &d);
	}
	fprintf(stderr, "ppbench: %s: FAIL: not routed: %llu dropped%s (%.3f Mpps at the sink); "
		"polyport's drops so far:%s\n", r->key, (unsigned long long)drops,
		fib_miss ? " by the routing ceiling" : "", v, n ? why : " none");
}

/*
 * A chained row's frames must take the chain: counted at their exit (the
 * function's sink, hop_cnt; or past it the network's), none at the other
 * one, and with ours (side 0) sent to the hop port (its tx) or returned by
 * it (its rx) as polyport counts them, no frame dropped (the chain's drops
 * are counted at its id).  Otherwise said loudly, with polyport's drop
 * reasons; the frames that went elsewhere count as the row's drops (the
 * report and the smoke check fail it).
 */
struct chain_cnt {
	__u64 hop, net, port;
};

static void chain_cnt_read(const struct row *r, int side, struct chain_cnt *c)
{
	struct pp_sport_stats st = {};

	c->hop = cnt_sum(G->maps.hop_cnt);
	c->net = sink_sum();
	c->port = 0;
	if (!side && !pp_sport_stats_get(&INST[I_Z].dp.maps, CHAIN_HOP_PORT, &st))
		c->port = r->flags & F_HOP ? st.tx_packets : st.rx_packets;
}

/* The frames of a chained row that did not take the chain (0: all did); a FAIL line if any. */
static __u64 chain_check(const struct row *r, int side, const struct chain_cnt *a, __u64 drops,
			 double v)
{
	struct inst *in = &INST[I_Z];
	struct chain_cnt b;
	__u64 at, wrong, port, bad;
	char why[256] = "";
	size_t n = 0;
	struct pp_drops d;

	chain_cnt_read(r, side, &b);
	at = r->flags & F_HOP ? b.hop - a->hop : b.net - a->net;
	wrong = r->flags & F_HOP ? b.net - a->net : b.hop - a->hop;
	port = b.port - a->port;
	bad = wrong + (!side && port < at ? at - port : 0);
	if (!drops && !bad && v > 0.01)
		return 0;
	for (unsigned i = 0; i <= CHAIN_ID && in->open && !side; i++) {
		if (i <= in->ndev && !pp_iport_drops_get(&in->dp.maps, i, &d))
			n = why_drops(why, sizeof(why), n, "port", &d);
		if (!pp_net_drops_get(&in->dp.maps, i, &d))
			n = why_drops(why, sizeof(why), n, i == CHAIN_ID ? "chain" : "network", &d);
	}
	fprintf(stderr, "ppbench: %s: FAIL: not chained: %llu frames at the %s (its exit), %llu at "
		"the %s, the hop port's %s %llu%s, %llu dropped (%.3f Mpps); polyport's drops so "
		"far:%s\n", r->key, (unsigned long long)at, r->flags & F_HOP ? "function" : "network",
		(unsigned long long)wrong, r->flags & F_HOP ? "network" : "function",
		r->flags & F_HOP ? "tx" : "rx", (unsigned long long)port,
		side ? " (the baseline's: not read)" : "", (unsigned long long)drops, v,
		side ? " (the baseline's: not read)" : n ? why : " none");
	return bad;
}

/* One measurement of row r with side's programs (0 ours, 1 the baseline's). */
static void measure_row(struct row *r, int side, int rep, double ms, int stats_fd)
{
	struct pstat ps[16];
	int nps = 0;
	__u64 d0 = 0, sent0 = r->sent, m0 = G->bss->fib_miss, d1;
	struct chain_cnt cc;
	double v;

	if (r->inst >= 0)
		inst_side(&INST[r->inst], side);
	need(r->need);
	if (r->inst >= 0 && !side)	/* ours: polyport's drop counters (the baseline's: its own maps) */
		d0 = inst_drops(&INST[r->inst]);
	if (stats_fd > 0)
		nps = pstats_collect(r, ps);
	if (r->flags & F_CHAIN)
		chain_cnt_read(r, side, &cc);
	v = r->how == GEN ? measure_gen(r, ms) : r->how == TAPW ? measure_tapw(r, ms) :
	    measure_tapr(r, ms);
	d1 = r->inst >= 0 && !side ? inst_drops(&INST[r->inst]) - d0 : 0;
	/* the routing ceiling's misses are its drops */
	d1 += G->bss->fib_miss - m0;
	if (r->flags & F_CHAIN)		/* frames that went elsewhere: drops too */
		d1 += chain_check(r, side, &cc, d1, v);
	r->drops += d1;
	if (r->flags & F_L3)
		l3_check(r, d1, G->bss->fib_miss - m0, v);
	r->v[r->n++] = v;
	fprintf(stderr, "  rep %d  %-17s %7.3f Mpps%s", rep + 1, r->key, v,
		r->how == TAPW ? "\n" : "");
	if (r->how != TAPW)
		fprintf(stderr, "  (generated %.3f Mpps)\n", r->sent / r->gen_s / 1e6);
	if (stats_fd > 0) {
		__u64 keep = r->sent;

		r->sent -= sent0;
		if (r->how == TAPW)	/* frames written: what the sink saw */
			r->sent = (__u64)(v * ms * 1e3);
		pstats_print(r, ps, nps);
		r->sent = keep;
	}
}

/* key system direction sports iports ceil gceil over drops note variant | samples */
static void row_write(FILE *f, const struct row *r)
{
	fprintf(f, "%s\t%s\t%s\t%u\t%u\t%s\t%s\t%s\t%llu\t%.3f\t%s\t", r->key, r->system, r->dir,
		r->sports, r->iports, r->ceil, r->gceil, r->over ? r->over : "-",
		(unsigned long long)r->drops, r->note, r->variant);
	for (unsigned k = 0; k < r->n; k++)
		fprintf(f, "%s%.4f", k ? "," : "", r->v[k]);
	fprintf(f, "\n");
}

static int cmd_dataplane(int argc, char **argv)
{
	int reps = 5, cpu = 1, ovs = 0;
	double ms = 500;
	const char *only = NULL, *base_bin = NULL, *base_name = "baseline";
	int stats_fd = -1;
	const char *out = NULL;
	cpu_set_t set;
	FILE *f;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--ovs"))
			ovs = 1;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
			ms = atof(argv[++i]);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--baseline") && i + 1 < argc)
			base_bin = argv[++i];
		else if (!strcmp(argv[i], "--baseline-name") && i + 1 < argc)
			base_name = argv[++i];
		else if (!strcmp(argv[i], "--baseline-only") && i + 1 < argc)
			base_only = argv[++i];
		else if (!strcmp(argv[i], "--bpf-stats"))
			stats_fd = 0;
		else
			die("dataplane: unknown argument %s", argv[i]);
	}
	if (!out || reps < 1 || reps > MAXREP)
		die("dataplane: --out FILE, --reps 1..%d", MAXREP);
	/* Generator, forwarder (the veth NAPIs run where the generator's batch ends) and sink: one CPU. */
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	other_cpu = cpu ? 0 : 1;
	if (sched_setaffinity(0, sizeof(set), &set))
		die("CPU %d: %s", cpu, strerror(errno));

	open_gen();
	build_frames();
	tap_fd = tap_open(INST[I_W].b);
	if (tap_fd < 0)
		die("tap %s: %s", INST[I_W].b, strerror(-tap_fd));
#if PPB_L3
	if (inst_wanted(I_R, only))
		l3_kernel_setup(&INST[I_R]);
#endif
	for (int i = 0; i < I_COUNT; i++)
		if (inst_wanted(i, only))
			inst_install(&INST[i]);
	tap_state = N_TAP_PP;
	wn_state = N_WN_PP;
	if (base_bin) {
		base_load(base_bin, base_only ? base_only : only);
		twins_make(base_name);
	}

	/* The ceilings and the peers: their programs. */
	TRY(xdp_set(ifx("pptbrb"), pfd(G->progs.sink)));
	TRY(map_set(G->maps.fwd_tx, ifx("pptbcb"), ifx("pptbcn")));
	TRY(map_set(G->maps.fwd_tx, ifx("pptbcn"), ifx("pptbcb")));
	TRY(xdp_set(ifx("pptbcb"), pfd(G->progs.fwd)));
	TRY(xdp_set(ifx("pptbcn"), pfd(G->progs.fwd)));
	TRY(xdp_set(ifx("pptbca"), pfd(G->progs.sink)));
	TRY(xdp_set(ifx("pptbcs"), pfd(G->progs.sink)));
	TRY(xdp_set(ifx("pptbbb"), pfd(G->progs.pass)));
	TRY(xdp_set(ifx("pptbbs"), pfd(G->progs.sink)));
	if (INST[I_R].open) {	/* the routing ceiling: R's devices, their next hops */
		static const __u8 ext[6] = EXT_MAC;
		struct inst *rt = &INST[I_R];
		struct fib_nh *nh = G->bss->fib_nh;

		G->bss->fib_table = L3_TABLE;
		nh[0].ifindex = rt->in;		/* toward the uplink's next hop */
		memcpy(nh[0].src, UP_MAC, 6);
		memcpy(nh[0].dst, ext, 6);
		nh[1].ifindex = rt->ib[0];	/* toward the VM */
		memcpy(nh[1].src, GW_MAC, 6);
		mac_of(0, nh[1].dst);
		TRY(map_set(G->maps.fib_tx, rt->in, rt->in));
		TRY(map_set(G->maps.fib_tx, rt->ib[0], rt->ib[0]));
	}
	if (ovs) {
		TRY(xdp_set(ifx("pptbos"), pfd(G->progs.sink)));
		TRY(xdp_set(ifx("pptbpb"), pfd(G->progs.pass)));
		TRY(xdp_set(ifx("pptbps"), pfd(G->progs.sink)));
	}

	if (!stats_fd) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			die("BPF_ENABLE_STATS: %s", strerror(errno));
	}
	fprintf(stderr, "ppbench: %d repetitions of every path, %.0f ms each, on CPU %d%s%s\n", reps,
		ms, cpu, base_bin ? "; polyport's paths also with the programs of " : "",
		base_bin ? base_name : "");
	for (int rep = 0; rep < reps; rep++) {
		for (unsigned i = 0; i < NROWS; i++) {
			struct row *r = &ROWS[i];

			if (!row_enabled(r, ovs) || (only && !in_list(only, r->key)))
				continue;
			if (!has_twin(r)) {
				measure_row(r, 0, rep, ms, stats_fd);
				continue;
			}
			/* ours and the baseline's back to back, which first alternating by round */
			for (int t = 0; t < 2; t++) {
				int side = rep & 1 ? !t : t;

				measure_row(side ? &BASE[i] : r, side, rep, ms, stats_fd);
			}
		}
	}
	for (int i = 0; i < I_COUNT; i++)
		if (INST[i].open)
			inst_side(&INST[i], 0);
	need(N_M_PP);
	need(N_MN_PP);

	f = fopen(out, "w");
	if (!f)
		die("%s: %s", out, strerror(errno));
	for (unsigned i = 0; i < NROWS; i++)
		if (ROWS[i].n)
			row_write(f, &ROWS[i]);
	for (unsigned i = 0; base_bin && i < NROWS; i++)
		if (BASE[i].n)
			row_write(f, &BASE[i]);
	fclose(f);
	for (int i = 0; i < I_COUNT; i++)
		if (INST[i].open)
			pp_dp_close(&INST[i].dp);
#if PPB_L3
	if (INST[I_R].open)
		l3_kernel_cleanup();
#endif
	close(tap_fd);
	if (stats_fd > 0)
		close(stats_fd);
	gen_bpf__destroy(G);
	return 0;
}

/* ==== the control plane ==================================================== */

struct daemon {
	pid_t pid;
	int fd;			/* its stderr */
	FILE *log;
	char buf[1 << 16];
	size_t len;
};

static const char *PPD, *PPCTL, *WORK;
static char PIN[] = "/sys/fs/bpf/pptb-cp";

/*
 * Binding files: ndev instance ports "vmD" on taps tapfmt (D = 1..ndev), per
 * service ports each on VIDs 1..per, bound round-robin to nnets networks
 * with their own VLAN on the trunk (as the dataplane's configurations).
 * extra: one more instance port "vmf" on tap pptbf with one service port.
 */
static void write_config(const char *dir, unsigned ndev, unsigned per, unsigned nnets,
			 const char *tapfmt, int extra)
{
	char path[512];
	FILE *f;

	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/bench.yaml", dir);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "# ppbench: %u instance ports x %u service ports, %u networks\nnetworks:\n",
		ndev, per, nnets);
	for (unsigned n = 1; n <= nnets; n++)
		fprintf(f, "  n%u: {device: pptbct, vlan: %u}\n", n, n);
	fprintf(f, "instance-ports:\n");
	for (unsigned d = 0; d < ndev; d++) {
		char tap[IFNAMSIZ];

		snprintf(tap, sizeof(tap), tapfmt, d + 1);
		fprintf(f, "  vm%u:\n    device: %s\n    mac: 52:54:00:00:%02x:%02x\n"
			   "    service-ports:\n", d + 1, tap, (d + 1) >> 8, (d + 1) & 0xff);
		for (unsigned v = 1; v <= per; v++)
			fprintf(f, "      vm%u-%u: {vlan: %u, bind: {network: n%u}}\n", d + 1, v, v,
				(d * per + v - 1) % nnets + 1);
	}
	if (extra)
		fprintf(f, "  vmf:\n    device: pptbf\n    mac: 52:54:00:00:ff:01\n"
			   "    service-ports:\n      vmf-1: {vlan: 1, bind: {network: n1}}\n");
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

/* Point WORK/conf (the daemon's --config) at dir, atomically. */
static void conf_switch(const char *dir)
{
	char link[512], tmp[512];

	snprintf(link, sizeof(link), "%s/conf", WORK);
	snprintf(tmp, sizeof(tmp), "%s/conf.tmp", WORK);
	unlink(tmp);
	if (symlink(dir, tmp) || rename(tmp, link))
		die("%s -> %s: %s", link, dir, strerror(errno));
}

static void run_wait(char *const argv[])
{
	pid_t p = fork();
	int st;

	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		die("%s: %s", argv[0], strerror(errno));
}

static void teardown(void)
{
	char *argv[] = { (char *)PPCTL, "--pin-root", PIN, "teardown", NULL };

	run_wait(argv);
}

static void daemon_start(struct daemon *d)
{
	char conf[512], state[512], sock[512], logp[512];
	int p[2];

	snprintf(conf, sizeof(conf), "%s/conf", WORK);
	snprintf(state, sizeof(state), "%s/state", WORK);
	snprintf(sock, sizeof(sock), "%s/api.sock", WORK);
	snprintf(logp, sizeof(logp), "%s/polyportd.log", WORK);
	if (pipe2(p, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	d->log = fopen(logp, "a");
	d->len = 0;
	d->pid = fork();
	if (d->pid == 0) {
		char *argv[] = { (char *)PPD, "-f", "-v", "--config", conf, "--pin-root", PIN,
				 "--state-dir", state, "--api-socket", sock, NULL };

		dup2(p[1], 2);
		dup2(p[1], 1);
		execv(PPD, argv);
		_exit(127);
	}
	if (d->pid < 0)
		die("fork: %s", strerror(errno));
	close(p[1]);
	d->fd = p[0];
	fcntl(d->fd, F_SETFL, O_NONBLOCK);
}

/*
 * Read the daemon's log until a line containing pat; its arrival time (ms)
 * into *t and the line into line.  Returns 0, or -ETIMEDOUT / -EPIPE.
 */
static int daemon_wait(struct daemon *d, const char *pat, int timeout_ms, double *t, char *line,
		       size_t line_len)
{
	double end = now_ms() + timeout_ms;

	for (;;) {
		char *nl;

		while ((nl = memchr(d->buf, '\n', d->len))) {
			size_t n = nl - d->buf + 1;

			*nl = 0;
			if (d->log)
				fprintf(d->log, "%s\n", d->buf);
			if (strstr(d->buf, pat)) {
				if (line && line_len) {
					size_t c = strnlen(d->buf, line_len - 1);

					memcpy(line, d->buf, c);
					line[c] = 0;
				}
				memmove(d->buf, d->buf + n, d->len - n);
				d->len -= n;
				return 0;
			}
			memmove(d->buf, d->buf + n, d->len - n);
			d->len -= n;
		}
		double left = end - now_ms();
		struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
		ssize_t k;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left + 1) <= 0)
			continue;
		if (d->len >= sizeof(d->buf) - 1)
			d->len = 0;	/* a line longer than the buffer: dropped */
		k = read(d->fd, d->buf + d->len, sizeof(d->buf) - 1 - d->len);
		*t = now_ms();
		if (k == 0)
			return -EPIPE;
		if (k > 0)
			d->len += k;
	}
}

static void daemon_stop(struct daemon *d)
{
	char line[512];
	double t;
	int st;

	kill(d->pid, SIGTERM);
	while (daemon_wait(d, "\n\n", 200, &t, line, sizeof(line)) != -EPIPE &&
	       waitpid(d->pid, &st, WNOHANG) == 0)
		;
	waitpid(d->pid, &st, 0);
	close(d->fd);
	if (d->log)
		fclose(d->log);
	d->log = NULL;
}

static long rss_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = atol(line + strlen(field) + 1);
	fclose(f);
	return v;
}

static int idle_rss_done;	/* the idle daemon's memory, written once */

/* figure sports unit target | samples | extra */
static void cp_emit(FILE *f, const char *fig, unsigned sports, const char *unit, double target,
		    const double *v, int n, const char *extra)
{
	fprintf(f, "%s\t%u\t%s\t%g\t", fig, sports, unit, target);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%.3f", i ? "," : "", v[i]);
	fprintf(f, "\t%s\n", extra ? extra : "");
	fflush(f);
}

/*
 * The first frame forwarded after a configured tap appears, reps times:
 * the daemon d runs with a configuration naming tap pptbf (absent); the
 * tap is created as QEMU creates it (non-blocking), then written to every
 * 10 us; the sink on the trunk's peer stamps the first frame that arrives
 * (bpf_ktime_get_ns, CLOCK_MONOTONIC as now_ns()).
 */
static void ff_measure(FILE *out, struct daemon *d, unsigned sports, int reps)
{
	static const __u8 ext[6] = EXT_MAC, src[6] = { 0x52, 0x54, 0x00, 0x00, 0xff, 0x01 };
	struct fspec fs = { .dst = ext, .src = src, .tags = { { 0x8100, 1 } } };
	double v[MAXREP], t;
	__u8 fr[FR_MAX];
	unsigned len = fr_build(fr, &fs);
	int n = 0;

	usleep(200000);
	for (int r = 0; r < reps; r++) {
		struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
		int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		__u64 t0;

		G->bss->first_ns = 0;
		snprintf(ifr.ifr_name, IFNAMSIZ, "pptbf");
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr))
			die("tap pptbf: %s", strerror(errno));
		t0 = now_ns();
		while (!G->bss->first_ns && now_ns() - t0 < 10000000000ull) {
			if (write(fd, fr, len) < 0 && errno != EIO && errno != EAGAIN)
				die("tap pptbf: write: %s", strerror(errno));
			usleep(10);
			daemon_wait(d, "\n\n", 0, &t, NULL, 0);	/* keep its log flowing */
		}
		v[n] = G->bss->first_ns ? (G->bss->first_ns - t0) / 1e6 : -1;
		fprintf(stderr, "  first frame %.2f ms after the tap appeared (%u service ports)\n",
			v[n], sports);
		n++;
		close(fd);		/* the tap vanishes */
		for (int i = 0; i < 30; i++) {	/* the daemon sees it go */
			usleep(100000);
			daemon_wait(d, "\n\n", 0, &t, NULL, 0);
		}
	}
	cp_emit(out, "first_frame", sports, "ms", 20, v, n, NULL);
}

/*
 * Apply a configuration (SIGHUP after WORK/conf is switched to it) and
 * remove it again, up to reps times (fewer when it is slow: the whole
 * figure is kept within about a minute); times in ms.  Then, if ffconf is
 * given, the same daemon switches to it (the configuration plus a port on
 * an absent tap) and the first frame is measured.
 */
static void cp_apply(FILE *out, const char *label, const char *full, const char *empty,
		     unsigned sports, double target, int reps, const char *ffconf,
		     unsigned ffsports)
{
	double apply[MAXREP] = { 0 }, rec[MAXREP] = { 0 }, rm[MAXREP] = { 0 }, t0, t1, start;
	double begin = now_ms();
	unsigned long writes = 0;
	long rss = -1, hwm = -1, rss0 = -1, anon = -1, anon0 = -1;
	char line[1024], extra[512];
	struct daemon d;
	int n = 0, nrm = 0;

	teardown();
	conf_switch(empty);
	t0 = now_ms();
	daemon_start(&d);
	if (daemon_wait(&d, "start:", 60000, &t1, line, sizeof(line)))
		die("polyportd did not start (see %s/polyportd.log)", WORK);
	start = t1 - t0;
	rss0 = rss_kib(d.pid, "VmRSS:");
	anon0 = rss_kib(d.pid, "RssAnon:");
	for (int r = 0; r < reps; r++) {
		double ms = 0;
		unsigned long w = 0;
		char *p;

		conf_switch(full);
		t0 = now_ms();
		kill(d.pid, SIGHUP);
		if (daemon_wait(&d, "SIGHUP:", 600000, &t1, line, sizeof(line)))
			die("polyportd: no reload after SIGHUP (see %s/polyportd.log)", WORK);
		apply[n] = t1 - t0;
		if (strstr(line, "rejected")) {
			char why[512] = "";

			daemon_wait(&d, ": ", 5000, &t1, why, sizeof(why));
			fprintf(stderr, "  %s: rejected by polyportd in %.1f ms: %s\n", label, apply[n],
				why);
			for (char *c = why; *c; c++)
				if (*c == '\t')
					*c = ' ';
			cp_emit(out, "apply_rejected", sports, "ms", target, apply, 1,
				strstr(why, ": ") ? strstr(why, ": ") + 2 : why);
			daemon_stop(&d);
			teardown();
			return;
		}
		p = strstr(line, "; ");
		if (p)
			sscanf(p + 2, "%lf ms, %lu map writes", &ms, &w);
		rec[n] = ms;
		if (r == 0) {
			writes = w;
			usleep(500000);		/* steady state */
			rss = rss_kib(d.pid, "VmRSS:");
			hwm = rss_kib(d.pid, "VmHWM:");
			anon = rss_kib(d.pid, "RssAnon:");
		}
		fprintf(stderr, "  %s: applied in %.1f ms (reconcile %.1f ms, %lu map writes)\n", label,
			apply[n], ms, w);
		n++;
		/* another round (remove, apply) only if it fits in about 40 s */
		if (r + 1 == reps || now_ms() - begin + 2 * apply[n - 1] > 40000)
			break;
		conf_switch(empty);
		t0 = now_ms();
		kill(d.pid, SIGHUP);
		if (daemon_wait(&d, "SIGHUP:", 600000, &t1, line, sizeof(line)))
			die("polyportd: no reload after SIGHUP (see %s/polyportd.log)", WORK);
		rm[nrm++] = t1 - t0;
		fprintf(stderr, "  %s: removed in %.1f ms\n", label, rm[nrm - 1]);
	}
	snprintf(extra, sizeof(extra), "reconcile_ms=%.1f map_writes=%lu daemon_start_ms=%.0f",
		 rec[0], writes, start);
	cp_emit(out, "apply", sports, "ms", target, apply, n, extra);
	cp_emit(out, "reconcile", sports, "ms", 0, rec, n, NULL);
	if (nrm)
		cp_emit(out, "remove", sports, "ms", 0, rm, nrm, NULL);
	{
		double v[3] = { rss / 1024.0, hwm / 1024.0, anon / 1024.0 };
		double v0[2] = { rss0 / 1024.0, anon0 / 1024.0 };

		/* rss includes the mmapped BPF arrays (kernel memory); rss_anon is the daemon's own */
		cp_emit(out, "rss", sports, "MiB", 0, v, 1, NULL);
		cp_emit(out, "rss_peak", sports, "MiB", 0, v + 1, 1, NULL);
		cp_emit(out, "rss_anon", sports, "MiB", 0, v + 2, 1, NULL);
		if (!idle_rss_done++) {
			cp_emit(out, "rss", 0, "MiB", 0, v0, 1, NULL);
			cp_emit(out, "rss_anon", 0, "MiB", 0, v0 + 1, 1, NULL);
		}
	}
	if (ffconf) {
		conf_switch(ffconf);
		t0 = now_ms();
		kill(d.pid, SIGHUP);
		if (daemon_wait(&d, "SIGHUP:", 600000, &t1, line, sizeof(line)))
			die("polyportd: no reload after SIGHUP (see %s/polyportd.log)", WORK);
		fprintf(stderr, "  %s: one more instance port (tap absent) in %.1f ms\n", label, t1 - t0);
		ff_measure(out, &d, ffsports, reps);
	}
	daemon_stop(&d);
	teardown();
}

/* Create (on) or delete n persistent taps named fmt % 1..n: a host's VMs. */
static void make_taps(const char *fmt, unsigned n, int on)
{
	for (unsigned i = 1; i <= n; i++) {
		struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

		snprintf(ifr.ifr_name, IFNAMSIZ, fmt, i);
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, on))
			die("tap %s: %s", ifr.ifr_name, strerror(errno));
		close(fd);
	}
}

/* A daemon started on conf (naming the absent tap pptbf): the first frame. */
static void cp_first_frame(FILE *out, const char *conf, unsigned sports, int reps)
{
	char line[512];
	struct daemon d;
	double t;

	teardown();
	conf_switch(conf);
	daemon_start(&d);
	if (daemon_wait(&d, "start:", 600000, &t, line, sizeof(line)))
		die("polyportd did not start (see %s/polyportd.log)", WORK);
	ff_measure(out, &d, sports, reps);
	daemon_stop(&d);
	teardown();
}

/* Does the results file have a line for figure fig at sports? */
static int cget_file(const char *path, const char *fig, unsigned sports)
{
	char line[4096], want[64];
	FILE *f = fopen(path, "r");
	int found = 0;

	snprintf(want, sizeof(want), "%s\t%u\t", fig, sports);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found = 1;
	if (f)
		fclose(f);
	return found;
}

static int cmd_control(int argc, char **argv)
{
	int reps = 3;
	const char *outp = NULL;
	char d_empty[512], d_a[512], d_ff[512];
	FILE *out;
	int sink_if;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--polyportd") && i + 1 < argc)
			PPD = argv[++i];
		else if (!strcmp(argv[i], "--polyportctl") && i + 1 < argc)
			PPCTL = argv[++i];
		else if (!strcmp(argv[i], "--work") && i + 1 < argc)
			WORK = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			outp = argv[++i];
		else
			die("control: unknown argument %s", argv[i]);
	}
	if (!PPD || !PPCTL || !WORK || !outp || reps < 1 || reps > MAXREP)
		die("control: --polyportd, --polyportctl, --work, --out; --reps 1..%d", MAXREP);
	out = fopen(outp, "w");
	if (!out)
		die("%s: %s", outp, strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	open_gen();
	sink_if = ifx("pptbcs");
	TRY(xdp_set(sink_if, pfd(G->progs.sink)));

	snprintf(d_empty, sizeof(d_empty), "%s/cfg-empty", WORK);
	mkdir(d_empty, 0755);
	fprintf(stderr, "ppbench: polyportd applying binding files (%d repetitions)\n", reps);
	if (quick) {
		/* seconds, not speed: a small configuration */
		snprintf(d_a, sizeof(d_a), "%s/cfg-64", WORK);
		snprintf(d_ff, sizeof(d_ff), "%s/cfg-first", WORK);
		write_config(d_a, 1, 64, 64, "pptbk%u", 0);
		write_config(d_ff, 1, 64, 64, "pptbk%u", 1);
		cp_apply(out, "64", d_a, d_empty, 64, 100, 1, d_ff, 65);
	} else {
		snprintf(d_a, sizeof(d_a), "%s/cfg-4094", WORK);
		snprintf(d_ff, sizeof(d_ff), "%s/cfg-first", WORK);
		write_config(d_a, 1, 4094, 4094, "pptbk%u", 0);
		write_config(d_ff, 1, 4094, 4094, "pptbk%u", 1);
		cp_apply(out, "4094", d_a, d_empty, 4094, 100, reps, d_ff, 4095);
		/* 1,000 more taps on the host: only for the large configurations */
		make_taps("pptbm%u", 1000, 1);
		snprintf(d_a, sizeof(d_a), "%s/cfg-100000", WORK);
		write_config(d_a, 1000, 100, 400, "pptbm%u", 0);
		cp_apply(out, "100000", d_a, d_empty, 100000, 2000, reps, NULL, 0);
		if (!cget_file(outp, "apply", 100000)) {
			/* refused (config limit): the largest that is taken, 650 x 100 */
			snprintf(d_a, sizeof(d_a), "%s/cfg-65000", WORK);
			write_config(d_a, 650, 100, 400, "pptbm%u", 0);
			cp_apply(out, "65000", d_a, d_empty, 65000, 0, reps, NULL, 0);
		}
		make_taps("pptbm%u", 1000, 0);
		snprintf(d_ff, sizeof(d_ff), "%s/cfg-first1", WORK);
		write_config(d_ff, 0, 0, 1, "pptbk%u", 1);
		cp_first_frame(out, d_ff, 1, reps);
	}
	fclose(out);
	xdp_set(sink_if, -1);
	gen_bpf__destroy(G);
	return 0;
}

/* ==== the report =========================================================== */

struct prow {
	char key[40], system[32], dir[32], ceil[32], gceil[32], over[32], variant[128];
	unsigned sports, iports;
	unsigned long long drops;
	double note;
	double v[MAXREP], med, min, max, ratio, gratio;
	double pratio, pmin, pmax;	/* per-repetition ratios to the ceiling: median, min, max */
	double added, amin, amax;	/* ns a frame over "over", per repetition: median, min, max */
	int n;
	int twin;			/* the baseline's run of a path (key "PATH@base") */
	struct prow *base;		/* a path's twin, if the run had a baseline */
	double bns, bnsmin, bnsmax;	/* ns a frame more than the baseline, per repetition */
	double bpct, bpctmin, bpctmax;	/* the same in % of the baseline's */
};

struct crow {
	char fig[32], unit[16], extra[512];
	unsigned sports;
	double target, v[MAXREP], med, min, max;
	int n;
};

static struct prow P[64];
static struct crow C[64];
static int NP, NC;

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(const double *v, int n, double *med, double *min, double *max)
{
	double s[MAXREP];

	memcpy(s, v, n * sizeof(double));
	qsort(s, n, sizeof(double), cmp_d);
	*min = s[0];
	*max = s[n - 1];
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int parse_samples(char *s, double *v)
{
	int n = 0;

	for (char *t = strtok(s, ","); t && n < MAXREP; t = strtok(NULL, ","))
		v[n++] = atof(t);
	return n;
}

/*
 * The median (and range) over repetitions of a's rate / b's rate, each pair
 * from the same repetition: measured seconds apart, so a slower spell of
 * this shared VM (seconds long) weighs on both.  NAN if not paired.
 */
static double paired(const struct prow *a, const struct prow *b, double *min, double *max)
{
	double r[MAXREP], med, lo, hi;

	if (!a || !b || a->n != b->n || !a->n)
		return NAN;
	for (int k = 0; k < a->n; k++)
		r[k] = b->v[k] > 0 ? a->v[k] / b->v[k] : 0;
	stats(r, a->n, &med, &lo, &hi);
	if (min)
		*min = lo;
	if (max)
		*max = hi;
	return med;
}

/*
 * The median (and range) over repetitions of a's ns a frame minus b's,
 * each pair from the same repetition (as paired()).  NAN if not paired.
 */
static double paired_ns(const struct prow *a, const struct prow *b, double *min, double *max)
{
	double d[MAXREP], med, lo, hi;

	if (!a || !b || a->n != b->n || !a->n)
		return NAN;
	for (int k = 0; k < a->n; k++) {
		if (!(a->v[k] > 0) || !(b->v[k] > 0))
			return NAN;
		d[k] = 1e3 / a->v[k] - 1e3 / b->v[k];
	}
	stats(d, a->n, &med, &lo, &hi);
	if (min)
		*min = lo;
	if (max)
		*max = hi;
	return med;
}

/*
 * Slower than the baseline by more than 2 ns or 3 % (issue 15's "no
 * regression"), whichever is more: 2 ns is what a fast path may lose, 3 %
 * what a slow one may (2 ns of a 2,000 ns flood is below what a shared VM
 * can measure).
 */
static int base_slower(const struct prow *p)
{
	return p->base && p->bns > 2 && p->bpct > 3;
}

static struct prow *pget(const char *key)
{
	for (int i = 0; i < NP; i++)
		if (!strcmp(P[i].key, key))
			return &P[i];
	return NULL;
}

static struct crow *cget(const char *fig, unsigned sports)
{
	for (int i = 0; i < NC; i++)
		if (!strcmp(C[i].fig, fig) && C[i].sports == sports)
			return &C[i];
	return NULL;
}

static void load_report(const char *dir)
{
	char path[512], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/dataplane.tsv", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f) && NP < 64) {
		struct prow *p = &P[NP];
		char *fl[12], *save = NULL;
		int k = 0;

		line[strcspn(line, "\n")] = 0;
		for (char *t = strtok_r(line, "\t", &save); t && k < 12; t = strtok_r(NULL, "\t", &save))
			fl[k++] = t;
		if (k != 12)
			continue;
		snprintf(p->key, sizeof(p->key), "%s", fl[0]);
		snprintf(p->system, sizeof(p->system), "%s", fl[1]);
		snprintf(p->dir, sizeof(p->dir), "%s", fl[2]);
		p->sports = atoi(fl[3]);
		p->iports = atoi(fl[4]);
		snprintf(p->ceil, sizeof(p->ceil), "%s", fl[5]);
		snprintf(p->gceil, sizeof(p->gceil), "%s", fl[6]);
		snprintf(p->over, sizeof(p->over), "%s", strcmp(fl[7], "-") ? fl[7] : "");
		p->drops = strtoull(fl[8], NULL, 10);
		p->note = atof(fl[9]);
		snprintf(p->variant, sizeof(p->variant), "%s", fl[10]);
		p->n = parse_samples(fl[11], p->v);
		if (!p->n)
			continue;
		p->twin = strchr(p->key, '@') != NULL;
		stats(p->v, p->n, &p->med, &p->min, &p->max);
		NP++;
	}
	if (f)
		fclose(f);
	for (int i = 0; i < NP; i++) {
		struct prow *c = pget(P[i].ceil), *g = pget(P[i].gceil), *o = pget(P[i].over);
		char twin[48];

		P[i].ratio = c && c->med > 0 ? P[i].med / c->med : NAN;
		P[i].gratio = g && g->med > 0 ? P[i].med / g->med : NAN;
		P[i].pratio = paired(&P[i], c, &P[i].pmin, &P[i].pmax);
		P[i].added = paired_ns(&P[i], o, &P[i].amin, &P[i].amax);
		snprintf(twin, sizeof(twin), "%.40s@base", P[i].key);
		P[i].base = P[i].twin ? NULL : pget(twin);
		if (P[i].base) {
			double lo, hi;

			P[i].bns = paired_ns(&P[i], P[i].base, &P[i].bnsmin, &P[i].bnsmax);
			/* ns a frame: ours / the baseline's = its rate / ours */
			P[i].bpct = (paired(P[i].base, &P[i], &lo, &hi) - 1) * 100;
			P[i].bpctmin = (lo - 1) * 100;
			P[i].bpctmax = (hi - 1) * 100;
			if (isnan(P[i].bns) || isnan(P[i].bpct))
				P[i].base = NULL;	/* not paired: not compared */
		}
	}

	snprintf(path, sizeof(path), "%s/control.tsv", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f) && NC < 64) {
		struct crow *c = &C[NC];
		char *fl[6], *p = line;
		int k = 0;

		line[strcspn(line, "\n")] = 0;
		/* strsep: the last field may be empty */
		while (k < 6 && p)
			fl[k++] = strsep(&p, "\t");
		if (k < 5)
			continue;
		snprintf(c->fig, sizeof(c->fig), "%s", fl[0]);
		c->sports = atoi(fl[1]);
		snprintf(c->unit, sizeof(c->unit), "%s", fl[2]);
		c->target = atof(fl[3]);
		c->n = parse_samples(fl[4], c->v);
		snprintf(c->extra, sizeof(c->extra), "%s", k > 5 ? fl[5] : "");
		if (!c->n)
			continue;
		stats(c->v, c->n, &c->med, &c->min, &c->max);
		NC++;
	}
	if (f)
		fclose(f);
}

static const char *limited(const struct prow *p)
{
	if (!strcmp(p->system, "ceiling") && strstr(p->variant, "receive"))
		return "generator";
	return p->gratio >= 0.9 ? "generator" : "path";
}

static void json_str(FILE *f, const char *k, const char *v, int comma)
{
	fprintf(f, "\"%s\": \"", k);
	for (; *v; v++)
		fprintf(f, *v == '"' || *v == '\\' ? "\\%c" : "%c", *v);
	fprintf(f, "\"%s", comma ? ", " : "");
}

static void json_num(FILE *f, const char *k, double v, int comma)
{
	if (isnan(v) || isinf(v))
		fprintf(f, "\"%s\": null%s", k, comma ? ", " : "");
	else
		fprintf(f, "\"%s\": %.4g%s", k, v, comma ? ", " : "");
}

struct target {
	char what[160], measured[240];
	int ok;			/* 1 pass, 0 miss, -1 not measured */
};

static struct target T[64];
static int NT;

static void target(int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void target(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	snprintf(T[NT].what, sizeof(T[NT].what), "%s", what);
	va_start(ap, fmt);
	vsnprintf(T[NT].measured, sizeof(T[NT].measured), fmt, ap);
	va_end(ap);
	if (NT + 1 < (int)(sizeof(T) / sizeof(T[0])))
		T[NT++].ok = ok;
}

/*
 * The ns a frame path key adds over its ceiling ("over": the fixed redirect,
 * or the same-scale one), paired by repetition: at most limit.
 */
static void target_added(const char *what, const char *key, double limit)
{
	struct prow *p = pget(key), *o = p ? pget(p->over) : NULL;

	if (!p || !o || isnan(p->added)) {
		target(-1, what, "not measured (%s)", !p ? key : p->over);
		return;
	}
	target(p->added <= limit, what, "%+.1f ns paired (%+.1f..%+.1f); medians %.1f vs %.1f ns a "
	       "frame; %.2fx paired", p->added, p->amin, p->amax, 1e3 / p->med, 1e3 / o->med,
	       paired(p, o, NULL, NULL));
}

/*
 * Issue 16: routed path key's cost a frame at most limit times its
 * ceiling's (the routing ceiling, "ceil"), paired by repetition; the ns it
 * adds over it and over the fixed redirect fwd.  A row with drops did not
 * route (a route or an entry missing): a miss, whatever its rate.
 */
static void target_routed(const char *what, const char *key, const char *fwd, double limit)
{
	struct prow *p = pget(key), *c = p ? pget(p->ceil) : NULL, *f = pget(fwd);
	double cost;

	if (!p || !c) {
		target(-1, what, "not measured (%s)", !p ? key : p->ceil);
		return;
	}
	if (p->drops || c->drops) {
		target(0, what, "NOT ROUTED: %llu frames dropped by %s, %llu by %s",
		       p->drops, p->key, c->drops, c->key);
		return;
	}
	cost = paired(c, p, NULL, NULL);	/* its rate / ours: our cost / its cost */
	if (isnan(cost))
		cost = c->med / p->med;
	target(cost <= limit, what, "%.2fx its cost paired; %+.1f ns over it (%+.1f..%+.1f), %+.1f ns"
	       " over the fixed redirect; medians %.1f / %.1f / %.1f ns a frame", cost, p->added,
	       p->amin, p->amax, paired_ns(p, f, NULL, NULL), 1e3 / p->med, 1e3 / c->med,
	       f ? 1e3 / f->med : NAN);
}

/* A routed row (its ceiling the routing ceiling): the fixed redirect of its direction. */
static const char *routed_fwd(const struct prow *p)
{
	size_t n = strlen(p->ceil);

	if (n < 4 || strcmp(p->ceil + n - 4, "-fib"))
		return NULL;
	return !strcmp(p->dir, V2N) ? "v2n-fwd" : "n2v-fwd";
}

/* A chained row (issue 17): its ratio and +ns are over the plain L2 path. */
static int chained(const struct prow *p)
{
	return strstr(p->key, "-pp-chain") != NULL;
}

/*
 * Issue 17 (no target): the ns a frame the chained paths into the hop (a)
 * and out of it (b) add over the plain L2 path, and their sum, the cost of
 * a hop: paired by repetition (the sum of each repetition's two
 * differences).  A row with drops (or frames that went elsewhere) did not
 * take the chain: a miss.
 */
static void target_chain(const char *a_key, const char *b_key)
{
	struct prow *a = pget(a_key), *b = pget(b_key), *u = a ? pget(a->over) : NULL;
	double d[MAXREP], med, lo, hi;
	int n = 0;

	if (!a || !b || !u) {
		target(-1, "issue 17: the extra cost of a hop (one hop, XDP)", "not measured (%s)",
		       !a ? a_key : !b ? b_key : a->over);
		return;
	}
	if (a->drops || b->drops) {
		target(0, "issue 17: the extra cost of a hop (one hop, XDP)", "NOT CHAINED: %llu frames "
		       "of %s, %llu of %s dropped or delivered elsewhere", a->drops, a->key, b->drops,
		       b->key);
		return;
	}
	target(2, "(no target) VM -> hop: classified and sent to the function's port",
	       "%+.1f ns over the plain L2 path (%s) paired (%+.1f..%+.1f); medians %.1f vs %.1f ns a"
	       " frame", a->added, u->key, a->amin, a->amax, 1e3 / a->med, 1e3 / u->med);
	target(2, "(no target) hop -> network: the function's return past the last hop",
	       "%+.1f ns over the plain L2 path (%s) paired (%+.1f..%+.1f); medians %.1f vs %.1f ns a"
	       " frame", b->added, u->key, b->amin, b->amax, 1e3 / b->med, 1e3 / u->med);
	for (int k = 0; a->n == u->n && b->n == u->n && k < u->n; k++) {
		if (!(a->v[k] > 0) || !(b->v[k] > 0) || !(u->v[k] > 0))
			break;
		d[n++] = 1e3 / a->v[k] + 1e3 / b->v[k] - 2e3 / u->v[k];
	}
	if (n && n == u->n) {
		stats(d, n, &med, &lo, &hi);
		target(2, "(no target) issue 17: the extra cost of a hop (one hop, XDP): the two above",
		       "%+.1f ns a frame paired (%+.1f..%+.1f, %d repetitions)", med, lo, hi, n);
	} else {
		target(2, "(no target) issue 17: the extra cost of a hop (one hop, XDP): the two above",
		       "%+.1f ns a frame (medians; not paired)",
		       1e3 / a->med + 1e3 / b->med - 2e3 / u->med);
	}
}

/* Compare two rows' medians: ratio a/b against want (>=). */
static void target_ratio(const char *what, const char *a, const char *b, double want)
{
	struct prow *x = pget(a), *y = pget(b);

	if (!x || !y) {
		target(-1, what, "not measured (%s)", !x ? a : b);
		return;
	}
	double r = x->med / y->med, pr = paired(x, y, NULL, NULL);

	if (isnan(pr))
		target(r >= want, what, "%.2fx (%.2f / %.2f Mpps)", r, x->med, y->med);
	else
		target(pr >= want, what, "%.2fx paired (%.2f / %.2f Mpps: %.2fx)", pr, x->med,
		       y->med, r);
}

/* Per-frame cost (ns on the one CPU) of a against base: within 10%. */
static void target_flat(const char *what, const char *a, const char *base)
{
	struct prow *x = pget(a), *y = pget(base);

	if (!x || !y) {
		target(-1, what, "not measured");
		return;
	}
	double cx = 1e3 / x->med, cy = 1e3 / y->med, pr = paired(y, x, NULL, NULL);

	/* per frame: x costs y's rate / x's rate times as much, paired by repetition */
	if (isnan(pr))
		pr = cx / cy;
	target(pr <= 1.10, what, "%+.1f%% paired (medians: %.1f ns vs %.1f ns per frame, "
	       "%.2f vs %.2f Mpps)", (pr - 1) * 100, cx, cy, x->med, y->med);
}

static void target_cp(const char *what, const char *fig, unsigned sports, double limit)
{
	struct crow *c = cget(fig, sports);
	int timeouts = 0;

	if (!c) {
		target(-1, what, "not measured");
		return;
	}
	for (int i = 0; i < c->n; i++)
		timeouts += c->v[i] < 0;
	if (timeouts)
		target(0, what, "%d of %d did not arrive within 10 s (others: up to %.1f ms)",
		       timeouts, c->n, c->max);
	else
		target(c->med < limit, what, "%.1f ms (median of %d; %.1f-%.1f)", c->med, c->n,
		       c->min, c->max);
}

/*
 * Issue 20 (bench/vxlan.sh): each figure F of VM -> remote VM over polyport's
 * VXLAN path ("vxlan_F_pp") beside the same traffic over a Linux VXLAN device
 * and bridge ("vxlan_F_linux"), the two alternating by repetition.  ns(): a
 * sample's ns a packet (TCP: a 1,448-byte segment; a round trip for ping).
 */
struct vxfig {
	const char *f, *what, *per;
};

static const struct vxfig VXF[] = {
	{ "tcp", "iperf3 TCP, one stream", "a 1,448-byte segment" },
	{ "udp", "iperf3 UDP, 60-byte frames", "a packet" },
	{ "rtt", "ping, median RTT", "a round trip" },
};

static int is_vxlan(const struct crow *c)
{
	return !strncmp(c->fig, "vxlan_", 6);
}

static double vx_ns(const char *f, double v)
{
	if (!strcmp(f, "tcp"))
		return v > 0 ? 1448 * 8 / v : NAN; /* Gbit/s: ns a segment */
	if (!strcmp(f, "udp"))
		return v > 0 ? 1e6 / v : NAN; /* kpps: ns a packet */
	return v * 1e3; /* us: ns a round trip */
}

/*
 * polyport's and Linux's rows of figure f, paired by repetition: the median
 * (min, max) of polyport / Linux ("ratio") or of the ns polyport adds (NAN:
 * not both measured, or not paired).
 */
static double vx_paired(const char *f, int ns, double *min, double *max)
{
	char a[32], b[32];
	struct crow *p, *l;
	double d[MAXREP];

	snprintf(a, sizeof(a), "vxlan_%s_pp", f);
	snprintf(b, sizeof(b), "vxlan_%s_linux", f);
	p = cget(a, 1);
	l = cget(b, 1);
	if (!p || !l || p->n != l->n)
		return NAN;
	for (int k = 0; k < p->n; k++) {
		if (!(p->v[k] > 0) || !(l->v[k] > 0))
			return NAN;
		d[k] = ns ? vx_ns(f, p->v[k]) - vx_ns(f, l->v[k]) : p->v[k] / l->v[k];
	}
	double med, lo, hi;

	stats(d, p->n, &med, &lo, &hi);
	if (min)
		*min = lo;
	if (max)
		*max = hi;
	return med;
}

static void vx_table(void)
{
	int any = 0;

	for (unsigned i = 0; i < sizeof(VXF) / sizeof(VXF[0]); i++) {
		char a[32], b[32];
		struct crow *p, *l;
		double r, rlo = NAN, rhi = NAN, n, nlo = NAN, nhi = NAN;

		snprintf(a, sizeof(a), "vxlan_%s_pp", VXF[i].f);
		snprintf(b, sizeof(b), "vxlan_%s_linux", VXF[i].f);
		p = cget(a, 1);
		l = cget(b, 1);
		if (!p && !l)
			continue;
		if (!any++)
			printf("\nVM -> remote VM over VXLAN (bench/vxlan.sh: two hosts, one underlay; "
			       "the same light guests;\n polyport's VXLAN path vs a Linux VXLAN device + "
			       "bridge, alternating by repetition; paired: per repetition)\n"
			       "  %-28s %16s %16s  %-22s %s\n",
			       "figure", "polyport", "Linux", "polyport/Linux paired",
			       "polyport adds (paired)");
		r = vx_paired(VXF[i].f, 0, &rlo, &rhi);
		n = vx_paired(VXF[i].f, 1, &nlo, &nhi);
		char pv[32] = "-", lv[32] = "-", rr[48] = "-";

		if (p)
			snprintf(pv, sizeof(pv), "%.3g %s", p->med, p->unit);
		if (l)
			snprintf(lv, sizeof(lv), "%.3g %s", l->med, l->unit);
		if (!isnan(r))
			snprintf(rr, sizeof(rr), "%.2fx (%.2f..%.2f)", r, rlo, rhi);
		printf("  %-28s %16s %16s  %-22s ", VXF[i].what, pv, lv, rr);
		if (!isnan(n) && !strcmp(VXF[i].f, "rtt"))
			printf("%+.1f us %s (%+.1f..%+.1f)\n", n / 1e3, VXF[i].per, nlo / 1e3,
			       nhi / 1e3);
		else if (!isnan(n))
			printf("%+.0f ns %s (%+.0f..%+.0f)\n", n, VXF[i].per, nlo, nhi);
		else
			printf("-\n");
	}
	if (any)
		printf(" (guests, iperf3, ping and both dataplanes on one CPU; the Linux side does not pop"
		       " or push the VLAN tag\n (no 8021q or bridge VLAN filtering here); TCP: GSO frames,"
		       " ns a 1,448 bytes at the measured rate;\n UDP: received at an unlimited offered"
		       " rate: the share of the CPU left to the path after the\n senders moves it; + ="
		       " polyport's is slower)\n");
}

/*
 * Issue 20's figure: polyport's VXLAN path against Linux's for figure f, a
 * target of at least want x Linux's rate (0: none, reported only).
 */
static void target_vxlan(const char *what, const char *f, double want)
{
	char a[32];
	struct crow *p;
	double r, lo, hi, n, nlo, nhi;

	snprintf(a, sizeof(a), "vxlan_%s_pp", f);
	p = cget(a, 1);
	r = vx_paired(f, 0, &lo, &hi);
	n = vx_paired(f, 1, &nlo, &nhi);
	if (!p || isnan(r) || isnan(n)) {
		target(want > 0 ? -1 : 2, what, "not measured (%s)",
		       p ? "no Linux row to pair" : a);
		return;
	}
	for (unsigned i = 0; i < sizeof(VXF) / sizeof(VXF[0]); i++) {
		int us = !strcmp(f, "rtt");

		if (strcmp(VXF[i].f, f))
			continue;
		target(want > 0 ? r >= want : 2, what,
		       "%.2fx paired (%.2f..%.2f), %.3g %s; %+.*f %s "
		       "%s over Linux (%+.*f..%+.*f)",
		       r, lo, hi, p->med, p->unit, us, us ? n / 1e3 : n, us ? "us" : "ns",
		       VXF[i].per, us, us ? nlo / 1e3 : nlo, us, us ? nhi / 1e3 : nhi);
	}
}

static int cmd_report(int argc, char **argv)
{
	const char *dir = NULL;
	int check = 0, bad = 0;
	char path[512];
	FILE *f;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--check"))
			check = 1;
		else
			die("report: unknown argument %s", argv[i]);
	}
	if (!dir)
		die("report: --dir DIR");
	load_report(dir);
	if (!NP && !NC)
		die("report: no results under %s", dir);

	if (check) {
		/* Sanity only (make bench-smoke): non-zero, the generator faster than every path. */
		for (int i = 0; i < NP; i++) {
			struct prow *p = &P[i], *g = pget(p->gceil);

			if (!(p->min > 0))
				printf("FAIL bench:%s: %s %s gave %.3f Mpps\n", p->key, p->system, p->dir,
				       p->min), bad++;
			else if (g && g != p && !(g->med > p->med))
				printf("FAIL bench:%s: %.3f Mpps, not below its generator's %.3f Mpps\n",
				       p->key, p->med, g->med), bad++;
			else if (p->drops)
				printf("FAIL bench:%s: %s dropped %llu frames\n", p->key,
				       strcmp(p->system, "ceiling") ? "polyport" : "the ceiling", p->drops),
					bad++;
			else
				printf("PASS bench:%s: %.3f Mpps (%s, %s)\n", p->key, p->med, p->system,
				       p->dir);
		}
		for (int i = 0; i < NC; i++) {
			struct crow *c = &C[i];

			if (c->min > 0)
				printf("PASS bench:%s/%u: %.1f %s\n", c->fig, c->sports, c->med, c->unit);
			else
				printf("FAIL bench:%s/%u: %.1f %s\n", c->fig, c->sports, c->min, c->unit),
					bad++;
		}
		return bad ? 1 : 0;
	}

	/* ---- the table ---- */
	printf("\n%-13s %-14s %-7s %-47s %8s %17s %7s %7s %7s %8s  %s\n", "direction", "system",
	       "ports", "what", "Mpps", "min-max", "ns/fr", "ratio", "paired", "+ns", "limited by");
	const char *last = "";

	for (int i = 0; i < NP; i++) {
		struct prow *p = &P[i];
		char mm[32], ports[16], add[16] = "-";

		if (p->twin)
			continue;
		if (strcmp(last, p->dir))
			printf("%s\n", "------------------------------------------------------------"
				       "-------------------------------------------------------------------"
				       "-----");
		last = p->dir;
		snprintf(mm, sizeof(mm), "%.2f-%.2f", p->min, p->max);
		snprintf(ports, sizeof(ports), "%u", p->sports);
		if (!isnan(p->added))
			snprintf(add, sizeof(add), "%+.1f%s", p->added, strcmp(p->over, p->ceil) ? "*" : "");
		printf("%-13s %-14s %-7s %-47.47s %8.2f %17s %7.1f %6.2fx %6.2fx %8s  %s%s\n", p->dir,
		       p->system, ports, p->variant, p->med, mm, 1e3 / p->med, p->ratio, p->pratio, add,
		       limited(p), p->drops ? " (drops!)" : "");
	}
	printf("(ratio: median against the ceiling's median, same direction, same run: forward"
	       " ceiling; tap -> network: write() -> XDP_DROP on the tap.\n paired: the median of"
	       " per-repetition ratios, each path beside the ceiling of the same repetition.\n +ns:"
	       " ns a frame added over the fixed redirect of the same direction, the median of"
	       " per-repetition differences\n (path - ceiling, same repetition); * over another"
	       " ceiling than the ratio's: at 1,000 x 100 the same-scale one (a fixed\n redirect"
	       " over 1,000 devices), on the tap the fixed tap redirect;\n routed paths (pp-l3): ratio and"
	       " +ns against the routing ceiling (fib) on the same devices;\n chained paths (pp-chain):"
	       " ratio and +ns against the plain L2 path (v2n-pp-1u))\n");
	{
		/* ns a frame are what compare across machines: the ceilings', as measured here */
		struct prow *c[6] = { pget("v2n-fwd"), pget("n2v-fwd"), pget("v2n-fwd-1000"),
				      pget("n2v-fwd-1000"), pget("tv2n-fwd"), pget("tn2v-fwd") };
		const char *what[6] = { "VM -> network", "network -> VM",
					"VM -> network over 1,000 devices",
					"network -> VM to 1,000 devices", "tap write() -> veth",
					"veth -> tap read()" };
		int any = 0;

		for (int k = 0; k < 6; k++)
			if (c[k])
				printf("%s %s %.1f", any++ ? "," : "machine's ceiling (fixed redirect, ns a frame,"
				       " median: generator + redirect + sink on one CPU):", what[k],
				       1e3 / c[k]->med);
		if (any)
			printf("\n");
	}
	if (NP) {
		const struct prow *b = NULL;
		int n = 0, slow = 0;

		for (int i = 0; i < NP; i++)
			if (P[i].base && !b)
				b = P[i].base;
		if (b)
			printf("\nvs baseline %s (its programs and maps on the same devices, in the same run:"
			       " each path and its\n baseline back to back, which first alternating by"
			       " repetition; the median of per-repetition\n differences, + = slower;"
			       " flagged: slower by more than 2 ns or 3 %%, whichever is more)\n"
			       "  %-13s %16s %16s  %-36s\n", b->variant, "path", "Mpps this / base",
			       "ns/fr this/base", "this - baseline (min..max)");
		for (int i = 0; b && i < NP; i++) {
			struct prow *p = &P[i];
			char mp[32], ns[32], d[64];

			if (!p->base)
				continue;
			n++;
			snprintf(mp, sizeof(mp), "%.2f / %.2f", p->med, p->base->med);
			snprintf(ns, sizeof(ns), "%.1f / %.1f", 1e3 / p->med, 1e3 / p->base->med);
			snprintf(d, sizeof(d), "%+.1f ns (%+.1f..%+.1f), %+.1f %%", p->bns, p->bnsmin,
				 p->bnsmax, p->bpct);
			printf("  %-13s %16s %16s  %-36s %s\n", p->key, mp, ns, d,
			       base_slower(p) ? "SLOWER: more than 2 ns and 3 %" : "ok");
			slow += base_slower(p);
		}
		if (b)
			printf("  %d paths compared, %d slower by more than 2 ns or 3 %% (whichever is"
			       " more)\n", n, slow);
	}
	if (NC) {
		int head = 0;

		for (int i = 0; i < NC; i++) {
			struct crow *c = &C[i];

			if (is_vxlan(c))
				continue;	/* vx_table() */
			if (!head++)
				printf("\ncontrol plane (polyportd)          median      min-max   samples\n");
			printf("  %-12s %7u ports %9.1f %-3s %6.1f-%-6.1f %d %s\n", c->fig, c->sports,
			       c->med, c->unit, c->min, c->max, c->n, c->extra);
		}
		vx_table();
	}

	/* ---- the targets of issue 8 ---- */
	{
		struct prow *a = pget("v2n-pp-1u"), *b = pget("n2v-pp-1u"), *t = pget("tv2n-pp");

		if (a)
			target(a->pratio >= 0.90, "VM -> network, XDP classify + pop + redirect >= 0.90x "
			       "forward ceiling (1 service port)", "%.2fx paired, %.2f-%.2f (medians: "
			       "%.2fx, %.2f Mpps)", a->pratio, a->pmin, a->pmax, a->ratio, a->med);
		else
			target(-1, "VM -> network, XDP >= 0.90x ceiling", "not measured");
		if (b)
			target(b->pratio >= 0.90, "network -> VM, XDP push + redirect >= 0.90x forward "
			       "ceiling (1 service port)", "%.2fx paired, %.2f-%.2f (medians: %.2fx, "
			       "%.2f Mpps)", b->pratio, b->pmin, b->pmax, b->ratio, b->med);
		else
			target(-1, "network -> VM, XDP >= 0.90x ceiling", "not measured");
		target_flat("VM -> network: 1 -> 4,094 service ports on one instance port, cost "
			    "within 10%", "v2n-pp-4094", "v2n-pp-1");
		target_flat("VM -> network: 1 -> 1,000 instance ports x 100 service ports, within 10%",
			    "v2n-pp-100k", "v2n-pp-1");
		target_flat("network -> VM: 1 -> 4,094 service ports, within 10%", "n2v-pp-4094",
			    "n2v-pp-1");
		target_flat("network -> VM: 1 -> 1,000 x 100 service ports, within 10%", "n2v-pp-100k",
			    "n2v-pp-1");
		target_ratio(">= 2.5x the TC path (VM -> network)", "v2n-pp-1u", "v2n-tc", 2.5);
		target_ratio(">= 2.5x the TC path (network -> VM)", "n2v-pp-1u", "n2v-tc", 2.5);
		target_ratio(">= 3x the Linux bridge (VM -> network)", "v2n-pp-1u", "v2n-bridge", 3);
		target_ratio(">= 8x OVS with AF_XDP ports (VM -> network)", "v2n-pp-1u", "v2n-ovsx", 8);
		target_ratio("(no target) vs OVS with AF_PACKET ports", "v2n-pp-1u", "v2n-ovsp", 0);
		if (t)
			target(t->pratio >= 0.75, "tap path: >= 0.75x tap write() -> XDP_DROP",
			       "%.2fx paired (medians: %.2fx, %.3f Mpps)", t->pratio, t->ratio, t->med);
		else
			target(-1, "tap path >= 0.75x tap -> XDP_DROP", "not measured");
		target_cp("control plane: 4,094 service ports applied from files < 100 ms", "apply",
			  4094, 100);
		if (!cget("apply", 100000) && cget("apply_rejected", 100000)) {
			struct crow *rj = cget("apply_rejected", 100000), *a = cget("apply", 65000);

			target(0, "control plane: 100,000 service ports applied from files < 2 s",
			       "refused (%s); 65,000 applied in %.0f ms", rj->extra, a ? a->med : NAN);
		} else {
			target_cp("control plane: 100,000 service ports applied from files < 2 s",
				  "apply", 100000, 2000);
		}
		target_cp("control plane: first frame < 20 ms after the tap appears (4,095 ports "
			  "configured)", "first_frame", 4095, 20);
		target_cp("(no target) first frame, 1 port configured", "first_frame", 1, 20);
		/* issue 19: bench/cluster.sh, three hosts on one etcd */
		target_cp("cluster: 1,000 service ports via the store programmed < 1 s", "cluster_1k",
			  1000, 1000);
		target_cp("cluster: 100,000 service ports over 3 hosts programmed < 5 s",
			  "cluster_100k", 100000, 5000);
		target_cp("cluster: one API change on the remote host's dataplane < 50 ms",
			  "cluster_api", 1, 50);
		{
			struct crow *r4 = cget("rss", 4094), *r1 = cget("rss", 100000), *r0 = cget("rss", 0);
			struct crow *a4 = cget("rss_anon", 4094), *a1 = cget("rss_anon", 100000);
			struct crow *a0 = cget("rss_anon", 0);
			unsigned big = 100000;

			if (!r1 && (r1 = cget("rss", 65000))) {
				a1 = cget("rss_anon", 65000);
				big = 65000;
			}
			if (r4 || r1)
				target(1, "control plane: steady-state daemon memory reported",
				       "RSS %.1f / %.1f / %.1f MiB idle / 4,094 / %u ports; of it its own "
				       "(RssAnon, not the mmapped BPF arrays) %.1f / %.1f / %.1f MiB",
				       r0 ? r0->med : NAN, r4 ? r4->med : NAN, r1 ? r1->med : NAN, big,
				       a0 ? a0->med : NAN, a4 ? a4->med : NAN, a1 ? a1->med : NAN);
			else
				target(-1, "daemon memory", "not measured");
		}
		int t8 = NT;

		/* ---- the targets of issue 15: the ns polyport adds ---- */
		target_added("VM -> network, untagged network, 1 service port: added cost <= 7 ns over"
			     " the fixed redirect", "v2n-pp-1u", 7);
		target_added("VM -> network, VLAN network, 1 service port: added cost <= 7 ns over the"
			     " fixed redirect", "v2n-pp-1", 7);
		target_added("VM -> network, 4,094 service ports: added cost <= 7 ns over the fixed"
			     " redirect", "v2n-pp-4094", 7);
		target_added("network -> VM, untagged network, 1 service port: added cost <= 7 ns over"
			     " the fixed redirect", "n2v-pp-1u", 7);
		target_added("network -> VM, VLAN network, 1 service port: added cost <= 7 ns over the"
			     " fixed redirect", "n2v-pp-1", 7);
		target_added("network -> VM, 4,094 service ports: added cost <= 7 ns over the fixed"
			     " redirect", "n2v-pp-4094", 7);
		target_added("VM -> network, 1,000 x 100: <= 15 ns over the same-scale ceiling (fixed"
			     " redirect over 1,000 devices)", "v2n-pp-100k", 15);
		target_added("network -> VM, 1,000 x 100: <= 15 ns over the same-scale ceiling (fixed"
			     " redirect to 1,000 devices)", "n2v-pp-100k", 15);
		target_ratio("tap path: polyport XDP >= 0.95x of the fixed tap redirect", "tv2n-pp",
			     "tv2n-fwd", 0.95);
		{
			struct prow *fl = pget("v2n-flood"), *tc = pget("v2n-tc");
			struct prow *se = pget("v2n-sec"), *u = pget("v2n-pp-1u");

			double x;

			if (fl && !isnan(fl->added) && !isnan(x = paired_ns(fl, tc, NULL, NULL)))
				target(2, "(no target) flood: a broadcast handed to TC, 3 copies (network"
				       " + 2 local ports)", "%+.1f ns over the fixed redirect; %+.1f ns"
				       " over the TC path's one copy (v2n-tc), paired", fl->added, x);
			else if (fl && !isnan(fl->added))
				target(2, "(no target) flood: a broadcast handed to TC, 3 copies (network"
				       " + 2 local ports)", "%+.1f ns over the fixed redirect, paired",
				       fl->added);
			if (se && !isnan(se->added) && !isnan(x = paired_ns(se, u, NULL, NULL)))
				target(2, "(no target) security path: port security + 6 stateless rules",
				       "%+.1f ns over the fixed redirect; %+.1f ns over the same port "
				       "without them (v2n-pp-1u), paired", se->added, x);
			else if (se && !isnan(se->added))
				target(2, "(no target) security path: port security + 6 stateless rules",
				       "%+.1f ns over the fixed redirect, paired", se->added);
		}
		{
			const struct prow *b = NULL;
			char slow[240] = "";
			int n = 0, k = 0, worst = -1;

			for (int i = 0; i < NP; i++) {
				struct prow *p = &P[i];

				if (!p->base)
					continue;
				b = p->base;
				n++;
				if (worst < 0 || p->bns > P[worst].bns)
					worst = i;
				if (!base_slower(p))
					continue;
				if (strlen(slow) < sizeof(slow) - 64)
					snprintf(slow + strlen(slow), sizeof(slow) - strlen(slow),
						 "%s%.40s %+.1f ns %+.1f %%", k ? ", " : "", p->key, p->bns,
						 p->bpct);
				k++;
			}
			if (b && k)
				target(0, "no regression: no path more than 2 ns or 3 % (whichever is more)"
				       " slower than the baseline", "%d of %d slower than %s: %s", k, n, b->variant, slow);
			else if (b)
				target(1, "no regression: no path more than 2 ns or 3 % (whichever is more)"
				       " slower than the baseline", "%d paths vs %s, none; the most: %s %+.1f ns %+.1f %%",
				       n, b->variant, P[worst].key, P[worst].bns, P[worst].bpct);
		}
		int t16 = NT;

		/* ---- the targets of issue 16: routing ---- */
		target_routed("issue 16: routed <= 1.15x fib ceiling (VM -> uplink, 10,002 routes)",
			      "v2n-pp-l3", "v2n-fwd", 1.15);
		target_routed("issue 16: routed <= 1.15x fib ceiling (uplink -> VM, 10,002 routes)",
			      "n2v-pp-l3", "n2v-fwd", 1.15);
		{
			struct prow *a = pget("v2n-fib"), *b = pget("n2v-fib");

			if (a && b && !isnan(a->added) && !isnan(b->added))
				target(2, "(no target) the routing ceiling (bare fib lookup) over the fixed"
				       " redirect", "%+.1f ns VM -> uplink, %+.1f ns uplink -> VM, paired",
				       a->added, b->added);
		}
		int t17 = NT;

		/* ---- issue 17: service chains ---- */
		if (pget("v2h-pp-chain") || pget("h2n-pp-chain"))
			target_chain("v2h-pp-chain", "h2n-pp-chain");
		int t20 = NT;

		/* ---- issue 20: VM -> remote VM over VXLAN, polyport vs Linux ---- */
		if (cget("vxlan_tcp_pp", 1) || cget("vxlan_tcp_linux", 1)) {
			target_vxlan("issue 20: VXLAN, TCP VM -> remote VM >= 0.8x Linux VXLAN + bridge",
				     "tcp", 0.8);
			target_vxlan("(no target) VXLAN, UDP 60-byte frames VM -> remote VM", "udp", 0);
			target_vxlan("(no target) VXLAN, ping RTT VM -> remote VM (ratio: lower is "
				     "faster)", "rtt", 0);
		}
		printf("\ntargets (issue 8)\n");
		for (int i = 0; i < NT; i++) {
			if (i == t8)
				printf("\ntargets (issue 15: ns a frame added, paired by repetition)\n");
			if (i == t16)
				printf("\ntargets (issue 16: routing, paired by repetition)\n");
			if (i == t17 && t17 < t20)
				printf("\nissue 17: service chains (ns a frame over the plain L2 path, "
				       "paired by repetition)\n");
			if (i == t20)
				printf("\nissue 20: VM -> remote VM over VXLAN (polyport vs a Linux VXLAN "
				       "device + bridge, paired by repetition)\n");
			printf("  %-5s %-82s %s\n", T[i].ok == 2 ? "-" : T[i].ok > 0 ? "PASS" :
			       T[i].ok == 0 ? "MISS" : "n/a", T[i].what, T[i].measured);
		}
	}

	/* ---- results.json ---- */
	snprintf(path, sizeof(path), "%s/results.json", dir);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "[\n");
	int nobj = 0;

	for (int i = 0; i < NP; i++) {
		struct prow *p = &P[i];

		if (p->twin)
			continue;	/* under its path's "baseline" */
		fprintf(f, "%s  {", nobj++ ? ",\n" : "");
		json_str(f, "kind", "path", 1);
		json_str(f, "key", p->key, 1);
		json_str(f, "system", p->system, 1);
		json_str(f, "direction", p->dir, 1);
		json_str(f, "what", p->variant, 1);
		fprintf(f, "\"service_ports\": %u, \"instance_ports\": %u, ", p->sports, p->iports);
		json_num(f, "mpps_median", p->med, 1);
		json_num(f, "mpps_min", p->min, 1);
		json_num(f, "mpps_max", p->max, 1);
		json_num(f, "ratio_to_ceiling", p->ratio, 1);
		json_num(f, "ratio_to_ceiling_paired", p->pratio, 1);
		json_num(f, "ratio_to_ceiling_paired_min", p->pmin, 1);
		json_num(f, "ratio_to_ceiling_paired_max", p->pmax, 1);
		json_str(f, "ceiling", p->ceil, 1);
		json_num(f, "ns_per_frame", 1e3 / p->med, 1);
		/* per repetition: its ns a frame minus its ceiling's ("over") */
		json_num(f, "ns_added", p->added, 1);
		json_num(f, "ns_added_min", p->amin, 1);
		json_num(f, "ns_added_max", p->amax, 1);
		json_str(f, "ns_added_over", p->over, 1);
		if (routed_fwd(p)) {	/* routed: also against the fixed redirect */
			struct prow *c = pget(p->ceil);
			double cost = paired(c, p, NULL, NULL);

			json_num(f, "cost_ratio_to_fib_ceiling", c && isnan(cost) ? c->med / p->med : cost, 1);
			json_num(f, "ns_added_over_fixed_redirect",
				 paired_ns(p, pget(routed_fwd(p)), NULL, NULL), 1);
		}
		if (chained(p))		/* chained: "ns_added" is over the plain L2 path */
			json_num(f, "ns_added_over_fixed_redirect", paired_ns(p, pget("v2n-fwd"), NULL,
									      NULL), 1);
		json_num(f, "ratio_to_generator", p->gratio, 1);
		json_str(f, "limited_by", limited(p), 1);
		fprintf(f, "\"polyport_drops\": %llu, ", p->drops);
		if (!strcmp(p->dir, TN2V))
			json_num(f, "share_of_generated_frames_read", p->note, 1);
		if (p->base) {
			struct prow *b = p->base;

			fprintf(f, "\"baseline\": {");
			json_str(f, "commit", b->variant, 1);
			json_num(f, "mpps_median", b->med, 1);
			json_num(f, "ns_per_frame", 1e3 / b->med, 1);
			json_num(f, "ns_more", p->bns, 1);
			json_num(f, "ns_more_min", p->bnsmin, 1);
			json_num(f, "ns_more_max", p->bnsmax, 1);
			json_num(f, "percent_more", p->bpct, 1);
			fprintf(f, "\"slower\": %s, \"samples\": [", base_slower(p) ? "true" : "false");
			for (int k = 0; k < b->n; k++)
				fprintf(f, "%s%.4f", k ? ", " : "", b->v[k]);
			fprintf(f, "]}, ");
		}
		fprintf(f, "\"samples\": [");
		for (int k = 0; k < p->n; k++)
			fprintf(f, "%s%.4f", k ? ", " : "", p->v[k]);
		fprintf(f, "]}");
	}
	for (int i = 0; i < NC; i++) {
		struct crow *c = &C[i];

		fprintf(f, "%s  {", nobj++ ? ",\n" : "");
		json_str(f, "kind", "control-plane", 1);
		json_str(f, "figure", c->fig, 1);
		fprintf(f, "\"service_ports\": %u, ", c->sports);
		json_str(f, "unit", c->unit, 1);
		json_num(f, "median", c->med, 1);
		json_num(f, "min", c->min, 1);
		json_num(f, "max", c->max, 1);
		if (c->target > 0)
			json_num(f, "target", c->target, 1);
		json_str(f, "extra", c->extra, 1);
		if (is_vxlan(c) && strstr(c->fig, "_pp")) {	/* against Linux's row */
			char fx[8];

			snprintf(fx, sizeof(fx), "%.3s", c->fig + 6);
			json_num(f, "ratio_to_linux_paired", vx_paired(fx, 0, NULL, NULL), 1);
			json_num(f, "ns_added_over_linux", vx_paired(fx, 1, NULL, NULL), 1);
		}
		fprintf(f, "\"samples\": [");
		for (int k = 0; k < c->n; k++)
			fprintf(f, "%s%.3f", k ? ", " : "", c->v[k]);
		fprintf(f, "]}");
	}
	fprintf(f, "\n]\n");
	fclose(f);

	/* ---- the plot's data ---- */
	snprintf(path, sizeof(path), "%s/paths.dat", dir);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "# index label median min max direction(1 VM>net, 2 net>VM, 3 tap VM>net, 4 tap net>VM)\n");
	for (int i = 0, k = 0; i < NP; i++) {
		struct prow *p = &P[i];

		if (p->twin)
			continue;
		fprintf(f, "%d \"%s %s%s%s\" %.4f %.4f %.4f %d\n", k++,
			!strcmp(p->dir, V2N) ? "VM>net" : !strcmp(p->dir, N2V) ? "net>VM" :
			!strcmp(p->dir, TV2N) ? "tap VM>net" : "tap net>VM", p->system,
			strstr(p->key, "flood") || strstr(p->key, "sec") || p->sports > 1 ? " " : "",
			routed_fwd(p) ? " routed" : strstr(p->key, "-fib") ? " fib" :
			chained(p) ? (!strncmp(p->key, "v2h", 3) ? " chain to hop" : " chain hop out") :
			strstr(p->key, "flood") ? "flood" : strstr(p->key, "sec") ? "security" :
			p->sports > 1 ? (p->sports > 4094 ? "100k" : "4094") :
			strstr(p->variant, "receive") ? " rx" :
			!strcmp(p->system, "polyport-xdp") && strstr(p->variant, "VLAN") ? " vlan" : "",
			p->med, p->min, p->max, !strcmp(p->dir, V2N) ? 1 : !strcmp(p->dir, N2V) ? 2 :
			!strcmp(p->dir, TV2N) ? 3 : 4);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/scale.dat", dir);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "# service_ports ns_per_frame(median) ns(min Mpps) ns(max Mpps)\n");
	for (int d = 0; d < 2; d++) {
		const char *keys[2][3] = { { "v2n-pp-1", "v2n-pp-4094", "v2n-pp-100k" },
					   { "n2v-pp-1", "n2v-pp-4094", "n2v-pp-100k" } };
		const char *ceil = d ? "n2v-fwd" : "v2n-fwd";
		struct prow *c = pget(ceil);

		fprintf(f, "# %s\n", d ? "network -> VM" : "VM -> network");
		for (int k = 0; k < 3; k++) {
			struct prow *p = pget(keys[d][k]);

			if (p)
				fprintf(f, "%u %.2f %.2f %.2f %.2f\n", p->sports, 1e3 / p->med,
					1e3 / p->max, 1e3 / p->min, c ? 1e3 / c->med : NAN);
		}
		fprintf(f, "\n\n");
	}
	fclose(f);
	return 0;
}

/* ==== a source-line profile of a JIT-compiled program ====================== */

/*
 * ppbench lineprof --prog-id ID < offsets
 *
 * Reads sample offsets into program ID (hex, as perf script prints them:
 * "sym+0x1f3"), maps each to the BPF source line it was compiled from
 * (bpf_prog_info: jited_line_info and line_info, the strings of its BTF),
 * and prints samples per source line, most first.  bpftool here cannot
 * disassemble (no libbfd), and perf cannot annotate BPF without libopcodes:
 * this is what is left.
 */
struct lp_line {
	__u64 addr;		/* offset in the image */
	const char *src;
	unsigned line;
	unsigned long samples;
};

static int lp_cmp_addr(const void *a, const void *b)
{
	const struct lp_line *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int lp_cmp_samples(const void *a, const void *b)
{
	const struct lp_line *x = a, *y = b;

	return x->samples > y->samples ? -1 : x->samples < y->samples;
}

static int cmd_lineprof(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), nl, nj, nk;
	struct bpf_line_info *li;
	__u64 *jli, *ksyms, total = 0, outside = 0;
	struct lp_line *L;
	struct btf *btf;
	char buf[256];
	int fd, id = -1;

	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--prog-id") && i + 1 < argc)
			id = atoi(argv[++i]);
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		die("program %d: %s", id, strerror(errno));
	nl = info.nr_line_info;
	nj = info.nr_jited_line_info;
	nk = info.nr_jited_ksyms;
	if (!nl || nl != nj || !nk)
		die("program %d has no line information", id);
	li = calloc(nl, sizeof(*li));
	jli = calloc(nj, sizeof(*jli));
	ksyms = calloc(nk, sizeof(*ksyms));
	L = calloc(nl, sizeof(*L));
	if (!li || !jli || !ksyms || !L)
		die("out of memory");
	memset(&info, 0, sizeof(info));
	info.nr_line_info = nl;
	info.line_info_rec_size = sizeof(*li);
	info.line_info = (__u64)(unsigned long)li;
	info.nr_jited_line_info = nj;
	info.jited_line_info_rec_size = sizeof(__u64);
	info.jited_line_info = (__u64)(unsigned long)jli;
	info.nr_jited_ksyms = nk;
	info.jited_ksyms = (__u64)(unsigned long)ksyms;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		die("program %d: %s", id, strerror(errno));
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		die("program %d: its BTF: %s", id, strerror(errno));
	for (__u32 i = 0; i < nl; i++) {
		const char *src = btf__name_by_offset(btf, li[i].line_off);

		L[i].addr = jli[i] - ksyms[0];		/* subprograms: after the main one */
		L[i].src = src ? src : "?";
		L[i].line = li[i].line_col >> 10;
	}
	qsort(L, nl, sizeof(*L), lp_cmp_addr);
	while (fgets(buf, sizeof(buf), stdin)) {
		char *p = strstr(buf, "+0x");
		__u64 off;
		long lo = 0, hi = (long)nl - 1, at = -1;

		if (!p)
			continue;
		off = strtoull(p + 3, NULL, 16);
		total++;
		while (lo <= hi) {
			long mid = (lo + hi) / 2;

			if (L[mid].addr <= off) {
				at = mid;
				lo = mid + 1;
			} else {
				hi = mid - 1;
			}
		}
		if (at < 0)
			outside++;
		else
			L[at].samples++;
	}
	/* entries of the same source line (inlined in several places): one */
	for (__u32 i = 0; i < nl; i++)
		for (__u32 j = i + 1; j < nl && L[i].samples; j++)
			if (L[j].samples && L[j].line == L[i].line && !strcmp(L[j].src, L[i].src)) {
				L[i].samples += L[j].samples;
				L[j].samples = 0;
			}
	qsort(L, nl, sizeof(*L), lp_cmp_samples);
	printf("samples in program %d: %llu (per source line, as compiled; %llu before the first)\n",
	       id, (unsigned long long)total, (unsigned long long)outside);
	for (__u32 i = 0; i < nl && L[i].samples; i++) {
		const char *t = L[i].src;

		while (*t == ' ' || *t == '\t')
			t++;
		printf("  %5.1f%%  line %4u  %.90s\n", 100.0 * L[i].samples / (total ? total : 1),
		       L[i].line, t);
	}
	btf__free(btf);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "dataplane"))
		return cmd_dataplane(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "control"))
		return cmd_control(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_report(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "lineprof"))
		return cmd_lineprof(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "install"))
		return cmd_install(argc - 2, argv + 2);
	fprintf(stderr, "usage: ppbench dataplane|control|report ... (see bench/ppbench.c)\n");
	return 2;
}
