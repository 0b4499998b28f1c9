/* Unit tests for common/sha256.c against the FIPS 180-4 / NIST vectors,
 * and streaming in odd-sized pieces against the one-shot digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void
check(const char *msg, size_t n, const char *want)
{
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex(msg, n, hex);
	assert_string_equal(hex, want);
}

static void
test_sha256_known_vectors(void **state)
{
	check(
	    "", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check(
	    "abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check(
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check(
	    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	    "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	    112,
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void
test_sha256_million_a_streamed(void **state)
{
	struct sha256 h;
	char chunk[1000], hex[SHA256_HEX_LEN + 1];
	int i;

	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&h);
	for (i = 0; i < 1000; i++)
		sha256_update(&h, chunk, sizeof(chunk));
	sha256_final_hex(&h, hex);
	assert_string_equal(
	    hex,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_sha256_update_any_split(void **state)
{
	unsigned char data[300];
	char one[SHA256_HEX_LEN + 1], split[SHA256_HEX_LEN + 1];
	size_t i, step;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	sha256_hex(data, sizeof(data), one);
	for (step = 1; step < 130; step++) {
		struct sha256 h;

		sha256_init(&h);
		for (i = 0; i < sizeof(data); i += step)
			sha256_update(&h, data + i,
			              sizeof(data) - i < step ? sizeof(data) - i
			                                      : step);
		sha256_final_hex(&h, split);
		assert_string_equal(one, split);
	}
}

static void
test_sha256_is_hex(void **state)
{
	assert_true(sha256_is_hex("E3B0c44298fc1c149afbf4c8996fb92427ae41e4649b"
	                          "934ca495991b7852b855"));
	assert_false(sha256_is_hex(
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
	assert_false(sha256_is_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649"
	                           "b934ca495991b7852b8555"));
	assert_false(sha256_is_hex("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649"
	                           "b934ca495991b7852b855"));
	assert_false(sha256_is_hex(""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_known_vectors),
	    cmocka_unit_test(test_sha256_million_a_streamed),
	    cmocka_unit_test(test_sha256_update_any_split),
	    cmocka_unit_test(test_sha256_is_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
