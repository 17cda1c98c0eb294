/*
 * Unicode normalization of extracted text: any bytes in, valid NFC UTF-8
 * with unified whitespace out.
 *
 * Approach. One pass over the bytes does everything but mojibake repair:
 * printable ASCII runs (the bulk of web text) are copied with memcpy; every
 * other byte goes through a slow path that decodes one code point (a byte
 * that is not part of valid UTF-8 is read as cp1252, the usual source of
 * such bytes), decodes an HTML entity at '&', maps C1 controls to their
 * cp1252 meaning, drops controls and invisible format characters, and turns
 * every space and line separator into ' ' or '\n'. Whitespace is never
 * written at once: it is kept "pending" and written only before the next
 * visible character, which trims lines, collapses runs, keeps at most one
 * blank line and drops leading and trailing blank lines in the same pass.
 *
 * NFC without paying for it. A precomputed bitmap marks every code point
 * that may change under NFC or make its neighbour change: a nonzero
 * combining class, no NFC round trip on its own (singletons, exclusions),
 * or a non-first element of a canonical decomposition (Hangul vowel and
 * trailing jamo, Indic two-part vowels). Text made only of unmarked code
 * points is already in NFC, so it is copied. At a marked code point the
 * output is walked back to the previous unmarked one (a starter that
 * cannot combine backwards), the run of marked code points is gathered, and
 * only that segment is normalized with utf8proc (decompose, reorder,
 * compose). Rejected: running utf8proc_NFC() over the whole text (several
 * times slower and a malloc per document) and a hand-made composition
 * table (utf8proc already is the well-kept one).
 *
 * Mojibake. Text that was UTF-8, decoded as cp1252 or latin-1 and encoded
 * again shows a lead character (U+00C2..U+00F4, e.g. 'Ã' or 'â') followed
 * by one to three characters whose cp1252 byte is a continuation byte
 * ('©', '€', '™'). Such a group is turned back into its bytes; when they are
 * one valid, non-control UTF-8 character it is a candidate. Like ftfy the
 * decision is made for the whole text, and only when unambiguous: a text is
 * repaired only if it holds a candidate that plain text practically never
 * has (a two-byte group led by 'Â' or 'Ã', or any three- or four-byte
 * group) or two candidates in a row (Cyrillic or Greek mojibake such as
 * "Ð¿Ñ€"). Otherwise it is left alone, so a correct "CAFÉ…" stays. The
 * rewrite keeps a stack of code points and reduces every group that ends
 * at its top, so text encoded wrongly twice or more is undone in one
 * pass.
 *
 * Order and idempotence. Stray bytes are repaired first (their cp1252
 * reading can look like mojibake), then mojibake is undone (it needs the
 * C1 characters that the main pass maps away), then the main pass runs.
 * Each step is closed under what it does itself, so that normalizing the
 * output changes nothing: the mojibake stack drops what the main pass
 * will remove (a group standing for U+FFFF, "ï¿¿", must not keep the
 * layers around it apart for another pass: struct moji_stack), and the
 * main pass decodes an entity when its ';' reaches the output, so pieces
 * joined by a removed character ("&\x7f#233;"), a decoded entity or a
 * composed U+037E (NFC makes it ';') are decoded in the same pass.
 * Composition can still make new mojibake ("A" + U+0303 + "©" is "Ã©"),
 * so the output is checked and the work redone, a bounded number of
 * times (a chain of such compositions, each exposing the next, is the
 * one way left to need more rounds than the bound; none is known from
 * fuzzing). The fuzz target checks that normalizing the output is a
 * no-op.
 *
 * Speed. With SSE2 (every x86-64), plain runs are checked 16 bytes at a
 * time: printable ASCII but '&', single spaces and single or double line
 * breaks between plain bytes are what the pass writes back unchanged, so
 * whole paragraphs become one memcpy; other whitespace between plain
 * bytes (indentation, runs of blank lines) is written as the pending
 * logic would (one space or one or two line breaks) without leaving the
 * run. Without SSE2 the same runs go 8 bytes at a time (SWAR). The input
 * is checked for invalid UTF-8 64 bytes at a time. bench/bench_text.c
 * has the figures.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "thresh/text.h"
#include "text_internal.h"
#include "../core/banned.h"

#define NO_CP 0xFFFFFFFFu       /* a removed or undefined code point */
#define SEGMENT_CAP 128         /* code points normalized on the stack */
#define WALK_BACK_MAX 32        /* code points popped before a segment */
#define ENTITY_MAX 13           /* bytes of the longest entity, & to ; */
#define NO_AMP SIZE_MAX         /* no '&' that may open an entity */

/* cp1252 bytes 0x80..0x9F; 0 marks the five undefined bytes. */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* HTML 4 entity names (and &apos;), sorted bytewise for bsearch. */
struct entity {
    const char *name;   /* name without '&' and ';' */
    uint32_t cp;        /* the code point it stands for */
};

