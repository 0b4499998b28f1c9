/*
 * pyti-schedule: the option table and the dispatch (common/cli.h); the
 * run is sched.c's.
 */
#include "cfg.h"
#include "cli.h"
#include "log.h"
#include "sched.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_DB = 256,
	OPT_STORE,
	OPT_FULL,
	OPT_PACKAGE,
	OPT_PLATFORM,
	OPT_DRY,
	OPT_JSON,
	OPT_EXPLAIN,
	OPT_FOLLOWUPS,
	OPT_WORKERS,
};

struct ctx {
	struct sched_opts o;
	char **pkgs; /* owned: --package values, then the arguments */
	size_t npkgs, apkgs;
	const char *explain;
	int dry, json, followups;
};

static const struct cli_opt opts[] = {
    {"db", OPT_DB, CLI_ARG, "mirror.db", "DIR",
     "the LMDB mirror ([mirror] db, else [crawler] db)", NULL},
    {"store", OPT_STORE, CLI_ARG, "store.dir", "DIR",
     "the store of metadata files ([store] dir)", NULL},
    {"full", OPT_FULL, CLI_FLAG, NULL, NULL, "every project of the mirror",
     NULL},
    {"package", OPT_PACKAGE, CLI_ARG, NULL, "NAME",
     "this project (repeatable; the arguments are names too)", NULL},
    {"platform", OPT_PLATFORM, CLI_ARG, NULL, "P", "only platform P", NULL},
    {"dry-run", OPT_DRY, CLI_FLAG, NULL, NULL, "no PostgreSQL: print the cells",
     NULL},
    {"json", OPT_JSON, CLI_FLAG, NULL, NULL, "as JSON lines (with --dry-run)",
     NULL},
    {"explain", OPT_EXPLAIN, CLI_ARG, NULL, "PROJECT",
     "why these files, or why none, in words", NULL},
    {"followups", OPT_FOLLOWUPS, CLI_FLAG, NULL, NULL,
     "only the second stages of finished first stages", NULL},
    {"workers", OPT_WORKERS, CLI_ARG, "schedule.workers", "N",
     "processes a --dry-run --json --full walk is split over", NULL},
    {0},
};

static void
add_pkg(struct ctx *x, const char *name)
{
	XGROW(x->pkgs, x->npkgs + 1, x->apkgs);
	x->pkgs[x->npkgs++] = xstrdup(name);
}

static int
opt(struct cli *cli, int key, const char *arg)
{
	struct ctx *x = cli->ctx;

	switch (key) {
	case OPT_FULL:
		x->o.full = 1;
		break;
	case OPT_PACKAGE:
		add_pkg(x, arg);
		break;
	case OPT_PLATFORM:
		x->o.platform = arg;
		break;
	case OPT_DRY:
		x->dry = 1;
		break;
	case OPT_JSON:
		x->json = 1;
		break;
	case OPT_EXPLAIN:
		x->explain = arg;
		break;
	default:
		x->followups = 1;
		break;
	}
	return 0;
}

static int
run(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct sched_opts *o = &x->o;

	/* names after --package are names too; without it none is taken */
	if (argc && !x->npkgs) {
		log_error("'%s': names are given with --package", argv[0]);
		return cli_usage(cli);
	}
	for (int i = 0; i < argc; i++)
		add_pkg(x, argv[i]);
	if ((o->full && x->npkgs) || x->json != x->dry ||
	    (x->explain && (x->dry || o->full || x->npkgs)) ||
	    (x->followups && (x->explain || x->dry || o->full || x->npkgs))) {
		log_error("these options do not go together");
		return cli_usage(cli);
	}
	if (x->followups) {
		o->mode = SCHED_FOLLOWUPS;
	} else if (x->explain) {
		o->mode = SCHED_EXPLAIN;
		add_pkg(x, x->explain);
	} else if (x->dry) {
		o->mode = SCHED_DRY_JSON;
		if (!o->full && !x->npkgs)
			o->full = 1; /* no sweep state without PostgreSQL */
	} else {
		o->mode = SCHED_ENQUEUE;
	}
	o->packages = x->npkgs ? x->pkgs : NULL;
	o->npackages = x->npkgs;
	if (sched_opts_from_cfg(o, cli->cfg))
		return 1;
	return sched_run(cli->cfg, o) < 0 ? 1 : 0;
}

static void
release(void *ctx)
{
	struct ctx *x = ctx;

	for (size_t i = 0; i < x->npkgs; i++)
		free(x->pkgs[i]);
	free(x->pkgs);
}

static const struct cli_cmd cmds[] = {
    {NULL, run, 0, -1, "[--full | --package NAME...]",
     "schedule the open sweep", NULL, 0},
    {0},
};

static const struct cli_prog prog = {
    .name = "pyti-schedule",
    .about =
        "Schedules the open sweep (opening one if none): the projects whose\n"
        "serial moved since they were last scheduled, every project (--full)\n"
        "or the named ones, on every configured platform. The last line on\n"
        "stdout is 'sweep=<id> projects=<n> cells=<n> jobs=<n>'.\n"
        "--dry-run --json prints the cells without PostgreSQL; --explain\n"
        "PROJECT says why in words; --followups enqueues only the second\n"
        "stages of two-stage jobs whose first stage has finished, in their\n"
        "own cells' sweep, opening none (docs/scheduler.md).",
    .opts = opts,
    .cmds = cmds,
    .more = "Exit status: 0 ok, 1 failure, 2 usage.\n",
    .opt = opt,
    .release = release,
};

int
main(int argc, char **argv)
{
	struct ctx x = {0};

	return cli_main(&prog, &x, argc, argv);
}
