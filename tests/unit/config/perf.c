/*
 * Binding-file tests of size and speed: 8,188 service ports on one
 * instance port, 100,000 in 25 files, past the limit of the maps, and
 * 4,000 top-level ones in a JSON source (CPU time bounded, see
 * timing_checked).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cfgtest.h"

/* load_dir, timed: returns the CPU time in ms, *ms the wall-clock time. */
static double load_dir_timed(struct fx *f, double *ms)
{
	double t0 = now_ms(), c0 = cpu_ms(), cpu;

	load_dir(f);
	cpu = cpu_ms() - c0;
	*ms = now_ms() - t0;
	return cpu;
}

static void test_perf_8188_ports(void **state)
{
	struct fx *f = *state;
	const struct pp_cfg_iport *ip;
	const struct pp_cfg_sport *s;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	double ms, cpu;

	add_sport(&buf, &len, &cap,
		  "networks:\n  net0: {device: pn0}\n"
		  "instance-ports:\n  big:\n    device: tap-big\n"
		  "    mac: 52:54:00:00:00:01\n    service-ports:\n");
	/* s1..s4094 on VLANs 1..4094, then q1..q4094 on [1..4094, 100] */
	for (int q = 0; q <= 1; q++)
		for (int i = 1; i <= 4094; i++)
			add_sport(&buf, &len, &cap,
				  "      %c%d:\n        vlan: %s%d%s\n"
				  "        mac: 02:00:00:%02x:%02x:%02x\n"
				  "        bind: {network: net0}\n",
				  "sq"[q], i, q ? "[" : "", i, q ? ", 100]" : "", q, i >> 8,
				  i & 0xff);
	write_file(f, "big.yaml", buf);
	free(buf);

	cpu = load_dir_timed(f, &ms);
	print_message("      8,188 service ports on one instance port: %.1f ms (%.1f ms CPU)\n",
		      ms, cpu);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_sports, 8188);
	ip = pp_config_find_iport(f->cfg, "big");
	assert_int_equal(ip->sport_count, 8188);
	s = pp_config_find_sport(f->cfg, "q4094");
	assert_int_equal(s->match, PP_MATCH_QINQ);
	assert_int_equal(s->outer_vid, 4094);
	assert_int_equal(s->inner_vid, 100);
	if (timing_checked())
		assert_true(cpu < 1000.0);
}

/* nfiles x 4,000 service ports; over: past PP_MAX_SPORTS, one error expected */
static void big_config(void **state, int nfiles, int over)
{
	struct fx *f = *state;
	unsigned int over_line = 0;
	char over_file[32] = "";
	char name[32], limit[64];
	double ms, cpu;
	int k = 0;

	for (int fi = 0; fi < nfiles; fi++) {
		char *buf = NULL;
		size_t len = 0, cap = 0;
		unsigned int line = 9;

		add_sport(&buf, &len, &cap,
			  "networks:\n  n%d: {device: pn%d}\n"
			  "instance-ports:\n  ip%d:\n    device: tap%d\n"
			  "    mac: 52:54:00:00:%02x:01\n    mtu: 1500\n"
			  "    service-ports:\n",
			  fi, fi, fi, fi, fi);
		for (int i = 1; i <= 4000; i++, line += 2) {
			add_sport(&buf, &len, &cap,
				  "      s%d-%d:\n"
				  "        {vlan: %d, mac: 02:00:%02x:00:%02x:%02x, bind: {network: n%d}}\n",
				  fi, i, i, fi, i >> 8, i & 0xff, fi);
			if (++k == PP_MAX_SPORTS + 1) {
				over_line = line;
				snprintf(over_file, sizeof(over_file),
					 "f%02d.yaml", fi);
			}
		}
		snprintf(name, sizeof(name), "f%02d.yaml", fi);
		write_file(f, name, buf);
		free(buf);
	}

	cpu = load_dir_timed(f, &ms);
	print_message("      %d service ports in %d files: %.1f ms (%.1f ms CPU)\n",
		      k, nfiles, ms, cpu);
	if (over) {
		snprintf(limit, sizeof(limit), "too many service ports (limit %d)", PP_MAX_SPORTS);
		expect_nerr(f, 1);
		expect_err(f, over_file, over_line, 7, limit);
		return;
	}
	expect_nerr(f, 0);
	if (timing_checked())
		assert_true(cpu < 1000.0);
}

static void test_perf_100k_ports(void **state)
{
	big_config(state, 25, 0);
}

/* 33 files x 4,000 = 132,000 service ports: over the limit of the maps. */
static void test_perf_over_limit(void **state)
{
	big_config(state, 33, 1);
}

/* 4,000 top-level service ports in an in-memory JSON source, on two
 * instance ports of a file (2,000 nested ones each): regrouped quickly. */
static void test_perf_toplevel_json(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	double c0, cpu;

	add_sport(&buf, &len, &cap, "networks:\n  net0: {device: pn0}\ninstance-ports:\n");
	for (int ab = 0; ab < 2; ab++) {
		add_sport(&buf, &len, &cap,
			  "  %c:\n    device: tap-%c\n"
			  "    mac: 52:54:00:00:00:%02x\n    service-ports:\n",
			  "ab"[ab], "ab"[ab], ab + 1);
		for (int i = 1; i <= 2000; i++)
			add_sport(&buf, &len, &cap,
				  "      %c%d: {vlan: %d, mac: 02:00:00:0%c:%02x:%02x, bind: {network: net0}}\n",
				  "ab"[ab], i, i, "ab"[ab], i >> 8, i & 0xff);
	}
	write_file(f, "big.yaml", buf);
	len = 0;
	add_sport(&buf, &len, &cap, "{\"service-ports\": {\n");
	for (int i = 2001; i <= 4000; i++)
		for (int ab = 0; ab < 2; ab++)
			add_sport(&buf, &len, &cap,
				  "%s\"t%c%d\": {\"instance-port\": \"%c\", \"vlan\": %d, \"mac\": \"02:00:00:1%c:%02x:%02x\", \"bind\": {\"network\": \"net0\"}}\n",
				  i == 2001 && !ab ? "" : ",", "ab"[ab], i,
				  "ab"[ab], i, "ab"[ab], i >> 8, i & 0xff);
	add_sport(&buf, &len, &cap, "}}\n");

	c0 = cpu_ms();
	load_api(f, buf);
	cpu = cpu_ms() - c0;
	free(buf);
	print_message("      4,000 nested + 4,000 top-level service ports (JSON): %.1f ms CPU\n",
		      cpu);
	expect_nerr(f, 0);
	assert_int_equal(f->cfg->n_sports, 8000);
	expect_iport_sports(f, "a", 0, 4000);
	expect_iport_sports(f, "b", 4000, 4000);
	for (uint32_t i = 0; i < 8000; i++) {
		const struct pp_cfg_sport *s = &f->cfg->sports[i];

		assert_int_equal(s->iport, i < 4000 ? 0 : 1);
		assert_int_equal(s->outer_vid, i % 4000 + 1);
		assert_int_equal(s->toplevel, i % 4000 >= 2000);
		assert_ptr_equal(pp_config_find_sport(f->cfg, s->name), s);
	}
	if (timing_checked())
		assert_true(cpu < 1000.0);
}

CFG_TOPIC(perf,
	  T(test_perf_8188_ports),
	  T(test_perf_100k_ports),
	  T(test_perf_over_limit),
	  T(test_perf_toplevel_json));
