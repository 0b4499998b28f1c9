/* Unit tests for common/buf.c: growth, the maximum, formatting, detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void
test_buf_add_grows(void **state)
{
	struct buf b = BUF_INIT(0);

	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(strlen(buf_cstr(&b)), 10000);
	assert_int_equal(b.data[25], 'z');
	buf_release(&b);
	assert_null(b.data);
	assert_string_equal(buf_cstr(&b), "");
}

static void
test_buf_add_full_appends_nothing(void **state)
{
	struct buf b = BUF_INIT(8);

	assert_int_equal(buf_adds(&b, "12345"), 0);
	assert_int_equal(buf_adds(&b, "6789"), BUF_FULL);
	assert_string_equal(buf_cstr(&b), "12345");
	assert_int_equal(buf_adds(&b, "678"), 0);
	assert_int_equal(buf_addc(&b, 'x'), BUF_FULL);
	assert_string_equal(buf_cstr(&b), "12345678");
	assert_true(b.alloc <= 9);
	buf_release(&b);
}

static void
test_buf_addf_formats_and_respects_max(void **state)
{
	struct buf b = BUF_INIT(10);

	assert_int_equal(buf_addf(&b, "%d-%s", 42, "ab"), 0);
	assert_string_equal(buf_cstr(&b), "42-ab");
	assert_int_equal(buf_addf(&b, "%s", "toolong"), BUF_FULL);
	assert_string_equal(buf_cstr(&b), "42-ab");
	buf_release(&b);
}

static void
test_buf_detach_leaves_empty(void **state)
{
	struct buf b = BUF_INIT(100);
	size_t len = 0;
	char *s;

	buf_adds(&b, "hello");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 100);
	free(s);
	s = buf_detach(&b, NULL);
	assert_string_equal(s, "");
	free(s);
}

static void
test_buf_truncate_and_reset(void **state)
{
	struct buf b = BUF_INIT(0);

	buf_adds(&b, "abcdef");
	buf_truncate(&b, 3);
	assert_string_equal(buf_cstr(&b), "abc");
	buf_truncate(&b, 10);
	assert_string_equal(buf_cstr(&b), "abc");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_release(&b);
}

static void
test_buf_add_binary_with_nul(void **state)
{
	struct buf b = BUF_INIT(0);

	assert_int_equal(buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf_add_grows),
	    cmocka_unit_test(test_buf_add_full_appends_nothing),
	    cmocka_unit_test(test_buf_addf_formats_and_respects_max),
	    cmocka_unit_test(test_buf_detach_leaves_empty),
	    cmocka_unit_test(test_buf_truncate_and_reset),
	    cmocka_unit_test(test_buf_add_binary_with_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
