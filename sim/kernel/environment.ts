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
import { Condition, NORMAL, Process, SimEvent, Timeout, URGENT, type ProcessGenerator } from './events.ts';
import { KernelError } from './errors.ts';

/** Raised to stop `run(until)`; never escapes `run`. */
class StopSimulation extends Error {}

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
   * Runs until the queue is empty, until sim time `until`, or until the event `until` is processed
   * (returning its value). A failure nobody handled is thrown from here.
   */
  run(until?: number | SimEvent<any>): unknown {
    let stopAt: SimEvent<any> | null = null;
    if (typeof until === 'number') {
      if (!(until > this.#now)) throw new KernelError(`run(until=${until}) must be later than now (${this.#now})`);
      // At exactly `until` (not now + (until − now), which can round off), and URGENT: normal-
      // priority events at `until` do not run (SimPy semantics).
      stopAt = new StopEvent(this);
      this.#queue.push(until, URGENT, stopAt);
    } else if (until instanceof SimEvent) {
      stopAt = until;
      if (until.processed) return until.value;
    }
    if (stopAt) {
      stopAt.then(() => {
        throw new StopSimulation();
      });
    }
    try {
      // step(), inlined: this loop runs once per event.
      const queue = this.#queue;
      while (queue.size > 0) {
        this.#now = queue.peekTime();
        queue.popItem()!._process();
      }
    } catch (error) {
      if (error instanceof StopSimulation) return stopAt!.ok ? stopAt!.value : undefined;
      throw error;
    }
    if (until instanceof SimEvent) throw new KernelError('run(until=event): the queue ran empty before the event was processed');
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
