// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * ppwire: program the dataplane directly through the loader library, for
 * the namespace tests of the dataplane core (no daemon, no binding files).
 * Reads commands from standard input, one per line:
 *
 *   net ID DEV [vlan N] [mtu N]        install network ID on DEV, attach TC
 *   iport SLOT TAP MAC [mtu N]         install instance port SLOT, attach TC
 *   sport ID SLOT NET MATCH MAC        MATCH: vlan:N | qinq:S.C | untagged | src-mac
 *   del-sport ID
 *   stats                              service-port counters and drops
 *   drop iport|net IDX REASON          print one drop counter
 *   mode TAP auto|tc|xdp               an instance port's mode (loader/xdpmode.h);
 *                                      prints "mode TAP EFFECTIVE: REASON"
 *   netmode DEV auto|tc|xdp            XDP on a network device, and whether XDP
 *                                      may send to it; prints "netmode DEV ..."
 *   xdp DEV on|off                     attach/detach XDP alone (role from pp_devs)
 *   xdp-tx DEV on|off|auto             DEV in pp_xdp_tx (auto: pp_xdp_tx_ok)
 *   show-xdp DEV                       "xdp DEV prog ID tx 0|1"
 *   sleep MS
 *
 * Usage: ppwire --pin-root DIR < commands
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "xdpmode.h"

static int parse_mac(const char *s, __u8 mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = v[i];
	return 0;
}

/* Optional "key value" pairs after the positional words. */
static unsigned opt(char **w, int n, const char *key, unsigned def)
{
	for (int i = 0; i + 1 < n; i++)
		if (!strcmp(w[i], key))
			return strtoul(w[i + 1], NULL, 0);
	return def;
}

/* The XDP commands (loader/xdpmode.h); 1 if w is not one of them. */
static int cmd_xdp(struct pp_dataplane *dp, char **w, int n)
{
	int ifindex = n >= 2 ? (int)if_nametoindex(w[1]) : 0, err;
	enum pp_mode want = PP_MODE_NONE, eff;
	char reason[512];

	if (n >= 3)
		want = pp_mode_parse(w[2]);
	if (!strcmp(w[0], "mode") && n >= 3 && want != PP_MODE_NONE) {
		err = pp_xdp_iport_apply(dp, ifindex, w[1], want, &eff, reason, sizeof(reason));
		if (!err)
			printf("mode %s %s: %s\n", w[1], pp_mode_name(eff), reason);
		return err;
	}
	if (!strcmp(w[0], "netmode") && n >= 3 && want != PP_MODE_NONE) {
		err = pp_xdp_net_apply(dp, ifindex, want, &eff, reason, sizeof(reason));
		if (!err)
			printf("netmode %s %s: %s\n", w[1], pp_mode_name(eff), reason);
		return err;
	}
	if (!strcmp(w[0], "xdp") && n >= 3) {
		struct pp_dev dev = {};

		if (!ifindex)
			return -ENODEV;
		if (!strcmp(w[2], "off"))
			return pp_xdp_detach(ifindex);
		pp_dev_get(&dp->maps, ifindex, &dev);
		return pp_xdp_attach(dp, ifindex, dev.flags & PP_DEV_NET ? PP_ROLE_NET : PP_ROLE_TAP);
	}
	if (!strcmp(w[0], "xdp-tx") && n >= 3) {
		if (!strcmp(w[2], "auto")) {
			err = pp_xdp_tx_refresh(&dp->maps, ifindex, reason, sizeof(reason));
			if (err >= 0)
				printf("xdp-tx %s %d: %s\n", w[1], pp_xdp_tx_get(&dp->maps, ifindex),
				       reason);
			return err < 0 ? err : 0;
		}
		return pp_xdp_tx_set(&dp->maps, ifindex, !strcmp(w[2], "on"));
	}
	if (!strcmp(w[0], "show-xdp") && n >= 2) {
		__u32 id;

		err = pp_xdp_query(ifindex, &id);
		if (!err)
			printf("xdp %s prog %u tx %d\n", w[1], id, pp_xdp_tx_get(&dp->maps, ifindex));
		return err;
	}
	if (!strcmp(w[0], "sleep") && n >= 2) {
		long ms = strtol(w[1], NULL, 0);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
		return 0;
	}
	return 1;
}

