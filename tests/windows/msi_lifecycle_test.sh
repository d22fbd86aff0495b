#!/usr/bin/env bash
# pass() always succeeds, so "A && pass ... || fail ..." is an if-then-else here.
# shellcheck disable=SC2015
# The MSI under wine (docs/windows.md, "The MSI"): AzureConnectedMachineAgent.msi installed with
# `msiexec /i /qn` into a fresh prefix, where the agent runs as installed (no sandbox: the real
# %ProgramFiles% and %ProgramData% layout):
#   - the signatures of the MSI and of each program verify against the signing certificate;
#   - the files land in the real agent's folders, OpenSSL's DLLs (stored once in the MSI) beside
#     each folder's programs, the four services are RUNNING, azcmagent.exe
#     is on the machine's Path, IDENTITY_ENDPOINT and IMDS_ENDPOINT are machine variables, the
#     data directories exist with their DACLs, `azcmagent.exe show` reaches every service, the
#     scheduled task \Microsoft\AzureConnectedMachineAgent\AutoUpgrade is registered (removed
#     again by the uninstall; wine keeps only its name and settings);
#   - a service stops and starts through the service manager;
#   - a newer build (the same programs repackaged with a higher version: Windows Installer
#     compares only the first three fields) upgrades it in place, keeping %ProgramData%;
#   - an older build is refused;
#   - `msiexec /x` removes the programs, services and variables and keeps %ProgramData%;
#   - the Linux arc-emulator's `agent publish` takes the MSI as the msi platform's package.
#
# Usage: msi_lifecycle_test.sh MSI WINDOWS_BIN_DIR VERSION SIGNING_KEY SIGNING_CERT EMULATOR
set -euo pipefail

if [[ $# -ne 6 || ! -f $1 ]]; then
    echo "usage: $0 MSI WINDOWS_BIN_DIR VERSION SIGNING_KEY SIGNING_CERT EMULATOR" >&2
    exit 2
fi
if [[ ! -x $6 ]]; then
    echo "FAIL: no Linux arc-emulator at $6: build the default preset first" >&2
    exit 1
fi
emulator=$(realpath "$6")
msi=$(realpath "$1")
bin=$(realpath "$2")
version=$3
key=$4
cert=$5
here=$(cd "$(dirname "$0")" && pwd)
began=$(date +%s)

work=$(mktemp -d)
export WINEPREFIX=$work/prefix
export WINEDEBUG=-all
wine_log=$work/wine.log
cleanup() {
    local status=$?
    wineserver -k >/dev/null 2>&1 || true
    if ((status != 0)); then
        echo "--- wine's output (last 30 lines)"
        tail -n 30 "$wine_log"
        local log
        for log in "$work"/*.msilog; do
            echo "--- $log (errors)"
            grep -aiE 'error|fail|return value 3' "$log" | tail -n 20 || true
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT
exec 2>>"$wine_log"

# shellcheck source=wine_services.sh
source "$here/wine_services.sh"

# Signatures: osslsigncode checks each against the build's signing certificate.
for signed in "$msi" "${msi%.msi}.stage/himds.exe" "${msi%.msi}.stage/azcmagent.exe" \
    "${msi%.msi}.stage/libcrypto-3-x64.dll"; do
    if osslsigncode verify -CAfile "$cert" -in "$signed" >/dev/null 2>&1; then
        pass "signature verifies: $(basename "$signed")"
    else
        fail "signature does not verify: $signed"
    fi
done
unsigned_copy=$work/unsigned.exe
cp "$bin/himds.exe" "$unsigned_copy"
if ! osslsigncode verify -CAfile "$cert" -in "$unsigned_copy" >/dev/null 2>&1; then
    pass "an unsigned program does not verify"
else
    fail "an unsigned program verifies"
fi

wine_services_prefix ""
echo "prefix ready after $(($(date +%s) - began)) s"

drive_c=$WINEPREFIX/drive_c
program_dir="$drive_c/Program Files/AzureConnectedMachineAgent"
data_dir=$drive_c/ProgramData/AzureConnectedMachineAgent
environment_key='HKLM\System\CurrentControlSet\Control\Session Manager\Environment'
services=(himds arcproxy GCArcService ExtensionService)

msiexec() {
    local log=$1
    shift
    wine msiexec "$@" /qn /l*v "$(winepath -w "$work/$log.msilog")" >/dev/null
}
machine_variable() {
    wine reg query "$environment_key" /v "$1" 2>/dev/null | tr -d '\r' |
        awk -v name="$1" 'toupper($1) == toupper(name) { $1 = ""; $2 = ""; sub(/^  */, ""); print }'
}
installed_versions() {
    wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s 2>/dev/null |
        tr -d '\r' | awk '
            /^HKEY/ { name = 0 }
            $1 == "DisplayName" && $0 ~ /Azure Connected Machine Agent/ { name = 1 }
            $1 == "DisplayVersion" { version = $3 }
            name && version { print version; name = 0; version = "" }'
}
check_running() {
    local when=$1 name
    for name in "${services[@]}"; do
        if wait_for_state "$name" 4; then
            pass "$when: $name RUNNING"
        else
            fail "$when: $name not RUNNING (STATE $(field "$name" STATE))"
        fi
    done
}

