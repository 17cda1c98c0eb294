/*
 * Tests of the text module: th_text_normalize() (mojibake table, correct
 * text in 30 languages and scripts left alone, Unicode's own
 * NormalizationTest.txt, invalid UTF-8, entities, controls, whitespace,
 * idempotence, always-valid output) and th_text_clean() (the seed
 * document, promo splitting, idempotence, and the quality bars on the
 * extraction dev sets, scored with a C copy of the extraction metric).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "thresh/text.h"
#include "test.h"

/* ------------------------------------------------------------ helpers */

/* The rest of stream f into a th_buf. */
static void read_stream(FILE *f, struct th_buf *b)
{
    char chunk[65536];
    size_t n;
    th_buf_init(b, 0);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        th_buf_append(b, chunk, n);
}

static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct th_buf b;
    read_stream(f, &b);
    fclose(f);
    if (!b.ptr)
        th_buf_reserve(&b, 0);
    *len_out = b.len;
    return b.ptr;
}

/* Normalize s with flags into a static-lifetime heap string (caller frees). */
static char *norm(const char *s, size_t len, unsigned flags, size_t *out_len)
{
    struct th_buf b;
    th_buf_init(&b, 0);
    CHECK_EQ_INT(th_text_normalize(s, len, flags, &b, NULL), 0);
    if (!b.ptr)
        th_buf_reserve(&b, 0);
    *out_len = b.len;
    return b.ptr;
}

static void check_norm(const char *in, const char *want)
{
    size_t n;
    char *got = norm(in, strlen(in), TH_TEXT_NORMALIZE_DEFAULT, &n);
    CHECK_EQ_MEM(got, n, want, strlen(want));
    free(got);
}

/* normalize + clean, as `thresh clean` does. */
static char *clean_text(const char *s, size_t len, size_t *out_len)
{
    size_t nl;
    char *n = norm(s, len, TH_TEXT_NORMALIZE_DEFAULT, &nl);
    struct th_buf b;
    th_buf_init(&b, 0);
    CHECK_EQ_INT(th_text_clean(n, nl, NULL, &b, NULL), 0);
    if (!b.ptr)
        th_buf_reserve(&b, 0);
    free(n);
    *out_len = b.len;
    return b.ptr;
}

/* ------------------------------------------------------------ normalize */

static const char *const mojibake[][2] = {
    {"cafÃ©", "café"},
    {"Itâ€™s", "It’s"},
    {"â€œquotedâ€\xc2\x9d", "“quoted”"},
    {"Ã¼ber", "über"},
    {"SÃ£o Paulo", "São Paulo"},
    {"naÃ¯ve", "naïve"},
    {"seÃ±or", "señor"},
    {"â€” dash", "— dash"},
    {"â‚¬ 5", "€ 5"},
    {"ÐŸÑ€Ð¸Ð²ÐµÑ‚ Ð¼Ð¸Ñ€", "Привет мир"},
    {"Î•Î»Î»Î·Î½Î¹ÎºÎ¬", "Ελληνικά"},
    {"æ—¥æœ¬èªž", "日本語"},
    {"Å\xc2\x81" "Ã³dÅº", "Łódź"},
    {"voilÃ\xc2\xa0" " tout", "voilà tout"},
    {"Â£5", "£5"},
    {"StraÃŸe", "Straße"},
    {"Ã§a vaâ€¦", "ça va…"},
    {"ZÃ¼rich â€¢ GenÃ¨ve", "Zürich • Genève"},
    /* encoded wrongly twice */
    {"ItÃ¢â‚¬â„¢s", "It’s"},
    {"dÃƒÂ©jÃƒÂ\xc2\xa0" " vu", "déjà vu"},
    /* mojibake hidden behind entities */
    {"caf&Atilde;&copy;", "café"},
};

static void normalize_repairs_mojibake(void)
{
    for (size_t i = 0; i < sizeof(mojibake) / sizeof(mojibake[0]); i++)
        check_norm(mojibake[i][0], mojibake[i][1]);
}

