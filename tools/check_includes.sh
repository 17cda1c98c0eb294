#!/usr/bin/env bash
# Check every #include "..." in lib/ and cli/ against the module DAG
# (docs/ARCHITECTURE.md): a module includes its own internal headers, core's
# banned.h, and the public headers of core and of the modules it depends on;
# the CLI includes only public headers. Also checks that the library builds
# with a bare `cc -c lib/*/*.c -Iinclude` (no build-system include paths).
# TAP output; run by meson test (suite 'lint').
set -u
root=${THRESH_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 1
core_pub="core.h config.h doc.h json.h stage.h"
declare -A allowed=(
    [core]="$core_pub"
    [io]="$core_pub io.h"
    [html]="$core_pub html.h"
    [text]="$core_pub text.h"
    [langid]="$core_pub fasttext.h langid.h"
    [nlp]="$core_pub nlp.h"
    [filter]="$core_pub filter.h nlp.h"
    [dedup]="$core_pub dedup.h"
    [pipeline]="*"
)
n=0
bad=0
for dir in lib/*/; do
    m=$(basename "$dir")
    for f in "$dir"*.c "$dir"*.h; do
        [ -e "$f" ] || continue
        while IFS= read -r inc; do
            case "$inc" in
            thresh/*)
                h=${inc#thresh/}
                if [ "${allowed[$m]:-}" != "*" ] &&
                   ! grep -qw -- "$h" <<<"${allowed[$m]:-}"; then
                    echo "# $f includes thresh/$h: not a dependency of $m"
                    bad=1
                fi ;;
            ../core/banned.h|banned.h) ;;
            */*)
                echo "# $f includes $inc: another module's internals"
                bad=1 ;;
            *)
                [ -e "$dir$inc" ] || { echo "# $f includes $inc: not in $dir"; bad=1; } ;;
            esac
        done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$f")
    done
done
n=$((n + 1))
[ $bad -eq 0 ] && echo "ok $n - lib includes follow the module DAG" \
               || echo "not ok $n - lib includes follow the module DAG"
cbad=0
for f in cli/*.c cli/*.h; do
    while IFS= read -r inc; do
        case "$inc" in
        thresh/*|cli.h) ;;
        *) echo "# $f includes $inc: the CLI sees only include/thresh"; cbad=1 ;;
        esac
    done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$f")
done
n=$((n + 1))
[ $cbad -eq 0 ] && echo "ok $n - cli includes only public headers" \
                || echo "not ok $n - cli includes only public headers"
tmp=$(mktemp -d)
bbad=0
for f in lib/*/*.c; do
    if ! cc -std=c11 -D_GNU_SOURCE -c "$f" -Iinclude -o "$tmp/x.o" \
         2>"$tmp/err"; then
        echo "# bare cc fails on $f: $(grep -m1 error "$tmp/err")"
        bbad=1
    fi
done
rm -rf "$tmp"
n=$((n + 1))
[ $bbad -eq 0 ] && echo "ok $n - library builds with bare cc -c lib/*/*.c -Iinclude" \
                || echo "not ok $n - library builds with bare cc -c lib/*/*.c -Iinclude"
echo "1..$n"
[ $bad -eq 0 ] && [ $cbad -eq 0 ] && [ $bbad -eq 0 ]
