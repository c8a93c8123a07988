/**
 * Experiments are typed data: an id, the question it answers, what we expect, a base simulator
 * config, arms (named overrides of that config) and seeds. `defineExperiment` validates the
 * definition once and freezes it; every arm's config is resolved through `resolveSimConfig`, so a
 * bad definition fails at import time, not halfway through a run.
 *
 * @example
 * export default defineExperiment({
 *   id: 'churn-30pct',
 *   question: 'Does 30% per-round dropout hurt convergence?',
 *   expect: 'Final held-out loss within a few percent of the no-churn arm.',
 *   base: { ... },
 *   arms: [{ name: 'no churn', set: {} }, { name: '30% dropout', set: { 'churn.availability': { kind: 'bernoulli', dropout: 0.3 } } }],
 *   seeds: [1, 2, 3],
 * });
 */
import { assertInvariant, ConfigError } from '../core/errors.ts';
import { deepFreeze } from '../core/freeze.ts';
import { resolveSimConfig } from '../sim/config.ts';
import type { SimConfigInput } from '../sim/config.ts';
import { overridesPerArm } from './arm-overrides.ts';
import { resolveFileInputs } from './inputs.ts';
import { applyOverrides } from './overrides.ts';
import type { Overrides } from './overrides.ts';
import type { Figure } from './plots.ts';
import type { MetricRow } from './runner.ts';

/** Values attached to every metric row of an arm, for grouping and sweep axes (e.g. uplink Mbit/s). */
export type ArmLabels = Readonly<Record<string, string | number | boolean>>;

export interface ArmDefinition {
  /** Unique within the experiment; shown in tables and legends. */
  readonly name: string;
  /** Dotted-path overrides of the base config (`'churn.availability'`, `'optim.topK'`, ...). */
  readonly set: Overrides;
  readonly labels?: ArmLabels;
}

export interface ExperimentDefinition {
  /** Kebab-case id used on the command line. */
  readonly id: string;
  /** The one-line question the experiment answers. */
  readonly question: string;
  /** What the literature or our hypothesis predicts, stated before running. */
  readonly expect: string;
  /** Simulator config shared by every arm; its `seed` is replaced per run. */
  readonly base: Omit<SimConfigInput, 'seed'>;
  readonly arms: readonly ArmDefinition[];
  readonly seeds: readonly number[];
  /** Overrides that shrink the experiment for tests (`--tiny`): fewer peers and rounds. */
  readonly tiny: Overrides;
  /** Held-out loss that counts as "reached" for time-to-target figures (optional). */
  readonly targetLoss?: number;
  /** Extra Markdown tables built from the rows (pure), written after the summary table. */
  readonly tables?: readonly ExperimentTable[];
  /** False leaves out the standard loss figures (loss vs rounds, bytes, time; arms side by side): for experiments whose question is not the loss. Default true. */
  readonly lossFigures?: boolean;
  /** Extra figures built from the rows (pure), rendered after the standard ones. */
  readonly figures?: (rows: readonly MetricRow[]) => readonly Figure[];
}

/** A Markdown table an experiment adds to its summary (e.g. the byzantine defence × attack grid). */
export interface ExperimentTable {
  readonly title: string;
  readonly build: (rows: readonly MetricRow[]) => string;
}

export type Experiment = Readonly<ExperimentDefinition>;

const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Validates and freezes an experiment definition; each arm's config must resolve. */
export function defineExperiment(def: ExperimentDefinition): Experiment {
  if (!ID_PATTERN.test(def.id)) throw new ConfigError('experiment id', def.id, 'must be kebab-case (a-z, 0-9, dashes)');
  if (!def.question.trim()) throw new ConfigError(`${def.id}.question`, def.question, 'must not be empty');
  if (!def.expect.trim()) throw new ConfigError(`${def.id}.expect`, def.expect, 'must not be empty');
  if (def.arms.length === 0) throw new ConfigError(`${def.id}.arms`, def.arms.length, 'must hold at least one arm');
  const names = new Set<string>();
  for (const arm of def.arms) {
    if (names.has(arm.name)) throw new ConfigError(`${def.id}.arms`, arm.name, 'must have unique names');
    names.add(arm.name);
  }
  if (def.seeds.length === 0 || !def.seeds.every((s) => Number.isSafeInteger(s))) {
    throw new ConfigError(`${def.id}.seeds`, def.seeds, 'must be a non-empty list of integers');
  }
  for (const arm of def.arms) armConfig(def, arm, def.seeds[0]!, {});
  armConfig(def, def.arms[0]!, def.seeds[0]!, def.tiny);
  return deepFreeze({ ...def });
}

/**
 * The simulator input of one (arm, seed), with extra overrides (CLI `--set`, `--tiny`) applied
 * last: only those that reach this arm, and never one that changes what the arms vary
 * (`overridesPerArm` in arm-overrides.ts states both rules).
 */
export function armConfig(exp: ExperimentDefinition, arm: ArmDefinition, seed: number, extra: Overrides): SimConfigInput {
  const index = exp.arms.indexOf(arm);
  assertInvariant(index >= 0, `arm "${arm.name}" is not an arm of ${exp.id}`);
  const reaching = overridesPerArm(exp, extra)[index]!;
  const withArm = applyOverrides({ ...exp.base, seed } as unknown as Record<string, unknown>, arm.set, `${exp.id}/${arm.name}`);
  const config = resolveFileInputs(applyOverrides(withArm, reaching, '--set')) as unknown as SimConfigInput;
  resolveSimConfig(config); // throws a ConfigError naming the key
  return config;
}
