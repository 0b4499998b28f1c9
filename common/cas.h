/*
 * The content-addressed file store (cas) and its layout: core-metadata files
 * (PEP 658) and distribution files, each under its own sha256. The
 * crawler writes it (common/store.h: verified while streaming, published
 * by rename); the scheduler and the runner read it. One function here
 * says where a file lives, so writer and readers cannot disagree:
 *
 *	STORE/<sha256[0:2]>/<sha256>	a verified file (64 lowercase hex)
 *	STORE/tmp/...			downloads in progress (store.c only)
 *
 * A final name only ever holds the bytes its name promises; readers
 * still check size and digest of what they load from it.
 */
#ifndef PYTI_CAS_H
#define PYTI_CAS_H

#include "buf.h"

/*
 * The store's key of sha256 (64 hex digits, either case): the same in
 * lowercase, into out. Returns 0, or -1 (not logged) when sha256 is not
 * 64 hex digits.
 */
int cas_key(const char *sha256, char out[65]);

/*
 * The path of sha256 (64 hex digits, either case; the path uses
 * lowercase) in the store directory dir: "dir/ab/abcd...". Replaces out's
 * contents. Returns 0, or -1 (not logged) when sha256 is not 64 hex
 * digits (out untouched).
 */
int cas_path(const char *dir, const char *sha256, struct buf *out);

#endif
