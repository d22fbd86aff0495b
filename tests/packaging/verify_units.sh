#!/usr/bin/env bash
# Verifies the systemd integration of packaging/ against a staged install tree:
#   1. systemd-analyze verify --root=<stage> reports nothing about our four units;
#   2. systemd-analyze security --offline: prints each unit's exposure and fails when an
#      unprivileged daemon (himdsd, arcproxyd) is more exposed than MAX_UNPRIVILEGED_EXPOSURE;
#   3. every unit forbids core files (LimitCORE=0, the last assignment wins as in systemd): each
#      daemon holds keys, tokens or proxy credentials;
#   4. systemd's manager finds the DefaultEnvironment drop-in where it is staged, and the
#      profile.d script exports the same two values in sh and bash without overriding a user's.
#
#   bash tests/packaging/verify_units.sh BIN_DIR      (BIN_DIR: the built himds and azcmagent)
#
# Honesty note: a daemon that is not built yet (gcservice, extservice, arcproxy) gets a
# PLACEHOLDER executable in this script's own temporary tree, so verify can resolve ExecStart.
# For those units this proves the unit's syntax, its settings and its paths, not that the daemon
# starts or works inside its sandbox. himdsd is always verified against the real himds.
set -euo pipefail

# Exposure is shown to one decimal. 1.4 is what himdsd and arcproxyd score today (systemd 252):
# a ratchet, not a goal. Single protections cost 0.1 to 1.7 here, so any slack would let one go
# unnoticed; relaxing the sandbox must be a deliberate change of this number, with its reason.
readonly MAX_UNPRIVILEGED_EXPOSURE=1.4
readonly UNPRIVILEGED_UNITS=(himdsd arcproxyd)
readonly UNITS=(himdsd gcad extd arcproxyd azcmagent-autoupgrade)
# Units whose binary exists today; they must never be verified against a placeholder.
readonly BUILT_UNITS=(himdsd azcmagent-autoupgrade)

[ "$#" -eq 1 ] || {
    echo "usage: $0 BIN_DIR" >&2
    exit 2
}
bin_dir=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

command -v systemd-analyze >/dev/null || {
    echo "FAIL: systemd-analyze not found (Debian package 'systemd')" >&2
    exit 1
}
systemd-analyze --version | head -n 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/stage

bash "$repo/packaging/stage-install.sh" "$stage" "$bin_dir"

# What the host provides and the package does not ship, copied into the temporary tree so that
# verify resolves what the units name: systemd's own units (sysinit.target, network.target, ...;
# -n keeps ours), /bin/kill of ExecReload, and system.conf, which cat-config needs to exist.
cp -an /usr/lib/systemd/system/. "$stage/usr/lib/systemd/system/"
install -D -m 0755 /bin/kill "$stage/bin/kill"
if [ -f /etc/systemd/system.conf ]; then
    install -D -m 0644 /etc/systemd/system.conf "$stage/etc/systemd/system.conf"
else
    install -D -m 0644 /dev/null "$stage/etc/systemd/system.conf"
fi

exec_start() {
    sed -n 's/^ExecStart=//p' "$1" | awk '{print $1}'
}

placeheld=()
for unit in "${UNITS[@]}"; do
    unit_file=$stage/usr/lib/systemd/system/$unit.service
    [ -f "$unit_file" ] || {
        fail "$unit.service was not staged"
        continue
    }
    binary=$(exec_start "$unit_file")
    [ -n "$binary" ] || {
        fail "$unit.service has no ExecStart"
        continue
    }
    [ -x "$stage$binary" ] && continue
    if [[ " ${BUILT_UNITS[*]} " == *" $unit "* ]]; then
        fail "$unit.service: $binary is not in the staged tree (stage-install.sh and the unit disagree)"
        continue
    fi
    install -d "$stage$(dirname "$binary")"
    cat >"$stage$binary" <<'PLACEHOLDER'
#!/bin/sh
# PLACEHOLDER written by tests/packaging/verify_units.sh into its temporary staging tree only.
# The real daemon is not built yet; this only lets systemd-analyze resolve ExecStart.
echo "placeholder, not the real daemon" >&2
exit 1
PLACEHOLDER
    chmod 0755 "$stage$binary"
    placeheld+=("$unit")
done

# Lines that name one of our units are findings; verify exits 0 even for an unknown key.
findings_about_our_units() {
    local pattern
    pattern=$(printf '%s.service|' "${UNITS[@]}")
    grep -E "${pattern%|}" "$1" || true
}

echo
echo "== systemd-analyze verify --root=<stage> ${UNITS[*]/%/.service}"
verify_rc=0
SYSTEMD_COLORS=0 systemd-analyze verify --root="$stage" "${UNITS[@]/%/.service}" \
    >"$work/verify.out" 2>&1 || verify_rc=$?
cat "$work/verify.out"
findings=$(findings_about_our_units "$work/verify.out")
if [ "$verify_rc" -ne 0 ] || [ -n "$findings" ]; then
    fail "systemd-analyze verify: exit $verify_rc, findings above"
else
    echo "verify: no findings"
fi
for unit in "${placeheld[@]}"; do
    echo "NOTE: $unit.service verified against a PLACEHOLDER $(exec_start "$stage/usr/lib/systemd/system/$unit.service"): syntax, settings and paths only"
