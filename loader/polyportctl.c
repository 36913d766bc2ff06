// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * polyportctl: the client of polyportd's northbound API, and teardown.
 *
 * Exit status: 0 done; 1 refused (the API's error is printed as it came)
 * or a local error; 2 usage; 3 the daemon could not be reached or failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <bpf/bpf.h>
#include <curl/curl.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "config.h"
#include "daemon.h"
#include "dataplane.h"
#include "xdpmode.h"
#include "dump.h"

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
"  -a, --api-socket PATH  the API socket (default " API_SOCKET_DEFAULT ")\n"
"  -p, --pin-root DIR     for teardown and dump (default " PP_PIN_ROOT_DEFAULT ")\n"
"  -j, --json, -o json    JSON output\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 ok, 1 refused or failed (the API's error is printed),\n"
"2 usage, 3 the daemon could not be reached.\n";

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

		printf("%-20s %-15s %-9s %-5s %s\n", jstr(ip, "name"), jstr(ip, "device"),
		       jstr(ip, "status"), jstr_was(ip, PP_KEY_EFFECTIVE_MODE, PP_KEY_EFFECTIVE_MODE_OLD),
		       jstr(ip, "reason"));
		if (*why)
			printf("  mode: %s\n", why);
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
		char vlan[8] = "-";

		if (jint(n, "vlan"))
			snprintf(vlan, sizeof(vlan), "%lld", jint(n, "vlan"));
		printf("%-20s %-15s %-5s %-6lld %-9s %s\n", jstr(n, "name"), jstr(n, "device"), vlan,
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
		json_object *d = json_object_array_get_idx(doms, i), *ups = jget(d, "uplinks");
		char up[64] = "-";

		for (size_t u = 0, off = 0; ups && u < json_object_array_length(ups) &&
					    off < sizeof(up); u++)
			off += snprintf(up + off, sizeof(up) - off, "%s%s", u ? "," : "",
					json_object_get_string(json_object_array_get_idx(ups, u)));
		printf("%-20s %-10lld %-6lld %-5lld %-9s %-24s %s\n", jstr(d, "name"),
		       jint(d, "table"), jint(d, "mtu"), jint(d, "id"), jstr(d, "status"), up,
		       jstr(d, "reason"));
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
			json_object *ho = json_object_array_get_idx(hops, h), *in = jget(ho, "instances");
			char insts[64] = "";

			for (size_t k = 0, off = 0; in && k < json_object_array_length(in) &&
						    off < sizeof(insts); k++)
				off += snprintf(insts + off, sizeof(insts) - off, "%s%s", k ? "," : "",
						json_object_get_string(json_object_array_get_idx(in, k)));
			printf("  hop %-3lld %-32s %-9s %s\n", jint(ho, "hop"), insts, jstr(ho, "status"),
			       jstr(ho, "reason"));
		}
	}
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

	if (!strcmp(kind, "networks")) {
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
			else
				printf("%-6lld %-14s %-20s %-8s %s %s\n", jint(e, "seq"), jstr(e, "kind"),
				       jstr(e, "name"), jstr(e, "change"), jstr(e, "status"),
				       jstr(e, "reason"));
		}
		fflush(stdout);
		since = jint(r, "next");
		json_object_put(r);
	} while (follow);
	return 0;
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
	const char *cmd;
	int c;

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
	if (!strcmp(cmd, "teardown") && !argc)
		return cmd_teardown();
	if (!strcmp(cmd, "dump") && argc == 1 && !strcmp(argv[0], "--canonical"))
		return cmd_dump();
	fprintf(stderr, "polyportctl: unknown command or arguments: %s\n", cmd);
bad:
	fprintf(stderr, "Try 'polyportctl --help'.\n");
	return 2;
}
