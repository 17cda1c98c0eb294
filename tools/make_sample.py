#!/usr/bin/env python3
"""Write the bundled sample crawl (examples/).

examples/sample.warc.gz holds pages written for thresh (no third-party
text): news, a blog post, documentation, a forum thread, plus the records a
real crawl also carries (warcinfo, request, a 404, an image, a redirect).
Each record is its own gzip member, as Common Crawl ships .warc.gz.

examples/seed.warc.gz and examples/seed.jsonl rebuild the seed article of
../shared/data/seed as an HTML news page with its real-world leftovers (nav
menu, "SEE ALSO" promo, tweet embed, topics line, related-headlines widget,
footer) and as JSONL. The seed text is third-party, so those two files are
generated on the machine from ../shared (scripts/build.sh calls this) and
never committed.

Deterministic: fixed dates and ids, gzip mtime 0.
"""
import gzip
import html
import io
import json
import os
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "examples")
SEED = os.path.join(ROOT, "..", "shared", "data", "seed")

NAV = ('<nav class="site-nav"><ul><li><a href="/">Home</a></li>'
       '<li><a href="/world">World</a></li><li><a href="/tech">Tech</a></li>'
       '<li><a href="/culture">Culture</a></li><li><a href="/sport">Sport'
       '</a></li><li><a href="/about">About us</a></li></ul></nav>')
COOKIE = ('<div id="cookie-banner" class="cookie-consent">We use cookies to '
          'improve your experience. By continuing to browse you agree to our '
          '<a href="/privacy">privacy policy</a>. <button>Accept all</button>'
          '</div>')
FOOTER = ('<footer class="site-footer"><p>&copy; 2026 The Valley Courier. '
          'All rights reserved.</p><ul><li><a href="/terms">Terms</a></li>'
          '<li><a href="/privacy">Privacy</a></li><li><a href="/contact">'
          'Contact</a></li></ul></footer>')
SHARE = ('<div class="share-buttons"><a href="#">Share on Facebook</a> '
         '<a href="#">Share on X</a> <a href="#">Email</a></div>')


def related(titles):
    items = "".join('<li><a href="/story/%d">%s</a></li>' % (i, html.escape(t))
                    for i, t in enumerate(titles))
    return ('<aside class="related-headlines"><h3>Trending now</h3><ul>%s'
            '</ul></aside>' % items)


def page(title, body, lang="en", extra_head=""):
    return ('<!DOCTYPE html><html lang="%s"><head><meta charset="utf-8">'
            '<title>%s</title>%s</head><body>%s%s<main>%s</main>%s%s</body>'
            '</html>' % (lang, html.escape(title), extra_head, COOKIE, NAV,
                         body, SHARE, FOOTER))


def article(title, paragraphs, author="Staff writer",
            date="2026-03-14T09:30:00Z"):
    ps = "".join("<p>%s</p>" % html.escape(p) for p in paragraphs)
    return ('<article><h1>%s</h1><p class="byline">By <span class="author">'
            '%s</span> <time datetime="%s">%s</time></p>%s</article>'
            % (html.escape(title), html.escape(author), date, date[:10], ps))


