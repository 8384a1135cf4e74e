# Shared by scripts/up and scripts/test: toolchain target, target directory, builds.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# A fresh machine lacks the wasm target and rustup will not add it on its own here.
ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "==> rustup target add wasm32-wasip2"
    rustup target add wasm32-wasip2
  fi
}

# spin.toml names target/wasm32-wasip2/release/*.wasm; when builds go to a shared
# CARGO_TARGET_DIR outside the clone, target/ points there.
link_target_dir() {
  if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    mkdir -p "$CARGO_TARGET_DIR"
    local want
    want="$(cd "$CARGO_TARGET_DIR" && pwd)"
    if [[ "$want" != "$ROOT/target" ]]; then
      if [[ -L target || ! -e target ]]; then
        ln -sfn "$want" target
      else
        echo "error: CARGO_TARGET_DIR=$CARGO_TARGET_DIR but $ROOT/target is a real directory; remove it or unset CARGO_TARGET_DIR" >&2
        exit 1
      fi
    fi
  fi
}

# Package names of every wasm component: the app's, and the test fixtures of the runner and of
# the end-to-end tests.
wasm_packages() {
  local dirs=("components"/*/)
  if [[ "${1:-}" == "--with-fixtures" ]]; then
    dirs+=("runner/fixtures"/*/ "tests/e2e/fixtures"/*/)
  fi
  for d in "${dirs[@]}"; do
    [[ -f "$d/Cargo.toml" ]] || continue
    sed -n 's/^name *= *"\(.*\)"/\1/p' "$d/Cargo.toml" | head -1
  done
}

build_wasm() {
  local args=()
  for p in $(wasm_packages "$@"); do args+=(-p "$p"); done
  echo "==> cargo build --release --target wasm32-wasip2 ${args[*]}"
  cargo build --release --locked --target wasm32-wasip2 "${args[@]}"
}

build_runner() {
  echo "==> cargo build --release -p runner"
  cargo build --release --locked -p runner
}

runner_bin() {
  echo "${CARGO_TARGET_DIR:-$ROOT/target}/release/runner"
}

migration_flags() {
  local f
  for f in "$ROOT"/migrations/[0-9]*.sql; do
    printf -- '--sqlite\n@%s\n' "$f"
  done
}
