#!/usr/bin/env python3
"""Derive thresh's English Punkt parameters from NLTK's observed decisions.

Input: the JSON lines printed by nlp_trace (tests/nlp/nlp_trace.c): for each
sentence-end candidate of the parity texts, the context string Punkt
annotates and NLTK's decision ("want", read off NLTK's sentence lists).
Output: lib/nlp/punkt_english.c, the parameter set that explains the
decisions: abbreviation types, collocations, sentence starters and
orthographic-context bits.

Method (docs/nlp.md): the Punkt decision procedure is re-stated here in
Python (first pass, second pass, orthographic heuristic), every context is
cut into Punkt tokens, and the parameters are fitted by greedy coordinate
ascent on the number of correct decisions: abbreviation types first, then
per word type the orthographic bits (and sentence-starter flag), then
collocations for what is left, repeated until nothing improves. Only types
that occur in a decisive position get an entry; every other type keeps
Punkt's default (not an abbreviation, no orthographic evidence).

Usage: derive_punkt.py TRACE.jsonl [--holdout] [--counts=UNSEEN.jsonl
                       [--count-holdout]] > lib/nlp/punkt_english.c
 --holdout fits on odd documents and reports accuracy on even ones.
 --counts refines the fit with the word counts of the other documents
   (nlp_trace --unseen); --count-holdout fits on the odd ones of those and
   reports how many even ones get NLTK's count.
"""
import collections
import json
import re
import sys

NONWORD = r"(?:[)\";}\]\*:@\'\({\[?!])"
MULTI = r"(?:\-{2,}|\.{2,}|(?:\.\s){2,}\.)"
WORDSTART = r"[^\(\"\`{\[:;&\#\*@\)}\]\-,]"
WORD_RE = re.compile(
    r"(%s|(?=%s)\S+?(?=\s|$|%s|%s|,(?=$|\s|%s|%s))|\S)"
    % (MULTI, WORDSTART, NONWORD, MULTI, NONWORD, MULTI))
NUM_RE = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
INITIAL_RE = re.compile(r"[^\W\d]\.$")
ELLIPSIS_RE = re.compile(r"\.\.+$")

BEG_UC, MID_UC, UNK_UC, BEG_LC, MID_LC, UNK_LC = (1 << 1, 1 << 2, 1 << 3,
                                                   1 << 4, 1 << 5, 1 << 6)
UC = BEG_UC | MID_UC | UNK_UC
LC = BEG_LC | MID_LC | UNK_LC
STARTER = 1 << 7   # internal: the type is a frequent sentence starter


class Tok:
    __slots__ = ("tok", "type", "period_final", "first_upper",
                 "first_lower", "initial", "ellipsis_form", "abbr_keys",
                 "fit_keys")

    def __init__(self, tok):
        self.tok = tok
        low = tok.lower()
        self.type = NUM_RE.sub("##number##", low)
        self.period_final = tok.endswith(".")
        self.first_upper = tok[0].isupper()
        self.first_lower = tok[0].islower()
        self.initial = bool(INITIAL_RE.match(tok))
        self.ellipsis_form = bool(ELLIPSIS_RE.match(tok))
        keys = ()
        if (tok not in (".", "?", "!") and not self.ellipsis_form and
                self.period_final and not tok.endswith("..")):
            k = tok[:-1].lower()
            keys = (k, k.split("-")[-1])
        # Punkt training types numbers as ##number##, so a numeric string
        # is never a learnt abbreviation: do not fit one
        self.fit_keys = tuple(k for k in keys if not NUM_RE.match(k + "."))
        self.abbr_keys = keys

    def type_no_period(self):
        t = self.type
        return t[:-1] if len(t) > 1 and t[-1] == "." else t


def tokenize(ctx):
    toks = []
    for line in ctx.split("\n"):
        if line.strip():
            toks.extend(Tok(t) for t in WORD_RE.findall(line))
    return toks


class Params:
    def __init__(self):
        self.abbrevs = set()
        self.collocs = set()
        self.ortho = {}    # type -> bits (STARTER bit = sentence starter)


def decide(toks, p):
    """text_contains_sentbreak over tokens, with parameters p."""
    n = len(toks)
    first = []
    for t in toks:
        if t.tok in (".", "?", "!"):
            first.append((True, False, False))
        elif t.ellipsis_form:
            first.append((False, False, True))
        elif t.abbr_keys:
            a = t.abbr_keys[0] in p.abbrevs or t.abbr_keys[1] in p.abbrevs
            first.append((not a, a, False))
        else:
            first.append((False, False, False))
    for i in range(n - 1):
        sb, ab, el = first[i]
        t1, t2 = toks[i], toks[i + 1]
        if t1.period_final:
            sb = second(t1, sb, ab, el, t2, first[i + 1][0], p)
        if sb:
            return True
    return False


