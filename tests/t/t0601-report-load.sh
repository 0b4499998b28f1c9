#!/bin/sh
# pyti-report load against a real PostgreSQL: results become report rows
# (tasks, findings, cases, lint codes, metadata checks, leftovers, error
# signatures); infrastructure outcomes keep the runner's evidence;
# malformed documents are quarantined with a reason naming the key;
# hostile strings are bounded and stored as they are; the guest's claimed
# job id is ignored; a job dead-lettered without a results row is loaded
# with the runner's evidence from its last attempt; loading twice changes nothing; a load killed with -9
# or interrupted by a PostgreSQL crash resumes with nothing lost or
# doubled; a parallel load (--jobs 2) gives the same rows as a serial one,
# and survives a PostgreSQL crash too.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/report.sh"
report_setup
plan 30

fixture <<'END'
sweep
result alpha 1.0 passed author=Al_<al@example.org>
result beta 2.0 tests_failed log=Traceback_(most_recent_call_last):\n__File_"/v/lib/python3.11/site-packages/beta/x.py",_line_3,_in_f\nValueError:_bad_value_42
result gamma 0.1 build_failed log=x.c:1:10:_fatal_error:_Python.h:_No_such_file_or_directory
result evil 6.6.6 passed evil=1 lie=1-1
result crash 1.0 vm-crashed cls=infra
result notobj 1.0 passed raw=[1,2,3]
result badtasks 1.0 passed raw={"runner":{},"result":{"tasks":"x"}}
result badcase 1.0 passed raw={"result":{"tests":{"cases":[1]}}}
result noresult 1.0 passed raw={"runner":{},"result":null}
END

