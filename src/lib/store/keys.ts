// Redis key layout. A worker's keys share the `{<id>}` hash tag, so every per-worker Lua script
// touches one Cluster slot; global indexes share the `{<prefix>:idx}` tag and are written after commit.

export interface KeySpace {
  worker(id: string): string;
  workerEvents(id: string): string;
  idempotency(id: string, key: string): string;
  lock(id: string): string;
  /** hash id -> highest version seen by the index (makes index writes monotonic and idempotent) */
  indexVersions: string;
  status(status: string): string;
  events: string;
  /** zset `id|epoch` -> deadline ms of every armed timeout (reconciler input) */
  deadlines: string;
  /** zset id -> ms of commits that may still have pending effects (reconciler input) */
  pending: string;
  /** hash of trigger topic -> set key; one set per topic of `id|epoch` */
  trigger(topic: string): string;
  reconcilerLease: string;
  workerPattern: string;
}

export const WORKER_ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

export function keySpace(prefix: string): KeySpace {
  const idx = `${prefix}:{${prefix}:idx}`;
  return {
    worker: (id) => `${prefix}:w:{${id}}`,
    workerEvents: (id) => `${prefix}:w:{${id}}:events`,
    idempotency: (id, key) => `${prefix}:w:{${id}}:idem:${key}`,
    lock: (id) => `${prefix}:w:{${id}}:lock`,
    indexVersions: `${idx}:versions`,
    status: (status) => `${idx}:status:${status}`,
    events: `${idx}:events`,
    deadlines: `${idx}:deadlines`,
    pending: `${idx}:pending`,
    trigger: (topic) => `${idx}:trigger:${topic}`,
    reconcilerLease: `${idx}:reconciler`,
    workerPattern: `${prefix}:w:{*}`,
  };
}

/** BullMQ job ids may not contain ':' nor be all digits; worker ids are validated against this. */
export const jobIds = {
  timeout: (workerId: string, epoch: number) => `timeout-${workerId}-${epoch}`,
  respawn: (workerId: string, version: number) => `respawn-${workerId}-${version}`,
};
