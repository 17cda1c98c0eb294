#!/usr/bin/env bash
# Install the npm packages of scripts/npm-deps.txt into $THRESH_NPM_PREFIX
# (default /usr/local/share/thresh/npm), outside the repository; idempotent.
# The C4 bad-words filter looks for naughty-words there by default
# (filters.badwords_dir or THRESH_NAUGHTY_WORDS_DIR override it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${THRESH_NPM_PREFIX:-/usr/local/share/thresh/npm}
if ! command -v npm >/dev/null 2>&1; then
    echo "npm-setup: npm missing (apt-get install npm)" >&2
    exit 1
fi
mapfile -t pkgs < <(grep -v '^\s*#' "$here/npm-deps.txt" | grep -v '^\s*$')
missing=()
for p in "${pkgs[@]}"; do
    name=${p%@*}
    want=${p##*@}
    have=$(node -p "require('$prefix/node_modules/$name/package.json').version" \
           2>/dev/null || true)
    [ "$have" = "$want" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "npm-setup: installing ${missing[*]} into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund --no-save \
        "${missing[@]}" >/dev/null
fi
