/*
 * PEP 425 tags: compressed tag sets and the supported-tag list of a CPython
 * interpreter. The generation code follows packaging 23.0's tags.py,
 * _manylinux.py and _musllinux.py line for line (the loops below name the
 * function they mirror), because the scheduler must pick the same wheel pip
 * would, and pip's choice is the position of a wheel's best tag in that
 * list.
 */
#include "tags.h"
#include "log.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A tag string: three components and two dashes. */
#define TAG_MAX (3 * TAGS_PART_MAX + 3)

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
tags_list_release(struct tags_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->slots);
	l->v = NULL;
	l->n = l->alloc = l->nslots = 0;
	l->slots = NULL;
}

/* Index slot where tag is, or the empty slot where it would go. */
static size_t
find_slot(const struct tags_list *l, const char *tag)
{
	size_t mask = l->nslots - 1;
	size_t i = (size_t)hash_str(tag) & mask;

	while (l->slots[i] && strcmp(l->v[l->slots[i] - 1], tag))
		i = (i + 1) & mask;
	return i;
}

static void
rehash(struct tags_list *l)
{
	size_t n = l->nslots ? l->nslots * 2 : 64;

	free(l->slots);
	l->slots = xcalloc(n, sizeof(*l->slots));
	l->nslots = n;
	for (size_t i = 0; i < l->n; i++)
		l->slots[find_slot(l, l->v[i])] = i + 1;
}

/* Add an already lowercased tag string; takes ownership of tag. */
static int
list_add_owned(struct tags_list *l, char *tag)
{
	size_t slot;

	/* Keep the load factor under one half. */
	if ((l->n + 1) * 2 > l->nslots)
		rehash(l);
	slot = find_slot(l, tag);
	if (l->slots[slot]) {
		free(tag);
		return 1;
	}
	XGROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = tag;
	l->slots[slot] = l->n;
	return 0;
}

int
tags_list_add(struct tags_list *l, const char *interp, const char *abi,
              const char *plat)
{
	size_t a = strlen(interp), b = strlen(abi), c = strlen(plat);
	char *tag = xmalloc(a + b + c + 3);

	memcpy(tag, interp, a);
	tag[a] = '-';
	memcpy(tag + a + 1, abi, b);
	tag[a + 1 + b] = '-';
	memcpy(tag + a + b + 2, plat, c + 1);
	for (char *p = tag; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return list_add_owned(l, tag);
}

long
tags_list_rank(const struct tags_list *l, const char *tag)
{
	size_t slot;

	if (!l->nslots)
		return -1;
	slot = find_slot(l, tag);
	return l->slots[slot] ? (long)l->slots[slot] - 1 : -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
tags_list_sort(struct tags_list *l)
{
	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	rehash(l);
	/* rehash() doubled the table; that is harmless. */
}

long
tags_best_rank(const struct tags_list *supported,
               const struct tags_list *wheel_tags)
{
	long best = -1;

	for (size_t i = 0; i < wheel_tags->n; i++) {
		long r = tags_list_rank(supported, wheel_tags->v[i]);

		if (r >= 0 && (best < 0 || r < best))
			best = r;
	}
	return best;
}

/* Components of one part of a compressed tag ("py2.py3"): start and
 * length of each, at most TAGS_SET_MAX of them. */
struct parts {
	const char *p[TAGS_SET_MAX];
	size_t len[TAGS_SET_MAX];
	size_t n;
};

static int
split_dots(const char *s, size_t len, struct parts *out, const char **why)
{
	size_t start = 0;

	out->n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			unsigned char c = (unsigned char)s[i];

			if (!isalnum(c) && c != '_') {
				*why = "tag has a character other than "
				       "letters, digits and '_'";
				return -1;
			}
			continue;
		}
		if (i == start) {
			*why = "tag has an empty component";
			return -1;
		}
		if (i - start > TAGS_PART_MAX) {
			*why = "tag component too long";
			return -1;
		}
		if (out->n == TAGS_SET_MAX) {
			*why = "too many tags in the compressed set";
			return -1;
		}
		out->p[out->n] = s + start;
		out->len[out->n++] = i - start;
		start = i + 1;
	}
	return 0;
}

