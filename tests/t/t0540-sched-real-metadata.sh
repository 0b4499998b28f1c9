#!/bin/sh
# t0540: the resolver on real metadata. The core metadata of this
# machine's Debian python3-* packages (every *.dist-info/METADATA under
# the system's dist-packages: their real Requires-Dist lines, markers,
# extras and Requires-Python) is served as a wheel-only PEP 691 index with
# PEP 658 metadata files, mirrored, and every distribution (and each of
# its extras) is resolved by pyti-schedule and by Debian's pip 23.0.1
# (`pip install --dry-run --report`, debian-12's interpreter) against the
# same index: the installed sets must be equal, and where pip fails (a
# requirement no package here provides) pyti says unavailable or
# conflict. make test compares a sample of two; make test-long every root.
. "$(dirname "$0")/../lib.sh"
need nginx
PIPW=$(ls /usr/share/python-wheels/pip-*.whl 2>/dev/null | tail -n 1)
[ -n "$PIPW" ] || skip_all "needs Debian's pip wheel (python3-pip-whl)"
DP=${PYTI_DIST_PACKAGES:-/usr/lib/python3/dist-packages}
ls "$DP"/*.dist-info/METADATA >/dev/null 2>&1 ||
	skip_all "no *.dist-info/METADATA under $DP"

FIX=$TOP/tests/helper/fixture-index/fixture-index
NGX=$TOP/tests/helper/nginx
H=$TOP/tests/helper/sched
port=$(free_port)
url=http://127.0.0.1:$port

# the spec of tests/helper/sched/corpus from the real files, and the roots
# (an extra is asked through a project of its own requiring name[extra],
# as a dependent would ask it)
$PYTHON - "$DP" "$TMP/spec.json" "$TMP/roots" "$TMP/sample" <<'PY' || { echo "Bail out! metadata"; exit 1; }
import email.parser, glob, json, os, sys
from packaging.utils import canonicalize_name
spec, roots = {}, []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.dist-info", "METADATA"))):
    with open(path, encoding="utf-8", errors="replace") as f:
        m = email.parser.Parser().parse(f, headersonly=True)
    name, version = m.get("Name"), m.get("Version")
    if not name or not version:
        continue
    name = canonicalize_name(name)
    r = {"metadata_version": m.get("Metadata-Version", "2.1"),
         "requires_dist": m.get_all("Requires-Dist") or [],
         "extras": m.get_all("Provides-Extra") or []}
    if m.get("Requires-Python"):
        r["requires_python"] = m.get("Requires-Python")
    spec.setdefault(name, {})[version] = r
    roots.append(name)
    for e in r["extras"]:
        x = "pyti-extra-%s-%s" % (name, canonicalize_name(e))
        spec[x] = {"1.0": {"requires_dist": ["%s[%s]" % (name, e)]}}
        roots.append(x)
json.dump(spec, open(sys.argv[2], "w"), indent=1)
open(sys.argv[3], "w").write("\n".join(roots) + "\n")
# the sample of make test: the two with the most requirements outside
# extras (every root and extra under make test-long)
def plain(n):
    return -sum("extra" not in d for d in next(iter(spec[n].values()))["requires_dist"])
real = sorted((n for n in roots if not n.startswith("pyti-extra-")), key=plain)
open(sys.argv[4], "w").write("\n".join(real[:2]) + "\n")
PY
nroots=$(wc -l <"$TMP/roots")
sample=$(cat "$TMP/sample")
[ -n "${PYTI_LONG:-}" ] && sample=$(cat "$TMP/roots")
plan $(( $(echo "$sample" | wc -l) + 2 ))

$FIX generate --out "$TMP/tree" --base-url "$url" --count 1 --no-extras \
	--formats json >/dev/null 2>&1 || { echo "Bail out! fixture-index"; exit 1; }
$H/corpus "$TMP/tree" --only-metadata --metadata "$TMP/spec.json" >/dev/null ||
	{ echo "Bail out! corpus"; exit 1; }
$NGX/start --tree "$TMP/tree" --run "$TMP/ngx" --port "$port" --format json \
	>/dev/null || { echo "Bail out! nginx"; exit 1; }
at_exit "$NGX/stop --run '$TMP/ngx'"
pyti-crawl --index "$url/simple/" --db "$TMP/db" --store "$TMP/store" \
	--download=metadata --no-progress >/dev/null 2>&1 ||
	{ echo "Bail out! crawl"; exit 1; }

# every root gets a cell with a resolution (never a crash or a silence)
names=$(cat "$TMP/roots")
pyti-schedule --dry-run --json --db "$TMP/db" --store "$TMP/store" \
	--platform debian-12 --package $names >"$TMP/cells.jsonl" 2>"$TMP/err"
check_eq "a debian-12 cell with a resolution for each of the $nroots roots" \
	"$($PYTHON -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["resolution"]))' "$TMP/cells.jsonl")" \
	"$(echo "$names" | wc -l)"

# ROOT -> "name==version" lines pip installs besides it, or FAILED
pip_set() {
	rm -f "$TMP/report.json"
	if PYTHONPATH=$PIPW timeout 300 $PYTHON -m pip install --dry-run \
		--report "$TMP/report.json" --quiet --ignore-installed \
		--no-cache-dir --disable-pip-version-check --index-url "$url/simple/" \
		--python-version 3.11.2 --implementation cp --abi cp311 \
		--platform manylinux_2_36_x86_64 --only-binary=:all: \
		--target "$TMP/target" "$1" >"$TMP/pip.log" 2>&1; then
		$PYTHON -c 'import json,sys
from packaging.utils import canonicalize_name as c
for i in json.load(open(sys.argv[1]))["install"]:
    m=i["metadata"]
    if c(m["name"]) != sys.argv[2]: print("%s==%s" % (c(m["name"]), m["version"]))' \
			"$TMP/report.json" "$1" | sort
	else
		echo FAILED
	fi
}
# the same from pyti-schedule's cell (runtime role)
our_set() {
	grep "\"project\":\"$1\"" "$TMP/cells.jsonl" | $PYTHON -c 'import json,sys
from packaging.utils import canonicalize_name as c
l=sys.stdin.readline()
r=json.loads(l)["resolution"] if l else "no cell"
if r!="ok":
    print("FAILED")
else:
    for d in json.loads(l)["deps"]:
        if d["role"]=="runtime": print("%s==%s" % (c(d["name"].split("-")[0]), d["version"]))' | sort
}
resolved=0
for root in $sample; do
	ours=$(our_set "$root")
	check_eq "$root on debian-12: same set as pip" "$ours" "$(pip_set "$root")"
	case $ours in ""|FAILED) ;; *) resolved=$((resolved + 1)) ;; esac
done
# the comparison is not only of failures and empty sets
check "at least one root of the sample resolves to dependencies" \
	test "$resolved" -ge 1
