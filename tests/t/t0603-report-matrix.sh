#!/bin/sh
# pyti-matrix against a real PostgreSQL: the latest tested release's
# platform x Python matrix (a package outcome before an infrastructure
# one), --version, the JSON shape of the issue, CSV, the table (colored
# only on a terminal), --history, exit codes 0 / 1 (unknown) / 2 (usage).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/report.sh"
report_setup
plan 17

report_matrix_fixture

check "json" pyti-matrix --package foo_bar --format json
check_eq "json: the latest release, one cell per platform" \
	"$(jq -c '{project, version, cells: [.cells[] | [.platform, .python, .outcome, .tests.passed, .tests.failed, .tests.errors, .tests.skipped, .coverage, .hostile, .findings, (.duration_ms | type), (.job_id | type)]]}' "$TMP/.out")" \
	'{"project":"foo-bar","version":"2.0","cells":[["debian-11","3.9","vm-crashed",null,null,null,null,null,false,0,"number","number"],["debian-12","3.11","passed",3,0,0,0,83.25,false,0,"number","number"],["debian-13","3.13","tests_failed",2,1,0,0,83.25,true,2,"number","number"]]}'
check_eq "json: exactly the keys of the contract" \
	"$(jq -c '[keys, (.cells[0] | keys), (.cells[0].tests | keys)]' "$TMP/.out")" \
	'[["cells","project","version"],["coverage","duration_ms","findings","hostile","job_id","outcome","platform","python","tests"],["errors","failed","passed","skipped"]]'
check "--version 1.0" pyti-matrix --package Foo.Bar --version 1.0 --format json
check_eq "the older release" "$(jq -c '[.version, [.cells[].outcome]]' "$TMP/.out")" \
	'["1.0",["passed","tests_failed"]]'
check "--history 5" pyti-matrix --package foo-bar --format json --history 5
check_eq "history: each cell's results, newest first" \
	"$(jq -c '[.history[] | [.platform, .version, .outcome, .sweep_id]]' "$TMP/.out")" \
	'[["debian-11","2.0","vm-crashed",2],["debian-12","2.0","passed",2],["debian-12","1.0","passed",1],["debian-13","2.0","tests_failed",2],["debian-13","1.0","tests_failed",1]]'
check "csv" pyti-matrix --package foo-bar --format csv
check_eq "csv: a header and a row per cell" "$(head -n 1 "$TMP/.out" && sed -n 3p "$TMP/.out" | cut -d, -f1-11)" \
	"platform,python,outcome,passed,failed,errors,skipped,coverage,hostile,findings,duration_ms,job_id
debian-12,3.11,passed,3,0,0,0,83.25,false,0,1000"
pyti-matrix --package foo-bar >"$TMP/table" 2>&1
check_eq "table exits 0, plain when piped" "$?:$(grep -c "$(printf '\033')" "$TMP/table")" "0:0"
check_grep "table: the hostile cell" "^debian-13 .*tests_failed .*HOSTILE" "$TMP/table"
if command -v script >/dev/null; then
	script -qec "pyti-matrix --package foo-bar" /dev/null >"$TMP/tty" 2>&1
	check_grep "colored on a terminal" "$(printf '\033')\[32mpassed" "$TMP/tty"
else
	skip "no script(1) to give pyti-matrix a terminal"
fi
pyti-matrix --package nothing-here >/dev/null 2>&1
check_eq "unknown package: exit 1" "$?" 1
pyti-matrix --package foo-bar --version 9.9 >/dev/null 2>&1
check_eq "unknown version: exit 1" "$?" 1
r=""
for args in "--package" "--package foo --format xml" "--package ../x" \
	"--package foo --history 0" "--package foo extra"; do
	# shellcheck disable=SC2086
	pyti-matrix $args >/dev/null 2>&1
	r="$r$?"
done
check_eq "usage errors: exit 2" "$r" 22222
# --version V is the release (the issue's interface); it replaces the
# common --version of common/cli, whose line moves into --help
pyti-matrix --package foo-bar --version >/dev/null 2>"$TMP/v.err"
check_eq "a bare --version is a usage error naming the missing value" \
	"$? $(grep -c "option '--version' needs a value" "$TMP/v.err")" "2 1"
check_eq "--help: the build version on its third line, --version V listed" \
	"$(pyti-matrix --help | sed -n 3p | grep -c '^pyti-matrix [^ ][^ ]*$') $(pyti-matrix --help | grep -c -- '--version V ')" \
	"1 1"
