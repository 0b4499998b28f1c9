#!/bin/sh
# The guest corpus (tests/fixtures/packages/: good and hostile packages,
# each with an expect.json) run through real VMs of one platform
# (PYTI_CORPUS_PLATFORM, default debian-12) with `pyti-run test`: every
# finding a package declares must be in its raw results, its outcome must
# be one it allows, and good packages must produce no critical finding.
# The archives are built by tests/helper/build-corpus, which never runs a
# package's code on the host.
#
#   PYTI_CORPUS="good-pass hostile-pth"   run only these packages
#   PYTI_CORPUS_JOBS=2                    jobs at a time (default 1)
#   PYTI_CORPUS_BUDGET=SECONDS            stop starting jobs after this
#                                         long (default 2400); the rest
#                                         are reported as TAP skips
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
need qemu-system-x86_64 curl
[ -x "$BIN/pyti-run" ] || skip_all "bin/pyti-run is not built"
[ -x "$BIN/pyti-agent" ] || skip_all "bin/pyti-agent is not built"

P=${PYTI_CORPUS_PLATFORM:-debian-12}
CORPUS=$TOP/tests/fixtures/packages
ensure_images "$P"
start_libvirt
diag "accelerator: $ACCEL, platform $P"

"$TOP/tests/helper/build-corpus" "$TMP/corpus" ${PYTI_CORPUS:-} \
	>"$TMP/corpus.list" || {
	echo "Bail out! build-corpus failed"
	exit 1
}
pkgs=${PYTI_CORPUS:-$(ls "$CORPUS")}
plan $(echo $pkgs | wc -w)

# The file a package runs as: its expect.json's "run" artifact.
dist_of() {
	kind=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"])' "$CORPUS/$1/expect.json")
	awk -v p="$1" -v k="$kind" '$1 == p && $2 == k { print $3 }' "$TMP/corpus.list"
}

# What a package adds to its job spec: the limits it needs (an endless
# loop must not wait for the default task timeout) and, for hostile
# packages, only the tasks where their behaviour shows (saves VM time).
spec_of() {
	"$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))
x = {k: e[k] for k in ("limits", "tasks") if e.get(k)}
print(json.dumps(x, separators=(",", ":")) if x else "")' "$CORPUS/$1/expect.json"
}
needs_limits() {
	"$PYTHON" -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("limits") else 1)' "$CORPUS/$1/expect.json"
}
if "$BIN/pyti-run" --help 2>&1 | grep -q -- "--spec"; then
	can_spec=1
else
	can_spec=
	diag "pyti-run test has no --spec: jobs run every task, default limits"
fi

mkdir -p "$TMP/res"
jobs=${PYTI_CORPUS_JOBS:-1}
running=0
t0=$(date +%s)
budget=${PYTI_CORPUS_BUDGET:-2400}
for pkg in $pkgs; do
	if [ $(($(date +%s) - t0)) -ge "$budget" ]; then
		echo "the corpus time budget (${budget} s) ran out" \
			>"$TMP/res/$pkg.skip"
		continue
	fi
	dist=$(dist_of "$pkg")
	if [ -z "$dist" ]; then
		echo "no artifact built" >"$TMP/res/$pkg.skip"
		continue
	fi
	set --
	if [ -n "$can_spec" ]; then
		spec=$(spec_of "$pkg")
		[ -z "$spec" ] || set -- --spec "$spec"
	elif needs_limits "$pkg"; then
		echo "needs job limits and pyti-run test cannot set them" \
			>"$TMP/res/$pkg.skip"
		continue
	fi
	(
		s=$(date +%s)
		run_job "$P" "$TMP/res/$pkg.json" "$@" "$dist"
		echo "$? $(($(date +%s) - s))" >"$TMP/res/$pkg.status"
	) &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
diag "corpus ran in $(($(date +%s) - t0)) s"

for pkg in $pkgs; do
	if [ -f "$TMP/res/$pkg.skip" ]; then
		skip "$pkg: $(cat "$TMP/res/$pkg.skip")"
		continue
	fi
	read -r st secs <"$TMP/res/$pkg.status"
	if "$TOP/tests/helper/check-findings" "$CORPUS/$pkg/expect.json" \
		"$TMP/res/$pkg.json" >"$TMP/res/$pkg.check" 2>&1; then
		ok "$pkg: $(cat "$TMP/res/$pkg.check") (${secs} s)"
	else
		not_ok "$pkg: declared outcome and findings (${secs} s)"
		diag "$(cat "$TMP/res/$pkg.check")" \
			"pyti-run exit $st; stderr:" \
			"$(tail -n 5 "$TMP/res/$pkg.json.err")"
	fi
done
