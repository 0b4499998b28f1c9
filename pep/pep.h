/*
 * pyti-pep's subcommands. Each reads lines on stdin and writes one result
 * per line on stdout (see pep/README.md); argv starts at the subcommand's
 * own arguments. Each returns the process exit status: 0 ok, 1 when some
 * input was invalid or a failure happened, 2 for a usage error.
 */
#ifndef PYTI_PEP_CMD_H
#define PYTI_PEP_CMD_H

struct cli;

int pep_cmd_normalize_name(struct cli *cli, int argc, char **argv);
int pep_cmd_version(struct cli *cli, int argc, char **argv);
int pep_cmd_specifier(struct cli *cli, int argc, char **argv);
int pep_cmd_wheel(struct cli *cli, int argc, char **argv);
int pep_cmd_sdist(struct cli *cli, int argc, char **argv);
int pep_cmd_tags(struct cli *cli, int argc, char **argv);
int pep_cmd_marker(struct cli *cli, int argc, char **argv);
int pep_cmd_requirement(struct cli *cli, int argc, char **argv);
int pep_cmd_metadata(struct cli *cli, int argc, char **argv);

#endif
