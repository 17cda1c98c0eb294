/*
 * Unit tests for lib/io: every reader format and compression, writer→reader
 * round trips, and each kind of damaged input the readers must survive.
 * Inputs are built here (no fixtures): WARC records, gzip members via zlib,
 * zstd frames via libzstd.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "thresh/io.h"
#include "../test.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    if (tmpdir[0])
        return;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/thresh-test-io-XXXXXX");
    if (!mkdtemp(tmpdir))
        abort();
}

static const char *tmp_path(const char *name)
{
    static char p[512];
    make_tmpdir();
    snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (len)
        fwrite(data, 1, len, f);
    fclose(f);
}

/* Append one gzip member of data to b. */
static void gzip_member(struct th_buf *b, const char *data, size_t len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    size_t cap = deflateBound(&zs, len) + 64;
    th_buf_reserve(b, cap);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)b->ptr + b->len;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    b->len += cap - zs.avail_out;
    deflateEnd(&zs);
}

static void zstd_frame(struct th_buf *b, const char *data, size_t len)
{
    size_t cap = ZSTD_compressBound(len);
    th_buf_reserve(b, cap);
    size_t n = ZSTD_compress(b->ptr + b->len, cap, data, len, 3);
    if (!ZSTD_isError(n))
        b->len += n;
}

/* One WARC record; http_status 0 = a WET conversion record. */
static void warc_record(struct th_buf *b, const char *type, const char *url,
                        int status, const char *ctype, const char *body,
                        long content_length_delta)
{
    struct th_buf block;
    th_buf_init(&block, 0);
    if (!strcmp(type, "response"))
        th_buf_printf(&block, "HTTP/1.1 %d X\r\nContent-Type: %s\r\n\r\n",
                      status, ctype);
    th_buf_append_cstr(&block, body);
    th_buf_printf(b, "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: "
                  "<urn:uuid:%s>\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n"
                  "WARC-Target-URI: %s\r\nContent-Type: %s\r\n"
                  "Content-Length: %ld\r\n\r\n", type, url, url,
                  !strcmp(type, "conversion") ? "text/plain"
                                              : "application/http",
                  (long)block.len + content_length_delta);
    th_buf_append(b, block.ptr, block.len);
    th_buf_append(b, "\r\n\r\n", 4);
    th_buf_release(&block);
}

struct collected {
    int docs;                  /* documents returned */
    int damaged_docs;          /* with doc->damage */
    char texts[16][256];       /* first texts */
    char ids[16][128];         /* first ids */
    const char *damage[16];    /* damage reasons */
    int warnings;              /* warning callbacks */
    char last_warning[512];    /* the last one */
    struct th_reader_stats stats; /* final counters */
    int rc;                    /* last th_reader_next return */
};

static void count_warning(const char *msg, void *ctx)
{
    struct collected *c = ctx;
    c->warnings++;
    snprintf(c->last_warning, sizeof(c->last_warning), "%s", msg);
}

static struct collected read_all(const char *path,
                                 const struct th_reader_options *o)
{
    struct collected c;
    memset(&c, 0, sizeof(c));
    struct th_reader_options opts = {0};
    if (o)
        opts = *o;
    opts.on_warning = count_warning;
    opts.warning_ctx = &c;
    struct th_reader *r;
    struct th_error err = {0};
    struct th_arena *a;
    th_arena_new(&a, 0, 0);
    c.rc = th_reader_open(&r, path, &opts, &err);
    if (c.rc < 0) {
        th_arena_free(a);
        return c;
    }
    struct th_doc doc;
    while ((c.rc = th_reader_next(r, &doc, a, &err)) > 0) {
        if (c.docs < 16) {
            snprintf(c.texts[c.docs], sizeof(c.texts[0]), "%.*s",
                     (int)doc.text.len, doc.text.ptr ? doc.text.ptr : "");
            snprintf(c.ids[c.docs], sizeof(c.ids[0]), "%.*s",
                     (int)doc.id.len, doc.id.ptr ? doc.id.ptr : "");
            c.damage[c.docs] = doc.damage;
        }
        c.docs++;
        c.damaged_docs += doc.damage != NULL;
        th_arena_reset(a);
    }
    c.stats = *th_reader_stats(r);
    th_reader_free(r);
    th_arena_free(a);
    return c;
}

