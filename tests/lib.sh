# tests/lib.sh: the shell library every integration test sources (git's
# t/test-lib.sh in miniature). It emits TAP: `plan N`, then `ok`/`not_ok`
# through `check`, `skip_all` when the test cannot run here, and cleans up
# whatever the test registered with `at_exit`.
#
#	. "$(dirname "$0")/../lib.sh"
#	plan 2
#	check "builds" make -s bin/pyti-pep
#	check_eq "normalizes" "$(echo Foo_Bar | pyti normalize-name)" "foo-bar"

set -u
TOP=${PYTI_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=$TOP/bin
PATH=$BIN:$PATH
PYTHON=/usr/bin/python3
export TOP BIN PATH PYTHON

TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pyti-$TEST_NAME.XXXXXX")
export TMP
test_count=0
test_failed=0
exit_hooks=

# at_exit CMD...: run CMD when the test ends, last registered first.
at_exit() {
	exit_hooks="$*; $exit_hooks"
}

lib_cleanup() {
	status=$?
	eval "$exit_hooks" >/dev/null 2>&1 || true
	if [ -n "${PYTI_KEEP_TMP:-}" ]; then
		echo "# kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
	exit $status
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM

plan() {
	echo "1..$1"
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# long_test WHAT: this test belongs to the long suite (`make test-long`,
# which sets PYTI_LONG=1); under `make test` (what CI runs) it is a TAP skip
# that says so. Use it for tests that need more than a few minutes.
long_test() {
	[ -n "${PYTI_LONG:-}" ] || skip_all "long test ($*): run by make test-long"
}

ok() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $*"
}

not_ok() {
	test_count=$((test_count + 1))
	test_failed=$((test_failed + 1))
	echo "not ok $test_count - $*"
}

skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count # SKIP $*"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

# check DESC CMD...: one test point, passing when CMD exits 0. Output of a
# failing command is shown as diagnostics.
check() {
	desc=$1
	shift
	if "$@" >"$TMP/.out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command: $*" "$(tail -n 30 "$TMP/.out")"
	fi
}

# check_fails DESC CMD...: passes when CMD exits non-zero.
check_fails() {
	desc=$1
	shift
	if "$@" >"$TMP/.out" 2>&1; then
		not_ok "$desc"
		diag "command unexpectedly succeeded: $*"
	else
		ok "$desc"
	fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "got:  $2" "want: $3"
	fi
}

# check_grep DESC PATTERN FILE: passes when FILE has a line matching.
check_grep() {
	if grep -q -e "$2" "$3" 2>/dev/null; then
		ok "$1"
	else
		not_ok "$1"
		diag "no line matching '$2' in $3:" "$(tail -n 20 "$3" 2>/dev/null)"
	fi
}

# check_files_eq DESC GOT_FILE WANT_FILE: passes when identical.
check_files_eq() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diag "$(diff -u "$3" "$2" | head -n 40)"
	fi
}

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() {
	$PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds or the
# time runs out (returns 1). Every wait in a test is bounded.
wait_for() {
	deadline=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# need CMD...: skip the whole test with a reason when a command is missing.
need() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			skip_all "needs '$c' (run make deps)"
	done
}

# pep_test FIXTURES [packaging]: the start of a pyti-pep test (t01xx). FIX
# is tests/fixtures/FIXTURES, ORACLE the python3-packaging oracle
# (tests/helper/pep-oracle), GEN the input generator (tests/helper/pep-gen).
# Skips when bin/pyti-pep is not built, and with "packaging" when
# python3-packaging is missing (the tests without it skip only their
# oracle checks).
pep_test() {
	FIX=$TOP/tests/fixtures/$1
	ORACLE=$TOP/tests/helper/pep-oracle
	GEN=$TOP/tests/helper/pep-gen
	[ -x "$BIN/pyti-pep" ] || skip_all "bin/pyti-pep not built"
	[ "${2:-}" != packaging ] || $PYTHON -c 'import packaging' 2>/dev/null ||
		skip_all "needs python3-packaging (run make deps)"
}
