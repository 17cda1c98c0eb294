#!/usr/bin/env bash
# Bounded-memory demonstration of `thresh dedup` (docs/dedup.md, part 3):
# about TARGET_GB of JSONL input (100 MB pieces of SOURCE, cycled, as
# symlinks so little disk is used) is deduplicated phase by phase with
# BUDGET, with SMALL (which makes every sorter spill) and with a budget
# large enough that nothing spills; peak RSS of every phase is printed and
# the pair and cluster files of the runs must be byte-identical.
# Everything is made under WORK and removed.
#
# usage: dedup_memory_demo.sh THRESH SOURCE.jsonl WORK [TARGET_GB] [BUDGET]
#                             [SMALL]
set -eu
bin=$1
src=$2
work=$3
target=${4:-10}
budget=${5:-1G}
small=${6:-32M}
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
mkdir b c
for f in a/manifest a/sig-* a/shingles-*; do
    ln -s "$work/$f" b/
    ln -s "$work/$f" c/
done
run "buckets  (budget $budget)" buckets -q --dir a --memory "$budget"
run "clusters (budget $budget)" clusters --dir a --memory "$budget"
run "buckets  (budget $small)" buckets -v --dir c --memory "$small" 2>&1 |
    grep -E "budget|band (0|14|15):"
run "clusters (budget $small)" clusters --dir c --memory "$small"
run "buckets  (budget 16G)" buckets -q --dir b --memory 16G
run "clusters (budget 16G)" clusters --dir b --memory 16G
same=yes
for f in a/pairs-*.thd a/clusters.thd; do
    cmp -s "$f" "b/${f#a/}" || { echo "differs: $f (16G)"; same=no; }
    cmp -s "$f" "c/${f#a/}" || { echo "differs: $f ($small)"; same=no; }
done
echo "pair and cluster files identical: $same"
du -sh a b c | sed 's/^/disk: /'
run "filter (budget $budget)" filter -q --dir a --out out --memory "$budget" \
    "${inputs[@]}"
echo "kept documents: $(cat out/*.jsonl | wc -l)"
[ "$same" = yes ]
