/** The validator's persisted memory keeps Maps and non-finite numbers bit for bit (cluster/validator-state.ts). */
import { expect } from 'chai';
import { stateFromJson, stateToJson } from '../../cluster/validator-state.ts';
import { PeerListSchedule } from '../../core/protocol/peer-list-schedule.ts';

describe('cluster/validator-state', () => {
  it('round-trips Maps, ±Infinity, NaN and −0', () => {
    const value = { a: new Map([[1, { x: Infinity, y: -Infinity, z: Number.NaN, w: -0, v: 0.1 + 0.2 }]]), b: [new Map([[2, 3]])], c: null };
    const back = stateFromJson<typeof value>(stateToJson(value));
    const rec = back.a.get(1)!;
    expect(rec.x).to.equal(Infinity);
    expect(rec.y).to.equal(-Infinity);
    expect(Number.isNaN(rec.z)).to.equal(true);
    expect(Object.is(rec.w, -0)).to.equal(true);
    expect(rec.v).to.equal(0.1 + 0.2);
    expect(back.b[0]!.get(2)).to.equal(3);
    expect(back.c).to.equal(null);
  });

  it('a resumed peer-list schedule publishes the same lists as one that never stopped', () => {
    const config = { peers: 2, reserves: 1, refreshEvery: 2 };
    const registered = [0, 1, 2, 3];
    const a = new PeerListSchedule(config);
    a.listFor(0, registered);
    a.recordRound('finalised', [2, 3], new Map([[3, 0.7], [2, 0.2], [0, 0.1]]));
    a.acceptPost({ list: { primaries: [1, 0], reserves: [3] }, effectiveFrom: 4 });
    const b = new PeerListSchedule(config, stateFromJson(stateToJson(a.snapshot())));
    for (const round of [1, 2, 3, 4, 5]) expect(b.listFor(round, registered), `round ${round}`).to.deep.equal(a.listFor(round, registered));
    expect(b.listFor(2, registered)).to.deep.equal({ primaries: [1, 0], reserves: [3] });
  });
});
