// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ppstream: sequence-numbered streams between taps and networks, for the
 * hot-upgrade tests (tests/e2e/upgrade.sh).  It plays the VM on its taps and
 * the hosts behind each network, and counts every frame that is lost,
 * reordered, duplicated or delivered to another network.
 *
 *   ppstream --lane TAP,VID,NETNS,DEV,MAC [--lane ...]
 *            [--route TAP,VID,MAC,IP,GWMAC,NETNS,DEV,UPMAC,REMOTE ...] [--rate FPS]
 *            [--route-rate FPS]
 *            [--drop-vid VID --drop-rate FPS] --report FILE [--ready FILE]
 *
 * A lane is one service port: VID on tap TAP (created here, IFF_TAP, no
 * vnet header; polyportd brings it up), its MAC, and its network, reached on
 * device DEV of namespace NETNS (an AF_PACKET socket there).  Each lane
 * carries two streams of --rate frames a second (default 12,500): VM ->
 * network (written on the tap, tagged VID, to DEV's MAC) and network -> VM
 * (sent on DEV, to the lane's MAC); every frame names its lane, direction
 * and sequence number (ethertype 0x88b5).  --drop-vid adds, on every tap,
 * --drop-rate frames a second on a VID no service port has: polyport drops
 * and counts them (unknown_port).
 *
 * A routed lane (--route) is an L3 port: VID on TAP, its MAC and IPv4
 * address IP, its domain's gateway MAC GWMAC, and the provider behind an
 * uplink of the domain: device DEV of NETNS (the next hop: DEV's MAC), the
 * uplink's MAC UPMAC, and REMOTE, an IPv4 address routed to that next hop.
 * Its frames are IPv4 UDP (port 20566 both ends, TTL 64, valid checksums):
 * VM -> uplink written on the tap from MAC to GWMAC, IP -> REMOTE; uplink ->
 * VM sent on DEV from DEV's MAC to UPMAC, REMOTE -> IP.  Received, each must
 * carry TTL 63, a valid IP checksum, and the MACs of a routed hop (on DEV:
 * UPMAC -> DEV's MAC; on the tap: GWMAC -> MAC, tagged VID); one that does
 * not counts as bad (and as received).  Lanes sharing NETNS and DEV share a
 * socket; a frame there belongs to the lane whose addresses it carries.
 * Each routed stream sends --route-rate frames a second (default: --rate).
 *
 * Sending starts on SIGUSR1, that of the routed lanes on SIGHUP (their
 * domain may be configured later).  SIGUSR2 writes the counts so far to --report;
 * SIGTERM/SIGINT stop sending, wait 500 ms for the frames in flight, write
 * the report and exit 0.  Report lines:
 *   stream LANE DIR sent N received N lost N gaps N reordered N dup N
 *   drops TAP sent N
 *   routed sent N received N lost N gaps N reordered N dup N bad N
 *   total sent N received N lost N gaps N reordered N dup N cross N errors N
 *         seconds S rate-each-way F
 * lost = sent - received (final once the frames in flight arrived), gaps =
 * sequence numbers below the highest one received that never arrived,
 * reordered = frames that arrived after a higher number, cross = frames of
 * one lane received on another lane's tap, VID or network (or with a tag
 * on a network), errors = sends the kernel refused (retried).  The routed
 * line sums the routed lanes (counted in the total too).
 *
 * Exit status: 0, 1 on a setup error, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE_STREAM 0x88b5
#define MAGIC		0x50505354u	/* "PPST" */
#define MAX_LANES	16
#define MAX_TAPS	MAX_LANES
#define FRAME_LEN	64
#define DROP_LANE	0xffff
#define ROUTED_PORT	20566	/* UDP, both ends: 0x5056 */
#define ROUTED_TTL	64

enum { TO_NET, TO_VM, NDIR };
static const char *const dir_names[NDIR] = { "to-net", "to-vm" };

struct payload {
	uint32_t magic;
	uint16_t lane;
	uint8_t dir;
	uint8_t pad;
	uint64_t seq;
} __attribute__((packed));

struct stream {
	uint64_t next;		/* next sequence number to send */
	uint64_t received, max_seen, gaps, reordered, dup;
	bool any;
	uint8_t *seen;		/* a bit per sequence number */
	size_t seen_bytes;
	double credit;
};

struct lane {
	char tap[IFNAMSIZ], ns[64], dev[IFNAMSIZ];
	int vid, tap_idx, sock, ifindex;
	uint8_t mac[6], dev_mac[6];
	/* a routed lane: the gateway's and the uplink's MACs, the addresses */
	bool routed;
	uint8_t gw_mac[6], up_mac[6];
	uint32_t ip, remote;	/* network order */
	struct stream s[NDIR];
};

struct tap {
	char name[IFNAMSIZ];
	int fd;
	uint64_t drops_sent;
	double credit;
};

static struct lane lanes[MAX_LANES];
static struct tap taps[MAX_TAPS];
static int nlanes, ntaps;
static double rate = 12500, route_rate, drop_rate;
static int drop_vid;
static const char *report_path, *ready_path;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int sending, sending_routed, stopping;
static uint64_t cross, errors, bad;
static struct timespec t_start, t_stop;

static double ts_sec(const struct timespec *a)
{
	return a->tv_sec + a->tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int parse_lane(char *arg)
{
	char *f[5], *save = NULL;
	struct lane *l = &lanes[nlanes];
	int n = 0;

	if (nlanes == MAX_LANES)
		return -1;
	for (char *t = strtok_r(arg, ",", &save); t && n < 5; t = strtok_r(NULL, ",", &save))
		f[n++] = t;
	if (n != 5 || strlen(f[0]) >= IFNAMSIZ || strlen(f[2]) >= sizeof(l->ns) ||
	    strlen(f[3]) >= IFNAMSIZ || parse_mac(f[4], l->mac))
		return -1;
	snprintf(l->tap, sizeof(l->tap), "%s", f[0]);
	l->vid = atoi(f[1]);
	snprintf(l->ns, sizeof(l->ns), "%s", f[2]);
	snprintf(l->dev, sizeof(l->dev), "%s", f[3]);
	if (l->vid < 1 || l->vid > 4094)
		return -1;
	nlanes++;
	return 0;
}

/* TAP,VID,MAC,IP,GWMAC,NETNS,DEV,UPMAC,REMOTE */
static int parse_route(char *arg)
{
	char *f[9], *save = NULL;
	struct lane *l = &lanes[nlanes];
	struct in_addr a, r;
	int n = 0;

	if (nlanes == MAX_LANES)
		return -1;
	for (char *t = strtok_r(arg, ",", &save); t && n < 9; t = strtok_r(NULL, ",", &save))
		f[n++] = t;
	if (n != 9 || strlen(f[0]) >= IFNAMSIZ || strlen(f[5]) >= sizeof(l->ns) ||
	    strlen(f[6]) >= IFNAMSIZ || parse_mac(f[2], l->mac) || parse_mac(f[4], l->gw_mac) ||
	    parse_mac(f[7], l->up_mac) || inet_pton(AF_INET, f[3], &a) != 1 ||
	    inet_pton(AF_INET, f[8], &r) != 1)
		return -1;
	snprintf(l->tap, sizeof(l->tap), "%s", f[0]);
	l->vid = atoi(f[1]);
	snprintf(l->ns, sizeof(l->ns), "%s", f[5]);
	snprintf(l->dev, sizeof(l->dev), "%s", f[6]);
	l->ip = a.s_addr;
	l->remote = r.s_addr;
	l->routed = true;
	if (l->vid < 1 || l->vid > 4094)
		return -1;
	nlanes++;
	return 0;
}

/* ---- setup ------------------------------------------------------------------------ */

static int tap_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), s;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -1;
	}
	/* a long queue toward the VM: a reader that stalls a moment loses nothing */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		struct ifreq q = { .ifr_qlen = 20000 };

		snprintf(q.ifr_name, sizeof(q.ifr_name), "%s", name);
		ioctl(s, SIOCSIFTXQLEN, &q);
		close(s);
	}
	return fd;
}

