/* Unit tests for lib/dedup intermediate files and the external sorter. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "thresh/dedup.h"
#include "../test.h"

static char tmp_dir[256];

static void make_tmp_dir(void)
{
    if (tmp_dir[0])
        return;
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/thresh-dedup-test-XXXXXX");
    if (!mkdtemp(tmp_dir))
        tmp_dir[0] = 0;
}

static void path_of(char *out, size_t cap, const char *name)
{
    make_tmp_dir();
    snprintf(out, cap, "%s/%s", tmp_dir, name);
}

static int write_file(const char *path, uint64_t n)
{
    struct th_dedup_file_info info = {.kind = TH_DEDUP_FILE_BUCKETS,
                                      .record_size = 16,
                                      .fingerprint = 42,
                                      .shard = 3};
    struct th_dedup_file *f;
    struct th_error err = {0};
    int rc = th_dedup_file_create(&f, path, &info, &err);
    if (rc < 0)
        return rc;
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        uint64_t rec[2] = {i * 7, i};
        rc = th_dedup_file_write(f, rec, 1, &err);
    }
    th_dedup_file_set_tag(f, 99);
    return th_dedup_file_close(f, &err);
}

static int64_t read_all(const char *path, struct th_error *err)
{
    struct th_dedup_file *f;
    int rc = th_dedup_file_open(&f, path, TH_DEDUP_FILE_BUCKETS, err);
    if (rc < 0)
        return rc;
    int64_t n = 0;
    const void *rec;
    while ((rc = th_dedup_file_next(f, &rec, err)) == 1) {
        uint64_t v[2];
        memcpy(v, rec, 16);
        if (v[1] != (uint64_t)n || v[0] != (uint64_t)n * 7) {
            th_dedup_file_free(f);
            return -100;
        }
        n++;
    }
    th_dedup_file_free(f);
    return rc < 0 ? rc : n;
}

static void file_round_trips(void)
{
    char p[512];
    path_of(p, sizeof(p), "round.thd");
    CHECK(write_file(p, 10000) == 0);
    struct th_error err = {0};
    CHECK_EQ_INT(read_all(p, &err), 10000);
    struct th_dedup_file *f;
    CHECK(th_dedup_file_open(&f, p, 0, &err) == 0);
    const struct th_dedup_file_info *info = th_dedup_file_info(f);
    CHECK_EQ_INT(info->tag, 99);
    CHECK_EQ_INT(info->shard, 3);
    CHECK_EQ_INT(info->fingerprint, 42);
    CHECK_EQ_INT(info->n_records, 10000);
    CHECK_EQ_INT(info->block_size, 65536);
    /* random access across a block boundary (4096 records per block) */
    uint64_t recs[6];
    CHECK(th_dedup_file_read_at(f, 4094, 3, recs, &err) == 0);
    CHECK(recs[0] == 4094 * 7 && recs[1] == 4094 && recs[5] == 4096);
    CHECK(th_dedup_file_read_at(f, 9999, 1, recs, &err) == 0);
    CHECK(recs[1] == 9999);
    CHECK(th_dedup_file_read_at(f, 0, 1, recs, &err) == 0 && recs[1] == 0);
    CHECK(th_dedup_file_read_at(f, 9999, 2, recs, &err) == TH_EINVAL);
    th_dedup_file_free(f);
    CHECK(th_dedup_file_open(&f, p, TH_DEDUP_FILE_SIGNATURES, &err) ==
          TH_EFORMAT);
    CHECK(strstr(err.msg, "kind") != NULL);
    unlink(p);
    path_of(p, sizeof(p), "empty.thd");
    CHECK(write_file(p, 0) == 0);
    CHECK_EQ_INT(read_all(p, &err), 0);
    unlink(p);
}

static void truncation_is_named(void)
{
    char p[512];
    path_of(p, sizeof(p), "trunc.thd");
    CHECK(write_file(p, 5000) == 0);
    FILE *fp = fopen(p, "rb");
    CHECK(fp != NULL);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fclose(fp);
    CHECK(truncate(p, size - 100) == 0);
    struct th_error err = {0};
    CHECK(read_all(p, &err) == TH_EFORMAT);
    CHECK(strstr(err.msg, "truncated") != NULL);
    CHECK(strstr(err.msg, "trunc.thd") != NULL);
    CHECK(truncate(p, 10) == 0);
    CHECK(read_all(p, &err) == TH_EFORMAT);
    CHECK(strstr(err.msg, "truncated") != NULL);
    unlink(p);
}