int
tags_parse_set(const char *s, size_t len, struct tags_list *out,
               const char **why)
{
	struct parts part[3];
	const char *dummy, *d1, *d2, *end = s + len;
	struct tags_list tmp = TAGS_LIST_INIT;

	if (!why)
		why = &dummy;
	d1 = memchr(s, '-', len);
	d2 = d1 ? memchr(d1 + 1, '-', (size_t)(end - d1 - 1)) : NULL;
	if (!d2 || memchr(d2 + 1, '-', (size_t)(end - d2 - 1))) {
		*why = "tag set needs exactly three dash-separated parts";
		return -1;
	}
	if (split_dots(s, (size_t)(d1 - s), &part[0], why) < 0 ||
	    split_dots(d1 + 1, (size_t)(d2 - d1 - 1), &part[1], why) < 0 ||
	    split_dots(d2 + 1, (size_t)(end - d2 - 1), &part[2], why) < 0)
		return -1;
	if (part[0].n * part[1].n * part[2].n > TAGS_SET_MAX) {
		*why = "too many tags in the compressed set";
		return -1;
	}
	for (size_t i = 0; i < part[0].n; i++)
		for (size_t j = 0; j < part[1].n; j++)
			for (size_t k = 0; k < part[2].n; k++) {
				char tag[TAG_MAX];

				snprintf(tag, sizeof(tag), "%.*s-%.*s-%.*s",
				         (int)part[0].len[i], part[0].p[i],
				         (int)part[1].len[j], part[1].p[j],
				         (int)part[2].len[k], part[2].p[k]);
				for (char *p = tag; *p; p++)
					*p = (char)tolower((unsigned char)*p);
				list_add_owned(&tmp, xstrdup(tag));
			}
	/* All or nothing: only now touch out. */
	for (size_t i = 0; i < tmp.n; i++) {
		list_add_owned(out, tmp.v[i]);
		tmp.v[i] = NULL;
	}
	tmp.n = 0;
	tags_list_release(&tmp);
	return 0;
}

static void add_plat(struct tags_list *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_plat(struct tags_list *out, const char *fmt, ...)
{
	char plat[TAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(plat, sizeof(plat), fmt, ap);
	va_end(ap);
	list_add_owned(out, xstrdup(plat));
}

/*
 * "<prefix><major>_<minor>_<arch>" -> major, minor, arch. The arch must be
 * non-empty; both numbers at most three digits.
 */
static int
parse_versioned(const char *s, const char *prefix, int *major, int *minor,
                const char **arch)
{
	size_t plen = strlen(prefix);
	int v[2];

	if (strncmp(s, prefix, plen))
		return -1;
	s += plen;
	for (int i = 0; i < 2; i++) {
		int digits = 0;

		v[i] = 0;
		while (isdigit((unsigned char)*s)) {
			if (++digits > 3)
				return -1;
			v[i] = v[i] * 10 + (*s++ - '0');
		}
		if (!digits || *s++ != '_')
			return -1;
	}
	if (!*s)
		return -1;
	*major = v[0];
	*minor = v[1];
	*arch = s;
	return 0;
}

/* _manylinux.platform_tags() + the trailing linux_<arch> of
 * tags._linux_platforms(), for a system with this glibc. */
static void
manylinux_platforms(int major, int minor, const char *arch,
                    struct tags_list *out)
{
	static const char *const ok_arch[] = {
	    "x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "armv7l", "i686",
	};
	int old_major = 2, old_minor = 16, compatible = 0;

	for (size_t i = 0; i < sizeof(ok_arch) / sizeof(ok_arch[0]); i++)
		if (!strcmp(arch, ok_arch[i]))
			compatible = 1;
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "i686"))
		old_minor = 4;
	/* glibc_max_list: the running glibc, then (M, 50) for each older
	 * major M down to 2 (_LAST_GLIBC_MINOR's default). */
	for (int m = major; compatible && m >= 1; m--) {
		int max_minor = m == major ? minor : 50;
		int min_minor = m == old_major ? old_minor : -1;

		if (m < major && m < 2)
			break;
		for (int n = max_minor; n > min_minor; n--) {
			add_plat(out, "manylinux_%d_%d_%s", m, n, arch);
			if (m != 2)
				continue;
			if (n == 17)
				add_plat(out, "manylinux2014_%s", arch);
			else if (n == 12)
				add_plat(out, "manylinux2010_%s", arch);
			else if (n == 5)
				add_plat(out, "manylinux1_%s", arch);
		}
	}
	add_plat(out, "linux_%s", arch);
}

