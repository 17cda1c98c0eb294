#!/usr/bin/env python3
"""An independent oracle of the fineweb-v1 filter chain, for documents the
parity set does not have.

The parity set (../shared/data/parity) holds datatrove's own decisions on
6,715 documents. This script writes the same files for any other JSONL
documents, from a plain Python statement of the four FineWeb filters as
datatrove 05194d39 runs them (docs/filter.md; ../shared/docs/filters-spec.md,
the FW-v1 column), with NLTK 3.8 (Debian python3-nltk) for the words and
sentences, given NLTK's Punkt parameters as lib/nlp reads them. It is our
own statement of the rules, so it is first checked against datatrove's
files (--check): it must agree with them on every document before its
output on other documents means anything.

Usage:
  tools/fw1_oracle.py [--thresholds FILE] ...
      every mode below with thresholds other than the preset's (a JSON
      object of filters.* keys: T below), as `thresh --set` takes them
  tools/fw1_oracle.py --time DOCS.jsonl[.gz] [N]
      time this statement of the chain as datatrove runs it (early exit,
      word_tokenize called by each filter that counts words) on the first
      N documents: the reference of bench/filter_vs_nltk.sh
  tools/fw1_oracle.py --check PARITY_DIR
      compare with datatrove's expected files (decisions, reasons, C4's
      text, the chain's text and every statistic both have); exit 1 on
      any difference
  tools/fw1_oracle.py DOCS.jsonl[.gz] OUT_DIR
      write OUT_DIR/parity/{docs,expected-*,words,sentences}.jsonl.gz;
      then THRESH_PARITY_ORACLE=1 THRESH_SHARED_DATA=OUT_DIR
      build/tests/filter/test_filter runs the parity tests on them
  tools/fw1_oracle.py DOCS.jsonl[.gz] OUT_DIR --annotated ANNOTATED.jsonl
      the same, and compare every quality signal `thresh filter
      --annotate` wrote for DOCS (ANNOTATED, same order; docs/filter.md,
      "Annotate mode") with this statement of it; exit 1 on a difference
  tools/fw1_oracle.py --preset datatrove DOCS OUT_DIR --annotated ANNOTATED
      the same comparison for `thresh filter --preset datatrove
      --annotate` with the datatrove preset's rules (docs/filter.md,
      "Presets"; the files written then are of that preset too)
  tools/fw1_oracle.py --random-thresholds SEED LO HI OUT.json
      every threshold scaled by a seeded factor in [LO, HI]: OUT.json for
      --thresholds, and the matching `--set` options printed
  tools/fw1_oracle.py --chain DOCS KEPT REJECTS
      compare `thresh filter --rejects REJECTS DOCS > KEPT` (drop mode,
      with the same thresholds) with the chain
  tools/fw1_oracle.py --badwords LIST_DIR LANG DOCS ANNOTATED
      compare qs_badwords of `thresh filter --annotate --set
      filters.c4_badwords=true --set filters.default_language=LANG`
      with the bad-words search stated here (badwords_regex())
  tools/fw1_oracle.py --unseen SHARED_DATA DOCS.jsonl [EXTRACTED_DIR]
      write the documents of the unseen set: every text of
      extraction-dev and extraction-dev-cleaneval (the gold text and the
      three naive dumps of each page; and, given EXTRACTED_DIR, `thresh
      extract`'s text of each page), langid-dev's paragraphs, alone
      and six of a language to a document, and 1,000 seeded adversarial
      documents (adversarial()) (tools/fw1_unseen.sh runs it
      all; the meson test filter_unseen calls that)
"""
import functools
import gzip
import json
import math
import os
import random
import re
import sys

# NLTK's Punkt parameters as lib/nlp reads them, loaded as
# tools/nltk_punkt_diff.py loads them (it exits 77, or 1 under CI, without
# NLTK)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nltk_punkt_diff import PUNKT_DIR, load_params  # noqa: E402
from nltk.tokenize.destructive import NLTKWordTokenizer  # noqa: E402

PUNKT = load_params(os.path.join(PUNKT_DIR, "english.json"))
TREEBANK = NLTKWordTokenizer()


def sentences(text):
    return PUNKT.tokenize(text)


@functools.lru_cache(maxsize=8)
def _words(text):
    return tuple(t for s in sentences(text) for t in TREEBANK.tokenize(s))


def words(text):
    """nltk.word_tokenize(text) (the last few texts' words are kept: the
    filters, the chain and the signals ask for the same texts)."""
    return list(_words(text))


