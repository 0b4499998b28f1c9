/*
 * pyti-run: options and configuration, then run_daemon() or run_test().
 */
#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "num.h"
#include "settings.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(FILE *f)
{
	fprintf(
	    f, "usage: pyti-run [OPTIONS]                 run the daemon\n"
	       "       pyti-run [OPTIONS] test --platform P DIST [DEP...]\n"
	       "Options:\n"
	       "  -c, --config FILE      configuration file\n"
	       "  -s, --set S.K=V        override a configuration value\n"
	       "  -f, --foreground       do not detach (log to stderr)\n"
	       "  -p, --platform NAME    serve only this platform "
	       "(repeatable)\n"
	       "  --executor=exec:CMD    run each job with /bin/sh -c CMD "
	       "instead of a VM:\n"
	       "                         spec JSON on stdin, results JSON on "
	       "stdout; exit 75\n"
	       "                         (or any non-zero) is an "
	       "infrastructure failure\n"
	       "  --executor=chan:CMD    the same, but CMD speaks the agent's "
	       "channel on its\n"
	       "                         stdin/stdout (tests: a misbehaving "
	       "agent, no VM)\n"
	       "  --slots N              slots per platform with exec "
	       "(default 1)\n"
	       "  --exit-when-idle SECS  stop once idle for SECS and no job of "
	       "its platforms\n"
	       "                         is queued or running (tests, "
	       "benchmarks)\n"
	       "  --nmi-after SECS       (test) inject an NMI into the VM\n"
	       "  -v, --verbose          debug logging\n"
	       "  -h, --help\n"
	       "test runs one job for local files on a fresh VM and prints "
	       "the raw results\ndocument (docs/runner.md) on stdout; exit 0 "
	       "for a package outcome, 1 for an\ninfrastructure outcome.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"set", required_argument, NULL, 's'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"platform", required_argument, NULL, 'p'},
	    {"executor", required_argument, NULL, 'x'},
	    {"slots", required_argument, NULL, 'n'},
	    {"exit-when-idle", required_argument, NULL, 'i'},
	    {"nmi-after", required_argument, NULL, 'm'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct run_daemon_options o = {NULL, 0, 1, 0};
	struct run_settings s;
	const char *config = NULL;
	char **sets = NULL, **plats = NULL;
	size_t nsets = 0, asets = 0, nplats = 0, aplats = 0, i;
	int foreground = 0, ret, opt;
	int64_t v, nmi = 0;
	struct cfg *cfg;

	log_set_prog("pyti-run");
	while ((opt = getopt_long(argc, argv, "+c:s:fp:vh", opts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			XGROW(sets, nsets + 1, asets);
			sets[nsets++] = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'p':
			XGROW(plats, nplats + 1, aplats);
			plats[nplats++] = optarg;
			break;
		case 'x':
			if ((strncmp(optarg, "exec:", 5) != 0 &&
			     strncmp(optarg, "chan:", 5) != 0) ||
			    !optarg[5]) {
				log_error("--executor must be exec:CMD or "
				          "chan:CMD");
				return 2;
			}
			o.exec_cmd = optarg + 5;
			o.exec_chan = optarg[0] == 'c';
			break;
		case 'n':
			if (num_parse_i64(optarg, 1, 64, &v)) {
				log_error("--slots must be 1..64");
				return 2;
			}
			o.exec_slots = (int)v;
			break;
		case 'i':
			if (num_parse_i64(optarg, 1, 86400, &v)) {
				log_error("--exit-when-idle must be 1..86400");
				return 2;
			}
			o.exit_idle_s = (int)v;
			break;
		case 'm':
			if (num_parse_i64(optarg, 1, 86400, &nmi)) {
				log_error("--nmi-after must be 1..86400");
				return 2;
			}
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	cfg = cfg_load_default(config);
	if (!cfg)
		return 1;
	for (i = 0; i < nsets; i++)
		if (cfg_set_override(cfg, sets[i]))
			return 1;
	if (optind < argc && strcmp(argv[optind], "test") == 0) {
		/* test --platform P DIST [DEP...] */
		const char *platform = NULL;

		optind++;
		while ((opt = getopt_long(argc, argv, "+p:", opts, NULL)) !=
		       -1) {
			if (opt == 'p')
				platform = optarg;
			else {
				usage(stderr);
				return 2;
			}
		}
		if (!platform || optind >= argc) {
			usage(stderr);
			return 2;
		}
		if (run_settings_load(cfg, &platform, 1, &s))
			return 1;
		ret = run_test(&s, platform, argv + optind, argc - optind,
		               (int)nmi);
		ret = ret < 0 ? 1 : ret;
	} else if (optind < argc) {
		usage(stderr);
		return 2;
	} else {
		if (run_settings_load(cfg, (const char *const *)plats,
		                      (int)nplats, &s))
			return 1;
		if (!foreground) {
			log_set_timestamps(1);
			if (daemon(1, 1)) {
				log_error("cannot detach");
				return 1;
			}
		}
		ret = run_daemon(&s, &o) ? 1 : 0;
	}
	run_settings_release(&s);
	cfg_free(cfg);
	free(sets);
	free(plats);
	return ret;
}
