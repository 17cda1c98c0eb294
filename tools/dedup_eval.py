#!/usr/bin/env python3
"""Precision and recall of removed documents on a dedup_gen.py benchmark.

Truth at threshold T: the graph whose edges are the generator's pairs with
true Jaccard >= T; in each connected component the first document in input
order is kept and the others should be removed. Predicted: the ids of the
removed documents (rejects JSONL of `thresh dedup filter`/`thresh run`, or
a file of ids, one a line). Pairs between different families count only
when --extra-pairs lists them (bench_dedup finds such pairs with the
library; the generator's bases are real documents and may repeat).

usage: dedup_eval.py [--threshold 0.8] [--extra-pairs TSV] BENCH.jsonl
                     PAIRS.tsv REMOVED...
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--extra-pairs")
    ap.add_argument("bench")
    ap.add_argument("pairs")
    ap.add_argument("removed", nargs="+")
    a = ap.parse_args()
    order = {}
    with open(a.bench, encoding="utf-8") as f:
        for i, line in enumerate(f):
            order[json.loads(line)["id"]] = i
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    def union(x, y):
        rx, ry = find(x), find(y)
        if rx == ry:
            return
        if order[rx] < order[ry]:
            parent[ry] = rx
        else:
            parent[rx] = ry

    for path in [a.pairs] + ([a.extra_pairs] if a.extra_pairs else []):
        with open(path, encoding="utf-8") as f:
            next(f)
            for line in f:
                x, y, j = line.split("\t")[:3]
                if float(j) >= a.threshold and x in order and y in order:
                    union(x, y)
    truth = {d for d in order if find(d) != d}
    pred = set()
    for path in a.removed:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if line.startswith("{"):
                    d = json.loads(line)
                    reason = d.get("metadata", {}).get("filter_reason", "")
                    if reason and "duplicate" not in reason:
                        continue
                    pred.add(d["id"])
                else:
                    pred.add(line)
    tp = len(truth & pred)
    precision = tp / len(pred) if pred else 1.0
    recall = tp / len(truth) if truth else 1.0
    print(f"documents {len(order)}  should be removed {len(truth)}  "
          f"removed {len(pred)}  correct {tp}")
    print(f"precision {precision:.4f}  recall {recall:.4f}  "
          f"(threshold {a.threshold})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
