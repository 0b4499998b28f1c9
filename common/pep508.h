/*
 * PEP 508 dependency specifiers ("requests[socks] >=2.8, <3; python_version
 * >= '3.8'") and environment markers, parsed with the grammar of
 * packaging 23.0's hand-written parser (_parser.py, _tokenizer.py) and
 * evaluated as its Marker.evaluate() does:
 *
 *   - a comparison whose operator and right side form a valid PEP 440
 *     specifier ("python_version >= '3.8'") is a version comparison with
 *     pre-releases allowed, through pep440.h; anything else is a string
 *     comparison ("in", "not in" are substring tests);
 *   - "extra" values are compared after PEP 503 normalization;
 *   - "and" binds tighter than "or".
 *
 * Deliberate differences from packaging 23.0 (docs/packaging-standards.md):
 * quoted strings are taken literally (packaging runs Python's
 * ast.literal_eval, so backslash escapes are interpreted); a version
 * comparison whose left side is not a PEP 440 version is false (packaging
 * raises InvalidVersion; later packaging releases also say false); a
 * comparison of two literals or two variables compares their values
 * (packaging looks the literal up as a variable name); str() of a marker
 * normalizes every extra and keeps the parentheses of nested groups
 * (packaging normalizes the first comparison only and drops parentheses
 * around doubly parenthesized groups, changing the meaning); URLs are
 * checked for "scheme://netloc" or "file://" only; word boundaries
 * (\b) are ASCII.
 *
 * Every input is bounded: PEP508_MAX_LEN bytes, PEP508_MAX_DEPTH nested
 * parentheses.
 */
#ifndef PYTI_PEP508_H
#define PYTI_PEP508_H

#include <stddef.h>

#define PEP508_MAX_LEN 65536
#define PEP508_MAX_DEPTH 64

/* The marker variables, in the spelling of PEP 508. */
enum pep508_var {
	PEP508_PYTHON_VERSION,
	PEP508_PYTHON_FULL_VERSION,
	PEP508_OS_NAME,
	PEP508_SYS_PLATFORM,
	PEP508_PLATFORM_RELEASE,
	PEP508_PLATFORM_SYSTEM,
	PEP508_PLATFORM_VERSION,
	PEP508_PLATFORM_MACHINE,
	PEP508_PLATFORM_PYTHON_IMPLEMENTATION,
	PEP508_IMPLEMENTATION_NAME,
	PEP508_IMPLEMENTATION_VERSION,
	PEP508_EXTRA,
	PEP508_NVARS
};

/* The variable's PEP 508 name ("python_version"). */
const char *pep508_var_name(enum pep508_var var);

/* A target environment: one value per variable, borrowed (they must
 * outlive every evaluation); NULL means "". */
struct pep508_env {
	const char *v[PEP508_NVARS];
	char full[32]; /* private: pep508_env_cpython()'s "X.Y.0" */
};

/*
 * Fill env for CPython python_version ("3.11") and python_full_version
 * (NULL: python_version + ".0") on sys_platform "linux", "darwin" or
 * "win32", machine NULL for that platform's usual one (x86_64, arm64,
 * AMD64). platform_release and platform_version are "" and extra is ""
 * (set env->v[PEP508_EXTRA] to evaluate for an extra). The strings given
 * are borrowed; a made-up full version lives in env itself, so a copy of
 * env must not outlive env. Returns 0, or -1 (logged) for another sys_platform.
 */
int pep508_env_cpython(struct pep508_env *env, const char *python_version,
                       const char *python_full_version,
                       const char *sys_platform, const char *machine);

/* Why a parse failed: a static message and the byte offset it refers
 * to. */
struct pep508_error {
	const char *msg;
	size_t pos;
};

struct pep508_marker;

/*
 * Parse the marker at s (len bytes, no NUL needed). Returns 0 and a new
 * marker in *out (owned; pep508_marker_free()), or -1 without logging,
 * *out untouched and *err (if not NULL) filled.
 */
int pep508_marker_parse(const char *s, size_t len, struct pep508_marker **out,
                        struct pep508_error *err);

/* Free a marker. NULL is a no-op. */
void pep508_marker_free(struct pep508_marker *m);

/* Returned by the evaluators when a comparison is undefined ("~=" or
 * "===" between values that are not versions): packaging raises
 * UndefinedComparison. */
#define PEP508_UNDEFINED 2

/*
 * Evaluate the marker for env. Returns 1 (true), 0 (false) or
 * PEP508_UNDEFINED.
 */
int pep508_marker_eval(const struct pep508_marker *m,
                       const struct pep508_env *env);

/*
 * Evaluate as pip does for a requirement installed with these extras: true
 * when the marker holds with extra set to any of them, or to "" when
 * nextras is 0. env's own extra is ignored. Returns as pep508_marker_eval.
 */
int pep508_marker_eval_extras(const struct pep508_marker *m,
                              const struct pep508_env *env,
                              const char *const *extras, size_t nextras);

/* The marker in packaging's normalized form ('python_version >= "3.8" and
 * extra == "foo"'). Owned (free()). */
char *pep508_marker_str(const struct pep508_marker *m);

/* A parsed requirement. All fields owned by it. */
struct pep508_req {
	char *name; /* as written (normalize with pep503.h) */
	char **extras; /* as written, sorted, without duplicates */
	size_t nextras;
	/* The specifier set in packaging's str() form: clauses sorted,
	 * spaces removed, joined by ","; "" when none. Valid for
	 * pep440_spec_parse(). */
	char *specifier;
	char *url; /* NULL unless "name @ url" */
	struct pep508_marker *marker; /* NULL when there is none */
};

/*
 * Parse the requirement at s (len bytes). Returns 0 and a new requirement
 * in *out (pep508_req_free()), or -1 without logging, *err filled.
 */
int pep508_req_parse(const char *s, size_t len, struct pep508_req **out,
                     struct pep508_error *err);

/* Free a requirement. NULL is a no-op. */
void pep508_req_free(struct pep508_req *r);

#endif
