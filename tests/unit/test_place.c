// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Placement (loader/api/place.c, issue 19): which objects of a cluster's
 * store each host programs, the global check's view, and loading a placed
 * view with the binding files, skipping the store's objects that do not
 * load there.  No daemon: the API is a zeroed struct pp_api.
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
