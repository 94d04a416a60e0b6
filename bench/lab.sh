#!/usr/bin/env bash
# `make bench-lab` (docs/performance.md): the province lab brought up from a built tree, timed to "built" (every
# namespace, link and daemon made) and to the steady state (every site as the lab file declares), then left idle
# for IDLE seconds while the CPU time of every process the lab started (and their children) is summed from /proc,
# and their memory (PSS) read; then `scripts/lab.sh down`. Appends a row to docs/performance.md.
# SETTLE seconds pass between the steady state and the idle window, so that the first rounds of every office's checks
# and the collector's evaluation of them are not counted as idle; the idle CPU is also split by kind of process.
# Usage: bench/lab.sh [LAB_FILE] [IDLE_SECONDS] [SETTLE_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
LAB_FILE=${1:-lab/danang.yaml}
IDLE=${2:-120}
SETTLE=${3:-120}
STATE=.run/lab/state
[ "$(id -u)" = 0 ] || { echo "bench-lab needs root (network namespaces)" >&2; exit 2; }
scripts/lab.sh down >/dev/null 2>&1 || true
began=$SECONDS
scripts/lab.sh up "$LAB_FILE" > .run/bench-lab.log 2>&1 || { tail -20 .run/bench-lab.log; exit 1; }
total=$((SECONDS - began))
built=$(cat "$STATE/built-seconds"); steady=$(cat "$STATE/steady-seconds" 2>/dev/null || echo "not reached")
tick=$(getconf CLK_TCK)
# Every recorded process (of the kind KIND: agent, collector, snmpd…, the recorded name up to its first "-"; all
# when empty) and its descendants.
pids() {
  local all=() kind=${1:-}
  while read -r name pid _; do
    [ -z "$kind" ] || [ "${name%%-*}" = "$kind" ] || continue
    [ -e "/proc/$pid" ] && all+=("$pid")
  done < "$STATE/pids"
  [ ${#all[@]} -gt 0 ] || return 0
  local frontier=("${all[@]}")
  while [ ${#frontier[@]} -gt 0 ]; do
    local next=()
    for p in "${frontier[@]}"; do for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do next+=("$c"); done; done
    all+=("${next[@]}"); frontier=("${next[@]}")
  done
  printf '%s\n' "${all[@]}" | sort -u
}
cpu() { local sum=0; for p in $(pids "${1:-}"); do t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0); sum=$((sum + t)); done; echo $sum; }
processes=$(pids | wc -l)
sleep "$SETTLE"
kinds=$(awk '{ sub(/-.*/, "", $1); print $1 }' "$STATE/pids" | sort -u)
declare -A before
for kind in $kinds; do before[$kind]=$(cpu "$kind"); done
c0=$(cpu); t0=$(date +%s.%N)
sleep "$IDLE"
c1=$(cpu); t1=$(date +%s.%N)
cores=$(awk -v c=$((c1 - c0)) -v k="$tick" -v a="$t0" -v b="$t1" 'BEGIN { print c / k / (b - a) }')
split=""
for kind in $kinds; do
  split+=$(awk -v n="$kind" -v c=$(($(cpu "$kind") - before[$kind])) -v k="$tick" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s %.3f, ", n, c / k / (b - a) }')
done
echo "idle cores by kind (${SETTLE} s after the steady state, ${IDLE} s window): ${split%, }"
pss=0; for p in $(pids); do k=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0); pss=$((pss + k)); done
agents=0; agent_pss=0
while read -r name pid _; do
  case $name in agent-*) [ -e "/proc/$pid" ] || continue; agents=$((agents + 1))
    agent_pss=$((agent_pss + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup"))) ;; esac
done < "$STATE/pids"
offices=$(grep -c '^office' .run/lab/plan/plan.tsv)
build=$(case "${LAB_AGENT:-}" in *release*) echo release;; *) echo debug;; esac)
row=$(printf '| %s | %s cores | %s | %s | %s | %s s | %s s | %s | %.3f | %d MiB | %d MiB |' "$(date -u +%F)" "$(nproc)" "$offices" "$agents" "$build" \
  "$built" "$steady" "$processes" "$cores" $((pss / 1024)) $((agent_pss / 1024 / (agents > 0 ? agents : 1))))
scripts/lab.sh down >/dev/null
echo "$row"
python3 - "$row" <<'PY'
import sys
path = "docs/performance.md"
text = open(path, encoding="utf-8").read()
marker = "<!-- bench-lab rows -->"
if marker in text:
    text = text.replace(marker, sys.argv[1] + "\n" + marker)
    open(path, "w", encoding="utf-8").write(text)
PY
