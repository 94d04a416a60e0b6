#!/usr/bin/env bash
# The province lab (docs/lab.md): `scripts/lab.sh up|down|status|check [LAB_FILE]`.
#
#   up      validates the lab file (sansang-lab plan: nothing is touched when it is wrong), builds the province
#           namespace (collector, dnsmasq, nginx with a lab CA, chronyd, iperf3 servers, SMTP sink) and one
#           namespace per office (agent) and per office switch (snmpd, lldpd), joined by veths through bridges,
#           lines shaped with tc (netem, or tbf and nftables where the kernel has no netem); waits for the steady state; prints the roll-up and what to try.
#   down    removes exactly what `up` recorded: processes by PID (checked against their start time), the
#           namespaces (and with them every veth, bridge and qdisc inside), the host end of the NOC link, the
#           /etc/netns/<namespace> resolver files. Nothing else.
#   status  what is recorded and whether it still runs.
#   check   the lab against its file, once (exit 1 when a site differs).
#   kill NAME / restart NAME   SIGKILL a recorded process (e.g. agent-20242, collector, dnsmasq) / start it again
#           with its recorded command line (a fault and its repair, by hand or from the lab fault suite).
#
# Environment: LAB_DIR (state and logs), LAB_PREFIX (namespace prefix), LAB_NOC=0 (no host link: a second lab
# beside `make run`, reached with `ip netns exec`), LAB_WAIT=0 (`up` returns once built, without waiting for the
# steady state), LAB_AGENT (another agent binary, e.g. a release build), LAB_STEADY_TIMEOUT, LAB_ALERTS_DIR (alert
# rules and routes instead of alerts/default.yaml and the lab's mail route), BIN (the built programs).
#
# The orchestration is a script on purpose: it is a list of `ip`, `tc` and daemon invocations a NOC engineer can
# read and replay by hand; the parts with logic (the file's format and validation, the address plan, the lab
# inventory, the self-check) are Swift (module LabModel, command sansang-lab) and unit-tested.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${BIN:-$ROOT/.build/debug}
AGENT=${LAB_AGENT:-$BIN/sansang-agent}     # e.g. a release build for bench-lab
LAB_FILE=${2:-${LAB_FILE:-lab/danang.yaml}}
DIR=${LAB_DIR:-$ROOT/.run/lab}
STATE=$DIR/state
NS=${LAB_PREFIX:-sl}                       # namespace and host-link prefix
PROV=$NS-prov
TOOLS=${LAB_TOOLS_DIR:-$ROOT/.run/lab-tools}
STEADY_TIMEOUT=${LAB_STEADY_TIMEOUT:-600}  # seconds to wait for the lab to match its file
LANG_OUT=${SANSANG_LANG:-vi}
NOC_LINK=${LAB_NOC:-1}                     # 0: no link from the host (the API is reached inside the province)
WAIT=${LAB_WAIT:-1}                        # 0: up returns once everything is started
COLLECTOR=198.18.0.1
NOC_HOST=198.19.255.254
NOC_PROV=198.19.255.253
PORT=8470
SNMP_USER=sansang-lab
SNMP_AUTH=lab-auth-secret
SNMP_PRIV=lab-priv-secret

