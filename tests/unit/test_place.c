// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Placement (loader/api/place.c, issue 19): which objects of a cluster's
 * store each host programs, the global check's view, and loading a placed
 * view with the binding files, skipping the store's objects that do not
 * load there; the stretched networks' placement and the other hosts' MACs
 * on them (issue 20).  No daemon: the API is a zeroed struct pp_api.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "api/internal.h"

/*
 * Three hosts.  n1 is everywhere (device), n2 on h1 only (devices), n3
 * everywhere, another device on h2.  vm1 on h1, vm2 on h2 (the same tap
 * name), vm3 moving from h1 to h2.  Chain c1 on n1: its first hop's
 * instances on h1 and h2, its source on h1.
 */
static const char store_text[] = "{"
	"\"networks\": {"
	"  \"n1\": {\"device\": \"eth1\", \"vlan\": 10, \"revision\": 4},"
	"  \"n2\": {\"devices\": {\"h1\": \"eth7\"}},"
	"  \"n3\": {\"device\": \"eth3\", \"devices\": {\"h2\": \"eth9\"}}},"
	"\"instance-ports\": {"
	"  \"vm1\": {\"host\": \"h1\", \"device\": \"vnet0\", \"mac\": \"52:54:00:00:00:01\"},"
	"  \"vm2\": {\"host\": \"h2\", \"device\": \"vnet0\", \"mac\": \"52:54:00:00:00:02\"},"
	"  \"vm3\": {\"host\": \"h1\", \"migrating-to\": \"h2\", \"device\": \"vnet1\","
	"           \"mac\": \"52:54:00:00:00:03\", \"revision\": 9}},"
	"\"service-ports\": {"
	"  \"s1\": {\"instance-port\": \"vm1\", \"vlan\": 10, \"bind\": {\"network\": \"n1\"}},"
	"  \"s2\": {\"instance-port\": \"vm2\", \"vlan\": 10, \"bind\": {\"network\": \"n2\"}},"
	"  \"s3\": {\"instance-port\": \"vm3\", \"vlan\": 11, \"bind\": {\"network\": \"n3\"}},"
	"  \"fw1-in\": {\"instance-port\": \"vm1\", \"vlan\": 100},"
	"  \"fw1-out\": {\"instance-port\": \"vm1\", \"vlan\": 101},"
	"  \"fw2-in\": {\"instance-port\": \"vm2\", \"vlan\": 100},"
	"  \"fw2-out\": {\"instance-port\": \"vm2\", \"vlan\": 101}},"
	"\"l3-domains\": {},"
	"\"chains\": {"
	"  \"c1\": {\"network\": \"n1\", \"classifier\": [{\"proto\": \"tcp\", \"ports\": 80}],"
	"          \"sources\": {\"service-ports\": [\"s1\"]},"
	"          \"hops\": [[{\"ingress\": \"fw1-in\", \"egress\": \"fw1-out\"},"
	"                      {\"ingress\": \"fw2-in\", \"egress\": \"fw2-out\"}]]}}"
	"}";

