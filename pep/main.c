/*
 * pyti-pep: the Python packaging standards of common/ as a line-oriented
 * tool, for people debugging why pyti picked (or did not pick) a file and
 * for differential tests against python3-packaging.
 */
#include "log.h"
#include "pep.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
    {"normalize-name", pep_cmd_normalize_name,
     "normalize-name            PEP 503 name per line"},
    {"version", pep_cmd_version,
     "version normalize|sort|compare   PEP 440 versions per line"},
    {"specifier", pep_cmd_specifier,
     "specifier SPEC [--prereleases]   true/false per version line"},
    {"wheel", pep_cmd_wheel,
     "wheel                     wheel filename per line -> JSON"},
    {"sdist", pep_cmd_sdist,
     "sdist                     sdist filename per line -> JSON"},
    {"tags", pep_cmd_tags,
     "tags --python X.Y --platform P [--abi A]   supported tags"},
    {"marker", pep_cmd_marker,
     "marker --python X.Y --platform linux   true/false per marker"},
    {"requirement", pep_cmd_requirement,
     "requirement               PEP 508 requirement per line -> JSON"},
    {"metadata", pep_cmd_metadata,
     "metadata FILE             core metadata as JSON"},
};

static int
usage(FILE *f, int status)
{
	fprintf(f, "usage: pyti-pep COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].usage);
	fprintf(f, "\nInput is read from stdin, one item per line; one "
	           "result per line on stdout.\n");
	return status;
}

int
main(int argc, char **argv)
{
	log_set_prog("pyti-pep");
	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	log_error("unknown command '%s'", argv[1]);
	return usage(stderr, 2);
}
