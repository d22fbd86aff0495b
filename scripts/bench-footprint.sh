#!/usr/bin/env bash
# The idle footprint benchmark (docs/benchmarks.md, "Idle footprint"): starts arc-emulator and the
# four daemons (himds, extservice, gcservice, arcproxy) connected in a throw-away sandbox, as the
# quick start leaves them, waits for the first goal states and the first guest configuration
# evaluation, then samples for N minutes each daemon's RSS and PSS (/proc/PID/smaps_rollup), CPU
# time (utime+stime of /proc/PID/stat) and wake-ups (voluntary_ctxt_switches of /proc/PID/status),
# beside the same figures of idle_baseline (tests/bench/idle_baseline.cpp): a bare
# Asio+Beast+OpenSSL process with an SSL context and a listening socket, doing nothing.
# A missed goal is reported, not an error: the exit status is non-zero only when something broke.
#
#   bash scripts/bench-footprint.sh              10 minutes of idle sampling
#   bash scripts/bench-footprint.sh --minutes M  M minutes
#   bash scripts/bench-footprint.sh --quick      1 minute
#   ... --mappings                               also where the four daemons' PSS lies: per file
#                                                mapped (and anonymous memory), summed over them
#
# Environment: BIN_DIR (the daemons, default <repo>/build/bin), BASELINE_BIN (default
#              <repo>/build/bin/idle_baseline, built with cmake when missing), BUILD_DIR (default
#              <repo>/build). BIN_DIR may point at another tree's binaries (the "before" figures
#              of docs/benchmarks.md were taken that way).
# Needs root (azcmagent connect refuses other users, also in a sandbox), curl, jq, zip.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$script_dir/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build}"
bin_dir="${BIN_DIR:-$build_dir/bin}"
baseline_bin="${BASELINE_BIN:-$build_dir/bin/idle_baseline}"

minutes=10
show_mappings=no
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) minutes=1 ;;
    --mappings) show_mappings=yes ;;
    --minutes)
      minutes="${2:-}"
      shift
      ;;
    -h | --help)
      sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench-footprint: unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
  shift
done
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || {
  echo "bench-footprint: --minutes takes a whole number of minutes" >&2
  exit 2
}

# Goals (docs/benchmarks.md): all four daemons together.
goal_total_pss_mib=16
goal_total_core_percent=0.005

fail() {
  echo "bench-footprint: $*" >&2
  exit 1
}
for tool in curl jq awk zip; do
  command -v "$tool" >/dev/null || fail "'$tool' is not installed"
done
[ "$(id -u)" -eq 0 ] || fail "run as root: azcmagent connect refuses other users, also in a sandbox"
for binary in arc-emulator himds extservice gcservice arcproxy azcmagent; do
  [ -x "$bin_dir/$binary" ] || fail "no $binary in $bin_dir (build it, or set BIN_DIR)"
done
if [ ! -x "$baseline_bin" ]; then
  echo "== building idle_baseline"
  cmake --build "$build_dir" --target idle_baseline >/dev/null
fi

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
work="$(mktemp -d "${TMPDIR:-/tmp}/azcm-footprint.XXXXXX")"
chmod 0755 "$work"
source "$script_dir/bench-lib.sh"
pids_to_stop=()
declare -A pid_of # daemon name (and "baseline") -> pid

