/**
 * The validator process: after each round's window closes it reads the commitments from the
 * chain, fetches each committed object from the store and runs the run's defence through
 * `aggregateRound` (core/defence — the same round the simulator's validator runs): for 'none' and
 * 'robust' the integrity fast filter first (core/gauntlet/integrity.ts: hash matches the
 * commitment, decodes, right config, finite; failures go in as data), then the communicator's
 * apply or the robust step; for 'gauntlet-oracle' Gauntlet itself — integrity, loss scores from
 * real forward passes of the model on each sampled peer's assigned and on random shards, rating,
 * penalties, top-G selection, weights. It writes a checkpoint every `checkpointEvery` global
 * steps, posts `postResults(round, uids, weights, aggregateHash = sha256(params))` (weights as
 * the simulator's chain mirror posts them, core/defence/chain-post.ts), slashes through the
 * contract what Gauntlet decided, evaluates the held-out loss and leaves a
 * {@link ValidatorRoundReport} in the store.
 *
 * The lagged 'gauntlet' (templar's validator, core/gauntlet/lagged.ts, what the simulator's
 * validator node runs): the round aggregates the messages gathered from the peer list in force
 * (core/protocol/peer-list-schedule.ts, written to the store as `cluster/peer-list-<round>.json`;
 * core/protocol/gather-committed.ts) with the communicator's own apply and posts the weights the
 * validator last set; the window is then judged (forward passes on θ as the peers started from
 * it) and its judgement lands `gauntlet.validatorBusyWindows` windows later (1 when unset: the
 * simulator's timed lag is not reproducible on a real clock), setting weights and the next list.
 *
 * Restart-safe: the validator's memory (Gauntlet's ratings and history, the lagged validator's
 * pending judgement and peer list) is written to the store after each round's computation and
 * before its chain actions (cluster/validator-state.ts). A restarted validator catches up like a
 * peer, loads the memory of the last finalised round, finishes that round's slashes and redoes
 * any round not yet finalised (the computation is deterministic, and objects it rewrites get the
 * same bytes).
 *
 *   npx tsx cluster/validator.ts --rpc http://127.0.0.1:8545 --store /tmp/run/store --key 0x…
 */
import { performance } from 'node:perf_hooks';
import { ChainRevertError } from '../chain/errors.ts';
import type { PeerMessage } from '../core/baselines/index.ts';
import { aggregateRound } from '../core/defence/aggregate-round.ts';
import type { AggregateRoundResult, OracleContext } from '../core/defence/aggregate-round.ts';
import { SLASH_REASON_CODES, chainPost, slashAmountOf } from '../core/defence/chain-post.ts';
import type { RoundFailure } from '../core/defence/reasons.ts';
import { gauntletConfigOf } from '../core/defence/config.ts';
import type { GauntletConfig } from '../core/gauntlet/config.ts';
import type { Commitment } from '../core/gauntlet/integrity.ts';
import { checkSubmission } from '../core/gauntlet/integrity.ts';
import { LaggedSchedule, judgeLaggedWindow, planLaggedWindow, postOfJudgement } from '../core/gauntlet/lagged.ts';
import type { LaggedWindowInput } from '../core/gauntlet/lagged.ts';
import type { GauntletState } from '../core/gauntlet/rating.ts';
import type { LossOracle } from '../core/gauntlet/score.ts';
import { createValidatorWindowState } from '../core/gauntlet/window.ts';
import type { ValidatorWindowState } from '../core/gauntlet/window.ts';
import { assertInvariant } from '../core/errors.ts';
import { fnv1a, paramBytes } from '../core/hash.ts';
import type { SparseLocoConfig } from '../core/sparseloco/config.ts';
import { gatherCommitted, passesGatherChecks } from '../core/protocol/gather-committed.ts';
import { assignShards, measureSyncScore, syncSampleIndices, updateKey } from '../core/protocol/index.ts';
import type { GatherResult } from '../core/protocol/index.ts';
import { PeerListSchedule } from '../core/protocol/peer-list-schedule.ts';
import { createRng } from '../core/rng.ts';
import type { Rng } from '../core/rng.ts';
import { StoreError } from '../backends/store/index.ts';
import { waitForBlock, waitForFinalised } from './chain-wait.ts';
import { ClusterError } from './errors.ts';
import { paramsHash, sha256Hex } from './hashes.ts';
import { notifyParent, openNode, parseNodeArgs, readPlan, runMain } from './node-context.ts';
import type { NodeContext } from './node-context.ts';
import { chainRoundOf, windowOf } from './plan.ts';
import type { ClusterPlan } from './plan.ts';
import type { ValidatorRoundReport } from './reports.ts';
import { createReplica } from './replica.ts';
import type { Replica } from './replica.ts';
import { baseStepClaimKey, getJsonOrNull, peerListKey, putJson, validatorReportKey } from './store-keys.ts';
import { catchUp, writeCheckpoint } from './sync.ts';
import { getValidatorState, putValidatorState } from './validator-state.ts';
import type { LandingJudgement, ValidatorStateFile } from './validator-state.ts';

