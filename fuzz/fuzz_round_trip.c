/*
 * libFuzzer target: writer → reader round trip [zstd simple_round_trip].
 * The input is split into an id and a text; the document is serialized to
 * JSONL, read back with the JSONL reader, and must come back with the same
 * id and text whenever both were valid UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_io_util.h"

/* from lib/io/json.h: not public, so checked here by re-reading */
static bool valid_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], len, cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, cp = c & 0x07;
        else
            return false;
        if (n - i < len)
            return false;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t split = size ? data[0] % (size < 32 ? size : 32) : 0;
    const uint8_t *id = data + (size ? 1 : 0);
    size_t id_len = split ? split - 1 : 0;
    const uint8_t *text = data + (split ? split : (size ? 1 : 0));
    size_t text_len = size - (size_t)(text - data);
    struct th_doc doc;
    struct th_buf line;
    th_doc_init(&doc);
    doc.id.ptr = (const char *)id;
    doc.id.len = id_len;
    doc.text.ptr = (const char *)text;
    doc.text.len = text_len;
    th_buf_init(&line, 0);
    if (th_doc_to_jsonl(&doc, &line) < 0) {
        th_buf_release(&line);
        return 0;
    }
    char path[64];
    int fd = fuzz_memfile((const uint8_t *)line.ptr, line.len, path,
                          sizeof(path));
    if (fd < 0) {
        th_buf_release(&line);
        return 0;
    }
    struct th_reader_options o = { .format = TH_FORMAT_JSONL,
                                   .on_warning = fuzz_ignore_warning };
    struct th_reader *r;
    struct th_error err;
    struct th_arena *a;
    if (th_arena_new(&a, 0, 0) == 0 &&
        th_reader_open(&r, path, &o, &err) == 0) {
        struct th_doc back;
        int n = th_reader_next(r, &back, a, &err);
        if (n != 1 || back.damage)
            abort();   /* our own output must always parse */
        if (valid_utf8(text, text_len) && valid_utf8(id, id_len) &&
            (back.text.len != text_len ||
             memcmp(back.text.ptr, text, text_len) != 0 ||
             back.id.len != id_len || memcmp(back.id.ptr, id, id_len) != 0))
            abort();
        th_reader_free(r);
    }
    th_arena_free(a);
    close(fd);
    th_buf_release(&line);
    return 0;
}