static void corruption_is_named(void)
{
    char p[512];
    path_of(p, sizeof(p), "corrupt.thd");
    CHECK(write_file(p, 5000) == 0);
    FILE *fp = fopen(p, "r+b");
    CHECK(fp != NULL);
    fseek(fp, 40000, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, 40000, SEEK_SET);
    fputc(c ^ 0x10, fp);
    fclose(fp);
    struct th_error err = {0};
    CHECK(read_all(p, &err) == TH_EFORMAT);
    CHECK(strstr(err.msg, "corrupt block") != NULL);
    /* header damage */
    CHECK(write_file(p, 10) == 0);
    fp = fopen(p, "r+b");
    fseek(fp, 33, SEEK_SET);
    fputc(7, fp);
    fclose(fp);
    CHECK(read_all(p, &err) == TH_EFORMAT);
    CHECK(strstr(err.msg, "header checksum") != NULL);
    unlink(p);
    /* random access checks the blocks it reads, and only those */
    struct th_dedup_file_info small = {.kind = TH_DEDUP_FILE_SHINGLES,
                                       .record_size = 8, .block_size = 4096};
    struct th_dedup_file *w;
    CHECK(th_dedup_file_create(&w, p, &small, &err) == 0);
    for (uint64_t i = 0; i < 4000; i++)
        CHECK(th_dedup_file_write(w, &i, 1, &err) == 0);
    CHECK(th_dedup_file_close(w, &err) == 0);
    fp = fopen(p, "r+b");
    fseek(fp, 64 + 3 * (16 + 4096) + 16 + 100, SEEK_SET);   /* block 3 */
    fputc(0x42, fp);
    fclose(fp);
    struct th_dedup_file *r;
    CHECK(th_dedup_file_open(&r, p, TH_DEDUP_FILE_SHINGLES, &err) == 0);
    uint64_t v[2];
    CHECK(th_dedup_file_read_at(r, 510, 2, v, &err) == 0);
    CHECK(v[0] == 510 && v[1] == 511);
    CHECK(th_dedup_file_read_at(r, 3 * 512 + 7, 1, v, &err) == TH_EFORMAT);
    CHECK(strstr(err.msg, "corrupt block 3") != NULL);
    CHECK(th_dedup_file_read_at(r, 3999, 1, v, &err) == 0 && v[0] == 3999);
    th_dedup_file_free(r);
    unlink(p);
    /* a missing file */
    path_of(p, sizeof(p), "missing.thd");
    CHECK(read_all(p, &err) == TH_EIO);
    CHECK(strstr(err.msg, "missing.thd") != NULL);
}

static void buffer_check_matches_reader(void)
{
    char p[512];
    path_of(p, sizeof(p), "buf.thd");
    CHECK(write_file(p, 3000) == 0);
    FILE *fp = fopen(p, "rb");
    static uint8_t data[200000];
    size_t n = fread(data, 1, sizeof(data), fp);
    fclose(fp);
    struct th_error err = {0};
    CHECK_EQ_INT(th_dedup_file_check_buffer(data, n, &err), 3000);
    CHECK(th_dedup_file_check_buffer(data, n - 1, &err) < 0);
    data[100] ^= 1;
    CHECK(th_dedup_file_check_buffer(data, n, &err) < 0);
    CHECK(th_dedup_file_check_buffer(NULL, 0, &err) < 0);
    unlink(p);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 20;
}

/* The same records sorted in memory and with many spills agree. */
static void sorter_spills_and_merges(void)
{
    make_tmp_dir();
    struct th_error err = {0};
    struct th_sorter *big, *small;
    CHECK(th_sorter_new(&big, 2, 64u << 20, tmp_dir, &err) == 0);
    CHECK(th_sorter_new(&small, 2, 16 * 1500, tmp_dir, &err) == 0);
    uint64_t seed = 7;
    for (int i = 0; i < 50000; i++) {
        uint64_t rec[2] = {lcg(&seed) % 5000, lcg(&seed)};
        CHECK(th_sorter_add(big, rec, &err) == 0);
        CHECK(th_sorter_add(small, rec, &err) == 0);
    }
    CHECK_EQ_INT(th_sorter_runs(big), 0);
    CHECK(th_sorter_runs(small) >= 30);
    CHECK(th_sorter_finish(big, &err) == 0);
    CHECK(th_sorter_finish(small, &err) == 0);
    const uint64_t *a, *b;
    uint64_t prev[2] = {0, 0};
    int n = 0, bad = 0;
    for (;;) {
        int ra = th_sorter_next(big, &a, &err);
        int rb = th_sorter_next(small, &b, &err);
        CHECK(ra == rb);
        if (ra != 1 || rb != 1)
            break;
        if (a[0] != b[0] || a[1] != b[1])
            bad++;
        if (a[0] < prev[0] || (a[0] == prev[0] && a[1] < prev[1]))
            bad++;
        prev[0] = a[0];
        prev[1] = a[1];
        n++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(n, 50000);
    th_sorter_free(big);
    th_sorter_free(small);
}

static void sorter_handles_duplicates(void)
{
    make_tmp_dir();
    struct th_error err = {0};
    struct th_sorter *s;
    CHECK(th_sorter_new(&s, 1, 0, tmp_dir, &err) == 0);
    for (int i = 0; i < 5000; i++) {
        uint64_t v = (uint64_t)(i % 3);
        CHECK(th_sorter_add(s, &v, &err) == 0);
    }
    CHECK(th_sorter_finish(s, &err) == 0);
    const uint64_t *r;
    int counts[3] = {0, 0, 0}, order_ok = 1;
    uint64_t prev = 0;
    while (th_sorter_next(s, &r, &err) == 1) {
        counts[*r]++;
        order_ok &= *r >= prev;
        prev = *r;
    }
    CHECK(order_ok);
    CHECK(counts[0] == 1667 && counts[1] == 1667 && counts[2] == 1666);
    th_sorter_free(s);
    rmdir(tmp_dir);
}

static const struct th_test tests[] = {
    {"file_round_trips", file_round_trips},
    {"truncation_is_named", truncation_is_named},
    {"corruption_is_named", corruption_is_named},
    {"buffer_check_matches_reader", buffer_check_matches_reader},
    {"sorter_spills_and_merges", sorter_spills_and_merges},
    {"sorter_handles_duplicates", sorter_handles_duplicates},
};

TH_TEST_MAIN(tests)
