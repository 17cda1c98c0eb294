/*
 * HTML tokenizer and tree builder.
 *
 * What: turns UTF-8 HTML into a tree of element and text nodes stored in
 * two flat arrays (nodes, attributes) that the parser keeps between
 * documents, with decoded text in the caller's arena.
 *
 * Approach: the tokenizer follows the HTML5 tokenization states that matter
 * for content (data, tag open, tag name, attribute name/value in the three
 * quoting forms, self-closing, comments including the "<!-->" forms, bogus
 * comments for doctypes, CDATA and processing instructions, raw text and
 * RCDATA elements, plaintext), but runs them as tight loops: text is found
 * with memchr('<'), and a text run is only copied when it holds a character
 * reference. Text nodes are therefore mostly zero-copy slices of the input.
 * EOF inside a tag drops the tag, as in HTML5; EOF inside a comment or raw
 * text ends it.
 *
 * The tree builder keeps the HTML5 stack of open elements and implements
 * the rules that shape text extraction: implied end tags for p, li, dd/dt,
 * option, headings, table cells and rows; element scopes (default, list
 * item, button, table) for end tags; "any other end tag" stopping at special
 * elements; implied html, head and body; void elements; a second <a>
 * closing the first; and a simplified adoption agency (see adopt()).
 * Foster parenting, the clones of the full adoption agency and the
 * reconstruction of active formatting elements are left out: they change
 * which inline element wraps a text, rarely which text follows which.
 * Nesting beyond max_depth is flattened (new elements become siblings),
 * which bounds every stack walk and keeps parse time linear; nodes and
 * attributes have per-document budgets.
 *
 * Rejected: libgumbo (Debian libgumbo-dev) is a complete HTML5 parser but
 * copies every token and allocates per node: on the dev pages it parses
 * 28 MB/s against 1.2 GB/s here, with the same text in the same order
 * (tools/html_gumbo_compare.c, docs/html.md). A streaming extractor
 * without a tree was rejected because main-content scoring needs
 * whole-subtree statistics.
 */
#include <stdlib.h>
#include <string.h>

#include "html_internal.h"
#include "../core/banned.h"

#define DEFAULT_MAX_DEPTH 512
#define DEFAULT_MAX_NODES ((size_t)1 << 26)
/*
 * Per-document budgets: nodes and attributes each get 65,536 plus one per
 * 16 input bytes (real pages average about 80 bytes per node). This keeps
 * the tree below 9 bytes of memory per input byte on any input; pages
 * denser than that are dropped (nodes) or lose attributes.
 */
#define BUDGET(len) ((size_t)65536 + (len) / 16)
#define MAX_ADOPTIONS 1000

static inline bool is_alpha(unsigned char c)
{
    return (unsigned char)((c | 32) - 'a') < 26;
}

static inline bool is_alnum(unsigned char c)
{
    return is_alpha(c) || (unsigned char)(c - '0') < 10;
}

static inline bool is_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
}


/* Entity whose name is exactly len bytes of name, or NULL. */
static const struct th_html_entity *entity_find(const char *name, size_t len)
{
    size_t lo = 0, hi = th_html_n_entities;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct th_html_entity *e = &th_html_entities[mid];
        size_t n = len < e->name_len ? len : e->name_len;
        int c = memcmp(name, e->name, n);
        if (c == 0)
            c = len < e->name_len ? -1 : (len > e->name_len ? 1 : 0);
        if (c == 0)
            return e;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/*
 * Decode one reference at s[0] == '&' (n bytes available). Writes the
 * replacement to out and returns the bytes consumed, or 0 when s does not
 * start a reference (the '&' is then literal).
 */
static size_t decode_ref(const char *s, size_t n, bool in_attr, char *out,
                         size_t *out_len)
{
    if (n < 2)
        return 0;
    if (s[1] == '#') {
        size_t i = 2;
        bool hex = i < n && (s[i] == 'x' || s[i] == 'X');
        if (hex)
            i++;
        size_t start = i;
        uint32_t v = 0;
        for (; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && (c | 32) >= 'a' && (c | 32) <= 'f')
                d = (c | 32) - 'a' + 10;
            else
                break;
            v = v * (hex ? 16 : 10) + d;
            if (v > 0x10FFFF)
                v = 0x110000;
        }
        if (i == start)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            v = 0xFFFD;
        else if (v >= 0x80 && v <= 0x9F)
            v = th_html_cp1252_c1[v - 0x80];
        *out_len = th_utf8_encode(v, out);
        return i;
    }
    size_t j = 1;
    while (j < n && j < 40 && is_alnum((unsigned char)s[j]))
        j++;
    if (j == 1)
        return 0;
    if (j < n && s[j] == ';') {
        const struct th_html_entity *e = entity_find(s + 1, j);
        if (e) {
            memcpy(out, e->utf8, e->utf8_len);
            *out_len = e->utf8_len;
            return j + 1;
        }
    }
    /* Legacy references without ';' are at most 6 letters long. */
    size_t max = j - 1 < 6 ? j - 1 : 6;
    for (size_t k = max; k >= 2; k--) {
        const struct th_html_entity *e = entity_find(s + 1, k);
        if (!e)
            continue;
        if (in_attr && k + 1 < n &&
            (s[k + 1] == '=' || is_alnum((unsigned char)s[k + 1])))
            return 0;
        memcpy(out, e->utf8, e->utf8_len);
        *out_len = e->utf8_len;
        return k + 1;
    }
    return 0;
}

