/*
 * URL filter in datatrove's manner, with blocklists in UT1 format: drop
 * when the registered domain or the full host is in a domains list, when
 * the URL is in a urls list, when a word of the URL (split on
 * [^a-zA-Z0-9]+, case kept) is a banned word, when it holds at least
 * soft_banned_min soft-banned words, or when a banned sub-word occurs in the
 * URL with non-alphanumerics removed and lowercased.
 *
 * The registered domain comes from the Public Suffix List (ICANN section,
 * as tldextract uses by default), read from the Debian publicsuffix package
 * when present; without it the last two labels are used.
 *
 * Approach: every list goes into an open-addressing hash set of strings
 * built once at creation; checks only read, so one filter serves every
 * thread. URLs are short, so sub-words are searched one by one.
 * Rejected: Aho-Corasick over the sub-words (datatrove's choice; pays off
 * for long texts, not for one URL against a short list).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/filter.h"
#include "filter_text.h"
#include "../core/banned.h"

#define PSL_PATH "/usr/share/publicsuffix/public_suffix_list.dat"

struct str_set {
    char **slots;       /* NUL-terminated strings or NULL */
    size_t mask;        /* capacity - 1 */
    size_t n;           /* entries */
};

static uint64_t str_hash(const char *s, size_t n)
{
    return th_hash64(s, n, 0x51ed);
}

static int set_add(struct str_set *s, const char *str, size_t len)
{
    if (!len)
        return 0;
    if ((s->n + 1) * 2 > (s->slots ? s->mask + 1 : 0)) {
        size_t cap = s->slots ? (s->mask + 1) * 2 : 64;
        char **slots = calloc(cap, sizeof(*slots));
        if (!slots)
            return TH_ENOMEM;
        for (size_t i = 0; s->slots && i <= s->mask; i++) {
            if (!s->slots[i])
                continue;
            size_t j = str_hash(s->slots[i], strlen(s->slots[i])) & (cap - 1);
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = s->slots[i];
        }
        free(s->slots);
        s->slots = slots;
        s->mask = cap - 1;
    }
    size_t j = str_hash(str, len) & s->mask;
    while (s->slots[j]) {
        if (strlen(s->slots[j]) == len && !memcmp(s->slots[j], str, len))
            return 0;
        j = (j + 1) & s->mask;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return TH_ENOMEM;
    memcpy(copy, str, len);
    copy[len] = '\0';
    s->slots[j] = copy;
    s->n++;
    return 0;
}

static bool set_has(const struct str_set *s, const char *str, size_t len)
{
    if (!s->slots || !len)
        return false;
    size_t j = str_hash(str, len) & s->mask;
    while (s->slots[j]) {
        if (strlen(s->slots[j]) == len && !memcmp(s->slots[j], str, len))
            return true;
        j = (j + 1) & s->mask;
    }
    return false;
}

static void set_free(struct str_set *s)
{
    for (size_t i = 0; s->slots && i <= s->mask; i++)
        free(s->slots[i]);
    free(s->slots);
}

struct th_url_filter {
    struct str_set domains;       /* UT1 domains, lowercased */
    struct str_set urls;          /* UT1 urls */
    struct str_set banned;        /* banned words, normalized */
    struct str_set soft;          /* soft-banned words, normalized */
    char **subwords;              /* banned sub-words, normalized */
    size_t n_subwords;            /* count */
    int64_t soft_min;             /* soft words needed to drop */
    struct str_set psl_rules;     /* public suffixes */
    struct str_set psl_wild;      /* "*.X" rules, stored as X */
    struct str_set psl_except;    /* "!X" rules, stored as X */
    char *psl_path;               /* the list read, or NULL */
};

static bool is_alnum(char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9');
}

/* datatrove's normalize(): drop [^a-zA-Z0-9], lowercase. */
static size_t normalize(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            out[o++] = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[o++] = c;
    }
    return o;
}

int th_url_filter_add_domain(struct th_url_filter *uf, const char *domain,
                             size_t len, struct th_error *err)
{
    char buf[512];
    if (len >= sizeof(buf))
        return 0;
    th_ft_lower_ascii(domain, len, buf);
    if (set_add(&uf->domains, buf, len) < 0)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    return 0;
}

int th_url_filter_add_url(struct th_url_filter *uf, const char *url,
                          size_t len, struct th_error *err)
{
    if (set_add(&uf->urls, url, len) < 0)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    return 0;
}

int th_url_filter_add_word(struct th_url_filter *uf, int kind,
                           const char *word, size_t len,
                           struct th_error *err)
{
    char buf[512];
    if (len >= sizeof(buf))
        return 0;
    size_t n = normalize(word, len, buf);
    if (!n)
        return 0;
    int rc = 0;
    if (kind == TH_URL_BANNED_WORD) {
        rc = set_add(&uf->banned, buf, n);
    } else if (kind == TH_URL_SOFT_BANNED_WORD) {
        rc = set_add(&uf->soft, buf, n);
    } else {
        char **sw = realloc(uf->subwords,
                            (uf->n_subwords + 1) * sizeof(*sw));
        char *copy = malloc(n + 1);
        if (!sw || !copy) {
            free(copy);
            if (sw)
                uf->subwords = sw;
            return th_error_set(err, TH_ENOMEM, "out of memory");
        }
        memcpy(copy, buf, n);
        copy[n] = '\0';
        uf->subwords = sw;
        uf->subwords[uf->n_subwords++] = copy;
    }
    if (rc < 0)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    return 0;
}

