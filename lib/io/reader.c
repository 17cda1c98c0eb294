/*
 * Document readers: WARC/WET, JSONL and plain text over a decompressing
 * instream, format detected from the first decoded bytes.
 *
 * Approach: decoded chunks are appended to a window buffer; the parsers
 * look for delimiters in the window and pull more chunks as needed. A
 * record is copied into the caller's arena once complete, so the window can
 * be compacted at any time and memory stays bounded by the largest record
 * kept (opts.max_record) plus one chunk. Records larger than max_record are
 * consumed without buffering and returned as empty "too_large" stubs so the
 * run's accounting still sees them.
 *
 * Damage policy (docs/robustness.md): anything that can still be delimited
 * comes back as a document with doc->damage set (it goes to the rejects
 * output); anything that cannot is reported through on_warning with file
 * and offset and counted; parsing resumes at the next "WARC/1." line, the
 * next newline (JSONL) or the next gzip member / zstd frame (instream).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "instream.h"
#include "thresh/json.h"
#include "../core/banned.h"

#define DEFAULT_MAX_RECORD (64u << 20)
#define MAX_WARC_HEADER (256u << 10)
#define MAX_HTTP_HEADER (256u << 10)

struct chunk_mark {
    uint64_t decoded;    /* decoded offset where the chunk starts */
    uint64_t member;     /* input offset of its member (or of its data) */
    bool gap;            /* bytes were lost just before it */
};

struct th_reader {
    struct th_instream *in;         /* byte source */
    struct th_reader_options opts;  /* with defaults filled in */
    enum th_format format;          /* detected or forced */
    struct th_buf win;              /* decoded bytes not yet dropped */
    size_t win_pos;                 /* consumed bytes of win */
    uint64_t win_base;              /* decoded offset of win.ptr[0] */
    struct chunk_mark *marks;       /* chunk starts, ascending */
    size_t n_marks;                 /* marks in use */
    size_t cap_marks;               /* marks allocated */
    bool eof;                       /* instream exhausted */
    bool text_done;                 /* TEXT format: the document was read */
    struct th_reader_stats stats;   /* counters */
    uint64_t parse_damaged;         /* damage found by the parsers */
};

const char *th_skip_reason_str(enum th_skip_reason reason)
{
    static const char *const names[TH_SKIP_N_REASONS] = {
        "not_response", "http_status", "content_type", "empty",
    };
    return (unsigned)reason < TH_SKIP_N_REASONS ? names[reason] : "unknown";
}

static void warnf(struct th_reader *r, uint64_t offset, const char *fmt,
                  const char *detail)
{
    char what[256], msg[768];
    r->parse_damaged++;
    if (!r->opts.on_warning)
        return;
    snprintf(what, sizeof(what), fmt, detail ? detail : "");
    snprintf(msg, sizeof(msg), "%s: offset %llu: %s",
             th_instream_path(r->in), (unsigned long long)offset, what);
    r->opts.on_warning(msg, r->opts.warning_ctx);
}

/* ---- window ---------------------------------------------------------- */

static size_t unread(const struct th_reader *r)
{
    return r->win.len - r->win_pos;
}

static const char *cur(const struct th_reader *r)
{
    return r->win.ptr + r->win_pos;
}

static uint64_t cur_offset(const struct th_reader *r)
{
    return r->win_base + r->win_pos;
}

static void compact(struct th_reader *r)
{
    if (r->win_pos == 0)
        return;
    memmove(r->win.ptr, r->win.ptr + r->win_pos, unread(r));
    r->win.len -= r->win_pos;
    r->win_base += r->win_pos;
    r->win_pos = 0;
    /* keep the last mark at or before win_base, drop older ones */
    size_t keep = 0;
    while (keep + 1 < r->n_marks && r->marks[keep + 1].decoded <= r->win_base)
        keep++;
    if (keep) {
        memmove(r->marks, r->marks + keep,
                (r->n_marks - keep) * sizeof(*r->marks));
        r->n_marks -= keep;
    }
}

