# crawler/: bin/pyti-crawl, the simple index mirrored into LMDB. It sees
# libcurl (its fetcher and store are libcommon-fetch.a) and libxml2. Its unit tests are tests/unit/test_crawl_*.c,
# linked with every crawler object but main.o.

CRAWL_PKGS := libcurl libxml-2.0 jansson lmdb
build/crawler/%.o: PKG_CFLAGS := $(call pkg_cflags,$(CRAWL_PKGS))
CRAWL_LIBS := $(call pkg_libs,$(CRAWL_PKGS)) -lm
CRAWL_OBJS := $(patsubst %.c,build/%.o,$(wildcard crawler/*.c))
CRAWL_LIB_OBJS := $(filter-out build/crawler/main.o,$(CRAWL_OBJS))

PROGRAMS += bin/pyti-crawl
bin/pyti-crawl: $(CRAWL_OBJS) $(LIBCOMMON_FETCH) $(LIBCOMMON)
	$(call link,$(CRAWL_LIBS))

CRAWL_UNIT := $(patsubst tests/unit/%.c,build/tests/unit/%,\
	$(wildcard tests/unit/test_crawl_*.c))
UNIT_TESTS += $(CRAWL_UNIT)
build/tests/unit/test_crawl_%.o: PKG_CFLAGS := \
	$(call pkg_cflags,$(CRAWL_PKGS) cmocka) -Icrawler
$(CRAWL_UNIT): build/tests/unit/test_crawl_%: build/tests/unit/test_crawl_%.o \
		$(CRAWL_LIB_OBJS) $(LIBCOMMON_FETCH) $(LIBCOMMON)
	$(call link,$(CRAWL_LIBS) $(call pkg_libs,cmocka))
