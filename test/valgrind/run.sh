#!/bin/sh
# The suite with every backend and the worker under valgrind memcheck.
#   test/valgrind/run.sh [--only regress,driver] [TEST ...]
# Runs a snapshot of HEAD (git archive, built in /tmp) against a private
# copy of the PostgreSQL tree, so edits and `make install`s made meanwhile
# cannot mix builds.  Logs: $VG_LOGS (default /tmp/vg/logs), one per
# process; then `python3 test/valgrind/report.py $VG_LOGS` lists the errors
# whose stacks involve sms_api.so.  VG_SNAPSHOT=0: the work tree as is,
# with the installed sms_api.
set -e
cd "$(dirname "$0")/../.."
: "${VG_LOGS:=/tmp/vg/logs}"; export VG_LOGS
mkdir -p "$VG_LOGS"; rm -f "$VG_LOGS"/*.log
[ $# -gt 0 ] || set -- --only regress,driver
[ "${VG_SNAPSHOT:-1}" = 0 ] && exec python3 test/valgrind/vgrun.py "$@"

snap=$(mktemp -d /tmp/vg-snap.XXXXXX); chmod 755 "$snap"
git archive HEAD | tar -x -C "$snap"
mkdir -p "$snap/test/valgrind"; cp test/valgrind/*.py test/valgrind/*.supp "$snap/test/valgrind/"
echo "snapshot of $(git rev-parse --short HEAD) in $snap"
make -s -C "$snap" >/dev/null
bin=$(pg_config --bindir) lib=$(pg_config --pkglibdir) share=$(pg_config --sharedir)
# postgres finds $libdir and its share directory relative to its binary
mkdir -p "$snap/pg$bin" "$snap/pg$lib" "$snap/pg$share/extension"
cp "$bin/postgres" "$snap/pg$bin/"
ln -s "$lib"/* "$snap/pg$lib/"; ln -s "$share"/* "$snap/pg$share/" 2>/dev/null || true
ln -s "$share"/extension/* "$snap/pg$share/extension/"
rm -f "$snap/pg$lib/sms_api.so" "$snap/pg$share/extension/sms_api"*
cp "$snap/sms_api.so" "$snap/pg$lib/"
cp "$snap"/sms_api*.control "$snap"/sql/sms_api--*.sql "$snap/pg$share/extension/"
cd "$snap"
VG_POSTGRES="$snap/pg$bin/postgres" python3 test/valgrind/vgrun.py "$@"
rm -rf "$snap"