/* An AF_PACKET socket on dev in namespace ns, and dev's index and MAC. */
static int net_open(struct lane *l)
{
	char path[128];
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns, s = -1, one = 1;
	int buf = 16 << 20;
	struct ifreq ifr = { 0 };
	/* every ethertype: a routed frame delivered to a network is seen too */
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

	snprintf(path, sizeof(path), "/var/run/netns/%s", l->ns);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET))
		goto out;
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
	if (s < 0)
		goto back;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->dev);
	if (ioctl(s, SIOCGIFINDEX, &ifr))
		goto fail;
	l->ifindex = ifr.ifr_ifindex;
	if (ioctl(s, SIOCGIFHWADDR, &ifr))
		goto fail;
	memcpy(l->dev_mac, ifr.ifr_hwaddr.sa_data, 6);
	sa.sll_ifindex = l->ifindex;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	goto back;
fail:
	close(s);
	s = -1;
back:
	if (setns(self, CLONE_NEWNET)) {
		perror("ppstream: back to our namespace");
		exit(1);
	}
out:
	if (self >= 0)
		close(self);
	if (ns >= 0)
		close(ns);
	return s;
}

/* ---- sending ------------------------------------------------------------------------ */

/* A zeroed frame's Ethernet header up to its ethertype (with a 0x8100 tag if vid). */
static size_t eth_head(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int vid)
{
	size_t n = 12;

	memset(f, 0, FRAME_LEN + 4);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (vid) {
		f[n++] = 0x81;
		f[n++] = 0x00;
		f[n++] = (uint8_t)(vid >> 8);
		f[n++] = (uint8_t)vid;
	}
	return n;
}

