/*
 * pyti-matrix: the common startup path (common/cli.h) around
 * report_matrix(). Exit 0 when the package was found, 1 when it is
 * unknown (or on failure), 2 on a usage error.
 *
 * `--version V` is the release to show (the interface): it
 * replaces the common --version, so this program's build version is the
 * first line of --help instead.
 */
#include "cli.h"
#include "db.h"
#include "log.h"
#include "matrix.h"
#include "num.h"
#include "pep503.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION_MAX 128

enum { OPT_PACKAGE = 256, OPT_RELEASE, OPT_FORMAT, OPT_HISTORY };

struct ctx {
	struct report_matrix_opts mo;
	const char *package;
};

static int
opt(struct cli *cli, int key, const char *arg)
{
	struct ctx *x = cli->ctx;
	int64_t v;

	switch (key) {
	case OPT_PACKAGE:
		x->package = arg;
		return 0;
	case OPT_RELEASE:
		if (!*arg || strlen(arg) > VERSION_MAX)
			return log_error("--version must be 1..%d bytes",
			                 VERSION_MAX);
		x->mo.version = arg;
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "table") == 0)
			x->mo.format = REPORT_MATRIX_TABLE;
		else if (strcmp(arg, "json") == 0)
			x->mo.format = REPORT_MATRIX_JSON;
		else if (strcmp(arg, "csv") == 0)
			x->mo.format = REPORT_MATRIX_CSV;
		else
			return log_error("--format must be table, json or csv");
		return 0;
	case OPT_HISTORY:
		if (num_parse_i64(arg, 1, 1000, &v))
			return log_error("--history must be 1..1000");
		x->mo.history = (int)v;
		return 0;
	}
	return -1;
}

static int
run_matrix(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct db *db;
	char *norm;
	size_t n;
	int ret;

	(void)argc;
	(void)argv;
	if (!x->package) {
		log_error("--package NAME is required");
		return cli_usage(cli);
	}
	n = strlen(x->package);
	if (!pep503_valid(x->package, n)) {
		log_error("'%s' is not a valid project name", x->package);
		return cli_usage(cli);
	}
	norm = xmalloc(n + 1);
	pep503_normalize_to(norm, x->package, n);
	x->mo.project = norm;
	x->mo.color = x->mo.format == REPORT_MATRIX_TABLE &&
	              isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	db = db_new_cfg(cli->cfg);
	if (db_connect(db)) {
		db_free(db);
		free(norm);
		return 1;
	}
	ret = report_matrix(db, &x->mo, stdout);
	if (ret == REPORT_MATRIX_UNKNOWN)
		log_error("no results for '%s'%s%s", norm,
		          x->mo.version ? " version " : "",
		          x->mo.version ? x->mo.version : "");
	db_free(db);
	free(norm);
	return ret == 0 ? 0 : 1;
}

static const struct cli_opt opts[] = {
    {"package", OPT_PACKAGE, CLI_ARG, NULL, "NAME", "the project (required)",
     NULL},
    {"version", OPT_RELEASE, CLI_ARG, NULL, "V",
     "this release, not the latest tested one", NULL},
    {"format", OPT_FORMAT, CLI_ARG, NULL, "FMT", "table, json or csv (table)",
     NULL},
    {"history", OPT_HISTORY, CLI_ARG, NULL, "N",
     "also the last N results of each cell", NULL},
    {0},
};

static const struct cli_cmd cmds[] = {
    {NULL, run_matrix, 0, 0, "", "the package's matrix", NULL, 0},
    {0},
};

static const struct cli_prog prog = {
    .name = "pyti-matrix",
    .about = "The platform x Python matrix of a package's latest tested "
             "release (or --version V).",
    .opts = opts,
    .cmds = cmds,
    .more = "Exit 0 found, 1 unknown package, 2 usage error. The database "
            "is [database] conninfo.\n",
    .opt = opt,
};

int
main(int argc, char **argv)
{
	struct ctx x = {{NULL, NULL, REPORT_MATRIX_TABLE, 0, 0}, NULL};

	return cli_main(&prog, &x, argc, argv);
}
