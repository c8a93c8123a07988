/**
 * The real cluster end to end on loopback: separate peer and validator processes, a Hardhat node,
 * a folder store. Small surrogate runs (a few seconds each, mostly process start-up).
 */
import { expect } from 'chai';
import { startHardhatNode, HARDHAT_MNEMONIC, devWallets } from '../../chain/devnet.ts';
import { createEvmChainClient } from '../../chain/evm-client.ts';
import { httpTransport } from '../../chain/transport.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCluster } from '../../cluster/orchestrator.ts';
import type { ClusterResult } from '../../cluster/orchestrator.ts';
import { chainRoundOf } from '../../cluster/plan.ts';
import type { PeerRoundReport } from '../../cluster/reports.ts';
import { ConfigError } from '../../core/errors.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';

// Windows of up to 8 s: fast-forward ends them as soon as everyone is in, so only a slow start-up waits.
const FAST = { blockTimeMs: 100, roundLength: 80 } as const;

function config(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 7,
    peers: 3,
    rounds: 3,
    innerSteps: 3,
    windowS: 60,
    closeWhenComplete: true,
    optim: { method: 'sparseloco' },
    net: {
      uplinkMbps: { kind: 'fixed', value: 100 },
      downlinkMbps: { kind: 'fixed', value: 100 },
      latencyMs: { kind: 'fixed', value: 10 },
      store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
    },
    ...overrides,
  };
}

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function peerReport(result: ClusterResult, round: number, uid: number): PeerRoundReport {
  return JSON.parse(readFileSync(join(result.storeUrl, `cluster/peer-report-${round}-${uid}.json`), 'utf8')) as PeerRoundReport;
}

