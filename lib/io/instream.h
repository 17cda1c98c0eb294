/*
 * Internal: a decompressing byte source over one input file. Yields chunks
 * of decoded bytes; each chunk carries the input offset of the gzip member
 * or zstd frame it came from, and a flag telling that bytes were lost
 * before it (a damaged member was skipped and the stream resynchronized).
 */
#ifndef THRESH_INSTREAM_H
#define THRESH_INSTREAM_H

#include "thresh/io.h"

struct th_chunk {
    const uint8_t *data;     /* decoded bytes, valid until the next call */
    size_t len;              /* number of bytes */
    uint64_t member_offset;  /* input offset of the member/frame (or of data) */
    bool after_gap;          /* bytes were lost just before this chunk */
};

struct th_instream;

int th_instream_open(struct th_instream **out, const char *path,
                     th_warning_fn on_warning, void *warning_ctx,
                     struct th_error *err);

/* Peek at up to cap decoded bytes from the start (for format sniffing). */
size_t th_instream_peek(struct th_instream *s, uint8_t *out, size_t cap);

/* 1 with a chunk, 0 at the end, < 0 on an I/O or memory failure. */
int th_instream_next(struct th_instream *s, struct th_chunk *chunk,
                     struct th_error *err);

/*
 * Like th_instream_next, but the decoded bytes are appended to dst (for
 * whole gzip members of a mapped file: inflated straight into it, saving a
 * copy). chunk->data points into dst and len is what was appended.
 */
int th_instream_next_into(struct th_instream *s, struct th_buf *dst,
                          struct th_chunk *chunk, struct th_error *err);

enum th_compression th_instream_compression(const struct th_instream *s);
uint64_t th_instream_size(const struct th_instream *s);
uint64_t th_instream_pos(const struct th_instream *s);   /* input bytes used */
uint64_t th_instream_damaged(const struct th_instream *s);
const char *th_instream_path(const struct th_instream *s);

void th_instream_free(struct th_instream *s);

#endif
