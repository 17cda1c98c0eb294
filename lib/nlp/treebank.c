/*
 * treebank.c: NLTK 3.8's NLTKWordTokenizer.tokenize() (the "improved
 * Treebank" word tokenizer that nltk.word_tokenize runs on each Punkt
 * sentence), without a regular expression engine.
 *
 * Approach: NLTK applies about thirty re.sub() rewrites in a fixed order
 * and then splits on whitespace. Each rewrite is emulated here by one
 * hand-written left-to-right pass with the same semantics as Python's
 * re.sub (leftmost match, non-overlapping, scanning resumes after the
 * match), so the intermediate strings are byte-identical to NLTK's and the
 * final split gives the same tokens. A pass whose trigger characters do
 * not occur in the sentence is skipped (a 256-bit presence set computed
 * once; passes only ever add spaces, backquotes and apostrophes, which are
 * added to the set), so a plain sentence costs a few passes.
 *
 * Speed: the pipeline runs only where it may change something. Most words
 * never reach it: nlp_treebank_tokens() finds chunks (whitespace-free
 * runs) with 64-byte bit masks and emits the ones made of bytes no rule
 * touches straight from the masks' bits (window_bulk; eight slices a step
 * with AVX-512 VBMI2), decides a few more shapes from the
 * masks (window_kind), a byte loop, or fixed piece shapes (fast_pieces,
 * padded_pieces); only the rest, about 1% of chunks, goes through the
 * pipeline, in runs with the whitespace around them. Each tier decides
 * exactly what the pipeline would (the fuzz target compares them).
 *
 * Rejected: a single-pass hand tokenizer. The rewrites interact (padding
 * from one rule creates the spaces a later rule matches on, e.g. "n't "
 * needs the space that the final-period rule inserts), and reproducing
 * every interaction in one state machine is where exactness gets lost.
 *
 * Character classes are Python's (nlp.c). Patterns are matched per code
 * point where NLTK's classes can match non-ASCII ([^\.], \w, \d, \s).
 */
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nlp_internal.h"
#include "../core/banned.h"

#if NLP_HAVE_AVX512
#include <immintrin.h>
#endif

/* Presence set of bytes in the current string. */
struct present {
    uint64_t bits[4];    /* bit b set when byte b may occur */
};

static void present_add(struct present *p, unsigned char c)
{
    p->bits[c >> 6] |= (uint64_t)1 << (c & 63);
}

static bool has(const struct present *p, unsigned char c)
{
    return (p->bits[c >> 6] >> (c & 63)) & 1;
}

static bool has_any(const struct present *p, const char *set)
{
    for (; *set; set++)
        if (has(p, (unsigned char)*set))
            return true;
    return false;
}

/*
 * Unchecked appends: every pass reserves 4 * n + 16 bytes first (the most
 * any NLTK rewrite can grow a string: '"' becomes " '' "), so writes need
 * no bounds checks. They return 0 so that call sites read like checked
 * ones.
 */
static inline int put(struct nlp_str *o, const char *p, size_t n)
{
    memcpy(o->ptr + o->len, p, n);
    o->len += n;
    return 0;
}

static inline int putc1(struct nlp_str *o, char c)
{
    o->ptr[o->len++] = c;
    return 0;
}

static size_t cp_len(const char *s, size_t n, size_t i)
{
    size_t l;
    nlp_class_at(s + i, n - i, &l);
    return l;
}

static unsigned cls_at(const char *s, size_t n, size_t i, size_t *l)
{
    return nlp_class_at(s + i, n - i, l);
}

static uint32_t cp_at(const char *s, size_t n, size_t i, size_t *l)
{
    return nlp_decode((const unsigned char *)s + i, n - i, l);
}

/* Left and right quote code points NLTK pads. */
static bool is_start_quote(uint32_t cp)
{
    return cp == 0xab || cp == 0x201c || cp == 0x2018 || cp == 0x201e;
}

static bool is_end_quote(uint32_t cp)
{
    return cp == 0xbb || cp == 0x201d || cp == 0x2019;
}

/* S1: ([«“‘„]|[`]+) -> " \1 " (triggers: '`' and lead bytes C2, E2) */
static int pass_start_quotes(const char *s, size_t n, struct nlp_str *o)
{
    size_t last = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c != '`' && c != 0xc2 && c != 0xe2) {
            i++;
            continue;
        }
        size_t l;
        if (c == '`') {
            l = 1;
            while (i + l < n && s[i + l] == '`')
                l++;
        } else if (!is_start_quote(cp_at(s, n, i, &l))) {
            i += l;
            continue;
        }
        put(o, s + last, i - last);
        putc1(o, ' ');
        put(o, s + i, l);
        putc1(o, ' ');
        i += l;
        last = i;
    }
    return put(o, s + last, n - last);
}

static int pass_pair(const char *s, size_t n, struct nlp_str *o, char c,
                     const char *rep);

/* S3: (``) -> " \1 " */
static int pass_double_backquote(const char *s, size_t n, struct nlp_str *o)
{
    return pass_pair(s, n, o, '`', " `` ");
}

/* S4: ([ \(\[{<])(\"|\'{2}) -> "\1 `` " (trigger: the quote) */
static int pass_open_quote(const char *s, size_t n, struct nlp_str *o)
{
    size_t last = 0;
    for (size_t q = 1; q < n; q++) {
        size_t len;
        if (s[q] == '"')
            len = 1;
        else if (s[q] == '\'' && q + 1 < n && s[q + 1] == '\'')
            len = 2;
        else
            continue;
        char c = s[q - 1];
        if (q - 1 < last || !(c == ' ' || c == '(' || c == '[' ||
                              c == '{' || c == '<'))
            continue;
        put(o, s + last, q - last);
        put(o, " `` ", 4);
        last = q + len;
        q = last - 1;
    }
    return put(o, s + last, n - last);
}

/* S5 (3.8): (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b -> "\1 \2" */
static int pass_quote_letter(const char *s, size_t n, struct nlp_str *o)
{
    size_t last = 0, i = 0;
    for (const char *p; i < n && (p = memchr(s + i, '\'', n - i));) {
        i = (size_t)(p - s);
        if (i + 1 >= n) {
            i++;
            continue;
        }
        size_t l, l2;
        uint32_t cp = cp_at(s, n, i + 1, &l);
        unsigned cls = nlp_class_of(cp);
        bool boundary = i + 1 + l >= n ||
                        !(cls_at(s, n, i + 1 + l, &l2) & NLP_WORD);
        uint32_t lc = nlp_tolower(cp);
        bool excluded = lc == 'm' || lc == 't' || lc == 's' || lc == 'd' ||
                        lc == 'n' || cp == 0x17f;
        if ((cls & NLP_WORD) && boundary && !excluded) {
            put(o, s + last, i - last);
            put(o, "' ", 2);
            put(o, s + i + 1, l);
            i += 1 + l;
            last = i;
        } else {
            i++;
        }
    }
    return put(o, s + last, n - last);
}

static bool is_closer_wide(uint32_t cp)
{
    return cp == ']' || cp == ')' || cp == '}' || cp == '>' || cp == '"' ||
           cp == '\'' || cp == 0xbb || cp == 0x201d || cp == 0x2019 ||
           cp == ' ';
}

static bool is_closer_narrow(uint32_t cp)
{
    return cp == ']' || cp == ')' || cp == '}' || cp == '>' || cp == '"' ||
           cp == '\'';
}

/*
 * P1 / P6: ([^\.])(\.)([closers]*)\s*$ -> "\1 \2 \3 " (wide) or
 * "\1 \2\3 " (narrow). Only the last '.' can match.
 */
static int pass_final_period(const char *s, size_t n, struct nlp_str *o,
                             bool wide)
{
    const char *dot = NULL;
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '.') {
            dot = s + i - 1;
            break;
        }
    size_t d = dot ? (size_t)(dot - s) : 0;
    bool ok = dot && d > 0 && s[d - 1] != '.';
    size_t a_end = d + 1;
    if (ok) {
        size_t l;
        while (a_end < n) {
            uint32_t cp = cp_at(s, n, a_end, &l);
            if (!(wide ? is_closer_wide(cp) : is_closer_narrow(cp)))
                break;
            a_end += l;
        }
        size_t k = a_end;
        while (k < n && (cls_at(s, n, k, &l) & NLP_SPACE))
            k += l;
        ok = k == n;
    }
    if (!ok)
        return put(o, s, n);
    /* the char before the dot is one code point ending at d */
    if (put(o, s, d) < 0 || putc1(o, ' ') < 0 || putc1(o, '.') < 0)
        return TH_ENOMEM;
    if (wide && putc1(o, ' ') < 0)
        return TH_ENOMEM;
    if (put(o, s + d + 1, a_end - d - 1) < 0 || putc1(o, ' ') < 0)
        return TH_ENOMEM;
    return 0;
}

/* P2: ([:,])([^\d]) -> " \1 \2" */
static int pass_comma_colon(const char *s, size_t n, struct nlp_str *o)
{
    size_t last = 0, i = 0;
    while (i < n) {
        if ((s[i] != ':' && s[i] != ',') || i + 1 >= n) {
            i++;
            continue;
        }
        size_t l;
        if (cls_at(s, n, i + 1, &l) & NLP_DIGIT) {
            i++;
            continue;
        }
        put(o, s + last, i - last);
        putc1(o, ' ');
        putc1(o, s[i]);
        putc1(o, ' ');
        put(o, s + i + 1, l);
        i += 1 + l;
        last = i;
    }
    return put(o, s + last, n - last);
}

/* P3: ([:,])$ -> " \1 " ($: the end, or before a final newline) */
static int pass_comma_end(const char *s, size_t n, struct nlp_str *o)
{
    size_t at = SIZE_MAX;
    if (n >= 2 && s[n - 1] == '\n' && (s[n - 2] == ':' || s[n - 2] == ','))
        at = n - 2;
    else if (n >= 1 && (s[n - 1] == ':' || s[n - 1] == ','))
        at = n - 1;
    if (at == SIZE_MAX)
        return put(o, s, n);
    if (put(o, s, at) < 0 || putc1(o, ' ') < 0 || putc1(o, s[at]) < 0 ||
        putc1(o, ' ') < 0 || put(o, s + at + 1, n - at - 1) < 0)
        return TH_ENOMEM;
    return 0;
}

/* P4: \.{2,} -> " \g<0> " */
static int pass_dots(const char *s, size_t n, struct nlp_str *o)
{
    size_t last = 0, i = 0;
    for (const char *p; i < n && (p = memchr(s + i, '.', n - i));) {
        i = (size_t)(p - s);
        size_t j = i;
        while (j < n && s[j] == '.')
            j++;
        if (j - i >= 2) {
            put(o, s + last, i - last);
            putc1(o, ' ');
            put(o, s + i, j - i);
            putc1(o, ' ');
            last = j;
        }
        i = j;
    }
    return put(o, s + last, n - last);
}

/* Pad every byte of set with spaces: [set] -> " \g<0> " */
static int pass_pad_bytes(const char *s, size_t n, struct nlp_str *o,
                          const char *set)
{
    bool in[256] = {false};
    for (; *set; set++)
        in[(unsigned char)*set] = true;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in[(unsigned char)s[i]])
            continue;
        put(o, s + last, i - last);
        char b[3] = {' ', s[i], ' '};
        put(o, b, 3);
        last = i + 1;
    }
    return put(o, s + last, n - last);
}

/* Pad code points matching pred (all non-ASCII) with spaces. */
static int pass_pad_cps(const char *s, size_t n, struct nlp_str *o,
                        bool (*pred)(uint32_t))
{
    size_t last = 0, i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0xc2) {
            i++;
            continue;
        }
        size_t l;
        uint32_t cp = cp_at(s, n, i, &l);
        if (pred(cp)) {
            put(o, s + last, i - last);
            putc1(o, ' ');
            put(o, s + i, l);
            putc1(o, ' ');
            last = i + l;
        }
        i += l;
    }
    return put(o, s + last, n - last);
}

/* Start of the code point ending at pos (pos > 0); pos - 1 if invalid. */
static size_t cp_before(const char *s, size_t pos)
{
    size_t p = pos - 1;
    size_t lim = pos >= 4 ? pos - 4 : 0;
    while (p > lim && ((unsigned char)s[p] & 0xc0) == 0x80)
        p--;
    size_t l;
    nlp_decode((const unsigned char *)s + p, pos - p, &l);
    return p + l == pos ? p : pos - 1;
}

static bool is_dash_2012(uint32_t cp)
{
    return cp >= 0x2012 && cp <= 0x2015;
}

/* P8: ([^'])' -> "\1 ' " (trigger: the quote) */
static int pass_quote_space(const char *s, size_t n, struct nlp_str *o)
{
    size_t last = 0, i = 0;
    for (const char *p; i < n && (p = memchr(s + i, '\'', n - i));) {
        size_t q = (size_t)(p - s);
        i = q + 1;
        if (q == 0 || q + 1 >= n || s[q + 1] != ' ')
            continue;
        size_t m = cp_before(s, q);
        if (m < last || s[m] == '\'')
            continue;
        put(o, s + last, q - last);
        put(o, " ' ", 3);
        last = q + 2;
        i = last;
    }
    return put(o, s + last, n - last);
}

