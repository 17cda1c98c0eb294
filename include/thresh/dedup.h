/*
 * thresh dedup: exact, URL and MinHash-LSH near-duplicate detection, and
 * repeated-line counting across a corpus (docs/dedup.md).
 *
 * Building blocks, usable on their own:
 *   - th_dedup_simplify(): the FineWeb text simplification used before
 *     shingling (lowercase, digit runs -> "0", punctuation -> space, NFD
 *     with combining marks removed, whitespace collapsed);
 *   - struct th_minhash: word n-gram shingles -> MinHash signature -> one
 *     64-bit hash per LSH band;
 *   - struct th_unionfind: connected components over dense document ids;
 *   - struct th_dedup_file: the checksummed intermediate file format of the
 *     multi-phase path (signatures, bucket entries, clusters, line counts);
 *   - struct th_sorter: fixed-size records sorted under a memory budget,
 *     spilling sorted runs to disk and merging them.
 *
 * Ownership is stated per function. Thread-safety: a struct th_minhash is
 * immutable after th_minhash_new() and may be shared by const pointer; all
 * other objects are single-threaded.
 */
#ifndef THRESH_DEDUP_H
#define THRESH_DEDUP_H

#include "thresh/core.h"

/* ---- text simplification and keys ---------------------------------- */

/*
 * Append the simplified form of text (UTF-8, invalid bytes dropped) to out:
 * lowercase; each maximal run of decimal digits becomes "0"; punctuation,
 * symbols and control characters become a space; NFD decomposition with
 * nonspacing marks (Mn) removed; runs of white space become one space; no
 * leading or trailing space. TH_ENOMEM / TH_ELIMIT from out.
 */
int th_dedup_simplify(const char *text, size_t len, struct th_buf *out);

/*
 * Hash of the exact-dedup key: XXH3 of the simplified text (the output of
 * th_dedup_simplify), so documents that differ only in case, spacing,
 * punctuation, digits or accents are exact duplicates. Never 0.
 */
uint64_t th_dedup_text_hash(const char *simplified, size_t len);

/*
 * Hash of a normalized URL: scheme dropped, host lowercased, "www." and a
 * default port dropped, fragment dropped, trailing "/" of the path dropped.
 * Returns 0 for an empty URL (0 means "no URL" everywhere in this module).
 */
uint64_t th_dedup_url_hash(const char *url, size_t len);

/* ---- MinHash and LSH ------------------------------------------------ */

/* Signature geometry; n_hashes = n_bands * n_rows. */
struct th_minhash_params {
    unsigned n_bands;        /* LSH bands, default 14 */
    unsigned n_rows;         /* signature values per band, default 8 */
    unsigned ngram;          /* words per shingle, default 5 */
    uint64_t seed;           /* seed of the hash family, default 1 */
    bool portable;           /* use the portable C kernel, not SIMD (tests) */
};

/* The defaults above (14 x 8, 5-grams, seed 1). */
void th_minhash_params_default(struct th_minhash_params *params);

/*
 * Bands and rows for n_hashes total values that suit a Jaccard threshold:
 * minimizes the area of false positives below and false negatives above
 * threshold under the S-curve 1 - (1 - s^r)^b, with b * r <= n_hashes.
 */
void th_minhash_choose_bands(double threshold, unsigned n_hashes,
                             unsigned *n_bands_out, unsigned *n_rows_out);

/* Probability that a pair of Jaccard s shares at least one band. */
double th_minhash_candidate_probability(double s, unsigned n_bands,
                                        unsigned n_rows);

struct th_minhash;

/*
 * Immutable hash family for params (copied); TH_EINVAL for bad geometry
 * (more than 4096 values, n-grams above 64). err may be NULL. Free with
 * th_minhash_free(); NULL is accepted there.
 */
int th_minhash_new(struct th_minhash **out,
                   const struct th_minhash_params *params,
                   struct th_error *err);
void th_minhash_free(struct th_minhash *minhash);

/* The parameters the family was built with. */
const struct th_minhash_params *th_minhash_params(
    const struct th_minhash *minhash);

/* Number of signature values (n_bands * n_rows). */
size_t th_minhash_n_hashes(const struct th_minhash *minhash);

/* A fingerprint of the parameters, stored in intermediate file headers. */
uint64_t th_minhash_fingerprint(const struct th_minhash *minhash);

