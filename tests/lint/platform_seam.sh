#!/usr/bin/env bash
# Operating-system interfaces stay behind the platform seam: no OS header, fork/exec, getuid,
# SO_PEERCRED or POSIX-only calendar call (gmtime_r, timegm) in src/ outside src/common/platform/
# (src/emulator, a Linux-only test tool, is exempt). Any other file that uses one fails the
# check, with the offending lines.
#
#   platform_seam.sh SOURCE_DIR
set -euo pipefail
source_dir="${1:?usage: platform_seam.sh SOURCE_DIR}"

os_headers='unistd|fcntl|sys/[a-z_/]+|pwd|grp|glob|dlfcn|poll|windows|systemd/[a-z-]+|signal|spawn'
os_headers+='|netinet/[a-z]+|arpa/inet|netdb|ifaddrs|net/if|linux/[a-z_]+|termios|dirent|malloc'
include_pattern="^[[:space:]]*#[[:space:]]*include[[:space:]]*<(${os_headers})\\.h>"
call_pattern='(^|[^A-Za-z0-9_])(fork|vfork|execv|execve|execvp|execvpe|execl|execlp|getuid|geteuid|getgid|getegid|gmtime_r|localtime_r|timegm)[[:space:]]*\(|SO_PEERCRED'

cd "$source_dir"
mapfile -t offenders < <(
  {
    grep -rlE "$include_pattern" src --include='*.cpp' --include='*.hpp' || true
    grep -rlE "$call_pattern" src --include='*.cpp' --include='*.hpp' || true
  } | grep -vE '^src/(common/platform|emulator)/' | sort -u
)

for file in "${offenders[@]}"; do
  echo "$file: uses an operating-system interface outside src/common/platform/:" >&2
  grep -nE "$include_pattern|$call_pattern" "$file" | sed 's/^/    /' >&2
done
if [ "${#offenders[@]}" -gt 0 ]; then
  exit 1
fi
echo "platform seam: no file outside src/common/platform/ uses an OS interface"
