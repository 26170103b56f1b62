#!/usr/bin/env bash
# Makes sure the host tools and node_modules the tests need are present.
# Cheap when everything is already there (a few `command -v`/`dpkg -s`
# checks and one file-time comparison); on a fresh Debian 12 machine it
# installs what is missing.
#
#   bash scripts/ensure-deps.sh             everything the tests need
#   bash scripts/ensure-deps.sh --npm-only  only node_modules (the demo needs no Debian package)
#
# Environment:
#   VMEXIT_NO_APT=1   never call apt-get (report missing tools and go on)
#   VMEXIT_NO_NPM=1   never run npm ci
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[deps] %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------
# Each line: <package> <command it provides, or '-' to check with dpkg only>
DEBIAN_PACKAGES=(
  "nasm nasm"                        # test guests, boot sectors
  "qemu-system-x86 qemu-system-i386" # whole-guest oracle (../shared/GUESTS.md)
  "seabios -"                        # SeaBIOS on the pc board (test/boot/seabios.test.ts)
  "gcc-multilib -"                   # native CPU oracle (gcc -m32)
  "chromium chromium"                # the screen panel's pixel tests, the VS Code E2E browser
  "grub-pc-bin -"                    # GRUB for i386-pc: the Multiboot 2 reference (test/boot)
  "grub-common grub-mkrescue"        # grub-mkrescue builds the ISOs
  "xorriso xorriso"                  # ... with xorriso
  "mtools mtools"                    # ... and mtools
  "memtest86+ -"                     # a real bzImage for --kernel (test/boot)
  "libkrb5-dev -"                    # code-server's native modules (VS Code E2E, ../shared/VSCODE-E2E.md)
)

npm_only=0
[[ "${1:-}" == --npm-only ]] && npm_only=1

missing=()
((npm_only)) || for entry in "${DEBIAN_PACKAGES[@]}"; do
  read -r pkg cmd <<<"$entry"
  if [[ "$cmd" != "-" ]]; then
    command -v "$cmd" >/dev/null 2>&1 && continue
  else
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && continue
  fi
  missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  sudo=()
  if [[ "$(id -u)" != 0 ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  fi
  if [[ "${VMEXIT_NO_APT:-}" == 1 ]]; then
    log "missing Debian packages (VMEXIT_NO_APT=1, not installing): ${missing[*]}"
  elif ! command -v apt-get >/dev/null 2>&1; then
    log "missing packages and no apt-get on this machine: ${missing[*]} (tests that need them will skip or fail)"
  elif [[ "$(id -u)" != 0 && ${#sudo[@]} == 0 ]]; then
    log "missing packages, not root and no passwordless sudo: ${missing[*]}"
    log "install them with: sudo apt-get install ${missing[*]}"
  else
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  fi
fi

# --- node_modules -----------------------------------------------------------
if [[ "${VMEXIT_NO_NPM:-}" != 1 ]]; then
  if [[ ! -f node_modules/.package-lock.json ]]; then
    log "node_modules missing: npm ci"
    npm ci --no-audit --no-fund
  elif [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    log "package-lock.json is newer than node_modules: npm ci"
    npm ci --no-audit --no-fund
  fi
fi

# --- sanity -----------------------------------------------------------------
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`[deps] node ${process.versions.node} is too old: vmexit needs node >= 20.19`);
    process.exit(1);
  }'
if ((!npm_only)) && [[ ! -d ../shared ]]; then
  log "warning: ../shared (conformance vectors, guest lists) not found beside the repository; tests that need it will skip or fail"
fi
