/* Unit tests for common/cas.c: the store's one path function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "cas.h"
#include "sha256.h"

#define ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void
test_cas_path(void **state)
{
	struct buf p = BUF_INIT(0);
	char upper[SHA256_HEX_LEN + 1];
	int i;

	(void)state;
	assert_int_equal(cas_path("/s", ABC, &p), 0);
	assert_string_equal(buf_cstr(&p), "/s/ba/" ABC);
	for (i = 0; i < SHA256_HEX_LEN; i++)
		upper[i] =
		    (ABC[i] >= 'a' && ABC[i] <= 'f') ? ABC[i] - 32 : ABC[i];
	upper[SHA256_HEX_LEN] = '\0';
	assert_int_equal(cas_path("/s", upper, &p), 0);
	assert_string_equal(buf_cstr(&p), "/s/ba/" ABC);
	assert_int_equal(cas_path("/s", "abc", &p), -1);
	assert_int_equal(cas_path("/s", ABC "0", &p), -1);
	assert_int_equal(cas_path("/s", "../../etc/passwd", &p), -1);
	buf_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cas_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