static const struct entity entities[] = {
    {"AElig", 0x00C6}, {"Aacute", 0x00C1}, {"Acirc", 0x00C2},
    {"Agrave", 0x00C0}, {"Alpha", 0x0391}, {"Aring", 0x00C5},
    {"Atilde", 0x00C3}, {"Auml", 0x00C4}, {"Beta", 0x0392},
    {"Ccedil", 0x00C7}, {"Chi", 0x03A7}, {"Dagger", 0x2021},
    {"Delta", 0x0394}, {"ETH", 0x00D0}, {"Eacute", 0x00C9},
    {"Ecirc", 0x00CA}, {"Egrave", 0x00C8}, {"Epsilon", 0x0395},
    {"Eta", 0x0397}, {"Euml", 0x00CB}, {"Gamma", 0x0393},
    {"Iacute", 0x00CD}, {"Icirc", 0x00CE}, {"Igrave", 0x00CC},
    {"Iota", 0x0399}, {"Iuml", 0x00CF}, {"Kappa", 0x039A},
    {"Lambda", 0x039B}, {"Mu", 0x039C}, {"Ntilde", 0x00D1},
    {"Nu", 0x039D}, {"OElig", 0x0152}, {"Oacute", 0x00D3},
    {"Ocirc", 0x00D4}, {"Ograve", 0x00D2}, {"Omega", 0x03A9},
    {"Omicron", 0x039F}, {"Oslash", 0x00D8}, {"Otilde", 0x00D5},
    {"Ouml", 0x00D6}, {"Phi", 0x03A6}, {"Pi", 0x03A0},
    {"Prime", 0x2033}, {"Psi", 0x03A8}, {"Rho", 0x03A1},
    {"Scaron", 0x0160}, {"Sigma", 0x03A3}, {"THORN", 0x00DE},
    {"Tau", 0x03A4}, {"Theta", 0x0398}, {"Uacute", 0x00DA},
    {"Ucirc", 0x00DB}, {"Ugrave", 0x00D9}, {"Upsilon", 0x03A5},
    {"Uuml", 0x00DC}, {"Xi", 0x039E}, {"Yacute", 0x00DD},
    {"Yuml", 0x0178}, {"Zeta", 0x0396}, {"aacute", 0x00E1},
    {"acirc", 0x00E2}, {"acute", 0x00B4}, {"aelig", 0x00E6},
    {"agrave", 0x00E0}, {"alefsym", 0x2135}, {"alpha", 0x03B1},
    {"amp", 0x0026}, {"and", 0x2227}, {"ang", 0x2220},
    {"apos", 0x0027}, {"aring", 0x00E5}, {"asymp", 0x2248},
    {"atilde", 0x00E3}, {"auml", 0x00E4}, {"bdquo", 0x201E},
    {"beta", 0x03B2}, {"brvbar", 0x00A6}, {"bull", 0x2022},
    {"cap", 0x2229}, {"ccedil", 0x00E7}, {"cedil", 0x00B8},
    {"cent", 0x00A2}, {"chi", 0x03C7}, {"circ", 0x02C6},
    {"clubs", 0x2663}, {"cong", 0x2245}, {"copy", 0x00A9},
    {"crarr", 0x21B5}, {"cup", 0x222A}, {"curren", 0x00A4},
    {"dArr", 0x21D3}, {"dagger", 0x2020}, {"darr", 0x2193},
    {"deg", 0x00B0}, {"delta", 0x03B4}, {"diams", 0x2666},
    {"divide", 0x00F7}, {"eacute", 0x00E9}, {"ecirc", 0x00EA},
    {"egrave", 0x00E8}, {"empty", 0x2205}, {"emsp", 0x2003},
    {"ensp", 0x2002}, {"epsilon", 0x03B5}, {"equiv", 0x2261},
    {"eta", 0x03B7}, {"eth", 0x00F0}, {"euml", 0x00EB},
    {"euro", 0x20AC}, {"exist", 0x2203}, {"fnof", 0x0192},
    {"forall", 0x2200}, {"frac12", 0x00BD}, {"frac14", 0x00BC},
    {"frac34", 0x00BE}, {"frasl", 0x2044}, {"gamma", 0x03B3},
    {"ge", 0x2265}, {"gt", 0x003E}, {"hArr", 0x21D4},
    {"harr", 0x2194}, {"hearts", 0x2665}, {"hellip", 0x2026},
    {"iacute", 0x00ED}, {"icirc", 0x00EE}, {"iexcl", 0x00A1},
    {"igrave", 0x00EC}, {"image", 0x2111}, {"infin", 0x221E},
    {"int", 0x222B}, {"iota", 0x03B9}, {"iquest", 0x00BF},
    {"isin", 0x2208}, {"iuml", 0x00EF}, {"kappa", 0x03BA},
    {"lArr", 0x21D0}, {"lambda", 0x03BB}, {"lang", 0x2329},
    {"laquo", 0x00AB}, {"larr", 0x2190}, {"lceil", 0x2308},
    {"ldquo", 0x201C}, {"le", 0x2264}, {"lfloor", 0x230A},
    {"lowast", 0x2217}, {"loz", 0x25CA}, {"lrm", 0x200E},
    {"lsaquo", 0x2039}, {"lsquo", 0x2018}, {"lt", 0x003C},
    {"macr", 0x00AF}, {"mdash", 0x2014}, {"micro", 0x00B5},
    {"middot", 0x00B7}, {"minus", 0x2212}, {"mu", 0x03BC},
    {"nabla", 0x2207}, {"nbsp", 0x00A0}, {"ndash", 0x2013},
    {"ne", 0x2260}, {"ni", 0x220B}, {"not", 0x00AC},
    {"notin", 0x2209}, {"nsub", 0x2284}, {"ntilde", 0x00F1},
    {"nu", 0x03BD}, {"oacute", 0x00F3}, {"ocirc", 0x00F4},
    {"oelig", 0x0153}, {"ograve", 0x00F2}, {"oline", 0x203E},
    {"omega", 0x03C9}, {"omicron", 0x03BF}, {"oplus", 0x2295},
    {"or", 0x2228}, {"ordf", 0x00AA}, {"ordm", 0x00BA},
    {"oslash", 0x00F8}, {"otilde", 0x00F5}, {"otimes", 0x2297},
    {"ouml", 0x00F6}, {"para", 0x00B6}, {"part", 0x2202},
    {"permil", 0x2030}, {"perp", 0x22A5}, {"phi", 0x03C6},
    {"pi", 0x03C0}, {"piv", 0x03D6}, {"plusmn", 0x00B1},
    {"pound", 0x00A3}, {"prime", 0x2032}, {"prod", 0x220F},
    {"prop", 0x221D}, {"psi", 0x03C8}, {"quot", 0x0022},
    {"rArr", 0x21D2}, {"radic", 0x221A}, {"rang", 0x232A},
    {"raquo", 0x00BB}, {"rarr", 0x2192}, {"rceil", 0x2309},
    {"rdquo", 0x201D}, {"real", 0x211C}, {"reg", 0x00AE},
    {"rfloor", 0x230B}, {"rho", 0x03C1}, {"rlm", 0x200F},
    {"rsaquo", 0x203A}, {"rsquo", 0x2019}, {"sbquo", 0x201A},
    {"scaron", 0x0161}, {"sdot", 0x22C5}, {"sect", 0x00A7},
    {"shy", 0x00AD}, {"sigma", 0x03C3}, {"sigmaf", 0x03C2},
    {"sim", 0x223C}, {"spades", 0x2660}, {"sub", 0x2282},
    {"sube", 0x2286}, {"sum", 0x2211}, {"sup", 0x2283},
    {"sup1", 0x00B9}, {"sup2", 0x00B2}, {"sup3", 0x00B3},
    {"supe", 0x2287}, {"szlig", 0x00DF}, {"tau", 0x03C4},
    {"there4", 0x2234}, {"theta", 0x03B8}, {"thetasym", 0x03D1},
    {"thinsp", 0x2009}, {"thorn", 0x00FE}, {"tilde", 0x02DC},
    {"times", 0x00D7}, {"trade", 0x2122}, {"uArr", 0x21D1},
    {"uacute", 0x00FA}, {"uarr", 0x2191}, {"ucirc", 0x00FB},
    {"ugrave", 0x00F9}, {"upsih", 0x03D2}, {"upsilon", 0x03C5},
    {"uuml", 0x00FC}, {"weierp", 0x2118}, {"xi", 0x03BE},
    {"yacute", 0x00FD}, {"yen", 0x00A5}, {"yuml", 0x00FF},
    {"zeta", 0x03B6}, {"zwj", 0x200D}, {"zwnj", 0x200C},
};

/* Bit set: code points that may change, or change a neighbour, under NFC. */
static uint8_t nfc_unsafe[0x110000 / 8];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void mark_unsafe(uint32_t cp)
{
    nfc_unsafe[cp >> 3] |= (uint8_t)(1u << (cp & 7));
}

static bool is_nfc_unsafe(uint32_t cp)
{
    return (nfc_unsafe[cp >> 3] >> (cp & 7)) & 1;
}

