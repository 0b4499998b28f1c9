#!/bin/sh
# The fixture index itself: the generator's pages, files and truth agree
# (checked by an independent reference crawler, in JSON and HTML), nginx
# negotiates, revalidates, compresses, redirects and labels serials as
# PyPI does, each fault mode misbehaves as documented, and mutations plus
# reload give the stale/deleted behaviour the truth describes.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/fixture.sh"
FIXD=$TOP/tests/helper/fixture-index
PIP='application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01'
JT=application/vnd.pypi.simple.v1+json
plan 53

fixture_start --count 120 --faults all --giant 300
B=http://127.0.0.1:$port
T=$TREE
R=$NGXRUN
fport=$fault_port

# hdr URL NAME [curl args]: the value of response header NAME.
hdr() {
	u=$1 h=$2
	shift 2
	curl -s -o /dev/null -D - "$@" "$u" | tr -d '\r' |
		awk -v h="$h" 'BEGIN{IGNORECASE=1} tolower($1)==tolower(h)":" {sub(/^[^:]*: */,""); v=$0} END{print v}'
}
code() {
	u=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' "$@" "$u"
}
jget() { $PYTHON -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- the tree agrees with its truth, served both ways
check "reference crawl as JSON" sh -c "$PYTHON '$FIXD/refcrawl.py' --index '$B/simple/' --accept json --skip-faults >'$TMP/ref.json'"
grep -v '"name":"fault-' "$T/truth.jsonl" >"$TMP/truth-nf.jsonl"
grep -v '"name":"fault-' "$T/truth-html.jsonl" >"$TMP/truth-html-nf.jsonl"
check "JSON pages agree with truth.jsonl" "$FIX" check-dump "$TMP/truth-nf.jsonl" "$TMP/ref.json"
check "reference crawl as HTML" sh -c "$PYTHON '$FIXD/refcrawl.py' --index '$B/simple/' --accept html --skip-faults >'$TMP/ref.html'"
check "HTML pages agree with truth-html.jsonl" "$FIX" check-dump "$TMP/truth-html-nf.jsonl" "$TMP/ref.html"
sed 's/"yanked":false/"yanked":"false"/' "$T/truth.jsonl" >"$TMP/bad.jsonl"
check_fails "check-dump sees a string where a boolean belongs" "$FIX" check-dump "$T/truth.jsonl" "$TMP/bad.jsonl"
nfail=$(wc -l <"$T/expected-failures.txt")
nroot=$(curl -s -H "Accept: $PIP" "$B/simple/" | jget 'len(d["projects"])')
ntruth=$(wc -l <"$T/truth.jsonl")
check_eq "truth = root minus the failing fault projects" "$ntruth" "$((nroot - nfail))"

# --- negotiation
check_eq "root, no Accept: HTML" "$(hdr "$B/simple/" Content-Type)" "text/html"
check_eq "root, pip's Accept: JSON" "$(hdr "$B/simple/" Content-Type -H "Accept: $PIP")" "$JT"
check_eq "page, JSON only: JSON" "$(hdr "$B/simple/0-0/" Content-Type -H "Accept: $JT")" "$JT"
check_eq "page, latest+json: JSON" "$(hdr "$B/simple/0-0/" Content-Type -H "Accept: application/vnd.pypi.simple.latest+json")" "$JT"
check_eq "page, JSON and text/html at equal q: HTML" "$(hdr "$B/simple/0-0/" Content-Type -H "Accept: $JT, text/html")" "text/html"
check_eq "page, JSON q=0: HTML" "$(hdr "$B/simple/0-0/" Content-Type -H "Accept: $JT;q=0, text/html;q=0.5")" "text/html"
check_eq "page, ?format= overrides Accept" "$(hdr "$B/simple/0-0/?format=application/vnd.pypi.simple.v1%2Bjson" Content-Type -H 'Accept: text/html')" "$JT"

# --- serials
gs=$(curl -s -H "Accept: $PIP" "$B/simple/" | jget 'd["meta"]["_last-serial"]')
check_eq "root X-PyPI-Last-Serial = meta._last-serial" "$(hdr "$B/simple/" X-PyPI-Last-Serial)" "$gs"
ps=$(curl -s -H "Accept: $PIP" "$B/simple/zope-interface/" | jget 'd["meta"]["_last-serial"]')
check_eq "page X-PyPI-Last-Serial = meta._last-serial" "$(hdr "$B/simple/zope-interface/" X-PyPI-Last-Serial -H "Accept: $PIP")" "$ps"
check_grep "HTML page ends with its SERIAL comment" "<!--SERIAL $ps-->" "$(curl -s -o "$TMP/z.html" "$B/simple/zope-interface/"; echo "$TMP/z.html")"

# --- revalidation and compression
et=$(hdr "$B/simple/zope-interface/" ETag -H "Accept: $PIP")
check_eq "If-None-Match: 304" "$(code "$B/simple/zope-interface/" -H "Accept: $PIP" -H "If-None-Match: $et")" 304
check_eq "the other format does not match that ETag" "$(code "$B/simple/zope-interface/" -H "Accept: text/html" -H "If-None-Match: $et")" 200
check_eq "gzip on request" "$(hdr "$B/simple/pyti-giant/" Content-Encoding -H "Accept: $PIP" -H 'Accept-Encoding: gzip')" gzip
etz=$(hdr "$B/simple/pyti-giant/" ETag -H "Accept: $PIP" -H 'Accept-Encoding: gzip')
check_eq "If-None-Match on the gzip variant: 304" "$(code "$B/simple/pyti-giant/" -H "Accept: $PIP" -H 'Accept-Encoding: gzip' -H "If-None-Match: $etz")" 304
curl -s -H "Accept: $PIP" "$B/simple/pyti-giant/" >"$TMP/g.plain"
curl -s --compressed -H "Accept: $PIP" "$B/simple/pyti-giant/" >"$TMP/g.inflated"
check_files_eq "gzip body inflates to the identity body" "$TMP/g.inflated" "$TMP/g.plain"
check_eq "root gzip_static" "$(hdr "$B/simple/" Content-Encoding -H "Accept: $PIP" -H 'Accept-Encoding: gzip')" gzip

# --- names
check_eq "display name: 301 to normalized" "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$B/simple/Zope.Interface/")" "301 $B/simple/zope-interface/"
check_eq "missing slash: 301" "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$B/simple/zope-interface")" "301 $B/simple/zope-interface/"
check_eq "unknown: 404 text/plain" "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$B/simple/no-such-project/")" "404 text/plain"
check_eq "unknown non-normalized: 404" "$(code "$B/simple/No_Such_Project/")" 404
check_eq "legacy JSON API" "$(curl -s "$B/pypi/zope-interface/json" | jget 'd["info"]["name"]')" "Zope.Interface"