OWN_PAGES = [
    ("https://valley-courier.example/local/river-cleanup",
     page("Volunteers pull two tonnes of rubbish from the Alder river",
          article("Volunteers pull two tonnes of rubbish from the Alder river", [
              "More than three hundred volunteers spent Saturday morning "
              "wading through the shallows of the Alder river, collecting "
              "shopping trolleys, tyres and an estimated two tonnes of "
              "plastic waste along a four-kilometre stretch.",
              "The clean-up, now in its sixth year, was organised by the "
              "Alder Valley Rivers Trust together with three local schools. "
              "Organisers said the amount of rubbish was lower than last "
              "year, which they credit to new bins installed near the "
              "footbridge.",
              "\u201cEvery year we find fewer bottles and more fishing line,\u201d "
              "said trust coordinator Mirela Dobos. \u201cThat tells us the "
              "deposit scheme is working, but we still need anglers to take "
              "their tackle home.\u201d",
              "The council has promised to publish water quality readings "
              "for the stretch every month from April, after residents "
              "raised concerns about run-off from the industrial estate.",
          ]) + related(["Council approves new cycle lane on Mill Street",
                        "Bakery celebrates 100 years on the high street",
                        "Late goal sends Valley United into the final"]))),
    ("https://valley-courier.example/tech/battery-recycling",
     page("Start-up opens battery recycling plant",
          article("A start-up wants to recover 95% of the lithium in old "
                  "phone batteries", [
              "A start-up founded by two former university researchers has "
              "opened a pilot plant that shreds discarded phone and laptop "
              "batteries and recovers lithium, cobalt and nickel using a "
              "water-based process instead of smelting.",
              "The company says the method recovers up to 95 percent of the "
              "lithium, compared with well under half for conventional "
              "furnaces, and uses a fraction of the energy.",
              "Independent experts were cautiously optimistic. Recycling "
              "rates for small electronics remain low mainly because devices "
              "never reach a collection point, one engineer noted, so the "
              "chemistry is only half of the problem.",
          ], author="Jonas Lindqvist", date="2026-02-02T14:00:00Z")
          + '<div class="newsletter">Sign up for our newsletter and get the '
            'best stories every morning. <input type="email"></div>')),
    ("https://blog.example.org/2026/01/sourdough-notes",
     page("Notes from a year of sourdough baking",
          '<article class="post"><h1>Notes from a year of sourdough '
          'baking</h1><p>I started keeping a starter last January, mostly '
          'out of stubbornness. Twelve months and roughly ninety loaves '
          'later, here is what actually made a difference.</p><h2>Flour '
          'matters less than timing</h2><p>I tried four different flours. '
          'The differences were real but small compared with getting the '
          'bulk fermentation right: in a warm kitchen the dough was ready '
          'two hours earlier than any recipe said.</p><ul><li>Feed the '
          'starter twelve hours before mixing.</li><li>Watch the dough, not '
          'the clock.</li><li>Bake hotter than you think for the first '
          'twenty minutes.</li></ul><p>If you only change one thing, buy a '
          'cheap thermometer and write down the dough temperature every '
          'time.</p></article><section class="comments"><h3>3 comments'
          '</h3><div class="comment">Great post! Following for more.</div>'
          '</section>')),
    ("https://docs.example.net/guide/install",
     page("Installing the toolkit",
          '<div class="sidebar"><ul><li><a href="/guide">Guide</a></li><li>'
          '<a href="/api">API</a></li><li><a href="/faq">FAQ</a></li></ul>'
          '</div><div class="content"><h1>Installing the toolkit</h1><p>The '
          'toolkit builds with a C11 compiler and Meson. On Debian, install '
          'the build dependencies first, then configure and build in a '
          'separate directory.</p><pre><code>meson setup build\nninja -C build'
          '</code></pre><p>Run the test suite before installing. If a test '
          'fails on your platform, please open an issue with the full log '
          'and the output of the version command.</p><table><tr><th>Option'
          '</th><th>Default</th></tr><tr><td>threads</td><td>all cores</td>'
          '</tr><tr><td>compression</td><td>zstd</td></tr></table></div>')),
    ("https://forum.example.com/t/winter-tyres-worth-it",
     page("Are winter tyres worth it in a mild climate?",
          '<div class="thread"><h1>Are winter tyres worth it in a mild '
          'climate?</h1><div class="post"><p>We get maybe five days of snow '
          'a year, but the mornings are often below freezing from December '
          'to February. Is it worth buying a second set of wheels, or are '
          'all-season tyres enough?</p></div><div class="post"><p>All-season '
          'tyres have improved a lot. Below about seven degrees a winter '
          'compound grips noticeably better even on dry roads, but for a '
          'handful of icy days a year most people here run all-seasons and '
          'simply drive less on the worst mornings.</p></div></div>',
          lang="en")),
    ("https://actualites.example.fr/culture/festival",
     page("Le festival de jazz revient au printemps",
          article("Le festival de jazz revient au printemps", [
              "Après deux années d'absence, le festival de jazz de la vallée "
              "revient au mois d'avril avec une programmation tournée vers "
              "les jeunes musiciens de la région.",
              "Les organisateurs promettent des concerts gratuits sur la "
              "place du marché chaque soir, ainsi que des ateliers pour les "
              "élèves des écoles de musique.",
          ], author="Claire Martin"), lang="fr")),
]


