import { expect } from 'chai';
import fc from 'fast-check';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { transferSeconds } from '../../sim/network.ts';
import { runSimulation } from '../../sim/run.ts';
import { acceptUntilS, blockAt, chainGenesisBlock, gridWindow, resolveWindowsConfig, TEMPLAR_WINDOWS, uploadInterval, uploadVerdict } from '../../sim/windows.ts';
import type { WindowsConfig } from '../../sim/windows.ts';
import { FIXED_NET, configError, messageBytes, simContext } from './helpers.ts';

/** 10 blocks of 12 s: 120 s windows, templar's 70 s deadline. */
const W: WindowsConfig = Object.freeze({ blockTimeS: 12, blocksPerWindow: 10, uploadDeadlineS: 70 });

describe('sim/windows: block clock, grid and upload deadline (pure)', () => {
  it('blocks, grid windows and templar time_min / time_max', () => {
    expect(blockAt(W, 0)).to.equal(0);
    expect(blockAt(W, 11.999)).to.equal(0);
    expect(blockAt(W, 12)).to.equal(1);
    expect(gridWindow(W, 3)).to.deep.equal({ startS: 360, endS: 480 });
    // time_min: the first block of the window after round 3's (block 40 at 480 s); time_max + 70 s.
    expect(uploadInterval(W, 3)).to.deep.equal({ timeMinS: 480, timeMaxS: 550 });
    expect(acceptUntilS(W, { round: 3, endS: 480 })).to.equal(550);
    expect(acceptUntilS(undefined, { round: 3, endS: 480 })).to.equal(480);
    // Chain round 0's last block is the block of its time_max (190 s → block 15): 10 blocks from 6.
    expect(chainGenesisBlock(W)).to.equal(6);
    expect(chainGenesisBlock(W) + W.blocksPerWindow - 1).to.equal(blockAt(W, uploadInterval(W, 0).timeMaxS));
  });

  it('the verdict: both bounds inclusive, just outside rejected', () => {
    const i = uploadInterval(W, 0); // [120, 190]
    expect(uploadVerdict(120, i)).to.equal('accepted');
    expect(uploadVerdict(190, i)).to.equal('accepted');
    expect(uploadVerdict(190 + 1e-9, i)).to.equal('too-late');
    expect(uploadVerdict(120 - 1e-9, i)).to.equal('too-early');
  });

  it('config: opt-in, checked against windowS, the method and the chain', () => {
    const base: SimConfigInput = { seed: 1, peers: 2, rounds: 1, innerSteps: 1, windowS: 120, optim: { method: 'sparseloco' }, net: FIXED_NET };
    expect('windows' in resolveSimConfig(base)).to.equal(false);
    const cfg = resolveSimConfig({ ...base, windows: { blocksPerWindow: 10 } });
    expect(cfg.windows).to.deep.equal(W);
    expect(cfg.chain.roundLength).to.equal(10);
    expect(resolveSimConfig(cfg)).to.deep.equal(cfg); // idempotent
    expect(configError(() => resolveSimConfig({ ...base, windowS: 100, windows: { blocksPerWindow: 10 } })).key).to.equal('windowS');
    expect(configError(() => resolveSimConfig({ ...base, windows: { blocksPerWindow: 10, uploadDeadlineS: 120 } })).key).to.equal('windows.uploadDeadlineS');
    expect(configError(() => resolveSimConfig({ ...base, windows: { blocksPerWindow: 0 } })).key).to.equal('windows.blocksPerWindow');
    expect(configError(() => resolveSimConfig({ ...base, windows: { blocksPerWindow: 10, blockTimeS: -1 } })).key).to.equal('windows.blockTimeS');
    expect(configError(() => resolveSimConfig({ ...base, windows: { blocksPerWindow: 10, delta: 3 } as never })).key).to.equal('windows.delta');
    expect(configError(() => resolveSimConfig({ ...base, windows: { blocksPerWindow: 10 }, chain: { roundLength: 7 } })).key).to.equal('chain.roundLength');
    expect(configError(() => resolveSimConfig({ ...base, optim: { method: 'ddp' }, windows: { blocksPerWindow: 10 } })).key).to.equal('windows');
    expect(configError(() => resolveWindowsConfig({ blocksPerWindow: 10 }, 120, 'demo')).message).to.contain('demo');
    expect(TEMPLAR_WINDOWS).to.deep.equal({ blockTimeS: 12, blocksPerWindow: 125, uploadDeadlineS: 70 });
  });
});

/** One sparseloco upload's transfer time over FIXED_NET (every link alike), sim seconds. */
function uploadSeconds(): number {
  const ctx = simContext(windowsRun());
  return transferSeconds(messageBytes(), ctx.population.peers[0]!.link, ctx.store, 'upload');
}

function windowsRun(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 2,
    peers: 4,
    rounds: 1,
    innerSteps: 3,
    windowS: 120,
    stepTimeS: { kind: 'fixed', value: 1 },
    optim: { method: 'sparseloco' },
    net: FIXED_NET,
    windows: { blocksPerWindow: 10 },
    ...overrides,
  };
}

