# reporter/: bin/pyti-report (load, changes, mail, html, finish, summary)
# and bin/pyti-matrix. With the runner, the only folder that sees libpq;
# the only one besides the crawler that sees libcurl (SMTP).

REPORT_PKGS := libpq libcurl jansson
build/reporter/%.o: PKG_CFLAGS := $(call pkg_cflags,$(REPORT_PKGS))
REPORT_LIBS := $(call pkg_libs,$(REPORT_PKGS)) $(COMMON_LIBS)

REPORT_LIB_SRCS := $(filter-out reporter/main.c reporter/matrix_main.c, \
	$(wildcard reporter/*.c))
REPORT_LIB_OBJS := $(patsubst %.c,build/%.o,$(REPORT_LIB_SRCS))

PROGRAMS += bin/pyti-report bin/pyti-matrix

bin/pyti-report: build/reporter/main.o $(REPORT_LIB_OBJS) $(LIBCOMMON_DB) $(LIBCOMMON)
	$(call link,$(REPORT_LIBS))

# pyti-matrix is started once per question: it links only what it uses
# (no libcurl and its ~15 libraries to load at every start)
bin/pyti-matrix: build/reporter/matrix_main.o build/reporter/matrix.o $(LIBCOMMON_DB) $(LIBCOMMON)
	$(call link,$(call pkg_libs,libpq jansson) $(COMMON_LIBS))

# Unit tests: tests/unit/test_report_*.c, linked with the reporter's
# modules.
REPORT_UNIT_SRCS := $(wildcard tests/unit/test_report_*.c)
REPORT_UNIT := $(patsubst tests/unit/%.c,build/tests/unit/%,$(REPORT_UNIT_SRCS))
UNIT_TESTS += $(REPORT_UNIT)

build/tests/unit/test_report_%.o: PKG_CFLAGS := \
	$(call pkg_cflags,$(REPORT_PKGS) cmocka) -Ireporter
$(REPORT_UNIT): build/tests/unit/%: build/tests/unit/%.o $(REPORT_LIB_OBJS) $(LIBCOMMON_DB) \
		$(LIBCOMMON)
	$(call link,$(REPORT_LIBS) $(call pkg_libs,cmocka))
