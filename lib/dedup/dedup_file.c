/*
 * The intermediate file format of the multi-phase dedup path: fixed-size
 * records in checksummed blocks between a header and a trailer (layout in
 * include/thresh/dedup.h).
 *
 * Why: datatrove's intermediate files are raw arrays; after a crash or a
 * full disk a truncated file is read as if it were complete and silently
 * changes the result. Here every failure mode is named: a file without its
 * trailer is "truncated" (found at open, before any record is used), a
 * block whose bytes do not match its XXH3 checksum is "corrupt block N",
 * a header from another parameter set is refused by the caller comparing
 * fingerprints. Writers write PATH.tmp and rename it when complete, so a
 * crashed task leaves no file that looks finished.
 *
 * Approach: records are gathered into blocks of at most 64 KiB; each block
 * carries its length, record count and checksum; the trailer carries the
 * totals and a checksum over the block checksums, so a lost or duplicated
 * block is found too. The reader is written once over a small byte-source
 * abstraction (FILE or memory) so the fuzz target exercises the same code
 * as the CLI. Rejected: one checksum over the whole file, which can only be
 * checked after every record has been consumed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thresh/dedup.h"
#include "../core/banned.h"

#define HEADER_SIZE 64
#define TRAILER_SIZE 32
#define BLOCK_HEADER 16
#define BLOCK_MAX 65536
#define VERSION 1
#define CHECK_SEED 0x7468726573686464ull

static const char header_magic[8] = {'T', 'H', 'R', 'E', 'S', 'H', 'D', 'D'};
static const char trailer_magic[8] = {'T', 'H', 'D', 'D', 'E', 'N', 'D', 0};

struct th_dedup_file {
    struct th_dedup_file_info info; /* header fields; totals when reading */
    bool writing;                   /* writer (true) or reader */
    FILE *fp;                       /* the file; NULL for a memory source */
    const uint8_t *mem;             /* memory source (fuzzing), else NULL */
    uint64_t size;                  /* total bytes of the file or buffer */
    uint64_t pos;                   /* next byte to read */
    char *path;                     /* final path, for messages and rename */
    char *tmp_path;                 /* writer: PATH.tmp */
    uint8_t *block;                 /* block payload buffer (BLOCK_MAX) */
    size_t block_len;               /* payload bytes in the buffer */
    size_t block_pos;               /* reader: next record offset */
    uint32_t block_records;         /* records in the buffer */
    uint64_t n_records;             /* records written / read so far */
    uint64_t n_blocks;              /* blocks written / read so far */
    uint64_t chain;                 /* running checksum of block checksums */
    uint64_t trailer_records;       /* reader: totals from the trailer */
    uint64_t trailer_blocks;        /* reader: block count from trailer */
    uint64_t trailer_chain;         /* reader: chain from the trailer */
    uint64_t cached_block;          /* read_at: block held in block + 1 */
};

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static const char *name_of(const struct th_dedup_file *f)
{
    return f->path ? f->path : "<memory>";
}

static void encode_header(const struct th_dedup_file_info *info, uint8_t *h)
{
    memset(h, 0, HEADER_SIZE);
    memcpy(h, header_magic, 8);
    put32(h + 8, VERSION);
    put32(h + 12, info->kind);
    put32(h + 16, info->record_size);
    put32(h + 20, info->block_size);
    put64(h + 24, info->fingerprint);
    put64(h + 32, info->shard);
    put64(h + 40, info->tag);
    put64(h + 56, th_hash64(h, 56, CHECK_SEED));
}

void th_dedup_file_free(struct th_dedup_file *file)
{
    if (!file)
        return;
    if (file->fp)
        fclose(file->fp);
    if (file->writing && file->tmp_path)
        unlink(file->tmp_path);
    free(file->path);
    free(file->tmp_path);
    free(file->block);
    free(file);
}

void th_dedup_file_abort(struct th_dedup_file *file)
{
    th_dedup_file_free(file);
}

static char *dup_str(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    char *p = malloc(a + b + 1);
    if (!p)
        return NULL;
    memcpy(p, s, a);
    memcpy(p + a, suffix, b + 1);
    return p;
}

