#!/bin/sh
# pyti-pep version normalize|sort|compare against python3-packaging: the
# committed expected outputs (tests/fixtures/versions/, made by the oracle
# with tests/fixtures/versions/regenerate) on a 21k sample of real PyPI
# versions and hand-written edge cases, then the live oracle on the same
# files and on 20000 seeded random near-versions (tests/helper/pep-gen).
. "$(dirname "$0")/../lib.sh"

pep_test versions
plan 15

for f in edge pypi-sample; do
	pyti-pep version normalize <"$FIX/$f.txt" >"$TMP/$f.norm"
	check_files_eq "normalize $f.txt" "$TMP/$f.norm" "$FIX/$f.normalized"
	pyti-pep version sort <"$FIX/$f.txt" >"$TMP/$f.sort" 2>"$TMP/$f.err"
	check_files_eq "sort $f.txt" "$TMP/$f.sort" "$FIX/$f.sorted"
done
pyti-pep version compare <"$FIX/compare.txt" >"$TMP/cmp" 2>/dev/null
check_files_eq "compare 4900 pairs" "$TMP/cmp" "$FIX/compare.expected"
check_grep "sort names invalid versions on stderr" \
	"invalid version '2.0.0-SNAPSHOT'" "$TMP/edge.err"
check_fails "normalize exits 1 on invalid input" \
	sh -c 'echo foo | pyti-pep version normalize'
echo 1.0 | pyti-pep version frobnicate >/dev/null 2>&1
check_eq "unknown mode is a usage error" "$?" 2
check_eq "sort is stable for equal versions spelled differently" \
	"$(printf '%s\n' 1.0 1.0.0 0.9 1.0 v1.0 1.0 | pyti-pep version sort |
		tr '\n' ' ')" "0.9 1.0 1.0.0 1.0 v1.0 1.0 "
check_eq "huge numbers compare as numbers, leading zeros ignored" \
	"$(printf '%s\n' '18446744073709551616 18446744073709551615' \
		'1.0099999999999999999999 1.99999999999999999999' |
		pyti-pep version compare | tr '\n' ' ')" "> = "

if ! $PYTHON -c 'import packaging' 2>/dev/null; then
	for i in 1 2 3 4 5; do
		skip "needs python3-packaging for the live oracle"
	done
	exit 0
fi
# The committed expectations are still what packaging says.
$ORACLE version normalize <"$FIX/pypi-sample.txt" >"$TMP/o.norm"
check_files_eq "fixture pypi-sample.normalized is packaging's" \
	"$TMP/o.norm" "$FIX/pypi-sample.normalized"
$ORACLE version sort <"$FIX/edge.txt" >"$TMP/o.sort" 2>/dev/null
check_files_eq "fixture edge.sorted is packaging's" "$TMP/o.sort" \
	"$FIX/edge.sorted"

seed=${PYTI_SEED:-4401}
$GEN versions "$seed" 20000 >"$TMP/rand"
$ORACLE version normalize <"$TMP/rand" >"$TMP/rand.o"
pyti-pep version normalize <"$TMP/rand" >"$TMP/rand.p"
check_files_eq "normalize 20000 random versions (seed $seed)" \
	"$TMP/rand.p" "$TMP/rand.o"
$ORACLE version sort <"$TMP/rand" >"$TMP/rsort.o" 2>/dev/null
pyti-pep version sort <"$TMP/rand" >"$TMP/rsort.p" 2>/dev/null
check_files_eq "sort 20000 random versions (seed $seed)" \
	"$TMP/rsort.p" "$TMP/rsort.o"
head -150 "$TMP/rsort.o" >"$TMP/few"
awk '{a[NR]=$0} END {for (i = 1; i <= NR; i += 3)
	for (j = 1; j <= NR; j += 2) print a[i] " " a[j]}' \
	"$TMP/few" >"$TMP/pairs"
$ORACLE version compare <"$TMP/pairs" >"$TMP/pairs.o"
pyti-pep version compare <"$TMP/pairs" >"$TMP/pairs.p" 2>/dev/null
check_files_eq "compare random pairs (seed $seed)" "$TMP/pairs.p" \
	"$TMP/pairs.o"
