#!/usr/bin/env bash
# The collector's SNMP notification receiver under a flood: SENDERS processes replay one real SNMPv2c heartbeat
# (SANSANG-READINESS-MIB, made by net-snmp's snmptrap) as fast as they can for SECONDS. Measures what the
# collector accepted (stored as events), what its receiver counted as overflow, and whether it stays responsive
# meanwhile: /healthz latency and an SNMPv3 INFORM from snmpinform acknowledged during the flood.
# Appends a row to docs/performance.md.
# Usage: bench/snmp-flood.sh [SECONDS] [SENDERS]   (needs: snmptrap, snmpinform, curl, python3; a built package)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_RUN=${1:-10}
SENDERS=${2:-4}
BIN=${BIN:-.build/release}
[ -x "$BIN/sansang-collector" ] || swift build -c release --product sansang-collector >/dev/null
work=$(mktemp -d)
trap 'kill $collector 2>/dev/null; wait $collector 2>/dev/null; rm -rf "$work"' EXIT
free_port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
port=$(free_port STREAM)
snmp_port=$(free_port DGRAM)
cat > "$work/collector.yaml" <<YAML
listen: {host: 127.0.0.1, port: $port}
database: {sqlite_path: $work/collector.sqlite}
inventory: [$PWD/inventory]
snmp:
  listen: udp:127.0.0.1:$snmp_port
  communities: [{community: flood}]
  users:
    - {user: bench, auth_protocol: sha, auth_passphrase: bench-auth-pass, privacy_protocol: aes, privacy_passphrase: bench-priv-pass}
YAML
"$BIN/sansang-collector" migrate --config "$work/collector.yaml" >/dev/null
"$BIN/sansang-collector" serve --config "$work/collector.yaml" > "$work/collector.log" 2>&1 &
collector=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.1; done

# One real datagram: snmptrap's v2c heartbeat for 20242, captured on a spare port.
root=1.3.6.1.4.1.8072.9999.9999.7474
python3 scripts/snmp-flood.py capture "$work/capture.port" "$work/heartbeat.bin" &
capturer=$!
for _ in $(seq 1 50); do [ -s "$work/capture.port" ] && break; sleep 0.1; done
payload=("$root.1.1.0" s 20242 "$root.1.2.0" i 1 "$root.1.4.0" s "" "$root.1.5.0" s "" "$root.1.6.0" s bench
         "$root.1.7.0" C 1 "$root.1.8.0" s bench "$root.1.9.0" c 0)
MIBS= snmptrap -v2c -c flood "udp:127.0.0.1:$(cat "$work/capture.port")" '' "$root.0.2" "${payload[@]}"
wait $capturer

metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v name="$1" '$1 == name { print $2 }' | tail -1; }
accepted_before=$(metric sansang_snmp_notifications_accepted_total); accepted_before=${accepted_before:-0}
python3 scripts/snmp-flood.py send 127.0.0.1 "$snmp_port" "$work/heartbeat.bin" "$SECONDS_RUN" "$SENDERS" > "$work/sent" &
flood=$!
sleep 1
# During the flood: /healthz latencies, and a v3 INFORM that must be acknowledged.
healthz=()
for _ in $(seq 1 5); do
  healthz+=("$(curl -s -o /dev/null -w '%{time_total}' --max-time 10 "http://127.0.0.1:$port/healthz")")
  sleep 0.5
done
inform=ok
MIBS= snmpinform -v3 -l authPriv -u bench -a SHA -A bench-auth-pass -x AES -X bench-priv-pass -t 5 -r 2 \
  "udp:127.0.0.1:$snmp_port" '' "$root.0.2" "${payload[@]}" >/dev/null 2>&1 || inform=failed
wait $flood
sent=$(cat "$work/sent")
sleep 2
accepted=$(metric sansang_snmp_notifications_accepted_total); accepted=$(( ${accepted%.*} - ${accepted_before%.*} ))
overflow=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '/rejected_total\{reason="overflow"\}/ { print $2 }' | tail -1)
median=$(printf '%s\n' "${healthz[@]}" | sort -n | sed -n 3p)
rate=$(python3 -c "print(round($accepted / $SECONDS_RUN))")
line="| $(date -u +%F) | SNMP flood, $SENDERS senders × ${SECONDS_RUN} s ($(basename "$BIN") build) | sent $sent, accepted (stored) $accepted = **$rate/s**, overflow ${overflow:-0} | /healthz median ${median} s during the flood; v3 INFORM during the flood: $inform |"
echo "$line"
echo "$line" | bench/append-to-section.py "## SNMP notification receiver under a flood"
