#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI document with schemathesis (PyPI): starts a
# throwaway release server on a temp data dir, runs every check with the first admin's token,
# stops the server. Passes when no response is a 5xx and none violates /swagger/doc.json.
#
#   bash bench/schemathesis.sh [extra schemathesis args, e.g. --max-examples 50]
#
# Needs `pip install schemathesis` (4.x). NUTHATCH_BIN picks another binary.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${NUTHATCH_BIN:-target/release/nuthatch}
[ -n "${NUTHATCH_BIN:-}" ] || cargo build --release --quiet
command -v st >/dev/null || { echo "schemathesis missing: pip install schemathesis" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data=$(mktemp -d)
port=$(free_port)
grpc_port=$(free_port)
NUTHATCH_DATA_DIR="$data" WOODPECKER_SERVER_ADDR="127.0.0.1:$port" WOODPECKER_GRPC_ADDR="127.0.0.1:$grpc_port" \
  WOODPECKER_HOST="http://127.0.0.1:$port" WOODPECKER_LOG_LEVEL=warn "$bin" server >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT

for _ in $(seq 100); do
  [ -s "$data/admin-credentials" ] && curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
token=$(sed -n 's/^token=//p' "$data/admin-credentials")

# Left out: operations that would end the run's own session or identity (rotating the admin's
# token, deleting or demoting users, the admin among them), and the CPU profile, which holds a
# request for up to 300 s by design.
st run "http://127.0.0.1:$port/swagger/doc.json" \
  --url "http://127.0.0.1:$port/api" \
  -H "Authorization: Bearer $token" \
  --checks all \
  --exclude-operation-id resetUserToken \
  --exclude-operation-id deleteUser \
  --exclude-operation-id patchUser \
  --exclude-operation-id getDebugPprofProfile \
  --max-examples "${MAX_EXAMPLES:-25}" \
  --seed "${SEED:-1}" \
  --request-timeout 20 \
  "$@"
