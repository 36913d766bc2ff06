// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyportctl: look at polyport and take it down.
 *
 *   polyportctl [--pin-root DIR] [--state-dir DIR] [--json] status
 *   polyportctl [--pin-root DIR] [--state-dir DIR] [--json] stats
 *   polyportctl [--pin-root DIR] teardown
 *
 * status and stats read the daemon's status file (statuses are derived by
 * the daemon from the kernel) and the pinned maps (counters).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "dataplane.h"

static const char usage[] =
"Usage: polyportctl [OPTIONS] COMMAND\n"
"\n"
"Commands:\n"
"  status     instance ports (device, status, mode) and their service ports\n"
"             (match, MAC, network, status), and networks; every status\n"
"             other than ACTIVE comes with its reason\n"
"  stats      per service port rx/tx packets and bytes, drops by reason per\n"
"             instance port and per network, the daemon's map writes\n"
"  teardown   remove every polyport TC filter and every pin under the pin\n"
"             root, and nothing else; refused while a daemon holds the root\n"
"\n"
"Options:\n"
"  -p, --pin-root DIR    pinned maps (default " PP_PIN_ROOT_DEFAULT ")\n"
"  -s, --state-dir DIR   the daemon's state (default /var/lib/polyport)\n"
"  -j, --json            JSON output (status, stats)\n"
"  -h, --help            this text\n"
"\n"
"Exit status: 0 ok, 1 error (message on stderr), 2 usage.\n";

static const char *pin_root = PP_PIN_ROOT_DEFAULT, *state_dir = "/var/lib/polyport";
static int json_out;

static json_object *read_status(void)
{
	char path[512];
	json_object *o;

	snprintf(path, sizeof(path), "%s/status.json", state_dir);
	o = json_object_from_file(path);
	if (!o)
		fprintf(stderr, "polyportctl: %s: %s (is polyportd running with --state-dir %s?)\n",
			path, json_util_get_last_err() ? json_util_get_last_err() : "unreadable",
			state_dir);
	return o;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static long long jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int cmd_status(void)
{
	json_object *st = read_status(), *ips, *nets;

	if (!st)
		return 1;
	if (json_out) {
		puts(json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY));
		json_object_put(st);
		return 0;
	}
	ips = jget(st, "instance_ports");
	nets = jget(st, "networks");
	printf("%-20s %-15s %-9s %-5s %s\n", "INSTANCE PORT", "DEVICE", "STATUS", "MODE", "REASON");
	for (size_t i = 0; ips && i < json_object_array_length(ips); i++) {
		json_object *ip = json_object_array_get_idx(ips, i), *sps = jget(ip, "service_ports");

		printf("%-20s %-15s %-9s %-5s %s\n", jstr(ip, "name"), jstr(ip, "device"),
		       jstr(ip, "status"), jstr(ip, "effective_mode"), jstr(ip, "reason"));
		for (size_t s = 0; sps && s < json_object_array_length(sps); s++) {
			json_object *sp = json_object_array_get_idx(sps, s);

			printf("  %-18s %-15s %-18s %-12s %-9s %s\n", jstr(sp, "name"),
			       jstr(sp, "match"), jstr(sp, "mac"), jstr(sp, "network"),
			       jstr(sp, "status"), jstr(sp, "reason"));
		}
	}
	printf("\n%-20s %-15s %-5s %-6s %-9s %s\n", "NETWORK", "DEVICE", "VLAN", "MTU", "STATUS",
	       "REASON");
	for (size_t i = 0; nets && i < json_object_array_length(nets); i++) {
		json_object *n = json_object_array_get_idx(nets, i);
		char vlan[8] = "-";

		if (jint(n, "vlan"))
			snprintf(vlan, sizeof(vlan), "%lld", jint(n, "vlan"));
		printf("%-20s %-15s %-5s %-6lld %-9s %s\n", jstr(n, "name"), jstr(n, "device"), vlan,
		       jint(n, "mtu"), jstr(n, "status"), jstr(n, "reason"));
	}
	if (*jstr(st, "last_errors"))
		printf("\nThe last change of the binding files was rejected (the dataplane "
		       "kept its state):\n%s", jstr(st, "last_errors"));
	json_object_put(st);
	return 0;
}