cleanup() {
  local status=$?
  stop_started_processes "${pids_to_stop[@]}"
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() { # wait_for <tries of 0.1 s> <pid that must stay alive> <command...>
  local tries="$1" pid="$2"
  shift 2
  for _ in $(seq 1 "$tries"); do
    "$@" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

mkdir -p "$work/emulator" "$work/root"
chmod 0755 "$work/root"
export AZCM_ROOT="$work/root"
socks="$AZCM_ROOT/var/opt/azcmagent/socks"

# --- the control plane and himds ---------------------------------------------------------------
echo "== starting arc-emulator and himds in $work (daemons from $bin_dir)"
"$bin_dir/arc-emulator" --data-dir "$work/emulator" --listen 127.0.0.1:0 \
  >"$work/emulator.log" 2>&1 &
pids_to_stop+=("$!")
emulator_pid="$!"
wait_for 100 "$emulator_pid" test -s "$work/emulator/cloud.json" ||
  { cat "$work/emulator.log" >&2; fail "arc-emulator did not start"; }

AZCM_IMDS_PORT=0 "$bin_dir/himds" >"$work/himds.out" 2>&1 &
pids_to_stop+=("$!")
pid_of[himds]="$!"
wait_for 100 "${pid_of[himds]}" curl -sS --fail -o /dev/null --unix-socket "$socks/himds/himds.sock" \
  http://localhost/status || { cat "$work/himds.out" >&2; fail "himds did not start"; }

# --- onboard (as scripts/quickstart.sh does) ----------------------------------------------------
echo "== onboarding with azcmagent connect"
cloud="$work/emulator/cloud.json"
subscription="$(jq -r .subscriptionId "$cloud")"
ca_cert="$(jq -r .caCertPath "$cloud")"
arm="$(jq -r .endpoints.arm "$cloud")"
"$bin_dir/arc-emulator" sp create --data-dir "$work/emulator" --name bench-onboarding \
  --role "Azure Connected Machine Onboarding" --scope "/subscriptions/$subscription" \
  >"$work/onboarding-sp.json"
owner_token="$(curl -sS --fail --cacert "$ca_cert" \
  --data-urlencode grant_type=client_credentials \
  --data-urlencode "client_id=$(jq -r .bootstrapOwner.appId "$cloud")" \
  --data-urlencode "client_secret=$(jq -r .bootstrapOwner.password "$cloud")" \
  --data-urlencode "scope=https://management.azure.com/.default" \
  "$(jq -r .endpoints.entra "$cloud")/$(jq -r .tenantId "$cloud")/oauth2/v2.0/token" |
  jq -r .access_token)"
arm_call() {
  curl -sS --fail --cacert "$ca_cert" \
    -H "Authorization: Bearer $owner_token" -H "Content-Type: application/json" "$@"
}
arm_call -X PUT -d '{"location":"westeurope"}' \
  "$arm/subscriptions/$subscription/resourcegroups/bench-rg?api-version=2022-09-01" >/dev/null
(
  umask 077
  jq '{ "service-principal-id": .appId, "service-principal-secret": .password, "tenant-id": .tenant }' \
    "$work/onboarding-sp.json" >"$work/connect-config.json"
)
machine=bench-footprint
MSFT_ARC_TEST=true "$bin_dir/azcmagent" connect --config "$work/connect-config.json" \
  --cloud-config "$cloud" --subscription-id "$subscription" --resource-group bench-rg \
  --location westeurope --resource-name "$machine" >"$work/connect.log" 2>&1 ||
  { cat "$work/connect.log" >&2; fail "azcmagent connect failed"; }
machine_url="$arm/subscriptions/$subscription/resourceGroups/bench-rg/providers/Microsoft.HybridCompute/machines/$machine"

# --- the other daemons, with the settings they ship with ------------------------------------------
echo "== starting arcproxy, extservice and gcservice"
AZCM_PROXY_PORT=0 "$bin_dir/arcproxy" >"$work/arcproxy.out" 2>&1 &
pids_to_stop+=("$!")
pid_of[arcproxy]="$!"
"$bin_dir/extservice" >"$work/extservice.out" 2>&1 &
pids_to_stop+=("$!")
pid_of[extservice]="$!"
mkdir -p "$AZCM_ROOT/etc/ssh"
printf 'PermitRootLogin no\nPasswordAuthentication no\n' >"$AZCM_ROOT/etc/ssh/sshd_config"
"$bin_dir/gcservice" >"$work/gcservice.out" 2>&1 &
pids_to_stop+=("$!")
pid_of[gcservice]="$!"

# An extension (the quick start's hello handler) and the built-in baseline, so that both
# services hold a goal state with something in it while they idle.
handler="$work/hello-handler"
mkdir -p "$handler"
cat >"$handler/hello.sh" <<'SH'
#!/bin/sh
if [ "$1" = enable ]; then
  mkdir -p status
  printf '[{"status":{"status":"success","code":0,"formattedMessage":{"lang":"en-US","message":"idle"}}}]' \
    >"status/${ConfigSequenceNumber}.status"
fi
exit 0
SH
cat >"$handler/HandlerManifest.json" <<'JSON'
[{"name": "Contoso.Bench.Hello", "version": 1.0, "handlerManifest": {
  "installCommand": "hello.sh install", "uninstallCommand": "hello.sh uninstall",
  "updateCommand": "hello.sh update", "enableCommand": "hello.sh enable",
  "disableCommand": "hello.sh disable"}}]
JSON
(cd "$handler" && zip -q -r "$work/hello-1.0.0.zip" .)
"$bin_dir/arc-emulator" extension publish --data-dir "$work/emulator" --zip "$work/hello-1.0.0.zip" \
  --publisher Contoso.Bench --type Hello --version 1.0.0 >/dev/null
extension="$machine_url/extensions/hello?api-version=2024-07-10"
arm_call -X PUT "$extension" >/dev/null -d '{"location": "westeurope", "properties": {
  "publisher": "Contoso.Bench", "type": "Hello", "typeHandlerVersion": "1.0.0", "settings": {}}}'
assignment="$machine_url/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/AzureArcSecurityBaseline?api-version=2022-01-25"
arm_call -X PUT "$assignment" >/dev/null \
  -d '{"properties":{"guestConfiguration":{"name":"AzureArcSecurityBaseline","version":"1.0.0","assignmentType":"Audit"}}}'

"$baseline_bin" >"$work/baseline.out" 2>&1 &
pids_to_stop+=("$!")
pid_of[baseline]="$!"

