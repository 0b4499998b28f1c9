# common/: libcommon.a, the one internal library. It may use jansson (JSON
# helpers) and LMDB (the kv wrapper); everything else in it is plain libc,
# but for libcommon-db.a below.
# Its unit tests are tests/unit/test_<module>.c (no program prefix).

COMMON_PKGS := jansson lmdb
build/common/%.o: PKG_CFLAGS := $(call pkg_cflags,$(COMMON_PKGS))
COMMON_LIBS := $(call pkg_libs,$(COMMON_PKGS))

# PostgreSQL access (common/db*.c) is a second archive, libcommon-db.a:
# only its objects get libpq's flags, so a program that does not link it
# (the crawler, the guest agent, pyti-pep) cannot include db.h. A program
# that uses it links $(LIBCOMMON_DB) before $(LIBCOMMON), with
# $(COMMON_DB_LIBS), and gets libpq's flags in its own folder.
COMMON_DB_PKGS := libpq
COMMON_DB_SRCS := $(wildcard common/db*.c)
COMMON_DB_OBJS := $(patsubst %.c,build/%.o,$(COMMON_DB_SRCS))
$(COMMON_DB_OBJS): PKG_CFLAGS := $(call pkg_cflags,$(COMMON_PKGS) \
	$(COMMON_DB_PKGS))
COMMON_DB_LIBS := $(call pkg_libs,$(COMMON_DB_PKGS))
LIBCOMMON_DB := build/libcommon-db.a

# HTTP downloads (common/fetch.c, libcurl's multi interface) and the
# verified content-addressed store writer (common/store.c) are a third
# archive, libcommon-fetch.a: only its objects get libcurl's flags, and
# only a program that fetches (the crawler; the scheduler for metadata
# missing from the store) links it, before $(LIBCOMMON), with
# $(COMMON_FETCH_LIBS).
COMMON_FETCH_PKGS := libcurl
COMMON_FETCH_SRCS := common/fetch.c common/store.c
COMMON_FETCH_OBJS := $(patsubst %.c,build/%.o,$(COMMON_FETCH_SRCS))
$(COMMON_FETCH_OBJS): PKG_CFLAGS := $(call pkg_cflags,$(COMMON_PKGS) \
	$(COMMON_FETCH_PKGS))
COMMON_FETCH_LIBS := $(call pkg_libs,$(COMMON_FETCH_PKGS)) -lm
LIBCOMMON_FETCH := build/libcommon-fetch.a

COMMON_OBJS := $(patsubst %.c,build/%.o,$(filter-out $(COMMON_DB_SRCS) \
	$(COMMON_FETCH_SRCS),$(wildcard common/*.c)))
LIBCOMMON := build/libcommon.a

# The version every program prints (--version, common/cli.c): git describe
# of the tree, kept in build/VERSION and rewritten only when it changes,
# so only cli.o is rebuilt after a commit.
PYTI_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
build/VERSION: FORCE
	@mkdir -p build
	@[ "$$(cat $@ 2>/dev/null)" = '$(PYTI_VERSION)' ] || \
		echo '$(PYTI_VERSION)' > $@
build/common/cli.o: build/VERSION
build/common/cli.o: PKG_CFLAGS += -DPYTI_VERSION='"$(PYTI_VERSION)"'

$(LIBCOMMON): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

$(LIBCOMMON_DB): $(COMMON_DB_OBJS)
	@mkdir -p $(dir $@)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

$(LIBCOMMON_FETCH): $(COMMON_FETCH_OBJS)
	@mkdir -p $(dir $@)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

# Unit tests of common modules: every tests/unit/test_*.c that does not
# belong to a program (those carry the program's symbol prefix) or to
# libcommon-fetch.a (below).
PROGRAM_TEST_PREFIXES := crawl_ sched_ run_ guest_ report_
COMMON_FETCH_UNIT_SRCS := tests/unit/test_store.c
COMMON_UNIT_SRCS := $(filter-out \
	$(foreach p,$(PROGRAM_TEST_PREFIXES),tests/unit/test_$(p)%) \
	$(COMMON_FETCH_UNIT_SRCS), $(wildcard tests/unit/test_*.c))
COMMON_UNIT := $(patsubst tests/unit/%.c,build/tests/unit/%,$(COMMON_UNIT_SRCS))
UNIT_TESTS += $(COMMON_UNIT)

build/tests/unit/%.o: PKG_CFLAGS := $(call pkg_cflags,$(COMMON_PKGS) cmocka)
$(COMMON_UNIT): build/tests/unit/%: build/tests/unit/%.o $(LIBCOMMON)
	$(call link,$(COMMON_LIBS) $(call pkg_libs,cmocka))

COMMON_FETCH_UNIT := $(patsubst tests/unit/%.c,build/tests/unit/%, \
	$(COMMON_FETCH_UNIT_SRCS))
UNIT_TESTS += $(COMMON_FETCH_UNIT)
$(COMMON_FETCH_UNIT): build/tests/unit/%: build/tests/unit/%.o \
		$(LIBCOMMON_FETCH) $(LIBCOMMON)
	$(call link,$(COMMON_FETCH_LIBS) $(COMMON_LIBS) $(call pkg_libs,cmocka))

# tests/helper/common/store-get: store_get() for t0030.
PROGRAMS += build/tests/helper/store-get
build/tests/helper/store-get: build/tests/helper/common/store-get.o \
		$(LIBCOMMON_FETCH) $(LIBCOMMON)
	$(call link,$(COMMON_FETCH_LIBS) $(COMMON_LIBS))
