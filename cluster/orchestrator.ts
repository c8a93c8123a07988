/**
 * The real-cluster backend's front: `runCluster(config)` runs one experiment config on real
 * processes and returns what `runSimulation` returns (rows, final params hash, held-out loss), so
 * an experiment switches backend by a flag. It
 *   1. starts the chain node as its own process on 127.0.0.1 (ganache, its chain on disk in
 *      `<workDir>/chain`, restarted on the same port if it dies: cluster/chain-node.ts), or uses
 *      `rpcUrl`, and deploys the Coordinator
 *      (account 0 deploys, account 1 validates, accounts 2 … P + 1 are the peers);
 *   2. opens the store (a folder under `workDir` by default, or `storeUrl`, e.g. s3://bucket) and
 *      writes the config and the deployment there;
 *   3. forks the validator and P peer processes, waits until every peer has registered, and writes
 *      the run plan (start round, rosters and crashes from the experiment's churn model);
 *   4. runs the block clock (block-clock.ts) — real windows on the wall clock by default; with the
 *      config's `closeWhenComplete` a window ends as soon as every expected peer has committed —
 *      and applies churn: a peer absent from the next round
 *      is killed once it has synced, a present one that is not running is started when the
 *      previous round is finalised (it catches up from the store), a crash is a SIGKILL when the
 *      peer says it has trained;
 *   5. when the validator has finalised the last round and the peers are done, stops everything
 *      (no process or port outlives the call) and builds the metric rows from the reports.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployCoordinator, deploymentToJson } from '../chain/deploy.ts';
import { HARDHAT_MNEMONIC, devWallets } from '../chain/devnet.ts';
import { createEvmChainClient } from '../chain/evm-client.ts';
import { httpTransport } from '../chain/transport.ts';
import { ConfigError } from '../core/errors.ts';
import { resolveSimConfig } from '../sim/config.ts';
import type { SimConfigInput } from '../sim/config.ts';
import type { SimResult } from '../sim/run.ts';
import type { SimChainSummary } from '../sim/chain.ts';
import { rowTotals } from '../sim/metrics.ts';
import { parseStoreUrl, withRetry } from '../backends/store/index.ts';
import type { ObjectStore } from '../backends/store/index.ts';
import type { Address, CoordinatorReader } from '../chain/types.ts';
import { readChainSummary } from './chain-summary.ts';
import { startBlockClock } from './block-clock.ts';
import { sleep } from './chain-wait.ts';
import type { BlockClock } from './block-clock.ts';
import { ClusterError } from './errors.ts';
import type { FaultPlan } from './faults.ts';
import { CHAIN_RETRY } from './node-context.ts';
import type { ChildMessage } from './node-context.ts';
import { startChainNodeProcess } from './chain-node.ts';
import type { ChainNodeProcess } from './chain-node.ts';
import { ClockHolds, superviseChild } from './supervision.ts';
import { assertSameRun, configHashOf, firstOpenRound, readRunRecord, writeRunRecord } from './run-record.ts';
import type { RunRestarts } from './supervision.ts';
import { churnSchedule, chainRoundOf, windowOf } from './plan.ts';
import type { ClusterPlan } from './plan.ts';
import { forkChild, stopAll } from './processes.ts';
import type { ChildHandle, ForkParameters } from './processes.ts';
import { NODE_NAME_ENV } from './node-context.ts';
import { assertShapeable, startShapedCluster } from './shaped-run.ts';
import type { ShapedCluster } from './shaped-run.ts';
import { TRANSFER_LOG_ENV } from './transfer-log.ts';
import { assertClusterMethod } from './replica.ts';
import type { ValidatorRoundReport } from './reports.ts';
import { collectRows } from './rows.ts';
import type { ClusterRoundRow } from './rows.ts';
import { CONFIG_KEY, DEPLOYMENT_KEY, PLAN_KEY, getJsonOrNull, putJson, validatorReportKey } from './store-keys.ts';

/** The local node funds the first 20 accounts of its mnemonic (Hardhat's default; ganache told so): deployer + validator + 18 peers. */
const FUNDED_ACCOUNTS = 20;

