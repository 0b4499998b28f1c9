/*
 * pyti-pep normalize-name: the PEP 503 normalized form of each project
 * name line, or "invalid" for a line that is not a valid project name.
 */
#include "buf.h"
#include "log.h"
#include "pep.h"
#include "pep503.h"
#include "slurp.h"

#include <stdio.h>

int
pep_cmd_normalize_name(struct cli *cli, int argc, char **argv)
{
	struct buf in = BUF_INIT(0), out = BUF_INIT(0);
	const char *line;
	size_t pos = 0, len;
	int status = 0;

	if (argc != 0) {
		fprintf(stderr, "usage: pyti-pep normalize-name < names\n");
		return 2;
	}
	if (pep_slurp(stdin, &in)) {
		buf_release(&in);
		return 1;
	}
	while (pep_next_line(&in, &pos, &line, &len)) {
		if (pep503_valid(line, len)) {
			pep503_normalize(line, len, &out);
		} else {
			buf_adds(&out, "invalid");
			status = 1;
		}
		buf_addc(&out, '\n');
		if (out.len >= (1 << 16)) {
			fwrite(out.data, 1, out.len, stdout);
			buf_reset(&out);
		}
	}
	fwrite(buf_cstr(&out), 1, out.len, stdout);
	buf_release(&in);
	buf_release(&out);
	if (fflush(stdout)) {
		log_error("cannot write output");
		return 1;
	}
	return status;
}
