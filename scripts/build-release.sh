#!/usr/bin/env bash
# Build thresh for production runs into build-release/: link-time
# optimization plus profile-guided optimization (gcc -fprofile-generate,
# a training run, -fprofile-use). Same sources, same output bytes as
# build/ (scripts/build.sh); only the machine code differs. The training
# run is the main job on the bundled sample and, when ../shared is beside
# the repository (or THRESH_SHARED_DATA names its data/), the benchmarks of
# the filter chain, HTML extraction, text cleanup and language ID on real
# data (about a minute). Measured gains: docs/ARCHITECTURE.md, "Builds".
# Usage: bash scripts/build-release.sh   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-release
data=${THRESH_SHARED_DATA:-../shared/data}
# missing profiles (code the training never runs) are not an error
args=(--buildtype=debugoptimized -Db_lto=true -Dc_args=-Wno-missing-profile)
if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" -Db_pgo=generate >/dev/null
else
    meson setup "$dir" "${args[@]}" -Db_pgo=generate >/dev/null
fi
# stale counts from an earlier training would be merged into this one
find "$dir" -name '*.gcda' -delete
ninja -C "$dir" >/dev/null
train=$(mktemp -d)
trap 'rm -rf "$train"' EXIT
echo "build-release: training run" >&2
"$dir/cli/thresh" run examples/ -o "$train/out" >/dev/null 2>&1
# each benchmark on its data set, when present (a training run's failure
# fails the build: its profile would be partial)
if [ -d "$data" ]; then
    [ -f "$data/parity/docs.jsonl.gz" ] &&
        "$dir/bench/bench_filter" "$data/parity/docs.jsonl.gz" 0 >/dev/null
    [ -d "$data/extraction-dev" ] && {
        THRESH_SHARED_DATA=$data BENCH_ROUNDS=1 "$dir/bench/bench_html" \
            >/dev/null
        "$dir/bench/bench_text" -r 1 "$data/extraction-dev" >/dev/null
    }
    [ -f "$data/langid-dev/dev.tsv" ] &&
        "$dir/bench/bench_langid" --passes 1 \
            --dev "$data/langid-dev/dev.tsv" >/dev/null
else
    echo "build-release: $data not found; trained on the bundled sample only" >&2
fi
meson configure "$dir" -Db_pgo=use >/dev/null
ninja -C "$dir" >/dev/null
echo "build-release: $dir/cli/thresh (LTO + PGO)" >&2