say() { printf '%s\n' "$*"; }
die() { printf 'lab: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------------
# What the lab made, recorded before it is made, so that `down` removes exactly that.

record() { mkdir -p "$STATE"; printf '%s\n' "$2" >> "$STATE/$1"; }

new_ns() {
  record netns "$1"
  ip netns add "$1" || die "cannot create namespace $1 (left from a crashed run? \`make stop\` removes what is recorded; \`ip netns list\` shows it)"
  ip -n "$1" link set lo up
}

# start NAME NAMESPACE LOG [ENV=VALUE…] -- ARGV…: a daemon in a namespace, its PID and start time recorded.
start() {
  local name=$1 ns=$2 log=$3; shift 3
  local env=()
  while [ "$1" != "--" ]; do env+=("$1"); shift; done
  shift
  # The command line, for `restart NAME`.
  mkdir -p "$STATE/commands"
  { printf 'exec env'; printf ' %q' "${env[@]}" ip netns exec "$ns" "$@"; printf '\n'; } > "$STATE/commands/$name"
  printf '%s\n' "$log" > "$STATE/commands/$name.log"
  setsid env "${env[@]}" ip netns exec "$ns" "$@" > "$log" 2>&1 < /dev/null &
  local pid=$!
  record pids "$name $pid $(starttime "$pid")"
}

# The newest recorded PID of NAME that still runs (with its recorded start time), or nothing.
running_pid() {
  [ -f "$STATE/pids" ] || return 0
  local found=""
  while read -r name pid start; do
    [ "$name" = "$1" ] && alive "$name" "$pid" "$start" && found=$pid
  done < "$STATE/pids"
  echo "$found"
}

kill_recorded() {   # kill_recorded NAME: SIGKILL, as a crash would
  local pid
  pid=$(running_pid "$1")
  [ -n "$pid" ] || die "$1 is not running (see \`scripts/lab.sh status\`)"
  kill -KILL "$pid"
  while [ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; do sleep 0.05; done
  say "killed $1 ($pid)"
}

restart_recorded() {   # restart_recorded NAME: the recorded command line again, appending to its log
  [ -f "$STATE/commands/$1" ] || die "no recorded command for $1"
  [ -z "$(running_pid "$1")" ] || die "$1 is still running"
  local log
  log=$(cat "$STATE/commands/$1.log")
  setsid bash "$STATE/commands/$1" >> "$log" 2>&1 < /dev/null &
  local pid=$!
  record pids "$1 $pid $(starttime "$pid")"
  say "started $1 ($pid)"
}

starttime() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null || echo 0; }

alive() { [ -e "/proc/$2" ] && [ "$(starttime "$2")" = "$3" ]; }

# ---------------------------------------------------------------------------------------------------------------
# Daemons the host has, or private copies: a package whose install would change the host's own services
# (chrony removes systemd-timesyncd; nginx starts a web server on port 80) is downloaded and unpacked under
# $TOOLS, never installed. `apt-get download` + `dpkg-deb -x`: no maintainer scripts run, nothing is enabled.

private_tool() {   # private_tool PACKAGE PATH-IN-PACKAGE → prints the executable's path
  local package=$1 path=$2
  if [ -x "$TOOLS/$package/$path" ]; then echo "$TOOLS/$package/$path"; return; fi
  mkdir -p "$TOOLS/$package.deb"
  ( cd "$TOOLS/$package.deb" && apt-get download "$package" >/dev/null 2>&1 ) \
    || die "cannot download the $package package (apt-get download $package); it is needed to run the lab"
  dpkg-deb -x "$TOOLS/$package.deb/"*.deb "$TOOLS/$package"
  echo "$TOOLS/$package/$path"
}

find_tools() {
  CHRONYD=${LAB_CHRONYD:-$(command -v chronyd || private_tool chrony usr/sbin/chronyd)}
  NGINX=${LAB_NGINX:-$(command -v nginx || private_tool nginx usr/sbin/nginx)}
  local missing=()
  for tool in dnsmasq snmpd lldpd lldpcli iperf3 tc nft openssl curl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  FAKETIME_LIB=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime.so.1$' | head -1 || true)
  [ -n "$FAKETIME_LIB" ] || missing+=("libfaketime")
  # For lab/timerfd-passthrough.c (the Swift toolchain's clang will do).
  LAB_CC=${CC:-$(command -v cc || command -v clang || true)}
  [ -n "$LAB_CC" ] || missing+=("a C compiler (cc)")
  [ ${#missing[@]} -eq 0 ] || die "missing: ${missing[*]} (\`make deps-run\` installs them)"
  for program in sansang-agent sansang-collector sansang sansang-lab; do
    [ -x "$BIN/$program" ] || die "$BIN/$program is not built (\`swift build\`)"
  done
}

# ---------------------------------------------------------------------------------------------------------------

running_lab() { [ -s "$STATE/netns" ] || [ -s "$STATE/pids" ]; }

up() {
  if running_lab; then
    say "A lab is already running (recorded in $STATE; $(wc -l < "$STATE/netns" 2>/dev/null || echo 0) namespaces). It is left alone:"
    say "  make status-lab   what runs;   make stop   removes it."
    exit 1
  fi
  find_tools
  local began=$SECONDS
  rm -rf "$DIR"; mkdir -p "$DIR/plan" "$STATE"
  # The file first: a wrong lab file changes nothing on the host.
  "$BIN/sansang-lab" plan "$LAB_FILE" --out "$DIR/plan" >/dev/null || { rm -rf "$DIR"; exit 2; }
  SWITCH_MODEL=$(awk -F'\t' '$1 == "switch_model" {print $2}' "$DIR/plan/plan.tsv")
  read -r REPORT_INTERVAL SERVICE_INTERVAL POLL_S < <(awk -F'\t' '$1 == "settings" {print $2, $3, $4}' "$DIR/plan/plan.tsv")
  trap 'failed $LINENO' ERR
  trap 'say "interrupted: removing what was made"; down >/dev/null 2>&1; exit 130' INT TERM

  # Past ~30 offices the kernel's neighbour table needs more room (below); a small lab leaves the host's setting.
  [ "$(grep -c '^office' "$DIR/plan/plan.tsv")" -le 30 ] || neighbour_table
  province
  # Every office's token first (one process each), so that agents started early do not slow the rest down.
  while IFS=$'\t' read -r kind _ code _ _ _ _ _ _ agent _; do
    [ "$kind" = office ] && [ "$agent" = run ] || continue
    mkdir -p "$DIR/offices/$code"
    "$BIN/sansang-collector" token issue "$code" --config "$DIR/collector.yaml" > "$DIR/offices/$code/agent.token" 2>> "$DIR/tokens.log"
  done < "$DIR/plan/plan.tsv"
  local offices=0 stopped=0
  while IFS=$'\t' read -r kind index code office_ip switch_ip lan_mbps wan_mbps delay loss agent skew cert_days cert_host unreachable; do
    [ "$kind" = office ] || continue
    office "$index" "$code" "$office_ip" "$switch_ip" "$lan_mbps" "$wan_mbps" "$delay" "$loss" "$agent" "$skew" "$unreachable"
    offices=$((offices + 1)); [ "$agent" = stopped ] && stopped=$((stopped + 1))
  done < "$DIR/plan/plan.tsv"
  trap - ERR INT TERM
  echo $((SECONDS - began)) > "$STATE/built-seconds"
  if [ "$WAIT" = 0 ]; then
    say "lab: $offices offices built in $((SECONDS - began)) s ($stopped without an agent, as declared)"
    return 0
  fi
  say "lab: $offices offices built in $((SECONDS - began)) s ($stopped without an agent, as declared); waiting for the steady state…"
  steady "$began"
  summary
}

failed() {
  say "lab: the start failed at scripts/lab.sh line $1 (logs in $DIR/); removing what was made…" >&2
  down >&2 || true
  exit 1
}

province() {
  new_ns "$PROV"
  ip -n "$PROV" link add wan type bridge
  ip -n "$PROV" link set wan up
  local addresses=("$COLLECTOR" 198.18.0.2 198.18.0.3)
  while IFS=$'\t' read -r kind a b _; do
    case $kind in iperf) addresses+=("$a");; host) addresses+=("$b");; esac
  done < "$DIR/plan/plan.tsv"
  for address in "${addresses[@]}"; do ip -n "$PROV" addr add "$address/15" dev wan; done
  # The NOC's way in: one veth from the host into the province (a /30 of its own); nothing is routed further.
  if [ "$NOC_LINK" != 0 ]; then
    record links "$NS-noc"
    ip link add "$NS-noc" type veth peer name noc netns "$PROV" \
      || die "cannot create the host link $NS-noc (left from a crashed run? \`ip link delete $NS-noc\`)"
    ip addr add "$NOC_HOST/30" dev "$NS-noc"
    ip link set "$NS-noc" up
    ip -n "$PROV" addr add "$NOC_PROV/30" dev noc
    ip -n "$PROV" link set noc up
  fi

  NETEM=no
  if ip netns exec "$PROV" tc qdisc add dev noc root netem delay 0ms 2>/dev/null; then
    NETEM=yes; ip netns exec "$PROV" tc qdisc del dev noc root
  fi
  certificates
  # DNS: the profile's e-government names → their lab addresses, nothing else (no upstream, no host files).
  local records=()
  while IFS=$'\t' read -r kind name address _; do
    [ "$kind" = host ] && records+=("--host-record=$name,$address")
  done < "$DIR/plan/plan.tsv"
  start dnsmasq "$PROV" "$DIR/dnsmasq.log" -- dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
    --listen-address=198.18.0.2 --bind-interfaces --pid-file="$DIR/dnsmasq.pid" --user=root --log-facility=- "${records[@]}"

  # HTTPS/HTTP/TCP for every e-government host: one nginx answering on every lab address; the certificate chosen
  # per client and name (cert_days_left faults), made by the lab CA.
  mkdir -p "$DIR/nginx/tmp"
  cat > "$DIR/nginx/nginx.conf" <<NGINX
daemon off;
master_process off;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type text/plain;
    client_body_temp_path $DIR/nginx/tmp;
    proxy_temp_path $DIR/nginx/tmp;
    fastcgi_temp_path $DIR/nginx/tmp;
    uwsgi_temp_path $DIR/nginx/tmp;
    scgi_temp_path $DIR/nginx/tmp;
    map "\$remote_addr \$ssl_server_name" \$lab_certificate {
        default good;
$(cat "$DIR/certs/map" 2>/dev/null)
    }
    server {
        listen 443 ssl;
        listen 80;
        listen 587;
        ssl_certificate $DIR/certs/\$lab_certificate.crt;
        ssl_certificate_key $DIR/certs/\$lab_certificate.key;
        location / { return 200 "sansang lab: \$host\\n"; }
    }
}
NGINX
  start nginx "$PROV" "$DIR/nginx/nginx.log" -- "$NGINX" -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"

  # NTP: chronyd serving its own clock to the lab, never setting the host's (-x), no command port.
  # It answers on every province address: the profile's NTP host name resolves to its own lab address.
  cat > "$DIR/chrony.conf" <<CHRONY
allow 198.18.0.0/15
local stratum 8
cmdport 0
pidfile $DIR/chronyd.pid
driftfile $DIR/chrony.drift
CHRONY
  start chronyd "$PROV" "$DIR/chronyd.log" -- "$CHRONYD" -d -x -u root -f "$DIR/chrony.conf"

  # The provincial iperf3 servers: one test at a time each; a busy one answers ACCESS_DENIED.
  while IFS=$'\t' read -r kind address _; do
    [ "$kind" = iperf ] || continue
    start "iperf3-$address" "$PROV" "$DIR/iperf3-$address.log" -- iperf3 -s -B "$address" -p 5201
  done < "$DIR/plan/plan.tsv"

  # The SMTP server that keeps the collector's mail (the NOC mailbox).
  start smtp "$PROV" "$DIR/smtp.log" -- /usr/bin/python3 "$ROOT/scripts/smtp-sink.py" --port 2525 --mailbox "$DIR/mailbox" --detached

  collector
}

