/*
 * Unit tests for lib/html: character references, charset decoding, tree
 * building, inline spacing, output formats, metadata, one golden case per
 * kind of boilerplate, the seed page, and robustness (deep nesting, huge
 * text nodes, a million attributes, NULs, invalid UTF-8, truncation,
 * binary input). Fixtures are generated here; the seed text is read from
 * ../shared/data/seed at run time.
 */
#include <stdlib.h>
#include <string.h>

#include "thresh/html.h"
#include "thresh/stage.h"
#include "../../lib/html/html_internal.h"
#include "../test.h"

/* Extraction result copied out of the arena. */
struct got {
    char *text;               /* malloc'd, NUL-terminated */
    char *title;              /* malloc'd */
    char *canonical;          /* malloc'd */
    char *lang;               /* malloc'd */
    char *date;               /* malloc'd */
    char *author;             /* malloc'd */
    const char *drop;         /* static reason or NULL */
    int rc;                   /* th_html_extract status */
};

static char *dup_slice(struct th_slice s)
{
    char *c = malloc(s.len + 1);
    memcpy(c, s.ptr ? s.ptr : "", s.len);
    c[s.len] = 0;
    return c;
}

static struct got extract_opts(const char *html, size_t len,
                               const struct th_html_extract_options *opts,
                               const char *url)
{
    struct th_html_extractor *ex;
    struct th_arena *arena;
    struct got g = {0};
    CHECK(th_html_extractor_new(&ex, opts) == 0);
    CHECK(th_arena_new(&arena, 0, 0) == 0);
    struct th_html_result r;
    struct th_error err = {0};
    g.rc = th_html_extract(ex, (const uint8_t *)html, len,
                           (struct th_slice){NULL, 0},
                           th_slice_from_cstr(url), arena, &r, &err);
    if (g.rc == 0) {
        g.text = dup_slice(r.text);
        g.title = dup_slice(r.title);
        g.canonical = dup_slice(r.canonical);
        g.lang = dup_slice(r.lang);
        g.date = dup_slice(r.date);
        g.author = dup_slice(r.author);
        g.drop = r.drop_reason;
    }
    th_arena_free(arena);
    th_html_extractor_free(ex);
    return g;
}

static struct got extract(const char *html)
{
    return extract_opts(html, strlen(html), NULL, "");
}

static void got_free(struct got *g)
{
    free(g->text);
    free(g->title);
    free(g->canonical);
    free(g->lang);
    free(g->date);
    free(g->author);
}

/* A paragraph long enough to be scored as content. */
#define PARA(n) "<p>Paragraph " #n " of the article explains, in some " \
    "detail, how the river changed course after the storm, why the town " \
    "moved its market, and what the mayor said about it.</p>\n"

#define ARTICLE PARA(1) PARA(2) PARA(3) PARA(4) PARA(5)

static struct th_slice unescape(const char *s, bool in_attr,
                                struct th_arena *arena)
{
    return th_html_unescape(s, strlen(s), in_attr, arena);
}

static void references_decode(void)
{
    struct th_arena *a;
    CHECK(th_arena_new(&a, 0, 0) == 0);
    struct th_slice r = unescape("&amp; &lt;&GT; &copy &notit; &#x41;&#66;"
                                 "&#128;&#0;x &bogus; &", false, a);
    const char want[] = "& <> \xc2\xa9 \xc2\xacit; AB\xe2\x82\xac\xef\xbf\xbdx"
                        " &bogus; &";
    CHECK_EQ_MEM(r.ptr, r.len, want, sizeof(want) - 1);
    r = unescape("&nGt;&#x110000;&#xD800;", false, a);
    const char want2[] = "\xe2\x89\xab\xe2\x83\x92\xef\xbf\xbd\xef\xbf\xbd";
    CHECK_EQ_MEM(r.ptr, r.len, want2, sizeof(want2) - 1);
    /* In attributes a legacy name followed by '=' or a letter stays. */
    r = unescape("?a=1&copy=2&copyx&copy;", true, a);
    const char want3[] = "?a=1&copy=2&copyx\xc2\xa9";
    CHECK_EQ_MEM(r.ptr, r.len, want3, sizeof(want3) - 1);
    th_arena_free(a);
}

