/** Shared fixtures of the simulator tests. */
import { createCommunicator } from '../../core/baselines/index.ts';
import type { CommunicatorConfig } from '../../core/baselines/index.ts';
import { createRng } from '../../core/rng.ts';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import type { SurrogateOptions } from '../../backends/surrogate/backend.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { createSimContext } from '../../sim/context.ts';
import type { SimContext } from '../../sim/context.ts';

/** Every peer alike: 10 Mbit/s up, 100 Mbit/s down, 50 ms; the store at 10 Gbit/s and 5 ms. */
export const FIXED_NET = {
  uplinkMbps: { kind: 'fixed', value: 10 },
  downlinkMbps: { kind: 'fixed', value: 100 },
  latencyMs: { kind: 'fixed', value: 50 },
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
} as const;

/** Size of one encoded message of `optim` for the default surrogate (fixed for these methods), bytes. */
export function messageBytes(optim: CommunicatorConfig = { method: 'sparseloco' }): number {
  const backend = createSurrogateBackend(createRng(1).fork('backend'));
  const comm = createCommunicator(backend.layout, optim);
  const delta = createRng('delta').fillNormal(new Float32Array(backend.layout.size), 0.01);
  return comm.encode(comm.createPeerState(), delta).length;
}

export { configError } from '../support/errors.ts';

/**
 * A full simulation context for `input` (a surrogate-backend config), built exactly as
 * runSimulation builds it (createSimContext, same streams), for tests that drive one round's parts.
 */
export function simContext(input: SimConfigInput): SimContext {
  const cfg = resolveSimConfig(input);
  const root = createRng(cfg.seed);
  const { kind: _kind, ...options } = cfg.backend as SurrogateOptions & { kind: string };
  return createSimContext(cfg, createSurrogateBackend(root.fork('backend'), options), root);
}
