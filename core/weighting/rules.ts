/**
 * Aggregation weighting rules behind one interface (issue 17): given what is known about each
 * peer whose message enters this round's aggregate, a weight per peer (≥ 0, summing to 1) for
 * the weighted sparse mean (core/sparseloco/aggregate.ts). The simulator calls it at every round
 * close (sim/weighting.ts); a cluster validator gathers the same evidence and calls the same rule.
 *
 *   'uniform'     1/R each: today's aggregate, bit for bit;
 *   'gauntlet'    ∝ the peer's latest Gauntlet weight (the lagged validator's power-normalised
 *                 scores, sim/validator.ts); a peer it has not scored yet has merit 0;
 *   'loss-delta'  ∝ max(0, L(θ) − L(θ − α·Δ_i)) on the validator's own clean batch: how much the
 *                 peer's update alone improves a loss the validator trusts;
 *   'trust'       a per-peer trust t_i, updated every round it sends a message as
 *                 t_i ← decay·t_i + (1 − decay)·max(0, cos(Δ_i, ref)) (./cosine.ts), starting
 *                 at 1; weights ∝ t_i. `reference: 'aggregate'` (default): ref = the mean Δ, the
 *                 consensus; `'validator'`: ref = the validator's own update on its clean batch
 *                 (FLTrust's root update, Cao et al. NDSS 2021), given per round. A peer whose
 *                 updates point away from the reference loses weight over a few rounds.
 * Every adaptive rule raises its merit to `power` (≥ 1 sharpens) and normalises with
 * ./normalise.ts (no positive merit ⇒ uniform).
 *
 * @example
 * const rule = createWeightingRule({ rule: 'trust', decay: 0.8 });
 * const w = rule.weigh([{ uid: 0, update: d0, gauntletWeight: null, lossDelta: null }, …]); // Map uid → weight
 */
import { ConfigError } from '../errors.ts';
import { cosineTo, cosineToMean } from './cosine.ts';
import { normaliseMerits } from './normalise.ts';

export type WeightingKind = 'uniform' | 'gauntlet' | 'loss-delta' | 'trust';

export const WEIGHTING_KINDS: readonly WeightingKind[] = Object.freeze(['uniform', 'gauntlet', 'loss-delta', 'trust']);

/** What a config names; fields left out take {@link WEIGHTING_DEFAULTS}. */
export type WeightingSpec =
  | { readonly rule: 'uniform' }
  | { readonly rule: 'gauntlet'; readonly power?: number }
  | { readonly rule: 'loss-delta'; readonly power?: number }
  | { readonly rule: 'trust'; readonly decay?: number; readonly power?: number; readonly reference?: TrustReference };

/** What the trust rule's cosine is taken against. */
export type TrustReference = 'aggregate' | 'validator';

/** A spec with every field filled in. */
export type ResolvedWeightingSpec =
  | { readonly rule: 'uniform' }
  | { readonly rule: 'gauntlet'; readonly power: number }
  | { readonly rule: 'loss-delta'; readonly power: number }
  | { readonly rule: 'trust'; readonly decay: number; readonly power: number; readonly reference: TrustReference };

export const WEIGHTING_DEFAULTS = Object.freeze({ power: 1, decay: 0.8, reference: 'aggregate' as TrustReference });

/** What the caller knows about the round as a whole. */
export interface RoundEvidence {
  /** The validator's own update on its clean batch, dense (trust with reference 'validator'); else null. */
  readonly reference: Float32Array | null;
}

/** What the caller knows about one peer of the round. */
export interface PeerEvidence {
  readonly uid: number;
  /** The peer's update as received, dense in layout order (read by 'trust'). */
  readonly update: Float32Array;
  /** The peer's latest Gauntlet weight; null when the validator has not scored it ('gauntlet'). */
  readonly gauntletWeight: number | null;
  /** L(θ) − L(θ − α·update) on the validator's clean batch; null when not measured ('loss-delta'). */
  readonly lossDelta: number | null;
}

/** One rule; stateful only for 'trust' (its per-peer trust, kept across rounds by uid). */
export interface WeightingRule {
  readonly spec: ResolvedWeightingSpec;
  /** Evidence the rule reads, so the caller measures only that. */
  readonly needs: { readonly lossDelta: boolean; readonly gauntletWeight: boolean; readonly update: boolean; readonly reference: boolean };
  /** Weights by uid (ascending), ≥ 0, summing to 1. MUTATES the rule's state ('trust'). */
  weigh(evidence: readonly PeerEvidence[], round?: RoundEvidence): Map<number, number>;
}

