#!/usr/bin/env bash
# The weekly summary for 3,321 sites, chart included (target < 2 s), end to end: a generated inventory
# of 3,321 offices in 700 former districts, a collector database with 12 weeks of verdict transitions and a
# week of service checks, then `sansang-collector report weekly --out DIR` timed as a whole process (start-up,
# inventory, database reads, summary, chart, HTML, text, CSV, JSON) against the same week from the API.
# Appends a row to docs/performance.md.
# Usage: bench/weekly-report-db.sh [RUNS]   (needs: python3, curl; a built package)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
. bench/fleet.sh
# 12 weeks ending 2026-W48 (its Monday is 2026-11-23 00:00 +07:00, 1795366800), then a week of service checks.
fleet_transitions $((1795366800 - 11 * 7 * 86400))
python3 - "$work/collector.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
week48_monday = 1795366800.0  # 2026-11-23 00:00 +07:00
day = int((week48_monday + 7 * 3600) // 86400)
checks = [(s, str(30000 + i), day + d, 1440, 1440 - (i % 7), week48_monday + d * 86400)
          for i in range(3321) for d in range(7) for s in ("vneid", "dichvucong", "egov")]
db.executemany("INSERT INTO service_day (service, site, day, total, ok, last_checked_at) VALUES (?, ?, ?, ?, ?, ?)", checks)
db.commit()
PY

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cli=()
for _ in $(seq 1 "$RUNS"); do
  s=$(date +%s.%N)
  "$BIN/sansang-collector" report weekly --week 2026-W48 --out "$work/out" --config "$work/collector.yaml" >/dev/null
  e=$(date +%s.%N)
  cli+=("$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')")
done
cli_median=$(printf '%s\n' "${cli[@]}" | median)
cli_max=$(printf '%s\n' "${cli[@]}" | sort -n | tail -1)

"$BIN/sansang-collector" serve --config "$work/collector.yaml" > "$work/collector.log" 2>&1 &
collector=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
token=$("$BIN/sansang-collector" token issue --noc bench --role read --config "$work/collector.yaml" 2>/dev/null)
api=()
for _ in $(seq 1 "$RUNS"); do
  api+=("$(curl -s -o "$work/report.html" -w '%{time_total}' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/v1/reports/weekly?week=2026-W48&format=html")")
done
api_median=$(printf '%s\n' "${api[@]}" | median)
ready=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%d/%d" % (d["ready"], d["total"]))' "$work/out/report.json")
chart=$(python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(); print("%dx%d" % struct.unpack(">II", b[16:24]))' "$work/out/chart.png")

row="| $(date -u +%F) | weekly report, 3,321 sites / 700 districts, 12 weeks, $RUNS runs | \`report weekly --out\` (whole process) median **${cli_median} s** (max ${cli_max} s); API \`format=html\` median **${api_median} s** | $ready ready, chart $chart |"
echo "$row"
if ! grep -q '^## Weekly summary for 3,321 sites' docs/performance.md; then
  cat >> docs/performance.md <<'MD'

## Weekly summary for 3,321 sites

`make bench-weekly` (`bench/weekly-report-db.sh RUNS`): an inventory of 3,321 generated offices in 700 former
districts, a collector database with 12 weeks of verdict transitions (each site turns ready in some week, a
third of them flap once) and a week of daily service tallies; then the whole `sansang-collector report weekly
--out` process (start-up, inventory, database, summary, cairo chart, HTML, text, CSV, JSON) and the API's
`format=html` page (chart inline) for the same week. Target: under 2 s.

| date | run | time | what |
|---|---|---|---|
MD
fi
echo "$row" >> docs/performance.md
