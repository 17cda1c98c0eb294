/*
 * Decompressing input stream for one file.
 *
 * Approach: regular files are memory-mapped; standard input and pipes are
 * read in 1 MiB pieces. Compression is detected from magic bytes.
 *   - gzip, mapped: each member is inflated whole with libdeflate (measured
 *     about twice as fast as zlib on Common Crawl .warc.gz, which has one
 *     member per record). A member whose output outgrows 64 MiB (a
 *     whole-file .gz) or that libdeflate rejects is decoded with zlib's
 *     streaming inflate instead, which also salvages the bytes before a
 *     point of damage.
 *   - gzip, not mapped: zlib streaming throughout.
 *   - zstd: ZSTD_decompressStream (streaming; frames tracked for offsets).
 * Damage (corrupt or truncated member/frame, garbage between members) is
 * reported through the warning callback with the file and byte offset and
 * counted; the stream resynchronizes at the next member/frame magic and
 * flags the next chunk with after_gap so the record parser drops any
 * partial record.
 *
 * Rejected: one zlib path for everything (simpler, but half the speed on
 * the common case); reading whole files into memory (unbounded memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "instream.h"
#include "../core/banned.h"

#define IN_PIECE (1u << 20)          /* read size for pipes */
#define OUT_CHUNK (1u << 20)         /* streaming output chunk */
#define MEMBER_MAX (64u << 20)       /* largest member inflated whole */

struct th_instream {
    char *path;                  /* as given, owned */
    int fd;                      /* open descriptor, -1 when none */
    const uint8_t *map;          /* whole file when mapped, else NULL */
    uint64_t size;               /* file size, 0 when unknown */
    uint8_t *ibuf;               /* pipe input buffer */
    size_t ibuf_len;             /* bytes in ibuf */
    size_t ibuf_pos;             /* consumed bytes of ibuf */
    uint64_t ibuf_base;          /* input offset of ibuf[0] */
    bool in_eof;                 /* no more input to read */
    uint64_t pos;                /* input offset consumed (mapped mode) */
    uint64_t released;           /* mapped bytes before this were dropped */
    enum th_compression compression; /* detected */
    uint8_t *out;                /* decoded output buffer */
    size_t out_cap;              /* its size */
    struct libdeflate_decompressor *deflate; /* whole-member gunzip */
    z_stream zs;                 /* streaming gunzip */
    bool zs_ready;               /* zs initialized */
    bool zs_member;              /* inside a member decoded by zlib */
    bool zlib_only;              /* mapped file fell back to zlib for good */
    ZSTD_DCtx *zstd;             /* streaming zstd */
    bool zstd_in_frame;          /* inside a zstd frame */
    uint64_t member_offset;      /* input offset of the current member */
    bool gap;                    /* bytes were lost before the next chunk */
    uint64_t damaged;            /* damaged regions found */
    th_warning_fn on_warning;    /* warning callback, may be NULL */
    void *warning_ctx;           /* its context */
    struct th_chunk pending;     /* chunk decoded by peek, not yet returned */
    bool has_pending;            /* pending is valid */
    uint8_t *pending_copy;       /* owned copy of pending data */
    bool started;                /* first chunk decoded */
};

static void warn(struct th_instream *s, uint64_t offset, const char *what)
{
    char msg[512];
    s->damaged++;
    if (!s->on_warning)
        return;
    snprintf(msg, sizeof(msg), "%s: offset %llu: %s", s->path,
             (unsigned long long)offset, what);
    s->on_warning(msg, s->warning_ctx);
}

/* Unconsumed input; refills the pipe buffer when it is empty. */
static int avail(struct th_instream *s, const uint8_t **p, size_t *n,
                 struct th_error *err)
{
    if (s->map) {
        *p = s->map + s->pos;
        *n = (size_t)(s->size - s->pos);
        return 0;
    }
    if (s->ibuf_pos == s->ibuf_len && !s->in_eof) {
        s->ibuf_base += s->ibuf_len;
        s->ibuf_len = 0;
        s->ibuf_pos = 0;
        while (s->ibuf_len < IN_PIECE) {
            ssize_t r = read(s->fd, s->ibuf + s->ibuf_len,
                             IN_PIECE - s->ibuf_len);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return th_error_set(err, TH_EIO, "cannot read '%s': %s",
                                    s->path, strerror(errno));
            if (r == 0) {
                s->in_eof = true;
                break;
            }
            s->ibuf_len += (size_t)r;
        }
    }
    *p = s->ibuf + s->ibuf_pos;
    *n = s->ibuf_len - s->ibuf_pos;
    return 0;
}