/* DOUBLE_DASHES: -- -> " -- " ; ENDING '' -> " '' " (same shape) */
static int pass_pair(const char *s, size_t n, struct nlp_str *o, char c,
                     const char *rep)
{
    size_t rl = strlen(rep), last = 0, i = 0;
    for (const char *q; i < n && (q = memchr(s + i, c, n - i));) {
        i = (size_t)(q - s);
        if (i + 1 < n && s[i + 1] == c) {
            put(o, s + last, i - last);
            put(o, rep, rl);
            i += 2;
            last = i;
        } else {
            i++;
        }
    }
    return put(o, s + last, n - last);
}

/* E3: " -> " '' " */
static int pass_dquote_end(const char *s, size_t n, struct nlp_str *o)
{
    size_t last = 0;
    for (const char *q; last < n && (q = memchr(s + last, '"', n - last));) {
        size_t i = (size_t)(q - s);
        put(o, s + last, i - last);
        put(o, " '' ", 4);
        last = i + 1;
    }
    return put(o, s + last, n - last);
}

/* E3b (later NLTK): \s+ -> " " */
static int pass_collapse_space(const char *s, size_t n, struct nlp_str *o)
{
    for (size_t i = 0; i < n;) {
        size_t l;
        if (cls_at(s, n, i, &l) & NLP_SPACE) {
            while (i < n && (cls_at(s, n, i, &l) & NLP_SPACE))
                i += l;
            if (putc1(o, ' ') < 0)
                return TH_ENOMEM;
            continue;
        }
        if (put(o, s + i, l) < 0)
            return TH_ENOMEM;
        i += l;
    }
    return 0;
}

/*
 * E4: ([^' ])('[sS]|'[mM]|'[dD]|') -> "\1 \2 "
 * E5: ([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) -> "\1 \2 "
 */
static size_t clitic_e4(const char *s, size_t n, size_t j)
{
    if (j >= n || s[j] != '\'')
        return 0;
    if (j + 2 < n && strchr("sSmMdD", s[j + 1]) && s[j + 1] &&
        s[j + 2] == ' ')
        return 2;
    if (j + 1 < n && s[j + 1] == ' ')
        return 1;
    return 0;
}

static size_t clitic_e5(const char *s, size_t n, size_t j)
{
    static const char *const forms[] = {"'ll", "'LL", "'re", "'RE", "'ve",
                                        "'VE", "n't", "N'T"};
    if (j + 3 >= n || s[j + 3] != ' ')
        return 0;
    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++)
        if (!memcmp(s + j, forms[k], 3))
            return 3;
    return 0;
}

/*
 * E4 / E5 with the quote as trigger: the form starts at the quote (or, for
 * n't / N'T, one byte before it) and is preceded by one code point that is
 * neither a quote nor a space.
 */
static int pass_clitics(const char *s, size_t n, struct nlp_str *o,
                        size_t (*clitic)(const char *, size_t, size_t),
                        bool e5)
{
    size_t last = 0, i = 0;
    for (const char *p; i < n && (p = memchr(s + i, '\'', n - i));) {
        size_t q = (size_t)(p - s);
        i = q + 1;
        size_t f = q;
        if (e5 && q > 0 && (s[q - 1] == 'n' || s[q - 1] == 'N') &&
            q + 1 < n && (s[q + 1] == 't' || s[q + 1] == 'T'))
            f = q - 1;
        if (f == 0)
            continue;
        size_t m = clitic(s, n, f);
        if (!m)
            continue;
        size_t c = cp_before(s, f);
        if (c < last || s[c] == '\'' || s[c] == ' ')
            continue;
        put(o, s + last, f - last);
        putc1(o, ' ');
        put(o, s + f, m);
        putc1(o, ' ');
        last = f + m + 1;
        i = last;
    }
    return put(o, s + last, n - last);
}

static bool is_word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z') || c == '_';
}

/* Case-insensitive ASCII compare of s[i..i+len(lit)) with lowercase lit. */
static bool ci_eq(const char *s, size_t n, size_t i, const char *lit)
{
    for (; *lit; lit++, i++) {
        if (i >= n)
            return false;
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != *lit)
            return false;
    }
    return true;
}

static bool word_before(const char *s, size_t i)
{
    if (i == 0)
        return false;
    size_t p = i - 1;
    size_t lim = i >= 4 ? i - 4 : 0;
    while (p > lim && ((unsigned char)s[p] & 0xc0) == 0x80)
        p--;
    size_t l;
    unsigned cls = nlp_class_at(s + p, i - p, &l);
    if (p + l != i)
        return false;
    return (cls & NLP_WORD) != 0;
}

static bool word_at(const char *s, size_t n, size_t i)
{
    size_t l;
    return i < n && (cls_at(s, n, i, &l) & NLP_WORD);
}

/* One MacIntyre contraction: \b(a)(b)\b, or (?=\s) after b for wanna. */
struct contraction {
    const char *a;       /* first part, lowercase */
    const char *b;       /* second part, lowercase */
    bool space_after;    /* (?=\s) instead of \b at the end */
    bool lead_space;     /* CONTRACTIONS3: a literal space before a */
};

static const struct contraction contractions[] = {
    {"can", "not", false, false},  {"d", "'ye", false, false},
    {"gim", "me", false, false},   {"gon", "na", false, false},
    {"got", "ta", false, false},   {"lem", "me", false, false},
    {"more", "'n", false, false},  {"wan", "na", true, false},
    {"'t", "is", false, true},     {"'t", "was", false, true},
};

static int pass_contraction(const char *s, size_t n, struct nlp_str *o,
                            const struct contraction *c)
{
    size_t la = strlen(c->a), lb = strlen(c->b);
    for (size_t i = 0; i < n;) {
        size_t st = i + (c->lead_space ? 1 : 0);
        bool m = (!c->lead_space || s[i] == ' ') &&
                 ci_eq(s, n, st, c->a) && ci_eq(s, n, st + la, c->b) &&
                 (c->lead_space || !word_before(s, i));
        if (m) {
            size_t e = st + la + lb;
            size_t l;
            if (c->space_after)
                m = e < n && (cls_at(s, n, e, &l) & NLP_SPACE);
            else
                m = !word_at(s, n, e);
        }
        if (m) {
            if (putc1(o, ' ') < 0 || put(o, s + st, la) < 0 ||
                putc1(o, ' ') < 0 || put(o, s + st + la, lb) < 0 ||
                putc1(o, ' ') < 0)
                return TH_ENOMEM;
            i = st + la + lb;
            continue;
        }
        size_t l = cp_len(s, n, i);
        if (put(o, s + i, l) < 0)
            return TH_ENOMEM;
        i += l;
    }
    return 0;
}

/*
 * Which contractions occur in s (bit k for contractions[k]): one scan that
 * compares the literal a+b case-insensitively where its first byte occurs.
 * The passes themselves then run only for those (rare) contractions.
 */
/* Can c (either case) start a contraction literal: c d g l m w ' ? */
static bool first_of_contraction(unsigned char c)
{
    static const uint8_t first[128] = {
        ['c'] = 1, ['d'] = 1, ['g'] = 1, ['l'] = 1, ['m'] = 1, ['w'] = 1,
        ['C'] = 1, ['D'] = 1, ['G'] = 1, ['L'] = 1, ['M'] = 1, ['W'] = 1,
        ['\''] = 1,
    };
    return c < 128 && first[c];
}

static unsigned contractions_present(const char *s, size_t n)
{
    static const size_t n_c = sizeof(contractions) / sizeof(contractions[0]);
    unsigned mask = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!first_of_contraction((unsigned char)c))
            continue;
        /* every literal starts a word (\b) or follows a space (" 't") */
        if (i > 0 && is_word_byte((unsigned char)s[i - 1]))
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        for (size_t k = 0; k < n_c; k++)
            if (contractions[k].a[0] == c &&
                ci_eq(s, n, i, contractions[k].a) &&
                ci_eq(s, n, i + strlen(contractions[k].a),
                      contractions[k].b))
                mask |= 1u << k;
    }
    return mask;
}

/* Scratch pair: run a pass from cur into the other buffer, then swap. */
struct pipe {
    struct nlp_str *buf;  /* two buffers */
    int cur;              /* index of the buffer holding the string */
};

#define RUN(call) do { \
    struct nlp_str *o_ = &pp.buf[1 - pp.cur]; \
    o_->len = 0; \
    if (nlp_str_reserve(o_, 4 * pp.buf[pp.cur].len + 16) < 0) \
        return TH_ENOMEM; \
    if ((call) < 0) \
        return TH_ENOMEM; \
    pp.cur = 1 - pp.cur; \
} while (0)

#define CUR_S pp.buf[pp.cur].ptr
#define CUR_N pp.buf[pp.cur].len
#define OUT (&pp.buf[1 - pp.cur])

static bool has_nonascii(const struct present *p)
{
    return p->bits[2] || p->bits[3];
}

/*
 * The full rewrite pipeline over s[0..n), a piece of the sentence that
 * starts at the sentence start when at_start and ends at its end when
 * at_end (only then do NLTK's ^ and $ rules apply).
 */
static int pipeline(const struct th_nlp *nlp, const char *s, size_t n,
                    bool at_start, bool at_end, struct nlp_str work[2],
                    nlp_emit_fn emit, void *ctx)
{
    struct present pr = {{0}};
    for (size_t i = 0; i < n; i++)
        present_add(&pr, (unsigned char)s[i]);
    present_add(&pr, ' ');
    struct pipe pp = {work, 0};
    work[0].len = 0;
    if (nlp_str_reserve(&work[0], n + 16) < 0)
        return TH_ENOMEM;
    put(&work[0], s, n);
    bool wide = has_nonascii(&pr);

    /* STARTING_QUOTES */
    if (has(&pr, '`') || wide)
        RUN(pass_start_quotes(CUR_S, CUR_N, OUT));
    if (at_start && CUR_N && CUR_S[0] == '"') {
        RUN((put(OUT, "``", 2) < 0 || put(OUT, CUR_S + 1, CUR_N - 1) < 0)
                ? TH_ENOMEM : 0);
        present_add(&pr, '`');
    }
    if (has(&pr, '`'))
        RUN(pass_double_backquote(CUR_S, CUR_N, OUT));
    if (has(&pr, '"') || has(&pr, '\'')) {
        RUN(pass_open_quote(CUR_S, CUR_N, OUT));
        present_add(&pr, '`');
    }
    if (has(&pr, '\''))
        RUN(pass_quote_letter(CUR_S, CUR_N, OUT));

    /* PUNCTUATION */
    if (at_end && has(&pr, '.'))
        RUN(pass_final_period(CUR_S, CUR_N, OUT, true));
    if (has(&pr, ':') || has(&pr, ',')) {
        RUN(pass_comma_colon(CUR_S, CUR_N, OUT));
        if (at_end)
            RUN(pass_comma_end(CUR_S, CUR_N, OUT));
    }
    if (has(&pr, '.'))
        RUN(pass_dots(CUR_S, CUR_N, OUT));
    if (has_any(&pr, ";@#$%&"))
        RUN(pass_pad_bytes(CUR_S, CUR_N, OUT, ";@#$%&"));
    if (nlp->pad_dashes && wide)
        RUN(pass_pad_cps(CUR_S, CUR_N, OUT, is_dash_2012));
    if (at_end && has(&pr, '.'))
        RUN(pass_final_period(CUR_S, CUR_N, OUT, false));
    if (has(&pr, '?') || has(&pr, '!'))
        RUN(pass_pad_bytes(CUR_S, CUR_N, OUT, "?!"));
    if (has(&pr, '\''))
        RUN(pass_quote_space(CUR_S, CUR_N, OUT));
    if (has(&pr, '*'))
        RUN(pass_pad_bytes(CUR_S, CUR_N, OUT, "*"));
    if (has_any(&pr, "[](){}<>"))
        RUN(pass_pad_bytes(CUR_S, CUR_N, OUT, "[](){}<>"));
    if (has(&pr, '-'))
        RUN(pass_pair(CUR_S, CUR_N, OUT, '-', " -- "));

    RUN((putc1(OUT, ' ') < 0 || put(OUT, CUR_S, CUR_N) < 0 ||
         putc1(OUT, ' ') < 0) ? TH_ENOMEM : 0);

    /* ENDING_QUOTES */
    if (wide)
        RUN(pass_pad_cps(CUR_S, CUR_N, OUT, is_end_quote));
    if (has(&pr, '\''))
        RUN(pass_pair(CUR_S, CUR_N, OUT, '\'', " '' "));
    if (has(&pr, '"')) {
        RUN(pass_dquote_end(CUR_S, CUR_N, OUT));
        present_add(&pr, '\'');
    }
    if (nlp->collapse_space)
        RUN(pass_collapse_space(CUR_S, CUR_N, OUT));
    if (has(&pr, '\'')) {
        RUN(pass_clitics(CUR_S, CUR_N, OUT, clitic_e4, false));
        RUN(pass_clitics(CUR_S, CUR_N, OUT, clitic_e5, true));
    }

    /*
     * CONTRACTIONS2 and CONTRACTIONS3. A rewrite pads with spaces and so
     * can create a match of a later pattern (" 'tis" in "cannot'tis",
     * " 'twas" in "'tis'twas"): the mask is taken again after each
     * rewrite (they are rare).
     */
    unsigned cmask = contractions_present(CUR_S, CUR_N);
    bool ran = false;
    for (size_t k = 0; cmask && k < sizeof(contractions) /
                                    sizeof(contractions[0]); k++) {
        if (ran) {
            cmask = contractions_present(CUR_S, CUR_N);
            ran = false;
        }
        if (cmask & (1u << k)) {
            RUN(pass_contraction(CUR_S, CUR_N, OUT, &contractions[k]));
            ran = true;
        }
    }

    /* text.split() (ASCII bytes classified inline) */
    const char *t = CUR_S;
    const unsigned char *tu = (const unsigned char *)t;
    size_t tn = CUR_N;
    size_t i = 0;
    while (i < tn) {
        size_t l = 1;
        if (tu[i] < 0x80 ? (nlp_ascii_class[tu[i]] & NLP_SPACE)
                         : (cls_at(t, tn, i, &l) & NLP_SPACE)) {
            i += l;
            continue;
        }
        size_t j = i;
        while (j < tn) {
            l = 1;
            if (tu[j] < 0x80 ? (nlp_ascii_class[tu[j]] & NLP_SPACE)
                             : (cls_at(t, tn, j, &l) & NLP_SPACE))
                break;
            j += l;
        }
        int rc = emit(t + i, j - i, ctx);
        if (rc < 0)
            return rc;
        i = j;
    }
    return 0;
}

