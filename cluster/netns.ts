/**
 * A shaped network for the real cluster: every node (peer, validator, store) in its own Linux
 * network namespace, each joined to one bridge by a veth pair, with token-bucket (tc tbf) rate
 * limits on both ends of its veth — the node's end shapes what it sends (its uplink), the bridge's
 * end what it receives (its downlink). A node with one link to the bridge therefore has exactly the
 * simulator's access link: uplink and downlink, shared by every flow it has. The orchestrator's own
 * (root) namespace joins the bridge unshaped, so the chain RPC it serves is reachable from all.
 *
 *   10.250.S.254 root ──┐
 *   10.250.S.1   store ─┤ bridge (namespace sl-<id>-hub)
 *   10.250.S.2   peer  ─┤   each node's veth: tbf up on its end, tbf down on the bridge's
 *   …                ───┘
 *
 * No latency: `tc netem` needs a kernel module this machine lacks, so paths have veth's ≈ 0.05 ms.
 * Everything is created under names `sl-<id>-…` (namespaces) and `sl<id>…` (links) with a fresh
 * random id, in a 10.250.S.0/24 subnet no root-namespace address uses, and removed by `close()`, on
 * process exit, SIGINT and SIGTERM — a run leaves nothing behind even when it fails.
 *
 * @example
 * const net = createShapedNetwork({ nodes: ['store', 'peer-0'] });
 * try {
 *   net.shape('peer-0', { upMbps: 20, downMbps: 40 });
 *   net.execPrefix('peer-0'); // ['ip', 'netns', 'exec', 'sl-3fa2-peer-0']
 * } finally { net.close(); }
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../core/errors.ts';
import { ClusterError } from './errors.ts';

/** Rates of one node's access link, Mbit/s (1e6 bit/s); Infinity leaves that direction unshaped. */
export interface LinkRates {
  /** What the node sends (its end of the veth). */
  readonly upMbps: number;
  /** What the node receives (the bridge's end of the veth). */
  readonly downMbps: number;
}

/** One node of the network. */
export interface NetnsNode {
  readonly name: string;
  /** Its namespace (`ip netns exec <namespace> …`). */
  readonly namespace: string;
  /** Its IPv4 address on the bridge. */
  readonly address: string;
  /** Its end of the veth (inside `namespace`) and the bridge's end (inside the hub namespace). */
  readonly device: string;
  readonly hubDevice: string;
}

/** A created network; `close()` removes it (idempotent). */
export interface ShapedNetwork {
  readonly id: string;
  /** The root namespace's address on the bridge (where the orchestrator's servers listen). */
  readonly hostAddress: string;
  readonly nodes: readonly NetnsNode[];
  node(name: string): NetnsNode;
  /** Sets (or replaces) the rate limits of `name`'s link. */
  shape(name: string, rates: LinkRates): void;
  /** The argv prefix that runs a command inside `name`'s namespace. */
  execPrefix(name: string): readonly string[];
  close(): void;
}

/** Prefix of every namespace this module creates (and of the leak check). */
export const NETNS_PREFIX = 'sl-';
/** tbf queue: deep enough that a few TCP flows through one link lose no packets to it. */
const TBF_LATENCY_MS = 200;
/** tbf bucket: at least this many bytes, and at least 4 ms at the link rate (≥ one timer tick). */
const TBF_MIN_BURST_BYTES = 32 * 1024;
const TBF_BURST_S = 0.004;
/** At most 253 nodes fit a /24 beside the root's .254. */
const MAX_NODES = 253;

/** Whether this process can create namespaces and shape links, and if not, why not. */
export function netnsSupport(): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root (ip netns add)' };
  const probe = `${NETNS_PREFIX}probe-${process.pid}`;
  try {
    run(['ip', 'netns', 'add', probe]);
    run(['ip', 'netns', 'exec', probe, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '1mbit', 'burst', '32kb', 'latency', '10ms']);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `ip netns / tc tbf failed: ${firstLine(error)}` };
  } finally {
    try {
      run(['ip', 'netns', 'del', probe]);
    } catch {
      // the add failed: nothing to remove
    }
  }
}

