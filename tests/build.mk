# tests/: the integration tests (tests/t/tNNNN-area-what.sh, TAP, run by
# prove with tests/lib.sh) and the fuzz targets (tests/fuzz/). Unit tests
# in tests/unit/ are built by the build.mk of the folder they test.

INTEGRATION_TESTS := $(sort $(wildcard tests/t/t[0-9]*.sh))
