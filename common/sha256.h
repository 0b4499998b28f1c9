/*
 * SHA-256 (FIPS 180-4), streaming. pyti verifies every downloaded file and
 * metadata document against the index's sha256 while the bytes arrive, and
 * the guest agent hashes what it unpacks; no crypto library is linked, so
 * this is the one implementation. Plain C, no allocation.
 *
 *	struct sha256 h;
 *	char hex[SHA256_HEX_LEN + 1];
 *	sha256_init(&h);
 *	sha256_update(&h, data, n);	(any number of times)
 *	sha256_final_hex(&h, hex);
 */
#ifndef PYTI_SHA256_H
#define PYTI_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
	uint32_t state[8];
	uint64_t bytes; /* total fed so far */
	unsigned char block[64];
	size_t fill; /* bytes waiting in block */
};

/* Start a new digest. */
void sha256_init(struct sha256 *h);

/* Feed n bytes. */
void sha256_update(struct sha256 *h, const void *data, size_t n);

/* Finish: write the 32-byte digest to out. h must be re-initialized
 * before reuse. */
void sha256_final(struct sha256 *h, unsigned char out[SHA256_LEN]);

/* Finish and write the digest as 64 lowercase hex digits plus a NUL. */
void sha256_final_hex(struct sha256 *h, char out[SHA256_HEX_LEN + 1]);

/* One-shot: the hex digest of n bytes at data. */
void sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1]);

/*
 * Whether s is exactly 64 hex digits (either case): what an index may give
 * as a sha256. Returns 1 or 0.
 */
int sha256_is_hex(const char *s);

#endif