struct th_slice th_html_unescape(const char *src, size_t len, bool in_attr,
                                 struct th_arena *arena)
{
    const char *amp = memchr(src, '&', len);
    if (!amp)
        return (struct th_slice){src, len};
    /* A reference never grows by more than 1 byte per 5 consumed. */
    char *out = th_arena_alloc(arena, len + len / 4 + 8);
    if (!out)
        return (struct th_slice){NULL, 0};
    size_t o = (size_t)(amp - src);
    memcpy(out, src, o);
    size_t i = o;
    while (i < len) {
        if (src[i] != '&') {
            const char *next = memchr(src + i, '&', len - i);
            size_t run = next ? (size_t)(next - (src + i)) : len - i;
            memcpy(out + o, src + i, run);
            o += run;
            i += run;
            continue;
        }
        size_t w = 0;
        size_t used = decode_ref(src + i, len - i, in_attr, out + o, &w);
        if (used) {
            o += w;
            i += used;
        } else {
            out[o++] = '&';
            i++;
        }
    }
    return (struct th_slice){out, o};
}

const struct th_slice *th_html_attr_get(const struct th_html_parser *parser,
                                        const struct th_html_node *node,
                                        const char *name)
{
    if (node->n_attrs == 0)
        return NULL;
    size_t len = strlen(name);
    const struct th_html_attr *a = parser->attrs + node->attrs;
    for (uint32_t i = 0; i < node->n_attrs; i++)
        if (a[i].name.len == len && memcmp(a[i].name.ptr, name, len) == 0)
            return &a[i].value;
    return NULL;
}

/* ------------------------------------------------------------ arrays */

static int grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return TH_ENOMEM;
        n *= 2;
    }
    void *p = realloc(*ptr, n * elem);
    if (!p)
        return TH_ENOMEM;
    *ptr = p;
    *cap = n;
    return 0;
}

int th_html_parser_new(struct th_html_parser **out)
{
    struct th_html_parser *p = calloc(1, sizeof(*p));
    if (!p)
        return TH_ENOMEM;
    p->max_depth = DEFAULT_MAX_DEPTH;
    p->max_nodes = DEFAULT_MAX_NODES;
    *out = p;
    return 0;
}

void th_html_parser_free(struct th_html_parser *parser)
{
    if (!parser)
        return;
    free(parser->nodes);
    free(parser->attrs);
    free(parser->stack);
    free(parser);
}

size_t th_html_parser_node_count(const struct th_html_parser *parser)
{
    return parser->n_nodes;
}

/* --------------------------------------------------------- tree building */

static inline uint32_t current(const struct th_html_parser *p)
{
    return p->stack[p->n_stack - 1];
}

static inline unsigned tag_of(const struct th_html_parser *p, uint32_t n)
{
    return p->nodes[n].tag;
}

/* Append a node under parent; returns its index or 0 on failure. */
static uint32_t add_node(struct th_html_parser *p, uint32_t parent,
                         unsigned tag)
{
    if (p->failed)
        return 0;
    if (p->n_nodes >= p->max_nodes) {
        p->failed = TH_ELIMIT;
        return 0;
    }
    if (p->n_nodes >= p->cap_nodes &&
        grow((void **)&p->nodes, &p->cap_nodes, p->n_nodes + 1,
             sizeof(*p->nodes)) < 0) {
        p->failed = TH_ENOMEM;
        return 0;
    }
    uint32_t idx = (uint32_t)p->n_nodes++;
    struct th_html_node *n = &p->nodes[idx];
    struct th_html_node *par = &p->nodes[parent];
    memset(n, 0, sizeof(*n));
    n->parent = parent;
    n->tag = (uint16_t)tag;
    n->depth = par->depth + 1;
    if (par->last_child)
        p->nodes[par->last_child].next_sibling = idx;
    else
        par->first_child = idx;
    par->last_child = idx;
    return idx;
}

