#!/usr/bin/env bash
# Install test of the Debian packages in a clean Debian 12 tree (mmdebstrap from Debian's archive, then chroot):
# install with apt (Depends resolve), user and directories, --version/--help/man, the units (systemd-analyze
# verify and security ≤ 2.0), upgrade to a newer build keeping spool, database and a changed conffile,
# remove keeping data, purge removing it. Needs root, debhelper, lintian, mmdebstrap and Debian's archive.
# Usage: scripts/test-deb.sh   (after `make deb`; `make test-deb` does both). docs/packaging.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
VERSION=$(tr -d ' \t\r\n' < "$root/VERSION")
NEXT=${VERSION}+upgradetest1
MIRROR=${MIRROR:-http://deb.debian.org/debian}
DIST=${DIST:-$root/dist}   # the packages to test; BIN (default .build/release) is re-packaged for the upgrade
[ "$(id -u)" = 0 ] || { echo "test-deb: needs root (chroot)" >&2; exit 2; }
for p in sansang-agent sansang-collector sansang; do
    [ -f "$DIST/${p}_${VERSION}_amd64.deb" ] || { echo "test-deb: dist/${p}_${VERSION}_amd64.deb missing; run make deb" >&2; exit 2; }
done
start=$(date +%s)
work=$(mktemp -d /var/tmp/sansang-test-deb.XXXXXX)
tree=$work/tree
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
    local description=$1; shift
    if "$@" >"$work/out" 2>&1; then pass "$description"; else fail "$description"; sed 's/^/     /' "$work/out" | tail -20; fi
}
# A command in the tree, with /proc mounted in a mount namespace of its own (gone when the command ends).
in_tree() {
    unshare -m --propagation private -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$tree" \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}
export tree
export -f in_tree

# 1. The clean tree: Debian 12, essential packages and apt only (our Depends must bring the rest), man-db for man.
echo "== mmdebstrap bookworm ($MIRROR)"
mmdebstrap --quiet --variant=apt --include=man-db --skip=cleanup/apt/lists bookworm "$tree" "$MIRROR" >"$work/mmdebstrap.log" 2>&1 \
    || { cat "$work/mmdebstrap.log" >&2; exit 1; }
echo "   tree made in $(( $(date +%s) - start )) s"
mkdir -p "$tree/tmp/debs"
cp "$DIST/"*"_${VERSION}_amd64.deb" "$tree/tmp/debs/"

# 2. Install: apt resolves the Depends computed by dpkg-shlibdeps.
check "apt-get install ./sansang*_${VERSION}_amd64.deb" in_tree sh -c 'cd /tmp/debs && apt-get install -y -q ./*.deb'
for p in sansang-agent sansang-collector sansang; do
    check "$p installed at $VERSION" test "$(in_tree dpkg-query -W -f='${Version}' "$p")" = "$VERSION"
    check "$p --version prints $VERSION" test "$(in_tree "$p" --version)" = "$VERSION"
    check "$p --help" in_tree "$p" --help
    check "man $p" bash -c "in_tree man -P cat $p | grep -q '^NAME'"
done
check "man sansang-agent-spool-status (a subcommand's page)" in_tree man -w sansang-agent-spool-status
check "bash completion installed" in_tree test -s /usr/share/bash-completion/completions/sansang-agent
check "MIB in /usr/share/snmp/mibs" in_tree grep -q 'SANSANG-READINESS-MIB DEFINITIONS' /usr/share/snmp/mibs/SANSANG-READINESS-MIB.txt

# 3. User, directories and modes.
check "user sansang exists (system user, no login shell)" bash -c "in_tree getent passwd sansang | grep -Eq '^sansang:x:[0-9]{1,3}:.*:(/usr/sbin/nologin|/sbin/nologin)$'"
mode() { in_tree stat -c '%a %U:%G' "$1"; }
check "/var/lib/sansang-agent 700 sansang" test "$(mode /var/lib/sansang-agent)" = "700 sansang:sansang"
check "/var/lib/sansang-agent/spool 700 sansang" test "$(mode /var/lib/sansang-agent/spool)" = "700 sansang:sansang"
check "/var/lib/sansang 700 sansang" test "$(mode /var/lib/sansang)" = "700 sansang:sansang"
check "/etc/sansang/agent.yaml 640 root:sansang" test "$(mode /etc/sansang/agent.yaml)" = "640 root:sansang"
check "/etc/sansang/collector.yaml 640 root:sansang" test "$(mode /etc/sansang/collector.yaml)" = "640 root:sansang"
check "conffiles declared" bash -c "in_tree dpkg-query -W -f='\${Conffiles}\n' sansang-agent sansang-collector | grep -c '/etc/sansang/' | grep -qx 2"
check "sansang-agent.service enabled" in_tree test -L /etc/systemd/system/multi-user.target.wants/sansang-agent.service

# 4. The units: verify clean, exposure ≤ 2.0.
for unit in sansang-agent.service sansang-collector.service sansang-weekly-report.service sansang-weekly-report.timer; do
    check "systemd-analyze verify $unit" bash -c "out=\$(in_tree systemd-analyze verify --man=no /lib/systemd/system/$unit 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
done
for unit in sansang-agent.service sansang-collector.service sansang-weekly-report.service; do
    exposure=$(in_tree systemd-analyze security --offline=true "/lib/systemd/system/$unit" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
    check "$unit exposure ${exposure:-?} ≤ 2.0" awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
done

# 5. Data and a local change, then the upgrade to a newer build (the same binaries re-packaged as $NEXT).
in_tree runuser -u sansang -- sansang-collector migrate --config /etc/sansang/collector.yaml >/dev/null
in_tree runuser -u sansang -- sh -c 'echo queued-report > /var/lib/sansang-agent/spool/test-report'
printf 'site: "20242"\ncollector:\n  url: https://collector.tinh.example:8470\n' >> "$tree/etc/sansang/agent.yaml"
db_sum=$(in_tree sha256sum /var/lib/sansang/collector.sqlite)
conf_sum=$(in_tree sha256sum /etc/sansang/agent.yaml)
echo "== re-packaging as $NEXT"
VERSION=$NEXT DIST=$work/next LINTIAN=0 DPKG_DEB_OPTIONS="-Zgzip -z1" "$root/scripts/build-deb.sh" >"$work/next.log" 2>&1 || { cat "$work/next.log" >&2; exit 1; }
mkdir -p "$tree/tmp/next"; cp "$work/next/"*.deb "$tree/tmp/next/"
check "upgrade to $NEXT" in_tree sh -c 'cd /tmp/next && apt-get install -y -q ./*.deb </dev/null'
check "sansang-agent now $NEXT" test "$(in_tree dpkg-query -W -f='${Version}' sansang-agent)" = "$NEXT"
check "upgrade kept the database" test "$(in_tree sha256sum /var/lib/sansang/collector.sqlite)" = "$db_sum"
check "upgrade kept the spool" test "$(in_tree cat /var/lib/sansang-agent/spool/test-report)" = queued-report
check "upgrade kept the changed conffile" test "$(in_tree sha256sum /etc/sansang/agent.yaml)" = "$conf_sum"

# 6. remove keeps data and configuration; purge removes them and every file of the sansang user.
check "apt-get remove" in_tree apt-get remove -y -q sansang-agent sansang-collector sansang
check "remove kept the database" in_tree test -s /var/lib/sansang/collector.sqlite
check "remove kept the spool" in_tree test -s /var/lib/sansang-agent/spool/test-report
check "remove kept agent.yaml" in_tree test -s /etc/sansang/agent.yaml
check "apt-get purge" in_tree apt-get purge -y -q sansang-agent sansang-collector sansang
check "purge removed /var/lib/sansang and /var/lib/sansang-agent" sh -c "[ ! -e '$tree/var/lib/sansang' ] && [ ! -e '$tree/var/lib/sansang-agent' ]"
check "purge removed /etc/sansang" test ! -e "$tree/etc/sansang"
check "no file of user sansang left" bash -c "left=\$(in_tree find / -xdev -user sansang); echo \"\$left\"; [ -z \"\$left\" ]"

echo "== test-deb: $failures failure(s), $(( $(date +%s) - start )) s"
[ "$failures" = 0 ]