/** Where and how the cluster runs. Every field has a loopback default. */
export interface ClusterOptions {
  /** JSON-RPC URL of an EVM node whose accounts `mnemonic` funds; default: a ganache process started here (cluster/chain-node.ts). */
  readonly rpcUrl?: string;
  /** Store URL (folder path, file:///path or s3://bucket); default `<workDir>/store`. Must hold no earlier run. */
  readonly storeUrl?: string;
  /** S3-API endpoint for an s3:// store (e.g. http://127.0.0.1:4568 for s3rver). */
  readonly s3Endpoint?: string;
  /**
   * Continue the run recorded in `workDir` (run.json, cluster/run-record.ts) — its chain node,
   * Coordinator, store and plan — when there is one; without a record the run starts afresh.
   */
  readonly resume?: boolean;
  /** Folder for the default store; default a fresh temp folder (kept, for inspection). */
  readonly workDir?: string;
  /** Wall ms per mined block (default 250). */
  readonly blockTimeMs?: number;
  /** Blocks per round window (default 40: 10 s per window at the default block time, less when everyone is in early). */
  readonly roundLength?: number;
  /** Checkpoint every this many global steps (default the config's catchUp.checkpointEvery). */
  readonly checkpointEvery?: number;
  /** Mnemonic of the funded dev accounts (default: the local node's; with `rpcUrl`, Hardhat's). */
  readonly mnemonic?: string;
  /** Wall-clock limit of the whole run, ms (default 30 min). */
  readonly timeoutMs?: number;
  /** Receives progress and child-process log lines. */
  readonly log?: (line: string) => void;
  /** Faults for the loopback tests. */
  readonly faults?: ClusterFaults;
  /**
   * Peer processes started here (default: all `peers`). The others join from other hosts with the
   * peer command (node-context.ts); the plan is written once `peers` identities are registered.
   * Churn kills and restarts only local peers; remote ones follow the plan's rosters themselves.
   */
  readonly localPeers?: number;
  /** Address and port of the chain node started here (default 127.0.0.1, a free port, kept across its restarts). */
  readonly nodeHost?: string;
  readonly nodePort?: number;
  /** Called once the chain and store are set up, with what a peer on another host needs to join. */
  readonly onReady?: (info: { readonly rpcUrl: string; readonly storeUrl: string; readonly coordinator: string; readonly mnemonic: string }) => void;
  /** Receives what happens while the run goes (the live dashboard); see {@link ClusterEvent}. */
  readonly onEvent?: (event: ClusterEvent) => void;
  /**
   * 'loopback' (default): every process on 127.0.0.1 at memory speed. 'netns': every peer, the
   * validator and the store in its own network namespace, each peer's link shaped to the
   * simulator's link table (cluster/shaped-run.ts); needs root. Ignores `storeUrl`, `s3Endpoint`, `nodeHost`.
   */
  readonly network?: 'loopback' | 'netns';
  /** With 'netns': each peer and the validator logs its store puts and gets here (cluster/transfer-log.ts), one file per process. */
  readonly transferLogDir?: string;
}

/**
 * What the orchestrator sees while a run goes; `atS` is wall seconds since the run started.
 * 'phase': a child's progress message ('committed' = its commitment was mined, 'finalised' = the
 * validator's results were mined: RoundFinalised); 'churn': a peer the orchestrator starts or
 * stops; 'round': a round's row and validator report once the next round's uploads are fetched
 * (provisional: a peer that reports later is missing from it; the run's result has the final rows).
 */
