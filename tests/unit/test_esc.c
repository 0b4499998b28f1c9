/* Unit tests for common/esc.c: markup escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "esc.h"

static void
test_esc_markup_entities(void **state)
{
	struct buf b = BUF_INIT(1024);
	const char *s = "<a href=\"x\" title='y'>&amp;\n\x01</a>";

	(void)state;
	assert_int_equal(esc_markup(&b, s, strlen(s)), 0);
	assert_string_equal(buf_cstr(&b),
	                    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;"
	                    "&amp;amp;  &lt;/a&gt;");
	buf_release(&b);
}

static void
test_esc_markup_length_and_nul(void **state)
{
	struct buf b = BUF_INIT(1024);

	(void)state;
	/* n bytes, not up to a NUL: an embedded NUL becomes a space */
	assert_int_equal(esc_markup(&b, "a\0b<c", 4), 0);
	assert_string_equal(buf_cstr(&b), "a b&lt;");
	buf_reset(&b);
	assert_int_equal(esc_markup(&b, "plain ütf-8", strlen("plain ütf-8")),
	                 0);
	assert_string_equal(buf_cstr(&b), "plain ütf-8");
	buf_release(&b);
}

static void
test_esc_markup_full(void **state)
{
	struct buf b = BUF_INIT(8);

	(void)state;
	assert_int_equal(esc_markup(&b, "<<<<<<", 6), BUF_FULL);
	assert_true(b.len <= 8);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_esc_markup_entities),
	    cmocka_unit_test(test_esc_markup_length_and_nul),
	    cmocka_unit_test(test_esc_markup_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
