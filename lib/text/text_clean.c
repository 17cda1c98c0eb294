/*
 * Line-level cleanup of extracted text: keep the article of a page, drop
 * the leftovers of its navigation, promos, embeds, notices and footers.
 *
 * Input is normalized text (th_text_normalize): one block per line, lines
 * trimmed. Every line gets language-independent features in one pass over
 * its bytes: words (CJK characters count half), letters, the share of
 * words that start lowercase (menus, tag lines and headlines are Title
 * Case, prose is not), sentence punctuation, a trailing "..." (a cut
 * teaser), glue points (a capitalised word glued to the word or question
 * before it: "railsThe", "LandHow", "Institutions?100"), list markers,
 * '|' separators, leftover markup tags, form fields and image
 * placeholders. The places where a word starts are noted and matched
 * against a small vocabulary of generic web boilerplate, in English and
 * the same few words in other major web languages (cookie notices,
 * share/subscribe/related, "all rights reserved", "is currently
 * unavailable", ...): words every site uses, never the strings of one
 * page. Each list only counts in lines short enough for it (8, 40 or 120
 * words).
 *
 * Speed. Lines that are ASCII but for general punctuation (quotes,
 * dashes, '…': most lines of web text) get their features 64 bytes at a
 * time from SSE2 byte-class masks (block_features: every rule of the
 * character loop as bit operations, the first letter of each word by one
 * carry-propagating add); other lines, and builds without SSE2, take the
 * character loop. The vocabulary is looked up only after the features,
 * when the line's word count makes a list count, and only where a letter
 * follows a non-letter: bloom filters of the phrases' first 4 bytes (and
 * of the long phrases' first 8 bytes, for lines of 9+ words, where common
 * words such as "this" or "you" would otherwise hit) come before the
 * bucket of phrases, compared 8 folded bytes at once.
 *
 * Each line gets a class like a jusText paragraph: BAD (boilerplate, with
 * a flag saying whether by vocabulary/widget, by markup, or merely not
 * prose), GOOD (prose), NEAR (prose-like but short) or SHORT.
 *
 * The article is then found as a block: every line gets a weight (prose:
 * its words minus 5, so one-line teasers weigh little; boilerplate: minus
 * its words; headings, code, numbers: a small cost) and the run of lines
 * with the largest total is taken (Kadane), in the spirit of Finn's
 * Body Text Extraction. After an article come teasers, so the run is cut
 * at a boilerplate line after which the prose lines are on average less
 * than half as long and weigh less in total, and the best run inside what
 * is left is taken again. Inside the run everything is kept except
 * boilerplate, markup and menu items (short list items without a
 * lowercase word): headings, captions, lists and code stay, as extraction
 * gold keeps them. A text without any prose is kept only when tiny (20
 * words: a title, a note); a short text that says the page does not exist
 * (a soft 404) is dropped whole.
 *
 * A promo glued onto the start of a paragraph ("SEE ALSO: <headline>The
 * letter demands ...") is cut at the first glue point after its label and
 * the paragraph judged on its own.
 *
 * Cleaning the output again changes nothing: features and weights are
 * line-local (but for "repeated"), every dropped line inside the run has
 * a negative weight, and the run is re-chosen after cutting the tail, so
 * every prefix and suffix of the kept run weighs more than zero.
 *
 * Rejected: a per-site rule list (does not generalize), a learned model
 * (no training data in the repo that we may ship, and a model would hide
 * why a line was dropped), keeping every prose line anywhere (comments,
 * tickers and teaser paragraphs after the article cost 5 points of
 * precision on the dev sets). NEEDSWORK: repetition across the corpus
 * (lines seen in many documents of a crawl) needs shared state between
 * workers; comments after an article are prose and are kept.
 */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "thresh/text.h"
#include "text_internal.h"
#include "../core/banned.h"

/* Class of a line, from its own features (then fixed up by context). */
enum line_class {
    LC_BAD,     /* boilerplate */
    LC_SHORT,   /* too short to tell */
    LC_NEAR,    /* prose-like but short */
    LC_GOOD,    /* prose */
};

/* One line of the input and what we learned about it. */
struct line {
    size_t start;           /* byte offset of the line in the input */
    size_t len;             /* bytes, without the '\n' */
    size_t skip;            /* leading bytes cut off (glued promo) */
    unsigned n_words;       /* whitespace-separated tokens with a letter */
    unsigned n_lower;       /* words starting with a lowercase letter */
    unsigned n_cased;       /* words starting with a cased letter */
    unsigned n_letters;     /* letters (any script) */
    unsigned n_wide;        /* CJK / kana / hangul characters */
    unsigned n_glue;        /* glue points */
    unsigned n_sentences;   /* sentence ends followed by space or EOL */
    unsigned n_commas;      /* commas */
    unsigned n_pipes;       /* '|' separators */
    unsigned n_tags;        /* markup tags left over ("<mi>", "</a>") */
    unsigned kinds;         /* enum phrase_kind of the phrases it holds,
                               among those its length makes count */
    bool bullet;            /* starts with a list marker */
    bool ends_sentence;     /* ends with sentence punctuation */
    bool truncated;         /* ends with "..." (a cut teaser) */
    bool boiler;            /* boilerplate vocabulary, widget or form */
    bool markup;            /* leftover markup: dropped, costs little */
    bool vocab;             /* boilerplate by its words (share, related) */
    bool repeated;          /* same text elsewhere in the document */
    bool repeat_test;       /* its class hangs on "repeated" (a short
                               line that no earlier rule settled) */
    enum line_class first;  /* class from the line's own features */
    enum line_class cls;    /* current class */
    bool keep;              /* final decision */
};

/* ASCII character classes. */
enum {
    CH_LOWER = 1,
    CH_UPPER = 2,
    CH_DIGIT = 4,
    CH_SPACE = 8,
    CH_END = 16,    /* sentence end: . ! ? */
};

static const unsigned char ascii_class[256] = {
    ['a' ... 'z'] = CH_LOWER,
    ['A' ... 'Z'] = CH_UPPER,
    ['0' ... '9'] = CH_DIGIT,
    [' '] = CH_SPACE, ['\t'] = CH_SPACE,
    ['.'] = CH_END, ['!'] = CH_END, ['?'] = CH_END,
};

