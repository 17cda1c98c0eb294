/*
 * Pipeline runner [zstd zstdmt]: reader threads (the calling thread and up
 * to threads-1 more, one input each) read documents into batches (each
 * batch owns an arena holding every byte of its documents); a bounded
 * queue hands batches to N workers that run the parallel process() of
 * each selected stage, then the ordered section (process_serial() in
 * (input, batch) order, run by whichever worker finds the next batch
 * parked, so no worker ever waits holding one), then serialize and
 * compress the batch; one writer thread appends the compressed batches to
 * docs/ and rejects/ in (input, batch) order and recycles them. With one
 * thread the reading thread does all of it inline.
 *
 * Determinism: batch boundaries depend only on the input (a batch closes at
 * batch_docs documents or batch_bytes of text, whichever comes first), the
 * ordered section and the writer follow (input, batch), and compression is
 * per batch, so the output is byte-identical for any thread count.
 * Memory: at most 3 * threads + 2 batches exist at once, plus at most two
 * for the input the ordered consumers wait on (a reader of a later input
 * holding every batch would otherwise starve them). Workers take the
 * earliest batch read (by position), so the input being written always
 * goes first; readers of later inputs hold at most 2 * threads + 1
 * batches, which the workers fill their idle time with. That matters at
 * the end of each input: with only threads + 1 batches read ahead (and a
 * first-in first-out queue) the workers ran out of work while the last
 * batch of an input was processed, and -j2 idled 8% of its run.
 * Accounting: every document read is written to exactly one of the two
 * outputs; damaged records go straight to rejects with filter_stage "read".
 *
 * Rejected: a thread per stage (stages differ wildly in cost, so a
 * per-document worker running all stages balances load better); a shared
 * work-stealing deque (ordering then needs a reorder buffer anyway).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thresh/pipeline.h"
#include "../core/banned.h"

#define MAX_STAGES 16
#define MAX_REASONS 64

struct reason_count {
    char *reason;                /* owned copy */
    uint64_t count;              /* documents dropped for it */
};

struct stage_stats {
    uint64_t docs_in;            /* documents the stage processed */
    uint64_t dropped;            /* documents it dropped */
    uint64_t errors;             /* process() failures */
    uint64_t bytes_in;           /* text bytes it was given */
    uint64_t bytes_out;          /* text bytes of documents it kept */
    uint64_t ns;                 /* time spent in it */
    struct reason_count reasons[MAX_REASONS]; /* per reason */
    size_t n_reasons;            /* reasons in use */
};

/* A position in output order: batch k of input file `file`. */
struct cursor {
    size_t file;                 /* input index */
    uint64_t k;                  /* batch index within that input */
};

struct batch {
    struct cursor at;            /* where it stands in output order */
    struct th_arena *arena;      /* owns every byte of the documents */
    struct th_doc *docs;         /* documents, input order */
    void **priv;                 /* n * n_stages per-stage private data */
    size_t n;                    /* documents in use */
    size_t cap;                  /* documents allocated */
    size_t text_bytes;           /* text bytes of its documents */
    struct th_buf enc_kept;      /* encoded JSONL of the kept documents */
    struct th_buf enc_rejected;  /* encoded JSONL of the rejected ones */
    uint64_t raw_kept;           /* JSONL bytes before encoding */
    uint64_t raw_rejected;       /* likewise */
    uint64_t n_kept;             /* kept documents */
    uint64_t n_rejected;         /* rejected documents */
    struct batch *next;          /* queue link */
};

struct worker {
    struct run *run;             /* back pointer */
    pthread_t thread;            /* the thread */
    void *state[MAX_STAGES];     /* per-stage state */
    struct stage_stats stats[MAX_STAGES]; /* per-stage counters */
    struct th_error err;         /* last error */
    struct th_encoder *encoder;  /* compresses this worker's batches */
    struct th_buf lines;         /* serialization scratch */
    int rc;                      /* fatal failure, 0 if none */
};

struct run {
    const struct th_pipeline_options *opts; /* caller's options */
    const struct th_stage_type *stages[MAX_STAGES]; /* selected, in order */
    void *shared[MAX_STAGES];    /* shared stage objects */
    size_t n_stages;             /* selected stages */
    pthread_mutex_t lock;        /* guards everything below */
    pthread_cond_t cond;         /* any change */
    struct batch *todo;          /* read, not processed, sorted by
                                  * position: workers take the earliest,
                                  * so the input being written comes
                                  * first and batches read ahead fill
                                  * the gaps */
    struct batch *done;          /* encoded, sorted by position */
    struct batch *serial_ready;  /* waiting for the ordered section, sorted */
    bool serial_busy;            /* a worker is in the ordered section */
    struct batch *free_list;     /* recycled batches */
    size_t n_batches;            /* batches allocated */
    size_t max_batches;          /* cap on batches */
    size_t max_ahead;            /* cap on batches of inputs the writer
                                  * does not wait on yet */
    size_t inflight_total;       /* sum of inflight[] */
    bool reading_done;           /* no more batches will be queued */
    bool abort;                  /* a fatal error happened */
    struct cursor write_at;      /* next batch the writer takes */
    struct cursor serial_at;     /* next batch for the serial stages */
    int64_t *file_batches;       /* batches per input, -1 while reading */
    uint32_t *inflight;          /* batches per input not yet written */
    size_t next_input;           /* next input a reader thread takes */
    size_t readers_left;         /* reader threads still running */
    uint64_t bytes_done;         /* input bytes of finished inputs */
    bool has_serial;             /* some selected stage has process_serial */
    struct th_writer *kept;      /* docs/ */
    struct th_writer *rejects;   /* rejects/ */
    struct stage_stats serial_stats[MAX_STAGES]; /* ordered-section counters */
    struct stage_stats read_stats; /* damaged records at read time */
    struct th_run_summary sum;   /* totals */
    struct th_error writer_err;  /* writer failure */
    struct th_error serial_err;  /* serial stage failure details */
    int writer_rc;               /* writer fatal failure */
    uint64_t kept_live;          /* for progress */
    pthread_t writer_thread_storage; /* the writer thread */
    struct worker *inline_worker; /* -j1: the reader runs this worker */
};

