/*
 * pyti-report: the command table for common/cli (one startup path), each
 * command one call into the reporter (docs/reporter.md).
 */
#include "cfg.h"
#include "cli.h"
#include "db.h"
#include "load.h"
#include "log.h"
#include "num.h"
#include "report.h"
#include "sweep.h"

#include <inttypes.h>
#include <stdio.h>

/* Options gathered by opt(). */
struct ctx {
	struct report_load_opts load;
	int64_t sweep;
	int json;
};

enum {
	OPT_SWEEP = 256,
	OPT_BATCH,
	OPT_LIMIT,
	OPT_RETRY,
	OPT_JSON,
	OPT_LISTEN,
	OPT_JOBS
};

static int
opt(struct cli *cli, int key, const char *arg)
{
	struct ctx *x = cli->ctx;
	int64_t v;

	switch (key) {
	case OPT_SWEEP:
		if (num_parse_i64(arg, 1, INT64_MAX, &x->sweep))
			return log_error("--sweep must be a sweep id, not '%s'",
			                 arg);
		return 0;
	case OPT_BATCH:
		if (num_parse_i64(arg, 1, 100000, &v))
			return log_error("--batch must be 1..100000");
		x->load.batch = (int)v;
		return 0;
	case OPT_LIMIT:
		if (num_parse_i64(arg, 1, INT64_MAX, &x->load.limit))
			return log_error("--limit must be a positive number");
		return 0;
	case OPT_RETRY:
		x->load.retry_quarantined = 1;
		return 0;
	case OPT_JOBS:
		if (num_parse_i64(arg, 1, 8, &v))
			return log_error("--jobs must be 1..8");
		x->load.jobs = (int)v;
		return 0;
	case OPT_JSON:
		x->json = 1;
		return 0;
	}
	return -1;
}

/* The database, connected, or NULL (logged). */
static struct db *
open_db(struct cli *cli)
{
	struct db *db = db_new_cfg(cli->cfg);

	if (db_connect(db)) {
		db_free(db);
		return NULL;
	}
	return db;
}

/* Commands that need --sweep. */
static int
need_sweep(struct cli *cli)
{
	struct ctx *x = cli->ctx;

	if (x->sweep > 0)
		return 0;
	log_error("%s needs --sweep ID", cli->cmd->name);
	return -1;
}

static int
run_load(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct report_load_stats st;
	struct db *db = open_db(cli);
	int ret = 1;

	if (!db)
		return 1;
	x->load.cfg = cli->cfg;
	if (report_load(db, &x->load, &st) == 0) {
		printf("loaded=%" PRId64 " quarantined=%" PRId64
		       " batches=%" PRId64 " reconnects=%" PRId64 "\n",
		       st.loaded, st.quarantined, st.batches, st.reconnects);
		ret = 0;
	}
	db_free(db);
	return ret;
}

/* changes, mail, finish, summary: --sweep, the database, one call. */
static int
run_sweep_cmd(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	const char *name = cli->cmd->name;
	struct db *db;
	int ret;

	if (need_sweep(cli))
		return cli_usage(cli);
	db = open_db(cli);
	if (!db)
		return 1;
	if (name[0] == 'c')
		ret = report_changes(db, cli->cfg, x->sweep, stdout);
	else if (name[0] == 'm')
		ret = report_mail(db, cli->cfg, x->sweep, stdout);
	else if (name[0] == 'f')
		ret = report_finish(db, x->sweep);
	else
		ret = report_summary(db, x->sweep, x->json, stdout);
	db_free(db);
	return ret == 0 ? 0 : 1;
}

static int
run_html(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct db *db = open_db(cli);
	int ret;

	if (!db)
		return 1;
	ret = report_html(db, cli->cfg, argv[0], x->sweep);
	db_free(db);
	return ret == 0 ? 0 : 1;
}