static json_object *parse(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

/* "placed" (in p->placed), "absent" (neither placed nor skipped), or the
 * reason it is skipped for */
static const char *fate(const struct placement *p, const char *key)
{
	char path[64];
	const char *slash = strchr(key, '/');
	json_object *kind, *v;

	snprintf(path, sizeof(path), "%.*s", (int)(slash - key), key);
	if (json_object_object_get_ex(p->skipped, key, &v))
		return json_object_get_string(v);
	if (json_object_object_get_ex(p->placed, path, &kind) &&
	    json_object_object_get_ex(kind, slash + 1, NULL))
		return "placed";
	return "absent";
}

/* A field of a placed object as JSON text, or "-" */
static const char *field(const struct placement *p, const char *key, const char *f)
{
	char path[64];
	const char *slash = strchr(key, '/');
	json_object *kind, *obj, *v;

	snprintf(path, sizeof(path), "%.*s", (int)(slash - key), key);
	if (!json_object_object_get_ex(p->placed, path, &kind) ||
	    !json_object_object_get_ex(kind, slash + 1, &obj) ||
	    !json_object_object_get_ex(obj, f, &v))
		return "-";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

struct row {
	const char *host, *key;
	const char *fate;		/* "placed", "absent", or a part of the reason */
	const char *f, *val;		/* a field of the placed copy, its JSON ("-": none) */
};

static const struct row rows[] = {
	{ "h1", "networks/n1", "placed", "device", "\"eth1\"" },
	{ "h1", "networks/n1", "placed", "revision", "4" },
	{ "h1", "networks/n2", "placed", "device", "\"eth7\"" },
	{ "h1", "networks/n2", "placed", "devices", "-" },
	{ "h1", "networks/n3", "placed", "device", "\"eth3\"" },
	{ "h2", "networks/n2", "absent", NULL, NULL },
	{ "h2", "networks/n3", "placed", "device", "\"eth9\"" },
	{ "h1", "instance-ports/vm1", "placed", "host", "-" },
	{ "h1", "instance-ports/vm2", "absent", NULL, NULL },
	{ "h1", "instance-ports/vm3", "placed", "migrating-to", "-" },
	{ "h2", "instance-ports/vm1", "absent", NULL, NULL },
	{ "h2", "instance-ports/vm2", "placed", "device", "\"vnet0\"" },
	{ "h2", "instance-ports/vm3", "placed", "revision", "9" },
	{ "h3", "instance-ports/vm3", "absent", NULL, NULL },
	{ "h1", "service-ports/s1", "placed", NULL, NULL },
	{ "h1", "service-ports/s2", "absent", NULL, NULL },
	{ "h1", "service-ports/s3", "placed", NULL, NULL },
	{ "h1", "service-ports/fw2-in", "absent", NULL, NULL },
	{ "h2", "service-ports/s1", "absent", NULL, NULL },
	{ "h2", "service-ports/s2", "network \"n2\" has no device on host h2", NULL, NULL },
	{ "h2", "service-ports/s3", "placed", NULL, NULL },
	{ "h3", "service-ports/s3", "absent", NULL, NULL },
	/* c1's hop keeps the local instance, its sources the local port */
	{ "h1", "chains/c1", "placed", "hops",
	  "[[{\"ingress\":\"fw1-in\",\"egress\":\"fw1-out\"}]]" },
	{ "h1", "chains/c1", "placed", "sources", "{\"service-ports\":[\"s1\"]}" },
	{ "h2", "chains/c1", "placed", "hops",
	  "[[{\"ingress\":\"fw2-in\",\"egress\":\"fw2-out\"}]]" },
	{ "h2", "chains/c1", "placed", "sources", "{\"service-ports\":[]}" },
	{ "h3", "chains/c1", "absent", NULL, NULL },
	{ "h3", "networks/n1", "placed", NULL, NULL },
};

/* Each row: the object's fate on its host, and a field of its copy. */
static void test_place_by_host(void **state)
{
	json_object *store = parse(store_text);
	const char *before = strdup(json_object_to_json_string(store));

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct placement p;
		const char *got;

		assert_int_equal(place(store, w->host, &p), 0);
		got = fate(&p, w->key);
		if (strcmp(w->fate, "placed") && strcmp(w->fate, "absent")) {
			if (!strstr(got, w->fate))
				fail_msg("%s on %s: \"%s\", want a reason with \"%s\"", w->key,
					 w->host, got, w->fate);
		} else if (strcmp(got, w->fate)) {
			fail_msg("%s on %s: \"%s\", want %s", w->key, w->host, got, w->fate);
		}
		if (w->f && strcmp(field(&p, w->key, w->f), w->val))
			fail_msg("%s on %s: %s is %s, want %s", w->key, w->host, w->f,
				 field(&p, w->key, w->f), w->val);
		placement_free(&p);
	}
	/* the store itself is not changed */
	assert_string_equal(json_object_to_json_string(store), before);
	free((void *)before);
	json_object_put(store);
}

/* vm3 migrates to h2: incoming there (from h1), not on h1. */
static void test_place_incoming(void **state)
{
	json_object *store = parse(store_text), *v;
	struct placement p;

	(void)state;
	assert_int_equal(place(store, "h2", &p), 0);
	assert_true(json_object_object_get_ex(p.incoming, "vm3", &v));
	assert_string_equal(json_object_get_string(v), "h1");
	assert_int_equal(json_object_object_length(p.incoming), 1);
	placement_free(&p);
	assert_int_equal(place(store, "h1", &p), 0);
	assert_int_equal(json_object_object_length(p.incoming), 0);
	placement_free(&p);
	json_object_put(store);
}

/*
 * Skips and their dependants on h1: a network with a malformed devices
 * (its service port and chain go too), an instance port with a malformed
 * host (on every host: its service ports go), a chain whose only hop is on
 * another host, and a chain whose hop port is skipped.
 */
static void test_place_dependants(void **state)
{
	static const char text[] = "{"
		"\"networks\": {\"nb\": {\"device\": \"e1\", \"devices\": {\"h1\": 5}},"
		"  \"ok\": {\"device\": \"e2\"}, \"far\": {\"devices\": {\"h2\": \"e3\"}}},"
		"\"instance-ports\": {\"vb\": {\"host\": \"-bad\", \"device\": \"t0\"},"
		"  \"v1\": {\"host\": \"h1\", \"device\": \"t1\"},"
		"  \"v2\": {\"host\": \"h2\", \"device\": \"t2\"}},"
		"\"service-ports\": {"
		"  \"sb\": {\"instance-port\": \"v1\", \"vlan\": 5, \"bind\": {\"network\": \"nb\"}},"
		"  \"sv\": {\"instance-port\": \"vb\", \"vlan\": 6, \"bind\": {\"network\": \"ok\"}},"
		"  \"sf\": {\"instance-port\": \"v1\", \"vlan\": 7, \"bind\": {\"network\": \"far\"}},"
		"  \"h1-in\": {\"instance-port\": \"v1\", \"vlan\": 100},"
		"  \"h2-in\": {\"instance-port\": \"v2\", \"vlan\": 100},"
		"  \"hb\": {\"instance-port\": \"vb\", \"vlan\": 101}},"
		"\"chains\": {"
		"  \"cb\": {\"network\": \"nb\", \"hops\": [[{\"ingress\": \"h1-in\", \"egress\": \"h1-in\"}]]},"
		"  \"cfar\": {\"network\": \"ok\", \"sources\": {\"service-ports\": [\"h1-in\"]},"
		"           \"hops\": [[{\"ingress\": \"h2-in\", \"egress\": \"h2-in\"}]]},"
		"  \"chb\": {\"network\": \"ok\", \"hops\": [[{\"ingress\": \"hb\", \"egress\": \"hb\"}]]}}"
		"}";
	static const struct { const char *key, *why; } want[] = {
		{ "networks/nb", "devices.h1: not an interface name" },
		{ "service-ports/sb", "network \"nb\" is skipped" },
		{ "chains/cb", "network \"nb\" is skipped" },
		{ "instance-ports/vb", "host: not a host name" },
		{ "service-ports/sv", "instance port \"vb\" is skipped" },
		{ "service-ports/hb", "instance port \"vb\" is skipped" },
		{ "service-ports/sf", "network \"far\" has no device on host h1" },
		{ "chains/cfar", "hop 1 has no instance on host h1 (service port \"h2-in\" is on host h2)" },
		{ "chains/chb", "hop 1: service port \"hb\" is skipped" },
	};
	json_object *store = parse(text), *v;
	struct placement p;

	(void)state;
	assert_int_equal(place(store, "h1", &p), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(fate(&p, want[i].key), want[i].why))
			fail_msg("%s: \"%s\", want \"%s\"", want[i].key, fate(&p, want[i].key),
				 want[i].why);
	assert_int_equal(json_object_object_length(p.skipped), sizeof(want) / sizeof(want[0]));
	assert_string_equal(fate(&p, "service-ports/h1-in"), "placed");
	assert_string_equal(fate(&p, "networks/ok"), "placed");
	assert_true(json_object_object_get_ex(p.errors, "instance-ports/vb", &v));
	placement_free(&p);
	json_object_put(store);
}

static struct pp_api *api(const char *dir)
{
	struct pp_api *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	a->o.config_dir = dir;
	return a;
}

/*
 * The global check: every object, host fields gone, devices synthetic:
 * vm1 and vm2 share the tap name vnet0 on two hosts and load; networks
 * sharing a device keep sharing it (n1 untagged twice would clash); an
 * instance port with only an id keeps no device.
 */
static void test_place_global(void **state)
{
	json_object *store = parse(store_text);
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	struct pp_api *a = api(NULL);
	struct placement p;
	struct rbuf r;
	int err;

	(void)state;
	json_object_object_add(store_get(store, K_NET, "n3"), "device",
			       json_object_new_string("eth1"));
	json_object_object_add(store_kind(store, K_IPORT), "vid",
			       parse("{\"id\": \"uuid-1\", \"mac\": \"52:54:00:00:00:09\"}"));
	assert_int_equal(place(store, NULL, &p), 0);
	assert_int_equal(json_object_object_length(p.skipped), 0);
	assert_int_equal(json_object_object_length(p.errors), 0);
	assert_string_equal(fate(&p, "instance-ports/vm2"), "placed");
	assert_string_equal(fate(&p, "service-ports/s2"), "placed");
	assert_string_not_equal(field(&p, "instance-ports/vm1", "device"),
				field(&p, "instance-ports/vm2", "device"));
	assert_string_equal(field(&p, "instance-ports/vm3", "host"), "-");
	assert_string_equal(field(&p, "networks/n3", "devices"), "-");
	assert_string_equal(field(&p, "networks/n1", "device"), field(&p, "networks/n3", "device"));
	assert_string_not_equal(field(&p, "networks/n1", "device"), "\"eth1\"");
	assert_string_not_equal(field(&p, "networks/n2", "device"),
				field(&p, "networks/n1", "device"));
	assert_string_equal(field(&p, "instance-ports/vid", "device"), "-");
	err = place_load(a, &p, false, &cfg, &errs, &r);
	if (err)
		pp_errors_print(&errs, stderr);
	assert_int_equal(err, 0);
	assert_int_equal(cfg->n_iports, 4);
	assert_int_equal(json_object_object_length(p.skipped), 0);
	pp_config_free(cfg);
	rbuf_free(&r);
	placement_free(&p);
	json_object_put(store);
	free(a);
}

/* Malformed cluster fields: errors of the global check, skips of a host. */
static void test_place_shapes(void **state)
{
	static const struct { const char *key, *obj, *why; } bad[] = {
		{ "instance-ports/v", "{\"host\": 7}", "host: not a host name" },
		{ "instance-ports/v", "{\"host\": \"\"}", "host: not a host name" },
		{ "instance-ports/v", "{\"host\": \".h\"}", "host: not a host name" },
		{ "instance-ports/v", "{\"host\": \"h/1\"}", "host: not a host name" },
		{ "instance-ports/v", "{\"host\": \"h1234567890123456789012345678901234567890"
		  "12345678901234567890123\"}", "host: not a host name" },
		{ "instance-ports/v", "{\"host\": \"h1\", \"migrating-to\": \"a b\"}",
		  "migrating-to: not a host name" },
		{ "networks/v", "{\"device\": \"e\", \"devices\": [\"h1\"]}",
		  "devices: not an object" },
		{ "networks/v", "{\"device\": \"e\", \"devices\": {\"-x\": \"e1\"}}",
		  "devices: \"-x\" is not a host name" },
		{ "networks/v", "{\"device\": \"e\", \"devices\": {\"h1\": \"a:b\"}}",
		  "devices.h1: not an interface name" },
		{ "networks/v", "{\"device\": \"e\", \"devices\": {\"h2\": \"0123456789abcdef\"}}",
		  "devices.h2: not an interface name" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object *store = parse("{}"), *v;
		enum kind k = bad[i].key[0] == 'n' ? K_NET : K_IPORT;
		struct placement p;

		json_object_object_add(store_kind(store, k), "v", parse(bad[i].obj));
		for (int g = 0; g < 2; g++) {
			assert_int_equal(place(store, g ? NULL : "h1", &p), 0);
			if (!json_object_object_get_ex(g ? p.errors : p.skipped, bad[i].key, &v) ||
			    !strstr(json_object_get_string(v), bad[i].why))
				fail_msg("%s %s (%s): %s, want \"%s\"", bad[i].key, bad[i].obj,
					 g ? "global" : "h1", v ? json_object_get_string(v) : "nothing",
					 bad[i].why);
			placement_free(&p);
		}
		json_object_put(store);
	}
	/* and well-formed ones are none */
	{
		json_object *store = parse(store_text);
		struct placement p;

		assert_int_equal(place(store, NULL, &p), 0);
		assert_int_equal(json_object_object_length(p.errors), 0);
		placement_free(&p);
		json_object_put(store);
	}
}

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pp-place-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/*
 * h1's view with a binding file defining n1 too: the store's n1 is
 * skipped (naming the file's position) with its dependants (s1, chain c1);
 * the rest loads, the file's n1 with it.
 */
static void test_place_load_file_clash(void **state)
{
	json_object *store = parse(store_text);
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	struct pp_api *a = api(dir);
	char want[200];
	struct placement p;
	struct rbuf r;
	int err;

	(void)state;
	write_file("a.yaml", "networks:\n  n1: {device: eth5}\n");
	assert_int_equal(place(store, "h1", &p), 0);
	err = place_load(a, &p, true, &cfg, &errs, &r);
	if (err)
		pp_errors_print(&errs, stderr);
	assert_int_equal(err, 0);
	snprintf(want, sizeof(want), "defined in the binding files too (%s/a.yaml:2:3)", dir);
	assert_string_equal(fate(&p, "networks/n1"), want);
	assert_string_equal(fate(&p, "service-ports/s1"), "network \"n1\" is skipped");
	assert_string_equal(fate(&p, "chains/c1"), "network \"n1\" is skipped");
	assert_string_equal(fate(&p, "service-ports/s3"), "placed");
	assert_string_equal(fate(&p, "networks/n2"), "placed");
	assert_int_equal(cfg->n_networks, 3);
	assert_string_equal(cfg->networks[net_find(cfg, "n1")].device, "eth5");
	/* the render is the placed view's */
	assert_null(strstr(r.text.s, "\"s1\""));
	assert_non_null(strstr(r.text.s, "\"s3\""));
	pp_config_free(cfg);
	rbuf_free(&r);
	placement_free(&p);
	json_object_put(store);
	free(a);
}

/* A binding file's own error fails the load as ever, and p is unchanged. */
static void test_place_load_broken_file(void **state)
{
	json_object *store = parse(store_text);
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	struct pp_api *a = api(dir);
	struct placement p;
	struct rbuf r;
	char *before;

	(void)state;
	/* its own error, and a clash with the store's n1 that goes with it */
	write_file("a.yaml", "networks:\n  n1: {device: eth5}\n  nx: {device: eth6, mtu: 5}\n");
	assert_int_equal(place(store, "h1", &p), 0);
	before = strdup(json_object_to_json_string(p.placed));
	assert_int_equal(place_load(a, &p, true, &cfg, &errs, &r), -EINVAL);
	assert_null(cfg);
	assert_true(errs.n >= 1);
	assert_non_null(strstr(errs.v[0].file, "a.yaml"));
	assert_string_equal(json_object_to_json_string(p.placed), before);
	assert_int_equal(json_object_object_length(p.skipped), 0);
	pp_errors_free(&errs);
	free(before);
	placement_free(&p);
	json_object_put(store);
	free(a);
}

/*
 * Rounds: a network whose name is invalid hides "unknown network" of the
 * service port binding a network that does not exist (the loader reports
 * no such reference when a network could not be read); dropping it shows
 * it, and the second round drops the port.  Two independent errors of the
 * first round go in that round.
 */
static void test_place_load_rounds(void **state)
{
	json_object *store = parse(store_text);
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	struct pp_api *a = api(NULL);
	struct placement p;
	struct rbuf r;
	int err;

	(void)state;
	json_object_object_add(store_kind(store, K_NET), "-bad", parse("{\"device\": \"eb\"}"));
	json_object_object_add(store_kind(store, K_SPORT), "s9",
			       parse("{\"instance-port\": \"vm1\", \"vlan\": 9,"
				     " \"bind\": {\"network\": \"nowhere\"}}"));
	json_object_object_add(store_kind(store, K_SPORT), "s8",
			       parse("{\"instance-port\": \"vm1\", \"vlan\": 4095, \"mac\": \"02:00:00:00:00:08\","
				     " \"bind\": {\"network\": \"n1\"}}"));
	assert_int_equal(place(store, "h1", &p), 0);
	err = place_load(a, &p, false, &cfg, &errs, &r);
	if (err)
		pp_errors_print(&errs, stderr);
	assert_int_equal(err, 0);
	assert_non_null(strstr(fate(&p, "networks/-bad"), "invalid network name"));
	assert_non_null(strstr(fate(&p, "service-ports/s9"), "unknown network"));
	assert_non_null(strstr(fate(&p, "service-ports/s8"), "vlan: "));
	assert_null(strstr(fate(&p, "service-ports/s8"), " at api:"));
	assert_string_equal(fate(&p, "service-ports/s1"), "placed");
	assert_int_equal(json_object_object_length(p.skipped), 3);
	pp_config_free(cfg);
	rbuf_free(&r);
	placement_free(&p);
	json_object_put(store);
	free(a);
}

/*
 * Stretched networks (issue 20): sx and sy have no device anywhere; a host
 * has one when a service port there binds it (never "no device"), else it
 * is silently absent there, a chain on it skipped; devices with vxlan is
 * malformed.  vm1 (h1) binds sx, vm2 (h2) sx and sy, h3 nothing.
 */
static const char vx_text[] = "{"
	"\"networks\": {"
	"  \"sx\": {\"vxlan\": {\"vni\": 100}},"
	"  \"sy\": {\"vxlan\": {\"vni\": 200}, \"mtu\": 1400},"
	"  \"sb\": {\"vxlan\": {\"vni\": 300}, \"devices\": {\"h1\": \"eth1\"}},"
	"  \"d1\": {\"device\": \"eth1\"}},"
	"\"instance-ports\": {"
	"  \"vm1\": {\"host\": \"h1\", \"device\": \"vnet0\", \"mac\": \"52:54:00:00:00:01\"},"
	"  \"vm2\": {\"host\": \"h2\", \"device\": \"vnet0\", \"mac\": \"52:54:00:00:00:02\"}},"
	"\"service-ports\": {"
	"  \"a1\": {\"instance-port\": \"vm1\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"
	"  \"a2\": {\"instance-port\": \"vm2\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"
	"  \"b2\": {\"instance-port\": \"vm2\", \"vlan\": 20, \"bind\": {\"network\": \"sy\"}},"
	"  \"hop1\": {\"instance-port\": \"vm1\", \"vlan\": 100}},"
	"\"chains\": {"
	"  \"cy\": {\"network\": \"sy\", \"hops\": [[{\"ingress\": \"hop1\", \"egress\": \"hop1\"}]]}}"
	"}";

static const struct row vx_rows[] = {
	{ "h1", "networks/sx", "placed", "device", "-" },
	{ "h1", "networks/sx", "placed", "vxlan", "{\"vni\":100}" },
	{ "h1", "networks/sy", "absent", NULL, NULL },
	{ "h1", "service-ports/a1", "placed", NULL, NULL },
	{ "h1", "chains/cy", "network \"sy\" has no service port on host h1", NULL, NULL },
	{ "h1", "networks/sb", "devices: not used by a network stretched over VXLAN", NULL, NULL },
	{ "h2", "networks/sx", "placed", "device", "-" },
	{ "h2", "networks/sy", "placed", "mtu", "1400" },
	{ "h2", "service-ports/b2", "placed", NULL, NULL },
	{ "h3", "networks/sx", "absent", NULL, NULL },
	{ "h3", "networks/sy", "absent", NULL, NULL },
	{ "h3", "networks/d1", "placed", "device", "\"eth1\"" },
};

static void test_place_stretched(void **state)
{
	json_object *store = parse(vx_text), *v;
	struct pp_errors errs = PP_ERRORS_INIT;
	struct pp_config *cfg = NULL;
	struct pp_api *a = api(NULL);
	struct placement p;
	struct rbuf r;
	long i;
	int err;

	(void)state;
	for (size_t n = 0; n < sizeof(vx_rows) / sizeof(vx_rows[0]); n++) {
		const struct row *w = &vx_rows[n];
		const char *got;

		assert_int_equal(place(store, w->host, &p), 0);
		got = fate(&p, w->key);
		if (strcmp(w->fate, "placed") && strcmp(w->fate, "absent") ? !strstr(got, w->fate)
									  : !!strcmp(got, w->fate))
			fail_msg("%s on %s: \"%s\", want %s", w->key, w->host, got, w->fate);
		if (w->f && strcmp(field(&p, w->key, w->f), w->val))
			fail_msg("%s on %s: %s is %s, want %s", w->key, w->host, w->f,
				 field(&p, w->key, w->f), w->val);
		placement_free(&p);
	}
	/* h1's share loads: sx, no device, no "no device" for a1 */
	assert_int_equal(place(store, "h1", &p), 0);
	err = place_load(a, &p, false, &cfg, &errs, &r);
	if (err)
		pp_errors_print(&errs, stderr);
	assert_int_equal(err, 0);
	i = net_find(cfg, "sx");
	assert_true(i >= 0);
	assert_int_equal(cfg->networks[i].vni, 100);
	assert_string_equal(cfg->networks[i].device, "");
	assert_true(sport_find(cfg, "a1") >= 0);
	assert_int_equal(net_find(cfg, "sy"), -1);
	pp_config_free(cfg);
	rbuf_free(&r);
	placement_free(&p);
	/* the global check: devices with vxlan is an error, no synthetic device */
	assert_int_equal(place(store, NULL, &p), 0);
	assert_true(json_object_object_get_ex(p.errors, "networks/sb", &v));
	assert_non_null(strstr(json_object_get_string(v), "devices: not used by"));
	assert_string_equal(field(&p, "networks/sx", "device"), "-");
	assert_string_equal(field(&p, "networks/sb", "device"), "-");
	placement_free(&p);
	json_object_put(store);
	free(a);
}

/*
 * The other hosts' MACs on this host's (h1's) stretched networks.  cfg has
 * dn (a device network), sx and sz (stretched); sy is stretched in the
 * store but not here.  Each service port says what it gives, if anything.
 */
static const char rem_store[] = "{"
	"\"instance-ports\": {"
	"  \"l1\": {\"host\": \"h1\", \"mac\": \"02:00:00:00:01:01\"},"
	"  \"r2\": {\"host\": \"h2\", \"mac\": \"02:00:00:00:02:01\"},"
	"  \"m2\": {\"host\": \"h2\", \"migrating-to\": \"h3\", \"mac\": \"02:00:00:00:02:02\"},"
	"  \"r3\": {\"host\": \"h3\", \"mac\": \"02:00:00:00:03:01\"},"
	"  \"i3\": {\"host\": \"h3\", \"migrating-to\": \"h1\", \"mac\": \"02:00:00:00:03:02\"},"
	"  \"n4\": {\"host\": \"h4\", \"mac\": \"02:00:00:00:04:01\"},"
	"  \"b5\": {\"host\": \"h5\", \"mac\": \"02:00:00:00:05:01\"},"
	"  \"g6\": {\"host\": \"h6\", \"mac\": \"02:00:00:00:06:01\"},"
	"  \"x7\": {\"id\": \"u7\", \"mac\": \"02:00:00:00:07:01\"}},"
	"\"service-ports\": {"
	/* gives sx 02:00:00:00:02:01 -> h2 (its instance port's MAC) */
	"  \"r2-x\": {\"instance-port\": \"r2\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"
	/* gives sx 02:00:00:00:02:aa -> h2 (its mac) */
	"  \"r2-mac\": {\"instance-port\": \"r2\", \"vlan\": 11, \"mac\": \"02:00:00:00:02:aa\","
	"             \"bind\": {\"network\": \"sx\"}},"
	/* gives sx 02:00:00:00:03:bb -> h3 (its src-mac) */
	"  \"r3-src\": {\"instance-port\": \"r3\", \"src-mac\": \"02:00:00:00:03:bb\","
	"             \"bind\": {\"network\": \"sx\"}},"
	/* gives sz 02:00:00:00:03:cc and its pair's 02:00:00:00:03:dd -> h3 */
	"  \"r3-sec\": {\"instance-port\": \"r3\", \"vlan\": 30, \"mac\": \"02:00:00:00:03:cc\","
	"             \"bind\": {\"network\": \"sz\", \"security\": {\"allowed-pairs\": ["
	"               {\"mac\": \"02:00:00:00:03:dd\", \"ip\": \"10.0.0.9\"},"
	"               {\"ip\": \"10.0.0.10\"}, {\"mac\": \"nope\"}]}}},"
	/* gives sx 02:00:00:00:02:02 -> h2: migrating, not committed yet */
	"  \"m2-x\": {\"instance-port\": \"m2\", \"vlan\": 12, \"bind\": {\"network\": \"sx\"}},"
	/* gives nothing: ... */
	"  \"l1-x\": {\"instance-port\": \"l1\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"	/* here */
	"  \"i3-x\": {\"instance-port\": \"i3\", \"vlan\": 13, \"bind\": {\"network\": \"sx\"}},"	/* coming here */
	"  \"r2-dn\": {\"instance-port\": \"r2\", \"vlan\": 14, \"bind\": {\"network\": \"dn\"}},"	/* not stretched */
	"  \"r2-sy\": {\"instance-port\": \"r2\", \"vlan\": 15, \"bind\": {\"network\": \"sy\"}},"	/* not here */
	"  \"r2-l3\": {\"instance-port\": \"r2\", \"vlan\": 16, \"bind\": {\"l3\": {\"domain\": \"d\"}}},"
	"  \"r2-none\": {\"instance-port\": \"r2\", \"vlan\": 17},"
	"  \"r2-bad\": {\"instance-port\": \"r2\", \"vlan\": 18, \"mac\": \"zz\","	/* malformed MAC */
	"             \"bind\": {\"network\": \"sx\"}},"
	"  \"n4-x\": {\"instance-port\": \"n4\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"	/* no vtep */
	"  \"b5-x\": {\"instance-port\": \"b5\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"	/* bad vtep */
	"  \"g6-x\": {\"instance-port\": \"g6\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"	/* no record */
	"  \"x7-x\": {\"instance-port\": \"x7\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"	/* no host */
	"  \"zz-x\": {\"instance-port\": \"zz\", \"vlan\": 10, \"bind\": {\"network\": \"sx\"}},"	/* no such port */
	/* h2's MAC on h3 too: h2 (the first by name) has it */
	"  \"r3-dup\": {\"instance-port\": \"r3\", \"vlan\": 19, \"mac\": \"02:00:00:00:02:aa\","
	"             \"bind\": {\"network\": \"sx\"}}}"
	"}";

static const char rem_hosts[] = "{"
	"\"h2\": {\"name\": \"h2\", \"vtep\": \"192.0.2.2\"},"
	"\"h3\": {\"name\": \"h3\", \"vtep\": \"fd00::3\"},"
	"\"h4\": {\"name\": \"h4\", \"vtep\": null},"
	"\"h5\": {\"name\": \"h5\", \"vtep\": \"192.0.2.5/24\"},"
	"\"h8\": {\"name\": \"h8\", \"vtep\": \"192.0.2.8\"}"
	"}";

static const char *const rem_want[] = {
	"sx 02:00:00:00:02:01 h2 192.0.2.2",
	"sx 02:00:00:00:02:02 h2 192.0.2.2",
	"sx 02:00:00:00:02:aa h2 192.0.2.2",
	"sx 02:00:00:00:03:bb h3 fd00::3",
	"sz 02:00:00:00:03:cc h3 fd00::3",
	"sz 02:00:00:00:03:dd h3 fd00::3",
};

static struct pp_config *rem_cfg(void)
{
	static const char *const names[] = { "dn", "sx", "sz" };
	static const uint32_t vnis[] = { 0, 100, 300 };
	struct pp_config *cfg = calloc(1, sizeof(*cfg));

	assert_non_null(cfg);
	cfg->networks = calloc(3, sizeof(*cfg->networks));
	assert_non_null(cfg->networks);
	cfg->n_networks = 3;
	for (int i = 0; i < 3; i++) {
		snprintf(cfg->networks[i].name, sizeof(cfg->networks[i].name), "%s", names[i]);
		cfg->networks[i].vni = vnis[i];
	}
	return cfg;
}

static void rem_cfg_free(struct pp_config *cfg)
{
	free(cfg->networks);
	free(cfg->vteps);
	free(cfg->remotes);
	free(cfg);
}

/* cfg's remotes as "net mac host vtep" lines; each remote's vtep checked */
static char *rem_lines(const struct pp_config *cfg)
{
	static char buf[2048];
	size_t n = 0;

	buf[0] = 0;
	for (uint32_t i = 0; i < cfg->n_remotes; i++) {
		const struct pp_cfg_remote *rm = &cfg->remotes[i];
		char mac[PP_MAC_STRLEN], addr[64];

		assert_true(rm->network < cfg->n_networks);
		assert_true(rm->vtep < cfg->n_vteps);
		pp_mac_format(rm->mac, mac);
		pp_addr_format(&cfg->vteps[rm->vtep].addr, false, addr, sizeof(addr));
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s %s %s %s", i ? "\n" : "",
			      cfg->networks[rm->network].name, mac, cfg->vteps[rm->vtep].host, addr);
	}
	return buf;
}

static char *join(const char *const *v, size_t n)
{
	static char buf[2048];
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "\n" : "", v[i]);
	return buf;
}

