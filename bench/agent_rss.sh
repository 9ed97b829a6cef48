#!/usr/bin/env bash
# Idle memory of `nuthatch agent` (issue 8's figure): starts a release server without its
# embedded agent and one remote agent with the local backend, waits until the agent has
# registered and sat idle for IDLE_SECONDS (default 15), and prints the agent's resident memory
# from /proc: VmRSS, split into anonymous memory and pages of files (its code, mostly).
#
#   bash bench/agent_rss.sh
#
# NUTHATCH_BIN picks another binary (default: target/release/nuthatch, built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${NUTHATCH_BIN:-target/release/nuthatch}
[ -n "${NUTHATCH_BIN:-}" ] || cargo build --release --quiet

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data=$(mktemp -d)
port=$(free_port)
grpc_port=$(free_port)
NUTHATCH_DATA_DIR="$data" WOODPECKER_SERVER_ADDR="127.0.0.1:$port" WOODPECKER_GRPC_ADDR="127.0.0.1:$grpc_port" \
  WOODPECKER_HOST="http://127.0.0.1:$port" WOODPECKER_AGENT_SECRET=bench-secret NUTHATCH_EMBEDDED_AGENT=false \
  WOODPECKER_LOG_LEVEL=warn "$bin" server >"$data/server.log" 2>&1 &
server=$!
agent=
trap 'kill $agent "$server" 2>/dev/null; wait $agent "$server" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

WOODPECKER_SERVER="127.0.0.1:$grpc_port" WOODPECKER_AGENT_SECRET=bench-secret WOODPECKER_BACKEND=local \
  WOODPECKER_AGENT_CONFIG_FILE="$data/agent.conf" WOODPECKER_LOG_LEVEL=info \
  "$bin" agent >"$data/agent.log" 2>&1 &
agent=$!
for _ in $(seq 100); do grep -q "agent registered" "$data/agent.log" && break; sleep 0.1; done
grep -q "agent registered" "$data/agent.log" || { cat "$data/agent.log" >&2; exit 1; }
sleep "${IDLE_SECONDS:-15}"
kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$agent/status"; }
echo "nuthatch agent, idle $((${IDLE_SECONDS:-15}))s after registering: VmRSS $(kib VmRSS) KiB" \
  "(RssAnon $(kib RssAnon) KiB, RssFile $(kib RssFile) KiB, RssShmem $(kib RssShmem) KiB)"