static bool is_ascii_ws(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Byte classes of the chunk scanner (and of the contraction-word check). */
enum {
    B_WS = 1,       /* ASCII whitespace */
    B_PLAIN = 2,    /* a byte no rewrite touches */
    B_DOT = 4,      /* '.' */
    B_PUNCT = 8,    /* , : ; ? ! */
    B_WORD = 16,    /* [A-Za-z0-9_] */
    B_CWORD = 32,   /* first letter of a MacIntyre contraction word */
};

/* Byte classes (enum above) of every byte; non-ASCII bytes have none. */
static const uint8_t byte_class[256] = {
     0,  0,  0,  0,  0,  0,  0,  0,  0,  1,  1,  1,  1,  1,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     1,  8,  0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  8,  0,  4,  2,
    18, 18, 18, 18, 18, 18, 18, 18, 18, 18,  8,  8,  0,  2,  0,  8,
     0, 18, 18, 50, 18, 18, 18, 50, 18, 18, 18, 18, 50, 18, 18, 18,
    18, 18, 18, 18, 18, 18, 18, 50, 18, 18, 18,  0,  2,  0,  2, 18,
     0, 18, 18, 50, 18, 18, 18, 50, 18, 18, 18, 18, 50, 18, 18, 18,
    18, 18, 18, 18, 18, 18, 18, 50, 18, 18, 18,  0,  2,  0,  2,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
};

/* Is one of the whole-word MacIntyre contractions a word of s[0..n)? */
static bool has_contraction_word(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    if (n < 5)
        return false;
    while (i < n) {
        while (i < n && !(byte_class[u[i]] & B_WORD))
            i++;
        size_t w = i;
        if (i < n && !(byte_class[u[i]] & B_CWORD)) {
            while (i < n && (byte_class[u[i]] & B_WORD))
                i++;
            continue;       /* a word not starting with c g l w */
        }
        while (i < n && (byte_class[u[i]] & B_WORD))
            i++;
        size_t len = i - w;
        if (len != 5 && len != 6)
            continue;
        switch (s[w] | 0x20) {
        case 'c':
            if (len == 6 && ci_eq(s + w, len, 0, "cannot"))
                return true;
            break;
        case 'g':
            if (len == 5 && (ci_eq(s + w, len, 0, "gimme") ||
                             ci_eq(s + w, len, 0, "gonna") ||
                             ci_eq(s + w, len, 0, "gotta")))
                return true;
            break;
        case 'l':
            if (len == 5 && ci_eq(s + w, len, 0, "lemme"))
                return true;
            break;
        case 'w':
            if (len == 5 && ci_eq(s + w, len, 0, "wanna"))
                return true;
            break;
        default:
            break;
        }
    }
    return false;
}

/* How a whitespace-free chunk is tokenized. */
enum chunk_kind {
    CHUNK_RUN,          /* needs the full pipeline */
    CHUNK_WHOLE,        /* one token, as it stands */
    CHUNK_SPLIT_LAST,   /* two tokens: all but the last byte, the last */
    CHUNK_PIECES,       /* tokens listed by fast_pieces() */
};

/*
 * A non-ASCII code point no rewrite touches: not one of the quotes NLTK
 * pads, not a dash it may pad, not Unicode whitespace (which splits).
 */
static bool nonascii_plain(uint32_t cp)
{
    if (cp >= 0x110000 || is_start_quote(cp) || is_end_quote(cp) ||
        (cp >= 0x2012 && cp <= 0x2015))
        return false;
    return !(nlp_class_of(cp) & NLP_SPACE);
}

/*
 * Scan the chunk starting at s[c0] (not whitespace) and classify it; sets
 * *c1_out to its end. The sentence's bytes from tail_start on are all
 * whitespace or possible closing quotes/brackets, and its last
 * non-whitespace byte ends at end. No NLTK rewrite changes:
 *  - plain bytes (letters, digits, _+=~^|\/) with single '.'s, when
 *    something other than closers follows (the final-period rules need
 *    only closers after the period), unless a word is one of the
 *    MacIntyre contractions (cannot, gimme, gonna, gotta, lemme, wanna);
 * and the rewrites only pad:
 *  - the same followed by one of , : ; ? ! (then whitespace, then more);
 *  - the same ending in '.' as the sentence's last chunk (final period).
 */
static enum chunk_kind scan_chunk(const char *s, size_t n, size_t c0,
                                  size_t tail_start, size_t end,
                                  size_t *c1_out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = c0;
    unsigned seen = 0;          /* OR of byte classes */
    bool bad = false;           /* a byte outside plain/dot/punct */
    bool dotdot = false;        /* two adjacent dots */
    bool cword = false;         /* a word that may be a contraction */
    size_t wstart = c0;
    size_t punct_at = SIZE_MAX; /* position of the first , : ; ? ! */
    for (; i < n; i++) {
        unsigned b = byte_class[u[i]];
        if (u[i] >= 0x80) {
            size_t l;
            uint32_t cp = nlp_decode(u + i, n - i, &l);
            if (!nonascii_plain(cp)) {
                bad = true;
                break;
            }
            if (!(nlp_class_of(cp) & NLP_WORD)) {
                size_t wl = i - wstart;
                if ((wl == 5 || wl == 6) &&
                    (byte_class[u[wstart]] & B_CWORD))
                    cword = true;
                wstart = i + l;
            }
            i += l - 1;
            continue;
        }
        if (b & B_WS)
            break;
        seen |= b;
        if (!(b & (B_PLAIN | B_DOT))) {
            if ((b & B_PUNCT) && punct_at == SIZE_MAX)
                punct_at = i;
            else
                bad = true;
        }
        if (b & B_DOT && i > c0 && u[i - 1] == '.')
            dotdot = true;
        if (!(b & B_WORD)) {
            size_t wl = i - wstart;
            if ((wl == 5 || wl == 6) && (byte_class[u[wstart]] & B_CWORD))
                cword = true;
            wstart = i + 1;
        }
    }
    if (bad) {
        while (i < n && !(byte_class[u[i]] & B_WS))
            i++;
        *c1_out = i;
        return CHUNK_RUN;
    }
    *c1_out = i;
    size_t wl = i - wstart;
    if ((wl == 5 || wl == 6) && (byte_class[u[wstart]] & B_CWORD))
        cword = true;
    if (bad || dotdot)
        return CHUNK_RUN;
    size_t len = i - c0;
    bool punct_last = punct_at != SIZE_MAX;
    if (punct_last && punct_at != i - 1)
        return CHUNK_RUN;
    size_t body = punct_last ? len - 1 : len;
    if (cword && has_contraction_word(s + c0, body))
        return CHUNK_RUN;
    if (i < tail_start)
        return punct_last ? (body ? CHUNK_SPLIT_LAST : CHUNK_WHOLE)
                          : CHUNK_WHOLE;
    if (punct_last)
        return CHUNK_RUN;
    if (!(seen & B_DOT))
        return CHUNK_WHOLE;
    if (u[i - 1] == '.' && i == end && len >= 2)
        return CHUNK_SPLIT_LAST;
    return CHUNK_RUN;
}

/* One token of a chunk handled by fast_pieces(). */
struct piece {
    const char *p;   /* bytes (in the sentence or a literal) */
    size_t len;      /* length */
    bool literal;    /* p is a literal (`` or ''), not sentence bytes */
};

/* Plain letters/digits/_+=~^|\/ only, non-empty, no contraction word. */
static bool plain_core(const char *p, size_t n, bool may_cw)
{
    if (!n)
        return false;
    /* B_PLAIN, with or without B_WORD and B_CWORD (the table has no
       B_PLAIN | B_CWORD) */
    for (size_t i = 0; i < n; i++)
        if ((byte_class[(unsigned char)p[i]] & ~(B_WORD | B_CWORD)) !=
            B_PLAIN)
            return false;
    return !(may_cw && has_contraction_word(p, n));
}

static bool is_opener(char c)
{
    return c == '(' || c == '[' || c == '{' || c == '<' || c == '"';
}

static bool is_closer(char c)
{
    return c == ')' || c == ']' || c == '}' || c == '>' || c == '"';
}

/*
 * Where CONTRACTIONS2 cuts p[0..len) when it is one of the whole-word
 * contractions cannot gimme gonna gotta lemme wanna (any case; all are
 * cut after their third letter), else 0. (?=\s) after wanna holds: a
 * chunk is followed by whitespace, or by the space the pipeline adds at
 * the sentence's end.
 */
static size_t contraction_cut(const char *p, size_t len, bool may_cw)
{
    if (!may_cw || (len != 5 && len != 6) ||
        !(byte_class[(unsigned char)p[0]] & B_CWORD))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!(byte_class[(unsigned char)p[i]] & B_WORD))
            return 0;
    return has_contraction_word(p, len) ? 3 : 0;
}

/* Letters, digits and '_' only (re's \w in ASCII), non-empty. */
static bool ascii_word(const char *p, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(byte_class[(unsigned char)p[i]] & B_WORD))
            return false;
    return true;
}

/*
 * A chunk with an apostrophe at q (p[0..len) the chunk, at = q - p) that
 * no clitic form splits, when the rewrites leave it one token: a plain
 * core, then the apostrophe and two or more word characters R. S5
 * ('(?!re|ve|ll|m|t|s|d|n)(\w)\b) needs a boundary after R's first
 * character, E4/E5 a space right after a one- or two-letter form, P8 a
 * space after the apostrophe (E5's 'll 're 've are left out in any
 * case); CONTRACTIONS2 could match d'ye and a
 * contraction word in R, CONTRACTIONS3 needs a space before the
 * apostrophe. With at == 0 (R alone after the apostrophe, the chunk
 * after whitespace) the same holds except for CONTRACTIONS3's 'tis and
 * 'twas, which a space before the chunk makes possible.
 */
static bool apostrophe_word(const char *p, size_t len, size_t at,
                            bool may_cw)
{
    const char *r = p + at + 1;
    size_t rl = len - at - 1;
    if (rl < 2 || !ascii_word(r, rl) ||
        (may_cw && has_contraction_word(r, rl)))
        return false;
    if (rl == 2 && (ci_eq(r, rl, 0, "ll") || ci_eq(r, rl, 0, "re") ||
                    ci_eq(r, rl, 0, "ve")))
        return false;       /* E5's 'll 're 've */
    if (at == 0)
        return !(rl == 3 && ci_eq(r, rl, 0, "tis")) &&
               !(rl == 4 && ci_eq(r, rl, 0, "twas"));
    return !(rl == 2 && ci_eq(r, rl, 0, "ye")) && plain_core(p, at, may_cw);
}

/*
 * Length of the quote NLTK pads wherever it is (« » “ ” ‘ ’ „) at p[k],
 * else 0.
 */
static size_t padded_quote_len(const char *p, size_t len, size_t k)
{
    const unsigned char *u = (const unsigned char *)p + k;
    if (len - k >= 2 && u[0] == 0xc2 && (u[1] == 0xab || u[1] == 0xbb))
        return 2;
    if (len - k >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
        (u[2] == 0x98 || u[2] == 0x99 || u[2] == 0x9c || u[2] == 0x9d ||
         u[2] == 0x9e))
        return 3;
    return 0;
}

/*
 * The bytes after a core that are padded as they stand, as pieces from
 * p[k] on: the closers ) ] } > " ('"' is ''), % & $ # @ *, and the
 * quotes of padded_quote_len(); returns the end.
 */
static size_t closer_pieces(const char *p, size_t len, size_t k,
                            struct piece *out, size_t *np)
{
    bool quote = false;     /* the last piece was a non-ASCII quote */
    while (k < len) {
        size_t q = padded_quote_len(p, len, k);
        if (q) {
            out[(*np)++] = (struct piece){p + k, q, false};
            k += q;
            quote = true;
            continue;
        }
        /* after a padded « “ ‘ „ a '"' would follow a space (``) */
        if (!(is_closer(p[k]) || (p[k] && strchr("%&$#@*", p[k]))) ||
            (quote && p[k] == '"'))
            break;
        out[(*np)++] = p[k] == '"' ? (struct piece){"''", 2, true}
                                   : (struct piece){p + k, 1, false};
        k++;
        quote = false;
    }
    return k;
}

