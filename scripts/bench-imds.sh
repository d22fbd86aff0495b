#!/usr/bin/env bash
# The IMDS benchmark (docs/benchmarks.md): starts arc-emulator and himds in a throw-away sandbox,
# onboards with `azcmagent connect`, then measures in one run
#   a. GET /metadata/instance with wrk, against himds and against nginx serving the same body
#      from a file (requests/s of both and their ratio),
#   b. complete challenge-and-token exchanges at one connection (scripts/bench/token_exchange.lua),
#   c. himds RSS and PSS idle, during the load and right after it,
# and prints a summary with the goals of docs/benchmarks.md. A missed goal is reported, not an error: the
# exit status is non-zero only when something broke (a failed request, exchange or start-up).
#
#   bash scripts/bench-imds.sh            3 alternating rounds of 10 s per server, 10 s of exchanges
#   bash scripts/bench-imds.sh --quick    1 round of 3 s per server, 3 s of exchanges (smoke use)
#   bash scripts/bench-imds.sh --rt       himds, nginx and wrk under SCHED_FIFO, so that other work
#                                         on a shared machine stays out of the latency figures
#   bash scripts/bench-imds.sh --capped-load
#                                         also repeats the token exchanges while two processes spin
#                                         at a 5% cap in the cgroups of gcservice and of an
#                                         extension (cpu_cap_bench hold; needs writable cgroups)
#   bash scripts/bench-imds.sh --slot-attack
#                                         instead of the above: himds with its rate limits on, and
#                                         a legitimate client's latency with and without another
#                                         uid (azcmtest-slots, created when missing) holding every
#                                         connection slot it is allowed (imds_slot_bench)
#
# Environment: BIN_DIR (default <repo>/build/bin; built with scripts/build.sh when missing there),
#              BENCH_DURATION (seconds per measured run, overrides the default and --quick).
# Needs root (azcmagent connect refuses other users, also in a sandbox), wrk, nginx, curl, jq.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$script_dir/.." && pwd)"
bin_dir="${BIN_DIR:-$repo/build/bin}"
exchange_script="$script_dir/bench/token_exchange.lua"

duration=10
rounds=3
warmup=2
idle_settle=5
realtime=0
capped_load=0
slot_attack=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick)
      duration=3
      rounds=1
      warmup=1
      idle_settle=2
      ;;
    --rt)
      realtime=1
      ;;
    --capped-load)
      capped_load=1
      ;;
    --slot-attack)
      slot_attack=1
      ;;
    -h | --help)
      sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench-imds: unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
  shift
done
duration="${BENCH_DURATION:-$duration}"
# The load generator and both servers get the same treatment; the emulator and the helpers don't.
scheduling=()
if [ "$realtime" -eq 1 ]; then
  scheduling=(chrt --fifo 10)
fi

# wrk settings, chosen for a 2-core machine where server and load generator share the cores:
# one wrk thread (a second one would only compete with the server for the other core) and 32
# keep-alive connections, enough to keep a single-threaded server busy without queueing a
# crowd of requests behind each other.
wrk_threads=1
wrk_connections=32
metadata_path="/metadata/instance?api-version=2020-06-01"
token_resource="https://management.azure.com/"

# Goals (docs/benchmarks.md names the matching reliability goals).
goal_ratio="0.5"          # himds metadata requests/s at least half of nginx's
goal_exchange_p99_ms="2"  # whole token exchange p99 under 2 ms
goal_idle_pss_kib=10240   # idle PSS under 10 MiB
goal_idle_rss_kib=16384   # idle RSS under 16 MiB (the footprint goal; shown for context)

fail() {
  echo "bench-imds: $*" >&2
  exit 1
}

tools=(curl jq awk pgrep chrt)
if [ "$slot_attack" -eq 0 ]; then
  tools+=(wrk nginx)
fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null ||
    fail "'$tool' is not installed (Debian packages: wrk nginx-light curl jq procps util-linux)"
done
[ "$(id -u)" -eq 0 ] || fail "run as root: azcmagent connect refuses other users, also in a sandbox"
[ -r "$exchange_script" ] || fail "missing $exchange_script"
nginx_bin="$(command -v nginx || true)"

