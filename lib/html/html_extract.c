/*
 * Main-content extraction: from a parsed page to its article text.
 *
 * What: decides which subtrees of the page hold the main content, removes
 * boilerplate inside them (menus, share bars, promos, related-link lists,
 * comment sections, embed placeholders, forms) and writes the rest as one
 * block per line, or as Markdown; also reads title, canonical URL,
 * language, publication date and author.
 *
 * Approach: a content-scoring extractor in the family of Readability and
 * its descendants, run over the flat node arrays of html_parse.c:
 *
 *  1. One forward pass classifies every element by its tag, its class/id
 *     words (positive: article, content, post...; negative: comment,
 *     sidebar, share, promo, related...; "unlikely": nav-like words unless
 *     balanced by a content word), its role and itemprop, and visibility
 *     (hidden, aria-hidden, inline display:none). Removal is inherited.
 *  2. One backward pass (children come after parents in the array) sums
 *     per subtree: visible characters, characters inside links, commas,
 *     paragraphs, images, list items, inputs, embeds, heading characters.
 *  3. Every paragraph-like block (p, pre, td, section, headings, blocks
 *     without block children, loose text runs inside containers) of at
 *     least 25 characters scores 1 + commas + min(chars/100, 3) and passes
 *     it up to five ancestors with decaying weights; candidates start from
 *     a tag prior and their class weight and are scaled by 1 - link
 *     density. The best candidate is widened to an ancestor that scores at
 *     least as well, then its siblings that score close to it or read as
 *     prose are joined.
 *  4. Blocks of real prose (long, few links, with a sentence end) outside
 *     the chosen subtrees are added: pages that are not one article
 *     (forums, table layouts) keep their text in several places.
 *  5. Inside the chosen subtrees, tables, lists, divs and forms are removed
 *     conditionally (link-heavy, image-heavy, input-heavy, too short,
 *     negative class weight); share bars, bylines, headings with negative
 *     weight, the heading that repeats the title, blocks that open with a
 *     promo label ("SEE ALSO", "Read more", "Related"...), short
 *     copyright / "powered by" lines and embed placeholders ("This Tweet
 *     is currently unavailable") are dropped.
 *  6. When the result is short (< 500 characters), the extraction is run
 *     again with the unlikely-class rule, then the class weights, then the
 *     conditional cleaning switched off, and the longest result is kept.
 *
 * The writer collapses whitespace as a browser would for inline content,
 * breaks lines at block boundaries and <br>, and writes Markdown markers
 * when asked.
 *
 * Why this design: the per-subtree sums make every step a linear pass, so
 * extraction costs about as much as parsing; and the scoring rules are the
 * ones whose behaviour on real pages is best known. Rejected: a per-line
 * text-density classifier (jusText/boilerpipe style) loses the document
 * structure needed for lists, tables and headings, and a learned model
 * would need training data we may not ship.
 */
#include <stdlib.h>
#include <string.h>

#include "html_internal.h"
#include "../core/banned.h"

#define CHAR_THRESHOLD 500          /* shorter results trigger a retry */
#define SIBLING_PROSE_CHARS 300     /* any sibling this long may join */
#define PROSE_MIN_CHARS 200         /* prose block outside the article */
#define PROSE_MAX_LINK_DENSITY 0.15 /* ... with at most this link share */
#define DEFAULT_MAX_INPUT ((size_t)64 << 20)

/* Class/id/role signals of an element. */
enum cls_bits {
    CLS_UNLIKELY = 1 << 0,   /* nav-like name: removed in the first try */
    CLS_MAYBE = 1 << 1,      /* content word that cancels CLS_UNLIKELY */
    CLS_POSITIVE = 1 << 2,   /* +25 class weight */
    CLS_NEGATIVE = 1 << 3,   /* -25 class weight */
    CLS_HIDDEN = 1 << 4,     /* not rendered */
    CLS_SHARE = 1 << 5,      /* share/social bar */
    CLS_BYLINE = 1 << 6,     /* author line */
    CLS_ROLE_OUT = 1 << 7,   /* role=navigation, menu, complementary... */
    CLS_COMMENT = 1 << 8,    /* user comment section */
    CLS_ALWAYS_OUT = 1 << 9, /* removed in every try (dialogs, cookies) */
    CLS_ID_POSITIVE = 1 << 10, /* id alone is positive */
    CLS_ID_NEGATIVE = 1 << 11, /* id alone is negative */
    CLS_DEAD = 1 << 12,      /* removed in every try, with its subtree */
};

/* Per-node state of one extraction try. */
enum node_state {
    ST_REMOVED = 1 << 0,     /* not part of any output */
    ST_CANDIDATE = 1 << 1,   /* has a content score */
    ST_HAS_BLOCK = 1 << 2,   /* has an element child that is a block */
    ST_SELECTED = 1 << 3,    /* root of an output subtree */
    ST_IN_LINK = 1 << 4,     /* inside an <a> */
    ST_HASH_LINK = 1 << 5,   /* inside an <a href="#..."> */
    ST_CLEANED = 1 << 6,     /* dropped by the cleaning of step 5 */
    ST_IN_TABLE = 1 << 7,    /* inside a table or code element */
    ST_TOP_PATH = 1 << 8,    /* the top candidate or one of its ancestors */
};

/* Subtree sums and scores of one node. */
struct node_info {
    uint32_t chars;          /* visible characters in the subtree */
    uint32_t link_chars;     /* of which inside links (hash links x0.3) */
    uint32_t commas;         /* commas in the subtree */
    uint32_t loose_chars;    /* characters of direct text children */
    uint32_t loose_commas;   /* commas of direct text children */
    uint32_t n_p;            /* p elements in the subtree */
    uint32_t n_img;          /* img elements */
    uint32_t n_li;           /* li elements */
    uint32_t n_input;        /* input elements */
    uint32_t n_embed;        /* object/embed/iframe elements */
    uint32_t heading_chars;  /* characters inside h1..h6 */
    uint32_t li_chars;       /* characters inside li */
    float score;             /* content score when ST_CANDIDATE */
    uint16_t cls;            /* enum cls_bits, computed once per page */
    uint16_t state;          /* enum node_state, per try */
};

#define CLASS_CACHE 1024

/* A remembered class attribute: hash of its bytes and its word bits. */
struct class_cache {
    uint64_t key;            /* XXH3 of the class value, | 1; 0 = empty */
    uint16_t bits;           /* match_words() of the lowercased value */
};

struct th_html_extractor {
    struct th_html_extract_options opts; /* options given at creation */
    struct th_html_parser *parser;       /* reused parser */
    struct node_info *info;              /* one per node */
    size_t cap_info;                     /* info entries allocated */
    struct th_buf out;                   /* text being written */
    struct th_buf best;                  /* best result of the tries */
    struct th_slice title;               /* page title of the current page */
    struct th_slice url;                 /* URL of the current page */
    struct th_arena *arena;              /* arena of the current page */
    size_t out_link_bytes;               /* link text bytes in out */
    struct class_cache class_cache[CLASS_CACHE]; /* class words by value */
};

/* ------------------------------------------------------------ helpers */

static inline const struct th_html_node *node_at(
    const struct th_html_extractor *ex, uint32_t i)
{
    return &ex->parser->nodes[i];
}

static inline unsigned tag_flags(unsigned tag)
{
    return tag < TH_TAG_COUNT ? th_html_tags[tag].flags : 0;
}

static inline bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' ||
           c == '\v';
}

static bool slice_ci_contains(struct th_slice s, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || s.len < n)
        return n == 0;
    for (size_t i = 0; i + n <= s.len; i++) {
        size_t k = 0;
        while (k < n) {
            char c = s.ptr[i + k];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            if (c != needle[k])
                break;
            k++;
        }
        if (k == n)
            return true;
    }
    return false;
}

static bool slice_ci_eq(struct th_slice s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != lit[i])
            return false;
    }
    return true;
}

