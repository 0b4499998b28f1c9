#!/bin/sh
# t0701-nightly-sweep: two whole sweeps end to end through cron/pyti-nightly
# with real parts: an index built by scripts/pyti-demo-index (the demo's own
# projects, with setuptools, wheel and six repacked from this machine's
# Debian packages) served on loopback, pyti-crawl, pyti-schedule, the
# embedded PostgreSQL (scripts/pyti-postgres), a private libvirtd and a
# pool of one debian-12 VM, pyti-report and pyti-matrix.
#
# Sweep 1 (a first sweep: baselines, nobody is mailed): pyti-demo-calc 1.0
# and pyti-demo-persist 0.1, both pass. Then the index gains
# pyti-demo-calc 1.1 (its tests fail) and pyti-demo-persist 0.2 (plants a
# cron entry when imported). Sweep 2 must run exactly those two cells, find
# the release regression and the hostile finding, and put one digest per
# affected maintainer (ada@calc.example, bea@persist.example) in the
# outbox. 4 VM jobs in all.
. "$(dirname "$0")/../lib.sh"
# 4 VM jobs and two pool boots: ~10 min under TCG; make test runs t0702,
# the same sweeps with a scripted agent and no VM.
long_test "two sweeps with 4 VM jobs"
[ "$(id -u)" = 0 ] || skip_all "needs root (embedded PostgreSQL as postgres, private libvirtd)"
need psql curl virsh
[ -x /usr/lib/postgresql/15/bin/initdb ] || skip_all "needs PostgreSQL 15 (make deps)"
for p in pyti-schedule pyti-report pyti-matrix; do
	[ -x "$BIN/$p" ] || skip_all "$p not built"
done
for d in python3-setuptools python3-wheel python3-six; do
	dpkg -s "$d" >/dev/null 2>&1 || skip_all "needs $d (make deps)"
done
. "$TOP/tests/helper/images.sh"
ensure_images debian-12

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
at_exit "'$TOP/scripts/pyti-libvirtd' stop '$V/libvirt'"

cat >"$TMP/pyti.conf" <<CONF
[nightly]
var = $V
postgres = embedded
pool = yes
libvirtd = private
keep-postgres = yes
deadline = 40m
pool-idle = 5s
[database]
conninfo = host=$V/pg dbname=pyti user=postgres
[crawler]
index = http://127.0.0.1:$port/simple/
db = $V/mirror
store = $V/store
download = all
[store]
dir = $V/store
[images]
dir = $PYTI_IMAGE_DIR
[schedule]
only = pyti-demo-calc pyti-demo-persist
[runner]
name = t0701
state-dir = $V/run/state
spool = $V/run/spool
store = $V/store
accel = $ACCEL
lease = 120s
poll = 500ms
hello-timeout = 120s
boot-timeout = 600s
job-timeout = 1800s
infra-retries = 1
[mail]
outbox = $V/outbox
[platform $P]
suite = bookworm
python = 3.11
memory = 1024M
vcpus = 1
vms = 1
CONF
export PYTI_CONFIG=$TMP/pyti.conf
CI="host=$V/pg dbname=pyti user=postgres"
q() { psql -X -A -t -q -d "$CI" -c "$1" 2>&1; }

sweep() {
	s=$(date +%s)
	"$TOP/cron/pyti-nightly" --config "$TMP/pyti.conf" --no-progress \
		>"$TMP/nightly-$1.out" 2>&1
	NIGHTLY=$?
	diag "sweep $1: pyti-nightly exit $NIGHTLY in $(($(date +%s) - s)) s"
}
plan 22

# ---- sweep 1
sweep 1
check_eq "sweep 1: pyti-nightly exits 0" "$NIGHTLY" 0
[ "$NIGHTLY" = 0 ] || diag "$(tail -n 25 "$TMP/nightly-1.out")"
check_eq "sweep 1 is done" "$(q "SELECT id || ' ' || state FROM sweeps ORDER BY id")" "1 done"
check_eq "sweep 1: one cell per project on $P" \
	"$(q "SELECT string_agg(project || ' ' || version || ' ' || platform, ',' ORDER BY project) FROM cells WHERE sweep_id = 1")" \
	"pyti-demo-calc 1.0 $P,pyti-demo-persist 0.1 $P"
check_eq "sweep 1: every job done with one result, both passed" \
	"$(q "SELECT string_agg(c.project || ' ' || j.state || ' ' || r.class || ' ' || r.outcome, ',' ORDER BY c.project)
	      FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 1")" \
	"pyti-demo-calc done package passed,pyti-demo-persist done package passed"
pyti-matrix --package pyti-demo-calc --format json >"$TMP/m1.json" 2>"$TMP/m1.err"
check_eq "sweep 1: pyti-matrix shows calc 1.0 passed with its 2 tests" \
	"$($PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["cells"][0]; print(d["version"], len(d["cells"]), c["platform"], c["outcome"], c["tests"]["passed"], c["tests"]["failed"])' "$TMP/m1.json" 2>&1)" \
	"1.0 1 $P passed 2 0"
check_eq "sweep 1: a first result is a baseline: no mail" \
	"$(find "$V/outbox" -type f 2>/dev/null | wc -l)" 0
check "sweep 1: the HTML report names both projects" \
	sh -c "grep -q pyti-demo-calc '$V/report/index.html' && grep -q pyti-demo-persist '$V/report/index.html'"
check_grep "sweep 1: the summary counts 2 jobs, 2 passed" \
	"jobs: 2 *passed: 2 *failed: 0 *hostile: 0 *infra: 0" "$TMP/nightly-1.out"

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
check_eq "sweep 2: one job per changed cell, none for sweep 1's cells again" \
	"$(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id = 2 AND j.spec->>'rerun_of' IS NULL") $(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id = 1")" \
	"2 2"
check_eq "sweep 2: calc 1.1 fails its tests" \
	"$(q "SELECT r.outcome FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 2 AND c.project = 'pyti-demo-calc' ORDER BY j.id LIMIT 1")" \
	tests_failed
check_eq "sweep 2: persist 0.2 is hostile, with a crontab finding" \
	"$(q "SELECT (r.raw #>> '{result,hostile}') || ' ' || (r.raw::text LIKE '%persistence.crontab%')::text FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 2 AND c.project = 'pyti-demo-persist' ORDER BY j.id LIMIT 1")" \
	"true true"
check_eq "sweep 2: the release regression of calc is found" \
	"$(q "SELECT string_agg(project || ' ' || change || ' ' || coalesce(regression, '-'), ',') FROM report_changes WHERE sweep_id = 2 AND change = 'new_failure'")" \
	"pyti-demo-calc new_failure release"
pyti-matrix --package pyti-demo-calc --format json >"$TMP/m2.json" 2>"$TMP/m2.err"
check_eq "sweep 2: pyti-matrix shows calc 1.1 failing 1 of 2 tests" \
	"$($PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["cells"][0]; print(d["version"], c["outcome"], c["tests"]["passed"], c["tests"]["failed"])' "$TMP/m2.json" 2>&1)" \
	"1.1 tests_failed 1 1"
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