/*
 * Shingle hashes of simplified text (words separated by single spaces, as
 * produced by th_dedup_simplify): one hash per window of ngram words (an
 * order-sensitive combination of the XXH3 hashes of its words);
 * a text of 1 .. ngram-1 words gives one shingle of all of it, an empty
 * text none. The hashes are appended to out (a buffer of uint64_t, its
 * len in bytes); with sort_unique they are sorted and deduplicated.
 */
int th_minhash_shingles(const struct th_minhash *minhash, const char *text,
                        size_t len, bool sort_unique, struct th_buf *out);

/*
 * MinHash signature of n shingle hashes into sig_out[n_hashes]. With n == 0
 * every value is UINT32_MAX. Thread-safe (reads minhash only).
 */
void th_minhash_sign(const struct th_minhash *minhash, const uint64_t *shingles,
                     size_t n, uint32_t *sig_out);

/*
 * One 64-bit hash per band of sig into bands_out[n_bands]; the band index is
 * mixed in, so equal values in different bands never collide.
 */
void th_minhash_bands(const struct th_minhash *minhash, const uint32_t *sig,
                      uint64_t *bands_out);

/* Fraction of equal positions of two signatures of n values. */
double th_minhash_estimate(const uint32_t *a, const uint32_t *b, size_t n);

/* True Jaccard of two sorted, duplicate-free sets of 64-bit hashes. */
double th_jaccard_sorted(const uint64_t *a, size_t n_a, const uint64_t *b,
                         size_t n_b);

/* ---- union-find ----------------------------------------------------- */

/*
 * Disjoint sets over ids 0 .. n-1 with path halving and union by "smaller
 * id becomes the root", so the root of every set is its smallest member
 * (the first document in input order): the result does not depend on the
 * order of the unions.
 */
struct th_unionfind {
    uint32_t *parent;        /* parent[i] <= i; parent[i] == i for roots */
    uint32_t *size;          /* set size, valid at roots */
    size_t n;                /* number of ids */
};

/* n singleton sets (8 bytes per id); TH_ENOMEM, TH_ELIMIT past 2^32. */
int th_unionfind_init(struct th_unionfind *uf, size_t n);
/* Free the arrays; the struct may be initialized again. */
void th_unionfind_release(struct th_unionfind *uf);
/* Root (smallest member) of id's set; halves the path on the way. */
uint32_t th_unionfind_find(struct th_unionfind *uf, uint32_t id);
/* Merge the sets of a and b; returns the root of the merged set. */
uint32_t th_unionfind_union(struct th_unionfind *uf, uint32_t a, uint32_t b);

/* ---- intermediate files --------------------------------------------- */

/*
 * File layout (all integers little-endian):
 *   header  64 bytes: magic "THRESHDD", version, kind, record_size,
 *           block_size, params fingerprint, shard index, a free 64-bit
 *           tag, header checksum (XXH3 of the bytes before it);
 *   blocks  each: u32 payload bytes, u32 record count, u64 XXH3 of the
 *           payload, then the payload (whole records, at most block_size;
 *           every block but the last is full);
 *   trailer 32 bytes: magic "THDDEND\0", total records, total blocks,
 *           XXH3 chain over the block checksums.
 * A reader checks the header and the trailer at open (so truncation is
 * found before any record is used) and each block's checksum before its
 * records are returned. Writers write to PATH.tmp and rename on close.
 */
enum th_dedup_file_kind {
    TH_DEDUP_FILE_SIGNATURES = 1, /* per document: ids, keys, signature */
    TH_DEDUP_FILE_BUCKETS = 2,    /* (band hash, doc id) sorted */
    TH_DEDUP_FILE_CLUSTERS = 3,   /* per removed/kept clustered doc */
    TH_DEDUP_FILE_LINES = 4,      /* (line hash, document count) sorted */
    TH_DEDUP_FILE_RUN = 5,        /* a spilled sorted run */
    TH_DEDUP_FILE_SHINGLES = 6,   /* shingle sets, for verification */
};

/* What a header says (filled by the reader, given to the writer). */
struct th_dedup_file_info {
    uint32_t kind;           /* enum th_dedup_file_kind */
    uint32_t record_size;    /* bytes per record, 1 .. 64 KiB */
    uint32_t block_size;     /* block payload limit, record_size .. 64 KiB;
                                0 at create means 64 KiB */
    uint64_t fingerprint;    /* parameters the data was made with */
    uint64_t shard;          /* input index or band the file belongs to */
    uint64_t tag;            /* kind-specific value (e.g. document count) */
    uint64_t n_records;      /* total records (reader: from the trailer) */
};

