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
#	report_mail_conf 'recipient-per-day = 100'   # [mail] and [report]
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