if [ ! -x "$bin_dir/himds" ] || [ ! -x "$bin_dir/arc-emulator" ] || [ ! -x "$bin_dir/azcmagent" ] ||
  { [ "$slot_attack" -eq 1 ] && [ ! -x "$bin_dir/imds_slot_bench" ]; }; then
  if [ -n "${BIN_DIR:-}" ]; then
    fail "BIN_DIR=$bin_dir lacks himds, arc-emulator, azcmagent or imds_slot_bench"
  fi
  echo "== building (no binaries in $bin_dir)"
  bash "$repo/scripts/build.sh" default
fi

# Other work on the machine skews every figure: the summary shows the load average.
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
work="$(mktemp -d "${TMPDIR:-/tmp}/azcm-bench.XXXXXX")"
chmod 0755 "$work"
source "$script_dir/bench-lib.sh"
pids_to_stop=()
created_user=""

cleanup() {
  local status=$?
  # Newest first: the sampler, nginx, himds, then the emulator.
  stop_started_processes "${pids_to_stop[@]}"
  if [ -n "$created_user" ]; then
    userdel "$created_user" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$work/emulator" "$work/root" "$work/nginx/www/metadata" "$work/wrk"
chmod 0755 "$work/root"
export AZCM_ROOT="$work/root"
socket="$AZCM_ROOT/var/opt/azcmagent/socks/himds/himds.sock"

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

# --- start the control plane and himds ------------------------------------------------------
echo "== starting arc-emulator and himds in $work"
"$bin_dir/arc-emulator" --data-dir "$work/emulator" --listen 127.0.0.1:0 \
  >"$work/emulator.log" 2>&1 &
pids_to_stop+=("$!")
emulator_pid="$!"
wait_for 100 "$emulator_pid" test -s "$work/emulator/cloud.json" ||
  { cat "$work/emulator.log" >&2; fail "arc-emulator did not start"; }

# Limits off (a benchmark measures the server, not the limiter), except for --slot-attack, which
# measures himds as shipped; the heartbeat is pushed out of the measured window.
rate_limits=off
if [ "$slot_attack" -eq 1 ]; then
  rate_limits=on
fi
AZCM_IMDS_RATE_LIMIT="$rate_limits" AZCM_IMDS_PORT=0 AZCM_HEARTBEAT_INTERVAL=3600 \
  "${scheduling[@]}" "$bin_dir/himds" >"$work/himds.out" 2>&1 &
pids_to_stop+=("$!")
himds_pid="$!"
himds_status() { curl -sS --fail --unix-socket "$socket" http://localhost/status; }
wait_for 100 "$himds_pid" himds_status >/dev/null ||
  { cat "$work/himds.out" >&2; fail "himds did not start"; }
imds_port="$(himds_status | jq -r '.imds.port')"
if ! [[ "$imds_port" =~ ^[0-9]+$ ]] || [ "$imds_port" -eq 0 ]; then
  fail "no IMDS port in GET /status"
fi
himds_url="http://127.0.0.1:$imds_port"

# --- onboard (as scripts/quickstart.sh does) ----------------------------------------------------
echo "== onboarding with azcmagent connect"
cloud="$work/emulator/cloud.json"
subscription="$(jq -r .subscriptionId "$cloud")"
ca_cert="$(jq -r .caCertPath "$cloud")"
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
curl -sS --fail --cacert "$ca_cert" -X PUT \
  -H "Authorization: Bearer $owner_token" -H "Content-Type: application/json" \
  -d '{"location":"westeurope"}' \
  "$(jq -r .endpoints.arm "$cloud")/subscriptions/$subscription/resourcegroups/bench-rg?api-version=2022-09-01" \
  >/dev/null
(
  umask 077
  jq '{ "service-principal-id": .appId, "service-principal-secret": .password, "tenant-id": .tenant }' \
    "$work/onboarding-sp.json" >"$work/connect-config.json"
)
MSFT_ARC_TEST=true "$bin_dir/azcmagent" connect --config "$work/connect-config.json" \
  --cloud-config "$cloud" --subscription-id "$subscription" --resource-group bench-rg \
  --location westeurope --resource-name bench-imds >"$work/connect.log" 2>&1 ||
  { cat "$work/connect.log" >&2; fail "azcmagent connect failed"; }

# --- slot attack ------------------------------------------------------------------------------
if [ "$slot_attack" -eq 1 ]; then
  attacker=azcmtest-slots
  if ! id "$attacker" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$attacker"
    created_user="$attacker"
  fi
  samples=400
  if [ -n "${BENCH_DURATION:-}" ]; then
    samples=$((BENCH_DURATION * 40)) # one request every 25 ms
  elif [ "$rounds" -eq 1 ]; then
    samples=120
  fi
  echo "== slot attack: ${samples} legitimate requests per phase"
  echo "himds $(jq -r .version <<<"$(himds_status)" 2>/dev/null || echo) from $bin_dir, rate limits on"
  echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo);" \
    "load average at start ${load_at_start}"
  "${scheduling[@]}" "$bin_dir/imds_slot_bench" --port "$imds_port" --attacker "$attacker" \
    --samples "$samples"
  echo "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

# --- memory figures -------------------------------------------------------------------------
# Prints "<Rss kB> <Pss kB> <Private kB>" of a process from smaps_rollup.
memory_of() {
  awk '/^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 } /^Private_(Clean|Dirty):/ { private += $2 }
       END { if (rss == "") exit 1; print rss, pss, private }' "/proc/$1/smaps_rollup"
}
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f MiB", kib / 1024 }'; }

echo "== idle for ${idle_settle} s after connect, then sampling himds memory"
sleep "$idle_settle"
kill -0 "$himds_pid" 2>/dev/null || fail "himds exited after connect"
read -r idle_rss idle_pss idle_private < <(memory_of "$himds_pid")

# --- the metadata body, served by nginx as well ----------------------------------------------
status_code="$(curl -sS -o "$work/nginx/www/metadata/instance" -w '%{http_code}' \
  -H 'Metadata: true' "$himds_url$metadata_path")"
[ "$status_code" = 200 ] || fail "GET /metadata/instance answered $status_code, not 200"
body_bytes="$(wc -c <"$work/nginx/www/metadata/instance")"

# nginx as the reference: one worker process, as himds answers on one io thread; run as the
# invoking user; access log off (himds logs no access either); keepalive_requests raised so that
# nginx, like himds, never closes a keep-alive connection in the middle of the run; the open file
# cache spares it an open/fstat/close per request (himds answers from memory too).
nginx_user_line=""
if [ "$(id -u)" -eq 0 ]; then
  nginx_user_line="user $(id -un) $(id -gn);"
fi
start_nginx() {
  local port="$1"
  cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
$nginx_user_line
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    server_tokens off;
    sendfile on;
    keepalive_timeout 30s;
    keepalive_requests 100000000;
    open_file_cache max=16 inactive=60s;
    client_body_temp_path $work/nginx/client_body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    types { }
    default_type "application/json; charset=utf-8";
    server {
        listen 127.0.0.1:$port;
        root $work/nginx/www;
    }
}
CONF
  "${scheduling[@]}" "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
    >"$work/nginx/stdout.log" 2>&1 &
  nginx_pid="$!"
  pids_to_stop+=("$nginx_pid")
  wait_for 50 "$nginx_pid" curl -sS --fail -o /dev/null "http://127.0.0.1:$port/metadata/instance"
}
nginx_port=""
for _ in 1 2 3 4 5; do
  candidate=$((20000 + RANDOM % 40000))
  if [ -z "$(ss -Hltn "sport = :$candidate")" ] && start_nginx "$candidate"; then
    nginx_port="$candidate"
    break
  fi
