#!/bin/sh
# pyti-report unsubscribe-server against a real PostgreSQL, driven by curl
# on loopback: the GET of a mail's link shows a confirm form and changes
# nothing; RFC 8058's one-click POST and the form's POST opt the address
# out; an unknown (forged) token or a token of the wrong shape changes
# nobody; an oversized head, an oversized or chunked body are refused; a
# client that sends nothing is dropped after the timeout and the server
# answers the next one; SIGTERM stops it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/report.sh"
need curl
report_setup
plan 13

A=0123456789abcdef0123456789abcdef
B=fedcba9876543210fedcba9876543210
rsql "insert into report_recipients (address, token) values
 ('ada@calc.example', '$A'), ('bea@persist.example', '$B')" >/dev/null
report_serve unsubscribe-server
U=http://127.0.0.1:$PORT/unsubscribe
out() { rsql "select string_agg(address, ' ' order by address) from report_recipients where opted_out_at is not null"; }
code() { curl -s -o "$TMP/body" -w '%{http_code}' --max-time 10 "$@"; }

check_eq "GET with a known token: the confirm form" \
	"$(code "$U?token=$A") $(grep -c "name=\"token\" value=\"$A\"" "$TMP/body")" "200 1"
check_eq "the GET opted nobody out" "$(out)" ""
check_eq "GET with an unknown token: 404" "$(code "$U?token=$(echo $A | tr 0 1)")" 404
check_eq "a token of the wrong shape is refused" \
	"$(code "$U?token=$A%27%20or%201=1--") $(code "$U?token=ABC")" "400 400"
check_eq "one-click POST (RFC 8058) with a forged token: 404, nobody out" \
	"$(code -X POST -d List-Unsubscribe=One-Click "$U?token=$(echo $B | tr f e)") $(out)" "404 "
check_eq "one-click POST with ada's token opts ada out, only her" \
	"$(code -X POST -H 'Content-Type: application/x-www-form-urlencoded' -d List-Unsubscribe=One-Click "$U?token=$A") $(out)" \
	"200 ada@calc.example"
check_eq "the form's POST (token in the body) opts bea out" \
	"$(code -X POST -d "token=$B" "$U") $(out)" \
	"200 ada@calc.example bea@persist.example"
check_eq "a head over 8 KiB: 431" \
	"$(code -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" "$U?token=$A")" 431
check_eq "a body over 1 KiB: 413; chunked: 411" \
	"$(code -X POST -d "token=$B&x=$(head -c 2000 /dev/zero | tr '\0' a)" "$U") $(code -X POST -H 'Transfer-Encoding: chunked' -d "token=$B" "$U")" \
	"413 411"
check_eq "another path or method" \
	"$(code "http://127.0.0.1:$PORT/etc/passwd") $(code -X DELETE "$U?token=$A")" "404 405"
# a client that connects and sends nothing holds the server for the
# timeout (2 s) at most: curl gives up after 10 s, the client after 30
python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(30)
' "$PORT" &
SLOW=$!
sleep 0.5
check_eq "a silent client is dropped; the next one is answered" \
	"$(code "$U?token=$A")" 200
kill $SLOW 2>/dev/null
check_eq "one log line per request that reached the lookup" \
	"$(grep -c 'unsubscribe' "$TMP/srv.out")" 6
kill "$SRV"
i=0
while kill -0 "$SRV" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "SIGTERM stops it" "$(kill -0 "$SRV" 2>/dev/null && echo running || echo stopped)" stopped
