/*
 * pyti-report: options and configuration, then one command: load,
 * changes, mail, html, finish, summary (docs/reporter.md).
 */
#include "cfg.h"
#include "load.h"
#include "log.h"
#include "num.h"
#include "db.h"
#include "report.h"
#include "sweep.h"
#include "xalloc.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: pyti-report [-c FILE] [--set SECTION.KEY=VALUE]... "
	        "[-v|-q] COMMAND\n"
	        "  load [--batch N] [--limit N] [--retry-quarantined]\n"
	        "                         results rows into the report tables\n"
	        "  changes --sweep ID     each result against the previous one; "
	        "asks for re-runs\n"
	        "  mail --sweep ID        queue the sweep's digests, send or "
	        "spool the outbox\n"
	        "  html DIR [--sweep ID]  write the static site into DIR\n"
	        "  finish --sweep ID      mark the sweep done\n"
	        "  summary --sweep ID [--json]\n"
	        "                         the sweep's counts\n"
	        "The database is [database] conninfo (libpq syntax).\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"set", required_argument, NULL, 's'},
	    {"sweep", required_argument, NULL, 'S'},
	    {"batch", required_argument, NULL, 'b'},
	    {"limit", required_argument, NULL, 'l'},
	    {"retry-quarantined", no_argument, NULL, 'R'},
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct report_load_opts lo = {500, 0, 0, 60000};
	struct report_load_stats ls;
	const char *config = NULL, *cmd, *dir = NULL;
	char **sets = NULL;
	size_t nsets = 0, asets = 0, i;
	int64_t sweep = -1, v;
	int opt, json = 0, ret = 1;
	struct cfg *cfg;
	struct db *db;

	log_set_prog("pyti-report");
	while ((opt = getopt_long(argc, argv, "c:s:vqh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			XGROW(sets, nsets + 1, asets);
			sets[nsets++] = optarg;
			break;
		case 'S':
			if (num_parse_i64(optarg, 1, INT64_MAX, &sweep)) {
				log_error("--sweep must be a sweep id");
				return 2;
			}
			break;
		case 'b':
			if (num_parse_i64(optarg, 1, 100000, &v)) {
				log_error("--batch must be 1..100000");
				return 2;
			}
			lo.batch = (int)v;
			break;
		case 'l':
			if (num_parse_i64(optarg, 1, INT64_MAX, &lo.limit)) {
				log_error("--limit must be a positive number");
				return 2;
			}
			break;
		case 'R':
			lo.retry_quarantined = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_ERROR);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pyti-report 1\n");
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
	cmd = argv[optind++];
	if (strcmp(cmd, "html") == 0) {
		if (optind >= argc) {
			log_error("html needs a directory");
			return 2;
		}
		dir = argv[optind++];
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (strcmp(cmd, "load") && strcmp(cmd, "html") && sweep < 0) {
		if (strcmp(cmd, "changes") && strcmp(cmd, "mail") &&
		    strcmp(cmd, "finish") && strcmp(cmd, "summary")) {
			log_error("unknown command '%s'", cmd);
			usage(stderr);
			return 2;
		}
		log_error("%s needs --sweep ID", cmd);
		return 2;
	}
	cfg = cfg_load_default(config);
	if (!cfg)
		return 1;
	for (i = 0; i < nsets; i++)
		if (cfg_set_override(cfg, sets[i]))
			goto out_cfg;
	db = db_new_cfg(cfg);
	if (db_connect(db)) {
		db_free(db);
		goto out_cfg;
	}
	if (strcmp(cmd, "load") == 0) {
		if (report_load(db, &lo, &ls) == 0) {
			printf("loaded=%" PRId64 " quarantined=%" PRId64
			       " batches=%" PRId64 " reconnects=%" PRId64 "\n",
			       ls.loaded, ls.quarantined, ls.batches,
			       ls.reconnects);
			ret = 0;
		}
	} else if (strcmp(cmd, "finish") == 0) {
		ret = report_finish(db, sweep) == 0 ? 0 : 1;
	} else if (strcmp(cmd, "summary") == 0) {
		ret = report_summary(db, sweep, json, stdout) == 0 ? 0 : 1;
	} else if (strcmp(cmd, "changes") == 0) {
		ret = report_changes(db, cfg, sweep, stdout) == 0 ? 0 : 1;
	} else if (strcmp(cmd, "mail") == 0) {
		ret = report_mail(db, cfg, sweep, stdout) == 0 ? 0 : 1;
	} else if (strcmp(cmd, "html") == 0) {
		ret = report_html(db, cfg, dir, sweep) == 0 ? 0 : 1;
	} else {
		log_error("unknown command '%s'", cmd);
		usage(stderr);
		ret = 2;
	}
	db_free(db);
out_cfg:
	cfg_free(cfg);
	free(sets);
	return ret;
}
