#!/usr/bin/env python3
"""Near-duplicate benchmark generator for thresh dedup (docs/dedup.md).

Builds a JSONL corpus from real documents (../shared/data/parity/docs.jsonl.gz
by default; nothing is committed) in which some documents get a family of
near-duplicate variants made by known edits: word substitutions, inserted
sentences, deleted words, added boilerplate, reordered paragraphs. The
variants are shuffled into the corpus. It also writes, for every pair of
documents within a family, the true Jaccard similarity of their word
5-gram sets after the FineWeb simplification (a Python re-implementation
of th_dedup_simplify; bench_dedup recomputes it with the library).

usage: dedup_gen.py [--source docs.jsonl.gz] [--bases N] [--seed S]
                    [--repeat K] OUT.jsonl PAIRS.tsv
--repeat K writes the corpus K times with fresh ids and re-drawn edits
(for throughput and memory runs; pairs are written for the first copy).
"""
import argparse
import gzip
import json
import random
import re
import sys
import unicodedata

BOILERPLATE = [
    "Share this article on Facebook Twitter and email",
    "Copyright 2024 All rights reserved. Terms of use and privacy policy",
    "Subscribe to our newsletter to get the latest stories in your inbox",
    "Related articles: more from this section, most read, editor's picks",
]


def simplify(text):
    text = text.lower()
    text = re.sub(r"\d+", "0", text)
    out = []
    for ch in unicodedata.normalize("NFD", text):
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Cf"):
            continue
        if cat[0] in "PSZ" or cat in ("Cc", "Cs", "Co", "Cn") or ch.isspace():
            out.append(" ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def shingles(text, n=5):
    words = simplify(text).split()
    if not words:
        return set()
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a, b):
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def edit(rng, text, vocab, other):
    """One variant of text by 1-3 random edit kinds; returns (text, kinds)."""
    kinds = rng.sample(["words", "insert", "delete", "boilerplate",
                        "reorder"], rng.randint(1, 3))
    paras = [p for p in text.split("\n") if p.strip()]
    for kind in kinds:
        if kind == "reorder" and len(paras) > 1:
            i, j = rng.sample(range(len(paras)), 2)
            paras[i], paras[j] = paras[j], paras[i]
        elif kind == "boilerplate":
            paras.append(rng.choice(BOILERPLATE))
        else:
            words = " ".join(paras).split(" ")
            rate = rng.choice([0.005, 0.01, 0.02, 0.03, 0.05, 0.08])
            n = max(1, int(len(words) * rate))
            for _ in range(n):
                k = rng.randrange(len(words))
                if kind == "words":
                    words[k] = rng.choice(vocab)
                elif kind == "delete" and len(words) > 10:
                    del words[k]
                elif kind == "insert":
                    snippet = rng.choice(other).split(" ")[:rng.randint(3, 12)]
                    words[k:k] = snippet
            # keep paragraph structure roughly: re-split into the same count
            per = max(1, len(words) // max(1, len(paras)))
            paras = [" ".join(words[i:i + per])
                     for i in range(0, len(words), per)]
    return "\n".join(paras), kinds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source",
                    default="../shared/data/parity/docs.jsonl.gz")
    ap.add_argument("--bases", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("out")
    ap.add_argument("pairs")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    docs = []
    with gzip.open(a.source, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d.get("source", "").startswith("html-"):
                continue
            t = d["text"]
            if len(t.split()) >= 60 and "<" not in t[:200]:
                docs.append(t)
    rng.shuffle(docs)
    vocab = [w for t in docs[:200] for w in t.split()[:50]]
    # bases must not be near duplicates of each other (the source corpus
    # repeats some articles): skip a document sharing over 20% of its
    # shingles with an earlier base
    owner = {}
    bases, other = [], []
    for t in docs:
        if len(bases) >= a.bases:
            other.append(t)
            continue
        sh = shingles(t)
        shared = {}
        for s in sh:
            if s in owner:
                shared[owner[s]] = shared.get(owner[s], 0) + 1
        if shared and max(shared.values()) > 0.2 * len(sh):
            other.append(t)
            continue
        for s in sh:
            owner.setdefault(s, len(bases))
        bases.append(t)
    other = other or docs
    with open(a.out, "w", encoding="utf-8") as out, \
            open(a.pairs, "w", encoding="utf-8") as pairs:
        pairs.write("id_a\tid_b\tjaccard\tedits\n")
        for rep in range(a.repeat):
            items = []
            for fam, base in enumerate(bases):
                members = [(base, "base")]
                if rng.random() < 0.5:
                    for _ in range(rng.randint(1, 4)):
                        src = rng.choice(members)[0]
                        t, kinds = edit(rng, src, vocab, other)
                        members.append((t, "+".join(kinds)))
                for v, (t, kinds) in enumerate(members):
                    items.append((f"r{rep}-f{fam}-v{v}", fam, v, t, kinds))
            rng.shuffle(items)
            for (i, (doc_id, fam, v, t, kinds)) in enumerate(items):
                out.write(json.dumps({
                    "id": doc_id, "text": t,
                    "url": f"https://site{fam % 97}.example/r{rep}/{i}",
                    "metadata": {"family": f"r{rep}-f{fam}", "variant": v}},
                    ensure_ascii=False) + "\n")
            if rep:
                continue
            by_fam = {}
            for doc_id, fam, v, t, kinds in items:
                by_fam.setdefault(fam, []).append((doc_id, t, kinds))
            for fam, ms in sorted(by_fam.items()):
                if len(ms) < 2:
                    continue
                sh = [shingles(t) for _, t, _ in ms]
                for i in range(len(ms)):
                    for j in range(i + 1, len(ms)):
                        pairs.write(f"{ms[i][0]}\t{ms[j][0]}\t"
                                    f"{jaccard(sh[i], sh[j]):.6f}\t"
                                    f"{ms[i][2]}|{ms[j][2]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
