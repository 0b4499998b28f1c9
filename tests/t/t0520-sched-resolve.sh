#!/bin/sh
# t0520: the resolver agrees with pip's. Graphs with chains, extras (also
# asked late, after the name was decided), markers, cycles, a conflict,
# backtracking, pre-releases, yanked pins, Requires-Python of
# dependencies, a missing dependency and non-normalized names
# (tests/fixtures/sched/graphs.json) are served as a wheel-only PEP 691
# index with PEP 658 metadata, mirrored with --download=metadata, and
# resolved by pyti-schedule --dry-run --json; Debian's pip 23.0.1
# resolves the same roots with `pip install --dry-run --report` against
# the same index. Installed sets must be equal; where pip fails, pyti
# says conflict or unavailable. Also: test extras resolved with the
# runtime requirements, test requirements files and their -r includes,
# build requirements (an in-tree backend's included) and two-stage
# sdists.
. "$(dirname "$0")/../lib.sh"
need nginx
PIPW=$(ls /usr/share/python-wheels/pip-*.whl 2>/dev/null | tail -n 1)
[ -n "$PIPW" ] || skip_all "needs Debian's pip wheel (python3-pip-whl)"
set -- $( [ -n "${PYTI_LONG:-}" ] && echo 33 || echo 24 )
plan $1

. "$TOP/tests/helper/sched/index.sh"
sched_tree
sched_graphs
sched_serve
pyti-crawl --index "$url/simple/" --db "$TMP/db" --store "$TMP/store" \
	--download=all --no-progress >/dev/null 2>&1 ||
	{ echo "Bail out! crawl"; exit 1; }

# pip_set PLATFORM-ARGS -- REQ: "name==version" lines pip would install
# (without the root), or "FAILED"
pip_set() {
	py=$1 glibc=$2 req=$3
	rm -f "$TMP/report.json"
	if PYTHONPATH=$PIPW timeout 300 $PYTHON -m pip install --dry-run \
		--report "$TMP/report.json" --quiet --ignore-installed \
		--no-cache-dir --disable-pip-version-check --index-url "$url/simple/" \
		--python-version "$py" --implementation cp \
		--abi "cp$(echo "$py" | cut -d. -f1-2 | tr -d .)" \
		--platform "manylinux_${glibc}_x86_64" --only-binary=:all: \
		--target "$TMP/target" "$req" >"$TMP/pip.log" 2>&1; then
		root=$(echo "$req" | sed 's/\[.*//')
		$PYTHON -c 'import json,sys
for i in json.load(open(sys.argv[1]))["install"]:
    m=i["metadata"]
    if m["name"] != sys.argv[2]: print("%s==%s" % (m["name"].lower(), m["version"]))' \
			"$TMP/report.json" "$root" | sort
	else
		echo FAILED
	fi
}
# our_set PLATFORM PROJECT ROLES: the same from pyti-schedule
our_set() {
	pyti-schedule --dry-run --json --db "$TMP/db" --store "$TMP/store" \
		--platform "$1" --package "$2" | $PYTHON -c 'import json,sys
c=json.loads(sys.stdin.readline())
roles=sys.argv[1].split(",")
r=c["resolution"]
if r!="ok" and not r.startswith("two_stage"):
    print("FAILED")
else:
    for d in c["deps"]:
        if d["role"] in roles: print("%s==%s" % (d["name"].split("-")[0].replace("_","-").lower(), d["version"]))' "$3" | sort
}
compare() {
	check_eq "$1 on $2: same set as pip" "$(our_set "$2" "$1" runtime)" \
		"$(pip_set "$3" "$4" "$1")"
}
# every root under make test-long; a sample under make test (one pip run
# takes several seconds on a loaded machine)
roots="extras-late backtrack conflict"
[ -n "${PYTI_LONG:-}" ] && roots="chain extras extras-late markers cycle \
	conflict backtrack pre yanked rpdeps missing normnames"
for root in $roots; do
	compare $root debian-12 3.11.2 2_36
done
# pip evaluates markers, and a downloaded dependency's Requires-Python,
# for the interpreter it runs on (3.11 here) whatever --python-version
# says, so it is the oracle for debian-12 only; the other platforms are
# checked against what their own interpreter would decide
check_eq "markers on debian-11" "$(our_set debian-11 markers runtime)" \
	"$(printf 'markers-linux==1.0\nmarkers-old==1.0')"
check_eq "markers on debian-13" "$(our_set debian-13 markers runtime)" \
	"$(printf 'markers-full==1.0\nmarkers-linux==1.0\nmarkers-new==1.0')"
check_eq "Requires-Python of a dependency on debian-13" \
	"$(our_set debian-13 rpdeps runtime)" "rpdeps-y==2.0"
check_eq "test extras on debian-12: same set as pip's root[test]" \
	"$(our_set debian-12 withtests runtime,test)" \
	"$(pip_set 3.11.2 2_36 'withtests[test]')"

