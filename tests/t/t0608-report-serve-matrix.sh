#!/bin/sh
# pyti-report serve's /matrix against a real PostgreSQL, driven by curl on
# loopback: the answer is pyti-matrix --format json's, byte for byte (the
# latest release, --version, --history); an unknown project is a 404, a
# malformed parameter a 400 (before any query), a POST a 405; PostgreSQL
# stopped is a 503 and the server answers again once it is back.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/report.sh"
need curl pyti-matrix
report_setup
plan 12

report_matrix_fixture

report_serve serve
M=http://127.0.0.1:$PORT/matrix
code() { curl -s -o "$TMP/body" -D "$TMP/head" -w '%{http_code}' --max-time 10 "$@"; }

pyti-matrix --package foo-bar --format json >"$TMP/cli.json"
check_eq "the latest release: pyti-matrix's JSON, byte for byte" \
	"$(code "$M?project=Foo.Bar") $(cmp "$TMP/body" "$TMP/cli.json" && echo same)" \
	"200 same"
check_grep "served as JSON" '^Content-Type: application/json' "$TMP/head"
pyti-matrix --package foo-bar --version 1.0 --history 5 --format json \
	>"$TMP/cli.json"
check_eq "version and history (percent-encoded name): the same as the CLI's" \
	"$(code "$M?history=5&project=foo%5Fbar&version=1.0") $(cmp "$TMP/body" "$TMP/cli.json" && echo same)" \
	"200 same"
check_eq "an unknown project, an unknown version: 404 with a JSON error" \
	"$(code "$M?project=nobody") $(jq -r '.error | length > 0' "$TMP/body") $(code "$M?project=foo-bar&version=9.9")" \
	"404 true 404"
check_eq "no project, an invalid name, a bad escape, a NUL: 400" \
	"$(code "$M") $(code "$M?project=..%2Fetc") $(code "$M?project=foo%zz") $(code "$M?project=a%00b")" \
	"400 400 400 400"
check_eq "history out of range or not a number: 400" \
	"$(code "$M?project=foo-bar&history=0") $(code "$M?project=foo-bar&history=1001") $(code "$M?project=foo-bar&history=5x")" \
	"400 400 400"
check_eq "a name over the bound: 400" \
	"$(code "$M?project=$(head -c 300 /dev/zero | tr '\0' a)")" 400
check_eq "POST: 405" "$(code -X POST -d x=1 "$M?project=foo-bar")" 405
check_eq "one log line per request that reached a query" \
	"$(grep -c '^GET matrix ' "$TMP/srv.out")" 4

"$TOP/tests/helper/postgres/stop" "$REPORT_PG" fast
check_eq "PostgreSQL stopped: 503" "$(code "$M?project=foo-bar")" 503
"$TOP/tests/helper/postgres/restart" "$REPORT_PG"
pyti-matrix --package foo-bar --format json >"$TMP/cli.json"
check_eq "PostgreSQL back: answered again on a new connection" \
	"$(code "$M?project=foo-bar") $(cmp "$TMP/body" "$TMP/cli.json" && echo same)" \
	"200 same"

kill "$SRV"
i=0
while kill -0 "$SRV" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "SIGTERM stops it" "$(kill -0 "$SRV" 2>/dev/null && echo running || echo stopped)" stopped
