#!/bin/sh
# The runner's VMs confined as Debian's libvirt runs QEMU in production
# (tests/helper/libvirt/start --confined): QEMU as the unprivileged user
# libvirt-qemu, in QEMU's seccomp sandbox, without capabilities (AppArmor
# where this kernel has it). A job flows through the pool; libvirtd killed
# with -9 in the middle of a job and started again loses, doubles and
# dead-letters nothing (the channel is QEMU's: the job goes on; the
# runner reconnects and takes the next job); while libvirtd stays down the
# runner claims nothing and says so.
. "$(dirname "$0")/../lib.sh"
need psql virsh libvirtd virtlogd tini qemu-system-x86_64 pyti-run pyti-db
[ "$(id -u)" -eq 0 ] || skip_all "needs root for libvirtd and PostgreSQL"
long_test "VMs under TCG: a few minutes"
getent passwd libvirt-qemu >/dev/null || skip_all "no libvirt-qemu user (libvirt-daemon-system)"
IMG=${PYTI_IMAGE_DIR:-$TOP/var/images}
P=
for p in debian-12 debian-11 debian-13; do
	if [ -f "$IMG/$p/rootfs.img" ] && grep -q '"agent_sha256": *"' "$IMG/$p/image.json" 2>/dev/null; then
		P=$p
		break
	fi
done
[ -n "$P" ] || skip_all "no platform image with an agent in $IMG (make images)"
PY=$($PYTHON -c 'import json,sys; print(json.load(open(sys.argv[1]))["python"])' "$IMG/$P/image.json")
plan 13

. "$TOP/tests/helper/runner-host.sh"
runner_setup c "$IMG" "$P" <<CONF
silence-timeout = 60s
job-timeout = 600s
release-delay = 2s
infra-retries = 1
CONF

runner_wheels pytisleep "import time\ntime.sleep(25)\n"
SLEEP=$(store_spec "$TMP/dist/pytisleep-1.0-py3-none-any.whl")
enqueue() { pyti-db enqueue --platform $P --python "$PY" --max-attempts 1 "$1"; }
runner_start

A=$(enqueue "$HELLO")
wait_for 900 state_is "$A" done || diag "$(tail -n 20 "$TMP/runner.log")"
check_eq "a job flows through the confined pool" "$(sql "select class from results where job_id = $A")" package

# The QEMU of the next job, seen from the host.
B=$(enqueue "$SLEEP")
wait_for 300 state_is "$B" running && wait_for 120 dom_running && sleep 3
QPID=$(pgrep -f "guest=pyti-c-$P-0," | head -n 1)
check_eq "QEMU runs as libvirt-qemu" "$(ps -o user= -p "${QPID:-0}" | tr -d ' ')" libvirt-qemu
check_eq "in a seccomp filter" "$(awk '/^Seccomp:/ { print $2 }' "/proc/${QPID:-0}/status" 2>/dev/null)" 2
check_eq "without capabilities" "$(awk '/^CapEff:/ { print $2 }' "/proc/${QPID:-0}/status" 2>/dev/null)" 0000000000000000
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
	check_grep "under an AppArmor profile" "libvirt-" "/proc/${QPID:-0}/attr/current"
else
	skip "AppArmor: this kernel has none"
fi

# libvirtd crashes in the middle of that job and comes back.
"$TOP/tests/helper/libvirt/restart" "$TMP/lv" || diag "libvirtd did not come back"
wait_for 1500 state_is "$B" done || diag "$(tail -n 20 "$TMP/runner.log")"
check_eq "libvirtd killed mid-job: the job is done, in one attempt" \
	"$(sql "select j.state || ' ' || j.attempts || ' ' || r.class from jobs j join results r on r.job_id = j.id where j.id = $B")" \
	"done 1 package"
C=$(enqueue "$HELLO")
wait_for 1500 state_is "$C" done || diag "$(tail -n 20 "$TMP/runner.log")"
check_eq "and the next job runs on the reconnected runner" "$(sql "select class from results where job_id = $C")" package
check_grep "the runner reconnected to libvirt" "reconnected to libvirt" "$TMP/runner.log"
check_grep "and killed the QEMU the dead connection could not destroy" \
	"killing QEMU process" "$TMP/runner.log"

# libvirtd down for good: nothing is claimed, loudly; back: it goes on.
kill -KILL "$(cat "$TMP/lv/libvirtd.pid")"
D=$(enqueue "$HELLO")
if wait_for 120 grep -q "BROKEN" "$TMP/runner.log"; then
	ok "libvirtd down: the runner claims nothing and says so"
else
	not_ok "libvirtd down: the runner claims nothing and says so"
fi
check_eq "the job waits untouched" "$(sql "select state || ' ' || attempts from jobs where id = $D")" "queued 0"
"$TOP/tests/helper/libvirt/restart" "$TMP/lv" || diag "libvirtd did not come back"
wait_for 1500 state_is "$D" done || diag "$(tail -n 20 "$TMP/runner.log")"
check_eq "libvirtd back: the job is done, nothing dead" \
	"$(sql "select string_agg(state, ',') from jobs where state <> 'done'")" ""
kill -TERM "$(cat "$TMP/runner.pid")"
wait "$(cat "$TMP/runner.pid")"