/* Letter class of a non-ASCII code point: CH_LOWER, CH_UPPER or 0. */
static unsigned unicode_class_slow(uint32_t cp, bool *letter, bool *wide)
{
    const utf8proc_property_t *p = utf8proc_get_property((int32_t)cp);
    *wide = (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
            (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
            (cp >= 0x20000 && cp <= 0x3FFFF);
    switch (p->category) {
    case UTF8PROC_CATEGORY_LL:
        *letter = true;
        return CH_LOWER;
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT:
        *letter = true;
        return CH_UPPER;
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
        *letter = true;
        return 0;
    default:
        *letter = false;
        return 0;
    }
}

/* unicode_class_slow() of every BMP code point, packed (built once). */
enum { BMP_LETTER = 1 << 6, BMP_WIDE = 1 << 7 };
static uint8_t bmp_class[0x10000];

static void build_bmp_class(void)
{
    for (uint32_t cp = 0x80; cp < 0x10000; cp++) {
        bool letter, wide;
        unsigned cls = unicode_class_slow(cp, &letter, &wide);
        bmp_class[cp] = (uint8_t)(cls | (letter ? BMP_LETTER : 0) |
                                  (wide ? BMP_WIDE : 0));
    }
}

/* Letter class of a non-ASCII code point: CH_LOWER, CH_UPPER or 0. */
static unsigned unicode_class(uint32_t cp, bool *letter, bool *wide)
{
    if (cp >= 0x10000)
        return unicode_class_slow(cp, letter, wide);
    unsigned v = bmp_class[cp];
    *letter = v & BMP_LETTER;
    *wide = v & BMP_WIDE;
    return v & (CH_LOWER | CH_UPPER);
}

/* ------------------------------------------------------------ vocabulary */

/*
 * Generic web boilerplate, matched case-insensitively as substrings. STRONG
 * phrases mark a line of up to 40 words; WEAK ones only a line of up to 8.
 */
static const char *const strong_phrases[] = {
    "is currently unavailable", "might be loading", "enable javascript",
    "javascript is disabled", "javascript must be enabled",
    "your browser does not support", "browser does not support",
    "upgrade your browser", "uses cookies", "use of cookies",
    "use cookies", "cookie policy", "accept cookies",
    "all rights reserved", "privacy policy", "terms of use",
    "terms of service", "terms and conditions", "sign up for our",
    "subscribe to our", "our newsletter", "sign up for the",
    "follow us on", "like us on facebook", "share this article",
    "share this story", "share on facebook", "share on twitter",
    "click here to", "you may also like", "recommended for you",
    "related articles", "related stories", "related posts",
    "skip to content", "skip to main content", "skip navigation",
    "jump to navigation", "back to top", "leave a comment",
    "leave a reply", "post a comment", "no comments yet",
    "loading comments", "this video is unavailable", "embed this",
    "powered by", "registered trademark", "all right reserved",
};

/* Notices that run long but are never content: up to 120 words. */
static const char *const notice_phrases[] = {
    "we use cookies", "uses cookies", "use of cookies", "this site uses",
    "this website uses", "cookie policy", "accept cookies",
    "by continuing to use", "by using this site", "by using our site",
};

static const char *const weak_phrases[] = {
    "cookie", "subscribe", "newsletter", "sign in", "sign up", "log in",
    "login", "logout", "register", "share", "tweet", "facebook",
    "twitter", "pinterest", "linkedin", "whatsapp", "reddit", "email",
    "print", "read more", "more stories", "continue reading", "comments",
    "advertisement", "sponsored", "related", "trending", "most popular",
    "menu", "search", "home", "next story", "previous story",
    "next article", "previous article", "copyright", "\xc2\xa9 ",
    "follow", "loading", "download", "contact us", "about us",
    "permalink", "posted in", "tags:", "topics", "filed under",
    "categories", "see also", "view all", "see all", "load more",
    "show more", "more from", "back to",
    /* the same few words in other major web languages */
    "teilen", "anzeige", "kommentare", "datenschutz", "impressum",
    "weiterlesen", "mehr zum thema", "partager", "publicit",
    "commentaires", "lire aussi", "lire la suite", "abonnez",
    "compartir", "publicidad", "comentarios", "leer m", "compartilh",
    "publicidade", "coment\xc3\xa1rios", "leia mais", "veja tamb",
    "condividi", "pubblicit", "commenti", "leggi anche", "delen",
    "reageer", "lees meer", "souvisej", "sd\xc3\xadlet", "reklama",
    "udost\xc4\x99pnij", "komentarze", "czytaj tak\xc5\xbc" "e",
    "\xd0\xbf\xd0\xbe\xd0\xb4\xd0\xb5\xd0\xbb\xd0\xb8\xd1\x82"
    "\xd1\x8c\xd1\x81\xd1\x8f",
    "\xd1\x80\xd0\xb5\xd0\xba\xd0\xbb\xd0\xb0\xd0\xbc\xd0\xb0",
};

/* Error pages served with status 200 ("soft 404"), lowercase. */
static const char *const error_phrases[] = {
    "page not found", "error 404", "404 error", "404 not found",
    "cannot be found", "could not be found",
    "can't be found", "page you requested", "page you are looking for",
    "page you were looking for", "no longer exists", "does not exist",
    "no longer available", "has been moved or deleted",
};

/* Labels that open a promo line ("SEE ALSO: ..."), lowercase. */
static const char *const promo_labels[] = {
    "see also", "read more", "read also", "also read", "related",
    "recommended", "more", "watch", "listen", "don't miss", "dont miss",
    "trending", "most popular", "popular", "sponsored", "advertisement",
    "you may also like", "read next", "up next", "more from",
    "more on this", "further reading", "also on", "read",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* strlen() of each promo label (build_phrase_index). */
static size_t promo_label_lens[COUNT(promo_labels)];
/* Bytes a promo label may start with, either case (build_phrase_index). */
static bool promo_first[256];

/* Which list a phrase comes from. */
enum phrase_kind {
    PH_STRONG = 1 << 0,     /* strong_phrases */
    PH_NOTICE = 1 << 1,     /* notice_phrases */
    PH_WEAK = 1 << 2,       /* weak_phrases */
    PH_ERROR = 1 << 3,      /* error_phrases */
};

/* One phrase of the combined index. */
struct phrase {
    const char *text;       /* lowercase bytes */
    uint64_t key;           /* its first 8 bytes (byte k at bits 8k) */
    uint64_t mask;          /* 0xFF over the bytes of key that exist */
    size_t len;             /* strlen(text) */
    uint8_t kind;           /* enum phrase_kind */
};

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Tells the host byte order: {1, 0} on a little-endian host. */
static const union {
    uint16_t word;      /* 1 */
    uint8_t bytes[2];   /* its bytes in memory order */
} probe_le = { 1 };

#define PHRASE_MAX 256
#define BUCKETS 4096

/*
 * All phrases, bucketed by a hash of their first two (case-folded) bytes,
 * so that matching a line costs one lookup per word start and rarely a
 * comparison. Built once (pthread_once), read-only afterwards.
 */
static struct phrase phrases[PHRASE_MAX];
static uint16_t bucket_start[BUCKETS + 1];
static uint8_t bucket_order[PHRASE_MAX];
static uint8_t bloom[65536 / 8];   /* hashes of folded first 3 bytes */
static uint8_t bloom4[65536 / 8];  /* the same, first 4 bytes */
static uint8_t bloom8[65536 / 8];  /* first 8 bytes of long phrases that
                                      count in lines of 9+ words */
static size_t n_phrases;
static pthread_once_t phrase_once = PTHREAD_ONCE_INIT;

#if defined(__SSE2__) && defined(__x86_64__) && \
    (defined(__GNUC__) || defined(__clang__))
#define TEXT_CPU_DISPATCH 1
/* The CPU has POPCNT, BMI1, BMI2 and AVX2 (set by build_phrase_index):
 * block_features_fast() may run. */
static bool cpu_fast;
#endif

/* ASCII case folding by table (the hot loop calls it per word start). */
static unsigned char fold_table[256];

static unsigned char fold(unsigned char c)
{
    return fold_table[c];
}

/* Bloom bit and bucket of the case-folded first three bytes h3 (byte k
 * at bits 8k): the top 16 and the top 12 bits of one product. */
static unsigned bloom_of(uint32_t h3)
{
    return (unsigned)((h3 * 0x9E3779B1u) >> 16);
}

static unsigned bloom_wide(uint64_t key)
{
    return (unsigned)((key * 0x9E3779B97F4A7C15ull) >> 48);
}

static bool bloom_has(const uint8_t *set, unsigned h)
{
    return (set[h >> 3] >> (h & 7)) & 1;
}

static void bloom_add(uint8_t *set, unsigned h)
{
    set[h >> 3] |= (uint8_t)(1u << (h & 7));
}

static unsigned bucket_of(uint32_t h3)
{
    return (unsigned)((h3 * 0x9E3779B1u) >> 20);
}

/* Up to 8 bytes at p (n available) as a word, byte k at bits 8k, with
 * ASCII capitals folded to lowercase; missing bytes are 0. */
static uint64_t load_folded(const unsigned char *p, size_t n)
{
    uint64_t w = 0;
    if (n > 8)
        n = 8;
    for (size_t k = 0; k < n; k++)
        w |= (uint64_t)fold(p[k]) << (8 * k);
    return w;
}

static void add_phrases(const char *const *list, size_t n, uint8_t kind)
{
    for (size_t i = 0; i < n && n_phrases < PHRASE_MAX; i++) {
        struct phrase *ph = &phrases[n_phrases];
        assert(list[i][0] && list[i][1] && list[i][2]);
        ph->text = list[i];
        ph->len = strlen(list[i]);
        ph->key = load_folded((const unsigned char *)list[i], ph->len);
        ph->mask = ph->len >= 8 ? ~0ull : (1ull << (8 * ph->len)) - 1;
        ph->kind = kind;
        n_phrases++;
    }
}

static void build_phrase_index(void)
{
    build_bmp_class();
    for (size_t i = 0; i < COUNT(promo_labels); i++)
        promo_label_lens[i] = strlen(promo_labels[i]);
    for (size_t i = 0; i < COUNT(promo_labels); i++) {
        unsigned char c = (unsigned char)promo_labels[i][0];
        promo_first[c] = true;
        if (c >= 'a' && c <= 'z')
            promo_first[c - 32] = true;
    }
#if defined(TEXT_CPU_DISPATCH)
    __builtin_cpu_init();
    cpu_fast = __builtin_cpu_supports("popcnt") &&
               __builtin_cpu_supports("bmi") &&
               __builtin_cpu_supports("bmi2") &&
               __builtin_cpu_supports("avx2");
#endif
    for (unsigned c = 0; c < 256; c++)
        fold_table[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    add_phrases(strong_phrases, COUNT(strong_phrases), PH_STRONG);
    add_phrases(notice_phrases, COUNT(notice_phrases), PH_NOTICE);
    add_phrases(weak_phrases, COUNT(weak_phrases), PH_WEAK);
    add_phrases(error_phrases, COUNT(error_phrases), PH_ERROR);
    for (size_t i = 0; i < n_phrases; i++) {
        const struct phrase *ph = &phrases[i];
        bloom_add(bloom, bloom_of((uint32_t)(ph->key & 0xFFFFFF)));
        /* a phrase that starts with ASCII has 4 bytes at least */
        assert((unsigned char)ph->text[0] >= 0x80 || ph->len >= 4);
        bloom_add(bloom4, bloom_wide(ph->key & 0xFFFFFFFFull));
        if (ph->kind & (PH_STRONG | PH_NOTICE)) {
            assert(ph->len >= 8);
            bloom_add(bloom8, bloom_wide(ph->key));
        }
    }
    size_t k = 0;
    for (unsigned b = 0; b < BUCKETS; b++) {
        bucket_start[b] = (uint16_t)k;
        for (size_t i = 0; i < n_phrases; i++)
            if (bucket_of((uint32_t)(phrases[i].key & 0xFFFFFF)) == b)
                bucket_order[k++] = (uint8_t)i;
    }
    bucket_start[BUCKETS] = (uint16_t)k;
}

/* load_folded() of the 8 bytes at p, n of which may be read. */
static inline __attribute__((always_inline))
uint64_t load_folded8(const unsigned char *p, size_t n)
{
    if (n < 8)
        return load_folded(p, n);
    uint64_t w;
    memcpy(&w, p, 8);
    if (!probe_le.bytes[0])
        w = __builtin_bswap64(w);
    /* fold A-Z: 0x20 into every byte in 'A'..'Z' (< 0x80) */
    uint64_t low = w & ~HIGHS;
    uint64_t up = (low + ONES * (0x80u - 'A')) &
                  ~(low + ONES * (0x7Fu - 'Z')) & ~w & HIGHS;
    return w | (up >> 2);
}

/*
 * The kinds of the phrases that start at s[i] (case-folded) and end
 * within len; avail bytes can be read from s (at least len). The first 8
 * bytes are loaded folded at once: their first three pick a bit of a
 * sparse bloom filter (about 200 phrases in 65,536 bits, so the branch
 * on it is almost never taken) and a bucket, and one masked compare of 8
 * bytes settles each phrase of the bucket but the longer ones' tails.
 */
static unsigned phrase_at(const unsigned char *s, size_t len, size_t avail,
                          size_t i)
{
    if (i + 2 >= len)
        return 0;
    uint64_t w = load_folded8(s + i, avail - i);
    unsigned h = bloom_of((uint32_t)(w & 0xFFFFFF));
    if (!((bloom[h >> 3] >> (h & 7)) & 1))
        return 0;
    unsigned b = bucket_of((uint32_t)(w & 0xFFFFFF));
    unsigned found = 0;
    for (unsigned k = bucket_start[b]; k < bucket_start[b + 1]; k++) {
        const struct phrase *ph = &phrases[bucket_order[k]];
        if (((w ^ ph->key) & ph->mask) || ph->len > len - i)
            continue;
        size_t j = 8;
        while (j < ph->len && fold(s[i + j]) == (unsigned char)ph->text[j])
            j++;
        if (j >= ph->len)
            found |= ph->kind;
    }
    return found;
}

static bool is_ascii_letter(unsigned char c)
{
    return ascii_class[c] & (CH_LOWER | CH_UPPER);
}

/*
 * The kinds (among want) of the phrases that s[0..len) holds at the start
 * of a word, ignoring ASCII case.
 */
static unsigned phrase_kinds(const char *str, size_t len, unsigned want)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned found = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (i > 0 && is_ascii_letter(s[i - 1]) && s[i] < 0x80)
            continue;
        found |= phrase_at(s, len, len, i) & want;
        if (!(want & ~found))
            break;
    }
    return found;
}

/*
 * Length of a promo label at the start of s ("SEE ALSO:" -> 9 with the
 * colon), or 0.
 */
static size_t promo_label_len(const char *s, size_t len)
{
    if (!len || !promo_first[(unsigned char)s[0]] ||
        !memchr(s, ':', len < 24 ? len : 24))
        return 0;
    for (size_t i = 0; i < COUNT(promo_labels); i++) {
        size_t n = promo_label_lens[i];
        if (n + 1 > len || s[n] != ':')
            continue;
        size_t k = 0;
        for (; k < n; k++) {
            unsigned char c = (unsigned char)s[k];
            if (c >= 'A' && c <= 'Z')
                c += 32;
            if (c != (unsigned char)promo_labels[i][k])
                break;
        }
        if (k == n)
            return n + 1;
    }
    return 0;
}

/* ------------------------------------------------------------ features */

/* True when the line starts with a list marker ("* ", "+ ", "o ", "1."). */
static bool starts_bullet(const char *s, size_t len)
{
    if (len >= 2 && s[1] == ' ' &&
        (s[0] == '*' || s[0] == '+' || s[0] == '-' || s[0] == 'o' ||
         s[0] == '#' || s[0] == '@' || s[0] == '='))
        return true;
    if (len >= 4 && (unsigned char)s[0] == 0xE2 &&
        (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0xA2)
        return true;
    return false;
}

/* How many of the 8 bytes at p, from the first, are 'a'..'z' (0..8). */
static unsigned lower_run_8(const uint8_t *p)
{
    static const union {
        uint16_t word;      /* 1 */
        uint8_t bytes[2];   /* {1, 0} on a little-endian host */
    } probe = { 1 };
    const uint64_t ones = 0x0101010101010101ull;
    const uint64_t highs = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, p, 8);
    if (!probe.bytes[0])    /* big endian: put byte k at bits 8k */
        w = __builtin_bswap64(w);
    uint64_t low7 = w & ~highs;
    uint64_t ge_a = low7 + ones * (0x80 - 'a');         /* >= 'a' */
    uint64_t gt_z = low7 + ones * (0x80 - 'z' - 1);     /* > 'z' */
    uint64_t lower = ge_a & ~gt_z & ~w & highs;
    uint64_t other = ~lower & highs;
    return other ? (unsigned)__builtin_ctzll(other) / 8 : 8;
}

/* ------------------------------------------------------------ words */

#define STARTS_MAX 512      /* phrase start positions kept per line */

/* Counters of one line, filled by line_features(). */
struct counts {
    unsigned n_words;       /* see struct line */
    unsigned n_lower;
    unsigned n_cased;
    unsigned n_letters;
    unsigned n_glue;
    unsigned n_commas;
    unsigned n_pipes;
    uint32_t *starts;       /* where a phrase may start (STARTS_MAX) */
    size_t n_starts;        /* entries used; STARTS_MAX + 1: overflow */
    size_t avail;           /* bytes readable from the line's start */
    bool maybe_space;       /* false: the line has no ' ' or tab */
    bool maybe_underscore;  /* false: the line has no '_' */
};

static void add_start(struct counts *c, size_t i)
{
    if (c->n_starts < STARTS_MAX)
        c->starts[c->n_starts++] = (uint32_t)i;
    else
        c->n_starts = STARTS_MAX + 1;
}

#if defined(__SSE2__)
/* Portable popcount (no -mpopcnt on the x86-64 baseline). */
static inline __attribute__((always_inline))
unsigned count_bits(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return (unsigned)((x * ONES) >> 56);
}

/* Byte classes of 64 bytes, one bit per byte (bit k: byte k). */
struct block {
    uint64_t lower;     /* a-z */
    uint64_t upper;     /* A-Z */
    uint64_t space;     /* ' ' '\t' */
    uint64_t end;       /* . ? ! and 0xA6 (the last byte of '…') */
    uint64_t comma;     /* , */
    uint64_t high;      /* >= 0x80 */
    uint64_t rare;      /* ? ! | < _: the masks below are set only if any */
    uint64_t qe;        /* ? ! */
    uint64_t digit;     /* 0-9 */
    uint64_t pipe;      /* | */
    uint64_t lt;        /* < */
    uint64_t slash;     /* / */
    uint64_t underscore; /* _ */
};

static inline __attribute__((always_inline))
uint64_t mask16(__m128i m, unsigned q)
{
    return (uint64_t)(unsigned)_mm_movemask_epi8(m) << (16 * q);
}

/* x in [lo, lo + n): (x - lo) ^ 0x80 < n - 128, signed */
#define RANGE(v, lo, n) _mm_cmplt_epi8(_mm_add_epi8(v, \
        _mm_set1_epi8((char)(0x80 - (lo)))), _mm_set1_epi8((char)((n) - 128)))
