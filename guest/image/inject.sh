#!/bin/sh
# guest/image/inject.sh DIR: the cheap last step of an image build.
# DIR/base.img (from recipe.sh) + the guest init + the agent binary + the
# platform's identity -> DIR/rootfs.img: a sparse copy and a few debugfs writes into
# the image file (no mount, no root needed), well under a second. A new
# agent or init therefore rebuilds only this step.
#
# Environment (set by pyti-image):
#   PYTI_INIT      the guest init, installed as /usr/lib/pyti/init
#   PYTI_AGENT     the static agent binary, or empty: the image then boots
#                  to a clear "agent missing" message and powers off
#   PYTI_PLATFORM  platform name (debian-12) } written to
#   PYTI_PYTHON    python version (3.11)     } /etc/pyti/platform.json
set -eu

die() {
	echo "inject: $*" >&2
	exit 1
}

out=${1:?usage: inject.sh DIR}
: "${PYTI_PLATFORM:?}" "${PYTI_PYTHON:?}" "${PYTI_INIT:?}"
[ -r "$PYTI_INIT" ] || die "cannot read init '$PYTI_INIT'"
[ -f "$out/base.img" ] || die "no base image in '$out'"
command -v debugfs >/dev/null || die "needs debugfs (e2fsprogs)"
img=$out/rootfs.img.tmp
rm -f "$img"
cp --sparse=always "$out/base.img" "$img"

printf '{"platform":"%s","python":"%s"}\n' "$PYTI_PLATFORM" "$PYTI_PYTHON" \
	>"$out/platform.json"
cmds=$out/debugfs.cmds
{
	echo "mkdir /etc/pyti"
	echo "write $out/platform.json /etc/pyti/platform.json"
	echo "sif /etc/pyti/platform.json mode 0100644"
	echo "sif /etc/pyti/platform.json uid 0"
	echo "sif /etc/pyti/platform.json gid 0"
	echo "rm /usr/lib/pyti/init"
	echo "write $PYTI_INIT /usr/lib/pyti/init"
	echo "sif /usr/lib/pyti/init mode 0100755"
	echo "sif /usr/lib/pyti/init uid 0"
	echo "sif /usr/lib/pyti/init gid 0"
	if [ -n "${PYTI_AGENT:-}" ]; then
		[ -r "$PYTI_AGENT" ] || die "cannot read agent '$PYTI_AGENT'"
		echo "rm /usr/lib/pyti/pyti-agent"
		echo "write $PYTI_AGENT /usr/lib/pyti/pyti-agent"
		echo "sif /usr/lib/pyti/pyti-agent mode 0100755"
		echo "sif /usr/lib/pyti/pyti-agent uid 0"
		echo "sif /usr/lib/pyti/pyti-agent gid 0"
	fi
} >"$cmds"
debugfs -w -f "$cmds" "$img" >"$out/debugfs.log" 2>&1 ||
	die "debugfs failed (log: $out/debugfs.log)"

# debugfs reports most errors on its output and still exits 0: check.
debugfs -R "cat /etc/pyti/platform.json" "$img" 2>/dev/null |
	grep -q "\"$PYTI_PLATFORM\"" ||
	die "platform.json not in the image (log: $out/debugfs.log)"
debugfs -R "stat /usr/lib/pyti/init" "$img" 2>/dev/null |
	grep -q "Size: $(stat -c %s "$PYTI_INIT")\$" ||
	die "init not in the image (log: $out/debugfs.log)"
if [ -n "${PYTI_AGENT:-}" ]; then
	debugfs -R "stat /usr/lib/pyti/pyti-agent" "$img" 2>/dev/null |
		grep -q "Size: $(stat -c %s "$PYTI_AGENT")\$" ||
		die "agent not in the image (log: $out/debugfs.log)"
fi
rm -f "$cmds" "$out/platform.json"
mv "$img" "$out/rootfs.img"