/*
 * The closers the final-period rule allows after the '.' (]})>"' and
 * » ” ’; ' is left out), as pieces from p[k] on; returns the end.
 */
static size_t final_closer_pieces(const char *p, size_t len, size_t k,
                                  struct piece *out, size_t *np)
{
    const unsigned char *u = (const unsigned char *)p;
    while (k < len) {
        if (is_closer(p[k])) {
            out[(*np)++] = p[k] == '"' ? (struct piece){"''", 2, true}
                                       : (struct piece){p + k, 1, false};
            k++;
            continue;
        }
        size_t q = padded_quote_len(p, len, k);
        if (!q || (q == 2 && u[k + 1] != 0xbb) ||
            (q == 3 && u[k + 2] != 0x99 && u[k + 2] != 0x9d))
            break;
        out[(*np)++] = (struct piece){p + k, q, false};
        k += q;
    }
    return k;
}

/*
 * A chunk p[0..len) that is 'R' (at == 0), R two or more word
 * characters: S5 needs a boundary after R's first character, and none of
 * E4/E5 and the contractions match (R is no contraction word, not tis or
 * twas); P8 or E4 then splits the last apostrophe off when a space
 * follows, else the chunk stays one token.
 */
static bool quoted_word(const char *p, size_t len, size_t at, bool may_cw)
{
    if (at != 0 || len < 4 || p[len - 1] != '\'')
        return false;
    return apostrophe_word(p, len - 1, 0, may_cw);
}

/*
 * Two more chunk shapes with a known outcome (the parity test checks them
 * against NLTK on every document):
 *  - openers ( [ { < " , a plain core, at most one , : ; ? ! right after
 *    it, closers ) ] } > " , and at most one trailing , : ; ? ! when
 *    more than closers follows: brackets and the punctuation are padded
 *    (a , or : is followed by no digit); a '"' after an opener, after a
 *    space before the chunk, or at the sentence start becomes ``, any
 *    other '"' '';
 *  - the sentence's last chunk (c1 == end) as openers, a plain core,
 *    closers, one '.' or a run of ? !, and closers: the final-period rule
 *    pads the '.' (only closers and whitespace follow it), ? ! are
 *    padded anywhere, the quotes and brackets as above, and no other
 *    rule matches (the core holds no '.', so no $ rule reaches back
 *    past it); a last chunk that is one . ? ! alone is one token;
 *  - a plain core and a clitic ('s 'm 'd 'll 're 've, upper-case forms, a
 *    lone ', or n't / N'T) followed by a space or the sentence end:
 *    E4/E5 split it; apostrophe_word() chunks stay one token.
 * Fills out (room for 16) and *n_out; false when the chunk needs the
 * pipeline.
 */
static bool fast_pieces(const char *s, size_t n, size_t c0, size_t c1,
                        size_t tail_start, size_t end, bool may_cw,
                        struct piece *out, size_t *n_out)
{
    const char *p = s + c0;
    size_t len = c1 - c0, k = 0, np = 0;
    size_t cut = contraction_cut(p, len, may_cw);
    if (cut) {
        /* a whole-word MacIntyre contraction: CONTRACTIONS2 splits it */
        out[0] = (struct piece){p, cut, false};
        out[1] = (struct piece){p + cut, len - cut, false};
        *n_out = 2;
        return true;
    }
    /* openers (at most 8: room for the pieces after them) */
    while (k < len && is_opener(p[k])) {
        if (k == 8)
            return false;
        if (p[k] == '"') {
            char before = k ? p[k - 1] : (c0 ? s[c0 - 1] : 0);
            if (k && p[k - 1] == '"')
                return false;
            bool open = k ? true : (c0 == 0 || before == ' ');
            out[np++] = (struct piece){open ? "``" : "''", 2, true};
        } else {
            out[np++] = (struct piece){p + k, 1, false};
        }
        k++;
    }
    /* clitics */
    bool last = c1 == end;
    const char *q = memchr(p, '\'', len);
    if (q) {
        size_t at = (size_t)(q - p);
        /*
         * A last , : ; ? ! (or, in the last chunk, a final '.') is
         * padded, which puts a space after what comes before it;
         * otherwise E4/E5 and P8 need a space after the chunk.
         */
        size_t ce = len;
        if (len - at >= 2 && ((byte_class[(unsigned char)p[len - 1]] &
                               B_PUNCT) || (last && p[len - 1] == '.')))
            ce--;
        bool follow = ce < len || c1 == n || s[c1] == ' ';
        if (!np && (apostrophe_word(p, ce, at, may_cw) ||
                    quoted_word(p, ce, at, may_cw))) {
            bool split = p[ce - 1] == '\'' && follow;
            out[np++] = (struct piece){p, ce - split, false};
            if (split)
                out[np++] = (struct piece){p + ce - 1, 1, false};
            if (ce < len)
                out[np++] = (struct piece){p + ce, 1, false};
            *n_out = np;
            return true;
        }
        size_t cl = ce - at;
        if (at < k || !plain_core(p + k, at - k, may_cw))
            return false;
        /* E4/E5's forms: ' 's 'S 'm 'M 'd 'D 'll 'LL 're 'RE 've 'VE */
        bool split = false;
        switch (cl) {
        case 1:
            split = true;
            break;
        case 2:
            split = q[1] == 's' || q[1] == 'S' || q[1] == 'm' ||
                    q[1] == 'M' || q[1] == 'd' || q[1] == 'D';
            break;
        case 3:
            split = (q[1] == 'l' && q[2] == 'l') ||
                    (q[1] == 'L' && q[2] == 'L') ||
                    (q[1] == 'r' && q[2] == 'e') ||
                    (q[1] == 'R' && q[2] == 'E') ||
                    (q[1] == 'v' && q[2] == 'e') ||
                    (q[1] == 'V' && q[2] == 'E');
            break;
        default:
            break;
        }
        if (split && !follow) {
            /* no space after it: E4/E5 leave it in the word */
            out[np++] = (struct piece){p + k, ce - k, false};
        } else if (split) {
            out[np++] = (struct piece){p + k, at - k, false};
            out[np++] = (struct piece){q, cl, false};
        }
        /* the core left of n't must itself be no contraction word
           ("wannan't" -> "wanna" "n't" -> "wan" "na" "n't") */
        if (!split && follow && cl == 2 && at >= k + 2 &&
            ((p[at - 1] == 'n' && q[1] == 't') ||
             (p[at - 1] == 'N' && q[1] == 'T')) &&
            plain_core(p + k, at - 1 - k, true)) {
            out[np++] = (struct piece){p + k, at - 1 - k, false};
            out[np++] = (struct piece){q - 1, 3, false};
            split = true;
        }
        /*
         * One word byte C ([A-Za-z0-9_]) after the apostrophe, not E4's
         * (s m d): with t or n (either case) S5's lookahead and E4/E5
         * leave the chunk one token (CONTRACTIONS2's more'n and the
         * n't the code above declined aside);
         * any other C is split off by S5 ("\1 \2", \b after C) and
         * the apostrophe by P8 (a space after it now): core ' C.
         */
        if (!split && cl == 2 && at > k &&
            is_word_byte((unsigned char)q[1])) {
            char c = (char)(q[1] | 0x20);
            if (c == 't' || c == 'n') {
                if ((c == 'n' && ci_eq(p, at, at >= 4 ? at - 4 : at,
                                       "more")) ||
                    (c == 't' && (p[at - 1] | 0x20) == 'n'))
                    return false;   /* more'n, or n't left above */
                out[np++] = (struct piece){p + k, ce - k, false};
            } else {
                out[np++] = (struct piece){p + k, at - k, false};
                out[np++] = (struct piece){q, 1, false};
                out[np++] = (struct piece){q + 1, 1, false};
            }
            split = true;
        }
        if (!split)
            return false;
        if (ce < len)
            out[np++] = (struct piece){p + ce, 1, false};
        *n_out = np;
        return true;
    }
    if ((c1 >= tail_start && !last) || len > 16)
        return false;
    if (last && len == 1 && (p[0] == '.' || p[0] == '?' || p[0] == '!')) {
        out[0] = (struct piece){p, 1, false};
        *n_out = 1;
        return true;
    }
    size_t core = k;
    while (k < len && byte_class[(unsigned char)p[k]] & B_PLAIN)
        k++;
    if (!plain_core(p + core, k - core, may_cw))
        return false;
    out[np++] = (struct piece){p + core, k - core, false};
    if (last) {
        /* closers, one '.' or a run of ? !, closers */
        k = closer_pieces(p, len, k, out, &np);
        size_t d = k;
        while (d < len && p[d] == '.')
            d++;
        if (d == k + 1) {
            /* the final period: only its closers may follow */
            out[np++] = (struct piece){p + k, 1, false};
            k = final_closer_pieces(p, len, d, out, &np);
        } else {
            size_t m = k;
            if (d > k)
                out[np++] = (struct piece){p + k, d - k, false};  /* .. */
            else
                while (d < len && (p[d] == '?' || p[d] == '!'))
                    out[np++] = (struct piece){p + d++, 1, false};
            k = d > m ? closer_pieces(p, len, d, out, &np) : m;
        }
    } else {
        /* , : ; ? ! (before closers), closers, , : ; ? ! */
        if (k + 1 < len && (byte_class[(unsigned char)p[k]] & B_PUNCT) &&
            is_closer(p[k + 1]))
            out[np++] = (struct piece){p + k++, 1, false};
        k = closer_pieces(p, len, k, out, &np);
        if (k < len && (byte_class[(unsigned char)p[k]] & B_PUNCT))
            out[np++] = (struct piece){p + k++, 1, false};
    }
    if (k != len || np == 1)
        return false;
    *n_out = np;
    return true;
}

/* Classes of the fast chunk loop (fast_class[] below). */
enum {
    F_WS = 1,       /* ASCII whitespace: ends a chunk */
    F_STOP = 2,     /* a byte some rewrite may touch: ends the fast loop */
    F_CHECK = 4,    /* lead byte of a code point that may be a space, a
                       padded quote or dash (C2, E1, E2, E3): decode */
    F_NW = 8,       /* not [A-Za-z0-9_] (the chunk is not one ASCII word) */
    F_CW = 16,      /* c g l w: a MacIntyre contraction word may start */
    F_DOT = 32,     /* '.' */
    F_DASH = 64,    /* '-' */
};

/*
 * Fast classes of every byte. Safe (no class but F_NW / F_CW): ASCII
 * letters, digits, _+=~^|\/, '.' and '-' (not two in a row: \.{2,} and
 * -- are rewritten; no other rule looks at them except the final period,
 * which the loop's caller handles), continuation bytes and the lead bytes whose
 * code points are never whitespace, quotes or dashes (C3-DF, E0, E4-EF,
 * F0-F4). The control bytes (including 0x1c-0x1f, Python whitespace),
 * other ASCII punctuation and the never-valid leads C0, C1, F5-FF stop.
 */
static const uint8_t fast_class[256] = {
     2,  2,  2,  2,  2,  2,  2,  2,  2,  1,  1,  1,  1,  1,  2,  2,
     2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
     1,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  8,  2, 72, 40,  8,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  2,  2,  8,  2,  2,
     2,  0,  0, 16,  0,  0,  0, 16,  0,  0,  0,  0, 16,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0, 16,  0,  0,  0,  2,  8,  2,  8,  0,
     2,  0,  0, 16,  0,  0,  0, 16,  0,  0,  0,  0, 16,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0, 16,  0,  0,  0,  2,  8,  2,  8,  2,
     8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
     8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
     8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
     8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
     2,  2,  4,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
     8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
     8,  4,  4,  4,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
     8,  8,  8,  8,  8,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
};

/*
 * Length of the code point at u (a F_CHECK lead) if no rewrite touches
 * it, else 0. The dashes U+2012..U+2015 are padded only by later NLTK
 * versions (pad_dashes); otherwise they are plain.
 */
static size_t check_cp(const unsigned char *u, size_t left, bool dashes)
{
    size_t l;
    uint32_t cp = nlp_decode(u, left, &l);
    if (!dashes && cp >= 0x2012 && cp <= 0x2015)
        return l;
    return nonascii_plain(cp) ? l : 0;
}

bool nlp_is_plain_lead(const struct th_nlp *nlp, const char *text,
                       size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    return (u[0] == 0xc2 || (u[0] >= 0xe1 && u[0] <= 0xe3)) &&
           check_cp(u, len, nlp->pad_dashes);
}

/*
 * Might the plain chunk p[0..len) (fast classes OR-ed in acc) hold a
 * MacIntyre contraction word? One ASCII word needs length 5 or 6;
 * anything else gets has_contraction_word(), which over-approximates
 * (non-ASCII bytes count as word boundaries), so a "yes" is safe.
 */
static bool maybe_contraction(const char *p, size_t len, unsigned acc)
{
    if (!(acc & F_CW))
        return false;
    if (!(acc & F_NW) && len != 5 && len != 6)
        return false;
    return has_contraction_word(p, len);
}

/* Bytes NLTK pads with spaces wherever they are: [;@#$%&] [?!] [*] and
   the brackets [](){}<>. */
static inline bool is_padded_byte(unsigned char c)
{
    switch (c) {
    case ';': case '@': case '#': case '$': case '%': case '&': case '?':
    case '!': case '*': case '[': case ']': case '(': case ')': case '{':
    case '}': case '<': case '>':
        return true;
    default:
        return false;
    }
}

