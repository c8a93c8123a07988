/**
 * The robust aggregators and a factory from typed config, so an experiment names its defence as
 * data: `createRobustAggregator({ kind: 'trimmed-mean', beta: 0.2 })`.
 */
import { ConfigError } from '../errors.ts';
import type { RobustAggregator } from './aggregator.ts';
import { CenteredClippingAggregator } from './centered-clipping.ts';
import type { CenteredClippingStart } from './centered-clipping.ts';
import { KrumAggregator } from './krum.ts';
import { MeanAggregator } from './mean.ts';
import { CoordinateMedianAggregator } from './median.ts';
import { NormClippingAggregator } from './norm-clipping.ts';
import { TrimmedMeanAggregator } from './trimmed-mean.ts';

export * from './aggregator.ts';
export { CenteredClippingAggregator, KrumAggregator, MeanAggregator, CoordinateMedianAggregator, NormClippingAggregator, TrimmedMeanAggregator };
export type { CenteredClippingOptions, CenteredClippingStart } from './centered-clipping.ts';

/** Typed config of one robust aggregator. */
export type RobustAggregatorSpec =
  | { readonly kind: 'mean' }
  | { readonly kind: 'median' }
  | { readonly kind: 'trimmed-mean'; readonly beta: number }
  | { readonly kind: 'norm-clip'; readonly bound: number | 'median' }
  | { readonly kind: 'centered-clip'; readonly tau: number; readonly iterations: number; readonly start?: CenteredClippingStart }
  | { readonly kind: 'krum'; readonly f: number; readonly m?: number };

/** Builds the aggregator a spec names; throws {@link ConfigError} for an unknown kind or bad argument. */
export function createRobustAggregator(spec: RobustAggregatorSpec): RobustAggregator {
  switch (spec.kind) {
    case 'mean':
      return new MeanAggregator();
    case 'median':
      return new CoordinateMedianAggregator();
    case 'trimmed-mean':
      return new TrimmedMeanAggregator(spec.beta);
    case 'norm-clip':
      return new NormClippingAggregator(spec.bound);
    case 'centered-clip':
      return new CenteredClippingAggregator(spec);
    case 'krum':
      return new KrumAggregator(spec);
    default:
      throw new ConfigError('robust.kind', (spec as { kind: unknown }).kind, 'must be one of mean, median, trimmed-mean, norm-clip, centered-clip, krum');
  }
}