/*
 * Mapped input pages already read are dropped every RELEASE_STEP bytes,
 * so the mapping never holds more than that much of a big input in RSS
 * (re-reading a dropped page, e.g. on resync, faults it in again from the
 * file: MAP_PRIVATE and never written).
 */
#define RELEASE_STEP (64u << 20)

static void release_consumed(struct th_instream *s)
{
    if (!s->map || s->pos - s->released < RELEASE_STEP)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uint64_t upto = (s->pos - RELEASE_STEP / 4) / page * page;
    if (upto > s->released) {
        madvise((void *)(s->map + s->released), (size_t)(upto - s->released),
                MADV_DONTNEED);
        s->released = upto;
    }
}

static void consume(struct th_instream *s, size_t n)
{
    if (s->map) {
        s->pos += n;
        release_consumed(s);
    } else {
        s->ibuf_pos += n;
    }
}

uint64_t th_instream_pos(const struct th_instream *s)
{
    return s->map ? s->pos : s->ibuf_base + s->ibuf_pos;
}

/*
 * Skip input until magic (len mlen) starts; the current position is first
 * skipped by one byte. Returns 1 when found, 0 at end of input.
 */
static int resync(struct th_instream *s, const uint8_t *magic, size_t mlen,
                  struct th_error *err)
{
    bool first = true;
    for (;;) {
        const uint8_t *p;
        size_t n;
        int rc = avail(s, &p, &n, err);
        if (rc < 0)
            return rc;
        if (n == 0)
            return 0;
        size_t i = first ? 1 : 0;
        first = false;
        for (; i + mlen <= n; i++) {
            if (p[i] == magic[0] && memcmp(p + i, magic, mlen) == 0) {
                consume(s, i);
                return 1;
            }
        }
        if (s->map || s->in_eof) {
            consume(s, n);
            return 0;
        }
        /* keep the last mlen-1 bytes: move them to the front */
        size_t keep = n < mlen - 1 ? n : mlen - 1;
        memmove(s->ibuf, p + n - keep, keep);
        s->ibuf_base += s->ibuf_pos + (n - keep);
        s->ibuf_len = keep;
        s->ibuf_pos = 0;
        ssize_t r;
        do {
            r = read(s->fd, s->ibuf + keep, IN_PIECE - keep);
        } while (r < 0 && errno == EINTR);
        if (r < 0)
            return th_error_set(err, TH_EIO, "cannot read '%s': %s",
                                s->path, strerror(errno));
        if (r == 0) {
            s->in_eof = true;
            s->ibuf_pos = s->ibuf_len;
            s->ibuf_base += 0;
            return 0;
        }
        s->ibuf_len += (size_t)r;
    }
}

static const uint8_t gzip_magic[3] = { 0x1f, 0x8b, 0x08 };
static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

static int grow_out(struct th_instream *s, size_t cap)
{
    uint8_t *p = realloc(s->out, cap);
    if (!p)
        return TH_ENOMEM;
    s->out = p;
    s->out_cap = cap;
    return 0;
}

