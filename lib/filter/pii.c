/*
 * PII redaction: e-mail addresses, public IPv4/IPv6 addresses and phone
 * numbers (E.164 with its usual separators, North American and European
 * trunk-prefix national formats), replaced by dolma-style placeholders
 * (|||EMAIL_ADDRESS|||, |||IP_ADDRESS|||, |||PHONE_NUMBER|||) or by
 * datatrove's fixed fake values, used round robin within a document.
 *
 * Approach: hand-written scanners instead of regexes, each anchored on a
 * cheap trigger ('@' for e-mail, a digit or '+' for numbers, ':' for IPv6),
 * with explicit boundary rules: a candidate must not be glued to letters,
 * digits or a further ".digit", which is what separates an IP address from
 * a version number (1.2.3.4.5), a phone number from a date, an ISBN or a
 * price. IP addresses are validated with inet_pton and kept only when
 * globally routable, following Python's ipaddress.is_global as datatrove
 * does. Matches are found left to right without overlap (e-mail first, as
 * datatrove replaces e-mails before IPs).
 * Rejected: datatrove's e-mail regex as is (lowercase only, so it misses
 * "John.Doe@Example.com"; it also takes "logo@2x.png" for an address) and
 * its unanchored IPv4 regex (finds 1.2.3.45 inside 1.2.3.4567).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "thresh/filter.h"
#include "filter_text.h"
#include "../core/banned.h"

static const char *const placeholders[TH_PII_N_KINDS] = {
    "|||EMAIL_ADDRESS|||", "|||IP_ADDRESS|||", "|||IP_ADDRESS|||",
    "|||PHONE_NUMBER|||",
};
static const char *const fake_emails[] = {
    "email@example.com", "firstname.lastname@example.org",
};
static const char *const fake_ips[] = {
    "22.214.171.124", "126.96.36.199", "188.8.131.52",
    "184.108.40.206", "220.127.116.11", "18.104.22.168",
};
static const char *const fake_phones[] = {"+1 555 0100", "+1 555 0199"};

static const char *const kind_names[TH_PII_N_KINDS] = {
    "email", "ipv4", "ipv6", "phone",
};

const char *th_pii_kind_name(enum th_pii_kind kind)
{
    return (unsigned)kind < TH_PII_N_KINDS ? kind_names[kind] : "unknown";
}

void th_pii_opts_init(struct th_pii_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->mode = TH_PII_PLACEHOLDER;
    for (int k = 0; k < TH_PII_N_KINDS; k++)
        opts->kinds[k] = true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

static bool is_hex(char c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Byte c continues an ASCII word. */
static bool is_wordish(char c)
{
    return is_alnum(c) || c == '_';
}

/* ---- e-mail ------------------------------------------------------------- */

static bool is_local_char(char c)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* File extensions that follow '@' in image names like logo@2x.png. */
static bool is_file_extension(const char *s, size_t n)
{
    static const char *const ext[] = {
        "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif",
        "tiff", "avif", "css", "js", "pdf",
    };
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        if (strlen(ext[i]) == n && !strncmp(ext[i], s, n))
            return true;
    return false;
}

/* Match an address around text[at] == '@'; returns false if none. */
static bool match_email(const char *t, size_t n, size_t at, size_t *start,
                        size_t *end)
{
    size_t s = at;
    while (s > 0 && (is_local_char(t[s - 1]) ||
                     (t[s - 1] == '.' && s >= 2 && is_local_char(t[s - 2]))))
        s--;
    while (s < at && t[s] == '.')
        s++;
    if (s == at || t[at - 1] == '.')
        return false;
    if (s > 0 && ((unsigned char)t[s - 1] >= 0x80 || t[s - 1] == '.'))
        return false;
    /* domain: labels of [A-Za-z0-9-] (no edge hyphen) separated by dots */
    size_t e = at + 1, labels = 0, last_label = e;
    for (;;) {
        size_t ls = e;
        while (e < n && (is_alnum(t[e]) || t[e] == '-'))
            e++;
        if (e == ls || t[ls] == '-' || t[e - 1] == '-')
            return false;
        labels++;
        last_label = ls;
        if (e + 1 < n && t[e] == '.' && is_alnum(t[e + 1])) {
            e++;
            continue;
        }
        break;
    }
    if (labels < 2)
        return false;
    size_t tld = e - last_label;
    for (size_t i = last_label; i < e; i++)
        if (!is_alpha(t[i]))
            return false;
    if (tld < 2 || is_file_extension(t + last_label, tld))
        return false;
    if (e < n && (unsigned char)t[e] >= 0x80)
        return false;
    *start = s;
    *end = e;
    return true;
}

