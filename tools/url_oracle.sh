#!/bin/sh
# The URL filter against tools/url_oracle.py (datatrove's URLFilter over
# tldextract and Debian's Public Suffix List, with lib/filter's documented
# departures), on ~17,600 real links of ../shared/data's HTML pages.
# Usage: tools/url_oracle.sh BUILD_DIR SHARED_DATA [WORK_DIR]
# Exit 77 (skipped) without python3-tldextract, unless CI is set.
set -eu
build=$1 shared=$2 work=${3:-$(mktemp -d)}
here=$(dirname "$0")
py=/usr/bin/python3
$py "$here/url_oracle.py" make "$shared" "$work"
"$build/cli/thresh" filter -q --annotate \
    --set filters.url.domains="$work/domains" \
    --set filters.url.urls="$work/urls" \
    --set filters.url.banned_words="$work/banned" \
    --set filters.url.soft_banned_words="$work/soft" \
    --set filters.url.banned_subwords="$work/subwords" \
    "$work/docs.jsonl" > "$work/annotated.jsonl"
$py "$here/url_oracle.py" compare "$work" "$work/annotated.jsonl"
