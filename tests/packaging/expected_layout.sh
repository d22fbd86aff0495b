# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# What the azcmagent package installs and creates (ARCHITECTURE section 2, packaging/README.md),
# shared by deb_lifecycle.sh and rpm_contents.sh. Sourced, not run.

# Files of every package. The daemons built in this tree (arcproxy, gcservice, extservice) are
# optional: each one comes with its unit, and a unit never comes without its binary.
expected_files=(
    /opt/azcmagent/bin/azcmagent
    /opt/azcmagent/bin/himds
    /usr/lib/systemd/system/himdsd.service
    /usr/lib/systemd/system.conf.d/azcmagent.conf
    /etc/profile.d/azcmagent.sh
    /usr/lib/sysusers.d/azcmagent.conf
    /usr/lib/tmpfiles.d/azcmagent.conf
)
# Optional binary -> the unit that must come with it.
optional_binaries=(
    "/opt/azcmagent/bin/arcproxy:/usr/lib/systemd/system/arcproxyd.service"
    "/opt/GC_Service/GC/gcservice:/usr/lib/systemd/system/gcad.service"
    "/opt/GC_Ext/GC/extservice:/usr/lib/systemd/system/extd.service"
)
# "path owner group mode" of every directory the scripts create.
expected_directories=(
    "/var/opt/azcmagent root root 755"
    "/var/opt/azcmagent/certs himds himds 700"
    "/var/opt/azcmagent/tokens himds himds 750"
    "/var/opt/azcmagent/socks root azcmdaemons 1775"
    "/var/opt/azcmagent/log root azcmdaemons 1775"
    "/var/lib/GuestConfig root root 755"
    "/var/lib/GuestConfig/arc_policy_logs root root 755"
    "/var/lib/GuestConfig/ext_mgr_logs root root 755"
    "/var/lib/GuestConfig/extension_logs root root 755"
    "/var/lib/GuestConfig/ext_mgr_state root root 700"
    "/var/lib/GuestConfig/gc_state root root 700"
    "/opt/GC_Ext/downloads root root 700"
    "/var/lib/waagent root root 700"
)
