# bench/: the C benchmarks (the others are scripts).

# build/bench/gjson-bench: the runner's guest-JSON bound against jansson.
build/bench/gjson-bench.o: PKG_CFLAGS := $(call pkg_cflags,jansson) -Irunner
build/bench/gjson-bench: build/bench/gjson-bench.o build/runner/gjson.o \
		$(LIBCOMMON)
	$(call link,$(call pkg_libs,jansson) $(COMMON_LIBS))

# build/bench/sched-fill: a full-size mirror cloned from a crawled one.
build/bench/sched-fill.o: PKG_CFLAGS := $(call pkg_cflags,jansson lmdb)
build/bench/sched-fill: build/bench/sched-fill.o $(LIBCOMMON)
	$(call link,$(call pkg_libs,jansson lmdb) $(COMMON_LIBS))
