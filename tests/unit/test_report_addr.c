/* Unit tests for reporter/addr.c: what survives from Author-email /
 * Maintainer-email header text, and that nothing able to inject a header
 * or an SMTP command does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "addr.h"

static char out[REPORT_ADDRS_MAX][REPORT_ADDR_MAX + 1];

static void
test_report_addr_valid_plain(void **state)
{
	(void)state;
	assert_true(report_addr_valid("a@example.org"));
	assert_true(report_addr_valid("first.last+tag@sub.example.co.uk"));
	assert_true(report_addr_valid("o'neil@example.org"));
	assert_true(report_addr_valid("x-y_z@ex-ample.io"));
}

static void
test_report_addr_valid_refuses_injection(void **state)
{
	static const char *const bad[] = {
	    "a@example.org\r\nBcc: victim@example.com",
	    "a@example.org\nRCPT TO:<victim@example.com>",
	    "a@example.org>\r\nDATA",
	    "a b@example.org",
	    "\"quoted\"@example.org",
	    "a@[127.0.0.1]",
	    "a@localhost",
	    "a@example.123",
	    "a@-example.org",
	    "a@example-.org",
	    "a@exa_mple.org",
	    ".a@example.org",
	    "a.@example.org",
	    "a..b@example.org",
	    "@example.org",
	    "a@",
	    "a@@example.org",
	    "a@example..org",
	    "a@example.org.",
	    "a,b@example.org",
	    "a<b@example.org",
	    "a;b@example.org",
	    "a:b@example.org",
	    "\xc3\xa9@example.org",
	    "a@ex\xc3\xa4mple.org",
	    "a\t@example.org",
	    "a@example.o",
	    "",
	};
	size_t i;
	char longl[80], longa[300];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (report_addr_valid(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
	}
	memset(longl, 'a', 65);
	strcpy(longl + 65, "@example.org");
	assert_false(report_addr_valid(longl));
	memset(longa, 'b', 250);
	memcpy(longa, "a@", 2);
	strcpy(longa + 250, ".org");
	assert_false(report_addr_valid(longa));
}

static void
test_report_addr_parse_header(void **state)
{
	int n;

	(void)state;
	n = report_addr_parse("\"Doe, Jane\" <Jane@Example.ORG>, "
	                      "bob@example.net,Carol <carol@EXAMPLE.net>",
	                      out, REPORT_ADDRS_MAX);
	assert_int_equal(n, 3);
	assert_string_equal(out[0], "jane@example.org");
	assert_string_equal(out[1], "bob@example.net");
	assert_string_equal(out[2], "carol@example.net");
}

static void
test_report_addr_parse_skips_bad_and_dups(void **state)
{
	int n;

	(void)state;
	n = report_addr_parse("x@example.org\r\nBcc: v@example.com, "
	                      "<y@example.org>, y@EXAMPLE.org, none, "
	                      "<broken@example.org, z@example.org",
	                      out, REPORT_ADDRS_MAX);
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "y@example.org");
	n = report_addr_parse("", out, REPORT_ADDRS_MAX);
	assert_int_equal(n, 0);
	n = report_addr_parse("a@example.org, b@example.org, c@example.org",
	                      out, 2);
	assert_int_equal(n, 2);
	assert_string_equal(report_addr_domain(out[1]), "example.org");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_addr_valid_plain),
	    cmocka_unit_test(test_report_addr_valid_refuses_injection),
	    cmocka_unit_test(test_report_addr_parse_header),
	    cmocka_unit_test(test_report_addr_parse_skips_bad_and_dups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
