#!/bin/sh
# The PII stage's public-IP rule against Python's ipaddress.is_global
# (tools/pii_oracle.py). Usage: tools/pii_oracle.sh BUILD_DIR SHARED_DATA
# [WORK_DIR] (SHARED_DATA unused: the addresses are generated).
set -eu
build=$1 work=${3:-$(mktemp -d)}
here=$(dirname "$0")
py=/usr/bin/python3
mkdir -p "$work"
$py "$here/pii_oracle.py" make "$work/docs.jsonl"
"$build/cli/thresh" filter -q --annotate --pii "$work/docs.jsonl" \
    > "$work/annotated.jsonl"
$py "$here/pii_oracle.py" compare "$work/docs.jsonl" "$work/annotated.jsonl"
