# tests/helper/queue.sh: sourced by the VM tests (after tests/lib.sh and
# tests/helper/images.sh; it sources tests/helper/postgres.sh) that run many jobs through the production path:
# a throwaway PostgreSQL queue, the runner's content-addressed store, and
# `pyti-run` as a daemon with a pool of VMs that boot once, are saved, and
# are restored per job (docs/runner.md). Each job is checked afterwards by
# tests/helper/check-findings against its own expectations.
#
#	queue_need                       # or skip_all: QEMU, root, bin/
#	ensure_images debian-12
#	queue_setup debian-12 2          # PostgreSQL, libvirtd, config, migrate
#	queue_add NAME EXPECT SPEC DIST  # store DIST, enqueue it with SPEC's
#	                                 # extra keys ("tasks", "limits")
#	plan $((QUEUE_JOBS + 3))
#	queue_run 1500                   # the daemon until idle, bounded
#	queue_check                      # one TAP point per job, plus 3
#
# Every job must end done with exactly one results row: a job that ended
# dead, is still queued or running when the bound ran out, or has no
# package result, is a failure (never a skip).

. "$TOP/tests/helper/postgres.sh"

QUEUE_DIR=$TMP/queue
QUEUE_JOBS=0

# queue_need: skip the test unless this host can run queue.sh's pool: QEMU,
# curl, the runner, pyti-db and the agent built, root (libvirtd and
# PostgreSQL).
queue_need() {
	need qemu-system-x86_64 curl
	[ -x "$BIN/pyti-run" ] || skip_all "bin/pyti-run is not built"
	[ -x "$BIN/pyti-db" ] || skip_all "bin/pyti-db is not built"
	[ -x "$BIN/pyti-agent" ] || skip_all "bin/pyti-agent is not built"
	[ "$(id -u)" = 0 ] || skip_all "needs root for libvirtd and PostgreSQL"
}

# queue_setup PLATFORM VMS: start PostgreSQL and a private libvirtd, write
# $PYTI_CONFIG for a pool of VMS VMs of PLATFORM, migrate the schema.
queue_setup() {
	QUEUE_PLATFORM=$1
	QUEUE_VMS=$2
	pg_need
	start_libvirt
	mkdir -p "$QUEUE_DIR/store" "$QUEUE_DIR/res"
	pg_start "$QUEUE_DIR/pg"
	QUEUE_CI=$PG_CI
	pg_config "$QUEUE_DIR/pyti.conf"
	# hello-timeout/boot-timeout: a pool booting under TCG on a loaded
	# 2-core machine; job-timeout bounds one job (a good package runs
	# every task); one infra retry, one attempt: an infrastructure failure
	# ends the job dead at once instead of looping until the bound.
	cat >>"$PYTI_CONFIG" <<CONF
[runner]
name = q
uri = $LIBVIRT_URI
accel = $ACCEL
state-dir = $LIBVIRT_STATE
spool = $QUEUE_DIR/spool
store = $QUEUE_DIR/store
lease = 60s
poll = 500ms
silence-timeout = 60s
hello-timeout = 120s
boot-timeout = 300s
job-timeout = ${PYTI_QUEUE_JOB_TIMEOUT:-900s}
infra-retries = 1
[platform $QUEUE_PLATFORM]
memory = 1024M
CONF
	pg_migrate "$QUEUE_DIR/migrate.log"
	: >"$QUEUE_DIR/jobs"
}

