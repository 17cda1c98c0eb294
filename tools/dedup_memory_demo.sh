#!/usr/bin/env bash
# Bounded-memory demonstration of `thresh dedup` (docs/dedup.md, part 3):
# about TARGET_GB of JSONL input (100 MB pieces of SOURCE, cycled, as
# symlinks so little disk is used) is deduplicated phase by phase with a
# small budget and with a budget large enough that nothing spills; peak
# RSS of every phase is printed and the clusters and pair files of the two
# runs must be byte-identical. Everything is made under WORK and removed.
#
# usage: dedup_memory_demo.sh THRESH SOURCE.jsonl WORK [TARGET_GB] [BUDGET]
set -eu
bin=$1
src=$2
work=$3
target=${4:-10}
budget=${5:-1G}
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir pieces inputs
split -C 100M -d -a 3 --additional-suffix=.jsonl "$src" pieces/p
pieces=(pieces/p*.jsonl)
piece_bytes=$(stat -c %s "${pieces[0]}")
n=$(( target * 1000000000 / piece_bytes ))
inputs=()
for i in $(seq 0 $((n - 1))); do
    p=${pieces[$((i % ${#pieces[@]}))]}
    ln -s "$work/$p" "inputs/$(printf %04d "$i").jsonl"
    inputs+=("inputs/$(printf %04d "$i").jsonl")
done
total=$(cat "${inputs[@]}" | wc -c)
echo "input: ${#inputs[@]} files, $total bytes"
run() {  # run LABEL ARGS...: one phase with time and peak RSS
    local label=$1
    shift
    /usr/bin/time -f "$label: %U s user, %S s sys, %e s wall, peak RSS %M KB" \
        "$bin" dedup "$@"
}
run "signatures" signatures -q --dir a --memory "$budget" "${inputs[@]}"
mkdir b
for f in a/manifest a/sig-* a/shingles-*; do ln -s "$work/$f" b/; done
run "buckets  (budget $budget)" buckets -q --dir a --memory "$budget"
run "clusters (budget $budget)" clusters --dir a --memory "$budget"
run "buckets  (budget 16G)" buckets -q --dir b --memory 16G
run "clusters (budget 16G)" clusters --dir b --memory 16G
same=yes
for f in a/pairs-*.thd a/clusters.thd; do
    cmp -s "$f" "b/${f#a/}" || { echo "differs: $f"; same=no; }
done
echo "pair and cluster files identical: $same"
du -sh a b | sed 's/^/disk: /'
run "filter (budget $budget)" filter -q --dir a --out out --memory "$budget" \
    "${inputs[@]}"
echo "kept documents: $(cat out/*.jsonl | wc -l)"
[ "$same" = yes ]
