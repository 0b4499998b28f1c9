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
# The scenario is tests/helper/nightly.sh's, shared with t0701 (here calc
# 1.1's failure and persist 0.2's critical finding are scripted), plus
# pyti-demo-phonehome 1.0 in sweep 1: an sdist whose requirements are
# known only once built, a two-stage job whose second stage runs and
# decides its cell within the same sweep.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/nightly.sh"
nightly_need pyti-run
nightly_index_serve
nightly_conf "pool = no
deadline = 5m" "pyti-demo-calc pyti-demo-persist pyti-demo-phonehome" "name = t0702
lease = 30s
poll = 200ms" "vms = 1"
NS_TESTS=3 NS_JOBS1=4 NS_FINDING=credential.read
plan 24

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

sweep 1
[ "$NIGHTLY" = 0 ] || diag "$(tail -n 20 "$TMP/runner.log")"
nightly_sweep1_checks
check_eq "sweep 1: one cell per project on $P" \
	"$(q "SELECT string_agg(project || ' ' || version || ' ' || platform, ',' ORDER BY project) FROM cells WHERE sweep_id = 1")" \
	"pyti-demo-calc 1.0 $P,pyti-demo-persist 0.1 $P,pyti-demo-phonehome 1.0 $P"
first=$(q "SELECT j.id FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.project = 'pyti-demo-phonehome' AND j.spec->>'stage' = 'build'")
check_eq "sweep 1: every job done with one result, all passed, phonehome in two stages" \
	"$(q "SELECT string_agg(c.project || ' ' || coalesce(j.spec->>'stage', j.spec->>'stage_of', '-') || ' ' || j.state || ' ' || r.class || ' ' || r.outcome, ',' ORDER BY c.project, j.id)
	      FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 1")" \
	"pyti-demo-calc - done package passed,pyti-demo-persist - done package passed,pyti-demo-phonehome build done package passed,pyti-demo-phonehome $first done package passed"
check_eq "sweep 1: the second stage installs the wheel the first stage handed back (the runner stored it), the sdist for its tests" \
	"$(q "SELECT j.spec->'dist'->>'name' || ' ' || (SELECT string_agg(d->>'role' || ':' || (d->>'name'), ' ' ORDER BY d->>'name')
	      FROM jsonb_array_elements(j.spec->'deps') d WHERE d->>'role' IN ('build', 'tests_source'))
	      FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.project = 'pyti-demo-phonehome' AND j.spec ? 'stage_of'")" \
	"pyti_demo_phonehome-1.0-py3-none-any.whl tests_source:pyti_demo_phonehome-1.0.tar.gz"
check_grep "sweep 1: the second stage ran in the same sweep, and the log says so" \
	"1 second stage(s) of two-stage jobs" "$V/log/nightly.log"
check_eq "sweep 1: the cell's change is decided on the second stage, not the build stage" \
	"$(q "SELECT string_agg(coalesce(j.spec->>'stage', 'stage_of'), ',') FROM report_changes rc JOIN jobs j ON j.id = rc.job_id WHERE rc.sweep_id = 1 AND rc.project = 'pyti-demo-phonehome'")" \
	"stage_of"

nightly_next_generation
sweep 2
[ "$NIGHTLY" = 0 ] || diag "$(tail -n 20 "$TMP/runner.log")"
nightly_sweep2_checks
nightly_sweep3_checks
