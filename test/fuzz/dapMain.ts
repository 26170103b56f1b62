// `npx tsx test/fuzz/dapMain.ts [--seed N] [--requests N] [--per-session N] [--session N] [--adapter dist/debugAdapter.js]`:
// the DAP fuzzer from the command line (see dapFuzzer.ts). Prints each
// failure with its reproducer and a summary; exit status 1 on any failure.

import { report, runDapFuzz } from './dapFuzzer';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`dap fuzz: --${name} needs a whole number, not ${JSON.stringify(process.argv[i + 1] ?? '')}\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const seed = option('seed', Date.now() % 2 ** 31);
  const requests = option('requests', 5000);
  const perSession = option('per-session', 400);
  process.stdout.write(`DAP fuzz: seed ${seed}, ${requests} requests (replay with --seed ${seed})\n`);
  const at = process.argv.indexOf('--adapter');
  const adapter = at >= 0 ? process.argv[at + 1] : undefined;
  const session = process.argv.includes('--session') ? option('session', 1) : undefined;
  const result = await runDapFuzz({ seed, requests, perSession, adapter, session, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${report(result)}\n`);
  process.exitCode = result.failures.length > 0 ? 1 : 0;
}

void main();
