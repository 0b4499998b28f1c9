#!/bin/sh
# What PyPI really does, and a run that always finishes: pages that fail
# for good are retried within the run, named, left queued, and the crawl
# exits 3 (which the nightly sweep goes on after); listed projects that
# answer 404 (a root older than its pages) are asked again, then recorded
# as deleted "not found" and not queued again by the stale root (a newer
# serial brings them back);
# quarantined projects (PEP 792: gone from the root, the page says so)
# are kept with their status, and come back; deleted projects are
# re-added; a root whose serial goes backwards changes nothing; metadata
# added without a serial bump is found by revalidation (--verify, with
# If-None-Match); a mirror belongs to one index (--reset to switch); the
# user agent names pyti and the contact; the rate cap holds.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/fixture.sh"
fixture_need_crawl
plan 37

fixture_start --count 150 --no-dist-files --formats json \
	--faults fault-503-always,fault-json-types,fault-429x1
crawl() {
	pyti-crawl --index "$INDEX" --db "$TMP/db" --no-progress \
		--set crawler.fail-delay=100ms --set crawler.retries=1 \
		--set crawler.retry-base=10ms --set crawler.revalidate=0 \
		--set crawler.contact=mailto:ops@example.org "$@"
}
# the dump is the truth (which leaves out the pages that fail for good)
dump_is_truth() {
	pyti-crawl dump --db "$TMP/db" >"$TMP/dump" &&
		"$FIX" check-dump "$TREE/truth.jsonl" "$TMP/dump"
}

crawl >"$TMP/out1" 2>"$TMP/err1"
check_eq "pages failing for good: exit 3" "$?" 3
check_grep "each is named, again after its second round" \
	"page 'fault-503-always' failed: .*(again)" "$TMP/err1"
check_grep "the last line names them, left queued" \
	"2 pages failed (left queued for the next run): 'fault-" "$TMP/err1"
check "dump = truth" dump_is_truth
check_grep "a 429 paused every request" "pausing every request" "$TMP/err1"
check_grep "user agent: pyti, version, contact" \
	'"pyti-crawl/[0-9.]* (pyti; +mailto:ops@example.org)"' "$NGXRUN/access.log"

# The nightly sweep goes on after exit 3: its own PostgreSQL under $TMP,
# no runner pool, a short deadline. What matters is that the stage after
# the crawl ran; the deadline (exit 4) then ends the sweep, never the
# partial crawl (exit 1).
cat >"$TMP/pyti.conf" <<EOC
[crawler]
index = $INDEX
db = $TMP/db
fail-delay = 100ms
retries = 1
retry-base = 10ms
[nightly]
var = $TMP/nightly
postgres = embedded
pool = no
deadline = 2s
EOC
at_exit "'$TOP/scripts/pyti-postgres' stop '$TMP/nightly/pg'"
"$TOP/cron/pyti-nightly" --config "$TMP/pyti.conf" --no-progress \
	>"$TMP/nightly.out" 2>&1
st=$?
check "pyti-nightly does not stop at a partial crawl (exit $st)" \
	test "$st" != 1
check_grep "and says so" "crawl: partial (exit 3).*the sweep goes on" \
	"$TMP/nightly.out"
check_grep "the schedule stage ran after it" "schedule: sweep=[0-9]" \
	"$TMP/nightly.out"

# A root older than its pages lists 2 changed-then-deleted projects.
fixture_mutate --not-found 2 --quarantine 2 --changed 2 --deletes 1
nf=$(fixture_mutated not_found)
q=$(fixture_mutated quarantine)
crawl >"$TMP/out2" 2>"$TMP/err2"
check_eq "404s, quarantine: exit 3 (the failing pages only)" "$?" 3
check "dump = truth: not found = deleted with a reason, quarantined kept" \
	dump_is_truth
check_grep "the 404 page was asked twice" "page '$nf': not found (404) though the root lists it; trying again" "$TMP/err2"
check_grep "then recorded as gone" "page '$nf': not found (404).*recorded as deleted" "$TMP/err2"
check_grep "summary: 2 gone, 2 quarantined" "gone 2, quarantined 2," "$TMP/out2"
check_grep "dump: status_reason" "\"name\":\"$nf\".*\"status\":\"deleted\",\"status_reason\":\"not found\"" "$TMP/dump"
check_grep "dump: project_status quarantined" "\"name\":\"$q\",\"project_status\":\"quarantined\"" "$TMP/dump"
pyti-crawl stats --db "$TMP/db" >"$TMP/stats"
check_grep "stats count quarantined projects" "^quarantined 2\$" "$TMP/stats"

