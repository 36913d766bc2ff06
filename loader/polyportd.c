// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyportd: keeps the dataplane what the binding files say.
 *
 * It loads the BPF programs (adopting the maps pinned under its pin root),
 * reconciles the binding files into the maps, and follows changes: files
 * (inotify, SIGHUP), links (rtnetlink: taps and network devices that come
 * and go, and the veth peers, in any namespace, whose offloads decide XDP
 * on a network device).  On SIGTERM/SIGINT it exits and leaves programs attached and maps
 * pinned: the dataplane keeps forwarding, and the next daemon adopts it.
 */
#include <errno.h>
#include <net/if.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "api.h"
#include "l3nh.h"
#include "links.h"
#include "reconcile.h"
#include "upgrade.h"
#include "util.h"

#define DEF_CONFIG	"/etc/polyport/bindings.d"
#define DEF_STATE	"/var/lib/polyport"
#define RELOAD_DEBOUNCE_MS 20

static const char usage[] =
"Usage: polyportd [OPTIONS]\n"
"       polyportd --check [--config DIR]\n"
"\n"
"Keeps polyport's eBPF dataplane what the binding files say: loads and\n"
"attaches the programs, fills the pinned maps, and follows file changes\n"
"(inotify, SIGHUP) and taps and network devices that come and go.\n"
"SIGTERM/SIGINT stop the daemon and leave the dataplane forwarding.\n"
"\n"
"Options:\n"
"  -c, --config DIR      binding files: every *.yaml in DIR, read together\n"
"                        (default " DEF_CONFIG ")\n"
"  -p, --pin-root DIR    where maps are pinned (default " PP_PIN_ROOT_DEFAULT ");\n"
"                        one daemon per pin root\n"
"  -s, --state-dir DIR   state and status.json (default " DEF_STATE ")\n"
"  -a, --api-socket PATH the northbound API's Unix socket, mode 0660\n"
"                        (default " PP_API_SOCKET_DEFAULT ")\n"
"      --api-group NAME  group owning the API socket (default root)\n"
"      --metrics-listen ADDR:PORT  also serve /metrics on TCP (default off)\n"
"  -f, --foreground      do not fork; log to stderr (default: fork, syslog)\n"
"  -v, --verbose         more logging (twice: libbpf's too)\n"
"      --check           validate the binding files and exit: 0 if valid,\n"
"                        1 with the errors (file:line:column: reason) on\n"
"                        stderr; touches nothing\n"
"      --max-iports N    instance-port slots (default 1024)\n"
"      --max-sports N    service port ids (default 131072)\n"
"      --max-networks N  network ids (default 4096, at most 65536: each\n"
"                        takes 4 KiB of pp_dst)\n"
"      --max-ifindex N   device ifindexes (default 1048576)\n"
"                        (maps are sized when first created, and must\n"
"                        match when adopted)\n"
"\n"
"Many hosts (cluster mode, README \"Many hosts\"):\n"
"      --store etcd=URL[,URL...]  the API's objects live in etcd (v3, its\n"
"                        JSON gateway); this host programs its share\n"
"      --host NAME       this host's name in the store (required with --store)\n"
"      --etcd-ca FILE, --etcd-cert FILE, --etcd-key FILE  TLS: the CA of\n"
"                        etcd's certificate, our client certificate and key\n"
"      --etcd-prefix P   the keys' prefix (default /polyport/v1/)\n"
"      --lease-ttl S     our record and statuses expire S seconds after we\n"
"                        stop (default 10)\n"
"      --vtep ADDR       this host's VXLAN tunnel endpoint (IPv4 or IPv6), an\n"
"                        address of its underlay device: stretched networks\n"
"                        (vxlan: {vni: N}) go through a VXLAN device polyportd\n"
"                        creates (external mode, MTU the underlay's minus 50\n"
"                        over IPv4, 70 over IPv6) and leaves at exit\n"
"      --vxlan-device NAME  that device's name (default " PP_VXLAN_DEV_DEFAULT ")\n"
"      --vxlan-port N    its UDP port (default 4789)\n"
"  -h, --help            this text\n";

struct opts {
	const char *config, *pin_root, *state_dir, *api_socket, *api_group, *metrics_listen;
	const char *store, *host, *etcd_ca, *etcd_cert, *etcd_key, *etcd_prefix;
	const char *vtep, *vxlan_dev;
	unsigned lease_ttl, vxlan_port;
	int foreground, verbose, check;
	struct pp_map_sizes sizes;
};