static size_t build(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int vid,
		    uint16_t lane, uint8_t dir, uint64_t seq)
{
	struct payload p = { .magic = htonl(MAGIC), .lane = lane, .dir = dir, .seq = seq };
	size_t n = eth_head(f, dst, src, vid);

	f[n++] = ETHERTYPE_STREAM >> 8;
	f[n++] = ETHERTYPE_STREAM & 0xff;
	memcpy(f + n, &p, sizeof(p));
	return vid ? FRAME_LEN + 4 : FRAME_LEN;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

/* A routed frame: IPv4 UDP from src_ip to dst_ip carrying the payload, TTL 64. */
static size_t build_routed(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int vid,
			   uint32_t src_ip, uint32_t dst_ip, uint16_t lane, uint8_t dir,
			   uint64_t seq)
{
	struct payload p = { .magic = htonl(MAGIC), .lane = lane, .dir = dir, .seq = seq };
	const uint16_t ulen = 8 + sizeof(p), tlen = 20 + ulen;
	size_t n = eth_head(f, dst, src, vid);
	uint8_t *ip, *udp;
	uint32_t sum;

	f[n++] = 0x08;
	f[n++] = 0x00;
	ip = f + n;
	ip[0] = 0x45;
	ip[2] = tlen >> 8;
	ip[3] = tlen & 0xff;
	ip[4] = (uint8_t)(seq >> 8);	/* id */
	ip[5] = (uint8_t)seq;
	ip[6] = 0x40;			/* DF */
	ip[8] = ROUTED_TTL;
	ip[9] = 17;
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	sum = csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	udp = ip + 20;
	udp[0] = udp[2] = ROUTED_PORT >> 8;
	udp[1] = udp[3] = ROUTED_PORT & 0xff;
	udp[4] = ulen >> 8;
	udp[5] = ulen & 0xff;
	memcpy(udp + 8, &p, sizeof(p));
	/* the pseudo header, then the datagram */
	sum = csum_add(0, ip + 12, 8) + 17 + ulen;
	sum = csum_fold(csum_add(sum, udp, ulen));
	if (!sum)
		sum = 0xffff;
	udp[6] = (uint8_t)(sum >> 8);
	udp[7] = (uint8_t)sum;
	return vid ? FRAME_LEN + 4 : FRAME_LEN;
}

/* Send one frame of lane l, direction d; false if the kernel refused it (retried). */
static bool send_one(struct lane *l, int d)
{
	uint8_t f[FRAME_LEN + 4];
	size_t n;
	ssize_t w;

	const uint16_t li = (uint16_t)(l - lanes);
	const uint64_t seq = l->s[d].next;

	if (d == TO_NET) {
		n = l->routed ? build_routed(f, l->gw_mac, l->mac, l->vid, l->ip, l->remote, li,
					     TO_NET, seq)
			      : build(f, l->dev_mac, l->mac, l->vid, li, TO_NET, seq);
		w = write(taps[l->tap_idx].fd, f, n);
	} else {
		struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = l->ifindex,
					  .sll_halen = 6 };

		if (l->routed) {
			memcpy(to.sll_addr, l->up_mac, 6);
			to.sll_protocol = htons(ETH_P_IP);
			n = build_routed(f, l->up_mac, l->dev_mac, 0, l->remote, l->ip, li, TO_VM, seq);
		} else {
			memcpy(to.sll_addr, l->mac, 6);
			to.sll_protocol = htons(ETHERTYPE_STREAM);
			n = build(f, l->mac, l->dev_mac, 0, li, TO_VM, seq);
		}
		w = sendto(l->sock, f, n, 0, (struct sockaddr *)&to, sizeof(to));
	}
	if (w != (ssize_t)n) {
		__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
		return false;
	}
	__atomic_add_fetch(&l->s[d].next, 1, __ATOMIC_RELEASE);
	return true;
}

