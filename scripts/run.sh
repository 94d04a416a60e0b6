#!/usr/bin/env bash
# `make run`: the province lab (scripts/lab.sh up, docs/lab.md) where this host allows it — root, and `ip netns`
# working — else the reason, and the single-host demo (scripts/demo.sh: one collector, one agent on this host).
set -uo pipefail
cd "$(dirname "$0")/.."
LAB_FILE=${1:-lab/danang.yaml}
why=""
if [ "$(id -u)" != 0 ]; then
  why="not root (the lab creates network namespaces, veths and tc qdiscs: run \`sudo make run\`)"
elif ! command -v ip >/dev/null; then
  why="the ip command (iproute2) is missing"
else
  probe="sl-probe-$$"
  if ip netns add "$probe" 2>/dev/null; then
    ip netns delete "$probe"
  else
    why="network namespaces are not available here (\`ip netns add\` fails: a container without CAP_SYS_ADMIN?)"
  fi
fi
if [ -n "$why" ]; then
  echo "The province lab cannot run: $why."
  echo "Running the single-host demo instead (one collector and one agent on this host)."
  echo
  exec scripts/demo.sh
fi
exec scripts/lab.sh up "$LAB_FILE"
