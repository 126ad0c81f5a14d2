// Write coalescing: the commands a connection is given in one turn of the event loop leave in one
// socket write. ioredis writes every command to the socket as it is issued, one `write` system call
// each; a consumer running sixteen resumes at once issues its lock-reads, commits and BullMQ acks in
// bursts (the replies to a burst arrive together and their continuations run in the same turn), so
// most of those calls carry a single small command. Here the socket is corked at the first command
// of a turn and uncorked on the next tick, which flushes the whole burst with one `writev`.
//
// Nothing else changes: commands still go out in the order they were issued, each with its own
// reply, timeout and error; a command issued while the connection is not ready takes ioredis's own
// path (offline queue or rejection) untouched. It is not ioredis's auto-pipelining, which builds a
// Pipeline object per batch and copies into it every script defined on the connection (BullMQ
// defines about sixty): that cost more CPU than the writes it saved (docs/benchmarks.md).

import type { Cluster, Redis } from 'ioredis';

const COALESCING = Symbol('rp.writeCoalescing');

type Coalesced = Redis & { [COALESCING]?: true };

/** Coalesces the writes of one server connection (idempotent); returns it. */
export function coalesceWrites<C extends Redis>(client: C): C {
  const c = client as Coalesced;
  if (c[COALESCING]) return client;
  c[COALESCING] = true;
  const send = client.sendCommand.bind(client);
  let corked: Redis['stream'] | null = null;
  const uncork = () => {
    const stream = corked;
    corked = null;
    stream?.uncork();
  };
  client.sendCommand = (command, stream) => {
    // Only a direct write to a ready socket is corked: a pipeline (`stream` given) writes its batch
    // in one call already, and a command for a connection that is not ready is queued by ioredis.
    const socket = client.stream;
    if (corked === null && stream === undefined && client.status === 'ready' && socket?.writable) {
      socket.cork();
      corked = socket;
      process.nextTick(uncork);
    }
    return send(command, stream);
  };
  return client;
}

/** Coalesces the writes of every node connection a cluster client opens, now and later. */
export function coalesceClusterWrites(cluster: Cluster): Cluster {
  for (const node of cluster.nodes()) coalesceWrites(node);
  cluster.on('+node', (node: Redis) => coalesceWrites(node));
  return cluster;
}
