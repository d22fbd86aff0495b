#!/usr/bin/env bash
# Comments, help text and docs speak of the code and docs/ only: they state a fact or cite a file
# of this repository, never a document outside it (a design note, a spec section, a goal number,
# an issue number). Prints file:line for every such citation and fails when there is one.
# Usage: no_outside_citations.sh [SOURCE_DIR]
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"

patterns=(
    -e '\b[Ii]ssues? #?[0-9]'                        # issue numbers
    -e '(^|[^[:alnum:]&])#[0-9]{1,4}\b'                # "#13"
    -e '\b[Ss]pec(ification)? (section )?[0-9]'        # "spec 1.7", "spec section 2"
    -e '\b[Ss]pec sections?\b'
    -e '\([Ss]pec:'                                   # "(spec: check --cloud)"
    -e "\\bthe spec's\\b"
    -e 'azcmagent-spec'
    -e 'peers\.md'
    -e 'ARCHITECTURE'                                  # the outside design note; docs/architecture.md is ours
    -e 'TOOLCHAIN-NOTES'
    -e 'style-anchors'
    -e 'perf-reliability'
    -e '\bG[0-9]{1,2}\b'                               # goal numbers
    -e 'G-numbers?'
    -e '(^|[^[:alnum:]_.])[A-H]\.[0-9]{1,2}([^[:alnum:].]|$)'  # outside section letters: "C.7"
    -e '(\.\./|\b)shared/docs\b'
    -e '\.\./shared\b'
)

paths=()
for p in src tests scripts packaging cmake docs README.md CMakeLists.txt; do
    [[ -e $p ]] && paths+=("$p")
done

if hits=$(grep -rnIE "${patterns[@]}" --exclude=no_outside_citations.sh --exclude-dir=node_modules "${paths[@]}"); then
    echo "Citations of documents outside the repository (state the fact, or cite docs/):" >&2
    echo "$hits" >&2
    exit 1
fi
echo "no outside citations"