static void build_warc(struct th_buf *raw)
{
    warc_record(raw, "warcinfo", "", 0, "", "software: test\r\n", 0);
    warc_record(raw, "request", "http://a.example/", 0, "", "GET /", 0);
    warc_record(raw, "response", "http://a.example/", 200, "text/html; "
                "charset=ISO-8859-1", "<html><p>alpha page</p></html>", 0);
    warc_record(raw, "response", "http://b.example/", 404, "text/html",
                "<p>missing</p>", 0);
    warc_record(raw, "response", "http://c.example/x.png", 200, "image/png",
                "\x89PNG", 0);
    warc_record(raw, "conversion", "http://d.example/", 0, "",
                "delta text from a WET file", 0);
    warc_record(raw, "response", "http://e.example/", 200, "text/plain",
                "epsilon plain", 0);
}

static void check_warc_result(const struct collected *c)
{
    CHECK_EQ_INT(c->rc, 0);
    CHECK_EQ_INT(c->docs, 3);
    CHECK_EQ_INT(c->damaged_docs, 0);
    CHECK(strstr(c->texts[0], "alpha page") != NULL);
    CHECK_EQ_STR(c->ids[0], "urn:uuid:http://a.example/");
    CHECK_EQ_STR(c->texts[1], "delta text from a WET file");
    CHECK_EQ_STR(c->texts[2], "epsilon plain");
    CHECK_EQ_INT(c->stats.skipped[TH_SKIP_NOT_RESPONSE], 2);
    CHECK_EQ_INT(c->stats.skipped[TH_SKIP_HTTP_STATUS], 1);
    CHECK_EQ_INT(c->stats.skipped[TH_SKIP_CONTENT_TYPE], 1);
    CHECK_EQ_INT(c->warnings, 0);
}

static void warc_uncompressed(void)
{
    struct th_buf raw;
    th_buf_init(&raw, 0);
    build_warc(&raw);
    write_file(tmp_path("plain.warc"), raw.ptr, raw.len);
    struct collected c = read_all(tmp_path("plain.warc"), NULL);
    check_warc_result(&c);
    th_buf_release(&raw);
}

static void warc_gzip_member_per_record(void)
{
    struct th_buf raw, gz;
    th_buf_init(&raw, 0);
    th_buf_init(&gz, 0);
    build_warc(&raw);
    /* split at record starts and compress each record alone */
    const char *p = raw.ptr, *end = raw.ptr + raw.len;
    while (p < end) {
        const char *next = memmem(p + 1, (size_t)(end - p - 1), "WARC/1.1",
                                  8);
        if (!next)
            next = end;
        gzip_member(&gz, p, (size_t)(next - p));
        p = next;
    }
    write_file(tmp_path("members.warc.gz"), gz.ptr, gz.len);
    struct collected c = read_all(tmp_path("members.warc.gz"), NULL);
    check_warc_result(&c);
    th_buf_release(&raw);
    th_buf_release(&gz);
}

static void warc_whole_gzip_and_zstd(void)
{
    struct th_buf raw, gz, zs;
    th_buf_init(&raw, 0);
    th_buf_init(&gz, 0);
    th_buf_init(&zs, 0);
    build_warc(&raw);
    gzip_member(&gz, raw.ptr, raw.len);
    zstd_frame(&zs, raw.ptr, raw.len);
    write_file(tmp_path("whole.warc.gz"), gz.ptr, gz.len);
    write_file(tmp_path("whole.warc.zst"), zs.ptr, zs.len);
    struct collected c = read_all(tmp_path("whole.warc.gz"), NULL);
    check_warc_result(&c);
    c = read_all(tmp_path("whole.warc.zst"), NULL);
    check_warc_result(&c);
    th_buf_release(&raw);
    th_buf_release(&gz);
    th_buf_release(&zs);
}

