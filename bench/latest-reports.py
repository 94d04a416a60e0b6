#!/usr/bin/env python3
"""Gives COUNT generated sites (codes FIRST, FIRST+1, …) a newest report each, received 20 s ago, written straight
into the collector's SQLite database (report and latest_report) so the collector's evaluation at start gives real
verdicts. Each report is what an agent with the example inventory's `default` profile sends (inventory/profiles.yaml:
the LAN and WAN links of Tests/ReadinessModelTests/Fixtures/report-v1.json and one result per profile service, 18,
with the phases its kind has; about 5 KB), varied so the fleet is not uniform: every tenth site has its first service
down, every seventh a 1 Gbit/s LAN port, every thirteenth a line measured below target. Used by bench/rollup.sh and
bench/dashboard.sh.
Usage: bench/latest-reports.py DATABASE FIRST COUNT"""
import copy
import datetime
import json
import sqlite3
import sys
import time

import yaml

PHASES = {
    "dns": {"resolve": 6.2},
    "tcp": {"resolve": 5.1, "connect": 21.4},
    "tls": {"resolve": 5.3, "connect": 22.0, "tls": 61.7},
    "http": {"resolve": 4.9, "connect": 20.8, "first_byte": 48.3, "transfer": 3.1},
    "https": {"resolve": 5.0, "connect": 21.9, "tls": 63.5, "first_byte": 142.6, "transfer": 18.4},
    "icmp": {},
    "ntp": {},
}


def default_profile_services():
    profiles = yaml.safe_load(open("inventory/profiles.yaml"))["profiles"]
    return next(p for p in profiles if p["name"] == "default")["services"]


def report_for(i, site, stamp, template, services):
    report = copy.deepcopy(template)
    report["site"], report["agent"]["boot_id"], report["seq"], report["generated_at"] = site, "bench", 1, stamp
    for link in report["links"]:
        if "throughput" in link:
            link["throughput"]["measured_at"] = stamp
            if i % 13 == 0:
                link["throughput"]["mbps"] = {"download": 96.2, "upload": 88.7}
        if link["role"] == "lan":
            for reading in link.get("speed", []):
                if reading.get("speed_mbps"):
                    reading["speed_mbps"] = 1000 if i % 7 == 0 else 10000
    results = []
    for n, service in enumerate(services):
        phases = dict(PHASES[service["kind"]])
        result = {"name": service["name"], "kind": service["kind"], "ok": True, "phases": phases,
                  "total_ms": round(sum(phases.values()) or 12.0, 1), "checked_at": stamp}
        if service["kind"] in ("tls", "https"):
            result["cert_days_left"] = 90 + n
        if n == 0 and i % 10 == 0:
            result.update(ok=False, reason="connect_refused", phases={"resolve": 5.0}, total_ms=26.0)
        results.append(result)
    report["services"] = results
    return json.dumps(report, separators=(",", ":"))


def main():
    path, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    now = time.time()
    template = json.load(open("Tests/ReadinessModelTests/Fixtures/report-v1.json"))
    template.pop("gap", None)
    stamp = datetime.datetime.fromtimestamp(now - 20, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    services = default_profile_services()
    rows = []
    for i in range(count):
        site = str(first + i)
        rows.append((site, "bench", 1, now - 20, now - 20, report_for(i, site, stamp, template, services)))
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO latest_report (site, boot_id, seq, generated_at, received_at, json) VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO report (site, boot_id, seq, generated_at, received_at, json) VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.commit()
    print(f"{count} sites with a newest report of {len(rows[0][5])} bytes")


if __name__ == "__main__":
    main()
