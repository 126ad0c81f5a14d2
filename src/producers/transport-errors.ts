// Producers fail fast while Redis is unreachable (one reconnect attempt per call). This turns the
// client library's transport errors (and a Redis Cluster's answers while a shard fails over: too many
// redirections, CLUSTERDOWN, TRYAGAIN) into one typed, retryable error that says what is wrong.

import { ResumeProcessorError, RpCode } from '../lib/errors.js';
import { closeMany, resumeMany } from './batches.js';
import type { Producer, ResumeTicket } from './types.js';

const TRANSPORT =
  /MaxRetriesPerRequest|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Too many Cluster redirections|CLUSTERDOWN|TRYAGAIN|Failed to refresh slots cache/;

export function isTransportError(err: unknown): err is Error {
  return (
    err instanceof Error &&
    !(err instanceof ResumeProcessorError) &&
    TRANSPORT.test(`${err.name} ${err.message}`)
  );
}

export function redisUnavailable(where: string, cause: Error): ResumeProcessorError {
  return new ResumeProcessorError(
    RpCode.RedisUnavailable,
    `cannot reach Redis at ${where} (${cause.message}); retry when Redis is back (a write whose ` +
      'connection broke after sending may have been applied: an idempotency key makes a retried resume safe)',
    { retryable: true, cause },
  );
}

async function mapped<T>(where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw isTransportError(err) ? redisUnavailable(where, err) : err;
  }
}

function ticket(where: string, t: ResumeTicket): ResumeTicket {
  return { ...t, result: (opts) => mapped(where, () => t.result(opts)) };
}

/** The same producer, whose calls (and tickets) reject with RP-REDIS-UNAVAILABLE on transport errors. */
export function withTransportErrors(inner: Producer, where: string): Producer {
  // Batches run their per-worker calls through this same wrapper, so each refusal is typed too.
  const outer: Producer = {
    registerWorker: (i) => mapped(where, () => inner.registerWorker(i)),
    suspend: (id, i) => mapped(where, () => inner.suspend(id, i)),
    resume: (target, input, ct, o) =>
      mapped(where, async () => ticket(where, await inner.resume(target, input, ct, o))),
    deliverEvent: (e) =>
      mapped(where, async () => (await inner.deliverEvent(e)).map((t) => ticket(where, t))),
    close: (id, o) => mapped(where, () => inner.close(id, o)),
    complete: (id, o) => mapped(where, () => inner.complete(id, o)),
    fail: (id, o) => mapped(where, () => inner.fail(id, o)),
    getWorker: (id) => mapped(where, () => inner.getWorker(id)),
    getRecord: (id) => mapped(where, () => inner.getRecord(id)),
    listWorkers: (f) => mapped(where, () => inner.listWorkers(f)),
    listQuarantined: (o) => mapped(where, () => inner.listQuarantined(o)),
    extendTimeout: (id, change, opts) => mapped(where, () => inner.extendTimeout(id, change, opts)),
    cancelWait: (id, opts) => mapped(where, () => inner.cancelWait(id, opts)),
    importSnapshot: (t, o) => mapped(where, () => inner.importSnapshot(t, o)),
    exportSnapshot: (id, p) => mapped(where, () => inner.exportSnapshot(id, p)),
    resumeMany: (f, input, ct, o) => mapped(where, () => resumeMany(outer, f, input, ct, o ?? {})),
    closeMany: (f, o) => mapped(where, () => closeMany(outer, f, o ?? {})),
    disconnect: () => inner.disconnect(),
  };
  return outer;
}