export type ClusterEvent =
  | { readonly kind: 'phase'; readonly atS: number; readonly round: number; readonly uid: number | null; readonly phase: Extract<ChildMessage, { kind: 'phase' }>['phase'] }
  | { readonly kind: 'churn'; readonly atS: number; readonly round: number; readonly uid: number; readonly change: 'joins' | 'leaves' | 'crashes' }
  | { readonly kind: 'round'; readonly atS: number; readonly row: ClusterRoundRow; readonly report: ValidatorRoundReport | null };

/** Scripted faults (tests). */
export interface ClusterFaults {
  /** Peers SIGKILLed after training, before upload (added to the churn model's crashes). */
  readonly killPeers?: readonly { readonly round: number; readonly uid: number }[];
  /** SIGKILL the validator once it has fetched this round's objects, then start a new one. */
  readonly restartValidatorAtRound?: number;
  /** Injected in every peer process (CLUSTER_FAULTS). */
  readonly peer?: FaultPlan;
  /** Injected in the validator process. */
  readonly validator?: FaultPlan;
}

/** A cluster run's outcome: the simulator's result shape, plus where it ran. */
export interface ClusterResult extends SimResult {
  readonly rows: readonly ClusterRoundRow[];
  /** The Coordinator's state at the end, read back from the chain (cluster/chain-summary.ts). */
  readonly chain: SimChainSummary;
  readonly plan: ClusterPlan;
  readonly storeUrl: string;
  readonly rpcUrl: string;
  /** Every process started (peers and validator), for leak checks. */
  readonly pids: readonly number[];
  /** Wall seconds of the whole run, setup included. */
  readonly wallS: number;
  /** Wall ms (epoch) when round 0's window opened, and when each round's window was seen closed. */
  readonly startedAtMs: number;
  readonly windowEndsMs: readonly number[];
  /** Processes that died unplanned and were started again (cluster/chain-node.ts, cluster/supervision.ts). */
  readonly restarts: RunRestarts;
}

/**
 * Runs `config` on a real cluster on this host.
 *
 * @throws {ConfigError} for a config the cluster cannot run; {@link ClusterError} when a process
 *   fails or the run exceeds its time limit.
 * @example
 * const result = await runCluster({ ...cfg, backend: { kind: 'surrogate' } }, { blockTimeMs: 100 });
 * result.rows[0].trainS; // wall seconds
 */
