/*
 * toml-json FILE...: each TOML file as one line of toml-test's tagged
 * JSON (common/toml.h), or "error: LINE:COL: message" when refused.
 * The differential test (t0530) compares these lines with what Python's
 * tomllib says (toml-oracle).
 */
#include "buf.h"
#include "jx.h"
#include "os.h"
#include "toml.h"

#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct buf b = BUF_INIT(16 << 20);
		struct toml_error err;
		if (os_read_file(argv[i], &b) < 0) {
			rc = 1;
			continue;
		}
		json_t *j =
		    toml_parse_tagged(b.data ? b.data : "", b.len, &err);
		if (j) {
			char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
			                            JSON_ENSURE_ASCII);
			printf("%s\n", s);
			free(s);
			json_decref(j);
		} else {
			printf("error: %d:%d: %s\n", err.line, err.col,
			       err.msg);
		}
		buf_release(&b);
	}
	return rc;
}
