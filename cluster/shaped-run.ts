/**
 * The cluster on shaped links (ClusterOptions.network = 'netns'): one network namespace per peer,
 * one for the validator and one for the store (cluster/netns.ts), the store served over S3 from
 * its namespace (cluster/store-server.ts), the chain RPC from the orchestrator's root namespace.
 * Each peer's link is shaped to the link the simulator draws for its uid (sim/network.ts
 * `drawPeerLink` on the run's 'net' stream: uplink on the peer's end, downlink on the bridge's),
 * and the store's link to the config's store egress (what it sends) and ingress (what it receives)
 * — one pool shared by every transfer, the simulator's `net.store.sharing: 'shared'`. The
 * validator's link is not shaped: the simulator charges no link to a non-lagged validator.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { createRng } from '../core/rng.ts';
import { drawPeerLink } from '../sim/network.ts';
import type { SimConfig } from '../sim/config.ts';
import { ClusterError } from './errors.ts';
import { createShapedNetwork, netnsSupport } from './netns.ts';
import type { ShapedNetwork } from './netns.ts';
import { forkChild } from './processes.ts';
import type { ChildHandle } from './processes.ts';
import { STORE_SERVER_CREDENTIALS } from './store-server.ts';

/** The store's port inside its own namespace (nothing else listens there). */
const STORE_PORT = 9000;
const STORE_BUCKET = 'cluster';
const STORE_START_TIMEOUT_MS = 60_000;

/** A started shaped network with its store. */
export interface ShapedCluster {
  readonly network: ShapedNetwork;
  /** Where the orchestrator's chain node listens (the root namespace's bridge address). */
  readonly hostAddress: string;
  readonly storeUrl: string;
  readonly s3Endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Environment for each peer and the validator (the store's credentials). */
  readonly childEnv: Readonly<Record<string, string>>;
  /** Shapes every peer's link (`uidOfWallet`: wallet index → uid) and the store's. */
  shapeLinks(cfg: SimConfig, uidOfWallet: ReadonlyMap<number, number>): void;
  close(): void;
}

/**
 * Refuses a config the shaped network cannot reproduce.
 *
 * @throws {ConfigError} without root / `ip netns`, for a per-transfer store (tbf shapes a link,
 *   not each transfer), or for per-peer buckets.
 */
export function assertShapeable(cfg: SimConfig): void {
  const support = netnsSupport();
  if (!support.ok) throw new ConfigError('network', 'netns', support.reason);
  if (cfg.net.store.sharing !== 'shared') throw new ConfigError('net.store.sharing', cfg.net.store.sharing ?? 'per-transfer', "must be 'shared' on shaped links (the store's link is one pool every transfer shares)");
  if (cfg.net.buckets !== undefined) throw new ConfigError('net.buckets', JSON.stringify(cfg.net.buckets), 'is not supported on shaped links (one store only)');
}

/** Creates the namespaces (peers 'peer-<wallet>', 'validator', 'store') and starts the store server. */
export async function startShapedCluster(p: { readonly peers: number; readonly workDir: string; readonly log: (line: string) => void; readonly watch: (child: ChildHandle) => void }): Promise<ShapedCluster> {
  const network = createShapedNetwork({ nodes: ['store', 'validator', ...Array.from({ length: p.peers }, (_, i) => `peer-${i}`)] });
  try {
    const address = network.node('store').address;
    const directory = join(p.workDir, 's3');
    mkdirSync(directory, { recursive: true });
    let ready!: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    const server = forkChild({
      name: 'store-server',
      role: 'store-server',
      args: ['--address', address, '--port', String(STORE_PORT), '--directory', directory, '--bucket', STORE_BUCKET],
      key: '0x' + '0'.repeat(64), // unused: the store has no chain identity
      execPrefix: network.execPrefix('store'),
      onMessage: (m) => {
        if (m.kind === 'ready') ready();
      },
      log: p.log,
    });
    p.watch(server);
    const exited = server.exited.then((code) => {
      throw new ClusterError('process-exit', `store-server exited with code ${code} before it listened:\n${server.stderrTail()}`);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ClusterError('timeout', `store-server did not listen within ${STORE_START_TIMEOUT_MS} ms`)), STORE_START_TIMEOUT_MS);
    });
    await Promise.race([started, exited, timeout]).finally(() => clearTimeout(timer));
    exited.catch(() => undefined); // it is killed at the end of the run, on purpose
    p.log(`shaped network ${network.id}: store at ${address}:${STORE_PORT}, chain at ${network.hostAddress}`);
    return {
      network,
      hostAddress: network.hostAddress,
      storeUrl: `s3://${STORE_BUCKET}`,
      s3Endpoint: `http://${address}:${STORE_PORT}`,
      credentials: STORE_SERVER_CREDENTIALS,
      childEnv: { AWS_ACCESS_KEY_ID: STORE_SERVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: STORE_SERVER_CREDENTIALS.secretAccessKey },
      shapeLinks(cfg, uidOfWallet) {
        const netRng = createRng(cfg.seed).fork('net'); // the simulator's stream (sim/context.ts)
        // tbf shapes the link rate, headers and all: undo the payload share drawPeerLink charges.
        const toLinkMbps = (payloadBytesPerS: number): number => (payloadBytesPerS * 8) / 1e6 / (cfg.net.payloadFraction ?? 1);
        for (const [wallet, uid] of uidOfWallet) {
          const link = drawPeerLink(cfg.net, uid, netRng);
          network.shape(`peer-${wallet}`, { upMbps: toLinkMbps(link.uplinkBytesPerS), downMbps: toLinkMbps(link.downlinkBytesPerS) });
        }
        network.shape('store', { upMbps: cfg.net.store.egressMbps, downMbps: cfg.net.store.ingressMbps });
      },
      close: () => network.close(),
    };
  } catch (error) {
    network.close();
    throw error;
  }
}
