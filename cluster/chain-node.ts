/**
 * The cluster's chain node as a separate, supervised process: ganache (cluster/chain-node-main.ts)
 * with its chain on disk in `<workDir>/chain`, on a fixed port. If the process dies (a SIGKILL
 * from outside, a crash), the supervisor starts it again on the same port and the same folder:
 * the chain goes on from the last block written, and the clients ride out the gap on their
 * retries (reads: the chain client's read retry; writes: the transaction sender re-sends the same
 * signed bytes, and a transaction the node accepted but had not yet written is re-sent once the
 * node no longer knows it). Hardhat's node keeps its chain in memory, which a restart would lose.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GANACHE_MNEMONIC } from '../chain/devnet.ts';
import { ClusterError } from './errors.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const START_TIMEOUT_MS = 60_000;
/** Restarts after which a node that keeps dying is a failure of the run, not a fault to ride out. */
const MAX_RESTARTS = 20;

/** What starts a node process. */
export interface ChainNodeParameters {
  readonly host: string;
  /** 0: a free port, chosen once and kept across restarts. */
  readonly port: number;
  /** Folder of the chain's database (created if missing; an existing one is continued). */
  readonly dbDir: string;
  /** Funded deterministic accounts. */
  readonly accounts: number;
  readonly log?: (line: string) => void;
  /** Called when a restarted node listens again (after a death it did not ask for). */
  readonly onRestart?: (restarts: number) => void;
  /** Called when the node died once too often ({@link MAX_RESTARTS}). */
  readonly onFailure?: (error: ClusterError) => void;
}

/** A supervised node process. */
export interface ChainNodeProcess {
  readonly url: string;
  readonly port: number;
  readonly kind: 'ganache';
  readonly mnemonic: string;
  /** The pid of the node process running now. */
  pid(): number;
  /** Restarts after unplanned deaths so far. */
  restarts(): number;
  /** Stops the node (SIGTERM, then waits) and supervises no more. */
  close(): Promise<void>;
}

/** A TCP port free on `host` right now. */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Forks one node process and resolves once it listens. */
function forkNode(p: ChainNodeParameters, port: number): Promise<{ child: ChildProcess; url: string }> {
  const entry = fileURLToPath(new URL('./chain-node-main.ts', import.meta.url));
  const child = fork(entry, ['--host', p.host, '--port', String(port), '--db', p.dbDir, '--accounts', String(p.accounts)], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const tail: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line !== '') tail.push(line);
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ClusterError('timeout', `chain node on port ${port} did not listen within ${START_TIMEOUT_MS} ms:\n${tail.join('\n')}`));
    }, START_TIMEOUT_MS);
    child.once('message', (m: { kind?: string; url?: string }) => {
      if (m.kind !== 'listening' || m.url === undefined) return;
      clearTimeout(timer);
      resolve({ child, url: m.url });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new ClusterError('process-exit', `chain node on port ${port} exited (${code ?? signal}) before it listened:\n${tail.join('\n')}`));
    });
  });
}

/**
 * Starts the node process and supervises it: an unplanned exit starts it again on the same port
 * and database folder.
 *
 * @throws {ClusterError} 'timeout' / 'process-exit' when the first start fails.
 */
export async function startChainNodeProcess(p: ChainNodeParameters): Promise<ChainNodeProcess> {
  mkdirSync(p.dbDir, { recursive: true });
  const port = p.port === 0 ? await freePort(p.host) : p.port;
  let current = await forkNode(p, port);
  let closing = false;
  let restarts = 0;
  const supervise = (child: ChildProcess): void => {
    child.once('exit', (code, signal) => {
      if (closing) return;
      restarts++;
      p.log?.(`chain node (pid ${child.pid}) died (${code ?? signal}); restart ${restarts} on port ${port}`);
      if (restarts > MAX_RESTARTS) {
        p.onFailure?.(new ClusterError('process-exit', `chain node died ${restarts} times; giving up`));
        return;
      }
      void restart();
    });
  };
  const restart = async (): Promise<void> => {
    // The port may linger a moment after the kill: try until the node listens (or we are closing).
    for (let attempt = 0; !closing; attempt++) {
      try {
        current = await forkNode(p, port);
        if (closing) {
          current.child.kill('SIGKILL');
          return;
        }
        supervise(current.child);
        p.onRestart?.(restarts);
        return;
      } catch (error) {
        if (attempt >= 5) {
          p.onFailure?.(error instanceof ClusterError ? error : new ClusterError('process-exit', String(error)));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };
  supervise(current.child);
  return {
    url: current.url,
    port,
    kind: 'ganache',
    mnemonic: GANACHE_MNEMONIC,
    pid: () => current.child.pid!,
    restarts: () => restarts,
    async close() {
      closing = true;
      const child = current.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
    },
  };
}