# --- files: every distribution and .metadata of two projects matches the truth
check "files and .metadata match size, sha256, core_metadata" $PYTHON - "$T/truth.jsonl" <<'EOF'
import hashlib, json, sys, urllib.request
recs = [json.loads(l) for l in open(sys.argv[1])]
recs = [r for r in recs if r["name"] in ("0-0", "zope-interface")] + [r for r in recs if r["files"]][:3]
n = 0
for r in recs:
    for f in r["files"]:
        b = urllib.request.urlopen(f["url"]).read()
        assert len(b) == f["size"] and hashlib.sha256(b).hexdigest() == f["sha256"], f["url"]
        if f["core_metadata"]:
            m = urllib.request.urlopen(f["url"] + ".metadata").read()
            assert hashlib.sha256(m).hexdigest() == f["core_metadata"]["sha256"], f["url"]
        n += 1
assert n > 5, n
EOF

# --- the access log counts requests
before=$(grep -c '"/simple/0-0/"' "$R/access.log")
curl -s -o /dev/null "$B/simple/0-0/"
check_eq "access log: one line per request" "$(grep -c '"/simple/0-0/"' "$R/access.log")" "$((before + 1))"

# --- faults
curl -s "$B/_fault/reset" >/dev/null
check_eq "503x2: 503, 503, 200" "$(code "$B/simple/fault-503x2/") $(code "$B/simple/fault-503x2/") $(code "$B/simple/fault-503x2/")" "503 503 200"
check_eq "429x1: 429 with Retry-After: 1, then 200" "$(hdr "$B/simple/fault-429x1/" Retry-After) $(code "$B/simple/fault-429x1/")" "1 200"
check_eq "429-long: Retry-After: 86400" "$(hdr "$B/simple/fault-429-long/" Retry-After)" 86400
check_eq "503-always" "$(code "$B/simple/fault-503-always/") $(code "$B/simple/fault-503-always/")" "503 503"
check_eq "slow: complete, with the real serial" "$(hdr "$B/simple/fault-slow/" X-PyPI-Last-Serial -H "Accept: $PIP")" \
	"$(grep '"name":"fault-slow"' "$T/truth.jsonl" | jget 'd["serial"]')"
curl -s --max-time 3 -o /dev/null "$B/simple/fault-stall/"
check_eq "stall: times out" "$?" 28
curl -s -o /dev/null "$B/simple/fault-truncate/"
check_eq "truncate: partial transfer" "$?" 18
curl -s -o /dev/null "http://127.0.0.1:$fport/simple/fault-reset/"
rc=$?
check "reset (faultd direct): connection reset" test "$rc" = 56 -o "$rc" = 18
curl -s -o /dev/null "$B/simple/fault-close/"
check_eq "close: empty reply" "$?" 52
curl -s -L --max-redirs 5 -o /dev/null "$B/simple/fault-redirect-loop/"
check_eq "redirect loop: too many redirects" "$?" 47
sz=$(curl -s -o /dev/null -w '%{size_download}' -H "Accept: $PIP" "$B/simple/fault-oversize/")
check "oversize: more than 300 MB" test "$sz" -gt 300000000
bomb=$(curl -s --max-time 60 -o "$TMP/bomb.gz" -w '%{size_download}' -H 'Accept-Encoding: gzip' "$B/simple/fault-oversize-gzip/")
isz=$(tail -c 4 "$TMP/bomb.gz" | od -An -tu4 | tr -d ' ')  # gzip's ISIZE
check "gzip bomb: < 2 MB on the wire, > 1 GB inflated" test "$bomb" -lt 2000000 -a "$isz" -gt 1000000000
check_eq "gzip bomb: inflates to JSON" "$(gzip -dc "$TMP/bomb.gz" 2>/dev/null | head -c 8)" '{"meta":'
check "hostile JSON does not parse" sh -c "
	for f in dupkeys types deep utf8 nul trailing; do
		curl -s '$B/simple/fault-json-'\$f/ | $PYTHON -c '
