#!/usr/bin/env bash
# The wine prefix of the Windows tests (WINEPREFIX): `start` makes it and keeps a wineserver
# running for it (each wine start then takes well under a second instead of several), `remove`
# stops that wineserver and deletes the prefix.
set -euo pipefail
: "${WINEPREFIX:?WINEPREFIX must name the prefix}"
export WINEDEBUG=-all
case "${1:-}" in
  start)
    rm -rf "$WINEPREFIX"
    mkdir -p "$WINEPREFIX"
    # The wineserver lives on after this script (-p), its output away from ctest's pipes.
    wineserver -p </dev/null >/dev/null 2>&1
    wineboot --init </dev/null >/dev/null 2>&1
    echo "wine prefix $WINEPREFIX ready"
    ;;
  remove)
    wineserver -k 2>/dev/null || true
    rm -rf "$WINEPREFIX"
    echo "wine prefix $WINEPREFIX removed"
    ;;
  *)
    echo "usage: wine_prefix.sh start|remove" >&2
    exit 2
    ;;
esac
