#!/usr/bin/env bash
# Collector ingest (SQLite) by fleet size (issue 17): the same load against collectors whose fleets have 93, 3,321 and
# 33,210 distinct sites, in one run, runs interleaved (93, 3,321, 33,210, 93, …) so that they share the machine's
# conditions. Each fleet has a generated inventory in 34 provinces and a site token per site; wrk on loopback keeps
# CONNECTIONS connections posting one report per request, each request for the next site of its thread's share of the
# fleet, with that site's token, every (site, boot, seq) new: every site of the fleet reports in turn. The body is the
# report an agent with the fleet's `default` profile sends (bench/latest-reports.py: the example report's links and one
# result per profile service, 18; about 4 KB), with the site, boot, seq and times filled in, and every
# report is stored, committed and evaluated before its 202. Reports/s counts rows in the database; CPU per report is the
# collector's user+system time over the run divided by the reports stored. Appends rows to docs/performance.md.
# Usage: [PERF=FILE] bench/ingest.sh [SECONDS] [CONNECTIONS] [RUNS] [SITES...]   (needs: wrk, curl, python3; a built package;
#        perf for PERF)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${1:-20}
CONNECTIONS=${2:-64}
RUNS=${3:-3}
shift 3 2>/dev/null || shift $#
FLEETS=("${@:-93 3321 33210}")
read -r -a FLEETS <<<"${FLEETS[*]}"
BIN=${BIN:-.build/release}
[ -x "$BIN/sansang-collector" ] || swift build -c release --product sansang-collector >/dev/null
work=$(mktemp -d)
collector=
trap '[ -n "$collector" ] && kill $collector 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
THREADS=2

# One directory per fleet: inventory, collector.yaml, migrated database with one site token per site, wrk script.
for n in "${FLEETS[@]}"; do
  dir="$work/fleet-$n"
  mkdir -p "$dir/inventory"
  cp inventory/profiles.yaml "$dir/inventory/"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "$port" > "$dir/port"
  cat > "$dir/collector.yaml" <<YAML
listen: {host: 127.0.0.1, port: $port}
database: {sqlite_path: $dir/collector.sqlite}
inventory: [$dir/inventory]
alerts: {path: $PWD/alerts}
YAML
  python3 - "$dir" "$n" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