const since = (t0: number): number => (performance.now() - t0) / 1000;

/** What the validator keeps across rounds: Gauntlet's state and its randomness (persisted, cluster/validator-state.ts). */
interface ValidatorMemory {
  /** The oracle's rating state ('gauntlet-oracle'). */
  gauntletState: GauntletState;
  /** The simulator's 'defence' stream (sim/context.ts), forked per round as it forks it. */
  readonly rng: Rng;
  /** The lagged validator ('gauntlet'); null for the other defences. */
  readonly lagged: LaggedValidatorMemory | null;
}

/** The lagged validator's memory (core/gauntlet/lagged.ts). MUTATED each round. */
interface LaggedValidatorMemory {
  readonly gauntlet: GauntletConfig;
  state: ValidatorWindowState;
  readonly schedule: LaggedSchedule<LandingJudgement>;
  /** The weights last set on chain (null before the first): what each round posts. */
  chainWeights: ReadonlyMap<number, number> | null;
  /** The peer list (gather-G); null for the all-gather. */
  readonly peerList: PeerListSchedule | null;
  /** The simulator's 'validator' stream (sim/context.ts). */
  readonly rng: Rng;
  skipped: number;
}

/** A round's commitment as the validator reads it: chain hash, store object, claimed base step (null: the current global step). */
interface Committed {
  readonly uid: number;
  readonly hash: string;
  readonly bytes: Uint8Array | null;
  readonly baseStep: number | null;
}

/** Runs the validator until the plan's last round is finalised. */
export async function runValidator(ctx: NodeContext): Promise<void> {
  const replica = await createReplica(ctx.cfg);
  if (!(await ctx.chain.isValidator({ account: ctx.account }))) {
    throw new ClusterError('process-exit', `account ${ctx.account} does not hold the validator role on ${ctx.coordinator}`);
  }
  notifyParent({ kind: 'ready', role: 'validator', uid: null });
  const plan = await readPlan(ctx.store);
  const caught = await catchUp(replica, ctx.store, ctx.chain, plan);
  let globalStep = caught.globalStep;
  const saved = caught.lastRound === null ? null : await getValidatorState(ctx.store, caught.lastRound);
  if (caught.lastRound !== null && saved === null) throw new ClusterError('missing-object', `validator state of finalised round ${caught.lastRound} is missing from the store`);
  const memory = memoryOf(ctx, saved);
  notifyParent({ kind: 'caught-up', role: 'validator', uid: null, round: (caught.lastRound ?? -1) + 1 });
  // A restart after round L was finalised: finish L's slashes (those past the recorded count are done).
  if (saved !== null) await slashOnce(ctx, saved.slashes, BigInt(ctx.cfg.chain.slashAmount), BigInt(saved.slashCountBefore));
  for (let round = (caught.lastRound ?? -1) + 1; round < plan.rounds; round++) {
    globalStep = await validateOne(ctx, replica, plan, memory, round, globalStep);
  }
  notifyParent({ kind: 'done', role: 'validator' });
}