# datatrove's PUNCTUATION at 05194d39 (utils/text.py): these characters,
# the C0 controls but tab and line feed, and 0x7f-0x9f.
_PUNCT_CHARS = (
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    "\u00ab\u00b4\u00bb\u2013\u2014\u2019\u201c\u201d\u201e\u2026\u2236"
    "\u2501\u25ba\u3001\u3002\u3008\u3009\u300a\u300b\u300c\u300d\u3010"
    "\u3011\uff01\uff05\uff08\uff09\uff0c\uff0e\uff11\uff1a\uff1b\uff1f"
    "\uff5e")
PUNCTUATION = set(_PUNCT_CHARS) | {
    chr(c) for lo, hi in ((0, 9), (11, 13), (13, 32), (127, 160))
    for c in range(lo, hi)}
STOP_WORDS = {"the", "be", "to", "of", "and", "that", "have", "with"}
FW1_ENDS = (".", "'", '"', "!", "?")

# Every threshold, by its thresh configuration key (filters.<key>), at the
# preset's default; --thresholds FILE (a JSON object) overrides some.
T = {
    "gopher_repetition.dup_para_frac": 0.3,
    "gopher_repetition.dup_para_char_frac": 0.2,
    "gopher_repetition.dup_line_frac": 0.3,
    "gopher_repetition.dup_line_char_frac": 0.2,
    "gopher_repetition.top_2_gram_frac": 0.2,
    "gopher_repetition.top_3_gram_frac": 0.18,
    "gopher_repetition.top_4_gram_frac": 0.16,
    "gopher_repetition.dup_5_gram_frac": 0.15,
    "gopher_repetition.dup_6_gram_frac": 0.14,
    "gopher_repetition.dup_7_gram_frac": 0.13,
    "gopher_repetition.dup_8_gram_frac": 0.12,
    "gopher_repetition.dup_9_gram_frac": 0.11,
    "gopher_repetition.dup_10_gram_frac": 0.1,
    "gopher_quality.min_doc_words": 50,
    "gopher_quality.max_doc_words": 100000,
    "gopher_quality.min_avg_word_length": 3,
    "gopher_quality.max_avg_word_length": 10,
    "gopher_quality.max_symbol_word_ratio": 0.1,
    "gopher_quality.max_bullet_lines_ratio": 0.9,
    "gopher_quality.max_ellipsis_lines_ratio": 0.3,
    "gopher_quality.max_non_alpha_words_ratio": 0.8,
    "gopher_quality.min_stop_words": 2,
    "c4_quality.min_num_sentences": 5,
    "c4_quality.min_words_per_line": 3,
    "c4_quality.max_word_length": 1000,
    "fineweb_quality.line_punct_thr": 0.12,
    "fineweb_quality.short_line_thr": 0.67,
    "fineweb_quality.short_line_length": 30,
    "fineweb_quality.char_duplicates_ratio": 0.01,
    "fineweb_quality.new_line_ratio": 0.3,
}


def t(key):
    return T[key]

# The `datatrove` preset (today's rules, docs/filter.md "Presets") instead
# of fineweb-v1 when set by --preset datatrove: lines of Gopher repetition
# split on runs of "\n", Gopher quality's PUNCTUATION_SET with the sentence
# terminators and distinct stop words, FineWeb without blank lines, with
# the sentence terminators and strict comparisons. The terminators are
# Unicode's Sentence_Terminal (PropList.txt of Debian's unicode-data, 15.0,
# as lib/filter takes them; datatrove lists 159 characters of its own).
CURRENT = False


def _terminals(path="/usr/share/unicode/PropList.txt"):
    out = set()
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            body = line.split("#", 1)[0]
            if ";" not in body or body.split(";")[1].strip() != \
                    "Sentence_Terminal":
                continue
            span = body.split(";")[0].strip().split("..")
            for c in range(int(span[0], 16), int(span[-1], 16) + 1):
                out.add(chr(c))
    return out


TERMINALS = _terminals()


def non_symbol_words(w):
    """Tokens with a character outside PUNCTUATION_SET (the preset's)."""
    punct = PUNCTUATION | TERMINALS if CURRENT else PUNCTUATION
    return [x for x in w if any(ch not in punct for ch in x)]


def rep_lines(text):
    return re.split(r"\n+", text) if CURRENT else text.splitlines()


def stop_word_count(w):
    if CURRENT:
        return len(STOP_WORDS & set(w))
    return sum(x in STOP_WORDS for x in w)


def fw_lines(text):
    lines = text.split("\n")
    if CURRENT:
        lines = [x for x in lines if x.strip() != ""]
    return lines


def fw_ends(line):
    if CURRENT:
        return line[-1:] in TERMINALS
    return line.endswith(FW1_ENDS)
CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
POLICY = ("terms of use", "privacy policy", "cookie policy", "uses cookies",
          "use of cookies", "use cookies")


def find_duplicates(items):
    seen, dups, chars = set(), 0, 0
    for x in items:
        if x in seen:
            dups += 1
            chars += len(x)
        else:
            seen.add(x)
    return dups, chars


