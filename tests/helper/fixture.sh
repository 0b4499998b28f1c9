# tests/helper/fixture.sh: sourced by the crawler tests (t02xx, after
# tests/lib.sh): a fixture index tree (tests/helper/fixture-index) served
# by nginx and faultd on loopback (tests/helper/nginx), stopped when the
# test ends.
#
#	. "$TOP/tests/helper/fixture.sh"
#	fixture_start --count 300 --no-dist-files   # `generate` options
#	pyti-crawl --index "$INDEX" --db "$TMP/db"
#	fixture_mutate --changed 3 --deletes 1      # `mutate` + reload
#	fixture_requests                            # /simple/ requests logged
#	fixture_serve RUN PORT --format html        # the tree on a 2nd server
#
# Sets FIX (the fixture-index tool), NGX (the nginx helper directory),
# TREE ($TMP/tree), NGXRUN ($TMP/ngx), port, fault_port and INDEX
# (http://127.0.0.1:$port/simple/). FIXTURE_NGX_OPTS adds options to
# nginx/start (e.g. --workers 2).

FIX=$TOP/tests/helper/fixture-index/fixture-index
NGX=$TOP/tests/helper/nginx
TREE=$TMP/tree
NGXRUN=$TMP/ngx
FIXTURE_NGX_OPTS=${FIXTURE_NGX_OPTS:-}

# fixture_need_crawl: skip the test unless bin/pyti-crawl is built.
fixture_need_crawl() {
	[ -x "$BIN/pyti-crawl" ] || skip_all "bin/pyti-crawl not built"
}

# fixture_start GENERATE-OPTIONS...: pick a port, generate $TREE for it,
# start nginx + faultd. A server that does not start is a skip when nginx
# is missing, a bail-out otherwise.
fixture_start() {
	need nginx curl
	port=$(free_port)
	fault_port=$(free_port)
	INDEX=http://127.0.0.1:$port/simple/
	"$FIX" generate --out "$TREE" --base-url "http://127.0.0.1:$port" \
		"$@" >"$TMP/generate.log" 2>&1 || {
		cat "$TMP/generate.log" >&2
		echo "Bail out! fixture-index generate failed"
		exit 1
	}
	# shellcheck disable=SC2086 # FIXTURE_NGX_OPTS is a word list
	"$NGX/start" --tree "$TREE" --run "$NGXRUN" --port "$port" \
		--fault-port "$fault_port" $FIXTURE_NGX_OPTS || {
		echo "Bail out! the fixture index (nginx, faultd) did not start"
		exit 1
	}
	at_exit "'$NGX/stop' --run '$NGXRUN'"
}

# fixture_serve RUN PORT START-OPTIONS...: the same tree on another server.
fixture_serve() {
	r=$1 p=$2
	shift 2
	"$NGX/start" --tree "$TREE" --run "$r" --port "$p" "$@" || {
		echo "Bail out! a second fixture server did not start"
		exit 1
	}
	at_exit "'$NGX/stop' --run '$r'"
}

# fixture_mutate MUTATE-OPTIONS...: a new generation, served when this
# returns (nginx/reload waits until no old worker is left), with an empty
# access log.
fixture_mutate() {
	"$FIX" mutate "$TREE" "$@" >"$TMP/mutate.log" 2>&1 || {
		cat "$TMP/mutate.log" >&2
		echo "Bail out! fixture-index mutate failed"
		exit 1
	}
	"$NGX/reload" --run "$NGXRUN" || {
		echo "Bail out! nginx did not reload the fixture"
		exit 1
	}
	: >"$NGXRUN/access.log"
}

# fixture_requests: requests under /simple/ in the access log.
fixture_requests() {
	grep -c ' "/simple/' "$NGXRUN/access.log"
}

# fixture_mutated KIND [I]: the I-th (default 0) project `mutate` chose
# for KIND (deletes, stale_never, ...).
fixture_mutated() {
	$PYTHON -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][int(sys.argv[3])])' \
		"$TREE/last-mutation.json" "$1" "${2:-0}"
}
