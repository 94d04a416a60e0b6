#!/usr/bin/env bash
# SNMP walk of a switch's interface tables: `sansang-agent probe switch` against `snmpbulkwalk`, side by side,
# against one snmpd on loopback. Median wall time of N runs each (whole processes, start-up included).
# The probe walks 9 ifTable and 5 ifXTable columns in two multi-column GETBULK walks; snmpbulkwalk walks
# the same two tables (ifTable, ifXTable) whole, in two runs. Appends the figures to docs/performance.md.
# Usage: bench/snmp-walk.sh [RUNS] (default 30), or `make bench-snmp` (release build); needs snmpd and snmpbulkwalk.
set -euo pipefail
RUNS=${1:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AGENT=${AGENT:-$ROOT/.build/debug/sansang-agent}
[ -x "$AGENT" ] || { echo "build first (swift build); or set AGENT=path/to/sansang-agent" >&2; exit 2; }
DIR=$(mktemp -d)
PORT=$(( 20000 + RANDOM % 20000 ))
cat > "$DIR/snmpd.conf" <<CONF
rocommunity bench 127.0.0.1
CONF
SNMP_PERSISTENT_DIR=$DIR MIBS= snmpd -f -Lo -C -c "$DIR/snmpd.conf" "udp:127.0.0.1:$PORT" >"$DIR/snmpd.log" 2>&1 &
SNMPD=$!
trap 'kill $SNMPD 2>/dev/null; wait $SNMPD 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do snmpget -v2c -c bench -t 0.2 -r 0 -m "" "udp:127.0.0.1:$PORT" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 && break; sleep 0.1; done

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
probe=() ; walk=()
for _ in $(seq "$RUNS"); do
  t=$(now); "$AGENT" probe switch --iface lo --switch "udp:127.0.0.1:$PORT" --community bench --port-name lo \
      --rate-seconds 0 --lldp-wait 0 --json >/dev/null; probe+=($(( ($(now) - t) / 1000 )))
  t=$(now)
  for table in 1.3.6.1.2.1.2.2 1.3.6.1.2.1.31.1.1; do
    MIBS= snmpbulkwalk -v2c -c bench -m "" -On "udp:127.0.0.1:$PORT" $table >/dev/null
  done
  walk+=($(( ($(now) - t) / 1000 )))
done
P=$(printf '%s\n' "${probe[@]}" | median); W=$(printf '%s\n' "${walk[@]}" | median)
RATIO=$(awk -v p="$P" -v w="$W" 'BEGIN {printf "%.2f", p / w}')
ROWS=$(MIBS= snmpbulkwalk -v2c -c bench -m "" -On "udp:127.0.0.1:$PORT" 1.3.6.1.2.1.2.2.1.1 | wc -l)
LINE="| $(date -u +%Y-%m-%d) | $(nproc) cores | $ROWS interfaces | $RUNS | $(awk -v v="$P" 'BEGIN{printf "%.1f", v/1000}') ms | $(awk -v v="$W" 'BEGIN{printf "%.1f", v/1000}') ms | $RATIO× | $(basename "$(dirname "$AGENT")") build |"
echo "probe median ${P} µs, snmpbulkwalk median ${W} µs, ratio ${RATIO}"
DOC=$ROOT/docs/performance.md
if ! grep -q '^## SNMP walk of the switch port tables' "$DOC" 2>/dev/null; then
  cat >> "$DOC" <<'DOC'

## SNMP walk of the switch port tables

`bench/snmp-walk.sh [RUNS]` (or `make bench-snmp`): `sansang-agent probe switch` (two multi-column GETBULK walks: 9 ifTable
and 5 ifXTable columns, port by name, no utilisation poll) against `snmpbulkwalk` of the whole ifTable and ifXTable
(two runs), the same snmpd on loopback, median wall time of whole processes (start-up included). Target: ≤ 1.1×.

| date | machine | table size | runs | probe | snmpbulkwalk ×2 | ratio | agent |
|---|---|---|---|---|---|---|---|
DOC
fi
echo "$LINE" >> "$DOC"