# The stale root still lists the gone projects: not queued again.
: >"$NGXRUN/access.log"
crawl >"$TMP/out3" 2>"$TMP/err3"
check_eq "next run: exit 3 again (the failing pages)" "$?" 3
check_eq "the gone project is not asked again" \
	"$(grep -c "\"/simple/$nf/\"" "$NGXRUN/access.log")" 0
check_eq "the quarantined one neither" \
	"$(grep -c "\"/simple/$q/\"" "$TMP/ngx/access.log")" 0
check_eq "failed pages were kept queued: asked again" \
	"$(grep -c '"/simple/fault-503-always/"' "$NGXRUN/access.log")" 4

# Quarantine lifted, a deleted project created again, a project recorded
# "not found" served again with a newer serial.
fixture_mutate --unquarantine 2 --readd 1 --refound 1
back=$(fixture_mutated unquarantine)
readd=$(fixture_mutated readd)
refound=$(fixture_mutated refound)
crawl >"$TMP/out4" 2>"$TMP/err4"
check_eq "after unquarantine and re-add: exit 3" "$?" 3
check "dump = truth: both back, active" dump_is_truth
check_grep "the re-added project has its new release" "\"name\":\"$readd\".*\"status\":\"active\"" "$TMP/dump"
check_grep "the one not found before is back, active" \
	"\"name\":\"$refound\",\"project_status\":\"active\",\"serial\":[0-9]*,\"status\":\"active\"" "$TMP/dump"
check_grep "the unquarantined one has its files again" "\"name\":\"$back\",\"project_status\":\"active\",\"serial\":[0-9]*,\"status\":\"active\"" "$TMP/dump"

# A stale CDN root: its serial goes backwards.
fixture_mutate --root-rollback
crawl >"$TMP/out5" 2>"$TMP/err5"
check_eq "older root: exit 3" "$?" 3
check_grep "it is noticed" "older than the last one seen" "$TMP/err5"
check "dump = truth: nothing undone" dump_is_truth

# PEP 658 metadata added to old files without a serial bump.
fixture_mutate --backfill 3
crawl >"$TMP/out6" 2>&1
check_fails "a plain run does not see it (no serial moved)" dump_is_truth
: >"$NGXRUN/access.log"
crawl --verify >"$TMP/out7" 2>"$TMP/err7"
check "--verify revalidates every page: dump = truth" dump_is_truth
check_grep "pages are asked with their ETag" ' 304 GET "/simple/' "$NGXRUN/access.log"
check_grep "the summary counts revalidations (3 backfilled pages answer 200)" \
	"revalidated-changed [3-9]," "$TMP/out7"

# One mirror, one index.
LOCAL=http://localhost:$port/simple/
pyti-crawl --index "$LOCAL" --db "$TMP/db" --no-progress >"$TMP/out8" 2>"$TMP/err8"
check_eq "another index: refused, exit 1" "$?" 1
check_grep "with a clear message" "belongs to the index '$INDEX', not '$LOCAL'" "$TMP/err8"
: >"$NGXRUN/access.log"
pyti-crawl --index "$LOCAL" --db "$TMP/db" --no-progress --reset \
	--max-in-flight 1 --set crawler.max-rate=40 \
	--set crawler.fail-delay=100ms --set crawler.retries=0 \
	>"$TMP/out9" 2>"$TMP/err9"
check_eq "--reset: crawled anew (exit 3: the failing pages)" "$?" 3
# The rate cap: starts are 25 ms apart at least, and with one request in
# flight each one starts after the one before ended, so a second of the
# access log (which stamps ends) holds at most 40 starts plus the one
# that began before it: 42. A slow machine only makes it fewer.
check "max-rate 40: at most 42 requests end in any second" sh -c \
	"awk '{print int(\$1)}' '$NGXRUN/access.log' | sort | uniq -c | awk '\$1 > 42 {bad=1} END {exit bad}'"
