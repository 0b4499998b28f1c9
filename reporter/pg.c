/*
 * The reporter's private libpq wrapper (pg.h): connection, checked
 * parameterised statements, COPY, reconnect. To be replaced by common/'s
 * db_ layer.
 */
#include "pg.h"

#include "log.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct report_db {
	PGconn *c;
	char *conninfo;
	char last_error[512];
};

static void
remember(struct report_db *db, const char *m)
{
	snprintf(db->last_error, sizeof(db->last_error), "%s", m);
}

const char *
report_db_last_error(const struct report_db *db)
{
	return db->last_error;
}

/* libpq's message, first line only. Owned. */
static char *
first_line(PGconn *c, const PGresult *r)
{
	char *m = xstrdup(r ? PQresultErrorMessage(r) : PQerrorMessage(c));

	m[strcspn(m, "\n")] = '\0';
	return m;
}

static PGconn *
connect_once(const char *conninfo, int quiet)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK) {
		if (!quiet) {
			char *m = first_line(c, NULL);

			log_error("cannot connect to the database: %s", m);
			free(m);
		}
		PQfinish(c);
		return NULL;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

struct report_db *
report_db_open(const char *conninfo)
{
	struct report_db *db;
	PGconn *c = connect_once(conninfo, 0);

	if (!c)
		return NULL;
	db = xcalloc(1, sizeof(*db));
	db->c = c;
	db->conninfo = xstrdup(conninfo);
	return db;
}

void
report_db_free(struct report_db *db)
{
	if (!db)
		return;
	PQfinish(db->c);
	free(db->conninfo);
	free(db);
}

PGconn *
report_db_conn(struct report_db *db)
{
	return db->c;
}

int
report_db_ok(struct report_db *db)
{
	return db->c && PQstatus(db->c) == CONNECTION_OK;
}

int
report_db_reconnect(struct report_db *db, int wait_ms)
{
	struct timespec pause = {0, 200 * 1000 * 1000};
	int waited = 0;

	PQfinish(db->c);
	db->c = NULL;
	for (;;) {
		db->c = connect_once(db->conninfo, 1);
		if (db->c)
			return 0;
		if (waited >= wait_ms)
			break;
		nanosleep(&pause, NULL);
		waited += 200;
	}
	db->c = connect_once(db->conninfo, 0);
	return db->c ? 0 : -1;
}

PGresult *
report_db_query(struct report_db *db, const char *what, const char *sql,
                int n, const char *const *params)
{
	PGresult *r;
	ExecStatusType st;

	if (!db->c)
		return log_error("cannot %s: not connected", what), NULL;
	r = PQexecParams(db->c, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		char *m = first_line(db->c, r);

		log_error("cannot %s: %s", what, m);
		remember(db, m);
		free(m);
		PQclear(r);
		return NULL;
	}
	return r;
}

int
report_db_command(struct report_db *db, const char *what, const char *sql,
                  int n, const char *const *params)
{
	PGresult *r = report_db_query(db, what, sql, n, params);

	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

int
report_db_copy(struct report_db *db, const char *what, const char *sql,
               const char *data, size_t len)
{
	PGresult *r;
	int ret = 0;

	if (!db->c)
		return log_error("cannot %s: not connected", what);
	r = PQexec(db->c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		char *m = first_line(db->c, r);

		log_error("cannot %s: %s", what, m);
		remember(db, m);
		free(m);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	while (len > 0) {
		int chunk = len > (1 << 20) ? (1 << 20) : (int)len;

		if (PQputCopyData(db->c, data, chunk) != 1) {
			ret = -1;
			break;
		}
		data += chunk;
		len -= (size_t)chunk;
	}
	if (PQputCopyEnd(db->c, ret ? "aborted" : NULL) != 1)
		ret = -1;
	while ((r = PQgetResult(db->c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && ret == 0) {
			char *m = first_line(db->c, r);

			log_error("cannot %s: %s", what, m);
			remember(db, m);
			free(m);
			ret = -1;
		}
		PQclear(r);
	}
	if (ret && PQstatus(db->c) != CONNECTION_OK)
		log_error("cannot %s: %s", what, "connection lost");
	return ret;
}

int
report_db_has_table(struct report_db *db, const char *name)
{
	const char *p[1] = {name};
	PGresult *r = report_db_query(db, "look up a table",
	                              "SELECT to_regclass($1) IS NOT NULL", 1,
	                              p);
	int ret;

	if (!r)
		return -1;
	ret = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return ret;
}

int
report_db_has_column(struct report_db *db, const char *table,
                     const char *column)
{
	const char *p[2] = {table, column};
	PGresult *r = report_db_query(
	    db, "look up a column",
	    "SELECT count(*) FROM information_schema.columns"
	    " WHERE table_schema = current_schema() AND table_name = $1"
	    " AND column_name = $2",
	    2, p);
	int ret;

	if (!r)
		return -1;
	ret = strcmp(PQgetvalue(r, 0, 0), "0") != 0;
	PQclear(r);
	return ret;
}
