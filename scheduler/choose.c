/*
 * The file choice, rule by rule as pip 23.0.1's PackageFinder applies
 * them (see choose.h). The platform-independent half (extension, wheel
 * filename, sdist version, Requires-Python parsing) runs once per file in
 * sched_project_load(); sched_choose() only looks up tag ranks and
 * evaluates Requires-Python per platform.
 */
#include "choose.h"

#include "buf.h"
#include "kv.h"
#include "log.h"
#include "pep503.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pip's SUPPORTED_EXTENSIONS (with bz2 and lzma available, as on Debian),
 * compared case-sensitively as pip does. */
static const char *const archive_exts[] = {
    ".zip",    ".tar.bz2", ".tbz", ".tar.gz", ".tgz",      ".tar",
    ".tar.xz", ".txz",     ".tlz", ".tar.lz", ".tar.lzma",
};

/* --- Requires-Python ---------------------------------------------------- */

/* One clause: a PEP 440 specifier, or packaging 21.3's LegacySpecifier
 * (operator and a legacy version key). */
struct rp_clause {
	struct pep440_spec *spec; /* NULL for a legacy clause */
	int op; /* legacy: 0 ==, 1 !=, 2 <=, 3 >=, 4 <, 5 > */
	char **key; /* legacy version key parts */
	size_t nkey;
};

struct sched_rp {
	int invalid; /* not a specifier set: pip ignores it */
	struct rp_clause *c;
	size_t n;
};

static void
key_free(char **key, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(key[i]);
	free(key);
}

/* packaging 21.3's _legacy_cmpkey(), without the constant epoch: parts
 * of the lowercased text, numbers zero-filled to 8, other runs "*run". */
static char **
legacy_key(const char *s, size_t len, size_t *n)
{
	char **parts = NULL;
	size_t np = 0, alloc = 0;
	char *low = xmemdup0(s, len);
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)low[i]);

	size_t i = 0;
	for (;;) {
		char *part = NULL;
		if (i >= len) {
			part = xstrdup("*final");
		} else {
			/* component_re = (\d+|[a-z]+|\.|-); text between
			 * matches is a part too */
			size_t j = i;
			const char *rep = NULL;
			if (isdigit((unsigned char)low[i])) {
				while (j < len &&
				       isdigit((unsigned char)low[j]))
					j++;
			} else if (low[i] >= 'a' && low[i] <= 'z') {
				while (j < len && low[j] >= 'a' &&
				       low[j] <= 'z')
					j++;
			} else if (low[i] == '.' || low[i] == '-') {
				j = i + 1;
			} else {
				while (j < len &&
				       !isdigit((unsigned char)low[j]) &&
				       !(low[j] >= 'a' && low[j] <= 'z') &&
				       low[j] != '.' && low[j] != '-')
					j++;
			}
			size_t l = j - i;
			const char *w = low + i;
			i = j;
			if (l == 1 && *w == '.')
				continue;
			if (l == 3 && !memcmp(w, "pre", 3))
				rep = "c";
			else if (l == 7 && !memcmp(w, "preview", 7))
				rep = "c";
			else if (l == 1 && *w == '-')
				rep = "final-";
			else if (l == 2 && !memcmp(w, "rc", 2))
				rep = "c";
			else if (l == 3 && !memcmp(w, "dev", 3))
				rep = "@";
			if (rep) {
				w = rep;
				l = strlen(rep);
			}
			if (isdigit((unsigned char)w[0])) {
				size_t pad = l < 8 ? 8 - l : 0;
				part = xmalloc(l + pad + 1);
				memset(part, '0', pad);
				memcpy(part + pad, w, l);
				part[l + pad] = 0;
			} else {
				part = xmalloc(l + 2);
				part[0] = '*';
				memcpy(part + 1, w, l);
				part[l + 1] = 0;
			}
		}
		if (part[0] == '*') {
			if (strcmp(part, "*final") < 0)
				while (np && !strcmp(parts[np - 1], "*final-"))
					free(parts[--np]);
			while (np && !strcmp(parts[np - 1], "00000000"))
				free(parts[--np]);
		}
		XGROW(parts, np + 1, alloc);
		parts[np++] = part;
		if (i >= len && !strcmp(part, "*final"))
			break;
	}
	free(low);
	*n = np;
	return parts;
}

