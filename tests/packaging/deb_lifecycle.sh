#!/usr/bin/env bash
# Installs, upgrades, removes and purges the built azcmagent .deb on THIS machine (root only; CI
# runs it on a disposable machine, ctest label integration-root, RUN_SERIAL):
#   1. dpkg -i: files, links, owners and modes (docs/install.md), accounts,
#      `azcmagent version` from the installed path, and a clean install although PID 1 is not
#      systemd; the daemons run as their units say, each in its own socket and log directory,
#      and no root-written name is in a directory another account can write;
#   2. dpkg -i of the same payload with a higher version: a localconfig.json change, agentconfig
#      and an identity file survive, directory modes are restored, and the shared log/ and
#      socks/ of older packages are taken back by root with the daemons' logs moved;
#   3. an upgrade whose preinst fails: dpkg keeps the old version installed and working;
#   4. dpkg -r keeps the data and the accounts; dpkg -P removes the data.
# It refuses to run where an agent is installed or configured, moves agent-less leftovers aside,
# and on every exit (trap) purges, puts the leftovers back and deletes the accounts it caused to
# be created.
#
#   bash tests/packaging/deb_lifecycle.sh BUILD_DIR
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
die() {
    echo "FAIL: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (dpkg -i)"
deb=$(find "$build/packages" -maxdepth 1 -name 'azcmagent_*.deb' | sort | tail -n 1)
[ -n "$deb" ] || die "no azcmagent_*.deb in $build/packages (cmake --build $build --target packaging)"
if dpkg-query -W -f='${Status}' azcmagent 2>/dev/null | grep -q installed; then
    die "an azcmagent package is installed on this machine; not touching it"
fi
[ ! -e /var/opt/azcmagent/agentconfig.json ] ||
    die "/var/opt/azcmagent/agentconfig.json exists: an agent is configured here; not touching it"

created_accounts=()
daemon_pids=()
# Accounts an administrator made before (himds with members, as one grants token access) must
# come out of install, upgrade and purge exactly as they were; only the ones the package creates
# are held to the package's own rules.
declare -A account_before=()
for account in himds arcproxy; do
    if entry=$(getent passwd "$account"); then
        account_before[$account]=$entry
    else
        created_accounts+=("$account")
    fi
done
himds_group_before=$(getent group himds || true)
daemons_group_existed=no
! getent group azcmdaemons >/dev/null || daemons_group_existed=yes
proxy_group_existed=no
! getent group azcmproxy >/dev/null || proxy_group_existed=yes
waagent_existed=no
[ ! -e /var/lib/waagent ] || waagent_existed=yes
work=$(mktemp -d)
# Leftovers of a sandbox-less run (an azcmagent.log) are moved aside and put back at the end, so
# the package starts from a machine without agent data and the machine ends as it was found.
saved=()
for data in /var/opt/azcmagent /var/lib/GuestConfig; do
    if [ -e "$data" ]; then
        mkdir -p "$work/saved$(dirname "$data")"
        mv "$data" "$work/saved$data"
        saved+=("$data")
    fi
done
cleanup() {
    [ "${#daemon_pids[@]}" -eq 0 ] || kill -KILL "${daemon_pids[@]}" 2>/dev/null || true
    dpkg -P azcmagent >/dev/null 2>&1 || true
    rm -rf /var/opt/azcmagent /var/lib/GuestConfig
    for data in "${saved[@]}"; do
        mv "$work/saved$data" "$data"
    done
    [ "$waagent_existed" = yes ] || rm -rf /var/lib/waagent
    for account in "${created_accounts[@]}"; do
        userdel "$account" >/dev/null 2>&1 || true
        groupdel "$account" >/dev/null 2>&1 || true
    done
    [ "$daemons_group_existed" = yes ] || groupdel azcmdaemons >/dev/null 2>&1 || true
    [ "$proxy_group_existed" = yes ] || groupdel azcmproxy >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

version=$(dpkg-deb -f "$deb" Version)
echo "== package $(basename "$deb") version $version, $(stat -c %s "$deb") bytes"

# Files of this package, and the daemons it packages.
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\.||' >"$work/payload"
files=("${expected_files[@]}")
for entry in "${optional_binaries[@]}"; do
    if grep -qxF "${entry%%:*}" "$work/payload"; then
        files+=("${entry%%:*}" "${entry#*:}")
    fi
done

check_mode() { # path owner group mode
    local seen
    seen=$(stat -c '%U %G %a' "$1" 2>/dev/null) || {
        fail "$1 is missing"
        return
    }
    [ "$seen" = "$2 $3 $4" ] || fail "$1 is '$seen', expected '$2 $3 $4'"
}

check_installed_layout() {
    for file in "${files[@]}"; do
        case $file in
        */bin/* | */GC/*) check_mode "$file" root root 755 ;;
        *) check_mode "$file" root root 644 ;;
        esac
    done
    for entry in "${optional_binaries[@]}"; do
        [ -e "${entry%%:*}" ] || [ ! -e "${entry#*:}" ] || fail "${entry#*:} without ${entry%%:*}"
    done
    for entry in "${expected_directories[@]}"; do
        # shellcheck disable=SC2086 # "path owner group mode"
        check_mode $entry
    done
    for entry in "${expected_links[@]}"; do
        read -r link target <<<"$entry"
        if [ ! -L "$link" ] || [ "$(readlink "$link")" != "$target" ]; then
            fail "$link is not a link to $target: $(ls -ld "$link" 2>&1)"
        fi
    done
}

# The invariant the layout exists for: every directory under /var/opt/azcmagent in which root
# writes (its own files) is writable by root alone.
check_root_names_are_in_root_directories() {
    local file dir
    while read -r file; do
        dir=$(dirname "$file")
        [ "$(stat -c '%U %a' "$dir")" = "root 755" ] ||
            fail "root's $file is in $dir ($(stat -c '%U:%G %a' "$dir")), which another account can write"
    done < <(find /var/opt/azcmagent -user root ! -type d ! -type l)
}

check_accounts() {
    local account entry
    getent group himds >/dev/null || fail "group himds is missing"
    # No group shares a writable directory with root; nobody joins group himds.
    if [ "$daemons_group_existed" = no ] && getent group azcmdaemons >/dev/null; then
        fail "the package created group azcmdaemons, which older packages needed for shared log/ and socks/"
    fi
    # Exactly the two unprivileged daemons may read the proxy credentials.
    local proxy_members
    proxy_members=$(getent group azcmproxy | cut -d: -f4 | tr , '\n' | sort | paste -sd,)
    if [ "$proxy_group_existed" = no ]; then
        [ "$proxy_members" = arcproxy,himds ] ||
            fail "group azcmproxy is '$(getent group azcmproxy)', expected members arcproxy,himds"
    else
        case ",$proxy_members," in
        *,arcproxy,*himds,* | *,himds,*arcproxy,*) ;;
        *) fail "group azcmproxy is '$(getent group azcmproxy)': arcproxy and himds must be members" ;;
        esac
    fi
    if [ -z "$himds_group_before" ]; then
        [ -z "$(getent group himds | cut -d: -f4)" ] ||
            fail "group himds has members: $(getent group himds)"
    else
        [ "$(getent group himds)" = "$himds_group_before" ] ||
            fail "group himds changed from '$himds_group_before' to '$(getent group himds)'"
    fi
    for account in himds arcproxy; do
        entry=$(getent passwd "$account") || {
            fail "user $account is missing"
            continue
        }
        if [ -n "${account_before[$account]:-}" ]; then
            [ "$entry" = "${account_before[$account]}" ] ||
                fail "the package changed $account from '${account_before[$account]}' to '$entry'"
            continue
        fi
        IFS=: read -r _ _ uid gid _ home shell <<<"$entry"
        [ "$uid" -lt 1000 ] || fail "$account uid $uid is not a system uid"
        [ "$(getent group "$gid" | cut -d: -f1)" = "$account" ] ||
            fail "$account's primary group is not $account"
        [ "$home" = / ] || fail "$account has home $home"
        case $shell in
        */nologin | /bin/false) ;;
        *) fail "$account has login shell $shell" ;;
        esac
    done
}

