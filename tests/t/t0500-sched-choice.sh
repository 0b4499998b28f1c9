#!/bin/sh
# t0500: the file choice agrees with pip's. A corpus of projects covering
# every tag shape (manylinux legacy and PEP 600 names, musllinux, abi3,
# py2.py3, macOS/Windows-only, build tags), Requires-Python values (valid,
# invalid, legacy, HTML-escaped, patch-level), yanked files, pre-releases,
# formats and names (tests/helper/sched/corpus) is served by nginx as a
# PEP 691 index, mirrored by pyti-crawl, and chosen from by pyti-schedule
# --dry-run --json on the three default platforms; Debian's pip 23.0.1
# (its PackageFinder, tests/helper/sched/pip-choice) answers the same
# question over HTTP from the same index. Every cell must agree.
. "$(dirname "$0")/../lib.sh"
need nginx
[ -n "$(ls /usr/share/python-wheels/pip-*.whl 2>/dev/null)" ] ||
	skip_all "needs Debian's pip wheel (python3-pip-whl)"
plan 10

. "$TOP/tests/helper/sched/index.sh"
sched_tree
$H/corpus "$TMP/tree" --random 300 >"$TMP/projects" ||
	{ echo "Bail out! corpus"; exit 1; }
sched_serve

check "crawl the corpus" pyti-crawl --index "$url/simple/" --db "$TMP/db" \
	--no-progress
check "dry-run over the whole mirror" sh -c \
	"pyti-schedule --dry-run --json --db '$TMP/db' >'$TMP/cells.jsonl'"

# the walk over 3 workers in chunks of 7 projects: the one process's lines
check "the walk split over workers gives the same lines" sh -c \
	"pyti-schedule --dry-run --json --db '$TMP/db' --workers 1 >'$TMP/w1' &&
	 pyti-schedule --dry-run --json --db '$TMP/db' --workers 3 \
		--set schedule.chunk=7 >'$TMP/w3' &&
	 test -s '$TMP/w1' && cmp '$TMP/w1' '$TMP/w3' && cmp '$TMP/w1' '$TMP/cells.jsonl'"

# pyti's choice as "project platform filename"
$PYTHON - "$TMP/cells.jsonl" >"$TMP/ours" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    c = json.loads(line)
    print("%s\t%s\t%s" % (c["project"], c["platform"],
                          c["file"]["name"] if c["file"] else "-"))
PY
# the platforms as pip's TargetPython takes them: the tag platforms in
# order, from pyti-pep tags (common/tags, itself checked against packaging)
plats() {
	pyti-pep tags --python "$2" --platform "$3" |
		$PYTHON -c 'import sys,json
seen=[]
for l in sys.stdin:
    p=l.strip().split("-",2)[2]
    if p != "any" and p not in seen: seen.append(p)
print(json.dumps({"name":sys.argv[1],"python_full":sys.argv[2],"platforms":seen}))' "$1" "$4"
}
{
	echo "["
	plats debian-11 3.9 manylinux_2_31_x86_64 3.9.2
	echo ","
	plats debian-12 3.11 manylinux_2_36_x86_64 3.11.2
	echo ","
	plats debian-13 3.13 manylinux_2_41_x86_64 3.13.5
	echo "]"
} >"$TMP/platforms.json"
grep -v '^0' "$TMP/projects" >"$TMP/names"
check "pip's finder over the same index" sh -c \
	"$H/pip-choice '$url/simple/' '$TMP/platforms.json' \$(cat '$TMP/names') >'$TMP/pip'"
grep -F -f "$TMP/names" "$TMP/ours" | sort >"$TMP/ours.sorted"
sort "$TMP/pip" >"$TMP/pip.sorted"
n=$(wc -l <"$TMP/pip.sorted")
check "the corpus has cells ($n)" test "$n" -gt 1000
check_files_eq "every cell agrees with pip" "$TMP/ours.sorted" "$TMP/pip.sorted"

# every cell without a file says why; reasons name the rule
$PYTHON - "$TMP/cells.jsonl" >"$TMP/reasons" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    c = json.loads(line)
    assert (c["file"] is None) == (c["reason"] is not None), c
    if c["reason"]:
        print(c["project"], c["platform"], c["reason"])
PY
check "a reason exactly when there is no file" test $? = 0
check_grep "requires-python named" \
	"^rp-all-out debian-12 requires-python excludes python 3.11.2.*'>=3.14'" \
	"$TMP/reasons"
check_grep "platform-only wheels named" \
	"^tags-elsewhere debian-12 no compatible wheel and no sdist" "$TMP/reasons"
check_grep "no files named" "^empty debian-11 no files" "$TMP/reasons"