static int
key_cmp(char **a, size_t na, char **b, size_t nb)
{
	for (size_t i = 0; i < na && i < nb; i++) {
		int c = strcmp(a[i], b[i]);
		if (c)
			return c;
	}
	return (na > nb) - (na < nb);
}

static int
is_py_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* LegacySpecifier: ^\s*(==|!=|<=|>=|<|>)\s*([^,;\s)]*)\s*$ */
static int
legacy_parse(const char *s, size_t len, struct rp_clause *c)
{
	static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
	size_t i = 0;
	while (i < len && is_py_space(s[i]))
		i++;
	int op = -1;
	for (int k = 0; k < 6; k++) {
		size_t ol = strlen(ops[k]);
		if (len - i >= ol && !memcmp(s + i, ops[k], ol)) {
			op = k;
			i += ol;
			break;
		}
	}
	if (op < 0)
		return -1;
	while (i < len && is_py_space(s[i]))
		i++;
	size_t vb = i;
	while (i < len && s[i] != ',' && s[i] != ';' && s[i] != ')' &&
	       !is_py_space(s[i]))
		i++;
	size_t ve = i;
	while (i < len && is_py_space(s[i]))
		i++;
	if (i != len)
		return -1;
	c->spec = NULL;
	c->op = op;
	c->key = legacy_key(s + vb, ve - vb, &c->nkey);
	return 0;
}

static void
rp_free(struct sched_rp *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->n; i++) {
		pep440_spec_free(rp->c[i].spec);
		key_free(rp->c[i].key, rp->c[i].nkey);
	}
	free(rp->c);
	free(rp);
}

/* SpecifierSet(text) of packaging 21.3: comma-separated clauses, blank
 * ones skipped, each a Specifier or else a LegacySpecifier. */
static struct sched_rp *
rp_parse(const char *text)
{
	struct sched_rp *rp = xcalloc(1, sizeof(*rp));
	size_t alloc = 0, len = strlen(text);
	if (len > PEP440_SPEC_MAX_LEN) {
		rp->invalid = 1;
		return rp;
	}
	for (size_t b = 0; b <= len;) {
		size_t e = b;
		while (e < len && text[e] != ',')
			e++;
		size_t sb = b, se = e;
		while (sb < se && is_py_space(text[sb]))
			sb++;
		while (se > sb && is_py_space(text[se - 1]))
			se--;
		b = e + 1;
		if (sb == se)
			continue;
		XGROW(rp->c, rp->n + 1, alloc);
		struct rp_clause *c = &rp->c[rp->n];
		memset(c, 0, sizeof(*c));
		if (pep440_spec_parse(text + sb, se - sb, PEP440_SPEC_SINGLE,
		                      &c->spec) == 0) {
			rp->n++;
			continue;
		}
		c->spec = NULL;
		if (legacy_parse(text + sb, se - sb, c) == 0) {
			rp->n++;
			continue;
		}
		rp->invalid = 1;
		break;
	}
	return rp;
}

static int
rp_ok(const struct sched_rp *rp, const char *python_full)
{
	if (!rp || rp->invalid)
		return 1;
	struct pep440_version v;
	pep440_parse_str(&v, python_full);
	size_t nk = 0;
	char **k = NULL;
	int ok = 1;
	for (size_t i = 0; ok && i < rp->n; i++) {
		const struct rp_clause *c = &rp->c[i];
		if (c->spec) {
			ok = pep440_spec_contains(c->spec, &v,
			                          PEP440_PRE_ALLOW) == 1;
			continue;
		}
		if (!k)
			k = legacy_key(python_full, strlen(python_full), &nk);
		int r = key_cmp(k, nk, c->key, c->nkey);
		switch (c->op) {
		case 0:
			ok = r == 0;
			break;
		case 1:
			ok = r != 0;
			break;
		case 2:
			ok = r <= 0;
			break;
		case 3:
			ok = r >= 0;
			break;
		case 4:
			ok = r < 0;
			break;
		default:
			ok = r > 0;
			break;
		}
	}
	key_free(k, nk);
	pep440_release(&v);
	return ok;
}

