#!/bin/sh
# pyti-pep normalize-name against packaging.utils.canonicalize_name() and
# the core-metadata name pattern, on a sample of real PyPI names and on
# hand-written edge cases (tests/fixtures/names/).
. "$(dirname "$0")/../lib.sh"

pep_test names
plan 5

for f in edge pypi-sample; do
	pyti-pep normalize-name <"$FIX/$f.txt" >"$TMP/$f" 2>/dev/null
	check_files_eq "normalize-name $f.txt" "$TMP/$f" "$FIX/$f.expected"
done
check_eq "runs of separators become one dash" \
	"$(echo 'Foo-_.-Bar__baz' | pyti-pep normalize-name)" "foo-bar-baz"
if $PYTHON -c 'import packaging' 2>/dev/null; then
	for f in edge pypi-sample; do
		$ORACLE normalize-name <"$FIX/$f.txt" >"$TMP/$f.o"
		check_files_eq "fixture names/$f.expected is packaging's" \
			"$TMP/$f.o" "$FIX/$f.expected"
	done
else
	skip "needs python3-packaging"
	skip "needs python3-packaging"
fi