import json, sys
b = sys.stdin.buffer.read()
class Dup(Exception): pass
def hook(pairs):
    keys = [k for k, v in pairs]
    if len(keys) != len(set(keys)): raise Dup()
    return dict(pairs)
try:
    d = json.loads(b.decode(\"utf-8\"), object_pairs_hook=hook)
    ok = isinstance(d.get(\"files\"), list) and all(\"\\x00\" not in f.get(\"filename\", \"\") for f in d[\"files\"])
except (ValueError, RecursionError, Dup):
    ok = False
sys.exit(1 if ok else 0)' || { echo \"fault-json-\$f parsed\"; exit 1; }
	done"
check "hostile HTML: NUL, invalid UTF-8, 16 MB attribute" sh -c "
	curl -s '$B/simple/fault-html-nul/' | tr -d '\\000' | cmp -s - /dev/null && exit 1
	n=\$(curl -s '$B/simple/fault-html-nul/' | wc -c); m=\$(curl -s '$B/simple/fault-html-nul/' | tr -d '\\000' | wc -c)
	[ \$n -gt \$m ] || exit 1
	curl -s '$B/simple/fault-html-utf8/' | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 && exit 1
	[ \$(curl -s '$B/simple/fault-html-hugeattr/' | wc -c) -gt 16000000 ]"

# --- mutation, reload, stale pages, deletion
check "mutate" "$FIX" mutate "$T" --changed 3 --yanks 2 --unyanks 1 --deletes 2 \
	--serial-bumps 2 --new 2 --stale-catchup 1 --stale-never 1
# A reload ends only when the old workers are gone: one that lingers (here
# stopped) would still accept connections with the old serial map and
# routes, serving a catch-up page statically under its old serial.
old_workers=$(pgrep -P "$(cat "$R/nginx.pid")")
kill -STOP $old_workers
"$NGX/reload" --run "$R" >"$TMP/reload.out" 2>&1 &
reload_pid=$!
gen=$(cat "$T/www/_fixture/generation")
wait_for 30 sh -c "[ \"\$(curl -s '$B/_fixture/generation')\" = '$gen' ]"
sleep 1 # an unfixed reload would have returned by now
check "reload waits while an old worker is alive" kill -0 "$reload_pid"
kill -CONT $old_workers
wait "$reload_pid"
check_eq "reload" "$?" 0
m=$T/last-mutation.json
del=$(jget 'd["deletes"][0]' <"$m")
cu=$(jget 'd["stale_catchup"][0]' <"$m")
nv=$(jget 'd["stale_never"][0]' <"$m")
promised() { curl -s -H "Accept: $PIP" "$B/simple/" | jget "[p['_last-serial'] for p in d['projects'] if p['name'].lower().replace('_','-').replace('.','-')=='$1'][0]"; }
check_eq "deleted: 404" "$(code "$B/simple/$del/")" 404
check_grep "deleted: truth keeps the record, status deleted" "\"name\":\"$del\",\"project_status\":\"active\",\"serial\":[0-9]*,\"status\":\"deleted\"" "$T/truth.jsonl"
pc=$(promised "$cu")
s1=$(hdr "$B/simple/$cu/" X-PyPI-Last-Serial -H "Accept: $PIP")
s2=$(hdr "$B/simple/$cu/" X-PyPI-Last-Serial -H "Accept: $PIP")
s3=$(hdr "$B/simple/$cu/" X-PyPI-Last-Serial -H "Accept: $PIP")
check "catch-up stale page: old serial twice, then the promised one" test "$s1" = "$s2" -a "$s1" -lt "$pc" -a "$s3" = "$pc"
pn=$(promised "$nv")
sn=$(hdr "$B/simple/$nv/" X-PyPI-Last-Serial -H "Accept: $PIP")
check "never-stale page: older than the root promises" test "$sn" -lt "$pn"
check_grep "never-stale: truth keeps the old serial" "\"name\":\"$nv\",\"project_status\":\"active\",\"serial\":$sn," "$T/truth.jsonl"
$PYTHON "$FIXD/refcrawl.py" --index "$B/simple/" --skip-faults >"$TMP/ref2.json" 2>"$TMP/ref2.err"
grep -v -e "\"name\":\"$nv\"" -e '"status":"deleted"' -e '"name":"fault-' "$T/truth.jsonl" >"$TMP/truth2.jsonl"
check "after mutation the pages agree with the truth (but stale-never, deleted)" \
	"$FIX" check-dump "$TMP/truth2.jsonl" "$TMP/ref2.json"
