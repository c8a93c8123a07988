/**
 * What the orchestrator does when one of its processes dies without being asked to (a SIGKILL
 * from outside, the OOM killer): a peer's death is churn — it is started again for the next
 * round of its roster, from its local state (cluster/local-state.ts) and the chain —, the
 * validator is started again at once and redoes its unfinished round (its post and slashes are
 * idempotent: validator.ts). While a (re)started process comes up the block clock holds, so no
 * window closes before it is back. A process that exits with an error code (it threw) is a
 * failure of the run, not a fault to ride out.
 */
import type { ChildHandle } from './processes.ts';

/** How a child ended, as the orchestrator judges it. */
export type ChildEnd = 'clean' | 'planned' | 'unplanned-death' | 'error';

/** Exit code 0: clean; killed by this orchestrator: planned; killed by a signal from elsewhere: an unplanned death; any other code: an error. */
export function childEndOf(code: number | null, killedOnPurpose: boolean): ChildEnd {
  if (killedOnPurpose) return 'planned';
  if (code === 0) return 'clean';
  return code === null ? 'unplanned-death' : 'error';
}

/** Longest a hold lasts: a process that never comes up must not stop the clock forever. */
export const MAX_HOLD_MS = 120_000;

/** Processes coming up, by name, each with the wall ms its hold expires. */
export class ClockHolds {
  readonly #until = new Map<string, number>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Holds the clock until `release(name)` (or {@link MAX_HOLD_MS}). */
  hold(name: string): void {
    this.#until.set(name, this.nowMs() + MAX_HOLD_MS);
  }

  release(name: string): void {
    this.#until.delete(name);
  }

  /** True while any hold is in force (expired ones are dropped). */
  holding(): boolean {
    const now = this.nowMs();
    for (const [name, until] of this.#until) if (until <= now) this.#until.delete(name);
    return this.#until.size > 0;
  }
}

/** Unplanned deaths the run rode out, by kind of process. */
export interface RunRestarts {
  readonly chainNode: number;
  readonly validator: number;
  readonly peers: number;
}

/** Calls `onDeath` when `child` dies unplanned and `onError` when it exits with an error. */
export function superviseChild(child: ChildHandle, onDeath: () => void, onError: (code: number | null) => void): void {
  void child.exited.then((code) => {
    const end = childEndOf(code, child.killedOnPurpose());
    if (end === 'unplanned-death') onDeath();
    else if (end === 'error') onError(code);
  });
}