/* zlib streaming: continue (or start) the member at the current input. */
static int next_zlib(struct th_instream *s, struct th_chunk *c,
                     struct th_error *err)
{
    int rc;
    if (!s->zs_ready) {
        memset(&s->zs, 0, sizeof(s->zs));
        if (inflateInit2(&s->zs, 16 + MAX_WBITS) != Z_OK)
            return th_error_set(err, TH_ENOMEM, "zlib init failed");
        s->zs_ready = true;
    }
    if (s->out_cap < OUT_CHUNK && (rc = grow_out(s, OUT_CHUNK)) < 0)
        return th_error_set(err, rc, "out of memory");
    for (;;) {
        const uint8_t *p;
        size_t n;
        if ((rc = avail(s, &p, &n, err)) < 0)
            return rc;
        if (!s->zs_member) {
            /* between members: expect a magic, or the end */
            if (n == 0)
                return 0;
            if (n < 3 || memcmp(p, gzip_magic, 3) != 0) {
                uint64_t at = th_instream_pos(s);
                warn(s, at, "bytes that are not a gzip member; skipping to "
                     "the next member");
                s->gap = true;
                if ((rc = resync(s, gzip_magic, 3, err)) <= 0)
                    return rc;
                continue;
            }
            inflateReset(&s->zs);
            s->zs_member = true;
            s->member_offset = th_instream_pos(s);
        }
        if (n == 0) {
            warn(s, s->member_offset, "truncated gzip member");
            s->zs_member = false;
            return 0;
        }
        s->zs.next_in = (Bytef *)p;
        s->zs.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
        s->zs.next_out = s->out;
        s->zs.avail_out = (uInt)OUT_CHUNK;
        int zr = inflate(&s->zs, Z_NO_FLUSH);
        size_t used = n > UINT32_MAX ? UINT32_MAX - s->zs.avail_in
                                     : n - s->zs.avail_in;
        consume(s, used);
        size_t produced = OUT_CHUNK - s->zs.avail_out;
        c->data = s->out;
        c->len = produced;
        c->member_offset = s->member_offset;
        c->after_gap = s->gap;
        if (zr == Z_STREAM_END) {
            s->zs_member = false;
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            warn(s, s->member_offset, "corrupt gzip member; skipping to the "
                 "next member");
            s->zs_member = false;
            s->gap = true;
            /* resync from just after the member start */
            if (!s->map) {
                if ((rc = resync(s, gzip_magic, 3, err)) < 0)
                    return rc;
            } else {
                s->pos = s->member_offset;
                if ((rc = resync(s, gzip_magic, 3, err)) < 0)
                    return rc;
            }
            if (produced) {
                c->after_gap = false;
                return 1;
            }
            continue;
        }
        if (produced) {
            s->gap = false;
            return 1;
        }
        if (zr == Z_BUF_ERROR && used == 0 && s->in_eof) {
            warn(s, s->member_offset, "truncated gzip member");
            s->zs_member = false;
            return 0;
        }
        if (s->map && s->pos == s->size && s->zs_member) {
            warn(s, s->member_offset, "truncated gzip member");
            s->zs_member = false;
            return 0;
        }
    }
}

/* libdeflate: one whole member per chunk (mapped files only). */
static int next_gzip_mapped(struct th_instream *s, struct th_chunk *c,
                            struct th_error *err)
{
    int rc;
    if (s->zlib_only || s->zs_member)
        return next_zlib(s, c, err);
    for (;;) {
        if (s->pos >= s->size)
            return 0;
        const uint8_t *p = s->map + s->pos;
        size_t n = (size_t)(s->size - s->pos);
        if (n < 3 || memcmp(p, gzip_magic, 3) != 0) {
            warn(s, s->pos, "bytes that are not a gzip member; skipping to "
                 "the next member");
            s->gap = true;
            if ((rc = resync(s, gzip_magic, 3, err)) <= 0)
                return rc;
            continue;
        }
        if (s->out_cap < OUT_CHUNK && (rc = grow_out(s, OUT_CHUNK)) < 0)
            return th_error_set(err, rc, "out of memory");
        for (;;) {
            size_t in_used = 0, out_used = 0;
            enum libdeflate_result r = libdeflate_gzip_decompress_ex(
                s->deflate, p, n, s->out, s->out_cap, &in_used, &out_used);
            if (r == LIBDEFLATE_SUCCESS) {
                c->data = s->out;
                c->len = out_used;
                c->member_offset = s->pos;
                c->after_gap = s->gap;
                s->gap = false;
                s->pos += in_used;
                release_consumed(s);
                if (out_used == 0)
                    break;
                return 1;
            }
            if (r == LIBDEFLATE_INSUFFICIENT_SPACE &&
                s->out_cap < MEMBER_MAX) {
                if ((rc = grow_out(s, s->out_cap * 2)) < 0)
                    return th_error_set(err, rc, "out of memory");
                continue;
            }
            if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
                s->zlib_only = true;   /* a whole-file member: stream it */
            /* damaged (or huge): zlib streams it, salvaging what it can */
            return next_zlib(s, c, err);
        }
    }
}

