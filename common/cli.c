/*
 * The common startup path (cli.h): getopt_long over the common options,
 * the program's and the command's, then the configuration, the log level
 * and the command. Two passes: the options before the command word (the
 * parse stops there, so a command may take arguments that look like
 * options), then, unless the command is raw, the options after it.
 */
#include "cli.h"
#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PYTI_VERSION
#define PYTI_VERSION "unknown"
#endif

/* Keys of the common options; programs must not reuse c s v q h. */
#define KEY_VERSION 0x10001

static const struct cli_opt common_opts[] = {
    {"config", 'c', CLI_ARG, NULL, "FILE",
     "configuration file (else $PYTI_CONFIG, /etc/pyti/pyti.conf)", NULL},
    {"set", 's', CLI_ARG, NULL, "SEC.KEY=VAL",
     "override one configuration value (repeatable)", NULL},
    {"verbose", 'v', CLI_FLAG, NULL, NULL,
     "one log level more ([log] level, info: debug)", NULL},
    {"quiet", 'q', CLI_FLAG, NULL, NULL,
     "one log level less (info: warn, then error)", NULL},
    {"help", 'h', CLI_FLAG, NULL, NULL, "this text", NULL},
    {"version", KEY_VERSION, CLI_FLAG, NULL, NULL, "print the version", NULL},
    {NULL, 0, CLI_FLAG, NULL, NULL, NULL, NULL},
};

struct bind {
	const char *cfg; /* "section.key" */
	const char *value;
};

struct state {
	struct cli cli;
	const char *config;
	const char **sets;
	size_t nsets, asets;
	struct bind *binds;
	size_t nbinds, abinds;
	int verbosity, help, version;
};

const char *
cli_version(void)
{
	return PYTI_VERSION;
}

/* A program's option of the same name as a common one replaces it
 * (pyti-matrix's --version V is a release): is o such a common option? */
static int
shadowed(const struct cli_opt *o, const struct cli_prog *p)
{
	const struct cli_cmd *c;

	if (o < common_opts || o >= common_opts + sizeof(common_opts) /
	                                              sizeof(common_opts[0]))
		return 0;
	for (const struct cli_opt *x = p->opts; x && x->name; x++)
		if (!strcmp(x->name, o->name))
			return 1;
	for (c = p->cmds; c && c->run; c++)
		for (const struct cli_opt *x = c->opts; x && x->name; x++)
			if (!strcmp(x->name, o->name))
				return 1;
	return 0;
}

static const struct cli_opt *
find_opt(const struct cli_opt *const *tables, int ntables, int key)
{
	for (int t = 0; t < ntables; t++)
		for (const struct cli_opt *o = tables[t]; o && o->name; o++)
			if (o->key == key)
				return o;
	return NULL;
}

/* One option found: the common ones here, the others bound to their
 * configuration key or handed to the program. */
static int
take(struct state *st, const struct cli_opt *o, const char *arg)
{
	switch (o->key) {
	case 'c':
		st->config = arg;
		return 0;
	case 's':
		XGROW(st->sets, st->nsets + 1, st->asets);
		st->sets[st->nsets++] = arg;
		return 0;
	case 'v':
		st->verbosity++;
		return 0;
	case 'q':
		st->verbosity--;
		return 0;
	case 'h':
		st->help = 1;
		return 0;
	case KEY_VERSION:
		st->version = 1;
		return 0;
	}
	if (o->cfg) {
		XGROW(st->binds, st->nbinds + 1, st->abinds);
		st->binds[st->nbinds].cfg = o->cfg;
		st->binds[st->nbinds++].value = arg ? arg : o->value;
		return 0;
	}
	if (!st->cli.prog->opt)
		return log_error("option '--%s' is not handled", o->name);
	return st->cli.prog->opt(&st->cli, o->key, arg);
}

/*
 * getopt_long over the tables. stop: end at the first non-option (the
 * command word). Returns the index of the first argument left, or -1
 * (a usage error, logged).
 */