#define EQ(v, c) _mm_cmpeq_epi8(v, _mm_set1_epi8((char)(c)))

static inline __attribute__((always_inline))
__m128i load16(const uint8_t *p)
{
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* Classify the first nq (1..4) groups of 16 of the 64 bytes at p. The
 * masks are built in locals and stored once (a memset of the struct
 * became a slow 'rep stos'). */
static inline __attribute__((always_inline))
void classify_block(const uint8_t *p, unsigned nq, struct block *b)
{
    uint64_t lower = 0, upper = 0, space = 0, end = 0, comma = 0, high = 0;
    uint64_t rare = 0;
    for (unsigned q = 0; q < nq; q++) {
        __m128i v = load16(p + 16 * q);
        __m128i qe = _mm_or_si128(EQ(v, '?'), EQ(v, '!'));
        lower |= mask16(RANGE(v, 'a', 26), q);
        upper |= mask16(RANGE(v, 'A', 26), q);
        space |= mask16(_mm_or_si128(EQ(v, ' '), EQ(v, '\t')), q);
        end |= mask16(_mm_or_si128(qe, _mm_or_si128(EQ(v, '.'),
                                                     EQ(v, 0xA6))), q);
        comma |= mask16(EQ(v, ','), q);
        high |= mask16(v, q);
        rare |= mask16(_mm_or_si128(_mm_or_si128(qe, EQ(v, '|')),
                       _mm_or_si128(EQ(v, '<'), EQ(v, '_'))), q);
    }
    b->lower = lower;
    b->upper = upper;
    b->space = space;
    b->end = end;
    b->comma = comma;
    b->high = high;
    b->rare = rare;
    uint64_t qe = 0, digit = 0, pipe = 0, lt = 0, slash = 0, underscore = 0;
    for (unsigned q = 0; rare && q < nq; q++) {
        __m128i v = load16(p + 16 * q);
        qe |= mask16(_mm_or_si128(EQ(v, '?'), EQ(v, '!')), q);
        digit |= mask16(RANGE(v, '0', 10), q);
        pipe |= mask16(EQ(v, '|'), q);
        lt |= mask16(EQ(v, '<'), q);
        slash |= mask16(EQ(v, '/'), q);
        underscore |= mask16(EQ(v, '_'), q);
    }
    b->qe = qe;
    b->digit = digit;
    b->pipe = pipe;
    b->lt = lt;
    b->slash = slash;
    b->underscore = underscore;
}
#undef RANGE
#undef EQ

/* True when every byte >= 0x80 of s[from, len) is in a U+2000..U+203F
 * character (E2 80 xx: quotes, dashes, '…'), none of them a letter. The
 * ASCII between them is skipped 16 bytes at a time. */
static bool only_general_punctuation(const uint8_t *s, size_t from,
                                     size_t len)
{
    size_t i = from;
    for (;;) {
        while (i + 16 <= len) {
            unsigned m = (unsigned)_mm_movemask_epi8(load16(s + i));
            if (m) {
                i += (size_t)__builtin_ctz(m);
                break;
            }
            i += 16;
        }
        while (i < len && s[i] < 0x80)
            i++;
        if (i >= len)
            return true;
        if (s[i] != 0xE2 || i + 2 >= len || s[i + 1] != 0x80 ||
            (s[i + 2] & 0xC0) != 0x80)
            return false;
        i += 3;
    }
}

/*
 * The features of a line that is ASCII but for general punctuation (most
 * lines of web text), 64 bytes at a time from SSE2 byte classes: every
 * rule of the character loop becomes a bit operation on the masks, with
 * neighbours reached by shifting a mask one bit (and the last bits of the
 * previous 64 carried over). The first letter of each word (which decides
 * whether the word counts and whether it starts lowercase) is the letter
 * with no letter before it in the same word: a prefix OR over the bits,
 * cut at spaces, in six doubling steps. A character E2 80 xx counts as
 * three non-letters, which is what the loop makes of one ('…' ends a
 * sentence by its last byte); no phrase starts with one. Returns false,
 * having changed nothing, for any other non-ASCII byte: the character
 * loop then does the line.
 */
static inline __attribute__((always_inline))
bool block_features(const uint8_t *s, size_t len, size_t avail,
                    struct counts *c, unsigned *n_sentences,
                    unsigned *n_tags)
{
    uint64_t c_lower = 0, c_lower2 = 0, c_qe = 0, c_end = 0, c_letter = 0;
    uint64_t c_seek = 0;    /* a word without a letter yet goes on */
    uint64_t c_word = 0;    /* the last byte was inside a word */
    bool checked = false;
    struct counts r = *c;
    unsigned sentences = 0, tags = 0;
    uint64_t any_space = 0, any_underscore = 0;
    for (size_t o = 0; o < len; o += 64) {
        struct block b;
        unsigned nq = len - o >= 64 ? 4 : (unsigned)(len - o + 15) / 16;
        uint8_t tmp[64];
        const uint8_t *p = s + o;
        if (o + 16 * nq > avail) {
            /* the end of the text: classify a copy */
            memset(tmp, 0, sizeof(tmp));
            memcpy(tmp, s + o, avail - o);
            p = tmp;
        }
        classify_block(p, nq, &b);
        uint64_t valid = len - o >= 64 ? ~0ull : (1ull << (len - o)) - 1;
        if ((b.high & valid) && !checked) {
            if (!only_general_punctuation(s, o, len))
                return false;
            checked = true;
        }
        uint64_t lower = b.lower & valid, upper = b.upper & valid;
        uint64_t digit = b.digit & valid, qe = b.qe & valid;
        uint64_t space = b.space & valid;
        any_space |= space;
        any_underscore |= b.underscore & valid;
        uint64_t letter = lower | upper;
        uint64_t end = b.end & valid;
        uint64_t next_lower = lower >> 1;
        if (o + 64 < len && ascii_class[s[o + 64]] == CH_LOWER)
            next_lower |= 1ull << 63;
        uint64_t prev_lower = (lower << 1) | c_lower;
        uint64_t prev_lower2 = (lower << 2) | (c_lower << 1) | c_lower2;
        uint64_t prev_qe = (qe << 1) | c_qe;
        if (o == 0)     /* "?A", "!1" count from the third byte on */
            prev_qe &= ~2ull;
        uint64_t glued = (upper & next_lower &
                          ((prev_lower & prev_lower2) | prev_qe)) |
                         (digit & prev_qe);
        if (glued)
            r.n_glue += count_bits(glued);
        uint64_t ends = space & ((end << 1) | c_end);
        if (ends)
            sentences += count_bits(ends);
        uint64_t comma = b.comma & valid, pipe = b.pipe & valid;
        /* (qe, digit, pipe, lt, slash, underscore: 0 unless rare) */
        if (comma | pipe) {
            r.n_commas += count_bits(comma);
            r.n_pipes += count_bits(pipe);
        }
        r.n_letters += count_bits(letter);
        /* "<" then '/' or a letter, and a '>' later in the line */
        uint64_t tag = b.lt & valid & (((b.slash & valid) | letter) >> 1);
        if (o + 64 < len && (b.lt >> 63) &&
            (s[o + 64] == '/' || (ascii_class[s[o + 64]] &
                                  (CH_LOWER | CH_UPPER))))
            tag |= 1ull << 63;
        for (; tag; tag &= tag - 1) {
            size_t i = o + (size_t)__builtin_ctzll(tag);
            tags += memchr(s + i + 1, '>', len - i - 1) != NULL;
        }
        /* The first letter of each word: add 1 at every word start to
         * the mask of its non-letters; the carry runs through them and
         * stops on the word's first letter (or on the space after it,
         * harmlessly). A word still without a letter at the end of the
         * 64 carries on into the next 64 the same way. */
        uint64_t word = ~space & valid;
        uint64_t starts_w = word & ~((word << 1) | c_word);
        uint64_t other = word & ~letter;
        uint64_t sum;
        uint64_t carry = __builtin_add_overflow(other, starts_w, &sum);
        carry |= __builtin_add_overflow(sum, c_seek, &sum);
        uint64_t first = sum & letter;
        if (first) {
            unsigned nw = count_bits(first);
            r.n_words += nw;
            r.n_cased += nw;
            r.n_lower += count_bits(first & lower);
        }
        /* phrase starts: a letter after a non-letter (digits start only
         * error phrases, which line_phrases() never looks for); none
         * once the line has more than 120 words, where no list counts
         * (classify_line) */
        uint64_t starts = r.n_words > 120 ? 0 :
                          letter & ~((letter << 1) | c_letter);
        for (; starts; starts &= starts - 1) {
            size_t i = o + (size_t)__builtin_ctzll(starts);
            if (i + 2 < len)
                add_start(&r, i);
        }
        c_lower = lower >> 63;
        c_lower2 = (lower >> 62) & 1;
        c_qe = qe >> 63;
        c_end = end >> 63;
        c_letter = letter >> 63;
        c_seek = carry;
        c_word = word >> 63;
    }
    r.maybe_space = any_space != 0;
    r.maybe_underscore = any_underscore != 0;
    *c = r;
    *n_sentences += sentences;
    *n_tags += tags;
    return true;
}

/*
 * block_features() compiled twice: for the x86-64 baseline, and for CPUs
 * with POPCNT, BMI1/2 and AVX2 (chosen once at run time), where the bit
 * counts become one instruction (gcc recognizes count_bits()), the bit
 * loops use tzcnt/blsr and the SSE2 code gets 3-operand VEX forms. Same
 * source, same results; the dispatch is skipped without the GNU target
 * attribute.
 */
static bool block_features_base(const uint8_t *s, size_t len, size_t avail,
                                struct counts *c, unsigned *n_sentences,
                                unsigned *n_tags)
{
    return block_features(s, len, avail, c, n_sentences, n_tags);
}

#if defined(TEXT_CPU_DISPATCH)
__attribute__((target("popcnt,bmi,bmi2,lzcnt,avx2")))
static bool block_features_fast(const uint8_t *s, size_t len, size_t avail,
                                struct counts *c, unsigned *n_sentences,
                                unsigned *n_tags)
{
    return block_features(s, len, avail, c, n_sentences, n_tags);
}
#endif
#endif

/* Compute the features of line ln (from ln->start + ln->skip); the
 * places where a phrase may start go to starts[] (see classify_line). */
static void line_features(const char *text, size_t text_len,
                          struct line *ln, struct counts *cn)
{
    const uint8_t *s = (const uint8_t *)text + ln->start + ln->skip;
    size_t len = ln->len - ln->skip;
    size_t avail = text_len - ln->start - ln->skip;
    cn->avail = avail;
    ln->bullet = starts_bullet((const char *)s, len);
    ln->ends_sentence = false;

    unsigned prev = CH_SPACE;   /* class of the previous character */
    unsigned lower_run = 0;     /* lowercase letters right before */
    bool in_word = false, word_has_letter = false;
    unsigned word_first = 0;    /* class of the first letter of the word */
    bool prev_end = false;      /* previous char ends a sentence */
    bool boundary = true;       /* previous character is no letter */
    unsigned n_sentences = 0, n_wide = 0, n_tags = 0;
    struct counts c = { .starts = cn->starts, .maybe_space = true,
                        .maybe_underscore = true };
    size_t loop_len = len;      /* 0 when the block scan did the line */
#if defined(__SSE2__)
#if defined(TEXT_CPU_DISPATCH)
    if (cpu_fast ? block_features_fast(s, len, avail, &c, &n_sentences,
                                       &n_tags) :
                   block_features_base(s, len, avail, &c, &n_sentences,
                                       &n_tags))
        loop_len = 0;
#else
    if (block_features_base(s, len, avail, &c, &n_sentences, &n_tags))
        loop_len = 0;
#endif
#else
    (void)avail;
#endif
    for (size_t i = 0; i < loop_len;) {
        uint8_t b = s[i];
        unsigned ac = ascii_class[b];
        if (b == ' ') {
            /* Fast path: the space after a word. */
            if (in_word && word_has_letter) {
                c.n_words++;
                c.n_lower += word_first == CH_LOWER;
                c.n_cased += word_first != 0;
            }
            in_word = false;
            n_sentences += prev_end;
            lower_run = 0;
            prev_end = false;
            prev = CH_SPACE;
            boundary = true;
            i++;
            continue;
        }
        if (boundary && (b >= 0x80 || (ac & (CH_LOWER | CH_UPPER |
                                             CH_DIGIT))) && i + 2 < len &&
            c.n_words <= 120)   /* beyond, no list counts */
            add_start(&c, i);
        if (ac == CH_LOWER) {
            /* Fast path: a run of lowercase ASCII letters, measured 8
             * bytes at a time (no branch per letter to mispredict). */
            size_t j = i + 1;
            for (;;) {
                if (j + 8 > len) {
                    while (j < len && ascii_class[s[j]] == CH_LOWER)
                        j++;
                    break;
                }
                unsigned run = lower_run_8(s + j);
                j += run;
                if (run < 8)
                    break;
            }
            if (!in_word) {
                in_word = true;
                word_has_letter = false;
            }
            if (!word_has_letter) {
                word_has_letter = true;
                word_first = CH_LOWER;
            }
            c.n_letters += (unsigned)(j - i);
            lower_run = (prev & CH_LOWER) ? lower_run + (unsigned)(j - i) :
                                            (unsigned)(j - i);
            prev = CH_LOWER;
            prev_end = false;
            boundary = false;
            i = j;
            continue;
        }
        uint32_t cp = b;
        unsigned cls;
        bool letter, wide = false;
        size_t n = 1;
        if (cp < 0x80) {
            cls = ac;
            letter = cls & (CH_LOWER | CH_UPPER);
        } else {
            n = th_text_utf8_decode(s + i, len - i, &cp);
            if (!n) {
                n = 1;
                cp = 0xFFFD;
            }
            cls = unicode_class(cp, &letter, &wide);
            if (cp == 0x2026 || cp == 0x3002 || cp == 0xFF01 ||
                cp == 0xFF1F)
                cls = CH_END;
        }
        if (cls & CH_SPACE) {
            if (in_word && word_has_letter) {
                c.n_words++;
                c.n_lower += word_first == CH_LOWER;
                c.n_cased += word_first != 0;
            }
            in_word = false;
            if (prev_end)
                n_sentences++;
        } else {
            if (!in_word) {
                in_word = true;
                word_has_letter = false;
                word_first = 0;
            }
            if (letter && !word_has_letter) {
                word_has_letter = true;
                word_first = cls & (CH_LOWER | CH_UPPER);
            }
        }
        c.n_letters += letter;
        n_wide += wide;
        /* A capitalised word glued to a word or a question before it:
         * "LandHow", "Institutions?100" -- not "YouTube", "Cdc25C". */
        if ((cls & CH_UPPER) && i + n < len &&
            ascii_class[s[i + n]] == CH_LOWER) {
            if ((prev & CH_LOWER) && lower_run >= 2)
                c.n_glue++;
            else if (prev_end && i >= 2 && (s[i - 1] == '?' ||
                                            s[i - 1] == '!'))
                c.n_glue++;
        }
        if (cp < 0x80 && !letter) {
            if ((cls & CH_DIGIT) && i >= 2 &&
                (s[i - 1] == '?' || s[i - 1] == '!'))
                c.n_glue++;
            c.n_commas += cp == ',';
            c.n_pipes += cp == '|';
            if (cp == '<' && i + 1 < len &&
                (s[i + 1] == '/' || (ascii_class[s[i + 1]] &
                                     (CH_LOWER | CH_UPPER))) &&
                memchr(s + i + 1, '>', len - i - 1))
                n_tags++;
        }
        lower_run = (cls & CH_LOWER) ? lower_run + 1 : 0;
        prev_end = cls == CH_END;
        prev = cls ? cls : (letter ? CH_LOWER : 0);
        if (letter && !(cls & (CH_LOWER | CH_UPPER)))
            prev = 0;
        boundary = !letter;
        i += n;
    }
    if (in_word && word_has_letter) {
        c.n_words++;
        c.n_lower += word_first == CH_LOWER;
        c.n_cased += word_first != 0;
    }
    ln->n_words = c.n_words;
    ln->n_lower = c.n_lower;
    ln->n_cased = c.n_cased;
    ln->n_sentences = n_sentences;
    ln->n_letters = c.n_letters;
    ln->n_wide = n_wide;
    ln->n_glue = c.n_glue;
    ln->n_commas = c.n_commas;
    ln->n_pipes = c.n_pipes;
    ln->n_tags = n_tags;
    cn->n_starts = c.n_starts;
    cn->maybe_space = c.maybe_space;
    cn->maybe_underscore = c.maybe_underscore;
    /* Ends with . ! ? … : possibly followed by closing quotes/brackets. */
    size_t e = len;
    while (e > 0) {
        uint8_t c = s[e - 1];
        if (c == '"' || c == '\'' || c == ')' || c == ']')
            e--;
        else if (e >= 3 && s[e - 3] == 0xE2 && s[e - 2] == 0x80 &&
                 (c == 0x9D || c == 0x99))
            e -= 3;   /* ” ’ */
        else if (e >= 2 && s[e - 2] == 0xC2 && c == 0xBB)
            e -= 2;   /* » */
        else
            break;
    }
    if (e > 0) {
        uint8_t c = s[e - 1];
        if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';')
            ln->ends_sentence = true;
        else if (e >= 3 && ((s[e - 3] == 0xE2 && s[e - 2] == 0x80 &&
                              c == 0xA6) ||
                             (s[e - 3] == 0xE3 && s[e - 2] == 0x80 &&
                              c == 0x82) ||
                             (s[e - 3] == 0xEF && s[e - 2] == 0xBC &&
                              (c == 0x81 || c == 0x9F))))
            ln->ends_sentence = true;
    }
    ln->truncated = (e >= 3 && s[e - 1] == '.' && s[e - 2] == '.' &&
                     s[e - 3] == '.') ||
                    (e >= 3 && s[e - 3] == 0xE2 && s[e - 2] == 0x80 &&
                     s[e - 1] == 0xA6);
    if (ln->ends_sentence)
        ln->n_sentences++;
}

