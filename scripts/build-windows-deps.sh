#!/usr/bin/env bash
# Builds the libraries of the Windows cross build that Debian ships no mingw-w64 build of:
# OpenSSL, libarchive (zip with deflate only), yaml-cpp and GoogleTest with gmock, for
# x86_64-w64-mingw32 (posix-thread compilers), from Debian 12's own source packages at the
# versions pinned below: OpenSSL as two DLLs (DIR/bin) with their import libraries, the others as
# static libraries. zlib is Debian's libz-mingw-w64-dev. Run as root or with sudo:
#
#   scripts/build-windows-deps.sh [--prefix DIR]   (default: build-windows/deps)
#
# Installs what it needs with apt-get, and, for apt-get source, a deb-src entry for bookworm main
# in /etc/apt/sources.list.d/azcm-deb-src.list. Sources, build trees and logs go to DIR-src. Each
# library is built once: DIR/stamps/NAME names the version (and form) it was built from, and the
# next run skips it unless that changed (delete the stamp to rebuild it). From scratch it takes about 4
# minutes on 2 cores (OpenSSL 2 of them), plus installing the compilers the first time; when
# everything is cached, well under a second. Prints one line per library: name, version, seconds
# (or "cached"). Use the result with
# -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake -DAZCM_WINDOWS_DEPS=DIR.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
toolchain="$root/cmake/toolchains/mingw-w64-x86_64.cmake"

# Debian source package versions (apt-cache showsrc PACKAGE). A pin that apt no longer offers
# fails the run: choose the version it offers instead.
libraries=(openssl libarchive yaml-cpp googletest)
declare -A pinned=(
  [openssl]=3.0.20-1~deb12u2
  [libarchive]=3.6.2-1+deb12u4
  [yaml-cpp]=0.7.0+dfsg-8
  [googletest]=1.12.1-0.2
)
# How a library is built, when not as the static library of its pin; part of its stamp.
declare -A form=(
  [openssl]=shared
)

usage() {
  echo "usage: scripts/build-windows-deps.sh [--prefix DIR]" >&2
  exit 2
}
prefix="$root/build-windows/deps"
case "${1:-}" in
  "") [ $# -eq 0 ] || usage ;;
  --prefix)
    [ $# -eq 2 ] || usage
    prefix="$2"
    ;;
  *) usage ;;
esac
mkdir -p "$prefix/stamps"
prefix="$(cd "$prefix" && pwd)"
src="$prefix-src"
logs="$src/logs"
mkdir -p "$logs"

# fail MESSAGE [LOG]: the message, after the end of the log when there is one; exits 1.
fail() {
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    tail -n 40 "$2" >&2
    echo "$1 (whole log: $2)" >&2
  else
    echo "$1" >&2
  fi
  exit 1
}

# run_logged LOG MESSAGE COMMAND...: runs the command in a subshell that stops at its first failing
# step, its output appended to LOG; fails with MESSAGE when it fails. (Not to be called as a
# condition: bash would then ignore errexit inside.)
run_logged() {
  local log="$1" message="$2" status
  shift 2
  set +e
  (
    set -e
    "$@"
  ) >>"$log" 2>&1
  status=$?
  set -e
  [ "$status" -eq 0 ] || fail "$message" "$log"
}

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_log="$logs/apt.log"
apt_updated=0
apt_update() {
  if [ "$apt_updated" = 0 ]; then
    $SUDO apt-get update -qq >>"$apt_log" 2>&1 || fail "apt-get update failed" "$apt_log"
    apt_updated=1
  fi
}