# a job dead-lettered without a results row, the runner's evidence in its
# last attempt (sql/004)
rsql "insert into jobs (id, state, platform, python, spec, last_error, attempts)
 values (900, 'dead', 'debian-12', '3.11',
  '{\"project\": \"deadpkg\", \"dist_version\": \"1.0\"}',
  'agent-silent: no frame for 60 s', 3);
 insert into job_attempts (job_id, fence, attempt, runner, ended_at, ending,
  class, outcome, detail, evidence)
 values (900, 7, 3, 'r', now(), 'dead', 'infra', 'agent-silent',
  'no frame for 60 s', '{\"runner\": {\"attempts\":
   [{\"infra\": \"agent-silent\", \"detail\": \"no frame\"}]}}')" >/dev/null

check "load" pyti-report load
check_grep "load says what it did" "loaded=6 quarantined=4" "$TMP/.out"
check_eq "five results and a dead job loaded" "$(rsql 'select count(*) from report_results')" 6
check_eq "the dead job: infrastructure, with the runner's evidence" \
	"$(rsql "select project || ' ' || class || ' ' || outcome || ' ' || dead || ' ' || (infra_evidence->>'infra_detail') || ' ' || (infra_evidence->'attempts'->0->>'infra') || ' ' || s.signature from report_results r join report_signatures s on s.id = r.signature_id where job_id = 900")" \
	"deadpkg infra agent-silent true no frame for 60 s agent-silent infra: agent-silent"
check_eq "quarantine reasons name the key" \
	"$(rsql "select string_agg(reason, '|' order by job_id) from report_quarantine")" \
	"raw is not a JSON object|result.tasks is not an array|result.tests.cases[0] is not an object|raw.result is missing"
check_eq "identity from the results row, not the guest's job_id" \
	"$(rsql "select job_id || ' ' || project || ' ' || version from report_results where project = 'evil'")" \
	"4 evil 6.6.6"
check_eq "signatures: traceback and missing header" \
	"$(rsql "select string_agg(r.project || '=' || s.signature, '|' order by r.job_id) from report_results r join report_signatures s on s.id = r.signature_id")" \
	"beta=ValueError: bad value <n> [in beta/x.py:f]|gamma=missing header: Python.h|crash=infra: vm-crashed|deadpkg=infra: agent-silent"
check_eq "infrastructure outcome with the runner's evidence" \
	"$(rsql "select class || ' ' || outcome || ' ' || (passed is null) || ' ' || (infra_evidence->>'infra_detail') || ' ' || jsonb_array_length(infra_evidence->'attempts') from report_results where project = 'crash'")" \
	"infra vm-crashed true guest panicked in attempt 2 2"
check_eq "tasks, findings, cases, codes, checks, leftovers" \
	"$(rsql "select (select count(*) from report_tasks) || ' ' || (select count(*) from report_findings) || ' ' || (select count(*) from report_cases) || ' ' || (select count(*) from report_lint_codes) || ' ' || (select count(*) from report_metadata_checks) || ' ' || (select count(*) from report_leftovers)")" \
	"17 2 13 8 8 4"
check_eq "figures of a failing result" \
	"$(rsql "select tests_passed || ' ' || tests_failed || ' ' || coverage_percent || ' ' || metadata_score || '/' || metadata_max || ' ' || failed_task || ' ' || passed from report_results where project = 'beta'")" \
	"2 1 83.25 7/9 tests false"
check_eq "hostile flag from the critical finding" \
	"$(rsql "select string_agg(project, ' ') from report_results where hostile")" "evil"
check_eq "hostile strings bounded (detail, case name, message)" \
	"$(rsql "select max(octet_length(detail)) <= 2048 and (select max(octet_length(name)) from report_cases) <= 256 and (select max(octet_length(message)) from report_cases) <= 512 from report_findings")" t
check_eq "hostile strings stored as they are (CR LF tab quote)" \
	"$(rsql "select count(*) from report_findings where strpos(detail, E'x\r\nBcc: victim@example.com\t\\\\ ''; DROP TABLE') = 1")" 1
check_eq "cell facts copied (sweep, deps, inputs key)" \
	"$(rsql "select count(*) from report_results where sweep_id = 1 and cell_id is not null and length(inputs_key) = 32")" 5

before=$(rsql "select md5(string_agg(r::text, '' order by job_id)) from report_results r")
check "load again" pyti-report load
check_grep "nothing new the second time" "loaded=0 quarantined=0" "$TMP/.out"
check_eq "the second load changed nothing" \
	"$(rsql "select md5(string_agg(r::text, '' order by job_id)) from report_results r")" "$before"

# 4000 more results. A part is loaded (--limit); then a loader is killed
# with -9 inside its transaction, and another has its PostgreSQL crash
# under it (both wait on the load lock a psql session holds, so the
# moment is certain): nothing lost or doubled.
rsql "insert into jobs (id, state, platform, python, spec)
	select g, 'done', 'debian-12', '3.11',
	 jsonb_build_object('project', 'p' || g, 'dist_version', '1.0')
	from generate_series(1000, 4999) g;
 insert into results (job_id, fence, attempt, runner, class, outcome, raw)
	select g, 1, 1, 'r', 'package', 'passed',
	 jsonb_build_object('runner', '{}'::jsonb, 'result', jsonb_build_object(
	  'outcome', 'passed', 'tasks', jsonb_build_array(
	   jsonb_build_object('name', 'install', 'outcome', 'ok')),
	  'tests', jsonb_build_object('cases', (select jsonb_agg(
	   jsonb_build_object('name', 't' || i, 'outcome', 'passed'))
	   from generate_series(1, 20) i))))
	from generate_series(1000, 4999) g" >/dev/null
check "a partial load (--limit 1000)" pyti-report load --batch 100 --limit 1000
hold() { # hold SECONDS: a session that holds the load lock
	psql -X -q -d "$REPORT_CI application_name=holder" -c \
		"select pg_advisory_lock(1919709028); select pg_sleep($1)" \
		>/dev/null 2>&1 &
	wait_for 10 holding
}
holding() {
	test "$(rsql "select count(*) from pg_locks l join pg_stat_activity a using (pid) where l.locktype = 'advisory' and l.granted and a.application_name = 'holder'")" = 1
}
waiting() { # a loader waits for the lock
	wait_for 10 loader_waits
}
two_wait() { # both workers of a parallel load wait for the lock
	test "$(rsql "select count(*) from pg_locks where locktype = 'advisory' and not granted")" = 2
}
loader_waits() {
	test "$(rsql "select count(*) from pg_locks where locktype = 'advisory' and not granted")" = 1
}
hold 30
pyti-report load --batch 50 >"$TMP/kill.log" 2>&1 &
pid=$!
waiting
kill -9 $pid
wait $pid 2>/dev/null
rsql "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'holder'" >/dev/null
check_eq "killed inside its transaction: the partial load stands" \
	"$(rsql 'select count(*) from report_results')" 1006
hold 30
pyti-report load --batch 50 >"$TMP/crash.log" 2>&1 &
pid=$!
waiting
"$TOP/tests/helper/postgres/restart" "$REPORT_PG" immediate
timeout 120 sh -c "while kill -0 $pid; do sleep 0.2; done" 2>/dev/null
wait $pid
check_eq "the load survived the PostgreSQL crash" "$?" 0
check_grep "it reconnected" "reconnects=[1-9]" "$TMP/crash.log"
check_eq "every result loaded exactly once" \
	"$(rsql "select (select count(*) from report_results) + (select count(*) from report_quarantine) || ' ' || (select count(*) from results) + 1 || ' ' || (select count(*) from report_cases where job_id >= 1000)")" \
	"4010 4010 80000"
check "a third load" pyti-report load
check_grep "finds nothing" "loaded=0 quarantined=0" "$TMP/.out"

# The same rows loaded again by two workers (--jobs 2): the same tables
# (signatures compared by text: their ids follow the loading order; the
# load's own time and the dead job's, now(), left out).
digest() {
	rsql "select md5(string_agg(x, '' order by job_id)) from (select r.job_id,
	 (r - 'signature_id' - 'loaded_at' - 'finished_at')::text || coalesce(s.signature, '') ||
	 coalesce((select d::text from report_details d where d.job_id = r.job_id), '') ||
	 coalesce((select string_agg(f::text, '' order by seq) from report_findings f where f.job_id = r.job_id), '') x
	 from (select to_jsonb(r) r, r.job_id, r.signature_id from report_results r) r
	 left join report_signatures s on s.id = r.signature_id) t"
}
serial=$(digest)
quarantined=$(rsql "select string_agg(job_id || reason, '|' order by job_id) from report_quarantine")
rsql "truncate report_results, report_quarantine, report_signatures cascade" >/dev/null 2>&1
check "a parallel load (--jobs 2)" pyti-report load --jobs 2 --batch 300
check_grep "it loaded every row" "loaded=4006 quarantined=4" "$TMP/.out"
check_eq "the same rows as the serial loads" \
	"$(digest) $(rsql "select string_agg(job_id || reason, '|' order by job_id) from report_quarantine")" \
	"$serial $quarantined"
rsql "truncate report_results, report_quarantine, report_signatures cascade" >/dev/null 2>&1
hold 30
pyti-report load --jobs 2 --batch 50 >"$TMP/pcrash.log" 2>&1 &
pid=$!
wait_for 10 two_wait
"$TOP/tests/helper/postgres/restart" "$REPORT_PG" immediate
timeout 120 sh -c "while kill -0 $pid; do sleep 0.2; done" 2>/dev/null
wait $pid
check_eq "a parallel load survived the PostgreSQL crash" "$?" 0
check_grep "its workers reconnected" "reconnects=[1-9]" "$TMP/pcrash.log"
check_eq "and loaded the same rows, each once" "$(digest)" "$serial"
