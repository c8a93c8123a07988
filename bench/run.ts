/**
 * `npm run bench [-- --json] [-- --only <group>]`: runs the benchmark groups and prints their rows,
 * as an aligned table (default) or one JSON object {"name","value","unit"} per line (`--json`).
 * Groups are a registry: add one by adding an entry to GROUPS.
 */
import { runCoreBench } from './core.ts';
import { runScaleBench } from './scale.ts';
import { runScenarioBench } from './scenario.ts';
import { runSimBench } from './sim.ts';
import { formatJsonLine, formatTable, type BenchGroup, type BenchRow } from './row.ts';

const GROUPS: Readonly<Record<string, BenchGroup>> = {
  core: runCoreBench,
  scenario: runScenarioBench,
  sim: async (log) => [...(await runSimBench(log)), ...(await runScaleBench(log))],
  // Loaded on demand: importing Hardhat costs a second that the other groups need not pay.
  chain: async (log) => (await import('./chain.ts')).runChainBench(log),
  // Loaded on demand too: it loads tfjs and every engine it can.
  gpu: async (log) => (await import('./gpu.ts')).runGpuBench(log),
};

interface Args {
  readonly json: boolean;
  readonly only: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  let json = false;
  let only: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--only') {
      only = argv[++i] ?? null;
      if (only === null) throw new Error('--only needs a group name');
    } else throw new Error(`unknown argument ${JSON.stringify(arg)} (expected --json or --only <group>)`);
  }
  if (only !== null && !(only in GROUPS)) throw new Error(`unknown group ${JSON.stringify(only)}; groups: ${Object.keys(GROUPS).join(', ')}`);
  return { json, only };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const rows: BenchRow[] = [];
  for (const [name, group] of Object.entries(GROUPS)) {
    if (args.only !== null && name !== args.only) continue;
    const groupRows = await group(log);
    if (args.json) for (const row of groupRows) process.stdout.write(`${formatJsonLine(row)}\n`);
    rows.push(...groupRows);
  }
  if (!args.json) process.stdout.write(`${formatTable(rows)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