/* An ASCII letter or digit. */
static inline bool is_ascii_alnum(unsigned char b)
{
    return (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z');
}

/* The last byte of a three-byte quote NLTK pads (E2 80 xx: ‘ ’ “ ” „),
   and of a two-byte one (C2 xx: « »). */
static inline bool is_quote3_last(unsigned char b)
{
    return b >= 0x98 && b <= 0x9e && b != 0x9a && b != 0x9b;
}

static inline bool is_quote2_last(unsigned char b)
{
    return b == 0xab || b == 0xbb;
}

/*
 * Bit masks of a 64-byte window of the sentence: bit k describes byte
 * base + k. Bytes past the sentence's end count as whitespace.
 */
struct window {
    size_t room;      /* bytes readable from the sentence's start (at
                         least its length) */
    size_t base;      /* sentence offset of bit 0 */
    uint64_t ws;      /* ASCII whitespace (9-13, 32) */
    uint64_t plain;   /* bytes no rewrite touches: ASCII letters and
                         digits, '.' and '-' (not the second of two),
                         bytes of code points that are never whitespace,
                         quotes or dashes (all but C0-C2, E1-E3, F5-FF),
                         and, except with SSE2, + / = \ ^ _ | ~
                         (fast_class's safe bytes; a byte left out only
                         takes a slower tier) */
    uint64_t dot;     /* '.' */
    uint64_t alnum;   /* ASCII letters and digits */
    uint64_t cand;    /* c g l w (either case) starting a run of exactly
                         5 or 6 ASCII letters and digits whose 3rd and 4th
                         are equal: where a MacIntyre contraction word may
                         be (runs cut by the window's end are not seen:
                         only whole chunks use this) */
    uint64_t pad;     /* bytes NLTK pads wherever they are
                         (is_padded_byte; none with SSE2) */
    uint64_t quote3;  /* first bytes of the quotes NLTK pads wherever
                         they are, ‘ ’ “ ” „ (E2 80 98-9E but 9A 9B) */
    uint64_t quote2;  /* first bytes of « » (C2 AB, C2 BB); quote3 and
                         quote2 are none with SSE2 */
    uint64_t punct;   /* ',' and ':' that end a chunk of two or more
                         bytes (whitespace after, a non-space before) */
    const uint64_t *leads;  /* the sink's plain lead bytes C2 E1 E2 E3
                               (nlp_copy_scan), or NULL; window_load()
                               adds them to plain */
    size_t doc_off;   /* offset of the sentence in the text leads maps */
};

/* The byte masks classify64() starts from (bit k: byte k). */
struct raw_masks {
    uint64_t ws;      /* ASCII whitespace (9-13, 32) */
    uint64_t safe;    /* plain before the "not the second of two" rule */
    uint64_t dot;     /* '.' */
    uint64_t dash;    /* '-' */
    uint64_t alnum;   /* ASCII letters and digits */
    uint64_t cw;      /* c g l w, either case */
    uint64_t pad;     /* is_padded_byte() */
    uint64_t quote3;  /* ‘ ’ “ ” „ start here, whole in the 64 bytes */
    uint64_t quote2;  /* « » start here, whole in the 64 bytes */
    uint64_t punct;   /* ',' and ':' (none from the byte loop) */
    uint64_t dbl;     /* bytes equal to the next one up to case (| 0x20);
                         bits 62 and 63 undefined; all ones from the
                         byte loop (classify64_at() tests the bytes) */
};

#ifdef __SSE2__
/* Bit k of the result: byte k of the 16 tested by v is set. */
static inline uint64_t bits16(__m128i v, int k)
{
    return (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * k);
}

/*
 * The raw masks of p[0..64), 16 bytes a step. The symbols + / = \ ^ _ |
 * ~ are left out of safe (their chunks take the slower tiers, which
 * decide them the same way): eight more compares cost this path more
 * (-2% in bench_filter mode 1) than the chunks they would save.
 */
static void raw_masks_sse2(const unsigned char *p, struct raw_masks *r)
{
    uint64_t ws = 0, safe = 0, dot = 0, dash = 0, alnum = 0, cw = 0;
    uint64_t punct = 0, dbl = 0;
    const __m128i sp = _mm_set1_epi8(' '), c8 = _mm_set1_epi8(8);
    const __m128i c14 = _mm_set1_epi8(14), c20 = _mm_set1_epi8(0x20);
    const __m128i d0 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1);
    const __m128i a0 = _mm_set1_epi8('a' - 1), az = _mm_set1_epi8('z' + 1);
    const __m128i zero = _mm_setzero_si128();
    const __m128i xc2 = _mm_set1_epi8((char)0xc2);
    const __m128i xe1 = _mm_set1_epi8((char)0xe1);
    const __m128i xe2 = _mm_set1_epi8((char)0xe2);
    const __m128i xe3 = _mm_set1_epi8((char)0xe3);
    const __m128i xc0 = _mm_set1_epi8((char)0xc0);
    const __m128i xfe = _mm_set1_epi8((char)0xfe);
    const __m128i xf4 = _mm_set1_epi8((char)0xf4);
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)
                                    (p + 16 * k));
        __m128i s = _mm_or_si128(_mm_cmpeq_epi8(v, sp),
                                 _mm_and_si128(_mm_cmpgt_epi8(v, c8),
                                               _mm_cmplt_epi8(v, c14)));
        __m128i l = _mm_or_si128(v, c20);
        __m128i a = _mm_or_si128(
            _mm_and_si128(_mm_cmpgt_epi8(v, d0), _mm_cmplt_epi8(v, d9)),
            _mm_and_si128(_mm_cmpgt_epi8(l, a0), _mm_cmplt_epi8(l, az)));
        __m128i neg = _mm_cmplt_epi8(v, zero);
        __m128i bad = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, xc2), _mm_cmpeq_epi8(v, xe1)),
            _mm_or_si128(_mm_cmpeq_epi8(v, xe2), _mm_cmpeq_epi8(v, xe3)));
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(_mm_and_si128(v, xfe), xc0));
        bad = _mm_or_si128(bad, _mm_cmpgt_epi8(v, xf4));  /* F5-FF, ASCII */
        __m128i dt = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
        __m128i ds = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
        __m128i c = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(l, _mm_set1_epi8('c')),
                         _mm_cmpeq_epi8(l, _mm_set1_epi8('g'))),
            _mm_or_si128(_mm_cmpeq_epi8(l, _mm_set1_epi8('l')),
                         _mm_cmpeq_epi8(l, _mm_set1_epi8('w'))));
        __m128i ok = _mm_or_si128(_mm_or_si128(a, _mm_andnot_si128(bad, neg)),
                                  _mm_or_si128(dt, ds));
        __m128i pu = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
        /* the next bytes: p[16k + 1 ..], the last 16 shifted (p[64]
           need not be readable; bits 62 and 63 are not used) */
        __m128i nx = k < 3
            ? _mm_loadu_si128((const __m128i *)(const void *)
                              (p + 16 * k + 1))
            : _mm_srli_si128(v, 1);
        __m128i db = _mm_cmpeq_epi8(l, _mm_or_si128(nx, c20));
        ws |= bits16(s, k);
        safe |= bits16(ok, k);
        punct |= bits16(pu, k);
        dbl |= bits16(db, k);
        dot |= bits16(dt, k);
        dash |= bits16(ds, k);
        alnum |= bits16(a, k);
        cw |= bits16(c, k);
    }
    /* pad stays empty: more compares than the bulk path saves here */
    *r = (struct raw_masks){ws, safe, dot, dash, alnum, cw, 0, 0, 0, punct,
                            dbl};
}
#endif

#if NLP_HAVE_AVX512
/*
 * The raw masks of p[0..64) in one step with AVX-512BW (only called when
 * the CPU has it but not VBMI: see raw_masks_vbmi()), the symbols
 * + / = \ ^ _ | ~ included in safe (as in the byte loop; they are free
 * here). Each byte's classes are looked up by nibbles, as
 * lo_class[low nibble] & hi_class[high nibble] (vpshufb), so each class
 * bit is a set of high nibbles times a set of low nibbles; one test per
 * mask then gives 64 bits with no movemask and no shifts.
 */
enum {
    N1_WS_CTRL = 1,   /* 09-0D */
    N1_SPACE = 2,     /* 20 */
    N1_DIGIT = 4,     /* 30-39 */
    N1_LETTER1 = 8,   /* 41-4F, 61-6F */
    N1_LETTER2 = 16,  /* 50-5A, 70-7A */
    N1_DOT = 32,      /* 2E */
    N1_DASH = 64,     /* 2D */
    N1_CGL = 128,     /* 43 47 4C 63 67 6C */
    N2_W = 1,         /* 57 77 */
    N2_BAD_C = 2,     /* C0-C2: never valid or maybe a space (C2 85/A0) */
    N2_BAD_E = 4,     /* E1-E3: maybe a space, quote or dash */
    N2_BAD_F = 8,     /* F5-FF: never valid */
    N2_SYM_2 = 16,    /* + / */
    N2_SYM_3 = 32,    /* = */
    N2_SYM_57 = 64,   /* \ ^ | ~ */
    N2_SYM_5 = 128,   /* _ */
};

/* Class bits by low nibble (first table pair). */
static const uint8_t nib1_lo[16] = {
    N1_SPACE | N1_DIGIT | N1_LETTER2,                          /* 0 */
    N1_DIGIT | N1_LETTER1 | N1_LETTER2,                        /* 1 */
    N1_DIGIT | N1_LETTER1 | N1_LETTER2,                        /* 2 */
    N1_DIGIT | N1_LETTER1 | N1_LETTER2 | N1_CGL,               /* 3 */
    N1_DIGIT | N1_LETTER1 | N1_LETTER2,                        /* 4 */
    N1_DIGIT | N1_LETTER1 | N1_LETTER2,                        /* 5 */
    N1_DIGIT | N1_LETTER1 | N1_LETTER2,                        /* 6 */
    N1_DIGIT | N1_LETTER1 | N1_LETTER2 | N1_CGL,               /* 7 */
    N1_DIGIT | N1_LETTER1 | N1_LETTER2,                        /* 8 */
    N1_WS_CTRL | N1_DIGIT | N1_LETTER1 | N1_LETTER2,           /* 9 */
    N1_WS_CTRL | N1_LETTER1 | N1_LETTER2,                      /* A */
    N1_WS_CTRL | N1_LETTER1,                                   /* B */
    N1_WS_CTRL | N1_LETTER1 | N1_CGL,                          /* C */
    N1_WS_CTRL | N1_LETTER1 | N1_DASH,                         /* D */
    N1_LETTER1 | N1_DOT,                                       /* E */
    N1_LETTER1,                                                /* F */
};

/* Class bits by high nibble (first table pair). */
static const uint8_t nib1_hi[16] = {
    N1_WS_CTRL, 0, N1_SPACE | N1_DOT | N1_DASH, N1_DIGIT,
    N1_LETTER1 | N1_CGL, N1_LETTER2, N1_LETTER1 | N1_CGL, N1_LETTER2,
    0, 0, 0, 0, 0, 0, 0, 0,
};

/* Class bits by low nibble (second table pair). */
static const uint8_t nib2_lo[16] = {
    N2_BAD_C, N2_BAD_C | N2_BAD_E, N2_BAD_C | N2_BAD_E, N2_BAD_E,
    0, N2_BAD_F, N2_BAD_F, N2_BAD_F | N2_W,
    N2_BAD_F, N2_BAD_F, N2_BAD_F, N2_BAD_F | N2_SYM_2,
    N2_BAD_F | N2_SYM_57, N2_BAD_F | N2_SYM_3, N2_BAD_F | N2_SYM_57,
    N2_BAD_F | N2_SYM_2 | N2_SYM_5,
};

/* Class bits by high nibble (second table pair). */
static const uint8_t nib2_hi[16] = {
    0, 0, N2_SYM_2, N2_SYM_3, 0, N2_W | N2_SYM_57 | N2_SYM_5, 0,
    N2_W | N2_SYM_57, 0, 0, 0, 0, N2_BAD_C, 0, N2_BAD_E, N2_BAD_F,
};

/* Third table pair: the bytes NLTK pads wherever they are. */
enum {
    N3_PAD_2 = 1,     /* ! # $ % & ( ) * */
    N3_PAD_3 = 2,     /* ; < > ? */
    N3_PAD_4 = 4,     /* @ */
    N3_PAD_57 = 8,    /* [ ] { } */
    N3_QUOTE3 = 16,   /* 98 99 9C 9D 9E: last byte of ‘ ’ “ ” „ */
    N3_QUOTE2 = 32,   /* AB BB: last byte of « » */
    N3_PUNCT = 64,    /* , : (and * <, which are N3_PAD_2, N3_PAD_3) */
};

static const uint8_t nib3_lo[16] = {
    N3_PAD_4, N3_PAD_2, 0, N3_PAD_2, N3_PAD_2, N3_PAD_2, N3_PAD_2, 0,
    N3_PAD_2 | N3_QUOTE3, N3_PAD_2 | N3_QUOTE3, N3_PAD_2 | N3_PUNCT,
    N3_PAD_3 | N3_PAD_57 | N3_QUOTE2,
    N3_PAD_3 | N3_QUOTE3 | N3_PUNCT,
    N3_PAD_57 | N3_QUOTE3, N3_PAD_3 | N3_QUOTE3, N3_PAD_3,
};

