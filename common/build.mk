# common/: libcommon.a, the one internal library. It may use jansson (JSON
# helpers) and LMDB (the kv wrapper); everything else in it is plain libc.
# Its unit tests are tests/unit/test_<module>.c (no program prefix).

COMMON_PKGS := jansson lmdb
build/common/%.o: PKG_CFLAGS := $(call pkg_cflags,$(COMMON_PKGS))
COMMON_LIBS := $(call pkg_libs,$(COMMON_PKGS))

COMMON_OBJS := $(patsubst %.c,build/%.o,$(wildcard common/*.c))
LIBCOMMON := build/libcommon.a

$(LIBCOMMON): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

# Unit tests of common modules: every tests/unit/test_*.c that does not
# belong to a program (those carry the program's symbol prefix).
PROGRAM_TEST_PREFIXES := crawl_ sched_ run_ guest_ report_
COMMON_UNIT_SRCS := $(filter-out \
	$(foreach p,$(PROGRAM_TEST_PREFIXES),tests/unit/test_$(p)%), \
	$(wildcard tests/unit/test_*.c))
COMMON_UNIT := $(patsubst tests/unit/%.c,build/tests/unit/%,$(COMMON_UNIT_SRCS))
UNIT_TESTS += $(COMMON_UNIT)

build/tests/unit/%.o: PKG_CFLAGS := $(call pkg_cflags,$(COMMON_PKGS) cmocka)
$(COMMON_UNIT): build/tests/unit/%: build/tests/unit/%.o $(LIBCOMMON)
	$(call link,$(COMMON_LIBS) $(call pkg_libs,cmocka))
