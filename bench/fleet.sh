# Sourced by the benchmarks that need a national-size collector (bench/dashboard.sh, bench/weekly-report-db.sh):
# builds $BIN/sansang-collector if missing, makes $work (removed on exit, with the collector started as $collector),
# a free loopback $port, collector.yaml, an inventory of 3,321 generated offices in 700 former districts, and the
# migrated database. `fleet_transitions START` then adds 12 weeks of verdict transitions from START (epoch seconds):
# each site turns ready in some week (85 %), a third of those flap once.
. bench/collector-workdir.sh
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
lines = ["province: Cả nước (mô phỏng)", "profile: default", "sites:"]
for i in range(3321):
    lines.append(f'  - {{code: "{30000 + i}", name: "Xã Mô Phỏng {i}", type: xa, former_district: "Huyện cũ {i % 700}"}}')
open(f"{work}/inventory/fleet.yaml", "w").write("\n".join(lines) + "\n")
PY
"$BIN/sansang-collector" migrate --config "$work/collector.yaml" >/dev/null

fleet_transitions() {
  python3 - "$work/collector.sqlite" "$1" <<'PY'
import json, random, sqlite3, sys
random.seed(7)
db = sqlite3.connect(sys.argv[1])
start = float(sys.argv[2])
down = json.dumps([{"code": "SERVICE_DOWN", "subject": "vneid", "impact": "not_ready", "evidence": "refused"}])
rows = []
for i in range(3321):
    site = str(30000 + i)
    rows.append((site, start - 3600, None, "not_ready", down))
    if random.random() < 0.85:
        at = start + random.random() * 12 * 7 * 86400
        rows.append((site, at, "not_ready", "ready", "[]"))
        if random.random() < 0.3:
            rows.append((site, at + 3 * 86400, "ready", "not_ready", down))
            rows.append((site, at + 5 * 86400, "not_ready", "ready", "[]"))
db.executemany("INSERT INTO transition (site, at, from_state, to_state, reasons) VALUES (?, ?, ?, ?, ?)", rows)
db.commit()
PY
}