static int next_zstd(struct th_instream *s, struct th_chunk *c,
                     struct th_error *err)
{
    int rc;
    if (s->out_cap < OUT_CHUNK && (rc = grow_out(s, OUT_CHUNK)) < 0)
        return th_error_set(err, rc, "out of memory");
    for (;;) {
        const uint8_t *p;
        size_t n;
        if ((rc = avail(s, &p, &n, err)) < 0)
            return rc;
        if (n == 0) {
            if (s->zstd_in_frame) {
                warn(s, s->member_offset, "truncated zstd frame");
                s->zstd_in_frame = false;
            }
            return 0;
        }
        if (!s->zstd_in_frame) {
            s->member_offset = th_instream_pos(s);
            s->zstd_in_frame = true;
        }
        ZSTD_inBuffer in = { p, n, 0 };
        ZSTD_outBuffer out = { s->out, OUT_CHUNK, 0 };
        size_t r = ZSTD_decompressStream(s->zstd, &out, &in);
        consume(s, in.pos);
        c->data = s->out;
        c->len = out.pos;
        c->member_offset = s->member_offset;
        c->after_gap = s->gap;
        if (ZSTD_isError(r)) {
            char what[256];
            snprintf(what, sizeof(what), "corrupt zstd frame (%s); skipping "
                     "to the next frame", ZSTD_getErrorName(r));
            warn(s, s->member_offset, what);
            ZSTD_DCtx_reset(s->zstd, ZSTD_reset_session_only);
            s->zstd_in_frame = false;
            s->gap = true;
            if (s->map)
                s->pos = s->member_offset;
            if ((rc = resync(s, zstd_magic, 4, err)) < 0)
                return rc;
            continue;   /* output of a failed call is not trusted */
        }
        if (r == 0)
            s->zstd_in_frame = false;
        if (out.pos) {
            s->gap = false;
            return 1;
        }
        if (in.pos == 0 && r != 0 && (s->map || s->in_eof)) {
            warn(s, s->member_offset, "truncated zstd frame");
            s->zstd_in_frame = false;
            return 0;
        }
    }
}

static int next_raw(struct th_instream *s, struct th_chunk *c,
                    struct th_error *err)
{
    const uint8_t *p;
    size_t n;
    int rc = avail(s, &p, &n, err);
    if (rc < 0)
        return rc;
    if (n == 0)
        return 0;
    if (n > (4u << 20))
        n = 4u << 20;
    c->data = p;
    c->len = n;
    c->member_offset = th_instream_pos(s);
    c->after_gap = false;
    consume(s, n);
    return 1;
}

static int decode_next(struct th_instream *s, struct th_chunk *c,
                       struct th_error *err)
{
    switch (s->compression) {
    case TH_COMPRESSION_GZIP:
        return s->map ? next_gzip_mapped(s, c, err) : next_zlib(s, c, err);
    case TH_COMPRESSION_ZSTD:
        return next_zstd(s, c, err);
    default:
        return next_raw(s, c, err);
    }
}

int th_instream_open(struct th_instream **out, const char *path,
                     th_warning_fn on_warning, void *warning_ctx,
                     struct th_error *err)
{
    int rc;
    struct th_instream *s = calloc(1, sizeof(*s));
    if (!s)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    s->fd = -1;
    s->on_warning = on_warning;
    s->warning_ctx = warning_ctx;
    s->path = strdup(path);
    if (!s->path) {
        rc = th_error_set(err, TH_ENOMEM, "out of memory");
        goto out_free;
    }
    if (strcmp(path, "-") == 0) {
        s->fd = dup(0);
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (s->fd < 0) {
        rc = th_error_set(err, TH_EIO, "cannot open '%s': %s", path,
                          strerror(errno));
        goto out_free;
    }
    struct stat st;
    if (fstat(s->fd, &st) != 0) {
        rc = th_error_set(err, TH_EIO, "cannot stat '%s': %s", path,
                          strerror(errno));
        goto out_free;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = th_error_set(err, TH_EIO, "'%s' is a directory", path);
        goto out_free;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        s->size = (uint64_t)st.st_size;
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
                       s->fd, 0);
        if (m != MAP_FAILED) {
            s->map = m;
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
        }
    }
    if (!s->map) {
        s->ibuf = malloc(IN_PIECE);
        if (!s->ibuf) {
            rc = th_error_set(err, TH_ENOMEM, "out of memory");
            goto out_free;
        }
    }
    const uint8_t *p;
    size_t n;
    if ((rc = avail(s, &p, &n, err)) < 0)
        goto out_free;
    if (n >= 3 && memcmp(p, gzip_magic, 3) == 0)
        s->compression = TH_COMPRESSION_GZIP;
    else if (n >= 4 && memcmp(p, zstd_magic, 4) == 0)
        s->compression = TH_COMPRESSION_ZSTD;
    if (s->compression == TH_COMPRESSION_GZIP) {
        s->deflate = libdeflate_alloc_decompressor();
        if (!s->deflate) {
            rc = th_error_set(err, TH_ENOMEM, "out of memory");
            goto out_free;
        }
    } else if (s->compression == TH_COMPRESSION_ZSTD) {
        s->zstd = ZSTD_createDCtx();
        if (!s->zstd) {
            rc = th_error_set(err, TH_ENOMEM, "out of memory");
            goto out_free;
        }
    }
    *out = s;
    return 0;
out_free:
    th_instream_free(s);
    return rc;
}

