#!/usr/bin/env bash
# Makes the build's test code-signing key and certificate (self-signed, code signing only) unless
# they exist. A release build is given its own key and certificate instead (docs/windows.md).
#
#   make-test-signing-key.sh KEY.pem CERT.pem
set -euo pipefail
key="${1:?usage: make-test-signing-key.sh KEY.pem CERT.pem}"
cert="${2:?usage: make-test-signing-key.sh KEY.pem CERT.pem}"
if [ -s "$key" ] && [ -s "$cert" ]; then
  exit 0
fi
mkdir -p "$(dirname "$key")" "$(dirname "$cert")"
(
  umask 077
  openssl req -x509 -newkey rsa:3072 -sha256 -days 3650 -nodes -keyout "$key.tmp" \
    -out "$cert.tmp" -subj "/CN=azcmagent test code signing" \
    -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning" \
    -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
)
mv -f "$key.tmp" "$key"
mv -f "$cert.tmp" "$cert"
