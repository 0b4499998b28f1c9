#!/bin/sh
# Every other platform runs one real job end to end: Debian's six,
# repacked into a wheel (tests/helper/repack-debian), through
# `pyti-run test` on a VM of that platform; the results must name the
# platform and its Python, and the job must install and import cleanly.
# (The corpus runs on one platform only: t0350.)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
need qemu-system-x86_64 curl
[ -x "$BIN/pyti-run" ] || skip_all "bin/pyti-run is not built"
[ -x "$BIN/pyti-agent" ] || skip_all "bin/pyti-agent is not built"
dpkg -s python3-six >/dev/null 2>&1 || skip_all "needs python3-six (make deps)"

PLATFORMS=${PYTI_OTHER_PLATFORMS:-debian-11 debian-13}
ensure_images $PLATFORMS
start_libvirt
set -- $PLATFORMS
plan $((2 * $#))

"$TOP/tests/helper/repack-debian" "$TMP/real" python3-six >"$TMP/real.list" ||
	{ echo "Bail out! repack-debian failed"; exit 1; }
six=$(awk '{ print $2 }' "$TMP/real.list")
echo '{"outcome":["passed","no_tests"],"findings":[],"no_hostile":true,"fresh_install":true}' \
	>"$TMP/six.expect"

for p in $PLATFORMS; do
	want_py=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["python"])' "$("$BIN/pyti-image" path "$p")/image.json")
	s=$(date +%s)
	run_job "$p" "$TMP/$p.json" "$six"
	st=$?
	if "$TOP/tests/helper/check-findings" "$TMP/six.expect" "$TMP/$p.json" \
		>"$TMP/$p.check" 2>&1; then
		ok "$p: six installs and imports: $(cat "$TMP/$p.check") ($(($(date +%s) - s)) s)"
	else
		not_ok "$p: six installs and imports"
		diag "$(cat "$TMP/$p.check")" "pyti-run exit $st:" \
			"$(tail -n 5 "$TMP/$p.json.err")"
	fi
	got=$("$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1])).get("result") or {}
print("%s %s" % (r.get("platform"), r.get("python")))' "$TMP/$p.json" 2>/dev/null)
	check_eq "$p: results name the platform and python $want_py" "$got" \
		"$p $want_py"
done