def top_ngram_chars(w, n):
    counts, first = {}, {}
    for i in range(len(w) - n + 1):
        g = " ".join(w[i:i + n])
        counts[g] = counts.get(g, 0) + 1
        first.setdefault(g, i)
    # Counter.most_common(1): the highest count, first inserted on ties
    best = max(counts, key=lambda g: (counts[g], -first[g]))
    return len(best) * counts[best]


def dup_ngram_chars(w, n):
    seen, chars, i = set(), 0, 0
    while i < len(w) - n + 1:
        g = "".join(w[i:i + n])
        if g in seen:
            chars += len(g)
            i += n
        else:
            seen.add(g)
            i += 1
    return chars


def gopher_repetition(text, w):
    paras = re.split(r"\n{2,}", text.strip())
    d, c = find_duplicates(paras)
    if d / len(paras) > t("gopher_repetition.dup_para_frac"):
        return "dup_para_frac"
    if c / len(text) > t("gopher_repetition.dup_para_char_frac"):
        return "dup_para_char_frac"
    lines = rep_lines(text)
    d, c = find_duplicates(lines)
    if d / len(lines) > t("gopher_repetition.dup_line_frac"):
        return "dup_line_frac"
    if c / len(text) > t("gopher_repetition.dup_line_char_frac"):
        return "dup_line_char_frac"
    for n in (2, 3, 4):
        if len(w) - n + 1 > 0 and top_ngram_chars(w, n) / len(text) > \
                t("gopher_repetition.top_%d_gram_frac" % n):
            return "top_%d_gram" % n
    for n in range(5, 11):
        if dup_ngram_chars(w, n) / len(text) > \
                t("gopher_repetition.dup_%d_gram_frac" % n):
            return "duplicated_%d_n_grams" % n
    return None


def gopher_quality(text, w):
    n_words = len(w)
    nsw = non_symbol_words(w)
    if len(nsw) < t("gopher_quality.min_doc_words"):
        return "gopher_short_doc"
    if len(nsw) > t("gopher_quality.max_doc_words"):
        return "gopher_long_doc"
    avg = sum(len(x) for x in nsw) / len(nsw)
    if avg < t("gopher_quality.min_avg_word_length"):
        return "gopher_below_avg_threshold"
    if avg > t("gopher_quality.max_avg_word_length"):
        return "gopher_above_avg_threshold"
    if text.count("#") / n_words > t("gopher_quality.max_symbol_word_ratio"):
        return "gopher_too_many_hashes"
    if (text.count("...") + text.count("\u2026")) / n_words > \
            t("gopher_quality.max_symbol_word_ratio"):
        return "gopher_too_many_ellipsis"
    lines = text.splitlines()
    if sum(s.lstrip().startswith(("\u2022", "-"))
           for s in lines) / len(lines) > \
            t("gopher_quality.max_bullet_lines_ratio"):
        return "gopher_too_many_bullets"
    if sum(s.rstrip().endswith(("...", "\u2026"))
           for s in lines) / len(lines) > \
            t("gopher_quality.max_ellipsis_lines_ratio"):
        return "gopher_too_many_end_ellipsis"
    if sum(any(c.isalpha() for c in x) for x in w) / n_words < \
            t("gopher_quality.max_non_alpha_words_ratio"):
        return "gopher_below_alpha_threshold"
    if stop_word_count(w) < t("gopher_quality.min_stop_words"):
        return "gopher_enough_stop_words"
    return None


def c4_quality(text, c4_lines, st):
    """(reason, rewritten text); c4_lines gets each counted line, st the
    per-line counters (as far as the document went)."""
    n_sent, kept = 0, []
    for k in ("lines", "kept_lines", "dropped_too_long_word",
              "dropped_too_few_words", "dropped_javascript",
              "dropped_policy", "dropped_no_terminal_punct"):
        st[k] = 0
    for line in text.splitlines():
        st["lines"] += 1
        line = line.strip()
        ws = line.split()
        if any(len(x) > t("c4_quality.max_word_length") for x in ws):
            st["dropped_too_long_word"] += 1
            continue
        line = CITATION.sub("", line)
        if len(ws) < t("c4_quality.min_words_per_line"):
            st["dropped_too_few_words"] += 1
            continue
        low = line.lower()
        if "lorem ipsum" in low:
            return "lorem_ipsum", None
        if "javascript" in low:
            st["dropped_javascript"] += 1
            continue
        if "{" in line:
            return "curly_bracket", None
        if any(p in low for p in POLICY):
            st["dropped_policy"] += 1
            continue
        s = sentences(line)
        c4_lines.append({"line": line, "sentences": s})
        n_sent += len(s)
        st["kept_lines"] += 1
        kept.append(line)
    st["num_sentences"] = n_sent
    if n_sent < t("c4_quality.min_num_sentences"):
        return "too_few_sentences", None
    return None, "\n".join(kept).strip()