/* Pull one more chunk into the window: 1 added, 0 end, < 0 failure. */
static int fill(struct th_reader *r, struct th_error *err)
{
    if (r->eof)
        return 0;
    struct th_chunk c;
    if (r->win_pos > (1u << 20) || r->win_pos * 2 > r->win.len)
        compact(r);
    uint64_t at = r->win_base + r->win.len;
    int rc = th_instream_next_into(r->in, &r->win, &c, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        r->eof = true;
        r->stats.bytes_in = th_instream_pos(r->in);
        return 0;
    }
    if (r->n_marks == r->cap_marks) {
        size_t cap = r->cap_marks ? r->cap_marks * 2 : 64;
        struct chunk_mark *m = realloc(r->marks, cap * sizeof(*m));
        if (!m)
            return th_error_set(err, TH_ENOMEM, "out of memory");
        r->marks = m;
        r->cap_marks = cap;
    }
    r->marks[r->n_marks].decoded = at;
    r->marks[r->n_marks].member = c.member_offset;
    r->marks[r->n_marks].gap = c.after_gap;
    r->n_marks++;
    r->stats.bytes_decoded += c.len;
    r->stats.bytes_in = th_instream_pos(r->in);
    return 1;
}

/* Make at least need unread bytes available; 1 yes, 0 end came first. */
static int need(struct th_reader *r, size_t n, struct th_error *err)
{
    while (unread(r) < n) {
        int rc = fill(r, err);
        if (rc <= 0)
            return rc;
    }
    return 1;
}

/*
 * Find pat at or after unread offset from, scanning at most limit unread
 * bytes. Returns the unread offset, or -1 (not found before the end or the
 * limit), or < -1 on failure (TH_* - 1).
 */
static long long find(struct th_reader *r, size_t from, const char *pat,
                      size_t plen, size_t limit, struct th_error *err)
{
    for (;;) {
        size_t avail = unread(r);
        if (avail > limit)
            avail = limit;
        if (avail >= from + plen) {
            const char *base = cur(r);
            const char *hit = memmem(base + from, avail - from, pat, plen);
            if (hit)
                return hit - base;
            from = avail - plen + 1;
        }
        if (unread(r) >= limit)
            return -1;
        int rc = fill(r, err);
        if (rc < 0)
            return (long long)rc - 1;
        if (rc == 0)
            return -1;
    }
}

/* Discard n unread bytes, pulling chunks as needed; false at end. */
static int discard(struct th_reader *r, uint64_t n, struct th_error *err)
{
    while (n) {
        size_t avail = unread(r);
        if (avail == 0) {
            int rc = fill(r, err);
            if (rc <= 0)
                return rc;
            continue;
        }
        size_t take = avail < n ? avail : (size_t)n;
        r->win_pos += take;
        n -= take;
    }
    return 1;
}

static const struct chunk_mark *mark_at(const struct th_reader *r,
                                        uint64_t decoded)
{
    const struct chunk_mark *m = NULL;
    for (size_t i = 0; i < r->n_marks && r->marks[i].decoded <= decoded; i++)
        m = &r->marks[i];
    return m;
}

static uint64_t input_offset(const struct th_reader *r, uint64_t decoded)
{
    const struct chunk_mark *m = mark_at(r, decoded);
    if (!m)
        return 0;
    if (th_instream_compression(r->in) == TH_COMPRESSION_NONE)
        return m->member + (decoded - m->decoded);
    return m->member;
}

/* Decoded offset of the first loss inside (start, end], or 0 if none. */
static uint64_t gap_within(const struct th_reader *r, uint64_t start,
                           uint64_t end)
{
    for (size_t i = 0; i < r->n_marks; i++)
        if (r->marks[i].gap && r->marks[i].decoded > start &&
            r->marks[i].decoded <= end)
            return r->marks[i].decoded;
    return 0;
}

static int set_source(struct th_reader *r, struct th_doc *doc,
                      struct th_arena *a, uint64_t decoded,
                      const char *format)
{
    /* copied: the document outlives the reader */
    const char *path = th_instream_path(r->in);
    doc->source.input = th_arena_memdup(a, path, strlen(path));
    doc->source.decoded_offset = decoded;
    doc->source.offset = input_offset(r, decoded);
    doc->source.format = th_slice_from_cstr(format);
    return 0;
}

static struct th_slice copy_slice(struct th_arena *a, const char *p,
                                  size_t n)
{
    struct th_slice s = { th_arena_memdup(a, p, n), n };
    if (!s.ptr)
        s.len = 0;
    return s;
}

