# shellcheck shell=sh
# Login shells do not inherit systemd's DefaultEnvironment, so without this file SDK clients
# started from a shell miss the Arc managed identity endpoint.
# Same values as /lib/systemd/system.conf.d/azcmagent.conf; a value the user already set wins.
# POSIX sh: /etc/profile sources this from sh, dash, bash, ksh and zsh alike.
if [ -z "${IDENTITY_ENDPOINT:-}" ]; then
    IDENTITY_ENDPOINT=http://localhost:40342/metadata/identity/oauth2/token
    export IDENTITY_ENDPOINT
fi
if [ -z "${IMDS_ENDPOINT:-}" ]; then
    IMDS_ENDPOINT=http://localhost:40342
    export IMDS_ENDPOINT
fi
