#!/usr/bin/env bash
# Benchmarks of the fioreg release binary (the whole `fioreg --yes --no-verify add aws ...`
# process, with the fioctl stand-in) against ruamel.yaml (Python, round-trip mode) and the npm
# `yaml` package (Document API) making the same edit: fidelity (lines changed outside the edit),
# speed (whole-process wall and CPU time, median of >= 10 runs) and peak memory. Also the
# start-up time and the size of the release binary. Writes the results to docs/benchmarks.md.
#
#   bash scripts/bench.sh [--skip-tui]
#
# --skip-tui keeps the wizard's figures of the previous run (measuring them builds the pty test
# harness in release mode). CARGO_TARGET_DIR is honoured.
#
# It installs what it needs by itself: ruamel.yaml into a venv under target/bench-venv (or with
# `pip install --user` where venv is missing), `yaml` with npm into target/bench-node, hyperfine
# with apt-get when it is missing and apt-get can (else a timing loop in Python is used), and it
# builds `cargo build --release --example edit --bin fioreg`. Needs python3, node and npm.
# Exit status: 0 when every target is met and fioreg changed no line outside the edit, 1 otherwise
# (the table is written in both cases). This is never run by `cargo test`.
set -euo pipefail

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/.." && pwd))
cd "$ROOT"
WORK=target/bench
mkdir -p "$WORK"

say() { printf '\n== %s\n' "$*" >&2; }

TARGET=${CARGO_TARGET_DIR:-target}
say "building the release binary and the edit example (in $TARGET)"
cargo build --release --example edit --bin fioreg

say "ruamel.yaml"
PY=""
if [ -x target/bench-venv/bin/python ] || python3 -m venv target/bench-venv >/dev/null 2>&1; then
	PY=target/bench-venv/bin/python
	"$PY" -c 'import ruamel.yaml' 2>/dev/null || "$PY" -m pip install --quiet ruamel.yaml
else
	echo "python3 -m venv is not available; installing ruamel.yaml with pip --user" >&2
	rm -rf target/bench-venv
	PY=$(command -v python3)
	"$PY" -c 'import ruamel.yaml' 2>/dev/null || "$PY" -m pip install --quiet --user ruamel.yaml
fi

say "npm yaml"
NODE_DIR=target/bench-node
mkdir -p "$NODE_DIR"
[ -f "$NODE_DIR/package.json" ] || echo '{ "private": true }' >"$NODE_DIR/package.json"
[ -d "$NODE_DIR/node_modules/yaml" ] || npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent yaml
# ES modules resolve `yaml` from the script's own directory: run a copy placed next to node_modules.
cp scripts/bench/yaml_edit.mjs "$NODE_DIR/yaml_edit.mjs"

say "hyperfine"
if ! command -v hyperfine >/dev/null 2>&1; then
	if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
		(apt-get install -y hyperfine >/dev/null 2>&1 ||
			(apt-get update >/dev/null 2>&1 && apt-get install -y hyperfine >/dev/null 2>&1)) ||
			echo "hyperfine could not be installed: timing with a Python loop instead" >&2
	else
		echo "hyperfine is missing: timing with a Python loop instead" >&2
	fi
fi
if [ ! -x /usr/bin/time ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	apt-get install -y time >/dev/null 2>&1 || true
fi

CORPUS="$ROOT/../shared/corpus"
say "running (corpus: $CORPUS)"
exec "$PY" scripts/bench/run.py \
	--corpus "$CORPUS" \
	--ruamel-python "$PY" \
	--node-script "$NODE_DIR/yaml_edit.mjs" \
	--work "$WORK" \
	--target-dir "$TARGET" \
	--out docs/benchmarks.md "$@"
