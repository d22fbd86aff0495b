#!/usr/bin/env bash
# The quick start: installs the build dependencies, builds, starts arc-emulator and the agent's
# daemons in a sandbox directory, onboards this machine with a service principal that holds only
# the Onboarding role, prints `azcmagent show`, instance metadata and a managed identity token,
# installs a signed extension assigned in ARM, assigns the built-in security baseline and prints
# its compliance report, and leaves everything running.
#
#   bash scripts/quickstart.sh          set up and run (sandbox in ./sandbox, or $AZCM_SANDBOX)
#   bash scripts/quickstart.sh stop     stop what the quick start started
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
sandbox="${AZCM_SANDBOX:-$repo/sandbox}"
bin="$repo/build/bin"
quickstart_binaries=(arc-emulator himds extservice gcservice arcproxy azcmagent)

stop_all() {
  if [ -f "$sandbox/pids" ]; then
    while read -r name pid; do
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" && echo "stopped $name (pid $pid)"
      fi
    done < "$sandbox/pids"
    rm -f "$sandbox/pids"
  fi
}

if [ "${1:-}" = "stop" ]; then
  stop_all
  exit 0
fi

echo "== installing the build dependencies (Debian packages)"
bash scripts/install-deps.sh --quickstart
# Only what the quick start runs (the test suite is scripts/test.sh's job); the compiler's output
# goes to a log, shown when the build fails.
mkdir -p "$repo/build"
build_log="$repo/build/quickstart-build.log"
echo "== building arc-emulator, the four daemons and azcmagent (log: $build_log)"
started=$SECONDS
if ! bash scripts/build.sh default "${quickstart_binaries[@]}" >"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  echo "the build failed (whole log: $build_log)" >&2
  exit 1
fi
echo "built in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"

stop_all
rm -rf "$sandbox"
mkdir -p "$sandbox/emulator" "$sandbox/root"
chmod 0755 "$sandbox" "$sandbox/root"
export AZCM_ROOT="$sandbox/root"

echo "== starting arc-emulator (data in $sandbox/emulator)"
"$bin/arc-emulator" --data-dir "$sandbox/emulator" --listen 127.0.0.1:0 \
  >"$sandbox/emulator.log" 2>&1 &
echo "arc-emulator $!" >>"$sandbox/pids"
for _ in $(seq 1 100); do [ -s "$sandbox/emulator/cloud.json" ] && break; sleep 0.1; done
[ -s "$sandbox/emulator/cloud.json" ] || { cat "$sandbox/emulator.log"; exit 1; }

echo "== starting himds (AZCM_ROOT=$AZCM_ROOT, IMDS on port ${AZCM_IMDS_PORT:=40342})"
export AZCM_IMDS_PORT
"$bin/himds" >"$sandbox/himds.out" 2>&1 &
echo "himds $!" >>"$sandbox/pids"
for _ in $(seq 1 100); do [ -S "$AZCM_ROOT/var/opt/azcmagent/socks/himds/himds.sock" ] && break; sleep 0.1; done

cloud="$sandbox/emulator/cloud.json"
subscription="$(jq -r .subscriptionId "$cloud")"
echo "== creating an onboarding service principal (role: Azure Connected Machine Onboarding)"
"$bin/arc-emulator" sp create --data-dir "$sandbox/emulator" --name quickstart-onboarding \
  --role "Azure Connected Machine Onboarding" --scope "/subscriptions/$subscription" \
  >"$sandbox/onboarding-sp.json"
chmod 0600 "$sandbox/onboarding-sp.json"

# As in Azure, an administrator prepares the resource group; the onboarding credential may not.
echo "== creating resource group quickstart-rg (as the emulator's bootstrap owner)"
entra="$(jq -r .endpoints.entra "$cloud")"
arm="$(jq -r .endpoints.arm "$cloud")"
owner_token="$(curl -sS --fail --cacert "$(jq -r .caCertPath "$cloud")" \
  --data-urlencode grant_type=client_credentials \
  --data-urlencode "client_id=$(jq -r .bootstrapOwner.appId "$cloud")" \
  --data-urlencode "client_secret=$(jq -r .bootstrapOwner.password "$cloud")" \
  --data-urlencode "scope=https://management.azure.com/.default" \
  "$entra/$(jq -r .tenantId "$cloud")/oauth2/v2.0/token" | jq -r .access_token)"