static void build_tables(void)
{
    for (uint32_t cp = 0x80; cp < 0x110000; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        const utf8proc_property_t *prop = utf8proc_get_property((int32_t)cp);
        if (prop->category == UTF8PROC_CATEGORY_CN ||
            prop->category == UTF8PROC_CATEGORY_CO)
            continue;
        if (prop->combining_class != 0)
            mark_unsafe(cp);
        utf8proc_int32_t dec[8];
        int boundclass = 0;
        utf8proc_ssize_t n = utf8proc_decompose_char((int32_t)cp, dec, 8,
                                                     UTF8PROC_DECOMPOSE,
                                                     &boundclass);
        if (n == 1 && dec[0] == (int32_t)cp)
            continue;
        for (utf8proc_ssize_t k = 1; k < n && k < 8; k++)
            mark_unsafe((uint32_t)dec[k]);
        /* Decomposes: unsafe unless NFC composes it back to itself. */
        utf8proc_uint8_t enc[8];
        utf8proc_ssize_t el = utf8proc_encode_char((int32_t)cp, enc);
        enc[el] = 0;
        utf8proc_uint8_t *nfc = utf8proc_NFC(enc);
        if (!nfc || strcmp((const char *)nfc, (const char *)enc) != 0)
            mark_unsafe(cp);
        free(nfc);
    }
}

void th_text_tables_init(void)
{
    pthread_once(&tables_once, build_tables);
}

/* ------------------------------------------------------------ UTF-8 */

size_t th_text_utf8_decode(const uint8_t *s, size_t len, uint32_t *cp_out)
{
    uint8_t c = s[0];
    if (c < 0x80) {
        *cp_out = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (len >= 2 && (s[1] & 0xC0) == 0x80) {
            *cp_out = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
            return 2;
        }
        return 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0))
            return 0;
        *cp_out = ((uint32_t)(c & 0x0F) << 12) |
                  ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
            return 0;
        *cp_out = ((uint32_t)(c & 0x07) << 18) |
                  ((uint32_t)(s[1] & 0x3F) << 12) |
                  ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}


bool th_text_is_valid_utf8(const char *data, size_t len)
{
    const uint8_t *s = (const uint8_t *)data;
    size_t i = 0;
#if defined(__SSE2__)
    /* ASCII, the bulk of it, 16 bytes per step; a character that is not
     * is decoded where the byte mask says it starts */
    while (i + 16 <= len) {
        if (i + 64 <= len) {
            const __m128i *p = (const __m128i *)(const void *)(s + i);
            __m128i any = _mm_or_si128(
                _mm_or_si128(_mm_loadu_si128(p), _mm_loadu_si128(p + 1)),
                _mm_or_si128(_mm_loadu_si128(p + 2),
                             _mm_loadu_si128(p + 3)));
            if (!_mm_movemask_epi8(any)) {
                i += 64;
                continue;
            }
        }
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128(
            (const __m128i *)(const void *)(s + i)));
        if (!m) {
            i += 16;
            continue;
        }
        i += (size_t)__builtin_ctz(m);
        uint32_t cp;
        size_t n = th_text_utf8_decode(s + i, len - i, &cp);
        if (!n)
            return false;
        i += n;
    }
#endif
    while (i < len) {
        if (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = th_text_utf8_decode(s + i, len - i, &cp);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

/* ------------------------------------------------------------ entities */

static int entity_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct entity *)elem)->name);
}

/*
 * Decode the entity whose name starts at s[p] (just after a '&'). On
 * success returns true, sets *cp_out and *end_out to the byte after ';'.
 */
