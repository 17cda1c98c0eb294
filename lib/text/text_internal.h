/*
 * Internals shared by the files of the text module (not public API).
 */
#ifndef THRESH_TEXT_INTERNAL_H
#define THRESH_TEXT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decode one well-formed UTF-8 character at s (len > 0 bytes available):
 * returns its length and sets *cp_out, or returns 0 when s does not start
 * with one (overlong forms and surrogates are not well-formed).
 */
size_t th_text_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp_out);

/* Build the Unicode tables once (thread-safe, idempotent). */
void th_text_tables_init(void);

#endif
