# SPDX-License-Identifier: GPL-2.0
OUTPUT ?= .output
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CFLAGS ?= -g -O2
WARNINGS := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2
INCLUDES := -I$(OUTPUT) -Ibpf -Iuser
USER_CFLAGS := $(CPPFLAGS) $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE $(INCLUDES) -MMD -MP
LDLIBS := -lbpf -ldw -lelf -lz -llzma -ljson-c -lpthread

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

USER_SRCS := $(wildcard user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
# The command line is on top of everything; the tests link the rest.
LIB_OBJS := $(filter-out $(OUTPUT)/user/cli/main.o,$(USER_OBJS))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%.o,$(UNIT_SRCS))
BPF_TEST_SRCS := $(wildcard tests/bpf/*.c)
BPF_TEST_OBJS := $(patsubst tests/bpf/%.c,$(OUTPUT)/tests/bpf/%.o,$(BPF_TEST_SRCS))
E2E_SRCS := $(wildcard tests/e2e/*.c)
E2E_OBJS := $(patsubst tests/e2e/%.c,$(OUTPUT)/tests/e2e/%.o,$(E2E_SRCS))
TARGET_SRCS := $(wildcard tests/targets/*.c)
TARGETS := $(patsubst tests/targets/%.c,$(OUTPUT)/targets/%,$(TARGET_SRCS))
FIXTURE_SRCS := $(wildcard tests/fixtures/*.c)
FIXTURES := $(patsubst tests/fixtures/%.c,$(OUTPUT)/fixtures/%,$(FIXTURE_SRCS))

# Go toolchains other than Debian 12's are fetched once into a cache that
# outlives `make clean`; versions no suite serves are skipped with a notice.
GO_TOOLCHAINS ?= /var/cache/blockwatch/go-toolchains
GO_FIXTURES := $(OUTPUT)/go-fixtures
# CPython 3.13 (trixie) and 3.14 (sid) with their -dbg packages, likewise.
PYTHONS ?= /var/cache/blockwatch/pythons
GO_TARGETS := $(OUTPUT)/go-targets

DEPS_PKGS := clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libcriterion-dev \
	libjson-c-dev liblzma-dev xz-utils binutils libc6-dbg pkg-config make gcc golang-go clang-format \
	python3 redis-server openjdk-17-jdk-headless prometheus-node-exporter prometheus-pushgateway caddy \
	python3.11 libpython3.11 python3.11-dbg libpython3.11-dbg patchelf

# The kernel matrix (make test-kernels): Debian kernels booted under qemu.
KERNELS_CACHE ?= /var/cache/blockwatch/kernels
KERNEL_PKGS := qemu-system-x86 busybox-static kmod xz-utils zstd cpio
DEPS_PKGS += $(KERNEL_PKGS)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS)
# check-layers and test-golden run in test-all.
.PHONY: check-layers test-golden test-python python-pythons all clean vmlinux test-kernels run-test-kernels deps ensure-deps go-toolchains go-fixtures go-targets test-prom-tool test-real test test-all test-unit test-bpf test-e2e test-go-servers demo run-demo check-format format targets

all: blockwatch

blockwatch: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The BPF programs build from the committed vmlinux/vmlinux_$(ARCH).h, so the
# build does not depend on the build host's kernel (CO-RE relocates against
# the running kernel's BTF at load). `make vmlinux` regenerates it from this
# machine's /sys/kernel/btf/vmlinux.
VMLINUX_H := vmlinux/vmlinux_$(ARCH).h

$(OUTPUT)/vmlinux.h: $(VMLINUX_H) | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)cp $< $@

vmlinux:
	$(call msg,GEN,$(VMLINUX_H))
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H).tmp
	$(Q)mv $(VMLINUX_H).tmp $(VMLINUX_H)

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(OUTPUT)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) $(INCLUDES) -MMD -MP \
		-c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# Every user object may include any skeleton; -MMD tracks which really do.
$(OUTPUT)/user/%.o: user/%.c $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/unit/%.o: tests/unit/%.c $(SKELS) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/bpf/%.o: tests/bpf/%.c $(SKELS) | $(OUTPUT)/tests/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUTPUT)/tests/e2e/%.o: tests/e2e/%.c | $(OUTPUT)/tests/e2e
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

# Python frames of a live process (tests/python/check-frames.sh).
PY_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(wildcard user/python/*.c)) \
	$(addprefix $(OUTPUT)/user/,platform/memread.o platform/elfsec.o core/hashmap.o)
$(OUTPUT)/tests/python/%.o: tests/python/%.c | $(OUTPUT)/tests/python
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(OUTPUT)/pyframes: $(OUTPUT)/tests/python/pyframes.o $(PY_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lelf -o $@

# A program embedding Python: it loads any libpython3.X.so given to it.
$(OUTPUT)/py-embed: tests/python/embed.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O1 -Wall -MMD -MP -MF $@.d $< -ldl -o $@

# One-off: the cost of the stack map walk (bench/gcmap_bench.c), not part of any test.
$(OUTPUT)/gcmap-bench: bench/gcmap_bench.c $(addprefix $(OUTPUT)/user/,go/gcmap.o go/gobin.o go/goversions.o go/x86dec.o platform/memread.o)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ $(LDLIBS) -o $@

# One-off: the shared hash table against goreach's old inline one (bench/hashmap_bench.c).
$(OUTPUT)/hashmap-bench: bench/hashmap_bench.c $(OUTPUT)/user/core/hashmap.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ -o $@

$(OUTPUT)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -ljson-c -lcriterion -o $@

$(OUTPUT)/bpf-tests: $(BPF_TEST_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -lbpf -lelf -lz -lcriterion -o $@

$(OUTPUT)/e2e-tests: $(E2E_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -ljson-c -lcriterion -o $@

# Targets keep frame pointers and debug info so stacks are exact.
$(OUTPUT)/targets/%: tests/targets/%.c | $(OUTPUT)/targets
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O1 -fno-omit-frame-pointer -Wall -pthread -MMD -MP -MF $@.d $< -o $@

$(OUTPUT)/fixtures/%: tests/fixtures/%.c | $(OUTPUT)/fixtures
	$(call msg,CC,$@)
	$(Q)$(CC) -g -O0 -fno-omit-frame-pointer $< -o $@

# Stripped copies of symfix, as distributions ship binaries (tests/fixtures/stripped.sh);
# the bomb's payload decompresses to just past BW_SYMS_DEBUGDATA_MAX_BYTES (64 MiB).
SYMFIX_STRIPPED := $(addprefix $(OUTPUT)/fixtures/symfix.,stripped debuglink minidebug minibomb)
$(SYMFIX_STRIPPED): $(OUTPUT)/fixtures/symfix.%: $(OUTPUT)/fixtures/symfix tests/fixtures/stripped.sh
	$(call msg,STRIP,$@)
	$(Q)sh tests/fixtures/stripped.sh $(patsubst stripped,debug,$*) $< $@ $(if \
		$(filter minibomb,$*),67112960)

# A target as distributions ship it: stripped, with and without MiniDebugInfo.
STRIPPED_TARGETS := $(addprefix $(OUTPUT)/targets/deadlock_pair.,stripped minidebug)
$(STRIPPED_TARGETS): $(OUTPUT)/targets/deadlock_pair.%: $(OUTPUT)/targets/deadlock_pair \
		tests/fixtures/stripped.sh
	$(call msg,STRIP,$@)
	$(Q)sh tests/fixtures/stripped.sh $(patsubst stripped,debug,$*) $< $@

targets: $(TARGETS) $(FIXTURES) $(SYMFIX_STRIPPED) $(STRIPPED_TARGETS)

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests/unit $(OUTPUT)/tests/python $(OUTPUT)/tests/bpf $(OUTPUT)/tests/e2e $(OUTPUT)/targets $(OUTPUT)/fixtures:
	$(Q)mkdir -p $@

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEPS_PKGS)

# Installs the packages only when one is missing, so the README's two
# commands work on a fresh machine and cost nothing on a ready one.
ensure-deps:
	@dpkg -s $(DEPS_PKGS) >/dev/null 2>&1 || $(MAKE) --no-print-directory deps

test: ensure-deps
	@$(MAKE) --no-print-directory test-all

test-all: check-layers test-golden test-unit test-bpf test-e2e test-python test-real test-go-servers test-prom test-prom-tool \
	test-autosnap test-alert-loop test-deploy test-docs test-package fuzz-regress lint test-asan valgrind

# Idle, healthy programs from Debian's archive (CPython, redis-server, a JVM):
# no leak, no deadlock, exit 0. Port: redis-server's, for a shared machine.
REAL_PORT ?= 19201
test-real: blockwatch
	@if [ "$$(id -u)" != 0 ]; then echo "test-real: must run as root (loads BPF)" >&2; exit 1; fi
	@sh tests/real/run.sh $(CURDIR)/blockwatch $(REAL_PORT)

# The renderings of committed snapshots (tests/golden), byte for byte as the
# reference build made them: text, JSON, pprof, folded, diff. No root.
test-golden: blockwatch
	@sh tests/golden/check.sh $(CURDIR)/blockwatch

# The arrows of user/: each part includes only the parts below it.
check-layers:
	@sh tests/layers/check.sh

# Real Go servers from Debian (prometheus, node-exporter, pushgateway, caddy), idle: no leak, no deadlock.
test-go-servers: blockwatch
	@if [ "$$(id -u)" != 0 ]; then echo "test-go-servers: must run as root" >&2; exit 1; fi
	@sh tests/go/real-servers.sh $(CURDIR)/blockwatch 19510

# Prometheus scrapes blockwatch itself, watching the demo processes.
test-prom-tool: blockwatch $(OUTPUT)/targets/demo $(OUTPUT)/go-demo
	@sh tests/prom/scrape-tool.sh $(CURDIR)/blockwatch $(CURDIR)/$(OUTPUT)/targets/demo \
		$(CURDIR)/$(OUTPUT)/go-demo

go-toolchains:
	@sh tests/go/fetch-toolchains.sh $(GO_TOOLCHAINS)

python-pythons:
	@sh tests/python/fetch-pythons.sh $(PYTHONS)

# Python frames read from memory against faulthandler's dump of the same
# threads, on every CPython served (tests/python/check-frames.sh), then the
# same in blockwatch's own --json report (tests/python/check-report.sh). Root:
# both read other processes' memory.
test-python: $(OUTPUT)/pyframes $(OUTPUT)/py-embed blockwatch python-pythons
	@if [ "$$(id -u)" != 0 ]; then echo "test-python: must run as root" >&2; exit 1; fi
	@sh tests/python/check-frames.sh $(CURDIR)/$(OUTPUT)/pyframes $(CURDIR)/$(OUTPUT)/py-embed \
		$(CURDIR)/$(OUTPUT)/python-frames $(PYTHONS)
	@sh tests/python/check-report.sh $(CURDIR)/blockwatch $(CURDIR)/$(OUTPUT)/py-embed \
		$(CURDIR)/$(OUTPUT)/python-report $(PYTHONS)

go-fixtures: go-toolchains
	@sh tests/go/build-fixtures.sh $(GO_FIXTURES) $(GO_TOOLCHAINS)

go-targets: go-toolchains
	@BW_GO_TOOLCHAINS=$(GO_TOOLCHAINS) sh tests/go/build-targets.sh $(GO_TARGETS)

test-unit: $(OUTPUT)/unit-tests targets go-fixtures python-pythons
	BW_GO_FIXTURES=$(GO_FIXTURES) BW_PYTHONS=$(PYTHONS) $(OUTPUT)/unit-tests --jobs 2

test-bpf: $(OUTPUT)/bpf-tests
	@if [ "$$(id -u)" != 0 ]; then echo "test-bpf: must run as root (loads BPF)" >&2; exit 1; fi
	$(OUTPUT)/bpf-tests --jobs 1

test-e2e: blockwatch $(OUTPUT)/e2e-tests targets go-targets
	@if [ "$$(id -u)" != 0 ]; then echo "test-e2e: must run as root (loads BPF)" >&2; exit 1; fi
	BW_BIN=$(CURDIR)/blockwatch BW_TARGETS=$(CURDIR)/$(OUTPUT)/targets \
		BW_GO_TARGETS=$(CURDIR)/$(GO_TARGETS) $(OUTPUT)/e2e-tests --jobs 1

# Each Debian kernel from 5.10 (bullseye, bookworm, trixie, sid) booted under
# qemu with this machine's root over 9p, running an end-to-end subset
# (tests/kernels/run.sh). Not part of test-all: .ci/run runs it after make test.
test-kernels: ensure-deps
	@$(MAKE) --no-print-directory run-test-kernels

run-test-kernels: blockwatch $(OUTPUT)/e2e-tests targets go-targets
	@if [ "$$(id -u)" != 0 ]; then echo "test-kernels: must run as root" >&2; exit 1; fi
	@sh tests/kernels/run.sh $(KERNELS_CACHE)

demo: ensure-deps
	@$(MAKE) --no-print-directory run-demo

run-demo: blockwatch $(OUTPUT)/targets/demo $(OUTPUT)/go-demo
	@if [ "$$(id -u)" != 0 ]; then echo "demo: run as root: sudo make demo" >&2; exit 1; fi
	@sh tests/demo.sh $(CURDIR)/blockwatch $(CURDIR)/$(OUTPUT)/targets/demo \
		$(CURDIR)/$(OUTPUT)/go-demo

# The demo's leaking Go service, with Debian's Go: offline, nothing downloaded.
$(OUTPUT)/go-demo: $(wildcard tests/go/targets/growleak/*.go tests/go/targets/internal/*/*.go)
	$(call msg,GO,$@)
	$(Q)cd tests/go/targets && GOCACHE=$(CURDIR)/$(OUTPUT)/.gocache GOPATH=$(CURDIR)/$(OUTPUT)/.gopath \
		GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0 \
		go build -o $(CURDIR)/$@ ./growleak

FORMAT_SRCS = $(wildcard bpf/*.c bpf/*.h user/*/*.c user/*/*.h tests/*/*.c tests/*/*.h bench/*.c)
check-format:
	clang-format --dry-run -Werror $(FORMAT_SRCS)

format:
	clang-format -i $(FORMAT_SRCS)

clean:
	rm -rf $(OUTPUT) blockwatch

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/*/*.d $(OUTPUT)/*/*/*.d $(OUTPUT)/*/*/*/*.d)

include mk/pprof.mk
include mk/prom.mk
include mk/quality.mk
include mk/install.mk

# Benchmarks (not part of make test): bench/run.sh, results in bench/results.md.
.PHONY: bench
bench: ensure-deps blockwatch
	@bash bench/run.sh