/* tags._mac_binary_formats() */
static size_t
mac_formats(int major, int minor, const char *arch, const char *fmt[8])
{
	size_t n = 0;
	int below_10_4 = major == 10 && minor < 4;

	fmt[n++] = arch;
	if (!strcmp(arch, "x86_64")) {
		if (below_10_4)
			return 0;
		fmt[n++] = "intel";
		fmt[n++] = "fat64";
		fmt[n++] = "fat32";
	} else if (!strcmp(arch, "i386")) {
		if (below_10_4)
			return 0;
		fmt[n++] = "intel";
		fmt[n++] = "fat32";
		fmt[n++] = "fat";
	} else if (!strcmp(arch, "ppc64")) {
		if (major > 10 || (major == 10 && minor > 5) || below_10_4)
			return 0;
		fmt[n++] = "fat64";
	} else if (!strcmp(arch, "ppc")) {
		if (major > 10 || (major == 10 && minor > 6))
			return 0;
		fmt[n++] = "fat32";
		fmt[n++] = "fat";
	}
	if (!strcmp(arch, "arm64") || !strcmp(arch, "x86_64"))
		fmt[n++] = "universal2";
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "i386") ||
	    !strcmp(arch, "ppc64") || !strcmp(arch, "ppc") ||
	    !strcmp(arch, "intel"))
		fmt[n++] = "universal";
	return n;
}

/* tags.mac_platforms(version, arch) */
static void
mac_platforms(int major, int minor, const char *arch, struct tags_list *out)
{
	const char *fmt[8];
	size_t n;

	if (major == 10) {
		for (int m = minor; m >= 0; m--) {
			n = mac_formats(10, m, arch, fmt);
			for (size_t i = 0; i < n; i++)
				add_plat(out, "macosx_10_%d_%s", m, fmt[i]);
		}
	}
	if (major < 11)
		return;
	for (int m = major; m > 10; m--) {
		n = mac_formats(m, 0, arch, fmt);
		for (size_t i = 0; i < n; i++)
			add_plat(out, "macosx_%d_0_%s", m, fmt[i]);
	}
	for (int m = 16; m > 3; m--) {
		if (strcmp(arch, "x86_64")) {
			add_plat(out, "macosx_10_%d_universal2", m);
			continue;
		}
		n = mac_formats(10, m, arch, fmt);
		for (size_t i = 0; i < n; i++)
			add_plat(out, "macosx_10_%d_%s", m, fmt[i]);
	}
}

static int
valid_component(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > TAGS_PART_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

int
tags_platforms(const char *platform, struct tags_list *out)
{
	static const struct {
		const char *prefix;
		int minor;
	} legacy[] = {
	    {"manylinux1_", 5},
	    {"manylinux2010_", 12},
	    {"manylinux2014_", 17},
	};
	char plat[TAGS_PART_MAX + 1];
	const char *arch;
	int major, minor;

	if (!valid_component(platform))
		return log_error("invalid platform tag '%s'", platform);
	for (size_t i = 0; platform[i]; i++)
		plat[i] = (char)tolower((unsigned char)platform[i]);
	plat[strlen(platform)] = '\0';
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
		size_t n = strlen(legacy[i].prefix);

		if (!strncmp(plat, legacy[i].prefix, n) && plat[n]) {
			manylinux_platforms(2, legacy[i].minor, plat + n, out);
			return 0;
		}
	}
	if (!strncmp(plat, "manylinux_", 10)) {
		if (parse_versioned(plat, "manylinux_", &major, &minor, &arch) <
		        0 ||
		    major < 1 || major > 9)
			return log_error("invalid manylinux platform '%s': "
			                 "want manylinux_<glibc major>_<minor>"
			                 "_<arch>",
			                 platform);
		manylinux_platforms(major, minor, arch, out);
		return 0;
	}
	if (!strncmp(plat, "musllinux_", 10)) {
		if (parse_versioned(plat, "musllinux_", &major, &minor, &arch) <
		        0 ||
		    major < 1 || major > 9)
			return log_error("invalid musllinux platform '%s': "
			                 "want musllinux_<musl major>_<minor>"
			                 "_<arch>",
			                 platform);
		for (int m = minor; m >= 0; m--)
			add_plat(out, "musllinux_%d_%d_%s", major, m, arch);
		add_plat(out, "linux_%s", arch);
		return 0;
	}
	if (!strncmp(plat, "macosx_", 7)) {
		if (parse_versioned(plat, "macosx_", &major, &minor, &arch) <
		        0 ||
		    major < 10 || major > 99)
			return log_error("invalid macOS platform '%s': want "
			                 "macosx_<major>_<minor>_<arch>",
			                 platform);
		mac_platforms(major, minor, arch, out);
		return 0;
	}
	list_add_owned(out, xstrdup(plat));
	return 0;
}

