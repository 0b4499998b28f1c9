/*
 * Maintainer mail (report.h, report_mail): the sweep's news into one
 * digest per recipient in report_outbox, then every due message of the
 * outbox sent with libcurl's SMTP, or written as an .eml file when no
 * SMTP server is configured.
 *
 * News is a new failure, a fix or a new critical finding (report_changes);
 * a baseline is never news. Recipients come from the release's
 * Author-email and Maintainer-email (addr.h: only plain, valid addresses
 * survive). Each message goes queued -> sending (committed before any
 * byte is sent) -> sent; a failed send returns to queued with a later
 * next_attempt_at, or ends failed after max-attempts or on a permanent
 * (5xx) answer; a message found in sending at start was cut off at an
 * unknown point and becomes uncertain, never sent again. Rate limits per
 * recipient (a day) and per domain (an hour) postpone a message; an
 * opted-out recipient gets nothing.
 */
#include "report.h"

#include "addr.h"
#include "buf.h"
#include "jx.h"
#include "log.h"
#include "os.h"
#include "sha256.h"
#include "xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define ITEMS_MAX 200      /* changes listed in one digest */
#define LINE_MAX_OUT 998   /* RFC 5322 line limit */
#define MESSAGE_MAX (1 << 20)

struct mail_cfg {
	const char *smtp_url, *from, *outbox, *user, *password, *ca_file;
	const char *base_url;
	int starttls;
	int64_t per_recipient_day, per_domain_hour, max_attempts;
	uint64_t retry_after_ms, timeout_ms;
};

static int
mail_cfg_read(const struct cfg *c, struct mail_cfg *m)
{
	m->smtp_url = cfg_get(c, "mail", "smtp-url", NULL);
	if (m->smtp_url && !*m->smtp_url)
		m->smtp_url = NULL;
	m->from = cfg_get(c, "mail", "from", "pyti@example.invalid");
	m->outbox = cfg_get(c, "mail", "outbox", "outbox");
	m->user = cfg_get(c, "mail", "user", NULL);
	m->password = cfg_get(c, "mail", "password", NULL);
	m->ca_file = cfg_get(c, "mail", "ca-file", NULL);
	m->base_url = cfg_get(c, "report", "base-url", "http://localhost/pyti");
	if (!report_addr_valid(m->from))
		return log_error("[mail] from '%s' is not a valid address",
		                 m->from);
	if (strpbrk(m->base_url, " \t\r\n<>\"") || strlen(m->base_url) > 512)
		return log_error("[report] base-url must be a URL without "
		                 "spaces, quotes or angle brackets");
	if (m->smtp_url && strncmp(m->smtp_url, "smtp://", 7) != 0 &&
	    strncmp(m->smtp_url, "smtps://", 8) != 0)
		return log_error("[mail] smtp-url must start with smtp:// or "
		                 "smtps://");
	if (cfg_get_bool(c, "mail", "starttls", 0, &m->starttls) ||
	    cfg_get_int(c, "mail", "recipient-per-day", 2, 0, 1000,
	                &m->per_recipient_day) ||
	    cfg_get_int(c, "mail", "domain-per-hour", 100, 0, 1000000,
	                &m->per_domain_hour) ||
	    cfg_get_int(c, "mail", "max-attempts", 5, 1, 100,
	                &m->max_attempts) ||
	    cfg_get_duration_ms(c, "mail", "retry-after", 600000,
	                        &m->retry_after_ms) ||
	    cfg_get_duration_ms(c, "mail", "timeout", 60000, &m->timeout_ms))
		return -1;
	return 0;
}

/* Text from the database into a mail line: control characters become '?'. */
static void
add_clean(struct buf *b, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++)
		buf_addc(b, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?'
		                                                        : s[i]);
}