/** The validator's memory, fresh or as saved after a round. */
function memoryOf(ctx: NodeContext, saved: ValidatorStateFile | null): ValidatorMemory {
  const root = createRng(ctx.cfg.seed);
  const gauntlet = ctx.cfg.defence.kind === 'gauntlet' ? gauntletConfigOf(ctx.cfg.defence)! : null;
  const gather = ctx.cfg.gather;
  const lagged: LaggedValidatorMemory | null = gauntlet === null ? null : {
    gauntlet,
    state: saved?.lagged?.state ?? createValidatorWindowState(),
    schedule: new LaggedSchedule(gauntlet.validatorBusyWindows ?? 1, saved?.lagged?.pending ?? null),
    chainWeights: saved?.lagged?.chainWeights ?? null,
    peerList: gather === undefined || gather.peers === 'all' ? null : new PeerListSchedule({ ...gather, peers: gather.peers }, saved?.lagged?.peerList ?? undefined),
    rng: root.fork('validator'),
    skipped: saved?.lagged?.skipped ?? 0,
  };
  return { gauntletState: saved?.gauntletState ?? { rounds: 0, peers: new Map() }, rng: root.fork('defence'), lagged };
}

/** Validates, aggregates and finalises one round; returns the global step after it. */
async function validateOne(ctx: NodeContext, replica: Replica, plan: ClusterPlan, memory: ValidatorMemory, round: number, globalStep: number): Promise<number> {
  const window = windowOf(plan, round);
  const chainRound = chainRoundOf(plan, round);
  await waitForBlock(ctx.chain, window.lastBlock + 1n);

  let t0 = performance.now();
  const peerCount = Number(await ctx.chain.peerCount());
  const committed: Committed[] = [];
  for (let uid = 0; uid < peerCount; uid++) {
    const c = await ctx.chain.commitment({ round: chainRound, uid });
    if (/^0x0*$/.test(c.updateHash)) continue;
    const claim = await getJsonOrNull<{ baseStep: number }>(ctx.store, baseStepClaimKey(round, uid));
    committed.push({ uid, hash: c.updateHash, bytes: await getOrNull(ctx, updateKey(round, uid)), baseStep: claim?.baseStep ?? null });
  }
  const fetchS = since(t0);
  notifyParent({ kind: 'phase', role: 'validator', uid: null, round, phase: 'fetched' });

  t0 = performance.now();
  const scoring = timedLoss(replica);
  const lagged = memory.lagged;
  const registered = Array.from({ length: peerCount }, (_, uid) => uid);
  // The lagged validator: the list in force (taken as the round opened, as in the simulator), then the judgement landing now.
  const list = lagged?.peerList?.listFor(round, registered) ?? null;
  if (list !== null) await putJson(ctx.store, peerListKey(round), list);
  const landed = lagged === null ? null : landJudgement(lagged, round, registered, ctx.cfg.gather);
  const gather = list === null ? null : gatherCommitted(list, onTimeOf(committed), (bytes) => passesGatherChecks(bytes, replica.backend.layout, sparseLocoOf(replica)));
  const aggregated = gather === null ? committed : committed.filter((c) => gather.used.includes(c.uid));
  const paramsBefore = lagged === null ? null : replica.params.slice();
  const out = defend(ctx, replica, plan, memory, round, globalStep, aggregated, scoring.loss);
  const contributors = out.report.applied ? [...out.report.contributors] : [];
  const status = contributors.length > 0 ? 'finalised' : 'skipped';
  const weights = lagged === null ? out.weights : lagged.chainWeights;
  const slashes = lagged === null ? out.slashes.map((s) => s.uid) : [...(landed?.slashed ?? [])];
  lagged?.peerList?.recordRound(status, contributors, weights);
  const judged = lagged === null ? 0 : judgeWindow(lagged, replica, plan, round, globalStep, paramsBefore!, committed, gather === null ? null : { result: gather, listed: list!.primaries.length }, registered, scoring.loss);
  if (status === 'finalised') globalStep++;
  const aggregateHash = paramsHash(replica.params);
  const validateS = since(t0);

  t0 = performance.now();
  const checkpoint = status === 'finalised' && globalStep % plan.checkpointEvery === 0;
  // The checkpoint goes in before the results: a peer that sees the round finalised finds it.
  if (checkpoint) await writeCheckpoint(ctx.store, globalStep, replica);
  const maxSelected = Math.min(ctx.cfg.peers, ctx.cfg.chain.maxSelected);
  const post = chainPost(contributors.map((uid) => ({ uid, weight: weights?.get(uid) ?? null })), weights !== null, maxSelected);
  // The memory goes in before the chain actions: a restarted validator neither loses it nor slashes twice.
  const slashCountBefore = await ctx.chain.slashCount();
  await putValidatorState(ctx.store, stateFileOf(memory, round, slashes, slashCountBefore));
  await postOnce(ctx, chainRound, post.uids, post.weights, aggregateHash, window.lastBlock + 1n);
  const slashed = await slashOnce(ctx, slashes, BigInt(ctx.cfg.chain.slashAmount), slashCountBefore);
  const postS = since(t0);
  notifyParent({ kind: 'phase', role: 'validator', uid: null, round, phase: 'finalised' });
  const finalisedAtMs = Date.now();

  t0 = performance.now();
  const heldoutLoss = replica.backend.evaluate(replica.params, 'heldout');
  const evalS = since(t0);
  const report: ValidatorRoundReport = {
    round,
    status,
    committed: committed.map((c) => c.uid),
    valid: committed.filter((c) => c.bytes !== null).map((c) => c.uid),
    rejected: out.rejections.map((r) => `${r.uid}:${r.reason}`),
    contributors,
    postedUids: post.uids,
    postedWeights: post.weights,
    slashed,
    evaluated: lagged === null ? out.verdicts.filter((v) => v.score !== undefined).length : judged,
    gatherListed: list?.primaries.length ?? null,
    validatorSkipped: lagged?.skipped ?? 0,
    globalStep,
    heldoutLoss,
    bytesUp: committed.reduce((a, c) => a + (c.bytes?.length ?? 0), 0),
    fetchS,
    validateS,
    scoreS: scoring.seconds(),
    postS,
    evalS,
    finalisedAtMs,
    paramsFnv: fnv1a(paramBytes(replica.params)),
    checkpoint,
    backendName: replica.backend.name,
    engine: replica.engine,
    device: replica.device,
  };
  await putJson(ctx.store, validatorReportKey(round), report);
  return globalStep;
}

