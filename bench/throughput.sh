#!/usr/bin/env bash
# Throughput probe against iperf3's own client: `sansang-agent probe throughput` and `iperf3 -c`, alternately, against
# one `iperf3 -s` on loopback, same -P/-l/-t, RUNS runs each. Prints and appends to docs/performance.md the median
# receiver rate and the median CPU (user+system seconds of the client process per second of test, in % of a core).
# Usage: bench/throughput.sh [RUNS] [SECONDS] [PARALLEL] [LENGTH] (defaults 5 5 1 131072), or `make bench-throughput`.
set -euo pipefail
RUNS=${1:-5}; SECS=${2:-5}; PAR=${3:-1}; LEN=${4:-131072}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AGENT=${AGENT:-$ROOT/.build/debug/sansang-agent}
[ -x "$AGENT" ] || { echo "build first (swift build); or set AGENT=path/to/sansang-agent" >&2; exit 2; }
DIR=$(mktemp -d)
PORT=$(( 20000 + RANDOM % 20000 ))
iperf3 -s -B 127.0.0.1 -p "$PORT" >"$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 50); do ss -Hltn "sport = :$PORT" | grep -q ":$PORT" && break; sleep 0.1; done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# Runs a command with its stdout in $DIR/out.json; prints the CPU seconds (user + system) the process used.
cpu_of() { python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.ru_utime + r.ru_stime)' "$DIR/out.json" "$@"; }
ours_rate=(); ours_cpu=(); theirs_rate=(); theirs_cpu=()
for _ in $(seq "$RUNS"); do
  c=$(cpu_of "$AGENT" probe throughput --server "127.0.0.1:$PORT" --duration "$SECS" --parallel "$PAR" --length "$LEN" --json)
  ours_rate+=($(python3 -c "import json;d=json.load(open('$DIR/out.json'));print(d['measurement']['mbps']['upload']/1000)"))
  ours_cpu+=($(awk -v c="$c" -v t="$SECS" 'BEGIN {print c / t * 100}'))
  sleep 0.5
  c=$(cpu_of iperf3 -c 127.0.0.1 -p "$PORT" -t "$SECS" -P "$PAR" -l "$LEN" -J)
  theirs_rate+=($(python3 -c "import json;d=json.load(open('$DIR/out.json'));print(d['end']['sum_received']['bits_per_second']/1e9)"))
  theirs_cpu+=($(awk -v c="$c" -v t="$SECS" 'BEGIN {print c / t * 100}'))
  sleep 0.5
done
OR=$(printf '%s\n' "${ours_rate[@]}" | median); OC=$(printf '%s\n' "${ours_cpu[@]}" | median)
TR=$(printf '%s\n' "${theirs_rate[@]}" | median); TC=$(printf '%s\n' "${theirs_cpu[@]}" | median)
RATIO=$(awk -v a="$OR" -v b="$TR" 'BEGIN {printf "%.2f", a / b}')
KIND=$(case "$AGENT" in *release*) echo "release build";; *) echo "debug build";; esac)
printf 'ours:   %.2f Gbit/s, CPU %.0f %%\niperf3: %.2f Gbit/s, CPU %.0f %%\nratio:  %s×\n' "$OR" "$OC" "$TR" "$TC" "$RATIO"
DOC=$ROOT/docs/performance.md
grep -q '^## Throughput probe' "$DOC" || cat >>"$DOC" <<'DOCS'

## Throughput probe (iperf3 protocol)

`bench/throughput.sh [RUNS] [SECONDS] [PARALLEL] [LENGTH]` (or `make bench-throughput`): `sansang-agent probe throughput`
and `iperf3 -c` alternately against one `iperf3 -s` 3.12 on loopback, same `-P`/`-l`/`-t`, no `-w`; median receiver
rate (upload) and median CPU of the client process (user + system per second of test). Target: ≥ 0.95× iperf3's rate
at equal or lower CPU.

| date | machine | -P | -l | -t | runs | ours | ours CPU | iperf3 -c | iperf3 CPU | ratio | agent |
|---|---|---|---|---|---|---|---|---|---|---|---|
DOCS
printf '| %s | %s cores | %s | %s | %s s | %s | %.2f Gbit/s | %.0f %% | %.2f Gbit/s | %.0f %% | %s× | %s |\n' \
  "$(date +%F)" "$(nproc)" "$PAR" "$LEN" "$SECS" "$RUNS" "$OR" "$OC" "$TR" "$TC" "$RATIO" "$KIND" >>"$DOC"
