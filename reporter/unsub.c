/*
 * The unsubscribe endpoint (report.h): a small HTTP/1.1 server for the
 * links every digest carries (List-Unsubscribe, List-Unsubscribe-Post and
 * the link in the body, base-url/unsubscribe?token=T).
 *
 *   GET  /unsubscribe?token=T   a page with a confirm button (changes
 *                               nothing: mail scanners follow links)
 *   POST /unsubscribe?token=T   opts the address out: RFC 8058's one-click
 *                               body "List-Unsubscribe=One-Click", or the
 *                               page's form (token=T in the body)
 *
 * The token is the recipient's random 128-bit secret (report_recipients,
 * made by `mail` with getrandom): knowing an address is not enough to
 * unsubscribe it. A token of another shape is refused before any query.
 *
 *   GET  /matrix?project=P[&version=V][&history=N]
 *                               the package's matrix as pyti-matrix
 *                               --format json prints it (404 when it has
 *                               no results): for dashboards, over one
 *                               database connection kept open, so an
 *                               answer costs the query, not a process
 *                               and a backend start
 *
 * One connection at a time, one request per connection, every read and
 * write under a deadline; the request head is at most 8 KiB and the body
 * 1 KiB; chunked bodies are refused. Meant to sit behind nginx (TLS, and
 * it absorbs slow clients: docs/reporter.md).
 */
#include "report.h"

#include "matrix.h"
#include "pep503.h"

#include "buf.h"
#include "esc.h"
#include "log.h"
#include "os.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 8192
#define BODY_MAX 1024
#define TOKEN_LEN 32
#define PARAM_MAX 256 /* a /matrix parameter, decoded */

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Read into b until it holds want bytes, "\r\n\r\n" (want 0), EOF, the
 * deadline or b's maximum. 0, or -1 on timeout/error. */
static int
read_some(int fd, struct buf *b, size_t want, int64_t deadline)
{
	char chunk[1024];

	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		int64_t left = deadline - os_mono_ms();
		ssize_t n;

		if (want ? b->len >= want
		         : b->len >= 4 && strstr(buf_cstr(b), "\r\n\r\n"))
			return 0;
		if (b->len >= b->max || left <= 0)
			return -1;
		if (poll(&p, 1, (int)left) <= 0)
			return -1;
		n = read(fd, chunk,
		         sizeof(chunk) < b->max - b->len ? sizeof(chunk)
		                                         : b->max - b->len);
		if (n <= 0)
			return -1;
		if (buf_add(b, chunk, (size_t)n))
			return -1;
	}
}

static void
write_all(int fd, const char *s, size_t n, int64_t deadline)
{
	while (n > 0) {
		struct pollfd p = {fd, POLLOUT, 0};
		int64_t left = deadline - os_mono_ms();
		ssize_t w;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* The HTML page of a response. */
static void
page(struct buf *b, const char *title, const char *text, const char *token)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	            "<title>");
	esc_markup(b, title, strlen(title));
	buf_adds(b, "</title></head><body><h1>");
	esc_markup(b, title, strlen(title));
	buf_adds(b, "</h1><p>");
	esc_markup(b, text, strlen(text));
	buf_adds(b, "</p>");
	if (token) {
		buf_adds(b, "<form method=\"post\" action=\"unsubscribe\">"
		            "<input type=\"hidden\" name=\"token\" value=\"");
		esc_markup(b, token, strlen(token));
		buf_adds(b, "\"><button type=\"submit\">Unsubscribe</button>"
		            "</form>");
	}
	buf_adds(b, "</body></html>\n");
}

static void
respond(int fd, int status, const char *reason, const char *title,
        const char *text, const char *token, int64_t deadline)
{
	struct buf body = BUF_INIT(16384), out = BUF_INIT(20000);

	page(&body, title, text, token);
	buf_addf(&out,
	         "HTTP/1.1 %d %s\r\n"
	         "Content-Type: text/html; charset=utf-8\r\n"
	         "Content-Length: %zu\r\n"
	         "Content-Security-Policy: default-src 'none'; form-action "
	         "'self'\r\n"
	         "X-Content-Type-Options: nosniff\r\n"
	         "Cache-Control: no-store\r\n"
	         "Referrer-Policy: no-referrer\r\n"
	         "Connection: close\r\n\r\n",
	         status, reason, body.len);
	buf_add(&out, body.data, body.len);
	write_all(fd, out.data, out.len, deadline);
	buf_release(&body);
	buf_release(&out);
}