int
sched_requires_python_ok(const char *text, const char *python_full)
{
	struct sched_rp *rp = rp_parse(text);
	int ok = rp_ok(rp, python_full);
	rp_free(rp);
	return ok;
}

/* --- reading a file's name ---------------------------------------------- */

/* pip's canonicalize_name equality of name[0..n) and the project. */
static int
is_project(const char *name, size_t n, const char *norm)
{
	return pep503_equal(name, n, norm, strlen(norm));
}

static int
has_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isspace((unsigned char)s[i]))
			return 1;
	return 0;
}

/*
 * pip's wheel_file_re on a name ending in ".whl": name-ver(-build)?-py-
 * abi-plat, no part with a dash or space, the build starting with a
 * digit. Fills the tags, build and version_text.
 */
static int
wheel_read(struct sched_file *f, const char *norm)
{
	const char *s = f->name;
	size_t len = strlen(s) - 4;
	const char *dash[8];
	size_t nd = 0;
	if (has_space(s, len))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '-')
			continue;
		if (nd == 6)
			return -1;
		dash[nd++] = s + i;
	}
	if (nd != 4 && nd != 5)
		return -1;
	/* name and version non-greedy; empty version is allowed by the
	 * regex, the name must not be empty, the tag parts neither */
	if (dash[0] == s)
		return -1;
	if (nd == 5) {
		if (!isdigit((unsigned char)dash[1][1]) ||
		    dash[2] == dash[1] + 1)
			return -1;
	}
	const char *py = dash[nd - 3] + 1, *abi = dash[nd - 2] + 1,
	           *plat = dash[nd - 1] + 1;
	if (py == dash[nd - 2] || abi == dash[nd - 1] || plat == s + len)
		return -1;
	if (!is_project(s, (size_t)(dash[0] - s), norm))
		return -2;
	/* version: '_' -> '-' */
	f->version_text =
	    xmemdup0(dash[0] + 1, (size_t)(dash[1] - dash[0] - 1));
	for (char *c = f->version_text; *c; c++)
		if (*c == '_')
			*c = '-';
	if (nd == 5) {
		const char *b = dash[1] + 1, *e = dash[2];
		const char *d = b;
		while (d < e && isdigit((unsigned char)*d))
			d++;
		/* digits without leading zeros, for comparing as numbers */
		const char *z = b;
		while (z + 1 < d && *z == '0')
			z++;
		f->build = xmemdup0(z, (size_t)(d - z));
		f->build_rest = xmemdup0(d, (size_t)(e - d));
	}
	/* tags: every py x abi x plat, lowercased */
	size_t counts[3] = {1, 1, 1};
	const char *parts[3][2] = {
	    {py, dash[nd - 2]}, {abi, dash[nd - 1]}, {plat, s + len}};
	for (int k = 0; k < 3; k++)
		for (const char *c = parts[k][0]; c < parts[k][1]; c++)
			if (*c == '.')
				counts[k]++;
	if (counts[0] * counts[1] * counts[2] > SCHED_MAX_TAGS)
		return -1;
	f->tags = xcalloc(counts[0] * counts[1] * counts[2], sizeof(char *));
	const char *a0 = py;
	for (size_t i = 0; i < counts[0]; i++) {
		const char *a1 = memchr(a0, '.', (size_t)(dash[nd - 2] - a0));
		if (!a1)
			a1 = dash[nd - 2];
		const char *b0 = abi;
		for (size_t j = 0; j < counts[1]; j++) {
			const char *b1 =
			    memchr(b0, '.', (size_t)(dash[nd - 1] - b0));
			if (!b1)
				b1 = dash[nd - 1];
			const char *c0 = plat;
			for (size_t k = 0; k < counts[2]; k++) {
				const char *c1 =
				    memchr(c0, '.', (size_t)(s + len - c0));
				if (!c1)
					c1 = s + len;
				struct buf t = BUF_INIT(0);
				buf_add(&t, a0, (size_t)(a1 - a0));
				buf_addc(&t, '-');
				buf_add(&t, b0, (size_t)(b1 - b0));
				buf_addc(&t, '-');
				buf_add(&t, c0, (size_t)(c1 - c0));
				char *tag = buf_detach(&t, NULL);
				for (char *q = tag; *q; q++)
					*q = (char)tolower((unsigned char)*q);
				f->tags[f->ntags++] = tag;
				c0 = c1 + 1;
			}
			b0 = b1 + 1;
		}
		a0 = a1 + 1;
	}
	return 0;
}

