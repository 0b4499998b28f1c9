/*
 * The one startup path of every pyti program (git's common-main): a
 * program's main.c is an option table, a command table and one call.
 *
 *	enum { OPT_DB = 256 };
 *	static const struct cli_opt opts[] = {
 *	    {"db", OPT_DB, CLI_ARG, "crawler.db", "DIR", "the LMDB mirror"},
 *	    {"foreground", 'f', CLI_FLAG, NULL, NULL, "do not detach"},
 *	    {0},
 *	};
 *	static const struct cli_cmd cmds[] = {
 *	    {NULL, run_crawl, 0, 0, "", "mirror the index"},
 *	    {"dump", run_dump, 0, 0, "", "print the mirror as JSON lines"},
 *	    {0},
 *	};
 *	static const struct cli_prog prog = {
 *	    .name = "pyti-crawl", .about = "...", .opts = opts,
 *	    .cmds = cmds, .opt = opt, .setup = setup,
 *	};
 *	int main(int argc, char **argv)
 *	{
 *		return cli_main(&prog, &ctx, argc, argv);
 *	}
 *
 * Every program takes the common options:
 *
 *	-c, --config FILE     the configuration file (cfg.h: else
 *	                      $PYTI_CONFIG, else /etc/pyti/pyti.conf)
 *	-s, --set S.KEY=VAL   override one configuration value (repeatable)
 *	-v, --verbose         one log level more (info -> debug)
 *	-q, --quiet           one log level less (info -> warn -> error)
 *	-h, --help            the usage on stdout, exit 0
 *	    --version         "NAME VERSION" on stdout, exit 0
 *
 * and the [log] level key (error, warn, info, debug; -v/-q count from
 * it). A program option with the long name of a common one replaces it
 * (pyti-matrix's `--version V` is the release to show, as its issue
 * specifies): the common one is then neither parsed nor listed, and for
 * --version the "NAME VERSION" line moves to the top of --help. Short
 * letters still collide: c s v q h stay the common ones.
 *
 * An option with a configuration key ("crawler.db") sets that key:
 * an option beats --set, which beats the file. Exit statuses: 0 ok, 1
 * failure, 2 usage (a bad option, a missing or extra argument, an unknown
 * command); a command may return others it documents (pyti-crawl's 3).
 */
#ifndef PYTI_CLI_H
#define PYTI_CLI_H

struct cfg;
struct cli;

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE 2

enum cli_arg {
	CLI_FLAG, /* no argument */
	CLI_ARG, /* a required argument: --name VALUE or --name=VALUE */
	CLI_OPTARG, /* an optional one, only as --name=VALUE */
};

/* One option. Tables end with {0}. */
struct cli_opt {
	const char *name; /* long name without "--" */
	int key; /* its short letter, or a number >= 256 of the program's
	            for a long-only option: what cli_prog.opt receives */
	enum cli_arg arg;
	/*
	 * "section.key" the option sets in the configuration (the value, or
	 * for CLI_FLAG and a CLI_OPTARG given without one, `value` below),
	 * or NULL: the program's cli_prog.opt callback handles it.
	 */
	const char *cfg;
	const char *meta; /* the argument's name in the usage ("DIR") */
	const char *help; /* one line */
	const char *value; /* see cfg */
};

/* One command. Tables end with {0}. */
struct cli_cmd {
	const char *name; /* the command word; NULL: run without one */
	/* The command: argc/argv are its arguments after the options (for a
	 * raw command, everything after the command word). Returns the exit
	 * status; < 0 is 1. */
	int (*run)(struct cli *cli, int argc, char **argv);
	int min_args, max_args; /* positional arguments; max -1: any */
	const char *args; /* the usage after the command word */
	const char *help; /* one line */
	const struct cli_opt *opts; /* the command's own options, or NULL */
	int raw; /* no option parsing after the command word */
};

struct cli_prog {
	const char *name; /* "pyti-crawl": log prefix and usage */
	const char *about; /* one line under the usage */
	const struct cli_opt *opts; /* every command's options, or NULL */
	const struct cli_cmd *cmds;
	const char *more; /* text after the options (exit statuses), or NULL */
	/* Options without a configuration key: its key and the argument
	 * (NULL for a flag). Return 0, or -1 for a usage error (logged). */
	int (*opt)(struct cli *cli, int key, const char *arg);
	/* Called after the configuration is loaded, before the command
	 * (built-in defaults, settings every command needs), or NULL.
	 * Returns 0 or -1 (logged: exit 1). */
	int (*setup)(struct cli *cli);
	/* Frees what the program's ctx holds, when cli_main() returns
	 * (whatever the outcome), or NULL. */
	void (*release)(void *ctx);
};

struct cli {
	const struct cli_prog *prog;
	const struct cli_cmd *cmd; /* the command being run */
	struct cfg *cfg; /* the configuration, with the overrides; owned */
	void *ctx; /* the program's, from cli_main() */
};

/*
 * Parse argv, load the configuration, set the log level, run the
 * command and return the exit status for main(). ctx is the program's
 * state, reachable as cli->ctx from the callbacks, released by the
 * program's release callback before cli_main() returns.
 */
int cli_main(const struct cli_prog *prog, void *ctx, int argc, char **argv);

/* Print the usage of cli's program (and command) to stderr; returns
 * CLI_EXIT_USAGE, so `return cli_usage(cli);` ends a command. */
int cli_usage(struct cli *cli);

/* The version string of this build ("git describe" of the tree). */
const char *cli_version(void);

#endif