/* Correct text that must come out byte for byte as it went in. */
static const char *const languages[] = {
    "The quick brown fox jumps over the lazy dog.",
    "Où est la bibliothèque ? Ça coûte 5 € — déjà payé « vraiment ».",
    "Größenwahn über Äpfel und Öl – Straße 5.",
    "¿Dónde está el niño? ¡Mañana será otro día!",
    "A União Europeia não é São Paulo; ação e coração.",
    "Perché è così difficile? Città, più, università.",
    "Zażółć gęślą jaźń — Łódź i Kraków.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "İstanbul'da ığdır, şeker ve çiçek; Ağrı Dağı.",
    "Tiếng Việt có nhiều dấu: ướt, được, những.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів!",
    "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
    "עטלף אבק נס דרך מזגן שהתפוצץ כי חם.",
    "صف خلق خود كمثل الشمس إذ بزغت يحظى الضجيع بها.",
    "می‌خواهم کتاب‌ها را بخوانم.",
    ("ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने "
     "वाले भगवान श्रीराम।"),
    "আমি বাংলায় গান গাই।",
    "யாமறிந்த மொழிகளிலே தமிழ்மொழி போல் இனிதாவது எங்கும் காணோம்.",
    "เป็นมนุษย์สุดประเสริฐเลิศคุณค่า",
    "我能吞下玻璃而不伤身体。",
    "いろはにほへと ちりぬるを、カタカナ。",
    "다람쥐 헌 쳇바퀴에 타고파.",
    "ქართული ენა ლამაზია.",
    "Հայերեն լեզուն գեղեցիկ է։",
    "ሰላም ለዓለም።",
    "Þú ert í Reykjavík, ég er á Ísafirði.",
    "Árvíztűrő tükörfúrógép.",
    "Åsa åt ärtor på Öland.",
    "Family 👨‍👩‍👧 and flag 🇫🇷 and 👍🏽.",
    /* uppercase Latin-1 letters before symbols: not mojibake */
    "CAFÉ… MÜ… ÉTÉ» NOËL",
    "x² + y² ≤ 10 °C, ½ cup, © 2024 ™",
};

static void normalize_keeps_correct_text(void)
{
    for (size_t i = 0; i < sizeof(languages) / sizeof(languages[0]); i++)
        check_norm(languages[i], languages[i]);
}

/* Parse "0044 0301" into UTF-8; returns false on a malformed field. */
static bool parse_column(const char *s, const char *end, struct th_buf *out)
{
    th_buf_reset(out);
    while (s < end) {
        while (s < end && *s == ' ')
            s++;
        if (s >= end)
            break;
        char *e;
        unsigned long cp = strtoul(s, &e, 16);
        if (e == s || cp > 0x10FFFF)
            return false;
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, enc);
        th_buf_append(out, enc, (size_t)n);
        s = e;
    }
    if (!out->ptr)
        th_buf_reserve(out, 0);
    return true;
}

/* NFC of s with only TH_TEXT_NFC; equal to want? */
static bool nfc_is(const struct th_buf *s, const struct th_buf *want)
{
    size_t n;
    char *got = norm(s->ptr, s->len, TH_TEXT_NFC, &n);
    bool ok = n == want->len && memcmp(got, want->ptr, n) == 0;
    free(got);
    return ok;
}

/* Unchanged by everything but NFC (no spaces, controls, format chars). */
static bool only_nfc_applies(const struct th_buf *s)
{
    size_t n;
    char *got = norm(s->ptr, s->len, 0, &n);
    bool same = n == s->len && memcmp(got, s->ptr, n) == 0;
    free(got);
    return same;
}

/* Output of a shell command (for bzcat), or NULL. */
static char *read_command(const char *cmd, size_t *len_out)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    struct th_buf b;
    read_stream(f, &b);
    if (pclose(f) != 0 || !b.ptr) {
        th_buf_release(&b);
        return NULL;
    }
    *len_out = b.len;
    return b.ptr;
}