static bool parse_entity(const uint8_t *s, size_t len, size_t p,
                         uint32_t *cp_out, size_t *end_out)
{
    if (p >= len)
        return false;
    if (s[p] == '#') {
        size_t q = p + 1;
        uint32_t v = 0;
        int base = 10, digits = 0;
        if (q < len && (s[q] == 'x' || s[q] == 'X')) {
            base = 16;
            q++;
        }
        for (; q < len && digits < 8; q++, digits++) {
            uint8_t c = s[q];
            uint32_t d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (base == 16 && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (base == 16 && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                break;
            v = v * (uint32_t)base + d;
        }
        if (!digits || q >= len || s[q] != ';')
            return false;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            v = 0xFFFD;
        else if (v >= 0x80 && v <= 0x9F && cp1252_high[v - 0x80])
            v = cp1252_high[v - 0x80];
        *cp_out = v;
        *end_out = q + 1;
        return true;
    }
    char name[12];
    size_t n = 0;
    while (p + n < len && n < sizeof(name) - 1) {
        uint8_t c = s[p + n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            break;
        name[n] = (char)c;
        n++;
    }
    if (!n || p + n >= len || s[p + n] != ';')
        return false;
    name[n] = '\0';
    const struct entity *e = bsearch(name, entities,
                                     sizeof(entities) / sizeof(entities[0]),
                                     sizeof(entities[0]), entity_cmp);
    if (!e)
        return false;
    *cp_out = e->cp;
    *end_out = p + n + 1;
    return true;
}

/* ------------------------------------------------------------ classes */

enum cp_class {
    CP_KEEP,        /* a visible character, written as is */
    CP_SPACE,       /* horizontal whitespace */
    CP_TAB,         /* a tab */
    CP_NEWLINE,     /* a line break */
    CP_REMOVE,      /* dropped */
};

/*
 * Map a non-ASCII code point (or one decoded from an entity) to what the
 * normalizer does with it; C1 controls are first read as cp1252.
 */
static enum cp_class classify(uint32_t *cp)
{
    uint32_t c = *cp;
    if (c < 0x80) {
        if (c == ' ')
            return CP_SPACE;
        if (c == '\t')
            return CP_TAB;
        if (c == '\n' || c == '\r' || c == 0x0B || c == 0x0C)
            return CP_NEWLINE;
        if (c < 0x20 || c == 0x7F)
            return CP_REMOVE;
        return CP_KEEP;
    }
    if (c <= 0x9F) {
        if (c == 0x85)
            return CP_NEWLINE;
        c = cp1252_high[c - 0x80];
        if (!c)
            return CP_REMOVE;
        *cp = c;
        return CP_KEEP;
    }
    if (c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
        c == 0x202F || c == 0x205F || c == 0x3000)
        return CP_SPACE;
    if (c == 0x2028 || c == 0x2029)
        return CP_NEWLINE;
    if (c == 0xAD || c == 0x180E || c == 0x200B ||
        (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) ||
        (c >= 0x2066 && c <= 0x206F) || c == 0xFEFF ||
        (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xFDD0 && c <= 0xFDEF) ||
        (c & 0xFFFE) == 0xFFFE)
        return CP_REMOVE;
    return CP_KEEP;
}

/* ------------------------------------------------------------ writer */

/* The state of one normalization pass. */
struct norm {
    const uint8_t *in;      /* input bytes */
    size_t len;             /* input length */
    size_t pos;             /* next input byte */
    unsigned flags;         /* enum th_text_normalize_flags */
    struct th_buf *out;     /* destination; out->len is kept in sync */
    size_t base;            /* out->len when the pass started */
    unsigned pend_nl;       /* line breaks seen since the last character */
    unsigned pend_sp;       /* 1 space, 2 tab seen since the last character */
    size_t amp;             /* offset in out of the last '&' written, or
                               NO_AMP: a later ';' may close an entity */
    size_t n_segments;      /* NFC segments rewritten */
    struct th_text_normalize_stats *stats; /* counters, never NULL */
};

/* Keep room for the worst-case growth of the rest of the input (3x). */
static int ensure_room(struct norm *nm, size_t extra)
{
    size_t rest = nm->len - nm->pos;
    if (rest > (SIZE_MAX / 4) - extra)
        return TH_ELIMIT;
    return th_buf_reserve(nm->out, extra + 3 * rest + 8);
}

static void flush_pending(struct norm *nm)
{
    struct th_buf *b = nm->out;
    if (nm->pend_nl) {
        if (b->len > nm->base) {
            b->ptr[b->len++] = '\n';
            if (nm->pend_nl > 1)
                b->ptr[b->len++] = '\n';
        }
    } else if (nm->pend_sp) {
        if (b->len > nm->base && b->ptr[b->len - 1] != '\n')
            b->ptr[b->len++] = nm->pend_sp & 2 ? '\t' : ' ';
    }
    nm->pend_nl = 0;
    nm->pend_sp = 0;
}

static void note_space(struct norm *nm, enum cp_class k)
{
    if (k == CP_NEWLINE) {
        nm->pend_nl++;
        nm->pend_sp = 0;
    } else if (!nm->pend_nl) {
        nm->pend_sp |= k == CP_TAB ? 2 : 1;
    }
}

/*
 * Read the code point at nm->pos without consuming it: a valid UTF-8
 * character, a stray byte read as cp1252, or (at '&') an HTML entity.
 * Returns its byte length; *invalid and *entity say how it was read.
 */
static size_t peek_cp(const struct norm *nm, size_t pos, uint32_t *cp,
                      bool *invalid, bool *entity)
{
    const uint8_t *s = nm->in;
    *invalid = false;
    *entity = false;
    if (s[pos] == '&' && (nm->flags & TH_TEXT_ENTITIES)) {
        size_t end;
        uint32_t v;
        if (parse_entity(s, nm->len, pos + 1, &v, &end)) {
            /* "&amp;lt;" and deeper double escapes decode fully. */
            while (v == '&' && parse_entity(s, nm->len, end, &v, &end))
                ;
            *cp = v;
            *entity = true;
            return end - pos;
        }
        *cp = '&';
        return 1;
    }
    size_t n = th_text_utf8_decode(s + pos, nm->len - pos, cp);
    if (n)
        return n;
    *invalid = true;
    uint8_t c = s[pos];
    *cp = c >= 0xA0 ? c : c >= 0x80 ? cp1252_high[c - 0x80] : c;
    if (!*cp)
        *cp = NO_CP;
    return 1;
}

static int nfc_segment(struct norm *nm, uint32_t cp, bool gather);
static int emit_cp(struct norm *nm, uint32_t cp, bool gather);

static void put_cp(struct norm *nm, uint32_t cp)
{
    struct th_buf *b = nm->out;
    b->len += th_utf8_encode(cp, b->ptr + b->len);
}

/*
 * Entities are decoded when their ';' reaches the output, not only when
 * the input spells them out: a removed character ("&\x7f#233;"), an
 * entity decoded inside another one or a composed U+037E (which NFC turns
 * into ';') can join the pieces of an entity, and what the output holds
 * must stay decodable-free or normalizing it again would change it. Only
 * the last '&' written can open one (names hold no '&').
 */
static bool amp_live(const struct norm *nm)
{
    const struct th_buf *b = nm->out;
    return nm->amp != NO_AMP && nm->amp < b->len &&
           b->len - nm->amp <= ENTITY_MAX && b->ptr[nm->amp] == '&';
}

/* Find the last '&' among the last ENTITY_MAX bytes of the output. */
static void find_amp(struct norm *nm)
{
    const struct th_buf *b = nm->out;
    size_t from = b->len - nm->base > ENTITY_MAX ? b->len - ENTITY_MAX :
                                                  nm->base;
    nm->amp = NO_AMP;
    for (size_t i = b->len; i > from; i--)
        if (b->ptr[i - 1] == '&') {
            nm->amp = i - 1;
            break;
        }
}

/*
 * The output ends with ';': when "&...;" from the last '&' is an entity,
 * replace it by the code point it stands for. The whitespace written just
 * before the '&' was pending whitespace (the only way whitespace precedes
 * a visible character in the output); it is made pending again, so that a
 * decoded space or line break merges with it exactly as an entity decoded
 * from the input would. Returns 1 when an entity was decoded.
 */
static int close_entity(struct norm *nm)
{
    struct th_buf *b = nm->out;
    uint32_t v;
    size_t end;
    if (!parse_entity((const uint8_t *)b->ptr, b->len, nm->amp + 1, &v,
                      &end) || end != b->len)
        return 0;
    b->len = nm->amp;
    nm->pend_nl = 0;
    nm->pend_sp = 0;
    if (b->len > nm->base && (b->ptr[b->len - 1] == ' ' ||
                              b->ptr[b->len - 1] == '\t')) {
        nm->pend_sp = b->ptr[b->len - 1] == ' ' ? 1 : 2;
        b->len--;
    } else {
        while (b->len > nm->base && nm->pend_nl < 2 &&
               b->ptr[b->len - 1] == '\n') {
            nm->pend_nl++;
            b->len--;
        }
    }
    find_amp(nm);
    nm->stats->n_entities++;
    int rc = emit_cp(nm, v, false);
    return rc < 0 ? rc : 1;
}

/*
 * Write one code point read from the input or decoded from an entity:
 * drop it, note it as whitespace, normalize its NFC segment (gather: with
 * the combining code points that follow in the input) or write it.
 */
static int emit_cp(struct norm *nm, uint32_t cp, bool gather)
{
    enum cp_class k = classify(&cp);
    if (k == CP_REMOVE) {
        nm->stats->n_removed++;
        return 0;
    }
    if (k != CP_KEEP) {
        note_space(nm, k);
        return 0;
    }
    if (cp >= 0x80 && (nm->flags & TH_TEXT_NFC) && is_nfc_unsafe(cp))
        return nfc_segment(nm, cp, gather);
    flush_pending(nm);
    put_cp(nm, cp);
    if (cp == '&') {
        nm->amp = nm->out->len - 1;
    } else if (cp == ';' && (nm->flags & TH_TEXT_ENTITIES) &&
               amp_live(nm)) {
        int rc = close_entity(nm);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * NFC of the segment that ends with the unsafe code point cp: pop the
 * output back to the last safe code point, gather the following unsafe
 * code points of the input, normalize them together and write the result.
 */
static int nfc_segment(struct norm *nm, uint32_t cp, bool gather)
{
    struct th_buf *b = nm->out;
    uint32_t seg_stack[SEGMENT_CAP];
    uint32_t *seg = seg_stack;
    size_t n_seg = 0, cap_seg = SEGMENT_CAP;
    int rc = 0;

    flush_pending(nm);
    size_t start = b->len;
    for (int steps = 0; start > nm->base && steps < WALK_BACK_MAX; steps++) {
        size_t q = start - 1;
        while (q > nm->base && ((uint8_t)b->ptr[q] & 0xC0) == 0x80)
            q--;
        uint32_t prev;
        if (!th_text_utf8_decode((const uint8_t *)b->ptr + q, b->len - q,
                                 &prev))
            break;
        start = q;
        if (prev < 0x80 || !is_nfc_unsafe(prev))
            break;
    }
    /* Output bytes from start, then cp, then the unsafe input after it. */
    size_t q = start;
    while (q < b->len) {
        uint32_t c;
        size_t n = th_text_utf8_decode((const uint8_t *)b->ptr + q,
                                       b->len - q, &c);
        seg[n_seg++] = c;
        q += n ? n : 1;
    }
    seg[n_seg++] = cp;
    while (gather && nm->pos < nm->len) {
        uint32_t c;
        bool invalid, entity;
        if (nm->in[nm->pos] < 0x80 && nm->in[nm->pos] != '&')
            break;
        size_t n = peek_cp(nm, nm->pos, &c, &invalid, &entity);
        enum cp_class k = c == NO_CP ? CP_REMOVE : classify(&c);
        if (k == CP_REMOVE) {
            nm->pos += n;
            nm->stats->n_invalid += invalid;
            nm->stats->n_removed++;
            continue;
        }
        if (k != CP_KEEP || c < 0x80 || !is_nfc_unsafe(c))
            break;
        nm->pos += n;
        nm->stats->n_invalid += invalid;
        nm->stats->n_entities += entity;
        if (n_seg == cap_seg) {
            size_t ncap = cap_seg * 2;
            uint32_t *p = malloc(ncap * sizeof(*p));
            if (!p) {
                rc = TH_ENOMEM;
                goto out_free_seg;
            }
            memcpy(p, seg, n_seg * sizeof(*p));
            if (seg != seg_stack)
                free(seg);
            seg = p;
            cap_seg = ncap;
        }
        seg[n_seg++] = c;
    }
    /* Decompose (with reordering) from UTF-8, then compose. */
    size_t enc_len = 0;
    char *enc = malloc(n_seg * 4 + 1);
    if (!enc) {
        rc = TH_ENOMEM;
        goto out_free_seg;
    }
    for (size_t k = 0; k < n_seg; k++)
        enc_len += th_utf8_encode(seg[k], enc + enc_len);
    utf8proc_int32_t dec_stack[SEGMENT_CAP * 4];
    utf8proc_int32_t *dec = dec_stack;
    utf8proc_ssize_t cap_dec = SEGMENT_CAP * 4;
    utf8proc_ssize_t nd = utf8proc_decompose((const utf8proc_uint8_t *)enc,
                                             (utf8proc_ssize_t)enc_len, dec,
                                             cap_dec,
                                             UTF8PROC_DECOMPOSE |
                                             UTF8PROC_STABLE);
    if (nd > cap_dec) {
        dec = malloc((size_t)nd * sizeof(*dec));
        if (!dec) {
            rc = TH_ENOMEM;
            goto out_free_enc;
        }
        cap_dec = nd;
        nd = utf8proc_decompose((const utf8proc_uint8_t *)enc,
                                (utf8proc_ssize_t)enc_len, dec, cap_dec,
                                UTF8PROC_DECOMPOSE | UTF8PROC_STABLE);
    }
    if (nd < 0) {
        /* Cannot happen on valid input; keep the bytes unnormalized. */
        nd = 0;
        b->len = start;
        rc = ensure_room(nm, enc_len);
        if (rc == 0) {
            memcpy(b->ptr + b->len, enc, enc_len);
            b->len += enc_len;
        }
        goto out_free_dec;
    }
    nd = utf8proc_normalize_utf32(dec, nd, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    nm->n_segments++;
    b->len = start;
    rc = ensure_room(nm, (size_t)(nd > 0 ? nd : 0) * 4);
    if (rc < 0)
        goto out_free_dec;
    for (utf8proc_ssize_t k = 0; k < nd; k++) {
        put_cp(nm, (uint32_t)dec[k]);
        /* U+037E composes to ';', which may close an entity; what
         * follows it is then written after the decoded character. */
        if (dec[k] == ';' && (nm->flags & TH_TEXT_ENTITIES) &&
            amp_live(nm)) {
            rc = close_entity(nm);
            if (rc == 0)
                continue;
            for (utf8proc_ssize_t r = k + 1; rc > 0 && r < nd; r++) {
                int e = emit_cp(nm, (uint32_t)dec[r], false);
                rc = e < 0 ? e : 1;
            }
            rc = rc < 0 ? rc : 0;
            break;
        }
    }
out_free_dec:
    if (dec != dec_stack)
        free(dec);
out_free_enc:
    free(enc);
out_free_seg:
    if (seg != seg_stack)
        free(seg);
    return rc;
}

/* Bytes copied verbatim: printable ASCII except '&'. */
static const bool plain_byte[256] = {
    ['!'] = 1, ['"'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['\''] = 1,
    ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1,
    ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1,
    ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
    ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,
    ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, ['\\'] = 1, [']'] = 1,
    ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
    ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
    ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
    ['|'] = 1, ['}'] = 1, ['~'] = 1,
};

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Exact per-byte mask (0x80 in each byte of w equal to c, w < 0x80). */
static uint64_t byte_eq(uint64_t w, unsigned char c)
{
    uint64_t v = w ^ (ONES * c);
    return ~(((v & ~HIGHS) + ~HIGHS) | v) & HIGHS;
}

/*
 * True when the 8 bytes at p can be copied as they are after a plain
 * byte: printable ASCII but '&', where every space is a single one
 * followed by a printable byte (so the last byte is no space). Words and
 * single spaces, the bulk of text, then cost a few instructions per 8.
 */
static bool plain_chunk(const uint8_t *p)
{
    static const union {
        uint16_t word;      /* 1 */
        uint8_t bytes[2];   /* {1, 0} on a little-endian host */
    } probe = { 1 };
    uint64_t w;
    memcpy(&w, p, 8);
    if (!probe.bytes[0])    /* big endian: put byte k at bits 8k */
        w = __builtin_bswap64(w);
    if (w & HIGHS)
        return false;
    if (((w - ONES * 0x20) & ~w & HIGHS) || byte_eq(w, 0x7F) ||
        byte_eq(w, '&'))
        return false;
    uint64_t sp = byte_eq(w, ' ');
    uint64_t last = 0x80ull << 56;
    if (!sp)
        return true;
    if (sp & last)
        return false;
    /* byte k+1 sits 8 bits above byte k */
    if (sp & (sp << 8))
        return false;
    return true;
}

#if defined(__SSE2__)
/*
 * The plain run, 16 bytes at a time with SSE2: from pos (just after a
 * plain byte) skip bytes that normalizing leaves as they are: plain
 * bytes, a single space between two plain bytes, and one or two line
 * breaks between two plain bytes (written back as they were, so whole
 * paragraphs become one copy). Returns the position after the last plain
 * byte of the stretch; the byte loop goes on from there.
 */
static size_t plain_run_16(const uint8_t *in, size_t len, size_t pos)
{
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i del = _mm_set1_epi8(0x7F);
    const __m128i amp = _mm_set1_epi8('&');
    const __m128i nl = _mm_set1_epi8('\n');
    while (pos + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)
                                    (in + pos));
        /* 0x21..0x7E but '&' (bytes >= 0x80 are negative) */
        unsigned p = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(v, space)) &
                     ~(unsigned)_mm_movemask_epi8(
                         _mm_or_si128(_mm_cmpeq_epi8(v, del),
                                      _mm_cmpeq_epi8(v, amp)));
        unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, space));
        unsigned n = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
        /* the byte before pos is plain; after the 16 counts as not */
        unsigned prev_p = (p << 1) | 1, prev2_p = (p << 2) | 3;
        unsigned next_p = p >> 1, next2_p = p >> 2;
        unsigned bad = (~(p | sp | n) & 0xFFFFu) |
                       (sp & ~(prev_p & next_p)) |
                       (n & ~(prev_p | ((n << 1) & prev2_p))) |
                       (n & ~(next_p | ((n >> 1) & next2_p)));
        if (bad) {
            /* end after the last plain byte before the first bad one */
            unsigned before = p & ((1u << __builtin_ctz(bad)) - 1);
            return before ? pos + 32 - (size_t)__builtin_clz(before) : pos;
        }
        pos += 16;
    }
    return pos;
}
#endif

#if defined(__SSE2__)
/*
 * Skip the spaces and line breaks from pos, 16 bytes at a time (lynx
 * indents every line, so the gaps between plain runs are several bytes
 * long). Adds to *n_nl at least 1 for one line break and at least 2 for
 * more (all the caller asks); returns where the gap ends or where fewer
 * than 16 bytes are left (the byte loop finishes those).
 */
static size_t blank_run_16(const uint8_t *in, size_t len, size_t pos,
                           unsigned *n_nl)
{
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i nl = _mm_set1_epi8('\n');
    while (pos + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)
                                    (in + pos));
        __m128i is_nl = _mm_cmpeq_epi8(v, nl);
        unsigned n = (unsigned)_mm_movemask_epi8(is_nl);
        unsigned blank = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, space), is_nl));
        unsigned stop = ~blank & 0xFFFFu;
        unsigned k = stop ? (unsigned)__builtin_ctz(stop) : 16;
        n &= (1u << k) - 1;
        *n_nl += (n != 0) + ((n & (n - 1)) != 0);
        pos += k;
        if (stop)
            break;
    }
    return pos;
}
#endif

