/**
 * `data-quality` (issue 17): a fraction of honest peers (0 … 60 %) trains on low-quality data —
 * label noise, near-duplicate shards, short shards or a shifted (feature-permuted) domain
 * (sim/data-quality.ts) — and the aggregate weights peers by one of five rules (core/weighting):
 * uniform (today), Gauntlet-score-proportional (the lagged validator's weights), loss-delta on the
 * validator's clean batch, cosine trust against the aggregate, and cosine trust against the
 * validator's own clean update (FLTrust). 10 peers × 30 rounds, H = 5, three seeds. Measured: final
 * held-out loss on clean data, rounds to the target loss, weight mass to low-quality peers.
 */
import type { WeightingConfigInput } from '../../sim/weighting.ts';
import type { DataQualityConfigInput } from '../../sim/data-quality.ts';
import type { DefenceConfig } from '../../core/defence/config.ts';
import { defineExperiment } from '../define.ts';
import type { ArmDefinition } from '../define.ts';
import { finalLossVs } from '../plots.ts';
import type { Figure } from '../plots.ts';
import type { MetricRow } from '../runner.ts';
import { BASE, SEEDS_3, TINY } from './common.ts';
import { dataQualityTable } from './data-quality-table.ts';

export const DATA_QUALITY_KINDS_SWEPT = ['label-noise', 'duplicates', 'short', 'shifted'] as const;
export const DATA_QUALITY_FRACTIONS = [0.1, 0.3, 0.6] as const;

/** The rules compared, by table name; only 'gauntlet' needs the lagged validator (defence 'gauntlet'). */
export const WEIGHTING_RULES: ReadonlyArray<readonly [string, WeightingConfigInput]> = [
  ['uniform', { rule: 'uniform' }],
  ['gauntlet', { rule: 'gauntlet' }],
  ['loss-delta', { rule: 'loss-delta' }],
  ['trust', { rule: 'trust' }],
  ['fltrust', { rule: 'trust', reference: 'validator' }],
];

/** Held-out loss counted as reached (the clean uniform run gets to ≈ 0.87 by round 30). */
export const DATA_QUALITY_TARGET = 0.95;

/**
 * 'gauntlet' runs the lagged validator beside the round; the others run defence 'none', whose
 * aggregate is the same communicator apply (the validator changes no peer's training, only costs time).
 */
function defenceFor(w: WeightingConfigInput): DefenceConfig {
  return w.rule === 'gauntlet' ? { kind: 'gauntlet' } : { kind: 'none' };
}

function arms(): ArmDefinition[] {
  const out: ArmDefinition[] = [];
  for (const [rule, weighting] of WEIGHTING_RULES) {
    out.push({ name: `clean / ${rule}`, set: { weighting, defence: defenceFor(weighting) }, labels: { kind: 'clean', fraction: 0, rule } });
  }
  for (const kind of DATA_QUALITY_KINDS_SWEPT) {
    for (const fraction of DATA_QUALITY_FRACTIONS) {
      const dataQuality = { kind, fraction } as DataQualityConfigInput;
      for (const [rule, weighting] of WEIGHTING_RULES) {
        out.push({ name: `${kind} ${Math.round(fraction * 100)}% / ${rule}`, set: { dataQuality, weighting, defence: defenceFor(weighting) }, labels: { kind, fraction, rule } });
      }
    }
  }
  return out;
}

/**
 * Final loss vs share of low-quality peers, one line per rule, one panel per kind (one point per
 * arm × seed, averaged by vega-lite); the all-clean uniform mean is the dashed reference line.
 */
function figures(rows: readonly MetricRow[]): Figure[] {
  const fig = finalLossVs(rows, 'fraction', 'share of low-quality peers', 'rule', false);
  const last = new Map<string, MetricRow>();
  for (const r of rows) if ((last.get(`${r.arm}\u0000${r.seed}`)?.round ?? -1) < r.round) last.set(`${r.arm}\u0000${r.seed}`, r);
  const runs = [...last.values()];
  const values = runs.filter((r) => r.kind !== 'clean').map((r) => ({ x: Number(r.fraction), group: String(r.rule), kind: String(r.kind), loss: r.heldoutLoss }));
  const clean = runs.filter((r) => r.kind === 'clean' && r.rule === 'uniform').map((r) => r.heldoutLoss);
  const cleanMean = clean.length === 0 ? null : clean.reduce((a, b) => a + b, 0) / clean.length;
  const layer = (fig.spec as { layer: object[] }).layer;
  const spec = {
    $schema: (fig.spec as { $schema: string }).$schema,
    title: 'Final held-out loss vs share of low-quality peers, per weighting rule (dashed: all-clean uniform)',
    data: { values: [...values, ...runs.filter((r) => r.kind === 'clean').map((r) => ({ x: 0, group: String(r.rule), kind: 'clean', loss: r.heldoutLoss }))] },
    facet: { field: 'kind', type: 'nominal', title: 'low-quality kind' },
    columns: 2,
    spec: {
      width: 300,
      height: 200,
      transform: (fig.spec as { transform: object[] }).transform,
      encoding: (fig.spec as { encoding: object }).encoding,
      layer: cleanMean === null ? layer : [...layer, { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { y: { datum: cleanMean } } }],
    },
  };
  return [{ ...fig, name: 'final-loss-vs-fraction', title: spec.title, spec: spec as unknown as Figure['spec'] }];
}

export default defineExperiment({
  id: 'data-quality',
  question: 'When a share of honest peers trains on worse data (label noise, duplicates, short or shifted shards), does an adaptive weighting of the aggregate keep the final loss near the all-clean run where uniform averaging does not?',
  expect: 'Uniform averaging loses a few percent at 30 % low-quality peers; rules that judge each update on clean data (loss-delta, FLTrust) give those peers little weight and stay within 2 % of clean; cosine trust against the aggregate cannot tell a consistent low-quality group from the consensus.',
  // dataQuality, weighting and defence are in the base so arms may override them (overrides need the key).
  base: { ...BASE, peers: 10, rounds: 30, innerSteps: 5, defence: { kind: 'none' }, weighting: { rule: 'uniform' }, dataQuality: { kind: 'label-noise', fraction: 0 } },
  arms: arms(),
  seeds: [...SEEDS_3],
  tiny: { ...TINY, rounds: 1, innerSteps: 1 },
  targetLoss: DATA_QUALITY_TARGET,
  tables: [{ title: 'Final held-out loss per low-quality kind × share × weighting rule', build: (rows) => dataQualityTable(rows, DATA_QUALITY_TARGET) }],
  figures,
});
