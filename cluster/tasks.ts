/**
 * Experiment runs on the cluster: each (arm, seed) of an experiment, one after another (a cluster
 * uses the whole host), each with its own chain deployment and its own store folder under the
 * results folder (`<outDir>/cluster/<arm>-seed<seed>/store`, kept for inspection) unless a store
 * URL is given. Results come back in the simulator's shape, so `metricRows` and `writeResults`
 * treat them like simulator runs.
 */
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { SimConfigInput } from '../sim/config.ts';
import type { SimRoundRow } from '../sim/metrics.ts';
import { parseStoreLocation } from '../backends/store/index.ts';
import { runCluster } from './orchestrator.ts';
import type { ClusterEvent, ClusterOptions, ClusterResult } from './orchestrator.ts';

/** One run to do (the fields of the runner's RunTask that the cluster needs). */
export interface ClusterTask {
  readonly arm: string;
  readonly seed: number;
  readonly config: SimConfigInput;
}

/** Options of {@link runClusterTasks}: cluster options plus where the stores go. */
export interface ClusterTasksOptions<T extends ClusterTask = ClusterTask> extends Omit<ClusterOptions, 'storeUrl' | 'workDir' | 'onEvent'> {
  /** Results folder; each run's store goes under `<outDir>/cluster/`. */
  readonly outDir: string;
  /** A store URL for all runs: a folder gets one sub-folder per run; s3:// only with one run. */
  readonly storeUrl?: string;
  /** Called with each run's rows once it has finished. */
  readonly onRow?: (task: T, row: SimRoundRow) => void;
  /** Called with what each run's orchestrator sees while it goes (orchestrator.ts `ClusterEvent`). */
  readonly onEvent?: (task: T, event: ClusterEvent) => void;
}

/**
 * Runs the tasks serially on the cluster.
 * @throws {ConfigError} for an s3:// store with more than one run (a bucket holds one run).
 */
export async function runClusterTasks<T extends ClusterTask>(tasks: readonly T[], options: ClusterTasksOptions<T>): Promise<{ task: T; result: ClusterResult }[]> {
  const { outDir, storeUrl, onRow, onEvent, ...cluster } = options;
  if (storeUrl !== undefined && parseStoreLocation(storeUrl).kind === 's3' && tasks.length > 1) {
    throw new ConfigError('--store', storeUrl, `holds one run, but this experiment has ${tasks.length} (arms × seeds): pick one with --seeds and --set, or use a folder store`);
  }
  const outcomes: { task: T; result: ClusterResult }[] = [];
  for (const task of tasks) {
    const name = `${task.arm}-seed${task.seed}`;
    const workDir = join(outDir, 'cluster', name);
    const location = storeUrl === undefined ? null : parseStoreLocation(storeUrl);
    const url = location === null ? join(workDir, 'store') : location.kind === 's3' ? storeUrl! : join(location.rootDir, name);
    const result = await runCluster(task.config, { ...cluster, workDir, storeUrl: url, ...(onEvent === undefined ? {} : { onEvent: (e: ClusterEvent) => onEvent(task, e) }) });
    for (const row of result.rows) onRow?.(task, row);
    outcomes.push({ task, result });
  }
  return outcomes;
}
