#!/bin/sh
# pyti-report mail against a real PostgreSQL and a real SMTP server
# (python3-aiosmtpd on loopback): a first sweep mails nobody; the next
# mails one digest per recipient about new failures, fixes and new
# critical findings only; opt-out, rate limits, an address with CR/LF
# refused; without an SMTP server the digests become .eml files; an SMTP
# server that fails a message or dies mid-way loses nothing and sends
# nothing twice; STARTTLS with AUTH; a message interrupted while sending
# is never sent again.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/report.sh"
$PYTHON -c 'import aiosmtpd' 2>/dev/null || skip_all "needs python3-aiosmtpd"
report_setup
plan 27

fixture <<'END'
sweep
result rel 1.0 passed author=Alice_<alice@example.org>
result dep 1.0 passed deps=six:1.16 maintainer=bob@example.net,_Alice_<ALICE@EXAMPLE.ORG>
result fix 1.0 tests_failed author=carol@example.org
result evil 1.0 passed author=x@example.org\r\nBcc:_victim@example.com
result still 1.0 build_failed author=dave@example.org
result quiet 1.0 passed author=erin@example.org
sweep
result rel 2.0 tests_failed author=Alice_<alice@example.org> log=Traceback_(most_recent_call_last):\nKeyError:_'x'
result dep 1.0 import_failed deps=six:1.17 maintainer=bob@example.net,_Alice_<ALICE@EXAMPLE.ORG>
result fix 1.1 passed author=carol@example.org
result evil 1.0 passed hostile=1 author=x@example.org\r\nBcc:_victim@example.com
result still 1.0 build_failed author=dave@example.org
result quiet 1.1 tests_failed author=erin@example.org
END
report_load_changes 2
rsql "insert into report_recipients (address, token, opted_out_at) values ('erin@example.org', 'x', now())" >/dev/null