static void ensure_body(struct th_html_parser *p);

static void add_text(struct th_html_parser *p, const char *s, size_t len,
                     bool unescape)
{
    if (len == 0 || p->failed)
        return;
    struct th_slice t = {s, len};
    if (unescape) {
        t = th_html_unescape(s, len, false, p->arena);
        if (!t.ptr) {
            p->failed = TH_ENOMEM;
            return;
        }
    }
    if (!p->body) {
        size_t k = 0;
        while (k < len && (s[k] == ' ' || s[k] == '\n' || s[k] == '\t' ||
                           s[k] == '\r' || s[k] == '\f'))
            k++;
        if (k == len && !p->html)
            return;                  /* whitespace before <html> */
        unsigned cur = tag_of(p, current(p));
        if (k < len && !(cur < TH_TAG_COUNT &&
                         (th_html_tags[cur].flags &
                          (TH_TF_RAWTEXT | TH_TF_RCDATA))))
            ensure_body(p);
    }
    uint32_t parent = current(p);
    uint32_t idx = add_node(p, parent, TH_TAG_TEXT);
    if (idx)
        p->nodes[idx].text = t;
}

static void pop(struct th_html_parser *p)
{
    if (p->n_stack > 1) {
        p->n_stack--;
        p->n_open_p -= tag_of(p, p->stack[p->n_stack]) == TH_TAG_P;
    }
}

/* Pop elements until stack index i (inclusive) is gone. */
static void pop_to(struct th_html_parser *p, size_t i)
{
    if (i < 1 || i >= p->n_stack)
        return;
    for (size_t k = i; k < p->n_stack; k++)
        p->n_open_p -= tag_of(p, p->stack[k]) == TH_TAG_P;
    p->n_stack = i;
}

enum scope_kind { SCOPE_DEFAULT, SCOPE_LIST, SCOPE_BUTTON, SCOPE_TABLE };

static bool is_scope_boundary(unsigned tag, enum scope_kind kind)
{
    if (kind == SCOPE_TABLE)
        return tag == TH_TAG_HTML || tag == TH_TAG_TABLE ||
               tag == TH_TAG_TEMPLATE;
    if (tag < TH_TAG_COUNT && (th_html_tags[tag].flags & TH_TF_SCOPE))
        return true;
    if (kind == SCOPE_LIST)
        return tag == TH_TAG_OL || tag == TH_TAG_UL;
    if (kind == SCOPE_BUTTON)
        return tag == TH_TAG_BUTTON;
    return false;
}

/* Stack index of the nearest tag in scope, or 0 when none. */
static size_t in_scope(const struct th_html_parser *p, unsigned tag,
                       enum scope_kind kind)
{
    for (size_t i = p->n_stack - 1; i >= 1; i--) {
        unsigned t = tag_of(p, p->stack[i]);
        if (t == tag)
            return i;
        if (is_scope_boundary(t, kind))
            return 0;
    }
    return 0;
}

/* Stack index of the nearest heading in default scope, or 0. */
static size_t heading_in_scope(const struct th_html_parser *p)
{
    for (size_t i = p->n_stack - 1; i >= 1; i--) {
        unsigned t = tag_of(p, p->stack[i]);
        if (t < TH_TAG_COUNT && (th_html_tags[t].flags & TH_TF_HEADING))
            return i;
        if (is_scope_boundary(t, SCOPE_DEFAULT))
            return 0;
    }
    return 0;
}

static void close_p(struct th_html_parser *p)
{
    if (p->n_open_p == 0)
        return;
    size_t i = in_scope(p, TH_TAG_P, SCOPE_BUTTON);
    if (i)
        pop_to(p, i);
}

/* li / dd / dt: close the open item of the same kind (HTML5 13.2.6.4.7). */
static void close_item(struct th_html_parser *p, unsigned tag)
{
    for (size_t i = p->n_stack - 1; i >= 1; i--) {
        unsigned t = tag_of(p, p->stack[i]);
        bool match = tag == TH_TAG_LI ? t == TH_TAG_LI
                                      : (t == TH_TAG_DD || t == TH_TAG_DT);
        if (match) {
            pop_to(p, i);
            return;
        }
        if (t < TH_TAG_COUNT && (th_html_tags[t].flags & TH_TF_SPECIAL) &&
            t != TH_TAG_ADDRESS && t != TH_TAG_DIV && t != TH_TAG_P)
            return;
    }
}

