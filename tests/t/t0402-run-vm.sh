#!/bin/sh
# The runner with real VMs: a private libvirtd, real QEMU (TCG here), the
# platform image with its agent, a real PostgreSQL queue. Jobs flow through
# a pool of one VM; a VM destroyed mid-job, a guest that panics (NMI with
# unknown_nmi_panic=1), a guest that hangs (suspended: the agent goes
# silent) are each classified as infrastructure, retried on a freshly
# restored VM and finished; an output flood stays within the host's caps;
# a runner killed with -9 mid-job leaves a lease that is rescued and the
# job finished by the restarted runner; the VM is back in the pool after
# each of these (the next job on it is done). A two-stage job's first
# stage hands the wheel it built back (ARTF): the runner stores it under
# its sha256, and a second stage given that wheel (as pyti-schedule
# --followups gives it: t0510, t0702) installs it without building, its
# tests from the sdist. QEMU runs confined as in
# production (libvirt-qemu, seccomp; docs/security.md).
. "$(dirname "$0")/../lib.sh"
need psql virsh libvirtd virtlogd tini qemu-system-x86_64 pyti-run pyti-db
[ "$(id -u)" -eq 0 ] || skip_all "needs root for libvirtd and PostgreSQL"
IMG=${PYTI_IMAGE_DIR:-$TOP/var/images}
P=debian-12
[ -f "$IMG/$P/rootfs.img" ] || skip_all "no $P image (make images)"
grep -q '"agent_sha256": *"' "$IMG/$P/image.json" ||
	skip_all "the $P image has no agent (make images)"
# the comparison with a second stage that builds again: make test-long
plan $([ -n "${PYTI_LONG:-}" ] && echo 24 || echo 23)

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
# An sdist whose metadata is not static (a setup.py, no PKG-INFO 2.2): the
# scheduler makes it a two-stage job. Its tests are in the sdist.
/usr/bin/python3 - "$TMP/dist" <<'PY'
import io, sys, tarfile
files = {"setup.py": "from setuptools import setup\nsetup(name='pytibuilt', version='1.0', packages=['pytibuilt'])\n",
         "pytibuilt/__init__.py": "def answer():\n    return 42\n",
         "tests/test_answer.py": "import pytibuilt\n\ndef test_answer():\n    assert pytibuilt.answer() == 42\n"}
with tarfile.open(sys.argv[1] + "/pytibuilt-1.0.tar.gz", "w:gz") as t:
    for n, c in files.items():
        i = tarfile.TarInfo("pytibuilt-1.0/" + n)
        i.size, i.mtime = len(c), 1700000000
        t.addfile(i, io.BytesIO(c.encode()))
PY
store() { # store FILE: put it in the store, print its dist entry
	sha=$(sha256sum "$1" | cut -d' ' -f1)
	mkdir -p "$TMP/store/$(echo "$sha" | cut -c1-2)"
	cp "$1" "$TMP/store/$(echo "$sha" | cut -c1-2)/$sha"
	printf '{"name":"%s","size":%s,"sha256":"%s"}' \
		"$(basename "$1")" "$(stat -c %s "$1")" "$sha"
}
spec() { # spec WHEEL: store the file, print the job spec
	printf '{"dist":%s,"deps":[],"tasks":["unpack","build","install","import"]}' \
		"$(store "$TMP/dist/$1")"
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

# A two-stage job: the first stage builds the sdist and hands the wheel
# back; the second stage installs that wheel (no build), and, to compare
# (make test-long), a second stage built from the sdist again.
SDIST=$(store "$TMP/dist/pytibuilt-1.0.tar.gz")
H=$(enqueue '{"project":"pytibuilt","dist_version":"1.0","stage":"build","dist":'"$SDIST"',"deps":[]}')
wait_done "$H" || diag "$(tail -n 20 "$TMP/runner.log")"
art() { sql "select raw->'artifact'->>'$1' from results where job_id = $H"; }
check_eq "a build stage hands its wheel back: the runner records it" \
	"$(art name) $(sql "select raw->'result'->'built'->>'artifact' from results where job_id = $H")" \
	"pytibuilt-1.0-py3-none-any.whl pytibuilt-1.0-py3-none-any.whl"
wsha=$(art sha256)
check_eq "the host's sha256 of it is the agent's" \
	"$wsha" "$(sql "select raw->'result'->'built'->>'sha256' from results where job_id = $H")"
wfile=$TMP/store/$(echo "$wsha" | cut -c1-2)/$wsha
check_eq "it is in the store under that sha256, with its size" \
	"$(sha256sum "$wfile" | cut -d' ' -f1) $(stat -c %s "$wfile")" "$wsha $(art size)"
I=$(enqueue '{"project":"pytibuilt","dist_version":"1.0","stage_of":"'"$H"'","dist":{"name":"'"$(art name)"'","size":'"$(art size)"',"sha256":"'"$wsha"'"},"deps":[{"name":"pytibuilt-1.0.tar.gz","size":'"$(stat -c %s "$TMP/dist/pytibuilt-1.0.tar.gz")"',"sha256":"'"$(sha256sum "$TMP/dist/pytibuilt-1.0.tar.gz" | cut -d' ' -f1)"'","role":"tests_source"}],"tasks":["unpack","build","install","tests"]}')
wait_done "$I" || diag "$(tail -n 20 "$TMP/runner.log")"
task() { sql "select t->>'outcome' from results r, jsonb_array_elements(r.raw->'result'->'tasks') t where r.job_id = $1 and t->>'name' = '$2'"; }
check_eq "the second stage installs the returned wheel without building" \
	"$(sql "select outcome from results where job_id = $I") build:$(task "$I" build) install:$(task "$I" install)" \
	"passed build:skipped install:ok"
check_eq "its tests came from the sdist" \
	"$(sql "select (raw->'result'->'tests'->'totals'->>'passed') || ' ' || (raw->'result'->'tests'->>'source') from results where job_id = $I")" \
	"1 sdist"
ms() { sql "select (raw->'runner'->'attempts'->-1->>'run_ms')::bigint from results where job_id = $1"; }
if [ -n "${PYTI_LONG:-}" ]; then
	J=$(enqueue '{"project":"pytibuilt","dist_version":"1.0","stage_of":"'"$H"'","dist":'"$SDIST"',"deps":[],"tasks":["unpack","build","install","tests"]}')
	wait_done "$J" || diag "$(tail -n 20 "$TMP/runner.log")"
	check_eq "the same second stage from the sdist builds it again" \
		"$(sql "select outcome from results where job_id = $J") build:$(task "$J" build)" "passed build:ok"
	diag "second stage run_ms: $(ms "$I") with the returned wheel, $(ms "$J") building the sdist again (build task: $(sql "select t->>'duration_ms' from results r, jsonb_array_elements(r.raw->'result'->'tasks') t where r.job_id = $J and t->>'name' = 'build'") ms)"
else
	diag "second stage run_ms: $(ms "$I") with the returned wheel"
fi
check_eq "no job lost or left behind" "$(sql "select count(*) from jobs where state <> 'done'")" 0
check_eq "no job completed twice" "$(sql "select count(*) - count(distinct job_id) from results")" 0
kill -TERM "$(cat "$TMP/runner.pid")"
wait "$(cat "$TMP/runner.pid")"
check_eq "the runner stops cleanly on SIGTERM" "$?" 0
check_eq "and leaves no domain behind" "$(vsh list --name | grep -c pyti-t)" 0
