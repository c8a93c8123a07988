/**
 * File inputs of an experiment config, read here because the simulator does no I/O: an
 * availability trace may be given as `churn.availability: { kind: 'trace', file: 'path.csv' }`
 * and is replaced by its text (`csv`) before the config reaches the simulator; an energy
 * assumption table may be given as `energy: { file: 'table.json' }` and is replaced by its content.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';

/** Returns `config` with every file reference replaced by the file's content (a copy when changed). */
export function resolveFileInputs<T extends object>(config: T): T {
  return resolveEnergyFile(resolveTraceFile(config));
}

function resolveTraceFile<T extends object>(config: T): T {
  const churn = (config as { churn?: { availability?: Record<string, unknown> } }).churn;
  const availability = churn?.availability;
  if (availability?.kind !== 'trace' || availability.file === undefined) return config;
  const { file, ...rest } = availability;
  if (typeof file !== 'string' || file.length === 0) throw new ConfigError('churn.availability.file', file, 'must be the path of a CSV trace (peer,start,end)');
  if (rest.csv !== undefined) throw new ConfigError('churn.availability.file', file, 'cannot be combined with churn.availability.csv');
  const csv = readText('churn.availability.file', file);
  return { ...config, churn: { ...churn, availability: { ...rest, csv } } };
}

/**
 * `energy: { file: 'my-energy.json' }`: the whole assumption table (device classes, intensities,
 * network energy, source) from a JSON file. It replaces the table, so it stands alone: other
 * energy keys beside it would be silently overwritten, and are an error instead.
 */
function resolveEnergyFile<T extends object>(config: T): T {
  const energy = (config as { energy?: Record<string, unknown> }).energy;
  if (energy?.file === undefined) return config;
  const { file, ...rest } = energy;
  if (typeof file !== 'string' || file.length === 0) throw new ConfigError('energy.file', file, 'must be the path of a JSON energy table');
  if (Object.keys(rest).length > 0) {
    throw new ConfigError('energy.file', file, `cannot be combined with other energy keys (${Object.keys(rest).join(', ')}): the file replaces the whole table; use --set 'energy={"file":"…"}' to replace an experiment's own table`);
  }
  const text = readText('energy.file', file);
  let table: unknown;
  try {
    table = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('energy.file', file, 'must hold JSON ({ deviceClasses, carbonIntensity, networkKWhPerGB, source })', { cause });
  }
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new ConfigError('energy.file', file, 'must hold a JSON object ({ deviceClasses, carbonIntensity, networkKWhPerGB, source })');
  const source = (table as { source?: unknown }).source ?? `${file}, source not stated`;
  return { ...config, energy: { ...table, source } }; // the simulator's resolver checks every field
}

function readText(key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(key, file, 'must name a readable file', { cause });
  }
}
