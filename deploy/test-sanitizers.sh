#!/bin/sh
# Every test again, with every C file built under AddressSanitizer and
# UndefinedBehaviorSanitizer (into ./build-asan), so a memory error or
# undefined behaviour that happens not to crash still fails the run. Run by
# .ci/run after deploy/test.sh (which installs the packages; gcc brings the
# sanitizer runtimes).
#
#   deploy/test-sanitizers.sh [ctest args...]      e.g. -L integration
#
# The flood test (label flood: a minute of load, figures for
# docs/operations.md) is left out here: under ASan it measures the sanitizer.
# Unit tests run with leak detection. The services of the integration tests
# run without it: they are stopped with kill -9 and SIGTERM mid-work, where
# memory still held is not a leak. Reports go to build-asan/sanitizer-logs/
# (one file per process); any report there fails the run, even from a
# process whose test passed.
set -eu
cd "$(dirname "$0")/.."
B=build-asan
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S . -B "$B" -DJIJU_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="$SAN" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$B" -j"$(nproc)"
LOGS=$PWD/$B/sanitizer-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$LOGS/ubsan"
ASAN_OPTIONS="detect_leaks=1:log_path=$LOGS/asan" \
    ctest --test-dir "$B" --output-on-failure -j2 --timeout 900 -LE integration "$@"
ASAN_OPTIONS="detect_leaks=0:log_path=$LOGS/asan" \
    ctest --test-dir "$B" --output-on-failure -j2 --timeout 900 -L integration -LE flood "$@"
if [ -n "$(ls -A "$LOGS")" ]; then
    for f in "$LOGS"/*; do
        echo "==== $f"
        cat "$f"
    done
    echo "test-sanitizers: sanitizer reports above" >&2
    exit 1
fi
echo "test-sanitizers: every test passed with ASan and UBSan, no reports"
