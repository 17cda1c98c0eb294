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
echo "1..11"
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
# a manifest with one value changed is refused
cp -r wa wm
sed -i 's/^ngram 5$/ngram 4/' wm/manifest
msg=$("$bin" dedup clusters -q --dir wm 2>&1)
rc=$?
echo "# $msg"
[ $rc -ne 0 ] && echo "$msg" | grep -q "wm/manifest.*damaged"
ok $? "damaged manifest is detected and named"
# URL rules and repeated lines on a tiny hand-made input
cat > url.jsonl <<'JSONL'
{"id":"a","text":"short one about apples","url":"http://x.example/p","metadata":{"date":"2020-01-01","rank":1}}
{"id":"b","text":"a much longer text about bananas and other yellow fruit","url":"https://www.x.example/p/","metadata":{"date":"2023-05-01","rank":0}}
{"id":"c","text":"medium text about cherries from the market","url":"http://x.example/p#top","metadata":{"date":"2021-01-01","rank":5}}
{"id":"d","text":"Menu Home About\nunique text number one about dogs\nCopyright footer","url":"http://y.example/1"}
{"id":"e","text":"Menu Home About\nunique text number two about cats\nCopyright footer","url":"http://y.example/2"}
{"id":"f","text":"Menu Home About\nunique text number three about fish\nCopyright footer","url":"http://y.example/3"}
JSONL
ids() { python3 -c 'import sys, json
print(" ".join(json.loads(l)["id"] for l in sys.stdin))'; }
got=""
for rule in first newest longest; do
    "$bin" dedup all -q --dir u-$rule --out uo-$rule --url-rule $rule url.jsonl
    got="$got $rule:$(cat uo-$rule/*.jsonl | ids | cut -c1)"
done
"$bin" dedup all -q --dir u-prio --out uo-prio --priority rank url.jsonl
got="$got rank:$(cat uo-prio/*.jsonl | ids | cut -c1)"
echo "# kept per rule:$got"
[ "$got" = " first:a newest:b longest:b rank:c" ]
ok $? "url rules keep the first, newest, longest, highest priority"
"$bin" dedup all -q --dir ul --out ulo --lines 2 url.jsonl
texts=$(cat ulo/*.jsonl | python3 -c 'import sys, json
print("|".join(json.loads(l)["text"] for l in sys.stdin))')
echo "# $texts"
echo "$texts" | grep -q "unique text number two about cats" &&
    ! echo "$texts" | grep -q "Menu Home About" &&
    ! echo "$texts" | grep -q "Copyright footer"
ok $? "lines in more than 2 documents are removed from all of them"
# near-duplicate clusters keep the highest --priority
python3 - <<'PY'
import json
base = ("The committee met on {} to discuss the new budget for the city "
        "library, which has been underfunded for several years. Members "
        "agreed that the reading rooms need new lighting, that the "
        "children's section should open on Sundays, and that the archive of "
        "local newspapers must be digitized before the paper copies decay "
        "any further. A vote on the final plan is expected next month.")
with open("prio.jsonl", "w") as f:
    for i, (day, q) in enumerate([("Tuesday", 1), ("Monday", 9),
                                  ("Friday", 4)]):
        f.write(json.dumps({"id": f"p{i + 1}", "text": base.format(day),
                            "metadata": {"q": q}}) + "\n")
    f.write(json.dumps({"id": "p4", "text": "about trains"}) + "\n")
PY
"$bin" dedup all -q --dir pf --out pfo prio.jsonl
"$bin" dedup all -q --dir pq --out pqo --priority q prio.jsonl
got="$(cat pfo/*.jsonl | ids) / $(cat pqo/*.jsonl | ids)"
echo "# kept: $got"
[ "$got" = "p1 p4 / p2 p4" ] &&
    grep -q '"dedup_cluster_size":3' pqo/*.jsonl
ok $? "clusters keep the first, or the highest priority, with their size"
exit $((fails > 0))