def warc_record(rtype, headers, block):
    rid = "urn:uuid:%s" % uuid.uuid5(uuid.NAMESPACE_URL,
                                     rtype + headers.get("WARC-Target-URI", "")
                                     + str(len(block)))
    lines = ["WARC/1.1", "WARC-Type: " + rtype,
             "WARC-Record-ID: <%s>" % rid,
             "WARC-Date: 2026-03-15T12:00:00Z"]
    for k, v in headers.items():
        lines.append("%s: %s" % (k, v))
    lines.append("Content-Length: %d" % len(block))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def http_response(status, ctype, body):
    reason = {200: "OK", 404: "Not Found", 301: "Moved Permanently"}[status]
    head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n" \
           "Server: example\r\n\r\n" % (status, reason, ctype, len(body))
    return head.encode() + body


def gz_member(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def write_warc(path, responses, with_extras):
    members = [gz_member(warc_record(
        "warcinfo", {"Content-Type": "application/warc-fields"},
        b"software: thresh tools/make_sample.py\r\nformat: WARC File "
        b"Format 1.1\r\n"))]
    for url, ctype, status, body in responses:
        req = ("GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % url.split("/")[2])
        members.append(gz_member(warc_record(
            "request", {"WARC-Target-URI": url,
                        "Content-Type": "application/http; msgtype=request"},
            req.encode())))
        members.append(gz_member(warc_record(
            "response", {"WARC-Target-URI": url,
                         "Content-Type": "application/http; msgtype=response"},
            http_response(status, ctype, body))))
    with open(path, "wb") as f:
        f.write(b"".join(members))


def seed_page(seed_lines):
    """The seed article as a news page, leftovers in their usual places."""
    title = "Microsoft employees protest the company's work with ICE"
    paras = [l for l in seed_lines if l.strip()]
    body = []
    for p in paras:
        if p.startswith("Topics "):
            words = p.split()[1:]
            body.append('<div class="topics">Topics %s</div>' % " ".join(
                '<a href="/category/%s">%s</a>' % (w.lower(), w)
                for w in words))
        elif "currently unavailable" in p:
            body.append('<div class="embed twitter-tweet"><p>%s</p></div>'
                        % html.escape(p))
        elif p.startswith("SEE ALSO:"):
            # the promo is a link block glued before the paragraph
            promo, _, rest = p.partition("rails")
            body.append('<div class="see-also"><strong>SEE ALSO:</strong> '
                        '<a href="/promo">%s</a></div><p>%s</p>'
                        % (html.escape(promo[len("SEE ALSO: "):] + "rails"),
                           html.escape(rest)))
        elif len(p) > 1500:
            # the related/trending widget: headlines as list items
            body.append(related([p[i:i + 60] for i in range(0, 600, 60)]))
        else:
            body.append("<p>%s</p>" % html.escape(p))
    return page(title, '<article><h1>%s</h1>%s</article>'
                % (html.escape(title), "".join(body)))


def main():
    os.makedirs(OUT, exist_ok=True)
    responses = [(u, "text/html; charset=utf-8", 200, h.encode("utf-8"))
                 for u, h in OWN_PAGES]
    responses.append(("https://valley-courier.example/missing",
                      "text/html", 404, b"<html><body>Not found</body></html>"))
    responses.append(("https://valley-courier.example/logo.png", "image/png",
                      200, b"\x89PNG\r\n\x1a\n" + bytes(range(64))))
    responses.append(("https://valley-courier.example/old", "text/html", 301,
                      b""))
    write_warc(os.path.join(OUT, "sample.warc.gz"), responses, True)
    seed_txt = os.path.join(SEED, "seed-document.txt")
    if os.path.exists(seed_txt):
        lines = open(seed_txt, encoding="utf-8").read().split("\n")
        write_warc(os.path.join(OUT, "seed.warc.gz"),
                   [("https://news.example.com/2018/06/19/microsoft-ice",
                     "text/html; charset=utf-8", 200,
                     seed_page(lines).encode("utf-8"))], False)
        with open(os.path.join(OUT, "seed.jsonl"), "w", encoding="utf-8") as f:
            f.write(json.dumps({"id": "seed-document",
                                "text": "\n".join(lines),
                                "metadata": {"url": "https://news.example.com"
                                             "/2018/06/19/microsoft-ice"}},
                               ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
