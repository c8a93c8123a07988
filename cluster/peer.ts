/**
 * A peer process: registers and stakes with its own key, then for each round of the plan waits for
 * the window, trains H inner steps from the global params (the tfjs GPT or the surrogate, as the
 * experiment says), encodes with the communicator, uploads to the store under
 * `updateKey(round, uid)`, commits the message's sha256 on chain, waits for `RoundFinalised`,
 * downloads the selected messages and applies them in ascending uid order — after which its params
 * must hash to the validator's aggregate hash, or it stops with a 'diverged' error. A uid the
 * config's `adversaries` roster names attacks instead (cluster/attacks.ts: same keys and roster as
 * the simulator; sybil and colluding identities share their operator's objects in the store).
 *
 * A (re)started peer first catches up from the newest checkpoint plus the finalised rounds after
 * it. With `--state-dir` it saves its error-feedback buffer, AdamW moments and step count after
 * each round's encode (cluster/local-state.ts) and, under `churn.restart: 'resume'` (the
 * default), a restarted peer reads them back, so it continues bit-identically — as the simulator
 * models a returning peer (sim/peer-state.ts); under 'fresh' (or without a folder) it starts both
 * anew.
 *
 *   npx tsx cluster/peer.ts --rpc http://127.0.0.1:8545 --store /tmp/run/store --key 0x… [--state-dir DIR]
 */
import { performance } from 'node:perf_hooks';
import { ChainRevertError } from '../chain/errors.ts';
import type { ChainClient } from '../chain/types.ts';
import type { PeerMessage } from '../core/baselines/index.ts';
import { fnv1a, paramBytes } from '../core/hash.ts';
import { assignShards, isNullRound, sessionStartAfter, updateKey } from '../core/protocol/index.ts';
import { waitForBlock, waitForFinalised } from './chain-wait.ts';
import { storageKeyBytes32 } from './hashes.ts';
import { notifyParent, openNode, parseNodeArgs, readPlan, runMain } from './node-context.ts';
import type { NodeContext } from './node-context.ts';
import { chainRoundOf, windowOf } from './plan.ts';
import type { ClusterPlan } from './plan.ts';
import type { PeerRoundReport } from './reports.ts';
import { createReplica } from './replica.ts';
import type { Replica } from './replica.ts';
import { peerReportKey, putJson } from './store-keys.ts';
import { applyFinalisedRound, catchUp } from './sync.ts';
import { attackRoster, prepareUpload } from './attacks.ts';
import type { RosterEntry } from './attacks.ts';
import { restartSemanticsOf } from '../sim/peer-state.ts';
import { LocalPeerState } from './local-state.ts';

/** This peer's uid: the live identity of its account, registering (with the minimum stake) if it has none. */
export async function ensureRegistered(chain: ChainClient): Promise<number> {
  if (await chain.isRegistered({ account: chain.account })) return chain.uidOf({ account: chain.account });
  const { minStake } = await chain.config();
  return (await chain.register({ stake: minStake })).uid;
}

/** Wall seconds since `t0` (performance.now() ms). */
const since = (t0: number): number => (performance.now() - t0) / 1000;

/** What one round's training and submission produced. */
interface Submitted {
  readonly own: PeerMessage | null;
  readonly uploadedBytes: number; // bytes put in the store (on time or not)
  readonly missed: string | null;
  readonly trainS: number;
  readonly compressS: number;
  readonly uploadS: number;
  readonly commitS: number;
  readonly tokens: number;
  readonly trainLoss: number | null;
}

