#!/bin/sh
# CLI checks of `thresh clean` / `thresh normalize` (TAP): the seed document
# comes out exactly as expected-clean.txt; stdin works; output is stable.
set -u
bin=${THRESH_BIN:?}
data=${THRESH_SHARED_DATA:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..4"
if "$bin" clean "$data/seed/seed-document.txt" > "$tmp/seed.out" &&
   cmp -s "$tmp/seed.out" "$data/seed/expected-clean.txt"; then
    echo "ok 1 - clean_seed_document_exact"
else
    echo "not ok 1 - clean_seed_document_exact"
    diff "$tmp/seed.out" "$data/seed/expected-clean.txt" | sed 's/^/# /' | head -20
fi
if "$bin" clean - < "$data/seed/seed-document.txt" | cmp -s - "$tmp/seed.out"; then
    echo "ok 2 - clean_reads_stdin"
else
    echo "not ok 2 - clean_reads_stdin"
fi
if "$bin" clean "$tmp/seed.out" | cmp -s - "$tmp/seed.out"; then
    echo "ok 3 - clean_is_idempotent"
else
    echo "not ok 3 - clean_is_idempotent"
fi
printf 'caf\303\203\302\251 &amp; \342\200\213x\r\n\r\n\r\ny\n' > "$tmp/n.in"
printf 'caf\303\251 & x\n\ny\n' > "$tmp/n.want"
if "$bin" normalize "$tmp/n.in" | cmp -s - "$tmp/n.want"; then
    echo "ok 4 - normalize_repairs_text"
else
    echo "not ok 4 - normalize_repairs_text"
fi
