#!/usr/bin/env bash
# Collector ingest (SQLite): many concurrent simulated agents POST one report each per request, as agents do
# in steady state, every report new (site, boot id, seq). wrk drives the load from a second process on
# loopback; its latency distribution gives p50/p99. Appends a row to docs/performance.md.
# Usage: bench/ingest.sh [SECONDS] [CONNECTIONS]   (needs: wrk, curl, python3; a built package)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${1:-20}
CONNECTIONS=${2:-64}
BIN=${BIN:-.build/release}
[ -x "$BIN/sansang-collector" ] || swift build -c release --product sansang-collector >/dev/null
work=$(mktemp -d)
trap 'kill $collector 2>/dev/null; wait $collector 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/collector.yaml" <<YAML
listen: {host: 127.0.0.1, port: $port}
database: {sqlite_path: $work/collector.sqlite}
inventory: [$PWD/inventory]
YAML
"$BIN/sansang-collector" migrate --config "$work/collector.yaml" >/dev/null
sites=(20242 20257 20209 20305 20275 20263 20285 20200)
for site in "${sites[@]}"; do
  "$BIN/sansang-collector" token issue "$site" --config "$work/collector.yaml" > "$work/token-$site"
done
"$BIN/sansang-collector" serve --config "$work/collector.yaml" > "$work/collector.log" 2>&1 &
collector=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done

# The report body: the documented example report (docs/report-format.md), one per request, with the site,
# boot id and seq of the simulated agent filled in.
python3 - "$work" "${sites[@]}" <<'PY'
import json, sys
work, sites = sys.argv[1], sys.argv[2:]
report = json.load(open("Tests/ReadinessModelTests/Fixtures/report-v1.json"))
report.pop("gap", None)
report["site"], report["agent"]["boot_id"], report["seq"] = "@SITE@", "@BOOT@", 424242
text = json.dumps({"reports": [report]}, separators=(",", ":")).replace("424242", "@SEQ@")
open(f"{work}/body.json", "w").write(text)
tokens = [open(f"{work}/token-{s}").read().strip() for s in sites]
lua = f"""
local sites = {{{",".join('"%s"' % s for s in sites)}}}
local tokens = {{{",".join('"%s"' % t for t in tokens)}}}
local template = io.open("{work}/body.json"):read("*a")
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end
function init(args)
  local i = ((index - 1) % #sites) + 1
  site, token, boot, seq = sites[i], tokens[i], string.format("bench-%d-%d", index, os.time()), 0
end
function request()
  seq = seq + 1
  local body = template:gsub("@SITE@", site):gsub("@BOOT@", boot):gsub("@SEQ@", tostring(seq))
  return wrk.format("POST", "/api/v1/reports", {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}}, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.1f %.1f %.1f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
open(f"{work}/ingest.lua", "w").write(lua)
PY

threads=${#sites[@]}
[ "$threads" -gt "$CONNECTIONS" ] && threads=$CONNECTIONS
out=$(wrk -t "$threads" -c "$CONNECTIONS" -d "${SECONDS_RUN}s" --latency -s "$work/ingest.lua" "http://127.0.0.1:$port")
echo "$out"
read -r requests duration p50 p99 max errors <<<"$(echo "$out" | awk '/^RESULT/ {print $2, $3, $4, $5, $6, $7}')"
stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from report').fetchone()[0])" "$work/collector.sqlite")
rate=$(python3 -c "print(round($stored / ($duration / 1e6)))")
echo "stored $stored reports in $(python3 -c "print($duration/1e6)") s: $rate reports/s, p50 ${p50} ms, p99 ${p99} ms, errors $errors"
printf '| %s | %s cores | %s | %s | %s | %s | %s ms | %s ms | %s |\n' "$(date +%F)" "$(nproc)" "$CONNECTIONS" \
  "$SECONDS_RUN s" "$stored" "$rate/s" "$p50" "$p99" "$errors" >> "$work/row"
python3 - "$work/row" <<'PY'
import sys
row = open(sys.argv[1]).read()
path = "docs/performance.md"
text = open(path).read()
header = "## Collector ingest (SQLite)"
if header not in text:
    text += f"""
{header}

`bench/ingest.sh [SECONDS] [CONNECTIONS]` (or `make bench-ingest`): a release `sansang-collector serve` on SQLite
(WAL, synchronous=FULL) with the example inventory; wrk on loopback keeps CONNECTIONS simulated agents posting one
new report each per request (the documented example report, 8 sites, every (site, boot, seq) new), each committed
before its 202. Reports/s counts rows in the database afterwards. Target: ≥ 20,000 reports/s, p99 < 50 ms.

| date | machine | agents (connections) | duration | reports stored | rate | p50 | p99 | errors |
|---|---|---|---|---|---|---|---|---|
"""
# The row goes at the end of this section's table, wherever the section stands in the file.
lines = text.split("\n")
start = lines.index(header)
end = next(i for i in range(start, len(lines) + 1) if i == len(lines) or (i > start + 2 and lines[i - 1].startswith("|") and not lines[i].startswith("|")))
lines.insert(end, row.rstrip("\n"))
open(path, "w").write("\n".join(lines))
PY
