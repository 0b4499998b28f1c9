#!/bin/sh
# t0510: the sweep in a real PostgreSQL. The choice corpus is mirrored,
# then pyti-schedule writes the sweep: one cell per project x platform,
# one job per cell with a file (its spec names the cell, the project and
# the version), releases and files, priorities from a ranks file. Then:
# scheduling again enqueues nothing; a failure in the middle (a trigger
# that refuses one project's cells) leaves the sweep 'scheduling' with
# what was committed, and the next run continues the same sweep to the
# same totals, nothing doubled; a changed project is all the next
# incremental sweep takes.
. "$(dirname "$0")/../lib.sh"
need nginx psql
[ -x /usr/lib/postgresql/15/bin/initdb ] || skip_all "needs PostgreSQL 15"
plan 25

PG=$TOP/tests/helper/postgres
. "$TOP/tests/helper/sched/index.sh"
. "$TOP/tests/helper/store.sh"
sched_tree
$H/corpus "$TMP/tree" --random 20 >/dev/null || { echo "Bail out! corpus"; exit 1; }
sched_graphs
sched_serve
ci=$($PG/start "$TMP/pg") || { echo "Bail out! postgres"; exit 1; }
at_exit "$PG/stop '$TMP/pg'"
q() { psql -X -q -t -A "$ci" -c "$1"; }

pyti-crawl --index "$url/simple/" --db "$TMP/db" --store "$TMP/store" \
	--download=all --no-progress >/dev/null 2>&1
printf 'name\tversion\tmonth\trank\ntags-pure\t1.2\t2024-01\t3\n' >"$TMP/ranks.tsv"
cat >"$TMP/pyti.conf" <<EOF2
[database]
conninfo = $ci
[mirror]
db = $TMP/db
[store]
dir = $TMP/store
[schedule]
ranks = $TMP/ranks.tsv
EOF2
export PYTI_CONFIG=$TMP/pyti.conf
check "migrate" pyti-db migrate --dir "$TOP/sql"

pyti-schedule --dry-run --json >"$TMP/dry.jsonl"
want_cells=$(wc -l <"$TMP/dry.jsonl")
want_jobs=$(grep -c '"file":{' "$TMP/dry.jsonl")
want_projects=$($PYTHON -c 'import sys,json; print(len({json.loads(l)["project"] for l in sys.stdin}))' <"$TMP/dry.jsonl")

# a failure in the middle: refuse the cells of one project
q "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN IF NEW.project = 'rp-legacy' THEN RAISE EXCEPTION 'refused'; END IF;
RETURN NEW; END \$\$;
CREATE TRIGGER refuse BEFORE INSERT ON cells FOR EACH ROW EXECUTE FUNCTION refuse();"
pyti-schedule >"$TMP/run1" 2>"$TMP/err1"
check_eq "a failing project fails the run" "$?" 1
check_eq "the sweep stays scheduling" "$(q "SELECT id, state FROM sweeps")" "1|scheduling"
check_eq "nothing of the failing project written" \
	"$(q "SELECT count(*) FROM cells WHERE project = 'rp-legacy'")" 0
done1=$(q "SELECT count(*) FROM sweep_projects")
q "DROP TRIGGER refuse ON cells"
pyti-schedule >"$TMP/run2" 2>"$TMP/err2"
check_eq "the next run completes" "$?" 0
check_grep "it continues sweep 1" "^sweep=1 projects=" "$TMP/run2"
check_eq "the sweep is scheduled" "$(q "SELECT state FROM sweeps WHERE id = 1")" running
check_eq "every cell once" "$(q "SELECT count(*), count(DISTINCT (project, platform)) FROM cells")" \
	"$want_cells|$want_cells"
check_eq "one job per cell with a file" \
	"$(q "SELECT count(*), count(DISTINCT cell_id) FROM jobs")" "$want_jobs|$want_jobs"
check_eq "the two runs together did every project once" \
	"$(q "SELECT count(*) FROM sweep_projects WHERE sweep_id = 1")" "$want_projects"
check "the first run had committed some projects" test "$done1" -gt 0
check_eq "job specs name their cell, project and version" \
	"$(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id
	      WHERE (j.spec->>'cell_id')::bigint = c.id AND j.spec->>'project' = c.project
	      AND j.spec->>'dist_version' = c.version AND j.spec->'dist'->>'sha256' = c.file_sha256
	      AND j.platform = c.platform AND j.python = c.python")" "$want_jobs"
check_eq "a ranked project comes first" \
	"$(q "SELECT c.project FROM jobs j JOIN cells c ON c.id = j.cell_id ORDER BY j.priority DESC, j.id LIMIT 1")" \
	tags-pure

