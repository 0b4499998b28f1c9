# tests/helper/postgres.sh: sourced (after tests/lib.sh) by the tests that
# need a PostgreSQL of their own: a throwaway cluster on a unix socket in
# $TMP (tests/helper/postgres/start), stopped when the test ends, a config
# file naming it, and the schema migrated by pyti-db.
#
#	. "$TOP/tests/helper/postgres.sh"
#	pg_need                         # skip unless PostgreSQL 15 and root
#	pg_start "$TMP/pg"              # sets PG_CI, the conninfo
#	pg_config "$TMP/pyti.conf"      # [database] conninfo; $PYTI_CONFIG
#	cat >>"$PYTI_CONFIG" <<CONF     # (more sections, if any)
#	pg_migrate "$TMP/migrate.log"   # pyti-db migrate, or Bail out!
#	pg_sql "select count(*) from jobs"

# pg_need: skip the whole test unless psql, PostgreSQL 15's server and
# root (the server runs as the user postgres) are there.
pg_need() {
	need psql
	[ -x /usr/lib/postgresql/15/bin/initdb ] ||
		skip_all "needs PostgreSQL 15 (make deps)"
	[ "$(id -u)" -eq 0 ] || skip_all "needs root to run PostgreSQL as postgres"
}

# pg_start DIR: start the cluster in DIR and stop it (at once) when the
# test ends; PG_CI is its conninfo. A server that does not start bails out.
pg_start() {
	chmod 755 "$TMP"
	PG_CI=$("$TOP/tests/helper/postgres/start" "$1") || {
		echo "Bail out! cannot start PostgreSQL"
		exit 1
	}
	at_exit "'$TOP/tests/helper/postgres/stop' '$1' immediate"
}

# pg_config FILE: write FILE with the [database] section for PG_CI and
# export it as PYTI_CONFIG.
pg_config() {
	export PYTI_CONFIG=$1
	printf '[database]\nconninfo = %s\n' "$PG_CI" >"$PYTI_CONFIG"
}

# pg_migrate LOG: apply sql/ with pyti-db (under $PYTI_CONFIG); a failure
# shows LOG and bails out.
pg_migrate() {
	need pyti-db
	pyti-db migrate >"$1" 2>&1 || {
		cat "$1" >&2
		echo "Bail out! pyti-db migrate failed"
		exit 1
	}
}

# pg_sql SQL: run SQL, print unaligned tuples only; stops at an error.
pg_sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$PG_CI" -c "$1"; }