curl -sS --fail --cacert "$(jq -r .caCertPath "$cloud")" -X PUT \
  -H "Authorization: Bearer $owner_token" -H "Content-Type: application/json" \
  -d '{"location":"westeurope"}' \
  "$arm/subscriptions/$subscription/resourcegroups/quickstart-rg?api-version=2022-09-01" >/dev/null

# The secret goes through a --config file, never the command line.
umask 077
jq '{ "service-principal-id": .appId, "service-principal-secret": .password, "tenant-id": .tenant }' \
  "$sandbox/onboarding-sp.json" >"$sandbox/connect-config.json"

echo "== azcmagent connect"
MSFT_ARC_TEST=true "$bin/azcmagent" connect --config "$sandbox/connect-config.json" \
  --cloud-config "$cloud" --subscription-id "$subscription" --resource-group quickstart-rg \
  --location westeurope --resource-name "$(hostname -s | tr -c 'a-zA-Z0-9._\n-' '-')"
rm -f "$sandbox/connect-config.json"

echo "== azcmagent show"
"$bin/azcmagent" show

socket="$AZCM_ROOT/var/opt/azcmagent/socks/himds/himds.sock"
imds="http://127.0.0.1:$(curl -sS --unix-socket "$socket" http://localhost/status | jq -r .imds.port)"
echo "== instance metadata from the IMDS API ($imds)"
curl -sS -H Metadata:true "$imds/metadata/instance/compute?api-version=2021-02-01" |
  jq '{name, resourceId, location, osType, sku, vmId}'

echo "== a managed identity token through the file-based challenge"
token_url="$imds/metadata/identity/oauth2/token?api-version=2019-11-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"
key_file="$(curl -sS -o /dev/null -D - -H Metadata:true "$token_url" | tr -d '\r' |
  sed -n 's/^[Ww][Ww][Ww]-[Aa]uthenticate: Basic realm=//p')"
echo "challenge key file: $key_file"
# The secret goes through a header file (printf is a shell builtin), never a command line.
printf 'Authorization: Basic %s\n' "$(cat "$key_file")" >"$sandbox/auth-header"
curl -sS -H Metadata:true -H @"$sandbox/auth-header" "$token_url" |
  jq '{token_type, expires_in, resource, client_id, object_id,
       access_token: (.access_token[0:20] + "...")}'
rm -f "$sandbox/auth-header"

echo "== arcproxy, the local forward proxy"
AZCM_PROXY_PORT=0 "$bin/arcproxy" >"$sandbox/arcproxy.out" 2>&1 &
echo "arcproxy $!" >>"$sandbox/pids"

echo "== an extension: publish a signed handler package, assign it in ARM, extservice installs it"
AZCM_EXT_POLL_SECONDS=10 "$bin/extservice" >"$sandbox/extservice.out" 2>&1 &
echo "extservice $!" >>"$sandbox/pids"
handler="$sandbox/hello-handler"
mkdir -p "$handler"
cat >"$handler/hello.sh" <<'SH'
#!/bin/sh
# A minimal handler (docs/extensions.md): enable reads its public settings and reports success.
if [ "$1" = enable ]; then
  settings="config/${ConfigSequenceNumber}.settings"
  greeting=$(jq -r '.runtimeSettings[0].handlerSettings.publicSettings.greeting // "hello"' "$settings")
  mkdir -p status
  printf '[{"status":{"status":"success","code":0,"formattedMessage":{"lang":"en-US","message":"%s from the quick start"}}}]' \
    "$greeting" >"status/${ConfigSequenceNumber}.status"
fi
exit 0
SH
cat >"$handler/HandlerManifest.json" <<'JSON'
[{"name": "Contoso.Quickstart.Hello", "version": 1.0, "handlerManifest": {
  "installCommand": "hello.sh install", "uninstallCommand": "hello.sh uninstall",
  "updateCommand": "hello.sh update", "enableCommand": "hello.sh enable",
  "disableCommand": "hello.sh disable"}}]
JSON
(cd "$handler" && zip -q -r "$sandbox/hello-1.0.0.zip" .)
"$bin/arc-emulator" extension publish --data-dir "$sandbox/emulator" --zip "$sandbox/hello-1.0.0.zip" \
  --publisher Contoso.Quickstart --type Hello --version 1.0.0 | jq '{publisher, type, version, sha256}'