def ratio(num, den):
    return num / den if den else None


def repetition_stats(text, w):
    """Every statistic of gopher_repetition, whatever the decision."""
    paras = re.split(r"\n{2,}", text.strip())
    lines = rep_lines(text)
    st = {"len_text": len(text), "n_paragraphs": len(paras),
          "n_lines": len(lines), "n_words": len(w)}
    st["para_dups"], st["para_dup_chars"] = find_duplicates(paras)
    st["line_dups"], st["line_dup_chars"] = find_duplicates(lines)
    for n in (2, 3, 4):
        st["top_%d_gram_chars" % n] = \
            top_ngram_chars(w, n) if len(w) >= n else None
    for n in range(5, 11):
        st["dup_%d_gram_chars" % n] = dup_ngram_chars(w, n)
    return st


def quality_stats(text, w):
    """Every statistic of gopher_quality, whatever the decision."""
    nsw = non_symbol_words(w)
    lines = text.splitlines()
    n = len(w)
    return {
        "n_words": n, "n_non_symbol_words": len(nsw), "n_lines": len(lines),
        "avg_word_length": ratio(sum(len(x) for x in nsw), len(nsw)),
        "hash_ratio": ratio(text.count("#"), n),
        "ellipsis_ratio": ratio(text.count("...") + text.count("\u2026"), n),
        "bullet_lines_ratio": ratio(sum(
            s.lstrip().startswith(("\u2022", "-")) for s in lines),
            len(lines)),
        "end_ellipsis_lines_ratio": ratio(sum(
            s.rstrip().endswith(("...", "\u2026")) for s in lines),
            len(lines)),
        "alpha_words_ratio": ratio(
            sum(any(c.isalpha() for c in x) for x in w), n),
        "stop_words": stop_word_count(w),
    }


def fineweb_stats(text, w):
    """Every statistic of fineweb_quality, whatever the decision."""
    lines = fw_lines(text)
    non_empty = [x for x in lines if x.strip() != ""]
    return {
        "n_lines": len(lines), "n_newlines": text.count("\n"),
        "n_words": len(w),
        "line_punct_ratio": ratio(sum(fw_ends(x) for x in lines), len(lines)),
        "short_line_ratio": ratio(
            sum(len(x) <= t("fineweb_quality.short_line_length")
                for x in lines), len(lines)),
        "char_dup_ratio": ratio(find_duplicates(non_empty)[1],
                                len(text.replace("\n", ""))),
        "new_line_ratio": ratio(text.count("\n"), len(w)),
    }


def fineweb_quality(text, w_of):
    lines = fw_lines(text)
    if not lines:
        return "empty"

    def over(v, t):
        return v > t if CURRENT else v >= t
    punct = sum(fw_ends(x) for x in lines) / len(lines)
    thr = t("fineweb_quality.line_punct_thr")
    if punct < thr or (punct == thr and not CURRENT):
        return "line_punct_ratio"
    short = t("fineweb_quality.short_line_length")
    if over(sum(len(x) <= short for x in lines) / len(lines),
            t("fineweb_quality.short_line_thr")):
        return "short_line_ratio"
    non_empty = [x for x in lines if x.strip() != ""]
    if over(find_duplicates(non_empty)[1] / len(text.replace("\n", "")),
            t("fineweb_quality.char_duplicates_ratio")):
        return "char_dup_ratio"
    if text.count("\n") / len(w_of(text)) > \
            t("fineweb_quality.new_line_ratio"):
        return "list_ratio"
    return None


def verdict(fn):
    """{"keep", "reason"} of fn(), or datatrove's exception."""
    try:
        r = fn()
    except ZeroDivisionError:
        return {"keep": None, "reason": None, "error": "ZeroDivisionError"}
    return {"keep": r is None, "reason": r}