done

# The check above must be able to fail: a unit with an unknown key has to produce a finding.
self_check=$work/self-check
cp -a "$stage" "$self_check"
sed -i 's/^\[Service\]$/[Service]\nNoSuchSetting=1/' "$self_check/usr/lib/systemd/system/himdsd.service"
SYSTEMD_COLORS=0 systemd-analyze verify --root="$self_check" himdsd.service \
    >"$work/self-check.out" 2>&1 || true
if [ -z "$(findings_about_our_units "$work/self-check.out")" ]; then
    fail "self-check: verify reported nothing for an unknown key, so the check above proves nothing"
fi

echo
echo "== systemd-analyze security --offline=yes (exposure: 0 best, 10 worst)"
for unit in "${UNITS[@]}"; do
    SYSTEMD_COLORS=0 systemd-analyze security --offline=yes --root="$stage" --no-pager \
        "$unit.service" >"$work/security-$unit.out" 2>&1 || {
        cat "$work/security-$unit.out"
        fail "systemd-analyze security failed for $unit.service"
        continue
    }
    score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
        "$work/security-$unit.out")
    [ -n "$score" ] || {
        fail "no exposure score for $unit.service"
        continue
    }
    limit=informational
    if [[ " ${UNPRIVILEGED_UNITS[*]} " == *" $unit "* ]]; then
        limit="must be <= $MAX_UNPRIVILEGED_EXPOSURE"
        if awk -v s="$score" -v m="$MAX_UNPRIVILEGED_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
            grep -E '^✗' "$work/security-$unit.out" || true
            fail "$unit.service exposure $score is above $MAX_UNPRIVILEGED_EXPOSURE"
        fi
    fi
    printf '%-18s exposure %-4s (%s)\n' "$unit.service" "$score" "$limit"
done

echo
echo "== core files (LimitCORE=0)"
for unit in "${UNITS[@]}"; do
    unit_file=$stage/usr/lib/systemd/system/$unit.service
    [ -f "$unit_file" ] || continue
    core_limit=$(sed -n "s/^LimitCORE=//p" "$unit_file" | tail -n 1)
    if [ "$core_limit" = 0 ]; then
        echo "$unit.service: LimitCORE=0"
    else
        fail "$unit.service: LimitCORE is '${core_limit:-unset}', expected 0 (the daemon holds secrets)"
    fi
done

echo
echo "== manager drop-in and login-shell environment"
drop_in=/usr/lib/systemd/system.conf.d/azcmagent.conf
SYSTEMD_COLORS=0 systemd-analyze cat-config --root="$stage" --no-pager systemd/system.conf \
    >"$work/cat-config.out" 2>&1 || fail "systemd-analyze cat-config failed"
if grep -qxF "# $stage$drop_in" "$work/cat-config.out"; then
    echo "systemd reads $drop_in"
else
    cat "$work/cat-config.out"
    fail "systemd does not read the staged $drop_in"
fi

# The drop-in's two assignments, split as systemd splits them (quoted words).
assignments=$(sed -n 's/^DefaultEnvironment=//p' "$stage$drop_in")
eval "set -- $assignments"
expected_identity=""
expected_imds=""
for assignment in "$@"; do
    case $assignment in
    IDENTITY_ENDPOINT=*) expected_identity=${assignment#*=} ;;
    IMDS_ENDPOINT=*) expected_imds=${assignment#*=} ;;
    *) fail "unexpected DefaultEnvironment assignment: $assignment" ;;
    esac
done
[ "$expected_identity" = "http://localhost:40342/metadata/identity/oauth2/token" ] ||
    fail "drop-in IDENTITY_ENDPOINT is '$expected_identity'"
[ "$expected_imds" = "http://localhost:40342" ] || fail "drop-in IMDS_ENDPOINT is '$expected_imds'"

profile=$stage/etc/profile.d/azcmagent.sh
for shell in sh bash; do
    # A child process sees both, with the drop-in's values: they are exported.
    seen=$(env -i "$shell" -c ". '$profile' && exec env" | grep -E '^(IDENTITY|IMDS)_ENDPOINT=' | sort)
    want=$(printf 'IDENTITY_ENDPOINT=%s\nIMDS_ENDPOINT=%s' "$expected_identity" "$expected_imds")
    [ "$seen" = "$want" ] || fail "$shell: profile.d exports '$seen', expected '$want'"
    # A value the user set wins.
    seen=$(env -i IDENTITY_ENDPOINT=mine "$shell" -c ". '$profile' && exec env" |
        grep -E '^(IDENTITY|IMDS)_ENDPOINT=' | sort)
    want=$(printf 'IDENTITY_ENDPOINT=mine\nIMDS_ENDPOINT=%s' "$expected_imds")
    [ "$seen" = "$want" ] || fail "$shell: with IDENTITY_ENDPOINT=mine set, profile.d gives '$seen', expected '$want'"
done
echo "profile.d exports both values in sh and bash and keeps values already set"

echo
if [ "$failures" -ne 0 ]; then
    echo "verify_units: $failures failure(s)" >&2
    exit 1
fi
echo "verify_units: all checks passed"
