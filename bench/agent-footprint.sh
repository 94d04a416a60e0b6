#!/usr/bin/env bash
# Footprint of the agent idle, side by side in the same run with Debian's Zabbix agents (zabbix-agent and
# zabbix-agent2 6.0, each on a loopback port of its own with its default configuration otherwise):
# ours is `sansang-agent run` with the example inventory's default profile, reporting to a release collector on
# loopback. The profile's 20 service checks keep their kinds and order but go to loopback (no traffic may leave
# the host; the real e-government hosts are never contacted): https/tls to a local nginx with a self-signed
# certificate (full handshakes, verification fails), http/tcp to its plain port, ntp to a closed port; the
# throughput tests are off (a test would measure the line, not the idle agent). After a 30 s warm-up, every 10 s for SECONDS: RSS and PSS (summed over a program's processes —
# zabbix_agentd forks workers), threads, file descriptors; CPU % of one core over the whole window from
# /proc/PID/stat (utime+stime). Prints a table row per program and appends it to docs/performance.md.
# Usage: BIN=.build/release bench/agent-footprint.sh [SECONDS]   (make bench-agent; needs zabbix-agent, zabbix-agent2)
#        COLLECTOR=path/to/sansang-collector: a collector from another build (its CPU is not counted).
#        EXTRA_AGENTS="LABEL=path/to/sansang-agent …": more agents in the same run, side by side (e.g. another build),
#        each with its own state, token and site of the inventory (20257, 20209, 20305, 20275).
set -euo pipefail
SECONDS_TOTAL=${1:-600}
BIN=${BIN:-.build/release}
cd "$(dirname "$0")/.."
COLLECTOR=${COLLECTOR:-$BIN/sansang-collector}
for p in "$BIN/sansang-agent" "$COLLECTOR"; do [ -x "$p" ] || { echo "no $p: build it first" >&2; exit 2; }; done
for z in zabbix_agentd zabbix_agent2; do command -v $z >/dev/null || { echo "$z missing (apt-get install zabbix-agent zabbix-agent2)" >&2; exit 2; }; done
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1; rm -rf "$dir"; }
trap cleanup EXIT
port() { python3 -c "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])"; }
# Zabbix takes ports up to 32767 only.
zport() { python3 -c "
import random, socket
while True:
    p = random.randint(20000, 32767); s = socket.socket()
    try: s.bind(('127.0.0.1', p)); print(p); break
    except OSError: pass"; }
CPORT=$(port); Z1=$(zport); Z2=$(zport); HTTPS=$(port); HTTP=$(port); NTP=$(port)

# Local targets for the profile's service checks.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench.sansang.test -keyout "$dir/key.pem" \
    -out "$dir/cert.pem" 2>/dev/null
cat > "$dir/nginx.conf" <<CONF
daemon off; master_process off; pid $dir/nginx.pid; error_log $dir/nginx.err warn;
events {}
http { access_log off; default_type text/plain;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir; uwsgi_temp_path $dir; scgi_temp_path $dir;
  server { listen 127.0.0.1:$HTTP; listen 127.0.0.1:$HTTPS ssl; ssl_certificate $dir/cert.pem;
           ssl_certificate_key $dir/key.pem; location / { return 200 "sansang bench ok\n"; } } }
CONF
nginx -c "$dir/nginx.conf" -p "$dir" & pids+=($!)
mkdir -p "$dir/inventory"
cp inventory/danang.yaml "$dir/inventory/"
python3 - "$dir/inventory/profiles.yaml" "$HTTPS" "$HTTP" "$NTP" <<'PY'
import sys, yaml
out, https, http, ntp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = yaml.safe_load(open("inventory/profiles.yaml", encoding="utf-8"))
for profile in data["profiles"]:
    for service in profile.get("services", []):
        service["host"] = "127.0.0.1"
        service["port"] = {"https": https, "tls": https, "http": http, "tcp": http}.get(service["kind"], ntp)
    if "throughput" in profile:
        profile["throughput"]["servers"] = {role: ["127.0.0.1:9"] for role in profile["throughput"]["servers"]}
yaml.safe_dump(data, open(out, "w", encoding="utf-8"), allow_unicode=True, sort_keys=False)
PY

# The collector (its CPU is not counted) and our agent, as `make run` starts them, at the plan's own intervals.
cat > "$dir/collector.yaml" <<YAML
listen: {host: 127.0.0.1, port: $CPORT}
database: {sqlite_path: $dir/collector.sqlite}
inventory: [$dir/inventory]
YAML
"$COLLECTOR" migrate --config "$dir/collector.yaml" >/dev/null
# The agent refuses a token file other users can read.
(umask 077; "$COLLECTOR" token issue 20242 --config "$dir/collector.yaml" > "$dir/agent.token")
"$COLLECTOR" serve --config "$dir/collector.yaml" > "$dir/collector.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$CPORT/readyz" && break; sleep 0.2; done
cat > "$dir/agent.yaml" <<YAML
site: "20242"
collector: {url: "http://127.0.0.1:$CPORT", token_file: $dir/agent.token}
state_directory: $dir/agent-state
checks: {throughput: false}
YAML
"$BIN/sansang-agent" run --config "$dir/agent.yaml" > "$dir/agent.log" 2>&1 & AGENT=$!; pids+=($AGENT)
programs=("sansang-agent:$AGENT")
extra_sites=(20257 20209 20305 20275)
binaries="sansang-agent $(stat -c %s "$BIN/sansang-agent")"
n=0
for spec in ${EXTRA_AGENTS:-}; do
    label=${spec%%=*}; path=${spec#*=}; site=${extra_sites[$n]}; n=$((n + 1))
    (umask 077; "$COLLECTOR" token issue "$site" --config "$dir/collector.yaml" > "$dir/$label.token")
    cat > "$dir/$label.yaml" <<YAML
site: "$site"
collector: {url: "http://127.0.0.1:$CPORT", token_file: $dir/$label.token}
state_directory: $dir/$label-state
checks: {throughput: false}
YAML
    "$path" run --config "$dir/$label.yaml" > "$dir/$label.log" 2>&1 & pid=$!; pids+=($pid)
    programs+=("$label:$pid")
    binaries="$binaries, $label $(stat -c %s "$path")"
done

# Zabbix agent (forks its collector and listeners) and agent 2 (one Go process), passive checks on loopback.
cat > "$dir/zabbix_agentd.conf" <<CONF
Server=127.0.0.1
ListenIP=127.0.0.1
ListenPort=$Z1
Hostname=bench
LogFile=$dir/zabbix_agentd.log
PidFile=$dir/zabbix_agentd.pid
AllowRoot=1
CONF
zabbix_agentd -f -c "$dir/zabbix_agentd.conf" & Z1PID=$!; pids+=($Z1PID)
cat > "$dir/zabbix_agent2.conf" <<CONF
Server=127.0.0.1
ListenIP=127.0.0.1
ListenPort=$Z2
Hostname=bench
LogFile=$dir/zabbix_agent2.log
PidFile=$dir/zabbix_agent2.pid
ControlSocket=$dir/agent2.sock
CONF
zabbix_agent2 -c "$dir/zabbix_agent2.conf" & Z2PID=$!; pids+=($Z2PID)
sleep 30
programs+=("zabbix_agentd:$Z1PID" "zabbix_agent2:$Z2PID")
for program in "${programs[@]}"; do
    pid=${program#*:}
    kill -0 "$pid" || { echo "process $pid died; logs in $dir" >&2; cat "$dir"/*.log >&2; exit 1; }
done

# Every process of a program: the PID and its descendants.
tree() { local p=$1; echo "$p"; for c in $(ps -o pid= --ppid "$p"); do tree "$c"; done; }
sample() {  # sample NAME PID: rss_kib pss_kib threads fds ticks
    local rss=0 pss=0 thr=0 fds=0 ticks=0 p
    for p in $(tree "$2"); do
        rss=$((rss + $(awk '/^VmRSS/ {print $2}' /proc/$p/status)))
        pss=$((pss + $(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup)))
        thr=$((thr + $(awk '/^Threads/ {print $2}' /proc/$p/status)))
        fds=$((fds + $(ls /proc/$p/fd | wc -l)))
        ticks=$((ticks + $(awk '{print $14 + $15}' /proc/$p/stat)))
    done
    echo "$1 $rss $pss $thr $fds $ticks"
}
HZ=$(getconf CLK_TCK)
t0=$(date +%s.%N)
for name in "${programs[@]}"; do sample "${name%%:*}" "${name#*:}"; done > "$dir/start"
end=$(( $(date +%s) + SECONDS_TOTAL ))
: > "$dir/samples"
while [ "$(date +%s)" -lt "$end" ]; do
    sleep 10
    for name in "${programs[@]}"; do sample "${name%%:*}" "${name#*:}"; done >> "$dir/samples"
done
t1=$(date +%s.%N)
elapsed=$(echo "$t1 - $t0" | bc -l)
reports=$(sqlite3 "$dir/collector.sqlite" 'select count(*) from report' 2>/dev/null || echo "?")
binary=$(stat -c %s "$BIN/sansang-agent")
date=$(date -u +%Y-%m-%d)
rows=$(for program in "${programs[@]}"; do
    name=${program%%:*}
    awk -v n="$name" -v el="$elapsed" -v hz="$HZ" -v start="$(awk -v n="$name" '$1 == n {print $6}' "$dir/start")" '
        $1 == n { c++; rss += $2; pss += $3; if ($2 > maxrss) maxrss = $2; if ($4 > thr) thr = $4; if ($5 > fds) fds = $5; last = $6 }
        END { printf "| %s | %.1f MiB | %.1f MiB | %.1f MiB | %.3f %% | %d | %d |\n", n, rss / c / 1024, maxrss / 1024, pss / c / 1024, (last - start) / hz / el * 100, thr, fds }' "$dir/samples"
done)
echo "window ${elapsed%.*} s, agent reports stored by the collector: $reports, agent binary $((binary / 1024 / 1024)) MiB ($BIN); binaries (bytes): $binaries"
echo "| program | RSS mean | RSS max | PSS mean | CPU (one core) | threads max | fds max |"
echo "$rows"
{
    echo
    echo "Run of $date, ${elapsed%.*} s window, 2 cores shared with other work, $BIN agent binary $((binary / 1024 / 1024)) MiB, $reports reports stored (binaries in bytes: $binaries):"
    echo
    echo "| program | RSS mean | RSS max | PSS mean | CPU (one core) | threads max | fds max |"
    echo "|---|---|---|---|---|---|---|"
    echo "$rows"
} >> "$dir/table.md"
if [ "${APPEND:-1}" = 1 ]; then bench/append-to-section.py "## Agent footprint, idle, beside the Zabbix agents" --block < "$dir/table.md"; fi
