# tests/helper/sched/index.sh: sourced by the scheduler tests (t05xx) after
# tests/lib.sh: a one-project fixture tree (tests/helper/fixture-index)
# for tests/helper/sched/corpus to fill, served as a PEP 691 JSON index
# by nginx on loopback (tests/helper/nginx), stopped when the test ends.
#
#	. "$TOP/tests/helper/sched/index.sh"
#	sched_tree                          # $TMP/tree; sets FIX NGX H port url
#	$H/corpus "$TMP/tree" --random 20   # and/or sched_graphs
#	sched_serve                         # nginx on $port, run dir $TMP/ngx

FIX=$TOP/tests/helper/fixture-index/fixture-index
NGX=$TOP/tests/helper/nginx
H=$TOP/tests/helper/sched

sched_tree() {
	port=$(free_port)
	url=http://127.0.0.1:$port
	$FIX generate --out "$TMP/tree" --base-url "$url" --count 1 --no-extras \
		--formats json >/dev/null 2>&1 || { echo "Bail out! fixture-index"; exit 1; }
}

# sched_graphs: the dependency graphs of tests/fixtures/sched/graphs.json
# as wheels with PEP 658 metadata.
sched_graphs() {
	$H/corpus "$TMP/tree" --only-metadata \
		--metadata "$TOP/tests/fixtures/sched/graphs.json" >/dev/null ||
		{ echo "Bail out! corpus"; exit 1; }
}

sched_serve() {
	$NGX/start --tree "$TMP/tree" --run "$TMP/ngx" --port "$port" --format json \
		>/dev/null || { echo "Bail out! nginx"; exit 1; }
	at_exit "$NGX/stop --run '$TMP/ngx'"
}
