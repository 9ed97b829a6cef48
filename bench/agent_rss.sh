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
source bench/idle_agent.bash

bin=${NUTHATCH_BIN:-target/release/nuthatch}
[ -n "${NUTHATCH_BIN:-}" ] || cargo build --release --quiet
start_idle_agent "$bin"
sleep "${IDLE_SECONDS:-15}"
kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$agent/status"; }
echo "nuthatch agent, idle $((${IDLE_SECONDS:-15}))s after registering: VmRSS $(kib VmRSS) KiB" \
  "(RssAnon $(kib RssAnon) KiB, RssFile $(kib RssFile) KiB, RssShmem $(kib RssShmem) KiB)"
