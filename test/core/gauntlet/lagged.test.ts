/**
 * The lagged validator's busy-window schedule (core/gauntlet/lagged.ts): window w's judgement
 * lands at the close of w + B, windows closing while one is pending are skipped.
 */
import { expect } from 'chai';
import { ConfigError } from '../../../core/errors.ts';
import { LaggedSchedule, slashedBetween } from '../../../core/gauntlet/lagged.ts';
import { initialRecord } from '../../../core/gauntlet/rating.ts';

/** Drives a schedule over `windows` closes: returns [landed at close r (window judged or null), started at r]. */
function drive(busy: number, windows: number): { landed: (number | null)[]; started: boolean[] } {
  const s = new LaggedSchedule<number>(busy);
  const landed: (number | null)[] = [];
  const started: boolean[] = [];
  for (let r = 0; r < windows; r++) {
    landed.push(s.takeDue(r));
    started.push(s.start(r, r));
  }
  return { landed, started };
}

describe('core/gauntlet/lagged LaggedSchedule', () => {
  it('busy 1: every window is judged and lands one close later', () => {
    expect(drive(1, 4)).to.deep.equal({ landed: [null, 0, 1, 2], started: [true, true, true, true] });
  });

  it('busy 2: every other window is skipped; busy 3: two of three', () => {
    expect(drive(2, 6)).to.deep.equal({ landed: [null, null, 0, null, 2, null], started: [true, false, true, false, true, false] });
    expect(drive(3, 7).started).to.deep.equal([true, false, false, true, false, false, true]);
  });

  it('resumes from a persisted pending judgement', () => {
    const s = new LaggedSchedule<string>(2, { window: 4, dueAt: 6, value: 'w4' });
    expect(s.isBusy()).to.equal(true);
    expect(s.takeDue(5)).to.equal(null);
    expect(s.takeDue(6)).to.equal('w4');
    expect(s.pending).to.equal(null);
  });

  it('refuses a busy time that is not an integer ≥ 1, naming the key', () => {
    for (const bad of [0, 1.5, -1]) expect(() => new LaggedSchedule(bad)).to.throw(ConfigError, /validatorBusyWindows/);
  });

  it('slashedBetween lists the uids whose slash count rose, ascending', () => {
    const before = { rounds: 1, peers: new Map([[3, { ...initialRecord(3), slashes: 1 }], [1, initialRecord(1)]]) };
    const after = { rounds: 2, peers: new Map([[3, { ...initialRecord(3), slashes: 2 }], [1, initialRecord(1)], [0, { ...initialRecord(0), slashes: 1 }]]) };
    expect(slashedBetween(before, after)).to.deep.equal([0, 3]);
  });
});
