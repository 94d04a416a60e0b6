#!/usr/bin/env bash
# `make stop`: ends the collector, the agent and the SMTP server that `make run` started, by their PIDs.
cd "$(dirname "$0")/.."
RUN=${RUN_DIR:-.run}
for name in agent collector smtp; do
  pidfile="$RUN/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $name ($pid)"
  fi
  rm -f "$pidfile"
done
