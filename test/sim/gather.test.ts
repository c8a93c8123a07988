/**
 * The gather step of a SparseLoCo round (sim/round-gather.ts, config `gather`): the section is
 * validated and absent by default; G ≥ P reproduces the all-gather row for row; gather-G downloads
 * only the listed messages, falls back to reserves, and gives up downloads past the timeout,
 * leaving those messages out of the aggregate.
 */
import { expect } from 'chai';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';
import type { SimRoundRow } from '../../sim/metrics.ts';
import { GATHER_DEFAULTS, TEMPLAR_GATHER } from '../../sim/round-gather-config.ts';
import { PeerListSchedule } from '../../core/protocol/peer-list-schedule.ts';
import { configError, FIXED_NET, messageBytes } from './helpers.ts';

const GATHER_COLUMNS = ['gatherListed', 'gathered', 'gatherFellBack', 'gatherMissing', 'gatherTimedOut'] as const;

function config(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 7, peers: 10, rounds: 6, innerSteps: 2, windowS: 30, optim: { method: 'sparseloco' }, net: FIXED_NET,
    churn: { availability: { kind: 'bernoulli', dropout: 0.3 } }, ...overrides,
  };
}

function withoutGather(rows: readonly SimRoundRow[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !(GATHER_COLUMNS as readonly string[]).includes(k))));
}

