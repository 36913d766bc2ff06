// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ppsend: write Ethernet frames, byte for byte, on an interface of the
 * current network namespace (AF_PACKET, SOCK_RAW): the hostile frames of the
 * namespace tests (any TPID, any tag count, crafted headers), which no
 * socket of an IP stack would send.
 *
 *   ppsend DEV FRAME...     each FRAME: hex digits (the whole frame from the
 *                           destination MAC on; ':', '.' and '-' ignored)
 *
 * Exit status: 0 when every frame was sent, 1 on a send error, 2 on bad
 * arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define FRAME_MAX 9216

/* Parse hex text s into buf; returns the length, or -1. */
static int parse_frame(const char *s, unsigned char *buf)
{
	int n = 0, hi = -1, v;

	for (; *s; s++) {
		if (*s == ':' || *s == '.' || *s == '-')
			continue;
		v = pp_hexval(*s);
		if (v < 0 || (hi < 0 && n == FRAME_MAX))
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			buf[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	return hi < 0 && n >= ETH_HLEN ? n : -1;
}

int main(int argc, char **argv)
{
	static unsigned char buf[FRAME_MAX];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	int fd, len;

	if (argc < 3) {
		fprintf(stderr, "usage: ppsend DEV FRAME...\n");
		return 2;
	}
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "ppsend: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);	/* protocol 0: send only */
	if (fd < 0) {
		perror("ppsend: socket");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		len = parse_frame(argv[i], buf);
		if (len < 0) {
			fprintf(stderr, "ppsend: frame %d: not hex, or shorter than 14 bytes\n",
				i - 1);
			close(fd);
			return 2;
		}
		memcpy(sll.sll_addr, buf, ETH_ALEN);
		if (sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&sll, sizeof(sll)) != len) {
			fprintf(stderr, "ppsend: %s: frame %d: %s\n", argv[1], i - 1, strerror(errno));
			close(fd);
			return 1;
		}
	}
	close(fd);
	return 0;
}
