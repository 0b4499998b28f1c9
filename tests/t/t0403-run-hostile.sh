#!/bin/sh
# A hostile guest and a failing host, without a VM: `pyti-run
# --executor=chan:CMD` runs tests/helper/hostile-agent as the agent, over
# the same channel code a VM's agent is read through (every frame, every
# limit, the classification). Each misbehaviour -- a drip-fed frame, a BEAT
# flood, a giant shallow RSLT, deep nesting, bad magic, an oversized
# announcement, silence, a forged job id -- ends in bounded time and memory
# with the right infrastructure class, and the runner goes on with the
# next job. SIGTERM and a lost lease act within seconds in the middle of a
# drip-fed frame. Host failures -- a Python the pool does not have, a
# missing store file, a full spool disk, PostgreSQL down longer than a
# lease -- lose, double and dead-letter nothing; a spec that no host can
# run (a file named twice) is dead-lettered at once.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/runner-queue.sh"
. "$TOP/tests/helper/store.sh"
need pyti-db pyti-run
pg_need
plan 45

mkdir -p "$TMP/store"
runner_queue <<CONF
store = $TMP/store
lease = 4s
infra-retries = 0
job-timeout = 200s
silence-timeout = 3s
frame-timeout = 2s
hello-timeout = 10s
[platform debian-12]
python = 3.11
CONF
check "migrate" pyti-db migrate
EXECUTOR=chan:$TOP/tests/helper/hostile-agent

# One small "distribution" in the store; every job names it.
printf 'not really a wheel\n' >"$TMP/demo-1.0-py3-none-any.whl"
DIST=$(store_dist "$TMP/demo-1.0-py3-none-any.whl")
# job MODE [PYTHON] [DIST]: enqueue one job (one attempt), print its id
job() {
	pyti-db enqueue --platform debian-12 --python "${2:-3.11}" --max-attempts 1 \
		"{\"hostile\":\"$1\",\"dist\":${3:-$DIST}}"
}
settled() { test "$(sql "select count(*) from jobs where state in ('queued','running') and python = '3.11'")" = 0; }
end_of() { sql "select state || ' ' || coalesce(split_part(last_error, ':', 1), '') from jobs where id = $1"; }

# --- the hostile guest: each case its class, a good job after each ------
MODES="drip beat-flood giant-shallow deep bad-magic oversized silence forged-id"
for m in $MODES; do
	echo "$m $(job "$m") $(job good)" >>"$TMP/cases"
done
LOGCTL=$(job log-ctl)
runner h
wait_for 240 settled || diag "jobs still pending after 240 s"
HWM=$(awk '/VmHWM/ { print $2 }' "/proc/$(cat "$TMP/h.pid")/status")
while read -r m bad good; do
	case $m in
	silence) want="dead agent-silent" ;;
	*) want="dead protocol-error" ;;
	esac
	check_eq "$m: ends as $want" "$(end_of "$bad")" "$want"
	check_eq "$m: the runner goes on (next job done)" "$(end_of "$good")" "done "
done <"$TMP/cases"
check_eq "a 4 MiB log of control bytes: done, kept cut to the encoded budget" \
	"$(sql "select state || ' ' || (r.raw->'logs'->'ctl.log'->>'truncated') from jobs j join results r on r.job_id = j.id where j.id = $LOGCTL")" \
	"done true"
check "the runner's peak memory stayed under 256 MiB (${HWM} kB)" test "${HWM:-999999999}" -lt 262144
check_eq "the agent's spec carried deadline_s (job-timeout - 120 s)" \
	"$(sql "select r.raw->'result'->>'deadline_s' from results r where job_id = $LOGCTL")" 80
GIANT=$(awk '$1 == "giant-shallow" { print $2 }' "$TMP/cases")
check_eq "its evidence is stored beside package outcomes (job_outcomes)" \
	"$(sql "select class || ' ' || outcome || ' ' || (evidence->'runner'->'attempts'->0->>'infra') || ' ' || (evidence->'runner'->>'infra_detail' like '%JSON values%') from job_outcomes where job_id = $GIANT")" \
	"infra protocol-error protocol-error true"
