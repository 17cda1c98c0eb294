/*
 * punkt.c: NLTK 3.8's PunktSentenceTokenizer.tokenize() (Kiss & Strunk
 * 2006) over UTF-8 bytes, without a regular expression engine.
 *
 * Approach, following NLTK step by step because parity is the point:
 *  1. Candidates: every '.', '?' or '!' followed either by one of the
 *     "non-word" characters ?!)";}]*:@'({[ or by whitespace and more text
 *     (period_context_re with its after_tok / next_tok).
 *  2. The word before each candidate and the candidates kept are those of
 *     3.8's _match_potential_end_contexts (see find_candidates()); the
 *     context is that word, the character and after_tok.
 *  3. Each candidate's context is cut into Punkt word tokens (the
 *     _word_tokenize_fmt regex, hand-compiled), annotated with the first
 *     pass (sentence end characters, ellipses, abbreviations) and the
 *     second pass (collocations, orthographic heuristic, frequent
 *     sentence starters, initials and numbers); a sentence break is any
 *     break that is not on the context's last token
 *     (text_contains_sentbreak). Most candidates skip this step: see
 *     fast_decision().
 *  4. Slices between breaks, then _realign_boundaries moves closing
 *     quotes and brackets that follow a break back into the sentence.
 * Candidates are decided as the scan finds them (no candidate array); the
 * scan for '.', '?' and '!' takes 16 bytes a step with SSE2, or goes from
 * bit to bit of a map of them that th_nlp_word_tokenize's copy of the
 * text made (nlp_punkt_spans_marked).
 * Every scan is linear: the words before kept candidates do not overlap
 * and each next token follows one candidate, so the contexts add up to at
 * most twice the text. (Later NLTK versions find the word before with
 * str.rsplit instead; the parity data shows 3.8's behaviour, e.g. on
 * "!!!", which 3.8 splits into "!" and "!!".)
 *
 * The parameters (abbreviations, collocations, sentence starters and
 * orthographic contexts) are a struct nlp_punkt_params; the English set is
 * derived by the project (docs/nlp.md), not NLTK's pickle.
 *
 * Rejected: a regex engine (PCRE2 or POSIX) running NLTK's patterns; it
 * would be slower, and NLTK's patterns rely on Python's Unicode classes and
 * lookaheads that POSIX lacks.
 */
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nlp_internal.h"
#include "../core/banned.h"

#define NO_POS SIZE_MAX

/* One sentence-end candidate (a match of period_context_re). */
struct cand {
    size_t pos;          /* index of the '.', '?' or '!' */
    size_t after_end;    /* end of after_tok, 0 until needed (see
                            cand_after_end) */
    size_t next_start;   /* start of next_tok, NO_POS for punctuation */
    size_t word_start;   /* start of the word before */
    size_t word_end;     /* end of the word before */
};

/* One Punkt word token inside a context, with its annotations. */
struct ptok {
    size_t off;          /* offset in the context */
    size_t len;          /* bytes */
    size_t type_off;     /* offset of its type in the type buffer */
    size_t type_len;     /* bytes of the type */
    bool period_final;   /* ends with '.' */
    bool first_upper;    /* first character is upper case */
    bool first_lower;    /* first character is lower case */
    bool sentbreak;      /* annotation: sentence break */
    bool abbr;           /* annotation: abbreviation */
    bool ellipsis;       /* annotation: ellipsis */
};

/* Scratch of one nlp_punkt_spans call. */
struct punkt_work {
    struct nlp_str types;     /* types of the context's tokens */
    struct ptok *toks;        /* tokens of the context */
    size_t n_toks;            /* tokens in use */
    size_t cap_toks;          /* tokens allocated */
};

static bool is_nonword_byte(unsigned char c)
{
    switch (c) {
    case '?': case '!': case ')': case '"': case ';': case '}': case ']':
    case '*': case ':': case '@': case '\'': case '(': case '{': case '[':
        return true;
    default:
        return false;
    }
}

static bool is_space_at(const char *s, size_t n, size_t i, size_t *len_out)
{
    return (nlp_class_at(s + i, n - i, len_out) & NLP_SPACE) != 0;
}

/* Start of the code point that ends right before pos (pos > 0). */
static size_t prev_cp(const char *s, size_t pos)
{
    size_t p = pos - 1;
    size_t lim = pos >= 4 ? pos - 4 : 0;
    while (p > lim && ((unsigned char)s[p] & 0xc0) == 0x80)
        p--;
    size_t l;
    nlp_decode((const unsigned char *)s + p, pos - p, &l);
    return p + l == pos ? p : pos - 1;
}

/* True when the code point ending at pos is whitespace; *start_out = it. */
static bool space_before(const char *s, size_t pos, size_t *start_out)
{
    size_t p = prev_cp(s, pos);
    size_t l;
    *start_out = p;
    return is_space_at(s, pos, p, &l);
}

/* Length of NLTK's _re_multi_char_punct match at s[i], 0 if none. */
static size_t multichar_len(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    if (s[i] == '-') {
        size_t j = i;
        while (j < n && s[j] == '-')
            j++;
        return j - i >= 2 ? j - i : 0;
    }
    if (s[i] != '.')
        return 0;
    if (i + 1 < n && s[i + 1] == '.') {
        size_t j = i;
        while (j < n && s[j] == '.')
            j++;
        return j - i;
    }
    /* (?:\.\s){2,}\. */
    size_t j = i, pairs = 0, last_pair = i;
    for (;;) {
        size_t l;
        if (j + 1 < n && s[j] == '.' && is_space_at(s, n, j + 1, &l)) {
            last_pair = j;
            j += 1 + l;
            pairs++;
            continue;
        }
        break;
    }
    if (pairs >= 2 && j < n && s[j] == '.')
        return j + 1 - i;
    if (pairs >= 3)
        return last_pair + 1 - i;
    return 0;
}

/* The lookahead that ends a Punkt word at s[q]. */
static bool word_ends_at(const char *s, size_t n, size_t q)
{
    size_t l;
    if (q >= n)
        return true;
    unsigned char c = (unsigned char)s[q];
    if (is_nonword_byte(c) || is_space_at(s, n, q, &l) ||
        multichar_len(s, n, q))
        return true;
    if (c == ',') {
        if (q + 1 >= n)
            return true;
        unsigned char d = (unsigned char)s[q + 1];
        return is_nonword_byte(d) || is_space_at(s, n, q + 1, &l) ||
               multichar_len(s, n, q + 1) != 0;
    }
    return false;
}

/*
 * Byte classes of the word before a '.' (fast_decision); the bytes of
 * class 0 (digits) and WC_LETTER are those that never end a Punkt word
 * (tokenize_line).
 */
