// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyportctl: the client of polyportd's northbound API, and teardown.
 *
 * Exit status: 0 done; 1 refused (the API's error is printed as it came)
 * or a local error; 2 usage; 3 the daemon could not be reached or failed.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <curl/curl.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "config.h"
#include "daemon.h"
#include "dataplane.h"
#include "xdpmode.h"
#include "dump.h"
#include "links.h"
#include "tap.h"

#define API_SOCKET_DEFAULT "/run/polyport/api.sock"

static const char usage[] =
"Usage: polyportctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Commands (through polyportd's API):\n"
"  status                       instance ports, their service ports, networks,\n"
"                               l3 domains:\n"
"                               status (ACTIVE, DOWN, DEGRADED, ERROR) and why\n"
"  stats                        per service port rx/tx and services, drops by reason,\n"
"                               map writes\n"
"  get KIND [NAME]              list or show networks, instance-ports, service-ports,\n"
"                               l3-domains, chains\n"
"  create KIND JSON|KEY=VALUE...  create an object (name=... among the keys)\n"
"  update KIND NAME JSON|KEY=VALUE...  change fields (revision=N: only if current)\n"
"  delete KIND NAME             delete an object created through the API\n"
"  apply -f FILE                create or replace every object of a binding\n"
"                               file (YAML or JSON), read as polyportd reads its\n"
"                               files (errors FILE:LINE:COLUMN); nothing is sent\n"
"                               unless all of it reads\n"
"  events [--since SEQ] [--follow]  status changes and configuration events\n"
"  state                        the API's state file: ok, or damaged (moved aside)\n"
"                               and how many objects are kept from it, as pinned\n"
"  state discard                let what was kept from a damaged state file go\n"
"                               (removed from the dataplane)\n"
"Compute integration (a compute service consumes an instance port by its id):\n"
"  plug --id ID [--name NAME] [--device TAP] [--mac MAC] [--mtu N]\n"
"       [--create [--owner USER] [--group GROUP] [--queues N]] [--wait S] [--activate]\n"
"                               make or update the instance port with this id, make\n"
"                               the tap (--create: persistent, vnet header,\n"
"                               multi-queue if N > 1, owner/group, MTU, alias\n"
"                               polyport:ID) or give it its alias, wait S seconds\n"
"                               (default 10, 0: no wait) until it is ACTIVE, print\n"
"                               the tap, MAC, MTU and QEMU/libvirt snippets; a tap\n"
"                               for an id whose instance port has a live tap is its\n"
"                               standby (active at its first frame, or --activate)\n"
"  unplug --id ID [--delete-device] [--purge]\n"
"                               remove the alias from its taps (--delete-device:\n"
"                               delete them); an API instance port is kept with its\n"
"                               service ports, device unset (--purge: deleted with\n"
"                               its API service ports)\n"
"  ifup TAP [--wait S] | ifdown TAP   what the hooks polyport-ifup/-ifdown run\n"
"Local command:\n"
"  teardown                     remove every polyport TC filter and pin under the\n"
"                               pin root, nothing else; refused while a daemon runs\n"
"  dump --canonical             every map under the pin root as sorted lines, ids\n"
"                               replaced by names: equal for two dataplanes of one\n"
"                               configuration (counters and hints left out)\n"
"\n"
"KIND: networks | instance-ports | service-ports | l3-domains (singular and\n"
"short forms work: network, iport, sport, l3-domain, l3dom).  KEY=VALUE: VALUE is taken as JSON when it\n"
"parses (100, [300,10], true), else as a string; a.b=V nests (bind.network=x).\n"
"\n"
"Options:\n"
"  -a, --api-socket PATH  the API socket (default $POLYPORT_API_SOCKET, else\n"
"                         " API_SOCKET_DEFAULT ")\n"
"  -p, --pin-root DIR     for teardown and dump (default " PP_PIN_ROOT_DEFAULT ")\n"
"  -j, --json, -o json    JSON output\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 ok, 1 refused or failed (the API's error is printed),\n"
"2 usage, 3 the daemon could not be reached (plug, ifup: or the tap was not\n"
"programmed in time).\n";

static const char *api_socket = API_SOCKET_DEFAULT, *pin_root = PP_PIN_ROOT_DEFAULT;
static int json_out;

/* ---- HTTP over the Unix socket -------------------------------------------------- */

struct buf {
	char *s;
	size_t len;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	char *t = realloc(b->s, b->len + sz * n + 1);

	if (!t)
		return 0;
	b->s = t;
	memcpy(b->s + b->len, p, sz * n);
	b->len += sz * n;
	b->s[b->len] = 0;
	return sz * n;
}

/* Returns the HTTP status (0: unreachable); *out gets the parsed body. */
static long http(const char *method, const char *path, json_object *body, json_object **out,
		 long timeout_s)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct buf b = {};
	char url[1024];
	long code = 0;

	*out = NULL;
	if (!c)
		return 0;
	snprintf(url, sizeof(url), "http://polyportd%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, api_socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, json_object_to_json_string(body));
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (b.s)
		*out = json_tokener_parse(b.s);
	free(b.s);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

/* Print an API error as it came; returns the exit status for code. */
static int report(long code, json_object *resp)
{
	json_object *e, *m, *f;

	if (!code) {
		fprintf(stderr, "polyportctl: cannot reach polyportd at %s\n", api_socket);
		return 3;
	}
	if (code < 400)
		return 0;
	if (json_out && resp) {
		fprintf(stderr, "%s\n", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PRETTY));
	} else if (resp && json_object_object_get_ex(resp, "error", &e) &&
		   json_object_object_get_ex(e, "message", &m)) {
		fprintf(stderr, "polyportctl: %ld: %s", code, json_object_get_string(m));
		if (json_object_object_get_ex(e, "field", &f) && f)
			fprintf(stderr, " (field %s)", json_object_get_string(f));
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "polyportctl: HTTP %ld\n", code);
	}
	return code >= 500 ? 3 : 1;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
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

/* A string under its name, or under its deprecated one (an older daemon). */
static const char *jstr_was(json_object *o, const char *key, const char *old)
{
	return jget(o, key) ? jstr(o, key) : jstr(o, old);
}

/* The strings of JSON array arr joined by commas into buf (cut to len), none if it has none. */
static const char *join(json_object *arr, char *buf, size_t len, const char *none)
{
	size_t off = 0, n = arr ? json_object_array_length(arr) : 0;

	snprintf(buf, len, "%s", n ? "" : none);
	for (size_t i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				json_object_get_string(json_object_array_get_idx(arr, i)));
	return buf;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---- status and stats ----------------------------------------------------------- */

/*
 * GET path.  With --json the answer is printed and -1 returned (done);
 * otherwise 0 with *out for a table; or an exit status.
 */
static int fetch(const char *path, json_object **out)
{
	long code = http("GET", path, NULL, out, 10);
	int rc = report(code, *out);

	if (rc || !*out)
		return rc ? rc : 3;
	if (!json_out)
		return 0;
	print_json(*out);
	json_object_put(*out);
	return -1;
}

/*
 * Cluster mode: the store, the hosts, and the instance ports of the store on
 * other hosts as their hosts report them (UNKNOWN: a host that stopped
 * reporting).
 */
static void cluster_status(json_object *cl)
{
	json_object *hosts = jget(cl, "hosts"), *ips = NULL;

	if (!cl)
		return;
	printf("\nCLUSTER: host %s, store %s %s (revision %lld)%s%s\n", jstr(cl, "host"),
	       jstr(cl, "store"), json_object_get_boolean(jget(cl, "connected")) ? "connected" :
	       "UNREACHABLE", jint(cl, "revision"), *jstr(cl, "error") ? ": " : "",
	       jstr(cl, "error"));
	printf("%-20s %-9s %-15s %s\n", "HOST", "STATUS", "VTEP", "REASON");
	json_object_object_foreach(hosts, hn, h) {
		bool alive = json_object_get_boolean(jget(h, "alive"));

		printf("%-20s %-9s %-15s %s\n", hn, alive ? "ACTIVE" : "UNKNOWN",
		       *jstr(h, "vtep") ? jstr(h, "vtep") : "-", jstr(h, "reason"));
	}
	if (fetch("/v1/instance-ports", &ips))
		return;
	printf("\n%-20s %-15s %-9s %s\n", "ON OTHER HOSTS", "HOST", "STATUS", "REASON");
	for (size_t i = 0; ips && i < json_object_array_length(ips); i++) {
		json_object *ip = json_object_array_get_idx(ips, i), *s = jget(ip, "status");

		if (!*jstr(ip, "host") || !strcmp(jstr(ip, "host"), jstr(cl, "host")))
			continue;
		printf("%-20s %-15s %-9s %s\n", jstr(ip, "name"), jstr(ip, "host"),
		       jstr(s, "status"), jstr(s, "reason"));
		if (*jstr(ip, "migrating-to"))
			printf("  migrating to %s\n", jstr(ip, "migrating-to"));
	}
	json_object_put(ips);
}

static int cmd_status(void)
{
	json_object *st, *ips, *nets, *doms;
	int rc = fetch("/v1/status", &st);

	if (rc)
		return rc < 0 ? 0 : rc;
	ips = jget(st, "instance_ports");
	nets = jget(st, "networks");
	printf("%-20s %-15s %-9s %-5s %s\n", "INSTANCE PORT", "DEVICE", "STATUS", "MODE", "REASON");
	for (size_t i = 0; ips && i < json_object_array_length(ips); i++) {
		json_object *ip = json_object_array_get_idx(ips, i), *sps = jget(ip, "service_ports");
		const char *why = jstr_was(ip, PP_KEY_MODE_REASON, PP_KEY_MODE_REASON_OLD);
		char taps[96];

		/* the tap in use (bound by its alias, it is no configured device) */
		printf("%-20s %-15s %-9s %-5s %s\n", jstr(ip, "name"),
		       *jstr(ip, "tap") ? jstr(ip, "tap") : jstr(ip, "device"),
		       jstr(ip, "status"), jstr_was(ip, PP_KEY_EFFECTIVE_MODE, PP_KEY_EFFECTIVE_MODE_OLD),
		       jstr(ip, "reason"));
		if (*why)
			printf("  mode: %s\n", why);
		if (*jstr(ip, "id"))
			printf("  id: %s\n", jstr(ip, "id"));
		if (*jstr(ip, "standby-tap"))
			printf("  standby tap: %s (its first frame makes it the active one)\n",
			       jstr(ip, "standby-tap"));
		if (jget(ip, "inactive-taps"))
			printf("  inactive taps: %s (their frames are dropped: inactive_tap)\n",
			       join(jget(ip, "inactive-taps"), taps, sizeof(taps), ""));
		for (size_t s = 0; sps && s < json_object_array_length(sps); s++) {
			json_object *sp = json_object_array_get_idx(sps, s);

			printf("  %-18s %-15s %-18s %-12s %-9s %s\n", jstr(sp, "name"),
			       jstr(sp, "match"), jstr(sp, "mac"),
			       *jstr(sp, "chain") ? jstr(sp, "chain") : jstr_was(sp, "network", "l3-domain"),
			       jstr(sp, "status"), jstr(sp, "reason"));
		}
	}
	printf("\n%-20s %-15s %-5s %-6s %-9s %s\n", "NETWORK", "DEVICE", "VLAN", "MTU", "STATUS",
	       "REASON");
	for (size_t i = 0; nets && i < json_object_array_length(nets); i++) {
		json_object *n = json_object_array_get_idx(nets, i);
		const char *why = jstr_was(n, PP_KEY_MODE_REASON, PP_KEY_MODE_REASON_OLD);
		char vlan[8] = "-", dev[24];

		if (jint(n, "vlan"))
			snprintf(vlan, sizeof(vlan), "%lld", jint(n, "vlan"));
		/* a stretched network (issue 20): its VNI for a device */
		if (jint(n, "vni"))
			snprintf(dev, sizeof(dev), "vxlan %lld", jint(n, "vni"));
		else
			snprintf(dev, sizeof(dev), "%s", jstr(n, "device"));
		printf("%-20s %-15s %-5s %-6lld %-9s %s\n", jstr(n, "name"), dev, vlan,
		       jint(n, "mtu"), jstr(n, "status"), jstr(n, "reason"));
		/* XDP or TC on its device, and why (isolation first: xdpmode.c) */
		if (*why)
			printf("  mode: %s: %s\n",
			       jstr_was(n, PP_KEY_EFFECTIVE_MODE, PP_KEY_EFFECTIVE_MODE_OLD), why);
	}
	doms = jget(st, "l3_domains");
	if (doms && json_object_array_length(doms))
		printf("\n%-20s %-10s %-6s %-5s %-9s %-24s %s\n", "L3 DOMAIN", "TABLE", "MTU", "ID",
		       "STATUS", "UPLINKS", "REASON");
	for (size_t i = 0; doms && i < json_object_array_length(doms); i++) {
		json_object *d = json_object_array_get_idx(doms, i), *ups;
		char up[64];

		printf("%-20s %-10lld %-6lld %-5lld %-9s %-24s %s\n", jstr(d, "name"),
		       jint(d, "table"), jint(d, "mtu"), jint(d, "id"), jstr(d, "status"),
		       join(jget(d, "uplinks"), up, sizeof(up), "-"), jstr(d, "reason"));
		/* XDP or TC on each uplink, and why (as a network's device) */
		ups = jget(d, "uplink_modes");
		for (size_t u = 0; ups && u < json_object_array_length(ups); u++) {
			json_object *m = json_object_array_get_idx(ups, u);

			if (*jstr(m, PP_KEY_MODE_REASON))
				printf("  uplink %s mode: %s: %s\n", jstr(m, "device"),
				       jstr(m, PP_KEY_EFFECTIVE_MODE), jstr(m, PP_KEY_MODE_REASON));
		}
	}
	doms = jget(st, "chains");	/* issue 17: each chain, then its hops */
	if (doms && json_object_array_length(doms))
		printf("\n%-20s %-20s %-5s %-9s %s\n", "CHAIN", "NETWORK", "ID", "STATUS", "REASON");
	for (size_t i = 0; doms && i < json_object_array_length(doms); i++) {
		json_object *c = json_object_array_get_idx(doms, i), *hops = jget(c, "hops");

		printf("%-20s %-20s %-5lld %-9s %s\n", jstr(c, "name"), jstr(c, "network"),
		       jint(c, "id"), jstr(c, "status"), jstr(c, "reason"));
		for (size_t h = 0; hops && h < json_object_array_length(hops); h++) {
			json_object *ho = json_object_array_get_idx(hops, h);
			char insts[64];

			printf("  hop %-3lld %-32s %-9s %s\n", jint(ho, "hop"),
			       join(jget(ho, "instances"), insts, sizeof(insts), ""), jstr(ho, "status"),
			       jstr(ho, "reason"));
		}
	}
	cluster_status(jget(st, "cluster"));
	if (*jstr(st, "last_errors"))
		printf("\nThe last change of the binding files was rejected (the dataplane "
		       "kept its state):\n%s", jstr(st, "last_errors"));
	if (!strcmp(jstr(jget(st, "state-file"), "status"), "damaged"))
		printf("\nThe API's state file was damaged (%s), kept as %s: the objects it held "
		       "stay as pinned, read-only (DEGRADED), until it is restored (then SIGHUP) or "
		       "'polyportctl state discard'.\n", jstr(jget(st, "state-file"), "reason"),
		       jstr(jget(st, "state-file"), "kept-as"));
	json_object_put(st);
	return 0;
}

/* state [discard]: the API's state file, and letting go of what was kept from it. */
static int cmd_state(int argc, char **argv)
{
	int discard = argc == 1 && !strcmp(argv[0], "discard");
	json_object *r, *sf, *k;
	long code;
	int rc;

	if (argc > 1 || (argc == 1 && !discard)) {
		fprintf(stderr, "polyportctl: state [discard]\n");
		return 2;
	}
	code = http(discard ? "DELETE" : "GET", "/v1/state-file", NULL, &r, 30);
	rc = report(code, r);
	if (!rc && r && json_out) {
		print_json(r);
	} else if (!rc && r) {
		sf = jget(r, "state-file");
		k = discard ? jget(r, "released") : jget(sf, "kept");
		printf("state file %s: %s", jstr(sf, "path"), jstr(sf, "status"));
		if (*jstr(sf, "reason"))
			printf(" (%s), kept as %s", jstr(sf, "reason"), jstr(sf, "kept-as"));
		if (k)
			printf("; %s %lld networks, %lld instance ports, %lld service ports, "
			       "%lld l3 domains", discard ? "let go:" : "kept:", jint(k, "networks"),
			       jint(k, "instance-ports"), jint(k, "service-ports"),
			       jint(k, "l3-domains"));
		putchar('\n');
	}
	json_object_put(r);
	return rc;
}

static int cmd_stats(void)
{
	json_object *st, *sps, *drops, *doms;
	int rc = fetch("/v1/stats", &st);

	if (rc)
		return rc < 0 ? 0 : rc;
	sps = jget(st, "service-ports");
	drops = jget(st, "drops");
	printf("%-20s %-18s %12s %14s %12s %14s\n", "INSTANCE PORT", "SERVICE PORT", "RX PACKETS",
	       "RX BYTES", "TX PACKETS", "TX BYTES");
	for (size_t i = 0; sps && i < json_object_array_length(sps); i++) {
		json_object *s = json_object_array_get_idx(sps, i);

		printf("%-20s %-18s %12lld %14lld %12lld %14lld\n", jstr(s, "instance-port"),
		       jstr(s, "service-port"), jint(s, "rx_packets"), jint(s, "rx_bytes"),
		       jint(s, "tx_packets"), jint(s, "tx_bytes"));
	}
	printf("\nSERVICES\n");
	for (size_t i = 0; sps && i < json_object_array_length(sps); i++) {
		json_object *s = json_object_array_get_idx(sps, i), *sv = jget(s, "services");

		if (!sv)
			continue;
		json_object_object_foreach(sv, name, v) {
			if (json_object_get_int64(v))
				printf("  %-20s %-18s %-20s %lld\n", jstr(s, "instance-port"),
				       jstr(s, "service-port"), name,
				       (long long)json_object_get_int64(v));
		}
	}
	doms = jget(st, "chains");	/* issue 17 */
	if (doms && json_object_array_length(doms))
		printf("\nCHAINS\n");
	for (size_t i = 0; doms && i < json_object_array_length(doms); i++) {
		json_object *c = json_object_array_get_idx(doms, i), *hops = jget(c, "hops");

		printf("  %-20s classified %lld (forward %lld, reverse %lld), dropped: chain_context "
		       "%lld, chain_down %lld\n", jstr(c, "chain"), jint(c, "frames"),
		       jint(c, "frames_forward"), jint(c, "frames_reverse"), jint(c, "chain_context"),
		       jint(c, "chain_down"));
		for (size_t h = 0; hops && h < json_object_array_length(hops); h++) {
			json_object *ho = json_object_array_get_idx(hops, h), *in = jget(ho, "instances");

			printf("    hop %lld: sent %lld, returned %lld\n", jint(ho, "hop"),
			       jint(ho, "sent_packets"), jint(ho, "returned_packets"));
			for (size_t k = 0; in && k < json_object_array_length(in); k++) {
				json_object *io = json_object_array_get_idx(in, k);

				printf("      %-20s %s/%s  sent %lld, returned %lld\n",
				       jstr(io, "instance-port"), jstr(io, "ingress"), jstr(io, "egress"),
				       jint(io, "sent_packets"), jint(io, "returned_packets"));
			}
		}
	}
	printf("\nDROPS\n");
	for (size_t i = 0; drops && i < json_object_array_length(drops); i++) {
		json_object *d = json_object_array_get_idx(drops, i), *r = jget(d, "reasons");
		int net = jget(d, "network") != NULL, dom = jget(d, "l3-domain") != NULL;
		int ch = jget(d, "chain") != NULL;
		const char *name = jstr(d, net ? "network" : dom ? "l3-domain" : ch ? "chain" :
						 "instance-port");

		json_object_object_foreach(r, reason, v) {
			if (json_object_get_int64(v))
				printf("  %-14s %-20s %-24s %lld\n",
				       net ? "network" : dom ? "l3 domain" : ch ? "chain" : "instance port",
				       *name ? name : "(unattributed)", reason,
				       (long long)json_object_get_int64(v));
		}
	}
	doms = jget(st, "l3-domains");
	if (doms && json_object_array_length(doms))
		printf("\nL3 DOMAINS' ICMP ERRORS\n");
	for (size_t i = 0; doms && i < json_object_array_length(doms); i++) {
		json_object *d = json_object_array_get_idx(doms, i);

		printf("  %-20s sent %lld, not sent over the rate limit %lld\n", jstr(d, "l3-domain"),
		       jint(d, "icmp_sent"), jint(d, "icmp_limited"));
	}
	printf("\ndaemon: %lld map writes, %lld reconciles\n", jint(st, "map_writes"),
	       jint(st, "reconciles"));
	json_object_put(st);
	return 0;
}

/* ---- objects ------------------------------------------------------------------------ */

static const char *kind_path(const char *k)
{
	static const char *const map[][2] = {
		{ "networks", "networks" }, { "network", "networks" }, { "net", "networks" },
		{ "instance-ports", "instance-ports" }, { "instance-port", "instance-ports" },
		{ "iports", "instance-ports" }, { "iport", "instance-ports" },
		{ "service-ports", "service-ports" }, { "service-port", "service-ports" },
		{ "sports", "service-ports" }, { "sport", "service-ports" },
		{ "l3-domains", "l3-domains" }, { "l3-domain", "l3-domains" },
		{ "l3doms", "l3-domains" }, { "l3dom", "l3-domains" },
		{ "chains", "chains" }, { "chain", "chains" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(k, map[i][0]))
			return map[i][1];
	return NULL;
}

static void print_obj_row(const char *kind, json_object *o)
{
	json_object *st = jget(o, "status");
	char extra[96] = "";

	if (!strcmp(kind, "networks") && jget(o, "vxlan")) {
		snprintf(extra, sizeof(extra), "vxlan %s", jstr(jget(o, "vxlan"), "vni"));
	} else if (!strcmp(kind, "networks")) {
		snprintf(extra, sizeof(extra), "device %s%s%s", jstr(o, "device"),
			 jget(o, "vlan") ? " vlan " : "", jget(o, "vlan") ? jstr(o, "vlan") : "");
	} else if (!strcmp(kind, "instance-ports")) {
		snprintf(extra, sizeof(extra), "tap %s mac %s", jstr(o, "device"), jstr(o, "mac"));
	} else if (!strcmp(kind, "l3-domains")) {
		snprintf(extra, sizeof(extra), "table %s mtu %s id %s", jstr(o, "table"),
			 jstr(o, "mtu"), st ? jstr(st, "id") : "");
	} else if (!strcmp(kind, "chains")) {
		json_object *hops = jget(o, "hops");

		snprintf(extra, sizeof(extra), "network %s hops %zu id %s", jstr(o, "network"),
			 hops ? json_object_array_length(hops) : 0, st ? jstr(st, "id") : "");
	} else {
		json_object *b = jget(o, "bind"), *l3 = b ? jget(b, "l3") : NULL;

		snprintf(extra, sizeof(extra), "on %s %s%s%s -> %s%s", jstr(o, "instance-port"),
			 jget(o, "vlan") ? "vlan " : jget(o, "untagged") ? "untagged" : "src-mac ",
			 jget(o, "vlan") ? jstr(o, "vlan") : "", jstr(o, "src-mac"),
			 l3 ? "l3 " : "", l3 ? jstr(l3, "domain") : b ? jstr(b, "network") : "");
	}
	printf("%-20s %-5s %-4lld %-9s %-44s %s\n", jstr(o, "name"), jstr(o, "source"),
	       jint(o, "revision"), st ? jstr(st, "status") : "", extra, st ? jstr(st, "reason") : "");
}

static int cmd_get(int argc, char **argv)
{
	const char *kind = argc > 0 ? kind_path(argv[0]) : NULL;
	char path[256];
	json_object *r;
	long code;
	int rc;

	if (!kind || argc > 2) {
		fprintf(stderr, "polyportctl: get KIND [NAME]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/v1/%s%s%s", kind, argc == 2 ? "/" : "", argc == 2 ? argv[1] : "");
	code = http("GET", path, NULL, &r, 10);
	rc = report(code, r);
	if (!rc && r) {
		if (json_out) {
			print_json(r);
		} else {
			printf("%-20s %-5s %-4s %-9s %-44s %s\n", "NAME", "FROM", "REV", "STATUS", "",
			       "REASON");
			if (json_object_is_type(r, json_type_array))
				for (size_t i = 0; i < json_object_array_length(r); i++)
					print_obj_row(kind, json_object_array_get_idx(r, i));
			else
				print_obj_row(kind, r);
		}
	}
	json_object_put(r);
	return rc;
}

/* Set a.b.c=v in o. */
static void set_path(json_object *o, const char *key, json_object *v)
{
	const char *dot = strchr(key, '.');
	char head[64];
	json_object *sub;

	if (!dot) {
		json_object_object_add(o, key, v);
		return;
	}
	snprintf(head, sizeof(head), "%.*s", (int)(dot - key), key);
	if (!json_object_object_get_ex(o, head, &sub) || !json_object_is_type(sub, json_type_object)) {
		sub = json_object_new_object();
		json_object_object_add(o, head, sub);
	}
	set_path(sub, dot + 1, v);
}

/* s as a JSON value if all of it parses as one, else NULL. */
static json_object *json_value(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(s);
	/* the NUL included: a number at the very end is complete only then */
	json_object *v = tok ? json_tokener_parse_ex(tok, s, len + 1) : NULL;

	if (v && (json_tokener_get_error(tok) != json_tokener_success ||
		  (size_t)json_tokener_get_parse_end(tok) < len)) {
		json_object_put(v);
		v = NULL;
	}
	json_tokener_free(tok);
	return v;
}

/* The body from one JSON argument or KEY=VALUE arguments. */
static json_object *body_of(int argc, char **argv)
{
	json_object *o;

	if (argc == 1 && argv[0][0] == '{')
		return json_value(argv[0]);
	o = json_object_new_object();
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '='), key[128];
		json_object *v;

		if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key)) {
			json_object_put(o);
			return NULL;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
		v = json_value(eq + 1);
		if (!v || json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_string)) {
			json_object_put(v);	/* a MAC like 52:54:... is a string */
			v = json_object_new_string(eq + 1);
		}
		set_path(o, key, v);
	}
	return o;
}

