/*
 * thresh core: status codes, caller-owned error details, byte slices, the
 * per-batch arena and capped growable buffers.
 *
 * Ownership: a struct th_slice never owns its bytes; it is valid as long as
 * whatever it points into (an arena block, a reader buffer) is.
 * Thread-safety: every object here is single-threaded; share nothing mutable.
 */
#ifndef THRESH_CORE_H
#define THRESH_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TH_VERSION_STRING "0.1.0"

/* Every action returns 0 on success or one of these (always negative). */
enum th_status {
    TH_OK = 0,
    TH_ENOMEM = -1,   /* an allocation failed */
    TH_EIO = -2,      /* the operating system reported an I/O error */
    TH_EFORMAT = -3,  /* input bytes do not follow their format */
    TH_ELIMIT = -4,   /* a configured size or count limit was reached */
    TH_EINVAL = -5,   /* the caller passed an invalid argument or option */
};

/* Details of the last failure, owned by the caller and passed explicitly. */
struct th_error {
    int code;         /* an enum th_status, 0 when nothing failed */
    char msg[256];    /* lowercase human text, no final period */
};

/* Static name of a status code ("out of memory", "bad format", ...). */
const char *th_status_str(int code);

/*
 * Record a failure in err (which may be NULL) and return code, so callers can
 * write `return th_error_set(err, TH_EFORMAT, "bad header at %zu", off);`.
 */
int th_error_set(struct th_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clear err to "no failure". */
void th_error_clear(struct th_error *err);

/* A read-only view of len bytes; ptr may be NULL only when len is 0. */
struct th_slice {
    const char *ptr;  /* first byte, not NUL-terminated in general */
    size_t len;       /* number of bytes */
};

#define TH_SLICE_LIT(s) ((struct th_slice){ (s), sizeof(s) - 1 })

/* Slice over a NUL-terminated string (NULL gives the empty slice). */
struct th_slice th_slice_from_cstr(const char *s);

/* True when a and b hold the same bytes. */
bool th_slice_eq(struct th_slice a, struct th_slice b);

/* True when a holds the same bytes as the C string s. */
bool th_slice_eq_cstr(struct th_slice a, const char *s);

/*
 * Arena: bump allocator made of malloc'd blocks. Everything allocated from it
 * is released at once by th_arena_reset() or th_arena_free(). An arena has a
 * byte cap (0 = none): past it allocations return NULL and the caller reports
 * TH_ELIMIT. Building with -Darena_debug=true turns each allocation into its
 * own malloc so that ASan sees overflows between allocations.
 */
struct th_arena;

/* New arena; block_size 0 picks a default, cap 0 means unlimited. */
int th_arena_new(struct th_arena **out, size_t block_size, size_t cap);

/* Free the arena and all its blocks; NULL is accepted. */
void th_arena_free(struct th_arena *arena);

/* size bytes aligned to 16, uninitialized; NULL when out of memory or cap. */
void *th_arena_alloc(struct th_arena *arena, size_t size);

/* Like th_arena_alloc but zeroed, for n items of size bytes (overflow-safe). */
void *th_arena_calloc(struct th_arena *arena, size_t n, size_t size);

/* Copy len bytes into the arena and NUL-terminate; NULL on failure. */
char *th_arena_memdup(struct th_arena *arena, const void *data, size_t len);

/* printf into the arena; NULL on failure. */
char *th_arena_printf(struct th_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Release everything allocated since creation; keeps the blocks (of any
 * size, up to 64 MiB of them) for reuse by later allocations. */
void th_arena_reset(struct th_arena *arena);

/* Bytes handed out since the last reset (for accounting and tests). */
size_t th_arena_used(const struct th_arena *arena);

/*
 * th_buf: growable heap byte buffer with a hard cap. The bytes are always
 * followed by a NUL (not counted in len) once anything was appended.
 * Invariant: len < cap when ptr != NULL; len <= max.
 */
struct th_buf {
    char *ptr;        /* heap bytes, NULL until the first append */
    size_t len;       /* bytes in use */
    size_t cap;       /* bytes allocated */
    size_t max;       /* hard cap on len; 0 means SIZE_MAX / 2 */
};

/* Embedded lifecycle: init with a cap (0 = effectively none), release. */
void th_buf_init(struct th_buf *buf, size_t max);
void th_buf_release(struct th_buf *buf);

/* Forget the content, keep the allocation. */
void th_buf_reset(struct th_buf *buf);

/* Make room for extra more bytes; TH_ENOMEM or TH_ELIMIT on failure. */
int th_buf_reserve(struct th_buf *buf, size_t extra);

/* Append bytes; TH_ENOMEM or TH_ELIMIT on failure (buf unchanged then). */
int th_buf_append(struct th_buf *buf, const void *data, size_t len);
int th_buf_append_cstr(struct th_buf *buf, const char *s);
int th_buf_putc(struct th_buf *buf, char c);
int th_buf_printf(struct th_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Append s as the body of a JSON string (no surrounding quotes): escapes
 * quote, backslash and control characters; bytes that are not valid UTF-8
 * become U+FFFD so the output is always valid JSON.
 */
int th_buf_append_json_str(struct th_buf *buf, const char *s, size_t len);

/*
 * UTF-8: length (1-4) of the valid sequence at s with n bytes left, or 0
 * when it is invalid (overlong, surrogate, above U+10FFFF, truncated);
 * whole-buffer validation; encoding of a code point (<= U+10FFFF) into 1-4
 * bytes at out, returning the count.
 */
size_t th_utf8_seq_len(const uint8_t *s, size_t n);
bool th_utf8_is_valid(const char *data, size_t len);
size_t th_utf8_encode(uint32_t cp, char *out);

/* 64-bit hash of bytes (XXH3-64 with the given seed). */
uint64_t th_hash64(const void *data, size_t len, uint64_t seed);

/*
 * Read the whole file at path into a malloc'd buffer (*data_out, *len_out;
 * free() it). TH_EIO when it cannot be opened or read (errno tells why),
 * TH_ELIMIT when it holds more than max bytes (0: no limit), TH_ENOMEM.
 */
int th_read_file(const char *path, size_t max, char **data_out,
                 size_t *len_out);

/* Format a double deterministically as the shortest "%.17g"-exact form. */
int th_format_double(char *out, size_t cap, double value);

/* Monotonic clock in nanoseconds. */
uint64_t th_now_ns(void);

#endif
