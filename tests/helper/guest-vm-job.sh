# tests/helper/guest-vm-job.sh: sourced by the guest tests that run a job
# in a VM of their own, without the runner (t0310, t0353, t0355), after
# tests/lib.sh and tests/helper/images.sh. Needs P (the platform),
# BOOT_TIMEOUT and JOB_TIMEOUT (seconds).

# vm_job NAME DIST [guest-job args...]: boot a fresh guest, run one job
# through tests/helper/guest-job, stop the VM. The raw results go to
# $TMP/NAME.json; returns guest-job's exit status (diagnostics on failure).
vm_job() {
	name=$1
	shift
	boot_image "$P" "$name"
	timeout -k 5 "$((JOB_TIMEOUT + BOOT_TIMEOUT))" \
		"$TOP/tests/helper/guest-job" "$TMP/$name.sock" "$@" \
		--timeout "$((JOB_TIMEOUT + BOOT_TIMEOUT))" \
		>"$TMP/$name.json" 2>"$TMP/$name.err"
	st=$?
	kill -9 "$BOOT_PID" 2>/dev/null
	wait "$BOOT_PID" 2>/dev/null
	[ $st = 0 ] || diag "$name: guest-job exit $st" "$(cat "$TMP/$name.err")" \
		"console:" "$(tail -n 15 "$TMP/$name.console" 2>/dev/null)"
	return $st
}

# vm_res NAME DESC PYTHON-EXPR: a check on the results of job NAME (r; t:
# tasks by name; k: finding kinds; d(task): the task's data). On failure
# it shows the outcome, the tasks and the tail of every log.
vm_res() {
	check "$2" "$PYTHON" -c "
import json, sys
r = json.load(open(sys.argv[1]))
t = {x['name']: x for x in r.get('tasks', [])}
k = [f['kind'] for f in r.get('findings', [])]
d = lambda n: t.get(n, {}).get('data', {})
ok = $3
if not ok:
    print(json.dumps({x: r.get(x) for x in ('outcome', 'outcome_reason', 'findings', 'tests', '_error')}, indent=1)[:4000])
    print({n: (x['outcome'], x['reason'], x.get('data')) for n, x in t.items()})
    for n, l in (r.get('_logs') or {}).items():
        print('---', n); print(l[-1500:])
sys.exit(0 if ok else 1)" "$TMP/$1.json"
}
