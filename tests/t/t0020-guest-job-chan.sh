#!/bin/sh
# tests/helper/guest-job, the Python host side of the channel the VM tests
# speak to the agent, against the C implementation of the protocol
# (common/chan.c, through tests/helper/chan-guest): the frames each side
# writes are the frames the other's strict reader accepts, files arrive
# intact, LOG_/ARTF/RSLT/DONE are parsed. No VM: a mistake in either framing
# shows here first.
. "$(dirname "$0")/../lib.sh"
GUEST=$TOP/build/tests/helper/chan-guest
[ -x "$GUEST" ] || skip_all "build/tests/helper/chan-guest is not built (make test)"
plan 7

head -c 70000 /dev/urandom >"$TMP/dist-1.0.tar.gz"
printf 'dep' >"$TMP/dep-2.0-py3-none-any.whl"
"$GUEST" "$TMP/s.sock" >"$TMP/guest.out" 2>&1 &
gpid=$!
at_exit "kill $gpid"
timeout 60 "$TOP/tests/helper/guest-job" "$TMP/s.sock" "$TMP/dist-1.0.tar.gz" \
	"$TMP/dep-2.0-py3-none-any.whl" --timeout 30 >"$TMP/res.json" 2>"$TMP/err"
check_eq "guest-job completes the exchange" "$?" 0
wait $gpid
check_eq "the C side read every frame of guest-job strictly" "$?" 0
[ -s "$TMP/guest.out" ] && diag "$(cat "$TMP/guest.out")"
jq() { "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$TMP/res.json"; }
check_eq "both files arrived intact" \
	"$(jq '" ".join("%s:%s" % (f["name"], f["ok"]) for f in d["files"])')" \
	"dist-1.0.tar.gz:True dep-2.0-py3-none-any.whl:True"
check_eq "frames counted" \
	"$(jq '" ".join("%s=%d" % kv for kv in sorted(d["_frames"].items()))')" \
	"ARTF=1 BEAT=1 DONE=1 LOG_=1 RSLT=1 TASK=1"
check_eq "the LOG_ blob is parsed" "$(jq 'd["_logs"]["fake.log"]')" "fake log"
check_eq "the ARTF blob is parsed and hashed" \
	"$(jq '" ".join(str(d["_artifact"][k]) for k in ("name", "size", "sha256"))')" \
	"fake-1.0-py3-none-any.whl 9 $(printf 'artifact\n' | sha256sum | cut -d' ' -f1)"
check_grep "RSLT names the job" '"job_id": "test-' "$TMP/res.json"
