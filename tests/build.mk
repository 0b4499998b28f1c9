# tests/: the integration tests (tests/t/tNNNN-area-what.sh, TAP, run by
# prove with tests/lib.sh) and the fuzz targets (tests/fuzz/). Unit tests
# in tests/unit/ are built by the build.mk of the folder they test.

# In number order, except that the tests that start QEMU guests run last:
# the guest images' background build (tests/helper/prebuild-images) then
# overlaps every test that needs no VM.
ALL_INTEGRATION_TESTS := $(sort $(wildcard tests/t/t[0-9]*.sh))
VM_TESTS := $(sort $(shell grep -l -e qemu-system-x86_64 \
	-e helper/images.sh $(ALL_INTEGRATION_TESTS)))
INTEGRATION_TESTS := $(filter-out $(VM_TESTS),$(ALL_INTEGRATION_TESTS)) \
	$(VM_TESTS)

# Test helpers written in C (tests/helper/*.c), built with `make test` and
# `make integration`: plain libcommon.
TEST_HELPERS := $(patsubst %.c,build/%,$(wildcard tests/helper/*.c))
build/tests/helper/%.o: PKG_CFLAGS := $(call pkg_cflags,jansson)
$(TEST_HELPERS): build/tests/helper/%: build/tests/helper/%.o $(LIBCOMMON)
	$(call link,$(COMMON_LIBS))
