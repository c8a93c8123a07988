/** The domain-free discrete-event kernel. Imports nothing from network, peers, chain or core. */
export { Environment } from './environment.ts';
export { Condition, Interrupt, KernelError, NORMAL, Process, SimEvent, Timeout, URGENT } from './events.ts';
export type { Callback, ProcessGenerator } from './events.ts';
export { EventQueue, MAX_PRIORITY } from './queue.ts';
export type { QueueEntry } from './queue.ts';
