// `consumer --metrics-port` as a real process: its own /metrics moves with the jobs it runs; a
// graceful stop flushes its counts to the fleet totals and closes the port.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET, seriesKey } from '../../src/observability/metrics-catalog.js';
import { createHarness, type Harness } from '../support/harness.js';
import { parseMetrics } from './metrics-text.js';

const BIN = fileURLToPath(new URL('../../bin/resume-processor.js', import.meta.url));

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const resumeOne = async () => {
  const w = await h.producer.registerWorker({ name: 'w', task: 'work' });
  await h.producer.suspend(w.id, { reason: 'approval' });
  return (await h.producer.resume(w.id, 'go')).result({ timeoutMs: 20_000 });
};

describe('consumer --metrics-port', () => {
  it("serves the process's own counters, which move with its jobs; SIGTERM flushes them and closes the port", async () => {
    const child = spawn(process.execPath, [BIN, 'consumer', '--json', '--metrics-port', '0'], {
      env: {
        ...process.env,
        ...h.target.env,
        RESUME_PREFIX: h.prefix,
        LOG_LEVEL: 'warn',
        STALLED_INTERVAL_MS: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr.resume();
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`consumer exited with ${code} before starting`)));
      });
      const started = JSON.parse(first) as { started: boolean; metricsPort: number };
      expect(started).toMatchObject({ started: true, metricsPort: expect.any(Number) });
      const url = `http://127.0.0.1:${started.metricsPort}/metrics`;
      const scrape = async () => {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        return parseMetrics(await res.text());
      };

      const before = await scrape();
      expect(before.value(FLEET.resumeOutcomes.name, { outcome: 'resumed', code: '' })).toBeUndefined();
      expect(before.value(FLEET.fencedCommits.name)).toBe(0);
      expect(before.value('process_resident_memory_bytes')).toBeGreaterThan(0);

      const outcomes = await Promise.all([resumeOne(), resumeOne()]);
      expect(outcomes.map((o) => o.outcome)).toEqual(['resumed', 'resumed']);
      const after = await scrape();
      expect(after.value(FLEET.resumeOutcomes.name, { outcome: 'resumed', code: '' })).toBe(2);
      expect(after.value(`${FLEET.resumeLatency.name}_count`)).toBe(2);
      expect(after.value(`${FLEET.resumeLatency.name}_sum`)).toBeGreaterThan(0);
      expect(after.value(`${FLEET.lockWait.name}_count`)).toBeGreaterThanOrEqual(2);
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The graceful stop flushed what the 5 s flush had not sent yet.
      const totals = await h.store.metrics.totals();
      expect(totals[seriesKey(FLEET.resumeOutcomes.name, { outcome: 'resumed', code: '' })]).toBe('2');
      expect(totals[`${FLEET.resumeLatency.name}_count`]).toBe('2');
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
