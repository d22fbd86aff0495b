#!/usr/bin/env bash
# Operating-system interfaces stay behind the platform seam: no OS header, fork/exec, getuid,
# SO_PEERCRED or POSIX-only calendar call (gmtime_r, timegm) in src/ outside src/common/platform/
# (src/emulator, a Linux-only test tool, is exempt), and no test of the operating system
# (_WIN32, __linux__, ...) anywhere in src/ outside src/common/platform/: Linux and Windows are one
# code base with two platform folders. Any other file that uses one fails the check, with the
# offending lines.
#
#   platform_seam.sh SOURCE_DIR
set -euo pipefail
source_dir="${1:?usage: platform_seam.sh SOURCE_DIR}"

os_headers='unistd|fcntl|sys/[a-z_/]+|pwd|grp|glob|dlfcn|poll|windows|systemd/[a-z-]+|signal|spawn'
os_headers+='|netinet/[a-z]+|arpa/inet|netdb|ifaddrs|net/if|linux/[a-z_]+|termios|dirent|malloc'
include_pattern="^[[:space:]]*#[[:space:]]*include[[:space:]]*<(${os_headers})\\.h>"
call_pattern='(^|[^A-Za-z0-9_])(fork|vfork|execv|execve|execvp|execvpe|execl|execlp|getuid|geteuid|getgid|getegid|gmtime_r|localtime_r|timegm)[[:space:]]*\(|SO_PEERCRED'

os_macro_pattern='(^|[^A-Za-z0-9_])(_WIN32|_WIN64|__linux__|__MINGW32__|__MINGW64__|_MSC_VER|__APPLE__|__unix__)([^A-Za-z0-9_]|$)'

cd "$source_dir"
mapfile -t offenders < <(
  {
    {
      grep -rlE "$include_pattern" src --include='*.cpp' --include='*.hpp' || true
      grep -rlE "$call_pattern" src --include='*.cpp' --include='*.hpp' || true
    } | { grep -vE '^src/(common/platform|emulator)/' || true; }
    # (Each filter may find nothing, which grep reports as a failure: under errexit that would
    # end this list before the next check.)
    { grep -rlE "$os_macro_pattern" src --include='*.cpp' --include='*.hpp' || true; } |
      { grep -vE '^src/common/platform/' || true; }
  } | sort -u
)

for file in "${offenders[@]}"; do
  echo "$file: uses an operating-system interface outside src/common/platform/:" >&2
  grep -nE "$include_pattern|$call_pattern|$os_macro_pattern" "$file" | sed 's/^/    /' >&2
done
if [ "${#offenders[@]}" -gt 0 ]; then
  exit 1
fi
echo "platform seam: no file outside src/common/platform/ uses an OS interface"
