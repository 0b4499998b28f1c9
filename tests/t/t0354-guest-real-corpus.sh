#!/bin/sh
# The real-package verdict corpus (issue 10, item 8): real projects that
# scripts/pyti-demo-index repacked from Debian's python3-* packages of
# bullseye, bookworm and trixie (wheels, sdists, PEP 658 metadata), the
# file and deps (runtime, build, test, tests_source) that pyti-schedule
# --dry-run --json chooses for each project on the platform, run through
# the queue and a pool of VMs (tests/helper/queue.sh). Every job must end
# with a package outcome (never an infrastructure one) that is not pyti's
# gap (no deps_missing, no task in error but the tests task of
# tests_deps_missing, tests_internal_error or tests_usage_error, whose
# reasons the table gives); the verdicts go to a table
# ($PYTI_VERDICTS_OUT, default $TMP/verdicts.tsv: project, version,
# platform, file, outcome, tests passed/failed, reason) for
# docs/verdicts.md.
#
# Inputs (what `make demo` leaves under var/demo/): PYTI_DEMO_INDEX, the
# output directory of `pyti-demo-index build` (its www/ tree), and
# PYTI_DEMO_MIRROR, a pyti-crawl mirror of that index. Without them the
# test skips.
#   PYTI_CORPUS_PLATFORM (debian-12), PYTI_CORPUS_VMS (2),
#   PYTI_CORPUS_KIND: empty (the file pip would install), wheel (only the
#   cells whose file is a wheel) or sdist (each release's sdist, built in
#   the guest: [schedule] no-binary; a two-stage cell's job also gets the
#   runtime and test deps the scheduler resolves for the same release's
#   wheel, what its second stage would be given, so one job builds,
#   installs and tests it),
#   PYTI_REAL_PROJECTS="six attrs ..." (default: every project of the
#   mirror), PYTI_CORPUS_TIMEOUT (bound on the queue run, 5400 s)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
. "$TOP/tests/helper/queue.sh"
long_test "real projects on a platform through the queue, hours under TCG"
need qemu-system-x86_64
[ -n "${PYTI_DEMO_INDEX:-}" ] && [ -d "$PYTI_DEMO_INDEX/www" ] ||
	skip_all "PYTI_DEMO_INDEX names no pyti-demo-index output (make demo)"
[ -n "${PYTI_DEMO_MIRROR:-}" ] && [ -f "$PYTI_DEMO_MIRROR/data.mdb" ] ||
	skip_all "PYTI_DEMO_MIRROR names no crawled mirror of it (make demo)"
[ "$(id -u)" = 0 ] || skip_all "needs root for libvirtd and PostgreSQL"
P=${PYTI_CORPUS_PLATFORM:-debian-12}
OUT=${PYTI_VERDICTS_OUT:-$TMP/verdicts.tsv}

# The index's files in a store of our own, by sha256 (the scheduler reads
# the PEP 658 metadata files from it); the mirror copied, never written.
mkdir -p "$TMP/store"
cp -r "$PYTI_DEMO_MIRROR" "$TMP/mirror"
"$PYTHON" - "$PYTI_DEMO_INDEX/www" "$TMP/store" <<'PY'
import hashlib, os, sys
root, store = sys.argv[1], sys.argv[2]
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith((".whl", ".tar.gz", ".zip", ".metadata")):
            data = open(os.path.join(d, f), "rb").read()
            h = hashlib.sha256(data).hexdigest()
            os.makedirs(os.path.join(store, h[:2]), exist_ok=True)
            with open(os.path.join(store, h[:2], h), "wb") as o:
                o.write(data)
PY
KIND=${PYTI_CORPUS_KIND:-}
case $KIND in '' | wheel | sdist) ;; *) echo "Bail out! PYTI_CORPUS_KIND: $KIND (want wheel or sdist)"; exit 1 ;; esac
cells() { # $1: no-binary (yes/no), $2: output
	# shellcheck disable=SC2086
	pyti-schedule --dry-run --json --db "$TMP/mirror" \
		--set "store.dir=$TMP/store" --set "schedule.no-binary=$1" \
		${PYTI_REAL_PROJECTS:+--package $PYTI_REAL_PROJECTS} \
		${PYTI_REAL_PROJECTS:---full} >"$2" 2>"$TMP/cells.err" ||
		{ cat "$TMP/cells.err" >&2; echo "Bail out! pyti-schedule failed"; exit 1; }
}
cells no "$TMP/cells.jsonl"
[ "$KIND" != sdist ] || cells yes "$TMP/cells-sdist.jsonl"

ensure_images "$P"
queue_setup "$P" "${PYTI_CORPUS_VMS:-2}"
diag "accelerator: $ACCEL, platform $P"

# One job per cell of the platform with a file: the spec carries the
# scheduler's deps with their roles; the files go into the runner's store.
"$PYTHON" - "$TMP/cells.jsonl" "$P" "$TMP/store" "$QUEUE_DIR/store" \
	"$TMP/specs" "$KIND" "$TMP/cells-sdist.jsonl" <<'PY'
