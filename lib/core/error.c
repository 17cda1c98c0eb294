/*
 * Status codes and error details. Errors travel in a caller-owned
 * struct th_error rather than a global or thread-local, so that workers
 * never share error state and callers decide what to print [sqlite].
 */
#include <stdio.h>
#include <string.h>

#include "thresh/core.h"
#include "banned.h"

const char *th_status_str(int code)
{
    switch (code) {
    case TH_OK: return "ok";
    case TH_ENOMEM: return "out of memory";
    case TH_EIO: return "i/o error";
    case TH_EFORMAT: return "bad format";
    case TH_ELIMIT: return "limit exceeded";
    case TH_EINVAL: return "invalid argument";
    default: return "unknown error";
    }
}

int th_error_set(struct th_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void th_error_clear(struct th_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

struct th_slice th_slice_from_cstr(const char *s)
{
    struct th_slice sl = { s, s ? strlen(s) : 0 };
    return sl;
}

bool th_slice_eq(struct th_slice a, struct th_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool th_slice_eq_cstr(struct th_slice a, const char *s)
{
    return th_slice_eq(a, th_slice_from_cstr(s));
}
