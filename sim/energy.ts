/**
 * Energy and carbon accounting of simulated peers: each peer draws a device class (power draw,
 * idle draw, speed), sits in a region with a grid carbon intensity, and each round turns its busy
 * time, waiting time and bytes moved into kWh and kg CO2e. Pure functions over validated config
 * and an injected `Rng`; the round loops feed them the times and bytes.
 *
 * Model of one peer in one round (a peer that is offline draws nothing):
 *   kWh  = (powerW · computeS + idleW · max(0, presentS − computeS)) / 3.6e6
 *          + networkKWhPerGB · bytes / 1e9
 *   kgCO2e = kWh · gCO2e/kWh of the peer's region / 1000
 * where computeS is its training time and presentS the time it spent in the round (from its
 * arrival to the round's end, or to its crash); waiting for transfers and the window counts as idle.
 *
 * Units: W, sim seconds, bytes, kWh, gCO2e/kWh in config, kg CO2e in results.
 *
 * @example
 * const energy = resolveEnergyConfig({ deviceClasses: [{ name: 'h100', weight: 1, powerW: 700, idleW: 70, stepTimeScale: 1 }],
 *                                      carbonIntensity: 400 }, null);
 * const device = drawDeviceClass(energy, 3, rng.fork('compute'));
 * peerRoundEnergyKWh(device, { computeS: 60, presentS: 100, bytes: 0 }, 0); // (700·60 + 70·40) / 3.6e6
 */
