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
        if (th_utf8_is_valid((const char *)text, text_len) &&
        th_utf8_is_valid((const char *)id, id_len) &&
            (back.text.len != text_len ||
             memcmp(back.text.ptr, text, text_len) != 0 ||
             (id_len && (back.id.len != id_len ||
                         memcmp(back.id.ptr, id, id_len) != 0))))
            abort();   /* (an empty id is replaced by a generated one) */
        th_reader_free(r);
    }
    th_arena_free(a);
    close(fd);
    th_buf_release(&line);
    return 0;
}