static void normalize_passes_normalization_test(void)
{
    /* Debian's unicode-data ships it compressed (bzip2 to read it). */
    const char *path = "/usr/share/unicode/NormalizationTest.txt";
    size_t len = 0;
    char *data = read_file(path, &len);
    if (!data)
        data = read_command("bzcat /usr/share/unicode/NormalizationTest.txt"
                            ".bz2 2>/dev/null", &len);
    CHECK(data != NULL);
    if (!data) {
        printf("# no %s(.bz2): install unicode-data and bzip2\n", path);
        return;
    }
    struct th_buf col[5];
    for (int k = 0; k < 5; k++)
        th_buf_init(&col[k], 0);
    size_t n_tested = 0, n_failed = 0, n_skipped = 0;
    char *line = data, *end = data + len;
    while (line < end) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        char *eol = nl ? nl : end;
        if (line[0] != '#' && line[0] != '@' && eol > line) {
            char *p = line;
            bool ok = true;
            for (int k = 0; k < 5 && ok; k++) {
                char *semi = memchr(p, ';', (size_t)(eol - p));
                ok = semi && parse_column(p, semi, &col[k]);
                p = semi ? semi + 1 : eol;
            }
            bool plain = ok;
            for (int k = 0; k < 5 && plain; k++)
                plain = only_nfc_applies(&col[k]);
            if (!plain) {
                n_skipped++;
            } else {
                n_tested++;
                /* c2 == NFC(c1) == NFC(c2) == NFC(c3);
                 * c4 == NFC(c4) == NFC(c5) */
                bool good = nfc_is(&col[0], &col[1]) &&
                            nfc_is(&col[1], &col[1]) &&
                            nfc_is(&col[2], &col[1]) &&
                            nfc_is(&col[3], &col[3]) &&
                            nfc_is(&col[4], &col[3]);
                if (!good && n_failed++ < 5)
                    printf("#   NFC mismatch: %.*s\n", (int)(eol - line),
                           line);
            }
        }
        line = eol + 1;
    }
    printf("# NormalizationTest: %zu lines tested, %zu failed, %zu skipped "
           "(spaces or format characters)\n", n_tested, n_failed, n_skipped);
    CHECK(n_tested > 18000);
    CHECK_EQ_INT(n_failed, 0);
    for (int k = 0; k < 5; k++)
        th_buf_release(&col[k]);
    free(data);
}

static void normalize_repairs_invalid_utf8(void)
{
    check_norm("caf\xe9 cr\xe8me", "café crème");
    check_norm("\x93quoted\x94 \x80" "5", "“quoted” €5");
    check_norm("a\xc0\xaf" "b", "aÀ¯b");          /* overlong '/' */
    check_norm("\xed\xa0\x80x", "í €x");           /* surrogate */
    check_norm("\xf4\x90\x80\x80", "ô€€");      /* past U+10FFFF */
    check_norm("end\xe2\x82", "endâ‚");           /* cut sequence */
}

static void normalize_decodes_entities(void)
{
    check_norm("Tom &amp; Jerry &lt;3 &quot;x&quot; &apos;y&apos;",
               "Tom & Jerry <3 \"x\" 'y'");
    check_norm("&eacute;t&eacute; &#233;&#xE9;&#X00e9; &rsquo;&#8217;",
               "été ééé ’’");
    check_norm("a&nbsp;&nbsp;b", "a b");
    check_norm("&amp;amp; &amp;lt;", "& <");
    check_norm("AT&T &bogus; &amp &#; &#x110000; &#0;", "AT&T &bogus; "
               "&amp &#; \xef\xbf\xbd \xef\xbf\xbd");
    check_norm("&#150; &#151;", "– —");             /* cp1252 numbers */
}

