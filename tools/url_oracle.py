#!/usr/bin/env python3
"""An oracle of the URL filter (docs/filter.md, "URL filter").

datatrove's URLFilter, stated in Python over tldextract (Debian
python3-tldextract, given Debian's Public Suffix List file, ICANN section,
as lib/filter reads it), with the three documented departures of
lib/filter from it:
  - hosts and domain-list entries compare without case (tldextract keeps
    the URL's case and datatrove compares it with the entries as they are);
  - a urls-list entry matches the URL with or without its scheme (UT1 url
    lists have none; datatrove compares the whole URL);
  - a host tldextract gives no registered domain (an IP address, one
    label, a TLD outside the list) is still looked up whole ("subdomain"),
    and an unknown TLD takes the list's default rule "*" (its last label
    is the suffix).
How many decisions datatrove itself would make differently is printed too.

Usage:
  tools/url_oracle.py make SHARED_DATA WORK_DIR
      WORK_DIR/docs.jsonl: every distinct http(s) link of the HTML pages
      of extraction-dev and extraction-dev-cleaneval, and variants
      (upper-case host, port, user info, trailing dot), plus IP, one-label
      and wildcard-suffix hosts; WORK_DIR/{domains,urls,banned,soft,
      subwords}: lists drawn from them (seeded)
  tools/url_oracle.py compare WORK_DIR ANNOTATED.jsonl
      compare qs_url_blocked of `thresh filter --annotate` run with those
      lists; exit 1 on any difference
"""
import json
import os
import random
import re
import sys

try:
    import tldextract
except ImportError:
    print("# tldextract not installed (Debian python3-tldextract)")
    sys.exit(1 if os.environ.get("CI") else 77)

PSL = "/usr/share/publicsuffix/public_suffix_list.dat"
NORMALIZER = re.compile(r"[^a-zA-Z0-9]+")
LINK = re.compile(r"""https?://[^\s"'<>)]+""")


def extractor():
    return tldextract.TLDExtract(suffix_list_urls=["file://" + PSL],
                                 cache_dir=None,
                                 include_psl_private_domains=False)


def normalize(text):
    return NORMALIZER.sub("", text).lower()


def read_list(path, words):
    """datatrove's parse_list: lines not starting with '#', stripped (or
    normalized, for the word lists)."""
    with open(path, encoding="utf-8") as f:
        return {normalize(x) if words else x.strip() for x in f
                if x[0] != "#"}