/* A JSON response (the matrix, or {"error": text}). */
static void
respond_json(int fd, int status, const char *reason, const char *body,
             size_t len, int64_t deadline)
{
	struct buf out = BUF_INIT(len + 1024);

	buf_addf(&out,
	         "HTTP/1.1 %d %s\r\n"
	         "Content-Type: application/json\r\n"
	         "Content-Length: %zu\r\n"
	         "X-Content-Type-Options: nosniff\r\n"
	         "Access-Control-Allow-Origin: *\r\n"
	         "Cache-Control: no-store\r\n"
	         "Connection: close\r\n\r\n",
	         status, reason, len);
	buf_add(&out, body, len);
	write_all(fd, out.data, out.len, deadline);
	buf_release(&out);
}

static void
json_error(int fd, int status, const char *reason, const char *text,
           int64_t deadline)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "{\"error\": \"%s\"}\n", text);

	respond_json(fd, status, reason, body, (size_t)n, deadline);
}

/* The value of key in a query string, percent- and '+'-decoded into out
 * (at most max - 1 bytes, NUL-terminated). 1 found, 0 absent, -1 a bad
 * escape, a control byte, or too long. */
static int
query_value(const char *s, size_t n, const char *key, char *out, size_t max)
{
	size_t kl = strlen(key), i = 0;

	while (i < n) {
		size_t end = i, o = 0, k;

		while (end < n && s[end] != '&')
			end++;
		if (end - i > kl && s[i + kl] == '=' &&
		    memcmp(s + i, key, kl) == 0) {
			for (k = i + kl + 1; k < end; k++) {
				int c = (unsigned char)s[k], hi, lo;

				if (c == '%') {
					if (k + 2 >= end)
						return -1;
					hi = esc_hex_value(s[k + 1]);
					lo = esc_hex_value(s[k + 2]);
					if (hi < 0 || lo < 0)
						return -1;
					c = hi * 16 + lo;
					k += 2;
				} else if (c == '+') {
					c = ' ';
				}
				if (c < 0x20 || c == 0x7f || o + 1 >= max)
					return -1;
				out[o++] = (char)c;
			}
			out[o] = '\0';
			return 1;
		}
		i = end + 1;
	}
	return 0;
}

/* GET /matrix: the query q (qlen bytes, no '?'). */
static void
serve_matrix(struct db *db, int fd, const char *q, size_t qlen,
             int64_t deadline, FILE *log)
{
	char name[PARAM_MAX], norm[PARAM_MAX], version[PARAM_MAX];
	char hist[16];
	struct report_matrix_opts o = {0};
	char *data = NULL;
	size_t size = 0;
	FILE *m;
	int rv, rh, ret;

	if (query_value(q, qlen, "project", name, sizeof(name)) != 1 ||
	    !pep503_valid(name, strlen(name))) {
		json_error(fd, 400, "Bad Request",
		           "project=NAME must be a valid project name", deadline);
		return;
	}
	pep503_normalize_to(norm, name, strlen(name));
	rv = query_value(q, qlen, "version", version, sizeof(version));
	rh = query_value(q, qlen, "history", hist, sizeof(hist));
	o.history = rh == 1 ? atoi(hist) : 0;
	if (rv < 0 || rh < 0 || (rh == 1 && (strspn(hist, "0123456789") !=
	                                         strlen(hist) ||
	                                     o.history < 1 ||
	                                     o.history > 1000))) {
		json_error(fd, 400, "Bad Request",
		           "version must be a plain string and history 1..1000",
		           deadline);
		return;
	}
	o.project = norm;
	o.version = rv == 1 ? version : NULL;
	o.format = REPORT_MATRIX_JSON;
	if (!db_conn(db) || PQstatus(db_conn(db)) != CONNECTION_OK)
		if (db_connect(db)) {
			ret = -1;
			goto answer;
		}
	m = open_memstream(&data, &size);
	if (!m) {
		ret = log_error("cannot buffer the matrix: %s",
		                strerror(errno));
		goto answer;
	}
	ret = report_matrix(db, &o, m);
	if (fclose(m))
		ret = -1;
answer:
	if (ret == 0)
		respond_json(fd, 200, "OK", data, size, deadline);
	else if (ret == REPORT_MATRIX_UNKNOWN)
		json_error(fd, 404, "Not Found",
		           "no results for this project (or this version)",
		           deadline);
	else
		json_error(fd, 503, "Service Unavailable",
		           "the results cannot be read right now", deadline);
	fprintf(log, "GET matrix %s %s\n", norm,
	        ret == 0 ? "found" : ret == REPORT_MATRIX_UNKNOWN ? "unknown" : "db-failure");
	fflush(log);
	free(data);
}

