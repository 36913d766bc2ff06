// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * /v1/stats and /metrics: the counters of the pinned maps.
 */
#include <stdlib.h>
#include "internal.h"

/* The rows of drops: by instance port, by network, by L3 domain, by chain (pp_net_drops too). */
#define DROPS_KINDS	4
static const char *const drops_label[DROPS_KINDS][2] = {	/* /v1/stats, /metrics */
	{ "instance-port", "instance_port" },
	{ "network", "network" },
	{ "l3-domain", "l3_domain" },
	{ "chain", "chain" },
};

/*
 * Row i of the drops of the instance ports (k 0), of the networks (k 1) or
 * of the L3 domains (k 2, whose ids are the networks'), for /v1/stats and
 * /metrics: one per configured object with an id, then (k 0 and 1) one
 * named "" for id 0 (frames none of them owns).  1 with *name and *d; 0 for
 * a row left out (no id yet, no entry); -1 past the last.
 */
static int drops_row(struct pp_api *a, int k, uint32_t i, const char **name, struct pp_drops *d)
{
	static const enum kind kind[DROPS_KINDS - 1] = { K_IPORT, K_NET, K_L3DOM };
	const struct pp_config *cfg = pp_daemon_config(a->d);
	uint32_t n = !cfg ? 0 : k == 3 ? cfg->n_chains : k == 2 ? cfg->n_l3domains :
		     k ? cfg->n_networks : cfg->n_iports;
	/* chains (k 3): their ids are the networks' too (chain_context, chain_down) */
	__u32 idx = i >= n ? 0 : k == 3 ? pp_daemon_status(a->d, PP_NAME_CHAIN, i)->id :
		    obj_st(a, kind[k], i)->id;

	if (i > n || (k >= 2 && i == n))
		return -1;
	*name = i == n ? "" : k == 3 ? cfg->chains[i].name : k == 2 ? cfg->l3domains[i].name :
	       k ? cfg->networks[i].name : cfg->iports[i].name;
	if ((i < n && !idx) ||
	    (k ? pp_net_drops_get : pp_iport_drops_get)(pp_daemon_maps(a->d), idx, d))
		return 0;
	return 1;
}

/*
 * Service chains (issue 17): frames classified into chain c (id) in
 * direction dir (PP_DIR_CHAIN_FWD / _REV): its rule set's hits, every rule.
 */
static __u64 chain_classified(const struct pp_maps *m, __u32 id, const struct pp_cfg_chain *c,
			      __u8 dir)
{
	__u64 n = 0;

	for (uint32_t r = 0; id && r < c->n_rules && r < PP_RULES_MAX_BPF; r++)
		n += pp_rule_stat_get(m, id, dir, (__u16)r);
	return n;
}

/* The counters of hop port s (a chain's): tx sent to its function, rx returned by it. */
static struct pp_sport_stats hop_port_stats(struct pp_api *a, uint32_t s)
{
	struct pp_sport_stats st = {};
	__u32 id = obj_st(a, K_SPORT, s)->id;

	if (id)
		pp_sport_stats_get(pp_daemon_maps(a->d), id, &st);
	return st;
}