static struct th_slice trim(struct th_slice s)
{
    while (s.len && is_ws((unsigned char)s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && is_ws((unsigned char)s.ptr[s.len - 1]))
        s.len--;
    return s;
}

static struct th_slice attr(const struct th_html_extractor *ex, uint32_t n,
                            const char *name)
{
    const struct th_slice *v = th_html_attr_get(ex->parser, node_at(ex, n),
                                                name);
    return v ? *v : (struct th_slice){NULL, 0};
}

/* ------------------------------------------------- class/id signals */

/*
 * Class/id words, sorted by their first byte. A word matches as a
 * substring of the lowercased class or id, except whole-word entries, which
 * must be delimited by non-alphanumerics. Sources of the lists: the
 * "unlikely candidate", positive, negative, share and byline patterns of
 * Readability-style extractors, plus cookie/consent/newsletter names.
 */
struct class_word {
    const char *word;        /* lowercase */
    uint8_t len;             /* bytes in word */
    bool whole;              /* must be a whole word */
    uint16_t bits;           /* enum cls_bits it sets */
};

static const struct class_word class_words[] = {
    {"-ad-", 4, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"-share", 6, false, CLS_SHARE},
    {"ad-break", 8, false, CLS_UNLIKELY},
    {"agegate", 7, false, CLS_UNLIKELY},
    {"and", 3, false, CLS_MAYBE},
    {"article", 7, false, CLS_MAYBE | CLS_POSITIVE},
    {"author", 6, false, CLS_BYLINE},
    {"banner", 6, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"blog", 4, false, CLS_POSITIVE},
    {"body", 4, false, CLS_MAYBE | CLS_POSITIVE},
    {"breadcrumb", 10, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"byline", 6, false, CLS_BYLINE},
    {"column", 6, false, CLS_MAYBE},
    {"com-", 4, false, CLS_NEGATIVE},
    {"combx", 5, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"comment", 7, false, CLS_UNLIKELY | CLS_NEGATIVE | CLS_COMMENT},
    {"community", 9, false, CLS_UNLIKELY},
    {"consent", 7, false, CLS_UNLIKELY},
    {"consent-banner", 14, false, CLS_ALWAYS_OUT},
    {"contact", 7, false, CLS_NEGATIVE},
    {"content", 7, false, CLS_MAYBE | CLS_POSITIVE},
    {"cookie", 6, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"cookie-banner", 13, false, CLS_ALWAYS_OUT},
    {"cookie-consent", 14, false, CLS_ALWAYS_OUT},
    {"cookie-notice", 13, false, CLS_ALWAYS_OUT},
    {"cookiebanner", 12, false, CLS_ALWAYS_OUT},
    {"cookieconsent", 13, false, CLS_ALWAYS_OUT},
    {"cover-wrap", 10, false, CLS_UNLIKELY},
    {"dateline", 8, false, CLS_BYLINE},
    {"disclaimer", 10, false, CLS_NEGATIVE},
    {"disqus", 6, false, CLS_UNLIKELY | CLS_COMMENT},
    {"embed-placeholder", 17, false, CLS_ALWAYS_OUT},
    {"entry", 5, false, CLS_POSITIVE},
    {"extra", 5, false, CLS_UNLIKELY},
    {"footer", 6, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"gdpr", 4, false, CLS_UNLIKELY | CLS_NEGATIVE | CLS_ALWAYS_OUT},
    {"h-entry", 7, false, CLS_POSITIVE},
    {"header", 6, false, CLS_UNLIKELY},
    {"hentry", 6, false, CLS_POSITIVE},
    {"hid", 3, true, CLS_NEGATIVE},
    {"hidden", 6, true, CLS_NEGATIVE},
    {"legends", 7, false, CLS_UNLIKELY},
    {"main", 4, false, CLS_MAYBE | CLS_POSITIVE},
    {"masthead", 8, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"mathjax", 7, false, CLS_MAYBE},
    {"media", 5, false, CLS_NEGATIVE},
    {"menu", 4, false, CLS_UNLIKELY},
    {"meta", 4, false, CLS_NEGATIVE},
    {"nav", 3, true, CLS_UNLIKELY | CLS_NEGATIVE},
    {"navbar", 6, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"newsletter", 10, false, CLS_NEGATIVE},
    {"newsletter-signup", 17, false, CLS_ALWAYS_OUT},
    {"onetrust", 8, false, CLS_ALWAYS_OUT},
    {"outbrain", 8, false, CLS_NEGATIVE},
    {"p-author", 8, false, CLS_BYLINE},
    {"page", 4, false, CLS_POSITIVE},
    {"pager", 5, false, CLS_UNLIKELY},
    {"pagination", 10, false, CLS_UNLIKELY | CLS_POSITIVE},
    {"popup", 5, false, CLS_UNLIKELY},
    {"post", 4, false, CLS_POSITIVE},
    {"promo", 5, false, CLS_NEGATIVE},
    {"recommend", 9, false, CLS_NEGATIVE},
    {"related", 7, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"remark", 6, false, CLS_UNLIKELY},
    {"replies", 7, false, CLS_UNLIKELY | CLS_COMMENT},
    {"respond", 7, false, CLS_COMMENT},
    {"rss", 3, false, CLS_UNLIKELY},
    {"scroll", 6, false, CLS_NEGATIVE},
    {"shadow", 6, false, CLS_MAYBE},
    {"share", 5, false, CLS_NEGATIVE},
    {"share", 5, true, CLS_SHARE},
    {"share-", 6, false, CLS_SHARE},
    {"sharedaddy", 10, false, CLS_SHARE},
    {"sharing", 7, true, CLS_SHARE},
    {"shopping", 8, false, CLS_NEGATIVE},
    {"shoutbox", 8, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"sidebar", 7, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"signup", 6, false, CLS_NEGATIVE},
    {"skyscraper", 10, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"social", 6, false, CLS_UNLIKELY | CLS_SHARE},
    {"sponsor", 7, false, CLS_UNLIKELY | CLS_NEGATIVE},
    {"story", 5, false, CLS_POSITIVE},
    {"subscribe", 9, false, CLS_NEGATIVE},
    {"supplemental", 12, false, CLS_UNLIKELY},
    {"taboola", 7, false, CLS_NEGATIVE},
    {"tags", 4, false, CLS_NEGATIVE},
    {"text", 4, false, CLS_POSITIVE},
    {"widget", 6, false, CLS_NEGATIVE},
    {"writtenby", 9, false, CLS_BYLINE},
};

/* Index of class_words by first byte: {first entry, number of entries}. */
static const uint8_t class_word_index[256][2] = {
    ['-'] = {0, 2}, ['a'] = {2, 5}, ['b'] = {7, 5}, ['c'] = {12, 16},
    ['d'] = {28, 3}, ['e'] = {31, 3}, ['f'] = {34, 1}, ['g'] = {35, 1},
    ['h'] = {36, 5}, ['l'] = {41, 1}, ['m'] = {42, 6}, ['n'] = {48, 4},
    ['o'] = {52, 2}, ['p'] = {54, 7}, ['r'] = {61, 6}, ['s'] = {67, 17},
    ['t'] = {84, 3}, ['w'] = {87, 2},
};

static inline bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* True when pattern occurs in s (lowercase, len bytes). */
static bool word_match(const char *s, size_t len, const char *pattern)
{
    bool whole = pattern[0] == '=';
    if (whole)
        pattern++;
    size_t n = strlen(pattern);
    for (size_t i = 0; i + n <= len; i++) {
        if (s[i] != pattern[0] || memcmp(s + i, pattern, n) != 0)
            continue;
        if (!whole)
            return true;
        if ((i == 0 || !is_letter(s[i - 1])) &&
            (i + n == len || !is_letter(s[i + n])))
            return true;
    }
    return false;
}

/*
 * Bits of every class word found in s (lowercase, len bytes): one pass
 * over s, trying at each byte only the words that start with it.
 */
static uint16_t match_words(const char *s, size_t len)
{
    uint16_t bits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t k = class_word_index[c][0];
        size_t e = k + class_word_index[c][1];
        for (; k < e; k++) {
            const struct class_word *w = &class_words[k];
            if (i + w->len > len || s[i + 1] != w->word[1])
                continue;
            size_t m = 2;
            while (m < w->len && s[i + m] == w->word[m])
                m++;
            if (m < w->len)
                continue;
            if (w->whole && ((i > 0 && is_letter(s[i - 1])) ||
                             (i + w->len < len && is_letter(s[i + w->len]))))
                continue;
            bits |= w->bits;
        }
    }
    return bits;
}