/* One change as digest lines. */
static void
add_item(struct buf *b, PGresult *r, int i, const char *base)
{
	const char *project = PQgetvalue(r, i, 0), *change = PQgetvalue(r, i, 4);
	const char *regression = PQgetvalue(r, i, 5);
	int hostile = PQgetvalue(r, i, 7)[0] == 't';

	buf_adds(b, "* ");
	add_clean(b, project, 256);
	buf_addc(b, ' ');
	add_clean(b, PQgetvalue(r, i, 1), 128);
	buf_adds(b, " on ");
	add_clean(b, PQgetvalue(r, i, 2), 64);
	buf_adds(b, " / Python ");
	add_clean(b, PQgetvalue(r, i, 3), 16);
	buf_adds(b, ": ");
	if (strcmp(change, "new_failure") == 0) {
		buf_adds(b, "NEW FAILURE (");
		add_clean(b, PQgetvalue(r, i, 12), 64);
		buf_adds(b, ")\n");
		if (strcmp(regression, "release") == 0) {
			buf_adds(b, "  a release regression: ");
			add_clean(b, PQgetvalue(r, i, 8), 128);
			buf_adds(b, " passed here\n");
		} else if (strcmp(regression, "dependency") == 0) {
			json_t *d = jx_parse(PQgetvalue(r, i, 6),
			                     (size_t)PQgetlength(r, i, 6), "deps");
			json_t *e;
			size_t k;

			buf_adds(b, "  a dependency regression: this release "
			            "passed here before; changed:");
			json_array_foreach(d, k, e) {
				if (k >= 20)
					break;
				buf_adds(b, k ? ", " : " ");
				add_clean(b, jx_str_or(e, "name", "?"), 64);
				buf_addc(b, ' ');
				add_clean(b, jx_str_or(e, "from", "(none)"),
				          64);
				buf_adds(b, " -> ");
				add_clean(b, jx_str_or(e, "to", "(none)"), 64);
			}
			buf_addc(b, '\n');
			json_decref(d);
		} else {
			buf_adds(b, "  confirmed by a re-run with the same files\n");
		}
		if (!PQgetisnull(r, i, 9)) {
			buf_adds(b, "  error: ");
			add_clean(b, PQgetvalue(r, i, 9), 256);
			buf_addc(b, '\n');
		}
	} else if (strcmp(change, "fixed") == 0) {
		buf_adds(b, "FIXED (passes again)\n");
	} else {
		buf_adds(b, "no change in outcome\n");
	}
	if (hostile)
		buf_adds(b, "  NEW: critical findings (the package did something "
		            "a build, install or\n  import should not: see the "
		            "findings on the page)\n");
	buf_adds(b, "  ");
	buf_adds(b, base);
	buf_adds(b, "/pkg/");
	add_clean(b, project, 256);
	buf_adds(b, ".html\n\n");
}

struct pair {
	char addr[REPORT_ADDR_MAX + 1];
	int row;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->addr, y->addr);

	return c ? c : x->row - y->row;
}

