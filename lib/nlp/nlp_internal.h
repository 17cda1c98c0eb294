/*
 * Internal declarations of the nlp module: code point classes with Python
 * 3.11 semantics (str.isspace, re's \w and \d, str.isupper/islower), the
 * Punkt parameter set, and the two tokenizer halves (punkt.c, treebank.c).
 */
#ifndef THRESH_NLP_INTERNAL_H
#define THRESH_NLP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thresh/core.h"
#include "thresh/nlp.h"

/* Class bits of one code point. */
enum nlp_class {
    NLP_SPACE = 1 << 0,   /* Python str.isspace() / re \s */
    NLP_WORD = 1 << 1,    /* re \w: letters, numbers, underscore */
    NLP_DIGIT = 1 << 2,   /* re \d: decimal digits (Nd) */
    NLP_UPPER = 1 << 3,   /* str.isupper() of the character */
    NLP_LOWER = 1 << 4,   /* str.islower() of the character */
};

/*
 * x86 builds with SSE2 and a GNU C compiler also carry an AVX-512BW
 * version of the Treebank window masks, chosen at run time (nlp_simd).
 */
#if defined(__SSE2__) && defined(__GNUC__) && \
    (defined(__x86_64__) || defined(__i386__))
#define NLP_HAVE_AVX512 1
#else
#define NLP_HAVE_AVX512 0
#endif

/* Which vector code the window masks use. */
enum nlp_simd_level {
    NLP_SIMD_NONE,     /* byte loop (the portable fallback) */
    NLP_SIMD_SSE2,     /* 16 bytes a step (builds with __SSE2__) */
    NLP_SIMD_AVX512,   /* 64 bytes a step (the CPU has AVX-512BW) */
};

/*
 * The level in use: the best the build and the CPU allow, set once by the
 * first th_nlp_new() (nlp.c).
 */
extern enum nlp_simd_level nlp_simd;

/* The CPU has AVX-512 VBMI2 and VBMI too (set with nlp_simd; the
   Treebank bulk path then writes its slices eight at a time, and the
   window masks come from byte permutes). */
extern bool nlp_vbmi2;

/*
 * The Treebank window masks of p[0..64) (bytes from valid on count as
 * spaces) computed with the code of level, which must be available (at
 * the AVX-512 level, the VBMI permutes when nlp_vbmi2 is set, else the
 * nibble tables):
 * whitespace, plain, '.', letters/digits, contraction-word candidates,
 * bytes NLTK pads wherever they are, the first bytes of the quotes it pads
 * wherever they are (three-byte, two-byte), ',' and ':' that end a chunk
 * of two or more bytes.
 * For the tests, which compare the levels.
 */
void nlp_window_masks(const char *p, size_t valid,
                      enum nlp_simd_level level, uint64_t out[9]);

#if NLP_HAVE_AVX512
/* Fill the byte class tables of the VBMI window masks (once, with the BMP
   tables, before any tokenizing). */
void nlp_vbmi_init(void);
#endif

/* Class bits of every ASCII byte (filled at compile time). */
extern const uint8_t nlp_ascii_class[128];

/* Class bits of a non-ASCII code point. */
unsigned nlp_class_of_slow(uint32_t cp);

/*
 * Decode the code point at s[0] (n > 0 bytes available); *len_out gets its
 * byte length. Invalid UTF-8 decodes as one byte U+FFFD-like value
 * 0x110000 + byte, which has no class bits.
 */
