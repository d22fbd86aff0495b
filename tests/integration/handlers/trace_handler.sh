#!/bin/sh
# A test extension handler (docs/extensions.md, "Handler protocol"). The integration tests copy it
# into a package with trace_handler.conf beside it; every command appends one line to the trace
# file so a test can check the protocol's command order and environment:
#   <command> <version> seq=<ConfigSequenceNumber> from=<AZURE_GUEST_AGENT_UPDATING_FROM_VERSION>
# The working directory is the handler directory (the protocol says so; checked here).
set -u
[ -f HandlerManifest.json ] || { echo "not run in the handler directory" >&2; exit 9; }
. ./trace_handler.conf
command="$1"
seq="${ConfigSequenceNumber:-none}"
echo "$command $VERSION seq=$seq from=${AZURE_GUEST_AGENT_UPDATING_FROM_VERSION:-}" >> "$TRACE"

# Crash tests: hold this command until the test creates the marker file.
if [ -n "${WAIT_COMMAND:-}" ] && [ "$command" = "$WAIT_COMMAND" ]; then
    echo "waiting $command $VERSION" >> "$TRACE"
    while [ ! -e "$WAIT_MARKER" ]; do sleep 0.1; done
fi
if [ -n "${HANG_COMMAND:-}" ] && [ "$command" = "$HANG_COMMAND" ]; then
    sleep 1000
fi

if [ "$command" = "enable" ]; then
    config_dir=$(jq -r '.[0].handlerEnvironment.configFolder' HandlerEnvironment.json)
    status_dir=$(jq -r '.[0].handlerEnvironment.statusFolder' HandlerEnvironment.json)
    settings="$config_dir/$seq.settings"
    greeting=$(jq -r '.runtimeSettings[0].handlerSettings.publicSettings.greeting // "none"' "$settings")
    secret=$(jq -r '.runtimeSettings[0].handlerSettings.protectedSettings // empty' "$settings")
    if [ -n "$secret" ]; then
        thumbprint=$(jq -r '.runtimeSettings[0].handlerSettings.protectedSettingsCertThumbprint' "$settings")
        keys=$(dirname "$PWD")
        # Only a digest of the plaintext leaves this pipe.
        echo "$secret" | base64 -d | openssl cms -decrypt -inform DER \
            -recip "$keys/$thumbprint.crt" -inkey "$keys/$thumbprint.prv" | sha256sum |
            cut -d' ' -f1 > "$DIGEST"
    fi
    mkdir -p "$status_dir"
    printf '[{"version":"1.0","timestampUTC":"2026-01-01T00:00:00Z","status":{"name":"trace","operation":"Enable","status":"success","code":0,"formattedMessage":{"lang":"en-US","message":"enabled %s greeting %s"}}}]' \
        "$VERSION" "$greeting" > "$status_dir/$seq.status"
fi
exit 0
