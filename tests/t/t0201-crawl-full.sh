#!/bin/sh
# A full crawl of the fixture index: the dump equals the ground truth, for
# an index that negotiates JSON and for one that only speaks HTML; a
# second run with nothing changed makes one conditional request.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/fixture.sh"
fixture_need_crawl
plan 9

fixture_start --count 300

check "first crawl succeeds" pyti-crawl --index "$INDEX" --db "$TMP/db"
pyti-crawl dump --db "$TMP/db" >"$TMP/dump"
check_files_eq "dump is the ground truth, byte for byte" "$TMP/dump" \
	"$TMP/tree/truth.jsonl"
check "check-dump agrees" $FIX check-dump "$TMP/tree/truth.jsonl" "$TMP/dump"

: >"$TMP/ngx/access.log"
pyti-crawl --index "$INDEX" --db "$TMP/db" --set crawler.revalidate=0 \
	>"$TMP/out2" 2>&1
check_eq "second crawl exits 0" "$?" 0
check_eq "nothing changed: one request" \
	"$(grep -c '"/simple/' "$TMP/ngx/access.log")" 1
check_grep "the root was not modified (304)" ' 304 GET "/simple/"' \
	"$TMP/ngx/access.log"
pyti-crawl stats --db "$TMP/db" >"$TMP/stats"
check_grep "stats counts projects" "^active $(wc -l <"$TMP/tree/truth.jsonl")\$" \
	"$TMP/stats"

# The same tree as an HTML-only index.
port2=$(free_port)
fixture_serve "$TMP/ngx2" "$port2" --format html
# The truth bakes in the first port: serve the same pages, compare the
# files after swapping the port back.
check "html crawl succeeds" pyti-crawl --index \
	"http://127.0.0.1:$port2/simple/" --db "$TMP/dbh"
pyti-crawl dump --db "$TMP/dbh" | sed "s/127.0.0.1:$port2/127.0.0.1:$port/g" \
	>"$TMP/dumph"
check "html dump is the html ground truth" $FIX check-dump \
	"$TMP/tree/truth-html.jsonl" "$TMP/dumph"