static json_object *drops_json(const struct pp_drops *d)
{
	json_object *o = json_object_new_object();

	for (int r = 0; r < PP_DROP_MAX; r++)
		if (d->reason[r])
			json_object_object_add(o, pp_drop_names[r], json_object_new_int64(d->reason[r]));
	return o;
}

static void print_drops(const char *what, const char *name, const struct pp_drops *d)
{
	for (int r = 0; r < PP_DROP_MAX; r++)
		if (d->reason[r])
			printf("  %-14s %-20s %-24s %llu\n", what, name, pp_drop_names[r],
			       (unsigned long long)d->reason[r]);
}

static int cmd_stats(void)
{
	json_object *st = read_status(), *out, *sports, *drops, *ips, *nets;
	struct pp_maps m;
	struct pp_drops d;
	int err;

	if (!st)
		return 1;
	err = pp_maps_open(&m, pin_root);
	if (err) {
		fprintf(stderr, "polyportctl: maps under %s: %s\n", pin_root, strerror(-err));
		json_object_put(st);
		return 1;
	}
	out = json_object_new_object();
	sports = json_object_new_array();
	drops = json_object_new_array();
	json_object_object_add(out, "map_writes", json_object_new_int64(jint(st, "map_writes")));
	json_object_object_add(out, "reconciles", json_object_new_int64(jint(st, "reconciles")));
	json_object_object_add(out, "service_ports", sports);
	json_object_object_add(out, "drops", drops);
	ips = jget(st, "instance_ports");
	nets = jget(st, "networks");
	if (!json_out)
		printf("%-20s %-18s %12s %14s %12s %14s\n", "INSTANCE PORT", "SERVICE PORT",
		       "RX PACKETS", "RX BYTES", "TX PACKETS", "TX BYTES");
	for (size_t i = 0; ips && i < json_object_array_length(ips); i++) {
		json_object *ip = json_object_array_get_idx(ips, i), *sps = jget(ip, "service_ports");

		for (size_t s = 0; sps && s < json_object_array_length(sps); s++) {
			json_object *sp = json_object_array_get_idx(sps, s), *o;
			struct pp_sport_stats c = {};

			if (jint(sp, "id"))
				pp_sport_stats_get(&m, jint(sp, "id"), &c);
			if (!json_out) {
				printf("%-20s %-18s %12llu %14llu %12llu %14llu\n", jstr(ip, "name"),
				       jstr(sp, "name"), (unsigned long long)c.rx_packets,
				       (unsigned long long)c.rx_bytes, (unsigned long long)c.tx_packets,
				       (unsigned long long)c.tx_bytes);
				continue;
			}
			o = json_object_new_object();
			json_object_object_add(o, "instance_port", json_object_new_string(jstr(ip, "name")));
			json_object_object_add(o, "service_port", json_object_new_string(jstr(sp, "name")));
			json_object_object_add(o, "network", json_object_new_string(jstr(sp, "network")));
			json_object_object_add(o, "rx_packets", json_object_new_int64(c.rx_packets));
			json_object_object_add(o, "rx_bytes", json_object_new_int64(c.rx_bytes));
			json_object_object_add(o, "tx_packets", json_object_new_int64(c.tx_packets));
			json_object_object_add(o, "tx_bytes", json_object_new_int64(c.tx_bytes));
			json_object_array_add(sports, o);
		}
	}
	if (!json_out)
		printf("\nDROPS\n");
	for (int k = 0; k < 2; k++) {
		json_object *arr = k ? nets : ips;
		size_t n = arr ? json_object_array_length(arr) : 0;

		for (size_t i = 0; i <= n; i++) {	/* i == n: unattributed (index 0) */
			json_object *obj = i < n ? json_object_array_get_idx(arr, i) : NULL, *o;
			__u32 idx = obj ? jint(obj, "id") : 0;
			const char *name = obj ? jstr(obj, "name") : "(unattributed)";

			if ((obj && !idx) || (k ? pp_net_drops_get : pp_iport_drops_get)(&m, idx, &d))
				continue;
			if (!json_out) {
				print_drops(k ? "network" : "instance port", name, &d);
				continue;
			}
			o = json_object_new_object();
			json_object_object_add(o, k ? "network" : "instance_port",
					       json_object_new_string(name));
			json_object_object_add(o, "reasons", drops_json(&d));
			json_object_array_add(drops, o);
		}
	}
	if (json_out)
		puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY));
	else
		printf("\ndaemon: %lld map writes, %lld reconciles\n", jint(st, "map_writes"),
		       jint(st, "reconciles"));
	json_object_put(out);
	json_object_put(st);
	pp_maps_close(&m);
	return 0;
}

