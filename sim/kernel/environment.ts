/**
 * The simulation environment: the clock (`now`, in sim seconds) and the event queue. It knows
 * nothing about peers, networks or training — those are processes built on top of it.
 *
 * @example
 * const env = new Environment();
 * env.process(function* () { yield env.timeout(5); console.log(env.now); }()); // 5
 * env.run();
 */
import { EventQueue } from './queue.ts';
import { Condition, NORMAL, Process, SimEvent, Timeout, URGENT, type Callback, type ProcessGenerator } from './events.ts';
import { KernelError } from './errors.ts';

/** Raised to stop `run(until)` with the until event's value; never escapes `run`. */
class StopSimulation extends Error {
  constructor(readonly value: unknown) {
    super('StopSimulation');
  }
}

/**
 * The until event's callback (SimPy's `StopSimulation.callback`): a success ends the run with its
 * value; a failure is thrown out of `run`, even if a waiter caught it, so that a failed run can
 * never look like a finished, shorter one.
 */
const stopRun: Callback = (event) => {
  if (event.ok) throw new StopSimulation(event.value);
  throw event.value;
};

/** The already-succeeded event that ends `run(until=time)`; the environment queues it itself. */
class StopEvent extends SimEvent<undefined> {
  constructor(env: Environment) {
    super(env);
    this.settle(true, undefined);
  }
}

export class Environment {
  #now: number;
  readonly #queue = new EventQueue<SimEvent<any>>();
  /** The process whose generator is running right now, if any. */
  activeProcess: Process<any> | null = null;

  constructor(initialTime = 0) {
    this.#now = initialTime;
  }

  /** Current simulation time, in sim seconds. */
  get now(): number {
    return this.#now;
  }

  /**
   * Puts a triggered event on the queue `delay` sim seconds from now. `delay` must be finite and
   * ≥ 0; `priority` an integer in [-4095, 4095] (lower runs first at equal times).
   */
  schedule(event: SimEvent<any>, priority: number = NORMAL, delay = 0): void {
    if (!(delay >= 0 && delay !== Infinity)) throw new KernelError(`delay (${delay}) must be a finite number ≥ 0 sim seconds`);
    this.#queue.push(this.#now + delay, priority, event);
  }

  /** Time of the next event, or Infinity when the queue is empty. */
  peek(): number {
    return this.#queue.peekTime();
  }

  /** Processes the next event; throws the error of a failed event that nobody handled. */
  step(): void {
    const queue = this.#queue;
    const time = queue.peekTime();
    const event = queue.popItem();
    if (event === undefined) throw new KernelError('step() on an empty queue');
    this.#now = time;
    event._process();
  }

  /**
   * Runs until the queue is empty, until sim time `until`, or until the event `until` is processed,
   * after SimPy's `run`:
   * - `until` a time: must be finite and later than `now`; the run stops at exactly that time,
   *   before the normal-priority events scheduled for it.
   * - `until` an event: returns its value; if it fails, its error is thrown from here. An event
   *   already processed returns its value (or throws its error) without running anything — where
   *   SimPy would return a failed event's error as a value. If the queue runs empty before the
   *   event is triggered, that is a KernelError (SimPy: "No scheduled events left but until event
   *   was not triggered").
   * A failure nobody handled is thrown from here in every mode.
   */
  run(until?: number | SimEvent<any>): unknown {
    let stopAt: SimEvent<any> | null = null;
    if (typeof until === 'number') {
      if (!(until > this.#now && until !== Infinity)) {
        throw new KernelError(`run: until (${until}) must be a finite number of sim seconds later than now (${this.#now})`);
      }
      // At exactly `until` (not now + (until − now), which can round off), and URGENT: normal-
      // priority events at `until` do not run (SimPy semantics).
      stopAt = new StopEvent(this);
      this.#queue.push(until, URGENT, stopAt);
    } else if (until instanceof SimEvent) {
      if (until.processed) {
        if (!until.ok) throw until.value;
        return until.value;
      }
      stopAt = until;
    } else if (until !== undefined) {
      throw new KernelError(`run: until (${JSON.stringify(until) ?? String(until)}) must be a number of sim seconds or an event`);
    }
    stopAt?.then(stopRun);
    try {
      // step(), inlined: this loop runs once per event.
      const queue = this.#queue;
      while (queue.size > 0) {
        this.#now = queue.peekTime();
        queue.popItem()!._process();
      }
    } catch (error) {
      if (error instanceof StopSimulation) return error.value;
      throw error;
    } finally {
      // A run ended by a failure leaves its until event pending: take the stop off it, or it
      // would end some later run early.
      if (stopAt !== null && !stopAt.processed) stopAt._removeCallback(stopRun);
    }
    if (stopAt !== null) throw new KernelError('run: no scheduled events left but the until event was not triggered');
    return undefined;
  }

  /** A fresh event, triggered later with `succeed` / `fail`. */
  event<T = unknown>(): SimEvent<T> {
    return new SimEvent<T>(this);
  }

  timeout<T = undefined>(delay: number, value?: T): Timeout<T> {
    return new Timeout(this, delay, value);
  }

  process<T>(generator: ProcessGenerator<T>): Process<T> {
    return new Process(this, generator);
  }

  allOf(events: readonly SimEvent<any>[]): Condition {
    return new Condition(this, 'all', events);
  }

  anyOf(events: readonly SimEvent<any>[]): Condition {
    return new Condition(this, 'any', events);
  }
}