static struct pp_daemon D;
static struct pp_api *API;
static struct opts O;
static struct pp_vxlan_host VX;	/* --vtep, checked (D.vx once the daemon is open) */
static char status_path[512];

static int libbpf_log(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	char buf[512];

	if (l == LIBBPF_DEBUG && O.verbose < 2)
		return 0;
	if (l == LIBBPF_INFO && O.verbose < 1)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	/*
	 * The kernel's words for "clsact is already there" and "no clsact yet",
	 * which the TC hook create/query see every time: expected, not news.
	 */
	if (strstr(buf, "Exclusivity flag on") || strstr(buf, "Parent Qdisc doesn't exists"))
		l = LIBBPF_DEBUG;
	if (l == LIBBPF_DEBUG && O.verbose < 2)
		return 0;
	pp_log(l == LIBBPF_WARN ? PP_LOG_WARN : PP_LOG_DEBUG, "libbpf: %s", buf);
	return 0;
}

/*
 * The command line.  Its errors (and --help) go to stderr (stdout) with
 * stdio: logging is not set up yet.  Everything later logs with pr_*, but
 * --check, a command whose output is its result (check_only()).
 */
static int parse_args(int argc, char **argv)
{
	enum { O_CHECK = 256, O_MAXI, O_MAXS, O_MAXN, O_MAXIF, O_GROUP, O_METRICS, O_STORE,
	       O_HOST, O_CA, O_CERT, O_KEY, O_PREFIX, O_TTL, O_VTEP, O_VXDEV, O_VXPORT };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "pin-root", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "max-iports", required_argument, NULL, O_MAXI },
		{ "max-sports", required_argument, NULL, O_MAXS },
		{ "max-networks", required_argument, NULL, O_MAXN },
		{ "max-ifindex", required_argument, NULL, O_MAXIF },
		{ "help", no_argument, NULL, 'h' },
		{ "api-socket", required_argument, NULL, 'a' },
		{ "api-group", required_argument, NULL, O_GROUP },
		{ "metrics-listen", required_argument, NULL, O_METRICS },
		{ "store", required_argument, NULL, O_STORE },
		{ "host", required_argument, NULL, O_HOST },
		{ "etcd-ca", required_argument, NULL, O_CA },
		{ "etcd-cert", required_argument, NULL, O_CERT },
		{ "etcd-key", required_argument, NULL, O_KEY },
		{ "etcd-prefix", required_argument, NULL, O_PREFIX },
		{ "lease-ttl", required_argument, NULL, O_TTL },
		{ "vtep", required_argument, NULL, O_VTEP },
		{ "vxlan-device", required_argument, NULL, O_VXDEV },
		{ "vxlan-port", required_argument, NULL, O_VXPORT },
		{}
	};
	int c;

	O.config = DEF_CONFIG;
	O.api_socket = PP_API_SOCKET_DEFAULT;
	O.pin_root = PP_PIN_ROOT_DEFAULT;
	O.state_dir = DEF_STATE;
	O.vxlan_dev = PP_VXLAN_DEV_DEFAULT;
	O.vxlan_port = PP_VXLAN_PORT;
	pp_map_sizes_default(&O.sizes);
	while ((c = getopt_long(argc, argv, "c:p:s:a:fvh", lo, NULL)) != -1) {
		switch (c) {
		case 'a': O.api_socket = optarg; break;
		case O_GROUP: O.api_group = optarg; break;
		case O_METRICS: O.metrics_listen = optarg; break;
		case O_STORE: O.store = optarg; break;
		case O_HOST: O.host = optarg; break;
		case O_CA: O.etcd_ca = optarg; break;
		case O_CERT: O.etcd_cert = optarg; break;
		case O_KEY: O.etcd_key = optarg; break;
		case O_PREFIX: O.etcd_prefix = optarg; break;
		case O_VTEP: O.vtep = optarg; break;
		case O_VXDEV: O.vxlan_dev = optarg; break;
		case O_VXPORT:
			if (pp_parse_uint(optarg, 1, 65535, &O.vxlan_port)) {
				fprintf(stderr, "polyportd: invalid value '%s' for --vxlan-port\n", optarg);
				exit(2);
			}
			break;
		case O_TTL:
			if (pp_parse_uint(optarg, 1, 3600, &O.lease_ttl)) {
				fprintf(stderr, "polyportd: invalid value '%s' for --lease-ttl\n", optarg);
				exit(2);
			}
			break;
		case 'c': O.config = optarg; break;
		case 'p': O.pin_root = optarg; break;
		case 's': O.state_dir = optarg; break;
		case 'f': O.foreground = 1; break;
		case 'v': O.verbose++; break;
		case O_CHECK: O.check = 1; break;
		case O_MAXI:
			if (pp_parse_uint(optarg, 2, 65536, &O.sizes.max_iports))
				goto bad;
			break;
		case O_MAXS:
			if (pp_parse_uint(optarg, 2, 1 << 22, &O.sizes.max_sports))
				goto bad;
			O.sizes.max_macs = O.sizes.max_match = O.sizes.max_sports;
			break;
		case O_MAXN:
			/* pp_dst takes 4 KiB per network id: 256 MiB at the most */
			if (pp_parse_uint(optarg, 2, 1 << 16, &O.sizes.max_nets))
				goto bad;
			break;
		case O_MAXIF:
			if (pp_parse_uint(optarg, 16, 1 << 24, &O.sizes.max_ifindex))
				goto bad;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'polyportd --help'.\n");
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "polyportd: unexpected argument '%s'\nTry 'polyportd --help'.\n",
			argv[optind]);
		exit(2);
	}
	if (strlen(O.pin_root) >= 200 || strlen(O.state_dir) >= 200) {
		fprintf(stderr, "polyportd: path too long\n");
		exit(2);
	}
	return 0;