def judge(doc_id, text):
    w = words(text)
    c4_lines = []
    out = {"words": {"id": doc_id, "tokens": w}}
    out["gopher_repetition"] = verdict(lambda: gopher_repetition(text, w))
    out["gopher_repetition"]["stats"] = repetition_stats(text, w)
    out["gopher_quality"] = verdict(lambda: gopher_quality(text, w))
    out["gopher_quality"]["stats"] = quality_stats(text, w)
    c4_text, c4_stats = [None], {}

    def c4():
        r, t = c4_quality(text, c4_lines, c4_stats)
        c4_text[0] = t
        return r
    out["c4_quality"] = verdict(c4)
    out["c4_quality"]["stats"] = c4_stats
    if c4_text[0] is not None:
        out["c4_quality"]["text"] = c4_text[0]
    out["fineweb_quality"] = verdict(lambda: fineweb_quality(text, words))
    out["fineweb_quality"]["stats"] = fineweb_stats(text, w)
    out["sentences"] = {"id": doc_id, "sentences": sentences(text),
                        "c4_lines": c4_lines}
    chain = {"keep": True, "dropped_by": None, "reason": None}
    for name in ("gopher_repetition", "gopher_quality", "c4_quality"):
        v = out[name]
        if v["keep"] is None:
            chain = {"keep": None, "dropped_by": name, "reason": None,
                     "error": v["error"]}
            break
        if not v["keep"]:
            chain = {"keep": False, "dropped_by": name, "reason": v["reason"]}
            break
    if chain["keep"]:
        v = verdict(lambda: fineweb_quality(c4_text[0], words))
        if v["keep"] is None:
            chain = {"keep": None, "dropped_by": "fineweb_quality",
                     "reason": None, "error": v["error"]}
        elif not v["keep"]:
            chain = {"keep": False, "dropped_by": "fineweb_quality",
                     "reason": v["reason"]}
        else:
            chain["final_text"] = c4_text[0]
    out["chain"] = chain
    return out


FILTERS = ("gopher_repetition", "gopher_quality", "c4_quality",
           "fineweb_quality", "chain")


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def check(parity_dir):
    docs = list(read_jsonl(os.path.join(parity_dir, "docs.jsonl.gz")))
    want = {f: list(read_jsonl(os.path.join(parity_dir,
                                            "expected-%s.jsonl.gz" % f)))
            for f in FILTERS}
    bad = 0
    for k, d in enumerate(docs):
        got = judge(d["id"], d["text"])
        for f in FILTERS:
            e, g = want[f][k], got[f]
            diff = e.get("keep") != g.get("keep") or \
                e.get("reason") != g.get("reason")
            if f == "c4_quality" and e.get("keep"):
                diff |= e.get("text") != g.get("text")
            if f == "chain" and e.get("keep"):
                diff |= e.get("final_text") != g.get("final_text")
            es, gs = e.get("stats", {}), g.get("stats", {})
            for key, v in gs.items():
                if key in es and es[key] != v and not (
                        es[key] is None and v is None):
                    diff = True
                    if bad < 20:
                        print("#   %s %s: %s oracle %r datatrove %r" % (
                            f, d["id"], key, v, es[key]))
            if diff:
                bad += 1
                if bad <= 20:
                    print("# %s %s: oracle %s/%s, datatrove %s/%s" % (
                        f, d["id"], g.get("keep"), g.get("reason"),
                        e.get("keep"), e.get("reason")))
    print("# %d documents, %d differences between the oracle and datatrove"
          % (len(docs), bad))
    return 1 if bad else 0


def compare_signals(d, meta, chain, report):
    """Differences between thresh's signals (meta) and signals(); entropy
    within 1e-12 (its sum runs in another order), the rest exactly. A
    ratio without a denominator may be written as 0 or null."""
    want = signals(d["text"])
    if chain["keep"] is not None:
        want["filter_would_drop"] = chain["reason"]
    bad = 0
    for k, v in want.items():
        g = meta.get(k, "(missing)")
        if v is None and g in (None, 0) and k != "filter_would_drop":
            continue
        if k == "qs_unigram_entropy" and isinstance(g, float) and \
                abs(g - v) <= 1e-12 * max(1.0, abs(v)):
            continue
        if isinstance(v, bool) or v is None or isinstance(v, str):
            if g is v or g == v and type(g) is type(v):
                continue
        elif isinstance(g, (int, float)) and not isinstance(g, bool) and \
                g == v:
            continue
        bad += 1
        report("#   %s %s: thresh %r oracle %r" % (d["id"], k, g, v))
    return bad, len(want)


def write(docs_path, out_dir, ann_path=None):
    os.makedirs(os.path.join(out_dir, "parity"), exist_ok=True)
    names = ["docs"] + ["expected-" + f for f in FILTERS] + \
        ["words", "sentences"]
    files = {n: gzip.open(os.path.join(out_dir, "parity", n + ".jsonl.gz"),
                          "wt", encoding="utf-8") for n in names}
    n = bad = compared = 0
    ann = open(ann_path, encoding="utf-8") if ann_path else None

    def report(msg):
        if bad < 20:
            print(msg)
    for d in read_jsonl(docs_path):
        got = judge(d["id"], d["text"])
        if ann:
            a = json.loads(ann.readline())
            if a["id"] != d["id"]:
                print("# annotated file out of order: %s" % a["id"])
                return 1
            b, c = compare_signals(d, a.get("metadata", {}), got["chain"],
                                   report)
            bad += b
            compared += c
        rec = {"id": d["id"], "text": d["text"],
               "source": d.get("source", "")}
        files["docs"].write(json.dumps(rec, ensure_ascii=False) + "\n")
        for f in FILTERS:
            files["expected-" + f].write(json.dumps(
                dict({"id": d["id"]}, **got[f]), ensure_ascii=False) + "\n")
        for k in ("words", "sentences"):
            files[k].write(json.dumps(got[k], ensure_ascii=False) + "\n")
        n += 1
    for f in files.values():
        f.close()
    print("# %d documents written to %s/parity" % (n, out_dir))
    if ann:
        print("# annotate: %d documents, %d signals compared, %d "
              "differences" % (n, compared, bad))
    return 1 if bad else 0


