/*
 * pyti-schedule: parse the command line and the configuration, then run
 * the scheduler (sched.c) in one of its modes.
 */
#include "cfg.h"
#include "log.h"
#include "sched.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pyti-schedule [options] [--full | --package NAME...]\n"
    "       pyti-schedule --dry-run --json [--full | --package NAME...]\n"
    "       pyti-schedule --explain PROJECT [--platform P]\n"
    "       pyti-schedule --followups\n"
    "\n"
    "Schedules the open sweep (opening one if none): the projects whose\n"
    "serial moved since they were last scheduled, every project (--full)\n"
    "or the named ones, on every configured platform. The last line on\n"
    "stdout is 'sweep=<id> projects=<n> cells=<n> jobs=<n>'.\n"
    "--followups enqueues only the second stages of two-stage jobs whose\n"
    "first stage has finished, in their own cells' sweep; it opens no\n"
    "sweep (cron/pyti-nightly calls it after each round of jobs).\n"
    "\n"
    "options:\n"
    "  -c, --config FILE      configuration file (default $PYTI_CONFIG, "
    "/etc/pyti/pyti.conf)\n"
    "  --set SEC.KEY=VALUE    override one configuration value\n"
    "  --db DIR               the LMDB mirror ([mirror] db, [crawler] db)\n"
    "  --store DIR            the store of metadata files ([store] dir)\n"
    "  --full                 every project of the mirror\n"
    "  --package NAME         this project (repeatable; the rest of the\n"
    "                         arguments are names too)\n"
    "  --platform P           only platform P\n"
    "  --dry-run              no PostgreSQL: print the cells\n"
    "  --json                 as JSON lines (with --dry-run)\n"
    "  --explain PROJECT      why these files, or why none, in words\n"
    "  --followups            only the second stages of finished first\n"
    "                         stages\n"
    "  -v, --verbose / -q, --quiet   more / less logging\n"
    "  -h, --help             this text\n"
    "  --version              the version\n"
    "\n"
    "Exit status: 0 ok, 1 failure, 2 usage.\n";

enum {
	OPT_SET = 256,
	OPT_DB,
	OPT_STORE,
	OPT_FULL,
	OPT_PACKAGE,
	OPT_PLATFORM,
	OPT_DRY,
	OPT_JSON,
	OPT_EXPLAIN,
	OPT_FOLLOWUPS,
	OPT_VERSION,
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"set", required_argument, NULL, OPT_SET},
	    {"db", required_argument, NULL, OPT_DB},
	    {"store", required_argument, NULL, OPT_STORE},
	    {"full", no_argument, NULL, OPT_FULL},
	    {"package", required_argument, NULL, OPT_PACKAGE},
	    {"platform", required_argument, NULL, OPT_PLATFORM},
	    {"dry-run", no_argument, NULL, OPT_DRY},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"explain", required_argument, NULL, OPT_EXPLAIN},
	    {"followups", no_argument, NULL, OPT_FOLLOWUPS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *db = NULL, *store = NULL;
	char *explain = NULL;
	char **sets = calloc((size_t)argc + 1, sizeof(*sets));
	char **pkgs = calloc((size_t)argc + 1, sizeof(*pkgs));
	size_t nsets = 0, npkgs = 0;
	int opt, verbose = 0, quiet = 0, dry = 0, json = 0, followups = 0;
	int ret = 1;
	struct sched_opts o;
	struct cfg *c = NULL;
	enum log_level level;

	memset(&o, 0, sizeof(o));
	log_set_prog("pyti-schedule");
	if (!sets || !pkgs)
		log_die("out of memory");
	while ((opt = getopt_long(argc, argv, "c:vqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case OPT_SET:
			sets[nsets++] = optarg;
			break;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_STORE:
			store = optarg;
			break;
		case OPT_FULL:
			o.full = 1;
			break;
		case OPT_PACKAGE:
			pkgs[npkgs++] = optarg;
			break;
		case OPT_PLATFORM:
			o.platform = optarg;
			break;
		case OPT_DRY:
			dry = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_EXPLAIN:
			explain = optarg;
			break;
		case OPT_FOLLOWUPS:
			followups = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			ret = 0;
			goto out;
		case OPT_VERSION:
			puts("pyti-schedule 0.1");
			ret = 0;
			goto out;
		default:
			goto usage;
		}
	}
	/* names after --package are names too */
	while (optind < argc && npkgs)
		pkgs[npkgs++] = argv[optind++];
	if (optind < argc || (o.full && npkgs) || (json && !dry) ||
	    (dry && !json) || (explain && (dry || o.full || npkgs)) ||
	    (followups && (explain || dry || o.full || npkgs)))
		goto usage;
	if (followups) {
		o.mode = SCHED_FOLLOWUPS;
	} else if (explain) {
		o.mode = SCHED_EXPLAIN;
		pkgs[npkgs++] = explain;
	} else if (dry) {
		o.mode = SCHED_DRY_JSON;
		if (!o.full && !npkgs)
			o.full = 1; /* no sweep state without PostgreSQL */
	} else {
		o.mode = SCHED_ENQUEUE;
	}
	o.packages = npkgs ? pkgs : NULL;
	o.npackages = npkgs;
	c = cfg_load_default(config);
	if (!c)
		goto out;
	for (size_t i = 0; i < nsets; i++)
		if (cfg_set_override(c, sets[i]))
			goto out;
	if (db)
		cfg_set(c, "mirror", "db", db);
	if (store)
		cfg_set(c, "store", "dir", store);
	if (cfg_get(c, "log", "level", NULL)) {
		if (log_parse_level(cfg_get(c, "log", "level", NULL), &level))
			goto out;
		log_set_level(level);
	}
	if (verbose)
		log_set_level(LOG_DEBUG);
	if (quiet)
		log_set_level(LOG_WARN);
	if (sched_opts_from_cfg(&o, c))
		goto out;
	ret = sched_run(c, &o) < 0 ? 1 : 0;
	goto out;
usage:
	fputs(usage, stderr);
	ret = 2;
out:
	cfg_free(c);
	free(sets);
	free(pkgs);
	return ret;
}