def ortho_h(t2, sb2, p):
    if t2.tok in (";", ":", ",", ".", "!", "?"):
        return False
    key = t2.type_no_period() if sb2 else t2.type
    oc = p.ortho.get(key, 0)
    if t2.first_upper and (oc & LC) and not (oc & MID_UC):
        return True
    if t2.first_lower and ((oc & UC) or not (oc & BEG_LC)):
        return False
    return "unknown"


def second(t1, sb, ab, el, t2, sb2, p):
    typ = t1.type_no_period()
    nxt = t2.type_no_period() if sb2 else t2.type
    if (typ, nxt) in p.collocs:
        return False
    if (ab or el) and not t1.initial:
        if ortho_h(t2, sb2, p) is True:
            return True
        if t2.first_upper and (p.ortho.get(nxt, 0) & STARTER):
            return True
    if t1.initial or typ == "##number##":
        h = ortho_h(t2, sb2, p)
        if h is False:
            return False
        if (h == "unknown" and t1.initial and t2.first_upper and
                not (p.ortho.get(nxt, 0) & LC)):
            return False
    return sb


def fit(items):
    """items: list of (toks, want). Returns Params."""
    p = Params()
    by_abbr = collections.defaultdict(list)
    by_type = collections.defaultdict(list)
    by_pair = collections.defaultdict(list)
    for idx, (toks, want) in enumerate(items):
        for i, t in enumerate(toks):
            for k in set(t.fit_keys):
                by_abbr[k].append(idx)
            for k in {t.type, t.type_no_period()}:
                by_type[k].append(idx)
            if t.period_final and i + 1 < len(toks):
                t2 = toks[i + 1]
                for k in {t2.type, t2.type_no_period()}:
                    by_pair[(t1_typ(t), k)].append(idx)
    ok = [decide(t, p) == w for t, w in items]

    def score(idxs):
        return sum(1 for i in idxs if decide(items[i][0], p) == items[i][1])

    def try_change(idxs, apply, undo):
        before = sum(ok[i] for i in idxs)
        apply()
        after_ok = {i: decide(items[i][0], p) == items[i][1] for i in idxs}
        after = sum(after_ok.values())
        if after > before:
            for i, v in after_ok.items():
                ok[i] = v
            return True
        undo()
        return False

    choices = [0, MID_LC, MID_LC | MID_UC, BEG_LC, BEG_LC | MID_LC,
               MID_UC, BEG_UC, BEG_UC | MID_LC, BEG_LC | MID_UC,
               STARTER, STARTER | MID_LC | MID_UC, STARTER | MID_UC,
               BEG_LC | MID_LC | MID_UC]
    for rnd in range(4):
        changed = 0
        for k in sorted(by_abbr, key=lambda k: -len(by_abbr[k])):
            idxs = sorted(set(by_abbr[k]))
            if k in p.abbrevs:
                continue
            if try_change(idxs, lambda: p.abbrevs.add(k),
                          lambda: p.abbrevs.discard(k)):
                changed += 1
        for k in sorted(by_type, key=lambda k: -len(by_type[k])):
            idxs = sorted(set(by_type[k]))
            if all(ok[i] for i in idxs):
                continue
            cur = p.ortho.get(k, 0)
            best, best_score = cur, sum(ok[i] for i in idxs)
            for c in choices:
                if c == cur:
                    continue
                p.ortho[k] = c
                s = score(idxs)
                if s > best_score:
                    best, best_score = c, s
            if best:
                p.ortho[k] = best
            else:
                p.ortho.pop(k, None)
            if best != cur:
                changed += 1
                for i in idxs:
                    ok[i] = decide(items[i][0], p) == items[i][1]
        for k in sorted(by_pair, key=lambda k: -len(by_pair[k])):
            idxs = sorted(set(by_pair[k]))
            if k in p.collocs or all(ok[i] for i in idxs):
                continue
            if try_change(idxs, lambda: p.collocs.add(k),
                          lambda: p.collocs.discard(k)):
                changed += 1
        # drop entries that no longer help (keeps the set minimal)
        for k in sorted(p.abbrevs):
            idxs = sorted(set(by_abbr[k]))
            before = sum(ok[i] for i in idxs)
            p.abbrevs.discard(k)
            if score(idxs) < before:
                p.abbrevs.add(k)
            else:
                changed += 1
                for i in idxs:
                    ok[i] = decide(items[i][0], p) == items[i][1]
        print("# round %d: %d changes, %d/%d correct" %
              (rnd, changed, sum(ok), len(ok)), file=sys.stderr)
        if not changed:
            break
    return p