/* ---- IP addresses ------------------------------------------------------- */

/*
 * Python's ipaddress.is_global, as Debian's Python 3.11.2 has it (the
 * interpreter of the parity set) and as every maintained Python since the
 * CVE-2024-4032 fix does: the IANA special-purpose registries' "not
 * globally reachable" networks, less their exceptions. Test pii_oracle
 * (tools/pii_oracle.py) compares with the interpreter itself, edges of
 * every range included.
 */
struct v4_net {
    uint32_t net;   /* network address */
    int bits;       /* prefix length */
};

static bool v4_in(uint32_t v, const struct v4_net *nets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((v & (nets[i].bits ? ~0u << (32 - nets[i].bits) : 0)) ==
            nets[i].net)
            return true;
    return false;
}

/* IPv4Address.is_private of the address at a: in a private network and in
 * no exception. */
static bool ipv4_is_private(const uint8_t a[4])
{
    uint32_t v = ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) |
                 ((uint32_t)a[2] << 8) | a[3];
    static const struct v4_net private_nets[] = {
        {0x00000000, 8}, {0x0a000000, 8}, {0x7f000000, 8},
        {0xa9fe0000, 16}, {0xac100000, 12}, {0xc0000000, 24},
        {0xc00000aa, 31}, {0xc0000200, 24}, {0xc0a80000, 16},
        {0xc6120000, 15}, {0xc6336400, 24}, {0xcb007100, 24},
        {0xf0000000, 4}, {0xffffffff, 32},
    };
    static const struct v4_net exceptions[] = {
        {0xc0000009, 32}, {0xc000000a, 32},     /* 192.0.0.9, 192.0.0.10 */
    };
    return v4_in(v, private_nets, sizeof(private_nets) /
                                  sizeof(private_nets[0])) &&
           !v4_in(v, exceptions, sizeof(exceptions) / sizeof(exceptions[0]));
}

/* IPv4Address.is_global: neither private nor in 100.64.0.0/10. */
static bool ipv4_is_global(const uint8_t a[4])
{
    bool shared = a[0] == 100 && (a[1] & 0xc0) == 64;   /* 100.64.0.0/10 */
    return !shared && !ipv4_is_private(a);
}

struct v6_net {
    uint8_t net[16];    /* network address */
    int bits;           /* prefix length */
};

static bool v6_in(const uint8_t a[16], const struct v6_net *nets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int bits = nets[i].bits, k = 0;
        for (; bits >= 8; k++, bits -= 8)
            if (a[k] != nets[i].net[k])
                break;
        if (bits >= 8)
            continue;
        if (bits == 0 || ((a[k] ^ nets[i].net[k]) &
                          (uint8_t)(0xff << (8 - bits))) == 0)
            return true;
    }
    return false;
}

/* IPv6Address.is_global: not is_private, where an IPv4-mapped address
 * (::ffff:a.b.c.d) is private as its IPv4 address is (so ::ffff:100.64.x.x
 * is global, as Python has it). */
