// The store's Lua scripts (one file each in ./lua, with a KEYS/ARGV/returns header), defined once
// per connection with defineCommand, and the typed commands they become. A line `-- @include name`
// stands for ./lua/includes/name.lua (functions several scripts share).

import { readFileSync } from 'node:fs';
import type { RedisClient } from '../redis.js';

const read = (path: string) => readFileSync(new URL(`./lua/${path}`, import.meta.url), 'utf8');
const lua = (name: string) =>
  read(name).replace(/^-- @include ([a-z-]+)$/gm, (_, include: string) => read(`includes/${include}.lua`));
const SCRIPTS = {
  rpCommit: { lua: lua('commit.lua') },
  rpSettle: { lua: lua('settle.lua') },
  rpEnqueue: { lua: lua('enqueue.lua') },
  rpLockRead: { lua: lua('lock-read.lua') },
  rpExtendLock: { numberOfKeys: 1, lua: lua('extend-lock-1.lua') },
  rpReleaseLock: { numberOfKeys: 1, lua: lua('release-lock-1.lua') },
  rpTakeLease: { numberOfKeys: 1, lua: lua('take-lease-1.lua') },
  rpReleaseLease: { numberOfKeys: 1, lua: lua('release-lease-1.lua') },
  rpPage: { numberOfKeys: 1, lua: lua('page.lua') },
  rpEarly: { numberOfKeys: 9, lua: lua('early.lua') },
  rpExpireEarly: { numberOfKeys: 1, lua: lua('early-expire.lua') },
  rpPruneReason: { numberOfKeys: 2, lua: lua('reason-prune.lua') },
} as const;

export type ScriptArgs = (string | number)[];
interface ScriptCommands {
  rpCommit(numberOfKeys: number, ...args: ScriptArgs): Promise<[number, number, string?]>;
  rpSettle(numberOfKeys: number, ...args: ScriptArgs): Promise<number>;
  rpEnqueue(numberOfKeys: number, ...args: ScriptArgs): Promise<number>;
  rpLockRead(
    numberOfKeys: number,
    ...args: ScriptArgs
  ): Promise<[0] | [1, string | null, string | null, string, string]>;
  rpExtendLock(...args: ScriptArgs): Promise<number>;
  rpReleaseLock(...args: ScriptArgs): Promise<number>;
  rpTakeLease(...args: ScriptArgs): Promise<number>;
  rpReleaseLease(...args: ScriptArgs): Promise<number>;
  rpPage(...args: ScriptArgs): Promise<string[]>;
  rpEarly(...args: ScriptArgs): Promise<number>;
  rpExpireEarly(...args: ScriptArgs): Promise<number>;
  rpPruneReason(...args: ScriptArgs): Promise<number>;
}

/** A connection with the store's scripts defined on it. */
export type ScriptedRedis = RedisClient & ScriptCommands;

export function withScripts(redis: RedisClient): ScriptedRedis {
  for (const [name, def] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, def);
  }
  return redis as ScriptedRedis;
}
