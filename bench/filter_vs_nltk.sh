#!/usr/bin/env bash
# The filter chain against the Python + NLTK statement of datatrove's
# FineWeb chain (tools/fw1_oracle.py --time: the same rules, NLTK 3.8's
# word_tokenize called by each filter as datatrove calls it), side by side
# on the same documents and the same machine, rounds alternating, medians:
# the "x datatrove" figure measured here instead of quoted from another
# machine. Both in thread CPU time of one core. Needs ../shared (or
# THRESH_SHARED_DATA) and Debian's python3-nltk (scripts/setup.sh).
# usage: bench/filter_vs_nltk.sh [DOCS|all] [ROUNDS]
#   DOCS: the first DOCS documents of the parity set (default 1500; all of
#   them, 43.8 MB, take the Python side ~2.5 minutes a round here)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1500}; rounds=${2:-3}
data=${THRESH_SHARED_DATA:-../shared/data}
bash scripts/build.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$n" = all ]; then
    zcat "$data/parity/docs.jsonl.gz" > "$tmp/docs.jsonl"
else
    # (awk reads to the end: head would stop zcat with SIGPIPE, a failure
    # under pipefail)
    zcat "$data/parity/docs.jsonl.gz" | awk -v n="$n" 'NR <= n' \
        > "$tmp/docs.jsonl"
fi
for _ in $(seq "$rounds"); do
    build/bench/bench_filter "$tmp/docs.jsonl" 0 |
        awk '/^  chain \(4 filters/ { print $7 }' >> "$tmp/c"
    /usr/bin/python3 tools/fw1_oracle.py --time "$tmp/docs.jsonl" |
        tee -a "$tmp/log" | awk '{ print $(NF - 1) }' >> "$tmp/p"
done
median() { sort -g "$1" | awk '{ v[NR] = $1 } END {
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
c=$(median "$tmp/c"); p=$(median "$tmp/p")
tail -n 1 "$tmp/log"
echo "rounds $rounds; C chain runs: $(tr '\n' ' ' < "$tmp/c")MB/s;" \
     "Python + NLTK runs: $(tr '\n' ' ' < "$tmp/p")MB/s"
awk -v c="$c" -v p="$p" 'BEGIN { printf "medians: thresh chain %.1f MB/s," \
    " Python + NLTK chain %.3f MB/s, ratio %.0fx (per core)\n", c, p, c / p }'
