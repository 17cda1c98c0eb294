#!/usr/bin/env python3
"""Write benchmark WARCs from the real pages in ../shared/data.

usage: make_bench_warc.py OUTDIR [MEGABYTES] [FILES]

Every extraction-dev / extraction-dev-cleaneval source.html becomes a
WARC response record (one gzip member per record, as Common Crawl ships
.warc.gz); the set is repeated until the files hold about MEGABYTES of
uncompressed WARC, split into FILES files. Output goes outside the repo
(the pages are third-party and never committed).
"""
import gzip
import os
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data")


def pages():
    out = []
    for ds in ("extraction-dev", "extraction-dev-cleaneval"):
        base = os.path.join(DATA, ds)
        for name in sorted(os.listdir(base)):
            p = os.path.join(base, name, "source.html")
            if os.path.isfile(p):
                out.append((ds + "/" + name, open(p, "rb").read()))
    return out


def member(data):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def record(i, name, body):
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body
    head = ("WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: "
            "<urn:uuid:bench-%08d>\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n"
            "WARC-Target-URI: https://bench.example/%s/%d\r\nContent-Type: "
            "application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n"
            % (i, name, i, len(http))).encode()
    return head + http + b"\r\n\r\n"


def main():
    outdir = sys.argv[1]
    mb = float(sys.argv[2]) if len(sys.argv) > 2 else 200
    nfiles = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    os.makedirs(outdir, exist_ok=True)
    ps = pages()
    target = mb * 1e6 / nfiles
    i = 0
    for f in range(nfiles):
        size = 0
        with open(os.path.join(outdir, "bench-%02d.warc.gz" % f), "wb") as out:
            while size < target:
                name, body = ps[i % len(ps)]
                r = record(i, name, body)
                out.write(member(r))
                size += len(r)
                i += 1
    print("%d records in %d files" % (i, nfiles))


if __name__ == "__main__":
    main()