/* Word count with CJK characters counted as half a word each. */
static unsigned effective_words(const struct line *ln)
{
    return ln->n_words + ln->n_wide / 2;
}

/* Share of cased words that start lowercase (1 for caseless scripts). */
static double lower_share(const struct line *ln)
{
    if (ln->n_cased < 3)
        return ln->n_cased ? 0.5 : 1.0;
    return (double)ln->n_lower / ln->n_cased;
}

/* True when the line is only bracketed placeholders ("[logo.png]"). */
static bool is_placeholder(const char *s, size_t len, bool maybe_space)
{
    if (len < 2)
        return false;
    if (s[0] == '[' && s[len - 1] == ']')
        return true;
    if (len >= 8 && !memcmp(s, "(BUTTON)", 8))
        return true;
    if (len >= 7 && !memcmp(s, "IFRAME:", 7))
        return true;
    /* a bare image file name, as text dumps print an image */
    static const char *const exts[] = {
        ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg",
    };
    if (len > 64 || len < 5 || (s[len - 4] != '.' && s[len - 5] != '.'))
        return false;   /* (every name below has 4 or 5 bytes) */
    if (maybe_space && memchr(s, ' ', len))
        return false;
    for (size_t k = 0; k < sizeof(exts) / sizeof(exts[0]); k++) {
        size_t el = strlen(exts[k]);
        if (len > el && strncasecmp(s + len - el, exts[k], el) == 0)
            return true;
    }
    return false;
}

