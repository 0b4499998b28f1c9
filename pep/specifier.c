/*
 * pyti-pep specifier SPEC [--prereleases|--no-prereleases]: whether each
 * version line satisfies SPEC, as SpecifierSet(SPEC).contains(line,
 * prereleases=...) answers in python3-packaging.
 */
#include "buf.h"
#include "log.h"
#include "pep.h"
#include "pep440.h"
#include "slurp.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
usage(void)
{
	fprintf(stderr, "usage: pyti-pep specifier SPEC "
	                "[--prereleases|--no-prereleases] < versions\n");
	return 2;
}

int
pep_cmd_specifier(struct cli *cli, int argc, char **argv)
{
	enum pep440_prerelease pre = PEP440_PRE_DEFAULT;
	struct pep440_spec *spec = NULL;
	struct buf in = BUF_INIT(0);
	struct pep_out out = {-1, 0, 0, NULL};
	const char *line;
	size_t pos = 0, len;
	int status = 0;

	if (argc < 1 || argc > 2)
		return usage();
	if (argc == 2) {
		if (!strcmp(argv[1], "--prereleases"))
			pre = PEP440_PRE_ALLOW;
		else if (!strcmp(argv[1], "--no-prereleases"))
			pre = PEP440_PRE_DENY;
		else
			return usage();
	}
	if (pep440_spec_parse(argv[0], SIZE_MAX, 0, &spec)) {
		log_error("invalid specifier '%s'", argv[0]);
		return 1;
	}
	if (pep_slurp(stdin, &in)) {
		status = 1;
		goto out;
	}
	pep_out_init(&out, STDOUT_FILENO);
	while (pep_next_line(&in, &pos, &line, &len)) {
		struct pep440_version v;
		int r;

		pep440_parse(&v, line, len);
		r = pep440_spec_contains(spec, &v, pre);
		if (r == PEP440_INVALID)
			status = 1;
		if (r == 1)
			pep_out_add(&out, "true\n", 5);
		else if (r == PEP440_INVALID)
			pep_out_add(&out, "invalid\n", 8);
		else
			pep_out_add(&out, "false\n", 6);
		pep440_release(&v);
	}
	if (pep_out_finish(&out))
		status = 1;
out:
	pep440_spec_free(spec);
	buf_release(&in);
	return status;
}
