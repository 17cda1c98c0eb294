#!/usr/bin/env bash
# Configure (once) and build thresh into build/ (release-ish, -O2 -g).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