int th_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static bool cursor_is(const struct cursor *c, const struct batch *b)
{
    return c->file == b->at.file && c->k == b->at.k;
}

static bool batch_before(const struct batch *a, const struct batch *b)
{
    return a->at.file < b->at.file ||
           (a->at.file == b->at.file && a->at.k < b->at.k);
}

/* Skip inputs whose batches are all past (lock held). */
static void cursor_settle(const struct run *run, struct cursor *c)
{
    while (c->file < run->opts->n_inputs &&
           run->file_batches[c->file] >= 0 &&
           c->k >= (uint64_t)run->file_batches[c->file]) {
        c->file++;
        c->k = 0;
    }
}

static void cursor_advance(const struct run *run, struct cursor *c)
{
    c->k++;
    cursor_settle(run, c);
}

static bool cursor_at_end(const struct run *run, const struct cursor *c)
{
    return c->file >= run->opts->n_inputs;
}

/* Insert b into a list sorted by position (lock held). */
static void insert_sorted(struct batch **list, struct batch *b)
{
    while (*list && batch_before(*list, b))
        list = &(*list)->next;
    b->next = *list;
    *list = b;
}

static void count_reason(struct stage_stats *st, const char *reason)
{
    for (size_t i = 0; i < st->n_reasons; i++) {
        if (strcmp(st->reasons[i].reason, reason) == 0) {
            st->reasons[i].count++;
            return;
        }
    }
    if (st->n_reasons == MAX_REASONS) {
        /* fold the rest into the last slot rather than lose counts */
        st->reasons[MAX_REASONS - 1].count++;
        return;
    }
    char *copy = strdup(reason);
    if (!copy)
        return;
    st->reasons[st->n_reasons].reason = copy;
    st->reasons[st->n_reasons].count = 1;
    st->n_reasons++;
}

static void merge_stats(struct stage_stats *into,
                        const struct stage_stats *from)
{
    into->docs_in += from->docs_in;
    into->dropped += from->dropped;
    into->errors += from->errors;
    into->bytes_in += from->bytes_in;
    into->bytes_out += from->bytes_out;
    into->ns += from->ns;
    for (size_t i = 0; i < from->n_reasons; i++)
        for (uint64_t k = 0; k < from->reasons[i].count; k++)
            count_reason(into, from->reasons[i].reason);
}

static void free_stats(struct stage_stats *st)
{
    for (size_t i = 0; i < st->n_reasons; i++)
        free(st->reasons[i].reason);
    st->n_reasons = 0;
}

/* ---- batches --------------------------------------------------------- */

static struct batch *batch_new(struct run *run, struct th_error *err)
{
    struct batch *b = calloc(1, sizeof(*b));
    size_t cap = run->opts->batch_docs;
    if (!b)
        goto out_nomem;
    if (th_arena_new(&b->arena, 0, 0) < 0)
        goto out_nomem;
    b->docs = calloc(cap, sizeof(*b->docs));
    b->priv = calloc(cap * (run->n_stages ? run->n_stages : 1),
                     sizeof(*b->priv));
    if (!b->docs || !b->priv)
        goto out_nomem;
    b->cap = cap;
    th_buf_init(&b->enc_kept, 0);
    th_buf_init(&b->enc_rejected, 0);
    return b;
out_nomem:
    if (b) {
        th_arena_free(b->arena);
        free(b->docs);
        free(b->priv);
        free(b);
    }
    th_error_set(err, TH_ENOMEM, "out of memory");
    return NULL;
}

static void batch_free(struct batch *b)
{
    if (!b)
        return;
    th_arena_free(b->arena);
    th_buf_release(&b->enc_kept);
    th_buf_release(&b->enc_rejected);
    free(b->docs);
    free(b->priv);
    free(b);
}

/* Batches of input `file` not yet written, one more / one fewer (lock). */
static void inflight_add(struct run *run, size_t file, int delta)
{
    run->inflight[file] += (uint32_t)delta;
    run->inflight_total += (size_t)delta;
}

/* Is `file` an input the ordered consumers (serial stages, writer) wait on? */
static bool is_head_input(const struct run *run, size_t file)
{
    return file == run->serial_at.file || file == run->write_at.file;
}

/*
 * May a reader of input `file` take a batch now (lock held)? Output is in
 * input order, so a reader ahead of the writer only fills batches that
 * wait; it may hold at most max_ahead of them, which leaves threads + 1
 * batches to the input the writer waits on, and the workers take that
 * input's batches first.
 * The head input may always have two batches even over the cap (else a
 * reader of a later input holding every batch would starve the ordered
 * consumers: deadlock).
 */
static bool may_take_batch(const struct run *run, size_t file)
{
    bool any = run->free_list || run->n_batches < run->max_batches;
    if (is_head_input(run, file))
        return any || run->inflight[file] < 2;
    size_t head = 0;
    if (!cursor_at_end(run, &run->write_at))
        head += run->inflight[run->write_at.file];
    if (!cursor_at_end(run, &run->serial_at) &&
        run->serial_at.file != run->write_at.file)
        head += run->inflight[run->serial_at.file];
    return any && run->inflight_total - head < run->max_ahead;
}