static int send_obj(const char *method, const char *path, json_object *body)
{
	json_object *r;
	long code = http(method, path, body, &r, 30);
	int rc = report(code, r);

	if (!rc && r)
		json_out ? print_json(r) : (void)printf("%s %s: revision %lld, %s\n",
			jstr(r, "name"), code == 201 ? "created" : "updated", jint(r, "revision"),
			jget(r, "status") ? jstr(jget(r, "status"), "status") : "");
	if (!rc && !r)
		printf("done\n");
	json_object_put(r);
	return rc;
}

static int cmd_create_update(int update, int argc, char **argv)
{
	const char *kind = argc > 0 ? kind_path(argv[0]) : NULL;
	int skip = update ? 2 : 1, rc;
	json_object *body;
	char path[256];

	if (!kind || argc <= skip) {
		fprintf(stderr, "polyportctl: %s KIND %sJSON|KEY=VALUE...\n", update ? "update" : "create",
			update ? "NAME " : "");
		return 2;
	}
	body = body_of(argc - skip, argv + skip);
	if (!body) {
		fprintf(stderr, "polyportctl: the object must be one JSON object or KEY=VALUE words\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/v1/%s%s%s", kind, update ? "/" : "", update ? argv[1] : "");
	rc = send_obj(update ? "PATCH" : "POST", path, body);
	json_object_put(body);
	return rc;
}

static int cmd_delete(int argc, char **argv)
{
	const char *kind = argc > 0 ? kind_path(argv[0]) : NULL;
	char path[256];
	json_object *r;
	long code;
	int rc;

	if (!kind || argc != 2) {
		fprintf(stderr, "polyportctl: delete KIND NAME\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/v1/%s/%s", kind, argv[1]);
	code = http("DELETE", path, NULL, &r, 30);
	rc = report(code, r);
	if (!rc)
		printf("%s deleted\n", argv[1]);
	json_object_put(r);
	return rc;
}

/* ---- apply: a binding file as API calls ------------------------------------------------ */

/*
 * The file is read by the daemon's own loader (config.c), not by a reader of
 * our own: the same YAML subset (no aliases, no duplicate keys, bounded
 * nesting), the same checks and the same errors (file:line:column) as a file
 * in the daemon's directory; only networks and instance ports it names may
 * be defined elsewhere (the daemon's files, the API). Each object then goes
 * to the API as the loader exported it: its keys as written, each value
 * typed as the loader read it, so that the API, which loads its objects
 * with the same loader, reads exactly what the daemon would read from the
 * file.
 */

/* Create the object, or replace it if the API already has it. */
static int upsert(const struct pp_export_obj *o)
{
	char path[256];
	json_object *cur, *body;
	long code;
	int rc;

	body = json_tokener_parse(o->json);
	if (!body) {
		fprintf(stderr, "polyportctl: %s:%u:%u: cannot send %s \"%s\" (internal error)\n",
			o->loc.file, o->loc.line, o->loc.col, o->kind, o->name);
		return 1;
	}
	snprintf(path, sizeof(path), "/v1/%s/%s", o->kind, o->name);
	code = http("GET", path, NULL, &cur, 10);
	if (code == 200 && !strcmp(jstr(cur, "source"), "api")) {
		rc = send_obj("PUT", path, body);
	} else if (code == 200) {
		fprintf(stderr, "polyportctl: %s:%u:%u: %s \"%s\" is defined in the binding files; "
			"change it there\n", o->loc.file, o->loc.line, o->loc.col, o->kind, o->name);
		rc = 1;
	} else if (code == 404) {
		snprintf(path, sizeof(path), "/v1/%s", o->kind);
		rc = send_obj("POST", path, body);
	} else {
		rc = report(code, cur);
	}
	if (rc && code)
		fprintf(stderr, "polyportctl: %s:%u:%u: %s \"%s\" was not applied (nor what follows "
			"it in the file)\n", o->loc.file, o->loc.line, o->loc.col, o->kind, o->name);
	json_object_put(cur);
	json_object_put(body);
	return rc;
}

static int cmd_apply(int argc, char **argv)
{
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_export *ex;
	const char *file;
	int rc = 0;

	if (argc != 2 || strcmp(argv[0], "-f")) {
		fprintf(stderr, "polyportctl: apply -f FILE\n");
		return 2;
	}
	file = argv[1];
	if (pp_config_export_files(&file, 1, &ex, &errs)) {
		pp_errors_print(&errs, stderr);
		if (!errs.n)
			fprintf(stderr, "polyportctl: %s: out of memory\n", file);
		fprintf(stderr, "polyportctl: %s: nothing applied\n", file);
		pp_errors_free(&errs);
		return 1;
	}
	/* Networks, then instance ports each with its service ports, then the rest. */
	for (size_t i = 0; i < ex->n && !rc; i++)
		rc = upsert(&ex->objs[i]);
	if (!ex->n)
		printf("%s: no objects\n", file);
	pp_export_free(ex);
	return rc;
}

/* ---- events ---------------------------------------------------------------------- */

static int cmd_events(int argc, char **argv)
{
	long long since = -1;
	int follow = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--follow") || !strcmp(argv[i], "-f"))
			follow = 1;
		else if (!strcmp(argv[i], "--since") && i + 1 < argc)
			since = atoll(argv[++i]);
		else
			return fprintf(stderr, "polyportctl: events [--since SEQ] [--follow]\n"), 2;
	}
	do {
		char path[128];
		json_object *r, *evs;
		long code;
		int rc;

		if (since < 0)
			snprintf(path, sizeof(path), "/v1/events?since=0&timeout=0");
		else
			snprintf(path, sizeof(path), "/v1/events?since=%lld&timeout=%d", since,
				 follow ? 25 : 0);
		code = http("GET", path, NULL, &r, 40);
		rc = report(code, r);
		if (rc)
			return rc;
		evs = jget(r, "events");
		for (size_t i = 0; evs && i < json_object_array_length(evs); i++) {
			json_object *e = json_object_array_get_idx(evs, i);

			if (json_out)
				puts(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
			else if (*jstr(e, "tap"))	/* plugged, activated, unplugged */
				printf("%-6lld %-14s %-20s %-9s tap %s%s%s%s id %s\n", jint(e, "seq"),
				       jstr(e, "kind"), jstr(e, "name"), jstr(e, "change"), jstr(e, "tap"),
				       jget(e, "active") && !json_object_get_boolean(jget(e, "active"))
				       ? " (standby)" : "",
				       *jstr(e, "previous") ? " from " : "", jstr(e, "previous"),
				       jstr(e, "id"));
			else
				printf("%-6lld %-14s %-20s %-8s %s %s%s%s%s\n", jint(e, "seq"),
				       jstr(e, "kind"), jstr(e, "name"), jstr(e, "change"),
				       jstr(e, "status"), jstr(e, "reason"),
				       *jstr(e, "host") ? " (host " : "", jstr(e, "host"),
				       *jstr(e, "host") ? ")" : "");
		}
		fflush(stdout);
		since = jint(r, "next");
		json_object_put(r);
	} while (follow);
	return 0;
}

/* ---- compute integration (issue 18): plug, unplug, ifup, ifdown ------------------------ */

/*
 * A compute service consumes an instance port by its id: plug makes (or
 * reuses) the instance port and its tap and prints what QEMU or libvirt
 * needs; the hooks (scripts/polyport-ifup, -ifdown) run ifup and ifdown for
 * a tap QEMU made.  A tap belongs to an instance port by its name (the
 * device) or by its alias PP_IPORT_ALIAS_PREFIX id; polyportd binds it and
 * reports it in the instance port's status ("tap", "standby-tap",
 * "inactive-taps").  Nothing here writes when nothing differs: plug twice
 * makes no API write and no map write.
 */

static bool id_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > PP_IPORT_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
			return false;
	return true;
}

/* A derived name: the characters of a name or an ifname (':' is neither's) */
static void derive(char *out, size_t len, const char *prefix, const char *id, size_t n)
{
	size_t p = snprintf(out, len, "%s", prefix);

	for (size_t i = 0; id[i] && i < n && p + 1 < len; i++)
		out[p++] = id[i] == ':' ? '-' : id[i];
	out[p] = 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_object *st_of(json_object *ip)
{
	return ip ? jget(ip, "status") : NULL;
}

static bool in_taps(json_object *st, const char *tap)
{
	json_object *in = jget(st, "inactive-taps");

	if (!strcmp(jstr(st, "tap"), tap) || !strcmp(jstr(st, "standby-tap"), tap))
		return true;
	for (size_t i = 0; in && i < json_object_array_length(in); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(in, i)), tap))
			return true;
	return false;
}