echo "== waiting for the extension to be enabled and the baseline to be evaluated"
settled() {
  local state compliance
  state="$(arm_call "$extension" | jq -r .properties.provisioningState)"
  compliance="$(arm_call "$assignment" | jq -r .properties.complianceStatus)"
  [ "$state" = Succeeded ] && [ "$compliance" != Pending ] && [ "$compliance" != null ]
}
wait_for 1200 "${pid_of[gcservice]}" settled ||
  fail "no enabled extension and evaluated baseline within 120 s (logs in $work)"
# The answers and reports of the first minutes are behind; what follows is idle.
sleep 5
for name in himds extservice gcservice arcproxy; do
  kill -0 "${pid_of[$name]}" 2>/dev/null || fail "$name exited"
done

# --- sampling -------------------------------------------------------------------------------------
processes=(himds extservice gcservice arcproxy baseline)
clock_ticks="$(getconf CLK_TCK)"
cpu_ticks() { # utime + stime, fields 14 and 15 after the parenthesized command name
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
wakeups() {
  awk '/^voluntary_ctxt_switches:/ { v = $2 } /^nonvoluntary_ctxt_switches:/ { n = $2 }
       END { print v + n }' "/proc/$1/status"
}
memory_kib() { # "<Rss> <Pss>"
  awk '/^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 } END { print rss, pss }' "/proc/$1/smaps_rollup"
}
# Context switches of every thread: /proc/PID/status counts only the main thread.
thread_wakeups() {
  local total=0 task
  for task in /proc/"$1"/task/*; do
    total=$((total + $(wakeups "${task#/proc/}")))
  done
  echo "$total"
}
declare -A cpu_start switches_start
for name in "${processes[@]}"; do
  cpu_start[$name]="$(cpu_ticks "${pid_of[$name]}")"
  switches_start[$name]="$(thread_wakeups "${pid_of[$name]}")"
done
echo "== sampling for $minutes minute(s), load average at start $load_at_start"
sleep $((minutes * 60))

printf '\n%-13s %8s %8s %11s %10s %15s\n' process "RSS MB" "PSS MB" "CPU ms/min" "% of core" \
  "ctx switches/min"
totals="0 0 0 0"
for name in "${processes[@]}"; do
  pid="${pid_of[$name]}"
  kill -0 "$pid" 2>/dev/null || fail "$name exited while idle"
  read -r rss pss < <(memory_kib "$pid")
  cpu_end="$(cpu_ticks "$pid")"
  switches_end="$(thread_wakeups "$pid")"
  row="$(awk -v rss="$rss" -v pss="$pss" -v c0="${cpu_start[$name]}" -v c1="$cpu_end" \
    -v s0="${switches_start[$name]}" -v s1="$switches_end" -v hz="$clock_ticks" -v m="$minutes" \
    'BEGIN { printf "%.1f %.1f %.1f %.4f %.1f", rss / 1024, pss / 1024,
                    (c1 - c0) * 1000 / hz / m, (c1 - c0) * 100 / hz / (m * 60), (s1 - s0) / m }')"
  read -r rss_mb pss_mb cpu_ms core switches <<<"$row"
  label="$name"
  [ "$name" = baseline ] && label=idle_baseline
  printf '%-13s %8s %8s %11s %10s %15s\n' "$label" "$rss_mb" "$pss_mb" "$cpu_ms" "$core%" "$switches"
  if [ "$name" != baseline ]; then
    totals="$(awk -v t="$totals" -v r="$rss_mb $pss_mb $cpu_ms $switches" 'BEGIN {
      split(t, a); split(r, b); printf "%.1f %.1f %.1f %.1f", a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4] }')"
  fi
done
read -r total_rss total_pss total_cpu total_switches <<<"$totals"
total_core="$(awk -v c="$total_cpu" 'BEGIN { printf "%.4f", c / 600 }')"
printf '%-13s %8s %8s %11s %10s %15s\n' "four daemons" "$total_rss" "$total_pss" "$total_cpu" \
  "$total_core%" "$total_switches"
echo
echo "goal: four daemons together at most ${goal_total_pss_mib} MB PSS and ${goal_total_core_percent}% of a core"
awk -v p="$total_pss" -v c="$total_core" -v gp="$goal_total_pss_mib" -v gc="$goal_total_core_percent" \
  'BEGIN { printf "PSS %s (%.1f MB), CPU %s (%.4f%%)\n", (p <= gp ? "met" : "missed"), p,
                  (c <= gc ? "met" : "missed"), c }'
echo "CPU time resolution: 1/${clock_ticks} s; load average at end $(cut -d' ' -f1-3 /proc/loadavg)" \
  "(other work on the machine skews the CPU figures)"

if [ "$show_mappings" = yes ]; then
  echo
  echo "PSS of the four daemons by mapping (KB, summed over the daemons; largest first)"
  for name in himds extservice gcservice arcproxy; do
    cat "/proc/${pid_of[$name]}/smaps"
  done | awk '
    /^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anonymous]" : $6) " " $2; next }
    /^Pss:/ { pss[name] += $2 }
    END { for (n in pss) printf "%8d  %s\n", pss[n], n }' | sort -rn | head -n 25
fi