def make(shared, work):
    rng = random.Random(11)
    urls = set()
    for ds in ("extraction-dev", "extraction-dev-cleaneval"):
        root = os.path.join(shared, ds)
        for page in sorted(os.listdir(root)):
            path = os.path.join(root, page, "source.html")
            if os.path.isfile(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    urls.update(LINK.findall(f.read()))
    urls = sorted(urls)
    variants = []
    for u in rng.sample(urls, 300):
        m = re.match(r"(https?://)([^/?#]*)(.*)", u)
        s, h, r = m.groups()
        variants += [s + h.upper() + r, s + h + ":8080" + r,
                     s + "user:pw@" + h + r, s + h + "." + r]
    variants += ["http://192.168.1.1/x", "http://8.8.8.8/", "http://[::1]/a",
                 "http://localhost/", "http://foo.invalid/",
                 "http://a.b.ck/", "http://www.ck/", "http://x.www.ck/",
                 "http://city.kawasaki.jp/", "http://a.city.kawasaki.jp/"]
    urls += variants
    ex = extractor()
    regs = sorted({ex(u).registered_domain.lower() for u in urls} - {""})
    hosts = sorted({ex(u).fqdn.lower() for u in urls} - {""})
    domains = set(rng.sample(regs, len(regs) // 20)) | \
        set(rng.sample(hosts, len(hosts) // 30)) | \
        {"192.168.1.1", "localhost", "foo.invalid", "www.ck", "a.b.ck",
         "city.kawasaki.jp"}
    url_list = {u.split("://", 1)[-1]
                for u in rng.sample(urls, len(urls) // 50)} | \
        set(rng.sample(urls, len(urls) // 100))
    counts = {}
    for u in urls:
        for w in set(NORMALIZER.split(u)) - {""}:
            counts[w] = counts.get(w, 0) + 1
    mid = sorted(w for w, c in counts.items() if 5 <= c <= 40)
    banned = rng.sample(mid, 8)
    soft = rng.sample(mid, 25)
    subwords = []
    for u in rng.sample(urls, 8):
        n = normalize(u)
        if len(n) > 12:
            i = rng.randrange(len(n) - 7)
            subwords.append(n[i:i + 7])
    os.makedirs(work, exist_ok=True)
    for name, items in (("domains", domains), ("urls", url_list),
                        ("banned", banned), ("soft", soft),
                        ("subwords", subwords)):
        with open(os.path.join(work, name), "w", encoding="utf-8") as f:
            f.write("# url_oracle.py\n" + "\n".join(sorted(items)) + "\n")
    with open(os.path.join(work, "docs.jsonl"), "w", encoding="utf-8") as f:
        for i, u in enumerate(urls):
            f.write(json.dumps({"id": str(i), "text": "x", "url": u}) + "\n")
    print("# %d URLs, %d domains, %d urls, %d banned, %d soft, %d subwords"
          % (len(urls), len(domains), len(url_list), len(banned), len(soft),
             len(subwords)))
    return 0


class Oracle:
    def __init__(self, work):
        self.ex = extractor()
        self.domains = read_list(os.path.join(work, "domains"), False)
        self.urls = read_list(os.path.join(work, "urls"), False)
        self.banned = read_list(os.path.join(work, "banned"), True)
        self.soft = read_list(os.path.join(work, "soft"), True)
        self.subwords = read_list(os.path.join(work, "subwords"), True) - \
            {""}

    def words(self, url):
        """The word rules, as datatrove has them."""
        w = set(NORMALIZER.split(url))
        if any(x in w for x in self.banned):
            return "hard_blacklisted"
        if sum(x in w for x in self.soft) >= 2:
            return "soft_blacklisted"
        n = normalize(url)
        if any(x in n for x in self.subwords):
            return "blacklisted_subword"
        return None

    def datatrove(self, url):
        i = self.ex(url)
        if i.registered_domain in self.domains:
            return "domain"
        if i.fqdn in self.domains:
            return "subdomain"
        if url in self.urls:
            return "url"
        return self.words(url)

    def thresh(self, url):
        i = self.ex(url)
        reg, host = i.registered_domain.lower(), i.fqdn.lower()
        if not i.suffix:
            # no registered domain by tldextract: the whole host, and the
            # PSL's default rule "*" (the last label is the suffix)
            host = ".".join(x for x in (i.subdomain, i.domain) if x).lower()
            labels = host.split(".")
            reg = ".".join(labels[-2:]) if len(labels) >= 2 else ""
        if reg and reg in self.domains:
            return "domain"
        if host and host in self.domains:
            return "subdomain"
        if url in self.urls or url.split("://", 1)[-1] in self.urls:
            return "url"
        return self.words(url)


def compare(work, ann_path):
    o = Oracle(work)
    n = bad = datatrove_differs = 0
    blocked = {}
    with open(ann_path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            meta = d.get("metadata", {})
            url = meta.get("url", d.get("url"))
            got = meta.get("qs_url_blocked")
            want = o.thresh(url)
            n += 1
            blocked[want] = blocked.get(want, 0) + 1
            datatrove_differs += o.datatrove(url) != got
            if got != want:
                bad += 1
                if bad <= 20:
                    print("#   %s: thresh %s oracle %s" % (url, got, want))
    print("# URL filter: %d URLs (%s), %d differences; datatrove itself "
          "would decide %d differently (the departures above)"
          % (n, ", ".join("%s %d" % (k or "kept", v)
                          for k, v in sorted(blocked.items(),
                                             key=lambda kv: str(kv[0]))),
             bad, datatrove_differs))
    return 1 if bad or n < 1000 else 0


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "make":
        return make(a[1], a[2])
    if len(a) == 3 and a[0] == "compare":
        return compare(a[1], a[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
