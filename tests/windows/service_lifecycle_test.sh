#!/usr/bin/env bash
# The real service path under wine's service manager: service_probe.exe is installed as a
# service, started (RUNNING only once the probe says it is ready), stopped (the SCM's STOP takes
# the probe's one shutdown path, which writes a marker file) and its exit code checked, once with
# 0 and once with a service-specific code. Wine keeps services only while its wineserver lives,
# so a persistent one (wineserver -p) runs for the whole test in a prefix of its own.
#
# Usage: service_lifecycle_test.sh PATH/TO/service_probe.exe
set -euo pipefail

if [[ $# -ne 1 || ! -f $1 ]]; then
    echo "usage: $0 PATH/TO/service_probe.exe" >&2
    exit 2
fi
probe=$(realpath "$1")
began=$(date +%s)

work=$(mktemp -d)
export WINEPREFIX=$work/prefix
# services.exe and the services it starts inherit this: "eventlog" is the channel wine's
# ReportEventW writes the events' text to (wine keeps no readable Event Log).
export WINEDEBUG=-all,+eventlog
wine_log=$work/wine.log
cleanup() {
    local status=$?
    wineserver -k >/dev/null 2>&1 || true
    if ((status != 0)); then
        echo "--- wine's output (last 40 lines)"
        tail -n 40 "$wine_log"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# Everything wine writes goes to the log, whichever process writes it: services.exe (and so the
# services) inherit the stderr of whichever wine command first needed them.
exec 2>>"$wine_log"

# shellcheck source=wine_services.sh
source "$(dirname "$0")/wine_services.sh"
wine_services_prefix ""
echo "prefix ready after $(($(date +%s) - began)) s"

# One service's life: create, start, RUNNING, stop, STOPPED, marker, exit codes, delete.
check_service() {
    local name=$1 exit_code=$2 expect_win32=$3
    local marker=$work/$name.marker
    local binpath
    binpath="\"$(winepath -w "$probe")\" \"$(winepath -w "$marker")\" --service-name $name"
    binpath+=" --exit-code $exit_code"

    if sc create "$name" binpath= "$binpath" >/dev/null &&
        [[ $(field "$name" STATE) == 1 ]]; then
        pass "$name: created, STOPPED"
    else
        fail "$name: sc create"
        return
    fi

    sc start "$name" >/dev/null || true
    if wait_for_state "$name" 4; then
        pass "$name: RUNNING after sc start"
    else
        fail "$name: not RUNNING after sc start (STATE $(field "$name" STATE))"
    fi
    if [[ ! -e $marker ]]; then
        pass "$name: no marker before the stop (the shutdown path has not run)"
    else
        fail "$name: marker present before the stop"
    fi

    sc stop "$name" >/dev/null || true
    if wait_for_state "$name" 1; then
        pass "$name: STOPPED after sc stop"
    else
        fail "$name: not STOPPED after sc stop (STATE $(field "$name" STATE))"
    fi
    if [[ -f $marker ]] && grep -q "stopped through the shutdown request" "$marker"; then
        pass "$name: marker written by the shutdown path"
    else
        fail "$name: no marker: the STOP did not reach the shutdown path"
    fi
    local win32 specific
    win32=$(field "$name" WIN32_EXIT_CODE)
    specific=$(field "$name" SERVICE_EXIT_CODE)
    if [[ $win32 == "$expect_win32" && $specific == "$exit_code" ]]; then
        pass "$name: WIN32_EXIT_CODE $win32, SERVICE_EXIT_CODE $specific"
    else
        fail "$name: exit codes $win32/$specific, expected $expect_win32/$exit_code"
    fi

    if sc delete "$name" >/dev/null; then
        pass "$name: deleted"
    else
        fail "$name: sc delete"
    fi
}

check_service azcmprobe 0 0
# 1066 = ERROR_SERVICE_SPECIFIC_ERROR: the daemon's own exit code is in SERVICE_EXIT_CODE.
check_service azcmprobefail 70 1066

# The Event Log: wine 8 keeps no log to read back (OpenEventLogW/ReadEventLogW are stubs), but
# its ReportEventW writes each event's text to the "eventlog" debug channel, which the services
# inherited from services.exe: information events as traces, error events as errors.
for expected in 'trace:eventlog:ReportEventW L"started: probe ready"' \
    'trace:eventlog:ReportEventW L"stopped"' \
    'err:eventlog:ReportEventW L"stopped with exit code 70"'; do
    if grep -qaF "$expected" "$wine_log"; then
        pass "event log: $expected"
    else
        fail "event log: no $expected"
    fi
done

echo "took $(($(date +%s) - began)) s"
if ((failures > 0)); then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