typedef int (*line_fn)(struct th_url_filter *uf, const char *line,
                       size_t len, int kind, struct th_error *err);

/* Call fn on every non-empty, non-comment, stripped line of path. */
static int for_each_line(struct th_url_filter *uf, const char *path,
                         line_fn fn, int kind, struct th_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return th_error_set(err, TH_EIO, "cannot open list '%s'", path);
    char line[4096];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        size_t s = 0, e = strlen(line);
        while (e > s && (line[e - 1] == '\n' || line[e - 1] == '\r' ||
                         line[e - 1] == ' ' || line[e - 1] == '\t'))
            e--;
        while (s < e && (line[s] == ' ' || line[s] == '\t'))
            s++;
        if (s == e || line[s] == '#')
            continue;
        rc = fn(uf, line + s, e - s, kind, err);
    }
    fclose(f);
    return rc;
}

static int add_domain_line(struct th_url_filter *uf, const char *line,
                           size_t len, int kind, struct th_error *err)
{
    return th_url_filter_add_domain(uf, line, len, err);
}

static int add_url_line(struct th_url_filter *uf, const char *line,
                        size_t len, int kind, struct th_error *err)
{
    return th_url_filter_add_url(uf, line, len, err);
}

static int add_word_line(struct th_url_filter *uf, const char *line,
                         size_t len, int kind, struct th_error *err)
{
    return th_url_filter_add_word(uf, kind, line, len, err);
}

static int add_psl_line(struct th_url_filter *uf, const char *line,
                        size_t len, int kind, struct th_error *err)
{
    int rc;
    if (len >= 2 && line[0] == '/' && line[1] == '/')
        return 0;
    if (line[0] == '!')
        rc = set_add(&uf->psl_except, line + 1, len - 1);
    else if (len > 2 && line[0] == '*' && line[1] == '.')
        rc = set_add(&uf->psl_wild, line + 2, len - 2);
    else
        rc = set_add(&uf->psl_rules, line, len);
    return rc < 0 ? th_error_set(err, TH_ENOMEM, "out of memory") : 0;
}

/* Read the ICANN section of the Public Suffix List, if installed
 * ($THRESH_PSL_PATH names another file). */
static int load_psl(struct th_url_filter *uf, struct th_error *err)
{
    const char *path = getenv("THRESH_PSL_PATH");
    if (!path || !*path)
        path = PSL_PATH;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (!(uf->psl_path = strdup(path))) {
        fclose(f);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    char line[512];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        if (strstr(line, "===BEGIN PRIVATE DOMAINS==="))
            break;
        size_t e = strcspn(line, " \t\r\n");
        if (e)
            rc = add_psl_line(uf, line, e, 0, err);
    }
    fclose(f);
    return rc;
}

int th_url_filter_new(struct th_url_filter **out,
                      const struct th_url_filter_opts *opts,
                      struct th_error *err)
{
    struct th_url_filter *uf = calloc(1, sizeof(*uf));
    if (!uf)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    uf->soft_min = opts->soft_banned_min > 0 ? opts->soft_banned_min : 2;
    int rc = load_psl(uf, err);
    for (size_t i = 0; rc == 0 && i < opts->n_domain_files; i++)
        rc = for_each_line(uf, opts->domain_files[i], add_domain_line, 0,
                           err);
    for (size_t i = 0; rc == 0 && i < opts->n_url_files; i++)
        rc = for_each_line(uf, opts->url_files[i], add_url_line, 0, err);
    if (rc == 0 && opts->banned_words_file)
        rc = for_each_line(uf, opts->banned_words_file, add_word_line,
                           TH_URL_BANNED_WORD, err);
    if (rc == 0 && opts->soft_banned_words_file)
        rc = for_each_line(uf, opts->soft_banned_words_file, add_word_line,
                           TH_URL_SOFT_BANNED_WORD, err);
    if (rc == 0 && opts->banned_subwords_file)
        rc = for_each_line(uf, opts->banned_subwords_file, add_word_line,
                           TH_URL_BANNED_SUBWORD, err);
    if (rc < 0) {
        th_url_filter_free(uf);
        return rc;
    }
    *out = uf;
    return 0;
}

const char *th_url_filter_suffix_list(const struct th_url_filter *uf)
{
    return uf->psl_path;
}

