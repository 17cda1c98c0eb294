/*
 * Internal declarations of lib/html: the tag table, the parsed tree and the
 * entity table. Only the files of lib/html include this; the public API is
 * include/thresh/html.h.
 *
 * Tree invariants: node 0 is the document; every other node has a parent
 * with a smaller index (nodes are appended in document order), so a forward
 * scan over the array is a pre-order walk. Text nodes have no children.
 */
#ifndef THRESH_HTML_INTERNAL_H
#define THRESH_HTML_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "thresh/html.h"

/* Known elements, in the byte order of their names (see html_tags.c). */
enum th_html_tag {
    TH_TAG_UNKNOWN = 0, TH_TAG_A, TH_TAG_ABBR, TH_TAG_ADDRESS, TH_TAG_APPLET,
    TH_TAG_AREA, TH_TAG_ARTICLE, TH_TAG_ASIDE, TH_TAG_AUDIO, TH_TAG_B,
    TH_TAG_BASE, TH_TAG_BASEFONT, TH_TAG_BDI, TH_TAG_BDO, TH_TAG_BGSOUND,
    TH_TAG_BIG, TH_TAG_BLINK, TH_TAG_BLOCKQUOTE, TH_TAG_BODY, TH_TAG_BR,
    TH_TAG_BUTTON, TH_TAG_CANVAS, TH_TAG_CAPTION, TH_TAG_CENTER, TH_TAG_CITE,
    TH_TAG_CODE, TH_TAG_COL, TH_TAG_COLGROUP, TH_TAG_DATA, TH_TAG_DATALIST,
    TH_TAG_DD, TH_TAG_DEL, TH_TAG_DETAILS, TH_TAG_DFN, TH_TAG_DIALOG,
    TH_TAG_DIR, TH_TAG_DIV, TH_TAG_DL, TH_TAG_DT, TH_TAG_EM, TH_TAG_EMBED,
    TH_TAG_FIELDSET, TH_TAG_FIGCAPTION, TH_TAG_FIGURE, TH_TAG_FONT,
    TH_TAG_FOOTER, TH_TAG_FORM, TH_TAG_FRAME, TH_TAG_FRAMESET, TH_TAG_H1,
    TH_TAG_H2, TH_TAG_H3, TH_TAG_H4, TH_TAG_H5, TH_TAG_H6, TH_TAG_HEAD,
    TH_TAG_HEADER, TH_TAG_HGROUP, TH_TAG_HR, TH_TAG_HTML, TH_TAG_I,
    TH_TAG_IFRAME, TH_TAG_IMG, TH_TAG_INPUT, TH_TAG_INS, TH_TAG_KBD,
    TH_TAG_KEYGEN, TH_TAG_LABEL, TH_TAG_LEGEND, TH_TAG_LI, TH_TAG_LINK,
    TH_TAG_LISTING, TH_TAG_MAIN, TH_TAG_MAP, TH_TAG_MARK, TH_TAG_MARQUEE,
    TH_TAG_MATH, TH_TAG_MENU, TH_TAG_META, TH_TAG_METER, TH_TAG_NAV,
    TH_TAG_NOBR, TH_TAG_NOEMBED, TH_TAG_NOFRAMES, TH_TAG_NOSCRIPT,
    TH_TAG_OBJECT, TH_TAG_OL, TH_TAG_OPTGROUP, TH_TAG_OPTION, TH_TAG_OUTPUT,
    TH_TAG_P, TH_TAG_PARAM, TH_TAG_PICTURE, TH_TAG_PLAINTEXT, TH_TAG_PRE,
    TH_TAG_PROGRESS, TH_TAG_Q, TH_TAG_RP, TH_TAG_RT, TH_TAG_RUBY, TH_TAG_S,
    TH_TAG_SAMP, TH_TAG_SCRIPT, TH_TAG_SEARCH, TH_TAG_SECTION, TH_TAG_SELECT,
    TH_TAG_SMALL, TH_TAG_SOURCE, TH_TAG_SPAN, TH_TAG_STRIKE, TH_TAG_STRONG,
    TH_TAG_STYLE, TH_TAG_SUB, TH_TAG_SUMMARY, TH_TAG_SUP, TH_TAG_SVG,
    TH_TAG_TABLE, TH_TAG_TBODY, TH_TAG_TD, TH_TAG_TEMPLATE, TH_TAG_TEXTAREA,
    TH_TAG_TFOOT, TH_TAG_TH, TH_TAG_THEAD, TH_TAG_TIME, TH_TAG_TITLE,
    TH_TAG_TR, TH_TAG_TRACK, TH_TAG_TT, TH_TAG_U, TH_TAG_UL, TH_TAG_VAR,
    TH_TAG_VIDEO, TH_TAG_WBR, TH_TAG_XMP,
    TH_TAG_COUNT,             /* number of element tags */
    TH_TAG_TEXT = 0xfffe,     /* a text node */
    TH_TAG_DOCUMENT = 0xffff, /* node 0 */
};

