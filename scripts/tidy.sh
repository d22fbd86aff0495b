#!/usr/bin/env bash
# clang-tidy with the repository's .clang-tidy on the sources of src/ (compile commands from the
# tidy preset, configured here; nothing is built):
#   scripts/tidy.sh --changed BASE   the sources a change touches since BASE (committed or not); a
#                                    changed header brings in the source of the same name (CI)
#   scripts/tidy.sh --recent HOURS MAX
#                                    the sources changed by the commits of the HOURS before HEAD's
#                                    (a changed header brings in its source), the most recently
#                                    changed first, at most MAX of them; says which it left to --all
#                                    (CI: the whole tree takes longer than CI's budget)
#   scripts/tidy.sh --all            every source of src/ (scripts/test.sh --extended)
# Prints every finding once, then the counts by check and by directory; exits 1 when there is any.
# TIDY_JOBS (default: the number of cores) files are checked at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/tidy.sh --changed BASE | --recent HOURS MAX | --all" >&2
  exit 2
}
build=build-tidy
jobs="${TIDY_JOBS:-$(nproc)}"

# Sources of our own code only: asio_impl.cpp holds nothing but Asio's and Beast's implementation.
# src/common/platform/windows/ and src/setup/ (the Windows installer's helper) are compiled by
# the windows preset only (mingw-w64, warnings as errors there): the tidy preset's compile
# commands are Linux's.
all_sources() {
  git ls-files 'src/*.cpp' | grep -v -e '^src/common/asio_impl\.cpp$' \
    -e '^src/common/platform/windows/' -e '^src/setup/' || true
}

case "${1:-}" in
  --all)
    [ $# -eq 1 ] || usage
    mapfile -t files < <(all_sources)
    ;;
  --changed | --recent)
    if [ "$1" = --changed ]; then
      [ $# -eq 2 ] || usage
      base="$2"
      mapfile -t changed < <({ git diff --name-only --diff-filter=d "$base"...HEAD
        git diff --name-only --diff-filter=d HEAD; } | sort -u)
    else
      [ $# -eq 3 ] || usage
      hours="$2"
      limit="$3"
      newest="$(git log -1 --format=%ct HEAD)"
      # Files in the order their last change was committed, newest first, each once.
      mapfile -t changed < <(git log --since="@$((newest - hours * 3600))" --format= \
        --name-only --diff-filter=d HEAD | sed '/^$/d' | awk '!seen[$0]++' |
        while read -r path; do [ -f "$path" ] && echo "$path"; done)
    fi
    mapfile -t sources < <(all_sources)
    files=()
    for path in "${changed[@]}"; do
      case "$path" in
        src/common/platform/windows/* | src/setup/*) ;;
        src/*.cpp) files+=("$path") ;;
        src/*.hpp)
          # The header is checked through its own source (HeaderFilterRegex covers src/).
          stem="${path%.hpp}.cpp"
          for source in "${sources[@]}"; do
            [ "$source" = "$stem" ] && files+=("$source")
          done
          ;;
      esac
    done
    if [ "$1" = --changed ]; then
      mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -v '^src/common/asio_impl\.cpp$' |
        sort -u | sed '/^$/d')
    else
      mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -v '^src/common/asio_impl\.cpp$' |
        sed '/^$/d' | awk '!seen[$0]++')
      if [ "${#files[@]}" -gt "$limit" ]; then
        echo "tidy: ${#files[@]} sources changed in the last $hours h; checking the $limit" \
          "changed most recently, the other $((${#files[@]} - limit)) are left to --all:"
        printf '    %s\n' "${files[@]:$limit}"
        files=("${files[@]:0:$limit}")
      fi
    fi
    ;;
  *) usage ;;
esac

if [ "${#files[@]}" -eq 0 ]; then
  echo "tidy: no source of src/ to check"
  exit 0
fi
cmake --preset tidy >/dev/null

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
started=$SECONDS
printf '%s\n' "${files[@]}" |
  xargs -P "$jobs" -I{} sh -c 'clang-tidy-14 -p "$1" --quiet "$2" >"$3/$(echo "$2" | tr / _).log" 2>&1 || true' \
    _ "$build" {} "$out"

# One line per finding: file:line:col: check message; a header seen from several sources once.
root="$(pwd)/"
# (grep finds nothing in a clean tree: that is success, not an error.)
cat "$out"/*.log |
  { grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): .* \[[^]]+\]$' || true; } |
  sed "s|^$root||" | sort -u >"$out/findings"
count=$(wc -l <"$out/findings")
cat "$out/findings"
echo "== tidy: ${#files[@]} sources, $count findings, $((SECONDS - started)) s"
if [ "$count" -gt 0 ]; then
  echo "== by check"
  sed -E 's/.*\[([^]]+)\]$/\1/' "$out/findings" | tr ',' '\n' | sort | uniq -c | sort -rn
  echo "== by directory"
  cut -d: -f1 "$out/findings" | xargs -n1 dirname | sort | uniq -c | sort -rn
  exit 1
fi