size_t th_instream_peek(struct th_instream *s, uint8_t *out, size_t cap)
{
    if (!s->has_pending && !s->started) {
        struct th_error err;
        struct th_chunk c;
        s->started = true;
        if (decode_next(s, &c, &err) == 1) {
            s->pending_copy = malloc(c.len ? c.len : 1);
            if (!s->pending_copy)
                return 0;
            memcpy(s->pending_copy, c.data, c.len);
            s->pending = c;
            s->pending.data = s->pending_copy;
            s->has_pending = true;
        }
    }
    if (!s->has_pending)
        return 0;
    size_t n = s->pending.len < cap ? s->pending.len : cap;
    memcpy(out, s->pending.data, n);
    return n;
}

int th_instream_next(struct th_instream *s, struct th_chunk *chunk,
                     struct th_error *err)
{
    s->started = true;
    if (s->has_pending) {
        *chunk = s->pending;
        s->has_pending = false;
        return 1;
    }
    free(s->pending_copy);
    s->pending_copy = NULL;
    return decode_next(s, chunk, err);
}

int th_instream_next_into(struct th_instream *s, struct th_buf *dst,
                          struct th_chunk *chunk, struct th_error *err)
{
    bool direct = s->map && s->compression == TH_COMPRESSION_GZIP &&
                  !s->zlib_only && !s->zs_member && !s->has_pending &&
                  s->started;
    while (direct && s->pos < s->size) {
        const uint8_t *p = s->map + s->pos;
        size_t n = (size_t)(s->size - s->pos);
        if (n < 3 || memcmp(p, gzip_magic, 3) != 0)
            break;   /* garbage: the general path reports and resyncs */
        size_t want = dst->cap > dst->len + 1 ? dst->cap - dst->len - 1 : 0;
        if (want < OUT_CHUNK)
            want = OUT_CHUNK;
        for (;;) {
            if (th_buf_reserve(dst, want) < 0) {
                direct = false;   /* over the window cap: stream it */
                break;
            }
            size_t in_used = 0, out_used = 0;
            enum libdeflate_result r = libdeflate_gzip_decompress_ex(
                s->deflate, p, n, dst->ptr + dst->len, want, &in_used,
                &out_used);
            if (r == LIBDEFLATE_SUCCESS) {
                chunk->data = (const uint8_t *)dst->ptr + dst->len;
                chunk->len = out_used;
                chunk->member_offset = s->pos;
                chunk->after_gap = s->gap;
                s->gap = false;
                s->pos += in_used;
                release_consumed(s);
                dst->len += out_used;
                dst->ptr[dst->len] = '\0';
                if (out_used == 0)
                    break;    /* empty member: next one */
                return 1;
            }
            if (r != LIBDEFLATE_INSUFFICIENT_SPACE || want >= MEMBER_MAX) {
                direct = false;
                break;
            }
            want *= 2;
        }
        if (!direct)
            break;
    }
    int rc = th_instream_next(s, chunk, err);
    if (rc <= 0)
        return rc;
    int arc = th_buf_append(dst, chunk->data, chunk->len);
    if (arc < 0)
        return th_error_set(err, arc, "%s: record buffer limit reached",
                            s->path);
    return 1;
}

enum th_compression th_instream_compression(const struct th_instream *s)
{
    return s->compression;
}

uint64_t th_instream_size(const struct th_instream *s)
{
    return s->size;
}

uint64_t th_instream_damaged(const struct th_instream *s)
{
    return s->damaged;
}

const char *th_instream_path(const struct th_instream *s)
{
    return s->path;
}

void th_instream_free(struct th_instream *s)
{
    if (!s)
        return;
    if (s->map)
        munmap((void *)s->map, (size_t)s->size);
    if (s->fd >= 0)
        close(s->fd);
    if (s->zs_ready)
        inflateEnd(&s->zs);
    if (s->deflate)
        libdeflate_free_decompressor(s->deflate);
    ZSTD_freeDCtx(s->zstd);
    free(s->ibuf);
    free(s->out);
    free(s->pending_copy);
    free(s->path);
    free(s);
}
