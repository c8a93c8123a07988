/**
 * Events, timeouts, processes and conditions of the discrete-event kernel, after SimPy
 * (`simpy/events.py`). An event is *triggered* when it gets its outcome (success value or failure)
 * and is put on the queue, and *processed* when the environment pops it and runs its callbacks.
 * A failed event that nobody handled (no process caught it, not `defused`) stops the run with its
 * error: failures are never silently ignored.
 */
import type { Environment } from './environment.ts';

/** Scheduling priority of events at the same time. Lower runs first. */
export const URGENT = 0;
export const NORMAL = 1;

export type Callback = (event: SimEvent<any>) => void;

/** The kernel's own misuse errors (triggering twice, yielding a non-event, ...). */
export class KernelError extends Error {
  override name = 'KernelError';
}

const PENDING: unique symbol = Symbol('pending');

export class SimEvent<T = unknown> {
  readonly env: Environment;
  /** Null once processed. */
  callbacks: Callback[] | null = [];
  #value: T | Error | typeof PENDING = PENDING;
  #ok = true;
  /** Set when a handler took responsibility for this event's failure. */
  defused = false;

  constructor(env: Environment) {
    this.env = env;
  }

  get triggered(): boolean {
    return this.#value !== PENDING;
  }

  get processed(): boolean {
    return this.callbacks === null;
  }

  /** True for success; only meaningful once triggered. */
  get ok(): boolean {
    return this.#ok;
  }

  /** The success value or the failure error; throws before the event is triggered. */
  get value(): T | Error {
    if (this.#value === PENDING) throw new KernelError('value of an event that has not been triggered yet');
    return this.#value;
  }

  /** Sets the outcome without scheduling (used by subclasses that schedule themselves). */
  protected settle(ok: boolean, value: T | Error): void {
    if (this.#value !== PENDING) throw new KernelError('event has already been triggered');
    this.#ok = ok;
    this.#value = value;
  }

  /** Triggers success; the event is processed `delay` sim seconds from now. */
  succeed(value?: T, priority: number = NORMAL, delay = 0): this {
    this.settle(true, value as T);
    this.env.schedule(this, priority, delay);
    return this;
  }

  fail(error: Error, priority: number = NORMAL): this {
    if (!(error instanceof Error)) throw new KernelError(`fail() needs an Error, got ${String(error)}`);
    this.settle(false, error);
    this.env.schedule(this, priority);
    return this;
  }

  /** Adds a callback run when the event is processed. */
  then(callback: Callback): this {
    if (this.callbacks === null) throw new KernelError('event has already been processed');
    this.callbacks.push(callback);
    return this;
  }
}

/** An event that succeeds `delay` sim seconds after it is created. */
export class Timeout<T = undefined> extends SimEvent<T> {
  readonly delay: number;

  constructor(env: Environment, delay: number, value?: T) {
    super(env);
    if (!(delay >= 0) || !Number.isFinite(delay)) throw new KernelError(`timeout delay (${delay}) must be a finite number ≥ 0`);
    this.delay = delay;
    this.settle(true, value as T);
    env.schedule(this, NORMAL, delay);
  }
}

/** Thrown into a process by {@link Process.interrupt}; `cause` says why. */
export class Interrupt extends Error {
  override name = 'Interrupt';
  constructor(override readonly cause: unknown) {
    super(`process interrupted: ${String(cause)}`);
  }
}

export type ProcessGenerator<T> = Generator<SimEvent<any>, T, any>;

/**
 * A process runs a generator that yields events and is resumed with each event's value (or has
 * the event's error thrown into it). The process is itself an event that succeeds with the
 * generator's return value or fails with its uncaught error.
 */
export class Process<T = unknown> extends SimEvent<T> {
  readonly #generator: ProcessGenerator<T>;
  /** The event the process waits for; null when it is not waiting. */
  #target: SimEvent<any> | null;
  readonly #resume: Callback = (event) => this.#step(event);

  constructor(env: Environment, generator: ProcessGenerator<T>) {
    super(env);
    this.#generator = generator;
    // Start at the current time, before normal events scheduled for it (SimPy's Initialize).
    const start = new SimEvent<undefined>(env);
    start.callbacks!.push(this.#resume);
    start.succeed(undefined, URGENT);
    this.#target = start;
  }

  get isAlive(): boolean {
    return !this.triggered;
  }

  /** Throws an {@link Interrupt} into the process at the current time, ahead of normal events. */
  interrupt(cause?: unknown): void {
    if (!this.isAlive) throw new KernelError('cannot interrupt a process that has terminated');
    const interruption = new SimEvent<undefined>(this.env);
    interruption.callbacks!.push(() => {
      if (!this.isAlive) return; // terminated between the call and now
      const target = this.#target;
      if (target?.callbacks) {
        const i = target.callbacks.indexOf(this.#resume);
        if (i >= 0) target.callbacks.splice(i, 1);
      }
      this.#resumeWith(false, new Interrupt(cause));
    });
    interruption.succeed(undefined, URGENT);
  }

  #step(event: SimEvent<any>): void {
    if (!event.ok) event.defused = true; // the process takes responsibility: it gets the error
    this.#resumeWith(event.ok, event.value);
  }

  #resumeWith(ok: boolean, value: unknown): void {
    this.env.activeProcess = this;
    try {
      for (;;) {
        let result: IteratorResult<SimEvent<any>, T>;
        try {
          result = ok ? this.#generator.next(value) : this.#generator.throw(value);
        } catch (error) {
          this.#target = null;
          this.fail(error instanceof Error ? error : new KernelError(`process threw a non-Error: ${String(error)}`));
          return;
        }
        if (result.done) {
          this.#target = null;
          this.succeed(result.value);
          return;
        }
        const next = result.value;
        if (!(next instanceof SimEvent)) {
          this.#target = null;
          this.fail(new KernelError(`a process yielded ${String(next)}, which is not an event`));
          return;
        }
        if (next.callbacks !== null) {
          next.callbacks.push(this.#resume);
          this.#target = next;
          return;
        }
        // Already processed: continue at once with its outcome.
        ok = next.ok;
        value = next.value;
        if (!ok) next.defused = true;
      }
    } finally {
      this.env.activeProcess = null;
    }
  }
}

/**
 * Waits for a set of events: `all` succeeds when every event has succeeded, `any` when the first
 * one does. Either fails as soon as one of its events fails (and takes over that failure). The
 * value is the list of values of the events that had succeeded, in the given order (undefined for
 * the others).
 */
export class Condition extends SimEvent<unknown[]> {
  readonly #events: readonly SimEvent<any>[];
  readonly #mode: 'all' | 'any';
  #done = 0;

  constructor(env: Environment, mode: 'all' | 'any', events: readonly SimEvent<any>[]) {
    super(env);
    this.#mode = mode;
    this.#events = events;
    for (const e of events) if (e.env !== env) throw new KernelError('a condition cannot mix events of different environments');
    if (events.length === 0) {
      this.succeed([]);
      return;
    }
    for (const e of events) {
      if (e.processed) this.#check(e);
      else e.then((ev) => this.#check(ev));
    }
  }

  #check(event: SimEvent<any>): void {
    if (this.triggered) return;
    if (!event.ok) {
      event.defused = true;
      this.fail(event.value as Error);
      return;
    }
    this.#done++;
    if (this.#mode === 'any' || this.#done === this.#events.length) {
      this.succeed(this.#events.map((e) => (e.processed && e.ok ? e.value : undefined)));
    }
  }
}
