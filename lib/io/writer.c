/*
 * JSONL output: document serialization (schema in docs/schema.md) and the
 * sharded, crash-safe writer.
 *
 * Each shard is written to ".NNNNN.jsonl.zst.tmp", fsync'ed, then renamed
 * to "NNNNN.jsonl.zst" and the directory fsync'ed: a crash leaves at most a
 * temporary file, never a truncated file under a final name. Write-back is
 * started every 8 MiB as the shard grows (sync_file_range, Linux), so that
 * fsync does not stall the run at the end of a shard. Compression is
 * streaming zstd (default level 3), zlib gzip, or none. A new shard starts
 * at a line boundary once shard_bytes of uncompressed JSONL went in, so
 * shard contents depend only on the document sequence (deterministic).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include "thresh/io.h"
#include "../core/banned.h"

/* ---- serialization --------------------------------------------------- */

static int put_str_member(struct th_buf *o, const char *key, const char *s,
                          size_t n, bool *first)
{
    int rc = th_buf_printf(o, "%s\"%s\":\"", *first ? "" : ",", key);
    *first = false;
    if (rc == 0)
        rc = th_buf_append_json_str(o, s, n);
    if (rc == 0)
        rc = th_buf_putc(o, '"');
    return rc;
}

static bool has_meta(const struct th_doc *doc, const char *key)
{
    return th_doc_get_meta(doc, key) != NULL;
}

static const struct th_passthrough *find_passthrough(
    const struct th_doc *doc, const char *key)
{
    for (size_t i = 0; i < doc->n_passthrough; i++)
        if (th_slice_eq_cstr(doc->passthrough[i].key, key))
            return &doc->passthrough[i];
    return NULL;
}