/** Runs the peer until the plan's last round is synced. */
export async function runPeer(ctx: NodeContext): Promise<void> {
  const replica = await createReplica(ctx.cfg);
  const uid = await ensureRegistered(ctx.chain);
  notifyParent({ kind: 'ready', role: 'peer', uid });
  const plan = await readPlan(ctx.store);
  const trainer = replica.backend.createTrainer(uid);
  const commState = replica.comm.createPeerState();
  const deltaOut = new Float32Array(replica.backend.layout.size);
  const attacks = attackRoster(ctx.cfg); // the simulator's roster: which uids attack, and how

  let t0 = performance.now();
  const caught = await catchUp(replica, ctx.store, ctx.chain, plan);
  let catchUpS = since(t0);
  let catchUpBytes = caught.bytes;
  let globalStep = caught.globalStep; // outer steps finalised so far: the base step of the next training
  const firstRound = (caught.lastRound ?? -1) + 1;
  const local = ctx.stateDir === undefined ? null : new LocalPeerState(ctx.stateDir, ctx.cfg.optim.method);
  // Committed in `firstRound` already (its process or orchestrator died before the round was
  // finalised): the message in the store stands, and the state saved with it is this peer's.
  const committedFirst = firstRound < plan.rounds && plan.rosters[firstRound]!.includes(uid) && (await ownCommitted(ctx, plan, firstRound, uid));
  // The state saved after the last round encoded before `firstRound` (or in it, when committed):
  // always after a death the plan did not schedule, and after a churn restart under 'resume'.
  const churnRestart = firstRound > 0 && sessionStartOf(plan, uid, firstRound) === firstRound;
  if (local !== null && (!churnRestart || restartSemanticsOf(ctx.cfg.churn) === 'resume')) local.restore(committedFirst ? firstRound : firstRound - 1, trainer, commState);
  notifyParent({ kind: 'caught-up', role: 'peer', uid, round: firstRound });

  for (let round = firstRound; round < plan.rounds; round++) {
    const window = windowOf(plan, round);
    await waitForBlock(ctx.chain, window.firstBlock);
    const inRoster = plan.rosters[round]!.includes(uid);
    const submitted = !inRoster ? null : round === firstRound && committedFirst ? await alreadySubmitted(ctx, round, uid) : await trainAndSubmit(ctx, replica, plan, round, uid, trainer, commState, deltaOut, attacks, local, globalStep);

    t0 = performance.now();
    const finalised = await waitForFinalised(ctx.chain, chainRoundOf(plan, round), window.lastBlock + 1n);
    const waitS = since(t0);
    t0 = performance.now();
    const applied = await applyFinalisedRound(replica, ctx.store, round, finalised, submitted?.own ?? undefined);
    const syncS = since(t0);
    if (finalised.uids.length > 0) globalStep++;
    if (submitted === null) {
      // Not this peer's round (it was restarted before its next one): the sync is catch-up.
      catchUpS += waitS + syncS;
      catchUpBytes += applied.bytesDown;
      continue;
    }
    const report: PeerRoundReport = {
      round,
      uid,
      committed: submitted.missed === null,
      missed: submitted.missed,
      catchUpS,
      trainS: submitted.trainS,
      compressS: submitted.compressS,
      uploadS: submitted.uploadS,
      commitS: submitted.commitS,
      waitS,
      syncS,
      bytesUp: submitted.uploadedBytes,
      bytesDown: applied.bytesDown,
      catchUpBytes,
      tokens: submitted.tokens,
      trainLoss: submitted.trainLoss,
      paramsFnv: fnv1a(paramBytes(replica.params)),
      paramsMatch: true, // applyFinalisedRound throws 'diverged' otherwise
    };
    await putJson(ctx.store, peerReportKey(round, uid), report);
    notifyParent({ kind: 'phase', role: 'peer', uid, round, phase: 'synced' });
    catchUpS = 0;
    catchUpBytes = 0;
  }
  notifyParent({ kind: 'done', role: 'peer' });
}

/**
 * The round this peer's session started in, as of `round` (core/protocol/null-rounds.ts), from the
 * plan: it (re)starts when it did not run the previous round (absent, or crashed in it) — the rule
 * the simulator applies, so null rounds fall on the same rounds in both.
 */
function sessionStartOf(plan: ClusterPlan, uid: number, round: number): number {
  let start = 0;
  let lastRan: number | null = null;
  for (let r = 0; r <= round; r++) {
    if (!plan.rosters[r]!.includes(uid)) continue;
    start = sessionStartAfter(start, lastRan, r);
    if (!plan.crashes[r]!.includes(uid)) lastRan = r;
  }
  return start;
}

