#!/bin/sh
# pyti-pep specifier against SpecifierSet.contains() of python3-packaging:
# tests/fixtures/specifiers/specs.txt (hand-written edge cases: ~= prefix
# quirks, wildcards, epochs, locals, the exclusive < and > rules, ===,
# invalid specifiers) over versions.txt, with the default pre-release rule
# and with --prereleases, against the committed expectations and then the
# live oracle on 150 seeded random specifier sets (tests/helper/pep-gen).
. "$(dirname "$0")/../lib.sh"

pep_test specifiers
plan 8

# The pyti side of `pep-oracle specifier-table`: one run per spec line.
table() {
	while IFS= read -r spec; do
		printf '# %s\n' "$spec"
		pyti-pep specifier "$spec" "$@" <"$versions" >"$TMP/t.out" \
			2>"$TMP/t.err"
		if grep -q 'invalid specifier' "$TMP/t.err"; then
			echo "invalid specifier"
		else
			cat "$TMP/t.out"
		fi
	done
}

versions=$FIX/versions.txt
table <"$FIX/specs.txt" >"$TMP/specs"
check_files_eq "specs.txt, default pre-release rule" "$TMP/specs" \
	"$FIX/specs.expected"
table --prereleases <"$FIX/specs.txt" >"$TMP/specs.pre"
check_files_eq "specs.txt, --prereleases" "$TMP/specs.pre" \
	"$FIX/specs-prereleases.expected"
check_eq "empty set excludes pre-releases by default" \
	"$(printf '1.0\n1.0a1\n' | pyti-pep specifier '' | tr '\n' ' ')" \
	"true false "
check_fails "invalid specifier fails" \
	sh -c 'echo 1.0 | pyti-pep specifier ">=1.0+local"'
# Documented difference: packaging raises InvalidVersion here.
check_eq "=== with non-PEP 440 text names no pre-release" \
	"$(printf '1.0\nfoobar\n' | pyti-pep specifier '===foobar' |
		tr '\n' ' ')" "false invalid "

if ! $PYTHON -c 'import packaging' 2>/dev/null; then
	skip "needs python3-packaging"
	skip "needs python3-packaging"
	skip "needs python3-packaging"
	exit 0
fi
$ORACLE specifier-table "$FIX/specs.txt" <"$FIX/versions.txt" >"$TMP/o"
check_files_eq "fixture specs.expected is packaging's" "$TMP/o" \
	"$FIX/specs.expected"

seed=${PYTI_SEED:-4402}
$GEN specs "$seed" 150 >"$TMP/rspecs"
{ $GEN versions "$seed" 500; cat "$FIX/versions.txt"; } >"$TMP/rvers"
versions=$TMP/rvers
# "error": packaging raised (=== with non-PEP 440 text); see above.
agree() {
	paste -d '\n' "$1" "$2" | awk 'NR % 2 { o = $0; next }
		o != $0 && o != "error" { bad++; if (bad < 5)
			print "# mismatch at result " NR / 2 ": packaging " o \
				", pyti " $0 }
		END { exit bad > 0 }' >&2
}
$ORACLE specifier-table "$TMP/rspecs" <"$TMP/rvers" >"$TMP/r.o"
table <"$TMP/rspecs" >"$TMP/r.p"
check "150 random specifier sets, default rule (seed $seed)" \
	agree "$TMP/r.o" "$TMP/r.p"
$ORACLE specifier-table "$TMP/rspecs" --prereleases <"$TMP/rvers" \
	>"$TMP/rp.o"
table --prereleases <"$TMP/rspecs" >"$TMP/rp.p"
check "150 random specifier sets, --prereleases (seed $seed)" \
	agree "$TMP/rp.o" "$TMP/rp.p"