/* pip's splitext(): the extension, with ".tar" kept in front of a
 * compression suffix. Returns the extension's start in name. */
static const char *
split_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name)
		return name + strlen(name);
	size_t bl = (size_t)(dot - name);
	if (bl >= 4 && !strncasecmp(dot - 4, ".tar", 4) && dot - 4 != name)
		return dot - 4;
	return dot;
}

/* _find_name_version_sep + _extract_version_from_fragment */
static char *
sdist_version(const char *base, size_t blen, const char *norm)
{
	for (size_t i = 0; i < blen; i++) {
		if (base[i] != '-')
			continue;
		if (is_project(base, i, norm)) {
			if (i + 1 == blen)
				return NULL;
			return xmemdup0(base + i + 1, blen - i - 1);
		}
	}
	return NULL;
}

/* pip's _py_version_re: -py([123]\.?[0-9]?)$ cut from the version. */
static void
cut_py_suffix(struct sched_file *f)
{
	char *v = f->version_text;
	size_t n = strlen(v);
	for (size_t l = 4; l <= 6 && l <= n; l++) {
		char *s = v + n - l;
		if (strncmp(s, "-py", 3))
			continue;
		const char *g = s + 3;
		size_t gl = l - 3;
		int ok = g[0] >= '1' && g[0] <= '3';
		if (gl == 2)
			ok =
			    ok && (g[1] == '.' || isdigit((unsigned char)g[1]));
		if (gl == 3)
			ok = ok && g[1] == '.' && isdigit((unsigned char)g[2]);
		if (!ok)
			continue;
		snprintf(f->py_suffix, sizeof(f->py_suffix), "%s", g);
		*s = 0;
		return;
	}
}

static void
file_read(struct sched_file *f, const struct sched_rec_file *j,
          const char *norm, const struct sched_file *prev)
{
	memset(f, 0, sizeof(*f));
	f->kind = SCHED_FILE_BADNAME;
	f->size = -1;
	if (!j->is_object)
		return;
	f->name = j->filename;
	f->sha256 = j->sha256;
	f->url = j->url;
	f->requires_python = j->requires_python;
	f->yanked = j->yanked;
	f->metadata_sha256 = j->metadata_sha256;
	f->size = j->size;
	if (!f->name || !*f->name)
		return;
	/* neighbours (files of one release) mostly share the value: parse
	 * it once */
	if (f->requires_python && prev && prev->rp &&
	    !strcmp(prev->requires_python, f->requires_python)) {
		f->rp = prev->rp;
		f->rp_shared = 1;
	} else if (f->requires_python) {
		f->rp = rp_parse(f->requires_python);
	}

	const char *ext = split_ext(f->name);
	if (!*ext) {
		f->kind = SCHED_FILE_UNSUPPORTED;
		return;
	}
	if (!strcmp(ext, ".whl")) {
		int r = wheel_read(f, norm);
		if (r < 0) {
			f->kind = SCHED_FILE_BADNAME;
			return;
		}
		f->kind = SCHED_FILE_WHEEL;
	} else {
		size_t k;
		for (k = 0; k < sizeof(archive_exts) / sizeof(archive_exts[0]);
		     k++)
			if (!strcmp(ext, archive_exts[k]))
				break;
		if (k == sizeof(archive_exts) / sizeof(archive_exts[0]) ||
		    (!strcmp(ext, ".zip") &&
		     strstr(f->url ? f->url : f->name, "macosx10"))) {
			f->kind = SCHED_FILE_UNSUPPORTED;
			return;
		}
		f->version_text =
		    sdist_version(f->name, (size_t)(ext - f->name), norm);
		if (!f->version_text) {
			f->kind = SCHED_FILE_BADNAME;
			return;
		}
		f->kind = SCHED_FILE_SDIST;
	}
	if (!*f->version_text) {
		f->kind = SCHED_FILE_BADVERSION;
		return;
	}
	cut_py_suffix(f);
	if (pep440_parse_str(&f->version, f->version_text) != 0)
		f->kind = SCHED_FILE_BADVERSION;
}

