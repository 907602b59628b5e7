#!/bin/sh
# The regress and driver suites against sms_api built with AddressSanitizer
# and UndefinedBehaviorSanitizer; fails on any report whose stack involves
# sms_api code, and prints those reports.
#   test/sanitize/run.sh [run.py arguments]   (default: --only regress,driver)
# Builds a copy of the work tree in /tmp with -fsanitize=address,undefined
# and runs the suite through test/private_pg.sh with that sms_api.so (never
# make install).  PostgreSQL itself is not instrumented: its postgres binary
# is replaced there by a wrapper that preloads gcc's libasan and libubsan,
# so every server process (postmaster, backends, the worker) runs with the
# runtime that sms_api.so needs; without it CREATE EXTENSION would fail.
# Reports: $SAN_LOGS (default a new /tmp/sms-api-san.*), one file per
# process; test/sanitize/report.py sorts them.
set -e
cd "$(dirname "$0")/../.."
repo=$(pwd)
[ $# -gt 0 ] || set -- --only regress,driver
logs=${SAN_LOGS:-$(mktemp -d /tmp/sms-api-san.XXXXXX)}
mkdir -p "$logs"; rm -f "$logs"/asan.* "$logs"/ubsan.*
chmod 1777 "$logs"      # the server runs as the postgres OS user

snap=$(mktemp -d /tmp/sms-api-san-build.XXXXXX); chmod 755 "$snap"
trap 'rm -rf "$snap"' EXIT
git ls-files -co --exclude-standard | tar -c -T - | tar -x -C "$snap"
# gcc 12 sees the null paths UBSan's checks add as calls with a null
# argument (-Wnonnull, e.g. explicit_bzero on a shared-memory slot)
make -s -C "$snap" COPT="-fsanitize=address,undefined -fno-omit-frame-pointer -Wno-nonnull" >/dev/null
gcc -Wall -Wextra -Werror -shared -fPIC -o "$snap/no_swift.so" test/sanitize/no_swift.c

# Leaks: LeakSanitizer checks each process as it exits.  What PostgreSQL
# still holds then (memory contexts, caches, libcurl's and OpenSSL's
# globals) is reachable and not reported; what it does report with no
# sms_api frame in the allocating stack is PostgreSQL's (its saved argv and
# environment, the postmaster's strdups) or a library's, and report.py sets
# it aside (a suppression list would have to name PostgreSQL's internals
# and go stale).  A leak report must not change a backend's exit code (the
# postmaster would take it for a crash and restart every backend):
# exitcode=0.  An invalid access still kills its process, and the suite
# fails around it.  A smaller quarantine keeps a dozen instrumented
# backends within a shared 2-core machine's memory.
cat > "$snap/postgres" <<WRAP
#!/bin/bash
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so) $snap/no_swift.so"
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:quarantine_size_mb=16:malloc_context_size=30"
export LSAN_OPTIONS="exitcode=0"
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=0"
exec -a "\$0" "\$(dirname "\$0")/postgres.real" "\$@"
WRAP

status=0
SMS_API_BUILD="$snap" SMS_API_POSTGRES_WRAPPER="$snap/postgres" \
	test/private_pg.sh python3 test/run.py "$@" || status=$?
python3 test/sanitize/report.py "$logs" || status=$?
exit $status