static void charset_decoding(void)
{
    struct th_arena *a;
    CHECK(th_arena_new(&a, 0, 0) == 0);
    struct th_slice out;
    const char *cs;
    /* Valid UTF-8 is used in place. */
    const char u[] = "caf\xc3\xa9";
    CHECK(th_html_decode((const uint8_t *)u, 5, (struct th_slice){0}, a,
                         &out, &cs, NULL) == 0);
    CHECK(out.ptr == u && out.len == 5);
    CHECK_EQ_STR(cs, "utf-8");
    /* UTF-8 BOM stripped; UTF-16LE by BOM. */
    CHECK(th_html_decode((const uint8_t *)"\xef\xbb\xbfhi", 5,
                         (struct th_slice){0}, a, &out, &cs, NULL) == 0);
    CHECK_EQ_MEM(out.ptr, out.len, "hi", 2);
    CHECK(th_html_decode((const uint8_t *)"\xff\xfeh\0\xe9\0", 6,
                         (struct th_slice){0}, a, &out, &cs, NULL) == 0);
    CHECK_EQ_MEM(out.ptr, out.len, "h\xc3\xa9", 3);
    /* An HTTP UTF-16 charset without BOM. */
    CHECK(th_html_decode((const uint8_t *)"h\0\xe9\0", 4,
                         TH_SLICE_LIT("UTF-16LE"), a, &out, &cs, NULL) == 0);
    CHECK_EQ_MEM(out.ptr, out.len, "h\xc3\xa9", 3);
    /* HTTP charset, then <meta>, then windows-1252. */
    const char l1[] = "caf\xe9 \x80";
    CHECK(th_html_decode((const uint8_t *)l1, 6, TH_SLICE_LIT("ISO-8859-1"),
                         a, &out, &cs, NULL) == 0);
    CHECK_EQ_MEM(out.ptr, out.len, "caf\xc3\xa9 \xe2\x82\xac", 9);
    const char k[] = "<meta charset=\"koi8-r\"><p>\xf0\xd2\xc9";
    CHECK(th_html_decode((const uint8_t *)k, sizeof(k) - 1,
                         (struct th_slice){0}, a, &out, &cs, NULL) == 0);
    CHECK(out.len >= 6 &&
          memcmp(out.ptr + out.len - 6, "\xd0\x9f\xd1\x80\xd0\xb8", 6) == 0);
    CHECK(th_html_decode((const uint8_t *)l1, 6, (struct th_slice){0}, a,
                         &out, &cs, NULL) == 0);
    CHECK_EQ_STR(cs, "windows-1252");
    /* Mostly UTF-8 with one bad byte: repaired, not reinterpreted. */
    const char m[] = "\xc3\xa9\xc3\xa9\xc3\xa9 \xff x";
    CHECK(th_html_decode((const uint8_t *)m, sizeof(m) - 1,
                         (struct th_slice){0}, a, &out, &cs, NULL) == 0);
    const char mw[] = "\xc3\xa9\xc3\xa9\xc3\xa9 \xef\xbf\xbd x";
    CHECK_EQ_MEM(out.ptr, out.len, mw, sizeof(mw) - 1);
    th_arena_free(a);
}

