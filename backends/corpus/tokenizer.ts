/**
 * A character-level tokenizer: the vocabulary is a fixed, sorted list of distinct characters
 * (UTF-16 code units), token id = position in that list. Deterministic and dependency-free, which
 * is all a tiny language model on a small English corpus needs; ids fit a Uint8Array while the
 * vocabulary has at most 256 characters.
 *
 * @example
 * const tok = createCharTokenizer('hello world');
 * tok.vocabSize;                // 8: ' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w'
 * tok.decode(tok.encode('low')); // 'low'
 */
import { ConfigError } from '../../core/errors.ts';

/** Most characters a vocabulary may hold: ids are stored as bytes. */
export const MAX_VOCAB = 256;

export interface CharTokenizer {
  /** The vocabulary in id order (sorted by code unit). */
  readonly alphabet: string;
  readonly vocabSize: number;
  /** Token ids of `text`. Throws {@link ConfigError} on a character outside the alphabet. */
  encode(text: string): Uint8Array;
  /** The text of `ids`. Throws {@link ConfigError} on an id ≥ vocabSize. */
  decode(ids: ArrayLike<number>): string;
}

/** Builds the tokenizer whose alphabet is the sorted set of characters of `text`. */
export function createCharTokenizer(text: string): CharTokenizer {
  const alphabet = [...new Set(text.split(''))].sort().join('');
  if (alphabet.length === 0) throw new ConfigError('tokenizer text', text, 'must contain at least one character');
  if (alphabet.length > MAX_VOCAB) {
    throw new ConfigError('tokenizer alphabet size', alphabet.length, `must be ≤ ${MAX_VOCAB} (ids are bytes)`);
  }
  const idOf = new Map<string, number>();
  for (let i = 0; i < alphabet.length; i++) idOf.set(alphabet[i]!, i);
  return Object.freeze({
    alphabet,
    vocabSize: alphabet.length,
    encode(input: string): Uint8Array {
      const out = new Uint8Array(input.length);
      for (let i = 0; i < input.length; i++) {
        const id = idOf.get(input[i]!);
        if (id === undefined) throw new ConfigError('character', input[i], `at position ${i} is not in the tokenizer's alphabet`);
        out[i] = id;
      }
      return out;
    },
    decode(ids: ArrayLike<number>): string {
      let s = '';
      for (let i = 0; i < ids.length; i++) {
        const ch = alphabet[ids[i]!];
        if (ch === undefined) throw new ConfigError('token id', ids[i], `must be an integer in [0, ${alphabet.length})`);
        s += ch;
      }
      return s;
    },
  });
}
