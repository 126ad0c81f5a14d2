// Client-side count of Redis round trips, installed by patching ioredis' Redis#sendCommand (the one
// path every command takes: plain calls, defineCommand scripts, and each command of a pipeline).
//
// What counts as one round trip: one request the client writes and then waits on. A standalone
// command is one; a pipeline or MULTI/EXEC batch is one however many commands it holds (ioredis
// hands each of them the same pipeline stream object, which is how we recognise the batch).
// Concurrent commands issued with Promise.all are separate requests and count separately, even
// though their latencies overlap. Blocking reads (BZPOPMIN on the worker's marker) are counted
// apart, because their duration is idle time, not work.

import { Redis } from 'ioredis';

export interface CommandCounts {
  roundTrips: number;
  /** Top-level commands sent (a pipeline of 3 counts 3 here and 1 in roundTrips). */
  commands: number;
  blocking: number;
  /** Bytes of command arguments sent (strings as UTF-16 length, close to their UTF-8 size for ASCII). */
  bytesOut: number;
  /**
   * Top-level commands by name; scripts as `evalsha:<defineCommand name>` (e.g.
   * `evalsha:moveToFinished`), so the Redis command name is always the part before the colon.
   */
  byName: Record<string, number>;
}

interface SentCommand {
  name: string;
  args: unknown[];
}

interface PatchableRedis {
  sendCommand(command: SentCommand, stream?: unknown): unknown;
}

interface ScriptInfo {
  sha: string;
}

const BLOCKING = new Set(['bzpopmin', 'bzpopmax', 'brpoplpush', 'blmove', 'brpop', 'blpop', 'xread']);

const zero = (): CommandCounts => ({ roundTrips: 0, commands: 0, blocking: 0, bytesOut: 0, byName: {} });

function argBytes(args: unknown[]): number {
  let n = 0;
  for (const a of args) {
    if (typeof a === 'string') n += a.length;
    else if (Buffer.isBuffer(a)) n += a.length;
    else if (typeof a === 'number') n += 8;
  }
  return n;
}

let installed = false;
const totals = new Map<string, CommandCounts>();
const seenBatches = new WeakSet<object>();
const scriptNames = new Map<string, string>();

function scriptName(client: Redis, sha: string): string {
  const known = scriptNames.get(sha);
  if (known) return known;
  const set = (client as unknown as { scriptsSet?: Record<string, ScriptInfo> }).scriptsSet ?? {};
  for (const [name, script] of Object.entries(set)) {
    if (script.sha === sha) {
      // BullMQ registers its scripts as `<name>:<package version>`.
      const short = name.split(':')[0] ?? name;
      scriptNames.set(sha, short);
      return short;
    }
  }
  return sha.slice(0, 8);
}

/** Idempotent. Counts are grouped by the connection's `connectionName` (or "unnamed"). */
export function installRoundTripCounter(): void {
  if (installed) return;
  installed = true;
  const proto = Redis.prototype as unknown as PatchableRedis;
  const original = proto.sendCommand;
  proto.sendCommand = function (this: Redis, command: SentCommand, stream?: unknown) {
    const group = this.options.connectionName || 'unnamed';
    let c = totals.get(group);
    if (!c) {
      c = zero();
      totals.set(group, c);
    }
    const name =
      command.name === 'evalsha' && typeof command.args[0] === 'string'
        ? `evalsha:${scriptName(this, command.args[0])}`
        : command.name;
    c.commands += 1;
    c.bytesOut += argBytes(command.args);
    c.byName[name] = (c.byName[name] ?? 0) + 1;
    const batch =
      typeof stream === 'object' && stream !== null && 'isPipeline' in stream
        ? (stream as { isPipeline: unknown }).isPipeline === true
        : false;
    if (BLOCKING.has(command.name)) c.blocking += 1;
    else if (!batch) c.roundTrips += 1;
    else if (!seenBatches.has(stream as object)) {
      seenBatches.add(stream as object);
      c.roundTrips += 1;
    }
    return original.call(this, command, stream);
  };
}

/** A deep copy of the counters so far, per connection name. */
export function countsByConnection(): Record<string, CommandCounts> {
  const out: Record<string, CommandCounts> = {};
  for (const [k, v] of totals) out[k] = { ...v, byName: { ...v.byName } };
  return out;
}

export function sumCounts(groups: Record<string, CommandCounts>): CommandCounts {
  const out = zero();
  for (const c of Object.values(groups)) {
    out.roundTrips += c.roundTrips;
    out.commands += c.commands;
    out.blocking += c.blocking;
    out.bytesOut += c.bytesOut;
    for (const [n, k] of Object.entries(c.byName)) out.byName[n] = (out.byName[n] ?? 0) + k;
  }
  return out;
}

export function diffCounts(after: CommandCounts, before: CommandCounts): CommandCounts {
  const byName: Record<string, number> = {};
  for (const [n, k] of Object.entries(after.byName)) {
    const d = k - (before.byName[n] ?? 0);
    if (d > 0) byName[n] = d;
  }
  return {
    roundTrips: after.roundTrips - before.roundTrips,
    commands: after.commands - before.commands,
    blocking: after.blocking - before.blocking,
    bytesOut: after.bytesOut - before.bytesOut,
    byName,
  };
}

/** Folds `evalsha:<script>` into `evalsha`: the names INFO commandstats uses. */
export function byRedisCommand(counts: CommandCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [n, k] of Object.entries(counts.byName)) {
    const name = n.split(':')[0] ?? n;
    out[name] = (out[name] ?? 0) + k;
  }
  return out;
}