enum {
    WC_LETTER = 1,  /* A-Z a-z, and $ % + / = (no Punkt word ends or
                       starts at them, and they make the word no number) */
    WC_DASH = 2,    /* '-' */
    WC_APOS = 4,    /* '\'' */
    WC_HIGH = 8,    /* a byte >= 0x80 */
    WC_OTHER = 16,  /* any other byte but the digits */
};

static const uint8_t word_class[256] = {
#define WC_ROW16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    WC_ROW16(16), WC_ROW16(16),
    /* 0x20 */ 16, 16, 16, 16, 1, 1, 16, 4, 16, 16, 16, 1, 16, 2, 16, 1,
    /* 0x30 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 16, 16, 1, 16, 16,
    /* 0x40 */ 16, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 16, 16, 16, 16, 16,
    /* 0x60 */ 16, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 16, 16, 16, 16, 16,
    WC_ROW16(8), WC_ROW16(8), WC_ROW16(8), WC_ROW16(8),
    WC_ROW16(8), WC_ROW16(8), WC_ROW16(8), WC_ROW16(8),
#undef WC_ROW16
};

/* A letter, digit or one of $ % + / =: no Punkt word starts, ends or
   splits at it, and no multi-character punctuation holds it. */
static bool is_word_inner(unsigned char c)
{
    return !(word_class[c] & ~WC_LETTER);
}

static bool is_wordstart_excluded(unsigned char c)
{
    switch (c) {
    case '(': case '"': case '`': case '{': case '[': case ':': case ';':
    case '&': case '#': case '*': case '@': case ')': case '}': case ']':
    case '-': case ',':
        return true;
    default:
        return false;
    }
}

static int push_tok(struct punkt_work *w, size_t off, size_t len)
{
    if (w->n_toks == w->cap_toks) {
        size_t cap = w->cap_toks ? w->cap_toks * 2 : 16;
        struct ptok *t = realloc(w->toks, cap * sizeof(*t));
        if (!t)
            return TH_ENOMEM;
        w->toks = t;
        w->cap_toks = cap;
    }
    struct ptok *t = &w->toks[w->n_toks++];
    memset(t, 0, sizeof(*t));
    t->off = off;
    t->len = len;
    return 0;
}

/* PunktLanguageVars.word_tokenize over one line s[0..n) at offset base. */
static int tokenize_line(struct punkt_work *w, const char *s, size_t n,
                         size_t base)
{
    size_t i = 0;
    while (i < n) {
        size_t l;
        unsigned cls = nlp_class_at(s + i, n - i, &l);
        if (cls & NLP_SPACE) {
            i += l;
            continue;
        }
        size_t m = multichar_len(s, n, i);
        if (!m) {
            if (!is_wordstart_excluded((unsigned char)s[i])) {
                size_t q = i + l;
                for (;;) {
                    while (q < n && is_word_inner((unsigned char)s[q]))
                        q++;
                    if (word_ends_at(s, n, q))
                        break;
                    nlp_class_at(s + q, n - q, &l);
                    q += l;
                }
                m = q - i;
            } else {
                m = l;
            }
        }
        if (push_tok(w, base + i, m) < 0)
            return TH_ENOMEM;
        i += m;
    }
    return 0;
}

/* _tokenize_words: lines split on '\n', blank lines skipped. */
static int tokenize_words(struct punkt_work *w, const char *s, size_t n)
{
    size_t start = 0;
    w->n_toks = 0;
    while (start <= n) {
        const char *nl = memchr(s + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - s) : n;
        if (tokenize_line(w, s + start, end - start, start) < 0)
            return TH_ENOMEM;
        if (!nl)
            break;
        start = end + 1;
    }
    return 0;
}

/* Append the lowercase of s[0..n) to out. */
static int append_lower(struct nlp_str *out, const char *s, size_t n)
{
    if (nlp_str_reserve(out, n * 2 + 4) < 0)
        return TH_ENOMEM;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            out->ptr[out->len++] = (char)((c >= 'A' && c <= 'Z') ? c + 32
                                                                 : c);
            i++;
            continue;
        }
        size_t l;
        uint32_t cp = nlp_decode((const unsigned char *)s + i, n - i, &l);
        uint32_t lo = nlp_tolower(cp);
        if (lo == cp) {
            memcpy(out->ptr + out->len, s + i, l);
            out->len += l;
        } else {
            out->len += nlp_encode(lo, out->ptr + out->len);
        }
        i += l;
    }
    return 0;
}

/* _RE_NUMERIC: ^-?[\.,]?\d[\d,\.-]*\.?$ on the whole string. */
static bool is_numeric(const char *s, size_t n)
{
    for (int a = 1; a >= 0; a--) {
        size_t i = 0;
        if (a) {
            if (n > 0 && s[0] == '-')
                i = 1;
            else
                continue;
        }
        for (int b = 1; b >= 0; b--) {
            size_t j = i;
            if (b) {
                if (j < n && (s[j] == '.' || s[j] == ','))
                    j++;
                else
                    continue;
            }
            size_t l;
            if (j >= n || !(nlp_class_at(s + j, n - j, &l) & NLP_DIGIT))
                continue;
            j += l;
            while (j < n) {
                unsigned char c = (unsigned char)s[j];
                if (c == ',' || c == '.' || c == '-') {
                    j++;
                    continue;
                }
                if (!(nlp_class_at(s + j, n - j, &l) & NLP_DIGIT))
                    break;
                j += l;
            }
            if (j == n)
                return true;
        }
    }
    return false;
}

