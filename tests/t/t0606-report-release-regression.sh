#!/bin/sh
# The t0701 defect, without a VM: the second sweep had calc 1.1 failing
# and persist 0.2 hostile, yet report_changes had no new_failure for calc
# and no mail was queued. A new release was compared with the previous
# release's result by the inputs key alone: when the keys are equal (here
# the two releases' cells name the same file, so the digest is the same),
# the failure was taken for a contradiction with the same inputs
# (rerun_pending: a re-run asked, nothing told). Another release is never
# the same inputs: this must be a release regression, mailed at once.
# Also: the previous release's verdict is found past a result without one
# (deps_missing) in between, and a hostile release mails its maintainer.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helper/report.sh"
report_setup
plan 7

fixture <<'END'
sweep
result pyti-demo-calc 1.0 passed file=calc.whl author=ada@calc.example
result pyti-demo-persist 0.1 passed author=bea@persist.example
result gap 1.0 passed author=gil@gap.example
sweep
result gap 1.0 deps_missing author=gil@gap.example
sweep
result pyti-demo-calc 1.1 tests_failed file=calc.whl author=ada@calc.example
result pyti-demo-persist 0.2 passed hostile=1 author=bea@persist.example
result gap 1.1 tests_failed author=gil@gap.example
END
report_mail_conf
report_load_changes 2
check "changes of the third sweep" pyti-report changes --sweep 3
check_eq "calc 1.1 is a release regression against 1.0 (not a contradiction)" \
	"$(rsql "select change || ' ' || coalesce(regression, '-') || ' ' || prev_version from report_changes where sweep_id = 3 and project = 'pyti-demo-calc'")" \
	"new_failure release 1.0"
check_eq "no re-run asked for a new release" \
	"$(rsql "select count(*) from jobs where spec ? 'rerun_of'")" 0
check_eq "gap 1.1 against 1.0, past the deps_missing result of sweep 2" \
	"$(rsql "select change || ' ' || coalesce(regression, '-') || ' ' || prev_version from report_changes where sweep_id = 3 and project = 'gap'")" \
	"new_failure release 1.0"
check_eq "persist 0.2: still passing, newly hostile" \
	"$(rsql "select change || ' ' || new_hostile from report_changes where sweep_id = 3 and project = 'pyti-demo-persist'")" \
	"still_passing true"
check "mail of the third sweep" pyti-report mail --sweep 3
check_eq "one digest per affected maintainer" \
	"$(cat "$TMP"/outbox/*.eml 2>/dev/null | grep -i '^To:' | grep -o '[a-z]*@[a-z.]*' | sort | tr '\n' ' ')" \
	"ada@calc.example bea@persist.example gil@gap.example "
