#!/bin/sh
# The job queue against a real PostgreSQL, without VMs: pyti-db migrate is
# idempotent; two runners (exec executor) share one queue and complete
# every job exactly once; a runner killed with -9 mid-job has its lease
# rescued and the job finished elsewhere; a runner frozen past its lease
# cannot complete the job it lost (fencing); infrastructure failures are
# retried and then dead-lettered with the last error; a released or rescued
# job waits release-delay before it is claimed again; PostgreSQL restarted
# mid-run loses and duplicates nothing; SIGTERM returns a running job.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/runner-queue.sh"
need pyti-db pyti-run
pg_need
plan 24

runner_queue <<CONF
lease = 3s
infra-retries = 1
job-timeout = 60s
[platform debian-12]
vms = 1
CONF

# Two hosts migrating at once take turns on the advisory lock.
pyti-db migrate >"$TMP/m1.log" 2>&1 & m1=$!
pyti-db migrate >"$TMP/m2.log" 2>&1 & m2=$!
wait $m1; r1=$?; wait $m2; r2=$?
check_eq "two concurrent migrations both succeed" "$r1 $r2" "0 0"
check "migrate again does nothing" pyti-db migrate
check_eq "every migration recorded once" "$(sql 'select count(*) from schema_migrations')" \
	"$(ls "$TOP"/sql/[0-9]*.sql | wc -l)"

# A job command: the spec on stdin, results on stdout. Behaviour by the
# spec's "mode" (and the attempt number): sleep, fail as infrastructure.
cat >"$TMP/job.sh" <<'SH'
#!/bin/sh
spec=$(cat)
mode=$(printf '%s' "$spec" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("mode","quick"))')
case $mode in
quick) sleep 0.2 ;;
slow) sleep 1 ;;
first-hangs) [ "$PYTI_ATTEMPT" -gt 1 ] || sleep 6 ;;
hang) sleep 60 ;;
infra) echo "vm exploded" >&2; exit 75 ;;
esac
printf '{"schema_version":1,"outcome":"passed","job":%s,"attempt":%s}\n' "$PYTI_JOB_ID" "$PYTI_ATTEMPT"
SH
chmod +x "$TMP/job.sh"
EXECUTOR=exec:$TMP/job.sh
enqueue() { pyti-db enqueue --platform debian-12 --python 3.11 "$@" >/dev/null; }
stop_runner() { kill "$(cat "$TMP/$1.pid")" 2>/dev/null; wait "$(cat "$TMP/$1.pid")" 2>/dev/null; }
count() { sql "select count(*) from jobs where $1"; }
# waited JOB: the seconds between each attempt of JOB ending and the next
# one's claim (run_after; PostgreSQL's clock for both), one line, rounded down
waited() {
	sql "select string_agg(floor(extract(epoch from b.started_at - a.ended_at))::text, ' ' order by a.fence)
		from job_attempts a join job_attempts b on b.job_id = a.job_id and b.fence = (
		select min(fence) from job_attempts where job_id = a.job_id and fence > a.fence)
		where a.job_id = $1"
}

# --- two runners share the queue: 30 jobs, each completed once ----------
i=0; while [ $i -lt 30 ]; do enqueue '{"mode":"quick"}'; i=$((i + 1)); done
runner a --slots 2 --exit-when-idle 2
runner b --slots 2 --exit-when-idle 2
wait "$(cat "$TMP/a.pid")"; wait "$(cat "$TMP/b.pid")"
check_eq "30 jobs done" "$(count "state = 'done'")" 30
check_eq "30 results, one per job" "$(sql 'select count(distinct job_id) from results')" 30
check_eq "no job has two done attempts" \
	"$(sql "select count(*) from (select job_id from job_attempts where ending = 'done' group by job_id having count(*) > 1) x")" 0
check "both runners took jobs" test "$(sql 'select count(distinct runner) from results')" -eq 2