static void test_cluster_remotes(void **state)
{
	json_object *store = parse(rem_store), *hosts = parse(rem_hosts);
	struct pp_config *cfg = rem_cfg();
	char want[2048];

	(void)state;
	assert_int_equal(cluster_remotes(store, hosts, "h1", cfg), 0);
	snprintf(want, sizeof(want), "%s", join(rem_want, sizeof(rem_want) / sizeof(rem_want[0])));
	assert_string_equal(rem_lines(cfg), want);
	/* the hosts with a MAC here, by name; h8 has none, h4/h5 no (valid) vtep */
	assert_int_equal(cfg->n_vteps, 2);
	assert_string_equal(cfg->vteps[0].host, "h2");
	assert_int_equal(cfg->vteps[0].addr.family, PP_AF_INET);
	assert_string_equal(cfg->vteps[1].host, "h3");
	assert_int_equal(cfg->vteps[1].addr.family, PP_AF_INET6);

	/* m2's move committed (host h3): its MAC is h3's now */
	json_object_object_add(store_get(store, K_IPORT, "m2"), "host", json_object_new_string("h3"));
	json_object_object_del(store_get(store, K_IPORT, "m2"), "migrating-to");
	assert_int_equal(cluster_remotes(store, hosts, "h1", cfg), 0);
	assert_non_null(strstr(rem_lines(cfg), "sx 02:00:00:00:02:02 h3 fd00::3"));
	assert_null(strstr(rem_lines(cfg), "02:00:00:00:02:02 h2"));

	/* h3's record expires: its MACs and its VTEP go */
	json_object_object_del(hosts, "h3");
	assert_int_equal(cluster_remotes(store, hosts, "h1", cfg), 0);
	assert_string_equal(rem_lines(cfg), "sx 02:00:00:00:02:01 h2 192.0.2.2\n"
			    "sx 02:00:00:00:02:aa h2 192.0.2.2");
	assert_int_equal(cfg->n_vteps, 1);

	/* seen from h2: its own ports are not remote, h1's are (h1 has no record) */
	assert_int_equal(cluster_remotes(store, hosts, "h2", cfg), 0);
	assert_int_equal(cfg->n_remotes, 0);
	assert_int_equal(cfg->n_vteps, 0);
	assert_null(cfg->vteps);
	rem_cfg_free(cfg);
	json_object_put(store);
	json_object_put(hosts);
}

