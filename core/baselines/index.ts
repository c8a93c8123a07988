/**
 * The method switch: `createCommunicator(layout, config)` builds the communicator named by
 * `config.method`, so experiments choose DDP, DiLoCo, DeMo or SparseLoCo by configuration alone.
 *
 * @example
 * const comm = createCommunicator(layout, { method: 'sparseloco', outerLr: 0.4 });
 * comm.cadence; // 'round'
 */
import { ConfigError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';
import { createSparseLocoCommunicator } from '../sparseloco/communicator.ts';
import { assertTopKFitsChunks } from '../sparseloco/config.ts';
import type { SparseLocoCommunicatorConfig } from '../sparseloco/communicator.ts';
import type { Communicator, MethodName } from '../communicator.ts';
import { createDdpCommunicator } from './ddp.ts';
import type { DdpConfig } from './ddp.ts';
import { createDemoCommunicator } from './demo.ts';
import type { DemoConfig } from './demo.ts';
import { createDilocoCommunicator } from './diloco.ts';
import type { DilocoConfig } from './diloco.ts';

export type { ApplyOptions, ApplyReport, Cadence, Communicator, EncodeOptions, MethodName, PeerMessage, RejectedMessage, WireBytes } from '../communicator.ts';
export type { DdpConfig } from './ddp.ts';
export type { DemoConfig } from './demo.ts';
export type { DilocoConfig } from './diloco.ts';
export type { SparseLocoCommunicatorConfig } from '../sparseloco/communicator.ts';

/** Configuration of one method, discriminated by `method`; omitted fields take the method's defaults. */
export type CommunicatorConfig = DdpConfig | DilocoConfig | DemoConfig | SparseLocoCommunicatorConfig;

export const METHOD_NAMES: readonly MethodName[] = Object.freeze(['ddp', 'diloco', 'demo', 'sparseloco']);

/** Builds the communicator `config.method` names. Throws {@link ConfigError} for an unknown method. */
export function createCommunicator(layout: ParamLayout, config: CommunicatorConfig): Communicator {
  switch (config.method) {
    case 'ddp':
      return createDdpCommunicator(layout, config);
    case 'diloco':
      return createDilocoCommunicator(layout, config);
    case 'demo':
      return createDemoCommunicator(layout, config);
    case 'sparseloco':
      return createSparseLocoCommunicator(layout, config);
    default:
      throw new ConfigError('method', (config as { method: unknown }).method, `must be one of ${METHOD_NAMES.join(', ')}`);
  }
}

/** The configuration keys each method accepts (besides `method`). */
export const METHOD_CONFIG_KEYS: Readonly<Record<MethodName, readonly string[]>> = Object.freeze({
  ddp: ['adamw', 'schedule', 'wireDtype'],
  diloco: ['outerLr', 'momentum', 'wireDtype'],
  demo: ['topK', 'beta', 'weightDecay', 'schedule', 'indexCoding'],
  sparseloco: ['topK', 'quantBits', 'quantRange', 'beta', 'outerLr', 'indexCoding', 'clipNorm', 'aggregation'],
});

/**
 * Validates a method configuration without keeping anything: an unknown key is an error (so a
 * typo never becomes a silent default), and the method's own constructor checks every value.
 * `key` prefixes the names in the errors (e.g. 'optim').
 */
export function validateCommunicatorConfig(layout: ParamLayout, config: CommunicatorConfig, key = 'optim'): void {
  const method = (config as { method?: unknown }).method;
  if (!(METHOD_NAMES as readonly unknown[]).includes(method)) throw new ConfigError(`${key}.method`, method, `must be one of ${METHOD_NAMES.join(', ')}`);
  const allowed = METHOD_CONFIG_KEYS[method as MethodName];
  for (const k of Object.keys(config)) {
    if (k !== 'method' && !allowed.includes(k)) {
      throw new ConfigError(`${key}.${k}`, (config as unknown as Record<string, unknown>)[k], `is not an option of ${String(method)} (options: ${allowed.join(', ')})`);
    }
  }
  createCommunicator(layout, config);
  // After the constructor, which has checked that a given topK is a positive integer.
  const topK = (config as { topK?: unknown }).topK;
  if (allowed.includes('topK') && typeof topK === 'number') assertTopKFitsChunks(topK, layout, `${key}.topK`);
}