describe('sim/round-gather', () => {
  it("a sparseloco config without a gather section gets templar's gather-20; other methods none, and their rows carry no gather columns", () => {
    expect(resolveSimConfig(config()).gather).to.deep.equal(TEMPLAR_GATHER);
    const row = runSimulation(config({ rounds: 1 })).rows[0]!;
    for (const c of GATHER_COLUMNS) expect(row).to.have.property(c);
    const diloco = config({ rounds: 1, optim: { method: 'diloco' } });
    expect(Object.keys(resolveSimConfig(diloco))).to.not.include('gather');
    const dilocoRow = runSimulation(diloco).rows[0]!;
    for (const c of GATHER_COLUMNS) expect(dilocoRow).to.not.have.property(c);
  });

  it("fills defaults (templar's values) and names a bad key", () => {
    expect(resolveSimConfig(config({ gather: {} })).gather).to.deep.equal(GATHER_DEFAULTS);
    expect(TEMPLAR_GATHER).to.deep.equal({ peers: 20, reserves: 10, refreshEvery: 2, downloadTimeoutS: 90 });
    expect(resolveSimConfig(config({ gather: { peers: 4 } })).gather).to.deep.equal({ ...TEMPLAR_GATHER, peers: 4 });
    expect(configError(() => resolveSimConfig(config({ gather: { peers: 0 } }))).key).to.equal('gather.peers');
    expect(configError(() => resolveSimConfig(config({ gather: { peers: 'some' as never } }))).key).to.equal('gather.peers');
    expect(configError(() => resolveSimConfig(config({ gather: { reserves: 1.5 } }))).key).to.equal('gather.reserves');
    expect(configError(() => resolveSimConfig(config({ gather: { refreshEvery: 0 } }))).key).to.equal('gather.refreshEvery');
    expect(configError(() => resolveSimConfig(config({ gather: { downloadTimeoutS: 0 } }))).key).to.equal('gather.downloadTimeoutS');
    expect(configError(() => resolveSimConfig(config({ gather: { peer: 3 } as never }))).key).to.equal('gather.peer');
    expect(configError(() => resolveSimConfig(config({ optim: { method: 'diloco' }, gather: { peers: 3 } }))).key).to.equal('gather.peers');
  });

  it('the validator republishes every refreshEvery windows from the last finalised round (registration order first)', () => {
    const pub = new PeerListSchedule({ ...TEMPLAR_GATHER, peers: 2, reserves: 1, refreshEvery: 2 });
    const registered = [0, 1, 2, 3, 4];
    expect(pub.listFor(0, registered)).to.deep.equal({ primaries: [0, 1], reserves: [2] });
    pub.recordRound('finalised', [3, 4], null); // contributors weigh 1 each
    expect(pub.listFor(1, registered), 'not due before 2 windows').to.deep.equal({ primaries: [0, 1], reserves: [2] });
    expect(pub.listFor(2, registered)).to.deep.equal({ primaries: [3, 4], reserves: [0] });
    pub.recordRound('finalised', [0, 1], new Map([[2, 0.7], [1, 0.2], [0, 0.1]])); // Gauntlet's weights win over contributions
    pub.recordRound('skipped', [], null); // a skipped round leaves the weights as they were
    expect(pub.listFor(4, registered)).to.deep.equal({ primaries: [2, 1], reserves: [0] });
  });

  it("gather 'all' adds the columns (listed = gathered = on time) and changes nothing else", () => {
    const plain = runSimulation(config()).rows;
    const all = runSimulation(config({ gather: { peers: 'all' } })).rows;
    expect(withoutGather(all)).to.deep.equal(withoutGather(plain));
    for (const r of all) {
      expect([r.gatherListed, r.gathered, r.gatherFellBack, r.gatherMissing, r.gatherTimedOut]).to.deep.equal([r.onTime, r.onTime, 0, 0, 0]);
    }
  });

  it('G ≥ number of peers (no timeout hit) gives rows identical to the all-gather, 30% dropout', () => {
    const all = runSimulation(config({ gather: { peers: 'all' } })).rows;
    const big = runSimulation(config({ gather: { peers: 12, reserves: 0, downloadTimeoutS: 1e9 } })).rows;
    const listedApart = (rows: readonly SimRoundRow[]) => rows.map(({ gatherListed: _l, gatherMissing: _m, ...rest }) => rest);
    expect(listedApart(big)).to.deep.equal(listedApart(all));
    // Every registered peer is listed; the absent ones are the missing.
    for (const r of big) {
      expect(r.gatherListed).to.equal(10);
      expect(r.gatherMissing).to.equal(10 - r.onTime);
    }
    expect(big.some((r) => r.onTime < 10), 'dropout reached').to.equal(true);
  });

  it('gather-G downloads only the gathered messages, and reserves fill in for missing primaries', () => {
    const bytes = messageBytes();
    const rows = runSimulation(config({ rounds: 8, gather: { peers: 4, reserves: 3 } })).rows;
    let fellBack = 0;
    for (const r of rows) {
      expect(r.gatherListed).to.equal(4);
      expect(r.gathered!).to.be.at.most(4);
      if (r.status === 'finalised') {
        expect(r.contributors).to.equal(r.gathered);
        // Each syncing peer downloads the gathered messages but its own: at most gathered × bytes each.
        const syncing = r.activePeers - r.crashed;
        expect(r.bytesDownTotal - r.catchUpBytes).to.be.at.most(syncing * r.gathered! * bytes);
        expect(r.bytesDownTotal - r.catchUpBytes).to.be.at.least(syncing * (r.gathered! - 1) * bytes);
      }
      fellBack += r.gatherFellBack!;
    }
    expect(fellBack, 'a reserve filled in somewhere').to.be.greaterThan(0);
  });

  it('an invalid primary (malformed message) is replaced by a reserve, and never reaches the aggregate', () => {
    // 10 peers, none absent; 3 malformed attackers (uids drawn by the adversaries); 4 primaries + 4 reserves.
    const cfg = config({ rounds: 6, churn: { availability: { kind: 'always' } }, replicas: { warmupWindows: 0 }, gather: { peers: 4, reserves: 4 }, adversaries: [{ attack: { kind: 'malformed', fault: 'duplicate-index' }, fraction: 0.3 }] });
    const rows = runSimulation(cfg).rows;
    let invalid = 0;
    for (const r of rows) {
      invalid += r.gatherInvalid!;
      expect(r.attackersSelected, `round ${r.round}`).to.equal(0); // invalid ones are gathered by nobody
      expect(r.gathered! + r.gatherMissing! + r.gatherTimedOut!).to.be.at.most(4 + r.gatherFellBack!);
      if (r.gatherInvalid! > 0) expect(r.gatherFellBack!, `round ${r.round}`).to.be.greaterThan(0);
      expect(r.rejectedReasons).to.not.contain('duplicate-index'); // the defence never sees them
    }
    expect(invalid, 'some listed attacker sent a malformed message').to.be.greaterThan(0);
    // Without attackers nothing is invalid.
    expect(runSimulation({ ...cfg, adversaries: [] }).rows.every((r) => r.gatherInvalid === 0)).to.equal(true);
  });

  it('a download past the timeout is given up and its message left out of the aggregate', () => {
    const bytes = messageBytes();
    // 100 Mbit/s down, 55 ms latency. Each peer fetches its 2 listed messages (not its own) at once,
    // sharing its downlink: both land at 0.055 + 2·bytes·8/1e8 s. A timeout at one and a half
    // messages gives both up on every peer; one above two messages keeps all three.
    const twoS = 0.055 + (2 * bytes * 8) / 100e6;
    const tight = 0.055 + (1.5 * bytes * 8) / 100e6;
    const run = (timeoutS: number) => runSimulation(config({ churn: { availability: { kind: 'always' } }, rounds: 2, gather: { peers: 3, reserves: 0, downloadTimeoutS: timeoutS } })).rows;
    for (const r of run(tight)) {
      expect(r.gatherTimedOut).to.equal(3);
      expect(r.gathered).to.equal(0);
      expect(r.contributors).to.equal(0);
      expect(r.status).to.equal('skipped');
    }
    for (const r of run(twoS * 1.001)) {
      expect(r.gatherTimedOut).to.equal(0);
      expect(r.gathered).to.equal(3);
      // 3 peers fetch 2 messages each, the 7 unlisted peers all 3.
      expect(r.bytesDownTotal).to.equal((3 * 2 + 7 * 3) * bytes);
      expect(r.syncTimeS).to.be.closeTo(0.055 + (3 * bytes * 8) / 100e6, 1e-9);
    }
  });
});
