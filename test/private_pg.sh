#!/bin/sh
# Run a command against this work tree's build, not the installed one:
#   test/private_pg.sh python3 test/run.py --only regress segments
# Builds the tree, then makes a private copy of PostgreSQL's binaries (the
# server finds $libdir and its share directory relative to its own binary)
# with this tree's sms_api.so and SQL scripts, so several work trees can
# test at once without `make install` racing.  SMS_API_PG_BINDIR tells the
# harness (test/harness.py pg_bindir) which binaries to use.
# SMS_API_BUILD=DIR: take sms_api.so and the scripts from that built copy
# of the tree instead (test/sanitize/run.sh, test/coverage.sh).
# SMS_API_POSTGRES_WRAPPER=FILE: put that script in place of the postgres
# binary, which it finds beside itself as postgres.real.
set -e
cd "$(dirname "$0")/.."
build=${SMS_API_BUILD:-.}
[ -n "$SMS_API_BUILD" ] || make -s >/dev/null
bin=$(pg_config --bindir) lib=$(pg_config --pkglibdir) share=$(pg_config --sharedir)
tree=$(mktemp -d /tmp/sms-api-pg.XXXXXX); chmod 755 "$tree"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree$bin" "$tree$lib" "$tree$share/extension"
cp -a "$bin"/. "$tree$bin/"
ln -s "$lib"/* "$tree$lib/"
ln -s "$share"/* "$tree$share/" 2>/dev/null || true
ln -s "$share"/extension/* "$tree$share/extension/"
rm -f "$tree$lib/sms_api.so" "$tree$share/extension/sms_api"*
cp "$build/sms_api.so" "$tree$lib/"
cp "$build"/sms_api*.control "$build"/sql/sms_api--*.sql "$tree$share/extension/"
if [ -n "$SMS_API_POSTGRES_WRAPPER" ]; then
	mv "$tree$bin/postgres" "$tree$bin/postgres.real"
	cp "$SMS_API_POSTGRES_WRAPPER" "$tree$bin/postgres"
	chmod 755 "$tree$bin/postgres"
fi
chmod -R a+rX "$tree"
SMS_API_PG_BINDIR="$tree$bin" "$@"