int th_doc_to_jsonl(const struct th_doc *doc, struct th_buf *o)
{
    int rc = th_buf_append(o, "{\"id\":\"", 7);
    if (rc == 0)
        rc = th_buf_append_json_str(o, doc->id.ptr, doc->id.len);
    if (rc == 0)
        rc = th_buf_append(o, "\",\"text\":\"", 10);
    if (rc == 0)
        rc = th_buf_append_json_str(o, doc->text.ptr, doc->text.len);
    if (rc == 0)
        rc = th_buf_putc(o, '"');
    const struct th_passthrough *src = find_passthrough(doc, "source");
    if (rc == 0 && src) {
        rc = th_buf_append(o, ",\"source\":", 10);
        if (rc == 0)
            rc = th_buf_append(o, src->json.ptr, src->json.len);
    } else if (rc == 0) {
        bool not_first = false;
        rc = put_str_member(o, "source", doc->source.format.ptr,
                            doc->source.format.len, &not_first);
    }
    if (rc == 0)
        rc = th_buf_append(o, ",\"metadata\":{", 13);
    bool first = true;
    const struct th_source *s = &doc->source;
    if (rc == 0 && doc->url.len && !has_meta(doc, "url"))
        rc = put_str_member(o, "url", doc->url.ptr, doc->url.len, &first);
    if (rc == 0 && s->date.len && !has_meta(doc, "date"))
        rc = put_str_member(o, "date", s->date.ptr, s->date.len, &first);
    if (rc == 0 && s->record_id.len && !has_meta(doc, "warc_record_id"))
        rc = put_str_member(o, "warc_record_id", s->record_id.ptr,
                            s->record_id.len, &first);
    if (rc == 0 && s->http_status && !has_meta(doc, "http_status"))
        rc = th_buf_printf(o, "%s\"http_status\":%d", first ? "" : ",",
                           s->http_status), first = false;
    if (rc == 0 && s->content_type.len && !has_meta(doc, "content_type"))
        rc = put_str_member(o, "content_type", s->content_type.ptr,
                            s->content_type.len, &first);
    if (rc == 0 && s->charset.len && !has_meta(doc, "charset"))
        rc = put_str_member(o, "charset", s->charset.ptr, s->charset.len,
                            &first);
    /* provenance already in the input's metadata (a re-read output) wins */
    if (rc == 0 && s->input && !has_meta(doc, "input")) {
        rc = put_str_member(o, "input", s->input, strlen(s->input), &first);
        if (rc == 0)
            rc = th_buf_printf(o, ",\"offset\":%llu",
                               (unsigned long long)s->offset);
    }
    for (size_t i = 0; rc == 0 && i < doc->n_meta; i++) {
        const struct th_meta *m = &doc->meta[i];
        if (doc->verdict == TH_DROP && (!strcmp(m->key, "filter_stage") ||
                                        !strcmp(m->key, "filter_reason")))
            continue;   /* this run's verdict replaces an earlier one */
        if (!first)
            rc = th_buf_putc(o, ',');
        first = false;
        if (rc == 0)
            rc = th_buf_putc(o, '"');
        if (rc == 0)
            rc = th_buf_append_json_str(o, m->key, strlen(m->key));
        if (rc == 0)
            rc = th_buf_append(o, "\":", 2);
        if (rc == 0)
            rc = th_buf_append(o, m->json.ptr, m->json.len);
    }
    if (rc == 0 && doc->verdict == TH_DROP) {
        const char *stage = doc->drop_stage ? doc->drop_stage : "unknown";
        const char *reason = doc->drop_reason ? doc->drop_reason : "unknown";
        rc = put_str_member(o, "filter_stage", stage, strlen(stage), &first);
        if (rc == 0)
            rc = put_str_member(o, "filter_reason", reason, strlen(reason),
                                &first);
    }
    if (rc == 0)
        rc = th_buf_putc(o, '}');
    for (size_t i = 0; rc == 0 && i < doc->n_passthrough; i++) {
        const struct th_passthrough *p = &doc->passthrough[i];
        if (th_slice_eq_cstr(p->key, "id") || th_slice_eq_cstr(p->key, "text")
            || th_slice_eq_cstr(p->key, "metadata") ||
            th_slice_eq_cstr(p->key, "source"))
            continue;
        rc = th_buf_append(o, ",\"", 2);
        if (rc == 0)
            rc = th_buf_append(o, p->key.ptr, p->key.len);
        if (rc == 0)
            rc = th_buf_append(o, "\":", 2);
        if (rc == 0)
            rc = th_buf_append(o, p->json.ptr, p->json.len);
    }
    if (rc == 0)
        rc = th_buf_append(o, "}\n", 2);
    return rc;
}

/* ---- sharded writer -------------------------------------------------- */

#define OUT_BUF (1u << 20)

struct th_writer {
    char *dir;                       /* output directory, owned */
    struct th_writer_options opts;   /* with defaults */
    int fd;                          /* current shard, -1 when none */
    uint64_t shard_index;            /* index of the current/next shard */
    uint64_t shard_in;               /* uncompressed bytes in current shard */
    uint64_t total_in;               /* uncompressed bytes written overall */
    uint64_t n_done;                 /* shards completed */
    char tmp_path[4096];             /* current temporary name */
    char final_path[4096];           /* its final name */
    ZSTD_CCtx *zstd;                 /* zstd stream, reused across shards */
    z_stream zs;                     /* gzip stream */
    bool zs_ready;                   /* zs initialized for current shard */
    uint8_t *out;                    /* compressed output buffer */
    size_t out_len;                  /* bytes pending in out (no compression) */
    bool encoded_only;               /* shard holds only encoded blocks */
    uint64_t file_off;               /* bytes written to the shard file */
    uint64_t flush_off;              /* write-back started up to here */
};

/* Write-back of a shard is started every FLUSH_STEP bytes. */
#define FLUSH_STEP ((uint64_t)8 << 20)

static const char *suffix(enum th_compression c)
{
    switch (c) {
    case TH_COMPRESSION_ZSTD: return ".jsonl.zst";
    case TH_COMPRESSION_GZIP: return ".jsonl.gz";
    default: return ".jsonl";
    }
}

