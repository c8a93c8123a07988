/**
 * `<workDir>/run.json`: what an orchestrator needs to take over a run whose orchestrator died —
 * the config's hash, where the chain node listened and keeps its chain, the store, the
 * Coordinator, the clock's settings and when round 0 opened. Written once the plan is in the
 * store (before that a run has nothing to resume: it is started afresh), atomically (temp +
 * rename). `--resume DIR` (experiments/cli.ts) reads it back.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { fnv1a } from '../core/hash.ts';
import type { SimConfig } from '../sim/config.ts';
import type { CoordinatorReader } from '../chain/types.ts';
import { chainRoundOf } from './plan.ts';
import type { ClusterPlan } from './plan.ts';

const VERSION = 1;

/** The record of one run (JSON). */
export interface RunRecord {
  readonly version: number;
  /** fnv1a of the resolved config's JSON: a resume with another config is refused. */
  readonly configHash: string;
  /** The chain node this orchestrator ran (null: an external `rpcUrl`). */
  readonly chainNode: { readonly host: string; readonly port: number; readonly dbDir: string } | null;
  readonly rpcUrl: string;
  readonly storeUrl: string;
  readonly s3Endpoint: string | null;
  readonly coordinator: string;
  readonly mnemonic: string;
  readonly blockTimeMs: number;
  readonly roundLength: number;
  readonly checkpointEvery: number;
  /** Wall ms (epoch) when round 0's window opened. */
  readonly startedAtMs: number;
}

/** The record's path in a run's folder. */
export function runRecordPath(workDir: string): string {
  return join(workDir, 'run.json');
}

/** The hash a record keeps of `cfg`. */
export function configHashOf(cfg: SimConfig): string {
  return fnv1a(new TextEncoder().encode(JSON.stringify(cfg)));
}

/** Writes the record atomically. */
export function writeRunRecord(workDir: string, record: Omit<RunRecord, 'version'>): void {
  const path = runRecordPath(workDir);
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ version: VERSION, ...record }, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** The record in `workDir`, or null when the run never got as far as its plan. */
export function readRunRecord(workDir: string): RunRecord | null {
  let text: string;
  try {
    text = readFileSync(runRecordPath(workDir), 'utf8');
  } catch {
    return null;
  }
  const record = JSON.parse(text) as RunRecord;
  if (record.version !== VERSION) throw new ConfigError(runRecordPath(workDir), record.version, `must be run record version ${VERSION}`);
  return record;
}

/**
 * Throws unless `record` is a run of `cfg`.
 * @throws {ConfigError} naming the record, when the config's hash differs.
 */
export function assertSameRun(record: RunRecord, cfg: SimConfig, workDir: string): void {
  const hash = configHashOf(cfg);
  if (record.configHash !== hash) {
    throw new ConfigError(`--resume ${workDir}`, record.configHash, `must be a run of this config (its hash is ${hash}): the folder holds another experiment, arm, seed or --set`);
  }
}

/**
 * The first logical round of `plan` not yet finalised on chain (`plan.rounds` when all are): where
 * a resumed run goes on.
 */
export async function firstOpenRound(chain: Pick<CoordinatorReader, 'isFinalised'>, plan: ClusterPlan): Promise<number> {
  let round = 0;
  while (round < plan.rounds && (await chain.isFinalised({ round: chainRoundOf(plan, round) }))) round++;
  return round;
}
