# sfnic - build with `make` (binaries in build/), `make SAN=1` for an
# AddressSanitizer + UndefinedBehaviorSanitizer build (in build-san/),
# `make fuzz` for the libFuzzer targets (clang, in build-fuzz/).

CC ?= cc
O ?= build
CFLAGS_BASE := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation \
	-Iinclude -g -O2 $(shell pkg-config --cflags jansson sqlite3)
LIBS := $(shell pkg-config --libs jansson sqlite3 libmnl) -lurcu-qsbr -lurcu-cds -lpthread
TEST_LIBS := $(shell pkg-config --libs cmocka)

ifeq ($(SAN),1)
O := build-san
CFLAGS_BASE += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

CFLAGS := $(CFLAGS_BASE) $(EXTRA_CFLAGS)

CORE_SRC := src/pp/pp.c src/esw/esw_flow.c src/esw/esw_fdb.c \
	src/dp/dp_port.c src/dp/dp_worker.c src/dp/dp_ring.c src/dp/dp_gso.c src/dp/dp_fault.c src/dev/dev.c src/dev/dev_scope.c src/dev/dev_uctx.c src/dev/dev_query.c \
	src/dev/dev_dump.c src/dev/dev_dump_decode.c src/dev/dev_trace.c src/dev/dev_sampler.c src/dev/dev_fault.c src/aux/aux.c src/store/store.c src/util/util.c \
	src/dl/dl_core.c src/dl/dl_port.c src/dl/dl_sf.c src/dl/dl_names.c src/dl/dl_json.c \
	src/dl/dl_filter.c src/dl/dl_netdev.c src/dl/dl_memif.c src/dl/dl_steer.c src/dp/dp_fn.c src/dp/dp_tap.c \
	src/zc/zc_ring.c src/zc/zc_excl.c src/zc/zc_tap.c src/zc/zc_srv.c src/dl/dl_zc.c \
	src/memif/memif_ctl.c src/memif/memif_ring.c src/memif/memif_srv.c src/nd/nd.c src/nd/nd_keep.c src/tc/tc_flower.c src/tc/tc_action.c \
	src/steer/steer.c src/steer/steer_match.c src/api/api_dispatch.c src/api/api_server.c \
	src/ctl/ctl_srv.c src/ctl/ctl_rpc.c \
	src/health/health.c src/dl/dl_health.c src/dl/dl_health_rep.c \
	src/sched/sched.c src/sched/sched_rate.c src/dl/dl_rate.c src/dp/dp_sched.c
CORE_SRC += src/ct/ct.c src/ct/ct_parse.c
CORE_SRC += src/nd/nd_gro.c
CORE_SRC += src/dp/dp_ct.c src/dl/dl_ct.c
CORE_SRC += src/svc/svc.c
CORE_SRC += src/metrics/metrics_text.c src/metrics/metrics_collect.c src/metrics/metrics_http.c
CORE_SRC += src/tc/tc_tunnel.c
CORE_SRC += src/tun/tun_pkt.c src/tun/tun_nl.c src/tun/tun_link.c src/dp/dp_tun.c src/dl/dl_tun.c
CORE_SRC += src/esw/esw_key.c src/tc/tc_match.c
LIB_SRC := src/lib/client.c src/lib/zc.c src/util/util.c
CLI_SRC := src/cli/sfnic.c src/cli/cli_print.c src/cli/cli_dp.c src/cli/cli_ethtool.c src/cli/cli_health.c \
	src/cli/cli_rate.c src/sched/sched_rate.c
CLI_SRC += src/cli/cli_link.c
CLI_SRC += src/cli/cli_ct.c
CLI_SRC += src/cli/cli_top.c
CORE_SRC += src/dp/dp_act.c
CLI_SRC += src/cli/cli_action.c
CTL_TOOL_SRC := src/sfnicctl/sfnicctl.c src/sfnicctl/sfc_client.c src/sfnicctl/sfc_ops.c \
	src/sfnicctl/sfc_query.c src/sfnicctl/sfc_dump.c src/sfnicctl/sfc_trace.c \
	src/sfnicctl/sfc_counters.c src/sfnicctl/sfc_fault.c src/dev/dev_scope.c src/dev/dev_dump_decode.c src/util/util.c

# sfnic-cni (src/cni): the CNI plugin, a libsfnic client.
CNI_SRC := src/cni/cni_conf.c src/cni/cni_state.c src/cni/cni_ipam.c src/cni/cni_sf.c \
	src/cni/cni_nl.c

obj = $(patsubst src/%.c,$(O)/obj/%.o,$(1))
CORE_OBJ := $(call obj,$(CORE_SRC))
LIB_OBJ := $(call obj,$(LIB_SRC))
CLI_OBJ := $(call obj,$(CLI_SRC))
CTL_TOOL_OBJ := $(call obj,$(CTL_TOOL_SRC))
CNI_OBJ := $(call obj,$(CNI_SRC))

