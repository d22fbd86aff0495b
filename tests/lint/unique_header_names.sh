#!/usr/bin/env bash
# No two headers of src/ share a file name: an include names one file wherever it is read.
#
#   unique_header_names.sh SOURCE_DIR
set -euo pipefail
cd "${1:?usage: unique_header_names.sh SOURCE_DIR}"
duplicates="$(find src -name '*.hpp' -printf '%f\n' | sort | uniq -d)"
if [ -n "$duplicates" ]; then
  while read -r name; do
    echo "header name used more than once: $name" >&2
    find src -name "$name" | sed 's/^/    /' >&2
  done <<<"$duplicates"
  exit 1
fi
echo "every header name of src/ is unique"
