/**
 * Sweeps through BullMQ on a real redis-server with two worker processes: the results folder
 * equals a local run's byte for byte, a worker killed mid-task (SIGKILL) costs nothing but time,
 * and a task that fails deterministically or comes from other code fails the sweep, typed.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { planRuns, runExperiment } from '../../experiments/runner.ts';
import type { RunTask } from '../../experiments/runner.ts';
import { QueueTaskError } from '../../experiments/queue/errors.ts';
import { parseRedisUrl } from '../../experiments/queue/redis-url.ts';
import { queueExecutor, runQueueTasks } from '../../experiments/queue/submit.ts';
import { main } from '../../experiments/cli.ts';
import { startRedis, startWorker } from './queue-helpers.ts';
import type { Child, RedisServer } from './queue-helpers.ts';

/** The experiment of every test here: churn-30pct at tiny size, 2 arms × 1 seed = 2 tasks. */
const EXPERIMENT = ['churn-30pct', '--tiny', '--seeds', '1'];
const RESULT_FILES = ['metrics.jsonl', 'metrics.csv', 'summary.json', 'summary.md', 'config.resolved.json'];

describe('queue: sweeps on BullMQ workers (real redis-server, two worker processes)', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let workers: Child[] = [];
  let dir: string;
  let local: string;

  /** `npm run experiment …` in this process (no tsx start-up), its output kept in `lines` instead of printed. */
  const runCli = async (args: readonly string[], lines: string[] = []): Promise<string[]> => {
    const saved = { log: console.log, error: console.error, write: process.stderr.write };
    const keep = (...parts: unknown[]): void => void lines.push(parts.map(String).join(' '));
    console.log = keep;
    console.error = keep;
    process.stderr.write = ((chunk: string | Uint8Array) => (keep(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await main([...args]);
    } finally {
      Object.assign(console, { log: saved.log, error: saved.error });
      process.stderr.write = saved.write;
    }
    return lines;
  };
  const keys = (): string => redis.cli('--scan', '--pattern', 'sparseloco*');
  const exitedOf = (worker: Child): boolean => worker.process.exitCode !== null || worker.process.signalCode !== null;
  /** The sweeps a live worker has served and not yet removed (it logs both). */
  const unretired = (worker: Child): string[] => {
    const served = worker.lines.map((l) => /^serving \S+ sweep (\S+) /.exec(l)?.[1]).filter((q): q is string => q !== undefined);
    return served.filter((q) => !worker.lines.includes(`removed sweep ${q}`));
  };
  /**
   * Workers drop a finished sweep at their next poll (1 s) and remove the keys they wrote back.
   * Redis can be empty for a moment before a still-attached worker writes `meta` back, so the
   * check waits until every worker has removed every sweep it served, then looks at the keys.
   */
  const noKeysLeft = async (): Promise<void> => {
    const settled = (): boolean => workers.every((w) => exitedOf(w) || unretired(w).length === 0) && keys() === '';
    for (let i = 0; i < 300 && !settled(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(keys(), `keys left; the workers' last lines:\n${workers.map((w) => w.lines.slice(-8).join('\n')).join('\n--\n')}`).to.equal('');
    expect(workers.filter((w) => !exitedOf(w)).map(unretired), "sweeps a live worker still serves").to.deep.equal(workers.filter((w) => !exitedOf(w)).map(() => []));
  };
  const finishedBy = (worker: Child, queueLine: RegExp): string[] => worker.lines.filter((l) => /^task finished:/.test(l) && queueLine.test(l));

  before(async function () {
    this.timeout(600_000); // a first install of Debian's redis-server
    dir = mkdtempSync(join(tmpdir(), 'sll-queue-'));
    redis = await startRedis();
    workers = [startWorker(redis.url, 'worker A'), startWorker(redis.url, 'worker B')];
    local = join(dir, 'local');
    await Promise.all([runCli([...EXPERIMENT, '--jobs', '1', '--out', local]), ...workers.map((w) => w.waitFor(/waiting for sweeps/))]);
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the same results folder as a local run, and leaves no keys behind', async () => {
    const out = join(dir, 'queued');
    const lines = await runCli([...EXPERIMENT, '--queue', redis.url, '--out', out]);
    const queue = /queue (churn-30pct-\S+) on/.exec(lines.join('\n'))![1]!;
    for (const file of RESULT_FILES) expect(readFileSync(join(out, file)).equals(readFileSync(join(local, file))), file).to.equal(true);
    const done = workers.map((w) => finishedBy(w, new RegExp(queue)).length);
    expect(done[0]! + done[1]!).to.equal(2);
    await noKeysLeft();
  });

  it('hands the task of a worker killed mid-run (SIGKILL) to the other; the results are unchanged', async () => {
    const out = join(dir, 'killed');
    const lines: string[] = [];
    const submitted = runCli([...EXPERIMENT, '--queue', redis.url, '--out', out], lines);
    let queue: string | undefined;
    while ((queue = lines.map((l) => /^queue (churn-30pct-\S+) on /.exec(l)?.[1]).find(Boolean)) === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = new RegExp(`^task started: ${queue} `);
    const first = await Promise.race(workers.map((w, i) => w.waitFor(started).then((line) => ({ i, line }))));
    const victim = workers[first.i]!;
    const survivor = workers[1 - first.i]!;
    await victim.kill('SIGKILL');
    const index = /task (\d+) /.exec(first.line)![1]!;
    await submitted;
    expect(victim.lines.some((l) => l.startsWith(`task finished: ${queue} task ${index} `)), 'the victim finished its task before the kill').to.equal(false);
    expect(survivor.lines.some((l) => l.startsWith(`task finished: ${queue} task ${index} `))).to.equal(true);
    expect(readFileSync(join(out, 'metrics.jsonl')).equals(readFileSync(join(local, 'metrics.jsonl')))).to.equal(true);
    await noKeysLeft();
    workers[first.i] = startWorker(redis.url, 'worker C');
    await workers[first.i]!.waitFor(/waiting for sweeps/);
  });

  it('fails the sweep at once, typed and naming the task, when a task throws a ConfigError (no retry)', async () => {
    const exp = EXPERIMENTS.get('churn-30pct')!;
    const [good, bad] = planRuns(exp, [1], exp.tiny) as [RunTask, RunTask];
    const broken: RunTask = { ...bad, config: { ...bad.config, peers: 0 } }; // resolveSimConfig throws on the worker
    const error = await runQueueTasks([good, broken], { location: parseRedisUrl(redis.url), experiment: 'churn-30pct' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(QueueTaskError);
    const failure = error as QueueTaskError;
    expect([failure.task.index, failure.task.arm, failure.errorName, failure.attempts]).to.deep.equal([1, '30% dropout', 'ConfigError', 1]);
    expect(failure.errorMessage).to.match(/^peers \(0\) must be an integer ≥ 1/);
    expect(failure.worker).to.match(/:\d+$/);
    expect(failure.message).to.match(/^churn-30pct \/ 30% dropout \/ seed 1 \(task 1\) failed on worker \S+:\d+ after 1 attempt\(s\): ConfigError: peers \(0\)/);
    await noKeysLeft();
  });

  it('is refused by workers on other code: CodeVersionError names both versions', async () => {
    const exp = EXPERIMENTS.get('churn-30pct')!;
    const executor = queueExecutor({ location: parseRedisUrl(redis.url), experiment: exp.id, codeVersion: '0123abc' });
    const error = await runExperiment(exp, { seeds: [1], extra: exp.tiny, executor }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(QueueTaskError);
    expect([(error as QueueTaskError).errorName, (error as QueueTaskError).attempts]).to.deep.equal(['CodeVersionError', 1]);
    expect((error as QueueTaskError).errorMessage).to.match(/submitted from code 0123abc, but this worker runs [0-9a-f]{40}/);
    await noKeysLeft();
  });

  it('rejects a bad --queue value before anything runs', async () => {
    const error = await runCli([...EXPERIMENT, '--queue', 'redis://127.0.0.1:6379/jobs']).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).message).to.equal('--queue ("redis://127.0.0.1:6379/jobs") has path "/jobs": only a database number may follow the host (/0, /1, …)');
  });
});
