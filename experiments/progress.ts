/**
 * Progress while an experiment runs: a one-line cli-progress bar on a terminal (rounds done, the
 * arm, seed and round just finished, its sim time and held-out loss, ETA), plain log lines
 * otherwise, one per finished run (CI logs stay readable). Wall-clock use is fine here: this layer
 * sits above the deterministic simulator and writes nothing into the results.
 */
// cli-progress is CommonJS; Node's ESM loader exposes only its default export reliably.
import cliProgress from 'cli-progress';
import type { ProgressEvent, RunTask } from './runner.ts';

export interface ProgressReporter {
  update(event: ProgressEvent): void;
  finish(): void;
}

/** Chooses the bar on a terminal and log lines elsewhere (a pipe, a file, CI). */
export function createProgress(tasks: readonly RunTask[], stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const totalRounds = tasks.reduce((n, t) => n + t.rounds, 0);
  return stream.isTTY === true ? terminalBar(totalRounds, stream) : logLines(totalRounds, stream);
}

/**
 * cli-progress redraws from a timer that it re-arms after every draw; unreferencing it means a run
 * that throws before finish() still lets Node exit instead of being held open by the bar.
 */
class UnrefBar extends cliProgress.SingleBar {
  override render(): void {
    super.render();
    (this as unknown as { timer?: NodeJS.Timeout | null }).timer?.unref();
  }
}

interface BarPayload {
  readonly arm: string;
  readonly seed: number;
  readonly round: number;
  readonly simS: number; // sim seconds at the end of that round
  readonly loss: number; // held-out loss after that round
}

function terminalBar(totalRounds: number, stream: NodeJS.WriteStream): ProgressReporter {
  const started = performance.now(); // ms
  // ETA from the mean rate since the run started (rounds arrive in bursts from the workers).
  const eta = (done: number): string => {
    const s = ((performance.now() - started) / 1000 / done) * (totalRounds - done);
    return s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`;
  };
  const bar = new UnrefBar({
    stream,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    barsize: 28, // characters
    fps: 10, // at most 10 redraws per second, however fast rounds arrive
    format: (options, params, p: BarPayload) =>
      `${cliProgress.Format.BarFormat(params.progress, options)} ${params.value}/${params.total} rounds | ${p.arm} s${p.seed} r${p.round} | sim ${p.simS.toFixed(0)} s | loss ${p.loss.toFixed(4)} | ETA ${eta(params.value)}`,
  });
  let done = 0;
  return {
    update({ task, row }) {
      done++;
      const payload: BarPayload = { arm: task.arm, seed: task.seed, round: row.round, simS: row.simTimeS, loss: row.heldoutLoss };
      // Started on the first row, so the line never shows empty fields or a 0-round ETA.
      if (done === 1) bar.start(totalRounds, done, payload);
      else bar.update(done, payload);
    },
    finish() {
      if (done > 0) bar.stop(); // draws the final state, then a newline
    },
  };
}

function logLines(totalRounds: number, stream: NodeJS.WriteStream): ProgressReporter {
  let done = 0;
  return {
    update({ task, row }) {
      done++;
      if (row.round !== task.rounds - 1) return; // one line per finished (arm, seed) run
      stream.write(`[${done}/${totalRounds}] ${task.arm} seed ${task.seed}: ${task.rounds} rounds, final held-out loss ${row.heldoutLoss.toFixed(4)}, sim ${row.simTimeS.toFixed(0)} s\n`);
    },
    finish() {},
  };
}