/* A batch to fill: recycled or new; waits until may_take_batch(). */
static struct batch *batch_get(struct run *run, size_t file,
                               struct th_error *err)
{
    struct batch *b = NULL;
    pthread_mutex_lock(&run->lock);
    while (!run->abort && !may_take_batch(run, file))
        pthread_cond_wait(&run->cond, &run->lock);
    if (run->abort) {
        pthread_mutex_unlock(&run->lock);
        return NULL;
    }
    if (run->free_list) {
        b = run->free_list;
        run->free_list = b->next;
    } else {
        run->n_batches++;
    }
    inflight_add(run, file, 1);
    pthread_mutex_unlock(&run->lock);
    if (!b) {
        b = batch_new(run, err);
        if (!b) {
            pthread_mutex_lock(&run->lock);
            run->n_batches--;
            inflight_add(run, file, -1);
            pthread_mutex_unlock(&run->lock);
        }
    }
    if (b) {
        th_arena_reset(b->arena);
        th_buf_reset(&b->enc_kept);
        th_buf_reset(&b->enc_rejected);
        b->raw_kept = b->raw_rejected = b->n_kept = b->n_rejected = 0;
        b->n = 0;
        b->text_bytes = 0;
        b->next = NULL;
    }
    return b;
}

static void batch_put_free(struct run *run, struct batch *b)
{
    pthread_mutex_lock(&run->lock);
    inflight_add(run, b->at.file, -1);
    b->next = run->free_list;
    run->free_list = b;
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

/* ---- workers --------------------------------------------------------- */

static bool stage_applies(const struct th_stage_type *t,
                          const struct th_doc *doc)
{
    if ((t->flags & TH_STAGE_HTML_ONLY) && doc->kind != TH_DOC_HTML)
        return false;
    if ((t->flags & TH_STAGE_TEXT_ONLY) && doc->kind != TH_DOC_TEXT)
        return false;
    return true;
}

static int run_stage(const struct th_stage_type *t, void *obj,
                     bool serial, struct th_doc *doc, struct th_arena *arena,
                     struct stage_stats *st, struct th_error *err)
{
    uint64_t t0 = th_now_ns();
    size_t before = doc->text.len;
    int rc = serial ? t->process_serial(obj, doc, arena, err)
                    : t->process(obj, doc, arena, err);
    st->ns += th_now_ns() - t0;
    /* a stage with both callbacks is counted once, on its parallel side */
    if (!serial || !t->process) {
        st->docs_in++;
        st->bytes_in += before;
    }
    if (rc < 0) {
        /* a real failure on this document: drop it, go on */
        st->errors++;
        const char *reason = th_arena_printf(arena, "error_%s",
                                             th_status_str(rc));
        th_doc_drop(doc, t->name, reason ? reason : "error");
        if (err->msg[0])
            th_doc_set_meta_str(doc, arena, "filter_error", err->msg,
                                strlen(err->msg));
        th_error_clear(err);
    }
    if (doc->verdict == TH_DROP) {
        st->dropped++;
        count_reason(st, doc->drop_reason ? doc->drop_reason : "unknown");
        if (!doc->drop_stage)
            doc->drop_stage = t->name;
    } else if (serial || !t->process_serial) {
        st->bytes_out += doc->text.len;
    }
    return 0;
}

static void process_batch(struct run *run, struct worker *w, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct th_doc *doc = &b->docs[i];
        for (size_t s = 0; s < run->n_stages; s++) {
            const struct th_stage_type *t = run->stages[s];
            if (doc->verdict == TH_DROP)
                break;
            if (!t->process || !stage_applies(t, doc))
                continue;
            doc->priv = NULL;
            run_stage(t, w->state[s], false, doc, b->arena, &w->stats[s],
                      &w->err);
            b->priv[i * run->n_stages + s] = doc->priv;
        }
        doc->priv = NULL;
    }
}

/* Run the serial stages on one batch (the caller holds the section). */
static void serial_batch(struct run *run, struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct th_doc *doc = &b->docs[i];
        for (size_t s = 0; s < run->n_stages; s++) {
            const struct th_stage_type *t = run->stages[s];
            if (doc->verdict == TH_DROP)
                break;
            if (!t->process_serial || !stage_applies(t, doc))
                continue;
            doc->priv = b->priv[i * run->n_stages + s];
            run_stage(t, run->shared[s], true, doc, b->arena,
                      &run->serial_stats[s], &run->serial_err);
        }
        doc->priv = NULL;
    }
}

/* Serialize and encode the batch (in the worker, in parallel). */
static int encode_batch(struct worker *w, struct batch *b)
{
    for (int pass = 0; pass < 2; pass++) {
        bool want_dropped = pass == 1;
        th_buf_reset(&w->lines);
        uint64_t count = 0;
        for (size_t i = 0; i < b->n; i++) {
            const struct th_doc *doc = &b->docs[i];
            if ((doc->verdict == TH_DROP) != want_dropped)
                continue;
            int rc = th_doc_to_jsonl(doc, &w->lines);
            if (rc < 0)
                return th_error_set(&w->err, rc, "cannot serialize "
                                    "document %llu",
                                    (unsigned long long)doc->seq);
            count++;
        }
        struct th_buf *enc = want_dropped ? &b->enc_rejected : &b->enc_kept;
        int rc = th_encoder_encode(w->encoder, w->lines.ptr, w->lines.len,
                                   enc);
        if (rc < 0)
            return th_error_set(&w->err, rc, "cannot compress output");
        if (want_dropped) {
            b->raw_rejected = w->lines.len;
            b->n_rejected = count;
        } else {
            b->raw_kept = w->lines.len;
            b->n_kept = count;
        }
    }
    return 0;
}