/* Properties of a tag (html_tags.c). */
enum th_html_tag_flags {
    TH_TF_VOID = 1 << 0,       /* no content, never pushed */
    TH_TF_RAWTEXT = 1 << 1,    /* content is raw text up to its end tag */
    TH_TF_RCDATA = 1 << 2,     /* raw text with character references */
    TH_TF_SPECIAL = 1 << 3,    /* HTML5 "special" category */
    TH_TF_FORMAT = 1 << 4,     /* HTML5 formatting element */
    TH_TF_BLOCK = 1 << 5,      /* starts and ends a text block */
    TH_TF_CLOSES_P = 1 << 6,   /* its start tag closes an open p */
    TH_TF_SCOPE = 1 << 7,      /* boundary of the default element scope */
    TH_TF_HEADING = 1 << 8,    /* h1..h6 */
    TH_TF_SKIP = 1 << 9,       /* never holds visible main text */
};

struct th_html_tag_info {
    const char *name;          /* lowercase name */
    uint8_t len;               /* bytes in name */
    uint16_t flags;            /* enum th_html_tag_flags */
};

extern const struct th_html_tag_info th_html_tags[TH_TAG_COUNT];

/* The tag named by len bytes of name (any case), or TH_TAG_UNKNOWN. */
unsigned th_html_tag_lookup(const char *name, size_t len);

/* An attribute; both slices point into the source or the arena. */
struct th_html_attr {
    struct th_slice name;      /* lowercased name */
    struct th_slice value;     /* value with character references decoded */
};

/* Node flags. */
enum th_html_node_flags {
    TH_NF_SELF_CLOSED = 1 << 0, /* written as <x/> */
};

/* One node of the tree (element, text or the document). */
struct th_html_node {
    uint32_t parent;           /* index of the parent; 0 for the document */
    uint32_t first_child;      /* index of the first child, 0 when none */
    uint32_t last_child;       /* index of the last child, 0 when none */
    uint32_t next_sibling;     /* index of the next sibling, 0 when none */
    uint16_t tag;              /* enum th_html_tag */
    uint16_t flags;            /* enum th_html_node_flags */
    uint32_t n_attrs;          /* attributes of an element */
    uint32_t attrs;            /* index of the first one in parser->attrs */
    uint32_t depth;            /* 0 for the document */
    struct th_slice text;      /* text of a text node; name of an unknown tag */
};

/*
 * The parser: reusable growable arrays for nodes and attributes (kept
 * between documents so that steady-state parsing does not allocate), and
 * the stack of open elements. Decoded text lives in the caller's arena.
 */
struct th_html_parser {
    struct th_html_node *nodes; /* the tree; nodes[0] is the document */
    size_t n_nodes;             /* nodes in use */
    size_t cap_nodes;           /* nodes allocated */
    struct th_html_attr *attrs; /* attributes of every element */
    size_t n_attrs;             /* attributes in use */
    size_t cap_attrs;           /* attributes allocated */
    uint32_t *stack;            /* open elements (node indices), [0] = doc */
    size_t n_stack;             /* open elements */
    size_t cap_stack;           /* stack slots allocated */
    uint32_t html;              /* the html element, 0 until there is one */
    uint32_t head;              /* the head element, 0 until there is one */
    uint32_t body;              /* the body element, 0 until there is one */
    size_t n_adoptions;         /* subtrees moved by end tags (capped) */
    size_t n_open_p;            /* p elements on the stack */
    size_t max_depth;           /* deeper elements are flattened */
    size_t max_nodes;           /* more nodes give TH_ELIMIT */
    size_t max_attrs;           /* more attributes are ignored */
    struct th_arena *arena;     /* arena of the current parse */
    int failed;                 /* first error of the current parse */
};

/* A named character reference (html_entities.c). */
struct th_html_entity {
    const char *name;          /* without '&', with ';' unless legacy */
    const char *utf8;          /* its replacement text */
    unsigned char name_len;    /* bytes in name */
    unsigned char utf8_len;    /* bytes in utf8 */
};

/* windows-1252 code points of the bytes 0x80..0x9F (html_decode.c). */
extern const uint16_t th_html_cp1252_c1[32];

extern const struct th_html_entity th_html_entities[];
extern const size_t th_html_n_entities;

/*
 * Decode character references in len bytes of src into arena memory;
 * in_attr applies the attribute-value rule for legacy names. Returns the
 * decoded slice (src itself when there is no '&'), or ptr NULL when the
 * arena is exhausted.
 */
struct th_slice th_html_unescape(const char *src, size_t len, bool in_attr,
                                 struct th_arena *arena);

/* Value of attribute name (lowercase) on node, or NULL when absent. */
const struct th_slice *th_html_attr_get(const struct th_html_parser *parser,
                                        const struct th_html_node *node,
                                        const char *name);

#endif
