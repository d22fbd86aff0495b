#!/usr/bin/env bash
# The built azcmagent .deb under a real systemd: a Debian 12 root (debootstrap, cached in the
# build tree) booted with systemd-nspawn, systemd 252 as its PID 1, driven from outside with
# nsenter. arc-emulator runs on this host, in the container's network namespace (its loopback),
# as the control plane. Checks, in order:
#   1. apt-get install ./azcmagent_*.deb: the units enabled and active (running), each with
#      READY=1 (Type=notify) and the daemon's DAEMON_READY line in the journal of this start, and
#      azcmagent-autoupgrade.timer enabled and active (wherever the units are checked);
#      the accounts, directories, modes and links of docs/install.md; the reserved ports
#      40342-40343 merged with the administrator's own (sysctl.d file and kernel value); a
#      service systemd starts has IDENTITY_ENDPOINT and IMDS_ENDPOINT (the manager drop-in);
#      `systemctl daemon-reload` restarts nothing;
#   2. azcmagent connect against the emulator; a login shell (su -l) of a member of group himds
#      gets a managed identity token with curl through the profile.d variables and the
#      documented challenge, a user outside the group does not;
#   3. systemd-analyze security of each unit, printed, and no score above
#      packaging/security-exposure.txt (a ratchet);
#   4. kill -9 of each daemon's main process: restarted after RestartSec, Connected again;
#   5. a reboot of the container (nspawn exits 133; booted again): the units start at boot, the
#      reserved ports are applied by systemd-sysctl, Connected again;
#   6. systemctl stop of each unit exits 0 within its stop timeout and the daemon exits cleanly;
#   7. upgrades through the control plane's feed (arc-emulator agent publish of repacked
#      versions V2 to V4; azcmagent upgrade runs dpkg --install): V1 -> V2 installs as a whole
#      (dpkg, azcmagent version and himds's status say V2), restarts the daemons, keeps the
#      identity and the connection, and ARM shows lastAttemptStatus Success; a broken V3 (himds
#      exits 1) fails its health check, is rolled back to V2 (exit 1, "rolled back to V2", ARM
#      shows Failed naming himds); ARM's PATCH of agentUpgrade.desiredVersion V4 is carried out
#      by azcmagent-autoupgrade.timer (here every 10 s, not every minute). BENCH lines: the upgrade's seconds, the failed upgrade's
#      and its rollback's (UPGRADE_ROLLBACK to UPGRADE_ROLLED_BACK), PATCH to V4 running. With
#      AZCM_UPGRADE_KILL_RUNS=N (default 0; scripts/test.sh --extended), N upgrades killed with
#      SIGKILL at a random moment (azcmagent alone, or with dpkg and the maintainer scripts), then
#      azcmagent upgrade again: the machine ends on one whole version. Then apt-get upgrade to a
#      newer version while the daemons run keeps the identity and the connection; apt-get
#      remove keeps the data, a reinstall over it is Connected with the same identity; apt-get
#      purge leaves only the accounts;
#   8. an install over accounts an administrator made (himds with a home and a member of its
#      group) with /proc/sys read-only: the accounts are kept as they were, the install succeeds
#      and the reserved ports file is in place; purge again.
# The container, the emulator and everything they started are stopped on any exit (trap), and a
# run killed with SIGKILL is cleaned up by the next one. The container's root is an overlay on
# the cached root, so each run starts from a clean machine and leaves the cache unchanged.
# Takes about 2 minutes with the root cached;
# building the root adds 1 to 2 minutes (debootstrap from Debian's mirror, about 300 MB, once per
# build tree and again when this script is newer). Each kill run adds a few seconds, or about
# 2 minutes when the next azcmagent upgrade waits out its health check's deadline.
#
#   sudo bash tests/system/systemd_boot_test.sh BUILD_DIR      (ctest -L system)
#
# Needs root, debootstrap and systemd-container (systemd-nspawn) on the host; the packages in
# BUILD_DIR/packages (cmake --build BUILD_DIR --target packaging). AZCM_DEBIAN_MIRROR overrides
# the mirror debootstrap uses (default http://deb.debian.org/debian).
set -euo pipefail

die() {
  echo "FAIL: $*" >&2
  exit 1
}
[ "$#" -eq 1 ] || {
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
}
[ "$(id -u)" -eq 0 ] ||
  die "the system test needs root (debootstrap, systemd-nspawn):" \
    "sudo ctest --preset default -L system"
for tool in debootstrap systemd-nspawn nsenter unshare curl jq dpkg-deb dpkg-query flock; do
  command -v "$tool" >/dev/null ||
    die "'$tool' is not installed (apt-get install debootstrap systemd-container curl jq)"
done

build=$(cd "$1" && pwd)
script=$(readlink -f "${BASH_SOURCE[0]}")
# The container's root is an overlay on the cached one, mounted in a mount namespace of this run's
# own: the mount goes with the run's last process, however the run ends.
if [ "${AZCM_SYSTEM_TEST_MOUNTS:-}" != private ]; then
  exec unshare --mount --propagation private -- env AZCM_SYSTEM_TEST_MOUNTS=private \
    bash "$script" "$build"
fi
repo=$(cd "$(dirname "$script")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../packaging/expected_layout.sh
. "$repo/tests/packaging/expected_layout.sh"
ratchet=$repo/packaging/security-exposure.txt
emulator_bin=$build/bin/arc-emulator
[ -x "$emulator_bin" ] || die "no $emulator_bin (cmake --build $build --target arc-emulator)"
# The newest package: the one the packaging.build fixture has just made.
deb=$(find "$build/packages" -maxdepth 1 -name 'azcmagent_*.deb' -printf '%T@ %p\n' 2>/dev/null |
  sort -n | tail -n 1 | cut -d' ' -f2-)
[ -n "$deb" ] ||
  die "no azcmagent_*.deb in $build/packages (cmake --build $build --target packaging)"
version=$(dpkg-deb -f "$deb" Version)

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
started=$SECONDS
step() {
  echo "== [$((SECONDS - started)) s] $*"
}

cache=$build/system-test
mkdir -p "$cache"
# One run at a time per build tree: the run directory and the machine name are fixed. No child
# keeps the lock's descriptor (9>&- on everything started).
exec 9>"$cache/lock"
flock -w 60 9 || die "another system test runs in $build"
run=$cache/run
machine=$run/machine
work=$run/work
machine_name=azcm-system

nspawn_pid=""
leader=""
emulator_pid=""
# Every process this run starts outside the container (nspawn, the container's PID 1, the
# emulator) is recorded with its start time, so that whatever survives is killed at the end, or
# by the next run when this one was killed itself (SIGKILL runs no trap). Killing the container's
# PID 1 ends every process in it.
processes=$cache/processes
start_time() { # pid -> its start time in clock ticks since boot (field 22 of /proc/PID/stat)
  sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}
remember() {
  echo "$1 $(start_time "$1")" >>"$processes"
}
kill_remembered() {
  local pid started
  [ -f "$processes" ] || return 0
  while read -r pid started; do
    if [ -n "$started" ] && [ "$(start_time "$pid")" = "$started" ]; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done <"$processes"
  rm -f "$processes"
}
kill_remembered
cleanup() {
  local status=$?
  set +e
  [ -z "$emulator_pid" ] || kill -TERM "$emulator_pid" 2>/dev/null
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # SIGTERM makes nspawn halt the container.
    kill -TERM "$nspawn_pid"
    for _ in $(seq 1 100); do
      kill -0 "$nspawn_pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  kill_remembered
  [ -z "$nspawn_pid" ] || wait "$nspawn_pid" 2>/dev/null
  [ -z "$emulator_pid" ] || wait "$emulator_pid" 2>/dev/null
  if [ "$status" -ne 0 ] && [ -s "$work/console.log" ]; then
    echo "== the container's console (last 30 lines)"
    tail -n 30 "$work/console.log"
  fi
  umount "$machine" 2>/dev/null || umount -l "$machine" 2>/dev/null
  rm -rf "$run"
  exit "$status"
}
trap cleanup EXIT
# A command that fails outside a check ends the run (set -e): say which.
set -E
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited $?" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the Debian 12 root, once per build tree ---------------------------------------------------
# The package's run-time dependencies are in the root, so installing the .deb needs no mirror:
# each Depends entry is resolved to the package of this host that satisfies it (this host built
# the binaries), virtual names included.
installed_provider() { # name -> the installed package called or providing it
  dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
    awk -v want="$1" '$1 == "ii" && found == "" {
      if ($2 == want) found = $2
      for (i = 3; i <= NF; i++) { name = $i; sub(/,$/, "", name); if (name == want) found = $2 }
    } END { print found }'
}
include=systemd,systemd-sysv,dbus,curl,ca-certificates
while read -r dependency; do
  provider=$(installed_provider "$dependency")
  [ -n "$provider" ] || die "the package depends on $dependency, which this host does not have"
  include+=",$provider"
done < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g' |
  grep -v '^$')
root_cache=$cache/bookworm
stamp=$cache/bookworm.stamp
if [ ! -d "$root_cache" ] || [ ! -f "$stamp" ] || [ "$script" -nt "$stamp" ] ||
  [ "$(cat "$stamp")" != "$include" ]; then
  step "building the Debian 12 root in $root_cache (debootstrap --include=$include)"
  rm -rf "$root_cache" "$root_cache.new" "$stamp"
  if ! debootstrap --variant=minbase --include="$include" bookworm "$root_cache.new" \
    "${AZCM_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$cache/debootstrap.log" 2>&1; then
    tail -n 30 "$cache/debootstrap.log" >&2
    die "debootstrap failed (whole log: $cache/debootstrap.log)"
  fi
  echo "$machine_name" >"$root_cache.new/etc/hostname"
  rm -f "$root_cache.new"/var/cache/apt/archives/*.deb
  mv "$root_cache.new" "$root_cache"
  printf '%s' "$include" >"$stamp"
fi

# --- a fresh machine (the cached root under an overlay), the packages, the container -----------
rm -rf "$run"
mkdir -p "$run/upper" "$run/overlay-work" "$machine" "$work"
mount -t overlay azcm-system \
  -o "lowerdir=$root_cache,upperdir=$run/upper,workdir=$run/overlay-work" "$machine"
mkdir -p "$machine/root/packages" "$machine/etc/azcm-system-test"
cp "$deb" "$machine/root/packages/"
deb_inside=/root/packages/$(basename "$deb")
# The same payload under later releases' versions (a newer release differs in its BUILD field,
# docs/install.md): what dpkg sees of an upgrade. Every binary reports the version in
# /opt/azcmagent/VERSION, so a repack changes it with the control file.
IFS=. read -r major minor build_number revision <<<"$version"
later_version() { # n -> the version n builds after the built one
  echo "$major.$minor.$((10#$build_number + $1)).$revision"
}
dpkg-deb -R "$deb" "$work/payload"
repack() { # version output [broken]: the built payload as VERSION; broken: himds exits 1 at once
  local tree=$work/repack-$1
  cp -a "$work/payload" "$tree"
  sed -i "s/^Version: .*/Version: $1/" "$tree/DEBIAN/control"
  echo "$1" >"$tree/opt/azcmagent/VERSION"
  if [ "${3:-}" = broken ]; then
    printf '#!/bin/sh\nexit 1\n' >"$tree/opt/azcmagent/bin/himds"
  fi
  dpkg-deb --root-owner-group -Zgzip -z1 -b "$tree" "$2" >/dev/null
  rm -rf "$tree"
}
# Step 7's apt-get upgrade comes after the upgrades from the feed (V2 to V4), so it is newer still.
version2=$(later_version 4)
repack "$version2" "$machine/root/packages/azcmagent_v2.deb"
deb2_inside=/root/packages/azcmagent_v2.deb
# The daemons' units. azcmagent-autoupgrade.service is a oneshot its timer starts, never running
# for long: check_units_running checks the timer instead.
autoupgrade=azcmagent-autoupgrade
units=()
while read -r unit; do
  units+=("$(basename "$unit" .service)")
done < <(dpkg-deb -c "$deb" | awk '{print $6}' |
  grep -E '^\./usr/lib/systemd/system/[^/]+\.service$' | grep -v "/$autoupgrade\.service$")
[ "${#units[@]}" -gt 0 ] || die "no systemd unit in $deb"
dpkg-deb -c "$deb" | grep "/usr/lib/systemd/system/$autoupgrade\.timer$" >/dev/null ||
  die "no $autoupgrade.timer in $deb"

# inside COMMAND...: runs in the container (all its namespaces) with a clean environment.
inside() {
  nsenter -t "$leader" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    HOME=/root DEBIAN_FRONTEND=noninteractive "$@" 9>&-
}
# in_netns COMMAND...: a program of this host in the container's network namespace.
in_netns() {
  nsenter -t "$leader" -n -- "$@" 9>&-
}
# wait_for SECONDS COMMAND...: until the command succeeds; 1 when it never did.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# The container gets a network namespace of its own (loopback only): its himds and arcproxy bind
# 40342 and 40343 without meeting this host's, and /proc/sys/net is its own and writable.
boot() {
  systemd-nspawn --quiet --register=no --keep-unit --private-network --machine="$machine_name" \
    -D "$machine" --boot --console=pipe </dev/null >>"$work/console.log" 2>&1 9>&- &
  nspawn_pid=$!
  remember "$nspawn_pid"
  leader=""
  local child
  for _ in $(seq 1 100); do
    child=$(ps -o pid= --ppid "$nspawn_pid" | tr -d ' ' | sed -n 1p) || true
    if [ -n "$child" ] && [ "$(ps -o comm= -p "$child" || true)" = systemd ]; then
      leader=$child
      break
    fi
    sleep 0.1
  done
  [ -n "$leader" ] || die "the container's systemd did not start"
  remember "$leader"
}
wait_running() {
  local state
  # The manager's socket first: is-system-running --wait needs it to be there.
  wait_for 30 nsenter -t "$leader" -m test -S /run/systemd/private 9>&- ||
    die "the container's systemd did not open its socket"
  state=$(timeout 90 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1 9>&-) || true
  [ "$state" = running ] || {
    inside systemctl --failed --no-pager || true
    die "the container's systemd is '$state', not running"
  }
}

# The control plane, on the container's loopback; the same port and data after a reboot.
emulator_data=$work/emulator
emulator_listen=127.0.0.1:0
start_emulator() {
  # nsenter executes the emulator itself: $! is the emulator's PID. The lock stays with this script.
  nsenter -t "$leader" -n -- "$emulator_bin" --data-dir "$emulator_data" \
    --listen "$emulator_listen" >>"$work/emulator.log" 2>&1 9>&- &
  emulator_pid=$!
  remember "$emulator_pid"
  wait_for 10 test -s "$emulator_data/cloud.json" || {
    cat "$work/emulator.log" >&2
    die "arc-emulator did not start"
  }
}
stop_emulator() {
  kill -TERM "$emulator_pid"
  wait "$emulator_pid" || true
  emulator_pid=""
}

