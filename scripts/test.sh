#!/usr/bin/env bash
# Build and run every test: the normal build (gcc), the same with the SIMD
# fast paths compiled out, then the whole suite again under ASan+UBSan,
# then a short libFuzzer smoke run of every fuzz target (clang). Ends with
# one line "N passed, N failed" over all of it.
# THRESH_FUZZ_SECONDS (default 10) sets the fuzzing time per target and
# THRESH_FUZZ_SEED (default 1) its seed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
passed=0
failed=0
skipped=0   # fuzz targets with a known open finding (fuzz/known-failures.txt)
count() {  # count results of a meson build dir's testlog.json
    local log=$1/meson-logs/testlog.json
    [ -f "$log" ] || { failed=$((failed + 1)); return; }
    local p f
    p=$(python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    r=json.loads(l); n+= r["result"] in ("OK","EXPECTEDFAIL","SKIP")
print(n)' "$log")
    f=$(python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    r=json.loads(l); n+= r["result"] not in ("OK","EXPECTEDFAIL","SKIP")
print(n)' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
}

# suite NAME DIR TEST-ARGS -- SETUP-ARGS...: configure and build DIR (the
# build counts as one test), run its whole test suite, count the results
suite() {
    local name=$1 dir=$2 targs=$3
    shift 4
    echo "== $name" >&2
    rm -rf "$dir"
    if meson setup "$dir" "$@" >/dev/null && ninja -C "$dir" >/dev/null; then
        passed=$((passed + 1))
        # shellcheck disable=SC2086
        meson test -C "$dir" --print-errorlogs --num-processes 2 $targs >&2 ||
            true
        count "$dir"
    else
        echo "FAILED: $name build" >&2; failed=$((failed + 1))
    fi
}

suite "build (gcc, -Werror)" build-test "" -- \
    --buildtype=debugoptimized -Dwerror=true
# every SSE2 fast path has a plain C fallback; this runs the suite on those
# (the "oracle" suite, minutes of Python that no build changes, runs in the
# first build only)
suite "portable build (SIMD paths off: -U__SSE2__)" build-nosimd \
    "--no-suite oracle" -- \
    --buildtype=debugoptimized -Dwerror=true -Dc_args=-U__SSE2__
CC=clang suite "ASan+UBSan" build-asan \
    "--timeout-multiplier 4 --no-suite oracle" -- \
    --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
    -Darena_debug=true -Dc_args=-fno-sanitize-recover=all

echo "== libFuzzer smoke" >&2
secs=${THRESH_FUZZ_SECONDS:-10}
# a fixed seed makes the CI run reproducible; nightly runs vary it
seed=${THRESH_FUZZ_SEED:-1}
rm -rf build-fuzz
if CC=clang meson setup build-fuzz --buildtype=debug -Dfuzzers=true \
      -Db_sanitize=address,undefined -Db_lundef=false >/dev/null \
   && ninja -C build-fuzz >/dev/null; then
    passed=$((passed + 1))
    for f in build-fuzz/fuzz/fuzz_*; do
        [ -f "$f" ] && [ -x "$f" ] || continue
        t=$(basename "$f"); t=${t#fuzz_}
        work=$(mktemp -d)
        cp -r "$root/fuzz/corpus/$t/." "$work/" 2>/dev/null || true
        dict=()
        [ -f "$root/fuzz/$t.dict" ] && dict=(-dict="$root/fuzz/$t.dict")
        if "$f" -seed="$seed" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 \
               "${dict[@]}" "$work" >"$work.log" 2>&1; then
            passed=$((passed + 1))
            echo "fuzz $t: $(grep -m1 -o 'Done [0-9]* runs' "$work.log")" >&2
        elif grep -q "^$t " "$root/fuzz/known-failures.txt" 2>/dev/null; then
            skipped=$((skipped + 1))
            echo "KNOWN FAILURE: fuzz $t ($(grep "^$t " \
                "$root/fuzz/known-failures.txt" | cut -d' ' -f2-))" >&2
            tail -30 "$work.log" >&2
        else
            failed=$((failed + 1))
            echo "FAILED: fuzz $t" >&2
            tail -30 "$work.log" >&2
        fi
        rm -rf "$work" "$work.log"
    done
else
    echo "FAILED: fuzz build" >&2; failed=$((failed + 1))
fi

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
