# tests/helper/runner-host.sh: sourced (after tests/lib.sh) by the runner's
# VM tests (t0402, t0404, t0405). runner_host sets up a runner host as
# production has it, private to the test and stopped when it ends:
#   CI          the conninfo of a throwaway PostgreSQL
#   URI         a private libvirtd running QEMU confined (the libvirt-qemu
#               user, seccomp: tests/helper/libvirt/start --confined)
#   $TMP/state  the runner's state directory, where QEMU (as libvirt-qemu)
#               binds the channel socket
# Either server failing to start bails out.
. "$TOP/tests/helper/images.sh"
. "$TOP/tests/helper/postgres.sh"
runner_host() {
	pg_start "$TMP/pg"
	CI=$PG_CI
	URI=$("$TOP/tests/helper/libvirt/start" "$TMP/lv" --confined) || { echo "Bail out! no libvirtd"; exit 1; }
	at_exit "$TOP/tests/helper/libvirt/stop" "$TMP/lv"
	qemu_dir "$TMP/state"
}

# runner_conf NAME IMAGES PLATFORM: write $PYTI_CONFIG ($TMP/pyti.conf,
# exported) for a pool of one VM of PLATFORM (1 GiB) from the image
# directory IMAGES on runner_host's PostgreSQL and libvirtd, with the VM
# tests' leases and polls; the test's own [runner] keys (timeouts,
# retries) come on stdin.
runner_conf() {
	export PYTI_CONFIG=$TMP/pyti.conf
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
CONF
		cat
		printf '[platform %s]\nvms = 1\nmemory = 1024M\n' "$3"
	} >"$PYTI_CONFIG"
}