static void *sender(void *arg)
{
	struct timespec next;
	const double drop_tick = drop_rate / 1000;

	(void)arg;
	while (!sending && !stopping)
		usleep(1000);
	clock_gettime(CLOCK_MONOTONIC, &next);
	t_start = next;
	while (!stopping) {
		for (int i = 0; i < nlanes; i++) {
			if (lanes[i].routed && !sending_routed)
				continue;
			for (int d = 0; d < NDIR; d++) {
				struct stream *s = &lanes[i].s[d];
				const double per_tick = (lanes[i].routed ? route_rate : rate) / 1000;

				/* no catch-up burst after a stall: the rate dips instead */
				s->credit += per_tick;
				if (s->credit > 4 * per_tick + 1)
					s->credit = 4 * per_tick + 1;
				while (s->credit >= 1 && send_one(&lanes[i], d))
					s->credit -= 1;
			}
		}
		for (int t = 0; t < ntaps && drop_vid; t++) {
			taps[t].credit += drop_tick;
			while (taps[t].credit >= 1) {
				uint8_t f[FRAME_LEN + 4], any[6] = { 0x02, 0, 0, 0, 0, 0x99 };
				struct lane *l = NULL;
				size_t n;

				for (int i = 0; i < nlanes && !l; i++)
					if (lanes[i].tap_idx == t && !lanes[i].routed)
						l = &lanes[i];
				for (int i = 0; i < nlanes && !l; i++)
					if (lanes[i].tap_idx == t)
						l = &lanes[i];
				n = build(f, any, l->mac, drop_vid, DROP_LANE, TO_NET, taps[t].drops_sent);
				if (write(taps[t].fd, f, n) != (ssize_t)n) {
					__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
					break;
				}
				__atomic_add_fetch(&taps[t].drops_sent, 1, __ATOMIC_RELEASE);
				taps[t].credit -= 1;
			}
		}
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t_stop);
	return NULL;
}

/* ---- receiving ---------------------------------------------------------------------- */