# --- checks ------------------------------------------------------------------------------------
unit_property() { # unit property
  inside systemctl show -p "$2" --value "$1.service"
}
unit_states() { # unit property,... -> "property=value ..." in systemd's order
  inside systemctl show -p "$2" "$1.service" | paste -sd' '
}
# Each unit enabled, active (running), its current start having reached READY=1 (a Type=notify
# unit is active only after READY=1) and logged its DAEMON_READY line.
check_units_running() {
  local unit state invocation
  for unit in "${units[@]}"; do
    [ "$(inside systemctl is-enabled "$unit.service" 2>&1)" = enabled ] ||
      fail "$1: $unit is not enabled: $(inside systemctl is-enabled "$unit.service" 2>&1)"
    if ! wait_for 20 check_active "$unit"; then
      fail "$1: $unit is $(unit_states "$unit" ActiveState,SubState,ExecMainStatus,Result)"
      inside journalctl -b -u "$unit.service" --no-pager -n 15 || true
      continue
    fi
    state=$(inside systemctl show -p Type,ActiveState,SubState,ExecMainStatus,MainPID,NRestarts \
      "$unit.service" | paste -sd' ')
    invocation=$(unit_property "$unit" InvocationID)
    if wait_for 10 journal_has "_SYSTEMD_INVOCATION_ID=$invocation" "DAEMON_READY"; then
      echo "$unit: $state, $(inside journalctl -b "_SYSTEMD_INVOCATION_ID=$invocation" -o cat |
        sed -n 's/.*\(DAEMON_READY.*\)/\1/p' | sed -n 1p)"
    else
      fail "$1: no DAEMON_READY in the journal of $unit's current start ($state)"
    fi
  done
  # The automatic upgrades' timer: enabled and waiting for its next run.
  [ "$(inside systemctl is-enabled "$autoupgrade.timer" 2>&1)" = enabled ] ||
    fail "$1: $autoupgrade.timer is not enabled:" \
      "$(inside systemctl is-enabled "$autoupgrade.timer" 2>&1)"
  state=$(inside systemctl show -p ActiveState,SubState --value "$autoupgrade.timer" | paste -sd' ')
  [ "$state" = "active waiting" ] || [ "$state" = "active running" ] ||
    fail "$1: $autoupgrade.timer is '$state', not active"
}
in_substate() { # unit substate
  [ "$(unit_property "$1" SubState)" = "$2" ]
}
check_active() {
  [ "$(inside systemctl show -p ActiveState,SubState --value "$1.service" | paste -sd' ')" = \
    "active running" ]
}
journal_has() { # match text
  inside journalctl -b "$1" -o cat | grep "$2" >/dev/null
}
main_pids() {
  local unit
  for unit in "${units[@]}"; do
    printf '%s=%s ' "$unit" "$(unit_property "$unit" MainPID)"
  done
}

agent_show() {
  inside /opt/azcmagent/bin/azcmagent show --json
}
connected() {
  [ "$(agent_show | jq -r .status)" = Connected ]
}
check_connected() {
  if wait_for 30 connected; then
    echo "$1: Connected ($(agent_show | jq -r '.resourceId'))"
  else
    fail "$1: not Connected: $(agent_show | jq -c '{status, agentErrorCode, agentErrorDetails}')"
  fi
}

check_mode() { # label path owner group mode
  local seen
  seen=$(inside stat -c '%U %G %a' "$2" 2>&1) || {
    fail "$1: $2 is missing"
    return
  }
  [ "$seen" = "$3 $4 $5" ] || fail "$1: $2 is '$seen', expected '$3 $4 $5'"
}
check_layout() {
  local entry link target
  for entry in "${expected_directories[@]}"; do
    # shellcheck disable=SC2086 # "path owner group mode"
    check_mode "$1" $entry
  done
  for entry in "${expected_links[@]}"; do
    read -r link target <<<"$entry"
    [ "$(inside readlink "$link")" = "$target" ] || fail "$1: $link is not a link to $target"
  done
}
# The accounts of a clean install (docs/install.md): system users with their own group, no login
# shell, home /, both in azcmproxy; nobody else in group himds.
check_accounts() {
  local account entry uid gid home shell
  for account in himds arcproxy; do
    entry=$(inside getent passwd "$account") || {
      fail "$1: user $account is missing"
      continue
    }
    IFS=: read -r _ _ uid gid _ home shell <<<"$entry"
    [ "$uid" -lt 1000 ] || fail "$1: $account has uid $uid, not a system uid"
    [ "$(inside getent group "$gid" | cut -d: -f1)" = "$account" ] ||
      fail "$1: the primary group of $account is not $account"
    [ "$home" = / ] || fail "$1: $account has home $home"
    case $shell in
      */nologin | /bin/false) ;;
      *) fail "$1: $account has login shell $shell" ;;
    esac
  done
  [ "$(inside getent group azcmproxy | cut -d: -f4 | tr , '\n' | sort | paste -sd,)" = \
    arcproxy,himds ] || fail "$1: group azcmproxy is '$(inside getent group azcmproxy)'"
}

# The reserved ports: the package's sysctl.d file holds 40342-40343 and what the administrator
# reserved; where /proc/sys/net is writable the kernel has both.
sysctl_file=/etc/sysctl.d/99-zz-azcmagent.conf
reserved_key=net.ipv4.ip_local_reserved_ports
check_reserved_ports() { # label kernel|file-only
  local value
  value=$(inside sed -n "s/^$reserved_key *= *//p" "$sysctl_file" 2>/dev/null || true)
  [ "$value" = "8080,40342-40343" ] ||
    fail "$1: $sysctl_file sets '$value', expected 8080,40342-40343 (the administrator's and ours)"
  [ "$2" = kernel ] || return 0
  value=$(inside cat /proc/sys/net/ipv4/ip_local_reserved_ports)
  [ "$value" = "8080,40342-40343" ] ||
    fail "$1: the kernel reserves '$value', expected 8080,40342-40343"
}

# --- 1. install ---------------------------------------------------------------------------------
step "booting the container (systemd-nspawn)"
boot
wait_running
echo "systemd $(inside systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')" \
  "is running in the container"
# An administrator's own reserved port, which the package must keep.
printf '%s = 8080\n' "$reserved_key" >"$machine/etc/sysctl.d/50-admin-ports.conf"
inside sh -c "echo 8080 >/proc/sys/net/ipv4/ip_local_reserved_ports"

step "1. apt-get install $(basename "$deb")"
inside apt-get install -y -q "$deb_inside" >"$work/install.out" 2>&1 || {
  cat "$work/install.out"
  die "apt-get install failed"
}
if grep -E '^azcmagent: .*(could not|failed)' "$work/install.out"; then
  fail "the package scripts warned during the install"
fi
check_units_running "after install"
check_layout "after install"
check_accounts "after install"
[ -z "$(inside getent group himds | cut -d: -f4)" ] ||
  fail "after install: group himds has members: $(inside getent group himds)"