static const uint8_t nib3_hi[16] = {
    0, 0, N3_PAD_2 | N3_PUNCT, N3_PAD_3 | N3_PUNCT, N3_PAD_4, N3_PAD_57, 0,
    N3_PAD_57,
    0, N3_QUOTE3, N3_QUOTE2, N3_QUOTE2, 0, 0, 0, 0,
};

__attribute__((target("avx512bw")))
static inline __m512i nibble_lut(const uint8_t t[16])
{
    return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)
                                                  (const void *)t));
}

__attribute__((target("avx512bw")))
static void raw_masks_avx512(const unsigned char *p, struct raw_masks *r)
{
    const __m512i v = _mm512_loadu_si512((const void *)p);
    const __m512i f = _mm512_set1_epi8(0x0f);
    const __m512i lo = _mm512_and_si512(v, f);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), f);
    const __m512i c1 = _mm512_and_si512(
        _mm512_shuffle_epi8(nibble_lut(nib1_lo), lo),
        _mm512_shuffle_epi8(nibble_lut(nib1_hi), hi));
    const __m512i c2 = _mm512_and_si512(
        _mm512_shuffle_epi8(nibble_lut(nib2_lo), lo),
        _mm512_shuffle_epi8(nibble_lut(nib2_hi), hi));
    const __m512i c3 = _mm512_and_si512(
        _mm512_shuffle_epi8(nibble_lut(nib3_lo), lo),
        _mm512_shuffle_epi8(nibble_lut(nib3_hi), hi));
#define HAS(c, bits) _mm512_test_epi8_mask(c, _mm512_set1_epi8((char)(bits)))
    uint64_t ws = HAS(c1, N1_WS_CTRL | N1_SPACE);
    uint64_t alnum = HAS(c1, N1_DIGIT | N1_LETTER1 | N1_LETTER2);
    uint64_t dot = HAS(c1, N1_DOT), dash = HAS(c1, N1_DASH);
    uint64_t cw = HAS(c1, N1_CGL) | HAS(c2, N2_W);
    uint64_t sym = HAS(c2, N2_SYM_2 | N2_SYM_3 | N2_SYM_57 | N2_SYM_5);
    uint64_t pad = HAS(c3, N3_PAD_2 | N3_PAD_3 | N3_PAD_4 | N3_PAD_57);
    uint64_t high = _mm512_movepi8_mask(v);
    uint64_t bad = 0, quote3 = 0, quote2 = 0;
#define IS(b) _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)(b)))
    if (high) {
        bad = HAS(c2, N2_BAD_C | N2_BAD_E | N2_BAD_F);
        /* a quote's bytes all in the window: its lead, 80, its last
           byte */
        quote3 = IS(0xe2) & (IS(0x80) >> 1) & (HAS(c3, N3_QUOTE3) >> 2);
        quote2 = IS(0xc2) & (HAS(c3, N3_QUOTE2) >> 1);
    }
    uint64_t punct = HAS(c3, N3_PUNCT) & ~pad;
    /* p[1..63] (p[64] need not be readable; bits 62, 63 unused) */
    const __m512i c20 = _mm512_set1_epi8(0x20);
    const __m512i nx = _mm512_maskz_loadu_epi8(~(uint64_t)0 >> 1, p + 1);
    uint64_t dbl = _mm512_cmpeq_epi8_mask(_mm512_or_si512(v, c20),
                                          _mm512_or_si512(nx, c20));
#undef IS
#undef HAS
    *r = (struct raw_masks){ws, alnum | (high & ~bad) | dot | dash | sym,
                            dot, dash, alnum, cw, pad, quote3, quote2,
                            punct, dbl};
}
#endif

#if NLP_HAVE_AVX512
/*
 * The same with AVX-512 VBMI (nlp_vbmi2 also stands for it): one
 * two-table byte permute (vpermi2b, indexed by the low seven bits)
 * gives each ASCII byte its eight classes exactly (no nibble products),
 * a second one, only in windows with bytes >= 0x80, those of the high
 * bytes. Fewer operations than the three nibble table pairs; the masks
 * are the same (test_nlp's window_masks compares them).
 */
enum {
    VA_WS = 1,        /* F_WS */
    VA_ALNUM = 2,     /* 0-9 A-Z a-z */
    VA_DOT = 4,       /* . */
    VA_DASH = 8,      /* - */
    VA_CW = 16,       /* F_CW: c g l w, either case */
    VA_PAD = 32,      /* is_padded_byte() */
    VA_PUNCT = 64,    /* , : */
    VA_SAFE = 128,    /* none of F_WS, F_STOP, F_CHECK */
    VB_SAFE = 1,      /* the same for the bytes 80-FF */
    VB_Q3 = 2,        /* is_quote3_last() */
    VB_Q2 = 4,        /* is_quote2_last() */
    VB_80 = 8,        /* 80 */
    VB_E2 = 16,       /* E2 */
    VB_C2 = 32,       /* C2 */
};

/* The classes of the bytes 00-7F and 80-FF by their low seven bits,
   derived by nlp_vbmi_init() from the byte loop's own definitions. */
static uint8_t vbmi_ascii[128], vbmi_high[128];

void nlp_vbmi_init(void)
{
    for (unsigned b = 0; b < 256; b++) {
        unsigned f = fast_class[b];
        bool safe = !(f & (F_WS | F_STOP | F_CHECK));
        if (b < 128)
            vbmi_ascii[b] = (uint8_t)(
                (f & F_WS ? VA_WS : 0) |
                (is_ascii_alnum((uint8_t)b) ? VA_ALNUM : 0) |
                (b == '.' ? VA_DOT : 0) | (b == '-' ? VA_DASH : 0) |
                (f & F_CW ? VA_CW : 0) |
                (is_padded_byte((uint8_t)b) ? VA_PAD : 0) |
                (b == ',' || b == ':' ? VA_PUNCT : 0) |
                (safe ? VA_SAFE : 0));
        else
            vbmi_high[b - 128] = (uint8_t)(
                (safe ? VB_SAFE : 0) |
                (is_quote3_last((uint8_t)b) ? VB_Q3 : 0) |
                (is_quote2_last((uint8_t)b) ? VB_Q2 : 0) |
                (b == 0x80 ? VB_80 : 0) | (b == 0xe2 ? VB_E2 : 0) |
                (b == 0xc2 ? VB_C2 : 0));
    }
}

__attribute__((target("avx512bw,avx512vbmi")))
static void raw_masks_vbmi(const unsigned char *p, struct raw_masks *r)
{
    const __m512i v = _mm512_loadu_si512((const void *)p);
    const __m512i a = _mm512_permutex2var_epi8(
        _mm512_loadu_si512((const void *)vbmi_ascii), v,
        _mm512_loadu_si512((const void *)(vbmi_ascii + 64)));
    const __mmask64 high = _mm512_movepi8_mask(v), ascii = ~high;
#define HAS(m, c, bits) \
    _mm512_mask_test_epi8_mask(m, c, _mm512_set1_epi8((char)(bits)))
    uint64_t ws = HAS(ascii, a, VA_WS), alnum = HAS(ascii, a, VA_ALNUM);
    uint64_t dot = HAS(ascii, a, VA_DOT), dash = HAS(ascii, a, VA_DASH);
    uint64_t cw = HAS(ascii, a, VA_CW), pad = HAS(ascii, a, VA_PAD);
    uint64_t punct = HAS(ascii, a, VA_PUNCT);
    uint64_t safe = HAS(ascii, a, VA_SAFE);
    uint64_t quote3 = 0, quote2 = 0;
    if (high) {
        const __m512i b = _mm512_permutex2var_epi8(
            _mm512_loadu_si512((const void *)vbmi_high), v,
            _mm512_loadu_si512((const void *)(vbmi_high + 64)));
        safe |= HAS(high, b, VB_SAFE);
        /* a quote's bytes all in the window: its lead, 80, its last
           byte */
        quote3 = HAS(high, b, VB_E2) & (HAS(high, b, VB_80) >> 1) &
                 (HAS(high, b, VB_Q3) >> 2);
        quote2 = HAS(high, b, VB_C2) & (HAS(high, b, VB_Q2) >> 1);
    }
#undef HAS
    /* p[1..63] (p[64] need not be readable; bits 62, 63 unused) */
    const __m512i c20 = _mm512_set1_epi8(0x20);
    const __m512i nx = _mm512_maskz_loadu_epi8(~(uint64_t)0 >> 1, p + 1);
    uint64_t dbl = _mm512_cmpeq_epi8_mask(_mm512_or_si512(v, c20),
                                          _mm512_or_si512(nx, c20));
    *r = (struct raw_masks){ws, safe, dot, dash, alnum, cw, pad, quote3,
                            quote2, punct, dbl};
}
#endif

/* The raw masks of p[0..64) a byte at a time (builds without SSE2). */
static void raw_masks_bytes(const unsigned char *p, struct raw_masks *r)
{
    uint64_t ws = 0, safe = 0, dot = 0, dash = 0, alnum = 0, cw = 0;
    uint64_t pad = 0, quote3 = 0, quote2 = 0;
    for (int k = 0; k < 64; k++) {
        unsigned char b = p[k];
        unsigned f = fast_class[b];
        uint64_t bit = (uint64_t)1 << k;
        ws |= (f & F_WS) ? bit : 0;
        safe |= !(f & (F_WS | F_STOP | F_CHECK)) ? bit : 0;
        dot |= b == '.' ? bit : 0;
        dash |= b == '-' ? bit : 0;
        alnum |= is_ascii_alnum(b) ? bit : 0;
        cw |= (f & F_CW) ? bit : 0;
        pad |= is_padded_byte(b) ? bit : 0;
        if (b == 0xe2 && k < 62 && p[k + 1] == 0x80 &&
            is_quote3_last(p[k + 2]))
            quote3 |= bit;
        if (b == 0xc2 && k < 63 && is_quote2_last(p[k + 1]))
            quote2 |= bit;
    }
    /* punct and dbl left to classify64_at(): a loop over the few bytes
       they matter for costs this path less than a test of every byte */
    *r = (struct raw_masks){ws, safe, dot, dash, alnum, cw, pad, quote3,
                            quote2, 0, ~(uint64_t)0};
}

/* Classify the 64 bytes at p (all readable; bytes from valid on count
   as spaces) into w, with the vector code of level. */
static void classify64_at(const unsigned char *p, size_t valid,
                          enum nlp_simd_level level, struct window *w)
{
    struct raw_masks r;
#if NLP_HAVE_AVX512
    if (level == NLP_SIMD_AVX512 && nlp_vbmi2)
        raw_masks_vbmi(p, &r);
    else if (level == NLP_SIMD_AVX512)
        raw_masks_avx512(p, &r);
    else
#endif
#ifdef __SSE2__
    if (level != NLP_SIMD_NONE)
        raw_masks_sse2(p, &r);
    else
#endif
        raw_masks_bytes(p, &r);
    uint64_t ws = r.ws, safe = r.safe, dot = r.dot, dash = r.dash;
    uint64_t alnum = r.alnum, cw = r.cw, pad = r.pad;
    uint64_t quote3 = r.quote3, quote2 = r.quote2, punct = r.punct;
    if (valid < 64) {
        /* bytes past the sentence's end count as spaces */
        uint64_t in = ((uint64_t)1 << valid) - 1;
        ws |= ~in;
        safe &= in;
        dot &= in;
        dash &= in;
        alnum &= in;
        cw &= in;
        pad &= in;
        quote3 &= in >> 2;      /* the whole quote before the end */
        quote2 &= in >> 1;
    }
    w->pad = pad;
    w->quote3 = quote3;
    w->quote2 = quote2;
    /* punct: only the , : that end a chunk of two bytes or more */
    uint64_t last = (ws >> 1) & ~ws & (~ws << 1);
    if (level == NLP_SIMD_NONE) {       /* raw_masks_bytes() has none */
        for (uint64_t c = last & ~safe; c; c &= c - 1) {
            unsigned k = (unsigned)__builtin_ctzll(c);
            if (p[k] == ',' || p[k] == ':')
                punct |= (uint64_t)1 << k;
        }
    }
    w->punct = punct & last;
    w->ws = ws;
    w->plain = safe & ~((dot & (dot << 1)) | (dash & (dash << 1)));
    w->dot = dot;
    w->alnum = alnum;
    uint64_t cws = cw & ~(alnum << 1);    /* not after a letter/digit */
    uint64_t a5 = alnum & (alnum >> 1) & (alnum >> 2) & (alnum >> 3) &
                  (alnum >> 4);
    uint64_t a7 = a5 & (alnum >> 5) & (alnum >> 6);
    /* every contraction word doubles its 3rd letter: caNNot giMMe goNNa
       goTTa leMMe waNNa (the run has 5+ bytes, so k + 3 < 63) */
    uint64_t cand = cws & a5 & ~a7 & (r.dbl >> 2);
    if (level == NLP_SIMD_NONE)         /* raw_masks_bytes() has no dbl */
        for (uint64_t c = cand; c; c &= c - 1) {
            unsigned k = (unsigned)__builtin_ctzll(c);
            if ((p[k + 2] | 0x20) != (p[k + 3] | 0x20))
                cand &= ~((uint64_t)1 << k);
        }
    w->cand = cand;
}

/* classify64_at() with the best vector code the build and CPU allow. */
static void classify64(const unsigned char *p, size_t valid,
                       struct window *w)
{
    classify64_at(p, valid, nlp_simd, w);
}

