#!/usr/bin/env bash
# The second README command: sets this machine up for the tests (scripts/setup.sh --tests: adds
# Mosquitto and Chromium), generates the sample CE and runs the test suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --tests "$@"
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/make-sample.sh sample/ce
cargo test --release --locked -- --test-threads=2
