// The shared shell of every bench child process: installs the round-trip counter before any
// connection exists, starts the component, answers stats requests, records a CPU profile of just
// the window the parent asks for (V8 inspector, same data as `node --cpu-prof`), stops on request.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ChildMessage, ChildStats, ParentMessage } from '../lib/ipc.js';
import { countsByConnection, installRoundTripCounter } from '../lib/round-trips.js';

export interface Component {
  stop(): Promise<void>;
}

export function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`bench child: ${name} is not set`);
  return value;
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`bench child: ${name} must be an integer, got "${raw}"`);
  return n;
}

const send = (message: ChildMessage) => process.send?.(message);

export async function serveChild(start: () => Promise<Component>): Promise<void> {
  if (!process.send) throw new Error('bench children must be started with an IPC channel');
  installRoundTripCounter();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let component: Component;
  try {
    component = await start();
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  }
  let inspector: Session | undefined;
  const reply = (requestId: number, work: Promise<unknown>) =>
    work.then(
      () => send({ type: 'done', requestId }),
      (err: unknown) => send({ type: 'error', message: String(err) }),
    );
  process.on('message', (raw: ParentMessage) => {
    if (raw.type === 'profile-start') {
      inspector = new Session();
      inspector.connect();
      const session = inspector;
      reply(
        raw.requestId,
        (async () => {
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: raw.intervalUs });
          await session.post('Profiler.start');
        })(),
      );
    } else if (raw.type === 'profile-stop') {
      const session = inspector;
      const path = raw.path;
      reply(
        raw.requestId,
        (async () => {
          if (!session) throw new Error('profile-stop without profile-start');
          const { profile } = await session.post('Profiler.stop');
          writeFileSync(path, JSON.stringify(profile));
          session.disconnect();
        })(),
      );
    } else if (raw.type === 'stats') {
      const cpu = process.cpuUsage();
      const stats: ChildStats = {
        redis: countsByConnection(),
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        atMs: Date.now(),
        eventLoopDelayMs: {
          p50: loopDelay.percentile(50) / 1e6,
          p99: loopDelay.percentile(99) / 1e6,
          max: loopDelay.max / 1e6,
        },
      };
      loopDelay.reset();
      send({ type: 'stats', requestId: raw.requestId, stats });
    } else if (raw.type === 'stop') {
      component.stop().then(
        () => {
          send({ type: 'stopped' });
          process.exit(0);
        },
        (err: unknown) => {
          send({ type: 'error', message: String(err) });
          process.exit(1);
        },
      );
    }
  });
  // The parent going away (crash, Ctrl-C) must not leave a worker running against Redis.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', pid: process.pid });
}
