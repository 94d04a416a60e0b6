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

# Waits until the collector's evaluation at start has given every office of the fleet a verdict (the readiness
# roll-up counts no office as unknown; every benchmark fleet gives each office a newest report), and prints how long
# that took. Usage: wait_until_evaluated TOKEN
wait_until_evaluated() {
  local start unknown
  start=$(date +%s.%N)
  for _ in $(seq 1 600); do
    unknown=$(curl -s -H "Authorization: Bearer $1" "http://127.0.0.1:$port/api/v1/readiness" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["overall"]["by_state"]["unknown"])' 2>/dev/null || echo '?')
    [ "$unknown" = 0 ] && break
    sleep 0.5
  done
  [ "$unknown" = 0 ] || { echo "the collector did not evaluate every office within 300 s ($unknown unknown)" >&2; exit 1; }
  echo "evaluation of every office at start: $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s after ready"
}