def fit_counts(p, items, unseen, log=sys.stderr):
    """Refine p with the word counts of documents outside the trace.

    unseen: {doc: (want_words, got_words, [(toks, dot, got), ...])}. A
    change is kept when no traced decision goes wrong and more documents
    get NLTK's word count (a break on a "dot" candidate adds one word).
    """
    ctx_of = collections.defaultdict(list)   # key -> [(doc, i)]
    item_of = collections.defaultdict(set)   # key -> trace item indexes
    for idx, (toks, want) in enumerate(items):
        for k in keys_of(toks):
            item_of[k].add(idx)
    for u, (_, _, ctxs) in unseen.items():
        for i, (toks, dot, got) in enumerate(ctxs):
            if dot:
                for k in keys_of(toks):
                    ctx_of[k].append((u, i))
    base = {u: [decide(t, p) for t, _, _ in ctxs]
            for u, (_, _, ctxs) in unseen.items()}

    def predicted(u, dec):
        want, got, ctxs = unseen[u]
        return got + sum(dot * (int(d) - int(g))
                         for (t, dot, g), d in zip(ctxs, dec))

    ok_doc = {u: predicted(u, base[u]) == unseen[u][0] for u in unseen}

    def try_move(key, apply, undo):
        docs = {u for u, _ in ctx_of[key]}
        idxs = item_of[key]
        apply()
        if any(decide(items[i][0], p) != items[i][1] for i in idxs):
            undo()
            return False
        new_dec = {u: [decide(t, p) for t, _, _ in unseen[u][2]]
                   for u in docs}
        gain = sum((predicted(u, new_dec[u]) == unseen[u][0]) - ok_doc[u]
                   for u in docs)
        if gain <= 0:
            undo()
            return False
        for u in docs:
            base[u] = new_dec[u]
            ok_doc[u] = predicted(u, new_dec[u]) == unseen[u][0]
        return True

    choices = [MID_LC, MID_LC | MID_UC, BEG_LC, MID_UC, BEG_UC, STARTER,
               BEG_LC | MID_LC, BEG_UC | MID_LC, 0]
    for rnd in range(3):
        changed = 0
        bad = [u for u in unseen if not ok_doc[u]]
        for u in bad:
            if ok_doc[u]:
                continue
            for toks, dot, _ in unseen[u][2]:
                if not dot or ok_doc[u]:
                    continue
                for i, t in enumerate(toks[:-1]):
                    if not t.period_final:
                        continue
                    t2 = toks[i + 1]
                    for k in t.fit_keys:
                        if k in p.abbrevs:
                            changed += try_move(
                                ("a", k), lambda k=k: p.abbrevs.discard(k),
                                lambda k=k: p.abbrevs.add(k))
                        else:
                            changed += try_move(
                                ("a", k), lambda k=k: p.abbrevs.add(k),
                                lambda k=k: p.abbrevs.discard(k))
                    for k2 in ({t2.type, t2.type_no_period()}
                               if ORTHO_MOVES else ()):
                        cur = p.ortho.get(k2, 0)
                        for c in choices:
                            if c == cur or ok_doc[u]:
                                continue

                            def put(c=c, k2=k2):
                                p.ortho[k2] = c

                            def back(cur=cur, k2=k2):
                                if cur:
                                    p.ortho[k2] = cur
                                else:
                                    p.ortho.pop(k2, None)
                            if try_move(("t", k2), put, back):
                                changed += 1
                                cur = c
                    pair = (t.type_no_period(), t2.type)
                    pair2 = (t.type_no_period(), t2.type_no_period())
                    for pr in {pair, pair2}:
                        if pr not in p.collocs and not ok_doc[u]:
                            changed += try_move(
                                ("c", pr), lambda pr=pr: p.collocs.add(pr),
                                lambda pr=pr: p.collocs.discard(pr))
        print("# count round %d: %d changes, %d/%d documents" %
              (rnd, changed, sum(ok_doc.values()), len(ok_doc)), file=log)
        if not changed:
            break
    return p


ORTHO_MOVES = "--count-ortho" in sys.argv


def keys_of(toks):
    """Parameter keys whose value can change the decision on toks."""
    ks = set()
    for i, t in enumerate(toks):
        for k in t.fit_keys:
            ks.add(("a", k))
        if t.period_final and i + 1 < len(toks):
            t2 = toks[i + 1]
            for k2 in (t2.type, t2.type_no_period()):
                ks.add(("t", k2))
                ks.add(("c", (t.type_no_period(), k2)))
    return ks


def count_ok(p, unseen):
    n = 0
    for u, (want, got, ctxs) in unseen.items():
        pred = got + sum(dot * (int(decide(t, p)) - int(g))
                         for t, dot, g in ctxs)
        n += pred == want
    return n