/* One pass: everything but mojibake. Appends to out. */
static int normalize_pass(const uint8_t *in, size_t len, unsigned flags,
                          struct th_buf *out,
                          struct th_text_normalize_stats *stats,
                          size_t *n_segments_out)
{
    struct norm nm = {
        .in = in, .len = len, .flags = flags, .out = out,
        .base = out->len, .amp = NO_AMP, .stats = stats,
    };
    int rc = ensure_room(&nm, 0);
    if (rc < 0)
        return rc;
    while (nm.pos < len) {
        uint8_t c = in[nm.pos];
        if (plain_byte[c] && (c != ';' || !amp_live(&nm))) {
            /* The common case: words separated by single spaces. A space
             * between two plain bytes needs no pending state. */
            size_t start = nm.pos, pos = start + 1;
            if (nm.pend_nl | nm.pend_sp)
                flush_pending(&nm);
            for (;;) {
                for (;;) {
#if defined(__SSE2__)
                    /* it stops at a byte that ends the run or near the
                     * end, where 8 at a time may still go on */
                    pos = plain_run_16(in, len, pos);
                    if (pos + 16 > len)
#endif
                        while (pos + 8 <= len && plain_chunk(in + pos))
                            pos += 8;
                    while (pos < len && plain_byte[in[pos]])
                        pos++;
                    if (pos + 1 < len && in[pos] == ' ' &&
                        plain_byte[in[pos + 1]])
                        pos += 2;
                    else
                        break;
                }
                /* A ';' that may close an entity is written on its own. */
                bool cut = false;
                if (nm.amp != NO_AMP && amp_live(&nm)) {
                    size_t reach = out->len + (pos - start) - nm.amp;
                    size_t n = pos - start;
                    if (reach > ENTITY_MAX)
                        n -= reach - ENTITY_MAX;
                    const uint8_t *semi = n ? memchr(in + start, ';', n)
                                            : NULL;
                    if (semi) {
                        pos = (size_t)(semi - in);
                        cut = true;
                    }
                }
                nm.pos = pos;
                memcpy(out->ptr + out->len, in + start, pos - start);
                out->len += pos - start;
                if (cut)
                    break;
                /* Spaces and line breaks between two plain bytes become
                 * what the pending logic makes of them (one space, one or
                 * two line breaks); the run goes on after them. No entity
                 * spans whitespace, so '&' before it no longer matters. */
                size_t g = pos;
                unsigned n_nl = 0;
#if defined(__SSE2__)
                g = blank_run_16(in, len, g, &n_nl);
#endif
                while (g < len && (in[g] == ' ' || in[g] == '\n')) {
                    n_nl += in[g] == '\n';
                    g++;
                }
                if (g == pos || g >= len || !plain_byte[in[g]])
                    break;
                if (n_nl) {
                    out->ptr[out->len++] = '\n';
                    if (n_nl > 1)
                        out->ptr[out->len++] = '\n';
                } else {
                    out->ptr[out->len++] = ' ';
                }
                nm.amp = NO_AMP;
                start = g;
                pos = g + 1;
                nm.pos = g;
            }
            continue;
        }
        if (c == ' ') {
            nm.pos++;
            if (!nm.pend_nl)
                nm.pend_sp |= 1;
            continue;
        }
        if (c == '\n') {
            nm.pos++;
            nm.pend_nl++;
            nm.pend_sp = 0;
            continue;
        }
        if (c == '\r') {
            nm.pos++;
            if (nm.pos < len && in[nm.pos] == '\n')
                nm.pos++;
            nm.pend_nl++;
            nm.pend_sp = 0;
            continue;
        }
        uint32_t cp;
        bool invalid, entity;
        nm.pos += peek_cp(&nm, nm.pos, &cp, &invalid, &entity);
        stats->n_invalid += invalid;
        stats->n_entities += entity;
        if (cp == NO_CP) {
            stats->n_removed++;
            continue;
        }
        rc = emit_cp(&nm, cp, true);
        if (rc < 0)
            return rc;
    }
    if (n_segments_out)
        *n_segments_out = nm.n_segments;
    out->ptr[out->len] = '\0';
    return 0;
}