/* Tags of the element children of the body, as a string "p,p,ul". */
static void body_children(const char *html, char *out, size_t cap)
{
    struct th_html_parser *p;
    struct th_arena *a;
    CHECK(th_html_parser_new(&p) == 0);
    CHECK(th_arena_new(&a, 0, 0) == 0);
    CHECK(th_html_parse(p, html, strlen(html), a, NULL) == 0);
    out[0] = 0;
    size_t len = 0;
    CHECK(p->body != 0);
    for (uint32_t c = p->nodes[p->body].first_child; c;
         c = p->nodes[c].next_sibling) {
        unsigned t = p->nodes[c].tag;
        if (t == TH_TAG_TEXT)
            continue;
        const char *name = t < TH_TAG_COUNT ? th_html_tags[t].name : "?";
        len += (size_t)snprintf(out + len, cap - len, "%s%s",
                                len ? "," : "", name);
    }
    th_arena_free(a);
    th_html_parser_free(p);
}

static void tree_follows_html5(void)
{
    char got[256];
    body_children("<p>a<p>b<div>c</div>", got, sizeof(got));
    CHECK_EQ_STR(got, "p,p,div");
    body_children("<ul><li>a<li>b</ul><h1>x<h2>y</h2>", got, sizeof(got));
    CHECK_EQ_STR(got, "ul,h1,h2");
    body_children("<b><i>x</b>y</i><p>z", got, sizeof(got));
    CHECK_EQ_STR(got, "b,p");
    body_children("<table><tr><td>a<td>b</table><p>c", got, sizeof(got));
    CHECK_EQ_STR(got, "table,p");
    /* Implied html and body; head content stays out of the body. */
    body_children("<title>t</title><div>x</div>", got, sizeof(got));
    CHECK_EQ_STR(got, "div");
    /* A formatting end tag across a block moves the block out of it. */
    body_children("<a href=\"#x\"><p>one</a> two</p><div>x</div>", got,
                  sizeof(got));
    CHECK_EQ_STR(got, "a,p,div");
    /* A stray end tag does not close a block. */
    body_children("<div><span>a</em>b</div><p>c", got, sizeof(got));
    CHECK_EQ_STR(got, "div,p");
}

static void raw_text_comments_cdata(void)
{
    struct got g = extract(
        "<body><script>if (a<b) document.write(\"</div><p>no\");</script>"
        "<style>p{}</style><!-- <p>hidden</p> --><!--><p>one "
        "<![CDATA[gone]]>two<textarea>&lt;t&gt;</textarea></p>"
        "<noscript><p>enable js</p></noscript><p>three</p></body>");
    CHECK_EQ_STR(g.text, "one two\nthree");
    got_free(&g);
    /* Script data escaped states: the inner </script> does not end it. */
    g = extract("<body><script><!--\ndocument.write(\"<script>x()</script>"
                "\");\n//--></script><p>after</p></body>");
    CHECK_EQ_STR(g.text, "after");
    got_free(&g);
}

static void inline_spacing(void)
{
    struct got g = extract("<p>mounting on <a href=\"/i\">Italy</a> the "
                           "policy</p><p>a<br>b</p><div>x</div><div>y</div>"
                           "<p>in<span>line</span> and <b>bold</b>.</p>");
    CHECK_EQ_STR(g.text, "mounting on Italy the policy\na\nb\nx\ny\n"
                         "inline and bold.");
    got_free(&g);
    g = extract("<table><tr>stray<td>a</td><td>b</td></tr></table>");
    CHECK(strstr(g.text, "stray") != NULL);
    got_free(&g);
    g = extract("<p>  spaces \n\t and&nbsp;nbsp\xc2\xa0here </p>");
    CHECK_EQ_STR(g.text, "spaces and nbsp here");
    got_free(&g);
}