# --- install
# The automatic upgrades' scheduled task as the Task Scheduler stores it (UTF-16, read as ASCII);
# empty when there is none.
autoupgrade_task() {
    local file
    file=$(find "$WINEPREFIX/drive_c/windows/system32" -ipath '*/tasks/microsoft/azureconnectedmachineagent/autoupgrade' \
        -type f 2>/dev/null | head -n 1)
    [[ -n $file ]] && tr -d '\0' <"$file"
}

if msiexec install /i "$(winepath -w "$msi")"; then
    pass "msiexec /i exited 0"
else
    fail "msiexec /i failed"
    exit 1
fi
for file in azcmagent.exe azcm_setup.exe himds.exe arcproxy.exe GCArcService2/GC/gc_arc_service.exe \
    ExtensionService2/GC/gc_extension_service.exe; do
    [[ -f $program_dir/$file ]] && pass "installed: $file" || fail "missing: $program_dir/$file"
done
# Each folder with a program holds the DLLs it loads, the same bytes as the signed stage copy.
dll_folders=("" GCArcService2/GC/ ExtensionService2/GC/)
for folder in "${dll_folders[@]}"; do
    for dll in libcrypto-3-x64.dll libssl-3-x64.dll; do
        if cmp -s "$program_dir/$folder$dll" "${msi%.msi}.stage/$dll"; then
            pass "installed: $folder$dll"
        else
            fail "missing or different: $program_dir/$folder$dll"
        fi
    done
done
stored=$(msiinfo export "$msi" File | grep -c 'libcrypto-3-x64.dll' || true)
[[ $stored == 1 ]] && pass "libcrypto is stored once in the MSI" ||
    fail "libcrypto is stored $stored times"
check_running "install"
# Each service's account, as the service manager keeps it (wine's sc has no qc).
service_account() {
    local services_key='HKLM\System\CurrentControlSet\Services'
    wine reg query "$services_key\\$1" /v ObjectName 2>/dev/null |
        tr -d '\r' | awk '$1 == "ObjectName" { $1 = ""; $2 = ""; sub(/^  */, ""); print }'
}
for expected in 'himds=NT SERVICE\himds' 'arcproxy=NT AUTHORITY\NetworkService' \
    'GCArcService=LocalSystem' 'ExtensionService=LocalSystem'; do
    name=${expected%%=*}
    account=$(service_account "$name" || true)
    if [[ $account == "${expected#*=}" ]]; then
        pass "$name runs as $account"
    else
        fail "$name runs as '$account', expected '${expected#*=}'"
    fi
done
for directory in Config Certs Tokens Log Log/himds Log/arcproxy; do
    [[ -d $data_dir/$directory ]] && pass "data directory: $directory" ||
        fail "no data directory $directory"
done
[[ -d $drive_c/ProgramData/GuestConfig/gc_state && -d $drive_c/Packages/Plugins ]] &&
    pass "data directories: GuestConfig, Packages\\Plugins" || fail "no GuestConfig or Packages\\Plugins"
