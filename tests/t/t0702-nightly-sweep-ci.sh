#!/bin/sh
# t0702-nightly-sweep-ci: the end-to-end sweep of t0701 within CI's budget:
# two whole sweeps through cron/pyti-nightly with the real index tool and
# server (scripts/pyti-demo-index), pyti-crawl, pyti-schedule, the embedded
# PostgreSQL (scripts/pyti-postgres), a real pyti-run draining the queue,
# pyti-report (load, changes, mail into the outbox, html) and pyti-matrix.
# What differs from t0701: no VM. The runner's channel goes to
# tests/helper/scripted-agent on the host, which checks the files it is
# given and reports the outcome this test scripts per release, in the real
# agent's result shape. The real agent in real VMs runs the same two
# sweeps in t0701 (make test-long).
#
# Sweep 1 (a first sweep: baselines, nobody is mailed): pyti-demo-calc 1.0
# and pyti-demo-persist 0.1 pass; pyti-demo-phonehome 1.0, an sdist whose
# requirements are known only once built, is a two-stage job whose second
# stage runs within the same sweep. Then the index gains pyti-demo-calc 1.1
# (scripted: its tests fail) and pyti-demo-persist 0.2 (scripted: a
# critical finding). Sweep 2 must run exactly those two cells, find the
# release regression and the hostile finding, and put one digest per
# affected maintainer (ada@calc.example, bea@persist.example) in the
# outbox; a third run finds nothing changed.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (embedded PostgreSQL as postgres)"
need psql curl
[ -x /usr/lib/postgresql/15/bin/initdb ] || skip_all "needs PostgreSQL 15 (make deps)"
for p in pyti-schedule pyti-report pyti-matrix pyti-run; do
	[ -x "$BIN/$p" ] || skip_all "$p not built"
done
for d in python3-setuptools python3-wheel python3-six; do
	dpkg -s "$d" >/dev/null 2>&1 || skip_all "needs $d (make deps)"
done

P=debian-12
V=$TMP/var
port=$(free_port)
DI=$TOP/scripts/pyti-demo-index
index() {
	$PYTHON "$DI" build --out "$TMP/index" --base-url "http://127.0.0.1:$port" \
		--set test --suites installed --generation "$1" >"$TMP/index-$1.log" 2>&1 || {
		cat "$TMP/index-$1.log" >&2
		echo "Bail out! pyti-demo-index build failed"
		exit 1
	}
}
index 1
$PYTHON "$DI" serve --tree "$TMP/index" --port "$port" --pid-file "$TMP/srv.pid" \
	--log "$TMP/access.log" 2>"$TMP/srv.err" &
at_exit "kill \$(cat '$TMP/srv.pid')"
wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$port/simple/" ||
	{ echo "Bail out! the index server did not start"; cat "$TMP/srv.err" >&2; exit 1; }
at_exit "'$TOP/scripts/pyti-postgres' stop '$V/pg'"

cat >"$TMP/pyti.conf" <<CONF
[nightly]
var = $V
postgres = embedded
pool = no
keep-postgres = yes
deadline = 5m
[database]
conninfo = host=$V/pg dbname=pyti user=postgres
[crawler]
index = http://127.0.0.1:$port/simple/
db = $V/mirror
store = $V/store
download = all
[store]
dir = $V/store
[schedule]
only = pyti-demo-calc pyti-demo-persist pyti-demo-phonehome
[runner]
name = t0702
state-dir = $V/run/state
spool = $V/run/spool
store = $V/store
lease = 30s
poll = 200ms
infra-retries = 1
[mail]
outbox = $V/outbox
[platform $P]
suite = bookworm
python = 3.11
vms = 1
CONF
export PYTI_CONFIG=$TMP/pyti.conf
CI="host=$V/pg dbname=pyti user=postgres"
q() { psql -X -A -t -q -d "$CI" -c "$1" 2>&1; }

# The runner host: the embedded cluster started ahead of the sweep (the
# sweep finds it running), and a pyti-run whose executor is the scripted
# agent, draining the queue as a runner host would.
"$TOP/scripts/pyti-postgres" start "$V/pg" >"$TMP/pg.out" 2>&1 ||
	{ cat "$TMP/pg.out" >&2; echo "Bail out! the embedded PostgreSQL did not start"; exit 1; }
