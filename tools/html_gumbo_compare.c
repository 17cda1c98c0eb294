/*
 * Development tool (not built by Meson): compares the tree of lib/html with
 * libgumbo's on a set of pages and times both parsers. For every page the
 * text of the body in document order (script, style, noscript, template,
 * textarea, title, iframe, head excluded) is taken from both trees and
 * scored with th_score_page; pages below 0.995 are listed. Build:
 *   gcc -O2 -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
 *     -Iinclude -Ilib/html -Ilib/core tools/html_gumbo_compare.c \
 *     BUILD/lib/html/libth_html.a BUILD/lib/core/libth_core.a \
 *     -lgumbo -lutf8proc -lxxhash -lm -o html_gumbo_compare
 * (Debian libgumbo-dev). Run: html_gumbo_compare SET_DIR
 * Known difference: libgumbo parses <noscript> content as markup (scripting
 * off), lib/html as raw text (scripting on, as browsers with JavaScript).
 */
#include <dirent.h>
#include <gumbo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html_internal.h"

static uint64_t cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

static bool gumbo_skip(GumboTag t)
{
    return t == GUMBO_TAG_SCRIPT || t == GUMBO_TAG_STYLE ||
           t == GUMBO_TAG_NOSCRIPT || t == GUMBO_TAG_TEMPLATE ||
           t == GUMBO_TAG_TEXTAREA || t == GUMBO_TAG_TITLE ||
           t == GUMBO_TAG_IFRAME || t == GUMBO_TAG_HEAD ||
           t == GUMBO_TAG_NOEMBED || t == GUMBO_TAG_NOFRAMES ||
           t == GUMBO_TAG_XMP;
}

static bool thresh_skip(unsigned t)
{
    return t == TH_TAG_SCRIPT || t == TH_TAG_STYLE || t == TH_TAG_NOSCRIPT ||
           t == TH_TAG_TEMPLATE || t == TH_TAG_TEXTAREA ||
           t == TH_TAG_TITLE || t == TH_TAG_IFRAME || t == TH_TAG_HEAD ||
           t == TH_TAG_NOEMBED || t == TH_TAG_NOFRAMES || t == TH_TAG_XMP;
}

static void gumbo_text(const GumboNode *n, struct th_buf *out)
{
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
        th_buf_append_cstr(out, n->v.text.text);
        th_buf_putc(out, ' ');
        return;
    }
    const GumboVector *c;
    if (n->type == GUMBO_NODE_DOCUMENT)
        c = &n->v.document.children;
    else if (n->type == GUMBO_NODE_ELEMENT && !gumbo_skip(n->v.element.tag))
        c = &n->v.element.children;
    else
        return;
    for (unsigned i = 0; i < c->length; i++)
        gumbo_text(c->data[i], out);
}

static void thresh_text(const struct th_html_parser *p, uint32_t n,
                        struct th_buf *out)
{
    const struct th_html_node *x = &p->nodes[n];
    if (x->tag == TH_TAG_TEXT) {
        th_buf_append(out, x->text.ptr, x->text.len);
        th_buf_putc(out, ' ');
        return;
    }
    if (x->tag != TH_TAG_DOCUMENT && thresh_skip(x->tag))
        return;
    for (uint32_t c = x->first_child; c; c = p->nodes[c].next_sibling)
        thresh_text(p, c, out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: html_gumbo_compare SET_DIR\n");
        return 1;
    }
    DIR *d = opendir(argv[1]);
    if (!d)
        return 1;
    struct th_arena *arena;
    struct th_html_parser *parser;
    if (th_arena_new(&arena, 0, 0) < 0 || th_html_parser_new(&parser) < 0)
        return 1;
    struct th_buf gb, tb;
    th_buf_init(&gb, 0);
    th_buf_init(&tb, 0);
    uint64_t t_gumbo = 0, t_thresh = 0;
    size_t bytes = 0, n = 0;
    double sum_f1 = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4096];
        size_t len;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%.3000s/%.255s/source.html", argv[1],
                 e->d_name);
        char *html = read_file(path, &len);
        if (!html)
            continue;
        struct th_slice u;
        th_html_decode((const uint8_t *)html, len, (struct th_slice){0},
                       arena, &u, NULL, NULL);
        uint64_t t0 = cpu_ns();
        GumboOutput *g = gumbo_parse_with_options(&kGumboDefaultOptions,
                                                  u.ptr, u.len);
        uint64_t t1 = cpu_ns();
        th_html_parse(parser, u.ptr, u.len, arena, NULL);
        uint64_t t2 = cpu_ns();
        t_gumbo += t1 - t0;
        t_thresh += t2 - t1;
        bytes += len;
        n++;
        th_buf_reset(&gb);
        th_buf_reset(&tb);
        gumbo_text(g->document, &gb);
        thresh_text(parser, 0, &tb);
        struct th_score_page sp;
        double pr, rc, f1;
        th_score_page(gb.ptr ? gb.ptr : "", gb.len, tb.ptr ? tb.ptr : "",
                      tb.len, &sp);
        th_score_page_prf(&sp, &pr, &rc, &f1);
        sum_f1 += f1;
        if (f1 < 0.995)
            printf("%-30s F1=%.4f P=%.4f R=%.4f\n", e->d_name, f1, pr, rc);
        gumbo_destroy_output(&kGumboDefaultOptions, g);
        free(html);
        th_arena_reset(arena);
    }
    closedir(d);
    if (!n)
        return 1;
    printf("pages %zu: mean text F1 vs gumbo %.4f; gumbo %.1f MB/s %.0f "
           "pages/s; thresh %.1f MB/s %.0f pages/s\n", n, sum_f1 / (double)n,
           (double)bytes / 1e3 / ((double)t_gumbo / 1e6),
           (double)n / ((double)t_gumbo / 1e9),
           (double)bytes / 1e3 / ((double)t_thresh / 1e6),
           (double)n / ((double)t_thresh / 1e9));
    th_buf_release(&gb);
    th_buf_release(&tb);
    th_html_parser_free(parser);
    th_arena_free(arena);
    return 0;
}
