# SPDX-License-Identifier: GPL-2.0
#
# Quality gates, included at the end of the Makefile (uses its variables):
#
#   make fuzz           each libFuzzer target for FUZZ_SECONDS (default 60)
#   make fuzz-regress   every seed of tests/fuzz/corpus once through its target
#   make fuzz-build     just build the targets into $(OUTPUT)/fuzz
#   make test-asan      unit tests and e2e tests with ASan+UBSan binaries
#   make lint           clang-tidy (.clang-tidy) and cppcheck on user/*/*.c
#   make valgrind       blockwatch under valgrind against a C target (root)
#   make quality-deps   installs the tools the gates use
#
# Everything built goes to $(OUTPUT)/fuzz and $(OUTPUT)/asan, apart from the
# normal build.

.PHONY: fuzz fuzz-build fuzz-regress fuzz-go-seeds test-asan asan-build lint lint-tidy \
	lint-cppcheck valgrind quality-deps

# The fuzzers and the ASan build need clang's sanitizer runtimes (libFuzzer).
DEPS_PKGS += libclang-rt-dev clang-tidy cppcheck valgrind
QUALITY_PKGS := libclang-rt-dev clang-tidy cppcheck valgrind

quality-deps:
	@dpkg -s $(DEPS_PKGS) $(QUALITY_PKGS) >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$(DEPS_PKGS) $(QUALITY_PKGS); }

# ---- fuzzing ----------------------------------------------------------------------

FUZZ_CC ?= $(CLANG)
FUZZ_SECONDS ?= 60
FUZZ_DIR := $(OUTPUT)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(WARNINGS) \
	-std=gnu11 -D_GNU_SOURCE $(INCLUDES) -Itests/fuzz -MMD -MP

# Each target links only the pure modules it needs.
FUZZ_NAMES := parse ksyms gobin syms procfs gopatterns escape snapshot pywalk
FUZZ_MODS_parse := core/parse
FUZZ_MODS_ksyms := platform/ksyms
FUZZ_MODS_gobin := go/gobin go/goversions go/x86dec go/gcmap
FUZZ_LIBS_gobin := -ldw -lelf -lz
FUZZ_MODS_syms := platform/syms platform/elfsec platform/memread go/gofuncs core/hashmap $(FUZZ_MODS_gobin)
FUZZ_LIBS_syms := -ldw -lelf -lz -llzma
FUZZ_MODS_procfs := platform/procfs platform/filter core/hashmap
FUZZ_MODS_gopatterns := core/patterns go/gowait core/numfmt
FUZZ_MODS_escape := core/escape
FUZZ_LIBS_escape := -ljson-c
FUZZ_MODS_snapshot := export/snapshot core/capture core/escape core/gomodel platform/ksyms
FUZZ_LIBS_snapshot := -ljson-c
FUZZ_MODS_pywalk := python/pywalk python/pylinetable python/pyversions core/hashmap

FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))

$(FUZZ_DIR)/user $(FUZZ_DIR)/harness:
	$(Q)mkdir -p $@

# Order-only on the normal object: generated headers exist first (see test-asan).
$(FUZZ_DIR)/user/%.o: user/%.c | $(OUTPUT)/user/%.o $(FUZZ_DIR)/user
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/harness/%.o: tests/fuzz/%.c | $(FUZZ_DIR)/harness
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

define FUZZ_LINK
$(FUZZ_DIR)/fuzz_$(1): $(FUZZ_DIR)/harness/fuzz_$(1).o $(patsubst %,$(FUZZ_DIR)/user/%.o,$(FUZZ_MODS_$(1)))
	$$(call msg,FUZZ-LD,$$@)
	$$(Q)$$(FUZZ_CC) -g $$(FUZZ_SAN) -fsanitize=fuzzer $$^ $(FUZZ_LIBS_$(1)) -o $$@
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call FUZZ_LINK,$(t))))

fuzz-build: $(FUZZ_BINS)

# Real Go binaries are too big for git (> 1 MB): when the Go fixtures are
# built, their stripped variants are linked into $(FUZZ_DIR)/seeds/gobin.
# fuzz-regress always runs them (a second each); fuzzing starts from them only
# with FUZZ_GO_SEEDS=1, as each costs ~4 ms against ~0.07 ms for the tiny
# synthetic seeds of tests/fuzz/corpus/gobin (tests/fuzz/gen-go-seeds.py),
# which reach more of gobin.c in the same time.
FUZZ_GO_SEEDS ?= 0
fuzz-go-seeds:
	$(Q)rm -rf $(FUZZ_DIR)/seeds/gobin && mkdir -p $(FUZZ_DIR)/seeds/gobin
	$(Q)for f in $(CURDIR)/$(GO_FIXTURES)/go1.*/stripped $(CURDIR)/$(GO_FIXTURES)/go1.*/pie-stripped \
		$(CURDIR)/$(GO_FIXTURES)/go1.*/cgo-pie.gnustrip; do \
		[ -f "$$f" ] || continue; \
		v=$$(basename $$(dirname $$f)); ln -s "$$f" $(FUZZ_DIR)/seeds/gobin/$$v-$$(basename $$f); \
	done

