#!/usr/bin/env bash
# The test command (`npm test`): dependencies, typecheck, lint, build, then
# every mocha suite. Works on a fresh Debian 12 clone (installs what is
# missing) and costs nothing extra on a warm machine.
#
#   npm test                       everything
#   npm test -- --grep PIT         extra arguments go to mocha
#   npm test -- test/cpu/fpu       files or folders given run instead of every suite
#
# One suite without the rest: `npx mocha test/cpu/fpu/x87.test.ts` (the
# mocha config names no spec, so a file given is the whole run).
#
# Typecheck, lint and build run side by side (their output is printed in
# order once each finishes); mocha runs after them. Every step runs even when
# an earlier one failed, so one run shows every problem; the exit status is
# non-zero when any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/node_modules/.bin:$PATH"

started=$SECONDS
bash scripts/ensure-deps.sh || { echo "[test] installing dependencies failed" >&2; exit 1; }

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()

# step <name> <command...>: run in the background, output to $logs/<name>.
pids=()
names=()
step() {
  local name=$1; shift
  ( start=$(date +%s%N); "$@" >"$logs/$name.out" 2>&1; rc=$?
    echo "$rc $(( ($(date +%s%N) - start) / 1000000 ))" >"$logs/$name.rc" ) &
  pids+=($!)
  names+=("$name")
}

step typecheck bash -c "tsc -p . --noEmit && tsc -p tsconfig.webview.json --noEmit"
step lint eslint src test scripts
step build node scripts/build.mjs
for i in "${!pids[@]}"; do
  wait "${pids[$i]}"
  name=${names[$i]}
  read -r rc ms <"$logs/$name.rc"
  if [[ $rc == 0 ]]; then
    printf '[test] %-9s ok (%d ms)\n' "$name" "$ms"
    # Show the build's list of entries and any lint warnings.
    [[ $name != typecheck ]] && sed 's/^/    /' "$logs/$name.out" | grep -v '^\s*$' || true
  else
    printf '[test] %-9s FAILED (exit %d, %d ms)\n' "$name" "$rc" "$ms"
    cat "$logs/$name.out"
    failed+=("$name")
  fi
done

echo "[test] mocha"
mocha_start=$SECONDS
# mocha's output goes through tee, which hides the terminal: decide here.
color=(--no-color)
[[ -t 1 || -n "${FORCE_COLOR:-}" ]] && color=(--color)
# Every suite unless a file or folder was given.
spec=('test/**/*.test.ts')
for arg in "$@"; do [[ $arg != -* && -e $arg ]] && spec=(); done
mocha "${color[@]}" "$@" "${spec[@]}" 2>&1 | tee "$logs/mocha.out"
mocha_rc=${PIPESTATUS[0]}
((mocha_rc == 0)) || failed+=(mocha)

# The summary, again at the bottom where it is easy to find.
summary=$(grep -E '^\s+[0-9]+ (passing|failing|pending)' "$logs/mocha.out" | sed -E 's/\x1b\[[0-9;]*m//g; s/^\s+//' | paste -sd ',' - | sed 's/,/, /g')
echo "[test] mocha: ${summary:-no summary (exit $mocha_rc)} ($((SECONDS - mocha_start)) s)"
if ((${#failed[@]} > 0)); then
  echo "[test] FAILED: ${failed[*]} ($((SECONDS - started)) s)"
  exit 1
fi
echo "[test] all green ($((SECONDS - started)) s)"
