#!/bin/sh
# True verdicts (issue 10) in a real VM, without the runner: each job boots
# a fresh guest and runs through tests/helper/guest-job. Covered: builds in
# build isolation from delivered backend wheels (flit_core, poetry-core;
# hatchling without its editables dependency is deps_missing, not
# build_failed); tests found in src/<pkg>/tests of the sdist with the
# pyproject pytest configuration; a wheel job's tests from its delivered
# sdist (tests_source) with the root conftest.py, pytest.ini and a pytest
# plugin delivered as a test dependency; a daemonizing build ended in
# seconds with a process.daemon finding; refused writes reported as
# attempts; a unittest suite pytest does not collect, a configuration's
# own python_files; a subset of tasks and no task at all; a .tar.bz2 sdist with an
# upper-case sha256 and a deadline; a file pip refuses is invalid_dist; a
# job for another Python is refused. The backend wheels are repacked from
# Debian's own .debs (tests/helper/backend-wheels).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
. "$TOP/tests/helper/guest-vm-job.sh"
need qemu-system-x86_64
[ -x "$BIN/pyti-agent" ] || skip_all "bin/pyti-agent is not built"
long_test "twelve VM boots and jobs under TCG, ~30 min; a sample (hostile-daemon, hostile-refused-write) runs in t0350"
P=${PYTI_AGENT_PLATFORM:-debian-12}
BOOT_TIMEOUT=${PYTI_BOOT_TIMEOUT:-240}
JOB_TIMEOUT=${PYTI_JOB_TIMEOUT:-900}
"$TOP/tests/helper/backend-wheels" "$TMP/wheels" >"$TMP/wheels.list" \
	2>"$TMP/wheels.err" ||
	skip_all "no backend wheels: $(cat "$TMP/wheels.err")"
ensure_images "$P"
diag "platform $P"

plan 19

"$TOP/tests/helper/build-corpus" "$TMP/corpus" good-flit good-poetry \
	good-hatch good-layout good-plugin good-pass hostile-daemon \
	hostile-refused-write good-unittest good-pyfiles >"$TMP/corpus.log" 2>&1 ||
	{ cat "$TMP/corpus.log" >&2; echo "Bail out! build-corpus failed"; exit 1; }
W=$TMP/wheels
C=$TMP/corpus
whl() { ls "$W/$1"-*.whl | head -n 1; }

# PYTI_VERDICT_JOBS="layout flit ...": run only these jobs (the checks of
# the others are TAP skips); default all.
wanted() {
	case " ${PYTI_VERDICT_JOBS:-$1} " in *" $1 "*) return 0 ;; esac
	: >"$TMP/$1.unwanted"
	return 1
}

# job NAME DIST [guest-job args...]: a wanted job, in a VM of its own.
job() {
	wanted "$1" || return 0
	vm_job "$@"
	return 0
}

# res NAME DESC PYTHON-EXPR: vm_res, a skip for a job not wanted.
res() {
	[ ! -e "$TMP/$1.unwanted" ] ||
		{ skip "$2: not in PYTI_VERDICT_JOBS"; return 0; }
	vm_res "$@"
}

corpus_ok() { # NAME PACKAGE: the package's expect.json holds
	[ ! -e "$TMP/$1.unwanted" ] ||
		{ skip "$1: not in PYTI_VERDICT_JOBS"; return 0; }
	check "$1: as its expect.json declares" \
		"$TOP/tests/helper/check-findings" \
		"$TOP/tests/fixtures/packages/$2/expect.json" "$TMP/$1.json"
}

# .tar.bz2, upper-case sha256 in the spec, a deadline
"$PYTHON" -c '
import sys, tarfile
with tarfile.open(sys.argv[1]) as s, tarfile.open(sys.argv[2], "w:bz2") as d:
    for m in s:
        d.addfile(m, s.extractfile(m) if m.isfile() else None)' \
	"$C/pyti_good_layout-1.0.tar.gz" "$TMP/pyti_good_layout-1.0.tar.bz2"
job layout "$TMP/pyti_good_layout-1.0.tar.bz2" "build:$(whl setuptools)" \
	"build:$(whl wheel)" --sha-upper --spec '{"deadline_s": 1500}'
corpus_ok layout good-layout
res layout "src/<pkg>/tests of the sdist, with pyproject's pytest configuration" \
	"d('tests').get('layout') == 'src/goodlayout/tests' and d('tests').get('config') == 'pyproject.toml' and r['uninstall']['leftovers'] == []"
res layout "deadline_s: the task limits fit inside it" \
	"r['deadline']['deadline_s'] == 1500 and 0 < r['deadline']['budget_ms'] <= 1500000 and sum(r['deadline']['planned_limits_s'].values()) <= 1500 and t['tests']['outcome'] == 'ok'"

job plugin "$C/pyti_good_plugin-1.0-py3-none-any.whl" \
	"tests_source:$C/pyti_good_plugin-1.0.tar.gz" \
	"test:$(whl pytest_mock)"
corpus_ok plugin good-plugin
res plugin "wheel job: tests from the delivered sdist, root conftest and pytest.ini, plugin installed" \
	"d('tests').get('source') == 'sdist' and d('tests').get('config') == 'pytest.ini' and d('tests')['test_deps'].get('installed') is True and r['tests']['totals']['passed'] == 2"