export async function runCluster(config: SimConfigInput, options: ClusterOptions = {}): Promise<ClusterResult> {
  const t0 = Date.now();
  const cfg = resolveSimConfig(config);
  assertClusterMethod(cfg);
  const blockTimeMs = positiveInt('blockTimeMs', options.blockTimeMs ?? 250);
  const roundLength = positiveInt('roundLength', options.roundLength ?? 40);
  const checkpointEvery = positiveInt('checkpointEvery', options.checkpointEvery ?? cfg.catchUp.checkpointEvery);
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const log = options.log ?? (() => {});
  if (options.rpcUrl === undefined && cfg.peers + 2 > FUNDED_ACCOUNTS) {
    throw new ConfigError('peers', cfg.peers, `must be ≤ ${FUNDED_ACCOUNTS - 2} on the local chain node (it funds ${FUNDED_ACCOUNTS} accounts: deployer, validator, peers)`);
  }
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'sparseloco-cluster-'));
  const record = options.resume === true ? readRunRecord(workDir) : null;
  if (record !== null) {
    assertSameRun(record, cfg, workDir);
    log(`resuming the run recorded in ${workDir}`);
  }
  if (options.network === 'netns') assertShapeable(cfg);
  const children = new Set<ChildHandle>();
  const pids: number[] = [];
  let node: ChainNodeProcess | undefined;
  let clock: BlockClock | undefined;
  let shaped: ShapedCluster | undefined;
  try {
    const run = new RunState();
    if (options.network === 'netns') shaped = await startShapedCluster({ peers: cfg.peers, workDir, log, watch: (c) => children.add(c) });
    const storeUrl = shaped?.storeUrl ?? record?.storeUrl ?? options.storeUrl ?? join(workDir, 'store');
    const s3Endpoint = shaped?.s3Endpoint ?? record?.s3Endpoint ?? options.s3Endpoint;
    const store: ObjectStore = withRetry(parseStoreUrl(storeUrl, { ...(s3Endpoint === undefined ? {} : { s3Endpoint }), ...(shaped === undefined ? {} : { credentials: { ...shaped.credentials } }) }), { attempts: 6, backoffMs: 50 });
    if (record === null && (await getJsonOrNull(store, PLAN_KEY)) !== null) throw new ConfigError('storeUrl', storeUrl, 'already holds a run (cluster/plan.json): use an empty store');
    if (options.rpcUrl === undefined && (record === null || record.chainNode !== null)) {
      // The chain node in a process of its own, its chain on disk: restarted on the same port if it dies.
      node = await startChainNodeProcess({
        host: record?.chainNode?.host ?? shaped?.hostAddress ?? options.nodeHost ?? '127.0.0.1',
        port: record?.chainNode?.port ?? options.nodePort ?? 0, // a resumed run's node comes back where its peers knew it
        dbDir: join(workDir, 'chain'),
        accounts: FUNDED_ACCOUNTS,
        log,
        onRestart: (n) => log(`chain node restarted (${n})`),
        onFailure: (error) => run.fail(error),
      });
    }
    const rpcUrl = options.rpcUrl ?? node?.url ?? record!.rpcUrl;
    const transport = httpTransport(rpcUrl);
    const mnemonic = options.mnemonic ?? record?.mnemonic ?? node?.mnemonic ?? HARDHAT_MNEMONIC;
    const [owner, validatorWallet, ...peerWallets] = devWallets(mnemonic, cfg.peers + 2);
    // A resumed run keeps its Coordinator (and its funded rewards, config and deployment in the store).
    const deployment = record !== null ? null : await deployCoordinator({
      transport,
      wallet: owner!,
      // Stake, reward and selection cap as the simulator's chain mirror has them (cfg.chain).
      config: { minStake: BigInt(cfg.chain.minStake), unbondingBlocks: 10n, roundLength: BigInt(roundLength), maxSelected: Math.min(cfg.peers, cfg.chain.maxSelected), rewardPerRound: BigInt(cfg.chain.rewardPerRound) },
      validators: [validatorWallet!.address],
    });
    const coordinator = deployment?.address ?? (record!.coordinator as Address);
    const reader = createEvmChainClient({ transport, address: coordinator, wallet: owner!, retry: CHAIN_RETRY });
    if (deployment !== null) {
      // The owner funds every round's reward up front, as the chain mirror does (sim/chain.ts).
      const rewardPool = BigInt(cfg.chain.rewardPerRound) * BigInt(cfg.rounds);
      if (rewardPool > 0n) await reader.fundRewards({ amount: rewardPool });
      await putJson(store, CONFIG_KEY, cfg);
      await store.put(DEPLOYMENT_KEY, new TextEncoder().encode(deploymentToJson(deployment, node ? 'localhost' : 'custom')));
    }
    log(`coordinator ${coordinator} at ${rpcUrl}, store ${storeUrl}`);
    options.onReady?.({ rpcUrl, storeUrl, coordinator, mnemonic });

    const nodeArgs = ['--rpc', rpcUrl, '--store', storeUrl, ...(s3Endpoint === undefined ? [] : ['--s3-endpoint', s3Endpoint])];
    /** What a forked process gets beyond the faults: its name, its namespace, the store's credentials, its transfer log. */
    const placement = (name: string, netnsNode: string): Pick<ForkParameters, 'execPrefix'> & { env: Record<string, string> } => ({
      ...(shaped === undefined ? {} : { execPrefix: shaped.network.execPrefix(netnsNode) }),
      env: {
        [NODE_NAME_ENV]: name,
        ...(shaped === undefined ? {} : shaped.childEnv),
        ...(options.transferLogDir === undefined ? {} : { [TRANSFER_LOG_ENV]: join(options.transferLogDir, `${name}.jsonl`) }),
      },
    });
    const faultEnv = (plan: FaultPlan | undefined): Record<string, string> => (plan === undefined ? {} : { CLUSTER_FAULTS: JSON.stringify(plan) });
    const peerByUid = new Map<number, ChildHandle>();
    const walletOfUid = new Map<number, number>();
    let plan: ClusterPlan | null = null;
    let validator: ChildHandle;
    let startedAtMs = 0; // wall ms when round 0's window opened
    const onEvent = options.onEvent;
    const atS = (): number => (Date.now() - t0) / 1000;
    const emitPhase = (m: Extract<ChildMessage, { kind: 'phase' }>): void => onEvent?.({ kind: 'phase', atS: atS(), round: m.round, uid: m.uid, phase: m.phase });
    const emitChurn = (round: number, uid: number, change: 'joins' | 'leaves' | 'crashes'): void => onEvent?.({ kind: 'churn', atS: atS(), round, uid, change });
    // Live rows, in round order, only when someone listens. Each re-reads the reports of rounds
    // 0 … r (cumulative bytes and window starts need them): O(rounds²) small store reads a run.
    let rowsEmitted = 0;
    let emitting = Promise.resolve();
    const emitRoundsBefore = (limit: number): void => {
      if (onEvent === undefined || plan === null) return;
      const fixed = plan;
      emitting = emitting
        .then(async () => {
          for (; rowsEmitted < Math.min(limit, fixed.rounds); rowsEmitted++) {
            const rows = await collectRows(store, { ...fixed, rounds: rowsEmitted + 1 }, startedAtMs);
            const report = await getJsonOrNull<ValidatorRoundReport>(store, validatorReportKey(rowsEmitted));
            onEvent({ kind: 'round', atS: atS(), row: rows[rowsEmitted]!, report });
          }
        })
        .catch((error: unknown) => log(`live rows: ${String(error)}`)); // the run goes on; its result has every row
    };

    const holds = new ClockHolds();
    const caughtUp = new Set<string>(); // children that said 'caught-up' (a resumed run holds the clock for the others)
    const restarts = { validator: 0, peers: 0 };
    const lastRoundOf = new Map<number, number>(); // the last round each uid reported a phase of
    /** Tracks a child: an error exit fails the run, an unplanned death calls `onDeath` (supervision.ts). */
    const watch = (child: ChildHandle, onDeath: () => void): ChildHandle => {
      children.add(child);
      pids.push(child.pid);
      superviseChild(child, () => {
        holds.release(child.name);
        log(`${child.name} (pid ${child.pid}) died unplanned`);
        onDeath();
      }, (code) => run.fail(new ClusterError('process-exit', `${child.name} exited with code ${code}:\n${child.stderrTail()}`)));
      return child;
    };
    /** A peer's unplanned death is churn: it is started again for its next roster round (below, at 'finalised'). */
    const peerDied = (walletIndex: number): void => {
      restarts.peers++;
      const uid = [...walletOfUid].find(([, w]) => w === walletIndex)?.[0];
      if (uid !== undefined) emitChurn(lastRoundOf.get(uid) ?? 0, uid, 'crashes');
    };
    const startPeer = (walletIndex: number): ChildHandle => {
      const name = `peer-w${walletIndex}`;
      const where = placement(name, `peer-${walletIndex}`);
      // Each local peer's own disk: its state survives its process (cluster/local-state.ts).
      const args = [...nodeArgs, '--state-dir', join(workDir, 'peer-state', `w${walletIndex}`)];
      const child = watch(forkChild({ name, role: 'peer', args, key: peerWallets[walletIndex]!.privateKey, ...where, env: { ...where.env, ...faultEnv(options.faults?.peer) }, onMessage: onPeerMessage, log }), () => peerDied(walletIndex));
      if (plan !== null) holds.hold(name); // a (re)join: the clock waits until it has caught up
      return child;
    };
    const startValidator = (): ChildHandle => {
      const where = placement('validator', 'validator');
      const child = watch(forkChild({ name: 'validator', role: 'validator', args: nodeArgs, key: validatorWallet!.privateKey, ...where, env: { ...where.env, ...faultEnv(options.faults?.validator) }, onMessage: onValidatorMessage, log }), () => {
        // Started again at once: it catches up and redoes the round it had not finalised.
        restarts.validator++;
        validator = startValidator();
      });
      if (plan !== null) holds.hold('validator');
      return child;
    };

    function onPeerMessage(this: void, m: ChildMessage): void {
      if (m.kind === 'ready' && m.uid !== null) run.peerReady(m.uid);
      if (m.kind === 'caught-up' && m.uid !== null) {
        caughtUp.add(`uid:${m.uid}`);
        const wallet = walletOfUid.get(m.uid);
        if (wallet !== undefined) holds.release(`peer-w${wallet}`);
      }
      if (m.kind !== 'phase' || m.uid === null || plan === null) return;
      lastRoundOf.set(m.uid, m.round);
      emitPhase(m);
      const next = m.round + 1;
      if (m.phase === 'trained' && plan.crashes[m.round]!.includes(m.uid)) {
        log(`round ${m.round}: crash peer ${m.uid} after training`);
        emitChurn(m.round, m.uid, 'crashes');
        peerByUid.get(m.uid)?.kill();
      } else if (m.phase === 'synced' && next < plan.rounds && !plan.rosters[next]!.includes(m.uid)) {
        log(`round ${next}: peer ${m.uid} leaves`);
        emitChurn(next, m.uid, 'leaves');
        peerByUid.get(m.uid)?.kill();
      }
    }
    function onValidatorMessage(this: void, m: ChildMessage): void {
      if (m.kind === 'done') run.validatorDone();
      if (m.kind === 'caught-up') {
        caughtUp.add('validator');
        holds.release('validator');
      }
      if (m.kind !== 'phase' || plan === null) return;
      emitPhase(m);
      if (m.phase === 'fetched') emitRoundsBefore(m.round);
      if (m.phase === 'fetched' && options.faults?.restartValidatorAtRound === m.round && !run.validatorRestarted) {
        run.validatorRestarted = true;
        log(`round ${m.round}: restarting the validator mid-round`);
        validator.kill();
        validator = startValidator();
      }
      if (m.phase === 'finalised') {
        log(`round ${m.round} finalised`);
        const next = m.round + 1;
        if (next >= plan.rounds) return;
        for (const uid of plan.rosters[next]!) {
          if (!walletOfUid.has(uid)) continue; // a peer on another host runs itself
          const running = peerByUid.get(uid);
          if (running !== undefined && !running.hasExited()) continue;
          log(`round ${next}: peer ${uid} (re)joins`);
          emitChurn(next, uid, 'joins');
          peerByUid.set(uid, startPeer(walletOfUid.get(uid)!));
        }
      }
    }

    const localPeers = options.localPeers ?? cfg.peers;
    if (!Number.isSafeInteger(localPeers) || localPeers < 0 || localPeers > cfg.peers) throw new ConfigError('localPeers', localPeers, `must be an integer in [0, peers = ${cfg.peers}]`);
    validator = startValidator();
    const startup = peerWallets.slice(0, localPeers).map((_, i) => startPeer(i));
    // Uids are assigned by the chain in registration order: map them back to wallets.
    await run.race(run.allPeersReady(localPeers), timeoutMs);
    await run.race(waitForRegistrations(reader, cfg.peers, log), timeoutMs);
    for (let i = 0; i < localPeers; i++) {
      const uid = await reader.uidOf({ account: peerWallets[i]!.address });
      walletOfUid.set(uid, i);
      peerByUid.set(uid, startup[i]!);
    }
    // Links are shaped by uid (the simulator draws each peer's link by uid), known only now.
    shaped?.shapeLinks(cfg, new Map([...walletOfUid].map(([uid, wallet]) => [wallet, uid])));

    let openRound = 0; // the first round not finalised: 0, or where a resumed run goes on
    if (deployment === null) {
      plan = await getJsonOrNull<ClusterPlan>(store, PLAN_KEY);
      if (plan === null) throw new ClusterError('missing-object', `the resumed run's plan (${PLAN_KEY}) is missing from ${storeUrl}`);
      startedAtMs = record!.startedAtMs;
      openRound = await firstOpenRound(reader, plan);
      log(`resumed: rounds 0 … ${openRound - 1} are finalised, going on from round ${openRound}`);
    } else {
      const schedule = churnSchedule(cfg);
      const crashes = schedule.crashes.map((c, round) => [...new Set([...c, ...(options.faults?.killPeers ?? []).filter((k) => k.round === round).map((k) => k.uid)])].sort((a, b) => a - b));
      plan = {
        startRound: Number(await reader.currentRound()) + 1,
        rounds: cfg.rounds,
        rosters: schedule.rosters,
        crashes,
        checkpointEvery,
        roundLength,
        genesisBlock: Number(deployment.deployBlock),
      };
    }
    const fixedPlan = plan;
    const windowEndsMs: number[] = [];
    const roster = fixedPlan.rosters[Math.min(openRound, fixedPlan.rounds - 1)]!;
    for (const [uid, child] of peerByUid) if (!roster.includes(uid)) child.kill();
    if (deployment !== null) {
      await putJson(store, PLAN_KEY, plan);
      startedAtMs = Date.now();
      const chainNode = node === undefined ? null : { host: options.nodeHost ?? shaped?.hostAddress ?? '127.0.0.1', port: node.port, dbDir: join(workDir, 'chain') };
      writeRunRecord(workDir, { configHash: configHashOf(cfg), chainNode, rpcUrl, storeUrl, s3Endpoint: s3Endpoint ?? null, coordinator, mnemonic, blockTimeMs, roundLength, checkpointEvery, startedAtMs });
      log(`plan written: ${cfg.rounds} rounds from chain round ${plan.startRound}, ${roundLength} blocks × ${blockTimeMs} ms`);
    } else {
      // Every process started for the resumed round catches up before the clock mines again.
      for (const [uid, child] of peerByUid) if (roster.includes(uid) && !child.hasExited() && !caughtUp.has(`uid:${uid}`)) holds.hold(child.name);
      if (!caughtUp.has('validator')) holds.hold('validator');
    }

    clock = startBlockClock({
      transport,
      chain: reader,
      blockTimeMs,
      // Real windows on the wall clock, unless the config asks rounds to end once everyone is in.
      pace: cfg.closeWhenComplete ? 'tick' : 'wall',
      holding: () => holds.holding(),
      onError: (error) => log(`clock: ${String(error)}`),
      fastForwardTo: async (block) => {
        const w0 = windowOf(fixedPlan, 0);
        if (block < w0.firstBlock) return w0.firstBlock;
        const round = Number((block - w0.firstBlock) / BigInt(roundLength));
        // Rounds before `round` have closed: the first tick that sees it is when (±¼ block in 'wall' pace).
        for (let r = windowEndsMs.length; r < Math.min(round, fixedPlan.rounds); r++) windowEndsMs.push(Date.now());
        if (round >= fixedPlan.rounds || !cfg.closeWhenComplete) return null;
        const expected = fixedPlan.rosters[round]!.filter((uid) => !fixedPlan.crashes[round]!.includes(uid)).length;
        const commits = await reader.commitCount({ round: chainRoundOf(fixedPlan, round) });
        return commits >= expected ? windowOf(fixedPlan, round).lastBlock + 1n : null;
      },
    });

    await run.race(run.validatorFinished(), timeoutMs - (Date.now() - t0));
    // Peers end on their own after syncing the last round.
    const running = [...peerByUid.values()].filter((c) => !c.hasExited());
    await run.race(Promise.all(running.map((c) => c.exited)).then(() => undefined), 60_000);
    await clock.stop();
    clock = undefined;

    emitRoundsBefore(fixedPlan.rounds);
    await emitting;
    const rows = await collectRows(store, fixedPlan, startedAtMs);
    const last = await getJsonOrNull<ValidatorRoundReport>(store, validatorReportKey(cfg.rounds - 1));
    const chain = await readChainSummary(reader, fixedPlan);
    return { ...resultOf(rows, last, fixedPlan, chain, storeUrl, rpcUrl, pids, (Date.now() - t0) / 1000), windowEndsMs, startedAtMs, restarts: { chainNode: node?.restarts() ?? 0, ...restarts } };
  } finally {
    await clock?.stop();
    await stopAll(children);
    await node?.close();
    shaped?.close();
  }
}

