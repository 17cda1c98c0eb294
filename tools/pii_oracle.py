#!/usr/bin/env python3
"""An oracle of the PII stage's "public IP addresses only" rule: Python's
ipaddress.is_global (as datatrove decides it), on the interpreter itself.

Addresses: the first, second, middle, last-but-one and last address of
every IANA special-purpose IPv4 and IPv6 network and their neighbours
outside, IPv4-mapped forms of the IPv4 ones, and seeded random addresses;
IPv6 in compressed, exploded and upper-case form. Each is put in a
sentence; `thresh filter --annotate --pii` must replace exactly the global
ones.

Usage:
  tools/pii_oracle.py make DOCS.jsonl
  tools/pii_oracle.py compare DOCS.jsonl ANNOTATED.jsonl
"""
import ipaddress
import json
import random
import sys

V4 = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
      "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29",
      "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32", "192.0.0.170/31",
      "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
      "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
      "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
      "255.255.255.255/32"]
V6 = ["::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96",
      "64:ff9b:1::/48", "100::/64", "2001::/23", "2001::/32",
      "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:2::/48",
      "2001:3::/32", "2001:4:112::/48", "2001:10::/28", "2001:20::/28",
      "2001:30::/28", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48",
      "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10",
      "ff00::/8", "2000::/3"]


def edges(net):
    net = ipaddress.ip_network(net)
    a, b = int(net.network_address), int(net.broadcast_address)
    top = 2 ** net.max_prefixlen
    cls = type(net.network_address)
    return [cls(x) for x in (a - 1, a, a + 1, (a + b) // 2, b - 1, b, b + 1)
            if 0 <= x < top]


def make(path):
    rng = random.Random(5)
    addrs = []
    for n in V4:
        for a in edges(n):
            addrs.append(str(a))
            addrs.append("::ffff:" + str(a))
            addrs.append(ipaddress.IPv6Address(
                (0xffff << 32) | int(a)).exploded)
    addrs += [str(ipaddress.IPv4Address(rng.getrandbits(32)))
              for _ in range(3000)]
    for n in V6:
        for a in edges(n):
            addrs += [a.compressed, a.exploded, a.compressed.upper()]
    addrs += [ipaddress.IPv6Address(rng.getrandbits(128)).compressed
              for _ in range(1500)]
    addrs += [ipaddress.IPv6Address((1 << 125) | rng.getrandbits(125))
              .exploded for _ in range(500)]
    with open(path, "w", encoding="utf-8") as f:
        for i, a in enumerate(addrs):
            f.write(json.dumps({"id": "%d %s" % (i, a),
                                "text": "the server at %s answered." % a})
                    + "\n")
    print("# %d addresses" % len(addrs))
    return 0


def compare(docs_path, ann_path):
    n = bad = public = 0
    with open(docs_path, encoding="utf-8") as d, \
            open(ann_path, encoding="utf-8") as a:
        for dl, al in zip(d, a):
            addr = json.loads(dl)["id"].split(" ", 1)[1]
            got = "|||IP_ADDRESS|||" in json.loads(al)["text"]
            want = ipaddress.ip_address(addr).is_global
            n += 1
            public += want
            if got != want:
                bad += 1
                if bad <= 20:
                    print("#   %s: thresh %s, Python %s" % (
                        addr, "replaced" if got else "kept",
                        "global" if want else "not global"))
    print("# IP addresses: %d (%d global), %d differences from Python %s"
          % (n, public, bad, sys.version.split()[0]))
    return 1 if bad or n < 1000 else 0


def main():
    commands = {"make": (make, 1), "compare": (compare, 2)}
    a = sys.argv[1:]
    fn, nargs = commands.get(a[0] if a else "", (None, -1))
    if fn is None or len(a) != nargs + 1:
        print(__doc__, file=sys.stderr)
        return 2
    return fn(*a[1:])


if __name__ == "__main__":
    sys.exit(main())
