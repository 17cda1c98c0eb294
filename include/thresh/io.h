/*
 * thresh I/O: streaming readers for WARC/WET, JSONL and plain text (raw,
 * gzip, zstd; format detected from content), and the sharded JSONL writer.
 *
 * Ownership: documents returned by th_reader_next() point into the arena
 * passed to it (copied there), so they outlive the reader's internal
 * buffers. Thread-safety: a reader or writer is used by one thread at a time.
 */
#ifndef THRESH_IO_H
#define THRESH_IO_H

#include "thresh/doc.h"

/* Input formats (content-detected; TH_FORMAT_AUTO asks for detection). */
enum th_format {
    TH_FORMAT_AUTO = 0,
    TH_FORMAT_WARC,      /* WARC 1.0/1.1: response and conversion records */
    TH_FORMAT_JSONL,     /* one JSON object per line */
    TH_FORMAT_TEXT,      /* the whole file is one document */
};

/* Compression of a byte stream. */
enum th_compression {
    TH_COMPRESSION_NONE = 0,
    TH_COMPRESSION_GZIP,
    TH_COMPRESSION_ZSTD,
};

/* Called for every damaged or skipped region (message names file, offset). */
typedef void (*th_warning_fn)(const char *msg, void *ctx);

struct th_reader_options {
    enum th_format format;         /* TH_FORMAT_AUTO to detect */
    const char *text_field;        /* JSONL text field, default "text" */
    const char *id_field;          /* JSONL id field, default "id" */
    size_t max_record;             /* largest record/line kept, default 64 MiB */
    th_warning_fn on_warning;      /* may be NULL */
    void *warning_ctx;             /* passed to on_warning */
};

/* Why records were skipped without becoming documents (counted). */
enum th_skip_reason {
    TH_SKIP_NOT_RESPONSE = 0,      /* warcinfo, request, metadata, ... records */
    TH_SKIP_HTTP_STATUS,           /* HTTP status other than 200 */
    TH_SKIP_CONTENT_TYPE,          /* not HTML or text */
    TH_SKIP_EMPTY,                 /* blank JSONL line or empty text file */
    TH_SKIP_N_REASONS,
};

/* Static name of a skip reason ("http_status", ...). */
const char *th_skip_reason_str(enum th_skip_reason reason);

/* Counters a reader keeps (all cumulative). */
struct th_reader_stats {
    uint64_t records;               /* documents returned, damaged ones included */
    uint64_t damaged;               /* damaged records or regions found */
    uint64_t bytes_in;              /* input bytes consumed (compressed) */
    uint64_t bytes_decoded;         /* bytes after decompression */
    uint64_t skipped[TH_SKIP_N_REASONS]; /* records skipped, by reason */
};

struct th_reader;

/*
 * Open path ("-" for standard input) for reading. Compression and format
 * are detected from the first bytes. Returns TH_EIO when the file cannot be
 * opened, with err naming it.
 */
int th_reader_open(struct th_reader **out, const char *path,
                   const struct th_reader_options *opts,
                   struct th_error *err);

/*
 * Next document into *doc, its bytes copied into arena. Returns 1 with a
 * document, 0 at the end of input, or < 0 on a failure that ends the
 * stream (I/O error, out of memory). A damaged record that could still be
 * delimited comes back as a document with doc->damage set to a reason
 * ("truncated_record", "bad_warc_header", "too_large", ...): the caller
 * routes it to the rejects output. Damage that cannot be delimited is
 * reported through on_warning and counted; the reader resynchronizes at the
 * next record.
 */
int th_reader_next(struct th_reader *reader, struct th_doc *doc,
                   struct th_arena *arena, struct th_error *err);

/* The detected format and compression (after open). */
enum th_format th_reader_format(const struct th_reader *reader);
enum th_compression th_reader_compression(const struct th_reader *reader);

/* Counters so far. */
const struct th_reader_stats *th_reader_stats(const struct th_reader *reader);

/* Total size of the input in bytes, 0 when unknown (pipes). */
uint64_t th_reader_size(const struct th_reader *reader);

void th_reader_free(struct th_reader *reader);

/*
 * JSONL serialization of one document (schema in docs/schema.md): appends
 * one line, newline included, to out. With rejected, drop_stage and
 * drop_reason go into metadata as filter_stage / filter_reason.
 */
int th_doc_to_jsonl(const struct th_doc *doc, struct th_buf *out);

/*
 * Sharded writer: files DIR/NNNNN.jsonl[.zst|.gz], each written under a
 * temporary name and renamed when complete, a new shard started once
 * shard_bytes of uncompressed JSONL went into the current one.
 */
struct th_writer_options {
    enum th_compression compression; /* default TH_COMPRESSION_ZSTD */
    int level;                       /* compression level, 0 = default */
    uint64_t shard_bytes;            /* uncompressed bytes per shard, 0 = 1 GiB */
    const char *prefix;              /* file name prefix, default "" */
};

struct th_writer;

int th_writer_open(struct th_writer **out, const char *dir,
                   const struct th_writer_options *opts,
                   struct th_error *err);

/* Append serialized JSONL lines (whole lines only). */
int th_writer_write(struct th_writer *writer, const char *data, size_t len,
                    struct th_error *err);

/*
 * Parallel encoding: a worker compresses a run of whole JSONL lines into a
 * self-contained zstd frame / gzip member (or copies it when uncompressed)
 * with its own encoder; the writer then appends encoded blocks in order.
 * Concatenated frames/members are a valid .zst/.gz file.
 */
struct th_encoder;

int th_encoder_new(struct th_encoder **out, enum th_compression compression,
                   int level);

/* Append the encoding of data (whole lines) to out. */
int th_encoder_encode(struct th_encoder *enc, const char *data, size_t len,
                      struct th_buf *out);

void th_encoder_free(struct th_encoder *enc);

/*
 * Append an encoded block (made by an encoder with the writer's options)
 * that holds raw_len bytes of JSONL; a new shard starts before it when the
 * current one would pass shard_bytes.
 */
int th_writer_write_encoded(struct th_writer *writer, const char *data,
                            size_t len, uint64_t raw_len,
                            struct th_error *err);

/* Finish the current shard and rename it into place; then free. */
int th_writer_close(struct th_writer *writer, struct th_error *err);

/* Free without finishing: temporary files are removed. NULL ok. */
void th_writer_abort(struct th_writer *writer);

/* Shards completed so far and uncompressed bytes written. */
uint64_t th_writer_shards(const struct th_writer *writer);
uint64_t th_writer_bytes(const struct th_writer *writer);

#endif
