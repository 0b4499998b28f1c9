#!/bin/sh
# Real distributions through a real VM (debian-12 by default): Debian's
# own pip, setuptools and wheel wheels (/usr/share/python-wheels, from
# python3-*-whl), and real projects repacked into wheels from installed
# Debian python3-* packages by tests/helper/repack-debian (their code and
# metadata, a generated RECORD). Each must install and import, produce no
# critical finding (setuptools really does ship an executable .pth, which
# must be reported as exactly that), pip must really install the file it
# was given (not stop at the image's own copy), and pyflakes must run its shipped
# test suite. The jobs go through the production path (tests/helper/
# queue.sh): a PostgreSQL queue and `pyti-run` with a pool of 2 VMs that
# boot once and are restored per job; every job must end done, with one
# results row.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
long_test "pip, setuptools and wheel through the queue: ~6 min under TCG; t0350 keeps the queue and pool in make test"
. "$TOP/tests/helper/queue.sh"
queue_need

P=${PYTI_REAL_PLATFORM:-debian-12}
WHEELS=/usr/share/python-wheels
for w in pip setuptools wheel; do
	ls "$WHEELS/$w-"*.whl >/dev/null 2>&1 ||
		skip_all "needs python3-$w-whl (make deps)"
done
for d in python3-six python3-attr python3-pyflakes; do
	dpkg -s "$d" >/dev/null 2>&1 || skip_all "needs $d (make deps)"
done
ensure_images "$P"
queue_setup "$P" "${PYTI_REAL_VMS:-2}"
diag "accelerator: $ACCEL, platform $P"

"$TOP/tests/helper/repack-debian" "$TMP/real" python3-six python3-attr \
	python3-pyflakes >"$TMP/real.list" || {
	echo "Bail out! repack-debian failed"
	exit 1
}
repacked() {
	awk -v p="$1" '$1 == p { print $2 }' "$TMP/real.list"
}

# name|dist|expect (JSON: outcome list, allow_critical, min_tests)|spec
# (JSON: extra job spec keys). pip, setuptools and wheel ship no tests and
# lint alone would take minutes on their big trees under TCG (setuptools:
# ~350 s): they run every task but lint and coverage; the small projects
# run every task.
NOLINT='{"tasks":["unpack","build","install","fs_diff","import","tests","metadata","uninstall"]}'
cat >"$TMP/cases" <<CASES
pip|$(ls "$WHEELS"/pip-*.whl)|{"outcome":["passed","no_tests","tests_failed"]}|$NOLINT
setuptools|$(ls "$WHEELS"/setuptools-*.whl)|{"outcome":["passed","no_tests","tests_failed"],"allow_critical":["persistence.pth"],"findings":[{"kind":"persistence.pth","evidence":"distutils-precedence.pth"}]}|$NOLINT
wheel|$(ls "$WHEELS"/wheel-*.whl)|{"outcome":["passed","no_tests","tests_failed"]}|$NOLINT
six|$(repacked python3-six)|{"outcome":["passed","no_tests"]}|
attrs|$(repacked python3-attr)|{"outcome":["passed","no_tests"]}|
pyflakes|$(repacked python3-pyflakes)|{"outcome":["passed","tests_failed"],"min_tests":100}|
CASES
while IFS='|' read -r name dist want spec; do
	printf '%s\n' "$want" | "$PYTHON" -c '
import json, sys
e = json.load(sys.stdin)
e.setdefault("findings", [])
e["no_hostile"] = True
e["fresh_install"] = True
json.dump(e, open(sys.argv[1], "w"))' "$TMP/$name.expect"
	[ -f "$dist" ] || { echo "Bail out! no distribution for $name"; exit 1; }
	queue_add "$name" "$TMP/$name.expect" "$spec" "$dist"
done <"$TMP/cases"
plan $((QUEUE_JOBS + 3))

queue_run "${PYTI_REAL_TIMEOUT:-1500}"
queue_check