static void markdown_output(void)
{
    struct th_html_extract_options o = {0};
    o.format = TH_HTML_FORMAT_MARKDOWN;
    o.markdown_links = true;
    const char *html =
        "<article><h2>Section</h2>" PARA(1)
        "<ul><li>one</li><li>two <a href=\"http://x.org/\">link</a></li>"
        "</ul><ol><li>first</li></ol><blockquote><p>quoted</p></blockquote>"
        "<pre>code  line\n  indented</pre>"
        "<table><caption>Cap</caption><tr><th>h1</th><th>h2</th></tr><tr>"
        "<td>a</td><td>b</td></tr></table>" PARA(2) "</article>";
    struct got g = extract_opts(html, strlen(html), &o, "");
    CHECK(strstr(g.text, "## Section\n") != NULL);
    CHECK(strstr(g.text, "\n- one\n- two [link](http://x.org/)\n") != NULL);
    CHECK(strstr(g.text, "\n1. first\n") != NULL);
    CHECK(strstr(g.text, "\n> quoted\n") != NULL);
    CHECK(strstr(g.text, "\n```\ncode  line\n  indented\n```\n") != NULL);
    CHECK(strstr(g.text, "\nCap\n\n| h1 | h2 |\n| --- | --- |\n| a | b |\n")
          != NULL);
    got_free(&g);
    g = extract(html);
    CHECK(strstr(g.text, "Section\nParagraph 1") != NULL);
    CHECK(strstr(g.text, "\none\ntwo link\nfirst\nquoted\n") != NULL);
    CHECK(strstr(g.text, "\nCap\nh1 | h2\na | b\n") != NULL);
    got_free(&g);
}

static void metadata_read(void)
{
    const char *html =
        "<html lang=\"en-GB\"><head><title> A &amp; B </title>"
        "<link rel=\"canonical\" href=\"/news/a-b\">"
        "<meta property=\"article:published_time\" "
        "content=\"2018-06-19T10:00:00Z\">"
        "<meta name=\"author\" content=\"Jane Doe\"></head><body><article>"
        ARTICLE "</article></body></html>";
    struct got g = extract_opts(html, strlen(html), NULL,
                                "https://example.org/x/y.html");
    CHECK_EQ_STR(g.title, "A & B");
    CHECK_EQ_STR(g.canonical, "https://example.org/news/a-b");
    CHECK_EQ_STR(g.lang, "en-GB");
    CHECK_EQ_STR(g.date, "2018-06-19T10:00:00Z");
    CHECK_EQ_STR(g.author, "Jane Doe");
    got_free(&g);
}

/* The article survives and the marker text of the boilerplate does not. */
static void check_dropped(const char *name, const char *before,
                          const char *inside, const char *after,
                          const char *marker)
{
    char html[16384];
    snprintf(html, sizeof(html),
             "<html><head><title>River</title></head><body>%s"
             "<div class=\"main\"><article><h1>River</h1>" PARA(1) PARA(2)
             "%s" PARA(3) PARA(4) PARA(5) "</article></div>%s</body></html>",
             before, inside, after);
    struct got g = extract(html);
    bool ok = g.text && strstr(g.text, "Paragraph 1 of") &&
              strstr(g.text, "Paragraph 5 of") && !strstr(g.text, marker);
    if (!ok)
        printf("#   %s: got \"%s\"\n", name, g.text ? g.text : "(null)");
    CHECK(ok);
    got_free(&g);
}