/* Compare a[0..alen) with the C string b, bytewise like strcmp(). */
static int cmp_key(const char *a, size_t alen, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    for (size_t i = 0; i < alen; i++) {
        if (!y[i])
            return 1;
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return y[alen] ? -1 : 0;
}

/*
 * Hash of a type k[0..n): its first and last eight bytes (four, or three
 * single bytes, for shorter ones) and its length, mixed by multiplying.
 * Types that share those collide and are told apart by the comparison.
 */
static uint64_t type_hash(const char *k, size_t n)
{
    const unsigned char *u = (const unsigned char *)k;
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, k, 8);
        memcpy(&b, k + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, k, 4);
        memcpy(&y, k + n - 4, 4);
        a = x;
        b = y;
    } else if (n) {
        a = u[0] | (uint64_t)u[n / 2] << 8 | (uint64_t)u[n - 1] << 16;
    }
    uint64_t h = (a ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL ^
                 (b + n) * 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

/* Is slot t the one of type k[0..n) (tag: its hash's)? */
static inline bool slot_is(const struct nlp_type_slot *t, const char *k,
                           size_t n, uint8_t tag)
{
    if (t->tag != tag)
        return false;
    if (n <= NLP_TYPE_INLINE)
        return t->len == n && !memcmp(t->key.bytes, k, n);
    return t->len == NLP_TYPE_LONG && t->key.big.len == n &&
           !memcmp(t->key.big.ptr, k, n);
}

/* The slot of type k[0..n) in table tb, NULL when it has none. */
static const struct nlp_type_slot *type_find(const struct nlp_type_table *tb,
                                             const char *k, size_t n)
{
    uint64_t h = type_hash(k, n);
    uint8_t tag = (uint8_t)(h >> 48);
    size_t i = (size_t)h & tb->mask;
    for (;; i = (i + 1) & tb->mask) {
        const struct nlp_type_slot *t = &tb->slots[i];
        if (t->len == NLP_TYPE_EMPTY)
            return NULL;
        if (slot_is(t, k, n, tag))
            return t;
    }
}

/* enum nlp_type_kind bits of type k[0..n). */
static unsigned type_kinds(const struct th_nlp *nlp, const char *k,
                           size_t n)
{
    const struct nlp_type_slot *t = type_find(&nlp->kinds_table, k, n);
    return t ? t->kinds : 0;
}

static bool is_colloc(const struct th_nlp *nlp, const char *a, size_t alen,
                      const char *b, size_t blen)
{
    const struct nlp_punkt_params *p = nlp->params;
    if (!(type_kinds(nlp, a, alen) & NLP_TYPE_COLLOC_FIRST))
        return false;
    size_t lo = 0, hi = p->n_collocs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_key(a, alen, p->collocs[mid].first);
        if (!c)
            c = cmp_key(b, blen, p->collocs[mid].second);
        if (!c)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

/*
 * The first pass's abbreviation test of a type k[0..klen) (lowercase,
 * without its final period): the type, or its part after the last '-',
 * is an abbreviation.
 */
static bool dash_part_is_abbrev(const struct th_nlp *nlp, const char *k,
                                size_t klen)
{
    for (size_t i = klen; i > 0; i--)
        if (k[i - 1] == '-')
            return (type_kinds(nlp, k + i, klen - i) & NLP_TYPE_ABBREV) != 0;
    return false;
}

static bool is_abbrev_type(const struct th_nlp *nlp, const char *k,
                           size_t klen)
{
    return (type_kinds(nlp, k, klen) & NLP_TYPE_ABBREV) ||
           dash_part_is_abbrev(nlp, k, klen);
}

/* Is the abbreviation test of the first pass true for tok (ends in '.')? */
static int abbrev_test(const struct th_nlp *nlp, struct punkt_work *w,
                       const char *tok, size_t len, bool *out)
{
    size_t mark = w->types.len;
    if (append_lower(&w->types, tok, len - 1) < 0)
        return TH_ENOMEM;
    *out = is_abbrev_type(nlp, w->types.ptr + mark, w->types.len - mark);
    w->types.len = mark;
    return 0;
}

static const char number_type[] = "##number##";

/* Fill type, case and first-pass annotations of every token. */
static int first_pass(const struct th_nlp *nlp, struct punkt_work *w,
                      const char *ctx)
{
    w->types.len = 0;
    for (size_t i = 0; i < w->n_toks; i++) {
        struct ptok *t = &w->toks[i];
        const char *s = ctx + t->off;
        size_t mark = w->types.len;
        if (append_lower(&w->types, s, t->len) < 0)
            return TH_ENOMEM;
        if (is_numeric(w->types.ptr + mark, w->types.len - mark)) {
            w->types.len = mark;
            if (nlp_str_reserve(&w->types, sizeof(number_type)) < 0)
                return TH_ENOMEM;
            memcpy(w->types.ptr + mark, number_type,
                   sizeof(number_type) - 1);
            w->types.len += sizeof(number_type) - 1;
        }
        t->type_off = mark;
        t->type_len = w->types.len - mark;
        size_t l;
        unsigned cls = nlp_class_at(s, t->len, &l);
        t->first_upper = (cls & NLP_UPPER) != 0;
        t->first_lower = (cls & NLP_LOWER) != 0;
        t->period_final = s[t->len - 1] == '.';
        if (t->len == 1 && (s[0] == '.' || s[0] == '?' || s[0] == '!')) {
            t->sentbreak = true;
            continue;
        }
        bool dots = t->len >= 2;
        for (size_t k = 0; k < t->len && dots; k++)
            dots = s[k] == '.';
        if (dots) {
            t->ellipsis = true;
            continue;
        }
        if (t->period_final && !(t->len >= 2 && s[t->len - 2] == '.')) {
            bool hit;
            if (abbrev_test(nlp, w, s, t->len, &hit) < 0)
                return TH_ENOMEM;
            if (hit)
                t->abbr = true;
            else
                t->sentbreak = true;
        }
    }
    return 0;
}

/* type_no_period of t (in w->types). */
static void type_no_period(const struct punkt_work *w, const struct ptok *t,
                           const char **k, size_t *klen)
{
    *k = w->types.ptr + t->type_off;
    *klen = t->type_len;
    if (*klen > 1 && (*k)[*klen - 1] == '.')
        (*klen)--;
}

enum ortho_answer { ORTHO_FALSE, ORTHO_TRUE, ORTHO_UNKNOWN };

/*
 * What _second_pass_annotation(t1, t2) reads, t1 being period-final:
 * t1's type without its period, t2's type (without its period when t2
 * is a sentence break: the key of both the orthographic heuristic and
 * the collocation test) and a few annotations.
 */
struct pair_facts {
    const char *typ;     /* t1's type without its final period */
    size_t typ_len;      /* its length */
    const char *next;    /* t2's type, as above */
    size_t next_len;     /* its length */
    bool abbr;           /* t1: abbreviation (first pass) */
    bool ellipsis;       /* t1: ellipsis */
    bool sentbreak;      /* t1: sentence break (first pass) */
    bool initial;        /* t1: a letter and a period */
    bool number;         /* t1's type is ##number## */
    bool t2_upper;       /* t2's first character is upper case */
    bool t2_lower;       /* t2's first character is lower case */
    bool t2_punct;       /* t2 is one of ; : , . ! ? alone */
};

/* _ortho_heuristic(t2); oc: the orthographic context of its type. */
static enum ortho_answer ortho_heuristic(const struct pair_facts *f,
                                         unsigned oc)
{
    if (f->t2_punct)
        return ORTHO_FALSE;
    if (f->t2_upper && (oc & NLP_ORTHO_LC) && !(oc & NLP_ORTHO_MID_UC))
        return ORTHO_TRUE;
    if (f->t2_lower && ((oc & NLP_ORTHO_UC) || !(oc & NLP_ORTHO_BEG_LC)))
        return ORTHO_FALSE;
    return ORTHO_UNKNOWN;
}

/*
 * t1's sentence-break annotation after _second_pass_annotation(t1, t2).
 * (Where NLTK also marks t1 an abbreviation, nothing reads it later:
 * the pair (t1, t2) is t1's last.)
 */
static bool pair_sentbreak(const struct th_nlp *nlp,
                           const struct pair_facts *f)
{
    if (is_colloc(nlp, f->typ, f->typ_len, f->next, f->next_len))
        return false;
    /*
     * The orthographic context of t2's type only where an answer depends
     * on it (NLTK's English table is large, a lookup often a cache miss):
     * after an abbreviation or ellipsis only ORTHO_TRUE counts, which
     * needs t2 upper case; after an initial or number, a t2 that is
     * punctuation (never cased) or neither upper nor lower case decides
     * without it.
     */
    bool after_abbr = (f->abbr || f->ellipsis) && !f->initial;
    bool after_initial = f->initial || f->number;
    if (!(after_abbr && f->t2_upper) &&
        !(after_initial && (f->t2_upper || f->t2_lower)))
        return after_initial && f->t2_punct ? false : f->sentbreak;
    const struct nlp_type_slot *ns =
        type_find(&nlp->ortho_table, f->next, f->next_len);
    unsigned oc = ns ? ns->ortho : 0;
    if (after_abbr) {
        if (ortho_heuristic(f, oc) == ORTHO_TRUE)
            return true;
        if (f->t2_upper &&
            (type_kinds(nlp, f->next, f->next_len) & NLP_TYPE_STARTER))
            return true;
    }
    if (after_initial) {
        enum ortho_answer a = ortho_heuristic(f, oc);
        if (a == ORTHO_FALSE)
            return false;
        if (a == ORTHO_UNKNOWN && f->initial && f->t2_upper &&
            !(oc & NLP_ORTHO_LC))
            return false;
    }
    return f->sentbreak;
}

static bool is_initial(const char *s, size_t len)
{
    if (len < 2 || s[len - 1] != '.')
        return false;
    size_t l;
    unsigned cls = nlp_class_at(s, len - 1, &l);
    return l == len - 1 && (cls & NLP_WORD) && !(cls & NLP_DIGIT);
}

/* _second_pass_annotation(t1, t2). */
static void second_pass(const struct th_nlp *nlp,
                        const struct punkt_work *w, const char *ctx,
                        struct ptok *t1, const struct ptok *t2)
{
    if (!t1->period_final)
        return;
    struct pair_facts f;
    type_no_period(w, t1, &f.typ, &f.typ_len);
    if (t2->sentbreak) {
        type_no_period(w, t2, &f.next, &f.next_len);
    } else {
        f.next = w->types.ptr + t2->type_off;
        f.next_len = t2->type_len;
    }
    f.abbr = t1->abbr;
    f.ellipsis = t1->ellipsis;
    f.sentbreak = t1->sentbreak;
    f.initial = is_initial(ctx + t1->off, t1->len);
    f.number = f.typ_len == sizeof(number_type) - 1 &&
               !memcmp(f.typ, number_type, f.typ_len);
    f.t2_upper = t2->first_upper;
    f.t2_lower = t2->first_lower;
    f.t2_punct = t2->len == 1 && strchr(";:,.!?", ctx[t2->off]);
    t1->sentbreak = pair_sentbreak(nlp, &f);
}

/* text_contains_sentbreak(ctx[0..n)). */
static int contains_sentbreak(const struct th_nlp *nlp,
                              struct punkt_work *w, const char *ctx,
                              size_t n, bool *out)
{
    *out = false;
    if (tokenize_words(w, ctx, n) < 0 ||
        first_pass(nlp, w, ctx) < 0)
        return TH_ENOMEM;
    for (size_t i = 0; i + 1 < w->n_toks; i++) {
        second_pass(nlp, w, ctx, &w->toks[i], &w->toks[i + 1]);
        if (w->toks[i].sentbreak) {
            *out = true;
            return 0;
        }
    }
    return 0;
}

/* State of one split: the sentence breaks found so far. */
struct splitter {
    const struct th_nlp *nlp;   /* parameters */
    const char *text;           /* the text */
    size_t len;                 /* its length */
    struct punkt_work w;        /* scratch of the full procedure */
    struct nlp_span *raw;       /* spans between breaks (heap) */
    size_t n_raw;               /* spans stored */
    size_t cap_raw;             /* spans allocated */
    size_t last_break;          /* start of the current span */
    nlp_trace_fn trace;         /* decision trace, or NULL */
    void *tctx;                 /* its context */
    const uint64_t *ends;       /* bit k: text[k] is '.', '?' or '!'
                                   (nlp_copy_scan), or NULL: scan */
};

static int decide(struct splitter *sp, struct cand *c);

/* Bytes of w equal to b have their high bit set in the result. */
static inline uint64_t bytes_equal(uint64_t w, unsigned char b)
{
    uint64_t x = w ^ (0x0101010101010101ULL * b);
    return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

/*
 * Index of the first '.', '?' or '!' in s[i..n), or n: 16 bytes a step
 * with SSE2, else 8 (SWAR).
 */
static size_t next_end_char(const char *s, size_t n, size_t i)
{
#ifdef __SSE2__
    const __m128i dot = _mm_set1_epi8('.'), q = _mm_set1_epi8('?');
    const __m128i ex = _mm_set1_epi8('!');
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, dot),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, q),
                                              _mm_cmpeq_epi8(v, ex)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return i + (size_t)__builtin_ctz(bits);
        i += 16;
    }
#endif
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (bytes_equal(w, '.') | bytes_equal(w, '?') | bytes_equal(w, '!'))
            break;
        i += 8;
    }
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' || c == '?' || c == '!')
            return i;
    }
    return n;
}

