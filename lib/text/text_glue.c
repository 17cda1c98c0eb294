/*
 * Glued-word repair: "notworking" -> "not working", "Italythe" -> "Italy
 * the", as naive HTML-to-text conversions leave them.
 *
 * Approach (precision first: a wrong split is worse than none). The word
 * model is two tiers of Debian's SCOWL word lists: wamerican-small (~51k
 * common words) and wamerican-huge (~348k words, proper nouns with their
 * capitals), with the British lists (wbritish-small, -huge) added so that
 * "colour" and "labour" are words. A run of ASCII letters is split only
 * when
 *   - it is 5 to 30 letters, with no capital after its first letter (so
 *     iPhone, McDonald, YouTube are never touched), and is not next to a
 *     digit, apostrophe, '@', '#', '_', '/', '.', '-' or '=' (code, URLs,
 *     e-mails, contractions, hyphenated words);
 *   - it is not itself a word of the huge list, in either case;
 *   - exactly one split point makes two words: the right part a common
 *     word, the left part a common word or (capitalized run) a proper noun
 *     of the huge list; both parts at least 2 letters;
 *   - one of the two parts is a function word of 3+ letters (the glue
 *     nearly always sits next to "the", "and", "not", ...), which is where
 *     the word-frequency evidence is strongest; two-letter ones end too
 *     many names ("Samus", "Tallon"); the right part is not a contraction
 *     tail ("youre").
 * The measured precision (tests/text: real text with known glue points and
 * real text without any) decides whether the repair is on by default.
 *
 * Rejected: splitting by a unigram language model over a frequency list
 * (Debian ships no English frequency list; the SCOWL size tiers are the
 * frequency evidence available on a fresh machine); splitting unknown
 * words with several candidate points (ambiguous: never precise enough).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/text.h"
#include "../core/banned.h"

#define GLUE_MIN 5
#define GLUE_MAX 30

struct word_set {
    uint64_t *slots;   /* open addressing, 0 = empty */
    size_t mask;       /* capacity - 1 (power of two) */
    size_t n;          /* entries */
};

struct th_text_glue {
    struct word_set common;   /* wamerican-small, lowercased */
    struct word_set all;      /* wamerican-huge, as listed (case kept) */
    struct word_set all_lower; /* wamerican-huge, lowercased */
};

/*
 * The most frequent short English function words. Longer prepositions
 * (over, through, after, under, ...) are left out: they end too many
 * compounds that are newer than the word lists (walkthrough, handover).
 */
static const char *const function_words[] = {
    "the", "and", "for", "are", "with", "his", "they", "from", "had",
    "not", "but", "what", "all", "were", "when", "your", "can", "said",
    "there", "each", "which", "she", "how", "their", "will", "other",
    "about", "many", "then", "them", "these", "some", "her", "would",
    "him", "into", "has", "more", "could", "than", "been", "who", "its",
    "now", "did", "may", "our", "also", "just", "should", "where",
    "those", "while", "any", "does", "only", "such", "you", "this",
    "that", "was", "have", "one", "too", "here", "why",
};

static int set_init(struct word_set *s, size_t expect)
{
    size_t cap = 1024;
    while (cap < expect * 2)
        cap *= 2;
    s->slots = calloc(cap, sizeof(*s->slots));
    if (!s->slots)
        return TH_ENOMEM;
    s->mask = cap - 1;
    s->n = 0;
    return 0;
}

static uint64_t word_hash(const char *w, size_t n)
{
    uint64_t h = th_hash64(w, n, 0x67c7e);
    return h ? h : 1;
}

static void set_add(struct word_set *s, const char *w, size_t n)
{
    uint64_t h = word_hash(w, n);
    size_t i = (size_t)h & s->mask;
    while (s->slots[i] && s->slots[i] != h)
        i = (i + 1) & s->mask;
    if (!s->slots[i]) {
        s->slots[i] = h;
        s->n++;
    }
}

static bool set_has(const struct word_set *s, const char *w, size_t n)
{
    uint64_t h = word_hash(w, n);
    size_t i = (size_t)h & s->mask;
    while (s->slots[i]) {
        if (s->slots[i] == h)
            return true;
        i = (i + 1) & s->mask;
    }
    return false;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Add every plain ASCII word of a list file (one per line). */
static int load_list(const char *path, struct word_set *as_is,
                     struct word_set *lowered, struct th_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return th_error_set(err, TH_EIO, "cannot open word list '%s': %s "
                            "(install wamerican-small, wamerican-huge, "
                            "wbritish-small, wbritish-huge)",
                            path, strerror(errno));
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        size_t n = strcspn(line, "\r\n");
        bool plain = n >= 2;
        for (size_t i = 0; i < n && plain; i++)
            plain = is_alpha(line[i]);
        if (!plain)
            continue;   /* possessives, accents: never glue parts */
        if (as_is)
            set_add(as_is, line, n);
        for (size_t i = 0; i < n; i++)
            line[i] = lower(line[i]);
        set_add(lowered, line, n);
    }
    fclose(f);
    return 0;
}

