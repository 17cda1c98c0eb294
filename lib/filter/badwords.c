/*
 * C4BadWordsFilter: the LDNOOBW word lists per language (as shipped by the
 * naughty-words npm package: DIR/<lang>.json), searched in the lowercased
 * text. ja, th and zh match anywhere; other languages need a non-word
 * character or the text edge on both sides, like datatrove's
 * (?:\W|^)(words)(?:\W|$). datatrove's allowlist (sm, グロ, 女の子, 性) is
 * removed from every list, as its code does.
 *
 * Approach: each list is sorted; a search walks the text and, at each
 * candidate start (every character for ja/th/zh, word starts elsewhere),
 * binary-searches the words sharing the next two bytes and compares them.
 * Lists are tiny (at most a few hundred words), so this is a few probes per
 * word of text. Loading happens once (th_badwords_load_all) so lookups are
 * read-only and thread-safe.
 * Rejected: a regex library (not needed for literal alternations; POSIX
 * regex has no Unicode \W); Aho-Corasick (more code for lists this small).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "thresh/filter.h"
#include "thresh/json.h"
#include "filter_text.h"
#include "../core/banned.h"

static const char *const languages[] = {
    "ar", "cs", "da", "de", "en", "eo", "es", "fa", "fi", "fil",
    "fr", "fr-CA-u-sd-caqc", "hi", "hu", "it", "ja", "kab", "ko", "nl",
    "no", "pl", "pt", "ru", "sv", "th", "tlh", "tr", "zh",
};
#define N_LANGS (sizeof(languages) / sizeof(languages[0]))

static const char *const allowlist[] = {
    "sm", "\xe3\x82\xb0\xe3\x83\xad",
    "\xe5\xa5\xb3\xe3\x81\xae\xe5\xad\x90", "\xe6\x80\xa7",
};

struct word_list {
    char **words;       /* sorted, lowercased, NUL-terminated */
    size_t n;           /* count */
    bool loaded;        /* list file read */
};

struct th_badwords {
    char *dir;                        /* directory of <lang>.json files */
    struct word_list lists[N_LANGS];  /* per language */
};

int th_badwords_new(struct th_badwords **out, const char *dir,
                    struct th_error *err)
{
    struct th_badwords *bw = calloc(1, sizeof(*bw));
    if (!bw || !(bw->dir = strdup(dir))) {
        free(bw);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    *out = bw;
    return 0;
}

void th_badwords_free(struct th_badwords *bw)
{
    if (!bw)
        return;
    for (size_t i = 0; i < N_LANGS; i++) {
        for (size_t k = 0; k < bw->lists[i].n; k++)
            free(bw->lists[i].words[k]);
        free(bw->lists[i].words);
    }
    free(bw->dir);
    free(bw);
}

static int cmp_words(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_word(struct word_list *l, size_t *cap, const char *w,
                    size_t len)
{
    while (len && (w[len - 1] == ' ' || w[len - 1] == '\r'))
        len--;
    while (len && w[0] == ' ') {
        w++;
        len--;
    }
    if (!len)
        return 0;
    for (size_t i = 0; i < sizeof(allowlist) / sizeof(allowlist[0]); i++)
        if (strlen(allowlist[i]) == len && !memcmp(allowlist[i], w, len))
            return 0;
    if (l->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **nw = realloc(l->words, nc * sizeof(*nw));
        if (!nw)
            return TH_ENOMEM;
        l->words = nw;
        *cap = nc;
    }
    char *copy = malloc(th_ft_lower_cap(len) + 1);
    if (!copy)
        return TH_ENOMEM;
    size_t n = th_ft_lower(w, len, copy);
    copy[n] = '\0';
    l->words[l->n++] = copy;
    return 0;
}

/*
 * A JSON array of strings (the naughty-words files), read with the core
 * JSON scanner: escapes and surrogate pairs decode as everywhere else, and
 * anything but an array of strings is TH_EFORMAT at *err_off.
 */
static int parse_json_list(struct word_list *l, const char *s, size_t n,
                           size_t *err_off)
{
    const char *end = s + n, *p = th_json_skip_ws(s, end);
    struct th_arena *a;
    if (th_arena_new(&a, 0, 0) < 0)
        return TH_ENOMEM;
    size_t cap = 0;
    int rc = p < end && *p == '[' ? 0 : TH_EFORMAT;
    if (rc == 0)
        p = th_json_skip_ws(p + 1, end);
    bool more = rc == 0 && !(p < end && *p == ']');
    while (more && rc == 0) {
        char *w;
        size_t wl;
        bool bad_utf8;
        if (p == end || *p != '"' ||
            th_json_decode_string(p, end, a, &w, &wl, &p, &bad_utf8) < 0) {
            rc = TH_EFORMAT;
            break;
        }
        rc = add_word(l, &cap, w, wl);
        p = th_json_skip_ws(p, end);
        if (p < end && *p == ',')
            p = th_json_skip_ws(p + 1, end);
        else if (p < end && *p == ']')
            more = false;
        else
            rc = TH_EFORMAT;
    }
    *err_off = (size_t)(p - s);
    th_arena_free(a);
    return rc;
}

/* Plain list: one word a line. */
static int parse_plain_list(struct word_list *l, const char *s, size_t n)
{
    size_t cap = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '\n') {
            int rc = add_word(l, &cap, s + start, i - start);
            if (rc < 0)
                return rc;
            start = i + 1;
        }
    }
    return 0;
}