packages=(
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix libz-mingw-w64-dev
  cmake ninja-build make perl dpkg-dev xz-utils
  # The MSI (wixl, msiinfo) and its Authenticode signatures (packaging/windows/).
  wixl msitools osslsigncode openssl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${#missing[@]} Debian packages (apt's log: $apt_log)"
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >>"$apt_log" 2>&1 || fail "installing packages failed" "$apt_log"
fi

# The deb-src entry, with the mirror and key of the bookworm entry of debian.sources.
deb_src_list=/etc/apt/sources.list.d/azcm-deb-src.list
ensure_deb_src() {
  local sources=/etc/apt/sources.list.d/debian.sources uri="" key="" line
  if [ -f "$sources" ]; then
    read -r uri key < <(awk '
      function found() { return !done && suites ~ /(^| )bookworm( |$)/ && uri != "" }
      /^$/ { if (found()) { print uri, key; done = 1 }
             uri = ""; key = ""; suites = "" }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { suites = substr($0, 8) }
      /^Signed-By:/ { key = $2 }
      END { if (found()) print uri, key }' "$sources") || true
  fi
  uri="${uri:-http://deb.debian.org/debian}"
  line="deb-src ${key:+[signed-by=$key] }$uri bookworm main"
  if [ "$(cat "$deb_src_list" 2>/dev/null)" != "$line" ]; then
    echo "$line" | $SUDO tee "$deb_src_list" >/dev/null
    apt_updated=0
  fi
  apt_update
}

# fetch_source NAME: a fresh copy of the pinned Debian source of NAME (Debian's patches applied)
# under $src/NAME.
fetch_source() {
  local name="$1" version="${pinned[$1]}" available
  available="$(apt-cache showsrc --only-source "$name" 2>/dev/null | sed -n 's/^Version: //p')"
  [ -n "$available" ] || available=none
  if ! grep -qxF -- "$version" <<<"$available"; then
    fail "$name $version is not available from apt-get source (it has: ${available//$'\n'/ });
update the pin in scripts/build-windows-deps.sh"
  fi
  rm -rf "${src:?}/$name"
  mkdir -p "$src/$name"
  (cd "$src/$name" && apt-get source -qq "$name=$version") >>"$logs/$name.log" 2>&1 ||
    fail "apt-get source $name=$version failed" "$logs/$name.log"
}

# The directory apt-get source unpacked NAME into.
source_dir() {
  find "$src/$1" -mindepth 1 -maxdepth 1 -type d | head -n 1
}

# cmake_build NAME [TARGET] -- CACHE ARGS...: configures the unpacked source with the toolchain
# (static, Release), builds TARGET (default all).
cmake_build() {
  local name="$1" target=all
  shift
  if [ "$1" != -- ]; then
    target="$1"
    shift
  fi
  shift
  local dir
  dir="$(source_dir "$name")"
  cmake -S "$dir" -B "$dir/build-windows" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF "$@"
  cmake --build "$dir/build-windows" --target "$target" -j "$(nproc)"
}

# The directories libcrypto reads openssl.cnf from and loads providers and engines from are compiled
# in. Left to Configure they would be the build machine's prefix, C:\work\... on Windows, a place
# any local user may create: they are the admin-only defaults of OpenSSL's own VC-WIN64 builds.
openssl_dirs=(
  "OPENSSLDIR=C:/Program Files/Common Files/SSL"
  "ENGINESDIR=C:/Program Files/OpenSSL/lib/engines-3"
  "MODULESDIR=C:/Program Files/OpenSSL/lib/ossl-modules"
)
# Shared: one copy of libcrypto and libssl (about 5 MB) beside the six programs instead of one in
# each keeps the MSI small. install_dev puts libcrypto-3-x64.dll and libssl-3-x64.dll in DIR/bin
# and their import libraries in DIR/lib.
build_openssl() {
  cd "$(source_dir openssl)"
  # The prefix is prepended to CC: x86_64-w64-mingw32-gcc-posix.
  ./Configure mingw64 --cross-compile-prefix=x86_64-w64-mingw32- CC=gcc-posix CXX=g++-posix \
    shared no-tests --prefix="$prefix" --libdir=lib
  make -j "$(nproc)" build_libs "${openssl_dirs[@]}"
  make install_dev "${openssl_dirs[@]}"
}

# Only the static library is built (libarchive's CMake always builds the DLL too) and installed by
# hand under the name -larchive finds. Reading zip with deflate needs nothing but zlib. Its one
# check that runs a program (which zlib calling convention) is answered here, not run under wine.
build_libarchive() {
  local dir
  dir="$(source_dir libarchive)"
  cmake_build libarchive archive_static -- \
    -DENABLE_ZLIB=ON -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF -DENABLE_NETTLE=OFF \
    -DENABLE_CNG=OFF -DENABLE_LIBB2=OFF -DENABLE_LZ4=OFF -DENABLE_LZO=OFF -DENABLE_LZMA=OFF \
    -DENABLE_ZSTD=OFF -DENABLE_BZip2=OFF -DENABLE_LIBXML2=OFF -DENABLE_EXPAT=OFF \
    -DENABLE_PCREPOSIX=OFF -DENABLE_LIBGCC=OFF -DENABLE_XATTR=OFF -DENABLE_ACL=OFF \
    -DENABLE_ICONV=OFF -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_TEST=OFF \
    -DENABLE_WERROR=OFF -DPOSIX_REGEX_LIB=NONE -DCMAKE_CROSSCOMPILING_EMULATOR= \
    -DZLIB_WINAPI_EXITCODE=1
  install -d "$prefix/include" "$prefix/lib/pkgconfig"
  install -m 644 "$dir/libarchive/archive.h" "$dir/libarchive/archive_entry.h" "$prefix/include/"
  install -m 644 "$dir/build-windows/libarchive/libarchive_static.a" "$prefix/lib/libarchive.a"
  install -m 644 "$dir/build-windows/build/pkgconfig/libarchive.pc" "$prefix/lib/pkgconfig/"
}

build_yaml_cpp() {
  cmake_build yaml-cpp -- -DYAML_BUILD_SHARED_LIBS=OFF -DYAML_CPP_BUILD_TESTS=OFF \
    -DYAML_CPP_BUILD_TOOLS=OFF -DYAML_CPP_INSTALL=ON
  cmake --install "$(source_dir yaml-cpp)/build-windows"
}

# Windows threads, not winpthreads: the library and its users agree through the exported target.
build_googletest() {
  cmake_build googletest -- -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -Dgtest_disable_pthreads=ON
  cmake --install "$(source_dir googletest)/build-windows"
}

summary=()
for name in "${libraries[@]}"; do
  version="${pinned[$name]}"
  built_as="$version${form[$name]:+ ${form[$name]}}"
  stamp="$prefix/stamps/$name"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$built_as" ]; then
    summary+=("$(printf '%-11s %-18s cached' "$name" "$version")")
    continue
  fi
  started=$SECONDS
  log="$logs/$name.log"
  : >"$log"
  echo "building $name $version (log: $log)"
  rm -f "$stamp"
  ensure_deb_src
  fetch_source "$name"
  run_logged "$log" "building $name $version failed" "build_${name//-/_}"
  echo "$built_as" >"$stamp"
  summary+=("$(printf '%-11s %-18s %4d s' "$name" "$version" $((SECONDS - started)))")
done
printf '%s\n' "${summary[@]}"
