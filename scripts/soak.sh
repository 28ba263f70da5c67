#!/usr/bin/env bash
# Soak run of the service (tests/soak.rs): real Mosquitto, the local
# Frigate-API server, real clips, an incident every 30 s
# (FRIGATE_BUFFER_SOAK_INTERVAL to change it).
#   scripts/soak.sh            short mode, 3 minutes (CI)
#   scripts/soak.sh 3600       long mode, one hour
# Two cores sustain about one incident per 33 s of this mix, so long runs on
# such a machine use FRIGATE_BUFFER_SOAK_INTERVAL=45 (see BENCHMARKS.md).
# The report (CEs/min, latency p50/p95/max, RSS and descriptors over time)
# is printed and written to target/soak-report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export FRIGATE_BUFFER_SOAK_SECONDS="${1:-180}"
export FRIGATE_BUFFER_SOAK_REPORT="${FRIGATE_BUFFER_SOAK_REPORT:-$PWD/target/soak-report.json}"
cargo test --release --locked --test soak -- --ignored --nocapture soak