check_reserved_ports "after install" kernel
# The manager's DefaultEnvironment drop-in reaches what systemd starts, from the install on (the
# scripts' daemon-reload reads it).
expected_env="IDENTITY_ENDPOINT=http://localhost:40342/metadata/identity/oauth2/token"
expected_env+=" IMDS_ENDPOINT=http://localhost:40342"
# shellcheck disable=SC2016 # expanded by the service's sh
service_env=$(inside systemd-run --quiet --pipe --wait sh -c \
  'echo "IDENTITY_ENDPOINT=${IDENTITY_ENDPOINT:-unset} IMDS_ENDPOINT=${IMDS_ENDPOINT:-unset}"')
[ "$service_env" = "$expected_env" ] ||
  fail "after install: a service started by systemd has '$service_env', expected '$expected_env'"
pids_before=$(main_pids)
inside systemctl daemon-reload
check_units_running "after daemon-reload"
[ "$(main_pids)" = "$pids_before" ] ||
  fail "daemon-reload restarted a daemon: $pids_before -> $(main_pids)"
failed_units=$(inside systemctl --failed --plain --no-legend)
[ -z "$failed_units" ] || fail "failed units after install: $failed_units"

# --- 2. connect, tokens from login shells -------------------------------------------------------
step "2. azcmagent connect against arc-emulator"
start_emulator
cloud=$emulator_data/cloud.json
emulator_listen=$(jq -r .endpoints.arm "$cloud" | sed 's|^https://||')
subscription=$(jq -r .subscriptionId "$cloud")
"$emulator_bin" sp create --data-dir "$emulator_data" --name system-test-onboarding \
  --role "Azure Connected Machine Onboarding" --scope "/subscriptions/$subscription" \
  >"$work/onboarding-sp.json"
owner_token=$(in_netns curl -sS --fail --cacert "$(jq -r .caCertPath "$cloud")" \
  --data-urlencode grant_type=client_credentials \
  --data-urlencode "client_id=$(jq -r .bootstrapOwner.appId "$cloud")" \
  --data-urlencode "client_secret=$(jq -r .bootstrapOwner.password "$cloud")" \
  --data-urlencode "scope=https://management.azure.com/.default" \
  "$(jq -r .endpoints.entra "$cloud")/$(jq -r .tenantId "$cloud")/oauth2/v2.0/token" |
  jq -r .access_token)
resource_group_url="$(jq -r .endpoints.arm "$cloud")/subscriptions/$subscription"
resource_group_url+="/resourcegroups/system-rg?api-version=2022-09-01"
in_netns curl -sS --fail --cacert "$(jq -r .caCertPath "$cloud")" -X PUT \
  -H "Authorization: Bearer $owner_token" -H "Content-Type: application/json" \
  -d '{"location":"westeurope"}' "$resource_group_url" >/dev/null
# The emulator's CA and signing root where the daemons (ProtectSystem=strict, ProtectHome) can
# read them, and the cloud config pointing there.
test_dir=/etc/azcm-system-test
cp "$emulator_data/ca.crt" "$emulator_data/package-signing-root.crt" "$machine$test_dir/"
jq --arg dir "$test_dir" '.caCertPath = $dir + "/ca.crt"
  | .packageSigningRootPath = $dir + "/package-signing-root.crt" | del(.bootstrapOwner)' \
  "$cloud" >"$machine$test_dir/cloud.json"
(
  umask 077
  jq '{"service-principal-id": .appId, "service-principal-secret": .password,
    "tenant-id": .tenant}' "$work/onboarding-sp.json" >"$machine/root/connect.json"
)
inside env MSFT_ARC_TEST=true /opt/azcmagent/bin/azcmagent connect --config /root/connect.json \
  --cloud-config "$test_dir/cloud.json" --subscription-id "$subscription" \
  --resource-group system-rg --location westeurope --resource-name "$machine_name" \
  >"$work/connect.out" 2>&1 || {
  cat "$work/connect.out"
  die "azcmagent connect failed"
}
rm -f "$machine/root/connect.json"
check_connected "after connect"
identity=$(agent_show | jq -c '{resourceId, vmId}')
identity_files=(/var/opt/azcmagent/agentconfig.json)
while read -r file; do
  identity_files+=("$file")
done < <(inside find /var/opt/azcmagent/certs -type f | sort)
identity_sums=$(inside sha256sum "${identity_files[@]}")

step "2. managed identity tokens from login shells"
# As docs/imds.md shows: the challenge's key file, then its content as the Basic secret (given
# to curl on its standard input, never on a command line).
cat >"$machine$test_dir/get-token.sh" <<'SH'
#!/bin/sh
echo "IDENTITY_ENDPOINT=${IDENTITY_ENDPOINT:-unset} IMDS_ENDPOINT=${IMDS_ENDPOINT:-unset}"
url="$IDENTITY_ENDPOINT?api-version=2019-11-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"
key_file=$(curl -sS -o /dev/null -D - -H Metadata:true "$url" | tr -d '\r' |
  sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: Basic realm=//p')
[ -n "$key_file" ] || { echo "no challenge"; exit 1; }
secret=$(cat "$key_file") || { echo "cannot read the key file $key_file"; exit 1; }
printf 'Authorization: Basic %s\n' "$secret" | curl -sS -H Metadata:true -H @- "$url" |
  grep -o '"access_token" *: *"[^"]\{20\}' || { echo "no token"; exit 1; }
SH
chmod 0755 "$machine$test_dir/get-token.sh"
inside useradd --create-home --shell /bin/bash --groups himds alice
inside useradd --create-home --shell /bin/bash bob
check_tokens() { # label
  local out
  if out=$(inside su -l alice -c "$test_dir/get-token.sh" 2>&1); then
    echo "$1: alice (group himds) got a token: $(tail -n 1 <<<"$out")..."
  else
    fail "$1: alice (group himds) got no token: $out"
  fi
  [ "$(head -n 1 <<<"$out")" = "$expected_env" ] ||
    fail "$1: alice's login shell has '$(head -n 1 <<<"$out")', expected '$expected_env'"
  if out=$(inside su -l bob -c "$test_dir/get-token.sh" 2>&1); then
    fail "$1: bob (not in group himds) got a token: $out"
  else
    grep -q "Permission denied" <<<"$out" ||
      fail "$1: bob got no token, but not because the key file is his to read: $out"
    echo "$1: bob (not in group himds) got no token: $(grep -m1 'Permission denied' <<<"$out")"
  fi
}
check_tokens "login shells"

# --- 3. exposure -------------------------------------------------------------------------------
step "3. systemd-analyze security (0 best, 10 worst; ratchet: $(basename "$ratchet"))"
for unit in "${units[@]}"; do
  inside env SYSTEMD_COLORS=0 systemd-analyze security --no-pager "$unit.service" \
    >"$work/security-$unit.out" 2>&1 || {
    cat "$work/security-$unit.out"
    fail "systemd-analyze security failed for $unit"
    continue
  }
  score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
    "$work/security-$unit.out")
  limit=$(awk -v unit="$unit" '$1 == unit { print $2 }' "$ratchet")
  printf '%-10s exposure %s (recorded %s); the most exposed settings:\n' "$unit" "$score" \
    "${limit:-nothing}"
  # The lines the score is made of: ✗ with an exposure figure, worst first.
  grep '^✗' "$work/security-$unit.out" | awk '{ print $NF "\t" $0 }' | sort -rn | sed -n 1,5p |
    cut -f2- | sed 's/  */ /g; s/^/    /'
  if [ -z "$score" ] || [ -z "$limit" ]; then
    fail "no exposure score for $unit, or none recorded in $ratchet"
  elif awk -v s="$score" -v m="$limit" 'BEGIN { exit !(s > m) }'; then
    fail "$unit exposure $score is above $limit ($ratchet): lower the exposure again," \
      "or raise the number there with the reason"
  fi