UNIT_TESTS := test_pp test_dp test_dev test_dev_ctl test_aux test_names test_store test_dl test_api test_steer test_zc_lib test_sched test_health
UNIT_TESTS += test_ct
UNIT_TESTS += test_nd_gro
UNIT_TESTS += test_svc
UNIT_TESTS += test_metrics
UNIT_TESTS += test_tun
UNIT_TESTS += test_esw
EXAMPLES := zc_rxdrop zc_fwd zc_tap zc_poke
EXAMPLES += zc_txonly

all: $(O)/sfnicd $(O)/sfnic $(O)/sfnicctl $(O)/libsfnic.a $(O)/libsfnic.so $(O)/libsfnic.pc \
	$(addprefix $(O)/,$(UNIT_TESTS) $(EXAMPLES))

$(O)/obj/%.o: src/%.c $(wildcard src/*/*.h include/sfnic/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC  $@"
	@$(CC) $(CFLAGS) -c $< -o $@

$(O)/obj/tests/%.o: tests/unit/%.c $(wildcard src/*/*.h include/sfnic/*.h) tests/unit/test_helpers.h
	@mkdir -p $(dir $@)
	@echo "  CC  $@"
	@$(CC) $(CFLAGS) -c $< -o $@

$(O)/libsfnic.a: $(LIB_OBJ)
	ar rcs $@ $^

# The shared library: the same sources compiled again position-independent
# (obj-pic/, so the static library and the CLI keep their objects), only
# sfnic_* exported (src/lib/libsfnic.map), soname libsfnic.so.1.
SO_NAME := libsfnic.so.1
SO_FILE := libsfnic.so.1.0.0
PIC_OBJ := $(patsubst src/%.c,$(O)/obj-pic/%.o,$(LIB_SRC))

$(O)/obj-pic/%.o: src/%.c $(wildcard src/*/*.h include/sfnic/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC  $@"
	@$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(O)/$(SO_FILE): $(PIC_OBJ) src/lib/libsfnic.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SO_NAME) -Wl,--version-script=src/lib/libsfnic.map \
		-Wl,-z,defs -o $@ $(PIC_OBJ) $(shell pkg-config --libs jansson)

$(O)/libsfnic.so: $(O)/$(SO_FILE)
	ln -sf $(SO_FILE) $(O)/$(SO_NAME)
	ln -sf $(SO_FILE) $@

PREFIX ?= /usr/local
PC_GEN = sed 's|@PREFIX@|$(PREFIX)|' src/lib/libsfnic.pc.in

# Regenerated on every make: PREFIX may differ from the last run.
$(O)/libsfnic.pc: src/lib/libsfnic.pc.in FORCE
	@mkdir -p $(O)
	@$(PC_GEN) >$@

