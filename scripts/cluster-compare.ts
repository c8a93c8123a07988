/**
 * `npx tsx scripts/cluster-compare.ts [experiment] [--set k=v] [--out DIR] [--arms first|all]`:
 * runs one experiment arm (default: fidelity, its first arm and seed) on the simulator and on the
 * loopback cluster, and writes the comparison — `agreement.json` (identical bytes per round?
 * final held-out loss within tolerance?), both runs' rows, and `sim-vs-cluster.svg|.png|.vl.json`.
 *
 * With `--arms all` (the default for `byzantine-cluster` and `attacks-cluster`) every arm runs on both backends
 * (`--only TEXT`: the arms whose name contains TEXT) and
 * `agreement.json` holds, per arm, bytesEqual, selectedEqual (same peers paid on chain every
 * round), rewardsEqual (same on-chain rewards per uid), paramsHashEqual, both final held-out
 * losses and every difference round by round; `agreement.md` is the same as a table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { agreementTable, clusterTimingOf, compareArm, compareRuns, comparisonSpec } from '../cluster/compare.ts';
import type { ArmAgreement, ArmRun } from '../cluster/compare.ts';
import type { ValidatorRoundReport } from '../cluster/reports.ts';
import { getJsonOrNull, validatorReportKey } from '../cluster/store-keys.ts';
import { parseStoreUrl } from '../backends/store/index.ts';
import type { SimChain } from '../sim/chain.ts';
import type { SimConfigInput } from '../sim/config.ts';
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
    options: { set: { type: 'string', multiple: true, default: [] }, out: { type: 'string' }, tolerance: { type: 'string' }, 'block-ms': { type: 'string', default: '250' }, arms: { type: 'string' }, only: { type: 'string' } },
  });
  const id = positionals[0] ?? 'fidelity';
  const exp = EXPERIMENTS.get(id);
  if (exp === undefined) throw new ConfigError('experiment', id, `must be one of ${[...EXPERIMENTS.keys()].join(', ')}`);
  const arms = values.arms ?? (ALL_ARMS_BY_DEFAULT.includes(id) ? 'all' : 'first');
  if (arms !== 'first' && arms !== 'all') throw new ConfigError('--arms', arms, 'must be "first" or "all"');
  const outDir = values.out ?? join('results', id, 'sim-vs-cluster');
  mkdirSync(outDir, { recursive: true });
  if (arms === 'all') {
    const results: ArmAgreement[] = [];
    const only = values.only;
    if (only !== undefined && !exp.arms.some((a) => a.name.includes(only))) throw new ConfigError('--only', only, `must be part of an arm name of ${id} (${exp.arms.map((a) => a.name).join('; ')})`);
    for (const [i, arm] of exp.arms.entries()) {
      if (only !== undefined && !arm.name.includes(only)) continue;
      const config = armConfig(exp, arm, exp.seeds[0]!, parseSetFlags(values.set));
      const armDir = join(outDir, `arm-${i}`);
      mkdirSync(armDir, { recursive: true });
      const agreement = compareArm(arm.name, await simArm(config), await clusterArm(config, armDir, Number(values['block-ms'])));
      console.error(`${arm.name}: ${agreement.differences.length === 0 ? 'agrees' : `${agreement.differences.length} differences`}`);
      results.push(agreement);
    }
    const table = agreementTable(results);
    writeFileSync(join(outDir, 'agreement.json'), `${JSON.stringify({ experiment: id, seed: exp.seeds[0], arms: results }, null, 2)}\n`);
    writeFileSync(join(outDir, 'agreement.md'), table);
    console.log(table);
    if (results.some((a) => a.differences.length > 0)) process.exitCode = 1;
    return;
  }
  const config = armConfig(exp, exp.arms[0]!, exp.seeds[0]!, parseSetFlags(values.set));

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

/** Experiments whose comparison runs every arm unless `--arms first` says otherwise. */
const ALL_ARMS_BY_DEFAULT = ['byzantine-cluster', 'attacks-cluster'];

/** The simulator's run of one arm: rows, uids paid on its chain mirror each round, rewards, params hash. */
async function simArm(config: SimConfigInput): Promise<ArmRun> {
  let chain: SimChain | null = null;
  const selected: number[][] = [];
  let before = new Map<number, bigint>();
  const rewardsNow = (): Map<number, bigint> => new Map(Array.from({ length: config.peers }, (_, uid) => [uid, chain!.model.rewardsOf(chain!.chainUidOf(uid)!)]));
  const result = await runSimulationAsync(config, {
    onChain: (c) => {
      chain = c;
      before = rewardsNow();
    },
    // Every selected uid accrues a reward > 0 in its round (the pool is funded for every round), so
    // the uids whose rewards rose are the round's selection.
    onRound: () => {
      const now = rewardsNow();
      selected.push([...now].filter(([uid, wei]) => wei > before.get(uid)!).map(([uid]) => uid));
      before = now;
    },
  });
  return { rows: result.rows, selected, rewardsByUid: result.chain?.rewardsByUid ?? {}, paramsHash: result.finalParamsHash };
}

/** The loopback cluster's run of one arm: rows, uids posted each round (validator reports), on-chain rewards, params hash. */
async function clusterArm(config: SimConfigInput, dir: string, blockTimeMs: number): Promise<ArmRun> {
  const result = await runCluster(config, { workDir: dir, storeUrl: join(dir, 'store'), blockTimeMs, log: (l) => console.error(l) });
  const store = parseStoreUrl(result.storeUrl);
  const selected: number[][] = [];
  const reports: ValidatorRoundReport[] = [];
  for (let round = 0; round < result.plan.rounds; round++) {
    const report = await getJsonOrNull<ValidatorRoundReport>(store, validatorReportKey(round));
    if (report !== null) reports.push(report);
    selected.push([...(report?.postedUids ?? [])]);
  }
  return { rows: result.rows, selected, rewardsByUid: result.chain.rewardsByUid ?? {}, paramsHash: result.finalParamsHash, timing: clusterTimingOf(result.rows, reports) };
}

main().catch((error: unknown) => {
  console.error(error instanceof SparseLocoError ? `error: ${error.message}` : error);
  process.exitCode = 2;
});
