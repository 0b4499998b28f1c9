#!/bin/sh
# pyti-pep marker and requirement against packaging 23.0's Marker.evaluate()
# and Requirement: real Requires-Dist lines from Debian's dist-info
# metadata, hand-written edge cases and a generated grid of version
# comparisons (tests/fixtures/pep/markers.txt, requirements.txt), for
# several target environments; then pyti's own answers where it differs
# on purpose (markers-pyti.txt).
. "$(dirname "$0")/../lib.sh"

pep_test pep packaging
ORACLE=$TOP/tests/helper/oracle-dist.py
plan 8

n=0
for args in "--python 3.11" "--python 3.7" \
	"--python 3.12 --python-full 3.12.0rc1" \
	"--python 3.11 --extra Tests_No.Zope"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	pyti-pep marker $args <"$FIX/markers.txt" >"$TMP/m$n.pyti" 2>/dev/null
	# shellcheck disable=SC2086
	$PYTHON "$ORACLE" marker $args <"$FIX/markers.txt" >"$TMP/m$n.packaging"
	check_files_eq "markers agree with packaging for $args" \
		"$TMP/m$n.pyti" "$TMP/m$n.packaging"
done

pyti-pep requirement <"$FIX/requirements.txt" >"$TMP/r.pyti" 2>"$TMP/r.err"
$PYTHON "$ORACLE" requirement <"$FIX/requirements.txt" >"$TMP/r.packaging"
check_files_eq "requirements agree with packaging" "$TMP/r.pyti" \
	"$TMP/r.packaging"
check_grep "invalid requirements say where" "at offset [0-9]" "$TMP/r.err"

cut -f1 "$FIX/markers-pyti.txt" | pyti-pep marker --python 3.11 \
	2>/dev/null >"$TMP/edge.got"
cut -f2 "$FIX/markers-pyti.txt" >"$TMP/edge.want"
check_files_eq "marker edge cases" "$TMP/edge.got" "$TMP/edge.want"

# A hostile line: deep nesting is refused, not a stack overflow.
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "("; print "" }' |
	pyti-pep marker --python 3.11 >"$TMP/deep" 2>&1
check_grep "deep nesting is refused" "nested too deeply" "$TMP/deep"
