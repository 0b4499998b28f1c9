/*
 * pyti-run: the option and command tables (common/cli.h), then
 * run_daemon() or run_test().
 */
#include "cli.h"
#include "daemon.h"
#include "log.h"
#include "num.h"
#include "settings.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_EXECUTOR = 256, OPT_SLOTS, OPT_IDLE, OPT_NMI };

struct ctx {
	struct run_daemon_options o;
	const char **plats;
	size_t nplats, aplats;
	int foreground;
	int64_t nmi;
};

static const struct cli_opt opts[] = {
    {"foreground", 'f', CLI_FLAG, NULL, NULL, "do not detach (log to stderr)",
     NULL},
    {"platform", 'p', CLI_ARG, NULL, "NAME",
     "serve only this platform (repeatable)", NULL},
    {"executor", OPT_EXECUTOR, CLI_ARG, NULL, "exec:CMD|chan:CMD",
     "run each job with /bin/sh -c CMD instead of a VM (exec: spec JSON on "
     "stdin, results JSON on stdout, non-zero exit: infrastructure "
     "failure; chan: CMD speaks the agent's channel on its stdin/stdout)",
     NULL},
    {"slots", OPT_SLOTS, CLI_ARG, NULL, "N",
     "slots per platform with exec (default 1)", NULL},
    {"exit-when-idle", OPT_IDLE, CLI_ARG, NULL, "SECS",
     "stop once idle for SECS and no job of its platforms is queued or "
     "running",
     NULL},
    {"nmi-after", OPT_NMI, CLI_ARG, NULL, "SECS",
     "(test) inject an NMI into the VM", NULL},
    {0},
};

/* A number in [1, max] for option `name`, or -1 (logged). */
static int
seconds(const char *name, const char *arg, int64_t max, int64_t *out)
{
	if (num_parse_i64(arg, 1, max, out))
		return log_error("--%s must be 1..%lld", name, (long long)max);
	return 0;
}

static int
opt(struct cli *cli, int key, const char *arg)
{
	struct ctx *x = cli->ctx;
	int64_t v;

	switch (key) {
	case 'f':
		x->foreground = 1;
		return 0;
	case 'p':
		XGROW(x->plats, x->nplats + 1, x->aplats);
		x->plats[x->nplats++] = arg;
		return 0;
	case OPT_EXECUTOR:
		if ((strncmp(arg, "exec:", 5) != 0 &&
		     strncmp(arg, "chan:", 5) != 0) ||
		    !arg[5])
			return log_error("--executor must be exec:CMD or "
			                 "chan:CMD");
		x->o.exec_cmd = arg + 5;
		x->o.exec_chan = arg[0] == 'c';
		return 0;
	case OPT_SLOTS:
		if (seconds("slots", arg, 64, &v))
			return -1;
		x->o.exec_slots = (int)v;
		return 0;
	case OPT_IDLE:
		if (seconds("exit-when-idle", arg, 86400, &v))
			return -1;
		x->o.exit_idle_s = (int)v;
		return 0;
	case OPT_NMI:
		return seconds("nmi-after", arg, 86400, &x->nmi);
	}
	return -1;
}

static int
run_pool(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct run_settings s;
	int ret;

	if (run_settings_load(cli->cfg, x->plats, (int)x->nplats, &s))
		return 1;
	if (!x->foreground) {
		log_set_timestamps(1);
		if (daemon(1, 1)) {
			run_settings_release(&s);
			return log_error("cannot detach");
		}
	}
	ret = run_daemon(&s, &x->o) ? 1 : 0;
	run_settings_release(&s);
	return ret;
}

static int
run_one(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct run_settings s;
	int ret;

	if (x->nplats != 1) {
		log_error("test needs one --platform");
		return cli_usage(cli);
	}
	if (run_settings_load(cli->cfg, x->plats, 1, &s))
		return 1;
	ret = run_test(&s, x->plats[0], argv, argc, (int)x->nmi);
	run_settings_release(&s);
	return ret;
}

static const struct cli_cmd cmds[] = {
    {NULL, run_pool, 0, 0, "", "run the daemon", NULL, 0},
    {"test", run_one, 1, -1, "--platform P DIST [DEP...]",
     "run one job for local files on a fresh VM", NULL, 0},
    {0},
};

static const struct cli_prog prog = {
    .name = "pyti-run",
    .about = "Drains the job queue into a pool of VMs per platform "
             "(docs/runner.md).",
    .opts = opts,
    .cmds = cmds,
    .more =
        "test prints the raw results document (docs/runner.md) on stdout; exit "
        "0 for a\npackage outcome, 1 for an infrastructure outcome.\n",
    .opt = opt,
};

int
main(int argc, char **argv)
{
	struct ctx x;
	int ret;

	memset(&x, 0, sizeof(x));
	x.o.exec_slots = 1;
	ret = cli_main(&prog, &x, argc, argv);
	free(x.plats);
	return ret;
}
