#!/usr/bin/env bash
# The `fioreg scan` benchmark: 10 real docker-registry processes with token auth on 127.0.0.1,
# a generated containers.git of 500 images (250 repositories x 2 tags, half of them public),
# whole-process `fioreg scan` timed with hyperfine, concurrent (--jobs 16) and sequential
# (--jobs 1). Replaces the `## fioreg scan` section of docs/benchmarks.md (scripts/bench.sh keeps
# that section when it rewrites the file).
#
#   bash scripts/bench-scan.sh
#
# Needs docker-registry, htpasswd and hyperfine (apt-get install -y docker-registry
# apache2-utils hyperfine). Never run by `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --test scan -- --ignored --nocapture bench_scan
python3 - <<'PY'
from pathlib import Path
doc = Path("docs/benchmarks.md")
section = Path("target/bench-scan/section.md").read_text().rstrip("\n") + "\n"
text = doc.read_text() if doc.exists() else "# Benchmarks\n"
start = text.find("\n## fioreg scan\n")
if start != -1:
    ends = [e for e in (text.find("\n## ", start + 1), text.find("\n<!-- fleet-bench:start", start + 1)) if e != -1]
    end = min(ends) if ends else -1
    text = text[: start + 1] + text[end + 1 :] if end != -1 else text[: start + 1]
doc.write_text(text.rstrip("\n") + "\n\n" + section)
print("wrote docs/benchmarks.md")
PY
