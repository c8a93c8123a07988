/**
 * Is the simulator's clock right? One cell = one config run on the shaped cluster (every peer in
 * its own network namespace, links shaped to the simulator's link table, real windows on the wall
 * clock; cluster/shaped-run.ts) with every store request timed, then the simulator's flow model
 * replayed on those requests (replay.ts). Per transfer: measured vs predicted duration; per round:
 * upload time, gather (download) time, round time and which uploads were late, measured vs
 * predicted. `scripts/validate-clock.ts` runs the grid and writes the table and the figure.
 *
 * The model: a SparseLoCo surrogate run whose messages are large enough for transfer time to
 * dominate (dense top-k with fp32 values: ≈ 5.5 bytes per parameter), links without latency
 * (netem is missing here, so the simulator's latencies are 0 too), one shared store.
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCluster } from '../../cluster/orchestrator.ts';
import type { TransferRecord } from '../../cluster/transfer-log.ts';
import { parseStorageKey } from '../../core/protocol/index.ts';
import { createRng } from '../../core/rng.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import type { Distribution } from '../../sim/distributions.ts';
import { TCP_IPV4_PAYLOAD_FRACTION, drawPeerLink, payloadBytesPerS } from '../../sim/network.ts';
import { median, relativeError, replayTransfers } from './replay.ts';
import type { ReplayLink, ReplayedTransfer } from './replay.ts';

/** One cell of the grid. */
export interface ClockCell {
  readonly name: string;
  readonly peers: number;
  /** One rate for every peer, or a choice the simulator draws per uid (heterogeneous links). */
  readonly uplinkMbps: number | readonly number[];
  readonly downlinkMbps: number;
  /** The shared store's ingress = egress. */
  readonly storeMbps: number;
  /** Window length (blocks × block time on the cluster, windowS in the config). */
  readonly windowS: number;
  readonly rounds: number;
  /** Surrogate MLP hidden width (sets the message size). */
  readonly hiddenDim: number;
  readonly seed: number;
}

/** Block time of every cell: windows are windowS × 10 blocks. */
export const CLOCK_BLOCK_TIME_MS = 100;

const HIDDEN = 10_000; // 430k parameters ⇒ 2.37 MB messages
const cell = (name: string, up: number | readonly number[], down: number, store: number, windowS: number, peers = 3, seed = 1): ClockCell => ({ name, peers, uplinkMbps: up, downlinkMbps: down, storeMbps: store, windowS, rounds: 3, hiddenDim: HIDDEN, seed });

/**
 * The grid: uplinks 5 / 20 / 100 Mbit/s (downlink twice that) × a shared store at 50 / 200 Mbit/s,
 * 3 peers, windows long enough for every upload on a loaded 2-core machine (the validator's
 * fetch, check and post, then the peers' sync and training all come before the next upload);
 * and a cell with 4 peers on 2 or 100 Mbit/s uplinks (drawn per uid: 100, 2, 2, 100) whose 12 s
 * windows the 2 Mbit/s peers cannot make (9.5 s a message after ≈ 5 s of sync and training): the late uploads.
 */
export const CLOCK_GRID: readonly ClockCell[] = [
  cell('up5-store50', 5, 10, 50, 20),
  cell('up5-store200', 5, 10, 200, 20),
  cell('up20-store50', 20, 40, 50, 14),
  cell('up20-store200', 20, 40, 200, 14),
  cell('up100-store50', 100, 200, 50, 12),
  cell('up100-store200', 100, 200, 200, 12),
  cell('mixed-late', [2, 100], 200, 200, 12, 4, 2),
];

/**
 * The small cell CI runs (where namespaces are allowed): 2 peers, 2 rounds, 0.62 MB messages; uid 0
 * on a 20 Mbit/s uplink (0.25 s a message), uid 1 on 0.5 Mbit/s (10 s: past every 8 s window).
 */
export const CLOCK_CI_CELL: ClockCell = { name: 'ci-late', peers: 2, uplinkMbps: [20, 0.5], downlinkMbps: 40, storeMbps: 50, windowS: 8, rounds: 2, hiddenDim: 3_000, seed: 4 };

/** The experiment config of a cell (what both the cluster and the simulator's link table read). */
export function cellConfig(c: ClockCell): SimConfigInput {
  const fixed = (value: number): Distribution => ({ kind: 'fixed', value });
  return {
    seed: c.seed,
    peers: c.peers,
    rounds: c.rounds,
    innerSteps: 2,
    windowS: c.windowS,
    closeWhenComplete: false, // real windows
    optim: { method: 'sparseloco', topK: 1600, quantBits: null }, // dense: every element, fp32
    backend: { kind: 'surrogate', hiddenDim: c.hiddenDim, heldoutSize: 256 }, // a small held-out set: the validator's eval stays off the clock
    net: {
      uplinkMbps: typeof c.uplinkMbps === 'number' ? fixed(c.uplinkMbps) : { kind: 'choice', values: [...c.uplinkMbps] },
      downlinkMbps: fixed(c.downlinkMbps),
      latencyMs: fixed(0),
      store: { ingressMbps: c.storeMbps, egressMbps: c.storeMbps, latencyMs: 0, sharing: 'shared' },
      payloadFraction: TCP_IPV4_PAYLOAD_FRACTION, // tbf counts every frame's headers (the model fix this validation found)
    },
    churn: { availability: { kind: 'always' } },
  };
}