/** Resolves once `count` peers are registered on chain (local ones already are; remote ones join). */
async function waitForRegistrations(reader: CoordinatorReader, count: number, log: (line: string) => void): Promise<void> {
  let last = -1n;
  for (;;) {
    const registered = await reader.peerCount();
    if (registered >= BigInt(count)) return;
    if (registered !== last) log(`waiting for peers: ${registered} of ${count} registered`);
    last = registered;
    await sleep(200);
  }
}

/** The simulator-shaped result of a finished run. */
function resultOf(rows: ClusterRoundRow[], last: ValidatorRoundReport | null, plan: ClusterPlan, chain: SimChainSummary, storeUrl: string, rpcUrl: string, pids: number[], wallS: number): Omit<ClusterResult, 'startedAtMs' | 'windowEndsMs' | 'restarts'> {
  const { bytesUp, bytesDown, finalisedRounds, skippedRounds } = rowTotals(rows);
  return {
    rows,
    finalParamsHash: last?.paramsFnv ?? '',
    finalHeldoutLoss: last?.heldoutLoss ?? Number.NaN,
    totals: { simTimeS: rows[rows.length - 1]?.simTimeS ?? 0, bytesUp, bytesDown, energyKWh: Number.NaN, co2eKg: Number.NaN, finalisedRounds, skippedRounds },
    backend: { name: last?.backendName ?? 'unknown', engine: (last?.engine ?? null) as SimResult['backend']['engine'], device: last?.device ?? null },
    chain,
    plan,
    storeUrl,
    rpcUrl,
    pids,
    wallS,
  };
}