/*
 * The instance port with this id (*out, NULL if none).  ?id= filters on the
 * daemon's side; the list is filtered here too.  0 or an exit status.
 */
/* Cluster mode: this host's name in the store (GET /v1/status), "" without a store. */
static void cluster_host(char *buf, size_t len)
{
	json_object *r = NULL, *c;

	buf[0] = 0;
	if (http("GET", "/v1/status", NULL, &r, 10) == 200 && r &&
	    json_object_object_get_ex(r, "cluster", &c))
		snprintf(buf, len, "%s", jstr(c, "host"));
	json_object_put(r);
}

static int iport_by_id(const char *id, json_object **out)
{
	char path[160];
	json_object *r, *found = NULL;
	long code;
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "/v1/instance-ports?id=%s", id);	/* the id needs no escape */
	code = http("GET", path, NULL, &r, 10);
	rc = report(code, r);
	if (rc) {
		json_object_put(r);
		return rc;
	}
	for (size_t i = 0; r && json_object_is_type(r, json_type_array) &&
			   i < json_object_array_length(r); i++) {
		json_object *o = json_object_array_get_idx(r, i);

		if (!strcmp(jstr(o, "id"), id)) {
			found = json_object_get(o);
			break;
		}
	}
	json_object_put(r);
	*out = found;
	return 0;
}

