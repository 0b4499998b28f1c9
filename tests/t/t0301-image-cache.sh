#!/bin/sh
# pyti-image's caching and config handling, without mmdebstrap: the config
# points [images] recipe/inject at stand-in scripts that only record their
# calls and write the files a real step writes. A build runs the slow step
# once; an unchanged rebuild does nothing; a new agent or init re-runs only
# the inject step; a new package list re-runs both; --force re-runs both;
# bad config values are refused with a message naming them.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/pyti-image" ] || skip_all "bin/pyti-image is not built"
plan 16

mkdir -p "$TMP/img" "$TMP/bin"
cat >"$TMP/recipe.sh" <<'SH'
set -eu
echo "base $PYTI_SUITE" >>"$CALLS"
mkdir -p "$2"
echo base >"$2/base.img"
echo kernel >"$2/vmlinuz"
echo initrd >"$2/initrd.img"
echo 6.1.0-test >"$2/kernel-version"
SH
cat >"$TMP/inject.sh" <<'SH'
set -eu
echo "inject $PYTI_PLATFORM $PYTI_PYTHON agent=${PYTI_AGENT:+yes}" >>"$CALLS"
cp "$1/base.img" "$1/rootfs.img"
SH
echo 'agent v1' >"$TMP/agent"
echo '#!/bin/sh' >"$TMP/init"
cat >"$TMP/conf" <<EOF
[images]
dir = $TMP/img
recipe = $TMP/recipe.sh
inject = $TMP/inject.sh
init = $TMP/init
agent = $TMP/agent

[platform test-1]
suite = bookworm
python = 3.11
EOF
CALLS=$TMP/calls
export CALLS
img() {
	"$BIN/pyti-image" --config "$TMP/conf" "$@"
}
calls() {
	if [ -f "$CALLS" ]; then tr '\n' ';' <"$CALLS"; fi
	rm -f "$CALLS"
}

check_eq "list: a new platform is missing" "$(img list | cut -f1,4)" \
	"$(printf 'test-1\tmissing')"
check_fails "path: fails while not built" img path test-1
check "build" img build test-1
check_eq "build ran both steps" "$(calls)" \
	"base bookworm;inject test-1 3.11 agent=yes;"
check_eq "path: the image dir" "$(img path test-1)" "$TMP/img/test-1"
check "image.json is valid and names the platform" "$PYTHON" -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["platform"] == "test-1" and j["python"] == "3.11", j
assert j["kernel_version"] == "6.1.0-test" and len(j["agent_sha256"]) == 64
assert "init=/usr/lib/pyti/init" in j["cmdline"]' "$TMP/img/test-1/image.json"
img build test-1 >/dev/null 2>&1
check_eq "an unchanged rebuild runs nothing" "$(calls)" ""
echo 'agent v2' >"$TMP/agent"
check_eq "list: a new agent makes it stale" "$(img list | cut -f4)" stale
img build test-1 >/dev/null 2>&1
check_eq "a new agent re-runs only inject" "$(calls)" \
	"inject test-1 3.11 agent=yes;"
echo '# changed' >>"$TMP/init"
img build test-1 >/dev/null 2>&1
check_eq "a new init re-runs only inject" "$(calls)" \
	"inject test-1 3.11 agent=yes;"
img --set "platform test-1.extra-packages=hello" build test-1 >/dev/null 2>&1
check_eq "a new package list re-runs both" "$(calls)" \
	"base bookworm;inject test-1 3.11 agent=yes;"
img --set "platform test-1.extra-packages=hello" build test-1 --force \
	>/dev/null 2>&1
check_eq "--force re-runs both" "$(calls)" \
	"base bookworm;inject test-1 3.11 agent=yes;"
rm "$TMP/agent"
img --set "platform test-1.extra-packages=hello" build test-1 >/dev/null 2>&1
check_eq "without an agent the image still builds" "$(calls)" \
	"inject test-1 3.11 agent=;"
check_fails "a package name with shell characters is refused" \
	img --set 'platform test-1.extra-packages=a;rm' build test-1
check_fails "an unknown platform is an error" img build nope
img --set 'platform test-1.suite=x$(id)' build test-1 >"$TMP/bad.out" 2>&1
check_grep "a bad suite is refused, naming the key" "invalid 'suite'" \
	"$TMP/bad.out"