pyti-db migrate >"$TMP/migrate.out" 2>&1 ||
	{ cat "$TMP/migrate.out" >&2; echo "Bail out! pyti-db migrate failed"; exit 1; }
export PYTI_SCRIPTED_OUTCOMES="pyti-demo-calc==1.1:tests_failed pyti-demo-persist==0.2:passed+hostile"
pyti-run -f "--executor=chan:$TOP/tests/helper/scripted-agent" >"$TMP/runner.log" 2>&1 &
echo $! >"$TMP/runner.pid"
at_exit "kill \$(cat '$TMP/runner.pid') 2>/dev/null"

sweep() {
	s=$(date +%s)
	"$TOP/cron/pyti-nightly" --config "$TMP/pyti.conf" --no-progress \
		>"$TMP/nightly-$1.out" 2>&1
	NIGHTLY=$?
	diag "sweep $1: pyti-nightly exit $NIGHTLY in $(($(date +%s) - s)) s"
	[ "$NIGHTLY" = 0 ] || diag "$(tail -n 20 "$TMP/runner.log")"
}
plan 24

# ---- sweep 1
sweep 1
check_eq "sweep 1: pyti-nightly exits 0" "$NIGHTLY" 0
[ "$NIGHTLY" = 0 ] || diag "$(tail -n 25 "$TMP/nightly-1.out")"
check_eq "sweep 1 is done" "$(q "SELECT id || ' ' || state FROM sweeps ORDER BY id")" "1 done"
check_eq "sweep 1: one cell per project on $P" \
	"$(q "SELECT string_agg(project || ' ' || version || ' ' || platform, ',' ORDER BY project) FROM cells WHERE sweep_id = 1")" \
	"pyti-demo-calc 1.0 $P,pyti-demo-persist 0.1 $P,pyti-demo-phonehome 1.0 $P"
check_eq "sweep 1: every job done with one result, all passed" \
	"$(q "SELECT string_agg(c.project || ' ' || coalesce(j.spec->>'stage', j.spec->>'stage_of', '-') || ' ' || j.state || ' ' || r.class || ' ' || r.outcome, ',' ORDER BY c.project, j.id)
	      FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 1")" \
	"pyti-demo-calc - done package passed,pyti-demo-persist - done package passed,pyti-demo-phonehome build done package passed,pyti-demo-phonehome $(q "SELECT j.id FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.project = 'pyti-demo-phonehome' AND j.spec->>'stage' = 'build'") done package passed"
check_grep "sweep 1: the second stage ran in the same sweep, and the log says so" \
	"1 second stage(s) of two-stage jobs" "$V/log/nightly.log"
check_eq "sweep 1: the cell's change is decided on the second stage, not the build stage" \
	"$(q "SELECT string_agg(coalesce(j.spec->>'stage', 'stage_of'), ',') FROM report_changes rc JOIN jobs j ON j.id = rc.job_id WHERE rc.sweep_id = 1 AND rc.project = 'pyti-demo-phonehome'")" \
	"stage_of"
pyti-matrix --package pyti-demo-calc --format json >"$TMP/m1.json" 2>"$TMP/m1.err"
check_eq "sweep 1: pyti-matrix shows calc 1.0 passed with its 3 tests" \
	"$($PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["cells"][0]; print(d["version"], len(d["cells"]), c["platform"], c["outcome"], c["tests"]["passed"], c["tests"]["failed"])' "$TMP/m1.json" 2>&1)" \
	"1.0 1 $P passed 3 0"
check_eq "sweep 1: a first result is a baseline: no mail" \
	"$(find "$V/outbox" -type f 2>/dev/null | wc -l)" 0
check "sweep 1: the HTML report names both projects" \
	sh -c "grep -q pyti-demo-calc '$V/report/index.html' && grep -q pyti-demo-persist '$V/report/index.html'"
check_grep "sweep 1: the summary counts 4 jobs, 4 passed" \
	"jobs: 4 *passed: 4 *failed: 0 *hostile: 0 *infra: 0" "$TMP/nightly-1.out"