provinces = 34
districts = max(1, n // 5)
for p in range(provinces):
    lines = [f"province: Tỉnh mô phỏng {p}", "profile: default", "sites:"]
    for i in range(p, n, provinces):
        lines.append(f'  - {{code: "{10000 + i}", name: "Xã Mô Phỏng {i}", type: xa, former_district: "Huyện cũ {i % districts}"}}')
    if len(lines) > 3:
        open(f"{d}/inventory/fleet-{p}.yaml", "w").write("\n".join(lines) + "\n")
PY
  "$BIN/sansang-collector" migrate --config "$dir/collector.yaml" >/dev/null
  python3 - "$dir" "$n" "$THREADS" <<'PY'
import base64, hashlib, json, os, sqlite3, sys, time
d, n, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
db = sqlite3.connect(f"{d}/collector.sqlite")
sites, tokens, rows = [], [], []
for i in range(n):
    site = str(10000 + i)
    token = f"sst_{i:012x}_" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    rows.append((f"{i:012x}", "site", site, site, None, hashlib.sha256(token.encode()).hexdigest(), time.time()))
    sites.append(site)
    tokens.append(token)
db.executemany("INSERT INTO token (id, kind, site, name, role, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
db.commit()
# The report an agent with the fleet's `default` profile sends (bench/latest-reports.py: its links, 18 services).
import importlib.util
spec = importlib.util.spec_from_file_location("latest_reports", "bench/latest-reports.py")
latest_reports = importlib.util.module_from_spec(spec)
spec.loader.exec_module(latest_reports)
template = json.load(open("Tests/ReadinessModelTests/Fixtures/report-v1.json"))
template.pop("gap", None)
report = json.loads(latest_reports.report_for(1, "@SITE@", "@GEN@", template, latest_reports.default_profile_services()))
report["agent"]["boot_id"], report["seq"] = "@BOOT@", 424242
body = json.dumps({"reports": [report]}, separators=(",", ":")).replace("424242", "@SEQ@")
open(f"{d}/body.json", "w").write(body)
open(f"{d}/sites.txt", "w").write("\n".join(f"{s} {t}" for s, t in zip(sites, tokens)) + "\n")
lua = f"""
local template = io.open("{d}/body.json"):read("*a")
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end
function init(args)
  -- This thread's share of the fleet: sites index, index + threads, …
  sites, tokens, seqs = {{}}, {{}}, {{}}
  local line = 0
  for l in io.lines("{d}/sites.txt") do
    if line % {threads} == index - 1 then
      local s, t = l:match("(%S+) (%S+)")
      sites[#sites + 1], tokens[#tokens + 1], seqs[#seqs + 1] = s, t, 0
    end
    line = line + 1
  end
  boot, next_site = string.format("bench-%d-%d", index, os.time()), 0
end
function request()
  next_site = next_site % #sites + 1
  local i = next_site
  seqs[i] = seqs[i] + 1
  local body = template:gsub("@SITE@", sites[i]):gsub("@BOOT@", boot):gsub("@SEQ@", tostring(seqs[i]))
    :gsub("@GEN@", os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format("POST", "/api/v1/reports", {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[i]}}, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.1f %.1f %.1f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
"""
open(f"{d}/ingest.lua", "w").write(lua)
PY
done

count() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from report').fetchone()[0])" "$1"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

: > "$work/results"
for run in $(seq 1 "$RUNS"); do
  for n in "${FLEETS[@]}"; do
    dir="$work/fleet-$n"
    port=$(cat "$dir/port")
    "$BIN/sansang-collector" serve --config "$dir/collector.yaml" > "$dir/collector-$run.log" 2>&1 &
    collector=$!
    for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
    # The work done once at start (every office evaluated, the alert engine's first full read) must be over: wait
    # until the collector is idle (under 10 % of a core for a second).
    for _ in $(seq 1 600); do
      a=$(cpu_ticks "$collector"); sleep 1; b=$(cpu_ticks "$collector")
      [ $((b - a)) -lt $(( $(getconf CLK_TCK) / 10 )) ] && break
    done
    before=$(count "$dir/collector.sqlite")
    ticks0=$(cpu_ticks "$collector")
    # PERF=FILE: a CPU profile of the collector during the last run of the largest fleet, as perf's text report.
    profiler=
    if [ -n "${PERF:-}" ] && [ "$run" = "$RUNS" ] && [ "$n" = "${FLEETS[-1]}" ]; then
      perf record -F 999 -g -p "$collector" -o "$work/perf.data" -- sleep "$SECONDS_RUN" >/dev/null 2>&1 &
      profiler=$!
    fi
    out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${SECONDS_RUN}s" --latency -s "$dir/ingest.lua" "http://127.0.0.1:$port")
    if [ -n "$profiler" ]; then
      wait "$profiler" || true
      perf report -i "$work/perf.data" --no-children --sort symbol --percent-limit 0.7 --stdio 2>/dev/null | grep -v '^$' > "$PERF" || true
      perf report -i "$work/perf.data" --children --sort symbol --percent-limit 3 --stdio -g none 2>/dev/null | grep -v '^$' > "$PERF.children" || true
    fi
    ticks1=$(cpu_ticks "$collector")
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$collector/status")
    kill "$collector"; wait "$collector" 2>/dev/null || true
    collector=
    after=$(count "$dir/collector.sqlite")
    read -r requests duration p50 p99 max errors status <<<"$(echo "$out" | awk '/^RESULT/ {print $2, $3, $4, $5, $6, $7, $8}')"
    stored=$((after - before))
    python3 - "$n" "$run" "$stored" "$duration" "$p50" "$p99" "$errors" "$status" "$((ticks1 - ticks0))" "$(getconf CLK_TCK)" "$rss" \
      >> "$work/results" <<'PY'
import sys
n, run, stored, duration, p50, p99, errors, status, ticks, hz, rss = sys.argv[1:]
rate = int(stored) / (int(duration) / 1e6)
cpu_us = int(ticks) / int(hz) * 1e6 / max(1, int(stored))
print(n, run, stored, round(rate), p50, p99, errors, status, round(cpu_us), round(int(rss) / 1024))
PY
    tail -1 "$work/results" | awk '{printf "fleet %s run %s: %s reports, %s/s, p50 %s ms, p99 %s ms, errors %s, non-2xx %s, CPU %s µs/report, peak RSS %s MiB\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
  done
done

python3 - "$work/results" "$SECONDS_RUN" "$CONNECTIONS" "$RUNS" "$(nproc)" "$(basename "$BIN")" <<'PY'
import statistics, sys, datetime
path, seconds, connections, runs, cores, build = sys.argv[1:]
rows = [line.split() for line in open(path) if line.strip()]
fleets = sorted({int(r[0]) for r in rows})
out = []
for n in fleets:
    mine = [r for r in rows if int(r[0]) == n]
    rates = [int(r[3]) for r in mine]
    p99s = [float(r[5]) for r in mine]
    p50s = [float(r[4]) for r in mine]
    cpu = [int(r[8]) for r in mine]
    errors = sum(int(r[6]) + int(r[7]) for r in mine)
    out.append(f"| {datetime.date.today()} | {cores} cores, {build} | {n:,} | {connections} | {runs} × {seconds} s | "
               f"**{statistics.median(rates):,.0f}/s** ({min(rates):,}–{max(rates):,}) | {statistics.median(p50s):.1f} ms | "
               f"**{statistics.median(p99s):.1f} ms** ({min(p99s)}–{max(p99s)}) | {statistics.median(cpu)} µs | {errors} |")
print("\n".join(out))
doc = "docs/performance.md"
text = open(doc).read()
header = "## Collector ingest by fleet size (SQLite)"
if header not in text:
    text += f"""
{header}

`make bench-ingest` (`bench/ingest.sh SECONDS CONNECTIONS RUNS [SITES…]`): collectors whose fleets have 93, 3,321 and
33,210 distinct sites (generated inventory in 34 provinces, one site token per site), the same load in one run, runs
interleaved. wrk on loopback (2 threads, CONNECTIONS connections) posts one report per request, each request for the
next site of its thread's share of the fleet with that site's token, every (site, boot, seq) new; the body is the
report a `default`-profile agent sends (3.8 KB) with the site filled in; each report is stored, committed (WAL, synchronous=FULL) and its
site evaluated before the 202. Rate: rows stored / run time, median of the runs (min–max); p99: wrk's, median
(min–max); CPU: the collector's user+system time per report stored (wrk runs on the same 2 cores). Target (issue 17):
≥ 20,000 reports/s, p99 < 50 ms, flat across fleet sizes.

| date | machine, build | sites | connections | runs | rate | p50 | p99 | collector CPU per report | errors |
|---|---|---|---|---|---|---|---|---|---|
"""
lines = text.split("\n")
start = lines.index(header)
end = next(i for i in range(start, len(lines) + 1) if i == len(lines) or (i > start + 2 and lines[i - 1].startswith("|") and not lines[i].startswith("|")))
lines[end:end] = out
open(doc, "w").write("\n".join(lines))
PY
