/** Assertion helpers for the typed errors every layer throws. */
import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';

/** Runs `fn`, asserts it throws a {@link ConfigError} and returns it. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