static size_t lower_into(char *buf, size_t pos, size_t cap,
                         struct th_slice s)
{
    for (size_t i = 0; i < s.len && pos + 1 < cap; i++) {
        char c = s.ptr[i];
        buf[pos++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    return pos;
}

static bool style_hidden(struct th_slice style)
{
    char buf[256];
    size_t n = 0;
    for (size_t i = 0; i < style.len && n + 1 < sizeof(buf); i++) {
        char c = style.ptr[i];
        if (is_ws((unsigned char)c))
            continue;
        buf[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    return word_match(buf, n, "display:none") ||
           word_match(buf, n, "visibility:hidden");
}

static uint16_t classify(struct th_html_extractor *ex, uint32_t n)
{
    const struct th_html_node *node = node_at(ex, n);
    uint16_t cls = 0;
    struct th_slice klass = {0}, id = {0}, role = {0}, style = {0};
    struct th_slice itemprop = {0}, rel = {0};
    bool hidden = false, aria_hidden = false, modal = false;
    const struct th_html_attr *a = ex->parser->attrs + node->attrs;
    for (uint32_t i = 0; i < node->n_attrs; i++) {
        struct th_slice nm = a[i].name;
        const char *q = nm.ptr;
        switch (nm.len) {
        case 2:
            if (q[0] == 'i' && q[1] == 'd')
                id = a[i].value;
            break;
        case 3:
            if (!memcmp(q, "rel", 3))
                rel = a[i].value;
            break;
        case 4:
            if (!memcmp(q, "role", 4))
                role = a[i].value;
            break;
        case 5:
            if (!memcmp(q, "class", 5))
                klass = a[i].value;
            else if (!memcmp(q, "style", 5))
                style = a[i].value;
            break;
        case 6:
            if (!memcmp(q, "hidden", 6))
                hidden = true;
            break;
        case 8:
            if (!memcmp(q, "itemprop", 8))
                itemprop = a[i].value;
            break;
        case 10:
            if (!memcmp(q, "aria-modal", 10))
                modal = slice_ci_eq(a[i].value, "true");
            break;
        case 11:
            if (!memcmp(q, "aria-hidden", 11))
                aria_hidden = slice_ci_eq(a[i].value, "true");
            break;
        default:
            break;
        }
    }
    if (hidden || (style.len && style_hidden(style)))
        cls |= CLS_HIDDEN;
    if (aria_hidden && !(klass.len &&
                         slice_ci_contains(klass, "fallback-image")))
        cls |= CLS_HIDDEN;
    if (role.len) {
        static const char *const out_roles[] = {
            "menu", "menubar", "complementary", "navigation", "alert",
            "alertdialog", "dialog", "banner", "contentinfo", "search",
        };
        for (size_t i = 0; i < sizeof(out_roles) / sizeof(out_roles[0]);
             i++)
            if (slice_ci_eq(role, out_roles[i]))
                cls |= CLS_ROLE_OUT;
        if (modal && slice_ci_eq(role, "dialog"))
            cls |= CLS_ALWAYS_OUT;
    }
    if ((rel.len && slice_ci_eq(rel, "author")) ||
        (itemprop.len && slice_ci_contains(itemprop, "author")))
        cls |= CLS_BYLINE;
    if (itemprop.len && (slice_ci_eq(itemprop, "articlebody") ||
                         slice_ci_eq(itemprop, "text")))
        cls |= CLS_MAYBE | CLS_POSITIVE;
    if (!klass.len && !id.len)
        return cls;
    char buf[320];
    uint16_t kb = 0, ib = 0;
    if (klass.len) {
        /* Pages repeat class names: remember the words of each. */
        uint64_t key = th_hash64(klass.ptr, klass.len, 0) | 1;
        struct class_cache *cc = &ex->class_cache[key % CLASS_CACHE];
        if (cc->key == key) {
            kb = cc->bits;
        } else {
            size_t len = lower_into(buf, 0, sizeof(buf), klass);
            kb = match_words(buf, len);
            cc->key = key;
            cc->bits = kb;
        }
    }
    if (id.len) {
        size_t len = lower_into(buf, 0, sizeof(buf), id);
        ib = match_words(buf, len);
    }
    uint16_t side = CLS_POSITIVE | CLS_NEGATIVE;
    cls |= (uint16_t)((kb | ib) & ~side) | (kb & side);
    if (ib & CLS_POSITIVE)
        cls |= CLS_ID_POSITIVE;
    if (ib & CLS_NEGATIVE)
        cls |= CLS_ID_NEGATIVE;
    if (ex->opts.include_comments && (cls & CLS_COMMENT))
        cls &= (uint16_t)~(CLS_UNLIKELY | CLS_NEGATIVE | CLS_ID_NEGATIVE);
    return cls;
}

static int class_weight(uint16_t cls)
{
    int w = 0;
    if (cls & CLS_NEGATIVE)
        w -= 25;
    if (cls & CLS_POSITIVE)
        w += 25;
    if (cls & CLS_ID_NEGATIVE)
        w -= 25;
    if (cls & CLS_ID_POSITIVE)
        w += 25;
    return w;
}

/* ------------------------------------------------------ text measures */

/*
 * Byte classes for measure(): 1 starts a visible character, 2 whitespace,
 * 4 visible byte, 8 comma, 16 may start a multi-byte comma.
 */
static const uint8_t byte_class[256] = {
     0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  2,  2,  2,  2,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     2,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5, 13,  5,  5,  5,
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
     5,  5,  5,  5,  5,  5,  5,  5, 21,  5,  5,  5,  5,  5,  5,  5,
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5, 21,
     5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,  5,
};

/*
 * Visible characters (whitespace runs between words count one) and commas
 * of s, in one branch-light pass over the bytes.
 */
static void measure(struct th_slice s, uint32_t *chars, uint32_t *commas)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    uint32_t c = 0, k = 0, runs = 0;
    unsigned prev = 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned t = byte_class[p[i]];
        c += t & 1;
        k += (t >> 3) & 1;
        runs += (t >> 1) & (prev >> 2) & 1;  /* whitespace after a visible */
        prev = t;
        if (t & 16) {
            if (p[i] == 0xEF && i + 2 < s.len && p[i + 1] == 0xBC &&
                p[i + 2] == 0x8C)
                k++;                 /* U+FF0C fullwidth comma */
            else if (p[i] == 0xD8 && i + 1 < s.len && p[i + 1] == 0x8C)
                k++;                 /* U+060C arabic comma */
        }
    }
    if ((prev & 2) && runs)
        runs--;                      /* a trailing run is not a separator */
    *chars = c + runs;
    *commas = k;
}

/* ------------------------------------------------------------- passes */

struct try_flags {
    bool strip_unlikely;     /* remove CLS_UNLIKELY elements */
    bool weight_classes;     /* use class weights */
    bool clean_conditionally; /* step 4 on tables, lists, divs */
};

static bool tag_is_div_like(unsigned tag)
{
    return tag == TH_TAG_DIV || tag == TH_TAG_SECTION ||
           tag == TH_TAG_ARTICLE || tag == TH_TAG_MAIN ||
           tag == TH_TAG_UNKNOWN || tag == TH_TAG_CENTER ||
           tag == TH_TAG_FONT || tag == TH_TAG_SPAN;
}

/* Elements whose presence makes a div a container, not a paragraph. */
static bool is_div_to_p_block(unsigned tag)
{
    switch (tag) {
    case TH_TAG_BLOCKQUOTE: case TH_TAG_DL: case TH_TAG_DIV:
    case TH_TAG_IMG: case TH_TAG_OL: case TH_TAG_P: case TH_TAG_PRE:
    case TH_TAG_TABLE: case TH_TAG_UL: case TH_TAG_SECTION:
    case TH_TAG_ARTICLE: case TH_TAG_H1: case TH_TAG_H2: case TH_TAG_H3:
    case TH_TAG_H4: case TH_TAG_H5: case TH_TAG_H6: case TH_TAG_FIGURE:
    case TH_TAG_HEADER: case TH_TAG_FOOTER: case TH_TAG_ASIDE:
    case TH_TAG_NAV: case TH_TAG_FORM: case TH_TAG_MAIN:
        return true;
    default:
        return false;
    }
}

static bool is_table_part(unsigned tag)
{
    switch (tag) {
    case TH_TAG_TABLE: case TH_TAG_TBODY: case TH_TAG_THEAD:
    case TH_TAG_TFOOT: case TH_TAG_TR: case TH_TAG_TD: case TH_TAG_TH:
    case TH_TAG_CAPTION: case TH_TAG_CODE: case TH_TAG_PRE:
        return true;
    default:
        return false;
    }
}

/* Tags removed in every try. */
static bool tag_always_out(unsigned tag)
{
    if (tag_flags(tag) & TH_TF_SKIP)
        return true;
    switch (tag) {
    case TH_TAG_NAV: case TH_TAG_FOOTER: case TH_TAG_ASIDE:
    case TH_TAG_DIALOG: case TH_TAG_HEAD:
        return true;
    default:
        return false;
    }
}

/* Pass 1 of a try: removal state, inherited from the parent. */
static void mark_removed(struct th_html_extractor *ex,
                         const struct try_flags *f)
{
    size_t n = ex->parser->n_nodes;
    struct node_info *info = ex->info;
    info[0].state = 0;
    for (size_t i = 1; i < n; i++) {
        const struct th_html_node *node = node_at(ex, (uint32_t)i);
        uint16_t pstate = info[node->parent].state;
        uint16_t st = pstate & (ST_REMOVED | ST_IN_LINK | ST_HASH_LINK |
                                ST_IN_TABLE);
        unsigned tag = node->tag;
        if (tag == TH_TAG_TEXT) {
            info[i].state = st;
            continue;
        }
        uint16_t cls = info[i].cls;
        if (cls & CLS_DEAD)
            st |= ST_REMOVED;
        if (f->strip_unlikely && tag != TH_TAG_BODY && tag != TH_TAG_A &&
            tag != TH_TAG_HTML && (cls & CLS_ROLE_OUT))
            st |= ST_REMOVED;
        /*
         * Table structure and code keep their content whatever their
         * names; the boxes inside layout cells are judged as usual.
         */
        if (f->strip_unlikely && (cls & CLS_UNLIKELY) &&
            !(cls & CLS_MAYBE) && !is_table_part(tag) &&
            tag != TH_TAG_BODY && tag != TH_TAG_A && tag != TH_TAG_HTML)
            st |= ST_REMOVED;
        if (tag == TH_TAG_TABLE || tag == TH_TAG_CODE)
            st |= ST_IN_TABLE;
        if (tag == TH_TAG_A) {
            st |= ST_IN_LINK;
            struct th_slice href = attr(ex, (uint32_t)i, "href");
            if (href.len && href.ptr[0] == '#')
                st |= ST_HASH_LINK;
        }
        info[i].state = st;
    }
}

/* Pass 2 of a try: subtree sums, children before parents. */
static void sum_subtrees(struct th_html_extractor *ex)
{
    size_t n = ex->parser->n_nodes;
    struct node_info *info = ex->info;
    for (size_t i = 0; i < n; i++) {
        struct node_info *x = &info[i];
        if (node_at(ex, (uint32_t)i)->tag == TH_TAG_TEXT)
            continue;               /* measured once per page */
        x->chars = x->link_chars = x->commas = 0;
        x->loose_chars = x->loose_commas = 0;
        x->n_p = x->n_img = x->n_li = x->n_input = x->n_embed = 0;
        x->heading_chars = x->li_chars = 0;
        x->score = 0;
        x->state &= (uint16_t)~(ST_CANDIDATE | ST_HAS_BLOCK | ST_SELECTED |
                                ST_CLEANED | ST_TOP_PATH);
    }
    for (size_t i = n - 1; i >= 1; i--) {
        const struct th_html_node *node = node_at(ex, (uint32_t)i);
        struct node_info *x = &info[i];
        struct node_info *par = &info[node->parent];
        unsigned tag = node->tag;
        if (tag == TH_TAG_TEXT) {
            if (x->state & ST_REMOVED)
                continue;
            if (x->state & ST_IN_LINK)
                x->link_chars = (x->state & ST_HASH_LINK)
                                    ? (uint32_t)(x->chars * 0.3)
                                    : x->chars;
            par->loose_chars += x->chars;
            par->loose_commas += x->commas;
        } else {
            /* Counted even when removed: cleaning looks at them. */
            if (tag == TH_TAG_IMG)
                par->n_img++;
            else if (tag == TH_TAG_INPUT)
                par->n_input++;
            else if (tag == TH_TAG_EMBED || tag == TH_TAG_OBJECT ||
                     tag == TH_TAG_IFRAME)
                par->n_embed++;
            if (x->state & ST_REMOVED)
                continue;
            if (tag == TH_TAG_P)
                x->n_p++;
            else if (tag == TH_TAG_LI) {
                x->n_li++;
                x->li_chars = x->chars;
            }
            if (tag_flags(tag) & TH_TF_HEADING)
                x->heading_chars = x->chars;
            if (is_div_to_p_block(tag))
                par->state |= ST_HAS_BLOCK;
        }
        par->chars += x->chars + (tag != TH_TAG_TEXT && x->chars &&
                                  (tag_flags(tag) & TH_TF_BLOCK) ? 1 : 0);
        par->link_chars += x->link_chars;
        par->commas += x->commas;
        par->n_p += x->n_p;
        par->n_img += x->n_img;
        par->n_li += x->n_li;
        par->n_input += x->n_input;
        par->n_embed += x->n_embed;
        par->heading_chars += x->heading_chars;
        par->li_chars += x->li_chars;
    }
}

static double link_density(const struct node_info *x)
{
    return x->chars ? (double)x->link_chars / x->chars : 0;
}

static float tag_prior(unsigned tag)
{
    switch (tag) {
    case TH_TAG_DIV: case TH_TAG_ARTICLE: case TH_TAG_MAIN:
        return 5;
    case TH_TAG_PRE: case TH_TAG_TD: case TH_TAG_BLOCKQUOTE:
        return 3;
    case TH_TAG_ADDRESS: case TH_TAG_OL: case TH_TAG_UL: case TH_TAG_DL:
    case TH_TAG_DD: case TH_TAG_DT: case TH_TAG_LI: case TH_TAG_FORM:
        return -3;
    case TH_TAG_H1: case TH_TAG_H2: case TH_TAG_H3: case TH_TAG_H4:
    case TH_TAG_H5: case TH_TAG_H6: case TH_TAG_TH:
        return -5;
    default:
        return 0;
    }
}

static void init_candidate(struct th_html_extractor *ex, uint32_t n,
                           const struct try_flags *f)
{
    struct node_info *x = &ex->info[n];
    if (x->state & ST_CANDIDATE)
        return;
    x->state |= ST_CANDIDATE;
    x->score = tag_prior(node_at(ex, n)->tag);
    if (f->weight_classes)
        x->score += (float)class_weight(x->cls);
}

/* Give a paragraph's score to its ancestors, starting at first. */
static void propagate(struct th_html_extractor *ex, uint32_t first,
                      uint32_t chars, uint32_t commas,
                      const struct try_flags *f)
{
    if (chars < 25)
        return;
    float score = 2.0f + (float)commas +
                  (float)(chars / 100 < 3 ? chars / 100 : 3);
    uint32_t a = first;
    for (int level = 0; level < 5 && a; level++) {
        const struct th_html_node *an = node_at(ex, a);
        if (an->tag == TH_TAG_HTML || an->parent == 0)
            break;
        init_candidate(ex, a, f);
        float div = level == 0 ? 1.0f : level == 1 ? 2.0f
                                                    : (float)level * 3.0f;
        ex->info[a].score += score / div;
        a = an->parent;
    }
}

static bool is_scored_tag(unsigned tag)
{
    switch (tag) {
    case TH_TAG_P: case TH_TAG_TD: case TH_TAG_PRE: case TH_TAG_SECTION:
    case TH_TAG_H2: case TH_TAG_H3: case TH_TAG_H4: case TH_TAG_H5:
    case TH_TAG_H6:
        return true;
    default:
        return false;
    }
}

/* Pass 3: score paragraphs; returns the top candidate (0 when none). */
static uint32_t score_paragraphs(struct th_html_extractor *ex,
                                 const struct try_flags *f)
{
    size_t n = ex->parser->n_nodes;
    struct node_info *info = ex->info;
    for (size_t i = 1; i < n; i++) {
        const struct th_html_node *node = node_at(ex, (uint32_t)i);
        struct node_info *x = &info[i];
        unsigned tag = node->tag;
        if (tag == TH_TAG_TEXT || (x->state & ST_REMOVED))
            continue;
        bool para = is_scored_tag(tag);
        if (!para && tag_is_div_like(tag) && !(x->state & ST_HAS_BLOCK) &&
            tag != TH_TAG_SPAN && tag != TH_TAG_FONT)
            para = true;            /* a div of phrasing content is a p */
        if (para) {
            /* A p inside a p-like div was already counted by the div. */
            const struct th_html_node *pn = node_at(ex, node->parent);
            if (tag_is_div_like(pn->tag) &&
                !(info[node->parent].state & ST_HAS_BLOCK) &&
                pn->tag != TH_TAG_SPAN && pn->tag != TH_TAG_FONT)
                continue;
            propagate(ex, node->parent, x->chars, x->commas, f);
        } else if (tag_is_div_like(tag) && (x->state & ST_HAS_BLOCK) &&
                   x->loose_chars >= 25) {
            propagate(ex, (uint32_t)i, x->loose_chars, x->loose_commas, f);
        }
    }
    uint32_t top = 0;
    float best = -1e30f;
    for (size_t i = 1; i < n; i++) {
        struct node_info *x = &info[i];
        if (!(x->state & ST_CANDIDATE))
            continue;
        x->score *= (float)(1.0 - link_density(x));
        if (x->score > best) {
            best = x->score;
            top = (uint32_t)i;
        }
    }
    return top;
}

/* The body element, or the document when there is none. */
static uint32_t find_body(const struct th_html_extractor *ex)
{
    size_t n = ex->parser->n_nodes;
    for (size_t i = 1; i < n && i < 4096; i++)
        if (node_at(ex, (uint32_t)i)->tag == TH_TAG_BODY)
            return (uint32_t)i;
    return 0;
}

/* Widen the top candidate to an ancestor, as Readability does. */
static uint32_t widen(struct th_html_extractor *ex, uint32_t top)
{
    struct node_info *info = ex->info;
    /* Several near-equal candidates: their common ancestor holds them. */
    float top_score = info[top].score;
    uint32_t alts[3];
    size_t n_alts = 0;
    for (size_t i = 1; i < ex->parser->n_nodes && n_alts < 3; i++) {
        if (i == top || !(info[i].state & ST_CANDIDATE))
            continue;
        if (info[i].score / top_score >= 0.75f)
            alts[n_alts++] = (uint32_t)i;
    }
    if (n_alts >= 3) {
        uint32_t parent = node_at(ex, top)->parent;
        while (parent && node_at(ex, parent)->tag != TH_TAG_BODY) {
            size_t contained = 0;
            for (size_t k = 0; k < n_alts; k++) {
                uint32_t a = alts[k];
                while (a && a != parent)
                    a = node_at(ex, a)->parent;
                contained += a == parent;
            }
            if (contained >= 3) {
                top = parent;
                break;
            }
            parent = node_at(ex, parent)->parent;
        }
    }
    if (!(info[top].state & ST_CANDIDATE))
        info[top].state |= ST_CANDIDATE;
    uint32_t parent = node_at(ex, top)->parent;
    float last = info[top].score;
    float threshold = last / 3;
    while (parent && node_at(ex, parent)->tag != TH_TAG_BODY &&
           node_at(ex, parent)->tag != TH_TAG_HTML) {
        if (!(info[parent].state & ST_CANDIDATE)) {
            parent = node_at(ex, parent)->parent;
            continue;
        }
        float ps = info[parent].score;
        if (ps < threshold)
            break;
        if (ps > last) {
            top = parent;
            break;
        }
        last = ps;
        parent = node_at(ex, parent)->parent;
    }
    /* A lone child: its parent is the real container. */
    for (;;) {
        const struct th_html_node *tn = node_at(ex, top);
        uint32_t p = tn->parent;
        if (!p || node_at(ex, p)->tag == TH_TAG_BODY ||
            node_at(ex, p)->tag == TH_TAG_HTML || p == 0)
            break;
        size_t elems = 0;
        for (uint32_t c = node_at(ex, p)->first_child; c;
             c = node_at(ex, c)->next_sibling) {
            const struct th_html_node *cn = node_at(ex, c);
            if (cn->tag != TH_TAG_TEXT)
                elems++;
            else if (info[c].chars > 0)
                elems += 2;
        }
        if (elems != 1)
            break;
        top = p;
    }
    return top;
}

static bool ends_sentence(const struct th_html_extractor *ex, uint32_t n)
{
    /* A '.' followed by a space or the end, anywhere in the text. */
    const struct th_html_parser *p = ex->parser;
    uint32_t end = n + 1;
    while (end < p->n_nodes && p->nodes[end].depth > p->nodes[n].depth)
        end++;
    for (uint32_t i = n + 1; i < end; i++) {
        if (p->nodes[i].tag != TH_TAG_TEXT)
            continue;
        struct th_slice t = p->nodes[i].text;
        for (size_t k = 0; k < t.len; k++)
            if (t.ptr[k] == '.' &&
                (k + 1 == t.len || t.ptr[k + 1] == ' '))
                return true;
    }
    return false;
}

static bool same_class(const struct th_html_extractor *ex, uint32_t a,
                       uint32_t b)
{
    struct th_slice ca = attr(ex, a, "class"), cb = attr(ex, b, "class");
    return ca.len && ca.len == cb.len && !memcmp(ca.ptr, cb.ptr, ca.len);
}

/* Step 3b: mark the top candidate and its qualifying siblings. */
static void select_siblings(struct th_html_extractor *ex, uint32_t top)
{
    struct node_info *info = ex->info;
    uint32_t parent = node_at(ex, top)->parent;
    if (!parent || node_at(ex, top)->tag == TH_TAG_BODY) {
        info[top].state |= ST_SELECTED;
        return;
    }
    float t = info[top].score;
    float threshold = t * 0.2f > 10 ? t * 0.2f : 10;
    for (uint32_t c = node_at(ex, parent)->first_child; c;
         c = node_at(ex, c)->next_sibling) {
        const struct th_html_node *cn = node_at(ex, c);
        struct node_info *x = &info[c];
        if (c == top) {
            x->state |= ST_SELECTED;
            continue;
        }
        if (cn->tag == TH_TAG_TEXT || (x->state & ST_REMOVED))
            continue;
        bool append = false;
        float bonus = same_class(ex, c, top) ? t * 0.2f : 0;
        if ((x->state & ST_CANDIDATE) && x->score + bonus >= threshold)
            append = true;
        else if (cn->tag == TH_TAG_P || x->chars > SIBLING_PROSE_CHARS) {
            double ld = link_density(x);
            if (x->chars > 80 && ld < 0.25)
                append = true;
            else if (x->chars < 80 && x->chars > 0 && ld == 0 &&
                     ends_sentence(ex, c))
                append = true;
        }
        if (append)
            x->state |= ST_SELECTED;
    }
}

/* True when the text of n has a sentence end: '.', '!' or '?' + space. */
static bool has_sentence(const struct th_html_extractor *ex, uint32_t n)
{
    const struct th_html_parser *p = ex->parser;
    for (uint32_t i = n + 1;
         i < p->n_nodes && p->nodes[i].depth > p->nodes[n].depth; i++) {
        if (p->nodes[i].tag != TH_TAG_TEXT)
            continue;
        struct th_slice t = p->nodes[i].text;
        for (size_t k = 0; k < t.len; k++)
            if ((t.ptr[k] == '.' || t.ptr[k] == '!' || t.ptr[k] == '?') &&
                (k + 1 == t.len || is_ws((unsigned char)t.ptr[k + 1])))
                return true;
    }
    return false;
}

/*
 * Step 3c: prose blocks outside the chosen subtrees. Pages that are not
 * one article (forums, link-and-text pages, table layouts) keep their
 * text in several places; a block of real sentences with few links is
 * main text wherever it sits.
 */
static void select_prose(struct th_html_extractor *ex, uint32_t top)
{
    size_t n = ex->parser->n_nodes;
    struct node_info *info = ex->info;
    for (uint32_t a = top; a; a = node_at(ex, a)->parent)
        info[a].state |= ST_TOP_PATH;
    for (size_t i = 1; i < n; i++) {
        const struct th_html_node *node = node_at(ex, (uint32_t)i);
        struct node_info *x = &info[i];
        if (node->tag == TH_TAG_TEXT)
            continue;
        bool skip_subtree = (x->state & (ST_SELECTED | ST_REMOVED)) != 0;
        /* Other articles (teasers) and negatively named boxes are not it. */
        if (!(x->state & ST_TOP_PATH) &&
            (node->tag == TH_TAG_ARTICLE || class_weight(x->cls) < 0))
            skip_subtree = true;
        if (!skip_subtree) {
            unsigned tag = node->tag;
            bool block = tag == TH_TAG_P || tag == TH_TAG_PRE ||
                         tag == TH_TAG_BLOCKQUOTE || tag == TH_TAG_DD ||
                         tag == TH_TAG_LI ||
                         ((tag_is_div_like(tag) || tag == TH_TAG_TD) &&
                          !(x->state & ST_HAS_BLOCK));
            if (block && x->chars >= PROSE_MIN_CHARS &&
                link_density(x) <= PROSE_MAX_LINK_DENSITY &&
                has_sentence(ex, (uint32_t)i)) {
                x->state |= ST_SELECTED;
                skip_subtree = true;
            }
        }
        if (skip_subtree) {
            uint32_t d = node->depth;
            while (i + 1 < n && node_at(ex, (uint32_t)(i + 1))->depth > d)
                i++;
        }
    }
}

/* ---------------------------------------------------------- cleaning */

static bool is_data_table(const struct th_html_extractor *ex, uint32_t n)
{
    struct th_slice role = attr(ex, n, "role");
    if (role.len && slice_ci_eq(role, "presentation"))
        return false;
    if (attr(ex, n, "summary").len)
        return true;
    const struct th_html_parser *p = ex->parser;
    uint32_t end = n + 1;
    size_t rows = 0, cols = 0, cur = 0;
    while (end < p->n_nodes && p->nodes[end].depth > p->nodes[n].depth) {
        unsigned t = p->nodes[end].tag;
        if (t == TH_TAG_CAPTION || t == TH_TAG_TH || t == TH_TAG_THEAD ||
            t == TH_TAG_TFOOT || t == TH_TAG_COLGROUP || t == TH_TAG_COL)
            return true;
        if (t == TH_TAG_TABLE)
            return false;           /* nested tables: layout */
        if (t == TH_TAG_TR) {
            rows++;
            cur = 0;
        } else if (t == TH_TAG_TD) {
            if (++cur > cols)
                cols = cur;
        }
        end++;
    }
    if (rows >= 10 || cols > 4)
        return true;
    return rows * cols > 10;
}

/* Decide whether a table/list/div inside the content is boilerplate. */
static bool clean_conditionally(struct th_html_extractor *ex, uint32_t n,
                                const struct try_flags *f)
{
    const struct th_html_node *node = node_at(ex, n);
    const struct node_info *x = &ex->info[n];
    unsigned tag = node->tag;
    if (tag == TH_TAG_TABLE && is_data_table(ex, n))
        return false;
    int weight = f->weight_classes ? class_weight(x->cls) : 0;
    if (weight < 0)
        return true;
    if (x->commas >= 10)
        return false;
    bool is_list = tag == TH_TAG_UL || tag == TH_TAG_OL;
    if (!is_list && x->chars && x->li_chars > x->chars * 9 / 10)
        is_list = true;
    double p = x->n_p, img = x->n_img;
    double li = (double)x->n_li - 100, input = x->n_input;
    double heading_density = x->chars ? (double)x->heading_chars / x->chars
                                      : 0;
    double ld = link_density(x);
    uint32_t len = x->chars;
    bool figure = false;
    for (uint32_t a = node->parent; a; a = node_at(ex, a)->parent)
        if (node_at(ex, a)->tag == TH_TAG_FIGURE) {
            figure = true;
            break;
        }
    if (img > 1 && p / img < 0.5 && !figure)
        return true;
    if (!is_list && li > p)
        return true;
    if (input > (double)(int)(p / 3))
        return true;
    if (!is_list && heading_density < 0.9 && len < 25 &&
        (img == 0 || img > 2) && !figure)
        return true;
    if (!is_list && weight < 25 && ld > 0.2)
        return true;
    if (weight >= 25 && ld > 0.5)
        return true;
    if ((x->n_embed == 1 && len < 75) || x->n_embed > 1)
        return true;
    return false;
}

/* Similarity of a heading to the title: share of title words it has. */
static bool duplicates_title(const struct th_html_extractor *ex, uint32_t n)
{
    struct th_slice title = ex->title;
    if (!title.len)
        return false;
    const struct th_html_parser *p = ex->parser;
    char buf[512];
    size_t len = 0;
    uint32_t end = n + 1;
    while (end < p->n_nodes && p->nodes[end].depth > p->nodes[n].depth) {
        if (p->nodes[end].tag == TH_TAG_TEXT)
            len = lower_into(buf, len, sizeof(buf), p->nodes[end].text);
        end++;
    }
    if (!len)
        return false;
    /* Compare alphanumeric skeletons: heading inside title or equal. */
    char a[512], b[512];
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)buf[i] >= 0x80 ||
            is_letter(buf[i]))
            a[na++] = buf[i];
    for (size_t i = 0; i < title.len && nb < sizeof(b); i++) {
        char c = title.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if ((unsigned char)c >= 0x80 || is_letter(c))
            b[nb++] = c;
    }
    if (na < 10 || na > nb)
        return false;
    for (size_t i = 0; i + na <= nb; i++)
        if (!memcmp(b + i, a, na))
            return na * 4 >= nb * 3 || i == 0;
    return false;
}

