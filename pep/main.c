/*
 * pyti-pep: the Python packaging standards of common/ as a line-oriented
 * tool, for people debugging why pyti picked (or did not pick) a file and
 * for differential tests against python3-packaging.
 */
#include "cli.h"
#include "pep.h"

#include <stddef.h>

/* Every command parses its own arguments (pep/<command>.c): raw. */
#define RAW(word, run, args, help) {word, run, 0, -1, args, help, .raw = 1}
static const struct cli_cmd cmds[] = {
    RAW("normalize-name", pep_cmd_normalize_name, "", "PEP 503 names"),
    RAW("version", pep_cmd_version, "normalize|sort|compare",
        "PEP 440 versions per line"),
    RAW("specifier", pep_cmd_specifier, "SPEC [--prereleases]",
        "true/false per version line"),
    RAW("wheel", pep_cmd_wheel, "", "wheel filename per line -> JSON"),
    RAW("sdist", pep_cmd_sdist, "", "sdist filenames -> JSON"),
    RAW("tags", pep_cmd_tags, "--python X.Y --platform P [--abi A]",
        "supported tags"),
    RAW("marker", pep_cmd_marker, "--python X.Y --platform linux",
        "true/false per marker"),
    RAW("requirement", pep_cmd_requirement, "",
        "PEP 508 requirements -> JSON"),
    RAW("metadata", pep_cmd_metadata, "FILE", "core metadata as JSON"),
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