void nlp_window_masks(const char *p, size_t valid,
                      enum nlp_simd_level level, uint64_t out[9])
{
    struct window w;
    classify64_at((const unsigned char *)p, valid, level, &w);
    out[0] = w.ws;
    out[1] = w.plain;
    out[2] = w.dot;
    out[3] = w.alnum;
    out[4] = w.cand;
    out[5] = w.pad;
    out[6] = w.quote3;
    out[7] = w.quote2;
    out[8] = w.punct;
}

/* Point the window at s[base..] (n bytes in the sentence); it reads
   past n when w->room allows, else copies the rest of the sentence. */
static void window_load(struct window *w, const char *s, size_t n,
                        size_t base)
{
    w->base = base;
    if (w->room - base >= 64) {
        classify64((const unsigned char *)s + base, n - base, w);
    } else {
        unsigned char buf[64];
        memset(buf, ' ', sizeof(buf));
        memcpy(buf, s + base, n - base);
        classify64(buf, 64, w);
    }
    if (w->leads) {
        /* the plain leads' bits of the window's bytes, whole code
           points before the sentence's end (a C2 two bytes before it
           is left out: only slower) */
        size_t o = w->doc_off + base, sh = o & 63;
        const uint64_t *l = w->leads + (o >> 6);
        uint64_t bits = sh ? (l[0] >> sh) | (l[1] << (64 - sh)) : l[0];
        if (n - base < 66)
            bits &= n - base > 2 ? ~(uint64_t)0 >> (66 - (n - base)) : 0;
        w->plain |= bits;
    }
}

/*
 * Next chunk at or after i: false when only whitespace is left. *c0 is
 * its start; when the whole chunk lies in the window, *len is its length
 * (< 64), otherwise 0.
 */
static bool window_next(struct window *w, const char *s, size_t n, size_t i,
                        size_t *c0, size_t *len)
{
    for (;;) {
        if (i >= n)
            return false;
        if (i >= w->base + 64)
            window_load(w, s, n, i);
        size_t rel = i - w->base;
        uint64_t nonws = ~w->ws >> rel;
        if (!nonws) {
            i = w->base + 64;
            continue;
        }
        rel += (size_t)__builtin_ctzll(nonws);
        *c0 = w->base + rel;
        uint64_t after = w->ws >> rel;
        if (!after) {
            if (rel == 0) {
                *len = 0;       /* a chunk of 64 bytes or more */
                return true;
            }
            window_load(w, s, n, *c0);
            i = *c0;
            continue;
        }
        *len = (size_t)__builtin_ctzll(after);
        return true;
    }
}

#if NLP_HAVE_AVX512
/*
 * The bulk path's tokens from their start and end bits (ends has the
 * fewer, every end follows its start), eight slices a step with
 * AVX-512 VBMI2: the bit numbers compressed into bytes, widened, paired.
 * Writes up to seven slices past the last one (the caller keeps 64 free);
 * *last gets the last end (unchanged when none).
 */
__attribute__((target("avx512bw,avx512vbmi2")))
static struct th_slice *emit_bits_vbmi2(struct th_slice *t, const char *b,
                                        uint64_t starts, uint64_t ends,
                                        size_t *last)
{
    size_t cnt = (size_t)__builtin_popcountll(ends);
    if (!cnt)
        return t;
    const __m512i iota = _mm512_set_epi8(
        63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48,
        47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
        31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16,
        15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i sv = _mm512_maskz_compress_epi8(starts, iota);
    __m512i ev = _mm512_maskz_compress_epi8(ends, iota);
    const __m512i base = _mm512_set1_epi64((long long)(uintptr_t)b);
    const __m512i lo_idx = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    const __m512i hi_idx = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    for (size_t j = 0; j < cnt; j += 8) {
        __m512i st = _mm512_cvtepu8_epi64(_mm512_castsi512_si128(sv));
        __m512i en = _mm512_cvtepu8_epi64(_mm512_castsi512_si128(ev));
        sv = _mm512_alignr_epi64(sv, sv, 1);    /* the next 8 bytes */
        ev = _mm512_alignr_epi64(ev, ev, 1);
        __m512i ptr = _mm512_add_epi64(base, st);
        __m512i len = _mm512_sub_epi64(en, st);
        _mm512_storeu_si512((void *)(t + j),
                            _mm512_permutex2var_epi64(ptr, lo_idx, len));
        _mm512_storeu_si512((void *)(t + j + 4),
                            _mm512_permutex2var_epi64(ptr, hi_idx, len));
    }
    *last = 63 - (size_t)__builtin_clzll(ends);
    return t + cnt;
}
#endif

/*
 * Bulk path: from i (a chunk start, whitespace, or the byte after a
 * padded byte, inside the window), emit the tokens of every chunk before
 * the one holding the first "problem" byte. Problem bytes: anything but
 * plain bytes, padded bytes and quotes and whitespace, a possible
 * contraction word's start, and the dots of the chunks that reach the
 * sentence's closing tail. Such a chunk is one token, cut at its padded
 * bytes and quotes (each a token), with a last , : ; ? ! or the final
 * '.' as the split below; doing them in one loop with no per-chunk
 * decision saves the branch mispredictions of deciding each word.
 * A chunk that runs past the window gives the tokens that end inside it:
 * the rest starts at a padded byte or quote (which then keeps its
 * context) or at a plain byte right after one, and no rule reads the
 * byte before a plain byte but the final-period rule, whose dot would be
 * a problem in the window. Returns the position after the last token
 * emitted (i when none); the caller has no pending run.
 */
static size_t window_bulk_once(struct window *w, const char *s, size_t n,
                               size_t i, size_t tail_start, size_t end,
                               struct nlp_sink *sink, size_t *more)
{
    *more = 0;
    if (i >= w->base + 64) {
        if (i >= n)
            return i;
        window_load(w, s, n, i);
    }
    size_t rel = i - w->base;
    uint64_t nonws = ~w->ws;
    uint64_t lo = ~(uint64_t)0 << rel;
    /*
     * The bytes NLTK pads wherever they are (brackets, ; @ # $ % & * ? !)
     * and the quotes it pads wherever they are (‘ ’ “ ” „ « », first
     * byte marked) are no problem either: each is a token, and no other
     * rule looks at them, save the ones on '"', '\'', a final '.' (the
     * tail's dots stay problems) and contraction words, which are
     * problems. Token boundaries: each such byte or quote, and the byte
     * after it inside a chunk.
     */
    uint64_t pad = w->pad & lo;
    uint64_t q3 = w->quote3 & lo, q2 = w->quote2 & lo;
    uint64_t bnd = pad | ((pad << 1) & nonws) | q3 | ((q3 << 3) & nonws) |
                   q2 | ((q2 << 2) & nonws);
    uint64_t prob = ((~w->plain & nonws) | w->cand) & lo &
                    ~(pad | q3 | q2);
    /*
     * A chunk's last byte that is , or : after a byte of the chunk
     * (whitespace follows it inside the window) is no problem when the
     * chunk ends before the sentence's closing tail: the chunk is two
     * tokens (window_kind's CHUNK_SPLIT_LAST), the byte both an end and
     * a start. (; ? ! are padded bytes, except with SSE2, where
     * window_kind() splits them.)
     */
    uint64_t split = prob & w->punct & (w->ws >> 1) & (nonws << 1) &
                     (lo << 1);
    if (w->base + 64 > tail_start) {
        size_t lim = tail_start > w->base + 1 ? tail_start - 1 - w->base
                                              : 0;
        split &= ((uint64_t)1 << lim) - 1;
        /*
         * Dots are problems in the chunks that reach the closing tail:
         * from the start of the chunk holding the byte before the tail
         * (the last chunk start at or before it; bit 0 when the chunk
         * began before the window). The last chunk's final '.' after a
         * byte of the chunk is no problem: window_kind() makes such a
         * chunk two tokens (CHUNK_SPLIT_LAST) when its other bytes are
         * plain, and any other dot in it stays a problem.
         */
        size_t from = 0;
        if (tail_start > w->base) {
            size_t t = tail_start - 1 - w->base;
            uint64_t st = nonws & ~(nonws << 1) &
                          (((uint64_t)2 << t) - 1);
            from = st ? 63 - (size_t)__builtin_clzll(st) : 0;
        }
        prob |= w->dot & lo & (~(uint64_t)0 << from);
        if (end > w->base && end - w->base <= 64) {
            uint64_t fin = ((uint64_t)1 << (end - 1 - w->base)) & prob &
                           w->dot & (w->ws >> 1) & (nonws << 1) & (lo << 1);
            split |= fin;
        }
    }
    prob &= ~split;
    /* first byte of each token, the byte after each token */
    uint64_t cstarts = nonws & ~(nonws << 1) & lo;
    uint64_t starts = cstarts | split | bnd;
    uint64_t ends = (w->ws & (nonws << 1) & (lo << 1)) | split |
                    (bnd & (nonws << 1) & (lo << 1));
    if (prob) {
        /* only the chunks before the one holding the first problem */
        size_t q = (size_t)__builtin_ctzll(prob);
        uint64_t before = cstarts & (((uint64_t)2 << q) - 1);
        size_t cs = before ? 63 - (size_t)__builtin_clzll(before) : rel;
        ends &= ((uint64_t)1 << cs) - 1;
    }
    size_t last = rel;
    struct th_slice *t = sink->toks + sink->n;
    const char *b = s + w->base;
#if NLP_HAVE_AVX512
    if (nlp_vbmi2)
        t = emit_bits_vbmi2(t, b, starts, ends, &last);
    else
#endif
    while (ends) {
        /* unsigned: the bit numbers widen with no sign extension */
        unsigned st = (unsigned)__builtin_ctzll(starts);
        unsigned e = (unsigned)__builtin_ctzll(ends);
        starts &= starts - 1;
        ends &= ends - 1;
        t->ptr = b + st;
        t->len = e - st;
        t++;
        last = e;
    }
    sink->n = (size_t)(t - sink->toks);
    if (!prob && (nonws >> 63))   /* stopped by a chunk past the window */
        *more = w->base + (size_t)__builtin_ctzll(nonws &
                                                   (~(uint64_t)0 << last));
    return w->base + last;
}

/*
 * window_bulk_once() window after window while only a chunk running past
 * the window stops it: the next window starts at that chunk (the main
 * loop would load the same one), which saves the per-chunk path a
 * decision for it. A chunk of 64 bytes or more, a problem byte or a
 * full slice array end it.
 */
static size_t window_bulk(struct window *w, const char *s, size_t n,
                          size_t i, size_t tail_start, size_t end,
                          struct nlp_sink *sink)
{
    for (;;) {
        size_t more;
        size_t next = window_bulk_once(w, s, n, i, tail_start, end, sink,
                                       &more);
        if (!more || more == w->base || sink->cap - sink->n < 64)
            return next;
        window_load(w, s, n, more);
        i = more;
    }
}

/*
 * The decision for a chunk s[c0, c0 + len) found in the window, when the
 * masks settle it (the same as the byte loop and scan_chunk() decide):
 * plain bytes only are one token, or two with a final period at the
 * sentence's end; plain bytes and one trailing , : ; ? ! before the
 * closing tail are two. CHUNK_RUN means "look closer".
 */
static enum chunk_kind window_kind(const struct window *w, const char *s,
                                   size_t c0, size_t len, size_t tail_start,
                                   size_t end)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t rel = c0 - w->base, c1 = c0 + len;
    uint64_t m = ((uint64_t)1 << len) - 1;
    uint64_t bad = (~w->plain >> rel) & m;
    enum chunk_kind kind = CHUNK_RUN;
    size_t body = len;
    if (!bad) {
        if (!((w->dot >> rel) & m) || c1 < tail_start)
            kind = CHUNK_WHOLE;
        else if (u[c1 - 1] == '.' && c1 == end && len >= 2)
            kind = CHUNK_SPLIT_LAST;
    } else if (bad == (uint64_t)1 << (len - 1) && len >= 2 &&
               (byte_class[u[c1 - 1]] & B_PUNCT) &&
               (c1 < tail_start || u[c1 - 1] == '?' || u[c1 - 1] == '!' ||
                u[c1 - 1] == ';')) {
        /* before the tail any of , : ; ? ! is padded; at the sentence's
           end ? ! ; still are, and no $ rule can match across them */
        kind = CHUNK_SPLIT_LAST;
        body = len - 1;
    }
    if (kind == CHUNK_RUN)
        return kind;
    /* cand marks every word of 5 or 6 letters/digits starting c g l w */
    uint64_t mb = ((uint64_t)1 << body) - 1;
    for (uint64_t c = (w->cand >> rel) & mb; c; c &= c - 1) {
        size_t at = (size_t)__builtin_ctzll(c);
        size_t wl = (size_t)__builtin_ctzll(~(w->alnum >> (rel + at)));
        if (has_contraction_word(s + c0 + at, wl))
            return CHUNK_RUN;
    }
    return kind;
}

/* Close the plain segment s[p0, p) as a piece; false if it needs more. */
static bool plain_piece(const char *s, size_t p0, size_t p, bool may_cw,
                        struct piece *out, size_t *np)
{
    if (p == p0)
        return true;
    if (*np == 16 || (may_cw && has_contraction_word(s + p0, p - p0)))
        return false;
    out[(*np)++] = (struct piece){s + p0, p - p0, false};
    return true;
}