/*
 * Labels that open promotional blocks inside articles ("SEE ALSO: <link>",
 * "Read more: <link>", "Related stories", "Advertisement").
 */
static const char *const promo_labels[] = {
    "see also", "read more", "read also", "also read", "read next",
    "related:", "related stories", "related articles", "related posts",
    "related content", "related coverage", "recommended", "more from",
    "more stories", "you may also like", "you might also like",
    "most popular", "most read", "trending", "advertisement", "sponsored",
    "continue reading", "click here to", "topics", "tags:", "filed under",
    "categories:",
};

/* Text that stands in for an embed that did not load: always dropped. */
static const char *const placeholder_labels[] = {
    "this tweet is currently unavailable", "this tweet is unavailable",
    "this post is unavailable", "this content is currently unavailable",
    "this content is not available", "this video is unavailable",
    "this embed is", "please enable javascript", "javascript is disabled",
    "you need to enable javascript",
};

/* Text of the subtree n, lowercased, whitespace collapsed, up to cap-1. */
static size_t subtree_head(const struct th_html_extractor *ex, uint32_t n,
                           char *head, size_t cap)
{
    const struct th_html_parser *p = ex->parser;
    size_t len = 0;
    for (uint32_t i = n + 1; len < cap - 1 && i < p->n_nodes &&
                             p->nodes[i].depth > p->nodes[n].depth; i++) {
        if (p->nodes[i].tag != TH_TAG_TEXT)
            continue;
        struct th_slice t = p->nodes[i].text;
        for (size_t k = 0; k < t.len && len < cap - 1; k++) {
            char c = t.ptr[k];
            if (is_ws((unsigned char)c)) {
                if (len && head[len - 1] != ' ')
                    head[len++] = ' ';
                continue;
            }
            head[len++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
    }
    head[len] = 0;
    return len;
}

/* A short copyright / "powered by" line. */
static bool is_legal_line(const struct th_html_extractor *ex, uint32_t n)
{
    const struct node_info *x = &ex->info[n];
    if (x->chars == 0 || x->chars > 200)
        return false;
    char text[256];
    subtree_head(ex, n, text, sizeof(text));
    return strstr(text, "\xc2\xa9") || strstr(text, "copyright") ||
           strstr(text, "all rights reserved") || strstr(text, "powered by");
}

/* True when the subtree n opens with a promo label and is short. */
static bool is_promo(const struct th_html_extractor *ex, uint32_t n)
{
    const struct node_info *x = &ex->info[n];
    if (x->chars == 0 || x->chars > 300)
        return false;
    char head[48];
    size_t len = subtree_head(ex, n, head, sizeof(head));
    for (size_t k = 0;
         k < sizeof(placeholder_labels) / sizeof(placeholder_labels[0]); k++)
        if (!strncmp(head, placeholder_labels[k],
                     strlen(placeholder_labels[k])))
            return true;
    for (size_t k = 0; k < sizeof(promo_labels) / sizeof(promo_labels[0]);
         k++) {
        size_t l = strlen(promo_labels[k]);
        if (len < l || memcmp(head, promo_labels[k], l) != 0)
            continue;
        /* The label alone, or the label and a link. */
        if (x->chars <= l + 2 || link_density(x) >= 0.5)
            return true;
        if (x->chars < 60)
            return true;
    }
    return false;
}

/* Step 4 over the selected subtrees. */
static void clean_selected(struct th_html_extractor *ex,
                           const struct try_flags *f)
{
    size_t n = ex->parser->n_nodes;
    struct node_info *info = ex->info;
    bool dropped_title = false;
    /* Forward walk; "inside" tracks the depth of the selected root. */
    uint32_t inside_depth = 0;
    bool inside = false;
    for (size_t i = 1; i < n; i++) {
        const struct th_html_node *node = node_at(ex, (uint32_t)i);
        struct node_info *x = &info[i];
        if (inside && node->depth <= inside_depth)
            inside = false;
        if (!inside && (x->state & ST_SELECTED)) {
            inside = true;
            inside_depth = node->depth;
        }
        if (!inside || node->tag == TH_TAG_TEXT)
            continue;
        if ((x->state & (ST_REMOVED | ST_CLEANED)) ||
            (info[node->parent].state & ST_CLEANED)) {
            x->state |= ST_CLEANED;
            continue;
        }
        unsigned tag = node->tag;
        bool drop = false;
        if ((x->cls & CLS_SHARE) && x->chars < 500)
            drop = true;
        else if (!(x->state & ST_SELECTED) &&
                 (tag == TH_TAG_P || tag == TH_TAG_DIV || tag == TH_TAG_LI ||
                  tag == TH_TAG_ASIDE || tag == TH_TAG_SECTION ||
                  tag == TH_TAG_STRONG || tag == TH_TAG_B ||
                  (tag_flags(tag) & TH_TF_HEADING)) &&
                 is_promo(ex, (uint32_t)i))
            drop = true;
        else if (!(x->state & ST_SELECTED) && !(x->state & ST_HAS_BLOCK) &&
                 (tag == TH_TAG_P || tag == TH_TAG_DIV || tag == TH_TAG_TD ||
                  tag == TH_TAG_SPAN || tag == TH_TAG_FONT ||
                  tag == TH_TAG_CENTER || tag == TH_TAG_SMALL ||
                  tag == TH_TAG_LI || tag == TH_TAG_ADDRESS) &&
                 is_legal_line(ex, (uint32_t)i))
            drop = true;
        else if ((x->cls & CLS_BYLINE) && x->chars < 100 &&
                 tag != TH_TAG_A && !(x->state & ST_SELECTED))
            drop = true;
        else if (tag == TH_TAG_H1 || tag == TH_TAG_H2) {
            if (f->weight_classes && class_weight(x->cls) < 0)
                drop = true;
            else if (!dropped_title && duplicates_title(ex, (uint32_t)i)) {
                drop = true;
                dropped_title = true;
            }
        } else if (f->clean_conditionally &&
                   (tag == TH_TAG_TABLE || tag == TH_TAG_UL ||
                    tag == TH_TAG_OL || tag == TH_TAG_DIV ||
                    tag == TH_TAG_SECTION || tag == TH_TAG_HEADER ||
                    tag == TH_TAG_FORM || tag == TH_TAG_FIELDSET) &&
                   !(x->state & ST_SELECTED)) {
            drop = clean_conditionally(ex, (uint32_t)i, f);
        }
        if (drop)
            x->state |= ST_CLEANED;
    }
}

/* ------------------------------------------------------------- output */

/* Writer state for serializing the selected subtrees. */
struct writer {
    struct th_buf *buf;      /* output */
    bool markdown;           /* Markdown syntax */
    bool links;              /* Markdown links */
    bool line_open;          /* the current line was started */
    bool content;            /* the current line has text after markers */
    size_t line_start;       /* offset of the current line in buf */
    bool space;              /* a space is pending */
    int pre;                 /* inside pre (depth) */
    int failed;              /* first append error */
    const char *marker;      /* list/heading marker for the next text */
    bool gap;                /* Markdown: blank line before the next line */
    size_t gap_prefix;       /* prefix bytes in force when gap was set */
    bool after_item;         /* the last block that ended was a list item */
    bool in_link;            /* the text being written is link text */
    size_t text_bytes;       /* bytes of text written */
    size_t link_bytes;       /* of which link text */
    char prefix[64];         /* written at the start of each line */
    size_t prefix_len;       /* bytes of prefix */
};

static void w_put(struct writer *w, const char *s, size_t len)
{
    if (!w->failed && th_buf_append(w->buf, s, len) < 0)
        w->failed = TH_ELIMIT;
}

static void w_break(struct writer *w)
{
    if (w->line_open) {
        if (w->content) {
            w_put(w, "\n", 1);
        } else if (w->buf->len >= w->line_start) {
            w->buf->len = w->line_start;     /* drop a line of markers */
            if (w->buf->ptr)
                w->buf->ptr[w->buf->len] = 0;
        }
        w->line_open = false;
    }
    w->content = false;
    w->space = false;
}

static void w_gap(struct writer *w)
{
    w->gap = true;
    w->gap_prefix = w->prefix_len;
}

static void w_start_line(struct writer *w)
{
    if (!w->line_open) {
        if (w->gap && w->buf->len) {
            size_t q = w->prefix_len < w->gap_prefix ? w->prefix_len
                                                      : w->gap_prefix;
            while (q && w->prefix[q - 1] == ' ')
                q--;
            w_put(w, w->prefix, q);
            w_put(w, "\n", 1);
        }
        w->gap = false;
        w->line_start = w->buf->len;
        size_t n = w->prefix_len;
        /* A list marker takes the place of its own indentation. */
        if (w->marker && w->marker[0] != '#') {
            size_t m = strlen(w->marker);
            n = n >= m ? n - m : 0;
        }
        if (n)
            w_put(w, w->prefix, n);
        w->line_open = true;
    }
}

static void w_literal(struct writer *w, const char *s, size_t len)
{
    w_start_line(w);
    if (w->marker) {
        w_put(w, w->marker, strlen(w->marker));
        w->marker = NULL;
        w->space = false;
    }
    if (w->space && w->content)
        w_put(w, " ", 1);
    w->space = false;
    w->content = true;
    w->text_bytes += len;
    if (w->in_link)
        w->link_bytes += len;
    w_put(w, s, len);
}

/* Text with whitespace collapsed; NBSP and control characters are spaces. */
static void w_text(struct writer *w, struct th_slice t)
{
    const unsigned char *s = (const unsigned char *)t.ptr;
    size_t i = 0;
    if (w->pre) {
        while (i < t.len) {
            size_t j = i;
            while (j < t.len && s[j] != '\n')
                j++;
            size_t nonblank = i;
            while (nonblank < j && (s[nonblank] == ' ' || s[nonblank] == '\t'
                                    || s[nonblank] == '\r'))
                nonblank++;
            if (j > i) {
                w_start_line(w);
                if (nonblank < j || w->markdown)
                    w->content = true;
                for (size_t k = i; k < j; k++)
                    if (s[k] != 0 && s[k] != '\r')
                        w_put(w, (const char *)s + k, 1);
            }
            if (j < t.len) {
                if (!w->content) {
                    w_break(w);
                    i = j + 1;
                    continue;
                }
                w_start_line(w);
                w_put(w, "\n", 1);
                w->line_open = false;
                w->content = false;
            }
            i = j + 1;
        }
        return;
    }
    while (i < t.len) {
        unsigned char c = s[i];
        if (c <= ' ' || c == 0x7F) {
            w->space = true;
            i++;
            continue;
        }
        if (c == 0xC2 && i + 1 < t.len && s[i + 1] == 0xA0) {
            w->space = true;
            i += 2;
            continue;
        }
        size_t j = i;
        while (j < t.len && s[j] > ' ' && s[j] != 0x7F &&
               !(s[j] == 0xC2 && j + 1 < t.len && s[j + 1] == 0xA0))
            j++;
        w_literal(w, (const char *)s + i, j - i);
        i = j;
    }
}

/* Drop the prefixes pushed since the prefix was len bytes long. */
static void w_pop_prefix(struct writer *w, size_t len)
{
    if (len < w->prefix_len)
        w->prefix_len = len;
}

static void w_push_prefix(struct writer *w, const char *s)
{
    size_t n = strlen(s);
    if (w->prefix_len + n < sizeof(w->prefix)) {
        memcpy(w->prefix + w->prefix_len, s, n);
        w->prefix_len += n;
    }
}

/* True when every cell of the table holds phrasing content only. */
static bool simple_table(const struct th_html_extractor *ex, uint32_t n)
{
    const struct th_html_parser *p = ex->parser;
    for (uint32_t i = n + 1;
         i < p->n_nodes && p->nodes[i].depth > p->nodes[n].depth; i++) {
        unsigned t = p->nodes[i].tag;
        if (t == TH_TAG_TABLE || t == TH_TAG_P || t == TH_TAG_DIV ||
            t == TH_TAG_UL || t == TH_TAG_OL || t == TH_TAG_BR ||
            (tag_flags(t) & TH_TF_HEADING))
            return false;
        /* Text outside the cells (browsers move it before the table). */
        unsigned pt = p->nodes[p->nodes[i].parent].tag;
        if (t == TH_TAG_TEXT && ex->info[i].chars &&
            (pt == TH_TAG_TABLE || pt == TH_TAG_TBODY || pt == TH_TAG_TR ||
             pt == TH_TAG_THEAD || pt == TH_TAG_TFOOT))
            return false;
    }
    return true;
}

static bool skip_node(const struct th_html_extractor *ex, uint32_t n)
{
    const struct node_info *x = &ex->info[n];
    return (x->state & (ST_REMOVED | ST_CLEANED)) != 0;
}

static void write_children(struct th_html_extractor *ex, struct writer *w,
                           uint32_t n);
static struct th_slice resolve_url(struct th_slice base, struct th_slice href,
                                   struct th_arena *arena);

static void write_table(struct th_html_extractor *ex, struct writer *w,
                        uint32_t n)
{
    const struct th_html_parser *p = ex->parser;
    size_t rows = 0;
    w_break(w);
    for (uint32_t c = p->nodes[n].first_child; c; c = p->nodes[c].next_sibling)
        if (p->nodes[c].tag == TH_TAG_CAPTION && !skip_node(ex, c)) {
            write_children(ex, w, c);
            w_break(w);
            if (w->markdown)
                w_gap(w);
        }
    for (uint32_t i = n + 1;
         i < p->n_nodes && p->nodes[i].depth > p->nodes[n].depth; i++) {
        if (p->nodes[i].tag != TH_TAG_TR || skip_node(ex, i))
            continue;
        size_t cells = 0;
        w_start_line(w);
        if (w->markdown)
            w_put(w, "|", 1);
        for (uint32_t c = p->nodes[i].first_child; c;
             c = p->nodes[c].next_sibling) {
            unsigned t = p->nodes[c].tag;
            if ((t != TH_TAG_TD && t != TH_TAG_TH) || skip_node(ex, c))
                continue;
            if (cells && !w->markdown && w->content)
                w_put(w, " |", 2);
            w->space = true;
            if (w->markdown)
                w->content = true;
            write_children(ex, w, c);
            if (w->markdown)
                w_put(w, " |", 2);
            w->space = false;
            cells++;
        }
        w_break(w);
        if (w->markdown && rows == 0 && cells) {
            w_start_line(w);
            w->content = true;
            w_put(w, "|", 1);
            for (size_t k = 0; k < cells; k++)
                w_put(w, " --- |", 6);
            w_break(w);
        }
        rows++;
    }
    w_break(w);
    if (w->markdown)
        w_gap(w);
}

static void write_node(struct th_html_extractor *ex, struct writer *w,
                       uint32_t n)
{
    const struct th_html_node *node = node_at(ex, n);
    if (node->tag == TH_TAG_TEXT) {
        if (!(ex->info[n].state & ST_REMOVED)) {
            w->in_link = (ex->info[n].state & ST_IN_LINK) != 0;
            w_text(w, node->text);
            w->in_link = false;
        }
        return;
    }
    if (skip_node(ex, n))
        return;
    unsigned tag = node->tag;
    unsigned flags = tag_flags(tag);
    size_t saved_prefix = w->prefix_len;
    switch (tag) {
    case TH_TAG_BR:
        w_break(w);
        return;
    case TH_TAG_HR:
        w_break(w);
        return;
    case TH_TAG_IMG:
        return;
    case TH_TAG_TABLE:
        if (simple_table(ex, n)) {
            write_table(ex, w, n);
            return;
        }
        break;
    case TH_TAG_PRE:
        w_break(w);
        if (w->markdown) {
            w_literal(w, "```", 3);
            w_break(w);
        }
        w->pre++;
        write_children(ex, w, n);
        w->pre--;
        w_break(w);
        if (w->markdown) {
            w_literal(w, "```", 3);
            w_break(w);
            w_gap(w);
        }
        return;
    case TH_TAG_A:
        if (w->markdown && w->links && !w->pre) {
            struct th_slice href = attr(ex, n, "href");
            if (href.len && href.ptr[0] != '#' && ex->info[n].chars) {
                w_literal(w, "[", 1);
                write_children(ex, w, n);
                w_put(w, "](", 2);
                if (ex->url.len && ex->arena)
                    href = resolve_url(ex->url, href, ex->arena);
                for (size_t k = 0; k < href.len; k++) {
                    char c = href.ptr[k];
                    if (c == ' ')
                        w_put(w, "%20", 3);
                    else if (c == '(' || c == ')')
                        w_put(w, c == '(' ? "%28" : "%29", 3);
                    else if ((unsigned char)c >= ' ')
                        w_put(w, &c, 1);
                }
                w_put(w, ")", 1);
                return;
            }
        }
        break;
    case TH_TAG_CODE:
        if (w->markdown && !w->pre && ex->info[n].chars) {
            w_literal(w, "`", 1);
            write_children(ex, w, n);
            w_put(w, "`", 1);
            return;
        }
        break;
    default:
        break;
    }
    if (flags & TH_TF_BLOCK) {
        if (w->markdown && w->content && tag != TH_TAG_LI &&
            tag != TH_TAG_UL && tag != TH_TAG_OL)
            w_gap(w);
        w_break(w);
    }
    if (w->markdown) {
        if (flags & TH_TF_HEADING) {
            static const char *const hashes[] = {
                "# ", "## ", "### ", "#### ", "##### ", "###### ",
            };
            w->marker = hashes[tag - TH_TAG_H1];
        } else if (tag == TH_TAG_LI) {
            bool ordered = node_at(ex, node->parent)->tag == TH_TAG_OL;
            w->marker = ordered ? "1. " : "- ";
            if (w->after_item)
                w->gap = false;      /* items of a list stay together */
            w_push_prefix(w, ordered ? "   " : "  ");
        } else if (tag == TH_TAG_BLOCKQUOTE) {
            w_push_prefix(w, "> ");
        }
    }
    write_children(ex, w, n);
    if (flags & TH_TF_BLOCK) {
        w_break(w);
        w->marker = NULL;            /* an empty item or heading */
        if (w->markdown && tag != TH_TAG_LI && tag != TH_TAG_TR &&
            tag != TH_TAG_DT && tag != TH_TAG_DD)
            w_gap(w);
        w->after_item = tag == TH_TAG_LI;
    } else if (tag == TH_TAG_TD || tag == TH_TAG_TH) {
        w->space = true;
    }
    w_pop_prefix(w, saved_prefix);
}

static void write_children(struct th_html_extractor *ex, struct writer *w,
                           uint32_t n)
{
    for (uint32_t c = node_at(ex, n)->first_child; c;
         c = node_at(ex, c)->next_sibling)
        write_node(ex, w, c);
}

/* Serialize every selected subtree, in document order, into buf. */
static int write_selected(struct th_html_extractor *ex, struct th_buf *buf)
{
    struct writer w = {0};
    w.buf = buf;
    w.markdown = ex->opts.format == TH_HTML_FORMAT_MARKDOWN;
    w.links = ex->opts.markdown_links;
    th_buf_reset(buf);
    size_t n = ex->parser->n_nodes;
    for (size_t i = 1; i < n; i++) {
        if (!(ex->info[i].state & ST_SELECTED))
            continue;
        w_break(&w);
        write_node(ex, &w, (uint32_t)i);
        w_break(&w);
        /* Skip the subtree: nothing selected nests inside a selection. */
        uint32_t d = node_at(ex, (uint32_t)i)->depth;
        while (i + 1 < n && node_at(ex, (uint32_t)(i + 1))->depth > d)
            i++;
    }
    w_break(&w);
    ex->out_link_bytes = w.link_bytes;
    /* Drop a final newline so that text is lines joined by '\n'. */
    if (buf->len && buf->ptr[buf->len - 1] == '\n')
        buf->ptr[--buf->len] = 0;
    return w.failed;
}

/* Visible characters of a result (for comparing tries). */
static size_t text_chars(const struct th_buf *b)
{
    size_t c = 0;
    for (size_t i = 0; i < b->len; i++)
        c += ((unsigned char)b->ptr[i] & 0xC0) != 0x80 &&
             !is_ws((unsigned char)b->ptr[i]);
    return c;
}

/* One extraction try; leaves the text in ex->out. */
static int run_try(struct th_html_extractor *ex, const struct try_flags *f)
{
    mark_removed(ex, f);
    sum_subtrees(ex);
    uint32_t top = score_paragraphs(ex, f);
    if (!top) {
        top = find_body(ex);
        if (!top)
            top = 0;
        ex->info[top].state |= ST_SELECTED;
    } else {
        top = widen(ex, top);
        select_siblings(ex, top);
        select_prose(ex, top);
    }
    clean_selected(ex, f);
    return write_selected(ex, &ex->out);
}

/* ----------------------------------------------------------- metadata */

static struct th_slice text_of(struct th_html_extractor *ex, uint32_t n,
                               struct th_arena *arena)
{
    struct th_buf tmp;
    th_buf_init(&tmp, 4096);
    struct writer w = {0};
    w.buf = &tmp;
    const struct th_html_parser *p = ex->parser;
    for (uint32_t i = n + 1;
         i < p->n_nodes && p->nodes[i].depth > p->nodes[n].depth; i++)
        if (p->nodes[i].tag == TH_TAG_TEXT)
            w_text(&w, p->nodes[i].text);
    struct th_slice r = {0};
    if (tmp.len) {
        char *c = th_arena_memdup(arena, tmp.ptr, tmp.len);
        if (c)
            r = (struct th_slice){c, tmp.len};
    }
    th_buf_release(&tmp);
    return r;
}

/* Resolve href against base (scheme://host/path); arena result. */
static struct th_slice resolve_url(struct th_slice base, struct th_slice href,
                                   struct th_arena *arena)
{
    href = trim(href);
    for (size_t i = 0; i < href.len && i < 12; i++) {
        char c = href.ptr[i];
        if (c == ':')
            return href;            /* absolute */
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '+' || c == '-' || c == '.'))
            break;
    }
    const char *scheme_end = NULL;
    for (size_t i = 0; i + 2 < base.len; i++)
        if (base.ptr[i] == ':' && base.ptr[i + 1] == '/' &&
            base.ptr[i + 2] == '/') {
            scheme_end = base.ptr + i;
            break;
        }
    if (!scheme_end || !href.len)
        return href;
    size_t scheme_len = (size_t)(scheme_end - base.ptr);
    if (href.len >= 2 && href.ptr[0] == '/' && href.ptr[1] == '/') {
        char *r = th_arena_printf(arena, "%.*s:%.*s", (int)scheme_len,
                                  base.ptr, (int)href.len, href.ptr);
        return r ? th_slice_from_cstr(r) : href;
    }
    const char *host = scheme_end + 3;
    const char *end = base.ptr + base.len;
    const char *path = memchr(host, '/', (size_t)(end - host));
    if (!path)
        path = end;
    if (href.ptr[0] == '/') {
        char *r = th_arena_printf(arena, "%.*s%.*s",
                                  (int)(path - base.ptr), base.ptr,
                                  (int)href.len, href.ptr);
        return r ? th_slice_from_cstr(r) : href;
    }
    const char *last = path;
    for (const char *q = path; q < end && *q != '?' && *q != '#'; q++)
        if (*q == '/')
            last = q;
    const char *dir_end = last < end && *last == '/' ? last + 1 : path;
    char *r = th_arena_printf(arena, "%.*s%s%.*s",
                              (int)(dir_end - base.ptr), base.ptr,
                              dir_end == path ? "/" : "",
                              (int)href.len, href.ptr);
    return r ? th_slice_from_cstr(r) : href;
}

