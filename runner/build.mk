# runner/: bin/pyti-run (the VM pool daemon and `pyti-run test`). The
# runner is one of the folders that may see libpq (through
# common/db.h), and the only one that sees libvirt.

RUNNER_PKGS := libpq libvirt jansson
build/runner/%.o: PKG_CFLAGS := $(call pkg_cflags,$(RUNNER_PKGS))
RUNNER_LIBS := $(call pkg_libs,$(RUNNER_PKGS)) $(COMMON_LIBS) -lpthread

# Everything but main, shared by the program and the tests.
RUNNER_LIB_SRCS := $(filter-out runner/main.c, $(wildcard runner/*.c))
RUNNER_LIB_OBJS := $(patsubst %.c,build/%.o,$(RUNNER_LIB_SRCS))

PROGRAMS += bin/pyti-run

bin/pyti-run: build/runner/main.o $(RUNNER_LIB_OBJS) $(LIBCOMMON_DB) \
		$(LIBCOMMON)
	$(call link,$(RUNNER_LIBS))

# Unit tests: tests/unit/test_run_*.c, each linked with the runner's
# modules. A test may wrap library calls at link time: it lists them in a
# line "/* WRAP: sym1 sym2 */" near its top.
RUNNER_UNIT_SRCS := $(wildcard tests/unit/test_run_*.c)
RUNNER_UNIT := $(patsubst tests/unit/%.c,build/tests/unit/%,$(RUNNER_UNIT_SRCS))
UNIT_TESTS += $(RUNNER_UNIT)

build/tests/unit/test_run_%.o: PKG_CFLAGS := \
	$(call pkg_cflags,$(RUNNER_PKGS) cmocka) -Irunner
$(RUNNER_UNIT): build/tests/unit/%: build/tests/unit/%.o $(RUNNER_LIB_OBJS) \
		$(LIBCOMMON_DB) $(LIBCOMMON)
	$(call link,$(RUNNER_LIBS) $(call pkg_libs,cmocka) \
		$(shell sed -n 's,^/\* WRAP: \(.*\) \*/$$,\1,p' \
		tests/unit/$*.c | tr ' ' '\n' | sed '/^$$/d;s/^/-Wl,--wrap=/'))
