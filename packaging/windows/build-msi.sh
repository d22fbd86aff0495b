#!/usr/bin/env bash
# Builds AzureConnectedMachineAgent.msi from the Windows build's programs, each Authenticode-signed
# with osslsigncode, and signs the MSI (docs/windows.md, "The MSI").
#
#   build-msi.sh --bin-dir DIR --version V --out FILE.msi --key KEY.pem --cert CERT.pem
#                [--strip STRIP]
#
# The programs and DLLs are copied to a stage directory beside FILE, stripped of their symbols
# (STRIP, default x86_64-w64-mingw32-strip) and signed there; the build's own copies keep theirs.
# Run again with another --version and the same --bin-dir to make a newer (or older) package from
# the same programs without compiling anything.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin_dir="" version="" out="" key="" cert="" strip=x86_64-w64-mingw32-strip
while [ "$#" -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir="$2" ;;
    --version) version="$2" ;;
    --out) out="$2" ;;
    --key) key="$2" ;;
    --cert) cert="$2" ;;
    --strip) strip="$2" ;;
    *)
      echo "build-msi.sh: unknown argument $1" >&2
      exit 2
      ;;
  esac
  shift 2
done
for required in bin_dir version out key cert; do
  if [ -z "${!required}" ]; then
    echo "build-msi.sh: --${required//_/-} is required" >&2
    exit 2
  fi
done

# The programs and the OpenSSL DLLs they load from their own folder (the build copies them beside
# the programs).
programs=(azcmagent.exe azcm_setup.exe himds.exe arcproxy.exe gc_arc_service.exe
  gc_extension_service.exe libcrypto-3-x64.dll libssl-3-x64.dll)
out="$(realpath -m "$out")"
stage="${out%.msi}.stage"
rm -rf "$stage"
mkdir -p "$stage"
sign() {
  osslsigncode sign -certs "$cert" -key "$key" -h sha256 \
    -n "Azure Connected Machine Agent" -in "$1" -out "$2" >/dev/null
}
for program in "${programs[@]}"; do
  "$strip" --strip-all -o "$stage/$program.unsigned" "$bin_dir/$program"
  sign "$stage/$program.unsigned" "$stage/$program"
  rm -f "$stage/$program.unsigned"
done
# wixl resolves each File's Source relative to the working directory.
(cd "$stage" && wixl -a x64 -D Version="$version" -D StageDir=. -o "$stage/unsigned.msi" \
  "$here/AzureConnectedMachineAgent.wxs")
# The DLLs' copies in the GC folders (the .wxs says why), at the standard places of the actions
# that make and remove them.
msibuild "$stage/unsigned.msi" -i "$here/DuplicateFile.idt" \
  -q "INSERT INTO InstallExecuteSequence (Action, Sequence) VALUES ('RemoveDuplicateFiles', 3400)" \
  -q "INSERT INTO InstallExecuteSequence (Action, Sequence) VALUES ('DuplicateFiles', 4210)"
sign "$stage/unsigned.msi" "$out.tmp"
mv -f "$out.tmp" "$out"
rm -f "$stage/unsigned.msi"