static void normalize_removes_controls(void)
{
    check_norm("a\x01" "b\x7f" "c\x1b" "d", "abcd");
    check_norm("zero\xe2\x80\x8bwidth \xef\xbb\xbf" "bom soft\xc2\xad" "hy",
               "zerowidth bom softhy");
    check_norm("\xc2\x92" "x\xc2\x85y", "’x\ny");   /* C1 as cp1252 */
    /* ZWJ and ZWNJ carry meaning: kept */
    check_norm("👨‍👩 می‌خواهم", "👨‍👩 می‌خواهم");
    check_norm("bi\xe2\x80\xae" "di", "bidi");
}

static void normalize_tidies_whitespace(void)
{
    check_norm("  a  b \t c  \r\n\r\n\r\n\r\n  d\x0b" "e\r" "f  \n\n",
               "a b\tc\n\nd\ne\nf");
    check_norm("x\xc2\xa0y\xe3\x80\x80z\xe2\x80\xa8w\xe2\x80\x83v",
               "x y z\nw v");
    check_norm("\n\n  \n", "");
    check_norm("", "");
}

/* Tiny deterministic PRNG for the random-input tests. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void normalize_output_is_valid_and_stable(void)
{
    static const char *const pieces[] = {
        "a", " ", "\n", "\t", "&amp;", "&#233;", "&", "Ã", "©", "â€",
        "™", "\xc3", "\xe2\x82", "\xff", "e\xcc\x81", "\xcc\x81",
        "\xe1\x84\x80", "\xe1\x85\xa1", "\xe1\x86\xa8", "\xc2\xa0",
        "\xe2\x80\x8b", "\r", "\x01", "\xef\xbf\xbe", "한", "\xf0\x9f\x98",
        "Ð", "Ÿ", "\xd9\x8e", "\xd9\x91", "&Atilde;", "&copy;",
        /* removed characters and their mojibake, entity pieces */
        "\xc2\xad", "\xc2\x81", "\xc3\xaf", "\xc2\xbf", "\xef\xbf\xbf",
        "&#x7f;", "#x7f;", "#233;", ";", "lt", "\xcd\xbe", "\x7f",
    };
    char buf[256];
    int failures = 0;
    for (int round = 0; round < 20000 && failures < 5; round++) {
        size_t len = 0, parts = 1 + rng() % 24;
        for (size_t k = 0; k < parts; k++) {
            const char *p = pieces[rng() % (sizeof(pieces) /
                                            sizeof(pieces[0]))];
            size_t pl = strlen(p);
            if (len + pl >= sizeof(buf))
                break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        size_t n1, n2;
        char *once = norm(buf, len, TH_TEXT_NORMALIZE_DEFAULT, &n1);
        char *twice = norm(once, n1, TH_TEXT_NORMALIZE_DEFAULT, &n2);
        bool ok = th_text_is_valid_utf8(once, n1) && n1 == n2 &&
                  memcmp(once, twice, n1) == 0;
        if (!ok) {
            failures++;
            printf("#   not stable: input of %zu bytes:", len);
            for (size_t k = 0; k < len; k++)
                printf(" %02x", (unsigned char)buf[k]);
            printf("\n");
        }
        free(once);
        free(twice);
    }
    CHECK_EQ_INT(failures, 0);
}

/* Normalize twice; the second pass must change nothing. */
static void check_stable(const char *in, size_t len, const char *want)
{
    size_t n1, n2;
    char *once = norm(in, len, TH_TEXT_NORMALIZE_DEFAULT, &n1);
    char *twice = norm(once, n1, TH_TEXT_NORMALIZE_DEFAULT, &n2);
    CHECK(th_text_is_valid_utf8(once, n1));
    CHECK_EQ_MEM(twice, n2, once, n1);
    if (want)
        CHECK_EQ_MEM(once, n1, want, strlen(want));
    free(once);
    free(twice);
}

