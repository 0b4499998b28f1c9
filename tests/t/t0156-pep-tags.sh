#!/bin/sh
# pyti-pep tags against packaging 23.0's own sys_tags() logic (cpython_tags
# + compatible_tags over _linux_platforms / mac_platforms) with the
# target's glibc or musl version, arch and Python version substituted.
. "$(dirname "$0")/../lib.sh"

pep_test pep packaging

cases="3.11:manylinux_2_36_x86_64:
3.12:manylinux_2_28_aarch64:
3.9:manylinux2014_x86_64:
2.7:manylinux1_i686:
3.7:manylinux_2_17_ppc64le:
3.11:manylinux_2_17_riscv64:
3.13:manylinux_2_5_x86_64:
3.11:musllinux_1_2_x86_64:
3.12:musllinux_1_1_aarch64:
3.11:manylinux_2_36_x86_64:abi3
3.11:manylinux_2_36_x86_64:none
3.11:manylinux_2_36_x86_64:cp311d,cp311
3.12:macosx_14_0_arm64:
3.9:macosx_10_15_x86_64:
3.8:macosx_11_0_x86_64:
3.13:win_amd64:
3.11:linux_x86_64:
3.2:manylinux1_x86_64:"
plan $(($(echo "$cases" | wc -l) + 3))

echo "$cases" >"$TMP/cases"
while IFS=: read -r py plat abi; do
	set -- --python "$py" --platform "$plat"
	[ -n "$abi" ] && set -- "$@" --abi "$abi"
	pyti-pep tags "$@" >"$TMP/pyti" 2>&1
	$PYTHON "$TOP/tests/helper/oracle-dist.py" tags "$@" >"$TMP/packaging"
	check_files_eq "tags $*" "$TMP/pyti" "$TMP/packaging"
done <"$TMP/cases"

pyti-pep tags --python 3.11 --platform manylinux_2_36_x86_64 >"$TMP/t"
check_eq "manylinux2014 right after manylinux_2_17" \
	"$(grep -A1 -x 'cp311-cp311-manylinux_2_17_x86_64' "$TMP/t" | tail -n1)" \
	"cp311-cp311-manylinux2014_x86_64"
check_fails "malformed platform is refused" \
	pyti-pep tags --python 3.11 --platform 'manylinux_x_y_x86_64'
check_fails "malformed python version is refused" \
	pyti-pep tags --python 3 --platform linux_x86_64