/* ------------------------------------------------------------ mojibake */

/* The cp1252 (or latin-1) byte that shows as cp, or -1. */
static int mojibake_byte(uint32_t cp)
{
    if (cp >= 0x80 && cp <= 0xFF)
        return (int)cp;
    if (cp < 0x152 || cp > 0x2122)      /* outside cp1252's 0x80..0x9F */
        return -1;
    for (int i = 0; i < 32; i++)
        if (cp1252_high[i] == cp)
            return 0x80 + i;
    return -1;
}

/* A candidate group: code points [start, end) of the text decode to cp. */
struct moji {
    size_t start;       /* byte offset of the lead character */
    size_t end;         /* byte offset after the group */
    uint32_t cp;        /* the character the bytes stand for */
    bool strong;        /* a group plain text practically never holds */
};

/*
 * Try to read a mojibake group at byte offset i of valid UTF-8 text s.
 */
static bool mojibake_at(const uint8_t *s, size_t len, size_t i,
                        struct moji *m)
{
    uint32_t cp;
    size_t n = th_text_utf8_decode(s + i, len - i, &cp);
    if (n != 2 || cp < 0xC2 || cp > 0xF4)
        return false;
    uint8_t bytes[4] = { (uint8_t)cp, 0, 0, 0 };
    size_t need = cp <= 0xDF ? 1 : cp <= 0xEF ? 2 : 3;
    size_t q = i + n;
    for (size_t k = 0; k < need; k++) {
        if (q >= len)
            return false;
        uint32_t c;
        size_t cn = th_text_utf8_decode(s + q, len - q, &c);
        if (!cn)
            return false;
        int b = mojibake_byte(c);
        if (b < 0x80 || b > 0xBF)
            return false;
        bytes[k + 1] = (uint8_t)b;
        q += cn;
    }
    uint32_t out;
    if (th_text_utf8_decode(bytes, need + 1, &out) != need + 1)
        return false;
    if (out < 0xA0)
        return false;
    m->start = i;
    m->end = q;
    m->cp = out;
    m->strong = need > 1 || bytes[0] == 0xC2 || bytes[0] == 0xC3;
    return true;
}