done

# --- 4. kill -9 --------------------------------------------------------------------------------
step "4. kill -9 of each daemon's main process"
declare -A killed_pid restarts_before exited_at
restarted() {
  local pid
  pid=$(unit_property "$1" MainPID)
  [ "$pid" != 0 ] && [ "$pid" != "${killed_pid[$1]}" ] && check_active "$1"
}
for unit in "${units[@]}"; do
  killed_pid[$unit]=$(unit_property "$unit" MainPID)
  restarts_before[$unit]=$(unit_property "$unit" NRestarts)
  inside sh -c "kill -KILL ${killed_pid[$unit]}"
  # systemd waits RestartSec in auto-restart; the time the killed process exited is kept until
  # the next start.
  if wait_for 4 in_substate "$unit" auto-restart; then
    exited_at[$unit]=$(unit_property "$unit" ExecMainExitTimestampMonotonic)
  else
    fail "$unit is not waiting to restart after kill -9:" \
      "$(unit_states "$unit" ActiveState,SubState)"
    exited_at[$unit]=0
  fi
done
for unit in "${units[@]}"; do
  restart_usec=$(unit_property "$unit" RestartUSec)
  if ! wait_for 30 restarted "$unit"; then
    fail "$unit was not restarted after kill -9: $(unit_states "$unit" ActiveState,SubState,Result)"
    continue
  fi
  # From the killed process's exit to the new start: RestartSec, then at most 2 s more.
  exited=${exited_at[$unit]}
  restarted_at=$(unit_property "$unit" ExecMainStartTimestampMonotonic)
  exit_line=$(inside journalctl -b -u "$unit.service" -o cat |
    grep -F "Main process exited, code=killed, status=9/KILL" || true)
  delay_ms=$(((restarted_at - exited) / 1000))
  restart_ms=$(inside systemd-analyze timespan "$restart_usec" | sed -n 's/.*μs: *//p')
  restart_ms=$((restart_ms / 1000))
  echo "$unit: pid ${killed_pid[$unit]} killed, restarted as $(unit_property "$unit" MainPID)" \
    "after $delay_ms ms (RestartSec $restart_usec)," \
    "NRestarts ${restarts_before[$unit]} -> $(unit_property "$unit" NRestarts)"
  [ -n "$exit_line" ] || fail "$unit: systemd did not log the SIGKILL of its main process"
  if [ "$delay_ms" -lt $((restart_ms - 100)) ] || [ "$delay_ms" -gt $((restart_ms + 2000)) ]; then
    fail "$unit restarted $delay_ms ms after the kill, RestartSec is $restart_usec"
  fi
done
check_units_running "after kill -9"
check_connected "after kill -9"


# --- 5. reboot ---------------------------------------------------------------------------------
step "5. reboot of the container"
boot_id=$(inside cat /proc/sys/kernel/random/boot_id)
inside systemctl reboot || true
nspawn_status=0
wait "$nspawn_pid" || nspawn_status=$?
nspawn_pid=""
[ "$nspawn_status" -eq 133 ] ||
  fail "systemd-nspawn exited with $nspawn_status on reboot, expected 133"
# The old network namespace went with the container: the emulator moves to the new one, same
# port and data.
stop_emulator
boot
start_emulator
wait_running
[ "$(inside cat /proc/sys/kernel/random/boot_id)" != "$boot_id" ] ||
  fail "the container did not reboot"
check_units_running "after reboot"
check_layout "after reboot"
check_reserved_ports "after reboot" kernel
check_connected "after reboot"
failed_units=$(inside systemctl --failed --plain --no-legend)
[ -z "$failed_units" ] || fail "failed units after reboot: $failed_units"

# --- 6. systemctl stop -------------------------------------------------------------------------
step "6. systemctl stop of each unit"
for unit in "${units[@]}"; do
  timeout_usec=$(unit_property "$unit" TimeoutStopUSec)
  stop_started=$(date +%s%N)
  status=0
  inside systemctl stop "$unit.service" || status=$?
  stop_ms=$((($(date +%s%N) - stop_started) / 1000000))
  result=$(inside systemctl show -p ActiveState,Result,ExecMainCode,ExecMainStatus "$unit.service" |
    sort | paste -sd' ')
  echo "$unit: systemctl stop exited $status after $stop_ms ms" \
    "(TimeoutStopSec $timeout_usec): $result"
  [ "$status" -eq 0 ] || fail "systemctl stop $unit exited $status"
  [ "$result" = "ActiveState=inactive ExecMainCode=1 ExecMainStatus=0 Result=success" ] ||
    fail "$unit did not exit cleanly on SIGTERM: $result"
  # The daemons stop in well under a second; anything near the timeout means SIGKILL was close.
  [ "$stop_ms" -lt 10000 ] || fail "systemctl stop $unit took $stop_ms ms"
done
inside systemctl start "${units[@]/%/.service}"
check_units_running "after start"

# --- 7. upgrades from the control plane's feed: azcmagent upgrade, a rollback, automatic -------
step "7. azcmagent upgrade from the feed: $version -> $(later_version 1)"
feed_v2=$(later_version 1)
feed_v3=$(later_version 2) # himds exits 1: the health check fails, the upgrade is rolled back
feed_v4=$(later_version 3) # what ARM asks for (automatic upgrade)
packages_dir=$work/feed
mkdir -p "$packages_dir"
cp "$deb" "$packages_dir/v1.deb"
repack "$feed_v2" "$packages_dir/v2.deb"
repack "$feed_v3" "$packages_dir/v3.deb" broken
repack "$feed_v4" "$packages_dir/v4.deb"
publish() { # version package
  "$emulator_bin" agent publish --data-dir "$emulator_data" --package "$2" --version "$1" \
    >"$work/publish-$1.json" 2>&1 || {
    cat "$work/publish-$1.json"
    die "arc-emulator agent publish $1 failed"
  }
}
# The installed version too: an upgrade keeps it to go back to, from the feed the first time.
publish "$version" "$packages_dir/v1.deb"
publish "$feed_v2" "$packages_dir/v2.deb"
# A heartbeat every 5 s instead of 300: ARM's requests reach himds with the next one (the first
# upgrade's restart of himds applies it). The timer's first run comes 2 min after boot, and the
# container has been up for less: a run 10 s after boot as well (the drop-in adds to the unit's
# OnBootSec=), so that the PATCH below meets the timer's steady cadence of one run a minute.
heartbeat_dropin=/etc/systemd/system/himdsd.service.d/50-azcm-system-test.conf
timer_dropin=/etc/systemd/system/$autoupgrade.timer.d/50-azcm-system-test.conf
mkdir -p "$(dirname "$machine$heartbeat_dropin")" "$(dirname "$machine$timer_dropin")"
printf '[Service]\nEnvironment=AZCM_HEARTBEAT_INTERVAL=5\n' >"$machine$heartbeat_dropin"
printf '[Timer]\nOnBootSec=10s\n' >"$machine$timer_dropin"
inside systemctl daemon-reload

