#!/usr/bin/env bash
# The Windows agent end to end under wine: the four daemons (himds.exe, gc_arc_service.exe,
# gc_extension_service.exe, arcproxy.exe) installed as services in wine's service manager under
# the real agent's service names, started (RUNNING only once each one's listeners are bound),
# then azcmagent.exe connects the machine to a Linux arc-emulator over TLS, himds.exe heartbeats,
# a managed-identity token is issued through the file-based challenge, `azcmagent.exe show`
# reads every service's status over its named pipe, `disconnect` deletes the resource, and a
# STOP of each service ends it with exit code 0.
#
# The services run in a sandbox: AZCM_ROOT (and the other sandbox variables, docs/architecture.md)
# are in the environment of wine's services.exe, which every service inherits.
#
# Usage: agent_services_test.sh WINDOWS_BIN_DIR LINUX_ARC_EMULATOR
set -euo pipefail

if [[ $# -ne 2 || ! -d $1 ]]; then
    echo "usage: $0 WINDOWS_BIN_DIR LINUX_ARC_EMULATOR" >&2
    exit 2
fi
bin=$(realpath "$1")
emulator=$2
if [[ ! -x $emulator ]]; then
    echo "FAIL: no Linux arc-emulator at $emulator: build the default preset first" >&2
    exit 1
fi
began=$(date +%s)

work=$(mktemp -d)
export WINEPREFIX=$work/prefix
export WINEDEBUG=-all
wine_log=$work/wine.log
emulator_pid=
cleanup() {
    local status=$?
    wineserver -k >/dev/null 2>&1 || true
    if [[ -n $emulator_pid ]]; then
        kill "$emulator_pid" 2>/dev/null || true
    fi
    if ((status != 0)); then
        echo "--- wine's output (last 30 lines)"
        tail -n 30 "$wine_log"
        for log in "$work"/root/ProgramData/AzureConnectedMachineAgent/Log/himds/himds.log "$work"/emulator.out; do
            [[ -f $log ]] && { echo "--- $log (last 20 lines)"; tail -n 20 "$log"; }
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT
exec 2>>"$wine_log"

# shellcheck source=wine_services.sh
source "$(dirname "$0")/wine_services.sh"

# The control plane, on Linux as in production it is in Azure.
mkdir -p "$work/root"
port=$((41000 + RANDOM % 2000))
"$emulator" --data-dir "$work/emulator" --listen "127.0.0.1:$port" >"$work/emulator.out" 2>&1 &
emulator_pid=$!
cloud=$work/emulator/cloud.json
for ((i = 0; i < 100; i++)); do
    [[ -s $cloud ]] && break
    sleep 0.1
done
[[ -s $cloud ]] || { fail "arc-emulator did not start"; exit 1; }
subscription=$(jq -r .subscriptionId "$cloud")
tenant=$(jq -r .tenantId "$cloud")
ca=$(jq -r .caCertPath "$cloud")
entra=$(jq -r .endpoints.entra "$cloud")
arm=$(jq -r .endpoints.arm "$cloud")

# The sandbox the services inherit through services.exe (started by wineboot below).
# wine maps drive Z: to /.
root_path=$work/root
export AZCM_ROOT="Z:${root_path//\//\\}"
export AZCM_IMDS_PORT=0 AZCM_PROXY_PORT=0 AZCM_HEARTBEAT_INTERVAL=2 MSFT_ARC_TEST=true

# A service's environment is the system's (CreateEnvironmentBlock reads it from the registry),
# as on Windows: the sandbox variables go there, set before services.exe starts its first service.
set_sandbox_variables() {
    local variable
    for variable in AZCM_ROOT AZCM_IMDS_PORT AZCM_PROXY_PORT AZCM_HEARTBEAT_INTERVAL MSFT_ARC_TEST; do
        wine reg add 'HKLM\System\CurrentControlSet\Control\Session Manager\Environment' \
            /v "$variable" /t REG_SZ /d "${!variable}" /f >/dev/null
    done
}
wine_services_prefix set_sandbox_variables
echo "prefix ready after $(($(date +%s) - began)) s"

declare -A program=([himds]=himds.exe [GCArcService]=gc_arc_service.exe
    [ExtensionService]=gc_extension_service.exe [arcproxy]=arcproxy.exe)
for name in himds arcproxy GCArcService ExtensionService; do
    exe=$(winepath -w "$bin/${program[$name]}")
    if ! sc create "$name" binpath= "\"$exe\"" >/dev/null; then
        fail "$name: sc create"
        continue
    fi
    sc start "$name" >/dev/null || true
    if wait_for_state "$name" 4; then
        pass "$name: RUNNING after sc start"
    else
        fail "$name: not RUNNING (STATE $(field "$name" STATE))"
    fi
    # A service outside the sandbox would write to this host's own agent directories: stop at once.
    if [[ $name == himds && ! -d $work/root/ProgramData/AzureConnectedMachineAgent ]]; then
        fail "himds.exe did not start in the sandbox (AZCM_ROOT not in its environment)"
        sc stop himds >/dev/null || true
        exit 1
    fi
done
himds_log=$work/root/ProgramData/AzureConnectedMachineAgent/Log/himds/himds.log
if grep -q "DAEMON_READY daemon=himds" "$himds_log" 2>/dev/null; then
    pass "himds.exe logged DAEMON_READY in its sandbox"
else
    fail "himds.exe did not log DAEMON_READY"
fi

azcmagent() { wine "$bin/azcmagent.exe" "$@" | tr -d '\r'; }

# The four services, each asked over its named pipe.
show=$(azcmagent show --json)
# The Windows service names (platform::installedServiceName), not the Linux units.
for key in himds arcproxy ExtensionService GCArcService; do
    state=$(jq -r --arg key "$key" '.services[]? | select(.serviceName == $key) | .status' \
        <<<"$show" 2>/dev/null || true)
    if [[ $state == running ]]; then
        pass "show: $key running (named pipe)"
    else
        fail "show: $key is '${state}', expected running"
    fi
done

# Onboarding with a service principal whose secret is in a --config file, never in argv.
owner_token=$(curl -sf --cacert "$ca" \
    -d "grant_type=client_credentials&client_id=$(jq -r .bootstrapOwner.appId "$cloud")" \
    --data-urlencode "client_secret=$(jq -r .bootstrapOwner.password "$cloud")" \
    --data-urlencode "scope=https://management.azure.com/.default" \
    "$entra/$tenant/oauth2/v2.0/token" | jq -r .access_token)
curl -sf --cacert "$ca" -X PUT -H "Authorization: Bearer $owner_token" \
    -H 'Content-Type: application/json' -d '{"location":"westeurope"}' \
    "$arm/subscriptions/$subscription/resourcegroups/rg?api-version=2021-04-01" >/dev/null
sp=$("$emulator" sp create --data-dir "$work/emulator" --name winsp \
    --role "Azure Connected Machine Onboarding" --scope "/subscriptions/$subscription")
umask 077
jq -n --arg secret "$(jq -r .password <<<"$sp")" '{"service-principal-secret": $secret}' \
    >"$work/sp.json"
if azcmagent connect --subscription-id "$subscription" --resource-group rg \
    --location westeurope --resource-name winbox --cloud-config "$(winepath -w "$cloud")" \
    --service-principal-id "$(jq -r .appId <<<"$sp")" --tenant-id "$tenant" \
    --config "$(winepath -w "$work/sp.json")" >"$work/connect.out"; then
    pass "azcmagent.exe connect"
else
    fail "azcmagent.exe connect: $(cat "$work/connect.out")"
fi

for ((i = 0; i < 100; i++)); do
    grep -q HEARTBEAT_OK "$himds_log" 2>/dev/null && break
    sleep 0.1
done
if grep -q HEARTBEAT_OK "$himds_log"; then
    pass "himds.exe heartbeat accepted by the control plane"
else
    fail "no HEARTBEAT_OK from himds.exe"
fi
show=$(azcmagent show --json)
if [[ $(jq -r .status <<<"$show") == Connected ]]; then
    pass "show: Connected"
else
    fail "show: status $(jq -r .status <<<"$show")"
fi

# The managed-identity token through the challenge: a 401 naming a key file, whose content
# proves the caller may read the tokens directory.
imds_port=$(grep -o 'imdsPort=[0-9]*' "$himds_log" | tail -n 1 | cut -d= -f2 || true)
token_url="http://127.0.0.1:$imds_port/metadata/identity/oauth2/token?api-version=2020-06-01"
token_url+="&resource=https%3A%2F%2Fmanagement.azure.com"
realm=$(curl -s -D - -o /dev/null -H Metadata:true "$token_url" |
    tr -d '\r' | sed -n 's/^WWW-Authenticate: Basic realm=//Ip')
key_file=$(winepath -u "$realm" 2>/dev/null || true)
if [[ -n $realm && -f $key_file ]]; then
    pass "challenge: key file $realm"
    if [[ $realm == *\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\*.key && $realm != */* ]]; then
        pass "challenge: the realm is a Windows path"
    else
        fail "challenge: the realm mixes separators: $realm"
    fi
    token=$(curl -s -H Metadata:true -H "Authorization: Basic $(cat "$key_file")" "$token_url" |
        jq -r '.access_token // empty')
    if [[ $token == *.*.* ]]; then
        pass "challenge: token issued"
    else
        fail "challenge: no token"
    fi
    if [[ ! -e $key_file ]]; then
        pass "challenge: key file deleted once redeemed"
    else
        fail "challenge: key file left behind"
    fi
else
    fail "challenge: no key file named (realm '$realm')"
fi

# Onboarding may not delete: disconnecting takes the resource administrator's role.
admin=$("$emulator" sp create --data-dir "$work/emulator" --name winadmin \
    --role "Azure Connected Machine Resource Administrator" --scope "/subscriptions/$subscription")
jq -n --arg secret "$(jq -r .password <<<"$admin")" '{"service-principal-secret": $secret}' \
    >"$work/admin.json"
if azcmagent disconnect --service-principal-id "$(jq -r .appId <<<"$admin")" \
    --tenant-id "$tenant" --config "$(winepath -w "$work/admin.json")" >"$work/disconnect.out"; then
    pass "azcmagent.exe disconnect"
else
    fail "azcmagent.exe disconnect: $(cat "$work/disconnect.out")"
fi
machine_status=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" \
    -H "Authorization: Bearer $owner_token" \
    "$arm/subscriptions/$subscription/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/winbox?api-version=2022-12-27")
if [[ $machine_status == 404 ]]; then
    pass "the machine resource is gone"
else
    fail "GET machine after disconnect: HTTP $machine_status"
fi

for name in ExtensionService GCArcService arcproxy himds; do
    sc stop "$name" >/dev/null || true
    if wait_for_state "$name" 1 && [[ $(field "$name" WIN32_EXIT_CODE) == 0 ]]; then
        pass "$name: STOPPED with exit code 0 after sc stop"
    else
        fail "$name: STATE $(field "$name" STATE), WIN32_EXIT_CODE $(field "$name" WIN32_EXIT_CODE)"
    fi
done

echo "agent services test: $failures failure(s) in $(($(date +%s) - began)) s"
((failures == 0))
