# tests/fuzz/: libFuzzer targets, built with clang and
# -fsanitize=fuzzer,address,undefined into build/fuzz/. Every
# tests/fuzz/fuzz_<name>.c is a target (LLVMFuzzerTestOneInput) with its
# seed corpus in tests/fuzz/corpus/<name>/: adding a target needs no edit
# here. The targets link an archive of all of common/ compiled with clang,
# so each pulls in only the modules it calls.
#
#   make fuzzers                    build them
#   make fuzz [FUZZ_SECONDS=60]     fuzz each for that long; new inputs go
#                                   to build/fuzz/corpus/<name>/, crashes to
#                                   build/fuzz/crash-<name>-*
#   make fuzz-replay                run each over its seed corpus (what
#                                   tests/t/t0190-fuzz-replay.sh does)

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Icommon $(FUZZ_SAN) \
	$(call pkg_cflags,$(COMMON_PKGS))

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZERS += $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_COMMON_OBJS := $(patsubst common/%.c,build/fuzz/common/%.o, \
	$(filter-out $(COMMON_DB_SRCS),$(wildcard common/*.c)))
FUZZ_LIBCOMMON := build/fuzz/libcommon.a

# Not build/FLAGS: these objects do not change with SANITIZE or WERROR.
build/fuzz/common/%.o: common/%.c tests/fuzz/build.mk
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-MMD -MP -c -o $@ $<

$(FUZZ_LIBCOMMON): $(FUZZ_COMMON_OBJS)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBCOMMON) tests/fuzz/build.mk
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_LIBCOMMON) $(COMMON_LIBS)

fuzzers: $(FUZZERS)

fuzz: $(FUZZERS)
	$(Q)for n in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		build/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=build/fuzz/crash-$$n- \
			-print_final_stats=1 build/fuzz/corpus/$$n \
			tests/fuzz/corpus/$$n || exit 1; \
	done

fuzz-replay: $(FUZZERS)
	$(Q)for n in $(FUZZ_NAMES); do \
		build/fuzz/fuzz_$$n tests/fuzz/corpus/$$n/* >/dev/null 2>&1 || \
		{ echo "fuzz-replay: $$n failed"; \
		  build/fuzz/fuzz_$$n tests/fuzz/corpus/$$n/*; exit 1; }; \
	done; echo "fuzz-replay: $(FUZZ_NAMES) ok"

.PHONY: fuzzers fuzz fuzz-replay
