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
import type { SparseLocoCommunicatorConfig } from '../sparseloco/communicator.ts';
import type { Communicator, MethodName } from './communicator.ts';
import { createDdpCommunicator } from './ddp.ts';
import type { DdpConfig } from './ddp.ts';
import { createDemoCommunicator } from './demo.ts';
import type { DemoConfig } from './demo.ts';
import { createDilocoCommunicator } from './diloco.ts';
import type { DilocoConfig } from './diloco.ts';

export type { ApplyOptions, ApplyReport, Cadence, Communicator, EncodeOptions, MethodName, PeerMessage, RejectedMessage, WireBytes } from './communicator.ts';
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
