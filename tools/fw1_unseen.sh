#!/bin/sh
# The filter parity tests on documents the parity set does not have:
# tools/fw1_oracle.py (checked against datatrove's own files first) writes
# the expected decisions, texts, statistics, words and sentences of the
# unseen set and compares every quality signal `thresh filter --annotate`
# writes for it (with both presets), then test_filter compares lib/filter
# and lib/nlp with them.
# Usage: tools/fw1_unseen.sh BUILD_DIR SHARED_DATA [WORK_DIR]
# Exit 77 (skipped) without NLTK (python3-nltk) or the shared data, unless
# CI is set.
set -eu
build=$1 shared=$2 work=${3:-$(mktemp -d)}
here=$(dirname "$0")
py=/usr/bin/python3
skip=77
[ -n "${CI:-}" ] && skip=1
if ! $py -c 'import nltk' 2>/dev/null; then
    echo "# NLTK not installed (Debian python3-nltk)"; exit $skip
fi
if [ ! -f "$shared/parity/docs.jsonl.gz" ]; then
    echo "# no shared data at $shared"; exit $skip
fi
mkdir -p "$work"
# the oracle must agree with datatrove before its answers mean anything;
# THRESH_ORACLE_CHECK=0 skips that (it takes about a minute and a half)
if [ "${THRESH_ORACLE_CHECK:-1}" != 0 ]; then
    $py "$here/fw1_oracle.py" --check "$shared/parity"
fi
# thresh's own extraction of every shared HTML page: the text the pipeline
# hands the filters
mkdir -p "$work/extracted"
for page in "$shared"/extraction-dev*/*/source.html; do
    set_page=$(basename "$(dirname "$(dirname "$page")")")_$(basename \
        "$(dirname "$page")")
    "$build/cli/thresh" extract "$page" > "$work/extracted/$set_page.txt"
done
$py "$here/fw1_oracle.py" --unseen "$shared" "$work/docs.jsonl" \
    "$work/extracted"
"$build/cli/thresh" filter -q --annotate "$work/docs.jsonl" \
    > "$work/annotated.jsonl"
$py "$here/fw1_oracle.py" "$work/docs.jsonl" "$work" \
    --annotated "$work/annotated.jsonl"
# the datatrove preset (today's rules) has no datatrove files at all: its
# signals and would-be decisions against the oracle's statement of it
"$build/cli/thresh" filter -q --preset datatrove --annotate \
    "$work/docs.jsonl" > "$work/annotated-datatrove.jsonl"
$py "$here/fw1_oracle.py" --preset datatrove "$work/docs.jsonl" \
    "$work/datatrove" --annotated "$work/annotated-datatrove.jsonl"
# other thresholds: every early exit and bound of the chain must stay
# exact for any setting, not only the preset's
for seed in 1 2; do
    sets=$($py "$here/fw1_oracle.py" --random-thresholds $seed 0.7 1.3 \
        "$work/thresholds-$seed.json")
    # shellcheck disable=SC2086
    "$build/cli/thresh" filter -q $sets \
        --rejects "$work/rejects-$seed.jsonl" "$work/docs.jsonl" \
        > "$work/kept-$seed.jsonl"
    $py "$here/fw1_oracle.py" --thresholds "$work/thresholds-$seed.json" \
        --chain "$work/docs.jsonl" "$work/kept-$seed.jsonl" \
        "$work/rejects-$seed.jsonl"
done
THRESH_PARITY_ORACLE=1 THRESH_SHARED_DATA="$work" \
    THRESH_SOURCE_ROOT="$here/.." "$build/tests/filter/test_filter"
