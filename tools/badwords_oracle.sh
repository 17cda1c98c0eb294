#!/bin/sh
# The C4 bad-words filter against tools/fw1_oracle.py's statement of it
# (Python re over text.lower(): ja/th/zh anywhere, other languages between
# \W or the text's edges), with every one of the 28 lists over the 5,511
# texts of langid-dev (149 languages and scripts), and the English list
# over the parity documents.
# Usage: tools/badwords_oracle.sh BUILD_DIR SHARED_DATA [WORK_DIR]
# Exit 77 (skipped) without python3 or the lists, unless CI is set.
set -eu
build=$1 shared=$2 work=${3:-$(mktemp -d)}
here=$(dirname "$0")
py=/usr/bin/python3
lists=${THRESH_NAUGHTY_WORDS_DIR:-/usr/local/share/thresh/npm/node_modules/naughty-words}
skip=77
[ -n "${CI:-}" ] && skip=1
if [ ! -f "$lists/en.json" ] || ! $py -c 'import nltk' 2>/dev/null; then
    echo "# no bad-word lists in $lists, or no NLTK"; exit $skip
fi
mkdir -p "$work"
$py - "$shared/langid-dev/dev.tsv" "$work/langid.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, \
        open(sys.argv[2], "w", encoding="utf-8") as out:
    for i, line in enumerate(f):
        col = line.rstrip("\n").split("\t")
        out.write(json.dumps({"id": "langid-dev/%d-%s" % (i, col[0]),
                              "text": col[4]}, ensure_ascii=False) + "\n")
PY
for lang in ar cs da de en eo es fa fi fil fr fr-CA-u-sd-caqc hi hu it ja \
            kab ko nl no pl pt ru sv th tlh tr zh; do
    "$build/cli/thresh" filter -q --annotate \
        --set filters.c4_badwords=true --set filters.default_language=$lang \
        --set filters.badwords_dir="$lists" \
        "$work/langid.jsonl" > "$work/annotated-$lang.jsonl"
    $py "$here/fw1_oracle.py" --badwords "$lists" $lang \
        "$work/langid.jsonl" "$work/annotated-$lang.jsonl"
done
"$build/cli/thresh" filter -q --annotate --set filters.c4_badwords=true \
    --set filters.badwords_dir="$lists" \
    "$shared/parity/docs.jsonl.gz" > "$work/annotated-parity.jsonl"
$py "$here/fw1_oracle.py" --badwords "$lists" en \
    "$shared/parity/docs.jsonl.gz" "$work/annotated-parity.jsonl"
