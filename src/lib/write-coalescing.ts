// Write coalescing: the commands a connection is given in one turn of the event loop leave together,
// in one socket write. ioredis writes every command to the socket as it is issued, one `write`
// system call each; a consumer running sixteen resumes at once issues its lock-reads, commits and
// BullMQ acks in bursts (the replies to a burst arrive together and their continuations run in the
// same turn), so most of those calls carry a single small command. Here the socket is corked at the
// first command of a turn and uncorked on the next tick, which flushes the burst with one `writev`.
//
// A long turn does not hold everything back to its end: once a batch has been open for
// `flushAfterMs` (0.1 ms by default) the next command sends it, so Redis works on the first
// requests while the consumer is still computing the later ones. Holding a whole long turn back
// saved more system calls but left Redis and the consumer waiting for each other in turn; with the
// flush the consumer's CPU per resume stayed below what it was and its throughput at least the same
// (docs/benchmarks.md; settings from 0.02 to 0.2 ms differed by less than the bench's noise).
//
// Nothing else changes: commands still go out in the order they were issued, each with its own
// reply, timeout and error; a command issued while the connection is not ready takes ioredis's own
// path (offline queue or rejection) untouched. It is not ioredis's auto-pipelining, which builds a
// Pipeline object per batch and copies into it every script defined on the connection (BullMQ
// defines about sixty): that cost more CPU than the writes it saved.

import type { Cluster, Redis } from 'ioredis';

export interface CoalescingOptions {
  /** How long a batch may stay open within one turn before the next command sends it (ms). */
  flushAfterMs?: number;
}

const DEFAULT_FLUSH_AFTER_MS = 0.1;
const COALESCING = Symbol('rp.writeCoalescing');

type Coalesced = Redis & { [COALESCING]?: true };

/** Coalesces the writes of one server connection (idempotent); returns it. */
export function coalesceWrites<C extends Redis>(client: C, opts: CoalescingOptions = {}): C {
  const c = client as Coalesced;
  if (c[COALESCING]) return client;
  c[COALESCING] = true;
  const flushAfterMs = opts.flushAfterMs ?? DEFAULT_FLUSH_AFTER_MS;
  const send = client.sendCommand.bind(client);
  let corked: Redis['stream'] | null = null;
  let openedAt = 0;
  let tickPending = false;
  const uncork = () => {
    const stream = corked;
    corked = null;
    stream?.uncork();
  };
  const endOfTurn = () => {
    tickPending = false;
    uncork();
  };
  client.sendCommand = (command, stream) => {
    if (corked !== null && performance.now() - openedAt >= flushAfterMs) uncork();
    // Only a direct write to a ready socket is corked: a pipeline (`stream` given) writes its batch
    // in one call already, and a command for a connection that is not ready is queued by ioredis.
    const socket = client.stream;
    if (corked === null && stream === undefined && client.status === 'ready' && socket?.writable) {
      socket.cork();
      corked = socket;
      openedAt = performance.now();
      if (!tickPending) {
        tickPending = true;
        process.nextTick(endOfTurn);
      }
    }
    return send(command, stream);
  };
  return client;
}

/** Coalesces the writes of every node connection a cluster client opens, now and later. */
export function coalesceClusterWrites(cluster: Cluster, opts: CoalescingOptions = {}): Cluster {
  for (const node of cluster.nodes()) coalesceWrites(node, opts);
  cluster.on('+node', (node: Redis) => coalesceWrites(node, opts));
  return cluster;
}
