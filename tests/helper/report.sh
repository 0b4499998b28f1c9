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

report_setup() {
	need psql pyti-db pyti-report
	[ -x /usr/lib/postgresql/15/bin/initdb ] ||
		skip_all "needs PostgreSQL 15 (make deps)"
	[ "$(id -u)" -eq 0 ] || skip_all "needs root to run PostgreSQL as postgres"
	chmod 755 "$TMP"
	REPORT_PG=$TMP/pg
	REPORT_CI=$("$TOP/tests/helper/postgres/start" "$REPORT_PG") || {
		echo "Bail out! cannot start PostgreSQL"
		exit 1
	}
	at_exit "'$TOP/tests/helper/postgres/stop' '$REPORT_PG' immediate"
	export PYTI_CONFIG=$TMP/pyti.conf
	cat >"$PYTI_CONFIG" <<CONF
[database]
conninfo = $REPORT_CI
CONF
	pyti-db migrate >"$TMP/migrate.log" 2>&1 || {
		cat "$TMP/migrate.log" >&2
		echo "Bail out! pyti-db migrate failed"
		exit 1
	}
	REPORT_FIRST_JOB=1
}

rsql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$REPORT_CI" -c "$1"; }

# fixture: the script on stdin through tests/helper/report-fixture into
# the database; job ids continue from the last call.
fixture() {
	"$TOP/tests/helper/report-fixture" --first-job "$REPORT_FIRST_JOB" \
		>"$TMP/fixture.sql" || { echo "Bail out! fixture"; exit 1; }
	psql -X -q -v ON_ERROR_STOP=1 -d "$REPORT_CI" -f "$TMP/fixture.sql" \
		>/dev/null || { echo "Bail out! fixture SQL"; exit 1; }
	REPORT_FIRST_JOB=$(($(rsql "select coalesce(max(id), 0) from jobs") + 1))
}
