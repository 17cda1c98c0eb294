#!/usr/bin/env python3
"""Write the seed corpora of the io fuzz targets (fuzz/corpus/<target>/).

Small inputs written for thresh: WARC records of each kind, JSONL lines
with every JSON construct, gzip members and zstd frames (zstd made with the
zstd command), including damaged ones. Deterministic.
"""
import gzip
import io
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
C = os.path.join(ROOT, "fuzz", "corpus")


def rec(t, body, url="http://x/"):
    b = body.encode() if isinstance(body, str) else body
    return ("WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
            "WARC-Target-URI: %s\r\nContent-Length: %d\r\n\r\n"
            % (t, url, len(b))).encode() + b + b"\r\n\r\n"


def gzm(d):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(d)
    return buf.getvalue()


def zst(d):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=d,
                          stdout=subprocess.PIPE, check=True).stdout


resp = rec("response", "HTTP/1.1 200 OK\r\nContent-Type: text/html; "
           "charset=utf-8\r\n\r\n<html><p>hi</p></html>")
wet = rec("conversion", "some text\nmore")
seeds = {
    "warc_reader": {
        "response": resp, "wet": wet, "two": resp + wet,
        "truncated": rec("conversion", "x" * 40)[:-30],
        "badlen": resp.replace(b"Content-Length: ", b"Content-Length: 9"),
        "nolen": b"WARC/1.0\r\nWARC-Type: response\r\n\r\nabc\r\n\r\n" + wet,
        "status404": rec("response", "HTTP/1.1 404 NF\r\n\r\n"),
    },
    "jsonl_reader": {
        "simple": b'{"id":"a","text":"hello"}\n',
        "meta": b'{"id":1,"text":"x\\u00e9\\ud83d\\ude00","metadata":'
                b'{"url":"u","k":[1,{"a":null}]},"other":true}\n',
        "bad": b'{"text":"a"\n[1]\n{"id":"x"}\n{"text":"\xff"}\n',
        "nested": b'{"text":"t","x":' + b"[" * 600 + b"]" * 600 + b"}\n",
    },
    "gzip_stream": {
        "members": gzm(resp) + gzm(wet), "whole": gzm(resp + wet),
        "trunc": gzm(resp) + gzm(wet)[:20],
        "garbage": gzm(resp) + b"junkjunk" + gzm(wet),
    },
    "zstd_stream": {
        "frames": zst(resp) + zst(wet), "whole": zst(resp + wet),
        "trunc": zst(resp) + zst(wet)[:12],
        "flipped": zst(resp)[:10] + b"\x00\xff" + zst(resp)[12:] + zst(wet),
    },
    "round_trip": {
        "ascii": b"\x05abcdhello world", "utf8": "\x03idcaf\u00e9 \u20ac"
        .encode(), "controls": b"\x02i\x00\x01\x1f\"\\\n\t",
        "invalid": b"\x04abc\xff\xfe\xc3",
    },
}
for target, files in seeds.items():
    d = os.path.join(C, target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