static inline uint32_t nlp_decode(const unsigned char *s, size_t n,
                                  size_t *len_out)
{
    uint32_t c = s[0];
    if (c < 0x80) {
        *len_out = 1;
        return c;
    }
    if (c >= 0xc2 && c < 0xe0 && n >= 2 && (s[1] & 0xc0) == 0x80) {
        *len_out = 2;
        return ((c & 0x1f) << 6) | (s[1] & 0x3f);
    }
    if (c >= 0xe0 && c < 0xf0 && n >= 3 && (s[1] & 0xc0) == 0x80 &&
        (s[2] & 0xc0) == 0x80) {
        uint32_t cp = ((c & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
                      (s[2] & 0x3f);
        if (cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff)) {
            *len_out = 3;
            return cp;
        }
    }
    if (c >= 0xf0 && c < 0xf5 && n >= 4 && (s[1] & 0xc0) == 0x80 &&
        (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
        uint32_t cp = ((c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
                      ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        if (cp >= 0x10000 && cp <= 0x10ffff) {
            *len_out = 4;
            return cp;
        }
    }
    *len_out = 1;
    return 0x110000 + c;
}

/* Class bits of a code point. */
static inline unsigned nlp_class_of(uint32_t cp)
{
    return cp < 0x80 ? nlp_ascii_class[cp] : nlp_class_of_slow(cp);
}

/* Class bits of the code point at s (n > 0); *len_out its length. */
static inline unsigned nlp_class_at(const char *s, size_t n, size_t *len_out)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *len_out = 1;
        return nlp_ascii_class[u[0]];
    }
    return nlp_class_of_slow(nlp_decode(u, n, len_out));
}

/* Simple lowercase mapping of a code point (Python's for all but a few). */
uint32_t nlp_tolower(uint32_t cp);

/* Append cp as UTF-8 to out (room for 4 bytes); returns bytes written. */
size_t nlp_encode(uint32_t cp, char *out);

/* Orthographic context bits, as Punkt's _ORTHO_* constants. */
enum nlp_ortho {
    NLP_ORTHO_BEG_UC = 1 << 1,   /* sentence-initial, upper case */
    NLP_ORTHO_MID_UC = 1 << 2,   /* sentence-internal, upper case */
    NLP_ORTHO_UNK_UC = 1 << 3,   /* unknown position, upper case */
    NLP_ORTHO_BEG_LC = 1 << 4,   /* sentence-initial, lower case */
    NLP_ORTHO_MID_LC = 1 << 5,   /* sentence-internal, lower case */
    NLP_ORTHO_UNK_LC = 1 << 6,   /* unknown position, lower case */
};
#define NLP_ORTHO_UC (NLP_ORTHO_BEG_UC | NLP_ORTHO_MID_UC | NLP_ORTHO_UNK_UC)
#define NLP_ORTHO_LC (NLP_ORTHO_BEG_LC | NLP_ORTHO_MID_LC | NLP_ORTHO_UNK_LC)

/* One word type with its orthographic context bits. */
struct nlp_ortho_entry {
    const char *type;    /* lowercased word type, NUL-terminated */
    uint8_t flags;       /* enum nlp_ortho bits */
};

/* A collocation: two types, the first one without its final period. */
struct nlp_colloc {
    const char *first;   /* type before the period */
    const char *second;  /* type of the following token */
};

/*
 * A Punkt parameter set. Every array is sorted by strcmp() (collocations by
 * first, then second); the collocations are looked up by binary search,
 * the types in struct th_nlp's hash table.
 */
struct nlp_punkt_params {
    const char *const *abbrevs;          /* abbreviation types, no period */
    size_t n_abbrevs;                    /* entries in abbrevs */
    const struct nlp_colloc *collocs;    /* known collocations */
    size_t n_collocs;                    /* entries in collocs */
    const char *const *starters;         /* frequent sentence starters */
    size_t n_starters;                   /* entries in starters */
    const struct nlp_ortho_entry *ortho; /* orthographic contexts */
    size_t n_ortho;                      /* entries in ortho */
};

/* The English parameter set (punkt_english.c, generated). */
extern const struct nlp_punkt_params nlp_punkt_english;

/* A parameter set read from NLTK's parameters in JSON (punkt_params.c). */
struct nlp_punkt_loaded;

/* Read the JSON parameter file at path (TH_EIO, TH_EFORMAT with the byte
 * offset, TH_ELIMIT, TH_ENOMEM); free with nlp_punkt_unload(). */
int nlp_punkt_load(const char *path, struct nlp_punkt_loaded **out,
                   struct th_error *err);

/* The same from json[0..len) (path only names it in messages). */
int nlp_punkt_parse(const char *path, const char *json, size_t len,
                    struct nlp_punkt_loaded **out, struct th_error *err);

const struct nlp_punkt_params *
nlp_punkt_loaded_params(const struct nlp_punkt_loaded *l);

void nlp_punkt_unload(struct nlp_punkt_loaded *l);

/* The parameter file of language ("english": english.json) in the first
 * directory of THRESH_PUNKT_DIR, or else of TH_NLP_PUNKT_DIRS, that has a
 * readable one (colon-separated lists), into out[0..cap); -1 when none
 * does or the name is not a plain lowercase word. */
int nlp_punkt_find(const char *language, char *out, size_t cap);

#ifndef TH_NLP_PUNKT_DIRS
#define TH_NLP_PUNKT_DIRS \
    "/usr/share/gocode/src/gopkg.in/neurosnap/sentences.v1/data"
#endif

/* What a word type is in a parameter set (struct nlp_type_slot). */
enum nlp_type_kind {
    NLP_TYPE_ABBREV = 1 << 0,        /* an abbreviation type */
    NLP_TYPE_COLLOC_FIRST = 1 << 1,  /* a collocation's first type */
    NLP_TYPE_STARTER = 1 << 2,       /* a frequent sentence starter */
};

/*
 * One slot of the type table: every type of a parameter set (abbreviation,
 * collocation's first type, sentence starter, orthographic context) with
 * all it is, so that one probe answers every lookup of one type. 16 bytes:
 * a type of up to NLP_TYPE_INLINE bytes is held in the slot itself (one
 * cache line answers a lookup: NLTK's English set has 20,366 types, a
 * table larger than the L2 cache's share it keeps), a longer one by its
 * pointer and length.
 */
#define NLP_TYPE_INLINE 12
#define NLP_TYPE_EMPTY 0xff   /* len of an empty slot */
#define NLP_TYPE_LONG 0xfe    /* len of a slot with a long type */
struct nlp_type_slot {
    union {
        char bytes[NLP_TYPE_INLINE];   /* len <= NLP_TYPE_INLINE */
        struct {
            const char *ptr;           /* NLP_TYPE_LONG: the type */
            uint32_t len;              /* and its length */
        } __attribute__((packed)) big;
    } key;
    uint8_t len;         /* bytes of an inline type, or one of the marks */
    uint8_t kinds;       /* enum nlp_type_kind bits */
    uint8_t ortho;       /* enum nlp_ortho bits */
    uint8_t tag;         /* bits 48..55 of its hash: most slots of other
                            types are passed without a comparison */
};

/* Types in open addressing with linear probing over a power-of-two table
 * with at least one empty slot (lookups end there). */
struct nlp_type_table {
    struct nlp_type_slot *slots;
    size_t mask;             /* slots, minus one */
};

/* Behaviour switches (NLTK versions differ in a few Treebank rules). */
struct th_nlp {
    const struct nlp_punkt_params *params;  /* Punkt parameters */
    struct nlp_punkt_loaded *loaded;        /* owner of params, or NULL */
    char source[4096];       /* th_nlp_punkt_source(): a path or "builtin" */
    bool collapse_space;     /* ENDING_QUOTES \s+ -> " " (later NLTK) */
    bool pad_dashes;         /* pad U+2012..U+2015 (later NLTK) */
    /*
     * Punkt fast path: bit L of special_len[c - 'a'] is set when an
     * abbreviation type or a collocation's first type of L bytes starts
     * with letter c (L < 32); built by th_nlp_new from params.
     */
    uint32_t special_len[26];
    /*
     * The same for the types whose first two bytes are letters c d:
     * bit L of special2[(c - 'a') * 26 + d - 'a'].
     */
    uint32_t special2[26 * 26];
    bool ascii_types;        /* abbreviation and collocation-first types
                                are all ASCII (Punkt fast path) */
    bool period_colloc;      /* "." is a collocation's first type */
    /*
     * The types of params in two tables: the abbreviations, collocations'
     * first types and sentence starters (a few hundred: stays in the L1
     * cache, asked about every period-final word) and the orthographic
     * contexts (NLTK's English: 20,366, asked only when the orthographic
     * heuristic decides). Built by th_nlp_new, freed by th_nlp_free.
     */
    struct nlp_type_table kinds_table, ortho_table;
};

/*
 * Fill nlp->special_len and build the type tables from nlp->params
 * (punkt.c); TH_ENOMEM on failure.
 */
int nlp_punkt_prepare(struct th_nlp *nlp);

/*
 * A growable scratch byte string (heap), reused across calls. It may
 * start in a buffer of the caller's (fixed: ptr, cap its size), which is
 * never freed: a call that needs little scratch then costs no malloc.
 */
struct nlp_str {
    char *ptr;           /* bytes, NULL until first growth */
    size_t len;          /* bytes in use */
    size_t cap;          /* bytes allocated */
    char *fixed;         /* the caller's first buffer, or NULL */
};

/* Ensure room for extra more bytes; TH_ENOMEM on failure. */
int nlp_str_reserve(struct nlp_str *s, size_t extra);
void nlp_str_release(struct nlp_str *s);

/* Sentence spans [start, end) of text, as nltk sent_tokenize. */
struct nlp_span {
    size_t start;        /* first byte */
    size_t end;          /* one past the last byte */
};

/*
 * Punkt sentence spans of text into *spans_out (heap array the caller
 * frees with free()); *n_out spans.
 */
int nlp_punkt_spans(const struct th_nlp *nlp, const char *text, size_t len,
                    struct nlp_span **spans_out, size_t *n_out);

/*
 * The same with the candidate characters given: bit k of ends[k / 64] is
 * set when text[k] is '.', '?' or '!' (nlp_copy_scan), no bit past len.
 */
int nlp_punkt_spans_marked(const struct th_nlp *nlp, const char *text,
                           size_t len, const uint64_t *ends,
                           struct nlp_span **spans_out, size_t *n_out);

/* What nlp_copy_scan() found. */
enum nlp_scan_flags {
    NLP_SCAN_SEPS = 1 << 0,   /* one of the bytes 0x1c-0x1f */
    NLP_SCAN_LEADS = 1 << 1,  /* a bit set in leads */
};

/*
 * Copy src[0..len) to dst and mark its '.', '?' and '!' in ends
 * ((len + 63) / 64 words, bit k of word k / 64 for byte k, no bit past
 * len) in the same pass, with the vector code of level; returns enum
 * nlp_scan_flags bits (NLP_SCAN_SEPS as nlp_has_separators). With
 * AVX-512 it also marks in leads (as ends, plus a last word of zero)
 * the lead bytes C2 E1 E2 E3 of the code points whole in src that no
 * Treebank rewrite touches, as nlp_is_plain_lead() decides (dashes:
 * nlp->pad_dashes); other levels leave leads alone and never return
 * NLP_SCAN_LEADS.
 */
unsigned nlp_copy_scan(char *dst, const char *src, size_t len,
                       uint64_t *ends, uint64_t *leads, bool dashes,
                       enum nlp_simd_level level);

/*
 * Is text[0] (of len > 0 bytes) the lead byte C2, E1, E2 or E3 of a
 * code point no Treebank rewrite touches (as the chunk byte loop decides
 * it), whole in the len bytes? (The tests' reference for leads.)
 */
bool nlp_is_plain_lead(const struct th_nlp *nlp, const char *text,
                       size_t len);

/* Decision trace of one candidate (for the parameter derivation tool). */
struct nlp_punkt_trace {
    size_t end;          /* byte after the sentence-ending character */
    bool brk;            /* the decision: a sentence break */
    const char *context; /* the context string Punkt annotates */
    size_t context_len;  /* its length */
};

/* Callback receiving each candidate; may be NULL. */
typedef void (*nlp_trace_fn)(const struct nlp_punkt_trace *t, void *ctx);

/* As nlp_punkt_spans, calling trace for every considered candidate. */
int nlp_punkt_spans_traced(const struct th_nlp *nlp, const char *text,
                           size_t len, struct nlp_span **spans_out,
                           size_t *n_out, nlp_trace_fn trace, void *ctx);

/*
 * Where the Treebank half puts its tokens: most tokens are slices of the
 * sentence itself (stored as they are, no copy); tokens that NLTK rewrote
 * or that the rewrite pipeline built in scratch memory are copied into
 * "spill" blocks of the arena. The slice array is a heap array the caller
 * frees, or (toks_in_arena) an arena array.
 */
struct nlp_sink {
    struct th_slice *toks;   /* array of tokens (heap, or arena) */
    bool toks_in_arena;      /* toks lives in arena (grown there too) */
    size_t n;                /* tokens stored */
    size_t cap;              /* slices allocated */
    struct th_arena *arena;  /* where copied tokens go */
    char *spill;             /* next free byte of the current spill block */
    size_t spill_left;       /* bytes left in that block */
    size_t spill_hint;       /* size of the first spill block */
    const char *readable_end;  /* the Treebank half may read the bytes
                                  before this (past a sentence's end, for
                                  whole 64-byte windows); NULL: none */
    const uint64_t *leads;   /* nlp_copy_scan()'s plain lead bytes of
                                doc, or NULL */
    const char *doc;         /* the text leads describes (sentences are
                                pieces of it) */
};

/* Grow the slice array (at least one free slot); TH_ENOMEM on failure
   (TH_ELIMIT when it lives in the arena and the arena is full). */
int nlp_sink_grow(struct nlp_sink *k);

/* Store a token that is a slice of bytes that outlive the sink. */
static inline int nlp_sink_slice(struct nlp_sink *k, const char *p,
                                 size_t len)
{
    if (k->n == k->cap) {
        int rc = nlp_sink_grow(k);
        if (rc < 0)
            return rc;
    }
    k->toks[k->n].ptr = p;
    k->toks[k->n].len = len;
    k->n++;
    return 0;
}

/* Store a copy of a token (in a spill block); TH_ELIMIT if arena full. */
int nlp_sink_copy(struct nlp_sink *k, const char *p, size_t len);

/*
 * NLTKWordTokenizer.tokenize(sentence): calls emit(ptr, len, ctx) for each
 * token (ptr valid only during the call). work is reusable scratch.
 */
typedef int (*nlp_emit_fn)(const char *tok, size_t len, void *ctx);

/*
 * The same into a sink: tokens that are slices of s point into s. When
 * seps is false the caller knows s holds none of the bytes 0x1c-0x1f.
 */
int nlp_treebank_tokens(const struct th_nlp *nlp, const char *s, size_t n,
                        struct nlp_str work[2], bool seps,
                        struct nlp_sink *sink);

/* Does s[0..n) hold one of the bytes 0x1c-0x1f (Python whitespace)? */
bool nlp_has_separators(const char *s, size_t n);
int nlp_treebank_tokenize(const struct th_nlp *nlp, const char *s, size_t n,
                          struct nlp_str work[2], nlp_emit_fn emit,
                          void *ctx);

/*
 * The same without the fast paths: every rewrite over the whole sentence.
 * For the fuzz target, which checks that both give the same tokens.
 */
int nlp_treebank_tokenize_reference(const struct th_nlp *nlp, const char *s,
                                    size_t n, struct nlp_str work[2],
                                    nlp_emit_fn emit, void *ctx);

#endif
