/*
 * libFuzzer target over the whole HTML path: charset decoding, tokenizer,
 * tree builder, main-content extraction and both output formats. The
 * first input byte picks the options (format, links, comments) and, when
 * its high bit is set, the next bytes up to a NUL are used as the HTTP
 * charset hint, so the iconv paths are fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_html_extract_options opts = {0};
    struct th_slice charset = {NULL, 0};
    if (size > 0) {
        uint8_t flags = data[0];
        opts.format = (flags & 1) ? TH_HTML_FORMAT_MARKDOWN
                                  : TH_HTML_FORMAT_TEXT;
        opts.markdown_links = (flags & 2) != 0;
        opts.include_comments = (flags & 4) != 0;
        data++;
        size--;
        if (flags & 0x80) {
            const uint8_t *nul = memchr(data, 0, size < 32 ? size : 32);
            if (nul) {
                charset = (struct th_slice){(const char *)data,
                                            (size_t)(nul - data)};
                size -= (size_t)(nul - data) + 1;
                data = nul + 1;
            }
        }
    }
    struct th_html_extractor *ex = NULL;
    struct th_arena *arena = NULL;
    if (th_html_extractor_new(&ex, &opts) < 0)
        return 0;
    if (th_arena_new(&arena, 0, (size_t)256 << 20) < 0) {
        th_html_extractor_free(ex);
        return 0;
    }
    struct th_html_result r;
    struct th_error err = {0};
    if (th_html_extract(ex, data, size, charset,
                        th_slice_from_cstr("http://example.org/a/b.html"),
                        arena, &r, &err) == 0) {
        /* Touch every output byte so that ASan checks the slices. */
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < r.text.len; i++)
            sum ^= (uint8_t)r.text.ptr[i];
        for (size_t i = 0; i < r.canonical.len; i++)
            sum ^= (uint8_t)r.canonical.ptr[i];
        (void)sum;
    }
    th_arena_free(arena);
    th_html_extractor_free(ex);
    return 0;
}