static bool same_name(const struct th_html_parser *p, uint32_t node,
                      unsigned tag, const char *name, size_t len)
{
    const struct th_html_node *n = &p->nodes[node];
    if (n->tag != tag)
        return false;
    if (tag != TH_TAG_UNKNOWN)
        return true;
    if (n->text.len != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char a = (unsigned char)n->text.ptr[i];
        unsigned char b = (unsigned char)name[i];
        if ((a | (is_alpha(a) ? 32 : 0)) != (b | (is_alpha(b) ? 32 : 0)))
            return false;
    }
    return true;
}

/*
 * Simplified adoption agency (HTML5 13.2.6.4.7): the formatting element at
 * stack index fi is closed. When a special element (the furthest block)
 * was opened inside it, that block and its subtree move out to follow the
 * formatting element, so that what comes after the end tag is no longer
 * inside it (a stray "<a><p>...</a>" would otherwise make the rest of the
 * page link text). The clones of the full algorithm are not made. The
 * block is the last node chain of the array, so moving it keeps the
 * pre-order layout; only its depths change. At most MAX_ADOPTIONS moves
 * are made per document so that the depth updates stay linear.
 */
static void adopt(struct th_html_parser *p, size_t fi)
{
    size_t fbi = 0;
    for (size_t i = fi + 1; i < p->n_stack; i++) {
        unsigned t = tag_of(p, p->stack[i]);
        if (t < TH_TAG_COUNT && (th_html_tags[t].flags & TH_TF_SPECIAL)) {
            fbi = i;
            break;
        }
    }
    if (!fbi) {
        pop_to(p, fi);
        return;
    }
    if (p->n_adoptions >= MAX_ADOPTIONS)
        return;                      /* ignore the end tag */
    p->n_adoptions++;
    uint32_t f = p->stack[fi], fb = p->stack[fbi];
    struct th_html_node *nodes = p->nodes;
    uint32_t old = nodes[fb].parent, prev = 0;
    for (uint32_t c = nodes[old].first_child; c && c != fb;
         c = nodes[c].next_sibling)
        prev = c;
    if (prev)
        nodes[prev].next_sibling = nodes[fb].next_sibling;
    else
        nodes[old].first_child = nodes[fb].next_sibling;
    if (nodes[old].last_child == fb)
        nodes[old].last_child = prev;
    uint32_t np = nodes[f].parent;
    nodes[fb].parent = np;
    nodes[fb].next_sibling = nodes[f].next_sibling;
    nodes[f].next_sibling = fb;
    if (nodes[np].last_child == f)
        nodes[np].last_child = fb;
    uint32_t delta = nodes[fb].depth - (nodes[np].depth + 1);
    for (size_t k = fb; k < p->n_nodes; k++)
        nodes[k].depth -= delta;
    for (size_t k = fi; k < fbi; k++)
        p->n_open_p -= tag_of(p, p->stack[k]) == TH_TAG_P;
    memmove(p->stack + fi, p->stack + fbi,
            (p->n_stack - fbi) * sizeof(*p->stack));
    p->n_stack -= fbi - fi;
}

static void push(struct th_html_parser *p, uint32_t idx)
{
    if (p->n_stack >= p->max_depth)
        return;                      /* flattened: children go to the top */
    if (p->n_stack >= p->cap_stack &&
        grow((void **)&p->stack, &p->cap_stack, p->n_stack + 1,
             sizeof(*p->stack)) < 0) {
        p->failed = TH_ENOMEM;
        return;
    }
    p->stack[p->n_stack++] = idx;
    p->n_open_p += tag_of(p, idx) == TH_TAG_P;
}

/* The implied html element (HTML5 "before html" insertion mode). */
static void ensure_html(struct th_html_parser *p)
{
    if (p->html)
        return;
    p->html = add_node(p, 0, TH_TAG_HTML);
    if (p->html)
        push(p, p->html);
}

/* The implied body: content outside head opens it. */
static void ensure_body(struct th_html_parser *p)
{
    if (p->body)
        return;
    ensure_html(p);
    for (size_t i = p->n_stack - 1; i >= 1; i--)
        if (tag_of(p, p->stack[i]) == TH_TAG_HEAD) {
            pop_to(p, i);
            break;
        }
    p->body = add_node(p, p->html, TH_TAG_BODY);
    if (p->body)
        push(p, p->body);
}

