#!/usr/bin/env bash
# Operating-system interfaces stay behind the platform seam: no OS header, fork/exec, getuid or
# SO_PEERCRED in src/ outside src/common/platform/ (src/emulator, a Linux-only test tool, is
# exempt). Files that still do are listed in platform_seam_pending.txt; the list may only shrink:
# a new file fails, and so does a listed file that no longer needs its entry.
#
#   platform_seam.sh SOURCE_DIR
set -euo pipefail
source_dir="${1:?usage: platform_seam.sh SOURCE_DIR}"
pending_list="$(dirname "$0")/platform_seam_pending.txt"

os_headers='unistd|fcntl|sys/[a-z_/]+|pwd|grp|glob|dlfcn|poll|windows|systemd/[a-z-]+|signal|spawn'
os_headers+='|netinet/[a-z]+|arpa/inet|netdb|ifaddrs|net/if|linux/[a-z_]+|termios|dirent|malloc'
include_pattern="^[[:space:]]*#[[:space:]]*include[[:space:]]*<(${os_headers})\\.h>"
# A call or a constant, not a word in a comment: fork( execv( getuid( and the bare SO_PEERCRED.
call_pattern='(^|[^A-Za-z0-9_])(fork|vfork|execv|execve|execvp|execvpe|execl|execlp|getuid|geteuid|getgid|getegid)[[:space:]]*\(|SO_PEERCRED'

cd "$source_dir"
mapfile -t offenders < <(
  {
    grep -rlE "$include_pattern" src --include='*.cpp' --include='*.hpp' || true
    grep -rlE "$call_pattern" src --include='*.cpp' --include='*.hpp' || true
  } | grep -vE '^src/(common/platform|emulator)/' | sort -u
)
mapfile -t pending < <(grep -vE '^[[:space:]]*(#|$)' "$pending_list" | sort -u)

status=0
for file in "${offenders[@]}"; do
  if ! printf '%s\n' "${pending[@]}" | grep -qxF "$file"; then
    echo "$file: uses an operating-system interface outside src/common/platform/:" >&2
    grep -nE "$include_pattern|$call_pattern" "$file" | sed 's/^/    /' >&2
    status=1
  fi
done
for file in "${pending[@]}"; do
  if ! printf '%s\n' "${offenders[@]}" | grep -qxF "$file"; then
    echo "$file: no longer uses an OS interface directly; remove it from $pending_list" >&2
    status=1
  fi
done
if [ "$status" -eq 0 ]; then
  echo "platform seam: ${#offenders[@]} files still pending, no new ones"
fi
exit "$status"
