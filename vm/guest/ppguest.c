/*
 * ppguest - a light fake "guest" for polyport tests.
 *
 * ppguest plays the guest side of one instance port: it opens the tap TAP as
 * QEMU does (IFF_TAP|IFF_NO_PI, non-blocking, optionally with 12-byte virtio
 * net headers and checksum/TSO offloads), and for every --port it creates a
 * tap interface inside an existing network namespace (/var/run/netns/NETNS)
 * with the given MAC, so that namespace's own Linux IP stack sits on that
 * service port (assign addresses with `ip -n NETNS addr add`).  A single
 * epoll loop then moves frames: what a namespace sends gets its port's tags
 * pushed (vlan:N -> 0x8100/N, qinq:S.C -> TPID/S + 0x8100/C, untagged and
 * src-mac -> none) and is written to TAP; what arrives on TAP is matched
 * exactly (one tag -> vlan:N, two tags -> qinq:S.C, none or a lone priority
 * tag -> the untagged wire, where the destination MAC picks the untagged or
 * src-mac port and broadcast/multicast goes to all of them), stripped of its
 * tags and written to that port's interface; everything else is dropped and
 * counted.  When all devices exist, "ready" is written to stdout and to
 * --ready-file.  SIGUSR1 prints counters to stderr, SIGTERM/SIGINT print them
 * and exit (the taps vanish with the process).  --bump plays a service
 * function of a chain instead (see "bump mode" below).  Example:
 *
 *   ppguest --tap tap0 --vnet-hdr --ready-file /run/g.ready \
 *     --port ns=g1,dev=eth0,mac=02:00:00:00:00:01,match=untagged \
 *     --port ns=g2,dev=eth0.100,mac=02:00:00:00:00:01,match=vlan:100 \
 *     --port ns=g3,dev=eth0.300.10,mac=02:00:00:00:00:01,match=qinq:300.10
 *
 * Exit status: 0 on a clean exit, 1 when setting up a device fails, 2 on bad
 * arguments.  Build: gcc -O2 -g -Wall -Wextra -Werror -o ppguest ppguest.c
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/if_tun.h>
/* by its path, not -Iloader: selftest.sh builds this file alone */
#include "../../loader/util.h"

/* struct virtio_net_hdr_mrg_rxbuf, legacy layout, host byte order. */
#define VNET_HDR_LEN 12
#define VNET_OFF_FLAGS 0
#define VNET_OFF_GSO_TYPE 1
#define VNET_OFF_HDR_LEN 2
#define VNET_OFF_CSUM_START 6
#define VNET_F_NEEDS_CSUM 1
#define VNET_GSO_NONE 0

#define ETH_ALEN_ 6
#define ETH_HLEN_ 14
#define TAG_LEN 4
#define MAX_TAGS 2

#define TPID_8021Q 0x8100
#define TPID_8021AD 0x88a8
#define TPID_9100 0x9100

/* Room for a 64 KiB GSO frame, its vnet header and its tags. */
#define HEADROOM 64
#define FRAME_MAX (VNET_HDR_LEN + 65536 + 64)
#define READ_BUDGET 256 /* frames per fd per wakeup, for fairness */

enum match_kind { M_UNTAGGED, M_VLAN, M_QINQ, M_SRCMAC, M_RAW };

/* one direction of one port (or of the instance port) */
struct dir_stats {
	uint64_t frames, bytes, gso;  /* written successfully */
	uint64_t d_write_again;       /* EAGAIN/ENOBUFS: queue full */
	uint64_t d_link_down;         /* EIO: the target tap is down */
	uint64_t d_write_error;       /* any other write error */
};

struct port {
	char ns[NAME_MAX + 1];
	char dev[IFNAMSIZ];
	uint8_t mac[ETH_ALEN_];
	enum match_kind kind;
	uint16_t vid;  /* vlan:N -> N; qinq -> S */
	uint16_t cvid; /* qinq -> C */
	uint16_t tpid; /* qinq outer TPID */
	int ntags;
	uint8_t tags[MAX_TAGS * TAG_LEN];
	char match[32];
	int fd;
	bool dead;
	struct dir_stats to_instance, from_instance;
	uint64_t d_malformed; /* read from the port: shorter than an Ethernet header */
	uint64_t d_read_error;
};

struct instance {
	char name[IFNAMSIZ];
	int fd;
	bool dead;
	uint64_t rx_frames, rx_bytes, rx_gso; /* read from the tap */
	struct dir_stats tx;                  /* written to the tap (all ports) */
	/* frames read from the tap and dropped, by reason */
	uint64_t d_malformed;
	uint64_t d_too_many_tags;
	uint64_t d_reserved_vid;
	uint64_t d_unknown_port;
	uint64_t d_unknown_dst;
	uint64_t d_read_error;
};

static struct port *ports;
static int nports;
static struct instance inst = { .fd = -1 };
static bool opt_vnet;
static bool opt_up;
static int opt_mtu;
static const char *opt_ready;
static size_t hl; /* vnet header length in use: 0 or 12 */
static uint8_t *bufmem;

