# tests/helper/report.sh: sourced by the reporter's tests (tests/t/06xx)
# after tests/lib.sh. report_setup starts a throwaway PostgreSQL, writes
# $PYTI_CONFIG and migrates the schema (sql/).
#
#	report_setup
#	fixture <<'END'                  # tests/helper/report-fixture script
#	sweep
#	result foo 1.0 passed
#	END
#	rsql "select count(*) from report_results"
#	report_load_changes 2            # load, then changes of sweeps 1..2
#	report_matrix_fixture            # Foo.Bar's two sweeps, loaded
#	report_mail_conf 'recipient-per-day = 100'   # [mail] and [report]
#	report_serve serve               # $SRV, $PORT; log in $TMP/srv.out
#
# The PostgreSQL part is tests/helper/postgres.sh's (sourced here).

. "$TOP/tests/helper/postgres.sh"

report_setup() {
	pg_need
	need pyti-db pyti-report
	REPORT_PG=$TMP/pg
	pg_start "$REPORT_PG"
	REPORT_CI=$PG_CI
	pg_config "$TMP/pyti.conf"
	pg_migrate "$TMP/migrate.log"
	REPORT_FIRST_JOB=1
}

rsql() { pg_sql "$1"; }

# fixture: the script on stdin through tests/helper/report-fixture into
# the database; job ids continue from the last call.
fixture() {
	"$TOP/tests/helper/report-fixture" --first-job "$REPORT_FIRST_JOB" \
		>"$TMP/fixture.sql" || { echo "Bail out! fixture"; exit 1; }
	psql -X -q -v ON_ERROR_STOP=1 -d "$REPORT_CI" -f "$TMP/fixture.sql" \
		>/dev/null || { echo "Bail out! fixture SQL"; exit 1; }
	REPORT_FIRST_JOB=$(($(rsql "select coalesce(max(id), 0) from jobs") + 1))
}

# report_load_changes N: pyti-report load, then changes of sweeps 1..N.
report_load_changes() {
	pyti-report load >/dev/null || { echo "Bail out! load"; exit 1; }
	s=1
	while [ "$s" -le "$1" ]; do
		pyti-report changes --sweep "$s" >/dev/null ||
			{ echo "Bail out! changes --sweep $s"; exit 1; }
		s=$((s + 1))
	done
}

# report_matrix_fixture: the two sweeps of Foo.Bar that pyti-matrix and
# serve's /matrix read (t0603, t0608), loaded: 1.0, then 2.0 on three
# platforms, one of them an infrastructure outcome.
report_matrix_fixture() {
	fixture <<'END'
sweep
result Foo.Bar 1.0 passed
result Foo.Bar 1.0 tests_failed platform=debian-13 python=3.13
sweep
result Foo.Bar 2.0 passed
result Foo.Bar 2.0 tests_failed platform=debian-13 python=3.13 hostile=1
result Foo.Bar 2.0 vm-crashed platform=debian-11 python=3.9 cls=infra
END
	pyti-report load >/dev/null || { echo "Bail out! load"; exit 1; }
}

# report_mail_conf [LINE...]: a [mail] section writing into $TMP/outbox
# (no retry delay; LINEs added to it) and [report] base-url, appended to
# $PYTI_CONFIG.
report_mail_conf() {
	{
		printf '[mail]\nfrom = pyti@example.org\noutbox = %s/outbox\n' "$TMP"
		printf 'retry-after = 0s\ntimeout = 10s\n'
		for l in "$@"; do printf '%s\n' "$l"; done
		printf '[report]\nbase-url = https://pyti.example.org\n'
	} >>"$PYTI_CONFIG"
}

# report_serve COMMAND: `pyti-report COMMAND` (serve, or its older name
# unsubscribe-server) on a free loopback port with a 2 s connection
# timeout, killed at exit; waits (10 s at most) for its "listening on"
# line and sets SRV (its pid) and PORT. Its log is $TMP/srv.out.
report_serve() {
	pyti-report "$1" --listen 127.0.0.1:0 \
		--set report.unsubscribe-timeout=2s >"$TMP/srv.out" 2>&1 &
	SRV=$!
	at_exit "kill $SRV 2>/dev/null"
	i=0
	until grep -q '^listening on' "$TMP/srv.out" || [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	PORT=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$TMP/srv.out")
	[ -n "$PORT" ] || { cat "$TMP/srv.out" >&2; echo "Bail out! no server"; exit 1; }
}