/*
 * Repairs whose result brings new work together: a mojibake group that
 * stands for a removed character (U+FFFF, "ï¿¿") between layers of
 * mojibake, a removed character or entity inside an entity, a U+037E
 * that NFC turns into the ';' of an entity. Each layer used to need one
 * more pass (fuzz/known/normalize-not-idempotent.bin, found by
 * fuzz_unicode_normalize, is the first case).
 */
#define STABLE(lit, want) check_stable(lit, sizeof(lit) - 1, want)

static void normalize_is_idempotent_on_layers(void)
{
    static const unsigned char fuzz_case[] = {
        0x4f, 0xc3, 0xb9, 0x20, 0xa3, 0xc2, 0xef, 0xbf, 0x01, 0xef, 0xbf,
        0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf,
        0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf,
        0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf,
        0xbf, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef,
        0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef, 0xef,
        0xef, 0xef, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf,
        0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf,
        0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf,
        0xbf, 0xbf, 0xbf, 0xc2, 0xef, 0xbf, 0xbb, 0x11, 0xa4, 0x7a, 0x00,
    };
    check_stable((const char *)fuzz_case, sizeof(fuzz_case), NULL);
    /* three layers of "ï¿¿" around U+FFFF: all go in one pass */
    STABLE("x\xc3\xaf\xc3\xaf\xc3\xaf\xc2\xbf\xc2\xbf\xc2\xbf"
                 "\xc2\xbf\xc2\xbf\xc2\xbfy", "xy");
    STABLE("&&&&#x7f;#x7f;#x7f;#233;", "\xc3\xa9");
    STABLE("a &nb\x01sp; b", "a b");
    STABLE("x\n&#x7f;\n\n&#10;y", "x\n\ny");
    STABLE("&lt\xcd\xbe", "<");
    STABLE("&lt\xcd\xbe\xcc\x81x", "<\xcc\x81x");
    STABLE("\xc3\x83\x01\xc2\xa9", "\xc3\xa9");
    STABLE("\xc3\x83\xc2\xad", "\xc3\xad");
}

static void normalize_validates_utf8(void)
{
    CHECK(th_text_is_valid_utf8("", 0));
    CHECK(th_text_is_valid_utf8("plain ascii text, long enough", 29));
    CHECK(th_text_is_valid_utf8("\xf0\x9f\x98\x80", 4));
    CHECK(!th_text_is_valid_utf8("\xc0\x80", 2));
    CHECK(!th_text_is_valid_utf8("\xed\xa0\x80", 3));
    CHECK(!th_text_is_valid_utf8("\xf4\x90\x80\x80", 4));
    CHECK(!th_text_is_valid_utf8("abcdefgh\x80", 9));
}

/* ------------------------------------------------------------ clean */

static void clean_seed_document(void)
{
    char path[4096];
    size_t in_len, want_len, got_len;
    snprintf(path, sizeof(path), "%s/seed/seed-document.txt",
             th_test_shared_data());
    char *in = read_file(path, &in_len);
    snprintf(path, sizeof(path), "%s/seed/expected-clean.txt",
             th_test_shared_data());
    char *want = read_file(path, &want_len);
    CHECK(in != NULL);
    CHECK(want != NULL);
    if (in && want) {
        while (want_len && want[want_len - 1] == '\n')
            want_len--;
        char *got = clean_text(in, in_len, &got_len);
        CHECK_EQ_MEM(got, got_len, want, want_len);
        free(got);
    }
    free(in);
    free(want);
}

