/*
 * pyti-pep's subcommands. Each reads lines on stdin and writes one result
 * per line on stdout (see pep/README.md); argv starts at the subcommand's
 * own arguments. Each returns the process exit status: 0 ok, 1 when some
 * input was invalid or a failure happened, 2 for a usage error.
 */
#ifndef PYTI_PEP_CMD_H
#define PYTI_PEP_CMD_H

int pep_cmd_normalize_name(int argc, char **argv);
int pep_cmd_version(int argc, char **argv);
int pep_cmd_specifier(int argc, char **argv);
int pep_cmd_wheel(int argc, char **argv);
int pep_cmd_sdist(int argc, char **argv);
int pep_cmd_tags(int argc, char **argv);
int pep_cmd_marker(int argc, char **argv);
int pep_cmd_requirement(int argc, char **argv);
int pep_cmd_metadata(int argc, char **argv);

#endif
