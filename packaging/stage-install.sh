#!/usr/bin/env bash
# Lays out the install tree of docs/install.md under DESTDIR, from
# the binaries in BIN_DIR (default: $AZCM_BIN_DIR, else build/bin). The packages and the
# unit verification test (tests/packaging/verify_units.sh) both start from this tree.
#
#   bash packaging/stage-install.sh DESTDIR [BIN_DIR]
#
# It installs only what exists: a daemon that is not built yet (gcservice, extservice, arcproxy)
# gets its unit but no binary. It creates no users, directory owners or state directories; that
# needs root and belongs to the package scripts.
set -euo pipefail

usage() {
    echo "usage: $0 DESTDIR [BIN_DIR]" >&2
    exit 2
}
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
    usage
fi
destdir=$1
[ -n "$destdir" ] || usage
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin_dir=${2:-${AZCM_BIN_DIR:-$here/../build/bin}}
[ -d "$bin_dir" ] || {
    echo "$0: binary directory $bin_dir does not exist" >&2
    exit 1
}

# binary in BIN_DIR -> installed path (docs/install.md)
binaries=(
    "azcmagent:/opt/azcmagent/bin/azcmagent"
    "himds:/opt/azcmagent/bin/himds"
    "arcproxy:/opt/azcmagent/bin/arcproxy"
    "gcservice:/opt/GC_Service/GC/gcservice"
    "extservice:/opt/GC_Ext/GC/extservice"
)
required=(azcmagent himds)

for entry in "${binaries[@]}"; do
    name=${entry%%:*}
    target=${entry#*:}
    if [ -x "$bin_dir/$name" ]; then
        install -D -m 0755 "$bin_dir/$name" "$destdir$target"
        echo "staged $target"
    elif [[ " ${required[*]} " == *" $name "* ]]; then
        echo "$0: $bin_dir/$name is missing; build it first" >&2
        exit 1
    else
        echo "not built yet, no binary staged: $target"
    fi
done

# Units where the package puts them (/usr/lib/systemd/system, as the real agent's).
for unit in "$here"/systemd/*.service "$here"/systemd/*.timer; do
    install -D -m 0644 "$unit" "$destdir/usr/lib/systemd/system/$(basename "$unit")"
done

# The manager drop-in. The real agent's documentation names
# /lib/systemd/system.conf.d/azcmagent.conf; every current distribution has a merged /usr, where
# that is the same file as this one, and systemd 252 (Debian 12) only searches
# /usr/lib/systemd/system.conf.d, not a separate /lib.
install -D -m 0644 "$here/systemd/system.conf.d/azcmagent.conf" \
    "$destdir/usr/lib/systemd/system.conf.d/azcmagent.conf"

install -D -m 0644 "$here/profile.d/azcmagent.sh" "$destdir/etc/profile.d/azcmagent.sh"