report_mail_conf 'recipient-per-day = 100'
check "mail sweep 1" pyti-report mail --sweep 1
check_grep "a first sweep is a baseline: nothing queued" "queued=0 sent=0" "$TMP/.out"
check "mail sweep 2 into the outbox directory" pyti-report mail --sweep 2
check_grep "three digests spooled" "queued=3 sent=3 failed=0 postponed=0 via=outbox" "$TMP/.out"
check_eq "three .eml files" "$(ls "$TMP/outbox" | grep -c '\.eml$')" 3
alice=$(grep -l '^To: <alice@example.org>' "$TMP"/outbox/*.eml)
check_eq "alice's one digest names both her packages" \
	"$(grep -c '^\* \(rel 2.0\|dep 1.0\) on debian-12' "$alice")" 2
check_grep "release regression explained" "a release regression: 1.0 passed here" "$alice"
check_grep "dependency regression names the dependency" "changed: six 1.16 -> 1.17" "$alice"
check_grep "the error signature" "error: KeyError: 'x'" "$alice"
check_grep "List-Unsubscribe with the token" "^List-Unsubscribe: <https://pyti.example.org/unsubscribe?token=[0-9a-f]\{32\}>" "$alice"
check_grep "List-Unsubscribe-Post" "^List-Unsubscribe-Post: List-Unsubscribe=One-Click" "$alice"
check_grep "Auto-Submitted" "^Auto-Submitted: auto-generated" "$alice"
check_grep "a stable Message-ID" "^Message-ID: <pyti.sweep-2.[0-9a-f]\{24\}@example.org>" "$alice"
check_eq "nobody else: no injected, opted-out or unchanged recipient" \
	"$(cat "$TMP"/outbox/*.eml | grep -c 'victim\|erin@\|dave@')" 0
check "mail again" pyti-report mail --sweep 2
check_grep "one digest per recipient per sweep" "queued=0 sent=0" "$TMP/.out"

# The same digests through SMTP: the server answers the second with 451,
# the next run sends it; nothing twice.
rsql "delete from report_outbox" >/dev/null
port=$(free_port)
"$TOP/tests/helper/smtp-sink" "$port" "$TMP/smtp1" --fail-nth 2 >"$TMP/smtp1.log" 2>&1 &
s1=$!
at_exit "kill $s1"
wait_for 20 test -e "$TMP/smtp1/ready" || { echo "Bail out! smtp-sink"; exit 1; }
check "mail through SMTP (one 451)" pyti-report --set "mail.smtp-url=smtp://127.0.0.1:$port" mail --sweep 2
check_grep "two sent, one to retry" "queued=3 sent=2 failed=1" "$TMP/.out"
check "mail again sends the one left" pyti-report --set "mail.smtp-url=smtp://127.0.0.1:$port" mail --sweep 2
check_eq "each recipient received exactly one message" \
	"$(cat "$TMP"/smtp1/*.env | grep '^rcpt' | sort | uniq -c | awk '{print $1 $3}' | tr '\n' ' ')" \
	"1alice@example.org 1bob@example.net 1carol@example.org "

# A server that dies after the first message; then one that works.
rsql "delete from report_outbox" >/dev/null
port=$(free_port)
"$TOP/tests/helper/smtp-sink" "$port" "$TMP/smtp2" --die-after 1 >"$TMP/smtp2.log" 2>&1 &
s2=$!
wait_for 20 test -e "$TMP/smtp2/ready" || { echo "Bail out! smtp-sink"; exit 1; }
pyti-report --set "mail.smtp-url=smtp://127.0.0.1:$port" mail --sweep 2 >"$TMP/die.out" 2>&1
check_grep "the server died: one sent, two kept" "queued=3 sent=1 failed=2" "$TMP/die.out"
wait_for 20 sh -c "! kill -0 $s2 2>/dev/null"
"$TOP/tests/helper/smtp-sink" "$port" "$TMP/smtp3" >"$TMP/smtp3.log" 2>&1 &
s3=$!
at_exit "kill $s3"
wait_for 20 test -e "$TMP/smtp3/ready" || { echo "Bail out! smtp-sink"; exit 1; }
check "mail after the server came back" pyti-report --set "mail.smtp-url=smtp://127.0.0.1:$port" mail --sweep 2
check_eq "every digest delivered once across both servers" \
	"$(cat "$TMP"/smtp2/*.env "$TMP"/smtp3/*.env | grep '^rcpt' | sort | uniq -c | awk '{print $1 $3}' | tr '\n' ' ')" \
	"1alice@example.org 1bob@example.net 1carol@example.org "

# A server that requires STARTTLS and AUTH: a wrong password keeps the
# digests queued, the right one sends them over TLS.
rsql "delete from report_outbox" >/dev/null
if command -v openssl >/dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" \
		-out "$TMP/cert.pem" -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
	port=$(free_port)
	"$TOP/tests/helper/smtp-sink" "$port" "$TMP/smtp4" --tls "$TMP/cert.pem" \
		"$TMP/key.pem" --auth pyti:s3cret >"$TMP/smtp4.log" 2>&1 &
	s4=$!
	at_exit "kill $s4"
	wait_for 20 test -e "$TMP/smtp4/ready" || { echo "Bail out! smtp-sink"; exit 1; }
	tls() { pyti-report --set "mail.smtp-url=smtp://127.0.0.1:$port" \
		--set mail.starttls=yes --set "mail.ca-file=$TMP/cert.pem" \
		--set mail.user=pyti "$@"; }
	tls --set mail.password=wrong mail --sweep 2 >"$TMP/tls1.out" 2>&1
	check_grep "STARTTLS, a wrong password: nothing sent, kept for a retry" \
		"queued=3 sent=0 failed=3" "$TMP/tls1.out"
	tls --set mail.password=s3cret mail --sweep 2 >"$TMP/tls2.out" 2>&1
	check_eq "STARTTLS and AUTH: every digest delivered once" \
		"$(grep -h '^sweep=' "$TMP/tls2.out"):$(cat "$TMP"/smtp4/*.env | grep -c '^rcpt')" \
		"sweep=2 queued=0 sent=3 failed=0 postponed=0 via=smtp:3"
else
	skip "no openssl to make a certificate for the STARTTLS server"
	skip "no openssl to make a certificate for the STARTTLS server"
fi

# Interrupted while sending: uncertain, never sent again. Rate limits.
rsql "delete from report_outbox; delete from report_domains; delete from report_recipients where address <> 'erin@example.org'" >/dev/null
pyti-report mail --sweep 2 --set mail.outbox="$TMP/ob2" --set mail.domain-per-hour=1 >"$TMP/rate.out" 2>&1
check_grep "one message per domain per hour: carol or alice waits" "queued=3 sent=2 failed=0 postponed=1" "$TMP/rate.out"
rsql "update report_outbox set state = 'sending' where state = 'queued'" >/dev/null
pyti-report mail --sweep 2 --set mail.outbox="$TMP/ob2" >/dev/null 2>&1
check_eq "a message interrupted while sending is never sent again" \
	"$(rsql "select state || ' ' || (select count(*) from report_outbox where state = 'sent') from report_outbox where state not in ('sent')")" \
	"uncertain 2"
