#!/usr/bin/env bash
# Service checks: ours (sansang-agent probe service --repeat) against Prometheus blackbox_exporter (Debian
# package), same local targets, same number of checks one after another: HTTP (nginx), TCP (nginx's port),
# DNS (dnsmasq, an A record), ICMP (127.0.0.1, one echo per check on both sides).
# Reports checks per CPU-second of the checking process (ours: getrusage over the N checks; blackbox: its
# /proc utime+stime over the N probes, so curl's own CPU is not counted against it) and p50/p99 latency as each
# tool measures it (ours: total_ms; blackbox: probe_duration_seconds).
# Usage: AGENT=.build/release/sansang-agent bench/services.sh [N]   (needs nginx, dnsmasq, blackbox exporter; root for ICMP)
set -euo pipefail
N=${1:-300}
AGENT=${AGENT:-.build/release/sansang-agent}
BB=$(command -v prometheus-blackbox-exporter || true)
[ -x "$AGENT" ] || { echo "no $AGENT: build it first" >&2; exit 2; }
[ -n "$BB" ] || { echo "prometheus-blackbox-exporter is not installed (apt-get install prometheus-blackbox-exporter)" >&2; exit 2; }
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
port() { python3 -c "import socket,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM if sys.argv[1]=='udp' else socket.SOCK_STREAM);s.bind(('127.0.0.1',0));print(s.getsockname()[1])" "$1"; }
HTTP_PORT=$(port tcp); DNS_PORT=$(port udp); BB_PORT=$(port tcp)

cat > "$dir/nginx.conf" <<CONF
daemon off; master_process off; pid $dir/nginx.pid; error_log $dir/nginx.err warn;
events {}
http { access_log off; default_type text/plain;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir; uwsgi_temp_path $dir; scgi_temp_path $dir;
  server { listen 127.0.0.1:$HTTP_PORT; location / { return 200 "sansang bench ok\n"; } } }
CONF
nginx -c "$dir/nginx.conf" -p "$dir" & pids+=($!)
dnsmasq --no-daemon --conf-file=/dev/null --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
  --no-hosts --local=/sansang.test/ --host-record=bench.sansang.test,198.18.0.10 --pid-file="$dir/dnsmasq.pid" --user=root \
  2>"$dir/dnsmasq.log" & pids+=($!)
cat > "$dir/blackbox.yml" <<CONF
modules:
  http_2xx: {prober: http, timeout: 5s, http: {preferred_ip_protocol: ip4}}
  tcp_connect: {prober: tcp, timeout: 5s, tcp: {preferred_ip_protocol: ip4}}
  dns_a: {prober: dns, timeout: 5s, dns: {query_name: bench.sansang.test, query_type: A, transport_protocol: udp, preferred_ip_protocol: ip4}}
  icmp: {prober: icmp, timeout: 5s, icmp: {preferred_ip_protocol: ip4}}
CONF
"$BB" --config.file="$dir/blackbox.yml" --web.listen-address="127.0.0.1:$BB_PORT" 2>"$dir/bb.log" & BBPID=$!; pids+=($BBPID)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$BB_PORT/-/healthy" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$HTTP_PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
TCK=$(getconf CLK_TCK)
cpu_of() { awk -v t="$TCK" '{printf "%.3f", ($14+$15)/t}' "/proc/$1/stat"; }

blackbox() {  # module target → "checks failed cpu_s checks_per_cpu_s p50_ms p99_ms"
  local module=$1 target=$2 before after failed=0
  curl -s "http://127.0.0.1:$BB_PORT/probe?module=$module&target=$target" >/dev/null  # warm-up
  before=$(cpu_of "$BBPID"); : > "$dir/durations"
  for _ in $(seq "$N"); do
    out=$(curl -s "http://127.0.0.1:$BB_PORT/probe?module=$module&target=$target")
    grep -q '^probe_success 1' <<<"$out" || failed=$((failed + 1))
    awk '/^probe_duration_seconds /{printf "%.3f\n", $2*1000}' <<<"$out" >> "$dir/durations"
  done
  after=$(cpu_of "$BBPID")
  sort -n "$dir/durations" | awk -v n="$N" -v f="$failed" -v c="$(echo "$after - $before" | bc -l)" '
    {v[NR]=$1} END {p50=v[int(NR*0.5)+1]; p99=v[int(NR*0.99)+ (int(NR*0.99)<NR)]; cps=(c>0)?n/c:0;
    printf "%d %d %.3f %.1f %.3f %.3f\n", n, f, c, cps, p50, p99}'
}

ours() {  # probe-service arguments → same columns
  "$AGENT" probe service "$@" --repeat "$N" | awk '{print $2, $4, $6, $8, $10, $12}'
}

printf "%-6s | %-10s | %6s | %6s | %8s | %12s | %8s | %8s\n" kind tool checks failed cpu_s "checks/cpu-s" p50_ms p99_ms
row() { read -r n f c cps p50 p99 <<<"$3"; printf "%-6s | %-10s | %6s | %6s | %8s | %12s | %8s | %8s\n" "$1" "$2" "$n" "$f" "$c" "$cps" "$p50" "$p99"; }
row http  sansang  "$(ours --kind http --target "http://127.0.0.1:$HTTP_PORT/")"
row http  blackbox "$(blackbox http_2xx "http://127.0.0.1:$HTTP_PORT/")"
row tcp   sansang  "$(ours --kind tcp --target "127.0.0.1:$HTTP_PORT")"
row tcp   blackbox "$(blackbox tcp_connect "127.0.0.1:$HTTP_PORT")"
row dns   sansang  "$(ours --kind dns --target bench.sansang.test --dns-server "127.0.0.1:$DNS_PORT")"
row dns   blackbox "$(blackbox dns_a "127.0.0.1:$DNS_PORT")"
row icmp  sansang  "$(ours --kind icmp --target 127.0.0.1 --count 1)"
row icmp  blackbox "$(blackbox icmp 127.0.0.1)"
