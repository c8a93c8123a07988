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
import { Condition, KernelError, NORMAL, Process, SimEvent, Timeout, URGENT, type ProcessGenerator } from './events.ts';

/** Raised to stop `run(until)`; never escapes `run`. */
class StopSimulation extends Error {}

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

  /** Puts a triggered event on the queue `delay` sim seconds from now. */
  schedule(event: SimEvent<any>, priority: number = NORMAL, delay = 0): void {
    this.#queue.push(this.#now + delay, priority, event);
  }

  /** Time of the next event, or Infinity when the queue is empty. */
  peek(): number {
    return this.#queue.peek()?.time ?? Infinity;
  }

  /** Processes the next event; throws the error of a failed event that nobody handled. */
  step(): void {
    const entry = this.#queue.pop();
    if (entry === undefined) throw new KernelError('step() on an empty queue');
    this.#now = entry.time;
    const event = entry.item;
    const callbacks = event.callbacks!;
    event.callbacks = null;
    for (const callback of callbacks) callback(event);
    if (!event.ok && !event.defused) throw event.value as Error;
  }

  /**
   * Runs until the queue is empty, until sim time `until`, or until the event `until` is processed
   * (returning its value). A failure nobody handled is thrown from here.
   */
  run(until?: number | SimEvent<any>): unknown {
    let stopAt: SimEvent<any> | null = null;
    if (typeof until === 'number') {
      if (!(until > this.#now)) throw new KernelError(`run(until=${until}) must be later than now (${this.#now})`);
      // URGENT: normal-priority events at exactly `until` do not run (SimPy semantics).
      stopAt = new SimEvent(this).succeed(undefined, URGENT, until - this.#now);
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
      while (this.#queue.size > 0) this.step();
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