/* The instance port NAME (*out; NULL on 404).  0 or an exit status. */
static int iport_get(const char *name, json_object **out)
{
	char path[160];
	long code;

	snprintf(path, sizeof(path), "/v1/instance-ports/%s", name);
	code = http("GET", path, NULL, out, 10);
	if (code == 404) {
		json_object_put(*out);
		*out = NULL;
		return 0;
	}
	if (code != 200) {
		int rc = report(code, *out);

		json_object_put(*out);
		*out = NULL;
		return rc ? rc : 3;
	}
	return 0;
}

/*
 * Until tap is the instance port's active tap and it is ACTIVE (or, with
 * standby_ok, its standby tap), at most secs.  0 (*last: the instance port
 * as last read, the caller's), 3 on a timeout or if the daemon went away.
 */
static int wait_tap(const char *name, const char *tap, bool standby_ok, double secs,
		    json_object **last)
{
	double end = now_s() + secs;

	*last = NULL;
	for (;;) {
		json_object *st;
		int rc;

		json_object_put(*last);
		rc = iport_get(name, last);
		if (rc)
			return rc;
		st = st_of(*last);
		if (st && !strcmp(jstr(st, "tap"), tap) && !strcmp(jstr(st, "status"), "ACTIVE"))
			return 0;
		if (st && standby_ok && !strcmp(jstr(st, "standby-tap"), tap))
			return 0;
		if (now_s() >= end)
			return 3;
		usleep(20 * 1000);
	}
}

