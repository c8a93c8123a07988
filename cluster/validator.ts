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
 * Restart-safe for 'none' and 'robust': a restarted validator catches up like a peer, then redoes
 * any round not yet finalised (the computation is deterministic, and objects it rewrites get the
 * same bytes); for a round finalised before the restart it recomputes and checks its hash against
 * the posted one. NOT for 'gauntlet-oracle' yet: its rating state lives in the process, so a
 * restarted validator starts Gauntlet from an empty state (persisting it is open work).
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
import type { Commitment } from '../core/gauntlet/integrity.ts';
import { checkSubmission } from '../core/gauntlet/integrity.ts';
import type { GauntletState } from '../core/gauntlet/rating.ts';
import { fnv1a, paramBytes } from '../core/hash.ts';
import { assignShards, updateKey } from '../core/protocol/index.ts';
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
import { baseStepClaimKey, getJsonOrNull, putJson, validatorReportKey } from './store-keys.ts';
import { catchUp, writeCheckpoint } from './sync.ts';

const since = (t0: number): number => (performance.now() - t0) / 1000;

/** What the validator keeps across rounds: Gauntlet's rating state (the oracle only) and its randomness. */
interface ValidatorMemory {
  gauntletState: GauntletState;
  /** The simulator's 'defence' stream (sim/context.ts), forked per round as it forks it. */
  readonly rng: Rng;
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
  const memory: ValidatorMemory = { gauntletState: { rounds: 0, peers: new Map() }, rng: createRng(ctx.cfg.seed).fork('defence') };
  for (let round = (caught.lastRound ?? -1) + 1; round < plan.rounds; round++) {
    globalStep = await validateOne(ctx, replica, plan, memory, round, globalStep);
  }
  notifyParent({ kind: 'done', role: 'validator' });
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
  const out = defend(ctx, replica, plan, memory, round, globalStep, committed);
  const contributors = out.report.applied ? [...out.report.contributors] : [];
  const status = contributors.length > 0 ? 'finalised' : 'skipped';
  if (status === 'finalised') globalStep++;
  const aggregateHash = paramsHash(replica.params);
  const validateS = since(t0);

  t0 = performance.now();
  const checkpoint = status === 'finalised' && globalStep % plan.checkpointEvery === 0;
  // The checkpoint goes in before the results: a peer that sees the round finalised finds it.
  if (checkpoint) await writeCheckpoint(ctx.store, globalStep, replica.params);
  const maxSelected = Math.min(ctx.cfg.peers, ctx.cfg.chain.maxSelected);
  const post = chainPost(contributors.map((uid) => ({ uid, weight: out.weights?.get(uid) ?? null })), out.weights !== null, maxSelected);
  await postOnce(ctx, chainRound, post.uids, post.weights, aggregateHash, window.lastBlock + 1n);
  const slashed = await slashOnce(ctx, out.slashes.map((s) => s.uid), BigInt(ctx.cfg.chain.slashAmount));
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
    evaluated: out.verdicts.filter((v) => v.score !== undefined).length,
    globalStep,
    heldoutLoss,
    bytesUp: committed.reduce((a, c) => a + (c.bytes?.length ?? 0), 0),
    fetchS,
    validateS,
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
    loss: (p, data) => replica.backend.evaluate(p, data), // real forward passes of the run's model
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
 * returns the uids slashed. A peer with no stake left is skipped.
 */
async function slashOnce(ctx: NodeContext, uids: readonly number[], slashAmount: bigint): Promise<number[]> {
  const done: number[] = [];
  for (const uid of uids) {
    const amount = slashAmountOf((await ctx.chain.peer({ uid })).stake, slashAmount);
    if (amount === 0n) continue;
    await ctx.chain.slash({ uid, amount, reasonCode: SLASH_REASON_CODES['repeated-failures'] });
    done.push(uid);
  }
  return done;
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

async function getOrNull(ctx: NodeContext, key: string): Promise<Uint8Array | null> {
  try {
    return await ctx.store.get(key);
  } catch (error) {
    if (error instanceof StoreError && error.reason === 'not-found') return null;
    throw error;
  }
}

if (process.argv[1]?.endsWith('validator.ts')) runMain('validator', async () => runValidator(await openNode(parseNodeArgs(process.argv.slice(2)))));
