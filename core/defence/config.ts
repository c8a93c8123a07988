/**
 * The defence a run uses against Byzantine peers — one config for the simulator and the cluster's
 * validator (both run it through `aggregateRound`, aggregate-round.ts):
 *
 *   'none'      the communicator's own `apply` (SparseLoCo's strict decoding, config match,
 *               per-tensor median-norm clipping and sparse mean: read it as "SparseLoCo as is");
 *   'robust'    dense decoding and a robust aggregator (core/robust) with θ ← θ − α·g (robust-step.ts);
 *   'gauntlet'  Gauntlet as it runs: the peers' aggregate is the communicator's own apply, and a
 *               lagged validator (core/gauntlet/window.ts) judges the window later;
 *   'gauntlet-oracle'  the same-round oracle: `validateRound` (core/gauntlet) on every on-time
 *               submission, and only its top-G selection is applied.
 */
import { ConfigError } from '../errors.ts';
import { resolveGauntletConfig } from '../gauntlet/config.ts';
import type { GauntletConfig } from '../gauntlet/config.ts';
import { createRobustAggregator } from '../robust/index.ts';
import type { RobustAggregatorSpec } from '../robust/index.ts';

/** The defence a run uses. */
export type DefenceConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'robust'; readonly aggregator: RobustAggregatorSpec }
  | { readonly kind: 'gauntlet'; readonly gauntlet?: Partial<GauntletConfig> }
  | { readonly kind: 'gauntlet-oracle'; readonly gauntlet?: Partial<GauntletConfig> };

export const NO_DEFENCE: DefenceConfig = Object.freeze({ kind: 'none' });

/** Validates a defence config by building what it names; throws {@link ConfigError}. */
export function validateDefence(d: DefenceConfig, key = 'defence'): void {
  if (typeof d !== 'object' || d === null) throw new ConfigError(key, d, 'must be { kind: "none" | "robust" | "gauntlet" | "gauntlet-oracle", … }');
  switch (d.kind) {
    case 'none':
      return;
    case 'robust':
      createRobustAggregator(d.aggregator);
      return;
    case 'gauntlet':
    case 'gauntlet-oracle':
      resolveGauntletConfig(d.gauntlet ?? {});
      return;
    default:
      throw new ConfigError(`${key}.kind`, (d as { kind: unknown }).kind, 'must be "none", "robust", "gauntlet" or "gauntlet-oracle"');
  }
}

/**
 * Throws unless the defence can judge the run's messages: every defence but 'none' reads
 * SparseLoCo messages (robust decoding, Gauntlet's integrity checks and index overlap).
 *
 * @throws {ConfigError} naming `defence.kind` and the method it needs.
 */
export function assertDefenceFitsMethod(d: DefenceConfig, method: string): void {
  if (d.kind !== 'none' && method !== 'sparseloco') throw new ConfigError('defence.kind', d.kind, `needs optim.method "sparseloco" (got "${method}"); other methods run with defence "none"`);
}

/** The run's Gauntlet config when its defence is either Gauntlet, else null. */
export function gauntletConfigOf(d: DefenceConfig): GauntletConfig | null {
  return d.kind === 'gauntlet' || d.kind === 'gauntlet-oracle' ? resolveGauntletConfig(d.gauntlet ?? {}) : null;
}
