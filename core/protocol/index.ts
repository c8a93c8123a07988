/**
 * The round protocol, shared by the simulator and the real cluster: the per-round state machine,
 * global progress and catch-up, deterministic data shards, and object-store key names. All pure:
 * time and randomness come in as inputs.
 *
 * @example
 * import { openRound, GlobalProgress, assignShards, updateKey } from './core/protocol/index.ts';
 */
export { ProtocolError, RoundState, openRound, selectAll } from './round.ts';
export type {
  ClosedRound,
  FinaliseOptions,
  FinaliseReport,
  OpenRoundParameters,
  ProtocolErrorReason,
  RoundCounters,
  RoundOutcome,
  RoundPhase,
  SelectionHook,
  Submission,
  SubmissionInput,
  SubmitOutcome,
} from './round.ts';
export { GlobalProgress, catchUpPlan } from './progress.ts';
export type { CatchUpOptions, CatchUpPlan } from './progress.ts';
export { MAX_SHARDS, assignShards, peerDataRng, shardsForPeer } from './shards.ts';
export type { AssignShardsParameters, ShardsForPeerParameters } from './shards.ts';
export { KEY_VERSION, StorageKeyError, aggregateKey, checkpointKey, parseStorageKey, updateKey } from './keys.ts';
export type { StorageKey, StorageKeyErrorReason } from './keys.ts';
export { gatherFromList, publishPeerList } from './peer-list.ts';
export type { GatherAvailability, GatherFailure, GatherResult, PeerList, PublishPeerListParameters } from './peer-list.ts';
export { StepSizeTracker, TEMPLAR_SYNC, measureSyncScore, syncSampleIndices, syncScoreFromSteps } from './sync-score.ts';
export type { SyncMeasurement } from './sync-score.ts';
export { isNullRound, sessionStartAfter } from './null-rounds.ts';
