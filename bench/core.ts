/**
 * The `core` benchmark group: SparseLoCo compression and aggregation speed on a 64M-parameter
 * model (four 4096×4096 matrices, 64×64 chunks, top-64, 2-bit values: the run's settings), the
 * resulting compression ratios, and the same compression in PyTorch for comparison.
 *
 * Every speed is the best of REPEATS timed runs (see bench/timing.ts for why best, not median).
 */
import { squareMatrices } from '../core/layout.ts';
import { createRng } from '../core/rng.ts';
import { aggregate, createAggregateScratch, type PeerUpdate } from '../core/sparseloco/aggregate.ts';
import { decodeUpdate, encodeUpdate } from '../core/sparseloco/codec.ts';
import { compress, createCompressScratch } from '../core/sparseloco/compress.ts';
import { resolveSparseLocoConfig } from '../core/sparseloco/config.ts';
import type { BenchRow } from './row.ts';
import { bestTime } from './timing.ts';
import { runTorchReference } from './torch.ts';

const SIDE = 4096;
const MATRICES = 4;
const DELTA_STD = 1e-3;
const PEERS = 4;
const REPEATS = 3;

export async function runCoreBench(log: (line: string) => void): Promise<BenchRow[]> {
  const layout = squareMatrices(MATRICES, SIDE);
  const cfg = resolveSparseLocoConfig();
  const n = layout.size;
  const rows: BenchRow[] = [];

  log(`core: drawing Δ ~ N(0, ${DELTA_STD}²) for ${n} parameters`);
  const delta = createRng('bench').fork('delta').fillNormal(new Float32Array(n), DELTA_STD);
  const ef = new Float32Array(n);
  const scratch = createCompressScratch(layout, cfg);
  compress(layout, cfg, ef, delta, { scratch }); // warm-up round: JIT and a non-zero EF buffer

  log('core: compress');
  let bytes: Uint8Array = new Uint8Array(0);
  const compressOnly = bestTime(REPEATS, () => {
    compress(layout, cfg, ef, delta, { scratch });
  });
  const withEncode = bestTime(REPEATS, () => {
    bytes = encodeUpdate(compress(layout, cfg, ef, delta, { scratch }), layout);
  });
  rows.push({ name: 'core.compress.params_per_s', value: n / withEncode, unit: 'params/s (EF + top-k + quantise + encode + residual, best of 3)' });
  rows.push({ name: 'core.compress.no_encode.params_per_s', value: n / compressOnly, unit: 'params/s (without encode, best of 3)' });

  const update = compress(layout, cfg, ef, delta, { scratch });
  const encodeTime = bestTime(REPEATS, () => {
    bytes = encodeUpdate(update, layout);
  });
  rows.push({ name: 'core.encode.params_per_s', value: n / encodeTime, unit: 'params/s (packed12, best of 3)' });
  rows.push({ name: 'core.compression_ratio', value: (n * 4) / bytes.length, unit: 'x vs dense fp32 (packed12)' });
  const riceBytes = encodeUpdate(update, layout, { indexCoding: 'rice' });
  rows.push({ name: 'core.compression_ratio.rice', value: (n * 4) / riceBytes.length, unit: 'x vs dense fp32 (rice)' });

  log(`core: decode + aggregate of ${PEERS} peers`);
  const messages = peerMessages(layout, cfg, delta);
  const gradient = new Float32Array(n);
  const aggScratch = createAggregateScratch(layout);
  const aggTime = bestTime(REPEATS, () => {
    const peers: PeerUpdate[] = messages.map((m, peerUid) => ({ peerUid, update: decodeUpdate(m, layout) }));
    aggregate(layout, cfg, peers, gradient, aggScratch);
  });
  rows.push({ name: 'core.decode_aggregate.params_per_s', value: (PEERS * n) / aggTime, unit: `peer-params/s (R·n / s, R = ${PEERS}, best of 3)` });

  log('core: torch reference');
  const torch = runTorchReference(REPEATS);
  if ('skipped' in torch) {
    log(`core: torch reference skipped: ${torch.skipped}`);
    rows.push({ name: 'core.torch_reference.skipped', value: 1, unit: torch.skipped });
  } else {
    rows.push(...torch.rows.map((r) => ({ ...r, unit: `${r.unit} (torch, 1 thread, best of ${REPEATS})` })));
    const torchSpeed = torch.rows.find((r) => r.name === 'torch.compress.params_per_s');
    if (torchSpeed !== undefined) rows.push({ name: 'core.compress.vs_torch', value: n / withEncode / torchSpeed.value, unit: 'ratio (ours / torch params/s)' });
  }
  return rows;
}

/**
 * Encoded messages of PEERS distinct peers. Each peer's Δ is the shared draw rotated by a
 * peer-specific offset (cheap, and it moves every chunk's top-k set), compressed from a zero EF buffer.
 */
function peerMessages(layout: ReturnType<typeof squareMatrices>, cfg: ReturnType<typeof resolveSparseLocoConfig>, delta: Float32Array): Uint8Array[] {
  const n = delta.length;
  const peerDelta = new Float32Array(n);
  const peerEf = new Float32Array(n);
  const scratch = createCompressScratch(layout, cfg);
  const out: Uint8Array[] = [];
  for (let peer = 0; peer < PEERS; peer++) {
    const shift = (peer * 1_000_003) % n;
    peerDelta.set(delta.subarray(shift), 0);
    peerDelta.set(delta.subarray(0, shift), n - shift);
    peerEf.fill(0);
    out.push(encodeUpdate(compress(layout, cfg, peerEf, peerDelta, { scratch }), layout));
  }
  return out;
}
