# Shared by the benchmark scripts (sourced, not run).

# stop_started_processes PID...: stops each process, newest (last) first: SIGTERM, up to 5 s to
# exit, then SIGKILL; reaps it.
stop_started_processes() {
  local pids=("$@") index pid
  for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
    pid="${pids[index]}"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
}
