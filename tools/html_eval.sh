#!/usr/bin/env bash
# Extract every page of a dev set with `thresh extract` and score the result
# with both scorers (../shared/tools/score.py and `thresh score`).
# usage: tools/html_eval.sh BUILD_DIR SET_DIR OUT_DIR [extract options...]
set -euo pipefail
build=$1 set=$2 out=$3
shift 3
mkdir -p "$out"
for d in "$set"/*/; do
    p=$(basename "$d")
    [ -f "$d/source.html" ] || continue
    url=""
    [ -f "$d/url.txt" ] && url=$(cat "$d/url.txt")
    "$build/cli/thresh" extract --url "$url" "$@" "$d/source.html" \
        > "$out/$p.txt" 2>/dev/null || true
done
root=$(cd "$(dirname "$0")/.." && pwd)
python3 "$root/../shared/tools/score.py" --bootstrap 0 --gold "$set" "$out" \
    --per-page "$out.tsv"
"$build/cli/thresh" score --gold "$set" "$out"
