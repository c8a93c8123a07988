/**
 * A peer's local state on disk (cluster/local-state.ts): what is restored is bit-identical to what
 * was saved, a slot broken mid-write leaves the previous round's, and a restored trainer goes on
 * exactly as the one that never stopped.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCommunicator } from '../../core/baselines/index.ts';
import { ConfigError } from '../../core/errors.ts';
import { fnv1a } from '../../core/hash.ts';
import { createRng } from '../../core/rng.ts';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import { LocalPeerState } from '../../cluster/local-state.ts';

const freshDir = (): string => mkdtempSync(join(tmpdir(), 'local-state-'));
const hashOf = (a: Float32Array): string => fnv1a(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

/** A surrogate peer that trains and encodes `rounds` rounds (starting at `from`), saving after each when given a store. */
function peer(seed = 3) {
  const backend = createSurrogateBackend(createRng(seed).fork('backend'));
  const comm = createCommunicator(backend.layout, { method: 'sparseloco' });
  const theta = backend.initParams(createRng(seed).fork('init'));
  const trainer = backend.createTrainer(1);
  const commState = comm.createPeerState() as { ef: Float32Array };
  const messages: string[] = [];
  const play = (from: number, rounds: number, local: LocalPeerState | null): void => {
    for (let round = from; round < from + rounds; round++) {
      const { delta } = trainer.runInnerLoop({ params: theta, round, shards: [round % backend.numShards], innerSteps: 3 });
      messages.push(fnv1a(comm.encode(commState, delta)));
      local?.save(round, trainer, commState);
    }
  };
  return { trainer, commState, messages, play };
}

describe('cluster/local-state: a peer\'s state on its own disk', () => {
  it('restores m, v, the step count and the error feedback bit for bit, and a restored peer continues like one that never stopped', () => {
    const dir = freshDir();
    const straight = peer();
    straight.play(0, 5, null);

    const first = peer();
    first.play(0, 3, new LocalPeerState(dir, 'sparseloco'));
    const second = peer(); // a new process: fresh state, then the disk's
    const restored = new LocalPeerState(dir, 'sparseloco').restore(2, second.trainer, second.commState);
    expect(restored).to.deep.equal({ round: 2, step: 9 });
    expect(hashOf(second.trainer.optimizerState.m)).to.equal(hashOf(first.trainer.optimizerState.m));
    expect(hashOf(second.trainer.optimizerState.v)).to.equal(hashOf(first.trainer.optimizerState.v));
    expect(hashOf(second.commState.ef)).to.equal(hashOf(first.commState.ef));
    second.play(3, 2, null);
    expect([...first.messages, ...second.messages]).to.deep.equal(straight.messages);
    // Without the disk the continuation differs (the test can tell the two apart).
    const amnesiac = peer();
    amnesiac.play(3, 2, null);
    expect(amnesiac.messages).to.not.deep.equal(straight.messages.slice(3));
  });

  it('keeps two slots: the newest at or before the round asked for, the previous one when the newest is broken mid-write', () => {
    const dir = freshDir();
    const p = peer();
    const local = new LocalPeerState(dir, 'sparseloco');
    p.play(0, 4, local); // slots hold rounds 2 (slot 0) and 3 (slot 1)
    const probe = (maxRound: number) => new LocalPeerState(dir, 'sparseloco').restore(maxRound, peer().trainer, peer().commState);
    expect(probe(10)?.round).to.equal(3);
    expect(probe(2)?.round).to.equal(2);
    expect(probe(1)).to.equal(null); // round 1 was overwritten by round 3
    // A kill mid-write of round 3's slot: a torn file fails its checksum, and round 2's slot is used.
    const slot1 = join(dir, 'slot-1.bin');
    const whole = readFileSync(slot1);
    writeFileSync(slot1, whole.subarray(0, whole.length - 100));
    expect(probe(10)?.round).to.equal(2);
    // One flipped payload byte is caught too.
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 1] ^= 1;
    writeFileSync(slot1, flipped);
    expect(probe(10)?.round).to.equal(2);
    // A torn temp file (killed before the rename) is never read.
    writeFileSync(join(dir, 'slot-0.bin.tmp'), 'garbage');
    expect(probe(10)?.round).to.equal(2);
  });

  it('refuses another run\'s state (other sizes), naming the buffer', () => {
    const dir = freshDir();
    const p = peer();
    p.play(0, 1, new LocalPeerState(dir, 'sparseloco'));
    const other = createSurrogateBackend(createRng(3).fork('backend'), { hiddenDim: 4 });
    let error: unknown;
    try {
      new LocalPeerState(dir, 'sparseloco').restore(5, other.createTrainer(0), { ef: new Float32Array(other.layout.size) });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.match(/adamw\.m/);
  });
});