/* Continuation bytes that a mojibake lead byte needs (0: no lead). */
static size_t lead_need(int lead)
{
    return lead >= 0xC2 && lead <= 0xDF ? 1 :
           lead >= 0xE0 && lead <= 0xEF ? 2 :
           lead >= 0xF0 && lead <= 0xF4 ? 3 : 0;
}

static bool is_cont(uint32_t cp)
{
    int b = mojibake_byte(cp);
    return b >= 0x80 && b <= 0xBF;
}

/* The main pass will drop cp (see classify()). */
static bool removed_later(uint32_t cp)
{
    if (cp >= 0x20 && cp < 0x7F)
        return false;
    return classify(&cp) == CP_REMOVE;
}

/* removed_later() of a continuation (U+0081, 8D, 8F, 90, 9D, 00AD): the
 * only dropped characters that the stack holds. */
static bool removed_cont(uint32_t cp)
{
    return cp == 0x81 || cp == 0x8D || cp == 0x8F || cp == 0x90 ||
           cp == 0x9D || cp == 0xAD;
}

/*
 * The stack of code points of one mojibake rewrite. It emulates the main
 * pass's removals, so that what they bring together is seen at once: a
 * code point the main pass drops is not pushed, and a decoded group that
 * stands for one ("ï¿¿" is U+FFFF) is dropped instead of pushed, which
 * lets its neighbours form the next group. The exception are the dropped
 * characters that are also continuation bytes (undefined C1 controls,
 * the soft hyphen: "Ã\u00ad" is 'í'): they stay while a group may still
 * take them, and go (with what followed them pushed again) once none can.
 * Without this, every layer of such nesting needed another whole pass.
 */
struct moji_stack {
    uint32_t *st;       /* code points */
    size_t top;         /* code points on the stack */
    int fixed;          /* groups reduced */
};

/* Reduce every group that ends at the top, repeatedly. */
static void moji_reduce(struct moji_stack *m)
{
    uint32_t *st = m->st;
    for (;;) {
        bool reduced = false;
        for (size_t k = 1; k <= 3 && k < m->top && !reduced; k++) {
            int lead = mojibake_byte(st[m->top - 1 - k]);
            if (lead_need(lead) != k)
                continue;
            uint8_t bytes[4] = { (uint8_t)lead, 0, 0, 0 };
            size_t q = 1;
            for (; q <= k; q++) {
                int b = mojibake_byte(st[m->top - 1 - k + q]);
                if (b < 0x80 || b > 0xBF)
                    break;
                bytes[q] = (uint8_t)b;
            }
            uint32_t dec;
            if (q <= k || th_text_utf8_decode(bytes, k + 1, &dec) != k + 1 ||
                dec < 0xA0)
                continue;
            m->top -= k + 1;
            m->fixed++;
            /* The top below was checked when it was pushed. */
            if (removed_later(dec) && !is_cont(dec))
                return;
            st[m->top++] = dec;
            reduced = true;
        }
        if (!reduced)
            return;
    }
}

/*
 * Can st[j] still become part of a group: the nearest lead before it
 * (at most 3 back) opens a group that the code points up to the top
 * continue without completing it. closed: no more input comes.
 */
static bool may_join_group(const uint32_t *st, size_t top, size_t j,
                           bool closed)
{
    if (closed)
        return false;
    for (size_t l = j; l-- > 0 && j - l <= 3;) {
        size_t need = lead_need(mojibake_byte(st[l]));
        if (need) {
            if (need <= top - 1 - l)
                return false;
            for (size_t q = l + 1; q < top; q++)
                if (!is_cont(st[q]))
                    return false;
            return true;
        }
        if (!is_cont(st[l]))
            return false;
    }
    return false;
}

#define MOJI_PENDING 64     /* code points waiting to be pushed again */

/* Push cp and settle the stack (see struct moji_stack). */
static void moji_push(struct moji_stack *m, uint32_t cp, bool closed)
{
    uint32_t pend[MOJI_PENDING];
    size_t np = 0;
    pend[np++] = cp;
    while (np) {
        uint32_t c = pend[--np];
        if (removed_later(c) && !is_cont(c))
            continue;
        m->st[m->top++] = c;
        moji_reduce(m);
        /* Only the last four can still join a group (see above). */
        size_t j = m->top > 4 ? m->top - 4 : 0;
        for (; j < m->top; j++)
            if (removed_cont(m->st[j]) &&
                !may_join_group(m->st, m->top, j, closed))
                break;
        if (j == m->top || np + 3 > MOJI_PENDING)
            continue;
        for (size_t q = m->top; q-- > j + 1;)
            pend[np++] = m->st[q];
        m->top = j;
    }
}

/*
 * One round of mojibake repair of valid UTF-8 text into out; returns the
 * number of groups repaired (0 leaves out untouched) or < 0 on failure.
 */