static void warc_from_stdin_pipe(void)
{
    struct th_buf raw, gz;
    th_buf_init(&raw, 0);
    th_buf_init(&gz, 0);
    build_warc(&raw);
    gzip_member(&gz, raw.ptr, raw.len / 2);
    gzip_member(&gz, raw.ptr + raw.len / 2, raw.len - raw.len / 2);
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        ssize_t n = write(fds[1], gz.ptr, gz.len);
        _exit(n == (ssize_t)gz.len ? 0 : 1);
    }
    close(fds[1]);
    int saved = dup(0);
    dup2(fds[0], 0);
    close(fds[0]);
    struct collected c = read_all("-", NULL);
    dup2(saved, 0);
    close(saved);
    check_warc_result(&c);
    th_buf_release(&raw);
    th_buf_release(&gz);
}

static void jsonl_fields_and_passthrough(void)
{
    const char *in =
        "{\"doc_id\":\"x1\",\"content\":\"caf\\u00e9 \\ud83d\\ude00\","
        "\"metadata\":{\"url\":\"http://u/\",\"n\":1},\"keep\":[1,{\"a\":2}]}"
        "\r\n\n   \n{\"doc_id\":7,\"content\":\"second\"}";
    write_file(tmp_path("f.jsonl"), in, strlen(in));
    struct th_reader_options o = { .text_field = "content",
                                   .id_field = "doc_id" };
    struct collected c = read_all(tmp_path("f.jsonl"), &o);
    CHECK_EQ_INT(c.docs, 2);
    CHECK_EQ_STR(c.texts[0], "caf\xc3\xa9 \xf0\x9f\x98\x80");
    CHECK_EQ_STR(c.ids[0], "x1");
    CHECK_EQ_STR(c.ids[1], "7");
    CHECK_EQ_INT(c.stats.skipped[TH_SKIP_EMPTY], 2);
    CHECK_EQ_INT(c.warnings, 0);
}

/* writer → reader: every compression, bytes identical after the trip */
static void writer_reader_round_trip(void)
{
    static const enum th_compression comps[] = {
        TH_COMPRESSION_NONE, TH_COMPRESSION_GZIP, TH_COMPRESSION_ZSTD };
    struct th_arena *a;
    th_arena_new(&a, 0, 0);
    for (size_t k = 0; k < 3; k++) {
        char dir[300];
        snprintf(dir, sizeof(dir), "%s", tmp_path(k == 0 ? "rt0" :
                                                  k == 1 ? "rt1" : "rt2"));
        struct th_writer_options wo = { .compression = comps[k],
                                        .shard_bytes = 300 };
        struct th_writer *w;
        struct th_error err = {0};
        CHECK(th_writer_open(&w, dir, &wo, &err) == 0);
        struct th_buf line, all;
        th_buf_init(&line, 0);
        th_buf_init(&all, 0);
        for (int i = 0; i < 20; i++) {
            struct th_doc d;
            th_doc_init(&d);
            char id[16], text[64];
            snprintf(id, sizeof(id), "d%d", i);
            snprintf(text, sizeof(text), "line \"%d\"\n\tsecond \xe2\x82\xac"
                     " \x01", i);
            d.id = th_slice_from_cstr(id);
            d.text = th_slice_from_cstr(text);
            d.source.format = TH_SLICE_LIT("jsonl");
            th_doc_set_meta_double(&d, a, "score", i / 3.0);
            if (i % 2)
                th_doc_drop(&d, "filters", "some_reason");
            th_buf_reset(&line);
            CHECK(th_doc_to_jsonl(&d, &line) == 0);
            th_buf_append(&all, line.ptr, line.len);
            CHECK(th_writer_write(w, line.ptr, line.len, &err) == 0);
        }
        CHECK(th_writer_close(w, &err) == 0);
        /* read the shards back in order, re-serialize, compare */
        struct th_buf again;
        th_buf_init(&again, 0);
        int shards = 0;
        for (int s = 0; s < 100; s++) {
            char path[400];
            snprintf(path, sizeof(path), "%s/%05d%s", dir, s,
                     k == 0 ? ".jsonl" : k == 1 ? ".jsonl.gz" : ".jsonl.zst");
            if (access(path, R_OK) != 0)
                break;
            shards++;
            struct th_reader *r;
            CHECK(th_reader_open(&r, path, NULL, &err) == 0);
            struct th_doc d;
            while (th_reader_next(r, &d, a, &err) > 0) {
                /* forget this read's provenance: compare content only */
                d.source.input = NULL;
                th_doc_to_jsonl(&d, &again);
            }
            th_reader_free(r);
        }
        CHECK(shards > 3);
        CHECK_EQ_MEM(again.ptr, again.len, all.ptr, all.len);
        th_buf_release(&again);
        th_buf_release(&line);
        th_buf_release(&all);
        th_arena_reset(a);
    }
    th_arena_free(a);
}

