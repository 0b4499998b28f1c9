/*
 * pyti-crawl: the option and command tables (common/cli.h), then a crawl
 * (crawl.c), downloads of listed files into the store (crawl.c, store.c)
 * or a look into the mirror (common/mirror.h).
 */
#include "cfg.h"
#include "cli.h"
#include "crawl.h"
#include "log.h"
#include "mirror.h"
#include "store.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

enum {
	OPT_INDEX = 256,
	OPT_DB,
	OPT_MAX,
	OPT_NOPROG,
	OPT_DOWNLOAD,
	OPT_STORE,
	OPT_VERIFY,
	OPT_RESET
};

struct ctx {
	struct crawl_opts o;
	int noprog;
};

static const struct cli_opt opts[] = {
    {"index", OPT_INDEX, CLI_ARG, "crawler.index", "URL",
     "root of the simple index", NULL},
    {"db", OPT_DB, CLI_ARG, "crawler.db", "DIR", "the LMDB mirror", NULL},
    {"max-in-flight", OPT_MAX, CLI_ARG, "crawler.max-in-flight", "N",
     "requests at once", NULL},
    {"download", OPT_DOWNLOAD, CLI_OPTARG, "crawler.download", "MODE",
     "after the pages, download 'metadata' (the default) or 'all' into "
     "the store",
     "metadata"},
    {"store", OPT_STORE, CLI_ARG, "crawler.store", "DIR",
     "the content-addressed store", NULL},
    {"verify", OPT_VERIFY, CLI_FLAG, "crawler.verify", NULL,
     "revalidate every page this run (If-None-Match)", "yes"},
    {"reset", OPT_RESET, CLI_FLAG, "crawler.reset", NULL,
     "empty a mirror that belongs to another index", "yes"},
    {"no-progress", OPT_NOPROG, CLI_FLAG, NULL, NULL,
     "no progress line even on a terminal", NULL},
    {0},
};

static int
opt(struct cli *cli, int key, const char *arg)
{
	struct ctx *x = cli->ctx;

	x->noprog = 1; /* OPT_NOPROG, the one option without a key */
	return 0;
}

static void
release(void *ctx)
{
	crawl_opts_release(&((struct ctx *)ctx)->o);
}

static int
setup(struct cli *cli)
{
	struct ctx *x = cli->ctx;

	if (crawl_opts_from_cfg(&x->o, cli->cfg))
		return -1;
	if (x->noprog)
		x->o.progress = 0;
	return 0;
}

static int
run_crawl(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	int ret;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return log_error("cannot initialize libcurl");
	xmlInitParser();
	ret = crawl_run(&x->o);
	xmlCleanupParser();
	curl_global_cleanup();
	return ret;
}

static int
run_fetch(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	int ret;

	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return log_error("cannot initialize libcurl");
	ret = crawl_fetch_lines(&x->o, stdin, stdout) ? 1 : 0;
	curl_global_cleanup();
	return ret;
}

static int
run_store_path(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct buf p = BUF_INIT(0);
	int ret = 0;

	if (cas_path(x->o.store, argv[0], &p)) {
		log_error("'%s' is not a sha256 (64 hex digits)", argv[0]);
		ret = CLI_EXIT_USAGE;
	} else {
		printf("%s\n", buf_cstr(&p));
	}
	buf_release(&p);
	return ret;
}

static int
run_mirror(struct cli *cli, int argc, char **argv)
{
	struct ctx *x = cli->ctx;
	struct mirror m;
	int ret;

	if (mirror_open(&m, x->o.db, 1, NULL))
		return 1;
	ret = !strcmp(cli->cmd->name, "dump") ? mirror_dump(&m, stdout)
	                                      : mirror_stats(&m, stdout);
	mirror_close(&m);
	return ret ? 1 : 0;
}

static const struct cli_cmd cmds[] = {
    {NULL, run_crawl, 0, 0, "", "mirror the index into the mirror", NULL, 0},
    {"dump", run_mirror, 0, 0, "", "print the mirror as JSON lines", NULL, 0},
    {"stats", run_mirror, 0, 0, "", "print counts", NULL, 0},
    {"fetch", run_fetch, 0, 0, "",
     "download 'URL SHA256 [SIZE]' lines of stdin into the store", NULL, 0},
    {"store-path", run_store_path, 1, 1, "SHA256",
     "print the file's store path", NULL, 0},
    {0},
};

static const struct cli_prog prog = {
    .name = "pyti-crawl",
    .about =
        "Mirrors a PEP 691 / PEP 503 simple index into LMDB (docs/crawler.md).",
    .opts = opts,
    .cmds = cmds,
    .more =
        "Exit status: 0 complete (stale pages left queued), 3 complete but "
        "for the\npages or downloads named on stderr (left queued for the next "
        "run), 1 nothing\nusable (no root listing, a broken mirror or store, "
        "another index's mirror),\n2 usage. fetch: 0 all ok, 1 some failed "
        "(named on stdout).\n",
    .opt = opt,
    .setup = setup,
    .release = release,
};

int
main(int argc, char **argv)
{
	struct ctx x = {0};

	return cli_main(&prog, &x, argc, argv);
}