static int parse_mac(const char *s, char out[18])
{
	unsigned char m[6];
	char end;

	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
		   &end) != 6 || strlen(s) != 17)
		return -1;
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return 0;
}

static const char *hook_dir(void)
{
	const char *d = getenv("POLYPORT_HOOK_DIR");

	return d && *d ? d : PP_HOOK_DIR;
}

struct plug {
	const char *id;
	char name[PP_NAME_MAX + 1];
	char tap[IF_NAMESIZE];
	char mac[18];
	int mtu, queues;
	bool created, changed, standby, absent;
	const char *port;		/* created, updated, unchanged, file */
	char notes[1024];
};

static void note(struct plug *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct plug *p, const char *fmt, ...)
{
	size_t off = strlen(p->notes);
	va_list ap;

	if (off + 2 >= sizeof(p->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(p->notes + off, sizeof(p->notes) - off, fmt, ap);
	va_end(ap);
	off = strlen(p->notes);
	if (off + 1 < sizeof(p->notes))
		strcat(p->notes, "\n");
}

/* QEMU's arguments for this vNIC: with the tap as it is, or made by QEMU with the hooks. */
static json_object *qemu_argv(const struct plug *p, bool hooks)
{
	json_object *a = json_object_new_array();
	char nd[32], netdev[512], dev[160], q[32] = "", mq[48] = "";

	derive(nd, sizeof(nd), "pp-", p->name, 16);
	if (p->queues > 1) {
		snprintf(q, sizeof(q), ",queues=%d", p->queues);
		snprintf(mq, sizeof(mq), ",mq=on,vectors=%d", 2 * p->queues + 2);
	}
	if (hooks)
		snprintf(netdev, sizeof(netdev), "tap,id=%s,ifname=%s,script=%s/polyport-ifup,"
			 "downscript=%s/polyport-ifdown,vhost=on%s", nd, p->tap, hook_dir(),
			 hook_dir(), q);
	else
		snprintf(netdev, sizeof(netdev), "tap,id=%s,ifname=%s,script=no,downscript=no,"
			 "vhost=on%s", nd, p->tap, q);
	snprintf(dev, sizeof(dev), "virtio-net-pci,netdev=%s,mac=%s%s", nd, p->mac, mq);
	json_object_array_add(a, json_object_new_string("-netdev"));
	json_object_array_add(a, json_object_new_string(netdev));
	json_object_array_add(a, json_object_new_string("-device"));
	json_object_array_add(a, json_object_new_string(dev));
	return a;
}

/*
 * libvirt's <interface type='ethernet'>: with the tap as it is (managed='no':
 * libvirt opens it, never creates or deletes it), or made by libvirt with the
 * hooks (<script>, <downscript>: the domain schema allows both for ethernet).
 */
static json_object *libvirt_xml(const struct plug *p, bool hooks)
{
	char x[1024], q[32] = "", s[512] = "";

	if (p->queues > 1)
		snprintf(q, sizeof(q), " queues='%d'", p->queues);
	if (hooks)
		snprintf(s, sizeof(s), "\n  <script path='%s/polyport-ifup'/>\n"
			 "  <downscript path='%s/polyport-ifdown'/>", hook_dir(), hook_dir());
	snprintf(x, sizeof(x), "<interface type='ethernet'>\n  <mac address='%s'/>\n"
		 "  <target dev='%s'%s/>\n  <model type='virtio'/>\n  <driver name='vhost'%s/>\n"
		 "  <mtu size='%d'/>%s\n</interface>", p->mac, p->tap, hooks ? "" : " managed='no'",
		 q, p->mtu, s);
	return json_object_new_string(x);
}

static void print_argv(json_object *a)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		printf("%s%s", i ? " " : "  ", json_object_get_string(json_object_array_get_idx(a, i)));
	putchar('\n');
}

static void print_indented(const char *s)
{
	printf("  ");
	for (; *s; s++) {
		putchar(*s);
		if (*s == '\n')
			printf("  ");
	}
	putchar('\n');
}

static void plug_output(const struct plug *p, json_object *ip)
{
	json_object *st = st_of(ip), *o = json_object_new_object(), *q = json_object_new_object();
	json_object *qt = qemu_argv(p, false), *qh = qemu_argv(p, true);
	json_object *lv = libvirt_xml(p, false), *lh = libvirt_xml(p, true);

	if (!json_out) {
		printf("instance port %s (id %s): %s\n", p->name, p->id,
		       !strcmp(p->port, "file") ? "as the binding files define it" : p->port);
		printf("tap %s: %s; mac %s, mtu %d, queues %d\n", p->tap,
		       p->created ? "created" : p->absent ? "absent" : "present", p->mac, p->mtu,
		       p->queues);
		printf("status %s%s%s\n", st ? jstr(st, "status") : "?",
		       st && *jstr(st, "reason") ? ": " : "", st ? jstr(st, "reason") : "");
		fputs(p->notes, stdout);
		printf("\nQEMU opening the tap as it is (script=no):\n");
		print_argv(qt);
		printf("QEMU with the hooks (they wait until the tap is programmed):\n");
		print_argv(qh);
		printf("libvirt opening the tap as it is (managed='no'):\n");
		print_indented(json_object_get_string(lv));
		printf("libvirt making the tap, with the hooks:\n");
		print_indented(json_object_get_string(lh));
	}
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "id", json_object_new_string(p->id));
	json_object_object_add(o, "tap", json_object_new_string(p->tap));
	json_object_object_add(o, "mac", json_object_new_string(p->mac));
	json_object_object_add(o, "mtu", json_object_new_int(p->mtu));
	json_object_object_add(o, "queues", json_object_new_int(p->queues));
	json_object_object_add(o, "status", json_object_new_string(st ? jstr(st, "status") : ""));
	json_object_object_add(o, "reason", json_object_new_string(st ? jstr(st, "reason") : ""));
	json_object_object_add(o, "created", json_object_new_boolean(p->created));
	json_object_object_add(o, "changed", json_object_new_boolean(p->changed));
	json_object_object_add(o, "standby", json_object_new_boolean(p->standby));
	json_object_object_add(o, "port", json_object_new_string(p->port));
	json_object_object_add(o, "tap-exists", json_object_new_boolean(!p->absent));
	json_object_object_add(q, "tap", qt);
	json_object_object_add(q, "hooks", qh);
	json_object_object_add(o, "qemu", q);
	json_object_object_add(o, "libvirt", lv);
	json_object_object_add(o, "libvirt-hooks", lh);
	json_object_object_add(o, "notes", json_object_new_string(p->notes));
	if (json_out)
		print_json(o);
	json_object_put(o);
}

/* POST /v1/instance-ports/NAME/activate {"tap": tap}.  0 or an exit status. */
static int activate(const char *name, const char *tap)
{
	json_object *b = json_object_new_object(), *r;
	char path[160];
	long code;
	int rc;

	snprintf(path, sizeof(path), "/v1/instance-ports/%s/activate", name);
	json_object_object_add(b, "tap", json_object_new_string(tap));
	code = http("POST", path, b, &r, 30);
	rc = report(code, r);
	json_object_put(b);
	json_object_put(r);
	return rc;
}

static const char plug_usage[] =
"polyportctl plug --id ID [--name NAME] [--device TAP] [--mac MAC] [--mtu N]\n"
"                 [--create [--owner USER] [--group GROUP] [--queues N]] [--wait S]\n"
"                 [--activate] [--json]\n";

