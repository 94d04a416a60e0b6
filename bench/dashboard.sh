#!/usr/bin/env bash
# The dashboard with 3,321 generated offices in 700 former districts and 12 weeks of verdict transitions: the
# overview (/) and the site list (/sites) served to a logged-in user, timed over REQUESTS sequential requests (p50,
# p99) and weighed compressed (gzip, as browsers ask) and not, beside the JSON API answering the same questions
# (/api/v1/readiness?group_by=former_district, /api/v1/sites?limit=50). Targets (issue 16): overview p99 < 50 ms and
# < 200 KB compressed; site list < 100 KB. Appends a row to docs/performance.md.
# Usage: bench/dashboard.sh [REQUESTS]   (needs: python3, curl; a built package; BIN=.build/release by default)
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-200}
. bench/fleet.sh
fleet_transitions "$(python3 -c 'import time; print(time.time() - 12 * 7 * 86400)')"
# Every office's newest report (a real report, varied), so the overview shows real verdicts, not NO_DATA.
python3 bench/latest-reports.py "$work/collector.sqlite" 30000 3321
printf '%s\n' 'bench-password-123' > "$work/pw"
"$BIN/sansang-collector" user add bench --role read --password-file "$work/pw" --config "$work/collector.yaml" >/dev/null
"$BIN/sansang-collector" serve --config "$work/collector.yaml" > "$work/collector.log" 2>&1 &
collector=$!
for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done
base="http://127.0.0.1:$port"
# The login form first, as a browser: its CSRF token and the cookie that goes with it.
csrf=$(curl -s -c "$work/cookies" "$base/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
curl -s -o /dev/null -b "$work/cookies" -c "$work/cookies" --data "name=bench&password=bench-password-123&csrf=$csrf" "$base/login"
token=$("$BIN/sansang-collector" token issue --noc bench --role read --config "$work/collector.yaml" 2>/dev/null)
wait_until_evaluated "$token"

# time_total of REQUESTS requests → "p50 p99" in ms.
timings() {
  for _ in $(seq 1 "$REQUESTS"); do curl -s -o /dev/null -w '%{time_total}\n' "$@"; done |
    sort -n | awk '{a[NR]=$1*1000} END {printf "%.1f %.1f", a[int((NR+1)/2)], a[int(NR*0.99+0.5)]}'
}
size() { curl -s -o /dev/null -w '%{size_download}' "$@"; }
page=(-b "$work/cookies" -H 'Accept-Encoding: gzip')
api=(-H "Authorization: Bearer $token")
read -r o50 o99 <<<"$(timings "${page[@]}" "$base/")"
# The same with a verdict transition recorded before each request (as an office changing state would): the shared
# overview body is made again for every request, as it is after each change.
changing_timings() {
  for _ in $(seq 1 "$REQUESTS"); do
    python3 -c 'import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], timeout=30); db.execute("INSERT INTO transition (site, at, from_state, to_state, reasons) VALUES (?, ?, ?, ?, ?)", ("30000", time.time(), "ready", "ready", "[]")); db.commit()' "$work/collector.sqlite"
    curl -s -o /dev/null -w '%{time_total}\n' "$@"
  done | sort -n | awk '{a[NR]=$1*1000} END {printf "%.1f %.1f", a[int((NR+1)/2)], a[int(NR*0.99+0.5)]}'
}
read -r c50 c99 <<<"$(changing_timings "${page[@]}" "$base/")"
# As a live page does (the wall screen): a transition recorded, the page's /events stream announces it, then the
# overview is fetched at once. Half as many requests: each waits for the stream's poll (0.5 s).
read -r l50 l99 <<<"$(python3 - "$work/collector.sqlite" "$port" "$work/cookies" "$((REQUESTS / 2))" <<'PY'
import http.client, sqlite3, sys, time
path, port, jar, requests = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
session = next(line.split("\t")[6].strip() for line in open(jar) if "\tsansang_session\t" in line)
headers = {"Cookie": f"sansang_session={session}", "Accept-Encoding": "gzip"}
db = sqlite3.connect(path, timeout=30)
stream = http.client.HTTPConnection("127.0.0.1", port)
stream.request("GET", "/events", headers=headers)
events = stream.getresponse()
page = http.client.HTTPConnection("127.0.0.1", port)
times = []
for _ in range(requests):
    db.execute("INSERT INTO transition (site, at, from_state, to_state, reasons) VALUES (?, ?, ?, ?, ?)",
               ("30000", time.time(), "ready", "ready", "[]"))
    db.commit()
    while not events.fp.readline().startswith(b"event: verdict"):
        pass
    start = time.perf_counter()
    page.request("GET", "/", headers=headers)
    page.getresponse().read()
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(f"{times[(len(times) + 1) // 2 - 1]:.1f} {times[min(len(times) - 1, int(len(times) * 0.99 + 0.5) - 1)]:.1f}")
PY
)"
read -r a50 a99 <<<"$(timings "${api[@]}" "$base/api/v1/readiness?group_by=former_district")"
overview_gz=$(size "${page[@]}" "$base/")
overview_raw=$(size -b "$work/cookies" "$base/")
sites_gz=$(size "${page[@]}" "$base/sites")
api_readiness=$(size "${api[@]}" "$base/api/v1/readiness?group_by=former_district")
api_sites=$(size "${api[@]}" "$base/api/v1/sites?limit=50")
figure=$(curl -s -b "$work/cookies" "$base/" | grep -o 'id="province-ready">[0-9/]*' | cut -d'>' -f2)
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }
build=$(basename "$BIN")
row="| $(date -u +%F) | dashboard, 3,321 sites / 700 districts, 12 weeks of transitions, $REQUESTS requests ($build build) | overview p50 $o50 ms, **p99 $o99 ms**; after a verdict change each time p50 $c50 ms, **p99 $c99 ms**, the same fetched on the /events announcement (as live pages do) p50 $l50 ms, **p99 $l99 ms**; API readiness by district p50 $a50 ms, p99 $a99 ms | overview **$(kb "$overview_gz") gzip** ($(kb "$overview_raw") plain), site list **$(kb "$sites_gz") gzip**; API readiness $(kb "$api_readiness"), API sites (50) $(kb "$api_sites") (uncompressed) | $figure |"
echo "$row"
if ! grep -q '^## Dashboard for 3,321 sites' docs/performance.md; then
  cat >> docs/performance.md <<'MD'

## Dashboard for 3,321 sites

`make bench-dashboard` (`bench/dashboard.sh REQUESTS`): 3,321 generated offices in 700 former districts and 12 weeks
of verdict transitions (each site turns ready in some week, a third flap once); the overview and the site list served
to a logged-in user over loopback, sequential requests timed with curl, and weighed as a browser gets them (gzip)
beside the JSON API answering the same question. Targets (issue 16): overview p99 < 50 ms and < 200 KB over the
wire, site list < 100 KB. Every office has a newest report (a real report's content, varied: a tenth with a
service down, a seventh with a 1 Gbit/s LAN port; `bench/latest-reports.py`), evaluated by the collector at start
before anything is timed.

| date | run | time | size | figure |
|---|---|---|---|---|
MD
fi
echo "$row" | bench/append-to-section.py "## Dashboard for 3,321 sites"
