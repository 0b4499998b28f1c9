/*
 * pyti-pep: the Python packaging standards of common/ as a line-oriented
 * tool, for people debugging why pyti picked (or did not pick) a file and
 * for differential tests against python3-packaging.
 */
#include "cli.h"
#include "pep.h"

#include <stddef.h>

/* Every command parses its own arguments (pep/<command>.c): raw. */
#define RAW 0, -1
static const struct cli_cmd cmds[] = {
    {"normalize-name", pep_cmd_normalize_name, RAW, "", "PEP 503 names",
     .raw = 1},
    {"version", pep_cmd_version, RAW, "normalize|sort|compare",
     "PEP 440 versions per line", .raw = 1},
    {"specifier", pep_cmd_specifier, RAW, "SPEC [--prereleases]",
     "true/false per version line", .raw = 1},
    {"wheel", pep_cmd_wheel, RAW, "", "wheel filename per line -> JSON",
     .raw = 1},
    {"sdist", pep_cmd_sdist, RAW, "", "sdist filenames -> JSON", .raw = 1},
    {"tags", pep_cmd_tags, RAW, "--python X.Y --platform P [--abi A]",
     "supported tags", .raw = 1},
    {"marker", pep_cmd_marker, RAW, "--python X.Y --platform linux",
     "true/false per marker", .raw = 1},
    {"requirement", pep_cmd_requirement, RAW, "",
     "PEP 508 requirements -> JSON", .raw = 1},
    {"metadata", pep_cmd_metadata, RAW, "FILE", "core metadata as JSON",
     .raw = 1},
    {0},
};

static const struct cli_prog prog = {
    .name = "pyti-pep",
    .about = "The packaging standards of pyti, one line at a time.",
    .cmds = cmds,
    .more = "Input is read from stdin, one item per line; one result per "
            "line on stdout.\n",
};

int
main(int argc, char **argv)
{
	return cli_main(&prog, NULL, argc, argv);
}
