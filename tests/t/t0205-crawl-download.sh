#!/bin/sh
# Downloads into the content-addressed store: after --download=all every
# file and core-metadata file of the truth is in the store under its
# sha256 with the right bytes; a second run downloads nothing; a hash
# mismatch, a short file, a long file and a truncated transfer are never
# stored and are named; kill -9 during downloads leaves no partial file
# under a final name; `pyti-crawl fetch` answers line by line on stdin.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/fixture.sh"
fixture_need_crawl
plan 49

fixture_start --count 60 --no-extras
FAST="--set crawler.retries=1 --set crawler.retry-base=10ms --set crawler.revalidate=0 --no-progress"

# check-store TRUTH STORE [SKIP_FILE]: every sha256 and core-metadata
# sha256 of the truth (but those listed in SKIP_FILE) is a file of the
# store with those bytes; every file of the store is named by its hash
# (TRUTH "-": only the latter).
cat >"$TMP/check-store" <<'EOF'
import hashlib, json, os, sys
truth, store = sys.argv[1], sys.argv[2]
skip = set(open(sys.argv[3]).read().split()) if len(sys.argv) > 3 else set()
want, bad = set(), 0
for line in (open(truth) if truth != "-" else []):
    for f in json.loads(line)["files"]:
        if f["sha256"]:
            want.add(f["sha256"])
        if f["core_metadata"]:
            want.add(f["core_metadata"]["sha256"])
for h in sorted(want - skip):
    p = os.path.join(store, h[:2], h)
    if not os.path.isfile(p):
        print("missing", h); bad += 1
have = 0
for d in os.listdir(store):
    if d == "tmp":
        continue
    for n in os.listdir(os.path.join(store, d)):
        have += 1
        got = hashlib.sha256(open(os.path.join(store, d, n), "rb").read()).hexdigest()
        if got != n or d != n[:2]:
            print("wrong bytes under", d + "/" + n, "got", got); bad += 1
        if n in skip:
            print("stored though corrupt:", n); bad += 1
print(f"{len(want)} wanted, {have} in store, {bad} problems")
sys.exit(1 if bad or (truth != "-" and not want) else 0)
EOF
check_store() {
	$PYTHON "$TMP/check-store" "$@"
}

# Pick four distribution files and one .metadata file of the truth and
# damage them on disk: same length other bytes, half the bytes, extra
# bytes; the metadata gets other bytes.
$PYTHON - "$TMP/tree" "$TMP/bad" <<'EOF' >"$TMP/picks" || exit 1
import json, os, sys, urllib.parse
tree, out = sys.argv[1], sys.argv[2]
files = []
for line in open(os.path.join(tree, "truth.jsonl")):
    files += [f for f in json.loads(line)["files"] if f["sha256"] and f["size"]]
files.sort(key=lambda f: f["filename"])
# A metadata document may be shared by several files (same bytes, same
# digest): damage one that is not, so exactly one download fails.
msha = {}
for f in files:
    if f["core_metadata"]:
        msha[f["core_metadata"]["sha256"]] = msha.get(f["core_metadata"]["sha256"], 0) + 1
