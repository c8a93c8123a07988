/**
 * `npm run experiment <id>`: the front door. Runs an experiment on the simulator (default) or, with
 * `--backend cluster`, on real peer and validator processes with a chain node and an object
 * store (cluster), and writes its results folder.
 *
 *   npm run experiment -- --list
 *   npm run experiment -- --describe churn-30pct
 *   npm run experiment churn-30pct -- --seeds 1,2 --set peers=50 --jobs 2 --out results/mine
 *   npm run experiment baselines -- --set optim.indexCoding=rice   # reaches the arms whose method has the option
 *   npm run experiment byzantine -- --queue redis://10.0.0.5:6379   # tasks run by `npm run worker` hosts
 *   npm run experiment fidelity -- --backend cluster            # 4 peer processes on 127.0.0.1
 *   npm run experiment fidelity -- --backend cluster --rpc http://127.0.0.1:8545 --store s3://run-1 --s3-endpoint http://127.0.0.1:4568
 *   npm run experiment fidelity -- --backend cluster --resume results/fidelity/<ts>   # after its orchestrator died
 *   npm run experiment churn-30pct -- --dashboard               # live charts on 127.0.0.1 (port printed)
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConfigError, SparseLocoError } from '../core/errors.ts';
import { resolveSimConfig } from '../sim/config.ts';
import { EXPERIMENTS } from './catalog/index.ts';
import { SWEEPS } from './catalog/sweeps.ts';
import { armsReached, overridesPerArm } from './arm-overrides.ts';
import { armConfig } from './define.ts';
import type { Experiment } from './define.ts';
import { nearestKey, parseSetFlags } from './overrides.ts';
import type { Overrides } from './overrides.ts';
import { createProgress } from './progress.ts';
import { openLiveDashboard, untilInterrupted } from './dashboard/live.ts';
import { parseDashboardPort } from './dashboard/server.ts';
import { writeResults } from './results.ts';
import { runClusterTasks } from '../cluster/tasks.ts';
import type { ClusterTasksOptions } from '../cluster/tasks.ts';
import { planRuns, runTasks, metricRows, ranOn } from './runner.ts';
import type { ProgressEvent, RunTask } from './runner.ts';
import { parseRedisUrl } from './queue/redis-url.ts';
import type { RedisLocation } from './queue/redis-url.ts';
import { runQueueTasks } from './queue/submit.ts';
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

/** What a command line asks for, parsed, checked and planned but not yet run. */
export type ResolvedCommand =
  | { readonly kind: 'list' }
  | { readonly kind: 'describe'; readonly description: unknown }
  | {
      readonly kind: 'run';
      readonly experiment: Experiment;
      readonly seeds: readonly number[];
      /** `--tiny` and `--set` overrides, as recorded in config.resolved.json. */
      readonly extra: Overrides;
      /** Every (arm, seed) with its validated config. */
      readonly tasks: readonly RunTask[];
      readonly outDir: string;
      readonly backend: (typeof BACKENDS)[number];
      readonly jobs: number;
      /** `--dashboard`: a port (0 = a free one), or null for no dashboard. */
      readonly dashboardPort: number | null;
      /** `--queue`: the Redis server whose workers run the tasks, or null to run them here. */
      readonly queue: RedisLocation | null;
      readonly cluster: Omit<ClusterTasksOptions, 'outDir' | 'onRow' | 'onEvent'>;
      /** Lines for stderr: method options that reach only some arms (rule 1 of arm-overrides.ts). */
      readonly notes: readonly string[];
    };