describe('cluster: real processes on loopback', function () {
  this.timeout(60_000);

  it('runs 3 peers × 3 rounds: finalised on chain, every peer bit-identical to the validator and to the simulator, same bytes per round', async () => {
    const node = await startHardhatNode();
    try {
      const cfg = config();
      const sim = runSimulation(cfg);
      const result = await runCluster(cfg, { ...FAST, rpcUrl: node.url });
      // On chain: every round finalised with all three peers selected.
      const [owner] = devWallets(HARDHAT_MNEMONIC, 1);
      const deployment = JSON.parse(readFileSync(join(result.storeUrl, 'cluster/deployment.json'), 'utf8')) as { address: string };
      const chain = createEvmChainClient({ transport: httpTransport(node.url), address: deployment.address, wallet: owner! });
      for (let round = 0; round < 3; round++) {
        const onChain = await chain.roundResult({ round: chainRoundOf(result.plan, round) });
        expect(onChain.finalised, `round ${round}`).to.equal(true);
        expect(onChain.selectedCount).to.equal(3);
      }
      expect(result.rows.map((r) => r.status)).to.deep.equal(['finalised', 'finalised', 'finalised']);
      expect(result.rows.map((r) => r.bytesUpTotal)).to.deep.equal(sim.rows.map((r) => r.bytesUpTotal));
      expect(result.rows.map((r) => r.bytesDownTotal)).to.deep.equal(sim.rows.map((r) => r.bytesDownTotal));
      expect(result.rows.map((r) => r.heldoutLoss)).to.deep.equal(sim.rows.map((r) => r.heldoutLoss));
      expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
      for (let uid = 0; uid < 3; uid++) expect(peerReport(result, 2, uid).paramsFnv).to.equal(result.finalParamsHash);
      expect(result.finalParamsHash).to.equal(sim.finalParamsHash);
      expect(result.rows[0]!.trainS).to.be.greaterThan(0);
      // Rounds 0–1 are every peer's null rounds (templar's warm-up, as in the simulator): no optimiser steps, no tokens.
      expect(result.rows.map((r) => r.tokensPerSPerPeer > 0)).to.deep.equal([false, false, true]);
      // Energy is not measured on real processes: NaN in rows and totals alike, never a 0 that reads as measured.
      expect(result.rows.every((r) => Number.isNaN(r.energyKWh) && Number.isNaN(r.co2eKg))).to.equal(true);
      expect(Number.isNaN(result.totals.energyKWh) && Number.isNaN(result.totals.co2eKg)).to.equal(true);
      // Clean shutdown: no child process outlives the run.
      expect(result.pids.filter(alive)).to.deep.equal([]);
    } finally {
      await node.close();
    }
  });

  it('real windows (closeWhenComplete off): each round lasts its window on the wall clock although the work takes far less', async function () {
    this.timeout(150_000); // start-up (chain node, 3 peers, validator) on a loaded machine, then 3 × 6 s windows
    // 60 blocks × 100 ms = 6 s windows; 3 surrogate peers sync, train, upload and commit in about a second here.
    const result = await runCluster(config({ rounds: 3, closeWhenComplete: false }), { blockTimeMs: 100, roundLength: 60 });
    expect(result.rows.map((r) => r.status)).to.deep.equal(['finalised', 'finalised', 'finalised']);
    expect(result.rows.map((r) => r.late)).to.deep.equal([0, 0, 0]);
    const windows = result.windowEndsMs.map((end, r) => (end - (r === 0 ? result.startedAtMs : result.windowEndsMs[r - 1]!)) / 1000);
    expect(windows.length).to.equal(3);
    // A window ends up to (transactions mined in it) blocks early: 3 commits + 1 post ≈ 0.4 s; never late by more than a tick.
    for (const w of windows.slice(1)) expect(w).to.be.within(5.4, 6.3);
  });

  it('a peer killed mid-round: the round completes without it; restarted, it catches up from the checkpoint to identical params', async () => {
    const result = await runCluster(config({ rounds: 4 }), { ...FAST, checkpointEvery: 1, faults: { killPeers: [{ round: 1, uid: 1 }] } });
    expect(result.rows.map((r) => r.status)).to.deep.equal(['finalised', 'finalised', 'finalised', 'finalised']);
    expect(result.rows.map((r) => r.contributors)).to.deep.equal([3, 2, 3, 3]);
    expect(result.rows[1]!.crashed).to.equal(1);
    const rejoined = peerReport(result, 2, 1);
    expect(rejoined.catchUpBytes).to.be.greaterThan(0); // checkpoint (+ replay) downloaded
    expect(rejoined.paramsFnv).to.equal(peerReport(result, 2, 0).paramsFnv);
    expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
    for (let uid = 0; uid < 3; uid++) expect(peerReport(result, 3, uid).paramsFnv).to.equal(result.finalParamsHash);
    // The local node's port is closed after the run.
    let refused = false;
    try {
      await fetch(result.rpcUrl, { method: 'POST', body: '{}' });
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
    expect(result.pids.filter(alive)).to.deep.equal([]);
  });

  it('rides out store timeouts, RPC errors and a validator restarted mid-round, to the same result as a clean run', async () => {
    const cfg = config();
    const sim = runSimulation(cfg);
    const result = await runCluster(cfg, {
      ...FAST,
      checkpointEvery: 1,
      faults: {
        peer: { storeTimeoutEvery: 3, rpcErrorEvery: 11 },
        validator: { storeTimeoutEvery: 4, rpcErrorEvery: 13 },
        restartValidatorAtRound: 1,
      },
    });
    expect(result.rows.map((r) => r.status)).to.deep.equal(['finalised', 'finalised', 'finalised']);
    expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
    expect(result.finalParamsHash).to.equal(sim.finalParamsHash);
    expect(result.rows.map((r) => r.heldoutLoss)).to.deep.equal(sim.rows.map((r) => r.heldoutLoss));
  });

  it('follows the churn model: the simulator\'s rosters, killed and restarted processes, params agreeing every round', async () => {
    const cfg = config({ peers: 4, rounds: 4, churn: { availability: { kind: 'bernoulli', dropout: 0.3 } } });
    const sim = runSimulation(cfg);
    const result = await runCluster(cfg, { ...FAST, checkpointEvery: 2 });
    expect(result.rows.map((r) => r.activePeers)).to.deep.equal(sim.rows.map((r) => r.activePeers));
    expect(result.rows.map((r) => r.contributors)).to.deep.equal(sim.rows.map((r) => r.contributors));
    expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
  });

  it('runs against an S3 store (s3rver on loopback) as against a folder', async () => {
    const S3rver = createRequire(import.meta.url)('s3rver') as new (o: object) => { run(): Promise<AddressInfo>; close(): Promise<void> };
    const directory = mkdtempSync(join(tmpdir(), 's3rver-cluster-'));
    const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: 'cluster-run' }] });
    const { port } = await server.run();
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    // The SDK's default credential chain reads these; the peer processes inherit them.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    try {
      const cfg = config({ peers: 2, rounds: 2 });
      const result = await runCluster(cfg, { ...FAST, storeUrl: 's3://cluster-run', s3Endpoint: `http://127.0.0.1:${port}` });
      expect(result.finalParamsHash).to.equal(runSimulation(cfg).finalParamsHash);
      expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses what it cannot run, naming the key', async () => {
    let error: unknown;
    try {
      await runCluster(config({ optim: { method: 'ddp' } }));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.equal('optim.method');
  });
});
