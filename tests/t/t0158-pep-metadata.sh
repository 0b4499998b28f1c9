#!/bin/sh
# pyti-pep metadata on real METADATA / PKG-INFO files from Debian's
# dist-info and egg-info directories and on hostile ones: each
# tests/fixtures/metadata/<case>.<METADATA|PKG-INFO> has <case>.expected
# beside it (adding a case needs no code). Each answer is also checked
# against an independent reference built on Python's email parser
# (tests/helper/metadata-expected.py), and the size limits are exercised.
. "$(dirname "$0")/../lib.sh"

pep_test metadata
cases=$(cd "$FIX" && ls | grep -v '\.expected$')
plan $(($(echo "$cases" | wc -l) * 2 + 3))

for f in $cases; do
	pyti-pep metadata "$FIX/$f" >"$TMP/got" 2>/dev/null
	check_files_eq "metadata $f" "$TMP/got" "$FIX/${f%.*}.expected"
	if ! [ -x /usr/bin/python3 ]; then
		skip "no /usr/bin/python3 for the email-parser reference"
		continue
	fi
	$PYTHON -c '
import json, sys
d = json.loads(sys.stdin.read())
d.pop("errors", None)
print(json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
' <"$TMP/got" >"$TMP/got.noerr"
	$PYTHON "$TOP/tests/helper/metadata-expected.py" "$FIX/$f" >"$TMP/ref"
	check_files_eq "metadata $f agrees with email.parser" "$TMP/got.noerr" \
		"$TMP/ref"
done

$PYTHON -c 'import sys; sys.stdout.write("".join("X-F: %d\n" % i for i in range(10001)))' \
	>"$TMP/many"
pyti-pep metadata "$TMP/many" >/dev/null 2>"$TMP/many.err"
check_grep "more than 10000 fields is refused" "more than 10000 fields" \
	"$TMP/many.err"
head -c 17000000 /dev/zero | tr '\0' 'a' >"$TMP/big"
pyti-pep metadata "$TMP/big" >/dev/null 2>"$TMP/big.err"
check_grep "files over 16 MiB are refused" "larger than" "$TMP/big.err"
check_fails "a missing file fails" pyti-pep metadata "$TMP/nonexistent"
