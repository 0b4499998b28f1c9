#!/bin/sh
# Real distributions through a real VM (debian-12 by default): Debian's
# own pip, setuptools and wheel wheels (/usr/share/python-wheels, from
# python3-*-whl), and real projects repacked into wheels from installed
# Debian python3-* packages by tests/helper/repack-debian (their code and
# metadata, a generated RECORD). Each must install and import, produce no
# critical finding (setuptools really does ship an executable .pth, which
# must be reported as exactly that), pip must really install the file it
# was given (not stop at the image's own copy), and pyflakes must run its shipped
# test suite.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
need qemu-system-x86_64 curl
[ -x "$BIN/pyti-run" ] || skip_all "bin/pyti-run is not built"
[ -x "$BIN/pyti-agent" ] || skip_all "bin/pyti-agent is not built"

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
start_libvirt
diag "accelerator: $ACCEL, platform $P"

"$TOP/tests/helper/repack-debian" "$TMP/real" python3-six python3-attr \
	python3-pyflakes >"$TMP/real.list" || {
	echo "Bail out! repack-debian failed"
	exit 1
}
repacked() {
	awk -v p="$1" '$1 == p { print $2 }' "$TMP/real.list"
}

# name|dist|expect (JSON: outcome list, allow_critical, min_tests)
cat >"$TMP/cases" <<CASES
pip|$(ls "$WHEELS"/pip-*.whl)|{"outcome":["passed","no_tests","tests_failed"]}
setuptools|$(ls "$WHEELS"/setuptools-*.whl)|{"outcome":["passed","no_tests","tests_failed"],"allow_critical":["persistence.pth"],"findings":[{"kind":"persistence.pth","evidence":"distutils-precedence.pth"}]}
wheel|$(ls "$WHEELS"/wheel-*.whl)|{"outcome":["passed","no_tests","tests_failed"]}
six|$(repacked python3-six)|{"outcome":["passed","no_tests"]}
attrs|$(repacked python3-attr)|{"outcome":["passed","no_tests"]}
pyflakes|$(repacked python3-pyflakes)|{"outcome":["passed","tests_failed"],"min_tests":100}
CASES
plan "$(wc -l <"$TMP/cases")"

while IFS='|' read -r name dist want; do
	printf '%s\n' "$want" | "$PYTHON" -c '
import json, sys
e = json.load(sys.stdin)
e.setdefault("findings", [])
e["no_hostile"] = True
e["fresh_install"] = True
json.dump(e, open(sys.argv[1], "w"))' "$TMP/$name.expect"
	s=$(date +%s)
	run_job "$P" "$TMP/$name.json" "$dist"
	st=$?
	if "$TOP/tests/helper/check-findings" "$TMP/$name.expect" \
		"$TMP/$name.json" >"$TMP/$name.check" 2>&1; then
		ok "$name ($(basename "$dist")): $(cat "$TMP/$name.check") ($(($(date +%s) - s)) s)"
	else
		not_ok "$name ($(basename "$dist")) installs, imports, no hostile finding"
		diag "$(cat "$TMP/$name.check")" "pyti-run exit $st:" \
			"$(tail -n 5 "$TMP/$name.json.err")"
	fi
done <"$TMP/cases"
