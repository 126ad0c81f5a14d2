// Server-side counters: INFO commandstats (every command Redis executed, including the ones Lua
// scripts call), INFO cpu and INFO memory. Deltas between two snapshots are what we report.

import type { Redis } from 'ioredis';

export interface CommandStat {
  calls: number;
  usec: number;
}

export interface ServerSnapshot {
  atMs: number;
  commands: Map<string, CommandStat>;
  cpuSec: number;
  usedMemory: number;
}

export interface ServerDelta {
  ms: number;
  /** Commands by name (script-internal calls included), after subtracting the observer's own. */
  commands: Record<string, number>;
  totalCommands: number;
  /** Redis CPU (user + sys) spent in the interval, in ms. */
  cpuMs: number;
  usedMemoryDelta: number;
}

function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sep = line.indexOf(':');
    if (sep > 0) out.set(line.slice(0, sep), line.slice(sep + 1));
  }
  return out;
}

export async function snapshot(redis: Redis): Promise<ServerSnapshot> {
  const [stats, cpu, memory] = await Promise.all([
    redis.info('commandstats'),
    redis.info('cpu'),
    redis.info('memory'),
  ]);
  const commands = new Map<string, CommandStat>();
  for (const [key, value] of parseInfo(stats)) {
    if (!key.startsWith('cmdstat_')) continue;
    const fields = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]));
    commands.set(key.slice('cmdstat_'.length), {
      calls: Number(fields.get('calls') ?? 0),
      usec: Number(fields.get('usec') ?? 0),
    });
  }
  const c = parseInfo(cpu);
  const m = parseInfo(memory);
  return {
    atMs: Date.now(),
    commands,
    cpuSec: Number(c.get('used_cpu_user') ?? 0) + Number(c.get('used_cpu_sys') ?? 0),
    usedMemory: Number(m.get('used_memory') ?? 0),
  };
}

/**
 * `after - before`, minus the commands the observer itself sent in between (polls, INFO), so the
 * numbers are what the measured system made Redis do.
 */
export function delta(
  before: ServerSnapshot,
  after: ServerSnapshot,
  observerCommands: Record<string, number> = {},
): ServerDelta {
  const commands: Record<string, number> = {};
  let total = 0;
  for (const [name, stat] of after.commands) {
    const prev = before.commands.get(name)?.calls ?? 0;
    const own = observerCommands[name] ?? 0;
    const n = Math.max(0, stat.calls - prev - own);
    if (n > 0) {
      commands[name] = n;
      total += n;
    }
  }
  return {
    ms: after.atMs - before.atMs,
    commands,
    totalCommands: total,
    cpuMs: (after.cpuSec - before.cpuSec) * 1000,
    usedMemoryDelta: after.usedMemory - before.usedMemory,
  };
}

export async function usedMemory(redis: Redis): Promise<number> {
  return Number(parseInfo(await redis.info('memory')).get('used_memory') ?? 0);
}

export async function serverVersion(redis: Redis): Promise<string> {
  return parseInfo(await redis.info('server')).get('redis_version') ?? 'unknown';
}
