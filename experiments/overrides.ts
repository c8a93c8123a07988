/**
 * Dotted-path overrides of a config (`--set optim.topK=32`): parsing, type checking against the
 * value already there, and "did you mean" suggestions for unknown keys. Range checks are left to
 * the config's own resolver, which names the key it rejects.
 */
import { ConfigError } from '../core/errors.ts';

/** Path → new value. A value may be an object (JSON on the command line) to replace a whole section. */
export type Overrides = Readonly<Record<string, unknown>>;

/** Parses `key=value` strings; values are JSON when they parse as JSON, else plain strings. */
export function parseSetFlags(flags: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new ConfigError('--set', flag, 'must look like key=value, e.g. --set peers=500');
    const key = flag.slice(0, eq).trim();
    const raw = flag.slice(eq + 1).trim();
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: keep the plain string (e.g. --set optim.method=diloco).
    }
    out[key] = value;
  }
  return out;
}

/** All dotted paths of a plain-object tree (leaves and inner objects; arrays are leaves). */
export function configPaths(config: unknown, prefix = ''): string[] {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    const path = prefix ? `${prefix}.${k}` : k;
    out.push(path, ...configPaths(v, path));
  }
  return out;
}

/**
 * Returns a copy of `config` with each override applied. The path's parent must exist; the key
 * itself must exist unless its parent is an object already holding that kind of entry's siblings
 * (then it is a new optional field, checked later by the resolver). A new value must have the JSON
 * type of the old one (number, string, boolean, object), except null ↔ number (e.g. quantBits).
 */
export function applyOverrides(config: Record<string, unknown>, overrides: Overrides, source: string): Record<string, unknown> {
  let out = structuredClone(config);
  for (const [path, value] of Object.entries(overrides)) out = applyOne(out, path, value, source);
  return out;
}

function applyOne(config: Record<string, unknown>, path: string, value: unknown, source: string): Record<string, unknown> {
  const parts = path.split('.');
  let node: Record<string, unknown> = config;
  for (let i = 0; i < parts.length - 1; i++) {
    const section = parts.slice(0, i + 1).join('.');
    // An optional section the base config leaves to its defaults starts empty.
    if (node[parts[i]!] === undefined && OPTIONAL_FIELDS.has(section)) node[parts[i]!] = {};
    const next = node[parts[i]!];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) throw unknownKey(config, path, value, source);
    node = next as Record<string, unknown>;
  }
  const leaf = parts[parts.length - 1]!;
  if (!(leaf in node)) {
    if (!OPTIONAL_FIELDS.has(path)) throw unknownKey(config, path, value, source);
  } else {
    const before = node[leaf];
    if (!sameKind(before, value)) {
      throw new ConfigError(path, value, `must be a ${kindOf(before)} like the current value ${JSON.stringify(before)} (from ${source})`);
    }
  }
  node[leaf] = value;
  return config;
}

/**
 * Optional fields that may be set although the base config leaves them to their defaults.
 * Their ranges are checked by the simulator's resolver.
 */
const OPTIONAL_FIELDS = new Set<string>([
  'optim.topK', 'optim.quantBits', 'optim.quantRange', 'optim.beta', 'optim.outerLr', 'optim.indexCoding',
  'optim.clipNorm', 'optim.aggregation', 'optim.momentum', 'optim.wireDtype', 'optim.weightDecay',
  'stepTimeS', 'shardsPerPeer', 'churn', 'backend', 'churn.crash', 'churn.joins',
  'backend.hiddenDim', 'backend.batchSize', 'backend.numShards', 'backend.nonIidAlpha', 'net.loss',
  // The backend kind and the tfjs backend's options (backends/tfjs/backend.ts, TfjsBackendOptions).
  'backend.kind', 'backend.engine', 'backend.model', 'backend.model.contextLength', 'backend.model.dModel',
  'backend.model.numLayers', 'backend.model.numHeads', 'backend.model.mlpRatio', 'backend.heldoutWindows',
  'backend.heldoutFraction', 'backend.shardEvalWindows', 'backend.evalBatchSize', 'backend.schedule', 'backend.adamw',
  // The energy assumption table (sim/energy.ts); fields left out take the defaults; `file` is read by inputs.ts.
  'energy', 'energy.deviceClasses', 'energy.carbonIntensity', 'energy.networkKWhPerGB', 'energy.source', 'energy.file',
  'catchUp', 'closeWhenComplete',
  // Two-level runs (sim/charge.ts): --set charge.layout=covenant-72b charges every transfer at that layout's size.
  'charge', 'charge.layout', 'charge.targetChunk',
  // The opt-in compute model (core/compute-model.ts): step time from FLOPs instead of stepTimeS alone.
  'compute', 'compute.params', 'compute.tokensPerStep', 'compute.device', 'compute.gpusPerPeer', 'compute.mfu', 'compute.devices',
  // The gather step (sim/round-gather-config.ts): templar's gather-20 by default; --set gather.peers=all is the all-gather.
  'gather', 'gather.peers', 'gather.reserves', 'gather.refreshEvery', 'gather.downloadTimeoutS',
  // Transport per method (sim/ring.ts) and windows on a block clock (sim/windows.ts): --set transport=ring, --set windows.blocksPerWindow=125.
  'transport', 'windows', 'windows.blocksPerWindow', 'windows.blockTimeS', 'windows.uploadDeadlineS',
  // Null rounds after (re)start (sim/replicas-config.ts): --set replicas.warmupWindows=0 turns them off.
  'replicas', 'replicas.warmupWindows',
  // Honest low-quality peers and aggregation weights (sim/data-quality.ts, sim/weighting.ts).
  'dataQuality', 'dataQuality.kind', 'dataQuality.fraction', 'dataQuality.rate', 'dataQuality.samples', 'dataQuality.keep', 'dataQuality.scale',
  'weighting', 'weighting.rule', 'weighting.power', 'weighting.decay', 'weighting.reference', 'weighting.validatorShards',
]);

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v;
}

function sameKind(before: unknown, after: unknown): boolean {
  const a = kindOf(before);
  const b = kindOf(after);
  return a === b || (a === 'null' && b === 'number') || (a === 'number' && b === 'null');
}

function unknownKey(config: Record<string, unknown>, path: string, value: unknown, source: string): ConfigError {
  const candidates = [...configPaths(config), ...OPTIONAL_FIELDS];
  const nearest = nearestKey(path, candidates);
  return new ConfigError(path, value, `is not a config key (from ${source})${nearest ? `; did you mean "${nearest}"?` : ''}`);
}

/**
 * The candidate closest to `key`: a near-typo first (edit distance ≤ 2, case-insensitive), then the
 * longest candidate that `key` extends with `.something` (`peers.count` → `peers`), then the
 * smallest edit distance if it is reasonably close.
 */
export function nearestKey(key: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of new Set(candidates)) {
    const d = editDistance(key.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  if (best !== null && bestDistance <= 2) return best;
  const parent = [...candidates].filter((c) => key.startsWith(`${c}.`)).sort((a, b) => b.length - a.length)[0];
  if (parent !== undefined) return parent;
  return best !== null && bestDistance <= Math.max(3, Math.ceil(key.length / 2)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
