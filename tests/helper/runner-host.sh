# tests/helper/runner-host.sh: sourced (after tests/lib.sh) by the runner's
# VM tests (t0402, t0404, t0405). runner_host sets up a runner host as
# production has it, private to the test and stopped when it ends:
#   CI          the conninfo of a throwaway PostgreSQL
#   URI         a private libvirtd running QEMU confined (the libvirt-qemu
#               user, seccomp: tests/helper/libvirt/start --confined)
#   $TMP/state  the runner's state directory, where QEMU (as libvirt-qemu)
#               binds the channel socket
# Either server failing to start bails out.
. "$TOP/tests/helper/images.sh"
runner_host() {
	CI=$("$TOP/tests/helper/postgres/start" "$TMP/pg") || { echo "Bail out! no PostgreSQL"; exit 1; }
	at_exit "$TOP/tests/helper/postgres/stop" "$TMP/pg" immediate
	URI=$("$TOP/tests/helper/libvirt/start" "$TMP/lv" --confined) || { echo "Bail out! no libvirtd"; exit 1; }
	at_exit "$TOP/tests/helper/libvirt/stop" "$TMP/lv"
	qemu_dir "$TMP/state"
}