import { ConfigError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { chooseIndex } from './distributions.ts';

/** One kind of accelerator a peer may run on. */
export interface DeviceClassConfig {
  readonly name: string;
  /** Relative share of peers with this device (≥ 0; normalised over all classes). */
  readonly weight: number;
  /** Draw while computing, W. */
  readonly powerW: number;
  /** Draw while present but waiting (transfers, window), W. */
  readonly idleW: number;
  /** Multiplies the peer's drawn step time (> 0; 2 = half as fast as the reference device). */
  readonly stepTimeScale: number;
}

/** Grid carbon intensity, gCO2e/kWh: one value for every peer, or per network region. */
export type CarbonIntensityConfig =
  | number
  | {
      /** Region name (as in `net.regions`) → gCO2e/kWh. */
      readonly byRegion: Readonly<Record<string, number>>;
      /** For peers in regions not listed, and for every peer when the network has no regions. */
      readonly default?: number;
    };

/** Energy configuration of a run: the assumption table every kWh and CO2e figure comes from. */
export interface EnergyConfig {
  /** Device classes peers are drawn from (non-empty, weights with a positive sum). */
  readonly deviceClasses: readonly DeviceClassConfig[];
  readonly carbonIntensity: CarbonIntensityConfig;
  /** Energy of moving data over the network, kWh per GB (1e9 bytes) moved by a peer; ≥ 0. */
  readonly networkKWhPerGB?: number;
  /** Where the figures come from (a datasheet, a grid operator's report, "assumption"); shown beside every energy figure. */
  readonly source?: string;
}

/** A user's table: any field left out takes its {@link ENERGY_DEFAULTS} value. */
export type EnergyConfigInput = Partial<EnergyConfig>;

/**
 * Defaults. ASSUMPTION, not a measurement: round placeholder figures (one 300 W accelerator idling
 * at 50 W, a 400 gCO2e/kWh grid, 0.01 kWh per GB moved) so that rows carry plausible magnitudes;
 * a study that reports energy must set its own device classes and intensities.
 */
export const ENERGY_DEFAULTS: EnergyConfig = Object.freeze({
  deviceClasses: Object.freeze([Object.freeze({ name: 'default', weight: 1, powerW: 300, idleW: 50, stepTimeScale: 1 })]),
  carbonIntensity: 400,
  networkKWhPerGB: 0.01,
  source: 'placeholder assumption (sim/energy.ts ENERGY_DEFAULTS), not a measurement',
});

/** The source shown for a table that changes some default but does not say where its figures come from. */
export const UNSTATED_SOURCE = 'set in the config, source not stated';

const ENERGY_KEYS = ['deviceClasses', 'carbonIntensity', 'networkKWhPerGB', 'source'];
const DEVICE_KEYS = ['name', 'weight', 'powerW', 'idleW', 'stepTimeScale'];

/** Joules in one kWh. */
export const JOULES_PER_KWH = 3.6e6;

/** A peer's time and traffic in one round. */
export interface PeerRoundUsage {
  /** Time spent computing, sim seconds. */
  readonly computeS: number;
  /** Time present in the round (arrival to round end or crash), sim seconds; the rest of it beyond computeS is idle. */
  readonly presentS: number;
  /** Bytes the peer sent and received this round (uploads, sync, catch-up). */
  readonly bytes: number;
}

/**
 * Validates `input` (keys reported under `key`) against the network's region names (`null` when
 * the network has no regions) and returns it frozen with every field filled in: fields left out
 * take their defaults, and `source` says "not stated" when some default was changed without one.
 */
export function resolveEnergyConfig(input: EnergyConfigInput, regionNames: readonly string[] | null, key = 'energy'): EnergyConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError(key, input, 'must be an object');
  rejectUnknownKeys(key, input, ENERGY_KEYS);
  const changed = ENERGY_KEYS.some((k) => k !== 'source' && Object.hasOwn(input, k));
  const source = input.source ?? (changed ? UNSTATED_SOURCE : ENERGY_DEFAULTS.source!);
  if (typeof source !== 'string' || source.trim().length === 0) throw new ConfigError(`${key}.source`, source, 'must be a non-empty string naming where the figures come from');
  const cfg = { ...ENERGY_DEFAULTS, ...input, source };
  const classes = cfg.deviceClasses;
  if (!Array.isArray(classes) || classes.length === 0) throw new ConfigError(`${key}.deviceClasses`, classes, 'must be a non-empty array');
  const names = new Set<string>();
  classes.forEach((c, i) => {
    const ck = `${key}.deviceClasses[${i}]`;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new ConfigError(ck, c, 'must be an object { name, weight, powerW, idleW, stepTimeScale }');
    rejectUnknownKeys(ck, c, DEVICE_KEYS);
    if (typeof c.name !== 'string' || c.name.length === 0) throw new ConfigError(`${ck}.name`, c.name, 'must be a non-empty string');
    if (names.has(c.name)) throw new ConfigError(`${ck}.name`, c.name, 'must be unique among device classes');
    names.add(c.name);
    nonNegative(`${ck}.weight`, c.weight);
    nonNegative(`${ck}.powerW`, c.powerW);
    nonNegative(`${ck}.idleW`, c.idleW);
    if (typeof c.stepTimeScale !== 'number' || !Number.isFinite(c.stepTimeScale) || !(c.stepTimeScale > 0)) {
      throw new ConfigError(`${ck}.stepTimeScale`, c.stepTimeScale, 'must be a finite number > 0');
    }
  });
  if (!(classes.reduce((a, c) => a + c.weight, 0) > 0)) {
    throw new ConfigError(`${key}.deviceClasses`, classes.map((c) => c.weight), 'weights must have a positive sum');
  }
  validateIntensity(`${key}.carbonIntensity`, cfg.carbonIntensity, regionNames);
  const networkKWhPerGB = cfg.networkKWhPerGB ?? ENERGY_DEFAULTS.networkKWhPerGB!;
  nonNegative(`${key}.networkKWhPerGB`, networkKWhPerGB);
  return Object.freeze({ ...cfg, networkKWhPerGB });
}

// A typo (`energy.devices`, `powerWatts`) must not become a silent default.
function rejectUnknownKeys(key: string, value: object, allowed: readonly string[]): void {
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw new ConfigError(`${key}.${k}`, (value as Record<string, unknown>)[k], `is not an energy option (options: ${allowed.join(', ')})`);
  }
}

