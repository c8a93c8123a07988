/** Aggregation weighting rules (issue 17): one interface, four rules, one normalisation. */
export { createWeightingRule, resolveWeightingSpec, WEIGHTING_DEFAULTS, WEIGHTING_KINDS } from './rules.ts';
export type { PeerEvidence, ResolvedWeightingSpec, RoundEvidence, TrustReference, WeightingKind, WeightingRule, WeightingSpec } from './rules.ts';
export { normaliseMerits } from './normalise.ts';
export type { PeerMerit } from './normalise.ts';
export { cosineTo, cosineToMean } from './cosine.ts';
export type { PeerVector } from './cosine.ts';