machine="$(hostname -s | tr -c 'a-zA-Z0-9._\n-' '-')"
extension="$arm/subscriptions/$subscription/resourceGroups/quickstart-rg/providers/Microsoft.HybridCompute/machines/$machine/extensions/hello?api-version=2024-07-10"
arm_call() {
  curl -sS --fail --cacert "$(jq -r .caCertPath "$cloud")" \
    -H "Authorization: Bearer $owner_token" -H "Content-Type: application/json" "$@"
}
arm_call -X PUT "$extension" >/dev/null -d '{"location": "westeurope", "properties": {
  "publisher": "Contoso.Quickstart", "type": "Hello", "typeHandlerVersion": "1.0.0",
  "settings": {"greeting": "Hello, Arc"}}}'
for _ in $(seq 1 60); do
  state="$(arm_call "$extension" | jq -r .properties.provisioningState)"
  [ "$state" = Succeeded ] || [ "$state" = Failed ] && break
  sleep 1
done
arm_call "$extension" | jq '{name, provisioningState: .properties.provisioningState,
  status: .properties.instanceView.status.message}'

echo "== the agent feed: this build's version published as a release (docs/upgrade.md)"
# The baseline's support-window check judges the running agent by the releases the control
# plane publishes. The quick start builds no packages, so a minimal .deb stands for this build's
# release: it carries the version file and nothing else (azcmagent upgrade would refuse nothing
# here, as this version is the installed one).
version=$("$bin/azcmagent" version -j | jq -r .version)
mkdir -p "$sandbox/release/DEBIAN" "$sandbox/release/opt/azcmagent"
chmod 0755 "$sandbox/release/DEBIAN" # dpkg-deb's rule, whatever the caller's umask
printf 'Package: azcmagent\nVersion: %s\nArchitecture: all\nMaintainer: quickstart <root@localhost>\nDescription: stand-in release entry of this build\n' \
  "$version" >"$sandbox/release/DEBIAN/control"
echo "$version" >"$sandbox/release/opt/azcmagent/VERSION"
dpkg-deb --root-owner-group --build "$sandbox/release" "$sandbox/azcmagent-$version.deb" >/dev/null
"$bin/arc-emulator" agent publish --data-dir "$sandbox/emulator" \
  --package "$sandbox/azcmagent-$version.deb" --version "$version" | jq '{type, version, released}'

echo "== guest configuration: gcservice evaluates the built-in security baseline (Audit)"
# The baseline reads sshd_config under AZCM_ROOT: the sandbox gets a copy of the host's (or a
# permissive default), so the report shows what the host's own settings would give.
mkdir -p "$AZCM_ROOT/etc/ssh"
cp /etc/ssh/sshd_config "$AZCM_ROOT/etc/ssh/sshd_config" 2>/dev/null ||
  printf 'PermitRootLogin yes\nPasswordAuthentication yes\n' >"$AZCM_ROOT/etc/ssh/sshd_config"
AZCM_GC_POLL_SECONDS=5 AZCM_GC_EVALUATION_SECONDS=300 "$bin/gcservice" >"$sandbox/gcservice.out" 2>&1 &
echo "gcservice $!" >>"$sandbox/pids"
assignment="$arm/subscriptions/$subscription/resourceGroups/quickstart-rg/providers/Microsoft.HybridCompute/machines/$machine/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/AzureArcSecurityBaseline?api-version=2022-01-25"
gc_arm() { arm_call "$@"; }
gc_arm -X PUT "$assignment" >/dev/null \
  -d '{"properties":{"guestConfiguration":{"name":"AzureArcSecurityBaseline","version":"1.0.0","assignmentType":"Audit"}}}'
for _ in $(seq 1 60); do
  [ "$(gc_arm "$assignment" | jq -r .properties.complianceStatus)" != Pending ] && break
  sleep 1
done
gc_arm "$assignment" | jq '{complianceStatus: .properties.complianceStatus,
  reasons: [.properties.latestAssignmentReport.resources[]? |
            {resource: .resourceId, status: .complianceStatus, reason: .reasons[0].phrase}]}'

cat <<TXT

Everything is running in $sandbox:
  AZCM_ROOT=$AZCM_ROOT $bin/azcmagent show      the agent's state
  cat $cloud                                     the emulator's endpoints and owner credential
  tail -f $AZCM_ROOT/var/opt/azcmagent/log/himds.log
  tail -f $AZCM_ROOT/var/lib/GuestConfig/ext_mgr_logs/gc_ext.log   the extension manager
  curl -H Metadata:true "$imds/metadata/instance?api-version=2021-02-01"   instance metadata
Stop it with:  AZCM_SANDBOX=$sandbox bash scripts/quickstart.sh stop
TXT