/* Each chain: frames classified, its drops, per hop and instance what its ports saw. */
static json_object *chains_json(struct pp_api *a)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_maps *m = pp_daemon_maps(a->d);
	json_object *arr = json_object_new_array();

	for (uint32_t i = 0; cfg && i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];
		__u32 id = pp_daemon_status(a->d, PP_NAME_CHAIN, i)->id;
		__u64 fwd = chain_classified(m, id, c, PP_DIR_CHAIN_FWD);
		__u64 rev = chain_classified(m, id, c, PP_DIR_CHAIN_REV);
		json_object *o = json_object_new_object(), *hops = json_object_new_array();
		struct pp_drops d = {};

		if (id)
			pp_net_drops_get(m, id, &d);
		json_object_object_add(o, "chain", json_object_new_string(c->name));
		json_object_object_add(o, "network", json_object_new_string(cfg->networks[c->network].name));
		json_object_object_add(o, "frames", json_object_new_int64((int64_t)(fwd + rev)));
		json_object_object_add(o, "frames_forward", json_object_new_int64((int64_t)fwd));
		json_object_object_add(o, "frames_reverse", json_object_new_int64((int64_t)rev));
		json_object_object_add(o, "chain_context",
				       json_object_new_int64((int64_t)d.reason[PP_DROP_CHAIN_CONTEXT]));
		json_object_object_add(o, "chain_down",
				       json_object_new_int64((int64_t)d.reason[PP_DROP_CHAIN_DOWN]));
		for (uint32_t h = 0; h < c->n_hops; h++) {
			json_object *ho = json_object_new_object(), *insts = json_object_new_array();
			__u64 sent = 0, back = 0;

			for (uint32_t k = 0; k < c->hops[h].n_inst; k++) {
				const struct pp_cfg_chain_inst *in = &c->hops[h].inst[k];
				json_object *io = json_object_new_object(), *ports = json_object_new_array();
				__u64 isent = 0, iback = 0;

				json_object_object_add(io, "instance-port", json_object_new_string(
					cfg->iports[cfg->sports[in->in].iport].name));
				for (int p = 0; p < (in->in == in->out ? 1 : 2); p++) {
					uint32_t s = p ? in->out : in->in;
					struct pp_sport_stats st = hop_port_stats(a, s);
					json_object *po = json_object_new_object();

					json_object_object_add(po, "service-port",
							       json_object_new_string(cfg->sports[s].name));
					json_object_object_add(po, "tx_packets", json_object_new_int64(st.tx_packets));
					json_object_object_add(po, "tx_bytes", json_object_new_int64(st.tx_bytes));
					json_object_object_add(po, "rx_packets", json_object_new_int64(st.rx_packets));
					json_object_object_add(po, "rx_bytes", json_object_new_int64(st.rx_bytes));
					json_object_array_add(ports, po);
					isent += st.tx_packets;
					iback += st.rx_packets;
				}
				json_object_object_add(io, "ingress", json_object_new_string(cfg->sports[in->in].name));
				json_object_object_add(io, "egress", json_object_new_string(cfg->sports[in->out].name));
				json_object_object_add(io, "weight", json_object_new_int64(in->weight));
				/* to the function (either way), and back from it */
				json_object_object_add(io, "sent_packets", json_object_new_int64((int64_t)isent));
				json_object_object_add(io, "returned_packets", json_object_new_int64((int64_t)iback));
				json_object_object_add(io, "ports", ports);
				json_object_array_add(insts, io);
				sent += isent;
				back += iback;
			}
			json_object_object_add(ho, "hop", json_object_new_int64(h + 1));
			json_object_object_add(ho, "sent_packets", json_object_new_int64((int64_t)sent));
			json_object_object_add(ho, "returned_packets", json_object_new_int64((int64_t)back));
			json_object_object_add(ho, "instances", insts);
			json_object_array_add(hops, ho);
		}
		json_object_object_add(o, "hops", hops);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The chains' counters in the exposition format. */