static void read_metadata(struct th_html_extractor *ex, struct th_slice url,
                          struct th_arena *arena, struct th_html_result *out)
{
    const struct th_html_parser *p = ex->parser;
    struct th_slice og_title = {0}, canonical = {0}, og_url = {0};
    struct th_slice date = {0}, author = {0}, lang = {0};
    uint32_t title_node = 0, time_node = 0, author_node = 0;
    for (uint32_t i = 1; i < p->n_nodes; i++) {
        const struct th_html_node *node = &p->nodes[i];
        switch (node->tag) {
        case TH_TAG_HTML:
            if (!lang.len)
                lang = trim(attr(ex, i, "lang"));
            break;
        case TH_TAG_TITLE:
            if (!title_node)
                title_node = i;
            break;
        case TH_TAG_LINK: {
            struct th_slice rel = attr(ex, i, "rel");
            if (!canonical.len && rel.len && slice_ci_eq(rel, "canonical"))
                canonical = attr(ex, i, "href");
            break;
        }
        case TH_TAG_META: {
            struct th_slice key = attr(ex, i, "property");
            if (!key.len)
                key = attr(ex, i, "name");
            if (!key.len)
                key = attr(ex, i, "itemprop");
            if (!key.len)
                key = attr(ex, i, "http-equiv");
            struct th_slice content = trim(attr(ex, i, "content"));
            if (!key.len || !content.len)
                break;
            if (slice_ci_eq(key, "og:title"))
                og_title = content;
            else if (slice_ci_eq(key, "og:url"))
                og_url = content;
            else if (!date.len &&
                     (slice_ci_eq(key, "article:published_time") ||
                      slice_ci_eq(key, "datepublished") ||
                      slice_ci_eq(key, "pubdate") ||
                      slice_ci_eq(key, "publishdate") ||
                      slice_ci_eq(key, "date") ||
                      slice_ci_eq(key, "dc.date") ||
                      slice_ci_eq(key, "dc.date.issued") ||
                      slice_ci_eq(key, "dcterms.created") ||
                      slice_ci_eq(key, "sailthru.date") ||
                      slice_ci_eq(key, "og:published_time")))
                date = content;
            else if (!author.len &&
                     (slice_ci_eq(key, "author") ||
                      slice_ci_eq(key, "dc.creator") ||
                      slice_ci_eq(key, "sailthru.author") ||
                      (slice_ci_eq(key, "article:author") &&
                       !slice_ci_contains(content, "://"))))
                author = content;
            else if (!lang.len && slice_ci_eq(key, "content-language"))
                lang = content;
            break;
        }
        case TH_TAG_TIME:
            if (!time_node)
                time_node = i;
            break;
        default:
            if (!author_node && node->tag != TH_TAG_TEXT &&
                (ex->info[i].cls & CLS_BYLINE) && ex->info[i].chars > 0)
                author_node = i;
            break;
        }
        if (!date.len && node->tag != TH_TAG_TEXT && node->n_attrs) {
            struct th_slice ip = attr(ex, i, "itemprop");
            if (ip.len && slice_ci_eq(ip, "datepublished")) {
                date = attr(ex, i, "datetime");
                if (!date.len)
                    date = attr(ex, i, "content");
                date = trim(date);
            }
        }
    }
    if (!date.len && time_node)
        date = trim(attr(ex, time_node, "datetime"));
    if (!author.len && author_node && ex->info[author_node].chars < 100)
        author = text_of(ex, author_node, arena);
    if (title_node)
        out->title = text_of(ex, title_node, arena);
    if (!out->title.len)
        out->title = og_title;
    if (!canonical.len)
        canonical = og_url;
    if (canonical.len)
        out->canonical = resolve_url(url, canonical, arena);
    out->lang = lang;
    out->date = date;
    out->author = author;
    ex->title = out->title;
}

