/*
 * PostgreSQL access for every program that talks to the database (the
 * runner, pyti-db, the scheduler, the reporter): one libpq connection,
 * made lazily, dropped when it breaks and made again on the next call;
 * statements only with $n parameters; errors as one line of text.
 *
 *	struct db *db = db_new_cfg(cfg);        (or db_new(conninfo))
 *	PGresult *r = db_exec(db, "count jobs",
 *	    "SELECT count(*) FROM jobs WHERE platform = $1", 1, params,
 *	    PGRES_TUPLES_OK);
 *	if (!r)
 *		return -1;              (logged: "cannot count jobs: ...")
 *	n = db_col_i64(r, 0, 0);
 *	PQclear(r);
 *	...
 *	db_free(db);
 *
 * Transactions: db_begin(), statements, db_commit(). A statement that
 * fails inside a transaction rolls it back at once (db_exec() does it), so
 * the caller only returns -1; db_rollback() is for giving up without an
 * error. A lost connection is noticed by the call that fails (-1, logged
 * once per outage, not on every retry); the next call reconnects. Nothing
 * is retried by itself: only the caller knows whether a statement is safe
 * to run twice.
 *
 * Only objects built with libpq's flags can include this header (the
 * Makefile gives them to common/db*.c and the programs that use the
 * database): the layering is the compiler's to enforce. One struct db per
 * thread.
 */
#ifndef PYTI_DB_H
#define PYTI_DB_H

#include <libpq-fe.h>
#include <stdint.h>

struct cfg;
struct db;

/* The conninfo used when the configuration names none. */
#define DB_DEFAULT_CONNINFO "dbname=pyti"

/*
 * A handle on conninfo (libpq syntax; copied). No connection is made yet,
 * so this cannot fail for a server that is down. Free with db_free().
 */
struct db *db_new(const char *conninfo);

/* The same for the configuration's [database] conninfo
 * (DB_DEFAULT_CONNINFO when absent). */
struct db *db_new_cfg(const struct cfg *cfg);

/* Close the connection and free; NULL is a no-op. */
void db_free(struct db *db);

/*
 * Connect now if not connected. Returns 0, or -1 (logged once per outage:
 * "cannot connect to the database: ..."; "database connection is back"
 * when it returns).
 */
int db_connect(struct db *db);

/*
 * Run one statement with n text parameters (NULL entries are SQL NULL)
 * and return its result (the caller PQclear()s it) when its status is
 * want. Otherwise NULL, logged as "cannot <what>: <server message>"; a
 * transaction in progress is rolled back, a broken connection dropped.
 */
PGresult *db_exec(struct db *db, const char *what, const char *sql, int n,
                  const char *const *params, ExecStatusType want);

/*
 * After a failed db_exec(): 1 when the server refused the statement for
 * good -- a data exception, a constraint, a program limit, a schema error
 * (its SQLSTATE class says so) -- so running it again would fail again; 0
 * for an outage or a transient refusal (connection lost, disk full,
 * deadlock, shutdown), which a later try may get through.
 */
int db_failed_permanently(const struct db *db);

/* db_exec() for a statement whose result is not needed (want
 * PGRES_COMMAND_OK, or PGRES_TUPLES_OK when tuples is set). Returns 0 or
 * -1 (logged). */
int db_command(struct db *db, const char *what, const char *sql, int n,
               const char *const *params, int tuples);

/* db_command() as the last statement of a transaction, then COMMIT.
 * Returns 0, or -1 (logged): the statement failed (the transaction is
 * rolled back) or the COMMIT did (as db_commit()). */
int db_command_commit(struct db *db, const char *what, const char *sql, int n,
                      const char *const *params, int tuples);

/* db_command() that counts: the rows the statement returned (tuples set:
 * a SELECT, or a RETURNING clause) or changed (an INSERT, UPDATE or
 * DELETE). Returns that number (>= 0), or -1 (logged). */
int64_t db_rows(struct db *db, const char *what, const char *sql, int n,
                const char *const *params, int tuples);

/* BEGIN / COMMIT / ROLLBACK. Return 0 or -1 (logged). A failed COMMIT
 * leaves nothing written (or, if the connection broke during it, an
 * unknown outcome: callers whose writes are not idempotent check). */
int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/*
 * An integer column (NULL or not an integer: 0 and a warning; use it on
 * columns of our own schema). A text column: db_col_str() returns NULL
 * for SQL NULL, the value borrowed from r otherwise.
 */
int64_t db_col_i64(const PGresult *r, int row, int col);
const char *db_col_str(const PGresult *r, int row, int col);

/*
 * The last error of the connection or of r (when not NULL), first line
 * only, as an owned string (free()). For messages the caller composes
 * itself.
 */
char *db_error(struct db *db, const PGresult *r);

/* The libpq connection for what this module does not wrap (COPY,
 * PQexec of a whole migration file), after db_connect() succeeded;
 * borrowed. */
PGconn *db_conn(struct db *db);

#endif