static bool ipv6_is_global(const uint8_t a[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0xff, 0xff};
    if (!memcmp(a, mapped, 12))
        return !ipv4_is_private(a + 12);
    static const struct v6_net private_nets[] = {
        {{0}, 128},                                         /* :: */
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128}, /* ::1 */
        {{0, 0x64, 0xff, 0x9b, 0, 1}, 48},                  /* 64:ff9b:1:: */
        {{0x01}, 64},                                       /* 100::/64 */
        {{0x20, 0x01}, 23},                                 /* 2001::/23 */
        {{0x20, 0x01, 0x0d, 0xb8}, 32},                     /* 2001:db8:: */
        {{0x20, 0x02}, 16},                                 /* 2002::/16 */
        {{0xfc}, 7},                                        /* fc00::/7 */
        {{0xfe, 0x80}, 10},                                 /* fe80::/10 */
    };
    static const struct v6_net exceptions[] = {
        {{0x20, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
        {{0x20, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 128},
        {{0x20, 0x01, 0, 3}, 32},                           /* 2001:3:: */
        {{0x20, 0x01, 0, 4, 0x01, 0x12}, 48},               /* 2001:4:112:: */
        {{0x20, 0x01, 0, 0x20}, 28},                        /* 2001:20:: */
        {{0x20, 0x01, 0, 0x30}, 28},                        /* 2001:30:: */
    };
    return !(v6_in(a, private_nets, sizeof(private_nets) /
                                    sizeof(private_nets[0])) &&
             !v6_in(a, exceptions, sizeof(exceptions) /
                                   sizeof(exceptions[0])));
}

/* Dotted quad at t[s]: 4 decimal octets 0..255, no leading zeros beyond
 * what datatrove's regex allows, not glued to more digits or dots. */
static bool match_ipv4(const char *t, size_t n, size_t s, size_t *end,
                       bool *global)
{
    if (s > 0 && (is_wordish(t[s - 1]) ||
                  (t[s - 1] == '.' && s >= 2 && is_digit(t[s - 2]))))
        return false;
    uint8_t oct[4];
    size_t i = s;
    for (int k = 0; k < 4; k++) {
        size_t d = i;
        unsigned v = 0;
        while (i < n && is_digit(t[i]) && i - d < 3)
            v = v * 10 + (unsigned)(t[i++] - '0');
        if (i == d || v > 255 || (i < n && is_digit(t[i])))
            return false;
        oct[k] = (uint8_t)v;
        if (k < 3) {
            if (i >= n || t[i] != '.')
                return false;
            i++;
        }
    }
    if (i < n && (is_wordish(t[i]) ||
                  ((t[i] == '.' || t[i] == '-') && i + 1 < n &&
                   is_digit(t[i + 1]))))
        return false;
    *end = i;
    *global = ipv4_is_global(oct);
    return true;
}

/* IPv6 candidate of hex digits, ':' and an optional dotted tail. */
static bool match_ipv6(const char *t, size_t n, size_t s, size_t *end,
                       bool *global)
{
    if (s > 0 && (is_wordish(t[s - 1]) || t[s - 1] == ':'))
        return false;
    size_t i = s, colons = 0;
    while (i < n && (is_hex(t[i]) || t[i] == ':' || t[i] == '.')) {
        colons += t[i] == ':';
        i++;
    }
    while (i > s && (t[i - 1] == '.' || (t[i - 1] == ':' &&
                                          !(i - s >= 2 && t[i - 2] == ':'))))
        i--;
    if (colons < 2 || i - s > 45 || (i < n && is_wordish(t[i])))
        return false;
    char buf[64];
    memcpy(buf, t + s, i - s);
    buf[i - s] = '\0';
    uint8_t addr[16];
    if (inet_pton(AF_INET6, buf, addr) != 1)
        return false;
    *end = i;
    *global = ipv6_is_global(addr);
    return true;
}

/* ---- phone numbers ------------------------------------------------------ */

/*
 * Digits in groups separated by one of ' ', '-', '.' (the same separator
 * throughout, after an optional "(...)" group); returns the end and counts
 * digits and groups.
 */
static size_t scan_groups(const char *t, size_t n, size_t i, size_t max_group,
                          size_t *digits, size_t *groups, size_t *first_group,
                          char *sep_out)
{
    char sep = 0;
    size_t last_end = i;   /* end of the last complete group */
    *digits = *groups = *first_group = 0;
    for (;;) {
        bool paren = i < n && t[i] == '(';
        if (paren)
            i++;
        size_t d = i;
        while (i < n && is_digit(t[i]))
            i++;
        if (i == d || i - d > max_group || (paren && (i >= n || t[i] != ')')))
            break;
        if (!*groups)
            *first_group = i - d;
        *digits += i - d;
        (*groups)++;
        if (paren)
            i++;
        last_end = i;
        /* a separator, or a space after ")", or digits right after ")" */
        if (i + 1 < n && (t[i] == ' ' || t[i] == '-' || t[i] == '.') &&
            (is_digit(t[i + 1]) || t[i + 1] == '(')) {
            char c = t[i];
            if (!(paren && c == ' ')) {
                if (sep && c != sep)
                    break;
                sep = c;
            }
            i++;
            continue;
        }
        if (paren && i < n && is_digit(t[i]))
            continue;
        break;
    }
    *sep_out = sep;
    return last_end;
}

static bool phone_end_ok(const char *t, size_t n, size_t e)
{
    if (e >= n)
        return true;
    if (is_wordish(t[e]))
        return false;
    if ((t[e] == '.' || t[e] == '-' || t[e] == '/' || t[e] == ',' ||
         t[e] == ':') && e + 1 < n && is_digit(t[e + 1]))
        return false;
    return true;
}

static bool phone_start_ok(const char *t, size_t s)
{
    if (s == 0)
        return true;
    char c = t[s - 1];
    if (is_wordish(c) || c == '+' || c == '$' || c == '/' || c == '#')
        return false;
    if ((c == '.' || c == '-' || c == ',' || c == ':') && s >= 2 &&
        is_digit(t[s - 2]))
        return false;
    return true;
}

static bool match_phone(const char *t, size_t n, size_t s, size_t *end)
{
    if (!phone_start_ok(t, s))
        return false;
    size_t digits, groups, first;
    char sep;
    if (t[s] == '+') {
        /* E.164: +CC then 7..14 more digits, grouped */
        if (s + 1 >= n || !is_digit(t[s + 1]))
            return false;
        size_t e = scan_groups(t, n, s + 1, 15, &digits, &groups, &first, &sep);
        if (digits < 8 || digits > 15 || (groups == 1 && digits < 10) ||
            !phone_end_ok(t, n, e))
            return false;
        *end = e;
        return true;
    }
    size_t e = scan_groups(t, n, s, 5, &digits, &groups, &first, &sep);
    if (!phone_end_ok(t, n, e) || groups < 2)
        return false;
    if (sep == '.' && groups < 3)
        return false;
    /* North American: [1 ]NXX NXX XXXX with separators */
    if (t[s] == '(' || (digits == 10 && groups == 3) ||
        (digits == 11 && groups == 4 && t[s] == '1')) {
        size_t off = t[s] == '1' && digits == 11 ? 2 : 0;
        const char *p = t + s + off;
        if (*p == '(')
            p++;
        if (digits - (off ? 1 : 0) == 10 && p[0] >= '2' && p[0] <= '9') {
            /* the exchange (second group) must start with 2-9 too */
            const char *q = p + 3;
            while (*q == ')' || *q == ' ' || *q == '-' || *q == '.')
                q++;
            if (*q >= '2' && *q <= '9') {
                *end = e;
                return true;
            }
        }
        return false;
    }
    /* European national format: trunk prefix 0, 10 or 11 digits */
    if (t[s] == '0' && (digits == 10 || digits == 11) && groups >= 2 &&
        first >= 2 && first <= 5 && sep != '.') {
        *end = e;
        return true;
    }
    return false;
}

/* ---- driver ------------------------------------------------------------- */

static int push(struct th_pii_match **v, size_t *n, size_t *cap,
                struct th_arena *arena, size_t s, size_t e,
                enum th_pii_kind k)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct th_pii_match *nv = th_arena_alloc(arena, nc * sizeof(*nv));
        if (!nv)
            return TH_ENOMEM;
        if (*n)
            memcpy(nv, *v, *n * sizeof(*nv));
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = (struct th_pii_match){s, e, k};
    return 0;
}

int th_pii_find(const struct th_pii_opts *opts, const char *text, size_t len,
                struct th_arena *arena, struct th_pii_match **matches_out,
                size_t *n_out, struct th_error *err)
{
    struct th_pii_match *v = NULL;
    size_t n = 0, cap = 0;
    size_t i = 0;
    while (i < len) {
        char c = text[i];
        size_t s, e;
        bool global;
        int rc = 0;
        if (c == '@' && opts->kinds[TH_PII_EMAIL] &&
            match_email(text, len, i, &s, &e)) {
            rc = push(&v, &n, &cap, arena, s, e, TH_PII_EMAIL);
            i = e;
        } else if (is_hex(c) && (opts->kinds[TH_PII_IPV4] ||
                                 opts->kinds[TH_PII_IPV6] ||
                                 opts->kinds[TH_PII_PHONE])) {
            if (is_digit(c) && opts->kinds[TH_PII_IPV4] &&
                match_ipv4(text, len, i, &e, &global)) {
                if (global)
                    rc = push(&v, &n, &cap, arena, i, e, TH_PII_IPV4);
                i = e;
            } else if (opts->kinds[TH_PII_IPV6] &&
                       match_ipv6(text, len, i, &e, &global)) {
                if (global)
                    rc = push(&v, &n, &cap, arena, i, e, TH_PII_IPV6);
                i = e;
            } else if ((is_digit(c)) && opts->kinds[TH_PII_PHONE] &&
                       match_phone(text, len, i, &e)) {
                rc = push(&v, &n, &cap, arena, i, e, TH_PII_PHONE);
                i = e;
            } else {
                /* skip the rest of this alphanumeric run */
                i++;
                while (i < len && is_alnum(text[i]))
                    i++;
            }
        } else if ((c == '+' || c == '(') && opts->kinds[TH_PII_PHONE] &&
                   match_phone(text, len, i, &e)) {
            rc = push(&v, &n, &cap, arena, i, e, TH_PII_PHONE);
            i = e;
        } else if (c == ':' && opts->kinds[TH_PII_IPV6] && i + 1 < len &&
                   text[i + 1] == ':' && match_ipv6(text, len, i, &e,
                                                    &global)) {
            if (global)
                rc = push(&v, &n, &cap, arena, i, e, TH_PII_IPV6);
            i = e;
        } else {
            i++;
        }
        if (rc < 0)
            return th_error_set(err, TH_ENOMEM, "pii: out of memory");
    }
    /* an e-mail found at its '@' may start before earlier matches */
    size_t w = 0;
    for (size_t k = 0; k < n; k++) {
        while (w > 0 && v[k].kind == TH_PII_EMAIL &&
               v[w - 1].end > v[k].start)
            w--;
        v[w++] = v[k];
    }
    *matches_out = v;
    *n_out = w;
    return 0;
}

int th_pii_redact(const struct th_pii_opts *opts, const char *text,
                  size_t len, struct th_arena *arena,
                  struct th_slice *text_out,
                  size_t counts[TH_PII_N_KINDS], struct th_error *err)
{
    struct th_pii_match *m;
    size_t n;
    for (int k = 0; k < TH_PII_N_KINDS; k++)
        counts[k] = 0;
    int rc = th_pii_find(opts, text, len, arena, &m, &n, err);
    if (rc < 0)
        return rc;
    text_out->ptr = text;
    text_out->len = len;
    if (!n)
        return 0;
    size_t cap = len + n * 32 + 1;
    char *out = th_arena_alloc(arena, cap);
    if (!out)
        return th_error_set(err, TH_ENOMEM, "pii: out of memory");
    size_t o = 0, pos = 0, email_i = 0, ip_i = 0, phone_i = 0;
    for (size_t k = 0; k < n; k++) {
        memcpy(out + o, text + pos, m[k].start - pos);
        o += m[k].start - pos;
        const char *rep;
        if (opts->mode == TH_PII_PLACEHOLDER)
            rep = placeholders[m[k].kind];
        else if (m[k].kind == TH_PII_EMAIL)
            rep = fake_emails[email_i++ % 2];
        else if (m[k].kind == TH_PII_PHONE)
            rep = fake_phones[phone_i++ % 2];
        else
            rep = fake_ips[ip_i++ % 6];
        size_t rl = strlen(rep);
        memcpy(out + o, rep, rl);
        o += rl;
        pos = m[k].end;
        counts[m[k].kind]++;
    }
    memcpy(out + o, text + pos, len - pos);
    o += len - pos;
    out[o] = '\0';
    text_out->ptr = out;
    text_out->len = o;
    return 0;
}
