/*
 * bench_io: .warc.gz → pass-through pipeline → .jsonl.zst, against the
 * machine's ceiling measured in the same run.
 *
 * usage: bench_io [--rounds N] FILE.warc.gz...
 *
 * Ceiling (one core): libdeflate gunzip of every member of the inputs plus
 * zstd level 3 compression of the JSONL the pipeline wrote, both timed in
 * this process. thresh: `run -s none` through the library, with 1 and 2
 * worker threads; per-core throughput is input bytes / process CPU time.
 * Rounds are interleaved (ceiling, j1, j2, ceiling, ...) and medians
 * reported, because the machine is shared and noisy. The ceiling's work is
 * also run split over 2 threads (wall time), so the -j2 speedup can be set
 * beside what this machine's two cores give on the same work.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "thresh/pipeline.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Map a whole file read-only; NULL on failure (st gets its size). */
static const uint8_t *map_file(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    void *map = MAP_FAILED;
    if (fstat(fd, st) == 0 && st->st_size > 0)
        map = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    return map == MAP_FAILED ? NULL : map;
}

/* libdeflate gunzip of every member; returns decoded bytes. */
static size_t gunzip_all(const char *path, uint8_t *out, size_t cap)
{
    struct stat st;
    const uint8_t *map = map_file(path, &st);
    if (!map)
        return 0;
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t pos = 0, total = 0;
    while (pos < (size_t)st.st_size) {
        size_t in_used, out_used;
        if (libdeflate_gzip_decompress_ex(d, map + pos, (size_t)st.st_size -
                                          pos, out, cap, &in_used,
                                          &out_used) != LIBDEFLATE_SUCCESS)
            break;
        pos += in_used;
        total += out_used;
    }
    libdeflate_free_decompressor(d);
    munmap((void *)map, (size_t)st.st_size);
    return total;
}

/* zlib streaming gunzip of the whole file (all members), for comparison. */
static size_t zlib_gunzip_all(const char *path, uint8_t *out, size_t cap)
{
    struct stat st;
    const uint8_t *map = map_file(path, &st);
    if (!map)
        return 0;
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    inflateInit2(&zs, 16 + MAX_WBITS);
    size_t total = 0;
    zs.next_in = (Bytef *)map;
    zs.avail_in = (uInt)st.st_size;
    while (zs.avail_in) {
        zs.next_out = out;
        zs.avail_out = (uInt)(cap > (1u << 30) ? (1u << 30) : cap);
        int r = inflate(&zs, Z_NO_FLUSH);
        total += (size_t)(zs.next_out - out);
        if (r == Z_STREAM_END)
            inflateReset(&zs);
        else if (r != Z_OK)
            break;
    }
    inflateEnd(&zs);
    munmap((void *)map, (size_t)st.st_size);
    return total;
}

/* All output JSONL of a run directory, decompressed into memory. */
static uint8_t *load_output(const char *dir, size_t *len)
{
    char path[512];
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (int i = 0; i < 100000; i++) {
        snprintf(path, sizeof(path), "%s/docs/%05d.jsonl.zst", dir, i);
        FILE *f = fopen(path, "rb");
        if (!f)
            break;
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *z = malloc((size_t)sz);
        if (fread(z, 1, (size_t)sz, f) != (size_t)sz) {
            free(z);
            fclose(f);
            break;
        }
        fclose(f);
        ZSTD_DCtx *dc = ZSTD_createDCtx();
        ZSTD_inBuffer in = { z, (size_t)sz, 0 };
        while (in.pos < in.size) {
            if (cap - n < (1u << 20)) {
                cap *= 2;
                buf = realloc(buf, cap);
            }
            ZSTD_outBuffer o = { buf + n, cap - n, 0 };
            size_t r = ZSTD_decompressStream(dc, &o, &in);
            n += o.pos;
            if (ZSTD_isError(r))
                break;
        }
        ZSTD_freeDCtx(dc);
        free(z);
    }
    *len = n;
    return buf;
}

/*
 * The ceiling's own work split over two threads, to see how far this
 * machine's two cores scale on it: thread t gunzips every other input
 * (t, t + 2, ...) and compresses its half of the output.
 */