static const char *prog = "ppguest";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: ppguest --tap TAP [--vnet-hdr] [--up] [--ready-file PATH] [--mtu N]\n"
"               --port SPEC [--port SPEC ...]\n"
"\n"
"A light fake guest: plays the VM side of instance port TAP and puts a\n"
"Linux IP stack (an existing network namespace) on every service port.\n"
"\n"
"Options:\n"
"  --tap TAP          the instance port: open /dev/net/tun and attach to (or\n"
"                     create) tap TAP in the current namespace, IFF_TAP|\n"
"                     IFF_NO_PI, non-blocking like QEMU; a tap created here\n"
"                     vanishes when ppguest exits\n"
"  --vnet-hdr         use 12-byte virtio-net headers (IFF_VNET_HDR,\n"
"                     TUNSETVNETHDRSZ 12) with TUN_F_CSUM|TUN_F_TSO4|\n"
"                     TUN_F_TSO6 on TAP and on every port interface, so\n"
"                     partial checksums and GSO frames pass through\n"
"  --up               bring TAP up (default: leave its state alone)\n"
"  --ready-file PATH  when every device is set up, write \"ready\\n\" to PATH\n"
"                     (atomically: PATH.tmp.PID + rename); a stale PATH is\n"
"                     removed at start. \"ready\" also goes to stdout\n"
"  --mtu N            MTU of the port interfaces (68..65535; default: the\n"
"                     kernel's, 1500); TAP's MTU is left alone\n"
"  --port SPEC        a service port (repeatable, at least one):\n"
"                       ns=NETNS,dev=IFNAME,mac=MAC,match=MATCH[,tpid=T]\n"
"                     NETNS   an existing /var/run/netns/NETNS\n"
"                     IFNAME  tap created in NETNS (1..15 chars)\n"
"                     MAC     unicast aa:bb:cc:dd:ee:ff given to IFNAME\n"
"                     MATCH   untagged | vlan:N | qinq:S.C | src-mac | raw\n"
"                             (N, S, C in 1..4094); raw: what NETNS sends\n"
"                             on IFNAME goes to TAP as it is (tags\n"
"                             included: hostile frames), nothing from TAP\n"
"                             goes to it\n"
"                     T       outer TPID of a qinq port: 0x88a8 (default)\n"
"                             or 0x8100\n"
"  --bump IN,OUT,mark=N[,log=PATH]\n"
"                     a service function of a chain (repeatable; --port is\n"
"                     then optional): frames from TAP tagged IN (vlan:N or\n"
"                     qinq:S.C, outer TPID 0x88a8) go back to TAP tagged\n"
"                     OUT and the other way round (IN = OUT: a one-port\n"
"                     function), unchanged but the IPv4 DSCP, rewritten to\n"
"                     (dscp << 2 | N) & 0x3f (N in 0..63; header checksum\n"
"                     recomputed); log=PATH: a line per IPv4 TCP/UDP frame,\n"
"                     \"fwd|rev tcp|udp SRC SPORT DST DPORT TCPFLAGS\"\n"
"  -h, --help         this text\n"
"\n"
"Frames from a port interface get its tags (vlan:N: 0x8100/N; qinq:S.C:\n"
"T/S then 0x8100/C; untagged, src-mac: none) and go to TAP. Frames from\n"
"TAP (tags 0x8100, 0x88a8, 0x9100) go, tags removed, to the port matching\n"
"exactly: one tag N -> vlan:N; two tags S,C -> qinq:S.C; no tag or a lone\n"
"VID-0 tag -> the untagged wire, where a unicast destination equal to an\n"
"untagged/src-mac port's MAC goes to that port and broadcast/multicast to\n"
"all of them. Anything else is dropped and counted. Untagged and src-mac\n"
"ports need distinct MACs; at most one untagged port.\n"
"\n"
"Signals: SIGUSR1 prints counters to stderr; SIGTERM/SIGINT print them and\n"
"exit 0 (the taps created by ppguest vanish). Counters are key=value lines:\n"
"  ppguest: stats instance=TAP reason=R rx_frames= rx_bytes= rx_gso=\n"
"    drop_{malformed,too_many_tags,reserved_vid,unknown_port,unknown_dst}=\n"
"    read_errors= tx_{frames,bytes,gso}= tx_drop_{write_again,link_down,\n"
"    write_error}=\n"
"  ppguest: stats port=IFNAME ns=NETNS match=MATCH to_instance_{frames,\n"
"    bytes,gso,drop_write_again,drop_link_down,drop_write_error}= and the\n"
"    same from_instance_*, drop_malformed= read_errors=\n"
"  ppguest: stats bump=IN,OUT mark=N fwd_frames= rev_frames= marked=\n"
"    drop_malformed= tx_{frames,...}= (fwd: read on IN, rev: on OUT)\n"
"to_instance = port interface -> TAP, from_instance = TAP -> port. Bytes\n"
"count Ethernet frames without the vnet header; gso counts frames whose\n"
"vnet header has a GSO type. write_again = EAGAIN/ENOBUFS, link_down = EIO\n"
"(the target tap is down), unknown_dst = unicast on the untagged wire to\n"
"no port's MAC, reserved_vid = VID 4095.\n"
"Exit status: 0 clean exit, 1 setup error, 2 bad arguments.\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) die_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see %s --help)\n", prog);
	exit(2);
}

