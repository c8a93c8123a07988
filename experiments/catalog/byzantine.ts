/**
 * `byzantine`: attacker fraction × attack × defence on a small SparseLoCo run (10 peers, 30 rounds,
 * H = 5, three seeds: a finding stands only where a gap is larger than the seed spread). Every attack group
 * is drawn from the initial peers (sim/adversaries.ts); 10 % of 10 peers is one attacker.
 *
 * Grid: a clean arm (0 %) per defence, then every (attack, fraction) for fractions 10, 30 and 50 %
 * and every defence; every arm gathers 6 + 2 reserves of the 10 peers. Labels: attack, fraction, defence — `byzantineTable` (byzantine-table.ts) turns
 * the rows into the Markdown table (final loss / clean loss, NaN marks, Gauntlet reward shares).
 */
import type { AttackConfig } from '../../sim/adversaries.ts';
import type { DefenceConfig } from '../../core/defence/config.ts';
import { defineExperiment } from '../define.ts';
import type { ArmDefinition } from '../define.ts';
import { byzantineTable } from './byzantine-table.ts';
import { BASE, SEEDS_3, TINY } from './common.ts';

/** The attacks swept (a representative set of sim/adversaries.ts), by table name. */
export const BYZANTINE_ATTACKS: ReadonlyArray<readonly [string, AttackConfig]> = [
  ['sign-flip', { kind: 'sign-flip' }],
  ['scale×100', { kind: 'scale', factor: 100 }],
  ['noise σ=10', { kind: 'noise', sigma: 10 }],
  ['nan', { kind: 'nan' }],
  ['malformed', { kind: 'malformed', fault: 'duplicate-index' }],
  ['free-rider', { kind: 'free-rider' }],
  ['copycat', { kind: 'copycat' }],
  ['data-poison', { kind: 'data-poison' }],
  ['colluding', { kind: 'colluding', scale: 10 }],
];

/**
 * The defences compared, by table name. Centered clipping's τ = 0.5 is about the median L2 norm of
 * an honest dense update in this setup (measured 0.3–0.6); Krum assumes f = 3 of 10 (clamped per
 * round) and averages the m = 5 best (multi-Krum).
 */
export const BYZANTINE_DEFENCES: ReadonlyArray<readonly [string, DefenceConfig]> = [
  ['none', { kind: 'none' }],
  ['median', { kind: 'robust', aggregator: { kind: 'median' } }],
  ['trimmed-mean', { kind: 'robust', aggregator: { kind: 'trimmed-mean', beta: 0.2 } }],
  ['centered-clip', { kind: 'robust', aggregator: { kind: 'centered-clip', tau: 0.5, iterations: 3 } }],
  ['krum', { kind: 'robust', aggregator: { kind: 'krum', f: 3, m: 5 } }],
  ['gauntlet', { kind: 'gauntlet' }],
  ['gauntlet-oracle', { kind: 'gauntlet-oracle' }],
];

export const BYZANTINE_FRACTIONS = [0.1, 0.3, 0.5] as const;

function arms(): ArmDefinition[] {
  const out: ArmDefinition[] = [];
  for (const [defence, config] of BYZANTINE_DEFENCES) {
    out.push({ name: `clean / ${defence}`, set: { defence: config }, labels: { attack: 'clean', fraction: 0, defence } });
  }
  for (const [attack, attackConfig] of BYZANTINE_ATTACKS) {
    for (const fraction of BYZANTINE_FRACTIONS) {
      for (const [defence, config] of BYZANTINE_DEFENCES) {
        out.push({
          name: `${attack} ${Math.round(fraction * 100)}% / ${defence}`,
          set: { defence: config, adversaries: [{ attack: attackConfig, fraction }] },
          labels: { attack, fraction, defence },
        });
      }
    }
  }
  return out;
}

export default defineExperiment({
  id: 'byzantine',
  question: 'How much do Byzantine peers (0–50 %, nine attacks) hurt SparseLoCo, and which defence (none, median, trimmed mean, centered clipping, Krum, Gauntlet with its real lag, Gauntlet as a same-round oracle) keeps the final loss near the clean run?',
  expect: "SparseLoCo's own median-norm clipping absorbs scaled updates and its strict decoder drops NaN and malformed payloads; sign-flip and colluding groups degrade the loss with no defence; coordinate-wise rules suffer on sparse top-k updates; Gauntlet stays within a few percent of clean up to 30 % and pays free-riders and copycats almost nothing.",
  // adversaries and defence are in the base so arms may override them (overrides need the key).
  // gather 6 + 2 reserves of 10 peers: the published list must be shorter than the network for the
  // lagged validator's scores to leave anyone off it (templar: ~20 listed of 70+; SPEC.md §4).
  base: { ...BASE, peers: 10, rounds: 30, innerSteps: 5, adversaries: [], defence: { kind: 'none' }, gather: { peers: 6, reserves: 2 } },
  arms: arms(),
  seeds: [...SEEDS_3],
  tiny: { ...TINY, rounds: 1, innerSteps: 1 },
  tables: [
    { title: 'Final loss ÷ clean run without defence (NaN marks, Gauntlet: attackers\' reward share)', build: (rows) => byzantineTable(rows, 'none') },
    { title: 'Final loss ÷ the same defence\'s own clean run', build: (rows) => byzantineTable(rows, 'own') },
  ],
});
