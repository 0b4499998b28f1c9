/*
 * pyti-crawl: parse the command line and the [crawler] configuration, then
 * run a crawl (crawl.c), download listed files into the store (crawl.c,
 * store.c) or inspect a mirror (mirror.c).
 */
#include "cfg.h"
#include "crawl.h"
#include "log.h"
#include "mirror.h"
#include "store.h"

#include <curl/curl.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: pyti-crawl [options]              mirror the index into the "
    "mirror\n"
    "       pyti-crawl dump [--db DIR]         print the mirror as JSON "
    "lines\n"
    "       pyti-crawl stats [--db DIR]        print counts\n"
    "       pyti-crawl fetch [--store DIR]     download 'URL SHA256 [SIZE]' "
    "lines\n"
    "                                          of stdin into the store\n"
    "       pyti-crawl store-path SHA256       print the file's store path\n"
    "\n"
    "options:\n"
    "  --config FILE          configuration file (default $PYTI_CONFIG, "
    "/etc/pyti/pyti.conf)\n"
    "  --set SEC.KEY=VALUE    override one configuration value\n"
    "  --index URL            root of the simple index ([crawler] index)\n"
    "  --db DIR               the LMDB mirror ([crawler] db)\n"
    "  --max-in-flight N      requests at once ([crawler] max-in-flight)\n"
    "  --download[=MODE]      after the pages, download 'metadata' (the "
    "default)\n"
    "                         or 'all' (and distribution files) into the "
    "store\n"
    "                         ([crawler] download = none|metadata|all)\n"
    "  --store DIR            the content-addressed store ([crawler] "
    "store)\n"
    "  --verify               revalidate every page this run (If-None-Match)\n"
    "  --reset                empty a mirror that belongs to another index\n"
    "  --no-progress          no progress line even on a terminal\n"
    "  -v, --verbose          debug logging\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 complete (stale pages left queued), 3 complete but "
    "for the\n"
    "pages or downloads named on stderr (left queued for the next run), 1 "
    "nothing\n"
    "usable (no root listing, a broken mirror or store, another index's "
    "mirror),\n"
    "2 usage. fetch: 0 all ok, 1 some failed (named on stdout).\n";

enum {
	OPT_CONFIG = 256,
	OPT_SET,
	OPT_INDEX,
	OPT_DB,
	OPT_MAX,
	OPT_NOPROG,
	OPT_DOWNLOAD,
	OPT_STORE,
	OPT_VERIFY,
	OPT_RESET
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"set", required_argument, NULL, OPT_SET},
	    {"index", required_argument, NULL, OPT_INDEX},
	    {"db", required_argument, NULL, OPT_DB},
	    {"max-in-flight", required_argument, NULL, OPT_MAX},
	    {"no-progress", no_argument, NULL, OPT_NOPROG},
	    {"download", optional_argument, NULL, OPT_DOWNLOAD},
	    {"store", required_argument, NULL, OPT_STORE},
	    {"verify", no_argument, NULL, OPT_VERIFY},
	    {"reset", no_argument, NULL, OPT_RESET},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *cmd = "crawl";
	const char *index = NULL, *db = NULL, *max = NULL;
	const char *download = NULL, *store = NULL, *arg = NULL;
	char **sets = calloc((size_t)argc + 4, sizeof(*sets));
	int nsets = 0, opt, verbose = 0, noprog = 0, ret = 1, i;
	int verify = 0, reset = 0;
	struct cfg *c = NULL;
	struct crawl_opts o;
	enum log_level level;

	memset(&o, 0, sizeof(o));
	log_set_prog("pyti-crawl");
	if (!sets)
		log_die("out of memory");
	while ((opt = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_SET:
			sets[nsets++] = optarg;
			break;
		case OPT_INDEX:
			index = optarg;
			break;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_MAX:
			max = optarg;
			break;
		case OPT_NOPROG:
			noprog = 1;
			break;
		case OPT_DOWNLOAD:
			download = optarg ? optarg : "metadata";
			break;
		case OPT_STORE:
			store = optarg;
			break;
		case OPT_VERIFY:
			verify = 1;
			break;
		case OPT_RESET:
			reset = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			free(sets);
			return 0;
		default:
			fputs(usage, stderr);
			free(sets);
			return 2;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (!strcmp(cmd, "store-path") && optind < argc)
		arg = argv[optind++];
	if (optind < argc ||
	    (strcmp(cmd, "crawl") && strcmp(cmd, "dump") &&
	     strcmp(cmd, "stats") && strcmp(cmd, "fetch") &&
	     strcmp(cmd, "store-path")) ||
	    (!strcmp(cmd, "store-path") && !arg)) {
		fputs(usage, stderr);
		free(sets);
		return 2;
	}
	c = cfg_load_default(config);
	if (!c)
		goto out;
	for (i = 0; i < nsets; i++)
		if (cfg_set_override(c, sets[i]))
			goto out;
	/* Options beat --set, which beats the file. */
	if (index)
		cfg_set(c, "crawler", "index", index);
	if (db)
		cfg_set(c, "crawler", "db", db);
	if (max)
		cfg_set(c, "crawler", "max-in-flight", max);
	if (download)
		cfg_set(c, "crawler", "download", download);
	if (store)
		cfg_set(c, "crawler", "store", store);
	if (verify)
		cfg_set(c, "crawler", "verify", "yes");
	if (reset)
		cfg_set(c, "crawler", "reset", "yes");
	if (cfg_get(c, "log", "level", NULL)) {
		if (log_parse_level(cfg_get(c, "log", "level", NULL), &level))
			goto out;
		log_set_level(level);
	}
	if (verbose)
		log_set_level(LOG_DEBUG);
	if (crawl_opts_from_cfg(&o, c))
		goto out;
	if (noprog)
		o.progress = 0;
	if (!strcmp(cmd, "crawl")) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			log_die("cannot initialize libcurl");
		xmlInitParser();
		ret = crawl_run(&o);
		if (ret < 0)
			ret = 1;
		xmlCleanupParser();
		curl_global_cleanup();
	} else if (!strcmp(cmd, "fetch")) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			log_die("cannot initialize libcurl");
		ret = crawl_fetch_lines(&o, stdin, stdout) ? 1 : 0;
		curl_global_cleanup();
	} else if (!strcmp(cmd, "store-path")) {
		struct buf p = BUF_INIT(0);

		if (cas_path(o.store, arg, &p)) {
			log_error("'%s' is not a sha256 (64 hex digits)", arg);
			ret = 2;
		} else {
			printf("%s\n", buf_cstr(&p));
			ret = 0;
		}
		buf_release(&p);
	} else {
		struct mirror m;

		if (mirror_open(&m, o.db, 1, NULL))
			goto out;
		ret = !strcmp(cmd, "dump") ? mirror_dump(&m, stdout)
		                           : mirror_stats(&m, stdout);
		ret = ret ? 1 : 0;
		mirror_close(&m);
	}
out:
	crawl_opts_release(&o);
	cfg_free(c);
	free(sets);
	return ret;
}