static bool is_head_content(unsigned tag)
{
    switch (tag) {
    case TH_TAG_META: case TH_TAG_TITLE: case TH_TAG_LINK:
    case TH_TAG_SCRIPT: case TH_TAG_STYLE: case TH_TAG_BASE:
    case TH_TAG_NOSCRIPT: case TH_TAG_TEMPLATE: case TH_TAG_BASEFONT:
    case TH_TAG_BGSOUND:
        return true;
    default:
        return false;
    }
}

static void start_element(struct th_html_parser *p, unsigned tag,
                          const char *name, size_t name_len,
                          size_t first_attr, bool self_closed)
{
    unsigned flags = tag < TH_TAG_COUNT ? th_html_tags[tag].flags : 0;
    switch (tag) {
    case TH_TAG_HTML:
        if (p->html) {
            p->n_attrs = first_attr;
            return;
        }
        break;
    case TH_TAG_HEAD:
        ensure_html(p);
        if (p->head || p->body) {
            p->n_attrs = first_attr;
            return;
        }
        break;
    case TH_TAG_BODY:
    case TH_TAG_FRAMESET:
        if (p->body) {
            p->n_attrs = first_attr;
            return;
        }
        ensure_html(p);
        for (size_t i = p->n_stack - 1; i >= 1; i--)
            if (tag_of(p, p->stack[i]) == TH_TAG_HEAD) {
                pop_to(p, i);
                break;
            }
        break;
    default:
        if (!p->body && !is_head_content(tag))
            ensure_body(p);
        else
            ensure_html(p);
        break;
    }
    switch (tag) {
    case TH_TAG_LI:
    case TH_TAG_DD:
    case TH_TAG_DT:
        close_item(p, tag);
        break;
    case TH_TAG_H1: case TH_TAG_H2: case TH_TAG_H3:
    case TH_TAG_H4: case TH_TAG_H5: case TH_TAG_H6: {
        unsigned t = tag_of(p, current(p));
        if (t < TH_TAG_COUNT && (th_html_tags[t].flags & TH_TF_HEADING))
            pop(p);
        break;
    }
    case TH_TAG_OPTION:
    case TH_TAG_OPTGROUP:
        if (tag_of(p, current(p)) == TH_TAG_OPTION)
            pop(p);
        break;
    case TH_TAG_TR: {
        size_t i = in_scope(p, TH_TAG_TR, SCOPE_TABLE);
        if (i)
            pop_to(p, i);
        break;
    }
    case TH_TAG_TD:
    case TH_TAG_TH: {
        size_t i = in_scope(p, TH_TAG_TD, SCOPE_TABLE);
        size_t j = in_scope(p, TH_TAG_TH, SCOPE_TABLE);
        if (j > i)
            i = j;
        if (i)
            pop_to(p, i);
        break;
    }
    case TH_TAG_TBODY:
    case TH_TAG_THEAD:
    case TH_TAG_TFOOT:
        for (size_t i = p->n_stack - 1; i >= 1; i--) {
            unsigned t = tag_of(p, p->stack[i]);
            if (t == TH_TAG_TABLE)
                break;
            if (t == TH_TAG_TBODY || t == TH_TAG_THEAD ||
                t == TH_TAG_TFOOT) {
                pop_to(p, i);
                break;
            }
        }
        break;
    case TH_TAG_A:
    case TH_TAG_NOBR:
        for (size_t i = p->n_stack - 1; i >= 1; i--) {
            unsigned t = tag_of(p, p->stack[i]);
            if (t == tag) {
                adopt(p, i);
                break;
            }
            if (is_scope_boundary(t, SCOPE_DEFAULT))
                break;
        }
        break;
    default:
        break;
    }
    if (flags & TH_TF_CLOSES_P)
        close_p(p);
    uint32_t idx = add_node(p, current(p), tag);
    if (!idx)
        return;
    struct th_html_node *n = &p->nodes[idx];
    n->attrs = (uint32_t)first_attr;
    n->n_attrs = (uint32_t)(p->n_attrs - first_attr);
    if (self_closed)
        n->flags |= TH_NF_SELF_CLOSED;
    if (tag == TH_TAG_UNKNOWN)
        n->text = (struct th_slice){name, name_len};
    if (flags & TH_TF_VOID)
        return;
    if (self_closed && (tag == TH_TAG_UNKNOWN || tag == TH_TAG_SVG ||
                        tag == TH_TAG_MATH))
        return;
    if (tag == TH_TAG_HTML)
        p->html = idx;
    else if (tag == TH_TAG_HEAD)
        p->head = idx;
    else if (tag == TH_TAG_BODY || tag == TH_TAG_FRAMESET)
        p->body = idx;
    push(p, idx);
}

