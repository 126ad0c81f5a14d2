// The logger of the job running now. A consumer's job processor runs each job inside
// `withJobLogger`, and everything logged while it runs (engine, commits, lock waits) goes through
// `jobLogger(fallback)`: a child of the consumer's logger bound to the job (jobId, workerId,
// partition), made on the first line the job logs; a job that logs nothing makes none.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

export interface JobBindings {
  jobId: string;
  workerId: string;
  partition: number;
}

interface Running {
  base: Logger;
  bindings: JobBindings;
  child?: Logger;
}

const running = new AsyncLocalStorage<Running>();

/** Runs `fn` as job `bindings`: what it logs through `jobLogger` carries them. */
export function withJobLogger<T>(base: Logger, bindings: JobBindings, fn: () => T): T {
  return running.run({ base, bindings }, fn);
}

/**
 * The running job's logger (a child of the logger it was started with); outside a job (the
 * reconciler's work), `fallback`, bound to `outside` when given (e.g. the worker's id).
 */
export function jobLogger(fallback: Logger, outside?: Record<string, unknown>): Logger {
  const job = running.getStore();
  if (!job) return outside ? fallback.child(outside) : fallback;
  job.child ??= job.base.child(job.bindings);
  return job.child;
}