/* The same from the bit map of nlp_copy_scan(). */
static size_t next_end_bit(const uint64_t *ends, size_t n, size_t i)
{
    if (i >= n)
        return n;
    size_t k = i >> 6;
    uint64_t m = ends[k] & (~(uint64_t)0 << (i & 63));
    size_t last = (n - 1) >> 6;
    while (!m) {
        if (++k > last)
            return n;
        m = ends[k];
    }
    size_t pos = (k << 6) + (size_t)__builtin_ctzll(m);
    return pos < n ? pos : n;
}

static bool is_ascii_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * One past the last ASCII whitespace byte in text[lo, hi), NO_POS when
 * there is none; 16 bytes a step backwards with SSE2 (words are short,
 * so usually one step).
 */
static size_t last_ascii_space(const char *text, size_t lo, size_t hi)
{
    size_t j = hi;
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' '), c8 = _mm_set1_epi8(8);
    const __m128i c14 = _mm_set1_epi8(14);
    while (j >= lo + 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)
                                    (text + j - 16));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, sp),
                                 _mm_and_si128(_mm_cmpgt_epi8(v, c8),
                                               _mm_cmplt_epi8(v, c14)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return j - 16 + (size_t)(32 - __builtin_clz(bits));
        j -= 16;
    }
#endif
    for (; j > lo; j--)
        if (is_ascii_space((unsigned char)text[j - 1]))
            return j;
    return NO_POS;
}

