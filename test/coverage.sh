#!/bin/sh
# make coverage: the regress and driver suites against a build with gcov
# instrumentation, then line and branch coverage per file of src/ and the
# total (gcovr, Debian's package, installed when missing).
#   test/coverage.sh [run.py arguments]   (default: --only regress,driver)
# Builds a copy of the work tree in /tmp with --coverage and runs the suite
# through test/private_pg.sh with that sms_api.so (never make install).
set -e
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- --only regress,driver
if ! command -v gcovr >/dev/null; then
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends gcovr >/dev/null
fi

snap=$(mktemp -d /tmp/sms-api-cov.XXXXXX); chmod 755 "$snap"
trap 'rm -rf "$snap"' EXIT
git ls-files -co --exclude-standard | tar -c -T - | tar -x -C "$snap"
# -O0: every line its own, so that the counts are the source's
make -s -C "$snap" COPT="--coverage -O0" >/dev/null
# Each process of the server (the postgres OS user) adds its counts to the
# .gcda files beside the objects as it exits; a process that is killed
# (SIGKILL, or the immediate shutdown after a crash) adds nothing.
find "$snap/src" -type d -exec chmod 777 {} +

status=0
SMS_API_BUILD="$snap" test/private_pg.sh python3 test/run.py "$@" || status=$?
python3 test/coverage_report.py "$snap"
exit $status