/* "ppguest: <what>: <strerror>" and exit 1; errno is read at call time */
static void __attribute__((noreturn, format(printf, 1, 2))) die_sys(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

/* ---------------------------------------------------------------- parsing */

static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_vid(const char *s, size_t len, uint16_t *out)
{
	unsigned long v;
	if (!parse_uint(s, len, 65535, &v) || v < 1 || v > 4094)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool parse_mac(const char *s, uint8_t mac[ETH_ALEN_])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = pp_hexval(s[3 * i]), lo = pp_hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		if (i < 5 && s[3 * i + 2] != ':')
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == ',' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

static bool valid_nsname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return strchr(s, '/') == NULL;
}

static void build_tags(struct port *p)
{
	uint8_t *t = p->tags;
	p->ntags = 0;
	if (p->kind == M_VLAN) {
		t[0] = TPID_8021Q >> 8; t[1] = TPID_8021Q & 0xff;
		t[2] = (uint8_t)(p->vid >> 8); t[3] = (uint8_t)p->vid;
		p->ntags = 1;
	} else if (p->kind == M_QINQ) {
		t[0] = (uint8_t)(p->tpid >> 8); t[1] = (uint8_t)p->tpid;
		t[2] = (uint8_t)(p->vid >> 8); t[3] = (uint8_t)p->vid;
		t[4] = TPID_8021Q >> 8; t[5] = TPID_8021Q & 0xff;
		t[6] = (uint8_t)(p->cvid >> 8); t[7] = (uint8_t)p->cvid;
		p->ntags = 2;
	}
}

static void parse_port(const char *spec, struct port *p)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	bool have_ns = false, have_dev = false, have_mac = false, have_match = false,
	     have_tpid = false;

	if (!copy) {
		perror("ppguest: strdup");
		exit(1);
	}
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->tpid = TPID_8021AD;
	if (!*spec)
		die_usage("--port: empty SPEC");
	if (spec[strlen(spec) - 1] == ',' || spec[0] == ',' || strstr(spec, ",,"))
		die_usage("--port %s: empty item", spec);

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *key = tok, *val;
		if (!eq)
			die_usage("--port %s: '%s' is not key=value", spec, tok);
		*eq = '\0';
		val = eq + 1;
		if (!strcmp(key, "ns")) {
			if (have_ns)
				die_usage("--port %s: ns given twice", spec);
			if (!valid_nsname(val))
				die_usage("--port %s: bad namespace name '%s'", spec, val);
			snprintf(p->ns, sizeof(p->ns), "%s", val);
			have_ns = true;
		} else if (!strcmp(key, "dev")) {
			if (have_dev)
				die_usage("--port %s: dev given twice", spec);
			if (!valid_ifname(val))
				die_usage("--port %s: bad interface name '%s' (1..%d chars, no '/', ':', ',' or blanks)",
					  spec, val, IFNAMSIZ - 1);
			snprintf(p->dev, sizeof(p->dev), "%s", val);
			have_dev = true;
		} else if (!strcmp(key, "mac")) {
			if (have_mac)
				die_usage("--port %s: mac given twice", spec);
			if (!parse_mac(val, p->mac))
				die_usage("--port %s: bad MAC '%s' (want aa:bb:cc:dd:ee:ff)", spec, val);
			if (p->mac[0] & 1)
				die_usage("--port %s: MAC %s is multicast", spec, val);
			if (!(p->mac[0] | p->mac[1] | p->mac[2] | p->mac[3] | p->mac[4] | p->mac[5]))
				die_usage("--port %s: MAC %s is all zeros", spec, val);
			have_mac = true;
		} else if (!strcmp(key, "match")) {
			if (have_match)
				die_usage("--port %s: match given twice", spec);
			if (!strcmp(val, "untagged")) {
				p->kind = M_UNTAGGED;
			} else if (!strcmp(val, "src-mac")) {
				p->kind = M_SRCMAC;
			} else if (!strcmp(val, "raw")) {
				p->kind = M_RAW;
			} else if (!strncmp(val, "vlan:", 5)) {
				p->kind = M_VLAN;
				if (!parse_vid(val + 5, strlen(val + 5), &p->vid))
					die_usage("--port %s: bad VLAN '%s' (want vlan:N, N in 1..4094)", spec, val);
			} else if (!strncmp(val, "qinq:", 5)) {
				const char *s = val + 5, *dot = strchr(s, '.');
				p->kind = M_QINQ;
				if (!dot || !parse_vid(s, (size_t)(dot - s), &p->vid) ||
				    !parse_vid(dot + 1, strlen(dot + 1), &p->cvid))
					die_usage("--port %s: bad QinQ '%s' (want qinq:S.C, S and C in 1..4094)", spec, val);
			} else {
				die_usage("--port %s: bad match '%s' (want untagged, vlan:N, qinq:S.C, src-mac or raw)",
					  spec, val);
			}
			snprintf(p->match, sizeof(p->match), "%s", val);
			have_match = true;
		} else if (!strcmp(key, "tpid")) {
			if (have_tpid)
				die_usage("--port %s: tpid given twice", spec);
			if (!strcasecmp(val, "0x88a8"))
				p->tpid = TPID_8021AD;
			else if (!strcasecmp(val, "0x8100"))
				p->tpid = TPID_8021Q;
			else
				die_usage("--port %s: bad tpid '%s' (want 0x88a8 or 0x8100)", spec, val);
			have_tpid = true;
		} else {
			die_usage("--port %s: unknown key '%s' (keys: ns, dev, mac, match, tpid)", spec, key);
		}
	}
	if (!have_ns)
		die_usage("--port %s: ns= missing", spec);
	if (!have_dev)
		die_usage("--port %s: dev= missing", spec);
	if (!have_mac)
		die_usage("--port %s: mac= missing", spec);
	if (!have_match)
		die_usage("--port %s: match= missing", spec);
	if (have_tpid && p->kind != M_QINQ)
		die_usage("--port %s: tpid= only applies to match=qinq:S.C", spec);
	build_tags(p);
	free(copy);
}