/* ---- WARC ------------------------------------------------------------ */

struct warc_header {
    struct th_slice type;           /* WARC-Type */
    struct th_slice record_id;      /* WARC-Record-ID */
    struct th_slice date;           /* WARC-Date */
    struct th_slice target_uri;     /* WARC-Target-URI */
    struct th_slice content_type;   /* Content-Type */
    long long content_length;       /* -1 when missing or invalid */
};

static struct th_slice trim(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    struct th_slice s = { p, (size_t)(e - p) };
    return s;
}

/* Iterate "Name: value" lines of a header block [p, e). */
static bool next_field(const char **pp, const char *e, struct th_slice *name,
                       struct th_slice *value)
{
    const char *p = *pp;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        *pp = nl ? nl + 1 : e;
        if (colon) {
            *name = trim(p, colon);
            *value = trim(colon + 1, le);
            return true;
        }
        p = *pp;
    }
    return false;
}

static bool name_is(struct th_slice n, const char *s)
{
    return n.len == strlen(s) && strncasecmp(n.ptr, s, n.len) == 0;
}

static void parse_warc_header(const char *p, const char *e,
                              struct warc_header *h)
{
    memset(h, 0, sizeof(*h));
    h->content_length = -1;
    struct th_slice name, value;
    while (next_field(&p, e, &name, &value)) {
        if (name_is(name, "WARC-Type")) {
            h->type = value;
        } else if (name_is(name, "WARC-Record-ID")) {
            if (value.len >= 2 && value.ptr[0] == '<' &&
                value.ptr[value.len - 1] == '>') {
                value.ptr++;
                value.len -= 2;
            }
            h->record_id = value;
        } else if (name_is(name, "WARC-Date")) {
            h->date = value;
        } else if (name_is(name, "WARC-Target-URI")) {
            if (value.len >= 2 && value.ptr[0] == '<' &&
                value.ptr[value.len - 1] == '>') {
                value.ptr++;
                value.len -= 2;
            }
            h->target_uri = value;
        } else if (name_is(name, "Content-Type")) {
            h->content_type = value;
        } else if (name_is(name, "Content-Length")) {
            long long v = 0;
            size_t i = 0;
            for (; i < value.len && value.ptr[i] >= '0' &&
                   value.ptr[i] <= '9' && v < (1LL << 50); i++)
                v = v * 10 + (value.ptr[i] - '0');
            h->content_length = (i == value.len && i > 0) ? v : -1;
        }
    }
}

/* Split "text/html; charset=UTF-8" into media type and charset. */
static void split_content_type(struct th_slice ct, struct th_slice *media,
                               struct th_slice *charset)
{
    if (ct.len == 0) {
        media->ptr = charset->ptr = NULL;
        media->len = charset->len = 0;
        return;
    }
    const char *e = ct.ptr + ct.len;
    const char *semi = memchr(ct.ptr, ';', ct.len);
    *media = trim(ct.ptr, semi ? semi : e);
    charset->ptr = NULL;
    charset->len = 0;
    for (const char *p = semi; p && p < e;) {
        const char *next = memchr(p + 1, ';', (size_t)(e - p - 1));
        struct th_slice param = trim(p + 1, next ? next : e);
        if (param.len > 8 && strncasecmp(param.ptr, "charset=", 8) == 0) {
            struct th_slice v = { param.ptr + 8, param.len - 8 };
            if (v.len >= 2 && (v.ptr[0] == '"' || v.ptr[0] == '\'')) {
                v.ptr++;
                v.len -= 2;
            }
            *charset = v;
        }
        p = next;
    }
}

static bool media_is_html(struct th_slice m)
{
    return name_is(m, "text/html") || name_is(m, "application/xhtml+xml");
}

static bool media_is_text(struct th_slice m)
{
    return name_is(m, "text/plain");
}

/*
 * Turn a complete WARC record (header h, block [b, b+n)) into a document.
 * Returns 1 document, 0 skipped (counted), < 0 failure.
 */