/* The hosts' records' VTEPs: an address, none, or malformed. */
static void test_host_vtep(void **state)
{
	static const struct { const char *rec; int want; } t[] = {
		{ "{\"vtep\": \"192.0.2.1\"}", 1 },
		{ "{\"vtep\": \"2001:db8::1\"}", 1 },
		{ "{}", 0 },
		{ "{\"vtep\": null}", 0 },
		{ "{\"vtep\": \"192.0.2.1/32\"}", -EINVAL },
		{ "{\"vtep\": \"0.0.0.0\"}", -EINVAL },
		{ "{\"vtep\": \"::\"}", -EINVAL },
		{ "{\"vtep\": \"h2.example\"}", -EINVAL },
		{ "{\"vtep\": \"\"}", -EINVAL },
		{ "{\"vtep\": 7}", -EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *rec = parse(t[i].rec);
		struct pp_cfg_addr ad;
		int got = host_vtep(rec, &ad);

		if (got != t[i].want)
			fail_msg("%s: %d, want %d", t[i].rec, got, t[i].want);
		json_object_put(rec);
	}
}

/*
 * remotes_key() (what share_changed() compares): from the placed share's
 * stretched networks; another host's port on one changes it, on a device
 * network does not, nor does a port moving on h1 itself; a host's VTEP
 * appearing does.
 */
static void test_remotes_key(void **state)
{
	json_object *store = parse(vx_text), *hosts = parse("{\"h2\": {\"vtep\": null}}");
	struct placement p;
	char *k0, *k1, *k2, *k3;

	(void)state;
	assert_int_equal(place(store, "h1", &p), 0);
	k0 = remotes_key(store, hosts, "h1", p.placed);
	assert_non_null(k0);
	assert_string_equal(k0, "");			/* h2 has no VTEP */
	json_object_object_add(hosts, "h2", parse("{\"vtep\": \"192.0.2.2\"}"));
	k1 = remotes_key(store, hosts, "h1", p.placed);
	/* a2 on sx (here); b2 on sy, not here */
	assert_string_equal(k1, "sx 52:54:00:00:00:02 h2 192.0.2.2\n");
	/* another host's port on a device network: the same */
	json_object_object_add(store_kind(store, K_SPORT), "d2",
			       parse("{\"instance-port\": \"vm2\", \"vlan\": 30, \"bind\": {\"network\": \"d1\"}}"));
	k2 = remotes_key(store, hosts, "h1", p.placed);
	assert_string_equal(k2, k1);
	/* ... on sx: changed */
	json_object_object_add(store_kind(store, K_SPORT), "a3",
			       parse("{\"instance-port\": \"vm2\", \"vlan\": 31, \"mac\": \"02:00:00:00:00:31\","
				     " \"bind\": {\"network\": \"sx\"}}"));
	k3 = remotes_key(store, hosts, "h1", p.placed);
	assert_string_equal(k3, "sx 02:00:00:00:00:31 h2 192.0.2.2\nsx 52:54:00:00:00:02 h2 192.0.2.2\n");
	free(k0);
	free(k1);
	free(k2);
	free(k3);
	placement_free(&p);
	json_object_put(store);
	json_object_put(hosts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_place_by_host),
		cmocka_unit_test(test_place_incoming),
		cmocka_unit_test(test_place_dependants),
		cmocka_unit_test(test_place_global),
		cmocka_unit_test(test_place_shapes),
		cmocka_unit_test_setup_teardown(test_place_load_file_clash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_place_load_broken_file, setup, teardown),
		cmocka_unit_test(test_place_load_rounds),
		cmocka_unit_test(test_place_stretched),
		cmocka_unit_test(test_cluster_remotes),
		cmocka_unit_test(test_host_vtep),
		cmocka_unit_test(test_remotes_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
