/*
 * The document model shared by every reader, stage and writer.
 *
 * Ownership: every slice and string in a struct th_doc points into the batch
 * arena the document was read into (or into static storage); all of it is
 * valid until that arena is reset, which the pipeline does after the batch
 * has been written. Stages that rewrite the text allocate the new text from
 * the arena they are given and point doc->text at it.
 */
#ifndef THRESH_DOC_H
#define THRESH_DOC_H

#include "thresh/core.h"

/* What doc->text holds. */
enum th_doc_kind {
    TH_DOC_TEXT = 0,  /* plain UTF-8 text */
    TH_DOC_HTML = 1,  /* raw HTML body bytes in the charset of doc->source */
};

enum th_verdict {
    TH_KEEP = 0,      /* the document goes on to the next stage / output */
    TH_DROP = 1,      /* a stage rejected it; drop_stage and drop_reason say why */
};

/* Where a document came from (all optional except input and offset). */
struct th_source {
    const char *input;         /* input path as given ("-" for stdin) */
    uint64_t offset;           /* byte offset in the input file of the record,
                                  or of the gzip member / zstd frame holding
                                  its start when the input is compressed */
    uint64_t decoded_offset;   /* offset of the record after decompression */
    struct th_slice record_id;  /* WARC-Record-ID, without angle brackets */
    struct th_slice date;       /* WARC-Date or the JSONL date field */
    struct th_slice target_uri; /* WARC-Target-URI */
    int http_status;           /* HTTP status code, 0 when unknown */
    struct th_slice content_type; /* media type, e.g. "text/html" */
    struct th_slice charset;    /* charset from the HTTP Content-Type, if any */
    struct th_slice format;     /* "warc", "wet", "jsonl" or "text" */
};

/* One metadata member: key and its value as a complete JSON value. */
struct th_meta {
    const char *key;           /* NUL-terminated key */
    struct th_slice json;       /* JSON text of the value, e.g. "0.93" or "\"en\"" */
};

/*
 * A member of the input JSON object that thresh does not interpret; written
 * back unchanged at the top level of the output object.
 */
struct th_passthrough {
    struct th_slice key;        /* the raw key text, still JSON-escaped, no quotes */
    struct th_slice json;       /* the raw JSON value text */
};

struct th_doc {
    uint64_t seq;              /* 0-based position in the run's input order */
    enum th_doc_kind kind;     /* what text holds */
    struct th_slice id;         /* document id (WARC-Record-ID or the id field) */
    struct th_slice url;        /* page URL, may be empty */
    struct th_slice text;       /* content: UTF-8 text or raw HTML */
    struct th_source source;    /* provenance */
    struct th_passthrough *passthrough; /* unknown top-level input members */
    size_t n_passthrough;       /* number of passthrough members */
    struct th_meta *meta;       /* metadata: input metadata then annotations */
    size_t n_meta;              /* members in use */
    size_t cap_meta;            /* members allocated */
    struct th_slice lang;       /* language code set by langid, empty if none */
    double lang_score;          /* langid score of lang, 0 when unset */
    enum th_verdict verdict;    /* TH_KEEP unless a stage dropped it */
    const char *drop_stage;     /* name of the stage that dropped it */
    const char *drop_reason;    /* reason code, e.g. "gopher_short_doc" */
    const char *damage;         /* non-NULL when the reader found the record damaged */
    void *priv;                 /* a stage's per-document data (see stage.h) */
};

/* Reset doc to an empty kept TEXT document. */
void th_doc_init(struct th_doc *doc);

/*
 * Set metadata member key to the JSON value json (copied into arena). An
 * existing member with that key is replaced in place, so input metadata is
 * overwritten by a stage's annotation of the same name.
 */
int th_doc_set_meta_json(struct th_doc *doc, struct th_arena *arena,
                         const char *key, const char *json, size_t json_len);

/* Convenience forms: a string (JSON-escaped here), an integer, a double. */
int th_doc_set_meta_str(struct th_doc *doc, struct th_arena *arena,
                        const char *key, const char *value, size_t len);
int th_doc_set_meta_int(struct th_doc *doc, struct th_arena *arena,
                        const char *key, int64_t value);
int th_doc_set_meta_double(struct th_doc *doc, struct th_arena *arena,
                           const char *key, double value);

/* The metadata member called key, or NULL. */
const struct th_meta *th_doc_get_meta(const struct th_doc *doc,
                                      const char *key);

/* Mark doc dropped by stage for reason (both static or arena strings). */
void th_doc_drop(struct th_doc *doc, const char *stage, const char *reason);

#endif
