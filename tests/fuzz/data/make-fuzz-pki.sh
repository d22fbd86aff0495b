#!/usr/bin/env bash
# Makes the fixed test PKI of the crypto fuzz targets and their seeds: a root CA (its key is thrown
# away), a signer certificate and key (CMS signatures, enveloped data, JWTs), a detached signature,
# an enveloped message and a token, plus certificates with a negative and a zero serial number.
# Run it again only to replace the PKI: the seeds in ../corpus/{x509,cms,jwt} change with it.
set -euo pipefail
cd "$(dirname "$0")"
corpus=../corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$corpus/x509" "$corpus/cms" "$corpus/jwt"
days=36500

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/root.key" -out root.pem -days "$days" \
  -subj "/CN=azcm fuzz root" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout signer.key -out "$work/signer.csr" \
  -subj "/CN=azcm fuzz signer" 2>/dev/null
cat > "$work/leaf.ext" <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
subjectAltName=DNS:fuzz.example
EXT
openssl x509 -req -in "$work/signer.csr" -CA root.pem -CAkey "$work/root.key" -set_serial 4660 \
  -days "$days" -extfile "$work/leaf.ext" -out signer.pem 2>/dev/null
printf 'azcm fuzz content\n' > signed-content.txt

# x509: PEM and DER, the chain, and serial numbers a verifier must refuse.
cp root.pem "$corpus/x509/root.pem"
cat signer.pem root.pem > "$corpus/x509/chain.pem"
cp signer.pem "$corpus/x509/signer.pem"
openssl x509 -in signer.pem -outform DER -out "$corpus/x509/signer.der"
for serial in -4660 0; do
  name=$([ "$serial" = 0 ] && echo zero || echo negative)
  openssl x509 -req -in "$work/signer.csr" -CA root.pem -CAkey "$work/root.key" \
    -set_serial "$serial" -days "$days" -extfile "$work/leaf.ext" -out "$work/$name.pem" 2>/dev/null
  cat "$work/$name.pem" root.pem > "$corpus/x509/serial-$name-chain.pem"
done

# cms: a detached signature over signed-content.txt and protected settings encrypted to signer.pem.
openssl cms -sign -binary -in signed-content.txt -signer signer.pem -inkey signer.key \
  -outform DER -out "$corpus/cms/detached-signature.der"
printf '{"password":"fuzz"}' |
  openssl cms -encrypt -binary -aes256 -outform DER -out "$corpus/cms/enveloped.der" signer.pem

# jwt: an RS256 token the target's expectations accept, and an "alg: none" one.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
header=$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)
claims=$(printf '{"aud":"https://management.azure.com/","iss":"https://fuzz.example/","exp":4102444800,"nbf":1700000000,"oid":"00000000-0000-0000-0000-000000000001"}' | b64url)
signature=$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign signer.key -binary | b64url)
printf '%s.%s.%s' "$header" "$claims" "$signature" > "$corpus/jwt/rs256.txt"
none=$(printf '{"alg":"none"}' | b64url)
printf '%s.%s.' "$none" "$claims" > "$corpus/jwt/alg-none.txt"
