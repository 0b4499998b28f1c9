# tests/helper/nightly.sh: sourced by the end-to-end sweep tests (t0701 with
# the real agent in a VM, t0702 with tests/helper/scripted-agent) after
# tests/lib.sh. The scenario both check, in three runs of cron/pyti-nightly:
#
# Sweep 1 (a first sweep: baselines, nobody is mailed): pyti-demo-calc 1.0
# and pyti-demo-persist 0.1 pass. Then the index gains pyti-demo-calc 1.1
# (its tests fail) and pyti-demo-persist 0.2 (hostile). Sweep 2 must run
# exactly those two cells, find the release regression and the hostile
# finding, and put one digest per affected maintainer (ada@calc.example,
# bea@persist.example) in the outbox. Sweep 3, with nothing changed, runs
# no job and says so.
#
# nightly_need PROGRAM...  skip the test unless the sweep can run here:
#                          root, psql, curl, PostgreSQL 15, pyti-schedule,
#                          pyti-report, pyti-matrix and PROGRAM... built,
#                          Debian's setuptools, wheel and six
# nightly_index_serve      build the demo index (scripts/pyti-demo-index,
#                          set "test", generation 1) and serve it on $port;
#                          sets P, V, port, DI, CI and q()
# nightly_conf NIGHTLY ONLY RUNNER PLATFORM
#                          write $TMP/pyti.conf (the [nightly], [schedule]
#                          only, [runner] and [platform $P] lines given;
#                          the rest shared) and export PYTI_CONFIG
# sweep N                  run pyti-nightly; NIGHTLY = its exit status
# nightly_sweep1_checks    the checks after sweep 1 that both tests share
# nightly_next_generation  generation 2 of the index, served
# nightly_sweep2_checks    the checks after sweep 2 that both tests share
# nightly_sweep3_checks    sweep 3 and its checks
# The checks read: NS_TESTS (calc 1.0's passing tests), NS_JOBS1 (sweep
# 1's jobs), NS_FINDING (the hostile finding kind persist 0.2 shows);
# 6 + 11 + 2 checks.

P=debian-12
V=$TMP/var
CI="host=$V/pg dbname=pyti user=postgres"
DI=$TOP/scripts/pyti-demo-index
q() { psql -X -A -t -q -d "$CI" -c "$1" 2>&1; }

nightly_need() {
	[ "$(id -u)" = 0 ] || skip_all "needs root (embedded PostgreSQL as postgres)"
	need psql curl
	[ -x /usr/lib/postgresql/15/bin/initdb ] || skip_all "needs PostgreSQL 15 (make deps)"
	for p in pyti-schedule pyti-report pyti-matrix "$@"; do
		[ -x "$BIN/$p" ] || skip_all "$p not built"
	done
	# the demo index repacks these from this machine's Debian packages
	for d in python3-setuptools python3-wheel python3-six; do
		dpkg -s "$d" >/dev/null 2>&1 || skip_all "needs $d (make deps)"
	done
}

nightly_index() {
	$PYTHON "$DI" build --out "$TMP/index" --base-url "http://127.0.0.1:$port" \
		--set test --suites installed --generation "$1" >"$TMP/index-$1.log" 2>&1 || {
		cat "$TMP/index-$1.log" >&2
		echo "Bail out! pyti-demo-index build failed"
		exit 1
	}
}

nightly_index_serve() {
	port=$(free_port)
	nightly_index 1
	$PYTHON "$DI" serve --tree "$TMP/index" --port "$port" --pid-file "$TMP/srv.pid" \
		--log "$TMP/access.log" 2>"$TMP/srv.err" &
	at_exit "kill \$(cat '$TMP/srv.pid')"
	wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$port/simple/" ||
		{ echo "Bail out! the index server did not start"; cat "$TMP/srv.err" >&2; exit 1; }
	at_exit "'$TOP/scripts/pyti-postgres' stop '$V/pg'"
}

nightly_conf() {
	cat >"$TMP/pyti.conf" <<CONF
[nightly]
var = $V
postgres = embedded
keep-postgres = yes
$1
[database]
conninfo = $CI
[crawler]
index = http://127.0.0.1:$port/simple/
db = $V/mirror
store = $V/store
download = all
[store]
dir = $V/store
[schedule]
only = $2
[runner]
state-dir = $V/run/state
spool = $V/run/spool
store = $V/store
infra-retries = 1
$3
[mail]
outbox = $V/outbox
[platform $P]
suite = bookworm
python = 3.11
$4
CONF
	export PYTI_CONFIG=$TMP/pyti.conf
}

sweep() {
	s=$(date +%s)
	"$TOP/cron/pyti-nightly" --config "$TMP/pyti.conf" --no-progress \
		>"$TMP/nightly-$1.out" 2>&1
	NIGHTLY=$?
	diag "sweep $1: pyti-nightly exit $NIGHTLY in $(($(date +%s) - s)) s"
	[ "$NIGHTLY" = 0 ] || diag "$(tail -n 25 "$TMP/nightly-$1.out")"
}

