/*
 * Compatibility tags (PEP 425): the `py3-none-any` triples that say where a
 * wheel runs, the compressed tag sets of wheel filenames
 * (`py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64`), and the
 * ordered list of tags a CPython interpreter supports, exactly as
 * packaging.tags.sys_tags() (packaging 23.0) orders them on such a system.
 *
 * A tag is kept as one lowercase string "interpreter-abi-platform": that is
 * how tags are compared, hashed and printed everywhere, and it avoids three
 * allocations per tag. The platform a target names decides the expansion:
 *
 *	manylinux_2_36_x86_64	glibc 2.36: manylinux_2_36 .. manylinux_2_5
 *				(2_17 on other arches) with manylinux2014,
 *				manylinux2010, manylinux1 after their glibc
 *				(PEP 600), then linux_x86_64
 *	manylinux2014_aarch64	the same, for the alias's glibc (2.17)
 *	musllinux_1_2_x86_64	musl 1.2: musllinux_1_2 .. musllinux_1_0
 *				(PEP 656), then linux_x86_64
 *	macosx_11_0_arm64	packaging's mac_platforms() for that version
 *	anything else		itself only (linux_x86_64, win_amd64, any)
 *
 *	struct tags_list l = TAGS_LIST_INIT;
 *	struct tags_target t = { .py_major = 3, .py_minor = 11,
 *				 .platform = "manylinux_2_36_x86_64" };
 *	if (tags_supported(&t, &l) < 0)
 *		...;
 *	long rank = tags_list_rank(&l, "cp311-cp311-manylinux_2_17_x86_64");
 *	tags_list_release(&l);
 */
#ifndef PYTI_TAGS_H
#define PYTI_TAGS_H

#include <stddef.h>

/* Bounds on what a tag string or a compressed set may hold. */
#define TAGS_PART_MAX 64 /* one interpreter, abi or platform component */
#define TAGS_SET_MAX 256 /* tags a compressed tag set may expand to */

/*
 * An ordered list of distinct tag strings with a hash index. Fields are
 * read-only for users; v[i] are owned by the list.
 */
struct tags_list {
	char **v; /* the tags, in order */
	size_t n; /* how many */
	size_t alloc; /* capacity of v */
	size_t *slots; /* open-addressing index into v (+1; 0 = empty) */
	size_t nslots; /* power of two, or 0 before the first add */
};

#define TAGS_LIST_INIT                                                         \
	{                                                                      \
		NULL, 0, 0, NULL, 0                                            \
	}

/* Free everything the list holds; it is empty and reusable afterwards. */
void tags_list_release(struct tags_list *l);

/*
 * Append the tag "interp-abi-plat" (copied, lowercased) unless the list
 * already holds it. Returns 0 when added, 1 when it was already there.
 */
int tags_list_add(struct tags_list *l, const char *interp, const char *abi,
                  const char *plat);

/* The position of tag in the list (0 = first), or -1 if absent. The tag
 * must be lowercase, as the list holds it. */
long tags_list_rank(const struct tags_list *l, const char *tag);

/* Sort the list's tags in strcmp order (for stable output of sets). */
void tags_list_sort(struct tags_list *l);

/*
 * Expand the compressed tag set "py2.py3-none-any" (exactly two dashes,
 * each component a non-empty run of [A-Za-z0-9_] at most TAGS_PART_MAX
 * long, at most TAGS_SET_MAX tags in all) into out, appending tags in
 * interpreter, abi, platform nesting order, lowercased and without
 * duplicates. len is the length of s (it need not be NUL-terminated).
 * Returns 0, or -1 without logging and with out unchanged when s is
 * malformed; *why (if not NULL) then points at a static reason.
 */
int tags_parse_set(const char *s, size_t len, struct tags_list *out,
                   const char **why);

/* Describes the interpreter whose supported tags are wanted. */
struct tags_target {
	int py_major; /* e.g. 3 */
	int py_minor; /* e.g. 11 */
	/* ABIs before abi3 and none, comma-separated ("cp311,cp311d"), or
	 * NULL for CPython's default (cpXY, plus "m" before 3.8 and "mu"
	 * before 3.3, as a non-debug Linux build reports). "abi3" and "none"
	 * in the list are ignored: they always come at their own place. */
	const char *abis;
	const char *platform; /* see the table at the top */
};

/*
 * The platform tags a target platform expands to, most specific first, as
 * in the table at the top, appended to out (as bare platform strings, not
 * triples). Returns 0, or -1 (logged) when the platform is malformed (not
 * [a-z0-9_], empty, longer than TAGS_PART_MAX, a glibc or musl version out
 * of range).
 */
int tags_platforms(const char *platform, struct tags_list *out);

/*
 * Every tag the target supports, in priority order: cpython_tags() then
 * compatible_tags() of packaging.tags, over tags_platforms(). Appended to
 * out. Returns 0, or -1 (logged) for a bad target (version outside
 * 2.0..3.999, malformed abi list or platform).
 */
int tags_supported(const struct tags_target *t, struct tags_list *out);

/*
 * The best (lowest) rank in supported of any tag in wheel_tags, or -1 when
 * none is supported: what pip uses to choose between compatible wheels.
 */
long tags_best_rank(const struct tags_list *supported,
                    const struct tags_list *wheel_tags);

#endif
