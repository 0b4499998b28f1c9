#!/bin/sh
# t0700-nightly-orchestration: the demo index tool and cron/pyti-nightly's
# own logic, without VMs (the sample of t0701 that make test runs):
# - scripts/pyti-demo-index builds a valid index from installed Debian
#   packages and the demo's own ones: PEP 691 pages whose hashes match the
#   files, PEP 658 metadata files matching their wheel's METADATA, wheels
#   whose RECORD lists every member with its hash, sdists with PKG-INFO;
#   generation 2 moves only the projects that gained a release;
# - pyti-nightly with real PostgreSQL (embedded), crawler and scheduler but
#   no runner: the run stage hits its deadline (exit 4), the sweep stays
#   open, the next run says it continues the same sweep and schedules
#   nothing new; a second pyti-nightly while one holds the lock exits 75.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (the embedded PostgreSQL runs as postgres)"
need psql curl flock
[ -x /usr/lib/postgresql/15/bin/initdb ] || skip_all "needs PostgreSQL 15 (make deps)"
[ -x "$BIN/pyti-schedule" ] || skip_all "pyti-schedule not built"
for d in python3-setuptools python3-wheel python3-six; do
	dpkg -s "$d" >/dev/null 2>&1 || skip_all "needs $d (make deps)"
done
plan 16

DI=$TOP/scripts/pyti-demo-index
port=$(free_port)
V=$TMP/var
build() {
	$PYTHON "$DI" build --out "$TMP/index" --base-url "http://127.0.0.1:$port" \
		--set test --suites installed --generation "$1" >"$TMP/build-$1.log" 2>&1
}
check "pyti-demo-index builds generation 1" build 1
cp -r "$TMP/index/www/simple" "$TMP/simple-1"
check "the tree is valid: hashes, PEP 658 metadata, RECORD, PKG-INFO" $PYTHON - "$TMP/index" <<'EOF'
import base64, email.parser, hashlib, io, json, os, sys, tarfile, zipfile
www = os.path.join(sys.argv[1], "www")
root = json.load(open(os.path.join(www, "simple", "index.json")))
assert root["meta"]["api-version"] and root["projects"], "empty root"
for p in root["projects"]:
    page = json.load(open(os.path.join(www, "simple", p["name"], "index.json")))
    assert page["meta"]["_last-serial"] == p["_last-serial"], p
    for f in page["files"]:
        path = os.path.join(www, f["url"].split("/", 3)[3])
        data = open(path, "rb").read()
        assert hashlib.sha256(data).hexdigest() == f["hashes"]["sha256"], f["filename"]
        assert len(data) == f["size"], f["filename"]
        if f["filename"].endswith(".whl"):
            z = zipfile.ZipFile(io.BytesIO(data))
            names = z.namelist()
            rec = [n for n in names if n.endswith(".dist-info/RECORD")]
            assert len(rec) == 1, f["filename"]
            listed = {}
            for line in z.read(rec[0]).decode().splitlines():
                n, h, size = line.rsplit(",", 2)
                listed[n] = h
            assert set(listed) == set(names), (f["filename"], set(names) ^ set(listed))
            for n, h in listed.items():
                if h:
                    d = base64.urlsafe_b64encode(hashlib.sha256(z.read(n)).digest()).rstrip(b"=").decode()
                    assert h == "sha256=" + d, (f["filename"], n)
            meta = z.read(rec[0].replace("RECORD", "METADATA"))
            cm = open(path + ".metadata", "rb").read()
            assert cm == meta, f["filename"]
            assert hashlib.sha256(cm).hexdigest() == f["core-metadata"]["sha256"]
            m = email.parser.BytesParser().parsebytes(meta)
            assert m["Name"] and m["Version"], f["filename"]
        else:
            t = tarfile.open(fileobj=io.BytesIO(data))
            base = f["filename"][:-len(".tar.gz")]
            pi = t.extractfile(base + "/PKG-INFO").read()
            m = email.parser.BytesParser().parsebytes(pi)
            assert m["Version"] and base.endswith(m["Version"]), f["filename"]
            assert base + "/pyproject.toml" in t.getnames() or base + "/setup.py" in t.getnames()