/* The value of key in an application/x-www-form-urlencoded string (a
 * query or a body), copied into out when it is a token's shape: 32 lower
 * hex digits. 1 found, 0 not. */
static int
form_token(const char *s, size_t n, char out[TOKEN_LEN + 1])
{
	size_t i = 0;

	while (i < n) {
		size_t end = i;

		while (end < n && s[end] != '&')
			end++;
		if (end - i == 6 + TOKEN_LEN && memcmp(s + i, "token=", 6) == 0) {
			size_t k;

			for (k = 0; k < TOKEN_LEN; k++) {
				char c = s[i + 6 + k];

				if (!((c >= '0' && c <= '9') ||
				      (c >= 'a' && c <= 'f')))
					return 0;
			}
			memcpy(out, s + i + 6, TOKEN_LEN);
			out[TOKEN_LEN] = '\0';
			return 1;
		}
		i = end + 1;
	}
	return 0;
}

/* A header's value in the head (case-insensitive name), or NULL; its
 * length in *len. */
static const char *
header(const char *head, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p && p[2] != '\r') {
		const char *line = p + 2, *eol = strstr(line, "\r\n");

		if (!eol)
			return NULL;
		if ((size_t)(eol - line) > nl && line[nl] == ':' &&
		    strncasecmp(line, name, nl) == 0) {
			const char *v = line + nl + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*len = (size_t)(eol - v);
			return v;
		}
		p = eol;
	}
	return NULL;
}

/* 1: the token's address exists (and, with optout, is now opted out);
 * 0: unknown token; -1: database failure (logged). */