/* tags._py_interpreter_range(): pyXY, pyX, pyX(Y-1) .. pyX0. */
static size_t
py_range(int major, int minor, char names[][16], size_t max)
{
	size_t n = 0;

	snprintf(names[n++], 16, "py%d%d", major, minor);
	snprintf(names[n++], 16, "py%d", major);
	for (int m = minor - 1; m >= 0 && n < max; m--)
		snprintf(names[n++], 16, "py%d%d", major, m);
	return n;
}

int
tags_supported(const struct tags_target *t, struct tags_list *out)
{
	struct tags_list plats = TAGS_LIST_INIT, abis = TAGS_LIST_INIT;
	char pys[1002][16];
	char interp[16], abi[32];
	int abi3, ret = -1;
	size_t npy;

	if (t->py_major < 2 || t->py_major > 3 || t->py_minor < 0 ||
	    t->py_minor > 999)
		return log_error("unsupported python version %d.%d",
		                 t->py_major, t->py_minor);
	if (!t->platform) {
		log_error("no target platform given");
		goto out;
	}
	if (tags_platforms(t->platform, &plats) < 0)
		goto out;
	snprintf(interp, sizeof(interp), "cp%d%d", t->py_major, t->py_minor);
	if (!t->abis) {
		/* _cpython_abis() of a non-debug build with pymalloc. */
		int before38 =
		    t->py_major < 3 || (t->py_major == 3 && t->py_minor < 8);
		int before33 =
		    t->py_major < 3 || (t->py_major == 3 && t->py_minor < 3);

		snprintf(abi, sizeof(abi), "%s%s%s", interp,
		         before38 ? "m" : "", before33 ? "u" : "");
		list_add_owned(&abis, xstrdup(abi));
	} else {
		const char *p = t->abis;

		for (;;) {
			size_t n = strcspn(p, ",");

			if (!n || n >= sizeof(abi)) {
				log_error("invalid abi list '%s'", t->abis);
				goto out;
			}
			memcpy(abi, p, n);
			abi[n] = '\0';
			if (!valid_component(abi)) {
				log_error("invalid abi '%s'", abi);
				goto out;
			}
			for (char *q = abi; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			if (strcmp(abi, "abi3") && strcmp(abi, "none"))
				list_add_owned(&abis, xstrdup(abi));
			if (!p[n])
				break;
			p += n + 1;
		}
	}
	abi3 = t->py_major == 3 && t->py_minor >= 2;

	/* cpython_tags() */
	for (size_t a = 0; a < abis.n; a++)
		for (size_t i = 0; i < plats.n; i++)
			tags_list_add(out, interp, abis.v[a], plats.v[i]);
	for (size_t i = 0; abi3 && i < plats.n; i++)
		tags_list_add(out, interp, "abi3", plats.v[i]);
	for (size_t i = 0; i < plats.n; i++)
		tags_list_add(out, interp, "none", plats.v[i]);
	for (int m = t->py_minor - 1; abi3 && m > 1; m--) {
		char older[16];

		snprintf(older, sizeof(older), "cp%d%d", t->py_major, m);
		for (size_t i = 0; i < plats.n; i++)
			tags_list_add(out, older, "abi3", plats.v[i]);
	}

	/* compatible_tags(interpreter=cpXY) */
	npy = py_range(t->py_major, t->py_minor, pys,
	               sizeof(pys) / sizeof(pys[0]));
	for (size_t v = 0; v < npy; v++)
		for (size_t i = 0; i < plats.n; i++)
			tags_list_add(out, pys[v], "none", plats.v[i]);
	tags_list_add(out, interp, "none", "any");
	for (size_t v = 0; v < npy; v++)
		tags_list_add(out, pys[v], "none", "any");
	ret = 0;
out:
	tags_list_release(&plats);
	tags_list_release(&abis);
	return ret;
}