static bool on_untagged_wire(const struct port *p)
{
	return p->kind == M_UNTAGGED || p->kind == M_SRCMAC;
}

static void check_ports(void)
{
	int untagged = 0;
	for (int i = 0; i < nports; i++) {
		struct port *a = &ports[i];
		if (a->kind == M_UNTAGGED && ++untagged > 1)
			die_usage("more than one match=untagged port (use match=src-mac for more)");
		for (int j = 0; j < i; j++) {
			struct port *b = &ports[j];
			if (!strcmp(a->ns, b->ns) && !strcmp(a->dev, b->dev))
				die_usage("two ports use dev=%s in ns=%s", a->dev, a->ns);
			if (a->kind == b->kind && (a->kind == M_VLAN || a->kind == M_QINQ) &&
			    a->vid == b->vid && a->cvid == b->cvid)
				die_usage("two ports use match=%s", a->match);
			if (on_untagged_wire(a) && on_untagged_wire(b) && !memcmp(a->mac, b->mac, ETH_ALEN_))
				die_usage("ports %s@%s and %s@%s share the untagged wire and MAC %02x:%02x:%02x:%02x:%02x:%02x",
					  a->dev, a->ns, b->dev, b->ns, a->mac[0], a->mac[1], a->mac[2],
					  a->mac[3], a->mac[4], a->mac[5]);
		}
	}
}

/* ------------------------------------------------------------------ setup */

static int open_tap(const char *name, const char *where)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die_sys("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (opt_vnet ? IFF_VNET_HDR : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die_sys("TUNSETIFF %s%s", name, where);
	if (opt_vnet) {
		int sz = VNET_HDR_LEN;
		unsigned int off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
		if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
			die_sys("TUNSETVNETHDRSZ %s%s", name, where);
		if (ioctl(fd, TUNSETOFFLOAD, off) < 0)
			die_sys("TUNSETOFFLOAD %s%s", name, where);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die_sys("fcntl O_NONBLOCK %s%s", name, where);
	return fd;
}

static void set_up(int sock, const char *name, const char *where)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		die_sys("SIOCGIFFLAGS %s%s", name, where);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		die_sys("SIOCSIFFLAGS up %s%s", name, where);
}

static void setup_port(struct port *p, int orig_ns)
{
	char path[PATH_MAX], where[NAME_MAX + 32];
	struct ifreq ifr;
	int nsfd, sock;

	snprintf(where, sizeof(where), " in netns %s", p->ns);
	snprintf(path, sizeof(path), "/var/run/netns/%s", p->ns);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		die_sys("netns %s (%s)", p->ns, path);
	if (setns(nsfd, CLONE_NEWNET) < 0)
		die_sys("setns %s", path);
	close(nsfd);

	/* the tap is created in the namespace the tun fd was opened in */
	p->fd = open_tap(p->dev, where);

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die_sys("socket%s", where);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->dev);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, p->mac, ETH_ALEN_);
	if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
		die_sys("SIOCSIFHWADDR %s%s", p->dev, where);
	if (opt_mtu) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->dev);
		ifr.ifr_mtu = opt_mtu;
		if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
			die_sys("SIOCSIFMTU %d %s%s", opt_mtu, p->dev, where);
	}
	set_up(sock, p->dev, where);
	close(sock);

	if (setns(orig_ns, CLONE_NEWNET) < 0)
		die_sys("setns back to the original netns");
}

static void write_ready(void)
{
	if (opt_ready) {
		char tmp[PATH_MAX];
		int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", opt_ready, (long)getpid());
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			die_sys("ready file %s", opt_ready);
		}
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			die_sys("ready file %s", tmp);
		if (write(fd, "ready\n", 6) != 6) {
			int e = errno;
			unlink(tmp);
			errno = e ? e : EIO;
			die_sys("write %s", tmp);
		}
		if (close(fd) < 0 || rename(tmp, opt_ready) < 0) {
			int e = errno;
			unlink(tmp);
			errno = e;
			die_sys("rename %s to %s", tmp, opt_ready);
		}
	}
	fputs("ready\n", stdout);
	fflush(stdout);
}

/* -------------------------------------------------------------- dataplane */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint16_t hrd(const uint8_t *h, size_t off)
{
	uint16_t v;
	memcpy(&v, h + off, 2);
	return v;
}

static inline void hwr(uint8_t *h, size_t off, uint16_t v)
{
	memcpy(h + off, &v, 2);
}

static inline bool is_tpid(uint16_t t)
{
	return t == TPID_8021Q || t == TPID_8021AD || t == TPID_9100;
}

/* Shift csum_start/hdr_len of the vnet header at h by delta bytes. */
static bool vnet_adjust(uint8_t *h, int delta)
{
	if (h[VNET_OFF_FLAGS] & VNET_F_NEEDS_CSUM) {
		int cs = (int)hrd(h, VNET_OFF_CSUM_START) + delta;
		/* the checksummed part must start after the Ethernet header */
		if (cs < ETH_HLEN_ || cs > 0xffff)
			return false;
		hwr(h, VNET_OFF_CSUM_START, (uint16_t)cs);
	}
	uint16_t l = hrd(h, VNET_OFF_HDR_LEN);
	if (l) {
		int nl = (int)l + delta;
		if (nl < 0)
			nl = 0; /* 0 = unknown; the kernel recomputes a minimum */
		if (nl > 0xffff)
			return false;
		hwr(h, VNET_OFF_HDR_LEN, (uint16_t)nl);
	}
	return true;
}

