/**
 * The validator process: after each round's window closes it reads the commitments from the
 * chain, fetches each committed object from the store, runs the integrity fast filter
 * (core/gauntlet/integrity.ts: hash matches the commitment, decodes, right config, finite), selects
 * every valid message (the simulator's default selection), applies them with `comm.apply` on its
 * own replica, writes a checkpoint every `checkpointEvery` global steps, posts
 * `postResults(round, uids, weights = 1 each, aggregateHash = sha256(params))`, evaluates the
 * held-out loss and leaves a {@link ValidatorRoundReport} in the store.
 *
 * Restart-safe: a restarted validator catches up like a peer, then redoes any round not yet
 * finalised (the computation is deterministic, and objects it rewrites get the same bytes); for a
 * round finalised before the restart it recomputes and checks its hash against the posted one.
 *
 *   npx tsx cluster/validator.ts --rpc http://127.0.0.1:8545 --store /tmp/run/store --key 0x…
 */
import { performance } from 'node:perf_hooks';
import { ChainRevertError } from '../chain/errors.ts';
import type { PeerMessage } from '../core/baselines/index.ts';
import { checkSubmission } from '../core/gauntlet/integrity.ts';
import { fnv1a, paramBytes } from '../core/hash.ts';
import { updateKey } from '../core/protocol/index.ts';
import { resolveSparseLocoConfig } from '../core/sparseloco/config.ts';
import type { SparseLocoConfig } from '../core/sparseloco/config.ts';
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
import { putJson, validatorReportKey } from './store-keys.ts';
import { catchUp, writeCheckpoint } from './sync.ts';

const since = (t0: number): number => (performance.now() - t0) / 1000;

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
  const { method: _method, ...slOverrides } = ctx.cfg.optim as { method: string } & Partial<SparseLocoConfig>;
  const slCfg = resolveSparseLocoConfig(slOverrides);
  for (let round = (caught.lastRound ?? -1) + 1; round < plan.rounds; round++) {
    globalStep = await validateOne(ctx, replica, plan, slCfg, round, globalStep);
  }
  notifyParent({ kind: 'done', role: 'validator' });
}

/** Validates, aggregates and finalises one round; returns the global step after it. */
async function validateOne(ctx: NodeContext, replica: Replica, plan: ClusterPlan, slCfg: SparseLocoConfig, round: number, globalStep: number): Promise<number> {
  const window = windowOf(plan, round);
  const chainRound = chainRoundOf(plan, round);
  await waitForBlock(ctx.chain, window.lastBlock + 1n);

  let t0 = performance.now();
  const peerCount = Number(await ctx.chain.peerCount());
  const committed: { uid: number; hash: string; bytes: Uint8Array | null }[] = [];
  for (let uid = 0; uid < peerCount; uid++) {
    const c = await ctx.chain.commitment({ round: chainRound, uid });
    if (/^0x0*$/.test(c.updateHash)) continue;
    committed.push({ uid, hash: c.updateHash, bytes: await getOrNull(ctx, updateKey(round, uid)) });
  }
  const fetchS = since(t0);
  notifyParent({ kind: 'phase', role: 'validator', uid: null, round, phase: 'fetched' });

  t0 = performance.now();
  const batch: PeerMessage[] = [];
  const rejected: string[] = [];
  for (const c of committed) {
    // On-time is proven by the commitment's block (the contract refuses late commits), so arrival
    // is not re-checked here; freshness: a peer only trains once the previous round is applied.
    const verdict = checkSubmission(
      { bytes: c.bytes, commitment: { hash: c.hash, baseStep: globalStep }, arrivedAt: 0 },
      { layout: replica.backend.layout, cfg: slCfg, hash: sha256Hex, windowEnd: 0, globalStep },
    );
    if (verdict.ok) batch.push({ peerUid: c.uid, bytes: c.bytes! });
    else rejected.push(`${c.uid}:${verdict.reason}`);
  }
  const report = batch.length === 0 ? null : replica.comm.apply(replica.params, replica.shared, batch);
  for (const r of report?.rejected ?? []) rejected.push(`${r.peerUid}:${r.reason}`);
  const contributors = report?.applied ? [...report.contributors] : [];
  const status = contributors.length > 0 ? 'finalised' : 'skipped';
  if (status === 'finalised') globalStep++;
  const aggregateHash = paramsHash(replica.params);
  const validateS = since(t0);

  t0 = performance.now();
  const checkpoint = status === 'finalised' && globalStep % plan.checkpointEvery === 0;
  // The checkpoint goes in before the results: a peer that sees the round finalised finds it.
  if (checkpoint) await writeCheckpoint(ctx.store, globalStep, replica.params);
  await postOnce(ctx, chainRound, contributors, aggregateHash, window.lastBlock + 1n);
  const postS = since(t0);
  notifyParent({ kind: 'phase', role: 'validator', uid: null, round, phase: 'finalised' });
  const finalisedAtMs = Date.now();

  t0 = performance.now();
  const heldoutLoss = replica.backend.evaluate(replica.params, 'heldout');
  const evalS = since(t0);
  const out: ValidatorRoundReport = {
    round,
    status,
    committed: committed.map((c) => c.uid),
    valid: batch.map((m) => m.peerUid),
    rejected,
    contributors,
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
  await putJson(ctx.store, validatorReportKey(round), out);
  return globalStep;
}

/**
 * Posts the round's results unless they are already on chain (a restarted validator redoing a
 * round); then the posted hash must equal ours, or this replica has diverged.
 */
async function postOnce(ctx: NodeContext, chainRound: bigint, uids: readonly number[], aggregateHash: `0x${string}`, fromBlock: bigint): Promise<void> {
  if (!(await ctx.chain.isFinalised({ round: chainRound }))) {
    try {
      await ctx.chain.postResults({ round: chainRound, uids, weights: uids.map(() => 1), aggregateHash });
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
