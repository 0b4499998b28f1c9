#!/bin/sh
# Every fault mode of the fixture index: transient ones (503, 429 with
# Retry-After, a slow page) are retried and end in the mirror; the others
# fail with a clear message naming the page, nothing partial is committed,
# and the crawl exits 3 naming them.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/fixture.sh"
fixture_need_crawl

fixture_start --count 40 --no-dist-files --faults all
nfail=$(wc -l <"$TMP/tree/expected-failures.txt")
plan $((nfail + 6))

pyti-crawl --index "http://127.0.0.1:$port/simple/" --db "$TMP/db" \
	--set crawler.retry-base=100ms --set crawler.retry-max=2s \
	--set crawler.retries=1 --set crawler.low-speed-time=10s \
	--set crawler.timeout=60s \
	--set crawler.max-page-size=32M --set crawler.fail-delay=100ms \
	>"$TMP/out" 2>"$TMP/err"
check_eq "the crawl exits 3 (complete except the named pages)" "$?" 3
while read -r name; do
	check_grep "'$name' fails with a message" \
		"error: page '$name' failed: ." "$TMP/err"
done <"$TMP/tree/expected-failures.txt"
check_grep "the summary counts them" "failed $nfail," "$TMP/out"
check_grep "the final message names failed pages" \
	"error: $nfail pages failed (left queued for the next run): '" "$TMP/err"
pyti-crawl dump --db "$TMP/db" >"$TMP/dump"
check "dump = truth: retried pages are in, failed ones absent" \
	$FIX check-dump "$TMP/tree/truth.jsonl" "$TMP/dump"
check_grep "Retry-After of a day was capped: 429-long is in" \
	'"name":"fault-429-long"' "$TMP/dump"
check_grep "503 twice (both tries of its first round): had in its second" \
	'"name":"fault-503x2"' "$TMP/dump"