/** One round of a cell, measured and predicted. */
export interface RoundComparison {
  readonly round: number;
  /** Slowest message upload of the round. */
  readonly uploadMeasuredS: number;
  readonly uploadPredictedS: number;
  /** Slowest peer's gather: its first message get's request to its last one's end. */
  readonly gatherMeasuredS: number;
  readonly gatherPredictedS: number;
  /** Previous round's finalisation to this one's (the validator's fetches are on this path). */
  readonly roundMeasuredS: number;
  readonly roundPredictedS: number;
  /** Uids whose upload the validator never fetched (commit reverted: past the window). */
  readonly lateMeasured: readonly number[];
  /** Uids whose upload the model ends after the window closed (less the round's mean commit time). */
  readonly latePredicted: readonly number[];
}

export interface CellResult {
  readonly cell: ClockCell;
  readonly messageBytes: number;
  /** The store's request time measured on the run's small objects, the replay's per-object latency. */
  readonly requestLatencyS: number;
  /** Every message put and get (the transfers the simulator charges), replayed. */
  readonly transfers: readonly (ReplayedTransfer & { readonly relError: number })[];
  /** The small JSON reports the cluster writes (not charged by the simulator), replayed too. */
  readonly bookkeeping: readonly ReplayedTransfer[];
  readonly rounds: readonly RoundComparison[];
  readonly medianRelError: number;
  readonly p90RelError: number;
  /** Median of (predicted − measured) / measured: the sign says which way the model is off. */
  readonly medianSignedError: number;
  /** The same with the simulator's defaults: payload = link rate, latency as configured (0). */
  readonly rawMedianRelError: number;
  readonly rawMedianSignedError: number;
  /** With TCP/IP framing (payloadFraction) but the configured latency (0). */
  readonly framedMedianRelError: number;
  readonly framedMedianSignedError: number;
  readonly sameLate: boolean;
  readonly wallS: number;
}

/** Runs one cell on the shaped cluster and replays its transfers. */
export async function runCell(c: ClockCell, p: { readonly workDir: string; readonly log?: (line: string) => void }): Promise<CellResult> {
  const input = cellConfig(c);
  const cfg = resolveSimConfig(input);
  const logDir = join(p.workDir, 'transfers');
  mkdirSync(logDir, { recursive: true });
  const t0 = Date.now();
  const result = await runCluster(input, {
    network: 'netns',
    transferLogDir: logDir,
    workDir: p.workDir,
    blockTimeMs: CLOCK_BLOCK_TIME_MS,
    roundLength: Math.round((c.windowS * 1000) / CLOCK_BLOCK_TIME_MS),
    ...(p.log === undefined ? {} : { log: p.log }),
  });
  const wallS = (Date.now() - t0) / 1000;
  const records = readTransferLogs(logDir);

  // The links each node was shaped to: peer-w<i> is the wallet whose uid its message keys carry.
  const netRng = createRng(cfg.seed).fork('net');
  const links = new Map<string, ReplayLink>();
  for (const r of records) {
    if (r.op !== 'put' || !r.node.startsWith('peer-')) continue;
    const key = parseKey(r.key);
    if (key === null || links.has(r.node)) continue;
    const link = drawPeerLink(cfg.net, key.uid, netRng);
    links.set(r.node, { upBytesPerS: link.uplinkBytesPerS, downBytesPerS: link.downlinkBytesPerS });
  }
  const configuredFraction = cfg.net.payloadFraction ?? 1;
  const replay = (payloadFraction: number, requestLatencyS: number): { transfers: (ReplayedTransfer & { relError: number })[]; bookkeeping: ReplayedTransfer[] } => {
    const scale = payloadFraction / configuredFraction; // links were drawn with the config's fraction
    const replayed = replayTransfers(records, {
      links: new Map([...links].map(([node, l]) => [node, { upBytesPerS: l.upBytesPerS * scale, downBytesPerS: l.downBytesPerS * scale }])),
      storeIngressBytesPerS: payloadBytesPerS({ payloadFraction }, cfg.net.store.ingressMbps),
      storeEgressBytesPerS: payloadBytesPerS({ payloadFraction }, cfg.net.store.egressMbps),
      requestLatencyS,
    });
    return {
      transfers: replayed.filter((t) => parseKey(t.key) !== null).map((t) => ({ ...t, relError: relativeError(t) })),
      bookkeeping: replayed.filter((t) => parseKey(t.key) === null),
    };
  };
  // Three models: the simulator's defaults (payload = link rate, the configured latency: 0), with
  // TCP/IP framing (the config's payloadFraction), and with framing and the store's request time
  // measured on the run's own small objects (the simulator's per-object latency, calibrated).
  const raw = replay(1, cfg.net.store.latencyMs / 1000);
  const framed = replay(configuredFraction, cfg.net.store.latencyMs / 1000);
  const requestLatencyS = measuredRequestLatencyS(raw.bookkeeping);
  const { transfers, bookkeeping } = replay(configuredFraction, requestLatencyS);
  const signed = (ts: readonly ReplayedTransfer[]): number => median(ts.map((t) => (t.predictedS - t.measuredS) / t.measuredS));
  const commitS = result.rows.map((r) => r.commitS);
  const rounds = compareRounds(transfers, result.rows.map((r) => r.roundWallS), result.windowEndsMs, commitS, c.rounds);
  const errors = transfers.map((t) => t.relError);
  return {
    cell: c,
    messageBytes: transfers.find((t) => t.op === 'put')?.bytes ?? 0,
    requestLatencyS,
    transfers,
    bookkeeping,
    rounds,
    medianRelError: median(errors),
    p90RelError: quantile(errors, 0.9),
    medianSignedError: signed(transfers),
    rawMedianRelError: median(raw.transfers.map((t) => t.relError)),
    rawMedianSignedError: signed(raw.transfers),
    framedMedianRelError: median(framed.transfers.map((t) => t.relError)),
    framedMedianSignedError: signed(framed.transfers),
    sameLate: rounds.every((r) => sameSet(r.lateMeasured, r.latePredicted)),
    wallS,
  };
}