echo "== 1. dpkg -i (PID 1: $(ps -o comm= -p 1))"
dpkg -i "$deb" >"$work/install.out" 2>&1 || {
    cat "$work/install.out"
    die "dpkg -i failed"
}
cat "$work/install.out"
[ -d /run/systemd/system ] || grep -q "systemd is not running" "$work/install.out" ||
    fail "postinst did not say why no service was started"
[ "$(dpkg-query -W -f='${Status}' azcmagent)" = "install ok installed" ] ||
    fail "dpkg status is $(dpkg-query -W -f='${Status}' azcmagent)"
check_installed_layout
check_accounts
[ "$(/opt/azcmagent/bin/azcmagent version)" = "azcmagent version $version" ] ||
    fail "installed azcmagent version says '$(/opt/azcmagent/bin/azcmagent version)', package is $version"
[ "$(/opt/azcmagent/bin/azcmagent version --json | tr -d ' \n')" = "{\"version\":\"$version\"}" ] ||
    fail "azcmagent version --json: $(/opt/azcmagent/bin/azcmagent version --json)"

echo "== 1b. the installed daemons start as their units run them"
# PID 1 is not systemd here (and CI machines may have none), so each daemon is started the way
# its installed unit says: ExecStart, User, Group (with the user's supplementary groups, as
# systemd does), UMask, NoNewPrivileges and no capabilities, with a NOTIFY_SOCKET to see
# Type=notify's READY=1. What this catches: a directory the unprivileged daemons cannot use (each
# has its own in socks/ and log/), a unit naming a missing binary, a daemon that never reports
# ready.
unit_value() { # unit key -> the last value of key= in the installed unit
    sed -n "s/^$2=//p" "/usr/lib/systemd/system/$1.service" | tail -n 1
}
notify_dir=$(mktemp -d)
chmod 0755 "$notify_dir"
listener_pids=()
start_like_unit() { # unit
    local unit=$1 exec user group umask_value runas=()
    exec=$(unit_value "$unit" ExecStart)
    user=$(unit_value "$unit" User)
    group=$(unit_value "$unit" Group)
    umask_value=$(unit_value "$unit" UMask)
    [ -x "$exec" ] || {
        fail "$unit: ExecStart $exec is not an executable"
        return
    }
    if [ -n "$user" ] && [ "$user" != root ]; then
        runas=(setpriv "--reuid=$user" "--regid=${group:-$user}" --init-groups
            --inh-caps=-all --bounding-set=-all --no-new-privs)
    fi
    # The READY=1 listener binds before the daemon starts.
    python3 - "$notify_dir/$unit.notify" >"$work/$unit.ready" 2>&1 <<'PY' &
import os, socket, sys
path = sys.argv[1]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind(path)
os.chmod(path, 0o666)
listener.settimeout(30)
while True:
    message = listener.recv(4096).decode()
    if "READY=1" in message.split("\n"):
        print(message.replace("\n", " "))
        break
PY
    listener_pids+=($!)
    for _ in $(seq 100); do [ -S "$notify_dir/$unit.notify" ] && break; sleep 0.1; done
    (
        umask "${umask_value:-0022}"
        exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="$notify_dir/$unit.notify" \
            "${runas[@]}" "$exec"
    ) >"$work/$unit.out" 2>&1 &
    daemon_pids+=($!)
}
units=(himdsd)
for entry in "${optional_binaries[@]}"; do
    [ -e "${entry%%:*}" ] && units+=("$(basename "${entry#*:}" .service)")
done
for unit in "${units[@]}"; do
    start_like_unit "$unit"
done
for index in "${!units[@]}"; do
    unit=${units[$index]}
    if wait "${listener_pids[$index]}"; then
        echo "$unit: $(cat "$work/$unit.ready")"
    else
        fail "$unit sent no READY=1 within 30 s: $(cat "$work/$unit.ready" "$work/$unit.out" 2>/dev/null | tail -n 5)"
    fi
done
# Each control socket belongs to its daemon's user, lies in a directory only that user can write,
# and answers GET /status.
declare -A socket_of=([himdsd]=himds/himds.sock [arcproxyd]=arcproxy/arcproxy.sock
    [extd]=extservice.sock [gcad]=gcservice.sock)
for unit in "${units[@]}"; do
    socket=/var/opt/azcmagent/socks/${socket_of[$unit]}
    [ "$(stat -c %U "$(dirname "$socket")")" = "$(unit_value "$unit" User | sed 's/^$/root/')" ] ||
        fail "$socket is in $(dirname "$socket"), owned by $(stat -c %U "$(dirname "$socket")")"
    owner=$(unit_value "$unit" User)
    [ "$(stat -c %U "$socket" 2>/dev/null)" = "${owner:-root}" ] ||
        fail "$socket is owned by '$(stat -c %U "$socket" 2>/dev/null)', expected ${owner:-root}"
    curl -sf --max-time 5 --unix-socket "$socket" http://localhost/status >/dev/null ||
        fail "GET /status on $socket failed"
    # docs/architecture.md: himds' status is for everyone; the others' for root and group himds.
    for caller in "--clear-groups:403" "--groups=himds:200"; do
        expected=${caller#*:}
        [ "$unit" != himdsd ] || expected=200
        code=$(setpriv --reuid=nobody --regid=nogroup "${caller%%:*}" curl -s -o /dev/null \
            -w '%{http_code}' --max-time 5 --unix-socket "$socket" http://localhost/status)
        [ "$code" = "$expected" ] ||
            fail "GET /status on $socket as nobody ${caller%%:*}: $code, expected $expected"
    done
done
# The documented socket name (a link made by root) reaches himds.
curl -sf --max-time 5 --unix-socket /var/opt/azcmagent/socks/himds.sock http://localhost/status \
    >/dev/null || fail "GET /status through the link socks/himds.sock failed"
# himds writes its log in its own directory; the documented name leads there.
check_mode /var/opt/azcmagent/log/himds/himds.log himds himds 600
[ "$(readlink /var/opt/azcmagent/log/himds.log)" = himds/himds.log ] ||
    fail "log/himds.log is not the link to himds/himds.log: $(ls -l /var/opt/azcmagent/log/himds.log 2>&1)"
[ "$(stat -L -c '%U %G %a' /var/opt/azcmagent/log/himds.log)" = "himds himds 600" ] ||
    fail "log/himds.log does not lead to himds's own log"
# An ordinary user sees every service running (himds.sock accepts any local user).
services=$(setpriv --reuid=nobody --regid=nogroup --clear-groups /opt/azcmagent/bin/azcmagent show --json |
    jq -c '[.services[] | {(.serviceName): .status}] | add')
echo "azcmagent show (as nobody): $services"
for unit in "${units[@]}"; do
    [ "$(jq -r --arg unit "$unit" '.[$unit]' <<<"$services")" = running ] ||
        fail "azcmagent show does not see $unit running: $services"
done
# Root's CLI logs into log/ itself, which only root can write.
/opt/azcmagent/bin/azcmagent config get extensions.enabled >/dev/null ||
    fail "azcmagent config get failed as root"
check_mode /var/opt/azcmagent/log/azcmagent.log root root 644
# A non-root user's `show` and `config get` work without writing root's log.
setpriv --reuid=nobody --regid=nogroup --clear-groups /opt/azcmagent/bin/azcmagent config get \
    extensions.enabled >/dev/null 2>"$work/nobody.err" ||
    fail "azcmagent config get as nobody failed: $(cat "$work/nobody.err")"
[ ! -s "$work/nobody.err" ] || fail "azcmagent config get as nobody complained: $(cat "$work/nobody.err")"
check_root_names_are_in_root_directories
kill -TERM "${daemon_pids[@]}" 2>/dev/null || true
for index in "${!units[@]}"; do
    wait "${daemon_pids[$index]}" || fail "${units[$index]} exited with $? on SIGTERM: $(tail -n 5 "$work/${units[$index]}.out")"
done
daemon_pids=()
rm -rf "$notify_dir"

echo "== 2. upgrade to a higher version"
# The state an administrator and himds leave behind.
printf '{"extensions.enabled":false,"proxy.url":"http://proxy.local:3128"}\n' \
    >/var/opt/azcmagent/localconfig.json
printf '{"resourceName":"web01","tenantId":"t"}\n' >/var/opt/azcmagent/agentconfig.json
printf 'machine key\n' >/var/opt/azcmagent/certs/machine.prv
chown himds:himds /var/opt/azcmagent/certs/machine.prv
chmod 0600 /var/opt/azcmagent/certs/machine.prv
printf 'extension state\n' >/var/lib/GuestConfig/ext_mgr_state/state.json
chmod 0777 /var/opt/azcmagent/tokens # a wrong mode the upgrade must repair
# The layout of older packages: log/ and socks/ shared (1775, a daemons' group) with himds's log,
# a rotated one and its socket lock straight in them.
rm -f /var/opt/azcmagent/log/himds.log
rm -rf /var/opt/azcmagent/log/himds
printf 'old himds line\n' >/var/opt/azcmagent/log/himds.log
printf 'older himds line\n' >/var/opt/azcmagent/log/himds.1.log
touch /var/opt/azcmagent/socks/himds.sock.lock
chown himds:himds /var/opt/azcmagent/log/himds.log /var/opt/azcmagent/log/himds.1.log \
    /var/opt/azcmagent/socks/himds.sock.lock
chgrp himds /var/opt/azcmagent/log /var/opt/azcmagent/socks
chmod 1775 /var/opt/azcmagent/log /var/opt/azcmagent/socks
(cd /var/opt/azcmagent && sha256sum localconfig.json agentconfig.json certs/machine.prv) >"$work/state.sha"

# The same payload under a higher version: what an upgrade from the repository looks like to dpkg.
IFS=. read -r major minor build_number revision <<<"$version"
version2="$major.$minor.$build_number.$((revision + 1))"
dpkg-deb -R "$deb" "$work/v2"
sed -i "s/^Version: .*/Version: $version2/" "$work/v2/DEBIAN/control"
dpkg-deb --root-owner-group -b "$work/v2" "$work/azcmagent_v2.deb" >/dev/null
dpkg -i "$work/azcmagent_v2.deb" >"$work/upgrade.out" 2>&1 || {
    cat "$work/upgrade.out"
    die "upgrade failed"
}
[ "$(dpkg-query -W -f='${Version}' azcmagent)" = "$version2" ] || fail "upgrade did not install $version2"
(cd /var/opt/azcmagent && sha256sum -c --quiet "$work/state.sha") ||
    fail "localconfig.json, agentconfig.json or the identity file changed in the upgrade"
check_mode /var/opt/azcmagent/certs/machine.prv himds himds 600
[ "$(cat /var/lib/GuestConfig/ext_mgr_state/state.json)" = "extension state" ] ||
    fail "extension state lost in the upgrade"
check_installed_layout
[ "$(cat /var/opt/azcmagent/log/himds.log 2>/dev/null)" = "old himds line" ] ||
    fail "himds's log of the older layout was not moved behind log/himds.log"
[ "$(cat /var/opt/azcmagent/log/himds/himds.1.log 2>/dev/null)" = "older himds line" ] ||
    fail "himds's rotated log of the older layout was not moved into log/himds/"
if [ -e /var/opt/azcmagent/log/himds.1.log ] || [ -e /var/opt/azcmagent/socks/himds.sock.lock ]; then
    fail "files of the older layout are left in log/ or socks/"
fi
/opt/azcmagent/bin/azcmagent version >/dev/null || fail "azcmagent does not run after the upgrade"

echo "== 3. an upgrade that fails in its preinst leaves the installed version"
cp -a "$work/v2" "$work/v3"
sed -i "s/^Version: .*/Version: $major.$minor.$build_number.$((revision + 2))/" \
    "$work/v3/DEBIAN/control"
printf '#!/bin/sh\necho "simulated failure" >&2\nexit 1\n' >"$work/v3/DEBIAN/preinst"
chmod 0755 "$work/v3/DEBIAN/preinst"
dpkg-deb --root-owner-group -b "$work/v3" "$work/azcmagent_v3.deb" >/dev/null
if dpkg -i "$work/azcmagent_v3.deb" >"$work/failed.out" 2>&1; then
    fail "the failing upgrade succeeded"
fi
[ "$(dpkg-query -W -f='${Version} ${Status}' azcmagent)" = "$version2 install ok installed" ] ||
    fail "after a failed upgrade: $(dpkg-query -W -f='${Version} ${Status}' azcmagent)"
/opt/azcmagent/bin/azcmagent version >/dev/null || fail "azcmagent does not run after a failed upgrade"
(cd /var/opt/azcmagent && sha256sum -c --quiet "$work/state.sha") || fail "state changed in a failed upgrade"

echo "== 4. dpkg -r keeps the data, dpkg -P removes it"
dpkg -r azcmagent >"$work/remove.out" 2>&1 || {
    cat "$work/remove.out"
    die "dpkg -r failed"
}
for file in "${files[@]}"; do
    [ "$file" = /etc/profile.d/azcmagent.sh ] && continue # a conffile: kept until purge
    [ ! -e "$file" ] || fail "$file is still there after dpkg -r"
done
(cd /var/opt/azcmagent && sha256sum -c --quiet "$work/state.sha") || fail "dpkg -r changed the data"
[ -d /var/lib/GuestConfig ] || fail "dpkg -r removed /var/lib/GuestConfig"
getent passwd himds >/dev/null || fail "dpkg -r removed user himds"
dpkg -P azcmagent >"$work/purge.out" 2>&1 || {
    cat "$work/purge.out"
    die "dpkg -P failed"
}
for gone in /var/opt/azcmagent /var/lib/GuestConfig /opt/azcmagent /opt/GC_Ext /opt/GC_Service \
    /etc/profile.d/azcmagent.sh; do
    [ ! -e "$gone" ] || fail "$gone is still there after dpkg -P"
done
if [ "$waagent_existed" = no ] && [ -e /var/lib/waagent ]; then
    fail "/var/lib/waagent (empty, created by the package) is still there after dpkg -P"
fi
dpkg-query -W azcmagent >/dev/null 2>&1 && fail "dpkg still knows azcmagent after purge"

echo
if [ "$failures" -ne 0 ]; then
    echo "deb_lifecycle: $failures failure(s)" >&2
    exit 1
fi
echo "deb_lifecycle: all checks passed"