certificates() {
  local c=$DIR/certs
  mkdir -p "$c"
  local names=() san=""
  while IFS=$'\t' read -r kind name _; do [ "$kind" = host ] && names+=("$name"); done < "$DIR/plan/plan.tsv"
  for n in "${names[@]}"; do san+="DNS:$n,"; done
  san=${san%,}
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "/CN=sansang lab CA" \
    -keyout "$c/ca.key" -out "$c/ca.crt" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
  server_certificate() {   # server_certificate FILE DAYS
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=${names[0]}" \
      -keyout "$c/$1.key" -out "$c/$1.csr" 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san" > "$c/$1.ext"
    openssl x509 -req -in "$c/$1.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days "$2" \
      -extfile "$c/$1.ext" -out "$c/$1.crt" 2>/dev/null
  }
  server_certificate good 365
  # cert_days_left N: valid N+1 days from now, so that N whole days are left during the lab's first day.
  : > "$c/map"
  while IFS=$'\t' read -r kind _ code office_ip _ _ _ _ _ _ _ cert_days cert_host _; do
    [ "$kind" = office ] && [ "$cert_days" != - ] || continue
    [ -f "$c/days-$cert_days.crt" ] || server_certificate "days-$cert_days" $((cert_days + 1))
    if [ "$cert_host" = - ]; then
      for n in "${names[@]}"; do printf '        "%s %s" days-%s;\n' "$office_ip" "$n" "$cert_days" >> "$c/map"; done
    else
      printf '        "%s %s" days-%s;\n' "$office_ip" "$cert_host" "$cert_days" >> "$c/map"
    fi
  done < "$DIR/plan/plan.tsv"
}

