#!/bin/sh
# pyti-report html against a real PostgreSQL, checked in a real headless
# Chromium (Debian's): the summary and every package page load with no
# console error (a missing stylesheet, a blocked inline script or style
# would log one), hostile text is escaped (the injected <script> never
# becomes an element), the chart is an inline SVG; a screenshot of the
# summary is kept as an artifact (test-artifacts/ under PYTI_ARTIFACTS,
# else the test's directory).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/report.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
	skip_all "needs chromium (make deps)"
report_setup
plan 15

fixture <<'END'
sweep
result alpha 1.0 passed
result beta 1.0 passed
result evil 1.0 passed
sweep
result alpha 1.1 tests_failed log=Traceback_(most_recent_call_last):\nValueError:_bad
result beta 1.0 passed
result evil 1.0 passed evil=1
result gamma 0.1 build_failed log=x.c:1:10:_fatal_error:_Python.h:_No_such_file_or_directory
END
report_load_changes 2
check "html" pyti-report html "$TMP/site"
check_grep "the summary and four package pages" "sweep=2 pages=5" "$TMP/.out"

# One headless chromium over the DevTools protocol loads every page
# (tests/helper/chromium-check): console messages, uncaught exceptions and
# browser log entries (failed loads, CSP refusals) land in console.txt.
sed 's|href="style.css"|href="missing.css"|' "$TMP/site/index.html" >"$TMP/site/broken.html"
set -- "file://$TMP/site/index.html"
for page in "$TMP"/site/pkg/*.html; do set -- "$@" "file://$page"; done
set -- "$@" "file://$TMP/site/broken.html"
check "chromium loads every page" \
	"$TOP/tests/helper/chromium-check" "$TMP/cc" "$@"
check_eq "no console error on any page" \
	"$(grep -v "^$(($# - 1))	" "$TMP/cc/console.txt")" ""
check_grep "the check can fail: the broken page's missing stylesheet is logged" \
	"^$(($# - 1))	error	.*ERR_FILE_NOT_FOUND.*missing.css" "$TMP/cc/console.txt"
evil=$(i=0; for u in "$@"; do case $u in *pkg/evil.html) echo $i ;; esac; i=$((i + 1)); done)
check_eq "the hostile <script> is text, not an element" \
	"$(grep -c '<script>alert' "$TMP/cc/$evil.html"):$(grep -c '&lt;script&gt;alert' "$TMP/cc/$evil.html")" "0:1"
check_grep "the critical finding is on the package page" "credential.read" "$TMP/cc/$evil.html"
check_grep "the regression is listed with its signature" "ValueError: bad" "$TMP/cc/0.html"
check_grep "the pass-rate chart is an inline SVG" "<polyline" "$TMP/cc/0.html"
check_grep "package pages are linked" 'href="pkg/gamma.html"' "$TMP/cc/0.html"

art=${PYTI_ARTIFACTS:-$TMP}/test-artifacts
mkdir -p "$art"
cp "$TMP/cc/0.png" "$art/t0605-report-index.png" 2>/dev/null
check_eq "a screenshot of the summary is kept (PNG)" \
	"$(head -c 4 "$art/t0605-report-index.png" | od -An -c | tr -d ' ')" "211PNG"

# A two-stage job's build stage never decides a cell over a test stage of
# the same release, though newer: the page and pyti-matrix agree (both
# read REPORT_MATRIX_CELLS; the page once had its own query without it).
rsql "update report_results set outcome = 'tests_failed', passed = false
 where project = 'beta' and job_id = (select min(job_id) from report_results where project = 'beta');
update report_results set stage = 'build'
 where project = 'beta' and job_id = (select max(job_id) from report_results where project = 'beta')" >/dev/null
check "html again" pyti-report html "$TMP/site2"
check_grep "the page's matrix shows the test stage's outcome" 'class="fail">tests_failed<' "$TMP/site2/pkg/beta.html"
check "pyti-matrix beta" pyti-matrix --package beta --format csv
check_grep "pyti-matrix shows the same" ",tests_failed," "$TMP/.out"