bad:
	fprintf(stderr, "polyportd: invalid value '%s' for --%s\n", optarg, lo[c - O_CHECK + 5].name);
	exit(2);
}

/* Load the binding files; on failure log why and return NULL. */
/* The binding files plus the objects created through the API, as one. */
static struct pp_config *load_config(struct pp_errors *errs)
{
	struct pp_config *cfg = NULL;
	int err = API ? pp_api_load_config(API, &cfg, errs) : pp_config_load_dir(O.config, &cfg, errs);

	return err ? NULL : cfg;
}

static char *errors_text(const struct pp_errors *errs)
{
	size_t cap = 256, len = 0;
	char *s = malloc(cap), line[768];

	if (!s)
		return NULL;
	s[0] = 0;
	for (size_t i = 0; i < errs->n; i++) {
		int n = pp_error_format(&errs->v[i], line, sizeof(line));

		if (n < 0)
			continue;
		if (len + n + 2 > cap) {
			char *t = realloc(s, cap = (len + n + 2) * 2);

			if (!t)
				break;
			s = t;
		}
		len += sprintf(s + len, "%s\n", line);
	}
	return s;
}

static void write_status(void)
{
	int err = pp_status_write(&D, status_path);

	if (err)
		pr_warn("writing %s: %s\n", status_path, strerror(-err));
}

