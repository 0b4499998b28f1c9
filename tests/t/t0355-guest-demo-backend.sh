#!/bin/sh
# The demo index's build backend builds as PyPI's does (issue 10): an sdist
# whose backend is setuptools, built in isolation in a debian-11 guest
# (Python 3.9) from the newest setuptools wheel of a pyti-demo-index tree,
# with wheel and packaging. Before scripts/pyti-demo-index undid Debian's
# patches, trixie's setuptools 78.1.1 repack carried Debian's
# install_layout patch and every such build failed with "AttributeError:
# install_layout" (docs/verdicts.md), a wrong build_failed that was pyti's.
#
# Input: PYTI_DEMO_INDEX, the output directory of `pyti-demo-index build`
# (make demo leaves it in var/demo/index); without it the test skips.
#   PYTI_BACKEND_PLATFORM (debian-11), PYTI_BACKEND_SDIST (pyti_demo_greet,
#   which needs pyti-demo-calc, delivered as a runtime dependency)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
. "$TOP/tests/helper/guest-vm-job.sh"
long_test "one debian-11 VM boot and an isolated setuptools build under TCG, ~8 min"
need qemu-system-x86_64
[ -x "$BIN/pyti-agent" ] || skip_all "bin/pyti-agent is not built"
[ -n "${PYTI_DEMO_INDEX:-}" ] && [ -d "$PYTI_DEMO_INDEX/www/packages" ] ||
	skip_all "PYTI_DEMO_INDEX names no pyti-demo-index output (make demo)"
P=${PYTI_BACKEND_PLATFORM:-debian-11}
SDIST=${PYTI_BACKEND_SDIST:-pyti_demo_greet}
BOOT_TIMEOUT=${PYTI_BOOT_TIMEOUT:-240}
JOB_TIMEOUT=${PYTI_JOB_TIMEOUT:-1500}

# newest NAME: the index's newest wheel (or sdist, with .tar.gz) of NAME.
newest() {
	"$PYTHON" - "$PYTI_DEMO_INDEX/www/packages" "$1" "$2" <<'PY'
import os, re, sys
root, name, ext = sys.argv[1:]
best = None
for d, _, fs in os.walk(root):
    for f in fs:
        m = re.match(re.escape(name) + r"-([0-9][^-]*?)(-py3-none-any\.whl|\.tar\.gz)$", f)
        if m and m.group(2) == ext:
            v = tuple(int(x) if x.isdigit() else 0 for x in m.group(1).split("."))
            if best is None or v > best[0]:
                best = (v, os.path.join(d, f))
print(best[1] if best else "")
PY
}
ST=$(newest setuptools -py3-none-any.whl)
WH=$(newest wheel -py3-none-any.whl)
PK=$(newest packaging -py3-none-any.whl)
SD=$(newest "$SDIST" .tar.gz)
CALC=$(newest pyti_demo_calc -py3-none-any.whl) # what pyti-demo-greet needs
for f in "$ST" "$WH" "$PK" "$SD" "$CALC"; do
	[ -n "$f" ] || skip_all "the index lacks setuptools, wheel, packaging, pyti-demo-calc or $SDIST"
done
ensure_images "$P"
diag "platform $P, accelerator $ACCEL" "$(basename "$SD") with $(basename "$ST"), $(basename "$WH"), $(basename "$PK")"

plan 3

check "guest-job ran the job (exit 0)" vm_job job "$SD" \
	"build:$ST" "build:$WH" "build:$PK" "runtime:$CALC" \
	--spec "{\"deadline_s\": $JOB_TIMEOUT}"
vm_res job "the setuptools build task ended ok (no install_layout AttributeError)" \
	"t.get('build', {}).get('outcome') == 'ok'"
vm_res job "the job passed" "r.get('outcome') == 'passed'"