int
sched_project_parse(struct sched_project *p, const char *norm, const char *text,
                    size_t len)
{
	char err[300];
	memset(p, 0, sizeof(*p));
	if (sched_rec_scan(&p->rec, text, len, err, sizeof(err)) < 0)
		return log_error("project '%s': malformed record: %s", norm,
		                 err);
	if (!p->rec.has_files) {
		sched_rec_release(&p->rec);
		return log_error("project '%s': record has no files array",
		                 norm);
	}
	p->norm = xstrdup(norm);
	p->display = p->rec.name           ? p->rec.name
	             : p->rec.display_name ? p->rec.display_name
	                                   : p->norm;
	p->schedulable = p->rec.status && !strcmp(p->rec.status, "active") &&
	                 !(p->rec.project_status &&
	                   !strcmp(p->rec.project_status, "quarantined"));
	p->nfiles = p->rec.nfiles;
	p->files = xcalloc(p->nfiles ? p->nfiles : 1, sizeof(*p->files));
	for (size_t i = 0; i < p->nfiles; i++)
		file_read(&p->files[i], &p->rec.files[i], p->norm,
		          i ? &p->files[i - 1] : NULL);
	return 0;
}

int
sched_project_load(struct sched_project *p, const char *norm, json_t *rec)
{
	char *text = json_dumps(rec, JSON_COMPACT);
	if (!text) {
		memset(p, 0, sizeof(*p));
		return log_error("project '%s': record cannot be serialized",
		                 norm);
	}
	int rc = sched_project_parse(p, norm, text, strlen(text));
	free(text);
	return rc;
}

int
sched_project_read(struct sched_project *p, struct mirror *m, const char *norm,
                   struct buf *scratch, int *found)
{
	*found = -1;
	int rc = kv_get(m->kv, MIRROR_PROJECTS, norm, strlen(norm), scratch);
	if (rc == KV_NOTFOUND) {
		*found = 0;
		return -1;
	}
	if (rc < 0)
		return -1;
	*found = 1;
	return sched_project_parse(p, norm, scratch->data ? scratch->data : "",
	                           scratch->len);
}

void
sched_project_release(struct sched_project *p)
{
	for (size_t i = 0; i < p->nfiles; i++) {
		struct sched_file *f = &p->files[i];
		free(f->version_text);
		pep440_release(&f->version);
		for (size_t t = 0; t < f->ntags; t++)
			free(f->tags[t]);
		free(f->tags);
		free(f->build);
		free(f->build_rest);
		if (!f->rp_shared)
			rp_free(f->rp);
	}
	free(p->files);
	free(p->norm);
	sched_rec_release(&p->rec);
	memset(p, 0, sizeof(*p));
}

/* --- the choice --------------------------------------------------------- */

enum why {
	WHY_UNSUPPORTED,
	WHY_BADNAME,
	WHY_BADVERSION,
	WHY_TAGS,
	WHY_PYSUFFIX,
	WHY_RP,
	WHY_PRE,
	WHY_YANKED,
	WHY_NOBINARY,
	WHY_N
};

/* The best tag rank of a wheel on pl, or -1 when none is supported. */
static long
wheel_rank(const struct sched_file *f, const struct sched_platform *pl)
{
	long best = -1;
	for (size_t i = 0; i < f->ntags; i++) {
		long r = tags_list_rank(&pl->tags, f->tags[i]);
		if (r >= 0 && (best < 0 || r < best))
			best = r;
	}
	return best;
}

