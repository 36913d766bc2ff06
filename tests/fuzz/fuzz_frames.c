// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Fuzz target: the frame programs (bpf/tap.bpf.c and bpf/netdev.bpf.c, their
 * TC and XDP builds) through BPF_PROG_TEST_RUN, judged by the oracle of the
 * hostile-frame corpus (tests/bpf/oracle.h, on corpus.c's topology).
 *
 * The input: byte 0 the direction (even: a frame a VM sends on its tap; odd:
 * a frame arriving on a network device), byte 1 the source (its index among
 * the taps or the network devices, modulo their number), byte 2 flags (bit
 * 0: TC runs the frame a second time with its outer 0x8100/0x88a8 tag in skb
 * metadata, where the kernel's receive path puts it), then the frame, cut at
 * FRAME_MAX bytes.  An input with less than 14 bytes of frame is not run
 * (BPF_PROG_TEST_RUN refuses such frames).
 *
 * A finding, besides the sanitizers (userspace only: the programs run in the
 * kernel): a run that does not give the oracle's result, XDP not doing what
 * TC did (or handing a frame to TC unclean), and above all an output that
 * lands in another network than the one the frame names.  Each is printed
 * as corpus.c prints it, then abort().
 *
 * Needs root and BPF.  LLVMFuzzerInitialize() enters a mount namespace with
 * a bpffs of its own (the pins go with the process, even after a crash) and
 * a network namespace with the topology's devices (progs_netns()).
 */
#include <sys/mount.h>
#include "oracle.h"
#include "fuzz.h"

#define FRAME_MAX	2048	/* past every MTU of the topology; outputs stay under FRM */
#define PIN_ROOT	"/sys/fs/bpf/pp-fuzz"

static struct runner r;

/* What each run did: by run, verdict, outputs, the drop reason it counted, direction. */
#define F_VERDICTS	8
#define F_OUTS		4
FUZZ_FEATURES(outcomes, NRUNS * F_VERDICTS * F_OUTS * (PP_DROP_MAX + 1) * 2);

static void count_outcome(const struct got *g, int k, int from_vm)
{
	unsigned reason = PP_DROP_MAX, nout = g->nout < F_OUTS ? g->nout : F_OUTS - 1;

	if (g->ran != 1)
		return;
	for (int i = O_IPORT; i < NCOUNT; i++)
		if (g->delta.c[i] && (i - O_IPORT) % DROP_W < PP_DROP_MAX)
			reason = (i - O_IPORT) % DROP_W;
	FUZZ_FEATURE(outcomes, ((((unsigned)k * F_VERDICTS + g->retval % F_VERDICTS) * F_OUTS +
				 nout) * (PP_DROP_MAX + 1) + reason) * 2 + from_vm);
}

/* What each frame was: source, its first three TPIDs (none, 8100, 88a8, 9100, other), outcome. */
FUZZ_FEATURES(shapes, N_(sources) * 125 * (PP_DROP_MAX + 1));

static void count_shape(unsigned src, const uint8_t *b, uint32_t len, const struct expect *e)
{
	unsigned sig = 0;

	for (uint32_t off = 12, i = 0; i < 3; i++, off += 4) {
		uint16_t t = off + 2 <= len ? be16(b + off) : 0;
		unsigned c = t == 0x8100 ? 1 : t == 0x88a8 ? 2 : t == 0x9100 ? 3 : 4;

		sig = sig * 5 + (off + 2 <= len ? c : 0);
		if (c == 4)
			break;
	}
	FUZZ_FEATURE(shapes, (src * 125 + sig) * (PP_DROP_MAX + 1) + e->reason);
}

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_frames: %s\n", why);
	exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0 || ncpus > 64)
		fail("the number of possible CPUs");
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		fail("a bpffs of our own (needs root)");
	for (int i = 0; i < PPM_COUNT; i++)
		r.p.maps.fd[i] = -1;
	if (progs_netns(devices, N_(devices)) || progs_load(&r.p, PIN_ROOT, &sizes) ||
	    setup_topology(&r.p.maps) || snap_take(&r.p.maps, &r.last))
		fail("loading the programs and the topology (needs root and BPF)");
	return 0;
}

static void report(uint32_t ifindex, const uint8_t *b, uint32_t len, const struct expect *e,
		   const struct got *g, const struct verdict *v)
{
	printf("frame from %s%s%s:\n", dev_name(ifindex), v->disagree ? " [TC/XDP disagree]" : "",
	       v->cross ? " [cross-network delivery]" : "");
	hex("in ", b, len, len);
	show_expect(e);
	for (int k = 0; k < NRUNS; k++)
		if (g[k].ran == 1)
			show_got(&g[k], k, v->bad[k] ? " [not the oracle's]" : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct expect e;
	static struct got g[NRUNS];
	uint32_t taps[N_(sources)], devs[N_(sources)], ifindex, len;
	unsigned ntaps = 0, ndevs = 0;
	struct verdict v;
	int err, meta, from_vm;

	if (size < 3 + 14)
		return 0;
	from_vm = !(data[0] & 1);
	for (unsigned i = 0; i < N_(sources); i++) {
		if (iport_of_tap(sources[i]))
			taps[ntaps++] = sources[i];
		else
			devs[ndevs++] = sources[i];
	}
	ifindex = from_vm ? taps[data[1] % ntaps] : devs[data[1] % ndevs];
	len = size - 3 > FRAME_MAX ? FRAME_MAX : (uint32_t)(size - 3);
	data += 3;
	meta = (data[-1] & 1) && meta_ok(data, len);

	oracle(ifindex, data, len, &e);
	for (unsigned i = 0; i < N_(sources); i++)
		if (sources[i] == ifindex)
			count_shape(i, data, len, &e);
	err = judge(&r, ifindex, data, len, meta, &e, g, &v);
	FUZZ_CHECK(!err, "reading the counters: %s", strerror(-err));
	for (int k = 0; k < NRUNS; k++)
		count_outcome(&g[k], k, from_vm);
	if (v.bad[R_TC] || v.bad[R_TC_META] || v.bad[R_XDP] || v.disagree || v.cross) {
		report(ifindex, data, len, &e, g, &v);
		FUZZ_CHECK(!v.cross, "%d outputs land in another network than the frame's", v.cross);
		FUZZ_CHECK(!v.disagree, "XDP did not do what TC did");
		FUZZ_CHECK(0, "a run disagrees with the oracle");
	}
	return 0;
}
