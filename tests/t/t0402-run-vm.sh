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
runner_setup t "$IMG" "$P" <<CONF
silence-timeout = 20s
job-timeout = 600s
infra-retries = 2
CONF

# Two small wheels: one that installs and imports, one whose import floods
# its output (20 MB on stdout).
runner_wheels pytiflood "import sys\nfor _ in range(20000):\n    sys.stdout.write('x' * 1023 + '\\\\n')\n"
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
FLOOD=$(store_spec "$TMP/dist/pytiflood-1.0-py3-none-any.whl")
enqueue() { pyti-db enqueue --platform $P --python 3.11 "$1"; }
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

runner_start
A=$(enqueue "$HELLO")
wait_done "$A" || diag "$(tail -n 20 "$TMP/runner.log")"
check_eq "a job flows through the pool" "$(sql "select class from results where job_id = $A")" package
check_eq "its raw results carry the agent's RSLT" \
	"$(sql "select raw->'result'->>'schema_version' from results where job_id = $A")" 1
check "the package outcome is a package outcome" grep -q -E \
	'^(passed|no_tests|import_failed|install_failed)$' "$(sql "select outcome from results where job_id = $A" >"$TMP/o"; echo "$TMP/o")"

# retried WHAT INFRA VIRSH-COMMAND: a job whose VM gets VIRSH-COMMAND in
# the middle of it is retried and done, its first try recorded as INFRA
retried() {
	j=$(enqueue "$HELLO")
	wait_running "$j"
	vsh "$3" pyti-t-$P-0 >/dev/null
	wait_done "$j"
	check_eq "$1: retried and done" "$(sql "select class from results where job_id = $j")" package
	check_eq "the first try is recorded as $2" "$(first_infra "$j")" "$2"
}
retried "VM destroyed mid-job" vm-died destroy
retried "guest panic" vm-crashed inject-nmi
retried "hung guest" agent-silent suspend

E=$(enqueue "$FLOOD")
wait_done "$E"
check_eq "an output flood is the package's own business" \
	"$(sql "select class from results where job_id = $E")" package
check "its stored results stay within the caps" \
	test "$(sql "select octet_length(raw::text) from results where job_id = $E")" -lt $((20 * 1024 * 1024))

F=$(enqueue "$HELLO")
wait_running "$F"
kill -9 "$(cat "$TMP/runner.pid")"
runner_start
wait_done "$F"
check_eq "runner killed mid-job: the job is done after the rescue" \
	"$(sql "select string_agg(ending, ',' order by fence) from job_attempts where job_id = $F")" "rescued,done"

G=$(enqueue "$HELLO")
wait_done "$G"
check_eq "the VM is back in the pool after all that" "$(sql "select class from results where job_id = $G")" package

# A two-stage job: the first stage builds the sdist and hands the wheel
# back; the second stage installs that wheel (no build), and, to compare
# (make test-long), a second stage built from the sdist again.
SDIST=$(store_dist "$TMP/dist/pytibuilt-1.0.tar.gz")
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