struct th_dedup_file;

/* Create path (as path.tmp until closed) for records described by info. */
int th_dedup_file_create(struct th_dedup_file **out, const char *path,
                         const struct th_dedup_file_info *info,
                         struct th_error *err);

/* Append n records of info.record_size bytes each. */
int th_dedup_file_write(struct th_dedup_file *file, const void *records,
                        size_t n, struct th_error *err);

/* Set the header tag before closing (written at close). */
void th_dedup_file_set_tag(struct th_dedup_file *file, uint64_t tag);

/* Flush, write the trailer, fsync-free rename into place, free. */
int th_dedup_file_close(struct th_dedup_file *file, struct th_error *err);

/* Free without finishing; the temporary file is removed. NULL ok. */
void th_dedup_file_abort(struct th_dedup_file *file);

/*
 * Open path for reading; checks header, trailer and file size. kind, when
 * non-zero, must match. Errors name the file: TH_EFORMAT "'p': truncated",
 * "'p': bad header checksum", ...; TH_EIO when it cannot be opened.
 */
int th_dedup_file_open(struct th_dedup_file **out, const char *path,
                       uint32_t kind, struct th_error *err);

/* The header and trailer information of an open reader. */
const struct th_dedup_file_info *th_dedup_file_info(
    const struct th_dedup_file *file);

/*
 * Next record: *record_out points at record_size bytes valid until the next
 * call. Returns 1, 0 at the end (after checking the trailer totals), or a
 * negative status naming the file and the block that failed its checksum.
 */
int th_dedup_file_next(struct th_dedup_file *file, const void **record_out,
                       struct th_error *err);

/*
 * Random access for a reader opened with th_dedup_file_open(): copy records
 * first .. first+n-1 into out (n * record_size bytes), checking the
 * checksum of every block it reads (the last block read is cached). Do not
 * mix with th_dedup_file_next() on the same reader.
 */
int th_dedup_file_read_at(struct th_dedup_file *file, uint64_t first,
                          size_t n, void *out, struct th_error *err);

/* Close a reader or abort a writer; NULL ok. */
void th_dedup_file_free(struct th_dedup_file *file);

/*
 * Parse a whole intermediate file held in memory (the fuzz entry point):
 * same checks as the reader; returns the number of records or < 0.
 */
int64_t th_dedup_file_check_buffer(const uint8_t *data, size_t len,
                                   struct th_error *err);

/* ---- external sort ---------------------------------------------------- */

/*
 * Sorts records of n_words 64-bit words, compared word by word, under a
 * memory budget: records accumulate in memory; when they would exceed the
 * budget the buffer is sorted and written as a run file in tmp_dir; the
 * output is the k-way merge of all runs. Equal records stay (callers
 * aggregate). Run files are removed by th_sorter_free().
 */
struct th_sorter;

int th_sorter_new(struct th_sorter **out, unsigned n_words, size_t budget,
                  const char *tmp_dir, struct th_error *err);

/* Add one record of n_words words. Not allowed after th_sorter_finish(). */
int th_sorter_add(struct th_sorter *sorter, const uint64_t *record,
                  struct th_error *err);

/* Start reading the sorted records. */
int th_sorter_finish(struct th_sorter *sorter, struct th_error *err);

/* Next record in order: 1 with *record_out set (valid until the next
 * call), 0 at the end, < 0 on error. */
int th_sorter_next(struct th_sorter *sorter, const uint64_t **record_out,
                   struct th_error *err);

/* Number of run files spilled so far (for tests and reports). */
size_t th_sorter_runs(const struct th_sorter *sorter);

void th_sorter_free(struct th_sorter *sorter);

/* ---- repeated lines --------------------------------------------------- */

/*
 * Append to out (a buffer of uint64_t; its len must be a multiple of 8) the
 * sorted, duplicate-free hashes of the lines of text (split on '\n'; each
 * simplified as th_dedup_simplify does; lines that simplify to nothing are
 * skipped). scratch is reused between calls.
 */
int th_dedup_line_hashes(const char *text, size_t len, struct th_buf *scratch,
                         struct th_buf *out);

/* Hash of one line, as th_dedup_line_hashes computes it (0: empty line). */
int th_dedup_line_hash(const char *line, size_t len, struct th_buf *scratch,
                       uint64_t *hash_out);

#endif