/* The end of after_tok: of the next token, or of the non-word byte. */
static size_t cand_after_end(const char *text, size_t len, struct cand *c)
{
    if (!c->after_end) {
        size_t k = c->next_start, l;
        while (k < len && !is_space_at(text, len, k, &l))
            k += l;
        c->after_end = k;
    }
    return c->after_end;
}

/*
 * The candidates NLTK 3.8's _match_potential_end_contexts yields, in
 * order. Every '.', '?' or '!' followed by a non-word character or by
 * whitespace and more text is a match of period_context_re. The "word
 * before" match k is text[a_k, s_k) with s_k its position: a_k is one past
 * the last ASCII whitespace (string.whitespace) in text[s_(k-1), s_k), or
 * a_(k-1) when there is none or when it is the gap's first character
 * (NLTK's _get_last_whitespace_index returns 0 for both). Match k is kept
 * when it is the last one or s_k <= a_(k+1). Each gap is scanned once.
 */
static int find_candidates(const char *text, size_t len,
                           struct splitter *sp)
{
    bool have_prev = false;
    struct cand prev = {0};
    size_t prev_a = 0, prev_s = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        i = sp->ends ? next_end_bit(sp->ends, len - 1, i)
                     : next_end_char(text, len - 1, i);
        if (i + 1 >= len)
            break;
        struct cand cd = {.pos = i, .next_start = NO_POS};
        unsigned char d = (unsigned char)text[i + 1];
        size_t l;
        if (is_nonword_byte(d)) {
            cd.after_end = i + 2;
        } else if (is_space_at(text, len, i + 1, &l)) {
            size_t k = i + 1 + l;
            while (k < len && is_space_at(text, len, k, &l))
                k += l;
            if (k >= len)
                continue;
            cd.next_start = k;
        } else {
            continue;
        }
        size_t a = last_ascii_space(text, prev_s + 1, i);
        if (a == NO_POS)
            a = prev_a;
        if (have_prev && prev_s <= a) {
            int rc = decide(sp, &prev);
            if (rc < 0)
                return rc;
        }
        cd.word_start = a;
        cd.word_end = i;
        prev = cd;
        prev_a = a;
        prev_s = i;
        have_prev = true;
    }
    return have_prev ? decide(sp, &prev) : 0;
}

/* re_boundary_realignment.match(text[s..e]): bytes to keep, and m.end(). */
static bool realign_match(const char *text, size_t s, size_t e,
                          size_t *keep_out, size_t *end_out)
{
    size_t i = s;
    while (i < e) {
        char c = text[i];
        if (c != '"' && c != '\'' && c != ')' && c != ']' && c != '}')
            return false;
        i++;
        size_t l;
        if (i < e && is_space_at(text, e, i, &l)) {
            size_t j = i + l;
            while (j < e && is_space_at(text, e, j, &l))
                j += l;
            *keep_out = i - s;
            *end_out = j - s;
            return true;
        }
        if ((i + 1 < e && text[i] == '-' && text[i + 1] == '-') || i == e) {
            *keep_out = i - s;
            *end_out = i - s;
            return true;
        }
    }
    return false;
}

static int push_span(struct nlp_span **arr, size_t *n, size_t *cap,
                     size_t start, size_t end)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct nlp_span *a = realloc(*arr, nc * sizeof(*a));
        if (!a)
            return TH_ENOMEM;
        *arr = a;
        *cap = nc;
    }
    (*arr)[*n].start = start;
    (*arr)[*n].end = end;
    (*n)++;
    return 0;
}

static void mark_special(struct th_nlp *nlp, const char *type)
{
    size_t l = strlen(type);
    char c = type[0];
    uint32_t bit = l < 32 ? (uint32_t)1 << l : (uint32_t)1 << 31;
    if (c >= 'a' && c <= 'z')
        nlp->special_len[c - 'a'] |= bit;
    if (c >= 'a' && c <= 'z' && type[1] >= 'a' && type[1] <= 'z')
        nlp->special2[(c - 'a') * 26 + (type[1] - 'a')] |= bit;
}