/*
 * A third chunk shape with a known outcome, before the sentence's closing
 * tail and without any of ' " ` (the characters whose rules look at
 * their neighbours): every rewrite that can apply pads something with
 * spaces, so the tokens are the padded parts and the plain segments
 * between them. Padded parts: one of [;@#$%&?!*](){}<>], a quote NLTK
 * pads (« “ ‘ „ » ” ’), two or more dots (\.{2,}), exactly two dashes
 * (--), a , or : not followed by a digit (or another , :); before a
 * digit , and : are plain. Plain segments: the bytes the fast loop
 * accepts (single dots and dashes included), no contraction word. At
 * most 16 pieces (one when the chunk is a single padded part such as "&"
 * or "...").
 */
static bool padded_pieces(const struct th_nlp *nlp, const char *s,
                          size_t c0, size_t c1, size_t tail_start,
                          bool may_cw, struct piece *out, size_t *n_out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t np = 0, p = c0, seg = c0;
    if (c1 >= tail_start)
        return false;
    while (p < c1) {
        unsigned char c = u[p];
        size_t pad = 0;
        if (is_padded_byte(c)) {
            pad = 1;
        } else if (c == '.' && p + 1 < c1 && u[p + 1] == '.') {
            pad = 2;
            while (p + pad < c1 && u[p + pad] == '.')
                pad++;
        } else if (c == '-' && p + 1 < c1 && u[p + 1] == '-') {
            if ((p + 2 < c1 && u[p + 2] == '-') || (p > c0 && u[p - 1] == '-'))
                return false;
            pad = 2;
        } else if (c >= 0x80) {
            size_t l;
            uint32_t cp = nlp_decode(u + p, c1 - p, &l);
            if (is_start_quote(cp) || is_end_quote(cp)) {
                pad = l;
            } else if (fast_class[c] & F_CHECK) {
                if (!check_cp(u + p, c1 - p, nlp->pad_dashes))
                    return false;
                p += l;
                continue;
            } else if (fast_class[c] & F_STOP) {
                return false;
            } else {
                p += l;
                continue;
            }
        } else if (c == ',' || c == ':') {
            /*
             * ([:,])([^\d]) pads it unless a digit follows ("1,000");
             * the match eats the next character, so a second , or :
             * right after it would not be padded: left to the pipeline.
             */
            size_t l = 0;
            unsigned cls = p + 1 < c1 ? nlp_class_at(s + p + 1, c1 - p - 1,
                                                     &l) : 0;
            if (cls & NLP_DIGIT) {
                p += 1 + l;
                continue;
            }
            if (p + 1 < c1 && (u[p + 1] == ',' || u[p + 1] == ':'))
                return false;
            pad = 1;
        } else if (fast_class[c] & (F_STOP | F_WS)) {
            return false;       /* ' " ` and control bytes */
        } else if (c == '-' && p > c0 && u[p - 1] == '-') {
            return false;
        } else {
            p++;
            continue;
        }
        if (!plain_piece(s, seg, p, may_cw, out, &np) || np == 16)
            return false;
        out[np++] = (struct piece){s + p, pad, false};
        p += pad;
        seg = p;
    }
    if (!plain_piece(s, seg, p, may_cw, out, &np))
        return false;
    *n_out = np;
    return true;
}

/* Emit the pieces of a CHUNK_PIECES chunk. */
static int emit_pieces(struct nlp_sink *sink, const struct piece *pc,
                       size_t n)
{
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = pc[k].literal ? nlp_sink_copy(sink, pc[k].p, pc[k].len)
                           : nlp_sink_slice(sink, pc[k].p, pc[k].len);
    return rc;
}

static int sink_copy_emit(const char *tok, size_t len, void *ctx)
{
    return nlp_sink_copy(ctx, tok, len);
}

/*
 * The byte loop and scan_chunk() for the chunk at c0 (sets *i to its
 * end): the kind, with the pieces when CHUNK_PIECES.
 */
static enum chunk_kind byte_loop_kind(const struct th_nlp *nlp,
                                      const char *s, size_t n, size_t c0,
                                      size_t tail_start, size_t end,
                                      size_t *i_out, struct piece *pieces,
                                      size_t *n_pieces)
{
    const unsigned char *u = (const unsigned char *)s;
    enum chunk_kind kind = CHUNK_RUN;
    size_t i = c0;
    unsigned acc = 0, f = F_WS;
    while (i < n) {
        f = fast_class[u[i]];
        if (f & (F_WS | F_STOP | F_CHECK)) {
            if (!(f & F_CHECK))
                break;
            size_t l = check_cp(u + i, n - i, nlp->pad_dashes);
            if (!l) {
                f = F_STOP;
                break;
            }
            acc |= F_NW;
            i += l;
            f = F_WS;
            continue;
        }
        if ((f & acc & (F_DOT | F_DASH)) && u[i - 1] == u[i]) {
            f = F_STOP;     /* .. or --: scan_chunk decides */
            break;
        }
        acc |= f;
        i++;
        f = F_WS;
    }
    size_t body = i;
    if (f & F_WS) {
        if (!(acc & F_DOT) || i < tail_start)
            kind = CHUNK_WHOLE;
        else if (u[i - 1] == '.' && i == end && i - c0 >= 2)
            kind = CHUNK_SPLIT_LAST;    /* final period: "word" "." */
    } else if (i > c0 && (byte_class[u[i]] & B_PUNCT) &&
               (i + 1 == n || is_ascii_ws(u[i + 1])) &&
               i + 1 < tail_start) {
        kind = CHUNK_SPLIT_LAST;
        i++;
    }
    if (kind != CHUNK_RUN && maybe_contraction(s + c0, body - c0, acc))
        kind = CHUNK_RUN;
    if (kind == CHUNK_RUN) {
        i = c0;
        kind = scan_chunk(s, n, c0, tail_start, end, &i);
        if (kind == CHUNK_RUN &&
            (fast_pieces(s, n, c0, i, tail_start, end, true, pieces,
                         n_pieces) ||
             padded_pieces(nlp, s, c0, i, tail_start, true, pieces,
                           n_pieces)))
            kind = CHUNK_PIECES;
    }
    *i_out = i;
    return kind;
}

/*
 * NLTKWordTokenizer.tokenize(s), chunk by chunk (a chunk is a maximal run
 * of non-whitespace bytes).
 *
 * Fast loop: one table lookup per byte (fast_class) finds the chunk's end
 * and whether every byte is one no rewrite touches; such a chunk is one
 * token (or two, with one trailing , : ; ? !), exactly as scan_chunk()
 * would decide, with no per-byte decoding. Lead bytes of code points that
 * may be whitespace or padded quotes (C2, E1, E2, E3) are decoded and
 * checked in place. Anything else (quotes, brackets, dots at the
 * sentence's end, contraction words) goes to scan_chunk() and
 * fast_pieces(), and what they cannot decide joins a run for the full
 * pipeline.
 *
 * Runs: each maximal run of undecided chunks, with the whitespace around
 * it, goes through the full pipeline. Every rewrite looks at most at the
 * whitespace next to a chunk, never through another chunk, and ^ / $
 * rules apply only to runs at the sentence's ends, so the result is the
 * same as running the pipeline on the whole sentence (the parity test and
 * the fuzz target check this).
 */
int nlp_treebank_tokens(const struct th_nlp *nlp, const char *s, size_t n,
                        struct nlp_str work[2], bool seps,
                        struct nlp_sink *sink)
{
    /*
     * Python's \s also matches the separators 0x1c-0x1f, which the slow
     * chunk scanner treats as ordinary bytes: such (rare) sentences take
     * the plain pipeline whole.
     */
    if (seps && nlp_has_separators(s, n))
        return pipeline(nlp, s, n, true, true, work, sink_copy_emit, sink);
    const unsigned char *u = (const unsigned char *)s;
    size_t end = n;
    while (end > 0 && is_ascii_ws(u[end - 1]))
        end--;
    size_t tail_start = n;
    while (tail_start > 0) {
        unsigned char c = u[tail_start - 1];
        if (!(is_ascii_ws(c) || c >= 0x80 || c == ']' || c == ')' ||
              c == '}' || c == '>' || c == '"' || c == '\''))
            break;
        tail_start--;
    }
    size_t i = 0;
    size_t run_start = SIZE_MAX;   /* start of the pending run's piece */
    struct window win;
    win.room = sink->readable_end && sink->readable_end >= s + n
        ? (size_t)(sink->readable_end - s) : n;
    win.leads = sink->leads;
    win.doc_off = sink->leads ? (size_t)(s - sink->doc) : 0;
    window_load(&win, s, n, 0);
    while (i < n) {
        if (run_start == SIZE_MAX) {
            /* a window holds at most 64 tokens */
            if (sink->cap - sink->n < 64) {
                int rc = nlp_sink_grow(sink);
                if (rc < 0)
                    return rc;
            }
            i = window_bulk(&win, s, n, i, tail_start, end, sink);
        }
        size_t ws = i, c0, len;
        if (!window_next(&win, s, n, i, &c0, &len))
            break;
        enum chunk_kind wk = len ? window_kind(&win, s, c0, len,
                                               tail_start, end)
                                 : CHUNK_RUN;
        if (wk != CHUNK_RUN) {
            if (run_start != SIZE_MAX) {
                int rc = pipeline(nlp, s + run_start, c0 - run_start,
                                  run_start == 0, false, work,
                                  sink_copy_emit, sink);
                if (rc < 0)
                    return rc;
                run_start = SIZE_MAX;
            }
            int rc = wk == CHUNK_WHOLE
                ? nlp_sink_slice(sink, s + c0, len)
                : nlp_sink_slice(sink, s + c0, len - 1);
            if (rc == 0 && wk == CHUNK_SPLIT_LAST)
                rc = nlp_sink_slice(sink, s + c0 + len - 1, 1);
            if (rc < 0)
                return rc;
            i = c0 + len;
            continue;
        }
        /*
         * A chunk whose first non-plain byte is ASCII (not whitespace)
         * is one the byte loop and scan_chunk() both leave undecided (such
         * a byte is , : ; ? ! not at the end, or a byte both call bad):
         * straight to the piece shapes. They need not look for a
         * MacIntyre contraction word when the window marks no start of
         * one in the chunk (cand: every such word of a segment bounded
         * by non-alphanumeric bytes starts a 5-6 byte run there).
         */
        bool direct = false, may_cw = true;
        if (len) {
            size_t rel = c0 - win.base;
            uint64_t m = ((uint64_t)1 << len) - 1;
            uint64_t bad = (~win.plain >> rel) & m;
            direct = bad && u[c0 + (size_t)__builtin_ctzll(bad)] < 0x80;
            may_cw = ((win.cand >> rel) & m) != 0;
        }
        struct piece pieces[16];
        size_t n_pieces = 0;
        enum chunk_kind kind = CHUNK_RUN;
        if (direct) {
            i = c0 + len;
            if (fast_pieces(s, n, c0, i, tail_start, end, may_cw, pieces,
                            &n_pieces) ||
                padded_pieces(nlp, s, c0, i, tail_start, may_cw, pieces,
                              &n_pieces))
                kind = CHUNK_PIECES;
        } else {
            kind = byte_loop_kind(nlp, s, n, c0, tail_start, end, &i,
                                  pieces, &n_pieces);
        }
        if (kind == CHUNK_RUN) {
            if (run_start == SIZE_MAX)
                run_start = ws;
            continue;
        }
        int rc;
        if (run_start != SIZE_MAX) {
            rc = pipeline(nlp, s + run_start, c0 - run_start,
                          run_start == 0, false, work, sink_copy_emit,
                          sink);
            if (rc < 0)
                return rc;
            run_start = SIZE_MAX;
        }
        if (kind == CHUNK_WHOLE) {
            rc = nlp_sink_slice(sink, s + c0, i - c0);
        } else if (kind == CHUNK_PIECES) {
            rc = emit_pieces(sink, pieces, n_pieces);
        } else {
            rc = nlp_sink_slice(sink, s + c0, i - c0 - 1);
            if (rc == 0)
                rc = nlp_sink_slice(sink, s + i - 1, 1);
        }
        if (rc < 0)
            return rc;
    }
    if (run_start != SIZE_MAX)
        return pipeline(nlp, s + run_start, n - run_start, run_start == 0,
                        true, work, sink_copy_emit, sink);
    return 0;
}

/*
 * The callback form (tests and the fuzz target): tokens collected in a
 * sink with a private arena, then handed to emit one by one.
 */
int nlp_treebank_tokenize(const struct th_nlp *nlp, const char *s, size_t n,
                          struct nlp_str work[2], nlp_emit_fn emit,
                          void *ctx)
{
    struct nlp_sink sink = {0};
    if (th_arena_new(&sink.arena, 0, 0) < 0)
        return TH_ENOMEM;
    sink.spill_hint = n + 16;
    int rc = nlp_treebank_tokens(nlp, s, n, work, true, &sink);
    for (size_t k = 0; k < sink.n && rc == 0; k++)
        rc = emit(sink.toks[k].ptr, sink.toks[k].len, ctx);
    free(sink.toks);
    th_arena_free(sink.arena);
    return rc;
}

int nlp_treebank_tokenize_reference(const struct th_nlp *nlp, const char *s,
                                    size_t n, struct nlp_str work[2],
                                    nlp_emit_fn emit, void *ctx)
{
    return pipeline(nlp, s, n, true, true, work, emit, ctx);
}