done
[ -n "$nginx_port" ] || { cat "$work/nginx/error.log" >&2 || true; fail "nginx did not start"; }
nginx_url="http://127.0.0.1:$nginx_port"
curl -sS --fail -o "$work/nginx-body" "$nginx_url$metadata_path"
cmp -s "$work/nginx-body" "$work/nginx/www/metadata/instance" ||
  fail "nginx does not serve the body himds serves"

# --- load: metadata --------------------------------------------------------------------------
cat >"$work/wrk/metadata.lua" <<'LUA'
wrk.headers["Metadata"] = "true"
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "WRK_RESULT requests=%d seconds=%.3f non2xx=%d socket_errors=%d p50_ms=%.3f p99_ms=%.3f\n",
        summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

field() { # field <name> <file with *_RESULT lines>: the first value of that name
  grep '_RESULT ' "$2" | tr ' ' '\n' | awk -F= -v name="$1" '$1 == name && !seen { print $2; seen = 1 }'
}

# CPU time (user + system, all threads) a process has used so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
clock_ticks_per_second="$(getconf CLK_TCK)"

run_metadata() { # run_metadata <label> <url> <seconds> <server pid to charge CPU time to>
  local output="$work/wrk/metadata-$1.txt"
  local before after
  before="$(cpu_ticks "$4")"
  "${scheduling[@]}" wrk -t"$wrk_threads" -c"$wrk_connections" -d"$3s" -s "$work/wrk/metadata.lua" \
    "$2$metadata_path" >"$output" 2>&1 || { cat "$output" >&2; fail "wrk against $1 failed"; }
  after="$(cpu_ticks "$4")"
  echo "CPU_RESULT ticks=$((after - before))" >>"$output"
  grep -q '^WRK_RESULT ' "$output" || { cat "$output" >&2; fail "wrk against $1 printed no result"; }
}