def signals(text):
    """The quality signals of annotate mode (docs/filter.md), stated over
    the oracle's filters; None where a ratio has no denominator."""
    w = words(text)
    q = quality_stats(text, w)
    r = repetition_stats(text, w)
    lt = len(text)
    n = len(w)
    counts = {}
    for x in w:
        counts[x] = counts.get(x, 0) + 1
    ascii_upper = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    ascii_lower = set("abcdefghijklmnopqrstuvwxyz")
    caps = sum(1 for x in w if (set(x) & (ascii_upper | ascii_lower)) and
               not set(x) & ascii_lower)
    sig = {
        "qs_word_count": q["n_non_symbol_words"],
        "qs_token_count": n,
        "qs_mean_word_length": q["avg_word_length"],
        "qs_symbol_to_word_ratio": q["hash_ratio"],
        "qs_ellipsis_to_word_ratio": q["ellipsis_ratio"],
        "qs_frac_lines_bullet": q["bullet_lines_ratio"],
        "qs_frac_lines_end_ellipsis": q["end_ellipsis_lines_ratio"],
        "qs_frac_alpha_words": q["alpha_words_ratio"],
        # occurrences in both presets (the signal, not the rule)
        "qs_stop_word_count": sum(x in STOP_WORDS for x in w),
        "qs_stop_word_fraction": ratio(sum(x in STOP_WORDS for x in w), n),
        "qs_frac_unique_words": ratio(len(counts), n),
        "qs_unigram_entropy": -sum(c / n * math.log(c / n)
                                   for c in counts.values()) if n else None,
        "qs_frac_all_caps_words": ratio(caps, n),
        "qs_num_lines": q["n_lines"],
        "qs_frac_dup_paragraphs": ratio(r["para_dups"], r["n_paragraphs"]),
        "qs_frac_chars_dup_paragraphs": ratio(r["para_dup_chars"], lt),
        "qs_frac_dup_lines": ratio(r["line_dups"], r["n_lines"]),
        "qs_frac_chars_dup_lines": ratio(r["line_dup_chars"], lt),
    }
    for k in (2, 3, 4):
        c = r["top_%d_gram_chars" % k]
        sig["qs_frac_chars_top_%dgram" % k] = \
            ratio(c, lt) if c is not None else None
    for k in range(5, 11):
        sig["qs_frac_chars_dupe_%dgrams" % k] = \
            ratio(r["dup_%d_gram_chars" % k], lt)
    st = {}
    reason, c4_text = c4_quality(text, [], st)
    sig["qs_c4_num_sentences"] = st.get("num_sentences")
    sig["qs_c4_frac_lines_kept"] = ratio(st["kept_lines"], st["lines"])
    sig["qs_c4_javascript_lines"] = st["dropped_javascript"]
    sig["qs_c4_policy_lines"] = st["dropped_policy"]
    sig["qs_c4_lorem_ipsum"] = reason == "lorem_ipsum"
    sig["qs_c4_curly_bracket"] = reason == "curly_bracket"
    fw_text = c4_text if c4_text is not None else text
    f = fineweb_stats(fw_text, words(fw_text))
    for k in ("line_punct_ratio", "short_line_ratio", "char_dup_ratio",
              "new_line_ratio"):
        sig["qs_fw_" + k] = f[k]
    return sig


def random_thresholds(seed, lo, hi, out_path):
    """Every threshold of T scaled by a seeded factor in [lo, hi] (integers
    rounded, at least 1): written to out_path for --thresholds, and printed
    as the `--set` options thresh takes."""
    rng = random.Random(int(seed))
    over = {}
    for k, v in T.items():
        f = rng.uniform(float(lo), float(hi))
        over[k] = max(1, round(v * f)) if isinstance(v, int) \
            else round(v * f, 4)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(over, f)
    print(" ".join("--set filters.%s=%s" % kv for kv in over.items()))
    return 0