# a two-stage job: the first stage reports its built wheel's metadata
# (as the runner stores the agent's result), the next run enqueues the
# second stage with the requirements of that metadata
first=$(q "SELECT j.id FROM jobs j JOIN cells c ON c.id = j.cell_id
	WHERE c.project = 'sdist-dynamic' AND c.platform = 'debian-12' AND j.spec->>'stage' = 'build'")
check "an sdist without static metadata gets a build-stage job" test -n "$first"
q "INSERT INTO results (job_id, fence, attempt, runner, class, outcome, raw)
   VALUES ($first, 1, 1, 't', 'package', 'passed',
   '{\"result\": {\"built\": {\"wheel\": \"sdist_dynamic-1.0-py3-none-any.whl\",
     \"metadata\": \"Metadata-Version: 2.1\\nName: sdist-dynamic\\nVersion: 1.0\\nRequires-Dist: chain-c<2\\nRequires-Dist: setuptools\\n\"}}}')"
# the same cell on debian-11: its first stage handed the wheel back and
# the runner stored it (raw "artifact"); on debian-13 too, but its build
# had a finding, which the second stage must show again: it builds
printf 'PK\003\004 a built wheel' >"$TMP/built.whl"
wsha=$(store_put "$TMP/built.whl")
wsize=$(wc -c <"$TMP/built.whl")
for p in debian-11 debian-13; do
	j=$(q "SELECT j.id FROM jobs j JOIN cells c ON c.id = j.cell_id
		WHERE c.project = 'sdist-dynamic' AND c.platform = '$p' AND j.spec->>'stage' = 'build'")
	f=
	[ "$p" = debian-13 ] && f='{"kind": "network.connect", "severity": "critical"}'
	q "INSERT INTO results (job_id, fence, attempt, runner, class, outcome, raw)
	   VALUES ($j, 1, 1, 't', 'package', 'passed',
	   '{\"artifact\": {\"name\": \"sdist_dynamic-1.0-py3-none-any.whl\", \"sha256\": \"$wsha\", \"size\": $wsize},
	     \"result\": {\"findings\": [$f], \"built\": {\"wheel\": \"sdist_dynamic-1.0-py3-none-any.whl\",
	     \"metadata\": \"Metadata-Version: 2.1\\nName: sdist-dynamic\\nVersion: 1.0\\nRequires-Dist: chain-c<2\\nRequires-Dist: setuptools\\n\"}}}')"
done
pyti-schedule --followups >"$TMP/run3" 2>&1
check_eq "--followups enqueues the second stages alone, in the cell's sweep" \
	"$(tail -n 1 "$TMP/run3")" "sweep=1 projects=0 cells=0 jobs=3"
stage2() {
	q "SELECT j.spec->'dist'->>'name' || ' ' || (SELECT string_agg(d->>'role' || ':' || (d->>'name'), ' ' ORDER BY d->>'role', d->>'name')
	      FROM jsonb_array_elements(j.spec->'deps') d WHERE d->>'role' IN ('build', 'tests_source'))
	   FROM jobs j JOIN cells c ON c.id = j.cell_id
	   WHERE c.project = 'sdist-dynamic' AND c.platform = '$1' AND j.spec ? 'stage_of'"
}
sdist=$(q "SELECT file_name FROM cells WHERE project = 'sdist-dynamic' AND platform = 'debian-11'")
check_eq "a returned wheel in this host's store is the second stage's distribution: no build deps, the sdist as tests_source" \
	"$(stage2 debian-11)" "sdist_dynamic-1.0-py3-none-any.whl tests_source:$sdist"
check_eq "a build dep that is also a runtime dep of the built wheel stays, as runtime only" \
	"$(q "SELECT d->>'role' || ' ' || (d->'roles')::text FROM jobs j JOIN cells c ON c.id = j.cell_id,
	      jsonb_array_elements(j.spec->'deps') d WHERE c.project = 'sdist-dynamic' AND c.platform = 'debian-11'
	      AND j.spec ? 'stage_of' AND d->>'name' LIKE 'setuptools-%'")" 'runtime ["runtime"]'
check_eq "its spec names the wheel's sha256 and size" \
	"$(q "SELECT j.spec->'dist'->>'sha256' || ' ' || (j.spec->'dist'->>'size') FROM jobs j JOIN cells c ON c.id = j.cell_id
	      WHERE c.project = 'sdist-dynamic' AND c.platform = 'debian-11' AND j.spec ? 'stage_of'")" "$wsha $wsize"
stage2 debian-13 >"$TMP/s13"
check_grep "a first stage with a finding: the sdist is built again, with its build deps" \
	"^$sdist build:setuptools" "$TMP/s13"
check_eq "--followups opens no sweep" "$(q "SELECT count(*) FROM sweeps")" 1
check_eq "with the built wheel's requirements resolved" \
	"$(q "SELECT d->>'name' FROM jobs j, jsonb_array_elements(j.spec->'deps') d
	      WHERE j.spec->>'stage_of' = '$first' AND d->>'role' = 'runtime'")" \
	chain_c-1.5-py3-none-any.whl
pyti-schedule --followups >"$TMP/run3b" 2>&1
check_eq "asking again enqueues nothing" "$(tail -n 1 "$TMP/run3b")" \
	"sweep=1 projects=0 cells=0 jobs=0"
pyti-schedule >"$TMP/run3c" 2>&1
check_eq "nor does the next sweep" "$(tail -n 1 "$TMP/run3c")" \
	"sweep=2 projects=0 cells=0 jobs=0"

# a new release of one project: the next incremental sweep takes it alone
$H/corpus "$TMP/tree" --only-metadata --metadata /dev/stdin >/dev/null <<'EOF2'
{"tags-pure": {"9.0": {"requires_dist": []}}}
EOF2
$NGX/reload --run "$TMP/ngx" >/dev/null 2>&1
pyti-crawl --index "$url/simple/" --db "$TMP/db" --no-progress >/dev/null 2>&1
pyti-schedule >"$TMP/run4" 2>&1
check_eq "a changed project is all the next sweep takes" "$(tail -n 1 "$TMP/run4")" \
	"sweep=3 projects=1 cells=3 jobs=3"
check_eq "with its new release" \
	"$(q "SELECT DISTINCT version FROM cells WHERE sweep_id = 3")" 9.0
