#!/bin/sh
# Guest images: pyti-image builds each platform (cached by recipe hash: a
# second build does nothing), and each image boots under QEMU (KVM where
# tests/helper/kvm-probe says it works, TCG otherwise) from -kernel/-initrd
# with its root disk read-only, through the initramfs and the pyti init to
# the agent, which answers a HELO on its virtio-serial port naming the
# platform. Without an agent in the image, the init must say so and power
# the VM off.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/images.sh"
need qemu-system-x86_64 curl

PLATFORMS=${PYTI_TEST_PLATFORMS:-debian-11 debian-12 debian-13}
BOOT_TIMEOUT=${PYTI_BOOT_TIMEOUT:-240}
ensure_images $PLATFORMS

set -- $PLATFORMS
plan $((1 + 4 * $#))
diag "accelerator: $ACCEL"

out=$("$BIN/pyti-image" build "$1" 2>&1)
check_grep "a second build of $1 does nothing (cached)" "up to date" \
	"$(printf '%s\n' "$out" >"$TMP/rebuild.log"; echo "$TMP/rebuild.log")"

for p in $PLATFORMS; do
	dir=$("$BIN/pyti-image" path "$p")
	want_py=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["python"])' "$dir/image.json")
	check "$p: image.json names $p, its kernel and a read-only root cmdline" \
		"$PYTHON" -c '
import json, sys
j = json.load(open(sys.argv[1] + "/image.json"))
assert j["platform"] == sys.argv[2], j["platform"]
assert " ro " in " " + j["cmdline"] + " ", j["cmdline"]
assert "init=/usr/lib/pyti/init" in j["cmdline"]
for k in ("rootfs", "kernel", "initrd"):
    assert j[k] and "/" not in j[k]
assert len(j["recipe_hash"]) == 64
' "$dir" "$p"
	agent=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["agent_sha256"] or "")' "$dir/image.json")

	t0=$(date +%s.%N)
	boot_image "$p" "$p"
	if wait_for "$BOOT_TIMEOUT" console_has "$p" "pyti-init: \(starting agent\|error: agent missing\)"; then
		t1=$(date +%s.%N)
		ok "$p: boots to the pyti init"
		diag "$p: init reached after $(echo "$t1 - $t0" | bc) s ($ACCEL)"
	else
		not_ok "$p: boots to the pyti init"
		diag "console:" "$(tail -n 25 "$TMP/$p.console" 2>/dev/null)" \
			"qemu:" "$(tail -n 5 "$TMP/$p.qemu")"
	fi
	if [ -n "$agent" ]; then
		check_grep "$p: init starts the agent" "pyti-init: starting agent" \
			"$TMP/$p.console"
		if "$TOP/tests/helper/guest-hello" "$TMP/$p.sock" "$p" \
			"$BOOT_TIMEOUT" >"$TMP/$p.hello" 2>"$TMP/$p.hello.err"; then
			py=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("python"))' "$TMP/$p.hello")
			check_eq "$p: agent answers HELO with python $want_py" "$py" "$want_py"
			diag "$p: HELO after $(echo "$(date +%s.%N) - $t0" | bc) s"
		else
			not_ok "$p: agent answers HELO"
			diag "$(cat "$TMP/$p.hello.err")" "console:" \
				"$(tail -n 20 "$TMP/$p.console")"
		fi
	else
		check_grep "$p: without an agent, init says so" \
			"agent missing" "$TMP/$p.console"
		if wait_for 60 sh -c "! kill -0 $BOOT_PID"; then
			ok "$p: without an agent, the VM powers off"
		else
			not_ok "$p: without an agent, the VM powers off"
		fi
	fi
	kill -9 "$BOOT_PID" 2>/dev/null
	wait "$BOOT_PID" 2>/dev/null || true
done
