# tests/helper/images.sh: sourced by the VM tests after tests/lib.sh.
# ensure_images PLATFORM...: make sure each platform's image is built (a
# cached no-op when it is), or skip_all with the reason it cannot be built
# here. Sets ACCEL (kvm|tcg, from tests/helper/kvm-probe) and QEMU_ACCEL
# (the matching qemu arguments).
#
# Every VM these helpers start runs QEMU confined as in production
# (docs/security.md): boot_image as the unprivileged libvirt-qemu user in
# QEMU's seccomp sandbox, without capabilities, start_libvirt a private libvirtd that does the
# same (tests/helper/libvirt/start --confined).

images_reason() {
	[ -x "$BIN/pyti-image" ] || { echo "bin/pyti-image is not built"; return; }
	[ "$(id -u)" = 0 ] || { echo "building images needs root (mmdebstrap)"; return; }
	command -v mmdebstrap >/dev/null || { echo "needs mmdebstrap (make deps)"; return; }
	command -v debugfs >/dev/null || { echo "needs debugfs (e2fsprogs)"; return; }
	mirror=${PYTI_MIRROR_URL:-$("$BIN/pyti-image" mirror 2>&1)} ||
		{ echo "$mirror"; return; }
	curl -sf -o /dev/null --max-time 20 "$mirror/dists/bookworm/InRelease" ||
		{ echo "the Debian archive $mirror is unreachable"; return; }
}

ensure_images() {
	missing=
	for p in "$@"; do
		"$BIN/pyti-image" path "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		why=$(images_reason)
		[ -z "$why" ] || skip_all "images$missing not built and cannot be: $why"
	fi
	# Build (or confirm up to date: the agent may have changed) all of
	# them, at the same time: a build from scratch is mostly downloads and
	# dpkg waiting on the disk, so three overlap well even on 2 cores.
	t0=$(date +%s)
	pids=
	for p in "$@"; do
		"$BIN/pyti-image" build "$p" >"$TMP/build-$p.log" 2>&1 &
		pids="$pids $!"
	done
	for p in "$@"; do
		set -- $pids
		pid=$1
		shift
		pids="$*"
		if ! wait "$pid"; then
			[ -z "$pids" ] || kill $pids 2>/dev/null
			cat "$TMP/build-$p.log" >&2
			why=$(images_reason)
			[ -z "$why" ] || skip_all "cannot build image $p: $why"
			echo "Bail out! pyti-image build $p failed"
			exit 1
		fi
		diag "image $p ready after $(($(date +%s) - t0)) s"
	done
	ACCEL=$("$TOP/tests/helper/kvm-probe")
	if [ "$ACCEL" = kvm ]; then
		QEMU_ACCEL="-accel kvm -cpu host"
	else
		QEMU_ACCEL="-accel tcg"
	fi
	export ACCEL
}

# boot_image PLATFORM NAME [QEMU ARGS...]: start the platform's image under
# QEMU in the background: root disk read-only, console to $TMP/NAME.console,
# the agent's virtio-serial port on the unix socket $TMP/NAME.sock. Sets
# BOOT_PID; registers the kill with at_exit. As root, QEMU runs as
# libvirt-qemu from its first instruction (setpriv, as libvirt starts it:
# no capability, no new privileges; QEMU's own -runas would need setuid,
# which the seccomp sandbox refuses), so its console and socket live in
# $TMP/qemu (qemu_dir), linked from where the tests look for them.
boot_image() {
	p=$1
	name=$2
	shift 2
	dir=$("$BIN/pyti-image" path "$p") || return 1
	cmdline=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["cmdline"])' "$dir/image.json")
	asuser=
	vm=$TMP
	if [ "$(id -u)" = 0 ]; then
		u=$("$TOP/scripts/pyti-libvirtd" qemu-user) || return 1
		asuser="setpriv --reuid=$u --regid=$u --clear-groups --no-new-privs --"
		vm=$TMP/qemu
		qemu_dir "$vm"
	fi
	rm -f "$TMP/$name.console" "$TMP/$name.sock" "$vm/$name.console" "$vm/$name.sock"
	if [ "$vm" != "$TMP" ]; then
		ln -s "qemu/$name.console" "$TMP/$name.console"
		ln -s "qemu/$name.sock" "$TMP/$name.sock"
	fi
	# shellcheck disable=SC2086
	$asuser qemu-system-x86_64 -machine q35 $QEMU_ACCEL -m 1024 -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot \
		-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny \
		-serial "file:$vm/$name.console" \
		-kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" -append "$cmdline" \
		-drive "file=$dir/rootfs.img,if=virtio,format=raw,readonly=on" \
		-device virtio-serial-pci \
		-chardev "socket,id=agent,path=$vm/$name.sock,server=on,wait=off" \
		-device virtserialport,chardev=agent,name=org.pyti.agent.0 \
		-device pvpanic \
		"$@" >"$TMP/$name.qemu" 2>&1 &
	BOOT_PID=$!
	at_exit "kill -9 $BOOT_PID 2>/dev/null"
}

# console_has NAME PATTERN: the guest console shows a line matching.
console_has() {
	grep -q -e "$2" "$TMP/$1.console" 2>/dev/null
}

# qemu_dir DIR: make DIR a directory confined QEMU (group libvirt-qemu)
# can bind its channel sockets in, and the test's $TMP one it can pass.
qemu_dir() {
	chmod 755 "$TMP"
	mkdir -p "$1"
	chgrp "$("$TOP/scripts/pyti-libvirtd" qemu-user)" "$1"
	chmod 2770 "$1"
}

# start_libvirt: a private libvirtd for this test (tests/helper/libvirt/
# start --confined, the runner's helper), stopped at exit. Sets LIBVIRT_URI
# and LIBVIRT_STATE, the runner's state directory (qemu_dir). It starts
# inside a mount namespace with a private /run, so its virtlogd's pid file
# (/run/virtlogd.pid) cannot collide with another libvirt on the machine.
start_libvirt() {
	for c in libvirtd virtlogd virsh tini unshare; do
		command -v "$c" >/dev/null 2>&1 || skip_all "needs '$c' (make deps)"
	done
	[ "$(id -u)" = 0 ] || skip_all "the private libvirtd needs root"
	LIBVIRT_URI=$(unshare -m --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 pyti-run /run && exec "$0" "$1"' \
		"$TOP/tests/helper/libvirt/start" "$TMP/libvirt" --confined) ||
		skip_all "cannot start a private libvirtd"
	at_exit "'$TOP/tests/helper/libvirt/stop' '$TMP/libvirt'"
	wait_for 30 virsh -c "$LIBVIRT_URI" version ||
		skip_all "the private libvirtd does not answer"
	export LIBVIRT_URI
	LIBVIRT_STATE=$TMP/state
	qemu_dir "$LIBVIRT_STATE"
}

# run_job PLATFORM OUT DIST [DEP...]: one job through `pyti-run test` on the
# private libvirtd; the raw results JSON goes to OUT, stderr to OUT.err.
# Returns pyti-run's status (0 package outcome, 1 infrastructure).
run_job() {
	p=$1
	out=$2
	shift 2
	timeout -k 10 "${PYTI_JOB_TIMEOUT:-900}" "$BIN/pyti-run" \
		--set "runner.uri=$LIBVIRT_URI" --set "runner.accel=$ACCEL" \
		--set "runner.state-dir=$LIBVIRT_STATE" \
		test --platform "$p" "$@" >"$out" 2>"$out.err"
}
