# tests/helper/runner-queue.sh: sourced (after tests/lib.sh) by the
# runner's tests without VMs (t0401, t0403): a throwaway PostgreSQL queue
# and runners in the background on it, each with its own name, spool and
# log, all killed when the test ends.
#
#	need pyti-db pyti-run
#	pg_need                         # skip unless PostgreSQL can run here
#	plan N
#	runner_queue <<CONF             # PostgreSQL, $PYTI_CONFIG
#	lease = 3s                      # the test's own [runner] keys, then
#	[platform debian-12]            # any other section
#	CONF
#	EXECUTOR=exec:CMD               # or chan:CMD: what runs a job
#	runner a --exit-when-idle 2     # $TMP/a.log, $TMP/a.pid
#	wait_for 20 state_is "$J" running
#
# Then sql SQL is psql on that database (unaligned tuples only), CI its
# conninfo and PG the folder of tests/helper/postgres's start, stop and
# restart scripts (its data in $TMP/pg).
. "$TOP/tests/helper/postgres.sh"
PG=$TOP/tests/helper/postgres

# runner_queue: start PostgreSQL in $TMP/pg and write $PYTI_CONFIG
# ($TMP/pyti.conf, exported) naming it, with the short heartbeat, rescue
# interval, poll and release delay these tests share; the test's own
# [runner] keys (lease, timeouts, retries) and sections come on stdin.
runner_queue() {
	pg_start "$TMP/pg"
	CI=$PG_CI
	pg_config "$TMP/pyti.conf"
	{
		cat <<CONF
[runner]
heartbeat = 1s
rescue-interval = 1s
poll = 200ms
release-delay = 1s
CONF
		cat
	} >>"$PYTI_CONFIG"
	at_exit 'for p in "$TMP"/*.pid; do kill -9 $(cat "$p") 2>/dev/null; done'
}
sql() { psql -X -A -t -q -d "$CI" -c "$1"; }

# runner NAME [OPTIONS]: pyti-run -f as runner NAME in the background with
# the executor $EXECUTOR and OPTIONS, its spool $SPOOL (when set) or
# $TMP/spool-NAME, its output appended to $TMP/NAME.log, its pid in
# $TMP/NAME.pid.
runner() {
	n=$1; shift
	pyti-run -f --set runner.name="$n" --set runner.spool="${SPOOL:-$TMP/spool-$n}" \
		"--executor=$EXECUTOR" "$@" >>"$TMP/$n.log" 2>&1 &
	echo $! >"$TMP/$n.pid"
}

# state_is JOB STATE: the job is in STATE.
state_is() { test "$(sql "select state from jobs where id = $1")" = "$2"; }