describe('sim: rounds on the block clock with the upload deadline', () => {
  it('a run without windows has no lateRejected column', () => {
    const { rows } = runSimulation({ ...windowsRun(), windows: undefined } as SimConfigInput);
    expect('lateRejected' in rows[0]!).to.equal(false);
  });

  it('uploads wait for the window end; exactly at time_max accepted, just after rejected', () => {
    const up = uploadSeconds();
    // Every peer trains 3 s, waits until 120 s, then its upload lands at 120 + up.
    const atDeadline = runSimulation(windowsRun({ windows: { blocksPerWindow: 10, uploadDeadlineS: up } })).rows[0]!;
    expect(atDeadline.onTime).to.equal(4);
    expect(atDeadline.lateRejected).to.equal(0);
    expect(atDeadline.status).to.equal('finalised');
    const justAfter = runSimulation(windowsRun({ windows: { blocksPerWindow: 10, uploadDeadlineS: up - 1e-9 } })).rows[0]!;
    expect(justAfter.onTime).to.equal(0);
    expect(justAfter.late).to.equal(4);
    expect(justAfter.lateRejected).to.equal(4);
    expect(justAfter.status).to.equal('skipped');
    // The round closes at time_max, and the sync (gather) runs from there.
    expect(atDeadline.simTimeS).to.be.closeTo(120 + up + atDeadline.syncTimeS, 1e-9);
  });

  it('random arrival times: on time iff arrival ≤ time_max, the rest lateRejected (counted both sides)', () => {
    const up = uploadSeconds();
    const { timeMinS, timeMaxS } = uploadInterval(W, 0);
    let onTimeSeen = 0;
    let rejectedSeen = 0;
    let cases = 0;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 2, maxLength: 6 }), fc.integer({ min: 1, max: 1e6 }), (steps, seed) => {
        const input = windowsRun({ peers: steps.length, stepTimeS: { kind: 'choice', values: steps }, seed });
        // Each peer's drawn step time → its arrival: it puts at max(trained, time_min), landing `up` later.
        const arrivals = simContext(input).population.peers.map((p) => Math.max(3 * p.stepTimeS, timeMinS) + up);
        const expectedOnTime = arrivals.filter((a) => uploadVerdict(a, { timeMinS, timeMaxS }) === 'accepted').length;
        const r = runSimulation(input).rows[0]!;
        expect(r.onTime).to.equal(expectedOnTime);
        expect(r.lateRejected).to.equal(steps.length - expectedOnTime);
        expect(r.late).to.equal(r.lateRejected);
        onTimeSeen += r.onTime;
        rejectedSeen += r.lateRejected!;
        cases++;
      }),
      { numRuns: 25, seed: 4 },
    );
    expect(cases).to.equal(25);
    expect(onTimeSeen).to.be.above(0); // both sides reached
    expect(rejectedSeen).to.be.above(0);
  });

  it('the chain mirror runs on the block clock: each commit lands in the block of its sim time, inside its round', () => {
    const up = uploadSeconds();
    const commits: { round: bigint; block: bigint }[] = [];
    let model: import('../../chain/model-chain.ts').ModelChain | null = null;
    const result = runSimulation(windowsRun({ rounds: 3 }), {
      onChain: (chain) => {
        model = chain.model;
        const commit = chain.model.commit.bind(chain.model);
        chain.model.commit = (from, round, hash, key) => {
          const receipt = commit(from, round, hash, key);
          commits.push({ round, block: receipt.blockNumber });
          return receipt;
        };
      },
    });
    expect(commits).to.have.length(12);
    for (const c of commits) {
      const r = Number(c.round);
      expect(c.block).to.equal(BigInt(blockAt(W, (r + 1) * 120 + up))); // the block of its arrival
      const window = model!.roundWindow(c.round);
      expect(c.block >= window.firstBlock && c.block <= window.lastBlock).to.equal(true);
      expect(window.lastBlock).to.equal(BigInt(blockAt(W, uploadInterval(W, r).timeMaxS)));
    }
    expect(result.rows.map((row) => row.chainReverts)).to.deep.equal(['', '', '']);
    expect(result.chain!.finalisedRounds).to.equal(3);
    expect(result.rows.map((row) => row.windowStartS)).to.deep.equal([0, 120, 240]); // the grid, though each round opens late
  });

  it("an upload past time_max is rejected off chain and its late commit reverts on the mirror", () => {
    const up = uploadSeconds();
    const { rows } = runSimulation(windowsRun({ rounds: 2, windows: { blocksPerWindow: 10, uploadDeadlineS: up - 1e-9 } }));
    expect(rows[0]!.lateRejected).to.equal(4);
    expect(rows[0]!.chainCommits).to.equal(0);
    expect(rows[1]!.chainReverts).to.contain('RoundCommitmentsWindowClosed=4');
  });
});