# calc_matrix FILE: "version cells platform outcome passed failed" of the
# first cell of a pyti-matrix --format json document
matrix_line() {
	$PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["cells"][0]; print(d["version"], len(d["cells"]), c["platform"], c["outcome"], c["tests"]["passed"], c["tests"]["failed"], c["hostile"])' "$1" 2>&1
}

nightly_sweep1_checks() {
	check_eq "sweep 1: pyti-nightly exits 0" "$NIGHTLY" 0
	check_eq "sweep 1 is done" "$(q "SELECT id || ' ' || state FROM sweeps ORDER BY id")" "1 done"
	pyti-matrix --package pyti-demo-calc --format json >"$TMP/m1.json" 2>"$TMP/m1.err"
	check_eq "sweep 1: pyti-matrix shows calc 1.0 passed with its $NS_TESTS tests" \
		"$(matrix_line "$TMP/m1.json")" "1.0 1 $P passed $NS_TESTS 0 False"
	check_eq "sweep 1: a first result is a baseline: no mail" \
		"$(find "$V/outbox" -type f 2>/dev/null | wc -l)" 0
	check "sweep 1: the HTML report names both projects" \
		sh -c "grep -q pyti-demo-calc '$V/report/index.html' && grep -q pyti-demo-persist '$V/report/index.html'"
	check_grep "sweep 1: the summary counts $NS_JOBS1 jobs, all passed" \
		"jobs: $NS_JOBS1 *passed: $NS_JOBS1 *failed: 0 *hostile: 0 *infra: 0" "$TMP/nightly-1.out"
}

nightly_next_generation() {
	nightly_index 2
	kill -HUP "$(cat "$TMP/srv.pid")"
	grep -q pyti_demo_calc-1.1 "$TMP/index/manifest.jsonl" &&
		grep -q pyti_demo_persist-0.2 "$TMP/index/manifest.jsonl" ||
		{ echo "Bail out! generation 2 lacks the new releases"; exit 1; }
}

nightly_sweep2_checks() {
	check_eq "sweep 2: pyti-nightly exits 0" "$NIGHTLY" 0
	check_eq "sweep 2 is done" "$(q "SELECT state FROM sweeps WHERE id = 2")" done
	check_eq "sweep 2: exactly the changed cells" \
		"$(q "SELECT string_agg(project || ' ' || version, ',' ORDER BY project) FROM cells WHERE sweep_id = 2")" \
		"pyti-demo-calc 1.1,pyti-demo-persist 0.2"
	check_eq "sweep 2: one job per changed cell, none for sweep 1's cells again" \
		"$(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id = 2 AND j.spec->>'rerun_of' IS NULL") $(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id = 1")" \
		"2 $NS_JOBS1"
	check_eq "sweep 2: calc 1.1 fails its tests" \
		"$(q "SELECT r.outcome FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 2 AND c.project = 'pyti-demo-calc' ORDER BY j.id LIMIT 1")" \
		tests_failed
	check_eq "sweep 2: persist 0.2 is hostile, with a $NS_FINDING finding" \
		"$(q "SELECT (r.raw #>> '{result,hostile}') || ' ' || (r.raw::text LIKE '%$NS_FINDING%')::text FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 2 AND c.project = 'pyti-demo-persist' ORDER BY j.id LIMIT 1")" \
		"true true"
	check_eq "sweep 2: the release regression of calc is found" \
		"$(q "SELECT string_agg(project || ' ' || change || ' ' || coalesce(regression, '-'), ',') FROM report_changes WHERE sweep_id = 2 AND change = 'new_failure'")" \
		"pyti-demo-calc new_failure release"
	pyti-matrix --package pyti-demo-calc --format json >"$TMP/m2.json" 2>"$TMP/m2.err"
	pyti-matrix --package pyti-demo-persist --format json >"$TMP/m3.json" 2>"$TMP/m3.err"
	check_eq "sweep 2: pyti-matrix shows calc 1.1 failing 1 of $NS_TESTS tests, persist 0.2 hostile" \
		"$(matrix_line "$TMP/m2.json"); $(matrix_line "$TMP/m3.json" | cut -d' ' -f1,7)" \
		"1.1 1 $P tests_failed $((NS_TESTS - 1)) 1 False; 0.2 True"
	check_eq "sweep 2: one digest per affected maintainer in the outbox" \
		"$(find "$V/outbox" -type f 2>/dev/null | wc -l) $(cat "$V"/outbox/* 2>/dev/null | grep -ci '^To:.*ada@calc.example') $(cat "$V"/outbox/* 2>/dev/null | grep -ci '^To:.*bea@persist.example')" \
		"2 1 1"
	check "sweep 2: the HTML report has the regression" grep -q "pyti-demo-calc" "$V/report/index.html"
	check_grep "sweep 2: the summary counts 2 jobs, 1 failed, 1 hostile" \
		"jobs: 2 *passed: 1 *failed: 1 *hostile: 1 *infra: 0" "$TMP/nightly-2.out"
}

nightly_sweep3_checks() {
	sweep 3
	check_grep "sweep 3: nothing changed, no job, and it says so" \
		"incremental: nothing changed" "$TMP/nightly-3.out"
	check_eq "sweep 3: no new job" "$(q "SELECT count(*) FROM jobs")" \
		"$(q "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id IN (1, 2)")"
}
