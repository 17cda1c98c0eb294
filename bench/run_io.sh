#!/usr/bin/env bash
# I/O benchmark: builds benchmark WARCs from ../shared/data pages (outside
# the repo), then runs bench_io (pass-through .warc.gz -> .jsonl.zst against
# the libdeflate + zstd ceiling, 1 and 2 threads, medians).
# usage: bench/run_io.sh [MEGABYTES] [FILES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-200}; files=${2:-4}; rounds=${3:-5}
dir=/tmp/thresh-bench-io-data
[ -d "$dir" ] || python3 tools/make_bench_warc.py "$dir" "$mb" "$files"
bash scripts/build.sh
build/bench/bench_io --rounds "$rounds" "$dir"/*.warc.gz