function validateIntensity(key: string, ci: CarbonIntensityConfig, regionNames: readonly string[] | null): void {
  if (typeof ci === 'number') {
    nonNegative(key, ci);
    return;
  }
  if (typeof ci !== 'object' || ci === null || typeof ci.byRegion !== 'object' || ci.byRegion === null) {
    throw new ConfigError(key, ci, 'must be a number (gCO2e/kWh) or { byRegion, default? }');
  }
  if (ci.default !== undefined) nonNegative(`${key}.default`, ci.default);
  for (const [region, value] of Object.entries(ci.byRegion)) {
    if (regionNames === null || !regionNames.includes(region)) {
      throw new ConfigError(`${key}.byRegion.${region}`, value, `names no network region (${regionNames === null ? 'the network has no regions' : regionNames.join(', ')})`);
    }
    nonNegative(`${key}.byRegion.${region}`, value);
  }
  if (ci.default === undefined) {
    const missing = (regionNames ?? []).filter((r) => !Object.hasOwn(ci.byRegion, r));
    if (regionNames === null || missing.length > 0) {
      throw new ConfigError(`${key}.default`, undefined, `is required: no intensity for ${regionNames === null ? 'peers without a region' : `region(s) ${missing.join(', ')}`}`);
    }
  }
}

function nonNegative(key: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= 0)) throw new ConfigError(key, value, 'must be a finite number ≥ 0');
}

/**
 * Peer `peerId`'s device class, drawn by weight from `rng.fork('device:<peerId>')`: it depends on
 * (rng path, peer id) only. `cfg` must have passed {@link resolveEnergyConfig}.
 */
export function drawDeviceClass(cfg: EnergyConfig, peerId: number, rng: Rng): DeviceClassConfig {
  const weights = cfg.deviceClasses.map((c) => c.weight);
  return cfg.deviceClasses[chooseIndex(weights, weights.length, rng.fork(`device:${peerId}`))]!;
}

/** Grid carbon intensity for a peer in `region` (`null`: the network has no regions), gCO2e/kWh. */
export function carbonIntensityOf(cfg: EnergyConfig, region: string | null): number {
  const ci = cfg.carbonIntensity;
  if (typeof ci === 'number') return ci;
  if (region !== null && Object.hasOwn(ci.byRegion, region)) return ci.byRegion[region]!;
  return ci.default!; // resolveEnergyConfig guarantees it exists when some region is not listed
}

/** A peer's energy in one round, kWh (see the model in the file header). */
export function peerRoundEnergyKWh(device: DeviceClassConfig, usage: PeerRoundUsage, networkKWhPerGB: number): number {
  const idleS = Math.max(0, usage.presentS - usage.computeS);
  return (device.powerW * usage.computeS + device.idleW * idleS) / JOULES_PER_KWH + (networkKWhPerGB * usage.bytes) / 1e9;
}

/** kg CO2e of `kWh` on a grid of `gPerKWh` gCO2e/kWh. */
export function co2eKg(kWh: number, gPerKWh: number): number {
  return (kWh * gPerKWh) / 1000;
}

/**
 * The assumption table in words, for every place that shows an energy figure: device draws,
 * grid intensity, network energy and the table's source, all read from the resolved config.
 *
 * @example
 * energyAssumptionLabel(ENERGY_DEFAULTS);
 * // 'assumed 300 W per device (50 W idle), 400 gCO2e/kWh, 0.01 kWh/GB moved; source: placeholder assumption (…)'
 */
export function energyAssumptionLabel(cfg: EnergyConfig): string {
  const total = cfg.deviceClasses.reduce((a, c) => a + c.weight, 0);
  const devices = cfg.deviceClasses.length === 1
    ? `${cfg.deviceClasses[0]!.powerW} W per device (${cfg.deviceClasses[0]!.idleW} W idle)`
    : cfg.deviceClasses.map((c) => `${c.name} ${c.powerW} W (${c.idleW} W idle, ${Math.round((100 * c.weight) / total)}% of peers)`).join(', ');
  const ci = cfg.carbonIntensity;
  const intensity = typeof ci === 'number'
    ? `${ci} gCO2e/kWh`
    : `gCO2e/kWh by region: ${[...Object.entries(ci.byRegion).map(([r, v]) => `${r} ${v}`), ...(ci.default === undefined ? [] : [`others ${ci.default}`])].join(', ')}`;
  return `assumed ${devices}, ${intensity}, ${cfg.networkKWhPerGB ?? ENERGY_DEFAULTS.networkKWhPerGB} kWh/GB moved; source: ${cfg.source ?? UNSTATED_SOURCE}`;
}
