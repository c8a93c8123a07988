/**
 * Events, timeouts, processes and conditions of the discrete-event kernel, after SimPy
 * (`simpy/events.py`). An event is *triggered* when it gets its outcome (success value or failure)
 * and is put on the queue, and *processed* when the environment pops it and runs its callbacks.
 * A failed event that nobody handled (no process caught it, not `defused`) stops the run with its
 * error: failures are never silently ignored.
 *
 * Performance notes (the kernel runs one event per simulated wait, millions per second): an event
 * keeps its first callback in a single slot and allocates an array only for the second and later
 * ones, since nearly every event has exactly one waiter (the process that yielded it); a timeout
 * validates its delay once (in `Environment.schedule`) and otherwise only sets its fields and goes
 * on the queue; a process resumes through one closure that holds the whole resume loop.
 */
import type { Environment } from './environment.ts';
import { KernelError } from './errors.ts';

export { KernelError };

/** Scheduling priority of events at the same time. Lower runs first. */
export const URGENT = 0;
export const NORMAL = 1;

export type Callback = (event: SimEvent<any>) => void;

const PENDING: unique symbol = Symbol('pending');

export class SimEvent<T = unknown> {
  readonly env: Environment;
  #value: T | Error | typeof PENDING = PENDING;
  #ok = true;
  #processed = false;
  /** First callback; null when there is none. */
  #waiter: Callback | null = null;
  /** Second and later callbacks, in registration order; null until a second one arrives. */
  #moreWaiters: Callback[] | null = null;
  /** Set when a handler took responsibility for this event's failure. */
  defused = false;

  constructor(env: Environment) {
    this.env = env;
  }

  get triggered(): boolean {
    return this.#value !== PENDING;
  }

  get processed(): boolean {
    return this.#processed;
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

  /**
   * Adds a callback run when the event is processed. Callbacks run in the order they were added,
   * also when the event is already triggered or scheduled; adding one to a processed event throws.
   */
  then(callback: Callback): this {
    if (this.#processed) throw new KernelError('event has already been processed');
    if (this.#waiter === null) this.#waiter = callback;
    else if (this.#moreWaiters === null) this.#moreWaiters = [callback];
    else this.#moreWaiters.push(callback);
    return this;
  }

  /**
   * @internal Removes the first registration of `callback` (a process abandoning its target on an
   * interrupt); the others keep their order. Returns whether it was registered.
   */
  _removeCallback(callback: Callback): boolean {
    const more = this.#moreWaiters;
    if (this.#waiter === callback) {
      // Keep the invariant "no first waiter ⇒ no further waiters" by promoting the next one.
      if (more === null) this.#waiter = null;
      else {
        this.#waiter = more.shift()!;
        if (more.length === 0) this.#moreWaiters = null;
      }
      return true;
    }
    if (more === null) return false;
    const i = more.indexOf(callback);
    if (i < 0) return false;
    more.splice(i, 1);
    if (more.length === 0) this.#moreWaiters = null;
    return true;
  }

  /**
   * @internal Called by the environment when it pops this event: marks it processed, runs the
   * callbacks, and throws the event's error if it failed and no callback took responsibility.
   */
  _process(): void {
    const waiter = this.#waiter;
    this.#processed = true;
    if (waiter !== null) {
      this.#waiter = null;
      waiter(this);
      const more = this.#moreWaiters;
      if (more !== null) {
        this.#moreWaiters = null;
        for (let i = 0; i < more.length; i++) more[i]!(this);
      }
    }
    if (!this.#ok && !this.defused) throw this.#value as Error;
  }
}

/** An event that succeeds `delay` sim seconds after it is created. */
export class Timeout<T = undefined> extends SimEvent<T> {
  readonly delay: number; // sim seconds

  constructor(env: Environment, delay: number, value?: T) {
    super(env);
    this.delay = delay;
    this.settle(true, value as T);
    env.schedule(this, NORMAL, delay); // rejects a negative or non-finite delay
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

  constructor(env: Environment, generator: ProcessGenerator<T>) {
    super(env);
    this.#generator = generator;
    // Start at the current time, before normal events scheduled for it (SimPy's Initialize).
    const start = new SimEvent<undefined>(env);
    start.then(this.#resume);
    start.succeed(undefined, URGENT);
    this.#target = start;
  }

  get isAlive(): boolean {
    return !this.triggered;
  }

  /** Throws an {@link Interrupt} into the process at the current time, ahead of normal events. */
  interrupt(cause?: unknown): void {
    if (!this.isAlive) throw new KernelError('cannot interrupt a process that has terminated');
    // As in SimPy: a failed, defused event whose callback makes the process abandon its target
    // and resumes it with the Interrupt (or does nothing if it terminated in the meantime).
    const interruption = new SimEvent<undefined>(this.env);
    interruption.then((event) => {
      if (!this.isAlive) return;
      const target = this.#target;
      if (target !== null && !target.processed) target._removeCallback(this.#resume);
      this.#resume(event);
    });
    interruption.defused = true;
    interruption.fail(new Interrupt(cause), URGENT);
  }

  /**
   * Resumes the generator with the outcome of `event` (its value, or its error thrown in), and
   * keeps going while it yields events that are already processed. One closure per process, with
   * the whole step inline, because this runs once per simulated wait.
   */
  readonly #resume: Callback = (event) => {
    const env = this.env;
    const generator = this.#generator;
    env.activeProcess = this;
    for (;;) {
      const ok = event.ok;
      if (!ok) event.defused = true; // the process takes responsibility: it gets the error
      let result: IteratorResult<SimEvent<any>, T>;
      try {
        result = ok ? generator.next(event.value) : generator.throw(event.value);
      } catch (error) {
        env.activeProcess = null;
        this.#target = null;
        this.fail(error instanceof Error ? error : new KernelError(`process threw a non-Error: ${String(error)}`));
        return;
      }
      const next = result.value;
      if (result.done === true) {
        env.activeProcess = null;
        this.#target = null;
        this.succeed(next as T);
        return;
      }
      if (!(next instanceof SimEvent)) {
        env.activeProcess = null;
        this.#target = null;
        this.fail(new KernelError(`a process yielded ${String(next)}, which is not an event`));
        return;
      }
      if (!next.processed) {
        // The common case: wait for a fresh timeout or a pending event.
        next.then(this.#resume);
        this.#target = next;
        env.activeProcess = null;
        return;
      }
      event = next; // already processed: continue at once with its outcome
    }
  };
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
    const check: Callback = (ev) => this.#check(ev);
    for (const e of events) {
      if (e.processed) this.#check(e);
      else e.then(check);
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
