/**
 * File inputs of an experiment config, read here because the simulator does no I/O: an
 * availability trace may be given as `churn.availability: { kind: 'trace', file: 'path.csv' }`
 * and is replaced by its text (`csv`) before the config reaches the simulator.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';

/** Returns `config` with every file reference replaced by the file's content (a copy when changed). */
export function resolveFileInputs<T extends object>(config: T): T {
  const churn = (config as { churn?: { availability?: Record<string, unknown> } }).churn;
  const availability = churn?.availability;
  if (availability?.kind !== 'trace' || availability.file === undefined) return config;
  const { file, ...rest } = availability;
  if (typeof file !== 'string' || file.length === 0) throw new ConfigError('churn.availability.file', file, 'must be the path of a CSV trace (peer,start,end)');
  if (rest.csv !== undefined) throw new ConfigError('churn.availability.file', file, 'cannot be combined with churn.availability.csv');
  let csv: string;
  try {
    csv = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('churn.availability.file', file, 'must name a readable file', { cause });
  }
  return { ...config, churn: { ...churn, availability: { ...rest, csv } } };
}