if [[ $(machine_variable IDENTITY_ENDPOINT) == http://localhost:40342/metadata/identity/oauth2/token &&
    $(machine_variable IMDS_ENDPOINT) == http://localhost:40342 ]]; then
    pass "machine variables IDENTITY_ENDPOINT and IMDS_ENDPOINT"
else
    fail "machine variables: '$(machine_variable IDENTITY_ENDPOINT)' '$(machine_variable IMDS_ENDPOINT)'"
fi
if machine_variable Path | tr ';' '\n' | grep -qixF 'C:\Program Files\AzureConnectedMachineAgent'; then
    pass "the program directory is on the machine's Path"
else
    fail "Path: $(machine_variable Path)"
fi
# Through Path, as an administrator would type it: every service answers over its pipe.
show=$(wine cmd /c "set PATH=%PATH%;C:\\Program Files\\AzureConnectedMachineAgent&& azcmagent show --json" \
    2>/dev/null | tr -d '\r' || true)
if [[ $(jq -r '[.services[] | select(.status == "running")] | length' <<<"$show" 2>/dev/null) == 4 ]]; then
    pass "azcmagent show: four services running"
else
    fail "azcmagent show: $show"
fi
# wine's Task Scheduler stores a task again from what it parsed, and it parses no triggers,
# principals nor actions: those parts of the definition are checked by AutoUpgradeTask.* in
# windows_platform_tests; here, that the task is registered under its name with its settings.
task=$(autoupgrade_task || true)
if [[ $task == *'<URI>\Microsoft\AzureConnectedMachineAgent\AutoUpgrade</URI>'* &&
    $task == *'<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>'* &&
    $task == *'<ExecutionTimeLimit>PT1H</ExecutionTimeLimit>'* ]]; then
    pass "scheduled task \\Microsoft\\AzureConnectedMachineAgent\\AutoUpgrade registered"
else
    fail "no scheduled task AutoUpgrade as the MSI's helper defines it: $task"
fi
[[ ! -e $program_dir/AutoUpgradeTask.xml ]] && pass "the task's definition file is removed" ||
    fail "AutoUpgradeTask.xml left in $program_dir"
if [[ $(installed_versions) == "$version" ]]; then
    pass "installed product version $version"
else
    fail "installed versions: $(installed_versions | tr '\n' ' ')"
fi

# --- stop and start through the service manager
sc stop himds >/dev/null || true
wait_for_state himds 1 && pass "himds STOPPED after sc stop" || fail "himds did not stop"
[[ $(field himds WIN32_EXIT_CODE) == 0 ]] && pass "himds exit code 0" ||
    fail "himds exit code $(field himds WIN32_EXIT_CODE)"
sc start himds >/dev/null || true
wait_for_state himds 4 && pass "himds RUNNING after sc start" || fail "himds did not start again"

# State an upgrade and an uninstall must keep.
marker=$data_dir/Config/kept.marker
echo "kept" >"$marker"

# --- upgrade: a newer build of the same programs
IFS=. read -r major minor build revision <<<"$version"
newer=$major.$minor.$((build + 1)).$revision
bash "$here/../../packaging/windows/build-msi.sh" --bin-dir "$bin" --version "$newer" \
    --out "$work/newer.msi" --key "$key" --cert "$cert"
if msiexec upgrade /i "$(winepath -w "$work/newer.msi")"; then
    pass "upgrade to $newer: msiexec exited 0"
else
    fail "upgrade to $newer failed"
fi
if [[ $(installed_versions) == "$newer" ]]; then
    pass "upgrade: one product installed, version $newer"
else
    fail "upgrade: installed versions $(installed_versions | tr '\n' ' ')"
fi
check_running "upgrade"
[[ -f $marker ]] && pass "upgrade kept %ProgramData%" || fail "upgrade lost $marker"
[[ -n $(machine_variable IDENTITY_ENDPOINT) ]] && pass "upgrade kept the machine variables" ||
    fail "upgrade removed IDENTITY_ENDPOINT"
[[ -n $(autoupgrade_task || true) ]] && pass "upgrade kept the scheduled task" ||
    fail "upgrade removed the scheduled task AutoUpgrade"

# --- an older build is refused and changes nothing
if ! msiexec downgrade /i "$(winepath -w "$msi")"; then
    pass "downgrade refused"
else
    fail "downgrade to $version was accepted"
fi
[[ $(installed_versions) == "$newer" ]] && pass "downgrade left $newer" ||
    fail "after the downgrade: $(installed_versions | tr '\n' ' ')"

# --- uninstall
if msiexec uninstall /x "$(winepath -w "$work/newer.msi")"; then
    pass "msiexec /x exited 0"
else
    fail "msiexec /x failed"
fi
for name in "${services[@]}"; do
    if ! wine sc query "$name" >/dev/null 2>&1; then
        pass "uninstall: service $name removed"
    else
        fail "uninstall: service $name still there"
    fi
done
[[ ! -f $program_dir/himds.exe ]] && pass "uninstall: programs removed" || fail "himds.exe left behind"
for folder in "${dll_folders[@]}"; do
    [[ ! -f $program_dir/${folder}libcrypto-3-x64.dll ]] && pass "uninstall: ${folder}libcrypto removed" ||
        fail "uninstall left $program_dir/${folder}libcrypto-3-x64.dll"
done
[[ -f $marker && -d $data_dir/Certs ]] && pass "uninstall kept %ProgramData%" ||
    fail "uninstall removed %ProgramData%"
if [[ -z $(machine_variable IDENTITY_ENDPOINT) && -z $(machine_variable IMDS_ENDPOINT) ]] &&
    ! machine_variable Path | tr ';' '\n' | grep -qixF 'C:\Program Files\AzureConnectedMachineAgent'; then
    pass "uninstall: machine variables and the Path entry removed"
else
    fail "uninstall left the variables or Path: '$(machine_variable IDENTITY_ENDPOINT)' '$(machine_variable Path)'"
fi
[[ -z $(autoupgrade_task || true) ]] && pass "uninstall: the scheduled task removed" ||
    fail "uninstall left the scheduled task AutoUpgrade"
[[ -z $(installed_versions) ]] && pass "uninstall: no product left" ||
    fail "uninstall: still installed $(installed_versions | tr '\n' ' ')"

# The package feed tells the MSI apart by its content and signs it for the msi platform.
published=$("$emulator" agent publish --data-dir "$work/emulator" --package "$msi" \
    --version "$version" 2>/dev/null || true)
if [[ $(jq -r .type <<<"$published" 2>/dev/null) == msi ]] &&
    cmp -s "$msi" "$(jq -r .file <<<"$published")"; then
    pass "arc-emulator agent publish: the MSI is the msi platform's package"
else
    fail "arc-emulator agent publish: $published"
fi

echo "MSI size: $(stat -c %s "$msi") bytes"
echo "MSI lifecycle test: $failures failure(s) in $(($(date +%s) - began)) s"
((failures == 0))