/**
 * The round's defence (`aggregateRound`) on the committed objects. 'none' / 'robust': the
 * integrity filter turns away what fails it (as data); the oracle runs its own integrity checks.
 * On-time is proven by the commitment's block (the contract refuses late commits), so every
 * committed object arrived at 0 s of a window ending at 0 s. MUTATES the replica and `memory`.
 */
function defend(
  ctx: NodeContext,
  replica: Replica,
  plan: ClusterPlan,
  memory: ValidatorMemory,
  round: number,
  globalStep: number,
  committed: readonly Committed[],
  loss: LossOracle,
): AggregateRoundResult {
  const layout = replica.backend.layout;
  const gauntlet = ctx.cfg.defence.kind === 'gauntlet-oracle' ? gauntletConfigOf(ctx.cfg.defence) : null;
  const accepted: PeerMessage[] = [];
  const failures: RoundFailure[] = [];
  const commitments = new Map<number, Commitment>();
  for (const c of committed) {
    const commitment = { hash: c.hash, baseStep: c.baseStep ?? globalStep };
    commitments.set(c.uid, commitment);
    if (gauntlet !== null) {
      if (c.bytes !== null) accepted.push({ peerUid: c.uid, bytes: c.bytes });
      continue;
    }
    if (replica.sparseloco === null) {
      // DiLoCo: the hash against the commitment here; decoding is the communicator's apply, as in the simulator.
      if (c.bytes !== null && sha256Hex(c.bytes) === c.hash) accepted.push({ peerUid: c.uid, bytes: c.bytes });
      else failures.push({ uid: c.uid, reason: c.bytes === null ? 'missing' : 'hash-mismatch' });
      continue;
    }
    const verdict = checkSubmission({ bytes: c.bytes, commitment, arrivedAt: 0 }, { layout, cfg: replica.sparseloco, hash: sha256Hex, windowEnd: 0, globalStep });
    if (verdict.ok) accepted.push({ peerUid: c.uid, bytes: c.bytes! });
    else failures.push({ uid: c.uid, reason: verdict.reason });
  }
  const roster = plan.rosters[round]!;
  const assignments = assignShards({ seed: ctx.cfg.seed, round, activePeers: roster, numShards: replica.backend.numShards, shardsPerPeer: ctx.cfg.shardsPerPeer });
  const oracle: OracleContext | null = gauntlet === null ? null : {
    gauntlet,
    state: memory.gauntletState,
    numShards: replica.backend.numShards,
    loss, // real forward passes of the run's model
    hash: sha256Hex,
    rng: memory.rng.fork(`round:${round}`),
  };
  const out = aggregateRound({
    defence: ctx.cfg.defence,
    round,
    globalStep,
    params: replica.params,
    shared: replica.shared,
    accepted,
    failures,
    windowEnd: 0,
    arrivedAt: new Map(accepted.map((m) => [m.peerUid, 0])),
    commitments,
    assignments,
    layout,
    sparseloco: replica.sparseloco,
    comm: replica.comm,
    oracle,
  });
  if (out.nextState !== null) memory.gauntletState = out.nextState;
  return out;
}

