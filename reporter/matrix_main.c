/*
 * pyti-matrix: options and configuration, then report_matrix(). Exit 0
 * when the package was found, 1 when it is unknown (or on failure), 2 on
 * a usage error.
 */
#include "cfg.h"
#include "log.h"
#include "matrix.h"
#include "num.h"
#include "pep503.h"
#include "db.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION_MAX 128

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: pyti-matrix [-c FILE] [--set SECTION.KEY=VALUE]... "
	        "--package NAME\n"
	        "                   [--version V] [--format table|json|csv] "
	        "[--history N]\n"
	        "The platform x Python matrix of the package's latest tested "
	        "release (or V).\n"
	        "Exit 0 found, 1 unknown package, 2 usage error.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"set", required_argument, NULL, 's'},
	    {"package", required_argument, NULL, 'p'},
	    {"version", required_argument, NULL, 'V'},
	    {"format", required_argument, NULL, 'f'},
	    {"history", required_argument, NULL, 'H'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct report_matrix_opts mo = {NULL, NULL, REPORT_MATRIX_TABLE, 0, 0};
	const char *config = NULL, *package = NULL;
	char **sets = NULL, *norm = NULL;
	size_t nsets = 0, asets = 0, i, n;
	int64_t v;
	int opt, ret = 1;
	struct cfg *cfg;
	struct db *db;

	log_set_prog("pyti-matrix");
	while ((opt = getopt_long(argc, argv, "c:s:p:f:vqh", opts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			XGROW(sets, nsets + 1, asets);
			sets[nsets++] = optarg;
			break;
		case 'p':
			package = optarg;
			break;
		case 'V':
			if (!*optarg || strlen(optarg) > VERSION_MAX) {
				log_error("--version must be 1..%d bytes",
				          VERSION_MAX);
				free(sets);
				return 2;
			}
			mo.version = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0) {
				mo.format = REPORT_MATRIX_TABLE;
			} else if (strcmp(optarg, "json") == 0) {
				mo.format = REPORT_MATRIX_JSON;
			} else if (strcmp(optarg, "csv") == 0) {
				mo.format = REPORT_MATRIX_CSV;
			} else {
				log_error("--format must be table, json or csv");
				free(sets);
				return 2;
			}
			break;
		case 'H':
			if (num_parse_i64(optarg, 1, 1000, &v)) {
				log_error("--history must be 1..1000");
				free(sets);
				return 2;
			}
			mo.history = (int)v;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_ERROR);
			break;
		case 'h':
			usage(stdout);
			free(sets);
			return 0;
		default:
			usage(stderr);
			free(sets);
			return 2;
		}
	}
	if (!package || optind < argc) {
		if (!package)
			log_error("--package NAME is required");
		else
			log_error("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		free(sets);
		return 2;
	}
	n = strlen(package);
	if (!pep503_valid(package, n)) {
		log_error("'%s' is not a valid project name", package);
		free(sets);
		return 2;
	}
	norm = xmalloc(n + 1);
	pep503_normalize_to(norm, package, n);
	mo.project = norm;
	mo.color = mo.format == REPORT_MATRIX_TABLE && isatty(STDOUT_FILENO) &&
	           !getenv("NO_COLOR");
	cfg = cfg_load_default(config);
	if (!cfg)
		goto out;
	for (i = 0; i < nsets; i++)
		if (cfg_set_override(cfg, sets[i]))
			goto out_cfg;
	db = db_new_cfg(cfg);
	if (db_connect(db)) {
		db_free(db);
		goto out_cfg;
	}
	ret = report_matrix(db, &mo, stdout);
	if (ret == REPORT_MATRIX_UNKNOWN) {
		log_error("no results for '%s'%s%s", norm,
		          mo.version ? " version " : "",
		          mo.version ? mo.version : "");
		ret = 1;
	} else if (ret < 0) {
		ret = 1;
	}
	db_free(db);
out_cfg:
	cfg_free(cfg);
out:
	free(norm);
	free(sets);
	return ret;
}