int th_text_glue_new(struct th_text_glue **out, const char *dict_dir,
                     struct th_error *err)
{
    static const char *const small_lists[] = {
        "american-english-small", "british-english-small" };
    static const char *const huge_lists[] = {
        "american-english-huge", "british-english-huge" };
    char path[512];
    int rc = 0;
    if (!dict_dir)
        dict_dir = "/usr/share/dict";
    struct th_text_glue *g = calloc(1, sizeof(*g));
    if (!g)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    if (set_init(&g->common, 60000) < 0 || set_init(&g->all, 400000) < 0 ||
        set_init(&g->all_lower, 400000) < 0) {
        rc = th_error_set(err, TH_ENOMEM, "out of memory");
        goto out_free;
    }
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        snprintf(path, sizeof(path), "%s/%s", dict_dir, small_lists[i]);
        rc = load_list(path, NULL, &g->common, err);
        snprintf(path, sizeof(path), "%s/%s", dict_dir, huge_lists[i]);
        if (rc == 0)
            rc = load_list(path, &g->all, &g->all_lower, err);
    }
    if (rc < 0)
        goto out_free;
    *out = g;
    return 0;
out_free:
    th_text_glue_free(g);
    return rc;
}

void th_text_glue_free(struct th_text_glue *g)
{
    if (!g)
        return;
    free(g->common.slots);
    free(g->all.slots);
    free(g->all_lower.slots);
    free(g);
}

static bool is_function_word(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof(function_words) / sizeof(*function_words);
         i++)
        if (strlen(function_words[i]) == n &&
            memcmp(function_words[i], w, n) == 0)
            return true;
    return false;
}

static bool blocks_split(char c)
{
    return (c >= '0' && c <= '9') || c == '\'' || c == '@' || c == '#' ||
           c == '_' || c == '/' || c == '.' || c == '-' || c == '=' ||
           (unsigned char)c >= 0x80;
}

/* The one split point of run w (n letters), or 0 when there is none. */
static size_t split_point(const struct th_text_glue *g, const char *w,
                          size_t n)
{
    char low[GLUE_MAX];
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && w[i] >= 'A' && w[i] <= 'Z')
            return 0;
        low[i] = lower(w[i]);
    }
    if (set_has(&g->all_lower, low, n) || set_has(&g->all, w, n))
        return 0;
    size_t found = 0;
    for (size_t i = 2; i + 2 <= n; i++) {
        bool left = set_has(&g->common, low, i) ||
                    (w[0] >= 'A' && w[0] <= 'Z' && set_has(&g->all, w, i));
        if (!left || !set_has(&g->common, low + i, n - i))
            continue;
        if (found)
            return 0;   /* ambiguous */
        found = i;
    }
    if (!found)
        return 0;
    /* contractions written without the apostrophe: "youre", "dont" */
    static const char *const tails[] = { "re", "ll", "ve", "nt", "s" };
    for (size_t t = 0; t < sizeof(tails) / sizeof(*tails); t++)
        if (n - found == strlen(tails[t]) &&
            memcmp(low + found, tails[t], n - found) == 0)
            return 0;
    /*
     * A function word of 3+ letters on one side: two-letter ones ("on",
     * "us", "an", "in", "is") end too many names and foreign words
     * (Tallon, Samus, Hasan, laboris).
     */
    bool left_fn = found >= 3 && is_function_word(low, found);
    bool right_fn = n - found >= 3 && is_function_word(low + found,
                                                       n - found);
    return left_fn || right_fn ? found : 0;
}

int th_text_split_glued(const struct th_text_glue *g, const char *data,
                        size_t len, struct th_buf *out, size_t *n_split)
{
    size_t start = out->len, i = 0, done = 0, splits = 0;
    while (i < len) {
        if (!is_alpha(data[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && is_alpha(data[j]))
            j++;
        size_t n = j - i;
        bool bounded = (i == 0 || !blocks_split(data[i - 1])) &&
                       (j == len || !blocks_split(data[j]));
        size_t at = n >= GLUE_MIN && n <= GLUE_MAX && bounded
                        ? split_point(g, data + i, n) : 0;
        if (at) {
            int rc = th_buf_append(out, data + done, i + at - done);
            if (rc == 0)
                rc = th_buf_putc(out, ' ');
            if (rc < 0) {
                out->len = start;
                return rc;
            }
            done = i + at;
            splits++;
        }
        i = j;
    }
    int rc = th_buf_append(out, data + done, len - done);
    if (rc < 0) {
        out->len = start;
        return rc;
    }
    if (n_split)
        *n_split = splits;
    return 0;
}