static void boilerplate_dropped(void)
{
    check_dropped("menu", "<nav><ul><li><a href=\"/\">Home MENUX</a></li>"
                  "<li><a href=\"/w\">World</a></li></ul></nav>", "", "",
                  "MENUX");
    check_dropped("menu_div", "<div class=\"menu\"><a href=\"/\">Home</a> "
                  "<a href=\"/s\">Sport MENUX</a></div>", "", "", "MENUX");
    check_dropped("footer", "", "", "<footer><p>Copyright 2018 River "
                  "Media FOOTX. All rights reserved.</p></footer>", "FOOTX");
    check_dropped("footer_div", "", "", "<div id=\"footer\"><p>About us, "
                  "contact, privacy FOOTX</p></div>", "FOOTX");
    check_dropped("cookie", "<div id=\"cookie-banner\"><p>We use cookies "
                  "to improve your experience COOKX. By using this site you "
                  "accept.</p><button>OK</button></div>", "", "", "COOKX");
    check_dropped("share", "", "<div class=\"share-buttons\"><a href=\"#\">"
                  "Facebook</a> <a href=\"#\">Twitter SHAREX</a></div>", "",
                  "SHAREX");
    check_dropped("see_also", "", "<p><strong>SEE ALSO:</strong> <a href="
                  "\"/x\">Another story SEEX goes off the rails</a></p>", "",
                  "SEEX");
    check_dropped("read_more", "", "<p><a href=\"/y\">Read more: the "
                  "market READX</a></p>", "", "READX");
    check_dropped("related", "", "<p>Related: <a href=\"/z\">Town moves "
                  "its market RELX</a></p>", "", "RELX");
    check_dropped("related_widget", "", "", "<section class=\"related-"
                  "stories\"><h2>Related</h2><ul><li><a href=\"/a\">One "
                  "headline RELW</a></li><li><a href=\"/b\">Another headline"
                  "</a></li></ul></section>", "RELW");
    check_dropped("headline_widget", "", "", "<div class=\"trending\"><h3>"
                  "Trending</h3><ul><li><a href=\"/a\">100 Years of Design "
                  "TRENDX</a></li><li><a href=\"/b\">How Should We Mourn</a>"
                  "</li><li><a href=\"/c\">Reading an Autobiography</a></li>"
                  "</ul></div>", "TRENDX");
    check_dropped("comments", "", "", "<section id=\"comments\"><h3>3 "
                  "Comments</h3><div class=\"comment\"><p>I think the river "
                  "story, like all of them, is overblown, and the mayor, as "
                  "usual, is wrong COMX.</p></div></section>", "COMX");
    check_dropped("tweet_placeholder", "", "<blockquote class=\"twitter-"
                  "tweet\"><p>This Tweet is currently unavailable. It might "
                  "be loading or has been removed. TWEETX</p></blockquote>",
                  "", "TWEETX");
    check_dropped("legal_line", "", "", "<div class=\"bottom\"><p>&copy; "
                  "2018 River Media LEGALX. All rights reserved.</p></div>",
                  "LEGALX");
    check_dropped("hidden", "", "<div style=\"display: none\">HIDX</div>"
                  "<p hidden>HIDX</p>", "", "HIDX");
}

static void comments_kept_on_request(void)
{
    struct th_html_extract_options o = {0};
    o.include_comments = true;
    const char *html = "<body><article>" ARTICLE "</article><div id=\""
                       "comments\">" PARA(6) PARA(7) "</div></body>";
    struct got g = extract_opts(html, strlen(html), &o, "");
    CHECK(strstr(g.text, "Paragraph 6 of") != NULL);
    got_free(&g);
    g = extract(html);
    CHECK(strstr(g.text, "Paragraph 6 of") == NULL);
    got_free(&g);
}

