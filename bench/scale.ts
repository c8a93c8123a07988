/**
 * The simulator at scale: 10,000 peers × 100 rounds of SparseLoCo on the surrogate backend, run in
 * a child process (bench/scale-child.ts) so the peak RSS is that run's alone, not the bench
 * runner's. Rows: `sim.scale10k.wall_s` (the run, without process start-up) and
 * `sim.scale10k.peak_rss_mib` (the child's max resident set). Targets: ≤ 60 s and ≤ 2 GiB.
 *
 * @example
 * const rows = await runScaleBench((line) => process.stderr.write(`${line}\n`));
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import scale10k from '../experiments/catalog/scale-10k.ts';
import type { SimConfigInput } from '../sim/config.ts';
import type { BenchRow } from './row.ts';

/**
 * The benchmarked run. Cheap surrogate on purpose — softmax regression, 16 inputs, 4 classes
 * (68 parameters), batch 4, H = 2 — so the figure measures the simulator (10k processes, uploads,
 * a 10k-message aggregation and catch-up per round) rather than the model. 10% per-round dropout
 * makes returning peers replay what they missed. The chain mirror is on, as in every simulated
 * run: ModelChain without event logs, dropping each round's commitments once it is finalised.
 */
export const SCALE_BENCH_CONFIG: SimConfigInput = { ...scale10k.base, seed: scale10k.seeds[0]! };

/** What the child prints on its last stdout line. */
export interface ScaleChildReport {
  readonly wallS: number;
  readonly peakRssMiB: number;
  readonly rounds: number;
  readonly finalHeldoutLoss: number;
  readonly initialHeldoutLoss: number;
}

const UNIT = '10k peers × 100 rounds, sparseloco topK 8, surrogate softmax 16→4, batch 4, H 2, 10% dropout, gather 20 + 10 reserves, per-peer replicas + null rounds, lagged Gauntlet (15 evaluated/window), model chain mirror on (no logs, finalised rounds pruned)';

/** Runs the scale benchmark in a child process and returns its two rows. */
export async function runScaleBench(log: (line: string) => void): Promise<BenchRow[]> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const script = fileURLToPath(new URL('./scale-child.ts', import.meta.url));
  log('sim: scale benchmark, 10,000 peers × 100 rounds (child process)…');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script], { cwd: root, maxBuffer: 1 << 20 }, (err, out, errOut) => {
      if (err) reject(new Error(`scale child failed: ${err.message}\n${errOut}`));
      else resolve(out);
    });
  });
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as ScaleChildReport;
  log(`sim: scale run held-out loss ${report.initialHeldoutLoss.toFixed(3)} → ${report.finalHeldoutLoss.toFixed(3)} over ${report.rounds} rounds`);
  return [
    { name: 'sim.scale10k.wall_s', value: report.wallS, unit: `s (${UNIT})` },
    { name: 'sim.scale10k.peak_rss_mib', value: report.peakRssMiB, unit: `MiB (${UNIT})` },
  ];
}
