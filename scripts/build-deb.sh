#!/usr/bin/env bash
# The Debian packages from binaries already built (`make deb` builds them first, release, static Swift stdlib):
#   dist/sansang-agent_VERSION_amd64.deb, dist/sansang-collector_VERSION_amd64.deb, dist/sansang_VERSION_amd64.deb
# then lintian (no error allowed). docs/packaging.md.
#
# Environment: BIN (default .build/release), VERSION (default: the VERSION file — set it only to re-package
# the same binaries under another version, as the upgrade test does), DIST (default dist), LINTIAN=0 to skip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$root/.build/release}
VERSION=${VERSION:-$(tr -d ' \t\r\n' < "$root/VERSION")}
DIST=${DIST:-$root/dist}
mkdir -p "$DIST"; DIST=$(cd "$DIST" && pwd)
programs=(sansang-agent sansang-collector sansang)
for p in "${programs[@]}"; do
    [ -x "$BIN/$p" ] || { echo "build-deb: $BIN/$p missing; run: make release-static" >&2; exit 2; }
done
for tool in dh dpkg-shlibdeps lintian chrpath; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool missing; apt-get install debhelper lintian chrpath" >&2; exit 2; }
done

# Reproducible dates: the last commit's.
SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
work=$(mktemp -d "${TMPDIR:-/tmp}/sansang-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/sansang-$VERSION
mkdir -p "$src"
cp -a "$root/packaging/debian" "$src/debian"

# debian/changelog: one entry, the version from VERSION.
maintainer=$(sed -n 's/^Maintainer: //p' "$src/debian/control")
{
    printf 'sansang (%s) bookworm; urgency=medium\n\n' "$VERSION"
    printf '  * sansang %s, from git %s.\n\n' "$VERSION" "$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
    printf ' -- %s  %s\n' "$maintainer" "$(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} > "$src/debian/changelog"

# The units, users and directories of systemd/, with the programs in /usr/bin; the by-hand install steps at the
# top of each unit are left out.
unit() {  # unit SOURCE DESTINATION
    awk 'BEGIN { head = 1 } /^\[/ { head = 0 } head && /^#   / { next } { print }' "$1" \
        | sed -e 's|/usr/local/bin/|/usr/bin/|g' -e 's|^\(#.*\)\. Install:$|\1.|' > "$2"
}
unit "$root/systemd/sansang-agent.service" "$src/debian/sansang-agent.service"
unit "$root/systemd/sansang-collector.service" "$src/debian/sansang-collector.service"
unit "$root/systemd/sansang-weekly-report.service" "$src/debian/sansang-collector.sansang-weekly-report.service"
unit "$root/systemd/sansang-weekly-report.timer" "$src/debian/sansang-collector.sansang-weekly-report.timer"
for p in sansang-agent sansang-collector; do
    cp "$root/systemd/$p.sysusers" "$src/debian/$p.sysusers"
    cp "$root/systemd/$p.tmpfiles" "$src/debian/$p.tmpfiles"
done

# Programs, man pages from their argument parsers, shell completions, configuration, MIB, documentation.
mandate=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
for p in "${programs[@]}"; do
    stage=$src/staging/$p
    install -D -m 0755 "$BIN/$p" "$stage/usr/bin/$p"
    # SwiftPM links with RUNPATH $ORIGIN (for its own shared libraries, which these programs do not use); a
    # package's binaries find their libraries in the system's paths only.
    if readelf -d "$stage/usr/bin/$p" | grep -q 'R\(UN\)\?PATH'; then chrpath -d "$stage/usr/bin/$p" >/dev/null; fi
    python3 "$root/scripts/manpages.py" "$BIN/$p" "$stage/usr/share/man/man1" "$VERSION" "$mandate"
    install -d "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
        "$stage/usr/share/fish/vendor_completions.d"
    # bash completions are sourced, not run: no #! line.
    "$BIN/$p" --generate-completion-script bash | sed '1{/^#!/d}' > "$stage/usr/share/bash-completion/completions/$p"
    "$BIN/$p" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_$p"
    "$BIN/$p" --generate-completion-script fish > "$stage/usr/share/fish/vendor_completions.d/$p.fish"
done
install -D -m 0644 "$root/packaging/etc/agent.yaml" "$src/staging/sansang-agent/etc/sansang/agent.yaml"
install -D -m 0644 "$root/packaging/etc/collector.yaml" "$src/staging/sansang-collector/etc/sansang/collector.yaml"
install -D -m 0644 "$root/mibs/SANSANG-READINESS-MIB.txt" \
    "$src/staging/sansang-collector/usr/share/snmp/mibs/SANSANG-READINESS-MIB.txt"
docs() {  # docs PACKAGE FILE...
    local p=$1; shift
    install -d "$src/staging/$p/usr/share/doc/$p"
    for f in "$@"; do install -m 0644 "$root/$f" "$src/staging/$p/usr/share/doc/$p/"; done
}
docs sansang-agent README.md docs/agent.md docs/snmp-notifications.md docs/packaging.md
docs sansang-collector README.md docs/collector.md docs/inventory.md docs/alerts.md docs/email.md \
    docs/weekly-report.md docs/api.md docs/snmp-notifications.md docs/readiness.md docs/packaging.md
docs sansang README.md docs/cli.md

(cd "$src" && DEB_DIST="$DIST" debian/rules binary) > "$work/dh.log" 2>&1 || { cat "$work/dh.log" >&2; exit 1; }
debs=()
for p in "${programs[@]}"; do debs+=("$DIST/${p}_${VERSION}_amd64.deb"); done
ls -l "${debs[@]}"
if [ "${LINTIAN:-1}" != 0 ]; then
    lintian --fail-on error --info "${debs[@]}"
fi