/* The seed article as a page, with each of its leftovers as markup. */
static void seed_page_golden(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/seed/seed-document.txt",
             th_test_shared_data());
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("# %s missing: skipped\n", path);
        return;
    }
    struct th_buf html, want;
    th_buf_init(&html, 0);
    th_buf_init(&want, 0);
    th_buf_append_cstr(&html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Microsoft employees protest ICE contract</title></head>"
        "<body><header><nav><ul><li><a href=\"/\">Home</a></li><li>"
        "<a href=\"/tech\">Tech</a></li></ul></nav></header>"
        "<div id=\"cookie-banner\">We use cookies. <a href=\"/p\">Learn "
        "more</a></div><main><article><h1>Microsoft employees protest ICE "
        "contract</h1><div class=\"social-share\"><a href=\"#\">Share on "
        "Facebook</a> <a href=\"#\">Tweet</a></div>"
        "<div class=\"article-content\">\n");
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        n++;
        char *glue;
        if ((glue = strstr(line, "Italythe"))) {
            *glue = 0;
            th_buf_printf(&html, "<p>%s<a href=\"/italy\">Italy</a> %s</p>\n",
                          line, glue + 5);
        } else if ((glue = strstr(line, "notworking"))) {
            *glue = 0;
            th_buf_printf(&html, "<p>%snot <em>working</em>%s</p>\n", line,
                          glue + 10);
        } else if (!strncmp(line, "SEE ALSO: ", 10) &&
                   (glue = strstr(line, "railsThe"))) {
            glue[5] = 0;
            th_buf_printf(&html, "<p><strong>SEE ALSO:</strong> <a href=\""
                          "/laura\">%s</a></p>\n<p>The%s</p>\n", line + 10,
                          glue + 8);
        } else if (!strncmp(line, "This Tweet", 10)) {
            th_buf_printf(&html, "<blockquote class=\"twitter-tweet\"><p>%s"
                          "</p></blockquote>\n", line);
        } else if (!strncmp(line, "Topics ", 7)) {
            th_buf_append_cstr(&html, "</div><div class=\"article-topics\">"
                               "Topics <a href=\"/t/ms\">Microsoft</a> <a "
                               "href=\"/t/p\">Politics</a> <a href=\"/t/i\">"
                               "Immigration</a></div></article>");
        } else if (n >= 16) {
            th_buf_printf(&html, "<section class=\"related-stories\"><h2>"
                          "More in Tech</h2><ul><li><a href=\"/r\">%s</a>"
                          "</li></ul></section>", line);
        } else {
            th_buf_printf(&html, "<p>%s</p>\n", line);
        }
    }
    fclose(f);
    th_buf_append_cstr(&html, "</main><section id=\"comments\"><h3>"
                       "Comments</h3><p>First! This is outrageous, and the "
                       "company, as always, will not listen.</p></section>"
                       "<footer><p>&copy; 2018 Mashable, Inc.</p></footer>"
                       "</body></html>");
    snprintf(path, sizeof(path), "%s/seed/expected-clean.txt",
             th_test_shared_data());
    f = fopen(path, "rb");
    CHECK(f != NULL);
    while (f && fgets(line, sizeof(line), f)) {
        char *glue;
        if ((glue = strstr(line, "Italythe")))
            memmove(glue + 6, glue + 5, strlen(glue + 5) + 1), glue[5] = ' ';
        if ((glue = strstr(line, "notworking")))
            memmove(glue + 4, glue + 3, strlen(glue + 3) + 1), glue[3] = ' ';
        th_buf_append_cstr(&want, line);
    }
    if (f)
        fclose(f);
    while (want.len && want.ptr[want.len - 1] == '\n')
        want.ptr[--want.len] = 0;
    struct got g = extract_opts(html.ptr, html.len, NULL, "");
    CHECK(g.text != NULL);
    if (g.text)
        CHECK_EQ_MEM(g.text, strlen(g.text), want.ptr, want.len);
    CHECK_EQ_STR(g.lang, "en");
    got_free(&g);
    th_buf_release(&html);
    th_buf_release(&want);
}

static void deep_nesting(void)
{
    size_t depth = 100000;
    struct th_buf b;
    th_buf_init(&b, 0);
    for (size_t i = 0; i < depth; i++)
        th_buf_append(&b, i % 2 ? "<span>" : "<div>", i % 2 ? 6 : 5);
    th_buf_append_cstr(&b, "deep text, with commas, that is long enough to "
                       "count as a paragraph of content.");
    for (size_t i = depth; i-- > 0;)
        th_buf_append(&b, i % 2 ? "</span>" : "</div>", i % 2 ? 7 : 6);
    struct got g = extract_opts(b.ptr, b.len, NULL, "");
    CHECK_EQ_INT(g.rc, 0);
    CHECK(g.text && strstr(g.text, "deep text") != NULL);
    got_free(&g);
    th_buf_release(&b);
}

