/**
 * Child processes of the orchestrator: each peer and the validator is a separate OS process
 * (`node --import tsx cluster/<role>.ts …`, forked with an IPC channel for progress
 * messages), optionally inside a network namespace (cluster/netns.ts). This module starts them, keeps the tail of their stderr for error messages, kills
 * them (SIGKILL: a crash, which is what churn means), and stops them all at the end.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage } from './node-context.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const STDERR_TAIL_LINES = 40;

/** One running (or exited) child. */
export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** True once it exited. */
  readonly hasExited: () => boolean;
  /** True when this orchestrator killed it on purpose (churn, crash, shutdown). */
  readonly killedOnPurpose: () => boolean;
  /** The last lines it wrote to stderr. */
  readonly stderrTail: () => string;
  kill(): void;
}

/** How to start one child. */
export interface ForkParameters {
  readonly name: string;
  readonly role: 'peer' | 'validator' | 'store-server';
  readonly args: readonly string[];
  /** The child's private key, passed in the environment (not visible in `ps`). */
  readonly key: string;
  /** Extra environment (e.g. CLUSTER_FAULTS). */
  readonly env?: Readonly<Record<string, string>>;
  readonly onMessage: (message: ChildMessage) => void;
  /** Called with each stderr/stdout line (for a log); default: dropped. */
  readonly log?: (line: string) => void;
  /** A command the child runs under, e.g. `['ip', 'netns', 'exec', ns]` (cluster/netns.ts); default none. */
  readonly execPrefix?: readonly string[];
}

/** Forks `cluster/<role>.ts` with tsx and an IPC channel. */
export function forkChild(p: ForkParameters): ChildHandle {
  const entry = fileURLToPath(new URL(`./${p.role}.ts`, import.meta.url));
  // Under a prefix, fork runs `<prefix…> node --import tsx <entry>`: the prefix execs node, so the
  // pid, the IPC channel and SIGKILL are still the node process's own.
  const [prefixCmd, ...prefixArgs] = p.execPrefix ?? [];
  const child: ChildProcess = fork(entry, [...p.args], {
    cwd: REPO_ROOT,
    ...(prefixCmd === undefined ? { execArgv: ['--import', 'tsx'] } : { execPath: prefixCmd, execArgv: [...prefixArgs, process.execPath, '--import', 'tsx'] }),
    env: { ...process.env, ...p.env, CLUSTER_KEY: p.key },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const tail: string[] = [];
  let exited = false;
  let onPurpose = false;
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      tail.push(line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
      p.log?.(`[${p.name}] ${line}`);
    }
  };
  child.stderr!.on('data', collect);
  child.stdout!.on('data', collect);
  child.on('message', (m) => p.onMessage(m as ChildMessage));
  const exitedPromise = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exited = true;
      resolve(code);
    });
  });
  return {
    name: p.name,
    pid: child.pid!,
    exited: exitedPromise,
    hasExited: () => exited,
    killedOnPurpose: () => onPurpose,
    stderrTail: () => tail.join('\n'),
    kill() {
      onPurpose = true;
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** Kills every child still running and waits for all of them to exit. */
export async function stopAll(children: Iterable<ChildHandle>): Promise<void> {
  const all = [...children];
  for (const c of all) if (!c.hasExited()) c.kill();
  await Promise.all(all.map((c) => c.exited));
}
