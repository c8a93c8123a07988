import { expect } from 'chai';
import { planUploads, trainHonestly } from '../../sim/contribution.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { openSimRound } from '../../sim/round-open.ts';
import { FIXED_NET, simContext } from './helpers.ts';

const CONFIG: SimConfigInput = {
  // No null rounds (replicas.warmupWindows 0): these tests compare real trained messages.
  seed: 4, peers: 6, rounds: 2, innerSteps: 2, windowS: 60, net: FIXED_NET, replicas: { warmupWindows: 0 },
  optim: { method: 'sparseloco', topK: 8, quantBits: 2 }, backend: { hiddenDim: 16, batchSize: 8, numShards: 16 },
};

describe('sim/contribution', () => {
  it('a clean run plans exactly trainHonestly for every participant, in order', () => {
    const a = simContext(CONFIG);
    const b = simContext(CONFIG);
    const planned = planUploads(a, openSimRound(a, 0).participants, 0);
    const deltaOut = new Float32Array(b.backend.layout.size);
    const opened = openSimRound(b, 0);
    expect(planned.size).to.equal(6);
    for (const p of opened.participants) {
      const expected = trainHonestly(b, p, 0, deltaOut);
      const got = planned.get(p.peer.uid)!;
      expect(got.bytes).to.deep.equal(expected.bytes);
      expect(got.trainLoss).to.equal(expected.trainLoss);
      expect(got).to.include({ copycat: false, committedHash: null, baseStep: 0 });
      expect(p.peer.trainer.optimizerSteps).to.equal(2); // H inner steps
    }
  });

  it('with attackers, every honest peer uploads the bytes it would upload in a clean run', () => {
    const clean = simContext(CONFIG);
    const attacked = simContext({ ...CONFIG, adversaries: [{ attack: { kind: 'sign-flip' }, fraction: 0.34 }, { attack: { kind: 'free-rider' }, fraction: 0.17 }] });
    const adv = attacked.adversaries!;
    const honest = planUploads(clean, openSimRound(clean, 0).participants, 0);
    const planned = planUploads(attacked, openSimRound(attacked, 0).participants, 0);
    let honestPeers = 0;
    for (const [uid, upload] of planned) {
      if (adv.isAttacker(uid)) {
        expect(upload.bytes).to.not.deep.equal(honest.get(uid)!.bytes);
      } else {
        honestPeers++;
        expect(upload.bytes).to.deep.equal(honest.get(uid)!.bytes);
      }
    }
    expect(honestPeers).to.equal(3); // round(0.34·6) + round(0.17·6) = 2 + 1 attackers
  });
});
