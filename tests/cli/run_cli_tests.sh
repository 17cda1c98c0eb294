#!/usr/bin/env bash
# CLI tests for `thresh run` and friends, TAP output. Every run is checked
# for the accounting invariant (read = kept + rejected, in stats.json and in
# the lines of docs/ and rejects/). Needs THRESH_BIN and THRESH_SOURCE_ROOT
# (set by tests/meson.build).
set -u
bin=${THRESH_BIN:?}
src=${THRESH_SOURCE_ROOT:?}
work=$(mktemp -d /tmp/thresh-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() {  # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# all lines of the shards of a directory, decompressed, in shard order
lines_of() {
    local d=$1 f
    for f in "$d"/*; do
        [ -e "$f" ] || continue
        case "$f" in
        *.zst) zstd -dc -q "$f" ;;
        *.gz) gzip -dc "$f" ;;
        *) cat "$f" ;;
        esac
    done
}

# accounting OUTDIR: stats.json totals agree with each other and the files
accounting() {
    local out=$1
    python3 - "$out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1] + "/stats.json"))
ok = s["read"] == s["kept"] + s["rejected"]
if not ok:
    print("# stats: read %d != kept %d + rejected %d" % (s["read"], s["kept"], s["rejected"]))
sys.exit(0 if ok else 1)
EOF
    [ $? -eq 0 ] || return 1
    local kept rej read
    kept=$(lines_of "$out/docs" | wc -l)
    rej=$(lines_of "$out/rejects" | wc -l)
    read=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["read"])' "$out/stats.json")
    if [ "$((kept + rej))" -ne "$read" ]; then
        echo "# files: kept $kept + rejected $rej != read $read"
        return 1
    fi
    if ls -a "$out/docs" "$out/rejects" | grep -q '\.tmp$'; then
        echo "# temporary shard left behind"
        return 1
    fi
    return 0
}

run() {  # run OUTDIR ARGS... : thresh run, remembers the exit status
    local out=$1; shift
    "$bin" run "$@" -o "$out" 2>"$out.err"
    rc=$?
}

# --- version and help ------------------------------------------------------
check "version prints" sh -c "'$bin' --version | grep -q '^thresh [0-9]'"
help_ok=1
for c in run cat extract normalize clean langid fasttext filter dedup score \
         tokenize; do
    if "$bin" $c --help >/dev/null 2>&1; then :; else
        "$bin" --help | grep -q "^  $c " && { echo "# $c --help failed"; help_ok=0; }
    fi
done
check "every subcommand has --help" test $help_ok -eq 1
"$bin" nosuchcommand >/dev/null 2>&1
check "unknown command is a usage error" test $? -eq 1
"$bin" run "$src/examples/sample.warc.gz" >/dev/null 2>&1
check "missing -o is a usage error" test $? -eq 1
"$bin" run -s nosuchstage "$src/examples/sample.warc.gz" -o "$work/bad" >/dev/null 2>&1
check "unknown stage is a usage error" test $? -eq 1

"$bin" run -q --set langid.treshold=0.5 "$src/examples/sample.warc.gz" -o "$work/typo" 2>"$work/typo.err"
check "misspelled stage option is a usage error" sh -c "test $? -eq 1 && grep -q 'langid.treshold' '$work/typo.err'"
"$bin" run -q --set nosuchstage.x=1 "$src/examples/sample.warc.gz" -o "$work/typo2" 2>/dev/null
check "option of no stage is a usage error" test $? -eq 1

# --- --classifier adds the classify stage ----------------------------------
model=${THRESH_SHARED_DATA:-$src/../shared/data}/fasttext-models/cooking.model.bin
if [ -f "$model" ]; then
    run "$work/cls" --classifier "$model" --label __label__baking \
        --min-score 1.1 "$src/examples/sample.warc.gz"
    check "--classifier: the stage runs and drops below --min-score" python3 -c '
import json,sys
s={x["name"]: x for x in json.load(open(sys.argv[1]))["stages"]}
sys.exit(0 if s["classify"]["dropped"] == s["classify"]["docs_in"] > 0 else 1)' \
        "$work/cls/stats.json"
fi

# --- golden: pass-through of a JSONL fixture -------------------------------
g=$src/tests/cli/passthrough
run "$work/golden" -s none --compression none "$g/input.jsonl"
check "passthrough exit 0" test "$rc" -eq 0
check "passthrough output matches expected.jsonl" \
    cmp -s <(lines_of "$work/golden/docs" | sed "s#$g/##") "$g/expected.jsonl"
check "passthrough accounting" accounting "$work/golden"

# --- the bundled sample, pass-through ---------------------------------------
run "$work/sample" -s none "$src/examples/sample.warc.gz"
check "sample pass-through exit 0" test "$rc" -eq 0
check "sample: 6 html pages kept" test "$(lines_of "$work/sample/docs" | wc -l)" -eq 6
check "sample: skipped records counted by reason" python3 -c '
import json,sys
s=json.load(open(sys.argv[1]))["skipped_records"]
sys.exit(0 if s["not_response"]==10 and s["http_status"]==2 and s["content_type"]==1 else 1)' \
    "$work/sample/stats.json"
check "sample accounting" accounting "$work/sample"

# --- stats.json says which Punkt parameters the filters used ---------------
pk_in=$work/pk-in.jsonl
printf '%s\n' '{"id": "a", "text": "Dr. Smith came home. He sat down."}' \
    > "$pk_in"
run "$work/pk" -s filters --set filters.punkt=builtin "$pk_in"
check "filters.punkt=builtin recorded in stats.json" python3 -c '
import json,sys
st=[x for x in json.load(open(sys.argv[1]))["stages"] if x["name"]=="filters"]
sys.exit(0 if st and st[0]["info"]=="preset fineweb-v1; punkt builtin" else 1)' \
    "$work/pk/stats.json"
THRESH_PUNKT_DIR=/nonexistent run "$work/pkwarn" -s filters "$pk_in"
check "falling back to the built-in Punkt set warns" \
    grep -q "NLTK's Punkt parameters not found" "$work/pkwarn.err"
THRESH_PUNKT_DIR=/nonexistent run "$work/pkquiet" -s filters \
    --set filters.punkt=builtin "$pk_in"
check "no warning when filters.punkt=builtin is chosen" \
    sh -c "test $rc -eq 0 && ! grep -q 'Punkt parameters not found' \
           '$work/pkquiet.err'"
run "$work/pkbad" -s filters --set filters.punkt=/nonexistent.json \
    "$pk_in"
check "a missing filters.punkt file fails the run (exit 2)" test "$rc" -eq 2

# --- the URL filter without a Public Suffix List warns ---------------------
printf 'example.co.uk\n' > "$work/psl-domains"
printf '%s\n' '{"id": "u", "text": "x", "url": "https://a.example.co.uk/"}' \
    > "$work/psl-in.jsonl"
THRESH_PSL_PATH=/nonexistent run "$work/pslwarn" -s filters \
    --set filters.url.domains="$work/psl-domains" "$work/psl-in.jsonl"
check "no Public Suffix List: the URL filter warns" \
    grep -q "no Public Suffix List found" "$work/pslwarn.err"
run "$work/pslquiet" -s filters \
    --set filters.url.domains="$work/psl-domains" "$work/psl-in.jsonl"
check "with the Public Suffix List: no warning" \
    sh -c "test $rc -eq 0 && ! grep -q 'Public Suffix' '$work/pslquiet.err'"
check "with the Public Suffix List: example.co.uk is a registered domain" \
    sh -c "zstdcat '$work/pslquiet/rejects/'* | \
           grep -q '\"filter_reason\":\"domain\"'"

# --- determinism: 1, 2 and 8 threads, small batches, default stages ----------
inputs=("$src/examples")
for j in 1 2 8; do
    run "$work/det$j" -j $j --batch 2 "${inputs[@]}"
    check "default pipeline -j$j exit 0 or 3" test "$rc" -eq 0 -o "$rc" -eq 3
    check "default pipeline -j$j accounting" accounting "$work/det$j"
done
same=1
for j in 2 8; do
    for d in docs rejects; do
        cmp -s <(lines_of "$work/det1/$d") <(lines_of "$work/det$j/$d") || same=0
        # the compressed shards themselves are identical too
        for f in "$work/det1/$d"/*; do
            [ -e "$f" ] || continue
            cmp -s "$f" "$work/det$j/$d/$(basename "$f")" || same=0
        done
    done
done
check "output byte-identical for -j1, -j2, -j8" test $same -eq 1
check "stats.json: langid and filters say what they were built from" \
    python3 -c '
import json,sys
info={x["name"]: x.get("info") for x in json.load(open(sys.argv[1]))["stages"]}
ok=(info["langid"] or "").startswith("model ") and \
   info["langid"].endswith("; preset datatrove") and \
   (info["filters"] or "").startswith("preset fineweb-v1; punkt ") and \
   info.get("pii") is None
sys.exit(0 if ok else 1)' "$work/det1/stats.json"

# --- byte-capped batches: same documents, same bytes for any -j --------------
for j in 1 2; do
    run "$work/bb$j" -j $j --batch-bytes 3k "${inputs[@]}"
    check "--batch-bytes 3k -j$j accounting" accounting "$work/bb$j"
done
same=1
for d in docs rejects; do
    for f in "$work/bb1/$d"/*; do
        [ -e "$f" ] || continue
        cmp -s "$f" "$work/bb2/$d/$(basename "$f")" || same=0
    done
    cmp -s <(lines_of "$work/bb1/$d") <(lines_of "$work/det1/$d") || same=0
done
check "--batch-bytes: byte-identical for -j1/-j2, same lines as --batch 2" \
    test $same -eq 1
frames() { zstd -lv "$1"/docs/*.zst 2>/dev/null |
           awk '/^# Zstandard Frames:/ { n += $4 } END { print n + 0 }'; }
run "$work/bbdef" -j 1 "${inputs[@]}"
check "--batch-bytes 3k closes batches early (more zstd frames)" test \
    "$(frames "$work/bb1")" -gt "$(frames "$work/bbdef")"
run "$work/bbbad" --batch-bytes 0 "$src/examples/sample.warc.gz"
check "--batch-bytes 0 is a usage error (exit 1)" test "$rc" -eq 1

# --- many inputs, one document per batch: readers far ahead of the writer ---
# (the ahead cap and the deadlock guard of the batch pool; a hang here is a
# failure by the test timeout)
mkdir -p "$work/many"
for i in $(seq -w 1 24); do
    cp "$src/examples/sample.warc.gz" "$work/many/s$i.warc.gz"
done
for j in 1 2 3; do
    run "$work/many$j" -j $j --batch 1 "$work/many"
    check "24 inputs, --batch 1, -j$j accounting" accounting "$work/many$j"
done
same=1
for j in 2 3; do
    for d in docs rejects; do
        cmp -s <(lines_of "$work/many1/$d") <(lines_of "$work/many$j/$d") ||
            same=0
    done
done
check "24 inputs: -j1, -j2, -j3 write the same lines" test $same -eq 1

# --- shards: small shard size gives several complete shards -----------------
run "$work/shards" -s none --batch 1 --shard-size 2k "$src/examples/sample.warc.gz"
check "small shards: several files" test "$(ls "$work/shards/docs" | wc -l)" -ge 3
check "small shards accounting" accounting "$work/shards"
check "small shards concatenate to the single-shard output" \
    cmp -s <(lines_of "$work/shards/docs") <(lines_of "$work/sample/docs")

# --- stdin and gzip output --------------------------------------------------
"$bin" run -q -s none --compression gzip - -o "$work/stdin" \
    < "$g/input.jsonl" 2>/dev/null
check "stdin input exit 0" test $? -eq 0
check "stdin gzip output has the documents" \
    test "$(lines_of "$work/stdin/docs" | wc -l)" -eq "$(grep -c . "$g/input.jsonl")"
check "stdin accounting" accounting "$work/stdin"

# --- damaged inputs in a directory ------------------------------------------
bad=$work/badinputs
mkdir -p "$bad"
cp "$src/examples/sample.warc.gz" "$bad/a-good.warc.gz"
head -c 3000 "$src/examples/sample.warc.gz" > "$bad/b-truncated.warc.gz"
: > "$bad/c-empty.jsonl"
printf '{"id":"1","text":"fine"}\n{"id":"2","text":"broken\n{"id":"3","text":"bad \xff"}\n' \
    > "$bad/d-mixed.jsonl"
head -c 2000 /dev/urandom > "$bad/e-garbage.warc"
printf 'WARC/1.1\r\nWARC-Type: conversion\r\n\r\n' >> "$bad/e-garbage.warc"
ln -s /nonexistent/file "$bad/f-unreadable.jsonl"
run "$work/bad" -s none "$bad"
check "damaged inputs: exit status 3" test "$rc" -eq 3
check "damaged inputs: messages name file and offset" \
    grep -q "b-truncated.warc.gz: offset [0-9]" "$work/bad.err"
check "damaged inputs: unreadable file named" grep -q "f-unreadable.jsonl" "$work/bad.err"
check "damaged inputs: bad JSON line kept in rejects" \
    sh -c "zstd -dc -q '$work/bad/rejects/'*.zst | grep -q '\"filter_reason\":\"bad_json\"'"
check "damaged inputs: good file fully read" \
    test "$(lines_of "$work/bad/docs" | grep -c a-good)" -eq 6
check "damaged inputs accounting" accounting "$work/bad"

# --- thresh cat reads what run wrote ----------------------------------------
check "cat reads output shards" \
    sh -c "'$bin' cat '$work/sample/docs/'* | grep -c . | grep -qx 6"

echo "1..$n"
[ "$failed" -eq 0 ]
