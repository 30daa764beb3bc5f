# vmm — build, test and benchmark entry points.
#
#   make                 native libraries, tools and unit tests; the aarch64 `vmm` binary
#                        (cross-compiled and static on x86_64, native on arm64)
#   make check           unit tests, then the integration tier on the arm64 test host
#   make check-unit      the include rules (tools/layers.txt), then the Criterion unit tests (native)
#   make fuzz            the state-stream fuzzer (FUZZ_TIME=seconds; check runs 30 s)
#   make check-integration  scenarios on a real arm64 KVM (emulated host, or this host if arm64)
#   make bench           benchmarks, printed as `bench: <metric> ours=… peer=… ratio=…`
#   make bench-native    native transport bench (TLS + zstd over loopback vs `openssl speed`)
#   make demo            boots a guest and shows its CPUs
#   make check-fresh     the README's commands in a new Debian root (debootstrap + chroot; root only;
#                        not part of check: FRESH_TIER=unit stops after the unit tier)
#   make SAN=asan        native parts with AddressSanitizer + UBSan (SAN=tsan: ThreadSanitizer)
#   make O=dir           build somewhere else than build/
#   make WERROR=0        do not turn warnings into errors

O ?= build
SAN ?=
WERROR ?= 1
V ?= 0
HOST_ARCH := $(shell uname -m)
CACHE := $(shell tools/setup.sh --print-cache)
SYSROOT := $(CACHE)/sysroot-arm64
PYTHON ?= python3

ifeq ($(V),0)
Q := @
endif

