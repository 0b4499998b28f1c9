# tests/helper/runner-host.sh: sourced (after tests/lib.sh) by the runner's
# VM tests (t0402, t0404, t0405). runner_host sets up a runner host as
# production has it, private to the test and stopped when it ends:
#   CI          the conninfo of a throwaway PostgreSQL
#   URI         a private libvirtd running QEMU confined (the libvirt-qemu
#               user, seccomp: tests/helper/libvirt/start --confined)
#   $TMP/state  the runner's state directory, where QEMU (as libvirt-qemu)
#               binds the channel socket
# Either server failing to start bails out. Then vsh ARGS is virsh on that
# libvirtd, sql SQL psql on that database (unaligned tuples only); for a
# test with one runner, runner_start, state_is and dom_running (below).
# runner_setup does it all for a pool of one VM. tests/helper/store.sh
# comes with it (store_spec: a wheel into the runner's store).
. "$TOP/tests/helper/images.sh"
. "$TOP/tests/helper/postgres.sh"
. "$TOP/tests/helper/store.sh"
runner_host() {
	pg_start "$TMP/pg"
	CI=$PG_CI
	URI=$("$TOP/tests/helper/libvirt/start" "$TMP/lv" --confined) || { echo "Bail out! no libvirtd"; exit 1; }
	at_exit "$TOP/tests/helper/libvirt/stop" "$TMP/lv"
	qemu_dir "$TMP/state"
}
vsh() { virsh -q -c "$URI" "$@"; }
sql() { psql -X -A -t -q -d "$CI" -c "$1"; }

# runner_start: pyti-run in the foreground mode, in the background (log
# $TMP/runner.log, pid $TMP/runner.pid), killed when the test ends; again
# after a kill, a second runner of the same host.
runner_start() {
	pyti-run -f >>"$TMP/runner.log" 2>&1 &
	echo $! >"$TMP/runner.pid"
	[ -n "${RUNNER_AT_EXIT:-}" ] && return
	RUNNER_AT_EXIT=1
	at_exit 'kill -9 $(cat "$TMP/runner.pid") 2>/dev/null'
}

# state_is JOB STATE: the job is in STATE; a runner that died is a
# failure of the test (bails out), not a reason to wait.
state_is() {
	kill -0 "$(cat "$TMP/runner.pid")" 2>/dev/null || {
		echo "Bail out! the runner died: $(tail -n 3 "$TMP/runner.log")"
		exit 1
	}
	test "$(sql "select state from jobs where id = $1")" = "$2"
}

# dom_running: the pool's one VM (runner_conf's) is running.
dom_running() {
	test "$(vsh domstate "pyti-$RUNNER_NAME-$RUNNER_PLATFORM-0" 2>/dev/null)" = running
}

# runner_conf NAME IMAGES PLATFORM: write $PYTI_CONFIG ($TMP/pyti.conf,
# exported) for a pool of one VM of PLATFORM (1 GiB) from the image
# directory IMAGES on runner_host's PostgreSQL and libvirtd, with the VM
# tests' leases, polls and boot timeout (TCG boots slowly on a loaded
# machine); the test's own [runner] keys (timeouts, retries) come on stdin.
runner_conf() {
	export PYTI_CONFIG=$TMP/pyti.conf
	RUNNER_NAME=$1
	RUNNER_PLATFORM=$3
	{
		cat <<CONF
[database]
conninfo = $CI
[images]
dir = $2
[runner]
name = $1
uri = $URI
state-dir = $TMP/state
spool = $TMP/spool
store = $TMP/store
accel = ${PYTI_ACCEL:-tcg}
lease = 20s
heartbeat = 2s
rescue-interval = 2s
poll = 500ms
hello-timeout = 90s
boot-timeout = 900s
CONF
		cat
		printf '[platform %s]\nvms = 1\nmemory = 1024M\n' "$3"
	} >"$PYTI_CONFIG"
}

# runner_setup NAME IMAGES PLATFORM: runner_host, runner_conf NAME IMAGES
# PLATFORM (the test's [runner] keys on stdin), then the schema, as one
# check ("migrate").
runner_setup() {
	runner_host
	runner_conf "$@"
	check "migrate" pyti-db migrate
}

# runner_wheels [NAME CODE]...: tests/helper/tiny-wheel's wheels into
# $TMP/dist: pytihello (hello() returns 'hello', the job every runner VM
# test starts from; HELLO is its spec), then the test's own.
runner_wheels() {
	"$TOP/tests/helper/tiny-wheel" "$TMP/dist" \
		pytihello "def hello():\n    return 'hello'\n" "$@" ||
		{ echo "Bail out! tiny-wheel failed"; exit 1; }
	HELLO=$(store_spec "$TMP/dist/pytihello-1.0-py3-none-any.whl")
}
