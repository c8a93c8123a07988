/**
 * The robust outer step (defence 'robust'): every message decoded dense (decode-dense.ts; refusals
 * keep their typed reason), the rest through a robust aggregator (core/robust), then
 * θ ← θ − α·g with α = the SparseLoCo outer learning rate, in float32. Krum's f is clamped to
 * ⌊(n − 3)/2⌋ for the round's n decoded updates, so rejections do not stall it; with fewer than 3
 * updates Krum has no answer and the round is skipped (every update counted 'robust:<reason>').
 */
import type { PeerMessage } from '../baselines/index.ts';
import type { ParamLayout } from '../layout.ts';
import { createRobustAggregator, RobustAggregateError } from '../robust/index.ts';
import type { RobustAggregatorSpec, RobustUpdate } from '../robust/index.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import { decodeDense } from './decode-dense.ts';
import type { RoundFailure } from './reasons.ts';

/** What the robust step did. */
export interface RobustStepResult {
  readonly applied: boolean;
  /** Uids aggregated, ascending. */
  readonly contributors: readonly number[];
  /** One rejection per refused message, in message order (then Krum's refusals). */
  readonly rejections: readonly RoundFailure[];
}

/** Applies `messages` to `params` through the robust aggregator `spec`. MUTATES params. */
export function robustOuterStep(params: Float32Array, spec: RobustAggregatorSpec, messages: readonly PeerMessage[], layout: ParamLayout, cfg: SparseLocoConfig): RobustStepResult {
  const rejections: RoundFailure[] = [];
  const updates: RobustUpdate[] = [];
  for (const m of messages) {
    const dense = decodeDense(m.bytes, layout, cfg);
    if (typeof dense === 'string') rejections.push({ uid: m.peerUid, reason: dense });
    else updates.push({ uid: m.peerUid, vector: dense });
  }
  if (updates.length === 0) return { applied: false, contributors: [], rejections };
  const n = updates.length;
  const clamped = spec.kind === 'krum' ? { ...spec, f: Math.max(0, Math.min(spec.f, Math.floor((n - 3) / 2))) } : spec;
  let g: Float32Array;
  try {
    g = createRobustAggregator(clamped).aggregate(updates);
  } catch (error) {
    if (error instanceof RobustAggregateError) {
      const reason = `robust:${error.reason}`;
      return { applied: false, contributors: [], rejections: [...rejections, ...updates.map((u) => ({ uid: u.uid, reason }))] };
    }
    throw error;
  }
  const lr = cfg.outerLr;
  for (let i = 0; i < params.length; i++) params[i] = Math.fround(params[i]! - Math.fround(lr * g[i]!));
  return { applied: true, contributors: updates.map((u) => u.uid).sort((a, b) => a - b), rejections };
}