static bool is_ascii_str(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Enter type key with the bits kinds and ortho into table tb. */
static void type_add(struct nlp_type_table *tb, const char *key,
                     unsigned kinds, unsigned ortho)
{
    size_t n = strlen(key);
    uint64_t h = type_hash(key, n);
    uint8_t tag = (uint8_t)(h >> 48);
    size_t i = (size_t)h & tb->mask;
    struct nlp_type_slot *t = &tb->slots[i];
    while (t->len != NLP_TYPE_EMPTY && !slot_is(t, key, n, tag)) {
        i = (i + 1) & tb->mask;
        t = &tb->slots[i];
    }
    if (t->len == NLP_TYPE_EMPTY) {
        if (n <= NLP_TYPE_INLINE) {
            memcpy(t->key.bytes, key, n);
            t->len = (uint8_t)n;
        } else {
            /* (parameter strings outlive the table; under 4 GiB, see
             * punkt_params.c) */
            t->key.big.ptr = key;
            t->key.big.len = (uint32_t)n;
            t->len = NLP_TYPE_LONG;
        }
        t->tag = tag;
    }
    t->kinds |= (uint8_t)kinds;
    t->ortho |= (uint8_t)ortho;
}

/* An empty table for n types: at most two thirds full (short probe runs,
 * and an empty slot always). */
static int table_new(struct nlp_type_table *tb, size_t n)
{
    size_t slots = 16;
    while (2 * slots < 3 * n)
        slots *= 2;
    tb->slots = malloc(slots * sizeof(*tb->slots));
    if (!tb->slots)
        return TH_ENOMEM;
    for (size_t i = 0; i < slots; i++)
        tb->slots[i] = (struct nlp_type_slot){.len = NLP_TYPE_EMPTY};
    tb->mask = slots - 1;
    return 0;
}

int nlp_punkt_prepare(struct th_nlp *nlp)
{
    const struct nlp_punkt_params *p = nlp->params;
    if (table_new(&nlp->kinds_table,
                  p->n_abbrevs + p->n_collocs + p->n_starters) < 0 ||
        table_new(&nlp->ortho_table, p->n_ortho) < 0)
        return TH_ENOMEM;
    struct nlp_type_table *k = &nlp->kinds_table;
    for (size_t i = 0; i < p->n_abbrevs; i++)
        type_add(k, p->abbrevs[i], NLP_TYPE_ABBREV, 0);
    for (size_t i = 0; i < p->n_collocs; i++)
        type_add(k, p->collocs[i].first, NLP_TYPE_COLLOC_FIRST, 0);
    for (size_t i = 0; i < p->n_starters; i++)
        type_add(k, p->starters[i], NLP_TYPE_STARTER, 0);
    for (size_t i = 0; i < p->n_ortho; i++)
        type_add(&nlp->ortho_table, p->ortho[i].type, 0, p->ortho[i].flags);
    memset(nlp->special_len, 0, sizeof(nlp->special_len));
    memset(nlp->special2, 0, sizeof(nlp->special2));
    nlp->ascii_types = true;
    for (size_t i = 0; i < p->n_abbrevs; i++) {
        mark_special(nlp, p->abbrevs[i]);
        nlp->ascii_types &= is_ascii_str(p->abbrevs[i]);
    }
    nlp->period_colloc = false;
    for (size_t i = 0; i < p->n_collocs; i++) {
        nlp->period_colloc |= !strcmp(p->collocs[i].first, ".");
        mark_special(nlp, p->collocs[i].first);
        nlp->ascii_types &= is_ascii_str(p->collocs[i].first);
    }
    return 0;
}

/*
 * Is c one of ) " ; } ] * : @ ( { [ ? Those are Punkt "non-word"
 * characters that cannot start a word, so each is a one-character Punkt
 * token, and a '.' right after one starts a token of its own.
 */
static bool lone_period_after(unsigned char c)
{
    switch (c) {
    case ')': case '"': case ';': case '}': case ']': case '*': case ':':
    case '@': case '(': case '{': case '[':
        return true;
    default:
        return false;
    }
}

/*
 * The lookups of the fast decisions for an ASCII Punkt token w[0..wl)
 * (without its period) whose type is its lowercase: first_pass's
 * abbreviation test (the type, and its part after the last dash), and
 * second_pass's collocation test (a collocation's first type). -1 when
 * one may hit (the full procedure decides), 1 when none does.
 */
static int fast_ascii_type(const struct th_nlp *nlp, const unsigned char *w,
                           size_t wl)
{
    char low[64];
    for (size_t k = 0; k < wl; k++)
        low[k] = (char)(w[k] >= 'A' && w[k] <= 'Z' ? w[k] | 0x20 : w[k]);
    if (type_kinds(nlp, low, wl) & (NLP_TYPE_ABBREV | NLP_TYPE_COLLOC_FIRST))
        return -1;
    return dash_part_is_abbrev(nlp, low, wl) ? -1 : 1;
}

/* ‘ ’ “ ”: not word characters, but inside a Punkt word like letters. */
static bool is_curly_quote(uint32_t cp)
{
    return cp >= 0x2018 && cp <= 0x201d && cp != 0x201a && cp != 0x201b;
}

static int fast_unicode_word(const struct th_nlp *nlp,
                             const unsigned char *w, size_t wl)
{
    if (!nlp->ascii_types)
        return -1;
    size_t i = 0, ncp = 0;
    bool nondigit = false, lower_nonascii = false;
    while (i < wl) {
        size_t l;
        uint32_t cp = nlp_decode(w + i, wl - i, &l);
        unsigned cls = nlp_class_of(cp);
        if (!(cls & NLP_WORD) && !is_curly_quote(cp))
            return -1;
        nondigit |= !(cls & NLP_DIGIT);
        lower_nonascii |= cp >= 0x80 && nlp_tolower(cp) >= 0x80;
        i += l;
        ncp++;
    }
    return ncp >= 2 && nondigit && lower_nonascii ? 1 : -1;
}

/*
 * '.' after a word of ASCII digits (see fast_decision): the type is
 * ##number##, so second_pass asks the orthographic heuristic about the
 * next token t2 and keeps the break unless it answers "false". It cannot
 * when t2 starts with an upper-case letter, or is one non-word character
 * other than ; : ! ?. Left to the full procedure: anything else, digits
 * that are an abbreviation type, and a collocation (##number##, t2).
 */
static int fast_number(const struct th_nlp *nlp, const char *text,
                       size_t len, struct cand *c, size_t wl)
{
    const struct nlp_punkt_params *p = nlp->params;
    const size_t nl = sizeof(number_type) - 1;
    const char *w = text + c->word_start;
    if (is_abbrev_type(nlp, w, wl))
        return -1;
    if (c->next_start == NO_POS) {
        char a = text[c->pos + 1];
        if (a == ';' || a == ':' || a == '!' || a == '?' ||
            is_colloc(nlp, number_type, nl, &a, 1))
            return -1;
        return 1;
    }
    const unsigned char *t = (const unsigned char *)text + c->next_start;
    size_t tl = cand_after_end(text, len, c) - c->next_start, e = 1;
    /*
     * A next token starting with an ASCII byte that is no letter and
     * none of ; : , . ! ? has no case: the heuristic answers "unknown",
     * and only a collocation could take the break back (its second type
     * would start with that byte, or be ##number##).
     */
    if (t[0] < 0x80 && !((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z') &&
        !strchr(";:,.!?", t[0])) {
        for (size_t k = 0; k < p->n_collocs; k++) {
            char f = p->collocs[k].second[0];
            if (!strcmp(p->collocs[k].first, number_type) &&
                (f == (char)t[0] || f == '#'))
                return -1;
        }
        return 1;
    }
    if (t[0] < 'A' || t[0] > 'Z')
        return -1;
    while (e < tl && e < 64 && (t[e] | 0x20) >= 'a' && (t[e] | 0x20) <= 'z')
        e++;
    /* the word ends at a non-word byte, or a ',' ending the context */
    if (e == 64 || (e < tl && !is_nonword_byte(t[e]) &&
                    !(t[e] == ',' && e + 1 == tl)))
        return -1;
    char low[64];
    for (size_t k = 0; k < e; k++)
        low[k] = (char)(t[k] | 0x20);
    return is_colloc(nlp, number_type, nl, low, e) ? -1 : 1;
}

/*
 * The decision for candidate c without building its context, when it is
 * certain: 1 (break), 0 (no break), -1 (unknown: run the full procedure).
 *  - '?' and '!' always break: the character is a one-character token
 *    (it ends the word before it and is followed by a non-word character
 *    or whitespace), first_pass marks it a sentence break, and after_tok
 *    gives at least one token after it.
 *  - '.' after a word of 2-63 ASCII letters and digits, at least one of
 *    them a letter (so not a number: _RE_NUMERIC allows only digits and
 *    , . -), that is neither an abbreviation type nor a collocation's
 *    first type (special_len says which lengths and first letters occur
 *    at all, so most words need no lookup; the others are looked up
 *    exactly): "word." is the context's first token (letters and digits
 *    never end a Punkt word; the period is followed by whitespace or a
 *    non-word character), first_pass marks it a sentence break, and
 *    second_pass keeps it (no collocation, not an abbreviation or
 *    ellipsis, not an initial, not a number).
 *  - the same for words with non-ASCII letters (fast_unicode_word), for
 *    numbers (fast_number) and for ASCII words in parts joined by single
 *    dashes, or with one apostrophe inside (fast_ascii_type: the
 *    abbreviation test also looks at the part after the last dash).
 *  - '.' with no word before it, or right after one of ) " ; } ] * : @
 *    ( { [ (lone_period_after) always breaks: the '.' is a Punkt token
 *    of its own (a candidate's '.' is never part of a multi-character
 *    punctuation token: the context ends with the next token), which
 *    first_pass marks a sentence break; unless "." is a collocation's
 *    first type (period_colloc, false for English) second_pass keeps it
 *    (no abbreviation, ellipsis, initial or number), and a token follows
 *    it.
 */
/*
 * '.' after an ASCII word w[0..wl) of letters, digits and $ % + / =,
 * at least one of them a letter (see fast_decision).
 */
static int fast_letter_word(const struct th_nlp *nlp, const unsigned char *w,
                            size_t wl)
{
    if (wl < 2)
        return -1;          /* an initial */
    unsigned char first = w[0] | 0x20, second = w[1] | 0x20;
    if (first >= 'a' && first <= 'z') {
        uint32_t lens = second >= 'a' && second <= 'z'
            ? nlp->special2[(first - 'a') * 26 + (second - 'a')]
            : nlp->special_len[first - 'a'];
        if (!((lens >> (wl < 31 ? wl : 31)) & 1))
            return 1;
    }
    /* an abbreviation or collocation of this length may exist: look up */
    return fast_ascii_type(nlp, w, wl);
}

/*
 * Are the wl bytes before text[pos] ASCII letters and digits, at least
 * one a letter? One 16-byte test (SSE2) for 2 <= wl <= 16 and pos >= 16,
 * the common case; false otherwise (the caller then classifies the word
 * byte by byte, which gives the same answer for such words).
 */
static bool is_alnum_word_before(const char *text, size_t pos, size_t wl)
{
#ifdef __SSE2__
    if (wl < 2 || wl > 16 || pos < 16)
        return false;
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)
                                (text + pos - 16));
    __m128i low = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(low, _mm_set1_epi8('a' - 1)),
                                   _mm_cmplt_epi8(low, _mm_set1_epi8('z' + 1)));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    unsigned lm = (unsigned)_mm_movemask_epi8(letter);
    unsigned dm = (unsigned)_mm_movemask_epi8(digit);
    unsigned word = (0xffffu << (16 - wl)) & 0xffffu;
    return ((lm | dm) & word) == word && (lm & word);
#else
    (void)text;
    (void)pos;
    (void)wl;
    return false;
#endif
}

