// `npm run fuzz`: the fuzzers of vmexit from the command line.
//
//   npm run fuzz -- [--target cpu|dap|all] [--mode real|pm16|pm32|paging|vm86|all]
//                   [--instructions N] [--seed S] [--stream N] [--stream-instructions N]
//                   [--requests N] [--session N] [--minimize]
//
// --instructions is per mode (default 1,000,000); --stream replays one
// stream of --mode (its number and seed are printed with each crash). Exit
// status 0 when nothing crashed or hung, 1 otherwise, 2 for bad arguments.
// Targets: `cpu` is the instruction fuzzer (./cpuFuzz.ts), `dap` the debug
// adapter fuzzer (./dapFuzzer.ts: --requests N in all, default 5000;
// --session N replays one session of --seed, --minimize cuts a failing
// session down to the requests that still fail). A target is one entry of
// TARGETS below.

import { FuzzOptions, formatReport, fuzzCpu } from './cpuFuzz';
import { FUZZ_MODES, FuzzMode } from './machine';
import { report, runDapFuzz } from './dapFuzzer';

interface Arguments {
  targets: string[];
  modes: FuzzMode[];
  instructions: number;
  seed: number;
  stream?: number;
  streamInstructions: number;
  requests: number;
  session?: number;
  minimize: boolean;
}

/** A fuzz target: runs with the parsed arguments, prints its report, resolves true when nothing crashed. */
type Target = (args: Arguments) => Promise<boolean>;

const TARGETS: Record<string, Target> = {
  cpu: async (args) => {
    const options: FuzzOptions = {
      modes: args.modes, seed: args.seed, instructions: args.instructions, streamInstructions: args.streamInstructions,
      stream: args.stream, hangMs: 10_000, progress: (line) => console.error(line),
    };
    const reports = await fuzzCpu(options);
    console.log(formatReport(reports));
    return reports.every((r) => r.crashes.length === 0);
  },
  dap: async (args) => {
    console.error(`DAP fuzz: seed ${args.seed}, ${args.requests} requests`);
    const result = await runDapFuzz({
      seed: args.seed, requests: args.requests, session: args.session, minimize: args.minimize, log: (line) => console.error(line),
    });
    console.log(report(result));
    return result.failures.length === 0;
  },
};

class UsageError extends Error {}

function wholeNumber(name: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`${name} needs a whole number (got ${v ?? 'nothing'})`);
  return Number(v);
}

function parse(argv: string[]): Arguments {
  const a: Arguments = { targets: ['cpu'], modes: [...FUZZ_MODES], instructions: 1_000_000, seed: 1, streamInstructions: 100_000, requests: 5000, minimize: false };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    switch (name) {
      case '--target':
        if (value === 'all') a.targets = Object.keys(TARGETS);
        else if (value !== undefined && value in TARGETS) a.targets = [value];
        else throw new UsageError(`--target must be ${[...Object.keys(TARGETS), 'all'].join(', ')} (got ${value ?? 'nothing'})`);
        i++;
        break;
      case '--mode':
        if (value === 'all') a.modes = [...FUZZ_MODES];
        else if ((FUZZ_MODES as readonly string[]).includes(value ?? '')) a.modes = [value as FuzzMode];
        else throw new UsageError(`--mode must be ${[...FUZZ_MODES, 'all'].join(', ')} (got ${value ?? 'nothing'})`);
        i++;
        break;
      case '--instructions': a.instructions = wholeNumber(name, value); i++; break;
      case '--seed': a.seed = wholeNumber(name, value); i++; break;
      case '--stream': a.stream = wholeNumber(name, value); i++; break;
      case '--requests': a.requests = wholeNumber(name, value); i++; break;
      case '--session': a.session = Math.max(1, wholeNumber(name, value)); i++; break;
      case '--minimize': a.minimize = true; break;
      case '--stream-instructions': a.streamInstructions = Math.max(1, wholeNumber(name, value)); i++; break;
      default: throw new UsageError(`unknown argument ${name}`);
    }
  }
  if (a.stream !== undefined && a.modes.length !== 1) throw new UsageError('--stream replays one stream: give its --mode too');
  return a;
}

async function main(): Promise<void> {
  let args: Arguments;
  try {
    args = parse(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`fuzz: ${e.message}`);
    process.exit(2);
  }
  let ok = true;
  for (const t of args.targets) ok = (await TARGETS[t](args)) && ok;
  process.exit(ok ? 0 : 1);
}

void main();
