/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The harness the BPF_PROG_TEST_RUN tests share (prog_test.c, corpus.c and
 * the fuzz targets that run the programs):
 * - the PP_TEST builds of bpf/tap.bpf.c and bpf/netdev.bpf.c, for TC and for
 *   XDP, loaded with one set of maps pinned under a private pin root;
 * - a network namespace of the test's own in which every ifindex of its
 *   topology is a real device (XDP's TEST_RUN wants one for ctx_in's
 *   ingress_ifindex, and pp_xdp_tx, a devmap, only takes real devices);
 * - one frame through one of them (progs_run(): TC or XDP, the outer tag
 *   in the frame or in skb metadata), and an output frame read back as it
 *   leaves (a tag in skb metadata put back).
 * Each test writes its own topology into the maps through maps/ and the
 * loader's ordered writes, as polyportd does.
 */
#ifndef PP_TEST_PROGS_H
#define PP_TEST_PROGS_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dataplane.h"
#include "../../bpf/test/test_log.h"
#include "../pins.h"
#include "tap_test.skel.h"
#include "netdev_test.skel.h"
#include "tap_xdp_test.skel.h"
#include "netdev_xdp_test.skel.h"

struct progs {
	struct tap_test_bpf *tap;
	struct netdev_test_bpf *net;
	struct tap_xdp_test_bpf *tap_xdp;
	struct netdev_xdp_test_bpf *net_xdp;
	struct pp_maps maps;
};

/* Enter a network namespace of our own with a bridge "ppt<i>" of index i for each i in devs. */
static inline int progs_netns(const uint32_t *devs, unsigned n)
{
	char cmd[128];

	if (unshare(CLONE_NEWNET))
		return -errno;
	for (unsigned i = 0; i < n; i++) {
		snprintf(cmd, sizeof(cmd), "ip link add name ppt%u index %u type bridge", devs[i],
			 devs[i]);
		if (system(cmd))
			return -EIO;
	}
	return 0;
}

/* Open and load the four programs with maps of sizes s under pin_root; p->maps adopts them. */
static inline int progs_load(struct progs *p, const char *pin_root, const struct pp_map_sizes *s)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_root);
	int fds[PPM_COUNT], err;

	err = pp_bpffs_prepare(pin_root);
	if (err)
		return err;
	p->tap = tap_test_bpf__open_opts(&opts);
	p->net = netdev_test_bpf__open_opts(&opts);
	p->tap_xdp = tap_xdp_test_bpf__open_opts(&opts);
	p->net_xdp = netdev_xdp_test_bpf__open_opts(&opts);
	if (!p->tap || !p->net || !p->tap_xdp || !p->net_xdp)
		return -errno;
	if ((err = pp_obj_set_sizes(p->tap->obj, s)) || (err = pp_obj_set_sizes(p->net->obj, s)) ||
	    (err = pp_obj_set_sizes(p->tap_xdp->obj, s)) ||
	    (err = pp_obj_set_sizes(p->net_xdp->obj, s)) ||
	    (err = tap_test_bpf__load(p->tap)) || (err = netdev_test_bpf__load(p->net)) ||
	    (err = tap_xdp_test_bpf__load(p->tap_xdp)) ||
	    (err = netdev_xdp_test_bpf__load(p->net_xdp)))
		return err;
	for (int i = 0; i < PPM_COUNT; i++)
		fds[i] = bpf_map__fd(bpf_object__find_map_by_name(p->tap->obj, pp_map_desc[i].name));
	return pp_maps_adopt(&p->maps, fds);
}

/* Unload everything and remove the pins (also after a failed progs_load). */
static inline void progs_cleanup(struct progs *p, const char *pin_root)
{
	pp_maps_close(&p->maps);
	tap_test_bpf__destroy(p->tap);
	netdev_test_bpf__destroy(p->net);
	tap_xdp_test_bpf__destroy(p->tap_xdp);
	netdev_xdp_test_bpf__destroy(p->net_xdp);
	pins_remove(pin_root);
}

