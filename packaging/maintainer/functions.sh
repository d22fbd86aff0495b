# Shared by the deb and rpm maintainer scripts: CMake (cmake/Packaging.cmake) pastes this file
# into each script, so every script is self-contained (a deb postrm runs after the package's
# files are gone). POSIX sh. @AZCM_UNITS@ is the list of units whose binary is in the package.

azcm_units="@AZCM_UNITS@"
azcm_sysusers_conf=/usr/lib/sysusers.d/azcmagent.conf
azcm_tmpfiles_conf=/usr/lib/tmpfiles.d/azcmagent.conf

azcm_warn() {
    echo "azcmagent: $*" >&2
}

# PID 1 is systemd: the test sd_booted() uses. In a container or chroot it is not, and the
# package installs without touching services.
azcm_systemd_running() {
    [ -d /run/systemd/system ]
}

azcm_nologin() {
    for shell in /usr/sbin/nologin /sbin/nologin; do
        [ -x "$shell" ] && {
            echo "$shell"
            return 0
        }
    done
    echo /bin/false
}

# Users himds and arcproxy, each with a group of its own name, both members of group azcmproxy:
# system accounts, no login shell, no home directory. systemd-sysusers when present, else
# shadow-utils with the same result. Existing accounts are kept as they are.
azcm_create_accounts() {
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers "$azcm_sysusers_conf" && return 0
        azcm_warn "systemd-sysusers failed; creating the accounts with groupadd/useradd"
    fi
    for account in himds arcproxy; do
        getent group "$account" >/dev/null 2>&1 || groupadd --system "$account"
        getent passwd "$account" >/dev/null 2>&1 ||
            useradd --system --gid "$account" --no-create-home --home-dir / \
                --shell "$(azcm_nologin)" --comment "Azure Connected Machine Agent ($account)" \
                "$account"
    done
    getent group azcmproxy >/dev/null 2>&1 || groupadd --system azcmproxy
    for account in himds arcproxy; do
        usermod -a -G azcmproxy "$account"
    done
}

# Older packages let himds and arcproxy write straight into log/ and socks/ (root:azcmdaemons
# 1775), where root's CLI wrote too. Both become root's alone first, so nothing can be planted
# while the daemons' files move into their own directories. Root only renames names here
# (mv -T replaces a link planted at the target rather than following it) and removes non-files.
azcm_migrate_layout() {
    data=/var/opt/azcmagent
    for dir in "$data/log" "$data/socks"; do
        if [ -d "$dir" ] && [ ! -L "$dir" ]; then
            chown root:root "$dir" && chmod 0755 "$dir"
        fi
    done
    if [ -L "$data/log" ] || [ ! -d "$data/log" ]; then
        return 0
    fi
    for daemon in himds arcproxy; do
        own="$data/log/$daemon"
        # Only a real directory may have the name (anything else was planted while log/ was shared).
        if [ -L "$own" ] || { [ -e "$own" ] && [ ! -d "$own" ]; }; then
            rm -f "$own"
        fi
        for old in "$data/log/$daemon.log" "$data/log/$daemon".[0-9]*.log; do
            if [ -L "$old" ] || [ ! -f "$old" ]; then
                continue
            fi
            [ -d "$own" ] || install -d -m 0755 -o "$daemon" -g "$daemon" "$own"
            mv -T -f "$old" "$own/${old##*/}" || azcm_warn "could not move $old into $own"
        done
        # The old socket and lock in socks/ itself; the new ones are in socks/$daemon/.
        rm -f "$data/socks/$daemon.sock.lock"
        [ ! -S "$data/socks/$daemon.sock" ] || rm -f "$data/socks/$daemon.sock"
    done
}

# Every directory and link of docs/install.md with its owner and mode
# (tmpfiles.d/azcmagent.conf). Existing directories keep their content; only their owner and mode
# are reset.
azcm_create_directories() {
    azcm_migrate_layout
    if command -v systemd-tmpfiles >/dev/null 2>&1; then
        systemd-tmpfiles --create "$azcm_tmpfiles_conf" && return 0
        azcm_warn "systemd-tmpfiles failed; creating the directories with install -d"
    fi
    # The "d path mode user group -" and "L[+] path - - - - target" lines of the same file.
    while read -r type path mode user group _ target; do
        case $type in
        d) install -d -m "$mode" -o "$user" -g "$group" "$path" ;;
        L+)
            rm -f "$path"
            ln -s "$target" "$path"
            ;;
        L) [ -e "$path" ] || [ -L "$path" ] || ln -s "$target" "$path" ;;
        *) ;;
        esac
    done <"$azcm_tmpfiles_conf"
}