# ---- the index changes: a release that fails, a hostile release
index 2
kill -HUP "$(cat "$TMP/srv.pid")"
grep -q pyti_demo_calc-1.1 "$TMP/index/manifest.jsonl" &&
	grep -q pyti_demo_persist-0.2 "$TMP/index/manifest.jsonl" ||
	{ echo "Bail out! generation 2 lacks the new releases"; exit 1; }

# ---- sweep 2
sweep 2
check_eq "sweep 2: pyti-nightly exits 0" "$NIGHTLY" 0
[ "$NIGHTLY" = 0 ] || diag "$(tail -n 25 "$TMP/nightly-2.out")"
check_eq "sweep 2 is done" "$(q "SELECT state FROM sweeps WHERE id = 2")" done
check_eq "sweep 2: exactly the changed cells" \
	"$(q "SELECT string_agg(project || ' ' || version, ',' ORDER BY project) FROM cells WHERE sweep_id = 2")" \
	"pyti-demo-calc 1.1,pyti-demo-persist 0.2"
check_eq "sweep 2: one job per changed cell, none for sweep 1's cells again (sweep 1: 3 cells, 4 jobs)" \
	"$(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id = 2 AND j.spec->>'rerun_of' IS NULL") $(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id = 1")" \
	"2 4"
check_eq "sweep 2: calc 1.1 fails its tests" \
	"$(q "SELECT r.outcome FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 2 AND c.project = 'pyti-demo-calc' ORDER BY j.id LIMIT 1")" \
	tests_failed
check_eq "sweep 2: persist 0.2 is hostile, with its critical finding" \
	"$(q "SELECT (r.raw #>> '{result,hostile}') || ' ' || (r.raw::text LIKE '%credential.read%')::text FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 2 AND c.project = 'pyti-demo-persist' ORDER BY j.id LIMIT 1")" \
	"true true"
check_eq "sweep 2: the release regression of calc is found" \
	"$(q "SELECT string_agg(project || ' ' || change || ' ' || coalesce(regression, '-'), ',') FROM report_changes WHERE sweep_id = 2 AND change = 'new_failure'")" \
	"pyti-demo-calc new_failure release"
pyti-matrix --package pyti-demo-calc --format json >"$TMP/m2.json" 2>"$TMP/m2.err"
check_eq "sweep 2: pyti-matrix shows calc 1.1 failing 1 of 3 tests" \
	"$($PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["cells"][0]; print(d["version"], c["outcome"], c["tests"]["passed"], c["tests"]["failed"])' "$TMP/m2.json" 2>&1)" \
	"1.1 tests_failed 2 1"
pyti-matrix --package pyti-demo-persist --format json >"$TMP/m3.json" 2>"$TMP/m3.err"
check_eq "sweep 2: pyti-matrix shows persist 0.2 hostile" \
	"$($PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["cells"][0]; print(d["version"], c["hostile"])' "$TMP/m3.json" 2>&1)" \
	"0.2 True"
check_eq "sweep 2: one digest per affected maintainer in the outbox" \
	"$(find "$V/outbox" -type f 2>/dev/null | wc -l) $(cat "$V"/outbox/* 2>/dev/null | grep -ci '^To:.*ada@calc.example') $(cat "$V"/outbox/* 2>/dev/null | grep -ci '^To:.*bea@persist.example')" \
	"2 1 1"
check "sweep 2: the HTML report has the regression" grep -q "pyti-demo-calc" "$V/report/index.html"
check_grep "sweep 2: the summary counts 2 jobs, 1 failed, 1 hostile" \
	"jobs: 2 *passed: 1 *failed: 1 *hostile: 1 *infra: 0" "$TMP/nightly-2.out"

# ---- a third run with nothing changed: incremental, no job
sweep 3
check_grep "sweep 3: nothing changed, no job, and it says so" \
	"incremental: nothing changed" "$TMP/nightly-3.out"
check_eq "sweep 3: no new job" "$(q "SELECT count(*) FROM jobs")" \
	"$(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id IN (1, 2)")"
