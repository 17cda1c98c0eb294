/*
 * Shared by the io fuzz targets: put the input in an anonymous memory file
 * and read it to the end through the public reader API, the same path
 * `thresh run` takes (mmap included).
 */
#ifndef THRESH_FUZZ_IO_UTIL_H
#define THRESH_FUZZ_IO_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "thresh/io.h"

static inline void fuzz_ignore_warning(const char *msg, void *ctx)
{
    (void)msg;
    (void)ctx;
}

/* Write data to a memfd; returns the fd (or -1) and its path in path. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path,
                        size_t cap)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

/* Read every document; small record cap so limits are exercised too. */
static inline void fuzz_read_all(const uint8_t *data, size_t size,
                          enum th_format format)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof(path));
    if (fd < 0)
        return;
    struct th_reader_options o = { .format = format, .max_record = 1 << 16,
                                   .on_warning = fuzz_ignore_warning };
    struct th_reader *r;
    struct th_error err;
    struct th_arena *a;
    struct th_buf out;
    if (th_arena_new(&a, 0, 0) < 0) {
        close(fd);
        return;
    }
    th_buf_init(&out, 0);
    if (th_reader_open(&r, path, &o, &err) == 0) {
        struct th_doc doc;
        while (th_reader_next(r, &doc, a, &err) > 0) {
            th_buf_reset(&out);
            th_doc_to_jsonl(&doc, &out);
            th_arena_reset(a);
        }
        th_reader_free(r);
    }
    th_buf_release(&out);
    th_arena_free(a);
    close(fd);
}

/* Read data as a compressed stream: the magic is prepended if missing. */
static inline void fuzz_read_with_magic(const uint8_t *data, size_t size,
                                        const uint8_t *magic, size_t mlen)
{
    if (size >= mlen && memcmp(data, magic, mlen) == 0) {
        fuzz_read_all(data, size, TH_FORMAT_AUTO);
        return;
    }
    uint8_t *buf = malloc(size + mlen);
    if (!buf)
        return;
    memcpy(buf, magic, mlen);
    if (size)
        memcpy(buf + mlen, data, size);
    fuzz_read_all(buf, size + mlen, TH_FORMAT_AUTO);
    free(buf);
}

#endif