/*
 * One BPF_PROG_TEST_RUN of one of the four programs.  The caller says which
 * program and what frame; progs_run() fills in what the run gave.
 */
struct prog_run {
	int tap;		/* the tap's program (else a network device's) */
	int xdp;		/* its XDP build (else its TC build) */
	int meta;		/* TC: the frame's outer tag goes into skb metadata */
	uint32_t ifindex;	/* where the frame arrives */
	uint8_t *in;		/* the frame, len bytes (meta takes its outer tag out) */
	uint32_t len;
	uint8_t *out;		/* room for the frame as the program leaves it */
	uint32_t out_size;
	/* what the run gave */
	uint32_t retval;
	uint32_t size_out;	/* bytes of the frame in out */
	const struct pp_test_out *log;	/* the redirects and clones, nlog of them */
	uint32_t nlog;
};

/* The program prog of skeleton s, with its test log and emulated skb metadata. */
#define PROGS_PICK(s, prog)						\
	do {								\
		fd = bpf_program__fd((s)->progs.prog);			\
		log = (s)->bss->pp_test_log;				\
		nlog = &(s)->bss->pp_test_nlog;				\
		tm = &(s)->bss->pp_test_meta;				\
	} while (0)

/*
 * Run r's frame.  With r->meta the outer tag (at byte 12) moves into the
 * emulated skb metadata, as the receive path of a tap leaves it
 * (BPF_PROG_TEST_RUN refuses vlan_tci in ctx_in, so the shim injects it);
 * the metadata is cleared again after the run, so that no later run finds a
 * tag the program did not consume.  Returns 0 or TEST_RUN's -errno.
 */
static inline int progs_run(struct progs *p, struct prog_run *r)
{
	struct __sk_buff skb = { .ingress_ifindex = r->ifindex };
	struct xdp_md md = { .ingress_ifindex = r->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = r->out, .data_size_out = r->out_size);
	struct pp_test_meta *tm;
	struct pp_test_out *log;
	uint32_t *nlog;
	int fd, err;

	if (r->xdp && r->tap)
		PROGS_PICK(p->tap_xdp, pp_tap_xdp);
	else if (r->xdp)
		PROGS_PICK(p->net_xdp, pp_net_xdp);
	else if (r->tap)
		PROGS_PICK(p->tap, pp_tap_ingress);
	else
		PROGS_PICK(p->net, pp_net_ingress);
	if (r->xdp) {
		md.data_end = r->len;
		o.ctx_in = &md;
		o.ctx_size_in = sizeof(md);
	} else {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
		memset(tm, 0, sizeof(*tm));
		if (r->meta) {
			tm->present = 1;
			memcpy(&tm->proto, r->in + 12, 2);
			tm->tci = r->in[14] << 8 | r->in[15];
			memmove(r->in + 12, r->in + 16, r->len - 16);
			r->len -= 4;
		}
	}
	o.data_in = r->in;
	o.data_size_in = r->len;
	*nlog = 0;
	err = bpf_prog_test_run_opts(fd, &o);
	if (!r->xdp)
		memset(tm, 0, sizeof(*tm));
	r->retval = o.retval;
	r->size_out = o.data_size_out;
	r->log = log;
	r->nlog = *nlog;
	return err;
}
#undef PROGS_PICK

/* The frame as it leaves: a tag in skb metadata goes back after the MACs. */
static inline uint32_t wire(const struct pp_test_out *o, const uint8_t *data, uint32_t len,
			    uint8_t *out)
{
	if (!o->meta_present) {
		memcpy(out, data, len);
		return len;
	}
	memcpy(out, data, 12);
	out[12] = ntohs(o->meta_proto) >> 8;
	out[13] = ntohs(o->meta_proto) & 0xff;
	out[14] = o->meta_tci >> 8;
	out[15] = o->meta_tci & 0xff;
	memcpy(out + 16, data + 12, len - 12);
	return len + 4;
}

#endif /* PP_TEST_PROGS_H */
