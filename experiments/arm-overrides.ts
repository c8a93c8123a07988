/**
 * Which command-line overrides (`--set`, `--tiny`) reach which arm of an experiment, and the rule
 * that keeps rows honest. Two rules, applied per arm before its config is resolved:
 *
 * 1. **Method options reach the arms they fit.** `optim.<option>` (or `optim.<option>.…`) where
 *    `<option>` is an option of some method (`METHOD_CONFIG_KEYS`) is applied to the arms whose
 *    method has it and skipped for the others: `baselines --set optim.indexCoding=rice` changes
 *    SparseLoCo and DeMo and leaves DiLoCo and DDP alone. It is an error only when it fits no arm.
 * 2. **No relabelling.** An arm's name and labels describe what the experiment varies, so an
 *    override may not change any value the experiment varies across its arms (a leaf of some arm's
 *    `set` whose value is not the same in every arm and the base). Prefixes count both ways:
 *    `churn.availability.dropout` changes an arm's `churn.availability`, and `churn.availability`
 *    replaces an arm's `churn.availability.dropout`. Setting a value an arm already has is allowed;
 *    anything else is a ConfigError naming the key and the arm, because its rows would say
 *    something that did not run.
 *
 * @example
 * overridesPerArm(churn30, { 'churn.availability': { kind: 'bernoulli', dropout: 0.9 } });
 * // ConfigError: churn.availability ({"kind":"bernoulli","dropout":0.9}) would change churn.availability.kind ("always"),
 * //   which the experiment varies across its arms, in arm "no churn" of churn-30pct: …
 */
import { isDeepStrictEqual } from 'node:util';
import { METHOD_CONFIG_KEYS } from '../core/baselines/index.ts';
import type { MethodName } from '../core/baselines/index.ts';
import { ConfigError, formatValue } from '../core/errors.ts';
import type { ExperimentDefinition } from './define.ts';
import { applyOverrides } from './overrides.ts';
import type { Overrides } from './overrides.ts';

/** The arms' own configs (base + arm `set`, no seed) and the leaf paths the experiment varies. */
interface ArmShape {
  readonly configs: readonly Record<string, unknown>[];
  readonly varied: readonly string[];
}

// Definitions are frozen data, so an experiment's shape is computed once (byzantine has 276 arms).
const SHAPES = new WeakMap<ExperimentDefinition, ArmShape>();

/** Every method option name (`topK`, `outerLr`, ...), from the methods' own option lists. */
const METHOD_OPTIONS = new Set(Object.values(METHOD_CONFIG_KEYS).flat());

/**
 * The overrides that reach each arm of `exp`, in arm order (rule 1), after checking that none
 * changes a value the experiment varies (rule 2). `source` names where the overrides came from.
 */
export function overridesPerArm(exp: ExperimentDefinition, overrides: Overrides, source = '--set'): Overrides[] {
  const shape = armShape(exp);
  const methods = shape.configs.map((config) => armMethod(config, overrides));
  const perArm = exp.arms.map((_, i) => Object.fromEntries(Object.entries(overrides).filter(([key]) => fitsMethod(key, methods[i]!))));
  for (const [key, value] of Object.entries(overrides)) {
    if (!perArm.some((o) => Object.hasOwn(o, key))) {
      const fitting = [...new Set(methods)].map((m) => `${m} (${METHOD_CONFIG_KEYS[m as MethodName]?.join(', ') ?? 'unknown method'})`);
      throw new ConfigError(key, value, `is not an option of the method of any arm of ${exp.id} (from ${source}; options: ${fitting.join('; ')})`);
    }
  }
  exp.arms.forEach((arm, i) => checkNoRelabel(exp, arm.name, shape.configs[i]!, shape.varied, perArm[i]!, source));
  return perArm;
}

/** The arms `key` reaches (by name), for telling the user where a method option went. */
export function armsReached(exp: ExperimentDefinition, perArm: readonly Overrides[], key: string): string[] {
  return exp.arms.filter((_, i) => Object.hasOwn(perArm[i]!, key)).map((a) => a.name);
}

function armShape(exp: ExperimentDefinition): ArmShape {
  const cached = SHAPES.get(exp);
  if (cached) return cached;
  const base = exp.base as unknown as Record<string, unknown>;
  const configs = exp.arms.map((arm) => applyOverrides(base, arm.set, `${exp.id}/${arm.name}`));
  const candidates = new Set(exp.arms.flatMap((arm, i) => Object.keys(arm.set).flatMap((key) => leafPaths(readPath(configs[i]!, key), key))));
  const varied = [...candidates].filter((path) => {
    const first = readPath(base, path);
    return configs.some((c) => !isDeepStrictEqual(readPath(c, path), first));
  });
  const shape = { configs, varied };
  SHAPES.set(exp, shape);
  return shape;
}

/** The arm's method once the overrides that pick a method (`optim`, `optim.method`) are applied. */
function armMethod(config: Record<string, unknown>, overrides: Overrides): string {
  const whole = overrides.optim as { method?: unknown } | undefined;
  const method = overrides['optim.method'] ?? whole?.method ?? readPath(config, 'optim.method');
  return String(method);
}

/** False only for a method option (`optim.<option>…`) that `method` does not have. */
function fitsMethod(key: string, method: string): boolean {
  const [section, option] = key.split('.');
  if (section !== 'optim' || option === undefined || option === 'method' || !METHOD_OPTIONS.has(option)) return true;
  return (METHOD_CONFIG_KEYS[method as MethodName] ?? []).includes(option);
}

function checkNoRelabel(exp: ExperimentDefinition, armName: string, config: Record<string, unknown>, varied: readonly string[], overrides: Overrides, source: string): void {
  for (const [key, value] of Object.entries(overrides)) {
    const touched = varied.filter((path) => path === key || path.startsWith(`${key}.`) || key.startsWith(`${path}.`));
    if (touched.length === 0) continue;
    const after = applyOverrides(config, { [key]: value }, source);
    for (const path of touched) {
      const before = readPath(config, path);
      if (!isDeepStrictEqual(readPath(after, path), before)) {
        throw new ConfigError(
          key,
          value,
          `would change ${path} (${before === undefined ? 'unset' : formatValue(before)}), which ${exp.id} varies across its arms, in arm "${armName}" (from ${source}): ` +
            'the arm\'s name and labels would no longer say what ran; run the arm you want with its own value, or define a new experiment',
        );
      }
    }
  }
}

/** Dotted leaf paths under `value` at `prefix`: plain objects are walked, anything else is a leaf. */
function leafPaths(value: unknown, prefix: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([k, v]) => leafPaths(v, `${prefix}.${k}`));
}

function readPath(config: unknown, path: string): unknown {
  let node: unknown = config;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
