/**
 * Child process of bench/scale.ts: runs SCALE_BENCH_CONFIG once and prints a ScaleChildReport as
 * one JSON line. Its own process, so `maxRSS` is the peak of this run alone.
 */
import { runSimulation } from '../sim/run.ts';
import { SCALE_BENCH_CONFIG } from './scale.ts';
import type { ScaleChildReport } from './scale.ts';

const t0 = process.hrtime.bigint();
const result = runSimulation(SCALE_BENCH_CONFIG);
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const report: ScaleChildReport = {
  wallS,
  peakRssMiB: process.resourceUsage().maxRSS / 1024, // maxRSS is in KiB
  rounds: result.rows.length,
  finalHeldoutLoss: result.finalHeldoutLoss,
  initialHeldoutLoss: result.rows[0]!.heldoutLoss,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
