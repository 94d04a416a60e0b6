#!/usr/bin/env bash
# `make run`: the main job on this host, on the embedded defaults. A collector on SQLite with the example
# inventory (Đà Nẵng, 94 units), an agent on this host reporting to it as Phường Hải Châu (20242), the
# readiness roll-up printed and the API URL shown. Both keep running in the background: `make stop` ends them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
RUN=${RUN_DIR:-.run}
PORT=${SANSANG_PORT:-8470}
SITE=${SANSANG_SITE:-20242}
URL="http://127.0.0.1:$PORT"

scripts/stop.sh >/dev/null 2>&1 || true
mkdir -p "$RUN"
cat > "$RUN/collector.yaml" <<YAML
listen: {host: 127.0.0.1, port: $PORT}
database: {sqlite_path: $PWD/$RUN/collector.sqlite}
inventory: [$PWD/inventory]
report_interval_s: 10
evaluation_interval_s: 5
YAML
"$BIN/sansang-collector" inventory check inventory >/dev/null
"$BIN/sansang-collector" migrate --config "$RUN/collector.yaml" >/dev/null
"$BIN/sansang-collector" token issue "$SITE" --config "$RUN/collector.yaml" > "$RUN/agent.token"
"$BIN/sansang-collector" token issue --noc demo --role read --config "$RUN/collector.yaml" > "$RUN/noc.token"
chmod 600 "$RUN"/*.token

nohup "$BIN/sansang-collector" serve --config "$RUN/collector.yaml" > "$RUN/collector.log" 2>&1 &
echo $! > "$RUN/collector.pid"
for _ in $(seq 1 100); do curl -sf -o /dev/null "$URL/readyz" && break; sleep 0.2; done
curl -sf -o /dev/null "$URL/readyz" || { echo "the collector did not start; see $RUN/collector.log" >&2; tail -5 "$RUN/collector.log" >&2; exit 1; }

cat > "$RUN/agent.yaml" <<YAML
site: "$SITE"
collector: {url: "$URL", token_file: $PWD/$RUN/agent.token}
uplink: auto
state_directory: $PWD/$RUN/agent-state
lldp_wait_s: 2
report_interval_s: 10
YAML
nohup "$BIN/sansang-agent" run --config "$RUN/agent.yaml" > "$RUN/agent.log" 2>&1 &
echo $! > "$RUN/agent.pid"

export SANSANG_SERVER="$URL" SANSANG_TOKEN="$(cat "$RUN/noc.token")"
echo "waiting for the first report of $SITE …"
for _ in $(seq 1 120); do
  "$BIN/sansang" sites --json 2>/dev/null | grep -q "\"last_report_at\"" && break
  sleep 0.5
done

echo
"$BIN/sansang" status --group-by former_district || true
echo
"$BIN/sansang" site "$SITE" || true
cat <<TEXT

The collector and the agent keep running (logs in $RUN/). Try:
  export SANSANG_SERVER=$URL SANSANG_TOKEN=\$(cat $RUN/noc.token)
  $BIN/sansang status --group-by former_district
  $BIN/sansang sites --verdict unknown --lang en
  curl -s -H "Authorization: Bearer \$SANSANG_TOKEN" $URL/api/v1/readiness?group_by=type
API:     $URL/api/v1/readiness   (OpenAPI: $URL/openapi.yaml, metrics: $URL/metrics)
Stop:    make stop
TEXT
