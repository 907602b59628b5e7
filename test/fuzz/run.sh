#!/bin/sh
# Build every fuzz target and run each in turn for a bounded time.
#
#   test/fuzz/run.sh [SECONDS] [TARGET...]   fuzz (25 s each by default: 12 targets, 5 minutes)
#   test/fuzz/run.sh --replay [TARGET...]    run the seeds and regressions once
#
# Fails on any crash, leak, timeout or sanitizer report; the input that
# caused it is left in $FUZZ_WORK/artifacts/TARGET/ (a fresh temporary
# directory unless FUZZ_WORK is set). New inputs go to $FUZZ_WORK/corpus,
# never into the repository's corpus. Prints one line per target:
# executions, coverage (libFuzzer's cov: and ft:) and the result.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
replay=0
seconds=25
if [ "${1:-}" = "--replay" ]; then
	replay=1
	shift
elif [ -n "${1:-}" ] && [ "$1" -eq "$1" ] 2>/dev/null; then
	seconds=$1
	shift
fi

make -s -C "$dir" >/dev/null
targets=${*:-$(make -s -C "$dir" list)}
work=${FUZZ_WORK:-$(mktemp -d /tmp/sms_api-fuzz.XXXXXX)}
# halt at the first report of any sanitizer, leaks included
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for t in $targets; do
	api=${t%%_*}
	[ -f "$dir/$api.dict" ] || api=errors
	mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
	log="$work/$t.log"
	seeds="$dir/corpus/$t"
	regressions=
	[ -d "$dir/regressions/$t" ] && regressions="$dir/regressions/$t"
	if [ $replay = 1 ]; then
		# -runs=0: execute every seed and regression input once, then stop
		set -- -runs=0 "$seeds" $regressions
	else
		set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
			-max_len=16384 -dict="$dir/$api.dict" -print_final_stats=1 \
			"$work/corpus/$t" "$seeds" $regressions
	fi
	if "$dir/build/$t" -artifact_prefix="$work/artifacts/$t/" "$@" >"$log" 2>&1; then
		result=ok
	else
		result="FAILED (see $log)"
		failed=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
	printf '%-20s execs %-10s %-22s %s\n' "$t" "${execs:-0}" "${cov:-cov: ?}" "$result"
done
exit $failed
