/*
 * PEP 440 versions and version specifiers, as Debian 12's python3-packaging
 * (23.0) implements them: the version strings PyPI serves are parsed once
 * into a struct pep440_version whose compact sort key orders versions with
 * one memcmp, so sorting a project's releases or testing them against a
 * requirement never allocates. Strings that are not PEP 440 versions are not
 * dropped: they parse into a version marked invalid that keeps its text.
 *
 *	struct pep440_version v;
 *	struct pep440_spec *spec;
 *
 *	if (pep440_spec_parse(">=1.0,!=1.3.*", SIZE_MAX, 0, &spec))
 *		return log_error("invalid specifier");
 *	pep440_parse(&v, text, len);
 *	if (pep440_spec_contains(spec, &v, PEP440_PRE_DEFAULT) == 1)
 *		...
 *	pep440_release(&v);
 *	pep440_spec_free(spec);
 *
 * What is a version: packaging's VERSION_PATTERN, matched case-insensitively
 * after stripping leading and trailing whitespace (Python's str.isspace(),
 * including the UTF-8 encoded Unicode spaces): an optional "v", an epoch
 * "N!", a release "N(.N)*", a pre-release (a, b, rc and the spellings alpha,
 * beta, c, pre, preview, with optional separators and number), a post-release
 * (".postN", "-N", rev, r), a dev release and a local label "+abc.1". Numbers
 * of any length compare as numbers (leading zeros ignored), never through a
 * machine integer. Deliberate differences from packaging are listed in
 * docs/packaging-standards.md (non-ASCII letters that Python's IGNORECASE
 * folds onto ASCII, and numbers longer than CPython's 4300-digit limit, are
 * invalid here; packaging accepts the former and raises ValueError on the
 * latter).
 */
#ifndef PYTI_PEP440_H
#define PYTI_PEP440_H

#include <stddef.h>
#include <stdint.h>

/* Returned for input that is not a PEP 440 version or specifier. */
#define PEP440_INVALID 2

/* Longest version text accepted; longer text parses as invalid. */
#define PEP440_MAX_LEN 65536

/* Longest digit run accepted (CPython's int() limit, which packaging hits). */
#define PEP440_MAX_DIGITS 4300

/* Bytes of sort key kept inside the struct; longer keys go to the heap. */
#define PEP440_KEY_INLINE 40

/* What a parsed version has (bits of pep440_version.flags). */
enum pep440_flag {
	PEP440_VALID = 1 << 0, /* it is a PEP 440 version */
	PEP440_HAS_EPOCH = 1 << 1, /* epoch other than 0 */
	PEP440_HAS_PRE = 1 << 2, /* a, b or rc segment */
	PEP440_HAS_POST = 1 << 3, /* post-release segment */
	PEP440_HAS_DEV = 1 << 4, /* dev segment */
	PEP440_HAS_LOCAL = 1 << 5, /* "+local" label */
};

/*
 * A parsed version. Plain fields may be read; the key is private (use the
 * functions below). The struct may be copied or moved (qsort) freely, but
 * only one copy may be passed to pep440_release().
 */
struct pep440_version {
	const char *text; /* borrowed: the original text, as given to parse */
	size_t len; /* its length */
	unsigned flags; /* enum pep440_flag bits; 0 for invalid text */
	/* Private: the sort key and where its public and base parts end. */
	uint32_t key_len, key_public, key_base;
	unsigned char *key_heap; /* owned; NULL when the key fits inline */
	unsigned char key_inline[PEP440_KEY_INLINE];
};

/*
 * Parse len bytes of text (no NUL needed; may contain NULs, which make it
 * invalid) into *v. v->text borrows text, which must outlive v. Returns 0
 * for a PEP 440 version, PEP440_INVALID for anything else; either way *v is
 * initialized (flags 0 when invalid) and must be given to pep440_release().
 * Never logs: invalid versions are ordinary data.
 */
int pep440_parse(struct pep440_version *v, const char *text, size_t len);

/* pep440_parse() of a NUL-terminated string. */
int pep440_parse_str(struct pep440_version *v, const char *text);

/* Free what v owns (the heap key, if any). v is unusable afterwards until
 * parsed again. pep440_release() of a zeroed struct is a no-op. */
void pep440_release(struct pep440_version *v);

/* Non-zero when v parsed as a PEP 440 version. */
int pep440_valid(const struct pep440_version *v);

/* Non-zero for a pre-release: it has a pre or dev segment (packaging's
 * Version.is_prerelease). 0 for invalid versions. */
int pep440_is_prerelease(const struct pep440_version *v);

/* Non-zero when it has a post segment (Version.is_postrelease). */
int pep440_is_postrelease(const struct pep440_version *v);

/*
 * Order two versions as packaging's Version does: returns <0, 0 or >0.
 * Equal means equal under PEP 440 ("1.0" == "1.0.0" == "v1.0"). Total order
 * on all input: invalid versions sort before every valid one and among
 * themselves by their bytes. Never allocates.
 */
int pep440_compare(const struct pep440_version *a,
                   const struct pep440_version *b);

/* As pep440_compare() on the public versions (local labels ignored). */
int pep440_compare_public(const struct pep440_version *a,
                          const struct pep440_version *b);

