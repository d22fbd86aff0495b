# shellcheck shell=bash
# Sourced by the Windows tests that use wine's service manager (bash): pass/fail counting, the
# prefix with one services.exe kept by a persistent wineserver, and `sc` helpers.
# Needs WINEPREFIX set by the caller.

failures=0
pass() { echo "ok:   $*"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Makes the prefix. Creating one leaves two services.exe answering the service manager's pipe in
# turn (one from the first start, one from the configuration update), each with its own
# services, so every other `sc` call would not see a service just created: one restart leaves
# one. Wine keeps services only while its wineserver lives, hence -p. A function named in $1 runs
# after the prefix exists and before that restart (to set what services.exe must start with).
wine_services_prefix() {
    local before_restart=${1:-}
    mkdir -p "$WINEPREFIX"
    wine wineboot -i >/dev/null
    if [[ -n $before_restart ]]; then
        "$before_restart"
    fi
    wineserver -k
    wineserver -p
    wine wineboot >/dev/null
}

sc() { wine sc "$@" | tr -d '\r'; }

# The value of one field of `sc query NAME` (STATE, WIN32_EXIT_CODE, SERVICE_EXIT_CODE).
field() { sc query "$1" | awk -v key="$2" '$1 == key { print $3; exit }'; }

# Waits up to 30 s for the service's STATE to be the given number (1 stopped, 4 running).
wait_for_state() {
    local name=$1 state=$2 i
    for ((i = 0; i < 300; i++)); do
        [[ $(field "$name" STATE) == "$state" ]] && return 0
        sleep 0.1
    done
    return 1
}