static void chains_metrics(struct pp_api *a, struct sbuf *b)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_maps *m = pp_daemon_maps(a->d);

	sb_printf(b, "# HELP polyport_chain_frames_total Frames a chain's classifier steered into "
		  "it (forward; reverse: the replies of a symmetric chain).\n");
	sb_printf(b, "# TYPE polyport_chain_frames_total counter\n");
	for (uint32_t i = 0; cfg && i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];
		__u32 id = pp_daemon_status(a->d, PP_NAME_CHAIN, i)->id;

		for (int r = 0; r < (c->symmetric ? 2 : 1); r++)
			sb_printf(b, "polyport_chain_frames_total{chain=\"%s\",direction=\"%s\"} %llu\n",
				  c->name, r ? "reverse" : "forward",
				  (unsigned long long)chain_classified(m, id, c, r ? PP_DIR_CHAIN_REV :
										     PP_DIR_CHAIN_FWD));
	}
	sb_printf(b, "# HELP polyport_chain_hop_frames_total Frames a chain's hop port sent to its "
		  "function (to_function) or received back from it (from_function).\n");
	sb_printf(b, "# TYPE polyport_chain_hop_frames_total counter\n");
	for (uint32_t i = 0; cfg && i < cfg->n_chains; i++) {
		const struct pp_cfg_chain *c = &cfg->chains[i];

		for (uint32_t h = 0; h < c->n_hops; h++)
			for (uint32_t k = 0; k < c->hops[h].n_inst; k++) {
				const struct pp_cfg_chain_inst *in = &c->hops[h].inst[k];

				for (int p = 0; p < (in->in == in->out ? 1 : 2); p++) {
					uint32_t s = p ? in->out : in->in;
					struct pp_sport_stats st = hop_port_stats(a, s);

					for (int dir = 0; dir < 2; dir++)
						sb_printf(b, "polyport_chain_hop_frames_total{chain=\"%s\","
							  "hop=\"%u\",instance=\"%s\",port=\"%s\","
							  "direction=\"%s\"} %llu\n", c->name, h + 1,
							  cfg->iports[cfg->sports[in->in].iport].name,
							  cfg->sports[s].name,
							  dir ? "from_function" : "to_function",
							  (unsigned long long)(dir ? st.rx_packets :
										     st.tx_packets));
				}
			}
	}
}

