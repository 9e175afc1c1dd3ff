# Shared steps of scripts/run and scripts/test. Each `ensure_*` installs only what is missing, so a
# second run is quick and quiet. Sourced, not executed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# Outside the clone, so a fresh clone on the same machine (CI) reuses compiled dependencies.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}
export PATH="$HOME/.cargo/bin:$PATH"
# Incremental caches only help an edit-compile loop; for these one-shot builds they cost gigabytes.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# Must equal the `wasm-bindgen` version pinned in Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130

say() { printf '\033[1m%s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31m%s\033[0m\n' "$*" >&2; exit 1; }

# Runs a command silently, showing its output only if it fails.
quietly() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

ensure_rust_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "Installing the wasm32 target (about a minute, once)..."
    quietly rustup target add wasm32-unknown-unknown
  fi
  if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
    say "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)..."
    # Not --locked: one of its locked dependencies is no longer on crates.io.
    quietly cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

# Builds the browser bundle and the `sluice` binary. $1: debug or release.
# The three steps are what `cargo leptos build` does; doing them directly saves a 20-minute
# cargo-leptos install on every fresh machine, and `cargo leptos build` still works.
build_sluice() {
  local profile=$1 server_flags=()
  [[ $profile == release ]] && server_flags=(--release)
  export SLUICE_SITE_DIR="$CARGO_TARGET_DIR/site-$profile"
  SLUICE_BIN="$CARGO_TARGET_DIR/$profile/sluice"
  [[ -x $SLUICE_BIN ]] || say "Building Sluice ($profile; the first build takes several minutes)..."
  build_browser_bundle "$profile"
  # With the helper that starts pipeline code inside the sandbox (the server looks for it beside
  # itself), in one invocation: built apart, the engine's dependencies would build again with the
  # engine's own feature set.
  cargo build --quiet -p server -p engine --bin sluice --bin sluice-sandbox-init "${server_flags[@]}"
}

# The wasm app, its JS glue and the static files, into $SLUICE_SITE_DIR. $1: debug or release.
build_browser_bundle() {
  local profile=$1 wasm_flags=() wasm_dir=debug bindgen_flags=()
  if [[ $profile == release ]]; then
    wasm_flags=(--profile wasm-release)
    wasm_dir=wasm-release
    # Function names only serve debugging, and are two thirds of the file (1.59 MB gzipped
    # becomes 0.97 MB). BENCHMARKS.md says why wasm-opt is not used.
    bindgen_flags=(--remove-name-section)
  fi
  cargo build --quiet -p frontend --lib --target wasm32-unknown-unknown "${wasm_flags[@]}"
  mkdir -p "$SLUICE_SITE_DIR/pkg"
  wasm-bindgen --target web --no-typescript --out-dir "$SLUICE_SITE_DIR/pkg" --out-name sluice "${bindgen_flags[@]}" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$wasm_dir/frontend.wasm"
  cp style/main.css "$SLUICE_SITE_DIR/pkg/sluice.css"
  if [[ -d public ]]; then cp -R public/. "$SLUICE_SITE_DIR/"; fi
  precompress "$profile" "$SLUICE_SITE_DIR/pkg"/sluice{.js,_bg.wasm,.css}
}

# Writes FILE.br and FILE.gz beside each file, which the server sends to browsers that accept
# them. $1: debug or release (a release spends the seconds brotli's best level takes).
precompress() {
  local profile=$1 level=5 file
  shift
  [[ $profile == release ]] && level=11
  ensure_brotli
  for file in "$@"; do
    gzip -9 --keep --force "$file"
    brotli --quality="$level" --keep --force "$file"
  done
}

ensure_brotli() {
  command -v brotli >/dev/null && return
  say "Installing brotli, to precompress the web bundle (seconds, once)..."
  quietly apt-get update
  DEBIAN_FRONTEND=noninteractive quietly apt-get install -y brotli
}

# Pipeline code runs in a bubblewrap sandbox; without it, actions that run code fail (closed).
ensure_bubblewrap() {
  command -v bwrap >/dev/null && return
  say "Installing bubblewrap, the sandbox for pipeline code (seconds, once)..."
  quietly apt-get update
  DEBIAN_FRONTEND=noninteractive quietly apt-get install -y bubblewrap
}

# The notification tests send e-mail to a real SMTP server: Python's aiosmtpd.
ensure_aiosmtpd() {
  python3 -c 'import aiosmtpd' 2>/dev/null && return
  say "Installing aiosmtpd, the SMTP server of the e-mail tests (seconds, once)..."
  quietly python3 -m pip install --quiet aiosmtpd
}

# The CodeCommit tests drive Sluice with boto3 (the Rust tests too, through a Python script).
ensure_boto3() {
  python3 -c 'import boto3' 2>/dev/null && return
  say "Installing boto3, the AWS SDK the client checks use (seconds, once)..."
  quietly python3 -m pip install --quiet boto3
}

# The S3 checks drive Sluice with the stock aws CLI (the Rust tests too, through a Python script).
ensure_awscli() {
  command -v aws >/dev/null && return
  say "Installing the aws CLI, for the S3 checks (seconds, once)..."
  quietly python3 -m pip install --quiet awscli
}

# The AWS-forwarding tests send to moto's server, a local stand-in for SNS and EventBridge.
ensure_moto() {
  python3 -c 'import moto.server' 2>/dev/null && return
  say "Installing moto's server, the AWS side of the forwarding tests (about a minute, once)..."
  quietly python3 -m pip install --quiet 'moto[server]'
}

ensure_chromium() {
  command -v chromium >/dev/null && return
  say "Installing Debian's Chromium for the browser tests (about a minute, once)..."
  quietly apt-get update
  DEBIAN_FRONTEND=noninteractive quietly apt-get install -y chromium
}

ensure_node_modules() {
  local stamp=end2end/node_modules/.package-lock.json
  [[ -f $stamp && ! end2end/package-lock.json -nt $stamp ]] && return
  say "Installing the end-to-end test packages..."
  # Playwright drives Debian's Chromium; its own browser download cannot work here.
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 quietly npm ci --no-audit --no-fund)
}

# The storage tests run on PostgreSQL too; without it they must fail loudly, never skip.
ensure_postgres() {
  export SLUICE_TEST_POSTGRES_URL=${SLUICE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
  pg_isready -q -d "$SLUICE_TEST_POSTGRES_URL" 2>/dev/null && return
  if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
    say "Starting the local PostgreSQL..."
    local version
    for version in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start >/dev/null 2>&1 || true
    done
    for _ in $(seq 20); do
      pg_isready -q -d "$SLUICE_TEST_POSTGRES_URL" 2>/dev/null && return
      sleep 0.5
    done
  fi
  die "PostgreSQL is not reachable at $SLUICE_TEST_POSTGRES_URL. The storage and API tests need it:
start it, or set SLUICE_TEST_POSTGRES_URL to a server where the user may create databases."
}
