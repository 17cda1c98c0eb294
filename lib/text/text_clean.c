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
 * placeholders. In the same pass word starts are matched against a small
 * vocabulary of generic web boilerplate, in English and the same few words
 * in other major web languages (cookie notices, share/subscribe/related,
 * "all rights reserved", "is currently unavailable", ...): words every
 * site uses, never the strings of one page. Each list only counts in lines
 * short enough for it (8, 40 or 120 words).
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
    unsigned kinds;         /* enum phrase_kind of the phrases it holds */
    uint64_t hash;          /* hash of the line, for repetition */
    bool bullet;            /* starts with a list marker */
    bool ends_sentence;     /* ends with sentence punctuation */
    bool truncated;         /* ends with "..." (a cut teaser) */
    bool boiler;            /* boilerplate vocabulary, widget or form */
    bool markup;            /* leftover markup: dropped, costs little */
    bool vocab;             /* boilerplate by its words (share, related) */
    bool repeated;          /* same text elsewhere in the document */
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
    uint8_t kind;           /* enum phrase_kind */
};

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
static size_t n_phrases;
static pthread_once_t phrase_once = PTHREAD_ONCE_INIT;

/* ASCII case folding by table (the hot loop calls it per word start). */
static unsigned char fold_table[256];

static unsigned char fold(unsigned char c)
{
    return fold_table[c];
}

static unsigned bucket_of(unsigned char a, unsigned char b, unsigned char c)
{
    return ((unsigned)fold(a) * 961u + (unsigned)fold(b) * 31u +
            (unsigned)fold(c)) % BUCKETS;
}

static unsigned bloom_hash(unsigned char a, unsigned char b, unsigned char c)
{
    uint32_t h = (uint32_t)fold(a) | (uint32_t)fold(b) << 8 |
                 (uint32_t)fold(c) << 16;
    return (unsigned)((h * 0x9E3779B1u) >> 16);
}

static void add_phrases(const char *const *list, size_t n, uint8_t kind)
{
    for (size_t i = 0; i < n && n_phrases < PHRASE_MAX; i++) {
        assert(list[i][0] && list[i][1] && list[i][2]);
        phrases[n_phrases].text = list[i];
        phrases[n_phrases].kind = kind;
        n_phrases++;
    }
}