/** The run's shared progress: readiness, the validator's end, and the first fatal error. */
class RunState {
  validatorRestarted = false;
  #ready = new Set<number>();
  #readyWaiters: (() => void)[] = [];
  #validatorDone = false;
  #doneWaiters: (() => void)[] = [];
  #failure: Error | null = null;
  #failWaiters: ((e: Error) => void)[] = [];

  peerReady(uid: number): void {
    this.#ready.add(uid);
    for (const w of this.#readyWaiters) w();
  }
  allPeersReady(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.#ready.size >= count) resolve();
      };
      this.#readyWaiters.push(check);
      check();
    });
  }
  validatorDone(): void {
    this.#validatorDone = true;
    for (const w of this.#doneWaiters) w();
  }
  validatorFinished(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#validatorDone) resolve();
      else this.#doneWaiters.push(resolve);
    });
  }
  fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    for (const w of this.#failWaiters) w(error);
  }
  /** Resolves with `p`, or rejects on the first process failure or after `ms` wall ms. */
  race<T>(p: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#failure !== null) return reject(this.#failure);
      const timer = setTimeout(() => reject(new ClusterError('timeout', `cluster run exceeded its time limit (${ms} ms)`)), Math.max(0, ms));
      this.#failWaiters.push((e) => {
        clearTimeout(timer);
        reject(e);
      });
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }
}

function positiveInt(key: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(key, value, 'must be an integer ≥ 1');
  return value;
}