/**
 * Slashes `uids` (ascending) through the contract, each the run's amount capped at its stake;
 * returns the uids slashed. A peer with no stake left is skipped. The chain's slash records from
 * index `slashCountBefore` on are this round's (only the validator slashes), so a validator
 * redoing the round after a restart skips the uids they name.
 */
async function slashOnce(ctx: NodeContext, uids: readonly number[], slashAmount: bigint, slashCountBefore: bigint): Promise<number[]> {
  const done = new Set<number>();
  for (let i = slashCountBefore; i < (await ctx.chain.slashCount()); i++) done.add((await ctx.chain.slashRecord({ index: i })).uid);
  const out: number[] = [];
  for (const uid of uids) {
    if (!done.has(uid)) {
      const amount = slashAmountOf((await ctx.chain.peer({ uid })).stake, slashAmount);
      if (amount === 0n) continue;
      await ctx.chain.slash({ uid, amount, reasonCode: SLASH_REASON_CODES['repeated-failures'] });
    }
    out.push(uid);
  }
  return out;
}

/**
 * Posts the round's results unless they are already on chain (a restarted validator redoing a
 * round); then the posted hash must equal ours, or this replica has diverged.
 */
async function postOnce(ctx: NodeContext, chainRound: bigint, uids: readonly number[], weights: readonly number[], aggregateHash: `0x${string}`, fromBlock: bigint): Promise<void> {
  if (!(await ctx.chain.isFinalised({ round: chainRound }))) {
    try {
      await ctx.chain.postResults({ round: chainRound, uids, weights, aggregateHash });
      return;
    } catch (error) {
      if (!(error instanceof ChainRevertError && error.errorName === 'ValidationResultsAlreadyFinalised')) throw error;
    }
  }
  const posted = await waitForFinalised(ctx.chain, chainRound, fromBlock);
  if (posted.aggregateHash !== aggregateHash) {
    throw new ClusterError('diverged', `round ${chainRound} was finalised with aggregate hash ${posted.aggregateHash}, this validator computes ${aggregateHash}`);
  }
}

/** The run's SparseLoCo config; the Gauntlet paths only run on SparseLoCo (replica.ts refuses the rest). */
function sparseLocoOf(replica: Replica): SparseLocoConfig {
  assertInvariant(replica.sparseloco !== null, `Gauntlet runs on SparseLoCo messages (method "${replica.cfg.optim.method}")`);
  return replica.sparseloco;
}

/** The committed objects that are in the store, by uid (on time: the contract refuses late commits). */
function onTimeOf(committed: readonly { uid: number; bytes: Uint8Array | null }[]): Map<number, Uint8Array> {
  return new Map(committed.filter((c) => c.bytes !== null).map((c) => [c.uid, c.bytes!]));
}

/** A loss oracle over the replica's model that adds up the wall time of its forward passes. */
function timedLoss(replica: Replica): { loss: LossOracle; seconds: () => number } {
  let total = 0;
  return {
    loss: (params, data) => {
      const t0 = performance.now();
      const value = replica.backend.evaluate(params, data);
      total += since(t0);
      return value;
    },
    seconds: () => total,
  };
}

/**
 * Lands the lagged judgement due at this round's close (before its chain post), as the
 * simulator's validator does (sim/validator.ts `finishDue`): keeps its state, sets the weights
 * when its window sets them, hands its peer list to the schedule. Returns it, or null.
 */