meta = [f for f in files if f["core_metadata"] and msha[f["core_metadata"]["sha256"]] == 1]
mismatch, short, long_ = files[3], files[len(files) // 2], files[-4]
m = meta[len(meta) // 3]
if len({id(mismatch), id(short), id(long_), id(m)}) < 4:
    sys.exit("picks collide")
def path(f, suffix=""):
    return os.path.join(tree, "www", urllib.parse.urlparse(f["url"]).path.lstrip("/")) + suffix
for f, how, suffix in ((mismatch, "mismatch", ""), (short, "short", ""),
                       (long_, "long", ""), (m, "meta", ".metadata")):
    p = path(f, suffix)
    data = open(p, "rb").read()
    os.rename(p, p + ".good")
    if how in ("mismatch", "meta"):
        data = bytes(b ^ 1 for b in data)
    elif how == "short":
        data = data[: len(data) // 2]
    else:
        data = data + b"more\n"
    open(p, "wb").write(data)
    sha = f["core_metadata"]["sha256"] if how == "meta" else f["sha256"]
    url = f["url"] + suffix
    print(how, sha, url, p)
EOF
awk '{print $2}' "$TMP/picks" >"$TMP/bad-shas"
pick() { awk -v k="$1" -v c="$2" '$1 == k {print $c}' "$TMP/picks"; }

# 1. A full crawl with --download=all.
pyti-crawl --index "$INDEX" --db "$TMP/db" --store "$TMP/store" \
	--download=all $FAST >"$TMP/out1" 2>"$TMP/err1"
check_eq "download run with corrupt files exits 3" "$?" 3
pyti-crawl dump --db "$TMP/db" >"$TMP/dump"
check "the mirror is still the ground truth" $FIX check-dump \
	"$TMP/tree/truth.jsonl" "$TMP/dump"
check "every other file and metadata is in the store, verified" \
	check_store "$TMP/tree/truth.jsonl" "$TMP/store" "$TMP/bad-shas"
check_grep "summary counts 4 failed downloads" "download-failed 4," "$TMP/out1"
check_grep "mismatch named with expected and got" \
	"download '$(pick mismatch 3)' (project '[^']*') failed: sha256 mismatch: expected $(pick mismatch 2), got [0-9a-f]\{64\}" \
	"$TMP/err1"
check_grep "short file named as truncated" \
	"download '$(pick short 3)' .* failed: truncated: [0-9]* of [0-9]* bytes" \
	"$TMP/err1"
check_grep "long file named" \
	"download '$(pick long 3)' .* failed: longer than the index's size" \
	"$TMP/err1"
check_grep "metadata mismatch named" \
	"download '$(pick meta 3)' .* failed: sha256 mismatch: expected $(pick meta 2)" \
	"$TMP/err1"
check_grep "last line names the failed downloads" \
	"4 downloads failed .*'$(pick short 3)'" "$TMP/err1"
check_eq "no temporary file left" "$(ls "$TMP/store/tmp" | wc -l)" 0

# 2. The next run fetches only what failed (the root is not modified).
: >"$TMP/ngx/access.log"
pyti-crawl --index "$INDEX" --db "$TMP/db" --store "$TMP/store" \
	--download=all $FAST >"$TMP/out2" 2>"$TMP/err2"
check_eq "still corrupt: exits 3 again" "$?" 3
check_eq "only the root and the four failed files are requested" \
	"$(grep -c '' "$TMP/ngx/access.log")" 5

# 3. The files are repaired on the server: the next run stores them.
while read -r how sha url p; do mv "$p.good" "$p"; done <"$TMP/picks"
: >"$TMP/ngx/access.log"
pyti-crawl --index "$INDEX" --db "$TMP/db" --store "$TMP/store" \
	--download=all $FAST >"$TMP/out3" 2>"$TMP/err3"
check_eq "repaired: exits 0" "$?" 0
check "now every file of the truth is in the store" \
	check_store "$TMP/tree/truth.jsonl" "$TMP/store"
check_grep "four downloaded" "downloaded 4, " "$TMP/out3"
check_eq "one request per repaired file (plus the root)" \
	"$(grep -c '' "$TMP/ngx/access.log")" 5

# 4. Nothing new: one request, nothing downloaded.
: >"$TMP/ngx/access.log"
pyti-crawl --index "$INDEX" --db "$TMP/db" --store "$TMP/store" \
	--download=all $FAST >"$TMP/out4" 2>&1
check_eq "incremental run exits 0" "$?" 0
check_eq "incremental run: one request" \
	"$(grep -c '' "$TMP/ngx/access.log")" 1
check_grep "nothing downloaded" "downloaded 0, present 0," "$TMP/out4"

# 5. A change: only the new release's files are downloaded.
fixture_mutate --changed 2
pyti-crawl --index "$INDEX" --db "$TMP/db" --store "$TMP/store" \
	--download=all $FAST >"$TMP/out5" 2>&1
check_eq "run after changes exits 0" "$?" 0
check "the new files are in the store" \
	check_store "$TMP/tree/truth.jsonl" "$TMP/store"
check_eq "only new files requested (no file fetched twice)" \
	"$(grep ' "/packages/' "$TMP/ngx/access.log" | awk '{print $4}' |
		sort | uniq -d | wc -l)" 0
n=$(grep -c ' "/packages/' "$TMP/ngx/access.log")
if [ "$n" -gt 0 ] && [ "$n" -le 12 ]; then
	ok "a few files requested ($n) for 2 changed projects"
else
	not_ok "a few files requested for 2 changed projects (got $n)"
fi

# 6. Metadata only into a fresh store, then all: the mode change queues
# every project again.
pyti-crawl --index "$INDEX" --db "$TMP/db2" --store "$TMP/store2" \
	--download $FAST >"$TMP/out6" 2>&1
check_eq "--download (metadata) exits 0" "$?" 0
$PYTHON - "$TMP/tree/truth.jsonl" "$TMP/store2" >"$TMP/meta-check" <<'EOF'
import json, os, sys
dist = meta = 0
for line in open(sys.argv[1]):
    for f in json.loads(line)["files"]:
        if f["sha256"] and os.path.exists(os.path.join(sys.argv[2], f["sha256"][:2], f["sha256"])):
            dist += 1
        cm = f["core_metadata"]
        if cm and not os.path.exists(os.path.join(sys.argv[2], cm["sha256"][:2], cm["sha256"])):
            meta += 1
print(f"dist {dist} missing-meta {meta}")
EOF
check_eq "metadata mode stores all metadata and no distribution" \
	"$(cat "$TMP/meta-check")" "dist 0 missing-meta 0"
pyti-crawl --index "$INDEX" --db "$TMP/db2" --store "$TMP/store2" \
	--set crawler.download=all $FAST >"$TMP/out7" 2>&1
check_eq "then download = all (config key) exits 0" "$?" 0
check "all files follow" check_store "$TMP/tree/truth.jsonl" "$TMP/store2"

# 7. kill -9 during downloads, repeatedly; a leftover temporary file of a
# dead process is removed.
# Each kill lands in the download phase: after its first log line, at
# varying moments.
: >"$TMP/kills"
killed=0
for delay in 0 0.2 0.5 0 1.0; do
	pyti-crawl --index "$INDEX" --db "$TMP/db3" --store "$TMP/store3" \
		--download=all --max-in-flight 2 $FAST >/dev/null 2>"$TMP/kill.err" &
	pid=$!
	wait_for 120 grep -q "downloading the files" "$TMP/kill.err"
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid" 2>/dev/null
	# Only complete files under final names, whatever the moment.
	if ! $PYTHON "$TMP/check-store" - "$TMP/store3" >"$TMP/kill.out" 2>&1
	then
		echo "after kill at $delay s:" >>"$TMP/kill-bad"
		cat "$TMP/kill.out" >>"$TMP/kill-bad"
	fi
	echo "$delay: $(find "$TMP/store3" -type f | wc -l) files, $(ls "$TMP/store3/tmp" | wc -l) temporary" >>"$TMP/kills"
done
diag "kills: $(tr '\n' ';' <"$TMP/kills")"
check_eq "downloads were killed" "$([ "$killed" -ge 2 ] && echo yes)" yes
check_eq "no partial file under a final name after any kill" \
	"$(cat "$TMP/kill-bad" 2>/dev/null)" ""
mkdir -p "$TMP/store3/tmp"
echo partial >"$TMP/store3/tmp/999999999.1.0123456789abcdef"
pyti-crawl --index "$INDEX" --db "$TMP/db3" --store "$TMP/store3" \
	--download=all $FAST >"$TMP/out8" 2>&1
check_eq "the run after the kills exits 0" "$?" 0
check "and the store is complete" check_store "$TMP/tree/truth.jsonl" \
	"$TMP/store3"
check_eq "temporary files of dead processes removed" \
	"$(ls "$TMP/store3/tmp" | wc -l)" 0

# 8. pyti-crawl fetch: lines on stdin, one answer per line, in order.
gsha=$(pick mismatch 2)
gurl=$(pick mismatch 3)
gpath=$(pick mismatch 4)
rel=${gpath#"$TMP/tree/www"}
msha=$(pick meta 2)
nosuch=http://127.0.0.1:$port/packages/no/such/file.whl
printf '%s\n' \
	"$gurl $(echo "$gsha" | tr a-f A-F)" \
	"$(pick meta 3) $msha" \
	"" \
	"$nosuch $(pick long 2) 3" \
	"only-one-field" \
	"$(pick short 3) $(pick short 2) 3" |
	pyti-crawl fetch --store "$TMP/store4" $FAST >"$TMP/fetch.out" \
		2>"$TMP/fetch.err"
check_eq "fetch exits 1 when a line failed" "$?" 1
check_eq "fetch: one output line per non-blank input line" \
	"$(grep -c '' "$TMP/fetch.out")" 5
check_eq "fetch: a good file (digest in upper case): ok, sha, path" \
	"$(sed -n 1p "$TMP/fetch.out")" \
	"ok $gsha $TMP/store4/$(echo "$gsha" | cut -c1-2)/$gsha"
check_eq "fetch: metadata ok" "$(sed -n 2p "$TMP/fetch.out")" \
	"ok $msha $TMP/store4/$(echo "$msha" | cut -c1-2)/$msha"
check_eq "fetch: 404 named (its body never reaches the size check)" "$(sed -n 3p "$TMP/fetch.out")" \
	"failed $nosuch: HTTP 404"
check_grep "fetch: malformed line named" "^failed only-one-field: malformed line" \
	"$TMP/fetch.out"
check_grep "fetch: a size smaller than the file fails" \
	"^failed $(pick short 3): longer than the index's size of 3 bytes" \
	"$TMP/fetch.out"
check_eq "fetch: store-path agrees" \
	"$(pyti-crawl store-path "$gsha" --store "$TMP/store4")" \
	"$TMP/store4/$(echo "$gsha" | cut -c1-2)/$gsha"

# Wrong bytes for a digest, and a transfer cut in the middle (faultd,
# asked directly, sends half of a file marked with a sidecar).
touch "$gpath.fault-truncate"
printf '%s\n' "$gurl $msha" "http://127.0.0.1:$fault_port$rel $gsha" |
	pyti-crawl fetch --store "$TMP/store5" $FAST >"$TMP/fetch2.out" 2>&1
check_eq "fetch: both fail" "$(grep -c '^failed ' "$TMP/fetch2.out")" 2
check_grep "fetch: wrong bytes for the digest: failed, named" \
	"^failed $gurl: sha256 mismatch: expected $msha, got $gsha" \
	"$TMP/fetch2.out"
check_grep "fetch: truncated transfer named" \
	"^failed http://127.0.0.1:$fault_port$rel: .*[Pp]artial" "$TMP/fetch2.out"
printf '%s\n' "$gurl $gsha" | pyti-crawl fetch --store "$TMP/store6" $FAST \
	--set crawler.max-dist-size=16 >"$TMP/fetch3.out" 2>&1
check_grep "fetch: oversized file refused with the cap" \
	"^failed $gurl: larger than the cap of 16 bytes" "$TMP/fetch3.out"
check "fetch: only verified files in its stores" sh -c \
	"for s in store4 store5 store6; do $PYTHON '$TMP/check-store' - '$TMP/'\$s || exit 1; done"
check_eq "fetch: nothing stored for what failed" \
	"$(find "$TMP/store5" "$TMP/store6" -type f | wc -l)" 0

# core-metadata: true (a metadata file, no hash given): downloaded, stored
# under the digest of its bytes, and the digest noted in the record.
cm=$($PYTHON - "$TREE" <<'PYEOF'
import json, os, sys
www = os.path.join(sys.argv[1], "www", "simple")
for n in sorted(os.listdir(www)):
    p = os.path.join(www, n, "index.json")
    if not os.path.isfile(p):
        continue
    doc = json.load(open(p))
    for f in doc["files"]:
        h = f.get("core-metadata") or f.get("dist-info-metadata")
        if h:
            for k in ("core-metadata", "data-dist-info-metadata", "dist-info-metadata"):
                if k in f:
                    f[k] = True
            json.dump(doc, open(p, "w"))
            print(n, h["sha256"])
            sys.exit(0)
sys.exit(1)
PYEOF
)
cm_sha=${cm#* }
pyti-crawl --index "$INDEX" --db "$TMP/db7" --store "$TMP/store7" \
	--download=metadata $FAST >"$TMP/out8" 2>&1
check_eq "core-metadata true: the run exits 0" "$?" 0
check "core-metadata true: the file is stored under its digest" \
	test -s "$TMP/store7/$(echo "$cm_sha" | cut -c1-2)/$cm_sha"
check_grep "core-metadata true: the record notes the digest" \
	"\"core_metadata\":true,\"core_metadata_sha256\":\"$cm_sha\"" \
	"$(pyti-crawl dump --db "$TMP/db7" >"$TMP/dump7"; echo "$TMP/dump7")"
