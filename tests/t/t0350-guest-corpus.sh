#!/bin/sh
# The guest corpus (tests/fixtures/packages/: good and hostile packages,
# each with an expect.json) run through the production path on one
# platform (PYTI_CORPUS_PLATFORM, default debian-12): one queued job per
# package in a throwaway PostgreSQL, its file in the runner's store, and
# `pyti-run` as a daemon with a pool of VMs (PYTI_CORPUS_VMS, default 2)
# that boot once and are restored per job. Each job's spec carries the
# package's task subset and limits from its expect.json. Then, from
# `results.raw`: every finding a package declares must be there, its
# outcome must be one it allows, good packages have no critical finding;
# every job is done, with exactly one results row. The archives are built
# by tests/helper/build-corpus, which never runs a package's code on the
# host.
#
#   PYTI_CORPUS="good-pass hostile-pth"   run only these packages
#   PYTI_CORPUS_TIMEOUT=SECONDS           bound on the whole queue run
#                                         (default 2400)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
. "$TOP/tests/helper/queue.sh"
queue_need

P=${PYTI_CORPUS_PLATFORM:-debian-12}
CORPUS=$TOP/tests/fixtures/packages
ensure_images "$P"
queue_setup "$P" "${PYTI_CORPUS_VMS:-2}"
diag "accelerator: $ACCEL, platform $P"

"$TOP/tests/helper/build-corpus" "$TMP/corpus" ${PYTI_CORPUS:-} \
	>"$TMP/corpus.list" || {
	echo "Bail out! build-corpus failed"
	exit 1
}
# packages of "suite": "verdicts" need delivered backend and plugin wheels
# (build/test deps): t0353 runs them
pkgs=${PYTI_CORPUS:-$(for p in $(ls "$CORPUS"); do
	grep -q '"suite": "verdicts"' "$CORPUS/$p/expect.json" || echo "$p"
done)}

# A package's job: its expect.json's "run" artifact, and the spec keys
# it declares -- "limits" (an endless loop must not wait for the default
# task timeout) and "tasks" (hostile packages run only the tasks where
# their behaviour shows).
for pkg in $pkgs; do
	set -- $("$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))
x = {k: e[k] for k in ("limits", "tasks") if e.get(k)}
print(e["run"], json.dumps(x, separators=(",", ":")))' "$CORPUS/$pkg/expect.json")
	kind=$1
	spec=$2
	dist=$(awk -v p="$pkg" -v k="$kind" '$1 == p && $2 == k { print $3 }' \
		"$TMP/corpus.list")
	[ -n "$dist" ] || { echo "Bail out! no $kind built for $pkg"; exit 1; }
	queue_add "$pkg" "$CORPUS/$pkg/expect.json" "$spec" "$dist"
done
plan $((QUEUE_JOBS + 3))

queue_run "${PYTI_CORPUS_TIMEOUT:-2400}"
queue_check
