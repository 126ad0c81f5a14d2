// Identifier rules shared by the policy, the store and the queues. Job ids are derived, never
// random, so a retried or redelivered effect names the same job and BullMQ keeps just one.

/** Worker ids end up inside Redis keys and BullMQ job ids: no ':' (BullMQ) and no braces. */
export const WORKER_ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** BullMQ job ids may not contain ':' nor be all digits; worker ids are validated against this. */
export const jobIds = {
  /** A suspension's timeout; `rev` counts the moves of its deadline (extend, cancel), 0 at first. */
  timeout: (workerId: string, epoch: number, rev = 0) =>
    rev === 0 ? `timeout-${workerId}-${epoch}` : `timeout-${workerId}-${epoch}.${rev}`,
  respawn: (workerId: string, version: number) => `respawn-${workerId}-${version}`,
};