static void reload(const char *why)
{
	struct pp_errors errs = PP_ERRORS_INIT;
	unsigned long w0 = D.dp.maps.writes;
	struct timespec t0, t1;
	struct pp_config *cfg;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cfg = load_config(&errs);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pr_debug("binding files read and checked in %.2f ms (%s)\n",
		 (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6, why);

	if (!cfg) {
		char *text = errors_text(&errs);

		pr_warn("%s: binding files rejected, dataplane unchanged:\n%s", why,
			text ? text : "(out of memory)\n");
		pp_daemon_reload_failed(&D, text);
		pp_errors_free(&errs);
		if (API)
			pp_api_event(API, "configuration", O.config, "rejected", "ERROR",
				     pp_daemon_last_errors(&D));
		write_status();
		return;
	}
	pp_daemon_reload_loaded(&D);
	/* in force even if a step fails: its objects say why (reconcile.h) */
	pp_reconcile(&D, cfg, false);
	/* The dataplane has it all now: say so, then tell API watchers. */
	pr_info("%s: %u networks, %u instance ports, %u service ports; %.2f ms, %lu map writes\n",
		why, cfg->n_networks, cfg->n_iports, cfg->n_sports, D.last_reconcile_ms,
		D.dp.maps.writes - w0);
	if (API) {
		pp_api_event(API, "configuration", O.config, why, NULL, NULL);
		pp_api_notify(API);
	}
	write_status();
}

/* The store changed (cluster mode): this host's share again, as a reload. */
static void store_reload(void *arg, const char *why)
{
	(void)arg;
	reload(why);
}

/* ---- links ---------------------------------------------------------------- */

static int links_dirty;		/* revisit every device */
#define DIRTY_MAX 64
static char dirty[DIRTY_MAX][IFNAMSIZ];	/* or just these */
static int ndirty;

/* Is link ifindex a tap bound to an instance port (by alias, or before a rename)? */
static int tap_bound(const struct pp_config *cfg, __u32 ifindex)
{
	for (__u32 i = 0; i < cfg->n_iports; i++) {
		const struct pp_iport_taps *t = pp_daemon_iport_taps(&D, i);

		if (t && pp_iport_taps_has(t, ifindex))
			return 1;
	}
	return 0;
}

static int link_relevant(const char *name, __u32 ifindex, const char *alias)
{
	const size_t plen = strlen(PP_IPORT_ALIAS_PREFIX);
	const struct pp_config *cfg = D.cfg;

	if (!cfg)
		return 0;
	if (pp_config_find_iport_by_device(cfg, name))
		return 1;
	/* a tap whose alias names an instance port's id, or one bound before */
	if (alias && !strncmp(alias, PP_IPORT_ALIAS_PREFIX, plen) &&
	    pp_config_find_iport_by_id(cfg, alias + plen))
		return 1;
	if (tap_bound(cfg, ifindex))
		return 1;
	for (__u32 i = 0; i < cfg->n_networks; i++)
		if (!strcmp(cfg->networks[i].device, name))
			return 1;
	if (D.vx.family && !strcmp(D.vx.dev, name))	/* the VXLAN device: made again if gone */
		return 1;
	for (__u32 i = 0; i < cfg->n_l3domains; i++)	/* the L3 domains' uplinks */
		for (__u32 u = 0; u < cfg->l3domains[i].n_uplinks; u++)
			if (!strcmp(cfg->l3domains[i].uplinks[u].device, name))
				return 1;
	return 0;
}

static void mark_dirty(const char *name)
{
	int i;

	for (i = 0; i < ndirty && strcmp(dirty[i], name); i++)
		;
	if (i == ndirty && ndirty < DIRTY_MAX)
		snprintf(dirty[ndirty++], IFNAMSIZ, "%s", name);
	else if (i == ndirty)
		links_dirty = 1;	/* too many at once: all of them */
}

/* Link (nsid, ifindex) changed: revisit the network devices it is the veth peer of. */
static void peer_changed(int nsid, int ifindex)
{
	const char *names[8];
	size_t n = pp_daemon_peer_devices(&D, nsid, ifindex, names, 8);

	for (size_t i = 0; i < n; i++) {
		pr_debug("link %d (netns id %d), the peer of %s: changed\n", ifindex, nsid,
			 names[i]);
		mark_dirty(names[i]);
	}
}

/* A link event (links.h): which devices to revisit. */
static void on_link(const struct pp_link_event *e, void *arg)
{
	(void)arg;
	if (e->lost) {
		/* Lost events (buffer overrun): look at every device again. */
		if (e->why)
			pr_debug("rtnetlink: %s: full link resync\n", e->why);
		links_dirty = 1;
	} else if (e->nsid < 0 && e->name && link_relevant(e->name, (__u32)e->ifindex, e->alias)) {
		pr_debug("link %s: %s\n", e->name, e->deleted ? "deleted" : "new/changed");
		mark_dirty(e->name);
	} else {
		peer_changed(e->nsid, e->ifindex);
	}
}

/* Revisit the devices that changed. */
static void links_apply(void)
{
	if ((links_dirty || ndirty) && D.cfg) {
		if (links_dirty) {
			pp_reconcile(&D, D.cfg, true);
		} else {
			const char *names[DIRTY_MAX];

			for (int i = 0; i < ndirty; i++)
				names[i] = dirty[i];
			pp_reconcile_devices(&D, names, ndirty);
		}
		links_dirty = 0;
		ndirty = 0;
		pr_debug("links reconciled in %.2f ms\n", D.last_reconcile_ms);
		if (API)
			pp_api_notify(API);
		write_status();
	}
}

static bool is_link_fd(const struct pp_link_events *links, int fd)
{
	int fds[2], n = pp_link_events_fds(links, fds);

	for (int i = 0; i < n; i++)
		if (fds[i] == fd)
			return true;
	return false;
}

/*
 * A standby tap becomes the active one in the dataplane, at its first frame
 * (include/polyport.h, struct pp_iport): while one waits, look every
 * STANDBY_WATCH_MS whether it has, to retire the old tap and say so.
 */
#define STANDBY_WATCH_MS 10
/* and an instance port with an id and no tap: a tap aliased while down? */
#define ALIAS_WATCH_MS 1000

static void standby_watch(int wfd)
{
	static long armed;
	long ms = D.standby_pending ? STANDBY_WATCH_MS : D.alias_waiting ? ALIAS_WATCH_MS : 0;
	struct itimerspec its = {};

	if (ms == armed)
		return;
	armed = ms;
	its.it_value.tv_sec = its.it_interval.tv_sec = ms / 1000;
	its.it_value.tv_nsec = its.it_interval.tv_nsec = ms % 1000 * 1000000;
	timerfd_settime(wfd, 0, &its, NULL);
}

/* The watch's tick (every STANDBY_WATCH_MS or ALIAS_WATCH_MS): true if something changed. */
static bool watch_tick(__u64 ticks)
{
	static __u64 since_alias;
	bool changed = D.standby_pending && pp_reconcile_standby_check(&D);

	since_alias += D.standby_pending ? ticks * STANDBY_WATCH_MS : ticks * ALIAS_WATCH_MS;
	if (D.alias_waiting && since_alias >= ALIAS_WATCH_MS) {
		since_alias = 0;
		changed = pp_reconcile_alias_check(&D) || changed;
	}
	return changed;
}

/* ---- main ----------------------------------------------------------------- */

/*
 * Pins of another layout (a previous polyportd): migrate them while the
 * dataplane forwards, or finish an upgrade a crash interrupted
 * (loader/upgrade.h).  Returns 0, or 1 after saying why.
 */
static int start_upgrade(void)
{
	struct pp_upgrade_report r;
	char why[768] = "";
	int err = pp_upgrade_run(O.pin_root, &O.sizes, &r, why, sizeof(why));

	if (err) {
		pr_warn("%s: %s\n", O.pin_root, why[0] ? why : strerror(-err));
		return 1;
	}
	if (r.migrated)
		pr_info("upgrade: %s migrated in %.1f ms (prepared in %.1f ms; %u hooks swapped, old "
			"and new programs side by side for %.2f ms; counters folded in %.1f ms)\n",
			r.maps, r.total_ms, r.prepare_ms, r.hooks, r.side_by_side_ms, r.fold_ms);
	return 0;
}

/* Which programs this daemon runs (an upgrade test checks every hook against them). */
static void log_programs(void)
{
	const int fds[4] = { D.dp.prog_fd[PP_ROLE_TAP], D.dp.prog_fd[PP_ROLE_NET],
			     D.dp.xdp_prog_fd[PP_ROLE_TAP], D.dp.xdp_prog_fd[PP_ROLE_NET] };
	static const char *const what[4] = { "tc-tap", "tc-net", "xdp-tap", "xdp-net" };
	char line[400];
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(fds[i], &info, &len))
			return;
		n += snprintf(line + n, sizeof(line) - n, "%s %s id %u tag ", i ? "," : "",
			      what[i], info.id);
		for (int b = 0; b < 8; b++)
			n += snprintf(line + n, sizeof(line) - n, "%02x", info.tag[b]);
	}
	pr_info("programs:%s\n", line);
}

