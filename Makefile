# polyport — one vNIC, many networks.
#
#   make            build the BPF objects, their skeletons and every binary
#   make deps       install the Debian packages needed (as root)
#   make test       deps + build + every test; ends with "N passed, N failed"
#   make fuzz       the libFuzzer targets, FUZZ_S seconds each (tests/fuzz/)
#   make upgrade-test  hot upgrades A -> B -> A ten times under traffic (as root)
#   make run        the demo: a topology, polyportd, traffic per network
#   make run-cluster  the same for many hosts: three polyportd, one etcd (as root)
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
# PP_DEFS: -DPP_UPGRADE_VARIANT=N for the test builds of make variant (tests/e2e/upgrade.sh)
PP_DEFS  ?=
CFLAGS   += $(WARN) $(PP_DEFS) -std=gnu11 -D_GNU_SOURCE -Iinclude -Imaps -Iloader -I$(B) \
	    $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
LDLIBS   := -lbpf -lelf -lz
NL_LIBS  := -lnl-route-3 -lnl-3
NL_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
# links.o (in LIB_OBJS) is on libnl: every binary of LIB_OBJS links it
LDLIBS   += $(NL_LIBS)

ARCH_INC := -I/usr/include/$(shell uname -m)-linux-gnu
BPF_CFLAGS := -target bpf -O2 -g $(WARN) $(PP_DEFS) -Iinclude -Imaps -Ibpf -Ibpf/lib $(ARCH_INC)