/* Why f is not a candidate on pl, or -1 when it is one; *rank is the
 * wheel's tag rank (an sdist ranks after every tag). */
static int
evaluate(const struct sched_file *f, const struct sched_platform *pl,
         long *rank)
{
	switch (f->kind) {
	case SCHED_FILE_UNSUPPORTED:
		return WHY_UNSUPPORTED;
	case SCHED_FILE_BADNAME:
		return WHY_BADNAME;
	case SCHED_FILE_BADVERSION:
		return WHY_BADVERSION;
	case SCHED_FILE_WHEEL:
		*rank = wheel_rank(f, pl);
		if (*rank < 0)
			return WHY_TAGS;
		break;
	case SCHED_FILE_SDIST:
		*rank = (long)pl->tags.n;
		break;
	}
	if (f->py_suffix[0] && strcmp(f->py_suffix, pl->py_dot))
		return WHY_PYSUFFIX;
	if (!rp_ok(f->rp, pl->python_full))
		return WHY_RP;
	return -1;
}

int
sched_file_ok(const struct sched_file *f, const struct sched_platform *pl)
{
	long rank;
	return evaluate(f, pl, &rank) < 0 && pep440_valid(&f->version);
}

/* Compare build tags as pip's (int(digits), rest); no tag sorts first. */
static int
build_cmp(const struct sched_file *a, const struct sched_file *b)
{
	if (!a->build || !b->build)
		return (a->build != NULL) - (b->build != NULL);
	size_t la = strlen(a->build), lb = strlen(b->build);
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = strcmp(a->build, b->build);
	if (c)
		return c;
	return strcmp(a->build_rest, b->build_rest);
}

/* pip's _sort_key order: > 0 when a is better than b. */
static int
better(const struct sched_file *a, long ra, const struct sched_file *b, long rb)
{
	if (a->yanked != b->yanked)
		return a->yanked ? -1 : 1;
	int c = pep440_compare(&a->version, &b->version);
	if (c)
		return c;
	if (ra != rb)
		return ra < rb ? 1 : -1;
	return build_cmp(a, b);
}

static void
reason_text(const struct sched_project *p, const struct sched_platform *pl,
            const size_t *why, struct sched_choice *out)
{
	struct buf b = BUF_INIT(sizeof(out->reason) - 1);
	static const char *const what[WHY_N] = {
	    [WHY_UNSUPPORTED] = "in a format pip does not install",
	    [WHY_BADNAME] = "with a malformed or foreign name",
	    [WHY_BADVERSION] = "with a version that is not PEP 440",
	    [WHY_TAGS] = "wheels for other platforms or Pythons",
	    [WHY_PYSUFFIX] = "for another Python (-pyX.Y)",
	    [WHY_RP] = "excluded by Requires-Python",
	    [WHY_PRE] = "pre-releases (not allowed)",
	    [WHY_YANKED] = "yanked",
	    [WHY_NOBINARY] = "wheels ([schedule] no-binary)",
	};
	if (!p->nfiles) {
		snprintf(out->reason, sizeof(out->reason), "no files");
		return;
	}
	/* the main reason first: what a maintainer would fix */
	static const int order[] = {
	    WHY_RP,       WHY_YANKED,     WHY_PRE,         WHY_NOBINARY,
	    WHY_TAGS,     WHY_PYSUFFIX,   WHY_BADVERSION,  WHY_UNSUPPORTED,
	    WHY_BADNAME};
	const char *lead = "nothing installable";
	if (why[WHY_RP])
		lead = "requires-python excludes";
	else if (why[WHY_YANKED])
		lead = "only yanked files";
	else if (why[WHY_PRE])
		lead = "only pre-releases";
	else if (why[WHY_NOBINARY])
		lead = "no sdist";
	else if (why[WHY_TAGS] && !why[WHY_UNSUPPORTED])
		lead = "no compatible wheel and no sdist";
	buf_addf(&b, "%s python %s on %s:", lead, pl->python_full,
	         pl->tag_platform);
	int first = 1;
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		if (!why[order[k]])
			continue;
		buf_addf(&b, "%s %zu file%s %s", first ? "" : ",",
		         why[order[k]], why[order[k]] == 1 ? "" : "s",
		         what[order[k]]);
		first = 0;
	}
	if (why[WHY_RP]) {
		/* name one value, the newest file's */
		for (size_t i = p->nfiles; i-- > 0;) {
			long r;
			if (evaluate(&p->files[i], pl, &r) == WHY_RP) {
				buf_addf(&b, " (e.g. '%s')",
				         p->files[i].requires_python);
				break;
			}
		}
	}
	snprintf(out->reason, sizeof(out->reason), "%s", buf_cstr(&b));
	buf_release(&b);
}

