/**
 * Fixtures of the queue tests: a real `redis-server` on 127.0.0.1 on a free port without
 * persistence, and `npm run worker` / `npm run experiment` as child processes (tsx), with their
 * stderr lines kept so a test can wait for "task started" and kill that worker.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ensureDebianProgram } from '../support/debian.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A child process with its output lines and a way to wait for one. */
export interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first line (seen so far or later) matching `pattern`; rejects if the child exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

function track(child: ChildProcess, name: string): Child {
  const lines: string[] = [];
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let exitCode: number | null | undefined;
  const exitWaiters: ((code: number | null) => void)[] = [];
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      lines.push(line);
      for (const w of [...watchers]) if (w.pattern.test(line)) (watchers.splice(watchers.indexOf(w), 1), w.resolve(line));
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    exitCode = code;
    resolve(code);
    for (const w of exitWaiters) w(code);
  }));
  return {
    process: child,
    lines,
    exited,
    waitFor(pattern) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      if (exitCode !== undefined) return Promise.reject(new Error(`${name} exited (${exitCode}) before printing ${pattern}:\n${lines.join('\n')}`));
      return new Promise((resolve, reject) => {
        watchers.push({ pattern, resolve });
        exitWaiters.push((code) => reject(new Error(`${name} exited (${code}) before printing ${pattern}:\n${lines.join('\n')}`)));
      });
    },
    async kill(signal = 'SIGKILL') {
      if (exitCode === undefined) child.kill(signal);
      await exited;
    },
  };
}

/** A running redis-server; `stop()` kills it (call it in `after`, so it runs even when a test failed). */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Runs redis-cli against it and returns its output. */
  cli(...args: string[]): string;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  ensureDebianProgram('redis-server', 'redis-server');
  const port = await freePort();
  const server = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] }), 'redis-server');
  await server.waitFor(/Ready to accept connections/);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    cli: (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim(),
    stop: () => server.kill('SIGKILL'),
  };
}

/** `node --import tsx <script> …args` from the repository root. */
export function startTsx(script: string, args: readonly string[], name: string): Child {
  return track(spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }), name);
}

/** A queue worker with a short job lock, so a killed worker's task moves on within seconds. */
export function startWorker(url: string, name: string): Child {
  return startTsx('experiments/queue/worker-cli.ts', ['--queue', url, '--jobs', '1', '--lock-ms', '1500', '--stalled-ms', '500'], name);
}