static bool has_form_field(const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    while ((p = memchr(p, '_', (size_t)(end - p))) != NULL) {
        if (end - p >= 4 && p[1] == '_' && p[2] == '_' && p[3] == '_')
            return true;
        p++;
    }
    return false;
}

/*
 * The kinds (among want) of the phrases that start at the places
 * line_features() noted; when there were too many to note, the line is
 * walked again for them. Done only when the class depends on it, so long
 * lines (which no list applies to) never pay for the vocabulary.
 */
static unsigned line_phrases(const char *text, const struct line *ln,
                             const struct counts *cn, unsigned want)
{
    const uint8_t *s = (const uint8_t *)text + ln->start + ln->skip;
    size_t len = ln->len - ln->skip;
    unsigned found = 0;
    if (cn->n_starts <= STARTS_MAX) {
        /* Lines of 9+ words only count the long phrases: their first 8
         * bytes tell them from common words ("this", "you", "all"). */
        bool wide = !(want & ~(unsigned)(PH_STRONG | PH_NOTICE));
        for (size_t k = 0; k < cn->n_starts && !(found & want); k++) {
            size_t i = cn->starts[k];
            if (s[i] < 0x80) {
                uint64_t w = load_folded8(s + i, cn->avail - i);
                if (wide ? len - i < 8 ||
                           !bloom_has(bloom8, bloom_wide(w)) :
                           !bloom_has(bloom4,
                                      bloom_wide(w & 0xFFFFFFFFull)))
                    continue;
            }
            found |= phrase_at(s, len, cn->avail, i);
        }
        return found & want;
    }
    /* Overflow: the same places, found by the character loop's rule (a
     * letter, digit or non-ASCII character after a non-letter). */
    bool boundary = true;
    for (size_t i = 0; i < len && !(found & want);) {
        uint32_t cp = s[i];
        size_t n = 1;
        bool letter, wide;
        if (cp < 0x80) {
            letter = is_ascii_letter((unsigned char)cp);
        } else {
            n = th_text_utf8_decode(s + i, len - i, &cp);
            if (!n) {
                n = 1;
                cp = 0xFFFD;
            }
            unicode_class(cp, &letter, &wide);
        }
        if (boundary && (s[i] >= 0x80 ||
                         (ascii_class[s[i]] & (CH_LOWER | CH_UPPER |
                                               CH_DIGIT))) &&
            i + 2 < len)
            found |= phrase_at(s, len, cn->avail, i);
        boundary = !letter;
        i += n;
    }
    return found & want;
}

