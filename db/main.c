/*
 * pyti-db: the database's own tool. `migrate` applies the forward-only
 * migrations sql/NNN-what.sql that are not yet recorded in
 * schema_migrations, each in its own transaction, under an advisory lock
 * so two hosts migrating at once take turns; running it again does
 * nothing. `enqueue` adds a job by hand (tests, debugging), `status`
 * counts jobs per state, `rescue` runs the lease rescuer once.
 */
#include "buf.h"
#include "cfg.h"
#include "cli.h"
#include "db.h"
#include "db_queue.h"
#include "jx.h"
#include "log.h"
#include "num.h"
#include "os.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* pg_advisory_lock key of migrations: "pyti" in ASCII. */
#define MIGRATE_LOCK "1887007849"
#define MIGRATION_MAX (4 << 20)
#define SPEC_MAX (1 << 20)

/* sql/ next to the binary: <exe>/../sql. Owned string. */
static char *
default_sql_dir(void)
{
	char exe[PATH_MAX], out[PATH_MAX + 8];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return xstrdup("sql");
	exe[n] = '\0';
	snprintf(out, sizeof(out), "%s/../sql", dirname(exe));
	return xstrdup(out);
}

/* "NNN-what.sql" -> version NNN; -1 when the name is not a migration. */
static int
migration_version(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 9 || strcmp(name + n - 4, ".sql") != 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	if (name[3] != '-')
		return -1;
	for (i = 4; i < n - 4; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-_", name[i]))
			return -1;
	return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Apply one migration file in its own transaction, unless recorded. */
static int
apply(struct db *db, const char *dir, const char *name, int version, int *done)
{
	char path[PATH_MAX], sver[16], *m;
	const char *params[2] = {sver, name};
	struct buf text = BUF_INIT(MIGRATION_MAX);
	PGresult *r;
	int ret = -1, have;

	snprintf(sver, sizeof(sver), "%d", version);
	r = db_exec(db, "read schema_migrations",
	            "SELECT name FROM schema_migrations WHERE version = $1", 1,
	            params, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	have = PQntuples(r) > 0;
	if (have && strcmp(PQgetvalue(r, 0, 0), name) != 0)
		log_warn("migration %03d is recorded as '%s', the file is '%s'",
		         version, PQgetvalue(r, 0, 0), name);
	PQclear(r);
	if (have)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (os_read_file(path, &text) || db_begin(db))
		goto out;
	/*
	 * A migration is trusted text from the repository holding several
	 * statements, which only the simple-query protocol runs: the one
	 * place pyti passes a non-literal to PQexec.
	 */
	r = PQexec(db_conn(db), buf_cstr(&text));
	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		m = db_error(db, r);
		log_error("migration '%s' failed: %s", name, m);
		free(m);
		PQclear(r);
		db_rollback(db);
		goto out;
	}
	PQclear(r);
	if (db_command_commit(db, "record a migration",
	                      "INSERT INTO schema_migrations (version, name)"
	                      " VALUES ($1, $2)",
	                      2, params, 0))
		goto out;
	log_info("applied %s", name);
	(*done)++;
	ret = 0;
out:
	buf_release(&text);
	return ret;
}

static int
cmd_migrate(struct db *db, const char *dir)
{
	DIR *d = NULL;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	int ret = -1, done = 0, last = -1, locked = 0;

	d = opendir(dir);
	if (!d)
		return log_error("cannot open migrations '%s': %s", dir,
		                 strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strstr(e->d_name, ".sql"))
			continue;
		if (migration_version(e->d_name) < 0) {
			log_error("'%s/%s' is not named NNN-what.sql", dir,
			          e->d_name);
			goto out;
		}
		XGROW(names, n + 1, alloc);
		names[n++] = xstrdup(e->d_name);
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		int v = migration_version(names[i]);

		if (v == last) {
			log_error("two migrations numbered %03d", v);
			goto out;
		}
		last = v;
	}
	/* Session lock: held across the per-file transactions. */
	if (db_command(db, "take the migration lock",
	               "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", 0, NULL, 1))
		goto out;
	locked = 1;
	if (db_command(db, "create schema_migrations",
	               "CREATE TABLE IF NOT EXISTS schema_migrations ("
	               " version integer PRIMARY KEY, name text NOT NULL,"
	               " applied_at timestamptz NOT NULL DEFAULT now())",
	               0, NULL, 0))
		goto out;
	for (i = 0; i < n; i++)
		if (apply(db, dir, names[i], migration_version(names[i]),
		          &done))
			goto out;
	log_info("%d migration%s applied, %zu known", done,
	         done == 1 ? "" : "s", n);
	ret = 0;
out:
	if (locked)
		db_command(db, "release the migration lock",
		           "SELECT pg_advisory_unlock_all()", 0, NULL, 1);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return ret;
}

static int
cmd_status(struct db *db)
{
	PGresult *r;
	int i;

	r = db_exec(db, "count jobs",
	            "SELECT s, count(j.id) FROM unnest(ARRAY['queued',"
	            "'running','done','dead']) s LEFT JOIN jobs j ON"
	            " j.state = s GROUP BY s ORDER BY array_position("
	            "ARRAY['queued','running','done','dead'], s)",
	            0, NULL, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		printf("%s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return 0;
}

/* enqueue's options, gathered by opt(). */
struct ctx {
	const char *platform, *python;
	int64_t prio, maxa, cell;
};

enum { OPT_PLATFORM = 256, OPT_PYTHON, OPT_PRIORITY, OPT_MAXA, OPT_CELL };

static int
opt(struct cli *cli, int key, const char *arg)
{
	struct ctx *x = cli->ctx;

	switch (key) {
	case OPT_PLATFORM:
		x->platform = arg;
		return 0;
	case OPT_PYTHON:
		x->python = arg;
		return 0;
	case OPT_PRIORITY:
		if (num_parse_i64(arg, -1000000, 1000000, &x->prio))
			return log_error("bad --priority '%s'", arg);
		return 0;
	case OPT_MAXA:
		if (num_parse_i64(arg, 1, 100, &x->maxa))
			return log_error("bad --max-attempts '%s'", arg);
		return 0;
	case OPT_CELL:
		if (num_parse_i64(arg, 1, INT64_MAX, &x->cell))
			return log_error("bad --cell '%s'", arg);
		return 0;
	}
	return -1;
}

static int
run_enqueue(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct buf spec = BUF_INIT(SPEC_MAX);
	struct db_job job;
	struct db *db = NULL;
	int64_t id;
	json_t *j;
	int ret = 1;

	if (!x->platform || !x->python) {
		log_error("enqueue needs --platform and --python");
		return cli_usage(cli);
	}
	if (strcmp(argv[0], "-") == 0) {
		if (os_read_file("/dev/stdin", &spec))
			goto out;
	} else if (argv[0][0] == '@') {
		if (os_read_file(argv[0] + 1, &spec))
			goto out;
	} else if (buf_adds(&spec, argv[0])) {
		log_error("job spec is larger than %d bytes", SPEC_MAX);
		goto out;
	}
	j = jx_parse(buf_cstr(&spec), spec.len, "job spec");
	if (!j)
		goto out;
	if (!json_is_object(j)) {
		json_decref(j);
		log_error("job spec must be a JSON object");
		goto out;
	}
	json_decref(j);
	memset(&job, 0, sizeof(job));
	job.platform = x->platform;
	job.python = x->python;
	job.spec = buf_cstr(&spec);
	job.priority = (int)x->prio;
	job.max_attempts = (int)x->maxa;
	job.cell_id = x->cell;
	db = db_new_cfg(cli->cfg);
	id = db_enqueue(db, &job);
	if (id > 0) {
		printf("%lld\n", (long long)id);
		ret = 0;
	}
out:
	db_free(db);
	buf_release(&spec);
	return ret;
}

static int
run_migrate(struct cli *cli, int argc, char **argv)
{
	const char *dir = cfg_get(cli->cfg, "database", "migrations", "");
	struct db *db = db_new_cfg(cli->cfg);
	char *def = *dir ? NULL : default_sql_dir();
	int ret = cmd_migrate(db, def ? def : dir);

	free(def);
	db_free(db);
	return ret ? 1 : 0;
}

static int
run_status(struct cli *cli, int argc, char **argv)
{
	struct db *db = db_new_cfg(cli->cfg);
	int ret = cmd_status(db);

	db_free(db);
	return ret ? 1 : 0;
}

static int
run_rescue(struct cli *cli, int argc, char **argv)
{
	struct db *db = db_new_cfg(cli->cfg);
	int n = db_rescue(db, 0, 0, NULL, 0);

	db_free(db);
	if (n < 0)
		return 1;
	printf("%d\n", n);
	return 0;
}

static const struct cli_opt migrate_opts[] = {
    {"dir", 'd', CLI_ARG, "database.migrations", "DIR",
     "the migrations (default: sql/ beside the program's folder)", NULL},
    {0},
};

static const struct cli_opt enqueue_opts[] = {
    {"platform", OPT_PLATFORM, CLI_ARG, NULL, "P", "the job's platform", NULL},
    {"python", OPT_PYTHON, CLI_ARG, NULL, "V", "its Python (X.Y)", NULL},
    {"priority", OPT_PRIORITY, CLI_ARG, NULL, "N", "higher first (0)", NULL},
    {"max-attempts", OPT_MAXA, CLI_ARG, NULL, "N", "attempts (3)", NULL},
    {"cell", OPT_CELL, CLI_ARG, NULL, "ID", "the scheduler's cell it tests",
     NULL},
    {0},
};

static const struct cli_cmd cmds[] = {
    {"migrate", run_migrate, 0, 0, "[--dir DIR]",
     "apply pending sql/NNN-*.sql migrations", migrate_opts, 0},
    {"enqueue", run_enqueue, 1, 1, "--platform P --python V ... SPEC",
     "add a job (SPEC: JSON, @FILE or -); prints its id", enqueue_opts, 0},
    {"status", run_status, 0, 0, "",
     "jobs per state, one 'state count' line "
     "each",
     NULL, 0},
    {"rescue", run_rescue, 0, 0, "", "return expired leases now", NULL, 0},
    {0},
};

static const struct cli_prog prog = {
    .name = "pyti-db",
    .about =
        "The database's own tool: migrations, manual enqueue, queue status.",
    .cmds = cmds,
    .more = "The database is [database] conninfo (libpq syntax).\n",
    .opt = opt,
};

int
main(int argc, char **argv)
{
	struct ctx x = {NULL, NULL, 0, DB_JOB_MAX_ATTEMPTS, 0};

	return cli_main(&prog, &x, argc, argv);
}
