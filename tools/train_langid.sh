#!/bin/sh
# Train thresh's built-in language-ID model (models/langid-thresh.ftz) with
# Debian's fastText 0.9.2 from ../shared/data/langid-dev/train.tsv.
#
#   tools/train_langid.sh [TRAIN_TSV] [OUT_DIR]
#
# Labels are the scoring key of train.tsv: ISO 639-1 where one exists, else
# ISO 639-3 (column 2, else column 1), so every label of train.tsv is
# covered. Training data = every train line, plus (to help labels with few
# lines) each label's lines repeated up to MIN_LINES, plus synthetic
# paragraphs of 3-6 consecutive lines of one label (dev.tsv has `para`
# items). Single-threaded training with a fixed seed and a fixed shuffle,
# so a rerun gives the same model file. Takes a few minutes on one core.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
train=${1:-$here/../shared/data/langid-dev/train.tsv}
out=${2:-$here/models}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
MIN_LINES=${MIN_LINES:-400}
DIM=${DIM:-16}
EPOCH=${EPOCH:-15}
LR=${LR:-0.5}
MINN=${MINN:-2}
MAXN=${MAXN:-3}
BUCKET=${BUCKET:-2000000}
LOSS=${LOSS:-hs}
CUTOFF=${CUTOFF:-40000}

command -v fasttext >/dev/null || { echo "need Debian's fasttext" >&2; exit 1; }

# 1. fastText training lines, deterministic order (awk, then sort by a
#    hash of the line number so the shuffle does not depend on shuf).
LC_ALL=C awk -F '\t' -v min="$MIN_LINES" '
function emit(s) { n_out++; printf "%08d\t%s\n", (n_out * 2654435761) % 4294967296 % 100000000, s }
{
    key = $2 != "" ? $2 : $1
    line = "__label__" key " " $5
    emit(line)
    cnt[key]++
    txt[key, cnt[key]] = $5
}
END {
    for (key in cnt) {
        n = cnt[key]
        # repeat rare labels up to min lines
        for (i = n; i < min; i++)
            emit("__label__" key " " txt[key, (i % n) + 1])
        # synthetic paragraphs: runs of 3..6 consecutive lines
        i = 1; len = 3
        while (i + len - 1 <= n) {
            p = txt[key, i]
            for (j = 1; j < len; j++) p = p " " txt[key, i + j]
            emit("__label__" key " " p)
            i += len; len = len % 4 + 3
        }
        if (n < min) {
            for (r = 0; r < (min - n) / 4; r++) {
                p = ""
                for (j = 0; j < 4; j++) p = p (j ? " " : "") txt[key, ((r * 4 + j) % n) + 1]
                emit("__label__" key " " p)
            }
        }
    }
}' "$train" | LC_ALL=C sort -k1,1 -s | cut -f2- > "$work/train.txt"

# 2. train (one thread: reproducible), 3. prune + quantize.
fasttext supervised -input "$work/train.txt" -output "$work/model" \
    -dim "$DIM" -epoch "$EPOCH" -lr "$LR" -minn "$MINN" -maxn "$MAXN" \
    -wordNgrams 1 -bucket "$BUCKET" -loss "$LOSS" -minCount 1 \
    -thread 1 -seed 1 -verbose 1
fasttext quantize -input "$work/train.txt" -output "$work/model" \
    -qnorm -cutoff "$CUTOFF" -dsub 2 -verbose 1
mkdir -p "$out"
cp "$work/model.ftz" "$out/langid-thresh.ftz"
ls -l "$out/langid-thresh.ftz"