/* ------------------------------------------------------------- public */

int th_html_extractor_new(struct th_html_extractor **out,
                          const struct th_html_extract_options *opts)
{
    struct th_html_extractor *ex = calloc(1, sizeof(*ex));
    if (!ex)
        return TH_ENOMEM;
    if (opts)
        ex->opts = *opts;
    if (!ex->opts.max_input)
        ex->opts.max_input = DEFAULT_MAX_INPUT;
    if (th_html_parser_new(&ex->parser) < 0) {
        free(ex);
        return TH_ENOMEM;
    }
    th_buf_init(&ex->out, 0);
    th_buf_init(&ex->best, 0);
    *out = ex;
    return 0;
}

void th_html_extractor_free(struct th_html_extractor *ex)
{
    if (!ex)
        return;
    th_html_parser_free(ex->parser);
    free(ex->info);
    th_buf_release(&ex->out);
    th_buf_release(&ex->best);
    free(ex);
}

/* Bytes that cannot start an HTML or text document. */
static bool looks_binary(const uint8_t *data, size_t len)
{
    size_t n = len < 1024 ? len : 1024, bad = 0;
    for (size_t i = 0; i < n; i++)
        if (data[i] < 9 || (data[i] > 13 && data[i] < 32 && data[i] != 27))
            bad++;
    return n && bad * 10 > n;
}

