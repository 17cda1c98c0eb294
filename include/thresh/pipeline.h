/*
 * The pipeline runner: inputs → reader → batches → N workers running the
 * parallel stages → one writer thread that runs the serial stages in input
 * order and writes kept documents to OUTDIR/docs/ and rejected ones to
 * OUTDIR/rejects/, then OUTDIR/stats.json.
 *
 * Guarantees: every document read ends up in exactly one of docs/ or
 * rejects/ (read = kept + rejected); output bytes depend only on the inputs
 * and options, never on the thread count; shards appear under their final
 * names only when complete.
 */
#ifndef THRESH_PIPELINE_H
#define THRESH_PIPELINE_H

#include "thresh/config.h"
#include "thresh/io.h"
#include "thresh/stage.h"

/* Progress snapshot for a live display (called from the reading thread). */
struct th_progress {
    uint64_t docs_read;        /* documents read so far */
    uint64_t docs_kept;        /* written to docs/ so far */
    uint64_t bytes_done;       /* input bytes consumed, all inputs */
    uint64_t bytes_total;      /* input bytes in all inputs (0 if unknown) */
    double seconds;            /* since the start */
    const char *input;         /* the input being read */
};

typedef void (*th_progress_fn)(const struct th_progress *p, void *ctx);

struct th_pipeline_options {
    const char *const *inputs;         /* paths ("-" = stdin), in order */
    size_t n_inputs;                   /* number of inputs */
    const char *outdir;                /* output directory */
    const char *stages;                /* comma list; NULL = default */
    int threads;                       /* workers; <= 0 = all cores */
    const struct th_config *cfg;       /* stage options, may be NULL */
    struct th_reader_options reader;   /* reader options (warning cb too) */
    struct th_writer_options writer;   /* shard options */
    size_t batch_docs;                 /* documents per batch, 0 = 256 */
    size_t batch_bytes;                /* text bytes that close a batch
                                        * early, 0 = 4 MiB */
    th_progress_fn on_progress;        /* may be NULL */
    void *progress_ctx;                /* passed to on_progress */
};

/* Totals of a run (also written to OUTDIR/stats.json). */
struct th_run_summary {
    uint64_t read;             /* documents read (damaged ones included) */
    uint64_t kept;             /* documents written to docs/ */
    uint64_t rejected;         /* documents written to rejects/ */
    uint64_t damaged;          /* damaged records or regions in the input */
    uint64_t inputs;           /* inputs opened */
    uint64_t inputs_failed;    /* inputs that could not be opened */
    uint64_t bytes_in;         /* input bytes (compressed) */
    uint64_t bytes_kept;       /* uncompressed JSONL bytes in docs/ */
    double seconds;            /* wall time */
};

/*
 * Run the pipeline. Returns 0 when the run completed (even if some input
 * was damaged: see summary->damaged and inputs_failed), or < 0 when it
 * could not (bad stage list or option, output not writable, out of
 * memory), with err set. Unknown stage names give TH_EINVAL.
 */
int th_pipeline_run(const struct th_pipeline_options *opts,
                    struct th_run_summary *summary, struct th_error *err);

/* Number of online CPUs (at least 1). */
int th_cpu_count(void);

#endif