/**
 * The store's request time: the median duration of the reports every node writes after each round
 * (< 1 KB each, so bytes take ≪ 1 ms on any link here: what remains is the request itself — HTTP,
 * S3 signing, s3rver, the processes' share of the CPU). Start-up reads are left out (they include
 * each client's first connection).
 */
export function measuredRequestLatencyS(bookkeeping: readonly ReplayedTransfer[]): number {
  const reports = bookkeeping.filter((t) => t.op === 'put' && /^cluster\/(peer|validator)-report-/.test(t.key));
  return reports.length === 0 ? 0 : median(reports.map((t) => t.measuredS));
}

/** Per round: uploads, gathers, the round and lateness, measured vs predicted. */
function compareRounds(transfers: readonly (ReplayedTransfer & { relError: number })[], roundWallS: readonly number[], windowEndsMs: readonly number[], commitS: readonly number[], rounds: number): RoundComparison[] {
  const out: RoundComparison[] = [];
  for (let round = 0; round < rounds; round++) {
    const of = transfers.filter((t) => parseKey(t.key)!.round === round);
    const puts = of.filter((t) => t.op === 'put' && t.node.startsWith('peer-'));
    const fetchedByValidator = new Set(of.filter((t) => t.op === 'get' && t.node === 'validator').map((t) => t.key));
    const peerGets = of.filter((t) => t.op === 'get' && t.node.startsWith('peer-'));
    let gatherMeasuredS = 0;
    let gatherPredictedS = 0;
    for (const node of new Set(peerGets.map((t) => t.node))) {
      const gets = peerGets.filter((t) => t.node === node);
      const span = (Math.max(...gets.map((t) => t.endMs)) - Math.min(...gets.map((t) => t.startMs))) / 1000;
      // The peer's gets run one after another: the model's span swaps each measured duration for its prediction.
      const predicted = span + gets.reduce((a, t) => a + t.predictedS - t.measuredS, 0);
      gatherMeasuredS = Math.max(gatherMeasuredS, span);
      gatherPredictedS = Math.max(gatherPredictedS, predicted);
    }
    const validatorGets = of.filter((t) => t.op === 'get' && t.node === 'validator');
    const roundMeasuredS = roundWallS[round] ?? Number.NaN;
    // An upload is on time when its commit is mined in the window: the put must end a commit's time before.
    const end = (windowEndsMs[round] ?? Infinity) - 1000 * (commitS[round] ?? 0);
    out.push({
      round,
      uploadMeasuredS: Math.max(0, ...puts.map((t) => t.measuredS)),
      uploadPredictedS: Math.max(0, ...puts.map((t) => t.predictedS)),
      gatherMeasuredS,
      gatherPredictedS,
      roundMeasuredS,
      roundPredictedS: roundMeasuredS + validatorGets.reduce((a, t) => a + t.predictedS - t.measuredS, 0),
      lateMeasured: puts.filter((t) => !fetchedByValidator.has(t.key)).map((t) => parseKey(t.key)!.uid).sort((a, b) => a - b),
      latePredicted: puts.filter((t) => t.startMs + t.predictedS * 1000 > end).map((t) => parseKey(t.key)!.uid).sort((a, b) => a - b),
    });
  }
  return out;
}

/** Every record of every process's log under `dir`, in start order. */
export function readTransferLogs(dir: string): TransferRecord[] {
  const records: TransferRecord[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) if (line.trim() !== '') records.push(JSON.parse(line) as TransferRecord);
  }
  return records.sort((a, b) => a.startMs - b.startMs);
}

/** A message key's round and uid, or null for any other object. */
function parseKey(key: string): { readonly round: number; readonly uid: number } | null {
  try {
    const k = parseStorageKey(key);
    return k.kind === 'update' ? { round: k.round, uid: k.peerUid } : null;
  } catch {
    return null;
  }
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
