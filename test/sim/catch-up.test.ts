import { expect } from 'chai';
import { GlobalProgress } from '../../core/protocol/index.ts';
import { AggregateLog, catchUpDownloads, planCatchUp } from '../../sim/catch-up.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';
import { FIXED_NET, messageBytes } from './helpers.ts';

const STEP_S = 0.1;
const H = 5;
const PARAMS_BYTES = 698 * 4; // the default surrogate MLP, dense fp32

/** When an on-time peer's upload arrives after the window start, sim seconds (the sim's arithmetic). */
function normalArrivalS(size: number): number {
  return H * STEP_S + (0.05 + 0.005 + size / (10e6 / 8));
}

function config(overrides: Partial<SimConfigInput>): SimConfigInput {
  return { seed: 1, peers: 3, rounds: 6, innerSteps: H, windowS: 10, stepTimeS: { kind: 'fixed', value: STEP_S }, optim: { method: 'sparseloco' }, net: FIXED_NET, ...overrides };
}

function progressWith(rounds: readonly number[]): GlobalProgress {
  const progress = new GlobalProgress();
  for (const round of rounds) progress.record({ round, phase: 'finalised' });
  return progress;
}

describe('sim/catch-up: plans and sizes', () => {
  const options = { maxReplay: 2, checkpointEvery: 4 };

  it('a new peer takes the latest checkpoint and replays the rounds after it', () => {
    expect(planCatchUp(null, progressWith([0, 1, 2, 3, 4, 5]), options)).to.deep.equal({ kind: 'checkpoint', checkpointStep: 4, rounds: [4, 5] });
  });

  it('a peer at the current step is up to date; a peer a few steps behind replays them', () => {
    const progress = progressWith([0, 1, 3, 4]); // round 2 was skipped
    expect(planCatchUp(4, progress, options)).to.deep.equal({ kind: 'up-to-date' });
    expect(planCatchUp(2, progress, options)).to.deep.equal({ kind: 'replay', rounds: [3, 4] });
  });

  it('a peer still holding θ⁰ replays everything when that is short, else takes the checkpoint', () => {
    expect(planCatchUp(0, progressWith([0, 1]), options)).to.deep.equal({ kind: 'replay', rounds: [0, 1] });
    expect(planCatchUp(0, progressWith([0, 1, 2, 3, 4]), options)).to.deep.equal({ kind: 'checkpoint', checkpointStep: 4, rounds: [4] });
  });

  it('downloads: the checkpoint is the dense params, each replayed round its aggregate', () => {
    const log = new AggregateLog();
    log.record(4, 700);
    log.record(5, 900);
    expect(catchUpDownloads({ kind: 'checkpoint', checkpointStep: 4, rounds: [4, 5] }, 2792, log)).to.deep.equal([2792, 700, 900]);
    expect(catchUpDownloads({ kind: 'replay', rounds: [5] }, 2792, log)).to.deep.equal([900]);
    expect(catchUpDownloads({ kind: 'up-to-date' }, 2792, log)).to.deep.equal([]);
  });
});

describe('sim/catch-up: in a run', () => {
  it('a returning peer replays the aggregates it missed, and the download makes its upload late', () => {
    const size = messageBytes();
    // Replaying three rounds of two messages each takes ≈ 3 × 0.055 s; give the window 0.05 s of slack.
    const windowS = normalArrivalS(size) + 0.05;
    // 'at-start': peer 1 is online at round 0's start, offline for rounds 1–3 (≈ 0.66 s each), back from 2.5 s.
    const csv = 'peer,start,end\n0,0,inf\n2,0,inf\n1,0,0.3\n1,2.5,inf\n';
    const { rows } = runSimulation(config({ windowS, churn: { availability: { kind: 'trace', csv, rule: 'at-start' } } }));
    expect(rows.slice(0, 5).map((r) => r.activePeers)).to.deep.equal([3, 2, 2, 2, 3]);
    for (const r of rows.slice(0, 4)) expect(r.catchUpBytes).to.equal(0);
    const missed = rows.slice(1, 4);
    expect(missed.every((r) => r.status === 'finalised' && r.contributors === 2)).to.equal(true);
    const back = rows[4]!;
    expect(back.catchUpBytes).to.equal(3 * 2 * size);
    expect(back.late).to.equal(1);
    expect(back.onTime).to.equal(2);
    // Sync: the 2 contributors fetch each other's message, the late peer both; catch-up on top.
    expect(back.bytesDownTotal).to.equal(4 * size + back.catchUpBytes);
    // Caught up and synced, it is on time in the next round.
    expect(rows[5]!.late).to.equal(0);
    expect(rows[5]!.catchUpBytes).to.equal(0);
  });

  it('a joiner downloads the checkpoint before training (and may be late), and counts as joined', () => {
    const size = messageBytes();
    const windowS = normalArrivalS(size) + 0.01; // the checkpoint download takes 0.055 s + 2792 B / 12.5 MB/s
    const churn = { availability: { kind: 'always' }, joins: { kind: 'listed', firstPeerId: 10, rounds: [{ round: 2, count: 1 }] } } as const;
    const { rows } = runSimulation(config({ windowS, churn, catchUp: { maxReplay: 8, checkpointEvery: 1 } }));
    expect(rows.map((r) => r.joined)).to.deep.equal([0, 0, 1, 0, 0, 0]);
    expect(rows.map((r) => r.activePeers)).to.deep.equal([3, 3, 4, 4, 4, 4]);
    expect(rows[2]!.catchUpBytes).to.equal(PARAMS_BYTES);
    expect(rows[2]!.late).to.equal(1);
    expect(rows[3]!.late).to.equal(0);
    expect(rows[3]!.onTime).to.equal(4);
    // With a sparse checkpoint schedule the joiner also replays the rounds since checkpoint 0.
    const sparse = runSimulation(config({ windowS: 10, churn, catchUp: { maxReplay: 8, checkpointEvery: 50 } })).rows;
    expect(sparse[2]!.catchUpBytes).to.equal(PARAMS_BYTES + 2 * 3 * size);
    expect(sparse[2]!.late).to.equal(0);
  });

  it('a crashed peer does not sync, so it catches up next round', () => {
    const { rows } = runSimulation(config({ rounds: 8, churn: { availability: { kind: 'always' }, crash: { probability: 0.4 } } }));
    const size = messageBytes();
    for (let r = 1; r < rows.length; r++) {
      // Every peer that crashed in round r − 1 replays exactly that round's aggregate.
      expect(rows[r]!.catchUpBytes).to.equal(rows[r - 1]!.crashed * rows[r - 1]!.contributors * size);
    }
    expect(rows.some((r) => r.catchUpBytes > 0)).to.equal(true);
  });
});
