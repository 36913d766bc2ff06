/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Per-CPU counters: service-port traffic and drops by reason. */
#ifndef PP_BPF_COUNTERS_H
#define PP_BPF_COUNTERS_H

#include "maps.bpf.h"

static __always_inline void pp_count_rx(__u32 sport, __u32 bytes)
{
	struct pp_sport_stats *s = bpf_map_lookup_elem(&PP_MAP_SPORT_STATS, &sport);

	if (s) {
		s->rx_packets++;
		s->rx_bytes += bytes;
	}
}

static __always_inline void pp_count_tx(__u32 sport, __u32 bytes)
{
	struct pp_sport_stats *s = bpf_map_lookup_elem(&PP_MAP_SPORT_STATS, &sport);

	if (s) {
		s->tx_packets++;
		s->tx_bytes += bytes;
	}
}

static __always_inline void pp_count_drop(void *map, __u32 idx, __u32 reason)
{
	struct pp_drops *d = bpf_map_lookup_elem(map, &idx);

	/* One register for the check and the index, or the verifier loses it. */
	asm volatile("" : "+r"(reason));
	if (d && reason < PP_DROP_MAX)
		d->reason[reason]++;
}

/* Count what a service of service port id did (a field of pp_svc_stats). */
#define pp_count_svc(id, field) do {						\
	__u32 _k = (id);							\
	struct pp_svc_stats *_s = bpf_map_lookup_elem(&PP_MAP_SVC_STATS, &_k);	\
	if (_s)									\
		_s->field++;							\
} while (0)

/* Drop a frame from a VM, counted on its instance port (slot 0: unknown tap). */
static __always_inline int pp_drop_iport(__u32 slot, __u32 reason)
{
	pp_count_drop(&PP_MAP_IPORT_DROPS, slot, reason);
	return CTX_ACT_DROP;
}

/* Drop a frame toward VMs, counted on its network (0: unknown network). */
static __always_inline int pp_drop_net(__u32 net_id, __u32 reason)
{
	pp_count_drop(&PP_MAP_NET_DROPS, net_id, reason);
	return CTX_ACT_DROP;
}

#endif /* PP_BPF_COUNTERS_H */