static void
random_token(char out[33])
{
	unsigned char r[16];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		log_die("cannot read random bytes: %s", strerror(errno));
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static const char news_sql[] =
    "SELECT c.project, c.version, c.platform, c.python, c.change,"
    " coalesce(c.regression, ''), coalesce(c.changed_deps::text, '[]'),"
    " c.new_hostile, coalesce(c.prev_version, ''), s.signature,"
    " rel.author_email, rel.maintainer_email, r.outcome"
    " FROM report_changes c"
    " JOIN report_results r ON r.job_id = c.job_id"
    " LEFT JOIN report_signatures s ON s.id = r.signature_id"
    " JOIN releases rel ON rel.project = c.project"
    "  AND rel.version = c.version"
    " WHERE c.sweep_id = $1"
    "  AND (c.change IN ('new_failure', 'fixed') OR c.new_hostile)"
    " ORDER BY c.project, c.version, c.platform, c.python";

/* Queue one digest per recipient of the sweep's news. */
static int
queue_digests(struct db *db, const struct mail_cfg *m, int64_t sweep,
              int64_t *queued)
{
	char ssweep[32], addrs[REPORT_ADDRS_MAX][REPORT_ADDR_MAX + 1];
	const char *p[1] = {ssweep};
	struct pair *pairs = NULL;
	size_t npairs = 0, apairs = 0, i, j;
	PGresult *r;
	int rows, k, n, col, ret = -1;

	snprintf(ssweep, sizeof(ssweep), "%" PRId64, sweep);
	r = db_exec(db, "read the sweep's news", news_sql, 1, p, PGRES_TUPLES_OK);
	if (!r)
		return -1;
	rows = PQntuples(r);
	for (k = 0; k < rows; k++)
		for (col = 10; col <= 11; col++) {
			if (PQgetisnull(r, k, col))
				continue;
			n = report_addr_parse(PQgetvalue(r, k, col), addrs,
			                      REPORT_ADDRS_MAX);
			while (n-- > 0) {
				XGROW(pairs, npairs + 1, apairs);
				memcpy(pairs[npairs].addr, addrs[n],
				       sizeof(addrs[n]));
				pairs[npairs++].row = k;
			}
		}
	if (npairs > 1)
		qsort(pairs, npairs, sizeof(*pairs), pair_cmp);
	if (db_begin(db))
		goto out;
	for (i = 0; i < npairs; i = j) {
		struct buf body = BUF_INIT(MESSAGE_MAX);
		char token[33], hash[SHA256_HEX_LEN + 1], mid[128], subject[128];
		const char *tp[2], *op[5];
		int items = 0, last = -1;
		PGresult *t;

		for (j = i; j < npairs && !strcmp(pairs[j].addr, pairs[i].addr);
		     j++)
			;
		random_token(token);
		tp[0] = pairs[i].addr;
		tp[1] = token;
		t = db_exec(db, "record a recipient",
		                    "WITH i AS (INSERT INTO report_recipients"
		                    " (address, token) VALUES ($1, $2)"
		                    " ON CONFLICT DO NOTHING RETURNING token,"
		                    " opted_out_at IS NOT NULL)"
		                    " SELECT * FROM i UNION ALL"
		                    " SELECT token, opted_out_at IS NOT NULL"
		                    " FROM report_recipients WHERE address = $1",
		                    2, tp, PGRES_TUPLES_OK);
		if (!t) {
			buf_release(&body);
			goto rollback;
		}
		if (PQgetvalue(t, 0, 1)[0] == 't') {
			PQclear(t);
			buf_release(&body);
			continue;
		}
		snprintf(token, sizeof(token), "%s", PQgetvalue(t, 0, 0));
		PQclear(t);
		buf_addf(&body,
		         "pyti tested your packages on every platform it "
		         "covers (sweep %" PRId64 ").\nThis is what changed "
		         "since the previous results:\n\n",
		         sweep);
		for (k = 0; (size_t)k < j - i; k++) {
			int row = pairs[i + (size_t)k].row;

			if (row == last)
				continue;
			last = row;
			if (items++ >= ITEMS_MAX)
				continue;
			add_item(&body, r, row, m->base_url);
		}
		if (items > ITEMS_MAX)
			buf_addf(&body, "... and %d more changes on the pages "
			                "above.\n\n",
			         items - ITEMS_MAX);
		buf_addf(&body,
		         "You receive this because %s is the Author-email or\n"
		         "Maintainer-email of these releases. One digest per "
		         "sweep at most.\nTo receive nothing more: "
		         "%s/unsubscribe?token=%s\n",
		         pairs[i].addr, m->base_url, token);
		sha256_hex(pairs[i].addr, strlen(pairs[i].addr), hash);
		hash[24] = '\0';
		snprintf(mid, sizeof(mid), "<pyti.sweep-%" PRId64 ".%s@%s>",
		         sweep, hash, report_addr_domain(m->from));
		snprintf(subject, sizeof(subject),
		         "[pyti] %d change%s in your packages (sweep %" PRId64 ")",
		         items, items == 1 ? "" : "s", sweep);
		op[0] = ssweep;
		op[1] = pairs[i].addr;
		op[2] = mid;
		op[3] = subject;
		op[4] = buf_cstr(&body);
		t = db_exec(db, "queue a digest",
		                    "INSERT INTO report_outbox (sweep_id,"
		                    " recipient, message_id, subject, body)"
		                    " VALUES ($1, $2, $3, $4, $5)"
		                    " ON CONFLICT DO NOTHING RETURNING id",
		                    5, op, PGRES_TUPLES_OK);
		buf_release(&body);
		if (!t)
			goto rollback;
		*queued += PQntuples(t);
		PQclear(t);
	}
	if (db_commit(db))
		goto out;
	ret = 0;
	goto out;
rollback:
	db_rollback(db);
out:
	PQclear(r);
	free(pairs);
	return ret;
}

/* The whole message, CRLF line ends, lines cut at LINE_MAX_OUT. */
static void
build_message(struct buf *msg, const struct mail_cfg *m, const char *to,
              const char *mid, const char *subject, const char *body,
              const char *token)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	const char *p;
	size_t col = 0;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buf_addf(msg,
	         "From: pyti <%s>\r\n"
	         "To: <%s>\r\n"
	         "Subject: %s\r\n"
	         "Date: %s\r\n"
	         "Message-ID: %s\r\n"
	         "Auto-Submitted: auto-generated\r\n"
	         "Precedence: bulk\r\n"
	         "X-Auto-Response-Suppress: All\r\n"
	         "List-Unsubscribe: <%s/unsubscribe?token=%s>\r\n"
	         "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
	         "MIME-Version: 1.0\r\n"
	         "Content-Type: text/plain; charset=utf-8\r\n"
	         "Content-Transfer-Encoding: 8bit\r\n"
	         "\r\n",
	         m->from, to, subject, date, mid, m->base_url, token);
	for (p = body; *p; p++) {
		if (*p == '\n') {
			buf_adds(msg, "\r\n");
			col = 0;
			continue;
		}
		if (*p == '\r')
			continue;
		if (col == LINE_MAX_OUT) {
			buf_adds(msg, "\r\n");
			col = 0;
		}
		buf_addc(msg, *p);
		col++;
	}
	if (col)
		buf_adds(msg, "\r\n");
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t
read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

/*
 * Send one message. Returns 0 sent, 1 failed for now (retry), 2 failed
 * for good (a 5xx answer); *err gets the reason.
 */
static int
smtp_send(CURL *curl, const struct mail_cfg *m, const char *to,
          const struct buf *msg, char *err, size_t errsz)
{
	struct curl_slist *rcpt = NULL;
	struct upload u = {msg->data, msg->len, 0};
	char ebuf[CURL_ERROR_SIZE] = "";
	long code = 0;
	CURLcode rc;

	curl_easy_reset(curl);
	rcpt = curl_slist_append(rcpt, to);
	curl_easy_setopt(curl, CURLOPT_URL, m->smtp_url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, m->from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(m->timeout_ms < 30000 ? m->timeout_ms : 30000));
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)m->timeout_ms);
	if (m->starttls)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (m->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, m->ca_file);
	if (m->user)
		curl_easy_setopt(curl, CURLOPT_USERNAME, m->user);
	if (m->password)
		curl_easy_setopt(curl, CURLOPT_PASSWORD, m->password);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return 0;
	snprintf(err, errsz, "%s (SMTP %ld)", ebuf[0] ? ebuf
	                                             : curl_easy_strerror(rc),
	         code);
	/* a refused login is our configuration, not the message: retry */
	if (rc == CURLE_LOGIN_DENIED)
		return 1;
	return code >= 500 && code < 600 ? 2 : 1;
}