# Samples himds memory every 0.2 s while the load runs; the largest figures win.
sampler() {
  local rss pss private
  while read -r rss pss private < <(memory_of "$himds_pid"); do
    echo "$rss $pss $private" >>"$work/memory-samples"
    sleep 0.2
  done
}
sampler &
pids_to_stop+=("$!")
sampler_pid="$!"

# Rounds alternate between the two servers so that both see the same background load.
echo "== metadata: wrk -t$wrk_threads -c$wrk_connections, $rounds round(s) of ${duration} s per server," \
  "alternating, after a ${warmup} s warm-up each"
# nginx answers in its worker process, the master's only child.
nginx_worker_pid="$(pgrep -P "$nginx_pid" | head -n1)"
[ -n "$nginx_worker_pid" ] || fail "no nginx worker process"
run_metadata himds-warmup "$himds_url" "$warmup" "$himds_pid"
run_metadata nginx-warmup "$nginx_url" "$warmup" "$nginx_worker_pid"
for round in $(seq 1 "$rounds"); do
  run_metadata "himds-$round" "$himds_url" "$duration" "$himds_pid"
  run_metadata "nginx-$round" "$nginx_url" "$duration" "$nginx_worker_pid"
done

# --- load: token exchanges -------------------------------------------------------------------
# One exchange by hand first: proves the flow and fills himds' token cache, so the timed run
# measures the challenge and a cache hit, not the one upstream call of a cold cache.
token_url="$himds_url/metadata/identity/oauth2/token?api-version=2019-11-01&resource=$token_resource"
challenge="$(curl -sS -o /dev/null -D - -H 'Metadata: true' "$token_url" | tr -d '\r' |
  sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: Basic realm=//p')"
if [ -z "$challenge" ] || [ ! -r "$challenge" ]; then
  fail "the token route gave no readable challenge"
fi
curl -sS --fail -o "$work/token.json" -H 'Metadata: true' \
  -H "Authorization: Basic $(cat "$challenge")" "$token_url" || fail "the token exchange failed"
jq -e '.access_token | length > 0' "$work/token.json" >/dev/null || fail "no access_token"

echo "== token exchanges: wrk -t1 -c1 -d${duration}s -s scripts/bench/token_exchange.lua"
exchange_output="$work/wrk/exchange.txt"
exchange_ticks_before="$(cpu_ticks "$himds_pid")"
TOKEN_RESOURCE="$token_resource" "${scheduling[@]}" \
  wrk -t1 -c1 -d"${duration}s" -s "$exchange_script" "$himds_url" \
  >"$exchange_output" 2>&1 || { cat "$exchange_output" >&2; fail "wrk token exchanges failed"; }
grep -q '^EXCHANGE_RESULT ' "$exchange_output" ||
  { cat "$exchange_output" >&2; fail "the exchange script printed no result"; }
exchange_ticks=$(($(cpu_ticks "$himds_pid") - exchange_ticks_before))

# The same exchanges while capped work spins beside himds : himds is not capped, so its
# latency should stay where it was on the idle machine.
capped_output="$work/wrk/exchange-capped.txt"
if [ "$capped_load" -eq 1 ]; then
  [ -x "$bin_dir/cpu_cap_bench" ] || fail "missing $bin_dir/cpu_cap_bench"
  echo "== token exchanges again, while gcservice's and an extension's groups spin at 5%"
  "$bin_dir/cpu_cap_bench" hold --seconds "$((duration + 3))" --cap 5 >"$work/hold.txt" 2>&1 &
  hold_pid=$!
  sleep 1.5
  TOKEN_RESOURCE="$token_resource" "${scheduling[@]}" \
    wrk -t1 -c1 -d"${duration}s" -s "$exchange_script" "$himds_url" \
    >"$capped_output" 2>&1 || { cat "$capped_output" >&2; fail "wrk token exchanges failed"; }
  wait "$hold_pid" || { cat "$work/hold.txt" >&2; fail "cpu_cap_bench hold failed"; }
  cat "$work/hold.txt"
