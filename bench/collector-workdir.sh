# Sourced by the collector benchmarks (bench/fleet.sh, bench/rollup.sh): builds $BIN/sansang-collector (release by
# default) if missing, makes $work (removed on exit, with the collector started as $collector), a free loopback
# $port, $work/inventory with the example profiles, and $work/collector.yaml on SQLite without alert rules.
BIN=${BIN:-.build/release}
[ -x "$BIN/sansang-collector" ] || swift build -c release --product sansang-collector >/dev/null
work=$(mktemp -d)
collector=
trap '[ -n "$collector" ] && kill $collector 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/inventory"
cp inventory/profiles.yaml "$work/inventory/"
cat > "$work/collector.yaml" <<YAML
listen: {host: 127.0.0.1, port: $port}
database: {sqlite_path: $work/collector.sqlite}
inventory: [$work/inventory]
alerts: {path: $work/no-alerts}
YAML
