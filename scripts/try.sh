#!/usr/bin/env bash
# `npm run try`: the vmexit extension in a real VS Code, in your browser.
# Builds vmexit.vsix, installs code-server once (scripts/ensure-vscode.sh,
# cached outside the repository), installs the extension into a profile in
# that cache, and serves the examples/try workspace on 127.0.0.1 until Ctrl-C.
#
#   npm run try                    a free port; the URL is printed
#   npm run try -- --reset         start again from a fresh copy of examples/try
#   VMEXIT_TRY_PORT=8080 npm run try
#
# code-server listens on 127.0.0.1 only, with no password: from another
# machine, forward the port (ssh -L 8080:127.0.0.1:8080 host).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

bash scripts/ensure-deps.sh --npm-only
# F5 on an .asm file assembles it with NASM; without it the extension says how to install it.
command -v nasm >/dev/null 2>&1 || echo "[try] note: nasm is not installed (apt-get install nasm); F5 on boot.asm needs it" >&2
bash scripts/ensure-vscode.sh

echo "[try] building vmexit.vsix"
if ! out=$(npm run --silent package 2>&1); then
  printf '%s\n' "$out" >&2
  echo "[try] FAILED: npm run package" >&2
  exit 1
fi

# exec: Ctrl-C reaches serve.ts, which stops code-server's whole process group.
exec tsx test/e2e/serve.ts "$@"