fi

kill -TERM "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
kill -0 "$himds_pid" 2>/dev/null || fail "himds exited during the load"
read -r after_rss after_pss after_private < <(memory_of "$himds_pid")
read -r load_rss load_pss load_private < <(awk '
  $1 > rss { rss = $1 } $2 > pss { pss = $2 } $3 > private { private = $3 }
  END { print rss + 0, pss + 0, private + 0 }' "$work/memory-samples")

# --- results ---------------------------------------------------------------------------------
# Over all rounds of one server: "<requests/s> <non-2xx> <socket errors> <worst round's p99 ms>
# <server CPU microseconds per request>".
metadata_totals() {
  local label="$1" round file requests=0 seconds=0 non2xx=0 socket_errors=0 p99=0 ticks=0
  for round in $(seq 1 "$rounds"); do
    file="$work/wrk/metadata-$label-$round.txt"
    requests=$((requests + $(field requests "$file")))
    ticks=$((ticks + $(field ticks "$file")))
    seconds="$(awk -v a="$seconds" -v b="$(field seconds "$file")" 'BEGIN { print a + b }')"
    non2xx=$((non2xx + $(field non2xx "$file")))
    socket_errors=$((socket_errors + $(field socket_errors "$file")))
    p99="$(awk -v a="$p99" -v b="$(field p99_ms "$file")" 'BEGIN { print (b > a ? b : a) }')"
  done
  awk -v n="$requests" -v s="$seconds" -v e="$non2xx" -v x="$socket_errors" -v p="$p99" \
    -v t="$ticks" -v hz="$clock_ticks_per_second" \
    'BEGIN { printf "%.0f %d %d %.3f %.1f\n", n / s, e, x, p, (n > 0 ? t * 1e6 / hz / n : 0) }'
}
read -r himds_rps himds_non2xx himds_socket_errors himds_p99 himds_cpu_us < <(metadata_totals himds)
read -r nginx_rps nginx_non2xx nginx_socket_errors nginx_p99 nginx_cpu_us < <(metadata_totals nginx)
ratio="$(awk -v a="$himds_rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
round_ratios=""
for round in $(seq 1 "$rounds"); do
  round_ratios+="$(awk -v a="$(field requests "$work/wrk/metadata-himds-$round.txt")" \
    -v b="$(field requests "$work/wrk/metadata-nginx-$round.txt")" 'BEGIN { printf "%.2f ", a / b }')"
done
exchanges="$(field exchanges "$exchange_output")"
exchange_failures="$(field failures "$exchange_output")"
exchange_rate="$(field per_second "$exchange_output")"
exchange_p50="$(field p50_ms "$exchange_output")"
exchange_p99="$(field p99_ms "$exchange_output")"
exchange_max="$(field max_ms "$exchange_output")"
exchange_cpu_us="$(awk -v t="$exchange_ticks" -v hz="$clock_ticks_per_second" -v n="$exchanges" \
  'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')"

verdict() { # verdict <awk condition on x> <x>
  if awk -v x="$2" "BEGIN { exit !($1) }"; then
    echo PASS
  else
    echo MISS
  fi
}

echo
echo "himds $(jq -r .version <<<"$(himds_status)" 2>/dev/null || echo) from $bin_dir"
echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo);" \
  "load average at start ${load_at_start}, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "settings: wrk -t$wrk_threads -c$wrk_connections -d${duration}s (keep-alive, 'Metadata: true'), $rounds alternating"
echo "          round(s) per server after a ${warmup} s warm-up; ratio per round: ${round_ratios% }"
echo "          nginx $("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///'): 1 worker process to match himds' single io thread,"
echo "          access_log off, sendfile on, open_file_cache, the same ${body_bytes}-byte body from a file;"
echo "          token exchanges: wrk -t1 -c1 -d${duration}s, cache warm, rate limits off"
if [ "$realtime" -eq 1 ]; then
  echo "          --rt: himds, nginx and wrk ran under SCHED_FIFO priority 10"
