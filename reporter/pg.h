/*
 * A small private libpq wrapper for the reporter, until common/'s db_
 * layer lands (issue 8); then this file goes and its callers use db_.
 * Every statement is parameterised; every failure is logged once here
 * with what was being done and libpq's first line.
 */
#ifndef PYTI_REPORT_PG_H
#define PYTI_REPORT_PG_H

#include <libpq-fe.h>
#include <stddef.h>

struct report_db;

/*
 * Connect with conninfo (copied). Returns a new handle (report_db_free)
 * or NULL (logged).
 */
struct report_db *report_db_open(const char *conninfo);

/* Close and free; NULL is a no-op. */
void report_db_free(struct report_db *db);

/* The connection (borrowed). */
PGconn *report_db_conn(struct report_db *db);

/*
 * Reconnect after the server went away: tries for up to wait_ms
 * milliseconds. Returns 0 or -1 (logged).
 */
int report_db_reconnect(struct report_db *db, int wait_ms);

/* Is the connection still usable? */
int report_db_ok(struct report_db *db);

/*
 * Run sql with n text parameters (NULL entries are SQL NULL). Returns the
 * result (PQclear it) when its status is PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK, else NULL with "cannot <what>: <message>" logged.
 */
PGresult *report_db_query(struct report_db *db, const char *what,
                          const char *sql, int n, const char *const *params);

/* As report_db_query for statements without rows: 0 or -1 (logged). */
int report_db_command(struct report_db *db, const char *what, const char *sql,
                      int n, const char *const *params);

/*
 * COPY data (text format, already escaped, len bytes) with the statement
 * "COPY table (cols) FROM STDIN". Returns 0 or -1 (logged).
 */
int report_db_copy(struct report_db *db, const char *what, const char *sql,
                   const char *data, size_t len);

/* The last statement error's first line ("" if none). Borrowed. */
const char *report_db_last_error(const struct report_db *db);

/* Does a table (or view) of that name exist? 1, 0, or -1 (logged). */
int report_db_has_table(struct report_db *db, const char *name);

/*
 * Has the column table.column? 1, 0, or -1 (logged).
 */
int report_db_has_column(struct report_db *db, const char *table,
                         const char *column);

#endif