import json, os, shutil, sys
cells, plat, src, dst, out, kind, sdists = sys.argv[1:8]
os.makedirs(out, exist_ok=True)
pip = [json.loads(line) for line in open(cells)]
run = pip
if kind == "sdist":
    run = [json.loads(line) for line in open(sdists)]
    by = {(c["project"], c["platform"]): c for c in pip}
for c in run:
    if c["platform"] != plat or not c.get("file"):
        continue
    is_wheel = c["file"]["name"].endswith(".whl")
    if kind and is_wheel != (kind == "wheel"):
        continue
    if not c["resolution"].startswith(("ok", "two_stage")):
        print("# %s %s: %s" % (c["project"], c["version"], c["resolution"]))
        continue
    if kind == "sdist" and c["resolution"] == "two_stage":
        w = by.get((c["project"], c["platform"]))
        if not w or w["version"] != c["version"] or \
                not w["resolution"].startswith("ok"):
            print("# %s %s: two-stage, and no resolved cell of the same "
                  "release to take its runtime deps from" %
                  (c["project"], c["version"]))
            continue
        # a file already there as a build dep is one file: the runner
        # refuses a name listed twice
        have = {d["name"] for d in c["deps"]}
        c["deps"] = c["deps"] + [d for d in w["deps"]
                                 if d["role"] in ("runtime", "test") and
                                 d["name"] not in have]
        c["test_unresolved"] = w.get("test_unresolved")
    for f in [c["file"]] + c["deps"]:
        h = f["sha256"]
        os.makedirs(os.path.join(dst, h[:2]), exist_ok=True)
        shutil.copyfile(os.path.join(src, h[:2], h), os.path.join(dst, h[:2], h))
    spec = {"project": c["project"], "dist_version": c["version"],
            "python": c["python"], "dist": c["file"], "deps": c["deps"]}
    if c.get("test_unresolved"):
        spec["test_unresolved"] = c["test_unresolved"]
    with open(os.path.join(out, c["project"] + ".json"), "w") as o:
        json.dump(spec, o)
PY
# in the order of PYTI_REAL_PROJECTS when given (the queue runs them in
# that order), else by name
n=0
if [ -n "${PYTI_REAL_PROJECTS:-}" ]; then
	specs=
	for name in $PYTI_REAL_PROJECTS; do
		specs="$specs $TMP/specs/$name.json"
	done
else
	specs=$(ls "$TMP"/specs/*.json 2>/dev/null)
fi
for s in $specs; do
	[ -f "$s" ] || continue
	name=$(basename "$s" .json)
	set -- $("$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["dist"]["name"], s["python"], s["dist_version"])' "$s")
	id=$(pyti-db enqueue --platform "$P" --python "$2" \
		--max-attempts 1 "$(cat "$s")") ||
		{ echo "Bail out! cannot enqueue $name"; exit 1; }
	echo "$name $id $1 $3" >>"$QUEUE_DIR/real"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || skip_all "no cell of $P has a file"
plan $((n + 1))
QUEUE_JOBS=$n
queue_run "${PYTI_CORPUS_TIMEOUT:-5400}"

printf 'project\tversion\tplatform\tfile\toutcome\tpassed\tfailed\treason\n' >"$OUT"
while read -r name id file version; do
	qsql "select raw from results where job_id = $id" >"$QUEUE_DIR/res/$name.json"
	row=$("$PYTHON" - "$QUEUE_DIR/res/$name.json" "$name" "$P" "$file" \
		"$version" <<'PY'
import json, sys
path, name, plat, file, version = sys.argv[1:6]
try:
    doc = json.load(open(path))
except ValueError:
    doc = {}
# the results row's raw document: the package result under "result",
# beside the runner's record (docs/raw-data.md)
r = doc.get("result") if isinstance(doc.get("result"), dict) else {}
t = ((r.get("tests") or {}).get("totals") or {})
bad = [x["name"] for x in r.get("tasks", []) if x.get("outcome") == "error"]
# the tests task in error for a test dependency the index lacks, or for
# the project's own harness (pytest's internal or usage error): no
# verdict, and the table's reason says where it lies; any other error
# is pyti's
if r.get("outcome") in ("tests_deps_missing", "tests_internal_error",
                        "tests_usage_error"):
    bad = [b for b in bad if b != "tests"]
pyti = (not r) or r.get("outcome") == "deps_missing" or bad
print("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s" % (
    "PYTI" if pyti else "ok", name, version, plat, file,
    r.get("outcome", "no result"), t.get("passed", ""), t.get("failed", ""),
    (r.get("outcome_reason") or "runner: %s" % json.dumps(
        doc.get("runner"))).replace("\t", " ")[:200]))
PY
)
	echo "${row#*	}" >>"$OUT"
	case $row in
	ok*) ok "$name: ${row#*	}" ;;
	*) not_ok "$name: no package outcome, or pyti's gap: ${row#*	}"
	   diag "$(qsql "select coalesce(last_error, '') from jobs where id = $id")" ;;
	esac
done <"$QUEUE_DIR/real"
check_eq "the daemon drained the queue" "$QUEUE_STATUS" 0
[ "$QUEUE_STATUS" = 0 ] || diag "$(tail -n 20 "$QUEUE_DIR/runner.log")"
diag "verdicts: $OUT"
