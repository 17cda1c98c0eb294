#!/usr/bin/env bash
# Install everything thresh needs on Debian 12 (run as root); idempotent.
# The package list lives in scripts/deps.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t pkgs < <(grep -v '^\s*#' "$here/deps.txt" | grep -v '^\s*$')
missing=()
for entry in "${pkgs[@]}"; do
    p=${entry%%:*}
    if [ "$p" != "$entry" ]; then
        command -v "${entry#*:}" >/dev/null 2>&1 && continue
    fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# npm packages (word lists read at run time), see scripts/npm-deps.txt
if [ -f "$here/npm-deps.txt" ]; then
    "$here/npm-setup.sh"
fi
echo "setup: all dependencies present" >&2
