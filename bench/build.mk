# bench/: the C benchmarks (the others are scripts).

# build/bench/gjson-bench: the runner's guest-JSON bound against jansson.
build/bench/gjson-bench.o: PKG_CFLAGS := $(call pkg_cflags,jansson) -Irunner
build/bench/gjson-bench: build/bench/gjson-bench.o build/runner/gjson.o \
		$(LIBCOMMON)
	$(call link,$(call pkg_libs,jansson) $(COMMON_LIBS))