static int fast_decision(const struct th_nlp *nlp, const char *text,
                         size_t len, struct cand *c)
{
    if (text[c->pos] != '.')
        return 1;
    size_t wl = c->word_end - c->word_start;
    if ((wl == 0 || lone_period_after((unsigned char)text[c->pos - 1])) &&
        !nlp->period_colloc)
        return 1;
    if (wl > 63)
        return -1;
    const unsigned char *w = (const unsigned char *)text + c->word_start;
    if (is_alnum_word_before(text, c->pos, wl))
        return fast_letter_word(nlp, w, wl);
    /* the classes present first (no branch per byte), then the rules
       on dashes and apostrophes only when there are some */
    unsigned acc = 0;
    for (size_t k = 0; k < wl; k++)
        acc |= word_class[w[k]];
    if (acc & WC_OTHER)
        return -1;
    bool letter = acc & WC_LETTER, ascii = !(acc & WC_HIGH), dash = false;
    size_t apos = 0;    /* position of a single apostrophe, 0: none */
    for (size_t k = 0; k < wl && (acc & (WC_DASH | WC_APOS)); k++) {
        if (w[k] == '-') {
            if (k == 0 || k + 1 == wl || w[k - 1] == '-')
                return -1;
            dash = true;
        } else if (w[k] == '\'') {
            if (k == 0 || k + 1 == wl || apos || w[k - 1] == '-')
                return -1;
            apos = k;
        }
    }
    /*
     * One apostrophe inside: it is a Punkt non-word character, so the
     * word before it is a token without a period and the part from it
     * on with the period ("'s.") is the next one, no number or initial.
     * Parts joined by single dashes: one Punkt token (a single '-' ends
     * no word), with a letter no number, not an initial.
     */
    if (apos)
        return ascii && !dash ? fast_ascii_type(nlp, w + apos, wl - apos)
                              : -1;
    if (!ascii)
        return dash ? -1 : fast_unicode_word(nlp, w, wl);
    if (!letter)
        return fast_number(nlp, text, len, c, wl);
    if (dash)
        return fast_ascii_type(nlp, w, wl);
    return fast_letter_word(nlp, w, wl);
}

static int push_break(struct splitter *sp, const struct cand *c)
{
    int rc = push_span(&sp->raw, &sp->n_raw, &sp->cap_raw, sp->last_break,
                       c->pos + 1);
    sp->last_break = c->next_start != NO_POS ? c->next_start : c->pos + 1;
    return rc;
}

