#!/usr/bin/env bash
# The CPU-cap benchmark (docs/benchmarks.md), on the real cgroup tree (needs root):
#   1. for caps of 5, 20 and 50% of one CPU, a process spinning on two threads in an extension
#      group: its share per 10-second window (min, median, max) against the cap;
#   2. how long a cap change takes to reach the kernel;
#   3. himds token-exchange latency on the idle machine and while gcservice's and an extension's
#      groups spin at their 5% caps, side by side (scripts/bench-imds.sh --capped-load).
#
#   bash scripts/bench-cpu.sh           6 windows of 10 s per cap
#   bash scripts/bench-cpu.sh --quick   2 windows of 5 s per cap, short himds runs
#
# Environment: BIN_DIR (default <repo>/build/bin).
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$script_dir/.." && pwd)"
bin_dir="${BIN_DIR:-$repo/build/bin}"
windows=6
window_seconds=10
imds_mode=()
case "${1:-}" in
  --quick)
    windows=2
    window_seconds=5
    imds_mode=(--quick)
    ;;
  "") ;;
  *)
    echo "bench-cpu: unknown argument '$1' (try --quick)" >&2
    exit 2
    ;;
esac
if [ "$(id -u)" -ne 0 ]; then
  echo "bench-cpu: needs root (writes the cgroup tree)" >&2
  exit 2
fi
[ -x "$bin_dir/cpu_cap_bench" ] || bash "$repo/scripts/build.sh" >/dev/null

echo "== 1. share of one CPU per ${window_seconds}-second window, spinner on two threads"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin_dir/cpu_cap_bench" shares --caps 5,20,50 --windows "$windows" --window-seconds "$window_seconds"
echo
echo "== 2. cap change latency"
"$bin_dir/cpu_cap_bench" change --count 200
echo
echo "== 3. himds token latency, idle and beside capped spinners"
BIN_DIR="$bin_dir" bash "$repo/scripts/bench-imds.sh" "${imds_mode[@]}" --capped-load |
  sed -n '/^figure/,$p' | grep -E '^figure|token exchange'