/* The list of language i: 0, TH_EIO when the directory has none (that
 * language is then not filtered), or an error set in err (TH_ENOMEM, or
 * TH_EFORMAT naming the file and byte offset). */
static int load_list(struct th_badwords *bw, size_t i, struct th_error *err)
{
    struct word_list *l = &bw->lists[i];
    char path[4096];
    char *data = NULL;
    size_t len = 0, off = 0;
    bool json = true;
    snprintf(path, sizeof(path), "%s/%s.json", bw->dir, languages[i]);
    int rc = th_read_file(path, 0, &data, &len);
    if (rc == TH_EIO) {
        json = false;
        snprintf(path, sizeof(path), "%s/%s", bw->dir, languages[i]);
        rc = th_read_file(path, 0, &data, &len);
    }
    l->loaded = true;
    if (rc == TH_ENOMEM)
        return th_error_set(err, rc, "out of memory");
    if (rc < 0)
        return TH_EIO;
    rc = json ? parse_json_list(l, data, len, &off)
              : parse_plain_list(l, data, len);
    free(data);
    if (rc == TH_EFORMAT)
        return th_error_set(err, rc, "%s: byte %zu: not a JSON array of "
                            "strings", path, off);
    if (rc < 0)
        return th_error_set(err, rc, "out of memory");
    qsort(l->words, l->n, sizeof(*l->words), cmp_words);
    return 0;
}

int th_badwords_load_all(struct th_badwords *bw, struct th_error *err)
{
    size_t found = 0;
    for (size_t i = 0; i < N_LANGS; i++) {
        int rc = load_list(bw, i, err);
        if (rc < 0 && rc != TH_EIO)
            return rc;
        found += rc == 0;
    }
    if (!found)
        return th_error_set(err, TH_EIO, "no bad-word lists in '%s' (run "
                            "scripts/npm-setup.sh or set "
                            "filters.badwords_dir)", bw->dir);
    return 0;
}

/* Python re \w: letters, numbers, underscore. */
static bool is_word_char(uint32_t c)
{
    if (c < 0x80)
        return (c | 0x20) - 'a' < 26 || c - '0' < 10 || c == '_';
    if (c >= TH_FT_INVALID)
        return false;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

/* First index of words whose first bytes are >= key (binary search). */
static size_t lower_bound(const struct word_list *l, const char *key,
                          size_t klen)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strncmp(l->words[mid], key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool match_at(const struct word_list *l, const char *s, size_t n,
                     size_t p, bool bounded)
{
    size_t klen = n - p < 1 ? n - p : 1;
    size_t k = lower_bound(l, s + p, klen);
    for (; k < l->n && (uint8_t)l->words[k][0] == (uint8_t)s[p]; k++) {
        const char *w = l->words[k];
        size_t wl = strlen(w);
        if (wl > n - p || memcmp(w, s + p, wl) != 0)
            continue;
        if (!bounded)
            return true;
        size_t adv;
        if (p + wl == n ||
            !is_word_char(th_ft_decode((const uint8_t *)s + p + wl,
                                       n - p - wl, &adv)))
            return true;
    }
    return false;
}

int th_badwords_check(const struct th_badwords *bw, const char *lang,
                      const char *text, size_t len, struct th_arena *arena,
                      bool *found_out, struct th_error *err)
{
    *found_out = false;
    size_t li = N_LANGS;
    for (size_t i = 0; i < N_LANGS; i++)
        if (!strcmp(languages[i], lang))
            li = i;
    if (li == N_LANGS || !bw->lists[li].n)
        return 0;
    const struct word_list *l = &bw->lists[li];
    bool bounded = strcmp(lang, "ja") && strcmp(lang, "th") &&
                   strcmp(lang, "zh");
    char *low = th_arena_alloc(arena, th_ft_lower_cap(len));
    if (!low)
        return th_error_set(err, TH_ENOMEM, "bad words: out of memory");
    size_t n = th_ft_lower(text, len, low);
    bool prev_word = false;  /* was the previous character \w? */
    size_t p = 0;
    while (p < n) {
        size_t adv;
        uint32_t c = th_ft_decode((const uint8_t *)low + p, n - p, &adv);
        if ((!bounded || !prev_word) && match_at(l, low, n, p, bounded)) {
            *found_out = true;
            return 0;
        }
        prev_word = is_word_char(c);
        p += adv;
    }
    return 0;
}