# queue_add NAME EXPECT SPEC DIST [DEP...]: put DIST (and DEPs) into the
# store under their sha256, enqueue one job whose spec is SPEC (a JSON
# object, "" for none: its "tasks" and "limits" reach the agent) plus the
# files; NAME and the expectations file EXPECT are kept for queue_check.
queue_add() {
	name=$1
	expect=$2
	extra=${3:-"{}"}
	shift 3
	spec=$("$PYTHON" - "$QUEUE_DIR/store" "$extra" "$@" <<'PY'
import hashlib, json, os, shutil, sys
store, extra, files = sys.argv[1], json.loads(sys.argv[2] or "{}"), sys.argv[3:]
def put(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    sha = h.hexdigest()
    os.makedirs(os.path.join(store, sha[:2]), exist_ok=True)
    shutil.copyfile(path, os.path.join(store, sha[:2], sha))
    return {"name": os.path.basename(path), "size": os.path.getsize(path),
            "sha256": sha}
spec = dict(extra)
spec["dist"] = put(files[0])
spec["deps"] = [put(f) for f in files[1:]]
print(json.dumps(spec, separators=(",", ":")))
PY
	) || { echo "Bail out! cannot store $1"; exit 1; }
	id=$(pyti-db enqueue --platform "$QUEUE_PLATFORM" \
		--python "${QUEUE_PYTHON:-3.11}" --max-attempts 1 "$spec") ||
		{ echo "Bail out! cannot enqueue $name"; exit 1; }
	echo "$name $id $expect" >>"$QUEUE_DIR/jobs"
	QUEUE_JOBS=$((QUEUE_JOBS + 1))
}

# queue_run SECONDS: run the daemon with the pool until no job is left
# (--exit-when-idle), killed after SECONDS. Sets QUEUE_STATUS, QUEUE_SECS.
queue_run() {
	s=$(date +%s)
	timeout -k 10 "$1" pyti-run -f --exit-when-idle 3 \
		--set "platform $QUEUE_PLATFORM.vms=$QUEUE_VMS" \
		>"$QUEUE_DIR/runner.log" 2>&1
	QUEUE_STATUS=$?
	QUEUE_SECS=$(($(date +%s) - s))
	diag "$QUEUE_JOBS jobs on $QUEUE_VMS VMs of $QUEUE_PLATFORM: $QUEUE_SECS s" \
		"(pyti-run exit $QUEUE_STATUS; $(uptime | sed 's/.*load/load/'))"
}

qsql() { pg_sql "$1"; }

# queue_check: one TAP point per job (its outcome and findings against its
# expectations), then: the daemon exited cleanly, every job is done, and
# every job has exactly one results row.
queue_check() {
	while read -r name id expect; do
		out=$QUEUE_DIR/res/$name.json
		qsql "select raw from results where job_id = $id" >"$out"
		info=$(qsql "select j.state || ' ' || coalesce(round(r.duration_ms / 1000.0)::text, '-')
			from jobs j left join results r on r.job_id = j.id where j.id = $id")
		state=${info% *}
		secs=${info#* }
		if [ ! -s "$out" ]; then
			not_ok "$name: no results (job $id $state)"
			diag "last error: $(qsql "select coalesce(last_error, '') from jobs where id = $id")"
		elif "$TOP/tests/helper/check-findings" "$expect" "$out" \
			>"$out.check" 2>&1; then
			ok "$name: $(cat "$out.check") (${secs} s)"
		else
			not_ok "$name: declared outcome and findings (job $id $state, ${secs} s)"
			diag "$(cat "$out.check")"
		fi
	done <"$QUEUE_DIR/jobs"
	if [ "$QUEUE_STATUS" = 0 ]; then
		ok "the daemon drained the queue and exited ($QUEUE_SECS s)"
	else
		not_ok "the daemon drained the queue and exited"
		diag "pyti-run exit $QUEUE_STATUS (124: killed at the time bound)" \
			"$(tail -n 20 "$QUEUE_DIR/runner.log")"
	fi
	check_eq "every job is done (none queued, running or dead)" \
		"$(qsql "select coalesce(string_agg(state || ':' || n, ' '), '') from
			(select state, count(*) n from jobs where state <> 'done'
			 group by state order by state) s")" ""
	check_eq "exactly one results row per job" \
		"$(qsql "select (select count(*) from jobs) || ' ' ||
			(select count(distinct job_id) from results) || ' ' ||
			(select count(*) from results)")" \
		"$QUEUE_JOBS $QUEUE_JOBS $QUEUE_JOBS"
}
