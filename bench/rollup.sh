#!/usr/bin/env bash
# Fleet roll-up over SITES sites (default 33,210, 10× Vietnam's communes) in 34 provinces and SITES/5 former districts,
# with a week of history: each site's newest report (bench/latest-reports.py: the example `default` profile's report,
# varied) received just before the start, so the collector's evaluation at start gives real verdicts, and a week of verdict
# transitions (a third of the sites flap each day). Times GET /api/v1/readiness overall and by province, former
# district and type over REQUESTS sequential requests, twice: with the fleet's verdicts unchanged between requests (the
# collector keeps the compact verdict rows while the newest transition id stays the same), and with a transition
# recorded before every request (each roll-up re-reads the 33,210 compact verdict rows: the cost when verdicts change
# all the time). Target (issue 17): p99 < 20 ms. Appends rows to docs/performance.md.
# Usage: bench/rollup.sh [REQUESTS] [SITES]   (needs: python3, curl; a built package; BIN=.build/release by default)
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-200}
SITES=${2:-33210}
. bench/collector-workdir.sh
python3 - "$work" "$SITES" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
districts = max(1, n // 5)
for p in range(34):
    lines = [f"province: Tỉnh mô phỏng {p}", "profile: default", "sites:"]
    for i in range(p, n, 34):
        kind = "phuong" if i % 4 == 0 else "xa"
        lines.append(f'  - {{code: "{10000 + i}", name: "Xã Mô Phỏng {i}", type: {kind}, former_district: "Huyện cũ {i % districts}"}}')
    open(f"{d}/inventory/fleet-{p}.yaml", "w").write("\n".join(lines) + "\n")
PY
"$BIN/sansang-collector" migrate --config "$work/collector.yaml" >/dev/null
python3 bench/latest-reports.py "$work/collector.sqlite" 10000 "$SITES"
# A week of history: a third of the sites flap once a day.
python3 - "$work/collector.sqlite" "$SITES" <<'PY'
import random, sqlite3, sys, time
random.seed(17)
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
now = time.time()
transitions = []
for i in range(n):
    site = str(10000 + i)
    state = "not_ready"
    transitions.append((site, now - 8 * 86400, None, state, "[]"))
    if i % 3 == 0:
        for day in range(7):
            at = now - (7 - day) * 86400 + random.random() * 86400
            new = "ready" if state == "not_ready" else "not_ready"
            transitions.append((site, at, state, new, "[]"))
            state = new
transitions.sort(key=lambda t: t[1])
db.executemany("INSERT INTO transition (site, at, from_state, to_state, reasons) VALUES (?, ?, ?, ?, ?)", transitions)
db.commit()
print(f"{n} sites, {len(transitions)} transitions over a week")
PY
token=$("$BIN/sansang-collector" token issue --noc bench --role read --config "$work/collector.yaml" 2>/dev/null)
"$BIN/sansang-collector" serve --config "$work/collector.yaml" > "$work/collector.log" 2>&1 &
collector=$!
for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
wait_until_evaluated "$token"

python3 - "$work/collector.sqlite" "$port" "$token" "$REQUESTS" "$SITES" "$(basename "$BIN")" <<'PY'
import datetime, json, sqlite3, sys, time, urllib.request
path, port, token, requests, sites, build = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
db = sqlite3.connect(path, timeout=30)
def get(query):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/readiness{query}", headers={"Authorization": f"Bearer {token}"})
    start = time.perf_counter()
    with urllib.request.urlopen(request) as response:
        body = response.read()
    return (time.perf_counter() - start) * 1000, body
def percentiles(values):
    values = sorted(values)
    return values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.99 + 0.5) - 1)]
overall = json.loads(get("")[1])["overall"]
print("overall", overall["summary"], overall["by_state"])
rows = []
for mode in ("unchanged", "changing"):
    for name, query in (("overall", ""), ("province", "?group_by=province"), ("former district", "?group_by=former_district"),
                        ("type", "?group_by=type")):
        times = []
        get(query)
        for i in range(requests):
            if mode == "changing":
                # A transition recorded (as a verdict change on any replica would): the next roll-up re-reads the rows.
                db.execute("INSERT INTO transition (site, at, from_state, to_state, reasons) VALUES ('10000', ?, 'ready', 'ready', '[]')",
                           (time.time(),))
                db.commit()
            times.append(get(query)[0])
        p50, p99 = percentiles(times)
        groups = len(json.loads(get(query)[1]).get("groups") or [])
        print(f"{mode:9} {name:16} groups {groups:5}  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
        rows.append((mode, name, groups, p50, p99))
doc = "docs/performance.md"
text = open(doc).read()
header = "## Fleet roll-up over 33,210 sites"
if header not in text:
    text += f"""
{header}

`make bench-rollup` (`bench/rollup.sh REQUESTS SITES`): a release collector on SQLite with 33,210 generated offices
(10× Vietnam's communes) in 34 provinces and 6,642 former districts; each site's newest report (the example report,
varied: a tenth with a service down, a seventh with a slow LAN) and a week of verdict transitions (a third of the sites
flap daily). `GET /api/v1/readiness` overall and grouped, REQUESTS sequential requests each over loopback (Python
urllib, timing the whole request). *Unchanged*: no verdict changes between requests (the collector reuses the compact
verdict rows while the store's newest transition id is the same: one indexed read per request). *Changing*: a
transition is recorded before every request, so every roll-up re-reads all 33,210 compact verdict rows (state and
reason keys, no JSON). Target (issue 17): p99 < 20 ms.

| date | build | verdicts between requests | group by | groups | p50 | p99 |
|---|---|---|---|---|---|---|
"""
out = [f"| {datetime.date.today()} | {build}, {sites:,} sites, {requests} requests | {mode} | {name} | {groups:,} | {p50:.1f} ms | **{p99:.1f} ms** |"
       for mode, name, groups, p50, p99 in rows]
lines = text.split("\n")
start = lines.index(header)
end = next(i for i in range(start, len(lines) + 1) if i == len(lines) or (i > start + 2 and lines[i - 1].startswith("|") and not lines[i].startswith("|")))
lines[end:end] = out
open(doc, "w").write("\n".join(lines))
print("\n".join(out))
PY