int th_dedup_file_create(struct th_dedup_file **out, const char *path,
                         const struct th_dedup_file_info *info,
                         struct th_error *err)
{
    if (!info->record_size || info->record_size > BLOCK_MAX ||
        info->block_size > BLOCK_MAX ||
        (info->block_size && info->block_size < info->record_size))
        return th_error_set(err, TH_EINVAL, "'%s': bad record size %u",
                            path, info->record_size);
    struct th_dedup_file *f = calloc(1, sizeof(*f));
    if (!f)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    f->writing = true;
    f->info = *info;
    if (!f->info.block_size)
        f->info.block_size = BLOCK_MAX;
    f->path = dup_str(path, "");
    f->tmp_path = dup_str(path, ".tmp");
    f->block = malloc(BLOCK_MAX);
    if (!f->path || !f->tmp_path || !f->block) {
        th_dedup_file_free(f);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    f->fp = fopen(f->tmp_path, "wb");
    if (!f->fp) {
        int e = errno;
        th_dedup_file_free(f);
        return th_error_set(err, TH_EIO, "cannot create '%s.tmp': %s", path,
                            strerror(e));
    }
    uint8_t h[HEADER_SIZE];
    encode_header(&f->info, h);
    if (fwrite(h, 1, HEADER_SIZE, f->fp) != HEADER_SIZE) {
        th_dedup_file_free(f);
        return th_error_set(err, TH_EIO, "cannot write '%s.tmp'", path);
    }
    f->chain = CHECK_SEED;
    *out = f;
    return 0;
}

static int flush_block(struct th_dedup_file *f, struct th_error *err)
{
    if (!f->block_records)
        return 0;
    uint8_t bh[BLOCK_HEADER];
    uint64_t sum = th_hash64(f->block, f->block_len, CHECK_SEED);
    put32(bh, (uint32_t)f->block_len);
    put32(bh + 4, f->block_records);
    put64(bh + 8, sum);
    if (fwrite(bh, 1, BLOCK_HEADER, f->fp) != BLOCK_HEADER ||
        fwrite(f->block, 1, f->block_len, f->fp) != f->block_len)
        return th_error_set(err, TH_EIO, "cannot write '%s.tmp': %s",
                            f->path, strerror(errno));
    f->chain = th_hash64(&sum, sizeof(sum), f->chain);
    f->n_blocks++;
    f->block_len = 0;
    f->block_records = 0;
    return 0;
}

int th_dedup_file_write(struct th_dedup_file *file, const void *records,
                        size_t n, struct th_error *err)
{
    const uint8_t *p = records;
    size_t rs = file->info.record_size;
    for (size_t i = 0; i < n; i++) {
        if (file->block_len + rs > file->info.block_size) {
            int rc = flush_block(file, err);
            if (rc < 0)
                return rc;
        }
        memcpy(file->block + file->block_len, p + i * rs, rs);
        file->block_len += rs;
        file->block_records++;
        file->n_records++;
    }
    return 0;
}

void th_dedup_file_set_tag(struct th_dedup_file *file, uint64_t tag)
{
    file->info.tag = tag;
}

int th_dedup_file_close(struct th_dedup_file *file, struct th_error *err)
{
    int rc = flush_block(file, err);
    if (rc < 0)
        goto out_abort;
    uint8_t t[TRAILER_SIZE];
    memcpy(t, trailer_magic, 8);
    put64(t + 8, file->n_records);
    put64(t + 16, file->n_blocks);
    put64(t + 24, file->chain);
    uint8_t h[HEADER_SIZE];
    encode_header(&file->info, h);
    if (fwrite(t, 1, TRAILER_SIZE, file->fp) != TRAILER_SIZE ||
        fseek(file->fp, 0, SEEK_SET) != 0 ||
        fwrite(h, 1, HEADER_SIZE, file->fp) != HEADER_SIZE) {
        rc = th_error_set(err, TH_EIO, "cannot write '%s.tmp': %s",
                          file->path, strerror(errno));
        goto out_abort;
    }
    FILE *fp = file->fp;
    file->fp = NULL;
    if (fclose(fp) != 0) {
        rc = th_error_set(err, TH_EIO, "cannot write '%s.tmp': %s",
                          file->path, strerror(errno));
        goto out_abort;
    }
    if (rename(file->tmp_path, file->path) != 0) {
        rc = th_error_set(err, TH_EIO, "cannot rename '%s.tmp': %s",
                          file->path, strerror(errno));
        goto out_abort;
    }
    file->writing = false;
    th_dedup_file_free(file);
    return 0;
out_abort:
    th_dedup_file_free(file);
    return rc;
}

/* Read exactly n bytes at the current position (FILE or memory). */
static int src_read(struct th_dedup_file *f, void *dst, size_t n)
{
    if (n > f->size - f->pos)
        return TH_EFORMAT;
    if (f->mem) {
        memcpy(dst, f->mem + f->pos, n);
    } else if (fread(dst, 1, n, f->fp) != n) {
        return TH_EIO;
    }
    f->pos += n;
    return 0;
}

/* Check header and trailer of a source whose size is known. */
static int open_source(struct th_dedup_file *f, uint32_t kind,
                       struct th_error *err)
{
    const char *name = name_of(f);
    if (f->size < HEADER_SIZE + TRAILER_SIZE)
        return th_error_set(err, TH_EFORMAT, "'%s': truncated (%llu bytes)",
                            name, (unsigned long long)f->size);
    uint8_t h[HEADER_SIZE];
    int rc = src_read(f, h, HEADER_SIZE);
    if (rc < 0)
        return th_error_set(err, rc, "'%s': cannot read header", name);
    if (memcmp(h, header_magic, 8) != 0)
        return th_error_set(err, TH_EFORMAT,
                            "'%s': not a thresh dedup file", name);
    if (get64(h + 56) != th_hash64(h, 56, CHECK_SEED))
        return th_error_set(err, TH_EFORMAT, "'%s': bad header checksum",
                            name);
    if (get32(h + 8) != VERSION)
        return th_error_set(err, TH_EFORMAT, "'%s': unknown version %u",
                            name, get32(h + 8));
    f->info.kind = get32(h + 12);
    f->info.record_size = get32(h + 16);
    f->info.block_size = get32(h + 20);
    f->info.fingerprint = get64(h + 24);
    f->info.shard = get64(h + 32);
    f->info.tag = get64(h + 40);
    if (kind && f->info.kind != kind)
        return th_error_set(err, TH_EFORMAT,
                            "'%s': holds file kind %u, expected %u", name,
                            f->info.kind, kind);
    if (!f->info.record_size || f->info.record_size > BLOCK_MAX ||
        f->info.block_size > BLOCK_MAX ||
        f->info.block_size < f->info.record_size)
        return th_error_set(err, TH_EFORMAT, "'%s': bad record size %u",
                            name, f->info.record_size);
    uint8_t t[TRAILER_SIZE];
    uint64_t tpos = f->size - TRAILER_SIZE;
    if (f->mem) {
        memcpy(t, f->mem + tpos, TRAILER_SIZE);
    } else if (pread(fileno(f->fp), t, TRAILER_SIZE, (off_t)tpos) !=
               TRAILER_SIZE) {
        return th_error_set(err, TH_EIO, "'%s': cannot read trailer", name);
    }
    if (memcmp(t, trailer_magic, 8) != 0)
        return th_error_set(err, TH_EFORMAT,
                            "'%s': truncated (no trailer)", name);
    f->trailer_records = get64(t + 8);
    f->trailer_blocks = get64(t + 16);
    f->trailer_chain = get64(t + 24);
    f->info.n_records = f->trailer_records;
    /* every block holds at least one record and 16 + record_size bytes */
    uint64_t body = tpos - HEADER_SIZE;
    if (f->trailer_blocks > body / (BLOCK_HEADER + f->info.record_size) ||
        f->trailer_records > body / f->info.record_size ||
        (f->trailer_records == 0) != (f->trailer_blocks == 0))
        return th_error_set(err, TH_EFORMAT,
                            "'%s': trailer does not match the file size",
                            name);
    f->block = malloc(BLOCK_MAX);
    if (!f->block)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    f->chain = CHECK_SEED;
    return 0;
}

int th_dedup_file_open(struct th_dedup_file **out, const char *path,
                       uint32_t kind, struct th_error *err)
{
    struct th_dedup_file *f = calloc(1, sizeof(*f));
    if (!f)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    f->path = dup_str(path, "");
    if (!f->path) {
        free(f);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    f->fp = fopen(path, "rb");
    struct stat st;
    if (!f->fp || fstat(fileno(f->fp), &st) != 0) {
        int e = errno;
        th_dedup_file_free(f);
        return th_error_set(err, TH_EIO, "cannot open '%s': %s", path,
                            strerror(e));
    }
    f->size = (uint64_t)st.st_size;
    int rc = open_source(f, kind, err);
    if (rc < 0) {
        th_dedup_file_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

const struct th_dedup_file_info *th_dedup_file_info(
    const struct th_dedup_file *file)
{
    return &file->info;
}

static int load_block(struct th_dedup_file *f, struct th_error *err)
{
    const char *name = name_of(f);
    uint64_t end = f->size - TRAILER_SIZE;
    if (f->pos == end) {
        if (f->n_blocks != f->trailer_blocks ||
            f->n_records != f->trailer_records || f->chain != f->trailer_chain)
            return th_error_set(err, TH_EFORMAT,
                                "'%s': blocks do not match the trailer",
                                name);
        return 0;
    }
    uint8_t bh[BLOCK_HEADER];
    if (end - f->pos < BLOCK_HEADER || src_read(f, bh, BLOCK_HEADER) < 0)
        return th_error_set(err, TH_EFORMAT, "'%s': truncated block %llu",
                            name, (unsigned long long)f->n_blocks);
    uint32_t len = get32(bh), count = get32(bh + 4);
    uint64_t sum = get64(bh + 8);
    if (len > f->info.block_size || len > end - f->pos || count == 0 ||
        (uint64_t)count * f->info.record_size != len)
        return th_error_set(err, TH_EFORMAT, "'%s': corrupt block %llu",
                            name, (unsigned long long)f->n_blocks);
    if (src_read(f, f->block, len) < 0)
        return th_error_set(err, TH_EIO, "'%s': cannot read block %llu",
                            name, (unsigned long long)f->n_blocks);
    if (th_hash64(f->block, len, CHECK_SEED) != sum)
        return th_error_set(err, TH_EFORMAT,
                            "'%s': corrupt block %llu (checksum)", name,
                            (unsigned long long)f->n_blocks);
    f->chain = th_hash64(&sum, sizeof(sum), f->chain);
    f->n_blocks++;
    f->block_len = len;
    f->block_pos = 0;
    f->block_records = count;
    return 1;
}

int th_dedup_file_next(struct th_dedup_file *file, const void **record_out,
                       struct th_error *err)
{
    if (file->writing)
        return th_error_set(err, TH_EINVAL, "'%s': open for writing",
                            name_of(file));
    if (file->block_pos >= file->block_len) {
        int rc = load_block(file, err);
        if (rc <= 0)
            return rc;
    }
    *record_out = file->block + file->block_pos;
    file->block_pos += file->info.record_size;
    file->n_records++;
    return 1;
}

int th_dedup_file_read_at(struct th_dedup_file *file, uint64_t first,
                          size_t n, void *out, struct th_error *err)
{
    struct th_dedup_file *f = file;
    const char *name = name_of(f);
    size_t rs = f->info.record_size;
    uint64_t per_block = f->info.block_size / rs;
    if (f->writing || f->mem || first > f->trailer_records ||
        n > f->trailer_records - first)
        return th_error_set(err, TH_EINVAL, "'%s': records %llu+%zu out of "
                            "range", name, (unsigned long long)first, n);
    uint8_t *o = out;
    while (n) {
        uint64_t k = first / per_block;
        if (f->cached_block != k + 1) {
            uint64_t off = HEADER_SIZE + k * (BLOCK_HEADER + per_block * rs);
            uint8_t bh[BLOCK_HEADER];
            bool last = k == f->trailer_blocks - 1;
            if (off + BLOCK_HEADER > f->size - TRAILER_SIZE ||
                pread(fileno(f->fp), bh, BLOCK_HEADER, (off_t)off) !=
                    BLOCK_HEADER)
                return th_error_set(err, TH_EFORMAT,
                                    "'%s': truncated block %llu", name,
                                    (unsigned long long)k);
            uint32_t len = get32(bh), count = get32(bh + 4);
            if (count == 0 || (uint64_t)count * rs != len ||
                (!last && count != per_block) ||
                off + BLOCK_HEADER + len > f->size - TRAILER_SIZE ||
                pread(fileno(f->fp), f->block, len,
                      (off_t)(off + BLOCK_HEADER)) != (ssize_t)len)
                return th_error_set(err, TH_EFORMAT,
                                    "'%s': corrupt block %llu", name,
                                    (unsigned long long)k);
            if (th_hash64(f->block, len, CHECK_SEED) != get64(bh + 8))
                return th_error_set(err, TH_EFORMAT,
                                    "'%s': corrupt block %llu (checksum)",
                                    name, (unsigned long long)k);
            f->cached_block = k + 1;
            f->block_records = count;
        }
        uint64_t in = first - k * per_block;
        if (in >= f->block_records)
            return th_error_set(err, TH_EFORMAT, "'%s': corrupt block %llu",
                                name, (unsigned long long)k);
        size_t take = f->block_records - in < n ? f->block_records - in : n;
        memcpy(o, f->block + in * rs, take * rs);
        o += take * rs;
        first += take;
        n -= take;
    }
    return 0;
}

int64_t th_dedup_file_check_buffer(const uint8_t *data, size_t len,
                                   struct th_error *err)
{
    struct th_dedup_file f;
    memset(&f, 0, sizeof(f));
    f.mem = data;
    f.size = len;
    int64_t rc = open_source(&f, 0, err);
    const void *rec;
    while (rc == 0) {
        int r = th_dedup_file_next(&f, &rec, err);
        if (r <= 0) {
            rc = r;
            break;
        }
    }
    free(f.block);
    return rc < 0 ? rc : (int64_t)f.n_records;
}