static void clean_splits_glued_promo(void)
{
    const char *doc =
        "Menu\nHome\nNews\n"
        "The council met on Tuesday to discuss the new budget, which has "
        "been delayed twice this year.\n"
        "READ MORE: Council faces a hard choice over the new bridgeMembers "
        "agreed to hold a public vote on the plan in the spring, after a "
        "long debate about its cost.\n"
        "The vote is expected to take place in April, officials said on "
        "Wednesday evening.\n"
        "Share this article\nTags Council Budget Bridge\n";
    size_t n;
    char *got = clean_text(doc, strlen(doc), &n);
    const char *want =
        "The council met on Tuesday to discuss the new budget, which has "
        "been delayed twice this year.\n"
        "Members agreed to hold a public vote on the plan in the spring, "
        "after a long debate about its cost.\n"
        "The vote is expected to take place in April, officials said on "
        "Wednesday evening.";
    CHECK_EQ_MEM(got, n, want, strlen(want));
    free(got);
}

static void clean_drops_error_page(void)
{
    const char *doc = "Site name\n404 : Page Not Found\n"
                      "The page you requested cannot be found. Please try "
                      "searching our website or using the index.\n";
    size_t n;
    char *got = clean_text(doc, strlen(doc), &n);
    CHECK_EQ_INT(n, 0);
    free(got);
}

static void clean_keeps_tiny_text(void)
{
    size_t n;
    char *got = clean_text("Test", 4, &n);
    CHECK_EQ_MEM(got, n, "Test", 4);
    free(got);
}

/*
 * The extraction metric of ../shared/tools/score.py (article-extraction-
 * benchmark): tokens are runs of Unicode word characters (letters, digits,
 * underscore), units are 4-token shingles (a text of 1..3 tokens has one),
 * per page tp/fp/fn from the multiset intersection, P and R are macro
 * means over pages where they are defined, F1 = 2PR/(P+R).
 */