# Ports 40342 (himds) and 40343 (arcproxy) lie inside the kernel's ephemeral port range
# (32768-60999 by default): an outgoing connection could take one before the daemon binds it. The
# kernel keeps one list of reserved ports, so assigning ours alone would drop the administrator's.
# The file written here holds the union of what is reserved now, what every other sysctl.d file
# assigns, and ours; its name sorts after every other file (99-sysctl.conf included), so
# systemd-sysctl applies it last at each boot. Re-computed on every install and upgrade, applied
# at once where /proc/sys is writable; where it is not (a container) the file applies at boot.
azcm_sysctl_conf=/etc/sysctl.d/99-zz-azcmagent.conf
azcm_reserved_ports=40342-40343
azcm_reserve_ports() {
    proc=/proc/sys/net/ipv4/ip_local_reserved_ports
    configured=""
    for file in /etc/sysctl.conf /etc/sysctl.d/*.conf /run/sysctl.d/*.conf \
        /usr/local/lib/sysctl.d/*.conf /usr/lib/sysctl.d/*.conf /lib/sysctl.d/*.conf; do
        if [ ! -f "$file" ] || [ "$file" = "$azcm_sysctl_conf" ]; then
            continue
        fi
        configured="$configured $(sed -n \
            's/^[[:space:]]*-\{0,1\}net[./]ipv4[./]ip_local_reserved_ports[[:space:]]*=//p' \
            "$file")"
    done
    # Ports and ranges only, each once, in order ("8080,40342-40343").
    merged=$(printf '%s %s %s\n' "$(cat "$proc" 2>/dev/null)" "$configured" "$azcm_reserved_ports" |
        tr -s ', \t' '\n' | grep -E '^[0-9]+(-[0-9]+)?$' | sort -u | sort -t- -k1,1n -k2,2n |
        paste -s -d, -)
    mkdir -p "${azcm_sysctl_conf%/*}"
    if ! {
        echo "# Written by the azcmagent package: its ports 40342-40343 (himds, arcproxy) and the"
        echo "# ports reserved elsewhere when it was installed or upgraded. Removed on purge."
        echo "net.ipv4.ip_local_reserved_ports = $merged"
    } >"$azcm_sysctl_conf.tmp" || ! mv -f "$azcm_sysctl_conf.tmp" "$azcm_sysctl_conf"; then
        azcm_warn "could not write $azcm_sysctl_conf"
    fi
    if ! { echo "$merged" >"$proc"; } 2>/dev/null; then
        echo "azcmagent: net.ipv4.ip_local_reserved_ports not applied now ($proc is read-only" \
            "here); $azcm_sysctl_conf applies it at boot"
    fi
}

# $1: "install" starts the services, "upgrade" restarts them (a stopped one is started too).
# A service that fails to (re)start is reported, not fatal: the package, the accounts and the
# data are in place, and `systemctl status` / `azcmagent logs` show why.
azcm_start_services() {
    if ! azcm_systemd_running; then
        echo "azcmagent: systemd is not running; services were not enabled or started"
        return 0
    fi
    systemctl daemon-reload || azcm_warn "systemctl daemon-reload failed"
    # shellcheck disable=SC2086 # a list of unit names
    systemctl enable $azcm_units || azcm_warn "could not enable $azcm_units"
    if [ "$1" = upgrade ]; then
        # shellcheck disable=SC2086
        systemctl restart $azcm_units || azcm_warn "could not restart $azcm_units"
    else
        # shellcheck disable=SC2086
        systemctl start $azcm_units || azcm_warn "could not start $azcm_units"
    fi
}

azcm_stop_services() {
    azcm_systemd_running || return 0
    # shellcheck disable=SC2086
    systemctl stop $azcm_units || azcm_warn "could not stop $azcm_units"
    # shellcheck disable=SC2086
    systemctl disable $azcm_units || azcm_warn "could not disable $azcm_units"
}

azcm_daemon_reload() {
    azcm_systemd_running || return 0
    systemctl daemon-reload || azcm_warn "systemctl daemon-reload failed"
}

# Purge only: the agent's state, configuration, identity and logs, the reserved ports file, and
# extservice's settings certificate and key in /var/lib/waagent (named by the thumbprint its state
# records; a hex name only, so nothing else can be named). Extension handlers stay, as with the
# real agent (remove extensions first), and /var/lib/waagent is removed only when empty: on a
# machine that also ran WALinuxAgent it is not ours alone. The accounts are kept (Debian practice: a reused uid would
# own files left elsewhere; see docs/install.md).
azcm_purge_data() {
    pointer=/var/lib/GuestConfig/ext_mgr_state/settings_certificate.json
    thumbprint=$(sed -n 's/.*"thumbprint" *: *"\([0-9A-Fa-f]\{40,128\}\)".*/\1/p' "$pointer" 2>/dev/null |
        head -n 1)
    if [ -n "$thumbprint" ]; then
        rm -f "/var/lib/waagent/$thumbprint.crt" "/var/lib/waagent/$thumbprint.prv"
    fi
    rm -rf /var/opt/azcmagent /var/lib/GuestConfig /opt/GC_Ext/downloads "$azcm_sysctl_conf"
    rmdir /opt/GC_Ext/GC /opt/GC_Ext /opt/GC_Service/GC /opt/GC_Service /var/lib/waagent \
        2>/dev/null || true
}
