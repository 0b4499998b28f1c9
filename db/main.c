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
#include "db.h"
#include "db_queue.h"
#include "jx.h"
#include "log.h"
#include "num.h"
#include "os.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: pyti-db [--config FILE] [--set SECTION.KEY=VALUE]... "
	        "COMMAND\n"
	        "  migrate [--dir DIR]     apply pending sql/NNN-*.sql "
	        "migrations\n"
	        "  enqueue --platform P --python V [--priority N]\n"
	        "          [--max-attempts N] [--cell ID] SPEC   add a job "
	        "(SPEC: JSON, @FILE or -)\n"
	        "  status                  jobs per state, one 'state count' "
	        "line each\n"
	        "  rescue                  return expired leases now\n"
	        "The database is [database] conninfo (libpq syntax).\n");
}

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
	if (db_command(db, "record a migration",
	               "INSERT INTO schema_migrations (version, name)"
	               " VALUES ($1, $2)",
	               2, params, 0) ||
	    db_commit(db))
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

static int
cmd_enqueue(struct db *db, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"platform", required_argument, NULL, 'p'},
	    {"python", required_argument, NULL, 'y'},
	    {"priority", required_argument, NULL, 'r'},
	    {"max-attempts", required_argument, NULL, 'm'},
	    {"cell", required_argument, NULL, 'l'},
	    {NULL, 0, NULL, 0},
	};
	const char *platform = NULL, *python = NULL, *arg;
	int64_t prio = 0, maxa = DB_JOB_MAX_ATTEMPTS, cell = 0, id;
	struct db_job job;
	struct buf spec = BUF_INIT(SPEC_MAX);
	json_t *j;
	int o, ret = -1;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			platform = optarg;
			break;
		case 'y':
			python = optarg;
			break;
		case 'r':
			if (num_parse_i64(optarg, -1000000, 1000000, &prio))
				return log_error("bad --priority '%s'", optarg);
			break;
		case 'm':
			if (num_parse_i64(optarg, 1, 100, &maxa))
				return log_error("bad --max-attempts '%s'",
				                 optarg);
			break;
		case 'l':
			if (num_parse_i64(optarg, 1, INT64_MAX, &cell))
				return log_error("bad --cell '%s'", optarg);
			break;
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (!platform || !python || optind + 1 != argc) {
		usage(stderr);
		exit(2);
	}
	arg = argv[optind];
	if (strcmp(arg, "-") == 0) {
		if (os_read_file("/dev/stdin", &spec))
			goto out;
	} else if (arg[0] == '@') {
		if (os_read_file(arg + 1, &spec))
			goto out;
	} else if (buf_adds(&spec, arg)) {
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
	job.platform = platform;
	job.python = python;
	job.spec = buf_cstr(&spec);
	job.priority = (int)prio;
	job.max_attempts = (int)maxa;
	job.cell_id = cell;
	id = db_enqueue(db, &job);
	if (id > 0) {
		printf("%lld\n", (long long)id);
		ret = 0;
	}
out:
	buf_release(&spec);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"set", required_argument, NULL, 's'},
	    {"dir", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *cmd;
	char **sets = NULL, *dir = NULL;
	size_t nsets = 0, alloc = 0, i;
	struct cfg *cfg;
	struct db *db;
	int o, ret;

	log_set_prog("pyti-db");
	/* Stop at the command word: its own options follow it. */
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			config = optarg;
			break;
		case 's':
			XGROW(sets, nsets + 1, alloc);
			sets[nsets++] = optarg;
			break;
		case 'd':
			dir = xstrdup(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cfg = cfg_load_default(config);
	if (!cfg)
		return 1;
	for (i = 0; i < nsets; i++)
		if (cfg_set_override(cfg, sets[i]))
			return 1;
	free(sets);
	db = db_new_cfg(cfg);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "migrate") == 0) {
		if (argc == 3 && strcmp(argv[1], "--dir") == 0)
			dir = xstrdup(argv[2]);
		else if (argc != 1) {
			usage(stderr);
			return 2;
		}
		if (!dir)
			dir =
			    xstrdup(cfg_get(cfg, "database", "migrations", ""));
		if (!dir[0]) {
			free(dir);
			dir = default_sql_dir();
		}
		ret = cmd_migrate(db, dir);
	} else if (strcmp(cmd, "status") == 0 && argc == 1) {
		ret = cmd_status(db);
	} else if (strcmp(cmd, "rescue") == 0 && argc == 1) {
		int n = db_rescue(db);

		if (n >= 0)
			printf("%d\n", n);
		ret = n < 0 ? -1 : 0;
	} else if (strcmp(cmd, "enqueue") == 0) {
		ret = cmd_enqueue(db, argc, argv);
	} else {
		usage(stderr);
		return 2;
	}
	free(dir);
	db_free(db);
	cfg_free(cfg);
	return ret ? 1 : 0;
}
