/*
 * PostgreSQL access (db.h) over libpq. The connection is made on first
 * use and after it broke; an outage is reported once and its end once,
 * so a daemon that retries every few seconds does not fill its log.
 */
#include "db.h"
#include "cfg.h"
#include "log.h"
#include "num.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db {
	char *conninfo;
	PGconn *conn;
	int down_logged; /* an outage was already reported */
	char state[6]; /* SQLSTATE of the last failed statement, "" when
			  the connection failed */
};

struct db *
db_new(const char *conninfo)
{
	struct db *db = xcalloc(1, sizeof(*db));

	db->conninfo = xstrdup(conninfo);
	return db;
}

struct db *
db_new_cfg(const struct cfg *cfg)
{
	return db_new(
	    cfg_get(cfg, "database", "conninfo", DB_DEFAULT_CONNINFO));
}

static void
drop(struct db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
}

void
db_free(struct db *db)
{
	if (!db)
		return;
	drop(db);
	free(db->conninfo);
	free(db);
}

char *
db_error(struct db *db, const PGresult *r)
{
	const char *m = r ? PQresultErrorMessage(r) : "";
	char *s;

	if (!*m)
		m = db->conn ? PQerrorMessage(db->conn) : "not connected";
	s = xstrdup(*m ? m : "unknown error");
	s[strcspn(s, "\n")] = '\0';
	return s;
}

int
db_connect(struct db *db)
{
	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	drop(db);
	db->conn = PQconnectdb(db->conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		char *msg = db_error(db, NULL);

		if (!db->down_logged)
			log_error("cannot connect to the database: %s", msg);
		db->down_logged = 1;
		free(msg);
		drop(db);
		return -1;
	}
	/* Our names resolve in our schema only (CVE-2018-1058 class), and
	 * the server's notices (IF NOT EXISTS...) stay out of our stderr.
	 * One round trip for both: a short-lived CLI (pyti-matrix) pays it
	 * on every call. */
	PQclear(PQexec(db->conn, "SET search_path = public;"
	                         "SET client_min_messages = warning"));
	if (db->down_logged)
		log_info("database connection is back");
	db->down_logged = 0;
	return 0;
}

PGresult *
db_exec(struct db *db, const char *what, const char *sql, int n,
        const char *const *params, ExecStatusType want)
{
	PGresult *r;
	char *msg;

	if (db_connect(db))
		return NULL;
	db->state[0] = '\0';
	r = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (r && PQresultStatus(r) == want)
		return r;
	if (r && PQstatus(db->conn) == CONNECTION_OK) {
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		snprintf(db->state, sizeof(db->state), "%s", st ? st : "");
	}
	msg = db_error(db, r);
	log_error("cannot %s: %s", what, msg);
	free(msg);
	PQclear(r);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		drop(db);
		db->down_logged = 1;
	} else if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		PQclear(PQexec(db->conn, "ROLLBACK"));
	}
	return NULL;
}

int
db_failed_permanently(const struct db *db)
{
	static const char *const transient[] = {
	    "08", /* connection exception */
	    "25", /* invalid transaction state (a broken session) */
	    "40", /* serialization failure, deadlock */
	    "53", /* insufficient resources: disk full, out of memory */
	    "55", /* lock not available, object in use */
	    "57", /* operator intervention: shutdown, cancel */
	    "58", /* system error: I/O */
	    "XX", /* internal error */
	    NULL};

	if (strlen(db->state) != 5)
		return 0;
	for (int i = 0; transient[i]; i++)
		if (strncmp(db->state, transient[i], 2) == 0)
			return 0;
	return 1;
}

int
db_command(struct db *db, const char *what, const char *sql, int n,
           const char *const *params, int tuples)
{
	PGresult *r = db_exec(db, what, sql, n, params,
	                      tuples ? PGRES_TUPLES_OK : PGRES_COMMAND_OK);

	PQclear(r);
	return r ? 0 : -1;
}

int
db_command_commit(struct db *db, const char *what, const char *sql, int n,
                  const char *const *params, int tuples)
{
	if (db_command(db, what, sql, n, params, tuples))
		return -1;
	return db_commit(db);
}

int64_t
db_rows(struct db *db, const char *what, const char *sql, int n,
        const char *const *params, int tuples)
{
	PGresult *r = db_exec(db, what, sql, n, params,
	                      tuples ? PGRES_TUPLES_OK : PGRES_COMMAND_OK);
	int64_t rows;

	if (!r)
		return -1;
	/* PQcmdTuples() is "" for a command that reports no count */
	rows = tuples ? PQntuples(r) : strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return rows;
}

int
db_begin(struct db *db)
{
	return db_command(db, "begin a transaction", "BEGIN", 0, NULL, 0);
}

int
db_commit(struct db *db)
{
	return db_command(db, "commit", "COMMIT", 0, NULL, 0);
}

int
db_rollback(struct db *db)
{
	if (!db->conn || PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return 0;
	return db_command(db, "roll back", "ROLLBACK", 0, NULL, 0);
}

int64_t
db_col_i64(const PGresult *r, int row, int col)
{
	int64_t v = 0;

	if (PQgetisnull(r, row, col) ||
	    num_parse_i64(PQgetvalue(r, row, col), INT64_MIN, INT64_MAX, &v))
		log_warn("unexpected integer '%s' from the database",
		         PQgetvalue(r, row, col));
	return v;
}

const char *
db_col_str(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

PGconn *
db_conn(struct db *db)
{
	return db->conn;
}