/* 0 written, else errno (EAGAIN/ENOBUFS mean "queue full") */
static int write_frame(int fd, const uint8_t *f, size_t len)
{
	for (;;) {
		ssize_t n = write(fd, f, len);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return EIO;
		if (errno == EINTR)
			continue;
		return errno ? errno : EIO;
	}
}

static void count_write(struct dir_stats *d, int e, size_t bytes, bool gso)
{
	if (!e) {
		d->frames++;
		d->bytes += bytes;
		d->gso += gso;
	} else if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
		d->d_write_again++;
	} else if (e == EIO) {
		d->d_link_down++;
	} else {
		d->d_write_error++;
	}
}

static void to_port(struct port *p, const uint8_t *f, size_t len, bool gso)
{
	if (p->dead)
		return;
	count_write(&p->from_instance, write_frame(p->fd, f, len), len - hl, gso);
}

/* guest side -> instance tap: push the port's tags */
static void port_readable(struct port *p)
{
	for (int budget = 0; budget < READ_BUDGET; budget++) {
		uint8_t *b = bufmem + HEADROOM;
		ssize_t n = read(p->fd, b, FRAME_MAX);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			p->d_read_error++;
			if (errno == EBADFD || errno == EIO || errno == ENXIO) {
				fprintf(stderr, "%s: read %s in netns %s: %s; port disabled\n", prog,
					p->dev, p->ns, strerror(errno));
				p->dead = true;
			}
			return;
		}
		size_t len = (size_t)n, t = (size_t)p->ntags * TAG_LEN;
		if (len < hl + ETH_HLEN_ || len >= FRAME_MAX) {
			p->d_malformed++;
			continue;
		}
		bool gso = hl && b[VNET_OFF_GSO_TYPE] != VNET_GSO_NONE;
		if (t) {
			if (hl && !vnet_adjust(b, (int)t)) {
				p->d_malformed++;
				continue;
			}
			memmove(b - t, b, hl + 2 * ETH_ALEN_);
			b -= t;
			memcpy(b + hl + 2 * ETH_ALEN_, p->tags, t);
			len += t;
		}
		if (inst.dead)
			continue;
		int e = write_frame(inst.fd, b, len);
		count_write(&p->to_instance, e, len - hl, gso);
		count_write(&inst.tx, e, len - hl, gso);
	}
}

/* --------------------------------------------------------------- bump mode */
/*
 * --bump IN,OUT,mark=N[,log=PATH]: a service function of a chain test, a bump
 * in the wire on the instance port itself (no namespace, no stack): a frame
 * from TAP tagged as IN goes back to TAP tagged as OUT, one tagged as OUT
 * goes back as IN (IN = OUT: a one-port function; every frame counts as
 * forward then, it cannot tell).  Nothing else changes but the IPv4 DSCP,
 * rewritten to (dscp << 2 | N) & 0x3f with the header checksum recomputed,
 * so that the receiver's TOS tells which functions a frame crossed, in which
 * order.  log=PATH: a line per IPv4 TCP/UDP frame ("fwd|rev tcp|udp SRC
 * SPORT DST DPORT TCPFLAGS"), which instance took which flow.
 */
struct bump_end {
	uint16_t vid, cvid; /* vlan:N -> N, 0; qinq:S.C -> S, C */
	int ntags;
	uint8_t tags[MAX_TAGS * TAG_LEN];
	char match[32];
};

struct bump {
	struct bump_end in, out;
	unsigned int mark; /* 0..63 */
	FILE *log;
	uint64_t fwd, rev;   /* frames read on IN / on OUT (one-port: all fwd) */
	uint64_t marked;     /* IPv4 frames whose DSCP was rewritten */
	uint64_t d_malformed;
	struct dir_stats tx; /* written back to TAP */
};

static struct bump *bumps;
static int nbumps;

static void parse_bump_end(const char *spec, const char *val, struct bump_end *e)
{
	uint8_t *t = e->tags;

	memset(e, 0, sizeof(*e));
	if (!strncmp(val, "vlan:", 5) && parse_vid(val + 5, strlen(val + 5), &e->vid)) {
		t[0] = TPID_8021Q >> 8; t[1] = TPID_8021Q & 0xff;
		t[2] = (uint8_t)(e->vid >> 8); t[3] = (uint8_t)e->vid;
		e->ntags = 1;
	} else if (!strncmp(val, "qinq:", 5) && strchr(val + 5, '.') &&
		   parse_vid(val + 5, (size_t)(strchr(val + 5, '.') - val - 5), &e->vid) &&
		   parse_vid(strchr(val + 5, '.') + 1, strlen(strchr(val + 5, '.') + 1), &e->cvid)) {
		t[0] = TPID_8021AD >> 8; t[1] = TPID_8021AD & 0xff;
		t[2] = (uint8_t)(e->vid >> 8); t[3] = (uint8_t)e->vid;
		t[4] = TPID_8021Q >> 8; t[5] = TPID_8021Q & 0xff;
		t[6] = (uint8_t)(e->cvid >> 8); t[7] = (uint8_t)e->cvid;
		e->ntags = 2;
	} else {
		die_usage("--bump %s: bad match '%s' (want vlan:N or qinq:S.C)", spec, val);
	}
	snprintf(e->match, sizeof(e->match), "%s", val);
}