static int write_all(struct th_writer *w, const void *data, size_t len,
                     struct th_error *err)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return th_error_set(err, TH_EIO, "cannot write '%s': %s",
                                w->tmp_path, strerror(errno));
        p += n;
        len -= (size_t)n;
        w->file_off += (uint64_t)n;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    /*
     * Start the write-back of what was written so far (asynchronous), so
     * the fsync at shard close waits for the last few MiB only, not for the
     * whole shard while every worker idles. Errors surface at that fsync.
     */
    if (w->file_off - w->flush_off >= FLUSH_STEP) {
        sync_file_range(w->fd, (off_t)w->flush_off,
                        (off_t)(w->file_off - w->flush_off),
                        SYNC_FILE_RANGE_WRITE);
        w->flush_off = w->file_off;
    }
#endif
    return 0;
}

static int shard_open(struct th_writer *w, struct th_error *err)
{
    snprintf(w->final_path, sizeof(w->final_path), "%s/%s%05llu%s", w->dir,
             w->opts.prefix, (unsigned long long)w->shard_index,
             suffix(w->opts.compression));
    snprintf(w->tmp_path, sizeof(w->tmp_path), "%s/.%s%05llu%s.tmp", w->dir,
             w->opts.prefix, (unsigned long long)w->shard_index,
             suffix(w->opts.compression));
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return th_error_set(err, TH_EIO, "cannot create '%s': %s",
                            w->tmp_path, strerror(errno));
    w->shard_in = 0;
    w->out_len = 0;
    w->file_off = w->flush_off = 0;
    if (w->opts.compression == TH_COMPRESSION_ZSTD) {
        ZSTD_CCtx_reset(w->zstd, ZSTD_reset_session_only);
    } else if (w->opts.compression == TH_COMPRESSION_GZIP) {
        memset(&w->zs, 0, sizeof(w->zs));
        if (deflateInit2(&w->zs, w->opts.level, Z_DEFLATED, 31, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return th_error_set(err, TH_ENOMEM, "zlib init failed");
        w->zs_ready = true;
    }
    return 0;
}

/* Compress (or copy) len bytes; finish ends the stream. */
static int shard_put(struct th_writer *w, const char *data, size_t len,
                     bool finish, struct th_error *err)
{
    int rc;
    if (w->opts.compression == TH_COMPRESSION_ZSTD) {
        ZSTD_inBuffer in = { data, len, 0 };
        for (;;) {
            ZSTD_outBuffer out = { w->out, OUT_BUF, 0 };
            size_t r = ZSTD_compressStream2(w->zstd, &out, &in,
                                            finish ? ZSTD_e_end
                                                   : ZSTD_e_continue);
            if (ZSTD_isError(r))
                return th_error_set(err, TH_EIO, "zstd: %s",
                                    ZSTD_getErrorName(r));
            if (out.pos && (rc = write_all(w, w->out, out.pos, err)) < 0)
                return rc;
            if (finish ? r == 0 : in.pos == in.size)
                return 0;
        }
    }
    if (w->opts.compression == TH_COMPRESSION_GZIP) {
        w->zs.next_in = (Bytef *)data;
        w->zs.avail_in = (uInt)len;
        for (;;) {
            w->zs.next_out = w->out;
            w->zs.avail_out = OUT_BUF;
            int zr = deflate(&w->zs, finish ? Z_FINISH : Z_NO_FLUSH);
            size_t n = OUT_BUF - w->zs.avail_out;
            if (n && (rc = write_all(w, w->out, n, err)) < 0)
                return rc;
            if (zr == Z_STREAM_ERROR)
                return th_error_set(err, TH_EIO, "zlib deflate failed");
            if (finish ? zr == Z_STREAM_END
                       : w->zs.avail_in == 0 && w->zs.avail_out != 0)
                return 0;
        }
    }
    /* uncompressed: buffer small lines into whole-buffer writes */
    if (w->out_len + len > OUT_BUF || finish) {
        if (w->out_len && (rc = write_all(w, w->out, w->out_len, err)) < 0)
            return rc;
        w->out_len = 0;
    }
    if (len > OUT_BUF)
        return write_all(w, data, len, err);
    memcpy(w->out + w->out_len, data, len);
    w->out_len += len;
    return 0;
}

static int shard_close(struct th_writer *w, struct th_error *err)
{
    /* a shard of encoded blocks is complete as it is */
    int rc = w->encoded_only ? 0 : shard_put(w, "", 0, true, err);
    w->encoded_only = false;
    if (w->zs_ready) {
        deflateEnd(&w->zs);
        w->zs_ready = false;
    }
    if (rc == 0 && fsync(w->fd) != 0)
        rc = th_error_set(err, TH_EIO, "cannot sync '%s': %s", w->tmp_path,
                          strerror(errno));
    if (close(w->fd) != 0 && rc == 0)
        rc = th_error_set(err, TH_EIO, "cannot close '%s': %s", w->tmp_path,
                          strerror(errno));
    w->fd = -1;
    if (rc == 0 && rename(w->tmp_path, w->final_path) != 0)
        rc = th_error_set(err, TH_EIO, "cannot rename '%s': %s", w->tmp_path,
                          strerror(errno));
    if (rc == 0) {
        int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        w->n_done++;
        w->shard_index++;
    }
    return rc;
}

int th_writer_open(struct th_writer **out, const char *dir,
                   const struct th_writer_options *opts,
                   struct th_error *err)
{
    struct th_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    w->fd = -1;
    if (opts)
        w->opts = *opts;
    else
        w->opts.compression = TH_COMPRESSION_ZSTD;
    if (!w->opts.shard_bytes)
        w->opts.shard_bytes = 1ull << 30;
    if (!w->opts.prefix)
        w->opts.prefix = "";
    if (!w->opts.level)
        w->opts.level = w->opts.compression == TH_COMPRESSION_GZIP ? 6 : 3;
    w->dir = strdup(dir);
    w->out = malloc(OUT_BUF);
    if (!w->dir || !w->out)
        goto out_nomem;
    if (w->opts.compression == TH_COMPRESSION_ZSTD) {
        w->zstd = ZSTD_createCCtx();
        if (!w->zstd)
            goto out_nomem;
        ZSTD_CCtx_setParameter(w->zstd, ZSTD_c_compressionLevel,
                               w->opts.level);
        ZSTD_CCtx_setParameter(w->zstd, ZSTD_c_checksumFlag, 1);
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        th_error_set(err, TH_EIO, "cannot create '%s': %s", dir,
                     strerror(errno));
        th_writer_abort(w);
        return TH_EIO;
    }
    *out = w;
    return 0;
out_nomem:
    th_writer_abort(w);
    return th_error_set(err, TH_ENOMEM, "out of memory");
}

int th_writer_write(struct th_writer *w, const char *data, size_t len,
                    struct th_error *err)
{
    int rc;
    if (len == 0)
        return 0;
    if (w->fd >= 0 && w->shard_in && w->shard_in + len > w->opts.shard_bytes &&
        (rc = shard_close(w, err)) < 0)
        return rc;
    if (w->fd < 0 && (rc = shard_open(w, err)) < 0)
        return rc;
    if ((rc = shard_put(w, data, len, false, err)) < 0)
        return rc;
    w->shard_in += len;
    w->total_in += len;
    return 0;
}

int th_writer_write_encoded(struct th_writer *w, const char *data,
                            size_t len, uint64_t raw_len,
                            struct th_error *err)
{
    int rc;
    if (raw_len == 0)
        return 0;
    if (w->fd >= 0 && w->shard_in &&
        w->shard_in + raw_len > w->opts.shard_bytes &&
        (rc = shard_close(w, err)) < 0)
        return rc;
    if (w->fd < 0 && (rc = shard_open(w, err)) < 0)
        return rc;
    /* the block is complete: flush pending bytes, then write it as is */
    if (w->out_len) {
        if ((rc = write_all(w, w->out, w->out_len, err)) < 0)
            return rc;
        w->out_len = 0;
    }
    if ((rc = write_all(w, data, len, err)) < 0)
        return rc;
    w->encoded_only = true;
    w->shard_in += raw_len;
    w->total_in += raw_len;
    return 0;
}

struct th_encoder {
    enum th_compression compression;        /* output format */
    int level;                              /* compression level */
    ZSTD_CCtx *zstd;                        /* zstd context, reused */
    struct libdeflate_compressor *deflate;  /* gzip compressor, reused */
};

int th_encoder_new(struct th_encoder **out, enum th_compression compression,
                   int level)
{
    struct th_encoder *e = calloc(1, sizeof(*e));
    if (!e)
        return TH_ENOMEM;
    e->compression = compression;
    e->level = level ? level : compression == TH_COMPRESSION_GZIP ? 6 : 3;
    if (compression == TH_COMPRESSION_ZSTD) {
        e->zstd = ZSTD_createCCtx();
        if (!e->zstd)
            goto out_nomem;
        ZSTD_CCtx_setParameter(e->zstd, ZSTD_c_compressionLevel, e->level);
        ZSTD_CCtx_setParameter(e->zstd, ZSTD_c_checksumFlag, 1);
    } else if (compression == TH_COMPRESSION_GZIP) {
        e->deflate = libdeflate_alloc_compressor(e->level);
        if (!e->deflate)
            goto out_nomem;
    }
    *out = e;
    return 0;
out_nomem:
    th_encoder_free(e);
    return TH_ENOMEM;
}

int th_encoder_encode(struct th_encoder *e, const char *data, size_t len,
                      struct th_buf *out)
{
    int rc;
    if (len == 0)
        return 0;
    if (e->compression == TH_COMPRESSION_ZSTD) {
        size_t bound = ZSTD_compressBound(len);
        if ((rc = th_buf_reserve(out, bound)) < 0)
            return rc;
        size_t n = ZSTD_compress2(e->zstd, out->ptr + out->len, bound, data,
                                  len);
        if (ZSTD_isError(n))
            return TH_EIO;
        out->len += n;
        return 0;
    }
    if (e->compression == TH_COMPRESSION_GZIP) {
        size_t bound = libdeflate_gzip_compress_bound(e->deflate, len);
        if ((rc = th_buf_reserve(out, bound)) < 0)
            return rc;
        size_t n = libdeflate_gzip_compress(e->deflate, data, len,
                                            out->ptr + out->len, bound);
        if (n == 0)
            return TH_EIO;
        out->len += n;
        return 0;
    }
    return th_buf_append(out, data, len);
}

void th_encoder_free(struct th_encoder *e)
{
    if (!e)
        return;
    ZSTD_freeCCtx(e->zstd);
    if (e->deflate)
        libdeflate_free_compressor(e->deflate);
    free(e);
}

int th_writer_close(struct th_writer *w, struct th_error *err)
{
    int rc = 0;
    if (w->fd >= 0)
        rc = shard_close(w, err);
    if (rc < 0) {
        th_writer_abort(w);
        return rc;
    }
    ZSTD_freeCCtx(w->zstd);
    free(w->out);
    free(w->dir);
    free(w);
    return 0;
}

void th_writer_abort(struct th_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        close(w->fd);
        unlink(w->tmp_path);
    }
    if (w->zs_ready)
        deflateEnd(&w->zs);
    ZSTD_freeCCtx(w->zstd);
    free(w->out);
    free(w->dir);
    free(w);
}

uint64_t th_writer_shards(const struct th_writer *w)
{
    return w->n_done;
}

uint64_t th_writer_bytes(const struct th_writer *w)
{
    return w->total_in;
}