static const struct cli_opt load_opts[] = {
    {"batch", OPT_BATCH, CLI_ARG, NULL, "N", "results per transaction (500)",
     NULL},
    {"limit", OPT_LIMIT, CLI_ARG, NULL, "N", "stop after N results", NULL},
    {"jobs", OPT_JOBS, CLI_ARG, NULL, "N",
     "loaders in parallel on disjoint job ids (1; at most 8)", NULL},
    {"retry-quarantined", OPT_RETRY, CLI_FLAG, NULL, NULL,
     "empty the quarantine and try its rows again", NULL},
    {0},
};

/* summary's options; the other commands that take a sweep use the tail
 * of the same table (--sweep alone) */
static const struct cli_opt summary_opts[] = {
    {"json", OPT_JSON, CLI_FLAG, NULL, NULL, "one JSON object", NULL},
    {"sweep", OPT_SWEEP, CLI_ARG, NULL, "ID", "the sweep", NULL},
    {0},
};
#define sweep_opts (summary_opts + 1)

static int
run_unsub(struct cli *cli, int argc, char **argv)
{
	const char *listen_addr = cfg_get(cli->cfg, "report",
	                                  "unsubscribe-listen", "127.0.0.1:8025");
	uint64_t ms;
	struct db *db;
	int ret;

	(void)argc;
	(void)argv;
	if (cfg_get_duration_ms(cli->cfg, "report", "unsubscribe-timeout", 5000,
	                        &ms) || ms < 100 || ms > 600000)
		return log_error("[report] unsubscribe-timeout must be "
		                 "100ms..10min");
	db = open_db(cli);
	if (!db)
		return 1;
	ret = report_unsub_serve(db, listen_addr, (int)ms, stdout);
	db_free(db);
	return ret == 0 ? 0 : 1;
}

static const struct cli_opt unsub_opts[] = {
    {"listen", OPT_LISTEN, CLI_ARG, "report.unsubscribe-listen",
     "ADDR:PORT", "where to answer (127.0.0.1:8025; port 0: any)", NULL},
    {0},
};

static const struct cli_cmd cmds[] = {
    {"load", run_load, 0, 0, "[--batch N] [--jobs N] [--limit N] [--retry-quarantined]",
     "results rows into the report tables", load_opts, 0},
    {"changes", run_sweep_cmd, 0, 0, "--sweep ID",
     "each result against the previous one; asks for re-runs", sweep_opts,
     0},
    {"mail", run_sweep_cmd, 0, 0, "--sweep ID",
     "queue the sweep's digests, send or spool the outbox", sweep_opts, 0},
    {"html", run_html, 1, 1, "DIR [--sweep ID]",
     "write the static site into DIR (default: the newest sweep)",
     sweep_opts, 0},
    {"finish", run_sweep_cmd, 0, 0, "--sweep ID", "mark the sweep done",
     sweep_opts, 0},
    {"summary", run_sweep_cmd, 0, 0, "--sweep ID [--json]",
     "the sweep's counts", summary_opts, 0},
    {"serve", run_unsub, 0, 0, "[--listen ADDR:PORT]",
     "answer the mails' unsubscribe links and /matrix (HTTP, behind nginx)",
     unsub_opts, 0},
    {"unsubscribe-server", run_unsub, 0, 0, "[--listen ADDR:PORT]",
     "the same as serve (its older name)", unsub_opts, 0},
    {0},
};

static const struct cli_prog prog = {
    .name = "pyti-report",
    .about = "Results into report tables, what changed, maintainer mail, "
             "the static site.",
    .cmds = cmds,
    .more = "The database is [database] conninfo (libpq syntax); mail "
            "settings are [mail],\nthe site's address [report] base-url "
            "(docs/reporter.md).\n",
    .opt = opt,
};

int
main(int argc, char **argv)
{
	struct ctx x = {{500, 0, 0, 60000, 1, NULL}, -1, 0};

	return cli_main(&prog, &x, argc, argv);
}