pyti-schedule --dry-run --json --db "$TMP/db" --store "$TMP/store" \
	--platform debian-12 --package conflict missing withtests sdist-static \
	sdist-dynamic sdist-pkginfo sdist-pkginfo-old chain >"$TMP/cells.jsonl"
check_grep "a conflict names the requirements" \
	'"resolution":"conflict: conflict-m 2.0 (chosen for conflict) does not satisfy .conflict-m<2. (from conflict-n)"' \
	"$TMP/cells.jsonl"
check_grep "a missing dependency is unavailable" \
	'"resolution":"unavailable: missing-nowhere is not in the mirror' "$TMP/cells.jsonl"
check_grep "test dependencies have the test role" \
	'"name":"withtests_pytest_plugin-1.0-py3-none-any.whl","role":"test"' "$TMP/cells.jsonl"
check_grep "a static sdist gets pip's default build requirements" \
	'"project":"sdist-static".*"resolution":"ok"' "$TMP/cells.jsonl"
check_grep "an sdist without static metadata is two-stage" \
	'"name":"setuptools-68.0-py3-none-any.whl","role":"build".*"project":"sdist-dynamic".*"resolution":"two_stage"' \
	"$TMP/cells.jsonl"
check_grep "an sdist with no metadata file but a static PKG-INFO (PEP 643) is one stage, its requirements resolved" \
	'"name":"chain_c-2.0-py3-none-any.whl","role":"runtime".*"project":"sdist-pkginfo".*"resolution":"ok"' \
	"$TMP/cells.jsonl"
check_grep "a PKG-INFO older than Metadata-Version 2.2 is not static: two-stage" \
	'"project":"sdist-pkginfo-old".*"resolution":"two_stage"' "$TMP/cells.jsonl"
pyti-schedule --dry-run --json --db "$TMP/db" --store "$TMP/store" \
	--platform debian-12 --package sdist-hatch sdist-badtoml sdist-noreq \
	groups sdist-inplace reqs-loop >"$TMP/sdist.jsonl"
# roles PROJECT ROLE: the sorted names of the project's deps of that role
roles() {
	$PYTHON -c 'import json,sys
for l in open(sys.argv[1]):
    c=json.loads(l)
    if c["project"]==sys.argv[2]:
        print(" ".join(sorted(d["name"].split("-")[0] for d in c["deps"] if sys.argv[3] in d.get("roles", [d["role"]]))))' \
		"$TMP/sdist.jsonl" "$1" "$2"
}
check_grep "build requirements from pyproject.toml, resolved" \
	'"name":"hatchling-1.21-py3-none-any.whl","role":"build".*"name":"packaging-23.2-py3-none-any.whl","role":"build".*"project":"sdist-hatch".*"resolution":"ok"' \
	"$TMP/sdist.jsonl"
check_grep "a pyproject.toml that is not TOML is unavailable, with where" \
	'"project":"sdist-badtoml".*"resolution":"unavailable: pyproject.toml line 1 column 14' \
	"$TMP/sdist.jsonl"
check_grep "[build-system] without requires is refused as pip does" \
	'"project":"sdist-noreq".*"resolution":"unavailable: pyproject.toml: .build-system. .requires. is missing' \
	"$TMP/sdist.jsonl"
check_eq "test requirements from groups, requirements files (tests/ and requirements/ too, -r followed) and tox.ini" \
	"$(roles groups test)" \
	"groups_base groups_dev groups_extra groups_plugin groups_req groups_testsdir groups_tox groups_typing"
check_eq "requirements files that include each other 200 times over are each read once" \
	"$(roles reqs-loop test)" "groups_base groups_dev"
check_grep "what is not followed is recorded" \
	'"test_unresolved":\["-r missing.txt (requirements-test.txt): not followed","py38: groups-old (tox.ini deps): not followed"\]' \
	"$TMP/sdist.jsonl"
check_eq "an in-tree backend (backend-path) builds with the project's own requirements" \
	"$(roles sdist-inplace build)" "chain_c"
check_grep "a file both a build and a runtime requirement is delivered once, with both roles" \
	'"deps":\[{"name":"chain_c-2.0-py3-none-any.whl","role":"build","roles":\["build","runtime"\],"sha256":"[0-9a-f]*","size":[0-9]*,"version":"2.0"}\],.*"project":"sdist-inplace"' \
	"$TMP/sdist.jsonl"
pyti-schedule --db "$TMP/db" --store "$TMP/store" --platform debian-12 \
	--explain chain >"$TMP/explain" 2>&1
check_grep "--explain names the file and the dependencies" \
	"runtime *chain_c-1.5-py3-none-any.whl" "$TMP/explain"
# a damaged metadata file in the store is unavailable, not a guess
for m in $(find "$TMP/store" -type f ! -path "$TMP/store/tmp/*"); do
	printf 'Requires-Dist: evil\n' >>"$m"
done
pyti-schedule --dry-run --json --db "$TMP/db" --store "$TMP/store" \
	--platform debian-12 --package chain >"$TMP/damaged.jsonl"
check_grep "damaged metadata is refused by its hash" \
	'"resolution":"unavailable: .*has other bytes' "$TMP/damaged.jsonl"