static void account(struct stream *s, uint64_t seq)
{
	size_t byte = seq / 8;

	if (byte >= s->seen_bytes) {
		size_t nb = s->seen_bytes ? s->seen_bytes : 1 << 16;
		uint8_t *p;

		while (nb <= byte)
			nb *= 2;
		p = realloc(s->seen, nb);
		if (!p) {
			fprintf(stderr, "ppstream: out of memory\n");
			exit(1);
		}
		memset(p + s->seen_bytes, 0, nb - s->seen_bytes);
		s->seen = p;
		s->seen_bytes = nb;
	}
	if (s->seen[byte] & (1u << (seq % 8))) {
		s->dup++;
		return;
	}
	s->seen[byte] |= (uint8_t)(1u << (seq % 8));
	s->received++;
	if (!s->any || seq > s->max_seen) {
		s->gaps += s->any ? seq - s->max_seen - 1 : seq;
		s->max_seen = seq;
		s->any = true;
	} else {
		s->reordered++;
		s->gaps--;	/* it fills a gap counted when a higher number came */
	}
}

/* What a received frame carries: a stream's payload, and if routed its IP header's facts. */
struct rx {
	const uint8_t *dst, *src, *pl;
	size_t len;
	int vid;		/* its 802.1Q tag, 0: none */
	bool tagged;		/* any tag (in the frame or as metadata) */
	bool ip, csum_ok;
	uint8_t ttl;
	uint32_t saddr, daddr;	/* network order */
};

/* false: no frame of ours (another ethertype, another UDP port, too short) */
static bool parse(const uint8_t *f, size_t n, struct rx *x)
{
	size_t off = 12;
	unsigned et;

	if (n < 14)
		return false;
	x->dst = f;
	x->src = f + 6;
	et = (unsigned)f[12] << 8 | f[13];
	if (et == 0x8100 || et == 0x88a8 || et == 0x9100) {
		x->tagged = true;
		if (n < 18)
			return false;
		x->vid = (f[14] << 8 | f[15]) & 0xfff;
		off = 16;
		et = (unsigned)f[16] << 8 | f[17];
	}
	off += 2;
	if (et == ETHERTYPE_STREAM) {
		x->pl = f + off;
		x->len = n - off;
		return true;
	}
	if (et != 0x0800 || n < off + 28)
		return false;
	{
		const uint8_t *ip = f + off, *udp = ip + 20;

		if (ip[0] != 0x45 || ip[9] != 17 || (udp[2] << 8 | udp[3]) != ROUTED_PORT)
			return false;
		x->ip = true;
		x->ttl = ip[8];
		x->csum_ok = csum_fold(csum_add(0, ip, 20)) == 0;
		memcpy(&x->saddr, ip + 12, 4);
		memcpy(&x->daddr, ip + 16, 4);
		x->pl = udp + 8;
		x->len = n - off - 28;
	}
	return true;
}

/*
 * A frame received in direction d, on tap t (sock -1) or on the network
 * socket sock (t -1): where its lane's frames of that direction arrive, or
 * it crossed.  A routed one must also carry a routed hop's TTL, checksum
 * and MACs, or it is bad.
 */
static void got(int t, int sock, int d, const struct rx *x)
{
	const struct lane *l;
	struct payload p;
	bool here;

	if (x->len < sizeof(p))
		return;
	memcpy(&p, x->pl, sizeof(p));
	if (ntohl(p.magic) != MAGIC)
		return;
	pthread_mutex_lock(&mu);
	l = p.lane < nlanes ? &lanes[p.lane] : NULL;
	here = l && p.dir == d && x->ip == l->routed;
	if (here && t >= 0)
		here = l->tap_idx == t && l->vid == x->vid && (!l->routed || x->daddr == l->ip);
	else if (here)
		/* a network here is untagged: a tag in the frame or as metadata leaked */
		here = l->sock == sock && !x->tagged && (!l->routed || x->daddr == l->remote);
	if (!here) {
		cross++;
	} else {
		if (l->routed) {
			const uint8_t *want_src = d == TO_VM ? l->gw_mac : l->up_mac;
			const uint8_t *want_dst = d == TO_VM ? l->mac : l->dev_mac;

			if (x->ttl != ROUTED_TTL - 1 || !x->csum_ok || memcmp(x->src, want_src, 6) ||
			    memcmp(x->dst, want_dst, 6))
				bad++;
		}
		account(&lanes[p.lane].s[d], p.seq);
	}
	pthread_mutex_unlock(&mu);
}