static void end_element(struct th_html_parser *p, unsigned tag,
                        const char *name, size_t name_len)
{
    unsigned flags = tag < TH_TAG_COUNT ? th_html_tags[tag].flags : 0;
    size_t i;
    switch (tag) {
    case TH_TAG_HTML:
    case TH_TAG_BODY:
        return;                      /* content after </body> stays in it */
    case TH_TAG_BR:
        start_element(p, TH_TAG_BR, name, name_len, p->n_attrs, false);
        return;
    case TH_TAG_P:
        i = in_scope(p, TH_TAG_P, SCOPE_BUTTON);
        if (i)
            pop_to(p, i);
        return;
    case TH_TAG_LI:
        i = in_scope(p, TH_TAG_LI, SCOPE_LIST);
        if (i)
            pop_to(p, i);
        return;
    case TH_TAG_H1: case TH_TAG_H2: case TH_TAG_H3:
    case TH_TAG_H4: case TH_TAG_H5: case TH_TAG_H6:
        i = heading_in_scope(p);
        if (i)
            pop_to(p, i);
        return;
    case TH_TAG_TABLE: case TH_TAG_TR: case TH_TAG_TD: case TH_TAG_TH:
    case TH_TAG_TBODY: case TH_TAG_THEAD: case TH_TAG_TFOOT:
        i = in_scope(p, tag, SCOPE_TABLE);
        if (i)
            pop_to(p, i);
        return;
    default:
        break;
    }
    if (flags & TH_TF_SPECIAL) {
        i = in_scope(p, tag, SCOPE_DEFAULT);
        if (i)
            pop_to(p, i);
        return;
    }
    if (flags & TH_TF_FORMAT) {
        for (i = p->n_stack - 1; i >= 1; i--) {
            unsigned t = tag_of(p, p->stack[i]);
            if (t == tag) {
                adopt(p, i);
                return;
            }
            if (is_scope_boundary(t, SCOPE_DEFAULT))
                return;
        }
        return;
    }
    /* Other elements: nearest match, stopping at special. */
    for (i = p->n_stack - 1; i >= 1; i--) {
        uint32_t node = p->stack[i];
        if (same_name(p, node, tag, name, name_len)) {
            pop_to(p, i);
            return;
        }
        unsigned t = tag_of(p, node);
        if (t < TH_TAG_COUNT && (th_html_tags[t].flags & TH_TF_SPECIAL))
            return;
    }
}

/* ------------------------------------------------------------ tokenizer */

static bool add_attr(struct th_html_parser *p, const char *name, size_t nlen,
                     const char *value, size_t vlen)
{
    if (p->n_attrs >= p->max_attrs)
        return true;                 /* over budget: ignored */
    if (p->n_attrs >= p->cap_attrs &&
        grow((void **)&p->attrs, &p->cap_attrs, p->n_attrs + 1,
             sizeof(*p->attrs)) < 0) {
        p->failed = TH_ENOMEM;
        return false;
    }
    struct th_html_attr *a = &p->attrs[p->n_attrs++];
    bool lower = true;
    for (size_t i = 0; i < nlen; i++)
        if ((unsigned char)(name[i] - 'A') < 26) {
            lower = false;
            break;
        }
    if (!lower) {
        char *c = th_arena_alloc(p->arena, nlen ? nlen : 1);
        if (!c) {
            p->failed = TH_ENOMEM;
            return false;
        }
        for (size_t i = 0; i < nlen; i++)
            c[i] = (unsigned char)(name[i] - 'A') < 26 ? (char)(name[i] + 32)
                                                       : name[i];
        name = c;
    }
    a->name = (struct th_slice){name, nlen};
    a->value = th_html_unescape(value, vlen, true, p->arena);
    if (!a->value.ptr && vlen) {
        p->failed = TH_ENOMEM;
        return false;
    }
    return true;
}

/* Position of the end tag </name of a raw-text element at or after pos. */
/* True when s[i] starts "<" + (end ? "/" : "") + name + a delimiter. */
static bool tag_at(const char *s, size_t len, size_t i, const char *name,
                   size_t nlen, bool end)
{
    size_t j = i + 1 + end;
    if (j + nlen > len || (end && s[i + 1] != '/'))
        return false;
    for (size_t k = 0; k < nlen; k++)
        if ((s[j + k] | 32) != name[k])
            return false;
    j += nlen;
    return j == len || is_space((unsigned char)s[j]) || s[j] == '>' ||
           s[j] == '/';
}

