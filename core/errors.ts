/**
 * Typed errors for the whole project. One base class (after viem's `BaseError`): a short
 * message a user can act on, optional details, and the cause. Subclasses carry the machine-readable
 * fields (`key`, `value`, `reason`) so callers and tests can branch on them, never on text.
 */
export interface SparseLocoErrorOptions {
  details?: string;
  cause?: unknown;
}

export class SparseLocoError extends Error {
  override name = 'SparseLocoError';
  readonly shortMessage: string;
  readonly details: string | undefined;

  constructor(shortMessage: string, options: SparseLocoErrorOptions = {}) {
    super(options.details ? `${shortMessage}\n\nDetails: ${options.details}` : shortMessage, {
      cause: options.cause,
    });
    this.shortMessage = shortMessage;
    this.details = options.details;
  }
}

/** A configuration value breaks a constraint. Names the key, the value and the rule. */
export class ConfigError extends SparseLocoError {
  override name = 'ConfigError';
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly constraint: string,
    options: SparseLocoErrorOptions = {},
  ) {
    super(`${key} (${formatValue(value)}) ${constraint}`, options);
  }
}

/** A state that the code's own logic rules out. Seeing one is a bug in this project. */
export class InvariantError extends SparseLocoError {
  override name = 'InvariantError';
}

/** Throws an {@link InvariantError} when `condition` is false. */
export function assertInvariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (value instanceof Object && !(value instanceof Function)) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}
