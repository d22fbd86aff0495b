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

# Purge only: the agent's state, configuration, identity and logs, and extservice's settings
# certificate and key in /var/lib/waagent (named by the thumbprint its state records; a hex name
# only, so nothing else can be named). Extension handlers stay, as with the real agent (remove
# extensions first), and /var/lib/waagent is removed only when empty: on a machine that also ran
# WALinuxAgent it is not ours alone. The accounts are kept (Debian practice: a reused uid would
# own files left elsewhere; see docs/install.md).
azcm_purge_data() {
    pointer=/var/lib/GuestConfig/ext_mgr_state/settings_certificate.json
    thumbprint=$(sed -n 's/.*"thumbprint" *: *"\([0-9A-Fa-f]\{40,128\}\)".*/\1/p' "$pointer" 2>/dev/null |
        head -n 1)
    if [ -n "$thumbprint" ]; then
        rm -f "/var/lib/waagent/$thumbprint.crt" "/var/lib/waagent/$thumbprint.prv"
    fi
    rm -rf /var/opt/azcmagent /var/lib/GuestConfig /opt/GC_Ext/downloads
    rmdir /opt/GC_Ext/GC /opt/GC_Ext /opt/GC_Service/GC /opt/GC_Service /var/lib/waagent \
        2>/dev/null || true
}
