#!/bin/sh
# store_get() (common/store.h), the on-demand fetch of one file into the
# content-addressed store, against nginx and faultd on loopback: a
# core-metadata file arrives verified under its sha256 and is not asked
# for again; a wrong hash, a body over the cap, a 404 and a server that
# stalls are each a clear failure that stores nothing and leaves no
# temporary file.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/fixture.sh"
GET=$TOP/build/tests/helper/store-get
[ -x "$GET" ] || skip_all "build/tests/helper/store-get not built"
plan 14

fixture_start --count 4 --no-extras --faults fault-stall
S=$TMP/store

# Two metadata files of the truth with different digests: URL and sha256.
$PYTHON - "$TREE/truth.jsonl" >"$TMP/picks" <<'PY' || exit 1
import json, sys
seen = {}
for line in open(sys.argv[1]):
    for f in json.loads(line)["files"]:
        m = f["core_metadata"]
        if m and m["sha256"] not in seen:
            seen[m["sha256"]] = f["url"] + ".metadata"
if len(seen) < 2:
    sys.exit("fewer than two metadata files in the fixture")
for sha, url in list(seen.items())[:2]:
    print(url, sha)
PY
read -r U1 H1 <<EOF2
$(sed -n 1p "$TMP/picks")
EOF2
read -r U2 H2 <<EOF2
$(sed -n 2p "$TMP/picks")
EOF2
F1=$TREE/www/${U1#http://127.0.0.1:$port/}

# store_files: verified files in the store (tmp/ aside).
store_files() {
	find "$S" -path "$S/tmp" -prune -o -type f -print | wc -l
}

"$GET" "$S" "$U1" "$H1" 1048576 10000 >"$TMP/out1" 2>&1
check_eq "a metadata file is fetched" "$(cat "$TMP/out1")" \
	"ok $S/$(echo "$H1" | cut -c1-2)/$H1"
check_files_eq "with the index's bytes" "$S/$(echo "$H1" | cut -c1-2)/$H1" "$F1"
: >"$NGXRUN/access.log"
"$GET" "$S" "$U1" "$H1" 1048576 10000 >"$TMP/out2" 2>&1
check_eq "asked again: the same path" "$(cat "$TMP/out2")" "$(cat "$TMP/out1")"
check_eq "without a request" "$(grep -c '' "$NGXRUN/access.log")" 0

Z=0000000000000000000000000000000000000000000000000000000000000000
"$GET" "$S" "$U2" "$Z" 1048576 10000 >"$TMP/out3" 2>&1
check_eq "a wrong hash exits 1" "$?" 1
check_grep "and is named, expected and got" \
	"^failed: sha256 mismatch: expected $Z, got $H2" "$TMP/out3"

"$GET" "$S" "$U2" "$H2" 16 10000 >"$TMP/out4" 2>&1
check_eq "a body over the cap exits 1" "$?" 1
check_grep "and is named" "^failed: .*cap of 16 bytes" "$TMP/out4"

"$GET" "$S" "$U2.missing" "$H2" 1048576 10000 >"$TMP/out5" 2>&1
check_eq "a 404 exits 1" "$?" 1
check_grep "and is named" "^failed: HTTP 404$" "$TMP/out5"

"$GET" "$S" "http://127.0.0.1:$fault_port/simple/fault-stall/" "$H2" \
	1048576 1500 >"$TMP/out6" 2>&1
check_eq "a stalled server exits 1 after the timeout" "$?" 1
check_grep "and is named" "^failed: Timeout was reached" "$TMP/out6"

check_eq "only the good file is in the store" "$(store_files)" 1
check_eq "no temporary file left" "$(ls "$S/tmp" | wc -l)" 0
