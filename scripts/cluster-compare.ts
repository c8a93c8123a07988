/**
 * `npx tsx scripts/cluster-compare.ts [experiment] [--set k=v] [--out DIR]`: runs one experiment
 * arm (default: fidelity, its first arm and seed) on the simulator and on the loopback cluster,
 * and writes the comparison — `agreement.json` (identical bytes per round? final held-out loss
 * within tolerance?), both runs' rows, and `sim-vs-cluster.svg|.png|.vl.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compareRuns, comparisonSpec } from '../cluster/compare.ts';
import { runCluster } from '../cluster/orchestrator.ts';
import { ConfigError, SparseLocoError } from '../core/errors.ts';
import { EXPERIMENTS } from '../experiments/catalog/index.ts';
import { armConfig } from '../experiments/define.ts';
import { parseSetFlags } from '../experiments/overrides.ts';
import { specToSvg, svgToPng } from '../experiments/render.ts';
import { runSimulationAsync } from '../sim/run.ts';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    strict: true,
    allowPositionals: true,
    options: { set: { type: 'string', multiple: true, default: [] }, out: { type: 'string' }, tolerance: { type: 'string' }, 'block-ms': { type: 'string', default: '250' } },
  });
  const id = positionals[0] ?? 'fidelity';
  const exp = EXPERIMENTS.get(id);
  if (exp === undefined) throw new ConfigError('experiment', id, `must be one of ${[...EXPERIMENTS.keys()].join(', ')}`);
  const config = armConfig(exp, exp.arms[0]!, exp.seeds[0]!, parseSetFlags(values.set));
  const outDir = values.out ?? join('results', id, 'sim-vs-cluster');
  mkdirSync(outDir, { recursive: true });

  const sim = await runSimulationAsync(config);
  const cluster = await runCluster(config, { workDir: outDir, storeUrl: join(outDir, 'store'), blockTimeMs: Number(values['block-ms']), log: (l) => console.error(l) });
  const agreement = compareRuns(sim.rows, cluster.rows, values.tolerance === undefined ? undefined : Number(values.tolerance));
  const spec = comparisonSpec(sim.rows, cluster.rows, `${id}: simulator vs cluster (seed ${config.seed}, ${sim.backend.engine ?? sim.backend.name} / ${cluster.backend.engine ?? cluster.backend.name})`);
  const svg = await specToSvg(spec);
  writeFileSync(join(outDir, 'agreement.json'), `${JSON.stringify({ ...agreement, simEngine: sim.backend.engine, clusterEngine: cluster.backend.engine, simParamsHash: sim.finalParamsHash, clusterParamsHash: cluster.finalParamsHash, clusterWallS: cluster.wallS }, null, 2)}\n`);
  writeFileSync(join(outDir, 'sim-rows.jsonl'), sim.rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(outDir, 'cluster-rows.jsonl'), cluster.rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(outDir, 'sim-vs-cluster.vl.json'), `${JSON.stringify(spec, null, 2)}\n`);
  writeFileSync(join(outDir, 'sim-vs-cluster.svg'), svg);
  writeFileSync(join(outDir, 'sim-vs-cluster.png'), svgToPng(svg));
  console.log(JSON.stringify(agreement, null, 2));
  console.log(`→ ${outDir}/sim-vs-cluster.svg`);
  if (!agreement.agrees) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof SparseLocoError ? `error: ${error.message}` : error);
  process.exitCode = 2;
});
