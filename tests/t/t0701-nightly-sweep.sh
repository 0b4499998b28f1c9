#!/bin/sh
# t0701-nightly-sweep: two whole sweeps end to end through cron/pyti-nightly
# with real parts: an index built by scripts/pyti-demo-index (the demo's own
# projects, with setuptools, wheel and six repacked from this machine's
# Debian packages) served on loopback, pyti-crawl, pyti-schedule, the
# embedded PostgreSQL (scripts/pyti-postgres), a private libvirtd and a
# pool of one debian-12 VM, pyti-report and pyti-matrix.
#
# The scenario is tests/helper/nightly.sh's, shared with t0702: here
# pyti-demo-calc's 2 tests really run and pyti-demo-persist 0.2 really
# plants a cron entry when imported. 4 VM jobs and two pool boots: about
# 4 minutes under TCG (make test runs it; CI measured 35 min without it).
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (embedded PostgreSQL as postgres, private libvirtd)"
need virsh
. "$TOP/tests/helper/nightly.sh"
nightly_need
. "$TOP/tests/helper/images.sh"
ensure_images debian-12

nightly_index_serve
at_exit "'$TOP/scripts/pyti-libvirtd' stop '$V/libvirt'"
nightly_conf "pool = yes
libvirtd = private
deadline = 40m
pool-idle = 5s
[images]
dir = ${PYTI_IMAGE_DIR:-$TOP/var/images}" "pyti-demo-calc pyti-demo-persist" "name = t0701
accel = $ACCEL
lease = 120s
poll = 500ms
hello-timeout = 120s
boot-timeout = 600s
job-timeout = 1800s" "memory = 1024M
vcpus = 1
vms = 1"
NS_TESTS=2 NS_JOBS1=2 NS_FINDING=persistence.crontab
plan 21

sweep 1
nightly_sweep1_checks
check_eq "sweep 1: one cell per project on $P" \
	"$(q "SELECT string_agg(project || ' ' || version || ' ' || platform, ',' ORDER BY project) FROM cells WHERE sweep_id = 1")" \
	"pyti-demo-calc 1.0 $P,pyti-demo-persist 0.1 $P"
check_eq "sweep 1: every job done with one result, both passed" \
	"$(q "SELECT string_agg(c.project || ' ' || j.state || ' ' || r.class || ' ' || r.outcome, ',' ORDER BY c.project)
	      FROM jobs j JOIN cells c ON c.id = j.cell_id JOIN results r ON r.job_id = j.id WHERE c.sweep_id = 1")" \
	"pyti-demo-calc done package passed,pyti-demo-persist done package passed"

nightly_next_generation
sweep 2
nightly_sweep2_checks
nightly_sweep3_checks