BPF_HDRS := $(wildcard include/*.h maps/*.bpf.h bpf/ctx/*.h bpf/lib/*.h bpf/test/*.h)
PROGS    := tap netdev

# Each program file is built twice: TC (ctx/skb.h) and XDP (-DPP_XDP, ctx/xdp.h).
SKELS      := $(PROGS:%=$(B)/%.skel.h) $(PROGS:%=$(B)/%_xdp.skel.h)
TEST_SKELS := $(PROGS:%=$(B)/%_test.skel.h) $(PROGS:%=$(B)/%_xdp_test.skel.h)
LIB_OBJS   := $(B)/maps.o $(B)/layout.o $(B)/dataplane.o $(B)/services.o $(B)/xdpmode.o \
	      $(B)/links.o
# the binding-file loader (loader/config.h): one object per job of loader/config/
CFG_OBJS   := $(patsubst %,$(B)/config/%.o,errors values htab yaml walk networks iports \
		sports bind security dhcp l3domains chains checks load export)
CFG_HDRS   := loader/config.h loader/config/internal.h loader/mode.h loader/util.h \
		loader/services.h include/polyport.h

# the API (loader/api.h): one object per job of loader/api/
API_OBJS   := $(patsubst %,$(B)/api/%.o,router http objects networks l3domains chains iports sports bindings \
		store state kept events metrics place cluster) $(B)/etcd.o
API_HDRS   := loader/api.h loader/api/internal.h loader/reconcile.h loader/daemon.h loader/util.h \
		loader/config.h loader/log.h loader/services.h loader/xdpmode.h loader/dataplane.h \
		loader/mode.h maps/maps.h include/polyport.h

DAEMON_OBJS := $(API_OBJS) $(B)/upgrade.o $(B)/reconcile.o $(B)/chains.o $(B)/l3.o $(B)/l3nh.o $(B)/daemon.o $(B)/log.o $(CFG_OBJS) \
	       $(B)/vxlan.o \
	       $(LIB_OBJS)

BINS := $(B)/polyportd $(B)/polyportctl $(B)/hooks/polyport-ifup $(B)/hooks/polyport-ifdown \
	$(B)/ppguest $(B)/tests/prog_test $(B)/tests/corpus \
	$(B)/tests/test_maps $(B)/tests/ppwire \
	$(B)/tests/test_config $(B)/tests/ppsend $(B)/tests/noop.bpf.o $(B)/tests/xdp_pass.bpf.o $(B)/tests/perf_test_run \
	$(B)/tests/vlan_meta.bpf.o $(B)/tests/ppstream $(B)/tests/test_layout \
	$(B)/tests/test_reconcile $(B)/tests/test_l3nh $(B)/tests/test_place $(B)/tests/test_etcd
# make test replays the fuzz corpora through these (tests/fuzz/, "fuzz" below)
BINS += $(B)/tests/fuzz/replay-loader $(B)/tests/fuzz/replay-api $(B)/tests/fuzz/replay-dhcp \
	$(B)/tests/fuzz/replay-frames

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

$(B)/layout.o: maps/layout.c maps/layout.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/upgrade.o: loader/upgrade.c loader/upgrade.h loader/dataplane.h loader/xdpmode.h maps/layout.h \
		maps/maps.h include/polyport.h $(B)/tap.skel.h $(B)/fold.skel.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/dataplane.o: loader/dataplane.c loader/dataplane.h loader/util.h maps/maps.h $(SKELS) | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/services.o: loader/services.c loader/services.h loader/config.h loader/mode.h maps/maps.h \
		include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/xdpmode.o: loader/xdpmode.c loader/xdpmode.h loader/links.h loader/util.h loader/dataplane.h \
		maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/links.o: loader/links.c loader/links.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/etcd.o: loader/etcd.c loader/etcd.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/reconcile.o: loader/reconcile.c loader/reconcile.h loader/chains.h loader/daemon.h loader/config.h \
		loader/dataplane.h loader/services.h loader/log.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/chains.o: loader/chains.c loader/chains.h loader/daemon.h loader/config.h loader/services.h \
		loader/log.h loader/util.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/l3.o: loader/l3.c loader/l3.h loader/links.h loader/log.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/l3nh.o: loader/l3nh.c loader/l3nh.h loader/log.h loader/util.h maps/maps.h \
		include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/daemon.o: loader/daemon.c loader/daemon.h loader/config.h loader/dataplane.h loader/mode.h \
		maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/vxlan.o: loader/vxlan.c loader/vxlan.h loader/daemon.h loader/links.h loader/log.h \
		loader/dataplane.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/api:
	@mkdir -p $@

$(B)/api/%.o: loader/api/%.c $(API_HDRS) | $(B)/api
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/log.o: loader/log.c loader/log.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/polyportd: loader/polyportd.c $(DAEMON_OBJS) | $(B)
	$(CC) $(CFLAGS) -o $@ $< $(DAEMON_OBJS) $(LDLIBS) -lyaml -ljson-c -lmicrohttpd -lcurl

$(B)/dump.o: loader/dump.c loader/dump.h maps/maps.h include/polyport.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/tap.o: loader/tap.c loader/tap.h loader/links.h | $(B)
	$(CC) $(CFLAGS) -c $< -o $@

# PP_HOOK_DIR: where make install puts the hooks (polyportctl plug prints it);
# the stamp changes, and polyportctl is rebuilt, when PREFIX moves them
.PHONY: hookdir-check
$(B)/hookdir.stamp: hookdir-check | $(B)
	@echo '$(HOOKDIR)' | cmp -s - $@ || echo '$(HOOKDIR)' > $@

$(B)/polyportctl: loader/polyportctl.c loader/config.h loader/tap.h $(B)/dump.o $(B)/tap.o \
		$(B)/hookdir.stamp $(CFG_OBJS) $(LIB_OBJS) | $(B)
	$(CC) $(CFLAGS) -DPP_HOOK_DIR='"$(HOOKDIR)"' -o $@ $< $(B)/dump.o $(B)/tap.o $(CFG_OBJS) \
		$(LIB_OBJS) $(LDLIBS) -ljson-c -lcurl -lyaml

# The QEMU/libvirt hooks as the build tree runs them (POLYPORT_HOOK_DIR=build/hooks):
# calling build/polyportctl; make install installs them calling the installed one.
$(B)/hooks/polyport-%: scripts/polyport-% | $(B)
	@mkdir -p $(B)/hooks
	sed 's|@BINDIR@|$(abspath $(B))|' $< > $@ && chmod 0755 $@

$(B)/config:
	@mkdir -p $@

$(B)/config/%.o: loader/config/%.c $(CFG_HDRS) | $(B)/config
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/ppguest: vm/guest/ppguest.c loader/util.h | $(B)
	$(CC) $(CFLAGS) -o $@ $<

$(B)/tests/prog_test: tests/bpf/prog_test.c tests/bpf/frames.h bpf/test/test_log.h \
		tests/bpf/progs.h tests/pins.h $(TEST_SKELS) $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The hostile-frame corpus: generated frames, both programs, an oracle (make corpus).
$(B)/tests/corpus: tests/bpf/corpus.c tests/bpf/oracle.h bpf/test/test_log.h tests/bpf/progs.h \
		tests/pins.h $(TEST_SKELS) $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(B)/tests/test_maps: tests/unit/test_maps.c tests/pins.h $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

$(B)/tests/test_layout: tests/unit/test_layout.c $(B)/tap.skel.h $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

# the reconcile pipeline on real maps: the daemon's objects but the API
RECONCILE_TEST_OBJS := $(filter-out $(API_OBJS),$(DAEMON_OBJS))
$(B)/tests/test_reconcile: tests/unit/test_reconcile.c tests/pins.h $(RECONCILE_TEST_OBJS) \
		$(B)/dump.o | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(RECONCILE_TEST_OBJS) $(B)/dump.o $(LDLIBS) -lyaml -ljson-c -lcmocka

$(B)/tests/test_l3nh: tests/unit/test_l3nh.c tests/pins.h $(B)/l3nh.o $(B)/log.o $(LIB_OBJS) \
		| $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(B)/l3nh.o $(B)/log.o $(LIB_OBJS) $(LDLIBS) -lcmocka

# the placement (cluster mode, loader/api/place.c), linked as the daemon is
$(B)/tests/test_place: tests/unit/test_place.c $(DAEMON_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(DAEMON_OBJS) $(LDLIBS) -lyaml -ljson-c -lmicrohttpd -lcurl \
		-lcmocka

# the etcd client against a real etcd (run by tests/unit/test_etcd.sh)
$(B)/tests/test_etcd: tests/unit/test_etcd.c $(B)/etcd.o | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(B)/etcd.o -ljson-c -lcurl -lcmocka

$(B)/tests/ppwire: tests/e2e/ppwire.c $(LIB_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(B)/tests/ppsend: tests/e2e/ppsend.c loader/util.h | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $<

$(B)/tests/ppstream: tests/upgrade/ppstream.c | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $< -lpthread

# the binding-file tests: one binary of the topic files of tests/unit/config/
CFG_TESTS := $(wildcard tests/unit/config/*.c)
$(B)/tests/test_config: $(CFG_TESTS) tests/unit/config/cfgtest.h $(CFG_OBJS) | $(B)/tests
	$(CC) $(CFLAGS) -o $@ $(CFG_TESTS) $(CFG_OBJS) -lyaml -lcmocka

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

# ---- fuzzing (tests/fuzz/; make fuzz is not part of make test) ---------------
# make fuzz: every target built with libFuzzer, ASan and UBSan (clang), run
# FUZZ_S seconds each, one after the other (FUZZ_TARGETS=... for some);
# findings are kept in tests/fuzz/crashes/<target>/.  make test replays the
# seed corpus and every crash kept through replay-<target>: the same target
# with tests/fuzz/replay.c as its main, built like every other test.
# dhcp and frames run the programs (BPF_PROG_TEST_RUN): as root.
FUZZ_S       ?= 60
FUZZ_TARGETS ?= loader api dhcp frames
FZ           := $(B)/fuzz
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude \
		-Imaps -Iloader -I$(B) -Itests/bpf -Itests/fuzz $(NL_CFLAGS) \
		-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_HDRS    := $(wildcard include/*.h maps/*.h loader/*.h loader/config/*.h loader/api/*.h bpf/test/*.h tests/bpf/*.h tests/fuzz/*.h \
		tests/pins.h)
FUZZ_BPF     := $(FZ)/maps.o $(FZ)/layout.o $(FZ)/dataplane.o $(FZ)/services.o $(FZ)/xdpmode.o \
		$(FZ)/links.o

$(FZ) $(FZ)/config $(FZ)/api $(B)/tests/fuzz:
	@mkdir -p $@

# The loader's objects again, instrumented for libFuzzer and the sanitizers.
# gcc keeps them warning-free (make); what only clang says does not stop a fuzz.
FUZZ_LIB_CFLAGS := $(FUZZ_CFLAGS) -Wno-error -Wno-gnu-variable-sized-type-not-at-end \
		   -Wno-string-concatenation -Wno-missing-field-initializers \
		   -fsanitize=fuzzer-no-link

$(FZ)/%.o: maps/%.c $(FUZZ_HDRS) | $(FZ)
	$(CLANG) $(FUZZ_LIB_CFLAGS) -c $< -o $@

$(FZ)/%.o: loader/%.c $(FUZZ_HDRS) | $(FZ)
	$(CLANG) $(FUZZ_LIB_CFLAGS) -c $< -o $@

# CFG_OBJS, instrumented
FUZZ_CFG_OBJS := $(CFG_OBJS:$(B)/config/%=$(FZ)/config/%)

$(FZ)/config/%.o: loader/config/%.c $(FUZZ_HDRS) | $(FZ)/config
	$(CLANG) $(FUZZ_LIB_CFLAGS) -c $< -o $@

# API_OBJS, instrumented
FUZZ_API_OBJS := $(API_OBJS:$(B)/api/%=$(FZ)/api/%)

$(FZ)/api/%.o: loader/api/%.c $(FUZZ_HDRS) | $(FZ)/api
	$(CLANG) $(FUZZ_LIB_CFLAGS) -c $< -o $@

$(FZ)/dataplane.o: $(SKELS)
.SECONDARY: $(FUZZ_BPF) $(FUZZ_CFG_OBJS) $(FUZZ_API_OBJS) $(FZ)/daemon.o

$(FZ)/fuzz-loader: tests/fuzz/fuzz_loader.c $(FUZZ_CFG_OBJS) $(FUZZ_HDRS)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_CFG_OBJS) -lyaml -ljson-c

$(FZ)/fuzz-%: tests/fuzz/fuzz_%.c $(FUZZ_BPF) $(TEST_SKELS) $(FUZZ_HDRS)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BPF) $(LDLIBS)

# The API target: pp_api_request() without HTTP.  libmicrohttpd is not
# linked: what the API's objects call of it aborts (tests/fuzz/mhd-stub.sh;
# only loader/api/http.c calls it).
FUZZ_API_LIBS := -ljson-c -lyaml -lcurl $(LDLIBS)

$(FZ)/api-mhd-stub.c: $(FUZZ_API_OBJS) tests/fuzz/mhd-stub.sh
	tests/fuzz/mhd-stub.sh $(FUZZ_API_OBJS) > $@

$(B)/tests/fuzz/api-mhd-stub.c: $(API_OBJS) tests/fuzz/mhd-stub.sh | $(B)/tests/fuzz
	tests/fuzz/mhd-stub.sh $(API_OBJS) > $@

$(FZ)/fuzz-api: tests/fuzz/fuzz_api.c $(FZ)/api-mhd-stub.c $(FUZZ_API_OBJS) $(FZ)/daemon.o \
		$(FUZZ_CFG_OBJS) $(FUZZ_BPF) $(FUZZ_HDRS)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FZ)/api-mhd-stub.c $(FUZZ_API_OBJS) \
		$(FZ)/daemon.o $(FUZZ_CFG_OBJS) $(FUZZ_BPF) $(FUZZ_API_LIBS)

$(B)/tests/fuzz/replay-api: tests/fuzz/replay.c tests/fuzz/fuzz_api.c tests/fuzz/fuzz.h \
		$(B)/tests/fuzz/api-mhd-stub.c $(API_OBJS) $(B)/daemon.o $(CFG_OBJS) $(LIB_OBJS) \
		| $(B)/tests/fuzz
	$(CC) $(CFLAGS) -Itests/fuzz -o $@ tests/fuzz/replay.c tests/fuzz/fuzz_api.c \
		$(B)/tests/fuzz/api-mhd-stub.c $(API_OBJS) $(B)/daemon.o $(CFG_OBJS) $(LIB_OBJS) \
		$(FUZZ_API_LIBS)

$(B)/tests/fuzz/replay-loader: tests/fuzz/replay.c tests/fuzz/fuzz_loader.c tests/fuzz/fuzz.h \
		$(CFG_OBJS) | $(B)/tests/fuzz
	$(CC) $(CFLAGS) -Itests/fuzz -o $@ tests/fuzz/replay.c tests/fuzz/fuzz_loader.c \
		$(CFG_OBJS) -lyaml -ljson-c

$(B)/tests/fuzz/replay-%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
		tests/bpf/oracle.h tests/bpf/progs.h tests/bpf/frames.h tests/pins.h $(TEST_SKELS) \
		$(LIB_OBJS) | $(B)/tests/fuzz
	$(CC) $(CFLAGS) -Itests/bpf -Itests/fuzz -o $@ tests/fuzz/replay.c tests/fuzz/fuzz_$*.c \
		$(LIB_OBJS) $(LDLIBS)

.PHONY: fuzz
fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FZ)/fuzz-%) \
		$(FUZZ_TARGETS:%=$(B)/tests/fuzz/replay-%)
	@tests/fuzz/fuzz.sh $(FUZZ_S) $(FUZZ_TARGETS)

# ---- tests -------------------------------------------------------------------
test: deps
	@$(MAKE) --no-print-directory all variant
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

# Hot upgrades (tests/e2e/upgrade.sh; make test runs one of each kind):
# make variant builds the test variants of this tree into build/variant/N/
# (-DPP_UPGRADE_VARIANT=N: 1 another program and two other map layouts, 2
# another program only, 3 a same-size layout change no migration knows);
# make upgrade-test upgrades A->B->A ten times under a sequence-numbered
# stream, then the rest of the suite.  As root.
VARIANTS := 1 2 3
.PHONY: variant upgrade-test
variant:
	@for v in $(VARIANTS); do \
		$(MAKE) --no-print-directory B=$(B)/variant/$$v PP_DEFS=-DPP_UPGRADE_VARIANT=$$v \
			$(B)/variant/$$v/polyportd || exit 1; \
	done

upgrade-test: all variant
	@UPGRADE_ROUNDS=10 tests/run.sh e2e:upgrade

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

# the cluster demo (README "Many hosts"): three hosts, TLS etcd, guests, a move and an outage
.PHONY: run-cluster
run-cluster: deps
	@$(MAKE) --no-print-directory all
	@scripts/cluster-demo.sh

BINDIR  := $(PREFIX)/bin
SBINDIR := $(PREFIX)/sbin
HOOKDIR := $(PREFIX)/libexec/polyport
MANDIR  := $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system

install: $(B)/polyportd $(B)/polyportctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)/etc/polyport/bindings.d
	install -m 0755 $(B)/polyportd $(DESTDIR)$(SBINDIR)/polyportd
	install -m 0755 $(B)/polyportctl $(DESTDIR)$(BINDIR)/polyportctl
	install -d $(DESTDIR)$(HOOKDIR)
	for h in polyport-ifup polyport-ifdown; do \
		sed 's|@BINDIR@|$(BINDIR)|' scripts/$$h > $(DESTDIR)$(HOOKDIR)/$$h && \
		chmod 0755 $(DESTDIR)$(HOOKDIR)/$$h || exit 1; \
	done
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

# kill -9 at any moment, the long run (make test runs 2 cycles): polyportd
# killed at 20 random points of each direction of a 4,094-port apply and
# of a 100-port change, plus fixed crash points; every restart must
# converge to exactly the configuration, with no ping lost.  As root.
CRASH_KILLS ?= 20
.PHONY: crash-test
crash-test: deps
	@$(MAKE) --no-print-directory all
	@CRASH_KILLS=$(CRASH_KILLS) tests/run.sh e2e:crash

# ---- style (not part of make test: the tree does not pass it whole) -----------
# make format-check: every C source against .clang-format (clang-format-14
# --dry-run -Werror, changing nothing); names each file that differs, then
# "N of M files"; fails if any differs.  The differences of one file:
# clang-format-14 --dry-run FILE.
CLANG_FORMAT ?= clang-format-14
FORMAT_SRCS   = $(sort $(shell find bpf include loader maps tests vm bench -name '*.[ch]'))
.PHONY: format-check
format-check:
	@command -v $(CLANG_FORMAT) >/dev/null || { echo "format-check: no $(CLANG_FORMAT) (make deps)"; exit 1; }
	@n=0; bad=0; for f in $(FORMAT_SRCS); do n=$$((n + 1)); \
		$(CLANG_FORMAT) --dry-run -Werror "$$f" >/dev/null 2>&1 || \
			{ echo "format: $$f differs"; bad=$$((bad + 1)); }; \
	done; echo "format-check: $$((n - bad)) of $$n files as .clang-format says"; [ $$bad -eq 0 ]

# ---- benchmarks (bench/; not part of make test, except bench-smoke) ----------
# make bench: every path side by side with its ceiling and the peers (Linux
# bridge, OVS), polyportd's control-plane figures; a table, build/bench/
# results.json and build/bench/bench.png.  make bench-smoke: the same code
# in seconds, checking only that the numbers are sane.  Both as root.
.PHONY: bench bench-smoke
BENCH_BIN := $(B)/bench/ppbench

$(B)/bench:
	@mkdir -p $@

$(B)/bench/gen.bpf.o: bench/gen.bpf.c bench/gen.h | $(B)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/bench/gen.skel.h: $(B)/bench/gen.bpf.o
	$(BPFTOOL) gen skeleton $< name gen_bpf > $@

# l3.o (and its log.o): the routed path's uplink and sysctls (polyportd's own functions)
$(BENCH_BIN): bench/ppbench.c bench/gen.h tests/bpf/frames.h $(B)/bench/gen.skel.h $(LIB_OBJS) \
		$(B)/l3.o $(B)/log.o | $(B)/bench
	$(CC) $(CFLAGS) -Itests/bpf -o $@ $< $(LIB_OBJS) $(B)/l3.o $(B)/log.o $(LDLIBS) -lm

# the cluster part (bench/cluster.sh): objects straight into etcd, timed on the hosts' pins
PPETCD_BIN := $(B)/bench/ppetcd
$(PPETCD_BIN): bench/ppetcd.c $(B)/etcd.o $(LIB_OBJS) | $(B)/bench
	$(CC) $(CFLAGS) -o $@ $< $(B)/etcd.o $(LIB_OBJS) $(LDLIBS) -ljson-c -lcurl

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN) $(PPETCD_BIN)
	@bench/bench.sh

bench-smoke: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN) $(PPETCD_BIN)
	@bench/smoke.sh