static void writer_leaves_no_final_name_on_abort(void)
{
    const char *dir = tmp_path("abort");
    struct th_writer *w;
    struct th_error err = {0};
    CHECK(th_writer_open(&w, dir, NULL, &err) == 0);
    CHECK(th_writer_write(w, "{\"id\":\"a\"}\n", 11, &err) == 0);
    th_writer_abort(w);
    char path[400];
    snprintf(path, sizeof(path), "%s/00000.jsonl.zst", dir);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof(path), "%s/.00000.jsonl.zst.tmp", dir);
    CHECK(access(path, F_OK) != 0);
}

/* ---- damaged input ------------------------------------------------------ */

static void damaged_truncated_gzip_member(void)
{
    struct th_buf raw, gz;
    th_buf_init(&raw, 0);
    th_buf_init(&gz, 0);
    warc_record(&raw, "conversion", "http://1/", 0, "", "first doc", 0);
    gzip_member(&gz, raw.ptr, raw.len);
    size_t first = gz.len;
    th_buf_reset(&raw);
    warc_record(&raw, "conversion", "http://2/", 0, "", "second doc, which "
                "will be cut in the middle of its gzip member", 0);
    gzip_member(&gz, raw.ptr, raw.len);
    size_t second_end = gz.len;
    th_buf_reset(&raw);
    warc_record(&raw, "conversion", "http://3/", 0, "", "third doc", 0);
    struct th_buf tail;
    th_buf_init(&tail, 0);
    gzip_member(&tail, raw.ptr, raw.len);
    /* cut the second member short, then append the third whole */
    gz.len = first + (second_end - first) / 2;
    th_buf_append(&gz, tail.ptr, tail.len);
    write_file(tmp_path("trunc.warc.gz"), gz.ptr, gz.len);
    struct collected c = read_all(tmp_path("trunc.warc.gz"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK(c.warnings >= 1);
    CHECK(strstr(c.last_warning, "trunc.warc.gz: offset") != NULL);
    CHECK(c.stats.damaged >= 1);
    /* the first and third records survive */
    int found1 = 0, found3 = 0;
    for (int i = 0; i < c.docs && i < 16; i++) {
        found1 |= !c.damage[i] && !strcmp(c.texts[i], "first doc");
        found3 |= !c.damage[i] && !strcmp(c.texts[i], "third doc");
    }
    CHECK(found1 && found3);
    /* truncated at the very end of the file as well */
    gz.len = first + 10;
    write_file(tmp_path("trunc2.warc.gz"), gz.ptr, gz.len);
    c = read_all(tmp_path("trunc2.warc.gz"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK(c.stats.damaged >= 1);
    CHECK_EQ_STR(c.texts[0], "first doc");
    th_buf_release(&raw);
    th_buf_release(&gz);
    th_buf_release(&tail);
}

static void damaged_corrupt_zstd_frame(void)
{
    struct th_buf raw, zs;
    th_buf_init(&raw, 0);
    th_buf_init(&zs, 0);
    const char *texts[3] = { "one", "two two two two", "three" };
    size_t starts[4];
    for (int i = 0; i < 3; i++) {
        th_buf_reset(&raw);
        warc_record(&raw, "conversion", "http://z/", 0, "", texts[i], 0);
        starts[i] = zs.len;
        zstd_frame(&zs, raw.ptr, raw.len);
    }
    starts[3] = zs.len;
    /* flip bytes in the middle frame's compressed body */
    for (size_t i = starts[1] + 8; i < starts[2] - 4; i += 3)
        zs.ptr[i] ^= 0x5a;
    write_file(tmp_path("corrupt.warc.zst"), zs.ptr, zs.len);
    struct collected c = read_all(tmp_path("corrupt.warc.zst"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK(c.stats.damaged >= 1);
    CHECK(strstr(c.last_warning, "corrupt.warc.zst: offset") != NULL);
    int found1 = 0, found3 = 0;
    for (int i = 0; i < c.docs && i < 16; i++) {
        found1 |= !c.damage[i] && !strcmp(c.texts[i], "one");
        found3 |= !c.damage[i] && !strcmp(c.texts[i], "three");
    }
    CHECK(found1 && found3);
    th_buf_release(&raw);
    th_buf_release(&zs);
}

static void damaged_wrong_content_length(void)
{
    struct th_buf raw;
    th_buf_init(&raw, 0);
    warc_record(&raw, "conversion", "http://1/", 0, "", "good one", 0);
    warc_record(&raw, "conversion", "http://2/", 0, "", "claims too much",
                40);
    warc_record(&raw, "conversion", "http://3/", 0, "", "claims too little",
                -5);
    warc_record(&raw, "conversion", "http://4/", 0, "", "good four", 0);
    write_file(tmp_path("clen.warc"), raw.ptr, raw.len);
    struct collected c = read_all(tmp_path("clen.warc"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK_EQ_STR(c.texts[0], "good one");
    CHECK(c.damaged_docs >= 2);
    CHECK(c.damage[1] != NULL);
    CHECK(!strcmp(c.texts[c.docs - 1], "good four") && !c.damage[c.docs - 1]);
    CHECK(strstr(c.last_warning, "Content-Length") != NULL);
    th_buf_release(&raw);
}

static void damaged_missing_headers_and_garbage(void)
{
    struct th_buf raw;
    th_buf_init(&raw, 0);
    warc_record(&raw, "conversion", "http://1/", 0, "", "before", 0);
    th_buf_append_cstr(&raw, "WARC/1.1\r\nWARC-Type: conversion\r\n\r\nno "
                       "length here\r\n\r\n");
    for (int i = 0; i < 500; i++)
        th_buf_putc(&raw, (char)(i * 37 + 11));
    th_buf_append_cstr(&raw, "\r\n");
    warc_record(&raw, "conversion", "http://2/", 0, "", "after", 0);
    write_file(tmp_path("garbage.warc"), raw.ptr, raw.len);
    struct collected c = read_all(tmp_path("garbage.warc"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK_EQ_INT(c.docs, 2);
    CHECK_EQ_STR(c.texts[0], "before");
    CHECK_EQ_STR(c.texts[1], "after");
    CHECK(c.stats.damaged >= 1);
    CHECK(c.warnings >= 1);
    th_buf_release(&raw);
}

static void damaged_binary_garbage_file(void)
{
    char junk[4096];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)((i * 7919u) >> 3);
    junk[0] = 'W';   /* neither WARC nor JSON: read as one text doc */
    write_file(tmp_path("junk.bin"), junk, sizeof(junk));
    struct collected c = read_all(tmp_path("junk.bin"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK_EQ_INT(c.docs, 1);
    /* gzip magic followed by garbage */
    junk[0] = 0x1f;
    junk[1] = (char)0x8b;
    junk[2] = 8;
    write_file(tmp_path("junk.gz"), junk, sizeof(junk));
    c = read_all(tmp_path("junk.gz"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK(c.stats.damaged >= 1);
    CHECK(c.warnings >= 1);
}

static void damaged_jsonl_lines(void)
{
    const char *in = "{\"id\":\"a\",\"text\":\"ok\"}\n"
                     "{\"id\":\"b\",\"text\":\"bad \xff\xfe bytes\"}\n"
                     "{\"id\":\"c\",\"text\":\"unterminated\n"
                     "[1,2,3]\n"
                     "{\"id\":\"d\"}\n"
                     "{\"id\":\"e\",\"text\":\"last\"}\n";
    write_file(tmp_path("bad.jsonl"), in, strlen(in));
    struct collected c = read_all(tmp_path("bad.jsonl"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK_EQ_INT(c.docs, 6);
    CHECK(!c.damage[0] && !c.damage[1] && !c.damage[5]);
    CHECK_EQ_STR(c.damage[2], "bad_json");
    CHECK_EQ_STR(c.damage[3], "bad_json");
    CHECK_EQ_STR(c.damage[4], "bad_json");
    CHECK_EQ_INT(c.stats.damaged, 4);
    CHECK(strstr(c.last_warning, "bad.jsonl: offset") != NULL);
}

static void damaged_huge_line(void)
{
    /* a 100 MB line between two good ones, record limit 1 MiB */
    const char *path = tmp_path("huge.jsonl");
    FILE *f = fopen(path, "wb");
    fputs("{\"id\":\"a\",\"text\":\"before\"}\n{\"id\":\"h\",\"text\":\"", f);
    char *block = malloc(1 << 20);
    memset(block, 'x', 1 << 20);
    for (int i = 0; i < 100; i++)
        fwrite(block, 1, 1 << 20, f);
    free(block);
    fputs("\"}\n{\"id\":\"z\",\"text\":\"after\"}\n", f);
    fclose(f);
    struct th_reader_options o = { .max_record = 1 << 20 };
    struct collected c = read_all(path, &o);
    CHECK_EQ_INT(c.rc, 0);
    CHECK_EQ_INT(c.docs, 3);
    CHECK_EQ_STR(c.texts[0], "before");
    CHECK_EQ_STR(c.damage[1], "too_large");
    CHECK_EQ_STR(c.texts[2], "after");
    unlink(path);
}

static void empty_and_missing_files(void)
{
    write_file(tmp_path("empty.jsonl"), "", 0);
    struct collected c = read_all(tmp_path("empty.jsonl"), NULL);
    CHECK_EQ_INT(c.rc, 0);
    CHECK_EQ_INT(c.docs, 0);
    struct th_reader *r;
    struct th_error err = {0};
    CHECK(th_reader_open(&r, tmp_path("does-not-exist"), NULL, &err) ==
          TH_EIO);
    CHECK(strstr(err.msg, "does-not-exist") != NULL);
}

static const struct th_test tests[] = {
    {"warc_uncompressed", warc_uncompressed},
    {"warc_gzip_member_per_record", warc_gzip_member_per_record},
    {"warc_whole_gzip_and_zstd", warc_whole_gzip_and_zstd},
    {"warc_from_stdin_pipe", warc_from_stdin_pipe},
    {"jsonl_fields_and_passthrough", jsonl_fields_and_passthrough},
    {"writer_reader_round_trip", writer_reader_round_trip},
    {"writer_leaves_no_final_name_on_abort",
     writer_leaves_no_final_name_on_abort},
    {"damaged_truncated_gzip_member", damaged_truncated_gzip_member},
    {"damaged_corrupt_zstd_frame", damaged_corrupt_zstd_frame},
    {"damaged_wrong_content_length", damaged_wrong_content_length},
    {"damaged_missing_headers_and_garbage",
     damaged_missing_headers_and_garbage},
    {"damaged_binary_garbage_file", damaged_binary_garbage_file},
    {"damaged_jsonl_lines", damaged_jsonl_lines},
    {"damaged_huge_line", damaged_huge_line},
    {"empty_and_missing_files", empty_and_missing_files},
};

TH_TEST_MAIN(tests)