static void parse_bump(const char *spec, struct bump *bp)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int i = 0;
	bool have_mark = false;

	if (!copy) {
		perror("ppguest: strdup");
		exit(1);
	}
	memset(bp, 0, sizeof(*bp));
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save), i++) {
		unsigned long v;

		if (i == 0) {
			parse_bump_end(spec, tok, &bp->in);
		} else if (i == 1) {
			parse_bump_end(spec, tok, &bp->out);
		} else if (!strncmp(tok, "mark=", 5) && !have_mark) {
			if (!parse_uint(tok + 5, strlen(tok + 5), 63, &v))
				die_usage("--bump %s: bad mark '%s' (want 0..63)", spec, tok + 5);
			bp->mark = (unsigned int)v;
			have_mark = true;
		} else if (!strncmp(tok, "log=", 4) && tok[4] && !bp->log) {
			bp->log = fopen(tok + 4, "we");
			if (!bp->log)
				die_sys("--bump %s: log %s", spec, tok + 4);
			setvbuf(bp->log, NULL, _IOLBF, 0);
		} else {
			die_usage("--bump %s: unexpected '%s' (want IN,OUT,mark=N[,log=PATH])", spec, tok);
		}
	}
	if (i < 2 || !have_mark)
		die_usage("--bump %s: want IN,OUT,mark=N[,log=PATH]", spec);
	free(copy);
}

static bool bump_end_is(const struct bump_end *e, int ntags, const uint16_t *vids)
{
	return e->ntags == ntags && e->vid == vids[0] && (ntags < 2 || e->cvid == vids[1]);
}

/* A tag a bump reads must be nobody else's: no port's, no other bump's. */
static void check_bumps(void)
{
	for (int i = 0; i < nbumps; i++) {
		const struct bump_end *ends[2] = { &bumps[i].in, &bumps[i].out };

		for (int k = 0; k < 2; k++) {
			const struct bump_end *e = ends[k];
			uint16_t vids[MAX_TAGS] = { e->vid, e->cvid };

			for (int j = 0; j < nports; j++)
				if ((ports[j].kind == M_VLAN || ports[j].kind == M_QINQ) &&
				    ports[j].vid == e->vid && ports[j].cvid == e->cvid)
					die_usage("--bump: %s is a port's match too", e->match);
			for (int j = 0; j < i; j++)
				if (bump_end_is(&bumps[j].in, e->ntags, vids) ||
				    bump_end_is(&bumps[j].out, e->ntags, vids))
					die_usage("--bump: %s is in two bumps", e->match);
		}
	}
}

/* Recompute the IPv4 header checksum over ihl bytes. */
static void ip4_csum(uint8_t *ip, size_t ihl)
{
	uint32_t sum = 0;

	ip[10] = ip[11] = 0;
	for (size_t i = 0; i < ihl; i += 2)
		sum += rd16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8);
	ip[11] = (uint8_t)~sum;
}

/* The frame's DSCP marked, and its flow logged. f: the Ethernet frame with its new tags. */
static void bump_mark(struct bump *bp, uint8_t *f, size_t flen, size_t l3, bool fwd)
{
	uint8_t *ip = f + l3;
	size_t ihl;

	if (rd16(f + l3 - 2) != 0x0800 || flen < l3 + 20 || ip[0] >> 4 != 4)
		return;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || flen < l3 + ihl)
		return;
	unsigned int dscp = ip[1] >> 2;
	ip[1] = (uint8_t)((((dscp << 2) | bp->mark) & 0x3f) << 2 | (ip[1] & 3));
	ip4_csum(ip, ihl);
	bp->marked++;
	/* the flow: TCP/UDP, the first fragment (the others carry no ports) */
	if (!bp->log || (ip[9] != 6 && ip[9] != 17) || (rd16(ip + 6) & 0x1fff) ||
	    flen < l3 + ihl + 4)
		return;
	const uint8_t *l4 = ip + ihl;
	fprintf(bp->log, "%s %s %u.%u.%u.%u %u %u.%u.%u.%u %u %02x\n", fwd ? "fwd" : "rev",
		ip[9] == 6 ? "tcp" : "udp", ip[12], ip[13], ip[14], ip[15], rd16(l4), ip[16],
		ip[17], ip[18], ip[19], rd16(l4 + 2),
		ip[9] == 6 && flen >= l3 + ihl + 14 ? l4[13] : 0);
}

/*
 * A frame read from TAP (b: its vnet header, len with it; ntags tags with
 * vids): a bump's?  Then it is written back to TAP with the other end's tags
 * and true is returned.
 */
static bool bump_frame(uint8_t *b, size_t len, int ntags, const uint16_t *vids, bool gso)
{
	struct bump *bp = NULL;
	const struct bump_end *to = NULL;
	bool fwd = true;

	for (int i = 0; i < nbumps && !bp; i++) {
		if (bump_end_is(&bumps[i].in, ntags, vids)) {
			bp = &bumps[i];
			to = &bp->out;
		} else if (bump_end_is(&bumps[i].out, ntags, vids)) {
			bp = &bumps[i];
			to = &bp->in;
			fwd = false;
		}
	}
	if (!bp)
		return false;
	if (fwd)
		bp->fwd++;
	else
		bp->rev++;

	/* the old tags out, the new ones in (HEADROOM leaves room to grow) */
	int delta = (to->ntags - ntags) * TAG_LEN;
	if (hl && delta && !vnet_adjust(b, delta)) {
		bp->d_malformed++;
		return true;
	}
	uint8_t *nb = b - delta;
	memmove(nb, b, hl + 2 * ETH_ALEN_);
	memcpy(nb + hl + 2 * ETH_ALEN_, to->tags, (size_t)to->ntags * TAG_LEN);
	len = (size_t)((ssize_t)len + delta);

	bump_mark(bp, nb + hl, len - hl, 2 * ETH_ALEN_ + (size_t)to->ntags * TAG_LEN + 2, fwd);
	if (inst.dead)
		return true;
	int e = write_frame(inst.fd, nb, len);
	count_write(&bp->tx, e, len - hl, gso);
	count_write(&inst.tx, e, len - hl, gso);
	return true;
}