static int
lookup(struct db *db, const char *token, int optout)
{
	const char *p[1] = {token};
	PGresult *r;
	int n;

	if (!db_conn(db) || PQstatus(db_conn(db)) != CONNECTION_OK)
		if (db_connect(db))
			return -1;
	r = db_exec(db, optout ? "opt an address out" : "look a token up",
	            optout ? "UPDATE report_recipients SET opted_out_at ="
	                     " coalesce(opted_out_at, now()) WHERE token = $1"
	                     " RETURNING 1"
	                   : "SELECT 1 FROM report_recipients WHERE token = $1",
	            1, p, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	n = PQntuples(r);
	PQclear(r);
	return n > 0;
}

/* One connection: one request, one response. */
static void
serve_one(struct db *db, int fd, int timeout_ms, FILE *log)
{
	int64_t deadline = os_mono_ms() + timeout_ms;
	struct buf req = BUF_INIT(HEAD_MAX + BODY_MAX);
	char token[TOKEN_LEN + 1];
	const char *head, *end, *v, *sp1, *sp2, *q;
	size_t hlen, vlen, blen = 0, plen;
	int post, found = 0, ok;

	if (read_some(fd, &req, 0, deadline)) {
		if (req.len >= HEAD_MAX)
			respond(fd, 431, "Request Header Fields Too Large",
			        "Request too large", "The request is too large.",
			        NULL, deadline);
		goto out;
	}
	head = buf_cstr(&req);
	end = strstr(head, "\r\n\r\n");
	hlen = (size_t)(end - head) + 4;
	if (hlen > HEAD_MAX) {
		respond(fd, 431, "Request Header Fields Too Large",
		        "Request too large", "The request is too large.", NULL,
		        deadline);
		goto out;
	}
	/* METHOD SP target SP HTTP/1.x */
	sp1 = strchr(head, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || sp2 > end || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		respond(fd, 400, "Bad Request", "Bad request",
		        "This is not an HTTP request.", NULL, deadline);
		goto out;
	}
	post = (size_t)(sp1 - head) == 4 && memcmp(head, "POST", 4) == 0;
	if (!post && !((size_t)(sp1 - head) == 3 && memcmp(head, "GET", 3) == 0)) {
		respond(fd, 405, "Method Not Allowed", "Not allowed",
		        "Only GET and POST are answered here.", NULL, deadline);
		goto out;
	}
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	plen = (size_t)((q ? q : sp2) - (sp1 + 1));
	if (plen >= 7 && memcmp(sp1 + 1 + plen - 7, "/matrix", 7) == 0) {
		if (post)
			json_error(fd, 405, "Method Not Allowed",
			           "/matrix answers GET only", deadline);
		else
			serve_matrix(db, fd, q ? q + 1 : sp2,
			             q ? (size_t)(sp2 - q - 1) : 0, deadline,
			             log);
		goto out;
	}
	if (!(plen >= 12 &&
	      memcmp(sp1 + 1 + plen - 12, "/unsubscribe", 12) == 0)) {
		respond(fd, 404, "Not Found", "Not found",
		        "Nothing is here but /unsubscribe and /matrix.", NULL,
		        deadline);
		goto out;
	}
	if (q)
		found = form_token(q + 1, (size_t)(sp2 - q - 1), token);
	if (post) {
		if (header(head, "Transfer-Encoding", &vlen)) {
			respond(fd, 411, "Length Required", "Length required",
			        "Send the form with a Content-Length.", NULL,
			        deadline);
			goto out;
		}
		if ((v = header(head, "Content-Length", &vlen))) {
			char num[16];

			if (vlen == 0 || vlen >= sizeof(num) ||
			    strspn(v, "0123456789") < vlen) {
				respond(fd, 400, "Bad Request", "Bad request",
				        "Bad Content-Length.", NULL, deadline);
				goto out;
			}
			memcpy(num, v, vlen);
			num[vlen] = '\0';
			blen = strtoul(num, NULL, 10);
		}
		if (blen > BODY_MAX) {
			respond(fd, 413, "Content Too Large", "Too large",
			        "The form is too large.", NULL, deadline);
			goto out;
		}
		/* head and body are in req (copy: reading moves the data) */
		if (read_some(fd, &req, hlen + blen, deadline)) {
			respond(fd, 400, "Bad Request", "Bad request",
			        "The form did not arrive in time.", NULL, deadline);
			goto out;
		}
		head = buf_cstr(&req);
		if (!found)
			found = form_token(head + hlen, blen, token);
		/* RFC 8058: the body says List-Unsubscribe=One-Click, the
		 * token is in the URI; the form sends token=T itself */
	}
	if (!found) {
		respond(fd, 400, "Bad Request", "No token",
		        "The link has no valid token: use the link from the mail.",
		        NULL, deadline);
		goto out;
	}
	ok = lookup(db, token, post);
	if (ok < 0)
		respond(fd, 503, "Service Unavailable", "Try again later",
		        "The subscription list cannot be reached right now.",
		        NULL, deadline);
	else if (ok == 0)
		respond(fd, 404, "Not Found", "Unknown link",
		        "This unsubscribe link is not known here.", NULL,
		        deadline);
	else if (post)
		respond(fd, 200, "OK", "Unsubscribed",
		        "This address gets no more mail from pyti.", NULL,
		        deadline);
	else
		respond(fd, 200, "OK", "Unsubscribe from pyti",
		        "Stop the mails pyti sends this address about its "
		        "packages' test results?",
		        token, deadline);
	fprintf(log, "%s unsubscribe %s\n", post ? "POST" : "GET",
	        ok < 0 ? "db-failure" : ok ? (post ? "opted-out" : "form") : "unknown");
	fflush(log);
out:
	buf_release(&req);
}

int
report_unsub_serve(struct db *db, const char *listen_addr, int timeout_ms,
                   FILE *log)
{
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof(sa);
	char host[64];
	const char *colon = strrchr(listen_addr, ':');
	struct sigaction act = {0};
	long port;
	char *e;
	int fd, one = 1;

	if (!colon || (size_t)(colon - listen_addr) >= sizeof(host))
		return log_error("--listen must be ADDRESS:PORT, not '%s'",
		                 listen_addr);
	memcpy(host, listen_addr, (size_t)(colon - listen_addr));
	host[colon - listen_addr] = '\0';
	port = strtol(colon + 1, &e, 10);
	if (*e || e == colon + 1 || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return log_error("--listen must be an IPv4 ADDRESS:PORT, not "
		                 "'%s'",
		                 listen_addr);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error("cannot make a socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl)) {
		log_error("cannot listen on %s: %s", listen_addr,
		          strerror(errno));
		close(fd);
		return -1;
	}
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(log, "listening on %s:%d\n", host, ntohs(sa.sin_port));
	fflush(log);
	while (!stop) {
		struct pollfd p = {fd, POLLIN, 0};
		int c;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve_one(db, c, timeout_ms, log);
		close(c);
	}
	close(fd);
	return 0;
}