struct ceiling_half {
    const char *const *inputs;   /* all inputs */
    size_t n_inputs;             /* their number */
    int t;                       /* 0 or 1 */
    const uint8_t *out;          /* this half of the output */
    size_t out_len;              /* its length */
    uint8_t *scratch;            /* gunzip buffer */
    size_t cap;                  /* its size */
};

static void *ceiling_half_main(void *arg)
{
    struct ceiling_half *h = arg;
    for (size_t i = (size_t)h->t; i < h->n_inputs; i += 2)
        gunzip_all(h->inputs[i], h->scratch, h->cap);
    size_t zcap = ZSTD_compressBound(h->out_len);
    uint8_t *z = malloc(zcap);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_compressCCtx(cc, z, zcap, h->out, h->out_len, 3);
    ZSTD_freeCCtx(cc);
    free(z);
    return NULL;
}

/* Wall seconds of the ceiling work on `threads` (1 or 2) threads. */
static double ceiling_wall(const char *const *inputs, size_t n,
                           const uint8_t *out, size_t out_len, int threads,
                           uint8_t **scratch, size_t cap)
{
    struct ceiling_half h[2];
    pthread_t tid[2];
    size_t half = out_len / 2;
    for (int t = 0; t < 2; t++) {
        h[t] = (struct ceiling_half){
            inputs, n, t, out + (t ? half : 0), t ? out_len - half : half,
            scratch[t], cap
        };
    }
    double t0 = now_s();
    if (threads == 1) {
        ceiling_half_main(&h[0]);
        ceiling_half_main(&h[1]);
        return now_s() - t0;
    }
    for (int t = 0; t < 2; t++)
        pthread_create(&tid[t], NULL, ceiling_half_main, &h[t]);
    for (int t = 0; t < 2; t++)
        pthread_join(tid[t], NULL);
    return now_s() - t0;
}

static double run_thresh(const char *const *inputs, size_t n, int threads,
                         const char *outdir, double *cpu)
{
    struct th_pipeline_options o;
    memset(&o, 0, sizeof(o));
    o.inputs = inputs;
    o.n_inputs = n;
    o.outdir = outdir;
    o.stages = "none";
    o.threads = threads;
    o.batch_docs = getenv("BENCH_BATCH") ? (size_t)atol(getenv("BENCH_BATCH"))
                                         : 0;
    o.batch_bytes = getenv("BENCH_BATCH_BYTES")
                        ? (size_t)atol(getenv("BENCH_BATCH_BYTES")) : 0;
    o.writer.compression = TH_COMPRESSION_ZSTD;
    o.writer.level = 3;
    struct th_run_summary sum;
    struct th_error err = {0};
    /* A run writes into an empty directory, as a real one does: renaming a
     * shard over the previous round's costs an unlink of it (~8 ms of
     * freeing blocks on ext4) that is not the pipeline's work. */
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'/docs '%s'/rejects", outdir,
             outdir);
    if (system(cmd) != 0)
        exit(1);
    double c0 = cpu_s(), t0 = now_s();
    if (th_pipeline_run(&o, &sum, &err) < 0) {
        fprintf(stderr, "bench_io: %s\n", err.msg);
        exit(1);
    }
    *cpu = cpu_s() - c0;
    return now_s() - t0;
}