static int warc_to_doc(struct th_reader *r, const struct warc_header *h,
                       const char *b, size_t n, struct th_doc *doc,
                       struct th_arena *a)
{
    bool wet = name_is(h->type, "conversion");
    bool response = name_is(h->type, "response");
    bool resource = name_is(h->type, "resource");
    struct th_slice media = {0}, charset = {0};
    const char *body = b;
    size_t body_len = n;
    int status = 0;
    if (!wet && !response && !resource) {
        r->stats.skipped[TH_SKIP_NOT_RESPONSE]++;
        return 0;
    }
    if (response && (n < 5 || memcmp(b, "HTTP/", 5) != 0)) {
        /* a response record whose block is not HTTP: e.g. dns: records */
        r->stats.skipped[TH_SKIP_NOT_RESPONSE]++;
        return 0;
    }
    if (response) {
        const char *e = b + n;
        const char *hend = NULL;
        size_t lim = n < MAX_HTTP_HEADER ? n : MAX_HTTP_HEADER;
        const char *crlf = memmem(b, lim, "\r\n\r\n", 4);
        /* a bare "\n\n" counts only before the first "\r\n\r\n" */
        const char *lflf = memmem(b, crlf ? (size_t)(crlf - b) + 2 : lim,
                                  "\n\n", 2);
        if (crlf && (!lflf || crlf < lflf))
            hend = crlf + 4;
        else if (lflf)
            hend = lflf + 2;
        else
            hend = e;   /* headers only, no body */
        const char *sp = memchr(b, ' ', (size_t)(hend - b));
        if (sp && hend - sp > 4)
            status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
        const char *lend = memchr(b, '\n', (size_t)(hend - b));
        const char *fp = lend ? lend + 1 : hend;
        struct th_slice name, value;
        struct th_slice ct = {0};
        while (next_field(&fp, hend, &name, &value))
            if (name_is(name, "Content-Type"))
                ct = value;
        split_content_type(ct, &media, &charset);
        body = hend;
        body_len = (size_t)(e - hend);
        if (status != 200) {
            r->stats.skipped[TH_SKIP_HTTP_STATUS]++;
            return 0;
        }
    } else {
        split_content_type(h->content_type, &media, &charset);
    }
    enum th_doc_kind kind;
    if (wet || media_is_text(media)) {
        kind = TH_DOC_TEXT;
    } else if (media_is_html(media)) {
        kind = TH_DOC_HTML;
    } else if (media.len == 0 && body_len && body[0] == '<') {
        kind = TH_DOC_HTML;
    } else {
        r->stats.skipped[TH_SKIP_CONTENT_TYPE]++;
        return 0;
    }
    doc->kind = kind;
    doc->id = copy_slice(a, h->record_id.ptr, h->record_id.len);
    doc->url = copy_slice(a, h->target_uri.ptr, h->target_uri.len);
    doc->text = copy_slice(a, body, body_len);
    if (!doc->text.ptr)
        return TH_ENOMEM;
    doc->source.record_id = doc->id;
    doc->source.date = copy_slice(a, h->date.ptr, h->date.len);
    doc->source.target_uri = doc->url;
    doc->source.http_status = status;
    doc->source.content_type = copy_slice(a, media.ptr, media.len);
    doc->source.charset = copy_slice(a, charset.ptr, charset.len);
    return 1;
}

/* Skip to the next line starting "WARC/1." after unread offset from. */
static int warc_resync(struct th_reader *r, size_t from,
                       struct th_error *err)
{
    long long at = find(r, from, "\nWARC/1.", 8, SIZE_MAX, err);
    if (at < -1)
        return (int)(at + 1);
    if (at < 0) {
        r->win_pos = r->win.len;
        return 0;
    }
    r->win_pos += (size_t)at + 1;
    return 1;
}

