#!/usr/bin/env bash
# Drives `fioreg --demo` in tmux (100x30) through a generic-registry add and saves each wizard
# screen as text in docs/screens/. Needs tmux. Usage: bash scripts/capture-screens.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=docs/screens
mkdir -p "$out"
s=fioreg-capture
tmux kill-session -t "$s" 2>/dev/null || true
tmux new-session -d -s "$s" -x 100 -y 30 "NO_COLOR=1 ./target/release/fioreg --demo; sleep 5"
trap 'tmux kill-session -t "$s" 2>/dev/null || true' EXIT
# Waits until the screen shows $1, then saves it as $2 (scratch paths made stable).
shot() {
  for _ in $(seq 100); do
    if tmux capture-pane -p -t "$s" | grep -qF -- "$1"; then
      tmux capture-pane -p -t "$s" | sed -E 's#/tmp/fioreg-demo-[A-Za-z0-9]+#/tmp/fioreg-demo-XXXXXX#g' >"$out/$2.txt"
      return
    fi
    sleep 0.1
  done
  echo "screen with '$1' never appeared" >&2
  tmux capture-pane -p -t "$s" >&2
  exit 1
}
keys() { tmux send-keys -t "$s" "$@"; }
shot "ghcr_creds: MISSING" 1-start
keys Enter
shot "Which kind of registry" 2-provider
keys Down Down Down Enter
shot "Registry host" 3-registry
keys -l "registry.gitlab.com"
shot "registry_gitlab_creds" 3-registry
keys Enter
shot "User name" 4-credentials
keys -l "ci-bot"
keys Tab
keys -l "glpat-demo-token"
shot "••••" 4-credentials
keys Enter
shot "Apply" 5-review
keys Tab Enter
shot "Done" 7-done
echo "saved: $(ls "$out")"