void th_url_filter_free(struct th_url_filter *uf)
{
    if (!uf)
        return;
    free(uf->psl_path);
    set_free(&uf->domains);
    set_free(&uf->urls);
    set_free(&uf->banned);
    set_free(&uf->soft);
    set_free(&uf->psl_rules);
    set_free(&uf->psl_wild);
    set_free(&uf->psl_except);
    for (size_t i = 0; i < uf->n_subwords; i++)
        free(uf->subwords[i]);
    free(uf->subwords);
    free(uf);
}

/* Host of url, lowercased into buf; returns its length (0: none). */
static size_t url_host(const char *url, size_t len, char *buf, size_t cap)
{
    const char *p = url, *end = url + len;
    const char *scheme = th_ft_find(url, len, "://", 3);
    if (scheme)
        p = scheme + 3;
    const char *h = p;
    while (p < end && *p != '/' && *p != '?' && *p != '#')
        p++;
    const char *at = NULL;
    for (const char *q = h; q < p; q++)
        if (*q == '@')
            at = q;
    if (at)
        h = at + 1;
    const char *hend = h;
    while (hend < p && *hend != ':')
        hend++;
    while (hend > h && hend[-1] == '.')
        hend--;
    size_t n = (size_t)(hend - h);
    if (n >= cap)
        return 0;
    th_ft_lower_ascii(h, n, buf);
    buf[n] = '\0';
    return n;
}

/* Registered domain (public suffix + one label) of host, or NULL. */
static const char *registered_domain(const struct th_url_filter *uf,
                                     const char *host, size_t n)
{
    /* label starts, left to right */
    size_t starts[128], k = 0;
    starts[k++] = 0;
    for (size_t i = 0; i < n && k < 128; i++)
        if (host[i] == '.')
            starts[k++] = i + 1;
    size_t ps = k - 1;          /* default rule "*": the last label */
    if (uf->psl_rules.n) {
        for (size_t i = 0; i < k; i++) {
            const char *s = host + starts[i];
            size_t sl = n - starts[i];
            if (set_has(&uf->psl_except, s, sl)) {
                ps = i + 1;
                break;
            }
            if (set_has(&uf->psl_rules, s, sl)) {
                ps = i;
                break;
            }
            if (i + 1 < k && set_has(&uf->psl_wild, host + starts[i + 1],
                                     n - starts[i + 1])) {
                ps = i;
                break;
            }
        }
    }
    if (ps == 0 || ps >= k + 1)
        return NULL;             /* the host is itself a public suffix */
    return host + starts[ps - 1];
}

int th_url_filter_check(const struct th_url_filter *uf, const char *url,
                        size_t len, struct th_arena *arena,
                        const char **reason_out, struct th_error *err)
{
    *reason_out = NULL;
    char host[512];
    size_t hn = url_host(url, len, host, sizeof(host));
    if (hn && uf->domains.n) {
        /* datatrove: the registered domain first ("domain"), then the
         * full host ("subdomain") */
        const char *reg = registered_domain(uf, host, hn);
        if (reg && set_has(&uf->domains, reg, hn - (size_t)(reg - host))) {
            *reason_out = "domain";
            return 0;
        }
        if (set_has(&uf->domains, host, hn)) {
            *reason_out = "subdomain";
            return 0;
        }
    }
    if (uf->urls.n) {
        const char *scheme = th_ft_find(url, len, "://", 3);
        const char *bare = scheme ? scheme + 3 : url;
        if (set_has(&uf->urls, url, len) ||
            set_has(&uf->urls, bare, len - (size_t)(bare - url))) {
            *reason_out = "url";
            return 0;
        }
    }
    /* words of the URL: maximal [a-zA-Z0-9] runs, case kept */
    struct th_slice found[64];   /* distinct soft words seen */
    size_t n_found = 0;
    int64_t soft = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && !is_alnum(url[i]))
            i++;
        size_t s = i;
        while (i < len && is_alnum(url[i]))
            i++;
        if (i == s)
            break;
        if (set_has(&uf->banned, url + s, i - s)) {
            *reason_out = "hard_blacklisted";
            return 0;
        }
        if (!set_has(&uf->soft, url + s, i - s))
            continue;
        /* each soft word counts once (datatrove tests set membership) */
        struct th_slice w = {url + s, i - s};
        bool dup = false;
        for (size_t k = 0; k < n_found && !dup; k++)
            dup = th_slice_eq(found[k], w);
        if (dup)
            continue;
        soft++;
        if (n_found < 64)
            found[n_found++] = w;
    }
    if (soft >= uf->soft_min) {
        *reason_out = "soft_blacklisted";
        return 0;
    }
    if (uf->n_subwords) {
        char *norm = th_arena_alloc(arena, len + 1);
        if (!norm)
            return th_error_set(err, TH_ENOMEM, "out of memory");
        size_t nn = normalize(url, len, norm);
        for (size_t k = 0; k < uf->n_subwords; k++)
            if (th_ft_find(norm, nn, uf->subwords[k],
                           strlen(uf->subwords[k]))) {
                *reason_out = "blacklisted_subword";
                return 0;
            }
    }
    return 0;
}