async function parseArgv(argv: readonly string[]) {
  return yargs([...argv])
    .scriptName('npm run experiment --')
    .usage('$0 <id> [options]')
    .command('$0 [id]', 'run an experiment')
    .positional('id', { type: 'string', describe: 'experiment id (see --list)' })
    .option('list', { type: 'boolean', describe: 'list experiments with their question' })
    .option('describe', { type: 'string', describe: 'print the resolved config of an experiment' })
    .option('set', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'override a config key: --set peers=500 --set optim.indexCoding=rice. An optim.<option> of one method reaches only the arms whose method has it (an error if none has); a key whose value the arms vary (what their names and labels say) is an error',
    })
    .option('seeds', { type: 'string', describe: 'comma-separated seeds (default: the experiment\'s)' })
    .option('out', { type: 'string', describe: 'results folder (default results/<id>/<timestamp>)' })
    .option('backend', { choices: BACKENDS, default: 'sim' as const, describe: 'where peers run' })
    .option('jobs', { type: 'number', default: availableParallelism(), describe: 'parallel runs (worker threads)' })
    .option('queue', { type: 'string', describe: 'run the tasks on `npm run worker` hosts through this Redis (redis://host:6379)' })
    .option('tiny', { type: 'boolean', default: false, describe: 'shrink every arm to a few peers and rounds (smoke test)' })
    .option('rpc', { type: 'string', describe: 'cluster: JSON-RPC URL of an EVM node (default: start a ganache process on 127.0.0.1, its chain on disk)' })
    .option('store', { type: 'string', describe: 'cluster: object store, a folder or s3://bucket (default: under the results folder)' })
    .option('s3-endpoint', { type: 'string', describe: 'cluster: S3-API endpoint for an s3:// store' })
    .option('block-ms', { type: 'number', describe: 'cluster: wall ms per mined block (default 250)' })
    .option('round-blocks', { type: 'number', describe: 'cluster: blocks per round window (default 40)' })
    .option('resume', { type: 'string', describe: 'cluster: continue the runs in this results folder whose orchestrator died (each run\'s chain, Coordinator and store, from its run.json); runs not started there start afresh' })
    .option('dashboard', { type: 'string', describe: 'serve live charts on 127.0.0.1: --dashboard (a free port) or --dashboard PORT' })
    .strict()
    .fail((msg, err) => {
      throw err ?? new ConfigError('command line', argv.join(' '), msg);
    })
    .help()
    .parse();
}

/**
 * Parses and resolves a command line (the words after `npm run experiment`, `--` dropped) without
 * running anything: the experiment exists, every flag is known, every `--set` key is valid for the
 * arms it reaches and every arm's config resolves. A bad command is a ConfigError.
 *
 * @example
 * await resolveCommand(['baselines', '--set', 'optim.indexCoding=rice']); // { kind: 'run', tasks: [15 tasks], ... }
 */
export async function resolveCommand(argv: readonly string[]): Promise<ResolvedCommand> {
  const args = await parseArgv(argv);
  if (args.list) return { kind: 'list' };
  if (args.describe !== undefined) {
    const exp = findExperiment(args.describe);
    const extra = parseSetFlags(args.set);
    const arms = exp.arms.map((arm) => ({ arm: arm.name, labels: arm.labels ?? {}, config: resolveSimConfig(armConfig(exp, arm, exp.seeds[0]!, extra)) }));
    return { kind: 'describe', description: { id: exp.id, question: exp.question, expect: exp.expect, seeds: exp.seeds, targetLoss: exp.targetLoss ?? null, arms } };
  }
  if (args.id === undefined) throw new ConfigError('experiment', undefined, 'is required: npm run experiment <id> (see --list)');
  const exp = findExperiment(args.id);
  if (args.backend === 'sim') {
    for (const flag of ['rpc', 'store', 's3-endpoint', 'block-ms', 'round-blocks'] as const) {
      if (args[flag] !== undefined) throw new ConfigError(`--${flag}`, args[flag], 'is a cluster option: add --backend cluster');
    }
  }
  if (!Number.isSafeInteger(args.jobs) || args.jobs < 1) throw new ConfigError('--jobs', args.jobs, 'must be an integer ≥ 1');
  if (args.resume !== undefined && args.backend !== 'cluster') throw new ConfigError('--resume', args.resume, 'continues a cluster run: add --backend cluster');
  if (args.resume !== undefined && args.out !== undefined && args.out !== args.resume) throw new ConfigError('--out', args.out, `must be left out with --resume (the results go back to ${args.resume})`);
  if (args.queue !== undefined && args.backend !== 'sim') throw new ConfigError('--queue', args.queue, 'runs simulator tasks: it cannot be combined with --backend cluster');
  const queue = args.queue === undefined ? null : parseRedisUrl(args.queue);
  const set = parseSetFlags(args.set);
  const extra = { ...(args.tiny ? exp.tiny : {}), ...set };
  const seeds = parseSeeds(args.seeds) ?? [...exp.seeds];
  const dashboardPort = parseDashboardPort(args.dashboard);
  const tasks = planRuns(exp, seeds, extra); // validates every arm before anything runs
  const perArm = overridesPerArm(exp, extra);
  const notes = Object.keys(set).flatMap((key) => {
    const reached = armsReached(exp, perArm, key);
    return reached.length < exp.arms.length ? [`--set ${key} reaches ${reached.length} of ${exp.arms.length} arms (${reached.join(', ')}): the other arms' methods have no such option`] : [];
  });
  return {
    kind: 'run',
    experiment: exp,
    seeds,
    extra,
    tasks,
    outDir: args.resume ?? args.out ?? defaultOutDir(exp.id),
    backend: args.backend,
    jobs: args.jobs,
    dashboardPort,
    queue,
    cluster: {
      ...(args.rpc !== undefined ? { rpcUrl: args.rpc } : {}),
      ...(args.store !== undefined ? { storeUrl: args.store } : {}),
      ...(args['s3-endpoint'] !== undefined ? { s3Endpoint: args['s3-endpoint'] } : {}),
      ...(args['block-ms'] !== undefined ? { blockTimeMs: args['block-ms'] } : {}),
      ...(args['round-blocks'] !== undefined ? { roundLength: args['round-blocks'] } : {}),
      ...(args.resume !== undefined ? { resume: true } : {}),
    },
    notes,
  };
}