int th_html_extract(struct th_html_extractor *ex, const uint8_t *data,
                    size_t len, struct th_slice charset_hint,
                    struct th_slice url, struct th_arena *arena,
                    struct th_html_result *out, struct th_error *err)
{
    memset(out, 0, sizeof(*out));
    ex->title = (struct th_slice){0};
    ex->url = url;
    ex->arena = arena;
    if (len > ex->opts.max_input) {
        out->drop_reason = "too_large";
        return 0;
    }
    bool utf16 = (len >= 2 && (data[0] == 0xFF || data[0] == 0xFE)) ||
                 (charset_hint.len >= 6 &&
                  slice_ci_contains(charset_hint, "utf-16"));
    if (!utf16 && looks_binary(data, len)) {
        out->drop_reason = "not_html";
        return 0;
    }
    struct th_slice html;
    int rc = th_html_decode(data, len, charset_hint, arena, &html,
                            &out->charset, err);
    if (rc < 0)
        return rc;
    rc = th_html_parse(ex->parser, html.ptr, html.len, arena, err);
    if (rc < 0) {
        if (rc == TH_ELIMIT) {
            out->drop_reason = "too_large";
            return 0;
        }
        return rc;
    }
    size_t n = ex->parser->n_nodes;
    out->n_nodes = n;
    if (n > ex->cap_info) {
        size_t cap = n + n / 2;
        struct node_info *p = realloc(ex->info, cap * sizeof(*p));
        if (!p)
            return th_error_set(err, TH_ENOMEM, "out of memory");
        ex->info = p;
        ex->cap_info = cap;
    }
    size_t n_elements = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&ex->info[i], 0, sizeof(ex->info[i]));
        const struct th_html_node *node = node_at(ex, (uint32_t)i);
        bool element = node->tag != TH_TAG_TEXT && node->tag != TH_TAG_DOCUMENT;
        n_elements += element;
        uint16_t cls = element && node->n_attrs ? classify(ex, (uint32_t)i)
                                                 : 0;
        /*
         * Subtrees removed in every try (script, style, nav, footer,
         * hidden, dialogs...) are marked dead here once; their text is
         * never measured.
         */
        if (i && ((ex->info[node->parent].cls & CLS_DEAD) ||
                  (element && (tag_always_out(node->tag) ||
                               (cls & (CLS_HIDDEN | CLS_ALWAYS_OUT))))))
            cls |= CLS_DEAD;
        ex->info[i].cls = cls;
        if (node->tag == TH_TAG_TEXT && !(cls & CLS_DEAD))
            measure(node->text, &ex->info[i].chars, &ex->info[i].commas);
    }
    ex->title = (struct th_slice){0};
    for (size_t i = 1; i < n; i++)
        if (node_at(ex, (uint32_t)i)->tag == TH_TAG_TITLE) {
            ex->title = text_of(ex, (uint32_t)i, arena);
            break;
        }
    static const struct try_flags tries[] = {
        {true, true, true},
        {false, true, true},
        {false, false, true},
        {false, false, false},
    };
    size_t best_chars = 0, best_own = 0;
    th_buf_reset(&ex->best);
    for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
        rc = run_try(ex, &tries[t]);
        if (rc < 0) {
            out->drop_reason = "too_large";
            return 0;
        }
        /*
         * Later tries only win with more text outside links: relaxing the
         * rules on a short page must not just bring its menus back.
         */
        size_t chars = text_chars(&ex->out);
        size_t own = ex->out.len - ex->out_link_bytes;
        if (t == 0 || own > best_own) {
            struct th_buf tmp = ex->best;
            ex->best = ex->out;
            ex->out = tmp;
            best_chars = chars;
            best_own = own;
        }
        if (best_chars >= CHAR_THRESHOLD)
            break;
    }
    /* Metadata needs classify() results (bylines) from the first try. */
    read_metadata(ex, url, arena, out);
    if (best_chars == 0) {
        out->drop_reason = n_elements ? "no_content" : "not_html";
        return 0;
    }
    char *text = th_arena_memdup(arena, ex->best.ptr, ex->best.len);
    if (!text)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    out->text = (struct th_slice){text, ex->best.len};
    return 0;
}