/*
 * --vtep (issue 20): checked into VX (the address must be one of this
 * host's: the underlay's), and the host the binding files are checked for
 * from then on: whether stretched networks can be had here, and the MTU
 * they must fit in.  Returns 0, or 1 after saying why.
 */
static int vtep_setup(void)
{
	struct pp_config_host h = { .set = true, .vtep_family = PP_AF_NONE };
	char why[256];

	memset(&VX, 0, sizeof(VX));
	if (O.vtep) {
		if (pp_vxlan_resolve(&VX, O.vtep, O.vxlan_dev, O.vxlan_port, why, sizeof(why))) {
			pr_warn("%s\n", why);
			return 1;
		}
		h.vtep_family = VX.family == PP_NEIGH_V6 ? PP_AF_INET6 : PP_AF_INET;
		h.underlay_mtu = VX.underlay_mtu;
	}
	pp_config_set_host(&h);
	return 0;
}

static int check_only(void)
{
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg;

	if (vtep_setup())
		return 1;
	cfg = load_config(&errs);

	if (!cfg) {
		pp_errors_print(&errs, stderr);
		pp_errors_free(&errs);
		return 1;
	}
	printf("%s: valid: %u networks, %u instance ports, %u service ports\n", O.config,
	       cfg->n_networks, cfg->n_iports, cfg->n_sports);
	pp_config_free(cfg);
	pp_errors_free(&errs);
	return 0;
}