/*
 * End of a <script> whose text holds "<!--": the HTML5 script data
 * escaped and double-escaped states, where "<!-- <script>...</script> -->"
 * does not end the script. Returns the position of the real end tag.
 */
static size_t script_end(const char *s, size_t len, size_t pos)
{
    enum { DATA, ESCAPED, DOUBLE } state = DATA;
    for (size_t i = pos; i < len; i++) {
        char c = s[i];
        if (c == '-' && state != DATA && i + 2 < len && s[i + 1] == '-' &&
            s[i + 2] == '>') {
            state = DATA;
            i += 2;
        } else if (c != '<') {
            continue;
        } else if (state == DATA && i + 3 < len && s[i + 1] == '!' &&
                   s[i + 2] == '-' && s[i + 3] == '-') {
            state = ESCAPED;
            i += 3;
        } else if (state == DOUBLE && tag_at(s, len, i, "script", 6, true)) {
            state = ESCAPED;
        } else if (state != DOUBLE && tag_at(s, len, i, "script", 6, true)) {
            return i;
        } else if (state == ESCAPED && tag_at(s, len, i, "script", 6, false)) {
            state = DOUBLE;
        }
    }
    return len;
}

/* Position of the end tag </name of a raw-text element at or after pos. */
static size_t find_end_tag(const char *s, size_t len, size_t pos,
                           const char *name, size_t nlen, size_t *after)
{
    size_t start = pos, stop = len;
    while (pos < len) {
        const char *lt = memchr(s + pos, '<', len - pos);
        if (!lt)
            break;
        size_t i = (size_t)(lt - s);
        if (nlen == 6 && !memcmp(name, "script", 6) && i + 3 < len &&
            s[i + 1] == '!' && s[i + 2] == '-' && s[i + 3] == '-') {
            stop = script_end(s, len, start);
            break;
        }
        if (tag_at(s, len, i, name, nlen, true)) {
            stop = i;
            break;
        }
        pos = i + 1;
    }
    if (stop < len) {
        const char *gt = memchr(s + stop, '>', len - stop);
        *after = gt ? (size_t)(gt - s) + 1 : len;
    } else {
        *after = len;
    }
    return stop;
}

/* Skip a bogus comment from pos (just after "<!", "<?" or "</"). */
static size_t skip_to_gt(const char *s, size_t len, size_t pos)
{
    const char *gt = memchr(s + pos, '>', len - pos);
    return gt ? (size_t)(gt - s) + 1 : len;
}

static size_t skip_comment(const char *s, size_t len, size_t pos)
{
    /* pos is just after "<!--". */
    if (pos < len && s[pos] == '>')
        return pos + 1;
    if (pos + 1 < len && s[pos] == '-' && s[pos + 1] == '>')
        return pos + 2;
    while (pos < len) {
        const char *d = memchr(s + pos, '-', len - pos);
        if (!d)
            return len;
        size_t i = (size_t)(d - s);
        if (i + 2 < len && s[i + 1] == '-' && s[i + 2] == '>')
            return i + 3;
        if (i + 3 < len && s[i + 1] == '-' && s[i + 2] == '!' &&
            s[i + 3] == '>')
            return i + 4;
        pos = i + 1;
    }
    return len;
}

/*
 * Parse a tag at s[pos] == '<' followed by a letter (or '/' and a letter
 * when end). Returns the position after it, or len when the input ends
 * inside the tag (the tag is then dropped).
 */
