#!/usr/bin/env bash
# Install test of the Debian packages in a clean Debian 12 tree (mmdebstrap from Debian's archive, then chroot):
# install with apt (Depends resolve), user and directories, --version/--help/man, the units (systemd-analyze
# verify and security ≤ 2.0), an office enrolled over verified TLS (tls init, enroll issue, sansang-agent enroll)
# and its first report stored, upgrade to a newer build keeping spool, database and a changed conffile,
# remove keeping data, purge removing it. Needs root, debhelper, lintian, mmdebstrap, curl, python3 and Debian's
# archive.
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
# The same for a daemon started in the background: one process from unshare to the program (each step execs the
# next), so that $! is the daemon's PID and a kill stops it.
tree_exec=(unshare -m --propagation private -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$tree"
           env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)

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

# 5. An office enrolled as docs/install.md says, over verified TLS: a private CA and the collector's certificate
#    (tls init), the collector serving HTTPS on loopback (the tree shares the host's network; the name resolves
#    there by /etc/hosts), a one-time code, `sansang-agent enroll` with the fingerprint, then the agent's first
#    report stored. The office's profile checks the collector's own port only: nothing leaves the host.
#    Both run as the units run them: user sansang, the agent with CAP_NET_RAW (setpriv; no systemd in a chroot).
as_sansang() { in_tree setpriv --reuid=sansang --regid=sansang --init-groups "$@"; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "127.0.0.1 collector.tinh.example" >> "$tree/etc/hosts"
url=https://collector.tinh.example:$port
check "sansang-collector tls init" in_tree sansang-collector tls init --dir /etc/sansang/tls --name collector.tinh.example
in_tree chown -R root:sansang /etc/sansang/tls
in_tree chmod 640 /etc/sansang/tls/server.key
mkdir -p "$tree/etc/sansang/inventory"
cat > "$tree/etc/sansang/inventory/profiles.yaml" <<YAML
profiles:
  - name: install-test
    links: [{role: lan, target_mbps: 1 Gbit/s}]
    services: [{name: collector, kind: tcp, host: 127.0.0.1, port: $port, required: true}]
YAML
cat > "$tree/etc/sansang/inventory/office.yaml" <<YAML
province: Thành phố Đà Nẵng
profile: install-test
sites: [{code: "20242", name: Phường Hải Châu, type: phuong, former_district: Hải Châu}]
YAML
cat >> "$tree/etc/sansang/collector.yaml" <<YAML
listen: {host: 127.0.0.1, port: $port}
tls: {cert_file: /etc/sansang/tls/server.pem, key_file: /etc/sansang/tls/server.key, ca_file: /etc/sansang/tls/ca.pem}
report_interval_s: 5
YAML
check "sansang-collector migrate" as_sansang sansang-collector migrate --config /etc/sansang/collector.yaml
"${tree_exec[@]}" setpriv --reuid=sansang --regid=sansang --init-groups \
    sansang-collector serve --config /etc/sansang/collector.yaml >"$work/collector.log" 2>&1 &
collector=$!
stop_collector() { kill "$collector" 2>/dev/null && wait "$collector" 2>/dev/null; collector=; }
cleanup() { [ -n "${collector:-}" ] && stop_collector; [ -n "${agent:-}" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null; rm -rf "$work"; }
for _ in $(seq 1 100); do
    curl -sf --resolve "collector.tinh.example:$port:127.0.0.1" --cacert "$tree/etc/sansang/tls/ca.pem" "$url/readyz" >/dev/null && break
    sleep 0.2
done
check "the collector serves HTTPS with the certificate of its private CA" \
    curl -sf --resolve "collector.tinh.example:$port:127.0.0.1" --cacert "$tree/etc/sansang/tls/ca.pem" "$url/readyz"
as_sansang sansang-collector enroll issue 20242 --url "$url" --config /etc/sansang/collector.yaml >"$work/issue.out" 2>&1 || true
code=$(sed -n 's/^code: *//p' "$work/issue.out"); fingerprint=$(sed -n 's/^fingerprint: *//p' "$work/issue.out")
check "enroll issue prints a code and the fingerprint" test -n "$code" -a -n "$fingerprint"
check "sansang-agent enroll (fingerprint checked, token, pinned CA, agent.yaml, one check)" bash -c \
    "in_tree sansang-agent enroll --collector '$url' --site 20242 --code '$code' --fingerprint '$fingerprint' --lldp-wait 0 --lang en | tee '$work/enroll.out'; grep -q '✓ the collector $url answers' '$work/enroll.out'"
check "the token is the sansang user's, mode 600" test "$(mode /etc/sansang/token)" = "600 sansang:sansang"
check "agent.yaml filled in, mode and owner kept" bash -c "grep -q '^site: \"20242\"' '$tree/etc/sansang/agent.yaml' && test \"\$(in_tree stat -c '%a %U:%G' /etc/sansang/agent.yaml)\" = '640 root:sansang'"
printf 'lldp_wait_s: 0\n' >> "$tree/etc/sansang/agent.yaml"
"${tree_exec[@]}" setpriv --reuid=sansang --regid=sansang --init-groups --inh-caps=+net_raw --ambient-caps=+net_raw \
    sansang-agent run --config /etc/sansang/agent.yaml >"$work/agent.log" 2>&1 &
agent=$!
reports_stored() {
    python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM report WHERE site = ?", ("20242",)).fetchone()[0])' \
        "$tree/var/lib/sansang/collector.sqlite" 2>/dev/null || echo 0
}
for _ in $(seq 1 60); do [ "$(reports_stored)" -gt 0 ] && break; sleep 1; done
if [ "$(reports_stored)" -gt 0 ]; then pass "the enrolled agent's first report is stored by the collector"
else fail "the enrolled agent's first report is stored by the collector"; tail -20 "$work/agent.log" "$work/collector.log" | sed 's/^/     /'; fi
kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null; agent=
stop_collector

# 6. Data and a local change (enrolment changed agent.yaml), then the upgrade to a newer build (the same binaries
#    re-packaged as $NEXT).
in_tree runuser -u sansang -- sh -c 'echo queued-report > /var/lib/sansang-agent/spool/test-report'
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

# 7. remove keeps data and configuration; purge removes them and every file of the sansang user.
check "apt-get remove" in_tree apt-get remove -y -q sansang-agent sansang-collector sansang
check "remove kept the database" in_tree test -s /var/lib/sansang/collector.sqlite
check "remove kept the spool" in_tree test -s /var/lib/sansang-agent/spool/test-report
check "remove kept agent.yaml" in_tree test -s /etc/sansang/agent.yaml
check "apt-get purge" in_tree apt-get purge -y -q sansang-agent sansang-collector sansang
check "purge removed /var/lib/sansang and /var/lib/sansang-agent" sh -c "[ ! -e '$tree/var/lib/sansang' ] && [ ! -e '$tree/var/lib/sansang-agent' ]"
# What the administrator put there (here: the certificates of step 5 and the inventory) stays, nothing else.
check "purge left in /etc/sansang only what the administrator put there" test "$(ls "$tree/etc/sansang" | tr '\n' ' ')" = "inventory tls "
check "no file of user sansang left" bash -c "left=\$(in_tree find / -xdev -user sansang); echo \"\$left\"; [ -z \"\$left\" ]"

echo "== test-deb: $failures failure(s), $(( $(date +%s) - start )) s"
[ "$failures" = 0 ]