check_grep "the drip-fed frame was cut by the frame bound" "frame took too long" "$TMP/h.log"
check_grep "the BEAT flood was cut by the frame count" "BEAT frames" "$TMP/h.log"
check_grep "the giant RSLT was refused by the node count" "JSON values" "$TMP/h.log"
check_grep "the deep RSLT was refused by the depth bound" "levels deep" "$TMP/h.log"
check_grep "the forged job id was refused" "results for job '999999-1'" "$TMP/h.log"

# --- a job for a Python this pool does not have -------------------------
PY13=$(job good 3.13)
sleep 3
check_eq "a 3.13 job on a 3.11 pool is left queued, no attempt spent" \
	"$(sql "select state || ' ' || attempts from jobs where id = $PY13")" "queued 0"
sql "update jobs set state = 'dead', finished_at = now(), last_error = 'parked by the test' where id = $PY13"

# --- SIGTERM in the middle of a drip-fed frame --------------------------
kill -TERM "$(cat "$TMP/h.pid")"; wait "$(cat "$TMP/h.pid")"
runner t --set runner.frame-timeout=300s --set runner.silence-timeout=300s
J=$(job drip)
wait_for 20 state_is "$J" running || diag "job $J never ran"
sleep 2
kill -TERM "$(cat "$TMP/t.pid")"
if wait_for 15 sh -c "! kill -0 $(cat "$TMP/t.pid")"; then
	ok "SIGTERM mid-frame: the runner stops within seconds"
else
	not_ok "SIGTERM mid-frame: the runner stops within seconds"
	kill -9 "$(cat "$TMP/t.pid")"
fi
check_eq "its job is queued again, the attempt not counted" \
	"$(sql "select state || ' ' || attempts from jobs where id = $J")" "queued 0"
sql "update jobs set state = 'dead', finished_at = now(), last_error = 'parked by the test' where id = $J"

# --- the lease lost in the middle of a drip-fed frame -------------------
runner l --set runner.frame-timeout=300s --set runner.silence-timeout=300s
J=$(job drip)
wait_for 20 state_is "$J" running || diag "job $J never ran"
sleep 1
# as if rescued and handed to another runner: the fence moves on
sql "update jobs set fence = fence + 1000000 where id = $J"
G=$(job good)
if wait_for 20 state_is "$G" done; then
	ok "lease lost mid-frame: the slot gives the job up and takes the next"
else
	not_ok "lease lost mid-frame: the slot gives the job up and takes the next"
fi
check_grep "it said the lease was lost" "lease lost" "$TMP/l.log"
sql "update jobs set state = 'dead', finished_at = now(), lease_expires_at = NULL, last_error = 'parked by the test' where id = $J"

# --- a missing store file: refunded until it is there, then done --------
GHOST="{\"name\":\"ghost-1.0.tar.gz\",\"size\":19,\"sha256\":\"$(echo ghost | sha256sum | cut -d' ' -f1)\"}"
J=$(job good 3.11 "$GHOST")
wait_for 20 sh -c "test \"\$(psql -X -A -t -q -d '$CI' -c \"select coalesce(last_error, '') from jobs where id = $J\")\" != ''" ||
	diag "job $J never failed"
check_eq "missing store file: queued again, no attempt spent" \
	"$(sql "select state || ' ' || attempts || ' ' || split_part(last_error, ':', 1) from jobs where id = $J")" \
	"queued 0 host-error"
GSHA=$(echo ghost | sha256sum | cut -d' ' -f1)
mkdir -p "$TMP/store/$(echo "$GSHA" | cut -c1-2)"
printf 'not really an sdist\n' >"$TMP/store/$(echo "$GSHA" | cut -c1-2)/$GSHA"
printf 'not really an sdist\n' >"$TMP/ghost-1.0.tar.gz"
sql "update jobs set spec = jsonb_set(spec, '{dist}', '$(store_dist "$TMP/ghost-1.0.tar.gz")') where id = $J"
check "once the file is in the store the job is done" wait_for 90 state_is "$J" done

