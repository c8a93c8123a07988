/**
 * `npm run experiment … -- --backend cluster --resume DIR`: the orchestrator of a cluster run is
 * SIGKILLed from outside (pid found in /proc) after round 1 is finalised; its children go with it;
 * the resumed command continues from the run's chain (same node port, same database), Coordinator
 * and store, and ends on the params of an uninterrupted run (the simulator's, bit for bit).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveCommand } from '../../experiments/cli.ts';
import { runSimulationAsync } from '../../sim/run.ts';
import { pidsByCommandLine } from '../support/procs.ts';

const SIM_ARGS = ['fidelity', '--tiny', '--seeds', '1', '--set', 'rounds=4'];
const ARGS = [...SIM_ARGS, '--backend', 'cluster', '--block-ms', '100', '--round-blocks', '80'];

function cli(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'experiments/cli.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('experiments/cli --resume: a cluster run whose orchestrator died', function () {
  this.timeout(600_000); // three tfjs processes start twice; minutes on two shared cores

  it('continues from run.json to the uninterrupted run\'s final params hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-resume-'));
    const runDir = join(dir, 'cluster', 'sparseloco-seed1');
    const report = (round: number): string => join(runDir, 'store', 'cluster', `validator-report-${round}.json`);
    const first = cli([...ARGS, '--out', dir]);
    let stderr = '';
    first.stderr!.on('data', (c) => (stderr += c));
    const firstExit = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    await until('round 1 finalised', () => existsSync(report(1)) || first.exitCode !== null, 400_000);
    expect(first.exitCode, stderr).to.equal(null);
    const [orchestrator] = pidsByCommandLine('experiments/cli.ts', dir);
    expect(orchestrator).to.be.a('number');
    process.kill(orchestrator!, 'SIGKILL');
    expect(await firstExit).to.equal(null); // killed, not ended
    // Its peers, validator and chain node stop with it (IPC disconnect): nothing of the run is left.
    await until('the run\'s processes to exit', () => pidsByCommandLine(runDir).length === 0, 30_000);
    expect(existsSync(report(3))).to.equal(false);
    expect(existsSync(join(runDir, 'run.json'))).to.equal(true);

    const resumed = cli([...ARGS, '--resume', dir]);
    let resumedErr = '';
    resumed.stderr!.on('data', (c) => (resumedErr += c));
    const code = await new Promise<number | null>((resolve) => resumed.once('exit', (c) => resolve(c)));
    expect(code, resumedErr).to.equal(0);

    const command = await resolveCommand(SIM_ARGS);
    if (command.kind !== 'run') throw new Error('expected a run command');
    const sim = await runSimulationAsync(command.tasks[0]!.config);
    const last = JSON.parse(readFileSync(report(3), 'utf8')) as { paramsFnv: string };
    expect(last.paramsFnv).to.equal(sim.finalParamsHash);
    expect(existsSync(join(dir, 'metrics.jsonl'))).to.equal(true);
  });
});