export async function main(argv: string[]): Promise<void> {
  const command = await resolveCommand(argv);
  if (command.kind === 'list') {
    for (const exp of EXPERIMENTS.values()) console.log(`${exp.id.padEnd(18)} ${exp.question}`);
    return;
  }
  if (command.kind === 'describe') {
    console.log(JSON.stringify(command.description, null, 2));
    return;
  }
  const { experiment: exp, tasks, outDir } = command;
  for (const note of command.notes) console.error(note);
  const where = command.queue !== null ? `workers on ${command.queue.display}` : command.backend === 'cluster' ? 'the cluster' : `${command.jobs} job(s)`;
  console.error(`${exp.id}: ${exp.arms.length} arm(s) × ${command.seeds.length} seed(s), ${where} → ${outDir}`);
  const dashboard = command.dashboardPort === null ? null : await openLiveDashboard({ experiment: exp, backend: command.backend, tasks, outDir, port: command.dashboardPort });
  if (dashboard !== null) console.error(`dashboard: ${dashboard.server.url}`);
  const progress = createProgress(tasks);
  // Every executor reports each finished round here: the progress bar and the live page.
  const onProgress = (event: ProgressEvent): void => {
    progress.update(event);
    dashboard?.onProgress(event);
  };
  const outcomes = await (command.backend === 'cluster'
    ? runClusterTasks(tasks, {
      outDir,
      ...command.cluster,
      onRow: (task, row) => onProgress({ task, row }),
      ...(dashboard === null ? {} : { onEvent: dashboard.onClusterEvent }),
    })
    : command.queue !== null
      ? runQueueTasks(tasks, { location: command.queue, experiment: exp.id, log: (line) => console.error(line) }, onProgress)
      : runTasks(tasks, command.jobs, onProgress)).catch(async (error: unknown) => {
    dashboard?.fail(error);
    await dashboard?.server.close();
    throw error;
  });
  progress.finish();
  const rows = metricRows(exp.id, outcomes);
  const written = await writeResults({ outDir, experiment: exp, tasks, rows, overrides: command.extra, sweep: SWEEPS.get(exp.id), ranOn: ranOn(outcomes) });
  console.log(`\n${summaryMarkdown(written.summary)}\n`);
  console.log(`results: ${outDir} (metrics.jsonl, metrics.csv, summary.md, plots/, report.html)`);
  if (dashboard !== null) {
    dashboard.finish(rows);
    console.error(`dashboard: ${dashboard.server.url} shows the finished run; Ctrl-C to stop (later: npm run dashboard -- ${outDir})`);
    await untilInterrupted();
    await dashboard.server.close();
  }
}

if (process.argv[1]?.endsWith('cli.ts')) {
  main(hideBin(process.argv)).catch((error: unknown) => {
    if (error instanceof SparseLocoError) console.error(`error: ${error.message}`);
    else console.error(error);
    process.exitCode = 2;
  });
}