/* instance tap -> guest side: match exactly, strip the tags */
static void instance_readable(void)
{
	for (int budget = 0; budget < READ_BUDGET; budget++) {
		uint8_t *b = bufmem + HEADROOM;
		ssize_t n = read(inst.fd, b, FRAME_MAX);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			inst.d_read_error++;
			if (errno == EBADFD || errno == EIO || errno == ENXIO) {
				fprintf(stderr, "%s: read %s: %s; instance port disabled\n", prog,
					inst.name, strerror(errno));
				inst.dead = true;
			}
			return;
		}
		size_t len = (size_t)n;
		if (len < hl + ETH_HLEN_ || len >= FRAME_MAX) {
			inst.d_malformed++;
			continue;
		}
		bool gso = hl && b[VNET_OFF_GSO_TYPE] != VNET_GSO_NONE;
		inst.rx_frames++;
		inst.rx_bytes += len - hl;
		inst.rx_gso += gso;

		const uint8_t *f = b + hl;
		size_t flen = len - hl, off = 2 * ETH_ALEN_;
		uint16_t vids[MAX_TAGS];
		int ntags = 0;
		bool bad = false, too_many = false;
		while (is_tpid(rd16(f + off))) {
			if (ntags == MAX_TAGS) {
				too_many = true;
				break;
			}
			if (off + TAG_LEN + 2 > flen) {
				bad = true;
				break;
			}
			vids[ntags++] = rd16(f + off + 2) & 0x0fff;
			off += TAG_LEN;
		}
		if (bad) {
			inst.d_malformed++;
			continue;
		}
		if (too_many) {
			inst.d_too_many_tags++;
			continue;
		}
		/* bump mode: a function's frame goes back to TAP, retagged */
		if (nbumps && ntags && bump_frame(b, len, ntags, vids, gso))
			continue;

		struct port *one = NULL;
		bool flood = false;
		if (ntags == 0 || (ntags == 1 && vids[0] == 0)) {
			/* the untagged wire */
			if (f[0] & 1) {
				flood = true;
			} else {
				for (int i = 0; i < nports; i++)
					if (on_untagged_wire(&ports[i]) &&
					    !memcmp(ports[i].mac, f, ETH_ALEN_)) {
						one = &ports[i];
						break;
					}
				if (!one) {
					inst.d_unknown_dst++;
					continue;
				}
			}
		} else if (ntags == 1) {
			if (vids[0] == 0xfff) {
				inst.d_reserved_vid++;
				continue;
			}
			for (int i = 0; i < nports; i++)
				if (ports[i].kind == M_VLAN && ports[i].vid == vids[0]) {
					one = &ports[i];
					break;
				}
		} else {
			if (vids[0] == 0xfff || vids[1] == 0xfff) {
				inst.d_reserved_vid++;
				continue;
			}
			for (int i = 0; i < nports; i++)
				if (ports[i].kind == M_QINQ && ports[i].vid == vids[0] &&
				    ports[i].cvid == vids[1]) {
					one = &ports[i];
					break;
				}
		}
		if (!one && !flood) {
			inst.d_unknown_port++;
			continue;
		}

		size_t t = (size_t)ntags * TAG_LEN;
		if (t) {
			if (hl && !vnet_adjust(b, -(int)t)) {
				inst.d_malformed++;
				continue;
			}
			memmove(b + t, b, hl + 2 * ETH_ALEN_);
			b += t;
			len -= t;
		}
		if (one) {
			to_port(one, b, len, gso);
		} else {
			bool any = false;
			for (int i = 0; i < nports; i++)
				if (on_untagged_wire(&ports[i])) {
					to_port(&ports[i], b, len, gso);
					any = true;
				}
			if (!any)
				inst.d_unknown_port++;
		}
	}
}

#define DIR_FMT(pfx)                                                                      \
	" " pfx "_frames=%" PRIu64 " " pfx "_bytes=%" PRIu64 " " pfx "_gso=%" PRIu64          \
	" " pfx "_drop_write_again=%" PRIu64 " " pfx "_drop_link_down=%" PRIu64             \
	" " pfx "_drop_write_error=%" PRIu64
#define DIR_ARGS(d) (d).frames, (d).bytes, (d).gso, (d).d_write_again, (d).d_link_down, (d).d_write_error

/* the bumps' counters (bump mode) */
static void bump_print_stats(void)
{
	for (int i = 0; i < nbumps; i++) {
		struct bump *bp = &bumps[i];

		fprintf(stderr,
			"%s: stats bump=%s,%s mark=%u fwd_frames=%" PRIu64 " rev_frames=%" PRIu64
			" marked=%" PRIu64 " drop_malformed=%" PRIu64 DIR_FMT("tx") "\n",
			prog, bp->in.match, bp->out.match, bp->mark, bp->fwd, bp->rev, bp->marked,
			bp->d_malformed, DIR_ARGS(bp->tx));
	}
}