fuzz: $(FUZZ_BINS) fuzz-go-seeds
	@FUZZ_EXTRA_SEEDS=$(FUZZ_GO_SEEDS) sh tests/fuzz/run.sh fuzz $(FUZZ_DIR) $(FUZZ_DIR) \
		$(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-regress: $(FUZZ_BINS) fuzz-go-seeds
	@sh tests/fuzz/run.sh regress $(FUZZ_DIR) $(FUZZ_NAMES)

-include $(wildcard $(FUZZ_DIR)/*/*.d $(FUZZ_DIR)/*/*/*.d)

# ---- sanitizer build of the tests ---------------------------------------------------

# The whole user build again with ASan+UBSan, apart in $(OUTPUT)/asan: the
# unit tests, and a blockwatch binary the e2e tests run (BW_BIN).
ASAN_CC ?= $(CC)
ASAN_DIR := $(OUTPUT)/asan
ASAN_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_CFLAGS := -g -O1 $(ASAN_SAN) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE $(INCLUDES) -MMD -MP
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Objects of user/ and tests/unit/ are rebuilt; any other (generated code)
# is linked as the normal build made it.
asan_obj = $(foreach o,$(1),$(if $(filter $(OUTPUT)/user/% $(OUTPUT)/tests/unit/%,$(o)),$(patsubst \
	$(OUTPUT)/%,$(ASAN_DIR)/%,$(o)),$(o)))
ASAN_USER_OBJS := $(call asan_obj,$(USER_OBJS))
ASAN_LIB_OBJS := $(call asan_obj,$(LIB_OBJS))
ASAN_UNIT_OBJS := $(call asan_obj,$(UNIT_OBJS))

$(ASAN_DIR)/user $(ASAN_DIR)/tests/unit:
	$(Q)mkdir -p $@

# Order-only on the normal object: whatever headers the build generates for
# it exist before (the Makefile's rules know which).
$(ASAN_DIR)/user/%.o: user/%.c $(SKELS) | $(OUTPUT)/user/%.o $(ASAN_DIR)/user
	$(call msg,ASAN-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -c $< -o $@

$(ASAN_DIR)/tests/unit/%.o: tests/unit/%.c $(SKELS) | $(OUTPUT)/tests/unit/%.o $(ASAN_DIR)/tests/unit
	$(call msg,ASAN-CC,$@)
	$(Q)$(ASAN_CC) $(ASAN_CFLAGS) -c $< -o $@

# Generated objects the Makefile adds to the links outside USER_OBJS (mk/pprof.mk),
# read at the second expansion: whichever order the .mk files are included in.
ASAN_EXTRA_OBJS = $(PPROF_OBJS)
.SECONDEXPANSION:

$(ASAN_DIR)/blockwatch: $(ASAN_USER_OBJS) $$(ASAN_EXTRA_OBJS)
	$(call msg,ASAN-LD,$@)
	$(Q)$(ASAN_CC) $(ASAN_SAN) $^ $(LDLIBS) -o $@

$(ASAN_DIR)/unit-tests: $(ASAN_UNIT_OBJS) $(ASAN_LIB_OBJS) $$(ASAN_EXTRA_OBJS)
	$(call msg,ASAN-LD,$@)
	$(Q)$(ASAN_CC) $(ASAN_SAN) $^ $(LDLIBS) -lcriterion -o $@

asan-build: $(ASAN_DIR)/blockwatch $(ASAN_DIR)/unit-tests

# The unit-test runner goes without the leak check: Criterion's own runner leaks
# (48 bytes from libcriterion, seen in CI) and fails the run after every test
# passed. Leaks are checked on the blockwatch binary the e2e tests run.
test-asan: asan-build $(OUTPUT)/e2e-tests targets go-fixtures
	$(ASAN_ENV) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 BW_GO_FIXTURES=$(GO_FIXTURES) \
		$(ASAN_DIR)/unit-tests --jobs 2
	@if [ "$$(id -u)" != 0 ]; then echo "test-asan: e2e must run as root (loads BPF)" >&2; exit 1; fi
	$(ASAN_ENV) BW_BIN=$(CURDIR)/$(ASAN_DIR)/blockwatch BW_TARGETS=$(CURDIR)/$(OUTPUT)/targets \
		$(OUTPUT)/e2e-tests --jobs 1

-include $(wildcard $(ASAN_DIR)/*/*/*.d $(ASAN_DIR)/*/*/*/*.d)

# ---- static analysis ----------------------------------------------------------------

# clang-tidy with .clang-tidy, one stamp per file: a file is checked again
# when it or a header it includes changes (its normal object is rebuilt, per
# the .d files). The normal objects also make the generated headers first.
# Generated headers are system headers here: their findings are not ours.
CLANG_TIDY ?= clang-tidy
CPPCHECK ?= cppcheck
LINT_DIR := $(OUTPUT)/lint
LINT_SRCS := $(USER_SRCS)
LINT_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARNINGS) -isystem $(OUTPUT) -Ibpf -Iuser
# bpftool's skeletons: the analyzer sees a leak in their __create_skeleton
# error path (bpf_object__destroy_skeleton frees it). tracer.c includes them.
TIDY_EXTRA_platform/tracer := --checks=-clang-analyzer-unix.Malloc
LINT_STAMPS := $(patsubst user/%.c,$(LINT_DIR)/%.tidy,$(LINT_SRCS))

$(LINT_DIR):
	$(Q)mkdir -p $@

$(LINT_DIR)/%.tidy: user/%.c $(OUTPUT)/user/%.o .clang-tidy | $(LINT_DIR)
	$(call msg,TIDY,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG_TIDY) --quiet $(TIDY_EXTRA_$*) $< -- $(LINT_CFLAGS) >$@.log 2>&1 || \
		{ grep -v '^[0-9]* warnings\? generated' $@.log >&2; exit 1; }
	$(Q)touch $@

lint-tidy: $(LINT_STAMPS)

# cppcheck sees no system headers: the protobuf-c version check of the
# generated header needs its macros. tracer.c is checked without the
# skeletons (-I$(OUTPUT)): their embedded BPF object, one string literal of
# hundreds of KB, costs cppcheck minutes.
# False positives in files still being written (an inline
# "cppcheck-suppress id ; reason" in the file replaces each):
#  export/httpd.c reply(): text is only read when resp is NULL, never both NULL
CPPCHECK_SUPPRESS := --suppress=nullPointer:user/export/httpd.c
CPPCHECK_FLAGS := --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
	--std=c11 --quiet -D_GNU_SOURCE -D__x86_64__ -DPROTOBUF_C_VERSION_NUMBER=1004001 \
	-DPROTOBUF_C_MIN_COMPILER_VERSION=1000000 -Ibpf -Iuser \
	$(CPPCHECK_SUPPRESS)

lint-cppcheck: $(filter-out $(OUTPUT)/user/platform/tracer.o,$(USER_OBJS))
	$(call msg,CPPCHECK,user/*/*.c)
	$(Q)$(CPPCHECK) $(CPPCHECK_FLAGS) -I$(OUTPUT) $(filter-out user/platform/tracer.c,$(LINT_SRCS))
	$(Q)$(CPPCHECK) $(CPPCHECK_FLAGS) $(filter user/platform/tracer.c,$(LINT_SRCS))

lint: lint-tidy lint-cppcheck

# ---- valgrind ---------------------------------------------------------------------

valgrind: blockwatch $(OUTPUT)/targets/deadlock_pair
	@sh tests/valgrind.sh ./blockwatch $(OUTPUT)/targets

# ---- hostile targets --------------------------------------------------------------

# A 32-bit program with raw int $0x80 syscalls, no libc: an explicit rule,
# so the generic one of the Makefile (64-bit, pthread) does not apply. When
# the compiler cannot make it, the e2e test skips with a notice.
$(OUTPUT)/targets/i386_wait: tests/targets/i386_wait.c | $(OUTPUT)/targets
	$(call msg,CC-M32,$@)
	$(Q)$(CLANG) -m32 -nostdlib -static -g -O1 -fno-stack-protector -Wall $< -o $@ || \
		{ rm -f $@; echo "i386_wait: cannot build a 32-bit program here; its test skips" >&2; }

# ---- soak -------------------------------------------------------------------------

# blockwatch -a against churning threads, goroutines and processes for
# SOAK_SECONDS (default 180): no RSS or fd growth, the deadlocked pair found
# in every scan. Figures in $(OUTPUT)/soak/samples.tsv.
SOAK_SECONDS ?= 180
.PHONY: soak
soak: blockwatch $(OUTPUT)/targets/thread_churn
	@SOAK_SECONDS=$(SOAK_SECONDS) sh bench/soak.sh $(CURDIR)/blockwatch \
		$(CURDIR)/$(OUTPUT)/targets $(OUTPUT)/soak