print("ok")
EOF
check "generation 2 builds" build 2
check_eq "generation 2 changed exactly the projects with a new release" \
	"$(for d in "$TMP"/simple-1/*/; do n=$(basename "$d"); cmp -s "$d/index.json" "$TMP/index/www/simple/$n/index.json" || echo "$n"; done | tr '\n' ' ')" \
	"pyti-demo-calc pyti-demo-persist "
check "a rebuild gives the same bytes" sh -c "cp '$TMP/index/manifest.jsonl' '$TMP/m1' && $PYTHON '$DI' build --out '$TMP/index' --base-url http://127.0.0.1:$port --set test --suites installed --generation 2 >/dev/null 2>&1 && cmp '$TMP/m1' '$TMP/index/manifest.jsonl'"

$PYTHON "$DI" serve --tree "$TMP/index" --port "$port" --pid-file "$TMP/srv.pid" 2>"$TMP/srv.err" &
at_exit "kill \$(cat '$TMP/srv.pid')"
wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$port/simple/" ||
	{ echo "Bail out! the index server did not start"; exit 1; }
check_eq "serve: PEP 691 JSON when asked, with the project's serial header" \
	"$(curl -s -D - -o /dev/null -H 'Accept: application/vnd.pypi.simple.v1+json' "http://127.0.0.1:$port/simple/six/" | tr -d '\r' | grep -i -e '^content-type' -e '^x-pypi-last-serial' | sed 's/:.*//' | tr 'A-Z' 'a-z' | sort | tr '\n' ' ')" \
	"content-type x-pypi-last-serial "

at_exit "'$TOP/scripts/pyti-postgres' stop '$V/pg'"
. "$TOP/tests/helper/nightly.sh"
nightly_conf "pool = no
deadline = 2s" "pyti-demo-calc pyti-demo-greet" "" ""
"$TOP/cron/pyti-nightly" --config "$TMP/pyti.conf" --no-progress >"$TMP/n1.out" 2>&1
check_eq "no runner: the run stage hits the deadline, exit 4" "$?" 4
CI="host=$V/pg dbname=pyti user=postgres"
check_eq "the sweep is scheduled and stays open" \
	"$(psql -X -A -t -d "$CI" -c "SELECT id || ' ' || state FROM sweeps")" "1 running"
check_eq "its jobs are queued: one per cell" \
	"$(psql -X -A -t -d "$CI" -c "SELECT count(*) FROM jobs j JOIN cells c ON c.id = j.cell_id WHERE c.sweep_id = 1 AND j.state = 'queued'")" 2
check_grep "the summary names the unfinished jobs and the stages" \
	"jobs: 2 .*unfinished: 2" "$TMP/n1.out"
check_grep "the log has every stage" "stage schedule" "$V/log/nightly.log"

"$TOP/cron/pyti-nightly" --config "$TMP/pyti.conf" --no-progress >"$TMP/n2.out" 2>&1
check_eq "the next run: still no runner, exit 4 again" "$?" 4
check_grep "the next run continues sweep 1 instead of opening another" \
	"sweep 1 was scheduled but not finished: continuing it" "$TMP/n2.out"
check_eq "no new sweep, no new job" \
	"$(psql -X -A -t -d "$CI" -c "SELECT count(*) FROM sweeps") $(psql -X -A -t -d "$CI" -c "SELECT count(*) FROM jobs")" "1 2"

# the lock: hold it as a running sweep would, then start another
flock "$V/nightly.lock" sleep 10 &
lockpid=$!
sleep 0.5
"$TOP/cron/pyti-nightly" --config "$TMP/pyti.conf" --no-progress >"$TMP/n3.out" 2>&1
check_eq "a second sweep while one holds the lock exits 75" "$?" 75
kill "$lockpid" 2>/dev/null
check_grep "and says why" "another sweep is running" "$TMP/n3.out"