static int detach_dev(const void *key, const void *val, void *arg)
{
	const struct pp_dev *dev = val;
	int *n = arg, err;

	if (!dev->flags || dev->ifindex != *(const __u32 *)key)
		return 0;
	err = pp_tc_detach(dev->ifindex);
	if (err && err != -ENODEV && err != -EINVAL)
		fprintf(stderr, "polyportctl: ifindex %u: detaching: %s\n", dev->ifindex,
			strerror(-err));
	else
		(*n)++;
	return 0;
}

static int cmd_teardown(void)
{
	struct pp_maps m;
	char path[512];
	int fd, err, n = 0;

	fd = open(pin_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			printf("nothing under %s\n", pin_root);
			return 0;
		}
		fprintf(stderr, "polyportctl: %s: %s\n", pin_root, strerror(errno));
		return 1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "polyportctl: a polyportd holds %s: stop it first\n", pin_root);
		return 1;
	}
	err = pp_maps_open(&m, pin_root);
	if (!err) {
		pp_map_iter(&m, PPM_DEVS, detach_dev, &n);
		pp_maps_close(&m);
	} else if (err != -ENOENT) {
		fprintf(stderr, "polyportctl: maps under %s: %s\n", pin_root, strerror(-err));
	}
	for (int i = 0; i < PPM_COUNT; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_root, pp_map_desc[i].name);
		if (unlink(path) && errno != ENOENT)
			fprintf(stderr, "polyportctl: %s: %s\n", path, strerror(errno));
	}
	if (rmdir(pin_root) && errno != ENOENT) {
		fprintf(stderr, "polyportctl: %s: %s (something else is pinned there; left alone)\n",
			pin_root, strerror(errno));
		return 1;
	}
	printf("removed polyport from %d devices and %s\n", n, pin_root);
	return 0;
}

static int quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	(void)l;
	(void)f;
	(void)a;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pin-root", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "+p:s:jho:", lo, NULL)) != -1) {
		switch (c) {
		case 'p': pin_root = optarg; break;
		case 's': state_dir = optarg; break;
		case 'j': json_out = 1; break;
		case 'o':
			if (strcmp(optarg, "json"))
				goto bad;
			json_out = 1;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: goto bad;
		}
	}
	libbpf_set_print(quiet);
	if (optind + 1 == argc) {
		if (!strcmp(argv[optind], "status"))
			return cmd_status();
		if (!strcmp(argv[optind], "stats"))
			return cmd_stats();
		if (!strcmp(argv[optind], "teardown"))
			return cmd_teardown();
		fprintf(stderr, "polyportctl: unknown command '%s'\n", argv[optind]);
	}
bad:
	fprintf(stderr, "Try 'polyportctl --help'.\n");
	return 2;
}
