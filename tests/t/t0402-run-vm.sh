#!/bin/sh
# The runner with real VMs: a private libvirtd, real QEMU (TCG here), the
# platform image with its agent, a real PostgreSQL queue. Jobs flow through
# a pool of one VM; a VM destroyed mid-job, a guest that panics (NMI with
# unknown_nmi_panic=1), a guest that hangs (suspended: the agent goes
# silent) are each classified as infrastructure, retried on a freshly
# restored VM and finished; an output flood stays within the host's caps;
# a runner killed with -9 mid-job leaves a lease that is rescued and the
# job finished by the restarted runner; the VM is back in the pool after
# each of these (the next job on it is done). QEMU runs confined as in
# production (libvirt-qemu, seccomp; docs/security.md).
. "$(dirname "$0")/../lib.sh"
need psql virsh libvirtd virtlogd tini qemu-system-x86_64 pyti-run pyti-db
[ "$(id -u)" -eq 0 ] || skip_all "needs root for libvirtd and PostgreSQL"
IMG=${PYTI_IMAGE_DIR:-$TOP/var/images}
P=debian-12
[ -f "$IMG/$P/rootfs.img" ] || skip_all "no $P image (make images)"
grep -q '"agent_sha256": *"' "$IMG/$P/image.json" ||
	skip_all "the $P image has no agent (make images)"
plan 18

. "$TOP/tests/helper/runner-host.sh"
runner_host
vsh() { virsh -q -c "$URI" "$@"; }
sql() { psql -X -A -t -q -d "$CI" -c "$1"; }

runner_conf t "$IMG" "$P" <<CONF
silence-timeout = 20s
boot-timeout = 900s
job-timeout = 600s
infra-retries = 2
CONF
check "migrate" pyti-db migrate

# Two small wheels: one that installs and imports, one whose import floods
# its output (20 MB on stdout).
/usr/bin/python3 - "$TMP/dist" <<'PY'
import base64, hashlib, os, sys, zipfile
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def wheel(name, code):
    di = f"{name}-1.0.dist-info"
    files = {f"{name}/__init__.py": code,
             f"{di}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nSummary: pyti runner test\n",
             f"{di}/WHEEL": "Wheel-Version: 1.0\nGenerator: pyti-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
             f"{di}/top_level.txt": name + "\n"}
    rec = []
    with zipfile.ZipFile(f"{out}/{name}-1.0-py3-none-any.whl", "w") as z:
        for n, c in files.items():
            z.writestr(n, c)
            h = base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b"=").decode()
            rec.append(f"{n},sha256={h},{len(c)}")
        rec.append(f"{di}/RECORD,,")
        z.writestr(f"{di}/RECORD", "\n".join(rec) + "\n")
wheel("pytihello", "def hello():\n    return 'hello'\n")
wheel("pytiflood", "import sys\nfor _ in range(20000):\n    sys.stdout.write('x' * 1023 + '\\n')\n")
PY
spec() { # spec WHEEL: store the file, print the job spec
	f=$TMP/dist/$1
	sha=$(sha256sum "$f" | cut -d' ' -f1)
	mkdir -p "$TMP/store/$(echo "$sha" | cut -c1-2)"
	cp "$f" "$TMP/store/$(echo "$sha" | cut -c1-2)/$sha"
	printf '{"dist":{"name":"%s","size":%s,"sha256":"%s"},"deps":[],"tasks":["unpack","build","install","import"]}' \
		"$1" "$(stat -c %s "$f")" "$sha"
}
HELLO=$(spec pytihello-1.0-py3-none-any.whl)
FLOOD=$(spec pytiflood-1.0-py3-none-any.whl)
enqueue() { pyti-db enqueue --platform $P --python 3.11 "$1"; }
state_is() {
	# a runner that died is a failure of this test, not a reason to wait
	kill -0 "$(cat "$TMP/runner.pid")" 2>/dev/null || {
		echo "Bail out! the runner died: $(tail -n 3 "$TMP/runner.log")"
		exit 1
	}
	test "$(sql "select state from jobs where id = $1")" = "$2"
}
dom_running() { test "$(vsh domstate pyti-t-$P-0 2>/dev/null)" = running; }
runner() {
	pyti-run -f >>"$TMP/runner.log" 2>&1 &
	echo $! >"$TMP/runner.pid"
}
at_exit 'kill -9 $(cat "$TMP/runner.pid") 2>/dev/null'
# wait_running J: the job is handed to a running VM (give it 3 s to be
# inside the job, past the hand-in)
wait_running() {
	wait_for 900 state_is "$1" running && wait_for 300 dom_running &&
		sleep 3
}
wait_done() { wait_for 1200 state_is "$1" done; }
first_infra() {
	sql "select raw->'runner'->'attempts'->0->>'infra' from results where job_id = $1"
}

runner
A=$(enqueue "$HELLO")
wait_done "$A" || diag "$(tail -n 20 "$TMP/runner.log")"
check_eq "a job flows through the pool" "$(sql "select class from results where job_id = $A")" package
check_eq "its raw results carry the agent's RSLT" \
	"$(sql "select raw->'result'->>'schema_version' from results where job_id = $A")" 1
check "the package outcome is a package outcome" grep -q -E \
	'^(passed|no_tests|import_failed|install_failed)$' "$(sql "select outcome from results where job_id = $A" >"$TMP/o"; echo "$TMP/o")"

B=$(enqueue "$HELLO")
wait_running "$B"
vsh destroy pyti-t-$P-0 >/dev/null
wait_done "$B"
check_eq "VM destroyed mid-job: retried and done" "$(sql "select class from results where job_id = $B")" package
check_eq "the first try is recorded as vm-died" "$(first_infra "$B")" vm-died

C=$(enqueue "$HELLO")
wait_running "$C"
vsh inject-nmi pyti-t-$P-0
wait_done "$C"
check_eq "guest panic: retried and done" "$(sql "select class from results where job_id = $C")" package
check_eq "the first try is recorded as vm-crashed" "$(first_infra "$C")" vm-crashed

D=$(enqueue "$HELLO")
wait_running "$D"
vsh suspend pyti-t-$P-0 >/dev/null
wait_done "$D"
check_eq "hung guest: retried and done" "$(sql "select class from results where job_id = $D")" package
check_eq "the first try is recorded as agent-silent" "$(first_infra "$D")" agent-silent

E=$(enqueue "$FLOOD")
wait_done "$E"
check_eq "an output flood is the package's own business" \
	"$(sql "select class from results where job_id = $E")" package
check "its stored results stay within the caps" \
	test "$(sql "select octet_length(raw::text) from results where job_id = $E")" -lt $((20 * 1024 * 1024))

F=$(enqueue "$HELLO")
wait_running "$F"
kill -9 "$(cat "$TMP/runner.pid")"
runner
wait_done "$F"
check_eq "runner killed mid-job: the job is done after the rescue" \
	"$(sql "select string_agg(ending, ',' order by fence) from job_attempts where job_id = $F")" "rescued,done"

G=$(enqueue "$HELLO")
wait_done "$G"
check_eq "the VM is back in the pool after all that" "$(sql "select class from results where job_id = $G")" package
check_eq "no job lost or left behind" "$(sql "select count(*) from jobs where state <> 'done'")" 0
check_eq "no job completed twice" "$(sql "select count(*) - count(distinct job_id) from results")" 0
kill -TERM "$(cat "$TMP/runner.pid")"
wait "$(cat "$TMP/runner.pid")"
check_eq "the runner stops cleanly on SIGTERM" "$?" 0
check_eq "and leaves no domain behind" "$(vsh list --name | grep -c pyti-t)" 0
