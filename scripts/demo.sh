#!/usr/bin/env bash
# The first README command: sets this machine up (scripts/setup.sh), builds the release binary,
# generates the bundled sample CE and processes it. Extra arguments go to scripts/setup.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh "$@"
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --locked
bash scripts/make-sample.sh sample/ce
target/release/frigate-buffer process sample/ce