/** Trains H steps on this round's shards, encodes, uploads and commits (if the window is still open). */
async function trainAndSubmit(
  ctx: NodeContext,
  replica: Replica,
  plan: ClusterPlan,
  round: number,
  uid: number,
  trainer: ReturnType<Replica['backend']['createTrainer']>,
  commState: unknown,
  deltaOut: Float32Array,
  attacks: ReadonlyMap<number, RosterEntry>,
  local: LocalPeerState | null,
  globalStep: number,
): Promise<Submitted> {
  const window = windowOf(plan, round);
  const none = { own: null, uploadedBytes: 0, trainS: 0, compressS: 0, uploadS: 0, commitS: 0, tokens: 0, trainLoss: null };
  if ((await ctx.chain.blockNumber()) > window.lastBlock) return { ...none, missed: 'window-closed' };
  const roster = plan.rosters[round]!;
  const shards = assignShards({ seed: ctx.cfg.seed, round, activePeers: roster, numShards: replica.backend.numShards, shardsPerPeer: ctx.cfg.shardsPerPeer }).get(uid)!;

  const nullRound = isNullRound(round, sessionStartOf(plan, uid, round), ctx.cfg.replicas?.warmupWindows ?? 0);
  const prepared = await prepareUpload({ store: ctx.store, chain: ctx.chain, plan, replica, round, uid, shards, nullRound, trainer, commState, deltaOut, roster: attacks, globalStep });
  // The round's state is on disk before anything leaves: a kill from here on restarts from it.
  local?.save(round, trainer, commState);
  notifyParent({ kind: 'phase', role: 'peer', uid, round, phase: 'trained' });
  // The crash point: after the round's work (encode, save, an attacker's operator objects), before
  // upload (the simulator's crashed peer did all of it too).
  if (plan.crashes[round]!.includes(uid)) await crashHere();
  if ('missed' in prepared) return { ...none, trainS: prepared.trainS, missed: prepared.missed };
  const { bytes, trainS, compressS } = prepared;
  const key = updateKey(round, uid);
  let t0 = performance.now();
  await ctx.store.put(key, bytes);
  const uploadS = since(t0);
  t0 = performance.now();
  let missed: string | null = null;
  try {
    await ctx.chain.commit({ round: chainRoundOf(plan, round), updateHash: prepared.updateHash, storageKey: storageKeyBytes32(key) });
  } catch (error) {
    // Mined after the window: the message is late (its bytes were still uploaded, as in the simulator).
    // Slashed below the minimum stake: the contract refuses its commits, so the validator never sees
    // them (the simulator's chain mirror counts the same revert but still aggregates the message).
    if (!(error instanceof ChainRevertError && (error.errorName === 'RoundCommitmentsWindowClosed' || error.errorName === 'PeerRegistryStakeTooLow'))) throw error;
    missed = error.errorName === 'PeerRegistryStakeTooLow' ? 'stake-too-low' : 'window-closed';
  }
  const commitS = since(t0);
  if (missed === null) notifyParent({ kind: 'phase', role: 'peer', uid, round, phase: 'committed' });
  return { own: missed === null ? { peerUid: uid, bytes } : null, uploadedBytes: bytes.length, missed, trainS, compressS, uploadS, commitS, tokens: prepared.tokens, trainLoss: prepared.trainLoss };
}

/** True when this peer's commitment for logical round `round` is on chain. */
async function ownCommitted(ctx: NodeContext, plan: ClusterPlan, round: number, uid: number): Promise<boolean> {
  const c = await ctx.chain.commitment({ round: chainRoundOf(plan, round), uid });
  return !/^0x0*$/.test(c.updateHash);
}

/** A round submitted by this peer's previous process: its message from the store, no new work. */
async function alreadySubmitted(ctx: NodeContext, round: number, uid: number): Promise<Submitted> {
  const bytes = await ctx.store.get(updateKey(round, uid));
  return { own: { peerUid: uid, bytes }, uploadedBytes: bytes.length, missed: null, trainS: 0, compressS: 0, uploadS: 0, commitS: 0, tokens: 0, trainLoss: null };
}

/**
 * A planned crash (churn.crash): after training, before upload. Forked by an orchestrator, the peer
 * holds here until it is killed, so the crash point is exact; run by hand, it exits itself.
 */
function crashHere(): Promise<never> {
  if (process.send === undefined) process.exit(3);
  return new Promise<never>(() => {});
}

if (process.argv[1]?.endsWith('peer.ts')) runMain('peer', async () => runPeer(await openNode(parseNodeArgs(process.argv.slice(2)))));