static int warc_next(struct th_reader *r, struct th_doc *doc,
                     struct th_arena *a, struct th_error *err)
{
    for (;;) {
        int rc;
        /* skip blank lines between records */
        for (;;) {
            if ((rc = need(r, 1, err)) < 0)
                return rc;
            if (rc == 0)
                return 0;
            char c = *cur(r);
            if (c != '\r' && c != '\n')
                break;
            r->win_pos++;
        }
        uint64_t start = cur_offset(r);
        if ((rc = need(r, 8, err)) < 0)
            return rc;
        if (rc == 0 || memcmp(cur(r), "WARC/1.", 7) != 0) {
            warnf(r, input_offset(r, start), "%sno WARC record header here; "
                  "skipping to the next record", NULL);
            if ((rc = warc_resync(r, 0, err)) <= 0)
                return rc;
            continue;
        }
        long long hend = find(r, 0, "\r\n\r\n", 4, MAX_WARC_HEADER, err);
        size_t hlen;
        if (hend < -1)
            return (int)(hend + 1);
        if (hend < 0) {
            long long lf = find(r, 0, "\n\n", 2, MAX_WARC_HEADER, err);
            if (lf < -1)
                return (int)(lf + 1);
            if (lf < 0) {
                warnf(r, input_offset(r, start), "%struncated or oversized "
                      "WARC header; skipping to the next record", NULL);
                if ((rc = warc_resync(r, 1, err)) <= 0)
                    return rc;
                continue;
            }
            hlen = (size_t)lf + 2;
        } else {
            hlen = (size_t)hend + 4;
        }
        struct warc_header h;
        parse_warc_header(cur(r), cur(r) + hlen, &h);
        th_doc_init(doc);
        set_source(r, doc, a, start, "warc");
        if (h.content_length < 0 || h.type.len == 0) {
            warnf(r, doc->source.offset, "%s; skipping to the next record",
                  h.content_length < 0 ? "WARC record without a valid "
                  "Content-Length" : "WARC record without WARC-Type");
            if ((rc = warc_resync(r, 1, err)) <= 0)
                return rc;
            continue;
        }
        if (name_is(h.type, "conversion"))
            doc->source.format = th_slice_from_cstr("wet");
        uint64_t clen = (uint64_t)h.content_length;
        if (clen > r->opts.max_record) {
            doc->id = copy_slice(a, h.record_id.ptr, h.record_id.len);
            doc->url = copy_slice(a, h.target_uri.ptr, h.target_uri.len);
            doc->source.record_id = doc->id;
            doc->damage = "too_large";
            r->win_pos += hlen;
            if ((rc = discard(r, clen, err)) < 0)
                return rc;
            r->stats.records++;
            return 1;
        }
        size_t total = hlen + (size_t)clen;
        if ((rc = need(r, total, err)) < 0)
            return rc;
        /* need() may move the window: the header slices must follow */
        parse_warc_header(cur(r), cur(r) + hlen, &h);
        uint64_t gap = rc == 0 ? 0 : gap_within(r, start, start + total);
        if (rc == 0 || gap) {
            /* bytes missing: keep what there is as a damaged record */
            size_t have = unread(r) < total ? unread(r) : total;
            if (gap && gap - start < have)
                have = (size_t)(gap - start);
            if (have < hlen)
                have = hlen;
            doc->id = copy_slice(a, h.record_id.ptr, h.record_id.len);
            doc->url = copy_slice(a, h.target_uri.ptr, h.target_uri.len);
            doc->source.record_id = doc->id;
            doc->text = copy_slice(a, cur(r) + hlen, have - hlen);
            doc->damage = "truncated_record";
            warnf(r, doc->source.offset, "%struncated WARC record", NULL);
            r->stats.records++;
            if (rc == 0)
                r->win_pos = r->win.len;
            else    /* a fresh gzip member / zstd frame starts at the gap */
                r->win_pos = (size_t)(gap - r->win_base);
            return 1;
        }
        /* the block must be followed by the record separator */
        rc = need(r, total + 4, err);
        if (rc < 0)
            return rc;
        parse_warc_header(cur(r), cur(r) + hlen, &h);
        const char *after = cur(r) + total;
        size_t after_n = unread(r) - total;
        bool sep_ok = (after_n >= 4 && memcmp(after, "\r\n\r\n", 4) == 0) ||
                      (after_n >= 2 && memcmp(after, "\n\n", 2) == 0) ||
                      (after_n == 0 && r->eof) ||
                      (after_n >= 2 && memcmp(after, "\r\n", 2) == 0 &&
                       (after_n == 2 || after[2] == 'W'));
        if (!sep_ok) {
            doc->id = copy_slice(a, h.record_id.ptr, h.record_id.len);
            doc->url = copy_slice(a, h.target_uri.ptr, h.target_uri.len);
            doc->source.record_id = doc->id;
            doc->damage = "bad_content_length";
            warnf(r, doc->source.offset, "%sWARC Content-Length does not "
                  "match the record; skipping to the next record", NULL);
            r->stats.records++;
            if ((rc = warc_resync(r, hlen, err)) < 0)
                return rc;
            return 1;
        }
        rc = warc_to_doc(r, &h, cur(r) + hlen, (size_t)clen, doc, a);
        r->win_pos += total;
        if (rc < 0)
            return th_error_set(err, rc, "out of memory");
        if (rc == 1) {
            r->stats.records++;
            return 1;
        }
    }
}

