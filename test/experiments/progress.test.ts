import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createProgress } from '../../experiments/progress.ts';
import type { RunTask } from '../../experiments/runner.ts';
import type { SimRoundRow } from '../../sim/metrics.ts';

// What a researcher sees while `npm run experiment` runs: the bar on a terminal, one line per
// finished run elsewhere. The streams here record every byte written.
class Recorder extends Writable {
  text = '';
  columns = 200; // characters: wide enough that nothing is cut
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

const stream = (tty: boolean): Recorder & NodeJS.WriteStream => new Recorder(tty) as Recorder & NodeJS.WriteStream;
/** What the terminal shows at the end: the last redraw (cli-progress starts each at column 1), ANSI codes removed. */
const screen = (s: string): string => (s.split('\x1b[1G').at(-1) ?? '').replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '');

const task = (index: number, arm: string, seed: number, rounds: number): RunTask => ({ index, arm, seed, rounds, labels: {}, config: {} as RunTask['config'] });
const row = (round: number): SimRoundRow => ({ round, simTimeS: 10 * (round + 1), heldoutLoss: 1 / (round + 2) }) as SimRoundRow;
const tasks = [task(0, 'no churn', 1, 3), task(1, '30% dropout', 2, 3)];

/** Feeds every round of every task, in order, as the runner does with one job. */
function feed(reporter: ReturnType<typeof createProgress>): void {
  for (const t of tasks) for (let r = 0; r < t.rounds; r++) reporter.update({ task: t, row: row(r) });
}

describe('experiments/progress', () => {
  it('writes one line per finished run when the stream is not a terminal', () => {
    const out = stream(false);
    const progress = createProgress(tasks, out);
    feed(progress);
    progress.finish();
    expect(out.text).to.equal(
      '[3/6] no churn seed 1: 3 rounds, final held-out loss 0.2500, sim 30 s\n'
      + '[6/6] 30% dropout seed 2: 3 rounds, final held-out loss 0.2500, sim 30 s\n',
    );
  });

  it('draws a bar on a terminal and ends with the final state on its own line', () => {
    const out = stream(true);
    const progress = createProgress(tasks, out);
    feed(progress);
    progress.finish();
    expect(screen(out.text)).to.match(/^█{28} 6\/6 rounds \| 30% dropout s2 r2 \| sim 30 s \| loss 0\.2500 \| ETA 0 s\n$/);
  });

  it('shows the first round as soon as it arrives, and the last one drawn at finish()', () => {
    const out = stream(true);
    const progress = createProgress(tasks, out);
    progress.update({ task: tasks[0]!, row: row(0) });
    expect(screen(out.text)).to.match(/^█{5}░{23} 1\/6 rounds \| no churn s1 r0 \| sim 10 s \| loss 0\.5000 \| ETA \d+ s$/);
    progress.update({ task: tasks[0]!, row: row(1) });
    progress.finish();
    expect(screen(out.text)).to.match(/^█{9}░{19} 2\/6 rounds \| no churn s1 r1 \| sim 20 s \| loss 0\.3333 \| ETA \d+ s\n$/);
  });

  it('writes nothing on a terminal when no round arrived', () => {
    const out = stream(true);
    createProgress(tasks, out).finish();
    expect(out.text).to.equal('');
  });

  it('does not keep Node running when a run fails before finish()', () => {
    // The bar redraws from a timer; a child that never calls finish() must still exit by itself.
    const progressModule = fileURLToPath(new URL('../../experiments/progress.ts', import.meta.url));
    const script = [
      `import { Writable } from 'node:stream';`,
      `const { createProgress } = await import(${JSON.stringify(progressModule)});`,
      `const out = Object.assign(new Writable({ write(c, e, done) { done(); } }), { isTTY: true, columns: 200 });`,
      `const t = { index: 0, arm: 'a', seed: 1, rounds: 5, labels: {}, config: {} };`,
      `createProgress([t], out).update({ task: t, row: { round: 0, simTimeS: 1, heldoutLoss: 1 } });`,
      `process.stdout.write('updated');`,
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.signal, 'killed by the timeout: the bar held the event loop open').to.equal(null);
    expect(child.stderr).to.equal('');
    expect(child.stdout).to.equal('updated');
    expect(child.status).to.equal(0);
  });
});