static bool is_word_cp(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
               (cp >= 'A' && cp <= 'Z') || cp == '_';
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorted shingle hashes of text; count in *n_out (malloc'd array). */
static uint64_t *shingles(const char *text, size_t len, size_t *n_out)
{
    size_t cap = 1024, n_tok = 0;
    uint64_t *tok = malloc(cap * sizeof(*tok));
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    size_t i = 0, start = 0;
    bool in_word = false;
    while (i <= len) {
        utf8proc_int32_t cp = ' ';
        utf8proc_ssize_t n = 1;
        if (i < len) {
            n = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
            if (n < 1) {
                n = 1;
                cp = 0xFFFD;
            }
        }
        bool w = i < len && is_word_cp((uint32_t)cp);
        if (w && !in_word)
            start = i;
        if (!w && in_word) {
            if (n_tok == cap) {
                cap *= 2;
                tok = realloc(tok, cap * sizeof(*tok));
            }
            tok[n_tok++] = th_hash64(text + start, i - start, 0);
        }
        in_word = w;
        i += (size_t)n;
    }
    size_t n_sh = n_tok == 0 ? 0 : n_tok < 4 ? 1 : n_tok - 3;
    uint64_t *sh = malloc((n_sh ? n_sh : 1) * sizeof(*sh));
    for (size_t k = 0; k < n_sh; k++) {
        size_t w = n_tok < 4 ? n_tok : 4;
        sh[k] = th_hash64(tok + k, w * sizeof(*tok), w);
    }
    free(tok);
    qsort(sh, n_sh, sizeof(*sh), u64_cmp);
    *n_out = n_sh;
    return sh;
}

/* Scores of one dev set. */
struct set_score {
    double sum_p, sum_r;    /* sums of defined per-page P and R */
    size_t n_p, n_r;        /* pages where they are defined */
    size_t n_pages;         /* pages scored */
};

static void score_page(struct set_score *sc, const char *gold, size_t gl,
                       const char *pred, size_t pl)
{
    size_t ng, np;
    uint64_t *g = shingles(gold, gl, &ng);
    uint64_t *p = shingles(pred, pl, &np);
    size_t tp = 0, a = 0, b = 0;
    while (a < ng && b < np) {
        if (g[a] == p[b]) {
            tp++;
            a++;
            b++;
        } else if (g[a] < p[b]) {
            a++;
        } else {
            b++;
        }
    }
    if (np) {
        sc->sum_p += (double)tp / (double)np;
        sc->n_p++;
    }
    if (ng) {
        sc->sum_r += (double)tp / (double)ng;
        sc->n_r++;
    }
    sc->n_pages++;
    free(g);
    free(p);
}

static double f1_of(const struct set_score *sc, double *p_out, double *r_out)
{
    double p = sc->n_p ? sc->sum_p / (double)sc->n_p : 0;
    double r = sc->n_r ? sc->sum_r / (double)sc->n_r : 0;
    *p_out = p;
    *r_out = r;
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

/*
 * Clean every <page>/dirty_lynx.txt of a dev set and score it against
 * expected.txt; also checks that cleaning the output again changes
 * nothing. Returns the F1 (0 when the set is missing).
 */
static double score_set(const char *set, double bar)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", th_test_shared_data(), set);
    DIR *d = opendir(dir);
    if (!d) {
        printf("# skip: no %s\n", dir);
        return 0;
    }
    struct set_score before = {0}, after = {0};
    size_t n_unstable = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        size_t dl, gl;
        snprintf(path, sizeof(path), "%s/%s/dirty_lynx.txt", dir, e->d_name);
        char *dirty = read_file(path, &dl);
        snprintf(path, sizeof(path), "%s/%s/expected.txt", dir, e->d_name);
        char *gold = read_file(path, &gl);
        if (dirty && gold) {
            size_t cl, c2l;
            char *clean = clean_text(dirty, dl, &cl);
            score_page(&before, gold, gl, dirty, dl);
            score_page(&after, gold, gl, clean, cl);
            char *again = clean_text(clean, cl, &c2l);
            if (c2l != cl || memcmp(again, clean, cl) != 0) {
                if (n_unstable++ < 3)
                    printf("#   clean(clean(x)) != clean(x) on %s\n",
                           e->d_name);
            }
            free(again);
            free(clean);
        }
        free(dirty);
        free(gold);
    }
    closedir(d);
    double p0, r0, p1, r1;
    double f0 = f1_of(&before, &p0, &r0), f1 = f1_of(&after, &p1, &r1);
    printf("# %s (%zu pages, dirty_lynx.txt): F1 %.3f (P %.3f R %.3f) "
           "before cleaning, %.3f (P %.3f R %.3f) after; bar %.2f\n", set,
           after.n_pages, f0, p0, r0, f1, p1, r1, bar);
    CHECK(after.n_pages > 100);
    CHECK(f1 >= bar);
    CHECK_EQ_INT(n_unstable, 0);
    return f1;
}

/*
 * Pieces of real pages with repairs mixed in (mojibake, entities, removed
 * and combining characters, promo labels, odd whitespace), made by a
 * fixed random sequence: normalize must be idempotent and valid,
 * normalize + clean must be idempotent and valid, and clean must take
 * the raw bytes too.
 */
static void clean_is_idempotent_on_mutated_pages(void)
{
    static const char *const pieces[] = {
        "\xc3", "\xc2", "\xc3\xa9", "\xc3\x83\xc2\xa9", "&amp;", "&#233;",
        "&", ";", "\x7f", "\x01", "\r", "\n", "\n\n\n", " ", "  ", "\t",
        "\xc2\xa0", "\xcc\x81", "\xe2\x80\x8b", "\xef\xbf\xbf",
        "\xc3\xaf\xc2\xbf\xc2\xbf", "\x80", "\xff", "e\xcc\x81",
        "SEE ALSO:", "Read more", "Related:", "cookie", "...", "|", "<a>",
        "____", "[x.png]", "* ", "Home", "\xe2\x80\x99", "\xe2\x80\xa6",
        "?A", "!1", "railsThe", "\xd0\xbf\xd1\x80",
    };
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/extraction-dev", th_test_shared_data());
    DIR *d = opendir(dir);
    if (!d) {
        printf("# skip: no %s\n", dir);
        return;
    }
    int failures = 0, n_cases = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && failures < 3) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        size_t dl;
        snprintf(path, sizeof(path), "%s/%s/dirty_bs4.txt", dir, e->d_name);
        char *dirty = read_file(path, &dl);
        for (int k = 0; dirty && dl > 0 && k < 4; k++) {
            struct th_buf in;
            th_buf_init(&in, 0);
            size_t a = rng() % dl, n = 50 + rng() % 3000;
            if (n > dl - a)
                n = dl - a;
            th_buf_append(&in, dirty + a, n);
            for (unsigned m = rng() % 30; m > 0; m--) {
                const char *p = pieces[rng() % (sizeof(pieces) /
                                                sizeof(pieces[0]))];
                size_t at = in.len ? rng() % in.len : 0, pl = strlen(p);
                if (th_buf_reserve(&in, pl) < 0)
                    break;
                memmove(in.ptr + at + pl, in.ptr + at, in.len - at);
                memcpy(in.ptr + at, p, pl);
                in.len += pl;
            }
            size_t n1, n2, c1, c2;
            char *once = norm(in.ptr, in.len, TH_TEXT_NORMALIZE_DEFAULT, &n1);
            char *twice = norm(once, n1, TH_TEXT_NORMALIZE_DEFAULT, &n2);
            char *clean1 = clean_text(in.ptr, in.len, &c1);
            char *clean2 = clean_text(clean1, c1, &c2);
            struct th_buf raw;
            th_buf_init(&raw, 0);
            CHECK_EQ_INT(th_text_clean(in.ptr, in.len, NULL, &raw, NULL), 0);
            bool ok = th_text_is_valid_utf8(once, n1) && n1 == n2 &&
                      !memcmp(once, twice, n1) &&
                      th_text_is_valid_utf8(clean1, c1) && c1 == c2 &&
                      !memcmp(clean1, clean2, c1);
            if (!ok && failures++ < 3)
                printf("#   not stable on a piece of %s (%zu bytes)\n",
                       e->d_name, in.len);
            n_cases++;
            free(once);
            free(twice);
            free(clean1);
            free(clean2);
            th_buf_release(&raw);
            th_buf_release(&in);
        }
        free(dirty);
    }
    closedir(d);
    printf("# %d mutated pieces of pages\n", n_cases);
    CHECK(n_cases > 400);
    CHECK_EQ_INT(failures, 0);
}

