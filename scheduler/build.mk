# scheduler/: bin/pyti-schedule, the mirror expanded into cells and jobs.
# It reads the LMDB mirror (common/kv) and the store; it sees jansson and
# LMDB, and libpq for the queue; it links libcommon-fetch.a (libcurl) for
# metadata files missing from the store ([store] fetch-missing). Its unit
# tests are tests/unit/test_sched_*.c, linked with every scheduler object
# but main.o.

SCHED_PKGS := jansson lmdb libpq zlib liblzma
build/scheduler/%.o: PKG_CFLAGS := $(call pkg_cflags,$(SCHED_PKGS))
SCHED_LIBS := $(call pkg_libs,$(SCHED_PKGS)) -lbz2 $(COMMON_DB_LIBS) \
	$(COMMON_FETCH_LIBS) -lm
SCHED_OBJS := $(patsubst %.c,build/%.o,$(wildcard scheduler/*.c))
SCHED_LIB_OBJS := $(filter-out build/scheduler/main.o,$(SCHED_OBJS))

PROGRAMS += bin/pyti-schedule
bin/pyti-schedule: $(SCHED_OBJS) $(LIBCOMMON_DB) $(LIBCOMMON_FETCH) \
		$(LIBCOMMON)
	$(call link,$(SCHED_LIBS))

SCHED_UNIT := $(patsubst tests/unit/%.c,build/tests/unit/%,\
	$(wildcard tests/unit/test_sched_*.c))
UNIT_TESTS += $(SCHED_UNIT)
build/tests/unit/test_sched_%.o: PKG_CFLAGS := \
	$(call pkg_cflags,$(SCHED_PKGS) cmocka) -Ischeduler
$(SCHED_UNIT): build/tests/unit/test_sched_%: build/tests/unit/test_sched_%.o \
		$(SCHED_LIB_OBJS) $(LIBCOMMON_DB) $(LIBCOMMON_FETCH) $(LIBCOMMON)
	$(call link,$(SCHED_LIBS) $(call pkg_libs,cmocka))

# tests/helper/sched/toml-json: common/toml for the differential test.
PROGRAMS += build/tests/helper/toml-json
build/tests/helper/sched/toml-json.o: PKG_CFLAGS := $(call pkg_cflags,jansson)
build/tests/helper/toml-json: build/tests/helper/sched/toml-json.o $(LIBCOMMON)
	$(call link,$(COMMON_LIBS))