json_object *stats_json(struct pp_api *a)
{
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_maps *m = pp_daemon_maps(a->d);
	json_object *root = json_object_new_object(), *sps = json_object_new_array(),
		    *drops = json_object_new_array();

	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *s = &cfg->sports[i];
		__u32 id = obj_st(a, K_SPORT, i)->id;
		struct pp_sport_stats st = {};
		json_object *o = json_object_new_object();

		if (id)
			pp_sport_stats_get(m, id, &st);
		json_object_object_add(o, "instance-port", json_object_new_string(cfg->iports[s->iport].name));
		json_object_object_add(o, "service-port", json_object_new_string(s->name));
		json_object_object_add(o, pp_cfg_sport_on_net(s) ? "network" :
				       pp_cfg_sport_on_chain(s) ? "chain" : "l3-domain",
				       json_object_new_string(pp_cfg_sport_bound(cfg, s)));
		json_object_object_add(o, "rx_packets", json_object_new_int64(st.rx_packets));
		json_object_object_add(o, "rx_bytes", json_object_new_int64(st.rx_bytes));
		json_object_object_add(o, "tx_packets", json_object_new_int64(st.tx_packets));
		json_object_object_add(o, "tx_bytes", json_object_new_int64(st.tx_bytes));
		{	/* what its services did (issue 6) */
			struct pp_svc_stats sv = {};
			json_object *so = json_object_new_object();
			const __u64 *v = (const __u64 *)&sv;

			if (id)
				pp_svc_stats_get(m, id, &sv);
			for (int x = 0; x < PP_SVC_STAT_COUNT; x++)
				json_object_object_add(so, pp_svc_stat_names[x],
						       json_object_new_int64((int64_t)v[x]));
			json_object_object_add(o, "services", so);
		}
		if (s->security && s->n_ingress + s->n_egress) {	/* packets per rule */
			json_object *ro = json_object_new_object();

			for (int dir = 0; dir < 2; dir++) {
				json_object *arr = json_object_new_array();
				uint32_t n = dir ? s->n_egress : s->n_ingress;

				for (uint32_t r = 0; r < n && r < PP_RULES_MAX_BPF; r++)
					json_object_array_add(arr, json_object_new_int64((int64_t)
						(id ? pp_rule_stat_get(m, id, (__u8)(dir ? PP_DIR_EGRESS :
						 PP_DIR_INGRESS), (__u16)r) : 0)));
				json_object_object_add(ro, dir ? "egress" : "ingress", arr);
			}
			json_object_object_add(o, "rules", ro);
		}
		json_object_array_add(sps, o);
	}
	for (int k = 0; k < DROPS_KINDS; k++) {
		const char *name;
		struct pp_drops d;
		int row;

		for (uint32_t i = 0; (row = drops_row(a, k, i, &name, &d)) >= 0; i++) {
			json_object *o, *r;

			if (!row)
				continue;
			o = json_object_new_object();
			r = json_object_new_object();
			json_object_object_add(o, drops_label[k][0], json_object_new_string(name));
			for (int x = 0; x < PP_DROP_MAX; x++)
				json_object_object_add(r, pp_drop_names[x], json_object_new_int64(d.reason[x]));
			json_object_object_add(o, "reasons", r);
			json_object_array_add(drops, o);
		}
	}
	json_object_object_add(root, "service-ports", sps);
	json_object_object_add(root, "drops", drops);
	{	/* the ICMP errors of each L3 domain's gateways (issue 16) */
		json_object *doms = json_object_new_array();

		for (uint32_t i = 0; cfg && i < cfg->n_l3domains; i++) {
			json_object *o = json_object_new_object();
			struct pp_l3icmp ic = {};
			__u32 id = obj_st(a, K_L3DOM, i)->id;

			if (id)
				pp_l3icmp_get(m, id, &ic);
			json_object_object_add(o, "l3-domain", json_object_new_string(cfg->l3domains[i].name));
			json_object_object_add(o, "icmp_sent", json_object_new_int64((int64_t)ic.sent));
			json_object_object_add(o, "icmp_limited", json_object_new_int64((int64_t)ic.limited));
			json_object_array_add(doms, o);
		}
		json_object_object_add(root, "l3-domains", doms);
	}
	json_object_object_add(root, "chains", chains_json(a));	/* issue 17 */
	json_object_object_add(root, "map_writes", json_object_new_int64(m->writes));
	json_object_object_add(root, "reconciles", json_object_new_int64(pp_daemon_reconciles(a->d)));
	json_object_object_add(root, "requests", json_object_new_int64(a->requests));
	return root;
}