def load_unseen(path):
    unseen = {}
    ctxs = collections.defaultdict(list)
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        if "ctx" in d:
            ctxs[d["u"]].append((tokenize(d["ctx"]), d["dot"],
                                 bool(d["got"])))
        else:
            unseen[d["u"]] = (d["want_words"], d["got_words"], ctxs[d["u"]])
    return unseen


def t1_typ(t):
    return t.type_no_period()


def c_str(s):
    out = []
    for ch in s.encode("utf-8"):
        if ch in (0x22, 0x5c):
            out.append("\\" + chr(ch))
        elif 0x20 <= ch < 0x7f and ch != 0x3f:
            out.append(chr(ch))
        else:
            out.append("\\%03o" % ch)
    return '"' + "".join(out) + '"'


def emit(p, n_items, n_ok):
    key = lambda s: s.encode("utf-8")
    w = sys.stdout.write
    w("/*\n * punkt_english.c: English Punkt parameters derived by the "
      "project\n * (generated by tests/nlp/derive_punkt.py; do not edit).\n"
      " *\n * Fitted to NLTK 3.8's observed sentence decisions on the "
      "parity set\n * (%d candidate contexts, %d explained). See docs/nlp.md "
      "for the\n * method; these are not NLTK's pickled parameters.\n */\n"
      % (n_items, n_ok))
    w('#include "nlp_internal.h"\n#include "../core/banned.h"\n\n')
    ab = sorted(p.abbrevs, key=key)
    w("static const char *const abbrevs[] = {\n")
    for a in ab:
        w("    %s,\n" % c_str(a))
    w("};\n\n")
    co = sorted(p.collocs, key=lambda c: (key(c[0]), key(c[1])))
    w("static const struct nlp_colloc collocs[] = {\n")
    for a, b in co:
        w("    {%s, %s},\n" % (c_str(a), c_str(b)))
    w("};\n\n")
    st = sorted((k for k, v in p.ortho.items() if v & STARTER), key=key)
    w("static const char *const starters[] = {\n")
    for a in st:
        w("    %s,\n" % c_str(a))
    w("};\n\n")
    oc = sorted(((k, v & 0x7f) for k, v in p.ortho.items() if v & 0x7f),
                key=lambda kv: key(kv[0]))
    w("static const struct nlp_ortho_entry ortho[] = {\n")
    for k, v in oc:
        w("    {%s, 0x%02x},\n" % (c_str(k), v))
    w("};\n\n")
    w("#define N_OF(a) (sizeof(a) / sizeof((a)[0]))\n\n")
    w("const struct nlp_punkt_params nlp_punkt_english = {\n"
      "    abbrevs, N_OF(abbrevs), collocs, N_OF(collocs),\n"
      "    starters, N_OF(starters), ortho, N_OF(ortho),\n};\n")


def main():
    holdout = "--holdout" in sys.argv
    train, test, test_docs = [], [], []
    mismatch_c = 0
    for line in open(sys.argv[1], encoding="utf-8"):
        d = json.loads(line)
        toks = tokenize(d["ctx"])
        if decide(toks, Params()) != bool(d["got"]) and d.get("empty"):
            mismatch_c += 1
        item = (toks, bool(d["want"]))
        if holdout and d["doc"] % 2 == 0:
            test.append(item)
            test_docs.append(d["doc"])
        else:
            train.append(item)
    p = fit(train)
    unseen_path = next((a[9:] for a in sys.argv if a.startswith("--counts=")),
                       None)
    if unseen_path:
        unseen = load_unseen(unseen_path)
        if "--count-holdout" in sys.argv:
            fit_set = {u: v for u, v in unseen.items() if u % 2}
            test_set = {u: v for u, v in unseen.items() if not u % 2}
            before = count_ok(p, test_set)
            fit_counts(p, train, fit_set)
            print("# count holdout: %d of %d documents before, %d after" %
                  (before, len(test_set), count_ok(p, test_set)),
                  file=sys.stderr)
            return
        fit_counts(p, train, unseen)
    n_ok = sum(decide(t, p) == w for t, w in train)
    if holdout:
        base = sum(decide(t, Params()) == w for t, w in test)
        got = sum(decide(t, p) == w for t, w in test)
        print("# holdout: %d contexts, %d correct with empty parameters, "
              "%d with fitted" % (len(test), base, got), file=sys.stderr)
        bad = {doc for (t, w), doc in zip(test, test_docs)
               if decide(t, p) != w}
        print("# holdout documents: %d of %d with every decision right" %
              (len(set(test_docs)) - len(bad), len(set(test_docs))),
              file=sys.stderr)
        return
    print("# %d abbrevs, %d collocs, %d ortho entries" %
          (len(p.abbrevs), len(p.collocs), len(p.ortho)), file=sys.stderr)
    emit(p, len(train), n_ok)


if __name__ == "__main__":
    main()