# ---------------------------------------------------------------------------
# Sources. Portable code builds and is unit-tested on any Linux host; the files
# below talk to an arm64 KVM and only build for aarch64.
# ---------------------------------------------------------------------------
PRODUCT_DIRS := vmm hotplug gic acpi migration storage
ARM64_KVM_SRCS := $(sort $(wildcard vmm/kvm/*.c gic/kvm/*.c hotplug/kvm/*.c migration/kvm/*.c))
MAIN_SRC := vmm/cli/main.c
PORTABLE_SRCS := $(filter-out $(MAIN_SRC) $(ARM64_KVM_SRCS),$(sort $(shell find $(PRODUCT_DIRS) -name '*.c')))
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c))
NATIVE_TOOLS := $(patsubst tools/%.c,%,$(sort $(wildcard tools/*.c)))
L1_SRCS := $(sort $(wildcard tests/l1/*.c))
GUEST_SRCS := $(sort $(wildcard tests/guest/*.c))

WARN := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Wundef -Wshadow \
	-Wwrite-strings -Wsign-compare -Wpointer-arith -Wvla -Wimplicit-fallthrough
ifeq ($(WERROR),1)
WARN += -Werror
endif
BASE_CFLAGS := -std=gnu11 -O2 -g $(WARN) -MMD -MP -D_GNU_SOURCE -I. -fno-strict-aliasing
# libfdt ships no pkg-config file in Debian 12: linked by name.
LIBS_PC := libzstd liburing libssl libcrypto msgpack json-c

ifeq ($(SAN),asan)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SAN),tsan)
# Fences on guest-shared rings stay fences; TSan cannot model them (-Wtsan) and has no guest to race.
SAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
else ifneq ($(SAN),)
$(error SAN must be asan or tsan)
endif

# Native build (unit tests, tools).
NATIVE_DIR := $(O)/native$(if $(SAN),-$(SAN))
NATIVE_CC ?= cc
NATIVE_CFLAGS := $(BASE_CFLAGS) $(SAN_FLAGS) $(shell pkg-config --cflags $(LIBS_PC) 2>/dev/null)
NATIVE_LDLIBS := -lfdt $(shell pkg-config --libs $(LIBS_PC) 2>/dev/null) -lpthread
NATIVE_LIB := $(NATIVE_DIR)/libvmm.a
NATIVE_PORTABLE_OBJS := $(PORTABLE_SRCS:%.c=$(NATIVE_DIR)/obj/%.o)
UNIT_BIN := $(NATIVE_DIR)/unit-tests
BENCH_NATIVE := $(NATIVE_DIR)/transport_bench

# aarch64 build (the product binary). Cross-compiled and static unless we are on arm64.
ARM_DIR := $(O)/aarch64
ifeq ($(HOST_ARCH),aarch64)
ARM_CC ?= cc
ARM_CFLAGS := $(BASE_CFLAGS) $(shell pkg-config --cflags $(LIBS_PC) 2>/dev/null)
ARM_LDFLAGS :=
ARM_LDLIBS := -lfdt $(shell pkg-config --libs $(LIBS_PC) 2>/dev/null) -lpthread
ARM_DEPS :=
else
ARM_CC ?= aarch64-linux-gnu-gcc
ARM_CFLAGS := $(BASE_CFLAGS) -isystem $(SYSROOT)/usr/include -isystem $(SYSROOT)/usr/include/aarch64-linux-gnu
ARM_LDFLAGS := -static -L$(SYSROOT)/usr/lib/aarch64-linux-gnu
ARM_LDLIBS := -lfdt -ljson-c -lmsgpackc -lzstd -luring -lssl -lcrypto -lpthread
ARM_DEPS := $(SYSROOT)/.done
endif
ARM_OBJS := $(PORTABLE_SRCS:%.c=$(ARM_DIR)/obj/%.o) $(ARM64_KVM_SRCS:%.c=$(ARM_DIR)/obj/%.o) \
	$(MAIN_SRC:%.c=$(ARM_DIR)/obj/%.o)
VMM_BIN := $(ARM_DIR)/vmm
ARM_BENCH := $(ARM_DIR)/transport_bench
L1_BINS := $(L1_SRCS:tests/l1/%.c=$(ARM_DIR)/l1/%)
GUEST_BINS := $(GUEST_SRCS:tests/guest/%.c=$(ARM_DIR)/guest/%)

SETUP_STAMP := $(O)/.setup-host

.PHONY: all native arm64 check check-unit check-unit-tsan check-descriptors check-fuzz fuzz-virtio check-integration check-fresh bench bench-native demo clean setup fuzz
all: native arm64

native: $(NATIVE_LIB) $(UNIT_BIN) $(NATIVE_TOOLS:%=$(NATIVE_DIR)/%) $(BENCH_NATIVE)
arm64: $(VMM_BIN) $(L1_BINS) $(GUEST_BINS) $(NATIVE_TOOLS:%=$(ARM_DIR)/%) $(ARM_BENCH)

# Installs missing host packages once per build tree (the script itself is idempotent).
$(SETUP_STAMP): tools/setup.sh
	$(Q)tools/setup.sh host
	$(Q)mkdir -p $(@D) && touch $@

setup:
	tools/setup.sh all

$(SYSROOT)/.done: | $(SETUP_STAMP)
	$(Q)tools/setup.sh sysroot

$(NATIVE_DIR)/obj/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(NATIVE_CC) $(NATIVE_CFLAGS) -c $< -o $@

$(NATIVE_LIB): $(NATIVE_PORTABLE_OBJS)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_BIN): $(UNIT_SRCS:%.c=$(NATIVE_DIR)/obj/%.o) $(if $(filter tsan,$(SAN)),$(NATIVE_DIR)/obj/tests/tsan/criterion_arena.o) \
		$(NATIVE_LIB)
	@echo "  LD      $@"
	$(Q)$(NATIVE_CC) $(NATIVE_CFLAGS) -o $@ $(filter %.o,$^) $(NATIVE_LIB) -lcriterion -lutil $(NATIVE_LDLIBS)

$(NATIVE_DIR)/%: $(NATIVE_DIR)/obj/tools/%.o $(NATIVE_LIB)
	@echo "  LD      $@"
	$(Q)$(NATIVE_CC) $(NATIVE_CFLAGS) -o $@ $< $(NATIVE_LIB) $(NATIVE_LDLIBS)

$(ARM_DIR)/obj/%.o: %.c | $(SETUP_STAMP) $(ARM_DEPS)
	@mkdir -p $(@D)
	@echo "  CC64    $<"
	$(Q)$(ARM_CC) $(ARM_CFLAGS) -c $< -o $@

$(VMM_BIN): $(ARM_OBJS)
	@echo "  LD64    $@"
	$(Q)$(ARM_CC) $(ARM_LDFLAGS) -o $@ $^ $(ARM_LDLIBS)

ARM_AR ?= $(if $(filter aarch64,$(HOST_ARCH)),ar,aarch64-linux-gnu-ar)
ARM_LIB := $(ARM_DIR)/libvmm.a
$(ARM_LIB): $(PORTABLE_SRCS:%.c=$(ARM_DIR)/obj/%.o)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && $(ARM_AR) rcs $@ $^

$(ARM_DIR)/%: $(ARM_DIR)/obj/tools/%.o $(ARM_LIB)
	@echo "  LD64    $@"
	$(Q)$(ARM_CC) $(ARM_LDFLAGS) -o $@ $< $(ARM_LIB) $(ARM_LDLIBS)

# Small static helpers that run inside the arm64 test host.
$(ARM_DIR)/l1/%: tests/l1/%.c | $(SETUP_STAMP) $(ARM_DEPS)
	@mkdir -p $(@D)
	@echo "  LD64    $@"
	$(Q)$(ARM_CC) $(BASE_CFLAGS) $(if $(filter aarch64,$(HOST_ARCH)),,-static) -o $@ $<

# Static helpers of the L2 test guest (its /bin, tests/integration/harness/images.py).
$(ARM_DIR)/guest/%: tests/guest/%.c | $(SETUP_STAMP) $(ARM_DEPS)
	@mkdir -p $(@D)
	@echo "  LD64    $@"
	$(Q)$(ARM_CC) $(BASE_CFLAGS) -pthread -static -o $@ $<

check: check-unit check-unit-tsan check-fuzz check-integration

# The unit tier again, built with ThreadSanitizer (build/native-tsan): any report fails the test it came from.
# A report fails the run also when it comes while a test is torn down (Criterion then
# only warns that the test "exited during its setup or teardown").
check-unit-tsan:
	$(MAKE) --no-print-directory SAN=tsan $(O)/native-tsan/unit-tests
	$(Q)TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 $(TSAN_OPTIONS)" \
		$(O)/native-tsan/unit-tests --jobs 2 > $(O)/native-tsan/unit-tests.log 2>&1; rc=$$?; \
		cat $(O)/native-tsan/unit-tests.log; [ $$rc = 0 ]
	$(Q)if grep -q 'WARNING: ThreadSanitizer' $(O)/native-tsan/unit-tests.log; then \
		echo "check-unit-tsan: ThreadSanitizer reported $$(grep -c 'WARNING: ThreadSanitizer' \
			$(O)/native-tsan/unit-tests.log) problem(s), see $(O)/native-tsan/unit-tests.log"; exit 1; fi

# The fuzzers (state stream, migration network parsers, virtio) for a bounded time each: a crash fails the run.
check-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(or $(CHECK_FUZZ_TIME),30)

# Folders include each other only as tools/layers.txt allows, the section descriptors
# match the baseline, then the Criterion tests.
check-unit: $(UNIT_BIN) check-descriptors
	$(PYTHON) tools/check-includes
	$(UNIT_BIN) --jobs 2

# The section descriptors against the committed baseline: a break not recorded in
# the allow-list fails (migration/compat/descriptors.h, tools/vmm-compat.c).
check-descriptors: $(NATIVE_DIR)/vmm-compat
	$(Q)$< dump-descriptors $(NATIVE_DIR)/descriptors.json
	$(Q)$< diff-descriptors tests/data/descriptors-v1.json $(NATIVE_DIR)/descriptors.json \
		--allow tests/data/descriptors-allow.txt

check-integration: all
	$(PYTHON) tests/integration/run.py --build $(O) --tier integration

bench: all
	$(BENCH_NATIVE)
	$(PYTHON) tests/integration/run.py --build $(O) --tier bench

demo: all
	$(PYTHON) tests/integration/run.py --build $(O) --tier demo

check-fresh:
	tools/check-fresh.sh
# Native transport benchmark (TLS + zstd over loopback) against `openssl speed` on
# this machine; `make bench` runs it first, then the test host's bench tier.
$(BENCH_NATIVE): $(NATIVE_DIR)/obj/tests/bench/transport_bench.o $(NATIVE_DIR)/obj/tests/unit/live/live_test.o \
		$(NATIVE_LIB)
	@echo "  LD      $@"
	$(Q)$(NATIVE_CC) $(NATIVE_CFLAGS) -o $@ $(filter %.o,$^) $(NATIVE_LIB) $(NATIVE_LDLIBS)

bench-native: $(BENCH_NATIVE)
	$(BENCH_NATIVE)

# The same bench for the arm64 test host, where the kernel offers TLS (tests/integration bench tier).
$(ARM_BENCH): $(ARM_DIR)/obj/tests/bench/transport_bench.o $(ARM_DIR)/obj/tests/unit/live/live_test.o $(ARM_LIB)
	@echo "  LD64    $@"
	$(Q)$(ARM_CC) $(ARM_LDFLAGS) -o $@ $(filter %.o,$^) $(ARM_LIB) $(ARM_LDLIBS)

# libFuzzer target for the state stream reader (clang). make fuzz FUZZ_TIME=60
FUZZ_DIR := $(O)/fuzz
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
# The format and the real VM sections (their descriptors and cross-checks), with what they need.
FUZZ_SRCS := $(sort $(wildcard migration/format/*.c) $(wildcard migration/vm/*.c) gic/gic_state.c hotplug/cpuhp.c storage/blk_state.c \
	hotplug/ged.c vmm/devices/pl011.c vmm/core/log.c)

$(FUZZ_DIR)/fuzz_state: tests/fuzz/fuzz_state.c $(FUZZ_SRCS) $(wildcard migration/format/*.h migration/vm/*.h) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) -std=gnu11 -g -O1 $(WARN) -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $< $(FUZZ_SRCS) $(shell pkg-config --libs msgpack) -lpthread

# The live-migration parsers a destination runs on network input (control messages, page batches).
FUZZ_LIVE_SRCS := migration/live/ctrl.c migration/live/page_batch.c migration/format/error.c

$(FUZZ_DIR)/fuzz_migration: tests/fuzz/fuzz_migration.c $(FUZZ_LIVE_SRCS) $(wildcard migration/live/*.h) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) -std=gnu11 -g -O1 $(WARN) -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $< $(FUZZ_LIVE_SRCS) $(shell pkg-config --libs libzstd)

fuzz: $(FUZZ_DIR)/fuzz_state $(FUZZ_DIR)/fuzz_migration $(FUZZ_DIR)/fuzz_virtio
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/corpus-migration $(FUZZ_DIR)/corpus-virtio
	$< -max_total_time=$(FUZZ_TIME) -max_len=65536 -print_final_stats=1 $(FUZZ_DIR)/corpus tests/data
	$(FUZZ_DIR)/fuzz_migration -max_total_time=$(FUZZ_TIME) -max_len=65536 -print_final_stats=1 \
		$(FUZZ_DIR)/corpus-migration
	$(FUZZ_DIR)/fuzz_virtio -max_total_time=$(FUZZ_TIME) -max_len=65600 -print_final_stats=1 \
		$(FUZZ_DIR)/corpus-virtio

# libFuzzer target for the virtqueue / virtio-blk request parsers and the virtio-mmio registers.
FUZZ_VIRTIO_SRCS := vmm/devices/virtqueue.c vmm/devices/virtio_mmio.c storage/blk_req.c vmm/core/log.c

$(FUZZ_DIR)/fuzz_virtio: tests/fuzz/fuzz_virtio.c $(FUZZ_VIRTIO_SRCS) $(wildcard vmm/devices/*.h storage/*.h) | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) -std=gnu11 -g -O1 $(WARN) -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $< $(FUZZ_VIRTIO_SRCS)

fuzz-virtio: $(FUZZ_DIR)/fuzz_virtio
	@mkdir -p $(FUZZ_DIR)/corpus-virtio
	$< -max_total_time=$(FUZZ_TIME) -max_len=65600 -print_final_stats=1 $(FUZZ_DIR)/corpus-virtio

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