def chain(docs_path, kept_path, rejects_path):
    """Compare `thresh filter --rejects REJECTS DOCS > KEPT` (drop mode)
    with the chain: the same documents kept, with C4's text, and the same
    reason for each dropped one."""
    kept, rejected = {}, {}
    with open(kept_path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            kept[d["id"]] = d["text"]
    with open(rejects_path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            rejected[d["id"]] = d.get("metadata", {}).get("filter_reason")
    n = bad = n_kept = 0
    for d in read_jsonl(docs_path):
        want = judge(d["id"], d["text"])["chain"]
        if want["keep"] is None:
            continue           # datatrove raises there
        n += 1
        if want["keep"]:
            n_kept += 1
            ok = kept.get(d["id"]) == want["final_text"]
        else:
            ok = rejected.get(d["id"], "(kept)") == want["reason"]
        if not ok:
            bad += 1
            if bad <= 10:
                print("#   %s: thresh %s, oracle %s" % (
                    d["id"], "kept" if d["id"] in kept else
                    rejected.get(d["id"]), want["reason"] or "kept"))
    print("# chain: %d documents, %d kept, %d differences" % (n, n_kept, bad))
    return 1 if bad else 0


def time_chain(docs_path, limit=None):
    """Thread CPU time of this statement of the chain as datatrove runs it:
    the four filters in order, each document leaving at its first drop,
    and NLTK's word_tokenize called by each filter that counts words (both
    Gopher filters, FineWeb's list ratio) on its own, the word cache
    bypassed. Prints one line: documents, MB, kept, MB/s."""
    import time
    docs = list(read_jsonl(docs_path))
    if limit is not None:
        docs = docs[:int(limit)]
    size = sum(len(d["text"].encode("utf-8")) for d in docs)
    tokenize = _words.__wrapped__
    kept = 0
    start = time.thread_time()
    for d in docs:
        text = d["text"]
        try:
            if gopher_repetition(text, tokenize(text)):
                continue
            if gopher_quality(text, tokenize(text)):
                continue
            reason, c4_text = c4_quality(text, [], {})
            if reason or fineweb_quality(c4_text, tokenize):
                continue
            kept += 1
        except ZeroDivisionError:
            continue           # datatrove raises there
    took = time.thread_time() - start
    print("python-nltk chain: %d documents, %.1f MB, kept %d, %.3f MB/s" %
          (len(docs), size / 1e6, kept, size / 1e6 / took))
    return 0


def badwords_regex(list_dir, lang):
    """The C4 bad-words search of docs/filter.md: datatrove's
    C4BadWordsFilter as it states its intent (ja, th and zh match
    anywhere, other languages between non-word characters or the text's
    edges, over text.lower()), its allowlist removed from every list, and
    the entries lowercased (lib/filter's choice; datatrove compares them as
    they are)."""
    path = os.path.join(list_dir, lang + ".json")
    with open(path, encoding="utf-8") as f:
        entries = {w.strip().lower() for w in json.load(f)}
    entries -= {"sm", "\u30b0\u30ed", "\u5973\u306e\u5b50", "\u6027", ""}
    alt = "|".join(re.escape(w) for w in entries)
    if lang in ("ja", "th", "zh"):
        return re.compile(alt)
    return re.compile(r"(?:\W|^)(%s)(?:\W|$)" % alt)


def badwords(list_dir, lang, docs_path, ann_path):
    rx = badwords_regex(list_dir, lang)
    n = bad = 0
    with open(ann_path, encoding="utf-8") as ann:
        for d, line in zip(read_jsonl(docs_path), ann):
            got = json.loads(line).get("metadata", {}).get("qs_badwords")
            want = rx.search(d["text"].lower()) is not None
            n += 1
            if got is not want:
                bad += 1
                if bad <= 10:
                    print("#   %s %s: thresh %r oracle %r" % (
                        lang, d["id"], got, want))
    print("# bad words (%s): %d documents, %d differences" % (lang, n, bad))
    return 1 if bad or not n else 0


def adversarial(put):
    """1,000 seeded documents aimed at the Python string semantics the
    rules lean on: C4's keywords spelled with characters lower() maps
    specially (dotted and dotless I, the Kelvin sign, long s, no-break and
    thin spaces), citations with other scripts' digits, every splitlines()
    break, bullets, ellipses, words over 1,000 characters."""
    rng = random.Random(3)
    keys = ["lorem ipsum", "javascript", "terms of use", "privacy policy",
            "cookie policy", "uses cookies", "use of cookies", "use cookies",
            "{"]
    spell = {"i": "iI\u0130\u0131", "k": "kK\u212a", "s": "sS\u017f",
             "o": "oO", "c": "cC", "e": "eE", " ": " \u00a0\u2009"}
    cites = ["[12]", "[\u0661\u0662]", "[\u0967]", "[\uff11\uff12]", "[]",
             "[edit]", "[citation needed]", "[Citation needed]", "[ 1]",
             "[1a]", "[\u00b2]", "[\u2460]", "[1]]", "[[2]"]
    breaks = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
              "\x85", "\u2028", "\u2029", "\n\n"]
    lines = ["The quick brown fox jumps over the lazy dog near the river.",
             "She sells sea shells by the sea shore every summer morning!",
             "A journey of a thousand miles begins with a single step?",
             "Many people enjoy reading books in the quiet library \u2026",
             "Our team reviewed the results and published a report.\u3002",
             "word word", "   padded line with spaces and a tab\t ",
             "\u2022 bullet item line here.", "- dash item line here...",
             "x" * 1001 + " long word line here.", "short."]
    for i in range(1000):
        parts = []
        for _ in range(rng.randint(3, 14)):
            words = rng.choice(lines).split(" ")
            if rng.random() < 0.3:
                k = rng.choice(keys)
                words.insert(rng.randrange(len(words) + 1), "".join(
                    rng.choice(spell.get(ch, ch)) for ch in k))
            if rng.random() < 0.3:
                words.insert(rng.randrange(len(words) + 1), rng.choice(cites))
            line = " ".join(words)
            parts.append(line.upper() if rng.random() < 0.1 else line)
            parts.append(rng.choice(breaks))
        put("adversarial/%d" % i, "".join(parts), "adversarial")


def unseen(shared, out_path, extracted=None):
    n = 0
    with open(out_path, "w", encoding="utf-8") as out:
        def put(doc_id, text, source):
            nonlocal n
            out.write(json.dumps({"id": doc_id, "text": text,
                                  "source": source},
                                 ensure_ascii=False) + "\n")
            n += 1
        for ds in ("extraction-dev", "extraction-dev-cleaneval"):
            root = os.path.join(shared, ds)
            for page in sorted(os.listdir(root)):
                for name in ("expected", "dirty_bs4", "dirty_bs4_nl",
                             "dirty_lynx"):
                    path = os.path.join(root, page, name + ".txt")
                    if os.path.isfile(path):
                        with open(path, encoding="utf-8",
                                  errors="replace") as f:
                            put("%s/%s/%s" % (ds, page, name), f.read(),
                                ds + "/" + name)
        # what thresh's own extraction gives for those pages, when the
        # caller extracted them (EXTRACTED_DIR/<set>_<page>.txt)
        for name in sorted(os.listdir(extracted)) if extracted else ():
            with open(os.path.join(extracted, name), encoding="utf-8",
                      errors="replace") as f:
                put("extracted/" + name[:-4], f.read(), "thresh-extract")
        by_lang = {}
        with open(os.path.join(shared, "langid-dev", "dev.tsv"),
                  encoding="utf-8") as f:
            for line in f:
                col = line.rstrip("\n").split("\t")
                if len(col) >= 5 and col[2] == "para":
                    by_lang.setdefault(col[0], []).append(col[4])
        for lang in sorted(by_lang):
            paras = by_lang[lang]
            put("langid-dev/%s/0" % lang, paras[0], "langid-dev")
            for k in range(0, len(paras), 6):
                put("langid-dev/%s/joined-%d" % (lang, k),
                    "\n".join(paras[k:k + 6]), "langid-dev")
        adversarial(put)
    print("# %d documents written to %s" % (n, out_path))
    return 0


def main():
    global CURRENT
    args = sys.argv[1:]
    if args[:1] == ["--thresholds"]:
        with open(args[1], encoding="utf-8") as f:
            over = json.load(f)
        unknown = set(over) - set(T)
        if unknown:
            print("# unknown thresholds: %s" % ", ".join(sorted(unknown)))
            return 2
        T.update(over)
        args = args[2:]
    if len(args) == 5 and args[0] == "--random-thresholds":
        return random_thresholds(*args[1:])
    if len(args) in (2, 3) and args[0] == "--time":
        return time_chain(*args[1:])
    if len(args) == 4 and args[0] == "--chain":
        return chain(*args[1:])
    if len(args) == 5 and args[0] == "--badwords":
        return badwords(*args[1:])
    if args[:2] == ["--preset", "datatrove"]:
        if not TERMINALS:
            print("# no /usr/share/unicode/PropList.txt (unicode-data)")
            return 1
        CURRENT = True
        args = args[2:]
        if not (len(args) == 4 and args[2] == "--annotated"):
            print("# --preset datatrove: only with --annotated (there are "
                  "no datatrove files of today's rules to check against)")
            return 2
    if len(args) in (3, 4) and args[0] == "--unseen":
        return unseen(*args[1:])
    if len(args) == 2 and args[0] == "--check":
        return check(args[1])
    if len(args) == 4 and args[2] == "--annotated":
        return write(args[0], args[1], args[3])
    if len(args) == 2:
        return write(args[0], args[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