/* First class of a line from its own features. */
static enum line_class classify_line(const char *text, struct line *ln,
                                     const struct counts *cn)
{
    const char *s = text + ln->start + ln->skip;
    size_t len = ln->len - ln->skip;
    unsigned words = effective_words(ln);
    double lower = lower_share(ln);

    ln->boiler = false;
    ln->markup = false;
    ln->vocab = false;
    if (ln->n_letters == 0)
        return LC_BAD;
    if (ln->n_tags >= 2 && ln->n_tags * 6 >= words) {
        ln->markup = true;
        return LC_BAD;
    }
    if (is_placeholder(s, len, cn->maybe_space) ||
        (cn->maybe_underscore && has_form_field(s, len))) {
        ln->boiler = true;
        return LC_BAD;
    }
    unsigned want = (words <= 40 ? PH_STRONG : 0u) |
                    (words <= 120 ? PH_NOTICE : 0u) |
                    (words <= 8 ? PH_WEAK : 0u);
    ln->kinds = want ? line_phrases(text, ln, cn, want) : 0;
    if (ln->kinds) {
        ln->boiler = true;
        ln->vocab = true;
        return LC_BAD;
    }
    /* Glued runs of headlines: many glue points, little sentence flow. */
    if ((ln->n_glue >= 3 && ln->n_glue * 25 >= words) ||
        (ln->n_pipes >= 2 && ln->n_pipes * 8 >= words)) {
        ln->boiler = true;
        return LC_BAD;
    }
    if (words < 8) {
        ln->repeat_test = true;     /* settled by mark_repeats() */
        if (ln->repeated)
            return LC_BAD;
    }
    if (ln->truncated && words < 40)
        return words >= 5 && lower >= 0.5 ? LC_NEAR : LC_SHORT;
    if (words >= 10 && lower >= 0.5 && (ln->n_sentences || ln->n_commas))
        return LC_GOOD;
    if (words >= 25 && lower >= 0.4)
        return LC_GOOD;
    if (words >= 5 && lower >= 0.5)
        return LC_NEAR;
    if (ln->bullet && words <= 4)
        return LC_BAD;
    return LC_SHORT;
}