/* ---- JSONL ----------------------------------------------------------- */

static int add_passthrough(struct th_doc *doc, struct th_arena *a,
                           const char *k, size_t klen, const char *v,
                           size_t vlen, size_t *cap)
{
    if (doc->n_passthrough == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct th_passthrough *p = th_arena_alloc(a, nc * sizeof(*p));
        if (!p)
            return TH_ENOMEM;
        if (doc->n_passthrough)
            memcpy(p, doc->passthrough,
                   doc->n_passthrough * sizeof(*p));
        doc->passthrough = p;
        *cap = nc;
    }
    struct th_passthrough *e = &doc->passthrough[doc->n_passthrough++];
    e->key = copy_slice(a, k, klen);
    e->json = copy_slice(a, v, vlen);
    return e->key.ptr && e->json.ptr ? 0 : TH_ENOMEM;
}

static int jsonl_metadata(struct th_doc *doc, struct th_arena *a,
                          const char *p, const char *end)
{
    /* p at '{' of a validated object */
    p = th_json_skip_ws(p + 1, end);
    while (p < end && *p != '}') {
        char *key;
        size_t klen;
        const char *v, *vend;
        if (th_json_decode_string(p, end, a, &key, &klen, &p, NULL) < 0)
            return TH_EFORMAT;
        p = th_json_skip_ws(p, end);
        v = th_json_skip_ws(p + 1, end);
        if (th_json_skip_value(v, end, &vend) < 0)
            return TH_EFORMAT;
        int rc = th_doc_set_meta_json(doc, a, key, v, (size_t)(vend - v));
        if (rc < 0)
            return rc;
        if (*v == '"' && (!strcmp(key, "url") || !strcmp(key, "date"))) {
            char *s;
            size_t slen;
            const char *ignored;
            if (th_json_decode_string(v, end, a, &s, &slen, &ignored,
                                      NULL) == 0) {
                struct th_slice sl = { s, slen };
                if (!strcmp(key, "url") && !doc->url.len)
                    doc->url = sl;
                else if (!strcmp(key, "date"))
                    doc->source.date = sl;
            }
        }
        p = th_json_skip_ws(vend, end);
        if (p < end && *p == ',')
            p = th_json_skip_ws(p + 1, end);
    }
    return 0;
}

