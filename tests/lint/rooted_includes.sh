#!/usr/bin/env bash
# Every quoted include of a header of src/ names it from src/ ("common/http/http_server.hpp"),
# so an include says where the file is; the build puts only src/ on the include path. Headers
# generated at build time are the one exception, and are listed here.
#
#   rooted_includes.sh SOURCE_DIR
set -euo pipefail
cd "${1:?usage: rooted_includes.sh SOURCE_DIR}"
generated='gc_baseline_document\.hpp'
declare -A src_header_names
while IFS= read -r header; do
  src_header_names["$header"]=1
done < <(find src -name '*.hpp' -printf '%f\n')
offenders="$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' src tests \
  --include='*.cpp' --include='*.hpp' --include='*.in' |
  while IFS= read -r hit; do
    file="${hit%%:*}"
    [[ "$hit" =~ include[[:space:]]*\"([^\"]+)\" ]] || continue
    name="${BASH_REMATCH[1]}"
    if [ -f "src/$name" ] || [[ "$name" =~ ^(${generated})$ ]]; then
      continue
    fi
    # A test's own helper next to it or in its include path is not a header of src/.
    if [[ "$file" == tests/* ]] && [ -z "${src_header_names["${name##*/}"]:-}" ]; then
      continue
    fi
    echo "$hit"
  done)"
if [ -n "$offenders" ]; then
  echo "includes of src/ headers not rooted at src/:" >&2
  sed 's/^/    /' <<<"$offenders" >&2
  exit 1
fi
echo "every include of a src/ header is rooted at src/"
