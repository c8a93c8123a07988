/**
 * Progress while an experiment runs: a one-line bar on a terminal (rounds done, sim time, current
 * loss, ETA), plain log lines otherwise (CI logs stay readable). Wall-clock use is fine here: this
 * layer sits above the deterministic simulator and writes nothing into the results.
 */
import type { ProgressEvent, RunTask } from './runner.ts';

export interface ProgressReporter {
  update(event: ProgressEvent): void;
  finish(): void;
}

export function createProgress(tasks: readonly RunTask[], stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const total = tasks.reduce((n, t) => n + t.rounds, 0);
  const started = performance.now();
  let done = 0;
  let lastDraw = 0;
  const tty = stream.isTTY === true;

  const eta = (): string => {
    if (done === 0) return '?';
    const s = ((performance.now() - started) / 1000 / done) * (total - done);
    return s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;
  };

  return {
    update({ task, row }) {
      done++;
      const runFinished = row.round === task.rounds - 1;
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        const width = 28;
        const filled = Math.round((done / total) * width);
        const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
        stream.write(`\r${bar} ${done}/${total} rounds | ${task.arm} s${task.seed} r${row.round} | sim ${row.simTimeS.toFixed(0)} s | loss ${row.heldoutLoss.toFixed(4)} | ETA ${eta()}   `);
      } else if (runFinished) {
        stream.write(`[${done}/${total}] ${task.arm} seed ${task.seed}: ${task.rounds} rounds, final held-out loss ${row.heldoutLoss.toFixed(4)}, sim ${row.simTimeS.toFixed(0)} s\n`);
      }
    },
    finish() {
      if (tty) stream.write('\n');
    },
  };
}