machine_url="$(jq -r .endpoints.arm "$cloud")/subscriptions/$subscription/resourceGroups/system-rg"
machine_url+="/providers/Microsoft.HybridCompute/machines/$machine_name?api-version=2024-07-10"
arm_machine() { # [curl options...]: ARM's machine as its owner sees it (api-version 2024-07-10)
  in_netns curl -sS --fail --cacert "$(jq -r .caCertPath "$cloud")" \
    -H "Authorization: Bearer $owner_token" "$@" "$machine_url"
}
arm_upgrade() {
  arm_machine | jq -c '.properties.agentUpgrade'
}
arm_attempt_is() { # status desired-version
  [ "$(arm_upgrade | jq -r '.lastAttemptStatus + " " + .lastAttemptDesiredVersion')" = "$1 $2" ]
}
himds_status() { # himds's GET /status on its control socket (root may)
  inside curl -sS --fail --unix-socket /var/opt/azcmagent/socks/himds/himds.sock \
    http://localhost/status
}
installed_version() {
  # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
  inside dpkg-query -W -f='${Version}' azcmagent
}
# The machine runs VERSION as a whole: dpkg installed it completely, the CLI and himds report it,
# himds is Connected.
runs_version() { # version
  # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
  [ "$(inside dpkg-query -W -f='${Status} ${Version}' azcmagent)" = "install ok installed $1" ] &&
    [ "$(inside /opt/azcmagent/bin/azcmagent version)" = "azcmagent version $1" ] &&
    [ "$(himds_status | jq -r '.version + " " + .agentStatus')" = "$1 Connected" ]
}
describe_machine() {
  # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
  echo "dpkg '$(inside dpkg-query -W -f='${db:Status-Abbrev}${Version}' azcmagent 2>&1)'," \
    "$(inside /opt/azcmagent/bin/azcmagent version 2>&1)," \
    "himds $(himds_status 2>/dev/null | jq -c '{version, agentStatus}' || echo 'not answering')"
}
log_time() { # message-tag [file]: the time of the last log line with the tag, in Unix seconds
  local line
  line=$(inside grep " $1" "${2:-/var/opt/azcmagent/log/azcmagent.log}" | tail -n 1) || return 1
  date -d "${line%% *}" +%s.%N
}
seconds_between() { # start end (Unix seconds with fractions) -> seconds, one decimal
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}
check_identity_kept() { # label
  [ "$(agent_show | jq -c '{resourceId, vmId}')" = "$identity" ] ||
    fail "$1: the identity changed: $identity -> $(agent_show | jq -c '{resourceId, vmId}')"
  [ "$(inside sha256sum "${identity_files[@]}")" = "$identity_sums" ] ||
    fail "$1: agentconfig.json or the machine's certificates changed"
}

pids_before=$(main_pids)
upgrade_started=$(date +%s.%N)
status=0
inside /opt/azcmagent/bin/azcmagent upgrade --json >"$work/feed-upgrade.out" 2>&1 || status=$?
upgrade_seconds=$(seconds_between "$upgrade_started" "$(date +%s.%N)")
echo "azcmagent upgrade exited $status after $upgrade_seconds s:" \
  "$(jq -c . "$work/feed-upgrade.out" 2>/dev/null || tail -n 5 "$work/feed-upgrade.out")"
echo "BENCH upgrade_seconds=$upgrade_seconds"
if [ "$status" -ne 0 ]; then
  cat "$work/feed-upgrade.out"
  fail "azcmagent upgrade to $feed_v2 exited $status"
fi
[ "$(jq -r '.previousVersion + " " + .version + " " + (.upgraded | tostring)' \
  "$work/feed-upgrade.out" 2>/dev/null)" = "$version $feed_v2 true" ] ||
  fail "azcmagent upgrade --json did not say it upgraded $version to $feed_v2"
wait_for 30 runs_version "$feed_v2" ||
  fail "after azcmagent upgrade: not running $feed_v2 as a whole: $(describe_machine)"
echo "after azcmagent upgrade: $(describe_machine)"
check_units_running "after azcmagent upgrade"
for unit in "${units[@]}"; do
  [[ " $pids_before " != *" $unit=$(unit_property "$unit" MainPID) "* ]] ||
    fail "after azcmagent upgrade: $unit was not restarted"
done
check_connected "after azcmagent upgrade"
check_identity_kept "after azcmagent upgrade"
wait_for 30 arm_attempt_is Success "$feed_v2" ||
  fail "after azcmagent upgrade: ARM's agentUpgrade is $(arm_upgrade), expected Success $feed_v2"
echo "ARM: $(arm_upgrade | jq -c '{lastAttemptStatus, lastAttemptDesiredVersion}')"

step "7. azcmagent upgrade to a broken $feed_v3 (himds exits 1): rolled back to $feed_v2"
publish "$feed_v3" "$packages_dir/v3.deb"
upgrade_started=$(date +%s.%N)
status=0
inside env AZCM_UPGRADE_HEALTH_SECONDS=20 /opt/azcmagent/bin/azcmagent upgrade \
  >"$work/broken-upgrade.out" 2>&1 || status=$?
failed_seconds=$(seconds_between "$upgrade_started" "$(date +%s.%N)")
echo "azcmagent upgrade exited $status after $failed_seconds s:" \
  "$(tail -n 1 "$work/broken-upgrade.out")"
[ "$status" -eq 1 ] || {
  cat "$work/broken-upgrade.out"
  fail "azcmagent upgrade to the broken $feed_v3 exited $status, expected 1"
}
grep -q "rolled back to $feed_v2" "$work/broken-upgrade.out" ||
  fail "azcmagent upgrade to the broken $feed_v3 did not say 'rolled back to $feed_v2'"
if rollback_at=$(log_time UPGRADE_ROLLBACK) && rolled_back_at=$(log_time UPGRADE_ROLLED_BACK); then
  rollback_seconds=$(seconds_between "$rollback_at" "$rolled_back_at")
else
  rollback_seconds=none
  fail "no UPGRADE_ROLLBACK and UPGRADE_ROLLED_BACK lines in azcmagent.log"
fi
echo "BENCH upgrade_failed_command_seconds=$failed_seconds"
echo "BENCH upgrade_rollback_seconds=$rollback_seconds"
wait_for 30 runs_version "$feed_v2" ||
  fail "after the rollback: not running $feed_v2 as a whole: $(describe_machine)"
echo "after the rollback: $(describe_machine)"
check_units_running "after the rollback"
check_connected "after the rollback"
check_identity_kept "after the rollback"
if wait_for 30 arm_attempt_is Failed "$feed_v3"; then
  arm_upgrade | jq -r '"ARM: " + .lastAttemptStatus + " " + .lastAttemptDesiredVersion + ": " +
    .lastAttemptMessage'
  message=$(arm_upgrade | jq -r .lastAttemptMessage)
  [[ "$message" == *himds* ]] || fail "ARM's lastAttemptMessage does not name himds: $message"
else
  fail "after the rollback: ARM's agentUpgrade is $(arm_upgrade), expected Failed $feed_v3"
fi

step "7. automatic upgrade: ARM asks for $feed_v4, the timer installs it"
publish "$feed_v4" "$packages_dir/v4.deb"
inside /opt/azcmagent/bin/azcmagent config set agentupgrade.automatic.maxdelayminutes 0 \
  >/dev/null