# --- kill -9 mid-job: the lease expires, the job is rescued and done -----
enqueue '{"mode":"first-hangs"}'
J=$(sql "select max(id) from jobs")
runner k
wait_for 20 state_is "$J" running || diag "job $J never ran"
kill -9 "$(cat "$TMP/k.pid")"
runner k2 --exit-when-idle 4
wait "$(cat "$TMP/k2.pid")"
check_eq "killed runner's job is done" "$(count "id = $J and state = 'done'")" 1
check_eq "its first attempt was rescued" \
	"$(sql "select string_agg(ending, ',' order by fence) from job_attempts where job_id = $J")" "rescued,done"
check "and was claimed again only after release-delay (run_after, $(waited "$J") s)" \
	test "$(waited "$J")" -ge 1

# --- fencing: a frozen runner loses its lease and cannot complete -------
enqueue '{"mode":"first-hangs"}'
J=$(sql "select max(id) from jobs")
runner f
wait_for 20 state_is "$J" running || diag "job $J never ran"
kill -STOP "$(cat "$TMP/f.pid")"
runner f2 --exit-when-idle 3
wait "$(cat "$TMP/f2.pid")"
kill -CONT "$(cat "$TMP/f.pid")"
sleep 7 # the frozen runner's command finishes; it tries to go on
stop_runner f
check_eq "the job was done by the second runner" \
	"$(sql "select runner from results where job_id = $J")" f2
check_eq "exactly one result for it" "$(sql "select count(*) from results where job_id = $J")" 1
check "the frozen runner noticed it lost the job" \
	grep -q -e "lease lost" -e "completion refused" "$TMP/f.log"

# --- infrastructure failures: retried, then dead-lettered ---------------
enqueue --max-attempts 2 '{"mode":"infra"}'
J=$(sql "select max(id) from jobs")
runner d --exit-when-idle 3
wait "$(cat "$TMP/d.pid")"
check_eq "an always-failing job is dead" "$(count "id = $J and state = 'dead'")" 1
check_eq "after 2 attempts" "$(sql "select attempts from jobs where id = $J")" 2
check "the released job waited release-delay before its next claim ($(waited "$J") s)" \
	test "$(waited "$J")" -ge 1
check_grep "its last error names the infrastructure outcome" "exec-error" \
	"$(sql "select last_error from jobs where id = $J" >"$TMP/err"; echo "$TMP/err")"

# --- PostgreSQL restarted mid-run: nothing lost, nothing doubled --------
i=0; while [ $i -lt 12 ]; do enqueue '{"mode":"slow"}'; i=$((i + 1)); done
runner p --slots 2 --exit-when-idle 4
sleep 3
"$PG/restart" "$TMP/pg" immediate
wait "$(cat "$TMP/p.pid")"
check_eq "every job ended done or dead" "$(count "state in ('queued', 'running')")" 0
check_eq "results match done jobs" "$(sql "select count(*) from results")" "$(count "state = 'done'")"
check_eq "nothing left in the spool" "$(ls "$TMP/spool-p/pending" | wc -l)" 0

# --- SIGTERM: the running job goes back, the runner exits cleanly -------
enqueue '{"mode":"hang"}'
J=$(sql "select max(id) from jobs")
runner t
wait_for 20 state_is "$J" running || diag "job $J never ran"
kill -TERM "$(cat "$TMP/t.pid")"
wait "$(cat "$TMP/t.pid")"; rc=$?
check_eq "runner exits 0 on SIGTERM" "$rc" 0
check_eq "its job is queued again, the attempt not counted" \
	"$(sql "select state || ' ' || attempts from jobs where id = $J")" "queued 0"

# --- on-stop = finish: SIGTERM lets the running job end first ----------
sql "update jobs set state = 'dead', last_error = 'parked by the test' where state = 'queued'"
enqueue '{"mode":"slow"}'
J=$(sql "select max(id) from jobs")
runner s --set runner.on-stop=finish
wait_for 20 state_is "$J" running || diag "job $J never ran"
kill -TERM "$(cat "$TMP/s.pid")"
wait "$(cat "$TMP/s.pid")"; rc=$?
check_eq "with on-stop = finish the runner exits 0" "$rc" 0
check_eq "after finishing its job" "$(sql "select state from jobs where id = $J")" done