function landJudgement(lagged: LaggedValidatorMemory, round: number, registered: readonly number[], gather: NodeContext['cfg']['gather']): LandingJudgement | null {
  const due = lagged.schedule.takeDue(round);
  if (due === null) return null;
  lagged.state = due.result.nextState;
  const listed = gather === undefined || gather.peers === 'all' ? null : { peers: gather.peers, reserves: gather.reserves };
  const post = postOfJudgement(due, {
    registered,
    currentWindow: round, // the close of window round − 1 was the last one before it landed
    gatherCount: listed?.peers ?? Math.max(1, registered.length),
    reserveCount: listed?.reserves ?? 0,
    gauntlet: lagged.gauntlet,
  });
  if (post.setsWeights) lagged.chainWeights = post.weights;
  lagged.peerList?.acceptPost(post);
  return due;
}

/**
 * Judges window `round` unless the validator is still busy with an earlier one (then it is
 * skipped): the gathered and the sampled messages, forward passes on θ as the peers started from
 * it (`paramsBefore`). Every peer on the cluster trains from the window's global θ (it syncs
 * before it trains), so each one's sync measure compares that θ with itself. Returns the peers
 * evaluated.
 */
function judgeWindow(
  lagged: LaggedValidatorMemory,
  replica: Replica,
  plan: ClusterPlan,
  round: number,
  globalStep: number,
  paramsBefore: Float32Array,
  committed: readonly Committed[],
  gather: { readonly result: GatherResult; readonly listed: number } | null,
  registered: readonly number[],
  loss: LossOracle,
): number {
  if (lagged.schedule.isBusy()) {
    lagged.skipped++;
    return 0;
  }
  const layout = replica.backend.layout;
  const arrived = onTimeOf(committed);
  const roster = plan.rosters[round]!;
  const gathered = gather === null ? [...arrived.keys()].sort((a, b) => a - b) : [...gather.result.used];
  const listed = gather === null ? gathered.length : gather.listed;
  const sample = syncSampleIndices(layout);
  const inSync = measureSyncScore(paramsBefore, paramsBefore, sample, null);
  const input: LaggedWindowInput = {
    window: round,
    globalStep,
    params: paramsBefore,
    windowEnd: 0,
    assignments: assignShards({ seed: replica.cfg.seed, round, activePeers: roster, numShards: replica.backend.numShards, shardsPerPeer: replica.cfg.shardsPerPeer }),
    gathered,
    skipped: gather === null ? [] : gather.result.failed.map((f) => f.uid).sort((a, b) => a - b),
    successRate: listed === 0 ? 1 : Math.min(1, gathered.length / listed),
    arrived,
    arrivedAt: new Map([...arrived.keys()].map((uid) => [uid, 0])),
    commitments: new Map(committed.map((c) => [c.uid, { hash: c.hash, baseStep: c.baseStep ?? globalStep }])),
    sync: new Map(roster.map((uid) => [uid, { avgStepsBehind: inSync.avgStepsBehind, syncScore: inSync.score }])),
    registered,
  };
  const planned = planLaggedWindow(lagged.state, input, lagged.gauntlet, lagged.rng);
  const judgement = judgeLaggedWindow({ input, plan: planned, state: lagged.state, layout, sparseloco: sparseLocoOf(replica), gauntlet: lagged.gauntlet, numShards: replica.backend.numShards, loss, hash: sha256Hex, rng: lagged.rng });
  const { weights, excluded, nextState } = judgement.result;
  lagged.schedule.start(round, { window: round, result: { weights, excluded, nextState }, slashed: judgement.slashed });
  return judgement.result.evaluated.filter((v) => v.score !== undefined).length;
}

/** The memory to persist after round `round` (cluster/validator-state.ts). */
function stateFileOf(memory: ValidatorMemory, round: number, slashes: readonly number[], slashCountBefore: bigint): ValidatorStateFile {
  const l = memory.lagged;
  return {
    round,
    gauntletState: memory.gauntletState,
    lagged: l === null ? null : { state: l.state, pending: l.schedule.pending, chainWeights: l.chainWeights, peerList: l.peerList?.snapshot() ?? null, skipped: l.skipped },
    slashes,
    slashCountBefore: slashCountBefore.toString(),
  };
}

async function getOrNull(ctx: NodeContext, key: string): Promise<Uint8Array | null> {
  try {
    return await ctx.store.get(key);
  } catch (error) {
    if (error instanceof StoreError && error.reason === 'not-found') return null;
    throw error;
  }
}

if (process.argv[1]?.endsWith('validator.ts')) runMain('validator', async () => runValidator(await openNode(parseNodeArgs(process.argv.slice(2)))));