job daemon "$C/pyti_hostile_daemon-1.0.tar.gz" \
	--spec '{"tasks": ["unpack", "build"]}'
corpus_ok daemon hostile-daemon
[ -e "$TMP/daemon.unwanted" ] ||
	diag "daemonizing build: $("$PYTHON" -c '
import json,sys; t={x["name"]: x for x in json.load(open(sys.argv[1]))["tasks"]}
print("build %s in %d ms: %s" % (t["build"]["outcome"], t["build"]["duration_ms"], t["build"]["reason"]))' "$TMP/daemon.json" 2>/dev/null)"

job refused "$C/pyti_hostile_refused_write-1.0.tar.gz" \
	--spec '{"tasks": ["unpack", "build"]}'
corpus_ok refused hostile-refused-write

job subset "$C/pyti_good_pass-1.0-py3-none-any.whl" \
	--spec '{"tasks": ["unpack", "build", "install"]}'
res subset "tasks unpack, build, install: passed (what was asked), the rest not_requested" \
	"r['outcome'] == 'passed' and 'not requested' in r['outcome_reason'] and t['install']['outcome'] == 'ok' and t['import']['outcome'] == 'not_requested' and t['tests']['outcome'] == 'not_requested'"

job stage "$C/pyti_good_pass-1.0.tar.gz" --spec '{"stage": "build"}'
res stage "stage build: unpack and build only, the built wheel's core metadata reported" \
	"r['outcome'] == 'passed' and t['install']['outcome'] == 'not_requested' and 'Name: pyti-good-pass' in r['built']['metadata'] and len(r['built']['sha256']) == 64 and r['built']['wheel'].endswith('.whl')"

job none "$C/pyti_good_pass-1.0-py3-none-any.whl" --spec '{"tasks": []}'
res none "no task: not_requested" \
	"r['outcome'] == 'not_requested' and all(x['outcome'] == 'not_requested' for x in r['tasks'])"

# one VM: an ERR_ for another Python leaves it ready for the next job
cp "$C/pyti_good_pass-1.0-py3-none-any.whl" "$TMP/pyti_good_pass-1.0.exe"
both=1
wanted python || both=
wanted exe || both=
if [ -n "$both" ]; then
	boot_image "$P" two
	"$TOP/tests/helper/guest-job" "$TMP/two.sock" \
		"$TMP/pyti_good_pass-1.0.exe" --spec '{"python": "3.99"}' \
		--timeout "$BOOT_TIMEOUT" >"$TMP/python.json" 2>"$TMP/python.err"
	"$TOP/tests/helper/guest-job" "$TMP/two.sock" \
		"$TMP/pyti_good_pass-1.0.exe" \
		--timeout "$((JOB_TIMEOUT + BOOT_TIMEOUT))" >"$TMP/exe.json" \
		2>"$TMP/exe.err"
	kill -9 "$BOOT_PID" 2>/dev/null
fi
res python "a job for another Python is refused, naming both" \
	"'3.99' in r.get('_error', '') and 'this image has Python' in r['_error']"
res exe "a file pip refuses: invalid_dist with the reason" \
	"r['outcome'] == 'invalid_dist' and 'pip does not accept' in r['outcome_reason']"

# Debian's flit_core imports tomli on Pythons before 3.11 (its tomli is
# unvendored): delivered too, as pip would install it from PyPI's wheel
job flit "$C/pyti_good_flit-1.0.tar.gz" "build:$(whl flit_core)" \
	"build:$(whl tomli)"
res flit "flit_core sdist: built in isolation from the delivered backend, tests passed" \
	"r['outcome'] == 'passed' and d('build').get('isolation') is True and r['tests']['totals']['passed'] >= 1"

# a unittest suite in tests/test.py (pytest's pattern does not take it:
# unittest discovery does), and a configuration's own python_files
job unittest "$C/pyti_good_unittest-1.0.tar.gz" "build:$(whl flit_core)" \
	"build:$(whl tomli)"
corpus_ok unittest good-unittest
res unittest "pytest collected nothing, unittest ran tests/test.py: 2 passed, 1 skipped" \
	"r['tests']['runner'] == 'unittest' and r['tests']['totals']['passed'] == 2 and r['tests']['totals']['skipped'] == 1"
job pyfiles "$C/pyti_good_pyfiles-1.0.tar.gz" "build:$(whl flit_core)" \
	"build:$(whl tomli)"
corpus_ok pyfiles good-pyfiles
res pyfiles "python_files = test.py: pytest from the rootdir took the top-level test.py" \
	"d('tests').get('layout') == 'python_files' and r['tests']['runner'] == 'pytest' and r['tests']['totals']['passed'] == 2"

job poetry "$C/pyti_good_poetry-1.0.tar.gz" "build:$(whl poetry_core)" \
	"build:$(whl tomli)"
corpus_ok poetry good-poetry

job hatch "$C/pyti_good_hatch-1.0.tar.gz" "build:$(whl hatchling)" \
	"build:$(whl pathspec)" "build:$(whl pluggy)" \
	"build:$(whl trove_classifiers)" "build:$(whl packaging)" \
	"build:$(whl tomli)"
res hatch "hatchling without a delivered dependency: deps_missing, naming it" \
	"r['outcome'] == 'deps_missing' and t['build']['outcome'] == 'error' and d('build').get('missing') and 'not delivered' in r['outcome_reason']"
