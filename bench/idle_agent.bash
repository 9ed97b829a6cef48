# Sourced by the scripts that look at an idle `nuthatch agent`. `start_idle_agent BIN [WRAP...]`
# starts BIN as a server without its embedded agent, then one remote agent with the local backend
# (run as `WRAP... BIN agent`), and returns once the agent has registered. It sets $agent (the
# agent's pid, or its wrapper's) and $data (a scratch directory holding both logs), and stops both
# processes on exit.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_idle_agent() {
  local bin=$1
  shift
  data=$(mktemp -d)
  local port grpc_port
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
    "$@" "$bin" agent >"$data/agent.log" 2>&1 &
  agent=$!
  # Under valgrind the start takes seconds, hence the long wait.
  for _ in $(seq 600); do grep -q "agent registered" "$data/agent.log" && break; sleep 0.1; done
  grep -q "agent registered" "$data/agent.log" || { cat "$data/agent.log" >&2; exit 1; }
}
