/** The validator's round for the simulator and the cluster: defence config, robust step, `aggregateRound`. */
export * from './aggregate-round.ts';
export * from './config.ts';
export * from './decode-dense.ts';
export * from './reasons.ts';
export * from './robust-step.ts';
export * from './chain-post.ts';
