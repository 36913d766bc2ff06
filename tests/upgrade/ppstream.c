// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ppstream: sequence-numbered streams between taps and networks, for the
 * hot-upgrade tests (tests/e2e/upgrade.sh).  It plays the VM on its taps and
 * the hosts behind each network, and counts every frame that is lost,
 * reordered, duplicated or delivered to another network.
 *
 *   ppstream --lane TAP,VID,NETNS,DEV,MAC [--lane ...] [--rate FPS]
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
 * Sending starts on SIGUSR1.  SIGUSR2 writes the counts so far to --report;
 * SIGTERM/SIGINT stop sending, wait 500 ms for the frames in flight, write
 * the report and exit 0.  Report lines:
 *   stream LANE DIR sent N received N lost N gaps N reordered N dup N
 *   drops TAP sent N
 *   total sent N received N lost N gaps N reordered N dup N cross N errors N
 *         seconds S rate-each-way F
 * lost = sent - received (final once the frames in flight arrived), gaps =
 * sequence numbers below the highest one received that never arrived,
 * reordered = frames that arrived after a higher number, cross = frames of
 * one lane received on another lane's tap, VID or network (or with a tag
 * on a network), errors = sends the kernel refused (retried).
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
static double rate = 12500, drop_rate;
static int drop_vid;
static const char *report_path, *ready_path;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int sending, stopping;
static uint64_t cross, errors;
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
	struct sockaddr_ll sa = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETHERTYPE_STREAM) };

	snprintf(path, sizeof(path), "/var/run/netns/%s", l->ns);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET))
		goto out;
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETHERTYPE_STREAM));
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

static size_t build(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], int vid,
		    uint16_t lane, uint8_t dir, uint64_t seq)
{
	struct payload p = { .magic = htonl(MAGIC), .lane = lane, .dir = dir, .seq = seq };
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
	f[n++] = ETHERTYPE_STREAM >> 8;
	f[n++] = ETHERTYPE_STREAM & 0xff;
	memcpy(f + n, &p, sizeof(p));
	return vid ? FRAME_LEN + 4 : FRAME_LEN;
}

/* Send one frame of lane l, direction d; false if the kernel refused it (retried). */
static bool send_one(struct lane *l, int d)
{
	uint8_t f[FRAME_LEN + 4];
	size_t n;
	ssize_t w;

	if (d == TO_NET) {
		n = build(f, l->dev_mac, l->mac, l->vid, (uint16_t)(l - lanes), TO_NET, l->s[d].next);
		w = write(taps[l->tap_idx].fd, f, n);
	} else {
		struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = l->ifindex,
					  .sll_halen = 6 };

		memcpy(to.sll_addr, l->mac, 6);
		n = build(f, l->mac, l->dev_mac, 0, (uint16_t)(l - lanes), TO_VM, l->s[d].next);
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
	const double per_tick = rate / 1000, drop_tick = drop_rate / 1000;

	(void)arg;
	while (!sending && !stopping)
		usleep(1000);
	clock_gettime(CLOCK_MONOTONIC, &next);
	t_start = next;
	while (!stopping) {
		for (int i = 0; i < nlanes; i++) {
			for (int d = 0; d < NDIR; d++) {
				struct stream *s = &lanes[i].s[d];

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

/* A frame received on lane `at` (-1: a tap VID no lane has), direction d. */
static void got(int at, int d, const uint8_t *pl, size_t len, bool tagged_on_net)
{
	struct payload p;

	if (len < sizeof(p))
		return;
	memcpy(&p, pl, sizeof(p));
	if (ntohl(p.magic) != MAGIC)
		return;
	pthread_mutex_lock(&mu);
	if (at < 0 || p.lane != at || p.dir != d || tagged_on_net)
		cross++;
	else
		account(&lanes[at].s[d], p.seq);
	pthread_mutex_unlock(&mu);
}

static void read_tap(int t)
{
	uint8_t f[2048];
	ssize_t n;

	while ((n = read(taps[t].fd, f, sizeof(f))) > 0) {
		int vid = 0, at = -1;
		size_t off = 12;

		if (n < 14)
			continue;
		if (f[12] == 0x81 && f[13] == 0x00 && n >= 18) {
			vid = (f[14] << 8 | f[15]) & 0xfff;
			off = 16;
		}
		if (f[off] != ETHERTYPE_STREAM >> 8 || f[off + 1] != (ETHERTYPE_STREAM & 0xff))
			continue;
		for (int i = 0; i < nlanes; i++)
			if (lanes[i].tap_idx == t && lanes[i].vid == vid)
				at = i;
		got(at, TO_VM, f + off + 2, (size_t)n - off - 2, false);
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
		bool tagged = false;

		if (n < 0)
			break;
		if (from.sll_pkttype == PACKET_OUTGOING || n < 14)
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct tpacket_auxdata a;

			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
				continue;
			memcpy(&a, CMSG_DATA(c), sizeof(a));
			tagged = a.tp_status & TP_STATUS_VLAN_VALID;
		}
		/* a network here is untagged: a tag in the frame or as metadata leaked */
		{
			unsigned et = (unsigned)f[12] << 8 | f[13];

			tagged |= et == 0x8100 || et == 0x88a8 || et == 0x9100;
		}
		got(i, TO_NET, f + 14, (size_t)n - 14, tagged);
	}
}

static void report(void)
{
	uint64_t sent = 0, rcv = 0, gaps = 0, reo = 0, dup = 0;
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
		}
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
		{ "rate", required_argument, NULL, 'r' },
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
		case 'r': rate = atof(optarg); break;
		case 'v': drop_vid = atoi(optarg); break;
		case 'd': drop_rate = atof(optarg); break;
		case 'o': report_path = optarg; break;
		case 'y': ready_path = optarg; break;
		default: goto usage;
		}
	}
	if (!nlanes || !report_path || rate <= 0 || (drop_vid && drop_rate <= 0))
		goto usage;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
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
	fprintf(stderr, "usage: ppstream --lane TAP,VID,NETNS,DEV,MAC [--lane ...] [--rate FPS] "
		"[--drop-vid VID --drop-rate FPS] --report FILE [--ready FILE]\n");
	return 2;
}