/** Fills defaults and validates; throws {@link ConfigError} naming the field. */
export function resolveWeightingSpec(spec: WeightingSpec, key = 'weighting'): ResolvedWeightingSpec {
  if (typeof spec !== 'object' || spec === null) throw new ConfigError(key, spec, `must be { rule: ${WEIGHTING_KINDS.join(' | ')}, … }`);
  const fields = spec as { rule: unknown; power?: unknown; decay?: unknown };
  const allowed = fields.rule === 'uniform' ? ['rule'] : fields.rule === 'trust' ? ['rule', 'power', 'decay', 'reference'] : ['rule', 'power'];
  for (const k of Object.keys(spec)) if (!allowed.includes(k)) throw new ConfigError(`${key}.${k}`, (spec as unknown as Record<string, unknown>)[k], `is not a key of weighting rule "${String(fields.rule)}" (expected ${allowed.join(', ')})`);
  if (!(WEIGHTING_KINDS as readonly unknown[]).includes(fields.rule)) throw new ConfigError(`${key}.rule`, fields.rule, `must be one of ${WEIGHTING_KINDS.join(', ')}`);
  if (spec.rule === 'uniform') return Object.freeze({ rule: 'uniform' });
  const power = spec.power ?? WEIGHTING_DEFAULTS.power;
  if (!(typeof power === 'number' && Number.isFinite(power) && power > 0)) throw new ConfigError(`${key}.power`, power, 'must be a finite number > 0');
  if (spec.rule !== 'trust') return Object.freeze({ rule: spec.rule, power });
  const decay = spec.decay ?? WEIGHTING_DEFAULTS.decay;
  if (!(typeof decay === 'number' && decay >= 0 && decay < 1)) throw new ConfigError(`${key}.decay`, decay, 'must be in [0, 1) (share of the old trust kept each round)');
  const reference = spec.reference ?? WEIGHTING_DEFAULTS.reference;
  if (reference !== 'aggregate' && reference !== 'validator') throw new ConfigError(`${key}.reference`, reference, 'must be "aggregate" or "validator"');
  return Object.freeze({ rule: 'trust', decay, power, reference });
}

/** Builds the rule `spec` names (validated by {@link resolveWeightingSpec}). */
export function createWeightingRule(spec: WeightingSpec): WeightingRule {
  const s = resolveWeightingSpec(spec);
  switch (s.rule) {
    case 'uniform':
      return { spec: s, needs: { lossDelta: false, gauntletWeight: false, update: false, reference: false }, weigh: (ev) => normaliseMerits(ev.map((e) => ({ uid: e.uid, merit: 1 }))) };
    case 'gauntlet':
      return { spec: s, needs: { lossDelta: false, gauntletWeight: true, update: false, reference: false }, weigh: (ev) => normaliseMerits(ev.map((e) => ({ uid: e.uid, merit: powered(e.gauntletWeight ?? 0, s.power) }))) };
    case 'loss-delta':
      return {
        spec: s,
        needs: { lossDelta: true, gauntletWeight: false, update: false, reference: false },
        weigh: (ev) => normaliseMerits(ev.map((e) => ({ uid: e.uid, merit: powered(requireLossDelta(e), s.power) }))),
      };
    case 'trust':
      return createTrustRule(s);
  }
}

function createTrustRule(s: Extract<ResolvedWeightingSpec, { rule: 'trust' }>): WeightingRule {
  const trust = new Map<number, number>(); // uid → t_i in [0, 1]
  return {
    spec: s,
    needs: { lossDelta: false, gauntletWeight: false, update: true, reference: s.reference === 'validator' },
    weigh(ev, round) {
      let cos: Map<number, number>;
      if (s.reference === 'aggregate') cos = cosineToMean(ev);
      else if (round?.reference == null) throw new ConfigError('weighting evidence reference', null, 'must be the validator\'s update (trust rule with reference "validator")');
      else cos = cosineTo(ev, round.reference);
      for (const e of ev) {
        const c = cos.get(e.uid)!;
        const t = trust.get(e.uid) ?? 1;
        trust.set(e.uid, s.decay * t + (1 - s.decay) * (Number.isFinite(c) && c > 0 ? c : 0));
      }
      return normaliseMerits(ev.map((e) => ({ uid: e.uid, merit: powered(trust.get(e.uid)!, s.power) })));
    },
  };
}

/** max(m, 0)^power; non-finite stays non-finite (normaliseMerits counts it as 0). */
function powered(m: number, power: number): number {
  return m > 0 ? m ** power : Number.isFinite(m) ? 0 : m;
}

function requireLossDelta(e: PeerEvidence): number {
  if (e.lossDelta === null) throw new ConfigError('weighting evidence lossDelta', null, `must be measured for peer ${e.uid} (rule "loss-delta")`);
  return e.lossDelta;
}