/* ------------------------------------------------------------ promos */

/*
 * A promo label opens the line: cut it (and its headline, up to the first
 * glue point) off; returns true when something stays.
 */
static bool cut_promo(const char *text, struct line *ln)
{
    const char *s = text + ln->start;
    size_t from = 0;
    /* The rest may open with a promo again ("SEE ALSO: aSEE ALSO: b"). */
    for (;;) {
        size_t label = promo_label_len(s + from, ln->len - from);
        if (!label)
            break;
        size_t run = 0, i = from + label;
        for (; i < ln->len; i++) {
            unsigned char c = (unsigned char)s[i];
            unsigned cls = ascii_class[c];
            if ((cls & CH_UPPER) && run >= 2)
                break;
            run = (cls & CH_LOWER) ? run + 1 : 0;
        }
        from = i;
        if (from >= ln->len)
            break;
    }
    ln->skip = from;
    return from > 0 && from < ln->len;
}

/* ------------------------------------------------------------ context */


/* A line whose class hangs on its repetition, and the hash of its text. */
struct repeat_key {
    uint64_t hash;      /* th_hash64 of the text it keeps, | 1 */
    size_t line;        /* its index */
};

/*
 * Mark lines whose exact text (after a cut promo) occurs more than once
 * (an open-addressing table of line hashes with counts; linear in the
 * number of lines), and make those a repeated text makes boilerplate so.
 * Only lines whose class hangs on it (repeat_test: short, not settled by
 * an earlier rule of classify_line) are hashed: the class depends on the
 * line's text alone, so every copy of such a line is one of them, and
 * the count among them is the count among all lines. Long lines (most of
 * the bytes) are never hashed. Their hashes are taken as the lines are
 * classified (the text still in cache) and listed in rk[0..m).
 */
static int mark_repeats(struct line *lines, const struct repeat_key *rk,
                        size_t m)
{
    if (m < 2)
        return 0;
    size_t cap = 16;
    while (cap < m * 2)
        cap *= 2;
    uint64_t *keys = calloc(cap, sizeof(*keys));
    uint32_t *counts = calloc(cap, sizeof(*counts));
    if (!keys || !counts) {
        free(keys);
        free(counts);
        return TH_ENOMEM;
    }
    for (size_t j = 0; j < m; j++) {
        uint64_t h = rk[j].hash;
        size_t k = (size_t)h & (cap - 1);
        while (keys[k] && keys[k] != h)
            k = (k + 1) & (cap - 1);
        keys[k] = h;
        counts[k]++;
    }
    for (size_t j = 0; j < m; j++) {
        size_t k = (size_t)rk[j].hash & (cap - 1);
        while (keys[k] != rk[j].hash)
            k = (k + 1) & (cap - 1);
        if (counts[k] > 1) {
            struct line *ln = &lines[rk[j].line];
            ln->repeated = true;
            ln->cls = ln->first = LC_BAD;
        }
    }
    free(keys);
    free(counts);
    return 0;
}


/*
 * Contribution of a line to the score of a block of prose: prose counts
 * its words; boilerplate costs its words; lines that are merely not prose
 * (code, numbers, headings, list items) cost little, so that they do not
 * cut an article in two.
 */
static double line_weight(const struct line *ln)
{
    double words = effective_words(ln);
    switch (ln->first) {
    case LC_GOOD:
        return ln->bullet ? words * 0.5 - 5 :
               words - 5;
    case LC_NEAR:
        return ln->bullet ? -1 : words * 0.3;
    case LC_SHORT:
        return ln->bullet ? -1 : -1;
    default:
        if (ln->boiler)
            return -(words < 5 ? 5 : words);
        if (ln->markup)
            return -1.5;
        if (ln->bullet)
            return -1.5;
        return ln->n_letters ? -1.5 : -0.5;
    }
}

/*
 * After an article come teasers: prose-like lines, but short ones. Cut the
 * block at a boilerplate line after which the prose lines are much shorter
 * on average than before it and weigh less in total.
 */
static size_t trim_tail(const struct line *lines, size_t lo, size_t hi)
{
    double total = 0;
    size_t n_total = 0;
    for (size_t i = lo; i <= hi; i++)
        if (lines[i].first == LC_GOOD) {
            total += effective_words(&lines[i]);
            n_total++;
        }
    double before = 0;
    size_t n_before = 0;
    for (size_t j = lo; j <= hi; j++) {
        const struct line *ln = &lines[j];
        if (ln->first == LC_GOOD) {
            before += effective_words(ln);
            n_before++;
            continue;
        }
        if (!(ln->first == LC_BAD && ln->boiler) || !n_before)
            continue;
        double after = total - before;
        size_t n_after = n_total - n_before;
        if (!n_after)
            return j;
        if (after < before &&
            after / (double)n_after < before / (double)n_before * 0.5)
            return j;
    }
    return hi;
}

/*
 * Find the run of lines in [from, to) with the largest total weight
 * (Kadane); false when no line has a positive weight.
 */
static bool best_block_in(const struct line *lines, size_t from, size_t to,
                          size_t *lo_out, size_t *hi_out)
{
    double best = 0, sum = 0;
    size_t cur_lo = from;
    bool found = false;
    for (size_t i = from; i < to; i++) {
        if (lines[i].len == 0)
            continue;
        if (sum <= 0) {
            sum = 0;
            cur_lo = i;
        }
        sum += line_weight(&lines[i]);
        if (sum > best) {
            best = sum;
            *lo_out = cur_lo;
            *hi_out = i;
            found = true;
        }
    }
    return found;
}

static bool best_block(const struct line *lines, size_t n, size_t *lo_out,
                       size_t *hi_out)
{
    return best_block_in(lines, 0, n, lo_out, hi_out);
}

/*
 * jusText-style context for --keep-edges: a NEAR line next to prose is
 * prose, a SHORT line is prose only between prose; everything else is
 * boilerplate. Linear: one sweep each way finds the nearest decided line.
 */
static int resolve_context(struct line *lines, size_t n)
{
    enum line_class *before = malloc(n * sizeof(*before));
    enum line_class *after = malloc(n * sizeof(*after));
    if (!before || !after) {
        free(before);
        free(after);
        return TH_ENOMEM;
    }
    for (int pass = 0; pass < 2; pass++) {
        enum line_class want = pass == 0 ? LC_NEAR : LC_SHORT;
        enum line_class last = LC_BAD;
        for (size_t i = 0; i < n; i++) {
            before[i] = last;
            if (lines[i].len && (lines[i].cls == LC_GOOD ||
                                 lines[i].cls == LC_BAD))
                last = lines[i].cls;
        }
        last = LC_BAD;
        for (size_t i = n; i-- > 0;) {
            after[i] = last;
            if (lines[i].len && (lines[i].cls == LC_GOOD ||
                                 lines[i].cls == LC_BAD))
                last = lines[i].cls;
        }
        for (size_t i = 0; i < n; i++) {
            if (lines[i].cls != want)
                continue;
            bool good = want == LC_NEAR ?
                        (before[i] == LC_GOOD || after[i] == LC_GOOD) :
                        (before[i] == LC_GOOD && after[i] == LC_GOOD);
            lines[i].cls = good ? LC_GOOD : LC_BAD;
        }
    }
    free(before);
    free(after);
    return 0;
}

/*
 * Dropped even inside the article: boilerplate by vocabulary or widget,
 * leftover markup, and menu items (short list items with no lowercase
 * word).
 */
static bool is_junk(const struct line *ln)
{
    return ln->first == LC_BAD &&
           (ln->boiler || ln->markup || (ln->bullet && ln->n_lower == 0));
}