/* Parse one JSONL line into doc; TH_EFORMAT when it is not an object. */
static int jsonl_parse(struct th_reader *r, const char *line, size_t n,
                       struct th_doc *doc, struct th_arena *a,
                       bool *bad_utf8)
{
    const char *end = line + n, *p, *stop;
    if (th_json_skip_value(line, end, &stop) < 0)
        return TH_EFORMAT;
    p = th_json_skip_ws(line, end);
    if (*p != '{' || th_json_skip_ws(stop, end) != end)
        return TH_EFORMAT;
    size_t cap_pass = 0;
    bool have_text = false;
    p = th_json_skip_ws(p + 1, end);
    while (p < stop && *p != '}') {
        const char *kstart = p, *v, *vend;
        char *key;
        size_t klen;
        if (th_json_decode_string(p, end, a, &key, &klen, &p, NULL) < 0)
            return TH_EFORMAT;
        const char *kend = p;
        p = th_json_skip_ws(p, end);
        v = th_json_skip_ws(p + 1, end);
        th_json_skip_value(v, end, &vend);
        bool is_text = !strcmp(key, r->opts.text_field);
        bool is_id = !strcmp(key, r->opts.id_field);
        if ((is_text || is_id) && *v == '"') {
            char *s;
            size_t slen;
            const char *ignored;
            bool bad = false;
            int rc = th_json_decode_string(v, end, a, &s, &slen, &ignored,
                                           &bad);
            if (rc < 0)
                return rc;
            struct th_slice sl = { s, slen };
            if (is_text) {
                doc->text = sl;
                have_text = true;
                *bad_utf8 |= bad;
            } else {
                doc->id = sl;
            }
        } else if (is_id && (*v == '-' || (*v >= '0' && *v <= '9'))) {
            doc->id = copy_slice(a, v, (size_t)(vend - v));
        } else if (!strcmp(key, "metadata") && *v == '{') {
            int rc = jsonl_metadata(doc, a, v, vend);
            if (rc < 0)
                return rc;
        } else {
            if (!strcmp(key, "url") && *v == '"') {
                char *s;
                size_t slen;
                const char *ignored;
                if (th_json_decode_string(v, end, a, &s, &slen, &ignored,
                                          NULL) == 0) {
                    doc->url.ptr = s;
                    doc->url.len = slen;
                }
            }
            int rc = add_passthrough(doc, a, kstart + 1,
                                     (size_t)(kend - kstart - 2), v,
                                     (size_t)(vend - v), &cap_pass);
            if (rc < 0)
                return rc;
        }
        p = th_json_skip_ws(vend, end);
        if (p < end && *p == ',')
            p = th_json_skip_ws(p + 1, end);
    }
    if (!have_text)
        return TH_EFORMAT;
    return 0;
}

static int jsonl_next(struct th_reader *r, struct th_doc *doc,
                      struct th_arena *a, struct th_error *err)
{
    for (;;) {
        int rc;
        if ((rc = need(r, 1, err)) <= 0)
            return rc;
        uint64_t start = cur_offset(r);
        long long nl = find(r, 0, "\n", 1, r->opts.max_record + 1, err);
        if (nl < -1)
            return (int)(nl + 1);
        th_doc_init(doc);
        set_source(r, doc, a, start, "jsonl");
        if (nl < 0 && unread(r) > r->opts.max_record) {
            /* oversized line: consume it without keeping it */
            warnf(r, doc->source.offset, "%sJSONL line longer than the "
                  "record limit; skipped", NULL);
            doc->damage = "too_large";
            for (;;) {
                long long e = find(r, 0, "\n", 1, 1u << 20, err);
                if (e < -1)
                    return (int)(e + 1);
                if (e >= 0) {
                    r->win_pos += (size_t)e + 1;
                    break;
                }
                if (unread(r) == 0 && r->eof)
                    break;
                r->win_pos = r->win.len;
                if ((rc = fill(r, err)) < 0)
                    return rc;
                if (rc == 0)
                    break;
            }
            r->stats.records++;
            return 1;
        }
        size_t len = nl < 0 ? unread(r) : (size_t)nl;
        const char *line = cur(r);
        r->win_pos += nl < 0 ? len : len + 1;
        size_t tl = len;
        while (tl && (line[tl - 1] == '\r' || line[tl - 1] == ' ' ||
                      line[tl - 1] == '\t'))
            tl--;
        size_t lead = 0;
        while (lead < tl && (line[lead] == ' ' || line[lead] == '\t'))
            lead++;
        if (lead == tl) {
            r->stats.skipped[TH_SKIP_EMPTY]++;
            continue;
        }
        bool bad_utf8 = false;
        rc = jsonl_parse(r, line, tl, doc, a, &bad_utf8);
        if (rc == TH_ENOMEM)
            return th_error_set(err, rc, "out of memory");
        if (rc < 0) {
            th_doc_init(doc);
            set_source(r, doc, a, start, "jsonl");
            doc->text = copy_slice(a, line, tl);
            doc->damage = "bad_json";
            warnf(r, doc->source.offset, "%snot a JSON object with a text "
                  "field; kept in rejects", NULL);
        } else if (bad_utf8) {
            warnf(r, doc->source.offset, "%sinvalid UTF-8 in the text "
                  "field; invalid bytes replaced by U+FFFD", NULL);
        }
        if (doc->id.len == 0) {
            /* no id in the input: "<file name>/<record index>" */
            const char *path = th_instream_path(r->in);
            const char *base = strrchr(path, '/');
            char *id = th_arena_printf(a, "%s/%llu", base ? base + 1 : path,
                                       (unsigned long long)r->stats.records);
            if (id)
                doc->id = th_slice_from_cstr(id);
        }
        r->stats.records++;
        return 1;
    }
}