/* Write the message into the outbox directory, named by its Message-ID. */
static int
spool_eml(const struct mail_cfg *m, int64_t id, const char *mid,
          const struct buf *msg, char *err, size_t errsz)
{
	char hash[SHA256_HEX_LEN + 1], path[4096];

	(void)id;
	sha256_hex(mid, strlen(mid), hash);
	hash[32] = '\0';
	if (os_mkdir_p(m->outbox, 0755)) {
		snprintf(err, errsz, "cannot create '%.400s'", m->outbox);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s.eml", m->outbox, hash);
	if (os_write_atomic(path, msg->data, msg->len, 0644)) {
		snprintf(err, errsz, "cannot write '%.400s'", path);
		return 1;
	}
	return 0;
}

/* Claim a due message: rate checks, then state sending, committed. */
static const char claim_sql[] =
    "WITH m AS (SELECT o.id, o.recipient, rc.opted_out_at IS NOT NULL AS out,"
    "  (rc.window_start > now() - interval '1 day'"
    "   AND rc.sent_in_window >= $2) AS rlimited,"
    "  (d.window_start > now() - interval '1 hour'"
    "   AND d.sent_in_window >= $3) AS dlimited"
    " FROM report_outbox o JOIN report_recipients rc"
    "  ON rc.address = o.recipient"
    " LEFT JOIN report_domains d"
    "  ON d.domain = split_part(o.recipient, '@', 2)"
    " WHERE o.id = $1 AND o.state = 'queued' FOR UPDATE OF o)"
    " SELECT id, out, coalesce(rlimited, false), coalesce(dlimited, false)"
    " FROM m";

static int
send_due(struct db *db, const struct mail_cfg *m, int64_t *sent,
         int64_t *failed, int64_t *postponed)
{
	char srec[16], sdom[16];
	CURL *curl = NULL;
	PGresult *due;
	int i, n, ret = -1;

	snprintf(srec, sizeof(srec), "%" PRId64, m->per_recipient_day);
	snprintf(sdom, sizeof(sdom), "%" PRId64, m->per_domain_hour);
	if (db_command(db, "mark interrupted sends",
	                      "UPDATE report_outbox SET state = 'uncertain',"
	                      " last_error = 'interrupted while sending'"
	                      " WHERE state = 'sending'",
	                      0, NULL, 0))
		return -1;
	due = db_exec(db, "read the due mail",
	                      "SELECT o.id, o.recipient, o.message_id,"
	                      " o.subject, o.body, r.token, o.attempts"
	                      " FROM report_outbox o JOIN report_recipients r"
	                      " ON r.address = o.recipient"
	                      " WHERE o.state = 'queued'"
	                      " AND o.next_attempt_at <= now() ORDER BY o.id",
	                      0, NULL, PGRES_TUPLES_OK);
	if (!due)
		return -1;
	if (m->smtp_url && !(curl = curl_easy_init())) {
		log_error("cannot start libcurl");
		goto out;
	}
	n = PQntuples(due);
	for (i = 0; i < n; i++) {
		const char *id = PQgetvalue(due, i, 0);
		const char *to = PQgetvalue(due, i, 1);
		const char *cp[3] = {id, srec, sdom}, *up[4], *tp[1] = {to};
		struct buf msg = BUF_INIT(2 * MESSAGE_MAX);
		char err[512] = "", snext[32];
		int64_t attempts = strtoll(PQgetvalue(due, i, 6), NULL, 10) + 1;
		PGresult *c;
		int rc;

		if (!report_addr_valid(to)) {
			/* the table's check is only a length: never send */
			up[0] = id;
			if (db_command(db, "refuse an address",
			                      "UPDATE report_outbox SET state ="
			                      " 'failed', last_error = 'invalid"
			                      " address' WHERE id = $1",
			                      1, up, 0))
				goto out;
			(*failed)++;
			continue;
		}
		if (db_begin(db))
			goto out;
		c = db_exec(db, "claim a message", claim_sql, 3, cp, PGRES_TUPLES_OK);
		if (!c)
			goto rollback;
		if (PQntuples(c) == 0) { /* another sender took it */
			PQclear(c);
			db_commit(db);
			continue;
		}
		if (PQgetvalue(c, 0, 1)[0] == 't') {
			PQclear(c);
			up[0] = id;
			if (db_command_commit(db, "drop an opted-out message",
			                      "UPDATE report_outbox SET state ="
			                      " 'opted_out' WHERE id = $1",
			                      1, up, 0))
				goto rollback;
			continue;
		}
		if (PQgetvalue(c, 0, 2)[0] == 't' || PQgetvalue(c, 0, 3)[0] == 't') {
			PQclear(c);
			up[0] = id;
			up[1] = "rate limit";
			if (db_command_commit(
			        db, "postpone a message",
			        "UPDATE report_outbox SET next_attempt_at ="
			        " now() + interval '1 hour', last_error = $2"
			        " WHERE id = $1",
			        2, up, 0))
				goto rollback;
			(*postponed)++;
			continue;
		}
		PQclear(c);
		up[0] = id;
		if (db_command(
		        db, "mark a message sending",
		        "UPDATE report_outbox SET state = 'sending', attempts ="
		        " attempts + 1 WHERE id = $1",
		        1, up, 0) ||
		    db_command(
		        db, "count a recipient's mail",
		        "UPDATE report_recipients SET"
		        " sent_in_window = CASE WHEN window_start > now() -"
		        "  interval '1 day' THEN sent_in_window + 1 ELSE 1 END,"
		        " window_start = CASE WHEN window_start > now() -"
		        "  interval '1 day' THEN window_start ELSE now() END,"
		        " last_sent_at = now() WHERE address = $1",
		        1, tp, 0) ||
		    db_command_commit(
		        db, "count a domain's mail",
		        "INSERT INTO report_domains (domain, window_start,"
		        " sent_in_window) VALUES (split_part($1, '@', 2), now(), 1)"
		        " ON CONFLICT (domain) DO UPDATE SET"
		        " sent_in_window = CASE WHEN report_domains.window_start"
		        "  > now() - interval '1 hour'"
		        "  THEN report_domains.sent_in_window + 1 ELSE 1 END,"
		        " window_start = CASE WHEN report_domains.window_start"
		        "  > now() - interval '1 hour'"
		        "  THEN report_domains.window_start ELSE now() END",
		        1, tp, 0))
			goto rollback;
		build_message(&msg, m, to, PQgetvalue(due, i, 2),
		              PQgetvalue(due, i, 3), PQgetvalue(due, i, 4),
		              PQgetvalue(due, i, 5));
		if (curl)
			rc = smtp_send(curl, m, to, &msg, err, sizeof(err));
		else
			rc = spool_eml(m, 0, PQgetvalue(due, i, 2), &msg, err,
			               sizeof(err));
		buf_release(&msg);
		snprintf(snext, sizeof(snext), "%" PRIu64,
		         m->retry_after_ms * (uint64_t)attempts);
		up[0] = id;
		up[1] = rc == 0 ? "sent"
		        : rc == 2 || attempts >= m->max_attempts ? "failed"
		                                                 : "queued";
		up[2] = rc ? err : NULL;
		up[3] = snext;
		if (db_command(
		        db, "record a send",
		        "UPDATE report_outbox SET state = $2, last_error = $3,"
		        " sent_at = CASE WHEN $2 = 'sent' THEN now() END,"
		        " next_attempt_at = now() + ($4 || ' milliseconds')::interval"
		        " WHERE id = $1",
		        4, up, 0))
			goto out;
		if (rc == 0) {
			(*sent)++;
		} else {
			log_warn("cannot send message %s to '%s': %s", id, to,
			         err);
			(*failed)++;
		}
	}
	ret = 0;
	goto out;
rollback:
	db_rollback(db);
out:
	if (curl)
		curl_easy_cleanup(curl);
	PQclear(due);
	return ret;
}

int
report_mail(struct db *db, const struct cfg *cfg, int64_t sweep,
            FILE *out)
{
	struct mail_cfg m;
	int64_t queued = 0, sent = 0, failed = 0, postponed = 0;
	int ret;

	if (mail_cfg_read(cfg, &m))
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return log_error("cannot initialise libcurl");
	ret = queue_digests(db, &m, sweep, &queued);
	if (ret == 0)
		ret = send_due(db, &m, &sent, &failed, &postponed);
	curl_global_cleanup();
	if (ret == 0)
		fprintf(out,
		        "sweep=%" PRId64 " queued=%" PRId64 " sent=%" PRId64
		        " failed=%" PRId64 " postponed=%" PRId64 " via=%s\n",
		        sweep, queued, sent, failed, postponed,
		        m.smtp_url ? "smtp" : "outbox");
	return ret;
}