static int cmd(struct pp_dataplane *dp, char **w, int n)
{
	struct pp_maps *m = &dp->maps;
	int err = cmd_xdp(dp, w, n);

	if (err <= 0)
		return err;

	if (!strcmp(w[0], "net") && n >= 3) {
		struct pp_net net = { .ifindex = if_nametoindex(w[2]),
				      .vlan = opt(w + 3, n - 3, "vlan", 0),
				      .mtu = opt(w + 3, n - 3, "mtu", 1500) };
		int err = pp_dp_net_install(m, strtoul(w[1], NULL, 0), &net);

		if (!err && net.ifindex)
			err = pp_dp_attach(dp, net.ifindex, PP_ROLE_NET);
		return err;
	}
	if (!strcmp(w[0], "iport") && n >= 4) {
		struct pp_iport ip = { .ifindex = if_nametoindex(w[2]),
				       .mtu = opt(w + 4, n - 4, "mtu", 1500) };
		int err = parse_mac(w[3], ip.mac);

		if (!err)
			err = pp_dp_iport_install(m, strtoul(w[1], NULL, 0), &ip, NULL);
		if (!err && ip.ifindex)
			err = pp_dp_attach(dp, ip.ifindex, PP_ROLE_TAP);
		return err;
	}
	if (!strcmp(w[0], "sport") && n >= 6) {
		struct pp_sport sp = { .slot = strtoul(w[2], NULL, 0),
				       .net_id = strtoul(w[3], NULL, 0) };
		unsigned a, b;

		if (sscanf(w[4], "vlan:%u", &a) == 1) {
			sp.match = PP_MATCH_VLAN;
			sp.outer_vid = a;
		} else if (sscanf(w[4], "qinq:%u.%u", &a, &b) == 2) {
			sp.match = PP_MATCH_QINQ;
			sp.outer_vid = a;
			sp.inner_vid = b;
		} else if (!strcmp(w[4], "untagged")) {
			sp.match = PP_MATCH_UNTAGGED;
		} else if (!strcmp(w[4], "src-mac")) {
			sp.match = PP_MATCH_SRCMAC;
		} else {
			return -EINVAL;
		}
		if (parse_mac(w[5], sp.mac))
			return -EINVAL;
		return pp_dp_sport_install(m, strtoul(w[1], NULL, 0), &sp);
	}
	if (!strcmp(w[0], "del-sport") && n >= 2)
		return pp_dp_sport_remove(m, strtoul(w[1], NULL, 0));
	if (!strcmp(w[0], "stats")) {
		for (__u32 id = 1; id < m->max_entries[PPM_SPORTS] && id < 64; id++) {
			struct pp_sport_stats s;

			if (!pp_sport_stats_get(m, id, &s) && (s.rx_packets || s.tx_packets))
				printf("sport %u rx %llu %llu tx %llu %llu\n", id,
				       (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes,
				       (unsigned long long)s.tx_packets, (unsigned long long)s.tx_bytes);
		}
		for (int k = 0; k < 2; k++)
			for (__u32 i = 0; i < 16; i++) {
				struct pp_drops d;

				if ((k ? pp_net_drops_get : pp_iport_drops_get)(m, i, &d))
					continue;
				for (int r = 0; r < PP_DROP_MAX; r++)
					if (d.reason[r])
						printf("drop %s %u %s %llu\n", k ? "net" : "iport", i,
						       pp_drop_names[r], (unsigned long long)d.reason[r]);
			}
		return 0;
	}
	if (!strcmp(w[0], "drop") && n >= 4) {
		struct pp_drops d;
		__u32 idx = strtoul(w[2], NULL, 0);
		int err = (!strcmp(w[1], "net") ? pp_net_drops_get : pp_iport_drops_get)(m, idx, &d);

		if (err)
			return err;
		for (int r = 0; r < PP_DROP_MAX; r++)
			if (!strcmp(pp_drop_names[r], w[3]))
				printf("%llu\n", (unsigned long long)d.reason[r]);
		return 0;
	}
	return -EINVAL;
}

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return l == LIBBPF_WARN ? vfprintf(stderr, f, a) : 0;
}

int main(int argc, char **argv)
{
	struct pp_dataplane dp;
	char line[512], *w[16];
	int err, lineno = 0, rc = 0;

	if (argc != 3 || strcmp(argv[1], "--pin-root")) {
		fprintf(stderr, "usage: ppwire --pin-root DIR < commands\n");
		return 2;
	}
	libbpf_set_print(quiet);
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = pp_dp_open(&dp, argv[2], NULL);
	if (err) {
		fprintf(stderr, "ppwire: load: %s\n", strerror(-err));
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		int n = 0;

		lineno++;
		for (char *t = strtok(line, " \t\n"); t && n < 16; t = strtok(NULL, " \t\n"))
			w[n++] = t;
		if (!n || w[0][0] == '#')
			continue;
		err = cmd(&dp, w, n);
		if (err) {
			fprintf(stderr, "ppwire: line %d (%s): %s\n", lineno, w[0], strerror(-err));
			rc = 1;
		}
	}
	pp_dp_close(&dp);
	return rc;
}
