#!/bin/sh
# pyti-db and common/db against a real PostgreSQL: migrations apply once;
# enqueue with and without a cell (jobs.cell_id), refused cleanly when the
# spec or the cell is bad; a stopped server is a clear error and exit 1,
# and the next run after a restart works.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/postgres.sh"
pg_need
need pyti-db
plan 10

PG=$TOP/tests/helper/postgres
pg_start "$TMP/pg"
pg_config "$TMP/pyti.conf"
sql() { pg_sql "$1"; }

check "migrate applies every migration" pyti-db migrate
check_eq "migrate again applies none" \
	"$(pyti-db migrate 2>&1 | tail -n 1 | sed 's/.*: //')" \
	"0 migrations applied, $(ls "$TOP"/sql/[0-9][0-9][0-9]-*.sql | wc -l) known"

id=$(pyti-db enqueue --platform debian-12 --python 3.11 '{"project":"a"}')
check_eq "enqueue without a cell: a queued job, cell NULL" \
	"$(sql "select state || ' ' || coalesce(cell_id::text, 'null') from jobs where id = ${id:-0}")" \
	"queued null"

sweep=$(sql "insert into sweeps default values returning id")
cell=$(sql "insert into cells (sweep_id, project, platform, python,
	resolution, reason) values ($sweep, 'a', 'debian-12', '3.11', 'none', 'test') returning id")
id=$(pyti-db enqueue --platform debian-12 --python 3.11 --cell "$cell" \
	--priority 5 '{"project":"a","cell_id":'"$cell"'}')
check_eq "enqueue with a cell names it" \
	"$(sql "select cell_id || ' ' || priority from jobs where id = ${id:-0}")" \
	"$cell 5"

pyti-db enqueue --platform debian-12 --python 3.11 --cell 999999 '{}' \
	>"$TMP/out" 2>"$TMP/err"
check_eq "an unknown cell is refused (exit 1)" "$?" 1
check "... naming the foreign key" grep -q 'cannot enqueue a job:.*foreign key' "$TMP/err"
pyti-db enqueue --platform 'no space' --python 3.11 '{}' 2>"$TMP/err"
check_eq "a bad platform is refused by the schema (exit 1)" "$?" 1

"$PG/stop" "$TMP/pg" fast
pyti-db status >"$TMP/out" 2>"$TMP/err"
check_eq "server stopped: status exits 1" "$?" 1
check "... saying it cannot connect" \
	grep -q 'cannot connect to the database' "$TMP/err"
"$PG/restart" "$TMP/pg" fast || { echo "Bail out! cannot restart PostgreSQL"; exit 1; }
check_eq "after a restart: status counts the two jobs" \
	"$(pyti-db status | tr '\n' ' ')" "queued 2 running 0 done 0 dead 0 "