static void build_phrase_index(void)
{
    build_bmp_class();
    for (unsigned c = 0; c < 256; c++)
        fold_table[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    add_phrases(strong_phrases, COUNT(strong_phrases), PH_STRONG);
    add_phrases(notice_phrases, COUNT(notice_phrases), PH_NOTICE);
    add_phrases(weak_phrases, COUNT(weak_phrases), PH_WEAK);
    add_phrases(error_phrases, COUNT(error_phrases), PH_ERROR);
    for (size_t i = 0; i < n_phrases; i++) {
        unsigned h = bloom_hash((unsigned char)phrases[i].text[0],
                                (unsigned char)phrases[i].text[1],
                                (unsigned char)phrases[i].text[2]);
        bloom[h >> 3] |= (uint8_t)(1u << (h & 7));
    }
    size_t k = 0;
    for (unsigned b = 0; b < BUCKETS; b++) {
        bucket_start[b] = (uint16_t)k;
        for (size_t i = 0; i < n_phrases; i++)
            if (bucket_of((unsigned char)phrases[i].text[0],
                          (unsigned char)phrases[i].text[1],
                          (unsigned char)phrases[i].text[2]) == b)
                bucket_order[k++] = (uint8_t)i;
    }
    bucket_start[BUCKETS] = (uint16_t)k;
}

/*
 * Quick reject: no phrase starts with these three (case-folded) bytes.
 * The filter is sparse (about 200 phrases in 65,536 bits), so the branch
 * on it is almost never taken and costs no misprediction per word.
 */
static bool may_start_phrase(const unsigned char *p)
{
    unsigned h = bloom_hash(p[0], p[1], p[2]);
    return (bloom[h >> 3] >> (h & 7)) & 1;
}

/* The kinds of the phrases that start at s[i] (case-folded). */
static inline unsigned phrase_at(const unsigned char *s, size_t len, size_t i)
{
    if (i + 2 >= len)
        return 0;
    unsigned found = 0;
    unsigned b = bucket_of(s[i], s[i + 1], s[i + 2]);
    if (bucket_start[b] == bucket_start[b + 1])
        return 0;
    for (unsigned k = bucket_start[b]; k < bucket_start[b + 1]; k++) {
        const struct phrase *ph = &phrases[bucket_order[k]];
        size_t j = 0;
        while (ph->text[j] && i + j < len &&
               fold(s[i + j]) == (unsigned char)ph->text[j])
            j++;
        if (!ph->text[j])
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
        found |= phrase_at(s, len, i) & want;
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
    if (!memchr(s, ':', len < 24 ? len : 24))
        return 0;
    for (size_t i = 0; i < COUNT(promo_labels); i++) {
        size_t n = strlen(promo_labels[i]);
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

/* Compute the features of line ln (from ln->start + ln->skip). */
static void line_features(const char *text, struct line *ln)
{
    const uint8_t *s = (const uint8_t *)text + ln->start + ln->skip;
    size_t len = ln->len - ln->skip;
    ln->bullet = starts_bullet((const char *)s, len);
    ln->ends_sentence = false;

    unsigned prev = CH_SPACE;   /* class of the previous character */
    unsigned lower_run = 0;     /* lowercase letters right before */
    bool in_word = false, word_has_letter = false;
    unsigned word_first = 0;    /* class of the first letter of the word */
    bool prev_end = false;      /* previous char ends a sentence */
    bool boundary = true;       /* previous character is no letter */
    unsigned n_words = 0, n_lower = 0, n_cased = 0, n_sentences = 0;
    unsigned n_letters = 0, n_wide = 0, n_glue = 0, n_commas = 0;
    unsigned n_pipes = 0, n_tags = 0, kinds = 0;
    for (size_t i = 0; i < len;) {
        uint8_t b = s[i];
        unsigned ac = ascii_class[b];
        if (b == ' ') {
            /* Fast path: the space after a word. */
            if (in_word && word_has_letter) {
                n_words++;
                n_lower += word_first == CH_LOWER;
                n_cased += word_first != 0;
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
                                             CH_DIGIT))) &&
            i + 2 < len && may_start_phrase(s + i))
            kinds |= phrase_at(s, len, i);
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
            n_letters += (unsigned)(j - i);
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
                n_words++;
                n_lower += word_first == CH_LOWER;
                n_cased += word_first != 0;
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
        n_letters += letter;
        n_wide += wide;
        /* A capitalised word glued to a word or a question before it:
         * "LandHow", "Institutions?100" -- not "YouTube", "Cdc25C". */
        if ((cls & CH_UPPER) && i + n < len &&
            ascii_class[s[i + n]] == CH_LOWER) {
            if ((prev & CH_LOWER) && lower_run >= 2)
                n_glue++;
            else if (prev_end && i >= 2 && (s[i - 1] == '?' ||
                                            s[i - 1] == '!'))
                n_glue++;
        }
        if (cp < 0x80 && !letter) {
            if ((cls & CH_DIGIT) && i >= 2 &&
                (s[i - 1] == '?' || s[i - 1] == '!'))
                n_glue++;
            n_commas += cp == ',';
            n_pipes += cp == '|';
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
        n_words++;
        n_lower += word_first == CH_LOWER;
        n_cased += word_first != 0;
    }
    ln->n_words = n_words;
    ln->n_lower = n_lower;
    ln->n_cased = n_cased;
    ln->n_sentences = n_sentences;
    ln->n_letters = n_letters;
    ln->n_wide = n_wide;
    ln->n_glue = n_glue;
    ln->n_commas = n_commas;
    ln->n_pipes = n_pipes;
    ln->n_tags = n_tags;
    ln->kinds = kinds;
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
static bool is_placeholder(const char *s, size_t len)
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
    if (len > 64 || memchr(s, ' ', len))
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

/* First class of a line from its own features. */
static enum line_class classify_line(const char *text, struct line *ln)
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
    if (is_placeholder(s, len) || has_form_field(s, len)) {
        ln->boiler = true;
        return LC_BAD;
    }
    unsigned want = (words <= 40 ? PH_STRONG : 0u) |
                    (words <= 120 ? PH_NOTICE : 0u) |
                    (words <= 8 ? PH_WEAK : 0u);
    if (ln->kinds & want) {
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
    if (ln->repeated && words < 8)
        return LC_BAD;
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


/*
 * Mark lines whose exact text occurs more than once (an open-addressing
 * table of line hashes with counts; linear in the number of lines).
 */
static int mark_repeats(const char *text, struct line *lines, size_t n)
{
    if (n < 2)
        return 0;
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    uint64_t *keys = calloc(cap, sizeof(*keys));
    uint32_t *counts = calloc(cap, sizeof(*counts));
    if (!keys || !counts) {
        free(keys);
        free(counts);
        return TH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t h = th_hash64(text + lines[i].start, lines[i].len, 0) | 1;
        lines[i].hash = h;
        size_t k = (size_t)h & (cap - 1);
        while (keys[k] && keys[k] != h)
            k = (k + 1) & (cap - 1);
        keys[k] = h;
        counts[k]++;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)lines[i].hash & (cap - 1);
        while (keys[k] != lines[i].hash)
            k = (k + 1) & (cap - 1);
        lines[i].repeated = counts[k] > 1;
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

/* ------------------------------------------------------------ API */

int th_text_clean(const char *data, size_t len,
                  const struct th_text_clean_options *opts,
                  struct th_buf *out, struct th_text_clean_stats *stats)
{
    static const struct th_text_clean_options defaults = {0};
    if (!opts)
        opts = &defaults;
    pthread_once(&phrase_once, build_phrase_index);
    size_t n = 1;
    for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + len - p)));
         p++)
        n++;
    struct line *lines = calloc(n, sizeof(*lines));
    if (!lines)
        return TH_ENOMEM;
    size_t k = 0, start = 0;
    for (;;) {
        const char *nl = memchr(data + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - data) : len;
        lines[k].start = start;
        lines[k].len = end - start;
        k++;
        if (!nl)
            break;
        start = end + 1;
    }
    n = k;
    size_t base = out->len;
    int rc = mark_repeats(data, lines, n);
    if (rc < 0)
        goto out_free;
    size_t n_split = 0;
    for (size_t i = 0; i < n; i++) {
        struct line *ln = &lines[i];
        if (ln->len == 0) {
            ln->cls = ln->first = LC_SHORT;
            continue;
        }
        if (cut_promo(data, ln))
            n_split++;
        if (ln->skip >= ln->len) {
            ln->cls = ln->first = LC_BAD;
            continue;
        }
        line_features(data, ln);
        ln->cls = classify_line(data, ln);
        ln->first = ln->cls;
    }
    rc = decide(data, lines, n, opts);
    if (rc < 0)
        goto out_free;
    drop_error_page(data, lines, n);
    size_t n_dropped = 0;
    bool first = true;
    static const char class_letter[] = "BSNG";
    for (size_t i = 0; i < n; i++) {
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
