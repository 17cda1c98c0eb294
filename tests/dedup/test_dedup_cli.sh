#!/usr/bin/env bash
# CLI test of `thresh dedup`: a benchmark made by tools/dedup_gen.py from
# ../shared/data, deduplicated in one go and as split tasks (files must be
# byte-identical), scored against the generator's truth, then intermediate
# files damaged on purpose (each must be refused, by name). TAP output.
set -u
bin=${THRESH_BIN:?}
src=${THRESH_SOURCE_ROOT:?}
data=${THRESH_SHARED_DATA:?}
work=$(mktemp -d /tmp/thresh-dedup-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else
       echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
echo "1..7"
python3 "$src/tools/dedup_gen.py" --source "$data/parity/docs.jsonl.gz" \
    --bases 300 bench.jsonl pairs.tsv
ok $? "generator builds a benchmark"
split -n l/3 -d --additional-suffix=.jsonl bench.jsonl part
in=(part00.jsonl part01.jsonl part02.jsonl)
"$bin" dedup all -q --dir wa --out oa --rejects ra --lines 20 "${in[@]}"
ok $? "dedup all runs"
rc=0
for i in 0 1; do "$bin" dedup signatures -q --dir wb --shard $i/2 \
    --lines 20 "${in[@]}" || rc=1; done
for i in 0 1 2; do "$bin" dedup buckets -q --dir wb --shard $i/3 \
    --memory 1M || rc=1; done
"$bin" dedup clusters -q --dir wb --memory 1M || rc=1
for i in 0 1; do "$bin" dedup filter -q --dir wb --out ob --rejects rb \
    --shard $i/2 "${in[@]}" || rc=1; done
ok $rc "split tasks run"
rc=0
for f in wa/* oa/* ra/*; do
    g=${f/a\//b/}
    cmp -s "$f" "$g" || { echo "# $f differs from $g"; rc=1; }
done
ok $rc "split tasks give byte-identical files"
score=$(python3 "$src/tools/dedup_eval.py" bench.jsonl pairs.tsv ra/*.jsonl)
echo "$score" | sed 's/^/# /'
echo "$score" | awk '/precision/ { exit !($2 >= 0.98 && $4 >= 0.95) }'
ok $? "precision >= 0.98 and recall >= 0.95 at 0.8"
# a truncated and a corrupted intermediate file are refused by name
cp -r wa wt
truncate -s -40 wt/pairs-003.thd
msg=$("$bin" dedup clusters -q --dir wt 2>&1)
rc=$?
echo "# $msg"
[ $rc -ne 0 ] && echo "$msg" | grep -q "pairs-003.thd.*truncated"
ok $? "truncated file is detected and named"
cp wa/sig-00001.thd wt/sig-00001.thd
printf '\x55' | dd of=wt/sig-00001.thd bs=1 seek=5000 conv=notrunc 2>/dev/null
msg=$("$bin" dedup buckets -q --dir wt 2>&1)
rc=$?
echo "# $msg"
[ $rc -ne 0 ] && echo "$msg" | grep -q "sig-00001.thd.*corrupt block"
ok $? "corrupted file is detected and named"
exit $((fails > 0))