# make install [PREFIX=/usr/local] [DESTDIR=]: binaries, libsfnic (shared
# with its soname links, static), headers, pkg-config file, the systemd unit,
# man pages (scdoc) and bash completion.  Unit directory: systemd's own
# (pkg-config systemd) when PREFIX is /usr, else PREFIX/lib/systemd/system.
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
INCDIR = $(PREFIX)/include/sfnic
MANDIR = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
SYSTEMD_UNITDIR = $(if $(filter /usr,$(PREFIX)),$(or $(shell pkg-config \
	--variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system),$(PREFIX)/lib/systemd/system)
MANPAGES := sfnic.8 sfnicd.8 sfnicctl.8
COMPLETIONS := sfnic sfnicctl

man: $(addprefix $(O)/man/,$(MANPAGES))

$(O)/man/%.8: man/%.8.scd
	@mkdir -p $(dir $@)
	@echo "  SCDOC $@"
	@scdoc <$< >$@.tmp && mv $@.tmp $@

install: $(O)/sfnicd $(O)/sfnic $(O)/sfnicctl $(O)/libsfnic.a $(O)/libsfnic.so $(O)/libsfnic.pc man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMD_UNITDIR)
	install -m 755 $(O)/sfnicd $(O)/sfnic $(O)/sfnicctl $(DESTDIR)$(BINDIR)/
	install -m 755 $(O)/$(SO_FILE) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SO_FILE) $(DESTDIR)$(LIBDIR)/$(SO_NAME)
	ln -sf $(SO_FILE) $(DESTDIR)$(LIBDIR)/libsfnic.so
	install -m 644 $(O)/libsfnic.a $(DESTDIR)$(LIBDIR)/
	install -m 644 $(O)/libsfnic.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 644 include/sfnic/*.h $(DESTDIR)$(INCDIR)/
	install -m 644 $(addprefix $(O)/man/,$(MANPAGES)) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 $(addprefix dist/bash-completion/,$(COMPLETIONS)) $(DESTDIR)$(BASHCOMPDIR)/
	sed 's|/usr/bin/sfnicd|$(BINDIR)/sfnicd|' dist/sfnicd.service >$(DESTDIR)$(SYSTEMD_UNITDIR)/sfnicd.service
	chmod 644 $(DESTDIR)$(SYSTEMD_UNITDIR)/sfnicd.service

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,sfnicd sfnic sfnicctl)
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(SO_FILE) $(SO_NAME) libsfnic.so libsfnic.a \
		pkgconfig/libsfnic.pc)
	rm -f $(addprefix $(DESTDIR)$(INCDIR)/,$(notdir $(wildcard include/sfnic/*.h)))
	-rmdir $(DESTDIR)$(INCDIR)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(MANPAGES))
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(COMPLETIONS))
	rm -f $(DESTDIR)$(SYSTEMD_UNITDIR)/sfnicd.service

# sfnic-cni goes where runtimes look for CNI plugins: /opt/cni/bin
# (Kubernetes, Multus); Debian's podman also searches /usr/lib/cni
# (make install CNI_BIN_DIR=/usr/lib/cni).
CNI_BIN_DIR ?= /opt/cni/bin
install: install-cni
uninstall: uninstall-cni
install-cni: $(O)/sfnic-cni
	install -d $(DESTDIR)$(CNI_BIN_DIR)
	install -m 755 $(O)/sfnic-cni $(DESTDIR)$(CNI_BIN_DIR)/
uninstall-cni:
	rm -f $(DESTDIR)$(CNI_BIN_DIR)/sfnic-cni
.PHONY: install-cni uninstall-cni

# Examples (examples/): linked against the shared library, found next to
# them (rpath $ORIGIN) so that they run from $(O) without an install.
$(addprefix $(O)/,$(EXAMPLES)): $(O)/%: examples/%.c include/sfnic/zc.h $(O)/libsfnic.so
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(O) -lsfnic -Wl,-rpath,'$$ORIGIN'

# The e2e tests' own zero-copy applications (tests/e2e/zc_*.c), built as
# the examples are.
E2E_PROGS := zc_canary zc_hostile
all: $(addprefix $(O)/,$(E2E_PROGS))
$(addprefix $(O)/,$(E2E_PROGS)): $(O)/%: tests/e2e/%.c include/sfnic/zc.h $(O)/libsfnic.so
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -L$(O) -lsfnic -Wl,-rpath,'$$ORIGIN'

# The uplinks (src/ul) are the daemon's alone: tests drive the datapath directly.
UL_OBJ := $(O)/obj/ul/ul.o $(O)/obj/ul/ul_afpacket.o $(O)/obj/ul/ul_afxdp.o $(O)/obj/ul/ul_memif.o
$(O)/sfnicd: $(O)/obj/sfnicd/main.o $(UL_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lpcap $(shell pkg-config --libs libxdp libbpf)

$(O)/sfnic: $(CLI_OBJ) $(O)/libsfnic.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lpcap

all: $(O)/sfnic-cni
$(O)/sfnic-cni: $(O)/obj/cni/cni_main.o $(CNI_OBJ) $(O)/libsfnic.a
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs jansson libmnl)

# fuzz_cni_conf: the plugin's config parser (outside CORE_SRC; in FUZZ_TARGETS below).
fuzz: build-fuzz/fuzz_cni_conf
build-fuzz/fuzz_cni_conf: tests/fuzz/fuzz_cni_conf.c src/cni/cni_conf.c src/cni/cni.h
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< src/cni/cni_conf.c $(shell pkg-config --libs jansson)

# test_cni links the plugin's pieces besides the core.
UNIT_TESTS += test_cni
all: $(O)/test_cni
$(O)/test_cni: $(CNI_OBJ) $(O)/libsfnic.a

$(O)/sfnicctl: $(CTL_TOOL_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs jansson) -lm

$(O)/test_%: $(O)/obj/tests/test_%.o $(CORE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude -g -O1 -fsanitize=fuzzer,address,undefined \
	$(shell pkg-config --cflags jansson sqlite3)
FUZZ_TARGETS := fuzz_dev_cmd fuzz_api fuzz_flower fuzz_frames fuzz_tap fuzz_steer fuzz_memif_ctl fuzz_memif_ring fuzz_zc_ring fuzz_ctl
FUZZ_TARGETS += fuzz_ct
FUZZ_TARGETS += fuzz_nd_gro
FUZZ_TARGETS += fuzz_metrics
FUZZ_TARGETS += fuzz_vxlan
FUZZ_TARGETS += fuzz_cni_conf

fuzz: $(addprefix build-fuzz/,$(FUZZ_TARGETS))
build-fuzz/fuzz_ct build-fuzz/fuzz_vxlan build-fuzz/fuzz_memif_ring build-fuzz/fuzz_zc_ring: tests/fuzz/fuzz_input.h

# The core is compiled once for all targets (instrumented for coverage but
# without libFuzzer's main: -fsanitize=fuzzer-no-link) and each target links
# it: a dozen targets no longer mean a dozen builds of the core.
FUZZ_OBJ := $(patsubst src/%.c,build-fuzz/obj/%.o,$(CORE_SRC))

build-fuzz/obj/%.o: src/%.c $(wildcard src/*/*.h include/sfnic/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC  $@"
	@clang $(subst -fsanitize=fuzzer,-fsanitize=fuzzer-no-link,$(FUZZ_CFLAGS)) -c $< -o $@