static int cmd_plug(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "id", required_argument, NULL, 'i' }, { "name", required_argument, NULL, 'n' },
		{ "device", required_argument, NULL, 'd' }, { "mac", required_argument, NULL, 'm' },
		{ "mtu", required_argument, NULL, 'M' }, { "create", no_argument, NULL, 'c' },
		{ "owner", required_argument, NULL, 'o' }, { "group", required_argument, NULL, 'g' },
		{ "queues", required_argument, NULL, 'q' }, { "wait", required_argument, NULL, 'w' },
		{ "activate", no_argument, NULL, 'A' }, { "json", no_argument, NULL, 'j' },
		{}
	};
	const char *id = NULL, *name = NULL, *device = NULL, *mac = NULL, *owner = NULL,
		   *group = NULL;
	int mtu = 0, queues = 0, create = 0, act = 0, c, rc;
	double wait = 10;
	struct plug p = { .port = "unchanged" };
	char alias[PP_TAP_ALIAS_MAX], conf[512], live[IF_NAMESIZE] = "";
	json_object *ip = NULL, *last = NULL, *st;
	struct pp_tap_state ts;
	struct pp_tap_want w;
	bool file, migration, remote;
	char chost[64];

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i': id = optarg; break;
		case 'n': name = optarg; break;
		case 'd': device = optarg; break;
		case 'm': mac = optarg; break;
		case 'M': mtu = atoi(optarg); if (mtu < PP_MTU_MIN || mtu > PP_MTU_MAX) goto usage; break;
		case 'c': create = 1; break;
		case 'o': owner = optarg; break;
		case 'g': group = optarg; break;
		case 'q': queues = atoi(optarg); if (queues < 1 || queues > 256) goto usage; break;
		case 'w': wait = atof(optarg); if (wait < 0) goto usage; break;
		case 'A': act = 1; break;
		case 'j': json_out = 1; break;
		default: goto usage;
		}
	}
	if (optind != argc + 1 || !id)
		goto usage;
	if (!id_valid(id)) {
		fprintf(stderr, "polyportctl: invalid id \"%s\" (1-%d of A-Z a-z 0-9 . _ : -)\n", id,
			PP_IPORT_ID_MAX);
		return 2;
	}
	if (name && (strlen(name) > PP_NAME_MAX || !pp_name_valid(name, strlen(name)))) {
		fprintf(stderr, "polyportctl: invalid instance port name \"%s\"\n", name);
		return 2;
	}
	if (device && !pp_ifname_valid(device, strlen(device))) {
		fprintf(stderr, "polyportctl: invalid device name \"%s\"\n", device);
		return 2;
	}
	if (mac && parse_mac(mac, p.mac)) {
		fprintf(stderr, "polyportctl: invalid MAC \"%s\"\n", mac);
		return 2;
	}
	if ((owner || group) && !create) {
		fprintf(stderr, "polyportctl: --owner and --group are for --create\n");
		return 2;
	}
	w.owner = owner ? pp_tap_uid(owner) : -1;
	w.group = group ? pp_tap_gid(group) : -1;
	if ((owner && w.owner < 0) || (group && w.group < 0)) {
		fprintf(stderr, "polyportctl: no such %s \"%s\"\n", owner && w.owner < 0 ? "user" :
			"group", owner && w.owner < 0 ? owner : group);
		return 2;
	}
	p.id = id;
	p.queues = queues ? queues : 1;
	snprintf(alias, sizeof(alias), PP_IPORT_ALIAS_PREFIX "%s", id);

	/* the instance port: by its id, else a new one */
	rc = iport_by_id(id, &ip);
	if (rc)
		return rc;
	/*
	 * Cluster mode: a port on another host moves here (migrating-to this
	 * host: the tap here waits as the standby until the guest's first frame
	 * commits host); a new one, or one on no host, is this host's.
	 */
	cluster_host(chost, sizeof(chost));
	remote = ip && chost[0] && *jstr(ip, "host") && strcmp(jstr(ip, "host"), chost);
	if (ip) {
		snprintf(p.name, sizeof(p.name), "%s", jstr(ip, "name"));
		if (name && strcmp(name, p.name)) {
			fprintf(stderr, "polyportctl: id %s is instance port %s, not %s\n", id, p.name,
				name);
			rc = 1;
			goto out;
		}
		if (!remote)	/* a tap on another host is not ours to compare */
			snprintf(live, sizeof(live), "%s", jstr(st_of(ip), "tap"));
	} else {
		json_object *other;

		if (name)
			snprintf(p.name, sizeof(p.name), "%s", name);
		else if (strlen(id) <= PP_NAME_MAX && pp_name_valid(id, strlen(id)))
			snprintf(p.name, sizeof(p.name), "%s", id);
		else
			derive(p.name, sizeof(p.name), "ip-", id, 28);
		rc = iport_get(p.name, &other);
		if (rc)
			return rc;
		if (other) {
			fprintf(stderr, "polyportctl: instance port %s exists with id \"%s\", not %s: "
				"name this one with --name\n", p.name, jstr(other, "id"), id);
			json_object_put(other);
			return 1;
		}
		if (!mac) {
			fprintf(stderr, "polyportctl: no instance port has id %s: --mac is needed to "
				"make one\n", id);
			return 2;
		}
	}
	file = ip && strcmp(jstr(ip, "source"), "api");
	/* without --device: the tap in use, else the configured one, else Nova's name */
	if (device)
		snprintf(p.tap, sizeof(p.tap), "%s", device);
	else if (*live)
		snprintf(p.tap, sizeof(p.tap), "%s", live);
	else if (ip && *jstr(ip, "device"))
		snprintf(p.tap, sizeof(p.tap), "%s", jstr(ip, "device"));
	else
		derive(p.tap, sizeof(p.tap), "tap", id, 11);
	/* a guest moving to another tap: the new one waits as the standby */
	migration = *live && strcmp(live, p.tap);
	p.standby = migration || remote;
	if (ip && !mac)
		snprintf(p.mac, sizeof(p.mac), "%s", jstr(ip, "mac"));
	p.mtu = mtu ? mtu : ip ? (int)jint(ip, "mtu") : PP_MTU_DEFAULT;
	if (file && strcasecmp(p.mac, jstr(ip, "mac"))) {
		fprintf(stderr, "polyportctl: instance port %s (binding files) has MAC %s, not %s\n",
			p.name, jstr(ip, "mac"), p.mac);
		rc = 1;
		goto out;
	}
	if (file && p.mtu != jint(ip, "mtu")) {
		fprintf(stderr, "polyportctl: instance port %s (binding files) has MTU %lld, not %d\n",
			p.name, jint(ip, "mtu"), p.mtu);
		rc = 1;
		goto out;
	}

	/* the tap: checked before anything is written */
	w.name = p.tap;
	w.alias = alias;
	w.queues = p.queues;
	w.mtu = p.mtu;
	rc = pp_tap_inspect(p.tap, &ts);
	if (rc) {
		fprintf(stderr, "polyportctl: %s: %s\n", p.tap, strerror(-rc));
		rc = 1;
		goto out;
	}
	if (ts.exists && !queues && ts.is_tap && (ts.flags & IFF_MULTI_QUEUE))
		note(&p, "tap %s is multi-queue: give --queues N for the snippets", p.tap);
	conf[0] = 0;
	if (ts.exists && create)
		pp_tap_conflicts(&ts, &w, conf, sizeof(conf));
	else if (ts.exists && ts.alias[0] && strcmp(ts.alias, alias))
		snprintf(conf, sizeof(conf), "alias \"%s\", not \"%s\"", ts.alias, alias);
	if (conf[0]) {
		fprintf(stderr, "polyportctl: tap %s conflicts: %s; nothing changed\n", p.tap, conf);
		rc = 1;
		goto out;
	}
	if (migration && !ts.exists && !create) {
		fprintf(stderr, "polyportctl: instance port %s has its tap %s: a new tap %s can "
			"only be bound by its alias, which a tap QEMU makes does not have: use "
			"--create\n", p.name, live, p.tap);
		rc = 1;
		goto out;
	}

	/* the instance port: created, updated where it differs, or as it is */
	if (!ip) {
		json_object *b = json_object_new_object();

		json_object_object_add(b, "name", json_object_new_string(p.name));
		json_object_object_add(b, "id", json_object_new_string(id));
		json_object_object_add(b, "device", json_object_new_string(p.tap));
		json_object_object_add(b, "mac", json_object_new_string(p.mac));
		json_object_object_add(b, "mtu", json_object_new_int(p.mtu));
		if (chost[0])
			json_object_object_add(b, "host", json_object_new_string(chost));
		rc = report(http("POST", "/v1/instance-ports", b, &last, 30), last);
		json_object_put(b);
		json_object_put(last);
		last = NULL;
		if (rc)
			goto out;
		p.port = "created";
		p.changed = true;
	} else if (!file) {
		json_object *b = json_object_new_object();
		char path[160];

		/* a live tap found without --device is bound already (by its alias) */
		if (!migration && !remote && strcmp(jstr(ip, "device"), p.tap) && (device || !*live))
			json_object_object_add(b, "device", json_object_new_string(p.tap));
		if (strcasecmp(jstr(ip, "mac"), p.mac))
			json_object_object_add(b, "mac", json_object_new_string(p.mac));
		if (p.mtu != jint(ip, "mtu"))
			json_object_object_add(b, "mtu", json_object_new_int(p.mtu));
		if (chost[0] && !*jstr(ip, "host"))
			json_object_object_add(b, "host", json_object_new_string(chost));
		else if (remote && strcmp(jstr(ip, "migrating-to"), chost))
			json_object_object_add(b, "migrating-to", json_object_new_string(chost));
		if (json_object_object_length(b)) {
			json_object_object_add(b, "revision", json_object_new_int64(jint(ip, "revision")));
			snprintf(path, sizeof(path), "/v1/instance-ports/%s", p.name);
			rc = report(http("PATCH", path, b, &last, 30), last);
			json_object_put(last);
			last = NULL;
			if (!rc) {
				p.port = "updated";
				p.changed = true;
			}
		}
		json_object_put(b);
		if (rc)
			goto out;
	} else {
		p.port = "file";
		if (!migration && strcmp(jstr(ip, "device"), p.tap) && (device || !*live))
			note(&p, "tap %s is bound by its alias (the binding files name device %s)",
			     p.tap, *jstr(ip, "device") ? jstr(ip, "device") : "none");
	}

	/* the tap: made, or given its alias */
	if (!ts.exists && create) {
		struct pp_tap_want cw = w;

		/*
		 * Neither --owner nor --group: the caller's, as tunctl does; a tap
		 * with neither set is open to anyone who can open /dev/net/tun.
		 */
		if (!owner && !group)
			cw.owner = geteuid();
		rc = pp_tap_create(&cw);
		if (rc) {
			fprintf(stderr, "polyportctl: creating tap %s: %s\n", p.tap, strerror(-rc));
			rc = 1;
			goto out;
		}
		p.created = p.changed = true;
	} else if (ts.exists && !ts.alias[0]) {
		rc = pp_tap_set_alias(p.tap, alias);
		if (rc) {
			fprintf(stderr, "polyportctl: alias of %s: %s\n", p.tap, strerror(-rc));
			rc = 1;
			goto out;
		}
		p.changed = true;
	}
	p.absent = !ts.exists && !create;
	if (migration)
		note(&p, "%s is the standby of %s (whose tap %s stays active until the guest's "
		     "first frame on %s, or plug --activate)", p.tap, p.name, live, p.tap);
	if (remote)
		note(&p, "%s moves here from host %s: tap %s is its standby until the guest's "
		     "first frame on it (or plug --activate), which makes this host its host",
		     p.name, jstr(ip, "host"), p.tap);

	/* bound and programmed: polyportd says so in the status */
	rc = 0;
	if (p.absent) {
		note(&p, "tap %s does not exist yet: QEMU makes it (script=polyport-ifup waits for "
		     "it to be programmed)", p.tap);
		rc = iport_get(p.name, &last);
	} else if (act && wait > 0) {
		rc = wait_tap(p.name, p.tap, true, wait, &last);
		if (!rc && strcmp(jstr(st_of(last), "tap"), p.tap) && !(rc = activate(p.name, p.tap))) {
			p.changed = true;
			json_object_put(last);
			rc = wait_tap(p.name, p.tap, false, wait, &last);
		}
	} else if (act) {
		rc = activate(p.name, p.tap);
		if (!rc) {
			p.changed = true;
			rc = iport_get(p.name, &last);
		}
	} else if (wait > 0) {
		rc = wait_tap(p.name, p.tap, migration || remote, wait, &last);
	} else {
		rc = iport_get(p.name, &last);
	}
	st = st_of(last);
	if (st && !strcmp(jstr(st, "tap"), p.tap))
		p.standby = false;	/* active already: --activate, or its first frame */
	else if (st && !strcmp(jstr(st, "standby-tap"), p.tap))
		p.standby = true;
	if (rc == 3 && !last)
		fprintf(stderr, "polyportctl: instance port %s is gone\n", p.name);
	if (rc == 3 && last)
		fprintf(stderr, "polyportctl: instance port %s: tap %s not %s after %gs: %s%s%s\n",
			p.name, p.tap, migration && !act ? "bound" : "active", wait,
			jstr(st, "status"), *jstr(st, "reason") ? ": " : "", jstr(st, "reason"));
	if (!rc || rc == 3)
		plug_output(&p, last);
