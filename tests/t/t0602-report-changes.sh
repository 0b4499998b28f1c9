#!/bin/sh
# pyti-report changes against a real PostgreSQL: a first sweep is all
# baseline; in the next, a release regression, a dependency regression
# naming the dependency that moved, a fix, a result still failing, and two
# contradictions with the same inputs: each gets one re-run job (a copy of
# its spec with "rerun_of", same cell), asked once however often changes
# runs; the re-runs' results make one flaky and confirm the other.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/report.sh"
report_setup
plan 14

fixture <<'END'
sweep
result rel 1.0 passed
result dep 1.0 passed deps=six:1.16,idna:3.4
result fix 1.0 tests_failed
result still 1.0 build_failed
result flaky 1.0 passed deps=six:1.16
result conf 1.0 passed
result evil 1.0 passed
sweep
result rel 2.0 tests_failed
result dep 1.0 import_failed deps=six:1.17,idna:3.4,attrs:23.1
result fix 1.1 passed
result still 1.0 build_failed
result flaky 1.0 tests_failed deps=six:1.16
result conf 1.0 tests_failed
result evil 1.0 passed hostile=1
result new 0.1 tests_failed
END
check "load" pyti-report load
check "changes of sweep 1" pyti-report changes --sweep 1
check_eq "the first sweep is all baseline" \
	"$(rsql "select string_agg(distinct change, ' ') from report_changes where sweep_id = 1")" baseline
check "changes of sweep 2" pyti-report changes --sweep 2
check_grep "summary line" "sweep=2 baseline=1 still_passing=1 still_failing=1 new_failure=2 fixed=1 flaky=0 rerun_pending=2 reruns=2" "$TMP/.out"
check_eq "each change, kind and changed dependencies" \
	"$(rsql "select string_agg(project || ':' || change || ':' || coalesce(regression, '-') || ':' || coalesce(changed_deps::text, '-') || ':' || new_hostile, E'\n' order by project) from report_changes where sweep_id = 2")" \
	'conf:rerun_pending:-:-:false
dep:new_failure:dependency:[{"to": "1.17", "from": "1.16", "name": "six"}, {"to": "23.1", "from": null, "name": "attrs"}]:false
evil:still_passing:-:-:true
fix:fixed:-:-:false
flaky:rerun_pending:-:-:false
new:baseline:-:-:false
rel:new_failure:release:-:false
still:still_failing:-:-:false'
check_eq "re-run jobs: copies with rerun_of and the same cell" \
	"$(rsql "select string_agg(n.spec->>'project' || ' ' || (n.spec->>'rerun_of' = o.id::text) || ' ' || (n.cell_id = o.cell_id) || ' ' || n.state, ', ' order by n.id) from jobs n join jobs o on o.id = (n.spec->>'rerun_of')::bigint")" \
	"flaky true true queued, conf true true queued"
check "changes again" pyti-report changes --sweep 2
check_eq "no second re-run asked" \
	"$(rsql "select count(*) from jobs where spec ? 'rerun_of'")" 2

# the re-runs come back: flaky passes this time, conf fails again
flaky=$(rsql "select id from jobs where spec->>'project' = 'flaky' and spec ? 'rerun_of'")
conf=$(rsql "select id from jobs where spec->>'project' = 'conf' and spec ? 'rerun_of'")
fixture <<END
complete $flaky passed
complete $conf tests_failed
END
check "load the re-runs" pyti-report load
check "changes once more" pyti-report changes --sweep 2
check_eq "flaky is flaky, conf is confirmed (same inputs)" \
	"$(rsql "select string_agg(project || ':' || change || ':' || coalesce(regression, '-'), ' ' order by project) from report_changes where project in ('flaky', 'conf')")" \
	"conf:baseline:- conf:new_failure:same_inputs flaky:baseline:- flaky:flaky:-"
check_eq "the re-run results are not changes of their own" \
	"$(rsql "select count(*) from report_changes where job_id in ($flaky, $conf)")" 0
check_eq "dashboard: the last sweep's regressions" \
	"$(rsql "select string_agg(project || ':' || regression, ' ' order by project) from report_v_last_regressions")" \
	"conf:same_inputs dep:dependency rel:release"