void
sched_choose(const struct sched_project *p, const struct sched_platform *pl,
             const struct sched_choose_opts *o, struct sched_choice *out)
{
	size_t why[WHY_N] = {0};
	long best = -1, best_rank = 0;
	int any_final = 0;

	memset(out, 0, sizeof(*out));
	out->file = -1;
	out->sdist = -1;
	/* pass 1: is there a final release among the candidates? */
	long *rank = xcalloc(p->nfiles ? p->nfiles : 1, sizeof(long));
	int *cand = xcalloc(p->nfiles ? p->nfiles : 1, sizeof(int));
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct sched_file *f = &p->files[i];
		int w = evaluate(f, pl, &rank[i]);
		if (w >= 0) {
			why[w]++;
			continue;
		}
		if (o->yanked == SCHED_YANKED_NEVER && f->yanked) {
			why[WHY_YANKED]++;
			continue;
		}
		if (o->no_binary && f->kind == SCHED_FILE_WHEEL) {
			why[WHY_NOBINARY]++;
			continue;
		}
		cand[i] = 1;
		if (!pep440_is_prerelease(&f->version))
			any_final = 1;
	}
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct sched_file *f = &p->files[i];
		if (!cand[i])
			continue;
		int pre = pep440_is_prerelease(&f->version);
		if (pre && (o->pre == SCHED_PRE_NEVER ||
		            (o->pre == SCHED_PRE_FALLBACK && any_final))) {
			if (o->pre == SCHED_PRE_NEVER)
				why[WHY_PRE]++;
			continue;
		}
		if (best < 0 ||
		    better(f, rank[i], &p->files[best], best_rank) > 0) {
			best = (long)i;
			best_rank = rank[i];
		}
	}
	free(rank);
	free(cand);
	if (best < 0) {
		reason_text(p, pl, why, out);
		return;
	}
	out->file = best;
	const struct sched_file *bf = &p->files[best];
	struct buf v = BUF_INIT(sizeof(out->version) - 1);
	if (pep440_normalize(&bf->version, &v) == 0)
		snprintf(out->version, sizeof(out->version), "%s",
		         buf_cstr(&v));
	else
		snprintf(out->version, sizeof(out->version), "%.100s",
		         bf->version_text);
	buf_release(&v);
	/* the release's sdist, as pip would pick among them */
	long sd = -1;
	for (size_t i = 0; i < p->nfiles; i++) {
		const struct sched_file *f = &p->files[i];
		if (f->kind != SCHED_FILE_SDIST ||
		    pep440_compare(&f->version, &bf->version))
			continue;
		if (sd < 0 || (p->files[sd].yanked && !f->yanked))
			sd = (long)i;
	}
	if (bf->kind == SCHED_FILE_WHEEL)
		out->sdist = sd;
}

int
sched_file_better(const struct sched_file *a, const struct sched_file *b,
                  const struct sched_platform *pl)
{
	long ra =
	    a->kind == SCHED_FILE_WHEEL ? wheel_rank(a, pl) : (long)pl->tags.n;
	long rb =
	    b->kind == SCHED_FILE_WHEEL ? wheel_rank(b, pl) : (long)pl->tags.n;
	return better(a, ra, b, rb);
}
