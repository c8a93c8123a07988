/**
 * `npm run experiment <id>`: the front door. Runs an experiment on the simulator (default) or, with
 * `--backend cluster`, on real peer and validator processes with a Hardhat node and an object
 * store (cluster), and writes its results folder.
 *
 *   npm run experiment -- --list
 *   npm run experiment -- --describe churn-30pct
 *   npm run experiment churn-30pct -- --seeds 1,2 --set peers=50 --jobs 2 --out results/mine
 *   npm run experiment fidelity -- --backend cluster            # 4 peer processes on 127.0.0.1
 *   npm run experiment fidelity -- --backend cluster --rpc http://127.0.0.1:8545 --store s3://run-1 --s3-endpoint http://127.0.0.1:4568
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, SparseLocoError } from '../core/errors.ts';
import { resolveSimConfig } from '../sim/config.ts';
import { EXPERIMENTS } from './catalog/index.ts';
import { SWEEPS } from './catalog/sweeps.ts';
import { armConfig } from './define.ts';
import type { Experiment } from './define.ts';
import { nearestKey, parseSetFlags } from './overrides.ts';
import { createProgress } from './progress.ts';
import { writeResults } from './results.ts';
import { runClusterTasks } from '../cluster/tasks.ts';
import { planRuns, runTasks, metricRows, ranOn } from './runner.ts';
import { summaryMarkdown } from './summary.ts';

const BACKENDS = ['sim', 'cluster'] as const;

function findExperiment(id: string): Experiment {
  const exp = EXPERIMENTS.get(id);
  if (exp) return exp;
  const near = nearestKey(id, [...EXPERIMENTS.keys()]);
  throw new ConfigError('experiment', id, `is not a known experiment${near ? `; did you mean "${near}"?` : ''} (see --list)`);
}

function parseSeeds(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const seeds = String(text).split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (seeds.length === 0 || !seeds.every((s) => Number.isSafeInteger(s))) throw new ConfigError('--seeds', text, 'must be a comma-separated list of integers, e.g. 1,2,3');
  return seeds;
}

/** A timestamped folder name; wall-clock use is fine here, the results themselves never contain it. */
function defaultOutDir(id: string): string {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-'); // 2026-11-25T21-25-05Z
  return join('results', id, stamp);
}

export async function main(argv: string[]): Promise<void> {
  const args = await yargs(argv)
    .scriptName('npm run experiment --')
    .usage('$0 <id> [options]')
    .command('$0 [id]', 'run an experiment')
    .positional('id', { type: 'string', describe: 'experiment id (see --list)' })
    .option('list', { type: 'boolean', describe: 'list experiments with their question' })
    .option('describe', { type: 'string', describe: 'print the resolved config of an experiment' })
    .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a config key: --set peers=500 --set optim.topK=32' })
    .option('seeds', { type: 'string', describe: 'comma-separated seeds (default: the experiment\'s)' })
    .option('out', { type: 'string', describe: 'results folder (default results/<id>/<timestamp>)' })
    .option('backend', { choices: BACKENDS, default: 'sim' as const, describe: 'where peers run' })
    .option('jobs', { type: 'number', default: availableParallelism(), describe: 'parallel runs (worker threads)' })
    .option('tiny', { type: 'boolean', default: false, describe: 'shrink every arm to a few peers and rounds (smoke test)' })
    .option('rpc', { type: 'string', describe: 'cluster: JSON-RPC URL of an EVM node (default: start a Hardhat node on 127.0.0.1)' })
    .option('store', { type: 'string', describe: 'cluster: object store, a folder or s3://bucket (default: under the results folder)' })
    .option('s3-endpoint', { type: 'string', describe: 'cluster: S3-API endpoint for an s3:// store' })
    .option('block-ms', { type: 'number', describe: 'cluster: wall ms per mined block (default 250)' })
    .option('round-blocks', { type: 'number', describe: 'cluster: blocks per round window (default 40)' })
    .strict()
    .fail((msg, err) => {
      throw err ?? new ConfigError('command line', argv.join(' '), msg);
    })
    .help()
    .parse();

  if (args.list) {
    for (const exp of EXPERIMENTS.values()) console.log(`${exp.id.padEnd(18)} ${exp.question}`);
    return;
  }
  if (args.describe !== undefined) {
    const exp = findExperiment(args.describe);
    const extra = parseSetFlags(args.set);
    const arms = exp.arms.map((arm) => ({ arm: arm.name, labels: arm.labels ?? {}, config: resolveSimConfig(armConfig(exp, arm, exp.seeds[0]!, extra)) }));
    console.log(JSON.stringify({ id: exp.id, question: exp.question, expect: exp.expect, seeds: exp.seeds, targetLoss: exp.targetLoss ?? null, arms }, null, 2));
    return;
  }
  if (args.id === undefined) throw new ConfigError('experiment', undefined, 'is required: npm run experiment <id> (see --list)');
  const exp = findExperiment(args.id);
  if (args.backend === 'sim') {
    for (const flag of ['rpc', 'store', 's3-endpoint', 'block-ms', 'round-blocks'] as const) {
      if (args[flag] !== undefined) throw new ConfigError(`--${flag}`, args[flag], 'is a cluster option: add --backend cluster');
    }
  }
  if (!Number.isSafeInteger(args.jobs) || args.jobs < 1) throw new ConfigError('--jobs', args.jobs, 'must be an integer ≥ 1');
  const extra = { ...(args.tiny ? exp.tiny : {}), ...parseSetFlags(args.set) };
  const seeds = parseSeeds(args.seeds) ?? [...exp.seeds];
  const tasks = planRuns(exp, seeds, extra); // validates every arm before anything runs
  const outDir = args.out ?? defaultOutDir(exp.id);
  console.error(`${exp.id}: ${exp.arms.length} arm(s) × ${seeds.length} seed(s), ${args.jobs} job(s) → ${outDir}`);
  const progress = createProgress(tasks);
  const outcomes = args.backend === 'cluster'
    ? await runClusterTasks(tasks, {
      outDir,
      ...(args.rpc !== undefined ? { rpcUrl: args.rpc } : {}),
      ...(args.store !== undefined ? { storeUrl: args.store } : {}),
      ...(args['s3-endpoint'] !== undefined ? { s3Endpoint: args['s3-endpoint'] } : {}),
      ...(args['block-ms'] !== undefined ? { blockTimeMs: args['block-ms'] } : {}),
      ...(args['round-blocks'] !== undefined ? { roundLength: args['round-blocks'] } : {}),
      onRow: (task, row) => progress.update({ task, row }),
    })
    : await runTasks(tasks, args.jobs, (e) => progress.update(e));
  progress.finish();
  const rows = metricRows(exp.id, outcomes);
  const written = await writeResults({ outDir, experiment: exp, tasks, rows, overrides: extra, sweep: SWEEPS.get(exp.id), ranOn: ranOn(outcomes) });
  console.log(`\n${summaryMarkdown(written.summary)}\n`);
  console.log(`results: ${outDir} (metrics.jsonl, metrics.csv, summary.md, plots/, report.html)`);
}

if (process.argv[1]?.endsWith('cli.ts')) {
  main(hideBin(process.argv)).catch((error: unknown) => {
    if (error instanceof SparseLocoError) console.error(`error: ${error.message}`);
    else console.error(error);
    process.exitCode = 2;
  });
}
