#!/usr/bin/env bash
# Configure (once) and build thresh into build/ (-O2 -g), then (re)write the
# bundled sample's generated part (examples/seed.*, from ../shared, never
# committed: see tools/make_sample.py).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
python3 tools/make_sample.py
