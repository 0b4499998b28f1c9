#!/bin/sh
# pyti-pep wheel and sdist against packaging 23.0's parse_wheel_filename()
# and parse_sdist_filename() on 3000 filenames each built from real PyPI
# names and versions (tests/helper/gen-dist-corpus.py), then the
# deliberate differences from tests/fixtures/pep/*-pyti.txt.
. "$(dirname "$0")/../lib.sh"

pep_test pep packaging
ORACLE=$TOP/tests/helper/oracle-dist.py
plan 7

pyti-pep wheel <"$FIX/wheels.txt" >"$TMP/wheel.pyti" 2>"$TMP/wheel.err"
$PYTHON "$ORACLE" wheel <"$FIX/wheels.txt" >"$TMP/wheel.packaging"
check_files_eq "wheel names agree with packaging" "$TMP/wheel.pyti" \
	"$TMP/wheel.packaging"
check_eq "one result per wheel line" "$(wc -l <"$TMP/wheel.pyti")" \
	"$(wc -l <"$FIX/wheels.txt")"
check_grep "invalid wheel names say why" "invalid wheel filename '.*': " \
	"$TMP/wheel.err"

# packaging has no .tar.bz2 sdists: compare name and version of the others.
grep -v '\.tar\.bz2$' "$FIX/sdists.txt" >"$TMP/sdists"
pyti-pep sdist <"$TMP/sdists" 2>/dev/null | $PYTHON -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if line == "invalid":
        print(line)
        continue
    d = json.loads(line)
    print(json.dumps({"name": d["name"], "version": d["version"]},
                     sort_keys=True, separators=(",", ":")))
' >"$TMP/sdist.pyti"
$PYTHON "$ORACLE" sdist <"$TMP/sdists" >"$TMP/sdist.packaging"
check_files_eq "sdist names agree with packaging" "$TMP/sdist.pyti" \
	"$TMP/sdist.packaging"

# Edge cases with pyti's own answers (documented differences included):
# "input<TAB>expected output" per line.
edge() {
	cut -f1 "$FIX/$1-pyti.txt" | pyti-pep $2 2>/dev/null >"$TMP/$1.got"
	cut -f2 "$FIX/$1-pyti.txt" >"$TMP/$1.want"
	check_files_eq "$1 edge cases" "$TMP/$1.got" "$TMP/$1.want"
}
edge wheels wheel
edge sdists sdist
edge sdists-project "sdist --project foo-bar"