static int
parse(struct state *st, const struct cli_opt *const *tables, int ntables,
      int argc, char **argv, int stop)
{
	struct option *lo = NULL;
	size_t n = 0, alloc = 0;
	char shorts[256];
	size_t sl = 0;
	int c, ret = 0;

	if (stop)
		shorts[sl++] = '+';
	shorts[sl++] = ':'; /* a missing value returns ':', not '?' */
	for (int t = 0; t < ntables; t++) {
		for (const struct cli_opt *o = tables[t]; o && o->name; o++) {
			if (shadowed(o, st->cli.prog))
				continue;
			XGROW(lo, n + 1, alloc);
			lo[n].name = o->name;
			lo[n].has_arg = o->arg == CLI_ARG ? required_argument
			                : o->arg == CLI_OPTARG
			                    ? optional_argument
			                    : no_argument;
			lo[n].flag = NULL;
			lo[n].val = o->key;
			n++;
			if (o->key > 0 && o->key < 128 &&
			    sl + 4 < sizeof(shorts)) {
				shorts[sl++] = (char)o->key;
				if (o->arg == CLI_ARG)
					shorts[sl++] = ':';
				else if (o->arg == CLI_OPTARG) {
					shorts[sl++] = ':';
					shorts[sl++] = ':';
				}
			}
		}
	}
	XGROW(lo, n + 1, alloc);
	memset(&lo[n], 0, sizeof(lo[n]));
	shorts[sl] = '\0';
	optind = 0; /* glibc: a full reset, the second pass starts afresh */
	opterr = 0;
	while (ret == 0 &&
	       (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct cli_opt *o;

		if (c == '?') {
			ret =
			    log_error("unknown option '%s'", argv[optind - 1]);
			break;
		}
		if (c == ':') {
			ret = log_error("option '%s' needs a value",
			                argv[optind - 1]);
			break;
		}
		o = find_opt(tables, ntables, c);
		if (!o) {
			ret =
			    log_error("unknown option '%s'", argv[optind - 1]);
			break;
		}
		if (take(st, o, optarg))
			ret = -1;
	}
	free(lo);
	return ret ? -1 : optind;
}

/* "  LEFT  help..." with help wrapped at 79 columns under itself. */
static void
print_row(FILE *f, const char *left, const char *help, const char *key)
{
	struct buf h = BUF_INIT(0);
	const char *p, *sp;
	int col = 31, first = 1;

	buf_adds(&h, help ? help : "");
	if (key)
		buf_addf(&h, " [%s]", key);
	fprintf(f, "  %-28s", left);
	if (strlen(left) > 28) {
		fprintf(f, "\n%31s", "");
	} else {
		fputc(' ', f);
	}
	for (p = buf_cstr(&h); *p; p = sp) {
		size_t n;

		while (*p == ' ')
			p++;
		sp = strchr(p, ' ');
		if (!sp)
			sp = p + strlen(p);
		n = (size_t)(sp - p);
		if (!first && col + 1 + (int)n > 79) {
			fprintf(f, "\n%31s", "");
			col = 31;
			first = 1;
		}
		fprintf(f, "%s%.*s", first ? "" : " ", (int)n, p);
		col += (int)n + !first;
		first = 0;
	}
	fputc('\n', f);
	buf_release(&h);
}

static void
print_opts(FILE *f, const struct cli_prog *p, const struct cli_opt *o)
{
	struct buf left = BUF_INIT(0);

	for (; o && o->name; o++) {
		if (shadowed(o, p))
			continue;
		buf_reset(&left);
		if (o->key > 0 && o->key < 128)
			buf_addf(&left, "-%c, ", o->key);
		else
			buf_adds(&left, "    ");
		buf_addf(&left, "--%s", o->name);
		if (o->arg == CLI_ARG)
			buf_addf(&left, " %s", o->meta ? o->meta : "VALUE");
		else if (o->arg == CLI_OPTARG)
			buf_addf(&left, "[=%s]", o->meta ? o->meta : "VALUE");
		print_row(f, buf_cstr(&left), o->help, o->cfg);
	}
	buf_release(&left);
}

static void
print_usage(FILE *f, const struct cli_prog *p)
{
	const struct cli_cmd *c;
	char left[128];

	fprintf(f, "usage: %s [OPTIONS]%s\n", p->name,
	        p->cmds[0].name || p->cmds[1].run ? " COMMAND [ARGS]" : "");
	if (p->about)
		fprintf(f, "%s\n", p->about);
	for (const struct cli_opt *o = common_opts; o->name; o++)
		if (o->key == KEY_VERSION && shadowed(o, p))
			fprintf(f, "%s %s\n", p->name, PYTI_VERSION);
	fprintf(f, "\nCommands:\n");
	for (c = p->cmds; c->run; c++) {
		snprintf(left, sizeof(left), "%s%s%s", c->name ? c->name : "",
		         c->name && c->args && *c->args ? " " : "",
		         c->args ? c->args : "");
		print_row(f, *left ? left : "(no command)", c->help, NULL);
	}
	fprintf(f, "\nOptions:\n");
	print_opts(f, p, common_opts);
	print_opts(f, p, p->opts);
	for (c = p->cmds; c->run; c++) {
		if (!c->opts)
			continue;
		fprintf(f, "\nOptions of %s:\n", c->name ? c->name : "(none)");
		print_opts(f, p, c->opts);
	}
	if (p->more)
		fprintf(f, "\n%s", p->more);
}

/* The short usage for errors: the synopsis and where the rest is. */
static int
short_usage(const struct cli_prog *p)
{
	fprintf(stderr, "usage: %s [OPTIONS]%s\nTry '%s --help'.\n", p->name,
	        p->cmds[0].name || p->cmds[1].run ? " COMMAND [ARGS]" : "",
	        p->name);
	return CLI_EXIT_USAGE;
}

int
cli_usage(struct cli *cli)
{
	return short_usage(cli->prog);
}

static const struct cli_cmd *
find_cmd(const struct cli_prog *p, const char *word)
{
	for (const struct cli_cmd *c = p->cmds; c->run; c++)
		if (word ? c->name && !strcmp(c->name, word) : !c->name)
			return c;
	return NULL;
}

/* The configuration with --set, then the options bound to keys, then the
 * log level. Returns 0 or -1 (logged). */
static int
configure(struct state *st)
{
	const char *lv;
	enum log_level level = LOG_INFO;
	int l;

	st->cli.cfg = cfg_load_default(st->config);
	if (!st->cli.cfg)
		return -1;
	for (size_t i = 0; i < st->nsets; i++)
		if (cfg_set_override(st->cli.cfg, st->sets[i]))
			return -1;
	for (size_t i = 0; i < st->nbinds; i++) {
		const char *dot = strrchr(st->binds[i].cfg, '.');
		char *sec = xmemdup0(st->binds[i].cfg,
		                     (size_t)(dot - st->binds[i].cfg));

		cfg_set(st->cli.cfg, sec, dot + 1, st->binds[i].value);
		free(sec);
	}
	lv = cfg_get(st->cli.cfg, "log", "level", NULL);
	if (lv && log_parse_level(lv, &level))
		return log_error("invalid [log] level '%s'", lv);
	l = (int)level + st->verbosity;
	log_set_level(l < LOG_ERROR   ? LOG_ERROR
	              : l > LOG_DEBUG ? LOG_DEBUG
	                              : (enum log_level)l);
	return 0;
}

int
cli_main(const struct cli_prog *p, void *ctx, int argc, char **argv)
{
	struct state st;
	const struct cli_opt *tables[3] = {common_opts, p->opts, NULL};
	const struct cli_cmd *cmd;
	const char *word;
	char **sub;
	int i, nsub, ret = CLI_EXIT_USAGE;

	memset(&st, 0, sizeof(st));
	st.cli.prog = p;
	st.cli.ctx = ctx;
	log_set_prog(p->name);
	i = parse(&st, tables, 2, argc, argv, 1);
	if (i < 0)
		goto usage;
	if (st.help || st.version)
		goto info;
	word = i < argc ? argv[i] : NULL;
	cmd = word ? find_cmd(p, word) : NULL;
	if (!cmd) {
		/* No command word: the default command, which may take the
		 * word as its first argument. */
		cmd = find_cmd(p, NULL);
		if (!cmd || (word && cmd->max_args == 0)) {
			if (word)
				log_error("unknown command '%s'", word);
			else
				log_error("no command given");
			goto usage;
		}
	}
	st.cli.cmd = cmd;
	/* sub[0] is the command word (or the last option: a placeholder). */
	sub = argv + (cmd->name ? i : i - 1);
	nsub = argc - (int)(sub - argv);
	if (cmd->raw) {
		sub++;
		nsub--;
	} else {
		tables[2] = cmd->opts;
		i = parse(&st, tables, 3, nsub, sub, 0);
		if (i < 0)
			goto usage;
		if (st.help || st.version)
			goto info;
		sub += i;
		nsub -= i;
	}
	if (nsub < cmd->min_args ||
	    (cmd->max_args >= 0 && nsub > cmd->max_args)) {
		log_error("%s%s%s arguments", cmd->name ? cmd->name : "",
		          cmd->name ? ": " : "",
		          nsub < cmd->min_args ? "missing" : "too many");
		goto usage;
	}
	if (configure(&st) || (p->setup && p->setup(&st.cli))) {
		ret = CLI_EXIT_FAILURE;
		goto out;
	}
	ret = cmd->run(&st.cli, nsub, sub);
	if (ret < 0)
		ret = CLI_EXIT_FAILURE;
	goto out;
info:
	if (st.version)
		printf("%s %s\n", p->name, PYTI_VERSION);
	else
		print_usage(stdout, p);
	ret = fflush(stdout) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	goto out;
usage:
	ret = short_usage(p);
out:
	if (p->release)
		p->release(ctx);
	cfg_free(st.cli.cfg);
	free(st.sets);
	free(st.binds);
	return ret;
}