static int mojibake_round(const uint8_t *s, size_t len, struct th_buf *out)
{
    bool accept = false;
    size_t prev_end = SIZE_MAX;
    struct moji m;
    const uint8_t *p = s, *end = s + len;
    while (!accept && (p = memchr(p, 0xC3, (size_t)(end - p))) != NULL) {
        size_t i = (size_t)(p - s);
        p++;
        if (i + 1 >= len || s[i + 1] < 0x82 || s[i + 1] > 0xB4 ||
            !mojibake_at(s, len, i, &m))
            continue;
        if (m.strong || prev_end == i)
            accept = true;
        prev_end = m.end;
        p = s + m.end;
    }
    if (!accept)
        return 0;
    /*
     * Rewrite with a stack of code points: after each push, a group that
     * ends at the top (a lead and exactly its continuations) is replaced
     * by the character it stands for, and the check repeats, so text
     * encoded wrongly any number of times is undone in one pass.
     */
    struct moji_stack ms = { malloc((len + 1) * sizeof(uint32_t)), 0, 0 };
    if (!ms.st)
        return TH_ENOMEM;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = th_text_utf8_decode(s + i, len - i, &cp);
        if (!n) {
            n = 1;
            cp = 0xFFFD;
        }
        i += n;
        moji_push(&ms, cp, false);
    }
    /* At the end no group can take a dropped continuation any more. */
    for (;;) {
        size_t j = ms.top > 4 ? ms.top - 4 : 0;
        while (j < ms.top && !removed_cont(ms.st[j]))
            j++;
        if (j == ms.top)
            break;
        uint32_t rest[3];
        size_t n_rest = ms.top - j - 1;
        memcpy(rest, ms.st + j + 1, n_rest * sizeof(*rest));
        ms.top = j;
        for (size_t k = 0; k < n_rest; k++)
            moji_push(&ms, rest[k], true);
    }
    int rc = th_buf_reserve(out, ms.top * 4);
    if (rc == 0) {
        for (size_t k = 0; k < ms.top; k++)
            out->len += th_utf8_encode(ms.st[k], out->ptr + out->len);
        out->ptr[out->len] = '\0';
    }
    free(ms.st);
    return rc < 0 ? rc : ms.fixed;
}

/* True when s holds a decodable HTML entity. */
static bool has_entity(const uint8_t *s, size_t len)
{
    const uint8_t *p = s, *end = s + len;
    while ((p = memchr(p, '&', (size_t)(end - p))) != NULL) {
        uint32_t cp;
        size_t stop;
        if (parse_entity(s, len, (size_t)(p - s) + 1, &cp, &stop))
            return true;
        p++;
    }
    return false;
}

/* True when s may hold a mojibake lead character ('Â'..'ô'). */
static bool may_have_mojibake(const uint8_t *s, size_t len)
{
    const uint8_t *p = s, *end = s + len;
    while ((p = memchr(p, 0xC3, (size_t)(end - p))) != NULL) {
        if (p + 1 < end && p[1] >= 0x82 && p[1] <= 0xB4)
            return true;
        p++;
    }
    return false;
}

/* ------------------------------------------------------------ API */

/* Swap in the next scratch buffer as the current input. */
static void use_scratch(struct th_buf *tmp, int *cur, const uint8_t **in,
                        size_t *len)
{
    *cur = *cur == 0 ? 1 : 0;
    *in = (const uint8_t *)tmp[*cur].ptr;
    *len = tmp[*cur].len;
}

int th_text_normalize(const char *data, size_t len, unsigned flags,
                      struct th_buf *out,
                      struct th_text_normalize_stats *stats)
{
    struct th_text_normalize_stats local = {0};
    if (!stats)
        stats = &local;
    if (flags & TH_TEXT_NFC)
        th_text_tables_init();
    size_t base = out->len;
    const uint8_t *in = (const uint8_t *)data;
    struct th_buf tmp[2];
    th_buf_init(&tmp[0], out->max);
    th_buf_init(&tmp[1], out->max);
    int rc = 0, cur = 1;

    /* Mojibake is judged on valid text: repair bytes first (the repair
     * itself may produce what looks like mojibake). Most text is valid
     * and holds no mojibake lead: then the main pass runs at once (no
     * separate validity scan), and the validity of the input is learnt
     * from it (every byte that does not decode goes through peek_cp(),
     * which counts it in n_invalid); only when its first round met such
     * a byte, or failed, is its work undone and the long way taken. */
    struct th_buf *next = &tmp[0];
    bool direct = (flags & TH_TEXT_MOJIBAKE) && !may_have_mojibake(in, len);
    struct th_text_normalize_stats saved = *stats;
long_way:
    if ((flags & TH_TEXT_MOJIBAKE) && !direct &&
        !th_text_is_valid_utf8((const char *)in, len)) {
        th_buf_reset(next);
        rc = normalize_pass(in, len, flags & ~TH_TEXT_NFC, next, stats,
                            NULL);
        if (rc < 0)
            goto out_release;
        use_scratch(tmp, &cur, &in, &len);
    }
    if ((flags & TH_TEXT_MOJIBAKE) && !direct && may_have_mojibake(in, len)) {
        for (int k = 0; k < 3; k++) {
            next = &tmp[cur == 0 ? 1 : 0];
            th_buf_reset(next);
            rc = mojibake_round(in, len, next);
            if (rc <= 0)
                break;
            stats->n_mojibake += (size_t)rc;
            use_scratch(tmp, &cur, &in, &len);
        }
        if (rc < 0)
            goto out_release;
    }
    /* The main pass can make mojibake appear (decoded entities, removed
     * characters, composition): look again and redo, a bounded number of
     * times, so that normalizing the output changes nothing. */
    for (int round = 0;; round++) {
        size_t edits = stats->n_invalid + stats->n_entities + stats->n_removed;
        size_t n_segments = 0;
        rc = normalize_pass(in, len, flags, out, stats, &n_segments);
        if (direct && (rc < 0 || stats->n_invalid != saved.n_invalid)) {
            out->len = base;
            if (out->ptr)
                out->ptr[base] = '\0';
            *stats = saved;
            direct = false;
            goto long_way;
        }
        direct = false;     /* the input was valid */
        if (rc < 0 || round == 15)
            break;
        /* Only removed, decoded, repaired or composed characters can
         * bring two characters together; whitespace changes cannot. */
        if (!n_segments && edits == stats->n_invalid + stats->n_entities +
                                    stats->n_removed)
            break;
        const uint8_t *o = (const uint8_t *)out->ptr + base;
        size_t olen = out->len - base;
        next = &tmp[cur == 0 ? 1 : 0];
        th_buf_reset(next);
        if ((flags & TH_TEXT_MOJIBAKE) && may_have_mojibake(o, olen)) {
            rc = mojibake_round(o, olen, next);
            if (rc < 0)
                break;
            stats->n_mojibake += (size_t)rc;
        }
        /* Removed characters can also join an entity ("&\x7f#233;"). */
        if (rc == 0 && (flags & TH_TEXT_ENTITIES) && has_entity(o, olen))
            rc = th_buf_append(next, o, olen) < 0 ? TH_ENOMEM : 1;
        if (rc <= 0)
            break;
        use_scratch(tmp, &cur, &in, &len);
        out->len = base;
    }
out_release:
    if (rc < 0 && out->len > base) {
        out->len = base;
        out->ptr[base] = '\0';
    }
    th_buf_release(&tmp[0]);
    th_buf_release(&tmp[1]);
    return rc;
}
