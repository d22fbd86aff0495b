# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# What the azcmagent package installs and creates (docs/install.md, packaging/README.md),
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
# "path owner group mode" of every directory the scripts create. No root process creates a name in
# a directory another account can write: socks/ and log/ are root's alone, himds and arcproxy have
# their own directory in each.
expected_directories=(
    "/var/opt/azcmagent root root 755"
    "/var/opt/azcmagent/certs himds himds 700"
    "/var/opt/azcmagent/tokens himds himds 750"
    "/var/opt/azcmagent/socks root root 755"
    "/var/opt/azcmagent/socks/himds himds himds 755"
    "/var/opt/azcmagent/socks/arcproxy arcproxy arcproxy 755"
    "/var/opt/azcmagent/log root root 755"
    "/var/opt/azcmagent/log/himds himds himds 755"
    "/var/opt/azcmagent/log/arcproxy arcproxy arcproxy 755"
    "/var/lib/GuestConfig root root 755"
    "/var/lib/GuestConfig/arc_policy_logs root root 755"
    "/var/lib/GuestConfig/ext_mgr_logs root root 755"
    "/var/lib/GuestConfig/extension_logs root root 755"
    "/var/lib/GuestConfig/ext_mgr_state root root 700"
    "/var/lib/GuestConfig/gc_state root root 700"
    "/opt/GC_Ext/downloads root root 700"
    "/var/lib/waagent root root 700"
)
# "path target" of every link the scripts make: the real agent's documented names of what
# now lives in the daemons' own directories.
expected_links=(
    "/var/opt/azcmagent/socks/himds.sock himds/himds.sock"
    "/var/opt/azcmagent/log/himds.log himds/himds.log"
    "/var/opt/azcmagent/log/arcproxy.log arcproxy/arcproxy.log"
)
