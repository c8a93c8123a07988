/**
 * The text corpus of the tfjs language model: a public-domain Shakespeare excerpt shipped in this
 * folder (provenance and licence in ./README.md), tokenized per character, split into a training
 * part and a held-out tail, and the training part cut into equal contiguous shards.
 *
 * Why a held-out *tail* rather than random lines: like nanoGPT's shakespeare_char split it keeps
 * the two sets from sharing a sentence, so held-out loss measures generalisation.
 *
 * @example
 * const corpus = createTextCorpus(loadTinyShakespeare(), { numShards: 64 });
 * corpus.shard(3);   // Uint8Array of corpus.shardLength token ids
 * corpus.heldout;    // the last 10 % of the text
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors.ts';
import { createCharTokenizer } from './tokenizer.ts';
import type { CharTokenizer } from './tokenizer.ts';

/** The shipped corpus file, next to this module. */
export const TINY_SHAKESPEARE_URL = new URL('./tinyshakespeare.txt', import.meta.url);

let cachedText: string | undefined;

/** The shipped Shakespeare excerpt (≈ 400 KB of ASCII), read once per process. */
export function loadTinyShakespeare(): string {
  cachedText ??= readFileSync(TINY_SHAKESPEARE_URL, 'utf8');
  return cachedText;
}

export interface TextCorpusOptions {
  /** Fraction of the text (its tail) kept out of training. Default 0.1. */
  readonly heldoutFraction?: number;
  /** Number of equal contiguous training shards. Default 64. */
  readonly numShards?: number;
}

export interface TextCorpus {
  readonly tokenizer: CharTokenizer;
  /** Training token ids (the first 1 − heldoutFraction of the text). */
  readonly train: Uint8Array;
  /** Held-out token ids (the tail). */
  readonly heldout: Uint8Array;
  readonly numShards: number;
  /** Tokens per shard: ⌊train.length / numShards⌋ (the remainder of the train text is unused). */
  readonly shardLength: number;
  /** Shard `id` as a view into `train` (no copy). */
  shard(id: number): Uint8Array;
}

/** Tokenizes `text`, splits off the held-out tail and cuts the rest into shards. */
export function createTextCorpus(text: string, options: TextCorpusOptions = {}): TextCorpus {
  const heldoutFraction = options.heldoutFraction ?? 0.1;
  const numShards = options.numShards ?? 64;
  if (!(heldoutFraction > 0 && heldoutFraction < 1)) {
    throw new ConfigError('corpus.heldoutFraction', heldoutFraction, 'must be in (0, 1)');
  }
  if (!Number.isSafeInteger(numShards) || numShards < 1) throw new ConfigError('corpus.numShards', numShards, 'must be an integer ≥ 1');
  const tokenizer = createCharTokenizer(text);
  const ids = tokenizer.encode(text);
  const trainLength = Math.floor(ids.length * (1 - heldoutFraction));
  const train = ids.subarray(0, trainLength);
  const heldout = ids.subarray(trainLength);
  const shardLength = Math.floor(trainLength / numShards);
  if (shardLength < 2) {
    throw new ConfigError('corpus.numShards', numShards, `leaves shards of ${shardLength} tokens (train text: ${trainLength} tokens)`);
  }
  return Object.freeze({
    tokenizer,
    train,
    heldout,
    numShards,
    shardLength,
    shard(id: number): Uint8Array {
      if (!Number.isInteger(id) || id < 0 || id >= numShards) throw new ConfigError('shard id', id, `must be an integer in [0, ${numShards})`);
      return train.subarray(id * shardLength, (id + 1) * shardLength);
    },
  });
}
