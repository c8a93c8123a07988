/** The kernel's own error type, shared by the queue, events and environment. */

/** The kernel's own misuse errors (triggering twice, yielding a non-event, a bad priority, ...). */
export class KernelError extends Error {
  override name = 'KernelError';
}