static bool is_ascii_letter(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/*
 * Is p[0..n) (n > 0) a run of word-inner bytes (is_word_inner) with
 * single dots inside, starting and ending with a word-inner byte, and at
 * least one ASCII letter? No Punkt word ends inside such a run (a single
 * '.' ends one only as the start of ". . ." patterns, which need
 * whitespace), so with a final period it is one token, no number.
 */
static bool is_dotted_word(const unsigned char *p, size_t n)
{
    bool letter = false;
    if (!is_word_inner(p[0]) || !is_word_inner(p[n - 1]))
        return false;
    for (size_t k = 0; k < n; k++) {
        if (!is_word_inner(p[k]) && !(p[k] == '.' && p[k - 1] != '.'))
            return false;
        letter |= is_ascii_letter(p[k]);
    }
    return letter;
}

/*
 * The full procedure for the most common contexts it gets (abbreviations,
 * initials, "a.m.", ellipses before a word), from the two tokens that
 * decide them, without cutting the context into tokens: 1 (break), 0 (no
 * break) or -1 (another shape). For a '.' followed by whitespace and
 * after_tok:
 *  - the word before is a dotted word W (is_dotted_word: "Dr", "a.m",
 *    "U.S", "J"): W and the period are one token t1, the context's first;
 *    its type is W lowercased with the period, no number;
 *  - or the word before is a dotted word or nothing, then one or more
 *    dots: the word is a token that is no sentence break and not
 *    period-final, so its pair breaks nothing, and the dots with the
 *    period are the next token t1, an ellipsis;
 *  - after_tok starts with a run of ASCII letters that ends it, or ends
 *    before a non-word character or a final ',' (the run is the token t2),
 *    or before a final '.' (t2 is after_tok, a sentence break unless an
 *    abbreviation). Later tokens break nothing when the bytes of
 *    after_tok from the run's end to its last byte (excluded) hold no '.',
 *    '?' or '!': a sentence break is a lone '.', '?' or '!' or ends with
 *    '.', and a token followed by another ends before after_tok's last
 *    byte.
 * text_contains_sentbreak is then pair_sentbreak(t1, t2), with the first
 * pass's annotations of the two (each depends on its own bytes only).
 */
static int direct_decision(const struct th_nlp *nlp, const char *text,
                           size_t len, struct cand *c)
{
    const unsigned char *t = (const unsigned char *)text;
    if (t[c->pos] != '.' || c->next_start == NO_POS)
        return -1;
    size_t wl = c->pos - c->word_start, dots = 0;
    while (dots < wl && t[c->pos - 1 - dots] == '.')
        dots++;
    if (wl > 63 || (wl == dots ? !dots
                               : !is_dotted_word(t + c->word_start,
                                                 wl - dots)))
        return -1;
    size_t a0 = c->next_start, ae = cand_after_end(text, len, c), r = a0;
    while (r < ae && is_ascii_letter(t[r]))
        r++;
    if (r == a0 || r - a0 > 62)
        return -1;
    bool t2_period = r + 1 == ae && t[r] == '.';
    if (r < ae && !t2_period) {
        if (!is_nonword_byte(t[r]) && !(t[r] == ',' && r + 1 == ae))
            return -1;
        for (size_t k = r; k + 1 < ae; k++)
            if (t[k] == '.' || t[k] == '?' || t[k] == '!')
                return -1;
    }
    char typ[64], next[64];
    struct pair_facts f = {.typ = typ, .next = next};
    if (dots) {
        memset(typ, '.', dots);
        f.typ_len = dots;
        f.ellipsis = true;
    } else {
        for (size_t k = 0; k < wl; k++)
            typ[k] = (char)(is_ascii_letter(t[c->word_start + k])
                            ? t[c->word_start + k] | 0x20
                            : t[c->word_start + k]);
        f.typ_len = wl;
        f.abbr = (type_kinds(nlp, typ, wl) & NLP_TYPE_ABBREV) != 0;
        f.sentbreak = !f.abbr;
        f.initial = wl == 1;
    }
    f.next_len = r - a0;
    for (size_t k = 0; k < f.next_len; k++)
        next[k] = (char)(t[a0 + k] | 0x20);
    /* a period-final t2 that is an abbreviation is no sentence break:
       its key keeps the period */
    if (t2_period && (type_kinds(nlp, next, f.next_len) & NLP_TYPE_ABBREV))
        next[f.next_len++] = '.';
    f.t2_upper = t[a0] < 'a';
    f.t2_lower = !f.t2_upper;
    return pair_sentbreak(nlp, &f);
}

/* Decide one kept candidate; a break ends the current span. */
static int decide(struct splitter *sp, struct cand *c)
{
    int fast = sp->trace ? -1 : fast_decision(sp->nlp, sp->text, sp->len,
                                              c);
    if (fast < 0 && !sp->trace)
        fast = direct_decision(sp->nlp, sp->text, sp->len, c);
    if (fast >= 0)
        return fast ? push_break(sp, c) : 0;
    /* the context, the word before, the character and after_tok, is
       one piece of the text: the word ends at the character */
    const char *ctx = sp->text + c->word_start;
    size_t n = cand_after_end(sp->text, sp->len, c) - c->word_start;
    bool brk;
    int rc = contains_sentbreak(sp->nlp, &sp->w, ctx, n, &brk);
    if (rc < 0)
        return rc;
    if (sp->trace) {
        struct nlp_punkt_trace t = {c->pos + 1, brk, ctx, n};
        sp->trace(&t, sp->tctx);
    }
    return brk ? push_break(sp, c) : 0;
}

/*
 * Candidates are decided as the scan finds them; the spans between breaks
 * are then realigned in place (span i of the output is written after
 * spans i and i + 1 of the input were read).
 */
static int punkt_spans(const struct th_nlp *nlp, const char *text,
                       size_t len, const uint64_t *ends,
                       struct nlp_span **spans_out, size_t *n_out,
                       nlp_trace_fn trace, void *tctx)
{
    struct splitter sp = {.nlp = nlp, .text = text, .len = len,
                          .trace = trace, .tctx = tctx, .ends = ends};
    size_t n_outs = 0;
    *spans_out = NULL;
    *n_out = 0;
    /* real text has a sentence every ~150 bytes: one allocation for most
       texts instead of a growth from 16 spans */
    sp.cap_raw = len / 128 + 16;
    sp.raw = malloc(sp.cap_raw * sizeof(*sp.raw));
    if (!sp.raw)
        return TH_ENOMEM;
    int rc = find_candidates(text, len, &sp);
    if (rc < 0)
        goto out;
    size_t end = len, ws;
    while (end > 0 && space_before(text, end, &ws))
        end = ws;
    rc = push_span(&sp.raw, &sp.n_raw, &sp.cap_raw, sp.last_break, end);
    if (rc < 0)
        goto out;

    struct nlp_span *raw = sp.raw;
    size_t n_raw = sp.n_raw, realign = 0;
    for (size_t i = 0; i < n_raw; i++) {
        size_t s1 = raw[i].start + realign, e1 = raw[i].end;
        if (i + 1 == n_raw) {
            if (s1 < e1)
                raw[n_outs++] = (struct nlp_span){s1, e1};
            break;
        }
        size_t keep, mend;
        if (raw[i + 1].start < raw[i + 1].end &&
            realign_match(text, raw[i + 1].start, raw[i + 1].end, &keep,
                          &mend)) {
            raw[n_outs++] = (struct nlp_span){s1, raw[i + 1].start + keep};
            realign = mend;
        } else {
            realign = 0;
            if (s1 < e1)
                raw[n_outs++] = (struct nlp_span){s1, e1};
        }
    }
    *spans_out = sp.raw;
    *n_out = n_outs;
    sp.raw = NULL;
out:
    free(sp.raw);
    free(sp.w.toks);
    nlp_str_release(&sp.w.types);
    return rc;
}

int nlp_punkt_spans_traced(const struct th_nlp *nlp, const char *text,
                           size_t len, struct nlp_span **spans_out,
                           size_t *n_out, nlp_trace_fn trace, void *tctx)
{
    return punkt_spans(nlp, text, len, NULL, spans_out, n_out, trace, tctx);
}

int nlp_punkt_spans(const struct th_nlp *nlp, const char *text, size_t len,
                    struct nlp_span **spans_out, size_t *n_out)
{
    return punkt_spans(nlp, text, len, NULL, spans_out, n_out, NULL, NULL);
}

int nlp_punkt_spans_marked(const struct th_nlp *nlp, const char *text,
                           size_t len, const uint64_t *ends,
                           struct nlp_span **spans_out, size_t *n_out)
{
    return punkt_spans(nlp, text, len, ends, spans_out, n_out, NULL, NULL);
}