/** Namespaces and links named like this module's that exist now (for leak checks). */
export function leftoverNetworkObjects(): string[] {
  const namespaces = run(['ip', 'netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(NETNS_PREFIX));
  const links = run(['ip', '-o', 'link', 'show']).split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter((n) => /^sl[0-9a-f]{4}/.test(n));
  return [...namespaces, ...links];
}

const open = new Set<ShapedNetwork>();
let handlersInstalled = false;

/**
 * Creates the namespaces, the bridge and one veth per node (unshaped until {@link ShapedNetwork.shape}).
 *
 * @throws {ConfigError} for a bad or duplicate node name, or too many nodes.
 * @throws {ClusterError} 'network' when an `ip` command fails (everything made so far is removed).
 */
export function createShapedNetwork(p: { readonly nodes: readonly string[] }): ShapedNetwork {
  if (p.nodes.length === 0 || p.nodes.length > MAX_NODES) throw new ConfigError('nodes', p.nodes.length, `must be 1 … ${MAX_NODES} names`);
  const seen = new Set<string>();
  for (const name of p.nodes) {
    if (!/^[a-z0-9-]{1,20}$/.test(name)) throw new ConfigError('nodes', name, 'must be 1–20 of a-z, 0-9, "-"');
    if (seen.has(name)) throw new ConfigError('nodes', name, 'is named twice');
    seen.add(name);
  }
  const id = randomBytes(2).toString('hex');
  const subnet = freeSubnet();
  const hub = `${NETNS_PREFIX}${id}-hub`;
  const nodes: NetnsNode[] = p.nodes.map((name, i) => ({
    name,
    namespace: `${NETNS_PREFIX}${id}-${name}`,
    address: `10.250.${subnet}.${i + 1}`,
    device: `sl${id}n${i}`,
    hubDevice: `sl${id}h${i}`,
  }));
  const rootDevice = `sl${id}r0`;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  let closed = false;
  const network: ShapedNetwork = {
    id,
    hostAddress: `10.250.${subnet}.254`,
    nodes,
    node(name) {
      const n = byName.get(name);
      if (n === undefined) throw new ConfigError('node', name, `is not in this network (${[...byName.keys()].join(', ')})`);
      return n;
    },
    shape(name, rates) {
      const n = network.node(name);
      setRate(n.namespace, n.device, rates.upMbps, 'upMbps');
      setRate(hub, n.hubDevice, rates.downMbps, 'downMbps');
    },
    execPrefix(name) {
      return ['ip', 'netns', 'exec', network.node(name).namespace];
    },
    close() {
      if (closed) return;
      closed = true;
      open.delete(network);
      // Deleting a namespace deletes the veth ends inside it, and with them their peers.
      for (const ns of [...nodes.map((n) => n.namespace), hub]) tryRun(['ip', 'netns', 'del', ns]);
      tryRun(['ip', 'link', 'del', rootDevice]);
    },
  };
  installExitHandlers();
  open.add(network);
  try {
    run(['ip', 'netns', 'add', hub]);
    run(['ip', '-n', hub, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
    run(['ip', '-n', hub, 'link', 'set', 'br0', 'up']);
    run(['ip', 'link', 'add', rootDevice, 'type', 'veth', 'peer', 'name', `sl${id}r1`, 'netns', hub]);
    run(['ip', '-n', hub, 'link', 'set', `sl${id}r1`, 'master', 'br0', 'up']);
    run(['ip', 'addr', 'add', `${network.hostAddress}/24`, 'dev', rootDevice]);
    run(['ip', 'link', 'set', rootDevice, 'up']);
    for (const n of nodes) {
      run(['ip', 'netns', 'add', n.namespace]);
      run(['ip', '-n', n.namespace, 'link', 'set', 'lo', 'up']);
      run(['ip', 'link', 'add', n.device, 'netns', n.namespace, 'type', 'veth', 'peer', 'name', n.hubDevice, 'netns', hub]);
      run(['ip', '-n', hub, 'link', 'set', n.hubDevice, 'master', 'br0', 'up']);
      run(['ip', '-n', n.namespace, 'addr', 'add', `${n.address}/24`, 'dev', n.device]);
      run(['ip', '-n', n.namespace, 'link', 'set', n.device, 'up']);
    }
  } catch (error) {
    network.close();
    throw error;
  }
  return network;
}

/** tbf on `device` in `namespace` at `mbps` (Infinity: no qdisc, the veth's own speed). */
function setRate(namespace: string, device: string, mbps: number, key: string): void {
  if (mbps === Infinity) {
    tryRun(['tc', '-n', namespace, 'qdisc', 'del', 'dev', device, 'root']);
    return;
  }
  if (!(mbps > 0) || !Number.isFinite(mbps)) throw new ConfigError(key, mbps, 'must be a positive number of Mbit/s or Infinity');
  const bitsPerS = Math.round(mbps * 1e6);
  const burst = Math.max(TBF_MIN_BURST_BYTES, Math.ceil((bitsPerS / 8) * TBF_BURST_S));
  run(['tc', '-n', namespace, 'qdisc', 'replace', 'dev', device, 'root', 'tbf', 'rate', `${bitsPerS}bit`, 'burst', `${burst}b`, 'latency', `${TBF_LATENCY_MS}ms`]);
}

/** A third octet S with no 10.250.S.x address in the root namespace (another run's). */
function freeSubnet(): number {
  const used = new Set([...run(['ip', '-4', '-o', 'addr', 'show']).matchAll(/inet 10\.250\.(\d+)\./g)].map((m) => Number(m[1])));
  const start = randomBytes(1)[0]! % 250;
  for (let k = 0; k < 250; k++) {
    const s = ((start + k) % 250) + 1;
    if (!used.has(s)) return s;
  }
  throw new ClusterError('process-exit', 'no free 10.250.S.0/24 subnet: 250 shaped networks exist');
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const closeAll = (): void => {
    for (const n of [...open]) n.close();
  };
  process.on('exit', closeAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      closeAll();
      process.kill(process.pid, signal); // the default action, now that the handler is gone
    });
  }
}

function run(argv: readonly string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    throw new ClusterError('network', `${argv.join(' ')} failed: ${firstLine(error)}`, { cause: error });
  }
}

function tryRun(argv: readonly string[]): void {
  try {
    run(argv);
  } catch {
    // already gone
  }
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : error instanceof Error ? error.message : String(error);
  return text.trim().split('\n')[0]!;
}