static void print_stats(const char *why)
{
	fprintf(stderr,
		"%s: stats instance=%s reason=%s rx_frames=%" PRIu64 " rx_bytes=%" PRIu64
		" rx_gso=%" PRIu64 " drop_malformed=%" PRIu64 " drop_too_many_tags=%" PRIu64
		" drop_reserved_vid=%" PRIu64 " drop_unknown_port=%" PRIu64
		" drop_unknown_dst=%" PRIu64 " read_errors=%" PRIu64 DIR_FMT("tx") "\n",
		prog, inst.name, why, inst.rx_frames, inst.rx_bytes, inst.rx_gso, inst.d_malformed,
		inst.d_too_many_tags, inst.d_reserved_vid, inst.d_unknown_port, inst.d_unknown_dst,
		inst.d_read_error, DIR_ARGS(inst.tx));
	for (int i = 0; i < nports; i++) {
		struct port *p = &ports[i];
		fprintf(stderr,
			"%s: stats port=%s ns=%s match=%s" DIR_FMT("to_instance")
			DIR_FMT("from_instance") " drop_malformed=%" PRIu64 " read_errors=%" PRIu64 "\n",
			prog, p->dev, p->ns, p->match, DIR_ARGS(p->to_instance),
			DIR_ARGS(p->from_instance), p->d_malformed, p->d_read_error);
	}
	bump_print_stats();
	fflush(stderr);
}

/* ------------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tap", required_argument, NULL, 't' },
		{ "vnet-hdr", no_argument, NULL, 'v' },
		{ "up", no_argument, NULL, 'u' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "bump", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tap = NULL;
	int c;

	ports = calloc((size_t)argc, sizeof(*ports));
	bumps = calloc((size_t)argc, sizeof(*bumps));
	if (!ports || !bumps) {
		perror("ppguest: calloc");
		return 1;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (tap)
				die_usage("--tap given twice");
			if (!valid_ifname(optarg))
				die_usage("--tap '%s': bad interface name (1..%d chars)", optarg, IFNAMSIZ - 1);
			tap = optarg;
			break;
		case 'v':
			opt_vnet = true;
			break;
		case 'u':
			opt_up = true;
			break;
		case 'r':
			if (!*optarg)
				die_usage("--ready-file: empty path");
			opt_ready = optarg;
			break;
		case 'm': {
			unsigned long v;
			if (!parse_uint(optarg, strlen(optarg), 65535, &v) || v < 68)
				die_usage("--mtu '%s': want a number in 68..65535", optarg);
			opt_mtu = (int)v;
			break;
		}
		case 'p':
			parse_port(optarg, &ports[nports++]);
			break;
		case 'b':
			parse_bump(optarg, &bumps[nbumps++]);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			die_usage("option %s needs an argument", argv[optind - 1]);
		default:
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!tap)
		die_usage("--tap is required");
	if (nports == 0 && nbumps == 0)
		die_usage("at least one --port (or --bump) is required");
	check_ports();
	check_bumps();
	snprintf(inst.name, sizeof(inst.name), "%s", tap);
	hl = opt_vnet ? VNET_HDR_LEN : 0;

	bufmem = malloc(HEADROOM + FRAME_MAX + 64);
	if (!bufmem) {
		perror("ppguest: malloc");
		return 1;
	}

	/* signals: delivered through a signalfd; block them before any setup */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		die_sys("sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		die_sys("signalfd");

	if (opt_ready && unlink(opt_ready) < 0 && errno != ENOENT)
		die_sys("remove stale ready file %s", opt_ready);

	/* the instance port, in the current namespace */
	inst.fd = open_tap(tap, "");
	if (opt_up) {
		int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sock < 0)
			die_sys("socket");
		set_up(sock, tap, "");
		close(sock);
	}

	/* the service ports, each inside its namespace */
	int orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig_ns < 0)
		die_sys("open /proc/self/ns/net");
	for (int i = 0; i < nports; i++)
		setup_port(&ports[i], orig_ns);
	close(orig_ns);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die_sys("epoll_create1");
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.u64 = 0;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
		die_sys("epoll_ctl signalfd");
	ev.data.u64 = 1;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, inst.fd, &ev) < 0)
		die_sys("epoll_ctl %s", inst.name);
	for (int i = 0; i < nports; i++) {
		ev.data.u64 = 2 + (uint64_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ports[i].fd, &ev) < 0)
			die_sys("epoll_ctl %s", ports[i].dev);
	}

	write_ready();

	const char *why = NULL;
	struct epoll_event evs[64];
	while (!why) {
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_sys("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			uint64_t id = evs[i].data.u64;
			if (id == 0) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGUSR1)
						print_stats("SIGUSR1");
					else
						why = si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT";
				}
			} else if (id == 1) {
				if (!inst.dead) {
					instance_readable();
					if (inst.dead)
						epoll_ctl(ep, EPOLL_CTL_DEL, inst.fd, NULL);
				}
			} else {
				struct port *p = &ports[id - 2];
				if (!p->dead) {
					port_readable(p);
					if (p->dead)
						epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
				}
			}
		}
	}

	print_stats(why);
	for (int i = 0; i < nports; i++)
		close(ports[i].fd);
	close(inst.fd);
	close(ep);
	close(sfd);
	free(bufmem);
	free(ports);
	for (int i = 0; i < nbumps; i++)
		if (bumps[i].log)
			fclose(bumps[i].log);
	free(bumps);
	return 0;
}