static size_t parse_tag(struct th_html_parser *p, const char *s, size_t len,
                        size_t pos, bool end)
{
    size_t i = pos + (end ? 2 : 1);
    size_t name_start = i;
    while (i < len && !is_space((unsigned char)s[i]) && s[i] != '/' &&
           s[i] != '>')
        i++;
    if (i >= len)
        return len;
    size_t name_len = i - name_start;
    const char *name = s + name_start;
    unsigned tag = th_html_tag_lookup(name, name_len);
    size_t first_attr = p->n_attrs;
    bool self_closed = false;
    for (;;) {
        while (i < len && (is_space((unsigned char)s[i]) || s[i] == '/')) {
            if (s[i] == '/' && i + 1 < len && s[i + 1] == '>')
                self_closed = true;
            i++;
        }
        if (i >= len) {
            p->n_attrs = first_attr;
            return len;
        }
        if (s[i] == '>') {
            i++;
            break;
        }
        size_t an = i;
        i++;                         /* the first character may be '=' */
        while (i < len && !is_space((unsigned char)s[i]) && s[i] != '/' &&
               s[i] != '>' && s[i] != '=')
            i++;
        size_t an_len = i - an;
        while (i < len && is_space((unsigned char)s[i]))
            i++;
        const char *val = s + i;
        size_t vlen = 0;
        if (i < len && s[i] == '=') {
            i++;
            while (i < len && is_space((unsigned char)s[i]))
                i++;
            if (i >= len) {
                p->n_attrs = first_attr;
                return len;
            }
            if (s[i] == '"' || s[i] == '\'') {
                const char *q = memchr(s + i + 1, s[i], len - i - 1);
                if (!q) {
                    p->n_attrs = first_attr;
                    return len;
                }
                val = s + i + 1;
                vlen = (size_t)(q - val);
                i = (size_t)(q - s) + 1;
            } else {
                val = s + i;
                while (i < len && !is_space((unsigned char)s[i]) &&
                       s[i] != '>')
                    i++;
                vlen = (size_t)(s + i - val);
            }
        }
        if (!end && !add_attr(p, s + an, an_len, val, vlen))
            return len;
    }
    if (end) {
        end_element(p, tag, name, name_len);
        return i;
    }
    start_element(p, tag, name, name_len, first_attr, self_closed);
    unsigned flags = tag < TH_TAG_COUNT ? th_html_tags[tag].flags : 0;
    if (tag == TH_TAG_PLAINTEXT) {
        add_text(p, s + i, len - i, false);
        return len;
    }
    if (flags & (TH_TF_RAWTEXT | TH_TF_RCDATA)) {
        const char *tn = th_html_tags[tag].name;
        size_t after;
        size_t stop = find_end_tag(s, len, i, tn, strlen(tn), &after);
        add_text(p, s + i, stop - i, (flags & TH_TF_RCDATA) != 0);
        if (tag_of(p, current(p)) == tag)
            pop(p);
        return after;
    }
    return i;
}

int th_html_parse(struct th_html_parser *p, const char *s, size_t len,
                  struct th_arena *arena, struct th_error *err)
{
    p->arena = arena;
    p->failed = 0;
    p->max_nodes = BUDGET(len) < DEFAULT_MAX_NODES ? BUDGET(len)
                                                   : DEFAULT_MAX_NODES;
    p->max_attrs = p->max_nodes;
    p->n_nodes = 0;
    p->n_attrs = 0;
    p->n_stack = 0;
    p->html = p->head = p->body = 0;
    p->n_adoptions = 0;
    p->n_open_p = 0;
    if (grow((void **)&p->nodes, &p->cap_nodes, 1, sizeof(*p->nodes)) < 0 ||
        grow((void **)&p->stack, &p->cap_stack, 64, sizeof(*p->stack)) < 0)
        return th_error_set(err, TH_ENOMEM, "out of memory parsing html");
    memset(&p->nodes[0], 0, sizeof(p->nodes[0]));
    p->nodes[0].tag = TH_TAG_DOCUMENT;
    p->n_nodes = 1;
    p->stack[p->n_stack++] = 0;
    size_t pos = 0;
    while (pos < len && !p->failed) {
        const char *lt = memchr(s + pos, '<', len - pos);
        size_t stop = lt ? (size_t)(lt - s) : len;
        if (stop > pos)
            add_text(p, s + pos, stop - pos,
                     memchr(s + pos, '&', stop - pos) != NULL);
        if (!lt)
            break;
        pos = stop;
        unsigned char c = pos + 1 < len ? (unsigned char)s[pos + 1] : 0;
        if (is_alpha(c)) {
            pos = parse_tag(p, s, len, pos, false);
        } else if (c == '/') {
            unsigned char d = pos + 2 < len ? (unsigned char)s[pos + 2] : 0;
            if (is_alpha(d))
                pos = parse_tag(p, s, len, pos, true);
            else if (d == '>')
                pos += 3;
            else if (pos + 2 >= len) {
                add_text(p, s + pos, len - pos, false);
                pos = len;
            } else
                pos = skip_to_gt(s, len, pos + 2);
        } else if (c == '!') {
            if (pos + 3 < len && s[pos + 2] == '-' && s[pos + 3] == '-')
                pos = skip_comment(s, len, pos + 4);
            else
                pos = skip_to_gt(s, len, pos + 2);
        } else if (c == '?') {
            pos = skip_to_gt(s, len, pos + 1);
        } else {
            add_text(p, s + pos, 1, false);
            pos++;
        }
    }
    if (p->failed)
        return th_error_set(err, p->failed, "%s parsing html",
                            p->failed == TH_ELIMIT ? "node limit reached"
                                                   : "out of memory");
    return 0;
}
