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

static int
usage(void)
{
	fprintf(stderr, "usage: pyti-pep specifier SPEC "
	                "[--prereleases|--no-prereleases] < versions\n");
	return 2;
}

int
pep_cmd_specifier(int argc, char **argv)
{
	enum pep440_prerelease pre = PEP440_PRE_DEFAULT;
	struct pep440_spec *spec = NULL;
	struct buf in = BUF_INIT(0), out = BUF_INIT(0);
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
	while (pep_next_line(&in, &pos, &line, &len)) {
		struct pep440_version v;
		int r;

		pep440_parse(&v, line, len);
		r = pep440_spec_contains(spec, &v, pre);
		if (r == PEP440_INVALID)
			status = 1;
		buf_adds(&out, r == 1                ? "true\n"
		               : r == PEP440_INVALID ? "invalid\n"
		                                     : "false\n");
		pep440_release(&v);
		if (out.len >= (1 << 16)) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	if (fflush(stdout)) {
		log_error("cannot write output");
		status = 1;
	}
out:
	pep440_spec_free(spec);
	buf_release(&in);
	buf_release(&out);
	return status;
}