out:
	json_object_put(last);
	json_object_put(ip);
	return rc;
usage:
	fputs(plug_usage, stderr);
	return 2;
}

/* unplug: every trace of the id on the taps; the instance port kept unbound or purged. */
static int cmd_unplug(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "id", required_argument, NULL, 'i' }, { "delete-device", no_argument, NULL, 'D' },
		{ "purge", no_argument, NULL, 'P' }, {}
	};
	const char *id = NULL;
	int del = 0, purge = 0, c, rc, done = 0, ntaps = 0, n;
	char alias[PP_TAP_ALIAS_MAX], taps[16][IF_NAMESIZE], path[160];
	struct pp_link_alias *al = NULL;
	json_object *ip = NULL, *st, *r;
	bool file, elsewhere;
	char chost[64];

	optind = 0;
	while ((c = getopt_long(argc + 1, argv - 1, "", lo, NULL)) != -1) {
		switch (c) {
		case 'i': id = optarg; break;
		case 'D': del = 1; break;
		case 'P': purge = 1; break;
		default: goto usage;
		}
	}
	if (optind != argc + 1 || !id)
		goto usage;
	if (!id_valid(id)) {
		fprintf(stderr, "polyportctl: invalid id \"%s\"\n", id);
		return 2;
	}
	snprintf(alias, sizeof(alias), PP_IPORT_ALIAS_PREFIX "%s", id);
	rc = iport_by_id(id, &ip);
	if (rc)
		return rc;
	file = ip && strcmp(jstr(ip, "source"), "api");
	/* cluster mode: a port on another host (moved away) keeps its object; our taps go */
	cluster_host(chost, sizeof(chost));
	elsewhere = ip && chost[0] && *jstr(ip, "host") && strcmp(jstr(ip, "host"), chost);

	/* the taps bound to it: its device, what the daemon reports, what carries the alias */
#define ADD_TAP(s) do {							\
		const char *t_ = (s);						\
		bool dup_ = false;						\
		for (int k_ = 0; k_ < ntaps; k_++)				\
			dup_ |= !strcmp(taps[k_], t_);				\
		if (*t_ && !dup_ && ntaps < 16)					\
			snprintf(taps[ntaps++], IF_NAMESIZE, "%s", t_);		\
	} while (0)
	if (ip) {
		json_object *in;

		st = st_of(ip);
		ADD_TAP(jstr(ip, "device"));
		ADD_TAP(jstr(st, "tap"));
		ADD_TAP(jstr(st, "standby-tap"));
		in = jget(st, "inactive-taps");
		for (size_t i = 0; in && i < json_object_array_length(in); i++)
			ADD_TAP(json_object_get_string(json_object_array_get_idx(in, i)));
	}
	n = pp_link_aliases(alias, &al);
	for (int i = 0; i < n; i++)
		if (!strcmp(al[i].alias, alias))
			ADD_TAP(al[i].name);
	free(al);
#undef ADD_TAP

	/* the instance port first: unbound (or gone) before its taps change */
	if (elsewhere) {
		printf("instance port %s is on host %s: it stays as it is there; its taps here go\n",
		       jstr(ip, "name"), jstr(ip, "host"));
	} else if (ip && !file && purge) {
		json_object *sps = jget(ip, "service-ports");

		for (size_t i = 0; sps && i < json_object_array_length(sps); i++) {
			json_object *sp = json_object_array_get_idx(sps, i);

			if (strcmp(jstr(sp, "source"), "api"))
				continue;
			snprintf(path, sizeof(path), "/v1/service-ports/%s", jstr(sp, "name"));
			rc = report(http("DELETE", path, NULL, &r, 30), r);
			json_object_put(r);
			if (rc)
				goto out;
			printf("service port %s deleted\n", jstr(sp, "name"));
		}
		snprintf(path, sizeof(path), "/v1/instance-ports/%s", jstr(ip, "name"));
		rc = report(http("DELETE", path, NULL, &r, 30), r);
		json_object_put(r);
		if (rc)
			goto out;
		printf("instance port %s deleted\n", jstr(ip, "name"));
		done++;
	} else if (ip && !file && *jstr(ip, "device")) {
		json_object *b = json_object_new_object();

		json_object_object_add(b, "device", json_object_new_string(""));
		json_object_object_add(b, "revision", json_object_new_int64(jint(ip, "revision")));
		snprintf(path, sizeof(path), "/v1/instance-ports/%s", jstr(ip, "name"));
		rc = report(http("PATCH", path, b, &r, 30), r);
		json_object_put(r);
		json_object_put(b);
		if (rc)
			goto out;
		printf("instance port %s: device %s unset (kept with its service ports, bound by "
		       "id only: plug --id %s binds it again)\n", jstr(ip, "name"),
		       jstr(ip, "device"), id);
		done++;
	}

	/* the taps: the alias removed, or the tap deleted */
	for (int i = 0; i < ntaps; i++) {
		struct pp_tap_state ts;
		bool ours;

		if (pp_tap_inspect(taps[i], &ts) || !ts.exists)
			continue;
		ours = !strcmp(ts.alias, alias) || (ip && !strcmp(jstr(ip, "device"), taps[i]));
		if (!ours)
			continue;
		if (del && ts.is_tun) {
			int err = pp_tap_delete(taps[i]);

			if (err && err != -ENODEV) {
				fprintf(stderr, "polyportctl: deleting %s: %s\n", taps[i], strerror(-err));
				rc = 1;
				continue;
			}
			printf("tap %s deleted\n", taps[i]);
			done++;
		} else if (!strcmp(ts.alias, alias)) {
			int err = pp_tap_set_alias(taps[i], "");

			if (err) {
				fprintf(stderr, "polyportctl: alias of %s: %s\n", taps[i], strerror(-err));
				rc = 1;
				continue;
			}
			printf("tap %s: alias %s removed\n", taps[i], alias);
			done++;
		}
	}
	if (file)
		printf("instance port %s is defined in the binding files: they keep it%s%s "
		       "(%s)\n", jstr(ip, "name"), *jstr(ip, "device") ? " bound to device " : "",
		       jstr(ip, "device"), purge ? "--purge changes nothing there" :
		       "only its taps were unplugged");
	else if (!done)
		printf("nothing to do: %s\n", ip ? "the instance port with this id is bound to no tap"
		       : "no instance port and no tap has this id");
	if (rc)
		goto out;

	/* until the daemon has let the taps go (it reports "unplugged"), 10 s at most */
	if (ip && !file && !purge && ntaps) {
		double end = now_s() + 10;
		json_object *cur = NULL;
		bool bound = true;

		while (bound && !(rc = iport_get(jstr(ip, "name"), &cur)) && cur) {
			bound = false;
			for (int i = 0; i < ntaps; i++)
				bound |= in_taps(st_of(cur), taps[i]);
			json_object_put(cur);
			cur = NULL;
			if (bound && now_s() >= end) {
				fprintf(stderr, "polyportctl: the daemon still binds a tap of %s after "
					"10s\n", jstr(ip, "name"));
				rc = 3;
				break;
			}
			if (bound)
				usleep(20 * 1000);
		}
	}