static void daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		pr_warn("fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/")) {
		/* nothing depends on the working directory */
	}
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	pp_log_syslog = 1;
}

int main(int argc, char **argv)
{
	struct pp_link_events *links;
	int ep, sfd, ifd, tfd, nfd, wfd, lock_fd, err, lerr;
	struct epoll_event ev;
	sigset_t mask;

	parse_args(argc, argv);
	if (O.check)
		return check_only();
	pp_log_verbosity = PP_LOG_INFO + O.verbose;
	libbpf_set_print(libbpf_log);
	signal(SIGPIPE, SIG_IGN);
	if (vtep_setup())
		return 1;

	err = pp_bpffs_prepare(O.pin_root);
	if (err) {
		pr_warn("pin root %s: %s\n", O.pin_root, strerror(-err));
		return 1;
	}
	lock_fd = open(O.pin_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB)) {
		pr_warn("%s: %s\n", O.pin_root,
			errno == EWOULDBLOCK ? "another polyportd holds this pin root" : strerror(errno));
		return 1;
	}
	err = pp_mkdir_p(O.state_dir, 0755);
	if (err) {
		pr_warn("state dir %s: %s\n", O.state_dir, strerror(-err));
		return 1;
	}
	snprintf(status_path, sizeof(status_path), "%s/status.json", O.state_dir);

	if (start_upgrade())
		return 1;
	err = pp_daemon_open(&D, O.pin_root, &O.sizes);
	if (err) {
		pr_warn("loading the dataplane under %s: %s%s\n", O.pin_root,
			strerror(-err), err == -EINVAL ?
			" (maps pinned there have other sizes or layout: see --max-*, or "
			"'polyportctl teardown')" : "");
		return 1;
	}
	err = pp_upgrade_record(&D.dp);
	if (err)
		pr_warn("recording the map layouts in %s/pp_layouts: %s\n", O.pin_root,
			strerror(-err));
	log_programs();
	/* the VXLAN device (or, without --vtep, none in pp_vxlan) before the first load */
	D.vx = VX;
	if (pp_vxlan_sync(&D, true))
		return 1;	/* said why (its name taken, say) */
	if (D.vx.family)
		pr_info("VXLAN device %s (ifindex %u): VTEP %s on %s (mtu %u), port %u\n", D.vx.dev,
			D.vx.ifindex, D.vx.addr, D.vx.underlay, D.vx.underlay_mtu, D.vx.port);
	/* L3 domains' next hops: resolved by polyportd itself (loader/l3nh.h) */
	D.l3nh = pp_l3nh_create(&D.dp.maps);
	if (!D.l3nh)
		pr_warn("next-hop resolver: %s: L3 domains' next hops stay unresolved\n",
			strerror(errno));
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	nfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	wfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	lerr = pp_link_events_open(&links, on_link, NULL);
	if (!lerr && pp_link_events_peers_err(links))
		pr_warn("rtnetlink: no link events from other namespaces (%s): a veth peer's "
			"offload changes are seen at the next reload\n",
			strerror(-pp_link_events_peers_err(links)));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ifd < 0 || tfd < 0 || nfd < 0 || wfd < 0 || lerr || ep < 0) {
		pr_warn("event setup failed: %s\n", strerror(lerr ? -lerr : errno));
		return 1;
	}
	if (inotify_add_watch(ifd, O.config, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
			      IN_DELETE | IN_CREATE | IN_ATTRIB) < 0) {
		pr_warn("config directory %s: %s\n", O.config, strerror(errno));
		return 1;
	}
	pr_info("polyportd: pin root %s, config %s, adopted %zu named objects\n", O.pin_root,
		O.config, pp_daemon_named(&D));
	{
		struct pp_api_opts ao = { .socket_path = O.api_socket, .group = O.api_group,
					  .metrics_listen = O.metrics_listen,
					  .state_dir = O.state_dir, .config_dir = O.config,
					  .store = O.store, .host = O.host, .etcd_ca = O.etcd_ca,
					  .etcd_cert = O.etcd_cert, .etcd_key = O.etcd_key,
					  .etcd_prefix = O.etcd_prefix, .lease_ttl = O.lease_ttl,
					  .vtep = D.vx.family ? D.vx.addr : NULL,
					  .reload = store_reload };

		err = pp_api_create(&API, &D, &ao);
		if (!err)
			err = pp_api_listen(API);
		if (err) {
			pr_warn("API on %s%s%s: %s\n", O.api_socket,
				O.metrics_listen ? " / " : "", O.metrics_listen ? O.metrics_listen : "",
				err == -EADDRINUSE ? "in use by another process" : strerror(-err));
			return 1;
		}
	}
	reload("start");
	if (!O.foreground)
		daemonize();

	ev.events = EPOLLIN;
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = ifd;
	epoll_ctl(ep, EPOLL_CTL_ADD, ifd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = wfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, wfd, &ev);
	if (D.l3nh) {
		/* the resolver's requests: a tick a second (ARP/NS rate, ageing) */
		struct itimerspec its = { .it_value.tv_nsec = 1, .it_interval.tv_sec = 1 };

		timerfd_settime(nfd, 0, &its, NULL);
		ev.data.fd = nfd;
		epoll_ctl(ep, EPOLL_CTL_ADD, nfd, &ev);
		ev.data.fd = pp_l3nh_fd(D.l3nh);
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	{
		int fds[2], n = pp_link_events_fds(links, fds);

		for (int i = 0; i < n; i++) {
			ev.data.fd = fds[i];
			epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
		}
		n = pp_api_fds(API, fds, 2);
		for (int i = 0; i < n; i++) {
			ev.data.fd = fds[i];
			epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
		}
	}

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, pp_api_timeout_ms(API));
		int api_ready = n == 0;

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						reload("SIGHUP");
						continue;
					}
					pr_info("signal %d: exiting; the dataplane keeps forwarding\n",
						si.ssi_signo);
					write_status();
					pp_api_destroy(API);
					if (D.l3nh)
						pp_l3nh_destroy(D.l3nh);
					D.l3nh = NULL;
					pp_daemon_close(&D);
					pp_link_events_close(links);
					return 0;
				}
			} else if (fd == ifd) {
				char buf[4096];
				struct itimerspec its = { .it_value.tv_nsec =
								  RELOAD_DEBOUNCE_MS * 1000000 };

				while (read(ifd, buf, sizeof(buf)) > 0)
					;
				/* Editors write in several steps: wait for quiet. */
				timerfd_settime(tfd, 0, &its, NULL);
			} else if (fd == tfd) {
				__u64 exp;

				if (read(tfd, &exp, sizeof(exp)) == sizeof(exp))
					reload("files changed");
			} else if (fd == nfd) {
				__u64 exp;

				if (read(nfd, &exp, sizeof(exp)) == sizeof(exp)) {
					static bool adopted;
					__u64 now = pp_l3nh_now();

					/* the next hops the dataplane missed, asked at once */
					pp_reconcile_l3_misses(&D, now, !adopted);
					adopted = true;
					pp_l3nh_tick(D.l3nh, now);
				}
			} else if (fd == wfd) {
				__u64 exp;

				if (read(wfd, &exp, sizeof(exp)) == sizeof(exp) && watch_tick(exp)) {
					pp_api_notify(API);
					write_status();
				}
			} else if (D.l3nh && fd == pp_l3nh_fd(D.l3nh)) {
				pp_l3nh_input(D.l3nh);
			} else if (is_link_fd(links, fd)) {
				pp_link_events_read(links, fd);
				links_apply();
			} else {
				api_ready = 1;
			}
		}
		if (api_ready)
			pp_api_run(API);
		standby_watch(wfd);
	}
}