fi
echo
printf '%-48s %18s %12s  %s\n' "figure" "measured" "goal" "result"
printf '%-48s %18s %12s  %s\n' "metadata requests/s, himds" "$himds_rps" "" ""
printf '%-48s %18s %12s  %s\n' "metadata requests/s, nginx (1 worker)" "$nginx_rps" "" ""
printf '%-48s %18s %12s  %s\n' "metadata ratio himds/nginx" "$ratio" ">= $goal_ratio" \
  "$(verdict "x >= $goal_ratio" "$ratio")"
printf '%-48s %18s %12s  %s\n' "metadata p99, worst round, himds / nginx" \
  "$himds_p99 / $nginx_p99 ms" "" ""
printf '%-48s %18s %12s  %s\n' "metadata server CPU per request, himds / nginx" \
  "$himds_cpu_us / $nginx_cpu_us us" "" ""
printf '%-48s %18s %12s  %s\n' "token exchanges/s (1 connection)" "$exchange_rate" "" ""
printf '%-48s %18s %12s  %s\n' "token exchange p50" "$exchange_p50 ms" "" ""
printf '%-48s %18s %12s  %s\n' "token exchange p99" "$exchange_p99 ms" "< $goal_exchange_p99_ms ms" \
  "$(verdict "x < $goal_exchange_p99_ms" "$exchange_p99")"
printf '%-48s %18s %12s  %s\n' "token exchange max" "$exchange_max ms" "" ""
printf '%-48s %18s %12s  %s\n' "himds CPU per token exchange" "$exchange_cpu_us us" "" ""
if [ "$capped_load" -eq 1 ]; then
  printf '%-48s %18s %12s  %s\n' "token exchange p50 / p99, idle machine" \
    "$exchange_p50 / $exchange_p99 ms" "" ""
  printf '%-48s %18s %12s  %s\n' "token exchange p50 / p99, capped spinners beside" \
    "$(field p50_ms "$capped_output") / $(field p99_ms "$capped_output") ms" "" ""
  printf '%-48s %18s %12s  %s\n' "token exchanges/s, idle / capped spinners beside" \
    "$exchange_rate / $(field per_second "$capped_output")" "" ""
fi
printf '%-48s %18s %12s  %s\n' "himds idle RSS" "$(mib "$idle_rss")" "< 16 MiB" \
  "$(verdict "x < $goal_idle_rss_kib" "$idle_rss")"
printf '%-48s %18s %12s  %s\n' "himds idle PSS" "$(mib "$idle_pss")" "< 10 MiB" \
  "$(verdict "x < $goal_idle_pss_kib" "$idle_pss")"
printf '%-48s %18s %12s  %s\n' "himds idle private (USS)" "$(mib "$idle_private")" "" ""
printf '%-48s %18s %12s  %s\n' "himds RSS / PSS under load (max sampled)" \
  "$(mib "$load_rss") / $(mib "$load_pss")" "" ""
printf '%-48s %18s %12s  %s\n' "himds RSS / PSS right after load" \
  "$(mib "$after_rss") / $(mib "$after_pss")" "" ""
printf '%-48s %18s %12s  %s\n' "himds private (USS) under load / after" \
  "$(mib "$load_private") / $(mib "$after_private")" "" ""
echo

# Broken, not slow: any failed request or exchange makes the run worthless.
broken=0
if [ "$himds_non2xx" != 0 ] || [ "$himds_socket_errors" != 0 ]; then
  echo "bench-imds: the himds metadata runs had $himds_non2xx non-2xx answers and" \
    "$himds_socket_errors socket errors" >&2
  broken=1
fi
if [ "$nginx_non2xx" != 0 ] || [ "$nginx_socket_errors" != 0 ]; then
  echo "bench-imds: the nginx metadata runs had $nginx_non2xx non-2xx answers and" \
    "$nginx_socket_errors socket errors" >&2
  broken=1
fi
if [ "$exchange_failures" != 0 ] || [ "$(field socket_errors "$exchange_output")" != 0 ] ||
  [ "${exchanges:-0}" -eq 0 ]; then
  echo "bench-imds: $exchange_failures failed token exchanges, $exchanges complete" >&2
  grep '^first failure' "$exchange_output" >&2 || true
  broken=1
fi
[ "$broken" -eq 0 ] || exit 1
