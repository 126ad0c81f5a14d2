// PreResume hooks under faults: a hook that hangs past HOOK_TIMEOUT_MS, and a lock holder frozen in
// the middle of its hook past the lock TTL. Outcomes are defined, nothing is doubled, and a worker
// that was not resumed keeps its armed timeout. (A hook that throws: hooks.test.ts.)

import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIds } from '../../src/lib/policy/ids.js';
import { createHarness, type Harness, waitFor } from '../support/harness.js';

const processState = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];

describe('PreResume hooks under faults', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => h.close());

  it('a hook that hangs past the hook timeout: retried, then failed with RP-HOOK-FAILED; the worker waits', async () => {
    let calls = 0;
    await h.startConsumer({
      hookTimeoutMs: 200,
      retry: { attempts: 3, firstDelayMs: 20 },
      hooks: {
        preResume: [
          () => {
            calls += 1;
            return new Promise(() => {}); // never settles
          },
        ],
      },
    });
    await h.producer.registerWorker({ id: 'hang', name: 'hang', task: 't' });
    const s = await h.producer.suspend('hang', { conditions: { timeout: { duration_ms: 600_000 } } });
    const ticket = await h.producer.resume('hang', 'go');
    await expect(ticket.result({ timeoutMs: 20_000 })).rejects.toMatchObject({ code: 'RP-HOOK-FAILED' });
    expect(calls).toBe(3);
    const w = await h.producer.getWorker('hang');
    expect(w?.status).toBe('suspended');
    expect(w?.version).toBe(s.version);
    expect(await h.queues.of('hang').timeout.getJobState(jobIds.timeout('hang', s.version))).toBe('delayed');
    expect(await h.respawnJobIds()).toEqual([]);
    // Each attempt let its lock go when the hook timed out.
    const lock = await h.redis.get(h.keys.lock('hang'));
    expect(lock).toBeNull();
  });

  it('a holder frozen mid-hook past its lock TTL: another consumer resumes, the holder is fenced', async () => {
    const frozen = await h.spawnConsumer({ TEST_STOP_IN_HOOK_OF: 'frozen', LOCK_TTL_MS: '1000' });
    await h.producer.registerWorker({ id: 'frozen', name: 'frozen', task: 't' });
    const s = await h.producer.suspend('frozen', { conditions: { timeout: { duration_ms: 600_000 } } });
    const ticket = await h.producer.resume('frozen', 'go');
    await waitFor('the holder to freeze in its hook', async () => processState(frozen.pid ?? 0) === 'T');

    // Another consumer takes the stalled job once the frozen holder's locks lapse, and resumes.
    await h.spawnConsumer({ LOCK_TTL_MS: '1000' });
    const outcome = await ticket.result({ timeoutMs: 30_000 });
    expect(outcome).toMatchObject({ outcome: 'resumed', version: s.version + 1 });

    // The holder goes on from the middle of its hook: its lock and its job are gone, it changes nothing.
    frozen.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 2000));
    const r = await h.producer.getRecord('frozen');
    expect(r?.status).toBe('running');
    expect(r?.version).toBe(s.version + 1);
    expect(r?.history).toEqual(['go']);
    expect(await h.respawnJobIds()).toEqual([jobIds.respawn('frozen', s.version + 1)]);
    const resumed = (await h.store.events('frozen')).filter((e) => e.type === 'WorkerResumed');
    expect(resumed).toHaveLength(1);
    expect(await h.queues.of('frozen').timeout.getJob(jobIds.timeout('frozen', s.version))).toBeUndefined();
  }, 60_000);
});