# The timer's cadence of one run a minute is systemd's to keep (check_units_running checks the timer
# is enabled and waiting): here a run 10 s after the last one as well, so that the test does not
# wait out the minute. The figure below is then the heartbeat's, the install's and the check's.
printf '[Timer]\nOnBootSec=10s\nOnUnitInactiveSec=10s\nAccuracySec=1s\n' >"$machine$timer_dropin"
inside systemctl daemon-reload
correlation_id=$(cat /proc/sys/kernel/random/uuid)
patched_at=$(date +%s.%N)
arm_machine -X PATCH -H "Content-Type: application/json" \
  -d "{\"properties\":{\"agentUpgrade\":{\"enableAutomaticUpgrade\":true,
    \"desiredVersion\":\"$feed_v4\",\"correlationId\":\"$correlation_id\"}}}" >/dev/null
if wait_for 300 runs_version "$feed_v4"; then
  patch_seconds=$(seconds_between "$patched_at" "$(date +%s.%N)")
  # When the timer's run began carrying out the request.
  if started_at=$(log_time AUTO_UPGRADE_START); then
    echo "the automatic upgrade began $(seconds_between "$patched_at" "$started_at") s" \
      "after the PATCH"
  fi
  echo "BENCH upgrade_patch_to_running_seconds=$patch_seconds"
  echo "after the automatic upgrade: $(describe_machine)"
else
  fail "the automatic upgrade to $feed_v4 did not happen within 300 s: $(describe_machine)"
  inside journalctl -b -u "$autoupgrade.service" --no-pager -n 20 || true
fi
check_units_running "after the automatic upgrade"
check_connected "after the automatic upgrade"
check_identity_kept "after the automatic upgrade"
if wait_for 30 arm_attempt_is Success "$feed_v4"; then
  echo "ARM: $(arm_upgrade | jq -c '{lastAttemptStatus, lastAttemptDesiredVersion}')"
else
  fail "after the automatic upgrade: ARM's agentUpgrade is $(arm_upgrade)," \
    "expected Success $feed_v4"
fi

# Killed upgrades (AZCM_UPGRADE_KILL_RUNS=N, scripts/test.sh --extended): an upgrade between two
# versions killed with SIGKILL at a random moment, alone (odd runs) or with everything it started,
# dpkg and the maintainer scripts (even runs: as when systemd kills the timer's service), then
# `azcmagent upgrade` again. The machine must end on exactly one whole version.
kill_runs=${AZCM_UPGRADE_KILL_RUNS:-0}
[[ "$kill_runs" =~ ^[0-9]+$ ]] || die "AZCM_UPGRADE_KILL_RUNS must be a number, not '$kill_runs'"
descendants() { # pid -> the pid and all its descendants (this host's view)
  local child
  echo "$1"
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null || true); do
    descendants "$child"
  done
}
# The kill comes within the time an upgrade takes here (the first one's, a fifth more), at most
# 15 s: a later kill would find it ended.
kill_window_ms=$(awk -v s="$upgrade_seconds" \
  'BEGIN { ms = int(s * 1200); print (ms > 15000 ? 15000 : ms) }')
if [ "$kill_runs" -gt 0 ]; then
  step "7. $kill_runs upgrades killed with SIGKILL within $kill_window_ms ms, then azcmagent" \
    "upgrade again"
fi
finished_runs=0 rolled_back_runs=0 slow_runs=0
for run_number in $(seq 1 "$kill_runs"); do
  from=$(installed_version)
  if [ "$from" = "$feed_v4" ]; then to=$feed_v2; else to=$feed_v4; fi
  delay=$((RANDOM * 32768 + RANDOM))
  delay=$((delay % (kill_window_ms + 1)))
  delay=$((delay / 1000)).$(printf '%03d' $((delay % 1000)))
  if [ $((run_number % 2)) -eq 1 ]; then what=azcmagent; else what="azcmagent and its children"; fi
  inside /opt/azcmagent/bin/azcmagent upgrade --version "$to" >"$work/killed-$run_number.out" 2>&1 &
  background_pid=$!
  sleep "$delay"
  # This host's view: a subshell, nsenter, nsenter's child in the container's namespaces, which
  # is azcmagent (env executes it).
  agent_pid=""
  for pid in $(descendants "$background_pid"); do
    if [ "$(ps -o comm= -p "$pid" 2>/dev/null || true)" = azcmagent ]; then
      agent_pid=$pid
      break
    fi
  done
  victims=""
  if [ -n "$agent_pid" ]; then
    if [ "$what" = azcmagent ]; then
      victims=$agent_pid
    else
      # Stopped first, so none of them starts another process before the kill.
      for _ in 1 2 3; do
        victims=$(descendants "$agent_pid" | sort -u | paste -sd' ')
        # shellcheck disable=SC2086 # a list of pids
        kill -STOP $victims 2>/dev/null || true
      done
    fi
    killed_names=$( (ps -o comm= -p "${victims// /,}" || true) | paste -sd' ')
    # shellcheck disable=SC2086 # a list of pids
    kill -KILL $victims 2>/dev/null || true
    # nsenter stops itself when its child stops (it passes job control on): let it go on, to
    # collect its killed child.
    # shellcheck disable=SC2046 # a list of pids
    kill -CONT $(descendants "$background_pid") 2>/dev/null || true
  fi
  wait "$background_pid" 2>/dev/null || true
  # The step it was at: the journal's, or the last UPGRADE_ line of the log.
  at=$(jq -r .step "$machine/var/opt/azcmagent/upgrade/journal.json" 2>/dev/null || true)
  if [ -z "$at" ]; then
    at="none; the log's last: $( (grep -o ' UPGRADE_[A-Z_]*' \
      "$machine/var/opt/azcmagent/log/azcmagent.log" || true) | tail -n 1 | tr -d ' ')"
  fi
  if [ -z "$agent_pid" ]; then
    outcome="azcmagent had ended before the kill ($(tail -n 1 "$work/killed-$run_number.out"))"
  else
    outcome="killed $what ($killed_names), journal: $at"
  fi
  after_kill=$(describe_machine)
  status=0
  resume_started=$SECONDS
  inside /opt/azcmagent/bin/azcmagent upgrade --version "$to" >"$work/resumed-$run_number.out" \
    2>&1 || status=$?
  end=$(installed_version 2>/dev/null || true)
  echo "kill run $run_number: $from -> $to, after ${delay} s: $outcome; then $after_kill;" \
    "azcmagent upgrade again exited $status after $((SECONDS - resume_started)) s" \
    "($(tail -n 1 "$work/resumed-$run_number.out")); now $(describe_machine)"
  # Finished (0), or undone and said so (1): anything else is a product finding.
  if [ "$status" -eq 0 ]; then
    finished_runs=$((finished_runs + 1))
  elif [ "$status" -eq 1 ] && grep -q "rolled back to $from" "$work/resumed-$run_number.out"; then
    rolled_back_runs=$((rolled_back_runs + 1))
  else
    fail "kill run $run_number: azcmagent upgrade after the kill exited $status, neither" \
      "finished nor rolled back to $from (product finding): $(cat "$work/resumed-$run_number.out")"
  fi
  [ $((SECONDS - resume_started)) -lt 60 ] || slow_runs=$((slow_runs + 1))
  if { [ "$end" != "$from" ] && [ "$end" != "$to" ]; } || ! wait_for 30 runs_version "$end"; then
    fail "kill run $run_number: the machine is not on one whole version (product finding):" \
      "$(describe_machine)"
  fi
  if ! inside test ! -e /var/opt/azcmagent/upgrade/journal.json; then
    fail "kill run $run_number: the upgrade journal is left after azcmagent upgrade ended"
  fi
  if ! runs_version "$end"; then
    # Bring the machine back for the next runs and the rest of the test, after saying so above.
    inside dpkg --configure -a >/dev/null 2>&1 || true
    inside /opt/azcmagent/bin/azcmagent upgrade --version "$to" >/dev/null 2>&1 || true
    wait_for 60 runs_version "$(installed_version)" || die "kill run $run_number: no way back"
  fi