/* ---- plain text ------------------------------------------------------ */

static int text_next(struct th_reader *r, struct th_doc *doc,
                     struct th_arena *a, struct th_error *err)
{
    if (r->text_done)
        return 0;
    r->text_done = true;
    int rc;
    while ((rc = fill(r, err)) > 0) {
        if (unread(r) > r->opts.max_record)
            break;
    }
    if (rc < 0)
        return rc;
    th_doc_init(doc);
    set_source(r, doc, a, 0, "text");
    const char *path = th_instream_path(r->in);
    doc->id = copy_slice(a, path, strlen(path));
    if (unread(r) > r->opts.max_record) {
        warnf(r, 0, "%stext file larger than the record limit; skipped",
              NULL);
        doc->damage = "too_large";
        while ((rc = fill(r, err)) > 0)
            r->win_pos = r->win.len;
        if (rc < 0)
            return rc;
        r->stats.records++;
        return 1;
    }
    if (unread(r) == 0) {
        r->stats.skipped[TH_SKIP_EMPTY]++;
        return 0;
    }
    doc->text = copy_slice(a, cur(r), unread(r));
    if (!doc->text.ptr)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    r->win_pos = r->win.len;
    r->stats.records++;
    return 1;
}

/* ---- public ---------------------------------------------------------- */

static enum th_format sniff(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
                     p[i] == '\n'))
        i++;
    if (n - i >= 7 && memcmp(p + i, "WARC/1.", 7) == 0)
        return TH_FORMAT_WARC;
    if (i < n && p[i] == '{')
        return TH_FORMAT_JSONL;
    return TH_FORMAT_TEXT;
}

int th_reader_open(struct th_reader **out, const char *path,
                   const struct th_reader_options *opts,
                   struct th_error *err)
{
    struct th_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    if (opts)
        r->opts = *opts;
    if (!r->opts.text_field)
        r->opts.text_field = "text";
    if (!r->opts.id_field)
        r->opts.id_field = "id";
    if (!r->opts.max_record)
        r->opts.max_record = DEFAULT_MAX_RECORD;
    /* window cap: one record plus slack for chunks and headers */
    th_buf_init(&r->win, r->opts.max_record + (8u << 20));
    int rc = th_instream_open(&r->in, path, r->opts.on_warning,
                              r->opts.warning_ctx, err);
    if (rc < 0) {
        free(r);
        return rc;
    }
    r->format = r->opts.format;
    if (r->format == TH_FORMAT_AUTO) {
        uint8_t head[64];
        size_t n = th_instream_peek(r->in, head, sizeof(head));
        r->format = sniff(head, n);
    }
    *out = r;
    return 0;
}

int th_reader_next(struct th_reader *reader, struct th_doc *doc,
                   struct th_arena *arena, struct th_error *err)
{
    int rc;
    switch (reader->format) {
    case TH_FORMAT_WARC:
        rc = warc_next(reader, doc, arena, err);
        break;
    case TH_FORMAT_JSONL:
        rc = jsonl_next(reader, doc, arena, err);
        break;
    default:
        rc = text_next(reader, doc, arena, err);
        break;
    }
    reader->stats.bytes_in = th_instream_pos(reader->in);
    reader->stats.damaged = th_instream_damaged(reader->in) +
                            reader->parse_damaged;
    return rc;
}

enum th_format th_reader_format(const struct th_reader *reader)
{
    return reader->format;
}

enum th_compression th_reader_compression(const struct th_reader *reader)
{
    return th_instream_compression(reader->in);
}

const struct th_reader_stats *th_reader_stats(const struct th_reader *reader)
{
    return &reader->stats;
}

uint64_t th_reader_size(const struct th_reader *reader)
{
    return th_instream_size(reader->in);
}

void th_reader_free(struct th_reader *reader)
{
    if (!reader)
        return;
    th_instream_free(reader->in);
    th_buf_release(&reader->win);
    free(reader->marks);
    free(reader);
}
