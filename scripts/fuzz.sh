#!/usr/bin/env bash
# Fuzzes fioreg's factory-config.yml parser and editor with cargo-fuzz (libFuzzer):
# arbitrary bytes -> FactoryConfig::parse -> edit(Add), edit(Update/Remove) of every entry.
# Nothing may panic (see fuzz/fuzz_targets/edit.rs).
#
#   bash scripts/fuzz.sh [SECONDS]     (default 600)
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz if missing.
# Seeds the corpus from tests/golden/*.in.yml, ../shared/corpus and the bundled example. Any
# crash is copied to tests/fuzz_regressions/ (replayed by `cargo test --test fuzz_regressions`);
# the script then exits 1.
set -euo pipefail
SECS=${1:-600}
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/.." && pwd))
cd "$ROOT"

rustup toolchain list | grep -q '^nightly' || {
	echo "cargo-fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2
	exit 2
}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz

CORPUS=fuzz/corpus/edit
mkdir -p "$CORPUS"
i=0
for f in tests/golden/*.in.yml "$ROOT"/../shared/corpus/*.yml assets/example/factory-config.yml; do
	[ -f "$f" ] || continue
	i=$((i + 1))
	# The first byte picks the field values; the rest is the file.
	(printf '\000'; cat "$f") >"$CORPUS/seed-$i"
done

status=0
cargo +nightly fuzz run edit "$CORPUS" -- \
	-max_total_time="$SECS" -timeout=10 -rss_limit_mb=4096 -max_len=8192 \
	-dict=fuzz/yaml.dict -print_final_stats=1 || status=$?

found=0
for a in fuzz/artifacts/edit/crash-* fuzz/artifacts/edit/timeout-* fuzz/artifacts/edit/oom-*; do
	[ -f "$a" ] || continue
	found=1
	cp "$a" "tests/fuzz_regressions/$(basename "$a").yml"
	echo "kept $a as tests/fuzz_regressions/$(basename "$a").yml" >&2
done
if [ $found = 1 ] || [ $status != 0 ]; then
	echo "the fuzzer found a problem (exit $status); see fuzz/artifacts/edit/" >&2
	exit 1
fi
echo "no crash in $SECS s" >&2
