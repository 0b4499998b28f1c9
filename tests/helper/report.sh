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