collector() {
  mkdir -p "$DIR/alerts"
  if [ -n "${LAB_ALERTS_DIR:-}" ]; then
    # Another rule set and routes (the fault suite's: no hold times, one mail per site and rule).
    cp "$LAB_ALERTS_DIR"/*.yaml "$DIR/alerts/"
  else
    cp alerts/default.yaml "$DIR/alerts/"
    cat > "$DIR/alerts/routes.yaml" <<YAML
routes:
  - receivers: [noc-email]
    group_by: [alertname, province]
    group_wait: 30s
receivers:
  - name: noc-email
    email: {to: ["noc@sansang.example"], lang: vi}
YAML
  fi
  cat > "$DIR/collector.yaml" <<YAML
listen: {host: 0.0.0.0, port: $PORT}
database: {sqlite_path: $DIR/collector.sqlite}
inventory: [$DIR/plan/inventory]
report_interval_s: $REPORT_INTERVAL
evaluation_interval_s: 5
alerts: {path: $DIR/alerts, evaluation_interval_s: 5}
mail:
  url: smtp://127.0.0.1:2525
  security: none
  from: "sansang lab <sansang@sansang.example>"
  outbox: $DIR/outbox
weekly_report: {to: ["Lãnh đạo <lanhdao@sansang.example>"], lang: vi, title: Đà Nẵng}
YAML
  "$BIN/sansang-collector" migrate --config "$DIR/collector.yaml" >/dev/null
  "$BIN/sansang-collector" token issue --noc lab --role admin --config "$DIR/collector.yaml" > "$DIR/noc.token" 2>> "$DIR/tokens.log"
  ( umask 077; head -c 12 /dev/urandom | base64 | tr -d '/+=' > "$DIR/dashboard.password" )
  "$BIN/sansang-collector" user add demo --role admin --password-file "$DIR/dashboard.password" --config "$DIR/collector.yaml" >/dev/null
  chmod 600 "$DIR/noc.token"
  start collector "$PROV" "$DIR/collector.log" -- "$BIN/sansang-collector" serve --config "$DIR/collector.yaml"
  for _ in $(seq 1 150); do ip netns exec "$PROV" curl -sf -o /dev/null "http://$COLLECTOR:$PORT/readyz" && return; sleep 0.2; done
  die "the collector did not start; see $DIR/collector.log"
}

office() {
  local index=$1 code=$2 office_ip=$3 switch_ip=$4 lan_mbps=$5 wan_mbps=$6 delay=$7 loss=$8 agent=$9 skew=${10} unreachable=${11}
  local o=$NS-o$code s=$NS-s$code d=$DIR/offices/$code
  mkdir -p "$d/snmp" "$d/agent-state"
  new_ns "$o"
  new_ns "$s"
  # office eth0 ── ge1 [switch bridge sw] uplink ── o<code> [province bridge wan]
  ip link add eth0 netns "$o" type veth peer name ge1 netns "$s"
  ip link add uplink netns "$s" type veth peer name "o$code" netns "$PROV"
  ip -n "$s" link add sw type bridge
  ip -n "$s" link set ge1 master sw
  ip -n "$s" link set uplink master sw
  ip -n "$s" addr add "$switch_ip/15" dev sw
  for l in ge1 uplink sw; do ip -n "$s" link set "$l" up; done
  ip -n "$PROV" link set "o$code" master wan
  ip -n "$PROV" link set "o$code" up
  ip -n "$o" addr add "$office_ip/15" dev eth0
  ip -n "$o" link set eth0 up
  ip -n "$o" route add default via "$COLLECTOR"
  # The line: rate, delay and loss in each direction (upload on the switch's uplink, download on the province port).
  shape "$s" uplink "$wan_mbps" "$delay" "$loss"
  shape "$PROV" "o$code" "$wan_mbps" "$delay" 0
  if [ "$NETEM" = no ] && [ "$loss" != 0 ]; then
    # Without netem, loss is nftables dropping at random on the switch's uplink, both directions.
    local permille
    permille=$(awk -v p="$loss" 'BEGIN { printf "%d", p * 10 + 0.5 }')
    ip netns exec "$s" nft -f - <<NFT
table netdev lab {
  chain upload { type filter hook egress device "uplink" priority 0; numgen random mod 1000 < $permille drop; }
  chain download { type filter hook ingress device "uplink" priority 0; numgen random mod 1000 < $permille drop; }
}
NFT
  fi
  # Faults: lab addresses this office cannot reach (a service, or its resolver).
  if [ "$unreachable" != - ]; then
    for address in ${unreachable//,/ }; do ip -n "$o" route add unreachable "$address/32"; done
  fi
  # The office's resolver is the province's dnsmasq (ip netns exec binds /etc/netns/<ns>/resolv.conf).
  record files "/etc/netns/$o"
  mkdir -p "/etc/netns/$o"
  echo "nameserver 198.18.0.2" > "/etc/netns/$o/resolv.conf"
  echo "127.0.0.1 localhost" > "/etc/netns/$o/hosts"

  # The office's switch: snmpd answering IF-MIB for its real ports (ifHighSpeed of ge1 pinned to the declared
  # port speed), lldpd announcing on ge1.
  local ifindex
  ifindex=$(ip netns exec "$s" cat /sys/class/net/ge1/ifindex)
  cat > "$d/snmpd.conf" <<SNMPD
agentaddress udp:$switch_ip:161
sysName sw-$code
sysDescr $SWITCH_MODEL
sysLocation office $code
view lab included .1.3.6.1.2.1.1
view lab included .1.3.6.1.2.1.2
view lab included .1.3.6.1.2.1.31
createUser $SNMP_USER SHA-256 $SNMP_AUTH AES $SNMP_PRIV
rouser $SNMP_USER priv -V lab
override 1.3.6.1.2.1.31.1.1.1.15.$ifindex unsigned $lan_mbps
dontLogTCPWrappersConnects yes
SNMPD
  start "snmpd-$code" "$s" "$d/snmpd.log" SNMP_PERSISTENT_DIR="$d/snmp" MIBS= -- snmpd -f -Lo -C -c "$d/snmpd.conf"
  cat > "$d/lldpd.conf" <<LLDPD
configure lldp tx-interval 5
configure system hostname sw-$code
configure system description "$SWITCH_MODEL"
LLDPD
  start "lldpd-$code" "$s" "$d/lldpd.log" -- lldpd -d -u "$d/lldpd.socket" -p "$d/lldpd.pid" -I ge1 -O "$d/lldpd.conf"

  [ "$agent" = stopped ] && return 0
  printf '%s\n' "$SNMP_AUTH" > "$d/switch-auth"; printf '%s\n' "$SNMP_PRIV" > "$d/switch-priv"
  chmod 600 "$d/agent.token" "$d/switch-auth" "$d/switch-priv"
  cat > "$d/agent.yaml" <<YAML
site: "$code"
collector: {url: "http://$COLLECTOR:$PORT", token_file: $d/agent.token, allow_insecure_http: true}
uplink: auto
state_directory: $d/agent-state
send: {backoff_max_s: $REPORT_INTERVAL}   # a line back after a cut is used within an interval
lldp_wait_s: 6
switch:
  address: udp:$switch_ip:161
  user: $SNMP_USER
  auth_protocol: sha256
  auth_passphrase_file: $d/switch-auth
  privacy_protocol: aes
  privacy_passphrase_file: $d/switch-priv
checks:
  ca_file: $DIR/certs/ca.crt
  service_interval_s: $SERVICE_INTERVAL
  throughput_poll_s: $POLL_S
YAML
  local env=()
  # clock_skew_s: the office host's clock runs ahead (or behind) — libfaketime under the agent, not the host's clock.
  # lab/timerfd-passthrough.c comes first: without it libfaketime makes the agent's timers spin (the file says why).
  if [ "$skew" != - ]; then
    [ -f "$DIR/timerfd-passthrough.so" ] || "$LAB_CC" -shared -fPIC -O2 -o "$DIR/timerfd-passthrough.so" "$ROOT/lab/timerfd-passthrough.c"
    env=(LD_PRELOAD="$DIR/timerfd-passthrough.so $FAKETIME_LIB" FAKETIME="$( [ "$skew" -ge 0 ] && echo +)${skew}s" FAKETIME_DONT_FAKE_MONOTONIC=1)
  fi
  start "agent-$code" "$o" "$d/agent.log" "${env[@]}" -- "$AGENT" run --config "$d/agent.yaml"
}

# shape NAMESPACE DEVICE MBPS DELAY_MS LOSS_PCT: the line's rate (and delay and loss, with netem) leaving DEVICE.
shape() {
  if [ "$NETEM" = yes ]; then
    ip netns exec "$1" tc qdisc add dev "$2" root netem rate "${3}mbit" delay "${4}ms" loss "${5}%" limit 300
  else
    # A kernel without sch_netem: a token bucket for the rate (burst above a 64 KiB GSO frame).
    ip netns exec "$1" tc qdisc add dev "$2" root tbf rate "${3}mbit" burst 256kb latency 20ms
    if [ "$4" != 0 ] && [ -z "${DELAY_WARNED:-}" ]; then
      DELAY_WARNED=1
      say "lab: this kernel has no sch_netem: wan_delay_ms is not emulated (rate with tbf, loss with nftables)" >&2
    fi
  fi
}

# ---------------------------------------------------------------------------------------------------------------

noc() {
  if [ "$NOC_LINK" != 0 ]; then
    SANSANG_SERVER="http://$NOC_PROV:$PORT" SANSANG_TOKEN="$(cat "$DIR/noc.token")" "$BIN/sansang" "$@"
  else
    SANSANG_SERVER="http://$COLLECTOR:$PORT" SANSANG_TOKEN="$(cat "$DIR/noc.token")" ip netns exec "$PROV" "$BIN/sansang" "$@"
  fi
}

check_once() {
  noc sites --json --limit 10000 > "$DIR/sites.json" 2>/dev/null || return 2
  "$BIN/sansang-lab" check "$LAB_FILE" --sites "$DIR/sites.json" --lang "$LANG_OUT" "$@"
}

steady() {
  local began=$1
  while :; do
    if check_once --quiet > "$DIR/check.txt" 2>&1; then
      echo "after $((SECONDS - began)) s: steady" >> "$DIR/steady.log"
      echo $((SECONDS - began)) > "$STATE/steady-seconds"
      say "lab: steady state after $((SECONDS - began)) s: every site as $LAB_FILE declares."
      return 0
    fi
    # What still differs at each poll, for whoever asks why the lab took its time (docs/lab.md).
    { echo "after $((SECONDS - began)) s:"; sed 's/^/  /' "$DIR/check.txt"; } >> "$DIR/steady.log"
    if [ $((SECONDS - began)) -ge "$STEADY_TIMEOUT" ]; then
      say "lab: after $STEADY_TIMEOUT s the lab still differs from $LAB_FILE (it keeps running; \`make check-lab\` compares again):"
      sed 's/^/  /' "$DIR/check.txt"
      return 0
    fi
    sleep 10
  done
}

summary() {
  say
  noc status --group-by former_district --lang "$LANG_OUT" || true
  say
  check_once || true
  cat <<TEXT

The lab keeps running (logs and files in $DIR/). From this host:
  export SANSANG_SERVER=http://$NOC_PROV:$PORT SANSANG_TOKEN=\$(cat $DIR/noc.token)
  $BIN/sansang status --group-by former_district
  $BIN/sansang sites --verdict not_ready --lang en
  $BIN/sansang site 20257
  $BIN/sansang alerts
API:       http://$NOC_PROV:$PORT/api/v1/readiness   (NOC token in $DIR/noc.token; OpenAPI: /openapi.yaml)
Dashboard: http://$NOC_PROV:$PORT/   (user demo, password in $DIR/dashboard.password)
Mailbox:   $DIR/mailbox/   (the alert mail of the faulty sites, once per state change)
An office: ip netns exec $NS-o20242 bash   (its agent's log: $DIR/offices/20242/agent.log)
Check:     make check-lab    Stop: make stop
TEXT
}

# The kernel's IPv4 neighbour (ARP) table is one for all namespaces, and its default hard limit (gc_thresh3 = 1024
# entries) is below what ~190 namespaces on bridges need: past it the kernel drops packets to new neighbours
# ("neighbor table overflow" in dmesg) and healthy offices see connect and DNS timeouts. The limits are raised for
# the lab's life and the host's own values are put back by `down`.
NEIGH_SYSCTL=net.ipv4.neigh.default
neighbour_table() {
  local name want current
  for pair in gc_thresh1=1024 gc_thresh2=4096 gc_thresh3=8192; do
    name=${pair%%=*}; want=${pair#*=}
    current=$(sysctl -n "$NEIGH_SYSCTL.$name")
    [ "$current" -ge "$want" ] && continue
    record sysctl "$NEIGH_SYSCTL.$name=$current"
    sysctl -q -w "$NEIGH_SYSCTL.$name=$want"
  done
}

down() {
  local removed=0
  if [ -f "$STATE/pids" ]; then
    # Newest first; only a process whose start time is the recorded one (a PID may have been reused).
    local pids=()
    while read -r name pid start; do
      if alive "$name" "$pid" "$start"; then kill -TERM "$pid" 2>/dev/null && pids+=("$pid"); fi
    done < <(tac "$STATE/pids")
    for _ in $(seq 1 50); do
      local left=0
      for pid in "${pids[@]}"; do [ -e "/proc/$pid" ] && left=1; done
      [ $left = 0 ] && break
      sleep 0.1
    done
    for pid in "${pids[@]}"; do [ -e "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null; done
    say "stopped ${#pids[@]} processes"
    rm -f "$STATE/pids"
    rm -rf "$STATE/commands"
  fi
  if [ -f "$STATE/netns" ]; then
    while read -r ns; do ip netns delete "$ns" 2>/dev/null && removed=$((removed + 1)); done < <(tac "$STATE/netns")
    say "removed $removed namespaces (with their veths, bridges and qdiscs)"
    rm -f "$STATE/netns"
  fi
  if [ -f "$STATE/links" ]; then
    while read -r link; do ip link delete "$link" 2>/dev/null && say "removed host link $link"; done < "$STATE/links"
    rm -f "$STATE/links"
  fi
  if [ -f "$STATE/files" ]; then
    while read -r path; do case $path in /etc/netns/"$NS"-*) rm -rf "$path";; esac; done < "$STATE/files"
    rmdir /etc/netns 2>/dev/null || true
    rm -f "$STATE/files"
  fi
  if [ -f "$STATE/sysctl" ]; then
    # The host's own neighbour-table limits, as they were before `up`.
    while read -r setting; do sysctl -q -w "$setting" && say "restored $setting"; done < "$STATE/sysctl"
    rm -f "$STATE/sysctl"
  fi
}

status() {
  running_lab || { say "no lab recorded in $STATE"; exit 1; }
  local up=0 gone=0
  while read -r name pid start; do
    if alive "$name" "$pid" "$start"; then up=$((up + 1)); else gone=$((gone + 1)); say "not running: $name ($pid)"; fi
  done < "$STATE/pids"
  say "$up processes running, $gone gone; $(wc -l < "$STATE/netns") namespaces; API http://$NOC_PROV:$PORT"
}

case ${1:-} in
  up)
    [ "$(id -u)" = 0 ] || die "the lab creates network namespaces: run as root"
    up ;;
  down) down ;;
  status) status ;;
  check) check_once ;;
  kill) kill_recorded "${2:?scripts/lab.sh kill NAME}" ;;
  restart) restart_recorded "${2:?scripts/lab.sh restart NAME}" ;;
  *) echo "usage: scripts/lab.sh up|down|status|check [LAB_FILE] | kill NAME | restart NAME" >&2; exit 2 ;;
esac
