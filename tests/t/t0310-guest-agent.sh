#!/bin/sh
# The guest agent in a real VM, without the runner: boot the image under
# QEMU, speak the protocol with tests/helper/guest-job over the agent's
# virtio-serial socket, and check the raw results of real jobs: a good
# sdist runs every task and passes with no hostile finding; a hostile sdist
# that reads a canary and writes ~/.bashrc is reported as such; the agent
# refuses files that do not match the spec (ERR_), and a used VM refuses a
# second job. Each job boots a fresh VM (the runner's snapshot cycle is
# tested in the runner's tests; the whole corpus in t0350).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
. "$TOP/tests/helper/guest-vm-job.sh"
need qemu-system-x86_64
[ -x "$BIN/pyti-agent" ] || skip_all "bin/pyti-agent is not built"
P=${PYTI_AGENT_PLATFORM:-debian-12}
BOOT_TIMEOUT=${PYTI_BOOT_TIMEOUT:-240}
JOB_TIMEOUT=${PYTI_JOB_TIMEOUT:-900}
ensure_images "$P"

plan 12

"$TOP/tests/helper/build-corpus" "$TMP/corpus" good-pass hostile-bashrc >"$TMP/corpus.log" 2>&1 ||
	{ cat "$TMP/corpus.log" >&2; echo "Bail out! build-corpus failed"; exit 1; }

job() { vm_job "$@"; }
res() { vm_res "$@"; }

good=$(ls "$TMP"/corpus/pyti_good_pass-1.0.tar.gz)
check "good sdist: the job completes (RSLT and DONE)" job good "$good"
res good "good sdist: outcome passed" "r['outcome'] == 'passed'"
res good "good sdist: every task ok" \
	"all(x['outcome'] == 'ok' for x in r['tasks'])"
res good "good sdist: per-case test results from JUnit" \
	"r['tests']['totals']['tests'] >= 1 and r['tests']['totals']['failed'] == 0 and all(c['outcome'] == 'passed' for c in r['tests']['cases'])"
res good "good sdist: coverage, lint, metadata, uninstall sections" \
	"r['coverage']['percent'] > 0 and r['lint']['lines'] > 0 and r['metadata']['max_score'] == 10 and r['uninstall']['leftovers'] == []"
res good "good sdist: no hostile finding" \
	"not r['hostile'] and not [f for f in r['findings'] if f['severity'] == 'critical']"
res good "good sdist: agent timestamps in order, one log per task that ran" \
	"r['timing']['job_received_ms'] <= r['timing']['files_received_ms'] <= r['timing']['first_task_started_ms'] <= r['timing']['last_task_ended_ms'] <= r['timing']['results_ready_ms'] and 'install.log' in r['_logs'] and r['_frames'].get('TASK', 0) == 20"
diag "good sdist: agent overhead $("$PYTHON" -c '
import json,sys; t=json.load(open(sys.argv[1]))["timing"]
print("setup %d ms, results %d ms" % (t["first_task_started_ms"]-t["files_received_ms"], t["results_ready_ms"]-t["last_task_ended_ms"]))' "$TMP/good.json" 2>/dev/null)"

bad=$(ls "$TMP"/corpus/pyti_hostile_bashrc-1.0.tar.gz)
check "hostile sdist: the job completes" job bashrc "$bad"
res bashrc "hostile sdist: ~/.bashrc write traced in build and seen in the fs diff" \
	"any(f['kind'] == 'persistence.bashrc' and f['task'] == 'build' for f in r['findings']) and any(f['kind'] == 'persistence.bashrc' and f['task'] == 'install' for f in r['findings']) and r['hostile']"

# A file that does not match its spec: ERR_, never a result.
cp "$good" "$TMP/pyti_good_pass-1.0.tar.gz"
printf 'x' >>"$TMP/pyti_good_pass-1.0.tar.gz"
boot_image "$P" mismatch
"$PYTHON" - "$TMP/mismatch.sock" "$TMP/pyti_good_pass-1.0.tar.gz" "$good" \
	"$BOOT_TIMEOUT" >"$TMP/mismatch.out" 2>&1 <<'PY'
import hashlib, json, os, socket, struct, sys, time
sock, bad, good, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
end = time.time() + timeout
s = socket.socket(socket.AF_UNIX)
while True:
    try:
        s.connect(sock); break
    except OSError:
        if time.time() > end: sys.exit("no socket")
        time.sleep(0.2)
def send(t, p): s.sendall(t + struct.pack(">I", len(p)) + p)
def recv():
    h = b""
    s.settimeout(max(1, end - time.time()))
    while len(h) < 8: h += s.recv(8 - len(h))
    n = struct.unpack(">I", h[4:])[0]
    assert n <= 65536, n
    p = b""
    while len(p) < n: p += s.recv(n - len(p))
    return h[:4], p
def hello(nonce):
    send(b"HELO", json.dumps({"version": 1, "nonce": nonce, "time_ms": int(time.time() * 1000)}).encode())
    while True:
        t, p = recv()
        if t == b"HELO" and json.loads(p)["nonce"] == nonce: return
hello("a")
g = open(good, "rb").read()
spec = {"version": 1, "job_id": "mismatch", "dist": {"name": os.path.basename(bad), "size": len(g), "sha256": hashlib.sha256(g).hexdigest()}}
send(b"JOB_", json.dumps(spec).encode())
b = open(bad, "rb").read()
n = os.path.basename(bad).encode()
send(b"FILE", bytes([len(n)]) + n + b"\0" + b)
t, p = recv()
print(t.decode(), json.loads(p).get("error"))
t, p = recv()
print(t.decode())
# a used VM refuses the next session
send(b"HELO", json.dumps({"version": 1, "nonce": "b", "time_ms": 0}).encode())
t, p = recv()
print(t.decode(), json.loads(p).get("error"))
PY
kill -9 "$BOOT_PID" 2>/dev/null
check_grep "a file whose sha256 does not match the spec is refused (ERR_)" \
	"^ERR_ file 'pyti_good_pass-1.0.tar.gz': .* sha256" "$TMP/mismatch.out"
check_grep "... followed by DONE" "^DONE" "$TMP/mismatch.out"
check_grep "a used VM answers a new HELO with ERR_" "^ERR_ this VM already ran a job" \
	"$TMP/mismatch.out"
