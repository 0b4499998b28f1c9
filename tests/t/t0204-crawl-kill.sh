#!/bin/sh
# kill -9 at random moments of a crawl, repeatedly: every intermediate
# mirror is readable and holds only whole pages, and the run after the last
# kill completes the mirror to exactly the ground truth without refetching
# what was committed.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/fixture.sh"
fixture_need_crawl
plan 8

fixture_start --count 3000 --no-dist-files
total=$(wc -l <"$TMP/tree/truth.jsonl")

# The pages' subset of the truth: every line of the dump must be a line
# of the truth (no partial or stale record).
subset() {
	if ! pyti-crawl dump --db "$TMP/db" >"$TMP/dump" 2>"$TMP/dump.err"
	then
		# Killed before the databases (their directory, or data.mdb's
		# first meta pages: on a busy machine 0.05 s may not get past
		# the dynamic loader, or may stop just after mkdir) were first
		# written: empty, and the reader says so.
		[ ! -d "$TMP/db" ] || grep -q "never written" "$TMP/dump.err" ||
			return 1
		: >"$TMP/dump"
	fi
	sort "$TMP/tree/truth.jsonl" >"$TMP/truth.sorted"
	sort "$TMP/dump" | comm -23 - "$TMP/truth.sorted" >"$TMP/extra"
	[ ! -s "$TMP/extra" ]
}

kills=0
ok_subset=1
committed() {
	pyti-crawl stats --db "$TMP/db" 2>/dev/null | grep -q '^projects [1-9]'
}
# The first kill may land before anything exists; the others land after
# the root's diff and some pages were committed, at varying moments.
for delay in 0.05 0 0.3 0.1 0.6; do
	pyti-crawl --index "http://127.0.0.1:$port/simple/" --db "$TMP/db" \
		--max-in-flight 4 --set crawler.batch=50 \
		--set crawler.revalidate=0 >/dev/null 2>&1 &
	pid=$!
	[ "$delay" = 0.05 ] || wait_for 60 committed
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	subset || ok_subset=0
done
check_eq "the crawls were killed" "$([ "$kills" -ge 3 ] && echo yes)" yes
check_eq "after every kill the mirror holds only whole, true records" \
	"$ok_subset" 1
have=$(wc -l <"$TMP/dump")
check_eq "some pages were committed before the kills" \
	"$([ "$have" -gt 0 ] && echo yes)" yes

: >"$TMP/ngx/access.log"
check "the crawl after the kills completes" pyti-crawl \
	--index "http://127.0.0.1:$port/simple/" --db "$TMP/db" \
	--set crawler.revalidate=0
pyti-crawl dump --db "$TMP/db" >"$TMP/dump"
check_files_eq "dump = truth after repeated kill -9" "$TMP/dump" \
	"$TMP/tree/truth.jsonl"
pages=$(grep -c ' "/simple/[^"]' "$TMP/ngx/access.log")
check_eq "committed pages are not fetched again" \
	"$([ "$pages" -le $((total - have + 1)) ] && echo yes)" yes
check_eq "and the rest are" \
	"$([ "$pages" -ge $((total - have)) ] && echo yes)" yes
check "mdb_stat reads the environment" mdb_stat -a "$TMP/db"