.SECONDARY: $(FUZZ_OBJ)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_consume.h $(FUZZ_OBJ)
	@echo "  LD  $@"
	@clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(LIBS) -lpcap

clean:
	rm -rf build build-san build-fuzz

.PHONY: all fuzz clean install uninstall man FORCE

# Benchmarks: bench/pp_bench links Debian's DPDK (the anchor) and nothing
# else of sfnic but the page pool; bench/cls_bench measures the classifier.
# bench/zc_tester (for zc_bench.sh) is a DPDK memif peer and a libsfnic
# application in one loop.
bench: build/pp_bench build/cls_bench build/sw_bench build/zc_tester build/rate_bench
bench: build/ct_bench
build/pp_bench build/cls_bench build/sw_bench build/ct_bench build/rate_bench build/tun_bench: bench/bench_common.h

build/pp_bench: bench/pp_bench.c src/pp/pp.c src/util/util.c src/pp/pp.h
	@mkdir -p build
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g $(shell pkg-config --cflags libdpdk) -Wno-deprecated-declarations \
		-o $@ bench/pp_bench.c src/pp/pp.c src/util/util.c $(shell pkg-config --libs libdpdk) -lpthread

build/cls_bench: bench/cls_bench.c src/esw/esw_flow.c src/esw/esw_fdb.c src/esw/esw_key.c src/esw/esw.h
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ bench/cls_bench.c src/esw/esw_flow.c src/esw/esw_fdb.c src/esw/esw_key.c \
		-lurcu-qsbr -lurcu-cds -lpthread

DP_SRC := src/dp/dp_port.c src/dp/dp_worker.c src/dp/dp_ring.c src/dp/dp_gso.c src/dp/dp_fn.c src/dp/dp_tap.c src/dp/dp_fault.c \
	src/dp/dp_sched.c src/sched/sched.c \
	src/steer/steer_match.c src/esw/esw_flow.c \
	src/esw/esw_fdb.c src/pp/pp.c src/util/util.c
DP_SRC += src/dp/dp_ct.c src/ct/ct.c src/ct/ct_parse.c
DP_SRC += src/esw/esw_key.c
DP_SRC += src/dp/dp_tun.c src/tun/tun_pkt.c
DP_SRC += src/dp/dp_act.c
build/sw_bench: bench/sw_bench.c $(DP_SRC) $(wildcard src/dp/*.h src/esw/*.h src/pp/*.h)
	@mkdir -p build
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g $(shell pkg-config --cflags libdpdk) -Wno-deprecated-declarations \
		-o $@ bench/sw_bench.c $(DP_SRC) $(shell pkg-config --libs libdpdk) -lurcu-qsbr -lurcu-cds -lpthread

# bench/ct_bench: the ct action on established flows next to a redirect.
build/ct_bench: bench/ct_bench.c $(DP_SRC) $(wildcard src/dp/*.h src/ct/*.h src/esw/*.h)
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ bench/ct_bench.c $(DP_SRC) -lurcu-qsbr -lurcu-cds -lpthread

# bench/rate_bench: the packet path with and without devlink rate objects.
build/rate_bench: bench/rate_bench.c $(DP_SRC) $(wildcard src/dp/*.h src/sched/*.h)
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ bench/rate_bench.c $(DP_SRC) -lurcu-qsbr -lurcu-cds -lpthread

# bench/tun_bench: VXLAN encap and decap next to the 1-rule redirect.
bench: build/tun_bench
build/tun_bench: bench/tun_bench.c $(DP_SRC) $(wildcard src/dp/*.h src/tun/*.h src/esw/*.h)
	@mkdir -p build
	$(CC) $(CFLAGS) -o $@ bench/tun_bench.c $(DP_SRC) -lurcu-qsbr -lurcu-cds -lpthread

build/zc_tester: bench/zc_tester.c include/sfnic/zc.h build/libsfnic.so
	$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Iinclude $(shell pkg-config --cflags libdpdk) \
		-Wno-deprecated-declarations -o $@ bench/zc_tester.c -Lbuild -lsfnic -Wl,-rpath,'$$ORIGIN' \
		$(shell pkg-config --libs libdpdk)

.PHONY: bench