/* Non-zero when both have the same epoch and release ("base_version"),
 * ignoring pre, post, dev and local segments. 0 if either is invalid. */
int pep440_same_base(const struct pep440_version *a,
                     const struct pep440_version *b);

/* qsort() comparator over an array of struct pep440_version. */
int pep440_qsort_cmp(const void *a, const void *b);

/*
 * Append the normalized form (str(Version(text))) to out, e.g. "1.0a1.post2"
 * for "v1.0-ALPHA1-2". Returns 0, PEP440_INVALID (nothing appended) for an
 * invalid version, or BUF_FULL (from buf.h; out may hold part of it) when
 * out reaches its max.
 */
struct buf;
int pep440_normalize(const struct pep440_version *v, struct buf *out);

/*
 * pep440_normalize() straight from text, parsing it only once (no sort key
 * is built): the fast path for tools. Same return values.
 */
int pep440_normalize_text(const char *text, size_t len, struct buf *out);

/* Most bytes a normal form from pep440_normalize_fast() is longer than its
 * text ("1r" -> "1.post0"). */
#define PEP440_FAST_SLACK 16

/*
 * The allocation-free fast path of pep440_normalize_text() for tools that
 * normalize many lines: writes the normal form of text[0..len) to out,
 * which must have room for len + PEP440_FAST_SLACK bytes (no NUL is
 * written), and returns its length. Returns -1, with out[] clobbered, for
 * any text it leaves to pep440_normalize_text(): whitespace, anything not
 * ASCII, and every invalid version (-1 does not mean invalid). Covers
 * nearly every version PyPI serves.
 */
long pep440_normalize_fast(const char *text, size_t len, char *out);

/*
 * Word i of v's sort key (bytes 8i..8i+7, big-endian, zero-padded), and
 * the key's length in bytes: for sorting many versions with integer
 * compares. Versions order as their word sequences: the first differing
 * word decides; when words 0..n-1 are equal and both keys are at most 8n
 * bytes long the versions are equal; otherwise pep440_compare() decides.
 * Both return 0 for invalid versions (which sort first anyway).
 */
uint64_t pep440_key_word(const struct pep440_version *v, size_t i);
size_t pep440_key_len(const struct pep440_version *v);

/*
 * Specifier sets: "~=2.2, !=2.3.*, <3". A set is the AND of its clauses;
 * the empty set (empty or blank text) contains every final release.
 */
struct pep440_spec;

/* Flags for pep440_spec_parse(). */
enum pep440_spec_flag {
	/* One specifier, not a comma-separated set: packaging's Specifier
	 * rather than SpecifierSet (markers use this: "===1.0,2" is one
	 * arbitrary-equality clause, and blank text is invalid). */
	PEP440_SPEC_SINGLE = 1 << 0,
};

/* Longest specifier text accepted. */
#define PEP440_SPEC_MAX_LEN 65536

/*
 * Parse len bytes of specifier text (len SIZE_MAX: text is NUL-terminated)
 * with the grammar of packaging's Specifier regex, per comma-separated
 * clause, whitespace around clauses ignored. On success returns 0 and
 * stores a new set in *out (owned; pep440_spec_free()); it copies what it
 * needs, text may be freed. Returns PEP440_INVALID (not logged, *out
 * untouched) when a clause is not a valid specifier.
 */
int pep440_spec_parse(const char *text, size_t len, unsigned flags,
                      struct pep440_spec **out);

/* Free a set. pep440_spec_free(NULL) is a no-op. */
void pep440_spec_free(struct pep440_spec *spec);

/* Number of clauses in the set (0 for the empty set). */
size_t pep440_spec_count(const struct pep440_spec *spec);

/* Pre-release policy of pep440_spec_contains(). */
enum pep440_prerelease {
	/* packaging's default (prereleases=None): pre-releases match only if
	 * some clause itself names a pre-release with ==, ===, >=, <= or ~=
	 * (for ==V.* the V); the empty set matches no pre-release. */
	PEP440_PRE_DEFAULT = 0,
	PEP440_PRE_ALLOW = 1, /* prereleases=True */
	PEP440_PRE_DENY = 2, /* prereleases=False */
};

/*
 * Whether v satisfies every clause of spec, as packaging's
 * SpecifierSet.contains(v, prereleases=...) answers (Specifier.contains for
 * a PEP440_SPEC_SINGLE set). Returns 1 (contained), 0 (not), or
 * PEP440_INVALID when v is not a PEP 440 version (packaging raises
 * InvalidVersion). Never allocates for ordinary versions (a scratch buffer
 * on the stack serves ==V.* unless v is longer than 256 bytes).
 *
 * One deliberate difference: a "===" clause whose text is not a PEP 440
 * version makes packaging raise InvalidVersion when it looks for
 * pre-releases; here it simply names no pre-release.
 */
int pep440_spec_contains(const struct pep440_spec *spec,
                         const struct pep440_version *v,
                         enum pep440_prerelease pre);

/* Whether the set admits pre-releases under PEP440_PRE_DEFAULT (packaging's
 * SpecifierSet.prereleases, with None reported as 0). */
int pep440_spec_prereleases(const struct pep440_spec *spec);

#endif
