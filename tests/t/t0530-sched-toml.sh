#!/bin/sh
# t0530: common/toml agrees with Python's tomllib. Valid and invalid
# documents written in the spirit of toml-test (tests/fixtures/toml: every
# key, string, number, date-time, array and table form, and the rules
# about defining things twice) and the fuzzer's corpus
# (tests/fuzz/corpus/toml) are read by both; each file must be accepted
# by both with the same values, or refused by both.
. "$(dirname "$0")/../lib.sh"
plan 3
H=$TOP/tests/helper/sched
J=$TOP/build/tests/helper/toml-json
[ -x "$J" ] || { echo "Bail out! build it first: make $J"; exit 1; }
check "the written cases agree with tomllib" \
	$H/toml-compare "$J" "$TOP/tests/fixtures/toml"
check "the fuzzer's corpus agrees with tomllib" \
	$H/toml-compare "$J" "$TOP/tests/fuzz/corpus/toml"
n=$(ls "$TOP/tests/fixtures/toml/invalid" | wc -l)
check "there are invalid cases ($n)" test "$n" -gt 50