static void clean_extraction_dev_bar(void)
{
    score_set("extraction-dev", 0.90);
}

static void clean_cleaneval_bar(void)
{
    score_set("extraction-dev-cleaneval", 0.91);
}

static const struct th_test tests[] = {
    {"normalize_repairs_mojibake", normalize_repairs_mojibake},
    {"normalize_keeps_correct_text", normalize_keeps_correct_text},
    {"normalize_passes_normalization_test",
     normalize_passes_normalization_test},
    {"normalize_repairs_invalid_utf8", normalize_repairs_invalid_utf8},
    {"normalize_decodes_entities", normalize_decodes_entities},
    {"normalize_removes_controls", normalize_removes_controls},
    {"normalize_tidies_whitespace", normalize_tidies_whitespace},
    {"normalize_output_is_valid_and_stable",
     normalize_output_is_valid_and_stable},
    {"normalize_is_idempotent_on_layers",
     normalize_is_idempotent_on_layers},
    {"normalize_validates_utf8", normalize_validates_utf8},
    {"clean_seed_document", clean_seed_document},
    {"clean_splits_glued_promo", clean_splits_glued_promo},
    {"clean_drops_error_page", clean_drops_error_page},
    {"clean_keeps_tiny_text", clean_keeps_tiny_text},
    {"clean_is_idempotent_on_mutated_pages",
     clean_is_idempotent_on_mutated_pages},
    {"clean_extraction_dev_bar", clean_extraction_dev_bar},
    {"clean_cleaneval_bar", clean_cleaneval_bar},
};

TH_TEST_MAIN(tests)