done
if [ "$kill_runs" -gt 0 ]; then
  echo "killed upgrades: $kill_runs; then finished: $finished_runs," \
    "rolled back: $rolled_back_runs;" \
    "$slow_runs took the next azcmagent upgrade a minute or more (a health check that waits" \
    "out its deadline for an install that never completed)"
  check_units_running "after the killed upgrades"
  check_connected "after the killed upgrades"
  check_identity_kept "after the killed upgrades"
fi
rm -f "$machine$heartbeat_dropin" "$machine$timer_dropin"
inside systemctl daemon-reload

# --- 7. upgrade, remove, reinstall over the data, purge -----------------------------------------
step "7. apt-get upgrade to $version2 while the daemons run"
pids_before=$(main_pids)
inside apt-get install -y -q "$deb2_inside" >"$work/upgrade.out" 2>&1 || {
  cat "$work/upgrade.out"
  die "the upgrade failed"
}
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
[ "$(inside dpkg-query -W -f='${Version}' azcmagent)" = "$version2" ] ||
  fail "the upgrade did not install $version2"
check_units_running "after upgrade"
for unit in "${units[@]}"; do
  [[ " $pids_before " != *" $unit=$(unit_property "$unit" MainPID) "* ]] ||
    fail "after upgrade: $unit was not restarted"
done
check_connected "after upgrade"
[ "$(agent_show | jq -c '{resourceId, vmId}')" = "$identity" ] ||
  fail "after upgrade: the identity changed: $identity ->" \
    "$(agent_show | jq -c '{resourceId, vmId}')"
[ "$(inside sha256sum "${identity_files[@]}")" = "$identity_sums" ] ||
  fail "after upgrade: agentconfig.json or the machine's certificates changed"
check_layout "after upgrade"
check_tokens "after upgrade"

step "7. apt-get remove, then install again over the data it kept"
inside apt-get remove -y -q azcmagent >"$work/remove.out" 2>&1 || {
  cat "$work/remove.out"
  die "apt-get remove failed"
}
for unit in "${units[@]}"; do
  [ "$(unit_property "$unit" LoadState)" = not-found ] ||
    fail "after remove: $unit is $(unit_property "$unit" LoadState)"
done
[ "$(inside systemctl show -p LoadState --value "$autoupgrade.timer")" = not-found ] ||
  fail "after remove: $autoupgrade.timer is still known to systemd"
daemon_processes() { # the processes of the daemons' users (the container has no ps)
  # shellcheck disable=SC2016 # expanded by the container's sh
  inside sh -c 'for p in /proc/[0-9]*; do stat -c "%U ${p#/proc/}" "$p"; done 2>/dev/null' |
    grep -E '^(himds|arcproxy) ' || true
}
[ -z "$(daemon_processes)" ] || fail "after remove: processes are left: $(daemon_processes)"
[ "$(inside sha256sum "${identity_files[@]}")" = "$identity_sums" ] ||
  fail "after remove: the identity files are gone or changed"
inside test -d /var/lib/GuestConfig || fail "after remove: /var/lib/GuestConfig is gone"
inside apt-get install -y -q "$deb2_inside" >"$work/reinstall.out" 2>&1 || {
  cat "$work/reinstall.out"
  die "the install over the kept data failed"
}
check_units_running "after reinstall"
check_connected "after reinstall"
[ "$(agent_show | jq -c '{resourceId, vmId}')" = "$identity" ] ||
  fail "after reinstall: the identity changed"

step "7. apt-get purge"
purge_and_check() { # label
  inside apt-get purge -y -q azcmagent >"$work/purge.out" 2>&1 || {
    cat "$work/purge.out"
    die "$1: apt-get purge failed"
  }
  inside systemctl daemon-reload
  local path unit left
  for path in /opt/azcmagent /opt/GC_Service /opt/GC_Ext /var/opt/azcmagent /var/lib/GuestConfig \
    /var/lib/waagent /etc/profile.d/azcmagent.sh "$sysctl_file" \
    /usr/lib/systemd/system.conf.d/azcmagent.conf /usr/lib/sysusers.d/azcmagent.conf \
    /usr/lib/tmpfiles.d/azcmagent.conf; do
    ! inside test -e "$path" || fail "$1: $path is left"
  done
  for unit in "${units[@]}"; do
    ! inside test -e "/usr/lib/systemd/system/$unit.service" || fail "$1: $unit.service is left"
    left=$(inside find /etc/systemd -name "$unit.service")
    [ -z "$left" ] || fail "$1: $left is left"
    [ "$(unit_property "$unit" LoadState)" = not-found ] ||
      fail "$1: systemd still knows $unit: $(unit_property "$unit" LoadState)"
  done
  for unit in "$autoupgrade.timer" "$autoupgrade.service"; do
    ! inside test -e "/usr/lib/systemd/system/$unit" || fail "$1: $unit is left"
    left=$(inside find /etc/systemd -name "$unit")
    [ -z "$left" ] || fail "$1: $left is left"
  done
  ! inside dpkg-query -W azcmagent >/dev/null 2>&1 || fail "$1: dpkg still knows azcmagent"
  # Kept on purpose (docs/install.md): the accounts.
  inside getent passwd himds >/dev/null || fail "$1: user himds was removed"
  inside getent passwd arcproxy >/dev/null || fail "$1: user arcproxy was removed"
}
purge_and_check "after purge"

# --- 8. over accounts an administrator made, /proc/sys read-only -------------------------------
step "8. install over an administrator's accounts, /proc/sys read-only"
# As found on machines: himds with a home of its own, and a member of group himds (alice, who
# was given token access).
inside usermod --home /home/himds himds
inside mount -o remount,bind,ro /proc/sys/net
passwd_before=$(inside getent passwd himds arcproxy)
inside apt-get install -y -q "$deb2_inside" >"$work/install-over.out" 2>&1 || {
  cat "$work/install-over.out"
  fail "the install over an administrator's accounts failed"
}
grep -q "ip_local_reserved_ports" "$work/install-over.out" ||
  fail "the install did not say that the reserved ports could not be applied now"
grep "ip_local_reserved_ports" "$work/install-over.out" || true
check_reserved_ports "/proc/sys read-only" file-only
[ "$(inside getent passwd himds arcproxy)" = "$passwd_before" ] ||
  fail "the install changed the accounts: $passwd_before -> $(inside getent passwd himds arcproxy)"
[ "$(inside getent group himds | cut -d: -f4)" = alice ] ||
  fail "the install did not keep alice in group himds: $(inside getent group himds)"
check_units_running "over an administrator's accounts"
inside mount -o remount,bind,rw /proc/sys/net
purge_and_check "after the second purge"
[ "$(inside getent group himds | cut -d: -f4)" = alice ] ||
  fail "purge removed alice from group himds"

step "done in $((SECONDS - started)) s"
if [ "$failures" -ne 0 ]; then
  echo "systemd_boot_test: $failures failure(s)" >&2
  exit 1
fi
echo "systemd_boot_test: all checks passed"