# --- a spec no host can ever run: dead at once, not refunded forever ----
# (the same file named twice: every runner refuses it, so refunding the
# attempt as a host failure would requeue it with backoff for ever)
J=$(pyti-db enqueue --platform debian-12 --python 3.11 --max-attempts 3 \
	"{\"hostile\":\"good\",\"dist\":$DIST,\"deps\":[$DIST]}")
check "a file listed twice: the job is dead-lettered" wait_for 30 state_is "$J" dead
check_eq "on its first attempt, as bad-spec, naming the file" \
	"$(sql "select attempts || ' ' || host_failures || ' ' || last_error from jobs where id = $J")" \
	"1 0 bad-spec: 'demo-1.0-py3-none-any.whl' is listed twice"
kill -TERM "$(cat "$TMP/l.pid")"; wait "$(cat "$TMP/l.pid")"

# --- the spool's disk full ----------------------------------------------
mkdir -p "$TMP/spoolfs"
if mount -t tmpfs -o size=40m tmpfs "$TMP/spoolfs" 2>/dev/null; then
	at_exit umount -l "$TMP/spoolfs"
	SPOOL=$TMP/spoolfs
	runner s
	unset SPOOL
	wait_for 10 grep -q "started" "$TMP/s.log"
	J=$(job good)
	wait_for 20 state_is "$J" done || diag "job $J not done"
	# the agent fills the spool's disk between claim and results: they
	# cannot be written
	J=$(pyti-db enqueue --platform debian-12 --python 3.11 --max-attempts 1 \
		"{\"hostile\":\"fill-spool\",\"fill\":\"$TMP/spoolfs/filler\",\"fill_marker\":\"$TMP/filled\",\"dist\":$DIST}")
	if wait_for 30 grep -q "BROKEN" "$TMP/s.log"; then
		ok "a full spool disk: the runner stops claiming and says so"
	else
		not_ok "a full spool disk: the runner stops claiming and says so"
	fi
	check_grep "the results that could not be spooled were given back" \
		"cannot spool results" "$TMP/s.log"
	check_eq "the job waits, no attempt spent" \
		"$(sql "select state || ' ' || attempts from jobs where id = $J")" "queued 0"
	rm -f "$TMP/spoolfs/filler"
	check "space back: the job is done" wait_for 90 state_is "$J" done
	check_grep "and the runner says it is healthy again" "healthy again" "$TMP/s.log"
	kill -TERM "$(cat "$TMP/s.pid")"; wait "$(cat "$TMP/s.pid")"
	unset SPOOL
else
	skip "a full spool disk: cannot mount a tmpfs here"
	skip "given back"
	skip "the job waits"
	skip "space back"
	skip "healthy again"
fi

# --- PostgreSQL down for longer than a lease -----------------------------
runner p --slots 2 --set runner.frame-timeout=60s --set runner.silence-timeout=60s
wait_for 10 grep -q "started" "$TMP/p.log"
P1=$(job slow); P2=$(job slow)
wait_for 20 state_is "$P2" running || diag "jobs never ran"
"$PG/stop" "$TMP/pg" immediate
sleep 12 # three leases
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$TMP/pg/data" \
	-l "$TMP/pg/server.log" -w -t 60 start >/dev/null 2>&1
check "both jobs done after the outage" wait_for 60 sh -c "test \"\$(psql -X -A -t -q -d '$CI' -c \"select count(*) from jobs where id in ($P1, $P2) and state = 'done'\")\" = 2"
check_eq "one results row each" "$(sql "select count(*) from results where job_id in ($P1, $P2)")" 2
check_eq "no attempt was rescued" "$(sql "select count(*) from job_attempts where job_id in ($P1, $P2) and ending <> 'done'")" 0
kill -TERM "$(cat "$TMP/p.pid")"; wait "$(cat "$TMP/p.pid")"
check_eq "nothing left in the spool" "$(ls "$TMP/spool-p/pending" | wc -l)" 0
check_eq "nothing dead but the hostile, bad-spec and parked jobs" \
	"$(sql "select count(*) from jobs where state = 'dead' and coalesce(last_error, '') not like 'protocol-error%' and coalesce(last_error, '') not like 'agent-silent%' and coalesce(last_error, '') not like 'bad-spec%' and last_error <> 'parked by the test'")" 0