/* Encode b and hand it to the writer. */
static void finish_batch(struct run *run, struct worker *w, struct batch *b)
{
    int rc = encode_batch(w, b);
    pthread_mutex_lock(&run->lock);
    if (rc < 0 && !run->abort) {
        w->rc = rc;
        run->writer_err = w->err;
        run->writer_rc = rc;
        run->abort = true;
    }
    insert_sorted(&run->done, b);
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

/* A parked batch is next for the ordered section and it is free. */
static bool serial_runnable(const struct run *run)
{
    return run->has_serial && !run->serial_busy && run->serial_ready &&
           cursor_is(&run->serial_at, run->serial_ready) && !run->abort;
}

/*
 * Run parked batches through the ordered section while the next one in
 * order is parked (lock held on entry and exit). A worker never blocks
 * holding a batch, so the section cannot deadlock; because a cursor can
 * also move when a reader finishes an input, idle workers check here too.
 */
static void run_parked(struct run *run, struct worker *w)
{
    while (serial_runnable(run)) {
        struct batch *next = run->serial_ready;
        run->serial_ready = next->next;
        run->serial_busy = true;
        pthread_mutex_unlock(&run->lock);
        serial_batch(run, next);
        pthread_mutex_lock(&run->lock);
        cursor_advance(run, &run->serial_at);
        run->serial_busy = false;
        pthread_cond_broadcast(&run->cond);
        pthread_mutex_unlock(&run->lock);
        finish_batch(run, w, next);
        pthread_mutex_lock(&run->lock);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *run = w->run;
    for (;;) {
        pthread_mutex_lock(&run->lock);
        for (;;) {
            if (run->abort) {
                pthread_mutex_unlock(&run->lock);
                return NULL;
            }
            if (serial_runnable(run)) {
                run_parked(run, w);
                continue;
            }
            if (run->todo)
                break;
            if (run->reading_done) {
                pthread_mutex_unlock(&run->lock);
                return NULL;
            }
            pthread_cond_wait(&run->cond, &run->lock);
        }
        struct batch *b = run->todo;
        run->todo = b->next;
        pthread_mutex_unlock(&run->lock);

        process_batch(run, w, b);
        if (!run->has_serial) {
            finish_batch(run, w, b);
            continue;
        }
        pthread_mutex_lock(&run->lock);
        insert_sorted(&run->serial_ready, b);
        run_parked(run, w);
        pthread_mutex_unlock(&run->lock);
    }
}

/* ---- writer ---------------------------------------------------------- */

static int write_batch(struct run *run, struct batch *b,
                       struct th_error *err)
{
    int rc = th_writer_write_encoded(run->kept, b->enc_kept.ptr,
                                     b->enc_kept.len, b->raw_kept, err);
    if (rc == 0)
        rc = th_writer_write_encoded(run->rejects, b->enc_rejected.ptr,
                                     b->enc_rejected.len, b->raw_rejected,
                                     err);
    run->sum.kept += b->n_kept;
    run->sum.rejected += b->n_rejected;
    return rc;
}

static void *writer_main(void *arg)
{
    struct run *run = arg;
    for (;;) {
        pthread_mutex_lock(&run->lock);
        while (!run->abort && !(run->done &&
                                cursor_is(&run->write_at, run->done)) &&
               !cursor_at_end(run, &run->write_at))
            pthread_cond_wait(&run->cond, &run->lock);
        if (run->abort || cursor_at_end(run, &run->write_at)) {
            pthread_mutex_unlock(&run->lock);
            break;
        }
        struct batch *b = run->done;
        run->done = b->next;
        pthread_mutex_unlock(&run->lock);

        int rc = write_batch(run, b, &run->writer_err);
        pthread_mutex_lock(&run->lock);
        cursor_advance(run, &run->write_at);
        inflight_add(run, b->at.file, -1);
        run->kept_live = run->sum.kept;
        if (rc < 0) {
            run->writer_rc = rc;
            run->abort = true;
        }
        b->next = run->free_list;
        run->free_list = b;
        pthread_cond_broadcast(&run->cond);
        pthread_mutex_unlock(&run->lock);
    }
    return NULL;
}

/* ---- setup ----------------------------------------------------------- */

static int select_stages(struct run *run, const char *list,
                         struct th_error *err)
{
    size_t n_all;
    const struct th_stage_type *const *all = th_stage_all(&n_all);
    if (!list) {
        /* the default: every stage, opt-in ones only when configured */
        for (size_t i = 0; i < n_all && i < MAX_STAGES; i++)
            if (!all[i]->enable_key ||
                th_config_get(run->opts->cfg, all[i]->enable_key))
                run->stages[run->n_stages++] = all[i];
        return 0;
    }
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof(name)) {
            if (len == 0 && comma) {
                p = comma + 1;
                continue;
            }
            if (len == 0)
                break;
            return th_error_set(err, TH_EINVAL, "bad stage name in '%s'",
                                list);
        }
        memcpy(name, p, len);
        name[len] = '\0';
        if (strcmp(name, "none") != 0) {
            const struct th_stage_type *t = th_stage_find(name);
            if (!t)
                return th_error_set(err, TH_EINVAL, "unknown stage '%s' "
                                    "(known: %s)", name,
                                    th_stage_default_list());
            for (size_t i = 0; i < run->n_stages; i++)
                if (run->stages[i] == t)
                    return th_error_set(err, TH_EINVAL, "stage '%s' listed "
                                        "twice", name);
            if (run->n_stages == MAX_STAGES)
                return th_error_set(err, TH_EINVAL, "too many stages");
            run->stages[run->n_stages++] = t;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

/*
 * Every "stage.key" option must name a known stage, and one the run uses
 * must have been read by it: a misspelled option is an error, not a
 * silently ignored setting.
 */
static int check_options(const struct run *run, struct th_error *err)
{
    const struct th_config *cfg = run->opts->cfg;
    if (!cfg)
        return 0;
    for (size_t i = 0; i < th_config_count(cfg); i++) {
        const char *key, *value;
        th_config_entry(cfg, i, &key, &value);
        const char *dot = strchr(key, '.');
        char stage[64];
        size_t len = dot ? (size_t)(dot - key) : strlen(key);
        if (len >= sizeof(stage))
            len = sizeof(stage) - 1;
        memcpy(stage, key, len);
        stage[len] = '\0';
        const struct th_stage_type *t = th_stage_find(stage);
        if (!t || !dot)
            return th_error_set(err, TH_EINVAL, "option '%s' names no stage "
                                "(stages: %s)", key, th_stage_default_list());
        bool selected = false;
        for (size_t s = 0; s < run->n_stages; s++)
            selected |= run->stages[s] == t;
        if (selected && !th_config_is_used(cfg, i))
            return th_error_set(err, TH_EINVAL, "option '%s' is not used by "
                                "stage '%s' (misspelled, or not applicable "
                                "with the other options)", key, stage);
    }
    return 0;
}

/* mkdir -p */
static int make_dir(const char *path, struct th_error *err)
{
    char tmp[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(tmp))
        return th_error_set(err, TH_EINVAL, "bad output directory '%s'",
                            path);
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return th_error_set(err, TH_EIO, "cannot create '%s': %s", tmp,
                                strerror(errno));
        *p = c;
        if (c == '\0')
            break;
    }
    return 0;
}

static void json_stage(FILE *f, const char *name, const struct stage_stats *s,
                       const char *info, bool last)
{
    if (info) {
        struct th_buf b;
        th_buf_init(&b, 0);
        th_buf_append_json_str(&b, info, strlen(info));
        fprintf(f, "    {\"name\": \"%s\", \"info\": \"%s\",\n     ", name,
                b.ptr ? b.ptr : "");
        th_buf_release(&b);
    } else {
        fprintf(f, "    {\"name\": \"%s\", ", name);
    }
    fprintf(f, "\"docs_in\": %llu, \"dropped\": %llu, "
            "\"errors\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, "
            "\"seconds\": %.6f, \"reasons\": {",
            (unsigned long long)s->docs_in, (unsigned long long)s->dropped,
            (unsigned long long)s->errors, (unsigned long long)s->bytes_in,
            (unsigned long long)s->bytes_out, (double)s->ns / 1e9);
    /* reasons sorted by name for a stable file */
    const struct reason_count *order[MAX_REASONS];
    for (size_t i = 0; i < s->n_reasons; i++)
        order[i] = &s->reasons[i];
    for (size_t i = 1; i < s->n_reasons; i++)
        for (size_t j = i; j > 0 &&
             strcmp(order[j - 1]->reason, order[j]->reason) > 0; j--) {
            const struct reason_count *t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t i = 0; i < s->n_reasons; i++) {
        struct th_buf b;
        th_buf_init(&b, 0);
        th_buf_append_json_str(&b, order[i]->reason,
                               strlen(order[i]->reason));
        fprintf(f, "%s\"%s\": %llu", i ? ", " : "", b.ptr ? b.ptr : "",
                (unsigned long long)order[i]->count);
        th_buf_release(&b);
    }
    fprintf(f, "}}%s\n", last ? "" : ",");
}

struct input_stats {
    const char *path;                 /* as given */
    struct th_reader_stats rs;        /* reader counters */
    const char *format;               /* detected format */
    const char *compression;          /* detected compression */
    bool failed;                      /* could not be opened */
    uint64_t fatal_damage;            /* 1 when reading stopped early */
};

static int write_stats(struct run *run, const struct input_stats *ins,
                       size_t n_ins, struct stage_stats *merged,
                       int threads, struct th_error *err)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/stats.json", run->opts->outdir);
    snprintf(tmp, sizeof(tmp), "%s/.stats.json.tmp", run->opts->outdir);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return th_error_set(err, TH_EIO, "cannot create '%s': %s", tmp,
                            strerror(errno));
    const struct th_run_summary *s = &run->sum;
    uint64_t skipped[TH_SKIP_N_REASONS] = {0};
    uint64_t decoded = 0;
    for (size_t i = 0; i < n_ins; i++) {
        for (int k = 0; k < TH_SKIP_N_REASONS; k++)
            skipped[k] += ins[i].rs.skipped[k];
        decoded += ins[i].rs.bytes_decoded;
    }
    fprintf(f, "{\n  \"thresh_version\": \"%s\",\n  \"read\": %llu,\n"
            "  \"kept\": %llu,\n  \"rejected\": %llu,\n  \"damaged\": %llu,\n"
            "  \"inputs\": %llu,\n  \"inputs_failed\": %llu,\n"
            "  \"bytes_in\": %llu,\n  \"bytes_decoded\": %llu,\n"
            "  \"bytes_kept\": %llu,\n  \"threads\": %d,\n"
            "  \"seconds\": %.3f,\n  \"skipped_records\": {",
            TH_VERSION_STRING, (unsigned long long)s->read,
            (unsigned long long)s->kept, (unsigned long long)s->rejected,
            (unsigned long long)s->damaged, (unsigned long long)s->inputs,
            (unsigned long long)s->inputs_failed,
            (unsigned long long)s->bytes_in, (unsigned long long)decoded,
            (unsigned long long)s->bytes_kept, threads, s->seconds);
    for (int k = 0; k < TH_SKIP_N_REASONS; k++)
        fprintf(f, "%s\"%s\": %llu", k ? ", " : "",
                th_skip_reason_str((enum th_skip_reason)k),
                (unsigned long long)skipped[k]);
    fprintf(f, "},\n  \"stages\": [\n");
    json_stage(f, "read", &run->read_stats, NULL, run->n_stages == 0);
    for (size_t i = 0; i < run->n_stages; i++) {
        const struct th_stage_type *t = run->stages[i];
        struct th_buf info;
        th_buf_init(&info, 4096);
        bool has = t->describe && run->shared[i] &&
                   t->describe(run->shared[i], &info) == 0 && info.ptr;
        json_stage(f, t->name, &merged[i], has ? info.ptr : NULL,
                   i + 1 == run->n_stages);
        th_buf_release(&info);
    }
    fprintf(f, "  ],\n  \"per_input\": [\n");
    for (size_t i = 0; i < n_ins; i++) {
        struct th_buf b;
        th_buf_init(&b, 0);
        th_buf_append_json_str(&b, ins[i].path, strlen(ins[i].path));
        fprintf(f, "    {\"path\": \"%s\", \"failed\": %s, \"format\": "
                "\"%s\", \"compression\": \"%s\", \"records\": %llu, "
                "\"damaged\": %llu, \"bytes_in\": %llu}%s\n",
                b.ptr ? b.ptr : "", ins[i].failed ? "true" : "false",
                ins[i].format, ins[i].compression,
                (unsigned long long)ins[i].rs.records,
                (unsigned long long)ins[i].rs.damaged,
                (unsigned long long)ins[i].rs.bytes_in,
                i + 1 == n_ins ? "" : ",");
        th_buf_release(&b);
    }
    fprintf(f, "  ]\n}\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return th_error_set(err, TH_EIO, "cannot write '%s'", path);
    return 0;
}

static const char *format_name(enum th_format f)
{
    switch (f) {
    case TH_FORMAT_WARC: return "warc";
    case TH_FORMAT_JSONL: return "jsonl";
    case TH_FORMAT_TEXT: return "text";
    default: return "unknown";
    }
}

static const char *compression_name(enum th_compression c)
{
    switch (c) {
    case TH_COMPRESSION_GZIP: return "gzip";
    case TH_COMPRESSION_ZSTD: return "zstd";
    default: return "none";
    }
}

/* Queue a filled batch for the workers. */
/*
 * -j1: the reading thread does everything itself, batch by batch, in
 * order (no worker or writer thread), so one thread really is one core.
 */
static void run_inline(struct run *run, struct batch *b)
{
    struct worker *w = run->inline_worker;
    process_batch(run, w, b);
    if (run->has_serial)
        serial_batch(run, b);
    int rc = encode_batch(w, b);
    if (rc < 0)
        run->writer_err = w->err;
    else
        rc = write_batch(run, b, &run->writer_err);
    pthread_mutex_lock(&run->lock);
    if (rc < 0) {
        run->writer_rc = rc;
        run->abort = true;
    }
    run->kept_live = run->sum.kept;
    inflight_add(run, b->at.file, -1);
    b->next = run->free_list;
    run->free_list = b;
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

static void enqueue(struct run *run, struct batch *b)
{
    if (run->inline_worker) {
        run_inline(run, b);
        return;
    }
    pthread_mutex_lock(&run->lock);
    insert_sorted(&run->todo, b);
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
}

struct reader_ctx {
    struct run *run;                 /* the run */
    struct input_stats *ins;         /* per-input stats, indexed by input */
    uint64_t total_bytes;            /* for progress */
    uint64_t t0;                     /* start time, for progress */
    bool report_progress;            /* this thread calls on_progress */
    struct th_error err;             /* fatal failure */
    int rc;                          /* fatal failure code */
    pthread_t thread;                /* the thread (not for the main one) */
};

/* Read input i into batches (file i, k = 0, 1, ...); < 0 only if fatal. */
static int read_one(struct reader_ctx *ctx, size_t i)
{
    struct run *run = ctx->run;
    struct input_stats *in = &ctx->ins[i];
    const struct th_pipeline_options *o = run->opts;
    struct th_reader *r;
    struct th_error rerr = {0};
    struct batch *b = NULL;
    uint64_t k = 0, n_docs = 0, last_progress = 0;
    struct stage_stats damaged;
    int rc = 0;

    memset(&damaged, 0, sizeof(damaged));
    in->path = o->inputs[i];
    in->format = "unknown";
    in->compression = "none";
    if (th_reader_open(&r, o->inputs[i], &o->reader, &rerr) < 0) {
        in->failed = true;
        if (o->reader.on_warning)
            o->reader.on_warning(rerr.msg, o->reader.warning_ctx);
        pthread_mutex_lock(&run->lock);
        run->sum.inputs_failed++;
        goto out_count;
    }
    in->format = format_name(th_reader_format(r));
    in->compression = compression_name(th_reader_compression(r));
    for (;;) {
        if (!b) {
            b = batch_get(run, i, &ctx->err);
            if (!b) {
                rc = run->abort ? TH_EIO : TH_ENOMEM;
                break;
            }
            b->at.file = i;
            b->at.k = k;
        }
        struct th_doc *doc = &b->docs[b->n];
        int n = th_reader_next(r, doc, b->arena, &rerr);
        if (n < 0) {
            /* the stream cannot go on: warn, count, next input */
            in->failed = true;
            in->fatal_damage = 1;
            if (o->reader.on_warning)
                o->reader.on_warning(rerr.msg, o->reader.warning_ctx);
            break;
        }
        if (n == 0)
            break;
        doc->seq = n_docs++;
        if (doc->damage) {
            th_doc_drop(doc, "read", doc->damage);
            damaged.docs_in++;
            damaged.dropped++;
            count_reason(&damaged, doc->damage);
        }
        b->text_bytes += doc->text.len;
        if (++b->n == b->cap || b->text_bytes >= o->batch_bytes) {
            enqueue(run, b);
            b = NULL;
            k++;
        }
        uint64_t now = th_now_ns();
        if (ctx->report_progress && o->on_progress &&
            now - last_progress > 200000000u) {
            pthread_mutex_lock(&run->lock);
            struct th_progress p = {
                .docs_read = run->sum.read + n_docs,
                .docs_kept = run->kept_live,
                .bytes_done = run->bytes_done + th_reader_stats(r)->bytes_in,
                .bytes_total = ctx->total_bytes,
                .seconds = (double)(now - ctx->t0) / 1e9,
                .input = o->inputs[i],
            };
            pthread_mutex_unlock(&run->lock);
            last_progress = now;
            o->on_progress(&p, o->progress_ctx);
        }
    }
    if (b && b->n) {
        enqueue(run, b);
        k++;
    } else if (b) {
        batch_put_free(run, b);
    }
    in->rs = *th_reader_stats(r);
    th_reader_free(r);
    pthread_mutex_lock(&run->lock);
    run->sum.inputs++;
    run->sum.read += n_docs;
    run->sum.damaged += in->rs.damaged + in->fatal_damage;
    run->sum.bytes_in += in->rs.bytes_in;
    run->bytes_done += in->rs.bytes_in;
    merge_stats(&run->read_stats, &damaged);
out_count:
    /* the ordered consumers may now step past this input */
    run->file_batches[i] = (int64_t)k;
    cursor_settle(run, &run->serial_at);
    cursor_settle(run, &run->write_at);
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
    free_stats(&damaged);
    return rc;
}

/* A reader thread: takes inputs in order until none is left. */
static void *reader_main(void *arg)
{
    struct reader_ctx *ctx = arg;
    struct run *run = ctx->run;
    for (;;) {
        pthread_mutex_lock(&run->lock);
        size_t i = run->next_input;
        bool stop = i >= run->opts->n_inputs || run->abort;
        if (!stop)
            run->next_input++;
        pthread_mutex_unlock(&run->lock);
        if (stop)
            break;
        int rc = read_one(ctx, i);
        if (rc < 0) {
            ctx->rc = rc;
            pthread_mutex_lock(&run->lock);
            run->abort = true;
            pthread_cond_broadcast(&run->cond);
            pthread_mutex_unlock(&run->lock);
            break;
        }
    }
    pthread_mutex_lock(&run->lock);
    if (--run->readers_left == 0)
        run->reading_done = true;
    pthread_cond_broadcast(&run->cond);
    pthread_mutex_unlock(&run->lock);
    return NULL;
}

/*
 * Read every input into batches with n_readers threads (this one
 * included): one input per thread at a time, so several inputs decode in
 * parallel while the output order stays (input, batch).
 */
static int read_inputs(struct run *run, struct input_stats *ins,
                       uint64_t total_bytes, int n_readers,
                       struct th_error *err)
{
    struct reader_ctx *ctx = calloc((size_t)n_readers, sizeof(*ctx));
    int started = 1, rc = 0;
    if (!ctx)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    run->readers_left = (size_t)n_readers;
    for (int t = 0; t < n_readers; t++) {
        ctx[t].run = run;
        ctx[t].ins = ins;
        ctx[t].total_bytes = total_bytes;
        ctx[t].t0 = th_now_ns();
        ctx[t].report_progress = t == 0;
    }
    for (; started < n_readers; started++) {
        if (pthread_create(&ctx[started].thread, NULL, reader_main,
                           &ctx[started]) != 0) {
            pthread_mutex_lock(&run->lock);
            run->readers_left -= (size_t)(n_readers - started);
            pthread_mutex_unlock(&run->lock);
            break;
        }
    }
    reader_main(&ctx[0]);
    for (int t = 1; t < started; t++)
        pthread_join(ctx[t].thread, NULL);
    for (int t = 0; t < n_readers && rc == 0; t++) {
        if (ctx[t].rc < 0) {
            rc = ctx[t].rc;
            *err = ctx[t].err;
        }
    }
    free(ctx);
    return rc;
}

int th_pipeline_run(const struct th_pipeline_options *opts_in,
                    struct th_run_summary *summary, struct th_error *err)
{
    struct th_pipeline_options opts = *opts_in;
    struct run run;
    struct worker *workers = NULL;
    struct input_stats *ins = NULL;
    struct stage_stats merged[MAX_STAGES];
    int threads, rc, n_started = 0;
    bool writer_started = false;
    uint64_t t0 = th_now_ns();
    char dir[4200];

    memset(&run, 0, sizeof(run));
    memset(merged, 0, sizeof(merged));
    if (!opts.batch_docs)
        opts.batch_docs = 256;
    if (!opts.batch_bytes)
        opts.batch_bytes = (size_t)4 << 20;
    threads = opts.threads > 0 ? opts.threads : th_cpu_count();
    if (threads > 256)
        threads = 256;
    run.opts = &opts;
    run.max_batches = (size_t)threads * 3 + 2;
    run.max_ahead = (size_t)threads * 2 + 1;
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.cond, NULL);

    if ((rc = select_stages(&run, opts.stages, err)) < 0)
        goto out;
    if ((rc = make_dir(opts.outdir, err)) < 0)
        goto out;
    snprintf(dir, sizeof(dir), "%s/docs", opts.outdir);
    if ((rc = th_writer_open(&run.kept, dir, &opts.writer, err)) < 0)
        goto out;
    snprintf(dir, sizeof(dir), "%s/rejects", opts.outdir);
    if ((rc = th_writer_open(&run.rejects, dir, &opts.writer, err)) < 0)
        goto out;
    for (size_t s = 0; s < run.n_stages; s++) {
        const struct th_stage_type *t = run.stages[s];
        if (t->shared_new && (rc = t->shared_new(&run.shared[s], opts.cfg,
                                                 err)) < 0)
            goto out;
    }
    run.file_batches = malloc((opts.n_inputs ? opts.n_inputs : 1) *
                              sizeof(*run.file_batches));
    if (!run.file_batches) {
        rc = th_error_set(err, TH_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < opts.n_inputs; i++)
        run.file_batches[i] = -1;
    run.inflight = calloc(opts.n_inputs ? opts.n_inputs : 1,
                          sizeof(*run.inflight));
    if (!run.inflight) {
        rc = th_error_set(err, TH_ENOMEM, "out of memory");
        goto out;
    }
    workers = calloc((size_t)threads, sizeof(*workers));
    ins = calloc(opts.n_inputs ? opts.n_inputs : 1, sizeof(*ins));
    if (!workers || !ins) {
        rc = th_error_set(err, TH_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t s = 0; s < run.n_stages; s++)
        if (run.stages[s]->process_serial)
            run.has_serial = true;
    for (int w = 0; w < threads; w++) {
        workers[w].run = &run;
        th_buf_init(&workers[w].lines, 0);
        if (th_encoder_new(&workers[w].encoder, opts.writer.compression,
                           opts.writer.level) < 0) {
            rc = th_error_set(err, TH_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t s = 0; s < run.n_stages; s++) {
            const struct th_stage_type *t = run.stages[s];
            if (t->create && (rc = t->create(&workers[w].state[s],
                                             run.shared[s], opts.cfg,
                                             err)) < 0)
                goto out;
        }
    }
    if ((rc = check_options(&run, err)) < 0)
        goto out;
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < opts.n_inputs; i++) {
        struct stat st;
        if (strcmp(opts.inputs[i], "-") != 0 &&
            stat(opts.inputs[i], &st) == 0)
            total_bytes += (uint64_t)st.st_size;
    }
    if (threads == 1)
        run.inline_worker = &workers[0];
    for (; n_started < threads && !run.inline_worker; n_started++) {
        if (pthread_create(&workers[n_started].thread, NULL, worker_main,
                           &workers[n_started]) != 0) {
            rc = th_error_set(err, TH_ENOMEM, "cannot start a thread");
            pthread_mutex_lock(&run.lock);
            run.abort = true;
            pthread_cond_broadcast(&run.cond);
            pthread_mutex_unlock(&run.lock);
            goto out_join;
        }
    }
    if (!run.inline_worker &&
        pthread_create(&run.writer_thread_storage, NULL, writer_main,
                       &run) != 0) {
        rc = th_error_set(err, TH_ENOMEM, "cannot start a thread");
        pthread_mutex_lock(&run.lock);
        run.abort = true;
        pthread_cond_broadcast(&run.cond);
        pthread_mutex_unlock(&run.lock);
        goto out_join;
    }
    writer_started = !run.inline_worker;
    int n_readers = threads < (int)opts.n_inputs ? threads
                                                 : (int)opts.n_inputs;
    rc = read_inputs(&run, ins, total_bytes, n_readers > 0 ? n_readers : 1,
                     err);
    if (rc < 0) {
        pthread_mutex_lock(&run.lock);
        run.abort = true;
        pthread_cond_broadcast(&run.cond);
        pthread_mutex_unlock(&run.lock);
    }
out_join:
    for (int w = 0; w < n_started; w++)
        pthread_join(workers[w].thread, NULL);
    if (writer_started)
        pthread_join(run.writer_thread_storage, NULL);
    if (rc == 0 && run.writer_rc < 0) {
        rc = run.writer_rc;
        *err = run.writer_err;
    }
    if (rc == 0) {
        run.sum.bytes_kept = th_writer_bytes(run.kept);
        rc = th_writer_close(run.kept, err);
        run.kept = NULL;
        if (rc == 0)
            rc = th_writer_close(run.rejects, err);
        run.rejects = NULL;
    }
    for (size_t s = 0; s < run.n_stages; s++) {
        for (int w = 0; w < threads && workers; w++)
            merge_stats(&merged[s], &workers[w].stats[s]);
        merge_stats(&merged[s], &run.serial_stats[s]);
    }
    run.sum.seconds = (double)(th_now_ns() - t0) / 1e9;
    if (rc == 0)
        rc = write_stats(&run, ins, opts.n_inputs, merged, threads, err);
    if (summary)
        *summary = run.sum;
out:
    th_writer_abort(run.kept);
    th_writer_abort(run.rejects);
    for (int w = 0; workers && w < threads; w++) {
        for (size_t s = 0; s < run.n_stages; s++) {
            if (workers[w].state[s] && run.stages[s]->destroy)
                run.stages[s]->destroy(workers[w].state[s]);
            free_stats(&workers[w].stats[s]);
        }
        th_encoder_free(workers[w].encoder);
        th_buf_release(&workers[w].lines);
    }
    for (size_t s = 0; s < run.n_stages; s++) {
        if (run.shared[s] && run.stages[s]->shared_free)
            run.stages[s]->shared_free(run.shared[s]);
        free_stats(&run.serial_stats[s]);
        free_stats(&merged[s]);
    }
    free_stats(&run.read_stats);
    while (run.todo) {
        struct batch *b = run.todo;
        run.todo = b->next;
        batch_free(b);
    }
    while (run.done) {
        struct batch *b = run.done;
        run.done = b->next;
        batch_free(b);
    }
    while (run.free_list) {
        struct batch *b = run.free_list;
        run.free_list = b->next;
        batch_free(b);
    }
    free(workers);
    free(ins);
    free(run.file_batches);
    free(run.inflight);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.cond);
    return rc;
}
