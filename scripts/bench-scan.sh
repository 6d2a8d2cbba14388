#!/usr/bin/env bash
# The `fioreg scan` benchmark: 10 real docker-registry processes with token auth on 127.0.0.1,
# a generated containers.git of 500 images (250 repositories x 2 tags, half of them public),
# whole-process `fioreg scan` timed with hyperfine, concurrent (--jobs 16) and sequential
# (--jobs 1). Prints a markdown table (also in target/bench-scan/results.md).
#
#   bash scripts/bench-scan.sh
#
# Needs docker-registry, htpasswd and hyperfine (apt-get install -y docker-registry
# apache2-utils hyperfine). Never run by `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test scan -- --ignored --nocapture bench_scan