char *metrics_text(struct pp_api *a)
{
	static const char *const sp_metrics[4][2] = {
		{ "rx_packets", "Frames the VM sent on the service port." },
		{ "rx_bytes", "Bytes the VM sent on the service port, tags included." },
		{ "tx_packets", "Frames delivered to the VM on the service port." },
		{ "tx_bytes", "Bytes delivered to the VM on the service port, tags included." },
	};
	const struct pp_config *cfg = pp_daemon_config(a->d);
	const struct pp_maps *m = pp_daemon_maps(a->d);
	struct pp_sport_stats *st = calloc(cfg ? cfg->n_sports + 1 : 1, sizeof(*st));
	struct sbuf b = {};

	if (!st)
		return NULL;
	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++)
		if (obj_st(a, K_SPORT, i)->id)
			pp_sport_stats_get(m, obj_st(a, K_SPORT, i)->id, &st[i]);
	for (int x = 0; x < 4; x++) {
		sb_printf(&b, "# HELP polyport_service_port_%s_total %s\n", sp_metrics[x][0],
			  sp_metrics[x][1]);
		sb_printf(&b, "# TYPE polyport_service_port_%s_total counter\n", sp_metrics[x][0]);
		for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
			const struct pp_cfg_sport *s = &cfg->sports[i];
			__u64 v = x == 0 ? st[i].rx_packets : x == 1 ? st[i].rx_bytes :
				  x == 2 ? st[i].tx_packets : st[i].tx_bytes;

			sb_printf(&b, "polyport_service_port_%s_total{instance_port=\"%s\","
				  "service_port=\"%s\",%s=\"%s\"} %llu\n", sp_metrics[x][0],
				  cfg->iports[s->iport].name, s->name,
				  pp_cfg_sport_on_net(s) ? "network" :
				  pp_cfg_sport_on_chain(s) ? "chain" : "l3_domain",
				  pp_cfg_sport_bound(cfg, s), (unsigned long long)v);
		}
	}
	free(st);
	{	/* the services' counters (issue 6) */
		static const char *const help[PP_SVC_STAT_COUNT] = {
			"ARP requests and IPv6 neighbor solicitations answered by the responder.",
			"DHCP OFFERs sent.", "DHCP ACKs sent.", "DHCP NAKs sent.",
			"Malformed DHCP requests dropped.",
			"Frames dropped by port security (spoofed sources, rogue DHCP servers and "
			"routers, malformed IPv6).",
			"Frames dropped by the service port's stateless rules.",
		};

		for (int x = 0; x < PP_SVC_STAT_COUNT; x++) {
			sb_printf(&b, "# HELP polyport_service_%s_total %s\n", pp_svc_stat_names[x],
				  help[x]);
			sb_printf(&b, "# TYPE polyport_service_%s_total counter\n",
				  pp_svc_stat_names[x]);
			for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
				const struct pp_cfg_sport *s = &cfg->sports[i];
				__u32 id = obj_st(a, K_SPORT, i)->id;
				struct pp_svc_stats sv = {};

				if (id)
					pp_svc_stats_get(m, id, &sv);
				sb_printf(&b, "polyport_service_%s_total{instance_port=\"%s\","
					  "service_port=\"%s\"} %llu\n", pp_svc_stat_names[x],
					  cfg->iports[s->iport].name, s->name,
					  (unsigned long long)((const __u64 *)&sv)[x]);
			}
		}
	}
	sb_printf(&b, "# HELP polyport_rule_packets_total Packets matched by each security rule.\n");
	sb_printf(&b, "# TYPE polyport_rule_packets_total counter\n");
	for (uint32_t i = 0; cfg && i < cfg->n_sports; i++) {
		const struct pp_cfg_sport *s = &cfg->sports[i];
		__u32 id = obj_st(a, K_SPORT, i)->id;

		for (int dir = 0; s->security && id && dir < 2; dir++)
			for (uint32_t r = 0; r < (dir ? s->n_egress : s->n_ingress) &&
					     r < PP_RULES_MAX_BPF; r++)
				sb_printf(&b, "polyport_rule_packets_total{instance_port=\"%s\","
					  "service_port=\"%s\",direction=\"%s\",rule=\"%u\"} %llu\n",
					  cfg->iports[s->iport].name, s->name,
					  dir ? "egress" : "ingress", r,
					  (unsigned long long)pp_rule_stat_get(m, id,
						(__u8)(dir ? PP_DIR_EGRESS : PP_DIR_INGRESS), (__u16)r));
	}
	sb_printf(&b, "# HELP polyport_drops_total Frames dropped, by reason.\n");
	sb_printf(&b, "# TYPE polyport_drops_total counter\n");
	for (int k = 0; k < DROPS_KINDS; k++) {
		const char *name;
		struct pp_drops d;
		int row;

		for (uint32_t i = 0; (row = drops_row(a, k, i, &name, &d)) >= 0; i++)
			for (int r = 0; row && r < PP_DROP_MAX; r++)
				sb_printf(&b, "polyport_drops_total{%s=\"%s\",reason=\"%s\"} %llu\n",
					  drops_label[k][1], name, pp_drop_names[r],
					  (unsigned long long)d.reason[r]);
	}
	sb_printf(&b, "# HELP polyport_l3_icmp_errors_total ICMP errors of an L3 domain's gateways "
		  "(time exceeded, fragmentation needed, packet too big): sent, or not sent over "
		  "the rate limit.\n");
	sb_printf(&b, "# TYPE polyport_l3_icmp_errors_total counter\n");
	for (uint32_t i = 0; cfg && i < cfg->n_l3domains; i++) {
		struct pp_l3icmp ic = {};
		__u32 id = obj_st(a, K_L3DOM, i)->id;

		if (id)
			pp_l3icmp_get(m, id, &ic);
		sb_printf(&b, "polyport_l3_icmp_errors_total{l3_domain=\"%s\",result=\"sent\"} %llu\n",
			  cfg->l3domains[i].name, (unsigned long long)ic.sent);
		sb_printf(&b, "polyport_l3_icmp_errors_total{l3_domain=\"%s\",result=\"limited\"} "
			  "%llu\n", cfg->l3domains[i].name, (unsigned long long)ic.limited);
	}
	chains_metrics(a, &b);	/* issue 17 */
	sb_printf(&b, "# HELP polyport_instance_port_status 1 for the instance port's current status.\n");
	sb_printf(&b, "# TYPE polyport_instance_port_status gauge\n");
	for (uint32_t i = 0; cfg && i < cfg->n_iports; i++) {
		for (int s = PP_ST_ACTIVE; s <= PP_ST_ERROR; s++)
			sb_printf(&b, "polyport_instance_port_status{instance_port=\"%s\",status=\"%s\"} %d\n",
				  cfg->iports[i].name, pp_status_name(s),
				  obj_st(a, K_IPORT, i)->status == (enum pp_status)s);
		sb_printf(&b, "polyport_instance_port_status{instance_port=\"%s\",status=\"UNKNOWN\"} 0\n",
			  cfg->iports[i].name);
	}
	/* cluster mode: the store's instance ports on other hosts, as they report */
	if (a->cl) {
		json_object_object_foreach(store_kind(a->store, K_IPORT), ipn, ipo) {
			const char *cur;

			(void)ipo;
			if (find_obj(a, K_IPORT, ipn) >= 0)
				continue;
			cur = cluster_iport_status(a, ipn);
			for (int s = PP_ST_ACTIVE; s <= PP_ST_ERROR + 1; s++) {
				const char *sn = s <= PP_ST_ERROR ? pp_status_name(s) : "UNKNOWN";

				sb_printf(&b, "polyport_instance_port_status{instance_port=\"%s\",status=\"%s\"} %d\n",
					  ipn, sn, !strcmp(cur, sn));
			}
		}
	}
	sb_printf(&b, "# HELP polyport_reconcile_total Reconciles done.\n");
	sb_printf(&b, "# TYPE polyport_reconcile_total counter\n");
	sb_printf(&b, "polyport_reconcile_total %lu\n", pp_daemon_reconciles(a->d));
	sb_printf(&b, "# HELP polyport_reconcile_duration_seconds Time spent reconciling.\n");
	sb_printf(&b, "# TYPE polyport_reconcile_duration_seconds summary\n");
	sb_printf(&b, "polyport_reconcile_duration_seconds_sum %.6f\n",
		  pp_daemon_total_reconcile_ms(a->d) / 1e3);
	sb_printf(&b, "polyport_reconcile_duration_seconds_count %lu\n", pp_daemon_reconciles(a->d));
	sb_printf(&b, "# HELP polyport_map_writes_total BPF map entries written by the daemon.\n");
	sb_printf(&b, "# TYPE polyport_map_writes_total counter\n");
	sb_printf(&b, "polyport_map_writes_total %lu\n", m->writes);
	sb_printf(&b, "# HELP polyport_state_file_damaged 1 while the API's state file is damaged "
		  "and its objects are kept as pinned.\n");
	sb_printf(&b, "# TYPE polyport_state_file_damaged gauge\n");
	sb_printf(&b, "polyport_state_file_damaged %d\n", a->sf.damaged);
	return b.s;
}