int main(int argc, char **argv)
{
    int rounds = 5, first = 1;
    if (argc > 2 && !strcmp(argv[1], "--rounds")) {
        rounds = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || rounds < 1) {
        fprintf(stderr, "usage: bench_io [--rounds N] FILE.warc.gz...\n");
        return 1;
    }
    const char *const *inputs = (const char *const *)argv + first;
    size_t n_inputs = (size_t)(argc - first);
    uint64_t in_bytes = 0;
    for (size_t i = 0; i < n_inputs; i++) {
        struct stat st;
        if (stat(inputs[i], &st) == 0)
            in_bytes += (uint64_t)st.st_size;
    }
    char outdir[] = "/tmp/thresh-bench-io-XXXXXX";
    if (!mkdtemp(outdir))
        return 1;
    size_t cap = 256u << 20;
    uint8_t *scratch = malloc(cap);
    uint8_t *scratch2[2] = { scratch, malloc(cap) };
    double ceil_s[64], j1_cpu[64], j1_wall[64], j2_wall[64], j2_cpu[64];
    double c1_wall[64], c2_wall[64];
    double zlib_s[64], deflate_s[64];
    size_t decoded = 0, out_len = 0, docs_out = 0;
    if (rounds > 64)
        rounds = 64;
    for (int r = 0; r < rounds; r++) {
        double cpu;
        j1_wall[r] = run_thresh(inputs, n_inputs, 1, outdir, &cpu);
        j1_cpu[r] = cpu;
        uint8_t *out = load_output(outdir, &out_len);
        docs_out = 0;
        for (size_t i = 0; i < out_len; i++)
            docs_out += out[i] == '\n';
        /* ceiling: gunzip + zstd -3 of the same output, one core */
        double c0 = cpu_s();
        decoded = 0;
        for (size_t i = 0; i < n_inputs; i++)
            decoded += gunzip_all(inputs[i], scratch, cap);
        size_t zcap = ZSTD_compressBound(out_len);
        uint8_t *z = malloc(zcap);
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ZSTD_compressCCtx(cc, z, zcap, out, out_len, 3);
        ceil_s[r] = cpu_s() - c0;
        ZSTD_freeCCtx(cc);
        free(z);
        c1_wall[r] = ceiling_wall(inputs, n_inputs, out, out_len, 1,
                                  scratch2, cap);
        c2_wall[r] = ceiling_wall(inputs, n_inputs, out, out_len, 2,
                                  scratch2, cap);
        free(out);
        c0 = cpu_s();
        for (size_t i = 0; i < n_inputs; i++)
            zlib_gunzip_all(inputs[i], scratch, cap);
        zlib_s[r] = cpu_s() - c0;
        c0 = cpu_s();
        for (size_t i = 0; i < n_inputs; i++)
            gunzip_all(inputs[i], scratch, cap);
        deflate_s[r] = cpu_s() - c0;
        j2_wall[r] = run_thresh(inputs, n_inputs, 2, outdir, &cpu);
        j2_cpu[r] = cpu;
    }
    double mb = (double)in_bytes / 1e6;
    double c = median(ceil_s, rounds), p1 = median(j1_cpu, rounds);
    double w1 = median(j1_wall, rounds), w2 = median(j2_wall, rounds);
    double p2 = median(j2_cpu, rounds);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("input: %zu files, %.1f MB compressed, %.1f MB WARC, %zu docs, "
           "%.1f MB JSONL out\n", n_inputs, mb, (double)decoded / 1e6,
           docs_out, (double)out_len / 1e6);
    printf("ceiling (libdeflate gunzip + zstd -3 of the output, 1 core): "
           "%.1f MB/s\n", mb / c);
    printf("thresh -j1: %.1f MB/s per core (CPU), %.1f MB/s wall, "
           "%.0f docs/s per core; ratio to ceiling %.2f\n", mb / p1,
           mb / w1, (double)docs_out / p1, (mb / p1) / (mb / c));
    printf("thresh -j2: %.1f MB/s per core (CPU), %.1f MB/s wall; "
           "speedup over -j1 %.2fx\n", mb / p2, mb / w2, w1 / w2);
    printf("machine: the ceiling's work split over 2 threads runs %.2fx "
           "as fast as on 1 (wall)\n", median(c1_wall, rounds) /
           median(c2_wall, rounds));
    printf("gunzip alone: libdeflate %.1f MB/s, zlib %.1f MB/s (of "
           "compressed input, 1 core)\n", mb / median(deflate_s, rounds),
           mb / median(zlib_s, rounds));
    printf("peak RSS: %.1f MB (includes the 2 x %zu MB ceiling buffers)\n",
           (double)ru.ru_maxrss / 1024, cap >> 20);
    printf("medians of %d interleaved rounds\n", rounds);
    free(scratch);
    free(scratch2[1]);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", outdir);
    return system(cmd) == 0 ? 0 : 1;
}