out:
	json_object_put(ip);
	return rc;
usage:
	fprintf(stderr, "polyportctl unplug --id ID [--delete-device] [--purge]\n");
	return 2;
}

/* ifup TAP: what polyport-ifup runs; ifdown TAP: what polyport-ifdown runs. */
static int cmd_ifupdown(bool up, int argc, char **argv)
{
	const char *tap = argc > 0 ? argv[0] : NULL;
	char alias[PP_TAP_ALIAS_MAX] = "";
	json_object *r = NULL, *ip = NULL, *last = NULL;
	double wait = 10;
	long code;
	int rc;

	if (argc == 3 && up && !strcmp(argv[1], "--wait"))
		wait = atof(argv[2]);
	else if (argc != 1)
		return fprintf(stderr, "polyportctl %s TAP%s\n", up ? "ifup" : "ifdown",
			       up ? " [--wait S]" : ""), 2;
	if (!up) {
		rc = pp_tap_set_up(tap, false);
		if (rc && rc != -ENODEV)
			fprintf(stderr, "polyportctl: ifdown %s: %s\n", tap, strerror(-rc));
		return 0;
	}
	code = http("GET", "/v1/instance-ports", NULL, &r, 10);
	rc = report(code, r);
	if (rc)
		goto out;
	/* by its name, else by its alias */
	for (size_t i = 0; r && i < json_object_array_length(r) && !ip; i++)
		if (!strcmp(jstr(json_object_array_get_idx(r, i), "device"), tap))
			ip = json_object_array_get_idx(r, i);
	if (!ip) {
		struct pp_tap_state ts;

		if (!pp_tap_inspect(tap, &ts))
			snprintf(alias, sizeof(alias), "%s", ts.alias);
	}
	if (!ip && !strncmp(alias, PP_IPORT_ALIAS_PREFIX, strlen(PP_IPORT_ALIAS_PREFIX)))
		for (size_t i = 0; r && i < json_object_array_length(r) && !ip; i++)
			if (!strcmp(jstr(json_object_array_get_idx(r, i), "id"),
				    alias + strlen(PP_IPORT_ALIAS_PREFIX)))
				ip = json_object_array_get_idx(r, i);
	if (!ip) {
		fprintf(stderr, "polyportctl: ifup %s: no instance port has device %s%s%s%s\n", tap,
			tap, *alias ? " or the id of its alias \"" : "", alias, *alias ? "\"" : "");
		rc = 1;
		goto out;
	}
	rc = pp_tap_set_up(tap, true);
	if (rc) {
		fprintf(stderr, "polyportctl: ifup %s: %s\n", tap, strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = wait_tap(jstr(ip, "name"), tap, true, wait, &last);
	if (rc == 3 && last)
		fprintf(stderr, "polyportctl: ifup %s: instance port %s not programmed after %gs: "
			"%s%s%s\n", tap, jstr(ip, "name"), wait, jstr(st_of(last), "status"),
			*jstr(st_of(last), "reason") ? ": " : "", jstr(st_of(last), "reason"));
	else if (!rc)
		printf("%s: instance port %s (id %s): %s\n", tap, jstr(ip, "name"), jstr(ip, "id"),
		       strcmp(jstr(st_of(last), "tap"), tap) ? "standby" : "ACTIVE");
out:
	json_object_put(last);
	json_object_put(r);
	return rc;
}

/* ---- teardown (local) ---------------------------------------------------------------- */

static int detach_dev(const void *key, const void *val, void *arg)
{
	const struct pp_dev *dev = val;
	int *n = arg, err;

	if (!dev->flags || dev->ifindex != *(const __u32 *)key)
		return 0;
	err = pp_tc_detach(dev->ifindex);
	if (!err || err == -ENODEV || err == -EINVAL) {
		int xerr = pp_xdp_detach(dev->ifindex);	/* only ours; another tool's stays */

		if (xerr && xerr != -ENODEV)
			err = xerr;
	}
	if (err && err != -ENODEV && err != -EINVAL)
		fprintf(stderr, "polyportctl: ifindex %u: detaching: %s\n", dev->ifindex,
			strerror(-err));
	else
		(*n)++;
	return 0;
}

/* An upgrade's new maps and journal (loader/upgrade.h), if one was interrupted. */
static void teardown_next(void)
{
	char dir[512], path[800];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/next", pin_root);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path))
			fprintf(stderr, "polyportctl: %s: %s\n", path, strerror(errno));
	}
	closedir(d);
	if (rmdir(dir))
		fprintf(stderr, "polyportctl: %s: %s\n", dir, strerror(errno));
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
	} else if (err == -EPROTO) {
		/* maps of another version's layout: pp_devs alone, entry by entry */
		__u32 k, *prev = NULL;
		struct pp_dev dev;
		int dfd;

		snprintf(path, sizeof(path), "%s/%s", pin_root, pp_map_desc[PPM_DEVS].name);
		dfd = bpf_obj_get(path);
		while (dfd >= 0 && !bpf_map_get_next_key(dfd, prev, &k)) {
			if (!bpf_map_lookup_elem(dfd, &k, &dev))
				detach_dev(&k, &dev, &n);
			prev = &k;
		}
		if (dfd >= 0)
			close(dfd);
	} else if (err != -ENOENT) {
		fprintf(stderr, "polyportctl: maps under %s: %s\n", pin_root, strerror(-err));
	}
	for (int i = 0; i <= PPM_COUNT; i++) {
		/* every map, then the layout records (maps/layout.h) */
		snprintf(path, sizeof(path), "%s/%s", pin_root,
			 i < PPM_COUNT ? pp_map_desc[i].name : "pp_layouts");
		if (unlink(path) && errno != ENOENT)
			fprintf(stderr, "polyportctl: %s: %s\n", path, strerror(errno));
	}
	teardown_next();
	if (rmdir(pin_root) && errno != ENOENT) {
		fprintf(stderr, "polyportctl: %s: %s (something else is pinned there; left alone)\n",
			pin_root, strerror(errno));
		return 1;
	}
	printf("removed polyport from %d devices and %s\n", n, pin_root);
	return 0;
}

/* ---- dump (local) -------------------------------------------------------------------- */

static int cmd_dump(void)
{
	int err = pp_dump_canonical(pin_root, stdout);

	if (err)
		fprintf(stderr, "polyportctl: dump of %s: %s\n", pin_root, strerror(-err));
	return err ? 1 : 0;
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
		{ "api-socket", required_argument, NULL, 'a' },
		{ "pin-root", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *cmd, *env = getenv("POLYPORT_API_SOCKET");
	int c;

	if (env && *env)
		api_socket = env;
	while ((c = getopt_long(argc, argv, "+a:p:jho:", lo, NULL)) != -1) {
		switch (c) {
		case 'a': api_socket = optarg; break;
		case 'p': pin_root = optarg; break;
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
	if (optind >= argc)
		goto bad;
	libbpf_set_print(quiet);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cmd = argv[optind];
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(cmd, "status") && !argc)
		return cmd_status();
	if (!strcmp(cmd, "stats") && !argc)
		return cmd_stats();
	if (!strcmp(cmd, "get"))
		return cmd_get(argc, argv);
	if (!strcmp(cmd, "create"))
		return cmd_create_update(0, argc, argv);
	if (!strcmp(cmd, "update"))
		return cmd_create_update(1, argc, argv);
	if (!strcmp(cmd, "delete"))
		return cmd_delete(argc, argv);
	if (!strcmp(cmd, "apply"))
		return cmd_apply(argc, argv);
	if (!strcmp(cmd, "events"))
		return cmd_events(argc, argv);
	if (!strcmp(cmd, "state"))
		return cmd_state(argc, argv);
	if (!strcmp(cmd, "plug"))
		return cmd_plug(argc, argv);
	if (!strcmp(cmd, "unplug"))
		return cmd_unplug(argc, argv);
	if (!strcmp(cmd, "ifup") || !strcmp(cmd, "ifdown"))
		return cmd_ifupdown(!strcmp(cmd, "ifup"), argc, argv);
	if (!strcmp(cmd, "teardown") && !argc)
		return cmd_teardown();
	if (!strcmp(cmd, "dump") && argc == 1 && !strcmp(argv[0], "--canonical"))
		return cmd_dump();
	fprintf(stderr, "polyportctl: unknown command or arguments: %s\n", cmd);
bad:
	fprintf(stderr, "Try 'polyportctl --help'.\n");
	return 2;
}
