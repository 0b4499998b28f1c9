# tests/: the integration tests (tests/t/tNNNN-area-what.sh, TAP, run by
# prove with tests/lib.sh) and the fuzz targets (tests/fuzz/). Unit tests
# in tests/unit/ are built by the build.mk of the folder they test.

INTEGRATION_TESTS := $(sort $(wildcard tests/t/t[0-9]*.sh))

# Test helpers written in C (tests/helper/*.c), built with `make test` and
# `make integration`: plain libcommon.
TEST_HELPERS := $(patsubst %.c,build/%,$(wildcard tests/helper/*.c))
build/tests/helper/%.o: PKG_CFLAGS := $(call pkg_cflags,jansson)
$(TEST_HELPERS): build/tests/helper/%: build/tests/helper/%.o $(LIBCOMMON)
	$(call link,$(COMMON_LIBS))