static void read_tap(int t)
{
	uint8_t f[2048];
	ssize_t n;

	while ((n = read(taps[t].fd, f, sizeof(f))) > 0) {
		struct rx x = { 0 };

		if (parse(f, (size_t)n, &x))
			got(t, -1, TO_VM, &x);
	}
}

static void read_net(int i)
{
	uint8_t f[2048], cbuf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];

	for (;;) {
		struct sockaddr_ll from;
		struct iovec iov = { .iov_base = f, .iov_len = sizeof(f) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(lanes[i].sock, &mh, 0);
		struct rx x = { 0 };

		if (n < 0)
			break;
		if (from.sll_pkttype == PACKET_OUTGOING || !parse(f, (size_t)n, &x))
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct tpacket_auxdata a;

			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
				continue;
			memcpy(&a, CMSG_DATA(c), sizeof(a));
			x.tagged |= a.tp_status & TP_STATUS_VLAN_VALID;
		}
		got(-1, lanes[i].sock, TO_NET, &x);
	}
}

static void report(void)
{
	uint64_t sent = 0, rcv = 0, gaps = 0, reo = 0, dup = 0;
	uint64_t rsent = 0, rrcv = 0, rgaps = 0, rreo = 0, rdup = 0;
	char tmp[512];
	double secs;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", report_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < nlanes; i++)
		for (int d = 0; d < NDIR; d++) {
			struct stream *s = &lanes[i].s[d];
			uint64_t n = __atomic_load_n(&s->next, __ATOMIC_ACQUIRE);

			fprintf(f, "stream %d %s sent %llu received %llu lost %lld gaps %llu "
				"reordered %llu dup %llu\n", i, dir_names[d], (unsigned long long)n,
				(unsigned long long)s->received, (long long)(n - s->received),
				(unsigned long long)s->gaps, (unsigned long long)s->reordered,
				(unsigned long long)s->dup);
			sent += n;
			rcv += s->received;
			gaps += s->gaps;
			reo += s->reordered;
			dup += s->dup;
			if (lanes[i].routed) {
				rsent += n;
				rrcv += s->received;
				rgaps += s->gaps;
				rreo += s->reordered;
				rdup += s->dup;
			}
		}
	/* the routed lanes alone (in the totals too); bad: a TTL, checksum or MAC wrong */
	fprintf(f, "routed sent %llu received %llu lost %lld gaps %llu reordered %llu dup %llu "
		"bad %llu\n", (unsigned long long)rsent, (unsigned long long)rrcv,
		(long long)(rsent - rrcv), (unsigned long long)rgaps, (unsigned long long)rreo,
		(unsigned long long)rdup, (unsigned long long)bad);
	for (int t = 0; t < ntaps; t++)
		fprintf(f, "drops %s sent %llu\n", taps[t].name,
			(unsigned long long)__atomic_load_n(&taps[t].drops_sent, __ATOMIC_ACQUIRE));
	if (t_stop.tv_sec) {
		secs = ts_sec(&t_stop) - ts_sec(&t_start);
	} else {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = t_start.tv_sec ? ts_sec(&now) - ts_sec(&t_start) : 0;
	}
	fprintf(f, "total sent %llu received %llu lost %lld gaps %llu reordered %llu dup %llu "
		"cross %llu errors %llu seconds %.2f rate-each-way %.0f\n",
		(unsigned long long)sent, (unsigned long long)rcv, (long long)(sent - rcv),
		(unsigned long long)gaps, (unsigned long long)reo, (unsigned long long)dup,
		(unsigned long long)cross, (unsigned long long)errors, secs,
		secs > 0 ? sent / 2.0 / secs : 0);
	pthread_mutex_unlock(&mu);
	fclose(f);
	rename(tmp, report_path);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "lane", required_argument, NULL, 'l' },
		{ "route", required_argument, NULL, 'R' },
		{ "rate", required_argument, NULL, 'r' },
		{ "route-rate", required_argument, NULL, 'q' },
		{ "drop-vid", required_argument, NULL, 'v' },
		{ "drop-rate", required_argument, NULL, 'd' },
		{ "report", required_argument, NULL, 'o' },
		{ "ready", required_argument, NULL, 'y' },
		{}
	};
	struct epoll_event ev;
	pthread_t th;
	sigset_t mask;
	int c, ep, sfd;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (parse_lane(optarg))
				goto usage;
			break;
		case 'R':
			if (parse_route(optarg))
				goto usage;
			break;
		case 'r': rate = atof(optarg); break;
		case 'q': route_rate = atof(optarg); break;
		case 'v': drop_vid = atoi(optarg); break;
		case 'd': drop_rate = atof(optarg); break;
		case 'o': report_path = optarg; break;
		case 'y': ready_path = optarg; break;
		default: goto usage;
		}
	}
	if (!route_rate)
		route_rate = rate;
	if (!nlanes || !report_path || rate <= 0 || route_rate < 0 || (drop_vid && drop_rate <= 0))
		goto usage;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.u32 = 1000;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);

	for (int i = 0; i < nlanes; i++) {
		struct lane *l = &lanes[i];
		int t;

		for (t = 0; t < ntaps && strcmp(taps[t].name, l->tap); t++)
			;
		if (t == ntaps) {
			snprintf(taps[t].name, sizeof(taps[t].name), "%s", l->tap);
			taps[t].fd = tap_open(l->tap);
			if (taps[t].fd < 0) {
				fprintf(stderr, "ppstream: tap %s: %s\n", l->tap, strerror(errno));
				return 1;
			}
			ev.data.u32 = t;
			epoll_ctl(ep, EPOLL_CTL_ADD, taps[t].fd, &ev);
			ntaps++;
		}
		l->tap_idx = t;
		/* lanes on the same device share its socket (a provider behind an uplink) */
		for (int j = 0; j < i; j++) {
			if (!strcmp(lanes[j].ns, l->ns) && !strcmp(lanes[j].dev, l->dev)) {
				l->sock = lanes[j].sock;
				l->ifindex = lanes[j].ifindex;
				memcpy(l->dev_mac, lanes[j].dev_mac, 6);
				break;
			}
		}
		if (l->ifindex)
			continue;
		l->sock = net_open(l);
		if (l->sock < 0) {
			fprintf(stderr, "ppstream: %s in %s: %s\n", l->dev, l->ns, strerror(errno));
			return 1;
		}
		ev.data.u32 = 100 + i;
		epoll_ctl(ep, EPOLL_CTL_ADD, l->sock, &ev);
	}
	if (pthread_create(&th, NULL, sender, NULL)) {
		fprintf(stderr, "ppstream: thread: %s\n", strerror(errno));
		return 1;
	}
	report();
	if (ready_path) {
		FILE *f = fopen(ready_path, "w");

		if (f) {
			fputs("ready\n", f);
			fclose(f);
		}
	}
	for (;;) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, stopping ? 500 : -1);

		if (n <= 0 && stopping)
			break;
		for (int k = 0; k < n; k++) {
			unsigned u = evs[k].data.u32;

			if (u == 1000) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGUSR1) {
						sending = 1;
					} else if (si.ssi_signo == SIGHUP) {
						sending_routed = 1;
					} else if (si.ssi_signo == SIGUSR2) {
						report();
					} else if (!stopping) {
						stopping = 1;
						pthread_join(th, NULL);
					}
				}
			} else if (u >= 100) {
				read_net((int)u - 100);
			} else {
				read_tap((int)u);
			}
		}
	}
	report();
	return 0;
usage:
	fprintf(stderr, "usage: ppstream --lane TAP,VID,NETNS,DEV,MAC [--lane ...] "
		"[--route TAP,VID,MAC,IP,GWMAC,NETNS,DEV,UPMAC,REMOTE ...] [--rate FPS] [--route-rate FPS] "
		"[--drop-vid VID --drop-rate FPS] --report FILE [--ready FILE]\n");
	return 2;
}
