#!/usr/bin/env python3
"""Differential check of lib/nlp against NLTK itself, per language.

NLTK 3.8 (Debian python3-nltk) is given the same Punkt parameter files
lib/nlp reads (NLTK's trained parameters as JSON: the Debian package
golang-gopkg-neurosnap-sentences.v1-dev), and its word_tokenize (Punkt
sentences, then NLTKWordTokenizer on each) and sent_tokenize are compared
with tests/nlp/nlp_words on every document of a JSONL file, for every
language that has a parameter file (or those named).

Usage: tools/nltk_punkt_diff.py BUILD_DIR DOCS.jsonl[.gz] [--every N]
                                [--sentences] [LANGUAGE ...]
(--every N: only every Nth document.) Prints one line a language
(documents compared, differing) and the first differences; exits 1 when
any document differs, 77 (a skipped test) when NLTK is not installed,
unless CI is set.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

try:
    from nltk.tokenize.destructive import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
except ImportError:
    print("# NLTK not installed (Debian python3-nltk)")
    sys.exit(1 if os.environ.get("CI") else 77)

PUNKT_DIR = os.environ.get(
    "THRESH_PUNKT_DIR",
    "/usr/share/gocode/src/gopkg.in/neurosnap/sentences.v1/data")


def load_params(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    p = PunktParameters()
    p.abbrev_types = set(d["AbbrevTypes"])
    p.collocations = set(tuple(k.split(",", 1)) for k in d["Collocations"])
    p.sent_starters = set(d["SentStarters"])
    for k, v in d["OrthoContext"].items():
        p.ortho_context[k] = v
    return PunktSentenceTokenizer(p)


def read_docs(path, every):
    opener = gzip.open if path.endswith(".gz") else open
    docs = []
    with opener(path, "rt", encoding="utf-8") as f:
        for k, line in enumerate(f):
            if k % every == 0:
                d = json.loads(line)
                docs.append((d["id"], d["text"]))
    return docs


def main():
    args = sys.argv[1:]
    every = 1
    sentences = "--sentences" in args
    args = [a for a in args if a != "--sentences"]
    if "--every" in args:
        i = args.index("--every")
        every = int(args[i + 1])
        del args[i:i + 2]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build, docs_path, langs = args[0], args[1], args[2:]
    if not langs:
        langs = sorted(f[:-5] for f in os.listdir(PUNKT_DIR)
                       if f.endswith(".json"))
    docs = read_docs(docs_path, every)
    if every > 1:
        # the C side reads the same documents
        fd, tmp = tempfile.mkstemp(suffix=".jsonl")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for i, t in docs:
                f.write(json.dumps({"id": i, "text": t}) + "\n")
        docs_path = tmp
    tb = NLTKWordTokenizer()
    bad = 0
    for lang in langs:
        sent = load_params(os.path.join(PUNKT_DIR, lang + ".json"))
        cmd = [os.path.join(build, "tests/nlp/nlp_words"), docs_path, lang,
               "nltk"] + (["--sentences"] if sentences else [])
        out = subprocess.run(cmd, check=True, capture_output=True,
                             text=True, encoding="utf-8").stdout
        # (split at "\n" only: str.splitlines() also splits at U+2028 and
        # the like, which the JSON strings hold raw)
        got = [json.loads(line) for line in out.split("\n") if line]
        key = "sentences" if sentences else "words"
        assert len(got) == len(docs), (lang, len(got), len(docs))
        differ = []
        for (doc_id, text), g in zip(docs, got):
            assert g["id"] == doc_id
            s = sent.tokenize(text)
            want = s if sentences else [t for x in s for t in tb.tokenize(x)]
            if g[key] != want:
                differ.append((doc_id, g[key], want))
        print("%-12s %d documents, %d differ" % (lang, len(docs),
                                                  len(differ)))
        for doc_id, g, w in differ[:3]:
            k = next((i for i, (a, b) in enumerate(zip(g, w)) if a != b),
                     min(len(g), len(w)))
            print("   %s at %d: ours %r / NLTK %r" % (doc_id, k, g[k:k + 4],
                                                      w[k:k + 4]))
        bad += len(differ)
    if every > 1:
        os.unlink(docs_path)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
