#!/usr/bin/env bash
# `make run`: the main job on this host, on the embedded defaults. A collector on SQLite with the example
# inventory (Đà Nẵng, 94 units) and the default alert rules, an agent on this host reporting to it as Phường Hải
# Châu (20242), a local SMTP server (scripts/smtp-sink.py) keeping the collector's mail in .run/mailbox, the
# readiness roll-up, the alerts and a sample weekly report (.run/weekly-report: HTML and PNG chart) — all in
# the background: `make stop` ends them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/debug}
RUN=${RUN_DIR:-.run}
PORT=${SANSANG_PORT:-8470}
SITE=${SANSANG_SITE:-20242}
SMTP_PORT=${SANSANG_SMTP_PORT:-2525}
URL="http://127.0.0.1:$PORT"

scripts/stop.sh >/dev/null 2>&1 || true
# Every run starts afresh: a database left by an earlier run would show its old reports as this run's.
rm -rf "$RUN"
mkdir -p "$RUN/alerts"
cp alerts/default.yaml "$RUN/alerts/"
# The demo's route: every alert to the NOC mailbox, grouped by rule and province.
cat > "$RUN/alerts/routes.yaml" <<YAML
routes:
  - receivers: [noc-email]
    group_by: [alertname, province]
    group_wait: 10s
receivers:
  - name: noc-email
    email: {to: ["noc@sansang.example"], lang: vi}
YAML
cat > "$RUN/collector.yaml" <<YAML
listen: {host: 127.0.0.1, port: $PORT}
database: {sqlite_path: $PWD/$RUN/collector.sqlite}
inventory: [$PWD/inventory]
report_interval_s: 10
evaluation_interval_s: 5
alerts: {path: $PWD/$RUN/alerts, evaluation_interval_s: 5}
mail:
  url: smtp://127.0.0.1:$SMTP_PORT
  security: none
  from: "sansang demo <sansang@sansang.example>"
  outbox: $PWD/$RUN/outbox
weekly_report: {to: ["Lãnh đạo <lanhdao@sansang.example>"], lang: vi, title: Đà Nẵng}
YAML
nohup /usr/bin/python3 scripts/smtp-sink.py --port "$SMTP_PORT" --mailbox "$PWD/$RUN/mailbox" --detached \
  > "$RUN/smtp.log" 2>&1 &
echo $! > "$RUN/smtp.pid"
"$BIN/sansang-collector" inventory check inventory >/dev/null
"$BIN/sansang-collector" migrate --config "$RUN/collector.yaml" >/dev/null
"$BIN/sansang-collector" token issue "$SITE" --config "$RUN/collector.yaml" > "$RUN/agent.token"
"$BIN/sansang-collector" token issue --noc demo --role admin --config "$RUN/collector.yaml" > "$RUN/noc.token"
chmod 600 "$RUN"/*.token
# A dashboard user (admin) with a random password, kept in a private file.
( umask 077; head -c 12 /dev/urandom | base64 | tr -d '/+=' > "$RUN/dashboard.password" )
"$BIN/sansang-collector" user add demo --role admin --password-file "$RUN/dashboard.password" --config "$RUN/collector.yaml" >/dev/null

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

# A sample weekly report of this week from what the collector knows so far, and the same mailed through the
# running collector's outbox to the local SMTP server.
WEEK=$(TZ=Asia/Ho_Chi_Minh date +%G-W%V)
"$BIN/sansang-collector" report weekly --week "$WEEK" --out "$RUN/weekly-report" --config "$RUN/collector.yaml"
"$BIN/sansang-collector" report weekly --week "$WEEK" --send --config "$RUN/collector.yaml" || true
echo
echo "alerts (the agent_silent alert of the 92 offices without an agent fires at once, one mail for all):"
"$BIN/sansang" alerts --state firing | head -8 || true
cat <<TEXT

The collector, the agent and the SMTP server keep running (logs in $RUN/). Try:
  export SANSANG_SERVER=$URL SANSANG_TOKEN=\$(cat $RUN/noc.token)
  $BIN/sansang status --group-by former_district
  $BIN/sansang sites --verdict unknown --lang en
  $BIN/sansang alerts
  $BIN/sansang silence add --site $SITE --duration 2h --comment "Bảo trì"
  $BIN/sansang report weekly --format html --out /tmp/bao-cao.html
  curl -s -H "Authorization: Bearer \$SANSANG_TOKEN" $URL/api/v1/readiness?group_by=type
Weekly report: $RUN/weekly-report/report.html (chart: $RUN/weekly-report/chart.png)
Mail received: $RUN/mailbox/ (the alert mail, and the weekly report within a few seconds)
Dashboard: $URL/   (user demo, password in $RUN/dashboard.password)
API:     $URL/api/v1/readiness   (OpenAPI: $URL/openapi.yaml, metrics: $URL/metrics)
Stop:    make stop
TEXT