static void huge_text_node(void)
{
    size_t size = 50u << 20;
    char *html = malloc(size + 16);
    memcpy(html, "<p>", 3);
    for (size_t i = 3; i < size; i++)
        html[i] = "word, "[i % 6];
    memcpy(html + size, "</p>", 4);
    struct got g = extract_opts(html, size + 4, NULL, "");
    CHECK_EQ_INT(g.rc, 0);
    CHECK(g.drop == NULL);
    CHECK(g.text && strlen(g.text) > size - 16);
    got_free(&g);
    free(html);
}

static void million_attributes(void)
{
    struct th_buf b;
    th_buf_init(&b, 0);
    th_buf_append_cstr(&b, "<div");
    for (int i = 0; i < 1000000; i++)
        th_buf_printf(&b, " a%d=%d", i, i);
    th_buf_append_cstr(&b, " class=\"content\">" ARTICLE "</div>");
    struct got g = extract_opts(b.ptr, b.len, NULL, "");
    CHECK_EQ_INT(g.rc, 0);
    CHECK(g.text && strstr(g.text, "Paragraph 5 of") != NULL);
    got_free(&g);
    th_buf_release(&b);
}

/* Markup denser than the node budget is dropped, not allocated. */
static void dense_markup_budget(void)
{
    size_t n = 1000000;
    char *html = malloc(3 * n);
    for (size_t i = 0; i < n; i++)
        memcpy(html + 3 * i, "<b>", 3);
    struct got g = extract_opts(html, 3 * n, NULL, "");
    CHECK_EQ_INT(g.rc, 0);
    CHECK(g.drop && !strcmp(g.drop, "too_large"));
    got_free(&g);
    free(html);
}

static bool valid_utf8_without_nul(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t k = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3
                 : (*p >> 3) == 30 ? 4 : 0;
        if (!k)
            return false;
        for (size_t i = 1; i < k; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += k;
    }
    return true;
}

static void nuls_and_invalid_utf8(void)
{
    const char html[] = "<p>a\0b \xc3\xa9t\xc3\xa9 caf\xc3\xa9 \xff\xfe x\0</p>"
                        "<p\0 class=x>y</p><di\0v>z</div>";
    struct got g = extract_opts(html, sizeof(html) - 1, NULL, "");
    CHECK_EQ_INT(g.rc, 0);
    CHECK(g.text && valid_utf8_without_nul(g.text));
    CHECK(g.text && strstr(g.text, "caf\xc3\xa9") != NULL);
    got_free(&g);
}

static void truncated_documents(void)
{
    const char *html = "<!DOCTYPE html><html><head><title>T</title><script>"
                       "var x = '<p>';</script></head><body><div class=\"a\""
                       " id='b' data-x=y><p>Some &amp; text &#x263a; &copy "
                       "<a href=\"/x?a=1&amp;b=2\">link</a><!-- c --> more"
                       "</p><table><tr><td>cell<![CDATA[x]]></table></div>"
                       "</body></html>";
    size_t len = strlen(html);
    for (size_t cut = 0; cut <= len; cut++) {
        struct got g = extract_opts(html, cut, NULL, "");
        CHECK_EQ_INT(g.rc, 0);
        CHECK(g.text != NULL);
        CHECK(g.text[0] != 0 || g.drop != NULL);
        got_free(&g);
    }
}

