#!/bin/sh
# Nightly runs: after changes, yanks, unyanks, deletions, serial-only
# bumps, new projects and stale pages (one that catches up within the run,
# one that never does), the dump equals the ground truth and the crawl
# makes about (changed + 1) requests.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/fixture.sh"
fixture_need_crawl
plan 14

fixture_start --count 1000 --no-dist-files
crawl() {
	pyti-crawl --index "http://127.0.0.1:$port/simple/" --db "$TMP/db" \
		--set crawler.stale-delay=100ms --set crawler.revalidate=0 "$@"
}

check "first crawl" crawl
pyti-crawl dump --db "$TMP/db" >"$TMP/dump"
check_files_eq "dump = truth after the first crawl" "$TMP/dump" \
	"$TMP/tree/truth.jsonl"

# Generation 2: every kind of change at once, ~0.3% changed and more.
fixture_mutate --changed 3 --yanks 2 --unyanks 1 --deletes 2 \
	--serial-bumps 2 --new 2
check "crawl after changes" crawl
pyti-crawl dump --db "$TMP/db" >"$TMP/dump"
check_files_eq "dump = truth after changes, yanks, deletions, bumps" \
	"$TMP/dump" "$TMP/tree/truth.jsonl"
# 3 changed + 2 yanks + 1 unyank + 2 bumps + 2 new = 10 pages, the 2
# deleted ones (404: deleted, not quarantined), + the root.
check_eq "changed + deleted + 1 requests" "$(fixture_requests)" 13
check_grep "deleted projects are kept, marked deleted" '"status":"deleted"' \
	"$TMP/dump"

# Generation 3: stale pages.
fixture_mutate --stale-catchup 1 --stale-never 1 --changed 1
crawl >"$TMP/out3" 2>"$TMP/err3"
check_eq "a stale page does not fail the crawl" "$?" 0
pyti-crawl dump --db "$TMP/db" >"$TMP/dump"
check_files_eq "dump = truth with stale pages" "$TMP/dump" \
	"$TMP/tree/truth.jsonl"
never=$(fixture_mutated stale_never)
check_grep "the never-fresh page is named and left queued" \
	"page '$never'.*left queued" "$TMP/err3"
check_grep "summary counts it" "stale-left 1" "$TMP/out3"
pyti-crawl stats --db "$TMP/db" >"$TMP/stats"
check_grep "it stays pending" "^pending 1\$" "$TMP/stats"

# Next run: root unchanged (304), only the queued page is tried again.
: >"$TMP/ngx/access.log"
crawl >"$TMP/out4" 2>&1
check_eq "the next run succeeds" "$?" 0
check_eq "root + the queued page, tried stale-tries times" "$(fixture_requests)" 4
pyti-crawl dump --db "$TMP/db" >"$TMP/dump"
check_files_eq "dump still = truth" "$TMP/dump" "$TMP/tree/truth.jsonl"
