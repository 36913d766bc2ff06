# polyport — one vNIC, many networks.
#
#   make            build the BPF objects, their skeletons and every binary
#   make deps       install the Debian packages needed (as root)
#   make test       deps + build + every test; ends with "N passed, N failed"
#   make run        the demo: a topology, polyportd, traffic per network
#   make install    PREFIX=/usr/local DESTDIR=
#
# Everything is built into build/.

.DELETE_ON_ERROR:
.SUFFIXES:

B        := build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PREFIX   ?= /usr/local
DESTDIR  ?=

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Imaps -Iloader -I$(B) \
	    $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
LDLIBS   := -lbpf -lelf -lz
NL_LIBS  := -lnl-route-3 -lnl-3

ARCH_INC := -I/usr/include/$(shell uname -m)-linux-gnu
BPF_CFLAGS := -target bpf -O2 -g $(WARN) -Iinclude -Imaps -Ibpf -Ibpf/lib -Itests/bpf $(ARCH_INC)

BPF_HDRS := $(wildcard include/*.h maps/*.bpf.h bpf/ctx/*.h bpf/lib/*.h tests/bpf/test_log.h)
PROGS    := tap netdev

# Each program file is built twice: TC (ctx/skb.h) and XDP (-DPP_XDP, ctx/xdp.h).
SKELS      := $(PROGS:%=$(B)/%.skel.h) $(PROGS:%=$(B)/%_xdp.skel.h)
TEST_SKELS := $(PROGS:%=$(B)/%_test.skel.h) $(PROGS:%=$(B)/%_xdp_test.skel.h)
LIB_OBJS   := $(B)/maps.o $(B)/dataplane.o $(B)/xdp.o
CFG_OBJS   := $(B)/config.o

DAEMON_OBJS := $(B)/api.o $(B)/reconcile.o $(B)/log.o $(CFG_OBJS) $(LIB_OBJS)

BINS := $(B)/polyportd $(B)/polyportctl $(B)/ppguest $(B)/tests/prog_test $(B)/tests/corpus \
	$(B)/tests/test_maps $(B)/tests/ppwire \
	$(B)/tests/test_config $(B)/tests/ppsend $(B)/tests/noop.bpf.o $(B)/tests/xdp_pass.bpf.o $(B)/tests/perf_test_run \
	$(B)/tests/vlan_meta.bpf.o

.PHONY: all deps test clean run install perf-test-run
all: $(BINS)

deps:
	@scripts/deps.sh

$(B) $(B)/tests:
	@mkdir -p $@

# ---- BPF ---------------------------------------------------------------------
$(B)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(B)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/%.test.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(B)
	$(CLANG) $(BPF_CFLAGS) -DPP_TEST -c $< -o $@

$(B)/%.skel.h: $(B)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(B)/%_test.skel.h: $(B)/%.test.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_test_bpf > $@

$(B)/%.xdp.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(B)
	$(CLANG) $(BPF_CFLAGS) -DPP_XDP -c $< -o $@

$(B)/%.xdp.test.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(B)
	$(CLANG) $(BPF_CFLAGS) -DPP_XDP -DPP_TEST -c $< -o $@

$(B)/%_xdp.skel.h: $(B)/%.xdp.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_xdp_bpf > $@

$(B)/%_xdp_test.skel.h: $(B)/%.xdp.test.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_xdp_test_bpf > $@

# ---- userspace ---------------------------------------------------------------
$(B)/maps.o: maps/maps.c maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/dataplane.o: loader/dataplane.c loader/dataplane.h maps/maps.h $(SKELS) | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/xdp.o: loader/xdp.c loader/xdp.h loader/dataplane.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/reconcile.o: loader/reconcile.c loader/reconcile.h loader/config.h loader/dataplane.h \
		loader/log.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/api.o: loader/api.c loader/api.h loader/reconcile.h loader/config.h loader/log.h \
		loader/dataplane.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/log.o: loader/log.c loader/log.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/polyportd: loader/polyportd.c $(DAEMON_OBJS) | $(B)
	$(CC) $(CFLAGS) -o $@ $< $(DAEMON_OBJS) $(LDLIBS) $(NL_LIBS) -lyaml -ljson-c -lmicrohttpd

$(B)/polyportctl: loader/polyportctl.c $(LIB_OBJS) | $(B)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -ljson-c -lcurl -lyaml

$(B)/config.o: loader/config.c loader/config.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/ppguest: vm/guest/ppguest.c | $(B)
	$(CC) $(CFLAGS) -o $@ $<

$(B)/tests/prog_test: tests/bpf/prog_test.c tests/bpf/frames.h tests/bpf/test_log.h \
		tests/bpf/progs.h $(TEST_SKELS) $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The hostile-frame corpus: generated frames, both programs, an oracle (make corpus).
$(B)/tests/corpus: tests/bpf/corpus.c tests/bpf/test_log.h tests/bpf/progs.h \
		$(TEST_SKELS) $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(B)/tests/test_maps: tests/unit/test_maps.c $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

$(B)/tests/ppwire: tests/e2e/ppwire.c $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(B)/tests/ppsend: tests/e2e/ppsend.c | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $<

$(B)/tests/test_config: tests/unit/test_config.c $(CFG_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(CFG_OBJS) -lyaml -lcmocka

$(B)/tests/noop.bpf.o: tests/e2e/noop.bpf.c | $(B)/tests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/tests/xdp_pass.bpf.o: tests/e2e/xdp_pass.bpf.c | $(B)/tests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/tests/vlan_meta.bpf.o: tests/e2e/vlan_meta.bpf.c | $(B)/tests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/lookup_bench.bpf.o: tests/bpf/lookup_bench.bpf.c | $(B)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/tests/perf_test_run: tests/bpf/perf_test_run.c tests/bpf/frames.h $(SKELS) \
		$(B)/lookup_bench.skel.h $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(LIB_OBJS) $(LDLIBS)

# ---- tests -------------------------------------------------------------------
test: deps
	@$(MAKE) --no-print-directory all
	@tests/run.sh

# Per-frame cost of the XDP and TC programs through BPF_PROG_TEST_RUN at 1,
# 4,094 and 100,000 service ports (not part of make test).
perf-test-run: $(B)/tests/perf_test_run
	$(B)/tests/perf_test_run

# The whole hostile-frame corpus (make test runs its first 100,000 frames):
# 1,000,000 frames with the fixed seed, then 200,000 with each of three
# random seeds (printed: replay with build/tests/corpus --seed S).  As root.
CORPUS_SEEDS ?= 3
.PHONY: corpus
corpus: $(B)/tests/corpus
	@rc=0; $(B)/tests/corpus --frames 1000000 || rc=1; \
	for i in $$(seq $(CORPUS_SEEDS)); do \
		seed=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); \
		echo "corpus: random seed $$seed"; \
		$(B)/tests/corpus --frames 200000 --seed $$seed || rc=1; \
	done; exit $$rc

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

BINDIR  := $(PREFIX)/bin
SBINDIR := $(PREFIX)/sbin
MANDIR  := $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system

install: $(B)/polyportd $(B)/polyportctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)/etc/polyport/bindings.d
	install -m 0755 $(B)/polyportd $(DESTDIR)$(SBINDIR)/polyportd
	install -m 0755 $(B)/polyportctl $(DESTDIR)$(BINDIR)/polyportctl
	sed 's|@SBINDIR@|$(SBINDIR)|' scripts/systemd/polyportd.service \
		> $(DESTDIR)$(UNITDIR)/polyportd.service
	install -m 0644 doc/polyportd.8 doc/polyportctl.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -rf $(B)

# The real-guest end-to-end test alone (QEMU, Debian cloud kernel, busybox
# initramfs; vm/): deps, build, then the suite with make test's summary line.
.PHONY: test-vm
test-vm: deps
	@$(MAKE) --no-print-directory all
	@tests/run.sh e2e:vm

# ---- benchmarks (bench/; not part of make test, except bench-smoke) ----------
# make bench: every path side by side with its ceiling and the peers (Linux
# bridge, OVS), polyportd's control-plane figures; a table, build/bench/
# results.json and build/bench/bench.png.  make bench-smoke: the same code
# in seconds, checking only that the numbers are sane.  Both as root.
.PHONY: bench bench-smoke
BENCH_BIN := $(B)/bench/ppbench

$(B)/bench:
	@mkdir -p $@

$(B)/bench/gen.bpf.o: bench/gen.bpf.c | $(B)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/bench/gen.skel.h: $(B)/bench/gen.bpf.o
	$(BPFTOOL) gen skeleton $< name gen_bpf > $@

$(BENCH_BIN): bench/ppbench.c tests/bpf/frames.h $(B)/bench/gen.skel.h $(LIB_OBJS) | $(B)/bench
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(LIB_OBJS) $(LDLIBS) -lm

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@bench/bench.sh

bench-smoke: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@bench/smoke.sh