static void non_html_bytes(void)
{
    char png[2048];
    memcpy(png, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    for (size_t i = 16; i < sizeof(png); i++)
        png[i] = (char)(i * 7 % 31);
    struct got g = extract_opts(png, sizeof(png), NULL, "");
    CHECK_EQ_INT(g.rc, 0);
    CHECK(g.drop && !strcmp(g.drop, "not_html"));
    got_free(&g);
    g = extract("");
    CHECK(g.drop && !strcmp(g.drop, "not_html"));
    got_free(&g);
    g = extract("<html><body><script>x()</script></body></html>");
    CHECK(g.drop && !strcmp(g.drop, "no_content"));
    got_free(&g);
    /* Plain text served as text/html is still text. */
    g = extract("Just a line of plain text.\nAnd another one.");
    CHECK_EQ_STR(g.text, "Just a line of plain text. And another one.");
    got_free(&g);
}

extern const struct th_stage_type th_stage_extract;

static void stage_extracts_and_drops(void)
{
    const struct th_stage_type *st = &th_stage_extract;
    CHECK_EQ_STR(st->name, "extract");
    CHECK(st->flags & TH_STAGE_HTML_ONLY);
    struct th_config *cfg;
    struct th_error err = {0};
    struct th_arena *arena;
    void *state = NULL;
    CHECK(th_config_new(&cfg) == 0);
    CHECK(th_arena_new(&arena, 0, 0) == 0);
    CHECK(th_config_set(cfg, "extract.format", "markdown") == 0);
    CHECK(st->create(&state, NULL, cfg, &err) == 0);
    const char *html = "<html lang=\"de\"><head><title>Titel</title>"
                       "<meta name=\"date\" content=\"2020-02-02\"></head>"
                       "<body><article><h2>Teil</h2>" ARTICLE "</article>"
                       "</body></html>";
    struct th_doc doc;
    th_doc_init(&doc);
    doc.kind = TH_DOC_HTML;
    doc.text = th_slice_from_cstr(html);
    doc.url = TH_SLICE_LIT("https://example.org/a");
    CHECK(st->process(state, &doc, arena, &err) == 0);
    CHECK(doc.verdict == TH_KEEP);
    CHECK(doc.kind == TH_DOC_TEXT);
    CHECK(doc.text.len > 10 && !memcmp(doc.text.ptr, "## Teil\n", 8));
    const struct th_meta *m = th_doc_get_meta(&doc, "title");
    CHECK(m && th_slice_eq_cstr(m->json, "\"Titel\""));
    m = th_doc_get_meta(&doc, "html_lang");
    CHECK(m && th_slice_eq_cstr(m->json, "\"de\""));
    m = th_doc_get_meta(&doc, "date_published");
    CHECK(m && th_slice_eq_cstr(m->json, "\"2020-02-02\""));
    th_doc_init(&doc);
    doc.kind = TH_DOC_HTML;
    doc.text = TH_SLICE_LIT("<html><body><nav><a href=/>x</a></nav></body>"
                            "</html>");
    CHECK(st->process(state, &doc, arena, &err) == 0);
    CHECK(doc.verdict == TH_DROP);
    CHECK_EQ_STR(doc.drop_stage, "extract");
    CHECK_EQ_STR(doc.drop_reason, "no_content");
    st->destroy(state);
    CHECK(th_config_set(cfg, "extract.format", "pdf") == 0);
    CHECK(st->create(&state, NULL, cfg, &err) == TH_EINVAL);
    th_arena_free(arena);
    th_config_free(cfg);
}

static const struct th_test tests[] = {
    {"stage_extracts_and_drops", stage_extracts_and_drops},
    {"references_decode", references_decode},
    {"charset_decoding", charset_decoding},
    {"tree_follows_html5", tree_follows_html5},
    {"raw_text_comments_cdata", raw_text_comments_cdata},
    {"inline_spacing", inline_spacing},
    {"markdown_output", markdown_output},
    {"metadata_read", metadata_read},
    {"boilerplate_dropped", boilerplate_dropped},
    {"comments_kept_on_request", comments_kept_on_request},
    {"seed_page_golden", seed_page_golden},
    {"deep_nesting", deep_nesting},
    {"huge_text_node", huge_text_node},
    {"million_attributes", million_attributes},
    {"dense_markup_budget", dense_markup_budget},
    {"nuls_and_invalid_utf8", nuls_and_invalid_utf8},
    {"truncated_documents", truncated_documents},
    {"non_html_bytes", non_html_bytes},
};

TH_TEST_MAIN(tests)
