#!/bin/sh
# Builds every libFuzzer target of tests/fuzz/ with clang (make fuzzers)
# and runs each once over its seed corpus tests/fuzz/corpus/<name>/: no
# crash, leak or sanitizer report. Longer runs: make fuzz FUZZ_SECONDS=N.
. "$(dirname "$0")/../lib.sh"

need make
command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1 ||
	skip_all "needs clang for libFuzzer (run make deps)"
echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' \
	>"$TMP/probe.c"
"${FUZZ_CC:-clang}" -fsanitize=fuzzer,address,undefined -o "$TMP/probe" \
	"$TMP/probe.c" >/dev/null 2>&1 ||
	skip_all "clang cannot link -fsanitize=fuzzer (needs libclang-rt-dev)"

names=
for f in "$TOP"/tests/fuzz/fuzz_*.c; do
	n=${f##*/fuzz_}
	names="$names ${n%.c}"
done
set -- $names
plan $(($# + 1))

check "make fuzzers" make -s -C "$TOP" fuzzers
for n in $names; do
	corpus=$TOP/tests/fuzz/corpus/$n
	if ! ls "$corpus"/* >/dev/null 2>&1; then
		not_ok "$n: seed corpus tests/fuzz/corpus/$n is empty"
		continue
	fi
	check "$n: replay $(ls "$corpus" | wc -l) seed inputs" \
		"$TOP/build/fuzz/fuzz_$n" "$corpus"/*
done
