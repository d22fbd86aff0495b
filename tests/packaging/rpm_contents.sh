#!/usr/bin/env bash
# Checks the built azcmagent .rpm without installing it (this is a Debian machine):
#   - rpm -qlp lists the same files as the .deb (and the expected layout, nothing of arcproxy);
#   - the version is the agent's four-part version, as in the .deb;
#   - rpm -qp --scripts creates the same accounts and directories as the deb scripts (the same
#     sysusers.d and tmpfiles.d files, with the same groupadd/useradd/install -d fallbacks),
#     starts services only where systemd runs, and stops them only on erase.
#
#   bash tests/packaging/rpm_contents.sh BUILD_DIR
set -euo pipefail

[ "$#" -eq 1 ] || {
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
}
build=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=expected_layout.sh
. "$here/expected_layout.sh"
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

rpm_file=$(find "$build/packages" -maxdepth 1 -name 'azcmagent-*.rpm' | sort | tail -n 1)
deb=$(find "$build/packages" -maxdepth 1 -name 'azcmagent_*.deb' | sort | tail -n 1)
[ -n "$rpm_file" ] && [ -n "$deb" ] || {
    echo "FAIL: build both packages first (cmake --build $build --target packaging)" >&2
    exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== $(basename "$rpm_file"): $(stat -c %s "$rpm_file") bytes"

# Regular files only: directory entries differ by design (rpm does not claim /opt or /usr/lib).
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm_file" 2>/dev/null |
    awk '$1 !~ /^d/ {print $2}' | sort >"$work/rpm.files"
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\.||' | sort >"$work/deb.files"
if ! diff -u "$work/deb.files" "$work/rpm.files"; then
    fail "rpm and deb file lists differ (above: - deb, + rpm)"
fi
rpm -qlp "$rpm_file" 2>/dev/null | sort >"$work/rpm.list"
for file in "${expected_files[@]}"; do
    grep -qxF "$file" "$work/rpm.list" || fail "rpm -qlp does not list $file"
done
for entry in "${optional_binaries[@]}"; do
    binary=${entry%%:*}
    unit=${entry#*:}
    if grep -qxF "$binary" "$work/rpm.list"; then
        grep -qxF "$unit" "$work/rpm.list" || fail "$binary without $unit"
        grep -q "^azcm_units=.*$(basename "$unit")" <(rpm -qp --scripts "$rpm_file" 2>/dev/null) ||
            fail "the scripts do not start $(basename "$unit")"
    else
        grep -qxF "$unit" "$work/rpm.list" && fail "$unit is packaged without $binary"
        grep -q "^azcm_units=.*$(basename "$unit")" <(rpm -qp --scripts "$rpm_file" 2>/dev/null) &&
            fail "the scripts start $(basename "$unit") whose binary is not packaged"
    fi
done
for owned in /opt /usr/lib/systemd/system /etc/profile.d; do
    grep -qxF "$owned" "$work/rpm.list" && fail "rpm claims $owned, which the distribution owns"
done
rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm_file" \
    2>/dev/null >"$work/rpm.modes"
while read -r perms owner path; do
    [ "$owner" = root:root ] || fail "$path is owned by $owner in the rpm"
    case $path in
    /opt/*/bin/* | /opt/*/GC/*) [ "$perms" = -rwxr-xr-x ] || fail "$path has mode $perms" ;;
    /opt/*) ;;
    *) [ "${perms:0:1}" = d ] || [ "$perms" = -rw-r--r-- ] || fail "$path has mode $perms" ;;
    esac
done <"$work/rpm.modes"
rpm -qp --configfiles "$rpm_file" 2>/dev/null | grep -qxF /etc/profile.d/azcmagent.sh ||
    fail "/etc/profile.d/azcmagent.sh is not a config file in the rpm"

deb_version=$(dpkg-deb -f "$deb" Version)
rpm_version=$(rpm -qp --qf '%{VERSION}' "$rpm_file" 2>/dev/null)
[ "$rpm_version" = "$deb_version" ] || fail "rpm version $rpm_version, deb version $deb_version"
[[ $rpm_version =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "version $rpm_version is not four-part"

# The scripts, split per scriptlet.
rpm -qp --scripts "$rpm_file" 2>/dev/null >"$work/scripts"
scriptlet() { # the body of one scriptlet, e.g. "postinstall"
    awk -v want="$1" '/^[a-z]+ scriptlet/ {inside = ($1 == want); next} inside' "$work/scripts"
}
scriptlet postinstall >"$work/post"
scriptlet preuninstall >"$work/preun"
scriptlet postuninstall >"$work/postun"
for name in post preun postun; do
    [ -s "$work/$name" ] || fail "no %$name scriptlet"
    sh -n "$work/$name" || fail "%$name is not valid sh"
done
expect_in() { # file pattern what
    grep -qE -- "$2" "$work/$1" || fail "%$1 does not $3"
}
expect_in post 'systemd-sysusers "\$azcm_sysusers_conf"' "run systemd-sysusers"
expect_in post '^azcm_sysusers_conf=/usr/lib/sysusers.d/azcmagent.conf$' "use the packaged sysusers.d file"
expect_in post 'systemd-tmpfiles --create "\$azcm_tmpfiles_conf"' "run systemd-tmpfiles"
expect_in post '^azcm_tmpfiles_conf=/usr/lib/tmpfiles.d/azcmagent.conf$' "use the packaged tmpfiles.d file"
expect_in post 'for account in himds arcproxy' "fall back to groupadd/useradd for himds and arcproxy"
expect_in post 'useradd --system --gid "\$account" --no-create-home' "create system users without a home"
expect_in post 'groupadd --system azcmproxy' "fall back to groupadd for group azcmproxy"
expect_in post 'usermod -a -G azcmproxy "\$account"' "fall back to usermod for that group"
expect_in post 'install -d -m "\$mode" -o "\$user" -g "\$group"' "fall back to install -d"
expect_in post 'ln -s "\$target" "\$path"' "fall back to ln -s for the links"
expect_in post 'mv -T -f "\$old"' "move the logs of older packages without following links"
expect_in post '\[ -d /run/systemd/system \]' "check that systemd runs"
expect_in post '^azcm_units="himdsd.service' "start himdsd"
expect_in post 'azcm_start_services upgrade' "restart the services on upgrade"
expect_in preun 'if \[ "\$1" -eq 0 \]; then' "stop the services on erase only"

# The same account and directory creation as the deb: the shared function bodies are identical.
dpkg-deb -e "$deb" "$work/debian"
extract_functions() { sed -n '/^azcm_units=/,/^}$/p;/^azcm_[a-z_]*() {$/,/^}$/p' "$1" | sort -u; }
if ! diff <(extract_functions "$work/debian/postinst") <(extract_functions "$work/post") >/dev/null; then
    fail "the rpm %post and the deb postinst create accounts and directories differently"
fi
# Every non-ELF file of the rpm has the content of the deb's (rpm's own SHA-256 digests; no cpio
# needed). The binaries are left out: rpmbuild's brp scripts rewrite ELF files after CPack.
dpkg-deb -x "$deb" "$work/debroot"
while read -r digest path; do
    case $path in /opt/*) continue ;; esac
    [ "$(sha256sum <"$work/debroot$path" | cut -d' ' -f1)" = "$digest" ] ||
        fail "$path differs between rpm and deb"
done < <(rpm -qp --qf '[%{FILEDIGESTS} %{FILENAMES}\n]' "$rpm_file" 2>/dev/null |
    awk 'length($1) == 64')
for entry in "${expected_directories[@]}"; do
    read -r path owner group mode <<<"$entry"
    grep -qE "^d $path +0?$mode +$owner +$group " "$work/debroot/usr/lib/tmpfiles.d/azcmagent.conf" ||
        fail "tmpfiles.d does not create $path $owner:$group $mode"
done
for entry in "${expected_links[@]}"; do
    read -r path target <<<"$entry"
    grep -qE "^L\+? $path +- +- +- +- +$target$" "$work/debroot/usr/lib/tmpfiles.d/azcmagent.conf" ||
        fail "tmpfiles.d does not link $path to $target"
done
for account in himds arcproxy; do
    grep -qE "^u $account " "$work/debroot/usr/lib/sysusers.d/azcmagent.conf" ||
        fail "sysusers.d does not create user $account"
    grep -qE "^m $account +azcmproxy$" "$work/debroot/usr/lib/sysusers.d/azcmagent.conf" ||
        fail "sysusers.d does not put $account in group azcmproxy"
done
# No group shares a writable directory with root any more (older packages had azcmdaemons).
! grep -qE "^[gm] .*azcmdaemons" "$work/debroot/usr/lib/sysusers.d/azcmagent.conf" ||
    fail "sysusers.d still creates group azcmdaemons"
echo
if [ "$failures" -ne 0 ]; then
    echo "rpm_contents: $failures failure(s)" >&2
    exit 1
fi
echo "rpm_contents: all checks passed"