static int decide(const char *text, struct line *lines, size_t n,
                  const struct th_text_clean_options *opts)
{
    (void)text;
    if (opts->keep_edges) {
        int rc = resolve_context(lines, n);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n; i++)
            lines[i].keep = lines[i].len > lines[i].skip &&
                            lines[i].cls == LC_GOOD;
        return 0;
    }
    /* A tiny text (a title, a one-line note) is kept as it is, but for
     * boilerplate. Otherwise the article is the main block: the run of
     * lines with the largest prose score. Cut teasers off its end, then
     * take the best run again inside what is left, so that no kept run
     * ends in lines that cost more than they bring. Both rules keep the
     * same lines when applied to their own output. */
    unsigned words = 0;
    for (size_t i = 0; i < n && words <= 20; i++)
        if (lines[i].len > lines[i].skip && !is_junk(&lines[i]))
            words += effective_words(&lines[i]);
    if (words <= 20) {
        for (size_t i = 0; i < n; i++)
            lines[i].keep = lines[i].len > lines[i].skip &&
                            !is_junk(&lines[i]);
        return 0;
    }
    size_t lo = 0, hi = 0;
    bool found = best_block(lines, n, &lo, &hi);
    if (found) {
        size_t cut = trim_tail(lines, lo, hi);
        if (cut < hi)
            found = best_block_in(lines, lo, cut, &lo, &hi);
    }
    bool any_good = false;
    for (size_t i = lo; found && i <= hi; i++)
        any_good |= lines[i].first == LC_GOOD;
    /* No prose at all: a menu, a parked page. */
    for (size_t i = 0; i < n; i++)
        lines[i].keep = any_good && i >= lo && i <= hi &&
                        lines[i].len > lines[i].skip && !is_junk(&lines[i]);
    return 0;
}

/*
 * A soft 404: what is left is short and says the page does not exist.
 * Such a text is not content at all; drop every line.
 */
static void drop_error_page(const char *text, struct line *lines, size_t n)
{
    unsigned words = 0;
    for (size_t i = 0; i < n && words <= 150; i++)
        if (lines[i].keep)
            words += effective_words(&lines[i]);
    if (words > 150)
        return;
    bool error = false;
    for (size_t i = 0; i < n && !error; i++)
        if (lines[i].keep && effective_words(&lines[i]) <= 40)
            error = phrase_kinds(text + lines[i].start + lines[i].skip,
                                 lines[i].len - lines[i].skip, PH_ERROR);
    if (!error)
        return;
    for (size_t i = 0; i < n; i++)
        lines[i].keep = false;
}

/* ------------------------------------------------------------ lines */

/* The lines of a text, as split_lines() finds them. */
struct line_list {
    struct line *lines;     /* malloc'ed, cap entries */
    size_t n;               /* lines found */
    size_t cap;             /* entries allocated */
};

/* Append the line [start, end) with every feature zero. */
static inline __attribute__((always_inline))
int add_line(struct line_list *ll, size_t start, size_t end)
{
    if (ll->n == ll->cap) {
        struct line *grown = realloc(ll->lines,
                                     2 * ll->cap * sizeof(*ll->lines));
        if (!grown)
            return TH_ENOMEM;
        ll->lines = grown;
        ll->cap *= 2;
    }
    memset(&ll->lines[ll->n], 0, sizeof(ll->lines[ll->n]));
    ll->lines[ll->n].start = start;
    ll->lines[ll->n].len = end - start;
    ll->n++;
    return 0;
}

/*
 * Split text at '\n' (the last line may be empty). With SSE2 the
 * newlines come from one scan of 16 bytes at a time, a bit per newline:
 * most lines of extracted text are short, and a memchr call per line
 * cost more than the scan.
 */
static int split_lines(const char *text, size_t len, struct line_list *ll)
{
    size_t start = 0, o = 0;
#if defined(__SSE2__)
    const __m128i nl = _mm_set1_epi8('\n');
    for (; o + 16 <= len; o += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)
                                    (text + o));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
        for (; m; m &= m - 1) {
            size_t end = o + (size_t)__builtin_ctz(m);
            if (add_line(ll, start, end) < 0)
                return TH_ENOMEM;
            start = end + 1;
        }
    }
#endif
    for (;;) {
        const char *p = memchr(text + o, '\n', len - o);
        size_t end = p ? (size_t)(p - text) : len;
        if (add_line(ll, start, end) < 0)
            return TH_ENOMEM;
        if (!p)
            return 0;
        start = o = end + 1;
    }
}

/* ------------------------------------------------------------ API */

int th_text_clean(const char *data, size_t len,
                  const struct th_text_clean_options *opts,
                  struct th_buf *out, struct th_text_clean_stats *stats)
{
    static const struct th_text_clean_options defaults = {0};
    if (!opts)
        opts = &defaults;
    pthread_once(&phrase_once, build_phrase_index);
    /* One pass over the newlines; the array grows as needed. */
    struct line_list ll = { .cap = len / 32 + 16 };
    ll.lines = malloc(ll.cap * sizeof(*ll.lines));
    if (!ll.lines || split_lines(data, len, &ll) < 0) {
        free(ll.lines);
        return TH_ENOMEM;
    }
    struct line *lines = ll.lines;
    size_t n = ll.n;
    size_t base = out->len;
    size_t n_split = 0;
    int rc;
    uint32_t starts[STARTS_MAX];
    struct counts cn = { .starts = starts };
    struct repeat_key *rk = malloc(n * sizeof(*rk));
    size_t m = 0;
    if (!rk) {
        rc = TH_ENOMEM;
        goto out_free;
    }
    for (size_t i = 0; i < n; i++) {
        struct line *ln = &lines[i];
        if (ln->len == 0) {
            ln->cls = ln->first = LC_SHORT;
            continue;
        }
        /* Promos are cut first: repetition is judged on what a line
         * keeps, the text that cleaning the output again sees. */
        n_split += cut_promo(data, ln);
        if (ln->skip >= ln->len) {
            ln->cls = ln->first = LC_BAD;
            continue;
        }
        line_features(data, len, ln, &cn);
        ln->cls = classify_line(data, ln, &cn);
        ln->first = ln->cls;
        if (ln->repeat_test) {
            rk[m].hash = th_hash64(data + ln->start + ln->skip,
                                   ln->len - ln->skip, 0) | 1;
            rk[m++].line = i;
        }
    }
    rc = mark_repeats(lines, rk, m);
    free(rk);
    if (rc < 0)
        goto out_free;
    rc = decide(data, lines, n, opts);
    if (rc < 0)
        goto out_free;
    drop_error_page(data, lines, n);
    size_t n_dropped = 0;
    bool first = true;
    static const char class_letter[] = "BSNG";
    if (!opts->explain) {
        /* The kept lines joined by '\n', room reserved once. */
        size_t total = 0, n_kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (lines[i].keep) {
                total += lines[i].len - lines[i].skip;
                n_kept++;
            } else {
                n_dropped += lines[i].len > 0;
            }
        }
        if (n_kept) {
            rc = th_buf_reserve(out, total + n_kept - 1);
            if (rc < 0)
                goto out_free;
            char *o = out->ptr + out->len;
            for (size_t i = 0; i < n; i++) {
                const struct line *ln = &lines[i];
                if (!ln->keep)
                    continue;
                if (!first)
                    *o++ = '\n';
                first = false;
                memcpy(o, data + ln->start + ln->skip, ln->len - ln->skip);
                o += ln->len - ln->skip;
            }
            out->len = (size_t)(o - out->ptr);
            out->ptr[out->len] = '\0';
        }
    }
    for (size_t i = 0; opts->explain && i < n; i++) {
        struct line *ln = &lines[i];
        if (!ln->keep)
            n_dropped += ln->len > 0;
        if (!ln->keep && !opts->explain)
            continue;
        if (!first) {
            rc = th_buf_putc(out, '\n');
            if (rc < 0)
                goto out_free;
        }
        first = false;
        if (opts->explain) {
            rc = th_buf_printf(out, "%c %c%c %5.1f\t", ln->keep ? '+' : '-',
                               class_letter[ln->first],
                               class_letter[ln->cls], line_weight(ln));
            if (rc < 0)
                goto out_free;
        }
        rc = th_buf_append(out, data + ln->start + ln->skip,
                           ln->len - ln->skip);
        if (rc < 0)
            goto out_free;
    }
    if (stats) {
        stats->n_lines += n;
        stats->n_dropped += n_dropped;
        stats->n_split += n_split;
    }
out_free:
    if (rc < 0 && out->len > base) {
        out->len = base;
        out->ptr[base] = '\0';
    }
    free(lines);
    return rc;
}
