# pyti: the one top-level Makefile. It is non-recursive: every folder
# describes its own programs, objects and tests in <folder>/build.mk, which
# is included here, so one make process sees the whole dependency graph and
# `make -j` is correct. Each folder gets the compiler flags of exactly the
# libraries it may use (through pkg-config), so a layering mistake -- the
# crawler including libpq, say -- fails to compile.
#
# Knobs:  V=1 (show commands)  WERROR=1  SANITIZE=address,undefined  O=-O0
#         CFLAGS/LDFLAGS from the user are appended, never replace ours.
# Targets: all (default), test, unit, integration, fuzz, bench, fmt,
#          fmt-check, deps, images, clean.

.DEFAULT_GOAL := all
SHELL := /bin/sh
CC ?= cc
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3

O ?= -O2
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wpointer-arith -Wcast-qual -Wno-unused-parameter \
	-Wimplicit-fallthrough
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g $(O) $(WARNINGS) -Icommon \
	-fno-strict-aliasing
BASE_LDFLAGS :=
ifneq ($(WERROR),)
BASE_CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
BASE_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
BASE_LDFLAGS += -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(BASE_LDFLAGS) $(LDFLAGS)

ifeq ($(V),)
Q := @
QUIET_CC = @echo '   CC     ' $@;
QUIET_LINK = @echo '   LINK   ' $@;
QUIET_AR = @echo '   AR     ' $@;
else
Q :=
endif

# pkg-config, asked once per library set. pkg = $(call pkg_cflags,libs).
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pkg_libs = $(shell $(PKG_CONFIG) --libs $(1))

# Flags file: when the compiler or flags change, everything rebuilds (git's
# GIT-CFLAGS trick). Objects depend on it; it is only rewritten on change.
FLAGS_TEXT = $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
build/FLAGS: FORCE
	@mkdir -p build
	@tmp=build/FLAGS.$$$$; \
	printf '%s\n' '$(subst ','\'',$(FLAGS_TEXT))' > $$tmp; \
	if cmp -s $$tmp build/FLAGS; then rm -f $$tmp; \
	else mv $$tmp build/FLAGS; fi
FORCE:

# Every object: build/<dir>/<name>.o from <dir>/<name>.c, with the
# per-folder PKG_CFLAGS set by that folder's build.mk.
build/%.o: %.c build/FLAGS
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

# $(call link,LIBS): link a program or test from the objects and archives
# among its prerequisites, our flags first and the user's after.
define link
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -o $@ $(filter %.o %.a,$^) \
		$(ALL_LDFLAGS) $(1)
endef

# Lists the folders append to.
PROGRAMS :=
UNIT_TESTS :=
FUZZERS :=
CLEAN_FILES :=

include common/build.mk
include pep/build.mk
include crawler/build.mk
include scheduler/build.mk
include runner/build.mk
include db/build.mk
include guest/build.mk
include reporter/build.mk
include tests/build.mk
include tests/fuzz/build.mk
include bench/build.mk

all: $(PROGRAMS)

# The test suite: C unit tests (cmocka, TAP) then integration tests, all
# under prove, which ends with its one summary line. --timer stamps each
# test with its wall time, so a CI log shows where the budget goes. The
# guest images are built in the background meanwhile
# (tests/helper/prebuild-images): a first build overlaps the tests that
# need no VM, and the suite waits for it before it ends.
PROVE ?= prove
PROVE_FLAGS ?= --timer
PREBUILD = tests/helper/prebuild-images
# $(call suite,ENV): the whole suite with ENV set, the images built beside
suite = $(PREBUILD) start; CMOCKA_MESSAGE_OUTPUT=TAP PYTI_TOP=$(CURDIR) \
	$(1) $(PROVE) $(PROVE_FLAGS) $(UNIT_TESTS) $(INTEGRATION_TESTS); \
	rc=$$?; $(PREBUILD) wait; exit $$rc
test: all $(UNIT_TESTS) $(TEST_HELPERS)
	$(Q)$(call suite,)

# The long suite: everything make test runs, plus the tests that call
# long_test (tests/lib.sh), which make test skips to keep CI in budget.
test-long: all $(UNIT_TESTS) $(TEST_HELPERS)
	$(Q)$(call suite,PYTI_LONG=1)

unit: $(UNIT_TESTS)
	$(Q)CMOCKA_MESSAGE_OUTPUT=TAP $(PROVE) $(PROVE_FLAGS) $(UNIT_TESTS)

integration: all $(TEST_HELPERS)
	$(Q)PYTI_TOP=$(CURDIR) $(PROVE) $(PROVE_FLAGS) $(INTEGRATION_TESTS)

deps:
	$(Q)scripts/install-deps

# The demo sweep: the README's main job where PyPI is unreachable. A local
# index of real distributions (scripts/pyti-demo-index) through the whole
# sweep (cron/pyti-nightly --demo). DEMO_FLAGS=--generation 2: the next
# releases (one fails its tests, one is hostile).
demo: all
	$(Q)cron/pyti-nightly --demo $(DEMO_FLAGS)

fmt:
	$(Q)clang-format -i $(FMT_FILES)

fmt-check:
	$(Q)bad=; for f in $(FMT_FILES); do \
		clang-format --dry-run -Werror $$f >/dev/null 2>&1 || \
		bad="$$bad $$f"; done; \
	if [ -n "$$bad" ]; then echo "fmt-check: not formatted:$$bad"; \
	exit 1; fi

FMT_FILES = $(wildcard common/*.[ch] pep/*.[ch] crawler/*.[ch] scheduler/*.[ch] \
	runner/*.[ch] db/*.[ch] guest/*.[ch] guest/image/*.[ch] reporter/*.[ch] tests/unit/*.[ch] \
	tests/fuzz/*.[ch] tests/helper/*.[ch] bench/*.[ch])

clean:
	rm -rf build bin $(CLEAN_FILES)

.PHONY: all test test-long unit integration demo deps fmt fmt-check clean FORCE

-include $(shell find build -name '*.d' 2>/dev/null)
